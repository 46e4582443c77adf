// The one place a Status becomes an HTTP status code and error body.
#pragma once

#include "common/status.h"
#include "service/http/message.h"

namespace imagefs::service::http {

// 400, 401, 403, 404, 409, 413, 415, 416, 500, 501, 503, 504 per StatusCode.
int HttpStatusOf(const Status& status);

// "Not Found", "Conflict", ... for an HTTP status code.
std::string_view ReasonPhrase(int http_status);

// An error response with a JSON body in `style`, carrying status.message().
Response ErrorResponse(const Status& status, ErrorStyle style = ErrorStyle::kGlance);

// The same for an explicit HTTP status (405, 300, ...).
Response ErrorResponse(int http_status, std::string_view message,
                       ErrorStyle style = ErrorStyle::kGlance);

}  // namespace imagefs::service::http
