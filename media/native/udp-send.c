/*
 * The send half of the UDP addon (udp-recv.c is the receive half). Sends RTP datagrams on a UDP socket that Node's dgram opened and bound, straight through the
 * socket's file descriptor: one sendmsg (header and payload gathered from two buffers, nothing
 * copied in JavaScript) or one sendmmsg for several datagrams on the same socket. dgram's send
 * costs several microseconds of JavaScript and C++ per packet (argument checks, a request object,
 * a libuv request) on top of the syscall; this costs one N-API call.
 *
 * Only node_api.h is used. The socket stays dgram's: libuv keeps reading it and closes it; we
 * never block (MSG_DONTWAIT) and report errors as negative errno values instead of throwing,
 * because a full socket buffer or an ICMP error remembered on a connected socket is a lost
 * packet, not a failure of the worker.
 */
#define _GNU_SOURCE
#define NAPI_VERSION 8
#include <node_api.h>

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>

#include "addon.h"

#define MAX_BATCH 64

/* True when v is null or undefined. */
static int is_nothing(napi_env env, napi_value v) {
  napi_valuetype t;
  if (napi_typeof(env, v, &t) != napi_ok) return 0;
  return t == napi_null || t == napi_undefined;
}

/* A destination: a Buffer made by sockaddr(), or null/undefined for a connected socket. */
static int read_address(napi_env env, napi_value v, void **name, socklen_t *len) {
  void *data;
  size_t n;
  if (napi_get_buffer_info(env, v, &data, &n) == napi_ok) {
    if (n != sizeof(struct sockaddr_in) && n != sizeof(struct sockaddr_in6)) return -1;
    *name = data;
    *len = (socklen_t)n;
    return 0;
  }
  if (!is_nothing(env, v)) return -1;
  *name = NULL;
  *len = 0;
  return 0;
}

static ssize_t send_retrying(int fd, struct msghdr *msg) {
  ssize_t r;
  do r = sendmsg(fd, msg, MSG_DONTWAIT | MSG_NOSIGNAL);
  while (r < 0 && errno == EINTR);
  return r;
}

/* send(fd, head, payload | null, address | null) -> bytes sent, or -errno */
napi_value Send(napi_env env, napi_callback_info info) {
  napi_value argv[4];
  if (addon_args(env, info, 4, argv, "send(fd, head, payload, address)") != 0) return NULL;
  int32_t fd;
  if (napi_get_value_int32(env, argv[0], &fd) != napi_ok || fd < 0) return addon_fail(env, "fd must be a descriptor");
  struct iovec iov[2];
  int iovcnt = 0;
  void *data;
  size_t len;
  if (napi_get_buffer_info(env, argv[1], &data, &len) != napi_ok) return addon_fail(env, "head must be a Buffer");
  iov[iovcnt].iov_base = data;
  iov[iovcnt++].iov_len = len;
  if (napi_get_buffer_info(env, argv[2], &data, &len) == napi_ok) {
    iov[iovcnt].iov_base = data;
    iov[iovcnt++].iov_len = len;
  } else if (!is_nothing(env, argv[2])) {
    return addon_fail(env, "payload must be a Buffer or null");
  }
  struct msghdr msg;
  memset(&msg, 0, sizeof msg);
  if (read_address(env, argv[3], &msg.msg_name, &msg.msg_namelen) != 0)
    return addon_fail(env, "address must come from sockaddr() or be null");
  msg.msg_iov = iov;
  msg.msg_iovlen = (size_t)iovcnt;
  ssize_t r = send_retrying(fd, &msg);
  return addon_int(env, r < 0 ? -errno : (int32_t)r);
}

/* sendBatch(fd, datagrams: Buffer[], address | null) -> datagrams sent, or -errno if none was */
napi_value SendBatch(napi_env env, napi_callback_info info) {
  napi_value argv[3];
  if (addon_args(env, info, 3, argv, "sendBatch(fd, datagrams, address)") != 0) return NULL;
  int32_t fd;
  if (napi_get_value_int32(env, argv[0], &fd) != napi_ok || fd < 0) return addon_fail(env, "fd must be a descriptor");
  uint32_t count;
  if (napi_get_array_length(env, argv[1], &count) != napi_ok) return addon_fail(env, "datagrams must be an array");
  void *name;
  socklen_t namelen;
  if (read_address(env, argv[2], &name, &namelen) != 0) return addon_fail(env, "address must come from sockaddr() or be null");
  struct mmsghdr msgs[MAX_BATCH];
  struct iovec iov[MAX_BATCH];
  uint32_t done = 0;
  while (done < count) {
    uint32_t n = count - done < MAX_BATCH ? count - done : MAX_BATCH;
    memset(msgs, 0, sizeof(struct mmsghdr) * n);
    for (uint32_t i = 0; i < n; i++) {
      napi_value el;
      void *data;
      size_t len;
      if (napi_get_element(env, argv[1], done + i, &el) != napi_ok ||
          napi_get_buffer_info(env, el, &data, &len) != napi_ok)
        return addon_fail(env, "every datagram must be a Buffer");
      iov[i].iov_base = data;
      iov[i].iov_len = len;
      msgs[i].msg_hdr.msg_iov = &iov[i];
      msgs[i].msg_hdr.msg_iovlen = 1;
      msgs[i].msg_hdr.msg_name = name;
      msgs[i].msg_hdr.msg_namelen = namelen;
    }
    int r;
    do r = sendmmsg(fd, msgs, n, MSG_DONTWAIT | MSG_NOSIGNAL);
    while (r < 0 && errno == EINTR);
    if (r < 0) return addon_int(env, done > 0 ? (int32_t)done : -errno);
    done += (uint32_t)r;
    if ((uint32_t)r < n) break; /* the socket buffer filled up: the rest is dropped, as the kernel would */
  }
  return addon_int(env, (int32_t)done);
}

/* sockaddr(ip, port) -> Buffer holding a sockaddr_in or sockaddr_in6, or null for a bad address */
napi_value Sockaddr(napi_env env, napi_callback_info info) {
  napi_value argv[2];
  if (addon_args(env, info, 2, argv, "sockaddr(ip, port)") != 0) return NULL;
  char ip[INET6_ADDRSTRLEN + 1];
  size_t iplen;
  if (napi_get_value_string_utf8(env, argv[0], ip, sizeof ip, &iplen) != napi_ok) return addon_fail(env, "ip must be a string");
  int32_t port;
  if (napi_get_value_int32(env, argv[1], &port) != napi_ok) return addon_fail(env, "port must be a number");
  napi_value nothing;
  napi_get_null(env, &nothing);
  if (port < 0 || port > 65535 || iplen >= sizeof ip - 1) return nothing;
  void *data;
  napi_value buf;
  struct sockaddr_in v4;
  struct sockaddr_in6 v6;
  memset(&v4, 0, sizeof v4);
  memset(&v6, 0, sizeof v6);
  if (inet_pton(AF_INET, ip, &v4.sin_addr) == 1) {
    v4.sin_family = AF_INET;
    v4.sin_port = htons((uint16_t)port);
    if (napi_create_buffer_copy(env, sizeof v4, &v4, &data, &buf) != napi_ok) return NULL;
    return buf;
  }
  if (inet_pton(AF_INET6, ip, &v6.sin6_addr) == 1) {
    v6.sin6_family = AF_INET6;
    v6.sin6_port = htons((uint16_t)port);
    if (napi_create_buffer_copy(env, sizeof v6, &v6, &data, &buf) != napi_ok) return NULL;
    return buf;
  }
  return nothing;
}

/* ntop(bytes: 4- or 16-byte Buffer) -> the address as inet_ntop writes it (as dgram reports it) */
napi_value Ntop(napi_env env, napi_callback_info info) {
  napi_value argv[1];
  if (addon_args(env, info, 1, argv, "ntop(bytes)") != 0) return NULL;
  void *data;
  size_t n;
  if (napi_get_buffer_info(env, argv[0], &data, &n) != napi_ok || (n != 4 && n != 16))
    return addon_fail(env, "bytes must be a Buffer of 4 or 16 bytes");
  char text[INET6_ADDRSTRLEN];
  if (!inet_ntop(n == 4 ? AF_INET : AF_INET6, data, text, sizeof text)) return addon_fail(env, "unprintable address");
  napi_value out;
  napi_create_string_utf8(env, text, NAPI_AUTO_LENGTH, &out);
  return out;
}
