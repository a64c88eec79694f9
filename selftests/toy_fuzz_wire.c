// SPDX-License-Identifier: GPL-2.0
/*
 * The wire fuzzer: seeded random and mutated packets from the scripted
 * peer on a TUN device (toy_peer.h, PEER_ADDR) to this host, aimed at
 * every kind of receiver the module has: a listener, a half-open entry,
 * connections in SYN_SENT, SYN_RECV (simultaneous open), ESTABLISHED
 * (active and passive, with data in flight, with more data than the
 * window lets out), FIN_WAIT1, FIN_WAIT2, CLOSE_WAIT, CLOSING and
 * LAST_ACK (held by their user or orphaned), a TIME_WAIT entry, datagram
 * sockets (bound, connected), and ports nobody has.  A target whose
 * connection ended is made again.  Each round of ROUND_TIME seconds has
 * fresh targets; in its first half the host's user is idle, in the
 * second a thread reads and queries the sockets all the time (segments
 * meet owned sockets: the backlog); now and then the user closes a
 * connection (an orphan in whatever state it was), shuts a direction
 * or shrinks its receive buffer.
 *
 * What is mutated: every field of struct toyhdr (ports, sequence and
 * acknowledgment numbers by small deltas, to just outside the window and
 * across the wrap, flags in every combination and the unknown bits, the
 * window, the header length, the checksum, the type, the reserved byte);
 * lengths (below the header, up to the device MTU and beyond, in one
 * packet or in IP fragments); and the IPv4 layer (options, TOS, TTL,
 * trailing bytes, broadcast and multicast destinations, fragments tiny,
 * shuffled, duplicated, overlapping or incomplete, a bad total length,
 * bad header checksum or bad options).  Checksums are mostly valid so
 * that segments reach deep code.  Templates are the segments that made
 * each target (handshakes, FINs), replayed with deltas, and the
 * sequence numbers the host's answers reveal keep the rest in step.
 *
 * What is checked:
 *  - Accounting.  The lane predicts what the module must count for each
 *    packet (a copy of wire.c's validation order, after what IPv4 itself
 *    drops, which is not ours to count) and compares, every round and at
 *    the end, exactly: InSegs, InErrs (every truncated segment, bad header
 *    length, bad checksum, unknown type), InCsumErrors, and for valid
 *    datagrams InDatagrams + NoPorts + RcvbufErrors.  TOY_FUZZ_STRICT=1
 *    compares after every packet and names the first one that is off.
 *  - Answers, per injected segment: the host's packets on the segment's
 *    4-tuple, read as soon as the write returns (a TUN write runs the
 *    receive path to its end, and the device has no queue).  A segment
 *    draws at most ANSWER_BOUND packets (the "packets per packet"
 *    bound, below), of which at most one answer proper (an ACK, a
 *    reset, an unreachable: TCP answers a segment once); one dropped
 *    before any socket (malformed, dropped by IPv4, broadcast) or a
 *    TOY_TYPE_UNREACH draws no answer at all (retransmissions are the
 *    timers', and a replay of the segment must confirm an answer before
 *    it counts); a reset is never answered with a reset; a closed port
 *    answers with exactly the reset TCP's rules give; every packet the
 *    host sends has a valid checksum and header.  In the busy half
 *    answers may come late, and only the bound on runaway answering
 *    (ANSWER_BOUND_BUSY), the closed ports and the accounting hold.
 *  - After each round every socket is gone (the peer's resets end the
 *    orphans) and a fresh handshake still completes; at the end, the
 *    namespace goes away with its TIME_WAIT entries and every live-object
 *    counter returns to zero.  The kernel log is the VM runner's.
 *
 * Budget: TOY_FUZZ_TIME seconds of fuzzing (default FUZZ_TIME_DEFAULT,
 * the make-check brief), TOY_FUZZ_SEED (default FUZZ_SEED_DEFAULT).
 * Reproduce a failure with the line printed first and on failure:
 *   TOY_FUZZ_SEED=N TOY_FUZZ_TIME=S scripts/vm-run -- build/selftests/toy_fuzz_wire
 * (timing still varies between runs; TOY_FUZZ_STRICT=1 narrows an
 * accounting failure down to one packet).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <stdarg.h>
#include <stdbool.h>
#include <pthread.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <netinet/ip.h>
#include <arpa/inet.h>
#include <linux/sockios.h>
#include <linux/toy.h>

#include "kselftest_harness.h"
#include "toy_budget.h"
#include "toy_lib.h"
#include "toy_net.h"
#include "toy_seg.h"
#include "toy_peer.h"

#define FUZZ_SEED_DEFAULT	1ULL
#define FUZZ_TIME_DEFAULT	16.0	/* seconds; the whole lane < 40 s */
#define ROUND_TIME		5.0	/* seconds of fuzzing per set of targets */
#define FUZZ_TIMEOUT		86400	/* the harness's limit; the budget rules */

/*
 * The "packets per packet" bound.  TCP answers one segment with at most
 * one segment of its own (an ACK, a challenge ACK, a reset or a
 * SYN-ACK), plus what the segment's ACK lets it send: a retransmission
 * (fast retransmit, a NewReno partial ACK) and new data.  The lane's
 * connections other than bulk have at most one data segment (100 bytes)
 * and a FIN outstanding and nothing else to send, so an ACK releases
 * at most those two: 1 + 2.  More than that from one segment is an
 * amplification (or an answer loop) that TCP semantics do not allow.
 */
#define ANSWER_BOUND		3

/*
 * A connection with more data to send (bulk): an ACK that opens the
 * window may release all of it at once, in segments of the MSS (1460
 * on the 1500-byte device), besides the answer and a retransmission.
 */
#define HOST_BULK		16384
#define ANSWER_BOUND_BULK	(2 + (HOST_BULK + 1459) / 1460)

/*
 * While the host reads (the busy half of a round), a segment that finds
 * its socket owned by the reader waits in the backlog and is answered
 * when the reader lets go: answers come late and may be counted to a
 * later segment of the 4-tuple.  Then only runaway answering is bounded.
 */
#define ANSWER_BOUND_BUSY	64

#define SEG_MAX		(65535 - 60 - 20)	/* payload: IP header + options */
#define FRAGS_MAX	64	/* fragments of one segment */
#define HOST_DATA	100	/* bytes the host has in flight (est_data) */
#define PEER_WIN	4000

static unsigned long long cfg_seed;
static double cfg_time;
static bool cfg_strict;

static void print_reproduce(void)
{
	char line[512];

	printf("# seed=%llu time=%gs  reproduce: %s\n", cfg_seed, cfg_time,
	       lane_reproduce(line, sizeof(line), cfg_seed, cfg_time,
			      "build/selftests/toy_fuzz_wire"));
	fflush(stdout);
}

/* Before the harness says anything: the seed and how to reproduce. */
static void __attribute__((constructor)) fuzz_config(void)
{
	const char *seed = getenv("TOY_FUZZ_SEED");
	const char *time = getenv("TOY_FUZZ_TIME");
	const char *strict = getenv("TOY_FUZZ_STRICT");

	cfg_seed = seed && *seed ? strtoull(seed, NULL, 10) : FUZZ_SEED_DEFAULT;
	cfg_time = time && *time ? atof(time) : FUZZ_TIME_DEFAULT;
	if (cfg_time <= 0)
		cfg_time = FUZZ_TIME_DEFAULT;
	cfg_strict = strict && *strict == '1';
	print_reproduce();
}

/* ---- randomness: xorshift64*, seeded by splitmix64 ---- */

static uint64_t rng;

static void rng_seed(uint64_t seed)
{
	uint64_t z = seed + 0x9e3779b97f4a7c15ULL;

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	rng = (z ^ (z >> 31)) | 1;
}

static uint64_t rnd64(void)
{
	rng ^= rng >> 12;
	rng ^= rng << 25;
	rng ^= rng >> 27;
	return rng * 0x2545f4914f6cdd1dULL;
}

/* Uniform in [0, n). */
static uint32_t rnd(uint32_t n)
{
	return n ? (uint32_t)(rnd64() % n) : 0;
}

/* Uniform in [lo, hi]. */
static uint32_t rnd_in(uint32_t lo, uint32_t hi)
{
	return lo + rnd(hi - lo + 1);
}

static bool chance(int pct)
{
	return rnd(100) < (uint32_t)pct;
}

/* ---- what the lane aims at ---- */

enum kind {
	K_LISTEN, K_HALFOPEN, K_SYNSENT, K_SYNRECV, K_ESTAB, K_ACCEPTED,
	K_ESTDATA, K_BULK, K_FINWAIT1, K_FINWAIT2, K_CLOSEWAIT, K_CLOSING, K_LASTACK,
	K_TIMEWAIT, K_DGRAM, K_DGRAMCONN, K_CLOSED, K_N
};

static const char * const kind_names[K_N] = {
	"listen", "half_open", "syn_sent", "syn_recv", "established",
	"accepted", "est_data", "bulk", "fin_wait1", "fin_wait2", "close_wait",
	"closing", "last_ack", "time_wait", "dgram", "dgram_conn",
	"closed_port",
};

/* A segment as the peer sent it, to replay with deltas. */
struct tmpl {
	uint8_t		flags;
	uint32_t	seq, ack;
	uint16_t	len;
};

struct target {
	int		kind;
	bool		ok;		/* set up */
	bool		orphan;		/* closed by its user: ends by a reset */
	int		fd;		/* the host's socket we hold, or -1 */
	uint16_t	hport, pport;
	uint32_t	snd_nxt;	/* the peer's next sequence number */
	uint32_t	rcv_nxt;	/* the host's next sequence number */
	struct tmpl	tmpl[6];
	int		ntmpl;
	bool		opts;		/* its handshake agreed SACK and TS */
	uint32_t	tsval;		/* the peer's timestamp clock */
};

/* ---- the counters ---- */

struct ctrs {
	long	insegs, inerrs, incsum;
	long	indgrams, noports, rcvbuf;
};

/* /proc/net/toy_stat, read once. */
static int read_ctrs(struct ctrs *c)
{
	char names[2048], values[2048], *n, *v, *sn, *sv;
	FILE *f = fopen("/proc/net/toy_stat", "r");
	int found = 0;

	memset(c, 0, sizeof(*c));
	if (!f)
		return -1;
	if (!fgets(names, sizeof(names), f) ||
	    !fgets(values, sizeof(values), f)) {
		fclose(f);
		return -1;
	}
	fclose(f);
	n = strtok_r(names, " \n", &sn);
	v = strtok_r(values, " \n", &sv);
	for (; n && v; n = strtok_r(NULL, " \n", &sn),
	     v = strtok_r(NULL, " \n", &sv)) {
		long val = atol(v);

		found++;
		if (!strcmp(n, "InSegs"))
			c->insegs = val;
		else if (!strcmp(n, "InErrs"))
			c->inerrs = val;
		else if (!strcmp(n, "InCsumErrors"))
			c->incsum = val;
		else if (!strcmp(n, "InDatagrams"))
			c->indgrams = val;
		else if (!strcmp(n, "NoPorts"))
			c->noports = val;
		else if (!strcmp(n, "RcvbufErrors"))
			c->rcvbuf = val;
		else
			found--;
	}
	return found == 6 ? 0 : -1;
}

/* ---- one fuzzed segment ---- */

enum malform { MAL_NONE, MAL_CSUM, MAL_SHORT, MAL_DOFF, MAL_TYPE, MAL_N };

static const char * const mal_names[MAL_N] = {
	"well_formed", "bad_checksum", "truncated", "bad_doff", "bad_type",
};

/*
 * IPv4 around the segment.  The first ones IPv4 delivers; those after
 * IPM_DROPPED it drops itself (not the module's to count).
 */
enum ipmode {
	IPM_PLAIN, IPM_TOS, IPM_TTL, IPM_OPTS, IPM_TRAILER, IPM_FRAG,
	IPM_FRAG_TINY, IPM_FRAG_DUP, IPM_BCAST, IPM_MCAST,
	IPM_DROPPED,
	IPM_BAD_LEN = IPM_DROPPED, IPM_BAD_IPCSUM, IPM_BAD_OPTS,
	IPM_FRAG_OVERLAP, IPM_FRAG_HOLE, IPM_N
};

static const char * const ipm_names[IPM_N] = {
	"plain", "tos_nodf_id0", "ttl", "ip_options", "trailing_bytes",
	"fragments", "fragments_small", "fragment_dup", "broadcast",
	"multicast", "bad_total_len", "bad_ip_csum", "bad_ip_options",
	"fragment_overlap", "fragment_hole",
};

struct ipplan {
	int		mode;
	uint8_t		tos, ttl;
	uint8_t		opt[40];
	int		optlen;
	unsigned int	fragsz;		/* bytes per fragment, multiple of 8 */
	int		order;		/* 0 in order, 1 reversed, 2 shuffled */
	uint32_t	sub;		/* seed of the shuffle, the hole */
	int		extra;		/* bad total length / trailing bytes */
};

struct fseg {
	int		kind;		/* target kind, for the tally */
	int		mal;		/* intended malformation */
	struct toyhdr	th;
	size_t		len;		/* payload bytes */
	size_t		cut;		/* MAL_SHORT: segment bytes sent */
	uint32_t	daddr;		/* network order */
	uint8_t		opts[40];	/* well-formed header options */
	size_t		optlen;
	uint8_t		*buf;		/* the segment's bytes */
	size_t		seglen;
};

/*
 * Do a header's options parse, by uapi toy.h's rules (options.c's
 * toy_parse_options())?
 */
static bool opts_parse(const struct toyhdr *th)
{
	const uint8_t *p = (const uint8_t *)(th + 1);
	int left = th->doff * 4 - (int)sizeof(*th);

	while (left > 0) {
		uint8_t kind = p[0], len;

		if (kind == TOY_OPT_EOL)
			break;
		if (kind == TOY_OPT_NOP) {
			p++;
			left--;
			continue;
		}
		if (left < 2)
			return false;
		len = p[1];
		if (len < 2 || len > left)
			return false;
		if ((kind == TOY_OPT_MSS && len != TOY_OLEN_MSS) ||
		    (kind == TOY_OPT_WSCALE && len != TOY_OLEN_WSCALE) ||
		    (kind == TOY_OPT_SACK_PERM && len != TOY_OLEN_SACK_PERM) ||
		    (kind == TOY_OPT_TIMESTAMP && len != TOY_OLEN_TIMESTAMP) ||
		    (kind == TOY_OPT_SACK &&
		     (len < 2 + TOY_OLEN_SACK_BLOCK ||
		      (len - 2) % TOY_OLEN_SACK_BLOCK)))
			return false;
		p += len;
		left -= len;
	}
	return true;
}

/* What the module must do with a segment: wire.c's order. */
struct verdict {
	bool	ins;		/* reaches toy_rcv(): InSegs */
	bool	err;		/* InErrs */
	bool	csum;		/* InCsumErrors */
	bool	stream, dgram, unreach;	/* passed on, by type */
};

struct answer {
	uint8_t		flags, type;
	uint32_t	seq, ack;
	size_t		len;
};

struct answers {
	int		n;
	struct answer	a[16];
};

struct tally {
	unsigned long	sent, delivered, answered, answers;
};

struct fz {
	struct toy_peer	peer;
	struct toy_pseg	*pseg;		/* room for one parsed packet */
	uint8_t		*pkt;		/* room for one IP packet */
	uint8_t		*segbuf;	/* room for one segment */
	uint8_t		*payload;	/* random bytes */
	struct target	t[K_N];
	int		retired[4096];	/* sockets of ended targets */
	int		nretired;
	unsigned long	revived[K_N];	/* targets made again */
	unsigned int	serial;		/* of peer ports */
	int		l1, l2;		/* listeners: target, and for dials */
	uint16_t	l1port, l2port;
	int		round;
	/* what the module should have counted */
	unsigned long	exp_ins, exp_err, exp_csum, exp_dgram;
	unsigned long	fuzz_pkts;	/* packets written by the fuzzer */
	/* tallies */
	struct tally	by_kind[K_N], by_mal[MAL_N], by_ipm[IPM_N];
	unsigned long	segs, answers, unsolicited, host_pkts;
	unsigned long	hist[ANSWER_BOUND + 2];
	pthread_t	reader;		/* the host reading, the busy half */
	volatile int	busy;
	unsigned long	busy_segs, late;	/* segments in the busy half */
	unsigned long	coincidences, replays;
	unsigned long	waited;		/* answers waited for */
	unsigned long	disturbed;	/* closes, shutdowns by the host */
	int		max_answers;
	int		failures;
};

static void failf(struct fz *f, const char *fmt, ...)
{
	va_list ap;

	f->failures++;
	if (f->failures > 20)
		return;
	printf("# FAIL: ");
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	fflush(stdout);
}

static const char *describe(const struct fz *f, const struct fseg *g,
			    const struct ipplan *pl)
{
	static char buf[512];
	const struct toyhdr *th = &g->th;

	snprintf(buf, sizeof(buf),
		 "[%s %s ip=%s%s] %u>%u type=%u doff=%u flags=0x%02x seq=%u ack=%u win=%u len=%zu seglen=%zu round=%d",
		 kind_names[g->kind], mal_names[g->mal], ipm_names[pl->mode],
		 f->busy ? " busy" : "",
		 ntohs(th->source), ntohs(th->dest), th->type, th->doff,
		 th->flags, ntohl(th->seq), ntohl(th->ack_seq),
		 ntohs(th->window), g->len, g->seglen, f->round);
	return buf;
}

static void print_answers(const struct answers *got)
{
	int i;

	for (i = 0; i < got->n && i < 16; i++)
		printf("#   answer %d: type=%u flags=0x%02x seq=%u ack=%u len=%zu\n",
		       i, got->a[i].type, got->a[i].flags, got->a[i].seq,
		       got->a[i].ack, got->a[i].len);
}

static uint32_t addr_of(const char *ip)
{
	return toy_in(ip).s_addr;
}

static bool addr_is_bcast(uint32_t a)
{
	return a == htonl(INADDR_BROADCAST) ||
	       (ntohl(a) & 0xf0000000) == 0xe0000000;
}

/* The segment from the peer to @daddr has a checksum that verifies. */
static bool seg_csum_ok(const uint8_t *seg, size_t len, uint32_t daddr)
{
	return toy_csum_ok(toy_in(PEER_ADDR), (struct in_addr){ daddr },
			   seg, len);
}

/*
 * The module's verdict on @seg (@len bytes, to @daddr), if IPv4 passes
 * it on: toy_rcv()'s checks in toy_rcv()'s order.
 */
static struct verdict oracle(const uint8_t *seg, size_t len, uint32_t daddr,
			     bool ip_delivers)
{
	const struct toyhdr *th = (const struct toyhdr *)seg;
	struct verdict v = { 0 };

	if (!ip_delivers)
		return v;
	v.ins = true;
	if (len < sizeof(*th) || th->doff < TOY_DOFF || th->doff * 4 > len) {
		v.err = true;
		return v;
	}
	if (!seg_csum_ok(seg, len, daddr)) {
		v.err = v.csum = true;
		return v;
	}
	if (addr_is_bcast(daddr))
		return v;		/* dropped, not an error */
	/*
	 * A longer header that fits has options: a stream segment's must
	 * parse; a datagram has none at all.
	 */
	if (th->doff != TOY_DOFF &&
	    (th->type != TOY_TYPE_STREAM || !opts_parse(th))) {
		v.err = true;
		return v;
	}
	switch (th->type) {
	case TOY_TYPE_STREAM:
		v.stream = true;
		break;
	case TOY_TYPE_DGRAM:
		v.dgram = true;
		break;
	case TOY_TYPE_UNREACH:
		v.unreach = true;
		break;
	default:
		v.err = true;
	}
	return v;
}

/* Write the segment's bytes: header, payload, checksum, malformation. */
static void seg_build(struct fz *f, struct fseg *g)
{
	struct toyhdr *th = (struct toyhdr *)f->segbuf;
	size_t full = sizeof(*th) + g->optlen + g->len;

	memcpy(th, &g->th, sizeof(*th));
	th->check = 0;
	memcpy(th + 1, g->opts, g->optlen);
	if (g->len)
		memcpy((uint8_t *)(th + 1) + g->optlen,
		       f->payload + rnd(4096), g->len);
	/*
	 * A header length above TOY_DOFF that fits is a header with
	 * options: make them an MSS option of length 3, which never parses,
	 * so that the segment stays malformed whatever its type.
	 */
	if (g->mal == MAL_DOFF && th->doff > TOY_DOFF && th->doff * 4 <= full) {
		((uint8_t *)(th + 1))[0] = TOY_OPT_MSS;
		((uint8_t *)(th + 1))[1] = 3;
	}
	th->check = toy_csum((struct in_addr){ addr_of(PEER_ADDR) },
			     (struct in_addr){ g->daddr }, th, full);
	if (g->mal == MAL_CSUM) {
		/* 0x0000 and 0xffff are the same sum: flip until it fails. */
		do
			th->check ^= htons(1 + rnd(0xffff));
		while (seg_csum_ok(f->segbuf, full, g->daddr));
	}
	g->th.check = th->check;
	g->seglen = g->mal == MAL_SHORT ? g->cut : full;
	g->buf = f->segbuf;
}

/* ---- IPv4 ---- */

static uint16_t ip_hdr_fill(struct fz *f, uint8_t *buf, const struct ipplan *pl,
			    uint32_t daddr, size_t tot, uint16_t frag_off,
			    uint16_t id)
{
	struct iphdr *iph = (struct iphdr *)buf;

	memset(iph, 0, sizeof(*iph));
	iph->version = 4;
	iph->ihl = (sizeof(*iph) + pl->optlen) / 4;
	iph->tos = pl->tos;
	iph->tot_len = htons(tot);
	iph->id = htons(id);
	iph->frag_off = htons(frag_off);
	iph->ttl = pl->ttl;
	iph->protocol = IPPROTO_TOY;
	iph->saddr = addr_of(PEER_ADDR);
	iph->daddr = daddr;
	memcpy(iph + 1, pl->opt, pl->optlen);
	iph->check = toy_ip_csum(iph, iph->ihl * 4);
	return iph->ihl * 4;
}

static int ip_write(struct fz *f, const void *buf, size_t len)
{
	int err = toy_peer_send_raw(&f->peer, buf, len);

	if (!err)
		f->fuzz_pkts++;
	return err;
}

/* One packet around the whole segment (and what the mode does to it). */
static int ip_send_whole(struct fz *f, const struct fseg *g,
			 const struct ipplan *pl)
{
	uint16_t df = pl->mode == IPM_TOS ? 0 : IP_DF;
	uint16_t id = pl->mode == IPM_TOS ? 0 : f->peer.ip_id++;
	size_t hl = sizeof(struct iphdr) + pl->optlen;
	size_t tot = hl + g->seglen, wire = tot;
	struct iphdr *iph = (struct iphdr *)f->pkt;

	if (pl->mode == IPM_TRAILER)
		wire += tot + pl->extra > 65535 ? 65535 - tot : pl->extra;
	ip_hdr_fill(f, f->pkt, pl, g->daddr, tot, df, id);
	memcpy(f->pkt + hl, g->buf, g->seglen);
	if (pl->mode == IPM_TRAILER)
		memcpy(f->pkt + tot, f->payload, wire - tot);
	if (pl->mode == IPM_BAD_LEN) {
		/* Longer than the packet, or shorter than its header. */
		iph->tot_len = htons(pl->extra && tot + pl->extra <= 65535 ?
				     tot + pl->extra : 12);
		iph->check = 0;
		iph->check = toy_ip_csum(iph, hl);
	}
	if (pl->mode == IPM_BAD_IPCSUM)
		iph->check ^= htons(1 + rnd(0xfffe));
	return ip_write(f, f->pkt, wire);
}

/* Fragment @i of @n, bytes [@off, @off + @len) of the segment. */
static int ip_send_frag(struct fz *f, const struct fseg *g,
			const struct ipplan *pl, uint16_t id, size_t off,
			size_t len, bool more, bool garble)
{
	size_t hl = sizeof(struct iphdr);
	struct ipplan plain = *pl;
	uint16_t fo = (off / 8) | (more ? IP_MF : 0);

	plain.optlen = 0;
	ip_hdr_fill(f, f->pkt, &plain, g->daddr, hl + len, fo, id);
	if (off + len <= g->seglen) {
		memcpy(f->pkt + hl, g->buf + off, len);
	} else {
		memset(f->pkt + hl, 0xa5, len);
		if (off < g->seglen)
			memcpy(f->pkt + hl, g->buf + off, g->seglen - off);
	}
	if (garble)
		f->pkt[hl + rnd(len)] ^= 0xff;
	return ip_write(f, f->pkt, hl + len);
}

/*
 * The segment in fragments of pl->fragsz bytes, in order, reversed or
 * shuffled; IPM_FRAG_DUP repeats one before the last arrives (contained,
 * perhaps with other bytes: IPv4 keeps the first copy), IPM_FRAG_OVERLAP
 * sends one that overlaps the first partly (IPv4 drops the whole
 * datagram), IPM_FRAG_HOLE leaves one out.
 */
static int ip_send_frags(struct fz *f, const struct fseg *g,
			 const struct ipplan *pl)
{
	size_t n = (g->seglen + pl->fragsz - 1) / pl->fragsz, i, k;
	uint16_t id = f->peer.ip_id++;
	uint32_t sub = pl->sub;
	size_t order[FRAGS_MAX + 1];
	int err = 0;

	if (n > sizeof(order) / sizeof(order[0]))
		return -E2BIG;
	for (i = 0; i < n; i++)
		order[i] = pl->order == 1 ? n - 1 - i : i;
	if (pl->order == 2) {
		for (i = n - 1; i > 0; i--) {
			sub = sub * 1103515245 + 12345;
			k = (sub >> 8) % (i + 1);
			size_t tmp = order[i];

			order[i] = order[k];
			order[k] = tmp;
		}
	}
	for (i = 0; i < n && !err; i++) {
		size_t idx = order[i], off = idx * pl->fragsz;
		size_t len = off + pl->fragsz <= g->seglen ? pl->fragsz :
			     g->seglen - off;
		bool more = idx != n - 1;

		if (pl->mode == IPM_FRAG_HOLE && idx == pl->sub % n)
			continue;
		err = ip_send_frag(f, g, pl, id, off, len, more, false);
		if (err || i != 0)
			continue;
		if (pl->mode == IPM_FRAG_DUP)
			err = ip_send_frag(f, g, pl, id, off,
					   len > 8 && more ? len - 8 : len,
					   more, pl->sub & 1);
		if (pl->mode == IPM_FRAG_OVERLAP) {
			/* From inside this one to beyond it: not contained. */
			size_t o = off ? off - 8 : 0;

			err = ip_send_frag(f, g, pl, id, o, off - o + len + 8,
					   true, false);
		}
	}
	return err;
}

static bool ipm_is_frag(int mode)
{
	return mode == IPM_FRAG || mode == IPM_FRAG_TINY ||
	       mode == IPM_FRAG_DUP || mode == IPM_FRAG_OVERLAP ||
	       mode == IPM_FRAG_HOLE;
}

static int ip_send(struct fz *f, const struct fseg *g, const struct ipplan *pl)
{
	if (ipm_is_frag(pl->mode))
		return ip_send_frags(f, g, pl);
	return ip_send_whole(f, g, pl);
}

/* Valid options: padding, record route, timestamps, end of list. */
static void ip_opts_valid(struct ipplan *pl)
{
	static const uint8_t nop[] = { 1, 1, 1, 1 };
	static const uint8_t rr[] = { 7, 11, 4, 0, 0, 0, 0, 0, 0, 0, 0, 1 };
	static const uint8_t ts[] = { 68, 12, 5, 0, 0, 0, 0, 0, 0, 0, 0, 0 };
	static const uint8_t eol[] = { 0, 0, 0, 0 };
	static const struct { const uint8_t *o; int len; } opts[] = {
		{ nop, sizeof(nop) }, { rr, sizeof(rr) }, { ts, sizeof(ts) },
		{ eol, sizeof(eol) },
	};
	int i = rnd(4);

	memcpy(pl->opt, opts[i].o, opts[i].len);
	pl->optlen = opts[i].len;
}

/* Options IPv4 refuses (a parameter problem): lengths that lie. */
static void ip_opts_bad(struct ipplan *pl)
{
	static const uint8_t rr_short[] = { 7, 2, 4, 1 };
	static const uint8_t ts_short[] = { 68, 3, 5, 1 };
	static const uint8_t too_long[] = { 7, 39, 4, 1 };
	static const uint8_t ptr_low[] = { 7, 7, 1, 0, 0, 0, 0, 1 };
	static const struct { const uint8_t *o; int len; } opts[] = {
		{ rr_short, sizeof(rr_short) }, { ts_short, sizeof(ts_short) },
		{ too_long, sizeof(too_long) }, { ptr_low, sizeof(ptr_low) },
	};
	int i = rnd(4);

	memcpy(pl->opt, opts[i].o, opts[i].len);
	pl->optlen = opts[i].len;
}

static void ip_plan(struct ipplan *pl)
{
	memset(pl, 0, sizeof(*pl));
	pl->ttl = 64;
	pl->mode = chance(70) ? IPM_PLAIN : (int)rnd_in(1, IPM_N - 1);
	pl->sub = (uint32_t)rnd64();
	pl->order = rnd(3);
	switch (pl->mode) {
	case IPM_TOS:
		pl->tos = rnd(256);
		break;
	case IPM_TTL:
		pl->ttl = (uint8_t[]){ 0, 1, 255 }[rnd(3)];
		break;
	case IPM_OPTS:
		ip_opts_valid(pl);
		break;
	case IPM_BAD_OPTS:
		ip_opts_bad(pl);
		break;
	case IPM_TRAILER:
		pl->extra = rnd_in(1, 64);
		break;
	case IPM_BAD_LEN:
		pl->extra = chance(80) ? rnd_in(1, 1000) : 0;
		break;
	}
}

/* The fragment size, once the segment's length is known. */
static void ip_plan_fit(struct ipplan *pl, size_t seglen)
{
	size_t min, max;

	if (!ipm_is_frag(pl->mode))
		return;
	if (seglen <= 8) {
		/* Nothing to fragment: a whole packet. */
		pl->mode = IPM_PLAIN;
		return;
	}
	max = (seglen - 1) / 8;		/* at least two fragments */
	if (max > 185)
		max = 185;		/* 1480 bytes: the device MTU */
	/* At most FRAGS_MAX fragments: IPv4 bounds a queue's memory. */
	min = (seglen + 8 * FRAGS_MAX - 1) / (8 * FRAGS_MAX);
	if (!min)
		min = 1;
	if (min > max)
		min = max;
	pl->fragsz = 8 * rnd_in(min, max);
	if (pl->mode == IPM_FRAG_TINY)
		pl->fragsz = 8 * min;
}

static uint32_t ipm_daddr(const struct ipplan *pl)
{
	if (pl->mode == IPM_BCAST)
		return htonl(INADDR_BROADCAST);
	if (pl->mode == IPM_MCAST)
		return addr_of("224.0.0.1");
	return addr_of(PEER_HOST);
}

/* ---- the host's packets ---- */

static struct target *target_of(struct fz *f, uint16_t hport, uint16_t pport)
{
	int k;

	for (k = 0; k < K_N; k++)
		if (f->t[k].ok && f->t[k].hport == hport &&
		    f->t[k].pport == pport)
			return &f->t[k];
	return NULL;
}

/* What an answer tells about the host's sequence numbers. */
static void model_learn(struct fz *f, const struct toy_pseg *s)
{
	struct target *t = target_of(f, s->sport, s->dport);
	uint32_t end;

	if (!t || s->type != TOY_TYPE_STREAM || s->flags & TOY_RST)
		return;
	if (s->flags & TOY_ACK)
		t->snd_nxt = s->ack;
	end = s->seq + s->len + !!(s->flags & TOY_SYN) + !!(s->flags & TOY_FIN);
	if ((int32_t)(end - t->rcv_nxt) > 0 || !t->rcv_nxt)
		t->rcv_nxt = end;
}

/*
 * The header length of a host packet: TOY_DOFF; or, on a SYN, the MSS
 * option first and perhaps window scale and SACK permitted; or, on an
 * ACK, SACK blocks; and on any, timestamps.
 */
static bool host_doff_ok(const struct toy_pseg *s)
{
	size_t i = 0;

	if (s->doff == TOY_DOFF)
		return true;
	/* A SYN: MSS first, then window scale, SACK OK, timestamps. */
	if (s->flags & TOY_SYN && (s->optlen < 4 ||
				   s->opts[0] != TOY_OPT_MSS ||
				   s->opts[1] != TOY_OLEN_MSS))
		return false;
	while (i < s->optlen) {
		uint8_t kind = s->opts[i], len;

		if (kind == TOY_OPT_NOP) {
			i++;
			continue;
		}
		if (i + 1 >= s->optlen)
			return false;
		len = s->opts[i + 1];
		if (i + len > s->optlen)
			return false;
		if (kind == TOY_OPT_TIMESTAMP && len == TOY_OLEN_TIMESTAMP) {
			i += len;
			continue;
		}
		if (s->flags & TOY_SYN ?
		    !((kind == TOY_OPT_MSS && len == TOY_OLEN_MSS) ||
		      (kind == TOY_OPT_WSCALE && len == TOY_OLEN_WSCALE &&
		       s->opts[i + 2] <= TOY_MAX_WSCALE) ||
		      (kind == TOY_OPT_SACK_PERM &&
		       len == TOY_OLEN_SACK_PERM)) :
		    !(kind == TOY_OPT_SACK && len >= 10 && len % 8 == 2))
			return false;
		i += len;
	}
	return true;
}

/* Every packet the host sends is well formed. */
static void host_pkt_check(struct fz *f, const struct toy_pseg *s)
{
	if (!s->csum_ok || !host_doff_ok(s) || s->type > TOY_TYPE_UNREACH)
		failf(f, "host sent a bad packet: %u>%u type=%u doff=%u csum_ok=%u",
		      s->sport, s->dport, s->type, s->doff, s->csum_ok);
}

/*
 * Read what the host has sent (without waiting: a TUN write runs the
 * receive path to its end).  Packets on @g's 4-tuple are its answers.
 */
static void drain(struct fz *f, const struct fseg *g, struct answers *got)
{
	struct toy_pseg *s = f->pseg;
	ssize_t n;

	if (got)
		got->n = 0;
	for (;;) {
		n = read(f->peer.fd, s->raw, sizeof(s->raw));
		if (n <= 0)
			break;
		s->raw_len = n;
		if (!tpeer_parse(s))
			continue;
		f->host_pkts++;
		host_pkt_check(f, s);
		model_learn(f, s);
		if (g && got && s->sport == ntohs(g->th.dest) &&
		    s->dport == ntohs(g->th.source)) {
			if (got->n < 16)
				got->a[got->n] = (struct answer){
					s->flags, s->type, s->seq, s->ack,
					s->len };
			got->n++;
		} else {
			f->unsolicited++;
		}
	}
}

/* An answer (not a retransmission a timer may send): ACK, reset, unreach. */
static bool answer_like(const struct answer *a)
{
	if (a->type == TOY_TYPE_UNREACH || a->flags & TOY_RST)
		return true;
	return a->type == TOY_TYPE_STREAM && !a->len &&
	       !(a->flags & (TOY_SYN | TOY_FIN));
}

static int count_answer_like(const struct answers *got)
{
	int i, n = 0;

	for (i = 0; i < got->n && i < 16; i++)
		n += answer_like(&got->a[i]);
	return n;
}

/*
 * The answers proper: resets, unreachables, and the pure ACKs at the
 * highest sequence number among them.  A pure ACK below that is a
 * zero-window probe (snd_una - 1) its timer sent meanwhile.
 */
static int count_answers(const struct answers *got)
{
	uint32_t top = 0;
	bool any = false;
	int i, n = 0;

	for (i = 0; i < got->n && i < 16; i++) {
		const struct answer *a = &got->a[i];

		if (!answer_like(a))
			continue;
		if (a->type == TOY_TYPE_UNREACH || a->flags & TOY_RST) {
			n++;
		} else if (!any || (int32_t)(a->seq - top) > 0) {
			top = a->seq;
			any = true;
		}
	}
	for (i = 0; i < got->n && i < 16; i++)
		n += answer_like(&got->a[i]) && got->a[i].type != TOY_TYPE_UNREACH &&
		     !(got->a[i].flags & TOY_RST) && got->a[i].seq == top;
	return n;
}

/* ---- sending, accounting ---- */

static void strict_check(struct fz *f, const struct ctrs *b,
			 const struct verdict *v, const struct fseg *g,
			 const struct ipplan *pl)
{
	struct ctrs a;

	if (read_ctrs(&a))
		return;
	if (a.insegs - b->insegs != v->ins || a.inerrs - b->inerrs != v->err ||
	    a.incsum - b->incsum != v->csum)
		failf(f, "counted InSegs +%ld InErrs +%ld InCsumErrors +%ld, expected +%d +%d +%d: %s",
		      a.insegs - b->insegs, a.inerrs - b->inerrs,
		      a.incsum - b->incsum, v->ins, v->err, v->csum,
		      describe(f, g, pl));
}

/*
 * Send @g as @pl says, read its answers into @got, and add what the
 * module should count.  Returns the verdict.
 */
static struct verdict inject(struct fz *f, struct fseg *g,
			     const struct ipplan *pl, struct answers *got)
{
	struct verdict v = oracle(g->buf, g->seglen, g->daddr,
				  pl->mode < IPM_DROPPED);
	struct ctrs before;
	int err;

	drain(f, NULL, NULL);		/* what came before is not its */
	if (cfg_strict)
		read_ctrs(&before);
	err = ip_send(f, g, pl);
	if (err) {
		failf(f, "writing to the TUN device: %s: %s", strerror(-err),
		      describe(f, g, pl));
		v = (struct verdict){ 0 };
		if (pl->mode < IPM_DROPPED)	/* may be half sent */
			return v;
	}
	drain(f, g, got);
	f->exp_ins += v.ins;
	f->exp_err += v.err;
	f->exp_csum += v.csum;
	f->exp_dgram += v.dgram;
	if (cfg_strict)
		strict_check(f, &before, &v, g, pl);
	return v;
}

/*
 * An answer to a segment that must draw none: the same segment again,
 * twice.  Only an answer every time is the module's; a single one was a
 * timer of that 4-tuple firing at that moment.
 */
static bool confirm_answered(struct fz *f, struct fseg *g,
			     const struct ipplan *pl)
{
	struct answers again;
	int i;

	for (i = 0; i < 2; i++) {
		f->replays++;
		inject(f, g, pl, &again);
		if (!count_answer_like(&again)) {
			f->coincidences++;
			return false;
		}
	}
	return true;
}

/*
 * An answer that must come but did not come at once: wait a moment
 * (counted), in case the host sent it late.
 */
static void late_answers(struct fz *f, const struct fseg *g,
			 struct answers *got)
{
	struct pollfd pfd = { .fd = f->peer.fd, .events = POLLIN };
	double end = toy_now() + 0.2 * toy_timeout_scale();

	while (!got->n && toy_now() < end) {
		poll(&pfd, 1, 10);
		drain(f, g, got);
	}
	f->waited++;
}

/* A closed port answers with the reset tcp_v4_send_reset() would send. */
static void check_closed_port(struct fz *f, const struct fseg *g,
			      const struct ipplan *pl,
			      const struct answers *got)
{
	const struct toyhdr *th = &g->th;
	const struct answer *a = &got->a[0];
	uint32_t end = ntohl(th->seq) + g->seglen - sizeof(*th) +
		       !!(th->flags & TOY_SYN) + !!(th->flags & TOY_FIN);

	if (th->flags & TOY_RST) {
		if (got->n)
			failf(f, "a reset to a closed port was answered: %s",
			      describe(f, g, pl));
		return;
	}
	if (!got->n)
		late_answers(f, g, (struct answers *)got);
	if (got->n != 1) {
		failf(f, "a closed port answered %d packets, not one reset: %s",
		      got->n, describe(f, g, pl));
		print_answers(got);
		return;
	}
	if (th->flags & TOY_ACK ?
	    a->flags != TOY_RST || a->seq != ntohl(th->ack_seq) :
	    a->flags != (TOY_RST | TOY_ACK) || a->ack != end) {
		failf(f, "wrong reset from a closed port: %s", describe(f, g, pl));
		print_answers(got);
	}
}

static void check_answers(struct fz *f, struct fseg *g,
			  const struct ipplan *pl, const struct verdict *v,
			  const struct answers *got)
{
	bool silent = !v->stream && !v->dgram;
	int i, bound = g->kind == K_BULK ? ANSWER_BOUND_BULK : ANSWER_BOUND;

	if (f->busy)
		bound = ANSWER_BOUND_BUSY;
	if (got->n > bound) {
		failf(f, "one segment drew %d packets (bound %d): %s", got->n,
		      bound, describe(f, g, pl));
		print_answers(got);
	}
	if (f->busy && got->n > ANSWER_BOUND)
		f->late++;
	/* TCP answers a segment once: an ACK, a reset, or (UDP) ICMP. */
	if (!f->busy && count_answers(got) > 1) {
		failf(f, "one segment drew %d answers: %s", count_answers(got),
		      describe(f, g, pl));
		print_answers(got);
	}
	if (silent && count_answer_like(got) && confirm_answered(f, g, pl)) {
		failf(f, "a segment dropped before any socket was answered: %s",
		      describe(f, g, pl));
		print_answers(got);
	}
	if (v->stream && g->th.flags & TOY_RST && !f->busy)
		for (i = 0; i < got->n && i < 16; i++)
			if (got->a[i].flags & TOY_RST) {
				failf(f, "a reset was answered with a reset: %s",
				      describe(f, g, pl));
				print_answers(got);
				break;
			}
	if (g->kind == K_CLOSED && v->stream)
		check_closed_port(f, g, pl, got);
	if (v->dgram && (got->n > 1 ||
			 (got->n && got->a[0].type != TOY_TYPE_UNREACH)) &&
	    g->kind >= K_DGRAM) {
		failf(f, "a datagram drew more than one unreachable: %s",
		      describe(f, g, pl));
		print_answers(got);
	}
}

static void tally(struct tally *t, const struct verdict *v,
		  const struct answers *got)
{
	t->sent++;
	t->delivered += v->ins;
	t->answered += got->n > 0;
	t->answers += got->n;
}

static void revive_if_reset(struct fz *f, const struct fseg *g,
			    const struct answers *got);

/* Send the segment built in f->segbuf, check, count. */
static void fuzz_send(struct fz *f, struct fseg *g, const struct ipplan *pl)
{
	struct answers got;
	struct verdict v;

	v = inject(f, g, pl, &got);
	f->segs++;
	f->answers += got.n;
	if (got.n > f->max_answers)
		f->max_answers = got.n;
	f->hist[got.n > ANSWER_BOUND ? ANSWER_BOUND + 1 : got.n]++;
	f->busy_segs += f->busy;
	tally(&f->by_kind[g->kind], &v, &got);
	tally(&f->by_mal[g->mal], &v, &got);
	tally(&f->by_ipm[pl->mode], &v, &got);
	check_answers(f, g, pl, &v, &got);
	revive_if_reset(f, g, &got);
}

/* One fuzzed segment: build, send, check, count. */
static void fuzz_one(struct fz *f, struct fseg *g, struct ipplan *pl)
{
	seg_build(f, g);
	ip_plan_fit(pl, g->seglen);
	fuzz_send(f, g, pl);
}

/* ---- mutations ---- */

/* A delta for a sequence or acknowledgment number. */
static uint32_t seq_delta(void)
{
	int32_t sign = chance(50) ? 1 : -1;

	switch (rnd(10)) {
	case 0: case 1: case 2: case 3:
		return 0;
	case 4:
		return sign * rnd_in(1, 16);			/* near */
	case 5:
		return rnd_in(17, 65535);			/* in the window */
	case 6:
		return -rnd_in(17, 65535);			/* behind */
	case 7:
		return sign * rnd_in(65536, 70000);		/* just outside */
	case 8:
		return 0x80000000u + sign * rnd(3);		/* half the space */
	default:
		return (uint32_t)rnd64();			/* anywhere */
	}
}

static uint8_t flags_mutate(uint8_t flags)
{
	static const uint8_t combos[] = {
		TOY_SYN, TOY_SYN | TOY_ACK, TOY_ACK, TOY_FIN | TOY_ACK,
		TOY_FIN, TOY_RST, TOY_RST | TOY_ACK, TOY_SYN | TOY_FIN,
		TOY_SYN | TOY_RST, TOY_SYN | TOY_FIN | TOY_RST | TOY_ACK,
		TOY_FIN | TOY_RST, 0, 0xff, 0x08 | TOY_ACK, 0x20 | TOY_ACK,
		0xc0 | TOY_ACK, 0x40 | TOY_SYN, TOY_RST | TOY_FIN | TOY_ACK,
	};
	int r = rnd(100);

	if (r < 50)
		return flags;
	if (r < 85)
		return combos[rnd(sizeof(combos))];
	return rnd(256);
}

static size_t payload_len(void)
{
	int r = rnd(100);

	if (r < 60)
		return 0;
	if (r < 80)
		return rnd_in(1, 64);
	if (r < 94)
		return rnd_in(65, 1460);
	if (r < 98)
		return rnd_in(1461, 9000);	/* beyond the MTU */
	return rnd_in(9001, SEG_MAX);		/* up to what IPv4 carries */
}

static void malform(struct fseg *g)
{
	int r = rnd(100);

	g->mal = MAL_NONE;
	if (r < 84)
		return;
	if (r < 91) {
		g->mal = MAL_CSUM;
	} else if (r < 95) {
		g->mal = MAL_SHORT;
		g->cut = rnd(sizeof(struct toyhdr));
	} else if (r < 98) {
		g->mal = MAL_DOFF;
		do
			g->th.doff = chance(50) ? rnd(16) : rnd(256);
		while (g->th.doff == TOY_DOFF);
	} else {
		g->mal = MAL_TYPE;
		g->th.type = rnd_in(TOY_TYPE_UNREACH + 1, 255);
	}
}

/* The other fields, for any kind of target. */
static void fields_mutate(struct fseg *g)
{
	int r = g->kind == K_CLOSED ? 100 : (int)rnd(100);

	if (r < 2)
		g->th.source = htons(rnd_in(1, 65535));
	else if (r < 4)
		g->th.dest = htons(rnd_in(1, 65535));
	static const uint16_t windows[] = { 0, 1, 2, 65535 };

	if (chance(40))
		g->th.window = htons(chance(20) ? rnd(65536) :
				     windows[rnd(4)]);
	if (chance(5))
		g->th.reserved = rnd_in(1, 255);
	if (chance(7))
		g->th.type = g->th.type == TOY_TYPE_STREAM ?
			     rnd_in(TOY_TYPE_DGRAM, TOY_TYPE_UNREACH) :
			     (chance(50) ? TOY_TYPE_STREAM : TOY_TYPE_UNREACH);
}

static void gen_stream(struct target *t, struct fseg *g)
{
	uint32_t seq = t->snd_nxt, ack = t->rcv_nxt;
	uint8_t flags = TOY_ACK;
	int r = rnd(100);

	if (r >= 50 && r < 85 && t->ntmpl) {
		const struct tmpl *tm = &t->tmpl[rnd(t->ntmpl)];

		seq = tm->seq;
		ack = tm->ack;
		flags = tm->flags;
	} else if (r >= 85) {
		seq = rnd64();
		ack = rnd64();
		flags = rnd(256) & (TOY_SYN | TOY_FIN | TOY_RST | TOY_ACK);
	}
	g->th.seq = htonl(seq + seq_delta());
	g->th.ack_seq = htonl(ack + seq_delta());
	g->th.flags = flags_mutate(flags);
	g->th.window = htons(PEER_WIN);
	g->th.type = TOY_TYPE_STREAM;
}

static void gen_dgram(struct fseg *g)
{
	g->th.type = TOY_TYPE_DGRAM;
	if (chance(20)) {
		g->th.seq = htonl(rnd64());
		g->th.ack_seq = htonl(rnd64());
		g->th.flags = rnd(256);
	}
}

static void gen_closed(struct fseg *g)
{
	g->th.source = htons(rnd_in(40000, 59999));
	g->th.dest = htons(rnd_in(20000, 29999));
	g->th.seq = htonl(rnd64());
	g->th.ack_seq = htonl(chance(50) ? rnd64() : 0);
	g->th.flags = flags_mutate(chance(50) ? TOY_SYN : TOY_ACK);
	g->th.window = htons(PEER_WIN);
	g->th.type = chance(85) ? TOY_TYPE_STREAM : TOY_TYPE_DGRAM;
}

/* Two NOPs and option @kind of @len bytes at @o; past its value. */
static uint8_t *opt_head(uint8_t *o, uint8_t kind, uint8_t len)
{
	*o++ = TOY_OPT_NOP;
	*o++ = TOY_OPT_NOP;
	*o++ = kind;
	*o++ = len;
	return o;
}

static uint8_t *put_be32(uint8_t *o, uint32_t v)
{
	uint32_t be = htonl(v);

	memcpy(o, &be, 4);
	return o + 4;
}

/*
 * Well-formed options, mostly on connections that agreed SACK and
 * timestamps: a TSval that moves on, is old (PAWS), is anything, or 0;
 * SACK blocks around the host's sequence numbers, or anywhere.  The
 * payload shrinks so that the segment keeps its size.
 */
static void gen_opts(struct target *t, struct fseg *g)
{
	uint8_t *o = g->opts;
	int i, n;

	if (!chance(t->opts ? 60 : 10))
		return;
	if (chance(70)) {
		uint32_t val;
		int r = rnd(100);

		if (r < 50)
			val = t->tsval += rnd(1000);
		else if (r < 75)
			val = t->tsval - rnd_in(2, 1 << 20);
		else if (r < 95)
			val = rnd64();
		else
			val = 0;
		o = opt_head(o, TOY_OPT_TIMESTAMP, TOY_OLEN_TIMESTAMP);
		o = put_be32(o, val);
		o = put_be32(o, chance(50) ? 0 : (uint32_t)rnd64());
	}
	if (chance(40)) {
		n = rnd_in(1, o == g->opts ? TOY_MAX_SACK_BLOCKS :
					      TOY_MAX_SACK_BLOCKS_TS);
		o = opt_head(o, TOY_OPT_SACK, 2 + n * TOY_OLEN_SACK_BLOCK);
		for (i = 0; i < n; i++) {
			uint32_t start = chance(80) ? t->rcv_nxt + seq_delta() :
						      (uint32_t)rnd64();

			o = put_be32(o, start);
			o = put_be32(o, chance(80) ? start + rnd(3000) :
					(uint32_t)rnd64());
		}
	}
	g->optlen = o - g->opts;
	g->th.doff = TOY_DOFF + g->optlen / 4;
	g->len = g->len > g->optlen ? g->len - g->optlen : 0;
}

/* A random segment for target @t; the IPv4 plan in @pl. */
static void gen_seg(struct fz *f, struct target *t, struct fseg *g,
		    struct ipplan *pl)
{
	memset(g, 0, sizeof(*g));
	g->kind = t->kind;
	g->th.source = htons(t->pport);
	g->th.dest = htons(t->hport);
	g->th.doff = TOY_DOFF;
	if (t->kind == K_CLOSED)
		gen_closed(g);
	else if (t->kind == K_DGRAM || t->kind == K_DGRAMCONN)
		gen_dgram(g);
	else
		gen_stream(t, g);
	fields_mutate(g);
	g->len = payload_len();
	if (g->th.type == TOY_TYPE_STREAM && t->kind != K_CLOSED)
		gen_opts(t, g);
	malform(g);
	ip_plan(pl);
	g->daddr = ipm_daddr(pl);
}

/* ---- targets ---- */

static void tmpl_add(struct target *t, uint8_t flags, uint32_t seq,
		     uint32_t ack, uint16_t len)
{
	if (t->ntmpl < (int)(sizeof(t->tmpl) / sizeof(t->tmpl[0])))
		t->tmpl[t->ntmpl++] = (struct tmpl){ flags, seq, ack, len };
}

/* A stream segment of the handshakes and closes, remembered. */
static int psend(struct fz *f, struct target *t, uint8_t flags, uint32_t seq,
		 uint32_t ack)
{
	tmpl_add(t, flags, seq, ack, 0);
	return toy_peer_send(&f->peer, t->pport, t->hport, flags, seq, ack,
			     PEER_WIN, NULL, 0);
}

/* The host's next packet on @t's 4-tuple with exactly @flags. */
static int expect(struct fz *f, struct target *t, uint8_t flags)
{
	double end = toy_now() + TOY_PEER_STEP * toy_timeout_scale();

	return tpeer_expect_conn(&f->peer, f->pseg, t->hport, t->pport, flags,
				 end) ? 0 : -1;
}

/* The host's next segment on @t's 4-tuple that carries data. */
static int expect_data(struct fz *f, struct target *t)
{
	double end = toy_now() + TOY_PEER_STEP * toy_timeout_scale();

	while (tpeer_expect_conn(&f->peer, f->pseg, t->hport, t->pport,
				 TOY_ACK, end))
		if (f->pseg->len)
			return 0;
	return -1;
}

static int listen_on(uint16_t port)
{
	struct sockaddr_toy a = taddr(PEER_HOST, port);
	int fd = socket(TOY_AF, SOCK_STREAM | SOCK_NONBLOCK, 0), one = 1;

	if (fd < 0)
		return -1;
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(fd, (struct sockaddr *)&a, sizeof(a)) || listen(fd, 8)) {
		close(fd);
		return -1;
	}
	return fd;
}

/* A random ISN for the peer, one in four just below the wrap. */
static uint32_t peer_isn(void)
{
	return chance(25) ? 0xffffffffu - rnd(64) : (uint32_t)rnd64();
}

/*
 * The options of the peer's SYN or SYN-ACK: for half the targets, MSS,
 * SACK permitted and timestamps (16 bytes), so that the segments
 * fuzzed later meet SACK and PAWS; for the others none.
 */
static const uint8_t *peer_syn_opts(struct target *t)
{
	static uint8_t o[16] = { TOY_OPT_MSS, TOY_OLEN_MSS, 0x05, 0xb4,
				 TOY_OPT_SACK_PERM, TOY_OLEN_SACK_PERM,
				 TOY_OPT_TIMESTAMP, TOY_OLEN_TIMESTAMP };

	t->opts = chance(50);
	t->tsval = rnd64();
	put_be32(o + 8, t->tsval);
	put_be32(o + 12, 0);
	return t->opts ? o : NULL;
}

/* The host connect()s: its SYN read, nothing answered (SYN_SENT). */
static int setup_synsent(struct fz *f, struct target *t)
{
	struct sockaddr_toy a = taddr(PEER_ADDR, t->pport);
	double end = toy_now() + TOY_PEER_STEP * toy_timeout_scale();

	t->fd = socket(TOY_AF, SOCK_STREAM | SOCK_NONBLOCK, 0);
	if (t->fd < 0 || !connect(t->fd, (struct sockaddr *)&a, sizeof(a)) ||
	    errno != EINPROGRESS)
		return -1;
	if (!tpeer_expect_conn(&f->peer, f->pseg, 0, t->pport, TOY_SYN, end))
		return -1;
	t->hport = f->pseg->sport;
	t->rcv_nxt = f->pseg->seq + 1;
	t->snd_nxt = peer_isn();
	tmpl_add(t, TOY_SYN | TOY_ACK, t->snd_nxt, t->rcv_nxt, 0);
	tmpl_add(t, TOY_RST | TOY_ACK, 0, t->rcv_nxt, 0);
	return 0;
}

/* SYN_SENT, then the peer's SYN: a simultaneous open (SYN_RECV). */
static int setup_synrecv(struct fz *f, struct target *t)
{
	if (setup_synsent(f, t))
		return -1;
	t->ntmpl = 0;
	if (psend(f, t, TOY_SYN, t->snd_nxt, 0) ||
	    expect(f, t, TOY_SYN | TOY_ACK))
		return -1;
	t->snd_nxt++;
	tmpl_add(t, TOY_SYN | TOY_ACK, t->snd_nxt - 1, t->rcv_nxt, 0);
	tmpl_add(t, TOY_ACK, t->snd_nxt, t->rcv_nxt, 0);
	return 0;
}

/* The host connect()s and the peer completes the handshake. */
static int setup_active(struct fz *f, struct target *t)
{
	struct toy_pconn c;

	f->peer.isn = peer_isn();
	if (toy_peer_connect_opts(&f->peer, &c, t->pport, PEER_WIN,
				  peer_syn_opts(t), t->opts ? 16 : 0, NULL))
		return -1;
	t->fd = c.fd;
	t->hport = c.hport;
	t->snd_nxt = c.snd_nxt;
	t->rcv_nxt = c.rcv_nxt;
	tmpl_add(t, TOY_SYN | TOY_ACK, c.snd_nxt - 1, c.rcv_nxt, 0);
	tmpl_add(t, TOY_ACK, c.snd_nxt, c.rcv_nxt, 0);
	return 0;
}

/* The peer connects to the dial listener; the host accept()s. */
static int setup_passive(struct fz *f, struct target *t)
{
	struct toy_pconn c;

	f->peer.isn = peer_isn();
	t->hport = f->l2port;
	if (toy_peer_dial_opts(&f->peer, &c, f->l2, f->l2port, t->pport,
			       PEER_WIN, peer_syn_opts(t), t->opts ? 16 : 0,
			       NULL))
		return -1;
	t->fd = c.fd;
	t->snd_nxt = c.snd_nxt;
	t->rcv_nxt = c.rcv_nxt;
	tmpl_add(t, TOY_SYN, c.snd_nxt - 1, 0, 0);
	tmpl_add(t, TOY_ACK, c.snd_nxt, c.rcv_nxt, 0);
	return 0;
}

/* The host closes its side: close() (an orphan) or shutdown(). */
static int host_fin(struct fz *f, struct target *t)
{
	if (t->orphan) {
		close(t->fd);
		t->fd = -1;
	} else if (shutdown(t->fd, SHUT_WR)) {
		return -1;
	}
	if (expect(f, t, TOY_FIN | TOY_ACK))
		return -1;
	t->rcv_nxt = f->pseg->seq + 1;
	return 0;
}

/* The peer's FIN; the host acknowledges it. */
static int peer_fin(struct fz *f, struct target *t, uint32_t ack)
{
	if (psend(f, t, TOY_FIN | TOY_ACK, t->snd_nxt, ack))
		return -1;
	t->snd_nxt++;
	if (expect(f, t, TOY_ACK) || f->pseg->ack != t->snd_nxt)
		return -1;
	return 0;
}

static int setup_halfopen(struct fz *f, struct target *t)
{
	t->hport = f->l1port;
	t->snd_nxt = peer_isn();
	if (psend(f, t, TOY_SYN, t->snd_nxt, 0) ||
	    expect(f, t, TOY_SYN | TOY_ACK))
		return -1;
	t->snd_nxt++;
	t->rcv_nxt = f->pseg->seq + 1;
	tmpl_add(t, TOY_ACK, t->snd_nxt, t->rcv_nxt, 0);
	tmpl_add(t, TOY_RST, t->snd_nxt, 0, 0);
	return 0;
}

static int setup_estdata(struct fz *f, struct target *t)
{
	char data[HOST_DATA];

	memset(data, 'd', sizeof(data));
	if (setup_active(f, t) || write(t->fd, data, sizeof(data)) != HOST_DATA)
		return -1;
	if (expect_data(f, t) || f->pseg->len != HOST_DATA)
		return -1;
	tmpl_add(t, TOY_ACK, t->snd_nxt, t->rcv_nxt + HOST_DATA / 2, 0);
	t->rcv_nxt += HOST_DATA;
	return 0;
}

/*
 * More than the peer's window lets the host send: the rest waits for
 * ACKs that open the window (the fuzzer's windows go to 65535).
 */
static int setup_bulk(struct fz *f, struct target *t)
{
	static char data[HOST_BULK];

	memset(data, 'b', sizeof(data));
	if (setup_active(f, t) || write(t->fd, data, sizeof(data)) != HOST_BULK)
		return -1;
	if (expect_data(f, t))
		return -1;
	tmpl_add(t, TOY_ACK, t->snd_nxt, t->rcv_nxt + f->pseg->len, 0);
	t->rcv_nxt += f->pseg->len;
	return 0;
}

static int setup_target(struct fz *f, struct target *t)
{
	uint32_t fin;

	switch (t->kind) {
	case K_LISTEN:
		t->hport = f->l1port;
		t->snd_nxt = peer_isn();
		tmpl_add(t, TOY_SYN, t->snd_nxt, 0, 0);
		return 0;
	case K_HALFOPEN:
		return setup_halfopen(f, t);
	case K_SYNSENT:
		return setup_synsent(f, t);
	case K_SYNRECV:
		return setup_synrecv(f, t);
	case K_ESTAB:
		return setup_active(f, t);
	case K_ACCEPTED:
		return setup_passive(f, t);
	case K_ESTDATA:
		return setup_estdata(f, t);
	case K_BULK:
		return setup_bulk(f, t);
	case K_FINWAIT1:
		return setup_active(f, t) || host_fin(f, t) ? -1 : 0;
	case K_FINWAIT2:
		if (setup_active(f, t) || host_fin(f, t))
			return -1;
		tmpl_add(t, TOY_FIN | TOY_ACK, t->snd_nxt, t->rcv_nxt, 0);
		return psend(f, t, TOY_ACK, t->snd_nxt, t->rcv_nxt);
	case K_CLOSEWAIT:
		return setup_passive(f, t) || peer_fin(f, t, t->rcv_nxt) ? -1 : 0;
	case K_CLOSING:
		/* Both FINs cross: the peer's does not acknowledge ours. */
		if (setup_active(f, t) || host_fin(f, t))
			return -1;
		if (peer_fin(f, t, t->rcv_nxt - 1))
			return -1;
		tmpl_add(t, TOY_ACK, t->snd_nxt, t->rcv_nxt, 0);
		return 0;
	case K_LASTACK:
		if (setup_passive(f, t) || peer_fin(f, t, t->rcv_nxt) ||
		    host_fin(f, t))
			return -1;
		tmpl_add(t, TOY_ACK, t->snd_nxt, t->rcv_nxt, 0);
		return 0;
	case K_TIMEWAIT:
		t->orphan = true;
		if (setup_passive(f, t) || host_fin(f, t))
			return -1;
		fin = t->snd_nxt;
		if (peer_fin(f, t, t->rcv_nxt))
			return -1;
		tmpl_add(t, TOY_SYN, t->snd_nxt + 100000, 0, 0);
		tmpl_add(t, TOY_FIN | TOY_ACK, fin, t->rcv_nxt, 0);
		return 0;
	}
	return -1;
}

static int setup_dgram(struct fz *f, struct target *t, bool conn)
{
	struct sockaddr_toy a = taddr(chance(50) ? PEER_HOST : "0.0.0.0",
				      t->hport);
	struct sockaddr_toy peer = taddr(PEER_ADDR, t->pport);

	t->fd = socket(TOY_AF, SOCK_DGRAM | SOCK_NONBLOCK, 0);
	if (t->fd < 0 || bind(t->fd, (struct sockaddr *)&a, sizeof(a)))
		return -1;
	if (conn && connect(t->fd, (struct sockaddr *)&peer, sizeof(peer)))
		return -1;
	return 0;
}

static void linger_close(int fd)
{
	struct linger lg = { 1, 0 };

	setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
	close(fd);
}

/* Children in the listeners' accept queues: accepted and reset. */
static void accept_all(struct fz *f)
{
	int i, fd;

	for (i = 0; i < 2; i++)
		while ((fd = accept4(i ? f->l2 : f->l1, NULL, NULL,
				     SOCK_NONBLOCK)) >= 0)
			linger_close(fd);
}

/* A peer port no target used for a while (TIME_WAIT lasts a minute). */
static uint16_t next_pport(struct fz *f)
{
	return 40000 + f->serial++ % 20000;
}

/* Make target @t of kind @kind; a failure fails the lane. */
static void target_make(struct fz *f, struct target *t, int kind)
{
	memset(t, 0, sizeof(*t));
	t->kind = kind;
	t->fd = -1;
	t->pport = next_pport(f);
	t->orphan = chance(50);
	accept_all(f);		/* room in the accept queue for a dial */
	switch (kind) {
	case K_CLOSED:
		t->ok = true;
		return;
	case K_DGRAM:
	case K_DGRAMCONN:
		t->hport = 8000 + (2 * f->round) % 1000 + (kind == K_DGRAMCONN);
		t->ok = !setup_dgram(f, t, kind == K_DGRAMCONN);
		break;
	default:
		t->ok = !setup_target(f, t);
	}
	if (!t->ok)
		failf(f, "round %d: setting up %s failed", f->round,
		      kind_names[kind]);
}

/* A socket of a target that ended or moved on, closed at the round's end. */
static void retire(struct fz *f, int fd)
{
	if (fd < 0)
		return;
	if (f->nretired < (int)(sizeof(f->retired) / sizeof(f->retired[0])))
		f->retired[f->nretired++] = fd;
	else
		linger_close(fd);
}

/* A fresh target in place of @t, whose connection is over. */
static void revive(struct fz *f, struct target *t)
{
	retire(f, t->fd);
	t->fd = -1;
	f->revived[t->kind]++;
	target_make(f, t, t->kind);
}

static bool kind_is_conn(int kind)
{
	return kind >= K_HALFOPEN && kind <= K_TIMEWAIT;
}

/*
 * After a segment to @t drew a reset: a connection without a socket of
 * ours (orphan, TIME_WAIT, half-open entry) is taken for gone and made
 * again; a socket we hold says so itself (host_maintain()).
 */
static void revive_if_reset(struct fz *f, const struct fseg *g,
			    const struct answers *got)
{
	struct target *t = target_of(f, ntohs(g->th.dest),
				     ntohs(g->th.source));
	int i;

	if (!t || !kind_is_conn(t->kind) || t->fd >= 0)
		return;
	for (i = 0; i < got->n && i < 16; i++)
		if (got->a[i].flags & TOY_RST && got->a[i].type == TOY_TYPE_STREAM) {
			revive(f, t);
			return;
		}
}

/* A fresh set of targets, on ports no earlier round used. */
static int round_setup(struct fz *f)
{
	int r = f->round, k;

	memset(f->t, 0, sizeof(f->t));
	for (k = 0; k < K_N; k++)
		f->t[k].fd = -1;
	f->l1port = 9000 + (2 * r) % 1000;
	f->l2port = f->l1port + 1;
	f->l1 = listen_on(f->l1port);
	f->l2 = listen_on(f->l2port);
	if (f->l1 < 0 || f->l2 < 0) {
		failf(f, "round %d: listeners on %u, %u: %s", r, f->l1port,
		      f->l2port, strerror(errno));
		return -1;
	}
	for (k = 0; k < K_N; k++)
		target_make(f, &f->t[k], k);
	drain(f, NULL, NULL);
	return f->failures ? -1 : 0;
}

/*
 * The host's user acts on a connection at a random moment: closes it
 * (an orphan now, in whatever state it is; the fuzzing goes on), shuts
 * a direction, or shrinks the receive buffer (the window, pruning).
 */
static void host_disturb(struct fz *f, struct target *t)
{
	int rcvbuf = (int[]){ 1, 2048, 4096, 16384 }[rnd(4)];

	if (t->fd < 0 || !kind_is_conn(t->kind))
		return;
	f->disturbed++;
	switch (rnd(5)) {
	case 0:
		close(t->fd);
		t->fd = -1;
		t->orphan = true;
		break;
	case 1:
		shutdown(t->fd, SHUT_WR);
		break;
	case 2:
		shutdown(t->fd, SHUT_RD);
		break;
	case 3:
		shutdown(t->fd, SHUT_RDWR);
		break;
	default:
		setsockopt(t->fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf,
			   sizeof(rcvbuf));
	}
}

/*
 * The host's side of the traffic: read what came, accept and reset
 * children; a target whose socket was reset or closed is made again.
 */
static void host_maintain(struct fz *f)
{
	static char buf[65536];
	struct pollfd pfd = { .events = POLLIN };
	int k, i;

	for (k = 0; k < K_N; k++) {
		struct target *t = &f->t[k];

		for (i = 0; t->fd >= 0 && i < 8; i++)
			if (recv(t->fd, buf, sizeof(buf), MSG_DONTWAIT) <= 0)
				break;
		if (t->fd < 0 || !kind_is_conn(k))
			continue;
		pfd.fd = t->fd;
		if (poll(&pfd, 1, 0) == 1 && pfd.revents & (POLLHUP | POLLERR))
			revive(f, t);
	}
	accept_all(f);
	if (chance(5))
		host_disturb(f, &f->t[rnd(K_N)]);
}

#define ST_TIME_WAIT	0x06	/* /proc/net/toy's st, TCP's number */

struct row {
	uint32_t	laddr, raddr;
	unsigned int	lport, rport, st;
};

/* The rows of /proc/net/toy. */
static int proc_rows(struct row *rows, int max)
{
	FILE *fp = fopen("/proc/net/toy", "r");
	char line[512];
	int n = 0;

	if (!fp)
		return -1;
	while (n < max && fgets(line, sizeof(line), fp)) {
		struct row *r = &rows[n];

		if (sscanf(line, " %*d: %x:%x %x:%x %x", &r->laddr, &r->lport,
			   &r->raddr, &r->rport, &r->st) == 5)
			n++;
	}
	fclose(fp);
	return n;
}

/*
 * Connections left with the peer, TIME_WAIT aside (the namespace ends
 * those): a segment far outside the window makes each say where it is
 * (data is always answered), and a reset there ends it.
 */
static int reset_leftovers(struct fz *f)
{
	struct row rows[256];
	int pass, i, n, left = 0;

	for (pass = 0; pass < 10; pass++) {
		n = proc_rows(rows, 256);
		left = 0;
		for (i = 0; i < n; i++) {
			struct row *r = &rows[i];
			double end;

			if (r->raddr != addr_of(PEER_ADDR) ||
			    r->st == ST_TIME_WAIT)
				continue;
			left++;
			toy_peer_send(&f->peer, r->rport, r->lport, TOY_ACK,
				      (uint32_t)rnd64(), 0, 0, "?", 1);
			end = toy_now() + 2 * toy_timeout_scale();
			while (tpeer_recv_until(&f->peer, f->pseg, end))
				if (f->pseg->sport == r->lport &&
				    f->pseg->dport == r->rport &&
				    f->pseg->flags & TOY_ACK)
					break;
			if (f->pseg->sport == r->lport &&
			    f->pseg->dport == r->rport)
				toy_peer_send(&f->peer, r->rport, r->lport,
					      TOY_RST, f->pseg->ack, 0, 0,
					      NULL, 0);
		}
		if (!left)
			return 0;
		usleep(20000);
	}
	for (i = 0; i < n; i++)
		printf("# left: %08x:%u %08x:%u st %02x\n", rows[i].laddr,
		       rows[i].lport, rows[i].raddr, rows[i].rport,
		       rows[i].st);
	return -1;
}

/* The host still completes a handshake. */
static void check_responsive(struct fz *f)
{
	struct toy_pconn c;
	uint16_t pport = 60000 + f->round % 5000;

	f->peer.isn = peer_isn();
	accept_all(f);
	if (toy_peer_dial(&f->peer, &c, f->l2, f->l2port, pport, PEER_WIN)) {
		failf(f, "round %d: the host did not complete a handshake",
		      f->round);
		return;
	}
	linger_close(c.fd);
}

/* Every socket of the round closed, orphans reset, nothing left alive. */
static void round_teardown(struct fz *f)
{
	int k;

	drain(f, NULL, NULL);
	if (f->l2 >= 0)
		check_responsive(f);
	if (f->l1 >= 0)
		close(f->l1);
	if (f->l2 >= 0)
		close(f->l2);
	for (k = 0; k < K_N; k++)
		retire(f, f->t[k].fd);
	while (f->nretired)
		linger_close(f->retired[--f->nretired]);
	memset(f->t, 0, sizeof(f->t));
	if (reset_leftovers(f))
		failf(f, "round %d: connections the peer's resets did not end",
		      f->round);
	if (toy_live_wait("sockets", 0, 10) || toy_live_wait("requests", 0, 10))
		failf(f, "round %d: sockets %ld, half-open entries %ld left",
		      f->round, toy_live("sockets"), toy_live("requests"));
	drain(f, NULL, NULL);
}

/* What the module counted against what it should have. */
static void check_counters(struct fz *f, const char *when)
{
	unsigned long setup = f->peer.sent - f->fuzz_pkts;
	unsigned long dgrams;
	struct ctrs c;

	if (read_ctrs(&c)) {
		failf(f, "%s: cannot read /proc/net/toy_stat", when);
		return;
	}
	dgrams = c.indgrams + c.noports + c.rcvbuf;
	printf("# %s: InSegs %ld (expected %lu) InErrs %ld (%lu) InCsumErrors %ld (%lu) datagrams %lu (%lu)\n",
	       when, c.insegs, setup + f->exp_ins, c.inerrs, f->exp_err,
	       c.incsum, f->exp_csum, dgrams, f->exp_dgram);
	if ((unsigned long)c.insegs != setup + f->exp_ins ||
	    (unsigned long)c.inerrs != f->exp_err ||
	    (unsigned long)c.incsum != f->exp_csum || dgrams != f->exp_dgram)
		failf(f, "%s: the counters do not account for every segment",
		      when);
}

static void print_tally(const char *title, const char * const *names,
			const struct tally *t, int n, const unsigned long *made)
{
	int i;

	printf("# %-18s %8s %9s %8s %8s%s\n", title, "sent", "delivered",
	       "answered", "answers", made ? "  remade" : "");
	for (i = 0; i < n; i++) {
		printf("#   %-16s %8lu %9lu %8lu %8lu", names[i], t[i].sent,
		       t[i].delivered, t[i].answered, t[i].answers);
		if (made)
			printf(" %8lu", made[i]);
		printf("\n");
	}
}

/* The module's counters that moved: how deep the segments went. */
static void print_module_counters(void)
{
	char names[2048], values[2048], *n, *v, *sn, *sv;
	FILE *fp = fopen("/proc/net/toy_stat", "r");
	int col = 0;

	if (!fp)
		return;
	if (fgets(names, sizeof(names), fp) && fgets(values, sizeof(values), fp)) {
		n = strtok_r(names, " \n", &sn);
		v = strtok_r(values, " \n", &sv);
		for (; n && v; n = strtok_r(NULL, " \n", &sn),
		     v = strtok_r(NULL, " \n", &sv)) {
			if (!strcmp(n, "Toy:") || !strcmp(v, "0"))
				continue;
			printf("%s%s=%s", col++ % 6 ? " " : "\n# module: ", n, v);
		}
		printf("\n");
	}
	fclose(fp);
}

static void print_summary(struct fz *f, double secs)
{
	print_module_counters();
	print_tally("target", kind_names, f->by_kind, K_N, f->revived);
	print_tally("malformation", mal_names, f->by_mal, MAL_N, NULL);
	print_tally("ip", ipm_names, f->by_ipm, IPM_N, NULL);
	printf("# answers per segment: 0: %lu, 1: %lu, 2: %lu, 3: %lu, more: %lu (bound %d)\n",
	       f->hist[0], f->hist[1], f->hist[2], f->hist[3],
	       f->hist[ANSWER_BOUND + 1], ANSWER_BOUND);
	printf("# busy half: %lu segments, %lu drew more than %d (late answers); the host's user closed or shut down %lu times\n",
	       f->busy_segs, f->late, ANSWER_BOUND, f->disturbed);
	printf("# toy_fuzz_wire: seed=%llu %.1fs rounds=%d segments=%lu packets=%lu answers=%lu (max %d per segment) unsolicited=%lu replays=%lu coincidences=%lu waited=%lu failures=%d\n",
	       cfg_seed, secs, f->round, f->segs, f->fuzz_pkts, f->answers,
	       f->max_answers, f->unsolicited, f->replays, f->coincidences,
	       f->waited, f->failures);
	fflush(stdout);
}

/* ---- the harness ---- */

static struct fz *fz_open(void)
{
	struct fz *f = calloc(1, sizeof(*f));
	int i;

	if (!f)
		return NULL;
	f->pseg = malloc(sizeof(*f->pseg));
	f->pkt = malloc(70000);
	f->segbuf = malloc(70000);
	f->payload = malloc(70000 + 4096);
	if (!f->pseg || !f->pkt || !f->segbuf || !f->payload)
		return NULL;
	rng_seed(cfg_seed);
	for (i = 0; i < 70000 + 4096; i++)
		f->payload[i] = rnd(256);
	if (new_netns() || toy_peer_open(&f->peer, 0))
		return NULL;
	/*
	 * No queue on the device: what the host sends is in the device's
	 * ring before the send returns, whichever CPU sends (a queue that
	 * another CPU is running would send it a moment later).
	 */
	if (system("tc qdisc replace dev " PEER_DEV " root noqueue"))
		return NULL;
	/*
	 * Fragments that never complete go soon, and the datagrams being
	 * reassembled meanwhile have the room they need (the namespace's
	 * limit, 4 MB by default, drops the fragments beyond it).
	 */
	toy_write_file("/proc/sys/net/ipv4/ipfrag_time", "3");
	toy_write_file("/proc/sys/net/ipv4/ipfrag_high_thresh", "67108864");
	toy_write_file("/proc/sys/net/ipv4/ipfrag_low_thresh", "50331648");
	return f;
}

FIXTURE(fuzz) {
	struct fz *f;
};

FIXTURE_SETUP(fuzz)
{
	ASSERT_EQ(0, toy_live_wait_zero(5));
	self->f = fz_open();
	ASSERT_NE(NULL, self->f);
}

FIXTURE_TEARDOWN(fuzz)
{
	if (self->f)
		toy_peer_close(&self->f->peer);
	/* Out of the namespace: it ends, and its TIME_WAIT entries. */
	EXPECT_EQ(0, unshare(CLONE_NEWNET));
	EXPECT_EQ(0, toy_live_wait_zero(30));
}

/*
 * The busy half of a round: the host reads and asks its sockets
 * questions all the time, so segments also find them owned by a user
 * (the backlog, processed at release_sock()).
 */
static void *host_reader(void *arg)
{
	struct fz *f = arg;
	char buf[64];
	int k, fd, val;

	while (f->busy) {
		fd = accept4(f->l1, NULL, NULL, SOCK_NONBLOCK);
		if (fd >= 0)
			linger_close(fd);
		for (k = 0; k < K_N; k++) {
			fd = f->t[k].fd;
			if (fd <= 0 || k == K_DGRAM || k == K_DGRAMCONN)
				continue;
			recv(fd, buf, 1 + k % sizeof(buf), MSG_DONTWAIT);
			ioctl(fd, SIOCINQ, &val);
			ioctl(fd, SIOCOUTQ, &val);
			so_error(fd);
		}
	}
	return NULL;
}

static void busy_start(struct fz *f)
{
	f->busy = 1;
	if (pthread_create(&f->reader, NULL, host_reader, f)) {
		f->busy = 0;
		failf(f, "pthread_create: %s", strerror(errno));
	}
}

static void busy_stop(struct fz *f)
{
	if (!f->busy)
		return;
	f->busy = 0;
	pthread_join(f->reader, NULL);
}

/* Fuzz until @end: segments at random targets, the host's side between. */
static void fuzz_until(struct fz *f, double end)
{
	struct ipplan pl;
	struct fseg g;
	unsigned long n;
	int copies;

	for (n = 0; toy_now() < end && f->failures < 20; n++) {
		if (n % 16 == 15)
			host_maintain(f);
		gen_seg(f, &f->t[rnd(K_N)], &g, &pl);
		fuzz_one(f, &g, &pl);
		/* Duplicates: three in a row make a fast retransmit. */
		for (copies = chance(3) ? rnd_in(1, 3) : 0; copies; copies--)
			fuzz_send(f, &g, &pl);
	}
}

/*
 * The lane: rounds of ROUND_TIME seconds, each against fresh targets,
 * the host idle for the first half and reading for the second, until
 * TOY_FUZZ_TIME is spent.
 */
TEST_F_TIMEOUT(fuzz, wire, FUZZ_TIMEOUT)
{
	struct fz *f = self->f;
	double start = toy_now(), end;

	while (toy_now() - start < cfg_time) {
		if (!round_setup(f)) {
			end = toy_now() + ROUND_TIME;
			if (end > start + cfg_time)
				end = start + cfg_time;
			fuzz_until(f, toy_now() + (end - toy_now()) / 2);
			busy_start(f);
			fuzz_until(f, end);
			busy_stop(f);
		}
		round_teardown(f);
		f->round++;
		check_counters(f, "round");
		if (f->failures)
			break;
	}
	print_summary(f, toy_now() - start);
	if (f->failures)
		print_reproduce();
	EXPECT_EQ(0, f->failures);
}

#define MALFORMED_EACH	(256 + 20 + 16 + 8)

/*
 * Case @i of MALFORMED_EACH, of type @type, from @t's peer port to its
 * host port, in IPv4 mode @mode: every header length (5 is the one
 * well-formed case; the others with and without data, so also "longer
 * than the packet"), every length below the header, a bad checksum
 * with 0..15 bytes of data, an unknown type.
 */
static void send_malformed(struct fz *f, const struct target *t, int mode,
			   uint8_t type, int i)
{
	static const uint8_t bad_types[] = { 3, 4, 7, 8, 0x10, 0x7f, 0x80,
					     0xff };
	struct ipplan pl = { .mode = mode, .ttl = 64 };
	struct fseg g = { .kind = t->kind };

	if (mode == IPM_OPTS)
		ip_opts_valid(&pl);
	g.th.source = htons(t->pport);
	g.th.dest = htons(t->hport);
	g.th.doff = TOY_DOFF;
	g.th.flags = TOY_SYN;
	g.th.seq = htonl(i);
	g.th.type = type;
	g.daddr = addr_of(PEER_HOST);
	if (i < 256) {
		g.mal = i == TOY_DOFF ? MAL_NONE : MAL_DOFF;
		g.th.doff = i;
		g.len = i % 3 ? 0 : 40;
	} else if (i < 276) {
		g.mal = MAL_SHORT;
		g.cut = i - 256;
	} else if (i < 292) {
		g.mal = MAL_CSUM;
		g.len = i - 276;
	} else {
		g.mal = MAL_TYPE;
		g.th.type = bad_types[i - 292];
	}
	fuzz_one(f, &g, &pl);
}

/*
 * Every kind of malformed segment, once each, counted once each (as
 * send_malformed() lists them), as a stream segment, a datagram and an
 * unreachable, to a listener and to a closed port, in one packet, in
 * 8-byte fragments and with IP options.
 */
TEST_F_TIMEOUT(fuzz, every_malformed_segment_counted, FUZZ_TIMEOUT)
{
	static const int modes[] = { IPM_PLAIN, IPM_FRAG_TINY, IPM_OPTS };
	struct fz *f = self->f;
	int i, m, l, type;

	f->l1port = 9999;
	f->l1 = listen_on(f->l1port);
	ASSERT_LE(0, f->l1);
	f->t[K_LISTEN] = (struct target){ .kind = K_LISTEN, .fd = -1,
					  .hport = f->l1port, .pport = 45000 };
	f->t[K_CLOSED] = (struct target){ .kind = K_CLOSED, .fd = -1,
					  .hport = 29999,
					  .pport = 45000 };
	for (l = 0; l < 2; l++)
		for (type = TOY_TYPE_STREAM; type <= TOY_TYPE_UNREACH; type++)
			for (m = 0; m < 3; m++)
				for (i = 0; i < MALFORMED_EACH; i++)
					send_malformed(f, &f->t[l ? K_CLOSED :
								K_LISTEN],
						       modes[m], type, i);
	close(f->l1);
	drain(f, NULL, NULL);
	check_counters(f, "malformed");
	EXPECT_EQ(2 * 3 * 3 * (MALFORMED_EACH - 1), f->exp_err);
	EXPECT_EQ(2 * 3 * 3 * 16, f->exp_csum);
	print_summary(f, 0);
	EXPECT_EQ(0, f->failures);
}

TEST_HARNESS_MAIN
