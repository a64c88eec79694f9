// SPDX-License-Identifier: GPL-2.0
/*
 * AF_TOY observability from the kernel's side:
 *   - sock_diag (NETLINK_SOCK_DIAG, <linux/toy_diag.h>): a dump lists the
 *     same sockets, in the same states, as /proc/net/toy, every one of the
 *     eleven states included; its filters (states, ports, port ranges,
 *     address prefixes); 5000 sockets over many netlink messages, each
 *     once; the exact lookup and its cookie; the attributes; bad requests
 *     answered with errors;
 *   - TOY_INFO: the fields after a known transfer, short and long
 *     buffers, what other sockets answer;
 *   - the tracepoints (tracefs): each one seen for a scripted
 *     connection.
 * Each test runs in a fresh namespace; a scripted peer behind a TUN
 * device (toy_peer.h) holds connections in the states a peer on the
 * same host cannot.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mount.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <linux/netlink.h>
#include <linux/sock_diag.h>
#include <linux/toy.h>
#include <linux/toy_diag.h>

#include "kselftest_harness.h"
#include "toy_lib.h"
#include "toy_net.h"
#include "toy_peer.h"

#define LO	"127.0.0.1"

/* TCP's state numbers. */
enum {
	ST_ESTABLISHED = 1, ST_SYN_SENT, ST_SYN_RECV, ST_FIN_WAIT1,
	ST_FIN_WAIT2, ST_TIME_WAIT, ST_CLOSE, ST_CLOSE_WAIT, ST_LAST_ACK,
	ST_LISTEN, ST_CLOSING,
};

/* One socket of a dump, and the attributes it came with. */
struct row {
	struct toy_diag_msg	m;
	int			has_info, has_mem, has_shut;
	struct toy_info		info;
	__u32			mem[SK_MEMINFO_VARS];
	__u8			shut;
};

/* A request: a toy_diag_req, then attributes. */
struct request {
	struct nlmsghdr		nlh;
	struct toy_diag_req	req;
	char			attrs[4096];
};

static struct toy_diag_req diag_req(int type, __u32 states)
{
	struct toy_diag_req r;

	memset(&r, 0, sizeof(r));
	r.sdiag_family = TOY_AF;
	r.sdiag_protocol = type;
	r.tdiag_states = states;
	return r;
}

/* Append an attribute to @rq; its new total length. */
static size_t put_attr(struct request *rq, size_t used, int type,
		       const void *data, size_t len)
{
	struct nlattr *a = (struct nlattr *)(rq->attrs + used);

	a->nla_type = type;
	a->nla_len = NLA_HDRLEN + len;
	memcpy((char *)a + NLA_HDRLEN, data, len);
	return used + NLA_ALIGN(a->nla_len);
}

/*
 * Send @rq (its body @body bytes of toy_diag_req, @alen of attributes);
 * the netlink socket, or -1.
 */
static int diag_send(struct request *rq, size_t body, size_t alen, int dump)
{
	int fd = socket(AF_NETLINK, SOCK_DGRAM | SOCK_CLOEXEC,
			NETLINK_SOCK_DIAG);
	size_t len = NLMSG_HDRLEN + body;

	if (fd < 0)
		return -1;
	if (alen) {
		memmove((char *)&rq->req + NLMSG_ALIGN(body), rq->attrs, alen);
		len = NLMSG_HDRLEN + NLMSG_ALIGN(body) + alen;
	}
	rq->nlh.nlmsg_len = len;
	rq->nlh.nlmsg_type = SOCK_DIAG_BY_FAMILY;
	rq->nlh.nlmsg_flags = NLM_F_REQUEST | (dump ? NLM_F_DUMP : 0);
	rq->nlh.nlmsg_seq = 1;
	if (send(fd, rq, len, 0) != (ssize_t)len) {
		close(fd);
		return -1;
	}
	return fd;
}

static void parse_row(struct nlmsghdr *h, struct row *r)
{
	int len = h->nlmsg_len - NLMSG_LENGTH(sizeof(r->m));
	struct nlattr *a;

	memset(r, 0, sizeof(*r));
	memcpy(&r->m, NLMSG_DATA(h), sizeof(r->m));
	a = (struct nlattr *)((char *)NLMSG_DATA(h) +
			      NLMSG_ALIGN(sizeof(r->m)));
	while (len >= (int)sizeof(*a) && a->nla_len >= sizeof(*a) &&
	       a->nla_len <= len) {
		void *d = (char *)a + NLA_HDRLEN;
		size_t dl = a->nla_len - NLA_HDRLEN;

		if (a->nla_type == TOY_DIAG_INFO) {
			r->has_info = dl;
			memcpy(&r->info, d, dl < sizeof(r->info) ? dl :
			       sizeof(r->info));
		} else if (a->nla_type == TOY_DIAG_MEMINFO) {
			r->has_mem = dl;
			memcpy(r->mem, d, dl < sizeof(r->mem) ? dl :
			       sizeof(r->mem));
		} else if (a->nla_type == TOY_DIAG_SHUTDOWN) {
			r->has_shut = 1;
			r->shut = *(__u8 *)d;
		}
		len -= NLA_ALIGN(a->nla_len);
		a = (struct nlattr *)((char *)a + NLA_ALIGN(a->nla_len));
	}
}

/*
 * Read answers until NLMSG_DONE (a dump) or one message (a lookup):
 * the rows in *@rows (malloc'd, up to @max), their number, or -errno
 * from an NLMSG_ERROR.  *@nrecv: recv() calls it took.
 */
static int diag_read(int fd, struct row *rows, int max, int dump, int *nrecv)
{
	static char buf[8192];
	int n = 0;

	if (nrecv)
		*nrecv = 0;
	for (;;) {
		ssize_t got = recv(fd, buf, sizeof(buf), 0);
		struct nlmsghdr *h = (struct nlmsghdr *)buf;

		if (got < 0)
			return -errno;
		if (nrecv)
			++*nrecv;
		for (; NLMSG_OK(h, got); h = NLMSG_NEXT(h, got)) {
			if (h->nlmsg_type == NLMSG_DONE)
				return n;
			if (h->nlmsg_type == NLMSG_ERROR) {
				struct nlmsgerr *e = NLMSG_DATA(h);

				return e->error ? e->error : n;
			}
			if (h->nlmsg_type != SOCK_DIAG_BY_FAMILY)
				return -EPROTO;
			if (n < max)
				parse_row(h, &rows[n]);
			n++;
			if (!dump)
				return n;
		}
	}
}

/* A dump of @req with attributes @rq->attrs[0, @alen); as diag_read(). */
static int dump_attrs(struct toy_diag_req req, struct request *rq,
		      size_t alen, struct row *rows, int max, int *nrecv)
{
	int fd, n;

	rq->req = req;
	fd = diag_send(rq, sizeof(req), alen, 1);
	if (fd < 0)
		return -errno;
	n = diag_read(fd, rows, max, 1, nrecv);
	close(fd);
	return n;
}

static int dump(struct toy_diag_req req, struct row *rows, int max)
{
	static struct request rq;

	return dump_attrs(req, &rq, 0, rows, max, NULL);
}

/* The row with local port @lport and remote port @rport, or NULL. */
static struct row *find(struct row *rows, int n, int lport, int rport)
{
	int i;

	for (i = 0; i < n; i++)
		if (ntohs(rows[i].m.id.tdiag_sport) == lport &&
		    ntohs(rows[i].m.id.tdiag_dport) == rport)
			return &rows[i];
	return NULL;
}

/* A row as "lport rport state", for comparing listings. */
struct triple {
	int	lport, rport, state;
};

static int triple_cmp(const void *a, const void *b)
{
	const struct triple *x = a, *y = b;

	if (x->lport != y->lport)
		return x->lport - y->lport;
	if (x->rport != y->rport)
		return x->rport - y->rport;
	return x->state - y->state;
}

/* Sorted triples as text, one a line, in @out. */
static void triples_text(struct triple *t, int n, char *out, size_t size)
{
	size_t used = 0;
	int i;

	qsort(t, n, sizeof(*t), triple_cmp);
	out[0] = 0;
	for (i = 0; i < n && used < size; i++)
		used += snprintf(out + used, size - used, "%d %d %d\n",
				 t[i].lport, t[i].rport, t[i].state);
}

/* /proc/net/toy's rows in that form. */
static int proc_rows(char *out, size_t size)
{
	FILE *f = fopen("/proc/net/toy", "r");
	static struct triple t[256];
	char line[256];
	int n = 0;

	if (!f)
		return -1;
	while (n < 256 && fgets(line, sizeof(line), f)) {
		unsigned int lp, rp, st;

		if (sscanf(line, " %*d: %*x:%x %*x:%x %x", &lp, &rp, &st) != 3)
			continue;
		t[n++] = (struct triple){ lp, rp, st };
	}
	fclose(f);
	triples_text(t, n, out, size);
	return 0;
}

/* The rows of a dump in the same form. */
static void dump_rows(struct row *rows, int n, char *out, size_t size)
{
	static struct triple t[256];
	int i;

	for (i = 0; i < n && i < 256; i++)
		t[i] = (struct triple){ ntohs(rows[i].m.id.tdiag_sport),
					ntohs(rows[i].m.id.tdiag_dport),
					rows[i].m.tdiag_state };
	triples_text(t, i, out, size);
}

static int connect_to(const char *ip, int port, int flags)
{
	struct sockaddr_toy a = taddr(ip, port);
	int fd = socket(TOY_AF, SOCK_STREAM | SOCK_CLOEXEC | flags, 0);

	if (fd < 0)
		return -1;
	if (connect(fd, (struct sockaddr *)&a, sizeof(a)) &&
	    errno != EINPROGRESS) {
		close(fd);
		return -1;
	}
	return fd;
}

/* A connected pair on loopback: *c the client, *s the accepted one. */
static int make_pair(int port, int *c, int *s)
{
	int l = toy_listener(LO, port, 8);

	if (l < 0)
		return -1;
	*c = connect_to(LO, port, 0);
	*s = *c < 0 ? -1 : accept4(l, NULL, NULL, SOCK_CLOEXEC);
	close(l);
	return *c < 0 || *s < 0 ? -1 : 0;
}

/* The state a dump shows for @lport -> @rport; -1: none. */
static int diag_state(int lport, int rport)
{
	static struct row rows[64];
	struct row *r;
	int n = dump(diag_req(SOCK_STREAM, ~0U), rows, 64);

	r = n > 0 ? find(rows, n, lport, rport) : NULL;
	return r ? r->m.tdiag_state : -1;
}

/* Wait (scaled, bounded) until that state shows; 1 if it did. */
static int wait_state(int lport, int rport, int state, double secs)
{
	double end = toy_now() + secs * toy_timeout_scale();

	do {
		if (diag_state(lport, rport) == state)
			return 1;
		usleep(2000);
	} while (toy_now() < end);
	return 0;
}

static int get_info(int fd, struct toy_info *info)
{
	socklen_t len = sizeof(*info);

	memset(info, 0xa5, sizeof(*info));
	return getsockopt(fd, SOL_TOY, TOY_INFO, info, &len) ||
	       len != sizeof(*info) ? -1 : 0;
}

FIXTURE(diag) {
	struct toy_peer		peer;
	struct toy_pseg		*seg;
	struct toy_pconn	conn[4];
	int			nconn;
};

FIXTURE_SETUP(diag)
{
	ASSERT_EQ(0, toy_live_wait_zero(10));
	ASSERT_EQ(0, new_netns());
	ASSERT_EQ(0, sysctl_write("msl_ms", "250"));
	ASSERT_EQ(0, sysctl_write("fin_timeout", "1"));
	ASSERT_EQ(0, toy_peer_open(&self->peer, 0));
	self->seg = malloc(sizeof(*self->seg));
	ASSERT_NE(NULL, self->seg);
}

/*
 * The peer resets what it holds; the namespace goes with the test's
 * process, and with it every TIME_WAIT entry.
 */
FIXTURE_TEARDOWN(diag)
{
	int i;

	for (i = 0; i < self->nconn; i++)
		toy_peer_reset(&self->peer, &self->conn[i]);
	free(self->seg);
	toy_peer_close(&self->peer);
}

/* A connection from the peer to a listener on PEER_HOST:@lport. */
static struct toy_pconn *peer_conn(struct __test_metadata *_metadata,
				   FIXTURE_DATA(diag) *self, int l, int lport,
				   int pport)
{
	struct toy_pconn *c = &self->conn[self->nconn];

	if (toy_peer_dial(&self->peer, c, l, lport, pport, 8192))
		return NULL;
	self->nconn++;
	return c;
}

/* Wait for the host's FIN on @c; the peer's view moves past it. */
static int host_fin(FIXTURE_DATA(diag) *self, struct toy_pconn *c)
{
	struct toy_pseg *s = self->seg;

	while (toy_peer_recv(&self->peer, s, TOY_PEER_STEP) == 1)
		if (s->dport == c->pport && s->flags & TOY_FIN) {
			c->rcv_nxt = s->seq + s->len + 1;
			return 0;
		}
	return -1;
}

/*
 * Every one of the eleven states at once, and the dump says exactly what
 * /proc/net/toy says.
 */
TEST_F(diag, dump_shows_every_state_as_proc)
{
	int l, c, s, c2, s2, c3, s3, b, syn, lp, fw1, la, cl, tw;
	struct sockaddr_toy a = taddr(LO, 7102);
	static struct row rows[128];
	static char want[8192], got[8192];
	struct toy_pconn *pc;
	int n, i, seen = 0;

	ASSERT_EQ(0, sysctl_write("msl_ms", "60000"));
	l = toy_listener(LO, 7100, 8);
	ASSERT_LE(0, l);
	ASSERT_EQ(0, make_pair(7101, &c, &s));
	syn = connect_to(SILENT, 7109, SOCK_NONBLOCK);	/* SYN_SENT */
	ASSERT_LE(0, syn);
	b = socket(TOY_AF, SOCK_STREAM, 0);		/* CLOSE: bound */
	ASSERT_EQ(0, bind(b, (struct sockaddr *)&a, sizeof(a)));
	ASSERT_EQ(0, make_pair(7103, &c2, &s2));	/* TIME_WAIT */
	tw = local_port(c2);
	close(c2);
	close(s2);
	ASSERT_EQ(0, make_pair(7104, &c3, &s3));	/* half-closed */
	ASSERT_EQ(0, shutdown(c3, SHUT_WR));
	ASSERT_TRUE(wait_state(7104, local_port(c3), ST_CLOSE_WAIT, 5));

	/* The peer: a half-open entry, FIN_WAIT1, LAST_ACK, CLOSING. */
	lp = toy_listener(PEER_HOST, 7105, 8);
	ASSERT_LE(0, lp);
	ASSERT_EQ(0, toy_peer_syn_from(&self->peer, toy_in(PEER_ADDR), 40000,
				       7105, 5000));
	pc = peer_conn(_metadata, self, lp, 7105, 40001);
	ASSERT_NE(NULL, pc);
	fw1 = pc->fd;
	ASSERT_EQ(0, shutdown(fw1, SHUT_WR));		/* FIN_WAIT1 */
	ASSERT_EQ(0, host_fin(self, pc));
	pc = peer_conn(_metadata, self, lp, 7105, 40002);
	ASSERT_NE(NULL, pc);
	la = pc->fd;
	ASSERT_EQ(0, toy_peer_send(&self->peer, pc->pport, pc->hport,
				   TOY_FIN | TOY_ACK, pc->snd_nxt, pc->rcv_nxt,
				   8192, NULL, 0));
	pc->snd_nxt++;
	ASSERT_TRUE(wait_state(7105, 40002, ST_CLOSE_WAIT, 5));
	ASSERT_EQ(0, shutdown(la, SHUT_WR));		/* LAST_ACK */
	ASSERT_EQ(0, host_fin(self, pc));
	pc = peer_conn(_metadata, self, lp, 7105, 40003);
	ASSERT_NE(NULL, pc);
	cl = pc->fd;
	ASSERT_EQ(0, shutdown(cl, SHUT_WR));
	ASSERT_EQ(0, host_fin(self, pc));
	ASSERT_EQ(0, toy_peer_send(&self->peer, pc->pport, pc->hport,
				   TOY_FIN | TOY_ACK, pc->snd_nxt,
				   pc->rcv_nxt - 1, 8192, NULL, 0));
	pc->snd_nxt++;					/* CLOSING */

	ASSERT_TRUE(wait_state(7105, 40003, ST_CLOSING, 5));
	ASSERT_TRUE(wait_state(tw, 7103, ST_TIME_WAIT, 5));
	ASSERT_TRUE(wait_state(local_port(c3), 7104, ST_FIN_WAIT2, 5));
	n = dump(diag_req(SOCK_STREAM, ~0U), rows, 128);
	ASSERT_LT(0, n);
	for (i = 0; i < n; i++)
		seen |= 1 << rows[i].m.tdiag_state;
	for (i = ST_ESTABLISHED; i <= ST_CLOSING; i++) {
		EXPECT_TRUE(seen & 1 << i) TH_LOG("no row in state %d", i);
	}
	ASSERT_EQ(0, proc_rows(want, sizeof(want)));
	dump_rows(rows, n, got, sizeof(got));
	EXPECT_STREQ(want, got);

	/* The timers, as /proc/net/toy's tr column. */
	EXPECT_EQ(TOY_DIAG_TIMER_RETRANS,
		  find(rows, n, 7105, 40000)->m.tdiag_timer);
	EXPECT_EQ(TOY_DIAG_TIMER_TIMEWAIT,
		  find(rows, n, tw, 7103)->m.tdiag_timer);
	EXPECT_EQ(TOY_DIAG_TIMER_RETRANS,
		  find(rows, n, local_port(syn), 7109)->m.tdiag_timer);
	EXPECT_LT(0, find(rows, n, local_port(syn), 7109)->m.tdiag_expires);
	EXPECT_EQ(TOY_DIAG_TIMER_NONE,
		  find(rows, n, 7101, local_port(c))->m.tdiag_timer);
	close(fw1);
	close(la);
	close(cl);
	close(lp);
	close(c3);
	close(s3);
	close(b);
	close(syn);
	close(c);
	close(s);
	close(l);
}

/* uid, inode, queues, cookie and the attributes of a connection. */
TEST_F(diag, connection_fields_and_attributes)
{
	struct toy_diag_req req = diag_req(SOCK_STREAM, 1 << ST_ESTABLISHED);
	static struct row rows[16];
	struct stat st;
	struct row *r;
	int c, s, n;

	ASSERT_EQ(0, make_pair(7110, &c, &s));
	ASSERT_EQ(5, write(c, "hello", 5));
	ASSERT_TRUE(wait_state(7110, local_port(c), ST_ESTABLISHED, 5));

	n = dump(req, rows, 16);
	ASSERT_EQ(2, n);
	r = find(rows, n, 7110, local_port(c));
	ASSERT_NE(NULL, r);
	ASSERT_EQ(0, fstat(s, &st));
	EXPECT_EQ(st.st_ino, r->m.tdiag_inode);
	EXPECT_EQ(getuid(), r->m.tdiag_uid);
	EXPECT_EQ(TOY_AF, r->m.tdiag_family);
	EXPECT_EQ(SOCK_STREAM, r->m.tdiag_type);
	EXPECT_EQ(htonl(INADDR_LOOPBACK), r->m.id.tdiag_src);
	EXPECT_EQ(htonl(INADDR_LOOPBACK), r->m.id.tdiag_dst);
	EXPECT_EQ(0, r->m.tdiag_pad[0] | r->m.tdiag_pad[1] |
		     r->m.tdiag_pad[2]);
	/* Five bytes wait for the reader (a poll: they are in flight). */
	EXPECT_TRUE(r->m.tdiag_rqueue == 5 || r->m.tdiag_rqueue == 0);
	EXPECT_TRUE(r->has_shut);
	EXPECT_FALSE(r->has_info);
	EXPECT_FALSE(r->has_mem);

	req.tdiag_ext = 1 << (TOY_DIAG_INFO - 1) | 1 << (TOY_DIAG_MEMINFO - 1);
	n = dump(req, rows, 16);
	ASSERT_EQ(2, n);
	r = find(rows, n, 7110, local_port(c));
	ASSERT_NE(NULL, r);
	EXPECT_EQ(5, r->m.tdiag_rqueue);
	EXPECT_EQ(sizeof(struct toy_info), r->has_info);
	EXPECT_EQ(TOY_INFO_VERSION, r->info.toyi_version);
	EXPECT_EQ(ST_ESTABLISHED, r->info.toyi_state);
	EXPECT_EQ(5, r->info.toyi_bytes_received);
	EXPECT_EQ(SK_MEMINFO_VARS * 4, r->has_mem);
	EXPECT_LT(0, r->mem[SK_MEMINFO_RMEM_ALLOC]);
	EXPECT_LT(0, r->mem[SK_MEMINFO_RCVBUF]);
	EXPECT_LT(0, r->mem[SK_MEMINFO_SNDBUF]);
	close(c);
	close(s);
}

/* State bits, ports, ranges and address prefixes filter a dump. */
TEST_F(diag, dump_filters)
{
	struct toy_diag_port_range range[2] = { { 7121, 7122 }, { 7124, 7124 } };
	static struct request rq;
	static struct row rows[64];
	struct toy_diag_req req;
	int l[5], c, s, i, n;
	size_t alen;

	for (i = 0; i < 5; i++) {
		l[i] = toy_listener(LO, 7120 + i, 8);
		ASSERT_LE(0, l[i]);
	}
	ASSERT_EQ(0, make_pair(7130, &c, &s));

	EXPECT_EQ(5, dump(diag_req(SOCK_STREAM, 1 << ST_LISTEN), rows, 64));
	EXPECT_EQ(2, dump(diag_req(SOCK_STREAM, 1 << ST_ESTABLISHED), rows,
			  64));
	EXPECT_EQ(7, dump(diag_req(SOCK_STREAM, ~0U), rows, 64));
	EXPECT_EQ(0, dump(diag_req(SOCK_STREAM, 1 << ST_TIME_WAIT), rows, 64));

	req = diag_req(SOCK_STREAM, ~0U);
	req.id.tdiag_sport = htons(7130);
	n = dump(req, rows, 64);
	ASSERT_EQ(1, n);
	EXPECT_EQ(local_port(c), ntohs(rows[0].m.id.tdiag_dport));
	req = diag_req(SOCK_STREAM, ~0U);
	req.id.tdiag_dport = htons(7130);
	n = dump(req, rows, 64);
	ASSERT_EQ(1, n);
	EXPECT_EQ(local_port(c), ntohs(rows[0].m.id.tdiag_sport));

	alen = put_attr(&rq, 0, TOY_DIAG_REQ_SPORTS, range, sizeof(range));
	n = dump_attrs(diag_req(SOCK_STREAM, ~0U), &rq, alen, rows, 64, NULL);
	ASSERT_EQ(3, n);
	EXPECT_NE(NULL, find(rows, n, 7121, 0));
	EXPECT_NE(NULL, find(rows, n, 7122, 0));
	EXPECT_NE(NULL, find(rows, n, 7124, 0));
	range[0] = (struct toy_diag_port_range){ 7130, 7130 };
	alen = put_attr(&rq, 0, TOY_DIAG_REQ_DPORTS, range, sizeof(range[0]));
	EXPECT_EQ(1, dump_attrs(diag_req(SOCK_STREAM, ~0U), &rq, alen, rows,
				64, NULL));

	req = diag_req(SOCK_STREAM, ~0U);
	inet_pton(AF_INET, "127.0.0.0", &req.id.tdiag_src);
	req.tdiag_src_len = 8;
	EXPECT_EQ(7, dump(req, rows, 64));
	inet_pton(AF_INET, "10.0.0.0", &req.id.tdiag_src);
	EXPECT_EQ(0, dump(req, rows, 64));
	req = diag_req(SOCK_STREAM, ~0U);
	inet_pton(AF_INET, "127.0.0.1", &req.id.tdiag_dst);
	req.tdiag_dst_len = 32;
	EXPECT_EQ(2, dump(req, rows, 64));	/* the connected ones */
	for (i = 0; i < 5; i++)
		close(l[i]);
	close(c);
	close(s);
}

/* Datagram sockets: unconnected and connected, their queues. */
TEST_F(diag, datagram_sockets)
{
	struct sockaddr_toy a = taddr(LO, 7140), b = taddr(LO, 7141);
	struct toy_diag_req req = diag_req(SOCK_DGRAM, ~0U);
	static struct row rows[16];
	struct row *r;
	int u, d, n;

	u = socket(TOY_AF, SOCK_DGRAM, 0);
	d = socket(TOY_AF, SOCK_DGRAM, 0);
	ASSERT_EQ(0, bind(u, (struct sockaddr *)&a, sizeof(a)));
	ASSERT_EQ(0, bind(d, (struct sockaddr *)&b, sizeof(b)));
	ASSERT_EQ(0, connect(d, (struct sockaddr *)&a, sizeof(a)));
	ASSERT_EQ(3, send(d, "abc", 3, 0));

	n = dump(diag_req(SOCK_DGRAM, ~0U), rows, 16);
	ASSERT_EQ(2, n);
	r = find(rows, n, 7140, 0);
	ASSERT_NE(NULL, r);
	EXPECT_EQ(ST_CLOSE, r->m.tdiag_state);
	EXPECT_EQ(SOCK_DGRAM, r->m.tdiag_type);
	EXPECT_LT(0, r->m.tdiag_rqueue);	/* the datagram's memory */
	r = find(rows, n, 7141, 7140);
	ASSERT_NE(NULL, r);
	EXPECT_EQ(ST_ESTABLISHED, r->m.tdiag_state);
	EXPECT_EQ(1, dump(diag_req(SOCK_DGRAM, 1 << ST_ESTABLISHED), rows, 16));
	/* The stream space is another space. */
	EXPECT_EQ(0, dump(diag_req(SOCK_STREAM, ~0U), rows, 16));

	req.tdiag_ext = 1 << (TOY_DIAG_INFO - 1) | 1 << (TOY_DIAG_MEMINFO - 1);
	n = dump(req, rows, 16);
	ASSERT_EQ(2, n);
	EXPECT_FALSE(rows[0].has_info);	/* TOY_INFO is the stream's */
	EXPECT_TRUE(rows[0].has_mem);
	close(u);
	close(d);
}

/*
 * 5000 sockets: the dump takes many netlink messages and lists each
 * socket exactly once.
 */
TEST_F(diag, dump_5000_sockets_across_messages)
{
	static struct request rq;
	struct rlimit rl = { 6000, 6000 };
	struct row *rows = calloc(6000, sizeof(*rows));
	static unsigned char seen[65536];
	int fds[5000], i, n, nrecv;

	ASSERT_NE(NULL, rows);
	ASSERT_EQ(0, setrlimit(RLIMIT_NOFILE, &rl));
	for (i = 0; i < 5000; i++) {
		struct sockaddr_toy a = taddr(LO, 0);

		fds[i] = socket(TOY_AF, SOCK_STREAM | SOCK_CLOEXEC, 0);
		ASSERT_LE(0, fds[i]);
		ASSERT_EQ(0, bind(fds[i], (struct sockaddr *)&a, sizeof(a)));
	}
	n = dump_attrs(diag_req(SOCK_STREAM, ~0U), &rq, 0, rows, 6000, &nrecv);
	ASSERT_EQ(5000, n);
	EXPECT_LT(10, nrecv) TH_LOG("%d messages", nrecv);
	for (i = 0; i < n; i++) {
		int port = ntohs(rows[i].m.id.tdiag_sport);

		EXPECT_EQ(0, seen[port]) TH_LOG("port %d twice", port);
		seen[port] = 1;
		EXPECT_EQ(ST_CLOSE, rows[i].m.tdiag_state);
	}
	for (i = 0; i < 5000; i++) {
		EXPECT_EQ(1, seen[local_port(fds[i])]);
	}
	/* With the biggest attributes too. */
	rq.req.tdiag_ext = 0xff;
	n = dump_attrs(rq.req, &rq, 0, rows, 6000, &nrecv);
	EXPECT_EQ(5000, n);
	EXPECT_LT(50, nrecv) TH_LOG("%d messages", nrecv);
	for (i = 0; i < 5000; i++)
		close(fds[i]);
	free(rows);
}

/* An exact lookup by the 4-tuple; the cookie names one socket. */
TEST_F(diag, exact_lookup_and_cookie)
{
	static struct request rq;
	struct row r, rows[8];
	int c, s, fd, n;

	ASSERT_EQ(0, make_pair(7150, &c, &s));
	n = dump(diag_req(SOCK_STREAM, 1 << ST_ESTABLISHED), rows, 8);
	ASSERT_EQ(2, n);

	rq.req = diag_req(SOCK_STREAM, 0);
	rq.req.id = find(rows, n, 7150, local_port(c))->m.id;
	fd = diag_send(&rq, sizeof(rq.req), 0, 0);
	ASSERT_LE(0, fd);
	ASSERT_EQ(1, diag_read(fd, &r, 1, 0, NULL));
	close(fd);
	EXPECT_EQ(7150, ntohs(r.m.id.tdiag_sport));
	EXPECT_EQ(ST_ESTABLISHED, r.m.tdiag_state);

	rq.req.id.tdiag_cookie[0] = TOY_DIAG_NOCOOKIE;
	rq.req.id.tdiag_cookie[1] = TOY_DIAG_NOCOOKIE;
	fd = diag_send(&rq, sizeof(rq.req), 0, 0);
	ASSERT_EQ(1, diag_read(fd, &r, 1, 0, NULL));
	close(fd);

	rq.req.id.tdiag_cookie[0] = 12345;
	rq.req.id.tdiag_cookie[1] = 0;
	fd = diag_send(&rq, sizeof(rq.req), 0, 0);
	EXPECT_EQ(-ESTALE, diag_read(fd, &r, 1, 0, NULL));
	close(fd);

	rq.req.id.tdiag_dport = htons(1);
	fd = diag_send(&rq, sizeof(rq.req), 0, 0);
	EXPECT_EQ(-ENOENT, diag_read(fd, &r, 1, 0, NULL));
	close(fd);
	close(c);
	close(s);
}

/* Send @rq as a dump and as a lookup: both must be refused with @err. */
static int refused(struct request *rq, size_t body, size_t alen)
{
	static struct request copy;
	struct row r;
	int fd, e1, e2;

	copy = *rq;
	fd = diag_send(rq, body, alen, 1);
	e1 = diag_read(fd, &r, 1, 1, NULL);
	close(fd);
	fd = diag_send(&copy, body, alen, 0);
	e2 = diag_read(fd, &r, 1, 0, NULL);
	close(fd);
	return e1 == e2 ? e1 : -1000;
}

/* Bad requests get EINVAL, never a splat. */
TEST_F(diag, bad_requests)
{
	struct toy_diag_port_range many[TOY_DIAG_MAX_RANGES + 1];
	static struct request rq;
	int l = toy_listener(LO, 7160, 8), i;
	size_t alen;
	__u32 junk = 7;

	ASSERT_LE(0, l);
	for (i = 0; i <= TOY_DIAG_MAX_RANGES; i++)
		many[i] = (struct toy_diag_port_range){ 1, 65535 };

	rq.req = diag_req(SOCK_STREAM, ~0U);	/* short */
	EXPECT_EQ(-EINVAL, refused(&rq, sizeof(rq.req) - 4, 0));
	rq.req = diag_req(SOCK_SEQPACKET, ~0U);
	EXPECT_EQ(-EINVAL, refused(&rq, sizeof(rq.req), 0));
	rq.req = diag_req(SOCK_STREAM, ~0U);
	rq.req.tdiag_src_len = 33;
	EXPECT_EQ(-EINVAL, refused(&rq, sizeof(rq.req), 0));
	rq.req = diag_req(SOCK_STREAM, ~0U);
	rq.req.tdiag_pad[1] = 1;
	EXPECT_EQ(-EINVAL, refused(&rq, sizeof(rq.req), 0));

	rq.req = diag_req(SOCK_STREAM, ~0U);
	alen = put_attr(&rq, 0, __TOY_DIAG_REQ_MAX, &junk, sizeof(junk));
	EXPECT_EQ(-EINVAL, refused(&rq, sizeof(rq.req), alen));
	alen = put_attr(&rq, 0, TOY_DIAG_REQ_SPORTS, many, sizeof(many));
	EXPECT_EQ(-EINVAL, refused(&rq, sizeof(rq.req), alen));
	alen = put_attr(&rq, 0, TOY_DIAG_REQ_DPORTS, many, 3);
	EXPECT_EQ(-EINVAL, refused(&rq, sizeof(rq.req), alen));
	many[0] = (struct toy_diag_port_range){ 9, 8 };
	alen = put_attr(&rq, 0, TOY_DIAG_REQ_SPORTS, many, sizeof(many[0]));
	EXPECT_EQ(-EINVAL, refused(&rq, sizeof(rq.req), alen));
	alen = put_attr(&rq, 0, TOY_DIAG_REQ_SPORTS, many, 0);
	EXPECT_EQ(-EINVAL, refused(&rq, sizeof(rq.req), alen));

	/* The right number of ranges passes. */
	for (i = 0; i < TOY_DIAG_MAX_RANGES; i++)
		many[i] = (struct toy_diag_port_range){ 7160, 7160 };
	alen = put_attr(&rq, 0, TOY_DIAG_REQ_SPORTS, many,
			TOY_DIAG_MAX_RANGES * sizeof(many[0]));
	EXPECT_EQ(1, dump_attrs(diag_req(SOCK_STREAM, ~0U), &rq, alen, NULL,
				0, NULL));
	close(l);
}

/* As a user without privileges: the same list. */
TEST_F(diag, listed_to_an_unprivileged_user)
{
	static struct row rows[8];
	int l = toy_listener(LO, 7170, 8);
	pid_t pid;
	int st;

	ASSERT_LE(0, l);
	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid) {
		if (setgid(NOBODY) || setuid(NOBODY))
			_exit(2);
		_exit(dump(diag_req(SOCK_STREAM, ~0U), rows, 8) == 1 &&
		      rows[0].m.tdiag_uid == 0 ? 0 : 1);
	}
	ASSERT_EQ(pid, waitpid(pid, &st, 0));
	EXPECT_EQ(0, WEXITSTATUS(st));
	close(l);
}

/* TOY_INFO after a known transfer. */
TEST_F(diag, info_after_known_transfer)
{
	const size_t total = 4 << 20;
	char *buf = malloc(1 << 16);
	struct toy_info ci, si;
	size_t sent = 0, got = 0;
	double end;
	int c, s;

	ASSERT_NE(NULL, buf);
	memset(buf, 'x', 1 << 16);
	ASSERT_EQ(0, make_pair(7180, &c, &s));
	ASSERT_EQ(0, get_info(c, &ci));
	EXPECT_EQ(TOY_INFO_VERSION, ci.toyi_version);
	EXPECT_EQ(ST_ESTABLISHED, ci.toyi_state);
	EXPECT_EQ(TOYI_OPT_TIMESTAMPS | TOYI_OPT_SACK | TOYI_OPT_WSCALE,
		  ci.toyi_options);
	EXPECT_EQ(1, ci.toyi_bytes_acked);	/* the SYN */
	EXPECT_EQ(0, ci.toyi_bytes_received);
	EXPECT_EQ(0, ci.toyi_pad[0] | ci.toyi_pad[1] | ci.toyi_pad[2]);

	while (got < total) {
		ssize_t n;

		if (sent < total) {
			n = send(c, buf, 1 << 16, MSG_DONTWAIT);
			if (n > 0)
				sent += n;
		}
		n = recv(s, buf, 1 << 16, MSG_DONTWAIT);
		if (n > 0)
			got += n;
		ASSERT_TRUE(n > 0 || errno == EAGAIN);
	}
	/* Everything is acknowledged: nothing left in flight. */
	end = toy_now() + 10 * toy_timeout_scale();
	do {
		ASSERT_EQ(0, get_info(c, &ci));
		if (!ci.toyi_unacked)
			break;
		usleep(1000);
	} while (toy_now() < end);
	ASSERT_EQ(0, get_info(s, &si));
	EXPECT_EQ(0, ci.toyi_unacked);
	EXPECT_EQ(total + 1, ci.toyi_bytes_acked);
	EXPECT_EQ(total, ci.toyi_bytes_sent - ci.toyi_bytes_retrans);
	EXPECT_EQ(total, si.toyi_bytes_received);
	EXPECT_EQ(0, si.toyi_bytes_sent);
	EXPECT_EQ(1, si.toyi_bytes_acked);
	EXPECT_LE(total / ci.toyi_snd_mss, ci.toyi_data_segs_out);
	EXPECT_LE(ci.toyi_data_segs_out, si.toyi_data_segs_in +
		  ci.toyi_total_retrans);
	EXPECT_LE(si.toyi_data_segs_in, si.toyi_segs_in);
	EXPECT_LT(0, si.toyi_segs_out);		/* its ACKs */
	/* The SYN-ACK was the half-open entry's, not the child's. */
	EXPECT_EQ(si.toyi_segs_out + 1, ci.toyi_segs_in);
	EXPECT_EQ(ci.toyi_segs_out, si.toyi_segs_in);
	EXPECT_LT(0, ci.toyi_rtt);
	EXPECT_LT(0, ci.toyi_rto);
	EXPECT_LT(0, ci.toyi_snd_mss);
	EXPECT_LT(0, si.toyi_rcv_mss);
	EXPECT_LE(10, ci.toyi_snd_cwnd);
	EXPECT_LT(0, ci.toyi_snd_wnd);
	EXPECT_LT(0, si.toyi_rcv_wnd);
	EXPECT_EQ(65535, ci.toyi_pmtu);	/* lo's 65536, as IPv4 caps it */
	EXPECT_LT(0, ci.toyi_delivery_rate);
	EXPECT_EQ(TOYI_CA_OPEN, ci.toyi_ca_state);
	close(c);
	close(s);
	free(buf);
}

/* Short and long buffers as TCP_INFO; other sockets. */
TEST_F(diag, info_buffers_and_other_sockets)
{
	struct { struct toy_info info; char more[64]; } big;
	int l = toy_listener(LO, 7190, 8), d, c, v = 1;
	struct toy_info info;
	socklen_t len;
	__u32 word;

	ASSERT_LE(0, l);
	len = 4;
	word = 0;
	ASSERT_EQ(0, getsockopt(l, SOL_TOY, TOY_INFO, &word, &len));
	EXPECT_EQ(4, len);
	EXPECT_EQ(TOY_INFO_VERSION, word & 0xff);
	EXPECT_EQ(ST_LISTEN, (word >> 8) & 0xff);

	len = sizeof(big);
	memset(&big, 0x5a, sizeof(big));
	ASSERT_EQ(0, getsockopt(l, SOL_TOY, TOY_INFO, &big, &len));
	EXPECT_EQ(sizeof(struct toy_info), len);
	EXPECT_EQ(0x5a, big.more[0]);		/* nothing past the struct */
	EXPECT_EQ(0, big.info.toyi_bytes_acked);	/* a listener's */

	len = 0;
	EXPECT_EQ(0, getsockopt(l, SOL_TOY, TOY_INFO, &info, &len));
	EXPECT_EQ(0, len);
	len = -1;
	EXPECT_EQ(-1, getsockopt(l, SOL_TOY, TOY_INFO, &info, &len));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(-1, setsockopt(l, SOL_TOY, TOY_INFO, &v, sizeof(v)));
	EXPECT_EQ(ENOPROTOOPT, errno);

	d = socket(TOY_AF, SOCK_DGRAM, 0);
	len = sizeof(info);
	EXPECT_EQ(-1, getsockopt(d, SOL_TOY, TOY_INFO, &info, &len));
	EXPECT_EQ(ENOPROTOOPT, errno);

	/* A SYN to a silent host: SYN_SENT, its timeouts counted. */
	c = connect_to(SILENT, 7191, SOCK_NONBLOCK);
	ASSERT_LE(0, c);
	ASSERT_EQ(0, get_info(c, &info));
	EXPECT_EQ(ST_SYN_SENT, info.toyi_state);
	EXPECT_EQ(0, info.toyi_rtt);
	close(c);
	close(d);
	close(l);
}

/* ---- tracepoints ---------------------------------------------------- */

#define TRACEFS "/sys/kernel/tracing"

static int trace_setup(void)
{
	if (access(TRACEFS "/events", F_OK) &&
	    mount("nodev", TRACEFS, "tracefs", 0, NULL))
		return -1;
	if (toy_write_file(TRACEFS "/tracing_on", "0") ||
	    toy_write_file(TRACEFS "/trace", "") ||
	    toy_write_file(TRACEFS "/buffer_size_kb", "4096") ||
	    toy_write_file(TRACEFS "/events/toy/enable", "1"))
		return -1;
	return toy_write_file(TRACEFS "/tracing_on", "1");
}

static void trace_stop(void)
{
	toy_write_file(TRACEFS "/tracing_on", "0");
	toy_write_file(TRACEFS "/events/toy/enable", "0");
}

/* Lines of the trace with @event: and every string of @also; a count. */
static int trace_count(const char *event, const char *also1,
		       const char *also2)
{
	char line[512], ev[64];
	FILE *f = fopen(TRACEFS "/trace", "r");
	int n = 0;

	if (!f)
		return -1;
	snprintf(ev, sizeof(ev), " %s: ", event);
	while (fgets(line, sizeof(line), f))
		if (strstr(line, ev) && (!also1 || strstr(line, also1)) &&
		    (!also2 || strstr(line, also2)))
			n++;
	fclose(f);
	return n;
}

/* Wait (bounded) until @event shows with @also1 and @also2. */
static int trace_wait(const char *event, const char *also1,
		      const char *also2, double secs)
{
	double end = toy_now() + secs * toy_timeout_scale();

	do {
		if (trace_count(event, also1, also2) > 0)
			return 1;
		usleep(10000);
	} while (toy_now() < end);
	return 0;
}

/* Each tracepoint fires for a scripted connection's life. */
TEST_F(diag, each_tracepoint_seen)
{
	char cport[32], lstr[32];
	struct toy_pconn *pc;
	int l, c, s, lp;
	char buf[16];

	ASSERT_EQ(0, trace_setup());
	/* A connection's life on loopback, the client closing first. */
	ASSERT_EQ(0, make_pair(7200, &c, &s));
	snprintf(cport, sizeof(cport), "127.0.0.1:%d ", local_port(c));
	ASSERT_EQ(0, write(c, "hello", 5) != 5);
	ASSERT_EQ(5, read(s, buf, sizeof(buf)));
	close(c);
	ASSERT_EQ(0, read(s, buf, sizeof(buf)));
	close(s);
	EXPECT_TRUE(trace_wait("toy_timewait_leave", cport, NULL, 10));
	trace_stop();

	EXPECT_TRUE(trace_count("toy_connect_port", cport, "dst=127.0.0.1:7200"));
	/*
	 * SYN_SENT comes before connect() gives the socket its addresses
	 * (the connection table must see it in SYN_SENT at once).
	 */
	EXPECT_TRUE(trace_count("toy_state_change", "dst=0.0.0.0:0 ",
				"oldstate=CLOSE newstate=SYN_SENT"));
	EXPECT_TRUE(trace_count("toy_state_change", cport,
				"oldstate=SYN_SENT newstate=ESTABLISHED"));
	EXPECT_TRUE(trace_count("toy_state_change", cport,
				"oldstate=ESTABLISHED newstate=FIN_WAIT1"));
	EXPECT_TRUE(trace_count("toy_state_change", cport,
				"oldstate=FIN_WAIT1 newstate=FIN_WAIT2"));
	EXPECT_TRUE(trace_count("toy_state_change", "src=127.0.0.1:7200 ",
				"newstate=CLOSE_WAIT"));
	EXPECT_TRUE(trace_count("toy_state_change", "src=127.0.0.1:7200 ",
				"oldstate=LAST_ACK newstate=CLOSE"));
	EXPECT_TRUE(trace_count("toy_segment_send", cport, "flags=SYN seq="));
	EXPECT_TRUE(trace_count("toy_segment_recv", cport, "flags=SYN seq="));
	EXPECT_TRUE(trace_count("toy_segment_send", "src=127.0.0.1:7200 ",
				"flags=SYN|ACK"));
	EXPECT_TRUE(trace_count("toy_segment_send", cport, "len=5"));
	EXPECT_TRUE(trace_count("toy_segment_recv", cport, "flags=FIN|ACK"));
	EXPECT_TRUE(trace_count("toy_timewait_enter", cport,
				"state=TIME_WAIT"));
	EXPECT_TRUE(trace_count("toy_timewait_leave", cport, NULL));

	/* A reset: a SYN to a closed port is answered by one. */
	ASSERT_EQ(0, trace_setup());
	c = connect_to(LO, 7201, 0);
	EXPECT_EQ(-1, c);
	EXPECT_EQ(ECONNREFUSED, errno);
	trace_stop();
	EXPECT_TRUE(trace_count("toy_reset_send", "src=127.0.0.1:7201 ",
				"flags=RST|ACK"));
	EXPECT_TRUE(trace_count("toy_reset_recv", "dst=127.0.0.1:7201 ",
				"state=SYN_SENT"));

	/* A retransmission: the peer does not acknowledge data. */
	ASSERT_EQ(0, trace_setup());
	lp = toy_listener(PEER_HOST, 7202, 8);
	ASSERT_LE(0, lp);
	pc = peer_conn(_metadata, self, lp, 7202, 40200);
	ASSERT_NE(NULL, pc);
	ASSERT_EQ(3, write(pc->fd, "abc", 3));
	snprintf(lstr, sizeof(lstr), "dst=%s:40200 ", PEER_ADDR);
	EXPECT_TRUE(trace_wait("toy_retransmit", lstr, "len=3", 10));
	trace_stop();

	/* SYN cookies, always on: sent, and one accepted. */
	ASSERT_EQ(0, sysctl_write("syncookies", "2"));
	ASSERT_EQ(0, trace_setup());
	l = toy_listener(LO, 7203, 8);
	ASSERT_LE(0, l);
	ASSERT_EQ(0, make_pair(7204, &c, &s));
	close(c);
	close(s);
	c = connect_to(LO, 7203, 0);
	ASSERT_LE(0, c);
	s = accept(l, NULL, NULL);
	ASSERT_LE(0, s);
	trace_stop();
	EXPECT_TRUE(trace_count("toy_syncookie_send", "dst=127.0.0.1:7203 ",
				"flags=SYN seq="));
	EXPECT_TRUE(trace_count("toy_syncookie_accept", "dst=127.0.0.1:7203 ",
				"flags=ACK"));
	close(c);
	close(s);
	close(l);
	close(lp);
	toy_write_file(TRACEFS "/trace", "");
}

TEST_HARNESS_MAIN
