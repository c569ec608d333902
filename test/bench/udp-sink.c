/*
 * A UDP sink for `hot-path-bench --net`: reads and counts datagrams (recvmmsg batches) so that the
 * bench's real sends land somewhere that keeps up, in another process whose CPU is not ours.
 * Prints "ready <port>" on start and the count when its stdin closes.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define BATCH 256

int main(void) {
  int fd = socket(AF_INET, SOCK_DGRAM, 0);
  int rcvbuf = 8 << 20;
  setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof rcvbuf);
  struct sockaddr_in a;
  memset(&a, 0, sizeof a);
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (bind(fd, (struct sockaddr *)&a, sizeof a) != 0) return 1;
  socklen_t len = sizeof a;
  getsockname(fd, (struct sockaddr *)&a, &len);
  printf("ready %d\n", ntohs(a.sin_port));
  fflush(stdout);
  static char bufs[BATCH][1500];
  struct mmsghdr msgs[BATCH];
  struct iovec iov[BATCH];
  long long count = 0;
  for (;;) {
    struct pollfd p[2] = {{fd, POLLIN, 0}, {0, POLLIN, 0}};
    poll(p, 2, -1);
    if (p[1].revents) {
      char c[64];
      if (read(0, c, sizeof c) <= 0) break;
    }
    if (!(p[0].revents & POLLIN)) continue;
    for (int i = 0; i < BATCH; i++) {
      iov[i].iov_base = bufs[i];
      iov[i].iov_len = sizeof bufs[i];
      memset(&msgs[i], 0, sizeof msgs[i]);
      msgs[i].msg_hdr.msg_iov = &iov[i];
      msgs[i].msg_hdr.msg_iovlen = 1;
    }
    int n = recvmmsg(fd, msgs, BATCH, MSG_DONTWAIT, NULL);
    if (n > 0) count += n;
  }
  printf("%lld\n", count);
  return 0;
}
