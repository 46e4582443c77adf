#include "tests/testing/service/imaged_process.h"

#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <thread>

namespace imagefs::testing {

namespace {

std::string TokensJson(const std::map<std::string, std::string>& tokens) {
  std::string out = "{\"tokens\": {";
  bool first = true;
  for (const auto& [token, spec] : tokens) {
    std::string project = spec.substr(0, spec.find(':'));
    std::string roles = spec.find(':') == std::string::npos ? "member,reader"
                                                              : spec.substr(spec.find(':') + 1);
    std::string roles_json;
    size_t pos = 0;
    while (pos <= roles.size()) {
      size_t comma = roles.find(',', pos);
      if (comma == std::string::npos) comma = roles.size();
      if (comma > pos) {
        if (!roles_json.empty()) roles_json += ", ";
        roles_json += "\"" + roles.substr(pos, comma - pos) + "\"";
      }
      pos = comma + 1;
    }
    if (!first) out += ", ";
    first = false;
    out += "\"" + token + "\": {\"project\": \"" + project + "\", \"user\": \"" + project +
           "-user\", \"roles\": [" + roles_json + "]}";
  }
  return out + "}}";
}

}  // namespace

std::string ImagedProcess::DefaultBinary() {
  if (const char* env = std::getenv("IMAGED_BINARY")) return env;
#ifdef IMAGEFS_IMAGED_BINARY
  return IMAGEFS_IMAGED_BINARY;
#else
  return "imaged";
#endif
}

ImagedProcess::ImagedProcess(ImagedOptions options)
    : options_(std::move(options)), work_("imaged-it") {
  if (options_.tokens.empty()) {
    options_.tokens = {{"tokA", "projA"},
                       {"tokB", "projB"},
                       {"tokC", "projC"},
                       {"tokR", "projA:reader"},
                       {"admin", "admin:admin,member,reader"}};
  }
  data_dir_ = options_.data_dir.empty() ? work_.File("data") : options_.data_dir;
}

ImagedProcess::~ImagedProcess() {
  if (pid_ > 0 && !Stop()) Kill();
}

bool ImagedProcess::Start() {
  std::string port_file = work_.File("port");
  ::unlink(port_file.c_str());
  std::vector<std::string> args = {DefaultBinary(), "--listen", "127.0.0.1:0", "--data-dir",
                                   data_dir_, "--port-file", port_file};
  if (!options_.demo_mode) {
    WriteFile(work_.File("tokens.json"), TokensJson(options_.tokens));
    args.push_back("--tokens");
    args.push_back(work_.File("tokens.json"));
  }
  for (const auto& a : options_.extra_args) args.push_back(a);
  std::string log = work_.File("imaged.log");
  pid_t parent = ::getpid();
  pid_ = ::fork();
  if (pid_ == 0) {
    // Die with the test: a crashed test binary must not leave a daemon behind.
    ::prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (::getppid() != parent) std::_Exit(127);
    FILE* f = std::freopen(log.c_str(), "a", stderr);
    (void)f;
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    ::execv(argv[0], argv.data());
    std::_Exit(127);
  }
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  while (std::chrono::steady_clock::now() < deadline) {
    std::string text = ReadFile(port_file);
    if (!text.empty() && text.back() == '\n') {
      port_ = std::atoi(text.c_str());
      return port_ > 0;
    }
    int status = 0;
    if (::waitpid(pid_, &status, WNOHANG) == pid_) {
      pid_ = -1;
      return false;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return false;
}

bool ImagedProcess::Stop() {
  if (pid_ <= 0) return true;
  ::kill(pid_, SIGTERM);
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(15);
  int status = 0;
  while (std::chrono::steady_clock::now() < deadline) {
    if (::waitpid(pid_, &status, WNOHANG) == pid_) {
      pid_ = -1;
      return WIFEXITED(status) && WEXITSTATUS(status) == 0;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return false;
}

void ImagedProcess::Kill() {
  if (pid_ <= 0) return;
  ::kill(pid_, SIGKILL);
  int status = 0;
  ::waitpid(pid_, &status, 0);
  pid_ = -1;
}

std::string ImagedProcess::log() const { return ReadFile(work_.File("imaged.log")); }

}  // namespace imagefs::testing
