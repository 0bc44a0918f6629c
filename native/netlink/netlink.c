/*
 * Netloom native netlink primitives (N-API, plain C). Deliberately small: namespaces and sockets only; every
 * rtnetlink message is built and parsed in TypeScript (server/engine/netlink/messages.ts).
 *
 *   prepareNetnsDir(dir)                 -> 0 | -errno   make DIR a shared mount point (as `ip netns add` does)
 *   createNetns(path)                    -> [nsFd, nlFd] | -errno
 *        on a dedicated thread: unshare(CLONE_NEWNET), bind-mount the thread's netns on PATH (created with
 *        O_EXCL), open an fd on it and a NETLINK_ROUTE socket inside it; the thread then ends.
 *   openNetns(path)                      -> [nsFd, nlFd] | -errno   (path null: the calling process's netns)
 *   transact(fd, buffer)                 -> Buffer (all replies) | -errno
 *        sends the concatenated messages in chunks and reads replies until every request of a chunk got its
 *        terminal reply (NLMSG_ERROR = ACK/error, or NLMSG_DONE for a dump).
 *   writeInNetns(nsFd, path, data)       -> 0 | -errno   open+write PATH from a thread inside nsFd's netns (-1: here)
 *   deleteNetns(path)                    -> 0 | -errno   umount2(MNT_DETACH) + unlink
 *   createNetnsMany(paths, threads)      -> per path [nsFd, nlFd] | -errno   (a few threads overlap kernel waits)
 *   deleteNetnsMany(paths, threads)      -> per path 0 | -errno
 *   close(fd)                            -> 0 | -errno
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/netlink.h>
#include <pthread.h>
#include <sched.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <node_api.h>

#ifndef NETLINK_CAP_ACK
#define NETLINK_CAP_ACK 10
#endif
#ifndef NETLINK_EXT_ACK
#define NETLINK_EXT_ACK 11
#endif

#define BUF_BYTES (4 * 1024 * 1024)
#define CHUNK_BYTES (32 * 1024)
#define CHUNK_MSGS 64

/* ---------------------------------------------------------------------------------------------------- */

static int nl_open(void) {
  int fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
  if (fd < 0) return -errno;
  int big = BUF_BYTES, one = 1;
  if (setsockopt(fd, SOL_SOCKET, SO_SNDBUFFORCE, &big, sizeof big) < 0)
    setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &big, sizeof big);
  if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &big, sizeof big) < 0)
    setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &big, sizeof big);
  setsockopt(fd, SOL_NETLINK, NETLINK_CAP_ACK, &one, sizeof one);
  setsockopt(fd, SOL_NETLINK, NETLINK_EXT_ACK, &one, sizeof one);
  struct sockaddr_nl sa = {.nl_family = AF_NETLINK};
  if (bind(fd, (struct sockaddr *)&sa, sizeof sa) < 0) {
    int e = errno;
    close(fd);
    return -e;
  }
  return fd;
}

struct ns_job {
  const char *path;  /* netns file to create (create) or enter (open); NULL = stay */
  const char *file;  /* writeInNetns: file to write */
  const char *data;
  size_t len;
  int ns_fd_in;      /* writeInNetns: netns to enter (-1 = none) */
  int mode;          /* 0 create, 1 open, 2 write */
  int err;           /* negative errno */
  int ns_fd, nl_fd;
};

static void *ns_thread(void *arg) {
  struct ns_job *j = arg;
  j->ns_fd = j->nl_fd = -1;
  j->err = 0;
  if (j->mode == 0) {
    if (unshare(CLONE_NEWNET) < 0) { j->err = -errno; return NULL; }
    int f = open(j->path, O_RDONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0);
    if (f < 0) { j->err = -errno; return NULL; }
    close(f);
    if (mount("/proc/thread-self/ns/net", j->path, "none", MS_BIND, NULL) < 0) {
      j->err = -errno;
      unlink(j->path);
      return NULL;
    }
    j->ns_fd = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
    if (j->ns_fd < 0) { j->err = -errno; goto undo; }
    j->nl_fd = nl_open();
    if (j->nl_fd < 0) { j->err = j->nl_fd; j->nl_fd = -1; goto undo; }
    return NULL;
  undo:
    if (j->ns_fd >= 0) close(j->ns_fd);
    j->ns_fd = -1;
    umount2(j->path, MNT_DETACH);
    unlink(j->path);
    return NULL;
  }
  if (j->mode == 1) {
    j->ns_fd = open(j->path, O_RDONLY | O_CLOEXEC);
    if (j->ns_fd < 0) { j->err = -errno; return NULL; }
    if (setns(j->ns_fd, CLONE_NEWNET) < 0) { j->err = -errno; close(j->ns_fd); j->ns_fd = -1; return NULL; }
    j->nl_fd = nl_open();
    if (j->nl_fd < 0) { j->err = j->nl_fd; j->nl_fd = -1; close(j->ns_fd); j->ns_fd = -1; }
    return NULL;
  }
  /* mode 2: write a (/proc/sys) file as seen from inside the netns */
  if (j->ns_fd_in >= 0 && setns(j->ns_fd_in, CLONE_NEWNET) < 0) { j->err = -errno; return NULL; }
  int f = open(j->file, O_WRONLY | O_CLOEXEC);
  if (f < 0) { j->err = -errno; return NULL; }
  ssize_t w = write(f, j->data, j->len);
  if (w < 0) j->err = -errno;
  else if ((size_t)w != j->len) j->err = -EIO;
  close(f);
  return NULL;
}

/* Runs the job on its own thread: the thread's namespace changes never affect the caller (Node's threads). */
static void run_job(struct ns_job *j) {
  pthread_t t;
  int e = pthread_create(&t, NULL, ns_thread, j);
  if (e) { j->err = -e; return; }
  pthread_join(t, NULL);
}

/* ---------------------------------------------------------------------------------------------------- */
/* transact: send + receive                                                                             */

struct growbuf { char *p; size_t len, cap; };

static int gb_reserve(struct growbuf *b, size_t more) {
  if (b->len + more <= b->cap) return 0;
  size_t cap = b->cap ? b->cap : 65536;
  while (cap < b->len + more) cap *= 2;
  char *p = realloc(b->p, cap);
  if (!p) return -ENOMEM;
  b->p = p;
  b->cap = cap;
  return 0;
}

static int do_send(int fd, const char *p, size_t len) {
  struct sockaddr_nl sa = {.nl_family = AF_NETLINK};
  struct iovec iov = {.iov_base = (void *)p, .iov_len = len};
  struct msghdr mh = {.msg_name = &sa, .msg_namelen = sizeof sa, .msg_iov = &iov, .msg_iovlen = 1};
  for (;;) {
    ssize_t r = sendmsg(fd, &mh, 0);
    if (r >= 0) return 0;
    if (errno != EINTR) return -errno;
  }
}

/* Reads until `want` terminal replies arrived; appends everything to out. */
static int recv_terminals(int fd, int want, struct growbuf *out) {
  int seen = 0;
  while (seen < want) {
    int rc = gb_reserve(out, 65536);
    if (rc) return rc;
    ssize_t r = recv(fd, out->p + out->len, 65536, 0);
    if (r < 0) {
      if (errno == EINTR) continue;
      return -errno;
    }
    if (r == 0) return -EPIPE;
    size_t off = 0;
    while (off + sizeof(struct nlmsghdr) <= (size_t)r) {
      struct nlmsghdr *h = (struct nlmsghdr *)(out->p + out->len + off);
      if (h->nlmsg_len < sizeof *h || off + h->nlmsg_len > (size_t)r) break;
      if (h->nlmsg_type == NLMSG_ERROR || h->nlmsg_type == NLMSG_DONE) seen++;
      off += NLMSG_ALIGN(h->nlmsg_len);
    }
    out->len += (size_t)r;
  }
  return 0;
}

static int transact(int fd, const char *p, size_t len, struct growbuf *out) {
  size_t off = 0;
  while (off < len) {
    size_t start = off;
    int n = 0;
    while (off + sizeof(struct nlmsghdr) <= len && n < CHUNK_MSGS) {
      const struct nlmsghdr *h = (const struct nlmsghdr *)(p + off);
      if (h->nlmsg_len < sizeof *h || off + h->nlmsg_len > len) return -EINVAL;
      if (n > 0 && off - start + h->nlmsg_len > CHUNK_BYTES) break;
      off += NLMSG_ALIGN(h->nlmsg_len);
      n++;
    }
    if (n == 0) return -EINVAL;
    if (off > len) off = len;
    int rc = do_send(fd, p + start, off - start);
    if (rc) return rc;
    rc = recv_terminals(fd, n, out);
    if (rc) return rc;
  }
  return 0;
}

/* ---------------------------------------------------------------------------------------------------- */
/* Batches on a few threads: namespace creation and unmounting mostly wait in the kernel (RCU grace
 * periods), so a handful of threads overlap those waits. Each job is independent.                      */

struct batch {
  struct ns_job *jobs;
  size_t n;
  int op; /* 0 create, 1 delete */
  size_t next;
  pthread_mutex_t mu;
};

static void delete_one(struct ns_job *j) {
  j->err = 0;
  if (umount2(j->path, MNT_DETACH) < 0) j->err = -errno;
  if (unlink(j->path) < 0 && j->err == 0) j->err = -errno;
}

static void *batch_thread(void *arg) {
  struct batch *b = arg;
  for (;;) {
    pthread_mutex_lock(&b->mu);
    size_t i = b->next++;
    pthread_mutex_unlock(&b->mu);
    if (i >= b->n) return NULL;
    if (b->op == 0) ns_thread(&b->jobs[i]); /* unshare() again per job: each gets a fresh netns */
    else delete_one(&b->jobs[i]);
  }
}

static void run_batch(struct batch *b, int threads) {
  pthread_t t[16];
  if (threads < 1) threads = 1;
  if (threads > 16) threads = 16;
  if ((size_t)threads > b->n) threads = (int)b->n;
  pthread_mutex_init(&b->mu, NULL);
  int started = 0;
  for (int k = 0; k < threads; k++)
    if (pthread_create(&t[k], NULL, batch_thread, b) == 0) started++;
  /* No thread: deletions may run here; creations never (they would move the caller into a new netns). */
  if (started == 0 && b->op == 1) batch_thread(b);
  for (int k = 0; k < started; k++) pthread_join(t[k], NULL);
  for (size_t i = b->next; i < b->n; i++) b->jobs[i].err = -EAGAIN;
  pthread_mutex_destroy(&b->mu);
}

/* ---------------------------------------------------------------------------------------------------- */
/* N-API glue                                                                                           */

#define CHECK(call)                                                   \
  do {                                                                \
    if ((call) != napi_ok) {                                          \
      napi_throw_error(env, NULL, "netloom_netlink: N-API failure");  \
      return NULL;                                                    \
    }                                                                 \
  } while (0)

static napi_value num(napi_env env, int v) {
  napi_value r;
  napi_create_int32(env, v, &r);
  return r;
}

static napi_value pair(napi_env env, int a, int b) {
  napi_value arr;
  napi_create_array_with_length(env, 2, &arr);
  napi_set_element(env, arr, 0, num(env, a));
  napi_set_element(env, arr, 1, num(env, b));
  return arr;
}

/* Copies a JS string argument (NULL for null/undefined). Caller frees. */
static char *str_arg(napi_env env, napi_value v, int *bad) {
  napi_valuetype t;
  *bad = 0;
  if (napi_typeof(env, v, &t) != napi_ok) { *bad = 1; return NULL; }
  if (t == napi_null || t == napi_undefined) return NULL;
  if (t != napi_string) { *bad = 1; return NULL; }
  size_t n;
  napi_get_value_string_utf8(env, v, NULL, 0, &n);
  char *s = malloc(n + 1);
  if (!s) { *bad = 1; return NULL; }
  napi_get_value_string_utf8(env, v, s, n + 1, &n);
  return s;
}

static napi_value js_prepare_dir(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  int bad;
  char *dir = str_arg(env, argv[0], &bad);
  if (!dir) return num(env, -EINVAL);
  int rc = 0;
  mkdir(dir, 0755);
  int made = 0;
  while (mount("", dir, "none", MS_SHARED | MS_REC, NULL) < 0) {
    if (errno != EINVAL || made) { rc = -errno; break; }
    if (mount(dir, dir, "none", MS_BIND | MS_REC, NULL) < 0) { rc = -errno; break; }
    made = 1;
  }
  free(dir);
  return num(env, rc);
}

static napi_value js_create_netns(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  int bad;
  char *path = str_arg(env, argv[0], &bad);
  if (!path) return num(env, -EINVAL);
  struct ns_job j = {.path = path, .mode = 0, .ns_fd_in = -1};
  run_job(&j);
  free(path);
  return j.err ? num(env, j.err) : pair(env, j.ns_fd, j.nl_fd);
}

static napi_value js_open_netns(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  int bad;
  char *path = argc > 0 ? str_arg(env, argv[0], &bad) : NULL;
  if (argc > 0 && bad) return num(env, -EINVAL);
  if (!path) {
    int ns = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
    if (ns < 0) return num(env, -errno);
    int nl = nl_open();
    if (nl < 0) { close(ns); return num(env, nl); }
    return pair(env, ns, nl);
  }
  struct ns_job j = {.path = path, .mode = 1, .ns_fd_in = -1};
  run_job(&j);
  free(path);
  return j.err ? num(env, j.err) : pair(env, j.ns_fd, j.nl_fd);
}

static napi_value js_transact(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  int32_t fd;
  if (argc < 2 || napi_get_value_int32(env, argv[0], &fd) != napi_ok) return num(env, -EINVAL);
  void *data;
  size_t len;
  if (napi_get_buffer_info(env, argv[1], &data, &len) != napi_ok) return num(env, -EINVAL);
  struct growbuf out = {0};
  int rc = transact(fd, data, len, &out);
  if (rc) { free(out.p); return num(env, rc); }
  napi_value res;
  void *copy;
  napi_status st = napi_create_buffer_copy(env, out.len, out.len ? out.p : "", &copy, &res);
  free(out.p);
  if (st != napi_ok) return num(env, -ENOMEM);
  return res;
}

static napi_value js_write_in_netns(napi_env env, napi_callback_info info) {
  size_t argc = 3;
  napi_value argv[3];
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  int32_t nsfd;
  if (argc < 3 || napi_get_value_int32(env, argv[0], &nsfd) != napi_ok) return num(env, -EINVAL);
  int bad1, bad2;
  char *file = str_arg(env, argv[1], &bad1);
  char *data = str_arg(env, argv[2], &bad2);
  if (!file || !data) { free(file); free(data); return num(env, -EINVAL); }
  struct ns_job j = {.file = file, .data = data, .len = strlen(data), .ns_fd_in = nsfd, .mode = 2};
  run_job(&j);
  free(file);
  free(data);
  return num(env, j.err);
}

static napi_value js_delete_netns(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  int bad;
  char *path = str_arg(env, argv[0], &bad);
  if (!path) return num(env, -EINVAL);
  int rc = 0;
  if (umount2(path, MNT_DETACH) < 0) rc = -errno;
  if (unlink(path) < 0 && rc == 0) rc = -errno;
  free(path);
  return num(env, rc);
}

static napi_value js_close(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  int32_t fd;
  if (argc < 1 || napi_get_value_int32(env, argv[0], &fd) != napi_ok) return num(env, -EINVAL);
  return num(env, close(fd) < 0 ? -errno : 0);
}

/* createNetnsMany(paths[], threads) / deleteNetnsMany(paths[], threads) -> per path: [nsFd, nlFd] | -errno */
static napi_value batch_call(napi_env env, napi_callback_info info, int op) {
  size_t argc = 2;
  napi_value argv[2];
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  uint32_t n;
  int32_t threads = 2;
  if (argc < 1 || napi_get_array_length(env, argv[0], &n) != napi_ok) return num(env, -EINVAL);
  if (argc > 1) napi_get_value_int32(env, argv[1], &threads);
  struct ns_job *jobs = calloc(n ? n : 1, sizeof *jobs);
  char **paths = calloc(n ? n : 1, sizeof *paths);
  if (!jobs || !paths) { free(jobs); free(paths); return num(env, -ENOMEM); }
  int bad = 0;
  for (uint32_t i = 0; i < n; i++) {
    napi_value v;
    napi_get_element(env, argv[0], i, &v);
    int b;
    paths[i] = str_arg(env, v, &b);
    if (!paths[i]) bad = 1;
    jobs[i] = (struct ns_job){.path = paths[i], .mode = 0, .ns_fd_in = -1, .ns_fd = -1, .nl_fd = -1};
  }
  napi_value res;
  if (bad) {
    res = num(env, -EINVAL);
  } else {
    struct batch b = {.jobs = jobs, .n = n, .op = op};
    if (n) run_batch(&b, threads);
    napi_create_array_with_length(env, n, &res);
    for (uint32_t i = 0; i < n; i++) {
      napi_value r = jobs[i].err ? num(env, jobs[i].err) : op == 0 ? pair(env, jobs[i].ns_fd, jobs[i].nl_fd) : num(env, 0);
      napi_set_element(env, res, i, r);
    }
  }
  for (uint32_t i = 0; i < n; i++) free(paths[i]);
  free(paths);
  free(jobs);
  return res;
}
static napi_value js_create_many(napi_env env, napi_callback_info info) { return batch_call(env, info, 0); }
static napi_value js_delete_many(napi_env env, napi_callback_info info) { return batch_call(env, info, 1); }

static napi_value init(napi_env env, napi_value exports) {
  napi_property_descriptor props[] = {
      {"prepareNetnsDir", NULL, js_prepare_dir, NULL, NULL, NULL, napi_enumerable, NULL},
      {"createNetns", NULL, js_create_netns, NULL, NULL, NULL, napi_enumerable, NULL},
      {"openNetns", NULL, js_open_netns, NULL, NULL, NULL, napi_enumerable, NULL},
      {"transact", NULL, js_transact, NULL, NULL, NULL, napi_enumerable, NULL},
      {"writeInNetns", NULL, js_write_in_netns, NULL, NULL, NULL, napi_enumerable, NULL},
      {"deleteNetns", NULL, js_delete_netns, NULL, NULL, NULL, napi_enumerable, NULL},
      {"createNetnsMany", NULL, js_create_many, NULL, NULL, NULL, napi_enumerable, NULL},
      {"deleteNetnsMany", NULL, js_delete_many, NULL, NULL, NULL, napi_enumerable, NULL},
      {"close", NULL, js_close, NULL, NULL, NULL, napi_enumerable, NULL},
  };
  napi_define_properties(env, exports, sizeof props / sizeof props[0], props);
  return exports;
}

NAPI_MODULE(NODE_GYP_MODULE_NAME, init)
