// `slotsim diff DB1:RUN DB2:RUN`: the first event where two recorded runs
// differ, with the records that led up to it. For the same seed on two
// builds, or a suspected nondeterminism (replay said the hash differs).
#include <charconv>
#include <cstdio>
#include <deque>
#include <iostream>

#include "cli/commands.h"
#include "cli/exit_codes.h"
#include "traces/trace_reader.h"

namespace slotsim {
namespace {

// Records compared per page: bounded memory whatever the run's length.
constexpr int64_t kDiffPage = 10000;

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

std::vector<TraceRecord> Page(const TraceReader& r, int64_t run, int64_t from) {
  std::vector<TraceRecord> out;
  r.ForEachEvent(run, from, [&](const TraceRecord& rec) {
    out.push_back(rec);
    return static_cast<int64_t>(out.size()) < kDiffPage;
  });
  return out;
}

bool Same(const TraceRecord& a, const TraceRecord& b) {
  return a.time_us == b.time_us && a.node == b.node && a.kind == b.kind && a.peer == b.peer &&
         a.msg_type == b.msg_type && a.details == b.details;
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
  std::deque<TraceRecord> before;  // the last `context` equal records
  int64_t from = 0, compared = 0;
  // Bounded by the shorter run, a page at a time.
  for (;;) {
    const auto a = Page(*readers[0], refs[0].run, from);
    const auto b = Page(*readers[1], refs[1].run, from);
    const size_t n = std::min(a.size(), b.size());
    for (size_t i = 0; i < n; ++i) {
      if (!Same(a[i], b[i]) || a[i].seq != b[i].seq) {
        std::printf("first difference after %lld equal records, at seq %lld:\n",
                    static_cast<long long>(compared), static_cast<long long>(a[i].seq));
        if (!before.empty()) std::printf("  before it, in both:\n");
        for (const auto& r : before) Print("    ", r);
        std::printf("  %s:\n", o.a.c_str());
        for (size_t j = i; j < a.size() && j < i + 3; ++j) Print(j == i ? "  > " : "    ", a[j]);
        std::printf("  %s:\n", o.b.c_str());
        for (size_t j = i; j < b.size() && j < i + 3; ++j) Print(j == i ? "  > " : "    ", b[j]);
        return kExitViolation;
      }
      before.push_back(a[i]);
      if (static_cast<int>(before.size()) > o.context) before.pop_front();
      compared++;
    }
    if (a.size() != b.size()) {
      const bool a_longer = a.size() > b.size();
      std::printf("first difference after %lld equal records: %s ends there, %s goes on:\n",
                  static_cast<long long>(compared), (a_longer ? o.b : o.a).c_str(),
                  (a_longer ? o.a : o.b).c_str());
      Print("  > ", (a_longer ? a : b)[n]);
      return kExitViolation;
    }
    if (a.empty() || static_cast<int64_t>(a.size()) < kDiffPage) break;
    from = a.back().seq + 1;
  }
  std::printf("no difference: both runs have the same %lld records\n",
              static_cast<long long>(compared));
  return kExitPass;
}

}  // namespace slotsim
