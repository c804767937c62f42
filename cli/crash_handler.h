// Turns a crash (failed CHECK, abort, segfault) into exit code 3 with the
// seed and a repro command on stderr.
#pragma once

#include <string>

namespace slotsim {

// Installs handlers for SIGABRT, SIGSEGV, SIGBUS, SIGFPE and SIGILL.
void InstallCrashHandler();
// What the handler prints: set before each run, e.g. the repro command.
void SetCrashContext(const std::string& context);

}  // namespace slotsim
