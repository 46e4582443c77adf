// The real imaged behind the mount tests (tests/testing/service's ImagedProcess).
// It listens on a fixed port so that a restart keeps the mount's URL, and counts
// requests from imaged's access log. It cannot inject faults: the tests that need
// those skip themselves here.
#include <unistd.h>

#include <chrono>
#include <map>
#include <thread>

#include <boost/json.hpp>
#include <netinet/in.h>
#include <sys/socket.h>

#include "common/wire/image_codec.h"
#include "tests/mount/mount_fixture.h"
#include "tests/testing/service/http_client.h"
#include "tests/testing/service/imaged_process.h"

namespace imagefs::fstest {
namespace {

// How many times `what` occurs in `log` (imaged writes one access line per request,
// with the route template).
uint64_t CountIn(const std::string& log, const std::string& what) {
  uint64_t n = 0;
  for (size_t pos = 0; (pos = log.find(what, pos)) != std::string::npos; pos += what.size()) ++n;
  return n;
}

// A port nobody listens on right now (the kernel's choice for an ephemeral bind).
int FreePort() {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof addr;
  ::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  ::close(fd);
  return ntohs(addr.sin_port);
}

class RealImaged final : public CatalogServer {
 public:
  RealImaged() : port_(FreePort()), data_("imaged-data") {
    testing::ImagedOptions o;
    o.data_dir = data_.path();
    o.extra_args = {"--listen", "127.0.0.1:" + std::to_string(port_)};
    imaged_ = std::make_unique<testing::ImagedProcess>(o);
    if (!imaged_->Start()) ADD_FAILURE() << "imaged did not start: " << imaged_->log();
    client_ = std::make_unique<testing::HttpClient>(url());
  }
  std::string url() const override { return "http://127.0.0.1:" + std::to_string(port_); }
  std::string token() const override { return "tokA"; }

  std::string AddImage(std::optional<std::string> name, const std::string& data) override {
    boost::json::object body{{"disk_format", "raw"}, {"container_format", "bare"}};
    if (name) body["name"] = *name;
    auto created = client_->PostJson("/v2/images", token(), boost::json::serialize(body));
    if (created.status != 201) {
      ADD_FAILURE() << "create: " << created.status << " " << created.body;
      return "";
    }
    std::string id(created.Json().at("id").as_string());
    auto up = client_->Put("/v2/images/" + id + "/file", token(), data);
    if (up.status != 204) ADD_FAILURE() << "upload: " << up.status << " " << up.body;
    return id;
  }

  std::optional<wire::Image> Show(const std::string& id) override {
    auto r = client_->Get("/v2/images/" + id, token());
    if (r.status != 200) return std::nullopt;
    auto img = wire::ParseV2Image(r.body);
    return img.ok() ? std::optional<wire::Image>(*img) : std::nullopt;
  }

  void Stop() override { imaged_->Stop(); }
  Status Start() override {
    if (!imaged_->Start()) return Unavailable("imaged did not restart: " + imaged_->log());
    return Status::Ok();
  }
  // imaged writes one access line per request, with the route template.
  std::optional<uint64_t> DataRequests() const override {
    return Count("GET /v2/images/{image_id}/file ");
  }
  std::optional<uint64_t> ListRequests() const override { return Count("GET /v2/images "); }

 private:
  uint64_t Count(const std::string& what) const { return CountIn(imaged_->log(), what); }

  int port_;
  TempDir data_;
  std::unique_ptr<testing::ImagedProcess> imaged_;
  std::unique_ptr<testing::HttpClient> client_;
};

}  // namespace

struct ProjectsTest::Impl {
  std::unique_ptr<testing::ImagedProcess> imaged;
  std::unique_ptr<testing::HttpClient> http;
  std::map<std::string, std::unique_ptr<TempDir>> caches;
  std::map<std::string, std::unique_ptr<MountedFs>> mounts;
};

ProjectsTest::ProjectsTest() = default;
ProjectsTest::~ProjectsTest() = default;

void ProjectsTest::SetUp() {
  if (!FuseAvailable()) GTEST_SKIP() << "no /dev/fuse";
  if (!ImagedBinaryExists()) GTEST_SKIP() << "imaged is not built";
  impl_ = std::make_unique<Impl>();
  impl_->imaged = std::make_unique<testing::ImagedProcess>();
  ASSERT_TRUE(impl_->imaged->Start()) << impl_->imaged->log();
  impl_->http = std::make_unique<testing::HttpClient>(impl_->imaged->url());
}

void ProjectsTest::TearDown() {
  if (!impl_) return;
  for (auto& [p, m] : impl_->mounts) {
    Status s = m->Unmount();
    EXPECT_TRUE(s.ok()) << s;
  }
  impl_->mounts.clear();
  impl_.reset();
}

MountedFs* ProjectsTest::MountAs(const std::string& p) {
  auto& slot = impl_->mounts[p];
  if (slot) return slot.get();
  auto& cache = impl_->caches[p];
  if (!cache) cache = std::make_unique<TempDir>("imagefs-cache-" + p);
  MountSpec spec;
  spec.url = impl_->imaged->url();
  spec.token = "tok" + p;
  spec.cache_dir = impl_->caches[p]->path();
  // Short listing and kernel cache times: the tests watch other projects' changes.
  spec.options = {"project=proj" + p,    "retry_deadline=5s", "connect_timeout=1s",
                  "stall_timeout=2s",    "list_ttl=200ms",    "attr_ttl=0",
                  "resync_interval=1s"};
  auto m = MountedFs::Mount(spec);
  if (!m.ok()) {
    ADD_FAILURE() << "mount as " << p << ": " << m.status();
    impl_->mounts.erase(p);
    return nullptr;
  }
  slot = std::move(*m);
  return slot.get();
}

void ProjectsTest::UnmountAs(const std::string& p) {
  auto it = impl_->mounts.find(p);
  if (it == impl_->mounts.end()) return;
  Status s = it->second->Unmount();
  EXPECT_TRUE(s.ok()) << s;
  impl_->mounts.erase(it);
}

std::string ProjectsTest::CacheDirOf(const std::string& p) const {
  auto it = impl_->caches.find(p);
  return it == impl_->caches.end() ? std::string() : it->second->path();
}

uint64_t ProjectsTest::LogCount(const std::string& what) const {
  return CountIn(impl_->imaged->log(), what);
}

ProjectsTest::Api ProjectsTest::Call(const std::string& p, const std::string& method,
                                     const std::string& path, const std::string& json) {
  testing::HttpClient::Headers h;
  if (!json.empty()) h.emplace_back("Content-Type", "application/json");
  if (path.rfind("/v3/", 0) == 0) h.emplace_back("OpenStack-API-Version", "volume 3.64");
  auto r = impl_->http->Request(method, path, "tok" + p, json, h);
  return Api{r.status, r.body};
}

std::string ProjectsTest::CreateImage(const std::string& p, const std::string& name,
                                      const std::string& data, const std::string& visibility) {
  std::string id = testing::CreateActiveImage(*impl_->http, "tok" + p, name, data,
                                              "\"visibility\": \"" + visibility + "\"");
  EXPECT_FALSE(id.empty()) << "create " << name;
  return id;
}

bool ProjectsTest::WaitFor(const std::function<bool()>& pred, int seconds) {
  auto until = std::chrono::steady_clock::now() + std::chrono::seconds(seconds);
  while (std::chrono::steady_clock::now() < until) {
    if (pred()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  return pred();
}

bool ImagedBinaryExists() {
  return ::access(testing::ImagedProcess::DefaultBinary().c_str(), X_OK) == 0;
}

ServerFactory RealImagedServer() {
  return {"Imaged", [] { return std::make_unique<RealImaged>(); }};
}

}  // namespace imagefs::fstest
