// Request bodies of the backups API, checked as Cinder's schemas do.
#include "service/backup/backup_requests.h"

#include <gtest/gtest.h>

#include "common/wire/image_codec.h"
#include "service/backup/backup_codec.h"

namespace imagefs::service::backup {
namespace {

constexpr char kImage[] = "1b2c3d4e-5f60-4a1b-9c2d-3e4f5a6b7c8d";

boost::json::value J(std::string_view text) { return *wire::ParseJson(text); }

TEST(BackupRequestsTest, CreateTakesVolumeIdOrItsImageIdAlias) {
  Result<CreateBody> a = ParseCreateBody(J(R"({"backup": {"volume_id": ")" + std::string(kImage) +
                                           R"(", "name": " n ", "incremental": "True"}})"),
                                         0);
  ASSERT_TRUE(a.ok()) << a.status();
  EXPECT_EQ(a->image_id, kImage);
  EXPECT_EQ(a->name, "n");
  EXPECT_TRUE(a->incremental);
  EXPECT_EQ(ParseCreateBody(J(R"({"backup": {"image_id": ")" + std::string(kImage) + R"("}})"), 0)
                ->image_id,
            kImage);
  EXPECT_FALSE(ParseCreateBody(J(R"({"backup": {"name": "x"}})"), 0).ok());
  EXPECT_FALSE(ParseCreateBody(J(R"({"backup": {"volume_id": "nope"}})"), 0).ok());
}

TEST(BackupRequestsTest, CreateRefusesUnknownKeysAndVersionGatedOnes) {
  std::string base = R"({"backup": {"volume_id": ")" + std::string(kImage) + "\", ";
  Result<CreateBody> extra = ParseCreateBody(J(base + R"("colour": "red"}})"), 64);
  EXPECT_NE(extra.status().message().find("'colour' was unexpected"), std::string::npos);
  EXPECT_FALSE(ParseCreateBody(J(base + R"("metadata": {"k": "v"}}})"), 42).ok());
  EXPECT_EQ(ParseCreateBody(J(base + R"("metadata": {"k": "v"}}})"), 43)->metadata.at("k"), "v");
  EXPECT_FALSE(ParseCreateBody(J(base + R"("availability_zone": "nova"}})"), 50).ok());
  EXPECT_FALSE(ParseCreateBody(J(base + R"("incremental": "perhaps"}})"), 0).ok());
  EXPECT_FALSE(ParseCreateBody(J(R"({"backup": {}, "x": 1})"), 0).ok());
}

TEST(BackupRequestsTest, UpdateAllowsNullAndDistinguishesAbsentFields) {
  EXPECT_FALSE(ParseUpdateBody(J(R"({"backup": null})"), 9)->name.has_value());
  Result<UpdateBody> u = ParseUpdateBody(J(R"({"backup": {"name": null}})"), 9);
  ASSERT_TRUE(u->name.has_value());
  EXPECT_FALSE(u->name->has_value());
  EXPECT_FALSE(u->description.has_value());
  EXPECT_FALSE(ParseUpdateBody(J(R"({"backup": {"metadata": {}}})"), 42).ok());
  EXPECT_TRUE(ParseUpdateBody(J(R"({"backup": {"metadata": {}}})"), 43)->metadata.has_value());
}

TEST(BackupRequestsTest, RestoreTreatsNullAsEmpty) {
  EXPECT_FALSE(ParseRestoreBody(J(R"({"restore": null})"))->image_id.has_value());
  EXPECT_EQ(ParseRestoreBody(J(R"({"restore": {"volume_id": ")" + std::string(kImage) + R"("}})"))
                ->image_id,
            kImage);
  EXPECT_FALSE(ParseRestoreBody(J(R"({"restore": {"size": 1}})")).ok());
}

TEST(BackupRequestsTest, ImportDecodesTheRecordAndNeedsIdAndSize) {
  auto body = [](std::string_view record) {
    return J(R"({"backup-record": {"backup_service": "s", "backup_url": ")" + Base64Encode(record) +
             "\"}}");
  };
  Result<ImportBody> ok =
      ParseImportBody(body(R"({"id": ")" + std::string(kImage) + R"(", "size": 1})"));
  ASSERT_TRUE(ok.ok()) << ok.status();
  EXPECT_EQ(ok->id, kImage);
  EXPECT_EQ(ParseImportBody(body(R"({"size": 1})")).status().message(),
            "Invalid input received: Provided backup record is missing an id");
  EXPECT_EQ(ParseImportBody(body("[1]")).status().message(),
            "Invalid input received: Can't parse backup record.");
  EXPECT_FALSE(
      ParseImportBody(J(R"({"backup-record": {"backup_service": "s", "backup_url": "%%"}})")).ok());
}

TEST(BackupRequestsTest, ActionsAreResetStatusAndForceDelete) {
  EXPECT_EQ(ParseActionBody(J(R"({"os-reset_status": {"status": "ERROR"}})"))->status, "error");
  EXPECT_FALSE(ParseActionBody(J(R"({"os-reset_status": {"status": "creating"}})")).ok());
  EXPECT_EQ(ParseActionBody(J(R"({"os-force_delete": {}})"))->action, "os-force_delete");
  EXPECT_EQ(ParseActionBody(J(R"({"os-fly": {}})")).status().message(),
            "There is no such action: os-fly");
}

}  // namespace
}  // namespace imagefs::service::backup
