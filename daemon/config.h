/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
#ifndef VTLD_CONFIG_H
#define VTLD_CONFIG_H

#include <limits.h>
#include <net/if.h>
#include <stdbool.h>
#include <stddef.h>
#include <linux/types.h>
#include "log.h"

#ifndef VTL_DEFAULT_CONF
#define VTL_DEFAULT_CONF "/etc/vtl/vtld.conf"
#endif

/* The retransmission timeout's floor. 5 ms (the KTF library's own default)
 * fired spurious timeouts on a loaded 2-core host, where vtld or the
 * receiver is descheduled for longer than that (docs/results.md); each
 * one makes a Go-Back-N sender resend its whole window. */
#define VTLD_MIN_RTO_MS 20

struct vtld_config {
	char ifname[IF_NAMESIZE];
	char pool_dir[PATH_MAX];
	char bpf_root[PATH_MAX];
	char socket_path[PATH_MAX];
	char pidfile[PATH_MAX];
	char rules_path[PATH_MAX];  /* "" = built-in rules */
	char conf_path[PATH_MAX];   /* configuration file read, "" = none */
	bool foreground;
	int verbosity;            /* 0 warn, 1 info, 2 debug */
	int log_target;           /* VTL_LOG_TO_* */
	__u32 retx_bufs;          /* retransmission copies, all sessions */
	__u32 default_window;     /* 0: the graft's default */
	__u32 nego_timeout_ms;    /* default negotiation timeout */
	__u32 peer_timeout_ms;    /* no progress for this long: peer lost */
	__u32 min_rto_ms;         /* the retransmission timeout's floor */
	__u8 encap;               /* VTL_ENCAP_*: what sessions we start use */
	__u32 udp_port;           /* VTL over UDP: the port every VTL host listens
	                           * on (and ours; 0: no UDP) */
};

/* Parse argv, then read the configuration file (-c FILE, else
 * VTL_DEFAULT_CONF if it exists, none with --no-config); options given
 * on the command line win over the file. Returns 0, 1 when
 * --help/--version was printed, -1 on a bad argument or a bad file
 * (message already printed, naming the value, and file and line). */
int vtld_config_parse(struct vtld_config *c, int argc, char **argv);

/* ---- the configuration file (conffile.c, docs/operations.md) ---------- */

/* The keys of the file. Each is also a long option of the same name. */
enum vtld_key {
	VTLD_K_POOL, VTLD_K_BPF_ROOT, VTLD_K_SOCKET, VTLD_K_PIDFILE, VTLD_K_RULES,
	VTLD_K_WINDOW, VTLD_K_RETX_BUFFERS, VTLD_K_NEGO_TIMEOUT, VTLD_K_PEER_TIMEOUT,
	VTLD_K_LOG_LEVEL, VTLD_K_LOG, VTLD_K_ENCAP, VTLD_K_UDP_PORT, VTLD_K_MIN_RTO,
	VTLD_K_COUNT
};
#define VTLD_KEY(k) (1u << (k))

enum vtld_key_type { VTLD_T_PATH, VTLD_T_U32, VTLD_T_LEVEL, VTLD_T_TARGET, VTLD_T_ENCAP };

/* "raw", "udp" or "udp:PORT" (s[0..n), no NUL needed): the encapsulation,
 * and the port when one is given (*port untouched otherwise). -1: not
 * one of them (or a port outside 1..65535). */
int vtld_parse_encap(const char *s, size_t n, __u8 *encap, __u32 *port);

struct vtld_key_def {
	const char *name;
	enum vtld_key_type type;
	__u32 min, max;           /* VTLD_T_U32: the accepted range */
};
/* Indexed by enum vtld_key; the command line checks the same ranges. */
extern const struct vtld_key_def vtld_keys[VTLD_K_COUNT];

/* The file read when neither -c nor --no-config is given
 * (VTL_DEFAULT_CONF; tests point it elsewhere). */
extern const char *vtld_default_conf;

/* Apply the configuration text buf[0..len) (any bytes; no terminating
 * NUL needed) to c: the global section, then the [iface NAME] section
 * whose NAME is c->ifname. Every line of every section is checked; keys
 * whose VTLD_KEY() bit is in `keep` (set on the command line) are
 * checked but not applied. `name` is the file name used in messages.
 * Returns 0, or -1 with "NAME:LINE: problem" in err. c may be partly
 * updated on an error. */
int vtld_conf_apply(struct vtld_config *c, unsigned keep, const char *name,
		    const char *buf, size_t len, char *err, size_t errlen);

/* Read the file at path and apply it (as above); sets c->conf_path.
 * Returns 0, 1 if the file does not exist and !must_exist (nothing
 * done), or -1 with the reason in err. */
int vtld_conf_load(struct vtld_config *c, unsigned keep, const char *path,
		   bool must_exist, char *err, size_t errlen);

#endif
