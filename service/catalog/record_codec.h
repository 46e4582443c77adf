// The storage encoding of catalog records (the values under img/, mem/, blk/).
//
// A record is one version byte followed by a compact binary body: varints for
// integers (zig-zag for signed ones), length-prefixed strings, a presence bitmask
// for optional fields, enums by their API names. Every field of the model
// round-trips, internal ones included (locations, stores, block_size, deleted_at,
// property and tag order). A new encoding gets a new version byte; decoders keep
// reading every version they ever wrote.
//
// Decoding never trusts its input: a truncated, over-long or unknown-version
// record is DataLoss.
#pragma once

#include <string>
#include <string_view>

#include "common/result.h"
#include "common/wire/image.h"

namespace imagefs::service::catalog {

inline constexpr uint8_t kRecordVersion1 = 1;
// Block maps only: version 1 followed by the per-block CRC-32C list. Version 1 block
// maps (written before imaged recorded CRCs) still decode, with no CRCs.
inline constexpr uint8_t kBlockMapVersion2 = 2;

std::string EncodeImage(const wire::Image& image);
Result<wire::Image> DecodeImage(std::string_view record);

std::string EncodeMember(const wire::Member& member);
Result<wire::Member> DecodeMember(std::string_view record);

std::string EncodeBlockMap(const wire::BlockMap& map);
Result<wire::BlockMap> DecodeBlockMap(std::string_view record);

}  // namespace imagefs::service::catalog
