#include "fs/catalog_state.h"

#include <gtest/gtest.h>

namespace imagefs::fs {
namespace {

wire::Image Img(const std::string& id, std::optional<std::string> name, int64_t updated = 1) {
  wire::Image i;
  i.id = id;
  i.name = std::move(name);
  i.status = wire::ImageStatus::kActive;
  i.size = 10;
  i.updated_at = updated;
  return i;
}

std::vector<std::string> Names(const CatalogState& s, uint64_t dir) {
  std::vector<std::string> out;
  for (const auto& e : s.Dir(dir)->entries) out.push_back(e.name);
  return out;
}

bool HasEntryChange(const std::vector<Change>& changes, uint64_t dir, const std::string& name) {
  for (const auto& c : changes) {
    if (c.kind == Change::Kind::kEntry && c.parent == dir && c.name == name) return true;
  }
  return false;
}

TEST(CatalogStateTest, AFullListingFillsBothDirectoriesWithOneInodePerImage) {
  CatalogState s;
  s.ApplyFull({Img("id-b", "beta"), Img("id-a", "alpha")});
  EXPECT_EQ(Names(s, kImagesDirIno), (std::vector<std::string>{"alpha", "beta"}));
  EXPECT_EQ(Names(s, kByIdDirIno), (std::vector<std::string>{"id-a", "id-b"}));
  auto by_name = s.FindByName(kImagesDirIno, "alpha");
  auto by_id = s.FindByName(kByIdDirIno, "id-a");
  ASSERT_TRUE(by_name && by_id);
  EXPECT_EQ(by_name->ino, by_id->ino);
  EXPECT_TRUE(by_name->listed);
  EXPECT_EQ(Names(s, kRootIno),
            (std::vector<std::string>{"backups", "by-id", "images", "members"}));
}

TEST(CatalogStateTest, InodesSurviveRelistingAndRenames) {
  CatalogState s;
  s.ApplyFull({Img("id-a", "alpha")});
  uint64_t ino = s.FindById("id-a")->ino;
  auto changes = s.ApplyListed({Img("id-a", "renamed", 2)});
  EXPECT_EQ(s.FindByName(kImagesDirIno, "renamed")->ino, ino);
  EXPECT_FALSE(s.FindByName(kImagesDirIno, "alpha").has_value());
  EXPECT_TRUE(HasEntryChange(changes, kImagesDirIno, "alpha"));
  s.ApplyFull({Img("id-a", "renamed", 2)});
  EXPECT_EQ(s.FindById("id-a")->ino, ino);
}

TEST(CatalogStateTest, NewNamesAreReportedExceptOnTheFirstListing) {
  CatalogState s;
  EXPECT_TRUE(s.ApplyFull({Img("id-a", "alpha")}).empty());
  auto changes = s.ApplyListed({Img("id-b", "beta", 2)});
  EXPECT_TRUE(HasEntryChange(changes, kImagesDirIno, "beta"));  // a cached miss must go
  EXPECT_TRUE(HasEntryChange(changes, kByIdDirIno, "id-b"));
  EXPECT_FALSE(HasEntryChange(changes, kImagesDirIno, "alpha"));
}

TEST(CatalogStateTest, AClashRenamesBothMembers) {
  CatalogState s;
  s.ApplyFull({Img("aaaaaaaa-1", "same")});
  auto changes = s.ApplyListed({Img("bbbbbbbb-2", "same", 2)});
  EXPECT_EQ(Names(s, kImagesDirIno), (std::vector<std::string>{"same~aaaaaaaa", "same~bbbbbbbb"}));
  EXPECT_TRUE(HasEntryChange(changes, kImagesDirIno, "same"));
}

TEST(CatalogStateTest, ImagesMissingFromAFullListingAreGone) {
  CatalogState s;
  s.ApplyFull({Img("id-a", "alpha"), Img("id-b", "beta")});
  uint64_t ino = s.FindById("id-b")->ino;
  auto changes = s.ApplyFull({Img("id-a", "alpha")});
  EXPECT_FALSE(s.FindByName(kImagesDirIno, "beta").has_value());
  EXPECT_FALSE(s.FindByName(kByIdDirIno, "id-b").has_value());
  auto node = s.FindByIno(ino);
  ASSERT_TRUE(node.has_value());  // the kernel may still hold it
  EXPECT_TRUE(node->gone);
  EXPECT_TRUE(HasEntryChange(changes, kImagesDirIno, "beta"));
  EXPECT_TRUE(HasEntryChange(changes, kByIdDirIno, "id-b"));
}

TEST(CatalogStateTest, AnImageShownByIdOnlyIsReachableButNotListed) {
  CatalogState s;
  s.ApplyFull({Img("id-a", "alpha")});
  s.ApplyShown(Img("id-x", "hidden"));
  EXPECT_EQ(Names(s, kByIdDirIno), std::vector<std::string>{"id-a"});
  auto node = s.FindByName(kByIdDirIno, "id-x");
  ASSERT_TRUE(node.has_value());
  EXPECT_FALSE(node->listed);
  EXPECT_FALSE(s.FindByName(kImagesDirIno, "hidden").has_value());
}

TEST(CatalogStateTest, HidingAnImageTakesItOutOfTheListing) {
  CatalogState s;
  s.ApplyFull({Img("id-a", "alpha")});
  wire::Image hidden = Img("id-a", "alpha", 2);
  hidden.os_hidden = true;
  s.ApplyShown(hidden);
  EXPECT_TRUE(Names(s, kImagesDirIno).empty());
  EXPECT_TRUE(s.FindByName(kByIdDirIno, "id-a").has_value());
}

TEST(CatalogStateTest, AttributeAndDataChangesAreReported) {
  CatalogState s;
  s.ApplyFull({Img("id-a", "alpha")});
  uint64_t ino = s.FindById("id-a")->ino;
  wire::Image bigger = Img("id-a", "alpha", 5);
  bigger.size = 99;
  bigger.os_hash_value = "new";
  auto changes = s.ApplyListed({bigger});
  bool attr = false, data = false;
  for (const auto& c : changes) {
    attr |= c.kind == Change::Kind::kAttr && c.ino == ino;
    data |= c.kind == Change::Kind::kData && c.ino == ino;
  }
  EXPECT_TRUE(attr);
  EXPECT_TRUE(data);
  EXPECT_TRUE(s.ApplyListed({bigger}).empty());  // nothing new: nothing to say
}

TEST(CatalogStateTest, WatermarkIsTheNewestListedUpdate) {
  CatalogState s;
  s.ApplyFull({Img("a", "a", 50), Img("b", "b", 70)});
  EXPECT_EQ(s.watermark(), 70);
  s.ApplyListed({Img("c", "c", 90)});
  EXPECT_EQ(s.watermark(), 90);
  EXPECT_EQ(s.listed_count(), 3u);
  EXPECT_EQ(s.listed_bytes(), 30u);
}

}  // namespace
}  // namespace imagefs::fs
