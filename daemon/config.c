// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* vtld's command line. Every flag is in --help and docs/vtld.md; the
 * configuration file it reads is parsed in conffile.c. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <vtl/ipc.h>
#include <vtl/shared.h>
#include "config.h"

#ifndef VTL_DEFAULT_POOL
#define VTL_DEFAULT_POOL "/usr/local/lib/vtl/grafts"
#endif

static void usage(FILE *f)
{
	fprintf(f,
"Usage: vtld -i IFACE [options]\n"
"VTL daemon: owns IFACE's VTL data path (XDP + TC egress root programs),\n"
"the graft pool, sessions, and the control socket for libvtl and vtlctl.\n"
"\n"
"  -i, --interface IFACE   interface to serve (required)\n"
"  -c, --config FILE       configuration file (default " VTL_DEFAULT_CONF ",\n"
"                          read if it exists); options given here override it\n"
"      --no-config         read no configuration file\n"
"      --check-config      check the command line and the file, print the\n"
"                          settings IFACE's vtld would use, and exit\n"
"  -p, --pool DIR          graft pool directory (default " VTL_DEFAULT_POOL ")\n"
"  -b, --bpf-root DIR      bpffs pin root; a bpffs is mounted there if none is\n"
"                          (default /sys/fs/bpf); pins go to DIR/vtl/IFACE/\n"
"  -s, --socket PATH       control socket (default " VTL_SOCKET_DIR "/IFACE.sock)\n"
"  -P, --pidfile FILE      write the daemon's pid to FILE\n"
"  -f, --foreground        do not daemonize (without -f, the parent exits 0\n"
"                          only once the daemon is ready to serve)\n"
"  -w, --window N          default window when the application names none\n"
"  -r, --rules FILE        Control Broker selection rules (default: built in;\n"
"                          see docs/control-broker.md)\n"
"      --retx-buffers N    retransmission copies shared by all sessions\n"
"                          (default %u, about 1.5 KiB each)\n"
"      --nego-timeout MS   default negotiation timeout (default 3000)\n"
"      --peer-timeout MS   abort a session after MS without progress\n"
"                          (default 10000)\n"
"      --encap raw|udp[:PORT]\n"
"                          how sessions this host starts travel: raw IP\n"
"                          protocol 253 (default) or UDP to PORT (default\n"
"                          %u, also the port vtld listens on); a session a\n"
"                          peer starts is answered the way it came\n"
"      --udp-port PORT     the UDP port of VTL over UDP (default %u; 0: no\n"
"                          UDP at all)\n"
"      --min-rto MS        the floor of every session's retransmission\n"
"                          timeout (default %u)\n"
"  -v, --verbose           more logging: one level up from info (or -q), so\n"
"                          debug, which includes libbpf and verifier logs\n"
"  -q, --quiet             warnings only\n"
"      --log-level LEVEL   warn, info (default) or debug\n"
"      --log TARGET        where messages go: stderr (default), syslog or both\n"
"  -h, --help              this text\n"
"      --version           print the version\n",
		VTL_RETX_BUFS_DEFAULT, VTL_UDP_PORT_DEFAULT, VTL_UDP_PORT_DEFAULT, VTLD_MIN_RTO_MS);
}

static int parse_u32(const char *opt, const char *s, __u32 min, __u32 max, __u32 *out)
{
	char *end;
	unsigned long v;

	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno || !*s || *end || v < min || v > max) {
		fprintf(stderr, "vtld: %s: invalid value '%s' (expected %u..%u)\n", opt, s, min, max);
		return -1;
	}
	*out = (__u32)v;
	return 0;
}

static int copy_str(const char *opt, char *dst, size_t n, const char *s)
{
	if (!*s || strlen(s) >= n) {
		fprintf(stderr, "vtld: %s: invalid value '%s'\n", opt, s);
		return -1;
	}
	strcpy(dst, s);
	return 0;
}

/* "key = path", with '%' written as "%%" as the file wants it */
static void print_path(FILE *f, const char *key, const char *path, const char *none)
{
	if (!path[0]) {
		fprintf(f, "#%s = %s\n", key, none);
		return;
	}
	fprintf(f, "%s = ", key);
	for (; *path; path++) {
		if (*path == '%')
			fputc('%', f);
		fputc(*path, f);
	}
	fputc('\n', f);
}

/* --check-config: the settings in the file's syntax, so that the output
 * can be pasted into an [iface NAME] section. */
static void print_settings(FILE *f, const struct vtld_config *c)
{
	static const char *const levels[] = { "warn", "info", "debug" };
	static const char *const targets[] = { "stderr", "stderr", "syslog", "both" };

	fprintf(f, "# vtld -i %s: %s\n", c->ifname,
		c->conf_path[0] ? c->conf_path : "no configuration file");
	print_path(f, "pool", c->pool_dir, "");
	print_path(f, "bpf-root", c->bpf_root, "");
	print_path(f, "socket", c->socket_path, "");
	print_path(f, "pidfile", c->pidfile, "(none)");
	print_path(f, "rules", c->rules_path, "(built in)");
	if (c->default_window)
		fprintf(f, "window = %u\n", c->default_window);
	else
		fprintf(f, "#window = (the graft's default)\n");
	fprintf(f, "retx-buffers = %u\n", c->retx_bufs);
	fprintf(f, "nego-timeout = %u\n", c->nego_timeout_ms);
	fprintf(f, "peer-timeout = %u\n", c->peer_timeout_ms);
	fprintf(f, "encap = %s\n", c->encap == VTL_ENCAP_UDP ? "udp" : "raw");
	fprintf(f, "udp-port = %u\n", c->udp_port);
	fprintf(f, "min-rto = %u\n", c->min_rto_ms);
	fprintf(f, "log-level = %s\n", levels[c->verbosity < 0 ? 0 : c->verbosity > 2 ? 2 : c->verbosity]);
	fprintf(f, "log = %s\n", targets[c->log_target & 3]);
	fprintf(f, "# foreground: %s\n", c->foreground ? "yes" : "no");
}

/* "--window", ...: the option of a configuration key, for messages */
static const char *opt_name(enum vtld_key k, char *buf, size_t n)
{
	snprintf(buf, n, "--%s", vtld_keys[k].name);
	return buf;
}

static int key_u32(enum vtld_key k, const char *s, __u32 *out)
{
	char opt[32];

	return parse_u32(opt_name(k, opt, sizeof(opt)), s, vtld_keys[k].min, vtld_keys[k].max,
			 out);
}

int vtld_config_parse(struct vtld_config *c, int argc, char **argv)
{
	enum { O_RETX = 256, O_NEGO, O_PEER, O_VERSION, O_NO_CONFIG, O_LOG_LEVEL, O_LOG, O_CHECK,
	       O_ENCAP, O_UDP_PORT, O_MIN_RTO };
	static const struct option opts[] = {
		{ "interface", required_argument, NULL, 'i' },
		{ "config", required_argument, NULL, 'c' },
		{ "no-config", no_argument, NULL, O_NO_CONFIG },
		{ "check-config", no_argument, NULL, O_CHECK },
		{ "log-level", required_argument, NULL, O_LOG_LEVEL },
		{ "log", required_argument, NULL, O_LOG },
		{ "pool", required_argument, NULL, 'p' },
		{ "bpf-root", required_argument, NULL, 'b' },
		{ "socket", required_argument, NULL, 's' },
		{ "pidfile", required_argument, NULL, 'P' },
		{ "foreground", no_argument, NULL, 'f' },
		{ "window", required_argument, NULL, 'w' },
		{ "rules", required_argument, NULL, 'r' },
		{ "retx-buffers", required_argument, NULL, O_RETX },
		{ "nego-timeout", required_argument, NULL, O_NEGO },
		{ "peer-timeout", required_argument, NULL, O_PEER },
		{ "encap", required_argument, NULL, O_ENCAP },
		{ "udp-port", required_argument, NULL, O_UDP_PORT },
		{ "min-rto", required_argument, NULL, O_MIN_RTO },
		{ "verbose", no_argument, NULL, 'v' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, O_VERSION },
		{ 0 }
	};
	static const char *const levels[] = { "warn", "info", "debug" };
	static const char *const targets[] = { NULL, "stderr", "syslog", "both" };
	char conf[PATH_MAX] = "", err[PATH_MAX + 256];
	bool no_config = false, check = false;
	unsigned keep = 0;        /* keys given here: the file does not change them */
	int o, level = -1, i;

	memset(c, 0, sizeof(*c));
	strcpy(c->pool_dir, VTL_DEFAULT_POOL);
	strcpy(c->bpf_root, "/sys/fs/bpf");
	c->verbosity = 1;
	c->log_target = VTL_LOG_TO_STDERR;
	c->retx_bufs = VTL_RETX_BUFS_DEFAULT;
	c->nego_timeout_ms = 3000;
	c->peer_timeout_ms = 10000;
	c->encap = VTL_ENCAP_RAW;
	c->udp_port = VTL_UDP_PORT_DEFAULT;
	c->min_rto_ms = VTLD_MIN_RTO_MS;

	while ((o = getopt_long(argc, argv, "i:c:p:b:s:P:fw:r:vqh", opts, NULL)) != -1) {
		switch (o) {
		case 'i':
			if (copy_str("--interface", c->ifname, sizeof(c->ifname), optarg))
				return -1;
			break;
		case 'c':
			if (copy_str("--config", conf, sizeof(conf), optarg))
				return -1;
			break;
		case O_NO_CONFIG: no_config = true; break;
		case O_CHECK: check = true; break;
		case 'p':
			if (copy_str("--pool", c->pool_dir, sizeof(c->pool_dir), optarg))
				return -1;
			keep |= VTLD_KEY(VTLD_K_POOL);
			break;
		case 'b':
			if (copy_str("--bpf-root", c->bpf_root, sizeof(c->bpf_root), optarg))
				return -1;
			keep |= VTLD_KEY(VTLD_K_BPF_ROOT);
			break;
		case 's':
			if (copy_str("--socket", c->socket_path, sizeof(c->socket_path), optarg))
				return -1;
			keep |= VTLD_KEY(VTLD_K_SOCKET);
			break;
		case 'P':
			if (copy_str("--pidfile", c->pidfile, sizeof(c->pidfile), optarg))
				return -1;
			keep |= VTLD_KEY(VTLD_K_PIDFILE);
			break;
		case 'f': c->foreground = true; break;
		case 'r':
			if (copy_str("--rules", c->rules_path, sizeof(c->rules_path), optarg))
				return -1;
			keep |= VTLD_KEY(VTLD_K_RULES);
			break;
		case 'w':
			if (key_u32(VTLD_K_WINDOW, optarg, &c->default_window))
				return -1;
			keep |= VTLD_KEY(VTLD_K_WINDOW);
			break;
		case O_RETX:
			if (key_u32(VTLD_K_RETX_BUFFERS, optarg, &c->retx_bufs))
				return -1;
			keep |= VTLD_KEY(VTLD_K_RETX_BUFFERS);
			break;
		case O_NEGO:
			if (key_u32(VTLD_K_NEGO_TIMEOUT, optarg, &c->nego_timeout_ms))
				return -1;
			keep |= VTLD_KEY(VTLD_K_NEGO_TIMEOUT);
			break;
		case O_PEER:
			if (key_u32(VTLD_K_PEER_TIMEOUT, optarg, &c->peer_timeout_ms))
				return -1;
			keep |= VTLD_KEY(VTLD_K_PEER_TIMEOUT);
			break;
		case O_ENCAP:
			if (vtld_parse_encap(optarg, strlen(optarg), &c->encap, &c->udp_port)) {
				fprintf(stderr, "vtld: --encap: invalid value '%s' (expected raw, udp "
					"or udp:PORT, PORT 1..65535)\n", optarg);
				return -1;
			}
			keep |= VTLD_KEY(VTLD_K_ENCAP) | VTLD_KEY(VTLD_K_UDP_PORT);
			break;
		case O_MIN_RTO:
			if (key_u32(VTLD_K_MIN_RTO, optarg, &c->min_rto_ms))
				return -1;
			keep |= VTLD_KEY(VTLD_K_MIN_RTO);
			break;
		case O_UDP_PORT:
			if (key_u32(VTLD_K_UDP_PORT, optarg, &c->udp_port))
				return -1;
			keep |= VTLD_KEY(VTLD_K_UDP_PORT);
			break;
		case 'v': level = (level < 0 ? 1 : level) + 1; break;
		case 'q': level = 0; break;
		case O_LOG_LEVEL:
			for (i = 0; i < 3 && strcmp(optarg, levels[i]); i++)
				;
			if (i == 3) {
				fprintf(stderr, "vtld: --log-level: invalid value '%s' (expected warn, "
					"info or debug)\n", optarg);
				return -1;
			}
			level = i;
			break;
		case O_LOG:
			for (i = 1; i < 4 && strcmp(optarg, targets[i]); i++)
				;
			if (i == 4) {
				fprintf(stderr, "vtld: --log: invalid value '%s' (expected stderr, "
					"syslog or both)\n", optarg);
				return -1;
			}
			c->log_target = i;
			keep |= VTLD_KEY(VTLD_K_LOG);
			break;
		case 'h': usage(stdout); return 1;
		case O_VERSION: printf("vtld %s\n", VTL_VERSION_STRING); return 1;
		default: usage(stderr); return -1;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "vtld: unexpected argument '%s'\n", argv[optind]);
		return -1;
	}
	if (!c->ifname[0]) {
		fprintf(stderr, "vtld: -i IFACE is required (see --help)\n");
		return -1;
	}
	if (c->encap == VTL_ENCAP_UDP && !c->udp_port) {
		fprintf(stderr, "vtld: --encap udp needs a UDP port (udp-port is 0)\n");
		return -1;
	}
	if (no_config && conf[0]) {
		fprintf(stderr, "vtld: --config and --no-config exclude each other\n");
		return -1;
	}
	if (level >= 0) {
		c->verbosity = level;
		keep |= VTLD_KEY(VTLD_K_LOG_LEVEL);
	}
	if (!no_config &&
	    vtld_conf_load(c, keep, conf[0] ? conf : vtld_default_conf, conf[0] != '\0', err,
			   sizeof(err)) < 0) {
		fprintf(stderr, "vtld: %s\n", err);
		return -1;
	}
	if (!c->socket_path[0] &&
	    snprintf(c->socket_path, sizeof(c->socket_path), "%s/%s.sock", VTL_SOCKET_DIR,
		     c->ifname) >= (int)sizeof(c->socket_path))
		return -1;
	if (check) {
		print_settings(stdout, c);
		return 1;
	}
	return 0;
}
