/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * AF_TOY sock_diag: the netlink interface that lists AF_TOY sockets, as
 * inet_diag lists TCP's and UDP's (ss) and vsock_diag lists vsock's.
 *
 * A program opens a NETLINK_SOCK_DIAG socket and sends a message of type
 * SOCK_DIAG_BY_FAMILY whose body is a struct toy_diag_req, optionally
 * followed by request attributes (TOY_DIAG_REQ_*):
 *
 *   - with NLM_F_DUMP: every socket of the sender's network namespace
 *     that passes the filter, one TOY_DIAG message (struct toy_diag_msg
 *     and the attributes asked for) each, over as many netlink messages
 *     as they take, then NLMSG_DONE;
 *   - without: exact lookup of one socket by the whole of the request's
 *     id (addresses, ports and, unless TOY_DIAG_NOCOOKIE, the cookie): one
 *     message, or an error: ENOENT (none), ESTALE (cookie mismatch).
 *
 * Every socket of the namespace is listed to every user, as inet_diag
 * does; the owner's uid and the inode say whose it is.  A bad request
 * (too short, a type other than SOCK_STREAM or SOCK_DGRAM, an unknown
 * attribute, a prefix longer than 32, too many port ranges) gets EINVAL.
 */
#ifndef _UAPI_LINUX_TOY_DIAG_H
#define _UAPI_LINUX_TOY_DIAG_H

#include <linux/types.h>

/*
 * struct toy_diag_sockid - a socket's addresses, in network byte order,
 * and its cookie.
 */
struct toy_diag_sockid {
	/* Local port; a request: the port to match, 0 any. */
	__be16	tdiag_sport;
	/* Remote port; 0 for a socket not connected. */
	__be16	tdiag_dport;
	/* Local address; INADDR_ANY for a wildcard bind. */
	__be32	tdiag_src;
	/* Remote address; INADDR_ANY for a socket not connected. */
	__be32	tdiag_dst;
	/* SO_BINDTODEVICE's interface index; 0: none.  Not a filter. */
	__u32	tdiag_if;
	/*
	 * The socket's cookie (SO_COOKIE), low word first: names one socket
	 * for its whole life.  An exact lookup with TOY_DIAG_NOCOOKIE in
	 * both words matches any cookie.
	 */
	__u32	tdiag_cookie[2];
};

#define TOY_DIAG_NOCOOKIE (~0U)

/**
 * struct toy_diag_req - a request: which sockets, what about them.
 */
struct toy_diag_req {
	/* AF_TOY (the module's family number, see <linux/toy.h>). */
	__u8	sdiag_family;
	/* The socket type: SOCK_STREAM or SOCK_DGRAM. */
	__u8	sdiag_protocol;
	/* Attributes wanted: 1 << (TOY_DIAG_x - 1) for each TOY_DIAG_x. */
	__u8	tdiag_ext;
	/* A dump: the prefix length of id.tdiag_src to match, 0..32. */
	__u8	tdiag_src_len;
	/* A dump: the prefix length of id.tdiag_dst to match, 0..32. */
	__u8	tdiag_dst_len;
	/* Must be zero. */
	__u8	tdiag_pad[3];
	/*
	 * A dump: the states to list, 1 << state for each TCP_* state
	 * number (TCP_ESTABLISHED 1 ... TCP_NEW_SYN_RECV 12); ~0 all.  A
	 * half-open entry is TCP_SYN_RECV here, as in /proc/net/toy.  A
	 * datagram socket is TCP_CLOSE (7) unconnected, TCP_ESTABLISHED
	 * (1) connected.
	 */
	__u32	tdiag_states;
	/* A dump: ports to match (0: any), addresses by prefix.  A lookup:
	 * the socket.
	 */
	struct toy_diag_sockid id;
};

/*
 * Request attributes, each at most once.  A port range list: an array of
 * struct toy_diag_port_range; a socket passes if its port is in any of
 * them.  At most TOY_DIAG_MAX_RANGES ranges each.
 */
enum {
	TOY_DIAG_REQ_NONE,
	TOY_DIAG_REQ_SPORTS,	/* local port ranges */
	TOY_DIAG_REQ_DPORTS,	/* remote port ranges */
	__TOY_DIAG_REQ_MAX,
};

#define TOY_DIAG_REQ_MAX (__TOY_DIAG_REQ_MAX - 1)
#define TOY_DIAG_MAX_RANGES 64

/* A range of ports, host byte order, both ends included. */
struct toy_diag_port_range {
	__u16	lo;
	__u16	hi;
};

/* struct toy_diag_msg.tdiag_timer: which timer runs, as inet_diag's. */
#define TOY_DIAG_TIMER_NONE	0
#define TOY_DIAG_TIMER_RETRANS	1	/* retransmission, or a SYN-ACK */
#define TOY_DIAG_TIMER_KEEPALIVE 2	/* keepalive, or FIN_WAIT_2's end */
#define TOY_DIAG_TIMER_TIMEWAIT	3	/* a TIME_WAIT entry's end */
#define TOY_DIAG_TIMER_PROBE	4	/* a zero-window probe */

/**
 * struct toy_diag_msg - one socket, the body of each answer.
 */
struct toy_diag_msg {
	/* AF_TOY. */
	__u8	tdiag_family;
	/* The state, TCP's numbering; TCP_SYN_RECV for a half-open entry. */
	__u8	tdiag_state;
	/* SOCK_STREAM or SOCK_DGRAM. */
	__u8	tdiag_type;
	/* TOY_DIAG_TIMER_*. */
	__u8	tdiag_timer;
	/* Timeouts in a row (a half-open entry: SYN-ACKs sent again). */
	__u8	tdiag_retrans;
	/* Always zero. */
	__u8	tdiag_pad[3];

	struct toy_diag_sockid id;

	/* Milliseconds until the timer fires; 0 with no timer. */
	__u32	tdiag_expires;
	/*
	 * Receive queue: a listener's connections waiting for accept();
	 * a connection's bytes not read yet; a datagram socket's receive
	 * buffer memory.
	 */
	__u32	tdiag_rqueue;
	/*
	 * Send queue: a listener's accept backlog limit; a connection's
	 * bytes not acknowledged yet; a datagram socket's send buffer
	 * memory.
	 */
	__u32	tdiag_wqueue;
	/* Owner, as the requester's user namespace sees it; 0 for entries. */
	__u32	tdiag_uid;
	/* Inode of the socket's file; 0 for entries and orphans. */
	__u32	tdiag_inode;
};

/*
 * Answer attributes.  TOY_DIAG_MEMINFO and TOY_DIAG_INFO only when the
 * request's tdiag_ext asks for them, and only for full sockets (not for
 * half-open or TIME_WAIT entries); TOY_DIAG_SHUTDOWN always for full
 * sockets.
 */
enum {
	TOY_DIAG_NONE,
	/* __u32[SK_MEMINFO_VARS], <linux/sock_diag.h>'s SK_MEMINFO_*. */
	TOY_DIAG_MEMINFO,
	/* struct toy_info (stream sockets only). */
	TOY_DIAG_INFO,
	/* __u8: RCV_SHUTDOWN 1 | SEND_SHUTDOWN 2. */
	TOY_DIAG_SHUTDOWN,
	__TOY_DIAG_MAX,
};

#define TOY_DIAG_MAX (__TOY_DIAG_MAX - 1)

#endif /* _UAPI_LINUX_TOY_DIAG_H */
