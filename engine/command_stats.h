// INFO commandstats and errorstats (server.c call() / afterErrorReply,
// Redis 7.0.15): per command, how often it ran, how long it took, how
// often it was refused before running and how often it failed; per error
// code (the reply's first word), how often it was sent.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <string_view>

namespace slotsim {

class CommandStats {
 public:
  // A command ran (call()); `failed` if its reply was an error.
  void Called(std::string_view name, int64_t usec, bool failed);
  // A command was refused before it ran (rejectCommand: a redirect, an
  // arity error, a refused command in subscribed mode, ...).
  void Rejected(std::string_view name);
  // An error reply went out: counted under its code, the text up to the
  // first space when the reply carries one within 32 bytes, else ERR.
  // `reply` is the whole RESP error line, '-' included.
  void ErrorReplied(std::string_view reply);
  // CONFIG RESETSTAT.
  void Reset();

  // "cmdstat_get:calls=1,usec=2,usec_per_call=2.00,rejected_calls=0,failed_calls=0"
  // lines, by name.
  std::string CommandstatsSection() const;
  // "errorstat_MOVED:count=1" lines, by code.
  std::string ErrorstatsSection() const;
  int64_t total_error_replies() const { return total_error_replies_; }

  // The name a command is counted under: "get", or "cluster|info" for a
  // container command's subcommand, as Redis 7 names them.
  static std::string StatName(std::string_view command, std::string_view first_arg);
  // Whether `name` (lowercase) is counted per subcommand; the others are
  // counted under their table name, which needs no copy (the hot path).
  static bool IsContainer(std::string_view name) {
    return name == "cluster" || name == "config" || name == "client" || name == "pubsub" ||
           name == "command";
  }

 private:
  struct PerCommand {
    int64_t calls = 0, usec = 0, rejected = 0, failed = 0;
  };
  // The entry for `name`; past kNamesMax names (subcommand names come from
  // clients), a new "container|sub" counts under its container.
  PerCommand& Entry(std::string_view name);
  static constexpr size_t kNamesMax = 512;
  // Bounded by the command table (names come from it) and by the error
  // codes, which Redis does not bound either: a node only sends its own.
  std::map<std::string, PerCommand, std::less<>> commands_;
  std::map<std::string, int64_t> errors_;
  int64_t total_error_replies_ = 0;
};

}  // namespace slotsim
