// The server's HTTP/1.1 framing, driven over raw sockets.
#include <stdexcept>

#include <gtest/gtest.h>

#include "common/uuid.h"
#include "service/http/error_mapping.h"
#include "tests/unit/service/http/http_test_support.h"

namespace imagefs::service::http::testing {
namespace {

class ProtocolTest : public ServerTest {
 protected:
  void SetUp() override {
    router_.Add("GET", "/hello", [](Request&) -> Result<Response> {
      return Response::Json(200, R"({"hello": "world"})");
    });
    router_.Add("HEAD", "/hello", [](Request&) -> Result<Response> {
      return Response::Json(200, R"({"hello": "world"})");
    });
    router_.Add("POST", "/hello",
                [](Request&) -> Result<Response> { return Response::Empty(201); });
    router_.Add("GET", "/echo/{a}/{b}", [](Request& req) -> Result<Response> {
      std::string out = req.method + "|" + req.target + "|" + req.path + "|" + req.raw_query;
      for (const auto& p : req.path_params) {
        out += "|p:" + p;
      }
      for (const auto& [k, v] : req.query) {
        out += "|q:" + k + "=" + v;
      }
      return Response::Json(200, out);
    });
    router_.Add("GET", "/info", [](Request& req) -> Result<Response> {
      return Response::Json(200, req.request_id + " " + req.base_url + " " +
                                     std::string(req.Header("x-custom").value_or("-")));
    });
    router_.Add("HEAD", "/rewrite", [](Request& req) -> Result<Response> {
      req.method = "GET";  // an API layer may serve HEAD with its GET handler
      return Response::Json(200, "a body that must not be sent");
    });
    RouteOptions nova;
    nova.error_style = ErrorStyle::kNova;
    router_.Add(
        "GET", "/nova", [](Request&) -> Result<Response> { return NotFound("Image not found."); },
        nova);
    router_.Add("GET", "/missing",
                [](Request&) -> Result<Response> { return NotFound("No image found with ID x"); });
    router_.Add("GET", "/throw",
                [](Request&) -> Result<Response> { throw std::runtime_error("boom"); });
    router_.Add("GET", "/close", [](Request&) -> Result<Response> {
      return Response::Empty(204).SetHeader("Connection", "close");
    });
    router_.Add("GET", "/badheader", [](Request&) -> Result<Response> {
      Response r = Response::Json(200, "ok");
      r.SetHeader("X-Evil", "a\r\nInjected: yes");
      r.SetHeader("Content-Length", "999");
      return r;
    });
    StartServer();
  }
};

TEST_F(ProtocolTest, KeepAliveServesManyRequestsOnOneConnection) {
  RawClient client(port());
  for (int i = 0; i < 5; ++i) {
    auto r = client.RoundTrip(Get("/hello"));
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 200);
    EXPECT_EQ(r->body, R"({"hello": "world"})");
    EXPECT_EQ(r->Header("Content-Type"), "application/json");
    EXPECT_EQ(r->Header("Content-Length"), "18");
    EXPECT_EQ(r->Header("Connection"), std::nullopt);
  }
  EXPECT_EQ(server_->requests_served(), 5u);
  EXPECT_EQ(server_->open_connections(), 1u);
}

TEST_F(ProtocolTest, PipelinedRequestsAreAnsweredInOrder) {
  RawClient client(port());
  ASSERT_TRUE(client.Send(Get("/echo/1/x") + Get("/echo/2/x") + Get("/echo/3/x")));
  for (int i = 1; i <= 3; ++i) {
    auto r = client.Read();
    ASSERT_TRUE(r);
    EXPECT_EQ(r->body, "GET|/echo/" + std::to_string(i) + "/x|/echo/" + std::to_string(i) +
                           "/x||p:" + std::to_string(i) + "|p:x");
  }
}

TEST_F(ProtocolTest, PathAndQueryArePercentDecoded) {
  RawClient client(port());
  auto r = client.RoundTrip(Get("/echo/a%20b/c%2Fd?name=in%3Aa%2Cb&x=1+2&flag"));
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 404);  // %2F decodes to '/', so the path has another segment
  r = client.RoundTrip(Get("/echo/a%20b/w%C3%B6rld?name=in%3Aa%2Cb&x=1+2&flag"));
  ASSERT_TRUE(r);
  EXPECT_EQ(r->body,
            "GET|/echo/a%20b/w%C3%B6rld?name=in%3Aa%2Cb&x=1+2&flag|/echo/a b/w\xC3\xB6rld|"
            "name=in%3Aa%2Cb&x=1+2&flag|p:a b|p:w\xC3\xB6rld|q:name=in:a,b|q:x=1 2|q:flag=");
}

TEST_F(ProtocolTest, RequestIdAndBaseUrlAreFilledIn) {
  RawClient client(port());
  auto r = client.RoundTrip(Get("/info", "X-Custom: v\r\n"));
  ASSERT_TRUE(r);
  ASSERT_GT(r->body.size(), 40u);
  EXPECT_EQ(r->body.substr(0, 4), "req-");
  EXPECT_TRUE(IsUuid(r->body.substr(4, 36)));
  EXPECT_EQ(r->body.substr(40), " http://test v");
}

TEST_F(ProtocolTest, UnknownPathIs404Json) {
  RawClient client(port());
  auto r = client.RoundTrip(Get("/nope"));
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 404);
  EXPECT_EQ(r->Header("Content-Type"), "application/json");
  EXPECT_EQ(r->body, ErrorResponse(404, "The resource could not be found.").body);
}

TEST_F(ProtocolTest, HandlerStatusBecomesErrorResponse) {
  RawClient client(port());
  auto r = client.RoundTrip(Get("/missing"));
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 404);
  EXPECT_NE(r->body.find("No image found with ID x"), std::string::npos);
}

TEST_F(ProtocolTest, WrongMethodIs405WithAllow) {
  RawClient client(port());
  auto r = client.RoundTrip("DELETE /hello HTTP/1.1\r\nHost: t\r\n\r\n");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 405);
  EXPECT_EQ(r->Header("Allow"), "GET, HEAD, POST");
}

TEST_F(ProtocolTest, HeadGetsHeadersWithoutBody) {
  RawClient client(port());
  ASSERT_TRUE(client.Send("HEAD /hello HTTP/1.1\r\nHost: t\r\n\r\n" + Get("/hello")));
  auto head = client.Read(/*head=*/true);
  ASSERT_TRUE(head);
  EXPECT_EQ(head->status, 200);
  EXPECT_EQ(head->Header("Content-Length"), "18");
  auto get = client.Read();  // the next response starts right after the header
  ASSERT_TRUE(get);
  EXPECT_EQ(get->body, R"({"hello": "world"})");
}

TEST_F(ProtocolTest, HeadStaysBodilessWhenTheHandlerRewritesTheMethod) {
  RawClient client(port());
  ASSERT_TRUE(client.Send("HEAD /rewrite HTTP/1.1\r\nHost: t\r\n\r\n" + Get("/hello")));
  auto head = client.Read(/*head=*/true);
  ASSERT_TRUE(head);
  EXPECT_EQ(head->Header("Content-Length"), "28");
  auto get = client.Read();
  ASSERT_TRUE(get);
  EXPECT_EQ(get->body, R"({"hello": "world"})");
}

TEST_F(ProtocolTest, RouteErrorStyleSelectsTheBody) {
  RawClient client(port());
  auto r = client.RoundTrip(Get("/nova"));
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 404);
  EXPECT_EQ(r->body, R"({"itemNotFound": {"code": 404, "message": "Image not found."}})");
}

TEST_F(ProtocolTest, HeadOnAGetOnlyRouteIs405) {
  RawClient client(port());
  ASSERT_TRUE(client.Send("HEAD /echo/a/b HTTP/1.1\r\nHost: t\r\n\r\n"));
  auto r = client.Read(/*head=*/true);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 405);
  EXPECT_EQ(r->Header("Allow"), "GET");
}

TEST_F(ProtocolTest, EmptyResponseHasZeroContentLengthAndNoContentType) {
  RawClient client(port());
  auto r = client.RoundTrip("POST /hello HTTP/1.1\r\nHost: t\r\nContent-Length: 0\r\n\r\n");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 201);
  EXPECT_EQ(r->Header("Content-Length"), "0");
  EXPECT_EQ(r->Header("Content-Type"), std::nullopt);
}

TEST_F(ProtocolTest, ConnectionCloseIsHonoured) {
  RawClient client(port());
  auto r = client.RoundTrip(Get("/hello", "Connection: close\r\n"));
  ASSERT_TRUE(r);
  EXPECT_EQ(r->Header("Connection"), "close");
  EXPECT_TRUE(client.WaitClosed());
}

TEST_F(ProtocolTest, ApplicationMayCloseTheConnection) {
  RawClient client(port());
  auto r = client.RoundTrip(Get("/close"));
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 204);
  EXPECT_EQ(r->Header("Connection"), "close");
  EXPECT_TRUE(client.WaitClosed());
}

TEST_F(ProtocolTest, Http10ClosesUnlessKeepAliveIsAsked) {
  RawClient one(port());
  auto r = one.RoundTrip("GET /hello HTTP/1.0\r\n\r\n");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
  EXPECT_TRUE(one.WaitClosed());

  RawClient two(port());
  for (int i = 0; i < 2; ++i) {
    r = two.RoundTrip("GET /info HTTP/1.0\r\nConnection: keep-alive\r\n\r\n");
    ASSERT_TRUE(r);
    EXPECT_EQ(r->Header("Connection"), "keep-alive");
    EXPECT_NE(r->body.find("http://127.0.0.1:" + std::to_string(port())), std::string::npos);
  }
}

TEST_F(ProtocolTest, MalformedRequestIs400ThenClose) {
  RawClient client(port());
  auto r = client.RoundTrip("GET /hello HTTP/1.1\r\nBad Header\r\n\r\n");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 400);
  EXPECT_EQ(r->Header("Content-Type"), "application/json");
  EXPECT_EQ(r->Header("Connection"), "close");
  EXPECT_TRUE(client.WaitClosed());
}

TEST_F(ProtocolTest, BadRequestLineIs400) {
  for (const char* request : {"GARBAGE\r\n\r\n", "GET /x HTTP/2.0\r\n\r\n", "GET  HTTP/1.1\r\n\r\n",
                              "GET /x HTTP/1.1\r\nContent-Length: abc\r\n\r\n"}) {
    RawClient client(port());
    auto r = client.RoundTrip(request);
    ASSERT_TRUE(r) << request;
    EXPECT_EQ(r->status, 400) << request;
    EXPECT_TRUE(client.WaitClosed());
  }
}

TEST_F(ProtocolTest, UnknownTransferEncodingIs501) {
  RawClient client(port());
  auto r = client.RoundTrip(
      "POST /hello HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: gzip, chunked\r\n\r\n0\r\n\r\n");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 501);
  EXPECT_TRUE(client.WaitClosed());
}

TEST_F(ProtocolTest, ApplicationExceptionIs500AndClose) {
  RawClient client(port());
  auto r = client.RoundTrip(Get("/throw"));
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 500);
  EXPECT_TRUE(client.WaitClosed());
}

TEST_F(ProtocolTest, FramingAndUnsafeHeadersFromTheApplicationAreDropped) {
  RawClient client(port());
  auto r = client.RoundTrip(Get("/badheader"));
  ASSERT_TRUE(r);
  EXPECT_EQ(r->Header("Content-Length"), "2");
  EXPECT_EQ(r->Header("X-Evil"), std::nullopt);
  EXPECT_EQ(r->Header("Injected"), std::nullopt);
  EXPECT_EQ(r->body, "ok");
}

}  // namespace
}  // namespace imagefs::service::http::testing
