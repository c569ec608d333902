/*
 * Traffic generator for `npm run bench:media`: the far ends of N bridged calls, PCMU on one leg
 * and Opus on the other. It must cost little and the same per packet at any N, or the bench
 * measures the generator: so it is C, packets are pre-encoded (the driver hands it the payloads),
 * one socket per leg side carries every call, sends go out in one sendmmsg per tick and side,
 * it sleeps between ticks and then reads what arrived in recvmmsg batches with kernel receive
 * timestamps (SO_TIMESTAMPNS), and the
 * added latency is kernel receive time minus our send time, frame k out matched to frame k in.
 *
 * Driven over stdin/stdout, one line each:
 *   in:  payloads <file>          u32 n, n x (u16 len, bytes) PCMU; then the same for Opus
 *   in:  run <ms> <n> <a1> <b1> ...  n calls: endpoint a speaks PCMU, endpoint b speaks Opus
 *   out: ready <portA> <portB>    the ports the endpoints' SDP must name
 *   out: done                     the last frame's 20 ms are over (end of the traffic window)
 *   out: result <sent> <received> <p50> <p99> <max> <cpu_us> <window_us>   (latencies in ms)
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define SKIP_PACKETS 10 /* codec creation and latching, not steady state */
#define BATCH 256
#define MAX_PAYLOADS 1024
#define FRAME_NS 20000000LL

typedef struct { uint16_t len; uint8_t *data; } payload_t;

static payload_t mu[MAX_PAYLOADS], op[MAX_PAYLOADS];
static int n_mu, n_op;
static uint32_t next_seq;

static int64_t mono_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static int64_t real_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static int64_t cpu_us(void) {
  struct rusage ru;
  getrusage(RUSAGE_SELF, &ru);
  return (int64_t)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1000000LL + ru.ru_utime.tv_usec + ru.ru_stime.tv_usec;
}

static int open_socket(uint16_t *port) {
  int s = socket(AF_INET, SOCK_DGRAM, 0);
  int big = 8 << 20, on = 1;
  /* 20 ms of every call's packets wait in the buffer between reads: force past rmem_max if we may. */
  if (setsockopt(s, SOL_SOCKET, SO_RCVBUFFORCE, &big, sizeof big) != 0) setsockopt(s, SOL_SOCKET, SO_RCVBUF, &big, sizeof big);
  setsockopt(s, SOL_SOCKET, SO_SNDBUF, &big, sizeof big);
  setsockopt(s, SOL_SOCKET, SO_TIMESTAMPNS, &on, sizeof on);
  struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
  if (bind(s, (struct sockaddr *)&a, sizeof a) != 0) { perror("bind"); exit(1); }
  socklen_t l = sizeof a;
  getsockname(s, (struct sockaddr *)&a, &l);
  *port = ntohs(a.sin_port);
  return s;
}

static int read_payloads(FILE *f, payload_t *out) {
  uint32_t n;
  if (fread(&n, 4, 1, f) != 1 || n == 0 || n > MAX_PAYLOADS) return -1;
  for (uint32_t i = 0; i < n; i++) {
    if (fread(&out[i].len, 2, 1, f) != 1) return -1;
    out[i].data = malloc(out[i].len);
    if (fread(out[i].data, 1, out[i].len, f) != out[i].len) return -1;
  }
  return (int)n;
}

static int cmp_double(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return x < y ? -1 : x > y;
}

/* Per run: calls, ports, send times, receive counts and latencies. */
typedef struct {
  int n, frames;
  uint16_t *port_a, *port_b;
  uint8_t (*hdr)[2][12];
  int64_t *sent_at; /* [dir][call][frame], CLOCK_REALTIME ns */
  int *recv_count;  /* [dir][call] */
  int32_t *call_by_port[2];
  double *lat;
  size_t n_lat, received;
  double max_lat;
} run_t;

static void receive(run_t *r, int sock, int dir) {
  static uint8_t bufs[BATCH][1500];
  static uint8_t ctl[BATCH][CMSG_SPACE(sizeof(struct timespec))];
  static struct sockaddr_in from[BATCH];
  static struct iovec iov[BATCH];
  static struct mmsghdr msgs[BATCH];
  for (;;) {
    for (int i = 0; i < BATCH; i++) {
      iov[i] = (struct iovec){ bufs[i], sizeof bufs[i] };
      msgs[i].msg_hdr = (struct msghdr){ .msg_name = &from[i], .msg_namelen = sizeof from[i], .msg_iov = &iov[i], .msg_iovlen = 1, .msg_control = ctl[i], .msg_controllen = sizeof ctl[i] };
    }
    int got = recvmmsg(sock, msgs, BATCH, MSG_DONTWAIT, NULL);
    if (got <= 0) return;
    int64_t fallback = real_ns();
    for (int i = 0; i < got; i++) {
      if (msgs[i].msg_len < 12) continue;
      int32_t call = r->call_by_port[dir][ntohs(from[i].sin_port)];
      if (call < 0) continue;
      int64_t at = fallback;
      for (struct cmsghdr *c = CMSG_FIRSTHDR(&msgs[i].msg_hdr); c; c = CMSG_NXTHDR(&msgs[i].msg_hdr, c)) {
        if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SO_TIMESTAMPNS) {
          struct timespec ts;
          memcpy(&ts, CMSG_DATA(c), sizeof ts);
          at = (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
        }
      }
      int k = r->recv_count[dir * r->n + call]++;
      r->received++;
      int64_t sent = k < r->frames ? r->sent_at[((size_t)dir * r->n + call) * r->frames + k] : 0;
      /* More out than in so far (concealment after a loss) breaks the k-to-k match: no figure. */
      if (k >= SKIP_PACKETS && sent != 0 && at >= sent) {
        double ms = (at - sent) / 1e6;
        r->lat[r->n_lat++] = ms;
        if (ms > r->max_lat) r->max_lat = ms;
      }
    }
    if (got < BATCH) return;
  }
}

static void send_tick(run_t *r, int sock, int dir, int f, uint32_t seq) {
  static struct mmsghdr msgs[BATCH];
  static struct iovec iov[BATCH][2];
  static struct sockaddr_in to[BATCH];
  for (int base = 0; base < r->n; base += BATCH) {
    int m = r->n - base < BATCH ? r->n - base : BATCH;
    int64_t now = real_ns();
    for (int j = 0; j < m; j++) {
      int i = base + j;
      uint8_t *h = r->hdr[i][dir];
      const payload_t *p = dir == 0 ? &mu[f % n_mu] : &op[f % n_op];
      uint32_t ts = dir == 0 ? seq * 160 : seq * 960;
      h[2] = seq >> 8; h[3] = seq;
      h[4] = ts >> 24; h[5] = ts >> 16; h[6] = ts >> 8; h[7] = ts;
      iov[j][0] = (struct iovec){ h, 12 };
      iov[j][1] = (struct iovec){ p->data, p->len };
      to[j] = (struct sockaddr_in){ .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK), .sin_port = htons(dir == 0 ? r->port_a[i] : r->port_b[i]) };
      msgs[j].msg_hdr = (struct msghdr){ .msg_name = &to[j], .msg_namelen = sizeof to[j], .msg_iov = iov[j], .msg_iovlen = 2 };
      r->sent_at[((size_t)dir * r->n + i) * r->frames + f] = now;
    }
    for (int done = 0; done < m;) {
      int k = sendmmsg(sock, msgs + done, m - done, 0);
      if (k < 0) { if (errno == EINTR) continue; perror("sendmmsg"); break; }
      done += k;
    }
  }
}

/* Packets out on the PCMU side (sa -> endpoint a) come back transcoded on the Opus side (b -> sb): dir 0; the other way dir 1. */
static void run(int sa, int sb, int n, int frames, uint16_t *pa, uint16_t *pb) {
  run_t r = { .n = n, .frames = frames, .port_a = pa, .port_b = pb };
  r.hdr = calloc(n, sizeof *r.hdr);
  r.sent_at = calloc((size_t)2 * n * frames, sizeof(int64_t));
  r.recv_count = calloc((size_t)2 * n, sizeof(int));
  r.lat = malloc(sizeof(double) * ((size_t)2 * n * frames + 1));
  for (int d = 0; d < 2; d++) { r.call_by_port[d] = malloc(sizeof(int32_t) * 65536); memset(r.call_by_port[d], 0xff, sizeof(int32_t) * 65536); }
  for (int i = 0; i < n; i++) {
    r.call_by_port[1][pa[i]] = i; /* from endpoint a, arriving on sa: the Opus -> PCMU direction */
    r.call_by_port[0][pb[i]] = i;
    for (int d = 0; d < 2; d++) {
      uint8_t *h = r.hdr[i][d];
      uint32_t ssrc = (d == 0 ? 1000 : 5000) + i;
      h[0] = 0x80; h[1] = d == 0 ? 0 : 111;
      h[8] = ssrc >> 24; h[9] = ssrc >> 16; h[10] = ssrc >> 8; h[11] = ssrc;
    }
  }
  uint32_t seq0 = next_seq;
  next_seq += frames + 50; /* sequence and timestamps carry on across runs, as a real sender's do */
  int64_t cpu0 = cpu_us(), t0 = mono_ns();
  struct pollfd pfd[2] = { { sa, POLLIN, 0 }, { sb, POLLIN, 0 } };
  /*
   * Asleep between ticks, not waiting on the sockets: a process blocked in poll must be woken
   * for every packet, and on loopback that wake-up is charged to the sender's send call, i.e.
   * to the media server. The kernel stamps each packet on arrival, so reading them once per
   * tick loses nothing of the latency figure.
   */
  for (int f = 0; f < frames; f++) {
    receive(&r, sb, 0);
    receive(&r, sa, 1);
    send_tick(&r, sa, 0, f, seq0 + f);
    send_tick(&r, sb, 1, f, seq0 + f);
    int64_t next = t0 + (f + 1) * FRAME_NS;
    struct timespec at = { next / 1000000000LL, next % 1000000000LL };
    while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &at, NULL) == EINTR) {}
  }
  receive(&r, sb, 0);
  receive(&r, sa, 1);
  int64_t cpu = cpu_us() - cpu0, window = (mono_ns() - t0) / 1000;
  printf("done\n");
  fflush(stdout);
  /* Late packets still count toward loss and latency, for at most 500 ms. */
  size_t expected = (size_t)2 * n * frames;
  for (int64_t end = mono_ns() + 500000000LL, now = mono_ns(); now < end && r.received < expected; now = mono_ns()) {
    struct timespec wait = { 0, end - now < 20000000 ? end - now : 20000000 };
    if (ppoll(pfd, 2, &wait, NULL) > 0) {
      receive(&r, sb, 0);
      receive(&r, sa, 1);
    }
  }
  qsort(r.lat, r.n_lat, sizeof(double), cmp_double);
  double p50 = r.n_lat ? r.lat[r.n_lat / 2] : -1, p99 = r.n_lat ? r.lat[(size_t)(r.n_lat * 0.99)] : -1;
  printf("result %zu %zu %.3f %.3f %.3f %lld %lld\n", expected, r.received, p50, p99, r.n_lat ? r.max_lat : -1.0, (long long)cpu, (long long)window);
  fflush(stdout);
  free(r.hdr); free(r.sent_at); free(r.recv_count); free(r.lat); free(r.call_by_port[0]); free(r.call_by_port[1]);
}

int main(void) {
  uint16_t port_a, port_b;
  int sa = open_socket(&port_a), sb = open_socket(&port_b);
  printf("ready %u %u\n", port_a, port_b);
  fflush(stdout);
  char *line = NULL;
  size_t cap = 0;
  while (getline(&line, &cap, stdin) > 0) {
    if (strncmp(line, "payloads ", 9) == 0) {
      line[strcspn(line, "\n")] = 0;
      FILE *f = fopen(line + 9, "rb");
      if (!f || (n_mu = read_payloads(f, mu)) < 0 || (n_op = read_payloads(f, op)) < 0) { fprintf(stderr, "bad payload file\n"); return 1; }
      fclose(f);
    } else if (strncmp(line, "run ", 4) == 0) {
      char *p = line + 4;
      int ms = (int)strtol(p, &p, 10), n = (int)strtol(p, &p, 10);
      uint16_t *pa = calloc(n + 1, 2), *pb = calloc(n + 1, 2);
      for (int i = 0; i < n; i++) { pa[i] = (uint16_t)strtol(p, &p, 10); pb[i] = (uint16_t)strtol(p, &p, 10); }
      if (n_mu == 0 || n_op == 0) { fprintf(stderr, "no payloads\n"); return 1; }
      run(sa, sb, n, ms / 20, pa, pb);
      free(pa); free(pb);
    } else if (strncmp(line, "quit", 4) == 0) {
      break;
    }
  }
  return 0;
}
