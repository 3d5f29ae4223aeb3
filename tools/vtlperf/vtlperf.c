// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * vtlperf: iperf3 for VTL.
 *   vtlperf -s [-p PORT] [-1]                                 server
 *   vtlperf -c HOST [-p PORT] [-g GRAFT] [-w WINDOW] [-P N]
 *           [-n BYTES | -t SECS] [--bidir | --half-close] [-j]  client
 * Every byte is checked against a pattern the stream's header names
 * (pattern.h); any mismatch or failed session makes the exit status 1.
 * Options and helpers here; the client and server in client.c and
 * server.c, one direction of a session in stream.c.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <netdb.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>
#include "ipc_client.h"   /* only to explain a failure to reach vtld */
#include "vtlperf.h"

static void usage(FILE *f)
{
	fprintf(f,
"usage: vtlperf -s [-p PORT] [-1] [-j] [--listeners N] [--socket PATH] [-v]\n"
"       vtlperf -c HOST [-p PORT] [-g GRAFT] [-w WINDOW] [-P N]\n"
"               [-n BYTES | -t SECS] [--bidir | --half-close] [-j]\n"
"               [--open-limit N] [--timeout MS] [--socket PATH] [-v]\n"
"\n"
"Measure VTL between two hosts: the client sends a checked pattern over N\n"
"concurrent sessions, the server verifies every byte (with --bidir the\n"
"server sends one back too, which the client verifies). Exit status 0\n"
"only if every session opened, completed and was byte-exact.\n"
"\n"
"  -s, --server          receive tests (the server)\n"
"  -c, --client HOST     send a test to HOST (the client)\n"
"  -p, --port PORT       VTL service port (default %u)\n"
"  -1, --one-off         server: exit after one test, 0 if it was all good\n"
"  -g, --graft NAME      ask for this graft (default: the broker chooses)\n"
"  -w, --window N        window tunable (default: the graft's)\n"
"  -P, --parallel N      concurrent sessions (default 1)\n"
"  -n, --bytes BYTES     payload per session (suffix K, M, G: powers of 1024)\n"
"  -t, --time SECS       send for SECS seconds (default %u, when no -n)\n"
"      --bidir           the server sends as much back on each session, both\n"
"                        directions at once\n"
"      --half-close      --bidir, but the server sends its stream only after\n"
"                        the client shut its own down (half-close)\n"
"  -j, --json            one JSON object per test on stdout\n"
"      --listeners N     server: listeners kept armed on the port (default %u)\n"
"      --open-limit N    client: negotiations in flight at once (default %u,\n"
"                        0: all at once)\n"
"      --timeout MS      negotiation timeout (default: vtld's)\n"
"      --socket PATH     vtld control socket (default $VTL_SOCKET, or the\n"
"                        only *.sock in /run/vtl)\n"
"  -v, --verbose         a line per session\n"
"  -V, --version         print the version and exit\n"
"  -h, --help            this help\n",
		PERF_PORT, PERF_SECS, PERF_LISTENERS, PERF_OPEN_LIMIT);
}

/* "vtlperf: what[: arg] (try ...)", exit 2 */
static void __attribute__((noreturn)) bad_usage(const char *what, const char *arg)
{
	fprintf(stderr, "vtlperf: %s%s%s (try 'vtlperf --help')\n", what,
		arg ? ": " : "", arg ? arg : "");
	exit(PERF_EXIT_USAGE);
}

static uint64_t num(const char *s, uint64_t min, uint64_t max, int suffix,
		    const char *what)
{
	unsigned long long v;
	uint64_t mul = 1;
	char *end;

	errno = 0;
	v = strtoull(s, &end, 10);
	if (suffix && end != s && end[0] && !end[1]) {
		switch (end[0]) {
		case 'k': case 'K': mul = 1ull << 10; end++; break;
		case 'm': case 'M': mul = 1ull << 20; end++; break;
		case 'g': case 'G': mul = 1ull << 30; end++; break;
		}
	}
	if (errno || end == s || *end || *s == '-' || v > max / mul || v * mul < min)
		bad_usage(what, s);
	return v * mul;
}

double perf_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

double perf_mbps(uint64_t bytes, double secs)
{
	return secs > 0 ? bytes * 8 / secs / 1e6 : 0.0;
}

int perf_thread(pthread_t *t, int detached, void *(*fn)(void *), void *arg)
{
	size_t stack = PERF_STACK < PTHREAD_STACK_MIN ? PTHREAD_STACK_MIN : PERF_STACK;
	pthread_attr_t at;
	pthread_t tmp;
	int r;

	pthread_attr_init(&at);
	pthread_attr_setstacksize(&at, stack);
	if (detached)
		pthread_attr_setdetachstate(&at, PTHREAD_CREATE_DETACHED);
	r = pthread_create(t ? t : &tmp, &at, fn, arg);
	pthread_attr_destroy(&at);
	return -r;
}

const char *perf_strerror(int err)
{
	switch (err) {
	case PERF_E_MISMATCH: return "pattern mismatch";
	case PERF_E_HEADER:   return "bad stream header";
	case PERF_E_SHORT:    return "stream ended early";
	case PERF_E_LONG:     return "stream longer than announced";
	case PERF_E_COUNT:    return "byte count disagrees";
	}
	return vtl_strerror(err);
}

void perf_errmsg(char *buf, size_t len, vtl_sock *s, const char *what, int err)
{
	const char *e = perf_strerror(err), *m = s ? vtl_errmsg(s) : "";

	if (!m || !strcmp(m, e))  /* vtld's words may be libvtl's */
		m = "";
	snprintf(buf, len, "%s: %s%s%s", what, e, *m ? ": " : "", m);
}

/* vtl_init could not reach vtld: say why (which path, what error), once. */
static void explain_daemon(const char *socket)
{
	static pthread_mutex_t once = PTHREAD_MUTEX_INITIALIZER;
	static int said;
	char err[VTL__ERRLEN] = "";
	int fd;

	pthread_mutex_lock(&once);
	if (!said++) {
		fd = vtl__open_control(socket, NULL, err, sizeof(err));
		if (fd >= 0)
			close(fd);
		else if (*err)
			fprintf(stderr, "vtlperf: %s\n", err);
	}
	pthread_mutex_unlock(&once);
}

vtl_sock *perf_open(const struct perf_args *a, enum vtl_mode mode, uint32_t flags,
		    int *err)
{
	struct vtl_opts o = {
		.sz = sizeof(o), .socket_path = a->socket, .port = (uint16_t)a->port,
		.graft = a->graft, .window = a->window, .timeout_ms = a->timeout_ms,
		.flags = flags,
	};
	vtl_sock *s;

	*err = vtl_init(&s, mode, NULL, mode == VTL_MODE_SEND ? a->ip : NULL, &o);
	if (*err == -VTL_E_DAEMON)
		explain_daemon(a->socket);
	return *err < 0 ? NULL : s;
}

static void resolve(const char *host, char *ip, size_t len)
{
	struct addrinfo hints = { .ai_family = AF_INET }, *res;
	struct in_addr a;
	int r;

	if (inet_pton(AF_INET, host, &a) == 1) {
		snprintf(ip, len, "%s", host);
		return;
	}
	r = getaddrinfo(host, NULL, &hints, &res);
	if (r) {
		fprintf(stderr, "vtlperf: %s: %s\n", host, gai_strerror(r));
		exit(PERF_EXIT_FAIL);
	}
	inet_ntop(AF_INET, &((struct sockaddr_in *)res->ai_addr)->sin_addr, ip, len);
	freeaddrinfo(res);
}

/* Every session holds a control connection to vtld: -P 1000 needs more
 * descriptors than the usual soft limit. */
static void raise_nofile(void)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
}

/* The hidden debug hook: VTLPERF_CORRUPT_AT=OFFSET flips the byte at that
 * payload offset of stream 0 before it is sent (the checker's own test). */
static void corrupt_env(struct perf_args *a)
{
	const char *v = getenv("VTLPERF_CORRUPT_AT");

	if (!v || !*v)
		return;
	a->corrupt = 1;
	a->corrupt_at = num(v, 0, UINT64_MAX, 0, "bad VTLPERF_CORRUPT_AT");
}

enum { O_BIDIR = 256, O_HALF, O_LISTENERS, O_OPEN_LIMIT, O_TIMEOUT, O_SOCKET };

static void check_args(struct perf_args *a, int have_n, int have_t, int client_only,
		       int server_only)
{
	if (a->server == !!a->host)
		bad_usage(a->server ? "-s and -c exclude each other" :
			  "give -s (server) or -c HOST (client)", NULL);
	if (a->server && client_only)
		bad_usage("-g, -w, -P, -n, -t, --bidir, --half-close and --open-limit are for "
			  "the client", NULL);
	if (!a->server && server_only)
		bad_usage("-1 and --listeners are for the server (-s)", NULL);
	if (have_n && have_t)
		bad_usage("-n and -t exclude each other", NULL);
	if (!a->server && !have_n && !a->secs)
		a->secs = PERF_SECS;
}

int main(int argc, char **argv)
{
	static const struct option lo[] = {
		{ "server",     no_argument,       NULL, 's' },
		{ "client",     required_argument, NULL, 'c' },
		{ "port",       required_argument, NULL, 'p' },
		{ "one-off",    no_argument,       NULL, '1' },
		{ "graft",      required_argument, NULL, 'g' },
		{ "window",     required_argument, NULL, 'w' },
		{ "parallel",   required_argument, NULL, 'P' },
		{ "bytes",      required_argument, NULL, 'n' },
		{ "time",       required_argument, NULL, 't' },
		{ "json",       no_argument,       NULL, 'j' },
		{ "bidir",      no_argument,       NULL, O_BIDIR },
		{ "half-close", no_argument,       NULL, O_HALF },
		{ "listeners",  required_argument, NULL, O_LISTENERS },
		{ "open-limit", required_argument, NULL, O_OPEN_LIMIT },
		{ "timeout",    required_argument, NULL, O_TIMEOUT },
		{ "socket",     required_argument, NULL, O_SOCKET },
		{ "verbose",    no_argument,       NULL, 'v' },
		{ "version",    no_argument,       NULL, 'V' },
		{ "help",       no_argument,       NULL, 'h' },
		{ 0 }
	};
	struct perf_args a = { .port = PERF_PORT, .nstreams = 1,
			       .listeners = PERF_LISTENERS, .open_limit = PERF_OPEN_LIMIT };
	int c, have_n = 0, have_t = 0, client_only = 0, server_only = 0;

	while ((c = getopt_long(argc, argv, "sc:p:1g:w:P:n:t:jvVh", lo, NULL)) != -1) {
		switch (c) {
		case 's': a.server = 1; break;
		case 'c': a.host = optarg; break;
		case 'p': a.port = (unsigned)num(optarg, 1, 65535, 0, "bad port"); break;
		case '1': a.once = 1; server_only = 1; break;
		case 'g': a.graft = optarg; client_only = 1; break;
		case 'w': a.window = (unsigned)num(optarg, 1, 1u << 20, 0, "bad window");
			  client_only = 1; break;
		case 'P': a.nstreams = (unsigned)num(optarg, 1, VTLPERF_MAX_STREAMS, 0,
						     "bad -P (1..100000)");
			  client_only = 1; break;
		case 'n': a.bytes = num(optarg, 1, UINT64_MAX / 2, 1, "bad byte count");
			  have_n = 1; client_only = 1; break;
		case 't': a.secs = (unsigned)num(optarg, 1, 86400, 0, "bad time");
			  have_t = 1; client_only = 1; break;
		case 'j': a.json = 1; break;
		case O_BIDIR: a.bidir = 1; client_only = 1; break;
		case O_HALF: a.bidir = a.half = 1; client_only = 1; break;
		case O_LISTENERS: a.listeners = (unsigned)num(optarg, 1, 100000, 0,
							       "bad --listeners");
			  server_only = 1; break;
		case O_OPEN_LIMIT: a.open_limit = (unsigned)num(optarg, 0, VTLPERF_MAX_STREAMS,
								0, "bad --open-limit");
			  client_only = 1; break;
		case O_TIMEOUT: a.timeout_ms = (int)num(optarg, 1, 3600000, 0, "bad timeout");
			  break;
		case O_SOCKET: a.socket = optarg; break;
		case 'v': a.verbose = 1; break;
		case 'V': printf("vtlperf %s\n", VTL_VERSION_STRING); return 0;
		case 'h': usage(stdout); return 0;
		default:
			fputs("try 'vtlperf --help'\n", stderr);
			return PERF_EXIT_USAGE;
		}
	}
	if (optind != argc)
		bad_usage("unexpected argument", argv[optind]);
	check_args(&a, have_n, have_t, client_only, server_only);
	if (a.bidir && !PERF_HAVE_DUPLEX) {
		fprintf(stderr, "vtlperf: --bidir is not built in (PERF_HAVE_DUPLEX)\n");
		return PERF_EXIT_USAGE;
	}
	corrupt_env(&a);
	if (a.host)
		resolve(a.host, a.ip, sizeof(a.ip));
	signal(SIGPIPE, SIG_IGN);
	raise_nofile();
	return a.server ? server_main(&a) : client_main(&a);
}
