/* crypt_ceiling: how many SHA-512-crypt checks per second this machine can do, on 1 thread
 * and on 2 (the login ceiling: every benchmarked server checks one such hash per login).
 *
 *   crypt_ceiling [COUNT]     COUNT hashes (default 300) on 1 thread, then COUNT split over
 *                             2 threads; prints one JSON line per run and the speed-up.
 *
 * "300 clients connect + login" can be no faster than COUNT hashes on the cores the server
 * gets; if 2 threads are not 2x one (SMT siblings, a shared or throttled host), neither is
 * any server's login rate. Bounded by COUNT; not part of the tests.
 */
#define _GNU_SOURCE
#include <crypt.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* The hash of "bench" with the default 5000 rounds, the kind bench/run gives every server. */
static const char kHash[] =
    "$6$DnvNVr4l.ZlwBsvB$GLkZYeveD1hIr7YXQjGdo0WXzGcMEAboEPnx8SqCey.JF4kRHlG4G.3Ydhe/l3S/"
    "AFeeyk6InmN5aLLq6TVmK.";

struct job {
  int count;
  int failures;
};

static void* work(void* arg) {
  struct job* job = arg;
  struct crypt_data* data = calloc(1, sizeof *data);
  if (data == NULL) return NULL;
  for (int i = 0; i < job->count; ++i) {
    if (crypt_rn("not-the-password", kHash, data, (int)sizeof *data) == NULL) ++job->failures;
  }
  free(data);
  return NULL;
}

static double now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static double run(int threads, int count) {
  pthread_t ids[2];
  struct job jobs[2] = {{0, 0}, {0, 0}};
  const double start = now();
  for (int t = 0; t < threads; ++t) {
    jobs[t].count = count / threads + (t < count % threads ? 1 : 0);
    if (pthread_create(&ids[t], NULL, work, &jobs[t]) != 0) return -1;
  }
  for (int t = 0; t < threads; ++t) pthread_join(ids[t], NULL);
  const double seconds = now() - start;
  printf("{\"threads\": %d, \"hashes\": %d, \"seconds\": %.4f, \"per_second\": %.1f}\n", threads,
         count, seconds, count / seconds);
  return seconds;
}

int main(int argc, char** argv) {
  const int count = argc > 1 ? atoi(argv[1]) : 300;
  if (count <= 0 || count > 1000000) {
    fprintf(stderr, "usage: crypt_ceiling [COUNT (1..1000000)]\n");
    return 2;
  }
  const double one = run(1, count);
  const double two = run(2, count);
  if (one < 0 || two < 0) return 1;
  printf("{\"speedup_2_threads\": %.2f}\n", one / two);
  return 0;
}
