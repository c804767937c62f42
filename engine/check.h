// Assertions that stay on in every build type (TigerBeetle style).
//
// A failed CHECK is a programmer error: it prints the condition and its
// location to stderr and aborts. The `slotsim` command installs a SIGABRT
// handler that adds the run's seed and exits with code 3, so the engine
// itself needs no global crash context.
#pragma once

#include <cstdio>
#include <cstdlib>

namespace slotsim {

[[noreturn]] inline void CheckFailed(const char* cond, const char* file,
                                     int line, const char* msg) {
  std::fprintf(stderr, "CHECK failed: %s at %s:%d%s%s\n", cond, file, line,
               msg[0] ? ": " : "", msg);
  std::fflush(stderr);
  std::abort();
}

}  // namespace slotsim

#define SLOTSIM_CHECK(cond)                                          \
  do {                                                               \
    if (!(cond)) ::slotsim::CheckFailed(#cond, __FILE__, __LINE__, ""); \
  } while (0)

#define SLOTSIM_CHECK_MSG(cond, msg)                                  \
  do {                                                                \
    if (!(cond)) ::slotsim::CheckFailed(#cond, __FILE__, __LINE__, msg); \
  } while (0)
