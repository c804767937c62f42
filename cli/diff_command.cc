// `slotsim diff DB1:RUN DB2:RUN`: the first event where two recorded runs
// differ, with the records that led up to it. For the same seed on two
// builds, or a suspected nondeterminism (replay said the hash differs).
#include <charconv>
#include <cstdio>
#include <iostream>

#include "cli/commands.h"
#include "cli/exit_codes.h"
#include "traces/run_diff.h"

namespace slotsim {
namespace {

struct RunRef {
  std::string db;
  int64_t run = 0;
};

bool ParseRunRef(const std::string& text, RunRef* ref, std::string* error) {
  const size_t colon = text.rfind(':');
  if (colon == std::string::npos || colon == 0 || colon + 1 == text.size()) {
    *error = "'" + text + "': expected DB:RUN, e.g. slotsim.db:3";
    return false;
  }
  ref->db = text.substr(0, colon);
  const std::string id = text.substr(colon + 1);
  auto [p, ec] = std::from_chars(id.data(), id.data() + id.size(), ref->run);
  if (ec != std::errc() || p != id.data() + id.size() || ref->run < 1) {
    *error = "'" + text + "': the run id '" + id + "' is not a positive integer";
    return false;
  }
  return true;
}

void Print(const char* prefix, const TraceRecord& r) {
  std::printf("%sseq %lld  t=%.6f s  node %d  %s%s%s  peer %d  %s\n", prefix,
              static_cast<long long>(r.seq), r.time_us / 1e6, r.node, r.kind.c_str(),
              r.msg_type.empty() ? "" : " ", r.msg_type.c_str(), r.peer, r.details.c_str());
}

}  // namespace

int DiffCommand(const DiffCommandOptions& o) {
  RunRef refs[2];
  std::string err;
  std::unique_ptr<TraceReader> readers[2];
  const std::string texts[2] = {o.a, o.b};
  for (int i = 0; i < 2; ++i) {
    if (!ParseRunRef(texts[i], &refs[i], &err) ||
        !(readers[i] = TraceReader::Open(refs[i].db, &err))) {
      std::cerr << "slotsim diff: " << err << "\n";
      return kExitUsage;
    }
    if (!readers[i]->Run(refs[i].run)) {
      std::cerr << "slotsim diff: " << refs[i].db << " has no run " << refs[i].run << "\n";
      return kExitUsage;
    }
  }
  const RunDifference d =
      FirstDifference(*readers[0], refs[0].run, *readers[1], refs[1].run, o.context, 3);
  if (d.differ && !d.a.empty() && !d.b.empty()) {
    std::printf("first difference after %lld equal records, at seq %lld:\n",
                static_cast<long long>(d.equal_records), static_cast<long long>(d.a[0].seq));
    if (!d.before.empty()) std::printf("  before it, in both:\n");
    for (const auto& r : d.before) Print("    ", r);
    std::printf("  %s:\n", o.a.c_str());
    for (size_t j = 0; j < d.a.size(); ++j) Print(j == 0 ? "  > " : "    ", d.a[j]);
    std::printf("  %s:\n", o.b.c_str());
    for (size_t j = 0; j < d.b.size(); ++j) Print(j == 0 ? "  > " : "    ", d.b[j]);
    return kExitViolation;
  }
  if (d.differ) {
    const bool a_longer = !d.a.empty();
    std::printf("first difference after %lld equal records: %s ends there, %s goes on:\n",
                static_cast<long long>(d.equal_records), (a_longer ? o.b : o.a).c_str(),
                (a_longer ? o.a : o.b).c_str());
    Print("  > ", (a_longer ? d.a : d.b)[0]);
    return kExitViolation;
  }
  std::printf("no difference: both runs have the same %lld records\n",
              static_cast<long long>(d.equal_records));
  return kExitPass;
}
}  // namespace slotsim
