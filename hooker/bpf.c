// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * The kernel half: find (or make) the cgroup, load hooker.bpf.o, fill
 * hk_cfg, attach the three programs with bpf_links. The links are held
 * only by this process and never pinned, so when vtl-hooker dies, for
 * whatever reason, the kernel detaches them: new connections go over
 * plain TCP (fail open).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <mntent.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "hk.h"
#include "hooker.skel.h"

#ifndef SO_NETNS_COOKIE
#define SO_NETNS_COOKIE 71
#endif

static int cgroup2_mount(char *out, size_t len)
{
	struct mntent *m;
	FILE *f = setmntent("/proc/mounts", "r");
	int r = -ENOENT;

	if (!f)
		return -errno;
	while ((m = getmntent(f))) {
		if (!strcmp(m->mnt_type, "cgroup2")) {
			snprintf(out, len, "%s", m->mnt_dir);
			r = 0;
			break;
		}
	}
	endmntent(f);
	return r;
}

static int resolve_cgroup(void)
{
	char mnt[192];
	const char *c = hk->o.cgroup ? hk->o.cgroup : "vtl-hooker";
	int r = cgroup2_mount(mnt, sizeof(mnt));

	if (r) {
		pr_warn("no cgroup v2 mount in /proc/mounts: the Hooker needs one\n");
		return r;
	}
	if (hk->o.root_cgroup)
		snprintf(hk->cgroup_path, sizeof(hk->cgroup_path), "%s", mnt);
	else if (c[0] == '/')
		snprintf(hk->cgroup_path, sizeof(hk->cgroup_path), "%s", c);
	else
		snprintf(hk->cgroup_path, sizeof(hk->cgroup_path), "%s/%s", mnt, c);
	if (mkdir(hk->cgroup_path, 0755) == 0)
		hk->cgroup_made = true;
	else if (errno != EEXIST) {
		pr_warn("cannot create cgroup %s: %s\n", hk->cgroup_path, strerror(errno));
		return -errno;
	}
	return 0;
}

static uint64_t netns_cookie(void)
{
	uint64_t cookie = 0;
	socklen_t len = sizeof(cookie);
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	if (fd >= 0) {
		if (getsockopt(fd, SOL_SOCKET, SO_NETNS_COOKIE, &cookie, &len))
			cookie = 0;
		close(fd);
	}
	return cookie;
}

static int write_cfg(bool enabled)
{
	struct vtl_hk_cfg cfg = {
		.enabled = enabled,
		.hooker_addr = htonl(INADDR_LOOPBACK),
		.hooker_port = htons(hk->listen_port),
		.port_filter = hk->o.nports > 0,
		.hooker_tgid = (uint32_t)getpid(),
		.netns_cookie = netns_cookie(),
		.dst_net = hk->o.dst_net,
		.dst_mask = hk->o.dst_mask,
		.notsent_lowat = (uint32_t)hk->o.lowat,
	};
	__u32 zero = 0;

	if (!cfg.netns_cookie) {
		pr_warn("cannot read this network namespace's cookie (SO_NETNS_COOKIE)\n");
		return -ENOTSUP;
	}
	if (bpf_map__update_elem(hk->skel->maps.hk_cfg, &zero, sizeof(zero), &cfg,
				 sizeof(cfg), BPF_ANY))
		return -errno;
	return 0;
}

int hk_bpf_setup(void)
{
	struct bpf_program *progs[3];
	int r, cg = -1, i;
	__u8 one = 1;

	r = resolve_cgroup();
	if (r)
		return r;
	hk->skel = hooker_bpf__open_and_load();
	if (!hk->skel) {
		r = -errno;
		pr_warn("loading the Hooker's BPF programs: %s\n", strerror(-r));
		return r;
	}
	for (i = 0; i < hk->o.nports; i++) {
		__u16 p = htons(hk->o.ports[i]);

		if (bpf_map__update_elem(hk->skel->maps.hk_ports, &p, sizeof(p), &one,
					 sizeof(one), BPF_ANY))
			return -errno;
	}
	r = write_cfg(!hk->o.disabled);
	if (r)
		return r;
	cg = open(hk->cgroup_path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (cg < 0) {
		r = -errno;
		pr_warn("cannot open cgroup %s: %s\n", hk->cgroup_path, strerror(-r));
		return r;
	}
	progs[0] = hk->skel->progs.vtl_hk_sockops;
	progs[1] = hk->skel->progs.vtl_hk_getpeername4;
	progs[2] = hk->skel->progs.vtl_hk_connect4;  /* last: diverts only once all are in */
	for (i = 0; i < 3; i++) {
		hk->links[i] = bpf_program__attach_cgroup(progs[i], cg);
		if (!hk->links[i]) {
			r = -errno;
			pr_warn("attaching %s to %s: %s\n", bpf_program__name(progs[i]),
			       hk->cgroup_path, strerror(-r));
			hk->links[i] = NULL;
			close(cg);
			return r;
		}
	}
	close(cg);
	pr_info("hooking TCP connects in cgroup %s -> 127.0.0.1:%u\n", hk->cgroup_path,
		hk->listen_port);
	return 0;
}

void hk_bpf_teardown(void)
{
	int i;

	/* connect4 first, so nothing new is diverted while the rest goes */
	for (i = 2; i >= 0; i--) {
		bpf_link__destroy(hk->links[i]);
		hk->links[i] = NULL;
	}
	hooker_bpf__destroy(hk->skel);
	hk->skel = NULL;
	if (hk->cgroup_made && rmdir(hk->cgroup_path) && errno != EBUSY)
		pr_info("cgroup %s left in place: %s\n", hk->cgroup_path, strerror(errno));
}

bool hk_bpf_enabled(void)
{
	struct vtl_hk_cfg cfg;
	__u32 zero = 0;

	if (bpf_map__lookup_elem(hk->skel->maps.hk_cfg, &zero, sizeof(zero), &cfg,
				 sizeof(cfg), 0))
		return false;
	return cfg.enabled;
}

int hk_bpf_set_enabled(bool on)
{
	return write_cfg(on);
}

/* The kernel's copy of the capability cache (hk_novtl): until_ms is on
 * hk_now_ms()'s clock (CLOCK_MONOTONIC, as bpf_ktime_get_ns()); 0 takes
 * the peer out. Failures only cost the relay, so they are logged, not
 * returned. */
void hk_bpf_novtl(uint32_t addr, int64_t until_ms)
{
	int fd = bpf_map__fd(hk->skel->maps.hk_novtl);
	__u64 until = (__u64)until_ms * 1000000;

	if (until_ms > 0) {
		if (bpf_map_update_elem(fd, &addr, &until, BPF_ANY))
			pr_debug("hk_novtl: cannot add a peer: %s\n", strerror(errno));
	} else if (bpf_map_delete_elem(fd, &addr) && errno != ENOENT) {
		pr_debug("hk_novtl: cannot remove a peer: %s\n", strerror(errno));
	}
}

int hk_bpf_lookup_flow(uint32_t addr, uint16_t port, struct vtl_hk_orig *o)
{
	struct vtl_hk_flow_key k = { .addr = addr, .port = port };
	int fd = bpf_map__fd(hk->skel->maps.hk_flows);

	if (bpf_map_lookup_and_delete_elem(fd, &k, o))
		return -errno;
	return 0;
}

void hk_bpf_counters(__u64 out[VTL_HK_CNT_MAX], __u64 *live)
{
	int ncpu = libbpf_num_possible_cpus(), fd, i, c;
	struct vtl_hk_tuple k, nk;
	__u64 v[512];

	memset(out, 0, sizeof(__u64) * VTL_HK_CNT_MAX);
	*live = 0;
	if (!hk->skel || ncpu <= 0 || ncpu > 512)
		return;
	fd = bpf_map__fd(hk->skel->maps.hk_stats);
	for (i = 0; i < VTL_HK_CNT_MAX; i++) {
		__u32 key = (__u32)i;

		if (bpf_map_lookup_elem(fd, &key, v))
			continue;
		for (c = 0; c < ncpu; c++)
			out[i] += v[c];
	}
	fd = bpf_map__fd(hk->skel->maps.hk_socks);
	if (bpf_map_get_next_key(fd, NULL, &k))
		return;
	do {
		(*live)++;
	} while (!bpf_map_get_next_key(fd, &k, &nk) && (k = nk, 1));
}
