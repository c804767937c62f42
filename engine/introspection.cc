#include "engine/introspection.h"

#include <cctype>

#include "engine/commands.h"
#include "engine/resp.h"
#include "engine/text.h"

namespace slotsim {
namespace {

// The flags COMMAND reports. Clients use "readonly" and "write" (redis-py
// routes read-only commands to replicas when asked to).
void AppendFlags(const CommandSpec& c, std::string* out) {
  std::vector<const char*> flags;
  if (c.flags & kCmdWrite) flags.push_back("write");
  if (c.flags & kCmdReadOnly) flags.push_back("readonly");
  if (c.flags & kCmdAsking) flags.push_back("asking");
  resp::AppendArrayHeader(out, static_cast<int64_t>(flags.size()));
  for (const char* f : flags) resp::AppendSimple(out, f);
}

// One entry of COMMAND's reply: name, arity, flags, first key, last key,
// step, ACL categories, tips, key specs, subcommands (Redis 7's ten).
void AppendEntry(const CommandSpec& c, std::string* out) {
  resp::AppendArrayHeader(out, 10);
  resp::AppendBulk(out, c.name);
  resp::AppendInteger(out, c.arity);
  AppendFlags(c, out);
  resp::AppendInteger(out, c.first_key);
  resp::AppendInteger(out, c.last_key);
  resp::AppendInteger(out, c.key_step);
  for (int i = 0; i < 4; ++i) resp::AppendArrayHeader(out, 0);
}

}  // namespace

bool GlobMatch(std::string_view p, std::string_view s, bool nocase) {
  auto eq = [&](char a, char b) {
    return nocase ? std::tolower(static_cast<unsigned char>(a)) ==
                        std::tolower(static_cast<unsigned char>(b))
                  : a == b;
  };
  size_t pi = 0, si = 0, star_p = std::string_view::npos, star_s = 0;
  // Backtracking on the last '*' only: linear in |p| * |s| at worst.
  while (si < s.size()) {
    if (pi < p.size() && p[pi] == '*') {
      star_p = pi++;
      star_s = si;
      continue;
    }
    if (pi < p.size() && p[pi] == '[') {
      size_t j = pi + 1;
      const bool negate = j < p.size() && p[j] == '^';
      if (negate) ++j;
      bool match = false;
      // Bounded by the pattern's length.
      for (; j < p.size() && p[j] != ']'; ++j) {
        if (p[j] == '\\' && j + 1 < p.size()) {
          match = match || eq(p[++j], s[si]);
        } else if (j + 2 < p.size() && p[j + 1] == '-' && p[j + 2] != ']') {
          char lo = p[j], hi = p[j + 2];
          if (lo > hi) std::swap(lo, hi);
          const char c = nocase ? static_cast<char>(std::tolower(static_cast<unsigned char>(s[si]))) : s[si];
          match = match || (c >= lo && c <= hi);
          j += 2;
        } else {
          match = match || eq(p[j], s[si]);
        }
      }
      if (j < p.size() && match != negate) {
        pi = j + 1;
        ++si;
        continue;
      }
    } else if (pi < p.size() && (p[pi] == '?' || (p[pi] == '\\' && pi + 1 < p.size() && eq(p[pi + 1], s[si])) ||
                                 (p[pi] != '\\' && eq(p[pi], s[si])))) {
      pi += p[pi] == '\\' ? 2 : 1;
      ++si;
      continue;
    }
    if (star_p == std::string_view::npos) return false;
    pi = star_p + 1;
    si = ++star_s;
  }
  while (pi < p.size() && p[pi] == '*') ++pi;
  return pi == p.size();
}

void CommandCommand(const std::vector<std::string>& argv, std::string* out) {
  const auto& all = AllCommands();
  if (argv.size() == 1) {
    resp::AppendArrayHeader(out, static_cast<int64_t>(all.size()));
    for (const auto& c : all) AppendEntry(c, out);
    return;
  }
  const std::string sub = Lower(argv[1]);
  if (sub == "count" && argv.size() == 2) {
    resp::AppendInteger(out, static_cast<int64_t>(all.size()));
  } else if (sub == "info") {
    resp::AppendArrayHeader(out, static_cast<int64_t>(argv.size() - 2));
    for (size_t i = 2; i < argv.size(); ++i) {
      const CommandSpec* c = LookupCommand(argv[i]);
      if (c) AppendEntry(*c, out);
      else resp::AppendNullArray(out);
    }
  } else if (sub == "docs") {
    // Documentation is optional for clients (redis-cli's hints): none.
    resp::AppendArrayHeader(out, 0);
  } else if (sub == "list" && argv.size() == 2) {
    resp::AppendArrayHeader(out, static_cast<int64_t>(all.size()));
    for (const auto& c : all) resp::AppendBulk(out, c.name);
  } else {
    resp::AppendError(out, "ERR unknown subcommand or wrong number of arguments for '" +
                               argv[1].substr(0, 128) + "'. Try COMMAND HELP.");
  }
}

}  // namespace slotsim
