#include "fs/mount_tuning.h"

#include <fstream>
#include <sstream>
#include <vector>

#include "common/result.h"

namespace imagefs::fs {
namespace {

// mountinfo escapes space, tab, newline and backslash as \ooo.
std::string Unescape(const std::string& s) {
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '\\' && i + 3 < s.size()) {
      int v = (s[i + 1] - '0') * 64 + (s[i + 2] - '0') * 8 + (s[i + 3] - '0');
      out += static_cast<char>(v);
      i += 3;
    } else {
      out += s[i];
    }
  }
  return out;
}

}  // namespace

Result<std::string> MountDevice(const std::string& mountpoint) {
  std::ifstream in("/proc/self/mountinfo");
  std::string line, found;
  while (std::getline(in, line)) {
    std::istringstream fields(line);
    std::string id, parent, dev, root, point;
    if (!(fields >> id >> parent >> dev >> root >> point)) continue;
    if (Unescape(point) == mountpoint) found = dev;
  }
  if (found.empty()) return NotFound("nothing mounted at " + mountpoint);
  return found;
}

Status SetMountReadAhead(const std::string& mountpoint, int kb) {
  IMAGEFS_ASSIGN_OR_RETURN(std::string dev, MountDevice(mountpoint));
  std::string path = "/sys/class/bdi/" + dev + "/read_ahead_kb";
  std::ofstream out(path);
  if (!out) return PermissionDenied("cannot open " + path);
  out << kb << "\n";
  out.flush();
  if (!out) return PermissionDenied("cannot write " + path);
  return Status::Ok();
}

}  // namespace imagefs::fs
