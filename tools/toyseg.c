// SPDX-License-Identifier: GPL-2.0
/*
 * toyseg - send one hand-made AF_TOY segment and print what comes back.
 *
 *   toyseg [-s SRCPORT] [-F FLAGS] [-q SEQ] [-a ACK] [-d BYTES] [-w SECS]
 *          [-m MSS] [-W SHIFT] [-T TSVAL] ADDR:PORT
 *
 * A raw IPv4 socket of protocol IPPROTO_TOY (root only) sends a segment
 * with the given flags (a comma list of SYN,ACK,FIN,RST; default SYN),
 * sequence and acknowledgment numbers, header options (-m: an MSS
 * option, -W: a window scale option, -T: timestamps with this TSval and
 * TSecr 0) and BYTES bytes of data to
 * ADDR:PORT, then prints every AF_TOY segment that arrives for the source
 * port within SECS seconds (default 1), with its checksum checked.  A way
 * to see what a port answers without any socket of our own, the way
 * packetdrill probes TCP.
 */
#include <errno.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <netinet/ip.h>
#include <arpa/inet.h>
#include <linux/toy.h>

#include "toy_csum.h"

static void usage(void)
{
	fprintf(stderr, "usage: toyseg [-s SRCPORT] [-F SYN,ACK,FIN,RST] [-q SEQ] [-a ACK] [-d BYTES]\n"
		"              [-w SECS] [-m MSS] [-W SHIFT] [-T TSVAL] ADDR:PORT\n");
	exit(2);
}

static int parse_flags(char *s)
{
	int flags = 0;
	char *tok;

	for (tok = strtok(s, ","); tok; tok = strtok(NULL, ",")) {
		if (!strcasecmp(tok, "SYN"))
			flags |= TOY_SYN;
		else if (!strcasecmp(tok, "ACK"))
			flags |= TOY_ACK;
		else if (!strcasecmp(tok, "FIN"))
			flags |= TOY_FIN;
		else if (!strcasecmp(tok, "RST"))
			flags |= TOY_RST;
		else
			usage();
	}
	return flags;
}

static const char *flag_text(int flags, char *buf)
{
	buf[0] = '\0';
	if (flags & TOY_SYN)
		strcat(buf, "SYN,");
	if (flags & TOY_ACK)
		strcat(buf, "ACK,");
	if (flags & TOY_FIN)
		strcat(buf, "FIN,");
	if (flags & TOY_RST)
		strcat(buf, "RST,");
	if (buf[0])
		buf[strlen(buf) - 1] = '\0';
	else
		strcpy(buf, "-");
	return buf;
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* The 32-bit big-endian number at @p. */
static uint32_t be32_at(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | p[1] << 16 | p[2] << 8 | p[3];
}

/* A SACK option as tcpdump shows it: "sack 2 {a:b}{c:d}," */
static size_t sack_text(const uint8_t *p, uint8_t len, char *buf,
			size_t size)
{
	size_t n = snprintf(buf, size, "sack %u ", (len - 2) / 8);
	int i;

	for (i = 2; i < len && n < size; i += 8)
		n += snprintf(buf + n, size - n, "{%u:%u}", be32_at(p + i),
			      be32_at(p + i + 4));
	if (n < size)
		n += snprintf(buf + n, size - n, ",");
	return n;
}

/* The options of a header as tcpdump shows TCP's: ", options [...]". */
static char *opt_text(const struct toyhdr *th, size_t hlen, char *buf,
		      size_t size)
{
	const uint8_t *p = (const uint8_t *)(th + 1);
	size_t i = 0, n = 0;

	buf[0] = '\0';
	if (hlen <= sizeof(*th))
		return buf;
	n += snprintf(buf + n, size - n, ", options [");
	while (i < hlen - sizeof(*th) && n < size) {
		uint8_t kind = p[i], len = kind > TOY_OPT_NOP &&
				i + 1 < hlen - sizeof(*th) ? p[i + 1] : 1;

		if (kind == TOY_OPT_EOL)
			break;
		if (kind == TOY_OPT_MSS && len == TOY_OLEN_MSS)
			n += snprintf(buf + n, size - n, "mss %u,",
				      p[i + 2] << 8 | p[i + 3]);
		else if (kind == TOY_OPT_WSCALE && len == TOY_OLEN_WSCALE)
			n += snprintf(buf + n, size - n, "wscale %u,",
				      p[i + 2]);
		else if (kind == TOY_OPT_SACK_PERM &&
			 len == TOY_OLEN_SACK_PERM)
			n += snprintf(buf + n, size - n, "sackOK,");
		else if (kind == TOY_OPT_SACK && len >= 10 && len % 8 == 2 &&
			 i + len <= hlen - sizeof(*th))
			n += sack_text(p + i, len, buf + n, size - n);
		else if (kind == TOY_OPT_TIMESTAMP &&
			 len == TOY_OLEN_TIMESTAMP &&
			 i + len <= hlen - sizeof(*th))
			n += snprintf(buf + n, size - n, "TS val %u ecr %u,",
				      be32_at(p + i + 2), be32_at(p + i + 6));
		else if (kind == TOY_OPT_NOP)
			n += snprintf(buf + n, size - n, "nop,");
		else
			n += snprintf(buf + n, size - n, "kind %u,", kind);
		i += len < 2 && kind != TOY_OPT_NOP ? hlen : len;
	}
	if (n >= size)
		n = size - 1;
	if (buf[n - 1] == ',')
		n--;
	snprintf(buf + n, size - n, "]");
	return buf;
}

/* What a segment's checksum says, as tcpdump would put it. */
static const char *csum_text(uint32_t src, uint32_t dst,
			     const struct toyhdr *th, size_t len)
{
	struct in_addr s = { src }, d = { dst };

	if (toy_csum_ok(s, d, th, len))
		return "";
	/* Loopback sums for the sender: only the pseudo-header. */
	if (th->check == toy_csum_partial(s, d, len))
		return " (checksum left to the device)";
	return " (BAD CHECKSUM)";
}

static void print_seg(const char *dir, uint32_t src, uint32_t dst,
		      const struct toyhdr *th, size_t len)
{
	char s[INET_ADDRSTRLEN], d[INET_ADDRSTRLEN], f[32], o[128];
	size_t hlen = th->doff * 4;

	if (hlen < sizeof(*th) || hlen > len)
		hlen = sizeof(*th);
	inet_ntop(AF_INET, &src, s, sizeof(s));
	inet_ntop(AF_INET, &dst, d, sizeof(d));
	printf("%s %s:%u > %s:%u [%s] seq %u ack %u win %u%s len %zu%s\n",
	       dir, s, ntohs(th->source), d, ntohs(th->dest),
	       flag_text(th->flags, f), ntohl(th->seq), ntohl(th->ack_seq),
	       ntohs(th->window), opt_text(th, hlen, o, sizeof(o)),
	       len - hlen, csum_text(src, dst, th, len));
}

int main(int argc, char **argv)
{
	int sport = 40404, flags = TOY_SYN, dlen = 0, opt, raw, n;
	int mss = -1, wscale = -1, optlen = 0;
	uint32_t seq = 1, ack = 0, tsval = 0;
	int with_ts = 0;
	double wait = 1, end;
	struct sockaddr_in to = { .sin_family = AF_INET };
	struct {
		struct toyhdr	th;
		char		data[1024];
	} seg;
	char buf[2048], host[64], *colon;
	struct pollfd p;

	while ((opt = getopt(argc, argv, "s:F:q:a:d:w:m:W:T:")) != -1) {
		switch (opt) {
		case 's':
			sport = atoi(optarg);
			break;
		case 'F':
			flags = parse_flags(optarg);
			break;
		case 'q':
			seq = strtoul(optarg, NULL, 0);
			break;
		case 'a':
			ack = strtoul(optarg, NULL, 0);
			break;
		case 'd':
			dlen = atoi(optarg);
			if (dlen < 0 || dlen > (int)sizeof(seg.data))
				usage();
			break;
		case 'w':
			wait = atof(optarg);
			break;
		case 'm':
			mss = atoi(optarg);
			if (mss < 0 || mss > 65535)
				usage();
			break;
		case 'W':
			wscale = atoi(optarg);
			if (wscale < 0 || wscale > 255)
				usage();
			break;
		case 'T':
			tsval = strtoul(optarg, NULL, 0);
			with_ts = 1;
			break;
		default:
			usage();
		}
	}
	if (optind != argc - 1)
		usage();
	snprintf(host, sizeof(host), "%s", argv[optind]);
	colon = strrchr(host, ':');
	if (!colon)
		usage();
	*colon = '\0';
	to.sin_port = 0;
	if (inet_pton(AF_INET, host, &to.sin_addr) != 1)
		usage();

	raw = socket(AF_INET, SOCK_RAW, IPPROTO_TOY);
	if (raw < 0) {
		fprintf(stderr, "toyseg: raw socket: %s\n", strerror(errno));
		return 1;
	}
	/* The source address is the route's: ask with a connected socket. */
	if (connect(raw, (struct sockaddr *)&to, sizeof(to))) {
		fprintf(stderr, "toyseg: %s: %s\n", host, strerror(errno));
		return 1;
	}
	{
		struct sockaddr_in me;
		socklen_t len = sizeof(me);

		getsockname(raw, (struct sockaddr *)&me, &len);
		memset(&seg, 0, sizeof(seg));
		seg.th.source = htons(sport);
		seg.th.dest = htons(atoi(colon + 1));
		seg.th.seq = htonl(seq);
		seg.th.ack_seq = htonl(ack);
		seg.th.flags = flags;
		seg.th.window = htons(65535);
		/* Options first, in the words after the header. */
		if (mss >= 0) {
			seg.data[optlen++] = TOY_OPT_MSS;
			seg.data[optlen++] = TOY_OLEN_MSS;
			seg.data[optlen++] = mss >> 8;
			seg.data[optlen++] = mss & 0xff;
		}
		if (wscale >= 0) {
			seg.data[optlen++] = TOY_OPT_NOP;
			seg.data[optlen++] = TOY_OPT_WSCALE;
			seg.data[optlen++] = TOY_OLEN_WSCALE;
			seg.data[optlen++] = wscale;
		}
		if (with_ts) {
			uint32_t be[2] = { htonl(tsval), 0 };

			seg.data[optlen++] = TOY_OPT_NOP;
			seg.data[optlen++] = TOY_OPT_NOP;
			seg.data[optlen++] = TOY_OPT_TIMESTAMP;
			seg.data[optlen++] = TOY_OLEN_TIMESTAMP;
			memcpy(seg.data + optlen, be, sizeof(be));
			optlen += sizeof(be);
		}
		seg.th.doff = TOY_DOFF + optlen / 4;
		if (dlen > (int)sizeof(seg.data) - optlen)
			dlen = sizeof(seg.data) - optlen;
		memset(seg.data + optlen, 'x', dlen);
		dlen += optlen;
		seg.th.check = toy_csum(me.sin_addr, to.sin_addr, &seg,
					sizeof(seg.th) + dlen);
		print_seg("sent", me.sin_addr.s_addr, to.sin_addr.s_addr,
			  &seg.th, sizeof(seg.th) + dlen);
	}
	if (send(raw, &seg, sizeof(seg.th) + dlen, 0) < 0) {
		fprintf(stderr, "toyseg: send: %s\n", strerror(errno));
		return 1;
	}
	fflush(stdout);

	end = now() + wait;
	p.fd = raw;
	p.events = POLLIN;
	n = 0;
	while (now() < end) {
		struct iphdr *iph = (struct iphdr *)buf;
		struct toyhdr *th;
		ssize_t len;

		if (poll(&p, 1, 50) <= 0)
			continue;
		len = recv(raw, buf, sizeof(buf), 0);
		if (len < (ssize_t)(iph->ihl * 4 + sizeof(*th)))
			continue;
		th = (struct toyhdr *)(buf + iph->ihl * 4);
		if (th->dest != seg.th.source || th->source != seg.th.dest)
			continue;
		len -= iph->ihl * 4;
		print_seg("got ", iph->saddr, iph->daddr, th, len);
		n++;
	}
	if (!n)
		printf("no answer within %g s\n", wait);
	return 0;
}
