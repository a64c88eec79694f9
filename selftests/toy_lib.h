/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Helpers shared by the AF_TOY C selftests: the family number the loaded
 * module registered, its live-object counters and statistics, its debugfs
 * lookup, and timeouts scaled for emulation (TOY_TIMEOUT_SCALE, set by
 * run_tests.sh).
 */
#ifndef _TOY_LIB_H
#define _TOY_LIB_H

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <netinet/in.h>
#include <linux/toy.h>

static const char * const toy_live_kinds[] = {
	"sockets", "requests", "timewait", "timers", "buckets",
};

#define TOY_LIVE_KINDS (sizeof(toy_live_kinds) / sizeof(toy_live_kinds[0]))

static inline long toy_read_long(const char *path)
{
	long val = -1;
	FILE *f = fopen(path, "r");

	if (!f)
		return -1;
	if (fscanf(f, "%ld", &val) != 1)
		val = -1;
	fclose(f);
	return val;
}

/* Write @val to the file at @path (a sysctl, a cgroup file); 0 or -errno. */
static inline int toy_write_file(const char *path, const char *val)
{
	int fd = open(path, O_WRONLY), err = 0;

	if (fd < 0)
		return -errno;
	if (write(fd, val, strlen(val)) < 0)
		err = -errno;
	close(fd);
	return err;
}

/* The family the module registered (module parameter "family"). */
static inline int toy_af(void)
{
	long af = toy_read_long("/sys/module/toy/parameters/family");

	return af > 0 ? (int)af : AF_TOY;
}

#define TOY_AF toy_af()

/*
 * Every test gets ten minutes, not the harness's 30 s: under TCG, on the
 * debug kernel (KASAN, lockdep, kmemleak) or beside a second VM, a test
 * that takes seconds on hardware may take minutes.  A hung test is still
 * caught: run_tests.sh bounds each whole program (settings, scaled).
 * TEST() and TEST_F() read the default where they are used, so this
 * redefinition, after kselftest_harness.h, applies to every test below.
 */
#ifdef TEST_TIMEOUT_DEFAULT
#undef TEST_TIMEOUT_DEFAULT
#define TEST_TIMEOUT_DEFAULT 600
#endif

/* One live-object counter, or -1 if the module is not loaded. */
static inline long toy_live(const char *kind)
{
	char path[128];

	snprintf(path, sizeof(path), "/sys/module/toy/live/%s", kind);
	return toy_read_long(path);
}

static inline double toy_timeout_scale(void)
{
	const char *s = getenv("TOY_TIMEOUT_SCALE");
	double v = s ? atof(s) : 1.0;

	return v > 0 ? v : 1.0;
}

static inline double toy_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/*
 * Wait until the counter @kind reads @want (freeing may wait for an RCU
 * grace period); returns its last value, after at most @secs (scaled).
 */
static inline long toy_live_wait(const char *kind, long want, double secs)
{
	double end = toy_now() + secs * toy_timeout_scale();
	long v;

	while ((v = toy_live(kind)) != want && toy_now() < end)
		usleep(10000);
	return v;
}

/*
 * Wait until every live-object counter reads zero (freeing may be deferred
 * to RCU or a timer).  Returns 0, or -1 after @secs (scaled) with the
 * counters printed on stderr.
 */
static inline int toy_live_wait_zero(double secs)
{
	double end = toy_now() + secs * toy_timeout_scale();
	unsigned int i;
	long total;

	for (;;) {
		total = 0;
		for (i = 0; i < TOY_LIVE_KINDS; i++)
			total += labs(toy_live(toy_live_kinds[i]));
		if (!total)
			return 0;
		if (toy_now() > end)
			break;
		usleep(10000);
	}
	for (i = 0; i < TOY_LIVE_KINDS; i++)
		fprintf(stderr, "# live %s: %ld\n", toy_live_kinds[i],
			toy_live(toy_live_kinds[i]));
	return -1;
}

/*
 * The "sockets" column of /proc/net/protocols for the protocol @name
 * ("TOY" or "TOY-DGRAM"): the count in the caller's network namespace.
 */
static inline long toy_proto_sockets(const char *name)
{
	char line[512], pname[64];
	long size, socks = -1;
	FILE *f = fopen("/proc/net/protocols", "r");

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, "%63s %ld %ld", pname, &size, &socks) == 3 &&
		    !strcmp(pname, name))
			break;
		socks = -1;
	}
	fclose(f);
	return socks;
}

/*
 * The counter @name of a pair of lines of names and of values ("Toy:
 * InSegs ..." then "Toy: 12 ..."), as /proc/net/toy_stat and
 * /proc/net/snmp have them; -1 when it is not there.  Tokenizes both.
 */
static inline long toy_counter_in(char *names, char *values, const char *name)
{
	char *n, *v, *sn, *sv;

	n = strtok_r(names, " \n", &sn);
	v = strtok_r(values, " \n", &sv);
	while (n && v) {
		if (!strcmp(n, name))
			return atol(v);
		n = strtok_r(NULL, " \n", &sn);
		v = strtok_r(NULL, " \n", &sv);
	}
	return -1;
}

/* A counter of /proc/net/toy_stat ("Toy: names" / "Toy: values"). */
static inline long toy_stat(const char *name)
{
	char names[1024], values[1024];
	long val = -1;
	FILE *f = fopen("/proc/net/toy_stat", "r");

	if (!f)
		return -1;
	if (fgets(names, sizeof(names), f) && fgets(values, sizeof(values), f))
		val = toy_counter_in(names, values, name);
	fclose(f);
	return val;
}

/*
 * Wait until counter @name of /proc/net/toy_stat reaches @want; returns
 * its last value, after at most @secs (scaled).
 */
static inline long toy_stat_wait(const char *name, long want, double secs)
{
	double end = toy_now() + secs * toy_timeout_scale();
	long v;

	while ((v = toy_stat(name)) < want && toy_now() < end)
		usleep(10000);
	return v;
}

/* A counter of the @group lines ("Ip:", "Icmp:") of /proc/net/snmp. */
static inline long toy_snmp(const char *group, const char *name)
{
	char names[2048], values[2048];
	long val = -1;
	FILE *f = fopen("/proc/net/snmp", "r");

	if (!f)
		return -1;
	while (fgets(names, sizeof(names), f)) {
		if (strncmp(names, group, strlen(group)) ||
		    !fgets(values, sizeof(values), f))
			continue;
		val = toy_counter_in(names, values, name);
		break;
	}
	fclose(f);
	return val;
}

/* The inode of the socket behind @fd (what lookup() answers), or -1. */
static inline long fd_ino(int fd)
{
	struct stat st;

	return fstat(fd, &st) ? -1 : (long)st.st_ino;
}

#define TOY_LOOKUP_PATH	"/sys/kernel/debug/toy/lookup"

/*
 * Ask the receive path who gets a segment: "stream A:P B:Q [DEVICE]"
 * (printf-style), as the module's debugfs file answers it (debugfs
 * mounted first if it is not).  The receiving socket's inode, 0 for
 * none, -errno on error.
 */
__attribute__((format(printf, 1, 2)))
static inline long lookup(const char *fmt, ...)
{
	char req[128], ans[128];
	unsigned long ino;
	va_list ap;
	ssize_t n;
	int fd;

	va_start(ap, fmt);
	vsnprintf(req, sizeof(req), fmt, ap);
	va_end(ap);
	if (access(TOY_LOOKUP_PATH, F_OK))
		mount("debugfs", "/sys/kernel/debug", "debugfs", 0, NULL);
	fd = open(TOY_LOOKUP_PATH, O_RDWR);
	if (fd < 0)
		return -errno;
	if (write(fd, req, strlen(req)) < 0) {
		n = -errno;
		close(fd);
		return n;
	}
	n = pread(fd, ans, sizeof(ans) - 1, 0);
	close(fd);
	if (n <= 0)
		return -EIO;
	ans[n] = '\0';
	if (!strncmp(ans, "none", 4))
		return 0;
	if (sscanf(ans, "ino=%lu", &ino) != 1)
		return -EIO;
	return ino;
}

#endif /* _TOY_LIB_H */
