#include "engine/command_stats.h"

#include <cstdio>

#include "engine/text.h"

namespace slotsim {

CommandStats::PerCommand& CommandStats::Entry(std::string_view name) {
  auto it = commands_.find(name);
  if (it != commands_.end()) return it->second;
  if (commands_.size() >= kNamesMax) name = name.substr(0, name.find('|'));
  return commands_[std::string(name)];
}

void CommandStats::Called(std::string_view name, int64_t usec, bool failed) {
  PerCommand& p = Entry(name);
  p.calls++;
  p.usec += usec;
  if (failed) p.failed++;
}

void CommandStats::Rejected(std::string_view name) { Entry(name).rejected++; }

void CommandStats::ErrorReplied(std::string_view reply) {
  total_error_replies_++;
  // afterErrorReply: the code is what precedes the first space, searched
  // within the first 32 bytes; a reply without one counts as ERR.
  std::string_view code = "ERR";
  if (!reply.empty() && reply[0] == '-') {
    const std::string_view head = reply.substr(0, 32);
    const size_t space = head.find(' ');
    if (space != std::string_view::npos && space > 1) code = reply.substr(1, space - 1);
  }
  errors_[std::string(code)]++;
}

void CommandStats::Reset() {
  commands_.clear();
  errors_.clear();
  total_error_replies_ = 0;
}

std::string CommandStats::CommandstatsSection() const {
  std::string s;
  for (const auto& [name, p] : commands_) {
    char per_call[32];
    std::snprintf(per_call, sizeof per_call, "%.2f",
                  p.calls == 0 ? 0.0 : static_cast<double>(p.usec) / static_cast<double>(p.calls));
    s += "cmdstat_" + name + ":calls=" + std::to_string(p.calls) +
         ",usec=" + std::to_string(p.usec) + ",usec_per_call=" + per_call +
         ",rejected_calls=" + std::to_string(p.rejected) +
         ",failed_calls=" + std::to_string(p.failed) + "\r\n";
  }
  return s;
}

std::string CommandStats::ErrorstatsSection() const {
  std::string s;
  for (const auto& [code, count] : errors_)
    s += "errorstat_" + code + ":count=" + std::to_string(count) + "\r\n";
  return s;
}

std::string CommandStats::StatName(std::string_view command, std::string_view first_arg) {
  std::string name = Lower(std::string(command));
  // The container commands slotsim has, whose subcommands Redis 7 counts
  // apart.
  if (!first_arg.empty() && IsContainer(name))
    name += "|" + Lower(std::string(first_arg));
  return name;
}

}  // namespace slotsim
