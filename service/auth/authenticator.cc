#include "service/auth/authenticator.h"

#include <sys/stat.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <fstream>
#include <mutex>
#include <sstream>
#include <unordered_map>

#include "common/log.h"
#include "common/thread_annotations.h"
#include "common/wire/image_codec.h"

namespace imagefs::service::auth {

struct TokenTable {
  std::unordered_map<std::string, Identity> tokens;
};

namespace {

namespace json = boost::json;

class DemoAuthenticator final : public Authenticator {
 public:
  explicit DemoAuthenticator(Identity identity) : identity_(std::move(identity)) {}
  Result<Identity> Authenticate(std::string_view) override { return identity_; }

 private:
  const Identity identity_;
};

Result<Identity> ParseEntry(std::string_view token, const json::value& v) {
  auto bad = [&](std::string_view what) {
    return InvalidArgument("tokens file: token entry " + std::string(what));
  };
  if (token.empty()) return bad("with an empty token");
  if (!v.is_object()) return bad("is not an object");
  const json::object& o = v.get_object();
  Identity id;
  auto project = o.find("project");
  if (project == o.end() || !project->value().is_string() ||
      project->value().get_string().empty()) {
    return bad("needs a non-empty \"project\"");
  }
  id.project = std::string(project->value().get_string());
  if (auto user = o.find("user"); user != o.end()) {
    if (!user->value().is_string()) return bad("has a non-string \"user\"");
    id.user = std::string(user->value().get_string());
  }
  if (id.user.empty()) id.user = id.project + "-user";
  if (auto roles = o.find("roles"); roles != o.end()) {
    if (!roles->value().is_array()) return bad("has non-array \"roles\"");
    for (const auto& r : roles->value().get_array()) {
      if (!r.is_string()) return bad("has a non-string role");
      std::string role(r.get_string());
      std::transform(role.begin(), role.end(), role.begin(), ::tolower);
      id.roles.push_back(std::move(role));
    }
  }
  if (o.find("roles") == o.end()) id.roles = {"member", "reader"};
  id.is_admin = id.HasRole("admin");
  return id;
}

Result<std::string> ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return NotFound("cannot read tokens file " + path);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

int64_t MtimeNanos(const std::string& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) return -1;
  return int64_t{st.st_mtim.tv_sec} * 1000000000 + st.st_mtim.tv_nsec;
}

class TokensFileAuthenticator final : public Authenticator {
 public:
  TokensFileAuthenticator(std::string path, std::shared_ptr<const TokenTable> table,
                          int64_t mtime)
      : path_(std::move(path)), table_(std::move(table)), mtime_(mtime) {}

  Result<Identity> Authenticate(std::string_view token) override {
    MaybeReload();
    if (token.empty()) return Unauthenticated("Authentication required: no X-Auth-Token");
    std::shared_ptr<const TokenTable> table = Table();
    auto it = table->tokens.find(std::string(token));
    if (it == table->tokens.end()) return Unauthenticated("Invalid or expired token");
    return it->second;
  }

 private:
  void MaybeReload() {
    auto now = std::chrono::steady_clock::now().time_since_epoch().count();
    int64_t last = last_check_.load(std::memory_order_relaxed);
    if (now - last < 1000000000) return;
    if (!last_check_.compare_exchange_strong(last, now)) return;
    int64_t mtime = MtimeNanos(path_);
    if (mtime == mtime_) return;
    mtime_ = mtime;
    Result<std::string> text = ReadFile(path_);
    Result<std::shared_ptr<const TokenTable>> table =
        text.ok() ? ParseTokens(*text) : Result<std::shared_ptr<const TokenTable>>(text.status());
    if (!table.ok()) {
      IMAGEFS_LOG(ERROR, "tokens file {} not reloaded, keeping the previous tokens: {}", path_,
                  table.status().ToString());
      return;
    }
    {
      std::lock_guard<std::mutex> lock(mu_);
      table_ = *table;
    }
    IMAGEFS_LOG(INFO, "tokens file {} reloaded: {} tokens", path_, (*table)->tokens.size());
  }

  std::shared_ptr<const TokenTable> Table() {
    std::lock_guard<std::mutex> lock(mu_);
    return table_;
  }

  const std::string path_;
  std::mutex mu_;
  std::shared_ptr<const TokenTable> table_ GUARDED_BY(mu_);
  std::atomic<int64_t> last_check_{0};
  int64_t mtime_;  // touched only by the thread that won last_check_
};

}  // namespace

Identity DemoIdentity() {
  Identity id;
  id.project = "demo";
  id.user = "demo";
  id.roles = {"admin", "member", "reader"};
  id.is_admin = true;
  return id;
}

std::unique_ptr<Authenticator> NewDemoAuthenticator(Identity identity) {
  return std::make_unique<DemoAuthenticator>(std::move(identity));
}

Result<std::shared_ptr<const TokenTable>> ParseTokens(std::string_view json_text) {
  IMAGEFS_ASSIGN_OR_RETURN(json::value doc, wire::ParseJson(json_text));
  if (!doc.is_object()) return InvalidArgument("tokens file: not a JSON object");
  auto tokens = doc.get_object().find("tokens");
  if (tokens == doc.get_object().end() || !tokens->value().is_object()) {
    return InvalidArgument("tokens file: needs an object \"tokens\"");
  }
  auto table = std::make_shared<TokenTable>();
  for (const auto& kv : tokens->value().get_object()) {
    IMAGEFS_ASSIGN_OR_RETURN(Identity id, ParseEntry(kv.key(), kv.value()));
    table->tokens.emplace(std::string(kv.key()), std::move(id));
  }
  return std::shared_ptr<const TokenTable>(std::move(table));
}

Result<std::unique_ptr<Authenticator>> LoadTokensFile(const std::string& path) {
  int64_t mtime = MtimeNanos(path);
  IMAGEFS_ASSIGN_OR_RETURN(std::string text, ReadFile(path));
  IMAGEFS_ASSIGN_OR_RETURN(std::shared_ptr<const TokenTable> table, ParseTokens(text));
  IMAGEFS_LOG(INFO, "tokens file {}: {} tokens", path, table->tokens.size());
  return std::unique_ptr<Authenticator>(
      std::make_unique<TokensFileAuthenticator>(path, std::move(table), mtime));
}

}  // namespace imagefs::service::auth
