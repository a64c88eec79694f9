// SPDX-License-Identifier: GPL-2.0
/*
 * toy_fuzz_sys - a syscall fuzzer for AF_TOY sockets, in the manner of
 * syzkaller, that knows one family well.
 *
 * What it does.  Two worker processes of four threads each make seeded
 * random socket calls on AF_TOY descriptors: socket() with every type,
 * protocol and flag; bind()/connect() to addresses from a small pool
 * (127.0.0.1, 0.0.0.0, the ports other threads bound or listen on, ports
 * 0, privileged and random, wrong families, lengths from 0 to beyond
 * sockaddr_storage, connect(AF_UNSPEC)); listen() with any backlog;
 * accept4(); send/sendto/sendmsg/sendmmsg/write/writev/sendfile and
 * recv/recvfrom/recvmsg/recvmmsg/read/readv/splice with boundary
 * lengths, every MSG_ flag and random ones, many and empty iovecs,
 * random names and control messages (bad cmsg_len too);
 * setsockopt/getsockopt at SOL_SOCKET, SOL_TOY, SOL_IP and random levels
 * with odd lengths and boundary values; ioctls; poll/ppoll/epoll;
 * shutdown with any "how"; getsockname/getpeername; close, dup/dup2/dup3
 * over another thread's descriptor, fcntl; and, meanwhile, reads of
 * /proc/net/toy* and questions to /sys/kernel/debug/toy/lookup.  The
 * threads of a process share one table of descriptors and close and
 * replace its entries at random, so calls race on the same sockets; the
 * two processes share the sockets made before they forked and pass
 * others to each other (SCM_RIGHTS); short lived forked children use the
 * table too and exit with it open.  Now and then a thread makes a
 * loopback connection that really carries data (listener, connect,
 * accept, bytes each way), a datagram pair, a socket connected to
 * itself, or a burst of connections to a listener with a tiny backlog,
 * so every state is reached; and a child enters a network namespace of
 * its own, makes connected sockets there, hands them over and exits,
 * leaving sockets alive in a namespace with no process.  All of it runs
 * in a fresh namespace (lo, and a silent destination: toy_net.h) with
 * short protocol timers, so nothing outlives the run for long.
 *
 * Why this and not trinity: a focused fuzzer knows sockaddr_toy, SOL_TOY
 * and the options and ioctls AF_TOY implements, so most of its calls get
 * past the argument checks into the module; it can count exactly which
 * calls reached AF_TOY; and it builds with the other selftests, where
 * trinity would need a source package build and a patch to know the
 * family at all.
 *
 * What "reached AF_TOY" means.  A call reached AF_TOY when it was made
 * on a descriptor taken from the table (every descriptor in it is an
 * AF_TOY socket: the workers open nothing else once they run) or was
 * socket(AF_TOY, ...), and the socket layer did not turn it away first:
 * it did not fail with EBADF or ENOTSOCK (the descriptor was closed
 * meanwhile), nor with the error the socket layer gives the arguments
 * we chose before the family sees them (an address length outside
 * 0..sizeof(sockaddr_storage), a bad address pointer it copies, more
 * than UIO_MAXIOV iovecs, MSG_CMSG_COMPAT, a control buffer it will not
 * copy, a negative optlen, an invalid socket type or accept4 flag).
 * SOL_SOCKET options count: they act on the AF_TOY socket; so do reads
 * of the module's /proc/net files and its debugfs lookup, which only
 * AF_TOY answers.  Calls on
 * the descriptor rather than the socket (close, dup*, fcntl, FIONBIO,
 * FIOASYNC, epoll_wait) and the calls on the Unix socket that passes
 * descriptors never count as reaching it.  "ok" counts the calls that
 * reached AF_TOY and succeeded.  The two timeouts every new socket gets
 * (below) and the drain of the splice pipe are not counted as calls.
 *
 * Nothing blocks for ever: every socket gets SO_RCVTIMEO and SO_SNDTIMEO
 * (20-300 ms) before it enters the table, option values that would
 * remove them or make close() linger long are never set, poll and epoll
 * wait a few ms, and a watchdog (the parent process) interrupts any call
 * that takes more than 5 s with a signal (the counts say how many were
 * interrupted).  A call still running 30 s later is a hang, and fails
 * the run with its kernel stack.  At the end of the budget the workers
 * are told to stop, and killed if they do not within 10 s (a failure).
 * All timeouts scale with TOY_TIMEOUT_SCALE.
 *
 * The verdict.  After the workers are gone, the live-object counters
 * (/sys/module/toy/live/) must return to zero within 30 s and the
 * kernel's taint may not change beyond the O and E bits (as vm-run
 * judges it).  A few answers are checked as they come, where every
 * AF_TOY socket must give the same one whatever the race: SOL_TOY
 * options refuse an optlen shorter than an int and answer at most an
 * int; an address AF_TOY returns is a sockaddr_toy of its family; no
 * send or receive moves more bytes than asked.  The run proves it
 * exercised the module: at least half of the calls must have reached
 * AF_TOY, and at least one accepted connection must have carried data
 * from its client intact.
 *
 * Environment: TOY_FUZZ_SEED (default 4242: make check's fixed seed),
 * TOY_FUZZ_TIME (seconds of fuzzing, default 25: the whole program then
 * takes about 30 s under TCG), TOY_FUZZ_CALLS (stop after that many
 * calls; default no limit), TOY_FUZZ_VERBOSE=1 (also print, per call,
 * the errnos of those that reached AF_TOY and failed).  The seed fixes
 * each thread's sequence of choices; the interleaving of the threads is
 * the scheduler's, so a race may need the same seed a few times or a
 * longer budget.
 *
 * Reproduce a failure:
 *   TOY_FUZZ_SEED=N TOY_FUZZ_TIME=S scripts/vm-run -- build/selftests/toy_fuzz_sys
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/sendfile.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <net/if.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <linux/filter.h>
#include <linux/sockios.h>
#include <linux/toy.h>

#include "toy_budget.h"
#include "toy_lib.h"
#include "toy_net.h"

#define NPROC		2	/* worker processes */
#define NTHREAD		4	/* threads in each */
#define NSLOTS		48	/* the descriptor table of a process */
#define NPORTS		32	/* ports recently bound or listened on */
#define NBEATS		64	/* threads and children the watchdog sees */
#define BUFSZ		(1 << 20)	/* each thread's data buffer */
#define MAXIOV		1100	/* iovecs: more than UIO_MAXIOV (1024) */
#define NMSG		4	/* messages of one sendmmsg/recvmmsg */
#define FORK_CALLS	64	/* operations a forked child makes */
#define NETNS_GAP	2.0	/* seconds between namespace children */

#define NERRNO		134	/* errno values counted one by one */
#define DEFAULT_SEED	4242
#define DEFAULT_TIME	25
#define STUCK_SECS	5	/* a call this long is interrupted */
#define HANG_SECS	30	/* and one this long is a hang */
#define GRACE_SECS	10	/* for the workers to stop */
#define LIVE_SECS	30	/* for the live-object counters to drain */
#define LATE_SECS	120	/* and, after a failure, to see if they do */

#ifndef SO_RCVTIMEO_NEW
#define SO_RCVTIMEO_NEW	66
#define SO_SNDTIMEO_NEW	67
#endif
#ifndef SO_ATTACH_REUSEPORT_CBPF
#define SO_ATTACH_REUSEPORT_CBPF 51
#endif
#ifndef MSG_PROBE
#define MSG_PROBE	0x10	/* the kernel's; glibc does not name it */
#endif
#ifndef MSG_CMSG_COMPAT
#define MSG_CMSG_COMPAT	0x80000000
#endif
#ifndef SOL_TCP
#define SOL_TCP		6
#define SOL_UDP		17
#endif
#ifndef SIOCGSTAMP_NEW
#define SIOCGSTAMP_NEW	_IOR(0x89, 0x06, long long[2])
#define SIOCGSTAMPNS_NEW _IOR(0x89, 0x07, long long[2])
#endif

#define ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))

/* The calls we count, by name. */
#define SYSCALLS(X)							\
	X(socket) X(bind) X(connect) X(listen) X(accept4)		\
	X(send) X(sendto) X(sendmsg) X(sendmmsg) X(write) X(writev)	\
	X(sendfile) X(recv) X(recvfrom) X(recvmsg) X(recvmmsg) X(read)	\
	X(readv) X(splice) X(setsockopt) X(getsockopt) X(ioctl)		\
	X(poll) X(ppoll) X(epoll_ctl) X(epoll_wait) X(shutdown)		\
	X(getsockname) X(getpeername) X(close) X(dup) X(dup2) X(dup3)	\
	X(fcntl) X(fork) X(unshare) X(unix_sendmsg) X(unix_recvmsg)	\
	X(proc_read) X(lookup_write) X(lookup_read)

#define SC_ENUM(n) SC_##n,
#define SC_NAME(n) #n,
enum { SYSCALLS(SC_ENUM) SC_MAX };
static const char * const sc_names[] = { SYSCALLS(SC_NAME) };

struct tally {
	unsigned long calls, reached, ok;
};

/* What the watchdog knows of a thread: the call it is in, since when. */
struct beat {
	int tid;		/* 0: free */
	int pid;
	int sc;			/* -1: between calls */
	int signalled;
	long long since;	/* ns, CLOCK_MONOTONIC */
};

/* Shared by every process of the run (MAP_SHARED). */
struct shared {
	int stop;
	int failed;
	int netns_ready;		/* the fuzzing namespace exists */
	char why[512];
	long long deadline;		/* ns */
	unsigned long limit;		/* TOY_FUZZ_CALLS; 0: none */
	unsigned long total;
	struct tally tally[SC_MAX];
	unsigned long errnos[SC_MAX][NERRNO];	/* of calls that reached */
	/* What shows the module was exercised. */
	unsigned long connected, accepted, pairs, dgram_pairs, rx_bytes;
	unsigned long forks, fork_exits, netns, passed, adopted;
	unsigned long interrupted, workers_done;
	int ports[NPORTS];
	unsigned int port_next;
	long long last_netns;
	struct beat beats[NBEATS];
};

static struct shared *sh;
static unsigned long long seed;
static int fuzz_time;
static int af;			/* the module's family number */
static int ipproto;		/* and its IP protocol */
static int unix_pair[2];	/* SCM_RIGHTS between all processes */
static in_addr_t ip_pool[13];

/* Per worker process: the descriptor table and a few helper files. */
struct slot {
	int fd;
	int type;
};
static struct slot table[NSLOTS];
static int hot_slot;
static int epfd = -1, memfd = -1, pipefd[2] = { -1, -1 };
static const char * const proc_files[] = {
	"/proc/net/toy", "/proc/net/toy_dgram", "/proc/net/toy_stat",
	"/proc/net/toy_sockstat", "/proc/net/protocols",
};
static int procfd[ARRAY_SIZE(proc_files)], lookupfd = -1;

/* Per thread (and per forked child): the generator and buffers. */
struct fz {
	uint64_t rng;
	int proc, thread, depth, beat;
	int focus;		/* the slot target() favours */
	char *buf;		/* BUFSZ bytes, then a page that faults */
	char *bad;		/* that page */
	struct iovec iov[MAXIOV];
	struct iovec small_iov[NMSG][8];
	struct mmsghdr mm[NMSG];
	struct {
		struct sockaddr_storage ss;
		char pad[128];
	} name[NMSG];
	char ctl[NMSG][512];
	char opt[4096];
	socklen_t optlen;
	struct epoll_event ev[8];
};

/* A descriptor to call on, and whether it is one of the table's. */
struct target {
	int fd;
	int type;
	bool toy;
};

static long long now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static void add(unsigned long *counter, unsigned long n)
{
	__atomic_fetch_add(counter, n, __ATOMIC_RELAXED);
}

static void fail(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void fail(const char *fmt, ...)
{
	va_list ap;

	if (__atomic_exchange_n(&sh->failed, 1, __ATOMIC_SEQ_CST)) {
		va_start(ap, fmt);
		printf("# failure: ");
		vprintf(fmt, ap);
		printf("\n");
		va_end(ap);
		return;
	}
	va_start(ap, fmt);
	vsnprintf(sh->why, sizeof(sh->why), fmt, ap);
	va_end(ap);
	__atomic_store_n(&sh->stop, 1, __ATOMIC_SEQ_CST);
	printf("# failure: %s\n", sh->why);
	fflush(stdout);
}

/*
 * An answer that no arguments can explain (the oracles below check only
 * what holds for every AF_TOY socket, whichever the descriptor names by
 * the time the call runs).
 */
#define wrong(fmt, ...)	fail("wrong answer: " fmt, ##__VA_ARGS__)

/* ---------------------------------------------------------------------
 * The generator: splitmix64, one stream per thread, derived from the seed.
 */

static uint64_t splitmix(uint64_t *x)
{
	uint64_t z = (*x += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static uint64_t rnd(struct fz *f)
{
	return splitmix(&f->rng);
}

static unsigned int below(struct fz *f, unsigned int n)
{
	return n ? rnd(f) % n : 0;
}

static bool chance(struct fz *f, unsigned int percent)
{
	return below(f, 100) < percent;
}

#define ONE_OF(f, a)	((a)[below(f, ARRAY_SIZE(a))])

static const int boundary_ints[] = {
	0, 1, -1, 2, 3, 4, 7, 8, 16, 127, 128, 255, 256, 1024, 4096, 32767,
	32768, 65535, 65536, 1 << 20, INT_MAX, INT_MAX - 1, INT_MIN,
};

static int gen_int(struct fz *f)
{
	return chance(f, 75) ? ONE_OF(f, boundary_ints) : (int)rnd(f);
}

/* ---------------------------------------------------------------------
 * Counting calls, and the watchdog's view of them.
 */

static void beat_enter(struct fz *f, int sc)
{
	struct beat *b;

	if (f->beat < 0)
		return;
	b = &sh->beats[f->beat];
	__atomic_store_n(&b->since, now_ns(), __ATOMIC_RELAXED);
	__atomic_store_n(&b->signalled, 0, __ATOMIC_RELAXED);
	__atomic_store_n(&b->sc, sc, __ATOMIC_RELEASE);
}

static void beat_leave(struct fz *f)
{
	if (f->beat >= 0)
		__atomic_store_n(&sh->beats[f->beat].sc, -1, __ATOMIC_RELEASE);
}

static int beat_claim(void)
{
	int i, zero, tid = syscall(SYS_gettid);

	for (i = 0; i < NBEATS; i++) {
		zero = 0;
		if (__atomic_compare_exchange_n(&sh->beats[i].tid, &zero, tid,
						false, __ATOMIC_SEQ_CST,
						__ATOMIC_SEQ_CST)) {
			sh->beats[i].pid = getpid();
			sh->beats[i].sc = -1;
			return i;
		}
	}
	return -1;
}

static void beat_release(struct fz *f)
{
	if (f->beat >= 0)
		__atomic_store_n(&sh->beats[f->beat].tid, 0, __ATOMIC_SEQ_CST);
	f->beat = -1;
}

/*
 * Count one call (see the header for "reached"): @toy says it was aimed
 * at AF_TOY, @pre is the errno the socket layer gives our arguments
 * before AF_TOY sees them, 0 if none.  Keeps errno.
 */
static long account(int sc, bool toy, int pre, long ret)
{
	int err = ret < 0 ? errno : 0;
	struct tally *t = &sh->tally[sc];

	add(&t->calls, 1);
	add(&sh->total, 1);
	if (toy && err != EBADF && err != ENOTSOCK && !(pre && err == pre)) {
		add(&t->reached, 1);
		if (ret >= 0)
			add(&t->ok, 1);
		else
			add(&sh->errnos[sc][err < NERRNO ? err : 0], 1);
	}
	if (err == EINTR)
		add(&sh->interrupted, 1);
	errno = err;
	return ret;
}

#define CALL(f, sc, toy, pre, expr) ({					\
	long __ret;							\
	beat_enter(f, SC_##sc);						\
	__ret = (long)(expr);						\
	beat_leave(f);							\
	account(SC_##sc, toy, pre, __ret);				\
})

static bool stopping(void)
{
	return __atomic_load_n(&sh->stop, __ATOMIC_RELAXED) ||
	       (sh->limit && __atomic_load_n(&sh->total, __ATOMIC_RELAXED) >=
			     sh->limit) ||
	       now_ns() > sh->deadline;
}

/* ---------------------------------------------------------------------
 * The descriptor table a process's threads share.
 */

/* Both timeouts of @fd, in ms (not counted: this is no fuzzing). */
static void wait_at_most(int fd, int rcv_ms, int snd_ms)
{
	struct timeval tv = { rcv_ms / 1000, rcv_ms % 1000 * 1000 };

	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	tv = (struct timeval){ snd_ms / 1000, snd_ms % 1000 * 1000 };
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
}

/* Bounded blocking for every socket before the table gets it. */
static void set_timeouts(struct fz *f, int fd)
{
	wait_at_most(fd, 20 + below(f, 280), 20 + below(f, 280));
}

static void table_init(void)
{
	int i;

	for (i = 0; i < NSLOTS; i++)
		table[i].fd = -1;
}

static int population(void)
{
	int i, n = 0;

	for (i = 0; i < NSLOTS; i++)
		n += __atomic_load_n(&table[i].fd, __ATOMIC_RELAXED) >= 0;
	return n;
}

/* Put @fd in a random slot; whatever was there is closed. */
static void slot_put(struct fz *f, int fd, int type)
{
	int i = below(f, NSLOTS), old;

	if (chance(f, 30))
		f->focus = i;	/* what we just made, we use */
	__atomic_store_n(&table[i].type, type, __ATOMIC_RELAXED);
	old = __atomic_exchange_n(&table[i].fd, fd, __ATOMIC_SEQ_CST);
	if (old >= 0)
		CALL(f, close, false, 0, close(old));
}

/* Take a descriptor out of the table (to close it); -1 if none found. */
static int slot_take(struct fz *f)
{
	int i, n, fd;

	for (n = 0; n < 8; n++) {
		i = below(f, NSLOTS);
		fd = __atomic_exchange_n(&table[i].fd, -1, __ATOMIC_SEQ_CST);
		if (fd >= 0)
			return fd;
	}
	return -1;
}

/*
 * A descriptor from the table; now and then one that is not open.  Half
 * of the time it is the thread's focus, a slot it keeps coming back to,
 * so that calls build on each other (bind, then listen, then accept...)
 * as the programs of syzkaller do; and now and then the process's hot
 * slot, which every thread comes back to, so that they race on it.
 */
static struct target target(struct fz *f)
{
	static const int not_open[] = { -1, 9999, INT_MAX };
	struct target t = { -1, 0, false };
	int i, n;

	if (chance(f, 2)) {
		t.fd = ONE_OF(f, not_open);
		return t;
	}
	if (chance(f, 10))
		f->focus = below(f, NSLOTS);
	if (chance(f, 1))
		__atomic_store_n(&hot_slot, below(f, NSLOTS), __ATOMIC_RELAXED);
	for (n = 0; n < 8; n++) {
		i = !n && chance(f, 50) ? f->focus : (int)below(f, NSLOTS);
		if (!n && chance(f, 15))
			i = __atomic_load_n(&hot_slot, __ATOMIC_RELAXED);
		t.type = __atomic_load_n(&table[i].type, __ATOMIC_RELAXED);
		t.fd = __atomic_load_n(&table[i].fd, __ATOMIC_RELAXED);
		if (t.fd >= 0) {
			t.toy = true;
			return t;
		}
	}
	t.fd = -1;
	return t;
}

static void note_port(int port)
{
	unsigned int i;

	if (port <= 0)
		return;
	i = __atomic_fetch_add(&sh->port_next, 1, __ATOMIC_RELAXED);
	__atomic_store_n(&sh->ports[i % NPORTS], port, __ATOMIC_RELAXED);
}

/* After a bind() or listen(): remember the port for others to use. */
static int note_port_of(struct fz *f, int fd)
{
	struct sockaddr_toy a;
	socklen_t len = sizeof(a);

	if (CALL(f, getsockname, true, 0,
		 getsockname(fd, (struct sockaddr *)&a, &len)))
		return -1;
	note_port(ntohs(a.stoy_port));
	return ntohs(a.stoy_port);
}

/* ---------------------------------------------------------------------
 * Arguments.
 */

static int gen_port(struct fz *f)
{
	static const int edges[] = {
		1, 7, 1023, 1024, 32767, 32768, 60999, 61000, 65535,
	};
	int p;

	switch (below(f, 10)) {
	case 0: case 1: case 2:
		p = __atomic_load_n(&sh->ports[below(f, NPORTS)],
				    __ATOMIC_RELAXED);
		return p;
	case 3:
		return 0;
	case 4:
		return 1 + below(f, 1023);
	case 5: case 6:
		return 40000 + below(f, 8);
	case 7:
		return ONE_OF(f, edges);
	default:
		return below(f, 65536);
	}
}

static in_addr_t gen_ip(struct fz *f)
{
	if (chance(f, 4))
		return (in_addr_t)rnd(f);
	return ONE_OF(f, ip_pool);
}

static int gen_family(struct fz *f)
{
	static const int others[] = { AF_UNSPEC, AF_INET, AF_INET6, AF_UNIX };

	if (chance(f, 88))
		return af;
	return chance(f, 70) ? ONE_OF(f, others) : (uint16_t)rnd(f);
}

/*
 * An address length: mostly sizeof(struct sockaddr_toy); the socket
 * layer refuses more than sockaddr_storage, or negative, with EINVAL.
 */
static int gen_addrlen(struct fz *f, int *pre)
{
	static const int lens[] = { 0, 1, 2, 3, 8, 15, 17, 28, 128, 129, 256, -1 };
	int len;

	if (chance(f, 80))
		return sizeof(struct sockaddr_toy);
	len = chance(f, 75) ? ONE_OF(f, lens) : (int)below(f, 140);
	if (len < 0 || len > (int)sizeof(struct sockaddr_storage))
		*pre = EINVAL;
	return len;
}

/* An address for bind/connect/sendto in name slot @k; returns its length. */
static int gen_addr(struct fz *f, int k, int *pre)
{
	struct sockaddr_toy *a = (struct sockaddr_toy *)&f->name[k].ss;
	unsigned int i;

	memset(&f->name[k], 0, sizeof(f->name[k]));
	a->stoy_family = gen_family(f);
	a->stoy_port = htons(gen_port(f));
	a->stoy_addr.s_addr = gen_ip(f);
	if (chance(f, 3))
		for (i = 0; i < sizeof(f->name[k]); i++)
			((char *)&f->name[k])[i] = rnd(f);
	return gen_addrlen(f, pre);
}

/*
 * The pointer to an address the socket layer copies in: now and then
 * NULL or an unmapped page, which it refuses with EFAULT (unless the
 * length was already refused, or is 0 and nothing is copied).
 */
static void *addr_ptr(struct fz *f, int k, int len, int *pre)
{
	void *p = chance(f, 50) ? NULL : f->bad;

	if (chance(f, 95))
		return &f->name[k];
	if (!*pre && len > 0)
		*pre = EFAULT;
	return p;
}

/* A data length: boundaries, MSS-ish, 64K, beyond the buffer, huge. */
static size_t gen_len(struct fz *f)
{
	static const size_t lens[] = {
		0, 1, 2, 100, 536, 1000, 1460, 1500, 4096, 16384, 65483,
		65495, 65496, 65507, 65535, 65536, 65537, 100000, BUFSZ,
		BUFSZ + 4096, 1UL << 30,
	};

	return chance(f, 60) ? ONE_OF(f, lens) : below(f, 8192);
}

/* Where data of @len bytes starts: inside the buffer when it fits. */
static char *data_ptr(struct fz *f, size_t len)
{
	if (chance(f, 2))
		return chance(f, 50) ? NULL : f->bad;
	if (len >= BUFSZ)
		return f->buf;
	return f->buf + below(f, BUFSZ - len + 1);
}

static unsigned int gen_send_flags(struct fz *f)
{
	static const unsigned int bits[] = {
		MSG_OOB, MSG_DONTWAIT, MSG_MORE, MSG_EOR, MSG_CONFIRM,
		MSG_DONTROUTE, MSG_FASTOPEN, MSG_ZEROCOPY, MSG_BATCH,
		MSG_PROBE, MSG_PEEK, MSG_WAITALL, MSG_TRUNC,
	};
	unsigned int flags = MSG_NOSIGNAL, i;

	for (i = 0; i < ARRAY_SIZE(bits); i++)
		if (chance(f, 8))
			flags |= bits[i];
	if (chance(f, 3))
		flags |= (unsigned int)rnd(f);
	return flags;
}

static unsigned int gen_recv_flags(struct fz *f)
{
	static const unsigned int bits[] = {
		MSG_PEEK, MSG_DONTWAIT, MSG_WAITALL, MSG_TRUNC, MSG_OOB,
		MSG_ERRQUEUE, MSG_CMSG_CLOEXEC, MSG_NOSIGNAL, MSG_WAITFORONE,
	};
	unsigned int flags = 0, i;

	for (i = 0; i < ARRAY_SIZE(bits); i++)
		if (chance(f, 12))
			flags |= bits[i];
	if (chance(f, 3))
		flags |= (unsigned int)rnd(f);
	return flags;
}

/*
 * iovecs in @iov (room for @max): none, one, a few, up to MAXIOV (more
 * than UIO_MAXIOV), zero lengths, NULL and unmapped bases, now and then a
 * length that is negative as ssize_t (refused by the socket layer).
 */
static int gen_iov(struct fz *f, struct iovec *iov, int max, bool *neg)
{
	static const int counts[] = { 0, 1, 1, 2, 3, 8, 64, 1024, 1025, MAXIOV };
	int n = ONE_OF(f, counts), i;
	size_t len;

	if (n > max)
		n = 1 + below(f, max);
	for (i = 0; i < n; i++) {
		len = chance(f, 30) ? 0 : (n > 16 ? below(f, 64) : gen_len(f));
		if (len > BUFSZ && chance(f, 50))
			len = below(f, 4096);
		iov[i].iov_len = len;
		iov[i].iov_base = data_ptr(f, len);
		if (!len && chance(f, 20))
			iov[i].iov_base = NULL;
	}
	if (n && chance(f, 1)) {
		iov[below(f, n)].iov_len = (size_t)-1;
		*neg = true;
	}
	return n;
}

/*
 * Control messages in ctl[@k]: random bytes, or headers with boundary and
 * bad cmsg_len, SCM_RIGHTS naming our descriptors, IP options.  Returns
 * the msg_controllen to claim.
 */
static size_t gen_cmsg(struct fz *f, int k)
{
	static const int levels[] = { SOL_SOCKET, SOL_IP, SOL_TOY, SOL_TCP, -1 };
	static const int types[] = {
		SCM_RIGHTS, SCM_CREDENTIALS, IP_TOS, IP_TTL, IP_PKTINFO,
		IP_RETOPTS, 0, 99,
	};
	static const size_t lens[] = { 0, 1, 15, 16, 17, 36, 37, 512, 4096 };
	char *c = f->ctl[k];
	struct cmsghdr *cm = (struct cmsghdr *)c;
	size_t used = 0, i, words;
	int n;

	for (i = 0; i < sizeof(f->ctl[k]); i++)
		c[i] = rnd(f);
	if (chance(f, 20))
		return ONE_OF(f, lens);
	for (n = 1 + below(f, 3); n > 0 && used + CMSG_LEN(16) <= 512; n--) {
		cm = (struct cmsghdr *)(c + used);
		cm->cmsg_level = chance(f, 80) ? ONE_OF(f, levels) : (int)rnd(f);
		cm->cmsg_type = chance(f, 80) ? ONE_OF(f, types) : (int)rnd(f);
		words = below(f, 4);
		cm->cmsg_len = CMSG_LEN(4 * words);
		if (cm->cmsg_type == SCM_RIGHTS)
			for (i = 0; i < words; i++)
				((int *)CMSG_DATA(cm))[i] = table[below(f, NSLOTS)].fd;
		if (chance(f, 15))	/* a bad cmsg_len */
			cm->cmsg_len = ONE_OF(f, lens) + below(f, 2) * 1000000;
		used += CMSG_SPACE(4 * words);
	}
	return chance(f, 85) ? used : ONE_OF(f, lens);
}

/*
 * A msghdr in mm[@k] for sendmsg (@send) or recvmsg, with the errno the
 * socket layer gives it before the family sees it in *pre.
 */
static struct msghdr *gen_msghdr(struct fz *f, int k, bool send, int *pre)
{
	struct msghdr *m = &f->mm[k].msg_hdr;
	int namelen, dummy = 0;
	bool neg = false;

	memset(m, 0, sizeof(*m));
	if (chance(f, 50)) {
		namelen = gen_addr(f, k, &dummy);
		m->msg_name = addr_ptr(f, k, namelen, &dummy);
		m->msg_namelen = namelen;
		/* sendmsg clamps a long name; a negative one is refused. */
		if (namelen < 0 && m->msg_name)
			*pre = EINVAL;
		else if (send && m->msg_name != &f->name[k] && m->msg_name &&
			 namelen)
			*pre = EFAULT;
	}
	m->msg_iov = k ? f->small_iov[k] : f->iov;
	m->msg_iovlen = gen_iov(f, m->msg_iov, k ? 8 : MAXIOV, &neg);
	if (!*pre && m->msg_iovlen > 1024)
		*pre = EMSGSIZE;
	if (!*pre && neg)
		*pre = EINVAL;
	if (chance(f, 40)) {
		m->msg_control = chance(f, 97) ? f->ctl[k] : f->bad;
		m->msg_controllen = gen_cmsg(f, k);
		/* sendmsg copies what is longer than 36 bytes with sock_kmalloc() */
		if (send && !*pre && m->msg_controllen > 36)
			*pre = ENOBUFS;
		if (send && !*pre && m->msg_control == f->bad &&
		    m->msg_controllen)
			*pre = EFAULT;
	}
	m->msg_flags = chance(f, 90) ? 0 : (int)rnd(f);
	return m;
}

/* ---------------------------------------------------------------------
 * Socket options.
 */

static void gen_level_name(struct fz *f, int *level, int *name)
{
	static const int odd_levels[] = {
		SOL_TOY - 1, SOL_TOY + 1, SOL_UDP, SOL_RAW, -1, INT_MAX, 0x7fff,
		255, 256,
	};

	switch (below(f, 20)) {
	case 0 ... 8:
		*level = SOL_SOCKET;
		*name = chance(f, 90) ? (int)below(f, 80) : (int)rnd(f);
		break;
	case 9 ... 14:
		*level = SOL_TOY;
		*name = chance(f, 90) ? (int)below(f, 8) - 1 : (int)rnd(f);
		break;
	case 15:
		*level = SOL_IP;
		*name = below(f, 70);
		break;
	case 16:
		*level = SOL_TCP;
		*name = below(f, 40);
		break;
	case 17: case 18:
		*level = ONE_OF(f, odd_levels);
		*name = below(f, 10);
		break;
	default:
		*level = (int)rnd(f);
		*name = (int)rnd(f);
	}
}

/* A receive or send timeout that keeps every call bounded. */
static void safe_timeval(struct fz *f, struct timeval *tv)
{
	static const long usecs[] = { 1, 1000, 50000, 300000, 999999, 1000000, -1 };

	tv->tv_sec = chance(f, 10) ? -1 : 0;		/* negative: no wait */
	tv->tv_usec = chance(f, 80) ? 1 + (long)below(f, 300000) :
				      ONE_OF(f, usecs);
	if (!tv->tv_sec && tv->tv_usec <= 0)
		tv->tv_usec = 1;
}

static const struct sock_filter filter_accept[] = {
	BPF_STMT(BPF_RET | BPF_K, 0xffff),
};
static const struct sock_filter filter_drop[] = {
	BPF_STMT(BPF_RET | BPF_K, 0),
};
static const struct sock_filter filter_trim[] = {	/* keep one byte */
	BPF_STMT(BPF_LD | BPF_W | BPF_LEN, 0),
	BPF_STMT(BPF_RET | BPF_K, 1),
};

static void gen_filter(struct fz *f, struct sock_fprog *fp)
{
	switch (below(f, 4)) {
	case 0:
		fp->filter = (struct sock_filter *)filter_accept;
		fp->len = ARRAY_SIZE(filter_accept);
		break;
	case 1:
		fp->filter = (struct sock_filter *)filter_drop;
		fp->len = ARRAY_SIZE(filter_drop);
		break;
	case 2:
		fp->filter = (struct sock_filter *)filter_trim;
		fp->len = ARRAY_SIZE(filter_trim);
		break;
	default:
		fp->filter = chance(f, 50) ? (void *)f->bad : (void *)f->buf;
		fp->len = gen_int(f);
	}
}

static const char * const devices[] = {
	"lo", "toy0", "toy1", "", "nonexistent0", "lolololololololololo",
};

/*
 * The value of a setsockopt() in f->opt, and its natural length.  Timeouts
 * stay bounded and SO_LINGER lingers at most a second, whatever the
 * option number was drawn from.
 */
static int gen_optval(struct fz *f, int level, int name)
{
	int i;

	for (i = 0; i < 64; i++)
		f->opt[i] = rnd(f);
	if (level != SOL_SOCKET) {
		*(int *)f->opt = gen_int(f);
		return sizeof(int);
	}
	switch (name) {
	case SO_RCVTIMEO: case SO_SNDTIMEO:
	case SO_RCVTIMEO_NEW: case SO_SNDTIMEO_NEW:
		safe_timeval(f, (struct timeval *)f->opt);
		return sizeof(struct timeval);
	case SO_LINGER:
		((struct linger *)f->opt)->l_onoff = gen_int(f);
		((struct linger *)f->opt)->l_linger = below(f, 2);
		return sizeof(struct linger);
	case SO_BINDTODEVICE:
		strcpy(f->opt, ONE_OF(f, devices));
		return strlen(f->opt) + below(f, 2);
	case SO_ATTACH_FILTER:
	case SO_ATTACH_REUSEPORT_CBPF:
		gen_filter(f, (struct sock_fprog *)f->opt);
		return sizeof(struct sock_fprog);
	default:
		*(int *)f->opt = gen_int(f);
		return sizeof(int);
	}
}

static const int optlens[] = {
	0, 1, 2, 3, 4, 5, 7, 8, 16, 64, 4096, -1, INT_MAX,
};

/* Timeouts and SO_LINGER are only ever set with their own values. */
static bool guarded_option(int level, int name)
{
	return level == SOL_SOCKET &&
	       (name == SO_RCVTIMEO || name == SO_SNDTIMEO ||
		name == SO_RCVTIMEO_NEW || name == SO_SNDTIMEO_NEW ||
		name == SO_LINGER);
}

static void op_setsockopt(struct fz *f)
{
	struct target t = target(f);
	int level, name, len, pre = 0;
	void *val = f->opt;

	gen_level_name(f, &level, &name);
	len = gen_optval(f, level, name);
	if (chance(f, 25) && !guarded_option(level, name))
		len = ONE_OF(f, optlens);
	else if (chance(f, 10))
		len = below(f, len + 1);	/* short */
	if (len < 0)
		pre = EINVAL;
	if (chance(f, 3) && !guarded_option(level, name)) {
		val = chance(f, 50) ? NULL : f->bad;
		if (!pre && level == SOL_SOCKET && len)
			pre = EFAULT;
	}
	if (!CALL(f, setsockopt, t.toy, pre,
		  setsockopt(t.fd, level, name, val, len)) &&
	    level == SOL_TOY && name >= TOY_REUSEPORT && name <= TOY_KEEPCNT &&
	    len >= 0 && len < (int)sizeof(int))
		wrong("setsockopt(SOL_TOY, %d) took an optlen of %d", name, len);
}

static void op_getsockopt(struct fz *f)
{
	struct target t = target(f);
	int level, name, pre = 0;
	void *val = f->opt;
	socklen_t *lenp = &f->optlen;

	gen_level_name(f, &level, &name);
	f->optlen = chance(f, 60) ? sizeof(int) : (socklen_t)ONE_OF(f, optlens);
	if (chance(f, 3))
		val = chance(f, 50) ? NULL : f->bad;
	if (chance(f, 3)) {
		lenp = chance(f, 50) ? NULL : (socklen_t *)f->bad;
		if (level == SOL_SOCKET)
			pre = EFAULT;
	}
	if (!CALL(f, getsockopt, t.toy, pre,
		  getsockopt(t.fd, level, name, val, lenp)) &&
	    level == SOL_TOY && lenp == &f->optlen && f->optlen > sizeof(int))
		wrong("getsockopt(SOL_TOY, %d) answered an optlen of %u", name,
		      f->optlen);
}

/* ---------------------------------------------------------------------
 * The calls.
 */

/*
 * An address the kernel gave us in name[0]: its full length is that of
 * a sockaddr_toy, whatever room we offered, and its family is ours when
 * the room held it.
 */
static void check_name(struct fz *f, const char *call, socklen_t given)
{
	struct sockaddr_toy *a = (struct sockaddr_toy *)&f->name[0];

	if (f->optlen != sizeof(*a))
		wrong("%s answered an address length of %u", call, f->optlen);
	else if (given >= sizeof(a->stoy_family) && a->stoy_family != af)
		wrong("%s answered the family %u", call, a->stoy_family);
}

/* A count of bytes moved: never more than asked for. */
static void check_count(const char *call, long r, size_t len)
{
	if (r > 0 && (size_t)r > len)
		wrong("%s moved %ld bytes of %zu", call, r, len);
}

static int new_socket(struct fz *f, int type)
{
	int fd = CALL(f, socket, true, 0, socket(af, type, 0));

	if (fd >= 0)
		set_timeouts(f, fd);
	return fd;
}

static void op_socket(struct fz *f)
{
	static const int types[] = {
		SOCK_STREAM, SOCK_STREAM, SOCK_STREAM, SOCK_STREAM,
		SOCK_DGRAM, SOCK_DGRAM, SOCK_DGRAM, SOCK_DGRAM,
		0, SOCK_RAW, SOCK_SEQPACKET, SOCK_RDM, SOCK_PACKET, 11, 15, -1,
	};
	int type = ONE_OF(f, types), flags = 0, proto = 0, pre = 0, fd;
	int protos[] = { ipproto, -1, 256, IPPROTO_TCP, IPPROTO_UDP,
			 ipproto - 1, ipproto + 1, INT_MAX };

	if (chance(f, 30))
		flags |= SOCK_NONBLOCK;
	if (chance(f, 30))
		flags |= SOCK_CLOEXEC;
	if (chance(f, 3))
		flags |= 1 << (4 + below(f, 27));
	if (chance(f, 20))
		proto = ONE_OF(f, protos);
	/* __sys_socket() and __sock_create() check these first. */
	if (((type | flags) & ~(15 | SOCK_NONBLOCK | SOCK_CLOEXEC)) ||
	    (type & 15) >= 11)
		pre = EINVAL;
	fd = CALL(f, socket, true, pre, socket(af, type | flags, proto));
	if (fd >= 0) {
		set_timeouts(f, fd);
		slot_put(f, fd, type);
	}
}

static void op_bind(struct fz *f)
{
	struct target t = target(f);
	int pre = 0, len = gen_addr(f, 0, &pre);
	void *p = addr_ptr(f, 0, len, &pre);

	if (!CALL(f, bind, t.toy, pre, bind(t.fd, p, len)))
		note_port_of(f, t.fd);
}

static void op_connect(struct fz *f)
{
	static const int unspec_lens[] = { 0, 1, 2, 16, 16 };
	struct target t = target(f);
	int pre = 0, len = gen_addr(f, 0, &pre);
	void *p = addr_ptr(f, 0, len, &pre);

	if (chance(f, 10)) {	/* connect(AF_UNSPEC): disconnect */
		f->name[0].ss.ss_family = AF_UNSPEC;
		len = ONE_OF(f, unspec_lens);
		p = &f->name[0];
		pre = 0;
	}
	if (!CALL(f, connect, t.toy, pre, connect(t.fd, p, len)))
		add(&sh->connected, 1);
}

static void op_listen(struct fz *f)
{
	struct target t = target(f);
	static const int backlogs[] = {
		0, 1, 2, 5, 128, 4096, 65536, -1, INT_MAX, INT_MIN,
	};

	if (!CALL(f, listen, t.toy, 0, listen(t.fd, ONE_OF(f, backlogs))))
		note_port_of(f, t.fd);
}

static void op_accept(struct fz *f)
{
	static const int lens[] = { 0, 1, 16, 128, 129, -1 };
	socklen_t given;
	struct target t = target(f);
	int flags = 0, pre = 0, fd;
	socklen_t *lenp = &f->optlen;
	void *addr = &f->name[0];

	if (chance(f, 30))
		flags |= SOCK_NONBLOCK;
	if (chance(f, 30))
		flags |= SOCK_CLOEXEC;
	if (chance(f, 3)) {
		flags |= (int)rnd(f);
		if (flags & ~(SOCK_NONBLOCK | SOCK_CLOEXEC))
			pre = EINVAL;
	}
	f->optlen = sizeof(struct sockaddr_toy);
	if (chance(f, 30)) {
		addr = NULL;
		lenp = NULL;
	} else if (chance(f, 20)) {
		f->optlen = ONE_OF(f, lens);
	} else if (chance(f, 3)) {
		lenp = (socklen_t *)f->bad;
	}
	given = f->optlen;
	fd = CALL(f, accept4, t.toy, pre, accept4(t.fd, addr, lenp, flags));
	if (fd >= 0) {
		if (lenp == &f->optlen)
			check_name(f, "accept4", given);
		add(&sh->accepted, 1);
		set_timeouts(f, fd);
		slot_put(f, fd, SOCK_STREAM);
	}
}

static void op_send(struct fz *f)
{
	struct target t = target(f);
	size_t len = gen_len(f);
	char *p = data_ptr(f, len);
	unsigned int flags = gen_send_flags(f);
	int pre = 0, alen, n, i, dummy;
	bool neg = false;
	void *addr;
	off_t off;
	long r;

	switch (below(f, 8)) {
	case 0:
		r = CALL(f, send, t.toy, 0, send(t.fd, p, len, flags));
		check_count("send", r, len);
		break;
	case 1:
		alen = gen_addr(f, 0, &pre);
		addr = addr_ptr(f, 0, alen, &pre);
		if (chance(f, 30)) {	/* no address: the length is unused */
			addr = NULL;
			pre = 0;
		}
		r = CALL(f, sendto, t.toy, pre,
			 sendto(t.fd, p, len, flags, addr, alen));
		check_count("sendto", r, len);
		break;
	case 2: case 3:
		gen_msghdr(f, 0, true, &pre);
		if (flags & MSG_CMSG_COMPAT)
			pre = EINVAL;
		CALL(f, sendmsg, t.toy, pre,
		     sendmsg(t.fd, &f->mm[0].msg_hdr, flags));
		break;
	case 4:
		n = below(f, NMSG + 1);
		for (i = 0; i < n; i++)
			gen_msghdr(f, i, true, i ? &dummy : &pre);
		if (flags & MSG_CMSG_COMPAT)
			pre = EINVAL;
		CALL(f, sendmmsg, t.toy, pre, sendmmsg(t.fd, f->mm, n, flags));
		break;
	case 5:
		r = CALL(f, write, t.toy, 0, write(t.fd, p, len));
		check_count("write", r, len);
		break;
	case 6:
		n = gen_iov(f, f->iov, MAXIOV, &neg);
		CALL(f, writev, t.toy, n > 1024 || neg ? EINVAL : 0,
		     writev(t.fd, f->iov, n));
		break;
	default:
		off = below(f, BUFSZ);
		CALL(f, sendfile, t.toy, 0, sendfile(t.fd, memfd, &off, len));
	}
}

static void count_rx(long n)
{
	if (n > 0 && n < INT_MAX)
		add(&sh->rx_bytes, n);
}

/* Empty the splice pipe (housekeeping, not counted). */
static void drain_pipe(struct fz *f)
{
	while (read(pipefd[0], f->opt, sizeof(f->opt)) > 0)
		;
}

static void op_recv(struct fz *f)
{
	struct target t = target(f);
	size_t len = gen_len(f);
	char *p = data_ptr(f, len);
	unsigned int flags = gen_recv_flags(f);
	struct timespec ts = { 0, below(f, 50) * 1000000L };
	int pre = 0, n, i, dummy;
	bool neg = false;
	long r = -1;

	switch (below(f, 8)) {
	case 0:
		r = CALL(f, recv, t.toy, 0, recv(t.fd, p, len, flags));
		if (!(flags & MSG_TRUNC))
			check_count("recv", r, len);
		break;
	case 1:
		f->optlen = chance(f, 80) ? sizeof(struct sockaddr_storage) :
					    (socklen_t)ONE_OF(f, optlens);
		r = CALL(f, recvfrom, t.toy, 0,
			 recvfrom(t.fd, p, len, flags,
				  chance(f, 30) ? NULL : (void *)&f->name[0],
				  &f->optlen));
		break;
	case 2: case 3:
		gen_msghdr(f, 0, false, &pre);
		if (flags & MSG_CMSG_COMPAT)
			pre = EINVAL;
		r = CALL(f, recvmsg, t.toy, pre,
			 recvmsg(t.fd, &f->mm[0].msg_hdr, flags));
		break;
	case 4:
		n = below(f, NMSG + 1);
		for (i = 0; i < n; i++)
			gen_msghdr(f, i, false, i ? &dummy : &pre);
		if (flags & MSG_CMSG_COMPAT)
			pre = EINVAL;
		CALL(f, recvmmsg, t.toy, pre,
		     recvmmsg(t.fd, f->mm, n, flags, chance(f, 50) ? &ts : NULL));
		break;
	case 5:
		r = CALL(f, read, t.toy, 0, read(t.fd, p, len));
		check_count("read", r, len);
		break;
	case 6:
		n = gen_iov(f, f->iov, MAXIOV, &neg);
		r = CALL(f, readv, t.toy, n > 1024 || neg ? EINVAL : 0,
			 readv(t.fd, f->iov, n));
		break;
	default:
		CALL(f, splice, t.toy, 0,
		     splice(t.fd, NULL, pipefd[1], NULL, len,
			    SPLICE_F_NONBLOCK | (chance(f, 50) ? SPLICE_F_MORE : 0)));
		drain_pipe(f);
	}
	count_rx(r);
}

static void op_ioctl(struct fz *f)
{
	static const unsigned long cmds[] = {
		SIOCINQ, SIOCOUTQ, SIOCOUTQNSD, SIOCATMARK, SIOCGSTAMP_OLD,
		SIOCGSTAMPNS_OLD, SIOCGSTAMP_NEW, SIOCGSTAMPNS_NEW,
		SIOCGIFNAME, SIOCGIFINDEX, SIOCGIFFLAGS, SIOCGIFMTU,
		SIOCPROTOPRIVATE, SIOCPROTOPRIVATE + 15, FIONBIO, FIOASYNC,
	};
	struct target t = target(f);
	unsigned long cmd = ONE_OF(f, cmds), type;
	void *arg = f->opt;
	bool file;

	if (chance(f, 15)) {
		/* Random commands, but none that configures the network. */
		cmd = (unsigned int)rnd(f);
		type = (cmd >> 8) & 0xff;
		if (type == 0x89 || type == 0x8b || type == 'X')
			cmd = SIOCINQ;
	} else if (cmd == SIOCPROTOPRIVATE) {
		cmd += below(f, 16);
	}
	memset(f->opt, 0, 64);
	if (cmd == SIOCGIFINDEX || cmd == SIOCGIFFLAGS || cmd == SIOCGIFMTU)
		strcpy(f->opt, ONE_OF(f, devices));
	else
		*(int *)f->opt = gen_int(f);
	if (chance(f, 4))
		arg = chance(f, 50) ? NULL : f->bad;
	/* These are the descriptor's, not the socket's. */
	file = cmd == FIONBIO || cmd == FIOASYNC || cmd == FIOCLEX ||
	       cmd == FIONCLEX || cmd == FIOQSIZE;
	CALL(f, ioctl, t.toy && !file, 0, ioctl(t.fd, cmd, arg));
}

static short gen_events(struct fz *f)
{
	static const short bits[] = {
		POLLIN, POLLOUT, POLLPRI, POLLRDHUP, POLLERR, POLLHUP,
		POLLRDNORM, POLLWRNORM, POLLRDBAND, POLLWRBAND, POLLMSG,
	};
	short ev = 0;
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(bits); i++)
		if (chance(f, 25))
			ev |= bits[i];
	return ev;
}

static void op_poll(struct fz *f)
{
	struct pollfd pfd[6];
	struct timespec ts = { 0, below(f, 20) * 1000000L };
	int n = 1 + below(f, 6), i;
	bool toy = false;

	for (i = 0; i < n; i++) {
		struct target t = target(f);

		pfd[i].fd = t.fd;
		pfd[i].events = gen_events(f);
		toy |= t.toy;
	}
	if (chance(f, 50))
		CALL(f, poll, toy, 0, poll(pfd, n, below(f, 20)));
	else
		CALL(f, ppoll, toy, 0, ppoll(pfd, n, &ts, NULL));
}

static void op_epoll(struct fz *f)
{
	static const int ops[] = { EPOLL_CTL_ADD, EPOLL_CTL_MOD, EPOLL_CTL_DEL };
	static const unsigned int bits[] = {
		EPOLLIN, EPOLLOUT, EPOLLRDHUP, EPOLLPRI, EPOLLERR, EPOLLHUP,
		EPOLLET, EPOLLONESHOT, EPOLLEXCLUSIVE,
	};
	struct target t = target(f);
	struct epoll_event ev = { 0 };
	int op = ONE_OF(f, ops);
	unsigned int i;

	if (chance(f, 30)) {
		CALL(f, epoll_wait, false, 0,
		     epoll_wait(epfd, f->ev, 8, below(f, 10)));
		return;
	}
	for (i = 0; i < ARRAY_SIZE(bits); i++)
		if (chance(f, 25))
			ev.events |= bits[i];
	ev.data.fd = t.fd;
	/* Adding and changing poll the socket; removing does not. */
	CALL(f, epoll_ctl, t.toy && op != EPOLL_CTL_DEL, 0,
	     epoll_ctl(epfd, op, t.fd, &ev));
}

static void op_shutdown(struct fz *f)
{
	static const int hows[] = {
		SHUT_RD, SHUT_WR, SHUT_RDWR, SHUT_RD, SHUT_WR, SHUT_RDWR,
		-1, 3, 4, INT_MAX, INT_MIN,
	};
	struct target t = target(f);

	CALL(f, shutdown, t.toy, 0, shutdown(t.fd, ONE_OF(f, hows)));
}

static void op_getname(struct fz *f)
{
	static const int lens[] = { 0, 1, 2, 15, 16, 17, 128, 4096, -1 };
	struct target t = target(f);
	void *addr = &f->name[0];
	socklen_t *lenp = &f->optlen, given;
	long r;

	f->optlen = chance(f, 70) ? sizeof(struct sockaddr_toy) :
				    (socklen_t)ONE_OF(f, lens);
	given = f->optlen;
	if (chance(f, 3))
		addr = f->bad;
	if (chance(f, 3))
		lenp = (socklen_t *)f->bad;
	if (chance(f, 50))
		r = CALL(f, getsockname, t.toy, 0, getsockname(t.fd, addr, lenp));
	else
		r = CALL(f, getpeername, t.toy, 0, getpeername(t.fd, addr, lenp));
	if (!r)
		check_name(f, "getsockname/getpeername", given);
}

static void op_close(struct fz *f)
{
	int fd = slot_take(f);

	if (fd >= 0)
		CALL(f, close, false, 0, close(fd));
}

/* dup() into the table, or dup2()/dup3() over another thread's entry. */
static void op_dup(struct fz *f)
{
	struct target t = target(f), over = target(f);
	int fd, flags = chance(f, 50) ? O_CLOEXEC : 0, pre = 0;

	switch (below(f, 4)) {
	case 0:
		fd = CALL(f, dup, false, 0, dup(t.fd));
		if (fd >= 0)
			slot_put(f, fd, t.type);
		break;
	case 1:
		if (over.fd >= 0 && over.toy)
			CALL(f, dup2, false, 0, dup2(t.fd, over.fd));
		break;
	case 2:
		if (chance(f, 5))
			flags = (int)rnd(f);
		if (flags & ~O_CLOEXEC)
			pre = EINVAL;
		if (over.fd >= 0 && over.toy)
			CALL(f, dup3, false, pre, dup3(t.fd, over.fd, flags));
		break;
	default:
		fd = CALL(f, fcntl, false, 0,
			  fcntl(t.fd, F_DUPFD_CLOEXEC, below(f, 2 * NSLOTS)));
		if (fd >= 0)
			slot_put(f, fd, t.type);
	}
}

static void op_fcntl(struct fz *f)
{
	struct target t = target(f);
	long fl;

	switch (below(f, 4)) {
	case 0:
		fl = CALL(f, fcntl, false, 0, fcntl(t.fd, F_GETFL));
		if (fl >= 0)
			CALL(f, fcntl, false, 0,
			     fcntl(t.fd, F_SETFL, fl ^ O_NONBLOCK));
		break;
	case 1:
		CALL(f, fcntl, false, 0,
		     fcntl(t.fd, F_SETFL, chance(f, 50) ? O_NONBLOCK : 0));
		break;
	case 2:
		CALL(f, fcntl, false, 0, fcntl(t.fd, F_SETFD, below(f, 2)));
		break;
	default:
		CALL(f, fcntl, false, 0, fcntl(t.fd, F_GETOWN));
	}
}

/* ---------------------------------------------------------------------
 * Connections that carry data, so that every state is reached.
 */

static struct sockaddr_toy toy_addr(in_addr_t ip, int port)
{
	struct sockaddr_toy a = { .stoy_family = af };

	a.stoy_addr.s_addr = ip;
	a.stoy_port = htons(port);
	return a;
}

/* Send @n bytes on @from, read them back exactly on @to. */
static bool carries(struct fz *f, int from, int to, size_t n)
{
	char *out = f->buf, *in = f->buf + BUFSZ / 2;
	size_t i;
	long r;

	for (i = 0; i < n; i++)
		out[i] = rnd(f);
	if (CALL(f, send, true, 0, send(from, out, n, MSG_NOSIGNAL)) != (long)n)
		return false;
	r = CALL(f, recv, true, 0, recv(to, in, n, MSG_WAITALL));
	count_rx(r);
	return r == (long)n && !memcmp(in, out, n);
}

/*
 * A listener on @ip, a client connected to it and the accepted socket
 * (fds[0..2], -1 where a step failed), with data sent both ways.  The
 * sockets wait up to a second (scaled) while the connection is made.
 */
static void make_connection(struct fz *f, in_addr_t ip, int fds[3])
{
	int port, i, slow = 1000 * toy_timeout_scale();
	struct sockaddr_toy a;

	fds[1] = fds[2] = -1;
	fds[0] = new_socket(f, SOCK_STREAM);
	if (fds[0] < 0)
		return;
	wait_at_most(fds[0], slow, slow);
	a = toy_addr(ip, 0);
	if (CALL(f, bind, true, 0, bind(fds[0], (void *)&a, sizeof(a))) ||
	    CALL(f, listen, true, 0, listen(fds[0], 8)))
		return;
	port = note_port_of(f, fds[0]);
	fds[1] = new_socket(f, SOCK_STREAM);
	if (fds[1] < 0 || port <= 0)
		return;
	wait_at_most(fds[1], slow, slow);
	a = toy_addr(ip, port);
	if (CALL(f, connect, true, 0, connect(fds[1], (void *)&a, sizeof(a))))
		return;
	add(&sh->connected, 1);
	fds[2] = CALL(f, accept4, true, 0, accept4(fds[0], NULL, NULL, 0));
	if (fds[2] < 0)
		return;
	add(&sh->accepted, 1);
	wait_at_most(fds[2], slow, slow);
	if (carries(f, fds[1], fds[2], 1 + below(f, 8000)) &&
	    carries(f, fds[2], fds[1], 1 + below(f, 2000)))
		add(&sh->pairs, 1);
	for (i = 0; i < 3; i++)
		if (fds[i] >= 0)
			set_timeouts(f, fds[i]);
}

static void op_connection(struct fz *f)
{
	int fds[3], i;

	make_connection(f, chance(f, 85) ? ip_pool[0] : ip_pool[6], fds);
	for (i = 0; i < 3; i++)
		if (fds[i] >= 0)
			slot_put(f, fds[i], SOCK_STREAM);
}

/* Two datagram sockets on loopback, one connected to the other. */
static void op_dgram_pair(struct fz *f)
{
	int a = new_socket(f, SOCK_DGRAM), b = new_socket(f, SOCK_DGRAM);
	struct sockaddr_toy sa = toy_addr(ip_pool[0], 0);
	size_t n = 1 + below(f, 2000);
	int port;
	long r;

	if (a < 0 || b < 0 ||
	    CALL(f, bind, true, 0, bind(a, (void *)&sa, sizeof(sa))))
		goto out;
	port = note_port_of(f, a);
	sa = toy_addr(ip_pool[0], port);
	if (port <= 0 ||
	    CALL(f, connect, true, 0, connect(b, (void *)&sa, sizeof(sa))))
		goto out;
	if (CALL(f, send, true, 0, send(b, f->buf, n, 0)) != (long)n)
		goto out;
	r = CALL(f, recv, true, 0, recv(a, f->buf + BUFSZ / 2, n, 0));
	if (r == (long)n && !memcmp(f->buf, f->buf + BUFSZ / 2, n))
		add(&sh->dgram_pairs, 1);
out:
	if (a >= 0)
		slot_put(f, a, SOCK_DGRAM);
	if (b >= 0)
		slot_put(f, b, SOCK_DGRAM);
}

/*
 * A socket connected to itself: bound to a loopback port, connecting to
 * that port, it meets its own SYN (TCP's simultaneous open).
 */
static void op_self_connect(struct fz *f)
{
	struct sockaddr_toy a = toy_addr(ip_pool[0], 0);
	int fd = new_socket(f, SOCK_STREAM), port;

	if (fd < 0)
		return;
	if (!CALL(f, bind, true, 0, bind(fd, (void *)&a, sizeof(a)))) {
		port = note_port_of(f, fd);
		a = toy_addr(ip_pool[0], port);
		if (!CALL(f, connect, true, 0,
			  connect(fd, (void *)&a, sizeof(a))))
			add(&sh->connected, 1);
	}
	slot_put(f, fd, SOCK_STREAM);
}

/*
 * Several connections at once to one listener, often a new one with a
 * backlog of 0-2: full accept queues, SYN cookies, half-open entries.
 */
static void op_burst(struct fz *f)
{
	struct sockaddr_toy a;
	int port = gen_port(f), n = 2 + below(f, 6), fd;

	if (chance(f, 50)) {
		fd = new_socket(f, SOCK_STREAM);
		if (fd < 0)
			return;
		a = toy_addr(ip_pool[0], 0);
		CALL(f, bind, true, 0, bind(fd, (void *)&a, sizeof(a)));
		CALL(f, listen, true, 0, listen(fd, below(f, 3)));
		port = note_port_of(f, fd);
		slot_put(f, fd, SOCK_STREAM);
	}
	a = toy_addr(ip_pool[0], port);
	while (n--) {
		fd = new_socket(f, SOCK_STREAM | SOCK_NONBLOCK);
		if (fd < 0)
			return;
		CALL(f, connect, true, 0, connect(fd, (void *)&a, sizeof(a)));
		slot_put(f, fd, SOCK_STREAM);
	}
}

/* Read one of the module's /proc files while the tables change. */
static void op_proc(struct fz *f)
{
	int fd = procfd[below(f, ARRAY_SIZE(proc_files))];
	size_t len = chance(f, 70) ? 65536 : 1 + below(f, 300);
	off_t off = chance(f, 70) ? 0 : below(f, 8192);

	CALL(f, proc_read, true, 0, pread(fd, f->buf, len, off));
}

/* A question to /sys/kernel/debug/toy/lookup, well formed or not. */
static void op_lookup(struct fz *f)
{
	static const char * const kinds[] = { "stream", "dgram", "raw", "" };
	char q[160], a1[INET_ADDRSTRLEN], a2[INET_ADDRSTRLEN];
	int n;

	if (lookupfd < 0)
		return;
	inet_ntop(AF_INET, &(struct in_addr){ gen_ip(f) }, a1, sizeof(a1));
	inet_ntop(AF_INET, &(struct in_addr){ gen_ip(f) }, a2, sizeof(a2));
	n = snprintf(q, sizeof(q), "%s %s:%d %s:%d%s%s\n", ONE_OF(f, kinds),
		     a1, gen_port(f), a2, gen_port(f),
		     chance(f, 20) ? " " : "",
		     chance(f, 20) ? ONE_OF(f, devices) : "");
	if (chance(f, 10))
		q[below(f, n)] = rnd(f);	/* a byte of garbage */
	if (chance(f, 5))
		n = below(f, sizeof(q));	/* cut, or overlong */
	CALL(f, lookup_write, true, 0, write(lookupfd, q, n));
	CALL(f, lookup_read, true, 0, pread(lookupfd, f->buf, 64, 0));
}

/* ---------------------------------------------------------------------
 * Processes: forked children, namespaces, descriptors passed around.
 */

/*
 * Send the @n (at most 8) descriptors @fds to any process (SCM_RIGHTS),
 * with the byte @tag as data; counted as passed once sent.
 */
static void pass_fds(struct fz *f, const int *fds, int n, char tag)
{
	char c[CMSG_SPACE(8 * sizeof(int))] = { 0 };
	struct iovec iov = { &tag, 1 };
	struct msghdr m = {
		.msg_iov = &iov, .msg_iovlen = 1,
		.msg_control = c, .msg_controllen = CMSG_SPACE(n * sizeof(int)),
	};
	struct cmsghdr *cm = CMSG_FIRSTHDR(&m);

	cm->cmsg_level = SOL_SOCKET;
	cm->cmsg_type = SCM_RIGHTS;
	cm->cmsg_len = CMSG_LEN(n * sizeof(int));
	memcpy(CMSG_DATA(cm), fds, n * sizeof(int));
	if (CALL(f, unix_sendmsg, false, 0,
		 sendmsg(unix_pair[1], &m, MSG_DONTWAIT)) > 0)
		add(&sh->passed, n);
}

/* Pass three of the table's descriptors to any process. */
static void op_pass(struct fz *f)
{
	int fds[3], i;

	for (i = 0; i < 3; i++) {
		fds[i] = target(f).fd;
		if (fds[i] < 0)
			return;
	}
	pass_fds(f, fds, 3, 'x');
}

/* Take descriptors someone passed, into the table. */
static void op_adopt(struct fz *f)
{
	char c[CMSG_SPACE(8 * sizeof(int))];
	char byte;
	struct iovec iov = { &byte, 1 };
	struct msghdr m = {
		.msg_iov = &iov, .msg_iovlen = 1,
		.msg_control = c, .msg_controllen = sizeof(c),
	};
	struct cmsghdr *cm;
	int i, n, fd, type;
	socklen_t len;

	if (CALL(f, unix_recvmsg, false, 0,
		 recvmsg(unix_pair[0], &m, MSG_DONTWAIT | MSG_CMSG_CLOEXEC)) < 0)
		return;
	for (cm = CMSG_FIRSTHDR(&m); cm; cm = CMSG_NXTHDR(&m, cm)) {
		if (cm->cmsg_level != SOL_SOCKET || cm->cmsg_type != SCM_RIGHTS)
			continue;
		n = (cm->cmsg_len - CMSG_LEN(0)) / sizeof(int);
		for (i = 0; i < n; i++) {
			fd = ((int *)CMSG_DATA(cm))[i];
			len = sizeof(type);
			if (getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &len))
				type = 0;
			add(&sh->adopted, 1);
			slot_put(f, fd, type);
		}
	}
}

static void one_op(struct fz *f);

/* In a forked child: a generator of its own, a watchdog entry. */
static void child_start(struct fz *f)
{
	f->rng = rnd(f) ^ 0x5bd1e995;
	f->depth++;
	f->beat = beat_claim();
}

static void child_exit(struct fz *f)
{
	add(&sh->fork_exits, 1);
	beat_release(f);
	_exit(0);
}

/*
 * A child that shares the table's sockets (fork duplicates the
 * descriptors), works on them a little and exits with them open.
 */
static void op_fork(struct fz *f)
{
	pid_t pid;
	int i;

	beat_enter(f, SC_fork);
	pid = fork();
	if (pid == 0) {
		child_start(f);
		add(&sh->forks, 1);
		for (i = 0; i < FORK_CALLS && !stopping(); i++)
			one_op(f);
		child_exit(f);
	}
	beat_leave(f);
	account(SC_fork, false, 0, pid);
}

/* Short protocol timers, so that nothing outlives the run for long. */
static void tune_namespace(struct fz *f)
{
	static const char * const msl[] = { "1", "20", "200", "1000" };
	static const char * const tw_buckets[] = { "0", "4", "1024" };
	char tw_reuse[2] = { '0' + below(f, 3), 0 };

	sysctl_write("msl_ms", ONE_OF(f, msl));
	sysctl_write("max_tw_buckets", ONE_OF(f, tw_buckets));
	sysctl_write("tw_reuse", tw_reuse);
	sysctl_write("fin_timeout", "1");
	sysctl_write("syn_retries", "1");
	sysctl_write("synack_retries", "1");
	sysctl_write("orphan_retries", "1");
	sysctl_write("retries2", "3");
}

/*
 * A child in a namespace of its own makes a connection with data queued
 * and a datagram socket with a datagram waiting, passes them to the
 * workers and exits: the namespace then lives only through its sockets.
 */
static void netns_child(struct fz *f)
{
	struct sockaddr_toy a = toy_addr(ip_pool[0], 0);
	int fds[5], i, n = 0, port;

	if (CALL(f, unshare, false, 0, unshare(CLONE_NEWNET)) || lo_up())
		child_exit(f);
	tune_namespace(f);
	add(&sh->netns, 1);
	make_connection(f, ip_pool[0], fds);
	if (fds[1] >= 0)
		CALL(f, send, true, 0, send(fds[1], f->buf, 3000, MSG_DONTWAIT));
	fds[3] = new_socket(f, SOCK_DGRAM);
	if (fds[3] >= 0 &&
	    !CALL(f, bind, true, 0, bind(fds[3], (void *)&a, sizeof(a)))) {
		port = note_port_of(f, fds[3]);
		a = toy_addr(ip_pool[0], port);
		CALL(f, sendto, true, 0,
		     sendto(fds[3], f->buf, 100, 0, (void *)&a, sizeof(a)));
	}
	fds[4] = new_socket(f, SOCK_STREAM);	/* to a closed port: reset */
	a = toy_addr(ip_pool[0], 1);
	if (fds[4] >= 0)
		CALL(f, connect, true, 0,
		     connect(fds[4], (void *)&a, sizeof(a)));
	for (i = 0; i < 5; i++)
		if (fds[i] >= 0)
			fds[n++] = fds[i];
	if (n)
		pass_fds(f, fds, n, 'n');
	child_exit(f);
}

static void op_netns(struct fz *f)
{
	long long last = __atomic_load_n(&sh->last_netns, __ATOMIC_RELAXED);
	long long now = now_ns();
	pid_t pid;

	if (now - last < NETNS_GAP * 1e9 ||
	    !__atomic_compare_exchange_n(&sh->last_netns, &last, now, false,
					 __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST))
		return;
	beat_enter(f, SC_fork);
	pid = fork();
	if (pid == 0) {
		child_start(f);
		add(&sh->forks, 1);
		netns_child(f);
	}
	beat_leave(f);
	account(SC_fork, false, 0, pid);
}

/* ---------------------------------------------------------------------
 * The workers.
 */

static const struct op {
	void (*fn)(struct fz *f);
	unsigned int weight;
	bool top_only;		/* not in forked children */
} ops[] = {
	{ op_socket, 60 }, { op_bind, 50 }, { op_connect, 70 },
	{ op_listen, 40 }, { op_accept, 50 }, { op_send, 120 },
	{ op_recv, 110 }, { op_setsockopt, 90 }, { op_getsockopt, 50 },
	{ op_ioctl, 40 }, { op_poll, 30 }, { op_epoll, 15 },
	{ op_shutdown, 30 }, { op_getname, 30 }, { op_close, 35 },
	{ op_dup, 20 }, { op_fcntl, 15 }, { op_connection, 20 },
	{ op_dgram_pair, 10 }, { op_self_connect, 5 }, { op_burst, 8 },
	{ op_proc, 10 }, { op_lookup, 5 }, { op_pass, 5 }, { op_adopt, 6 },
	{ op_fork, 2, true }, { op_netns, 2, true },
};

static void one_op(struct fz *f)
{
	unsigned int total = 0, pick, i;

	if (population() < NSLOTS / 4 && chance(f, 50)) {
		op_socket(f);
		return;
	}
	for (i = 0; i < ARRAY_SIZE(ops); i++)
		total += ops[i].weight;
	pick = below(f, total);
	for (i = 0; i < ARRAY_SIZE(ops); i++) {
		if (pick < ops[i].weight)
			break;
		pick -= ops[i].weight;
	}
	if (ops[i].top_only && f->depth)
		return;
	ops[i].fn(f);
}

static struct fz *fz_new(int proc, int thread)
{
	struct fz *f = mmap(NULL, sizeof(*f), PROT_READ | PROT_WRITE,
			    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	uint64_t x = seed ^ ((uint64_t)proc << 40) ^ ((uint64_t)thread << 20);
	size_t i;

	if (f == MAP_FAILED)
		return NULL;
	f->buf = mmap(NULL, BUFSZ + 4096, PROT_READ | PROT_WRITE,
		      MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (f->buf == MAP_FAILED)
		return NULL;
	f->bad = f->buf + BUFSZ;
	mprotect(f->bad, 4096, PROT_NONE);
	f->rng = splitmix(&x);
	f->proc = proc;
	f->thread = thread;
	f->beat = -1;
	for (i = 0; i < BUFSZ; i += 64)
		f->buf[i] = i >> 6;
	return f;
}

static void *thread_main(void *arg)
{
	struct fz *f = arg;

	f->beat = beat_claim();
	op_connection(f);
	while (!stopping())
		one_op(f);
	beat_release(f);
	return NULL;
}

static void nothing(int sig)
{
}

static void worker_signals(void)
{
	struct sigaction sa = { .sa_handler = nothing };

	/* No SA_RESTART: the watchdog's signal ends a call with EINTR. */
	sigaction(SIGUSR1, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	signal(SIGIO, SIG_IGN);
	signal(SIGURG, SIG_IGN);
	signal(SIGCHLD, SIG_IGN);	/* forked children reap themselves */
}

/*
 * The helper files of a worker process, opened before its threads run
 * and never closed, so that no table entry ever names one of them.
 */
static int worker_files(void)
{
	unsigned int i;

	epfd = epoll_create1(EPOLL_CLOEXEC);
	memfd = memfd_create("toy_fuzz", MFD_CLOEXEC);
	if (epfd < 0 || memfd < 0 || ftruncate(memfd, BUFSZ) ||
	    pipe2(pipefd, O_NONBLOCK | O_CLOEXEC))
		return -1;
	for (i = 0; i < ARRAY_SIZE(proc_files); i++) {
		procfd[i] = open(proc_files[i], O_RDONLY | O_CLOEXEC);
		if (procfd[i] < 0)
			return -1;
	}
	/* Without debugfs, no lookups. */
	lookupfd = open("/sys/kernel/debug/toy/lookup", O_RDWR | O_CLOEXEC);
	return 0;
}

static void worker(int proc)
{
	pthread_t th[NTHREAD];
	struct fz *f;
	int i, n = 0;

	if (worker_files()) {
		fail("worker %d: cannot open its files: %s", proc, strerror(errno));
		return;
	}
	for (i = 0; i < NTHREAD; i++) {
		f = fz_new(proc, i);
		if (!f || pthread_create(&th[n], NULL, thread_main, f)) {
			fail("worker %d: cannot start thread %d", proc, i);
			break;
		}
		n++;
	}
	for (i = 0; i < n; i++)
		pthread_join(th[i], NULL);
	for (i = 0; i < NSLOTS; i++)
		if (table[i].fd >= 0)
			close(table[i].fd);
	add(&sh->workers_done, 1);
}

/* Sockets made before the workers fork: both processes share them. */
static void seed_table(struct fz *f)
{
	int i, fds[3];

	for (i = 0; i < 8; i++)
		op_socket(f);
	make_connection(f, ip_pool[0], fds);
	for (i = 0; i < 3; i++)
		if (fds[i] >= 0)
			slot_put(f, fds[i], SOCK_STREAM);
	op_dgram_pair(f);
}

/* What the namespace's own counters say, before it goes away. */
static void print_namespace_stats(void)
{
	static const char * const names[] = {
		"ActiveOpens", "PassiveOpens", "AttemptFails", "EstabResets",
		"OutRsts", "TWCreated", "TWRecycled", "TimeWaitOverflow",
		"InDatagrams", "NoPorts", "RcvbufErrors", "RetransSegs",
		"ListenOverflows", "OrphanOverflow",
	};
	char line[1024];
	size_t i, n = 0;

	for (i = 0; i < ARRAY_SIZE(names); i++)
		n += snprintf(line + n, sizeof(line) - n, " %s=%ld", names[i],
			      toy_stat(names[i]));
	printf("# fuzz namespace:%s\n", line);
}

/*
 * The first child: a namespace of its own, the shared sockets, the
 * second worker process, then the first worker in itself.
 */
static int fuzz_root(void)
{
	struct fz *f;
	pid_t pid;
	int err;

	setpgid(0, 0);
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	err = new_netns();
	if (err) {
		fail("cannot make the fuzzing namespace: %s", strerror(-err));
		return 1;
	}
	__atomic_store_n(&sh->netns_ready, 1, __ATOMIC_SEQ_CST);
	f = fz_new(NPROC, 0);
	if (!f || socketpair(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0, unix_pair)) {
		fail("fuzz root setup: %s", strerror(errno));
		return 1;
	}
	tune_namespace(f);
	worker_signals();
	table_init();
	seed_table(f);
	pid = fork();
	if (pid < 0) {
		fail("fork: %s", strerror(errno));
		return 1;
	}
	if (pid == 0) {
		worker(1);
		_exit(0);
	}
	worker(0);
	while (wait(NULL) > 0 || errno == EINTR)
		;
	print_namespace_stats();
	fflush(stdout);
	return 0;
}

/* ---------------------------------------------------------------------
 * The supervisor: watchdog, cleanup, verdict.
 */

static void print_kernel_stack(int pid, int tid)
{
	char path[64], line[256];
	FILE *fp;

	snprintf(path, sizeof(path), "/proc/%d/task/%d/stack", pid, tid);
	fp = fopen(path, "r");
	if (!fp)
		return;
	while (fgets(line, sizeof(line), fp))
		printf("#     %s", line);
	fclose(fp);
}

/*
 * Interrupt calls that take too long (or every call, with @all), and
 * report one that still runs HANG_SECS later.  Returns true on a hang.
 */
static bool watch_calls(bool all)
{
	long long now = now_ns(), age;
	double scale = toy_timeout_scale();
	struct beat *b;
	int i, sc, tid;

	for (i = 0; i < NBEATS; i++) {
		b = &sh->beats[i];
		tid = __atomic_load_n(&b->tid, __ATOMIC_ACQUIRE);
		sc = __atomic_load_n(&b->sc, __ATOMIC_ACQUIRE);
		if (!tid || sc < 0)
			continue;
		if (syscall(SYS_tgkill, b->pid, tid, 0)) {
			b->tid = 0;	/* gone without saying so */
			continue;
		}
		age = now - __atomic_load_n(&b->since, __ATOMIC_RELAXED);
		if (age > HANG_SECS * scale * 1e9) {
			fail("hang: pid %d thread %d in %s for %.0f s", b->pid,
			     tid, sc_names[sc], age / 1e9);
			printf("# %s; its kernel stack:\n", sh->why);
			print_kernel_stack(b->pid, tid);
			return true;
		}
		if ((all || age > STUCK_SECS * scale * 1e9) && !b->signalled) {
			b->signalled = 1;
			syscall(SYS_tgkill, b->pid, tid, SIGUSR1);
		}
	}
	return false;
}

/* Reap what we can; true once no process of the run is left. */
static bool group_gone(pid_t root)
{
	while (waitpid(-1, NULL, WNOHANG) > 0)
		;
	return kill(-root, 0) && errno == ESRCH;
}

static bool wait_group(pid_t root, double secs)
{
	double end = toy_now() + secs * toy_timeout_scale();

	while (!group_gone(root)) {
		if (toy_now() > end)
			return false;
		watch_calls(true);
		usleep(20000);
	}
	return true;
}

static void report_stuck(void)
{
	struct beat *b;
	int i;

	for (i = 0; i < NBEATS; i++) {
		b = &sh->beats[i];
		if (!b->tid || b->sc < 0)
			continue;
		printf("# still in %s: pid %d thread %d, kernel stack:\n",
		       sc_names[b->sc], b->pid, b->tid);
		print_kernel_stack(b->pid, b->tid);
	}
}

/*
 * A handle on the fuzzing namespace, so that what is left in it can be
 * shown if the live objects do not drain (its sockets end by their own
 * short timers; the namespace goes when the handle is closed).
 */
static int hold_namespace(pid_t root)
{
	double end = toy_now() + 30 * toy_timeout_scale();
	char path[64];

	while (!__atomic_load_n(&sh->netns_ready, __ATOMIC_SEQ_CST)) {
		if (toy_now() > end || group_gone(root))
			return -1;
		usleep(10000);
	}
	snprintf(path, sizeof(path), "/proc/%d/ns/net", root);
	return open(path, O_RDONLY | O_CLOEXEC);
}

/* The rows of /proc/net/toy and toy_dgram in the namespace @ns. */
static void show_namespace(int ns)
{
	static const char * const files[] = {
		"/proc/net/toy", "/proc/net/toy_dgram",
	};
	char line[256];
	unsigned int i;
	pid_t pid;
	FILE *fp;

	fflush(stdout);
	pid = fork();
	if (pid)
		return (void)waitpid(pid, NULL, 0);
	if (setns(ns, CLONE_NEWNET))
		_exit(1);
	for (i = 0; i < ARRAY_SIZE(files); i++) {
		fp = fopen(files[i], "r");
		if (!fp)
			continue;
		printf("# left in the fuzzing namespace, %s:\n", files[i]);
		while (fgets(line, sizeof(line), fp))
			printf("#   %s", line);
		fclose(fp);
	}
	fflush(stdout);
	_exit(0);
}

static long live_total(void)
{
	long total = 0;
	unsigned int i;

	for (i = 0; i < TOY_LIVE_KINDS; i++)
		total += labs(toy_live(toy_live_kinds[i]));
	return total;
}

/* After a failure: do the live objects drain later, or never? */
static void watch_late(void)
{
	double t0 = toy_now(), end = t0 + LATE_SECS * toy_timeout_scale();
	long last = -1, total;

	do {
		total = live_total();
		if (total != last)
			printf("# %.0f s later: %ld live objects\n",
			       toy_now() - t0, total);
		last = total;
		if (!total)
			return;
		sleep(1);
	} while (toy_now() < end);
	printf("# still there %d s later\n", (int)(toy_now() - t0));
}

/* Run the workers for the budget, then stop them (or kill them). */
static void supervise(pid_t root)
{
	while (!stopping()) {
		usleep(100000);
		if (watch_calls(false))
			break;
		if (group_gone(root))
			break;
	}
	__atomic_store_n(&sh->stop, 1, __ATOMIC_SEQ_CST);
	if (wait_group(root, GRACE_SECS))
		return;
	fail("the workers did not stop within %d s of the end", GRACE_SECS);
	report_stuck();
	kill(-root, SIGKILL);
	if (!wait_group(root, GRACE_SECS)) {
		fail("the workers did not die of SIGKILL");
		report_stuck();
	}
}

static void print_counts(void)
{
	char line[4096];
	size_t n = 0;
	unsigned long reached = 0, ok = 0;
	int i;

	for (i = 0; i < SC_MAX; i++) {
		struct tally *t = &sh->tally[i];

		reached += t->reached;
		ok += t->ok;
		if (t->calls)
			n += snprintf(line + n, sizeof(line) - n, " %s=%lu/%lu/%lu",
				      sc_names[i], t->calls, t->reached, t->ok);
	}
	printf("# per call (calls/reached AF_TOY/succeeded):%s\n", line);
	printf("# calls: %lu, reached AF_TOY: %lu (%.1f%%), of those succeeded: %lu\n",
	       sh->total, reached, sh->total ? 100.0 * reached / sh->total : 0,
	       ok);
	printf("# connected %lu, accepted %lu, connections with data both ways %lu, datagram pairs %lu, bytes received %lu\n",
	       sh->connected, sh->accepted, sh->pairs, sh->dgram_pairs,
	       sh->rx_bytes);
	printf("# forked children %lu (%lu exited), namespaces %lu, descriptors passed %lu, adopted %lu, calls interrupted %lu\n",
	       sh->forks, sh->fork_exits, sh->netns, sh->passed, sh->adopted,
	       sh->interrupted);
}

/* TOY_FUZZ_VERBOSE=1: how the calls that reached AF_TOY failed. */
static void print_errnos(void)
{
	char line[2048];
	size_t n;
	int sc, e;

	for (sc = 0; sc < SC_MAX; sc++) {
		n = 0;
		for (e = 0; e < NERRNO; e++)
			if (sh->errnos[sc][e])
				n += snprintf(line + n, sizeof(line) - n, " %s=%lu",
					      e ? strerrorname_np(e) : "other",
					      sh->errnos[sc][e]);
		if (n)
			printf("#   %s failed with:%s\n", sc_names[sc], line);
	}
}

static unsigned long reached_total(void)
{
	unsigned long r = 0;
	int i;

	for (i = 0; i < SC_MAX; i++)
		r += sh->tally[i].reached;
	return r;
}

static unsigned long ok_total(void)
{
	unsigned long r = 0;
	int i;

	for (i = 0; i < SC_MAX; i++)
		r += sh->tally[i].ok;
	return r;
}

/* The run must prove that it exercised the module. */
static void check_floor(void)
{
	unsigned long reached = reached_total();

	if (sh->workers_done != NPROC)
		fail("%lu of %d worker processes finished", sh->workers_done,
		     NPROC);
	if (sh->fork_exits != sh->forks)
		fail("%lu of %lu forked children exited normally",
		     sh->fork_exits, sh->forks);
	if (reached * 2 < sh->total)
		fail("only %lu of %lu calls reached AF_TOY", reached, sh->total);
	if (!sh->accepted || !sh->pairs)
		fail("no accepted connection carried data (accepted %lu, with data %lu)",
		     sh->accepted, sh->pairs);
}

static long read_taint(void)
{
	return toy_read_long("/proc/sys/kernel/tainted");
}

static unsigned long long env_ull(const char *name, unsigned long long def)
{
	const char *s = getenv(name);

	return s && *s ? strtoull(s, NULL, 10) : def;
}

/* Descriptors 0-2 stay open, so that no socket ever gets their numbers. */
static void keep_stdio_open(void)
{
	int fd;

	for (fd = 0; fd < 3; fd++)
		if (fcntl(fd, F_GETFD) < 0 && open("/dev/null", O_RDWR) != fd)
			exit(1);
}

static void init_pool(void)
{
	static const char * const ips[] = {
		"127.0.0.1", "127.0.0.1", "127.0.0.1", "0.0.0.0", "0.0.0.0",
		"127.0.0.2", "10.9.0.1", "10.9.0.3", SILENT, "192.0.2.1",
		"255.255.255.255", "224.0.0.1", "10.9.255.255",
	};
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(ips); i++)
		ip_pool[i] = inet_addr(ips[i]);
}

int main(void)
{
	long taint_before, taint_after;
	double t0 = toy_now();
	pid_t root;
	int ns;
	char repro[512];

	keep_stdio_open();
	setvbuf(stdout, NULL, _IOLBF, 0);	/* in order with stderr */
	seed = env_ull("TOY_FUZZ_SEED", DEFAULT_SEED);
	fuzz_time = env_ull("TOY_FUZZ_TIME", DEFAULT_TIME);
	lane_reproduce(repro, sizeof(repro), seed, fuzz_time,
		       "build/selftests/toy_fuzz_sys");
	printf("# seed=%llu time=%ds  reproduce: %s\n", seed, fuzz_time,
	       repro);
	fflush(stdout);

	if (geteuid() || toy_live("sockets") < 0) {
		printf("ok 1 toy_fuzz_sys # SKIP needs root and toy.ko loaded\n");
		return 4;
	}
	af = toy_af();
	ipproto = toy_read_long("/sys/module/toy/parameters/ipproto");
	if (ipproto <= 0)
		ipproto = IPPROTO_TOY;
	init_pool();
	sh = mmap(NULL, sizeof(*sh), PROT_READ | PROT_WRITE,
		  MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (sh == MAP_FAILED)
		return 1;
	sh->limit = env_ull("TOY_FUZZ_CALLS", 0);
	sh->deadline = now_ns() + fuzz_time * 1000000000LL;
	taint_before = read_taint();
	prctl(PR_SET_CHILD_SUBREAPER, 1);

	fflush(stdout);
	root = fork();
	if (root < 0)
		return 1;
	if (root == 0)
		_exit(fuzz_root());
	setpgid(root, root);
	ns = hold_namespace(root);
	supervise(root);

	print_counts();
	if (getenv("TOY_FUZZ_VERBOSE"))
		print_errnos();
	if (!sh->failed)
		check_floor();
	if (toy_live_wait_zero(LIVE_SECS)) {
		fail("live objects left after the run (above)");
		if (ns >= 0)
			show_namespace(ns);
	}
	if (ns >= 0)
		close(ns);
	if (live_total())
		watch_late();
	taint_after = read_taint();
	if ((taint_before ^ taint_after) & ~(4096L | 8192L))
		fail("kernel taint changed from %ld to %ld", taint_before,
		     taint_after);

	printf("# toy_fuzz_sys: seed=%llu calls=%lu reached=%lu ok=%lu pairs=%lu accepted=%lu in %.1f s\n",
	       seed, sh->total, reached_total(), ok_total(), sh->pairs,
	       sh->accepted, toy_now() - t0);
	if (sh->failed) {
		printf("# FAIL: %s\n# seed=%llu  reproduce: %s\n", sh->why, seed, repro);
		printf("not ok 1 toy_fuzz_sys\n");
		return 1;
	}
	printf("ok 1 toy_fuzz_sys\n");
	return 0;
}
