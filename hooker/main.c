// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * vtl-hooker: moves unmodified TCP applications onto VTL. See
 * docs/hooker.md and `vtl-hooker --help`.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
#include "daemonize.h"
#include "hk.h"

static struct hk the_hk = { .listen_fd = -1, .ctl_fd = -1 };
struct hk *hk = &the_hk;

int64_t hk_now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

int64_t hk_now_ms(void)
{
	return hk_now_us() / 1000;
}

static void usage(FILE *f)
{
	fprintf(f,
"usage: vtl-hooker [OPTIONS]\n"
"Carry the TCP connections of the processes in one cgroup v2 over VTL,\n"
"and over plain TCP when the peer host has no VTL.\n\n"
"  -g, --cgroup PATH|NAME   the hooked cgroup (default: vtl-hooker under the\n"
"                           cgroup2 mount; created if missing)\n"
"      --root-cgroup        hook every process on the host\n"
"  -p, --port PORT          hook only connections to this destination port\n"
"                           (repeatable, up to 16; default: every port)\n"
"  -d, --dst NET/LEN        hook only destinations in this IPv4 prefix\n"
"      --vtl-port N         VTL service port between Hookers (default 7400)\n"
"      --listen-port N      loopback port hooked connects land on (default: any)\n"
"  -s, --socket PATH        vtld's control socket (default: libvtl's)\n"
"  -C, --ctl PATH           our control socket (default " VTL_HK_CTL_PATH ")\n"
"      --race MS            VTL head start before TCP is tried (default 100)\n"
"      --nego-timeout MS    VTL negotiation timeout (default 2000)\n"
"      --connect-timeout MS TCP connect timeout (default 0: the kernel's own,\n"
"                           as for a blocking connect)\n"
"      --novtl-ttl S        remember a peer without VTL this long (default 30)\n"
"      --listeners N        VTL listeners kept open, i.e. peers' flows that may\n"
"                           start at the same instant (default 8)\n"
"      --max-vtl-flows N    flows on VTL at once, ours and served (default 100;\n"
"                           each holds 2 of vtld's 255 session slots); more: TCP\n"
"      --lowat BYTES        TCP_NOTSENT_LOWAT on hooked sockets (default 131072;\n"
"                           0: leave them alone)\n"
"      --rcvbuf BYTES       receive buffer of hooked connections at the Hooker\n"
"                           (default 262144; 0: the kernel's autotuning)\n"
"      --pump attach|copy   who moves a VTL flow's bytes: vtld itself, from and\n"
"                           to the connection (attach, the default), or the\n"
"                           Hooker, through libvtl (copy: slower)\n"
"      --disabled           start with hooking off (vtlctl hooker enable)\n"
"  -P, --pidfile FILE       write our pid there once ready\n"
"  -f, --foreground         do not daemonize; log to stderr\n"
"  -L, --log stderr|syslog  where logs go (default: syslog once daemonized,\n"
"                           stderr with -f)\n"
"  -v, --verbose            debug logs too (twice: libbpf's debug output too)\n"
"  -V, --version            print the version and exit\n"
"  -h, --help\n");
}

static int num(const char *what, const char *s, long lo, long hi, long *out)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || end == s || *end || v < lo || v > hi) {
		fprintf(stderr, "vtl-hooker: %s: '%s' is not a number in %ld..%ld\n", what, s, lo,
			hi);
		return -1;
	}
	*out = v;
	return 0;
}

static int parse_dst(const char *s)
{
	char buf[32], *slash;
	struct in_addr a;
	long len = 32;

	snprintf(buf, sizeof(buf), "%s", s);
	slash = strchr(buf, '/');
	if (slash) {
		*slash = 0;
		if (num("--dst prefix length", slash + 1, 0, 32, &len))
			return -1;
	}
	if (inet_pton(AF_INET, buf, &a) != 1) {
		fprintf(stderr, "vtl-hooker: --dst: '%s' is not an IPv4 prefix\n", s);
		return -1;
	}
	hk->o.dst_mask = len ? htonl(~0u << (32 - len)) : 0;
	hk->o.dst_net = a.s_addr & hk->o.dst_mask;
	return 0;
}

static int parse_args(int argc, char **argv)
{
	enum { O_ROOT = 256, O_VTLPORT, O_LPORT, O_RACE, O_NEGO, O_CONN, O_TTL, O_LIS, O_DIS,
	       O_LOWAT, O_RCVBUF, O_MAXVTL, O_PUMP };
	static const struct option lo[] = {
		{ "cgroup", required_argument, 0, 'g' }, { "root-cgroup", no_argument, 0, O_ROOT },
		{ "port", required_argument, 0, 'p' }, { "dst", required_argument, 0, 'd' },
		{ "vtl-port", required_argument, 0, O_VTLPORT },
		{ "listen-port", required_argument, 0, O_LPORT },
		{ "socket", required_argument, 0, 's' }, { "ctl", required_argument, 0, 'C' },
		{ "race", required_argument, 0, O_RACE },
		{ "nego-timeout", required_argument, 0, O_NEGO },
		{ "connect-timeout", required_argument, 0, O_CONN },
		{ "novtl-ttl", required_argument, 0, O_TTL },
		{ "listeners", required_argument, 0, O_LIS },
		{ "max-vtl-flows", required_argument, 0, O_MAXVTL },
		{ "lowat", required_argument, 0, O_LOWAT }, { "rcvbuf", required_argument, 0, O_RCVBUF },
		{ "pump", required_argument, 0, O_PUMP }, { "disabled", no_argument, 0, O_DIS },
		{ "pidfile", required_argument, 0, 'P' }, { "foreground", no_argument, 0, 'f' },
		{ "verbose", no_argument, 0, 'v' }, { "log", required_argument, 0, 'L' }, { "help", no_argument, 0, 'h' },
		{ "version", no_argument, 0, 'V' }, {}
	};
	struct hk_opts *o = &hk->o;
	long v;
	int c;

	*o = (struct hk_opts){ .ctl_path = VTL_HK_CTL_PATH, .vtl_port = 7400, .race_ms = 100,
			       .nego_ms = 2000, .connect_ms = 0, .novtl_ttl_s = 30,
			       .listeners = 8, .max_vtl = 100, .lowat = 131072, .rcvbuf = 262144 };
	while ((c = getopt_long(argc, argv, "g:p:d:s:C:P:L:fvVh", lo, NULL)) != -1) {
		switch (c) {
		case 'g': o->cgroup = optarg; break;
		case O_ROOT: o->root_cgroup = true; break;
		case 'p':
			if (o->nports == 16) {
				fprintf(stderr, "vtl-hooker: at most 16 --port filters\n");
				return -1;
			}
			if (num("--port", optarg, 1, 65535, &v))
				return -1;
			o->ports[o->nports++] = (uint16_t)v;
			break;
		case 'd': if (parse_dst(optarg)) return -1; break;
		case O_VTLPORT:
			if (num("--vtl-port", optarg, 1, 65535, &v)) return -1;
			o->vtl_port = (uint16_t)v;
			break;
		case O_LPORT:
			if (num("--listen-port", optarg, 0, 65535, &v)) return -1;
			o->listen_port = (uint16_t)v;
			break;
		case 's': o->vtl_socket = optarg; break;
		case 'C': o->ctl_path = optarg; break;
		case O_RACE: if (num("--race", optarg, 0, 60000, &v)) return -1; o->race_ms = (int)v; break;
		case O_NEGO: if (num("--nego-timeout", optarg, 10, 600000, &v)) return -1; o->nego_ms = (int)v; break;
		case O_CONN: if (num("--connect-timeout", optarg, 0, 600000, &v)) return -1; o->connect_ms = (int)v; break;
		case O_TTL: if (num("--novtl-ttl", optarg, 0, 86400, &v)) return -1; o->novtl_ttl_s = (int)v; break;
		case O_LIS: if (num("--listeners", optarg, 1, 64, &v)) return -1; o->listeners = (int)v; break;
		case O_DIS: o->disabled = true; break;
		case O_PUMP:
			if (strcmp(optarg, "attach") && strcmp(optarg, "copy")) {
				fprintf(stderr, "vtl-hooker: --pump: '%s' is neither attach nor copy\n",
					optarg);
				return -1;
			}
			o->copy_pump = !strcmp(optarg, "copy");
			break;
		case O_MAXVTL: if (num("--max-vtl-flows", optarg, 0, 127, &v)) return -1; o->max_vtl = (int)v; break;
		case O_LOWAT: if (num("--lowat", optarg, 0, 1 << 30, &v)) return -1; o->lowat = (int)v; break;
		case O_RCVBUF: if (num("--rcvbuf", optarg, 0, 1 << 30, &v)) return -1; o->rcvbuf = (int)v; break;
		case 'P': o->pidfile = optarg; break;
		case 'f': o->foreground = true; break;
		case 'v': o->verbose++; break;
		case 'L':
			if (strcmp(optarg, "stderr") && strcmp(optarg, "syslog")) {
				fprintf(stderr, "vtl-hooker: --log: '%s' is neither stderr nor syslog\n",
					optarg);
				return -1;
			}
			o->log = optarg;
			break;
		case 'h': usage(stdout); exit(0);
		case 'V': printf("vtl-hooker %s\n", VTL_VERSION_STRING); exit(0);
		default: usage(stderr); return -1;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "vtl-hooker: unexpected argument '%s'\n", argv[optind]);
		return -1;
	}
	if (o->root_cgroup && o->cgroup) {
		fprintf(stderr, "vtl-hooker: --cgroup and --root-cgroup exclude each other\n");
		return -1;
	}
	return 0;
}

static int open_listener(void)
{
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK),
				  .sin_port = htons(hk->o.listen_port) };
	socklen_t len = sizeof(sa);
	int fd, one = 1;

	fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return -errno;
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	/* inherited by accepted connections: bounds what sits between the
	 * application and the (slower) VTL path */
	if (hk->o.rcvbuf)
		setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &hk->o.rcvbuf, sizeof(hk->o.rcvbuf));
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) || listen(fd, 1024) ||
	    getsockname(fd, (struct sockaddr *)&sa, &len)) {
		int e = -errno;

		pr_warn("loopback listener on port %u: %s\n", hk->o.listen_port, strerror(-e));
		close(fd);
		return e;
	}
	hk->listen_fd = fd;
	hk->listen_port = ntohs(sa.sin_port);
	return 0;
}

static void accept_all(void)
{
	int fd, one = 1;

	while ((fd = accept4(hk->listen_fd, NULL, NULL, SOCK_CLOEXEC)) >= 0) {
		setsockopt(fd, IPPROTO_TCP, 1 /* TCP_NODELAY */, &one, sizeof(one));
		hk_flow_start(fd);
	}
}

/* Stop hooking first (new connections: plain TCP), then let the flows
 * that are running finish, for up to 5 s. */
static void drain(void)
{
	int64_t until = hk_now_ms() + 5000;

	atomic_store(&hk->stopping, true);
	hk_bpf_teardown();
	close(hk->listen_fd);
	hk->listen_fd = -1;
	while (atomic_load(&hk->flows_live) && hk_now_ms() < until)
		poll(NULL, 0, 20);  /* flows hold no fd we could wait on here */
	if (atomic_load(&hk->flows_live))
		pr_info("%u flows still open at exit: reset\n", atomic_load(&hk->flows_live));
}

int main(int argc, char **argv)
{
	struct pollfd p[2];
	sigset_t ss;
	int sfd, r, ready_fd = -1;
	FILE *pf;

	vtl_log_set_ident("vtl-hooker");
	if (parse_args(argc, argv))
		return 2;
	vtl_log_set_level(hk->o.verbose ? VTL_LOG_DEBUG : VTL_LOG_INFO);
	vtl_log_libbpf_debug(hk->o.verbose >= 2);
	vtl_log_init_libbpf();
	signal(SIGPIPE, SIG_IGN);
	if (!hk->o.foreground) {
		r = vtl_daemonize(&ready_fd);
		if (r < 0) {
			fprintf(stderr, "vtl-hooker: daemonize: %s\n", strerror(-r));
			return 1;
		}
	}
	if (hk->o.log ? !strcmp(hk->o.log, "syslog") : !hk->o.foreground)
		vtl_log_set_target(VTL_LOG_TO_SYSLOG);
	sigemptyset(&ss);
	sigaddset(&ss, SIGTERM);
	sigaddset(&ss, SIGINT);
	sigaddset(&ss, SIGHUP);
	sigprocmask(SIG_BLOCK, &ss, NULL);  /* before any thread: all inherit it */
	sfd = signalfd(-1, &ss, SFD_CLOEXEC);
	if (sfd < 0 || open_listener() || hk_ctl_open() < 0)
		goto fail;
	r = hk_bpf_setup();
	if (r)
		goto fail;
	if (hk_serve_start() || hk_ctl_start())
		goto fail;
	if (hk->o.pidfile) {
		pf = fopen(hk->o.pidfile, "w");
		if (!pf) {
			pr_warn("pidfile %s: %s\n", hk->o.pidfile, strerror(errno));
			goto fail;
		}
		fprintf(pf, "%d\n", getpid());
		fclose(pf);
	}
	pr_info("ready: cgroup %s, loopback port %u, VTL port %u, control %s\n",
		hk->cgroup_path, hk->listen_port, hk->o.vtl_port, hk->o.ctl_path);
	if (ready_fd >= 0) {
		r = write(ready_fd, "\0", 1);
		close(ready_fd);
		ready_fd = -1;
	}
	for (;;) {
		p[0] = (struct pollfd){ .fd = hk->listen_fd, .events = POLLIN };
		p[1] = (struct pollfd){ .fd = sfd, .events = POLLIN };
		if (poll(p, 2, -1) < 0 && errno != EINTR)
			break;
		if (p[1].revents)
			break;
		if (p[0].revents)
			accept_all();
	}
	pr_info("stopping\n");
	drain();
	hk_ctl_close();
	if (hk->o.pidfile)
		unlink(hk->o.pidfile);
	return 0;
fail:
	if (hk->skel)
		hk_bpf_teardown();
	hk_ctl_close();
	if (ready_fd >= 0)
		close(ready_fd);  /* the parent exits 1 */
	return 1;
}
