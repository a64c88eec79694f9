// SPDX-License-Identifier: GPL-2.0
/*
 * toy_load - the load lane: many connections through ONE listener.
 *
 *   concurrent   1000 connections open at the same time on one listener
 *                (RLIMIT_NOFILE raised); each client sends a request and
 *                must get its own reply while all 1000 are open; then
 *                the server closes them all.  The listener asks for
 *                listen(SOMAXCONN), which the socket layer clamps to
 *                net.core.somaxconn (4096): the accept queue holds all
 *                1000.  Half-open entries are bounded by the backlog and
 *                by net.toy.max_syn_backlog (1024), beyond which SYNs get
 *                cookies (net.toy.syncookies=1); 1000 fit either way, and
 *                on loopback a handshake completes at once (the peak is
 *                printed, with ListenOverflows and SyncookiesSent).
 *   churn        short connections through one listener: connect,
 *                request, reply, close; a load generator keeps 16 of them
 *                going at a time, the server is an epoll loop; every one
 *                must be served.  TOY_LOAD_CHURN sets how many; by
 *                default 2000 in make check, and 100000 when
 *                TOY_FUZZ_TIME is above the brief default (the long run).
 *
 * TIME_WAIT and the ephemeral ports, as a real server does it: the
 * server closes first (it ends each exchange, as an HTTP/1.0 server
 * does).  TIME_WAIT then lands on the server, in small entries keyed by
 * the whole 4-tuple, which hold none of the client's ports: the client,
 * the passive closer, gives its port back once its FIN is acknowledged,
 * so 100000 connections run through the 28232 ports of the default
 * ip_local_port_range again and again, and a SYN that meets a TIME_WAIT
 * entry of its 4-tuple reopens it (RFC 6191; TWRecycled).  No sysctl is
 * changed: neither tw_reuse (which only helps a client that holds the
 * TIME_WAIT itself), nor a wider port range, nor abortive closes (which
 * give up TIME_WAIT's protection).
 *
 * Each part runs in a network namespace of its own, in a child process;
 * when the child is gone the namespace's exit ends the TIME_WAIT entries,
 * and every live-object counter must then read zero.  While a part runs,
 * a thread samples the module's memory every 100 ms and the part prints
 * its time, its rate and the peaks: sockets and TIME_WAIT entries
 * (/proc/net/toy_sockstat), half-open entries (/sys/module/toy/live),
 * the protocol's pages (/proc/net/protocols, and toy_sockstat's exact
 * count), and the slab caches of the module (/proc/slabinfo: TOY,
 * TOY-DGRAM, toy_timewait).
 *
 * Reproduce: TOY_FUZZ_SEED=N TOY_FUZZ_TIME=S [TOY_LOAD_CHURN=N] \
 *	scripts/vm-run -- selftests/run_tests.sh build/selftests toy_load
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
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <net/if.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <linux/toy.h>

#include "kselftest_harness.h"
#include "toy_budget.h"
#include "toy_lib.h"
#include "toy_net.h"
#include "toy_seg.h"

#define LO		"127.0.0.1"
#define LOAD_PORT	7500

#define LOAD_BRIEF_TIME	30.0
#define LOAD_SEED	20240612UL

#define CONCURRENT	1000
#define CHURN_BRIEF	2000
#define CHURN_FULL	100000
/* The harness's limit; each part's own, scaled, bound rules. */
#define LOAD_HARNESS_TIMEOUT	86400

enum {
	C_SERVED, C_CONCURRENT_PEAK, C_CHURNED, C_SLOW_CONNECTS,
};

static const char * const load_counters[] = {
	"served", "concurrent_peak", "churned", "connects_over_0.9s", NULL,
};

static double scaled(double secs)
{
	return secs * toy_timeout_scale();
}

/* ---- the memory the module holds, sampled ------------------------ */

struct peaks {
	long	inuse, orphans, tw, mem_pages;	/* toy_sockstat */
	long	proto_pages;			/* /proc/net/protocols */
	long	requests;			/* live half-open entries */
	long	slab_toy, slab_dgram, slab_tw;	/* bytes of each cache */
	long	objs_toy, objs_tw;
};

static void peak(long *p, long v)
{
	if (v > *p)
		*p = v;
}

static void sample_sockstat(struct peaks *pk)
{
	long inuse, orphans, tw, alloc, mem;
	FILE *f = fopen("/proc/net/toy_sockstat", "r");

	if (!f)
		return;
	if (fscanf(f, "TOY: inuse %ld orphan %ld tw %ld alloc %ld mem %ld",
		   &inuse, &orphans, &tw, &alloc, &mem) == 5) {
		peak(&pk->inuse, inuse);
		peak(&pk->orphans, orphans);
		peak(&pk->tw, tw);
		peak(&pk->mem_pages, mem);
	}
	fclose(f);
}

/* The "memory" column of the TOY line: pages, all namespaces. */
static void sample_protocols(struct peaks *pk)
{
	char line[512], name[32];
	long size, socks, mem;
	FILE *f = fopen("/proc/net/protocols", "r");

	if (!f)
		return;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "%31s %ld %ld %ld", name, &size, &socks,
			   &mem) == 4 && !strcmp(name, "TOY"))
			peak(&pk->proto_pages, mem);
	fclose(f);
}

/* Bytes of slab (and objects in use) of the cache @name. */
static void sample_slab(const char *line, const char *name, long *bytes,
			long *objs)
{
	long active, num, objsize, perslab, pages, slabs;
	char n[64];

	if (sscanf(line, "%63s %ld %ld %ld %ld %ld : tunables %*d %*d %*d : slabdata %*d %ld",
		   n, &active, &num, &objsize, &perslab, &pages, &slabs) != 7 ||
	    strcmp(n, name))
		return;
	peak(bytes, slabs * pages * sysconf(_SC_PAGESIZE));
	if (objs)
		peak(objs, active);
}

static void sample_slabinfo(struct peaks *pk)
{
	char line[512];
	FILE *f = fopen("/proc/slabinfo", "r");

	if (!f)
		return;
	while (fgets(line, sizeof(line), f)) {
		sample_slab(line, "TOY", &pk->slab_toy, &pk->objs_toy);
		sample_slab(line, "TOY-DGRAM", &pk->slab_dgram, NULL);
		sample_slab(line, "toy_timewait", &pk->slab_tw, &pk->objs_tw);
	}
	fclose(f);
}

struct sampler {
	pthread_t	thread;
	atomic_int	stop;
	struct peaks	pk;
};

static void sample_all(struct peaks *pk)
{
	sample_sockstat(pk);
	sample_protocols(pk);
	sample_slabinfo(pk);
	peak(&pk->requests, toy_live("requests"));
}

static void *sampler_main(void *arg)
{
	struct sampler *s = arg;

	while (!atomic_load(&s->stop)) {
		sample_all(&s->pk);
		usleep(100000);
	}
	sample_all(&s->pk);
	return NULL;
}

static void sampler_start(struct sampler *s)
{
	memset(&s->pk, 0, sizeof(s->pk));
	atomic_store(&s->stop, 0);
	pthread_create(&s->thread, NULL, sampler_main, s);
}

static void sampler_stop(struct sampler *s, const char *what, int n,
			 double secs)
{
	struct peaks *p = &s->pk;

	atomic_store(&s->stop, 1);
	pthread_join(s->thread, NULL);
	printf("# %s: %d connections in %.1f s (%.0f a second)\n", what, n,
	       secs, secs > 0 ? n / secs : 0);
	printf("# %s: peak sockets in use %ld (TOY slab %ld kB, %ld objects), orphans %ld, half-open entries %ld, TIME_WAIT entries %ld (toy_timewait slab %ld kB, %ld objects), TOY-DGRAM slab %ld kB\n",
	       what, p->inuse, p->slab_toy / 1024, p->objs_toy, p->orphans,
	       p->requests, p->tw, p->slab_tw / 1024, p->objs_tw,
	       p->slab_dgram / 1024);
	printf("# %s: peak protocol memory %ld pages (/proc/net/protocols), %ld pages exact (toy_sockstat): %ld kB\n",
	       what, p->proto_pages, p->mem_pages,
	       p->mem_pages * sysconf(_SC_PAGESIZE) / 1024);
	fflush(stdout);
}

/* The TCP-like counters that say how the listener coped. */
static void print_listen_stats(const char *what)
{
	printf("# %s: PassiveOpens %ld ListenOverflows %ld ListenDrops %ld SyncookiesSent %ld SyncookiesRecv %ld RetransSegs %ld TWCreated %ld TWRecycled %ld TimeWaitOverflow %ld\n",
	       what, toy_stat("PassiveOpens"), toy_stat("ListenOverflows"),
	       toy_stat("ListenDrops"), toy_stat("SyncookiesSent"),
	       toy_stat("SyncookiesRecv"), toy_stat("RetransSegs"),
	       toy_stat("TWCreated"), toy_stat("TWRecycled"),
	       toy_stat("TimeWaitOverflow"));
	fflush(stdout);
}

/* ---- requests and replies ------------------------------------------ */

/*
 * A request is "REQ <id> <len>\n" and <len> bytes (0..200, from the
 * seed); the reply "ACK <id> <sum>\n", <sum> a checksum of those bytes.
 * A client checks that the reply is for its own request.
 */
static uint8_t body_byte(unsigned int id, unsigned int i)
{
	return (uint8_t)(id * 131 + i * 7);
}

static unsigned int body_sum(unsigned int id, unsigned int len)
{
	unsigned int i, sum = 0;

	for (i = 0; i < len; i++)
		sum = sum * 31 + body_byte(id, i);
	return sum;
}

static size_t make_request(char *buf, unsigned int id)
{
	struct lane_rng g = lane_rng_for(1, id, 0);
	unsigned int len = lane_below(&g, 201), i;
	size_t n = sprintf(buf, "REQ %u %u\n", id, len);

	for (i = 0; i < len; i++)
		buf[n + i] = body_byte(id, i);
	return n + len;
}

static size_t make_reply(char *buf, unsigned int id, unsigned int sum)
{
	return sprintf(buf, "ACK %u %u\n", id, sum);
}

/*
 * A whole request in @buf (@n bytes so far)?  1 with *@reply made, 0 if
 * more is needed, -1 if it is malformed.
 */
static int parse_request(const char *buf, size_t n, char *reply,
			 size_t *rlen)
{
	const char *nl = memchr(buf, '\n', n);
	unsigned int id, len, i, sum = 0;

	if (!nl)
		return n > 64 ? -1 : 0;
	if (sscanf(buf, "REQ %u %u", &id, &len) != 2 || len > 200)
		return -1;
	if ((size_t)(nl + 1 - buf) + len > n)
		return 0;
	for (i = 0; i < len; i++)
		sum = sum * 31 + (uint8_t)nl[1 + i];
	*rlen = make_reply(reply, id, sum);
	return 1;
}

static int reply_ok(const char *buf, size_t n, unsigned int id)
{
	char want[64];
	struct lane_rng g = lane_rng_for(1, id, 0);
	size_t w = make_reply(want, id, body_sum(id, lane_below(&g, 201)));

	return n == w && !memcmp(buf, want, w);
}

/* ---- helpers --------------------------------------------------------- */

/* Room for @n descriptors. */
static int raise_nofile(rlim_t n)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl))
		return -1;
	if (rl.rlim_cur >= n)
		return 0;
	rl.rlim_cur = n;
	if (rl.rlim_max < n)
		rl.rlim_max = n;
	return setrlimit(RLIMIT_NOFILE, &rl);
}

/*
 * Run @part in a child process in a namespace of its own, and wait for
 * it within @secs (scaled).  The child's status (0: all served), or -1.
 * When the child is gone, so is its namespace, and the TIME_WAIT
 * entries with it: the live-object counters must then reach zero.
 */
static int in_own_netns(int (*part)(void *), void *arg, double secs)
{
	double end = toy_now() + scaled(secs);
	int status;
	pid_t pid;

	fflush(stdout);
	pid = fork();
	if (pid < 0)
		return -1;
	if (!pid) {
		setvbuf(stdout, NULL, _IOLBF, 0);
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		signal(SIGPIPE, SIG_IGN);
		if (unshare(CLONE_NEWNET) || lo_up()) {
			perror("namespace");
			_exit(2);
		}
		_exit(part(arg));
	}
	do {
		if (waitpid(pid, &status, WNOHANG) == pid)
			return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
		usleep(20000);
	} while (toy_now() < end);
	printf("# the part did not end within %.0f s: killed\n", scaled(secs));
	kill(pid, SIGKILL);
	waitpid(pid, &status, 0);
	return -1;
}

/* ---- 1000 at once ---------------------------------------------------- */

/* A server's connection: the request so far. */
struct sconn {
	char	buf[300];
	size_t	n;
	int	replied;
};

/* A client's connection, through its states. */
enum { CL_CONNECTING, CL_WAITING, CL_SERVED, CL_CLOSED };

struct cconn {
	char	buf[64];
	size_t	n;
	int	state;
};

struct concurrent {
	int		l;
	atomic_int	served;		/* replies the clients verified */
	atomic_int	replied;	/* requests the server answered */
	atomic_int	accepted;
	atomic_int	closed;		/* clients closed after the server */
	atomic_int	closing;	/* the server is to close them all */
	atomic_int	stop;
	atomic_int	bad;		/* a wrong reply, a failed connect */
	char		why[160];
	int		srv_fds[CONCURRENT];
};

static void cc_fail(struct concurrent *cc, const char *what, unsigned int id)
{
	int e = errno;

	if (!atomic_exchange(&cc->bad, 1))
		snprintf(cc->why, sizeof(cc->why), "connection %u: %s (%s)",
			 id, what, strerror(e));
}

/* Read what a connection has; a whole request gets its reply. */
static void srv_input(struct concurrent *cc, int fd, struct sconn *c)
{
	char reply[64];
	size_t rlen;
	ssize_t n;
	int r;

	n = recv(fd, c->buf + c->n, sizeof(c->buf) - c->n, MSG_DONTWAIT);
	if (n <= 0 || c->replied)
		return;
	c->n += n;
	r = parse_request(c->buf, c->n, reply, &rlen);
	if (r < 0)
		cc_fail(cc, "a malformed request", fd);
	if (r <= 0)
		return;
	if (send(fd, reply, rlen, MSG_NOSIGNAL) != (ssize_t)rlen) {
		cc_fail(cc, "reply", fd);
		return;
	}
	c->replied = 1;
	atomic_fetch_add(&cc->replied, 1);
}

static void srv_accept_all(struct concurrent *cc, int ep, struct sconn *conns)
{
	struct epoll_event ev = { .events = EPOLLIN };
	int fd;

	while ((fd = accept4(cc->l, NULL, NULL,
			     SOCK_NONBLOCK | SOCK_CLOEXEC)) >= 0) {
		int i = atomic_load(&cc->accepted);

		if (i >= CONCURRENT || fd >= 8192) {
			cc_fail(cc, "one connection too many", fd);
			close(fd);
			continue;
		}
		cc->srv_fds[i] = fd;
		atomic_store(&cc->accepted, i + 1);
		ev.data.fd = fd;
		epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev);
		srv_input(cc, fd, &conns[fd]);
	}
}

/* The server: one epoll loop, the listener and every connection. */
static void *cc_server(void *arg)
{
	struct concurrent *cc = arg;
	struct epoll_event ev = { .events = EPOLLIN }, evs[64];
	struct sconn *conns = calloc(8192, sizeof(*conns));
	int ep = epoll_create1(EPOLL_CLOEXEC), i, n;

	ev.data.fd = cc->l;
	epoll_ctl(ep, EPOLL_CTL_ADD, cc->l, &ev);
	while (!atomic_load(&cc->closing) && !atomic_load(&cc->stop)) {
		n = epoll_wait(ep, evs, 64, 100);
		for (i = 0; i < n; i++) {
			if (evs[i].data.fd == cc->l)
				srv_accept_all(cc, ep, conns);
			else
				srv_input(cc, evs[i].data.fd,
					  &conns[evs[i].data.fd]);
		}
	}
	/* The server closes first: TIME_WAIT lands here. */
	for (i = 0; i < atomic_load(&cc->accepted); i++)
		close(cc->srv_fds[i]);
	close(ep);
	free(conns);
	return NULL;
}

/* Connected: the request; a reply: check it; end of file: close. */
static void cl_event(struct concurrent *cc, int ep, int fd, unsigned int id,
		     struct cconn *c)
{
	struct epoll_event ev = { .events = EPOLLIN,
				  .data.u64 = (uint64_t)fd << 32 | id };
	char req[300];
	ssize_t n;

	switch (c->state) {
	case CL_CONNECTING:
		errno = so_error(fd);
		if (errno) {
			cc_fail(cc, "connect", id);
			return;
		}
		n = make_request(req, id);
		if (send(fd, req, n, MSG_NOSIGNAL) != n) {
			cc_fail(cc, "request", id);
			return;
		}
		c->state = CL_WAITING;
		epoll_ctl(ep, EPOLL_CTL_MOD, fd, &ev);
		return;
	case CL_WAITING:
		n = recv(fd, c->buf + c->n, sizeof(c->buf) - c->n,
			 MSG_DONTWAIT);
		if (n <= 0) {
			if (n == 0 || errno != EAGAIN)
				cc_fail(cc, "the reply", id);
			return;
		}
		c->n += n;
		if (!memchr(c->buf, '\n', c->n))
			return;
		if (!reply_ok(c->buf, c->n, id)) {
			cc_fail(cc, "a reply that is not its own", id);
			return;
		}
		c->state = CL_SERVED;
		atomic_fetch_add(&cc->served, 1);
		return;
	case CL_SERVED:
		n = recv(fd, c->buf, sizeof(c->buf), MSG_DONTWAIT);
		if (n < 0 && errno == EAGAIN)
			return;
		if (n != 0) {
			cc_fail(cc, "more than its reply", id);
			return;
		}
		/* The server closed: now this end. */
		epoll_ctl(ep, EPOLL_CTL_DEL, fd, NULL);
		close(fd);
		c->state = CL_CLOSED;
		atomic_fetch_add(&cc->closed, 1);
	}
}

/* The clients: 1000 non-blocking connects at once, one epoll loop. */
static void *cc_clients(void *arg)
{
	struct concurrent *cc = arg;
	struct cconn *conns = calloc(CONCURRENT, sizeof(*conns));
	struct sockaddr_toy a = taddr(LO, LOAD_PORT);
	int ep = epoll_create1(EPOLL_CLOEXEC), i, n;
	struct epoll_event evs[64];

	for (i = 0; i < CONCURRENT && !atomic_load(&cc->bad); i++) {
		int fd = socket(TOY_AF, SOCK_STREAM | SOCK_NONBLOCK |
				SOCK_CLOEXEC, 0);
		struct epoll_event ev = { .events = EPOLLOUT,
					  .data.u64 = (uint64_t)fd << 32 | i };

		if (fd < 0 || (connect(fd, (struct sockaddr *)&a, sizeof(a)) &&
			       errno != EINPROGRESS)) {
			cc_fail(cc, "socket or connect", i);
			break;
		}
		epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev);
	}
	while (atomic_load(&cc->closed) < CONCURRENT &&
	       !atomic_load(&cc->bad) && !atomic_load(&cc->stop)) {
		n = epoll_wait(ep, evs, 64, 100);
		for (i = 0; i < n; i++) {
			unsigned int id = evs[i].data.u64 & 0xffffffff;

			cl_event(cc, ep, evs[i].data.u64 >> 32, id,
				 &conns[id]);
		}
	}
	/* Those not closed yet (a failure) close with the process. */
	close(ep);
	free(conns);
	return NULL;
}

static void cc_progress(struct concurrent *cc, const char *what)
{
	printf("# concurrent: %s: %d accepted, %d replied, %d served, %d closed; sockets %ld, half-open %ld\n",
	       what, atomic_load(&cc->accepted), atomic_load(&cc->replied),
	       atomic_load(&cc->served), atomic_load(&cc->closed),
	       toy_live("sockets"), toy_live("requests"));
	fflush(stdout);
}

/*
 * Wait until *@v reaches @want or @cc goes bad, within @secs (scaled);
 * a line every 10 s says how far it got.
 */
static int cc_wait(struct concurrent *cc, atomic_int *v, int want,
		   double secs)
{
	double end = toy_now() + scaled(secs), next = toy_now() + 10;

	while (atomic_load(v) < want && !atomic_load(&cc->bad)) {
		if (toy_now() > end)
			return -1;
		if (toy_now() > next) {
			cc_progress(cc, "waiting");
			next += 10;
		}
		usleep(10000);
	}
	return atomic_load(&cc->bad) ? -1 : 0;
}

static int concurrent_part(void *arg)
{
	struct concurrent *cc = calloc(1, sizeof(*cc));
	struct sampler smp;
	pthread_t srv, cl;
	double t0, t;
	long inuse = 0;
	int err;

	if (raise_nofile(4 * CONCURRENT + 64)) {
		perror("RLIMIT_NOFILE");
		return 2;
	}
	cc->l = toy_listener(LO, LOAD_PORT, SOMAXCONN);
	/* The epoll loop accepts until EAGAIN. */
	if (cc->l < 0 || fcntl(cc->l, F_SETFL, O_NONBLOCK)) {
		perror("listener");
		return 2;
	}
	sampler_start(&smp);
	t0 = toy_now();
	pthread_create(&srv, NULL, cc_server, cc);
	pthread_create(&cl, NULL, cc_clients, cc);
	err = cc_wait(cc, &cc->served, CONCURRENT, 300);
	t = toy_now() - t0;
	if (!err) {
		/* All of them open at once, every one served. */
		sample_sockstat(&smp.pk);
		inuse = smp.pk.inuse;
		lane_count(C_CONCURRENT_PEAK, inuse);
		lane_count(C_SERVED, CONCURRENT);
		printf("# concurrent: all %d served in %.1f s with %ld sockets open at once\n",
		       CONCURRENT, t, inuse);
	}
	atomic_store(&cc->closing, 1);
	if (!err)
		err = cc_wait(cc, &cc->closed, CONCURRENT, 300);
	atomic_store(&cc->stop, 1);
	pthread_join(srv, NULL);
	pthread_join(cl, NULL);
	close(cc->l);
	sampler_stop(&smp, "concurrent", CONCURRENT, toy_now() - t0);
	print_listen_stats("concurrent");
	if (err || inuse < 2 * CONCURRENT + 1) {
		printf("# concurrent: FAILED: %d served, %d replied, %d accepted, %d closed, %ld sockets at the peak: %s\n",
		       atomic_load(&cc->served), atomic_load(&cc->replied),
		       atomic_load(&cc->accepted), atomic_load(&cc->closed),
		       inuse, cc->bad ? cc->why : "too slow");
		return 1;
	}
	return 0;
}

/* ---- short connections, one after the other ------------------------ */

/*
 * The client side is a load generator: one epoll loop keeps
 * CHURN_INFLIGHT connections going, each connect, request, reply, the
 * server's FIN, close, and starts the next as one ends.  The server is
 * one epoll loop too: accept, read the request, reply, close first.
 */
#define CHURN_INFLIGHT	16
#define CHURN_FDS	8192

struct churn {
	int		l;
	int		total;
	int		started;
	atomic_int	served;		/* replies the clients verified */
	atomic_int	answered;	/* requests the server answered */
	int		slow;		/* connects that took over 0.9 s */
	atomic_int	stop;
	atomic_int	bad;
	char		why[160];
};

/* What a client connection waits for, and since when. */
struct chconn {
	unsigned int	id;
	int		state;		/* CL_CONNECTING ... */
	double		t0;
	char		buf[64];
	size_t		n;
};

static void ch_fail(struct churn *ch, const char *what, unsigned int id)
{
	int e = errno;

	if (!atomic_exchange(&ch->bad, 1))
		snprintf(ch->why, sizeof(ch->why), "connection %u: %s (%s)",
			 id, what, strerror(e));
}

/* Server: a request that is whole gets its reply, and the close. */
static void chs_input(struct churn *ch, int fd, struct sconn *c)
{
	char reply[64];
	size_t rlen;
	ssize_t n;
	int r;

	n = recv(fd, c->buf + c->n, sizeof(c->buf) - c->n, MSG_DONTWAIT);
	if (n < 0 && errno == EAGAIN)
		return;
	if (n <= 0) {
		ch_fail(ch, "the server's read", fd);
		goto close;
	}
	c->n += n;
	r = parse_request(c->buf, c->n, reply, &rlen);
	if (!r)
		return;
	if (r < 0)
		ch_fail(ch, "a malformed request", fd);
	else if (send(fd, reply, rlen, MSG_NOSIGNAL) != (ssize_t)rlen)
		ch_fail(ch, "the server's reply", fd);
	else
		atomic_fetch_add(&ch->answered, 1);
close:
	close(fd);	/* first: TIME_WAIT is the server's */
	memset(c, 0, sizeof(*c));
}

static void *ch_server(void *arg)
{
	struct churn *ch = arg;
	struct epoll_event ev = { .events = EPOLLIN }, evs[64];
	struct sconn *conns = calloc(CHURN_FDS, sizeof(*conns));
	int ep = epoll_create1(EPOLL_CLOEXEC), i, n, fd;

	ev.data.fd = ch->l;
	epoll_ctl(ep, EPOLL_CTL_ADD, ch->l, &ev);
	while (!atomic_load(&ch->stop)) {
		n = epoll_wait(ep, evs, 64, 100);
		for (i = 0; i < n; i++) {
			if (evs[i].data.fd != ch->l) {
				fd = evs[i].data.fd;
				chs_input(ch, fd, &conns[fd]);
				continue;
			}
			while ((fd = accept4(ch->l, NULL, NULL, SOCK_NONBLOCK |
					     SOCK_CLOEXEC)) >= 0) {
				if (fd >= CHURN_FDS) {
					ch_fail(ch, "descriptors", fd);
					close(fd);
					continue;
				}
				ev.data.fd = fd;
				epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev);
				chs_input(ch, fd, &conns[fd]);
			}
		}
	}
	close(ep);
	free(conns);
	return NULL;
}

/* Start connection number ch->started; 0 or -1. */
static int chc_start(struct churn *ch, int ep, struct chconn *conns)
{
	struct sockaddr_toy a = taddr(LO, LOAD_PORT);
	struct epoll_event ev = { .events = EPOLLOUT };
	unsigned int id = ch->started++;
	int fd;

	fd = socket(TOY_AF, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0 || fd >= CHURN_FDS) {
		ch_fail(ch, "socket", id);
		return -1;
	}
	conns[fd] = (struct chconn){ .id = id, .t0 = toy_now() };
	if (connect(fd, (struct sockaddr *)&a, sizeof(a)) &&
	    errno != EINPROGRESS) {
		ch_fail(ch, "connect", id);
		close(fd);
		return -1;
	}
	ev.data.fd = fd;
	return epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev);
}

/* A client connection's event; 1 when it is over (closed). */
static int chc_event(struct churn *ch, int ep, int fd, struct chconn *c)
{
	struct epoll_event ev = { .events = EPOLLIN, .data.fd = fd };
	char req[300];
	ssize_t n;

	if (c->state == CL_CONNECTING) {
		errno = so_error(fd);
		if (errno) {
			ch_fail(ch, "connect", c->id);
			goto over;
		}
		/* Slow: as long as a SYN sent again (1 s) takes. */
		if (toy_now() - c->t0 > 0.9)
			ch->slow++;
		n = make_request(req, c->id);
		if (send(fd, req, n, MSG_NOSIGNAL) != n) {
			ch_fail(ch, "request", c->id);
			goto over;
		}
		c->state = CL_WAITING;
		epoll_ctl(ep, EPOLL_CTL_MOD, fd, &ev);
		return 0;
	}
	n = recv(fd, c->buf + c->n, sizeof(c->buf) - c->n, MSG_DONTWAIT);
	if (n < 0 && errno == EAGAIN)
		return 0;
	if (n > 0) {
		c->n += n;
		return 0;
	}
	/* The server's FIN after its reply (or an error). */
	if (n < 0 || !reply_ok(c->buf, c->n, c->id))
		ch_fail(ch, n < 0 ? "the reply" : "a reply that is not its own",
			c->id);
	else
		atomic_fetch_add(&ch->served, 1);
over:
	epoll_ctl(ep, EPOLL_CTL_DEL, fd, NULL);
	close(fd);
	return 1;
}

static void *ch_clients(void *arg)
{
	struct churn *ch = arg;
	struct chconn *conns = calloc(CHURN_FDS, sizeof(*conns));
	int ep = epoll_create1(EPOLL_CLOEXEC), inflight = 0, i, n;
	struct epoll_event evs[64];

	while (!atomic_load(&ch->bad) &&
	       (ch->started < ch->total || inflight)) {
		while (inflight < CHURN_INFLIGHT && ch->started < ch->total) {
			if (chc_start(ch, ep, conns))
				break;
			inflight++;
		}
		n = epoll_wait(ep, evs, 64, 1000);
		for (i = 0; i < n; i++) {
			int fd = evs[i].data.fd;

			inflight -= chc_event(ch, ep, fd, &conns[fd]);
		}
	}
	close(ep);
	free(conns);
	return NULL;
}

static int churn_part(void *arg)
{
	struct churn *ch = calloc(1, sizeof(*ch));
	struct sampler smp;
	pthread_t srv, cl;
	double t0, t;
	int ok;

	ch->total = *(int *)arg;
	if (raise_nofile(CHURN_FDS)) {
		perror("RLIMIT_NOFILE");
		return 2;
	}
	ch->l = toy_listener(LO, LOAD_PORT, SOMAXCONN);
	if (ch->l < 0 || fcntl(ch->l, F_SETFL, O_NONBLOCK)) {
		perror("listener");
		return 2;
	}
	sampler_start(&smp);
	t0 = toy_now();
	pthread_create(&srv, NULL, ch_server, ch);
	pthread_create(&cl, NULL, ch_clients, ch);
	pthread_join(cl, NULL);
	t = toy_now() - t0;
	atomic_store(&ch->stop, 1);
	pthread_join(srv, NULL);
	close(ch->l);
	sampler_stop(&smp, "churn", atomic_load(&ch->served), t);
	print_listen_stats("churn");
	printf("# churn: %d connects took more than 0.9 s (a SYN sent again takes 1 s)\n",
	       ch->slow);
	lane_count(C_CHURNED, atomic_load(&ch->served));
	lane_count(C_SERVED, atomic_load(&ch->served));
	lane_count(C_SLOW_CONNECTS, ch->slow);
	ok = atomic_load(&ch->served) == ch->total &&
	     atomic_load(&ch->answered) == ch->total && !ch->bad;
	if (!ok)
		printf("# churn: FAILED: %d of %d served, %d answered: %s\n",
		       atomic_load(&ch->served), ch->total,
		       atomic_load(&ch->answered),
		       ch->bad ? ch->why : "?");
	return ok ? 0 : 1;
}

/* How many short connections: TOY_LOAD_CHURN, else brief or full. */
static int churn_count(void)
{
	const char *s = getenv("TOY_LOAD_CHURN");

	if (s && *s)
		return atoi(s);
	return lane_long() ? CHURN_FULL : CHURN_BRIEF;
}

/* ---- the tests --------------------------------------------------- */

FIXTURE(load) {
	int	unused;
};

FIXTURE_SETUP(load)
{
	if (!lane_selected(_metadata->name))
		SKIP(_exit(255), "not in TOY_ONLY");	/* 255: skipped */
	ASSERT_EQ(0, toy_live_wait_zero(30));
}

/* Afterwards, the namespace gone: nothing of it may be left. */
FIXTURE_TEARDOWN(load)
{
	EXPECT_EQ(0, toy_live_wait_zero(120)) {
		TH_LOG("live objects left after the namespace went");
	}
}

TEST_F_TIMEOUT(load, concurrent_1000_one_listener, LOAD_HARNESS_TIMEOUT)
{
	ASSERT_EQ(0, in_own_netns(concurrent_part, NULL, 900)) {
		lane_reproduce_line(stderr);
	}
}

TEST_F_TIMEOUT(load, churn_one_listener, LOAD_HARNESS_TIMEOUT)
{
	int n = churn_count();

	TH_LOG("%d short connections through one listener", n);
	ASSERT_EQ(0, in_own_netns(churn_part, &n, 3000)) {
		lane_reproduce_line(stderr);
	}
}

LANE_HARNESS_MAIN("toy_load", LOAD_SEED, LOAD_BRIEF_TIME, load_counters)
