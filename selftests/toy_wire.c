// SPDX-License-Identifier: GPL-2.0
/*
 * AF_TOY on the wire: the segment header, validation of what arrives, and
 * the reset a closed port answers with.  A raw IPv4 socket of protocol
 * IPPROTO_TOY plays the remote peer, as packetdrill does for TCP: it sends
 * crafted segments to 127.0.0.1 and reads what the module sends back.
 * Every test runs in a fresh network namespace with lo up.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <stddef.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <net/if.h>
#include <netinet/in.h>
#include <netinet/ip.h>
#include <arpa/inet.h>
#include <linux/toy.h>

#include "kselftest_harness.h"
#include "toy_lib.h"
#include "toy_net.h"
#include "toy_seg.h"

/* Payload bytes for the segments sent (up to 40). */
static const char xdata[] = "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx";

FIXTURE(wire) {
	int raw;
	struct in_addr lo;
};

FIXTURE_SETUP(wire)
{
	ASSERT_EQ(0, toy_live_wait_zero(5));
	ASSERT_EQ(0, new_netns());
	self->raw = socket(AF_INET, SOCK_RAW, IPPROTO_TOY);
	ASSERT_LE(0, self->raw);
	inet_pton(AF_INET, "127.0.0.1", &self->lo);
}

FIXTURE_TEARDOWN(wire)
{
	close(self->raw);
	EXPECT_EQ(0, toy_live_wait_zero(5));
}

/*
 * Send @s with its checksum broken (@bad_csum), or only its first @cut
 * bytes (0: all of it).
 */
static void send_mangled(int raw, const struct toy_seg *s, int bad_csum,
			 size_t cut)
{
	uint8_t buf[sizeof(struct toyhdr) + sizeof(xdata)];
	struct toyhdr *th = (struct toyhdr *)buf;
	size_t len = toy_seg_build(buf, s);

	if (bad_csum)
		th->check ^= htons(1);
	toy_seg_sendto(raw, s->daddr, buf, cut ? cut : len);
}

/*
 * Wait for a segment from port @sport to port @dport; 1 and the header in
 * @out (checksum verified), 0 if none came within @secs (scaled).
 */
static int recv_seg(struct __test_metadata *_metadata, int raw,
		    int sport, int dport, struct toyhdr *out, double secs)
{
	struct toy_sniffed got;

	if (!toy_seg_sniff(raw, sport, dport, &got, secs))
		return 0;
	/* Loopback sums for us: the field holds the pseudo-header's sum. */
	EXPECT_TRUE(got.csum_partial);
	EXPECT_EQ(IPPROTO_TOY, got.ip.protocol);
	EXPECT_NE(0, got.ip.frag_off & htons(IP_DF));
	*out = got.th;
	return 1;
}

TEST(header_layout)
{
	ASSERT_EQ(20, sizeof(struct toyhdr));
	ASSERT_EQ(0, offsetof(struct toyhdr, source));
	ASSERT_EQ(2, offsetof(struct toyhdr, dest));
	ASSERT_EQ(4, offsetof(struct toyhdr, seq));
	ASSERT_EQ(8, offsetof(struct toyhdr, ack_seq));
	ASSERT_EQ(12, offsetof(struct toyhdr, doff));
	ASSERT_EQ(13, offsetof(struct toyhdr, flags));
	ASSERT_EQ(14, offsetof(struct toyhdr, window));
	ASSERT_EQ(16, offsetof(struct toyhdr, check));
	ASSERT_EQ(5, TOY_DOFF);
	/* TCP's flag bits. */
	ASSERT_EQ(0x01, TOY_FIN);
	ASSERT_EQ(0x02, TOY_SYN);
	ASSERT_EQ(0x04, TOY_RST);
	ASSERT_EQ(0x10, TOY_ACK);
}

/* A SYN to a closed port: RST|ACK acknowledging the SYN, seq 0. */
TEST_F(wire, closed_port_resets_syn)
{
	long rsts = toy_stat("OutRsts"), in = toy_stat("InSegs");
	struct toyhdr th;

	toy_seg_send(self->raw, TOY_SEG_SELF(self->lo, .sport = 5000,
					     .dport = 6000, .flags = TOY_SYN,
					     .seq = 1000, .win = 1024));
	ASSERT_EQ(1, recv_seg(_metadata, self->raw, 6000, 5000, &th, 5));
	EXPECT_EQ(TOY_RST | TOY_ACK, th.flags);
	EXPECT_EQ(0, ntohl(th.seq));
	EXPECT_EQ(1001, ntohl(th.ack_seq));
	EXPECT_EQ(TOY_DOFF, th.doff);
	EXPECT_EQ(rsts + 1, toy_stat("OutRsts"));
	EXPECT_LT(in, toy_stat("InSegs"));
}

/* With an ACK, the reset takes the acknowledged number as its own. */
TEST_F(wire, reset_takes_ack_number)
{
	struct toyhdr th;

	toy_seg_send(self->raw, TOY_SEG_SELF(self->lo, .sport = 5001,
					     .dport = 6001, .flags = TOY_ACK,
					     .seq = 50, .ack = 777, .win = 1024,
					     .data = xdata, .len = 10));
	ASSERT_EQ(1, recv_seg(_metadata, self->raw, 6001, 5001, &th, 5));
	EXPECT_EQ(TOY_RST, th.flags);
	EXPECT_EQ(777, ntohl(th.seq));
}

/* Data, SYN and FIN all count in what the reset acknowledges. */
TEST_F(wire, reset_acks_whole_segment)
{
	struct toyhdr th;

	toy_seg_send(self->raw, TOY_SEG_SELF(self->lo, .sport = 5002,
					     .dport = 6002,
					     .flags = TOY_SYN | TOY_FIN,
					     .seq = 10, .win = 1024,
					     .data = xdata, .len = 5));
	ASSERT_EQ(1, recv_seg(_metadata, self->raw, 6002, 5002, &th, 5));
	EXPECT_EQ(TOY_RST | TOY_ACK, th.flags);
	EXPECT_EQ(10 + 5 + 1 + 1, ntohl(th.ack_seq));
}

/* A bound socket that does not listen is no listener: reset. */
TEST_F(wire, bound_not_listening_resets)
{
	struct sockaddr_toy a = {
		.stoy_family = TOY_AF, .stoy_port = htons(6003),
	};
	int fd = socket(TOY_AF, SOCK_STREAM, 0);
	struct toyhdr th;

	ASSERT_EQ(0, bind(fd, (struct sockaddr *)&a, sizeof(a)));
	toy_seg_send(self->raw, TOY_SEG_SELF(self->lo, .sport = 5003,
					     .dport = 6003, .flags = TOY_SYN,
					     .seq = 1, .win = 1024));
	ASSERT_EQ(1, recv_seg(_metadata, self->raw, 6003, 5003, &th, 5));
	EXPECT_EQ(TOY_RST | TOY_ACK, th.flags);
	close(fd);
}

/* Never a reset in answer to a reset. */
TEST_F(wire, no_reset_to_reset)
{
	long rsts = toy_stat("OutRsts");
	struct toyhdr th;

	toy_seg_send(self->raw, TOY_SEG_SELF(self->lo, .sport = 5004,
					     .dport = 6004, .flags = TOY_RST,
					     .seq = 1, .win = 1024));
	EXPECT_EQ(0, recv_seg(_metadata, self->raw, 6004, 5004, &th, 1));
	EXPECT_EQ(rsts, toy_stat("OutRsts"));
	EXPECT_LT(0, toy_stat("InSegs"));
}

/* Malformed segments are dropped and counted, never answered. */
TEST_F(wire, bad_segments_dropped)
{
	long csum = toy_stat("InCsumErrors"), errs = toy_stat("InErrs");
	long rsts = toy_stat("OutRsts"), opterrs = toy_stat("InOptErrors");
	struct toyhdr th;

	/* A bad checksum. */
	send_mangled(self->raw, TOY_SEG_SELF(self->lo, .sport = 5005,
					     .dport = 6005, .flags = TOY_SYN,
					     .seq = 1, .win = 1024), 1, 0);
	/* Shorter than the header. */
	send_mangled(self->raw, TOY_SEG_SELF(self->lo, .sport = 5006,
					     .dport = 6006, .flags = TOY_SYN,
					     .seq = 1, .win = 1024), 0, 10);
	/* Options that do not parse: "xxxx", a length past the header. */
	toy_seg_send(self->raw, TOY_SEG_SELF(self->lo, .sport = 5007,
					     .dport = 6007, .flags = TOY_SYN,
					     .seq = 1, .win = 1024,
					     .data = xdata, .len = 8,
					     .doff = 6));
	/* A header length below TOY_DOFF, and one past the packet. */
	toy_seg_send(self->raw, TOY_SEG_SELF(self->lo, .sport = 5008,
					     .dport = 6008, .flags = TOY_SYN,
					     .seq = 1, .win = 1024, .doff = 4));
	toy_seg_send(self->raw, TOY_SEG_SELF(self->lo, .sport = 5009,
					     .dport = 6009, .flags = TOY_SYN,
					     .seq = 1, .win = 1024,
					     .data = xdata, .len = 8,
					     .doff = 15));
	EXPECT_EQ(0, recv_seg(_metadata, self->raw, 6005, 5005, &th, 1));
	EXPECT_EQ(0, recv_seg(_metadata, self->raw, 6006, 5006, &th, 0.2));
	EXPECT_EQ(0, recv_seg(_metadata, self->raw, 6007, 5007, &th, 0.2));
	EXPECT_EQ(0, recv_seg(_metadata, self->raw, 6008, 5008, &th, 0.2));
	EXPECT_EQ(0, recv_seg(_metadata, self->raw, 6009, 5009, &th, 0.2));
	EXPECT_EQ(csum + 1, toy_stat("InCsumErrors"));
	EXPECT_EQ(opterrs + 1, toy_stat("InOptErrors"));
	EXPECT_EQ(errs + 5, toy_stat("InErrs"));
	EXPECT_EQ(rsts, toy_stat("OutRsts"));
}

/* OutRsts once it reaches @want, or its value after @secs (scaled). */
static long wait_rsts(long want, double secs)
{
	double end = toy_now() + secs * toy_timeout_scale();
	long n;

	while ((n = toy_stat("OutRsts")) < want && toy_now() < end)
		usleep(10000);
	return n;
}

/*
 * Many segments in bursts: every one answered, nothing leaks.  A burst
 * of 200 fits the loopback device's input queue (netdev_max_backlog,
 * 1000) however slowly the kernel drains it.
 */
TEST_F(wire, reset_flood)
{
	long rsts = toy_stat("OutRsts");
	int i;

	for (i = 0; i < 2000; i++) {
		struct toy_seg syn = {
			.saddr = self->lo, .daddr = self->lo,
			.sport = 10000 + i, .dport = 7000, .flags = TOY_SYN,
			.seq = i, .win = 1024, .data = xdata, .len = i % 40,
		};

		toy_seg_send(self->raw, &syn);
		if (i % 200 == 199)
			wait_rsts(rsts + i + 1, 10);
	}
	EXPECT_EQ(rsts + 2000, wait_rsts(rsts + 2000, 10));
}

/* connect() to a closed port: a SYN goes out, the reset refuses it. */
TEST_F(wire, connect_refused)
{
	struct sockaddr_toy a = taddr("127.0.0.1", 7100);
	long rsts = toy_stat("OutRsts");
	struct pollfd p = { .events = POLLOUT };
	int fd = socket(TOY_AF, SOCK_STREAM, 0), port;

	ASSERT_LE(0, fd);
	EXPECT_EQ(-1, connect(fd, (struct sockaddr *)&a, sizeof(a)));
	EXPECT_EQ(ECONNREFUSED, errno);
	EXPECT_EQ(rsts + 1, toy_stat("OutRsts"));
	/* The automatic port went back; the socket may try again. */
	EXPECT_EQ(0, local_port(fd));
	EXPECT_EQ(0, so_error(fd));

	/* Nonblocking: EINPROGRESS, then poll and SO_ERROR tell. */
	fcntl(fd, F_SETFL, O_NONBLOCK);
	if (connect(fd, (struct sockaddr *)&a, sizeof(a)))
		EXPECT_EQ(EINPROGRESS, errno);
	p.fd = fd;
	EXPECT_EQ(1, poll(&p, 1, 5000));
	EXPECT_NE(0, p.revents & POLLERR);
	EXPECT_EQ(ECONNREFUSED, so_error(fd));
	EXPECT_EQ(0, so_error(fd));
	port = local_port(fd);
	EXPECT_EQ(0, port);
	close(fd);
}

/* After a refused attempt, the next one is a fresh start, not a hang-up. */
TEST_F(wire, retry_after_refused)
{
	struct sockaddr_toy closed = taddr("127.0.0.1", 7105);
	struct sockaddr_toy silent = taddr("10.9.0.2", 7105);
	struct pollfd p = { .events = POLLIN | POLLOUT | POLLRDHUP };
	int fd = socket(TOY_AF, SOCK_STREAM, 0);

	ASSERT_LE(0, fd);
	EXPECT_EQ(-1, connect(fd, (struct sockaddr *)&closed, sizeof(closed)));
	EXPECT_EQ(ECONNREFUSED, errno);
	fcntl(fd, F_SETFL, O_NONBLOCK);
	EXPECT_EQ(-1, connect(fd, (struct sockaddr *)&silent, sizeof(silent)));
	EXPECT_EQ(EINPROGRESS, errno);
	/* Still connecting: nothing to report yet. */
	p.fd = fd;
	EXPECT_EQ(0, poll(&p, 1, 300));
	EXPECT_EQ(0, p.revents);
	EXPECT_NE(0, local_port(fd));
	close(fd);
}

/* What a SYN looks like, and that initial sequence numbers differ. */
TEST_F(wire, syn_segment)
{
	struct sockaddr_toy a = taddr("127.0.0.1", 7101);
	struct toyhdr th[2];
	int i, fd, port;

	for (i = 0; i < 2; i++) {
		fd = socket(TOY_AF, SOCK_STREAM, 0);
		ASSERT_LE(0, fd);
		ASSERT_EQ(0, bind(fd, (struct sockaddr *)&(struct sockaddr_toy)
				  { .stoy_family = TOY_AF }, sizeof(a)));
		port = local_port(fd);
		EXPECT_EQ(-1, connect(fd, (struct sockaddr *)&a, sizeof(a)));
		EXPECT_EQ(ECONNREFUSED, errno);
		/* From that port to 7101 (the raw socket sees it arrive). */
		ASSERT_EQ(1, recv_seg(_metadata, self->raw, port, 7101, &th[i],
				      5));
		EXPECT_EQ(TOY_SYN, th[i].flags);
		/*
		 * MSS, SACK permitted, timestamps and window scale: TCP's
		 * five words.
		 */
		EXPECT_EQ(TOY_DOFF + 5, th[i].doff);
		EXPECT_EQ(0, ntohl(th[i].ack_seq));
		EXPECT_LT(0, ntohs(th[i].window));
		close(fd);
	}
	EXPECT_NE(th[0].seq, th[1].seq);
}

/* A silent peer: SYN sent 1 + syn_retries times, 1 s, 2 s, 4 s apart. */
TEST_F(wire, connect_timeout)
{
	struct sockaddr_toy a = taddr("10.9.0.2", 7102);
	long out = toy_stat("OutSegs");
	int fd = socket(TOY_AF, SOCK_STREAM, 0);
	double t0, took;

	ASSERT_EQ(0, sysctl_write("syn_retries", "2"));
	EXPECT_EQ(-EINVAL, sysctl_write("syn_retries", "0"));
	EXPECT_EQ(-EINVAL, sysctl_write("syn_retries", "128"));
	t0 = toy_now();
	EXPECT_EQ(-1, connect(fd, (struct sockaddr *)&a, sizeof(a)));
	EXPECT_EQ(ETIMEDOUT, errno);
	took = toy_now() - t0;
	EXPECT_LE(6.5, took);
	EXPECT_GE(7 + 3 * toy_timeout_scale(), took);
	EXPECT_EQ(out + 3, toy_stat("OutSegs"));
	EXPECT_EQ(0, local_port(fd));
	close(fd);
}

/* In SYN_SENT only a reset that acknowledges our SYN counts. */
TEST_F(wire, blind_reset_ignored)
{
	struct sockaddr_toy a = taddr("127.0.0.1", 7103);
	int lfd = socket(TOY_AF, SOCK_STREAM, 0);
	int fd = socket(TOY_AF, SOCK_STREAM, 0);
	int filler = socket(TOY_AF, SOCK_STREAM, 0);
	struct toyhdr syn, th;
	uint32_t iss;
	int port;

	/*
	 * A listener with a full accept queue drops SYNs (as TCP), which
	 * keeps the connect() below in SYN_SENT for the raw peer to play.
	 */
	ASSERT_EQ(0, bind(lfd, (struct sockaddr *)&a, sizeof(a)));
	ASSERT_EQ(0, listen(lfd, 0));
	ASSERT_EQ(0, connect(filler, (struct sockaddr *)&a, sizeof(a)));
	fcntl(fd, F_SETFL, O_NONBLOCK);
	EXPECT_EQ(-1, connect(fd, (struct sockaddr *)&a, sizeof(a)));
	EXPECT_EQ(EINPROGRESS, errno);
	port = local_port(fd);
	ASSERT_EQ(1, recv_seg(_metadata, self->raw, port, 7103, &syn, 5));
	iss = ntohl(syn.seq);

	/* Wrong acknowledgment: ignored (and answered with nothing). */
	toy_seg_send(self->raw, TOY_SEG_SELF(self->lo, .sport = 7103,
					     .dport = port,
					     .flags = TOY_RST | TOY_ACK,
					     .ack = iss + 100, .win = 1024));
	/* No ACK at all: ignored. */
	toy_seg_send(self->raw, TOY_SEG_SELF(self->lo, .sport = 7103,
					     .dport = port, .flags = TOY_RST,
					     .seq = iss, .win = 1024));
	usleep(200000);
	EXPECT_EQ(0, so_error(fd));
	EXPECT_EQ(port, local_port(fd));
	/* An ACK of something else (no RST) is answered with a reset. */
	toy_seg_send(self->raw, TOY_SEG_SELF(self->lo, .sport = 7103,
					     .dport = port, .flags = TOY_ACK,
					     .ack = iss + 7, .win = 1024));
	ASSERT_EQ(1, recv_seg(_metadata, self->raw, port, 7103, &th, 5));
	EXPECT_EQ(TOY_RST, th.flags);
	EXPECT_EQ(iss + 7, ntohl(th.seq));
	EXPECT_EQ(0, so_error(fd));
	/* The right one refuses the connection. */
	toy_seg_send(self->raw, TOY_SEG_SELF(self->lo, .sport = 7103,
					     .dport = port,
					     .flags = TOY_RST | TOY_ACK,
					     .ack = iss + 1, .win = 1024));
	usleep(200000);
	EXPECT_EQ(ECONNREFUSED, so_error(fd));
	EXPECT_EQ(0, local_port(fd));
	close(fd);
	/* The filler leaves abortively: no TIME_WAIT behind it. */
	setsockopt(filler, SOL_SOCKET, SO_LINGER, &(struct linger){ 1, 0 },
		   sizeof(struct linger));
	close(filler);
	close(lfd);
}

/* Closing while SYN_SENT disarms the timer: nothing stays behind. */
TEST_F(wire, close_while_connecting)
{
	struct sockaddr_toy a = taddr("10.9.0.2", 7104);
	int fds[200], i;

	for (i = 0; i < 200; i++) {
		fds[i] = socket(TOY_AF, SOCK_STREAM | SOCK_NONBLOCK, 0);
		ASSERT_LE(0, fds[i]);
		a.stoy_port = htons(7104 + i % 7);
		EXPECT_EQ(-1, connect(fds[i], (struct sockaddr *)&a,
				      sizeof(a)));
		EXPECT_EQ(EINPROGRESS, errno);
	}
	EXPECT_EQ(200, toy_live("timers"));
	for (i = 0; i < 200; i++)
		close(fds[i]);
	EXPECT_EQ(0, toy_live_wait("timers", 0, 5));
	EXPECT_EQ(0, toy_live_wait("sockets", 0, 5));
}

/* Close @fd with a reset (SO_LINGER 0): no TIME_WAIT entry. */
static void abort_close(int fd)
{
	struct linger lg = { .l_onoff = 1, .l_linger = 0 };

	setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
	close(fd);
}

/* The next segment @sport -> @dport on @raw that carries data. */
static int sniff_data(int raw, int sport, int dport, struct toy_sniffed *got)
{
	do {
		if (!toy_seg_sniff(raw, sport, dport, got, 5))
			return 0;
	} while (!got->len);
	return 1;
}

/*
 * Loopback sums any protocol (NETIF_F_HW_CSUM), so the sender leaves the
 * checksum to it, as TCP does: data, ACKs and datagrams all leave with
 * the pseudo-header's sum alone in the field, and are taken in.
 */
TEST_F(wire, checksum_left_to_loopback)
{
	int l = toy_listener("127.0.0.1", 7200, 1), c, s, d;
	struct sockaddr_toy a = taddr("127.0.0.1", 7200);
	struct toy_sniffed got;
	char buf[8];

	ASSERT_LE(0, l);
	c = socket(TOY_AF, SOCK_STREAM, 0);
	ASSERT_EQ(0, connect(c, (struct sockaddr *)&a, sizeof(a)));
	s = accept(l, NULL, NULL);
	ASSERT_LE(0, s);
	ASSERT_EQ(5, write(c, "hello", 5));
	ASSERT_EQ(1, sniff_data(self->raw, local_port(c), 7200, &got));
	EXPECT_TRUE(got.csum_partial);
	EXPECT_FALSE(got.csum_ok);
	ASSERT_EQ(1, toy_seg_sniff(self->raw, 7200, local_port(c), &got, 5));
	EXPECT_EQ(TOY_ACK, got.th.flags);
	EXPECT_TRUE(got.csum_partial);
	EXPECT_EQ(5, read(s, buf, sizeof(buf)));

	d = socket(TOY_AF, SOCK_DGRAM, 0);
	ASSERT_LE(0, d);
	a.stoy_port = htons(7201);
	ASSERT_EQ(3, sendto(d, "abc", 3, 0, (struct sockaddr *)&a, sizeof(a)));
	ASSERT_EQ(1, toy_seg_sniff(self->raw, local_port(d), 7201, &got, 5));
	EXPECT_EQ(TOY_TYPE_DGRAM, got.th.type);
	EXPECT_TRUE(got.csum_partial);
	close(d);
	abort_close(c);		/* no TIME_WAIT left behind */
	close(s);
	close(l);
}

/* A raw IPPROTO_TOY socket made in namespace @ns, or -1. */
static int raw_in(int ns)
{
	int self = open("/proc/self/ns/net", O_RDONLY), fd;

	if (self < 0 || setns(ns, CLONE_NEWNET))
		return -1;
	fd = socket(AF_INET, SOCK_RAW, IPPROTO_TOY);
	if (setns(self, CLONE_NEWNET))
		fd = -1;
	close(self);
	return fd;
}

/*
 * Namespace toycw, joined to this one by veth (cw0 10.31.0.1 here, cw1
 * 10.31.0.2 there): its descriptor, or -1.
 */
static int veth_peer_ns(void)
{
	if (system("ip netns del toycw 2>/dev/null; "
		   "ip netns add toycw && "
		   "ip link add cw0 type veth peer name cw1 netns toycw && "
		   "ip addr add 10.31.0.1/24 dev cw0 && ip link set cw0 up && "
		   "ip -n toycw addr add 10.31.0.2/24 dev cw1 && "
		   "ip -n toycw link set cw1 up"))
		return -1;
	return open("/var/run/netns/toycw", O_RDONLY);
}

/*
 * Beyond loopback the sender computes a segment's checksum itself, even
 * on a device that offers to (veth, whose packets may go on through a
 * bridge to a NIC that sums only TCP and UDP): the receiver sees a whole
 * one.
 */
TEST_F(wire, checksum_in_software_beyond_loopback)
{
	struct sockaddr_toy a = taddr("10.31.0.2", 7202);
	struct toy_sniffed got;
	int ns, raw, l, c, s, n = 0, r;
	char buf[8];

	ns = veth_peer_ns();
	ASSERT_LE(0, ns);
	raw = raw_in(ns);
	l = sock_in(ns, SOCK_STREAM);
	ASSERT_LE(0, raw);
	ASSERT_LE(0, l);
	ASSERT_EQ(0, bind(l, (struct sockaddr *)&a, sizeof(a)));
	ASSERT_EQ(0, listen(l, 1));
	c = socket(TOY_AF, SOCK_STREAM, 0);
	ASSERT_EQ(0, connect(c, (struct sockaddr *)&a, sizeof(a)));
	s = accept(l, NULL, NULL);
	ASSERT_LE(0, s);

	ASSERT_EQ(3, write(c, "abc", 3));
	ASSERT_EQ(1, sniff_data(raw, local_port(c), 7202, &got));
	EXPECT_TRUE(got.csum_ok);
	EXPECT_FALSE(got.csum_partial);
	ASSERT_EQ(3, write(c, "def", 3));

	setsockopt(s, SOL_SOCKET, SO_RCVTIMEO,
		   &(struct timeval){ .tv_sec = 10 * toy_timeout_scale() },
		   sizeof(struct timeval));
	while (n < 6 && (r = read(s, buf + n, sizeof(buf) - n)) > 0)
		n += r;
	EXPECT_EQ(6, n);
	EXPECT_EQ(0, memcmp(buf, "abcdef", 6));
	abort_close(c);
	close(s);
	close(l);
	close(raw);
	close(ns);
	system("ip netns del toycw");
}

static uint8_t pattern(size_t i)
{
	return (uint8_t)(i * 7 + i / 251);
}

/*
 * Over veth, which takes GSO packets whole and sums any checksum, a run
 * of full segments goes as one packet: longer than the MTU, the checksum
 * left partial (the pieces are summed only if a device cuts it up).  The
 * receiver takes it whole and reads every byte as written.
 */
TEST_F(wire, segments_cross_veth_in_runs)
{
	struct sockaddr_toy a = taddr("10.31.0.2", 7203);
	size_t len = 1 << 20, sent = 0, got_bytes = 0, i;
	struct toy_sniffed got;
	int ns, raw, l, c, s, r, runs = 0, segs = 0;
	uint8_t *buf = malloc(len), rbuf[65536];
	int one = 1;

	ASSERT_NE(NULL, buf);
	for (i = 0; i < len; i++)
		buf[i] = pattern(i);
	ns = veth_peer_ns();
	ASSERT_LE(0, ns);
	raw = raw_in(ns);
	l = sock_in(ns, SOCK_STREAM);
	ASSERT_LE(0, raw);
	ASSERT_LE(0, l);
	ASSERT_EQ(0, bind(l, (struct sockaddr *)&a, sizeof(a)));
	ASSERT_EQ(0, listen(l, 1));
	c = socket(TOY_AF, SOCK_STREAM, 0);
	ASSERT_EQ(0, setsockopt(c, SOL_TOY, TOY_NODELAY, &one, sizeof(one)));
	ASSERT_EQ(0, connect(c, (struct sockaddr *)&a, sizeof(a)));
	s = accept(l, NULL, NULL);
	ASSERT_LE(0, s);
	setsockopt(s, SOL_SOCKET, SO_RCVTIMEO,
		   &(struct timeval){ .tv_sec = 10 * toy_timeout_scale() },
		   sizeof(struct timeval));
	ASSERT_EQ(0, fcntl(c, F_SETFL, O_NONBLOCK));

	while (got_bytes < len) {
		if (sent < len) {
			r = write(c, buf + sent, len - sent);
			if (r > 0)
				sent += r;
			else
				ASSERT_EQ(EAGAIN, errno);
		}
		r = read(s, rbuf, sizeof(rbuf));
		ASSERT_LT(0, r);
		for (i = 0; i < (size_t)r; i++)
			if (rbuf[i] != pattern(got_bytes + i))
				break;
		ASSERT_EQ((size_t)r, i);
		got_bytes += r;
	}
	/* What the peer's namespace saw arrive, a packet at a time. */
	while (toy_seg_sniff(raw, local_port(c), 7203, &got, 0.2)) {
		if (!got.len)
			continue;
		segs++;
		if (ntohs(got.ip.tot_len) <= 1500) {
			EXPECT_TRUE(got.csum_ok);
			continue;
		}
		runs++;
		EXPECT_TRUE(got.csum_partial);
		EXPECT_NE(0, got.ip.frag_off & htons(IP_DF));
	}
	EXPECT_LT(0, runs);
	TH_LOG("%d data packets, %d of them runs of segments", segs, runs);
	abort_close(c);
	close(s);
	close(l);
	close(raw);
	close(ns);
	free(buf);
	system("ip netns del toycw");
}

TEST_HARNESS_MAIN
