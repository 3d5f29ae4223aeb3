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
#include "unixsock.h"

int hk_ctl_open(void)
{
	char err[256];
	int fd = vtl_unix_listen(hk->o.ctl_path, 16, 0, err, sizeof(err));

	if (fd < 0) {
		pr_warn("%s\n", err);
		return fd;
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

static void send_flows(int fd)
{
	static struct {
		struct vtl_hk_flows h;
		struct vtl_hk_flow f[VTL_HK_MAX_FLOWS];
	} m;  /* only the control thread uses it */
	int n;

	memset(&m.h, 0, sizeof(m.h));
	m.h.magic = VTL_HK_CTL_MAGIC;
	n = hk_flow_snapshot(m.f, VTL_HK_MAX_FLOWS, &m.h.total);
	m.h.n = (uint32_t)n;
	send(fd, &m, sizeof(m.h) + (size_t)n * sizeof(m.f[0]), MSG_NOSIGNAL | MSG_DONTWAIT);
}

/* Answer the one request of client fd (it is readable), then close it. */
static void ctl_answer(int fd)
{
	struct vtl_hk_status st;
	struct vtl_hk_req rq;
	ssize_t n;
	int r;

	memset(&st, 0, sizeof(st));
	n = recv(fd, &rq, sizeof(rq), MSG_DONTWAIT | MSG_TRUNC);
	if (n != (ssize_t)sizeof(rq) || rq.magic != VTL_HK_CTL_MAGIC) {
		st.error = -EPROTO;
		snprintf(st.msg, sizeof(st.msg), "malformed request (%zd bytes)", n);
	} else {
		switch (rq.op) {
		case VTL_HK_REQ_SHOW:
			break;
		case VTL_HK_REQ_FLOWS:
			send_flows(fd);
			close(fd);
			return;
		case VTL_HK_REQ_ENABLE:
		case VTL_HK_REQ_DISABLE:
			r = hk_bpf_set_enabled(rq.op == VTL_HK_REQ_ENABLE);
			if (r) {
				st.error = r;
				snprintf(st.msg, sizeof(st.msg), "cannot update hk_cfg: %s",
					 strerror(-r));
			} else {
				pr_info("hooking %s by vtlctl\n",
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

#define CTL_CLIENTS 32
#define CTL_WAIT_MS 1000  /* a client that says nothing for this long is dropped */

/* Its own thread, and every client in one poll set: neither a slow nor a
 * silent control client holds up the others or the hooked connections. */
static void *ctl_main(void *arg)
{
	struct { int fd; int64_t until; } cl[CTL_CLIENTS];
	struct pollfd p[CTL_CLIENTS + 1];
	int n = 0, i, fd;

	(void)arg;
	while (!atomic_load(&hk->stopping)) {
		int64_t now = hk_now_ms();

		p[0] = (struct pollfd){ .fd = hk->ctl_fd, .events = POLLIN };
		for (i = 0; i < n; i++)
			p[i + 1] = (struct pollfd){ .fd = cl[i].fd, .events = POLLIN };
		if (poll(p, (nfds_t)n + 1, 200) < 0)
			continue;
		now = hk_now_ms();
		for (i = n - 1; i >= 0; i--) {
			if (!p[i + 1].revents && cl[i].until > now)
				continue;
			if (p[i + 1].revents & POLLIN)
				ctl_answer(cl[i].fd);
			else
				close(cl[i].fd);  /* hung up, or silent too long */
			cl[i] = cl[--n];
		}
		while ((fd = accept4(hk->ctl_fd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK)) >= 0) {
			if (n == CTL_CLIENTS) {  /* full: one waiting client goes */
				close(cl[0].fd);
				cl[0] = cl[--n];
			}
			cl[n].fd = fd;
			cl[n].until = now + CTL_WAIT_MS;
			n++;
		}
	}
	for (i = 0; i < n; i++)
		close(cl[i].fd);
	return NULL;
}

int hk_ctl_start(void)
{
	pthread_t t;

	if (pthread_create(&t, NULL, ctl_main, NULL))
		return -errno;
	pthread_detach(t);
	return 0;
}
