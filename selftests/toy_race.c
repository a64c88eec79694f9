// SPDX-License-Identifier: GPL-2.0
/*
 * toy_race - the race lane: threads that hammer one AF_TOY socket, or one
 * listener, with calls that conflict, and namespaces and the module that
 * go away under live traffic.
 *
 *   pair_mix_stream      every pair of calls (close, shutdown, connect,
 *   pair_mix_dgram       connect(AF_UNSPEC), bind, listen, accept, send,
 *                        recv, poll, setsockopt, getters) started together
 *                        by a barrier on ONE socket, in every state the
 *                        socket can be in (fresh, bound, listening with
 *                        handshakes arriving, connecting, connected with
 *                        a peer that sends and may close, half-closed),
 *                        sometimes through a dup()ed descriptor, while a
 *                        thread reads /proc/net/toy*; closing the
 *                        descriptor another thread is blocked in is one
 *                        of the cases.  A listening socket listens again
 *                        after its calls, and once everything waiting is
 *                        accepted its queue (/proc/net/toy) reads empty
 *   one_listener         clients, acceptors, spoofed SYNs (half-open
 *                        entries) and a thread that shuts the listener
 *                        down, dissolves it, re-listens, closes and
 *                        reopens it, all on one port; at the end its
 *                        queue reads empty and it still serves
 *   unspec_stream        connect(AF_UNSPEC) and reconnect during traffic:
 *                        no recv() may return bytes of two connections
 *   unspec_dgram         the same for datagram sockets: messages intact
 *   netns_teardown       a namespace dies (its process killed, or exiting)
 *                        with live connections, data behind 100% loss,
 *                        keepalive, half-open and TIME_WAIT entries, and a
 *                        second namespace made by unshare() in a thread
 *   rmmod_under_traffic  delete_module() fails cleanly while sockets live;
 *                        then a real unload and reload, as toy_module.sh
 *   disconnect_ends_blocked_recv, disconnect_ends_send_waiting_for_connect
 *                        the regression tests of what the lane found
 *
 * Every call must return within its timeout (SO_RCVTIMEO, SO_SNDTIMEO),
 * with an errno TCP would give; the live-object counters must be zero
 * after each test; the VM runner fails the run on any kernel splat.
 *
 * Budget and seed (toy_budget.h): TOY_FUZZ_TIME seconds (default 16),
 * TOY_FUZZ_SEED.  A failure prints the round, its calls and the socket
 * state, and the line that reproduces the run:
 *   TOY_FUZZ_SEED=N TOY_FUZZ_TIME=S scripts/vm-run -- \
 *	selftests/run_tests.sh build/selftests toy_race
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <net/if.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <linux/sockios.h>
#include <linux/toy.h>

#include "kselftest_harness.h"
#include "toy_budget.h"
#include "toy_lib.h"
#include "toy_net.h"
#include "toy_peer.h"

#define LO		"127.0.0.1"
#define HUB_PORT	7100	/* what the calls connect and send to */
#define PAIR_PORT	7101	/* where a round makes its connections */
#define POOL_PORT	7200	/* a few ports many sockets bind to */
#define POOL_SIZE	4
#define CLOSED_PORT	7299	/* nobody ever listens here */

/* The lane's default budget (make check) and seed. */
#define RACE_BRIEF_TIME	16.0
#define RACE_SEED	20240611UL

enum {
	C_ROUNDS, C_CALLS, C_CLOSE_RACES, C_DUPS, C_LISTENER_OPS,
	C_CONNECTS, C_ACCEPTS, C_SYNS, C_RECONNECTS, C_CHUNKS, C_DATAGRAMS,
	C_NETNS, C_NETNS_KILLED, C_TW_MADE, C_RMMOD_REFUSED, C_RELOADS,
	C_REGRESSION_ROUNDS,
};

static const char * const race_counters[] = {
	"rounds", "calls", "close_races", "dup_rounds", "listener_ops",
	"connects", "accepts", "spoofed_syns", "reconnects", "recv_chunks",
	"datagrams", "namespaces", "namespaces_killed", "timewait_made",
	"rmmod_refused", "reloads", "regression_rounds", NULL,
};

/* How long a thread may take to come back from one call (scaled). */
#define CALL_DEADLINE	20.0

static double scaled(double secs)
{
	return secs * toy_timeout_scale();
}

static void sleep_ms(double ms)
{
	usleep((useconds_t)(ms * 1000));
}

/* Spin for @us microseconds: shifts where two calls meet. */
static void spin_us(unsigned int us)
{
	double end = toy_now() + us / 1e6;

	while (toy_now() < end)
		;
}

/* ---- the test's namespace ---------------------------------------- */

/*
 * The sysctls that let everything a test leaves behind end quickly:
 * TIME_WAIT in 2 x @msl_ms, orphans after one retransmission, FIN_WAIT2
 * after a second, half-open entries after @synack SYN-ACK retries.
 */
static int quick_timers(int msl_ms, int synack)
{
	char v[32];
	int err;

	snprintf(v, sizeof(v), "%d", msl_ms);
	err = sysctl_write("msl_ms", v);
	snprintf(v, sizeof(v), "%d", synack);
	err = err ?: sysctl_write("synack_retries", v);
	err = err ?: sysctl_write("fin_timeout", "1");
	err = err ?: sysctl_write("orphan_retries", "1");
	err = err ?: sysctl_write("syn_retries", "2");
	err = err ?: sysctl_write("retries2", "3");
	return err;
}

/*
 * A fresh namespace with lo up and the silent peer PEER_ADDR behind a
 * TUN device (toy_peer.h): a connect() to it stays in SYN_SENT, and a
 * test may script it.  0 or -errno.
 */
static int race_netns(struct toy_peer *peer)
{
	int err;

	if (unshare(CLONE_NEWNET))
		return -errno;
	err = lo_up();
	err = err ?: toy_peer_open(peer, 1500);
	err = err ?: quick_timers(100, 1);
	return err;
}

/* Every call of the lane may end with the timeouts of a socket. */
static void set_timeouts(int fd, int ms)
{
	struct timeval tv = { .tv_sec = ms / 1000,
			      .tv_usec = (ms % 1000) * 1000 };

	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
}

/* An AF_TOY socket whose blocking calls end within @ms (scaled). */
static int tsock(int type, int ms)
{
	int fd = socket(TOY_AF, type | SOCK_CLOEXEC, 0);

	if (fd >= 0)
		set_timeouts(fd, (int)scaled(ms));
	return fd;
}

static int tbind(int fd, const char *ip, int port)
{
	struct sockaddr_toy a = taddr(ip, port);

	return bind(fd, (struct sockaddr *)&a, sizeof(a));
}

static int tconnect(int fd, const char *ip, int port)
{
	struct sockaddr_toy a = taddr(ip, port);

	return connect(fd, (struct sockaddr *)&a, sizeof(a));
}

static int disconnect(int fd)
{
	struct sockaddr sa = { .sa_family = AF_UNSPEC };

	return connect(fd, &sa, sizeof(sa));
}

static int set_blocking(int fd, int on)
{
	int fl = fcntl(fd, F_GETFL);

	if (fl < 0)
		return -1;
	return fcntl(fd, F_SETFL, on ? fl & ~O_NONBLOCK : fl | O_NONBLOCK);
}

/* A listener on @ip:@port (SO_REUSEADDR), or -1. */
static int tlisten(const char *ip, int port, int backlog, int ms)
{
	int one = 1, fd = tsock(SOCK_STREAM, ms);

	if (fd < 0)
		return -1;
	if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) ||
	    tbind(fd, ip, port) || listen(fd, backlog)) {
		close(fd);
		return -1;
	}
	return fd;
}

/* accept() within @ms (scaled), or -1. */
static int accept_within(int l, int ms)
{
	struct pollfd p = { .fd = l, .events = POLLIN };

	if (poll(&p, 1, (int)scaled(ms)) != 1)
		return -1;
	return accept4(l, NULL, NULL, SOCK_CLOEXEC);
}

/* A connection to the listener @hub on port @port: *c and *s, or -1. */
static int make_pair(int hub, int port, int ms, int *c, int *s)
{
	*s = -1;
	*c = tsock(SOCK_STREAM, ms);
	if (*c < 0)
		return -1;
	if (tconnect(*c, LO, port) == 0)
		*s = accept_within(hub, 5000);
	if (*s < 0) {
		close(*c);
		*c = -1;
		return -1;
	}
	set_timeouts(*s, (int)scaled(ms));
	return 0;
}

/* The accept queue of the listener on @port, as /proc/net/toy shows it. */
static long listener_queue(int port)
{
	unsigned int lp, st;
	unsigned long txq, rxq;
	char line[256];
	long q = -1;
	FILE *f = fopen("/proc/net/toy", "r");

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, " %*d: %*x:%x %*x:%*x %x %lx:%lx", &lp, &st,
			   &txq, &rxq) == 4 && (int)lp == port && st == 0x0A)
			q = rxq;
	fclose(f);
	return q;
}

/*
 * Accept whatever waits on listener @l and return its accept queue as
 * /proc/net/toy then shows it (-1: @port has no listener): 0 unless the
 * queue's count went wrong.  A late handshake may add a child meanwhile:
 * that one is taken too.
 */
static long drain_queue(int l, int port)
{
	long q = -1;
	int s, i;

	if (set_blocking(l, 0))
		return -1;
	for (i = 0; i < 10 && q; i++) {
		while ((s = accept4(l, NULL, NULL, SOCK_CLOEXEC)) >= 0)
			close(s);
		q = listener_queue(port);
		if (q > 0)
			sleep_ms(10);
	}
	set_blocking(l, 1);
	return q;
}

/* ---- a thread that reads every /proc file of the module ---------- */

struct proc_reader {
	pthread_t	thread;
	atomic_int	stop;
};

static void read_whole(const char *path)
{
	char buf[4096];
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return;
	while (read(fd, buf, sizeof(buf)) > 0)
		;
	close(fd);
}

static void *proc_reader_main(void *arg)
{
	static const char * const files[] = {
		"/proc/net/toy", "/proc/net/toy_dgram", "/proc/net/toy_stat",
		"/proc/net/toy_sockstat", "/proc/net/protocols",
	};
	struct proc_reader *pr = arg;
	unsigned int i = 0;

	while (!atomic_load(&pr->stop)) {
		read_whole(files[i++ % (sizeof(files) / sizeof(files[0]))]);
		sleep_ms(1);
	}
	return NULL;
}

static void proc_reader_start(struct proc_reader *pr)
{
	atomic_store(&pr->stop, 0);
	pthread_create(&pr->thread, NULL, proc_reader_main, pr);
}

static void proc_reader_stop(struct proc_reader *pr)
{
	atomic_store(&pr->stop, 1);
	pthread_join(pr->thread, NULL);
}

/*
 * Join @t within @secs (scaled); 0, or -1 when it is still running (a
 * call that never came back: the caller reports it and fails).
 */
static int join_within(pthread_t t, double secs)
{
	struct timespec ts;
	double end;

	clock_gettime(CLOCK_REALTIME, &ts);
	end = ts.tv_sec + ts.tv_nsec / 1e9 + scaled(secs);
	ts.tv_sec = (time_t)end;
	ts.tv_nsec = (long)((end - ts.tv_sec) * 1e9);
	return pthread_timedjoin_np(t, NULL, &ts) ? -1 : 0;
}

/* The first unexpected result a test's threads found; "" while none. */
struct first_bad {
	pthread_mutex_t	lock;
	char		msg[240];
};

/* Note what went wrong, unless something already did. */
__attribute__((format(printf, 2, 3)))
static void set_bad(struct first_bad *b, const char *fmt, ...)
{
	va_list ap;

	pthread_mutex_lock(&b->lock);
	if (!b->msg[0]) {
		va_start(ap, fmt);
		vsnprintf(b->msg, sizeof(b->msg), fmt, ap);
		va_end(ap);
	}
	pthread_mutex_unlock(&b->lock);
}

/*
 * Join the @n threads @t, each within CALL_DEADLINE; 1 if one of them
 * never came back (logged as @who), else 0.
 */
static int join_all(struct __test_metadata *_metadata, const pthread_t *t,
		    int n, const char *who)
{
	int i, hung = 0;

	for (i = 0; i < n; i++)
		hung |= join_within(t[i], CALL_DEADLINE);
	if (hung)
		TH_LOG("%s never came back", who);
	return hung;
}

/*
 * The end of a test whose threads note the first thing wrong in @bad:
 * that, and the reproduce line when it failed (@hung or @bad).  0 or -1.
 */
static int threads_verdict(struct __test_metadata *_metadata, int hung,
			   const char *bad)
{
	if (bad[0])
		TH_LOG("%s", bad);
	if (!hung && !bad[0])
		return 0;
	lane_reproduce_line(stderr);
	return -1;
}

/* Is errno @e one of the zero-terminated list @ok? */
static int errno_in(int e, const int *ok)
{
	for (; *ok; ok++)
		if (e == *ok)
			return 1;
	return 0;
}

/* ---- one socket, two calls at once ------------------------------- */

enum op {
	OP_CLOSE, OP_SHUTDOWN, OP_CONNECT, OP_DISCONNECT, OP_BIND, OP_LISTEN,
	OP_ACCEPT, OP_SEND, OP_RECV, OP_POLL, OP_SETSOCKOPT, OP_INFO, OP_NR
};

static const char * const op_names[OP_NR] = {
	"close", "shutdown", "connect", "connect", "bind",
	"listen", "accept", "send", "recv", "poll", "setsockopt", "getters",
};

/* The calls a datagram socket gets (listen and accept have no use). */
static const int dgram_ops[] = {
	OP_CLOSE, OP_SHUTDOWN, OP_CONNECT, OP_DISCONNECT, OP_BIND, OP_SEND,
	OP_RECV, OP_POLL, OP_SETSOCKOPT, OP_INFO,
};

enum kind {
	K_FRESH, K_BOUND, K_LISTENING, K_CONNECTING, K_CONNECTED, K_ACCEPTED,
	K_HALFCLOSED, K_NR
};

static const char * const kind_names[K_NR] = {
	"fresh", "bound", "listening", "connecting", "connected", "accepted",
	"half-closed",
};

/*
 * The errnos each call may end with, as TCP and UDP end them; a socket
 * closed under the call adds EBADF, and ENOTSOCK or ENOTTY: its number
 * may have been reused meanwhile (by an accept(), an epoll instance, a
 * /proc reader), and what holds it now may be no socket.
 */
#define CONN_ERRS ECONNRESET, ECONNREFUSED, ETIMEDOUT, EHOSTUNREACH, \
		  ENETUNREACH, ECONNABORTED, EPIPE

static const int stream_ok[OP_NR][16] = {
	[OP_CLOSE]	= { 0 },
	[OP_SHUTDOWN]	= { ENOTCONN, 0 },
	[OP_CONNECT]	= { EISCONN, EALREADY, EINPROGRESS, EADDRNOTAVAIL,
			    EINVAL, CONN_ERRS, 0 },
	[OP_DISCONNECT]	= { 0 },
	[OP_BIND]	= { EINVAL, EADDRINUSE, 0 },
	[OP_LISTEN]	= { EINVAL, EADDRINUSE, 0 },
	[OP_ACCEPT]	= { EINVAL, EAGAIN, 0 },
	[OP_SEND]	= { EAGAIN, CONN_ERRS, 0 },
	[OP_RECV]	= { ENOTCONN, EAGAIN, CONN_ERRS, 0 },
	[OP_POLL]	= { 0 },
	[OP_SETSOCKOPT]	= { 0 },
	[OP_INFO]	= { ENOTCONN, EINVAL, 0 },
};

static const int dgram_ok[OP_NR][16] = {
	[OP_CLOSE]	= { 0 },
	[OP_SHUTDOWN]	= { ENOTCONN, 0 },
	/* EINVAL: bound to 127.0.0.1, for somewhere else (a martian). */
	[OP_CONNECT]	= { EAGAIN, EINVAL, ENETUNREACH, EHOSTUNREACH, 0 },
	[OP_DISCONNECT]	= { 0 },
	[OP_BIND]	= { EINVAL, EADDRINUSE, 0 },
	[OP_SEND]	= { EDESTADDRREQ, EAGAIN, EINVAL, ENOBUFS,
			    ECONNREFUSED, EHOSTUNREACH, ENETUNREACH, EPIPE,
			    0 },
	[OP_RECV]	= { EAGAIN, ECONNREFUSED, EHOSTUNREACH, ENETUNREACH,
			    0 },
	[OP_POLL]	= { 0 },
	[OP_SETSOCKOPT]	= { ENOPROTOOPT, 0 },
	[OP_INFO]	= { ENOTCONN, 0 },
};

struct round;

/* One of the two calls of a round, in a thread of its own. */
struct call {
	struct round	*r;
	int		op;
	int		fd;		/* the target, or its dup */
	unsigned int	delay_us;	/* spin before the call */
	struct lane_rng	rng;
	int		ret, err;
	char		what[96];	/* its arguments, for a report */
	pthread_t	thread;
};

/*
 * What a test's rounds share: the socket type; the hub, a listener (or
 * datagram socket) that a thread drains, for the calls to connect and
 * send to; the listener the rounds make their connections with; the
 * silent peer.
 */
struct mix {
	int		type;
	int		hub;
	int		pairs;
	pthread_t	drainer;
	atomic_int	stop;
	struct toy_peer	peer;
};

struct round {
	struct mix	*mix;
	unsigned long	nr;
	int		kind;
	int		ms;		/* the target's timeouts */
	int		fd, dupfd;
	atomic_int	fd_closed, dup_closed;
	int		peer;		/* the other end, or -1 */
	int		peer_action;	/* 0, or what the peer does: 1-3 */
	double		peer_at;	/* ... after this many ms */
	int		pre[2];		/* clients queued on a listening one */
	int		port;		/* the target's port, 0: none */
	int		helper_on;
	pthread_t	helper;
	atomic_int	stop;
	pthread_barrier_t start;
	struct call	call[2];
	struct lane_rng	rng;
};

static int type_is_stream(const struct round *r)
{
	return r->mix->type == SOCK_STREAM;
}

/* A destination for connect() or sendto(). */
static struct sockaddr_toy pick_dest(struct call *c, char *what,
				     size_t len)
{
	static const char * const names[] = {
		"hub", "closed port", "silent peer", "itself", "pool",
	};
	int which = lane_below(&c->rng, 5), port;
	struct sockaddr_toy a;

	switch (which) {
	case 0:
		a = taddr(LO, HUB_PORT);
		break;
	case 1:
		a = taddr(LO, CLOSED_PORT);
		break;
	case 2:
		a = taddr(PEER_ADDR, 9000 + lane_below(&c->rng, 4));
		break;
	case 3:
		port = local_port(c->fd);
		a = taddr(LO, port > 0 ? port : HUB_PORT);
		break;
	default:
		a = taddr(LO, POOL_PORT + lane_below(&c->rng, POOL_SIZE));
		break;
	}
	snprintf(what, len, "%s :%d", names[which], ntohs(a.stoy_port));
	return a;
}

static int call_connect(struct call *c)
{
	struct sockaddr_toy a = pick_dest(c, c->what, sizeof(c->what));

	return connect(c->fd, (struct sockaddr *)&a, sizeof(a));
}

static int call_bind(struct call *c)
{
	static const char * const ips[] = { LO, "0.0.0.0", PEER_HOST };
	const char *ip = ips[lane_below(&c->rng, 3)];
	int port = 0;

	switch (lane_below(&c->rng, 3)) {
	case 1:
		port = POOL_PORT + lane_below(&c->rng, POOL_SIZE);
		break;
	case 2:
		port = HUB_PORT;
		break;
	}
	snprintf(c->what, sizeof(c->what), "%s:%d", ip, port);
	return tbind(c->fd, ip, port);
}

static int call_listen(struct call *c)
{
	static const int backlogs[] = { -1, 0, 1, 4, 128 };
	int b = backlogs[lane_below(&c->rng, 5)];

	snprintf(c->what, sizeof(c->what), "backlog %d", b);
	return listen(c->fd, b);
}

static int call_accept(struct call *c)
{
	int nonblock = lane_below(&c->rng, 2), n;
	char buf[64];

	snprintf(c->what, sizeof(c->what), "%s",
		 nonblock ? "SOCK_NONBLOCK" : "blocking");
	n = accept4(c->fd, NULL, NULL,
		    SOCK_CLOEXEC | (nonblock ? SOCK_NONBLOCK : 0));
	if (n < 0)
		return -1;
	lane_count(C_ACCEPTS, 1);
	/* The child is a socket like any other: use it a little. */
	if (lane_below(&c->rng, 2))
		send(n, "x", 1, MSG_DONTWAIT | MSG_NOSIGNAL);
	recv(n, buf, sizeof(buf), MSG_DONTWAIT);
	close(n);
	return 0;
}

static int call_send(struct call *c, char *buf)
{
	static const size_t sizes[] = { 0, 1, 700, 9000, 65495 };
	size_t len = sizes[lane_below(&c->rng, 5)];
	int flags = MSG_NOSIGNAL, to = lane_below(&c->rng, 3) == 0;
	struct sockaddr_toy a;
	char dest[48];

	if (lane_below(&c->rng, 2))
		flags |= MSG_DONTWAIT;
	if (type_is_stream(c->r) && !len)
		len = 1;
	if (to && !type_is_stream(c->r)) {
		a = pick_dest(c, dest, sizeof(dest));
		snprintf(c->what, sizeof(c->what), "%zu bytes to %s%s", len,
			 dest, flags & MSG_DONTWAIT ? ", MSG_DONTWAIT" : "");
		return sendto(c->fd, buf, len, flags, (struct sockaddr *)&a,
			      sizeof(a));
	}
	snprintf(c->what, sizeof(c->what), "%zu bytes%s", len,
		 flags & MSG_DONTWAIT ? ", MSG_DONTWAIT" : "");
	return send(c->fd, buf, len, flags);
}

static int call_recv(struct call *c, char *buf)
{
	static const int flag_sets[] = {
		0, MSG_DONTWAIT, MSG_PEEK, MSG_WAITALL, MSG_PEEK | MSG_DONTWAIT,
		MSG_TRUNC,
	};
	static const size_t sizes[] = { 1, 100, 4096, 65536 };
	int flags = flag_sets[lane_below(&c->rng, 6)];
	size_t len = sizes[lane_below(&c->rng, 4)];

	snprintf(c->what, sizeof(c->what), "%zu bytes, flags %#x", len, flags);
	return recv(c->fd, buf, len, flags);
}

/* poll(), or an epoll instance of its own, for up to 20 ms. */
static int call_poll(struct call *c)
{
	struct pollfd p = { .fd = c->fd,
			    .events = POLLIN | POLLOUT | POLLRDHUP };
	int ms = lane_below(&c->rng, 21), ep, n;
	struct epoll_event ev = { .events = EPOLLIN | EPOLLOUT | EPOLLRDHUP |
					    EPOLLET };

	if (lane_below(&c->rng, 2)) {
		snprintf(c->what, sizeof(c->what), "poll %d ms", ms);
		return poll(&p, 1, ms) < 0 ? -1 : 0;
	}
	snprintf(c->what, sizeof(c->what), "epoll %d ms", ms);
	ep = epoll_create1(EPOLL_CLOEXEC);
	if (ep < 0)
		return -1;
	if (ep == c->fd) {
		/* The target was closed, and its number is the epoll's. */
		close(ep);
		errno = EBADF;
		return -1;
	}
	n = epoll_ctl(ep, EPOLL_CTL_ADD, c->fd, &ev);
	if (!n)
		n = epoll_wait(ep, &ev, 1, ms) < 0 ? -1 : 0;
	if (n && errno == EPERM)
		n = 0;		/* not a file epoll can watch (reused) */
	close(ep);
	return n;
}

static int call_setsockopt(struct call *c)
{
	struct lane_rng *g = &c->rng;
	int v = 1 + lane_below(g, 3);
	struct linger lg = { 1, (int)lane_below(g, 2) };
	struct timeval tv = { 0, 1000 * (1 + lane_below(g, 50)) };
	const char *dev = lane_below(g, 2) ? "lo" : "";

	switch (lane_below(g, 10)) {
	case 0:
		snprintf(c->what, sizeof(c->what), "SO_LINGER {1, %d}",
			 lg.l_linger);
		return setsockopt(c->fd, SOL_SOCKET, SO_LINGER, &lg,
				  sizeof(lg));
	case 1:
		v = lane_below(g, 2);
		snprintf(c->what, sizeof(c->what), "SO_KEEPALIVE %d", v);
		return setsockopt(c->fd, SOL_SOCKET, SO_KEEPALIVE, &v,
				  sizeof(v));
	case 2:
		snprintf(c->what, sizeof(c->what), "TOY_KEEPIDLE %d", v);
		return setsockopt(c->fd, SOL_TOY, TOY_KEEPIDLE, &v, sizeof(v));
	case 3:
		v = lane_below(g, 2) ? 1 : 1 << 20;
		snprintf(c->what, sizeof(c->what), "SO_RCVBUF %d", v);
		return setsockopt(c->fd, SOL_SOCKET, SO_RCVBUF, &v, sizeof(v));
	case 4:
		v = lane_below(g, 2) ? 1 : 1 << 20;
		snprintf(c->what, sizeof(c->what), "SO_SNDBUF %d", v);
		return setsockopt(c->fd, SOL_SOCKET, SO_SNDBUF, &v, sizeof(v));
	case 5:
		v = lane_below(g, 2);
		snprintf(c->what, sizeof(c->what), "SO_REUSEADDR %d", v);
		return setsockopt(c->fd, SOL_SOCKET, SO_REUSEADDR, &v,
				  sizeof(v));
	case 6:
		v = lane_below(g, 2);
		snprintf(c->what, sizeof(c->what), "TOY_REUSEPORT %d", v);
		return setsockopt(c->fd, SOL_TOY, TOY_REUSEPORT, &v, sizeof(v));
	case 7:
		snprintf(c->what, sizeof(c->what), "SO_BINDTODEVICE \"%s\"",
			 dev);
		return setsockopt(c->fd, SOL_SOCKET, SO_BINDTODEVICE, dev,
				  strlen(dev) + 1);
	case 8:
		/* Never 0: that would be no timeout at all. */
		snprintf(c->what, sizeof(c->what), "SO_RCVTIMEO %ld us",
			 (long)tv.tv_usec);
		return setsockopt(c->fd, SOL_SOCKET, lane_below(g, 2) ?
				  SO_RCVTIMEO : SO_SNDTIMEO, &tv, sizeof(tv));
	default:
		v = 1 + lane_below(g, 2000);
		snprintf(c->what, sizeof(c->what), "SO_RCVLOWAT %d", v);
		return setsockopt(c->fd, SOL_SOCKET, SO_RCVLOWAT, &v,
				  sizeof(v));
	}
}

static int call_info(struct call *c)
{
	struct sockaddr_toy a;
	socklen_t len = sizeof(a);
	int v;

	switch (lane_below(&c->rng, 5)) {
	case 0:
		snprintf(c->what, sizeof(c->what), "getsockname");
		return getsockname(c->fd, (struct sockaddr *)&a, &len);
	case 1:
		snprintf(c->what, sizeof(c->what), "getpeername");
		return getpeername(c->fd, (struct sockaddr *)&a, &len);
	case 2:
		snprintf(c->what, sizeof(c->what), "SO_ERROR");
		len = sizeof(v);
		return getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &v, &len);
	case 3:
		snprintf(c->what, sizeof(c->what), "SIOCINQ");
		return ioctl(c->fd, SIOCINQ, &v);
	default:
		snprintf(c->what, sizeof(c->what), "SIOCOUTQ");
		return ioctl(c->fd, SIOCOUTQ, &v);
	}
}

/* Do the call; -1 with errno set, or 0 (or a count). */
static int call_do(struct call *c, char *buf)
{
	struct round *r = c->r;
	int ret;

	switch (c->op) {
	case OP_CLOSE:
		ret = close(c->fd);
		atomic_store(c->fd == r->fd ? &r->fd_closed : &r->dup_closed,
			     1);
		return ret;
	case OP_SHUTDOWN:
		ret = lane_below(&c->rng, 3);
		snprintf(c->what, sizeof(c->what), "how %d", ret);
		return shutdown(c->fd, ret);
	case OP_CONNECT:
		return call_connect(c);
	case OP_DISCONNECT:
		snprintf(c->what, sizeof(c->what), "AF_UNSPEC");
		return disconnect(c->fd);
	case OP_BIND:
		return call_bind(c);
	case OP_LISTEN:
		return call_listen(c);
	case OP_ACCEPT:
		return call_accept(c);
	case OP_SEND:
		return call_send(c, buf);
	case OP_RECV:
		return call_recv(c, buf);
	case OP_POLL:
		return call_poll(c);
	case OP_SETSOCKOPT:
		return call_setsockopt(c);
	default:
		return call_info(c);
	}
}

static void *call_main(void *arg)
{
	struct call *c = arg;
	char *buf = malloc(65536);

	memset(buf, 'r', 65536);
	pthread_barrier_wait(&c->r->start);
	spin_us(c->delay_us);
	errno = 0;
	c->ret = call_do(c, buf);
	c->err = c->ret < 0 ? errno : 0;
	free(buf);
	return NULL;
}

/* ---- the other end of the target, during a round ------------------ */

/*
 * The peer of a connected target: it sends and reads without blocking,
 * and at a chosen moment (peer_action) shuts down its side, closes, or
 * resets.  For a listening target it is a connector instead: clients
 * whose handshakes arrive while the calls run.
 */
static void peer_act(struct round *r)
{
	struct linger lg = { 1, 0 };

	switch (r->peer_action) {
	case 1:
		shutdown(r->peer, SHUT_WR);
		break;
	case 2:
		setsockopt(r->peer, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
		/* fall through */
	case 3:
		close(r->peer);
		r->peer = -1;
		break;
	}
}

static void *pump_main(void *arg)
{
	struct round *r = arg;
	double t0, act_at;
	char buf[2048];
	int acted = 0;

	memset(buf, 'p', sizeof(buf));
	pthread_barrier_wait(&r->start);
	t0 = toy_now();
	act_at = t0 + r->peer_at / 1000;
	while (!atomic_load(&r->stop) && r->peer >= 0) {
		struct pollfd p = { .fd = r->peer, .events = POLLIN };

		if (!acted && r->peer_action && toy_now() >= act_at) {
			acted = 1;
			peer_act(r);
			if (r->peer < 0)
				break;
		}
		send(r->peer, buf, 1 + (lane_rand(&r->rng) & 2047),
		     MSG_DONTWAIT | MSG_NOSIGNAL);
		recv(r->peer, buf, sizeof(buf), MSG_DONTWAIT);
		poll(&p, 1, 1);
	}
	return NULL;
}

static void *connector_main(void *arg)
{
	struct round *r = arg;
	int fds[3], n = 1 + lane_below(&r->rng, 3), i;

	pthread_barrier_wait(&r->start);
	for (i = 0; i < n; i++) {
		fds[i] = tsock(SOCK_STREAM | SOCK_NONBLOCK, 50);
		if (fds[i] >= 0)
			tconnect(fds[i], LO, r->port);
		lane_count(C_CONNECTS, 1);
		spin_us(lane_below(&r->rng, 300));
	}
	while (!atomic_load(&r->stop))
		sleep_ms(1);
	for (i = 0; i < n; i++)
		if (fds[i] >= 0)
			close(fds[i]);
	return NULL;
}

/* ---- a round: set the target up, race two calls, clean up --------- */

/* Options that change what the calls meet: linger, keepalive, buffers. */
static void target_options(struct round *r)
{
	struct linger lg = { 1, 0 };
	int one = 1, small = 4096;

	switch (lane_below(&r->rng, 6)) {
	case 0:
		setsockopt(r->fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
		break;
	case 1:
		if (type_is_stream(r)) {
			setsockopt(r->fd, SOL_SOCKET, SO_KEEPALIVE, &one,
				   sizeof(one));
			setsockopt(r->fd, SOL_TOY, TOY_KEEPIDLE, &one,
				   sizeof(one));
		}
		break;
	case 2:
		setsockopt(r->fd, SOL_SOCKET, SO_SNDBUF, &small, sizeof(small));
		break;
	case 3:
		setsockopt(r->fd, SOL_SOCKET, SO_RCVBUF, &small, sizeof(small));
		break;
	}
}

static int setup_stream(struct round *r)
{
	struct mix *m = r->mix;
	int i, n;

	switch (r->kind) {
	case K_FRESH:
		r->fd = tsock(SOCK_STREAM, r->ms);
		return r->fd < 0 ? -1 : 0;
	case K_BOUND:
	case K_LISTENING:
		r->fd = tsock(SOCK_STREAM, r->ms);
		if (r->fd < 0 || tbind(r->fd, LO, 0))
			return -1;
		r->port = local_port(r->fd);
		if (r->kind == K_BOUND)
			return 0;
		if (listen(r->fd, 1 + lane_below(&r->rng, 8)))
			return -1;
		n = lane_below(&r->rng, 3);
		for (i = 0; i < n; i++) {
			r->pre[i] = tsock(SOCK_STREAM, 50);
			if (r->pre[i] >= 0)
				tconnect(r->pre[i], LO, r->port);
		}
		return 0;
	case K_CONNECTING:
		r->fd = tsock(SOCK_STREAM | SOCK_NONBLOCK, r->ms);
		if (r->fd < 0 || !tconnect(r->fd, PEER_ADDR, 9000) ||
		    errno != EINPROGRESS)
			return -1;
		return set_blocking(r->fd, 1);
	default:
		if (make_pair(m->pairs, PAIR_PORT, r->ms, &r->fd, &r->peer))
			return -1;
		if (r->kind == K_ACCEPTED) {
			i = r->fd;
			r->fd = r->peer;
			r->peer = i;
		}
		if (r->kind == K_HALFCLOSED)
			shutdown(lane_below(&r->rng, 2) ? r->fd : r->peer,
				 SHUT_WR);
		return 0;
	}
}

static int setup_dgram(struct round *r)
{
	r->fd = tsock(SOCK_DGRAM, r->ms);
	if (r->fd < 0)
		return -1;
	if (r->kind == K_FRESH)
		return 0;
	if (tbind(r->fd, LO, 0))
		return -1;
	r->port = local_port(r->fd);
	if (r->kind == K_BOUND)
		return 0;
	/* Connected: to a peer that is connected back and sends. */
	r->peer = tsock(SOCK_DGRAM, r->ms);
	if (r->peer < 0 || tbind(r->peer, LO, 0) ||
	    tconnect(r->peer, LO, r->port) ||
	    tconnect(r->fd, LO, local_port(r->peer)))
		return -1;
	return 0;
}

/* Choose the round from the seed and build its target. */
static int round_setup(struct round *r, struct mix *m, unsigned long nr,
		       int op0, int op1)
{
	static const int timeouts[] = { 5, 20, 50 };
	int i, kinds = m->type == SOCK_STREAM ? K_NR : K_CONNECTING;

	memset(r, 0, sizeof(*r));
	r->mix = m;
	r->nr = nr;
	r->rng = lane_rng_for(m->type, nr, 0);
	r->fd = r->dupfd = r->peer = r->pre[0] = r->pre[1] = -1;
	r->kind = lane_below(&r->rng, kinds);
	if (m->type == SOCK_DGRAM && r->kind == K_LISTENING)
		r->kind = K_CONNECTED;	/* the dgram kinds: 0, 1 and this */
	r->ms = timeouts[lane_below(&r->rng, 3)];
	if ((m->type == SOCK_STREAM ? setup_stream(r) : setup_dgram(r)) < 0)
		return -1;
	target_options(r);
	if (lane_below(&r->rng, 4) == 0) {
		r->dupfd = dup(r->fd);
		lane_count(C_DUPS, 1);
	}
	if (r->peer >= 0) {
		r->peer_action = lane_below(&r->rng, 8);
		if (r->peer_action > 3)
			r->peer_action = 0;
		r->peer_at = lane_below(&r->rng, 10);
	}
	for (i = 0; i < 2; i++) {
		struct call *c = &r->call[i];

		c->r = r;
		c->op = i ? op1 : op0;
		c->fd = i && r->dupfd >= 0 ? r->dupfd : r->fd;
		c->rng = lane_rng_for(m->type, nr, 1 + i);
		c->delay_us = lane_below(&c->rng, 4) ?
			      lane_below(&c->rng, 200) :
			      1000 * lane_below(&c->rng, 5);
	}
	return 0;
}

/* Did call @c end as TCP (or UDP) may end it? */
static int call_ok(const struct call *c)
{
	const struct round *r = c->r;
	const int *ok = type_is_stream(r) ? stream_ok[c->op] :
					    dgram_ok[c->op];
	int closed = r->call[0].op == OP_CLOSE || r->call[1].op == OP_CLOSE;

	if (c->ret >= 0)
		return 1;
	if (closed && (c->err == EBADF || c->err == ENOTSOCK ||
		       c->err == ENOTTY))
		return 1;
	return errno_in(c->err, ok);
}

static void round_report(struct __test_metadata *_metadata,
			 const struct round *r, const char *what)
{
	int i;

	TH_LOG("round %lu, a %s %s socket (timeouts %d ms%s, peer action %d after %.0f ms): %s",
	       r->nr, kind_names[r->kind],
	       type_is_stream(r) ? "stream" : "datagram", r->ms,
	       r->dupfd >= 0 ? ", second call on a dup" : "",
	       r->peer_action, r->peer_at, what);
	for (i = 0; i < 2; i++)
		TH_LOG("  call %d: %s(%s) = %d%s%s", i, op_names[r->call[i].op],
		       r->call[i].what, r->call[i].ret,
		       r->call[i].ret < 0 ? " " : "",
		       r->call[i].ret < 0 ? strerror(r->call[i].err) : "");
	lane_reproduce_line(stderr);
}

/* Close what the calls left open: the target first, under traffic. */
static void round_cleanup(struct round *r)
{
	int i;

	if (!atomic_load(&r->fd_closed) && r->fd >= 0)
		close(r->fd);
	if (!atomic_load(&r->dup_closed) && r->dupfd >= 0)
		close(r->dupfd);
	atomic_store(&r->stop, 1);
	if (r->helper_on)
		join_within(r->helper, CALL_DEADLINE);
	if (r->peer >= 0)
		close(r->peer);
	for (i = 0; i < 2; i++)
		if (r->pre[i] >= 0)
			close(r->pre[i]);
}

/*
 * A listening target that is still open after its calls listens again
 * (a listener that was shut down or dissolved may), and once the
 * connector has stopped and everything waiting is accepted, its accept
 * queue must read empty: a child dropped from the queue by a shutdown
 * or a dissolve must have left its count too.  0, or -1 after a report.
 */
static int listening_check(struct __test_metadata *_metadata,
			   struct round *r)
{
	int fd = atomic_load(&r->fd_closed) ? r->dupfd : r->fd;
	long q;

	atomic_store(&r->stop, 1);
	if (r->helper_on)
		join_within(r->helper, CALL_DEADLINE);
	r->helper_on = 0;
	if (fd < 0 || (fd == r->dupfd && atomic_load(&r->dup_closed)))
		return 0;
	if (listen(fd, 8))
		return 0;	/* connected meanwhile */
	/* A port bind() chose as 0 goes with a dissolve: ask again. */
	q = drain_queue(fd, local_port(fd));
	if (q > 0) {
		char what[80];

		snprintf(what, sizeof(what),
			 "nothing left to accept, yet the accept queue reads %ld",
			 q);
		round_report(_metadata, r, what);
		return -1;
	}
	return 0;
}

/*
 * One round: the target in its state, both calls (and the peer or the
 * connector) released together by the barrier.  0, or -1 after a report.
 */
static int round_run(struct __test_metadata *_metadata, struct mix *m,
		     unsigned long nr, int op0, int op1)
{
	struct round *r = calloc(1, sizeof(*r));
	int i, err = 0, helpers;

	if (!r || round_setup(r, m, nr, op0, op1)) {
		/* A setup the state did not allow (rare): skip it. */
		if (r)
			round_cleanup(r);
		free(r);
		return 0;
	}
	helpers = r->peer >= 0 || r->kind == K_LISTENING;
	pthread_barrier_init(&r->start, NULL, 2 + helpers);
	if (helpers) {
		r->helper_on = 1;
		pthread_create(&r->helper, NULL, r->peer >= 0 ? pump_main :
			       connector_main, r);
	}
	for (i = 0; i < 2; i++)
		pthread_create(&r->call[i].thread, NULL, call_main,
			       &r->call[i]);
	for (i = 0; i < 2; i++) {
		if (join_within(r->call[i].thread, CALL_DEADLINE)) {
			round_report(_metadata, r, "a call never returned");
			lane_count(C_ROUNDS, 1);
			return -1;	/* the thread is stuck: no cleanup */
		}
	}
	for (i = 0; i < 2 && !err; i++) {
		if (!call_ok(&r->call[i])) {
			round_report(_metadata, r, "an errno TCP would not give");
			err = -1;
		}
	}
	if (!err && r->kind == K_LISTENING)
		err = listening_check(_metadata, r);
	if (op0 == OP_CLOSE || op1 == OP_CLOSE)
		lane_count(C_CLOSE_RACES, 1);
	lane_count(C_ROUNDS, 1);
	lane_count(C_CALLS, 2);
	round_cleanup(r);
	pthread_barrier_destroy(&r->start);
	free(r);
	return err;
}

/*
 * Every pair of @ops (both orders are one pair: the threads start
 * together), in a seeded order, cycle after cycle until @secs are over,
 * at least one cycle.
 */
static int pair_mix(struct __test_metadata *_metadata, struct mix *m,
		    const int *ops, int nops, double secs)
{
	int npairs = nops * (nops + 1) / 2, *order, i, j, k, cycles = 0;
	double end = toy_now() + secs;
	unsigned long nr = 0;
	struct lane_rng g;

	order = calloc(npairs, sizeof(*order));
	for (k = 0; k < npairs; k++)
		order[k] = k;
	do {
		g = lane_rng_for(m->type, cycles, 99);
		for (k = npairs - 1; k > 0; k--) {
			int x = lane_below(&g, k + 1), t = order[k];

			order[k] = order[x];
			order[x] = t;
		}
		for (k = 0; k < npairs; k++) {
			int p = order[k];

			/* Pair number p -> (i, j), i <= j. */
			for (i = 0; p >= nops - i; i++)
				p -= nops - i;
			j = i + p;
			if (round_run(_metadata, m, nr++, ops[i], ops[j])) {
				free(order);
				return -1;
			}
		}
		cycles++;
	} while (toy_now() < end);
	TH_LOG("%lu rounds, %d cycles over %d pairs of calls", nr, cycles,
	       npairs);
	free(order);
	return 0;
}

/* The hub: accept whatever the calls connect, read what they send. */
static void *drainer_main(void *arg)
{
	struct mix *m = arg;
	char *buf = malloc(65536);

	while (!atomic_load(&m->stop)) {
		int c;

		if (m->type == SOCK_DGRAM) {
			recv(m->hub, buf, 65536, 0);
			continue;
		}
		c = accept4(m->hub, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);
		if (c < 0)
			continue;
		recv(c, buf, 65536, 0);
		close(c);
	}
	free(buf);
	return NULL;
}

static int mix_start(struct mix *m, int type)
{
	int one = 1;

	m->type = type;
	m->hub = m->pairs = -1;
	atomic_store(&m->stop, 0);
	if (type == SOCK_STREAM) {
		m->hub = tlisten(LO, HUB_PORT, 64, 50);
		m->pairs = tlisten(LO, PAIR_PORT, 64, 1000);
		if (m->pairs < 0)
			return -1;
	} else {
		m->hub = tsock(SOCK_DGRAM, 50);
		if (m->hub >= 0 && (setsockopt(m->hub, SOL_SOCKET,
					       SO_REUSEADDR, &one, sizeof(one)) ||
				    tbind(m->hub, LO, HUB_PORT))) {
			close(m->hub);
			m->hub = -1;
		}
	}
	if (m->hub < 0)
		return -1;
	return pthread_create(&m->drainer, NULL, drainer_main, m) ? -1 : 0;
}

static void mix_stop(struct mix *m)
{
	if (m->hub < 0)
		return;
	atomic_store(&m->stop, 1);
	pthread_join(m->drainer, NULL);
	close(m->hub);
	if (m->pairs >= 0)
		close(m->pairs);
	m->hub = m->pairs = -1;
}

/* ---- the tests --------------------------------------------------- */

/* Each test's limit; its own watchdogs report a call that hangs. */
#define LANE_TIMEOUT	3600

FIXTURE(race) {
	struct mix		mix;
	struct proc_reader	pr;
	int			pr_on;
};

FIXTURE_SETUP(race)
{
	if (!lane_selected(_metadata->name))
		SKIP(_exit(255), "not in TOY_ONLY");	/* 255: skipped */
	signal(SIGPIPE, SIG_IGN);
	self->mix.hub = self->mix.pairs = -1;
	self->mix.peer.fd = -1;
	ASSERT_EQ(0, toy_live_wait_zero(30));
	ASSERT_EQ(0, race_netns(&self->mix.peer));
	proc_reader_start(&self->pr);
	self->pr_on = 1;
}

FIXTURE_TEARDOWN(race)
{
	if (self->pr_on)
		proc_reader_stop(&self->pr);
	mix_stop(&self->mix);
	toy_peer_close(&self->mix.peer);
	EXPECT_EQ(0, toy_live_wait_zero(30));
}

TEST_F_TIMEOUT(race, pair_mix_stream, LANE_TIMEOUT)
{
	int ops[OP_NR], i;

	for (i = 0; i < OP_NR; i++)
		ops[i] = i;
	ASSERT_EQ(0, mix_start(&self->mix, SOCK_STREAM));
	ASSERT_EQ(0, pair_mix(_metadata, &self->mix, ops, OP_NR,
			      lane_budget(0.36)));
}

TEST_F_TIMEOUT(race, pair_mix_dgram, LANE_TIMEOUT)
{
	int n = sizeof(dgram_ops) / sizeof(dgram_ops[0]);

	ASSERT_EQ(0, mix_start(&self->mix, SOCK_DGRAM));
	ASSERT_EQ(0, pair_mix(_metadata, &self->mix, dgram_ops, n,
			      lane_budget(0.12)));
}

/* ---- one listener, many hands ------------------------------------ */

#define LH_PORT		7300

/*
 * Clients connect, acceptors accept, the TUN peer sends SYNs from
 * spoofed sources (half-open entries, then cookies), and one thread
 * keeps changing the listener under all of them.  Everyone finds the
 * listener's current descriptor in @lfd; only the chaos thread closes
 * it (and opens the next one on the same port).
 */
struct lhammer {
	atomic_int	lfd;
	atomic_int	stop;
	atomic_int	paused;		/* acceptors hold back: a queue builds */
	atomic_int	clients;	/* numbers the clients' generators */
	struct toy_peer	*peer;
	struct first_bad bad;
};

static void *lh_client(void *arg)
{
	static const int ok[] = {
		EINPROGRESS, EALREADY, EADDRNOTAVAIL, CONN_ERRS, 0,
	};
	struct lhammer *h = arg;
	struct lane_rng g = lane_rng_for(31, atomic_fetch_add(&h->clients, 1),
					 0);
	struct linger lg = { 1, 0 };

	while (!atomic_load(&h->stop)) {
		int fd = tsock(SOCK_STREAM, 100);

		if (fd < 0)
			continue;
		lane_count(C_CONNECTS, 1);
		if (tconnect(fd, LO, LH_PORT)) {
			if (!errno_in(errno, ok))
				set_bad(&h->bad, "connect: %s", strerror(errno));
		} else {
			switch (lane_below(&g, 3)) {
			case 0:
				send(fd, "hello", 5, MSG_NOSIGNAL);
				break;
			case 1:
				setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg,
					   sizeof(lg));
				break;
			default:
				shutdown(fd, SHUT_WR);
				break;
			}
		}
		close(fd);
	}
	return NULL;
}

static void *lh_acceptor(void *arg)
{
	static const int ok[] = { EAGAIN, EINVAL, EBADF, ENOTSOCK, 0 };
	struct lhammer *h = arg;
	char buf[64];

	while (!atomic_load(&h->stop)) {
		int c;

		if (atomic_load(&h->paused)) {
			sleep_ms(1);
			continue;
		}
		c = accept4(atomic_load(&h->lfd), NULL, NULL, SOCK_CLOEXEC);
		if (c < 0) {
			if (!errno_in(errno, ok))
				set_bad(&h->bad, "accept: %s", strerror(errno));
			if (errno != EAGAIN)
				sleep_ms(1);
			continue;
		}
		lane_count(C_ACCEPTS, 1);
		recv(c, buf, sizeof(buf), MSG_DONTWAIT);
		close(c);
	}
	return NULL;
}

static void *lh_syns(void *arg)
{
	struct lhammer *h = arg;
	char buf[2048];
	uint32_t i = 0;

	while (!atomic_load(&h->stop)) {
		if (!toy_peer_syn_from(h->peer, toy_peer_spoofed(i),
				       20000 + i % 20000, LH_PORT,
				       0x10000 * (i + 1)))
			lane_count(C_SYNS, 1);
		i++;
		/* What the host answers goes nowhere: read it off. */
		while (read(h->peer->fd, buf, sizeof(buf)) > 0)
			;
		sleep_ms(1);
	}
	return NULL;
}

/*
 * A new listener on the port.  The old one may still listen for a
 * moment after close(): an acceptor inside accept() holds its file
 * until its call returns (as with TCP), and until then the port is
 * taken (EADDRINUSE).  Nothing else may refuse it.
 */
static int lh_open(struct lhammer *h, struct lane_rng *g)
{
	double end = toy_now() + scaled(CALL_DEADLINE);
	int fd;

	do {
		fd = tlisten("0.0.0.0", LH_PORT, 1 + lane_below(g, 16), 50);
		if (fd >= 0 || errno != EADDRINUSE)
			break;
		sleep_ms(1);
	} while (toy_now() < end);
	if (fd < 0)
		set_bad(&h->bad, "a new listener on the port: %s", strerror(errno));
	return fd;
}

static void lh_chaos_act(struct lhammer *h, struct lane_rng *g, int l, int b)
{
	int v;

	switch (lane_below(g, 8)) {
	case 0:
	case 1:
		shutdown(l, SHUT_RD);
		break;
	case 2:
	case 3:
		if (disconnect(l))
			set_bad(&h->bad, "connect(AF_UNSPEC): %s", strerror(errno));
		break;
	case 4:
		break;			/* a new backlog, below */
	case 5:
		v = lane_below(g, 2) ? 4096 : 1 << 20;
		setsockopt(l, SOL_SOCKET, SO_RCVBUF, &v, sizeof(v));
		v = lane_below(g, 2);
		setsockopt(l, SOL_TOY, TOY_REUSEPORT, &v, sizeof(v));
		setsockopt(l, SOL_SOCKET, SO_KEEPALIVE, &v, sizeof(v));
		break;
	case 6:
		close(l);
		l = lh_open(h, g);
		atomic_store(&h->lfd, l);
		return;
	default:
		shutdown(l, SHUT_RDWR);
		disconnect(l);
		break;
	}
	/* A listener that was dissolved listens again, on its own port. */
	if (listen(l, b))
		set_bad(&h->bad, "listen again: %s", strerror(errno));
	lane_count(C_LISTENER_OPS, 1);
}

/*
 * Change the listener once; the calls that must work are checked.  Now
 * and then the acceptors hold back first, until a child waits in the
 * queue (or 20 ms pass), so that the listener is shut down, dissolved
 * or closed with children in its queue.
 */
static void lh_chaos_once(struct lhammer *h, struct lane_rng *g)
{
	int l = atomic_load(&h->lfd), b = lane_below(g, 20);
	struct pollfd p = { .fd = l, .events = POLLIN };

	if (!lane_below(g, 3)) {
		atomic_store(&h->paused, 1);
		poll(&p, 1, 20);
	}
	lh_chaos_act(h, g, l, b);
	atomic_store(&h->paused, 0);
}

/*
 * After all that, the listener (listening again, whatever was done to
 * it last) still serves: once everything that waits in its queue is
 * taken, the queue reads empty, and a new client is accepted.
 */
static int lh_still_serves(struct lhammer *h, int l)
{
	long q = drain_queue(l, LH_PORT);
	int c, s, ok;

	if (q) {
		set_bad(&h->bad, "nothing left to accept, yet the accept queue reads %ld",
			q);
		return -1;
	}
	c = tsock(SOCK_STREAM, 5000);
	if (c < 0)
		return -1;
	ok = !tconnect(c, LO, LH_PORT) && (s = accept_within(l, 5000)) >= 0;
	if (ok)
		close(s);
	close(c);
	return ok ? 0 : -1;
}

static int one_listener(struct __test_metadata *_metadata,
			struct toy_peer *peer, double secs)
{
	struct lhammer *h = calloc(1, sizeof(*h));
	struct lane_rng g = lane_rng_for(30, 0, 0);
	pthread_t t[6];
	double end = toy_now() + secs;
	int n = 0, l, hung;

	pthread_mutex_init(&h->bad.lock, NULL);
	h->peer = peer;
	l = lh_open(h, &g);
	ASSERT_LE(0, l);
	atomic_store(&h->lfd, l);
	pthread_create(&t[n++], NULL, lh_client, h);
	pthread_create(&t[n++], NULL, lh_client, h);
	pthread_create(&t[n++], NULL, lh_client, h);
	pthread_create(&t[n++], NULL, lh_acceptor, h);
	pthread_create(&t[n++], NULL, lh_acceptor, h);
	pthread_create(&t[n++], NULL, lh_syns, h);
	while (toy_now() < end && !h->bad.msg[0] && atomic_load(&h->lfd) >= 0) {
		lh_chaos_once(h, &g);
		sleep_ms(lane_below(&g, 4));
	}
	atomic_store(&h->stop, 1);
	hung = join_all(_metadata, t, n, "a thread on the listener");
	if (!hung && !h->bad.msg[0] && lh_still_serves(h, atomic_load(&h->lfd)))
		set_bad(&h->bad, "after the chaos the listener serves no new client (%s)",
			strerror(errno));
	if (atomic_load(&h->lfd) >= 0)
		close(atomic_load(&h->lfd));
	return threads_verdict(_metadata, hung, h->bad.msg);
}

TEST_F_TIMEOUT(race, one_listener, LANE_TIMEOUT)
{
	ASSERT_EQ(0, one_listener(_metadata, &self->mix.peer,
				  lane_budget(0.12)));
}

/* ---- connect(AF_UNSPEC) during traffic ---------------------------- */

#define US_PORT		7310

/*
 * The stream the server sends on every connection, from its first
 * byte: 32-bit little-endian counters.  Where a byte sits in it says
 * which offset it is.
 */
static uint8_t pat(uint64_t off)
{
	return (uint8_t)((off / 4) >> (off % 4 * 8));
}

static void pat_fill(uint8_t *b, size_t n, uint64_t off)
{
	size_t i;

	for (i = 0; i < n; i++)
		b[i] = pat(off + i);
}

/* How many bytes of @b match the stream from @off. */
static size_t pat_match(const uint8_t *b, size_t n, uint64_t off)
{
	size_t i;

	for (i = 0; i < n && b[i] == pat(off + i); i++)
		;
	return i;
}

struct unspec {
	int		c;		/* the client; nobody closes it early */
	int		l;
	atomic_int	stop;
	struct first_bad bad;
};

/* Each connection gets the stream from its start, until it breaks. */
static void *us_server(void *arg)
{
	struct unspec *u = arg;
	uint8_t *buf = malloc(8192), sink[4096];
	struct lane_rng g = lane_rng_for(41, 0, 0);

	while (!atomic_load(&u->stop)) {
		int s = accept4(u->l, NULL, NULL, SOCK_CLOEXEC);
		uint64_t off = 0;

		if (s < 0)
			continue;
		while (!atomic_load(&u->stop)) {
			size_t n = 1 + lane_below(&g, 8192);
			ssize_t k;

			pat_fill(buf, n, off);
			k = send(s, buf, n, MSG_NOSIGNAL);
			if (k > 0)
				off += k;
			else if (errno != EAGAIN)
				break;
			recv(s, sink, sizeof(sink), MSG_DONTWAIT);
		}
		close(s);
	}
	free(buf);
	return NULL;
}

/*
 * Every recv() returns bytes of one connection: the stream where the
 * last one stopped, or, on a new connection, from its start.  A short
 * read may fit both (a new connection starts with zero bytes, and so
 * do parts of many counters), so the reader keeps every offset the
 * bytes so far allow, and fails when a read fits none.
 */
#define US_CANDS	8

struct us_cands {
	uint64_t	off[US_CANDS];
	int		n;
};

static void us_cand_add(struct us_cands *c, uint64_t off)
{
	int i;

	for (i = 0; i < c->n; i++)
		if (c->off[i] == off)
			return;
	if (c->n == US_CANDS) {		/* the oldest guess goes */
		memmove(c->off, c->off + 1, sizeof(c->off[0]) * (US_CANDS - 1));
		c->n--;
	}
	c->off[c->n++] = off;
}

/* Advance by the @n bytes in @b; 0, or -1 when they fit no offset. */
static int us_advance(struct us_cands *c, const uint8_t *b, size_t n)
{
	struct us_cands next = { .n = 0 };
	int i;

	for (i = 0; i < c->n; i++)
		if (pat_match(b, n, c->off[i]) == n)
			us_cand_add(&next, c->off[i] + n);
	if (pat_match(b, n, 0) == n)
		us_cand_add(&next, n);		/* a new connection */
	if (!next.n)
		return -1;
	*c = next;
	return 0;
}

/* Where in the stream @b[0..n) sits, judged by its whole counters. */
static long long pat_locate(const uint8_t *b, size_t n)
{
	size_t a;

	for (a = 0; a < 4 && a + 12 <= n; a++) {
		uint32_t k;

		memcpy(&k, b + a, 4);
		if ((uint64_t)k * 4 >= a &&
		    pat_match(b, n, (uint64_t)k * 4 - a) >= a + 12)
			return (long long)k * 4 - a;
	}
	return -1;
}

static void *us_reader(void *arg)
{
	static const int ok[] = { ENOTCONN, EAGAIN, CONN_ERRS, 0 };
	static const size_t sizes[] = { 1, 3, 100, 4096, 65536 };
	struct unspec *u = arg;
	struct lane_rng g = lane_rng_for(42, 0, 0);
	uint8_t *buf = malloc(65536);
	struct us_cands c = { .n = 0 };

	while (!atomic_load(&u->stop)) {
		int flags = lane_below(&g, 2) ? MSG_WAITALL : 0;
		size_t len = sizes[lane_below(&g, 5)], m = 0;
		ssize_t n = recv(u->c, buf, len, flags);
		int i;

		if (n <= 0) {
			if (n < 0 && !errno_in(errno, ok))
				set_bad(&u->bad, "recv: %s", strerror(errno));
			sleep_ms(1);
			continue;
		}
		lane_count(C_CHUNKS, 1);
		if (!us_advance(&c, buf, n))
			continue;
		/* How far does it fit, and where do the rest come from? */
		for (i = 0; i < c.n; i++)
			if (pat_match(buf, n, c.off[i]) > m)
				m = pat_match(buf, n, c.off[i]);
		if (pat_match(buf, n, 0) > m)
			m = pat_match(buf, n, 0);
		set_bad(&u->bad, "recv(%zu, %s) returned %zd bytes: %zu follow one connection's stream, the next ones sit at its offset %lld%s",
			len, flags ? "MSG_WAITALL" : "0", n, m,
			pat_locate(buf + m, n - m),
			pat_locate(buf + m, n - m) == 0 ?
			" (a new connection's first byte)" : "");
	}
	free(buf);
	return NULL;
}

static void *us_writer(void *arg)
{
	static const int ok[] = { EAGAIN, ENOTCONN, CONN_ERRS, 0 };
	struct unspec *u = arg;
	char buf[3000];

	memset(buf, 'w', sizeof(buf));
	while (!atomic_load(&u->stop)) {
		if (send(u->c, buf, sizeof(buf), MSG_NOSIGNAL) < 0) {
			if (!errno_in(errno, ok))
				set_bad(&u->bad, "send: %s", strerror(errno));
			sleep_ms(1);
		}
	}
	return NULL;
}

/* Dissolve the connection and make a new one, again and again. */
static void us_disconnector(struct unspec *u, double secs)
{
	static const int ok[] = {
		EINPROGRESS, EALREADY, EISCONN, CONN_ERRS, 0,
	};
	struct lane_rng g = lane_rng_for(43, 0, 0);
	double end = toy_now() + secs;

	while (toy_now() < end && !u->bad.msg[0]) {
		sleep_ms(lane_below(&g, 20));
		if (disconnect(u->c))
			set_bad(&u->bad, "connect(AF_UNSPEC): %s", strerror(errno));
		lane_count(C_RECONNECTS, 1);
		if (lane_below(&g, 2))
			sleep_ms(lane_below(&g, 3));
		if (tconnect(u->c, LO, US_PORT) && !errno_in(errno, ok))
			set_bad(&u->bad, "connect: %s", strerror(errno));
	}
}

static int unspec_stream(struct __test_metadata *_metadata, double secs)
{
	struct unspec *u = calloc(1, sizeof(*u));
	pthread_t t[3];
	int hung;

	pthread_mutex_init(&u->bad.lock, NULL);
	u->l = tlisten(LO, US_PORT, 8, 50);
	ASSERT_LE(0, u->l);
	u->c = tsock(SOCK_STREAM, 50);
	ASSERT_LE(0, u->c);
	pthread_create(&t[0], NULL, us_server, u);
	ASSERT_EQ(0, tconnect(u->c, LO, US_PORT));
	pthread_create(&t[1], NULL, us_reader, u);
	pthread_create(&t[2], NULL, us_writer, u);
	us_disconnector(u, secs);
	atomic_store(&u->stop, 1);
	hung = join_all(_metadata, t, 3, "a thread");
	close(u->c);
	close(u->l);
	return threads_verdict(_metadata, hung, u->bad.msg);
}

TEST_F_TIMEOUT(race, unspec_stream, LANE_TIMEOUT)
{
	ASSERT_EQ(0, unspec_stream(_metadata, lane_budget(0.10)));
}

/*
 * Datagram sockets: A sends framed messages to B and toggles its
 * connection (to B, to a closed port, dissolved); B echoes.  Every
 * message that arrives is whole; every errno is UDP's.
 */
struct ud {
	int		a, b, bport;
	atomic_int	stop;
	struct first_bad bad;
};

/* A message: its length and number, then bytes that follow from them. */
static size_t ud_fill(uint8_t *b, uint32_t seq, size_t len)
{
	size_t i;

	memcpy(b, &len, 4);
	memcpy(b + 4, &seq, 4);
	for (i = 8; i < len; i++)
		b[i] = (uint8_t)(seq * 31 + i);
	return len;
}

static int ud_whole(const uint8_t *b, size_t n)
{
	uint32_t len, seq;
	size_t i;

	if (n < 8)
		return 0;
	memcpy(&len, b, 4);
	memcpy(&seq, b + 4, 4);
	if (len != n)
		return 0;
	for (i = 8; i < n; i++)
		if (b[i] != (uint8_t)(seq * 31 + i))
			return 0;
	return 1;
}

static void *ud_sender(void *arg)
{
	static const int ok[] = {
		EDESTADDRREQ, EAGAIN, ENOBUFS, ECONNREFUSED, 0,
	};
	struct ud *u = arg;
	struct lane_rng g = lane_rng_for(51, 0, 0);
	struct sockaddr_toy to = taddr(LO, u->bport);
	uint8_t *buf = malloc(9000);
	uint32_t seq = 0;

	while (!atomic_load(&u->stop)) {
		size_t len = ud_fill(buf, seq++, 8 + lane_below(&g, 8992));
		ssize_t n = lane_below(&g, 4) ?
			    send(u->a, buf, len, MSG_NOSIGNAL) :
			    sendto(u->a, buf, len, MSG_NOSIGNAL,
				   (struct sockaddr *)&to, sizeof(to));

		if (n < 0 && !errno_in(errno, ok))
			set_bad(&u->bad, "send: %s", strerror(errno));
		if (n < 0)
			sleep_ms(1);
		else
			lane_count(C_DATAGRAMS, 1);
	}
	free(buf);
	return NULL;
}

/* B: check each message, echo it to whoever sent it. */
static void *ud_echo(void *arg)
{
	struct ud *u = arg;
	uint8_t *buf = malloc(65536);

	while (!atomic_load(&u->stop)) {
		struct sockaddr_toy from;
		socklen_t fl = sizeof(from);
		ssize_t n = recvfrom(u->b, buf, 65536, 0,
				     (struct sockaddr *)&from, &fl);

		if (n < 0)
			continue;
		if (!ud_whole(buf, n))
			set_bad(&u->bad, "B got a %zd-byte datagram that is not a whole message",
				n);
		sendto(u->b, buf, n, MSG_DONTWAIT, (struct sockaddr *)&from,
		       fl);
	}
	free(buf);
	return NULL;
}

/* A reads the echoes: whole, and only while it may receive them. */
static void *ud_reader(void *arg)
{
	static const int ok[] = { EAGAIN, ECONNREFUSED, 0 };
	struct ud *u = arg;
	uint8_t *buf = malloc(65536);

	while (!atomic_load(&u->stop)) {
		ssize_t n = recv(u->a, buf, 65536, 0);

		if (n < 0) {
			if (!errno_in(errno, ok))
				set_bad(&u->bad, "recv: %s", strerror(errno));
			continue;
		}
		if (!ud_whole(buf, n))
			set_bad(&u->bad, "A got a %zd-byte datagram that is not a whole message",
				n);
	}
	free(buf);
	return NULL;
}

static int unspec_dgram(struct __test_metadata *_metadata, double secs)
{
	struct ud *u = calloc(1, sizeof(*u));
	struct lane_rng g = lane_rng_for(52, 0, 0);
	double end = toy_now() + secs;
	pthread_t t[3];
	int hung;

	pthread_mutex_init(&u->bad.lock, NULL);
	u->a = tsock(SOCK_DGRAM, 50);
	u->b = tsock(SOCK_DGRAM, 50);
	ASSERT_LE(0, u->a);
	ASSERT_LE(0, u->b);
	ASSERT_EQ(0, tbind(u->b, LO, 0));
	u->bport = local_port(u->b);
	ASSERT_EQ(0, tconnect(u->a, LO, u->bport));
	pthread_create(&t[0], NULL, ud_sender, u);
	pthread_create(&t[1], NULL, ud_echo, u);
	pthread_create(&t[2], NULL, ud_reader, u);
	while (toy_now() < end && !u->bad.msg[0]) {
		int ret;

		sleep_ms(lane_below(&g, 10));
		switch (lane_below(&g, 3)) {
		case 0:
			ret = disconnect(u->a);
			break;
		case 1:
			ret = tconnect(u->a, LO, CLOSED_PORT);
			break;
		default:
			ret = tconnect(u->a, LO, u->bport);
			break;
		}
		if (ret && errno != EAGAIN)
			set_bad(&u->bad, "connect: %s", strerror(errno));
		lane_count(C_RECONNECTS, 1);
	}
	atomic_store(&u->stop, 1);
	hung = join_all(_metadata, t, 3, "a thread");
	close(u->a);
	close(u->b);
	return threads_verdict(_metadata, hung, u->bad.msg);
}

TEST_F_TIMEOUT(race, unspec_dgram, LANE_TIMEOUT)
{
	ASSERT_EQ(0, unspec_dgram(_metadata, lane_budget(0.06)));
}

/* ---- a namespace dies under traffic ------------------------------- */

#define NS_PORT		7320

/*
 * In the child's namespace: what should be there when it dies.  Each
 * helper returns 0 or -1; the child reports failure through the pipe.
 */
struct ns_child {
	struct lane_rng	g;
	struct toy_peer	peer;
	int		l;
	int		fds[64];
	int		nfds;
	int		ready;		/* pipe to the parent */
};

static void ns_keep(struct ns_child *n, int fd)
{
	if (fd >= 0 && n->nfds < 64)
		n->fds[n->nfds++] = fd;
}

/* @count connections closed client first: TIME_WAIT entries. */
static int ns_timewait(int l, int port, int count)
{
	char b;
	int i;

	for (i = 0; i < count; i++) {
		int c = tsock(SOCK_STREAM, 1000), s;

		if (c < 0 || tconnect(c, LO, port))
			return -1;
		s = accept_within(l, 5000);
		if (s < 0)
			return -1;
		close(c);
		set_timeouts(s, 1000);
		if (recv(s, &b, 1, 0) != 0)
			return -1;
		close(s);
	}
	lane_count(C_TW_MADE, count);
	return 0;
}

/* A loopback connection whose two ends a thread keeps busy. */
static void *ns_traffic(void *arg)
{
	int *fds = arg;
	char buf[4096];

	memset(buf, 't', sizeof(buf));
	for (;;) {
		send(fds[0], buf, sizeof(buf), MSG_NOSIGNAL | MSG_DONTWAIT);
		recv(fds[1], buf, sizeof(buf), 0);
		send(fds[1], buf, 100, MSG_NOSIGNAL | MSG_DONTWAIT);
		recv(fds[0], buf, sizeof(buf), MSG_DONTWAIT);
	}
	return NULL;
}

static int ns_live(struct ns_child *n, int l, int port, int count)
{
	int i;

	for (i = 0; i < count; i++) {
		int *fds = malloc(2 * sizeof(int));
		pthread_t t;

		fds[0] = tsock(SOCK_STREAM, 20);
		if (fds[0] < 0 || tconnect(fds[0], LO, port))
			return -1;
		fds[1] = accept_within(l, 5000);
		if (fds[1] < 0)
			return -1;
		set_timeouts(fds[1], 20);
		ns_keep(n, fds[0]);
		ns_keep(n, fds[1]);
		pthread_create(&t, NULL, ns_traffic, fds);
	}
	return 0;
}

/*
 * Two connections to the silent peer: one with data it never
 * acknowledges (the retransmission timer runs), one with keepalive
 * probes it never answers.
 */
static int ns_silent(struct ns_child *n)
{
	struct toy_pconn pc;
	char buf[5000];
	int one = 1;

	memset(buf, 's', sizeof(buf));
	if (toy_peer_connect(&n->peer, &pc, 9100, 8192))
		return -1;
	set_timeouts(pc.fd, 50);
	send(pc.fd, buf, sizeof(buf), MSG_DONTWAIT);
	ns_keep(n, pc.fd);
	if (toy_peer_connect(&n->peer, &pc, 9101, 8192))
		return -1;
	setsockopt(pc.fd, SOL_SOCKET, SO_KEEPALIVE, &one, sizeof(one));
	setsockopt(pc.fd, SOL_TOY, TOY_KEEPIDLE, &one, sizeof(one));
	setsockopt(pc.fd, SOL_TOY, TOY_KEEPINTVL, &one, sizeof(one));
	ns_keep(n, pc.fd);
	return 0;
}

/* Spoofed SYNs to the listener: half-open entries, SYN-ACKs resent. */
static int ns_halfopen(struct ns_child *n, int count)
{
	int i;

	for (i = 0; i < count; i++)
		if (toy_peer_syn_from(&n->peer, toy_peer_spoofed(i), 30000 + i,
				      NS_PORT, 0x100000 * (i + 1)))
			return -1;
	lane_count(C_SYNS, count);
	return 0;
}

/*
 * A thread that makes a namespace of its own (unshare() changes only
 * the calling thread's), with a listener, TIME_WAIT entries and a busy
 * connection there; the descriptors are the process's, so the
 * namespace lives on after the thread is done setting it up.
 */
struct ns_second {
	struct ns_child	*n;
	int		msl;
	int		err;
};

static void *ns_second_main(void *arg)
{
	struct ns_second *s = arg;
	int l;

	s->err = -1;
	if (unshare(CLONE_NEWNET) || lo_up())
		return NULL;
	if (quick_timers(s->msl, 1))
		return NULL;
	l = tlisten(LO, NS_PORT + 1, 16, 1000);
	if (l < 0 || ns_timewait(l, NS_PORT + 1, 5) ||
	    ns_live(s->n, l, NS_PORT + 1, 1))
		return NULL;
	ns_keep(s->n, l);
	s->err = 0;
	return NULL;
}

static int ns_build(struct ns_child *n, int msl, int synack)
{
	struct ns_second second = { .n = n, .msl = msl };
	pthread_t t;

	if (unshare(CLONE_NEWNET) || lo_up() ||
	    toy_peer_open(&n->peer, 1500) || quick_timers(msl, synack))
		return -1;
	n->l = tlisten("0.0.0.0", NS_PORT, 64, 1000);
	if (n->l < 0)
		return -1;
	if (ns_timewait(n->l, NS_PORT, 5 + lane_below(&n->g, 36)) ||
	    ns_halfopen(n, 5 + lane_below(&n->g, 26)) || ns_silent(n) ||
	    ns_live(n, n->l, NS_PORT, 1 + lane_below(&n->g, 3)))
		return -1;
	pthread_create(&t, NULL, ns_second_main, &second);
	pthread_join(t, NULL);
	return second.err;
}

/*
 * The child: build the namespaces, say so, then wait.  The parent
 * either kills it (every descriptor closes at once, in the exit path)
 * or writes to @go, and the child closes everything itself, in a
 * random order, and exits.
 */
static void ns_child_main(int ready, int go, unsigned long round)
{
	struct ns_child *n = calloc(1, sizeof(*n));
	int msl, i;
	char b;

	prctl(PR_SET_PDEATHSIG, SIGKILL);
	n->g = lane_rng_for(60, round, 0);
	/* Short: entries expire while the namespace dies; long: only the
	 * namespace's exit can end them.
	 */
	msl = lane_below(&n->g, 2) ? 100 + lane_below(&n->g, 1400) : 600000;
	if (ns_build(n, msl, 1 + lane_below(&n->g, 3))) {
		b = 'E';
		write(ready, &b, 1);
		_exit(1);
	}
	b = 'R';
	write(ready, &b, 1);
	read(go, &b, 1);
	for (i = n->nfds - 1; i > 0; i--) {
		int x = lane_below(&n->g, i + 1), t = n->fds[i];

		n->fds[i] = n->fds[x];
		n->fds[x] = t;
	}
	for (i = 0; i < n->nfds; i++)
		close(n->fds[i]);
	close(n->l);
	toy_peer_close(&n->peer);
	_exit(0);
}

/* Wait for @pid within @secs (scaled); its status, or -1. */
static int wait_child(pid_t pid, double secs)
{
	double end = toy_now() + scaled(secs);
	int status;

	do {
		if (waitpid(pid, &status, WNOHANG) == pid)
			return status;
		sleep_ms(5);
	} while (toy_now() < end);
	return -1;
}

static int read_within(int fd, char *b, double secs)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };

	if (poll(&p, 1, (int)(scaled(secs) * 1000)) != 1)
		return -1;
	return read(fd, b, 1) == 1 ? 0 : -1;
}

static int netns_round(struct __test_metadata *_metadata, unsigned long nr)
{
	struct lane_rng g = lane_rng_for(61, nr, 0);
	int ready[2], go[2], kill_it = nr < 2 ? nr == 0 : lane_below(&g, 2);
	pid_t pid;
	char b = 0;

	if (pipe(ready) || pipe(go))
		return -1;
	pid = fork();
	if (!pid) {
		close(ready[0]);
		close(go[1]);
		ns_child_main(ready[1], go[0], nr);
	}
	close(ready[1]);
	close(go[0]);
	if (read_within(ready[0], &b, 60) || b != 'R') {
		TH_LOG("namespace round %lu: the child could not build its namespaces (%c)",
		       nr, b ? b : '-');
		kill(pid, SIGKILL);
		wait_child(pid, 30);
		return -1;
	}
	/* Traffic runs meanwhile; the namespace goes at a random moment. */
	sleep_ms(lane_below(&g, 200));
	if (kill_it) {
		kill(pid, SIGKILL);
		lane_count(C_NETNS_KILLED, 1);
	} else {
		write(go[1], &b, 1);
	}
	close(ready[0]);
	close(go[1]);
	if (wait_child(pid, 60) == -1) {
		TH_LOG("namespace round %lu: the child never ended", nr);
		return -1;
	}
	lane_count(C_NETNS, 2);
	/* The orphans end, then the namespaces, which purge the rest. */
	if (toy_live_wait_zero(60)) {
		TH_LOG("namespace round %lu (%s): objects outlived their namespaces",
		       nr, kill_it ? "killed" : "exited");
		return -1;
	}
	return 0;
}

TEST_F_TIMEOUT(race, netns_teardown, LANE_TIMEOUT)
{
	double end = toy_now() + lane_budget(0.14);
	unsigned long nr = 0;

	/* At least one killed and one that closes everything itself. */
	do {
		if (netns_round(_metadata, nr)) {
			lane_reproduce_line(stderr);
			ASSERT_TRUE(0);
		}
		nr++;
	} while (nr < 2 || toy_now() < end);
	TH_LOG("%lu namespaces torn down", nr);
}

/* ---- the module under traffic ------------------------------------- */

#define RM_PORT		7330

static int try_unload(void)
{
	return syscall(SYS_delete_module, "toy", O_NONBLOCK);
}

/* As toy_module.sh: insmod "$TOY_KO", default parameters. */
static int reload(void)
{
	const char *ko = getenv("TOY_KO");
	int fd, err;

	if (!ko)
		return -1;
	fd = open(ko, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	err = syscall(SYS_finit_module, fd, "", 0);
	close(fd);
	return err;
}

struct rmtraffic {
	atomic_int	stop;
	int		l, da, db;
	atomic_long	made;
};

static void *rm_server(void *arg)
{
	struct rmtraffic *t = arg;
	char buf[64];

	while (!atomic_load(&t->stop)) {
		int s = accept4(t->l, NULL, NULL, SOCK_CLOEXEC);

		if (s < 0)
			continue;
		if (recv(s, buf, sizeof(buf), 0) > 0)
			send(s, buf, 4, MSG_NOSIGNAL);
		close(s);
	}
	return NULL;
}

static void *rm_client(void *arg)
{
	struct rmtraffic *t = arg;
	char buf[8];

	while (!atomic_load(&t->stop)) {
		int c = tsock(SOCK_STREAM, 200);

		if (c >= 0 && !tconnect(c, LO, RM_PORT) &&
		    send(c, "ping", 4, MSG_NOSIGNAL) == 4 &&
		    recv(c, buf, sizeof(buf), MSG_WAITALL) == 4)
			atomic_fetch_add(&t->made, 1);
		if (c >= 0)
			close(c);
	}
	return NULL;
}

static void *rm_dgram(void *arg)
{
	struct rmtraffic *t = arg;
	char buf[512];

	memset(buf, 'd', sizeof(buf));
	while (!atomic_load(&t->stop)) {
		send(t->da, buf, sizeof(buf), MSG_DONTWAIT);
		recv(t->db, buf, sizeof(buf), 0);
	}
	return NULL;
}

/*
 * delete_module() while sockets live, in a loop beside the traffic:
 * refused every time (each socket pins the module), and the traffic
 * goes on.  0, or -1 (after putting the module back if it went).
 */
static int refuse_unloads(struct __test_metadata *_metadata, double secs)
{
	struct rmtraffic *t = calloc(1, sizeof(*t));
	double end = toy_now() + secs;
	pthread_t th[4];
	long made;
	int i, bad = 0;

	t->l = tlisten(LO, RM_PORT, 64, 50);
	t->da = tsock(SOCK_DGRAM, 50);
	t->db = tsock(SOCK_DGRAM, 50);
	if (t->l < 0 || t->da < 0 || t->db < 0 || tbind(t->db, LO, 0) ||
	    tconnect(t->da, LO, local_port(t->db)))
		return -1;
	pthread_create(&th[0], NULL, rm_server, t);
	pthread_create(&th[1], NULL, rm_client, t);
	pthread_create(&th[2], NULL, rm_client, t);
	pthread_create(&th[3], NULL, rm_dgram, t);
	while (toy_now() < end && !bad) {
		if (!try_unload()) {
			TH_LOG("delete_module() succeeded with sockets open");
			reload();
			bad = 1;
		} else if (errno != EWOULDBLOCK && errno != EBUSY) {
			TH_LOG("delete_module(): %s", strerror(errno));
			bad = 1;
		} else {
			lane_count(C_RMMOD_REFUSED, 1);
		}
		sleep_ms(1 + (lane_counter(C_RMMOD_REFUSED) % 5));
	}
	made = atomic_load(&t->made);
	/* One more exchange, however slow the machine: a bounded wait. */
	end = toy_now() + CALL_DEADLINE * toy_timeout_scale();
	while (atomic_load(&t->made) == made && toy_now() < end)
		sleep_ms(10);
	if (!bad && atomic_load(&t->made) == made) {
		TH_LOG("the traffic stopped after the refused unloads");
		bad = 1;
	}
	atomic_store(&t->stop, 1);
	for (i = 0; i < 4; i++)
		bad |= join_within(th[i], CALL_DEADLINE);
	close(t->l);
	close(t->da);
	close(t->db);
	TH_LOG("%ld exchanges while unloads were refused", atomic_load(&t->made));
	return bad ? -1 : 0;
}

TEST_F_TIMEOUT(race, rmmod_under_traffic, LANE_TIMEOUT)
{
	double end;
	int l, tries = 0;

	ASSERT_EQ(0, refuse_unloads(_metadata, lane_budget(0.06)));
	if (!getenv("TOY_KO") || geteuid()) {
		TH_LOG("no TOY_KO (or not root): no real unload and reload");
		return;
	}
	/*
	 * Then the real one, as toy_module.sh does it, beginning as the
	 * last sockets close, with TIME_WAIT entries of a live namespace
	 * left for the unload to end.
	 */
	ASSERT_EQ(0, sysctl_write("msl_ms", "600000"));
	l = tlisten(LO, RM_PORT + 1, 16, 1000);
	ASSERT_LE(0, l);
	ASSERT_EQ(0, ns_timewait(l, RM_PORT + 1, 20));
	close(l);
	end = toy_now() + scaled(60);
	while (try_unload()) {
		tries++;
		ASSERT_TRUE(errno == EWOULDBLOCK || errno == EBUSY);
		ASSERT_LT(toy_now(), end) {
			TH_LOG("the module stayed pinned with no socket left");
		}
		sleep_ms(1);
	}
	if (reload()) {
		TH_LOG("insmod %s failed: %s; the module is not loaded",
		       getenv("TOY_KO"), strerror(errno));
		ASSERT_TRUE(0);
	}
	lane_count(C_RELOADS, 1);
	TH_LOG("unloaded after %d refusals, and loaded again", tries);
	/* This namespace gets its state again from the new module. */
	ASSERT_EQ(0, quick_timers(100, 1));
}

/* ---- regression tests --------------------------------------------- */

#define REG_PORT	7340
#define REG_ROUNDS	16

/* The state letter of thread @tid (/proc/self/task/TID/stat). */
static char task_state(pid_t tid)
{
	char path[64], line[512], *p;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/self/task/%d/stat", tid);
	f = fopen(path, "r");
	if (!f)
		return 0;
	p = fgets(line, sizeof(line), f) ? strrchr(line, ')') : NULL;
	fclose(f);
	return p && p[1] == ' ' ? p[2] : 0;
}

/* Wait until thread *@tid (0 until it knows it) sleeps; 0 or -1. */
static int wait_asleep(atomic_int *tid, double secs)
{
	double end = toy_now() + scaled(secs);

	do {
		if (atomic_load(tid) && task_state(atomic_load(tid)) == 'S')
			return 0;
		sleep_ms(0.2);
	} while (toy_now() < end);
	return -1;
}

struct blocked_call {
	int		fd;
	atomic_int	tid;
	ssize_t		ret;
	int		err;
	char		buf[100];
};

static void *blocked_recv(void *arg)
{
	struct blocked_call *b = arg;

	atomic_store(&b->tid, (int)syscall(SYS_gettid));
	b->ret = recv(b->fd, b->buf, sizeof(b->buf), MSG_WAITALL);
	b->err = errno;
	return NULL;
}

static void *blocked_send(void *arg)
{
	struct blocked_call *b = arg;

	memset(b->buf, 'W', 10);
	atomic_store(&b->tid, (int)syscall(SYS_gettid));
	b->ret = send(b->fd, b->buf, 10, MSG_NOSIGNAL);
	b->err = errno;
	return NULL;
}

/*
 * recv(MSG_WAITALL) has 10 bytes of a connection and waits for more;
 * meanwhile another thread dissolves the connection (AF_UNSPEC) and
 * connects the socket again.  As TCP's (sk_wait_data() ending with
 * -EPIPE): the call returns the 10 bytes, never bytes of the next
 * connection with them.
 */
TEST_F_TIMEOUT(race, disconnect_ends_blocked_recv, LANE_TIMEOUT)
{
	int l = tlisten(LO, REG_PORT, 8, 2000), r;

	ASSERT_LE(0, l);
	for (r = 0; r < REG_ROUNDS; r++) {
		struct blocked_call b = { 0 };
		int c, s, s2;
		pthread_t t;
		char more[90];

		ASSERT_EQ(0, make_pair(l, REG_PORT, 3000, &c, &s));
		ASSERT_EQ(10, send(s, "AAAAAAAAAA", 10, 0));
		b.fd = c;
		pthread_create(&t, NULL, blocked_recv, &b);
		ASSERT_EQ(0, wait_asleep(&b.tid, 10));
		ASSERT_EQ(0, disconnect(c));
		ASSERT_EQ(0, tconnect(c, LO, REG_PORT));
		s2 = accept_within(l, 5000);
		ASSERT_LE(0, s2);
		memset(more, 'B', sizeof(more));
		ASSERT_EQ(90, send(s2, more, sizeof(more), 0));
		ASSERT_EQ(0, join_within(t, CALL_DEADLINE));
		EXPECT_EQ(10, b.ret) {
			TH_LOG("round %d: recv(100, MSG_WAITALL) returned %zd: %.*s",
			       r, b.ret, b.ret > 0 ? (int)b.ret : 0, b.buf);
		}
		EXPECT_EQ(0, memcmp(b.buf, "AAAAAAAAAA", 10));
		close(s);
		close(s2);
		close(c);
		lane_count(C_REGRESSION_ROUNDS, 1);
		if (b.ret != 10)
			break;
	}
	close(l);
}

/*
 * send() waits for a handshake that never completes (the silent peer);
 * another thread dissolves the attempt and connects the socket to a
 * listener.  As TCP's (sk_stream_wait_connect() ending with -EPIPE): the
 * waiting send() fails, and its bytes never reach the new connection.
 */
TEST_F_TIMEOUT(race, disconnect_ends_send_waiting_for_connect, LANE_TIMEOUT)
{
	int l = tlisten(LO, REG_PORT + 1, 8, 2000), r;

	ASSERT_LE(0, l);
	for (r = 0; r < REG_ROUNDS; r++) {
		struct blocked_call b = { 0 };
		struct pollfd p = { .events = POLLIN };
		int c, s2;
		pthread_t t;
		char got[16];

		c = tsock(SOCK_STREAM | SOCK_NONBLOCK, 3000);
		ASSERT_LE(0, c);
		ASSERT_NE(0, tconnect(c, PEER_ADDR, 9000));
		ASSERT_EQ(EINPROGRESS, errno);
		ASSERT_EQ(0, set_blocking(c, 1));
		b.fd = c;
		pthread_create(&t, NULL, blocked_send, &b);
		ASSERT_EQ(0, wait_asleep(&b.tid, 10));
		ASSERT_EQ(0, disconnect(c));
		ASSERT_EQ(0, tconnect(c, LO, REG_PORT + 1));
		s2 = accept_within(l, 5000);
		ASSERT_LE(0, s2);
		ASSERT_EQ(0, join_within(t, CALL_DEADLINE));
		EXPECT_EQ(-1, b.ret) {
			TH_LOG("round %d: the waiting send() returned %zd", r,
			       b.ret);
		}
		EXPECT_TRUE(b.err == EPIPE || b.err == ECONNRESET);
		/* A failed send() queued nothing; one that did not, where? */
		p.fd = s2;
		if (b.ret != -1 && poll(&p, 1, (int)scaled(1000)) > 0 &&
		    recv(s2, got, sizeof(got), MSG_DONTWAIT) > 0)
			TH_LOG("round %d: the new connection got the bytes of a send() that waited for the old one",
			       r);
		close(s2);
		close(c);
		lane_count(C_REGRESSION_ROUNDS, 1);
		if (b.ret != -1)
			break;
	}
	close(l);
}

LANE_HARNESS_MAIN("toy_race", RACE_SEED, RACE_BRIEF_TIME, race_counters)
