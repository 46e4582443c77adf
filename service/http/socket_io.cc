#include "service/http/socket_io.h"

#include <poll.h>

#include <algorithm>
#include <cerrno>

#include <sys/sendfile.h>
#include <sys/socket.h>

namespace imagefs::service::http {
namespace {

using ErrorCode = SocketStream::ErrorCode;

// Linux sends at most this much per sendfile(2) call anyway (0x7ffff000).
constexpr uint64_t kMaxSendfileChunk = 1ULL << 30;

ErrorCode ErrnoCode(int err) { return ErrorCode(err, boost::system::system_category()); }

// Milliseconds until `deadline`, rounded up, for poll(2); 0 when past.
int MillisUntil(SocketStream::TimePoint deadline) {
  if (deadline == SocketStream::TimePoint::max()) {
    return -1;
  }
  auto now = std::chrono::steady_clock::now();
  if (deadline <= now) {
    return 0;
  }
  auto micros = std::chrono::duration_cast<std::chrono::microseconds>(deadline - now).count();
  int64_t millis = (micros + 999) / 1000;
  return static_cast<int>(std::min<int64_t>(millis, 1 << 30));
}

}  // namespace

bool SocketStream::WaitFor(short events, ErrorCode& ec) {
  TimePoint deadline = deadline_;
  if (io_timeout_.count() > 0) {
    deadline = std::min(deadline, std::chrono::steady_clock::now() + io_timeout_);
  }
  for (;;) {
    int timeout = MillisUntil(deadline);
    if (timeout == 0) {
      ec = boost::asio::error::timed_out;
      return false;
    }
    pollfd p{fd_, events, 0};
    int n = ::poll(&p, 1, timeout);
    if (n > 0) {
      return true;  // ready, or an error the next system call reports
    }
    if (n < 0 && errno != EINTR) {
      ec = ErrnoCode(errno);
      return false;
    }
  }
}

size_t SocketStream::ReadSome(void* data, size_t size, ErrorCode& ec) {
  ec = {};
  if (size == 0) {
    return 0;
  }
  for (;;) {
    ssize_t n = ::recv(fd_, data, size, 0);
    if (n > 0) {
      return static_cast<size_t>(n);
    }
    if (n == 0) {
      ec = boost::asio::error::eof;
      return 0;
    }
    if (errno == EINTR) {
      continue;
    }
    if (errno != EAGAIN && errno != EWOULDBLOCK) {
      ec = ErrnoCode(errno);
      return 0;
    }
    if (!WaitFor(POLLIN, ec)) {
      return 0;
    }
  }
}

size_t SocketStream::WriteSome(const iovec* iov, int count, ErrorCode& ec) {
  ec = {};
  if (count == 0) {
    return 0;
  }
  msghdr msg{};
  msg.msg_iov = const_cast<iovec*>(iov);
  msg.msg_iovlen = static_cast<size_t>(count);
  const int flags = MSG_NOSIGNAL | (more_ ? MSG_MORE : 0);
  for (;;) {
    ssize_t n = ::sendmsg(fd_, &msg, flags);
    if (n >= 0) {
      return static_cast<size_t>(n);
    }
    if (errno == EINTR) {
      continue;
    }
    if (errno != EAGAIN && errno != EWOULDBLOCK) {
      ec = ErrnoCode(errno);
      return 0;
    }
    if (!WaitFor(POLLOUT, ec)) {
      return 0;
    }
  }
}

void SocketStream::WriteAll(const void* data, size_t size, ErrorCode& ec) {
  ec = {};
  const char* p = static_cast<const char*>(data);
  while (size > 0) {
    iovec iov{const_cast<char*>(p), size};
    size_t n = WriteSome(&iov, 1, ec);
    if (ec) {
      return;
    }
    p += n;
    size -= n;
  }
}

void SocketStream::SendFile(int file_fd, uint64_t offset, uint64_t length, ErrorCode& ec) {
  ec = {};
  off_t off = static_cast<off_t>(offset);
  uint64_t sent = 0;
  while (sent < length) {
    size_t chunk = static_cast<size_t>(std::min(length - sent, kMaxSendfileChunk));
    ssize_t n = ::sendfile(fd_, file_fd, &off, chunk);
    if (n > 0) {
      sent += static_cast<uint64_t>(n);
      continue;
    }
    if (n == 0) {
      ec = boost::asio::error::eof;  // the file is shorter than promised
      return;
    }
    if (errno == EINTR) {
      continue;
    }
    if (errno == EAGAIN || errno == EWOULDBLOCK) {
      if (!WaitFor(POLLOUT, ec)) {
        return;
      }
      continue;
    }
    if ((errno == EINVAL || errno == ENOSYS) && sent == 0) {
      ec = boost::asio::error::operation_not_supported;
      return;
    }
    ec = ErrnoCode(errno);
    return;
  }
}

SocketStream::Wait SocketStream::WaitReadable(TimePoint deadline, int stop_fd) {
  for (;;) {
    int timeout = MillisUntil(deadline);
    if (timeout == 0) {
      return Wait::kTimedOut;
    }
    pollfd p[2] = {{fd_, POLLIN, 0}, {stop_fd, POLLIN, 0}};
    int n = ::poll(p, stop_fd >= 0 ? 2 : 1, timeout);
    if (n < 0 && errno != EINTR) {
      return Wait::kReadable;  // let the next read report the error
    }
    if (n <= 0) {
      continue;
    }
    if (stop_fd >= 0 && (p[1].revents & POLLIN) != 0) {
      return Wait::kStopped;
    }
    return Wait::kReadable;
  }
}

}  // namespace imagefs::service::http
