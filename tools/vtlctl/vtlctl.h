/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/* vtlctl: shared declarations (command table, output, names). */
#ifndef VTLCTL_H
#define VTLCTL_H

#include <stdint.h>
#include <stdio.h>
#include <vtl/ipc.h>
#include "json.h"

struct json;

struct ctl {
	int json;              /* -j: JSON output */
	int pretty;            /* -p: indented JSON */
	const char *socket;    /* --socket, NULL: $VTL_SOCKET / default */
	const char *prog;      /* "vtlctl" */
	int quiet;             /* ctl_err reports nothing (ctl_rpc_quiet) */
};

/* One object or verb. fn gets argv with argv[0] = the matched word. */
struct ctl_cmd {
	const char *name;
	int (*fn)(struct ctl *c, int argc, char **argv);
	const char *args;      /* synopsis after the name, for help */
	const char *help;
};

/* Run the command of tbl that argv[0] names, exactly or by a prefix (the
 * first entry in table order wins, as in ip(8)); what names the level
 * ("object", "verb") in errors. argc == 0 runs dflt (may be NULL: error).
 * Returns the exit code. */
int ctl_dispatch(struct ctl *c, const struct ctl_cmd *tbl, const char *what,
		 const char *dflt, int argc, char **argv);

/* Report an error (stderr, or {"error","code"} on stdout with -j).
 * code: -errno or -VTL_E_*. Returns 1, the exit code. */
int ctl_err(struct ctl *c, int code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* One request, one reply of type want into buf (cap >= VTL_IPC_MAX_DATA);
 * ERROR replies are reported. Returns 0 or the exit code (graft.c). */
int ctl_rpc(struct ctl *c, __u16 type, const void *req, size_t len, __u16 want,
	    void *buf, size_t cap, size_t *got);
/* ctl_rpc for a reply of exactly outlen bytes, copied to out; what names
 * the reply in the error for any other size. */
int ctl_rpc_fixed(struct ctl *c, __u16 type, const void *req, size_t len, __u16 want,
		  void *out, size_t outlen, const char *what);
/* The same without reporting errors (returns non-zero on any failure). */
int ctl_rpc_quiet(struct ctl *c, __u16 type, const void *req, size_t len, __u16 want,
		  void *buf, size_t cap, size_t *got);

/* Commands (one file each). */
extern const struct ctl_cmd ctl_objects[];
int cmd_status(struct ctl *c, int argc, char **argv);
int cmd_graft(struct ctl *c, int argc, char **argv);
int cmd_session(struct ctl *c, int argc, char **argv);
int cmd_help(struct ctl *c, int argc, char **argv);
int cmd_monitor(struct ctl *c, int argc, char **argv);
int cmd_hooker(struct ctl *c, int argc, char **argv);
/* graft_kit.c: graft new, graft test */
int cmd_graft_new(struct ctl *c, int argc, char **argv);
int cmd_graft_test(struct ctl *c, int argc, char **argv);
/* The graft template, embedded at build time (cmake/embed_files.cmake):
 * an array ended by an entry with name NULL. */
struct vtl_embedded_file {
	const char *name;
	const unsigned char *data;
	size_t len;
};
extern const struct vtl_embedded_file vtl_graft_template[];
int cmd_rule(struct ctl *c, int argc, char **argv);
int cmd_stats(struct ctl *c, int argc, char **argv);
/* graft_load.c: graft load|unload (verbs of cmd_graft) */
int ctl_graft_load(struct ctl *c, int argc, char **argv);
int ctl_graft_unload(struct ctl *c, int argc, char **argv);
/* graft.c: a validation report (struct graft_report, lib/graft_check.h) */
struct graft_report;
void ctl_report_print(struct ctl *c, const char *file, const struct graft_report *r);
void ctl_report_from_ipc(const struct vtl_ipc_graft_verify *v, const void *log,
			 struct graft_report *r);
/* session.c: one session (SESSION_SHOW reply) as a JSON object */
void ctl_json_session_show(struct json *j, const struct vtl_ipc_session_show *o);

/* status.c: one STATUS round trip; records point into buf (free it).
 * Returns 0, or the exit code after reporting the error. */
struct ctl_status {
	void *buf;
	const struct vtl_ipc_status *st;
	const struct vtl_ipc_graft_info *grafts;
	const struct vtl_ipc_session_info *sessions;
};
int ctl_fetch_status(struct ctl *c, struct ctl_status *out);
void ctl_print_grafts(struct ctl *c, struct json *j, const struct ctl_status *s);
void ctl_print_sessions(struct ctl *c, struct json *j, const struct ctl_status *s);
/* the shared counters map (VTL_CNT_PER_DIR per direction), as status and
 * stats print it: non-zero ones per direction / every one by name */
void ctl_print_counters(const __u64 *xdp, const __u64 *tc);
void ctl_json_counters(struct json *j, const __u64 *xdp, const __u64 *tc);
void ctl_fmt_uptime(uint64_t ms, char *buf, size_t len);
struct json *ctl_json_open(struct ctl *c);
void ctl_json_close(struct json *j);

/* names.c: the one place numbers get names. */
const char *ctl_counter_name(unsigned idx);      /* NULL if unnamed */
const char *ctl_sess_state_name(unsigned state);
const char *ctl_encap_name(unsigned encap);
/* "10.0.0.2", or "10.0.0.2 udp:4753" for VTL over UDP (the port as the
 * session sees it: after any NAT) */
#define CTL_PEER_STRLEN 64
const char *ctl_peer_str(const struct vtl_ipc_session_info *i, char *buf, size_t len);
/* comma-separated names of set bits into buf ("-" when none) */
const char *ctl_services_str(uint32_t svc, char *buf, size_t len);
const char *ctl_roles_str(uint32_t roles, char *buf, size_t len);
void ctl_json_services(struct json *j, uint32_t svc);
void ctl_json_roles(struct json *j, uint32_t roles);


#endif /* VTLCTL_H */
