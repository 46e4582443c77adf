#include "service/http/error_mapping.h"

#include <string>

#include <boost/json/serialize.hpp>
#include <boost/json/string_view.hpp>

namespace imagefs::service::http {
namespace {

// Compute-style fault names (nova/api/openstack/wsgi.py's Fault mapping).
std::string_view NovaFaultName(int http_status) {
  switch (http_status) {
    case 400:
      return "badRequest";
    case 401:
      return "unauthorized";
    case 403:
      return "forbidden";
    case 404:
      return "itemNotFound";
    case 405:
      return "badMethod";
    case 409:
      return "conflictingRequest";
    case 413:
      return "overLimit";
    case 415:
      return "badMediaType";
    case 503:
      return "serviceUnavailable";
    default:
      return "computeFault";
  }
}

// A JSON string literal, quoted and escaped by Boost.JSON.
std::string JsonString(std::string_view s) {
  return boost::json::serialize(boost::json::string_view(s.data(), s.size()));
}

// Glance's JSON error fields, wrapped in one "error" object as Keystone does:
// python-glanceclient reads JSON errors as {"<any>": {"message": ...}} and fails on
// Glance's own flat form, which Glance only sends to clients that ask for JSON.
std::string GlanceBody(int http_status, std::string_view message) {
  std::string_view reason = ReasonPhrase(http_status);
  std::string code = std::to_string(http_status);
  code.push_back(' ');
  code.append(reason);
  return "{\"error\": {\"message\": " + JsonString(message) + ", \"code\": " + JsonString(code) +
         ", \"title\": " + JsonString(reason) + "}}";
}

std::string NovaBody(int http_status, std::string_view message) {
  return "{" + JsonString(NovaFaultName(http_status)) +
         ": {\"code\": " + std::to_string(http_status) + ", \"message\": " + JsonString(message) +
         "}}";
}

}  // namespace

int HttpStatusOf(const Status& status) {
  switch (status.code()) {
    case StatusCode::kOk:
      return 200;
    // A cancelled request means the client went away; the connection is closed
    // anyway, so the code only matters to a client that half-closed: plain 400.
    case StatusCode::kCancelled:
    case StatusCode::kInvalidArgument:
      return 400;
    case StatusCode::kUnauthenticated:
      return 401;
    case StatusCode::kPermissionDenied:
      return 403;
    case StatusCode::kNotFound:
      return 404;
    case StatusCode::kAlreadyExists:
    case StatusCode::kFailedPrecondition:
      return 409;
    case StatusCode::kResourceExhausted:
      return 413;
    case StatusCode::kUnsupportedMedia:
      return 415;
    case StatusCode::kOutOfRange:
      return 416;
    case StatusCode::kUnavailable:
      return 503;
    case StatusCode::kDeadlineExceeded:
      return 504;
    case StatusCode::kUnimplemented:
      return 501;
    case StatusCode::kDataLoss:
    case StatusCode::kInternal:
      return 500;
  }
  return 500;
}

std::string_view ReasonPhrase(int http_status) {
  switch (http_status) {
    case 100:
      return "Continue";
    case 200:
      return "OK";
    case 201:
      return "Created";
    case 202:
      return "Accepted";
    case 204:
      return "No Content";
    case 206:
      return "Partial Content";
    case 300:
      return "Multiple Choices";
    case 301:
      return "Moved Permanently";
    case 302:
      return "Found";
    case 303:
      return "See Other";
    case 304:
      return "Not Modified";
    case 307:
      return "Temporary Redirect";
    case 400:
      return "Bad Request";
    case 401:
      return "Unauthorized";
    case 403:
      return "Forbidden";
    case 404:
      return "Not Found";
    case 405:
      return "Method Not Allowed";
    case 406:
      return "Not Acceptable";
    case 408:
      return "Request Timeout";
    case 409:
      return "Conflict";
    case 410:
      return "Gone";
    case 411:
      return "Length Required";
    case 412:
      return "Precondition Failed";
    case 413:
      return "Request Entity Too Large";
    case 414:
      return "Request-URI Too Long";
    case 415:
      return "Unsupported Media Type";
    case 416:
      return "Requested Range Not Satisfiable";
    case 417:
      return "Expectation Failed";
    case 429:
      return "Too Many Requests";
    case 431:
      return "Request Header Fields Too Large";
    case 500:
      return "Internal Server Error";
    case 501:
      return "Not Implemented";
    case 502:
      return "Bad Gateway";
    case 503:
      return "Service Unavailable";
    case 504:
      return "Gateway Timeout";
    case 505:
      return "HTTP Version Not Supported";
    default:
      return "Unknown";
  }
}

Response ErrorResponse(const Status& status, ErrorStyle style) {
  return ErrorResponse(HttpStatusOf(status), status.message(), style);
}

Response ErrorResponse(int http_status, std::string_view message, ErrorStyle style) {
  std::string body = style == ErrorStyle::kNova ? NovaBody(http_status, message)
                                                : GlanceBody(http_status, message);
  return Response::Json(http_status, std::move(body));
}

}  // namespace imagefs::service::http
