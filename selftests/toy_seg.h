/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Helpers of the selftests that craft AF_TOY segments by hand (a raw
 * IPv4 socket of protocol IPPROTO_TOY playing the peer): the checksums
 * (tools/toy_csum.h), and SO_ERROR.
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
#include "toy_csum.h"

static inline int so_error(int fd)
{
	int val = -1;
	socklen_t len = sizeof(val);

	getsockopt(fd, SOL_SOCKET, SO_ERROR, &val, &len);
	return val;
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
