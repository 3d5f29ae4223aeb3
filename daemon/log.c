// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* Logging with levels to stderr; libbpf's output is routed through it. */
#include <stdarg.h>
#include <stdio.h>
#include <time.h>
#include <bpf/libbpf.h>
#include "log.h"

static enum vtl_log_level cur_level = VTL_LOG_INFO;
static int libbpf_muted;

void vtl_log_mute_libbpf(int mute)
{
	libbpf_muted = mute;
}

void vtl_log_set_level(enum vtl_log_level lvl)
{
	cur_level = lvl;
}

static void vlog(enum vtl_log_level lvl, const char *fmt, va_list ap)
{
	static const char *names[] = { "warn", "info", "debug" };
	struct timespec ts;

	if (lvl > cur_level)
		return;
	clock_gettime(CLOCK_REALTIME, &ts);
	fprintf(stderr, "vtld[%ld.%03ld] %s: ", (long)ts.tv_sec, ts.tv_nsec / 1000000L, names[lvl]);
	vfprintf(stderr, fmt, ap);
}

void vtl_log(enum vtl_log_level lvl, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vlog(lvl, fmt, ap);
	va_end(ap);
}

static int libbpf_print(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	enum vtl_log_level lvl = level == LIBBPF_WARN ? VTL_LOG_WARN :
				 level == LIBBPF_INFO ? VTL_LOG_DEBUG : VTL_LOG_DEBUG + 1;

	if (lvl > VTL_LOG_DEBUG || (libbpf_muted && lvl != VTL_LOG_DEBUG))
		return 0;
	vlog(lvl, fmt, ap);
	return 0;
}

void vtl_log_init_libbpf(void)
{
	libbpf_set_print(libbpf_print);
}
