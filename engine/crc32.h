// CRC-32 (IEEE 802.3, reflected, polynomial 0xEDB88320), for frame and
// file checksums.
#pragma once

#include <cstdint>
#include <string_view>

namespace slotsim {

uint32_t Crc32(std::string_view data);

}  // namespace slotsim
