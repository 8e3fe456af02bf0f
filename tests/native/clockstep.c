/* An LD_PRELOAD library for the fault tests: the wall clock (CLOCK_REALTIME, gettimeofday,
 * time) runs at an offset read from the file named by $CLOCKSTEP_FILE (seconds, may be
 * negative), re-read every 20 ms. The monotonic clocks are left alone, as an NTP step leaves
 * them, so sleeps and timeouts keep working (libfaketime 0.9.10 breaks time.sleep when told
 * to leave monotonic time alone). Built by the tests with cc; never shipped. */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <fcntl.h>
#include <stdlib.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

typedef int (*clock_fn)(clockid_t, struct timespec *);
static clock_fn real_clock_gettime;
static volatile long long offset_ns;
static volatile long long last_read_ns = -1;

static long long parse(const char *s) {
    /* seconds with an optional fraction, e.g. -3600 or 12.5 */
    long long sign = 1, whole = 0, frac = 0, scale = 1000000000LL;
    if (*s == '-') { sign = -1; s++; } else if (*s == '+') { s++; }
    while (*s >= '0' && *s <= '9') whole = whole * 10 + (*s++ - '0');
    if (*s == '.') {
        s++;
        while (*s >= '0' && *s <= '9' && scale > 1) { scale /= 10; frac += (*s++ - '0') * scale; }
    }
    return sign * (whole * 1000000000LL + frac);
}

static void refresh(void) {
    if (!real_clock_gettime) real_clock_gettime = (clock_fn)dlsym(RTLD_NEXT, "clock_gettime");
    struct timespec m;
    real_clock_gettime(CLOCK_MONOTONIC, &m);
    long long now = m.tv_sec * 1000000000LL + m.tv_nsec;
    if (last_read_ns >= 0 && now - last_read_ns < 20000000LL) return;
    last_read_ns = now;
    const char *path = getenv("CLOCKSTEP_FILE");
    if (!path) return;
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) return;
    char buf[64];
    ssize_t n = read(fd, buf, sizeof buf - 1);
    close(fd);
    if (n <= 0) return;
    buf[n] = 0;
    offset_ns = parse(buf);
}

int clock_gettime(clockid_t clk, struct timespec *ts) {
    refresh();
    int r = real_clock_gettime(clk, ts);
    if (r == 0 && (clk == CLOCK_REALTIME || clk == CLOCK_REALTIME_COARSE)) {
        long long t = ts->tv_sec * 1000000000LL + ts->tv_nsec + offset_ns;
        ts->tv_sec = t / 1000000000LL;
        ts->tv_nsec = t % 1000000000LL;
        if (ts->tv_nsec < 0) { ts->tv_nsec += 1000000000LL; ts->tv_sec -= 1; }
    }
    return r;
}

int gettimeofday(struct timeval *tv, void *tz) {
    (void)tz;
    struct timespec ts;
    int r = clock_gettime(CLOCK_REALTIME, &ts);
    if (r == 0 && tv) { tv->tv_sec = ts.tv_sec; tv->tv_usec = ts.tv_nsec / 1000; }
    return r;
}

time_t time(time_t *out) {
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    if (out) *out = ts.tv_sec;
    return ts.tv_sec;
}
