#include "fs/readahead.h"

#include <algorithm>

namespace imagefs::fs {

bool ReadaheadWindow::IsContinuation(uint64_t offset) const {
  // Readers with several requests in flight (qemu-img, kernel read-ahead) arrive out of
  // order within about a window of the head: those still belong to the stream.
  uint64_t back = std::max(config_.backward_slack, window_);
  uint64_t ahead = std::max(config_.forward_slack, window_);
  uint64_t low = next_ > back ? next_ - back : 0;
  return offset >= low && offset <= next_ + ahead;
}

ReadaheadWindow::Decision ReadaheadWindow::OnRead(uint64_t offset, uint64_t length) {
  uint64_t end = offset + length;
  // A stream that starts at offset 0 is taken as sequential from its first read
  // (cp, cat, qemu-img): the usual case, and it costs one `initial` window if wrong.
  bool sequential = first_ ? offset == 0 : IsContinuation(offset);
  first_ = false;
  Decision d;
  if (!sequential) {
    window_ = 0;
    next_ = end;
    return d;
  }
  if (window_ == 0) {
    window_ = config_.initial;
  } else if (end > next_) {
    window_ = std::min(window_ * 2, config_.max);  // grows only as the head advances
  }
  next_ = std::max(next_, end);
  d.sequential = true;
  d.ahead_begin = next_;
  d.ahead_end = next_ + window_;
  return d;
}

void ReadaheadWindow::Shrink() {
  if (window_ == 0) return;
  window_ = std::max(config_.initial, window_ / 2);
}

}  // namespace imagefs::fs
