#include "engine/resp.h"

#include <charconv>

#include "engine/check.h"

namespace slotsim {
namespace {

// Parses a signed decimal integer occupying all of `s` (string2ll).
bool ParseInt64(std::string_view s, int64_t* out) {
  if (s.empty() || s.size() > 20) return false;
  const char* first = s.data();
  if (*first == '+') return false;
  auto [ptr, ec] = std::from_chars(first, s.data() + s.size(), *out);
  return ec == std::errc() && ptr == s.data() + s.size();
}

int HexDigit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// sdssplitargs: whitespace-separated words, "double quotes" with C
// escapes, 'single quotes' with \' only. False on unbalanced quotes or a
// closing quote not followed by a space.
bool SplitInlineArgs(std::string_view line, std::vector<std::string>* argv) {
  argv->clear();
  size_t i = 0;
  const size_t n = line.size();
  auto is_space = [](char c) {
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' ||
           c == '\f';
  };
  while (true) {
    while (i < n && is_space(line[i])) ++i;
    if (i >= n) return true;
    std::string cur;
    bool in_dq = false, in_sq = false, done = false;
    while (!done) {
      if (in_dq) {
        if (i >= n) return false;
        char c = line[i];
        if (c == '\\' && i + 3 < n && line[i + 1] == 'x' &&
            HexDigit(line[i + 2]) >= 0 && HexDigit(line[i + 3]) >= 0) {
          cur.push_back(static_cast<char>(HexDigit(line[i + 2]) * 16 +
                                          HexDigit(line[i + 3])));
          i += 3;
        } else if (c == '\\' && i + 1 < n) {
          char e = line[++i];
          switch (e) {
            case 'n': cur.push_back('\n'); break;
            case 'r': cur.push_back('\r'); break;
            case 't': cur.push_back('\t'); break;
            case 'b': cur.push_back('\b'); break;
            case 'a': cur.push_back('\a'); break;
            default: cur.push_back(e); break;
          }
        } else if (c == '"') {
          if (i + 1 < n && !is_space(line[i + 1])) return false;
          done = true;
        } else {
          cur.push_back(c);
        }
      } else if (in_sq) {
        if (i >= n) return false;
        char c = line[i];
        if (c == '\\' && i + 1 < n && line[i + 1] == '\'') {
          cur.push_back('\'');
          ++i;
        } else if (c == '\'') {
          if (i + 1 < n && !is_space(line[i + 1])) return false;
          done = true;
        } else {
          cur.push_back(c);
        }
      } else {
        if (i >= n) { done = true; break; }
        char c = line[i];
        if (is_space(c)) {
          done = true;
        } else if (c == '"') {
          in_dq = true;
        } else if (c == '\'') {
          in_sq = true;
        } else {
          cur.push_back(c);
        }
      }
      if (i < n) ++i;
    }
    argv->push_back(std::move(cur));
  }
}

}  // namespace

// ---- RequestParser ---------------------------------------------------------

void AppendToParseBuffer(std::string* buf, size_t* pos, std::string_view bytes) {
  if (*pos > 0 && (*pos == buf->size() || *pos > 64 * 1024)) {
    buf->erase(0, *pos);
    *pos = 0;
  }
  buf->append(bytes);
}

void ReleaseDrainedParseBuffer(std::string* buf, size_t* pos) {
  if (*pos < buf->size() || buf->capacity() <= kParseBufferKeptBytes) return;
  std::string().swap(*buf);
  *pos = 0;
}

void RequestParser::Feed(std::string_view bytes) {
  AppendToParseBuffer(&buf_, &pos_, bytes);
}

ParseStatus RequestParser::Fail(std::string msg) {
  error_ = std::move(msg);
  return ParseStatus::kError;
}

ParseStatus RequestParser::Next(std::vector<std::string>* argv) {
  if (!error_.empty()) return ParseStatus::kError;
  ReleaseDrainedParseBuffer(&buf_, &pos_);
  // Skips empty requests; each iteration consumes input, so the loop is
  // bounded by the buffer size.
  while (pos_ < buf_.size()) {
    ParseStatus st = buf_[pos_] == '*' ? ParseMultibulk(argv)
                                       : ParseInline(argv);
    if (st != ParseStatus::kOk) return st;
    if (!argv->empty()) return ParseStatus::kOk;
  }
  return ParseStatus::kIncomplete;
}

ParseStatus RequestParser::ParseInline(std::vector<std::string>* argv) {
  size_t nl = buf_.find('\n', pos_);
  if (nl == std::string::npos) {
    if (buf_.size() - pos_ > limits_.inline_bytes_max)
      return Fail("Protocol error: too big inline request");
    return ParseStatus::kIncomplete;
  }
  std::string_view line(buf_.data() + pos_, nl - pos_);
  if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
  if (!SplitInlineArgs(line, argv))
    return Fail("Protocol error: unbalanced quotes in request");
  pos_ = nl + 1;
  return ParseStatus::kOk;
}

ParseStatus RequestParser::ParseMultibulk(std::vector<std::string>* argv) {
  size_t p = pos_;
  size_t cr = buf_.find('\r', p);
  if (cr == std::string::npos || cr + 1 >= buf_.size()) {
    if (buf_.size() - p > limits_.inline_bytes_max)
      return Fail("Protocol error: too big mbulk count string");
    return ParseStatus::kIncomplete;
  }
  int64_t count;
  if (!ParseInt64(std::string_view(buf_).substr(p + 1, cr - p - 1), &count) ||
      count > limits_.array_elements_max)
    return Fail("Protocol error: invalid multibulk length");
  p = cr + 2;
  argv->clear();
  if (count <= 0) {
    pos_ = p;
    return ParseStatus::kOk;  // empty request, skipped by Next()
  }
  argv->reserve(static_cast<size_t>(std::min<int64_t>(count, 1024)));
  for (int64_t i = 0; i < count; ++i) {
    if (p >= buf_.size()) return ParseStatus::kIncomplete;
    cr = buf_.find('\r', p);
    if (cr == std::string::npos || cr + 1 >= buf_.size()) {
      if (buf_.size() - p > limits_.inline_bytes_max)
        return Fail("Protocol error: too big bulk count string");
      return ParseStatus::kIncomplete;
    }
    if (buf_[p] != '$')
      return Fail(std::string("Protocol error: expected '$', got '") +
                  buf_[p] + "'");
    int64_t len;
    if (!ParseInt64(std::string_view(buf_).substr(p + 1, cr - p - 1), &len) ||
        len < 0 || len > limits_.bulk_bytes_max)
      return Fail("Protocol error: invalid bulk length");
    p = cr + 2;
    // Redis skips the two bytes after the payload without checking them.
    if (buf_.size() - p < static_cast<size_t>(len) + 2)
      return ParseStatus::kIncomplete;
    argv->emplace_back(buf_, p, static_cast<size_t>(len));
    p += static_cast<size_t>(len) + 2;
  }
  pos_ = p;
  return ParseStatus::kOk;
}

// ---- ReplyParser -----------------------------------------------------------

void ReplyParser::Feed(std::string_view bytes) {
  AppendToParseBuffer(&buf_, &pos_, bytes);
}

ParseStatus ReplyParser::Fail(std::string msg) {
  error_ = std::move(msg);
  return ParseStatus::kError;
}

ParseStatus ReplyParser::Next(RespValue* out) {
  if (!error_.empty()) return ParseStatus::kError;
  ReleaseDrainedParseBuffer(&buf_, &pos_);
  if (pos_ >= buf_.size()) return ParseStatus::kIncomplete;
  size_t p = pos_;
  ParseStatus st = ParseValue(&p, 0, out);
  if (st == ParseStatus::kOk) pos_ = p;
  return st;
}

ParseStatus ReplyParser::ParseValue(size_t* pos, int depth, RespValue* out) {
  if (depth > limits_.depth_max) return Fail("reply nested too deeply");
  size_t p = *pos;
  if (p >= buf_.size()) return ParseStatus::kIncomplete;
  size_t cr = buf_.find("\r\n", p);
  if (cr == std::string::npos) {
    if (buf_.size() - p > limits_.inline_bytes_max)
      return Fail("reply line too long");
    return ParseStatus::kIncomplete;
  }
  char type = buf_[p];
  std::string_view line(buf_.data() + p + 1, cr - p - 1);
  size_t next = cr + 2;
  out->elements.clear();
  out->str.clear();
  switch (type) {
    case '+':
    case '-':
      out->type = type == '+' ? RespValue::Type::kSimple
                              : RespValue::Type::kError;
      out->str.assign(line);
      break;
    case ':':
      out->type = RespValue::Type::kInteger;
      if (!ParseInt64(line, &out->integer)) return Fail("bad integer reply");
      break;
    case '$': {
      int64_t len;
      if (!ParseInt64(line, &len) || len < -1 || len > limits_.bulk_bytes_max)
        return Fail("bad bulk length in reply");
      if (len == -1) {
        out->type = RespValue::Type::kNullBulk;
        break;
      }
      if (buf_.size() - next < static_cast<size_t>(len) + 2)
        return ParseStatus::kIncomplete;
      if (buf_.compare(next + len, 2, "\r\n") != 0)
        return Fail("bulk reply not terminated by CRLF");
      out->type = RespValue::Type::kBulk;
      out->str.assign(buf_, next, static_cast<size_t>(len));
      next += static_cast<size_t>(len) + 2;
      break;
    }
    case '*': {
      int64_t n;
      if (!ParseInt64(line, &n) || n < -1 || n > limits_.array_elements_max)
        return Fail("bad array length in reply");
      if (n == -1) {
        out->type = RespValue::Type::kNullArray;
        break;
      }
      out->type = RespValue::Type::kArray;
      out->elements.resize(static_cast<size_t>(n));
      for (int64_t i = 0; i < n; ++i) {
        ParseStatus st = ParseValue(&next, depth + 1, &out->elements[i]);
        if (st != ParseStatus::kOk) return st;
      }
      break;
    }
    default:
      return Fail(std::string("unknown reply type byte '") + type + "'");
  }
  *pos = next;
  return ParseStatus::kOk;
}

std::string RespValue::ToString() const {
  switch (type) {
    case Type::kSimple: return str;
    case Type::kError: return "(error) " + str;
    case Type::kInteger: return "(integer) " + std::to_string(integer);
    case Type::kBulk: return "\"" + str + "\"";
    case Type::kNullBulk:
    case Type::kNullArray: return "(nil)";
    case Type::kArray: {
      std::string s = "[";
      for (size_t i = 0; i < elements.size(); ++i) {
        if (i) s += ", ";
        s += elements[i].ToString();
      }
      return s + "]";
    }
  }
  return "?";
}

// ---- Serializers -----------------------------------------------------------

namespace resp {

void AppendSimple(std::string* out, std::string_view s) {
  out->push_back('+');
  out->append(s);
  out->append("\r\n");
}

void AppendError(std::string* out, std::string_view msg) {
  out->push_back('-');
  // An error line cannot carry CR or LF; Redis replaces them with spaces
  // (addReplyErrorLength).
  for (char c : msg) out->push_back(c == '\r' || c == '\n' ? ' ' : c);
  out->append("\r\n");
}

void AppendInteger(std::string* out, int64_t v) {
  out->push_back(':');
  out->append(std::to_string(v));
  out->append("\r\n");
}

void AppendBulk(std::string* out, std::string_view s) {
  out->push_back('$');
  out->append(std::to_string(s.size()));
  out->append("\r\n");
  out->append(s);
  out->append("\r\n");
}

void AppendNullBulk(std::string* out) { out->append("$-1\r\n"); }

void AppendArrayHeader(std::string* out, int64_t n) {
  out->push_back('*');
  out->append(std::to_string(n));
  out->append("\r\n");
}

void AppendNullArray(std::string* out) { out->append("*-1\r\n"); }

std::string EncodeCommand(const std::vector<std::string>& argv) {
  std::string out;
  AppendArrayHeader(&out, static_cast<int64_t>(argv.size()));
  for (const auto& a : argv) AppendBulk(&out, a);
  return out;
}

void AppendValue(std::string* out, const RespValue& v) {
  switch (v.type) {
    case RespValue::Type::kSimple: AppendSimple(out, v.str); break;
    case RespValue::Type::kError: AppendError(out, v.str); break;
    case RespValue::Type::kInteger: AppendInteger(out, v.integer); break;
    case RespValue::Type::kBulk: AppendBulk(out, v.str); break;
    case RespValue::Type::kNullBulk: AppendNullBulk(out); break;
    case RespValue::Type::kNullArray: AppendNullArray(out); break;
    case RespValue::Type::kArray:
      AppendArrayHeader(out, static_cast<int64_t>(v.elements.size()));
      for (const auto& e : v.elements) AppendValue(out, e);
      break;
  }
}

}  // namespace resp
}  // namespace slotsim
