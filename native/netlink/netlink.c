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
 *   dumpMany(paths, req, keep, threads)  -> per path Buffer (all replies) | -errno
 *        for each netns file (a few threads): enter it, open a NETLINK_ROUTE socket there, send every message
 *        of REQ one at a time (dumps cannot be pipelined on one socket) and collect the replies, then close
 *        the socket. Nothing stays open (a held fd would keep a deleted namespace alive). In RTM_NEWLINK
 *        replies only attributes whose type is listed in KEEP are kept (empty: all), so the bulky per-link
 *        IPv6 configuration never reaches JavaScript.
 *   nsidMatrix(asks, targets, pairs, threads) -> Int32Array (one id per pair; -1 none; < -1: -errno)
 *        read-only: for each pair [ask, target] (indices, flattened, grouped by ask), the nsid namespace
 *        file ASK gives namespace file TARGET (RTM_GETNSID with NETNSA_FD). Target files are opened once;
 *        each ask namespace is entered on a worker thread with one socket, its queries pipelined.
 *   watchEvents(protocol, groups[], allNsid) -> fd | -errno
 *        a non-blocking netlink socket of PROTOCOL (0 NETLINK_ROUTE, 12 NETLINK_NETFILTER) in the calling
 *        process's netns, joined to GROUPS; with ALLNSID (NETLINK_LISTEN_ALL_NSID) it also receives the
 *        notifications of every namespace that has an nsid here, each tagged with that nsid. It holds no
 *        other namespace: nothing is kept alive by it.
 *   drainEvents(fd, filter)              -> Int32Array [flags, nsid, nsid, …] | -errno
 *        reads every pending notification without blocking; returns which namespaces they came from
 *        (-1: the socket's own netns; consecutive repeats collapsed). FLAGS bit 0: the kernel dropped some
 *        (ENOBUFS: then anything may have changed); bit 1 (FILTER): the socket's own netns removed an
 *        nsid (RTM_DELNSID: a namespace it had an id for is gone, its inode number may be reused). FILTER (rtnetlink): skip what an observation never
 *        reads: addresses of other than global scope, routes outside the main table or not unicast.
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
#include <sys/uio.h>
#include <sys/stat.h>
#include <unistd.h>

#include <node_api.h>

#ifndef NETLINK_CAP_ACK
#define NETLINK_CAP_ACK 10
#endif
#ifndef NETLINK_EXT_ACK
#define NETLINK_EXT_ACK 11
#endif

#ifndef NETLINK_LISTEN_ALL_NSID
#define NETLINK_LISTEN_ALL_NSID 8
#endif

#define BUF_BYTES (4 * 1024 * 1024)
#define EVENT_BUF_BYTES (16 * 1024 * 1024)
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
/* dumpMany: read-only dumps of many namespaces                                                         */

struct dump_job {
  const char *path;
  struct growbuf out;
  int err;
};

struct dump_batch {
  struct dump_job *jobs;
  size_t n;
  const char *req;
  size_t req_len;
  uint64_t keep; /* bit t set: keep IFLA attribute t in RTM_NEWLINK replies (0: keep everything) */
  size_t next;
  pthread_mutex_t mu;
};

/* Drops the attributes of RTM_NEWLINK messages not in `keep`, in place. Returns the new length. */
static size_t compact_links(char *p, size_t len, uint64_t keep) {
  size_t in = 0, outp = 0;
  while (in + sizeof(struct nlmsghdr) <= len) {
    struct nlmsghdr *h = (struct nlmsghdr *)(p + in);
    size_t mlen = h->nlmsg_len;
    if (mlen < sizeof *h || in + mlen > len) break;
    size_t next = in + NLMSG_ALIGN(mlen);
    if (next > len) next = len;
    if (h->nlmsg_type == 16 /* RTM_NEWLINK */ && keep && mlen >= sizeof *h + 16) {
      size_t head = sizeof *h + 16; /* nlmsghdr + ifinfomsg */
      memmove(p + outp, p + in, head);
      size_t w = outp + head;
      size_t a = in + head;
      while (a + 4 <= in + mlen) {
        uint16_t alen, atype;
        memcpy(&alen, p + a, 2);
        memcpy(&atype, p + a + 2, 2);
        if (alen < 4 || a + alen > in + mlen) break;
        size_t step = (alen + 3u) & ~3u;
        if (a + step > in + mlen) step = in + mlen - a;
        unsigned t = atype & 0x3fff;
        if (t == 18 /* IFLA_LINKINFO */ && (keep >> t) & 1) {
          /* keep IFLA_INFO_KIND and IFLA_INFO_DATA only (a port's IFLA_INFO_SLAVE_DATA is large) */
          size_t hdr = w;
          memmove(p + w, p + a, 4);
          w += 4;
          size_t na = a + 4;
          while (na + 4 <= a + alen) {
            uint16_t nlen, ntype;
            memcpy(&nlen, p + na, 2);
            memcpy(&ntype, p + na + 2, 2);
            if (nlen < 4 || na + nlen > a + alen) break;
            size_t nstep = (nlen + 3u) & ~3u;
            if (na + nstep > a + alen) nstep = a + alen - na;
            unsigned nt = ntype & 0x3fff;
            if (nt == 1 || nt == 2) {
              memmove(p + w, p + na, nstep);
              w += nstep;
            }
            na += nstep;
          }
          uint16_t newlen = (uint16_t)(w - hdr);
          memcpy(p + hdr, &newlen, 2);
        } else if (t < 64 && (keep >> t) & 1) {
          memmove(p + w, p + a, step);
          w += step;
        }
        a += step;
      }
      uint32_t nl = (uint32_t)(w - outp);
      memcpy(p + outp, &nl, 4);
      outp = w;
    } else {
      memmove(p + outp, p + in, next - in);
      outp += next - in;
    }
    in = next;
  }
  return outp;
}

static void dump_one(struct dump_batch *b, struct dump_job *j) {
  j->err = 0;
  int ns = open(j->path, O_RDONLY | O_CLOEXEC);
  if (ns < 0) { j->err = -errno; return; }
  int rc = setns(ns, CLONE_NEWNET);
  close(ns);
  if (rc < 0) { j->err = -errno; return; }
  int fd = nl_open();
  if (fd < 0) { j->err = fd; return; }
  /* Kernel-side filtering of dumps (route dumps by table and type) needs strict checking. */
  int one = 1;
  setsockopt(fd, SOL_NETLINK, 12 /* NETLINK_GET_STRICT_CHK */, &one, sizeof one);
  size_t off = 0;
  while (off + sizeof(struct nlmsghdr) <= b->req_len) {
    const struct nlmsghdr *h = (const struct nlmsghdr *)(b->req + off);
    if (h->nlmsg_len < sizeof *h || off + h->nlmsg_len > b->req_len) { j->err = -EINVAL; break; }
    size_t start = j->out.len;
    rc = do_send(fd, b->req + off, h->nlmsg_len);
    if (!rc) rc = recv_terminals(fd, 1, &j->out);
    if (rc) { j->err = rc; break; }
    j->out.len = start + compact_links(j->out.p + start, j->out.len - start, b->keep);
    off += NLMSG_ALIGN(h->nlmsg_len);
  }
  close(fd);
}

static void *dump_thread(void *arg) {
  struct dump_batch *b = arg;
  for (;;) {
    pthread_mutex_lock(&b->mu);
    size_t i = b->next++;
    pthread_mutex_unlock(&b->mu);
    if (i >= b->n) return NULL;
    dump_one(b, &b->jobs[i]);
  }
}

/* ---------------------------------------------------------------------------------------------------- */
/* nsidMatrix                                                                                           */

struct nsid_batch {
  char **asks;
  uint32_t nasks;
  int *tfd;          /* target fds (-errno when unopenable) */
  const int32_t *pairs;
  uint32_t npairs;
  uint32_t *start;   /* per ask: first pair index (pairs grouped by ask) */
  uint32_t *count;
  int32_t *out;
  size_t next;
  pthread_mutex_t mu;
};

struct nsid_req {
  struct nlmsghdr h;
  unsigned char gen[4];
  struct nlattr a;
  uint32_t fd;
};

static void nsid_one(struct nsid_batch *b, uint32_t k) {
  uint32_t first = b->start[k], n = b->count[k];
  if (!n) return;
  int ns = open(b->asks[k], O_RDONLY | O_CLOEXEC);
  int rc = ns < 0 ? -errno : 0;
  if (!rc && setns(ns, CLONE_NEWNET) < 0) rc = -errno;
  if (ns >= 0) close(ns);
  int fd = rc ? -1 : nl_open();
  if (!rc && fd < 0) rc = fd;
  if (rc) {
    for (uint32_t i = 0; i < n; i++) b->out[first + i] = rc;
    return;
  }
  struct nsid_req *reqs = calloc(n, sizeof *reqs);
  struct growbuf out = {0};
  if (!reqs) rc = -ENOMEM;
  for (uint32_t i = 0; !rc && i < n; i++) {
    int t = b->pairs[2 * (first + i) + 1];
    struct nsid_req *q = &reqs[i];
    q->h.nlmsg_len = sizeof *q;
    q->h.nlmsg_type = 90; /* RTM_GETNSID */
    q->h.nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK;
    q->h.nlmsg_seq = i + 1;
    q->a.nla_len = sizeof q->a + sizeof q->fd;
    q->a.nla_type = 3; /* NETNSA_FD */
    q->fd = b->tfd[t] >= 0 ? (uint32_t)b->tfd[t] : 0xffffffffu; /* t was checked against the targets */
    b->out[first + i] = -1;
  }
  if (!rc) rc = transact(fd, (const char *)reqs, n * sizeof *reqs, &out);
  if (!rc) {
    size_t off = 0;
    while (off + sizeof(struct nlmsghdr) <= out.len) {
      struct nlmsghdr *h = (struct nlmsghdr *)(out.p + off);
      if (h->nlmsg_len < sizeof *h || off + h->nlmsg_len > out.len) break;
      uint32_t seq = h->nlmsg_seq;
      if (h->nlmsg_type == 88 /* RTM_NEWNSID */ && seq >= 1 && seq <= n) {
        size_t a = off + sizeof *h + 4;
        while (a + 4 <= off + h->nlmsg_len) {
          struct nlattr *at = (struct nlattr *)(out.p + a);
          if (at->nla_len < 4 || a + at->nla_len > off + h->nlmsg_len) break;
          if ((at->nla_type & 0x3fff) == 1 /* NETNSA_NSID */ && at->nla_len >= 8) {
            int32_t id;
            memcpy(&id, out.p + a + 4, 4);
            b->out[first + seq - 1] = id;
          }
          a += NLA_ALIGN(at->nla_len);
        }
      }
      off += NLMSG_ALIGN(h->nlmsg_len);
    }
  } else {
    for (uint32_t i = 0; i < n; i++) b->out[first + i] = rc;
  }
  free(out.p);
  free(reqs);
  close(fd);
}

static void *nsid_thread(void *arg) {
  struct nsid_batch *b = arg;
  for (;;) {
    pthread_mutex_lock(&b->mu);
    size_t k = b->next++;
    pthread_mutex_unlock(&b->mu);
    if (k >= b->nasks) return NULL;
    nsid_one(b, (uint32_t)k);
  }
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
/* dumpMany(paths[], req, keep[], threads) -> per path Buffer | -errno. Threads only: never the caller's. */
static napi_value js_dump_many(napi_env env, napi_callback_info info) {
  size_t argc = 4;
  napi_value argv[4];
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  uint32_t n, nkeep = 0;
  int32_t threads = 2;
  void *req;
  size_t req_len;
  if (argc < 2 || napi_get_array_length(env, argv[0], &n) != napi_ok) return num(env, -EINVAL);
  if (napi_get_buffer_info(env, argv[1], &req, &req_len) != napi_ok) return num(env, -EINVAL);
  uint64_t keep = 0;
  if (argc > 2 && napi_get_array_length(env, argv[2], &nkeep) == napi_ok) {
    for (uint32_t i = 0; i < nkeep; i++) {
      napi_value v;
      int32_t t;
      if (napi_get_element(env, argv[2], i, &v) == napi_ok && napi_get_value_int32(env, v, &t) == napi_ok &&
          t >= 0 && t < 64)
        keep |= (uint64_t)1 << t;
    }
  }
  if (argc > 3) napi_get_value_int32(env, argv[3], &threads);
  if (threads < 1) threads = 1;
  if (threads > 16) threads = 16;
  struct dump_job *jobs = calloc(n ? n : 1, sizeof *jobs);
  if (!jobs) return num(env, -ENOMEM);
  int bad = 0;
  for (uint32_t i = 0; i < n; i++) {
    napi_value v;
    int b;
    napi_get_element(env, argv[0], i, &v);
    jobs[i].path = str_arg(env, v, &b);
    if (!jobs[i].path) bad = 1;
  }
  napi_value res;
  if (bad) {
    res = num(env, -EINVAL);
  } else {
    struct dump_batch b = {.jobs = jobs, .n = n, .req = req, .req_len = req_len, .keep = keep};
    pthread_mutex_init(&b.mu, NULL);
    pthread_t t[16];
    int started = 0;
    if ((uint32_t)threads > n) threads = (int)n;
    for (int k = 0; k < threads; k++)
      if (pthread_create(&t[k], NULL, dump_thread, &b) == 0) started++;
    for (int k = 0; k < started; k++) pthread_join(t[k], NULL);
    for (size_t i = b.next; i < n; i++) jobs[i].err = -EAGAIN;
    pthread_mutex_destroy(&b.mu);
    napi_create_array_with_length(env, n, &res);
    for (uint32_t i = 0; i < n; i++) {
      napi_value r;
      void *copy;
      if (jobs[i].err) r = num(env, jobs[i].err);
      else if (napi_create_buffer_copy(env, jobs[i].out.len, jobs[i].out.len ? jobs[i].out.p : "", &copy, &r) != napi_ok)
        r = num(env, -ENOMEM);
      napi_set_element(env, res, i, r);
    }
  }
  for (uint32_t i = 0; i < n; i++) {
    free((void *)jobs[i].path);
    free(jobs[i].out.p);
  }
  free(jobs);
  return res;
}

static char **str_array(napi_env env, napi_value arr, uint32_t *n) {
  if (napi_get_array_length(env, arr, n) != napi_ok) return NULL;
  char **v = calloc(*n ? *n : 1, sizeof *v);
  if (!v) return NULL;
  for (uint32_t i = 0; i < *n; i++) {
    napi_value e;
    int bad;
    napi_get_element(env, arr, i, &e);
    v[i] = str_arg(env, e, &bad);
    if (!v[i]) {
      for (uint32_t j = 0; j < i; j++) free(v[j]);
      free(v);
      return NULL;
    }
  }
  return v;
}

static napi_value js_nsid_matrix(napi_env env, napi_callback_info info) {
  size_t argc = 4;
  napi_value argv[4];
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (argc < 3) return num(env, -EINVAL);
  uint32_t nasks = 0, ntargets = 0;
  int32_t threads = 2;
  if (argc > 3) napi_get_value_int32(env, argv[3], &threads);
  if (threads < 1) threads = 1;
  if (threads > 16) threads = 16;
  napi_typedarray_type tt;
  size_t plen;
  void *pdata;
  if (napi_get_typedarray_info(env, argv[2], &tt, &plen, &pdata, NULL, NULL) != napi_ok || tt != napi_int32_array)
    return num(env, -EINVAL);
  char **asks = str_array(env, argv[0], &nasks);
  char **targets = str_array(env, argv[1], &ntargets);
  if (!asks || !targets) return num(env, -EINVAL);
  uint32_t npairs = (uint32_t)(plen / 2);
  const int32_t *pairs = pdata;
  int *tfd = calloc(ntargets ? ntargets : 1, sizeof *tfd);
  uint32_t *start = calloc(nasks ? nasks : 1, sizeof *start);
  uint32_t *count = calloc(nasks ? nasks : 1, sizeof *count);
  napi_value ab, res;
  void *outp;
  CHECK(napi_create_arraybuffer(env, (npairs ? npairs : 1) * 4, &outp, &ab));
  CHECK(napi_create_typedarray(env, napi_int32_array, npairs, ab, 0, &res));
  int bad = !tfd || !start || !count;
  for (uint32_t i = 0; !bad && i < npairs; i++) {
    int32_t a = pairs[2 * i], t = pairs[2 * i + 1];
    if (a < 0 || (uint32_t)a >= nasks || t < 0 || (uint32_t)t >= ntargets || (i > 0 && a < pairs[2 * i - 2])) bad = 1;
    else {
      if (!count[a]) start[a] = i;
      count[a]++;
    }
  }
  if (!bad) {
    for (uint32_t t = 0; t < ntargets; t++) {
      tfd[t] = open(targets[t], O_RDONLY | O_CLOEXEC);
      if (tfd[t] < 0) tfd[t] = -errno;
    }
    struct nsid_batch b = {.asks = asks, .nasks = nasks, .tfd = tfd, .pairs = pairs, .npairs = npairs,
                           .start = start, .count = count, .out = outp};
    pthread_mutex_init(&b.mu, NULL);
    pthread_t th[16];
    int started = 0;
    if ((uint32_t)threads > nasks) threads = (int)nasks;
    for (int k = 0; k < threads; k++)
      if (pthread_create(&th[k], NULL, nsid_thread, &b) == 0) started++;
    for (int k = 0; k < started; k++) pthread_join(th[k], NULL);
    for (size_t k = b.next; k < nasks; k++)
      for (uint32_t i = 0; i < count[k]; i++) ((int32_t *)outp)[start[k] + i] = -EAGAIN;
    pthread_mutex_destroy(&b.mu);
    for (uint32_t t = 0; t < ntargets; t++)
      if (tfd[t] >= 0) close(tfd[t]);
  }
  for (uint32_t i = 0; i < nasks; i++) free(asks[i]);
  for (uint32_t i = 0; i < ntargets; i++) free(targets[i]);
  free(asks);
  free(targets);
  free(tfd);
  free(start);
  free(count);
  return bad ? num(env, -EINVAL) : res;
}

/* ---------------------------------------------------------------------------------------------------- */
/* Notifications                                                                                        */

static napi_value js_watch_events(napi_env env, napi_callback_info info) {
  size_t argc = 3;
  napi_value argv[3];
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  int32_t proto;
  uint32_t n;
  bool all = false;
  if (argc < 3 || napi_get_value_int32(env, argv[0], &proto) != napi_ok ||
      napi_get_array_length(env, argv[1], &n) != napi_ok || napi_get_value_bool(env, argv[2], &all) != napi_ok)
    return num(env, -EINVAL);
  if (proto != NETLINK_ROUTE && proto != 12 /* NETLINK_NETFILTER */) return num(env, -EINVAL);
  int fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC | SOCK_NONBLOCK, proto);
  if (fd < 0) return num(env, -errno);
  int big = EVENT_BUF_BYTES, one = 1, rc = 0;
  if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &big, sizeof big) < 0)
    setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &big, sizeof big);
  struct sockaddr_nl sa = {.nl_family = AF_NETLINK};
  if (bind(fd, (struct sockaddr *)&sa, sizeof sa) < 0) rc = -errno;
  if (!rc && all && setsockopt(fd, SOL_NETLINK, NETLINK_LISTEN_ALL_NSID, &one, sizeof one) < 0) rc = -errno;
  for (uint32_t i = 0; !rc && i < n; i++) {
    napi_value v;
    int32_t g;
    if (napi_get_element(env, argv[1], i, &v) != napi_ok || napi_get_value_int32(env, v, &g) != napi_ok || g < 1)
      rc = -EINVAL;
    else if (setsockopt(fd, SOL_NETLINK, NETLINK_ADD_MEMBERSHIP, &g, sizeof g) < 0)
      rc = -errno;
  }
  if (rc) {
    close(fd);
    return num(env, rc);
  }
  return num(env, fd);
}

/* An rtnetlink notification an observation reads (see drainEvents). Unknown shapes count as read. */
static int observed_event(const struct nlmsghdr *h) {
  const unsigned char *d = NLMSG_DATA(h);
  size_t plen = h->nlmsg_len - NLMSG_HDRLEN;
  switch (h->nlmsg_type) {
  case 20: /* RTM_NEWADDR */
  case 21: /* RTM_DELADDR */
    return plen < 8 || d[3] == 0; /* ifa_scope: RT_SCOPE_UNIVERSE */
  case 24: /* RTM_NEWROUTE */
  case 25: { /* RTM_DELROUTE */
    if (plen < 12) return 1;
    uint32_t table = d[4], type = d[7];
    size_t a = 12;
    while (a + 4 <= plen) {
      uint16_t alen, atype;
      memcpy(&alen, d + a, 2);
      memcpy(&atype, d + a + 2, 2);
      if (alen < 4 || a + alen > plen) break;
      if ((atype & 0x3fff) == 15 /* RTA_TABLE */ && alen >= 8) memcpy(&table, d + a + 4, 4);
      a += (alen + 3u) & ~3u;
    }
    return table == 254 /* RT_TABLE_MAIN */ && type == 1 /* RTN_UNICAST */;
  }
  default:
    return 1;
  }
}

static napi_value js_drain_events(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  int32_t fd;
  bool filter = false;
  if (argc < 1 || napi_get_value_int32(env, argv[0], &fd) != napi_ok) return num(env, -EINVAL);
  if (argc > 1) napi_get_value_bool(env, argv[1], &filter);
  static char buf[65536];
  size_t cap = 64, len = 1;
  int32_t *ids = malloc(cap * sizeof *ids);
  if (!ids) return num(env, -ENOMEM);
  ids[0] = 0;
  for (;;) {
    union {
      char b[CMSG_SPACE(sizeof(int32_t)) * 4];
      struct cmsghdr align;
    } cbuf;
    struct iovec iov = {.iov_base = buf, .iov_len = sizeof buf};
    struct msghdr mh = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = cbuf.b, .msg_controllen = sizeof cbuf.b};
    ssize_t r = recvmsg(fd, &mh, MSG_DONTWAIT);
    if (r < 0) {
      if (errno == EINTR) continue;
      if (errno == ENOBUFS) {
        ids[0] |= 1;
        continue;
      }
      if (errno == EAGAIN || errno == EWOULDBLOCK) break;
      int e = errno;
      free(ids);
      return num(env, -e);
    }
    int32_t id = -1;
    for (struct cmsghdr *c = CMSG_FIRSTHDR(&mh); c; c = CMSG_NXTHDR(&mh, c))
      if (c->cmsg_level == SOL_NETLINK && c->cmsg_type == NETLINK_LISTEN_ALL_NSID) memcpy(&id, CMSG_DATA(c), sizeof id);
    if (filter) {
      int any = 0;
      for (size_t off = 0; off + NLMSG_HDRLEN <= (size_t)r;) {
        const struct nlmsghdr *h = (const struct nlmsghdr *)(buf + off);
        if (h->nlmsg_len < NLMSG_HDRLEN || off + h->nlmsg_len > (size_t)r) {
          any = 1; /* malformed or truncated: count it */
          break;
        }
        if (id == -1 && h->nlmsg_type == 89) ids[0] |= 2; /* RTM_DELNSID here */
        if (observed_event(h)) any = 1;
        off += NLMSG_ALIGN(h->nlmsg_len);
      }
      if ((mh.msg_flags & MSG_TRUNC) || r < (ssize_t)NLMSG_HDRLEN) any = 1;
      if (!any) continue;
    }
    if (len > 1 && ids[len - 1] == id) continue;
    if (len == cap) {
      int32_t *p = realloc(ids, 2 * cap * sizeof *ids);
      if (!p) {
        ids[0] |= 1; /* cannot record more: report it as an overflow */
        continue;
      }
      ids = p;
      cap *= 2;
    }
    ids[len++] = id;
  }
  napi_value ab, res;
  void *outp;
  if (napi_create_arraybuffer(env, len * 4, &outp, &ab) != napi_ok ||
      napi_create_typedarray(env, napi_int32_array, len, ab, 0, &res) != napi_ok) {
    free(ids);
    return num(env, -ENOMEM);
  }
  memcpy(outp, ids, len * 4);
  free(ids);
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
      {"nsidMatrix", NULL, js_nsid_matrix, NULL, NULL, NULL, napi_enumerable, NULL},
      {"dumpMany", NULL, js_dump_many, NULL, NULL, NULL, napi_enumerable, NULL},
      {"close", NULL, js_close, NULL, NULL, NULL, napi_enumerable, NULL},
      {"watchEvents", NULL, js_watch_events, NULL, NULL, NULL, napi_enumerable, NULL},
      {"drainEvents", NULL, js_drain_events, NULL, NULL, NULL, napi_enumerable, NULL},
  };
  napi_define_properties(env, exports, sizeof props / sizeof props[0], props);
  return exports;
}

NAPI_MODULE(NODE_GYP_MODULE_NAME, init)
