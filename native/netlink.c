/*
 * netd's native addon: a handful of syscalls for rtnetlink, nothing more. Message encoding,
 * decoding and error mapping are TypeScript (src/kernel/netlink/).
 *
 *   open(paths, proto?)  one netlink socket (NETLINK_ROUTE unless proto says) per entry:
 *                        null = netd's own namespace, a path = the network namespace of that
 *                        nsfs file. The sockets for paths are created by one short-lived
 *                        helper thread that setns()es into each namespace in turn and then
 *                        exits: the JS thread never changes namespace (children and /proc/sys
 *                        reads inherit it). Returns, per entry, the fd or an Error (errno,
 *                        code, syscall).
 *   transact(fd, buf, stop?)  sends the netlink messages in buf and returns the raw bytes of
 *                        every reply, once each request has its ACK/NLMSG_ERROR (or, for a
 *                        dump, NLMSG_DONE). A dump is sent alone (the kernel runs one dump per
 *                        socket at a time); other requests go in windows small enough that
 *                        their ACKs fit the receive buffer. Every non-dump request must ask
 *                        for an ACK (NLM_F_ACK), or it would never be answered. With stop,
 *                        requests go one at a time and none is sent after the first refusal
 *                        (as `ip -batch` stops at its first failing line).
 *   transactEach(fds, buf)  transact(fd, buf) on each socket, the sockets shared out among the
 *                        calling thread and up to three helper threads (one per CPU): the
 *                        kernel's work of many namespaces' dumps in parallel, in one call.
 *                        Returns, per socket, its replies or an Error.
 *   netnsAdd(dir, names) creates named network namespaces as `ip netns add` does: dir made a
 *                        shared mount point, then per name an empty file, unshare(CLONE_NEWNET)
 *                        on a helper thread and a bind mount of that thread's namespace onto
 *                        the file. Stops at the first failure. Returns, per name, null or an
 *                        Error (ECANCELED: not tried).
 *   netnsDel(paths)      `ip netns del`: detaches the bind mount and removes the file.
 *   writeIn(ns, path, value)  writes a file (a /proc/sys key) from a helper thread inside the
 *                        namespace of the nsfs file ns: /proc/sys/net belongs to the opener's
 *                        namespace. Returns [null] or [the Error].
 *   cookie(fd)           the network namespace cookie of a socket's namespace (SO_NETNS_COOKIE,
 *                        Linux 5.14): a 64-bit number the kernel never gives another namespace,
 *                        unlike an nsfs inode (reused once its namespace is freed). A bigint.
 *   close(fd)
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/netlink.h>
#include <node_api.h>
#include <pthread.h>
#include <sched.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <unistd.h>

#define WINDOW 64
#define RCVBUF (4 << 20)
#define TIMEOUT_S 30
/* transactEach: at most this many threads (the caller's among them), each with at least EACH_MIN sockets. */
#define EACH_THREADS 4
#define EACH_MIN 8

/* ---- errors ---------------------------------------------------------------------------- */

static napi_value errno_error(napi_env env, const char *syscall, int err) {
  const char *name = strerrorname_np(err);
  char msg[256];
  snprintf(msg, sizeof msg, "netlink %s: %s", syscall, strerror(err));
  napi_value m, code, e, n, s;
  napi_create_string_utf8(env, msg, NAPI_AUTO_LENGTH, &m);
  napi_create_string_utf8(env, name ? name : "EUNKNOWN", NAPI_AUTO_LENGTH, &code);
  napi_create_error(env, code, m, &e);
  napi_create_int32(env, err, &n);
  napi_set_named_property(env, e, "errno", n);
  napi_create_string_utf8(env, syscall, NAPI_AUTO_LENGTH, &s);
  napi_set_named_property(env, e, "syscall", s);
  return e;
}

static napi_value throw_errno(napi_env env, const char *syscall, int err) {
  napi_throw(env, errno_error(env, syscall, err));
  return NULL;
}

static napi_value throw_type(napi_env env, const char *msg) {
  napi_throw_type_error(env, NULL, msg);
  return NULL;
}

/* ---- open ------------------------------------------------------------------------------ */

struct slot {
  char *path; /* NULL: the caller's namespace */
  int fd;     /* >= 0 on success */
  int err;
  const char *syscall;
};

struct job {
  struct slot *slots;
  size_t n;
  int proto;
};

static void make_socket(struct slot *s, int proto) {
  s->fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, proto);
  if (s->fd < 0) {
    s->err = errno;
    s->syscall = "socket";
  }
}

/* The helper thread: enters each namespace, creates its socket there, and exits. */
static void *enter_each(void *arg) {
  struct job *job = arg;
  for (size_t i = 0; i < job->n; i++) {
    struct slot *s = &job->slots[i];
    if (!s->path) continue;
    int ns = open(s->path, O_RDONLY | O_CLOEXEC);
    if (ns < 0) {
      s->err = errno;
      s->syscall = "open";
      continue;
    }
    if (setns(ns, CLONE_NEWNET) < 0) {
      s->err = errno;
      s->syscall = "setns";
    } else {
      make_socket(s, job->proto);
    }
    close(ns);
  }
  return NULL;
}

static int configure(int fd) {
  int one = 1, size = RCVBUF;
  struct timeval tv = {.tv_sec = TIMEOUT_S};
  if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &size, sizeof size) < 0)
    (void)setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, sizeof size);
  /* Short ACKs (no echo of the request) with the kernel's error message attached. */
  (void)setsockopt(fd, SOL_NETLINK, NETLINK_CAP_ACK, &one, sizeof one);
  (void)setsockopt(fd, SOL_NETLINK, NETLINK_EXT_ACK, &one, sizeof one);
  if (setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv) < 0) return -1;
  struct sockaddr_nl local = {.nl_family = AF_NETLINK};
  return bind(fd, (struct sockaddr *)&local, sizeof local);
}

/* Runs fn(arg) on a new thread and waits for it: namespace changes die with the thread. */
static int on_helper_thread(void *(*fn)(void *), void *arg) {
  pthread_t th;
  int err = pthread_create(&th, NULL, fn, arg);
  return err ? err : pthread_join(th, NULL);
}

static napi_value Open(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2], result;
  uint32_t n;
  int32_t proto = NETLINK_ROUTE;
  bool is_array;
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  if (argc < 1 || napi_is_array(env, argv[0], &is_array) != napi_ok || !is_array) return throw_type(env, "open(paths): an array of paths or null");
  if (argc > 1 && napi_get_value_int32(env, argv[1], &proto) != napi_ok) return throw_type(env, "open(paths, proto): proto is a netlink protocol number");
  napi_get_array_length(env, argv[0], &n);
  struct slot *slots = calloc(n ? n : 1, sizeof *slots);
  struct job job = {slots, n, proto};
  bool any_path = false;
  for (uint32_t i = 0; i < n; i++) {
    napi_value v;
    napi_valuetype t;
    size_t len;
    slots[i].fd = -1;
    napi_get_element(env, argv[0], i, &v);
    napi_typeof(env, v, &t);
    if (t == napi_null) continue;
    if (t != napi_string) {
      for (uint32_t j = 0; j < i; j++) free(slots[j].path);
      free(slots);
      return throw_type(env, "open(paths): each entry is a path or null");
    }
    napi_get_value_string_utf8(env, v, NULL, 0, &len);
    slots[i].path = malloc(len + 1);
    napi_get_value_string_utf8(env, v, slots[i].path, len + 1, &len);
    any_path = true;
  }
  for (uint32_t i = 0; i < n; i++)
    if (!slots[i].path) make_socket(&slots[i], proto);
  if (any_path) {
    int err = on_helper_thread(enter_each, &job);
    if (err != 0)
      for (uint32_t i = 0; i < n; i++)
        if (slots[i].path) slots[i].err = err, slots[i].syscall = "pthread_create";
  }
  napi_create_array_with_length(env, n, &result);
  for (uint32_t i = 0; i < n; i++) {
    struct slot *s = &slots[i];
    napi_value v;
    if (s->fd >= 0 && configure(s->fd) < 0) {
      s->err = errno;
      s->syscall = "setsockopt";
      close(s->fd);
      s->fd = -1;
    }
    if (s->fd >= 0)
      napi_create_int32(env, s->fd, &v);
    else
      v = errno_error(env, s->syscall ? s->syscall : "open", s->err);
    napi_set_element(env, result, i, v);
    free(s->path);
  }
  free(slots);
  return result;
}

/* ---- transact -------------------------------------------------------------------------- */

struct out {
  char *buf;
  size_t len, cap;
};

static int append(struct out *o, const void *p, size_t n) {
  if (o->len + n > o->cap) {
    size_t cap = o->cap ? o->cap : 65536;
    while (cap < o->len + n) cap *= 2;
    char *b = realloc(o->buf, cap);
    if (!b) return -1;
    o->buf = b;
    o->cap = cap;
  }
  memcpy(o->buf + o->len, p, n);
  o->len += n;
  return 0;
}

static int send_all(int fd, const char *p, size_t n) {
  struct sockaddr_nl kernel = {.nl_family = AF_NETLINK};
  ssize_t r;
  do r = sendto(fd, p, n, 0, (struct sockaddr *)&kernel, sizeof kernel);
  while (r < 0 && errno == EINTR);
  return r < 0 ? -1 : 0;
}

/* One datagram, whatever its size (peeked first). */
static ssize_t recv_one(int fd, char **buf, size_t *cap) {
  ssize_t r;
  do r = recv(fd, *buf, *cap, MSG_PEEK | MSG_TRUNC);
  while (r < 0 && errno == EINTR);
  if (r < 0) return -1;
  if ((size_t)r > *cap) {
    char *b = realloc(*buf, r);
    if (!b) return errno = ENOMEM, -1;
    *buf = b;
    *cap = r;
  }
  do r = recv(fd, *buf, *cap, 0);
  while (r < 0 && errno == EINTR);
  return r;
}

/* Receives until every seq in want[0..n) is answered; replies to them are appended to out. */
static int await_replies(int fd, uint32_t *want, size_t n, bool dump, struct out *out, char **buf, size_t *cap, bool *refused) {
  size_t open = n;
  while (open > 0) {
    ssize_t r = recv_one(fd, buf, cap);
    if (r < 0) return -1;
    size_t len = r;
    for (struct nlmsghdr *h = (struct nlmsghdr *)*buf; NLMSG_OK(h, len); h = NLMSG_NEXT(h, len)) {
      size_t i = 0;
      while (i < n && want[i] != h->nlmsg_seq) i++;
      if (i == n) continue; /* a late reply to an earlier call */
      if (append(out, h, NLMSG_ALIGN(h->nlmsg_len)) < 0) return errno = ENOMEM, -1;
      bool last = h->nlmsg_type == NLMSG_ERROR || (dump && h->nlmsg_type == NLMSG_DONE);
      if (h->nlmsg_type == NLMSG_ERROR && h->nlmsg_len >= NLMSG_LENGTH(sizeof(int)) && *(int *)NLMSG_DATA(h) != 0) *refused = true;
      if (last && want[i] != 0) want[i] = 0, open--;
    }
  }
  return 0;
}

/* Whole messages, each with a seq and each answered (an ACK asked for, or a dump): checked before anything is sent. */
static bool valid_request(const char *req, size_t len) {
  for (size_t rest = len, off = 0; off < len;) {
    const struct nlmsghdr *h = (const struct nlmsghdr *)(req + off);
    if (!NLMSG_OK(h, rest) || h->nlmsg_seq == 0) return false;
    if (!(h->nlmsg_flags & NLM_F_ACK) && (h->nlmsg_flags & NLM_F_DUMP) != NLM_F_DUMP) return false;
    off += NLMSG_ALIGN(h->nlmsg_len);
    rest = off < len ? len - off : 0;
  }
  return true;
}

/* One exchange (see transact) on fd, its replies appended to out; buf/cap: a receive buffer to reuse. 0, or -1 with errno and *syscall. */
static int exchange(int fd, const char *req, size_t len, bool stop, struct out *out, char **buf, size_t *cap, const char **syscall) {
  uint32_t want[WINDOW];
  bool refused = false;
  for (size_t off = 0; off < len && !(stop && refused);) {
    size_t start = off, n = 0;
    bool dump = false;
    while (off < len && n < (stop ? 1 : WINDOW)) {
      const struct nlmsghdr *h = (const struct nlmsghdr *)(req + off);
      bool d = (h->nlmsg_flags & NLM_F_DUMP) == NLM_F_DUMP;
      if (d && n > 0) break; /* a dump goes alone */
      want[n++] = h->nlmsg_seq;
      off += NLMSG_ALIGN(h->nlmsg_len);
      if ((dump = d)) break;
    }
    if (off > len) off = len;
    if (send_all(fd, req + start, off - start) < 0) return *syscall = "send", -1;
    if (await_replies(fd, want, n, dump, out, buf, cap, &refused) < 0) return *syscall = "recv", -1;
  }
  return 0;
}

static napi_value Transact(napi_env env, napi_callback_info info) {
  size_t argc = 3, len;
  napi_value argv[3], result;
  int32_t fd;
  char *req;
  bool is_buffer, stop = false;
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  if (argc < 2 || napi_get_value_int32(env, argv[0], &fd) != napi_ok || napi_is_buffer(env, argv[1], &is_buffer) != napi_ok || !is_buffer)
    return throw_type(env, "transact(fd, request, stop): a socket and a Buffer of netlink messages");
  if (argc > 2) napi_get_value_bool(env, argv[2], &stop);
  napi_get_buffer_info(env, argv[1], (void **)&req, &len);
  if (!valid_request(req, len)) return throw_errno(env, "transact", EINVAL);

  struct out out = {0};
  size_t cap = 65536;
  char *buf = malloc(cap);
  const char *syscall = "recv";
  int err = !buf ? ENOMEM : exchange(fd, req, len, stop, &out, &buf, &cap, &syscall) < 0 ? errno : 0;
  free(buf);
  if (err) {
    free(out.buf);
    return throw_errno(env, syscall, err == EAGAIN ? ETIMEDOUT : err);
  }
  napi_create_buffer_copy(env, out.len, out.len ? out.buf : "", NULL, &result);
  free(out.buf);
  return result;
}

/* transactEach: the sockets are shared out among threads, each taking the next one not yet taken. */
struct each {
  const int32_t *fds;
  size_t n, next;
  const char *req;
  size_t len;
  struct out *outs;
  int *err;
  const char **syscall;
};

static void *exchange_each(void *arg) {
  struct each *e = arg;
  size_t cap = 65536;
  char *buf = malloc(cap);
  for (size_t i; (i = __atomic_fetch_add(&e->next, 1, __ATOMIC_RELAXED)) < e->n;) {
    e->syscall[i] = "recv";
    if (!buf)
      e->err[i] = ENOMEM;
    else if (exchange(e->fds[i], e->req, e->len, false, &e->outs[i], &buf, &cap, &e->syscall[i]) < 0)
      e->err[i] = errno;
  }
  free(buf);
  return NULL;
}

static napi_value TransactEach(napi_env env, napi_callback_info info) {
  size_t argc = 2, len;
  napi_value argv[2], result;
  uint32_t n = 0;
  char *req;
  bool is_array, is_buffer;
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  if (argc < 2 || napi_is_array(env, argv[0], &is_array) != napi_ok || !is_array || napi_is_buffer(env, argv[1], &is_buffer) != napi_ok || !is_buffer)
    return throw_type(env, "transactEach(fds, request): an array of sockets and a Buffer of netlink messages");
  napi_get_buffer_info(env, argv[1], (void **)&req, &len);
  if (!valid_request(req, len)) return throw_errno(env, "transact", EINVAL);
  napi_get_array_length(env, argv[0], &n);
  int32_t *fds = calloc(n + 1, sizeof *fds);
  struct out *outs = calloc(n + 1, sizeof *outs);
  int *err = calloc(n + 1, sizeof *err);
  const char **syscall = calloc(n + 1, sizeof *syscall);
  if (!fds || !outs || !err || !syscall) {
    free(fds), free(outs), free(err), free(syscall);
    return throw_errno(env, "transact", ENOMEM);
  }
  for (uint32_t i = 0; i < n; i++) {
    napi_value v;
    napi_get_element(env, argv[0], i, &v);
    if (napi_get_value_int32(env, v, &fds[i]) != napi_ok) {
      free(fds), free(outs), free(err), free(syscall);
      return throw_type(env, "transactEach(fds, request): each fd is a socket");
    }
  }
  struct each e = {fds, n, 0, req, len, outs, err, syscall};
  /* The calling thread works too; a helper that cannot be started leaves its share to the others. */
  long cpus = sysconf(_SC_NPROCESSORS_ONLN);
  size_t helpers = cpus > 1 ? (size_t)(cpus < EACH_THREADS ? cpus : EACH_THREADS) - 1 : 0, started = 0;
  if (helpers > n / EACH_MIN) helpers = n / EACH_MIN;
  pthread_t th[EACH_THREADS];
  while (started < helpers && pthread_create(&th[started], NULL, exchange_each, &e) == 0) started++;
  exchange_each(&e);
  for (size_t t = 0; t < started; t++) pthread_join(th[t], NULL);
  napi_create_array_with_length(env, n, &result);
  for (uint32_t i = 0; i < n; i++) {
    napi_value v;
    if (err[i])
      v = errno_error(env, syscall[i], err[i] == EAGAIN ? ETIMEDOUT : err[i]);
    else
      napi_create_buffer_copy(env, outs[i].len, outs[i].len ? outs[i].buf : "", NULL, &v);
    napi_set_element(env, result, i, v);
    free(outs[i].buf);
  }
  free(fds), free(outs), free(err), free(syscall);
  return result;
}

/* ---- namespaces ------------------------------------------------------------------------ */

struct ns_job {
  char **paths;
  size_t n;
  int *err;
  const char **syscall;
  const char *value; /* writeIn: what to write to paths[0] */
  int ns;            /* writeIn: the namespace to enter */
};

/* Each new namespace: the file, then a fresh namespace for this thread bound onto it. */
static void *create_each(void *arg) {
  struct ns_job *j = arg;
  for (size_t i = 0; i < j->n; i++) {
    if (i > 0 && j->err[i - 1]) { /* stop at the first failure, as `ip -batch` does */
      j->err[i] = ECANCELED, j->syscall[i] = "netns add";
      continue;
    }
    int fd = open(j->paths[i], O_RDONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0);
    if (fd < 0) {
      j->err[i] = errno, j->syscall[i] = "open";
      continue;
    }
    close(fd);
    if (unshare(CLONE_NEWNET) < 0)
      j->err[i] = errno, j->syscall[i] = "unshare";
    else if (mount("/proc/thread-self/ns/net", j->paths[i], "none", MS_BIND, NULL) < 0)
      j->err[i] = errno, j->syscall[i] = "mount";
    if (j->err[i]) unlink(j->paths[i]);
  }
  return NULL;
}

/* As iproute2's netns_add: mount propagation lets other mount namespaces see new namespaces. */
static int shared_dir(const char *dir, const char **syscall) {
  bool made = false;
  *syscall = "mkdir";
  if (mkdir(dir, 0755) < 0 && errno != EEXIST) return errno;
  *syscall = "mount";
  while (mount("", dir, "none", MS_SHARED | MS_REC, NULL) < 0) {
    if (errno != EINVAL || made) return errno;
    if (mount(dir, dir, "none", MS_BIND | MS_REC, NULL) < 0) return errno;
    made = true;
  }
  return 0;
}

static void *write_in(void *arg) {
  struct ns_job *j = arg;
  int fd;
  if (setns(j->ns, CLONE_NEWNET) < 0) {
    j->err[0] = errno, j->syscall[0] = "setns";
  } else if ((fd = open(j->paths[0], O_WRONLY | O_CLOEXEC)) < 0) {
    j->err[0] = errno, j->syscall[0] = "open";
  } else {
    if (write(fd, j->value, strlen(j->value)) < 0) j->err[0] = errno, j->syscall[0] = "write";
    close(fd);
  }
  return NULL;
}

/* A JS string as a malloc'd C string (NULL if it is not a string). */
static char *string_of(napi_env env, napi_value v) {
  size_t len;
  if (napi_get_value_string_utf8(env, v, NULL, 0, &len) != napi_ok) return NULL;
  char *s = malloc(len + 1);
  napi_get_value_string_utf8(env, v, s, len + 1, &len);
  return s;
}

/* Per entry: null, or the Error of the syscall that failed. */
static napi_value results(napi_env env, struct ns_job *j) {
  napi_value out, v;
  napi_create_array_with_length(env, j->n, &out);
  for (size_t i = 0; i < j->n; i++) {
    if (j->err[i])
      v = errno_error(env, j->syscall[i], j->err[i]);
    else
      napi_get_null(env, &v);
    napi_set_element(env, out, i, v);
  }
  return out;
}

static void free_job(struct ns_job *j) {
  for (size_t i = 0; i < j->n; i++) free(j->paths[i]);
  free(j->paths);
  free(j->err);
  free(j->syscall);
}

/* A job over an array of strings (prefixed with dir/ when dir is given); false: not strings. */
static bool job_of(napi_env env, napi_value arr, const char *dir, struct ns_job *j) {
  uint32_t n = 0;
  bool is_array;
  if (napi_is_array(env, arr, &is_array) != napi_ok || !is_array) return false;
  napi_get_array_length(env, arr, &n);
  *j = (struct ns_job){.paths = calloc(n + 1, sizeof(char *)), .n = n, .err = calloc(n + 1, sizeof(int)), .syscall = calloc(n + 1, sizeof(char *))};
  for (uint32_t i = 0; i < n; i++) {
    napi_value v;
    napi_get_element(env, arr, i, &v);
    char *name = string_of(env, v);
    if (!name) return false;
    if (!dir) {
      j->paths[i] = name;
      continue;
    }
    j->paths[i] = malloc(strlen(dir) + strlen(name) + 2);
    sprintf(j->paths[i], "%s/%s", dir, name);
    free(name);
  }
  return true;
}

static napi_value NetnsAdd(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2], result;
  struct ns_job j = {0};
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  char *dir = argc == 2 ? string_of(env, argv[0]) : NULL;
  if (!dir || !job_of(env, argv[1], dir, &j)) {
    free(dir);
    free_job(&j);
    return throw_type(env, "netnsAdd(dir, names): a directory and an array of names");
  }
  const char *syscall;
  int err = shared_dir(dir, &syscall);
  free(dir);
  if (err) {
    free_job(&j);
    return throw_errno(env, syscall, err);
  }
  if ((err = on_helper_thread(create_each, &j)) != 0)
    for (size_t i = 0; i < j.n; i++) j.err[i] = err, j.syscall[i] = "pthread_create";
  result = results(env, &j);
  free_job(&j);
  return result;
}

static napi_value NetnsDel(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1], result;
  struct ns_job j = {0};
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  if (argc < 1 || !job_of(env, argv[0], NULL, &j)) {
    free_job(&j);
    return throw_type(env, "netnsDel(paths): an array of paths");
  }
  for (size_t i = 0; i < j.n; i++) {
    (void)umount2(j.paths[i], MNT_DETACH);
    if (unlink(j.paths[i]) < 0) j.err[i] = errno, j.syscall[i] = "unlink";
  }
  result = results(env, &j);
  free_job(&j);
  return result;
}

static napi_value WriteIn(napi_env env, napi_callback_info info) {
  size_t argc = 3;
  napi_value argv[3], result;
  struct ns_job j = {0};
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  char *ns = argc == 3 ? string_of(env, argv[0]) : NULL;
  char *path = argc == 3 ? string_of(env, argv[1]) : NULL;
  char *value = argc == 3 ? string_of(env, argv[2]) : NULL;
  if (!ns || !path || !value) {
    free(ns), free(path), free(value);
    return throw_type(env, "writeIn(ns, path, value): three strings");
  }
  int err = 0, th;
  j = (struct ns_job){.paths = &path, .n = 1, .err = &err, .syscall = (const char *[]){NULL}, .value = value};
  j.ns = open(ns, O_RDONLY | O_CLOEXEC);
  if (j.ns < 0)
    err = errno, j.syscall[0] = "open";
  else if ((th = on_helper_thread(write_in, &j)) != 0)
    err = th, j.syscall[0] = "pthread_create";
  if (j.ns >= 0) close(j.ns);
  result = results(env, &j);
  free(ns), free(path), free(value);
  return result;
}

#ifndef SO_NETNS_COOKIE
#define SO_NETNS_COOKIE 71
#endif

static napi_value Cookie(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1], result;
  int32_t fd;
  uint64_t cookie;
  socklen_t len = sizeof cookie;
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  if (argc < 1 || napi_get_value_int32(env, argv[0], &fd) != napi_ok) return throw_type(env, "cookie(fd): a socket");
  if (getsockopt(fd, SOL_SOCKET, SO_NETNS_COOKIE, &cookie, &len) < 0) return throw_errno(env, "getsockopt", errno);
  napi_create_bigint_uint64(env, cookie, &result);
  return result;
}

static napi_value Close(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  int32_t fd;
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  if (argc < 1 || napi_get_value_int32(env, argv[0], &fd) != napi_ok) return throw_type(env, "close(fd): a socket");
  if (close(fd) < 0 && errno != EINTR) return throw_errno(env, "close", errno);
  return NULL;
}

static napi_value Init(napi_env env, napi_value exports) {
  napi_property_descriptor props[] = {
      {"open", NULL, Open, NULL, NULL, NULL, napi_default, NULL},
      {"transact", NULL, Transact, NULL, NULL, NULL, napi_default, NULL},
      {"transactEach", NULL, TransactEach, NULL, NULL, NULL, napi_default, NULL},
      {"netnsAdd", NULL, NetnsAdd, NULL, NULL, NULL, napi_default, NULL},
      {"netnsDel", NULL, NetnsDel, NULL, NULL, NULL, napi_default, NULL},
      {"writeIn", NULL, WriteIn, NULL, NULL, NULL, napi_default, NULL},
      {"cookie", NULL, Cookie, NULL, NULL, NULL, napi_default, NULL},
      {"close", NULL, Close, NULL, NULL, NULL, napi_default, NULL},
  };
  napi_define_properties(env, exports, sizeof props / sizeof props[0], props);
  return exports;
}

NAPI_MODULE(NODE_GYP_MODULE_NAME, Init)
