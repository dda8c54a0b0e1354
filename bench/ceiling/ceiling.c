/* ceiling: what this machine itself can move over loopback, for bench/run's ratios.
 *
 *   ceiling sendfile   FILE        sendfile(2) of FILE (in the page cache) to a loopback
 *                                  socket; a reader process recv()s it into a 1 MiB buffer
 *                                  and drops it (what a download client does).
 *   ceiling recv-write FILE OUTDIR  a sender process sendfile()s FILE over loopback; this
 *                                  process recv()s into a 1 MiB buffer and write()s it to a
 *                                  new file in OUTDIR (tmpfs), as a copying STOR would.
 *   ceiling splice     FILE OUTDIR  the same, received with splice(2): socket -> pipe
 *                                  (1 MiB) -> file, no copy through user space.
 *
 * All on 127.0.0.1. Prints one JSON line: bytes, seconds (from accept to the last byte
 * delivered: the reader's exit, or the receiver's fsync-free close), MiB/s. Bounded: each
 * socket has a 60 s timeout. Not part of the tests.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/sendfile.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define BUF (1 << 20)

static double now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void die(const char *what) {
  fprintf(stderr, "ceiling: %s: %s\n", what, strerror(errno));
  exit(1);
}

static void timeouts(int fd) {
  struct timeval tv = {60, 0};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
}

static int listener(struct sockaddr_in *addr) {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) die("socket");
  memset(addr, 0, sizeof *addr);
  addr->sin_family = AF_INET;
  addr->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (bind(fd, (struct sockaddr *)addr, sizeof *addr) != 0) die("bind");
  socklen_t len = sizeof *addr;
  getsockname(fd, (struct sockaddr *)addr, &len);
  if (listen(fd, 1) != 0) die("listen");
  return fd;
}

static int connect_to(const struct sockaddr_in *addr) {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) die("socket");
  timeouts(fd);
  if (connect(fd, (const struct sockaddr *)addr, sizeof *addr) != 0) die("connect");
  return fd;
}

static void send_file(int sock, int file, off_t size) {
  off_t offset = 0;
  while (offset < size) {
    ssize_t n = sendfile(sock, file, &offset, (size_t)(size - offset));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) die("sendfile");
  }
}

int main(int argc, char **argv) {
  if (argc < 3) {
    fprintf(stderr, "usage: ceiling sendfile FILE | recv-write FILE OUTDIR | splice FILE OUTDIR\n");
    return 2;
  }
  const char *mode = argv[1];
  int file = open(argv[2], O_RDONLY);
  if (file < 0) die("open FILE");
  struct stat st;
  fstat(file, &st);
  const off_t size = st.st_size;
  signal(SIGPIPE, SIG_IGN);
  struct sockaddr_in addr;
  int lfd = listener(&addr);
  double start = 0, end = 0;
  long long moved = 0;

  if (strcmp(mode, "sendfile") == 0) {
    pid_t child = fork();
    if (child == 0) {
      int fd = connect_to(&addr);
      char *buf = malloc(BUF);
      for (;;) {
        ssize_t n = recv(fd, buf, BUF, 0);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) break;
      }
      _exit(0);
    }
    int fd = accept(lfd, NULL, NULL);
    if (fd < 0) die("accept");
    timeouts(fd);
    start = now();
    send_file(fd, file, size);
    close(fd);
    int status;
    waitpid(child, &status, 0);
    end = now();
    moved = size;
  } else if (argc >= 4 && (strcmp(mode, "recv-write") == 0 || strcmp(mode, "splice") == 0)) {
    char out_path[4096];
    snprintf(out_path, sizeof out_path, "%s/ceiling-%d.bin", argv[3], (int)getpid());
    pid_t child = fork();
    if (child == 0) {
      int fd = connect_to(&addr);
      send_file(fd, file, size);
      close(fd);
      _exit(0);
    }
    int fd = accept(lfd, NULL, NULL);
    if (fd < 0) die("accept");
    timeouts(fd);
    int out = open(out_path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    if (out < 0) die("open OUTDIR file");
    start = now();
    if (mode[0] == 'r') {
      char *buf = malloc(BUF);
      for (;;) {
        ssize_t n = recv(fd, buf, BUF, 0);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) die("recv");
        if (n == 0) break;
        for (ssize_t done = 0; done < n;) {
          ssize_t w = write(out, buf + done, (size_t)(n - done));
          if (w < 0 && errno == EINTR) continue;
          if (w <= 0) die("write");
          done += w;
        }
        moved += n;
      }
    } else {
      int pipefd[2];
      if (pipe(pipefd) != 0) die("pipe");
      fcntl(pipefd[1], F_SETPIPE_SZ, BUF);
      for (;;) {
        ssize_t n = splice(fd, NULL, pipefd[1], NULL, BUF, SPLICE_F_MOVE | SPLICE_F_MORE);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) die("splice in");
        if (n == 0) break;
        for (ssize_t done = 0; done < n;) {
          ssize_t w = splice(pipefd[0], NULL, out, NULL, (size_t)(n - done), SPLICE_F_MOVE | SPLICE_F_MORE);
          if (w < 0 && errno == EINTR) continue;
          if (w <= 0) die("splice out");
          done += w;
        }
        moved += n;
      }
    }
    close(out);
    end = now();
    close(fd);
    waitpid(child, NULL, 0);
    unlink(out_path);
  } else {
    fprintf(stderr, "ceiling: unknown mode %s\n", mode);
    return 2;
  }
  double seconds = end - start;
  printf("{\"mode\":\"%s\",\"bytes\":%lld,\"seconds\":%.4f,\"mib_s\":%.1f}\n", mode, moved, seconds,
         seconds > 0 ? (double)moved / (1 << 20) / seconds : 0.0);
  return moved == size ? 0 : 1;
}
