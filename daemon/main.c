// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * vtld: the VTL daemon. Sets up the Launcher (root programs attached,
 * canonical graft in slot 0), the Data Broker (AF_XDP + raw socket), the
 * control socket, then runs one epoll loop. Without -f it daemonizes and
 * the parent exits 0 only once the daemon is ready. SIGINT/SIGTERM detach
 * everything it attached and remove its pins and socket.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/timerfd.h>
#include <unistd.h>
#include <net/if.h>
#include <bpf/libbpf.h>
#include <vtl/errors.h>
#include "daemonize.h"
#include "log.h"
#include "vtld.h"

#define TICK_MS 5

int ep_add(struct vtld *d, int fd, __u32 events, struct ep_item *it)
{
	struct epoll_event ev = { .events = events, .data.ptr = it };

	return epoll_ctl(d->epfd, EPOLL_CTL_ADD, fd, &ev) ? -errno : 0;
}

int ep_mod(struct vtld *d, int fd, __u32 events, struct ep_item *it)
{
	struct epoll_event ev = { .events = events, .data.ptr = it };

	return epoll_ctl(d->epfd, EPOLL_CTL_MOD, fd, &ev) ? -errno : 0;
}

void ep_del(struct vtld *d, int fd)
{
	epoll_ctl(d->epfd, EPOLL_CTL_DEL, fd, NULL);
}

static void on_signal(struct vtld *d, void *obj, __u32 events)
{
	struct signalfd_siginfo si;

	(void)obj;
	(void)events;
	while (read(d->sig_fd, &si, sizeof(si)) == sizeof(si)) {
		if (si.ssi_signo == SIGINT || si.ssi_signo == SIGTERM) {
			pr_info("signal %u: shutting down\n", si.ssi_signo);
			d->stop = true;
		}
	}
}

static void on_tick(struct vtld *d, void *obj, __u32 events)
{
	__u64 exp;

	(void)obj;
	(void)events;
	if (read(d->tick_fd, &exp, sizeof(exp)) < 0 && errno != EAGAIN)
		pr_debug("timerfd: %s\n", strerror(errno));
	cb_tick(d);
}

static int iface_info(struct vtld *d)
{
	struct ifreq ifr = {};
	int fd;

	d->ifindex = (int)if_nametoindex(d->cfg.ifname);
	if (!d->ifindex) {
		pr_warn("interface %s: %s\n", d->cfg.ifname, strerror(errno));
		return -ENODEV;
	}
	fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", d->cfg.ifname);
	d->mtu = (fd >= 0 && ioctl(fd, SIOCGIFMTU, &ifr) == 0) ? (__u32)ifr.ifr_mtu : 1500;
	if (fd >= 0)
		close(fd);
	d->mss = d->mtu - 20 - VTL_HDR_LEN;
	if (d->mss > VTL_MSS_MAX)
		d->mss = VTL_MSS_MAX;
	return 0;
}

static int setup(struct vtld *d)
{
	struct launcher_opts lo = {
		.ifindex = 0, .ifname = d->cfg.ifname, .bpf_root = d->cfg.bpf_root,
		.retx_bufs = d->cfg.retx_bufs,
	};
	struct itimerspec its = { .it_interval = { 0, TICK_MS * 1000000L },
				  .it_value = { 0, TICK_MS * 1000000L } };
	struct pool_graft *cg;
	sigset_t mask;
	char err[512];
	int e;

	d->listen_fd = -1;
	d->start_ns = now_ns();
	d->epfd = epoll_create1(EPOLL_CLOEXEC);
	if (d->epfd < 0)
		return -errno;
	e = iface_info(d);
	if (e)
		return e;
	if (d->cfg.rules_path[0]) {
		if (rules_load(&d->rules, d->cfg.rules_path, err, sizeof(err))) {
			pr_warn("%s\n", err);
			return -EINVAL;
		}
	} else {
		rules_default(&d->rules);
	}
	if (pool_scan_opts(&d->pool, d->cfg.pool_dir, GRAFT_V_TRIAL) < 0)
		return -ENOENT;
	cg = pool_find(&d->pool, "canonical", 0);
	if (!cg) {
		pr_warn("graft pool %s has no valid canonical graft; it is required\n",
			d->cfg.pool_dir);
		return -ENOENT;
	}
	lo.ifindex = d->ifindex;
	e = launcher_open(&d->l, &lo);
	if (e)
		return e;
	e = launcher_graft_get(&d->l, cg->path, cg->meta.window_default, &d->canon, err,
			       sizeof(err));
	if (e) {
		pr_warn("%s\n", err);
		return e;
	}
	e = launcher_slot_set(&d->l, VTL_SLOT_CANONICAL, d->canon);
	if (e)
		return e;
	for (int i = 0; i < d->pool.n; i++)
		if (d->pool.g[i].state == PG_OK)
			cb_prewarm(d, &d->pool.g[i]);
	e = db_open(d);
	if (e)
		return e;
	e = ipc_open(d);
	if (e)
		return e;
	e = pool_watch_open(d);
	if (e)
		return e;
	sigemptyset(&mask);
	sigaddset(&mask, SIGINT);
	sigaddset(&mask, SIGTERM);
	sigprocmask(SIG_BLOCK, &mask, NULL);
	d->sig_fd = signalfd(-1, &mask, SFD_NONBLOCK | SFD_CLOEXEC);
	d->sig_ep = (struct ep_item){ on_signal, NULL };
	e = d->sig_fd < 0 ? -errno : ep_add(d, d->sig_fd, EPOLLIN, &d->sig_ep);
	if (e)
		return e;
	d->tick_fd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
	if (d->tick_fd < 0 || timerfd_settime(d->tick_fd, 0, &its, NULL))
		return -errno;
	d->tick_ep = (struct ep_item){ on_tick, NULL };
	return ep_add(d, d->tick_fd, EPOLLIN, &d->tick_ep);
}

static void teardown(struct vtld *d)
{
	pool_watch_close(d);
	ipc_close(d);
	for (__u32 i = 1; i < VTL_MAX_SESSIONS; i++)
		if (d->slots[i])
			cb_abort(d, d->slots[i], -VTL_E_DAEMON, "vtld is shutting down", true);
	db_close(d);
	launcher_close(&d->l); /* detaches XDP and TC, removes pins */
	if (d->cfg.pidfile[0])
		unlink(d->cfg.pidfile);
	if (d->epfd >= 0)
		close(d->epfd);
}

static void run(struct vtld *d)
{
	struct epoll_event evs[64];

	while (!d->stop) {
		int n = epoll_wait(d->epfd, evs, 64, 1000);

		if (n < 0 && errno != EINTR) {
			pr_warn("epoll_wait: %s\n", strerror(errno));
			break;
		}
		for (int i = 0; i < n; i++) {
			struct ep_item *it = evs[i].data.ptr;

			it->fn(d, it->obj, evs[i].events);
		}
	}
}

int main(int argc, char **argv)
{
	static struct vtld d;
	int ready_fd = -1, e;
	char ok = 0, bad = 1;
	FILE *pf;

	e = vtld_config_parse(&d.cfg, argc, argv);
	if (e)
		return e > 0 ? EXIT_SUCCESS : EXIT_FAILURE;
	vtl_log_set_level(d.cfg.verbosity > 2 ? VTL_LOG_DEBUG : (enum vtl_log_level)d.cfg.verbosity);
	vtl_log_set_target(d.cfg.log_target);
	vtl_log_init_libbpf();
	signal(SIGPIPE, SIG_IGN);
	if (!d.cfg.foreground && vtl_daemonize(&ready_fd)) {
		fprintf(stderr, "vtld: cannot daemonize: %s\n", strerror(errno));
		return EXIT_FAILURE;
	}
	d.epfd = -1;
	e = setup(&d);
	if (e) {
		pr_warn("startup failed: %s\n", strerror(-e));
		teardown(&d);
		if (ready_fd >= 0 && write(ready_fd, &bad, 1) < 0)
			return EXIT_FAILURE;
		return EXIT_FAILURE;
	}
	if (d.cfg.pidfile[0] && (pf = fopen(d.cfg.pidfile, "w"))) {
		fprintf(pf, "%d\n", (int)getpid());
		fclose(pf);
	}
	pr_info("ready on %s (ifindex %d, mtu %u): pool %s (%d grafts), socket %s, pins %s\n",
		d.cfg.ifname, d.ifindex, d.mtu, d.pool.dir, d.pool.n, d.cfg.socket_path,
		d.l.pin_dir);
	if (ready_fd >= 0) {
		if (write(ready_fd, &ok, 1) < 0)
			pr_warn("readiness pipe: %s\n", strerror(errno));
		close(ready_fd);
	}
	run(&d);
	teardown(&d);
	pr_info("stopped; nothing left attached on %s\n", d.cfg.ifname);
	return EXIT_SUCCESS;
}
