// ImagedApp: the HTTP application of imaged. For each request it assigns the request
// id, normalises version prefixes (/v2.1/images is /v2/images), answers the version
// documents, routes, enforces body-less routes, authenticates, runs the handler,
// renders errors in the route's style, and writes one access-log line.
// Thread-safe: Handle runs concurrently on the server's worker threads.
#pragma once

#include <memory>

#include "service/api/context.h"
#include "service/auth/authenticator.h"
#include "service/http/message.h"
#include "service/http/router.h"

namespace imagefs::service::api {

class ImagedApp {
 public:
  ImagedApp(ServiceContext& ctx, std::unique_ptr<auth::Authenticator> authenticator);

  http::Response Handle(http::Request& req);

 private:
  http::Response Dispatch(http::Request& req, std::string* route_name, std::string* error);

  ServiceContext& ctx_;
  std::unique_ptr<auth::Authenticator> authenticator_;
  http::Router router_;
};

}  // namespace imagefs::service::api
