// InspectFormat and CheckUpload on real images made by qemu-img at test time:
// formats and virtual sizes must agree with `qemu-img info`. Skipped only when
// qemu-img is not installed.
#include <fcntl.h>
#include <stdlib.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include <gtest/gtest.h>
#include <sys/stat.h>

#include "service/formats/format_inspector.h"

namespace imagefs::service {
namespace {

// Reads a file with pread, as the store's reader does.
class FileReader : public RangeReader {
 public:
  explicit FileReader(const std::string& path) : fd_(::open(path.c_str(), O_RDONLY | O_CLOEXEC)) {
    struct stat st {};
    if (fd_ >= 0 && ::fstat(fd_, &st) == 0) size_ = static_cast<uint64_t>(st.st_size);
  }
  ~FileReader() override {
    if (fd_ >= 0) ::close(fd_);
  }
  FileReader(const FileReader&) = delete;
  FileReader& operator=(const FileReader&) = delete;

  uint64_t size() const override { return size_; }
  Result<size_t> ReadAt(uint64_t offset, void* buf, size_t n) override {
    ssize_t got = ::pread(fd_, buf, n, static_cast<off_t>(offset));
    if (got < 0) return ErrnoStatus(errno, "pread");
    return static_cast<size_t>(got);
  }

 private:
  int fd_;
  uint64_t size_ = 0;
};

bool HaveQemuImg() { return std::system("qemu-img --version > /dev/null 2>&1") == 0; }

class QemuImagesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!HaveQemuImg()) GTEST_SKIP() << "qemu-img is not installed";
    char tmpl[] = "/tmp/formats_test.XXXXXX";
    ASSERT_NE(::mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
  }
  void TearDown() override {
    std::error_code ec;
    if (!dir_.empty()) std::filesystem::remove_all(dir_, ec);
  }

  std::string Path(const std::string& name) const { return dir_ + "/" + name; }

  // Runs `qemu-img <args>` in the temp dir; fails the test on a non-zero exit.
  void QemuImg(const std::string& args) {
    std::string cmd = "cd " + dir_ + " && qemu-img " + args + " > /dev/null 2>&1";
    ASSERT_EQ(std::system(cmd.c_str()), 0) << cmd;
  }

  // The virtual size `qemu-img info` reports, read as `qemu_format`.
  int64_t QemuVirtualSize(const std::string& name, const std::string& qemu_format) {
    std::string out = Path(name + ".json");
    std::string cmd = "qemu-img info --output=json -f " + qemu_format + " " + Path(name) + " > " +
                      out + " 2>/dev/null";
    EXPECT_EQ(std::system(cmd.c_str()), 0) << cmd;
    std::ifstream in(out);
    std::stringstream text;
    text << in.rdbuf();
    std::string json = text.str();
    size_t at = json.find("\"virtual-size\":");
    if (at == std::string::npos) return -1;
    return std::stoll(json.substr(at + 15));
  }

  FormatInfo Inspect(const std::string& name) {
    FileReader reader(Path(name));
    Result<FormatInfo> info = InspectFormat(reader);
    EXPECT_TRUE(info.ok()) << info.status();
    return info.ok() ? *info : FormatInfo{};
  }

  Status Check(const std::string& disk_format, const std::string& name) {
    FileReader reader(Path(name));
    return CheckUpload(disk_format, "bare", reader).status();
  }

  std::string dir_;
};

struct QemuCase {
  const char* name;         // test-name suffix
  const char* create_args;  // after "qemu-img create -f"
  const char* qemu_format;  // for qemu-img info -f
  const char* disk_format;  // Glance's name
};

class QemuFormatTest : public QemuImagesTest, public ::testing::WithParamInterface<QemuCase> {};

TEST_P(QemuFormatTest, DetectedSafeWithQemuVirtualSize) {
  const QemuCase& c = GetParam();
  std::string file = std::string("image.") + c.name;
  QemuImg(std::string("create -f ") + c.create_args + " " + file + " 1073741824");
  QemuImg(std::string("create -f ") + c.create_args + " odd." + file + " 123456789");
  for (const std::string& f : {file, "odd." + file}) {
    FormatInfo info = Inspect(f);
    EXPECT_EQ(info.format, c.disk_format) << f;
    EXPECT_EQ(info.unsafe_reason, "") << f;
    EXPECT_EQ(info.virtual_size, QemuVirtualSize(f, c.qemu_format)) << f;
    FileReader reader(Path(f));
    Result<std::optional<int64_t>> size = CheckUpload(c.disk_format, "bare", reader);
    ASSERT_TRUE(size.ok()) << size.status();
    EXPECT_EQ(*size, info.virtual_size);
  }
}

INSTANTIATE_TEST_SUITE_P(
    AllFormats, QemuFormatTest,
    ::testing::Values(QemuCase{"qcow2", "qcow2", "qcow2", "qcow2"},
                      QemuCase{"qcow2v2", "qcow2 -o compat=0.10", "qcow2", "qcow2"},
                      QemuCase{"qcow2l2", "qcow2 -o extended_l2=on", "qcow2", "qcow2"},
                      QemuCase{"vmdk", "vmdk", "vmdk", "vmdk"},
                      QemuCase{"vmdkstream", "vmdk -o subformat=streamOptimized", "vmdk", "vmdk"},
                      QemuCase{"vhd", "vpc", "vpc", "vhd"},
                      QemuCase{"vhdforce", "vpc -o force_size=on", "vpc", "vhd"},
                      QemuCase{"vhdfixed", "vpc -o subformat=fixed", "vpc", "vhd"},
                      QemuCase{"vhdx", "vhdx", "vhdx", "vhdx"},
                      QemuCase{"vdi", "vdi", "vdi", "vdi"},
                      QemuCase{"vdistatic", "vdi -o static=on", "vdi", "vdi"}),
    [](const ::testing::TestParamInfo<QemuCase>& p) { return std::string(p.param.name); });

TEST_F(QemuImagesTest, Qcow2WithBackingFileIsRefusedAsQcow2AndAsRaw) {
  QemuImg("create -f qcow2 base.qcow2 64M");
  QemuImg("create -f qcow2 -b base.qcow2 -F qcow2 child.qcow2");
  EXPECT_EQ(Inspect("child.qcow2").unsafe_reason, "qcow2 image has a backing file");
  EXPECT_EQ(Check("qcow2", "child.qcow2").code(), StatusCode::kUnsupportedMedia);
  EXPECT_EQ(Check("raw", "child.qcow2").code(), StatusCode::kUnsupportedMedia);
  EXPECT_TRUE(Check("qcow2", "base.qcow2").ok());
}

TEST_F(QemuImagesTest, Qcow2WithExternalDataFileIsRefused) {
  QemuImg("create -f qcow2 -o data_file=data.raw external.qcow2 64M");
  EXPECT_EQ(Inspect("external.qcow2").unsafe_reason, "qcow2 image has an external data file");
  EXPECT_EQ(Check("raw", "external.qcow2").code(), StatusCode::kUnsupportedMedia);
}

TEST_F(QemuImagesTest, SafeQcow2UploadedAsRawIsAcceptedWithItsFileSize) {
  QemuImg("create -f qcow2 q.qcow2 1G");
  FileReader reader(Path("q.qcow2"));
  Result<std::optional<int64_t>> size = CheckUpload("raw", "bare", reader);
  ASSERT_TRUE(size.ok()) << size.status();
  EXPECT_EQ(*size, static_cast<int64_t>(reader.size()));
}

TEST_F(QemuImagesTest, MultiFileVmdksAreUnsafe) {
  QemuImg("create -f vmdk -o subformat=monolithicFlat flat.vmdk 64M");
  QemuImg("create -f vmdk -o subformat=twoGbMaxExtentSparse split.vmdk 3G");
  QemuImg("create -f vmdk -o subformat=twoGbMaxExtentFlat splitflat.vmdk 64M");
  for (const char* f : {"flat.vmdk", "split.vmdk", "splitflat.vmdk", "split-s001.vmdk"}) {
    FormatInfo info = Inspect(f);
    EXPECT_EQ(info.format, "vmdk") << f;
    EXPECT_NE(info.unsafe_reason, "") << f;
    EXPECT_EQ(Check("vmdk", f).code(), StatusCode::kUnsupportedMedia) << f;
    EXPECT_EQ(Check("raw", f).code(), StatusCode::kUnsupportedMedia) << f;
  }
  // The flat extent itself is plain data.
  EXPECT_EQ(Inspect("flat-flat.vmdk").format, "raw");
}

TEST_F(QemuImagesTest, ConvertedDataMismatchingDiskFormatIsRefused) {
  QemuImg("create -f vdi disk.vdi 16M");
  Status s = Check("qcow2", "disk.vdi");
  EXPECT_EQ(s.code(), StatusCode::kUnsupportedMedia);
  EXPECT_EQ(s.message(), "Image data does not match disk_format qcow2 (detected vdi)");
}

}  // namespace
}  // namespace imagefs::service
