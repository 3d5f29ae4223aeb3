// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * vtld: the VTL daemon. main() composes the layers (vtld.h) from the
 * bottom up: the loop, the Launcher (root programs attached, canonical
 * graft in slot 0), the transport, the wire under it, the session layer
 * above it, the application layer and the operators' requests on the
 * control socket, the pool watcher; then it runs the loop. Without -f it
 * daemonizes and the parent exits 0 only once the daemon is ready.
 * SIGINT/SIGTERM detach everything it attached and remove its pins and
 * socket.
 */
#include <errno.h>
#include <signal.h>
#include <sys/resource.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>
#include <net/if.h>
#include <bpf/libbpf.h>
#include <vtl/errors.h>
#include "daemonize.h"
#include "log.h"
#include "vtld.h"

/* ---- how the layers talk upwards ----
 * The transport reports to the application layer (data to deliver, room
 * to write, the peer's end) and to the session layer (a session's end,
 * negotiation frames); ctx is the whole vtld. */

static void up_readable(void *ctx, struct tp_sess *t)
{
	app_readable(&((struct vtld *)ctx)->app, t);
}

static void up_writable(void *ctx, struct tp_sess *t)
{
	app_writable(&((struct vtld *)ctx)->app, t);
}

static bool up_app_more(void *ctx, struct tp_sess *t)
{
	return app_has_more(&((struct vtld *)ctx)->app, t);
}

static void up_eof(void *ctx, struct tp_sess *t)
{
	app_eof(&((struct vtld *)ctx)->app, t);
}

static void up_done(void *ctx, struct tp_sess *t)
{
	session_done(&((struct vtld *)ctx)->ng, sess_of(t));
}

static void up_gone(void *ctx, struct tp_sess *t)
{
	session_end(&((struct vtld *)ctx)->ng, sess_of(t));
}

static int up_tx_begin(void *ctx, struct tp_sess *t)
{
	return session_tx_begin(&((struct vtld *)ctx)->ng, sess_of(t));
}

static void up_abort(void *ctx, struct tp_sess *t, int code, const char *why, bool reset_peer)
{
	session_abort(&((struct vtld *)ctx)->ng, sess_of(t), code, why, reset_peer);
}

static void up_nego(void *ctx, const struct vtl_peer *from, const struct vtl_hdr *h,
		    const void *pay, __u32 len)
{
	nego_on_nego(&((struct vtld *)ctx)->ng, from, h, pay, len);
}

static void up_nego_reply(void *ctx, const struct vtl_peer *from, const struct vtl_hdr *h,
			  const void *pay, __u32 len)
{
	nego_on_reply(&((struct vtld *)ctx)->ng, from, h, pay, len);
}

static void up_unreachable(void *ctx, const struct vtl_peer *peer, __u32 sid)
{
	nego_on_unreachable(&((struct vtld *)ctx)->ng, peer, sid);
}

static const struct tp_up tp_up = {
	.readable = up_readable,
	.writable = up_writable,
	.app_more = up_app_more,
	.eof = up_eof,
	.done = up_done,
	.gone = up_gone,
	.tx_begin = up_tx_begin,
	.abort = up_abort,
	.on_nego = up_nego,
	.on_nego_reply = up_nego_reply,
	.on_unreachable = up_unreachable,
};

static void pool_added(void *ctx, struct pool_graft *pg)
{
	nego_prewarm(&((struct vtld *)ctx)->ng, pg);
}

static const struct pw_ops pw_ops = {
	.added = pool_added,
	.answer = ctl_pool_answer,
};

static void on_tick(void *ctx)
{
	struct vtld *d = ctx;

	nego_tick(&d->ng);
	tp_tick(&d->tp);
}

/* ---- set up and tear down ---- */

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
		.udp_port = (__u16)d->cfg.udp_port,
		.min_rto_us = d->cfg.min_rto_ms * 1000,
	};
	struct pool_graft *cg;
	char err[512];
	int e;

	d->start_ns = now_ns();
	e = loop_open(&d->loop, on_tick, d);
	if (e)
		return e;
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
	/* the layers, bottom up */
	tp_init(&d->tp, d->l.state, now_ns, d->cfg.peer_timeout_ms);
	tp_set_up(&d->tp, &tp_up, d);
	nego_init(&d->ng, &d->tp, &d->l, &d->pool, &d->rules, &d->cfg, d->mss, d->canon);
	nego_set_app(&d->ng, &app_sess_ops, &d->app);
	app_init(&d->app, &d->loop, &d->ng, &d->tp);
	ctl_init(d);
	for (int i = 0; i < d->pool.n; i++)
		if (d->pool.g[i].state == PG_OK)
			nego_prewarm(&d->ng, &d->pool.g[i]);
	e = wire_open(&d->w, &d->loop, &d->tp, d->cfg.ifname, (__u16)d->cfg.udp_port,
		      launcher_map_fd(&d->l, "vtl_xsks"),
		      launcher_map_fd(&d->l, "vtl_events"));
	if (e)
		return e;
	e = ipc_open(&d->app, d->cfg.socket_path);
	if (e)
		return e;
	return pool_watch_open(&d->pw, &d->loop, &d->pool, &d->l, &pw_ops, d);
}

/* One control connection per application session: up to the hard limit
 * of descriptors (the systemd unit sets it), so 10,000 sessions fit. */
static void raise_nofile(void)
{
	struct rlimit r;

	if (getrlimit(RLIMIT_NOFILE, &r))
		return;
	if (r.rlim_cur < r.rlim_max) {
		r.rlim_cur = r.rlim_max;
		if (setrlimit(RLIMIT_NOFILE, &r))
			pr_warn("cannot raise the descriptor limit: %s\n", strerror(errno));
	}
	if (r.rlim_cur < 2 * VTL_MAX_SESSIONS)
		pr_info("descriptor limit %llu: fewer than %u application sessions fit\n",
			(unsigned long long)r.rlim_cur, VTL_MAX_SESSIONS - 1);
}

static void teardown(struct vtld *d)
{
	if (d->pw)
		pool_watch_close(d->pw);
	d->pw = NULL;
	if (d->app.lp)
		ipc_close(&d->app);
	for (__u32 i = 1; i < d->tp.slot_hi; i++) {
		struct session *s = d->tp.wire ? session_at(&d->ng, i) : NULL;

		if (s)
			session_abort(&d->ng, s, -VTL_E_DAEMON, "vtld is shutting down", true);
	}
	wire_close(d->w);
	d->w = NULL;
	launcher_close(&d->l); /* detaches XDP and TC, removes pins */
	if (d->cfg.pidfile[0])
		unlink(d->cfg.pidfile);
	loop_close(&d->loop);
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
	vtl_log_set_ident("vtld");
	vtl_log_set_level(d.cfg.verbosity > 2 ? VTL_LOG_DEBUG : (enum vtl_log_level)d.cfg.verbosity);
	vtl_log_set_target(d.cfg.log_target);
	vtl_log_init_libbpf();
	vtl_log_libbpf_debug(d.cfg.verbosity > 2);   /* -vv: libbpf's own debug too */
	signal(SIGPIPE, SIG_IGN);
	raise_nofile();
	if (!d.cfg.foreground && vtl_daemonize(&ready_fd)) {
		fprintf(stderr, "vtld: cannot daemonize: %s\n", strerror(errno));
		return EXIT_FAILURE;
	}
	d.loop.epfd = d.loop.sig_fd = d.loop.tick_fd = -1;
	d.app.listen_fd = -1;
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
	loop_run(&d.loop);
	teardown(&d);
	pr_info("stopped; nothing left attached on %s\n", d.cfg.ifname);
	return EXIT_SUCCESS;
}
