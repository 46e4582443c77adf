// libfuse3 low-level handlers over ImageFs, the session's life cycle, and the one
// Status -> errno table (ToErrno). Each handler replies exactly once; Guard turns a
// stray exception into EIO so the kernel never waits for a missing reply.
#define FUSE_USE_VERSION 312

#include "fs/fuse_adapter.h"

#include <fcntl.h>
#include <fuse_lowlevel.h>
#include <pthread.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <condition_variable>
#include <cstring>
#include <deque>
#include <mutex>
#include <thread>

#include <sys/stat.h>
#include <sys/statvfs.h>

#include "common/log.h"
#include "common/thread_annotations.h"
#include "fs/fuse_channel.h"
#include "fs/mount_tuning.h"

namespace imagefs::fs {
namespace {

// kWrite: create, unlink, link, setattr. Those only exist in members/ and backups/:
// elsewhere the answer is EROFS, and a busy backup is EBUSY (docs/semantics.md §3).
enum class ErrnoContext { kGeneral, kXattr, kWrite };

// The one Status -> errno table of the mount (docs/semantics.md §3).
int ToErrno(const Status& s, ErrnoContext ctx = ErrnoContext::kGeneral) {
  switch (s.code()) {
    case StatusCode::kOk:
      return 0;
    case StatusCode::kInvalidArgument:
    case StatusCode::kUnsupportedMedia:
      return EINVAL;
    case StatusCode::kUnauthenticated:
    case StatusCode::kPermissionDenied:
      return EACCES;
    case StatusCode::kNotFound:
      return ctx == ErrnoContext::kXattr ? ENODATA : ENOENT;
    case StatusCode::kAlreadyExists:
      return EEXIST;
    case StatusCode::kFailedPrecondition:
      return ctx == ErrnoContext::kWrite ? EBUSY : EPERM;
    case StatusCode::kResourceExhausted:
      return ENOSPC;
    case StatusCode::kOutOfRange:
      return ctx == ErrnoContext::kXattr ? ERANGE : EINVAL;
    case StatusCode::kUnimplemented:
      return ctx == ErrnoContext::kWrite ? EROFS : ENOTSUP;
    case StatusCode::kUnavailable:
    case StatusCode::kDeadlineExceeded:
    case StatusCode::kDataLoss:
    case StatusCode::kInternal:
    case StatusCode::kCancelled:
      return EIO;
  }
  return EIO;
}

// Errors that mean something is wrong (service, data, bug) rather than a normal
// answer (ENOENT, ENODATA, EACCES...). Those are logged; the rest only at debug.
bool IsTrouble(const Status& s) {
  switch (s.code()) {
    case StatusCode::kUnavailable:
    case StatusCode::kDeadlineExceeded:
    case StatusCode::kDataLoss:
    case StatusCode::kInternal:
    case StatusCode::kUnauthenticated:
      return true;
    default:
      return false;
  }
}

// At most kBurst trouble logs per window; the rest are counted and summarised.
class ErrorLog {
 public:
  void Log(const char* op, uint64_t ino, int err, const Status& s) {
    auto now = std::chrono::steady_clock::now();
    uint64_t dropped = 0;
    {
      std::lock_guard lock(mu_);
      if (now - window_ > std::chrono::seconds(10)) {
        dropped = suppressed_;
        suppressed_ = 0;
        logged_ = 0;
        window_ = now;
      }
      if (logged_ >= kBurst) {
        ++suppressed_;
        return;
      }
      ++logged_;
    }
    if (dropped > 0) IMAGEFS_LOG_WARN("({} similar errors not shown)", dropped);
    IMAGEFS_LOG_WARN("{} ino {}: {} ({})", op, ino, strerror(err), s.ToString());
  }

 private:
  static constexpr int kBurst = 20;
  std::mutex mu_;
  std::chrono::steady_clock::time_point window_ GUARDED_BY(mu_);
  int logged_ GUARDED_BY(mu_) = 0;
  uint64_t suppressed_ GUARDED_BY(mu_) = 0;
};

// The session's user data: options, the filesystem, and the kernel notifier.
class Session final : public KernelNotifier {
 public:
  explicit Session(const MountOptions& o)
      : options(o), ttl(std::chrono::duration<double>(o.attr_ttl).count()), channel(o.passthrough) {}

  void Notify(std::vector<Change> changes) override {
    {
      std::lock_guard lock(mu_);
      for (auto& c : changes) queue_.push_back(std::move(c));
      queued_ += changes.size();
    }
    cv_.notify_all();
  }
  // Waits until every notification queued so far has reached the kernel, for at most
  // `limit`. A handler that changed names calls it before replying, so the caller's
  // next lookup already misses the old name ("at once", docs/semantics.md §2). The
  // bound keeps a slow kernel round trip from ever holding the reply for long.
  void WaitForNotifications(std::chrono::milliseconds limit) {
    std::unique_lock lock(mu_);
    const uint64_t target = queued_;
    cv_.wait_for(lock, limit, [&] { return sent_ >= target; });
  }
  void StartNotifier() {
    notifier_ = std::jthread([this](std::stop_token st) { RunNotifier(st); });
  }
  void StopNotifier() {
    notifier_.request_stop();
    if (notifier_.joinable()) notifier_.join();
  }

  const MountOptions options;
  const double ttl;
  fuse_session* se = nullptr;
  ImageFs* fs = nullptr;
  ErrorLog errors;
  FuseChannel channel;  // the device I/O when passthrough is wanted

 private:
  void RunNotifier(std::stop_token stop);

  std::mutex mu_;
  std::condition_variable_any cv_;
  std::deque<Change> queue_ GUARDED_BY(mu_);
  uint64_t queued_ GUARDED_BY(mu_) = 0;  // notifications ever queued
  uint64_t sent_ GUARDED_BY(mu_) = 0;    // ... and ever handed to the kernel
  std::jthread notifier_;
};

void Session::RunNotifier(std::stop_token stop) {
  pthread_setname_np(pthread_self(), "imagefs-notify");
  while (true) {
    Change c;
    {
      std::unique_lock lock(mu_);
      if (!cv_.wait(lock, stop, [&] { return !queue_.empty(); })) return;
      c = std::move(queue_.front());
      queue_.pop_front();
    }
    // Errors (ENOENT: the kernel had nothing cached) are expected and ignored.
    if (c.kind == Change::Kind::kEntry) {
      fuse_lowlevel_notify_inval_entry(se, c.parent, c.name.c_str(), c.name.size());
    } else {
      // Attributes only (negative offset) unless the bytes changed.
      fuse_lowlevel_notify_inval_inode(se, c.ino, c.kind == Change::Kind::kData ? 0 : -1, 0);
    }
    {
      std::lock_guard lock(mu_);
      ++sent_;
    }
    cv_.notify_all();
  }
}

// How long a handler that changed names waits for its kernel notifications to be sent.
constexpr std::chrono::milliseconds kNotifyWait{500};

Session& From(fuse_req_t req) { return *static_cast<Session*>(fuse_req_userdata(req)); }

template <typename F>
void Guard(fuse_req_t req, const char* op, F&& body) {
  try {
    body();
  } catch (const std::exception& e) {
    IMAGEFS_LOG_ERROR("{}: unexpected exception: {}", op, e.what());
    fuse_reply_err(req, EIO);
  } catch (...) {
    IMAGEFS_LOG_ERROR("{}: unexpected exception", op);
    fuse_reply_err(req, EIO);
  }
}

void ReplyError(fuse_req_t req, const char* op, uint64_t ino, const Status& s,
                ErrnoContext ctx = ErrnoContext::kGeneral) {
  int err = ToErrno(s, ctx);
  if (IsTrouble(s)) {
    From(req).errors.Log(op, ino, err, s);
  } else if (spdlog::should_log(spdlog::level::debug)) {  // arguments cost even when dropped
    IMAGEFS_LOG_DEBUG("{} ino {}: {} ({})", op, ino, strerror(err), s.ToString());
  }
  fuse_reply_err(req, err);
}

struct stat ToStat(const Attr& a) {
  struct stat st {};
  st.st_ino = a.ino;
  st.st_mode = a.mode;
  st.st_nlink = a.nlink;
  st.st_size = static_cast<off_t>(a.size);
  st.st_uid = a.uid;
  st.st_gid = a.gid;
  st.st_blksize = a.blksize;
  st.st_blocks = static_cast<blkcnt_t>((a.size + 511) / 512);
  timespec t{static_cast<time_t>(a.mtime_us / 1000000),
             static_cast<long>(a.mtime_us % 1000000) * 1000};
  st.st_mtim = st.st_ctim = st.st_atim = t;
  return st;
}

fuse_entry_param ToEntry(const Attr& a, double ttl) {
  fuse_entry_param e{};
  e.ino = a.ino;
  e.attr = ToStat(a);
  e.attr_timeout = ttl;
  e.entry_timeout = ttl;
  return e;
}

void OnInit(void* userdata, fuse_conn_info* conn) {
  auto* s = static_cast<Session*>(userdata);
  auto want = [conn](unsigned cap) {
    if ((conn->capable & cap) != 0) conn->want |= cap;
  };
  want(FUSE_CAP_ASYNC_READ);
  want(FUSE_CAP_ASYNC_DIO);  // else one O_DIRECT read at a time per file (QEMU cache=none)
  want(FUSE_CAP_PARALLEL_DIROPS);
  want(FUSE_CAP_READDIRPLUS);  // `ls -l` gets attributes with the names
  conn->want &= ~FUSE_CAP_READDIRPLUS_AUTO;
  // Our mtime changes on metadata edits while the bytes never do: no automatic
  // page-cache invalidation on mtime changes (explicit invalidation covers the rest).
  conn->want &= ~FUSE_CAP_AUTO_INVAL_DATA;
  conn->want &= ~FUSE_CAP_SPLICE_READ;
  if (s->options.splice) {
    want(FUSE_CAP_SPLICE_WRITE);
    want(FUSE_CAP_SPLICE_MOVE);
  } else {
    conn->want &= ~(FUSE_CAP_SPLICE_WRITE | FUSE_CAP_SPLICE_MOVE);
  }
  if (s->options.max_read > 0) conn->max_read = s->options.max_read;
  // Kernel default 12 throttles read-ahead and async direct I/O.
  conn->max_background = 64;
  conn->congestion_threshold = 48;
  conn->time_gran = 1000;  // timestamps are microseconds
  // The kernel keeps min(bdi read_ahead_kb, this): AfterMount raised the bdi value
  // before this reply, so ask for at least as much here.
  conn->max_readahead = std::max<unsigned>(conn->max_readahead,
                                           static_cast<unsigned>(s->options.read_ahead_kb) * 1024);
  IMAGEFS_LOG_INFO("FUSE {}.{}: max_write {} max_readahead {} splice {}", conn->proto_major,
                   conn->proto_minor, conn->max_write, conn->max_readahead,
                   (conn->want & FUSE_CAP_SPLICE_WRITE) != 0);
}

void OnLookup(fuse_req_t req, fuse_ino_t parent, const char* name) {
  Guard(req, "lookup", [&] {
    Session& s = From(req);
    auto attr = s.fs->Lookup(parent, name);
    if (!attr.ok()) {
      if (attr.status().code() == StatusCode::kNotFound) {
        fuse_entry_param e{};  // ino 0: the kernel caches the miss for entry_timeout
        e.entry_timeout = s.ttl;
        fuse_reply_entry(req, &e);
        return;
      }
      return ReplyError(req, "lookup", parent, attr.status());
    }
    fuse_entry_param e = ToEntry(*attr, s.ttl);
    fuse_reply_entry(req, &e);
  });
}

void OnForget(fuse_req_t req, fuse_ino_t, uint64_t) { fuse_reply_none(req); }
void OnForgetMulti(fuse_req_t req, size_t, fuse_forget_data*) { fuse_reply_none(req); }

void OnGetattr(fuse_req_t req, fuse_ino_t ino, fuse_file_info*) {
  Guard(req, "getattr", [&] {
    Session& s = From(req);
    auto attr = s.fs->GetAttr(ino);
    if (!attr.ok()) return ReplyError(req, "getattr", ino, attr.status());
    struct stat st = ToStat(*attr);
    fuse_reply_attr(req, &st, s.ttl);
  });
}

void OnReadOnly(fuse_req_t req) { fuse_reply_err(req, EROFS); }
void OnMknod(fuse_req_t req, fuse_ino_t, const char*, mode_t, dev_t) { OnReadOnly(req); }
void OnMkdir(fuse_req_t req, fuse_ino_t, const char*, mode_t) { OnReadOnly(req); }
void OnRmdir(fuse_req_t req, fuse_ino_t, const char*) { OnReadOnly(req); }
void OnSymlink(fuse_req_t req, const char*, fuse_ino_t, const char*) { OnReadOnly(req); }
void OnRename(fuse_req_t req, fuse_ino_t, const char*, fuse_ino_t, const char*, unsigned) {
  OnReadOnly(req);
}

void OnSetattr(fuse_req_t req, fuse_ino_t ino, struct stat*, int, fuse_file_info*) {
  Guard(req, "setattr", [&] {
    Session& s = From(req);
    auto attr = s.fs->SetAttr(ino);
    if (!attr.ok()) return ReplyError(req, "setattr", ino, attr.status(), ErrnoContext::kWrite);
    struct stat st = ToStat(*attr);
    fuse_reply_attr(req, &st, s.ttl);
  });
}

void OnUnlink(fuse_req_t req, fuse_ino_t parent, const char* name) {
  Guard(req, "unlink", [&] {
    Status st = From(req).fs->Unlink(parent, name);
    if (!st.ok()) return ReplyError(req, "unlink", parent, st, ErrnoContext::kWrite);
    From(req).WaitForNotifications(kNotifyWait);
    fuse_reply_err(req, 0);
  });
}

void OnLink(fuse_req_t req, fuse_ino_t ino, fuse_ino_t new_parent, const char* new_name) {
  Guard(req, "link", [&] {
    Session& s = From(req);
    auto attr = s.fs->Link(ino, new_parent, new_name);
    if (!attr.ok()) return ReplyError(req, "link", ino, attr.status(), ErrnoContext::kWrite);
    fuse_entry_param e = ToEntry(*attr, s.ttl);
    fuse_reply_entry(req, &e);
  });
}

void OnCreate(fuse_req_t req, fuse_ino_t parent, const char* name, mode_t, fuse_file_info* fi) {
  Guard(req, "create", [&] {
    Session& s = From(req);
    auto made = s.fs->Create(parent, name);
    if (!made.ok()) return ReplyError(req, "create", parent, made.status(), ErrnoContext::kWrite);
    fuse_entry_param e = ToEntry(made->first, s.ttl);
    fi->fh = made->second.fh;
    fi->keep_cache = 0;
    fi->noflush = 1;
    if (fuse_reply_create(req, &e, fi) != 0) s.fs->Release(made->second.fh);
  });
}

void OnOpendir(fuse_req_t req, fuse_ino_t ino, fuse_file_info* fi) {
  Guard(req, "opendir", [&] {
    auto h = From(req).fs->OpenDir(ino);
    if (!h.ok()) return ReplyError(req, "opendir", ino, h.status());
    fi->fh = *h;
    if (fuse_reply_open(req, fi) != 0) From(req).fs->ReleaseDir(*h);  // interrupted
  });
}

void ReadDirCommon(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off, fuse_file_info* fi,
                   bool plus) {
  Guard(req, plus ? "readdirplus" : "readdir", [&] {
    Session& s = From(req);
    std::string buf(size, '\0');
    size_t pos = 0;
    std::string name;
    Status st = s.fs->ReadDir(fi->fh, static_cast<uint64_t>(off), plus, [&](const DirItem& it) {
      name.assign(it.name);
      size_t need;
      if (plus) {
        fuse_entry_param e = ToEntry(it.attr, s.ttl);
        if (it.name == "." || it.name == "..") e.ino = 0;  // no lookup reference for these
        need = fuse_add_direntry_plus(req, buf.data() + pos, size - pos, name.c_str(), &e,
                                      static_cast<off_t>(it.next_offset));
      } else {
        struct stat stbuf = ToStat(it.attr);
        need = fuse_add_direntry(req, buf.data() + pos, size - pos, name.c_str(), &stbuf,
                                 static_cast<off_t>(it.next_offset));
      }
      if (need > size - pos) return false;
      pos += need;
      return true;
    });
    if (!st.ok()) return ReplyError(req, "readdir", ino, st);
    fuse_reply_buf(req, buf.data(), pos);
  });
}

void OnReaddir(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off, fuse_file_info* fi) {
  ReadDirCommon(req, ino, size, off, fi, false);
}
void OnReaddirplus(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off, fuse_file_info* fi) {
  ReadDirCommon(req, ino, size, off, fi, true);
}

void OnReleasedir(fuse_req_t req, fuse_ino_t, fuse_file_info* fi) {
  From(req).fs->ReleaseDir(fi->fh);
  fuse_reply_err(req, 0);
}

void OnOpen(fuse_req_t req, fuse_ino_t ino, fuse_file_info* fi) {
  Guard(req, "open", [&] {
    auto opened = From(req).fs->Open(ino, fi->flags);
    if (!opened.ok()) return ReplyError(req, "open", ino, opened.status());
    fi->fh = opened->fh;
    // The kernel refuses FOPEN_KEEP_CACHE on a passthrough open (its reads never
    // touch the FUSE page cache anyway).
    fi->keep_cache = opened->keep_cache && opened->backing_id == 0 ? 1 : 0;
    // Without passthrough, O_DIRECT opens are honoured by the kernel without
    // FOPEN_DIRECT_IO; with it, they carry it so as to take no side in the inode's
    // I/O mode (fs/passthrough.h).
    fi->direct_io = opened->direct_io ? 1 : 0;
    fi->noflush = 1;  // nothing to flush on close
    FuseChannel::ReplyBacking backing(opened->backing_id);
    if (fuse_reply_open(req, fi) != 0) From(req).fs->Release(opened->fh);
  });
}

void OnRelease(fuse_req_t req, fuse_ino_t, fuse_file_info* fi) {
  From(req).fs->Release(fi->fh);
  fuse_reply_err(req, 0);
}

// Copies the reply into a per-thread buffer and sends it with one write.
void ReplyCopy(fuse_req_t req, const ReadResult& r) {
  if (r.segments.size() == 1 && r.segments[0].mem != nullptr) {
    fuse_reply_buf(req, r.segments[0].mem, r.size);
    return;
  }
  thread_local std::unique_ptr<char[]> buf;
  thread_local size_t cap = 0;
  if (cap < r.size) {
    cap = std::max<size_t>(r.size, 128 * 1024);
    buf.reset(new char[cap]);
  }
  size_t pos = 0;
  for (const ReadSegment& seg : r.segments) {
    if (seg.mem != nullptr) {
      std::memcpy(buf.get() + pos, seg.mem, seg.length);
    } else {
      ssize_t n = pread(seg.fd, buf.get() + pos, seg.length, static_cast<off_t>(seg.offset));
      if (n != static_cast<ssize_t>(seg.length)) {
        ReplyError(req, "read", 0, DataLoss("short read from the cache file"));
        return;
      }
    }
    pos += seg.length;
  }
  fuse_reply_buf(req, buf.get(), pos);
}

// Hands fd segments to libfuse, which splices them (FUSE_CAP_SPLICE_WRITE).
void ReplySplice(fuse_req_t req, const ReadResult& r) {
  size_t n = r.segments.size();
  std::vector<char> storage(sizeof(fuse_bufvec) + n * sizeof(fuse_buf));
  auto* bv = reinterpret_cast<fuse_bufvec*>(storage.data());
  bv->count = n;
  bv->idx = 0;
  bv->off = 0;
  for (size_t i = 0; i < n; ++i) {
    const ReadSegment& seg = r.segments[i];
    fuse_buf& b = bv->buf[i];
    b = fuse_buf{};
    b.size = seg.length;
    if (seg.mem != nullptr) {
      b.mem = const_cast<char*>(seg.mem);
    } else {
      b.flags = static_cast<fuse_buf_flags>(FUSE_BUF_IS_FD | FUSE_BUF_FD_SEEK);
      b.fd = seg.fd;
      b.pos = static_cast<off_t>(seg.offset);
    }
  }
  fuse_reply_data(req, bv, FUSE_BUF_SPLICE_MOVE);
}

void OnRead(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off, fuse_file_info* fi) {
  Guard(req, "read", [&] {
    Session& s = From(req);
    auto r = s.fs->Read(fi->fh, static_cast<uint64_t>(off), size);
    if (!r.ok()) return ReplyError(req, "read", ino, r.status());
    if (r->size == 0) {
      fuse_reply_buf(req, nullptr, 0);
    } else if (s.options.splice) {
      ReplySplice(req, *r);
    } else {
      ReplyCopy(req, *r);
    }
    // r (and its pins) lives until here: the reply has been written.
  });
}

void OnStatfs(fuse_req_t req, fuse_ino_t) {
  Guard(req, "statfs", [&] {
    FsTotals t = From(req).fs->Totals();
    struct statvfs st {};
    st.f_bsize = 4096;
    st.f_frsize = 4096;
    st.f_blocks = (t.bytes + 4095) / 4096;
    st.f_files = t.images + 3;
    st.f_namemax = 255;
    fuse_reply_statfs(req, &st);
  });
}

void OnGetxattr(fuse_req_t req, fuse_ino_t ino, const char* name, size_t size) {
  Guard(req, "getxattr", [&] {
    auto v = From(req).fs->GetXattr(ino, name);
    if (!v.ok()) return ReplyError(req, "getxattr", ino, v.status(), ErrnoContext::kXattr);
    if (size == 0) {
      fuse_reply_xattr(req, v->size());
    } else if (size < v->size()) {
      fuse_reply_err(req, ERANGE);
    } else {
      fuse_reply_buf(req, v->data(), v->size());
    }
  });
}

void OnListxattr(fuse_req_t req, fuse_ino_t ino, size_t size) {
  Guard(req, "listxattr", [&] {
    auto names = From(req).fs->ListXattr(ino);
    if (!names.ok()) return ReplyError(req, "listxattr", ino, names.status(), ErrnoContext::kXattr);
    std::string all;
    for (const auto& n : *names) {
      all += n;
      all += '\0';
    }
    if (size == 0) {
      fuse_reply_xattr(req, all.size());
    } else if (size < all.size()) {
      fuse_reply_err(req, ERANGE);
    } else {
      fuse_reply_buf(req, all.data(), all.size());
    }
  });
}

void OnSetxattr(fuse_req_t req, fuse_ino_t ino, const char* name, const char* value, size_t size,
                int flags) {
  Guard(req, "setxattr", [&] {
    Status s = From(req).fs->SetXattr(ino, name, std::string_view(value, size), flags);
    if (!s.ok()) return ReplyError(req, "setxattr", ino, s, ErrnoContext::kXattr);
    From(req).WaitForNotifications(kNotifyWait);  // a new name replaces the old at once
    fuse_reply_err(req, 0);
  });
}

void OnRemovexattr(fuse_req_t req, fuse_ino_t ino, const char* name) {
  Guard(req, "removexattr", [&] {
    Status s = From(req).fs->RemoveXattr(ino, name);
    if (!s.ok()) return ReplyError(req, "removexattr", ino, s, ErrnoContext::kXattr);
    From(req).WaitForNotifications(kNotifyWait);
    fuse_reply_err(req, 0);
  });
}

fuse_lowlevel_ops MakeOps() {
  fuse_lowlevel_ops ops{};
  ops.init = OnInit;
  ops.lookup = OnLookup;
  ops.forget = OnForget;
  ops.forget_multi = OnForgetMulti;
  ops.getattr = OnGetattr;
  ops.setattr = OnSetattr;
  ops.mknod = OnMknod;
  ops.mkdir = OnMkdir;
  ops.unlink = OnUnlink;
  ops.rmdir = OnRmdir;
  ops.symlink = OnSymlink;
  ops.rename = OnRename;
  ops.link = OnLink;
  ops.create = OnCreate;
  ops.opendir = OnOpendir;
  ops.readdir = OnReaddir;
  ops.readdirplus = OnReaddirplus;
  ops.releasedir = OnReleasedir;
  ops.open = OnOpen;
  ops.read = OnRead;
  ops.release = OnRelease;
  ops.statfs = OnStatfs;
  ops.getxattr = OnGetxattr;
  ops.listxattr = OnListxattr;
  ops.setxattr = OnSetxattr;
  ops.removexattr = OnRemovexattr;
  return ops;
}

fuse_session* NewSession(const MountOptions& o, Session* session) {
  fuse_args args = FUSE_ARGS_INIT(0, nullptr);
  fuse_opt_add_arg(&args, "imagefs");
  if (o.fuse_debug) fuse_opt_add_arg(&args, "-d");
  for (const std::string& opt : o.fuse_options) {
    fuse_opt_add_arg(&args, "-o");
    fuse_opt_add_arg(&args, opt.c_str());
  }
  fuse_lowlevel_ops ops = MakeOps();
  fuse_session* se = fuse_session_new(&args, &ops, sizeof ops, session);
  fuse_opt_free_args(&args);
  return se;
}

int Loop(const MountOptions& o, fuse_session* se) {
  if (o.single_threaded) return fuse_session_loop(se);
  fuse_loop_config* cfg = fuse_loop_cfg_create();
  fuse_loop_cfg_set_max_threads(cfg, static_cast<unsigned>(o.max_threads));
  // Keep threads around between bursts: QEMU's queue comes back in waves.
  fuse_loop_cfg_set_idle_threads(cfg, static_cast<unsigned>(std::max(10, o.max_threads / 2)));
  int rc = fuse_session_loop_mt(se, cfg);
  fuse_loop_cfg_destroy(cfg);
  return rc;
}

void AfterMount(const MountOptions& o) {
  if (o.read_ahead_kb <= 0) return;
  Status s = SetMountReadAhead(o.mountpoint, o.read_ahead_kb);
  if (!s.ok()) {
    IMAGEFS_LOG_INFO("kernel read-ahead left at its default: {}", s.ToString());
  }
}

// Sends the session's device I/O through session.channel (fs/fuse_channel.h), which
// speaks the passthrough parts of the protocol that libfuse 3.14 does not.
void RouteThroughChannel(fuse_session* se, Session& session) {
  fuse_custom_io io{};
  io.read = [](int fd, void* buf, size_t len, void* userdata) {
    return static_cast<Session*>(userdata)->channel.Read(fd, buf, len);
  };
  io.writev = [](int fd, struct iovec* iov, int count, void* userdata) {
    return static_cast<Session*>(userdata)->channel.Writev(fd, iov, count);
  };
  // Replies spliced from cache files (-o splice), as libfuse does without custom I/O.
  // Requests are never spliced in (OnInit turns FUSE_CAP_SPLICE_READ off), so no
  // splice_receive: INIT and every other request come through Read.
  io.splice_send = [](int fdin, off_t* offin, int fdout, off_t* offout, size_t len,
                      unsigned int flags, void*) -> ssize_t {
    return splice(fdin, offin, fdout, offout, len, flags);
  };
  const int fd = fuse_session_fd(se);
  session.channel.Attach(fd);
  if (int rc = fuse_session_custom_io(se, &io, fd); rc != 0) {
    IMAGEFS_LOG_WARN("no FUSE passthrough: fuse_session_custom_io: {}", strerror(-rc));
  }
}

void RedirectLog(const MountOptions& o) {
  if (o.foreground || o.log_file.empty()) return;
  int fd = open(o.log_file.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
  if (fd >= 0) {
    dup2(fd, STDERR_FILENO);
    close(fd);
  }
}

}  // namespace

int RunFuseSession(const MountOptions& options, const FilesystemFactory& factory) {
  Session session(options);
  fuse_session* se = NewSession(options, &session);
  if (se == nullptr) {
    IMAGEFS_LOG_ERROR("invalid FUSE options");
    return 1;
  }
  session.se = se;
  if (fuse_set_signal_handlers(se) != 0 ||
      fuse_session_mount(se, options.mountpoint.c_str()) != 0) {
    IMAGEFS_LOG_ERROR("cannot mount on {}", options.mountpoint);
    fuse_remove_signal_handlers(se);
    fuse_session_destroy(se);
    return 1;
  }
  if (options.passthrough) RouteThroughChannel(se, session);
  AfterMount(options);
  fuse_daemonize(options.foreground ? 1 : 0);
  RedirectLog(options);
  int rc = 1;
  auto built = factory();
  if (!built.ok()) {
    IMAGEFS_LOG_ERROR("cannot start: {}", built.status().ToString());
  } else {
    session.fs = &(*built)->fs();
    session.StartNotifier();
    session.fs->Start(&session, options.passthrough ? &session.channel : nullptr);
    IMAGEFS_LOG_INFO("mounted {} on {}", options.url, options.mountpoint);
    rc = Loop(options, se) == 0 ? 0 : 1;
    session.StopNotifier();
    built->reset();  // joins the filesystem's threads before the session goes
  }
  fuse_session_unmount(se);
  fuse_remove_signal_handlers(se);
  fuse_session_destroy(se);
  IMAGEFS_LOG_INFO("unmounted {}", options.mountpoint);
  return rc;
}

}  // namespace imagefs::fs
