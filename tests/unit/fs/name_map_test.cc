#include "fs/name_map.h"

#include <algorithm>
#include <random>
#include <set>

#include <gtest/gtest.h>

namespace imagefs::fs {
namespace {

std::map<std::string, std::string> Assign(const std::vector<NamedImage>& images) {
  NameAssignment a = AssignNames(images);
  return {a.id_to_name.begin(), a.id_to_name.end()};
}

TEST(EncodeNameTest, EscapesWhatAFileNameCannotHold) {
  EXPECT_EQ(EncodeName("plain name.qcow2"), "plain name.qcow2");
  EXPECT_EQ(EncodeName("a/b"), "a%2Fb");
  EXPECT_EQ(EncodeName("100%"), "100%25");
  EXPECT_EQ(EncodeName(std::string("nul\0x", 5)), "nul%00x");
  EXPECT_EQ(EncodeName("line\nbreak\x7f"), "line%0Abreak%7F");
  EXPECT_EQ(EncodeName("."), "%2E");
  EXPECT_EQ(EncodeName(".."), "%2E%2E");
  EXPECT_EQ(EncodeName("..."), "...");
  EXPECT_EQ(EncodeName("ünïcode ☃"), "ünïcode ☃");
}

TEST(EncodeNameTest, DecodeInvertsEncode) {
  for (const std::string& name : std::vector<std::string>{
           "a/b/c", "%2F literally", std::string("\0\x01/%", 4), ".", "..", "x"}) {
    auto back = DecodeName(EncodeName(name));
    ASSERT_TRUE(back.has_value()) << name;
    EXPECT_EQ(*back, name);
  }
  EXPECT_FALSE(DecodeName("bad%zz").has_value());
  EXPECT_FALSE(DecodeName("trailing%2").has_value());
}

TEST(AssignNamesTest, UniqueNamesAreKept) {
  auto names = Assign({{"id-1", "alpha"}, {"id-2", "beta"}});
  EXPECT_EQ(names["id-1"], "alpha");
  EXPECT_EQ(names["id-2"], "beta");
}

TEST(AssignNamesTest, MissingOrEmptyNamesUseTheId) {
  auto names = Assign({{"11111111-aaaa", std::nullopt}, {"22222222-bbbb", ""}});
  EXPECT_EQ(names["11111111-aaaa"], "11111111-aaaa");
  EXPECT_EQ(names["22222222-bbbb"], "22222222-bbbb");
}

TEST(AssignNamesTest, EveryMemberOfAClashGetsASuffix) {
  auto names = Assign({{"aaaaaaaa-1", "dup"}, {"bbbbbbbb-2", "dup"}, {"cccccccc-3", "solo"}});
  EXPECT_EQ(names["aaaaaaaa-1"], "dup~aaaaaaaa");
  EXPECT_EQ(names["bbbbbbbb-2"], "dup~bbbbbbbb");
  EXPECT_EQ(names["cccccccc-3"], "solo");
}

TEST(AssignNamesTest, NamesEncodingToTheSameStringClash) {
  auto names = Assign({{"aaaaaaaa-1", "a/b"}, {"bbbbbbbb-2", "a%2Fb"}});
  // "a%2Fb" encodes to "a%252Fb": no clash.
  EXPECT_EQ(names["aaaaaaaa-1"], "a%2Fb");
  EXPECT_EQ(names["bbbbbbbb-2"], "a%252Fb");
}

TEST(AssignNamesTest, SuffixCollidingWithALiteralNameUsesTheWholeId) {
  auto names = Assign({{"aaaaaaaa-1", "x"}, {"bbbbbbbb-2", "x"}, {"cccccccc-3", "x~aaaaaaaa"}});
  EXPECT_EQ(names["cccccccc-3"], "x~aaaaaaaa");
  EXPECT_EQ(names["aaaaaaaa-1"], "x~aaaaaaaa-1");
  EXPECT_EQ(names["bbbbbbbb-2"], "x~bbbbbbbb");
}

TEST(AssignNamesTest, ResultDoesNotDependOnOrder) {
  std::vector<NamedImage> images;
  for (int i = 0; i < 50; ++i) {
    images.push_back({"id-" + std::to_string(i) + "-xxxxxxxx", "n" + std::to_string(i % 7)});
  }
  auto first = Assign(images);
  std::mt19937 rng(1);
  for (int round = 0; round < 5; ++round) {
    std::shuffle(images.begin(), images.end(), rng);
    EXPECT_EQ(Assign(images), first);
  }
}

TEST(AssignNamesTest, LongNamesAreCutAtCharacterBoundariesAndSuffixed) {
  std::string longname;
  for (int i = 0; i < 200; ++i) longname += "é";  // 400 bytes
  auto names = Assign({{"abcdefgh-1234", longname}});
  const std::string& n = names["abcdefgh-1234"];
  EXPECT_LE(n.size(), kNameMax);
  EXPECT_TRUE(n.ends_with("~abcdefgh"));
  std::string stem = n.substr(0, n.size() - 9);
  EXPECT_EQ(stem.size() % 2, 0u);  // whole two-byte characters only
}

TEST(AssignNamesTest, NeverTwoEntriesWithOneName) {
  std::mt19937 rng(42);
  const char* pieces[] = {"a", "b", "~", "a~", "/", "%", ""};
  std::vector<NamedImage> images;
  for (int i = 0; i < 400; ++i) {
    std::string id = std::to_string(rng() % 100000000) + "-" + std::to_string(i);
    std::string name = std::string(pieces[rng() % 7]) + pieces[rng() % 7];
    if (rng() % 10 == 0) name = images.empty() ? name : images[rng() % images.size()].id;
    images.push_back({id, name});
  }
  NameAssignment a = AssignNames(images);
  std::set<std::string> seen;
  for (const auto& [id, name] : a.id_to_name) {
    EXPECT_TRUE(seen.insert(name).second) << name;
    EXPECT_FALSE(name.empty());
    EXPECT_EQ(name.find('/'), std::string::npos);
  }
  EXPECT_EQ(a.id_to_name.size() + a.omitted.size(), images.size());
}

}  // namespace
}  // namespace imagefs::fs
