// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * vtl-hooker's control socket (AF_UNIX SEQPACKET): one struct vtl_hk_req
 * in, one struct vtl_hk_status out, per connection. Anything else gets a
 * status with .error set and .msg saying why.
 */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>
#include "hk.h"

int hk_ctl_open(void)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	const char *path = hk->o.ctl_path;
	char dir[sizeof(sa.sun_path)], *slash;
	int fd;

	if (strlen(path) >= sizeof(sa.sun_path)) {
		hk_err("control socket path too long: %s\n", path);
		return -ENAMETOOLONG;
	}
	snprintf(dir, sizeof(dir), "%s", path);
	slash = strrchr(dir, '/');
	if (slash && slash != dir) {
		*slash = 0;
		mkdir(dir, 0755);
	}
	strcpy(sa.sun_path, path);
	fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return -errno;
	/* a socket file left by a killed Hooker: nobody answers on it */
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0) {
		hk_err("another vtl-hooker answers on %s\n", path);
		close(fd);
		return -EADDRINUSE;
	}
	unlink(path);
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) || listen(fd, 16)) {
		int e = -errno;

		hk_err("control socket %s: %s\n", path, strerror(-e));
		close(fd);
		return e;
	}
	hk->ctl_fd = fd;
	return fd;
}

void hk_ctl_close(void)
{
	if (hk->ctl_fd >= 0) {
		close(hk->ctl_fd);
		unlink(hk->o.ctl_path);
		hk->ctl_fd = -1;
	}
}

static void fill_status(struct vtl_hk_status *st)
{
	int i;

	st->magic = VTL_HK_CTL_MAGIC;
	st->pid = (uint32_t)getpid();
	st->enabled = hk_bpf_enabled();
	st->listen_port = hk->listen_port;
	st->vtl_port = hk->o.vtl_port;
	st->dst_net = hk->o.dst_net;
	st->dst_mask = hk->o.dst_mask;
	st->nports = (uint32_t)hk->o.nports;
	memcpy(st->ports, hk->o.ports, sizeof(st->ports));
	snprintf(st->cgroup, sizeof(st->cgroup), "%s", hk->cgroup_path);
	hk_bpf_counters(st->bpf, &st->live);
	for (i = 0; i < VTL_HK_U_MAX; i++)
		st->user[i] = atomic_load(&hk->cnt[i]);
	st->npeers = (uint32_t)hk_peer_snapshot(st->peers, VTL_HK_MAX_PEERS);
}

void hk_ctl_serve(int lfd)
{
	struct vtl_hk_status st;
	struct vtl_hk_req rq;
	struct pollfd p;
	ssize_t n;
	int fd, r;

	fd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
	if (fd < 0)
		return;
	p = (struct pollfd){ .fd = fd, .events = POLLIN };
	memset(&st, 0, sizeof(st));
	if (poll(&p, 1, 1000) != 1) {
		close(fd);  /* a client that says nothing */
		return;
	}
	n = recv(fd, &rq, sizeof(rq), MSG_DONTWAIT | MSG_TRUNC);
	if (n != (ssize_t)sizeof(rq) || rq.magic != VTL_HK_CTL_MAGIC) {
		st.error = -EPROTO;
		snprintf(st.msg, sizeof(st.msg), "malformed request (%zd bytes)", n);
	} else {
		switch (rq.op) {
		case VTL_HK_REQ_SHOW:
			break;
		case VTL_HK_REQ_ENABLE:
		case VTL_HK_REQ_DISABLE:
			r = hk_bpf_set_enabled(rq.op == VTL_HK_REQ_ENABLE);
			if (r) {
				st.error = r;
				snprintf(st.msg, sizeof(st.msg), "cannot update hk_cfg: %s",
					 strerror(-r));
			} else {
				hk_info("hooking %s by vtlctl\n",
					rq.op == VTL_HK_REQ_ENABLE ? "enabled" : "disabled");
			}
			break;
		default:
			st.error = -EOPNOTSUPP;
			snprintf(st.msg, sizeof(st.msg), "unknown request %u", rq.op);
		}
	}
	if (!st.error)
		fill_status(&st);
	send(fd, &st, sizeof(st), MSG_NOSIGNAL | MSG_DONTWAIT);
	close(fd);
}
