// SPDX-License-Identifier: GPL-2.0
/*
 * toysock - create AF_TOY sockets, give them addresses, say what they are.
 *
 *   toysock [-f FAMILY] [-t stream|dgram|raw|seqpacket] [-p PROTO]
 *           [-n COUNT] [-r] [-P] [-b ADDR:PORT] [-l] [-c ADDR:PORT] [-B] [-H]
 *
 * Creates COUNT sockets (default 1) of the given type (default stream) and
 * protocol (default 0) in FAMILY (default: the family the loaded module
 * registered, from /sys/module/toy/parameters/family), and for each one,
 * in this order: sets SO_REUSEADDR (-r) and TOY_REUSEPORT (-P), binds it
 * (-b, port 0 picks one), listens (-l), connects (-c) without blocking,
 * or blocking with -B (and then reports the error connect() returns).  It
 * prints one line per socket with what getsockopt() and getsockname()
 * report, then closes them.  -H holds them open until the process is
 * signalled (SIGINT/SIGTERM), for looking at /proc and /sys meanwhile.
 * Exits 1 with the errno text of the first call that fails.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <fcntl.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <linux/toy.h>

#include "toy_family.h"

static int getint(int fd, int opt)
{
	socklen_t len = sizeof(int);
	int v = -1;

	getsockopt(fd, SOL_SOCKET, opt, &v, &len);
	return v;
}

static void usage(void)
{
	fprintf(stderr, "usage: toysock [-f FAMILY] [-t stream|dgram|raw|seqpacket] [-p PROTO]\n"
		"               [-n COUNT] [-r] [-P] [-b ADDR:PORT] [-l] [-c ADDR:PORT] [-B] [-H]\n");
	exit(2);
}

static const struct {
	const char	*name;
	int		type;
} types[] = {
	{ "stream", SOCK_STREAM },
	{ "dgram", SOCK_DGRAM },
	{ "raw", SOCK_RAW },
	{ "seqpacket", SOCK_SEQPACKET },
};

static const char *type_name(int type)
{
	unsigned int i;

	for (i = 0; i < sizeof(types) / sizeof(types[0]); i++)
		if (types[i].type == type)
			return types[i].name;
	return "?";
}

/* "A.B.C.D:PORT" into an AF_TOY address. */
static void parse_endpoint(const char *s, int af, struct sockaddr_toy *a)
{
	char buf[64], *colon;

	snprintf(buf, sizeof(buf), "%s", s);
	colon = strrchr(buf, ':');
	if (!colon)
		usage();
	*colon = '\0';
	memset(a, 0, sizeof(*a));
	a->stoy_family = af;
	a->stoy_port = htons(atoi(colon + 1));
	if (inet_pton(AF_INET, buf, &a->stoy_addr) != 1)
		usage();
}

static const char *endpoint(const struct sockaddr_toy *a, char *buf,
			    size_t len)
{
	char ip[INET_ADDRSTRLEN];

	inet_ntop(AF_INET, &a->stoy_addr, ip, sizeof(ip));
	snprintf(buf, len, "%s:%u", ip, ntohs(a->stoy_port));
	return buf;
}

static void die(const char *call, const char *arg)
{
	fprintf(stderr, "toysock: %s(%s): %s\n", call, arg, strerror(errno));
	exit(1);
}

static void on_signal(int sig)
{
	(void)sig;
}

int main(int argc, char **argv)
{
	int af = module_family(), type = -1, proto = 0, n = 1, hold = 0;
	int reuseaddr = 0, reuseport = 0, do_listen = 0, one = 1, block = 0;
	const char *bind_to = NULL, *connect_to = NULL;
	struct sockaddr_toy a;
	socklen_t len;
	unsigned int t;
	int *fds, i, opt;
	char ep[64];

	while ((opt = getopt(argc, argv, "f:t:p:n:rPb:lc:BH")) != -1) {
		switch (opt) {
		case 'f':
			af = atoi(optarg);
			break;
		case 't':
			for (t = 0; t < sizeof(types) / sizeof(types[0]); t++)
				if (!strcmp(optarg, types[t].name))
					type = types[t].type;
			if (type < 0)
				usage();
			break;
		case 'p':
			proto = atoi(optarg);
			break;
		case 'n':
			n = atoi(optarg);
			if (n < 1)
				usage();
			break;
		case 'r':
			reuseaddr = 1;
			break;
		case 'P':
			reuseport = 1;
			break;
		case 'b':
			bind_to = optarg;
			break;
		case 'l':
			do_listen = 1;
			break;
		case 'c':
			connect_to = optarg;
			break;
		case 'B':
			block = 1;
			break;
		case 'H':
			hold = 1;
			break;
		default:
			usage();
		}
	}

	if (type < 0)
		type = SOCK_STREAM;
	fds = calloc(n, sizeof(*fds));
	if (!fds)
		return 1;
	for (i = 0; i < n; i++) {
		fds[i] = socket(af, type, proto);
		if (fds[i] < 0) {
			fprintf(stderr, "toysock: socket(%d, %s, %d): %s\n", af,
				type_name(type), proto, strerror(errno));
			return 1;
		}
		if (reuseaddr &&
		    setsockopt(fds[i], SOL_SOCKET, SO_REUSEADDR, &one,
			       sizeof(one)))
			die("setsockopt", "SO_REUSEADDR");
		if (reuseport &&
		    setsockopt(fds[i], SOL_TOY, TOY_REUSEPORT, &one,
			       sizeof(one)))
			die("setsockopt", "TOY_REUSEPORT");
		if (bind_to) {
			parse_endpoint(bind_to, af, &a);
			if (bind(fds[i], (struct sockaddr *)&a, sizeof(a)))
				die("bind", bind_to);
		}
		if (do_listen && listen(fds[i], 16))
			die("listen", "16");
		if (connect_to) {
			parse_endpoint(connect_to, af, &a);
			if (!block)
				fcntl(fds[i], F_SETFL, O_NONBLOCK);
			if (connect(fds[i], (struct sockaddr *)&a, sizeof(a)) &&
			    errno != EINPROGRESS)
				die("connect", connect_to);
		}
		len = sizeof(a);
		memset(&a, 0, sizeof(a));
		getsockname(fds[i], (struct sockaddr *)&a, &len);
		printf("fd %d: family %d, type %s, protocol %d, local %s%s%s%s\n",
		       fds[i], getint(fds[i], SO_DOMAIN),
		       type_name(getint(fds[i], SO_TYPE)),
		       getint(fds[i], SO_PROTOCOL), endpoint(&a, ep, sizeof(ep)),
		       getint(fds[i], SO_ACCEPTCONN) == 1 ? ", listening" : "",
		       connect_to ? ", connecting to " : "",
		       connect_to ? connect_to : "");
	}
	fflush(stdout);

	if (hold) {
		signal(SIGINT, on_signal);
		signal(SIGTERM, on_signal);
		printf("holding %d socket%s; send SIGTERM to close\n", n,
		       n == 1 ? "" : "s");
		fflush(stdout);
		pause();
	}
	for (i = 0; i < n; i++)
		close(fds[i]);
	free(fds);
	return 0;
}
