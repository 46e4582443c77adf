// ImagedTest: the fixture of an integration test suite against one real imaged on
// 127.0.0.1 (ImagedProcess), started once for the suite and stopped after it; each
// test gets its own HttpClient to it. The suite names itself as the parameter and may
// define `static ImagedOptions Options()` for other tokens or flags:
//
//   class MembersTest : public ImagedTest<MembersTest> {
//    public:
//     static ImagedOptions Options() { ImagedOptions o; o.tokens = {...}; return o; }
//   };
//
// A suite deriving from such a fixture shares its imaged, as gtest runs it.
#pragma once

#include <memory>

#include <gtest/gtest.h>

#include "tests/testing/service/http_client.h"
#include "tests/testing/service/imaged_process.h"

namespace imagefs::testing {

template <typename Suite>
class ImagedTest : public ::testing::Test {
 public:
  // Default: ImagedOptions' defaults (tokA/tokB/tokC members, admin).
  static ImagedOptions Options() { return {}; }

  static void SetUpTestSuite() {
    imaged_ = new ImagedProcess(Suite::Options());
    ASSERT_TRUE(imaged_->Start()) << imaged_->log();
  }
  static void TearDownTestSuite() {
    delete imaged_;
    imaged_ = nullptr;
  }

 protected:
  void SetUp() override {
    ASSERT_NE(imaged_, nullptr);
    http_ = std::make_unique<HttpClient>(imaged_->url());
  }

  static inline ImagedProcess* imaged_ = nullptr;
  std::unique_ptr<HttpClient> http_;
};

}  // namespace imagefs::testing
