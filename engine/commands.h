// The data command table (Redis's commands.def subset): arity, flags and
// key positions drive generic checks and cluster routing in Server.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "engine/keyspace.h"

namespace slotsim {

enum CommandFlag : uint32_t {
  kCmdWrite = 1,
  kCmdReadOnly = 2,
  kCmdAsking = 4,     // CMD_ASKING: served on an importing slot as if ASKING
  kCmdSerialize = 8,  // its reply is a serialized value (cost model)
  kCmdLoad = 16,      // argv[3] is a serialized value to load (cost model)
  kCmdFree = 32,      // frees its keys synchronously (cost model)
};

struct CommandSpec {
  const char* name;  // lowercase
  // Redis convention: N means exactly N arguments (name included); -N
  // means at least N.
  int arity;
  uint32_t flags;
  // Key positions: first, last (negative counts from the end), step.
  // first == 0: the command has no keys.
  int first_key, last_key, key_step;
  // Executes a command whose arity was checked; appends the reply.
  void (*proc)(Keyspace& ks, const std::vector<std::string>& argv,
               std::string* out);
  // processCommand's arity check: `argc` arguments, the name included.
  bool ArityOk(size_t argc) const {
    const auto n = static_cast<int64_t>(argc);
    return arity > 0 ? n == arity : n >= -arity;
  }
};

// The command named `name` (any case), or nullptr. Commands the server
// handles itself (CLUSTER, INFO, PING, ...) are in the table with proc
// == nullptr.
const CommandSpec* LookupCommand(std::string_view name);

// Every command of the table, in table order (COMMAND).
const std::vector<CommandSpec>& AllCommands();

// string2ll: strict, no spaces, no '+', no leading zeros except "0".
bool StringToLL(std::string_view s, int64_t* out);

// checkType's error.
inline constexpr const char* kWrongTypeError =
    "WRONGTYPE Operation against a key holding the wrong kind of value";

// The key arguments of argv according to spec.
std::vector<std::string_view> CommandKeys(const CommandSpec& spec,
                                          const std::vector<std::string>& argv);

}  // namespace slotsim
