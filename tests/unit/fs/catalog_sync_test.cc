#include "fs/catalog_sync.h"

#include <chrono>

#include <gtest/gtest.h>

#include "tests/testing/fs/fake_catalog_client.h"
#include "tests/testing/fs/temp_dir.h"

namespace imagefs::fs {
namespace {

using std::chrono::milliseconds;
using std::chrono::steady_clock;

SyncOptions Options() {
  SyncOptions o;
  o.list_ttl = milliseconds(100);
  o.resync_interval = milliseconds(60000);
  o.sync_wait = milliseconds(1000);
  o.retry_deadline = milliseconds(1000);
  return o;
}

TEST(CatalogSyncTest, FreshStateCostsNoRequest) {
  fstest::FakeCatalogClient client;
  client.AddImage("a", "x");
  CatalogState state;
  SyncOptions o = Options();
  o.list_ttl = milliseconds(60000);
  CatalogSync sync(o, client, state, nullptr, SystemClock::Get());
  sync.Start(nullptr);
  sync.EnsureFresh();
  ASSERT_TRUE(state.FindByName(kImagesDirIno, "a").has_value());
  uint64_t calls = client.list_calls();
  for (int i = 0; i < 100; ++i) sync.EnsureFresh();
  EXPECT_EQ(client.list_calls(), calls);
}

TEST(CatalogSyncTest, ChangesAppearOnceTheTtlPasses) {
  fstest::FakeCatalogClient client;
  client.AddImage("a", "x");
  CatalogState state;
  CatalogSync sync(Options(), client, state, nullptr, SystemClock::Get());
  sync.Start(nullptr);
  sync.EnsureFresh();
  client.AddImage("b", "y");
  std::this_thread::sleep_for(milliseconds(150));
  sync.EnsureFresh();
  EXPECT_TRUE(state.FindByName(kImagesDirIno, "b").has_value());
}

TEST(CatalogSyncTest, WhileTheServiceIsDownNobodyWaits) {
  fstest::FakeCatalogClient client;
  client.AddImage("a", "x");
  CatalogState state;
  CatalogSync sync(Options(), client, state, nullptr, SystemClock::Get());
  sync.Start(nullptr);
  sync.EnsureFresh();
  client.SetDown(true);
  std::this_thread::sleep_for(milliseconds(150));
  sync.EnsureFresh();  // finds out
  auto start = steady_clock::now();
  for (int i = 0; i < 20; ++i) sync.EnsureFresh();
  EXPECT_LT(steady_clock::now() - start, milliseconds(200));
  EXPECT_TRUE(sync.service_down());
  EXPECT_TRUE(state.FindByName(kImagesDirIno, "a").has_value());
  client.SetDown(false);
  auto end = steady_clock::now() + std::chrono::seconds(10);
  while (sync.service_down() && steady_clock::now() < end) {
    sync.EnsureFresh();
    std::this_thread::sleep_for(milliseconds(50));
  }
  EXPECT_FALSE(sync.service_down());
}

TEST(CatalogSyncTest, AMountThatKnowsNothingWaitsOnlyForAttempts) {
  fstest::FakeCatalogClient client;
  client.SetDown(true);
  CatalogState state;
  CatalogSync sync(Options(), client, state, nullptr, SystemClock::Get());
  sync.Start(nullptr);
  sync.EnsureFresh();  // waits for the first attempt, which fails
  EXPECT_TRUE(sync.service_down());
  auto start = steady_clock::now();
  for (int i = 0; i < 20; ++i) sync.EnsureFresh();
  EXPECT_LT(steady_clock::now() - start, milliseconds(200));
  client.AddImage("late", "x");
  client.SetDown(false);
  auto end = steady_clock::now() + std::chrono::seconds(10);
  while (!state.FindByName(kImagesDirIno, "late") && steady_clock::now() < end) {
    sync.EnsureFresh();
    std::this_thread::sleep_for(milliseconds(50));
  }
  EXPECT_TRUE(state.FindByName(kImagesDirIno, "late").has_value());
}

TEST(CatalogSyncTest, ThePersistedListingServesARemountWhileDown) {
  fstest::TempDir dir;
  StateStore store(dir.path(), "http://x\ntoken");
  {
    fstest::FakeCatalogClient client;
    client.AddImage("kept", "x");
    CatalogState state;
    CatalogSync sync(Options(), client, state, &store, SystemClock::Get());
    sync.Start(nullptr);
    sync.EnsureFresh();
  }  // saves on the way out
  fstest::FakeCatalogClient down;
  down.SetDown(true);
  CatalogState state;
  CatalogSync sync(Options(), down, state, &store, SystemClock::Get());
  sync.Start(nullptr);
  EXPECT_TRUE(state.FindByName(kImagesDirIno, "kept").has_value());
  StateStore other(dir.path(), "http://x\nother-token");
  EXPECT_FALSE(other.LoadListing().ok());  // another identity sees nothing
}

TEST(CatalogSyncTest, ResolveIdAsksOnceAndRemembersMisses) {
  fstest::FakeCatalogClient client;
  wire::Image hidden;
  hidden.id = "11111111-2222-3333-4444-555555555555";
  hidden.name = "hidden";
  hidden.os_hidden = true;
  hidden.status = wire::ImageStatus::kActive;
  client.PutImage(hidden);
  CatalogState state;
  CatalogSync sync(Options(), client, state, nullptr, SystemClock::Get());
  sync.Start(nullptr);
  sync.EnsureFresh();
  auto found = sync.ResolveId(hidden.id);
  ASSERT_TRUE(found.ok()) << found.status();
  EXPECT_FALSE(found->listed);
  EXPECT_TRUE(sync.ResolveId(hidden.id).ok());
  EXPECT_EQ(client.get_calls(), 1u);
  std::string missing = "99999999-2222-3333-4444-555555555555";
  EXPECT_EQ(sync.ResolveId(missing).status().code(), StatusCode::kNotFound);
  EXPECT_EQ(sync.ResolveId(missing).status().code(), StatusCode::kNotFound);
  EXPECT_EQ(client.get_calls(), 2u);
}

}  // namespace
}  // namespace imagefs::fs
