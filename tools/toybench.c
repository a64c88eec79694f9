// SPDX-License-Identifier: GPL-2.0
/*
 * toybench - one benchmark of AF_TOY or of TCP/UDP, for comparing the two.
 *
 *   toybench --family toy|inet [-s MIB] [-t SECS] [-m BYTES] [-a ADDR]
 *            [-S NETNS] [-C NETNS] [-l LABEL] [-w SECS] [-n COUNT]
 *            [-R LOW-HIGH] [-Z] [-v] MEASURE
 *
 * MEASURE is one of:
 *   bulk   one stream connection; the client writes MIB MiB (default 16)
 *          in writes of BYTES (default 65536), shuts down its sending side
 *          and waits for the server's end of file; the server reads it all.
 *          Goodput at the receiver, from accept() to end of file: bytes/s.
 *   rr     one stream connection; for SECS seconds (default 2) the client
 *          sends a 1-byte request and waits for the 1-byte response: trans/s.
 *   crr    for SECS seconds, a new connection per transaction: connect,
 *          a 1-byte request and response, and close, the client closing
 *          first (so the client holds TIME_WAIT): conn/s.
 *   dgram  for SECS seconds the client sends datagrams of BYTES bytes
 *          (default 64) to a bound receiver as fast as send() returns;
 *          datagrams received per second, from the receiver's first
 *          datagram to its last.
 *   twbytes  COUNT connections (-n, default 4000), made and closed as crr's,
 *          leave COUNT TIME_WAIT entries at the client: the growth of the
 *          kernel's unreclaimable slab memory (/proc/meminfo's SUnreclaim)
 *          per entry, bytes/entry,
 *          bind buckets and whatever else an entry holds included.  Run it
 *          where nothing else makes or ends connections (its own netns),
 *          with a TIME_WAIT cap above COUNT.
 *
 * With -n COUNT, rr and crr first open COUNT more connections to the
 * server and keep them, idle, while they measure: the cost of finding
 * one connection among many (rr), or of choosing a port when many are
 * taken (crr with -R).  -R LOW-HIGH sets the client's automatic port
 * range (net.ipv4 or net.toy ip_local_port_range) for the run.  -Z ends
 * crr's connections with a reset (SO_LINGER 0): no TIME_WAIT, so that
 * the ports in use are only the ones -n holds.
 *
 * --family toy uses AF_TOY (the family the loaded module registered),
 * inet AF_INET, so SOCK_STREAM is TCP and SOCK_DGRAM UDP.  Both get the
 * same calls with the same arguments and the system's default settings.
 *
 * The server side (listener or receiver) binds ADDR (default 127.0.0.1),
 * port 0, in network namespace NETNS with -S (a name from `ip netns`);
 * the client runs in -C's namespace.  The server is a child process.
 *
 * Prints one line on standard output:
 *     LABEL FAMILY VALUE UNIT        e.g. "bulk_lo toy 123456789 bytes/s"
 * LABEL defaults to MEASURE_lo.  -v adds the raw counts on standard error.
 *
 * Every socket call gives up after 30 s (SO_RCVTIMEO, SO_SNDTIMEO), and
 * the whole run after -w SECS (default 120); times are CLOCK_MONOTONIC.
 * Exit status 0 with a result, 1 with the reason on standard error, 2 for
 * bad usage.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <linux/toy.h>

#include "toy_family.h"

#define IO_TIMEOUT	30	/* seconds any one socket call may wait */
#define REQ		'r'	/* a request (rr, crr) */
#define REQ_LAST	'q'	/* crr: the last request; the server ends */
#define DG_DATA		'd'	/* a datagram that counts */
#define DG_END		'e'	/* the sender is done */

enum measure { BULK, RR, CRR, DGRAM, TWBYTES };

static const char *const measure_name[] = {
	"bulk", "rr", "crr", "dgram", "twbytes"
};
static const char *const measure_unit[] = {
	"bytes/s", "trans/s", "conn/s", "dgrams/s", "bytes/entry"
};

union addr {
	struct sockaddr sa;
	struct sockaddr_in in;
	struct sockaddr_toy toy;
};

static int af, is_toy, verbose, abortive;
static long held;		/* -n: connections kept open meanwhile */
static long tw_count = 4000;	/* twbytes: -n, the entries to make */
static const char *label;
static enum measure what;
static union addr server;	/* the listener's or receiver's address */
static long run_timeout = 120;
static volatile pid_t child;	/* the server side, until reaped */
static int child_status;
static char buf[65536];

static void say(const char *fmt, va_list ap)
{
	fprintf(stderr, "toybench: %s %s: ", label, is_toy ? "toy" : "inet");
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
}

/* -v: the counts behind a result, on standard error. */
static void __attribute__((format(printf, 1, 2))) info(const char *fmt, ...)
{
	va_list ap;

	if (!verbose)
		return;
	va_start(ap, fmt);
	say(fmt, ap);
	va_end(ap);
}

/* Give up: the reason, and no server side left behind. */
static void __attribute__((format(printf, 1, 2), noreturn))
fail(const char *fmt, ...)
{
	va_list ap;

	if (child > 0)
		kill(child, SIGKILL);
	va_start(ap, fmt);
	say(fmt, ap);
	va_end(ap);
	exit(1);
}

/* A failed socket call; a timeout says so in words. */
static void __attribute__((noreturn)) fail_call(const char *what_call)
{
	if (errno == EAGAIN || errno == EINPROGRESS)
		fail("%s: no progress for %d s (%s)", what_call, IO_TIMEOUT,
		     strerror(errno));
	fail("%s: %s", what_call, strerror(errno));
}

static void on_alarm(int sig __attribute__((unused)))
{
	static const char msg[] = "toybench: the run exceeded its time limit (-w)\n";

	if (child > 0)
		kill(child, SIGKILL);
	if (write(2, msg, sizeof(msg) - 1) < 0)
		_exit(1);
	_exit(1);
}

static void arm_alarm(void)
{
	signal(SIGALRM, on_alarm);
	alarm(run_timeout);
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void set_addr(union addr *a, struct in_addr ip, int port)
{
	memset(a, 0, sizeof(*a));
	if (is_toy) {
		a->toy.stoy_family = af;
		a->toy.stoy_addr = ip;
		a->toy.stoy_port = htons(port);
	} else {
		a->in.sin_family = AF_INET;
		a->in.sin_addr = ip;
		a->in.sin_port = htons(port);
	}
}

static int new_socket(int type)
{
	struct timeval tv = { .tv_sec = IO_TIMEOUT };
	int fd = socket(af, type, 0);

	if (fd < 0)
		fail_call("socket");
	if (setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)) ||
	    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv)))
		fail_call("SO_RCVTIMEO/SO_SNDTIMEO");
	return fd;
}

/* Enter network namespace @name (a name under /run/netns). */
static void enter_netns(const char *name, int orig)
{
	char path[256];
	int fd = orig;

	if (name) {
		snprintf(path, sizeof(path), "/run/netns/%s", name);
		fd = open(path, O_RDONLY | O_CLOEXEC);
		if (fd < 0)
			fail("network namespace %s: %s", name, strerror(errno));
	}
	if (setns(fd, CLONE_NEWNET))
		fail("setns %s: %s", name ? name : "(own)", strerror(errno));
	if (fd != orig)
		close(fd);
}

static void write_all(int fd, const char *p, size_t n)
{
	while (n) {
		ssize_t w = send(fd, p, n, MSG_NOSIGNAL);

		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0)
			fail_call("send");
		p += w;
		n -= w;
	}
}

static void send_byte(int fd, char c)
{
	write_all(fd, &c, 1);
}

/* One byte, or 0 at end of file. */
static int read_byte(int fd, const char *what_call)
{
	char c;
	ssize_t n;

	do {
		n = recv(fd, &c, 1, 0);
	} while (n < 0 && errno == EINTR);
	if (n < 0)
		fail_call(what_call);
	return n ? (unsigned char)c : 0;
}

/* Read until end of file; the number of bytes read. */
static long long drain(int fd)
{
	long long total = 0;
	ssize_t n;

	for (;;) {
		n = recv(fd, buf, sizeof(buf), 0);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == ECONNRESET && abortive)
			return total;	/* -Z: the client's reset ends it */
		if (n < 0)
			fail_call("recv");
		if (!n)
			return total;
		total += n;
	}
}

static int accept_one(int l)
{
	int c;

	do {
		c = accept(l, NULL, NULL);
	} while (c < 0 && errno == EINTR);
	if (c < 0)
		fail_call("accept");
	return c;
}

static void connect_to(int fd)
{
	if (connect(fd, &server.sa, sizeof(server)))
		fail_call("connect");
}

/* -n: the server's side of the connections kept open; never closed. */
static void accept_held(int l)
{
	long i;

	for (i = 0; i < held; i++)
		accept_one(l);
}

/* -n: the client's side, opened before the measure and kept. */
static void open_held(void)
{
	long i;

	for (i = 0; i < held; i++)
		connect_to(new_socket(SOCK_STREAM));
	if (held > 0)
		info("%ld connections held open", held);
}

/* Close with a reset, not a FIN (-Z): the port leaves no TIME_WAIT. */
static void close_conn(int fd)
{
	struct linger lg = { .l_onoff = 1, .l_linger = 0 };

	if (abortive && setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg)))
		fail_call("SO_LINGER");
	close(fd);
}

/* One of /proc/meminfo's values, in kB. */
static long meminfo_kb(const char *name)
{
	FILE *f = fopen("/proc/meminfo", "r");
	char line[128];
	size_t len = strlen(name);
	long v = -1;

	if (!f)
		fail("/proc/meminfo: %s", strerror(errno));
	while (fgets(line, sizeof(line), f))
		if (!strncmp(line, name, len) && line[len] == ':')
			v = atol(line + len + 1);
	fclose(f);
	if (v < 0)
		fail("/proc/meminfo has no %s", name);
	return v;
}

/*
 * Unreclaimable slab memory, in bytes: where sockets and TIME_WAIT
 * entries live, without the dentry and inode caches that come and go.
 */
static long long slab_bytes(void)
{
	return meminfo_kb("SUnreclaim") * 1024LL;
}

/*
 * Unreclaimable slab memory once it stops moving: a namespace that just
 * went away (an earlier run's) frees its sockets and entries from a
 * workqueue, for a while.  Two readings 200 ms apart within 64 KiB, or
 * the last of 50.
 */
static long long slab_settled(void)
{
	struct timespec pause = { 0, 200 * 1000 * 1000 };
	long long prev = slab_bytes(), cur = prev;
	int i;

	for (i = 0; i < 50; i++) {
		nanosleep(&pause, NULL);
		cur = slab_bytes();
		if (llabs(cur - prev) < 65536)
			break;
		prev = cur;
	}
	return cur;
}

/* TIME_WAIT entries of this namespace: sockstat's "tw". */
static long tw_entries(void)
{
	const char *path = is_toy ? "/proc/net/toy_sockstat" :
				    "/proc/net/sockstat";
	const char *tag = is_toy ? "TOY:" : "TCP:";
	FILE *f = fopen(path, "r");
	char line[256], *p;
	long v = -1;

	if (!f)
		fail("%s: %s", path, strerror(errno));
	while (fgets(line, sizeof(line), f))
		if (!strncmp(line, tag, strlen(tag)) &&
		    (p = strstr(line, " tw ")))
			v = atol(p + 4);
	fclose(f);
	if (v < 0)
		fail("%s: no TIME_WAIT count", path);
	return v;
}

/* -R: the client's automatic port range, for this run; restored. */
static char port_range_path[64], port_range_old[64];

static void restore_port_range(void)
{
	FILE *f;

	if (!port_range_old[0])
		return;
	f = fopen(port_range_path, "w");
	if (f) {
		fputs(port_range_old, f);
		fclose(f);
	}
}

static void set_port_range(const char *range)
{
	char val[64];
	FILE *f;

	snprintf(port_range_path, sizeof(port_range_path),
		 "/proc/sys/net/%s/ip_local_port_range",
		 is_toy ? "toy" : "ipv4");
	f = fopen(port_range_path, "r");
	if (!f || !fgets(port_range_old, sizeof(port_range_old), f))
		fail("%s: %s", port_range_path, strerror(errno));
	fclose(f);
	snprintf(val, sizeof(val), "%s", range);
	*strchrnul(val, '-') = ' ';
	f = fopen(port_range_path, "w");
	if (!f || fputs(val, f) < 0 || fclose(f))
		fail("%s: cannot set %s", port_range_path, range);
	atexit(restore_port_range);
}

/*
 * Once datagrams flow, a receiver idle for 1 s ends: the sender's end
 * markers may all have been dropped.
 */
static void idle_end(int s)
{
	struct timeval tv = { .tv_sec = 1 };

	if (setsockopt(s, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)))
		fail_call("SO_RCVTIMEO");
}

/*
 * The server side, in the child.  It returns the rate it measured (bulk
 * and dgram), or 0 when the client measures (rr and crr).
 */
static double serve(int s, long long expect)
{
	double t0, t1, first = 0, last = 0;
	long long got, count = 0;
	int c, b;

	switch (what) {
	case BULK:
		c = accept_one(s);
		t0 = now();
		got = drain(c);
		t1 = now();
		close(c);
		if (got != expect)
			fail("the receiver got %lld bytes of %lld", got, expect);
		info("%lld bytes in %.6f s", got, t1 - t0);
		return got / (t1 - t0);
	case RR:
		accept_held(s);
		c = accept_one(s);
		while ((b = read_byte(c, "recv request")))
			send_byte(c, b);
		close(c);
		return 0;
	case CRR:
	case TWBYTES:
		accept_held(s);
		do {
			c = accept_one(s);
			b = read_byte(c, "recv request");
			if (!b)
				fail("a connection ended before its request");
			send_byte(c, b);
			if (drain(c))
				fail("more than one request on a connection");
			close(c);
		} while (b != REQ_LAST);
		return 0;
	case DGRAM:
		for (;;) {
			ssize_t n = recv(s, buf, sizeof(buf), 0);

			if (n < 0 && errno == EINTR)
				continue;
			if (n < 0 && errno == EAGAIN && count)
				break;
			if (n < 0)
				fail_call("recv datagram");
			if (n > 0 && buf[0] == DG_END)
				break;
			last = now();
			if (!count++) {
				first = last;
				idle_end(s);
			}
		}
		if (count < 2 || last <= first)
			fail("the receiver got %lld datagrams, too few to time",
			     count);
		info("%lld datagrams in %.6f s", count, last - first);
		return (count - 1) / (last - first);
	}
	return 0;
}

/* crr's transaction: connect, a request and its response, close. */
static void transact(char req)
{
	int fd = new_socket(SOCK_STREAM);

	connect_to(fd);
	send_byte(fd, req);
	if (read_byte(fd, "recv response") != req)
		fail("a wrong or missing response");
	close_conn(fd);
}

/*
 * twbytes: -n connections closed by the client first, each leaving a
 * TIME_WAIT entry; the slab memory they hold, per entry.
 */
static double tw_bytes(void)
{
	long long slab0, grown;
	long i, tw0, tw;

	/* One first, not counted: whatever a first connection allocates. */
	transact(REQ);
	slab0 = slab_settled();
	tw0 = tw_entries();
	for (i = 0; i < tw_count; i++)
		transact(REQ);
	transact(REQ_LAST);
	/* The server's side ends with our ACK of its FIN: wait for it. */
	while (waitpid(child, &child_status, 0) < 0)
		if (errno != EINTR)
			fail("waitpid: %s", strerror(errno));
	child = 0;
	grown = slab_settled() - slab0;
	tw = tw_entries() - tw0;
	if (tw < tw_count)
		fail("%ld TIME_WAIT entries of %ld: a cap?", tw, tw_count + 1);
	info("%ld entries, slab %+lld bytes", tw, grown);
	return (double)grown / tw;
}

/* The client side, in the parent: the rate it measured, or 0. */
static double drive(long long bytes, size_t msg, double secs)
{
	double t0, t;
	long long done = 0;
	int fd;

	switch (what) {
	case BULK:
		fd = new_socket(SOCK_STREAM);
		connect_to(fd);
		memset(buf, 'b', sizeof(buf));
		while (done < bytes) {
			size_t n = msg;

			if (bytes - done < (long long)msg)
				n = bytes - done;
			write_all(fd, buf, n);
			done += n;
		}
		if (shutdown(fd, SHUT_WR))
			fail_call("shutdown");
		if (drain(fd))
			fail("the receiver sent data back");
		close(fd);
		return 0;
	case RR:
		open_held();
		fd = new_socket(SOCK_STREAM);
		connect_to(fd);
		t0 = now();
		do {
			send_byte(fd, REQ);
			if (read_byte(fd, "recv response") != REQ)
				fail("a wrong or missing response");
			done++;
		} while ((t = now()) - t0 < secs);
		close(fd);
		info("%lld transactions in %.6f s", done, t - t0);
		return done / (t - t0);
	case CRR:
		open_held();
		t0 = now();
		do {
			transact(REQ);
			done++;
		} while ((t = now()) - t0 < secs);
		/* One more, not counted, tells the server to end. */
		transact(REQ_LAST);
		info("%lld connections in %.6f s", done, t - t0);
		return done / (t - t0);
	case TWBYTES:
		return tw_bytes();
	case DGRAM:
		fd = new_socket(SOCK_DGRAM);
		connect_to(fd);
		memset(buf, DG_DATA, msg);
		t0 = now();
		do {
			if (send(fd, buf, msg, 0) < 0 && errno != EINTR)
				fail_call("send datagram");
			done++;
		} while (now() - t0 < secs);
		/*
		 * End markers until the receiver has gone: it may be busy
		 * with a full queue, which drops what comes meanwhile.  Once
		 * it has gone the port is closed, and a send may report that.
		 */
		for (;;) {
			struct timespec pause = { 0, 10 * 1000 * 1000 };
			char end = DG_END;
			int st;

			if (send(fd, &end, 1, 0) < 0 &&
			    errno != ECONNREFUSED && errno != EINTR)
				fail_call("send end marker");
			if (waitpid(child, &st, WNOHANG) == child) {
				child_status = st;
				child = 0;
				break;
			}
			nanosleep(&pause, NULL);
		}
		close(fd);
		info("%lld datagrams sent", done);
		return 0;
	}
	return 0;
}

static void usage(void)
{
	fprintf(stderr,
		"usage: toybench --family toy|inet [-s MIB] [-t SECS] [-m BYTES] [-a ADDR]\n"
		"                [-S NETNS] [-C NETNS] [-l LABEL] [-w SECS] [-n COUNT]\n"
		"                [-R LOW-HIGH] [-Z] [-v] bulk|rr|crr|dgram|twbytes\n");
	exit(2);
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "family", required_argument, NULL, 'f' },
		{ "size", required_argument, NULL, 's' },
		{ "time", required_argument, NULL, 't' },
		{ "msg", required_argument, NULL, 'm' },
		{ "addr", required_argument, NULL, 'a' },
		{ "server-netns", required_argument, NULL, 'S' },
		{ "client-netns", required_argument, NULL, 'C' },
		{ "label", required_argument, NULL, 'l' },
		{ "timeout", required_argument, NULL, 'w' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "held", required_argument, NULL, 'n' },
		{ "port-range", required_argument, NULL, 'R' },
		{ "reset", no_argument, NULL, 'Z' },
		{ NULL, 0, NULL, 0 }
	};
	const char *family = NULL, *ip = "127.0.0.1", *sns = NULL, *cns = NULL;
	const char *range = NULL;
	struct rlimit nofile;
	double secs = 2, rate, child_rate = 0;
	long mib = 16, msg = 0;
	int opt, s, orig_ns, p[2], st, i;
	struct in_addr a;
	socklen_t len;
	char lbuf[64];
	ssize_t n;

	while ((opt = getopt_long(argc, argv, "f:s:t:m:a:S:C:l:w:vn:R:Z", opts,
				  NULL)) != -1) {
		switch (opt) {
		case 'f': family = optarg; break;
		case 's': mib = atol(optarg); break;
		case 't': secs = atof(optarg); break;
		case 'm': msg = atol(optarg); break;
		case 'a': ip = optarg; break;
		case 'S': sns = optarg; break;
		case 'C': cns = optarg; break;
		case 'l': label = optarg; break;
		case 'w': run_timeout = atol(optarg); break;
		case 'v': verbose = 1; break;
		case 'n': held = atol(optarg); break;
		case 'R': range = optarg; break;
		case 'Z': abortive = 1; break;
		default: usage();
		}
	}
	if (!family || argc - optind != 1)
		usage();
	if (!strcmp(family, "toy"))
		is_toy = 1;
	else if (strcmp(family, "inet"))
		usage();
	for (i = 0; i <= TWBYTES; i++)
		if (!strcmp(argv[optind], measure_name[i]))
			break;
	if (i > TWBYTES)
		usage();
	what = i;
	if (what == TWBYTES) {
		if (held)
			tw_count = held;
		held = 0;
	}
	if (!msg)
		msg = what == DGRAM ? 64 : sizeof(buf);
	if (mib < 1 || secs <= 0 || msg < 1 || msg > (long)sizeof(buf) ||
	    run_timeout < 1 || inet_pton(AF_INET, ip, &a) != 1 ||
	    held < 0 || held > 1000000 || tw_count < 1 ||
	    (range && !strchr(range, '-')))
		usage();
	if (!label) {
		snprintf(lbuf, sizeof(lbuf), "%s_lo", measure_name[what]);
		label = lbuf;
	}
	af = is_toy ? module_family() : AF_INET;
	signal(SIGPIPE, SIG_IGN);
	arm_alarm();
	/* Each side holds -n sockets, and then some. */
	nofile.rlim_cur = nofile.rlim_max = held + 1024;
	if (held && setrlimit(RLIMIT_NOFILE, &nofile))
		fail("RLIMIT_NOFILE %ld: %s", held + 1024, strerror(errno));

	/* The server's socket, in its namespace; then the client's. */
	orig_ns = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
	if (orig_ns < 0)
		fail("/proc/self/ns/net: %s", strerror(errno));
	if (sns)
		enter_netns(sns, orig_ns);
	s = new_socket(what == DGRAM ? SOCK_DGRAM : SOCK_STREAM);
	set_addr(&server, a, 0);
	if (bind(s, &server.sa, sizeof(server)))
		fail_call("bind");
	if (what != DGRAM && listen(s, 4096))
		fail_call("listen");
	len = sizeof(server);
	if (getsockname(s, &server.sa, &len))
		fail_call("getsockname");
	if (sns || cns)
		enter_netns(cns, orig_ns);
	close(orig_ns);

	if (pipe(p))
		fail("pipe: %s", strerror(errno));
	fflush(stderr);
	child = fork();
	if (child < 0)
		fail("fork: %s", strerror(errno));
	if (!child) {
		close(p[0]);
		arm_alarm();
		rate = serve(s, (long long)mib << 20);
		if (write(p[1], &rate, sizeof(rate)) != sizeof(rate))
			fail("pipe: %s", strerror(errno));
		return 0;
	}
	close(p[1]);
	close(s);
	/* Here, not before fork(): the child's exit must not restore it. */
	if (range)
		set_port_range(range);
	rate = drive((long long)mib << 20, msg, secs);

	if (child > 0) {
		while (waitpid(child, &child_status, 0) < 0)
			if (errno != EINTR)
				fail("waitpid: %s", strerror(errno));
		child = 0;
	}
	st = child_status;
	if (!WIFEXITED(st) || WEXITSTATUS(st))
		fail("the server side failed (status %#x)", st);
	n = read(p[0], &child_rate, sizeof(child_rate));
	if (n != sizeof(child_rate))
		fail("no result from the server side");
	if (what == BULK || what == DGRAM)
		rate = child_rate;
	if (!(rate > 0))
		fail("no positive rate measured");
	printf("%s %s %.0f %s\n", label, is_toy ? "toy" : "inet", rate,
	       measure_unit[what]);
	return 0;
}
