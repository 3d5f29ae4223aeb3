// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * vtl-netem: userspace network emulator for network namespaces (this
 * kernel has no sch_netem). See docs/vtl-netem.md and --help.
 *
 *   vtl-netem -a IFACE_A -b IFACE_B [impairments] [--a2b ...] [--b2a ...]
 *             [--ctl PATH] [--seed N] [-f] [--pidfile F] [--tbf] [--kernel[=force]]
 *             [--rt[=PRIO]]
 *   vtl-netem ctl PATH set|show|stats|reset|seed|help ...
 *
 * Without -f it daemonizes; the parent exits 0 only once both AF_PACKET
 * sockets are bound, XDP_PASS is attached to both interfaces and the
 * control socket listens (non-zero on failure). SIGINT/SIGTERM: detach,
 * remove every qdisc it installed, print the final counters, exit 0.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/prctl.h>
#include <sys/random.h>
#include <sys/signalfd.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

#include "daemonize.h"
#include "netem.h"

uint64_t nm_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* What vtl-netem reports on stdout, as "vtl-netem: ..." lines: the seed,
 * the parameters, readiness and the final counters (scripts read them;
 * docs/vtl-netem.md, Output). Diagnostics go to stderr through lib/log.h. */
static void report(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void report(const char *fmt, ...)
{
	va_list ap;

	fputs(NM_NAME ": ", stdout);
	va_start(ap, fmt);
	vfprintf(stdout, fmt, ap);
	va_end(ap);
	fflush(stdout);
}

/* A bad command line: "vtl-netem: MESSAGE" on stderr, exit status 2. */
static void bad_usage(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void bad_usage(const char *fmt, ...)
{
	va_list ap;

	fputs(NM_NAME ": ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
}

static void usage(FILE *f)
{
	fprintf(f,
"usage: vtl-netem -a IFACE_A -b IFACE_B [IMPAIRMENT...] [--a2b IMPAIRMENT...]\n"
"                 [--b2a IMPAIRMENT...] [--ctl PATH] [--seed N] [-f] [--pidfile F]\n"
"                 [--tbf] [--kernel[=force]] [--rt[=PRIO]] [-v] [-V]\n"
"       vtl-netem ctl PATH set [a2b|b2a|both] KEY [VALUE]... | show [-j] |\n"
"                          stats [-j] | reset | seed N | help\n"
"\n"
"A transparent L2 delay line between two interfaces of a router namespace:\n"
"every frame read on A is impaired (direction a2b) and written to B at its\n"
"due time, and the other way round (b2a). Run it in the namespace that holds\n"
"both interfaces; the kernel must not forward between them.\n"
"\n"
"Interfaces and process:\n"
"  -a, --iface-a IFACE   the interface towards host A\n"
"  -b, --iface-b IFACE   the interface towards host B\n"
"      --ctl PATH        control socket (AF_UNIX) for `vtl-netem ctl PATH ...`\n"
"      --seed N          seed of the random streams (default: random; printed)\n"
"  -f, --foreground      do not daemonize (default: daemonize; the parent exits\n"
"                        0 once the line is ready)\n"
"      --pidfile FILE    write the daemon's pid there\n"
"      --tbf             implement --rate with a tc tbf qdisc on R's egress\n"
"                        interface instead of the line's own bottleneck\n"
"      --kernel[=force]  delegate the impairments to kernel sch_netem (tc) where\n"
"                        it exists; without it, fall back to the line (with\n"
"                        =force: refuse to start)\n"
"      --rt[=PRIO]       run with SCHED_FIFO priority PRIO (default 10): frames\n"
"                        leave on time even when the hosts keep the CPUs busy\n"
"  -v, --verbose         debug messages on stderr (-vv: libbpf's too)\n"
"  -V, --version         print the version and exit\n"
"  -h, --help            this text\n"
"\n"
"Impairments (apply to both directions, or to the one chosen by the last\n"
"--a2b / --b2a / --both before them):\n"
"  -d, --delay T         one-way delay: 10ms, 1.5ms, 200us, 0.3s (default unit ms)\n"
"  -j, --jitter T        random variation of the delay, +-T (uniform) or sd T\n"
"      --dist uniform|normal   jitter distribution (default uniform)\n"
"      --no-reorder-jitter     never send a frame before the previous one\n"
"                        (jitter then only adds delay); default: jitter may\n"
"                        reorder, as in netem\n"
"  -l, --loss P          random loss, percent: 2%%, 0.5\n"
"      --ge P,R[,BAD[,GOOD]]  Gilbert-Elliott burst loss (alias --burst-loss),\n"
"                        percent: P good->bad, R bad->good (default 100-P),\n"
"                        loss in bad (default 100), loss in good (default 0)\n"
"      --reorder P       percent of frames sent at once, skipping the delay\n"
"                        (needs a delay)\n"
"      --dup P           percent of frames duplicated (alias --duplicate)\n"
"      --corrupt P       percent of frames with one bit flipped after the IP\n"
"                        header\n"
"  -r, --rate R          bottleneck rate: 16 (Mb/s), 16mbit, 500kbit, 1gbit, off.\n"
"                        Counts whole Ethernet frames (as tbf does)\n"
"      --queue Q         bottleneck buffer: a time at the rate (100ms, the\n"
"                        default) or bytes (64kb, 150000b); tail drop\n"
"      --limit N         frames held by the line per direction (default %d)\n"
"      --filter F        impair only IPv4 protocol F (vtl = 253, udp, tcp, icmp,\n"
"                        a number) or all (default); other frames cross at once\n"
"      --vtl-only        = --filter vtl\n"
"      --drop-nth N      drop the Nth new DATA frame of every VTL session\n"
"                        (retransmissions pass; deterministic; off = 0)\n"
"      --a2b, --b2a, --both   target of the impairment options that follow\n"
"\n"
"Control (one command per call; set applies to frames arriving after it):\n"
"  vtl-netem ctl PATH set a2b delay 160ms loss 2%%\n"
"  vtl-netem ctl PATH set both rate 16mbit b2a delay 5ms\n"
"  vtl-netem ctl PATH show          parameters and counters\n"
"  vtl-netem ctl PATH stats -j      JSON: parameters and counters per direction\n"
"  vtl-netem ctl PATH reset         zero the counters\n"
"  vtl-netem ctl PATH seed 7        restart the random streams\n"
"Keys of set are the long option names above without the dashes.\n"
"\n"
"Turn off tso, gso, gro and tx checksumming on R's two interfaces (and on\n"
"the hosts' veths) with ethtool -K. Docs: docs/vtl-netem.md\n",
		NM_DEFAULT_LIMIT);
}

enum { OPT_A2B = 1000, OPT_B2A, OPT_BOTH, OPT_CTL, OPT_SEED, OPT_PIDFILE, OPT_TBF,
       OPT_KERNEL, OPT_RT, OPT_KEY = 2000 };

static const char *const imp_keys[] = {
	"delay", "jitter", "dist", "no-reorder-jitter", "reorder-jitter", "loss", "ge",
	"burst-loss", "reorder", "dup", "duplicate", "corrupt", "rate", "queue", "limit",
	"filter", "vtl-only", "drop-nth",
};
#define NKEYS ((int)(sizeof(imp_keys) / sizeof(imp_keys[0])))

static int parse_args(struct nm *n, int argc, char **argv)
{
	static struct option opts[17 + NKEYS + 1] = {
		{ "iface-a", required_argument, NULL, 'a' },
		{ "iface-b", required_argument, NULL, 'b' },
		{ "ctl", required_argument, NULL, OPT_CTL },
		{ "seed", required_argument, NULL, OPT_SEED },
		{ "foreground", no_argument, NULL, 'f' },
		{ "pidfile", required_argument, NULL, OPT_PIDFILE },
		{ "tbf", no_argument, NULL, OPT_TBF },
		{ "kernel", optional_argument, NULL, OPT_KERNEL },
		{ "rt", optional_argument, NULL, OPT_RT },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ "a2b", no_argument, NULL, OPT_A2B },
		{ "b2a", no_argument, NULL, OPT_B2A },
		{ "both", no_argument, NULL, OPT_BOTH },
	};
	bool on[NM_NDIR] = { true, true };
	int o, nopt = 15;
	char err[256];

	for (int i = 0; i < NKEYS; i++)
		opts[nopt++] = (struct option){ imp_keys[i],
			nm_param_takes_value(imp_keys[i]) ? required_argument : no_argument,
			NULL, OPT_KEY + i };
	while ((o = getopt_long(argc, argv, "a:b:d:j:l:r:fvVh", opts, NULL)) != -1) {
		const char *key = NULL;

		switch (o) {
		case 'a': n->cfg.if_a = optarg; break;
		case 'b': n->cfg.if_b = optarg; break;
		case 'f': n->cfg.foreground = true; break;
		case 'v': n->cfg.verbose++; break;
		case 'h': usage(stdout); return 1;
		case 'V': printf(NM_NAME " %s\n", VTL_VERSION_STRING); return 1;
		case OPT_CTL: n->cfg.ctl_path = optarg; break;
		case OPT_PIDFILE: n->cfg.pidfile = optarg; break;
		case OPT_TBF: n->cfg.tbf = true; break;
		case OPT_A2B: on[NM_A2B] = true; on[NM_B2A] = false; break;
		case OPT_B2A: on[NM_A2B] = false; on[NM_B2A] = true; break;
		case OPT_BOTH: on[NM_A2B] = on[NM_B2A] = true; break;
		case OPT_SEED:
			if (nm_parse_u64(optarg, &n->cfg.seed)) {
				bad_usage("--seed: '%s' is not a number\n", optarg);
				return -1;
			}
			n->cfg.seed_set = true;
			break;
		case OPT_RT: {
			uint64_t v = 10;

			if (optarg && (nm_parse_u64(optarg, &v) || v < 1 || v > 99)) {
				bad_usage("--rt: '%s' is not a SCHED_FIFO priority (1..99)\n", optarg);
				return -1;
			}
			n->cfg.rt_prio = (int)v;
			break;
		}
		case OPT_KERNEL:
			if (!optarg) {
				n->cfg.kernel = 1;
			} else if (!strcmp(optarg, "force")) {
				n->cfg.kernel = 2;
			} else {
				bad_usage("--kernel: '%s' is not 'force'\n", optarg);
				return -1;
			}
			break;
		case 'd': key = "delay"; break;
		case 'j': key = "jitter"; break;
		case 'l': key = "loss"; break;
		case 'r': key = "rate"; break;
		default:
			if (o >= OPT_KEY && o < OPT_KEY + NKEYS) {
				key = imp_keys[o - OPT_KEY];
				break;
			}
			fprintf(stderr, "try 'vtl-netem --help'\n");
			return -1;
		}
		if (!key)
			continue;
		for (int d = 0; d < NM_NDIR; d++) {
			if (on[d] && nm_param_set(&n->d[d].p, key, optarg, err, sizeof(err))) {
				bad_usage("--%s: %s\n", key, err);
				return -1;
			}
		}
	}
	if (optind < argc) {
		bad_usage("unexpected argument '%s' (try --help)\n", argv[optind]);
		return -1;
	}
	if (!n->cfg.if_a || !n->cfg.if_b) {
		bad_usage("both -a IFACE_A and -b IFACE_B are required (try --help)\n");
		return -1;
	}
	if (n->cfg.tbf && n->cfg.kernel) {
		bad_usage("--tbf and --kernel exclude each other\n");
		return -1;
	}
	return 0;
}

static int ep_add(struct nm *n, int fd, struct nm_ep *ep)
{
	struct epoll_event ev = { .events = EPOLLIN, .data.ptr = ep };

	return epoll_ctl(n->epfd, EPOLL_CTL_ADD, fd, &ev) ? -errno : 0;
}

/* --kernel, before anything is attached: is sch_netem there? Returns 1 to
 * delegate, 0 to use the line, <0 to refuse (--kernel=force). */
static int probe_kernel(struct nm *n)
{
	char err[256];

	if (!n->cfg.kernel)
		return 0;
	if (!nm_kernel_probe(n->cfg.if_b, err, sizeof(err)) &&
	    !nm_kernel_probe(n->cfg.if_a, err, sizeof(err)))
		return 1;
	if (n->cfg.kernel == 2) {
		pr_warn("--kernel=force: sch_netem is not usable here (tc: %s); refusing to "
			"start. Without --kernel, vtl-netem emulates in userspace.\n", err);
		return -EOPNOTSUPP;
	}
	pr_warn("--kernel: sch_netem is not usable here (tc: %s); falling back to the "
		"userspace delay line\n", err);
	return 0;
}

static int setup_kernel(struct nm *n)
{
	char err[256];

	for (int i = 0; i < NM_NDIR; i++) {
		n->d[i].kernel = true;
		if (nm_tc_apply(n, i, err, sizeof(err))) {
			pr_warn("--kernel: %s: %s\n", n->d[i].name, err);
			return -EINVAL;
		}
	}
	pr_info("impairments delegated to kernel sch_netem on %s and %s\n", n->cfg.if_a,
		n->cfg.if_b);
	return 0;
}

static int setup(struct nm *n)
{
	static struct nm_ep ep_timer = { NM_EP_TIMER, NULL }, ep_sig = { NM_EP_SIG, NULL },
			    ep_a = { NM_EP_RX, NULL }, ep_b = { NM_EP_RX, NULL };
	char err[256];
	sigset_t set;
	int e, kernel;

	kernel = probe_kernel(n);
	if (kernel < 0)
		return kernel;
	prctl(PR_SET_TIMERSLACK, 1UL);          /* wake-ups to the microsecond */
	if (n->cfg.rt_prio) {
		struct sched_param sp = { .sched_priority = n->cfg.rt_prio };

		if (sched_setscheduler(0, SCHED_FIFO, &sp)) {
			pr_warn("--rt: SCHED_FIFO priority %d: %s\n", n->cfg.rt_prio, strerror(errno));
			return -errno;
		}
	}
	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	if (sigprocmask(SIG_BLOCK, &set, NULL))
		return -errno;
	n->sig_fd = signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC);
	n->epfd = epoll_create1(EPOLL_CLOEXEC);
	n->timer_fd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
	if (n->sig_fd < 0 || n->epfd < 0 || n->timer_fd < 0)
		return -errno;
	if ((e = ep_add(n, n->sig_fd, &ep_sig)) || (e = ep_add(n, n->timer_fd, &ep_timer)))
		return e;
	if ((e = nm_line_open(n)))
		return e;
	if (kernel && (e = setup_kernel(n)))
		return e;
	for (int i = 0; i < NM_NDIR && n->cfg.tbf; i++) {
		if (nm_tc_apply(n, i, err, sizeof(err))) {
			pr_warn("--tbf: %s: %s\n", n->d[i].name, err);
			return -EINVAL;
		}
	}
	if ((e = nm_ctl_open(n)))
		return e;
	ep_a.obj = &n->fd_a;
	ep_b.obj = &n->fd_b;
	if ((e = ep_add(n, n->fd_a, &ep_a)) || (e = ep_add(n, n->fd_b, &ep_b)))
		return e;
	return 0;
}

static void teardown(struct nm *n)
{
	nm_ctl_close(n);
	nm_tc_remove_all(n);
	nm_line_close(n);               /* destroys the XDP links */
	if (n->cfg.pidfile)
		unlink(n->cfg.pidfile);
	if (n->epfd >= 0)
		close(n->epfd);
	if (n->timer_fd >= 0)
		close(n->timer_fd);
	if (n->sig_fd >= 0)
		close(n->sig_fd);
}

/* The timer is armed wake_bias before the first due frame: the time a
 * timerfd wake-up takes here (EWMA, at most NM_SPIN_MAX_NS). The loop then
 * spins the rest of the way, so frames leave on time instead of one wake-up
 * latency late. */
static void arm_timer(struct nm *n)
{
	uint64_t next = nm_line_next_due(n), at;
	struct itimerspec its = {};
	uint64_t now;

	if (next == n->armed)
		return;
	at = next > n->wake_bias ? next - n->wake_bias : next;
	its.it_value.tv_sec = (time_t)(at / 1000000000ull);
	its.it_value.tv_nsec = (long)(at % 1000000000ull);
	/* next == 0 disarms; an absolute time already past fires at once */
	if (timerfd_settime(n->timer_fd, TFD_TIMER_ABSTIME, &its, NULL) == 0) {
		now = nm_now();
		n->armed = next;
		n->armed_at = next && at > now ? at : 0;  /* 0: do not measure */
	}
}

static void on_timer(struct nm *n)
{
	uint64_t x, now = nm_now(), next;

	if (read(n->timer_fd, &x, sizeof(x)) < 0 && errno != EAGAIN)
		pr_warn("timerfd: %s\n", strerror(errno));
	if (n->armed_at && now > n->armed_at) {
		int64_t lat = (int64_t)(now - n->armed_at), b = (int64_t)n->wake_bias;

		b += (lat - b) / 8;
		n->wake_bias = b < 0 ? 0 : b > (int64_t)NM_SPIN_MAX_NS ? NM_SPIN_MAX_NS : (uint64_t)b;
	}
	n->armed = n->armed_at = 0;
	next = nm_line_next_due(n);
	while (next && next > now + NM_EARLY_NS && next - now <= NM_SPIN_MAX_NS)
		now = nm_now();
}

static void run(struct nm *n)
{
	struct epoll_event evs[32];

	while (!n->stop) {
		int k;

		arm_timer(n);
		k = epoll_wait(n->epfd, evs, 32, -1);
		if (k < 0 && errno != EINTR) {
			pr_warn("epoll_wait: %s\n", strerror(errno));
			break;
		}
		nm_line_flush(n);               /* due frames first */
		for (int i = 0; i < k; i++) {
			struct nm_ep *ep = evs[i].data.ptr;

			switch (ep->kind) {
			case NM_EP_TIMER:
				on_timer(n);
				nm_line_flush(n);
				break;
			case NM_EP_RX:
				nm_line_rx(n, *(int *)ep->obj);
				nm_line_flush(n);
				break;
			case NM_EP_SIG: {
				struct signalfd_siginfo si;

				if (read(n->sig_fd, &si, sizeof(si)) == sizeof(si)) {
					pr_info("SIG%s: stopping\n", sigabbrev_np((int)si.ssi_signo));
					n->stop = true;
				}
				break;
			}
			case NM_EP_CTL:
				nm_ctl_accept(n);
				break;
			case NM_EP_CLIENT:
				nm_ctl_client_event(n, ep->obj, evs[i].events);
				break;
			}
		}
		nm_line_flush(n);
	}
}

int main(int argc, char **argv)
{
	static struct nm n;
	int ready_fd = -1, e;
	char ok = 0, bad = 1, buf[512];
	FILE *pf;

	vtl_log_set_ident(NM_NAME);
	if (argc >= 2 && !strcmp(argv[1], "ctl"))
		return nm_ctl_main(argc - 1, argv + 1);
	n.fd_a = n.fd_b = n.epfd = n.timer_fd = n.sig_fd = n.ctl_fd = -1;
	for (int i = 0; i < NM_NDIR; i++) {
		n.d[i].name = i == NM_A2B ? "a2b" : "b2a";
		n.d[i].in_fd = n.d[i].out_fd = -1;
		nm_params_default(&n.d[i].p);
	}
	e = parse_args(&n, argc, argv);
	if (e)
		return e > 0 ? EXIT_SUCCESS : 2;
	vtl_log_set_level(n.cfg.verbose ? VTL_LOG_DEBUG : VTL_LOG_INFO);
	vtl_log_libbpf_debug(n.cfg.verbose >= 2);
	vtl_log_init_libbpf();
	setvbuf(stdout, NULL, _IOLBF, 0);
	signal(SIGPIPE, SIG_IGN);
	if (!n.cfg.seed_set && getrandom(&n.cfg.seed, sizeof(n.cfg.seed), 0) != sizeof(n.cfg.seed))
		n.cfg.seed = nm_now() ^ (uint64_t)getpid() << 32;
	n.seed = n.cfg.seed;
	for (int i = 0; i < NM_NDIR; i++)
		nm_dir_reseed(&n.d[i], n.seed, i);
	if (!n.cfg.foreground && (e = vtl_daemonize(&ready_fd))) {
		pr_warn("cannot daemonize: %s\n", strerror(-e));
		return EXIT_FAILURE;
	}
	n.start_ns = nm_now();
	e = setup(&n);
	if (e) {
		pr_warn("startup failed: %s\n", strerror(-e));
		teardown(&n);
		if (ready_fd >= 0 && write(ready_fd, &bad, 1) < 0)
			return EXIT_FAILURE;
		return EXIT_FAILURE;
	}
	if (n.cfg.pidfile) {
		pf = fopen(n.cfg.pidfile, "w");
		if (!pf || fprintf(pf, "%d\n", (int)getpid()) < 0 || fclose(pf)) {
			pr_warn("--pidfile: cannot write '%s': %s\n", n.cfg.pidfile, strerror(errno));
			teardown(&n);
			if (ready_fd >= 0 && write(ready_fd, &bad, 1) < 0)
				return EXIT_FAILURE;
			return EXIT_FAILURE;
		}
	}
	report("seed %llu\n", (unsigned long long)n.seed);
	for (int i = 0; i < NM_NDIR; i++) {
		nm_params_str(&n.d[i].p, buf, sizeof(buf));
		report("%s: %s\n", n.d[i].name, buf);
	}
	report("ready: a=%s b=%s, XDP_PASS attached to both, rate by %s%s%s (pid %d)\n",
		n.cfg.if_a, n.cfg.if_b, n.d[0].kernel ? "kernel netem" : n.cfg.tbf ? "tbf" : "line",
		n.cfg.ctl_path ? ", control socket " : "", n.cfg.ctl_path ? n.cfg.ctl_path : "",
		(int)getpid());
	if (ready_fd >= 0) {
		int dn = open("/dev/null", O_RDONLY | O_CLOEXEC);

		if (dn >= 0) {
			dup2(dn, 0);
			close(dn);
		}
		if (write(ready_fd, &ok, 1) < 0)
			pr_warn("readiness pipe: %s\n", strerror(errno));
		close(ready_fd);
	}
	run(&n);
	report("final counters:\n");
	nm_show(&n, stdout, true, true);
	teardown(&n);
	report("stopped; XDP detached from %s and %s%s\n", n.cfg.if_a, n.cfg.if_b,
		n.cfg.tbf || n.d[0].kernel ? ", qdiscs removed" : "");
	return EXIT_SUCCESS;
}
