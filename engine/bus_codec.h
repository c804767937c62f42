// Framing of cluster bus messages on a byte stream.
//
// Frame: "SSmb" (4 bytes) | payload length (u32, big endian) |
//        CRC-32 of payload (u32, big endian) | payload (BusMessage).
// Redis frames with "RCmb" and a total length; we add the CRC so that a
// garbled payload is detected even when it still parses as Protobuf.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "engine/proto/cluster_bus.pb.h"

namespace slotsim {

constexpr size_t kBusFrameHeaderBytes = 12;
// Largest payload accepted: far above a PING for thousands of nodes.
constexpr uint32_t kBusFrameBytesMax = 1 << 20;
constexpr int kBusGossipEntriesMax = 4096;
constexpr size_t kSlotBitmapBytes = 16384 / 8;

// Serializes `msg` deterministically and frames it.
std::string EncodeBusFrame(const bus::BusMessage& msg);

enum class BusDecodeStatus {
  kOk,          // *out holds a valid message
  kIncomplete,  // need more bytes
  kDropped,     // one frame was garbled or invalid; it was skipped, the
                // stream stays usable (drop_reason() says why)
  kBroken,      // framing lost (bad magic or length): close the link
};

class BusFrameDecoder {
 public:
  void Feed(std::string_view bytes);
  BusDecodeStatus Next(bus::BusMessage* out);
  const std::string& drop_reason() const { return drop_reason_; }
  // Memory the buffer holds: at most kParseBufferKeptBytes once drained.
  size_t buffer_capacity() const { return buf_.capacity(); }

 private:
  std::string buf_;
  size_t pos_ = 0;
  std::string drop_reason_;
  bool broken_ = false;
};

// Semantic checks on a decoded message from an untrusted peer: node ids are
// 40 hex chars, bitmaps are 2048 bytes, ports fit, sizes are bounded.
// Returns an empty string if valid, else the reason.
std::string ValidateBusMessage(const bus::BusMessage& msg);

bool IsValidNodeName(std::string_view name);

}  // namespace slotsim
