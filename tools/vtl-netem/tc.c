// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * tc.c: the one place where vtl-netem runs tc(8), and only when asked:
 *   --tbf     the rate of a direction is a `tbf` qdisc on R's egress
 *             interface of that direction instead of the line's own
 *             bottleneck;
 *   --kernel  every impairment of a direction is a `netem` qdisc there and
 *             the line only forwards (needs sch_netem, absent on the VTL
 *             development kernel: probed first).
 * tc runs with fork + exec (no shell); its stderr is returned to the caller.
 * Every qdisc installed here is removed on exit.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "netem.h"

static int run_tc(char *err, size_t errlen, const char *const *argv)
{
	char buf[512] = "";
	size_t got = 0;
	int p[2], st = 0;
	ssize_t r;
	pid_t pid;

	if (vtl_log_level() >= VTL_LOG_DEBUG) {
		char cmd[512];
		size_t n = 0;

		for (int i = 0; argv[i] && n < sizeof(cmd); i++) {
			int w = snprintf(cmd + n, sizeof(cmd) - n, "%s%s", i ? " " : "", argv[i]);

			n += w > 0 ? (size_t)w : 0;
		}
		pr_debug("run: %s\n", cmd);
	}
	if (pipe2(p, O_CLOEXEC))
		return snprintf(err, errlen, "pipe: %s", strerror(errno)), -1;
	pid = fork();
	if (pid < 0) {
		close(p[0]);
		close(p[1]);
		return snprintf(err, errlen, "fork: %s", strerror(errno)), -1;
	}
	if (!pid) {
		sigset_t none;
		int dn = open("/dev/null", O_RDWR);

		sigemptyset(&none);
		sigprocmask(SIG_SETMASK, &none, NULL);
		if (dn >= 0) {
			dup2(dn, 0);
			dup2(dn, 1);
		}
		dup2(p[1], 2);
		execvp("tc", (char *const *)argv);
		execv("/usr/sbin/tc", (char *const *)argv);
		execv("/sbin/tc", (char *const *)argv);
		fprintf(stderr, "cannot run tc: %s", strerror(errno));
		_exit(127);
	}
	close(p[1]);
	while ((r = read(p[0], buf + got, sizeof(buf) - 1 - got)) > 0 ||
	       (r < 0 && errno == EINTR))
		got += r > 0 ? (size_t)r : 0;
	close(p[0]);
	buf[got] = 0;
	while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
		;
	while (got && (buf[got - 1] == '\n' || buf[got - 1] == ' '))
		buf[--got] = 0;
	for (char *c = buf; *c; c++)
		if (*c == '\n')
			*c = ' ';
	if (WIFEXITED(st) && WEXITSTATUS(st) == 0)
		return 0;
	snprintf(err, errlen, "%s", got ? buf : "tc failed");
	return -1;
}

int nm_kernel_probe(const char *ifname, char *err, size_t errlen)
{
	const char *add[] = { "tc", "qdisc", "add", "dev", ifname, "root", "handle", "ffe1:",
			      "netem", NULL };
	const char *del[] = { "tc", "qdisc", "del", "dev", ifname, "root", "handle", "ffe1:",
			      NULL };
	char e2[256];

	if (run_tc(err, errlen, add))
		return -1;
	if (run_tc(e2, sizeof(e2), del))
		pr_warn("removing the probe netem qdisc from %s: %s\n", ifname, e2);
	return 0;
}

static int del_root(struct nm_dirstate *d, char *err, size_t errlen)
{
	const char *del[] = { "tc", "qdisc", "del", "dev", d->out_ifname, "root", NULL };

	return run_tc(err, errlen, del);
}

/* netem's own syntax for the parameters of d (all of them but the filter) */
static int kernel_apply(struct nm_dirstate *d, char *err, size_t errlen)
{
	char s[16][40];
	const char *a[48] = { "tc", "qdisc", "replace", "dev", d->out_ifname, "root", "netem" };
	const struct nm_params *p = &d->p;
	int n = 7, k = 0;

#define ARG(...) (snprintf(s[k], sizeof(s[k]), __VA_ARGS__), a[n++] = s[k++])
	a[n++] = "limit";
	ARG("%u", p->limit);
	if (p->delay_ns || p->jitter_ns) {
		a[n++] = "delay";
		ARG("%lluus", (unsigned long long)(p->delay_ns / 1000));
		if (p->jitter_ns) {
			ARG("%lluus", (unsigned long long)(p->jitter_ns / 1000));
			if (p->dist == NM_DIST_NORMAL) {
				a[n++] = "distribution";
				a[n++] = "normal";
			}
		}
	}
	if (p->loss) {
		a[n++] = "loss";
		a[n++] = "random";
		ARG("%.6f%%", p->loss * 100);
	} else if (p->ge) {
		a[n++] = "loss";
		a[n++] = "gemodel";
		ARG("%.6f%%", p->ge_p * 100);
		ARG("%.6f%%", p->ge_r * 100);
		ARG("%.6f%%", p->ge_bad * 100);
		ARG("%.6f%%", p->ge_good * 100);
	}
	if (p->dup) {
		a[n++] = "duplicate";
		ARG("%.6f%%", p->dup * 100);
	}
	if (p->corrupt) {
		a[n++] = "corrupt";
		ARG("%.6f%%", p->corrupt * 100);
	}
	if (p->reorder) {
		a[n++] = "reorder";
		ARG("%.6f%%", p->reorder * 100);
	}
	if (p->rate_bps) {
		a[n++] = "rate";
		ARG("%llubit", (unsigned long long)p->rate_bps);
	}
#undef ARG
	a[n] = NULL;
	if (p->filter != NM_FILTER_ALL)
		return snprintf(err, errlen, "kernel netem cannot honour filter %d (it impairs "
				"every frame); use the userspace line", p->filter), -1;
	if (p->loss && p->ge)
		return snprintf(err, errlen, "kernel netem takes either random loss or the "
				"Gilbert-Elliott model, not both"), -1;
	return run_tc(err, errlen, a);
}

static int tbf_apply(struct nm_dirstate *d, char *err, size_t errlen)
{
	const struct nm_params *p = &d->p;
	char rate[32], burst[32], q[32];
	const char *a[] = { "tc", "qdisc", "replace", "dev", d->out_ifname, "root", "tbf",
			    "rate", rate, "burst", burst,
			    p->queue_bytes ? "limit" : "latency", q, NULL };
	uint64_t b = p->rate_bps / 8 / 1000;          /* 1 ms at the rate */

	if (!p->rate_bps) {
		if (!d->tbf)
			return 0;
		if (del_root(d, err, errlen))
			return -1;
		d->tbf = false;
		d->tbf_rate = 0;
		return 0;
	}
	if (b < 2ull * (d->out_mtu + NM_ETH_OVERHEAD))
		b = 2ull * (d->out_mtu + NM_ETH_OVERHEAD);
	snprintf(rate, sizeof(rate), "%llubit", (unsigned long long)p->rate_bps);
	snprintf(burst, sizeof(burst), "%llu", (unsigned long long)b);
	if (p->queue_bytes)
		snprintf(q, sizeof(q), "%llu", (unsigned long long)p->queue_bytes);
	else
		snprintf(q, sizeof(q), "%lluus", (unsigned long long)(p->queue_ns / 1000));
	if (run_tc(err, errlen, a))
		return -1;
	d->tbf = true;
	d->tbf_rate = p->rate_bps;
	return 0;
}

int nm_tc_apply(struct nm *n, int dir, char *err, size_t errlen)
{
	struct nm_dirstate *d = &n->d[dir];

	if (d->kernel)
		return kernel_apply(d, err, errlen);
	if (n->cfg.tbf)
		return tbf_apply(d, err, errlen);
	return 0;
}

void nm_tc_remove_all(struct nm *n)
{
	char err[256];

	for (int i = 0; i < NM_NDIR; i++) {
		struct nm_dirstate *d = &n->d[i];

		if (!d->tbf && !d->kernel)
			continue;
		if (del_root(d, err, sizeof(err)))
			pr_warn("removing the %s qdisc from %s: %s\n", d->kernel ? "netem" : "tbf",
				d->out_ifname, err);
		d->tbf = false;
	}
}
