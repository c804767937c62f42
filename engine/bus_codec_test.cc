#include "engine/bus_codec.h"
#include "engine/resp.h"

#include <gtest/gtest.h>

namespace slotsim {
namespace {

bus::BusMessage SamplePing() {
  bus::BusMessage m;
  auto* h = m.mutable_header();
  h->set_type(bus::PING);
  h->set_sender(std::string(40, 'a'));
  h->set_current_epoch(7);
  h->set_config_epoch(3);
  h->set_slots(std::string(kSlotBitmapBytes, '\x0f'));
  h->set_ip("127.0.0.1");
  h->set_port(7000);
  h->set_cport(17000);
  h->set_flags(1);
  for (int i = 0; i < 3; ++i) {
    auto* g = m.add_gossip();
    g->set_node_id(std::string(40, static_cast<char>('b' + i)));
    g->set_ip("127.0.0.1");
    g->set_port(7001 + i);
    g->set_cport(17001 + i);
    g->set_pong_received_ms(1000 * i);
  }
  return m;
}

TEST(BusCodec, RoundTripAcrossArbitrarySplits) {
  const auto msg = SamplePing();
  const std::string frame = EncodeBusFrame(msg);
  const std::string two = frame + frame;
  for (size_t cut = 0; cut <= two.size(); cut += 7) {
    BusFrameDecoder d;
    bus::BusMessage out;
    int got = 0;
    d.Feed(two.substr(0, cut));
    while (d.Next(&out) == BusDecodeStatus::kOk) ++got;
    d.Feed(two.substr(cut));
    while (d.Next(&out) == BusDecodeStatus::kOk) {
      ++got;
      EXPECT_EQ(out.SerializeAsString(), msg.SerializeAsString());
    }
    EXPECT_EQ(got, 2) << cut;
  }
}

// A link's buffer grows to the largest frame, then gives the memory back
// once drained: with N^2 links, kept buffers were most of a 200-node
// run's memory (issue 16).
TEST(BusCodec, ADrainedBufferGivesItsMemoryBack) {
  const std::string frame = EncodeBusFrame(SamplePing());
  ASSERT_GT(frame.size(), 2 * kParseBufferKeptBytes);
  BusFrameDecoder d;
  bus::BusMessage out;
  d.Feed(frame.substr(0, 100));
  EXPECT_EQ(d.Next(&out), BusDecodeStatus::kIncomplete);
  d.Feed(frame.substr(100));
  EXPECT_GE(d.buffer_capacity(), frame.size());
  ASSERT_EQ(d.Next(&out), BusDecodeStatus::kOk);
  EXPECT_EQ(d.Next(&out), BusDecodeStatus::kIncomplete);
  EXPECT_LE(d.buffer_capacity(), kParseBufferKeptBytes);
  // And the stream goes on.
  d.Feed(frame);
  EXPECT_EQ(d.Next(&out), BusDecodeStatus::kOk);
}

TEST(BusCodec, EncodingIsDeterministic) {
  EXPECT_EQ(EncodeBusFrame(SamplePing()), EncodeBusFrame(SamplePing()));
}

TEST(BusCodec, GarbledPayloadIsDroppedAndStreamContinues) {
  std::string frame = EncodeBusFrame(SamplePing());
  std::string bad = frame;
  bad[kBusFrameHeaderBytes + 10] ^= 0x55;  // flip bits in the payload
  BusFrameDecoder d;
  d.Feed(bad + frame);
  bus::BusMessage out;
  EXPECT_EQ(d.Next(&out), BusDecodeStatus::kDropped);
  EXPECT_EQ(d.drop_reason(), "payload checksum mismatch");
  EXPECT_EQ(d.Next(&out), BusDecodeStatus::kOk);
  EXPECT_EQ(d.Next(&out), BusDecodeStatus::kIncomplete);
}

TEST(BusCodec, BadMagicBreaksTheLink) {
  std::string frame = EncodeBusFrame(SamplePing());
  frame[0] = 'X';
  BusFrameDecoder d;
  d.Feed(frame);
  bus::BusMessage out;
  EXPECT_EQ(d.Next(&out), BusDecodeStatus::kBroken);
  EXPECT_EQ(d.Next(&out), BusDecodeStatus::kBroken);
}

TEST(BusCodec, OversizedLengthBreaksTheLink) {
  std::string frame = "SSmb";
  frame += std::string("\x7f\xff\xff\xff", 4);
  frame += std::string(4, '\0');
  BusFrameDecoder d;
  d.Feed(frame);
  bus::BusMessage out;
  EXPECT_EQ(d.Next(&out), BusDecodeStatus::kBroken);
}

TEST(BusCodec, ValidationRejectsBadFields) {
  auto m = SamplePing();
  EXPECT_EQ(ValidateBusMessage(m), "");
  m.mutable_header()->set_sender("short");
  EXPECT_EQ(ValidateBusMessage(m), "bad sender id");
  m = SamplePing();
  m.mutable_header()->set_slots("abc");
  EXPECT_EQ(ValidateBusMessage(m), "bad slot bitmap size");
  m = SamplePing();
  m.mutable_gossip(1)->set_port(70000);
  EXPECT_EQ(ValidateBusMessage(m), "bad gossip port");
  m = SamplePing();
  m.mutable_header()->set_sender(std::string(40, 'A'));  // uppercase hex
  EXPECT_EQ(ValidateBusMessage(m), "bad sender id");
}

TEST(BusCodec, ValidButSemanticallyBadFrameIsDropped) {
  auto m = SamplePing();
  m.mutable_header()->set_port(99999);
  BusFrameDecoder d;
  d.Feed(EncodeBusFrame(m));
  bus::BusMessage out;
  EXPECT_EQ(d.Next(&out), BusDecodeStatus::kDropped);
  EXPECT_EQ(d.drop_reason(), "bad port");
}

}  // namespace
}  // namespace slotsim
