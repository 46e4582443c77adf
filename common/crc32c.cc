#include "common/crc32c.h"

#include <array>
#include <cstring>

namespace imagefs {
namespace {

constexpr uint32_t kPoly = 0x82F63B78;  // reflected Castagnoli polynomial

constexpr std::array<uint32_t, 256> MakeTable() {
  std::array<uint32_t, 256> t{};
  for (uint32_t i = 0; i < 256; ++i) {
    uint32_t c = i;
    for (int k = 0; k < 8; ++k) c = (c & 1) != 0 ? (c >> 1) ^ kPoly : c >> 1;
    t[i] = c;
  }
  return t;
}
constexpr std::array<uint32_t, 256> kTable = MakeTable();

uint32_t Software(uint32_t crc, const unsigned char* p, size_t n) {
  for (size_t i = 0; i < n; ++i) crc = kTable[(crc ^ p[i]) & 0xFF] ^ (crc >> 8);
  return crc;
}

#if defined(__x86_64__)
// One dependent chain of crc32 instructions: the state after `n` bytes from `crc`.
__attribute__((target("sse4.2"))) uint32_t Chain(uint32_t crc, const unsigned char* p, size_t n) {
  uint64_t c = crc;
  while (n >= 8) {
    uint64_t v;
    std::memcpy(&v, p, 8);
    c = __builtin_ia32_crc32di(c, v);
    p += 8;
    n -= 8;
  }
  uint32_t c32 = static_cast<uint32_t>(c);
  while (n > 0) {
    c32 = __builtin_ia32_crc32qi(c32, *p);
    ++p;
    --n;
  }
  return c32;
}

// The crc32 instruction takes three cycles but can start one per cycle, so a single
// chain uses a third of it. Long inputs are cut into chunks of three lanes of kLane
// bytes, run side by side, and the lanes are then joined. The CRC state update is
// linear over GF(2) in (state, data) together, so
//   state after A then B = Shift_|B|(state after A) ^ (state after B from 0),
// where Shift_n(x), the state x advanced through n zero bytes, is linear in x: a
// lookup per byte of x in a table made once from the 32 basis states.
constexpr size_t kLane = 8192;

class ShiftTable {
 public:
  __attribute__((target("sse4.2"))) explicit ShiftTable(size_t zeros) {
    static const unsigned char kZeros[2 * kLane] = {};
    uint32_t basis[32];
    for (int i = 0; i < 32; ++i) basis[i] = Chain(uint32_t{1} << i, kZeros, zeros);
    for (int k = 0; k < 4; ++k) {
      for (uint32_t v = 0; v < 256; ++v) {
        uint32_t r = 0;
        for (int b = 0; b < 8; ++b) {
          if ((v & (1u << b)) != 0) r ^= basis[8 * k + b];
        }
        t_[k][v] = r;
      }
    }
  }
  uint32_t Apply(uint32_t x) const {
    return t_[0][x & 0xFF] ^ t_[1][(x >> 8) & 0xFF] ^ t_[2][(x >> 16) & 0xFF] ^ t_[3][x >> 24];
  }

 private:
  uint32_t t_[4][256];
};

__attribute__((target("sse4.2"))) uint32_t Hardware(uint32_t crc, const unsigned char* p,
                                                    size_t n) {
  if (n >= 3 * kLane) {
    static const ShiftTable kOneLane(kLane);
    static const ShiftTable kTwoLanes(2 * kLane);
    while (n >= 3 * kLane) {
      uint64_t a = crc, b = 0, c = 0;
      for (size_t i = 0; i < kLane; i += 8) {
        uint64_t va, vb, vc;
        std::memcpy(&va, p + i, 8);
        std::memcpy(&vb, p + kLane + i, 8);
        std::memcpy(&vc, p + 2 * kLane + i, 8);
        a = __builtin_ia32_crc32di(a, va);
        b = __builtin_ia32_crc32di(b, vb);
        c = __builtin_ia32_crc32di(c, vc);
      }
      crc = kTwoLanes.Apply(static_cast<uint32_t>(a)) ^ kOneLane.Apply(static_cast<uint32_t>(b)) ^
            static_cast<uint32_t>(c);
      p += 3 * kLane;
      n -= 3 * kLane;
    }
  }
  return Chain(crc, p, n);
}

bool HaveHardware() {
  static const bool have = __builtin_cpu_supports("sse4.2");
  return have;
}
#endif

}  // namespace

uint32_t Crc32c(const void* data, size_t n) {
  const auto* p = static_cast<const unsigned char*>(data);
#if defined(__x86_64__)
  if (HaveHardware()) return ~Hardware(~uint32_t{0}, p, n);
#endif
  return ~Software(~uint32_t{0}, p, n);
}

}  // namespace imagefs
