// ptfs: the "trivial passthrough FUSE filesystem" baseline of bench/e2e/mount_bench.sh.
// A read-only view of the regular files directly inside one directory, on the libfuse3
// low-level API: READ is a pread of the source file into a per-thread buffer and one
// fuse_reply_buf (no splice, no keep_cache, no caching of its own). Measurement only.
//
//   ptfs MOUNTPOINT -o source=DIR [-f] [FUSE options]
#define _GNU_SOURCE
#define FUSE_USE_VERSION 34
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <fuse_lowlevel.h>
#include <limits.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static int g_src = -1;  // O_PATH fd of the source directory

struct options {
  const char* source;
  int keep_cache;  // -o keep_cache: pages stay cached across opens (the FUSE page-cache bound)
};
static const struct fuse_opt kOpts[] = {{"source=%s", offsetof(struct options, source), 0},
                                        {"keep_cache", offsetof(struct options, keep_cache), 1},
                                        FUSE_OPT_END};
static int g_keep_cache;

// Inode numbers are the source's, except the root (1).
static int stat_child(const char* name, struct stat* st) {
  if (fstatat(g_src, name, st, AT_SYMLINK_NOFOLLOW) != 0) return errno;
  if (!S_ISREG(st->st_mode)) return ENOENT;
  st->st_mode = S_IFREG | 0444;
  return 0;
}

// Maps an inode back to a name by scanning (lookups only; reads use the open fd).
static int name_of(fuse_ino_t ino, char* out, size_t len) {
  int fd = openat(g_src, ".", O_RDONLY | O_DIRECTORY);
  if (fd < 0) return errno;
  DIR* d = fdopendir(fd);
  struct dirent* e;
  int rc = ENOENT;
  while ((e = readdir(d)) != NULL) {
    if (e->d_ino == ino && e->d_type == DT_REG) {
      snprintf(out, len, "%s", e->d_name);
      rc = 0;
      break;
    }
  }
  closedir(d);
  return rc;
}

static void pt_lookup(fuse_req_t req, fuse_ino_t parent, const char* name) {
  struct fuse_entry_param e;
  memset(&e, 0, sizeof e);
  if (parent != FUSE_ROOT_ID) {
    fuse_reply_err(req, ENOENT);
    return;
  }
  int rc = stat_child(name, &e.attr);
  if (rc != 0) {
    fuse_reply_err(req, rc);
    return;
  }
  e.ino = e.attr.st_ino;
  e.attr_timeout = e.entry_timeout = 60.0;
  fuse_reply_entry(req, &e);
}

static void pt_getattr(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info* fi) {
  (void)fi;
  struct stat st;
  memset(&st, 0, sizeof st);
  if (ino == FUSE_ROOT_ID) {
    st.st_ino = FUSE_ROOT_ID;
    st.st_mode = S_IFDIR | 0555;
    st.st_nlink = 2;
  } else {
    char name[NAME_MAX + 1];
    int rc = name_of(ino, name, sizeof name);
    if (rc == 0) rc = stat_child(name, &st);
    if (rc != 0) {
      fuse_reply_err(req, rc);
      return;
    }
  }
  fuse_reply_attr(req, &st, 60.0);
}

static void pt_readdir(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off,
                       struct fuse_file_info* fi) {
  (void)fi;
  if (ino != FUSE_ROOT_ID) {
    fuse_reply_err(req, ENOTDIR);
    return;
  }
  char* buf = calloc(1, size);
  size_t used = 0;
  int fd = openat(g_src, ".", O_RDONLY | O_DIRECTORY);
  DIR* d = fdopendir(fd);
  struct dirent* e;
  off_t i = 0;
  while ((e = readdir(d)) != NULL) {
    if (e->d_type != DT_REG) continue;
    if (i++ < off) continue;
    struct stat st = {.st_ino = e->d_ino, .st_mode = S_IFREG};
    size_t n = fuse_add_direntry(req, buf + used, size - used, e->d_name, &st, i);
    if (n > size - used) break;
    used += n;
  }
  closedir(d);
  fuse_reply_buf(req, buf, used);
  free(buf);
}

static void pt_open(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info* fi) {
  char name[NAME_MAX + 1];
  int rc = name_of(ino, name, sizeof name);
  if (rc != 0) {
    fuse_reply_err(req, rc);
    return;
  }
  int fd = openat(g_src, name, O_RDONLY);
  if (fd < 0) {
    fuse_reply_err(req, errno);
    return;
  }
  fi->fh = (uint64_t)fd;
  fi->keep_cache = g_keep_cache;
  fuse_reply_open(req, fi);
}

static void pt_read(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off,
                    struct fuse_file_info* fi) {
  (void)ino;
  static __thread char* buf;
  static __thread size_t cap;
  if (cap < size) {
    free(buf);
    buf = malloc(size);
    cap = size;
  }
  ssize_t n = pread((int)fi->fh, buf, size, off);
  if (n < 0) {
    fuse_reply_err(req, errno);
    return;
  }
  fuse_reply_buf(req, buf, (size_t)n);
}

static void pt_release(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info* fi) {
  (void)ino;
  close((int)fi->fh);
  fuse_reply_err(req, 0);
}

static const struct fuse_lowlevel_ops kOps = {
    .lookup = pt_lookup,
    .getattr = pt_getattr,
    .readdir = pt_readdir,
    .open = pt_open,
    .read = pt_read,
    .release = pt_release,
};

int main(int argc, char* argv[]) {
  struct fuse_args args = FUSE_ARGS_INIT(argc, argv);
  struct fuse_cmdline_opts cl;
  struct options o = {0};
  if (fuse_parse_cmdline(&args, &cl) != 0 || cl.mountpoint == NULL) {
    fprintf(stderr, "usage: %s MOUNTPOINT -o source=DIR [-f]\n", argv[0]);
    return 2;
  }
  if (fuse_opt_parse(&args, &o, kOpts, NULL) != 0 || o.source == NULL) {
    fprintf(stderr, "ptfs: -o source=DIR is required\n");
    return 2;
  }
  g_keep_cache = o.keep_cache;
  g_src = open(o.source, O_PATH | O_DIRECTORY);
  if (g_src < 0) {
    perror(o.source);
    return 1;
  }
  struct fuse_session* se = fuse_session_new(&args, &kOps, sizeof kOps, NULL);
  if (se == NULL || fuse_set_signal_handlers(se) != 0 || fuse_session_mount(se, cl.mountpoint)) {
    return 1;
  }
  fuse_daemonize(cl.foreground);
  struct fuse_loop_config* lc = fuse_loop_cfg_create();
  int rc = cl.singlethread ? fuse_session_loop(se) : fuse_session_loop_mt(se, lc);
  fuse_loop_cfg_destroy(lc);
  fuse_session_unmount(se);
  fuse_remove_signal_handlers(se);
  fuse_session_destroy(se);
  free(cl.mountpoint);
  fuse_opt_free_args(&args);
  return rc;
}
