// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * iface.c: what vtl-netem does to its two interfaces, and undoes on exit.
 *
 *   - TSO, GSO, GRO and tx checksumming off (legacy ethtool ioctls, no
 *     ethtool binary needed): GRO would merge frames into super-frames
 *     before vtl-netem sees them, and every impairment would then apply to
 *     a whole burst. The previous settings are restored on exit.
 *   - An XDP_PASS program (xdp_pass.bpf.c) through a bpf_link, so that it
 *     also goes away if the process dies: veth drops frames that the host
 *     sends with XDP_TX or redirect unless the peer (our side) has an XDP
 *     program (docs/vtl-netem.md, How it works).
 */
#include <errno.h>
#include <linux/ethtool.h>
#include <linux/sockios.h>
#include <net/if.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <bpf/libbpf.h>

#include "netem.h"
#include "xdp_pass.skel.h"

static const struct {
	const char *name;
	uint32_t get, set;
} offl[4] = {
	{ "tso", ETHTOOL_GTSO, ETHTOOL_STSO },
	{ "gso", ETHTOOL_GGSO, ETHTOOL_SGSO },
	{ "gro", ETHTOOL_GGRO, ETHTOOL_SGRO },
	{ "tx-checksumming", ETHTOOL_GTXCSUM, ETHTOOL_STXCSUM },
};

int nm_iface_mtu(int fd, const char *name, unsigned *mtu)
{
	struct ifreq ifr = {};

	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", name);
	if (ioctl(fd, SIOCGIFMTU, &ifr))
		return -errno;
	*mtu = (unsigned)ifr.ifr_mtu;
	return 0;
}

static int ethtool_value(int fd, const char *name, uint32_t cmd, uint32_t *val)
{
	struct ethtool_value ev = { .cmd = cmd, .data = *val };
	struct ifreq ifr = {};

	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", name);
	ifr.ifr_data = (void *)&ev;
	if (ioctl(fd, SIOCETHTOOL, &ifr))
		return -errno;
	*val = ev.data;
	return 0;
}

static void offloads_off(struct nm *n, int fd, int i, const char *name)
{
	for (int k = 0; k < 4; k++) {
		uint32_t v = 0, off = 0;
		int e = ethtool_value(fd, name, offl[k].get, &v);

		if (e) {
			pr_warn("%s: cannot read %s: %s\n", name, offl[k].name, strerror(-e));
			continue;
		}
		if (!v)
			continue;
		e = ethtool_value(fd, name, offl[k].set, &off);
		if (e) {
			pr_warn("%s: cannot turn %s off: %s (frames may be merged or left "
				"without checksum)\n", name, offl[k].name, strerror(-e));
			continue;
		}
		n->offl_saved[i][k] = v;
		n->offl_changed[i][k] = true;
		pr_debug("%s: %s off\n", name, offl[k].name);
	}
}

int nm_iface_prepare(struct nm *n)
{
	int ifx[2] = { n->ifindex_a, n->ifindex_b }, fd;
	const char *name[2] = { n->cfg.if_a, n->cfg.if_b };
	struct vtl_netem_xdp *skel;

	fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd >= 0) {
		for (int i = 0; i < 2; i++)
			offloads_off(n, fd, i, name[i]);
		close(fd);
	}
	skel = vtl_netem_xdp__open_and_load();
	if (!skel) {
		pr_warn("cannot load the XDP_PASS program: %s\n", strerror(errno));
		return -errno;
	}
	n->skel = skel;
	for (int i = 0; i < 2; i++) {
		struct bpf_link *l = bpf_program__attach_xdp(skel->progs.vtl_netem_pass, ifx[i]);

		if (!l) {
			int e = -errno;

			pr_warn("cannot attach XDP_PASS to %s: %s%s\n", name[i], strerror(-e),
				e == -EBUSY || e == -EEXIST ?
				" (another XDP program is attached there; vtl-netem needs the "
				"interface to itself)" : "");
			return e;
		}
		n->xdp_link[i] = l;
	}
	return 0;
}

void nm_iface_restore(struct nm *n)
{
	const char *name[2] = { n->cfg.if_a, n->cfg.if_b };
	int fd;

	for (int i = 0; i < 2; i++) {
		if (n->xdp_link[i])
			bpf_link__destroy(n->xdp_link[i]);
		n->xdp_link[i] = NULL;
	}
	if (n->skel)
		vtl_netem_xdp__destroy(n->skel);
	n->skel = NULL;
	fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return;
	for (int i = 0; i < 2; i++) {
		for (int k = 0; k < 4; k++) {
			if (!n->offl_changed[i][k])
				continue;
			if (ethtool_value(fd, name[i], offl[k].set, &n->offl_saved[i][k]))
				pr_warn("%s: cannot restore %s\n", name[i], offl[k].name);
			n->offl_changed[i][k] = false;
		}
	}
	close(fd);
}
