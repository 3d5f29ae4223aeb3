/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
#ifndef VTLD_CONFIG_H
#define VTLD_CONFIG_H

#include <limits.h>
#include <net/if.h>
#include <stdbool.h>
#include <linux/types.h>

struct vtld_config {
	char ifname[IF_NAMESIZE];
	char pool_dir[PATH_MAX];
	char bpf_root[PATH_MAX];
	char socket_path[PATH_MAX];
	char pidfile[PATH_MAX];
	char rules_path[PATH_MAX];  /* "" = built-in rules */
	bool foreground;
	int verbosity;            /* 0 warn, 1 info, 2 debug */
	__u32 retx_bufs;          /* retransmission copies, all sessions */
	__u32 default_window;     /* 0: the graft's default */
	__u32 nego_timeout_ms;    /* default negotiation timeout */
	__u32 peer_timeout_ms;    /* no progress for this long: peer lost */
};

/* Parse argv. Returns 0, 1 when --help/--version was printed, -1 on
 * a bad argument (message already printed, naming the value). */
int vtld_config_parse(struct vtld_config *c, int argc, char **argv);

#endif
