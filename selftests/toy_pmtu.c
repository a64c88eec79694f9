// SPDX-License-Identifier: GPL-2.0
/*
 * AF_TOY and the path MTU: ICMP errors about our segments (fragmentation
 * needed lowers the MSS and resends, a blind one is ignored, unreachable
 * fails a connect), a device MTU that shrinks under queued data, and
 * oversized segments that IPv4 refuses with an ICMP error of its own.
 * The misbehaving peer is the TUN one of toy_peer.h; loopback where the
 * peer may be an AF_TOY socket.  Each test runs in a fresh namespace.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <net/if.h>
#include <netinet/ip.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <linux/toy.h>

#include "kselftest_harness.h"
#include "toy_lib.h"
#include "toy_net.h"
#include "toy_seg.h"
#include "toy_peer.h"

#define LO "127.0.0.1"

/* ICMP types and codes (RFC 792), as the quoted packet's errors. */
#define ICMP_UNREACH		3
#define ICMP_HOST_UNREACH	1
#define ICMP_PORT_UNREACH	3
#define ICMP_FRAG_NEEDED	4

static uint8_t pattern(size_t i)
{
	return (uint8_t)(i * 7 + i / 251);
}

static void fill(uint8_t *buf, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++)
		buf[i] = pattern(i);
}

static int set_mtu(const char *dev, int mtu)
{
	struct ifreq ifr;
	int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0), err = 0;

	if (s < 0)
		return -errno;
	memset(&ifr, 0, sizeof(ifr));
	strcpy(ifr.ifr_name, dev);
	ifr.ifr_mtu = mtu;
	if (ioctl(s, SIOCSIFMTU, &ifr))
		err = -errno;
	close(s);
	return err;
}

static int peer_ack(struct toy_peer *p, const struct toy_pconn *c,
		    uint32_t ack, uint16_t win)
{
	return toy_peer_send(p, c->pport, c->hport, TOY_ACK, c->snd_nxt, ack,
			     win, NULL, 0);
}

/* Read and forget whatever the host has sent so far. */
static void peer_drain(struct toy_peer *p, struct toy_pseg *s)
{
	while (tpeer_recv_until(p, s, toy_now() + 0.02))
		;
}

/* What the peer saw of the data segments it collected. */
struct seen {
	size_t	biggest;	/* the largest payload */
	int	df;		/* how many had DF set */
};

/*
 * The peer receives the connection's data in order from c->rcv_nxt,
 * acknowledging each segment, until @len bytes (and a FIN if @fin) are
 * in, or @secs (scaled) pass.  Every byte is checked against pattern();
 * @seen tells about the segments.  Returns the bytes received in order,
 * -1 on a wrong byte.
 */
static long peer_collect(struct toy_peer *p, struct toy_pconn *c,
			 struct toy_pseg *s, size_t len, int fin,
			 struct seen *seen, double secs)
{
	double end = toy_now() + secs * toy_timeout_scale();
	uint32_t base = c->rcv_nxt;
	int got_fin = 0;
	size_t i;

	memset(seen, 0, sizeof(*seen));
	while ((c->rcv_nxt - base < len || (fin && !got_fin)) &&
	       tpeer_recv_until(p, s, end)) {
		uint32_t off = s->seq - base;

		if (s->type != TOY_TYPE_STREAM || s->sport != c->hport)
			continue;
		if (s->len > seen->biggest)
			seen->biggest = s->len;
		if (s->len && s->ip_df)
			seen->df++;
		if (s->seq == c->rcv_nxt && s->len) {
			for (i = 0; i < s->len; i++)
				if (s->data[i] != pattern(off + i))
					return -1;
			c->rcv_nxt += s->len;
		}
		if (s->flags & TOY_FIN && s->seq + s->len == c->rcv_nxt &&
		    !got_fin) {
			got_fin = 1;
			c->rcv_nxt++;
		}
		peer_ack(p, c, c->rcv_nxt, 65535);
	}
	return c->rcv_nxt - base - got_fin;
}

/* A connected pair on loopback: *c the client, *s the accepted one. */
static int make_pair(int port, int *c, int *s)
{
	struct sockaddr_toy a = taddr(LO, port);
	int l = toy_listener(LO, port, 8);

	*c = *s = -1;
	if (l < 0)
		return -1;
	*c = socket(TOY_AF, SOCK_STREAM, 0);
	if (*c >= 0 && !connect(*c, (struct sockaddr *)&a, sizeof(a)))
		*s = accept(l, NULL, NULL);
	close(l);
	return *c < 0 || *s < 0 ? -1 : 0;
}

/* Read @len bytes from @fd within @secs (scaled); the count read. */
static size_t read_all(int fd, uint8_t *buf, size_t len, double secs)
{
	double end = toy_now() + secs * toy_timeout_scale();
	struct pollfd pfd = { .fd = fd, .events = POLLIN };
	size_t got = 0;

	while (got < len && toy_now() < end) {
		ssize_t n;

		if (poll(&pfd, 1, 50) <= 0)
			continue;
		n = recv(fd, buf + got, len - got, MSG_DONTWAIT);
		if (n <= 0)
			break;
		got += n;
	}
	return got;
}

/* Abort @fd with a reset (SO_LINGER {1, 0}): nothing lingers. */
static void abort_close(int fd)
{
	struct linger lg = { .l_onoff = 1, .l_linger = 0 };

	setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
	close(fd);
}

struct writer {
	int		fd;
	const uint8_t	*buf;
	size_t		len;
	ssize_t		ret;
};

static void *writer_run(void *arg)
{
	struct writer *w = arg;
	size_t done = 0;

	while (done < w->len) {
		ssize_t n = send(w->fd, w->buf + done, w->len - done,
				 MSG_NOSIGNAL);

		if (n <= 0)
			break;
		done += n;
	}
	w->ret = done;
	return NULL;
}

/* The IP protocol the module uses on the wire (parameter "ipproto"). */
static long toy_ipproto(void)
{
	long v = toy_read_long("/sys/module/toy/parameters/ipproto");

	return v > 0 ? v : IPPROTO_TOY;
}

static int have_cmd(const char *cmd)
{
	char line[128];

	snprintf(line, sizeof(line), "command -v %s >/dev/null 2>&1", cmd);
	return !system(line);
}

/*
 * A netfilter rule that rejects (ICMP port unreachable) every outgoing
 * AF_TOY packet, with nft or iptables; 0, or -1 if neither works.
 */
static int reject_rule_add(void)
{
	char cmd[512];

	if (have_cmd("nft")) {
		snprintf(cmd, sizeof(cmd),
			 "modprobe -q nfnetlink; modprobe -q nf_tables; "
			 "modprobe -q nft_reject_ipv4; "
			 "nft add table ip toyrej && "
			 "nft add chain ip toyrej out "
			 "'{ type filter hook output priority 0; }' && "
			 "nft add rule ip toyrej out ip protocol %ld reject",
			 toy_ipproto());
		return system(cmd) ? -1 : 0;
	}
	if (have_cmd("iptables")) {
		snprintf(cmd, sizeof(cmd),
			 "modprobe -q iptable_filter; modprobe -q ipt_REJECT; "
			 "iptables -A OUTPUT -p %ld -j REJECT", toy_ipproto());
		return system(cmd) ? -1 : 0;
	}
	return -1;
}

static void reject_rule_del(void)
{
	char cmd[128];

	if (have_cmd("nft")) {
		system("nft delete table ip toyrej");
		return;
	}
	snprintf(cmd, sizeof(cmd), "iptables -D OUTPUT -p %ld -j REJECT",
		 toy_ipproto());
	system(cmd);
}

/*
 * Netfilter's REJECT answers a packet only if its checksum verifies,
 * and for a protocol it does not know it checks the ones' complement
 * sum of the whole IP packet, with no pseudo-header: that of an AF_TOY
 * segment comes out right only when the pseudo-header (addresses,
 * protocol, length) sums to zero.  Is that so for a segment of @len
 * bytes from @src to @dst (host order)?
 */
static int reject_answers(uint32_t src, uint32_t dst, size_t len)
{
	uint32_t sum = (src >> 16) + (src & 0xffff) + (dst >> 16) +
		       (dst & 0xffff) + toy_ipproto() + len;

	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return sum == 0xffff;
}

FIXTURE(pmtu) {
	struct toy_peer		peer;
	struct toy_pseg		*s;
	uint8_t			*buf;
};

FIXTURE_SETUP(pmtu)
{
	ASSERT_EQ(0, toy_live_wait_zero(10));
	ASSERT_EQ(0, new_netns());
	/* TIME_WAIT of the loopback pairs must not outlast the test. */
	ASSERT_EQ(0, sysctl_write("msl_ms", "50"));
	self->peer.fd = -1;
	self->s = malloc(sizeof(*self->s));
	self->buf = malloc(1 << 17);
	ASSERT_NE(NULL, self->s);
	ASSERT_NE(NULL, self->buf);
}

FIXTURE_TEARDOWN(pmtu)
{
	toy_peer_close(&self->peer);
	free(self->s);
	free(self->buf);
	EXPECT_EQ(0, toy_live_wait_zero(15));
}

/*
 * The data of the oversized segment: an IP packet of 0x3fff bytes.  Its
 * length is what IPv4 reads as a source route when our control block
 * posed as its options: the longer, the more an echo would copy.
 */
#define OVERSIZED	(0x3fff - 20 - (int)sizeof(struct toyhdr))

/*
 * 16 KiB queued behind a closed window with our FIN on it (close()),
 * sent as one segment while the path's MTU is 20000; then the MTU drops
 * to 1280 and three duplicate ACKs make the host resend that segment at
 * once: IPv4 refuses it (DF) and answers with ICMP "fragmentation
 * needed", echoing the IP options the skb's control block describes.
 * That block must be IPv4's (clean), not our segment state, or the echo
 * overruns a stack buffer.  Then the MSS follows the MTU and everything,
 * FIN included, arrives.
 */
TEST_F(pmtu, oversized_segment_after_mtu_drop_no_panic)
{
	struct toy_peer *p = &self->peer;
	struct toy_pseg *s = self->s;
	struct toy_pconn c;
	struct seen seen;
	int i;

	ASSERT_EQ(0, toy_peer_open(p, 20000));
	ASSERT_EQ(0, toy_peer_connect(p, &c, 7001, 0));
	fill(self->buf, OVERSIZED);
	ASSERT_EQ(OVERSIZED, write(c.fd, self->buf, OVERSIZED));
	ASSERT_EQ(0, close(c.fd));

	/* The window opens: one segment of 16 KiB and the FIN. */
	ASSERT_EQ(0, peer_ack(p, &c, c.rcv_nxt, 65535));
	ASSERT_EQ(1, toy_peer_expect(p, s, TOY_ACK | TOY_FIN, 5));
	ASSERT_EQ(OVERSIZED, s->len);
	ASSERT_EQ(c.rcv_nxt, s->seq);

	ASSERT_EQ(0, set_mtu(PEER_DEV, 1280));
	for (i = 0; i < 3; i++)
		ASSERT_EQ(0, peer_ack(p, &c, c.rcv_nxt, 65535));

	ASSERT_EQ(OVERSIZED,
		  peer_collect(p, &c, s, OVERSIZED, 1, &seen, 15));
	EXPECT_GE(1280 - 40, seen.biggest);
	TH_LOG("IPv4 refused %ld oversized packets", toy_snmp("Ip:", "FragFails"));
	ASSERT_EQ(0, toy_peer_reset(p, &c));
}

/*
 * A stream segment from the peer to host address @host (not PEER_HOST),
 * no data; 0 or -errno.
 */
static int peer_send_to(struct toy_peer *p, struct in_addr host,
			const struct toy_pconn *c, uint8_t flags, uint32_t seq,
			uint32_t ack, uint16_t win)
{
	return toy_peer_send_seg(p, &(struct toy_seg){
		.saddr = toy_in(PEER_ADDR), .daddr = host, .sport = c->pport,
		.dport = c->hport, .flags = flags, .seq = seq, .ack = ack,
		.win = win,
	});
}

/*
 * The same refusal from a netfilter REJECT rule on every AF_TOY packet
 * the host sends: 16 KiB and our FIN in one segment (a closed window
 * held the data back until shutdown()), sent, not acknowledged; then the
 * rule, and three duplicate ACKs make the host resend the segment: the
 * rule answers with ICMP port unreachable, echoing the options IPCB
 * describes.  The host uses an address for which netfilter believes our
 * checksum (reject_answers()), or it would drop without answering.
 * Nothing breaks; the ICMP error reaches the connection as a soft one
 * (SO_ERROR), as TCP's.
 */
TEST_F(pmtu, reject_rule_on_resent_fin_segment_no_panic)
{
	struct toy_peer *p = &self->peer;
	struct toy_pseg *s = self->s;
	struct sockaddr_toy src, dst = taddr(PEER_ADDR, 7002);
	struct pollfd pfd = { .events = POLLOUT };
	uint32_t peer = ntohl(toy_in(PEER_ADDR).s_addr), w;
	struct in_addr host;
	struct toy_pconn c;
	long icmp_before;
	char cmd[128];
	int i, err = 0;
	double end;

	if (!have_cmd("nft") && !have_cmd("iptables"))
		SKIP(return, "neither nft nor iptables in this system");
	/* 100.64.w.w: its half of the pseudo-header makes the sum zero. */
	for (w = 0x100; w < 0xff00; w++)
		if (reject_answers(0x64400000 | w, peer,
				   sizeof(struct toyhdr) + OVERSIZED) &&
		    (w & 0xff) && (w & 0xff) != 0xff)
			break;
	ASSERT_GT(0xff00, w);
	host.s_addr = htonl(0x64400000 | w);

	ASSERT_EQ(0, toy_peer_open(p, 20000));
	snprintf(cmd, sizeof(cmd), "ip addr add %s/32 dev " PEER_DEV,
		 inet_ntoa(host));
	ASSERT_EQ(0, system(cmd));

	/* The handshake, by hand: the peer answers the extra address. */
	memset(&c, 0, sizeof(c));
	c.fd = socket(TOY_AF, SOCK_STREAM | SOCK_NONBLOCK, 0);
	ASSERT_LE(0, c.fd);
	src = taddr("0.0.0.0", 0);
	src.stoy_addr = host;
	ASSERT_EQ(0, bind(c.fd, (struct sockaddr *)&src, sizeof(src)));
	ASSERT_EQ(-1, connect(c.fd, (struct sockaddr *)&dst, sizeof(dst)));
	ASSERT_EQ(1, toy_peer_expect(p, s, TOY_SYN, 5));
	c.hport = s->sport;
	c.pport = 7002;
	c.rcv_nxt = s->seq + 1;
	c.snd_nxt = TOY_PEER_ISN;
	ASSERT_EQ(0, peer_send_to(p, host, &c, TOY_SYN | TOY_ACK, c.snd_nxt,
				  c.rcv_nxt, 0));
	c.snd_nxt++;
	ASSERT_EQ(1, toy_peer_expect(p, s, TOY_ACK, 5));
	pfd.fd = c.fd;
	ASSERT_EQ(1, poll(&pfd, 1, 5000 * toy_timeout_scale()));
	ASSERT_EQ(0, so_error(c.fd));

	fill(self->buf, OVERSIZED);
	ASSERT_EQ(OVERSIZED, write(c.fd, self->buf, OVERSIZED));
	ASSERT_EQ(0, shutdown(c.fd, SHUT_WR));
	ASSERT_EQ(0, peer_send_to(p, host, &c, TOY_ACK, c.snd_nxt, c.rcv_nxt,
				  65535));
	ASSERT_EQ(1, toy_peer_expect(p, s, TOY_ACK | TOY_FIN, 5));
	ASSERT_EQ(OVERSIZED, s->len);

	icmp_before = toy_snmp("Icmp:", "OutDestUnreachs");
	if (reject_rule_add()) {
		peer_send_to(p, host, &c, TOY_RST, c.snd_nxt, 0, 0);
		close(c.fd);
		SKIP(return, "no REJECT rule could be added");
	}
	for (i = 0; i < 3; i++)
		ASSERT_EQ(0, peer_send_to(p, host, &c, TOY_ACK, c.snd_nxt,
					  c.rcv_nxt, 65535));
	end = toy_now() + 10 * toy_timeout_scale();
	while (!err && toy_now() < end) {
		err = so_error(c.fd);
		usleep(10000);
	}
	reject_rule_del();
	EXPECT_EQ(ECONNREFUSED, err);
	EXPECT_LT(icmp_before, toy_snmp("Icmp:", "OutDestUnreachs"));
	ASSERT_EQ(0, peer_send_to(p, host, &c, TOY_RST, c.snd_nxt, 0, 0));
	close(c.fd);
}

/*
 * The same rule on the SYN: connect() is refused, as TCP's.  The
 * listener's address on 127/8 is one whose SYN netfilter answers.
 */
TEST_F(pmtu, reject_rule_refuses_connect)
{
	struct sockaddr_toy src = taddr(LO, 0), a;
	struct pollfd pfd = { .events = POLLOUT };
	uint32_t dst = INADDR_LOOPBACK + 1;
	int l, c, ret;

	if (!have_cmd("nft") && !have_cmd("iptables"))
		SKIP(return, "neither nft nor iptables in this system");
	/* The SYN: a header, three words of options (MSS, WS, SACK OK). */
	while (!reject_answers(INADDR_LOOPBACK, dst,
			       sizeof(struct toyhdr) + 12))
		dst++;
	a = taddr(LO, 7003);
	a.stoy_addr.s_addr = htonl(dst);
	l = socket(TOY_AF, SOCK_STREAM, 0);
	ASSERT_LE(0, l);
	ASSERT_EQ(0, bind(l, (struct sockaddr *)&a, sizeof(a)));
	ASSERT_EQ(0, listen(l, 8));
	if (reject_rule_add()) {
		close(l);
		SKIP(return, "no REJECT rule could be added");
	}
	c = socket(TOY_AF, SOCK_STREAM | SOCK_NONBLOCK, 0);
	ASSERT_LE(0, c);
	ASSERT_EQ(0, bind(c, (struct sockaddr *)&src, sizeof(src)));
	EXPECT_EQ(-1, connect(c, (struct sockaddr *)&a, sizeof(a)));
	pfd.fd = c;
	ret = poll(&pfd, 1, 10000 * toy_timeout_scale());
	reject_rule_del();
	EXPECT_EQ(1, ret);
	EXPECT_EQ(ECONNREFUSED, so_error(c));
	close(c);
	close(l);
}

/*
 * Send 8 KiB in segments of 1460 (MTU 1500) to the peer on port @port;
 * the peer says "fragmentation needed, MTU @mtu" for the first.  All
 * 8 KiB must arrive intact, resent at once in segments of at most @mss
 * (the largest must be that); @df: with DF set or without.
 */
static void frag_needed_run(struct __test_metadata *_metadata,
			    FIXTURE_DATA(pmtu) *self, uint16_t port,
			    uint16_t mtu, size_t mss, int df)
{
	struct toy_pseg *first = malloc(sizeof(*first));
	struct toy_peer *p = &self->peer;
	struct toy_pseg *s = self->s;
	struct toy_pconn c;
	struct seen seen;

	ASSERT_NE(NULL, first);
	ASSERT_EQ(0, toy_peer_open(p, 1500));
	ASSERT_EQ(0, toy_peer_connect(p, &c, port, 65535));
	fill(self->buf, 8192);
	ASSERT_EQ(8192, write(c.fd, self->buf, 8192));
	ASSERT_EQ(1, toy_peer_expect(p, first, TOY_ACK, 5));
	ASSERT_EQ(1460, first->len);
	ASSERT_EQ(c.rcv_nxt, first->seq);
	peer_drain(p, s);	/* the rest of the first flight */

	ASSERT_EQ(0, toy_peer_icmp(p, first, ICMP_UNREACH, ICMP_FRAG_NEEDED,
				   mtu, first->seq));
	free(first);
	ASSERT_EQ(8192, peer_collect(p, &c, s, 8192, 0, &seen, 15));
	EXPECT_EQ(mss, seen.biggest);
	EXPECT_EQ(!!df, !!seen.df);
	EXPECT_LE(1, toy_stat("MTUReduced"));
	ASSERT_EQ(0, toy_peer_reset(p, &c));
	close(c.fd);
}

/*
 * "Fragmentation needed, MTU 1000": the host lowers its MSS to 960 and
 * at once resends what was in flight at that size.
 */
TEST_F(pmtu, frag_needed_lowers_mss_and_resends)
{
	frag_needed_run(_metadata, self, 7004, 1000, 1000 - 40, 1);
}

/*
 * "Fragmentation needed, MTU 400": the route takes no less than
 * net.ipv4.route.min_pmtu (552) and locks it there; the segments carry
 * 512 bytes and go without DF, for routers to fragment (as TCP's).
 */
TEST_F(pmtu, frag_needed_below_min_pmtu_clears_df)
{
	frag_needed_run(_metadata, self, 7011, 400, 552 - 40, 0);
}

/*
 * An ICMP error must quote a sequence number the host may have in flight
 * (snd_una..snd_max, as tcp_v4_err() checks): one before or beyond that
 * is blind, maybe forged, and changes nothing: the MSS stays 1460.
 */
TEST_F(pmtu, frag_needed_outside_window_ignored)
{
	struct toy_peer *p = &self->peer;
	struct toy_pseg *s = self->s;
	struct toy_pconn c;
	struct seen seen;
	uint32_t seq;

	ASSERT_EQ(0, toy_peer_open(p, 1500));
	ASSERT_EQ(0, toy_peer_connect(p, &c, 7005, 65535));
	fill(self->buf, 4096);
	ASSERT_EQ(4096, write(c.fd, self->buf, 4096));
	ASSERT_EQ(1, toy_peer_expect(p, s, TOY_ACK, 5));
	ASSERT_EQ(1460, s->len);
	seq = s->seq;
	ASSERT_EQ(0, toy_peer_icmp(p, s, ICMP_UNREACH, ICMP_FRAG_NEEDED, 1000,
				   seq - 100000));
	ASSERT_EQ(0, toy_peer_icmp(p, s, ICMP_UNREACH, ICMP_FRAG_NEEDED, 1000,
				   seq + 100000));
	peer_drain(p, s);
	EXPECT_EQ(2, toy_stat("OutOfWindowIcmps"));
	EXPECT_EQ(0, toy_stat("MTUReduced"));

	/* The timeout resends at the old size. */
	ASSERT_EQ(1, toy_peer_expect(p, s, TOY_ACK, 5));
	EXPECT_EQ(seq, s->seq);
	EXPECT_EQ(1460, s->len);
	ASSERT_EQ(4096, peer_collect(p, &c, s, 4096, 0, &seen, 15));
	EXPECT_EQ(1460, seen.biggest);
	ASSERT_EQ(0, toy_peer_reset(p, &c));
	close(c.fd);
}

/*
 * The device's MTU drops below the MSS of an established connection
 * (loopback: 65536 to 1280): a segment sized for the old MTU would be
 * refused by IPv4 forever.  The MSS follows the route on each
 * transmission, so 64 KiB written afterwards arrive in full.
 */
TEST_F(pmtu, device_mtu_below_mss_data_still_delivered)
{
	struct writer w;
	pthread_t t;
	uint8_t *in;
	int c, sv;

	ASSERT_EQ(0, make_pair(7006, &c, &sv));
	ASSERT_EQ(0, set_mtu("lo", 1280));
	fill(self->buf, 65536);
	in = self->buf + 65536;
	w = (struct writer){ .fd = c, .buf = self->buf, .len = 65536 };
	ASSERT_EQ(0, pthread_create(&t, NULL, writer_run, &w));
	EXPECT_EQ(65536, read_all(sv, in, 65536, 15));
	if (w.ret < 65536)
		shutdown(c, SHUT_RDWR);	/* unblock the writer */
	pthread_join(t, NULL);
	EXPECT_EQ(65536, w.ret);
	EXPECT_EQ(0, memcmp(self->buf, in, 65536));
	EXPECT_LE(1, toy_stat("MTUReduced"));
	abort_close(c);
	close(sv);
}

/*
 * The same on a connection to the TUN peer whose device MTU drops from
 * 20000 to 1280 while 32 KiB wait behind a closed window.
 */
TEST_F(pmtu, tun_mtu_below_mss_queued_data_delivered)
{
	struct toy_peer *p = &self->peer;
	struct toy_pseg *s = self->s;
	struct toy_pconn c;
	struct seen seen;

	ASSERT_EQ(0, toy_peer_open(p, 20000));
	ASSERT_EQ(0, toy_peer_connect(p, &c, 7007, 0));
	fill(self->buf, 32768);
	ASSERT_EQ(32768, write(c.fd, self->buf, 32768));
	ASSERT_EQ(0, set_mtu(PEER_DEV, 1280));
	ASSERT_EQ(0, peer_ack(p, &c, c.rcv_nxt, 65535));
	ASSERT_EQ(32768, peer_collect(p, &c, s, 32768, 0, &seen, 15));
	EXPECT_GE(1280 - 40, seen.biggest);
	ASSERT_EQ(0, toy_peer_reset(p, &c));
	close(c.fd);
}

/*
 * ICMP port unreachable for our SYN fails connect() with ECONNREFUSED,
 * as TCP's: during the handshake an ICMP error is a hard one.
 */
TEST_F(pmtu, syn_sent_port_unreachable_refuses_connect)
{
	struct toy_peer *p = &self->peer;
	struct toy_pseg *s = self->s;
	struct sockaddr_toy a = taddr(PEER_ADDR, 7008);
	struct pollfd pfd = { .events = POLLOUT };
	int fd;

	ASSERT_EQ(0, toy_peer_open(p, 0));
	fd = socket(TOY_AF, SOCK_STREAM | SOCK_NONBLOCK, 0);
	ASSERT_LE(0, fd);
	ASSERT_EQ(-1, connect(fd, (struct sockaddr *)&a, sizeof(a)));
	ASSERT_EQ(EINPROGRESS, errno);
	ASSERT_EQ(1, toy_peer_expect(p, s, TOY_SYN, 5));
	ASSERT_EQ(0, toy_peer_icmp(p, s, ICMP_UNREACH, ICMP_PORT_UNREACH, 0,
				   s->seq));
	pfd.fd = fd;
	ASSERT_EQ(1, poll(&pfd, 1, 5000 * toy_timeout_scale()));
	EXPECT_EQ(ECONNREFUSED, so_error(fd));
	EXPECT_EQ(1, toy_stat("AttemptFails"));
	close(fd);
}

/*
 * On an established connection "host unreachable" is soft (RFC 1122
 * 4.2.3.9): the connection carries on, SO_ERROR reports it once, and
 * the data still arrives.
 */
TEST_F(pmtu, established_host_unreachable_is_soft)
{
	struct toy_peer *p = &self->peer;
	struct toy_pseg *s = self->s;
	struct toy_pconn c;
	struct seen seen;

	ASSERT_EQ(0, toy_peer_open(p, 0));
	ASSERT_EQ(0, toy_peer_connect(p, &c, 7009, 65535));
	fill(self->buf, 1000);
	ASSERT_EQ(1000, write(c.fd, self->buf, 1000));
	ASSERT_EQ(1, toy_peer_expect(p, s, TOY_ACK, 5));
	ASSERT_EQ(0, toy_peer_icmp(p, s, ICMP_UNREACH, ICMP_HOST_UNREACH, 0,
				   s->seq));
	usleep(100000);
	EXPECT_EQ(EHOSTUNREACH, so_error(c.fd));
	EXPECT_EQ(0, so_error(c.fd));
	ASSERT_EQ(1000, peer_collect(p, &c, s, 1000, 0, &seen, 10));
	fill(self->buf, 1000);
	EXPECT_EQ(1000, write(c.fd, self->buf, 1000));
	ASSERT_EQ(0, toy_peer_reset(p, &c));
	close(c.fd);
}

/*
 * A connected datagram socket learns ICMP port unreachable for what it
 * sent, as UDP's: its next call fails with ECONNREFUSED.
 */
TEST_F(pmtu, dgram_connected_port_unreachable)
{
	struct toy_peer *p = &self->peer;
	struct toy_pseg *s = self->s;
	struct sockaddr_toy a = taddr(PEER_ADDR, 7010);
	char b[4];
	int fd;

	ASSERT_EQ(0, toy_peer_open(p, 0));
	fd = socket(TOY_AF, SOCK_DGRAM, 0);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, connect(fd, (struct sockaddr *)&a, sizeof(a)));
	ASSERT_EQ(3, send(fd, "abc", 3, 0));
	ASSERT_EQ(1, toy_peer_recv(p, s, 5));
	ASSERT_EQ(TOY_TYPE_DGRAM, s->type);
	ASSERT_EQ(0, toy_peer_icmp(p, s, ICMP_UNREACH, ICMP_PORT_UNREACH, 0, 0));
	usleep(100000);
	EXPECT_EQ(-1, recv(fd, b, sizeof(b), MSG_DONTWAIT));
	EXPECT_EQ(ECONNREFUSED, errno);
	close(fd);
}

/* Packets of protocol IPPROTO_TOY longer than @mtu that arrived on @pk. */
static int count_longer(int pk, size_t mtu)
{
	static uint8_t pkt[65536];
	struct sockaddr_ll from;
	socklen_t fl = sizeof(from);
	const struct iphdr *iph = (const struct iphdr *)pkt;
	ssize_t n;
	int longer = 0;

	while ((n = recvfrom(pk, pkt, sizeof(pkt), 0, (struct sockaddr *)&from,
			     &fl)) > 0) {
		fl = sizeof(from);
		if (from.sll_pkttype != PACKET_OUTGOING &&
		    n >= (ssize_t)sizeof(*iph) &&
		    iph->protocol == IPPROTO_TOY && ntohs(iph->tot_len) > mtu)
			longer++;
	}
	return longer;
}

/*
 * A router cuts a run of segments up (module/gso.c).  The host, in
 * namespace toyfa, reaches the peer through this namespace, over veth,
 * which takes a run of segments as one packet; here it is forwarded to
 * the TUN device, which takes no such packet and sums no checksum.  So
 * each piece must come out with its own sequence number and its own
 * checksum, summed in software, no longer than the MTU.  A packet socket
 * on this end of the veth sees the run arrive whole.
 */
TEST_F(pmtu, forwarded_run_cut_into_summed_segments)
{
	static const uint8_t mss_1460[] = { 2, 4, 0x05, 0xb4 };
	struct sockaddr_toy a = taddr(PEER_ADDR, 7010);
	struct in_addr host = toy_in("10.34.0.2");
	struct pollfd pfd = { .events = POLLOUT };
	struct toy_peer *p = &self->peer;
	struct toy_pseg *s = self->s;
	size_t len = 8 * 1460, got = 0;
	struct sockaddr_ll ll = {
		.sll_family = AF_PACKET, .sll_protocol = htons(ETH_P_IP),
	};
	int ns, fd, pk, pieces = 0;
	struct toy_pconn c = {};
	double end;

	ASSERT_EQ(0, toy_peer_open(p, 1500));
	ASSERT_EQ(0, system("ip netns del toyfa 2>/dev/null; "
			    "ip netns add toyfa && "
			    "ip link add fa1 type veth peer name fa0 netns toyfa && "
			    "ip addr add 10.34.0.1/24 dev fa1 && ip link set fa1 up && "
			    "ip -n toyfa addr add 10.34.0.2/24 dev fa0 && "
			    "ip -n toyfa link set fa0 up && "
			    "ip -n toyfa route add 10.7.0.0/24 via 10.34.0.1"));
	ASSERT_EQ(0, toy_write_file("/proc/sys/net/ipv4/ip_forward", "1"));
	pk = socket(AF_PACKET, SOCK_DGRAM | SOCK_NONBLOCK, htons(ETH_P_IP));
	ASSERT_LE(0, pk);
	ll.sll_ifindex = if_nametoindex("fa1");
	ASSERT_EQ(0, bind(pk, (struct sockaddr *)&ll, sizeof(ll)));
	ns = open("/var/run/netns/toyfa", O_RDONLY);
	ASSERT_LE(0, ns);
	fd = sock_in(ns, SOCK_STREAM);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, fcntl(fd, F_SETFL, O_NONBLOCK));
	ASSERT_EQ(-1, connect(fd, (struct sockaddr *)&a, sizeof(a)));
	ASSERT_EQ(EINPROGRESS, errno);

	/* The handshake, from the peer's side: MSS 1460, window 65535. */
	end = toy_now() + TOY_PEER_STEP * toy_timeout_scale();
	ASSERT_EQ(1, tpeer_expect_conn(p, s, 0, 7010, TOY_SYN, end));
	ASSERT_EQ(host.s_addr, s->saddr);
	c.hport = s->sport;
	c.pport = 7010;
	c.rcv_nxt = s->seq + 1;
	c.snd_nxt = p->isn + 1;
	ASSERT_EQ(0, toy_peer_send_seg(p, &(struct toy_seg){
		.saddr = toy_in(PEER_ADDR), .daddr = host, .sport = 7010,
		.dport = c.hport, .flags = TOY_SYN | TOY_ACK, .seq = p->isn,
		.ack = c.rcv_nxt, .win = 65535, .opts = mss_1460,
		.optlen = sizeof(mss_1460) }));
	ASSERT_EQ(1, tpeer_expect_conn(p, s, c.hport, 7010, TOY_ACK, end));
	pfd.fd = fd;
	ASSERT_EQ(1, poll(&pfd, 1, TOY_PEER_STEP * toy_timeout_scale() * 1000));
	ASSERT_EQ(0, so_error(fd));
	count_longer(pk, 1500);		/* the handshake's */

	/* Eight full segments, within the first window: one run. */
	fill(self->buf, len);
	ASSERT_EQ((ssize_t)len, write(fd, self->buf, len));
	while (got < len) {
		ASSERT_EQ(1, toy_peer_recv(p, s, 5));
		if (!s->len)
			continue;
		pieces++;
		EXPECT_TRUE(s->csum_ok);
		EXPECT_GE(1500, s->ip_len);
		EXPECT_EQ(TOY_ACK, s->flags);
		ASSERT_EQ(c.rcv_nxt, s->seq);
		ASSERT_EQ(0, memcmp(s->data, self->buf + got, s->len));
		got += s->len;
		c.rcv_nxt += s->len;
	}
	EXPECT_EQ(8, pieces);
	EXPECT_LE(1, count_longer(pk, 1500));

	ASSERT_EQ(0, toy_peer_send_seg(p, &(struct toy_seg){
		.saddr = toy_in(PEER_ADDR), .daddr = host, .sport = 7010,
		.dport = c.hport, .flags = TOY_RST, .seq = c.snd_nxt }));
	close(fd);
	close(pk);
	close(ns);
	system("ip netns del toyfa");
}

TEST_HARNESS_MAIN
