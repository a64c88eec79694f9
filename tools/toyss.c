// SPDX-License-Identifier: GPL-2.0
/*
 * toyss - ss for AF_TOY: list the AF_TOY sockets of a network namespace
 * through sock_diag (<linux/toy_diag.h>), in ss's columns, with ss's
 * options, state names and filter expressions.
 *
 *   toyss [-tualnoeimpHO] [-N NETNS] [FILTER]
 *   toyss -s [-N NETNS]
 *
 *   -t  stream sockets (Netid "toy"); -u  datagram sockets (Netid
 *       "toyd").  Neither: both.  The Netid column shows only when both
 *       types are listed, as ss shows it only for more than one table.
 *   -a  every state; -l  listening ones: LISTEN, and UNCONN (a datagram
 *       socket not connected, a stream socket only bound).  Neither:
 *       what ss shows by default, the connections (every stream state
 *       but LISTEN, UNCONN, TIME-WAIT and SYN-RECV; connected datagram
 *       sockets).
 *   -n  numeric: accepted (addresses and ports are always numbers);
 *       with -i, rates in plain bits per second
 *   -o  the timer: timer:(on|keepalive|timewait|persist,TIME,RETRANS)
 *   -e  the timer, then uid:N (when not 0) ino:N sk:COOKIE and, for a
 *       full socket, its shutdown state ("<->", "-->" receive side shut,
 *       "<--" send side shut, "---" both)
 *   -i  TOY_INFO of each stream socket on a line of its own, with ss
 *       -i's names: wscale rto rtt ato mss pmtu rcvmss cwnd ssthresh
 *       bytes_sent bytes_retrans bytes_acked bytes_received segs_out
 *       segs_in data_segs_out data_segs_in send lastsnd lastrcv lastack
 *       delivery_rate unacked retrans lost sacked rcv_rtt rcv_space
 *       snd_wnd rcv_wnd (with -o or -e also ts and sack); each only when
 *       not zero, as ss.  retrans:A/B is 0/total: toy_info counts no
 *       retransmitted segments in flight.
 *   -m  skmem:(r,rb,t,tb,f,w,o,bl,d) of each full socket
 *   -p  users:(("NAME",pid=N,fd=N),...): the processes whose
 *       /proc/PID/fd/N links name the socket's inode (those the user
 *       can read)
 *   -s  summary: totals by state and type, from a dump of every socket
 *       and /proc/net/toy_sockstat; alone, nothing else is listed
 *   -N  switch to network namespace NETNS (/var/run/netns/NETNS, or a
 *       path such as /proc/PID/ns/net) before anything else
 *   -H  no header line; -O  -i and -m on the socket's line; -h  help
 *
 * FILTER, as ss's: "state STATE" (repeatable, or-ed) and "exclude STATE"
 * first, then an expression of "sport|dport OP [:]PORT" and
 * "src|dst ADDR[/LEN][:PORT]" (OP: = == eq != ne neq >= ge <= le > gt
 * < lt; "*" for any) joined by "and" (or nothing), "or", "not" and
 * parentheses.  STATE: established syn-sent syn-recv fin-wait-1
 * fin-wait-2 time-wait closed close-wait last-ack listening closing, or
 * the groups all connected synchronized bucket big.  The states, the
 * port ranges and an address prefix go to the kernel's filter
 * (tdiag_states, TOY_DIAG_REQ_SPORTS/DPORTS, tdiag_src/dst_len) where
 * they map, and every answer is checked here again.
 *
 * Columns as ss's: Netid State Recv-Q Send-Q Local Address:Port Peer
 * Address:Port Process; the wildcard address is 0.0.0.0, port 0 is "*".
 * A listener's Recv-Q is its accept queue and Send-Q its backlog limit.
 * The family number is the loaded module's (toy_family.h).  Needs no
 * privilege but for -N.  Exits 0; 1 when sock_diag fails ("toyss: AF_TOY
 * sock_diag not available (is toy.ko loaded?)" when no handler answers
 * for the family); 2 on a usage error.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <sched.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <net/if.h>
#include <libmnl/libmnl.h>
#include <linux/netlink.h>
#include <linux/sock_diag.h>
#include <linux/toy.h>
#include <linux/toy_diag.h>

#include "toy_family.h"

/* TCP's state numbers, as sock_diag carries them, and ss's names. */
enum {
	SS_UNKNOWN,
	SS_ESTABLISHED,
	SS_SYN_SENT,
	SS_SYN_RECV,
	SS_FIN_WAIT1,
	SS_FIN_WAIT2,
	SS_TIME_WAIT,
	SS_CLOSE,
	SS_CLOSE_WAIT,
	SS_LAST_ACK,
	SS_LISTEN,
	SS_CLOSING,
	SS_MAX
};

#define SS_ALL	((1 << SS_MAX) - 1)
#define SS_CONN	(SS_ALL & ~((1 << SS_LISTEN) | (1 << SS_CLOSE) | \
			    (1 << SS_TIME_WAIT) | (1 << SS_SYN_RECV)))

static const char * const state_name[SS_MAX] = {
	[SS_UNKNOWN]	= "UNKNOWN",
	[SS_ESTABLISHED] = "ESTAB",
	[SS_SYN_SENT]	= "SYN-SENT",
	[SS_SYN_RECV]	= "SYN-RECV",
	[SS_FIN_WAIT1]	= "FIN-WAIT-1",
	[SS_FIN_WAIT2]	= "FIN-WAIT-2",
	[SS_TIME_WAIT]	= "TIME-WAIT",
	[SS_CLOSE]	= "UNCONN",
	[SS_CLOSE_WAIT]	= "CLOSE-WAIT",
	[SS_LAST_ACK]	= "LAST-ACK",
	[SS_LISTEN]	= "LISTEN",
	[SS_CLOSING]	= "CLOSING",
};

/* The socket types ("tables") listed, as bits. */
#define T_STREAM	1
#define T_DGRAM		2

static int show_options, show_details, show_mem, show_info, show_users;
static int show_header = 1, oneline, numeric;
static int af;

/* ---- small helpers ---- */

static void *xmalloc(size_t n)
{
	void *p = malloc(n);

	if (!p) {
		fprintf(stderr, "toyss: out of memory\n");
		exit(1);
	}
	return p;
}

static char *xstrdup(const char *s)
{
	return strcpy(xmalloc(strlen(s) + 1), s);
}

/* A growing string, for the last column. */
struct sbuf {
	char	*s;
	size_t	len, cap;
};

static void sb_printf(struct sbuf *b, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void sb_printf(struct sbuf *b, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (b->len + n + 1 > b->cap) {
		b->cap = (b->len + n + 1) * 2;
		b->s = realloc(b->s, b->cap);
		if (!b->s) {
			fprintf(stderr, "toyss: out of memory\n");
			exit(1);
		}
	}
	va_start(ap, fmt);
	vsnprintf(b->s + b->len, n + 1, fmt, ap);
	va_end(ap);
	b->len += n;
}

static char *sb_take(struct sbuf *b)
{
	return b->s ? b->s : xstrdup("");
}

static char *xasprintf(const char *fmt, ...)
	__attribute__((format(printf, 1, 2)));

static char *xasprintf(const char *fmt, ...)
{
	va_list ap;
	char *s;

	va_start(ap, fmt);
	if (vasprintf(&s, fmt, ap) < 0) {
		fprintf(stderr, "toyss: out of memory\n");
		exit(1);
	}
	va_end(ap);
	return s;
}

/* ---- the columns, rendered as ss renders them ---- */

enum {
	COL_NETID,
	COL_STATE,
	COL_RECVQ,
	COL_SENDQ,
	COL_ADDR,
	COL_SERV,
	COL_RADDR,
	COL_RSERV,
	COL_PROC,	/* Process: users, timer, details, info: the rest */
	COL_MAX
};

enum { ALIGN_LEFT, ALIGN_RIGHT };

static struct column {
	int		align;
	const char	*header;
	const char	*ldelim;
	int		disabled;
	int		max_len;
	int		width;
} columns[COL_MAX] = {
	{ ALIGN_LEFT,	"Netid",		"", 0, 0, 0 },
	{ ALIGN_LEFT,	"State",		" ", 0, 0, 0 },
	{ ALIGN_LEFT,	"Recv-Q",		" ", 0, 0, 0 },
	{ ALIGN_LEFT,	"Send-Q",		" ", 0, 0, 0 },
	{ ALIGN_RIGHT,	"Local Address:",	" ", 0, 0, 0 },
	{ ALIGN_LEFT,	"Port",			"", 0, 0, 0 },
	{ ALIGN_RIGHT,	"Peer Address:",	" ", 0, 0, 0 },
	{ ALIGN_LEFT,	"Port",			"", 0, 0, 0 },
	{ ALIGN_LEFT,	"Process",		"", 0, 0, 0 },
};

/* Every line of output, header included, kept until the widths are known. */
static struct {
	char	**cell;		/* COL_MAX per line */
	size_t	n, cap;
} lines;

static void line_add(char **cell)
{
	int c;

	if (lines.n == lines.cap) {
		lines.cap = lines.cap ? lines.cap * 2 : 256;
		lines.cell = realloc(lines.cell,
				     lines.cap * COL_MAX * sizeof(char *));
		if (!lines.cell) {
			fprintf(stderr, "toyss: out of memory\n");
			exit(1);
		}
	}
	for (c = 0; c < COL_MAX; c++) {
		int len = strlen(cell[c]);

		lines.cell[lines.n * COL_MAX + c] = cell[c];
		if (len > columns[c].max_len)
			columns[c].max_len = len;
	}
	lines.n++;
}

static void header_add(void)
{
	char *cell[COL_MAX];
	int c;

	for (c = 0; c < COL_MAX; c++)
		cell[c] = xstrdup(columns[c].disabled ? "" : columns[c].header);
	line_add(cell);
}

static int screen_width(void)
{
	struct winsize w;

	if (isatty(STDOUT_FILENO) &&
	    ioctl(STDOUT_FILENO, TIOCGWINSZ, &w) != -1 && w.ws_col > 0)
		return w.ws_col;
	return -1;
}

/*
 * The widths, as ss computes them: each column as wide as its widest
 * cell, plus its left delimiter; on a terminal, the room left on the
 * line spread over the columns.
 */
static void calc_width(void)
{
	int screen = screen_width(), first = 1, len = 0, linecols = 0;
	struct column *c, *tmp, *eol = columns - 1;

	for (c = columns; c < columns + COL_MAX; c++) {
		if (c->disabled)
			continue;
		c->width = c->max_len;
		if (!first && c->max_len)
			c->width += strlen(c->ldelim);
		if (screen > 0 && c->width > screen)
			c->width = screen;
		if (c->width)
			first = 0;
	}
	if (screen < 0)
		return;
	for (c = columns; c < columns + COL_MAX; c++) {
		int pad, spacing, rem, last = 1;

		if (c->disabled || !c->width)
			continue;
		linecols++;
		len += c->width;
		for (tmp = c + 1; tmp < columns + COL_MAX; tmp++)
			if (!tmp->disabled && tmp->width)
				last = 0;
		if (!last && len < screen)
			continue;
		if (len > screen && linecols > 1) {
			len -= c->width;
			c--;
			linecols--;
		}
		pad = screen - len;
		spacing = pad > 0 ? pad / linecols : 0;
		rem = pad > 0 ? pad % linecols : 0;
		for (tmp = c; tmp > eol; tmp--) {
			if (tmp->disabled || !tmp->width)
				continue;
			tmp->width += spacing;
			if (rem) {
				tmp->width++;
				rem--;
			}
		}
		eol = c;
		len = 0;
		linecols = 0;
	}
}

static void render_line(char **cell)
{
	int c, printed, started = 0;

	for (c = 0; c < COL_MAX; c++) {
		struct column *col = &columns[c];
		int len = strlen(cell[c]);

		if (col->disabled)
			continue;
		printed = started++ ? printf("%s", col->ldelim) : 0;
		if (col->align == ALIGN_RIGHT && col->width - len - printed > 0)
			printed += printf("%*s", col->width - len - printed, "");
		printed += printf("%s", cell[c]);
		if (col->align == ALIGN_LEFT && col->width - printed > 0)
			printf("%*s", col->width - printed, "");
	}
	putchar('\n');
}

static void render(void)
{
	size_t i;
	int c;

	calc_width();
	for (i = 0; i < lines.n; i++) {
		render_line(&lines.cell[i * COL_MAX]);
		for (c = 0; c < COL_MAX; c++)
			free(lines.cell[i * COL_MAX + c]);
	}
	free(lines.cell);
	lines.n = lines.cap = 0;
	lines.cell = NULL;
}

/* ---- -p: who holds which socket inode ---- */

struct user_ent {
	struct user_ent	*next;
	unsigned int	ino;
	int		pid, fd;
	char		*process;
};

#define USER_HASH	256
static struct user_ent *user_hash[USER_HASH];

static unsigned int user_hashfn(unsigned int ino)
{
	return (ino >> 24 ^ ino >> 16 ^ ino >> 8 ^ ino) & (USER_HASH - 1);
}

static void user_add(unsigned int ino, const char *process, int pid, int fd)
{
	struct user_ent *u = xmalloc(sizeof(*u));
	unsigned int h = user_hashfn(ino);

	u->ino = ino;
	u->pid = pid;
	u->fd = fd;
	u->process = xstrdup(process);
	u->next = user_hash[h];
	user_hash[h] = u;
}

/* The command name of /proc/PID/stat: between the first '(' and last ')'. */
static void proc_comm(int pid, char *comm, size_t size)
{
	char path[64], buf[512], *l, *r;
	ssize_t n;
	int fd;

	comm[0] = '\0';
	snprintf(path, sizeof(path), "/proc/%d/stat", pid);
	fd = open(path, O_RDONLY);
	if (fd < 0)
		return;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return;
	buf[n] = '\0';
	l = strchr(buf, '(');
	r = strrchr(buf, ')');
	if (l && r > l)
		snprintf(comm, size, "%.*s", (int)(r - l - 1), l + 1);
}

static void user_scan_pid(int pid)
{
	char path[64], link[64], comm[64] = "";
	struct dirent *d;
	unsigned int ino;
	DIR *dir;
	int fd;

	snprintf(path, sizeof(path), "/proc/%d/fd", pid);
	dir = opendir(path);
	if (!dir)
		return;
	while ((d = readdir(dir))) {
		ssize_t n;

		if (sscanf(d->d_name, "%d", &fd) != 1)
			continue;
		n = readlinkat(dirfd(dir), d->d_name, link, sizeof(link) - 1);
		if (n < 0)
			continue;
		link[n] = '\0';
		if (sscanf(link, "socket:[%u]", &ino) != 1)
			continue;
		if (!comm[0])
			proc_comm(pid, comm, sizeof(comm));
		user_add(ino, comm, pid, fd);
	}
	closedir(dir);
}

static void user_hash_build(void)
{
	struct dirent *d;
	DIR *dir = opendir("/proc");
	int pid;

	if (!dir)
		return;
	while ((d = readdir(dir)))
		if (sscanf(d->d_name, "%d", &pid) == 1 && pid > 0)
			user_scan_pid(pid);
	closedir(dir);
}

static void users_print(struct sbuf *b, unsigned int ino)
{
	struct user_ent *u;
	const char *sep = " users:(";

	if (!ino)
		return;
	for (u = user_hash[user_hashfn(ino)]; u; u = u->next) {
		if (u->ino != ino)
			continue;
		sb_printf(b, "%s(\"%s\",pid=%d,fd=%d)", sep, u->process,
			  u->pid, u->fd);
		sep = ",";
	}
	if (sep[0] == ',')
		sb_printf(b, ")");
}

/* ---- the filter expression ---- */

enum { F_SRC, F_DST, F_AND, F_OR, F_NOT };	/* node kinds */
enum { OP_EQ, OP_GE, OP_LE };			/* leaf comparisons */

struct fnode {
	int		kind;
	/* A leaf: F_SRC or F_DST. */
	int		op;
	int		port;	/* -1: any */
	struct in_addr	addr;
	int		plen;	/* -1: any address */
	/* F_AND, F_OR: a and b; F_NOT: a. */
	struct fnode	*a, *b;
};

/* The parsed socket, what the filter and the output read. */
struct sock_row {
	const struct toy_diag_msg	*m;
	const struct nlattr		*tb[TOY_DIAG_MAX + 1];
	int				lport, rport;
};

static struct fnode *fnode_new(int kind, struct fnode *a, struct fnode *b)
{
	struct fnode *f = xmalloc(sizeof(*f));

	memset(f, 0, sizeof(*f));
	f->kind = kind;
	f->a = a;
	f->b = b;
	return f;
}

static bool prefix_match(struct in_addr a, struct in_addr p, int plen)
{
	uint32_t mask = plen ? ~0U << (32 - plen) : 0;

	return !((ntohl(a.s_addr) ^ ntohl(p.s_addr)) & mask);
}

static bool leaf_match(const struct fnode *f, const struct sock_row *r)
{
	int port = f->kind == F_SRC ? r->lport : r->rport;
	struct in_addr a;

	a.s_addr = f->kind == F_SRC ? r->m->id.tdiag_src : r->m->id.tdiag_dst;
	if (f->op == OP_GE)
		return port >= f->port;
	if (f->op == OP_LE)
		return port <= f->port;
	if (f->port >= 0 && f->port != port)
		return false;
	return f->plen < 0 || prefix_match(a, f->addr, f->plen);
}

static bool filter_match(const struct fnode *f, const struct sock_row *r)
{
	switch (f->kind) {
	case F_AND:
		return filter_match(f->a, r) && filter_match(f->b, r);
	case F_OR:
		return filter_match(f->a, r) || filter_match(f->b, r);
	case F_NOT:
		return !filter_match(f->a, r);
	default:
		return leaf_match(f, r);
	}
}

/* The tokens of the expression, read one at a time. */
static char **tok;
static int ntok, itok;

/* A filter that does not parse: say why, with the word at fault. */
static void expr_usage(const char *what, const char *word)
{
	if (word)
		fprintf(stderr, "toyss: bad filter: %s \"%s\"\n", what, word);
	else
		fprintf(stderr, "toyss: bad filter: %s\n", what);
	exit(2);
}

static const char *tok_peek(void)
{
	return itok < ntok ? tok[itok] : NULL;
}

static bool tok_is(const char *t, const char *alts)
{
	char buf[64], *w, *save;

	if (!t)
		return false;
	snprintf(buf, sizeof(buf), "%s", alts);
	for (w = strtok_r(buf, " ", &save); w; w = strtok_r(NULL, " ", &save))
		if (!strcmp(t, w))
			return true;
	return false;
}

/* Split the arguments into words, parentheses on their own. */
static void tokenize(int argc, char **argv, int max)
{
	int i;

	tok = xmalloc(sizeof(char *) * (max + 1));
	for (i = 0; i < argc; i++) {
		const char *p = argv[i];

		while (*p) {
			size_t n;

			if (*p == ' ' || *p == '\t') {
				p++;
				continue;
			}
			n = (*p == '(' || *p == ')') ? 1 :
			    strcspn(p, " \t()");
			tok[ntok++] = strndup(p, n);
			p += n;
		}
	}
}

static int parse_port(const char *s)
{
	char *end;
	long v;

	if (*s == ':')
		s++;
	if (!strcmp(s, "*") || !*s)
		return -1;
	v = strtol(s, &end, 10);
	if (*end || v < 0 || v > 65535)
		expr_usage("not a port", s);
	return v;
}

/* "ADDR[/LEN][:PORT]", "*[:PORT]" or ":PORT" of src/dst. */
static void parse_hostcond(struct fnode *f, const char *s)
{
	char buf[64], *colon, *slash;

	snprintf(buf, sizeof(buf), "%s", s);
	colon = strchr(buf, ':');
	f->port = -1;
	f->plen = -1;
	if (colon) {
		*colon = '\0';
		f->port = parse_port(colon + 1);
	}
	if (!buf[0] || !strcmp(buf, "*"))
		return;
	slash = strchr(buf, '/');
	f->plen = 32;
	if (slash) {
		*slash = '\0';
		f->plen = atoi(slash + 1);
		if (f->plen < 0 || f->plen > 32)
			expr_usage("bad prefix length in", s);
	}
	if (inet_pton(AF_INET, buf, &f->addr) != 1)
		expr_usage("an IPv4 address is expected rather than", s);
}

static struct fnode *parse_expr(void);

/* "sport|dport OP PORT" or "src|dst [OP] HOST". */
static struct fnode *parse_cond(void)
{
	const char *key = tok[itok++], *op = tok_peek(), *val;
	bool ports = !strcmp(key, "sport") || !strcmp(key, "dport");
	struct fnode *f = fnode_new(key[0] == 's' ? F_SRC : F_DST, NULL, NULL);
	bool negate = false, flip = false;

	f->op = OP_EQ;
	if (tok_is(op, "= == eq")) {
		itok++;
	} else if (tok_is(op, "!= ne neq")) {
		itok++;
		negate = true;
	} else if (ports && tok_is(op, ">= ge geq")) {
		itok++;
		f->op = OP_GE;
	} else if (ports && tok_is(op, "<= le leq")) {
		itok++;
		f->op = OP_LE;
	} else if (ports && tok_is(op, "> gt")) {	/* not <= */
		itok++;
		f->op = OP_LE;
		flip = true;
	} else if (ports && tok_is(op, "< lt")) {	/* not >= */
		itok++;
		f->op = OP_GE;
		flip = true;
	}
	val = tok_peek();
	if (!val)
		expr_usage("a value is missing after", key);
	itok++;
	if (ports) {
		f->port = parse_port(val);
		f->plen = -1;
		if (f->port < 0 && f->op != OP_EQ)
			expr_usage("a port number is needed for", key);
	} else {
		parse_hostcond(f, val);
	}
	return negate || flip ? fnode_new(F_NOT, f, NULL) : f;
}

static struct fnode *parse_unary(void)
{
	const char *t = tok_peek();
	struct fnode *f;

	if (!t)
		expr_usage("the expression ends too early", NULL);
	if (tok_is(t, "not !")) {
		itok++;
		return fnode_new(F_NOT, parse_unary(), NULL);
	}
	if (!strcmp(t, "(")) {
		itok++;
		f = parse_expr();
		if (!tok_is(tok_peek(), ")"))
			expr_usage("a ')' is missing before", tok_peek() ?: "the end");
		itok++;
		return f;
	}
	if (tok_is(t, "sport dport src dst"))
		return parse_cond();
	expr_usage("unknown word", t);
	return NULL;
}

static struct fnode *parse_and(void)
{
	struct fnode *f = parse_unary();
	const char *t;

	while ((t = tok_peek()) && !tok_is(t, ") or | ||")) {
		if (tok_is(t, "and & &&"))
			itok++;
		f = fnode_new(F_AND, f, parse_unary());
	}
	return f;
}

static struct fnode *parse_expr(void)
{
	struct fnode *f = parse_and();

	while (tok_is(tok_peek(), "or | ||")) {
		itok++;
		f = fnode_new(F_OR, f, parse_and());
	}
	return f;
}

/* ---- what of the expression the kernel can filter ---- */

/*
 * A superset of the sockets an expression passes, as the kernel's
 * filter can take it: local ports in a set, remote ports in a set
 * (bitmaps of 65536 ports).  exact: the expression is exactly that box.
 */
struct box {
	uint8_t	s[8192], d[8192];
	bool	exact;
};

static void bits_fill(uint8_t *m, bool on)
{
	memset(m, on ? 0xff : 0, 8192);
}

static bool bit(const uint8_t *m, int i)
{
	return m[i >> 3] & (1 << (i & 7));
}

static void bit_set(uint8_t *m, int i)
{
	m[i >> 3] |= 1 << (i & 7);
}

static bool bits_full(const uint8_t *m)
{
	int i;

	for (i = 0; i < 8192; i++)
		if (m[i] != 0xff)
			return false;
	return true;
}

static struct box *box_leaf(const struct fnode *f)
{
	struct box *b = xmalloc(sizeof(*b));
	uint8_t *m = f->kind == F_SRC ? b->s : b->d;
	int p;

	bits_fill(b->s, true);
	bits_fill(b->d, true);
	b->exact = f->plen < 0;
	if (f->op == OP_EQ && f->port < 0)
		return b;
	bits_fill(m, false);
	for (p = 0; p < 65536; p++)
		if ((f->op == OP_EQ && p == f->port) ||
		    (f->op == OP_GE && p >= f->port) ||
		    (f->op == OP_LE && p <= f->port))
			bit_set(m, p);
	return b;
}

static struct box *box_of(const struct fnode *f)
{
	struct box *a, *b;
	int i;

	if (f->kind == F_SRC || f->kind == F_DST)
		return box_leaf(f);
	a = box_of(f->a);
	if (f->kind == F_NOT) {
		bool sfull = bits_full(a->s), dfull = bits_full(a->d);

		if (a->exact && dfull) {
			for (i = 0; i < 8192; i++)
				a->s[i] = ~a->s[i];
		} else if (a->exact && sfull) {
			for (i = 0; i < 8192; i++)
				a->d[i] = ~a->d[i];
		} else {
			bits_fill(a->s, true);
			bits_fill(a->d, true);
			a->exact = false;
		}
		return a;
	}
	b = box_of(f->b);
	if (f->kind == F_AND) {
		for (i = 0; i < 8192; i++) {
			a->s[i] &= b->s[i];
			a->d[i] &= b->d[i];
		}
		a->exact = a->exact && b->exact;
	} else {
		bool one_dim = (bits_full(a->d) && bits_full(b->d)) ||
			       (bits_full(a->s) && bits_full(b->s));

		for (i = 0; i < 8192; i++) {
			a->s[i] |= b->s[i];
			a->d[i] |= b->d[i];
		}
		a->exact = a->exact && b->exact && one_dim;
	}
	free(b);
	return a;
}

/* The ranges of a port set; -1 if more than the kernel takes. */
static int ranges_of(const uint8_t *m, struct toy_diag_port_range *r)
{
	int p = 0, n = 0;

	while (p < 65536) {
		int lo;

		if (!bit(m, p)) {
			p++;
			continue;
		}
		for (lo = p; p < 65536 && bit(m, p); p++)
			;
		if (n == TOY_DIAG_MAX_RANGES)
			return -1;
		r[n].lo = lo;
		r[n++].hi = p - 1;
	}
	return n;
}

/* The address prefix of side @kind an and-chain requires, if any. */
static const struct fnode *prefix_of(const struct fnode *f, int kind)
{
	const struct fnode *p;

	if (!f)
		return NULL;
	if (f->kind == F_AND) {
		p = prefix_of(f->a, kind);
		return p ? p : prefix_of(f->b, kind);
	}
	if (f->kind == kind && f->op == OP_EQ && f->plen > 0)
		return f;
	return NULL;
}

/* ---- the request ---- */

struct request {
	int				states;
	int				ext;
	struct fnode			*expr;
	struct toy_diag_port_range	sports[TOY_DIAG_MAX_RANGES];
	struct toy_diag_port_range	dports[TOY_DIAG_MAX_RANGES];
	int				nsports, ndports; /* -1: no attribute */
	bool				none;	/* no port can match */
};

static void request_ports(struct request *rq)
{
	struct box *b;

	rq->nsports = rq->ndports = -1;
	if (!rq->expr)
		return;
	b = box_of(rq->expr);
	if (!bits_full(b->s))
		rq->nsports = ranges_of(b->s, rq->sports);
	if (!bits_full(b->d))
		rq->ndports = ranges_of(b->d, rq->dports);
	rq->none = !rq->nsports || !rq->ndports;
	free(b);
}

static void request_prefix(const struct request *rq, struct toy_diag_req *r)
{
	const struct fnode *p = prefix_of(rq->expr, F_SRC);

	if (p) {
		r->id.tdiag_src = p->addr.s_addr;
		r->tdiag_src_len = p->plen;
	}
	p = prefix_of(rq->expr, F_DST);
	if (p) {
		r->id.tdiag_dst = p->addr.s_addr;
		r->tdiag_dst_len = p->plen;
	}
}

static struct nlmsghdr *request_build(char *buf, const struct request *rq,
				      int type, unsigned int seq)
{
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	struct toy_diag_req *r;

	nlh->nlmsg_type = SOCK_DIAG_BY_FAMILY;
	nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
	nlh->nlmsg_seq = seq;
	r = mnl_nlmsg_put_extra_header(nlh, sizeof(*r));
	r->sdiag_family = af;
	r->sdiag_protocol = type;
	r->tdiag_ext = rq->ext;
	r->tdiag_states = rq->states;
	request_prefix(rq, r);
	if (rq->nsports > 0)
		mnl_attr_put(nlh, TOY_DIAG_REQ_SPORTS,
			     rq->nsports * sizeof(rq->sports[0]), rq->sports);
	if (rq->ndports > 0)
		mnl_attr_put(nlh, TOY_DIAG_REQ_DPORTS,
			     rq->ndports * sizeof(rq->dports[0]), rq->dports);
	return nlh;
}

/* ---- one socket: its line ---- */

static const char *print_ms_timer(unsigned int timeout)
{
	static char buf[64];
	int secs = timeout / 1000, minutes = secs / 60, msecs = timeout % 1000;

	secs %= 60;
	buf[0] = '\0';
	if (minutes) {
		msecs = 0;
		snprintf(buf, sizeof(buf) - 16, "%dmin", minutes);
		if (minutes > 9)
			secs = 0;
	}
	if (secs) {
		if (secs > 9)
			msecs = 0;
		sprintf(buf + strlen(buf), "%d%s", secs, msecs ? "." : "sec");
	}
	if (msecs)
		sprintf(buf + strlen(buf), "%03dms", msecs);
	return buf;
}

static void timer_print(struct sbuf *b, const struct toy_diag_msg *m)
{
	static const char * const name[] = {
		"off", "on", "keepalive", "timewait", "persist", "unknown"
	};

	if (m->tdiag_timer)
		sb_printf(b, " timer:(%s,%s,%d)",
			  name[m->tdiag_timer > 4 ? 5 : m->tdiag_timer],
			  print_ms_timer(m->tdiag_expires), m->tdiag_retrans);
}

static void details_print(struct sbuf *b, const struct sock_row *r)
{
	const struct toy_diag_msg *m = r->m;
	const struct nlattr *sd = r->tb[TOY_DIAG_SHUTDOWN];

	if (m->tdiag_uid)
		sb_printf(b, " uid:%u", m->tdiag_uid);
	sb_printf(b, " ino:%u", m->tdiag_inode);
	sb_printf(b, " sk:%llx", (unsigned long long)m->id.tdiag_cookie[1] << 32 |
		  m->id.tdiag_cookie[0]);
	if (sd && mnl_attr_get_payload_len(sd) >= 1) {
		uint8_t mask = mnl_attr_get_u8(sd);

		sb_printf(b, " %c-%c", mask & 1 ? '-' : '<',
			  mask & 2 ? '-' : '>');
	}
}

static void skmem_print(struct sbuf *b, const struct nlattr *a)
{
	const uint32_t *v = mnl_attr_get_payload(a);
	size_t n = mnl_attr_get_payload_len(a) / sizeof(uint32_t);

	if (n <= SK_MEMINFO_OPTMEM)
		return;
	sb_printf(b, " skmem:(r%u,rb%u,t%u,tb%u,f%u,w%u,o%u",
		  v[SK_MEMINFO_RMEM_ALLOC], v[SK_MEMINFO_RCVBUF],
		  v[SK_MEMINFO_WMEM_ALLOC], v[SK_MEMINFO_SNDBUF],
		  v[SK_MEMINFO_FWD_ALLOC], v[SK_MEMINFO_WMEM_QUEUED],
		  v[SK_MEMINFO_OPTMEM]);
	if (n > SK_MEMINFO_BACKLOG)
		sb_printf(b, ",bl%u", v[SK_MEMINFO_BACKLOG]);
	if (n > SK_MEMINFO_DROPS)
		sb_printf(b, ",d%u", v[SK_MEMINFO_DROPS]);
	sb_printf(b, ")");
}

/* Bits per second as ss -i shows them. */
static const char *sprint_bw(char *buf, double bw)
{
	if (numeric)
		sprintf(buf, "%.0f", bw);
	else if (bw >= 1e12)
		sprintf(buf, "%.3gT", bw / 1e12);
	else if (bw >= 1e9)
		sprintf(buf, "%.3gG", bw / 1e9);
	else if (bw >= 1e6)
		sprintf(buf, "%.3gM", bw / 1e6);
	else if (bw >= 1e3)
		sprintf(buf, "%.3gk", bw / 1e3);
	else
		sprintf(buf, "%g", bw);
	return buf;
}

/* The options, timers and sizes of toy_info, in ss -i's order. */
static void info_print_head(struct sbuf *b, const struct toy_info *i)
{
	if (show_options && (i->toyi_options & TOYI_OPT_TIMESTAMPS))
		sb_printf(b, " ts");
	if (show_options && (i->toyi_options & TOYI_OPT_SACK))
		sb_printf(b, " sack");
	if (i->toyi_options & TOYI_OPT_WSCALE)
		sb_printf(b, " wscale:%d,%d", i->toyi_snd_wscale,
			  i->toyi_rcv_wscale);
	if (i->toyi_rto && i->toyi_rto != 3000000)
		sb_printf(b, " rto:%g", i->toyi_rto / 1000.0);
	if (i->toyi_backoff)
		sb_printf(b, " backoff:%u", i->toyi_backoff);
	if (i->toyi_rtt)
		sb_printf(b, " rtt:%g/%g", i->toyi_rtt / 1000.0,
			  i->toyi_rttvar / 1000.0);
	if (i->toyi_ato)
		sb_printf(b, " ato:%g", i->toyi_ato / 1000.0);
	if (i->toyi_snd_mss)
		sb_printf(b, " mss:%u", i->toyi_snd_mss);
	if (i->toyi_pmtu)
		sb_printf(b, " pmtu:%u", i->toyi_pmtu);
	if (i->toyi_rcv_mss)
		sb_printf(b, " rcvmss:%u", i->toyi_rcv_mss);
	if (i->toyi_snd_cwnd)
		sb_printf(b, " cwnd:%u", i->toyi_snd_cwnd);
	if (i->toyi_snd_ssthresh && i->toyi_snd_ssthresh < 0xFFFF)
		sb_printf(b, " ssthresh:%u", i->toyi_snd_ssthresh);
}

static void info_print_counts(struct sbuf *b, const struct toy_info *i)
{
	if (i->toyi_bytes_sent)
		sb_printf(b, " bytes_sent:%llu",
			  (unsigned long long)i->toyi_bytes_sent);
	if (i->toyi_bytes_retrans)
		sb_printf(b, " bytes_retrans:%llu",
			  (unsigned long long)i->toyi_bytes_retrans);
	if (i->toyi_bytes_acked)
		sb_printf(b, " bytes_acked:%llu",
			  (unsigned long long)i->toyi_bytes_acked);
	if (i->toyi_bytes_received)
		sb_printf(b, " bytes_received:%llu",
			  (unsigned long long)i->toyi_bytes_received);
	if (i->toyi_segs_out)
		sb_printf(b, " segs_out:%u", i->toyi_segs_out);
	if (i->toyi_segs_in)
		sb_printf(b, " segs_in:%u", i->toyi_segs_in);
	if (i->toyi_data_segs_out)
		sb_printf(b, " data_segs_out:%u", i->toyi_data_segs_out);
	if (i->toyi_data_segs_in)
		sb_printf(b, " data_segs_in:%u", i->toyi_data_segs_in);
}

static void info_print_tail(struct sbuf *b, const struct toy_info *i,
			    int state)
{
	char bw[64];

	if (i->toyi_rtt && i->toyi_snd_mss && i->toyi_snd_cwnd)
		sb_printf(b, " send %sbps",
			  sprint_bw(bw, (double)i->toyi_snd_cwnd *
				    i->toyi_snd_mss * 8000000. / i->toyi_rtt));
	if (i->toyi_last_data_sent)
		sb_printf(b, " lastsnd:%u", i->toyi_last_data_sent);
	if (i->toyi_last_data_recv)
		sb_printf(b, " lastrcv:%u", i->toyi_last_data_recv);
	if (i->toyi_last_ack_recv)
		sb_printf(b, " lastack:%u", i->toyi_last_ack_recv);
	if (i->toyi_delivery_rate)
		sb_printf(b, " delivery_rate %sbps",
			  sprint_bw(bw, i->toyi_delivery_rate * 8.));
	if (i->toyi_unacked)
		sb_printf(b, " unacked:%u", i->toyi_unacked);
	if (i->toyi_total_retrans)
		sb_printf(b, " retrans:0/%u", i->toyi_total_retrans);
	if (i->toyi_lost)
		sb_printf(b, " lost:%u", i->toyi_lost);
	if (i->toyi_sacked && state != SS_LISTEN)
		sb_printf(b, " sacked:%u", i->toyi_sacked);
	if (i->toyi_rcv_rtt)
		sb_printf(b, " rcv_rtt:%g", i->toyi_rcv_rtt / 1000.0);
	if (i->toyi_rcv_space)
		sb_printf(b, " rcv_space:%u", i->toyi_rcv_space);
	if (i->toyi_snd_wnd)
		sb_printf(b, " snd_wnd:%u", i->toyi_snd_wnd);
	if (i->toyi_rcv_wnd)
		sb_printf(b, " rcv_wnd:%u", i->toyi_rcv_wnd);
}

static void info_print(struct sbuf *b, const struct nlattr *a, int state)
{
	struct toy_info i;
	size_t len = mnl_attr_get_payload_len(a);

	/* A shorter struct from an older module: its fields, zeros after. */
	memset(&i, 0, sizeof(i));
	memcpy(&i, mnl_attr_get_payload(a), len < sizeof(i) ? len : sizeof(i));
	info_print_head(b, &i);
	info_print_counts(b, &i);
	info_print_tail(b, &i, state);
}

/* Everything after the peer's port: ss's Process column. */
static char *process_cell(const struct sock_row *r)
{
	const struct toy_diag_msg *m = r->m;
	struct sbuf b = { 0 };
	bool stream = m->tdiag_type == SOCK_STREAM;

	if (show_users)
		users_print(&b, m->tdiag_inode);
	if (show_options)
		timer_print(&b, m);
	if (show_details)
		details_print(&b, r);
	if (show_mem || (show_info && stream)) {
		if (!oneline)
			sb_printf(&b, "\n\t");
		if (show_mem && r->tb[TOY_DIAG_MEMINFO])
			skmem_print(&b, r->tb[TOY_DIAG_MEMINFO]);
		if (show_info && r->tb[TOY_DIAG_INFO])
			info_print(&b, r->tb[TOY_DIAG_INFO], m->tdiag_state);
	}
	return sb_take(&b);
}

static void addr_cells(char **cell, __be32 addr, int port, __u32 ifindex)
{
	char ip[INET_ADDRSTRLEN], ifname[IF_NAMESIZE];

	inet_ntop(AF_INET, &addr, ip, sizeof(ip));
	if (ifindex && if_indextoname(ifindex, ifname))
		cell[0] = xasprintf("%s%%%s:", ip, ifname);
	else
		cell[0] = xasprintf("%s:", ip);
	cell[1] = port ? xasprintf("%d", port) : xstrdup("*");
}

static void sock_line(const struct sock_row *r)
{
	const struct toy_diag_msg *m = r->m;
	char *cell[COL_MAX];
	int st = m->tdiag_state < SS_MAX ? m->tdiag_state : SS_UNKNOWN;

	cell[COL_NETID] = xstrdup(m->tdiag_type == SOCK_STREAM ? "toy" : "toyd");
	cell[COL_STATE] = xstrdup(state_name[st]);
	cell[COL_RECVQ] = xasprintf("%-6u", m->tdiag_rqueue);
	cell[COL_SENDQ] = xasprintf("%-6u", m->tdiag_wqueue);
	addr_cells(&cell[COL_ADDR], m->id.tdiag_src, r->lport, m->id.tdiag_if);
	addr_cells(&cell[COL_RADDR], m->id.tdiag_dst, r->rport, 0);
	cell[COL_PROC] = process_cell(r);
	line_add(cell);
}

/* ---- the dump ---- */

/* What a dump gathers: the lines, or the summary's counts. */
struct dump {
	const struct request	*rq;
	int			type;
	bool			count_only;
	int			rows;
	int			state[SS_MAX + 1];
	int			held;	/* full sockets with a file, not CLOSE */
};

static int attr_cb(const struct nlattr *a, void *data)
{
	const struct nlattr **tb = data;

	/* An attribute of a newer module: not ours to read. */
	if (mnl_attr_type_valid(a, TOY_DIAG_MAX) < 0)
		return MNL_CB_OK;
	tb[mnl_attr_get_type(a)] = a;
	return MNL_CB_OK;
}

static void dump_count(struct dump *d, const struct toy_diag_msg *m)
{
	d->rows++;
	d->state[m->tdiag_state < SS_MAX ? m->tdiag_state : SS_MAX]++;
	if (m->tdiag_inode && m->tdiag_state != SS_CLOSE &&
	    m->tdiag_state != SS_TIME_WAIT && m->tdiag_state != SS_SYN_RECV)
		d->held++;
}

static int diag_cb(const struct nlmsghdr *nlh, void *data)
{
	struct dump *d = data;
	struct sock_row r;

	if (mnl_nlmsg_get_payload_len(nlh) < sizeof(*r.m)) {
		fprintf(stderr, "toyss: sock_diag answer too short (%zu bytes)\n",
			mnl_nlmsg_get_payload_len(nlh));
		errno = EPROTO;
		return MNL_CB_ERROR;
	}
	memset(&r, 0, sizeof(r));
	r.m = mnl_nlmsg_get_payload(nlh);
	if (r.m->tdiag_family != af || r.m->tdiag_type != d->type)
		return MNL_CB_OK;
	if (mnl_attr_parse(nlh, sizeof(*r.m), attr_cb, r.tb) < 0)
		return MNL_CB_ERROR;
	r.lport = ntohs(r.m->id.tdiag_sport);
	r.rport = ntohs(r.m->id.tdiag_dport);
	if (d->count_only) {
		dump_count(d, r.m);
		return MNL_CB_OK;
	}
	/* The kernel filtered; check again, as ss does. */
	if (r.m->tdiag_state >= SS_MAX ||
	    !(d->rq->states & (1 << r.m->tdiag_state)))
		return MNL_CB_OK;
	if (d->rq->expr && !filter_match(d->rq->expr, &r))
		return MNL_CB_OK;
	d->rows++;
	sock_line(&r);
	return MNL_CB_OK;
}

static void diag_fail(const char *what)
{
	if (errno == ENOENT)
		fprintf(stderr, "toyss: AF_TOY sock_diag not available (is toy.ko loaded?)\n");
	else if (errno == EINTR)
		fprintf(stderr, "toyss: %s: the dump was interrupted (sockets changed under it), try again\n",
			what);
	else
		fprintf(stderr, "toyss: %s: %s\n", what, strerror(errno));
	exit(1);
}

static struct mnl_socket *nl;

static void diag_open(void)
{
	nl = mnl_socket_open(NETLINK_SOCK_DIAG);
	if (!nl)
		diag_fail("netlink socket");
	if (mnl_socket_bind(nl, 0, MNL_SOCKET_AUTOPID) < 0)
		diag_fail("netlink bind");
}

/* One dump: one request, the answers until NLMSG_DONE or an error. */
static void diag_dump(struct dump *d)
{
	static char buf[65536];	/* above the 32 KiB of a dump's skb */
	static unsigned int seq;
	unsigned int portid = mnl_socket_get_portid(nl);
	struct nlmsghdr *nlh;
	ssize_t n;
	int ret;

	nlh = request_build(buf, d->rq, d->type, ++seq);
	if (mnl_socket_sendto(nl, nlh, nlh->nlmsg_len) < 0)
		diag_fail("sock_diag request");
	do {
		n = mnl_socket_recvfrom(nl, buf, sizeof(buf));
		if (n < 0)
			diag_fail("sock_diag answer");
		ret = mnl_cb_run(buf, n, seq, portid, diag_cb, d);
	} while (ret > MNL_CB_STOP);
	if (ret < 0)
		diag_fail("sock_diag");
}

/* ---- -s ---- */

struct sockstat {
	int		inuse, tw, dgram_inuse;
	long long	orphan;
};

static void sockstat_read(struct sockstat *s)
{
	FILE *f = fopen("/proc/net/toy_sockstat", "r");
	char line[256];

	memset(s, 0, sizeof(*s));
	if (!f) {
		fprintf(stderr, "toyss: /proc/net/toy_sockstat: %s\n",
			strerror(errno));
		return;
	}
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, "TOY: inuse %d orphan %lld tw %d", &s->inuse,
			   &s->orphan, &s->tw) == 3)
			continue;
		sscanf(line, "TOY-DGRAM: inuse %d", &s->dgram_inuse);
	}
	fclose(f);
}

/*
 * Total: sockets in use in the namespace.  TOY: stream sockets in use
 * and TIME_WAIT entries; estab, the connections ESTABLISHED; closed,
 * the sockets in use that neither listen nor hold a connection (not
 * bound, or only bound); orphaned (all namespaces) and timewait, as
 * /proc/net/toy_sockstat counts them.  Transport: the rows sock_diag
 * lists of each type (/proc/net/toy's and /proc/net/toy_dgram's).
 */
static void summary_print(void)
{
	struct request rq = { .states = SS_ALL, .nsports = -1, .ndports = -1 };
	struct dump st = { .rq = &rq, .type = SOCK_STREAM, .count_only = true };
	struct dump dg = { .rq = &rq, .type = SOCK_DGRAM, .count_only = true };
	struct sockstat s;
	int closed;

	diag_dump(&st);
	diag_dump(&dg);
	sockstat_read(&s);
	closed = s.inuse - st.held > 0 ? s.inuse - st.held : 0;
	printf("Total: %d\n", s.inuse + s.dgram_inuse);
	printf("TOY:   %d (estab %d, closed %d, orphaned %lld, timewait %d)\n",
	       s.inuse + s.tw, st.state[SS_ESTABLISHED], closed, s.orphan,
	       s.tw);
	printf("\n");
	printf("Transport Total     IP        IPv6\n");
	printf("TOY\t  %-9d %-9d %-9d\n", st.rows, st.rows, 0);
	printf("TOYD\t  %-9d %-9d %-9d\n", dg.rows, dg.rows, 0);
	printf("\n");
}

/* ---- the command line ---- */

static void usage(FILE *out, int status)
{
	fprintf(out,
"Usage: toyss [ OPTIONS ]\n"
"       toyss [ OPTIONS ] [ FILTER ]\n"
"   -h, --help          this message\n"
"   -n, --numeric       don't resolve service names (AF_TOY has none)\n"
"   -a, --all           display all sockets\n"
"   -l, --listening     display listening sockets\n"
"   -o, --options       show timer information\n"
"   -e, --extended      show detailed socket information\n"
"   -m, --memory        show socket memory usage\n"
"   -p, --processes     show process using socket\n"
"   -i, --info          show internal AF_TOY stream information (TOY_INFO)\n"
"   -s, --summary       show socket usage summary\n"
"   -N, --net           switch to the specified network namespace name\n"
"\n"
"   -t, --stream        display only stream sockets (Netid toy)\n"
"   -u, --dgram         display only datagram sockets (Netid toyd)\n"
"\n"
"   -H, --no-header     Suppress header line\n"
"   -O, --oneline       socket's data printed on a single line\n"
"\n"
"       FILTER := [ state STATE-FILTER ] [ exclude STATE-FILTER ] [ EXPRESSION ]\n"
"       STATE-FILTER := {all|connected|synchronized|bucket|big|TCP-STATES}\n"
"         TCP-STATES := {established|syn-sent|syn-recv|fin-wait-{1,2}|time-wait|closed|close-wait|last-ack|listening|closing}\n"
"          connected := {established|syn-sent|syn-recv|fin-wait-{1,2}|time-wait|close-wait|last-ack|closing}\n"
"       synchronized := {established|syn-recv|fin-wait-{1,2}|time-wait|close-wait|last-ack|closing}\n"
"             bucket := {syn-recv|time-wait}\n"
"                big := {established|syn-sent|fin-wait-{1,2}|closed|close-wait|last-ack|listening|closing}\n"
"       EXPRESSION := COND | EXPRESSION [and] EXPRESSION | EXPRESSION or EXPRESSION\n"
"                     | not EXPRESSION | ( EXPRESSION )\n"
"             COND := {sport|dport} OP [:]PORT | {src|dst} [=|!=] ADDR[/LEN][:PORT]\n"
"               OP := {=|==|eq|!=|ne|neq|>=|ge|<=|le|>|gt|<|lt}\n");
	exit(status);
}

static int scan_state(const char *s)
{
	static const char * const names[SS_MAX] = {
		[SS_ESTABLISHED] = "established",
		[SS_SYN_SENT]	= "syn-sent",
		[SS_SYN_RECV]	= "syn-recv",
		[SS_FIN_WAIT1]	= "fin-wait-1",
		[SS_FIN_WAIT2]	= "fin-wait-2",
		[SS_TIME_WAIT]	= "time-wait",
		[SS_CLOSE]	= "unconnected",
		[SS_CLOSE_WAIT]	= "close-wait",
		[SS_LAST_ACK]	= "last-ack",
		[SS_LISTEN]	= "listening",
		[SS_CLOSING]	= "closing",
	};
	int i;

	if (!strcasecmp(s, "close") || !strcasecmp(s, "closed"))
		return 1 << SS_CLOSE;
	if (!strcasecmp(s, "syn-rcv"))
		return 1 << SS_SYN_RECV;
	if (!strcasecmp(s, "all"))
		return SS_ALL;
	if (!strcasecmp(s, "connected"))
		return SS_ALL & ~((1 << SS_CLOSE) | (1 << SS_LISTEN));
	if (!strcasecmp(s, "synchronized"))
		return SS_ALL & ~((1 << SS_CLOSE) | (1 << SS_LISTEN) |
				  (1 << SS_SYN_SENT));
	if (!strcasecmp(s, "bucket"))
		return (1 << SS_SYN_RECV) | (1 << SS_TIME_WAIT);
	if (!strcasecmp(s, "big"))
		return SS_ALL & ~((1 << SS_SYN_RECV) | (1 << SS_TIME_WAIT));
	for (i = 1; i < SS_MAX; i++)
		if (!strcasecmp(s, names[i]))
			return 1 << i;
	fprintf(stderr, "toyss: wrong state name: %s\n", s);
	exit(2);
}

static void netns_switch(const char *name)
{
	char path[PATH_MAX];
	int fd;

	if (strchr(name, '/'))
		snprintf(path, sizeof(path), "%s", name);
	else
		snprintf(path, sizeof(path), "/var/run/netns/%s", name);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		fprintf(stderr, "toyss: cannot open network namespace \"%s\": %s\n",
			name, strerror(errno));
		exit(1);
	}
	if (setns(fd, CLONE_NEWNET)) {
		fprintf(stderr, "toyss: setting the network namespace \"%s\" failed: %s\n",
			name, strerror(errno));
		exit(1);
	}
	close(fd);
}

static const struct option long_opts[] = {
	{ "numeric",	no_argument,	   NULL, 'n' },
	{ "options",	no_argument,	   NULL, 'o' },
	{ "extended",	no_argument,	   NULL, 'e' },
	{ "memory",	no_argument,	   NULL, 'm' },
	{ "info",	no_argument,	   NULL, 'i' },
	{ "processes",	no_argument,	   NULL, 'p' },
	{ "stream",	no_argument,	   NULL, 't' },
	{ "tcp",	no_argument,	   NULL, 't' },
	{ "dgram",	no_argument,	   NULL, 'u' },
	{ "udp",	no_argument,	   NULL, 'u' },
	{ "all",	no_argument,	   NULL, 'a' },
	{ "listening",	no_argument,	   NULL, 'l' },
	{ "summary",	no_argument,	   NULL, 's' },
	{ "net",	required_argument, NULL, 'N' },
	{ "no-header",	no_argument,	   NULL, 'H' },
	{ "oneline",	no_argument,	   NULL, 'O' },
	{ "help",	no_argument,	   NULL, 'h' },
	{ NULL }
};

struct cmdline {
	int	types;
	int	state_filter;
	bool	do_default;
	bool	do_summary;
};

static void parse_option(int ch, struct cmdline *cl)
{
	switch (ch) {
	case 'n':
		numeric = 1;
		break;
	case 'o':
		show_options = 1;
		break;
	case 'e':
		show_options = 1;
		show_details = 1;
		break;
	case 'm':
		show_mem = 1;
		break;
	case 'i':
		show_info = 1;
		break;
	case 'p':
		show_users = 1;
		break;
	case 't':
		cl->types |= T_STREAM;
		cl->do_default = false;
		break;
	case 'u':
		cl->types |= T_DGRAM;
		cl->do_default = false;
		break;
	case 'a':
		cl->state_filter = SS_ALL;
		break;
	case 'l':
		cl->state_filter = (1 << SS_LISTEN) | (1 << SS_CLOSE);
		break;
	case 's':
		cl->do_summary = true;
		break;
	case 'N':
		netns_switch(optarg);
		break;
	case 'H':
		show_header = 0;
		break;
	case 'O':
		oneline = 1;
		break;
	case 'h':
		usage(stdout, 0);
		break;
	default:
		usage(stderr, 2);
	}
}

/* "state STATE" and "exclude STATE" words, before the expression. */
static int parse_states(int *argc, char ***argv, int state_filter)
{
	bool saw = false;

	while (*argc > 0) {
		const char *w = (*argv)[0];
		bool excl = !strcmp(w, "exclude") || !strcmp(w, "excl");

		if (strcmp(w, "state") && !excl)
			break;
		if (*argc < 2)
			usage(stderr, 2);
		if (!saw)
			state_filter = excl ? SS_ALL : 0;
		saw = true;
		if (excl)
			state_filter &= ~scan_state((*argv)[1]);
		else
			state_filter |= scan_state((*argv)[1]);
		*argc -= 2;
		*argv += 2;
	}
	return state_filter;
}

static struct fnode *parse_filter(int argc, char **argv)
{
	struct fnode *f;
	int i, n = argc;

	if (!argc)
		return NULL;
	for (i = 0; i < argc; i++)
		n += strlen(argv[i]);
	tokenize(argc, argv, n);
	f = parse_expr();
	if (itok < ntok)
		expr_usage("unexpected word", tok[itok]);
	return f;
}

/* ss's defaults: the connections of every type asked for. */
static int default_states(const struct cmdline *cl)
{
	int states = 0;

	if (cl->types & T_STREAM)
		states |= SS_CONN;
	if (cl->types & T_DGRAM)
		states |= 1 << SS_ESTABLISHED;
	return cl->state_filter ? cl->state_filter : states;
}

static void list_sockets(struct request *rq, int types)
{
	struct dump dg = { .rq = rq, .type = SOCK_DGRAM };
	struct dump st = { .rq = rq, .type = SOCK_STREAM };

	columns[COL_NETID].disabled = types != (T_STREAM | T_DGRAM);
	columns[COL_STATE].disabled = !(rq->states & (rq->states - 1));
	if (show_header)
		header_add();
	rq->ext = (show_mem ? 1 << (TOY_DIAG_MEMINFO - 1) : 0) |
		  (show_info ? 1 << (TOY_DIAG_INFO - 1) : 0);
	/* Datagram sockets first, as ss lists UDP before TCP. */
	if (!rq->none && (types & T_DGRAM))
		diag_dump(&dg);
	if (!rq->none && (types & T_STREAM))
		diag_dump(&st);
	render();
}

int main(int argc, char **argv)
{
	struct cmdline cl = { .do_default = true };
	struct request rq = { 0 };
	int ch;

	af = module_family();
	while ((ch = getopt_long(argc, argv, "noemiptualsN:HOh", long_opts,
				 NULL)) != -1)
		parse_option(ch, &cl);
	argc -= optind;
	argv += optind;
	diag_open();
	if (cl.do_summary) {
		summary_print();
		if (cl.do_default && !argc)
			return 0;
	}
	cl.state_filter = parse_states(&argc, &argv, cl.state_filter);
	if (!cl.types)
		cl.types = T_STREAM | T_DGRAM;
	rq.states = default_states(&cl);
	if (!rq.states) {
		fprintf(stderr, "toyss: no socket states to show with such filter.\n");
		return 0;
	}
	rq.expr = parse_filter(argc, argv);
	request_ports(&rq);
	if (show_users)
		user_hash_build();
	list_sockets(&rq, cl.types);
	mnl_socket_close(nl);
	return 0;
}
