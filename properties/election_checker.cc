#include "properties/election_checker.h"

#include <charconv>

namespace slotsim {

std::string DetailValue(const std::string& details, const std::string& key) {
  const std::string needle = key + "=";
  size_t pos = 0;
  while ((pos = details.find(needle, pos)) != std::string::npos) {
    if (pos == 0 || details[pos - 1] == ' ') {
      size_t start = pos + needle.size();
      size_t end = details.find(' ', start);
      return details.substr(start, end == std::string::npos ? std::string::npos : end - start);
    }
    pos += needle.size();
  }
  return "";
}

namespace {

uint64_t ToU64(const std::string& s) {
  uint64_t v = 0;
  std::from_chars(s.data(), s.data() + s.size(), v);
  return v;
}

}  // namespace

void ElectionChecker::OnTrace(const TraceRecord& r) {
  if (r.kind == "VoteReceived") {
    votes_seen_++;
    const std::string voter = DetailValue(r.details, "voter");
    const uint64_t epoch = ToU64(DetailValue(r.details, "epoch"));
    voters_[{r.node, epoch}].insert(voter);
    vote_seqs_[{r.node, epoch}].push_back(r.seq);
    auto [it, fresh] = votes_.emplace(std::make_pair(voter, epoch), Seen{r.node, r.seq});
    if (!fresh && it->second.node != r.node) {
      violations_.push_back({"one-vote-per-epoch",
                             "voter " + voter + " gave its epoch " + std::to_string(epoch) +
                                 " vote to node" + std::to_string(it->second.node) +
                                 " and to node" + std::to_string(r.node),
                             r.time_us,
                             {it->second.seq, r.seq}});
    }
  } else if (r.kind == "ElectionWon") {
    wins_seen_++;
    const uint64_t epoch = ToU64(DetailValue(r.details, "epoch"));
    const std::string size_text = DetailValue(r.details, "size");
    const size_t votes = voters_[{r.node, epoch}].size();
    if (!size_text.empty() && votes * 2 <= ToU64(size_text)) {
      violations_.push_back({"election-won-by-majority",
                             "node" + std::to_string(r.node) + " won epoch " +
                                 std::to_string(epoch) + " with " + std::to_string(votes) +
                                 " vote(s) of " + size_text + " primaries",
                             r.time_us, vote_seqs_[{r.node, epoch}]});
      violations_.back().causes.push_back(r.seq);
    }
    auto [it, fresh] = winners_.emplace(epoch, Seen{r.node, r.seq});
    if (!fresh && it->second.node != r.node) {
      violations_.push_back({"one-winner-per-epoch",
                             "node" + std::to_string(it->second.node) + " and node" +
                                 std::to_string(r.node) + " both won epoch " +
                                 std::to_string(epoch),
                             r.time_us,
                             {it->second.seq, r.seq}});
    }
  }
}

}  // namespace slotsim
