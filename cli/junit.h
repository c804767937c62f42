// JUnit XML for CI systems: one testsuite per scenario file, one testcase
// per seed, a <failure> for a violation and an <error> for a crashed run,
// each carrying the command that reproduces it.
#pragma once

#include <string>
#include <vector>

namespace slotsim {

struct JUnitCase {
  std::string suite;      // scenario name
  std::string file;       // scenario file
  std::string name;       // "seed 3"
  double seconds = 0;
  std::string outcome;    // pass | expected | violation | crashed
  std::string message;    // first violation or the crash, one line
  std::string details;    // every violation, and the repro command
};

// The whole document. Cases keep their order within each suite; suites
// appear in order of their first case.
std::string JUnitXml(const std::vector<JUnitCase>& cases);

}  // namespace slotsim
