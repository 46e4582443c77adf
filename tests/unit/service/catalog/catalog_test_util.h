// Helpers for the catalog tests: a temporary directory, image builders and a
// fixture that opens a real RocksCatalog in it.
#pragma once

#include <stdlib.h>

#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "common/wire/image.h"
#include "service/catalog/catalog.h"
#include "service/identity.h"

namespace imagefs::service::testing {

// A fresh directory under $TMPDIR, removed with everything in it on destruction.
class TempDir {
 public:
  TempDir() {
    std::string pattern = (std::filesystem::temp_directory_path() / "catalog_test.XXXXXX").string();
    if (mkdtemp(pattern.data()) == nullptr) ADD_FAILURE() << "mkdtemp failed";
    path_ = pattern;
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

inline constexpr int64_t kSecond = 1'000'000;
inline constexpr int64_t kBaseTime = 1'700'000'000 * kSecond;

// An active, private image of `owner` created at kBaseTime + n seconds.
inline wire::Image MakeImage(const std::string& id, const std::string& owner, int n = 0) {
  wire::Image image;
  image.id = id;
  image.name = "image-" + id;
  image.owner = owner;
  image.status = wire::ImageStatus::kActive;
  image.visibility = wire::Visibility::kPrivate;
  image.created_at = kBaseTime + n * kSecond;
  image.updated_at = image.created_at;
  return image;
}

inline Identity User(const std::string& project) {
  Identity id;
  id.user = project + "-user";
  id.project = project;
  id.roles = {"member", "reader"};
  return id;
}

inline Identity Admin() {
  Identity id = User("admin");
  id.roles.push_back("admin");
  id.is_admin = true;
  return id;
}

inline wire::Member MakeMember(const std::string& image_id, const std::string& project,
                               wire::MemberStatus status) {
  wire::Member m;
  m.image_id = image_id;
  m.member_id = project;
  m.status = status;
  m.created_at = kBaseTime;
  m.updated_at = kBaseTime;
  return m;
}

// Opens a RocksCatalog (sync off: tests need no durability against power loss)
// in a temp dir; Reopen() closes and opens it again.
class CatalogFixture : public ::testing::Test {
 protected:
  void SetUp() override { Reopen(); }

  void Reopen() {
    catalog_.reset();
    RocksCatalogOptions options;
    options.path = (dir_.path() / "db").string();
    options.sync = false;
    Result<std::unique_ptr<Catalog>> opened = OpenRocksCatalog(options);
    ASSERT_TRUE(opened.ok()) << opened.status();
    catalog_ = std::move(opened).value();
  }

  void Create(const wire::Image& image) {
    Status s = catalog_->CreateImage(image);
    ASSERT_TRUE(s.ok()) << s;
  }

  void AddMember(const std::string& image_id, const std::string& project,
                 wire::MemberStatus status) {
    Status s = catalog_->AddMember(MakeMember(image_id, project, status));
    ASSERT_TRUE(s.ok()) << s;
  }

  // The ids of a list page, or the error as "error: ...".
  std::vector<std::string> Ids(const ListQuery& query) {
    Result<ListPage> page = catalog_->ListImages(query);
    if (!page.ok()) return {"error: " + page.status().ToString()};
    std::vector<std::string> ids;
    for (const wire::Image& image : page->images) ids.push_back(image.id);
    return ids;
  }

  Catalog& catalog() { return *catalog_; }

  TempDir dir_;
  std::unique_ptr<Catalog> catalog_;
};

}  // namespace imagefs::service::testing
