// RocksCatalog: records, persistence, atomic updates, deletes and memberships,
// against a real RocksDB in a temp dir.
#include <atomic>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "tests/unit/service/catalog/catalog_test_util.h"

namespace imagefs::service::testing {
namespace {

using wire::ImageStatus;
using wire::MemberStatus;

class RocksCatalogTest : public CatalogFixture {};

wire::BlockMap MakeBlockMap(const std::string& id) {
  wire::BlockMap map;
  map.image_id = id;
  map.content_key = "hash";
  map.size = 3 * wire::kDefaultBlockSize;
  map.block_size = wire::kDefaultBlockSize;
  map.digests = {std::string(32, 'a'), std::string(32, 'b'), std::string(32, 'c')};
  return map;
}

TEST_F(RocksCatalogTest, CreatedImageReadsBackEqual) {
  wire::Image image = MakeImage("a", "p1");
  image.properties = {{"color", "red"}};
  image.tags = {"t2", "t1"};
  image.locations = {{"file:///x", {{"store", "fs"}}}};
  Create(image);
  Result<wire::Image> got = catalog().GetImage("a");
  ASSERT_TRUE(got.ok()) << got.status();
  EXPECT_EQ(*got, image);
  EXPECT_EQ(catalog().ImageCount(), 1u);
}

TEST_F(RocksCatalogTest, DuplicateIdIsAlreadyExistsEvenAfterDelete) {
  Create(MakeImage("a", "p1"));
  EXPECT_EQ(catalog().CreateImage(MakeImage("a", "p2")).code(), StatusCode::kAlreadyExists);
  ASSERT_TRUE(catalog().DeleteImage("a", kBaseTime).ok());
  EXPECT_EQ(catalog().CreateImage(MakeImage("a", "p2")).code(), StatusCode::kAlreadyExists);
}

TEST_F(RocksCatalogTest, UnstorableIdsAreRefused) {
  EXPECT_EQ(catalog().CreateImage(MakeImage("", "p")).code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(catalog().CreateImage(MakeImage("a/b", "p")).code(), StatusCode::kInvalidArgument);
}

TEST_F(RocksCatalogTest, UnknownIdsAreNotFound) {
  EXPECT_EQ(catalog().GetImage("nope").status().code(), StatusCode::kNotFound);
  auto noop = [](wire::Image&) { return Status::Ok(); };
  EXPECT_EQ(catalog().UpdateImage("nope", noop).status().code(), StatusCode::kNotFound);
  EXPECT_EQ(catalog().DeleteImage("nope", 0).status().code(), StatusCode::kNotFound);
  EXPECT_EQ(catalog().GetBlockMap("nope").status().code(), StatusCode::kNotFound);
}

TEST_F(RocksCatalogTest, EverythingSurvivesReopen) {
  wire::Image image = MakeImage("a", "p1");
  image.visibility = wire::Visibility::kShared;
  Create(image);
  Create(MakeImage("b", "p1", 1));
  AddMember("a", "p2", MemberStatus::kAccepted);
  auto rename = [](wire::Image& i) {
    i.name = "renamed";
    i.status = ImageStatus::kActive;
    return Status::Ok();
  };
  ASSERT_TRUE(catalog().UpdateImageWithBlockMap("a", rename, MakeBlockMap("a")).ok());
  ASSERT_TRUE(catalog().DeleteImage("b", kBaseTime + 9).ok());
  Reopen();
  EXPECT_EQ(catalog().GetImage("a")->name, "renamed");
  EXPECT_EQ(*catalog().GetBlockMap("a"), MakeBlockMap("a"));
  EXPECT_EQ(catalog().GetMember("a", "p2")->status, MemberStatus::kAccepted);
  EXPECT_EQ(catalog().ListMembershipsOf("p2")->size(), 1u);
  EXPECT_EQ(catalog().GetImage("b")->status, ImageStatus::kDeleted);
  EXPECT_EQ(catalog().GetImage("b")->deleted_at, kBaseTime + 9);
  EXPECT_EQ(catalog().ImageCount(), 1u);
  ListQuery q;
  q.caller = User("p2");
  EXPECT_EQ(Ids(q), std::vector<std::string>{"a"});
}

TEST_F(RocksCatalogTest, FailedMutationWritesNothing) {
  Create(MakeImage("a", "p1"));
  auto fail = [](wire::Image& i) {
    i.name = "half-done";
    return FailedPrecondition("no");
  };
  EXPECT_EQ(catalog().UpdateImage("a", fail).status().code(), StatusCode::kFailedPrecondition);
  EXPECT_EQ(catalog().GetImage("a")->name, "image-a");
  auto change_id = [](wire::Image& i) {
    i.id = "b";
    return Status::Ok();
  };
  EXPECT_EQ(catalog().UpdateImage("a", change_id).status().code(), StatusCode::kInvalidArgument);
  Reopen();
  EXPECT_EQ(catalog().GetImage("a")->name, "image-a");
}

TEST_F(RocksCatalogTest, ConcurrentUpdatesOfOneImageLoseNothing) {
  Create(MakeImage("a", "p1"));
  constexpr int kThreads = 8;
  constexpr int kUpdatesPerThread = 200;
  std::atomic<int> failures{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kUpdatesPerThread; ++i) {
        auto bump = [t](wire::Image& image) {
          image.min_ram += 1;
          image.properties["t" + std::to_string(t)] =
              std::to_string(std::stoi(image.properties["t" + std::to_string(t)] + "0") / 10 + 1);
          return Status::Ok();
        };
        if (!catalog().UpdateImage("a", bump).ok()) ++failures;
      }
    });
  }
  for (std::thread& t : threads) t.join();
  EXPECT_EQ(failures.load(), 0);
  wire::Image image = *catalog().GetImage("a");
  EXPECT_EQ(image.min_ram, kThreads * kUpdatesPerThread);
  for (int t = 0; t < kThreads; ++t) {
    EXPECT_EQ(image.properties["t" + std::to_string(t)], std::to_string(kUpdatesPerThread));
  }
  Reopen();
  EXPECT_EQ(catalog().GetImage("a")->min_ram, kThreads * kUpdatesPerThread);
}

TEST_F(RocksCatalogTest, ReadersRunWhileWritersUpdate) {
  for (int i = 0; i < 50; ++i) Create(MakeImage("img" + std::to_string(i), "p1", i));
  std::atomic<bool> stop{false};
  std::thread reader([&] {
    ListQuery q;
    q.caller = User("p1");
    q.limit = 1000;
    while (!stop) {
      Result<ListPage> page = catalog().ListImages(q);
      ASSERT_TRUE(page.ok());
      ASSERT_EQ(page->images.size(), 50u);  // renames never drop or duplicate an image
    }
  });
  for (int round = 0; round < 20; ++round) {
    for (int i = 0; i < 50; ++i) {
      auto touch = [round](wire::Image& image) {
        image.name = "n" + std::to_string(round);
        image.updated_at += 1;
        return Status::Ok();
      };
      ASSERT_TRUE(catalog().UpdateImage("img" + std::to_string(i), touch).ok());
    }
  }
  stop = true;
  reader.join();
}

TEST_F(RocksCatalogTest, BlockMapIsWrittenWithTheActivation) {
  Create(MakeImage("a", "p1"));
  EXPECT_EQ(catalog().GetBlockMap("a").status().code(), StatusCode::kNotFound);
  auto activate = [](wire::Image& i) {
    i.status = ImageStatus::kActive;
    i.block_size = wire::kDefaultBlockSize;
    return Status::Ok();
  };
  Result<wire::Image> updated = catalog().UpdateImageWithBlockMap("a", activate, MakeBlockMap("a"));
  ASSERT_TRUE(updated.ok()) << updated.status();
  EXPECT_EQ(updated->block_size, wire::kDefaultBlockSize);
  EXPECT_EQ(*catalog().GetBlockMap("a"), MakeBlockMap("a"));
  auto fail = [](wire::Image&) { return Internal("abort"); };
  wire::BlockMap other = MakeBlockMap("a");
  other.content_key = "other";
  EXPECT_FALSE(catalog().UpdateImageWithBlockMap("a", fail, other).ok());
  EXPECT_EQ(catalog().GetBlockMap("a")->content_key, "hash");
}

TEST_F(RocksCatalogTest, DeleteRemovesMembersAndBlockMap) {
  wire::Image image = MakeImage("a", "p1");
  image.visibility = wire::Visibility::kShared;
  Create(image);
  AddMember("a", "p2", MemberStatus::kAccepted);
  AddMember("a", "p3", MemberStatus::kPending);
  auto noop = [](wire::Image&) { return Status::Ok(); };
  ASSERT_TRUE(catalog().UpdateImageWithBlockMap("a", noop, MakeBlockMap("a")).ok());
  Result<wire::Image> deleted = catalog().DeleteImage("a", kBaseTime + 5 * kSecond);
  ASSERT_TRUE(deleted.ok()) << deleted.status();
  EXPECT_EQ(deleted->status, ImageStatus::kDeleted);
  EXPECT_EQ(deleted->updated_at, kBaseTime + 5 * kSecond);
  EXPECT_EQ(deleted->deleted_at, kBaseTime + 5 * kSecond);
  EXPECT_EQ(catalog().ListMembershipsOf("p2")->size(), 0u);
  EXPECT_EQ(catalog().ListMembers("a").status().code(), StatusCode::kNotFound);
  EXPECT_EQ(catalog().GetBlockMap("a").status().code(), StatusCode::kNotFound);
  EXPECT_EQ(catalog().DeleteImage("a", 0).status().code(), StatusCode::kNotFound);
  EXPECT_EQ(catalog().ImageCount(), 0u);
  Reopen();
  EXPECT_EQ(catalog().ListMembershipsOf("p3")->size(), 0u);
  EXPECT_EQ(catalog().GetBlockMap("a").status().code(), StatusCode::kNotFound);
  EXPECT_EQ(catalog().GetImage("a")->status, ImageStatus::kDeleted);
}

TEST_F(RocksCatalogTest, MemberLifecycle) {
  Create(MakeImage("a", "p1"));
  AddMember("a", "p2", MemberStatus::kPending);
  EXPECT_EQ(catalog().AddMember(MakeMember("a", "p2", MemberStatus::kPending)).code(),
            StatusCode::kAlreadyExists);
  EXPECT_EQ(catalog().AddMember(MakeMember("zz", "p2", MemberStatus::kPending)).code(),
            StatusCode::kNotFound);
  auto accept = [](wire::Member& m) {
    m.status = MemberStatus::kAccepted;
    return Status::Ok();
  };
  EXPECT_EQ(catalog().UpdateMember("a", "p2", accept)->status, MemberStatus::kAccepted);
  EXPECT_EQ(catalog().UpdateMember("a", "p9", accept).status().code(), StatusCode::kNotFound);
  EXPECT_EQ(catalog().GetMember("a", "p9").status().code(), StatusCode::kNotFound);
  ASSERT_TRUE(catalog().RemoveMember("a", "p2").ok());
  EXPECT_EQ(catalog().RemoveMember("a", "p2").code(), StatusCode::kNotFound);
  EXPECT_TRUE(catalog().ListMembers("a")->empty());
}

TEST_F(RocksCatalogTest, MembersListInCreationOrder) {
  Create(MakeImage("a", "p1"));
  wire::Member late = MakeMember("a", "early-name", MemberStatus::kPending);
  late.created_at = kBaseTime + 10;
  ASSERT_TRUE(catalog().AddMember(late).ok());
  AddMember("a", "zz-first", MemberStatus::kPending);
  std::vector<wire::Member> members = *catalog().ListMembers("a");
  ASSERT_EQ(members.size(), 2u);
  EXPECT_EQ(members[0].member_id, "zz-first");
  EXPECT_EQ(members[1].member_id, "early-name");
}

TEST_F(RocksCatalogTest, ReplaceMembersSwapsTheWholeSet) {
  Create(MakeImage("a", "p1"));
  AddMember("a", "old1", MemberStatus::kAccepted);
  AddMember("a", "keep", MemberStatus::kPending);
  std::vector<wire::Member> next = {MakeMember("a", "keep", MemberStatus::kAccepted),
                                    MakeMember("a", "new1", MemberStatus::kPending)};
  ASSERT_TRUE(catalog().ReplaceMembers("a", next).ok());
  Reopen();
  std::vector<wire::Member> members = *catalog().ListMembers("a");
  ASSERT_EQ(members.size(), 2u);
  EXPECT_EQ(catalog().GetMember("a", "keep")->status, MemberStatus::kAccepted);
  EXPECT_EQ(catalog().GetMember("a", "old1").status().code(), StatusCode::kNotFound);
  EXPECT_TRUE(catalog().ListMembershipsOf("old1")->empty());
  next.push_back(MakeMember("a", "keep", MemberStatus::kPending));
  EXPECT_EQ(catalog().ReplaceMembers("a", next).code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(catalog().ReplaceMembers("a", {MakeMember("b", "x", MemberStatus::kPending)}).code(),
            StatusCode::kInvalidArgument);
}

TEST_F(RocksCatalogTest, ForEachImageSeesDeletedImagesToo) {
  Create(MakeImage("a", "p1"));
  Create(MakeImage("b", "p1"));
  ASSERT_TRUE(catalog().DeleteImage("b", kBaseTime).ok());
  std::vector<std::string> seen;
  catalog().ForEachImage([&](const wire::Image& image) { seen.push_back(image.id); });
  std::sort(seen.begin(), seen.end());
  EXPECT_EQ(seen, (std::vector<std::string>{"a", "b"}));
}

TEST(RocksCatalogOpenTest, EmptyPathIsInvalid) {
  EXPECT_EQ(OpenRocksCatalog({}).status().code(), StatusCode::kInvalidArgument);
}

// --- visibility matrix (spec 1.4) ---

struct VisibilityCase {
  const char* name;
  wire::Visibility visibility;
  std::optional<std::string> owner;
  std::optional<MemberStatus> membership;  // of project "viewer"
  bool viewer_sees;
};

class VisibilityTest : public CatalogFixture,
                       public ::testing::WithParamInterface<VisibilityCase> {};

TEST_P(VisibilityTest, ViewerOwnerAdminAndStranger) {
  const VisibilityCase& c = GetParam();
  wire::Image image = MakeImage("img", "x");
  image.owner = c.owner;
  image.visibility = c.visibility;
  Create(image);
  if (c.membership) AddMember("img", "viewer", *c.membership);
  image = *catalog().GetImage("img");
  EXPECT_EQ(catalog().IsVisible(image, User("viewer")), c.viewer_sees);
  EXPECT_TRUE(catalog().IsVisible(image, Admin()));
  if (c.owner) {
    EXPECT_TRUE(catalog().IsVisible(image, User(*c.owner)));
  }
  bool stranger_sees = !c.owner || c.visibility == wire::Visibility::kPublic ||
                       c.visibility == wire::Visibility::kCommunity;
  EXPECT_EQ(catalog().IsVisible(image, User("stranger")), stranger_sees);
  ASSERT_TRUE(catalog().DeleteImage("img", kBaseTime).ok());
  image = *catalog().GetImage("img");
  EXPECT_FALSE(catalog().IsVisible(image, Admin()));
  EXPECT_FALSE(catalog().IsVisible(image, User("viewer")));
}

using wire::Visibility;
INSTANTIATE_TEST_SUITE_P(
    Matrix, VisibilityTest,
    ::testing::Values(
        VisibilityCase{"public", Visibility::kPublic, "owner", std::nullopt, true},
        VisibilityCase{"community", Visibility::kCommunity, "owner", std::nullopt, true},
        VisibilityCase{"private", Visibility::kPrivate, "owner", std::nullopt, false},
        VisibilityCase{"private_member", Visibility::kPrivate, "owner", MemberStatus::kAccepted,
                       false},
        VisibilityCase{"shared_nonmember", Visibility::kShared, "owner", std::nullopt, false},
        VisibilityCase{"shared_pending", Visibility::kShared, "owner", MemberStatus::kPending,
                       true},
        VisibilityCase{"shared_accepted", Visibility::kShared, "owner", MemberStatus::kAccepted,
                       true},
        VisibilityCase{"shared_rejected", Visibility::kShared, "owner", MemberStatus::kRejected,
                       true},
        VisibilityCase{"owned_by_viewer", Visibility::kPrivate, "viewer", std::nullopt, true},
        VisibilityCase{"owner_null_private", Visibility::kPrivate, std::nullopt, std::nullopt,
                       true},
        VisibilityCase{"owner_null_shared", Visibility::kShared, std::nullopt, std::nullopt, true}),
    [](const ::testing::TestParamInfo<VisibilityCase>& p) { return p.param.name; });

TEST_F(RocksCatalogTest, CallerWithoutProjectOwnsNothing) {
  wire::Image image = MakeImage("a", "");  // owner set to the empty string
  Create(image);
  Identity nobody;
  EXPECT_FALSE(catalog().IsVisible(*catalog().GetImage("a"), nobody));
}

}  // namespace
}  // namespace imagefs::service::testing
