// Encodings of backups: records, manifests, export records and base64.
#include "service/backup/backup_codec.h"

#include <boost/json/serialize.hpp>
#include <gtest/gtest.h>

#include "common/wire/image_codec.h"

namespace imagefs::service::backup {
namespace {

Backup Sample() {
  Backup b;
  b.id = "9f1e0c55-3b4e-4d1a-8a4f-0d5e3b2a1c00";
  b.project_id = "p";
  b.user_id = "u";
  b.name = "nightly";
  b.status = BackupStatus::kAvailable;
  b.image_id = "1b2c3d4e-5f60-4a1b-9c2d-3e4f5a6b7c8d";
  b.container = "backups";
  b.availability_zone = "nova";
  b.created_at = 1700000000123456;
  b.updated_at = 1700000001000000;
  b.data_timestamp = b.created_at;
  b.parent_id = "8a1e0c55-3b4e-4d1a-8a4f-0d5e3b2a1c00";
  b.metadata = {{"k", "v"}};
  b.image.name = "cirros";
  b.image.disk_format = "qcow2";
  b.image.container_format = "bare";
  b.image.checksum = "abc";
  b.image.properties = {{"os_distro", "cirros"}};
  b.size_bytes = (uint64_t{1} << 30) + 1;
  b.object_count = 1025;
  b.counted = true;
  return b;
}

Manifest SampleManifest() {
  Manifest m;
  m.block_size = 4;
  m.size = 9;
  m.digests = {std::string(32, 'a'), std::string(32, 'b'), std::string(32, '\0')};
  return m;
}

TEST(BackupCodecTest, RecordRoundTripsEveryField) {
  Backup b = Sample();
  Result<Backup> back = DecodeBackupRecord(EncodeBackupRecord(b));
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_EQ(*back, b);
  EXPECT_EQ(b.SizeGiB(), 2u);
}

TEST(BackupCodecTest, CorruptRecordIsDataLoss) {
  EXPECT_EQ(DecodeBackupRecord("{\"id\": 1}").status().code(), StatusCode::kDataLoss);
  EXPECT_EQ(DecodeBackupRecord("not json").status().code(), StatusCode::kDataLoss);
}

TEST(BackupCodecTest, ManifestRoundTripsAndRejectsInconsistentEncodings) {
  Manifest m = SampleManifest();
  std::string bytes = EncodeManifest(m);
  EXPECT_EQ(*DecodeManifest(bytes), m);
  EXPECT_FALSE(DecodeManifest(bytes.substr(0, bytes.size() - 1)).ok());
  EXPECT_FALSE(DecodeManifest(bytes.substr(0, bytes.size() - 32)).ok());  // 2 digests, 3 blocks
  EXPECT_FALSE(DecodeManifest("XXXX" + bytes.substr(4)).ok());
}

TEST(BackupCodecTest, ExportRecordCarriesTheManifestAndCinderColumns) {
  Backup b = Sample();
  b.size_bytes = 9;
  std::string text = EncodeExportRecord(b, SampleManifest());
  boost::json::object o = wire::ParseJson(text)->as_object();
  EXPECT_EQ(o.at("display_name").as_string(), "nightly");
  EXPECT_EQ(o.at("volume_id").as_string(), b.image_id);
  EXPECT_EQ(o.at("size").as_int64(), 1);
  Result<ExportRecord> r = DecodeExportRecord(text);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->backup, b);
  EXPECT_EQ(r->manifest, SampleManifest());
}

TEST(BackupCodecTest, ExportRecordMissingARequiredFieldIsRefused) {
  boost::json::object o =
      wire::ParseJson(EncodeExportRecord(Sample(), SampleManifest()))->as_object();
  o.erase("service_metadata");
  Result<ExportRecord> r = DecodeExportRecord(boost::json::serialize(o));
  EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(r.status().message().find("service_metadata"), std::string::npos);
}

TEST(BackupCodecTest, Base64RoundTripsAndRefusesForeignText) {
  for (std::string s : {std::string(), std::string("f"), std::string("fo"), std::string("foo"),
                        std::string("foob"), std::string("\0\xff\x10", 3)}) {
    EXPECT_EQ(*Base64Decode(Base64Encode(s)), s);
  }
  EXPECT_EQ(Base64Encode("foobar"), "Zm9vYmFy");
  EXPECT_FALSE(Base64Decode("Zm9").ok());
  EXPECT_FALSE(Base64Decode("Zm9v!mFy").ok());
  EXPECT_FALSE(Base64Decode("Z===").ok());
}

}  // namespace
}  // namespace imagefs::service::backup
