/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * AF_TOY: a small, readable transport protocol family over IPv4.
 *
 * This header is the whole userspace contract of the toy.ko module:
 * the address family number, the socket address, the IP protocol number,
 * the socket options and the wire header.
 *
 * Userspace that also uses glibc's <netinet/in.h> must include it before
 * this header: <linux/in.h> then leaves glibc's definitions alone (see
 * <linux/libc-compat.h>).
 */
#ifndef _UAPI_LINUX_TOY_H
#define _UAPI_LINUX_TOY_H

#include <linux/types.h>
#include <linux/socket.h>
#include <linux/in.h>

/*
 * AF_TOY - the address family number of AF_TOY sockets.
 *
 * sock_register() accepts only families below AF_MAX (46 on Linux 6.1), so
 * an out-of-tree family has to borrow a slot that the kernel reserves but
 * nothing registers.  We use 18, <linux/socket.h>'s AF_ASH: reserved since
 * Linux 2.1 and never implemented, in-tree or in any common out-of-tree
 * module, and no module of Debian's kernel declares the alias net-pf-18.
 * (Other free slots, such as DECnet's 12 or IrDA's 23, belonged to families
 * that were removed, and old userspace may still try them.)
 *
 * The module parameter "family" (/sys/module/toy/parameters/family) moves
 * AF_TOY to another free slot; programs that want to follow it read that
 * file instead of using this constant.  The module's autoload alias
 * (net-pf-18) names the default slot only.
 */
#define AF_TOY		18

/* PF_TOY - the protocol family: the same number, as for every family. */
#define PF_TOY		AF_TOY

/*
 * SOL_TOY - the setsockopt()/getsockopt() level of AF_TOY's own options.
 * Above every SOL_* of Linux 6.1 (the highest is SOL_SMC, 286), so that
 * nobody reading a trace confuses it with another family's level.
 */
#define SOL_TOY		290

/*
 * Socket options at level SOL_TOY.
 *
 * TOY_REUSEPORT (int, 0 or 1) - SO_REUSEPORT for AF_TOY.  Linux 6.1.y
 * answers setsockopt(SOL_SOCKET, SO_REUSEPORT) with EOPNOTSUPP on every
 * socket that is not AF_INET or AF_INET6, before the family sees it, so
 * AF_TOY takes the option at its own level.  It sets the same socket
 * flag, so getsockopt(SOL_SOCKET, SO_REUSEPORT) reads it back, and it
 * has SO_REUSEPORT's meaning: sockets that all set it before bind(), and
 * belong to the same user, may hold the same address and port; incoming
 * connections (stream) or datagrams (dgram) are then spread across them
 * by a hash of the sender's address and port.
 */
#define TOY_REUSEPORT	1

/*
 * Keepalive of a stream socket with SO_KEEPALIVE set, as TCP_KEEPIDLE,
 * TCP_KEEPINTVL and TCP_KEEPCNT (int each, same ranges and defaults):
 * after TOY_KEEPIDLE seconds without a segment from the peer (default
 * 7200), a probe every TOY_KEEPINTVL seconds (default 75); after
 * TOY_KEEPCNT unanswered probes (default 9) the connection fails with
 * ETIMEDOUT.
 */
#define TOY_KEEPIDLE	2	/* 1..32767 seconds */
#define TOY_KEEPINTVL	3	/* 1..32767 seconds */
#define TOY_KEEPCNT	4	/* 1..127 probes */

/*
 * Small writes, as TCP_NODELAY and TCP_CORK (int each, 0 or 1).  Bytes
 * written while the last segment queued is short and unsent join it.
 * Nagle's algorithm holds a short segment back while an earlier short
 * one is unacknowledged; TOY_NODELAY turns it off (and sends what it
 * held).  TOY_CORK holds every short segment until it is cleared (then
 * they go as Nagle allows, or at once with TOY_NODELAY), or for one
 * retransmission timeout at most (200 ms or more, as TCP_CORK's
 * ceiling); MSG_MORE on send() does the same for that call.  An
 * accepted socket takes both from its listener.
 */
#define TOY_NODELAY	5	/* 0 or 1 */
#define TOY_CORK	6	/* 0 or 1 */

/*
 * TOY_QUICKACK (int), as TCP_QUICKACK: how a stream socket acknowledges
 * the data it receives.  ACKs normally wait up to 200 ms for data to
 * ride on (delayed ACKs), and go at once for the first segments of a
 * connection, for every second full-sized segment, and after a loss.
 * 1 leaves interactive mode (where ACKs wait for the answer) and sends a
 * waiting ACK now; 0 enters it.  Neither is permanent: the socket moves
 * between them as data comes and goes.  getsockopt() reads 1 unless the
 * socket is in interactive mode.
 */
#define TOY_QUICKACK	7	/* 0 or 1 */

/*
 * TOY_INFO (struct toy_info, read only), as TCP_INFO: what a stream
 * socket knows about its connection.  getsockopt() copies the first
 * min(*optlen, sizeof(struct toy_info)) bytes and sets *optlen to that
 * length, so a program built with an older, shorter struct reads the
 * fields it knows, and one built with a newer, longer struct learns
 * from *optlen which fields the module filled.  A datagram socket:
 * ENOPROTOOPT.
 */
#define TOY_INFO	8

/* struct toy_info.toyi_version of this header's struct. */
#define TOY_INFO_VERSION 1

/* Options the handshake agreed (struct toy_info.toyi_options). */
#define TOYI_OPT_TIMESTAMPS	0x01
#define TOYI_OPT_SACK		0x02
#define TOYI_OPT_WSCALE		0x04

/* Loss recovery states (struct toy_info.toyi_ca_state), TCP_CA_*'s. */
#define TOYI_CA_OPEN		0	/* no loss suspected */
#define TOYI_CA_RECOVERY	3	/* fast recovery */
#define TOYI_CA_LOSS		4	/* after a retransmission timeout */

/**
 * struct toy_info - a stream connection as TOY_INFO and sock_diag show
 * it, in the shape of struct tcp_info.  Times are in microseconds unless
 * a line says otherwise; sizes in bytes; counts in segments.  New fields
 * are only ever added at the end.
 */
struct toy_info {
	/* TOY_INFO_VERSION: which fields this struct has. */
	__u8	toyi_version;
	/* The socket's state, TCP's numbering (1 ESTABLISHED ... 10 LISTEN). */
	__u8	toyi_state;
	/* TOYI_OPT_*: options both SYNs carried. */
	__u8	toyi_options;
	/* TOYI_CA_*: what loss recovery is doing. */
	__u8	toyi_ca_state;
	/* The peer's window scale shift: its windows are << this. */
	__u8	toyi_snd_wscale;
	/* Ours: the windows we advertise are >> this. */
	__u8	toyi_rcv_wscale;
	/* Retransmission timeouts (or SYN timeouts) in a row. */
	__u8	toyi_retransmits;
	/* Zero-window probes unanswered in a row. */
	__u8	toyi_probes;
	/* Exponential backoff of the zero-window probe interval. */
	__u8	toyi_backoff;
	/* Always zero. */
	__u8	toyi_pad[3];

	/* Retransmission timeout. */
	__u32	toyi_rto;
	/* How long a delayed ACK may wait. */
	__u32	toyi_ato;
	/* Most data we put in a segment. */
	__u32	toyi_snd_mss;
	/* The peer's segment size, as measured on what it sent; 0: none. */
	__u32	toyi_rcv_mss;
	/* The MSS option of the peer's SYN; 0: none. */
	__u32	toyi_peer_mss;

	/* Segments sent and not acknowledged. */
	__u32	toyi_unacked;
	/* Of those, segments the peer SACKed. */
	__u32	toyi_sacked;
	/* Of those, segments taken as lost and not resent yet. */
	__u32	toyi_lost;
	/* Segments sent more than once, over the connection's life. */
	__u32	toyi_total_retrans;

	/* Milliseconds since we last sent data, or the handshake began. */
	__u32	toyi_last_data_sent;
	/* Milliseconds since data last arrived, or the handshake began. */
	__u32	toyi_last_data_recv;
	/* Milliseconds since a segment last arrived. */
	__u32	toyi_last_ack_recv;

	/* Smoothed round-trip time (RFC 6298); 0: no sample yet. */
	__u32	toyi_rtt;
	/* Its variation. */
	__u32	toyi_rttvar;
	/* Slow start threshold, segments; 0x7fffffff before any loss. */
	__u32	toyi_snd_ssthresh;
	/* Congestion window, segments. */
	__u32	toyi_snd_cwnd;
	/* The window the peer offers, bytes. */
	__u32	toyi_snd_wnd;
	/* The window we last offered, bytes. */
	__u32	toyi_rcv_wnd;
	/* The receiver's RTT estimate; 0: not measured. */
	__u32	toyi_rcv_rtt;
	/* Bytes the reader took in the last receiver RTT (autotuning). */
	__u32	toyi_rcv_space;
	/* The path MTU the socket's route has; 0: no route yet. */
	__u32	toyi_pmtu;

	/*
	 * Bytes the peer acknowledged, our SYN and FIN counted as one each
	 * (as TCP's tcpi_bytes_acked).
	 */
	__u64	toyi_bytes_acked;
	/* Data bytes received in order. */
	__u64	toyi_bytes_received;
	/* Data bytes sent, retransmissions included. */
	__u64	toyi_bytes_sent;
	/* Data bytes sent again. */
	__u64	toyi_bytes_retrans;
	/* Segments sent, retransmissions and pure ACKs included. */
	__u32	toyi_segs_out;
	/* Segments received, duplicates included. */
	__u32	toyi_segs_in;
	/* Segments sent that carried data. */
	__u32	toyi_data_segs_out;
	/* Segments received that carried data. */
	__u32	toyi_data_segs_in;
	/*
	 * Delivery rate, bytes per second: data acknowledged over the last
	 * interval of at least one smoothed RTT that ended with an ACK;
	 * 0 before the first such interval.
	 */
	__u64	toyi_delivery_rate;
};

/*
 * IPPROTO_TOY - the IPv4 protocol number that carries AF_TOY segments.
 *
 * 253 is one of the two numbers RFC 3692 sets aside for experimentation
 * and testing.  The module parameter "ipproto" changes it.  socket()
 * accepts 0 or this number as its protocol argument.
 */
#define IPPROTO_TOY	253

/*
 * struct sockaddr_toy - an AF_TOY endpoint: an IPv4 address and a port.
 *
 * Same size and layout as struct sockaddr_in, so the habits (and casts)
 * of IPv4 code carry over.
 */
struct sockaddr_toy {
	/* Always AF_TOY. */
	__kernel_sa_family_t	stoy_family;
	/* Port, in network byte order; 0 asks for an ephemeral port. */
	__be16			stoy_port;
	/* IPv4 address, in network byte order; INADDR_ANY is the wildcard. */
	struct in_addr		stoy_addr;
	/* Padding to the size of struct sockaddr; zeroed on output. */
	unsigned char		stoy_zero[8];
};

/*
 * struct toyhdr - the AF_TOY segment header, carried right after the IPv4
 * header of a packet whose protocol is IPPROTO_TOY.  All fields are in
 * network byte order.
 *
 *   0                   1                   2                   3
 *   0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 *  +-------------------------------+-------------------------------+
 *  |          source port          |       destination port        |
 *  +-------------------------------+-------------------------------+
 *  |                        sequence number                        |
 *  +---------------------------------------------------------------+
 *  |                     acknowledgment number                     |
 *  +---------------+---------------+-------------------------------+
 *  | header length |     flags     |            window             |
 *  +---------------+---------------+-------------------------------+
 *  |           checksum            |     type      |   (zero)      |
 *  +-------------------------------+-------------------------------+
 *  |              data (stream bytes, or the datagram) ...         |
 *
 * The type says what the packet is (TOY_TYPE_*): a stream segment, a
 * datagram, or the "port unreachable" answer to a datagram.  Stream and
 * datagram sockets have separate port spaces; the type keeps their
 * packets apart on the wire.  A datagram uses only the ports, the
 * checksum and the type (the rest is sent as zero and ignored).
 */
struct toyhdr {
	/* Ports of the sender and the receiver. */
	__be16	source;
	__be16	dest;
	/* Sequence number of the first data byte (of the SYN, if set). */
	__be32	seq;
	/* Next sequence number the sender expects; valid with TOY_ACK. */
	__be32	ack_seq;
	/*
	 * Header length in 32-bit words, options included: 5 (20 bytes, no
	 * options) to 15 (60 bytes).  A datagram's is always 5.
	 */
	__u8	doff;
	/* TOY_FIN, TOY_SYN, TOY_RST, TOY_ACK. */
	__u8	flags;
	/* Receive window: bytes the sender can take beyond ack_seq. */
	__be16	window;
	/*
	 * Internet checksum over an IPv4 pseudo-header (source address,
	 * destination address, zero, IPPROTO_TOY, segment length), this
	 * header and the data, as TCP's.  A segment with a bad checksum is
	 * dropped and counted.
	 */
	__sum16	check;
	/* TOY_TYPE_*; a packet of another type is dropped and counted. */
	__u8	type;
	/* Sent as zero; ignored on receipt. */
	__u8	reserved;
};

/* Packet types (toyhdr.type). */
#define TOY_TYPE_STREAM	0	/* a stream segment */
#define TOY_TYPE_DGRAM	1	/* a datagram: the data is the message */
/*
 * No socket has the datagram's destination port (the role of ICMP port
 * unreachable for UDP): sent back from that port to the sender's port,
 * with no data.  A socket connected to that port learns ECONNREFUSED;
 * others are not disturbed.
 */
#define TOY_TYPE_UNREACH 2

/*
 * The largest datagram: what fits in an IPv4 packet of 65535 bytes after
 * its 20-byte header and ours.  Longer: EMSGSIZE.  Datagrams longer than
 * the path's MTU are sent as IP fragments.
 */
#define TOY_DGRAM_MAX	(65535 - 20 - 20)

/* Header length (doff) of a struct toyhdr, in 32-bit words. */
#define TOY_DOFF	5

/* Flags (toyhdr.flags), TCP's values for TCP's meanings. */
#define TOY_FIN		0x01	/* no more data from the sender */
#define TOY_SYN		0x02	/* synchronise sequence numbers */
#define TOY_RST		0x04	/* reset the connection */
#define TOY_ACK		0x10	/* ack_seq is valid */

/*
 * Header options: TCP's encoding (RFC 9293 3.1) and TCP's kinds, in the
 * doff * 4 - 20 bytes after struct toyhdr of a stream segment.  Each
 * option is a kind byte; every kind but EOL and NOP has a length byte
 * next (kind and length bytes counted) and then its value.  The SYN
 * and the SYN-ACK of a handshake carry them, as AF_TOY (and Linux TCP)
 * sends them:
 *
 *   0                   1                   2                   3
 *   0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 *  +---------------+---------------+-------------------------------+
 *  |  kind=2 (MSS) |   length=4    |     maximum segment size      |
 *  +---------------+---------------+---------------+---------------+
 *  | kind=4 (SACK  |   length=2    |  kind=8 (TS)  |   length=10   |
 *  |  permitted)   |               |               |               |
 *  +---------------+---------------+---------------+---------------+
 *  |            TSval: the sender's clock, in milliseconds         |
 *  +---------------------------------------------------------------+
 *  |        TSecr: the last TSval it received (0 in a SYN)         |
 *  +---------------+---------------+---------------+---------------+
 *  |  kind=1 (NOP) | kind=3 (WS)   |   length=3    |  shift count  |
 *  +---------------+---------------+---------------+---------------+
 *
 * (without timestamps, SACK permitted goes last, after two NOPs; without
 * SACK, two NOPs take its place before the timestamps).  Once both SYNs
 * carried timestamps, every segment of the connection starts its
 * options with two NOPs and the timestamps option, and an ACK sent
 * while data waits out of order then carries SACK blocks (RFC 2018):
 *
 *  +---------------+---------------+---------------+---------------+
 *  |  kind=1 (NOP) |  kind=1 (NOP) | kind=5 (SACK) | length=2+8*n  |
 *  +---------------+---------------+---------------+---------------+
 *  |      left edge of block 1: first sequence number it holds      |
 *  +---------------------------------------------------------------+
 *  |      right edge of block 1: the sequence number after it      |
 *  +---------------------------------------------------------------+
 *  /                       ... up to block n                       /
 *  +---------------------------------------------------------------+
 *
 * MSS: the most data the sender of the SYN can take in one segment (its
 * route's MTU less 40 bytes).  Without it, 16384 is assumed.
 * Window scale (RFC 7323): the sender will shift the windows it
 * advertises by this count (at most 14; more is taken as 14).  Both
 * SYNs must carry it, else neither side scales; the window field of a
 * SYN itself is never scaled.  net.toy.window_scaling = 0 stops
 * offering it.
 * SACK permitted: the sender of the SYN takes SACK blocks; both SYNs
 * must carry it (net.toy.sack = 0 stops offering it).  Then an ACK
 * without data, sent while the receiver holds data beyond a hole, says
 * which blocks it holds, the one that arrived last first; the sender
 * retransmits only the holes.  Four blocks fit the 40 bytes of options,
 * three next to the timestamps.
 * Timestamps (RFC 7323): TSval is the sender's millisecond clock plus an
 * offset of its own for each pair of addresses; TSecr echoes the TSval
 * of the peer's latest segment in sequence (TCP's ts_recent).  Both SYNs
 * must carry it (net.toy.timestamps = 0 stops offering it).  The echo
 * measures the RTT even of retransmitted data, and PAWS (protection
 * against wrapped sequence numbers) drops a segment whose TSval is older
 * than the latest: at loopback speed the 32-bit sequence space wraps in
 * seconds, so sequence numbers alone cannot tell an old segment from a
 * new one; and a SYN-ACK must echo a TSval of our SYN, else it answers
 * some other SYN and gets a reset.  The MSS option never counts
 * options: with timestamps each segment carries 12 bytes less data than
 * the MSS.
 *
 * An unknown kind is skipped by its length.  A segment whose options do
 * not parse (a length below 2 or past the header; an MSS, window scale,
 * SACK permitted or timestamps option of another length; SACK blocks
 * that are not whole) is dropped and counted (InErrs, InOptErrors).
 * Options are read from a SYN, and timestamps and SACK blocks from
 * every segment of a connection that negotiated them.
 */
#define TOY_OPT_EOL	0	/* end of the option list */
#define TOY_OPT_NOP	1	/* one byte of padding */
#define TOY_OPT_MSS	2	/* maximum segment size, 16 bits */
#define TOY_OPT_WSCALE	3	/* window scale shift count, 8 bits */
#define TOY_OPT_SACK_PERM 4	/* SACK permitted, no value */
#define TOY_OPT_SACK	5	/* SACK blocks: pairs of 32-bit edges */
#define TOY_OLEN_MSS	4
#define TOY_OLEN_WSCALE	3
#define TOY_OLEN_SACK_PERM 2
#define TOY_OPT_TIMESTAMP 8	/* TSval and TSecr, 32 bits each */
#define TOY_OLEN_SACK_BLOCK 8	/* each block's share of a SACK length */
#define TOY_OLEN_TIMESTAMP 10
#define TOY_OLEN_TSTAMP_ALIGNED 12	/* two NOPs and the timestamps */
#define TOY_MAX_WSCALE	14	/* RFC 7323 2.3 */
#define TOY_MAX_SACK_BLOCKS 4	/* what 40 bytes of options hold */
#define TOY_MAX_SACK_BLOCKS_TS 3 /* ... next to the timestamps */

#endif /* _UAPI_LINUX_TOY_H */
