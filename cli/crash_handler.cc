#include "cli/crash_handler.h"

#include <csignal>
#include <cstring>
#include <unistd.h>

#include "cli/exit_codes.h"

namespace slotsim {
namespace {

// Written before a run, read only by the signal handler: a fixed buffer
// so the handler stays async-signal-safe.
char g_context[1024] = "slotsim crashed\n";

void OnFatalSignal(int sig) {
  const char* head = "\nslotsim: crashed (";
  (void)!write(2, head, std::strlen(head));
  const char* name = sig == SIGABRT ? "abort" : sig == SIGSEGV ? "segfault" : "fatal signal";
  (void)!write(2, name, std::strlen(name));
  (void)!write(2, ")\n", 2);
  (void)!write(2, g_context, std::strlen(g_context));
  _exit(kExitCrash);
}

}  // namespace

void InstallCrashHandler() {
  struct sigaction sa {};
  sa.sa_handler = OnFatalSignal;
  sigemptyset(&sa.sa_mask);
  for (int sig : {SIGABRT, SIGSEGV, SIGBUS, SIGFPE, SIGILL}) sigaction(sig, &sa, nullptr);
}

void SetCrashContext(const std::string& context) {
  std::string s = context + "\n";
  std::strncpy(g_context, s.c_str(), sizeof g_context - 1);
  g_context[sizeof g_context - 1] = '\0';
}

}  // namespace slotsim
