// Hash slots: CRC16 (XMODEM variant, as Redis Cluster specifies) of the key
// or of its {hash tag}, modulo 16384.
#pragma once

#include <cstdint>
#include <string_view>

namespace slotsim {

constexpr int kClusterSlots = 16384;

// CRC16-CCITT/XMODEM: polynomial 0x1021, initial value 0, no reflection.
uint16_t Crc16(std::string_view data);

// keyHashSlot(): if the key holds a '{' followed later by a '}' with at
// least one byte between them, only the bytes between the first '{' and
// the first '}' after it are hashed.
int KeyHashSlot(std::string_view key);

}  // namespace slotsim
