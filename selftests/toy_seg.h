/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Helpers of the selftests that craft AF_TOY segments by hand (a raw
 * IPv4 socket of protocol IPPROTO_TOY playing the peer): one builder of
 * segments from named fields, the checksums (tools/toy_csum.h), the
 * segments a raw socket sees, and SO_ERROR.
 */
#ifndef _TOY_SEG_H
#define _TOY_SEG_H

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <stddef.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <poll.h>
#include <netinet/ip.h>
#include <linux/toy.h>

#include "toy_lib.h"
#include "toy_csum.h"

static inline int so_error(int fd)
{
	int val = -1;
	socklen_t len = sizeof(val);

	getsockopt(fd, SOL_SOCKET, SO_ERROR, &val, &len);
	return val;
}

static inline struct in_addr toy_in(const char *ip)
{
	struct in_addr a;

	inet_pton(AF_INET, ip, &a);
	return a;
}

/*
 * A segment to write by hand, fields in host byte order.  What is left
 * out is zero on the wire, but the header length: 0 there means
 * TOY_DOFF and the options' words.  The addresses are those of the
 * checksum's pseudo-header.
 */
struct toy_seg {
	struct in_addr	saddr, daddr;
	uint16_t	sport, dport;
	uint32_t	seq, ack;
	uint8_t		flags;		/* TOY_SYN | TOY_ACK ... */
	uint8_t		type;		/* TOY_TYPE_STREAM when left out */
	uint8_t		doff;		/* header length in words; 0: TOY_DOFF */
	uint16_t	win;
	const void	*opts;		/* @optlen bytes of header options */
	size_t		optlen;		/* a multiple of 4, at most 40 */
	const void	*data;		/* @len bytes of payload */
	size_t		len;
};

/*
 * A segment from address @addr of this host to itself, the other fields
 * named: what a raw socket sends with a checksum that holds, e.g.
 *	toy_seg_send(raw, TOY_SEG_SELF(lo, .sport = 5000, .dport = 6000,
 *				       .flags = TOY_SYN, .seq = 1));
 */
#define TOY_SEG_SELF(addr, ...)						\
	(&(struct toy_seg){ .saddr = (addr), .daddr = (addr), __VA_ARGS__ })

/* Bytes toy_seg_build() writes for @s. */
static inline size_t toy_seg_size(const struct toy_seg *s)
{
	return sizeof(struct toyhdr) + s->optlen + s->len;
}

/*
 * Header and payload of @s at @buf (toy_seg_size() bytes), with the
 * checksum; returns the length.
 */
static inline size_t toy_seg_build(void *buf, const struct toy_seg *s)
{
	struct toyhdr *th = buf;

	memset(th, 0, sizeof(*th));
	th->source = htons(s->sport);
	th->dest = htons(s->dport);
	th->seq = htonl(s->seq);
	th->ack_seq = htonl(s->ack);
	th->doff = s->doff ? s->doff : TOY_DOFF + s->optlen / 4;
	th->flags = s->flags;
	th->window = htons(s->win);
	th->type = s->type;
	if (s->optlen)
		memcpy(th + 1, s->opts, s->optlen);
	if (s->len)
		memcpy((uint8_t *)(th + 1) + s->optlen, s->data, s->len);
	th->check = toy_csum(s->saddr, s->daddr, th, toy_seg_size(s));
	return toy_seg_size(s);
}

/*
 * Send @len bytes of segment at @seg to @daddr on raw socket @raw (of
 * protocol IPPROTO_TOY: the kernel writes the IPv4 header); 0 or -errno.
 */
static inline int toy_seg_sendto(int raw, struct in_addr daddr,
				 const void *seg, size_t len)
{
	struct sockaddr_in to = { .sin_family = AF_INET, .sin_addr = daddr };

	if (sendto(raw, seg, len, 0, (struct sockaddr *)&to, sizeof(to)) < 0)
		return -errno;
	return 0;
}

/*
 * Build @s and send it to s->daddr on raw socket @raw.  The kernel picks
 * the source address, so s->saddr must be the one its route takes (the
 * same as s->daddr, for an address of this host).  0 or -errno.
 */
static inline int toy_seg_send(int raw, const struct toy_seg *s)
{
	uint8_t *buf = malloc(toy_seg_size(s));
	int err;

	if (!buf)
		return -ENOMEM;
	err = toy_seg_sendto(raw, s->daddr, buf, toy_seg_build(buf, s));
	free(buf);
	return err;
}

/*
 * Wait on raw socket @raw for the next segment from port @sport to port
 * @dport; the packet (IPv4 header first) goes to @buf.  Returns its
 * length, or 0 if none came within @secs (scaled).
 */
static inline ssize_t toy_seg_wait(int raw, int sport, int dport,
				   char *buf, size_t size, double secs)
{
	double end = toy_now() + secs * toy_timeout_scale();
	struct pollfd p = { .fd = raw, .events = POLLIN };

	while (toy_now() < end) {
		struct iphdr *iph = (struct iphdr *)buf;
		struct toyhdr *th;
		ssize_t n;

		if (poll(&p, 1, 50) <= 0)
			continue;
		n = recv(raw, buf, size, 0);
		if (n < (ssize_t)sizeof(*iph) ||
		    n < (ssize_t)(iph->ihl * 4 + sizeof(*th)))
			continue;
		th = (struct toyhdr *)(buf + iph->ihl * 4);
		if (ntohs(th->source) == sport && ntohs(th->dest) == dport)
			return n;
	}
	return 0;
}

/* A segment a raw socket saw. */
struct toy_sniffed {
	struct iphdr	ip;
	struct toyhdr	th;
	size_t		len;		/* payload bytes */
	int		csum_ok;	/* its AF_TOY checksum verifies */
	int		csum_partial;	/* left to the device (toy_csum_partial()) */
};

/*
 * The next segment from port @sport to port @dport on raw socket @raw:
 * 1 with it in @out, or 0 if none came within @secs (scaled).
 */
static inline int toy_seg_sniff(int raw, int sport, int dport,
				struct toy_sniffed *out, double secs)
{
	char buf[65536];
	const struct iphdr *iph = (const struct iphdr *)buf;
	ssize_t n = toy_seg_wait(raw, sport, dport, buf, sizeof(buf), secs);
	size_t seglen, hlen;

	if (!n)
		return 0;
	seglen = n - iph->ihl * 4;
	out->ip = *iph;
	memcpy(&out->th, buf + iph->ihl * 4, sizeof(out->th));
	hlen = out->th.doff * 4;
	if (hlen < sizeof(out->th) || hlen > seglen)
		hlen = sizeof(out->th);		/* a bad one: data follows */
	out->len = seglen - hlen;
	out->csum_ok = toy_csum_ok((struct in_addr){ iph->saddr },
				   (struct in_addr){ iph->daddr },
				   buf + iph->ihl * 4, seglen);
	out->csum_partial = out->th.check ==
			    toy_csum_partial((struct in_addr){ iph->saddr },
					     (struct in_addr){ iph->daddr },
					     seglen);
	return 1;
}

#endif /* _TOY_SEG_H */
