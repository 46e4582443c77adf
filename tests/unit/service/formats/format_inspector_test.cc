// InspectFormat and CheckUpload on handcrafted headers: detection, virtual size,
// safety checks, malformed input, and Glance's upload rules.
#include "service/formats/format_inspector.h"

#include <string>

#include <gtest/gtest.h>

#include "tests/unit/service/formats/test_images.h"

namespace imagefs::service {
namespace {

using testing::IsoImage;
using testing::PutBe;
using testing::PutBytes;
using testing::PutLe;
using testing::Qcow2Header;
using testing::StringReader;
using testing::VdiHeader;
using testing::VhdFooter;
using testing::VhdxImage;
using testing::VmdkDescriptor;
using testing::VmdkSparse;
using testing::VmdkWithFooter;

constexpr uint64_t kGiB = uint64_t{1} << 30;

FormatInfo Inspect(std::string bytes) {
  StringReader reader(std::move(bytes));
  Result<FormatInfo> info = InspectFormat(reader);
  EXPECT_TRUE(info.ok()) << info.status();
  return info.ok() ? *info : FormatInfo{};
}

Result<std::optional<int64_t>> Check(std::string_view disk_format, std::string bytes,
                                     std::string_view container_format = "bare") {
  StringReader reader(std::move(bytes));
  return CheckUpload(disk_format, container_format, reader);
}

void ExpectSafe(const FormatInfo& info, std::string_view format, int64_t virtual_size) {
  EXPECT_EQ(info.format, format);
  EXPECT_EQ(info.unsafe_reason, "");
  EXPECT_EQ(info.virtual_size, virtual_size);
}

void ExpectUnsafe(const FormatInfo& info, std::string_view format, std::string_view why) {
  EXPECT_EQ(info.format, format);
  EXPECT_NE(info.unsafe_reason.find(why), std::string::npos) << info.unsafe_reason;
}

TEST(FormatInspectorTest, UnrecognisedDataIsRawOfItsSize) {
  ExpectSafe(Inspect(std::string(5000, 'x')), "raw", 5000);
  ExpectSafe(Inspect(""), "raw", 0);
}

TEST(FormatInspectorTest, Qcow2VirtualSizeComesFromTheHeader) {
  ExpectSafe(Inspect(Qcow2Header(3, 10 * kGiB)), "qcow2", 10 * kGiB);
  ExpectSafe(Inspect(Qcow2Header(2, 12345 * 512)), "qcow2", 12345 * 512);
}

TEST(FormatInspectorTest, Qcow2WithBackingFileIsUnsafe) {
  ExpectUnsafe(Inspect(Qcow2Header(3, kGiB, /*backing_offset=*/0x200)), "qcow2", "backing file");
}

TEST(FormatInspectorTest, Qcow2WithExternalDataFileOrUnknownFeatureIsUnsafe) {
  ExpectUnsafe(Inspect(Qcow2Header(3, kGiB, 0, 1 << 2)), "qcow2", "external data file");
  ExpectUnsafe(Inspect(Qcow2Header(3, kGiB, 0, 1 << 5)), "qcow2", "unknown incompatible");
  ExpectUnsafe(Inspect(Qcow2Header(3, kGiB, 0, uint64_t{1} << 63)), "qcow2", "unknown");
  // dirty, corrupt, compression type and extended L2 are known and harmless.
  ExpectSafe(Inspect(Qcow2Header(3, kGiB, 0, 0x1b)), "qcow2", kGiB);
}

TEST(FormatInspectorTest, MalformedQcow2IsRecognisedButUnsafe) {
  ExpectUnsafe(Inspect(Qcow2Header(3, kGiB).substr(0, 50)), "qcow2", "truncated");
  ExpectUnsafe(Inspect(Qcow2Header(3, kGiB).substr(0, 80)), "qcow2", "truncated");
  ExpectUnsafe(Inspect(Qcow2Header(1, kGiB)), "qcow2", "version 1");
  ExpectUnsafe(Inspect(Qcow2Header(3, ~uint64_t{0})), "qcow2", "out of range");
  ExpectUnsafe(Inspect(std::string("QFI\xfb", 4)), "qcow2", "truncated");
}

TEST(FormatInspectorTest, QedIsAlwaysRefused) {
  ExpectUnsafe(Inspect(std::string("QED\0", 4) + std::string(508, '\0')), "qed", "not allowed");
}

TEST(FormatInspectorTest, VmdkSingleFileSubformatsAreSafe) {
  std::string extent = "RW 4194304 SPARSE \"disk.vmdk\"";
  ExpectSafe(Inspect(VmdkSparse(4194304, VmdkDescriptor("monolithicSparse", extent))), "vmdk",
             2 * kGiB);
  ExpectSafe(Inspect(VmdkSparse(2048, VmdkDescriptor("streamOptimized", extent))), "vmdk", 1 << 20);
}

TEST(FormatInspectorTest, VmdkNamingOtherFilesIsUnsafe) {
  auto sparse = [](std::string_view type, std::string_view extent) {
    return Inspect(VmdkSparse(2048, VmdkDescriptor(type, extent)));
  };
  ExpectUnsafe(sparse("monolithicFlat", "RW 2048 FLAT \"d-flat.vmdk\" 0"), "vmdk", "create type");
  ExpectUnsafe(sparse("twoGbMaxExtentSparse", "RW 2048 SPARSE \"d-s001.vmdk\""), "vmdk",
               "create type");
  ExpectUnsafe(sparse("monolithicSparse", "RW 2048 SPARSE \"/etc/shadow\""), "vmdk", "path");
  ExpectUnsafe(sparse("monolithicSparse", "RW 2048 FLAT \"other.img\" 0"), "vmdk", "sparse");
  ExpectUnsafe(sparse("monolithicSparse", "#no extents"), "vmdk", "no extents");
  ExpectUnsafe(sparse("monolithicSparse", "RW 2048 SPARSE \"d.vmdk\"\nrm -rf /"), "vmdk",
               "invalid line");
}

TEST(FormatInspectorTest, VmdkWithParentHintIsUnsafeEvenInAComment) {
  std::string extent = "RW 2048 SPARSE \"d.vmdk\"";
  std::string with_parent =
      VmdkDescriptor("monolithicSparse", extent) + "parentFileNameHint=\"/var/lib/secret.vmdk\"\n";
  ExpectUnsafe(Inspect(VmdkSparse(2048, with_parent)), "vmdk", "parent");
  std::string in_comment =
      VmdkDescriptor("monolithicSparse", extent) + "# parentFileNameHint=\"/x\"\n";
  ExpectUnsafe(Inspect(VmdkSparse(2048, in_comment)), "vmdk", "parent");
}

TEST(FormatInspectorTest, VmdkTextDescriptorIsUnsafe) {
  ExpectUnsafe(Inspect(VmdkDescriptor("monolithicFlat", "RW 2048 FLAT \"f.vmdk\" 0")), "vmdk",
               "descriptor file");
  ExpectUnsafe(Inspect("# a comment\n\nversion=1\ncreateType=\"vmfs\"\n"), "vmdk",
               "descriptor file");
  std::string text = "# just a text file\nhello=1\n";
  ExpectSafe(Inspect(text), "raw", static_cast<int64_t>(text.size()));
}

TEST(FormatInspectorTest, MalformedVmdkIsUnsafe) {
  std::string good = VmdkSparse(2048, VmdkDescriptor("monolithicSparse", "RW 2048 SPARSE \"a\""));
  ExpectUnsafe(Inspect(good.substr(0, 40)), "vmdk", "truncated");
  std::string bad = good;
  PutLe(bad, 4, 7, 4);
  ExpectUnsafe(Inspect(bad), "vmdk", "version");
  bad = good;
  PutLe(bad, 28, ~uint64_t{0} / 512, 8);  // descriptor far away
  ExpectUnsafe(Inspect(bad), "vmdk", "descriptor");
  bad = good;
  PutLe(bad, 28, 0, 8);  // one extent of a multi-file disk: no descriptor
  ExpectUnsafe(Inspect(bad), "vmdk", "descriptor");
  bad = good;
  PutLe(bad, 12, ~uint64_t{0}, 8);
  ExpectUnsafe(Inspect(bad), "vmdk", "out of range");
  ExpectUnsafe(Inspect("COWD" + std::string(508, '\0')), "vmdk", "COWD");
}

TEST(FormatInspectorTest, VmdkFooterOverridesHeaderWhenValid) {
  ExpectSafe(Inspect(VmdkWithFooter(8192)), "vmdk", 8192 * 512);
  std::string bad = VmdkWithFooter(8192);
  bad[bad.size() - 600] = 1;  // inside the footer header's padding: still valid
  ExpectSafe(Inspect(bad), "vmdk", 8192 * 512);
  bad = VmdkWithFooter(8192);
  bad[bad.size() - 1] = 1;  // end-of-stream marker not zero
  ExpectUnsafe(Inspect(bad), "vmdk", "footer");
  ExpectUnsafe(Inspect(VmdkWithFooter(8192).substr(0, 1024)), "vmdk", "footer");
}

TEST(FormatInspectorTest, VhdDynamicAndFixed) {
  std::string dynamic = VhdFooter(3, 5 * kGiB) + std::string(1536, '\0') + VhdFooter(3, 5 * kGiB);
  ExpectSafe(Inspect(dynamic), "vhd", 5 * kGiB);
  std::string fixed = std::string(1 << 20, 'd') + VhdFooter(2, 1 << 20);
  ExpectSafe(Inspect(fixed), "vhd", 1 << 20);
}

TEST(FormatInspectorTest, VhdSizeFollowsQemuForVirtualPcCreators) {
  // Virtual PC and qemu size by CHS geometry: 1024 * 16 * 63 sectors.
  ExpectSafe(Inspect(VhdFooter(3, kGiB, "vpc ")), "vhd", int64_t{1024} * 16 * 63 * 512);
  ExpectSafe(Inspect(VhdFooter(3, kGiB, "qemu")), "vhd", int64_t{1024} * 16 * 63 * 512);
  ExpectSafe(Inspect(VhdFooter(3, kGiB, "qem2")), "vhd", kGiB);
}

TEST(FormatInspectorTest, VhdDifferencingOrOddTypesAreUnsafe) {
  ExpectUnsafe(Inspect(VhdFooter(4, kGiB)), "vhd", "differencing");
  ExpectUnsafe(Inspect(VhdFooter(9, kGiB)), "vhd", "unknown vhd disk type");
  ExpectUnsafe(Inspect(std::string(4096, 'd') + VhdFooter(3, kGiB)), "vhd", "not a fixed");
  ExpectUnsafe(Inspect(VhdFooter(3, kGiB).substr(0, 100)), "vhd", "truncated");
}

TEST(FormatInspectorTest, VhdxVirtualSizeComesFromTheMetadataRegion) {
  ExpectSafe(Inspect(VhdxImage(7 * kGiB)), "vhdx", 7 * kGiB);
}

TEST(FormatInspectorTest, VhdxUsesTheBackupRegionTable) {
  std::string image = VhdxImage(3 * kGiB);
  std::string table = image.substr(testing::kVhdxRegionTableOffset, 64 * 1024);
  PutBytes(image, testing::kVhdxRegionTableOffset, "XXXX");
  ExpectUnsafe(Inspect(image), "vhdx", "region table");
  PutBytes(image, 256 * 1024, table);
  ExpectSafe(Inspect(image), "vhdx", 3 * kGiB);
}

TEST(FormatInspectorTest, VhdxDifferencingDiskIsUnsafe) {
  ExpectUnsafe(Inspect(VhdxImage(kGiB, /*has_parent=*/true)), "vhdx", "differencing");
}

TEST(FormatInspectorTest, MalformedVhdxIsUnsafe) {
  std::string image = VhdxImage(kGiB);
  ExpectUnsafe(Inspect(image.substr(0, 190 * 1024)), "vhdx", "region table");
  ExpectUnsafe(Inspect(image.substr(0, testing::kVhdxMetadataOffset + 50)), "vhdx", "metadata");
  std::string bad = image;
  PutLe(bad, testing::kVhdxRegionTableOffset + 8, 100000, 4);  // entry count
  ExpectUnsafe(Inspect(bad), "vhdx", "region table");
  bad = image;
  PutLe(bad, testing::kVhdxRegionTableOffset + 64, ~uint64_t{0} - 4, 8);  // metadata offset
  ExpectUnsafe(Inspect(bad), "vhdx", "metadata");
  bad = image;
  PutLe(bad, testing::kVhdxMetadataOffset + 80, 0xffffffff, 4);  // size item offset
  ExpectUnsafe(Inspect(bad), "vhdx", "virtual disk size");
}

TEST(FormatInspectorTest, VdiVirtualSizeAndChecks) {
  ExpectSafe(Inspect(VdiHeader(3 * kGiB)), "vdi", 3 * kGiB);
  ExpectSafe(Inspect(VdiHeader(kGiB, /*image_type=*/2)), "vdi", kGiB);
  ExpectUnsafe(Inspect(VdiHeader(kGiB, /*image_type=*/4)), "vdi", "differencing");
  ExpectUnsafe(Inspect(VdiHeader(kGiB).substr(0, 0x100)), "vdi", "truncated");
  std::string v0 = VdiHeader(kGiB);
  PutLe(v0, 0x44, 0x00000001, 4);
  ExpectUnsafe(Inspect(v0), "vdi", "version");
}

TEST(FormatInspectorTest, IsoVirtualSizeFromPrimaryVolumeDescriptor) {
  ExpectSafe(Inspect(IsoImage(100)), "iso", 100 * 2048);
  std::string odd = IsoImage(100);
  PutLe(odd, 16 * 2048 + 128, 3000, 2);  // implausible block size
  FormatInfo info = Inspect(odd);
  EXPECT_EQ(info.format, "iso");
  EXPECT_EQ(info.virtual_size, std::nullopt);
}

TEST(FormatInspectorTest, IsoDescriptorMayFollowOthers) {
  std::string image = IsoImage(50);
  std::string pvd = image.substr(16 * 2048, 2048);
  std::string boot(2048, '\0');
  PutBytes(boot, 1, "CD001");  // a boot record (type 0) first
  PutBytes(image, 16 * 2048, boot);
  PutBytes(image, 17 * 2048, pvd);
  std::string term = std::string(1, '\xff') + "CD001";
  PutBytes(image, 18 * 2048, term);
  ExpectSafe(Inspect(image), "iso", 50 * 2048);
}

TEST(FormatInspectorTest, DataMatchingSeveralFormatsIsUnsafe) {
  std::string polyglot = IsoImage(40);
  PutBytes(polyglot, 0, Qcow2Header(3, kGiB));
  ExpectUnsafe(Inspect(polyglot), "qcow2", "several formats: qcow2, iso");
}

TEST(FormatInspectorTest, ReadsStayBoundedOnHugeData) {
  // A petabyte of zeros after a vhdx whose metadata region lies at the very end.
  std::string image = VhdxImage(kGiB);
  uint64_t huge = uint64_t{1} << 50;
  PutLe(image, testing::kVhdxRegionTableOffset + 64, huge - 100, 8);
  StringReader reader(image, huge);
  ASSERT_TRUE(InspectFormat(reader).ok());
  EXPECT_LT(reader.bytes_read(), uint64_t{2} << 20);
  EXPECT_LT(reader.reads(), 20);
}

class FailingReader : public RangeReader {
 public:
  uint64_t size() const override { return 1 << 20; }
  Result<size_t> ReadAt(uint64_t, void*, size_t) override { return Unavailable("disk gone"); }
};

TEST(FormatInspectorTest, ReadErrorsAreReturned) {
  FailingReader reader;
  EXPECT_EQ(InspectFormat(reader).status().code(), StatusCode::kUnavailable);
  EXPECT_EQ(CheckUpload("qcow2", "bare", reader).status().code(), StatusCode::kUnavailable);
}

// CheckUpload: Glance's rules with require_image_format_match = true.

TEST(CheckUploadTest, MatchingFormatGivesHeaderVirtualSize) {
  Result<std::optional<int64_t>> size = Check("qcow2", Qcow2Header(3, 4 * kGiB));
  ASSERT_TRUE(size.ok()) << size.status();
  EXPECT_EQ(*size, 4 * kGiB);
  size = Check("iso", IsoImage(64));
  ASSERT_TRUE(size.ok()) << size.status();
  EXPECT_EQ(*size, 64 * 2048);
}

TEST(CheckUploadTest, MismatchIsUnsupportedMedia) {
  Result<std::optional<int64_t>> r = Check("qcow2", std::string(4096, 'r'));
  EXPECT_EQ(r.status().code(), StatusCode::kUnsupportedMedia);
  EXPECT_NE(r.status().message().find("does not match disk_format qcow2"), std::string::npos);
  EXPECT_EQ(Check("vmdk", Qcow2Header(3, kGiB)).status().code(), StatusCode::kUnsupportedMedia);
  EXPECT_EQ(Check("iso", std::string(65536, 'r')).status().code(), StatusCode::kUnsupportedMedia);
  EXPECT_EQ(Check("qcow2", "").status().code(), StatusCode::kUnsupportedMedia);
}

TEST(CheckUploadTest, RawAcceptsSafeFormatsWithDataSize) {
  std::string qcow = Qcow2Header(3, 100 * kGiB);
  Result<std::optional<int64_t>> size = Check("raw", qcow);
  ASSERT_TRUE(size.ok()) << size.status();
  EXPECT_EQ(*size, 512);
  size = Check("raw", std::string(777, 'r'));
  ASSERT_TRUE(size.ok());
  EXPECT_EQ(*size, 777);
}

TEST(CheckUploadTest, UnsafeDataIsRefusedWhateverTheDiskFormat) {
  std::string backing = Qcow2Header(3, kGiB, 0x200);
  for (std::string_view disk_format : {"qcow2", "raw"}) {
    Result<std::optional<int64_t>> r = Check(disk_format, backing);
    EXPECT_EQ(r.status().code(), StatusCode::kUnsupportedMedia) << disk_format;
    EXPECT_NE(r.status().message().find("backing file"), std::string::npos);
  }
  std::string flat = VmdkDescriptor("monolithicFlat", "RW 2048 FLAT \"f.vmdk\" 0");
  EXPECT_EQ(Check("raw", flat).status().code(), StatusCode::kUnsupportedMedia);
}

TEST(CheckUploadTest, ZeroByteRawHasNoVirtualSize) {
  Result<std::optional<int64_t>> size = Check("raw", "");
  ASSERT_TRUE(size.ok());
  EXPECT_EQ(*size, std::nullopt);
}

TEST(CheckUploadTest, NonBareContainersAreNotInspected) {
  Result<std::optional<int64_t>> size = Check("qcow2", Qcow2Header(3, kGiB, 0x200), "ova");
  ASSERT_TRUE(size.ok());
  EXPECT_EQ(*size, std::nullopt);
  size = Check("qcow2", Qcow2Header(3, kGiB), "");  // unset counts as bare
  ASSERT_TRUE(size.ok());
  EXPECT_EQ(*size, kGiB);
}

TEST(CheckUploadTest, UninspectableDiskFormatsAcceptOnlyUnrecognisedData) {
  Result<std::optional<int64_t>> size = Check("ami", std::string(4096, 'k'));
  ASSERT_TRUE(size.ok());
  EXPECT_EQ(*size, std::nullopt);
  EXPECT_EQ(Check("ami", Qcow2Header(3, kGiB)).status().code(), StatusCode::kUnsupportedMedia);
}

}  // namespace
}  // namespace imagefs::service
