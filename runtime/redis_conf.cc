#include "runtime/redis_conf.h"

#include <cstdio>
#include <fstream>
#include <sstream>

#include "engine/config_command.h"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <map>
#include <set>

namespace slotsim {
namespace {

bool IsBlank(char c) { return c == ' ' || c == '\n' || c == '\r' || c == '\t' || c == '\0'; }

int HexDigit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

std::string Lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

bool ParseInt(const std::string& s, int64_t lo, int64_t hi, int64_t* v) {
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), *v);
  return ec == std::errc() && p == s.data() + s.size() && *v >= lo && *v <= hi;
}

}  // namespace

bool SplitConfigLine(std::string_view line, std::vector<std::string>* out) {
  out->clear();
  size_t i = 0;
  const size_t n = line.size();
  // Bounded: every round consumes at least one character or returns.
  while (true) {
    while (i < n && IsBlank(line[i])) ++i;
    if (i >= n) return true;
    if (out->size() >= kConfArgsMax) return false;
    std::string word;
    bool in_double = false, in_single = false;
    while (true) {
      if (in_double) {
        if (i >= n) return false;  // unterminated "
        if (line[i] == '\\' && i + 3 < n && line[i + 1] == 'x' && HexDigit(line[i + 2]) >= 0 &&
            HexDigit(line[i + 3]) >= 0) {
          word += static_cast<char>(HexDigit(line[i + 2]) * 16 + HexDigit(line[i + 3]));
          i += 4;
        } else if (line[i] == '\\' && i + 1 < n) {
          const char c = line[i + 1];
          word += c == 'n' ? '\n' : c == 'r' ? '\r' : c == 't' ? '\t' : c == 'b' ? '\b'
                : c == 'a' ? '\a' : c;
          i += 2;
        } else if (line[i] == '"') {
          if (i + 1 < n && !IsBlank(line[i + 1])) return false;  // "foo"bar
          ++i;
          break;
        } else {
          word += line[i++];
        }
      } else if (in_single) {
        if (i >= n) return false;  // unterminated '
        if (line[i] == '\\' && i + 1 < n && line[i + 1] == '\'') {
          word += '\'';
          i += 2;
        } else if (line[i] == '\'') {
          if (i + 1 < n && !IsBlank(line[i + 1])) return false;
          ++i;
          break;
        } else {
          word += line[i++];
        }
      } else {
        if (i >= n || IsBlank(line[i])) break;
        if (line[i] == '"') {
          in_double = true;
        } else if (line[i] == '\'') {
          in_single = true;
        } else {
          word += line[i];
        }
        ++i;
      }
    }
    out->push_back(std::move(word));
  }
}

bool ParseRedisConf(std::string_view text, const std::string& file, const ConfReader& read,
                    std::vector<ConfDirective>* out, std::string* error, int depth) {
  int lineno = 0;
  size_t pos = 0;
  while (pos <= text.size()) {
    size_t eol = text.find('\n', pos);
    if (eol == std::string_view::npos) eol = text.size();
    std::string_view line = text.substr(pos, eol - pos);
    pos = eol + 1;
    ++lineno;
    // Trimmed, as sdstrim(" \t\r\n") does.
    while (!line.empty() && IsBlank(line.front())) line.remove_prefix(1);
    while (!line.empty() && IsBlank(line.back())) line.remove_suffix(1);
    if (line.empty() || line.front() == '#') continue;
    const std::string where = file + ":" + std::to_string(lineno);
    std::vector<std::string> words;
    if (!SplitConfigLine(line, &words)) {
      *error = where + ": Unbalanced quotes in configuration line: '" + std::string(line) + "'";
      return false;
    }
    if (words.empty()) continue;
    ConfDirective d{Lower(words[0]), {words.begin() + 1, words.end()}, where};
    if (d.name == "include") {
      if (d.args.size() != 1) {
        *error = where + ": include takes one file: '" + std::string(line) + "'";
        return false;
      }
      if (depth >= kConfIncludeDepthMax) {
        *error = where + ": includes nested more than " + std::to_string(kConfIncludeDepthMax) +
                 " deep (a loop?)";
        return false;
      }
      std::optional<std::string> included = read(d.args[0]);
      if (!included) {
        *error = where + ": cannot read included file " + d.args[0];
        return false;
      }
      if (!ParseRedisConf(*included, d.args[0], read, out, error, depth + 1)) return false;
      continue;
    }
    out->push_back(std::move(d));
  }
  return true;
}

bool ConfFromArgs(const std::vector<std::string>& args, std::vector<ConfDirective>* out,
                  std::string* error) {
  for (const std::string& a : args) {
    if (a.size() > 2 && a.compare(0, 2, "--") == 0) {
      out->push_back({Lower(a.substr(2)), {}, "command line"});
    } else if (out->empty() || out->back().where != "command line") {
      *error = "command line: '" + a + "' is not after a --name (want: --port 7000 ...)";
      return false;
    } else {
      out->back().args.push_back(a);
    }
  }
  return true;
}

bool ApplyRedisConf(const std::vector<ConfDirective>& directives, NodeConf* out,
                    std::string* error) {
  NodeOptions& o = out->node;
  std::set<std::string> ignored_seen;
  for (const ConfDirective& d : directives) {
    // Aliases (cluster-slave-validity-factor, ...) read as their canonical names.
    const std::string canonical = CanonicalConfigName(d.name);
    const std::string& n = canonical.empty() ? d.name : canonical;
    auto fail = [&](const std::string& why) {
      std::string line = n;
      for (const auto& a : d.args) line += " " + a;
      *error = d.where + ": " + why + ": '" + line + "'";
      return false;
    };
    auto one = [&]() { return d.args.size() == 1; };
    auto yes_no = [&](bool* v) {
      if (!one()) return fail("Bad directive or wrong number of arguments");
      const std::string a = Lower(d.args[0]);
      if (a != "yes" && a != "no") return fail("argument must be 'yes' or 'no'");
      *v = a == "yes";
      return true;
    };
    auto integer = [&](int64_t lo, int64_t hi, int64_t* v) {
      if (!one()) return fail("Bad directive or wrong number of arguments");
      if (!ParseInt(d.args[0], lo, hi, v))
        return fail("argument must be an integer in " + std::to_string(lo) + ".." +
                    std::to_string(hi));
      return true;
    };
    int64_t v = 0;
    bool b = false;
    if (n == "port") {
      if (!integer(1, 55535, &v)) return false;
      o.port = static_cast<uint16_t>(v);
    } else if (n == "cluster-port") {
      if (!integer(0, 65535, &v)) return false;
      o.bus_port = static_cast<uint16_t>(v);
    } else if (n == "bind") {
      if (d.args.empty()) return fail("Bad directive or wrong number of arguments");
      o.bind = d.args[0];
      if (d.args.size() > 1)
        out->node.startup_notes.push_back("bind: listening on " + d.args[0] +
                                          " only; the other addresses are not used");
    } else if (n == "dir") {
      if (!one() || d.args[0].empty()) return fail("Bad directive or wrong number of arguments");
      o.dir = d.args[0];
    } else if (n == "logfile") {
      if (!one()) return fail("Bad directive or wrong number of arguments");
      o.logfile = d.args[0];
    } else if (n == "appendonly") {
      if (!yes_no(&o.appendonly)) return false;
    } else if (n == "appendfsync") {
      if (!one()) return fail("Bad directive or wrong number of arguments");
      const std::string a = Lower(d.args[0]);
      if (a != "always" && a != "everysec" && a != "no")
        return fail("argument must be one of always, everysec, no");
      o.appendfsync = a;
    } else if (n == "save") {
      // `save ""` clears the save points and with them the save at
      // shutdown; points given keep it. Their periodic BGSAVEs are not
      // run, so save is also listed as without effect.
      if (d.args.size() == 1 && d.args[0].empty()) o.save_on_shutdown = false;
      else if (!d.args.empty() && d.args.size() % 2 == 0) o.save_on_shutdown = true;
      else return fail("Invalid save parameters");
      if (ignored_seen.insert(n).second) out->ignored.push_back(n);
    } else if (n == "dbfilename") {
      if (!one() || d.args[0].empty()) return fail("Bad directive or wrong number of arguments");
      if (d.args[0].find('/') != std::string::npos)
        return fail("dbfilename can't be a path, just a filename");
      o.dbfilename = d.args[0];
    } else if (n == "cluster-enabled") {
      if (!yes_no(&b)) return false;
      if (!b) return fail("slotsim node runs Redis Cluster only; cluster-enabled must be yes");
    } else if (n == "cluster-config-file") {
      if (!one()) return fail("Bad directive or wrong number of arguments");
      if (d.args[0] != "nodes.conf")
        return fail("slotsim keeps its cluster config in DIR/nodes.conf; another name "
                    "cannot be honoured");
    } else if (n == "cluster-node-timeout") {
      if (!integer(1, 3600000, &o.node_timeout_ms)) return false;  // CONFIG SET's range
    } else if (n == "cluster-replica-validity-factor") {
      if (!integer(0, 1000000, &o.replica_validity_factor)) return false;
    } else if (n == "cluster-replica-no-failover") {
      if (!yes_no(&o.replica_no_failover)) return false;
    } else if (n == "repl-diskless-sync-delay") {
      if (!integer(0, INT32_MAX, &v)) return false;
      o.repl_diskless_sync_delay_ms = v * 1000;
    } else if (n == "cluster-link-sendbuf-limit") {
      if (!one()) return fail("Bad directive or wrong number of arguments");
      if (!ParseMemory(d.args[0], &o.link_sendbuf_limit_bytes))
        return fail("argument must be a memory value");
    } else if (n == "repl-backlog-size") {
      if (!one()) return fail("Bad directive or wrong number of arguments");
      if (!ParseMemory(d.args[0], &v) || v < 1) return fail("argument must be a memory value");
      o.repl_backlog_bytes = std::max(v, kReplBacklogMinBytes);
    } else if (n == "key-load-delay") {
      if (!integer(INT32_MIN, INT32_MAX, &o.key_load_delay_us)) return false;
    } else if (n == "cluster-migration-barrier") {
      if (!integer(0, INT32_MAX, &o.migration_barrier)) return false;
    } else if (n == "cluster-allow-replica-migration") {
      if (!yes_no(&o.allow_replica_migration)) return false;
    } else if (n == "cluster-require-full-coverage") {
      if (!yes_no(&o.require_full_coverage)) return false;
    } else if (n == "cluster-allow-reads-when-down") {
      if (!yes_no(&o.allow_reads_when_down)) return false;
    } else if (n == "cluster-announce-ip") {
      if (!one()) return fail("Bad directive or wrong number of arguments");
      o.announce_ip = d.args[0];
    } else if (n == "cluster-announce-hostname") {
      if (!one()) return fail("Bad directive or wrong number of arguments");
      const std::string why = AnnouncedHostnameError(d.args[0]);
      if (!why.empty()) return fail(why);
      o.announce_hostname = d.args[0];
    } else if (n == "cluster-preferred-endpoint-type") {
      if (!one()) return fail("Bad directive or wrong number of arguments");
      const std::string a = Lower(d.args[0]);
      if (a != "ip" && a != "hostname" && a != "unknown-endpoint")
        return fail("argument(s) must be one of the following: ip, hostname, unknown-endpoint");
      o.preferred_endpoint = a;
    } else if (n == "cluster-announce-port" || n == "cluster-announce-bus-port") {
      if (!integer(0, 65535, &v)) return false;
      if (v != 0)
        return fail("slotsim announces the ports it listens on; announcing others cannot be "
                    "honoured");
    } else if (n == "daemonize") {
      if (!yes_no(&b)) return false;
      if (b) return fail("daemonize yes cannot be honoured: run slotsim node under a supervisor");
    } else if (n == "tls-port" || n == "tls-cluster" || n == "tls-replication") {
      const bool off = d.args.size() == 1 && (d.args[0] == "0" || Lower(d.args[0]) == "no");
      if (!off) return fail("TLS is not supported by slotsim node");
    } else if (n == "loadmodule") {
      return fail("modules are not supported by slotsim node");
    } else if (n == "rename-command") {
      return fail("rename-command cannot be honoured by slotsim node");
    } else if (n == "replicaof") {
      return fail("replicaof does not apply in cluster mode (use CLUSTER REPLICATE)");
    } else if (!canonical.empty() || n == "user") {
      if (ignored_seen.insert(n).second) out->ignored.push_back(n);
    } else if (n.find('.') != std::string::npos) {
      return fail("module configs are not supported by slotsim node");
    } else {
      return fail("Bad directive or wrong number of arguments");
    }
  }
  if (!out->ignored.empty()) {
    std::string list;
    for (const auto& n : out->ignored) list += (list.empty() ? "" : ", ") + n;
    out->node.startup_notes.push_back("config directives with no effect in slotsim: " + list);
  }
  return true;
}

namespace {

// A value as redis.conf reads it back: double-quoted, with \\ \" and \xHH.
std::string Quote(const std::string& v) {
  std::string q = "\"";
  for (unsigned char c : v) {
    if (c == '"' || c == '\\') {
      q += '\\';
      q += static_cast<char>(c);
    } else if (c < 0x20 || c >= 0x7f) {
      char hex[5];
      std::snprintf(hex, sizeof hex, "\\x%02x", c);
      q += hex;
    } else {
      q += static_cast<char>(c);
    }
  }
  return q + "\"";
}

}  // namespace

std::string RewriteRedisConfText(std::string_view text,
                                 const std::vector<std::pair<std::string, std::string>>& settings) {
  std::map<std::string, std::string> pending(settings.begin(), settings.end());
  std::set<std::string> written;
  std::string out;
  size_t pos = 0;
  while (pos < text.size()) {
    size_t eol = text.find('\n', pos);
    if (eol == std::string_view::npos) eol = text.size();
    const std::string_view line = text.substr(pos, eol - pos);
    pos = eol + 1;
    std::vector<std::string> words;
    std::string name;
    if (SplitConfigLine(line, &words) && !words.empty() && words[0][0] != '#') {
      name = CanonicalConfigName(words[0]);
    }
    auto it = name.empty() ? pending.end() : pending.find(name);
    if (it == pending.end() && written.count(name) == 0) {
      out.append(line);
      out += '\n';
      continue;
    }
    if (it != pending.end()) {  // the first line of a set option takes its new value
      out += name + " " + Quote(it->second) + "\n";
      written.insert(name);
      pending.erase(it);
    }  // later lines of it are dropped: the last would win otherwise
  }
  for (const auto& [name, value] : settings)
    if (pending.count(name) != 0) {
      out += name + " " + Quote(value) + "\n";
      pending.erase(name);
    }
  return out;
}

std::string RewriteRedisConf(const std::string& path,
                             const std::vector<std::pair<std::string, std::string>>& settings) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return "cannot read " + path;
  std::ostringstream text;
  text << in.rdbuf();
  const std::string content = RewriteRedisConfText(text.str(), settings);
  // Temp file, then rename over the original (rewriteConfigOverwriteFile
  // writes in place; a rename cannot leave half a file behind).
  const std::string tmp = path + ".slotsim-rewrite";
  {
    std::ofstream f(tmp, std::ios::binary | std::ios::trunc);
    f << content;
    f.flush();
    if (!f) return "cannot write " + tmp;
  }
  if (std::rename(tmp.c_str(), path.c_str()) != 0) return "cannot rename " + tmp + " to " + path;
  return "";
}

}  // namespace slotsim
