// Image sharing through the Images API v2 members calls (spec 1.4, 1.5.11, 1.6),
// against the real imaged with several projects: who may create, list, show, answer
// and delete memberships, with the reference server's status codes and messages
// (../shared/reference/glance/transcript.md section 8, and the same requests replayed
// against the reference Glance Zed), what members may read, and which images each
// project lists under every member_status/visibility filter.
#include <gtest/gtest.h>

#include <boost/json.hpp>

#include <algorithm>
#include <map>
#include <string>
#include <vector>

#include "tests/testing/service/http_client.h"
#include "tests/testing/service/imaged_fixture.h"

namespace imagefs::testing {
namespace {

namespace json = boost::json;

constexpr char kNoSuchImage[] = "0badc0de-0000-4000-8000-000000000000";

class MembersTest : public ImagedTest<MembersTest> {
 public:
  static ImagedOptions Options() {
    ImagedOptions o;
    o.tokens = {{"tokA", "projA"},          {"tokB", "projB"},
                {"tokC", "projC"},          {"tokD", "projD"},
                {"tokE", "projE"},          {"tokR", "projA:reader"},
                {"tokBR", "projB:reader"},  {"admin", "admin:admin,member,reader"}};
    return o;
  }

 protected:
  std::string Create(const std::string& body, const std::string& token = "tokA") {
    HttpResponse r = http_->PostJson("/v2/images", token, body);
    EXPECT_EQ(r.status, 201) << r.body;
    json::value v = r.Json();
    return v.is_object() && v.as_object().contains("id") ? std::string(v.at("id").as_string())
                                                          : std::string();
  }
  std::string Shared(const std::string& name = "shared") {
    return Create(R"({"name": ")" + name + R"(", "visibility": "shared"})");
  }
  static std::string Members(const std::string& id) { return "/v2/images/" + id + "/members"; }
  static std::string Member(const std::string& id, const std::string& m) {
    return Members(id) + "/" + m;
  }
  HttpResponse Add(const std::string& id, const std::string& member,
                   const std::string& token = "tokA") {
    return http_->PostJson(Members(id), token, R"({"member": ")" + member + R"("})");
  }
  HttpResponse PutJson(const std::string& path, const std::string& token, const std::string& body) {
    return http_->Put(path, token, body, false, -1, "application/json");
  }
  HttpResponse SetStatus(const std::string& id, const std::string& member,
                         const std::string& status, const std::string& token) {
    return PutJson(Member(id, member), token, R"({"status": ")" + status + R"("})");
  }
  // Member ids of GET .../members as `token`, in order.
  std::vector<std::string> MemberIds(const std::string& id, const std::string& token) {
    HttpResponse r = http_->Get(Members(id), token);
    EXPECT_EQ(r.status, 200) << r.body;
    std::vector<std::string> out;
    json::value v = r.Json();
    if (!v.is_object()) return out;
    EXPECT_EQ(v.at("schema").as_string(), "/v2/schemas/members");
    for (const auto& m : v.at("members").as_array()) out.emplace_back(m.at("member_id").as_string());
    return out;
  }
  // Sorted names of GET /v2/images?<query> as `token`.
  std::vector<std::string> ListNames(const std::string& query, const std::string& token) {
    HttpResponse r = http_->Get("/v2/images?" + query, token);
    EXPECT_EQ(r.status, 200) << query << " " << r.body;
    std::vector<std::string> names;
    json::value page = r.Json();
    if (!page.is_object()) return names;
    for (const auto& img : page.at("images").as_array()) names.emplace_back(img.at("name").as_string());
    std::sort(names.begin(), names.end());
    return names;
  }
  // Expects `status` and a JSON error body whose message contains `needle`.
  static void ExpectError(const HttpResponse& r, long status, const std::string& needle = "") {
    EXPECT_EQ(r.status, status) << r.body;
    json::value v = r.Json();
    ASSERT_TRUE(v.is_object()) << r.body;
    const json::object& error = v.as_object().at("error").as_object();
    std::string message(error.at("message").as_string());
    EXPECT_NE(message.find(needle), std::string::npos) << message;
    EXPECT_EQ(error.at("code").as_string().subview().substr(0, 3), std::to_string(status));
  }
};

TEST_F(MembersTest, OwnerAddsAPendingMemberAnd200CarriesTheMember) {
  std::string id = Shared();
  HttpResponse r = Add(id, "projB");
  ASSERT_EQ(r.status, 200) << r.body;  // 200, not 201, as Glance
  EXPECT_EQ(r.Header("content-type").value_or(""), "application/json");
  json::object m = r.Json().as_object();
  EXPECT_EQ(m.at("member_id").as_string(), "projB");
  EXPECT_EQ(m.at("image_id").as_string(), id);
  EXPECT_EQ(m.at("status").as_string(), "pending");
  EXPECT_EQ(m.at("schema").as_string(), "/v2/schemas/member");
  std::string created(m.at("created_at").as_string());
  EXPECT_EQ(created.size(), 20u) << created;  // 2026-11-27T00:34:43Z
  EXPECT_EQ(created.back(), 'Z');
  EXPECT_EQ(m.at("updated_at").as_string(), created);
  EXPECT_EQ(m.size(), 6u);
  // The owner may list itself, and a number is taken as its decimal text (as Glance).
  EXPECT_EQ(Add(id, "projA").status, 200);
  HttpResponse numeric = http_->PostJson(Members(id), "tokA", R"({"member": 123})");
  ASSERT_EQ(numeric.status, 200) << numeric.body;
  EXPECT_EQ(numeric.Json().at("member_id").as_string(), "123");
}

TEST_F(MembersTest, AddMemberRefusesBadBodiesBeforeLookingAtTheImage) {
  std::string id = Shared();
  struct Case {
    const char* body;
    const char* needle;
  } cases[] = {
      {"", "Body expected in request."},
      {"{bad", "Malformed JSON"},
      {R"("projB")", "Unexpected body type. Expected list/dict."},
      {"[1]", "Expected a member in the form: {\"member\": \"image_id\"}"},
      {R"({"foo": "projB"})", "Member to be added not specified"},
      {R"({"member": ""})", "Member can't be empty"},
      {R"({"member": null})", "Member can't be empty"},
      {R"({"member": ["projB"]})", "Expected a member in the form"},
      {R"({"member": {"id": "projB"}})", "Expected a member in the form"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.body);
    ExpectError(http_->PostJson(Members(id), "tokA", c.body), 400, c.needle);
    // The body is judged first: the same answer for an image that does not exist.
    ExpectError(http_->PostJson(Members(kNoSuchImage), "tokE", c.body), 400, c.needle);
  }
  EXPECT_TRUE(MemberIds(id, "tokA").empty());
}

TEST_F(MembersTest, AddMemberRefusalsMatchTheReference) {
  std::string shared = Shared();
  std::string priv = Create(R"({"name": "p", "visibility": "private"})");
  std::string comm = Create(R"({"name": "c", "visibility": "community"})");
  std::string pub = Create(R"({"name": "pub", "visibility": "public"})", "admin");
  // Not shared: 403 (8.4, 8.5), for the owner and for admin alike.
  ExpectError(Add(priv, "projB"), 403, "Not allowed to create members for image " + priv + ".");
  ExpectError(Add(comm, "projB"), 403, "Not allowed to create members for image " + comm + ".");
  ExpectError(Add(pub, "projB", "admin"), 403, "Not allowed to create members for image " + pub);
  ASSERT_EQ(Add(shared, "projB").status, 200);
  // A member is not the owner (8.6); a stranger cannot see the image at all (404).
  ExpectError(Add(shared, "projC", "tokB"), 403, "Not allowed to create members for image");
  ExpectError(Add(shared, "projC", "tokE"), 404, "Image " + shared + " not found.");
  ExpectError(Add(priv, "projC", "tokE"), 404, "Image " + priv + " not found.");
  ExpectError(Add(kNoSuchImage, "projC"), 404, std::string("Image ") + kNoSuchImage + " not found.");
  ExpectError(Add(shared, "projB"), 409, "Member projB is duplicated for image " + shared);
  // imaged's rule for every mutation: role member (403 for a reader of the owner).
  ExpectError(Add(shared, "projC", "tokR"), 403, "add_member");
  // Admin may share any shared image.
  EXPECT_EQ(Add(shared, "projC", "admin").status, 200);
  EXPECT_EQ(MemberIds(shared, "tokA"), (std::vector<std::string>{"projB", "projC"}));
}

TEST_F(MembersTest, MemberQuotaIs413) {
  std::string id = Shared("quota");
  for (int i = 0; i < 128; ++i) {
    ASSERT_EQ(Add(id, "q" + std::to_string(i)).status, 200) << i;
  }
  ExpectError(Add(id, "q128"), 413, "Image member limit exceeded for image " + id);
  EXPECT_EQ(MemberIds(id, "tokA").size(), 128u);
  ASSERT_EQ(http_->Request("DELETE", Member(id, "q0"), "tokA").status, 204);
  EXPECT_EQ(Add(id, "q128").status, 200);
}

TEST_F(MembersTest, OwnerListsEveryMemberAndAMemberOnlyItself) {
  std::string id = Shared();
  ASSERT_EQ(Add(id, "projB").status, 200);
  ASSERT_EQ(Add(id, "projC").status, 200);
  ASSERT_EQ(SetStatus(id, "projC", "accepted", "tokC").status, 200);
  EXPECT_EQ(MemberIds(id, "tokA"), (std::vector<std::string>{"projB", "projC"}));
  EXPECT_EQ(MemberIds(id, "tokR"), (std::vector<std::string>{"projB", "projC"}));  // reads need reader
  EXPECT_EQ(MemberIds(id, "admin"), (std::vector<std::string>{"projB", "projC"}));
  EXPECT_EQ(MemberIds(id, "tokB"), (std::vector<std::string>{"projB"}));  // 8.8
  EXPECT_EQ(MemberIds(id, "tokC"), (std::vector<std::string>{"projC"}));
  ExpectError(http_->Get(Members(id), "tokE"), 404, "Image " + id + " not found.");  // 8.9
  ExpectError(http_->Get(Members(kNoSuchImage), "tokA"), 404, "not found.");           // 8.34
  json::value owner_view = http_->Get(Members(id), "tokA").Json();
  const json::object& c = owner_view.at("members").as_array()[1].as_object();
  EXPECT_EQ(c.at("status").as_string(), "accepted");
  EXPECT_EQ(c.at("image_id").as_string(), id);
  EXPECT_EQ(c.at("schema").as_string(), "/v2/schemas/member");
}

TEST_F(MembersTest, OnlySharedImagesHaveMembersToList) {
  std::string priv = Create(R"({"name": "p", "visibility": "private"})");
  std::string comm = Create(R"({"name": "c", "visibility": "community"})");
  for (const std::string& id : {priv, comm}) {
    ExpectError(http_->Get(Members(id), "tokA"), 403,
                "Not allowed to list members for image " + id + ": Only shared images have members.");
  }
  ExpectError(http_->Get(Members(comm), "tokB"), 403, "Only shared images have members.");
  ExpectError(http_->Get(Members(priv), "tokB"), 404, "Image " + priv + " not found.");
}

TEST_F(MembersTest, ShowMemberAnswers404ForEveryRefusal) {
  std::string id = Shared();
  ASSERT_EQ(Add(id, "projB").status, 200);
  ASSERT_EQ(Add(id, "projC").status, 200);
  for (const char* token : {"tokA", "tokB", "admin"}) {
    HttpResponse r = http_->Get(Member(id, "projB"), token);
    ASSERT_EQ(r.status, 200) << token << r.body;
    EXPECT_EQ(r.Json().at("member_id").as_string(), "projB");
    EXPECT_EQ(r.Json().at("status").as_string(), "pending");
  }
  // Another member's row, an unknown member: "not found in the member list" (8.12).
  ExpectError(http_->Get(Member(id, "projC"), "tokB"), 404,
              "projC not found in the member list of the image " + id + ".");
  ExpectError(http_->Get(Member(id, "projZ"), "tokA"), 404, "projZ not found in the member list");
  ExpectError(http_->Get(Member(id, "projB"), "tokE"), 404, "Image " + id + " not found.");
  ExpectError(http_->Get(Member(kNoSuchImage, "projB"), "tokE"), 404, "not found.");
  std::string priv = Create(R"({"name": "p", "visibility": "private"})");
  ExpectError(http_->Get(Member(priv, "projB"), "tokA"), 404, "Only shared images have members.");
}

TEST_F(MembersTest, OnlyTheMemberAnswersAndAnyStatusMayFollowAny) {
  std::string id = Shared();
  ASSERT_EQ(Add(id, "projB").status, 200);
  for (const char* status : {"accepted", "rejected", "pending", "rejected", "accepted"}) {
    HttpResponse r = SetStatus(id, "projB", status, "tokB");
    ASSERT_EQ(r.status, 200) << r.body;
    EXPECT_EQ(r.Json().at("status").as_string(), status);
    EXPECT_EQ(r.Json().at("member_id").as_string(), "projB");
    EXPECT_EQ(http_->Get(Member(id, "projB"), "tokA").Json().at("status").as_string(), status);
  }
  // Admin may answer for a member.
  HttpResponse by_admin = SetStatus(id, "projB", "pending", "admin");
  ASSERT_EQ(by_admin.status, 200) << by_admin.body;
  EXPECT_EQ(by_admin.Json().at("status").as_string(), "pending");
}

TEST_F(MembersTest, UpdateStatusRefusalsMatchTheReference) {
  std::string id = Shared();
  ASSERT_EQ(Add(id, "projB").status, 200);
  ASSERT_EQ(Add(id, "projC").status, 200);
  std::string refusal = "Not allowed to update members for image " + id + ".";
  ExpectError(SetStatus(id, "projB", "accepted", "tokA"), 403, refusal);  // 8.18
  ExpectError(SetStatus(id, "projZ", "accepted", "tokA"), 403, refusal);
  ExpectError(SetStatus(id, "projB", "maybe", "tokA"), 403, refusal);     // ownership first
  ExpectError(SetStatus(id, "projB", "maybe", "tokB"), 400,
              "Incorrect request: Status must be \"pending\", \"accepted\" or \"rejected\".");
  ExpectError(PutJson(Member(id, "projB"), "tokB", R"({"status": 1})"), 400, "Status must be");
  ExpectError(PutJson(Member(id, "projB"), "tokB", R"({"foo": "accepted"})"), 400,
              "Status not specified");
  ExpectError(PutJson(Member(id, "projB"), "tokB", "[1]"), 400,
              "Expected a status in the form: {\"status\": \"status\"}");
  ExpectError(PutJson(Member(id, "projB"), "tokB", ""), 400, "Body expected in request.");
  // Another member's row and an unknown member are "not found" to a member.
  ExpectError(SetStatus(id, "projC", "accepted", "tokB"), 404, "projC not found in the member list");
  ExpectError(SetStatus(id, "projZ", "accepted", "tokB"), 404, "projZ not found in the member list");
  // A stranger cannot see the image; an invalid value does not change that (checked
  // after the lookups), a missing one does (the body is read first).
  ExpectError(SetStatus(id, "projB", "accepted", "tokE"), 404, "Image " + id + " not found.");
  ExpectError(SetStatus(id, "projB", "maybe", "tokE"), 404, "Image " + id + " not found.");
  ExpectError(PutJson(Member(kNoSuchImage, "projB"), "tokE", "{}"), 400, "Status not specified");
  ExpectError(SetStatus(id, "projB", "accepted", "tokBR"), 403, "modify_member");
  EXPECT_EQ(http_->Get(Member(id, "projB"), "tokB").Json().at("status").as_string(), "pending");
}

TEST_F(MembersTest, OnlyTheOwnerDeletesMembers) {
  std::string id = Shared();
  ASSERT_EQ(Add(id, "projB").status, 200);
  ASSERT_EQ(Add(id, "projC").status, 200);
  std::string refusal = "Not allowed to delete members for image " + id + ".";
  ExpectError(http_->Request("DELETE", Member(id, "projC"), "tokC"), 403, refusal);  // 8.33
  ExpectError(http_->Request("DELETE", Member(id, "projC"), "tokB"), 403, refusal);
  ExpectError(http_->Request("DELETE", Member(id, "projB"), "tokE"), 404, "Image " + id + " not found.");
  ExpectError(http_->Request("DELETE", Member(id, "projB"), "tokR"), 403, "delete_member");
  HttpResponse r = http_->Request("DELETE", Member(id, "projB"), "tokA");
  EXPECT_EQ(r.status, 204);  // 8.30
  EXPECT_EQ(r.body, "");
  ExpectError(http_->Request("DELETE", Member(id, "projB"), "tokA"), 404,
              "projB not found in the member list of the image " + id + ".");  // 8.31
  // The former member no longer sees the image (8.32); re-added, it is pending again.
  ExpectError(http_->Get("/v2/images/" + id, "tokB"), 404, "No image found with ID " + id);
  ASSERT_EQ(SetStatus(id, "projC", "accepted", "tokC").status, 200);
  EXPECT_EQ(http_->Request("DELETE", Member(id, "projC"), "admin").status, 204);
  HttpResponse again = Add(id, "projC");
  ASSERT_EQ(again.status, 200);
  EXPECT_EQ(again.Json().at("status").as_string(), "pending");
  EXPECT_EQ(MemberIds(id, "tokA"), (std::vector<std::string>{"projC"}));
}

TEST_F(MembersTest, MemberReadsTheImageWhateverItsStatusButCannotWriteIt) {
  std::string id = CreateActiveImage(*http_, "tokA", "readable", "shared bytes",
                                     R"("visibility": "shared")");
  ASSERT_FALSE(id.empty());
  ASSERT_EQ(Add(id, "projB").status, 200);
  for (const char* status : {"pending", "accepted", "rejected"}) {
    SCOPED_TRACE(status);
    ASSERT_EQ(SetStatus(id, "projB", status, "tokB").status, 200);
    EXPECT_EQ(http_->Get("/v2/images/" + id, "tokB").status, 200);
    HttpResponse file = http_->Get("/v2/images/" + id + "/file", "tokB");
    EXPECT_EQ(file.status, 200);
    EXPECT_EQ(file.body, "shared bytes");
    EXPECT_EQ(http_->Get("/v2/images/" + id + "/blocks", "tokB").status, 200);
  }
  // 8.24, 8.25: visible is not writable.
  ExpectError(http_->Patch("/v2/images/" + id, "tokB", R"([{"op": "replace", "path": "/name", "value": "x"}])"),
              403, "You do not own this image");
  ExpectError(http_->Request("DELETE", "/v2/images/" + id, "tokB"), 403, "You do not own this image");
  ExpectError(http_->Request("PUT", "/v2/images/" + id + "/tags/t", "tokB"), 403);
}

TEST_F(MembersTest, MakingTheImagePrivateHidesItFromMembersButKeepsTheRows) {
  std::string id = CreateActiveImage(*http_, "tokA", "goes-private", "bytes",
                                     R"("visibility": "shared")");
  ASSERT_FALSE(id.empty());
  ASSERT_EQ(Add(id, "projB").status, 200);
  ASSERT_EQ(SetStatus(id, "projB", "accepted", "tokB").status, 200);
  auto set_visibility = [&](const char* v) {
    return http_->Patch("/v2/images/" + id, "tokA",
                        std::string(R"([{"op": "replace", "path": "/visibility", "value": ")") + v +
                            "\"}]")
        .status;
  };
  ASSERT_EQ(set_visibility("private"), 200);
  ExpectError(http_->Get("/v2/images/" + id, "tokB"), 404, "No image found with ID");
  ExpectError(http_->Get("/v2/images/" + id + "/file", "tokB"), 404);
  ExpectError(http_->Get(Members(id), "tokB"), 404, "Image " + id + " not found.");
  ExpectError(SetStatus(id, "projB", "rejected", "tokB"), 404, "Image " + id + " not found.");
  EXPECT_TRUE(ListNames("name=goes-private&member_status=all&visibility=all", "tokB").empty());
  // The owner meets "only shared images have members" on every call (8.37).
  ExpectError(http_->Get(Members(id), "tokA"), 403, "Only shared images have members.");
  ExpectError(Add(id, "projC"), 403, "Not allowed to create members");
  ExpectError(http_->Request("DELETE", Member(id, "projB"), "tokA"), 403, "Not allowed to delete members");
  ExpectError(http_->Get(Member(id, "projB"), "tokA"), 404, "Only shared images have members.");
  ASSERT_EQ(set_visibility("shared"), 200);
  HttpResponse back = http_->Get(Member(id, "projB"), "tokB");
  ASSERT_EQ(back.status, 200) << back.body;
  EXPECT_EQ(back.Json().at("status").as_string(), "accepted");
  EXPECT_EQ(http_->Get("/v2/images/" + id + "/file", "tokB").body, "bytes");
}

// The list-content matrix, recorded from the reference Glance Zed with the same
// images and memberships (owner projA; projB pending, projC accepted, projD
// rejected; projE a stranger).
TEST_F(MembersTest, ListContentsForEveryCallerAndFilterMatchTheReference) {
  std::string tag = "mx-" + std::to_string(::getpid());
  std::string tags = R"(, "tags": [")" + tag + R"("]})";
  std::string s = Create(R"({"name": "own-shared", "visibility": "shared")" + tags);
  Create(R"({"name": "own-private", "visibility": "private")" + tags);
  Create(R"({"name": "own-community", "visibility": "community")" + tags);
  Create(R"({"name": "pub", "visibility": "public")" + tags, "admin");
  Create(R"({"name": "b-shared", "visibility": "shared")" + tags, "tokB");
  for (const char* m : {"projB", "projC", "projD"}) ASSERT_EQ(Add(s, m).status, 200);
  ASSERT_EQ(SetStatus(s, "projC", "accepted", "tokC").status, 200);
  ASSERT_EQ(SetStatus(s, "projD", "rejected", "tokD").status, 200);

  using Names = std::vector<std::string>;
  const Names own4 = {"own-community", "own-private", "own-shared", "pub"};
  const Names all_admin = {"b-shared", "own-community", "own-private", "own-shared", "pub"};
  const Names admin4 = {"b-shared", "own-private", "own-shared", "pub"};
  const Names none;
  const char* queries[] = {"",
                           "member_status=pending",
                           "member_status=accepted",
                           "member_status=rejected",
                           "member_status=all",
                           "visibility=shared",
                           "visibility=shared&member_status=all",
                           "visibility=shared&member_status=pending",
                           "visibility=all",
                           "visibility=all&member_status=all",
                           "visibility=private",
                           "visibility=public",
                           "visibility=community"};
  std::map<std::string, std::vector<Names>> want = {
      {"tokA", {own4, own4, own4, own4, own4, {"own-shared"}, {"own-shared"}, {"own-shared"}, own4,
                own4, {"own-private"}, {"pub"}, {"own-community"}}},
      {"tokB",  // pending member
       {{"b-shared", "pub"}, {"b-shared", "own-shared", "pub"}, {"b-shared", "pub"},
        {"b-shared", "pub"}, {"b-shared", "own-shared", "pub"}, {"b-shared"},
        {"b-shared", "own-shared"}, {"b-shared", "own-shared"}, {"b-shared", "own-community", "pub"},
        {"b-shared", "own-community", "own-shared", "pub"}, none, {"pub"}, {"own-community"}}},
      {"tokC",  // accepted member
       {{"own-shared", "pub"}, {"pub"}, {"own-shared", "pub"}, {"pub"}, {"own-shared", "pub"},
        {"own-shared"}, {"own-shared"}, none, {"own-community", "own-shared", "pub"},
        {"own-community", "own-shared", "pub"}, none, {"pub"}, {"own-community"}}},
      {"tokD",  // rejected member
       {{"pub"}, {"pub"}, {"pub"}, {"own-shared", "pub"}, {"own-shared", "pub"}, none,
        {"own-shared"}, none, {"own-community", "pub"}, {"own-community", "own-shared", "pub"}, none,
        {"pub"}, {"own-community"}}},
      {"tokE",  // stranger
       {{"pub"}, {"pub"}, {"pub"}, {"pub"}, {"pub"}, none, none, none, {"own-community", "pub"},
        {"own-community", "pub"}, none, {"pub"}, {"own-community"}}},
      {"admin",
       {admin4, admin4, admin4, admin4, admin4, {"b-shared", "own-shared"},
        {"b-shared", "own-shared"}, {"b-shared", "own-shared"}, all_admin, all_admin,
        {"own-private"}, {"pub"}, {"own-community"}}},
  };
  for (const auto& [token, rows] : want) {
    ASSERT_EQ(rows.size(), std::size(queries));
    for (size_t i = 0; i < rows.size(); ++i) {
      std::string q = "tag=" + tag + "&limit=100" + (*queries[i] ? "&" : "") + queries[i];
      EXPECT_EQ(ListNames(q, token), rows[i]) << token << " ?" << queries[i];
    }
  }
}

TEST_F(MembersTest, AcceptingPutsTheImageInTheDefaultListAndRejectingTakesItOut) {
  std::string tag = "acc-" + std::to_string(::getpid());
  std::string id = Create(R"({"name": "flip", "visibility": "shared", "tags": [")" + tag + R"("]})");
  std::string q = "tag=" + tag;
  ASSERT_EQ(Add(id, "projB").status, 200);
  EXPECT_TRUE(ListNames(q, "tokB").empty());  // 8.13
  ASSERT_EQ(SetStatus(id, "projB", "accepted", "tokB").status, 200);
  EXPECT_EQ(ListNames(q, "tokB"), (std::vector<std::string>{"flip"}));  // 8.21
  ASSERT_EQ(SetStatus(id, "projB", "rejected", "tokB").status, 200);
  EXPECT_TRUE(ListNames(q, "tokB").empty());
  EXPECT_EQ(ListNames(q + "&member_status=rejected", "tokB"), (std::vector<std::string>{"flip"}));
  ASSERT_EQ(SetStatus(id, "projB", "pending", "tokB").status, 200);
  EXPECT_EQ(ListNames(q + "&member_status=pending", "tokB"), (std::vector<std::string>{"flip"}));
}

TEST_F(MembersTest, MemberSchemasDescribeTheMemberEntity) {
  HttpResponse r = http_->Get("/v2/schemas/member", "tokA");
  ASSERT_EQ(r.status, 200);
  json::object s = r.Json().as_object();
  EXPECT_EQ(s.at("name").as_string(), "member");
  const json::object& p = s.at("properties").as_object();
  for (const char* k : {"member_id", "image_id", "created_at", "updated_at", "status", "schema"}) {
    EXPECT_TRUE(p.contains(k)) << k;
  }
  EXPECT_EQ(p.size(), 6u);
  EXPECT_EQ(p.at("status").at("enum"), (json::array{"pending", "accepted", "rejected"}));
  EXPECT_EQ(p.at("image_id").at("pattern").as_string(),
            "^([0-9a-fA-F]){8}-([0-9a-fA-F]){4}-([0-9a-fA-F]){4}-([0-9a-fA-F]){4}-([0-9a-fA-F]){12}$");
  HttpResponse list = http_->Get("/v2/schemas/members", "tokA");
  ASSERT_EQ(list.status, 200);
  json::object ls = list.Json().as_object();
  EXPECT_EQ(ls.at("name").as_string(), "members");
  EXPECT_EQ(ls.at("properties").at("members").at("items").at("name").as_string(), "member");
  EXPECT_EQ(ls.at("properties").at("schema").at("type").as_string(), "string");
  EXPECT_EQ(ls.at("links"), (json::array{json::object{{"rel", "describedby"}, {"href", "{schema}"}}}));
}

TEST_F(MembersTest, RoutingOfTheMembersPaths) {
  std::string id = Shared();
  ASSERT_EQ(Add(id, "projB").status, 200);
  HttpResponse r = http_->Request("PATCH", Members(id), "tokA", "{}");
  ExpectError(r, 405, "PATCH");
  EXPECT_EQ(r.Header("allow").value_or(""), "GET, POST");
  EXPECT_EQ(http_->Request("POST", Member(id, "projB"), "tokA", "{}").Header("allow").value_or(""),
            "GET, PUT, DELETE");
  EXPECT_EQ(http_->Request("HEAD", Member(id, "projB"), "tokA").status, 405);
  ExpectError(http_->Get(Members(id) + "/", "tokA"), 404);
  ExpectError(http_->Request("GET", Members(id), "tokA", "x"), 400, "A body is not expected");
  ExpectError(http_->Request("DELETE", Member(id, "projB"), "tokA", "x"), 400,
              "A body is not expected");
  ExpectError(http_->Get(Members(id), ""), 401);
  ExpectError(Add(id, "projC", "nope"), 401);
  EXPECT_EQ(MemberIds(id, "tokA"), (std::vector<std::string>{"projB"}));
}

}  // namespace
}  // namespace imagefs::testing
