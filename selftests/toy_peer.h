/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A scripted peer on a TUN device, for the selftests that need a remote
 * end which misbehaves on purpose.  In the test's network namespace the
 * TUN device "toypeer0" holds this host's address PEER_HOST (10.7.0.1/24);
 * the peer PEER_ADDR (10.7.0.2) lives "behind" it: everything the host
 * routes to 10.7.0.2 is read from the TUN file descriptor, and whatever
 * the test writes there arrives as if 10.7.0.2 had sent it.  Nothing in
 * the kernel answers for 10.7.0.2, so the peer says exactly what the test
 * writes and nothing else (no resets, no ICMP).
 *
 * toy_peer_recv() and friends parse what the host sent (AF_TOY packets
 * only: IPv4 of protocol IPPROTO_TOY, first fragments or whole packets);
 * toy_peer_send_seg() writes a segment (toy_seg.h's struct toy_seg) with
 * valid checksums, toy_peer_send() a stream segment from PEER_ADDR;
 * toy_peer_connect() and toy_peer_dial() script the three-way handshake in
 * either direction and leave a struct toy_pconn with both sequence
 * numbers, from which a test carries on by hand.
 */
#ifndef _TOY_PEER_H
#define _TOY_PEER_H

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <net/if.h>
#include <netinet/in.h>
#include <netinet/ip.h>
#include <arpa/inet.h>
#include <linux/if_tun.h>
#include <linux/toy.h>

#include "toy_lib.h"
#include "toy_net.h"
#include "toy_seg.h"

#define PEER_HOST	"10.7.0.1"	/* this host, on TUN device "toypeer0" */
#define PEER_ADDR	"10.7.0.2"	/* the scripted peer behind it */
#define PEER_DEV	"toypeer0"

/* The peer's initial sequence number, unless the test sets p->isn. */
#define TOY_PEER_ISN	1000000u

/* How long (scaled) the scripted handshakes wait for each step. */
#define TOY_PEER_STEP	10.0

struct toy_peer {
	int		fd;	/* the TUN device, non-blocking */
	uint32_t	isn;	/* ISN of the next scripted handshake */
	uint16_t	ip_id;	/* IP ID of the next packet written */
	unsigned long	sent;	/* packets written to the device */
};

/* One packet the host sent, parsed; fields in host byte order. */
struct toy_pseg {
	uint8_t		type;		/* TOY_TYPE_* */
	uint8_t		flags;		/* TOY_SYN | TOY_ACK ... */
	uint16_t	sport, dport;
	uint32_t	seq, ack;
	uint16_t	win;
	size_t		len;		/* payload bytes */
	uint8_t		data[65536];
	uint16_t	ip_len;		/* IP total length */
	uint8_t		ip_df;		/* DF bit set */
	uint8_t		raw[65536];	/* the whole IP packet */
	size_t		raw_len;
	uint8_t		doff;		/* header length, 32-bit words */
	uint8_t		opts[40];	/* header options, as sent */
	size_t		optlen;
	uint8_t		csum_ok;	/* the AF_TOY checksum verifies */
	uint8_t		ttl, tos;
	uint32_t	saddr, daddr;	/* network byte order */
};

/* A connection between a host socket and the peer, handshake done. */
struct toy_pconn {
	int		fd;		/* the host's socket */
	uint16_t	hport, pport;	/* host's and peer's port */
	uint32_t	snd_nxt;	/* the peer's next sequence number */
	uint32_t	rcv_nxt;	/* next host sequence number expected */
	uint16_t	hwin;		/* window of the host's last segment */
};

/*
 * /dev/net/tun, loading tun.ko (and creating the node, where /dev has no
 * devtmpfs) if needed.
 */
static inline int tpeer_open_tun(void)
{
	int fd = open("/dev/net/tun", O_RDWR | O_NONBLOCK | O_CLOEXEC);

	if (fd >= 0)
		return fd;
	/* A failed modprobe is no answer: tun may be built in. */
	if (system("modprobe -q tun") < 0)
		return -errno;
	fd = open("/dev/net/tun", O_RDWR | O_NONBLOCK | O_CLOEXEC);
	if (fd >= 0 || errno != ENOENT)
		return fd < 0 ? -errno : fd;
	mkdir("/dev/net", 0755);
	if (mknod("/dev/net/tun", S_IFCHR | 0666, makedev(10, 200)) &&
	    errno != EEXIST)
		return -errno;
	fd = open("/dev/net/tun", O_RDWR | O_NONBLOCK | O_CLOEXEC);
	return fd < 0 ? -errno : fd;
}

static inline int tpeer_ifreq_addr(int s, unsigned long req, const char *ip)
{
	struct sockaddr_in *sin;
	struct ifreq ifr;

	memset(&ifr, 0, sizeof(ifr));
	strcpy(ifr.ifr_name, PEER_DEV);
	sin = (struct sockaddr_in *)&ifr.ifr_addr;
	sin->sin_family = AF_INET;
	inet_pton(AF_INET, ip, &sin->sin_addr);
	return ioctl(s, req, &ifr) ? -errno : 0;
}

/* MTU @mtu, PEER_HOST/24 and up, as `ip` would do it. */
static inline int tpeer_config(int mtu)
{
	struct ifreq ifr;
	int s, err = 0;

	s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (s < 0)
		return -errno;
	memset(&ifr, 0, sizeof(ifr));
	strcpy(ifr.ifr_name, PEER_DEV);
	ifr.ifr_mtu = mtu;
	if (ioctl(s, SIOCSIFMTU, &ifr))
		err = -errno;
	if (!err)
		err = tpeer_ifreq_addr(s, SIOCSIFADDR, PEER_HOST);
	if (!err)
		err = tpeer_ifreq_addr(s, SIOCSIFNETMASK, "255.255.255.0");
	if (!err && ioctl(s, SIOCGIFFLAGS, &ifr))
		err = -errno;
	ifr.ifr_flags |= IFF_UP;
	if (!err && ioctl(s, SIOCSIFFLAGS, &ifr))
		err = -errno;
	close(s);
	return err;
}

/*
 * In the current network namespace (after new_netns()): TUN toypeer0 with
 * PEER_HOST/24, MTU @mtu (0: 1500), up; PEER_ADDR is reached through it.
 * 0 or -errno.
 */
static inline int toy_peer_open(struct toy_peer *p, int mtu)
{
	struct ifreq ifr;
	int err;

	memset(p, 0, sizeof(*p));
	p->fd = -1;
	p->isn = TOY_PEER_ISN;
	p->ip_id = 1;
	err = tpeer_open_tun();
	if (err < 0)
		return err;
	p->fd = err;
	memset(&ifr, 0, sizeof(ifr));
	strcpy(ifr.ifr_name, PEER_DEV);
	ifr.ifr_flags = IFF_TUN | IFF_NO_PI;
	if (ioctl(p->fd, TUNSETIFF, &ifr)) {
		err = -errno;
		goto fail;
	}
	/*
	 * The peer's packets must reach the stack as they are: no reverse
	 * path filter (the netns may inherit one from init_net), and no
	 * IPv6 chatter (router solicitations, MLD) on the device.  Best
	 * effort: a kernel without IPv6 has no such file.
	 */
	toy_write_file("/proc/sys/net/ipv4/conf/all/rp_filter", "0");
	toy_write_file("/proc/sys/net/ipv4/conf/" PEER_DEV "/rp_filter", "0");
	toy_write_file("/proc/sys/net/ipv6/conf/" PEER_DEV "/disable_ipv6",
		       "1");
	err = tpeer_config(mtu ? mtu : 1500);
	if (err)
		goto fail;
	return 0;
fail:
	close(p->fd);
	p->fd = -1;
	return err;
}

/* Closing the TUN fd deletes the device (it is not persistent). */
static inline void toy_peer_close(struct toy_peer *p)
{
	if (p->fd >= 0)
		close(p->fd);
	p->fd = -1;
}

/* Parse the IPv4 packet in s->raw; 1 if it is an AF_TOY one, else 0. */
static inline int tpeer_parse(struct toy_pseg *s)
{
	const struct iphdr *iph = (const struct iphdr *)s->raw;
	const struct toyhdr *th;
	size_t ihl, tot, hlen;

	if (s->raw_len < sizeof(*iph) || iph->version != 4)
		return 0;
	ihl = iph->ihl * 4;
	tot = ntohs(iph->tot_len);
	if (ihl < sizeof(*iph) || tot > s->raw_len || tot < ihl + sizeof(*th))
		return 0;
	if (iph->protocol != IPPROTO_TOY ||
	    (ntohs(iph->frag_off) & IP_OFFMASK))
		return 0;
	th = (const struct toyhdr *)(s->raw + ihl);
	hlen = th->doff * 4;
	if (hlen < sizeof(*th) || ihl + hlen > tot)
		hlen = sizeof(*th);
	s->ip_len = tot;
	s->ip_df = !!(ntohs(iph->frag_off) & IP_DF);
	s->ttl = iph->ttl;
	s->tos = iph->tos;
	s->saddr = iph->saddr;
	s->daddr = iph->daddr;
	s->type = th->type;
	s->flags = th->flags;
	s->sport = ntohs(th->source);
	s->dport = ntohs(th->dest);
	s->seq = ntohl(th->seq);
	s->ack = ntohl(th->ack_seq);
	s->win = ntohs(th->window);
	s->doff = th->doff;
	s->optlen = hlen - sizeof(*th);
	memcpy(s->opts, th + 1, s->optlen);
	s->len = tot - ihl - hlen;
	memcpy(s->data, s->raw + ihl + hlen, s->len);
	/* A fragment's checksum covers bytes this packet lacks. */
	s->csum_ok = !(ntohs(iph->frag_off) & IP_MF) &&
		     toy_csum_ok((struct in_addr){ iph->saddr },
				 (struct in_addr){ iph->daddr }, th, tot - ihl);
	return 1;
}

/* The next AF_TOY packet before the absolute time @end; 1 or 0. */
static inline int tpeer_recv_until(struct toy_peer *p, struct toy_pseg *s,
				  double end)
{
	struct pollfd pfd = { .fd = p->fd, .events = POLLIN };
	double now;
	ssize_t n;

	while ((now = toy_now()) < end) {
		int ms = (int)((end - now) * 1000) + 1;

		if (poll(&pfd, 1, ms > 50 ? 50 : ms) <= 0)
			continue;
		n = read(p->fd, s->raw, sizeof(s->raw));
		if (n <= 0)
			continue;
		s->raw_len = n;
		if (tpeer_parse(s))
			return 1;
	}
	return 0;
}

/* Next AF_TOY packet the host sent, within @secs (scaled); 1 or 0. */
static inline int toy_peer_recv(struct toy_peer *p, struct toy_pseg *s,
				double secs)
{
	return tpeer_recv_until(p, s, toy_now() + secs * toy_timeout_scale());
}

/* Next packet whose flags are exactly @flags (others skipped); 1 or 0. */
static inline int toy_peer_expect(struct toy_peer *p, struct toy_pseg *s,
				  uint8_t flags, double secs)
{
	double end = toy_now() + secs * toy_timeout_scale();

	while (tpeer_recv_until(p, s, end))
		if (s->flags == flags)
			return 1;
	return 0;
}

/* How many AF_TOY packets the host sends during @secs (not scaled). */
static inline int toy_peer_count(struct toy_peer *p, double secs)
{
	struct toy_pseg *s = malloc(sizeof(*s));
	double end = toy_now() + secs;
	int n = 0;

	if (!s)
		return -1;
	while (tpeer_recv_until(p, s, end))
		n++;
	free(s);
	return n;
}

/* Write a whole IP packet as if the peer had sent it; 0 or -errno. */
static inline int toy_peer_send_raw(struct toy_peer *p, const void *ip,
				    size_t len)
{
	ssize_t n = write(p->fd, ip, len);

	if (n < 0)
		return -errno;
	if (n != (ssize_t)len)
		return -EIO;
	p->sent++;
	return 0;
}

/* An IPv4 header from @src to @dst, checksummed. */
static inline void tpeer_iphdr_addr(struct toy_peer *p, struct iphdr *iph,
				    uint8_t proto, size_t len,
				    struct in_addr src, struct in_addr dst)
{
	memset(iph, 0, sizeof(*iph));
	iph->version = 4;
	iph->ihl = sizeof(*iph) / 4;
	iph->tot_len = htons(len);
	iph->id = htons(p->ip_id++);
	iph->frag_off = htons(IP_DF);
	iph->ttl = 64;
	iph->protocol = proto;
	iph->saddr = src.s_addr;
	iph->daddr = dst.s_addr;
	iph->check = toy_ip_csum(iph, sizeof(*iph));
}

/* An IPv4 header from PEER_ADDR to PEER_HOST, checksummed. */
static inline void tpeer_iphdr(struct toy_peer *p, struct iphdr *iph,
			       uint8_t proto, size_t len)
{
	tpeer_iphdr_addr(p, iph, proto, len, toy_in(PEER_ADDR),
			 toy_in(PEER_HOST));
}

/*
 * Segment @s in an IPv4 packet from s->saddr to s->daddr, both as @s
 * says (a source behind the TUN device, a host address); 0 or -errno.
 */
static inline int toy_peer_send_seg(struct toy_peer *p,
				    const struct toy_seg *s)
{
	size_t tot = sizeof(struct iphdr) + toy_seg_size(s);
	struct iphdr *iph;
	uint8_t *buf;
	int err;

	if (tot > 65535)
		return -EMSGSIZE;
	buf = malloc(tot);
	if (!buf)
		return -ENOMEM;
	iph = (struct iphdr *)buf;
	toy_seg_build(iph + 1, s);
	tpeer_iphdr_addr(p, iph, IPPROTO_TOY, tot, s->saddr, s->daddr);
	err = toy_peer_send_raw(p, buf, tot);
	free(buf);
	return err;
}

/*
 * A stream segment from PEER_ADDR:@sport to PEER_HOST:@dport with valid
 * checksums; 0 or -errno.
 */
static inline int toy_peer_send(struct toy_peer *p, uint16_t sport,
				uint16_t dport, uint8_t flags, uint32_t seq,
				uint32_t ack, uint16_t win, const void *data,
				size_t len)
{
	return toy_peer_send_seg(p, &(struct toy_seg){
		.saddr = toy_in(PEER_ADDR), .daddr = toy_in(PEER_HOST),
		.sport = sport, .dport = dport, .flags = flags, .seq = seq,
		.ack = ack, .win = win, .data = data, .len = len,
	});
}

/* The @i-th spoofed source behind the TUN: 10.7.0.3 .. 10.7.0.252. */
static inline struct in_addr toy_peer_spoofed(unsigned int i)
{
	return (struct in_addr){ htonl(0x0a070003 + i % 250) };
}

/*
 * A SYN (window 8192) from @saddr:@sport to PEER_HOST:@dport: a spoofed
 * source behind the TUN device, which never answers what the host sends
 * it.  0 or -errno.
 */
static inline int toy_peer_syn_from(struct toy_peer *p, struct in_addr saddr,
				    uint16_t sport, uint16_t dport,
				    uint32_t seq)
{
	return toy_peer_send_seg(p, &(struct toy_seg){
		.saddr = saddr, .daddr = toy_in(PEER_HOST), .sport = sport,
		.dport = dport, .flags = TOY_SYN, .seq = seq, .win = 8192,
	});
}

/*
 * An ICMP error @type/@code from PEER_ADDR quoting packet @s (its IP
 * header and its AF_TOY header), with the quoted sequence number @seq
 * (@s->seq leaves it as it was); @mtu goes in the second word (the
 * next-hop MTU of "fragmentation needed").
 */
static inline int toy_peer_icmp(struct toy_peer *p, const struct toy_pseg *s,
				uint8_t type, uint8_t code, uint16_t mtu,
				uint32_t seq)
{
	uint8_t buf[sizeof(struct iphdr) + 8 + 60 + sizeof(struct toyhdr)];
	const struct iphdr *q = (const struct iphdr *)s->raw;
	struct iphdr *iph = (struct iphdr *)buf;
	uint8_t *icmp = buf + sizeof(*iph);
	size_t quote = q->ihl * 4 + sizeof(struct toyhdr);
	struct toyhdr *qth;
	uint16_t csum;

	if (quote > s->raw_len)
		quote = s->raw_len;
	memset(icmp, 0, 8);
	icmp[0] = type;
	icmp[1] = code;
	icmp[6] = mtu >> 8;
	icmp[7] = mtu & 0xff;
	memcpy(icmp + 8, s->raw, quote);
	qth = (struct toyhdr *)(icmp + 8 + q->ihl * 4);
	qth->seq = htonl(seq);
	csum = toy_ip_csum(icmp, 8 + quote);
	memcpy(icmp + 2, &csum, 2);
	tpeer_iphdr(p, iph, IPPROTO_ICMP, sizeof(*iph) + 8 + quote);
	return toy_peer_send_raw(p, buf, sizeof(*iph) + 8 + quote);
}

/*
 * ICMP "fragmentation needed" (RFC 1191) from PEER_ADDR, next-hop MTU
 * @mtu, quoting packet @s as it was.
 */
static inline int toy_peer_icmp_frag_needed(struct toy_peer *p,
					    const struct toy_pseg *s,
					    uint16_t mtu)
{
	/* ICMP_DEST_UNREACH, ICMP_FRAG_NEEDED */
	return toy_peer_icmp(p, s, 3, 4, mtu, s->seq);
}

/*
 * The next segment from host port @hport (0: any) to peer port @pport
 * whose flags are exactly @flags, before @end.
 */
static inline int tpeer_expect_conn(struct toy_peer *p, struct toy_pseg *s,
				   uint16_t hport, uint16_t pport,
				   uint8_t flags, double end)
{
	while (tpeer_recv_until(p, s, end))
		if (s->flags == flags && s->dport == pport &&
		    (!hport || s->sport == hport) &&
		    s->type == TOY_TYPE_STREAM)
			return 1;
	return 0;
}

static inline int tpeer_set_blocking(int fd)
{
	int fl = fcntl(fd, F_GETFL);

	return fl < 0 ? -1 : fcntl(fd, F_SETFL, fl & ~O_NONBLOCK);
}

/*
 * The host connect()s to PEER_ADDR:@pport; the peer answers the SYN with
 * a SYN-ACK (ISN p->isn, window @win, header options @opts of @optlen
 * bytes) and takes the ACK.  The host's SYN is left in @syn if not NULL.
 * c->fd is returned blocking and ESTABLISHED; 0, or -1 with c->fd closed.
 */
static inline int toy_peer_connect_opts(struct toy_peer *p,
					struct toy_pconn *c, uint16_t pport,
					uint16_t win, const void *opts,
					size_t optlen, struct toy_pseg *syn)
{
	struct sockaddr_toy a = taddr(PEER_ADDR, pport);
	struct toy_pseg *s = malloc(sizeof(*s));
	struct pollfd pfd = { .events = POLLOUT };
	double end;

	memset(c, 0, sizeof(*c));
	c->fd = socket(TOY_AF, SOCK_STREAM | SOCK_NONBLOCK, 0);
	if (!s || c->fd < 0)
		goto fail;
	if (!connect(c->fd, (struct sockaddr *)&a, sizeof(a)) ||
	    errno != EINPROGRESS)
		goto fail;
	end = toy_now() + TOY_PEER_STEP * toy_timeout_scale();
	if (!tpeer_expect_conn(p, s, 0, pport, TOY_SYN, end))
		goto fail;
	if (syn)
		memcpy(syn, s, sizeof(*s));
	c->hport = s->sport;
	c->pport = pport;
	c->rcv_nxt = s->seq + 1;
	c->snd_nxt = p->isn;
	if (toy_peer_send_seg(p, &(struct toy_seg){
			.saddr = toy_in(PEER_ADDR), .daddr = toy_in(PEER_HOST),
			.sport = pport, .dport = c->hport,
			.flags = TOY_SYN | TOY_ACK, .seq = c->snd_nxt,
			.ack = c->rcv_nxt, .win = win, .opts = opts,
			.optlen = optlen }))
		goto fail;
	c->snd_nxt++;
	end = toy_now() + TOY_PEER_STEP * toy_timeout_scale();
	if (!tpeer_expect_conn(p, s, c->hport, pport, TOY_ACK, end) ||
	    s->ack != c->snd_nxt || s->seq != c->rcv_nxt)
		goto fail;
	c->hwin = s->win;
	pfd.fd = c->fd;
	if (poll(&pfd, 1, TOY_PEER_STEP * toy_timeout_scale() * 1000) != 1 ||
	    so_error(c->fd) || tpeer_set_blocking(c->fd))
		goto fail;
	free(s);
	return 0;
fail:
	if (c->fd >= 0)
		close(c->fd);
	c->fd = -1;
	free(s);
	return -1;
}

/* toy_peer_connect_opts() without options. */
static inline int toy_peer_connect(struct toy_peer *p, struct toy_pconn *c,
				   uint16_t pport, uint16_t win)
{
	return toy_peer_connect_opts(p, c, pport, win, NULL, 0, NULL);
}

/*
 * The peer connects from port @pport to the host's listener @lfd (bound
 * to PEER_HOST or any, port @lport): SYN (ISN p->isn, window @win,
 * header options @opts of @optlen bytes), the host's SYN-ACK (left in
 * @synack if not NULL), ACK (window @win); then the host accept()s c->fd
 * (blocking).  0 or -1.
 */
static inline int toy_peer_dial_opts(struct toy_peer *p, struct toy_pconn *c,
				     int lfd, uint16_t lport, uint16_t pport,
				     uint16_t win, const void *opts,
				     size_t optlen, struct toy_pseg *synack)
{
	struct toy_pseg *s = malloc(sizeof(*s));
	struct pollfd pfd = { .fd = lfd, .events = POLLIN };
	double end;

	memset(c, 0, sizeof(*c));
	c->fd = -1;
	c->hport = lport;
	c->pport = pport;
	c->snd_nxt = p->isn;
	if (!s || toy_peer_send_seg(p, &(struct toy_seg){
			.saddr = toy_in(PEER_ADDR), .daddr = toy_in(PEER_HOST),
			.sport = pport, .dport = lport, .flags = TOY_SYN,
			.seq = c->snd_nxt, .win = win, .opts = opts,
			.optlen = optlen }))
		goto fail;
	c->snd_nxt++;
	end = toy_now() + TOY_PEER_STEP * toy_timeout_scale();
	if (!tpeer_expect_conn(p, s, lport, pport, TOY_SYN | TOY_ACK, end) ||
	    s->ack != c->snd_nxt)
		goto fail;
	if (synack)
		memcpy(synack, s, sizeof(*s));
	c->rcv_nxt = s->seq + 1;
	c->hwin = s->win;
	if (toy_peer_send(p, pport, lport, TOY_ACK, c->snd_nxt, c->rcv_nxt,
			  win, NULL, 0))
		goto fail;
	if (poll(&pfd, 1, TOY_PEER_STEP * toy_timeout_scale() * 1000) != 1)
		goto fail;
	c->fd = accept(lfd, NULL, NULL);
	if (c->fd < 0 || tpeer_set_blocking(c->fd))
		goto fail;
	free(s);
	return 0;
fail:
	if (c->fd >= 0)
		close(c->fd);
	c->fd = -1;
	free(s);
	return -1;
}

/* toy_peer_dial_opts() without options. */
static inline int toy_peer_dial(struct toy_peer *p, struct toy_pconn *c,
				int lfd, uint16_t lport, uint16_t pport,
				uint16_t win)
{
	return toy_peer_dial_opts(p, c, lfd, lport, pport, win, NULL, 0, NULL);
}

/*
 * Script steps on a connection, at the peer's current sequence numbers,
 * so that a test reads as what the peer does:
 *	toy_peer_expect(p, s, TOY_SYN, 5);		"the host sends a SYN"
 *	toy_peer_data(p, c, 0, "x", 1);			"one byte, window 0"
 *	EXPECT_EQ(0, toy_peer_count(p, 2.0));		"then nothing for 2 s"
 *	toy_peer_reset(p, c);				"the peer resets"
 */

/* A pure ACK of c->rcv_nxt with window @win. */
static inline int toy_peer_ack(struct toy_peer *p, const struct toy_pconn *c,
			       uint16_t win)
{
	return toy_peer_send(p, c->pport, c->hport, TOY_ACK, c->snd_nxt,
			     c->rcv_nxt, win, NULL, 0);
}

/* @len bytes of data with window @win; the peer's sequence moves on. */
static inline int toy_peer_data(struct toy_peer *p, struct toy_pconn *c,
				uint16_t win, const void *data, size_t len)
{
	int err = toy_peer_send(p, c->pport, c->hport, TOY_ACK, c->snd_nxt,
				c->rcv_nxt, win, data, len);

	if (!err)
		c->snd_nxt += len;
	return err;
}

/* A reset at the exact sequence number: the host takes it. */
static inline int toy_peer_reset(struct toy_peer *p, const struct toy_pconn *c)
{
	return toy_peer_send(p, c->pport, c->hport, TOY_RST, c->snd_nxt, 0, 0,
			     NULL, 0);
}

#endif /* _TOY_PEER_H */
