/*
 * Receives the RTP datagrams of every socket a media worker registered, in batches: one epoll set
 * holds the sockets, libuv polls that one descriptor, and when it is readable we drain every ready
 * socket with recvmmsg into a ring the worker's JavaScript owns, then call JavaScript once for the
 * whole batch. dgram instead costs, per datagram, a libuv read plus a second read that finds the
 * socket empty, a C++ callback, a fresh Buffer and a JavaScript call building an address object.
 *
 * The sockets stay dgram's (bound, connected and closed by it); the caller stops dgram reading them
 * and must remove a socket before closing it. Errors are per datagram, never thrown: an ICMP error
 * remembered on a connected socket surfaces as a failed read and is dropped, as is a datagram larger
 * than a slot (MSG_TRUNC), because anyone can send anything to a media port.
 *
 * Meta layout, eight int32 per slot: id, length, port, family (4 or 6), then the source address's
 * 4 or 16 bytes as they lie in the sockaddr.
 */
#define _GNU_SOURCE
#define NAPI_VERSION 8
#include <node_api.h>
#include <uv.h>

#include <errno.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "addon.h"

#define META_INTS 8
#define MAX_EVENTS 256
/* Rounds of epoll_wait per wake-up: bounded, so a flood cannot keep the worker from its timers. */
#define MAX_ROUNDS 4

typedef struct receiver {
  napi_env env;
  int epfd;
  uv_poll_t poll;
  napi_ref callback;
  napi_ref ring_ref;
  napi_ref meta_ref;
  napi_async_context async;
  napi_async_cleanup_hook_handle cleanup;
  uint8_t *ring;
  int32_t *meta;
  uint32_t slots;
  uint32_t slot_bytes;
  int closing;
  /* Registered sockets: the handle keeps the loop alive while there are any, as a reading dgram socket would. */
  uint32_t sockets;
  /* Bumped by every removal: events read before one may name a socket closed since. */
  uint32_t removals;
  struct mmsghdr *msgs;
  struct iovec *iov;
  struct sockaddr_storage *from;
} receiver_t;

static void free_receiver(receiver_t *rx) {
  free(rx->msgs);
  free(rx->iov);
  free(rx->from);
  free(rx);
}

static void on_closed(uv_handle_t *h) {
  receiver_t *rx = h->data;
  if (rx->epfd >= 0) close(rx->epfd);
  if (rx->cleanup) napi_remove_async_cleanup_hook(rx->cleanup);
  free_receiver(rx);
}

static void close_receiver(receiver_t *rx) {
  if (rx->closing) return;
  rx->closing = 1;
  uv_poll_stop(&rx->poll);
  uv_close((uv_handle_t *)&rx->poll, on_closed);
}

/* The worker is going away: the poll handle must be closed before its loop is. */
static void on_env_cleanup(napi_async_cleanup_hook_handle handle, void *arg) {
  (void)handle;
  close_receiver((receiver_t *)arg);
}

/* Calls the JavaScript batch handler with the number of filled slots. */
static void deliver(receiver_t *rx, uint32_t count) {
  napi_env env = rx->env;
  napi_handle_scope scope;
  if (napi_open_handle_scope(env, &scope) != napi_ok) return;
  napi_value fn, recv, arg, result;
  if (rx->callback != NULL && napi_get_reference_value(env, rx->callback, &fn) == napi_ok && fn != NULL &&
      napi_get_global(env, &recv) == napi_ok && napi_create_uint32(env, count, &arg) == napi_ok) {
    napi_status st = napi_make_callback(env, rx->async, recv, fn, 1, &arg, &result);
    if (st == napi_pending_exception) {
      napi_value err;
      if (napi_get_and_clear_last_exception(env, &err) == napi_ok) napi_fatal_exception(env, err);
    }
  }
  napi_close_handle_scope(env, scope);
}

/* Reads what is waiting on fd into the slots from `used`; returns the new count. */
static uint32_t drain(receiver_t *rx, int fd, int32_t id, uint32_t used) {
  int errors = 0;
  while (used < rx->slots) {
    uint32_t room = rx->slots - used;
    for (uint32_t i = 0; i < room; i++) {
      struct mmsghdr *m = &rx->msgs[i];
      memset(&m->msg_hdr, 0, sizeof m->msg_hdr);
      rx->iov[i].iov_base = rx->ring + (size_t)(used + i) * rx->slot_bytes;
      rx->iov[i].iov_len = rx->slot_bytes;
      m->msg_hdr.msg_iov = &rx->iov[i];
      m->msg_hdr.msg_iovlen = 1;
      m->msg_hdr.msg_name = &rx->from[i];
      m->msg_hdr.msg_namelen = sizeof rx->from[i];
      m->msg_len = 0;
    }
    int r;
    do r = recvmmsg(fd, rx->msgs, room, MSG_DONTWAIT, NULL);
    while (r < 0 && errno == EINTR);
    if (r < 0) {
      /* Empty (EAGAIN); or an ICMP error, consumed by this read, so read once more; anything else is left for the next wake-up. */
      if (errno == EAGAIN || errno == EWOULDBLOCK || ++errors > 1) return used;
      continue;
    }
    if (r == 0) return used;
    uint32_t kept = 0;
    for (int i = 0; i < r; i++) {
      struct mmsghdr *m = &rx->msgs[i];
      if (m->msg_hdr.msg_flags & MSG_TRUNC) continue;
      uint32_t slot = used + kept;
      if (kept != (uint32_t)i) memmove(rx->ring + (size_t)slot * rx->slot_bytes, m->msg_hdr.msg_iov->iov_base, m->msg_len);
      int32_t *meta = rx->meta + (size_t)slot * META_INTS;
      memset(meta, 0, META_INTS * sizeof(int32_t));
      meta[0] = id;
      meta[1] = (int32_t)m->msg_len;
      struct sockaddr_storage *sa = &rx->from[i];
      if (sa->ss_family == AF_INET) {
        struct sockaddr_in *v4 = (struct sockaddr_in *)sa;
        meta[2] = ntohs(v4->sin_port);
        meta[3] = 4;
        memcpy(&meta[4], &v4->sin_addr, 4);
      } else if (sa->ss_family == AF_INET6) {
        struct sockaddr_in6 *v6 = (struct sockaddr_in6 *)sa;
        meta[2] = ntohs(v6->sin6_port);
        meta[3] = 6;
        memcpy(&meta[4], &v6->sin6_addr, 16);
      } else {
        continue;
      }
      kept++;
    }
    used += kept;
    if ((uint32_t)r < room) return used; /* the socket is empty now */
  }
  return used;
}

static void on_readable(uv_poll_t *handle, int status, int events) {
  (void)events;
  receiver_t *rx = handle->data;
  if (status < 0 || rx->closing) return;
  struct epoll_event evs[MAX_EVENTS];
  for (int round = 0; round < MAX_ROUNDS && !rx->closing; round++) {
    int n;
    do n = epoll_wait(rx->epfd, evs, MAX_EVENTS, 0);
    while (n < 0 && errno == EINTR);
    if (n <= 0) return;
    uint32_t used = 0;
    for (int i = 0; i < n; i++) {
      int fd = (int)(evs[i].data.u64 & 0xffffffffu);
      int32_t id = (int32_t)(evs[i].data.u64 >> 32);
      if (used == rx->slots) {
        uint32_t removals = rx->removals;
        deliver(rx, used);
        used = 0;
        if (rx->closing) return;
        /* JavaScript removed (and maybe closed) sockets: the rest of these events may be stale. */
        if (rx->removals != removals) break;
      }
      used = drain(rx, fd, id, used);
    }
    if (used > 0) deliver(rx, used);
  }
}

static receiver_t *unwrap(napi_env env, napi_value v) {
  void *p = NULL;
  if (napi_get_value_external(env, v, &p) != napi_ok) return NULL;
  return (receiver_t *)p;
}

/* recvOpen(onBatch(count), ring: Buffer, meta: Buffer, slotBytes) -> handle */
napi_value RecvOpen(napi_env env, napi_callback_info info) {
  napi_value argv[4];
  if (addon_args(env, info, 4, argv, "recvOpen(onBatch, ring, meta, slotBytes)") != 0) return NULL;
  napi_valuetype t;
  if (napi_typeof(env, argv[0], &t) != napi_ok || t != napi_function) return addon_fail(env, "onBatch must be a function");
  void *ring, *meta;
  size_t ring_len, meta_len;
  uint32_t slot_bytes;
  if (napi_get_buffer_info(env, argv[1], &ring, &ring_len) != napi_ok) return addon_fail(env, "ring must be a Buffer");
  if (napi_get_buffer_info(env, argv[2], &meta, &meta_len) != napi_ok) return addon_fail(env, "meta must be a Buffer");
  if (napi_get_value_uint32(env, argv[3], &slot_bytes) != napi_ok || slot_bytes < 64)
    return addon_fail(env, "slotBytes must be at least 64");
  uint32_t slots = (uint32_t)(ring_len / slot_bytes);
  if (slots == 0 || meta_len < (size_t)slots * META_INTS * sizeof(int32_t) || ((uintptr_t)meta & 3) != 0)
    return addon_fail(env, "meta must hold 8 aligned int32 per ring slot");
  uv_loop_t *loop;
  if (napi_get_uv_event_loop(env, &loop) != napi_ok) return addon_fail(env, "no event loop");
  receiver_t *rx = calloc(1, sizeof *rx);
  if (!rx) return addon_fail(env, "out of memory");
  rx->env = env;
  rx->ring = ring;
  rx->meta = meta;
  rx->slots = slots;
  rx->slot_bytes = slot_bytes;
  rx->msgs = calloc(slots, sizeof *rx->msgs);
  rx->iov = calloc(slots, sizeof *rx->iov);
  rx->from = calloc(slots, sizeof *rx->from);
  rx->epfd = epoll_create1(EPOLL_CLOEXEC);
  if (!rx->msgs || !rx->iov || !rx->from || rx->epfd < 0) {
    if (rx->epfd >= 0) close(rx->epfd);
    free_receiver(rx);
    return addon_fail(env, "could not set up the receiver");
  }
  napi_value name;
  napi_create_string_utf8(env, "RtpReceive", NAPI_AUTO_LENGTH, &name);
  if (napi_async_init(env, NULL, name, &rx->async) != napi_ok || uv_poll_init(loop, &rx->poll, rx->epfd) != 0) {
    close(rx->epfd);
    free_receiver(rx);
    return addon_fail(env, "could not poll the receiver");
  }
  rx->poll.data = rx;
  napi_create_reference(env, argv[0], 1, &rx->callback);
  napi_create_reference(env, argv[1], 1, &rx->ring_ref);
  napi_create_reference(env, argv[2], 1, &rx->meta_ref);
  uv_poll_start(&rx->poll, UV_READABLE, on_readable);
  uv_unref((uv_handle_t *)&rx->poll);
  napi_add_async_cleanup_hook(env, on_env_cleanup, rx, &rx->cleanup);
  /* No finalizer: the receiver lives until recvClose or the environment's cleanup, not until collected. */
  napi_value out;
  napi_create_external(env, rx, NULL, NULL, &out);
  return out;
}

/* The receiver and descriptor every registration call starts with; NULL once it has thrown. */
static receiver_t *receiver_and_fd(napi_env env, napi_callback_info info, size_t want, napi_value *argv, int32_t *fd,
                                   const char *usage) {
  if (addon_args(env, info, want, argv, usage) != 0) return NULL;
  receiver_t *rx = unwrap(env, argv[0]);
  if (!rx) {
    addon_fail(env, "not a receiver");
    return NULL;
  }
  if (napi_get_value_int32(env, argv[1], fd) != napi_ok || *fd < 0) {
    addon_fail(env, "fd must be a descriptor");
    return NULL;
  }
  return rx;
}

/* recvAdd(handle, fd, id) -> 0 or -errno */
napi_value RecvAdd(napi_env env, napi_callback_info info) {
  napi_value argv[3];
  int32_t fd, id;
  receiver_t *rx = receiver_and_fd(env, info, 3, argv, &fd, "recvAdd(handle, fd, id)");
  if (!rx) return NULL;
  if (rx->closing) return addon_fail(env, "receiver is closed");
  if (napi_get_value_int32(env, argv[2], &id) != napi_ok || id < 0) return addon_fail(env, "id must be a non-negative int32");
  struct epoll_event ev;
  memset(&ev, 0, sizeof ev);
  ev.events = EPOLLIN;
  ev.data.u64 = ((uint64_t)(uint32_t)id << 32) | (uint32_t)fd;
  int r = epoll_ctl(rx->epfd, EPOLL_CTL_ADD, fd, &ev);
  if (r < 0) return addon_int(env, -errno);
  if (rx->sockets++ == 0) uv_ref((uv_handle_t *)&rx->poll);
  return addon_int(env, 0);
}

/* recvRemove(handle, fd) -> 0 or -errno */
napi_value RecvRemove(napi_env env, napi_callback_info info) {
  napi_value argv[2];
  int32_t fd;
  receiver_t *rx = receiver_and_fd(env, info, 2, argv, &fd, "recvRemove(handle, fd)");
  if (!rx) return NULL;
  if (rx->closing) return addon_int(env, 0);
  int r = epoll_ctl(rx->epfd, EPOLL_CTL_DEL, fd, NULL);
  if (r < 0) return addon_int(env, -errno);
  rx->removals++;
  if (--rx->sockets == 0) uv_unref((uv_handle_t *)&rx->poll);
  return addon_int(env, 0);
}

/* recvClose(handle): stops polling; the memory goes once libuv has let go of the handle. */
napi_value RecvClose(napi_env env, napi_callback_info info) {
  napi_value argv[1];
  if (addon_args(env, info, 1, argv, "recvClose(handle)") != 0) return NULL;
  receiver_t *rx = unwrap(env, argv[0]);
  if (!rx) return addon_fail(env, "not a receiver");
  if (!rx->closing) {
    napi_delete_reference(env, rx->callback);
    napi_delete_reference(env, rx->ring_ref);
    napi_delete_reference(env, rx->meta_ref);
    napi_async_destroy(env, rx->async);
    rx->callback = NULL;
    close_receiver(rx);
  }
  return NULL;
}
