// Planted violations for lint.determinism_can_fail. Never compiled.
#include <fstream>
#include <thread>
#include <chrono>
#include <cstdlib>

int Bad() {
  auto t = std::chrono::system_clock::now();
  int r = rand();
  std::thread worker([] {});
  std::this_thread::sleep_for(std::chrono::milliseconds(1));
  const char* home = getenv("HOME");
  return r + (home != nullptr);
}
