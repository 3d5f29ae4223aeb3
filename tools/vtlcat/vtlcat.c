// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * vtlcat: netcat for VTL.
 *   vtlcat -l [-p PORT] [-o FILE]          receive one session
 *   vtlcat [-g GRAFT] [-w WIN] HOST < FILE send stdin
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <netdb.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <vtl/vtl.h>
#include "ipc_client.h"   /* only to explain a failure to reach vtld */

#define CHUNK (256 * 1024)

struct args {
	int listen, verbose;
	unsigned port, window;
	unsigned services;
	struct vtl_qos qos;
	int timeout_ms;
	const char *out, *socket, *graft, *host;
};

static void usage(FILE *f)
{
	fprintf(f,
"usage: vtlcat -l [-p PORT] [-o FILE] [--socket PATH] [-v]\n"
"       vtlcat [-g GRAFT] [-w WINDOW] [-p PORT] [-t TIMEOUT_MS] [--socket PATH]\n"
"              [-v] HOST < FILE\n"
"\n"
"Receive one VTL session (-l) and write it to FILE or stdout, or send stdin\n"
"to HOST over VTL. The sender exits 0 only once the peer has every byte.\n"
"\n"
"  -l, --listen          receive instead of send\n"
"  -p, --port PORT       service port (default 1)\n"
"  -o, --output FILE     write received data to FILE (default stdout)\n"
"  -g, --graft NAME      ask for this graft (default: the broker chooses)\n"
"  -w, --window N        window tunable (default: the graft's)\n"
"  -t, --timeout MS      negotiation timeout (default 3000)\n"
"  -s, --services LIST   what to ask for when no -g: reliable, ordered,\n"
"                        partial, cc, comma-separated (default reliable,ordered)\n"
"      --max-loss PCT    tolerated loss in percent (partial reliability)\n"
"      --max-delay MS    maximum delay the application accepts\n"
"      --min-tput MBPS   minimum throughput the application needs, Mb/s\n"
"      --socket PATH     vtld control socket (default $VTL_SOCKET, or the\n"
"                        only *.sock in /run/vtl)\n"
"  -v, --verbose         print session and statistics on stderr\n"
"  -V, --version         print the version and exit\n"
"  -h, --help            this help\n");
}

static void __attribute__((noreturn)) die(const char *what, int err)
{
	fprintf(stderr, "vtlcat: %s: %s\n", what, vtl_strerror(err));
	exit(1);
}

/* die(), adding vtld's own words when it gave any */
static void __attribute__((noreturn)) die_s(vtl_sock *s, const char *what, int err)
{
	const char *m = vtl_errmsg(s);

	if (m && *m)
		fprintf(stderr, "vtlcat: %s: %s: %s\n", what, vtl_strerror(err), m);
	else
		fprintf(stderr, "vtlcat: %s: %s\n", what, vtl_strerror(err));
	exit(1);
}

/* "vtlcat: what[: arg] (try ...)", exit 1 */
static void __attribute__((noreturn))
bad_usage(const char *what, const char *arg)
{
	fprintf(stderr, "vtlcat: %s%s%s (try 'vtlcat --help')\n", what,
		arg ? ": " : "", arg ? arg : "");
	exit(1);
}

static unsigned num(const char *s, unsigned long min, unsigned long max,
		    const char *what)
{
	unsigned long v;
	char *end;

	errno = 0;
	v = strtoul(s, &end, 0);
	if (errno || end == s || *end || *s == '-' || v < min || v > max)
		bad_usage(what, s);
	return (unsigned)v;
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* vtl_init could not reach vtld: say why (which path, what error). */
static void explain_daemon(const char *socket)
{
	char err[VTL__ERRLEN] = "";
	int fd = vtl__open_control(socket, NULL, err, sizeof(err));

	if (fd >= 0)
		close(fd);
	else if (*err)
		fprintf(stderr, "vtlcat: %s\n", err);
}

static unsigned parse_services(const char *s)
{
	static const struct { const char *n; unsigned bit; } names[] = {
		{ "reliable", VTL_RELIABLE }, { "ordered", VTL_ORDERED },
		{ "partial", VTL_PARTIAL }, { "cc", VTL_CONGESTION_CONTROL }, { "none", 0 },
	};
	char buf[128], *tok, *save = NULL;
	unsigned v = 0;

	snprintf(buf, sizeof(buf), "%s", s);
	for (tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		size_t i;

		for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
			if (!strcmp(tok, names[i].n))
				break;
		if (i == sizeof(names) / sizeof(names[0]))
			bad_usage("unknown service", tok);
		v |= names[i].bit;
	}
	return v;
}

static double parse_real(const char *s, double max, const char *what)
{
	char *end;
	double v = strtod(s, &end);

	if (end == s || *end || v < 0 || v > max)
		bad_usage(what, s);
	return v;
}

static vtl_sock *open_sock(const struct args *a, enum vtl_mode mode,
			   const char *dst)
{
	struct vtl_opts o = {
		.sz = sizeof(o), .socket_path = a->socket, .port = a->port,
		.graft = a->graft, .window = a->window,
		.timeout_ms = a->timeout_ms,
	};
	vtl_sock *s;
	int r = vtl_init(&s, mode, NULL, dst, &o);

	if (r == -VTL_E_DAEMON) {
		fprintf(stderr, "vtlcat: init: %s\n", vtl_strerror(r));
		explain_daemon(a->socket);
		exit(1);
	}
	if (r < 0)
		die("init", r);
	return s;
}

static void report(const struct args *a, vtl_sock *s, double t0)
{
	struct vtl_stats st;
	double secs;

	if (!a->verbose)
		return;
	if (vtl_get_stats(s, &st) < 0)
		return;
	secs = st.duration_us ? st.duration_us / 1e6 : now_s() - t0;
	fprintf(stderr, "vtlcat: %llu bytes in %.3f s, goodput %.3f Mb/s\n",
		(unsigned long long)st.bytes, secs,
		secs > 0 ? st.bytes * 8 / secs / 1e6 : 0.0);
	fprintf(stderr, "vtlcat: packets %llu, retransmissions %llu, "
		"timeouts %llu, fast retransmits %llu, srtt %.3f ms\n",
		(unsigned long long)st.packets,
		(unsigned long long)st.retransmits,
		(unsigned long long)st.timeouts,
		(unsigned long long)st.fast_retx, st.srtt_us / 1000.0);
	fprintf(stderr, "vtlcat: lost %llu packets (given up), duplicates %llu, out of order %llu\n",
		(unsigned long long)st.lost, (unsigned long long)st.dup_rx,
		(unsigned long long)st.ooo_rx);
}

static void print_info(const struct args *a, const struct vtl_info *i)
{
	if (a->verbose)
		fprintf(stderr, "vtlcat: session %#x with %s: graft %s v%u, "
			"window %u, mss %u\n", i->session_id, i->peer, i->graft,
			i->graft_version, i->window, i->mss);
}

static int write_all(int fd, const char *p, size_t n)
{
	while (n) {
		ssize_t w = write(fd, p, n);

		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0)
			return -errno;
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

static int do_listen(const struct args *a, char *buf)
{
	int out = STDOUT_FILENO, r;
	struct vtl_info info;
	vtl_sock *s;
	double t0;
	ssize_t n;

	if (a->out) {
		out = open(a->out, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
		if (out < 0) {
			fprintf(stderr, "vtlcat: %s: %s\n", a->out, strerror(errno));
			return 1;
		}
	}
	s = open_sock(a, VTL_MODE_RECV, NULL);
	r = vtl_negotiate(s, VTL_RELIABLE | VTL_ORDERED, NULL);
	if (r < 0)
		die_s(s, "listen", r);
	fprintf(stderr, "vtlcat: listening on port %u\n", a->port);
	fflush(stderr);
	r = vtl_validate(s, &info);
	if (r < 0)
		die_s(s, "accept", r);
	print_info(a, &info);
	t0 = now_s();
	while ((n = vtl_recv_data(s, buf, CHUNK)) > 0) {
		r = write_all(out, buf, (size_t)n);
		if (r < 0) {
			fprintf(stderr, "vtlcat: write: %s\n", strerror(-r));
			return 1;
		}
	}
	if (n < 0)
		die_s(s, "receive", (int)n);
	if (out != STDOUT_FILENO && close(out) < 0) {
		fprintf(stderr, "vtlcat: %s: %s\n", a->out, strerror(errno));
		return 1;
	}
	report(a, s, t0);
	vtl_close(s);
	return 0;
}

/* host: an IPv4 or IPv6 address (IPv6 with or without [ ]), or a name
 * (its first address, IPv4 or IPv6). */
static void resolve(const char *host, char *ip, size_t len)
{
	struct addrinfo hints = { .ai_family = AF_UNSPEC, .ai_socktype = SOCK_DGRAM }, *res;
	unsigned char a[16];
	size_t n = strlen(host);
	int r;

	if (inet_pton(AF_INET, host, a) == 1 || inet_pton(AF_INET6, host, a) == 1 ||
	    (n > 2 && host[0] == '[' && host[n - 1] == ']')) {
		snprintf(ip, len, "%s", host);
		return;
	}
	r = getaddrinfo(host, NULL, &hints, &res);
	if (r) {
		fprintf(stderr, "vtlcat: %s: %s\n", host, gai_strerror(r));
		exit(1);
	}
	if (res->ai_family == AF_INET6)
		inet_ntop(AF_INET6, &((struct sockaddr_in6 *)res->ai_addr)->sin6_addr, ip, len);
	else
		inet_ntop(AF_INET, &((struct sockaddr_in *)res->ai_addr)->sin_addr, ip, len);
	freeaddrinfo(res);
}

static int do_send(const struct args *a, char *buf)
{
	char ip[INET6_ADDRSTRLEN + 2];
	struct vtl_info info;
	vtl_sock *s;
	double t0;
	ssize_t n, w;
	int r;

	resolve(a->host, ip, sizeof(ip));
	s = open_sock(a, VTL_MODE_SEND, ip);
	t0 = now_s();
	r = vtl_negotiate(s, a->services, &a->qos);
	if (r < 0)
		die_s(s, "negotiate", r);
	r = vtl_validate(s, &info);
	if (r < 0)
		die_s(s, "negotiate", r);
	print_info(a, &info);
	if (a->verbose)
		fprintf(stderr, "vtlcat: negotiated in %.3f ms\n", (now_s() - t0) * 1e3);
	t0 = now_s();
	for (;;) {
		n = read(STDIN_FILENO, buf, CHUNK);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			fprintf(stderr, "vtlcat: read: %s\n", strerror(errno));
			return 1;
		}
		if (n == 0)
			break;
		w = vtl_send_data(s, buf, (size_t)n);
		if (w < 0)
			die_s(s, "send", (int)w);
	}
	r = vtl_shutdown(s, NULL);
	if (r < 0)
		die_s(s, "shutdown", r);
	report(a, s, t0);
	vtl_close(s);
	return 0;
}

int main(int argc, char **argv)
{
	static const struct option lo[] = {
		{ "listen",  no_argument,       NULL, 'l' },
		{ "port",    required_argument, NULL, 'p' },
		{ "output",  required_argument, NULL, 'o' },
		{ "graft",   required_argument, NULL, 'g' },
		{ "window",  required_argument, NULL, 'w' },
		{ "timeout", required_argument, NULL, 't' },
		{ "socket",  required_argument, NULL, 'S' },
		{ "verbose", no_argument,       NULL, 'v' },
		{ "help",    no_argument,       NULL, 'h' },
		{ "version", no_argument,       NULL, 'V' },
		{ "services", required_argument, NULL, 's' },
		{ "max-loss", required_argument, NULL, 'L' },
		{ "max-delay", required_argument, NULL, 'D' },
		{ "min-tput", required_argument, NULL, 'T' },
		{ 0 }
	};
	struct args a = { .port = 1, .services = VTL_RELIABLE | VTL_ORDERED };
	char *buf;
	int c;

	while ((c = getopt_long(argc, argv, "lp:o:g:w:t:s:vVh", lo, NULL)) != -1) {
		switch (c) {
		case 'l': a.listen = 1; break;
		case 'p': a.port = num(optarg, 1, 65535, "bad port"); break;
		case 'o': a.out = optarg; break;
		case 'g': a.graft = optarg; break;
		case 'w': a.window = num(optarg, 1, 1u << 20, "bad window"); break;
		case 't': a.timeout_ms = (int)num(optarg, 1, 3600000,
						  "bad timeout"); break;
		case 'S': a.socket = optarg; break;
		case 'v': a.verbose = 1; break;
		case 's': a.services = parse_services(optarg); break;
		case 'L': a.qos.max_loss_ppm = (uint32_t)(parse_real(optarg, 100, "bad --max-loss percent") * 10000 + 0.5); break;
		case 'D': a.qos.max_delay_ms = num(optarg, 1, 3600000, "bad --max-delay"); break;
		case 'T': a.qos.min_tput_kbps = (uint32_t)(parse_real(optarg, 1e6, "bad --min-tput") * 1000 + 0.5); break;
		case 'h': usage(stdout); return 0;
		case 'V': printf("vtlcat %s\n", VTL_VERSION_STRING); return 0;
		default:
			fputs("try 'vtlcat --help'\n", stderr);
			return 1;
		}
	}
	if (a.listen && optind != argc)
		bad_usage("unexpected argument with -l", argv[optind]);
	if (!a.listen && optind != argc - 1)
		bad_usage(optind < argc ? "too many arguments" :
			  "missing HOST (or -l to listen)", NULL);
	if (!a.listen && a.out)
		bad_usage("-o is for -l (the receiver)", NULL);
	a.host = a.listen ? NULL : argv[optind];
	buf = malloc(CHUNK);
	if (!buf) {
		fprintf(stderr, "vtlcat: out of memory\n");
		return 1;
	}
	signal(SIGPIPE, SIG_IGN);
	c = a.listen ? do_listen(&a, buf) : do_send(&a, buf);
	free(buf);
	return c;
}
