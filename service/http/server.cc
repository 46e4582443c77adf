#include "service/http/server.h"

#include <netdb.h>
#include <poll.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <condition_variable>
#include <cstring>
#include <deque>
#include <mutex>
#include <system_error>
#include <thread>
#include <unordered_set>
#include <vector>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/eventfd.h>
#include <sys/socket.h>

#include "common/log.h"
#include "common/thread_annotations.h"
#include "service/http/connection.h"
#include "service/http/error_mapping.h"

namespace imagefs::service::http {
namespace {

constexpr int kListenBacklog = 1024;

// Answer for a connection beyond max_connections, written by the acceptor itself.
constexpr std::string_view kBusyResponse =
    "HTTP/1.1 503 Service Unavailable\r\n"
    "Content-Type: application/json\r\n"
    "Content-Length: 121\r\n"
    "Connection: close\r\n"
    "\r\n"
    "{\"message\": \"The server is handling too many connections; retry later.\", "
    "\"code\": \"503 Service Unavailable\", \"title\": \"Service Unavailable\"}";

struct HostPort {
  std::string host;  // "" for any address
  std::string port;
};

Result<HostPort> SplitListen(const std::string& listen) {
  size_t colon = listen.rfind(':');
  if (colon == std::string::npos || colon + 1 == listen.size()) {
    return InvalidArgument("listen address '" + listen + "' is not HOST:PORT");
  }
  HostPort hp{listen.substr(0, colon), listen.substr(colon + 1)};
  if (hp.host.size() >= 2 && hp.host.front() == '[' && hp.host.back() == ']') {
    hp.host = hp.host.substr(1, hp.host.size() - 2);
  }
  if (hp.host == "*") {
    hp.host.clear();
  }
  if (hp.port.find_first_not_of("0123456789") != std::string::npos || hp.port.size() > 5 ||
      std::stoi(hp.port) > 65535) {
    return InvalidArgument("listen address '" + listen + "' has a bad port");
  }
  return hp;
}

// A socket bound to `ai` and listening, or the errno of the failing call.
int ListenOn(const addrinfo& ai, int* err) {
  int fd = ::socket(ai.ai_family, ai.ai_socktype | SOCK_CLOEXEC | SOCK_NONBLOCK, ai.ai_protocol);
  if (fd < 0) {
    *err = errno;
    return -1;
  }
  int one = 1;
  ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
  if (::bind(fd, ai.ai_addr, ai.ai_addrlen) != 0 || ::listen(fd, kListenBacklog) != 0) {
    *err = errno;
    ::close(fd);
    return -1;
  }
  return fd;
}

Result<int> OpenListener(const std::string& listen) {
  Result<HostPort> hp = SplitListen(listen);
  if (!hp.ok()) {
    return hp.status();
  }
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
  addrinfo* result = nullptr;
  int rc = ::getaddrinfo(hp->host.empty() ? nullptr : hp->host.c_str(), hp->port.c_str(), &hints,
                         &result);
  if (rc != 0) {
    return InvalidArgument("listen address '" + listen + "': " + ::gai_strerror(rc));
  }
  int err = EADDRNOTAVAIL;
  int fd = -1;
  for (addrinfo* ai = result; ai != nullptr && fd < 0; ai = ai->ai_next) {
    fd = ListenOn(*ai, &err);
  }
  ::freeaddrinfo(result);
  if (fd < 0) {
    Status status = ErrnoStatus(err, "listen on " + listen);
    return err == EADDRINUSE || err == EACCES ? Unavailable(status.message()) : status;
  }
  return fd;
}

uint16_t BoundPort(int fd) {
  sockaddr_storage addr{};
  socklen_t len = sizeof(addr);
  if (::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
    return 0;
  }
  if (addr.ss_family == AF_INET6) {
    return ntohs(reinterpret_cast<sockaddr_in6*>(&addr)->sin6_port);
  }
  return ntohs(reinterpret_cast<sockaddr_in*>(&addr)->sin_port);
}

// Writes the 503, half-closes and discards what already arrived, then closes.
// Never blocks: the acceptor must keep accepting.
void RejectBusy(int fd) {
  ssize_t ignored =
      ::send(fd, kBusyResponse.data(), kBusyResponse.size(), MSG_NOSIGNAL | MSG_DONTWAIT);
  (void)ignored;
  ::shutdown(fd, SHUT_WR);
  char scratch[4096];
  while (::recv(fd, scratch, sizeof(scratch), MSG_DONTWAIT) > 0) {
  }
  ::close(fd);
}

class ServerImpl final : public Server {
 public:
  ServerImpl(const ServerOptions& options, Application app, int listen_fd, int stop_fd);
  ~ServerImpl() override { Shutdown(std::chrono::seconds(5)); }
  ServerImpl(const ServerImpl&) = delete;
  ServerImpl& operator=(const ServerImpl&) = delete;

  // Server
  uint16_t port() const override { return port_; }
  void Shutdown(std::chrono::milliseconds grace) override;
  uint64_t requests_served() const override { return requests_served_.load(); }
  size_t open_connections() const override { return open_connections_.load(); }

  // Starts the acceptor thread; may throw std::system_error.
  void Start() {
    acceptor_ = std::jthread([this] { AcceptLoop(); });
  }

 private:
  void AcceptLoop();
  // Hands `fd` to an idle worker, or a new one, or refuses it when at the cap.
  void Dispatch(int fd) EXCLUDES(mu_);
  void WorkerLoop() EXCLUDES(mu_);

  const ServerOptions options_;
  const Application app_;
  const int listen_fd_;
  const int stop_fd_;  // eventfd, readable once stopping_
  uint16_t port_ = 0;
  std::atomic<bool> stopping_{false};
  std::atomic<uint64_t> requests_served_{0};
  std::atomic<size_t> open_connections_{0};
  ConnectionContext context_;
  std::jthread acceptor_;

  std::mutex shutdown_mu_;  // serializes Shutdown(); acquired before mu_
  bool shut_down_ GUARDED_BY(shutdown_mu_) = false;

  std::mutex mu_;
  std::condition_variable work_cv_;        // a connection is queued, or workers must exit
  std::condition_variable done_cv_;        // a connection finished
  std::deque<int> queue_ GUARDED_BY(mu_);  // accepted, not yet picked up
  std::unordered_set<int> active_fds_ GUARDED_BY(mu_);  // queued or being served
  std::vector<std::jthread> workers_ GUARDED_BY(mu_);
  size_t idle_workers_ GUARDED_BY(mu_) = 0;      // waiting on work_cv_
  size_t starting_workers_ GUARDED_BY(mu_) = 0;  // spawned, not yet waiting
  bool workers_exit_ GUARDED_BY(mu_) = false;
};

ServerImpl::ServerImpl(const ServerOptions& options, Application app, int listen_fd, int stop_fd)
    : options_(options), app_(std::move(app)), listen_fd_(listen_fd), stop_fd_(stop_fd) {
  port_ = BoundPort(listen_fd_);
  context_.options = &options_;
  context_.app = &app_;
  context_.stop_fd = stop_fd_;
  context_.stopping = &stopping_;
  context_.requests_served = &requests_served_;
  Result<HostPort> hp = SplitListen(options_.listen);
  std::string host = hp.ok() && !hp->host.empty() ? hp->host : "localhost";
  if (host.find(':') != std::string::npos) {
    host = "[" + host + "]";
  }
  context_.default_host = host + ":" + std::to_string(port_);
}

void ServerImpl::AcceptLoop() {
  pollfd fds[2] = {{listen_fd_, POLLIN, 0}, {stop_fd_, POLLIN, 0}};
  while (!stopping_.load()) {
    if (::poll(fds, 2, -1) < 0 || (fds[1].revents & POLLIN) != 0) {
      continue;  // EINTR, or stopping (the loop condition sees it)
    }
    int fd = ::accept4(listen_fd_, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (fd < 0) {
      if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS || errno == ENOMEM) {
        IMAGEFS_LOG(WARN, "accept failed: {}; pausing 50 ms", std::strerror(errno));
        ::poll(&fds[1], 1, 50);
      }
      continue;  // EAGAIN, ECONNABORTED, EINTR, ...
    }
    int one = 1;
    ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    Dispatch(fd);
  }
}

void ServerImpl::Dispatch(int fd) {
  std::unique_lock lock(mu_);
  if (active_fds_.size() >= options_.max_connections) {
    lock.unlock();
    RejectBusy(fd);
    return;
  }
  // Every queued connection has a worker on its way: at most one thread per
  // connection, so never more than max_connections threads.
  if (idle_workers_ + starting_workers_ <= queue_.size()) {
    try {
      workers_.emplace_back([this] { WorkerLoop(); });
      ++starting_workers_;
    } catch (const std::system_error& e) {
      lock.unlock();
      IMAGEFS_LOG(WARN, "cannot start a connection thread: {}", e.what());
      RejectBusy(fd);
      return;
    }
  }
  active_fds_.insert(fd);
  open_connections_.store(active_fds_.size());
  queue_.push_back(fd);
  work_cv_.notify_one();
}

void ServerImpl::WorkerLoop() {
  std::unique_lock lock(mu_);
  --starting_workers_;
  for (;;) {
    ++idle_workers_;
    work_cv_.wait(lock, [this] { return !queue_.empty() || workers_exit_; });
    --idle_workers_;
    if (queue_.empty()) {
      return;  // workers_exit_
    }
    int fd = queue_.front();
    queue_.pop_front();
    lock.unlock();
    ServeConnection(fd, context_);
    lock.lock();
    active_fds_.erase(fd);
    ::close(fd);  // under mu_, so Shutdown never touches a reused descriptor
    open_connections_.store(active_fds_.size());
    done_cv_.notify_all();
  }
}

void ServerImpl::Shutdown(std::chrono::milliseconds grace) {
  std::lock_guard shutdown_lock(shutdown_mu_);
  if (shut_down_) {
    return;
  }
  shut_down_ = true;
  // Stop accepting and wake every idle connection (they poll stop_fd_).
  stopping_.store(true);
  uint64_t one = 1;
  ssize_t ignored = ::write(stop_fd_, &one, sizeof(one));
  (void)ignored;
  if (acceptor_.joinable()) {
    acceptor_.join();
  }
  ::close(listen_fd_);
  std::vector<std::jthread> workers;
  {
    std::unique_lock lock(mu_);
    done_cv_.wait_for(lock, grace, [this] { return active_fds_.empty(); });
    for (int fd : active_fds_) {
      ::shutdown(fd, SHUT_RDWR);  // in-flight past the grace period: fail their I/O
    }
    workers_exit_ = true;
    work_cv_.notify_all();
    workers.swap(workers_);
  }
  workers.clear();  // joins
  ::close(stop_fd_);
}

}  // namespace

Result<std::unique_ptr<Server>> Server::Start(const ServerOptions& options, Application app) {
  if (options.max_connections == 0) {
    return InvalidArgument("max_connections must be at least 1");
  }
  Result<int> listen_fd = OpenListener(options.listen);
  if (!listen_fd.ok()) {
    return listen_fd.status();
  }
  int stop_fd = ::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
  if (stop_fd < 0) {
    Status status = ErrnoStatus(errno, "eventfd");
    ::close(*listen_fd);
    return status;
  }
  auto server = std::make_unique<ServerImpl>(options, std::move(app), *listen_fd, stop_fd);
  try {
    server->Start();
  } catch (const std::system_error& e) {
    return Unavailable(std::string("cannot start the acceptor thread: ") + e.what());
  }
  return std::unique_ptr<Server>(std::move(server));
}

}  // namespace imagefs::service::http
