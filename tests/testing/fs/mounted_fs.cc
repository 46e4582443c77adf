#include "tests/testing/fs/mounted_fs.h"

#include <fcntl.h>
#include <signal.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <thread>

#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/wait.h>

namespace imagefs::fstest {
namespace {

constexpr long kFuseSuperMagic = 0x65735546;
using Clock = std::chrono::steady_clock;

bool IsFuse(const std::string& path) {
  struct statfs st {};
  return ::statfs(path.c_str(), &st) == 0 && st.f_type == kFuseSuperMagic;
}

// Waits up to `limit` for `pid` to exit; true if it did (and was reaped).
bool WaitExit(pid_t pid, std::chrono::milliseconds limit) {
  auto end = Clock::now() + limit;
  while (true) {
    int status = 0;
    pid_t r = ::waitpid(pid, &status, WNOHANG);
    if (r == pid || (r < 0 && errno == ECHILD)) return true;
    if (Clock::now() >= end) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
}

int RunQuiet(const std::vector<std::string>& argv) {
  pid_t pid = ::fork();
  if (pid == 0) {
    int null = ::open("/dev/null", O_RDWR);
    ::dup2(null, 1);
    ::dup2(null, 2);
    std::vector<char*> args;
    for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    ::execvp(args[0], args.data());
    ::_exit(127);
  }
  int status = 0;
  ::waitpid(pid, &status, 0);
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

}  // namespace

bool FuseAvailable() { return ::access("/dev/fuse", R_OK | W_OK) == 0; }

Result<std::unique_ptr<MountedFs>> MountedFs::Mount(const MountSpec& spec) {
  std::unique_ptr<MountedFs> m(new MountedFs());
  m->dir_ = std::make_unique<TempDir>("imagefs-mount");
  m->mountpoint_ = m->dir_->File("mnt");
  m->log_path_ = m->dir_->File("imagefs.log");
  ::mkdir(m->mountpoint_.c_str(), 0755);
  std::string opts = "cache_dir=" + spec.cache_dir;
  if (!spec.token.empty()) opts += ",token=" + spec.token;
  for (const auto& o : spec.options) opts += "," + o;
#ifdef IMAGEFS_BINARY
  std::string binary = spec.binary.empty() ? IMAGEFS_BINARY : spec.binary;
#else
  std::string binary = spec.binary;
#endif
  std::vector<std::string> argv = {binary, spec.url, m->mountpoint_, "-f", "-o", opts};
  m->pid_ = ::fork();
  if (m->pid_ < 0) return ErrnoStatus(errno, "fork");
  if (m->pid_ == 0) {
    int log = ::open(m->log_path_.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    ::dup2(log, 2);
    ::dup2(log, 1);
    std::vector<char*> args;
    for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    ::execv(args[0], args.data());
    ::_exit(127);
  }
  auto end = Clock::now() + std::chrono::seconds(10);
  while (!IsFuse(m->mountpoint_)) {
    int status = 0;
    if (::waitpid(m->pid_, &status, WNOHANG) == m->pid_) {
      m->pid_ = -1;
      return Internal("imagefs exited before mounting: " + m->Log());
    }
    if (Clock::now() >= end) return DeadlineExceeded("imagefs did not mount in 10 s: " + m->Log());
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  m->mounted_ = true;
  return m;
}

Status MountedFs::Unmount() {
  if (mounted_) {
    RunQuiet({"fusermount3", "-u", "-z", mountpoint_});
    mounted_ = false;
  }
  if (pid_ > 0) {
    if (!WaitExit(pid_, std::chrono::seconds(10))) {
      Kill();
      return DeadlineExceeded("imagefs did not exit after unmount");
    }
    pid_ = -1;
  }
  return Status::Ok();
}

void MountedFs::Kill() {
  if (pid_ <= 0) return;
  ::kill(pid_, SIGTERM);
  if (!WaitExit(pid_, std::chrono::seconds(3))) {
    ::kill(pid_, SIGKILL);
    WaitExit(pid_, std::chrono::seconds(3));
  }
  pid_ = -1;
}

MountedFs::~MountedFs() {
  Status s = Unmount();
  s.IgnoreError();
  Kill();
  if (IsFuse(mountpoint_)) RunQuiet({"umount", "-l", mountpoint_});
  ::rmdir(mountpoint_.c_str());
}

uint64_t MountedFs::RssBytes() const {
  if (pid_ <= 0) return 0;
  std::ifstream in("/proc/" + std::to_string(pid_) + "/status");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("VmRSS:", 0) == 0) return std::stoull(line.substr(6)) * 1024;
  }
  return 0;
}

std::string MountedFs::Log() const { return ReadWholeFile(log_path_); }

}  // namespace imagefs::fstest
