/*
 * netd's native addon: a handful of syscalls for rtnetlink, nothing more. Message encoding,
 * decoding and error mapping are TypeScript (src/kernel/netlink/).
 *
 *   open(paths)          one NETLINK_ROUTE socket per entry: null = netd's own namespace, a
 *                        path = the network namespace of that nsfs file. The sockets for
 *                        paths are created by one short-lived helper thread that setns()es
 *                        into each namespace in turn and then exits: the JS thread never
 *                        changes namespace (children and /proc/sys reads inherit it).
 *                        Returns, per entry, the fd or an Error (errno, code, syscall).
 *   transact(fd, buf)    sends the netlink messages in buf and returns the raw bytes of every
 *                        reply, once each request has its ACK/NLMSG_ERROR (or, for a dump,
 *                        NLMSG_DONE). A dump is sent alone (the kernel runs one dump per
 *                        socket at a time); other requests go in windows small enough that
 *                        their ACKs fit the receive buffer. Every non-dump request must ask
 *                        for an ACK (NLM_F_ACK), or it would never be answered.
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
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#define WINDOW 64
#define RCVBUF (4 << 20)
#define TIMEOUT_S 30

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
};

static void make_socket(struct slot *s) {
  s->fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
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
      make_socket(s);
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

static napi_value Open(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1], result;
  uint32_t n;
  bool is_array;
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  if (argc < 1 || napi_is_array(env, argv[0], &is_array) != napi_ok || !is_array) return throw_type(env, "open(paths): an array of paths or null");
  napi_get_array_length(env, argv[0], &n);
  struct slot *slots = calloc(n ? n : 1, sizeof *slots);
  struct job job = {slots, n};
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
    if (!slots[i].path) make_socket(&slots[i]);
  if (any_path) {
    pthread_t th;
    int err = pthread_create(&th, NULL, enter_each, &job);
    if (err == 0) err = pthread_join(th, NULL);
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
static int await_replies(int fd, uint32_t *want, size_t n, bool dump, struct out *out, char **buf, size_t *cap) {
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
      if (last && want[i] != 0) want[i] = 0, open--;
    }
  }
  return 0;
}

static napi_value Transact(napi_env env, napi_callback_info info) {
  size_t argc = 2, len;
  napi_value argv[2], result;
  int32_t fd;
  char *req;
  bool is_buffer;
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  if (argc < 2 || napi_get_value_int32(env, argv[0], &fd) != napi_ok || napi_is_buffer(env, argv[1], &is_buffer) != napi_ok || !is_buffer)
    return throw_type(env, "transact(fd, request): a socket and a Buffer of netlink messages");
  napi_get_buffer_info(env, argv[1], (void **)&req, &len);

  for (size_t rest = len, off = 0; off < len;) { /* checked before anything is sent */
    struct nlmsghdr *h = (struct nlmsghdr *)(req + off);
    if (!NLMSG_OK(h, rest) || h->nlmsg_seq == 0) return throw_errno(env, "transact", EINVAL);
    if (!(h->nlmsg_flags & NLM_F_ACK) && (h->nlmsg_flags & NLM_F_DUMP) != NLM_F_DUMP) return throw_errno(env, "transact", EINVAL);
    off += NLMSG_ALIGN(h->nlmsg_len);
    rest = off < len ? len - off : 0;
  }

  struct out out = {0};
  size_t cap = 65536;
  char *buf = malloc(cap);
  uint32_t want[WINDOW];
  int err = 0;
  const char *syscall = "recv";
  for (size_t off = 0; off < len && !err;) {
    size_t start = off, n = 0;
    bool dump = false;
    while (off < len && n < WINDOW) {
      struct nlmsghdr *h = (struct nlmsghdr *)(req + off);
      bool d = (h->nlmsg_flags & NLM_F_DUMP) == NLM_F_DUMP;
      if (d && n > 0) break; /* a dump goes alone */
      want[n++] = h->nlmsg_seq;
      off += NLMSG_ALIGN(h->nlmsg_len);
      if ((dump = d)) break;
    }
    if (off > len) off = len;
    if (send_all(fd, req + start, off - start) < 0) {
      err = errno;
      syscall = "send";
    } else if (await_replies(fd, want, n, dump, &out, &buf, &cap) < 0) {
      err = errno;
    }
  }
  free(buf);
  if (err) {
    free(out.buf);
    return throw_errno(env, syscall, err == EAGAIN ? ETIMEDOUT : err);
  }
  napi_create_buffer_copy(env, out.len, out.len ? out.buf : "", NULL, &result);
  free(out.buf);
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
      {"close", NULL, Close, NULL, NULL, NULL, napi_default, NULL},
  };
  napi_define_properties(env, exports, sizeof props / sizeof props[0], props);
  return exports;
}

NAPI_MODULE(NODE_GYP_MODULE_NAME, Init)
