// CONFIG GET / SET / REWRITE / RESETSTAT (config.c) over the engine's
// settings, under Redis 7.0.15's config names; and those names, which
// `slotsim node`'s redis.conf reader shares.
#pragma once

#include <functional>
#include <map>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "engine/config.h"

namespace slotsim {

// The canonical name of a Redis 7.0.15 config option (an alias such as
// cluster-slave-validity-factor resolved; lower case), or "" if Redis has
// no option of that name.
std::string CanonicalConfigName(std::string_view name);

// A Redis memory value (memtoull): digits with an optional unit, k/m/g
// (powers of 1000) or kb/mb/gb (powers of 1024), any case. False if `s`
// is not one or overflows.
bool ParseMemory(const std::string& s, int64_t* v);

// isValidAnnouncedHostname: "" if `value` may be cluster-announce-hostname,
// else Redis's reason. Only the character set is checked, not that it is a
// real hostname, so that the name can sit in a nodes.conf line (no blank,
// no comma) and travel in a ping.
constexpr size_t kHostnameBytesMax = 255;  // below NET_HOST_STR_LEN (256)
std::string AnnouncedHostnameError(std::string_view value);

// Writes the given settings into the node's config file, leaving its other
// lines as they are; returns "" or the error. Null: the node runs without a
// config file (CONFIG REWRITE is refused, as Redis refuses it).
using ConfigRewriter =
    std::function<std::string(const std::vector<std::pair<std::string, std::string>>&)>;

// What CONFIG works on: the engine's settings (SET changes the ones with
// an effect here: SetWithEffect in config_command.cc lists them), the
// values of Redis options that have no effect here (kept so GET and
// REWRITE answer what SET was told), and the rewriter.
struct ConfigState {
  EngineConfig& config;
  std::map<std::string, std::string>& accepted;
  const ConfigRewriter& rewrite;
  // Called after SET changed appendonly or appendfsync, with the values
  // before, so the owner can start or stop the AOF (startAppendOnly /
  // stopAppendOnly). Returns "" if it worked, else why not (the AOF could
  // not be turned on): CONFIG SET then restores every value it set and
  // replies with that error, as configSetCommand does when an apply
  // function fails.
  std::function<std::string(bool was_appendonly, AofFsync was_fsync)> aof_changed;
  // CONFIG RESETSTAT: clears the owner's statistics.
  std::function<void()> reset_stats;
  // Called after SET changed cluster-announce-hostname, so the cluster
  // takes it at once (updateClusterHostname -> clusterUpdateMyselfHostname).
  std::function<void()> announce_hostname_changed;
};

// CONFIG GET pattern... | SET name value [name value ...] (all or none) |
// REWRITE | RESETSTAT, with Redis 7.0's replies and error texts.
void ConfigCommand(ConfigState& state, const std::vector<std::string>& argv, std::string* out);

}  // namespace slotsim
