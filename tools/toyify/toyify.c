// SPDX-License-Identifier: GPL-2.0
/*
 * libtoyify.so - run an unmodified program's IPv4 TCP and UDP over AF_TOY.
 *
 * Preloaded (LD_PRELOAD, by the toyify launcher), it stands between the
 * program and libc's socket calls.  An IPv4 stream or datagram socket the
 * program creates becomes an AF_TOY socket of the same type, and every
 * address that goes in or comes out is translated: struct sockaddr_toy
 * has the layout of struct sockaddr_in, so only the family differs.
 * Every other family (AF_UNIX, AF_INET6, netlink, ...) is left alone, and
 * so are libc's own sockets (its DNS resolver calls the system calls
 * directly), so names still resolve.
 *
 * When a socket moves.  A stream socket moves when it is created, unless
 * TOYIFY_PORTS names ports or TOYIFY_ADDRS addresses; a datagram socket, and any socket when ports
 * are named, waits as an IPv4 socket until its first bind(), connect(),
 * sendto()/sendmsg() with an address, or listen(), and moves then if the
 * port and address (the local ones for bind(), the peer's otherwise) are
 * ones to move;
 * bind() to port 0 and listen() unbound move only when no ports are
 * named.  A waiting socket to port 53 (DNS) stays IPv4 unless
 * TOYIFY_DNS=1, so a program's own DNS over UDP still works (a stream
 * socket moves at creation when no ports are named, DNS over TCP too).  A waiting socket that
 * moves is replaced in place (dup3() onto the same descriptor), keeping
 * its O_NONBLOCK and FD_CLOEXEC and the options set on it so far.
 *
 * Options.  SO_REUSEPORT is TOY_REUSEPORT; TCP_NODELAY, TCP_CORK,
 * TCP_QUICKACK and TCP_KEEP{IDLE,INTVL,CNT} are their TOY_ twins;
 * TCP_INFO is filled from TOY_INFO (the fields AF_TOY has; the rest 0);
 * TCP_MAXSEG reads the MSS.  Hints AF_TOY has no use for (TCP_MAXSEG,
 * TCP_DEFER_ACCEPT, TCP_NOTSENT_LOWAT, TCP_WINDOW_CLAMP, TCP_USER_TIMEOUT,
 * TCP_LINGER2, TCP_SYNCNT) succeed and do nothing; every other TCP or UDP
 * option fails with ENOPROTOOPT, as on a kernel without it.  SO_DOMAIN
 * reads AF_INET and SO_PROTOCOL IPPROTO_TCP or IPPROTO_UDP, what the
 * program asked for.
 *
 * Environment (set by the launcher):
 *   TOYIFY_FAMILY   the family number of the loaded module (required)
 *   TOYIFY_PORTS    ports to move, e.g. "80,8000-8100" (default: all)
 *   TOYIFY_ADDRS    addresses to move, e.g. "10.0.0.0/24,127.0.0.1"
 *                   (default: all); the peer's, or the local one for
 *                   bind(), where the wildcard 0.0.0.0 always matches
 *   TOYIFY_DNS      1: move port 53 too
 *   TOYIFY_VERBOSE  1: one line on stderr for every call translated
 *
 * Limits: a waiting socket added to an epoll set before it moves leaves
 * that set when it moves (the descriptor is a new file); sockets passed
 * over AF_UNIX or inherited across exec() are translated as well (what
 * the kernel says they are decides), but a waiting one is then IPv4 for
 * good.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <linux/toy.h>

#define MAX_FD		65536	/* waiting sockets above this never wait */
#define MAX_SAVED	16	/* options kept for a waiting socket */
#define MAX_OPTLEN	64

struct saved_opt {
	int		level, name;
	socklen_t	len;
	unsigned char	val[MAX_OPTLEN];
};

/* A socket created as IPv4 that has not been told where it goes yet. */
struct waiting {
	int			type;	/* SOCK_STREAM or SOCK_DGRAM */
	int			nsaved;
	struct saved_opt	saved[MAX_SAVED];
};

static struct waiting *waiting[MAX_FD];
static pthread_mutex_t waiting_lock = PTHREAD_MUTEX_INITIALIZER;

static int toy_af = -1;
static bool verbose, move_dns;
static bool all_ports = true;
static unsigned char port_set[65536 / 8];

#define MAX_PREFIXES	16
static bool all_addrs = true;
static int nprefixes;
static struct { uint32_t net, mask; } prefixes[MAX_PREFIXES];

static int (*real_socket)(int, int, int);
static int (*real_bind)(int, const struct sockaddr *, socklen_t);
static int (*real_connect)(int, const struct sockaddr *, socklen_t);
static int (*real_listen)(int, int);
static int (*real_accept)(int, struct sockaddr *, socklen_t *);
static int (*real_accept4)(int, struct sockaddr *, socklen_t *, int);
static int (*real_getsockname)(int, struct sockaddr *, socklen_t *);
static int (*real_getpeername)(int, struct sockaddr *, socklen_t *);
static ssize_t (*real_sendto)(int, const void *, size_t, int,
			      const struct sockaddr *, socklen_t);
static ssize_t (*real_recvfrom)(int, void *, size_t, int, struct sockaddr *,
				socklen_t *);
static ssize_t (*real_sendmsg)(int, const struct msghdr *, int);
static ssize_t (*real_recvmsg)(int, struct msghdr *, int);
static int (*real_sendmmsg)(int, struct mmsghdr *, unsigned int, int);
static int (*real_recvmmsg)(int, struct mmsghdr *, unsigned int, int,
			    struct timespec *);
static int (*real_setsockopt)(int, int, int, const void *, socklen_t);
static int (*real_getsockopt)(int, int, int, void *, socklen_t *);
static int (*real_close)(int);

static void say(const char *fmt, ...)
{
	char buf[256];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(buf, sizeof(buf) - 1, fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	if (n > (int)sizeof(buf) - 2)
		n = sizeof(buf) - 2;
	buf[n++] = '\n';
	/* One write(): lines of several threads do not mix. */
	if (write(STDERR_FILENO, buf, n) < 0)
		return;
}

#define LOG(...) do { if (verbose) say("toyify: " __VA_ARGS__); } while (0)

static void parse_ports(const char *s)
{
	char *copy = strdup(s), *tok, *save = NULL;
	unsigned long lo, hi, p;
	char *end;

	if (!copy)
		return;
	all_ports = false;
	for (tok = strtok_r(copy, ",", &save); tok;
	     tok = strtok_r(NULL, ",", &save)) {
		lo = strtoul(tok, &end, 10);
		hi = lo;
		if (*end == '-')
			hi = strtoul(end + 1, &end, 10);
		if (*end || lo > 65535 || hi > 65535 || lo > hi) {
			say("toyify: TOYIFY_PORTS: bad port or range '%s'", tok);
			_exit(2);
		}
		for (p = lo; p <= hi; p++)
			port_set[p / 8] |= 1 << (p % 8);
	}
	free(copy);
}

/* TOYIFY_ADDRS: "A.B.C.D[/LEN],...". */
static void parse_addrs(const char *s)
{
	char *copy = strdup(s), *tok, *save = NULL, *slash;
	struct in_addr a;
	long len;

	if (!copy)
		return;
	all_addrs = false;
	for (tok = strtok_r(copy, ",", &save); tok;
	     tok = strtok_r(NULL, ",", &save)) {
		len = 32;
		slash = strchr(tok, '/');
		if (slash) {
			*slash = 0;
			len = strtol(slash + 1, NULL, 10);
		}
		if (nprefixes == MAX_PREFIXES || len < 0 || len > 32 ||
		    inet_pton(AF_INET, tok, &a) != 1) {
			say("toyify: TOYIFY_ADDRS: bad or too many prefixes at '%s'",
			    tok);
			_exit(2);
		}
		prefixes[nprefixes].mask = len ? htonl(~0u << (32 - len)) : 0;
		prefixes[nprefixes].net = a.s_addr & prefixes[nprefixes].mask;
		nprefixes++;
	}
	free(copy);
}

#define REAL(name) do {							\
	real_##name = dlsym(RTLD_NEXT, #name);				\
	if (!real_##name) {						\
		say("toyify: no %s in libc", #name);			\
		_exit(2);						\
	}								\
} while (0)

__attribute__((constructor)) static void toyify_init(void)
{
	const char *s;

	REAL(socket); REAL(bind); REAL(connect); REAL(listen);
	REAL(accept); REAL(accept4); REAL(getsockname); REAL(getpeername);
	REAL(sendto); REAL(recvfrom); REAL(sendmsg); REAL(recvmsg);
	REAL(sendmmsg); REAL(recvmmsg); REAL(setsockopt); REAL(getsockopt);
	REAL(close);
	s = getenv("TOYIFY_FAMILY");
	if (s && *s)
		toy_af = atoi(s);
	verbose = (s = getenv("TOYIFY_VERBOSE")) && *s == '1';
	move_dns = (s = getenv("TOYIFY_DNS")) && *s == '1';
	s = getenv("TOYIFY_PORTS");
	if (s && *s && strcmp(s, "all"))
		parse_ports(s);
	s = getenv("TOYIFY_ADDRS");
	if (s && *s && strcmp(s, "all"))
		parse_addrs(s);
}

/* --- what the kernel says a descriptor is ----------------------------- */

static int sock_domain(int fd)
{
	int dom = -1;
	socklen_t len = sizeof(dom);

	real_getsockopt(fd, SOL_SOCKET, SO_DOMAIN, &dom, &len);
	return dom;
}

static bool is_toy(int fd)
{
	return toy_af > 0 && sock_domain(fd) == toy_af;
}

static int sock_type(int fd)
{
	int type = -1;
	socklen_t len = sizeof(type);

	real_getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &len);
	return type;
}

/* --- addresses --------------------------------------------------------- */

/* An IPv4 address going in, as AF_TOY's; anything else unchanged. */
static const struct sockaddr *addr_in(const struct sockaddr *a, socklen_t len,
				      struct sockaddr_toy *buf)
{
	if (!a || len < sizeof(struct sockaddr_in) || a->sa_family != AF_INET)
		return a;
	memcpy(buf, a, sizeof(*buf));
	buf->stoy_family = toy_af;
	return (const struct sockaddr *)buf;
}

/* An AF_TOY address coming out, as IPv4's. */
static void addr_out(struct sockaddr *a, socklen_t len)
{
	if (a && len >= sizeof(sa_family_t) && a->sa_family == toy_af)
		a->sa_family = AF_INET;
}

static const char *ep(const struct sockaddr *a, char *buf, size_t size)
{
	const struct sockaddr_in *in = (const void *)a;
	char ip[INET_ADDRSTRLEN];

	if (!a)
		return "-";
	inet_ntop(AF_INET, &in->sin_addr, ip, sizeof(ip));
	snprintf(buf, size, "%s:%u", ip, ntohs(in->sin_port));
	return buf;
}

/* An IPv4 address's port and address; 0 for anything else. */
static unsigned int port_of(const struct sockaddr *a, socklen_t len)
{
	if (!a || len < sizeof(struct sockaddr_in) || a->sa_family != AF_INET)
		return 0;
	return ntohs(((const struct sockaddr_in *)a)->sin_port);
}

static uint32_t addr_of(const struct sockaddr *a, socklen_t len)
{
	if (!a || len < sizeof(struct sockaddr_in) || a->sa_family != AF_INET)
		return 0;
	return ((const struct sockaddr_in *)a)->sin_addr.s_addr;
}

/* --- options ----------------------------------------------------------- */

/* A TCP option's AF_TOY twin at SOL_TOY, or 0. */
static int toy_twin(int name)
{
	switch (name) {
	case TCP_NODELAY:	return TOY_NODELAY;
	case TCP_CORK:		return TOY_CORK;
	case TCP_QUICKACK:	return TOY_QUICKACK;
	case TCP_KEEPIDLE:	return TOY_KEEPIDLE;
	case TCP_KEEPINTVL:	return TOY_KEEPINTVL;
	case TCP_KEEPCNT:	return TOY_KEEPCNT;
	}
	return 0;
}

/* Hints that change nothing AF_TOY does: accepted, ignored. */
static bool tcp_hint(int name)
{
	switch (name) {
	case TCP_MAXSEG:
	case TCP_DEFER_ACCEPT:
	case TCP_NOTSENT_LOWAT:
	case TCP_WINDOW_CLAMP:
	case TCP_USER_TIMEOUT:
	case TCP_LINGER2:
	case TCP_SYNCNT:
		return true;
	}
	return false;
}

static int toy_setsockopt(int fd, int level, int name, const void *val,
			  socklen_t len)
{
	if (level == SOL_SOCKET && name == SO_REUSEPORT)
		return real_setsockopt(fd, SOL_TOY, TOY_REUSEPORT, val, len);
	if (level == IPPROTO_TCP && toy_twin(name))
		return real_setsockopt(fd, SOL_TOY, toy_twin(name), val, len);
	if (level == IPPROTO_TCP && tcp_hint(name)) {
		LOG("setsockopt(%d, TCP option %d) ignored", fd, name);
		return 0;
	}
	if (level == IPPROTO_TCP || level == IPPROTO_UDP) {
		LOG("setsockopt(%d, level %d, option %d): ENOPROTOOPT", fd,
		    level, name);
		errno = ENOPROTOOPT;
		return -1;
	}
	return real_setsockopt(fd, level, name, val, len);
}

/* TCP_INFO from TOY_INFO: the fields both have. */
static int tcp_info(int fd, void *val, socklen_t *len)
{
	struct toy_info ti = {};
	struct tcp_info out = {};
	socklen_t tlen = sizeof(ti);

	if (real_getsockopt(fd, SOL_TOY, TOY_INFO, &ti, &tlen))
		return -1;
	out.tcpi_state = ti.toyi_state;
	out.tcpi_ca_state = ti.toyi_ca_state;
	out.tcpi_retransmits = ti.toyi_retransmits;
	out.tcpi_probes = ti.toyi_probes;
	out.tcpi_backoff = ti.toyi_backoff;
	out.tcpi_options = ti.toyi_options;
	out.tcpi_snd_wscale = ti.toyi_snd_wscale;
	out.tcpi_rcv_wscale = ti.toyi_rcv_wscale;
	out.tcpi_rto = ti.toyi_rto;
	out.tcpi_ato = ti.toyi_ato;
	out.tcpi_snd_mss = ti.toyi_snd_mss;
	out.tcpi_rcv_mss = ti.toyi_rcv_mss;
	out.tcpi_unacked = ti.toyi_unacked;
	out.tcpi_sacked = ti.toyi_sacked;
	out.tcpi_lost = ti.toyi_lost;
	out.tcpi_last_data_sent = ti.toyi_last_data_sent;
	out.tcpi_last_data_recv = ti.toyi_last_data_recv;
	out.tcpi_last_ack_recv = ti.toyi_last_ack_recv;
	out.tcpi_pmtu = ti.toyi_pmtu;
	out.tcpi_rtt = ti.toyi_rtt;
	out.tcpi_rttvar = ti.toyi_rttvar;
	out.tcpi_snd_ssthresh = ti.toyi_snd_ssthresh;
	out.tcpi_snd_cwnd = ti.toyi_snd_cwnd;
	out.tcpi_rcv_space = ti.toyi_rcv_space;
	out.tcpi_total_retrans = ti.toyi_total_retrans;
	if (*len > sizeof(out))
		*len = sizeof(out);
	memcpy(val, &out, *len);
	return 0;
}

static int toy_getsockopt(int fd, int level, int name, void *val,
			  socklen_t *len)
{
	int v;

	if (level == SOL_SOCKET && (name == SO_DOMAIN || name == SO_PROTOCOL)) {
		if (real_getsockopt(fd, level, name, val, len))
			return -1;
		v = name == SO_DOMAIN ? AF_INET :
		    sock_type(fd) == SOCK_STREAM ? IPPROTO_TCP : IPPROTO_UDP;
		if (*len >= sizeof(int))
			memcpy(val, &v, sizeof(v));
		return 0;
	}
	if (level == SOL_SOCKET && name == SO_REUSEPORT)
		return real_getsockopt(fd, SOL_SOCKET, SO_REUSEPORT, val, len);
	if (level == IPPROTO_TCP && toy_twin(name))
		return real_getsockopt(fd, SOL_TOY, toy_twin(name), val, len);
	if (level == IPPROTO_TCP && name == TCP_INFO)
		return tcp_info(fd, val, len);
	if (level == IPPROTO_TCP && name == TCP_MAXSEG) {
		struct toy_info ti = {};
		socklen_t tlen = sizeof(ti);

		if (*len < sizeof(int) ||
		    real_getsockopt(fd, SOL_TOY, TOY_INFO, &ti, &tlen)) {
			errno = EINVAL;
			return -1;
		}
		v = ti.toyi_snd_mss ? ti.toyi_snd_mss : 536;
		memcpy(val, &v, sizeof(v));
		*len = sizeof(v);
		return 0;
	}
	if (level == IPPROTO_TCP || level == IPPROTO_UDP) {
		errno = ENOPROTOOPT;
		return -1;
	}
	return real_getsockopt(fd, level, name, val, len);
}

/* --- waiting sockets ---------------------------------------------------- */

/* Port 0: not known yet (bind() to port 0, listen() unbound). */
static bool port_moves(unsigned int port)
{
	if (port == 53 && !move_dns)
		return false;
	return all_ports || (port && (port_set[port / 8] & (1 << (port % 8))));
}

/* The wildcard (bind() to every address, listen() unbound) matches. */
static bool addr_moves(uint32_t addr)
{
	int i;

	if (all_addrs || addr == htonl(INADDR_ANY))
		return true;
	for (i = 0; i < nprefixes; i++)
		if ((addr & prefixes[i].mask) == prefixes[i].net)
			return true;
	return false;
}

/* Take @fd's waiting state, if it has one; the caller frees it. */
static struct waiting *take_waiting(int fd)
{
	struct waiting *w = NULL;

	if (fd < 0 || fd >= MAX_FD)
		return NULL;
	pthread_mutex_lock(&waiting_lock);
	w = waiting[fd];
	waiting[fd] = NULL;
	pthread_mutex_unlock(&waiting_lock);
	return w;
}

/* Replace the IPv4 socket @fd by an AF_TOY one, in place. */
static int move_to_toy(int fd, struct waiting *w)
{
	int fl = fcntl(fd, F_GETFL), fdfl = fcntl(fd, F_GETFD);
	int nfd, i;

	nfd = real_socket(toy_af, w->type | SOCK_CLOEXEC, 0);
	if (nfd < 0)
		return -1;
	if (fl >= 0 && (fl & O_NONBLOCK))
		fcntl(nfd, F_SETFL, O_NONBLOCK);
	for (i = 0; i < w->nsaved; i++) {
		struct saved_opt *o = &w->saved[i];

		if (toy_setsockopt(nfd, o->level, o->name, o->val, o->len))
			say("toyify: fd %d: option %d/%d not carried over: %s",
			    fd, o->level, o->name, strerror(errno));
	}
	if (dup3(nfd, fd, fdfl >= 0 && (fdfl & FD_CLOEXEC) ? O_CLOEXEC : 0) < 0) {
		int e = errno;

		real_close(nfd);
		errno = e;
		return -1;
	}
	real_close(nfd);
	return 0;
}

/*
 * A waiting socket is told where it goes: to @port, local (bind) or the
 * peer's.  Move it or let it stay IPv4 for good.  -1 with errno: moving
 * failed, and the call that told it fails too.
 */
static int decide(int fd, const struct sockaddr *a, socklen_t len,
		  const char *why)
{
	struct waiting *w = take_waiting(fd);
	char s[32];
	int err = 0;

	if (!w)
		return 0;
	/*
	 * Still the socket that was left waiting?  The descriptor may have
	 * been closed behind our back (dup2() onto it, close_range()) and
	 * reused: never replace what is not ours.
	 */
	if (sock_domain(fd) != AF_INET || sock_type(fd) != w->type) {
		free(w);
		return 0;
	}
	if (port_moves(port_of(a, len)) && addr_moves(addr_of(a, len))) {
		err = move_to_toy(fd, w);
		if (!err)
			LOG("%s(%d): %s, the socket is now AF_TOY", why, fd,
			    ep(a, s, sizeof(s)));
	} else {
		LOG("%s(%d): %s stays IPv4", why, fd, ep(a, s, sizeof(s)));
	}
	free(w);
	return err;
}


/* --- the calls ------------------------------------------------------------ */

int socket(int domain, int type, int protocol)
{
	int base = type & ~(SOCK_NONBLOCK | SOCK_CLOEXEC);
	struct waiting *w;
	int fd;

	if (domain != AF_INET || (base != SOCK_STREAM && base != SOCK_DGRAM) ||
	    (protocol && protocol != IPPROTO_TCP && protocol != IPPROTO_UDP))
		return real_socket(domain, type, protocol);
	if (toy_af <= 0) {
		say("toyify: the toy module is not loaded (no TOYIFY_FAMILY)");
		errno = EAFNOSUPPORT;
		return -1;
	}
	if (base == SOCK_STREAM && all_ports && all_addrs) {
		fd = real_socket(toy_af, type, 0);
		LOG("socket(AF_INET, SOCK_STREAM) = %d, AF_TOY", fd);
		return fd;
	}
	fd = real_socket(domain, type, protocol);
	if (fd < 0 || fd >= MAX_FD)
		return fd;
	w = calloc(1, sizeof(*w));
	if (!w) {
		real_close(fd);
		errno = ENOMEM;
		return -1;
	}
	w->type = base;
	pthread_mutex_lock(&waiting_lock);
	free(waiting[fd]);
	waiting[fd] = w;
	pthread_mutex_unlock(&waiting_lock);
	LOG("socket(AF_INET, %s) = %d, IPv4 until it is bound or sends",
	    base == SOCK_STREAM ? "SOCK_STREAM" : "SOCK_DGRAM", fd);
	return fd;
}

int close(int fd)
{
	free(take_waiting(fd));
	return real_close(fd);
}

int bind(int fd, const struct sockaddr *a, socklen_t len)
{
	struct sockaddr_toy buf;
	char s[32];

	if (a && a->sa_family == AF_INET && decide(fd, a, len, "bind"))
		return -1;
	if (!is_toy(fd))
		return real_bind(fd, a, len);
	LOG("bind(%d, %s)", fd, ep(a, s, sizeof(s)));
	return real_bind(fd, addr_in(a, len, &buf), len);
}

int connect(int fd, const struct sockaddr *a, socklen_t len)
{
	struct sockaddr_toy buf;
	char s[32];

	if (a && a->sa_family == AF_INET && decide(fd, a, len, "connect"))
		return -1;
	if (!is_toy(fd))
		return real_connect(fd, a, len);
	LOG("connect(%d, %s)", fd, ep(a, s, sizeof(s)));
	return real_connect(fd, addr_in(a, len, &buf), len);
}

int listen(int fd, int backlog)
{
	if (decide(fd, NULL, 0, "listen"))
		return -1;
	return real_listen(fd, backlog);
}

static int accepted(int lfd, int fd, struct sockaddr *a, socklen_t *len)
{
	char s[32];

	if (fd >= 0 && a && len && is_toy(fd)) {
		addr_out(a, *len);
		LOG("accept(%d) = %d from %s", lfd, fd, ep(a, s, sizeof(s)));
	}
	return fd;
}

int accept(int fd, struct sockaddr *a, socklen_t *len)
{
	return accepted(fd, real_accept(fd, a, len), a, len);
}

int accept4(int fd, struct sockaddr *a, socklen_t *len, int flags)
{
	return accepted(fd, real_accept4(fd, a, len, flags), a, len);
}

int getsockname(int fd, struct sockaddr *a, socklen_t *len)
{
	int err = real_getsockname(fd, a, len);

	if (!err && len)
		addr_out(a, *len);
	return err;
}

int getpeername(int fd, struct sockaddr *a, socklen_t *len)
{
	int err = real_getpeername(fd, a, len);

	if (!err && len)
		addr_out(a, *len);
	return err;
}

ssize_t sendto(int fd, const void *buf, size_t n, int flags,
	       const struct sockaddr *a, socklen_t len)
{
	struct sockaddr_toy t;

	if (a && a->sa_family == AF_INET && decide(fd, a, len, "sendto"))
		return -1;
	if (!a || !is_toy(fd))
		return real_sendto(fd, buf, n, flags, a, len);
	return real_sendto(fd, buf, n, flags, addr_in(a, len, &t), len);
}

ssize_t recvfrom(int fd, void *buf, size_t n, int flags, struct sockaddr *a,
		 socklen_t *len)
{
	ssize_t r = real_recvfrom(fd, buf, n, flags, a, len);

	if (r >= 0 && a && len)
		addr_out(a, *len);
	return r;
}

/* A message going out: its name as AF_TOY's, in a copy. */
static const struct msghdr *msg_in(int fd, const struct msghdr *m,
				   struct msghdr *copy,
				   struct sockaddr_toy *name, int *err)
{
	*err = 0;
	if (!m || !m->msg_name || m->msg_namelen < sizeof(struct sockaddr_in) ||
	    ((struct sockaddr *)m->msg_name)->sa_family != AF_INET)
		return m;
	*err = decide(fd, m->msg_name, m->msg_namelen, "sendmsg");
	if (*err || !is_toy(fd))
		return m;
	*copy = *m;
	copy->msg_name = (void *)addr_in(m->msg_name, m->msg_namelen, name);
	return copy;
}

ssize_t sendmsg(int fd, const struct msghdr *m, int flags)
{
	struct sockaddr_toy name;
	struct msghdr copy;
	int err;

	m = msg_in(fd, m, &copy, &name, &err);
	if (err)
		return -1;
	return real_sendmsg(fd, m, flags);
}

ssize_t recvmsg(int fd, struct msghdr *m, int flags)
{
	ssize_t r = real_recvmsg(fd, m, flags);

	if (r >= 0 && m && m->msg_name)
		addr_out(m->msg_name, m->msg_namelen);
	return r;
}

int sendmmsg(int fd, struct mmsghdr *v, unsigned int n, int flags)
{
	unsigned int i;
	int r;

	/* In place: each name back to AF_INET after the call. */
	for (i = 0; i < n; i++) {
		struct msghdr *m = &v[i].msg_hdr;

		if (m->msg_name && port_of(m->msg_name, m->msg_namelen)) {
			if (decide(fd, m->msg_name, m->msg_namelen, "sendmmsg"))
				return -1;
			if (is_toy(fd))
				((struct sockaddr *)m->msg_name)->sa_family = toy_af;
		}
	}
	r = real_sendmmsg(fd, v, n, flags);
	for (i = 0; i < n; i++)
		if (v[i].msg_hdr.msg_name)
			addr_out(v[i].msg_hdr.msg_name, v[i].msg_hdr.msg_namelen);
	return r;
}

int recvmmsg(int fd, struct mmsghdr *v, unsigned int n, int flags,
	     struct timespec *timeout)
{
	int r = real_recvmmsg(fd, v, n, flags, timeout);
	int i;

	for (i = 0; i < r; i++)
		if (v[i].msg_hdr.msg_name)
			addr_out(v[i].msg_hdr.msg_name, v[i].msg_hdr.msg_namelen);
	return r;
}

int setsockopt(int fd, int level, int name, const void *val, socklen_t len)
{
	struct waiting *w = NULL;
	int err;

	if (is_toy(fd))
		return toy_setsockopt(fd, level, name, val, len);
	err = real_setsockopt(fd, level, name, val, len);
	if (err || fd < 0 || fd >= MAX_FD)
		return err;
	/* Kept for a waiting socket: it takes them when it moves. */
	pthread_mutex_lock(&waiting_lock);
	w = waiting[fd];
	if (w && w->nsaved < MAX_SAVED && len <= MAX_OPTLEN) {
		struct saved_opt *o = &w->saved[w->nsaved++];

		o->level = level;
		o->name = name;
		o->len = len;
		memcpy(o->val, val, len);
	} else if (w) {
		say("toyify: fd %d: option %d/%d will not follow it to AF_TOY",
		    fd, level, name);
	}
	pthread_mutex_unlock(&waiting_lock);
	return 0;
}

int getsockopt(int fd, int level, int name, void *val, socklen_t *len)
{
	if (is_toy(fd))
		return toy_getsockopt(fd, level, name, val, len);
	return real_getsockopt(fd, level, name, val, len);
}
