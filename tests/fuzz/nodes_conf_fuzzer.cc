// libFuzzer target: the nodes.conf loader (Cluster::LoadConfig, through
// Server::Start). Invariants (tests/fuzz/loader_harness.h, CheckNodesConf):
// a start never crashes and either works or fails with the read error or
// the corrupted-config error naming a line; a config that loaded keeps its
// myself id and saves to a fixed point (save(load(save(load(x)))) ==
// save(load(x))). The node then runs its cron for a simulated second over
// whatever it loaded. Seeds: tests/fuzz/corpus/nodes_conf_fuzzer/; tokens:
// tests/fuzz/nodes_conf_fuzzer.dict.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "tests/fuzz/loader_harness.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size > 1 << 14) return 0;
  const std::string in(reinterpret_cast<const char*>(data), size);
  const std::string broken = slotsim::loader_fuzz::CheckNodesConf(in, 7000, 1100);
  if (!broken.empty()) {
    std::fprintf(stderr, "nodes_conf_fuzzer invariant broken: %s\n--- input:\n%s\n", broken.c_str(),
                 slotsim::loader_fuzz::Printable(in).c_str());
    std::abort();
  }
  return 0;
}
