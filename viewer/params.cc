#include "viewer/params.h"

#include <charconv>

#include "viewer/api_error.h"

namespace slotsim::viewer {
namespace {

// Longer values are refused before any parsing.
constexpr size_t kMaxParamBytes = 4096;
constexpr size_t kMaxParams = 32;

}  // namespace

std::optional<int64_t> ParseInt(const std::string& text) {
  int64_t v = 0;
  const char* end = text.data() + text.size();
  auto [p, ec] = std::from_chars(text.data(), end, v);
  if (text.empty() || ec != std::errc() || p != end) return std::nullopt;
  return v;
}

Params::Params(const std::vector<std::pair<std::string, std::string>>& raw) {
  if (raw.size() > kMaxParams)
    throw ApiError(400, "too many query parameters (at most " + std::to_string(kMaxParams) + ")");
  for (const auto& [name, value] : raw) {
    if (value.size() > kMaxParamBytes)
      throw ApiError(400, "parameter '" + name + "' is longer than " +
                              std::to_string(kMaxParamBytes) + " bytes");
    if (!values_.emplace(name, value).second)
      throw ApiError(400, "parameter '" + name + "' is given more than once");
  }
}

void Params::AllowOnly(std::initializer_list<const char*> allowed) const {
  for (const auto& [name, value] : values_) {
    bool ok = false;
    for (const char* a : allowed) ok = ok || name == a;
    if (!ok) {
      std::string list;
      for (const char* a : allowed) list += std::string(list.empty() ? "" : ", ") + a;
      throw ApiError(400, "unknown parameter '" + name + "'" +
                              (list.empty() ? " (this endpoint takes none)"
                                            : " (this endpoint takes: " + list + ")"));
    }
  }
}

std::optional<int64_t> Params::OptionalInt(const std::string& name, int64_t min,
                                           int64_t max) const {
  auto it = values_.find(name);
  if (it == values_.end()) return std::nullopt;
  const auto v = ParseInt(it->second);
  if (!v)
    throw ApiError(400, "parameter '" + name + "' must be an integer, not '" + it->second + "'");
  if (*v < min || *v > max)
    throw ApiError(400, "parameter '" + name + "' must be in [" + std::to_string(min) + ", " +
                            std::to_string(max) + "], not " + it->second);
  return v;
}

int64_t Params::Int(const std::string& name, int64_t fallback, int64_t min, int64_t max) const {
  return OptionalInt(name, min, max).value_or(fallback);
}

std::string Params::Text(const std::string& name, size_t max_len) const {
  auto it = values_.find(name);
  if (it == values_.end()) return "";
  if (it->second.size() > max_len)
    throw ApiError(400, "parameter '" + name + "' is longer than " + std::to_string(max_len) +
                            " bytes");
  return it->second;
}

std::string Params::OneOf(const std::string& name, const std::string& fallback,
                          std::initializer_list<const char*> choices) const {
  auto it = values_.find(name);
  if (it == values_.end()) return fallback;
  std::string list;
  for (const char* c : choices) {
    if (it->second == c) return it->second;
    list += std::string(list.empty() ? "" : ", ") + c;
  }
  throw ApiError(400, "parameter '" + name + "' must be one of " + list + ", not '" +
                          it->second + "'");
}

std::vector<std::string> Params::List(const std::string& name, size_t max_items) const {
  std::vector<std::string> out;
  auto it = values_.find(name);
  if (it == values_.end() || it->second.empty()) return out;
  size_t start = 0;
  // Bounded by the value's length (kMaxParamBytes).
  for (;;) {
    const size_t comma = it->second.find(',', start);
    out.push_back(it->second.substr(start, comma - start));
    if (out.back().empty()) throw ApiError(400, "parameter '" + name + "' has an empty item");
    if (out.size() > max_items)
      throw ApiError(400, "parameter '" + name + "' has more than " +
                              std::to_string(max_items) + " items");
    if (comma == std::string::npos) return out;
    start = comma + 1;
  }
}

std::vector<int64_t> Params::IntList(const std::string& name, size_t max_items, int64_t min,
                                     int64_t max) const {
  std::vector<int64_t> out;
  for (const auto& item : List(name, max_items)) {
    const auto v = ParseInt(item);
    if (!v || *v < min || *v > max)
      throw ApiError(400, "parameter '" + name + "': '" + item + "' is not an integer in [" +
                              std::to_string(min) + ", " + std::to_string(max) + "]");
    out.push_back(*v);
  }
  return out;
}

std::string Params::Canonical() const {
  std::string out;
  for (const auto& [name, value] : values_) {
    // Length-prefixed, so that no value can imitate another parameter.
    out += std::to_string(name.size()) + ':' + name + std::to_string(value.size()) + ':' + value;
  }
  return out;
}

}  // namespace slotsim::viewer
