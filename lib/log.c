// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * Logging with levels to stderr and/or syslog; libbpf's output is routed
 * through it. Levels map to syslog as warn -> LOG_WARNING, info ->
 * LOG_INFO, debug -> LOG_DEBUG. A message is formatted once and written
 * with one call per target, so lines from the pool's validation thread
 * (libbpf output during trial loads) do not interleave with the main
 * thread's.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>
#include <sys/stat.h>
#include <bpf/libbpf.h>
#include "log.h"

static enum vtl_log_level cur_level = VTL_LOG_INFO;
static int cur_target = VTL_LOG_TO_STDERR;
static bool syslog_open, stderr_journal;
static int libbpf_muted, libbpf_debug;

static char ident[32] = "vtld";

static const char *const level_names[] = { "warn", "info", "debug" };
static const int level_prio[] = { LOG_WARNING, LOG_INFO, LOG_DEBUG };

void vtl_log_mute_libbpf(int mute)
{
	libbpf_muted = mute;
}

void vtl_log_set_ident(const char *name)
{
	snprintf(ident, sizeof(ident), "%s", name);
	if (syslog_open) {
		closelog();
		openlog(ident, LOG_PID, LOG_DAEMON);
	}
}

enum vtl_log_level vtl_log_level(void)
{
	return cur_level;
}

void vtl_log_set_level(enum vtl_log_level lvl)
{
	cur_level = lvl;
}

/* systemd sets JOURNAL_STREAM=DEV:INO when stdout/stderr is the journal. */
static bool stderr_is_journal(void)
{
	const char *e = getenv("JOURNAL_STREAM");
	unsigned long long dev, ino;
	struct stat st;

	if (!e || sscanf(e, "%llu:%llu", &dev, &ino) != 2 || fstat(STDERR_FILENO, &st))
		return false;
	return (unsigned long long)st.st_dev == dev && (unsigned long long)st.st_ino == ino;
}

void vtl_log_set_target(int target)
{
	target &= VTL_LOG_TO_BOTH;
	if (!target)
		target = VTL_LOG_TO_STDERR;
	if ((target & VTL_LOG_TO_SYSLOG) && !syslog_open) {
		openlog(ident, LOG_PID, LOG_DAEMON);
		syslog_open = true;
	} else if (!(target & VTL_LOG_TO_SYSLOG) && syslog_open) {
		closelog();
		syslog_open = false;
	}
	stderr_journal = stderr_is_journal();
	cur_target = target;
}

static void to_stderr(enum vtl_log_level lvl, const char *msg)
{
	struct timespec ts;

	if (!stderr_journal) {
		clock_gettime(CLOCK_REALTIME, &ts);
		fprintf(stderr, "%s[%ld.%03ld] %s: %s", ident, (long)ts.tv_sec,
			ts.tv_nsec / 1000000L, level_names[lvl], msg);
		return;
	}
	/* The journal stamps time and pid itself; "<N>" sets the priority
	 * of each line (sd-daemon(3)). */
	for (const char *p = msg; *p;) {
		size_t n = strcspn(p, "\n");

		fprintf(stderr, "<%d>%s: %.*s\n", level_prio[lvl], level_names[lvl], (int)n, p);
		p += n + (p[n] == '\n');
	}
}

/* One syslog record per line; empty lines are left out. */
static void to_syslog(enum vtl_log_level lvl, const char *msg)
{
	for (const char *p = msg; *p;) {
		size_t n = strcspn(p, "\n");

		if (n)
			syslog(level_prio[lvl], "%.*s", (int)n, p);
		p += n + (p[n] == '\n');
	}
}

static void vlog(enum vtl_log_level lvl, const char *fmt, va_list ap)
{
	char buf[1024], *msg = buf;
	va_list aq;
	int n;

	if (lvl > cur_level)
		return;
	va_copy(aq, ap);
	n = vsnprintf(buf, sizeof(buf), fmt, aq);
	va_end(aq);
	if (n < 0)
		return;
	/* Long messages (libbpf's verifier log) are kept whole. */
	if ((size_t)n >= sizeof(buf)) {
		char *big = malloc((size_t)n + 1);

		if (big && vsnprintf(big, (size_t)n + 1, fmt, ap) >= 0)
			msg = big;
		else
			free(big);
	}
	if (cur_target & VTL_LOG_TO_STDERR)
		to_stderr(lvl, msg);
	if (cur_target & VTL_LOG_TO_SYSLOG)
		to_syslog(lvl, msg);
	if (msg != buf)
		free(msg);
}

/* errno is kept: callers log and then return -errno. */
void vtl_log(enum vtl_log_level lvl, const char *fmt, ...)
{
	int saved = errno;
	va_list ap;

	va_start(ap, fmt);
	vlog(lvl, fmt, ap);
	va_end(ap);
	errno = saved;
}

static int libbpf_print(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	enum vtl_log_level lvl = level == LIBBPF_WARN ? VTL_LOG_WARN :
				 level == LIBBPF_INFO || libbpf_debug ? VTL_LOG_DEBUG :
				 VTL_LOG_DEBUG + 1;

	if (lvl > VTL_LOG_DEBUG || (libbpf_muted && lvl != VTL_LOG_DEBUG))
		return 0;
	vlog(lvl, fmt, ap);
	return 0;
}

void vtl_log_libbpf_debug(int on)
{
	libbpf_debug = on;
}

void vtl_log_init_libbpf(void)
{
	libbpf_set_print(libbpf_print);
}
