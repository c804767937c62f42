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

// CONFIG GET pattern... answers the settings this engine has, under their
// redis.conf names, matched with Redis's glob (stringmatchlen's * ? [..]).
// CONFIG SET and REWRITE are refused with Redis's error texts: settings
// are fixed at start. CONFIG RESETSTAT is accepted.
void ConfigCommand(const EngineConfig& config, const std::vector<std::string>& argv,
                   std::string* out);

// Redis's glob match (stringmatchlen), case-insensitively when `nocase`.
bool GlobMatch(std::string_view pattern, std::string_view s, bool nocase);

}  // namespace slotsim
