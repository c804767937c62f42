// libFuzzer target: the data log loader (Aof::Load, directly and through
// a node's Server::Start). Invariants (tests/fuzz/loader_harness.h,
// CheckAof): no crash; the load works or fails with the format error; it
// replays a prefix of what the request parser reads (all of it unless the
// tail was torn); the file left is the input cut where the trace says, and
// loads again to the same commands with no torn tail; a starting node
// agrees with Aof::Load.
//
// An input starting with '!' is a recipe for a valid log, so the fuzzer
// gets past the framing at once: byte 1 picks a cut (< 128: cut the log at
// that fraction of its length, in 128ths; else whole), the rest is
// commands, one a line, arguments split on ' ', each encoded with
// resp::EncodeCommand. Seeds: tests/fuzz/corpus/aof_loader_fuzzer/.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "tests/fuzz/loader_harness.h"

namespace {

std::string FromRecipe(std::string_view recipe) {
  if (recipe.empty()) return "";
  const unsigned cut = static_cast<unsigned char>(recipe[0]);
  recipe.remove_prefix(1);
  std::string log;
  size_t pos = 0;
  while (pos <= recipe.size()) {
    size_t nl = recipe.find('\n', pos);
    if (nl == std::string_view::npos) nl = recipe.size();
    const std::string_view line = recipe.substr(pos, nl - pos);
    pos = nl + 1;
    if (line.empty()) continue;
    std::vector<std::string> argv;
    size_t a = 0;
    for (;;) {
      const size_t sp = line.find(' ', a);
      argv.emplace_back(line.substr(a, sp == std::string_view::npos ? std::string_view::npos : sp - a));
      if (sp == std::string_view::npos) break;
      a = sp + 1;
    }
    log += slotsim::resp::EncodeCommand(argv);
  }
  if (cut < 128) log.resize(log.size() * cut / 128);
  return log;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size > 1 << 14) return 0;
  std::string in(reinterpret_cast<const char*>(data), size);
  if (!in.empty() && in[0] == '!') in = FromRecipe(std::string_view(in).substr(1));
  const std::string broken = slotsim::loader_fuzz::CheckAof(in, true);
  if (!broken.empty()) {
    std::fprintf(stderr, "aof_loader_fuzzer invariant broken: %s\n--- log:\n%s\n", broken.c_str(),
                 slotsim::loader_fuzz::Printable(in).c_str());
    std::abort();
  }
  return 0;
}
