/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The checksums of the wire, for the programs that write or check packets
 * by hand: the Internet checksum (RFC 1071) of an IPv4 header or an ICMP
 * message, and the AF_TOY checksum, which also covers an IPv4
 * pseudo-header as TCP's does.  Shared by the tools and the selftests.
 */
#ifndef _TOY_CSUM_H
#define _TOY_CSUM_H

#include <stdint.h>
#include <stddef.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <linux/toy.h>

/* Add @len bytes at @data to the one's complement sum @sum. */
static inline uint32_t toy_csum_add(uint32_t sum, const void *data,
				    size_t len)
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

/* Fold @sum to 16 bits and complement it: the field, network order. */
static inline uint16_t toy_csum_fold(uint32_t sum)
{
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return htons(~sum & 0xffff);
}

/*
 * The Internet checksum of @len bytes at @data (an IPv4 header, an ICMP
 * message): 0 over bytes whose checksum field is right.
 */
static inline uint16_t toy_ip_csum(const void *data, size_t len)
{
	return toy_csum_fold(toy_csum_add(0, data, len));
}

/* The one's complement sum of the IPv4 pseudo-header of @len bytes. */
static inline uint32_t toy_pseudo_sum(struct in_addr src, struct in_addr dst,
				      size_t len)
{
	struct {
		struct in_addr	src, dst;
		uint8_t		zero, proto;
		uint16_t	len;
	} __attribute__((packed)) ph = { src, dst, 0, IPPROTO_TOY,
					 htons(len) };

	return toy_csum_add(0, &ph, sizeof(ph));
}

/*
 * The AF_TOY checksum of a segment of @len bytes from @src to @dst:
 * pseudo-header, header and data.  Filled in with the field zero; 0 over
 * a segment whose field is right.
 */
static inline uint16_t toy_csum(struct in_addr src, struct in_addr dst,
				const void *seg, size_t len)
{
	return toy_csum_fold(toy_csum_add(toy_pseudo_sum(src, dst, len),
					  seg, len));
}

/*
 * What the field holds while the checksum is left to the device (the
 * kernel's CHECKSUM_PARTIAL, on loopback): the pseudo-header's
 * sum alone, folded and not complemented.  A packet socket or raw socket
 * on such a device sees this, as tcpdump sees TCP's.
 */
static inline uint16_t toy_csum_partial(struct in_addr src,
					struct in_addr dst, size_t len)
{
	return (uint16_t)~toy_csum_fold(toy_pseudo_sum(src, dst, len));
}

/* The segment's checksum verifies, with its checksum field in place. */
static inline int toy_csum_ok(struct in_addr src, struct in_addr dst,
			      const void *seg, size_t len)
{
	return !toy_csum(src, dst, seg, len);
}

#endif /* _TOY_CSUM_H */
