#include "common/digest.h"

#include <openssl/evp.h>

#include <cstdlib>
#include <utility>

namespace imagefs {

struct Digest::Ctx {
  EVP_MD_CTX* md = nullptr;
  const EVP_MD* type = nullptr;
  ~Ctx() { EVP_MD_CTX_free(md); }
};

namespace {

const EVP_MD* TypeOf(DigestAlgorithm a) {
  switch (a) {
    case DigestAlgorithm::kMd5: return EVP_md5();
    case DigestAlgorithm::kSha256: return EVP_sha256();
    case DigestAlgorithm::kSha512: return EVP_sha512();
  }
  return EVP_sha256();
}

}  // namespace

Digest::Digest(DigestAlgorithm algorithm) : algorithm_(algorithm), ctx_(std::make_unique<Ctx>()) {
  ctx_->md = EVP_MD_CTX_new();
  ctx_->type = TypeOf(algorithm);
  if (ctx_->md == nullptr || EVP_DigestInit_ex(ctx_->md, ctx_->type, nullptr) != 1) std::abort();
}

Digest::~Digest() = default;
Digest::Digest(Digest&&) noexcept = default;
Digest& Digest::operator=(Digest&&) noexcept = default;

void Digest::Update(const void* data, size_t n) { EVP_DigestUpdate(ctx_->md, data, n); }

size_t Digest::size() const { return static_cast<size_t>(EVP_MD_get_size(ctx_->type)); }

std::string Digest::FinishRaw() {
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  EVP_DigestFinal_ex(ctx_->md, out, &len);
  EVP_DigestInit_ex(ctx_->md, ctx_->type, nullptr);
  return std::string(reinterpret_cast<char*>(out), len);
}

std::string Digest::FinishHex() { return ToHex(FinishRaw()); }

std::string Sha256Raw(const void* data, size_t n) {
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  EVP_Digest(data, n, out, &len, EVP_sha256(), nullptr);
  return std::string(reinterpret_cast<char*>(out), len);
}

std::string DigestHex(DigestAlgorithm algorithm, std::string_view data) {
  Digest d(algorithm);
  d.Update(data);
  return d.FinishHex();
}

}  // namespace imagefs
