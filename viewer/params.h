// A request's query parameters, checked. Each endpoint names the
// parameters it accepts; anything else, a repeated name, a number out of
// range or a value not in a fixed set is the client's error (400).
#pragma once

#include <cstdint>
#include <initializer_list>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace slotsim::viewer {

class Params {
 public:
  // `raw` holds each (name, value) as received, in order.
  explicit Params(const std::vector<std::pair<std::string, std::string>>& raw);

  // Throws ApiError 400 naming the first parameter not in `allowed`.
  void AllowOnly(std::initializer_list<const char*> allowed) const;

  bool Has(const std::string& name) const { return values_.count(name) > 0; }
  // An integer in [min, max]; `fallback` when absent.
  int64_t Int(const std::string& name, int64_t fallback, int64_t min, int64_t max) const;
  std::optional<int64_t> OptionalInt(const std::string& name, int64_t min, int64_t max) const;
  // Text of at most `max_len` bytes; "" when absent.
  std::string Text(const std::string& name, size_t max_len) const;
  // One of `choices`; `fallback` when absent.
  std::string OneOf(const std::string& name, const std::string& fallback,
                    std::initializer_list<const char*> choices) const;
  // A comma-separated list of at most `max_items` items; empty when absent.
  std::vector<std::string> List(const std::string& name, size_t max_items) const;
  std::vector<int64_t> IntList(const std::string& name, size_t max_items, int64_t min,
                               int64_t max) const;

  // The parameters in name order, unambiguously: a cache key.
  std::string Canonical() const;

 private:
  std::map<std::string, std::string> values_;
};

// Parses a whole decimal integer (optional leading '-'); nullopt otherwise.
std::optional<int64_t> ParseInt(const std::string& text);

}  // namespace slotsim::viewer
