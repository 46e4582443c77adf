// ReadaheadWindow: the sequential-access detector of one open file (docs/semantics.md §8).
//
// A read near the stream's head (the furthest byte read so far) is sequential: up to
// max(backward_slack, window) behind it (readers with several requests in flight,
// like qemu-img or the kernel's read-ahead, arrive out of order) or max(forward_slack,
// window) ahead. The first sequential read opens a window of `initial` bytes beyond
// the head; each read that advances the head doubles it, up to `max`. Any other read
// is a seek: the window closes and that read fetches only the blocks it touches, so
// a small random read never triggers a large fetch. Shrink() halves the window when
// the in-flight budget is short.
//
// Not thread-safe: the reader serialises calls per open file.
#pragma once

#include <cstdint>

namespace imagefs::fs {

struct ReadaheadConfig {
  uint64_t initial = uint64_t{1} << 20;
  uint64_t max = uint64_t{64} << 20;
  uint64_t forward_slack = uint64_t{8} << 20;
  uint64_t backward_slack = uint64_t{1} << 20;
};

class ReadaheadWindow {
 public:
  explicit ReadaheadWindow(const ReadaheadConfig& config) : config_(config) {}

  struct Decision {
    bool sequential = false;
    // Bytes [ahead_begin, ahead_end) (the window beyond the head) should be fetched
    // ahead of the reader; empty (begin == end) for a random read.
    uint64_t ahead_begin = 0;
    uint64_t ahead_end = 0;
  };

  // Records a read of [offset, offset + length) and says what to fetch ahead.
  Decision OnRead(uint64_t offset, uint64_t length);

  // Halves the window (not below `initial`), e.g. when the fetch budget is exhausted.
  void Shrink();

  // The current window in bytes; 0 when the stream is not sequential.
  uint64_t window() const { return window_; }

 private:
  bool IsContinuation(uint64_t offset) const;

  ReadaheadConfig config_;
  bool first_ = true;
  uint64_t next_ = 0;    // where the stream is expected to continue
  uint64_t window_ = 0;  // 0 = random mode
};

}  // namespace imagefs::fs
