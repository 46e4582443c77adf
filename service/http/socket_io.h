// SocketStream: blocking-with-timeout I/O on a connected non-blocking socket, shaped
// as Beast's SyncReadStream and SyncWriteStream. Internal to service/http/.
//
// Asio's own synchronous socket operations ignore SO_RCVTIMEO once a socket is
// non-blocking, so this stream does the I/O itself: it tries the system call first
// and, when the socket is not ready, waits in poll(2) until the earlier of
// (now + io timeout) and the absolute deadline. Errors are reported as
// boost::system::error_code, as Beast expects:
//   boost::asio::error::eof        the peer closed its side (read returned 0)
//   boost::asio::error::timed_out  no progress before the timeout or deadline
//   errno values (system category) anything else (ECONNRESET, EPIPE, ...)
// Does not own the descriptor. Not thread-safe.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>

#include <boost/asio/buffer.hpp>
#include <boost/asio/error.hpp>
#include <boost/system/error_code.hpp>
#include <boost/system/system_error.hpp>
#include <boost/throw_exception.hpp>
#include <sys/uio.h>

namespace imagefs::service::http {

class SocketStream {
 public:
  using TimePoint = std::chrono::steady_clock::time_point;
  using ErrorCode = boost::system::error_code;

  // What WaitReadable() saw.
  enum class Wait { kReadable, kTimedOut, kStopped };

  // REQUIRES: `fd` is a connected stream socket in non-blocking mode.
  explicit SocketStream(int fd) : fd_(fd) {}
  SocketStream(const SocketStream&) = delete;
  SocketStream& operator=(const SocketStream&) = delete;

  int fd() const { return fd_; }

  // Longest wait for progress of one read or write. Default: 60 s.
  void set_io_timeout(std::chrono::milliseconds timeout) { io_timeout_ = timeout; }
  // No operation waits past `deadline`. TimePoint::max() (the default) means none.
  void set_deadline(TimePoint deadline) { deadline_ = deadline; }
  // While set, writes pass MSG_MORE so a response header shares packets with the
  // file data sent after it.
  void set_more(bool more) { more_ = more; }

  // Reads into the first non-empty buffer of the sequence (Beast passes one).
  template <class MutableBufferSequence>
  size_t read_some(const MutableBufferSequence& buffers, ErrorCode& ec) {
    for (auto it = boost::asio::buffer_sequence_begin(buffers);
         it != boost::asio::buffer_sequence_end(buffers); ++it) {
      boost::asio::mutable_buffer b(*it);
      if (b.size() > 0) {
        return ReadSome(b.data(), b.size(), ec);
      }
    }
    ec = {};
    return 0;
  }

  template <class MutableBufferSequence>
  size_t read_some(const MutableBufferSequence& buffers) {
    ErrorCode ec;
    size_t n = read_some(buffers, ec);
    if (ec) {
      BOOST_THROW_EXCEPTION(boost::system::system_error(ec));
    }
    return n;
  }

  // Gathers up to kMaxIov buffers into one sendmsg(2).
  template <class ConstBufferSequence>
  size_t write_some(const ConstBufferSequence& buffers, ErrorCode& ec) {
    iovec iov[kMaxIov];
    int count = 0;
    for (auto it = boost::asio::buffer_sequence_begin(buffers);
         it != boost::asio::buffer_sequence_end(buffers) && count < kMaxIov; ++it) {
      boost::asio::const_buffer b(*it);
      if (b.size() > 0) {
        iov[count++] = iovec{const_cast<void*>(b.data()), b.size()};
      }
    }
    return WriteSome(iov, count, ec);
  }

  template <class ConstBufferSequence>
  size_t write_some(const ConstBufferSequence& buffers) {
    ErrorCode ec;
    size_t n = write_some(buffers, ec);
    if (ec) {
      BOOST_THROW_EXCEPTION(boost::system::system_error(ec));
    }
    return n;
  }

  // Reads at most `size` bytes; at least one unless `ec` is set.
  size_t ReadSome(void* data, size_t size, ErrorCode& ec);

  // Writes at least one byte of the `count` buffers unless `ec` is set.
  size_t WriteSome(const iovec* iov, int count, ErrorCode& ec);

  // Writes all `size` bytes.
  void WriteAll(const void* data, size_t size, ErrorCode& ec);

  // Sends bytes [offset, offset + length) of the file `file_fd` with sendfile(2).
  // Fails with boost::asio::error::operation_not_supported, having sent nothing,
  // when the file cannot be sent this way (the caller falls back to reads), and
  // with boost::asio::error::eof when the file ends early.
  void SendFile(int file_fd, uint64_t offset, uint64_t length, ErrorCode& ec);

  // Waits until the socket has input (or end of stream), `stop_fd` (when >= 0) is
  // readable, or `deadline` passes. kStopped wins when both are ready.
  Wait WaitReadable(TimePoint deadline, int stop_fd);

 private:
  static constexpr int kMaxIov = 16;

  // Waits for `events` on the socket; false with `ec` set on timeout or error.
  bool WaitFor(short events, ErrorCode& ec);

  int fd_;
  std::chrono::milliseconds io_timeout_{60000};
  TimePoint deadline_ = TimePoint::max();
  bool more_ = false;
};

}  // namespace imagefs::service::http
