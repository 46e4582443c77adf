#include "fs/name_map.h"

#include <algorithm>
#include <map>

namespace imagefs::fs {
namespace {

constexpr char kHex[] = "0123456789ABCDEF";
constexpr size_t kShortIdLen = 8;

bool NeedsEscape(unsigned char c) { return c == '%' || c == '/' || c < 0x20 || c == 0x7f; }

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  return -1;
}

// Cuts an encoded name to at most `max` bytes without splitting a UTF-8 character
// or a %XX escape.
std::string Truncate(const std::string& s, size_t max) {
  if (s.size() <= max) return s;
  size_t cut = max;
  while (cut > 0 && (static_cast<unsigned char>(s[cut]) & 0xC0) == 0x80) --cut;
  if (cut >= 1 && s[cut - 1] == '%') cut -= 1;
  if (cut >= 2 && s[cut - 2] == '%') cut -= 2;
  return s.substr(0, cut);
}

struct Candidate {
  const NamedImage* image;
  std::string base;
  bool suffixed = false;
};

std::string WithSuffix(const Candidate& c, size_t id_len) {
  std::string id = c.image->id.substr(0, id_len);
  return Truncate(c.base, kNameMax - 1 - id.size()) + "~" + id;
}

// Candidates whose current name is shared with another candidate.
std::vector<Candidate*> Colliding(std::vector<Candidate>& all,
                                  const std::vector<std::string>& names) {
  std::map<std::string_view, int> count;
  for (const auto& n : names) ++count[n];
  std::vector<Candidate*> out;
  for (size_t i = 0; i < all.size(); ++i) {
    if (count[names[i]] > 1) out.push_back(&all[i]);
  }
  return out;
}

}  // namespace

std::string EncodeName(std::string_view name) {
  if (name == ".") return "%2E";
  if (name == "..") return "%2E%2E";
  std::string out;
  out.reserve(name.size());
  for (char ch : name) {
    auto c = static_cast<unsigned char>(ch);
    if (NeedsEscape(c)) {
      out += '%';
      out += kHex[c >> 4];
      out += kHex[c & 0xF];
    } else {
      out += ch;
    }
  }
  return out;
}

std::optional<std::string> DecodeName(std::string_view file_name) {
  std::string out;
  for (size_t i = 0; i < file_name.size(); ++i) {
    auto c = static_cast<unsigned char>(file_name[i]);
    if (c != '%') {
      if (NeedsEscape(c)) return std::nullopt;
      out += file_name[i];
      continue;
    }
    if (i + 2 >= file_name.size()) return std::nullopt;
    int hi = HexValue(file_name[i + 1]);
    int lo = HexValue(file_name[i + 2]);
    if (hi < 0 || lo < 0) return std::nullopt;
    out += static_cast<char>(hi * 16 + lo);
    i += 2;
  }
  return out;
}

NameAssignment AssignNames(const std::vector<NamedImage>& images) {
  std::vector<Candidate> all;
  all.reserve(images.size());
  std::map<std::string, int> group_size;
  for (const auto& img : images) {
    Candidate c{&img, img.name && !img.name->empty() ? EncodeName(*img.name) : img.id};
    c.suffixed = c.base.size() > kNameMax;
    ++group_size[c.base];
    all.push_back(std::move(c));
  }
  std::vector<std::string> names(all.size());
  for (size_t i = 0; i < all.size(); ++i) {
    Candidate& c = all[i];
    c.suffixed = c.suffixed || group_size[c.base] > 1;
    names[i] = c.suffixed ? WithSuffix(c, kShortIdLen) : c.base;
  }
  // Second round: suffixed entries that still collide take the whole id.
  for (Candidate* c : Colliding(all, names)) {
    if (c->suffixed) names[c - all.data()] = WithSuffix(*c, c->image->id.size());
  }
  NameAssignment out;
  std::vector<Candidate*> left = Colliding(all, names);
  // Last resort, deterministic: among entries still sharing a name, the smallest id keeps it.
  std::sort(left.begin(), left.end(),
            [](const Candidate* a, const Candidate* b) { return a->image->id < b->image->id; });
  std::map<std::string, bool> taken;
  for (Candidate* c : left) {
    std::string n = names[c - all.data()];
    if (taken[n]) {
      out.omitted.push_back(c->image->id);
      names[c - all.data()].clear();
    }
    taken[n] = true;
  }
  out.id_to_name.reserve(all.size());
  for (size_t i = 0; i < all.size(); ++i) {
    if (!names[i].empty()) out.id_to_name.emplace(all[i].image->id, std::move(names[i]));
  }
  return out;
}

}  // namespace imagefs::fs
