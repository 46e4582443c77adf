#include "fs/mount_options.h"

#include <fstream>

#include <gtest/gtest.h>

#include "tests/testing/fs/temp_dir.h"

namespace imagefs::fs {
namespace {

Result<CommandLine> Parse(std::vector<const char*> args) {
  args.insert(args.begin(), "imagefs");
  return ParseCommandLine(static_cast<int>(args.size()), args.data());
}

TEST(MountOptionsTest, ParsesUrlMountpointAndOwnOptions) {
  auto cl = Parse({"http://127.0.0.1:9292/", "/mnt/images", "-o",
                   "token=T,cache_dir=/var/tmp/c,cache_size=20G,list_ttl=500ms,retry_deadline=2s",
                   "-o", "max_inflight=32M,readahead=16M,fetch_threads=4,splice", "-f"});
  ASSERT_TRUE(cl.ok()) << cl.status();
  const MountOptions& o = cl->options;
  EXPECT_EQ(o.url, "http://127.0.0.1:9292");
  EXPECT_EQ(o.mountpoint, "/mnt/images");
  EXPECT_EQ(o.token, "T");
  EXPECT_EQ(o.cache_dir, "/var/tmp/c");
  EXPECT_EQ(o.cache_size, uint64_t{20} << 30);
  EXPECT_EQ(o.list_ttl, Millis(500));
  EXPECT_EQ(o.retry_deadline, Millis(2000));
  EXPECT_EQ(o.max_inflight, uint64_t{32} << 20);
  EXPECT_EQ(o.readahead_max, uint64_t{16} << 20);
  EXPECT_EQ(o.fetch_threads, 4);
  EXPECT_TRUE(o.splice);
  EXPECT_TRUE(o.foreground);
  EXPECT_TRUE(o.verify_by_crc);
  EXPECT_TRUE(o.passthrough);
}

TEST(MountOptionsTest, PassthroughCanBeTurnedOff) {
  auto off = Parse({"http://h", "/m", "-o", "nopassthrough"});
  ASSERT_TRUE(off.ok()) << off.status();
  EXPECT_FALSE(off->options.passthrough);
  auto on = Parse({"http://h", "/m", "-o", "nopassthrough,passthrough"});
  ASSERT_TRUE(on.ok()) << on.status();
  EXPECT_TRUE(on->options.passthrough);
}

TEST(MountOptionsTest, VerifyIsCrc32cOrSha256) {
  auto sha = Parse({"http://h", "/m", "-o", "verify=sha256"});
  ASSERT_TRUE(sha.ok()) << sha.status();
  EXPECT_FALSE(sha->options.verify_by_crc);
  auto bad = Parse({"http://h", "/m", "-o", "verify=md5"});
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().code(), StatusCode::kInvalidArgument);
}

TEST(MountOptionsTest, OtherOptionsGoToFuseAfterTheDefaults) {
  auto cl = Parse({"http://h", "/m", "-oallow_other,ro,max_read=131072"});
  ASSERT_TRUE(cl.ok()) << cl.status();
  const MountOptions& o = cl->options;
  EXPECT_TRUE(o.allow_other);
  EXPECT_TRUE(o.read_only);
  EXPECT_EQ(o.max_read, 131072u);
  EXPECT_EQ(o.fuse_options,
            (std::vector<std::string>{"fsname=http://h", "subtype=imagefs", "default_permissions",
                                      "allow_other", "ro", "max_read=131072"}));
}

TEST(MountOptionsTest, TokenFileIsRead) {
  fstest::TempDir dir;
  std::ofstream(dir.File("token")) << "  secret-token \n second line\n";
  std::string opt = "token_file=" + dir.File("token");
  auto cl = Parse({"http://h", "/m", "-o", opt.c_str()});
  ASSERT_TRUE(cl.ok()) << cl.status();
  EXPECT_EQ(cl->options.token, "secret-token");
  std::string missing = "token_file=" + dir.File("nope");
  EXPECT_FALSE(Parse({"http://h", "/m", "-o", missing.c_str()}).ok());
}

TEST(MountOptionsTest, MistakesAreInvalidArgument) {
  EXPECT_FALSE(Parse({"http://h"}).ok());
  EXPECT_FALSE(Parse({"ftp://h", "/m"}).ok());
  EXPECT_FALSE(Parse({"http://h", "/m", "-o", "cache_size=lots"}).ok());
  EXPECT_FALSE(Parse({"http://h", "/m", "-o", "list_ttl=soon"}).ok());
  EXPECT_FALSE(Parse({"http://h", "/m", "-o", "token"}).ok());
  EXPECT_FALSE(Parse({"http://h", "/m", "-o", "fetch_threads=0"}).ok());
  EXPECT_FALSE(Parse({"http://h", "/m", "-o", "readahead_initial=2M,readahead=1M"}).ok());
  EXPECT_FALSE(Parse({"http://h", "/m", "--bogus"}).ok());
  EXPECT_FALSE(Parse({"http://h", "/m", "-o", "max_read=abc"}).ok());
  EXPECT_FALSE(Parse({"http://h", "/m", "-o", "max_read=100"}).ok());
  EXPECT_TRUE(Parse({"--help"})->show_help);
}

TEST(MountOptionsTest, ByteSizes) {
  EXPECT_EQ(*ParseByteSize("4096"), 4096u);
  EXPECT_EQ(*ParseByteSize("64k"), 65536u);
  EXPECT_EQ(*ParseByteSize("64KiB"), 65536u);
  EXPECT_EQ(*ParseByteSize("1M"), 1u << 20);
  EXPECT_EQ(*ParseByteSize("2g"), uint64_t{2} << 30);
  EXPECT_EQ(*ParseByteSize("1T"), uint64_t{1} << 40);
  EXPECT_FALSE(ParseByteSize("").ok());
  EXPECT_FALSE(ParseByteSize("M").ok());
  EXPECT_FALSE(ParseByteSize("-1").ok());
  EXPECT_FALSE(ParseByteSize("99999999999999999999T").ok());
}

TEST(MountOptionsTest, Durations) {
  EXPECT_EQ(*ParseDuration("30"), Millis(30000));
  EXPECT_EQ(*ParseDuration("1.5"), Millis(1500));
  EXPECT_EQ(*ParseDuration("250ms"), Millis(250));
  EXPECT_EQ(*ParseDuration("2s"), Millis(2000));
  EXPECT_EQ(*ParseDuration("1m"), Millis(60000));
  EXPECT_EQ(*ParseDuration("1h"), Millis(3600000));
  EXPECT_FALSE(ParseDuration("fast").ok());
  EXPECT_FALSE(ParseDuration("-1s").ok());
}

TEST(MountOptionsTest, OptionListsSplitOnUnescapedCommas) {
  EXPECT_EQ(SplitOptionList("a,b=c\\,d,,e"), (std::vector<std::string>{"a", "b=c,d", "e"}));
}

}  // namespace
}  // namespace imagefs::fs
