// SPDX-License-Identifier: GPL-2.0
/*
 * toychurn - many short AF_TOY connections from one client to one
 * server, both in this process, to watch TIME_WAIT pile up.
 *
 *   toychurn [-n COUNT] [-S] [-A] [-r] [-b LPORT] [-P PORTS] [-k KEEP] ADDR PORT
 *
 * Listens on ADDR:PORT (and the PORTS - 1 ports after it), then makes
 * COUNT connections to it, one after the other, spreading them over
 * the listening ports.  Each connection is opened, accepted and closed
 * in order: by default the client closes first, so the client side is
 * the one left in TIME_WAIT, holding its ephemeral port for that
 * destination; the server side closes after it has read the client's
 * end of file (a passive close, no TIME_WAIT).
 *
 *   -n  connections to make (default 1)
 *   -S  the server closes first: TIME_WAIT lands on the server side
 *   -A  abortive close by the client (SO_LINGER {1, 0}): a reset, and
 *       no TIME_WAIT anywhere
 *   -r  SO_REUSEADDR on the listener and the clients
 *   -b  every client binds this local port first (with -r too: TCP's
 *       rules for binding a port that TIME_WAIT holds)
 *   -P  listen on PORTS consecutive ports (default 1)
 *   -k  then open KEEP more connections, keep them open, print "ready"
 *       and wait for a signal (SIGTERM, SIGINT) before exiting
 *   -q  print only the summary line
 *
 * Each failure is reported with its errno text, e.g.
 *   "toychurn: connect #29: Cannot assign requested address"
 * and the run stops at the first failed connect().  The summary says
 * how many connections were made.  Exit status 0 if all COUNT were
 * made, 1 if not.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <linux/toy.h>

#include "toy_family.h"

static void die(const char *what)
{
	fprintf(stderr, "toychurn: %s: %s\n", what, strerror(errno));
	exit(1);
}

static int af, reuse;

static struct sockaddr_toy endpoint(struct in_addr addr, int port)
{
	struct sockaddr_toy a;

	memset(&a, 0, sizeof(a));
	a.stoy_family = af;
	a.stoy_addr = addr;
	a.stoy_port = htons(port);
	return a;
}

static int new_socket(void)
{
	int one = 1, fd = socket(af, SOCK_STREAM, 0);

	if (fd < 0)
		die("socket");
	if (reuse && setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)))
		die("SO_REUSEADDR");
	return fd;
}

/* Open one connection; the client's fd, or -1 with errno set. */
static int open_one(struct in_addr addr, int port, int lport)
{
	struct sockaddr_toy a;
	int c = new_socket(), err;

	if (lport) {
		a = endpoint(addr, lport);
		if (bind(c, (struct sockaddr *)&a, sizeof(a)))
			goto fail;
	}
	a = endpoint(addr, port);
	if (connect(c, (struct sockaddr *)&a, sizeof(a)))
		goto fail;
	return c;
fail:
	err = errno;
	close(c);
	errno = err;
	return -1;
}

static volatile sig_atomic_t stop;

static void on_signal(int sig __attribute__((unused)))
{
	stop = 1;
}

int main(int argc, char **argv)
{
	int count = 1, server_first = 0, abortive = 0, lport = 0, ports = 1;
	int keep = 0, quiet = 0, made = 0, opt, i, port;
	struct linger lg = { 1, 0 };
	struct in_addr addr;
	struct sockaddr_toy a;
	char buf[16];
	int *l;

	while ((opt = getopt(argc, argv, "n:SArb:P:k:q")) != -1) {
		switch (opt) {
		case 'n': count = atoi(optarg); break;
		case 'S': server_first = 1; break;
		case 'A': abortive = 1; break;
		case 'r': reuse = 1; break;
		case 'b': lport = atoi(optarg); break;
		case 'P': ports = atoi(optarg); break;
		case 'k': keep = atoi(optarg); break;
		case 'q': quiet = 1; break;
		default: goto usage;
		}
	}
	if (argc - optind != 2 || inet_pton(AF_INET, argv[optind], &addr) != 1 ||
	    ports < 1)
		goto usage;
	port = atoi(argv[optind + 1]);
	af = module_family();
	signal(SIGPIPE, SIG_IGN);

	l = calloc(ports, sizeof(*l));
	if (!l)
		die("calloc");
	for (i = 0; i < ports; i++) {
		l[i] = new_socket();
		a = endpoint(addr, port + i);
		if (bind(l[i], (struct sockaddr *)&a, sizeof(a)) ||
		    listen(l[i], 128))
			die("listen");
	}

	for (i = 0; i < count; i++) {
		int c = open_one(addr, port + i % ports, lport), s;

		if (c < 0) {
			fprintf(stderr, "toychurn: connect #%d: %s\n", i + 1,
				strerror(errno));
			break;
		}
		s = accept(l[i % ports], NULL, NULL);
		if (s < 0)
			die("accept");
		if (abortive) {
			if (setsockopt(c, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg)))
				die("SO_LINGER");
			close(c);			/* a reset */
			if (read(s, buf, sizeof(buf)) >= 0 || errno != ECONNRESET)
				fprintf(stderr, "toychurn: #%d: no reset\n", i + 1);
			close(s);
		} else if (server_first) {
			close(s);			/* TIME_WAIT: the server */
			if (read(c, buf, sizeof(buf)) != 0)
				die("read");
			close(c);
		} else {
			close(c);			/* TIME_WAIT: the client */
			if (read(s, buf, sizeof(buf)) != 0)
				die("read");
			close(s);
		}
		made++;
		if (!quiet && count <= 20)
			printf("toychurn: connection %d done\n", i + 1);
	}
	printf("toychurn: %d of %d connections made\n", made, count);

	if (keep) {
		signal(SIGTERM, on_signal);
		signal(SIGINT, on_signal);
		for (i = 0; i < keep; i++) {
			if (open_one(addr, port + i % ports, 0) < 0 ||
			    accept(l[i % ports], NULL, NULL) < 0)
				die("keep");
		}
		printf("toychurn: %d connections open: ready\n", keep);
		fflush(stdout);
		while (!stop)
			pause();
	}
	return made == count ? 0 : 1;
usage:
	fprintf(stderr, "usage: toychurn [-n COUNT] [-S] [-A] [-r] [-b LPORT] [-P PORTS] [-k KEEP] [-q] ADDR PORT\n");
	return 2;
}
