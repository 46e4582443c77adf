// Small helpers shared by the API handlers: loading images under the access rules,
// reading JSON bodies, rendering image responses.
#pragma once

#include <boost/json/value.hpp>

#include <string>
#include <string_view>

#include "common/result.h"
#include "common/wire/image.h"
#include "common/wire/image_codec.h"
#include "service/api/context.h"
#include "service/http/message.h"

namespace imagefs::service::api {

// "No image found with ID <id>" (404) unless the image exists, is not deleted and
// the caller may see it (spec 1.4: an invisible image behaves as a missing one).
Result<wire::Image> LoadVisibleImage(ServiceContext& ctx, const Identity& caller,
                                     std::string_view id);

// True when the caller may change the image: admin, or its project owns it.
bool MayWrite(const Identity& caller, const wire::Image& image);

// LoadVisibleImage, then 403 "You do not own this image" unless MayWrite.
Result<wire::Image> LoadWritableImage(ServiceContext& ctx, const Identity& caller,
                                      std::string_view id);

// Reads and parses the JSON body. 400 "Body expected in request." when empty,
// 400 "Malformed JSON in request body." when unparsable, 413 when over the limit.
Result<boost::json::value> ReadJsonBody(ServiceContext& ctx, http::Request& req);

wire::RenderOptions RenderOptionsOf(const ServiceContext& ctx);

// 200/201 with the image's v2 JSON.
http::Response ImageResponse(const ServiceContext& ctx, int status, const wire::Image& image);

// application/json response of a JSON value.
http::Response JsonResponse(int status, const boost::json::value& body);

// "Image status transition from <from> to <to> is not allowed" (409), or OK.
Status CheckTransition(const wire::Image& image, wire::ImageStatus to);

}  // namespace imagefs::service::api

namespace imagefs::service::api {

// application/x-www-form-urlencoded encoding of query pairs ("a=b&c=d"), as Python's
// urlencode: unreserved characters kept, space as '+', everything else %XX.
std::string EncodeQuery(const std::vector<std::pair<std::string, std::string>>& pairs);

}  // namespace imagefs::service::api
