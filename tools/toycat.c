// SPDX-License-Identifier: GPL-2.0
/*
 * toycat - a netcat for AF_TOY stream and datagram sockets.
 *
 *   toycat [-u] [-v] [-e] [-w SECS] HOST PORT        connect
 *   toycat -l [-u] [-k] [-v] [-e] [-s ADDR] PORT     listen
 *
 * Copies standard input to the connection and the connection to
 * standard output.  At the end of standard input it shuts down its
 * sending side (the peer reads end-of-file) and goes on reading until
 * the peer closes too, so `toycat HOST PORT <file` delivers the whole
 * file and ends.
 *
 *   -l  listen on PORT (on ADDR with -s, default every address), accept
 *       one connection, serve it and exit
 *   -k  with -l: keep listening; each connection is served by a child
 *       process of its own, so clients are served at the same time
 *   -e  echo: send back what arrives instead of using stdin/stdout
 *   -v  print each connection's 4-tuple on standard error:
 *       "toycat: 127.0.0.1:40312 -> 127.0.0.1:7000"
 *   -w  give up connecting after SECS seconds (SO_SNDTIMEO); with -u,
 *       how long to wait for answers once stdin has ended (default 1)
 *   -u  datagram mode: each read of stdin (a line, from a terminal) is
 *       sent as one datagram, and each datagram received is written
 *       out.  With -l, receive on PORT from anyone (-e: answer each
 *       datagram to its sender; -v: say who sent it) until killed.
 *       Without, connect() to HOST PORT, so only that port's answers
 *       come in, and a closed port shows as "Connection refused".
 *
 * Exit status 0 when the connection ended in order, 1 with the errno
 * text of the call that failed.
 */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <linux/toy.h>

#include "toy_family.h"

static int verbose, echo;

static void die(const char *what)
{
	fprintf(stderr, "toycat: %s: %s\n", what, strerror(errno));
	exit(1);
}

static void usage(void)
{
	fprintf(stderr, "usage: toycat [-u] [-v] [-e] [-w SECS] HOST PORT\n"
		"       toycat -l [-u] [-k] [-v] [-e] [-s ADDR] PORT\n");
	exit(2);
}

static int write_out(int fd, const char *buf, size_t n)
{
	while (n) {
		ssize_t w = write(fd, buf, n);

		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0)
			return -1;
		buf += w;
		n -= w;
	}
	return 0;
}

static char dgram[TOY_DGRAM_MAX];

/* -u -l: each datagram to stdout, or back to its sender (-e). */
static void dgram_serve(int fd)
{
	char who[INET_ADDRSTRLEN];
	struct sockaddr_toy from;
	socklen_t len;
	ssize_t n;

	for (;;) {
		len = sizeof(from);
		n = recvfrom(fd, dgram, sizeof(dgram), 0,
			     (struct sockaddr *)&from, &len);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			die("recvfrom");
		}
		if (verbose) {
			inet_ntop(AF_INET, &from.stoy_addr, who, sizeof(who));
			fprintf(stderr, "toycat: %zd bytes from %s:%u\n", n, who,
				ntohs(from.stoy_port));
		}
		if (echo) {
			if (sendto(fd, dgram, n, 0, (struct sockaddr *)&from,
				   len) < 0)
				die("sendto");
		} else if (write_out(1, dgram, n)) {
			die("write stdout");
		}
	}
}

/*
 * -u: stdin to datagrams, datagrams to stdout; after the end of stdin,
 * answers are awaited until @wait_ms pass with none.
 */
static void dgram_client(int fd, int wait_ms)
{
	int in_open = 1;

	for (;;) {
		struct pollfd p[2] = {
			{ .fd = in_open ? 0 : -1, .events = POLLIN },
			{ .fd = fd, .events = POLLIN },
		};
		ssize_t n;
		int ready;

		ready = poll(p, 2, in_open ? -1 : wait_ms);
		if (ready < 0) {
			if (errno == EINTR)
				continue;
			die("poll");
		}
		if (!ready)
			return;		/* stdin is over and the peer quiet */
		if (p[0].revents) {
			n = read(0, dgram, sizeof(dgram));
			if (n < 0 && errno != EINTR)
				die("read stdin");
			if (n == 0)
				in_open = 0;
			if (n > 0 && send(fd, dgram, n, 0) < 0)
				die("send");
		}
		if (p[1].revents) {
			n = recv(fd, dgram, sizeof(dgram), 0);
			if (n < 0)
				die("recv");
			if (write_out(1, dgram, n))
				die("write stdout");
		}
	}
}

static void addr_of(struct sockaddr_toy *a, int af, const char *host,
		    const char *port)
{
	char *end;
	long p = strtol(port, &end, 10);

	if (*end || p < 0 || p > 65535)
		usage();
	memset(a, 0, sizeof(*a));
	a->stoy_family = af;
	a->stoy_port = htons(p);
	if (host && inet_pton(AF_INET, host, &a->stoy_addr) != 1) {
		fprintf(stderr, "toycat: %s: not an IPv4 address\n", host);
		exit(2);
	}
}

static void print_tuple(int fd)
{
	struct sockaddr_toy l, r;
	socklen_t len = sizeof(l);
	char a[INET_ADDRSTRLEN], b[INET_ADDRSTRLEN];

	if (!verbose)
		return;
	if (getsockname(fd, (struct sockaddr *)&l, &len))
		die("getsockname");
	len = sizeof(r);
	if (getpeername(fd, (struct sockaddr *)&r, &len))
		die("getpeername");
	inet_ntop(AF_INET, &l.stoy_addr, a, sizeof(a));
	inet_ntop(AF_INET, &r.stoy_addr, b, sizeof(b));
	fprintf(stderr, "toycat: %s:%u -> %s:%u\n", a, ntohs(l.stoy_port),
		b, ntohs(r.stoy_port));
}

/*
 * Move bytes both ways until both directions have ended.  The socket is
 * written only when poll() says it has room, so two toycats sending to
 * each other at once never both block in send() with full windows.
 */
static void relay(int fd)
{
	static char out[65536], in[65536];
	size_t out_len = 0, out_off = 0;
	int in_open = !echo, peer_open = 1, wr_open = 1;

	while (peer_open || (wr_open && (in_open || out_len))) {
		struct pollfd p[2] = {
			{ .fd = -1, .events = POLLIN },
			{ .fd = fd, .events = 0 },
		};
		ssize_t n;

		/* Refill from stdin (or, echoing, from the socket) when empty. */
		if (in_open && !out_len)
			p[0].fd = 0;
		if (peer_open && (!echo || !out_len))
			p[1].events |= POLLIN;
		if (wr_open && out_len)
			p[1].events |= POLLOUT;
		if (poll(p, 2, -1) < 0) {
			if (errno == EINTR)
				continue;
			die("poll");
		}
		if (p[0].revents) {
			n = read(0, out, sizeof(out));
			if (n < 0 && errno != EINTR)
				die("read stdin");
			if (n == 0)
				in_open = 0;
			if (n > 0) {
				out_len = n;
				out_off = 0;
			}
		}
		if (p[1].revents & POLLOUT) {
			n = send(fd, out + out_off, out_len - out_off,
				 MSG_DONTWAIT | MSG_NOSIGNAL);
			if (n < 0 && errno != EAGAIN && errno != EINTR)
				die("send");
			if (n > 0) {
				out_off += n;
				if (out_off == out_len)
					out_len = out_off = 0;
			}
		}
		if (p[1].revents & (POLLIN | POLLHUP | POLLERR) &&
		    p[1].events & POLLIN) {
			n = recv(fd, echo ? out : in, sizeof(in), MSG_DONTWAIT);
			if (n < 0 && errno != EAGAIN && errno != EINTR)
				die("recv");
			if (n == 0) {
				peer_open = 0;
			} else if (n > 0 && echo) {
				out_len = n;
				out_off = 0;
			} else if (n > 0 && write_out(1, in, n)) {
				die("write stdout");
			}
		}
		/* Nothing more to send: half-close, the peer reads EOF. */
		if (wr_open && !out_len && (echo ? !peer_open : !in_open)) {
			if (shutdown(fd, SHUT_WR))
				die("shutdown");
			wr_open = 0;
		}
	}
	close(fd);
}

int main(int argc, char **argv)
{
	int opt, listening = 0, keep = 0, af = module_family(), fd, one = 1;
	const char *src = NULL;
	struct sockaddr_toy a;
	long wait_secs = 0;
	int type = SOCK_STREAM;

	while ((opt = getopt(argc, argv, "lkevus:w:")) != -1) {
		switch (opt) {
		case 'l': listening = 1; break;
		case 'k': keep = 1; break;
		case 'e': echo = 1; break;
		case 'v': verbose = 1; break;
		case 's': src = optarg; break;
		case 'w': wait_secs = atol(optarg); break;
		case 'u': type = SOCK_DGRAM; break;
		default: usage();
		}
	}
	fd = socket(af, type, 0);
	if (fd < 0)
		die("socket");
	if (type == SOCK_DGRAM) {
		if (listening) {
			if (argc - optind != 1)
				usage();
			addr_of(&a, af, src, argv[optind]);
			if (bind(fd, (struct sockaddr *)&a, sizeof(a)))
				die("bind");
			dgram_serve(fd);
		}
		if (argc - optind != 2)
			usage();
		addr_of(&a, af, argv[optind], argv[optind + 1]);
		if (connect(fd, (struct sockaddr *)&a, sizeof(a)))
			die("connect");
		dgram_client(fd, wait_secs ? wait_secs * 1000 : 1000);
		return 0;
	}

	if (listening) {
		if (argc - optind != 1)
			usage();
		addr_of(&a, af, src, argv[optind]);
		setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
		if (bind(fd, (struct sockaddr *)&a, sizeof(a)))
			die("bind");
		if (listen(fd, 128))
			die("listen");
		if (keep)
			signal(SIGCHLD, SIG_IGN);	/* no zombies */
		do {
			int c = accept(fd, NULL, NULL);

			if (c < 0) {
				if (errno == EINTR)
					continue;
				die("accept");
			}
			print_tuple(c);
			if (!keep) {
				close(fd);
				relay(c);
				return 0;
			}
			if (fork() == 0) {
				close(fd);
				relay(c);
				return 0;
			}
			close(c);
		} while (1);
	}

	if (argc - optind != 2)
		usage();
	addr_of(&a, af, argv[optind], argv[optind + 1]);
	if (wait_secs) {
		struct timeval tv = { .tv_sec = wait_secs };

		setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	}
	if (connect(fd, (struct sockaddr *)&a, sizeof(a)))
		die("connect");
	print_tuple(fd);
	relay(fd);
	return 0;
}
