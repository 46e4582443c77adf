// ParseV2ListQuery against the Glance transcript (section 2, cases 2.3-2.72) and
// the parsing rules of spec 1.6.
#include "service/catalog/list_query.h"

#include <string>

#include <gtest/gtest.h>

#include "common/time_util.h"

namespace imagefs::service {
namespace {

Result<ListQuery> Parse(const QueryParams& params, ListLimits limits = {}) {
  Identity caller;
  caller.project = "projL";
  return ParseV2ListQuery(params, caller, limits);
}

std::string SortString(const ListQuery& q) {
  std::string out;
  for (const SortKey& k : q.sort) {
    if (!out.empty()) out += ",";
    out += k.key + (k.ascending ? ":asc" : ":desc");
  }
  return out;
}

std::string FilterString(const ListQuery& q) {
  static const char* kOps[] = {"eq", "neq", "in", "gt", "gte", "lt", "lte"};
  std::string out;
  for (const ListFilter& f : q.filters) {
    if (!out.empty()) out += ";";
    out += f.key + " " + kOps[static_cast<int>(f.op)];
    for (const std::string& v : f.values) out += " [" + v + "]";
  }
  return out;
}

struct RejectCase {
  const char* transcript;  // section number, or "spec"
  QueryParams params;
  const char* message;
};

class ParseRejectTest : public ::testing::TestWithParam<RejectCase> {};

TEST_P(ParseRejectTest, IsInvalidArgumentWithGlanceMessage) {
  const RejectCase& c = GetParam();
  Result<ListQuery> q = Parse(c.params);
  ASSERT_FALSE(q.ok()) << c.transcript;
  EXPECT_EQ(q.status().code(), StatusCode::kInvalidArgument) << c.transcript;
  EXPECT_EQ(q.status().message(), c.message) << c.transcript;
}

const char kBadSortKey[] =
    "Invalid sort key: bogus. It must be one of the following: name, status, "
    "container_format, disk_format, size, id, created_at, updated_at.";

INSTANTIATE_TEST_SUITE_P(
    Transcript, ParseRejectTest,
    ::testing::Values(
        RejectCase{"2.9", {{"limit", "-1"}}, "limit param must be positive"},
        RejectCase{"2.10", {{"limit", "abc"}}, "limit param must be an integer"},
        RejectCase{"spec", {{"limit", "1.5"}}, "limit param must be an integer"},
        RejectCase{"spec", {{"limit", ""}}, "limit param must be an integer"},
        RejectCase{"2.26", {{"visibility", "bogus"}}, "Invalid visibility value: bogus"},
        RejectCase{"2.28", {{"member_status", "bogus"}}, "Invalid status: bogus"},
        RejectCase{
            "2.34", {{"size_min", "abc"}}, "Unable to filter on a range with a non-numeric value."},
        RejectCase{
            "spec", {{"size_max", "1e3"}}, "Unable to filter on a range with a non-numeric value."},
        RejectCase{"2.42",
                   {{"os_hidden", "maybe"}},
                   "Invalid value 'maybe' for 'os_hidden' filter. Valid values are 'true' or "
                   "'false'."},
        RejectCase{"2.44",
                   {{"protected", "bogus"}},
                   "Invalid value 'bogus' for 'protected' filter. Valid values are 'true' or "
                   "'false'."},
        RejectCase{"spec",
                   {{"protected", "True"}},
                   "Invalid value 'True' for 'protected' filter. Valid values are 'true' or "
                   "'false'."},
        RejectCase{"2.53",
                   {{"created_at", "gt:not-a-date"}},
                   "Bad \"created_at\" query filter format. Use ISO 8601 DateTime notation."},
        RejectCase{"spec",
                   {{"updated_at", ""}},
                   "Bad \"updated_at\" query filter format. Use ISO 8601 DateTime notation."},
        RejectCase{"2.55",
                   {{"created_at", "foo:2020-01-01T00:00:00Z"}},
                   "Unable to filter on a unknown operator."},
        RejectCase{"spec",
                   {{"created_at", "in:2020-01-01T00:00:00Z"}},
                   "Unable to filter on a unknown operator."},
        RejectCase{"2.63", {{"sort", "name:up"}}, "Invalid sort direction: up"},
        RejectCase{"2.64", {{"sort", "bogus:asc"}}, kBadSortKey},
        RejectCase{"2.65", {{"sort_key", "bogus"}}, kBadSortKey},
        RejectCase{"2.66", {{"sort_dir", "sideways"}}, "Invalid sort direction: sideways"},
        RejectCase{"2.67",
                   {{"sort", "name:asc"}, {"sort_key", "name"}},
                   "Old and new sorting syntax cannot be combined"},
        RejectCase{"spec",
                   {{"sort_dir", "asc"}, {"sort", "name"}},
                   "Old and new sorting syntax cannot be combined"},
        RejectCase{"spec",
                   {{"sort_key", "name"}, {"sort_dir", "asc"}, {"sort_dir", "desc"}},
                   "Number of sort dirs does not match the number of sort keys"},
        RejectCase{"spec",
                   {{"sort", "name:asc,"}},
                   "Invalid sort key: . It must be one of the following: name, status, "
                   "container_format, disk_format, size, id, created_at, updated_at."},
        RejectCase{"spec",
                   {{"changes-since", "2020-01-01T00:00:00Z"}},
                   "The \"changes-since\" filter is no longer available on v2."},
        RejectCase{"spec", {{"name", "like:foo"}}, "Unable to filter by unknown operator 'like'."},
        RejectCase{"spec", {{"status", "gt:active"}}, "Unable to filter by unknown operator 'gt'."},
        RejectCase{"spec",
                   {{"name", "in:a\"b\""}},
                   "Invalid filter value a\"b\". There is no comma before opening quotation "
                   "mark."},
        RejectCase{"spec",
                   {{"name", "in:\"a\"b"}},
                   "Invalid filter value \"a\"b. There is no comma after closing quotation "
                   "mark."},
        RejectCase{"spec",
                   {{"name", "in:\"a,b"}},
                   "Invalid filter value \"a,b. The quote is not closed."}));

TEST(ParseV2ListQueryTest, DefaultsMatchGlance) {  // 2.1
  Result<ListQuery> q = Parse({});
  ASSERT_TRUE(q.ok()) << q.status();
  EXPECT_EQ(q->caller.project, "projL");
  EXPECT_EQ(q->limit, 25u);
  EXPECT_EQ(q->member_status, wire::MemberStatus::kAccepted);
  EXPECT_FALSE(q->visibility.has_value());
  EXPECT_FALSE(q->visibility_all);
  EXPECT_FALSE(q->os_hidden);
  EXPECT_FALSE(q->ignore_os_hidden);
  EXPECT_FALSE(q->marker.has_value());
  EXPECT_EQ(SortString(*q), "created_at:desc,id:desc");
  EXPECT_TRUE(q->filters.empty());
}

TEST(ParseV2ListQueryTest, LimitIsCappedAndMayBeZero) {  // 2.3, 2.8, 2.11
  EXPECT_EQ(Parse({{"limit", "2"}})->limit, 2u);
  EXPECT_EQ(Parse({{"limit", "0"}})->limit, 0u);
  EXPECT_EQ(Parse({{"limit", "5000"}})->limit, 1000u);
  EXPECT_EQ(Parse({{"limit", "99999999999999999999999"}})->limit, 1000u);
  EXPECT_EQ(Parse({{"limit", " 7 "}})->limit, 7u);  // Python int() strips
  EXPECT_EQ(Parse({{"limit", "+7"}})->limit, 7u);
  EXPECT_EQ(Parse({}, ListLimits{10, 50})->limit, 10u);
  EXPECT_EQ(Parse({{"limit", "60"}}, ListLimits{10, 50})->limit, 50u);
}

TEST(ParseV2ListQueryTest, MarkerIsKeptVerbatim) {  // 2.4, 2.7: checked by ListImages
  EXPECT_EQ(Parse({{"marker", "zzz"}})->marker, "zzz");
  EXPECT_EQ(Parse({{"marker", ""}})->marker, "");
}

TEST(ParseV2ListQueryTest, ColumnFiltersTakeEqAndIn) {
  EXPECT_EQ(FilterString(*Parse({{"name", "L-beta"}})), "name eq [L-beta]");  // 2.12
  EXPECT_EQ(FilterString(*Parse({{"name", "in:L-alpha,L-beta"}})),
            "name in [L-alpha] [L-beta]");  // 2.13
  EXPECT_EQ(FilterString(*Parse({{"name", "in:\"L-alpha\",\"L-delta\""}})),
            "name in [L-alpha] [L-delta]");                                     // 2.14
  EXPECT_EQ(FilterString(*Parse({{"status", "bogus"}})), "status eq [bogus]");  // 2.19
  EXPECT_EQ(FilterString(*Parse({{"status", "in:active,queued"}})),
            "status in [active] [queued]");                                           // 2.20
  EXPECT_EQ(FilterString(*Parse({{"disk_format", "raw"}})), "disk_format eq [raw]");  // 2.45
  EXPECT_EQ(FilterString(*Parse({{"container_format", "ovf"}})),
            "container_format eq [ovf]");                                // 2.46
  EXPECT_EQ(FilterString(*Parse({{"id", "in:a,b"}})), "id in [a] [b]");  // 2.48
  EXPECT_EQ(FilterString(*Parse({{"name", "eq:a:b"}})), "name eq [a:b]");
}

TEST(ParseV2ListQueryTest, InListsFollowGlanceQuoting) {
  EXPECT_EQ(FilterString(*Parse({{"name", "in:\"glass, darkly\",share me"}})),
            "name in [glass, darkly] [share me]");
  EXPECT_EQ(FilterString(*Parse({{"name", "in:a,,b"}})), "name in [a] [] [b]");
  EXPECT_EQ(FilterString(*Parse({{"name", "in:a,"}})), "name in [a]");
  EXPECT_EQ(FilterString(*Parse({{"name", "in:,a"}})), "name in [] [a]");
  EXPECT_EQ(FilterString(*Parse({{"name", "in:"}})), "name in");
  // Glance keeps the backslash of an escaped quote (no unescaping).
  EXPECT_EQ(FilterString(*Parse({{"name", "in:\"a\\\"b\",c"}})), "name in [a\\\"b] [c]");
}

TEST(ParseV2ListQueryTest, VisibilityAndMemberStatus) {  // 2.21-2.25, 2.27
  EXPECT_EQ(Parse({{"visibility", "private"}})->visibility, wire::Visibility::kPrivate);
  EXPECT_EQ(Parse({{"visibility", "shared"}})->visibility, wire::Visibility::kShared);
  EXPECT_EQ(Parse({{"visibility", "public"}})->visibility, wire::Visibility::kPublic);
  EXPECT_EQ(Parse({{"visibility", "community"}})->visibility, wire::Visibility::kCommunity);
  Result<ListQuery> all = Parse({{"visibility", "all"}});
  EXPECT_TRUE(all->visibility_all);
  EXPECT_FALSE(all->visibility.has_value());
  EXPECT_FALSE(Parse({{"member_status", "all"}})->member_status.has_value());
  EXPECT_EQ(Parse({{"member_status", "pending"}})->member_status, wire::MemberStatus::kPending);
  EXPECT_EQ(Parse({{"member_status", "rejected"}})->member_status, wire::MemberStatus::kRejected);
  // An empty visibility is not validated by Glance and then matches nothing.
  EXPECT_EQ(FilterString(*Parse({{"visibility", ""}})), "visibility eq []");
}

TEST(ParseV2ListQueryTest, SizeBoundsAcceptNegativeAndCrossedValues) {  // 2.31-2.36
  Result<ListQuery> q = Parse({{"size_min", "200"}, {"size_max", "1000"}});
  EXPECT_EQ(q->size_min, 200);
  EXPECT_EQ(q->size_max, 1000);
  EXPECT_EQ(Parse({{"size_min", "-1"}})->size_min, -1);
  q = Parse({{"size_min", "2000"}, {"size_max", "100"}});
  EXPECT_EQ(q->size_min, 2000);
  EXPECT_EQ(q->size_max, 100);
}

TEST(ParseV2ListQueryTest, TagsAccumulate) {  // 2.37-2.39
  EXPECT_EQ(Parse({{"tag", "red"}, {"tag", "blue"}})->tags,
            (std::vector<std::string>{"red", "blue"}));
}

TEST(ParseV2ListQueryTest, BooleanFilters) {  // 2.40, 2.41, 2.43
  EXPECT_TRUE(Parse({{"os_hidden", "true"}})->os_hidden);
  EXPECT_TRUE(Parse({{"os_hidden", "TRUE"}})->os_hidden);
  EXPECT_FALSE(Parse({{"os_hidden", "False"}})->os_hidden);
  EXPECT_EQ(Parse({{"protected", "true"}})->is_protected, true);
  EXPECT_EQ(Parse({{"protected", "false"}})->is_protected, false);
  EXPECT_EQ(Parse({{"os_hidden", "MAYBE"}}).status().message(),
            "Invalid value 'maybe' for 'os_hidden' filter. Valid values are 'true' or 'false'.");
}

TEST(ParseV2ListQueryTest, OtherKeysFilterColumnsOrProperties) {  // 2.29, 2.47, 2.70
  EXPECT_EQ(FilterString(*Parse({{"owner", "projL"}})), "owner eq [projL]");
  EXPECT_EQ(FilterString(*Parse({{"color", "red"}})), "color eq [red]");
  EXPECT_EQ(FilterString(*Parse({{"unknownparam", "1"}})), "unknownparam eq [1]");
  // A property filter value is never split on ':' or "in:".
  EXPECT_EQ(FilterString(*Parse({{"hw_disk_bus", "in:a,b"}})), "hw_disk_bus eq [in:a,b]");
}

TEST(ParseV2ListQueryTest, RepeatedScalarParametersKeepTheLastValue) {
  EXPECT_EQ(Parse({{"limit", "3"}, {"limit", "4"}})->limit, 4u);
  EXPECT_EQ(FilterString(*Parse({{"name", "a"}, {"name", "b"}})), "name eq [b]");
}

TEST(ParseV2ListQueryTest, TimeFilters) {  // 2.49-2.52, 2.54
  Result<ListQuery> q = Parse({{"created_at", "gt:2026-11-27T00:34:29Z"}});
  ASSERT_TRUE(q.ok()) << q.status();
  ASSERT_EQ(q->filters.size(), 1u);
  EXPECT_EQ(q->filters[0].key, "created_at");
  EXPECT_EQ(q->filters[0].op, ListFilter::Op::kGt);
  EXPECT_EQ(q->filters[0].time, *ParseIso("2026-11-27T00:34:29Z"));
  EXPECT_EQ(Parse({{"created_at", "gte:2026-11-27T00:34:29Z"}})->filters[0].op,
            ListFilter::Op::kGte);
  EXPECT_EQ(Parse({{"created_at", "lt:2026-11-27T00:34:29Z"}})->filters[0].op, ListFilter::Op::kLt);
  EXPECT_EQ(Parse({{"updated_at", "lte:2000-01-01"}})->filters[0].op, ListFilter::Op::kLte);
  EXPECT_EQ(Parse({{"updated_at", "neq:2000-01-01T00:00:00"}})->filters[0].op,
            ListFilter::Op::kNeq);
  // A bare ISO time holds ':' but is never split (2.54); a zone offset neither.
  q = Parse({{"created_at", "2020-01-01T00:00:00Z"}});
  EXPECT_EQ(q->filters[0].op, ListFilter::Op::kEq);
  EXPECT_EQ(q->filters[0].time, *ParseIso("2020-01-01T00:00:00Z"));
  q = Parse({{"created_at", "2020-01-01T02:00:00+02:00"}});
  EXPECT_EQ(q->filters[0].time, *ParseIso("2020-01-01T00:00:00Z"));
  q = Parse({{"created_at", "eq:2020-01-01T00:00:00.5"}});
  EXPECT_EQ(q->filters[0].time, *ParseIso("2020-01-01T00:00:00Z") + 500000);
}

TEST(ParseV2ListQueryTest, NewSortSyntax) {
  EXPECT_EQ(SortString(*Parse({{"sort", "name:asc"}})),
            "name:asc,created_at:asc,id:asc");  // 2.56: one direction drives the tie-breakers
  EXPECT_EQ(SortString(*Parse({{"sort", "name"}})), "name:desc,created_at:desc,id:desc");  // 2.57
  EXPECT_EQ(SortString(*Parse({{"sort", "size:desc,name:asc"}})),
            "size:desc,name:asc,created_at:desc,id:desc");  // 2.58
  EXPECT_EQ(SortString(*Parse({{"sort", "disk_format:asc,name:desc"}})),
            "disk_format:asc,name:desc,created_at:desc,id:desc");  // 2.59
  EXPECT_EQ(SortString(*Parse({{"sort", " name : asc , id "}})),
            "name:asc,id:desc,created_at:desc");
  EXPECT_EQ(SortString(*Parse({{"sort", "created_at:asc"}})), "created_at:asc,id:asc");
}

TEST(ParseV2ListQueryTest, DuplicateSortKeysAreAccepted) {  // 2.68
  Result<ListQuery> q = Parse({{"sort", "name:asc,name:desc"}});
  ASSERT_TRUE(q.ok()) << q.status();
  EXPECT_EQ(SortString(*q), "name:asc,name:desc,created_at:desc,id:desc");
}

TEST(ParseV2ListQueryTest, ClassicSortSyntax) {
  EXPECT_EQ(SortString(*Parse({{"sort_key", "name"}, {"sort_dir", "asc"}})),
            "name:asc,created_at:asc,id:asc");  // 2.60
  EXPECT_EQ(
      SortString(*Parse(
          {{"sort_key", "size"}, {"sort_key", "name"}, {"sort_dir", "desc"}, {"sort_dir", "asc"}})),
      "size:desc,name:asc,created_at:desc,id:desc");  // 2.61
  EXPECT_EQ(SortString(*Parse({{"sort_key", "name"}})),
            "name:desc,created_at:desc,id:desc");  // 2.62
  EXPECT_EQ(SortString(*Parse({{"sort_key", "size"}, {"sort_key", "name"}, {"sort_dir", "asc"}})),
            "size:asc,name:asc,created_at:asc,id:asc");  // one dir applies to all
  EXPECT_EQ(SortString(*Parse({{"sort_dir", "asc"}})), "created_at:asc,id:asc");
}

TEST(ParseV2ListQueryTest, TieBreakersAreNotDuplicated) {
  EXPECT_EQ(SortString(*Parse({{"sort", "id:asc"}})), "id:asc,created_at:asc");
  std::vector<SortKey> sort = {{"created_at", true}};
  AppendSortTieBreakers(sort, false);
  ASSERT_EQ(sort.size(), 2u);
  EXPECT_EQ(sort[1].key, "id");
  EXPECT_FALSE(sort[1].ascending);
}

}  // namespace
}  // namespace imagefs::service
