/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What the long-running selftests ("lanes") share:
 * their budget and seed from the environment, a reproducible random
 * generator, counters that survive the harness's fork per test, the
 * first and last lines every lane prints.
 *
 *   TOY_FUZZ_SEED  unsigned decimal; default: a fixed seed, so that make
 *                  check runs the same choices every time
 *   TOY_FUZZ_TIME  seconds of budget; default: the brief one of make check
 *
 * A lane prints first
 *   # seed=N time=Ss  reproduce: TOY_FUZZ_SEED=N TOY_FUZZ_TIME=S <command>
 * and at the end a summary line with its counts; on failure the seed and
 * the reproduce line again.  The random choices (which calls, which
 * arguments, which socket states) follow from the seed alone; the
 * interleavings that the scheduler picks do not, so a race may need a few
 * runs with its seed to show again.
 */
#ifndef _TOY_BUDGET_H
#define _TOY_BUDGET_H

#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <net/if.h>

#include "toy_lib.h"

struct lane_info {
	const char	*name;		/* the program, as run_tests.sh knows it */
	unsigned long	seed;
	double		time;		/* seconds of budget */
	double		brief_time;	/* the default */
};

static struct lane_info lane;

/*
 * Counters every test of the lane adds to, in memory shared across the
 * harness's fork per test; the program names them (lane_init()).
 */
#define LANE_COUNTERS	48

static long *lane_counters;
static const char * const *lane_counter_names;

/*
 * The knobs a run was given besides its seed and time: they belong to the
 * line that reproduces it, as does the kernel the VM booted.
 */
static const char * const lane_knobs[] = {
	"TOY_ONLY", "TOY_LOAD_CHURN", "TOY_FUZZ_CALLS", "TOY_FUZZ_STRICT",
	"TOY_TIMEOUT_SCALE",
};

/*
 * "TOY_FUZZ_SEED=N TOY_FUZZ_TIME=S [knobs] scripts/vm-run [--kernel
 * debug] -- @cmd" in @buf: the one way every lane says how to run it again.
 */
static inline const char *lane_reproduce(char *buf, size_t len,
					 unsigned long long seed, double time,
					 const char *cmd)
{
	const char *kernel = getenv("TOY_KERNEL");
	size_t i, n;

	n = snprintf(buf, len, "TOY_FUZZ_SEED=%llu TOY_FUZZ_TIME=%g ",
		     seed, time);
	for (i = 0; i < sizeof(lane_knobs) / sizeof(lane_knobs[0]); i++) {
		const char *v = getenv(lane_knobs[i]);

		if (v && *v && n < len)
			n += snprintf(buf + n, len - n, "%s=%s ",
				      lane_knobs[i], v);
	}
	if (n < len)
		snprintf(buf + n, len - n, "scripts/vm-run %s-- %s",
			 kernel && !strcmp(kernel, "debug") ?
			 "--kernel debug " : "", cmd);
	return buf;
}

static inline void lane_reproduce_line(FILE *f)
{
	char cmd[128], line[512];

	snprintf(cmd, sizeof(cmd), "selftests/run_tests.sh build/selftests %s",
		 lane.name);
	fprintf(f, "# seed=%lu time=%gs  reproduce: %s\n", lane.seed,
		lane.time, lane_reproduce(line, sizeof(line), lane.seed,
					  lane.time, cmd));
	fflush(f);
}

/*
 * Read the budget and the seed (@default_seed, @brief_time when unset),
 * print the first line, map the shared counters.
 */
static inline void lane_init(const char *name, unsigned long default_seed,
			     double brief_time, const char * const *counters)
{
	const char *s = getenv("TOY_FUZZ_SEED"), *t = getenv("TOY_FUZZ_TIME");

	lane.name = name;
	lane.seed = s && *s ? strtoul(s, NULL, 10) : default_seed;
	lane.brief_time = brief_time;
	lane.time = t && *t ? atof(t) : brief_time;
	if (lane.time <= 0)
		lane.time = brief_time;
	lane_counter_names = counters;
	lane_reproduce_line(stdout);
	lane_counters = mmap(NULL, sizeof(*lane_counters) * LANE_COUNTERS,
			     PROT_READ | PROT_WRITE,
			     MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (lane_counters == MAP_FAILED) {
		perror("mmap");
		exit(1);
	}
	memset(lane_counters, 0, sizeof(*lane_counters) * LANE_COUNTERS);
}

/* A longer run than make check's (TOY_FUZZ_TIME above the default). */
static inline int lane_long(void)
{
	return lane.time > lane.brief_time;
}

/* @frac of the budget, in seconds. */
static inline double lane_budget(double frac)
{
	return lane.time * frac;
}

/* Add @n to counter @id (an index into the names lane_init() got). */
static inline void lane_count(int id, long n)
{
	__atomic_add_fetch(&lane_counters[id], n, __ATOMIC_RELAXED);
}

static inline long lane_counter(int id)
{
	return __atomic_load_n(&lane_counters[id], __ATOMIC_RELAXED);
}

/* The summary: "# <lane>: <verdict> name=val name=val ..." */
static inline void lane_summary(const char *verdict)
{
	int i;

	printf("# %s: %s", lane.name, verdict);
	for (i = 0; i < LANE_COUNTERS && lane_counter_names[i]; i++)
		printf(" %s=%ld", lane_counter_names[i], lane_counter(i));
	printf("\n");
	fflush(stdout);
}

/*
 * TOY_ONLY=name[,name...] runs only those tests of the lane (the harness
 * of this kernel has no filter of its own; toy_hostile reads it too).
 */
static inline int lane_selected(const char *test)
{
	const char *only = getenv("TOY_ONLY"), *p;
	size_t len = strlen(test);

	if (!only || !*only)
		return 1;
	for (p = only; (p = strstr(p, test)); p += len)
		if ((p == only || p[-1] == ',') && (p[len] == ',' || !p[len]))
			return 1;
	return 0;
}

/* splitmix64: small, fast, and every seed is a good one. */
struct lane_rng {
	uint64_t	s;
};

static inline uint64_t lane_mix(uint64_t z)
{
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

/* A generator for one purpose: the seed, then a path of numbers. */
static inline struct lane_rng lane_rng_for(uint64_t a, uint64_t b, uint64_t c)
{
	struct lane_rng r;

	r.s = lane_mix(lane_mix(lane_mix(lane.seed + 0x9e3779b97f4a7c15ULL) ^
				a) ^ (b << 20)) ^ c;
	return r;
}

static inline uint64_t lane_rand(struct lane_rng *r)
{
	r->s += 0x9e3779b97f4a7c15ULL;
	return lane_mix(r->s);
}

/* Uniform in [0, n). */
static inline uint32_t lane_below(struct lane_rng *r, uint32_t n)
{
	return n ? (uint32_t)(((lane_rand(r) >> 32) * n) >> 32) : 0;
}

/*
 * Run the kselftest harness in a child, then, in this process: wait for
 * the live-object counters to reach zero (bounded), print the summary,
 * and on failure the seed and the reproduce line again.  Returns the
 * exit status.
 */
static inline int lane_run_harness(int (*harness)(int, char **), int argc,
				   char **argv)
{
	int status, rc, live;
	pid_t pid;

	fflush(stdout);
	fflush(stderr);
	pid = fork();
	if (pid < 0) {
		perror("fork");
		return 1;
	}
	if (!pid)
		_exit(harness(argc, argv));
	while (waitpid(pid, &status, 0) < 0)
		;
	rc = WIFEXITED(status) ? WEXITSTATUS(status) : 1;
	live = toy_live_wait_zero(30);
	if (live)
		printf("# %s: live objects left after the lane\n", lane.name);
	lane_summary(rc || live ? "FAIL" : "ok");
	if (rc || live) {
		lane_reproduce_line(stdout);
		return rc ? rc : 1;
	}
	return 0;
}

/*
 * TEST_HARNESS_MAIN, with the lane's first and last lines around it:
 * lane_init() with the lane's @name, default seed, brief time and
 * counter names, then lane_run_harness().
 */
#define LANE_HARNESS_MAIN(name, seed, brief_time, counters)		\
	static void __attribute__((constructor))			\
	__constructor_order_last(void)					\
	{								\
		if (!__constructor_order)				\
			__constructor_order = _CONSTRUCTOR_ORDER_BACKWARD; \
	}								\
									\
	int main(int argc, char **argv)					\
	{								\
		lane_init(name, seed, brief_time, counters);		\
		return lane_run_harness(test_harness_run, argc, argv);	\
	}

#endif /* _TOY_BUDGET_H */
