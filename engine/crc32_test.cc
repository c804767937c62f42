#include "engine/crc32.h"

#include <gtest/gtest.h>

#include <string>

namespace slotsim {
namespace {

// The definition, one bit at a time: the oracle for the sliced tables.
uint32_t BitwiseCrc32(std::string_view data) {
  uint32_t c = 0xFFFFFFFFu;
  for (unsigned char b : data) {
    c ^= b;
    for (int k = 0; k < 8; ++k) c = (c & 1) ? 0xEDB88320u ^ (c >> 1) : c >> 1;
  }
  return c ^ 0xFFFFFFFFu;
}

TEST(Crc32, MatchesTheStandardCheckValue) {
  EXPECT_EQ(Crc32("123456789"), 0xCBF43926u);  // CRC-32/ISO-HDLC's check value
  EXPECT_EQ(Crc32(""), 0u);
}

TEST(Crc32, MatchesTheBitwiseDefinitionAtEveryLengthAndAlignment) {
  std::string data;
  uint32_t x = 12345;
  for (int i = 0; i < 300; ++i) {
    x = x * 1103515245u + 12345u;
    data.push_back(static_cast<char>(x >> 16));
  }
  for (size_t offset = 0; offset < 8; ++offset)
    for (size_t len = 0; offset + len <= data.size(); len += 1 + len / 7) {
      const std::string_view piece(data.data() + offset, len);
      ASSERT_EQ(Crc32(piece), BitwiseCrc32(piece)) << "offset " << offset << " len " << len;
    }
}

}  // namespace
}  // namespace slotsim
