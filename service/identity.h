// Identity: who a request acts for, as the auth layer established it.
#pragma once

#include <algorithm>
#include <string>
#include <string_view>
#include <vector>

namespace imagefs::service {

struct Identity {
  std::string user;
  std::string project;             // the caller's project: owner of what it creates
  std::vector<std::string> roles;  // lower-case: "admin", "member", "reader", "service"
  bool is_admin = false;           // has role "admin"

  bool HasRole(std::string_view role) const {
    return std::find(roles.begin(), roles.end(), role) != roles.end();
  }
};

}  // namespace imagefs::service
