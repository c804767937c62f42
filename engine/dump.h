// The DUMP/RESTORE payload: slotsim's own serialization of one value (not
// RDB), with a version and a checksum so that a garbled or foreign payload
// is refused, as Redis's verifyDumpPayload does.
//
//   payload  = type body version crc
//   type     = 's' (string) | 'h' (hash) | 'l' (list)
//   body     = string: len bytes | hash: count (len field len value)*count |
//              list: count (len element)*count, head first
//   len, count = unsigned LEB128 varints
//   version  = 2 bytes little-endian (kDumpVersion)
//   crc      = CRC-32 of everything before it, 4 bytes little-endian
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "engine/keyspace.h"

namespace slotsim {

constexpr uint16_t kDumpVersion = 1;

enum class DumpStatus { kOk, kBadChecksum, kBadFormat };

// Serializes a value.
std::string DumpValue(const Value& value);
// Parses a payload. kBadChecksum: version or checksum wrong (RESTORE's
// "DUMP payload version or checksum are wrong"); kBadFormat: checksum fine
// but the body does not parse ("Bad data format").
DumpStatus RestoreValue(std::string_view payload, Value* out);
// The field or element count a hash or list payload declares (0 for a
// string or anything that does not start like a payload): what loading it
// will cost per element, read without parsing the body.
size_t DumpPayloadElements(std::string_view payload);

// DEBUG DIGEST-VALUE / DIGEST: 40 hex digits that are equal exactly when
// the key and value are (our own 64-bit hash mixes, not Redis's SHA-1;
// what matters is that two nodes holding the same data agree). "0" x 40
// for a missing key; a dataset's digest XORs its keys' digests, so key
// order does not matter and the empty dataset is all zeros. Whether the
// key has an expire time is mixed in, but not the time itself, as
// xorObjectDigest does ("!!expire!!").
std::string DigestOf(std::string_view key, const Value* value, bool has_expire = false);
std::string DatasetDigest(const Keyspace& keyspace);

}  // namespace slotsim
