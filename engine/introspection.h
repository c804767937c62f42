// COMMAND and CONFIG: what clients and tools ask a server about itself.
// redis-py's RedisCluster reads COMMAND for key positions; redis-cli and
// cluster tools read settings with CONFIG GET.
#pragma once

#include <string>
#include <vector>

#include "engine/config.h"

namespace slotsim {

// COMMAND [COUNT | INFO name... | DOCS [name...] | LIST]: Redis 7's reply
// shapes (commandCommand), from the engine's command table.
void CommandCommand(const std::vector<std::string>& argv, std::string* out);

// Redis's glob match (stringmatchlen), case-insensitively when `nocase`.
bool GlobMatch(std::string_view pattern, std::string_view s, bool nocase);

}  // namespace slotsim
