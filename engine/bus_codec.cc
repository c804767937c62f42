#include "engine/bus_codec.h"

#include <google/protobuf/io/coded_stream.h>
#include <google/protobuf/io/zero_copy_stream_impl_lite.h>

#include "engine/check.h"
#include "engine/config_command.h"
#include "engine/crc32.h"
#include "engine/resp.h"

namespace slotsim {
namespace {

constexpr char kMagic[4] = {'S', 'S', 'm', 'b'};

void PutU32(std::string* out, uint32_t v) {
  out->push_back(static_cast<char>(v >> 24));
  out->push_back(static_cast<char>(v >> 16));
  out->push_back(static_cast<char>(v >> 8));
  out->push_back(static_cast<char>(v));
}

uint32_t GetU32(const char* p) {
  auto b = reinterpret_cast<const unsigned char*>(p);
  return (uint32_t{b[0]} << 24) | (uint32_t{b[1]} << 16) |
         (uint32_t{b[2]} << 8) | uint32_t{b[3]};
}

}  // namespace

std::string EncodeBusFrame(const bus::BusMessage& msg) {
  std::string payload;
  {
    google::protobuf::io::StringOutputStream sos(&payload);
    google::protobuf::io::CodedOutputStream cos(&sos);
    cos.SetSerializationDeterministic(true);
    SLOTSIM_CHECK(msg.SerializeToCodedStream(&cos));
  }
  SLOTSIM_CHECK(payload.size() <= kBusFrameBytesMax);
  std::string frame(kMagic, 4);
  PutU32(&frame, static_cast<uint32_t>(payload.size()));
  PutU32(&frame, Crc32(payload));
  frame += payload;
  return frame;
}

void BusFrameDecoder::Feed(std::string_view bytes) {
  AppendToParseBuffer(&buf_, &pos_, bytes);
}

BusDecodeStatus BusFrameDecoder::Next(bus::BusMessage* out) {
  if (broken_) return BusDecodeStatus::kBroken;
  ReleaseDrainedParseBuffer(&buf_, &pos_);
  if (buf_.size() - pos_ < kBusFrameHeaderBytes)
    return BusDecodeStatus::kIncomplete;
  const char* h = buf_.data() + pos_;
  uint32_t len = GetU32(h + 4);
  if (std::string_view(h, 4) != std::string_view(kMagic, 4) ||
      len > kBusFrameBytesMax) {
    broken_ = true;
    drop_reason_ = "bad frame magic or length";
    return BusDecodeStatus::kBroken;
  }
  if (buf_.size() - pos_ - kBusFrameHeaderBytes < len)
    return BusDecodeStatus::kIncomplete;
  std::string_view payload(h + kBusFrameHeaderBytes, len);
  uint32_t crc = GetU32(h + 8);
  pos_ += kBusFrameHeaderBytes + len;
  if (Crc32(payload) != crc) {
    drop_reason_ = "payload checksum mismatch";
    return BusDecodeStatus::kDropped;
  }
  if (!out->ParseFromArray(payload.data(), static_cast<int>(payload.size()))) {
    drop_reason_ = "payload does not parse";
    return BusDecodeStatus::kDropped;
  }
  std::string why = ValidateBusMessage(*out);
  if (!why.empty()) {
    drop_reason_ = why;
    return BusDecodeStatus::kDropped;
  }
  return BusDecodeStatus::kOk;
}

bool IsValidNodeName(std::string_view name) {
  if (name.size() != 40) return false;
  for (char c : name)
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  return true;
}

std::string ValidateBusMessage(const bus::BusMessage& msg) {
  if (!msg.has_header()) return "no header";
  const auto& h = msg.header();
  if (!bus::MessageType_IsValid(h.type())) return "unknown message type";
  if (!IsValidNodeName(h.sender())) return "bad sender id";
  if (!h.slots().empty() && h.slots().size() != kSlotBitmapBytes)
    return "bad slot bitmap size";
  if (!h.primary_id().empty() && !IsValidNodeName(h.primary_id()))
    return "bad primary id";
  if (h.port() > 65535 || h.cport() > 65535) return "bad port";
  if (h.ip().size() > 64) return "bad ip";
  // Bounded, and only characters a nodes.conf line and CLUSTER NODES can
  // carry: the receiver stores it as the sender's hostname.
  if (!AnnouncedHostnameError(h.hostname()).empty()) return "bad hostname";
  if (msg.gossip_size() > kBusGossipEntriesMax) return "too many gossip entries";
  for (const auto& g : msg.gossip()) {
    if (!IsValidNodeName(g.node_id())) return "bad gossip node id";
    if (g.port() > 65535 || g.cport() > 65535) return "bad gossip port";
    if (g.ip().size() > 64) return "bad gossip ip";
  }
  if (msg.has_fail() && !IsValidNodeName(msg.fail().node_id()))
    return "bad FAIL node id";
  if (msg.has_update()) {
    if (!IsValidNodeName(msg.update().node_id())) return "bad UPDATE node id";
    if (msg.update().slots().size() != kSlotBitmapBytes)
      return "bad UPDATE slot bitmap";
  }
  return "";
}

}  // namespace slotsim
