/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * Logging shared by vtld, vtl-hooker and vtl-netem: levels, stderr and/or
 * syslog, one write per message, libbpf's output routed through it. The
 * program names itself once (vtl_log_set_ident) before it logs.
 */
#ifndef VTL_LIB_LOG_H
#define VTL_LIB_LOG_H

enum vtl_log_level { VTL_LOG_WARN = 0, VTL_LOG_INFO = 1, VTL_LOG_DEBUG = 2 };

/* Where messages go (--log, "log =" in the configuration file). */
enum vtl_log_target {
	VTL_LOG_TO_STDERR = 1,
	VTL_LOG_TO_SYSLOG = 2,   /* openlog(ident, LOG_PID, LOG_DAEMON) */
	VTL_LOG_TO_BOTH   = 3,
};

/* The name on every line and in syslog ("vtld" unless set). */
void vtl_log_set_ident(const char *name);
void vtl_log_set_level(enum vtl_log_level lvl);
enum vtl_log_level vtl_log_level(void);
/* Select the targets (VTL_LOG_TO_*); opens or closes syslog as needed.
 * On stderr, when stderr is the systemd journal ($JOURNAL_STREAM), each
 * line carries a "<N>" priority prefix instead of the timestamp. */
void vtl_log_set_target(int target);
/* Routes libbpf's output through vtl_log: its warnings at VTL_LOG_WARN,
 * its info at VTL_LOG_DEBUG; its debug output is dropped unless asked for
 * with vtl_log_libbpf_debug(1) (then at VTL_LOG_DEBUG: the tools' -vv). */
void vtl_log_init_libbpf(void);
void vtl_log_libbpf_debug(int on);
/* Expected failures (probing): demote libbpf warnings to nothing. */
void vtl_log_mute_libbpf(int mute);
void vtl_log(enum vtl_log_level lvl, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

#define pr_warn(...)  vtl_log(VTL_LOG_WARN, __VA_ARGS__)
#define pr_info(...)  vtl_log(VTL_LOG_INFO, __VA_ARGS__)
#define pr_debug(...) vtl_log(VTL_LOG_DEBUG, __VA_ARGS__)

#endif
