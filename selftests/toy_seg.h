/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Helpers of the selftests that craft AF_TOY segments by hand (a raw
 * IPv4 socket of protocol IPPROTO_TOY playing the peer): the checksum
 * over the pseudo-header, and SO_ERROR.
 */
#ifndef _TOY_SEG_H
#define _TOY_SEG_H

#include <stdint.h>
#include <stddef.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <poll.h>
#include <netinet/ip.h>
#include <linux/toy.h>

#include "toy_lib.h"

static inline int so_error(int fd)
{
	int val = -1;
	socklen_t len = sizeof(val);

	getsockopt(fd, SOL_SOCKET, SO_ERROR, &val, &len);
	return val;
}

static inline uint32_t csum_add(uint32_t sum, const void *data, size_t len)
{
	const uint8_t *p = data;

	while (len > 1) {
		sum += (p[0] << 8) | p[1];
		p += 2;
		len -= 2;
	}
	if (len)
		sum += p[0] << 8;
	return sum;
}

/* The checksum of a segment from @src to @dst (pseudo-header included). */
static inline uint16_t toy_csum(struct in_addr src, struct in_addr dst,
			 const void *seg, size_t len)
{
	struct {
		struct in_addr	src, dst;
		uint8_t		zero, proto;
		uint16_t	len;
	} __attribute__((packed)) ph = { src, dst, 0, IPPROTO_TOY,
					 htons(len) };
	uint32_t sum = csum_add(0, &ph, sizeof(ph));

	sum = csum_add(sum, seg, len);
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return htons(~sum & 0xffff);
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

#endif /* _TOY_SEG_H */
