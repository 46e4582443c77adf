// TempDir: a fresh directory under $TMPDIR (or /tmp), removed with its contents on
// destruction.
#pragma once

#include <string>

namespace imagefs::testing {

class TempDir {
 public:
  explicit TempDir(const std::string& prefix = "imagefs-test");
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  const std::string& path() const { return path_; }
  std::string File(const std::string& name) const { return path_ + "/" + name; }

 private:
  std::string path_;
};

// Writes `contents` to `path` (truncating). Aborts the test binary on failure.
void WriteFile(const std::string& path, const std::string& contents);
std::string ReadFile(const std::string& path);

}  // namespace imagefs::testing
