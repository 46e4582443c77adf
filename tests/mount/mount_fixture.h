// The fixture of the mount tests: a catalog service (behind the CatalogServer seam, so
// every behaviour can run against FakeImaged now and the real imaged later, as
// mountpoint-s3's TestSessionCreator) and the imagefs binary mounted over it.
// Tests cite the section of docs/semantics.md they check.
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "common/wire/image.h"
#include "tests/testing/fs/fake_imaged.h"
#include "tests/testing/fs/mounted_fs.h"
#include "tests/testing/fs/temp_dir.h"

namespace imagefs::fstest {

// A catalog service the mount can talk to.
class CatalogServer {
 public:
  virtual ~CatalogServer() = default;
  virtual std::string url() const = 0;
  virtual std::string token() const = 0;
  // Creates an active image holding `data`; returns its id.
  virtual std::string AddImage(std::optional<std::string> name, const std::string& data) = 0;
  virtual std::optional<wire::Image> Show(const std::string& id) = 0;
  virtual void Stop() = 0;
  virtual Status Start() = 0;
  // GET /v2/images/{id}/file requests and GET /v2/images list requests so far;
  // nullopt when the server cannot count them (the checks that need them are skipped).
  virtual std::optional<uint64_t> DataRequests() const = 0;
  virtual std::optional<uint64_t> ListRequests() const = 0;
  // Fault injection and direct edits, when the server supports them (else nullptr:
  // the test is skipped).
  virtual FakeImaged* fake() { return nullptr; }
};

struct ServerFactory {
  std::string name;
  std::function<std::unique_ptr<CatalogServer>()> make;
};

ServerFactory FakeImagedServer(bool serve_blocks = true);
// The real imaged (tests/testing/service ImagedProcess); only when it is built.
#ifdef IMAGEFS_HAVE_IMAGED
ServerFactory RealImagedServer();
bool ImagedBinaryExists();
#endif
// Every server the mount tests run against.
std::vector<ServerFactory> AllServers();
inline void PrintTo(const ServerFactory& f, std::ostream* os) { *os << f.name; }

// Declares `var`, the server's FakeImaged, or skips the test when the server has no
// fault injection.
#define IMAGEFS_REQUIRE_FAKE(var)    \
  FakeImaged* var = server().fake(); \
  if (var == nullptr) GTEST_SKIP() << "needs a server with fault injection"

class MountTest : public ::testing::TestWithParam<ServerFactory> {
 protected:
  void SetUp() override;
  void TearDown() override;

  // Mounts (again) over the server with the fixture's cache directory and `options`
  // added to the defaults (short deadlines suited to tests).
  void Mount(std::vector<std::string> options = {});
  void Unmount();

  std::string Path(const std::string& rel) const { return mount_->Path(rel); }
  CatalogServer& server() { return *server_; }
  MountedFs& mount() { return *mount_; }
  const std::string& cache_dir() const { return cache_dir_->path(); }

  std::unique_ptr<CatalogServer> server_;
  std::unique_ptr<TempDir> cache_dir_;
  std::unique_ptr<MountedFs> mount_;
};

#ifdef IMAGEFS_HAVE_IMAGED
// The real imaged with projects projA, projB, projC (tokens tokA, tokB, tokC) and a
// mount per project on demand (docs/semantics.md §11, §12). Skips when FUSE or the
// imaged binary is missing.
class ProjectsTest : public ::testing::Test {
 protected:
  struct Api {
    long status = 0;
    std::string body;
  };

  ProjectsTest();
  ~ProjectsTest() override;
  void SetUp() override;
  void TearDown() override;

  // Mounts project `p` ("A", "B" or "C") with its token and project= (once);
  // nullptr (and a test failure) when the mount fails.
  MountedFs* MountAs(const std::string& p);
  // Unmounts project `p`'s mount, keeping its cache directory for the next MountAs.
  void UnmountAs(const std::string& p);
  // Project `p`'s cache directory (after its first MountAs).
  std::string CacheDirOf(const std::string& p) const;
  // How many times `what` occurs in imaged's request log so far.
  uint64_t LogCount(const std::string& what) const;
  // One call as project `p`.
  Api Call(const std::string& p, const std::string& method, const std::string& path,
           const std::string& json = "");
  // An active raw image of project `p` holding `data`, of the given visibility.
  std::string CreateImage(const std::string& p, const std::string& name, const std::string& data,
                          const std::string& visibility = "private");
  // Waits (up to `seconds`) until `pred` holds; true if it did.
  static bool WaitFor(const std::function<bool()>& pred, int seconds = 15);

  struct Impl;
  std::unique_ptr<Impl> impl_;
};
#endif

// Test helpers on plain files.
std::string ReadAll(const std::string& path);
// Reads with O_DIRECT in `chunk`-byte preads from an aligned buffer; errno in *err.
std::string ReadDirect(const std::string& path, size_t chunk, int* err = nullptr);
std::string RandomData(size_t size, uint32_t seed);
// The errno of a failed call, 0 if it succeeded.
int ErrnoOf(const std::function<int()>& call);
std::vector<std::string> ListDir(const std::string& path);
std::string PrintName(const ::testing::TestParamInfo<ServerFactory>& info);

}  // namespace imagefs::fstest
