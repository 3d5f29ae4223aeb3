// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * vtlctl: operator CLI for vtld, in the style of bpftool/iproute2:
 *   vtlctl [-j|-p] [--socket PATH] OBJECT [VERB] [ARGS]
 * Objects and verbs match by prefix, the first in table order winning
 * ("st" -> status, listed before stats), as in ip(8).
 */
#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <vtl/vtl.h>
#include "vtlctl.h"

const struct ctl_cmd ctl_objects[] = {
	{ "status",  cmd_status,  "", "daemon, grafts, sessions and counters" },
	{ "graft",   cmd_graft,   "list|show|verify|load|unload|new|test", "the graft pool and kit ('graft help')" },
	{ "session", cmd_session, "list|show [ID]|swap ID GRAFT", "sessions: NetMonitor figures, swap history, hot swap" },
	{ "monitor", cmd_monitor, "[count N] [interval MS]", "live view: sessions' RTT, loss, goodput" },
	{ "rule",    cmd_rule,    "list|add [at N] RULE|del N", "Control Broker rules, edited at runtime" },
	{ "stats",   cmd_stats,   "", "daemon-wide figures: sessions, negotiations, swaps, drops" },
	{ "hooker",  cmd_hooker,  "[show|flows|enable|disable] [ctl PATH]", "vtl-hooker: legacy TCP over VTL" },
	{ "help",    cmd_help,    "", "this list" },
	{ NULL, NULL, NULL, NULL }
};

int ctl_err(struct ctl *c, int code, const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	if (c->quiet)
		return 1;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (c->json) {
		struct json *j = json_new(stdout, c->pretty);

		if (j) {
			json_obj_open(j);
			json_kv_str(j, "error", msg);
			json_key(j, "code");
			json_int(j, code);
			json_obj_close(j);
			json_free(j);
			fflush(stdout);
			return 1;
		}
	}
	fprintf(stderr, "%s: %s\n", c->prog, msg);
	return 1;
}

int ctl_dispatch(struct ctl *c, const struct ctl_cmd *tbl, const char *what,
		 const char *dflt, int argc, char **argv)
{
	const struct ctl_cmd *t, *hit = NULL;
	char *word, *dword[1];

	if (argc < 1) {
		if (!dflt)
			return ctl_err(c, -EINVAL, "missing %s (try '%s help')",
				       what, c->prog);
		dword[0] = (char *)dflt;
		argc = 1;
		argv = dword;
	}
	word = argv[0];
	/* an exact name, else the first in table order that word is a prefix
	 * of, as ip(8) and bpftool do: "st" is status (listed before stats) */
	for (t = tbl; t->name; t++) {
		if (!strcmp(t->name, word))
			return t->fn(c, argc, argv);
		if (!hit && *word && !strncmp(t->name, word, strlen(word)))
			hit = t;
	}
	if (hit)
		return hit->fn(c, argc, argv);
	return ctl_err(c, -EINVAL, "unknown %s '%s' (try '%s help')",
		       what, word, c->prog);
}

int cmd_help(struct ctl *c, int argc, char **argv)
{
	const struct ctl_cmd *t;

	(void)argc;
	(void)argv;
	if (c->json) {
		struct json *j = json_new(stdout, c->pretty);

		if (!j)
			return ctl_err(c, -ENOMEM, "out of memory");
		json_arr_open(j);
		for (t = ctl_objects; t->name; t++) {
			json_obj_open(j);
			json_kv_str(j, "command", t->name);
			json_kv_str(j, "args", t->args);
			json_kv_str(j, "help", t->help);
			json_obj_close(j);
		}
		json_arr_close(j);
		json_free(j);
		return 0;
	}
	printf("usage: %s [OPTIONS] OBJECT [VERB] [ARGS]\n\n"
	       "objects (a prefix will do; the first listed wins):\n", c->prog);
	for (t = ctl_objects; t->name; t++) {
		char syn[64];

		snprintf(syn, sizeof(syn), "%s %s", t->name, t->args);
		printf("  %-22s %s\n", syn, t->help);
	}
	printf("\noptions:\n"
	       "  -j, --json          JSON output (errors too: {\"error\", \"code\"})\n"
	       "  -p, --pretty        indented JSON (implies -j)\n"
	       "      --socket PATH   vtld control socket (default $VTL_SOCKET,\n"
	       "                      or the only *.sock in %s)\n"
	       "  -h, --help          this help\n"
	       "  -V, --version       version\n", VTL_SOCKET_DIR);
	return 0;
}

int main(int argc, char **argv)
{
	static const struct option lo[] = {
		{ "json",    no_argument,       NULL, 'j' },
		{ "pretty",  no_argument,       NULL, 'p' },
		{ "socket",  required_argument, NULL, 'S' },
		{ "help",    no_argument,       NULL, 'h' },
		{ "version", no_argument,       NULL, 'V' },
		{ 0 }
	};
	struct ctl c = { .prog = "vtlctl" };
	int opt, help = 0, bad = 0;
	char badopt[64] = "";

	opterr = 0;  /* we report, in JSON when asked */
	while ((opt = getopt_long(argc, argv, "jphV", lo, NULL)) != -1) {
		switch (opt) {
		case 'j': c.json = 1; break;
		case 'p': c.json = c.pretty = 1; break;
		case 'S': c.socket = optarg; break;
		case 'h': help = 1; break;
		case 'V': printf("vtlctl %s (ipc magic %#x)\n", VTL_VERSION_STRING, VTL_IPC_MAGIC);
			return 0;
		default:
			if (bad++)
				break;
			if (optopt && optopt != 'S')  /* an unknown short one */
				snprintf(badopt, sizeof(badopt), "-%c", optopt);
			else
				snprintf(badopt, sizeof(badopt), "%s",
					 argv[optind - 1]);
		}
	}
	if (bad)
		return ctl_err(&c, -EINVAL, "bad option or missing argument: '%s' (try '%s help')",
			       badopt, c.prog);
	if (help)
		return cmd_help(&c, 0, NULL);
	return ctl_dispatch(&c, ctl_objects, "object", "help",
			    argc - optind, argv + optind);
}
