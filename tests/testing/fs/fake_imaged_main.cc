// fake_imaged: FakeImaged as a process, for measurements and manual checks of the
// mount until the real imaged exists.
//   fake_imaged [--port N] [--port-file F] [--token T] [--images N] [--image-size B]
//               [--file NAME=PATH]... [--no-blocks]
// Serves until SIGINT/SIGTERM.
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <string>
#include <thread>

#include "tests/testing/fs/fake_imaged.h"

namespace {

volatile std::sig_atomic_t g_stop = 0;
void OnSignal(int) { g_stop = 1; }

}  // namespace

int main(int argc, char** argv) {
  imagefs::fstest::FakeImagedOptions options;
  std::string port_file;
  long images = 0;
  size_t image_size = 4096;
  std::vector<std::pair<std::string, std::string>> files;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    auto next = [&]() -> std::string { return i + 1 < argc ? argv[++i] : ""; };
    if (a == "--port") {
      options.port = std::atoi(next().c_str());
    } else if (a == "--port-file") {
      port_file = next();
    } else if (a == "--token") {
      options.token = next();
    } else if (a == "--images") {
      images = std::atol(next().c_str());
    } else if (a == "--image-size") {
      image_size = std::strtoull(next().c_str(), nullptr, 10);
    } else if (a == "--file") {
      std::string v = next();
      size_t eq = v.find('=');
      files.emplace_back(v.substr(0, eq), eq == std::string::npos ? v : v.substr(eq + 1));
    } else if (a == "--no-blocks") {
      options.serve_blocks = false;
    } else {
      std::fprintf(stderr, "unknown argument %s\n", a.c_str());
      return 2;
    }
  }
  imagefs::fstest::FakeImaged server(options);
  for (long n = 0; n < images; ++n) {
    std::string data(image_size, static_cast<char>('a' + n % 26));
    server.AddImage("image-" + std::to_string(n), std::move(data));
  }
  for (const auto& [name, path] : files) {
    auto id = server.AddImageFromFile(name, path);
    if (!id.ok()) {
      std::fprintf(stderr, "%s\n", id.status().ToString().c_str());
      return 1;
    }
    std::printf("%s %s\n", id->c_str(), name.c_str());
  }
  if (auto s = server.Start(); !s.ok()) {
    std::fprintf(stderr, "%s\n", s.ToString().c_str());
    return 1;
  }
  if (!port_file.empty()) std::ofstream(port_file) << server.port() << "\n";
  std::printf("listening on %s\n", server.url().c_str());
  std::fflush(stdout);
  std::signal(SIGINT, OnSignal);
  std::signal(SIGTERM, OnSignal);
  while (!g_stop) std::this_thread::sleep_for(std::chrono::milliseconds(100));
  return 0;
}
