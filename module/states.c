// SPDX-License-Identifier: GPL-2.0
/*
 * The state diagram of a stream connection, as a table: every edge, what
 * takes it, and who holds the state afterwards.  It is the one written
 * form of the diagram:
 *
 *   - toy_set_state() checks every change of a stream socket's state
 *     against it, so the table cannot drift from the code: a change the
 *     table lacks is a WARN, red in every test run;
 *   - /sys/kernel/debug/toy/states prints it, and the tour draws the
 *     diagram from that file;
 *   - the KUnit suite (kunit/states.c) checks that it is whole: every
 *     state is reached from CLOSE, and every state has a way back to it,
 *     so nothing that enters a state stays there for ever.
 *
 * Three edges are taken by an entry rather than by the socket itself: a
 * listener stays in LISTEN while a request entry (request.c) holds the
 * SYN_RECV of a half-open connection, and a TIME_WAIT entry (timewait.c)
 * holds TIME_WAIT while the socket it replaced is closed.  Those are
 * TOY_EDGE_REQUEST and TOY_EDGE_TIMEWAIT; the socket's own side of the
 * hand-over (FIN_WAIT2 or CLOSING to CLOSE) is an edge of its own.
 */

#include <linux/debugfs.h>
#include <linux/seq_file.h>

#include "toy.h"

/*
 * The edges.  "in" is a segment received, "out" one sent; the event is
 * what the user or the peer does, then what the module answers.
 */
static const struct toy_state_edge toy_state_edges[] = {
	{ TCP_CLOSE, TCP_LISTEN, TOY_EDGE_SOCKET, "listen()" },
	{ TCP_CLOSE, TCP_SYN_SENT, TOY_EDGE_SOCKET, "connect(): SYN out" },
	{ TCP_LISTEN, TCP_SYN_RECV, TOY_EDGE_REQUEST,
	  "SYN in: SYN,ACK out (a request entry)" },
	{ TCP_LISTEN, TCP_CLOSE, TOY_EDGE_SOCKET, "close()" },
	{ TCP_SYN_SENT, TCP_ESTABLISHED, TOY_EDGE_SOCKET,
	  "SYN,ACK in: ACK out" },
	{ TCP_SYN_SENT, TCP_SYN_RECV, TOY_EDGE_SOCKET,
	  "SYN in (simultaneous open): SYN,ACK out" },
	{ TCP_SYN_SENT, TCP_CLOSE, TOY_EDGE_SOCKET,
	  "RST in, no answer, close()" },
	{ TCP_SYN_RECV, TCP_ESTABLISHED, TOY_EDGE_SOCKET,
	  "ACK of the SYN in (accept() gets a socket)" },
	{ TCP_SYN_RECV, TCP_CLOSE_WAIT, TOY_EDGE_SOCKET, "FIN in: ACK out" },
	{ TCP_SYN_RECV, TCP_CLOSE, TOY_EDGE_SOCKET, "RST in, no answer" },
	{ TCP_ESTABLISHED, TCP_FIN_WAIT1, TOY_EDGE_SOCKET,
	  "close(), shutdown(): FIN out" },
	{ TCP_ESTABLISHED, TCP_CLOSE_WAIT, TOY_EDGE_SOCKET, "FIN in: ACK out" },
	{ TCP_ESTABLISHED, TCP_CLOSE, TOY_EDGE_SOCKET,
	  "RST in or out, retransmissions or keepalives unanswered" },
	{ TCP_FIN_WAIT1, TCP_FIN_WAIT2, TOY_EDGE_SOCKET, "ACK of the FIN in" },
	{ TCP_FIN_WAIT1, TCP_CLOSING, TOY_EDGE_SOCKET, "FIN in: ACK out" },
	{ TCP_FIN_WAIT1, TCP_CLOSE, TOY_EDGE_SOCKET,
	  "RST in or out, no answer" },
	{ TCP_FIN_WAIT2, TCP_TIME_WAIT, TOY_EDGE_TIMEWAIT, "FIN in: ACK out" },
	{ TCP_FIN_WAIT2, TCP_CLOSE, TOY_EDGE_SOCKET,
	  "a TIME_WAIT entry takes over; RST; an orphan's fin_timeout" },
	{ TCP_CLOSE_WAIT, TCP_LAST_ACK, TOY_EDGE_SOCKET,
	  "close(), shutdown(): FIN out" },
	{ TCP_CLOSE_WAIT, TCP_CLOSE, TOY_EDGE_SOCKET,
	  "RST in or out, no answer" },
	{ TCP_CLOSING, TCP_TIME_WAIT, TOY_EDGE_TIMEWAIT, "ACK of the FIN in" },
	{ TCP_CLOSING, TCP_CLOSE, TOY_EDGE_SOCKET,
	  "a TIME_WAIT entry takes over; RST in, no answer" },
	{ TCP_LAST_ACK, TCP_CLOSE, TOY_EDGE_SOCKET,
	  "ACK of the FIN in; RST in, no answer" },
	{ TCP_TIME_WAIT, TCP_CLOSE, TOY_EDGE_TIMEWAIT,
	  "2 x MSL; a newer SYN reopens the 4-tuple" },
};

/**
 * toy_state_edges_get() - The state diagram's edges.
 * @n: set to how many there are.
 *
 * Return: the table, in the order of the diagram.
 */
const struct toy_state_edge *toy_state_edges_get(unsigned int *n)
{
	*n = ARRAY_SIZE(toy_state_edges);
	return toy_state_edges;
}

/**
 * toy_state_edge_known() - Does a socket of its own take this edge?
 * @from: the state it leaves.
 * @to: the state it enters.
 *
 * Return: true if the table has the edge as a TOY_EDGE_SOCKET one.
 */
bool toy_state_edge_known(int from, int to)
{
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(toy_state_edges); i++)
		if (toy_state_edges[i].from == from &&
		    toy_state_edges[i].to == to &&
		    toy_state_edges[i].by == TOY_EDGE_SOCKET)
			return true;
	return false;
}

/* The names of the tracepoints (toy_trace.h) and of ss's TCP_* states. */
static const char * const toy_state_names[TCP_MAX_STATES] = {
	[TCP_ESTABLISHED]	= "ESTABLISHED",
	[TCP_SYN_SENT]		= "SYN_SENT",
	[TCP_SYN_RECV]		= "SYN_RECV",
	[TCP_FIN_WAIT1]		= "FIN_WAIT1",
	[TCP_FIN_WAIT2]		= "FIN_WAIT2",
	[TCP_TIME_WAIT]		= "TIME_WAIT",
	[TCP_CLOSE]		= "CLOSE",
	[TCP_CLOSE_WAIT]	= "CLOSE_WAIT",
	[TCP_LAST_ACK]		= "LAST_ACK",
	[TCP_LISTEN]		= "LISTEN",
	[TCP_CLOSING]		= "CLOSING",
};

static const char * const toy_edge_by[] = {
	[TOY_EDGE_SOCKET]	= "socket",
	[TOY_EDGE_REQUEST]	= "request",
	[TOY_EDGE_TIMEWAIT]	= "timewait",
};

/*
 * One line per edge: FROM TO BY EVENT, BY being who holds the new state
 * (socket, request or timewait), EVENT free text to the end of the line.
 */
static int toy_states_show(struct seq_file *m, void *v)
{
	const struct toy_state_edge *e;

	for (e = toy_state_edges; e < toy_state_edges +
	     ARRAY_SIZE(toy_state_edges); e++)
		seq_printf(m, "%s %s %s %s\n", toy_state_names[e->from],
			   toy_state_names[e->to], toy_edge_by[e->by], e->event);
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(toy_states);

/**
 * toy_states_debugfs_init() - Create /sys/kernel/debug/toy/states.
 * @dir: the module's debugfs directory (an error pointer is ignored).
 */
void toy_states_debugfs_init(struct dentry *dir)
{
	debugfs_create_file("states", 0444, dir, NULL, &toy_states_fops);
}
