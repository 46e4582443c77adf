// ImagedProcess: the real imaged binary, started on 127.0.0.1:0 with a temporary
// data directory and a tokens file, for integration tests. The destructor stops it
// (SIGTERM, then SIGKILL) and removes the data directory unless it was given.
#pragma once

#include <sys/types.h>

#include <map>
#include <string>
#include <vector>

#include "tests/testing/service/temp_dir.h"

namespace imagefs::testing {

struct ImagedOptions {
  // token -> "project[:roles,comma,separated]"; default: projA, projB, projC as members
  // ("tokA", "tokB", "tokC") and "admin" (project admin, roles admin,member,reader).
  std::map<std::string, std::string> tokens;
  bool demo_mode = false;  // no --tokens at all
  std::string data_dir;    // empty: a fresh temporary directory
  std::vector<std::string> extra_args;
};

class ImagedProcess {
 public:
  explicit ImagedProcess(ImagedOptions options = {});
  ~ImagedProcess();
  ImagedProcess(const ImagedProcess&) = delete;
  ImagedProcess& operator=(const ImagedProcess&) = delete;

  // Starts the daemon and waits (up to 20 s) until it listens. Returns false on failure
  // (the log is in log()).
  bool Start();
  // SIGTERM and wait; true when it exited with status 0.
  bool Stop();
  // SIGKILL, as a crash would.
  void Kill();
  bool running() const { return pid_ > 0; }

  int port() const { return port_; }
  std::string url() const { return "http://127.0.0.1:" + std::to_string(port_); }
  const std::string& data_dir() const { return data_dir_; }
  std::string log() const;
  pid_t pid() const { return pid_; }

  static std::string DefaultBinary();  // the imaged built with the tests

 private:
  ImagedOptions options_;
  TempDir work_;
  std::string data_dir_;
  pid_t pid_ = -1;
  int port_ = 0;
};

}  // namespace imagefs::testing
