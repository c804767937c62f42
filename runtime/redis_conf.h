// redis.conf for `slotsim node CONFIG_FILE [--name value ...]`, so that a
// harness which spawns redis-server can spawn slotsim instead: Redis's
// syntax (loadServerConfigFromString's lines, sdssplitargs's quoting,
// `include`, the last of a repeated directive winning) and Redis 7.0's
// directive names and aliases. A directive that has no effect here is
// accepted and reported; one that cannot be honoured (TLS, modules,
// daemonize) is an error, as is a name Redis does not know.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "runtime/node.h"

namespace slotsim {

// One directive as read: its lower-cased name, its arguments, and where it
// came from ("FILE:LINE", or "command line").
struct ConfDirective {
  std::string name;
  std::vector<std::string> args;
  std::string where;
};

// Splits one line as sdssplitargs does: blanks separate words; "..."
// takes \n \r \t \b \a \\ \" and \xHH escapes; '...' takes \'; a closing
// quote must be followed by a blank or the end. False on unbalanced or
// misplaced quotes. At most kConfArgsMax words.
constexpr size_t kConfArgsMax = 1024;
bool SplitConfigLine(std::string_view line, std::vector<std::string>* out);

// Reads an included file: its text, or nullopt if it cannot be read.
using ConfReader = std::function<std::optional<std::string>(const std::string& path)>;

// Parses `text` (read from `file`) into directives, following `include`
// through `read` at most kConfIncludeDepthMax deep. Blank lines and lines
// starting with '#' are skipped. False with *error ("FILE:LINE: why:
// 'line'") on a line that does not split or an include that cannot be read.
constexpr int kConfIncludeDepthMax = 8;
bool ParseRedisConf(std::string_view text, const std::string& file, const ConfReader& read,
                    std::vector<ConfDirective>* out, std::string* error, int depth = 0);

// redis-server's command line after the config file: "--port 7000 --save
// ''" becomes the directives "port 7000" and "save ''", appended after the
// file's, so they win. A word not after a --name is an error.
bool ConfFromArgs(const std::vector<std::string>& args, std::vector<ConfDirective>* out,
                  std::string* error);

// What the directives ask of `slotsim node`.
struct NodeConf {
  NodeOptions node;
  // Known Redis directives that have no effect here, in the order first
  // seen (each once): the log lists them at start.
  std::vector<std::string> ignored;
};

// Applies the directives in order (a later one overrides an earlier one).
// False with *error ("WHERE: why") on an unknown name, a wrong number of
// arguments, a bad value, or a setting slotsim cannot honour.
bool ApplyRedisConf(const std::vector<ConfDirective>& directives, NodeConf* out,
                    std::string* error);

// CONFIG REWRITE: `text` with each of `settings` (canonical name, value)
// written over the first line that sets it (later ones dropped), the rest
// appended; every other line, comments included, kept as it was.
std::string RewriteRedisConfText(std::string_view text,
                                 const std::vector<std::pair<std::string, std::string>>& settings);
// The same on the file at `path` (replaced by rename). "" or the error.
std::string RewriteRedisConf(const std::string& path,
                             const std::vector<std::pair<std::string, std::string>>& settings);

}  // namespace slotsim
