// RESP2: the Redis wire protocol, for requests (server side) and replies
// (client side). The same parser serves simulated and real connections.
//
// Limits and error texts follow Redis's networking.c
// (processMultibulkBuffer, processInlineBuffer) so clients see the errors
// they would see from Redis.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace slotsim {

enum class ParseStatus { kOk, kIncomplete, kError };

// Appends `bytes` to a parse buffer whose first *pos bytes are consumed,
// dropping the consumed prefix once it is all of the buffer or large, so
// each byte is moved O(1) times amortized. Shared by every stream parser.
void AppendToParseBuffer(std::string* buf, size_t* pos, std::string_view bytes);
// Once every byte of a parse buffer is consumed, gives back its memory if
// it grew past kParseBufferKeptBytes, so an idle connection holds next to
// nothing (Redis's clusterReadHandler shrinks a link's buffer back to
// RCVBUF_INIT_LEN after each message). Every parser calls it on Next.
inline constexpr size_t kParseBufferKeptBytes = 1024;
void ReleaseDrainedParseBuffer(std::string* buf, size_t* pos);

struct RespLimits {
  // PROTO_INLINE_MAX_SIZE: an inline request or a count line longer than
  // this without a newline is a protocol error.
  size_t inline_bytes_max = 64 * 1024;
  // Redis accepts up to INT_MAX arguments; we cap lower so a hostile peer
  // cannot make us reserve gigabytes.
  int64_t array_elements_max = 1024 * 1024;
  // proto-max-bulk-len.
  int64_t bulk_bytes_max = 512LL * 1024 * 1024;
  // Nesting depth of replies (client side only).
  int depth_max = 16;
};

// Parses client requests: RESP arrays of bulk strings, or inline commands.
class RequestParser {
 public:
  explicit RequestParser(RespLimits limits = {}) : limits_(limits) {}

  // Appends received bytes.
  void Feed(std::string_view bytes);
  // Extracts the next complete request into *argv (replacing its contents).
  // kIncomplete: more bytes are needed, nothing consumed for the partial
  // request. kError: error() holds the Redis error text (without "ERR "),
  // and the connection must be closed; further calls keep returning kError.
  // Empty requests (a bare newline, "*0") are skipped, never returned.
  ParseStatus Next(std::vector<std::string>* argv);
  const std::string& error() const { return error_; }
  // Bytes buffered but not yet consumed.
  size_t buffered() const { return buf_.size() - pos_; }

 private:
  ParseStatus ParseInline(std::vector<std::string>* argv);
  ParseStatus ParseMultibulk(std::vector<std::string>* argv);
  ParseStatus Fail(std::string msg);

  RespLimits limits_;
  std::string buf_;
  size_t pos_ = 0;
  std::string error_;
};

// One RESP2 reply value.
struct RespValue {
  enum class Type { kSimple, kError, kInteger, kBulk, kNullBulk, kArray,
                    kNullArray };
  Type type = Type::kNullBulk;
  std::string str;        // kSimple, kError, kBulk
  int64_t integer = 0;    // kInteger
  std::vector<RespValue> elements;  // kArray

  bool IsError() const { return type == Type::kError; }
  bool IsNull() const {
    return type == Type::kNullBulk || type == Type::kNullArray;
  }
  // Human-readable rendering for traces and tests, like redis-cli's.
  std::string ToString() const;
};

// Parses server replies (client side).
class ReplyParser {
 public:
  explicit ReplyParser(RespLimits limits = {}) : limits_(limits) {}
  void Feed(std::string_view bytes);
  // Same contract as RequestParser::Next.
  ParseStatus Next(RespValue* out);
  const std::string& error() const { return error_; }
  // Bytes buffered but not yet consumed.
  size_t buffered() const { return buf_.size() - pos_; }

 private:
  // Parses one value starting at *pos; advances *pos past it on kOk.
  ParseStatus ParseValue(size_t* pos, int depth, RespValue* out);
  ParseStatus Fail(std::string msg);

  RespLimits limits_;
  std::string buf_;
  size_t pos_ = 0;
  std::string error_;
};

// Serializers: append one RESP2 value to *out.
namespace resp {
void AppendSimple(std::string* out, std::string_view s);
void AppendError(std::string* out, std::string_view msg);  // msg w/o '-'
void AppendInteger(std::string* out, int64_t v);
void AppendBulk(std::string* out, std::string_view s);
void AppendNullBulk(std::string* out);
void AppendArrayHeader(std::string* out, int64_t n);
void AppendNullArray(std::string* out);
// A request as a RESP array of bulk strings.
std::string EncodeCommand(const std::vector<std::string>& argv);
// Any value (used by tests and by replies built as RespValue).
void AppendValue(std::string* out, const RespValue& v);
}  // namespace resp

}  // namespace slotsim
