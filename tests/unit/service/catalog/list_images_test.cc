// ListImages end to end (ParseV2ListQuery + RocksCatalog) on the fixtures of the
// Glance transcript: section 2 (projL's six images) and section 8 (sharing).
#include <map>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "common/time_util.h"
#include "tests/unit/service/catalog/catalog_test_util.h"

namespace imagefs::service::testing {
namespace {

using wire::ImageStatus;
using wire::Visibility;

const std::map<std::string, std::string> kIds = {
    {"L-alpha", "c767bda6-266c-40d0-9883-d5d6cd154752"},
    {"L-beta", "51eb63c7-b209-4a28-abb9-07a55a1e628e"},
    {"L-gamma", "fee59ec5-3a3e-409e-9bba-f8efcd6d54b1"},
    {"L-delta", "60e8bfbc-0b58-465c-9ede-11537874bd8f"},
    {"L-epsilon", "9526407e-2c15-408d-b6a5-6249bc68d5e8"},
    {"L-zeta", "12ad1748-9bbd-4d8b-8b01-e0149ad86f09"},
};

// 2026-11-27T00:34:27Z, the transcript's creation second of L-alpha.
const int64_t kT27 = *ParseIso("2026-11-27T00:34:27Z");
const int64_t kT29 = kT27 + 2 * kSecond;

wire::Image TranscriptImage(const std::string& name, const std::string& disk,
                            const std::string& container, std::optional<int64_t> size,
                            Visibility visibility, int64_t created) {
  wire::Image image = MakeImage(kIds.at(name), "projL");
  image.name = name;
  image.disk_format = disk;
  image.container_format = container;
  image.size = size;
  image.status = size ? ImageStatus::kActive : ImageStatus::kQueued;
  image.visibility = visibility;
  image.created_at = image.updated_at = created;
  return image;
}

class TranscriptListTest : public CatalogFixture {
 protected:
  void SetUp() override {
    CatalogFixture::SetUp();
    wire::Image alpha =
        TranscriptImage("L-alpha", "qcow2", "bare", 100, Visibility::kPrivate, kT27 + 100000);
    alpha.tags = {"red", "blue"};
    alpha.properties["color"] = "red";
    wire::Image beta =
        TranscriptImage("L-beta", "raw", "bare", 2000, Visibility::kShared, kT27 + 400000);
    beta.tags = {"blue"};
    beta.properties["color"] = "blue";
    wire::Image gamma = TranscriptImage("L-gamma", "iso", "bare", std::nullopt,
                                        Visibility::kCommunity, kT27 + 700000);
    gamma.os_hidden = true;
    wire::Image delta =
        TranscriptImage("L-delta", "raw", "ovf", 500, Visibility::kPrivate, kT29 + 100000);
    delta.is_protected = true;
    delta.tags = {"red"};
    wire::Image epsilon =
        TranscriptImage("L-epsilon", "qcow2", "bare", 100, Visibility::kPublic, kT29 + 400000);
    wire::Image zeta =
        TranscriptImage("L-zeta", "raw", "bare", 2000, Visibility::kPrivate, kT29 + 700000);
    zeta.status = ImageStatus::kDeactivated;
    for (const wire::Image& image : {alpha, beta, gamma, delta, epsilon, zeta}) Create(image);
  }

  // The names listed for projL by GET /v2/images?<params>, or "error: <message>".
  std::vector<std::string> Names(const QueryParams& params, const Identity& caller) {
    Result<ListQuery> query = ParseV2ListQuery(params, caller);
    if (!query.ok()) return {"error: " + query.status().message()};
    Result<ListPage> page = catalog().ListImages(*query);
    if (!page.ok()) return {"error: " + page.status().message()};
    std::vector<std::string> names;
    for (const wire::Image& image : page->images) names.push_back(image.name.value_or(""));
    return names;
  }
  std::vector<std::string> Names(const QueryParams& params) { return Names(params, User("projL")); }
};

using NameList = std::vector<std::string>;
const NameList kAllFive = {"L-zeta", "L-epsilon", "L-delta", "L-beta", "L-alpha"};

TEST_F(TranscriptListTest, DefaultListAndPaging) {
  EXPECT_EQ(Names({}), kAllFive);                                         // 2.1
  EXPECT_EQ(Names({{"limit", "2"}}), (NameList{"L-zeta", "L-epsilon"}));  // 2.3
  EXPECT_EQ(Names({{"limit", "2"}, {"marker", kIds.at("L-epsilon")}}),
            (NameList{"L-delta", "L-beta"}));                                                // 2.4
  EXPECT_EQ(Names({{"limit", "2"}, {"marker", kIds.at("L-beta")}}), (NameList{"L-alpha"}));  // 2.5
  EXPECT_EQ(Names({{"limit", "0"}}), NameList{});                                            // 2.8
  EXPECT_EQ(Names({{"limit", "5000"}}), kAllFive);                                           // 2.11
}

TEST_F(TranscriptListTest, FullMeansExactlyLimitImages) {
  ListQuery q = *ParseV2ListQuery({{"limit", "2"}}, User("projL"));
  EXPECT_TRUE(catalog().ListImages(q)->full);
  q.marker = kIds.at("L-beta");
  EXPECT_FALSE(catalog().ListImages(q)->full);
  q.marker = kIds.at("L-delta");  // the last full page: Glance still emits "next"
  EXPECT_TRUE(catalog().ListImages(q)->full);
  q.limit = 0;
  EXPECT_FALSE(catalog().ListImages(q)->full);
}

TEST_F(TranscriptListTest, UnknownOrInvisibleMarkerIsInvalid) {  // 2.6, 2.7
  EXPECT_EQ(Names({{"marker", "26ee2df9-708e-4583-b61b-45705c694fc8"}}),
            NameList{"error: No image found with ID 26ee2df9-708e-4583-b61b-45705c694fc8"});
  EXPECT_EQ(Names({{"marker", "zzz"}}), NameList{"error: No image found with ID zzz"});
  EXPECT_EQ(Names({{"marker", kIds.at("L-delta")}}, User("projX")),
            NameList{"error: No image found with ID " + kIds.at("L-delta")});
  EXPECT_EQ(Names({{"marker", "zzz"}, {"limit", "0"}}),
            NameList{"error: No image found with ID zzz"});
}

TEST_F(TranscriptListTest, ColumnFilters) {
  EXPECT_EQ(Names({{"name", "L-beta"}}), NameList{"L-beta"});                          // 2.12
  EXPECT_EQ(Names({{"name", "in:L-alpha,L-beta"}}), (NameList{"L-beta", "L-alpha"}));  // 2.13
  EXPECT_EQ(Names({{"name", "in:\"L-alpha\",\"L-delta\""}}), (NameList{"L-delta", "L-alpha"}));
  EXPECT_EQ(Names({{"name", "nomatch"}}), NameList{});  // 2.15
  EXPECT_EQ(Names({{"status", "active"}}),
            (NameList{"L-epsilon", "L-delta", "L-beta", "L-alpha"}));  // 2.16
  EXPECT_EQ(Names({{"status", "queued"}}), NameList{});                // 2.17: L-gamma is hidden
  EXPECT_EQ(Names({{"status", "deactivated"}}), NameList{"L-zeta"});   // 2.18
  EXPECT_EQ(Names({{"status", "bogus"}}), NameList{});                 // 2.19
  EXPECT_EQ(Names({{"status", "in:active,queued"}}),
            (NameList{"L-epsilon", "L-delta", "L-beta", "L-alpha"}));                     // 2.20
  EXPECT_EQ(Names({{"disk_format", "raw"}}), (NameList{"L-zeta", "L-delta", "L-beta"}));  // 2.45
  EXPECT_EQ(Names({{"container_format", "ovf"}}), NameList{"L-delta"});                   // 2.46
  EXPECT_EQ(Names({{"color", "red"}}), NameList{"L-alpha"});                              // 2.47
  EXPECT_EQ(Names({{"id", "in:" + kIds.at("L-alpha") + "," + kIds.at("L-beta")}}),
            (NameList{"L-beta", "L-alpha"}));             // 2.48
  EXPECT_EQ(Names({{"unknownparam", "1"}}), NameList{});  // 2.70
}

TEST_F(TranscriptListTest, VisibilityAndOwner) {
  EXPECT_EQ(Names({{"visibility", "private"}}),
            (NameList{"L-zeta", "L-delta", "L-alpha"}));                // 2.21
  EXPECT_EQ(Names({{"visibility", "shared"}}), NameList{"L-beta"});     // 2.22
  EXPECT_EQ(Names({{"visibility", "public"}}), NameList{"L-epsilon"});  // 2.23
  EXPECT_EQ(Names({{"visibility", "community"}}), NameList{});          // 2.24
  EXPECT_EQ(Names({{"visibility", "all"}}), kAllFive);                  // 2.25
  EXPECT_EQ(Names({{"member_status", "all"}}), kAllFive);               // 2.27
  EXPECT_EQ(Names({{"owner", "projL"}}), kAllFive);                     // 2.29
  EXPECT_EQ(Names({{"owner", "projX"}}), NameList{});                   // 2.30
  EXPECT_EQ(Names({{"visibility", ""}}), NameList{});
}

TEST_F(TranscriptListTest, SizeTagHiddenProtected) {
  EXPECT_EQ(Names({{"size_min", "500"}}), (NameList{"L-zeta", "L-delta", "L-beta"}));      // 2.31
  EXPECT_EQ(Names({{"size_max", "500"}}), (NameList{"L-epsilon", "L-delta", "L-alpha"}));  // 2.32
  EXPECT_EQ(Names({{"size_min", "200"}, {"size_max", "1000"}}), NameList{"L-delta"});      // 2.33
  EXPECT_EQ(Names({{"size_min", "-1"}}), kAllFive);                                        // 2.35
  EXPECT_EQ(Names({{"size_min", "2000"}, {"size_max", "100"}}), NameList{});               // 2.36
  EXPECT_EQ(Names({{"tag", "red"}}), (NameList{"L-delta", "L-alpha"}));                    // 2.37
  EXPECT_EQ(Names({{"tag", "red"}, {"tag", "blue"}}), NameList{"L-alpha"});                // 2.38
  EXPECT_EQ(Names({{"tag", "nosuch"}}), NameList{});                                       // 2.39
  EXPECT_EQ(Names({{"os_hidden", "true"}}), NameList{"L-gamma"});                          // 2.40
  EXPECT_EQ(Names({{"os_hidden", "false"}}), kAllFive);                                    // 2.41
  EXPECT_EQ(Names({{"protected", "true"}}), NameList{"L-delta"});                          // 2.43
  EXPECT_EQ(Names({{"protected", "false"}}).size(), 4u);
}

TEST_F(TranscriptListTest, TimeFiltersCompareToTheMicrosecond) {
  // The images of second :29 were created at :29.1 .. :29.7, so gt:…:29Z keeps them.
  EXPECT_EQ(Names({{"created_at", "gt:2026-11-27T00:34:29Z"}}),
            (NameList{"L-zeta", "L-epsilon", "L-delta"}));  // 2.49
  EXPECT_EQ(Names({{"created_at", "gte:2026-11-27T00:34:29Z"}}),
            (NameList{"L-zeta", "L-epsilon", "L-delta"}));  // 2.50
  EXPECT_EQ(Names({{"created_at", "lt:2026-11-27T00:34:29Z"}}), (NameList{"L-beta", "L-alpha"}));
  EXPECT_EQ(Names({{"updated_at", "gte:2000-01-01T00:00:00Z"}}), kAllFive);  // 2.52
  EXPECT_EQ(Names({{"created_at", "2020-01-01T00:00:00Z"}}), NameList{});    // 2.54
  EXPECT_EQ(Names({{"created_at", "eq:2026-11-27T00:34:29.1Z"}}), NameList{"L-delta"});
  EXPECT_EQ(Names({{"created_at", "neq:2026-11-27T00:34:29.1Z"}}).size(), 4u);
  EXPECT_EQ(Names({{"created_at", "lte:2026-11-27T00:34:27.4Z"}}), (NameList{"L-beta", "L-alpha"}));
}

TEST_F(TranscriptListTest, SortForms) {
  const NameList by_name = {"L-alpha", "L-beta", "L-delta", "L-epsilon", "L-zeta"};
  const NameList by_name_desc(by_name.rbegin(), by_name.rend());
  const NameList by_size = {"L-beta", "L-zeta", "L-delta", "L-alpha", "L-epsilon"};
  EXPECT_EQ(Names({{"sort", "name:asc"}}), by_name);            // 2.56
  EXPECT_EQ(Names({{"sort", "name"}}), by_name_desc);           // 2.57
  EXPECT_EQ(Names({{"sort", "size:desc,name:asc"}}), by_size);  // 2.58
  EXPECT_EQ(Names({{"sort", "disk_format:asc,name:desc"}}),
            (NameList{"L-epsilon", "L-alpha", "L-zeta", "L-delta", "L-beta"}));  // 2.59
  EXPECT_EQ(Names({{"sort_key", "name"}, {"sort_dir", "asc"}}), by_name);        // 2.60
  EXPECT_EQ(
      Names(
          {{"sort_key", "size"}, {"sort_key", "name"}, {"sort_dir", "desc"}, {"sort_dir", "asc"}}),
      by_size);                                                 // 2.61
  EXPECT_EQ(Names({{"sort_key", "name"}}), by_name_desc);       // 2.62
  EXPECT_EQ(Names({{"sort", "name:asc,name:desc"}}), by_name);  // 2.68
  EXPECT_EQ(Names({{"sort", "name:asc"}, {"limit", "2"}, {"marker", kIds.at("L-alpha")}}),
            (NameList{"L-beta", "L-delta"}));  // 2.69
  EXPECT_EQ(Names({{"sort", "created_at:asc"}}), NameList(kAllFive.rbegin(), kAllFive.rend()));
  EXPECT_EQ(Names({{"sort", "status:asc,name:asc"}}),
            (NameList{"L-alpha", "L-beta", "L-delta", "L-epsilon", "L-zeta"}));
  EXPECT_EQ(Names({{"sort", "updated_at"}}), kAllFive);
}

TEST_F(TranscriptListTest, NullsSortAsEmptyAndZero) {
  EXPECT_EQ(Names({{"os_hidden", "true"}, {"sort", "size:asc"}}), NameList{"L-gamma"});
  wire::Image unnamed = MakeImage("unnamed", "projL", 0);
  unnamed.created_at = unnamed.updated_at = kT29 + 900000;
  unnamed.name.reset();
  unnamed.size.reset();
  Create(unnamed);
  EXPECT_EQ(Names({{"sort", "name:asc"}, {"limit", "1"}}), NameList{""});
  EXPECT_EQ(Names({{"sort", "size:asc"}, {"limit", "1"}}), NameList{""});
  // Paging from the unnamed image continues with the names, in order.
  EXPECT_EQ(Names({{"sort", "name:asc"}, {"limit", "1"}, {"marker", "unnamed"}}),
            NameList{"L-alpha"});
  EXPECT_EQ(Names({{"size_max", "100000"}}).size(), 5u);  // an unset size never matches
}

// Section 8: projA shares an image with projB, whose status changes.
class SharingListTest : public TranscriptListTest {
 protected:
  void SetUp() override {
    TranscriptListTest::SetUp();
    wire::Image shared = MakeImage("shared-img-id", "projA", 100);
    shared.name = "shared-img";
    shared.visibility = Visibility::kShared;
    shared.created_at = shared.updated_at = kT29 + 20 * kSecond;
    Create(shared);
    wire::Image pub = MakeImage("admin-public-id", "admin", 50);
    pub.name = "admin-public";
    pub.visibility = Visibility::kPublic;
    pub.created_at = pub.updated_at = kT29 + 10 * kSecond;
    Create(pub);
    AddMember("shared-img-id", "projB", wire::MemberStatus::kPending);
  }

  void SetStatus(wire::MemberStatus status) {
    auto set = [status](wire::Member& m) {
      m.status = status;
      return Status::Ok();
    };
    ASSERT_TRUE(catalog().UpdateMember("shared-img-id", "projB", set).ok());
  }
};

TEST_F(SharingListTest, MemberStatusDecidesTheDefaultList) {
  const Identity b = User("projB");
  EXPECT_EQ(Names({}, b), (NameList{"admin-public", "L-epsilon"}));  // 8.13
  EXPECT_EQ(Names({{"member_status", "pending"}}, b),
            (NameList{"shared-img", "admin-public", "L-epsilon"}));  // 8.14
  EXPECT_EQ(Names({{"visibility", "shared"}}, b), NameList{});       // 8.15
  EXPECT_EQ(Names({{"visibility", "shared"}, {"member_status", "all"}}, b),
            NameList{"shared-img"});  // 8.16
  SetStatus(wire::MemberStatus::kAccepted);
  EXPECT_EQ(Names({}, b), (NameList{"shared-img", "admin-public", "L-epsilon"}));  // 8.21
  EXPECT_EQ(Names({{"member_status", "accepted"}, {"visibility", "shared"}}, b),
            NameList{"shared-img"});  // 8.22
  SetStatus(wire::MemberStatus::kRejected);
  EXPECT_EQ(Names({{"member_status", "rejected"}}, b),
            (NameList{"shared-img", "admin-public", "L-epsilon"}));  // 8.27
  EXPECT_EQ(Names({}, b), (NameList{"admin-public", "L-epsilon"}));
  EXPECT_EQ(Names({{"sort", "name:asc"}, {"member_status", "all"}}, b),
            (NameList{"L-epsilon", "admin-public", "shared-img"}));
}

TEST_F(SharingListTest, MarkerMayBeAVisibleImageOutsideTheList) {
  // projB can see the pending image (show works), so it is a valid marker even
  // though the default list leaves it out; the page continues after its position.
  EXPECT_EQ(Names({{"marker", "shared-img-id"}}, User("projB")),
            (NameList{"admin-public", "L-epsilon"}));
}

TEST_F(SharingListTest, SharedImageDisappearsWhenUnshared) {
  SetStatus(wire::MemberStatus::kAccepted);
  auto make_private = [](wire::Image& i) {
    i.visibility = Visibility::kPrivate;
    return Status::Ok();
  };
  ASSERT_TRUE(catalog().UpdateImage("shared-img-id", make_private).ok());
  EXPECT_EQ(Names({{"member_status", "all"}}, User("projB")),
            (NameList{"admin-public", "L-epsilon"}));
  EXPECT_EQ(Names({{"marker", "shared-img-id"}}, User("projB")),
            NameList{"error: No image found with ID shared-img-id"});
}

TEST_F(SharingListTest, AdminListsEveryProjectButOthersCommunityOnlyOnRequest) {
  wire::Image community = MakeImage("community-id", "projC", 200);
  community.visibility = Visibility::kCommunity;
  community.created_at = community.updated_at = kT29 + 30 * kSecond;
  Create(community);
  EXPECT_EQ(Names({}, Admin()).size(), 7u);  // 5 of projL, shared-img, admin-public
  EXPECT_EQ(Names({{"visibility", "community"}}, Admin()), NameList{"image-community-id"});
  EXPECT_EQ(Names({{"visibility", "all"}}, Admin()).size(), 8u);
  EXPECT_EQ(Names({}, User("projC")).front(), "image-community-id");  // its owner sees it
  EXPECT_EQ(Names({}, User("projB")), (NameList{"admin-public", "L-epsilon"}));
  EXPECT_EQ(Names({{"visibility", "community"}}, User("projB")), NameList{"image-community-id"});
}

class LifecycleListTest : public CatalogFixture {};

TEST_F(LifecycleListTest, KilledAndDeletedAreNeverListed) {
  wire::Image killed = MakeImage("killed", "p", 1);
  killed.status = ImageStatus::kKilled;
  Create(killed);
  Create(MakeImage("gone", "p", 2));
  Create(MakeImage("live", "p", 3));
  ASSERT_TRUE(catalog().DeleteImage("gone", kBaseTime + 100 * kSecond).ok());
  ListQuery q;
  q.caller = User("p");
  EXPECT_EQ(Ids(q), NameList{"live"});
  q.filters = {ListFilter{"status", ListFilter::Op::kIn, {"killed", "deleted"}, 0}};
  EXPECT_EQ(Ids(q), NameList{});
  q.filters.clear();
  q.caller = Admin();
  EXPECT_EQ(Ids(q), NameList{"live"});
  q.marker = "gone";
  EXPECT_EQ(Ids(q), NameList{"error: InvalidArgument: No image found with ID gone"});
  q.marker = "killed";  // a killed image can still be shown, so it is a valid marker
  EXPECT_EQ(Ids(q), NameList{});
}

TEST_F(LifecycleListTest, ChangesSinceAddsRecentlyDeletedImages) {
  Create(MakeImage("old-gone", "p", 1));
  Create(MakeImage("new-gone", "p", 2));
  Create(MakeImage("live", "p", 3));
  ASSERT_TRUE(catalog().DeleteImage("old-gone", kBaseTime + 10 * kSecond).ok());
  ASSERT_TRUE(catalog().DeleteImage("new-gone", kBaseTime + 20 * kSecond).ok());
  ListQuery q;  // as a v1 list would build it
  q.caller = User("p");
  q.ignore_os_hidden = true;
  q.member_status.reset();
  q.changes_since = kBaseTime + 20 * kSecond;
  EXPECT_EQ(Ids(q), (NameList{"live", "new-gone"}));
  q.changes_since = kBaseTime + 5 * kSecond;
  EXPECT_EQ(Ids(q), (NameList{"live", "new-gone", "old-gone"}));
  q.marker = "new-gone";  // deleted markers are valid while changes_since is set
  EXPECT_EQ(Ids(q), NameList{"old-gone"});
}

TEST_F(LifecycleListTest, HiddenImagesFollowTheOsHiddenRule) {
  wire::Image hidden = MakeImage("hidden", "p", 1);
  hidden.os_hidden = true;
  Create(hidden);
  Create(MakeImage("shown", "p", 2));
  ListQuery q;
  q.caller = User("p");
  EXPECT_EQ(Ids(q), NameList{"shown"});
  q.os_hidden = true;
  EXPECT_EQ(Ids(q), NameList{"hidden"});
  q.ignore_os_hidden = true;
  EXPECT_EQ(Ids(q), (NameList{"shown", "hidden"}));
}

TEST_F(LifecycleListTest, OwnerlessImagesAreListedOnlyForAdminsUnlessPublic) {
  wire::Image orphan = MakeImage("orphan", "x", 1);
  orphan.owner.reset();
  Create(orphan);
  wire::Image public_orphan = MakeImage("public-orphan", "x", 2);
  public_orphan.owner.reset();
  public_orphan.visibility = Visibility::kPublic;
  Create(public_orphan);
  ListQuery q;
  q.caller = User("p");
  EXPECT_EQ(Ids(q), NameList{"public-orphan"});
  q.marker = "orphan";  // readable by everyone, so a valid marker
  EXPECT_EQ(Ids(q), NameList{});
  q.marker.reset();
  q.caller = Admin();
  EXPECT_EQ(Ids(q), (NameList{"public-orphan", "orphan"}));
}

TEST_F(LifecycleListTest, ColumnFiltersUseSqlNullSemantics) {
  wire::Image a = MakeImage("a", "p", 1);
  a.size = 100;
  a.min_ram = 512;
  a.checksum = "abc";
  Create(a);
  wire::Image b = MakeImage("b", "p", 2);  // size, checksum unset
  Create(b);
  ListQuery q;
  q.caller = User("p");
  auto only = [&](ListFilter f) {
    q.filters = {std::move(f)};
    return Ids(q);
  };
  using Op = ListFilter::Op;
  EXPECT_EQ(only({"size", Op::kEq, {"100"}, 0}), NameList{"a"});
  EXPECT_EQ(only({"size", Op::kEq, {"abc"}, 0}), NameList{});
  EXPECT_EQ(only({"size", Op::kNeq, {"5"}, 0}), NameList{"a"});  // null never matches
  EXPECT_EQ(only({"min_ram", Op::kEq, {"512"}, 0}), NameList{"a"});
  EXPECT_EQ(only({"min_ram", Op::kGte, {"0"}, 0}), (NameList{"b", "a"}));
  EXPECT_EQ(only({"checksum", Op::kEq, {"abc"}, 0}), NameList{"a"});
  EXPECT_EQ(only({"virtual_size", Op::kEq, {"0"}, 0}), NameList{});
  EXPECT_EQ(only({"protected", Op::kEq, {"false"}, 0}), (NameList{"b", "a"}));
  EXPECT_EQ(only({"visibility", Op::kEq, {"private"}, 0}), (NameList{"b", "a"}));
  EXPECT_EQ(only({"owner", Op::kIn, {"x", "p"}, 0}), (NameList{"b", "a"}));
  EXPECT_EQ(only({"nosuchprop", Op::kNeq, {"x"}, 0}), NameList{});
}

TEST_F(LifecycleListTest, UnknownSortKeyFromCodeIsInvalid) {
  ListQuery q;
  q.caller = User("p");
  q.sort = {SortKey{"owner", true}};
  EXPECT_EQ(catalog().ListImages(q).status().code(), StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace imagefs::service::testing
