// Property test of ListImages: random catalogs and random queries (fixed seed),
// each compared with a brute-force reference that filters every image and sorts
// with std::sort. Paging by marker must return every listed image exactly once, in
// order, for every sort form, through index maintenance (updates, deletes,
// membership changes) and after a reopen.
#include <algorithm>
#include <map>
#include <random>
#include <set>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "tests/unit/service/catalog/catalog_test_util.h"

namespace imagefs::service::testing {
namespace {

using wire::Image;
using wire::ImageStatus;
using wire::MemberStatus;
using wire::Visibility;

constexpr int kImages = 300;
const std::vector<std::string> kProjects = {"p0", "p1", "p2", "p3"};
const std::vector<std::string> kNames = {"alpha", "beta", "gamma", "delta", ""};
const std::vector<std::string> kFormats = {"raw", "qcow2", "iso"};

// ---- the reference: straight from spec 1.4 / 1.6, no indexes ----

struct Mirror {
  std::map<std::string, Image> images;
  std::map<std::pair<std::string, std::string>, MemberStatus> members;  // (image, project)
};

bool IsGone(const Image& i) {
  return i.status == ImageStatus::kDeleted || i.status == ImageStatus::kPendingDelete;
}

const MemberStatus* RefMember(const Mirror& m, const Image& i, const std::string& project) {
  auto it = m.members.find({i.id, project});
  return it == m.members.end() ? nullptr : &it->second;
}

bool RefOwned(const Image& i, const Identity& c) { return i.owner && *i.owner == c.project; }

bool RefReadable(const Mirror& m, const Image& i, const Identity& c) {
  return c.is_admin || !i.owner || i.visibility == Visibility::kPublic ||
         i.visibility == Visibility::kCommunity || RefOwned(i, c) ||
         (i.visibility == Visibility::kShared && RefMember(m, i, c.project) != nullptr);
}

bool RefFilter(const Image& i, const ListFilter& f) {
  if (f.key == "name") {
    if (!i.name) return false;
    return std::find(f.values.begin(), f.values.end(), *i.name) != f.values.end();
  }
  if (f.key == "status") {
    std::string s(wire::ToString(i.status));
    return std::find(f.values.begin(), f.values.end(), s) != f.values.end();
  }
  if (f.key == "disk_format") return i.disk_format && *i.disk_format == f.values[0];
  if (f.key == "color")
    return i.properties.count("color") && i.properties.at("color") == f.values[0];
  if (f.key == "created_at") {
    return f.op == ListFilter::Op::kGt ? i.created_at > f.time : i.created_at <= f.time;
  }
  ADD_FAILURE() << "reference has no filter " << f.key;
  return false;
}

bool RefListed(const Mirror& m, const Image& i, const ListQuery& q) {
  const Identity& c = q.caller;
  if (i.status == ImageStatus::kKilled) return false;
  if (IsGone(i) && !(q.changes_since && i.updated_at >= *q.changes_since)) return false;
  if (!q.ignore_os_hidden && i.os_hidden != q.os_hidden) return false;
  const MemberStatus* member = RefMember(m, i, c.project);
  bool candidate = c.is_admin || i.visibility == Visibility::kPublic ||
                   i.visibility == Visibility::kCommunity || RefOwned(i, c) ||
                   (i.visibility == Visibility::kShared && member != nullptr &&
                    (!q.member_status || *member == *q.member_status));
  if (!candidate) return false;
  if (!q.visibility_all) {
    if (q.visibility && i.visibility != *q.visibility) return false;
    if (!q.visibility && i.visibility == Visibility::kCommunity && !RefOwned(i, c)) return false;
  }
  if (q.is_protected && i.is_protected != *q.is_protected) return false;
  for (const std::string& t : q.tags) {
    if (std::find(i.tags.begin(), i.tags.end(), t) == i.tags.end()) return false;
  }
  if (q.size_min && (!i.size || *i.size < *q.size_min)) return false;
  if (q.size_max && (!i.size || *i.size > *q.size_max)) return false;
  return std::all_of(q.filters.begin(), q.filters.end(),
                     [&i](const ListFilter& f) { return RefFilter(i, f); });
}

int RefCompareKey(const Image& a, const Image& b, const std::string& key) {
  auto cmp = [](const auto& x, const auto& y) { return x < y ? -1 : (y < x ? 1 : 0); };
  auto str = [](const std::optional<std::string>& s) { return s.value_or(""); };
  if (key == "name") return cmp(str(a.name), str(b.name));
  if (key == "status")
    return cmp(std::string(wire::ToString(a.status)), std::string(wire::ToString(b.status)));
  if (key == "disk_format") return cmp(str(a.disk_format), str(b.disk_format));
  if (key == "container_format") return cmp(str(a.container_format), str(b.container_format));
  if (key == "size") return cmp(a.size.value_or(0), b.size.value_or(0));
  if (key == "id") return cmp(a.id, b.id);
  if (key == "created_at") return cmp(a.created_at, b.created_at);
  return cmp(a.updated_at, b.updated_at);
}

// Negative when `a` lists before `b`.
int RefCompare(const Image& a, const Image& b, const std::vector<SortKey>& sort) {
  std::vector<SortKey> keys;
  for (const SortKey& k : sort) {
    bool seen =
        std::any_of(keys.begin(), keys.end(), [&k](const SortKey& s) { return s.key == k.key; });
    if (!seen) keys.push_back(k);
  }
  for (const char* tie : {"created_at", "id"}) {
    bool seen =
        std::any_of(keys.begin(), keys.end(), [tie](const SortKey& s) { return s.key == tie; });
    if (!seen) keys.push_back({tie, false});
  }
  for (const SortKey& k : keys) {
    int c = RefCompareKey(a, b, k.key);
    if (c != 0) return k.ascending ? c : -c;
  }
  return 0;
}

std::vector<std::string> RefList(const Mirror& m, const ListQuery& q) {
  std::vector<const Image*> hits;
  for (const auto& [id, image] : m.images) {
    if (RefListed(m, image, q)) hits.push_back(&image);
  }
  std::sort(hits.begin(), hits.end(),
            [&q](const Image* a, const Image* b) { return RefCompare(*a, *b, q.sort) < 0; });
  std::vector<std::string> ids;
  for (const Image* i : hits) ids.push_back(i->id);
  return ids;
}

// ---- random catalogs and queries ----

class ListPropertyTest : public CatalogFixture {
 protected:
  template <typename T>
  const T& Pick(const std::vector<T>& v) {
    return v[std::uniform_int_distribution<size_t>(0, v.size() - 1)(rng_)];
  }
  bool Chance(double p) { return std::bernoulli_distribution(p)(rng_); }
  int Int(int lo, int hi) { return std::uniform_int_distribution<int>(lo, hi)(rng_); }

  Image RandomImage(int n) {
    Image i = MakeImage("id-" + std::to_string(1000 + Int(0, 8999)) + "-" + std::to_string(n),
                        Pick(kProjects), 0);
    if (Chance(0.05)) i.owner.reset();
    i.created_at = kBaseTime + Int(0, 40) * kSecond;  // many ties: id breaks them
    i.updated_at = i.created_at + Int(0, 40) * kSecond;
    i.name = Pick(kNames);
    if (Chance(0.1)) i.name.reset();
    i.visibility = static_cast<Visibility>(Int(0, 3));
    i.status = Chance(0.8) ? ImageStatus::kActive : static_cast<ImageStatus>(Int(0, 8));
    if (IsGone(i)) i.status = ImageStatus::kQueued;  // deletes go through DeleteImage
    i.os_hidden = Chance(0.15);
    i.is_protected = Chance(0.2);
    if (Chance(0.8)) i.size = Int(0, 4) * 100;
    if (Chance(0.9)) i.disk_format = Pick(kFormats);
    for (const char* tag : {"a", "b", "c"}) {
      if (Chance(0.4)) i.tags.push_back(tag);
    }
    if (Chance(0.5)) i.properties["color"] = Chance(0.5) ? "red" : "blue";
    return i;
  }

  void Populate() {
    for (int n = 0; n < kImages; ++n) {
      Image i = RandomImage(n);
      Create(i);
      mirror_.images[i.id] = i;
    }
    for (const auto& [id, image] : mirror_.images) {
      for (const std::string& p : kProjects) {
        if (image.owner != p && Chance(0.25))
          SetMember(id, p, static_cast<MemberStatus>(Int(0, 2)));
      }
    }
  }

  void SetMember(const std::string& image_id, const std::string& project, MemberStatus status) {
    if (mirror_.members.count({image_id, project})) {
      auto set = [status](wire::Member& m) {
        m.status = status;
        return Status::Ok();
      };
      ASSERT_TRUE(catalog().UpdateMember(image_id, project, set).ok());
    } else {
      AddMember(image_id, project, status);
    }
    mirror_.members[{image_id, project}] = status;
  }

  // Updates, deletes and membership changes, mirrored.
  void Churn(int changes) {
    std::vector<std::string> ids;
    for (const auto& [id, image] : mirror_.images) {
      if (!IsGone(image)) ids.push_back(id);
    }
    for (int n = 0; n < changes; ++n) {
      const std::string& id = Pick(ids);
      if (IsGone(mirror_.images[id])) continue;
      int what = Int(0, 9);
      if (what == 0) {
        int64_t now = kBaseTime + Int(0, 100) * kSecond;
        ASSERT_TRUE(catalog().DeleteImage(id, now).ok());
        Image& i = mirror_.images[id];
        i.status = ImageStatus::kDeleted;
        i.updated_at = now;
        i.deleted_at = now;
        std::erase_if(mirror_.members, [&id](const auto& kv) { return kv.first.first == id; });
      } else if (what <= 2) {
        SetMember(id, Pick(kProjects), static_cast<MemberStatus>(Int(0, 2)));
      } else {
        Image next = RandomImage(n);
        next.id = id;
        next.created_at = mirror_.images[id].created_at;
        auto replace = [&next](Image& i) {
          i = next;
          return Status::Ok();
        };
        ASSERT_TRUE(catalog().UpdateImage(id, replace).ok());
        mirror_.images[id] = next;
      }
    }
  }

  ListQuery RandomQuery() {
    static const std::vector<std::vector<SortKey>> kSorts = {
        {},
        {{"created_at", true}, {"id", true}},
        {{"name", true}, {"created_at", true}, {"id", true}},
        {{"name", false}},
        {{"updated_at", false}},
        {{"updated_at", true}, {"created_at", true}, {"id", true}},
        {{"size", false}, {"name", true}},
        {{"status", true}},
        {{"id", true}},
        {{"disk_format", true}, {"name", false}},
        {{"name", true}, {"name", false}},
        {{"name", true}},  // tie-breakers desc: not an indexed order
    };
    ListQuery q;
    q.caller = Chance(0.15) ? Admin() : User(Pick(kProjects));
    static const std::vector<std::optional<MemberStatus>> kStatuses = {
        MemberStatus::kAccepted, MemberStatus::kPending, MemberStatus::kRejected, std::nullopt};
    q.member_status = Pick(kStatuses);
    int vis = Int(0, 9);
    if (vis < 4) q.visibility = static_cast<Visibility>(vis);
    q.visibility_all = vis == 4;
    q.os_hidden = Chance(0.15);
    q.ignore_os_hidden = Chance(0.1);
    if (Chance(0.1)) q.changes_since = kBaseTime + Int(0, 100) * kSecond;
    AddRandomFilters(q);
    q.sort = Pick(kSorts);
    q.limit = Int(1, 9);
    return q;
  }

  void AddRandomFilters(ListQuery& q) {
    if (Chance(0.15)) q.filters.push_back({"name", ListFilter::Op::kIn, {"alpha", "", "gamma"}, 0});
    if (Chance(0.1)) q.filters.push_back({"status", ListFilter::Op::kIn, {"active", "queued"}, 0});
    if (Chance(0.1)) q.filters.push_back({"disk_format", ListFilter::Op::kEq, {"raw"}, 0});
    if (Chance(0.1)) q.filters.push_back({"color", ListFilter::Op::kEq, {"red"}, 0});
    if (Chance(0.1)) {
      bool gt = Chance(0.5);
      q.filters.push_back({"created_at",
                           gt ? ListFilter::Op::kGt : ListFilter::Op::kLte,
                           {},
                           kBaseTime + Int(0, 40) * kSecond});
    }
    if (Chance(0.1)) q.size_min = Int(0, 4) * 100;
    if (Chance(0.1)) q.size_max = Int(0, 4) * 100;
    if (Chance(0.1)) q.tags = {"a"};
    if (Chance(0.05)) q.tags = {"a", "b"};
    if (Chance(0.1)) q.is_protected = Chance(0.5);
  }

  // Pages through `q` with markers and checks the union against the reference.
  void CheckPaging(ListQuery q) {
    std::vector<std::string> expected = RefList(mirror_, q);
    std::vector<std::string> got;
    q.marker.reset();
    for (int pages = 0; pages <= kImages; ++pages) {
      Result<ListPage> page = catalog().ListImages(q);
      ASSERT_TRUE(page.ok()) << page.status();
      ASSERT_LE(page->images.size(), q.limit);
      ASSERT_EQ(page->full, page->images.size() == q.limit);
      for (const Image& i : page->images) got.push_back(i.id);
      if (!page->full) break;
      q.marker = page->images.back().id;
    }
    ASSERT_EQ(got, expected) << Describe(q);
    ASSERT_EQ(std::set<std::string>(got.begin(), got.end()).size(), got.size());
  }

  // A page after a random marker the caller may read (listed or not).
  void CheckRandomMarker(ListQuery q) {
    const Image& marker = mirror_.images.at(Pick(ids_));
    q.marker = marker.id;
    Result<ListPage> page = catalog().ListImages(q);
    bool usable = (!IsGone(marker) || q.changes_since) && RefReadable(mirror_, marker, q.caller);
    if (!usable) {
      ASSERT_FALSE(page.ok());
      ASSERT_EQ(page.status().code(), StatusCode::kInvalidArgument);
      return;
    }
    ASSERT_TRUE(page.ok()) << page.status();
    std::vector<std::string> expected;
    for (const std::string& id : RefList(mirror_, q)) {
      if (expected.size() < q.limit && RefCompare(mirror_.images.at(id), marker, q.sort) > 0) {
        expected.push_back(id);
      }
    }
    std::vector<std::string> got;
    for (const Image& i : page->images) got.push_back(i.id);
    ASSERT_EQ(got, expected) << Describe(q);
  }

  void RunQueries(int count) {
    ids_.clear();
    for (const auto& [id, image] : mirror_.images) ids_.push_back(id);
    for (int n = 0; n < count; ++n) {
      ListQuery q = RandomQuery();
      ASSERT_NO_FATAL_FAILURE(CheckPaging(q));
      ASSERT_NO_FATAL_FAILURE(CheckRandomMarker(q));
    }
  }

  static std::string Describe(const ListQuery& q) {
    std::string s = "caller=" + q.caller.project + (q.caller.is_admin ? "(admin)" : "") +
                    " limit=" + std::to_string(q.limit) + " sort=";
    for (const SortKey& k : q.sort) s += k.key + (k.ascending ? ":asc," : ":desc,");
    s += " filters=" + std::to_string(q.filters.size());
    if (q.visibility) s += " visibility=" + std::string(wire::ToString(*q.visibility));
    if (q.visibility_all) s += " visibility=all";
    if (q.changes_since) s += " changes_since";
    return s;
  }

  std::mt19937 rng_{20261127};
  Mirror mirror_;
  std::vector<std::string> ids_;
};

TEST_F(ListPropertyTest, PagingMatchesBruteForceForRandomQueries) {
  Populate();
  RunQueries(300);
}

TEST_F(ListPropertyTest, IndexesStayCorrectThroughChurnAndReopen) {
  Populate();
  Churn(400);
  RunQueries(150);
  Reopen();
  RunQueries(150);
}

}  // namespace
}  // namespace imagefs::service::testing
