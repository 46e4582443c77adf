#include "tests/mount/mount_fixture.h"

#include <dirent.h>
#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <random>

namespace imagefs::fstest {
namespace {

class FakeServer final : public CatalogServer {
 public:
  explicit FakeServer(bool serve_blocks) {
    FakeImagedOptions o;
    o.serve_blocks = serve_blocks;
    o.token = "projA";
    imaged_ = std::make_unique<FakeImaged>(o);
    Status s = imaged_->Start();
    if (!s.ok()) ADD_FAILURE() << s;
  }
  std::string url() const override { return imaged_->url(); }
  std::string token() const override { return "projA"; }
  std::string AddImage(std::optional<std::string> name, const std::string& data) override {
    return imaged_->AddImage(std::move(name), data);
  }
  std::optional<wire::Image> Show(const std::string& id) override { return imaged_->GetImage(id); }
  void Stop() override { imaged_->Stop(); }
  Status Start() override { return imaged_->Start(); }
  std::optional<uint64_t> DataRequests() const override {
    return imaged_->Count(RequestKind::kFile);
  }
  std::optional<uint64_t> ListRequests() const override {
    return imaged_->Count(RequestKind::kList);
  }
  FakeImaged* fake() override { return imaged_.get(); }

 private:
  std::unique_ptr<FakeImaged> imaged_;
};

}  // namespace

ServerFactory FakeImagedServer(bool serve_blocks) {
  return {serve_blocks ? "FakeImaged" : "FakeGlanceWithoutBlocks",
          [serve_blocks] { return std::make_unique<FakeServer>(serve_blocks); }};
}

std::vector<ServerFactory> AllServers() {
  std::vector<ServerFactory> all = {FakeImagedServer()};
#ifdef IMAGEFS_HAVE_IMAGED
  if (ImagedBinaryExists()) all.push_back(RealImagedServer());
#endif
  return all;
}

void MountTest::SetUp() {
  if (!FuseAvailable()) GTEST_SKIP() << "no /dev/fuse";
  server_ = GetParam().make();
  cache_dir_ = std::make_unique<TempDir>("imagefs-cache");
}

void MountTest::TearDown() {
  mount_.reset();
  server_.reset();
}

void MountTest::Mount(std::vector<std::string> options) {
  mount_.reset();
  MountSpec spec;
  spec.url = server_->url();
  spec.token = server_->token();
  spec.cache_dir = cache_dir_->path();
  spec.options = {"retry_deadline=3s", "connect_timeout=1s", "stall_timeout=2s"};
  for (auto& o : options) spec.options.push_back(std::move(o));
  auto m = MountedFs::Mount(spec);
  ASSERT_TRUE(m.ok()) << m.status();
  mount_ = std::move(*m);
}

void MountTest::Unmount() {
  if (mount_) {
    Status s = mount_->Unmount();
    EXPECT_TRUE(s.ok()) << s;
    mount_.reset();
  }
}

std::string ReadAll(const std::string& path) { return ReadWholeFile(path); }

std::string ReadDirect(const std::string& path, size_t chunk, int* err) {
  if (err != nullptr) *err = 0;
  int fd = ::open(path.c_str(), O_RDONLY | O_DIRECT);
  if (fd < 0) {
    if (err != nullptr) *err = errno;
    return "";
  }
  void* mem = nullptr;
  if (::posix_memalign(&mem, 4096, chunk + 4096) != 0) std::abort();
  std::string out;
  off_t off = 0;
  while (true) {
    ssize_t n = ::pread(fd, mem, chunk, off);
    if (n < 0) {
      if (err != nullptr) *err = errno;
      break;
    }
    if (n == 0) break;
    out.append(static_cast<char*>(mem), static_cast<size_t>(n));
    off += n;
  }
  std::free(mem);
  ::close(fd);
  return out;
}

std::string RandomData(size_t size, uint32_t seed) {
  std::mt19937_64 rng(seed);
  std::string s(size, '\0');
  for (size_t i = 0; i < size; i += 8) {
    uint64_t r = rng();
    std::memcpy(s.data() + i, &r, std::min<size_t>(8, size - i));
  }
  return s;
}

int ErrnoOf(const std::function<int()>& call) {
  errno = 0;
  int r = call();
  return r < 0 ? errno : 0;
}

std::vector<std::string> ListDir(const std::string& path) {
  std::vector<std::string> names;
  DIR* d = ::opendir(path.c_str());
  if (d == nullptr) return names;
  while (dirent* e = ::readdir(d)) {
    std::string n = e->d_name;
    if (n != "." && n != "..") names.push_back(n);
  }
  ::closedir(d);
  std::sort(names.begin(), names.end());
  return names;
}

std::string PrintName(const ::testing::TestParamInfo<ServerFactory>& info) {
  return info.param.name;
}

}  // namespace imagefs::fstest
