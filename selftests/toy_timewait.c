// SPDX-License-Identifier: GPL-2.0
/*
 * AF_TOY TIME_WAIT: the 2 MSL hold and its small entries, the rules that
 * keep a held 4-tuple from being reused, late segments, the cap, and
 * the exhaustion of the ephemeral range with each of its remedies.
 *
 * Every test runs in a fresh network namespace.  Most use SRV, an
 * address of a veth device (not loopback: net.toy.tw_reuse = 2, the
 * default, lets loopback connections take TIME_WAIT over).  The
 * teardown leaves the namespace, whose exit must end every TIME_WAIT
 * entry still held, so the live-object counters must be back at zero
 * long before 2 MSL.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <netinet/ip.h>
#include <linux/toy.h>

#include "kselftest_harness.h"
#include "toy_lib.h"
#include "toy_net.h"
#include "toy_seg.h"

#define SRV	"10.9.0.1"
#define LO	"127.0.0.1"
#define ST_TIME_WAIT	6

static int listener_at(const char *ip, int port, int reuse)
{
	struct sockaddr_toy a = taddr(ip, port);
	int fd = socket(TOY_AF, SOCK_STREAM, 0), err;

	if (fd < 0)
		return -1;
	if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &reuse, sizeof(reuse)) ||
	    bind(fd, (struct sockaddr *)&a, sizeof(a)) || listen(fd, 64)) {
		err = errno;
		close(fd);
		errno = err;
		return -1;
	}
	return fd;
}

/* A client socket, bound to @lport first if not 0; -errno on failure. */
static int client_at(const char *ip, int port, int lport, int reuse)
{
	struct sockaddr_toy a = taddr(ip, lport);
	int fd = socket(TOY_AF, SOCK_STREAM, 0), err;

	if (fd < 0)
		return -errno;
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &reuse, sizeof(reuse));
	if (lport && bind(fd, (struct sockaddr *)&a, sizeof(a)))
		goto fail;
	a = taddr(ip, port);
	if (connect(fd, (struct sockaddr *)&a, sizeof(a)))
		goto fail;
	return fd;
fail:
	err = -errno;
	close(fd);
	return err;
}

enum { CLIENT_FIRST, SERVER_FIRST, ABORTIVE };

/*
 * One short connection through listener @l at @ip:@port, closed the
 * way @how says.  Returns the client's local port, or -errno of the
 * first call that failed.
 */
static int churn(int l, const char *ip, int port, int lport, int reuse,
		 int how)
{
	struct linger lg = { 1, 0 };
	int c, s, cp;
	char b[8];

	c = client_at(ip, port, lport, reuse);
	if (c < 0)
		return c;
	cp = local_port(c);
	s = accept(l, NULL, NULL);
	if (s < 0) {
		close(c);
		return -errno;
	}
	if (how == ABORTIVE) {
		setsockopt(c, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
		close(c);
		if (read(s, b, sizeof(b)) != -1 || errno != ECONNRESET)
			cp = -EPROTO;
		close(s);
	} else if (how == SERVER_FIRST) {
		close(s);
		if (read(c, b, sizeof(b)) != 0)
			cp = -EPROTO;
		close(c);
	} else {
		close(c);
		if (read(s, b, sizeof(b)) != 0)
			cp = -EPROTO;
		close(s);
	}
	return cp;
}

struct row {
	unsigned int lport, rport, state, tr;
	unsigned long when;
};

/* The /proc/net/toy row of that 4-tuple's ports; 0 if there is none. */
static int proc_row(int lport, int rport, struct row *r)
{
	char line[256];
	int found = 0;
	FILE *f = fopen("/proc/net/toy", "r");

	if (!f)
		return 0;
	while (!found && fgets(line, sizeof(line), f)) {
		if (sscanf(line, " %*d: %*x:%x %*x:%x %x %*x:%*x %x:%lx",
			   &r->lport, &r->rport, &r->state, &r->tr,
			   &r->when) == 5 &&
		    (int)r->lport == lport && (int)r->rport == rport)
			found = 1;
	}
	fclose(f);
	return found;
}

static int tw_rows(int lport, int rport)
{
	char line[256];
	unsigned int lp, rp, st;
	int n = 0;
	FILE *f = fopen("/proc/net/toy", "r");

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, " %*d: %*x:%x %*x:%x %x", &lp, &rp, &st) == 3 &&
		    st == ST_TIME_WAIT && (!lport || (int)lp == lport) &&
		    (!rport || (int)rp == rport))
			n++;
	fclose(f);
	return n;
}

static int bind_to(const char *ip, int port, int reuse)
{
	struct sockaddr_toy a = taddr(ip, port);
	int fd = socket(TOY_AF, SOCK_STREAM, 0), ret;

	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &reuse, sizeof(reuse));
	ret = bind(fd, (struct sockaddr *)&a, sizeof(a)) ? -errno : 0;
	close(fd);
	return ret;
}

static int set_range(int low, int high)
{
	char v[32];

	snprintf(v, sizeof(v), "%d %d", low, high);
	return sysctl_write("ip_local_port_range", v);
}

static int raw_toy(void)
{
	int size = 1 << 22, fd = socket(AF_INET, SOCK_RAW, IPPROTO_TOY);

	if (fd >= 0)
		setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &size, sizeof(size));
	return fd;
}

/* The next segment @sport -> @dport with @flags set, from raw @fd. */
static int sniff(int fd, int sport, int dport, int flags, struct toyhdr *th,
		 double secs)
{
	double end = toy_now() + secs * toy_timeout_scale();
	struct toy_sniffed got;

	while (toy_now() < end) {
		/* toy_seg_sniff() scales what it is given: unscale the rest. */
		if (!toy_seg_sniff(fd, sport, dport, &got,
				   (end - toy_now()) / toy_timeout_scale()))
			return 0;
		*th = got.th;
		if ((th->flags & flags) == flags)
			return 1;
	}
	return 0;
}

/* Forget every segment the raw socket has seen so far. */
static void drain(int fd)
{
	char buf[2048];

	usleep(100000);
	while (recv(fd, buf, sizeof(buf), MSG_DONTWAIT) > 0)
		;
}

/*
 * Read every segment queued on raw @fd; for each FIN toward @dport from
 * a port in [@base, @base + @n), note its sequence number in @seq.
 */
static void fins_to(int fd, int dport, int base, int n, uint32_t *seq)
{
	char buf[2048];
	struct iphdr *iph = (struct iphdr *)buf;
	struct toyhdr *th;
	int sport;

	usleep(100000);
	while (recv(fd, buf, sizeof(buf), MSG_DONTWAIT) > 0) {
		th = (struct toyhdr *)(buf + iph->ihl * 4);
		sport = ntohs(th->source);
		if (ntohs(th->dest) == dport && th->flags & TOY_FIN &&
		    sport >= base && sport < base + n)
			seq[sport - base] = ntohl(th->seq);
	}
}

FIXTURE(tw) {
	int dummy;
};

FIXTURE_SETUP(tw)
{
	ASSERT_EQ(0, toy_live_wait_zero(10));
	ASSERT_EQ(0, new_netns());
	ASSERT_EQ(0, sysctl_write("fin_timeout", "1"));
	ASSERT_EQ(0, sysctl_write("tw_reuse", "0"));
}

FIXTURE_TEARDOWN(tw)
{
	/*
	 * Leave the namespace: with no socket left in it, it goes away,
	 * and its exit ends every TIME_WAIT entry, however long it had.
	 */
	EXPECT_EQ(0, unshare(CLONE_NEWNET));
	EXPECT_EQ(0, toy_live_wait_zero(30));
}

/*
 * The active closer holds TIME_WAIT for 2 x msl_ms with a small entry,
 * shown in /proc/net/toy with the time it has left; the passive closer
 * holds nothing; the port is held until the entry expires, then free.
 */
TEST_F(tw, hold_then_expire)
{
	double t0, took;
	struct row r;
	int l, cp;

	ASSERT_EQ(0, sysctl_write("msl_ms", "1000"));	/* 2 s */
	l = listener_at(SRV, 7100, 0);
	ASSERT_LE(0, l);
	cp = churn(l, SRV, 7100, 0, 0, CLIENT_FIRST);
	ASSERT_LT(0, cp);
	t0 = toy_now();
	ASSERT_TRUE(proc_row(cp, 7100, &r));
	EXPECT_EQ(ST_TIME_WAIT, r.state);
	EXPECT_EQ(3, r.tr);			/* the TIME_WAIT timer */
	EXPECT_GE(200, r.when);			/* clock ticks: <= 2 s */
	EXPECT_LT(100, r.when);
	/* Passive close: CLOSE_WAIT -> LAST_ACK -> CLOSED, no entry. */
	EXPECT_FALSE(proc_row(7100, cp, &r));
	EXPECT_EQ(1, toy_live("timewait"));
	EXPECT_EQ(1, toy_live_wait("sockets", 1, 5));	/* the listener */
	EXPECT_EQ(1, toy_stat("TWCreated"));

	/* The port is held: bind() fails, as with TCP. */
	EXPECT_EQ(-EADDRINUSE, bind_to(SRV, cp, 0));
	EXPECT_EQ(-EADDRINUSE, bind_to("0.0.0.0", cp, 0));

	while (proc_row(cp, 7100, &r) && toy_now() - t0 < 2 + 10 * toy_timeout_scale())
		usleep(10000);
	took = toy_now() - t0;
	EXPECT_FALSE(proc_row(cp, 7100, &r));
	TH_LOG("TIME_WAIT of 2 s ended after %.2f s", took);
	EXPECT_LE(1.8, took);
	EXPECT_GE(2 + 2 * toy_timeout_scale(), took);
	EXPECT_EQ(1, toy_stat("TWExpired"));
	EXPECT_EQ(0, toy_live("timewait"));
	EXPECT_EQ(0, bind_to(SRV, cp, 0));
	close(l);
}

/* Default msl_ms: 60 s, shown as the time left in clock ticks. */
TEST_F(tw, default_is_sixty_seconds)
{
	struct row r;
	int l, cp;

	l = listener_at(SRV, 7110, 0);
	ASSERT_LE(0, l);
	cp = churn(l, SRV, 7110, 0, 0, CLIENT_FIRST);
	ASSERT_LT(0, cp);
	ASSERT_TRUE(proc_row(cp, 7110, &r));
	EXPECT_EQ(3, r.tr);
	EXPECT_GE(6000, r.when);
	EXPECT_LT(5000, r.when);
	close(l);
}

/*
 * bind() and connect() against a held 4-tuple: TCP's rules.  An
 * explicitly bound port cannot connect to the same remote again
 * (EADDRNOTAVAIL), whatever tw_reuse says; bind() needs SO_REUSEADDR
 * on both the new socket and the one that left the entry.
 */
TEST_F(tw, bind_and_connect_rules)
{
	int l, l2, c;

	l = listener_at(SRV, 7200, 0);
	l2 = listener_at(SRV, 7203, 0);
	ASSERT_LE(0, l);
	ASSERT_LE(0, l2);

	/* A client without SO_REUSEADDR leaves an entry on 7201. */
	ASSERT_EQ(7201, churn(l, SRV, 7200, 7201, 0, CLIENT_FIRST));
	EXPECT_EQ(1, tw_rows(7201, 7200));
	EXPECT_EQ(-EADDRINUSE, bind_to(SRV, 7201, 0));
	EXPECT_EQ(-EADDRINUSE, bind_to(SRV, 7201, 1));

	/* One with SO_REUSEADDR leaves an entry on 7202. */
	ASSERT_EQ(7202, churn(l, SRV, 7200, 7202, 1, CLIENT_FIRST));
	EXPECT_EQ(-EADDRINUSE, bind_to(SRV, 7202, 0));
	EXPECT_EQ(0, bind_to(SRV, 7202, 1));
	/* Bound again, but that 4-tuple is still held ... */
	EXPECT_EQ(-EADDRNOTAVAIL, client_at(SRV, 7200, 7202, 1));
	EXPECT_EQ(0, sysctl_write("tw_reuse", "1"));
	usleep(1100000);
	EXPECT_EQ(-EADDRNOTAVAIL, client_at(SRV, 7200, 7202, 1));
	/* ... and another destination is another 4-tuple. */
	c = client_at(SRV, 7203, 7202, 1);
	EXPECT_LE(0, c);
	close(c);
	EXPECT_EQ(0, toy_stat("TWRecycled"));
	close(l);
	close(l2);
}

/* Fill a range of @n ports with TIME_WAIT entries toward SRV:@port. */
static int exhaust(int l, int port, int low, int n, int how)
{
	int i, cp;

	if (set_range(low, low + n - 1))
		return -1;
	for (i = 0; i < n; i++) {
		cp = churn(l, SRV, port, 0, 0, how);
		if (cp < low || cp >= low + n)
			return -1;
	}
	return 0;
}

/*
 * The exhaustion story: short connections from one client to one server
 * put every port of a narrow range in TIME_WAIT, and connect() fails
 * with EADDRNOTAVAIL, while other destinations are still reachable.
 * Remedy: a wider range.
 */
TEST_F(tw, exhaustion_then_wider_range)
{
	int l, l2, c;

	l = listener_at(SRV, 7300, 0);
	l2 = listener_at(SRV, 7301, 0);
	ASSERT_LE(0, l);
	ASSERT_LE(0, l2);
	ASSERT_EQ(0, exhaust(l, 7300, 40000, 10, CLIENT_FIRST));
	EXPECT_EQ(10, tw_rows(0, 7300));
	EXPECT_EQ(10, toy_live("timewait"));
	EXPECT_EQ(-EADDRNOTAVAIL, client_at(SRV, 7300, 0, 0));
	EXPECT_EQ(-EADDRNOTAVAIL, churn(l, SRV, 7300, 0, 0, CLIENT_FIRST));
	/* The same ports still reach another destination. */
	c = client_at(SRV, 7301, 0, 0);
	EXPECT_LE(0, c);
	close(c);
	/* Remedy: more ports. */
	EXPECT_EQ(0, set_range(40000, 40019));
	EXPECT_LE(40010, churn(l, SRV, 7300, 0, 0, CLIENT_FIRST));
	close(l);
	close(l2);
}

/*
 * Remedy: tw_reuse.  0 never; 2 (the default) only on loopback; 1
 * whenever the entry is a second old.  The new connection's first
 * sequence number is the old one's last + 65537 (RFC 6191's argument).
 */
TEST_F(tw, remedy_tw_reuse)
{
	uint32_t fin_seq[10] = { 0 };
	struct toyhdr th;
	int l, raw, i, cp, c;
	char b[8];

	raw = raw_toy();
	ASSERT_LE(0, raw);
	l = listener_at(SRV, 7400, 0);
	ASSERT_LE(0, l);
	ASSERT_EQ(0, exhaust(l, 7400, 40000, 10, CLIENT_FIRST));
	/* Each client's FIN: its last sequence number. */
	fins_to(raw, 7400, 40000, 10, fin_seq);
	EXPECT_EQ(-EADDRNOTAVAIL, client_at(SRV, 7400, 0, 0));
	EXPECT_EQ(0, sysctl_write("tw_reuse", "2"));
	usleep(1100000);
	EXPECT_EQ(-EADDRNOTAVAIL, client_at(SRV, 7400, 0, 0));	/* not lo */
	EXPECT_EQ(0, sysctl_write("tw_reuse", "1"));
	c = client_at(SRV, 7400, 0, 0);
	ASSERT_LE(0, c);
	cp = local_port(c);
	ASSERT_LE(40000, cp);
	ASSERT_GT(40010, cp);
	EXPECT_EQ(1, toy_stat("TWRecycled"));
	EXPECT_EQ(9, toy_live("timewait"));
	ASSERT_TRUE(sniff(raw, cp, 7400, TOY_SYN, &th, 5));
	EXPECT_NE(0, fin_seq[cp - 40000]);
	EXPECT_EQ(fin_seq[cp - 40000] + 1 + 65537, ntohl(th.seq));
	/* And it works. */
	i = accept(l, NULL, NULL);
	ASSERT_LE(0, i);
	EXPECT_EQ(2, write(c, "hi", 2));
	EXPECT_EQ(2, read(i, b, sizeof(b)));
	close(i);
	close(c);
	close(l);
	close(raw);
}

/* tw_reuse = 2 takes loopback entries over once they are a second old. */
TEST_F(tw, tw_reuse_loopback)
{
	int l, i, c;

	ASSERT_EQ(0, sysctl_write("tw_reuse", "2"));
	ASSERT_EQ(0, set_range(40000, 40004));
	l = listener_at(LO, 7410, 0);
	ASSERT_LE(0, l);
	for (i = 0; i < 5; i++)
		ASSERT_LT(0, churn(l, LO, 7410, 0, 0, CLIENT_FIRST));
	EXPECT_EQ(5, tw_rows(0, 7410));
	EXPECT_EQ(-EADDRNOTAVAIL, client_at(LO, 7410, 0, 0));	/* too young */
	usleep(1100000);
	c = client_at(LO, 7410, 0, 0);
	EXPECT_LE(0, c);
	EXPECT_EQ(1, toy_stat("TWRecycled"));
	close(c);
	close(l);
}

/* Remedy: an abortive close sends a reset and leaves no TIME_WAIT. */
TEST_F(tw, remedy_abortive_close)
{
	int l, i;

	l = listener_at(SRV, 7500, 0);
	ASSERT_LE(0, l);
	ASSERT_EQ(0, set_range(40000, 40009));
	for (i = 0; i < 30; i++)
		ASSERT_LT(0, churn(l, SRV, 7500, 0, 0, ABORTIVE));
	EXPECT_EQ(0, toy_live("timewait"));
	EXPECT_EQ(0, toy_stat("TWCreated"));
	EXPECT_EQ(0, tw_rows(0, 0));
	close(l);
}

/*
 * Remedy: the server closes first, so TIME_WAIT lands on the server
 * and the client's ports are free at once.  A client port comes back
 * to the same server while the server's entry holds that 4-tuple: the
 * SYN is above the old sequence numbers, so the entry gives way.
 */
TEST_F(tw, remedy_server_closes_first)
{
	int l, i, cp;

	l = listener_at(SRV, 7600, 0);
	ASSERT_LE(0, l);
	ASSERT_EQ(0, set_range(40000, 40009));
	for (i = 0; i < 30; i++) {
		cp = churn(l, SRV, 7600, 0, 0, SERVER_FIRST);
		ASSERT_LT(0, cp);
	}
	EXPECT_EQ(0, tw_rows(0, 7600));		/* none on the client */
	EXPECT_LE(1, tw_rows(7600, 0));		/* on the server */
	EXPECT_GE(10, tw_rows(7600, 0));
	EXPECT_EQ(30, toy_stat("TWCreated"));
	EXPECT_LE(20, toy_stat("TWRecycled"));
	close(l);
}

/*
 * Remedy: SO_REUSEADDR where TCP allows it, the restarted server.  Its
 * closed connections hold its port in TIME_WAIT: a new listener binds
 * it only with SO_REUSEADDR, as the old one had.
 */
TEST_F(tw, remedy_reuseaddr_restart)
{
	int l, i, c;

	l = listener_at(SRV, 7700, 1);
	ASSERT_LE(0, l);
	for (i = 0; i < 3; i++)
		ASSERT_LT(0, churn(l, SRV, 7700, 0, 0, SERVER_FIRST));
	close(l);
	EXPECT_EQ(3, tw_rows(7700, 0));
	EXPECT_EQ(-1, listener_at(SRV, 7700, 0));
	EXPECT_EQ(EADDRINUSE, errno);
	l = listener_at(SRV, 7700, 1);
	ASSERT_LE(0, l);
	c = client_at(SRV, 7700, 0, 0);
	EXPECT_LE(0, c);
	close(c);
	close(l);
}

/*
 * Late segments on an entry (here the server's, which closed first):
 * an old SYN is answered with the old ACK, resets and ACKs are dropped
 * and counted, a SYN above the old sequence numbers reopens the 4-tuple
 * through the listener, from an ISN above the old one.
 */
TEST_F(tw, late_segments)
{
	struct in_addr srv = toy_in(SRV);
	uint32_t cli_fin, srv_fin;
	struct toyhdr th;
	int l, raw, cp;

	raw = raw_toy();
	ASSERT_LE(0, raw);
	l = listener_at(SRV, 7800, 0);
	ASSERT_LE(0, l);
	cp = churn(l, SRV, 7800, 0, 0, SERVER_FIRST);
	ASSERT_LT(0, cp);
	ASSERT_TRUE(sniff(raw, 7800, cp, TOY_FIN, &th, 5));
	srv_fin = ntohl(th.seq);
	ASSERT_TRUE(sniff(raw, cp, 7800, TOY_FIN, &th, 5));
	cli_fin = ntohl(th.seq);
	ASSERT_EQ(1, tw_rows(7800, cp));
	drain(raw);	/* the server's last ACK looks like the answer */

	/*
	 * An old duplicate SYN: the old connection's ACK.  No socket has
	 * port cp any more, so that ACK draws a reset from this host's own
	 * stack, which the entry drops like any reset (RFC 1337).
	 */
	toy_seg_send(raw, TOY_SEG_SELF(srv, .sport = cp, .dport = 7800,
				       .flags = TOY_SYN, .seq = cli_fin - 5000,
				       .win = 1000));
	ASSERT_TRUE(sniff(raw, 7800, cp, TOY_ACK, &th, 5));
	EXPECT_EQ(cli_fin + 1, ntohl(th.ack_seq));
	EXPECT_EQ(srv_fin + 1, ntohl(th.seq));
	ASSERT_TRUE(sniff(raw, cp, 7800, TOY_RST, &th, 5));
	usleep(100000);
	EXPECT_EQ(1, toy_stat("TWDrops"));
	EXPECT_EQ(1, tw_rows(7800, cp));

	/* A reset (even an exact one) and a bare ACK: dropped. */
	toy_seg_send(raw, TOY_SEG_SELF(srv, .sport = cp, .dport = 7800,
				       .flags = TOY_RST, .seq = cli_fin + 1,
				       .ack = srv_fin + 1, .win = 1000));
	toy_seg_send(raw, TOY_SEG_SELF(srv, .sport = cp, .dport = 7800,
				       .flags = TOY_ACK, .seq = cli_fin + 1,
				       .ack = srv_fin + 1, .win = 1000));
	EXPECT_FALSE(sniff(raw, 7800, cp, 0, &th, 0.5));
	EXPECT_EQ(3, toy_stat("TWDrops"));
	EXPECT_EQ(1, tw_rows(7800, cp));

	/* A new SYN: the listener answers, from above the old ISN. */
	toy_seg_send(raw, TOY_SEG_SELF(srv, .sport = cp, .dport = 7800,
				       .flags = TOY_SYN,
				       .seq = cli_fin + 100000, .win = 1000));
	ASSERT_TRUE(sniff(raw, 7800, cp, TOY_SYN | TOY_ACK, &th, 5));
	EXPECT_EQ(srv_fin + 1 + 65537, ntohl(th.seq));
	EXPECT_EQ(cli_fin + 100001, ntohl(th.ack_seq));
	EXPECT_EQ(0, tw_rows(7800, cp));
	EXPECT_EQ(1, toy_stat("TWRecycled"));
	close(l);
	close(raw);
}

/*
 * A retransmitted FIN is ACKed again and starts the 2 MSL over: a tc
 * filter drops the client's last ACKs, so the server resends its FIN
 * and the entry's time left jumps back up; once the filter goes, the
 * next FIN's ACK gets through and the server closes (no reset).
 */
TEST_F(tw, retransmitted_fin_reacked)
{
	char cmd[512], b[8];
	int l, c, s, cp;
	struct row r;
	double t0;

	ASSERT_EQ(0, sysctl_write("msl_ms", "5000"));	/* 10 s */
	l = listener_at(SRV, 7900, 0);
	ASSERT_LE(0, l);
	c = client_at(SRV, 7900, 0, 0);
	ASSERT_LE(0, c);
	cp = local_port(c);
	s = accept(l, NULL, NULL);
	ASSERT_LE(0, s);
	EXPECT_EQ(0, shutdown(c, SHUT_WR));
	EXPECT_EQ(0, read(s, b, sizeof(b)));
	/* Drop pure ACKs (flags 0x10, byte 33) from the client's port. */
	snprintf(cmd, sizeof(cmd),
		 "modprobe -q sch_prio; modprobe -q cls_u32; modprobe -q act_gact; "
		 "tc qdisc add dev lo root handle 1: prio && "
		 "tc filter add dev lo parent 1: protocol ip prio 1 u32 "
		 "match ip protocol %d 0xff match u16 %d 0xffff at 20 "
		 "match u8 0x10 0xff at 33 action drop", IPPROTO_TOY, cp);
	ASSERT_EQ(0, system(cmd));
	close(s);				/* the server's FIN */
	EXPECT_EQ(0, read(c, b, sizeof(b)));
	t0 = toy_now();
	close(c);
	ASSERT_TRUE(proc_row(cp, 7900, &r));
	EXPECT_EQ(ST_TIME_WAIT, r.state);
	/*
	 * 1.5 s later the server has resent its FIN (its timeout is at
	 * most 1 s) and the entry restarted its 10 s then: more than the
	 * 8.5 s it would have left otherwise.  The server is in LAST_ACK.
	 */
	usleep(1500000);
	ASSERT_TRUE(proc_row(cp, 7900, &r));
	TH_LOG("after %.2f s: %lu ticks left", toy_now() - t0, r.when);
	EXPECT_LT(900, r.when);
	EXPECT_LE(1, toy_stat("RetransSegs"));
	ASSERT_TRUE(proc_row(7900, cp, &r));
	EXPECT_EQ(9, r.state);
	/* The filter goes: the next FIN's ACK gets through. */
	EXPECT_EQ(0, system("tc qdisc del dev lo root"));
	t0 = toy_now();
	while (proc_row(7900, cp, &r) && toy_now() - t0 < 20 * toy_timeout_scale())
		usleep(20000);
	EXPECT_FALSE(proc_row(7900, cp, &r));
	/* Closed by that ACK, not by a reset. */
	EXPECT_EQ(0, toy_stat("OutRsts"));
	EXPECT_EQ(0, toy_stat("EstabResets"));
	EXPECT_EQ(1, tw_rows(cp, 7900));
	close(l);
}

/* The cap: beyond max_tw_buckets a close skips TIME_WAIT, counted. */
TEST_F(tw, max_tw_buckets)
{
	int l, i;

	ASSERT_EQ(0, sysctl_write("max_tw_buckets", "3"));
	l = listener_at(SRV, 8000, 0);
	ASSERT_LE(0, l);
	for (i = 0; i < 5; i++)
		ASSERT_LT(0, churn(l, SRV, 8000, 0, 0, CLIENT_FIRST));
	EXPECT_EQ(3, toy_live("timewait"));
	EXPECT_EQ(3, tw_rows(0, 8000));
	EXPECT_EQ(3, toy_stat("TWCreated"));
	EXPECT_EQ(2, toy_stat("TimeWaitOverflow"));
	ASSERT_EQ(0, sysctl_write("max_tw_buckets", "0"));
	ASSERT_LT(0, churn(l, SRV, 8000, 0, 0, CLIENT_FIRST));
	EXPECT_EQ(3, toy_stat("TimeWaitOverflow"));
	close(l);
}

/* A cache's slab_size: what one object takes in its slab, debug included. */
static long slab_size(const char *cache)
{
	char path[128];

	snprintf(path, sizeof(path), "/sys/kernel/slab/%s/slab_size", cache);
	return toy_read_long(path);
}

/* Slab memory now, in kB (/proc/meminfo). */
static long slab_kb(void)
{
	char line[128];
	long kb = -1;
	FILE *f = fopen("/proc/meminfo", "r");

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "Slab: %ld kB", &kb) == 1)
			break;
	fclose(f);
	return kb;
}

/*
 * 100000 TIME_WAIT entries at once (TOY_TW_ENTRIES overrides, for quick
 * runs): 4 destination ports, the whole port range.  Their memory is
 * measured (slab growth, bind buckets included) and reported; the
 * namespace's exit ends them all.
 */
TEST_F_TIMEOUT(tw, hundred_thousand, 1800)
{
	const char *env = getenv("TOY_TW_ENTRIES");
	const int n = env ? atoi(env) : 100000, dests = 4;
	long before, after;
	int l[4], i, cp;
	double t0;

	ASSERT_EQ(0, sysctl_write("msl_ms", "3600000"));
	ASSERT_EQ(0, set_range(1024, 65535));
	for (i = 0; i < dests; i++) {
		l[i] = listener_at(SRV, 8100 + i, 0);
		ASSERT_LE(0, l[i]);
	}
	before = slab_kb();
	t0 = toy_now();
	for (i = 0; i < n; i++) {
		cp = churn(l[i % dests], SRV, 8100 + i % dests, 0, 0,
			   CLIENT_FIRST);
		if (cp < 0) {
			TH_LOG("connection %d: %s", i, strerror(-cp));
			break;
		}
	}
	ASSERT_EQ(n, i);
	after = slab_kb();
	EXPECT_EQ(n, toy_live("timewait"));
	EXPECT_EQ(n, toy_stat("TWCreated"));
	EXPECT_EQ(n, tw_rows(0, 0));
	TH_LOG("%d TIME_WAIT entries made in %.0f s; slab grew by %ld kB, %ld bytes per entry (bind buckets included)",
	       n, toy_now() - t0, after - before, (after - before) * 1024 / n);
	TH_LOG("slab size of an entry %ld bytes, of a socket %ld bytes",
	       slab_size("toy_timewait"), slab_size("TOY"));
	EXPECT_GT(slab_size("TOY"), slab_size("toy_timewait"));
	/*
	 * Less than the sockets they replaced, all costs included; not on
	 * the debug kernel, where KASAN's quarantine and kmemleak's own
	 * objects grow the slab too.
	 */
	if (!getenv("TOY_KERNEL") || strcmp(getenv("TOY_KERNEL"), "debug"))
		EXPECT_GT(slab_size("TOY"), (after - before) * 1024 / n);
	for (i = 0; i < dests; i++)
		close(l[i]);
}

/*
 * A namespace that goes away holding 10000 TIME_WAIT entries and live
 * connections (with their timers armed): its exit frees everything,
 * long before 2 MSL.
 */
TEST_F(tw, netns_exit_with_entries)
{
	int p[2], status;
	char ready;
	double t0;
	pid_t pid;

	ASSERT_EQ(0, pipe(p));
	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid) {
		int l, i, c[20];

		if (new_netns() || sysctl_write("msl_ms", "3600000") ||
		    sysctl_write("retries2", "3") ||
		    sysctl_write("orphan_retries", "3") ||
		    set_range(1024, 65535))
			_exit(1);
		l = listener_at(SRV, 8200, 0);
		for (i = 0; i < 10000; i++)
			if (churn(l, SRV, 8200, 0, 0, CLIENT_FIRST) < 0)
				_exit(2);
		/* Live connections, data unacknowledged behind a loss. */
		for (i = 0; i < 20; i++) {
			c[i] = client_at(SRV, 8200, 0, 0);
			if (c[i] < 0 || accept(l, NULL, NULL) < 0)
				_exit(3);
		}
		if (system("modprobe -q sch_netem; tc qdisc add dev lo root netem loss 100%"))
			_exit(4);
		for (i = 0; i < 20; i++)
			if (write(c[i], "x", 1) != 1)
				_exit(5);
		if (write(p[1], "r", 1) != 1)
			_exit(6);
		pause();
		_exit(0);
	}
	close(p[1]);
	ASSERT_EQ(1, read(p[0], &ready, 1));
	EXPECT_EQ(10000, toy_live("timewait"));
	EXPECT_LE(20, toy_live("timers"));
	t0 = toy_now();
	kill(pid, SIGKILL);
	waitpid(pid, &status, 0);
	/*
	 * Its sockets close as orphans whose FINs are lost: they end
	 * after 3 retransmissions (net.toy.orphan_retries, about 3 s),
	 * the last reference on the namespace goes with them, and its
	 * exit ends the entries, which had an hour to go.
	 */
	EXPECT_EQ(0, toy_live_wait_zero(120));
	TH_LOG("namespace gone with its entries %.1f s after the kill",
	       toy_now() - t0);
}

TEST_HARNESS_MAIN
