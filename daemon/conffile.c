// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * vtld's configuration file (default /etc/vtl/vtld.conf; the format is
 * in docs/operations.md and daemon/vtld.conf):
 *
 *   # comment (a line of its own)
 *   key = value            global section: before the first [iface ...]
 *   [iface eth0]
 *   key = value            applies only when vtld serves eth0
 *
 * The parser works on a buffer of any bytes (no NUL terminator needed, no
 * allocation), so that it can be fuzzed directly: vtld_conf_apply(). It
 * checks every line of every section, whichever interface vtld serves,
 * and stops at the first problem with "FILE:LINE: what is wrong".
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include <vtl/shared.h>
#include "config.h"

#define CONF_MAX_BYTES    (1u << 20)  /* vtld_conf_load: larger files are refused */
#define CONF_MAX_SECTIONS 256
#define SHOW_MAX          64          /* bytes of a bad value quoted in a message */

const char *vtld_default_conf = VTL_DEFAULT_CONF;

const struct vtld_key_def vtld_keys[VTLD_K_COUNT] = {
	[VTLD_K_POOL]         = { "pool",         VTLD_T_PATH,   0, 0 },
	[VTLD_K_BPF_ROOT]     = { "bpf-root",     VTLD_T_PATH,   0, 0 },
	[VTLD_K_SOCKET]       = { "socket",       VTLD_T_PATH,   0, 0 },
	[VTLD_K_PIDFILE]      = { "pidfile",      VTLD_T_PATH,   0, 0 },
	[VTLD_K_RULES]        = { "rules",        VTLD_T_PATH,   0, 0 },
	[VTLD_K_WINDOW]       = { "window",       VTLD_T_U32,    1, VTL_WINDOW_MAX },
	[VTLD_K_RETX_BUFFERS] = { "retx-buffers", VTLD_T_U32,    64, 1u << 20 },
	[VTLD_K_NEGO_TIMEOUT] = { "nego-timeout", VTLD_T_U32,    10, 600000 },
	[VTLD_K_PEER_TIMEOUT] = { "peer-timeout", VTLD_T_U32,    100, 3600000 },
	[VTLD_K_LOG_LEVEL]    = { "log-level",    VTLD_T_LEVEL,  0, 0 },
	[VTLD_K_LOG]          = { "log",          VTLD_T_TARGET, 0, 0 },
	[VTLD_K_ENCAP]        = { "encap",        VTLD_T_ENCAP,  0, 0 },
	[VTLD_K_UDP_PORT]     = { "udp-port",     VTLD_T_U32,    0, 65535 },
	[VTLD_K_MIN_RTO]      = { "min-rto",      VTLD_T_U32,    1, 60000 },
};

int vtld_parse_encap(const char *s, size_t n, __u8 *encap, __u32 *port)
{
	__u32 x = 0;
	size_t i;

	if (n == 3 && !memcmp(s, "raw", 3)) {
		*encap = VTL_ENCAP_RAW;
		return 0;
	}
	if (n < 3 || memcmp(s, "udp", 3) || (n > 3 && s[3] != ':'))
		return -1;
	if (n > 3) {
		if (n == 4 || n > 9)
			return -1;
		for (i = 4; i < n; i++) {
			if (s[i] < '0' || s[i] > '9')
				return -1;
			x = x * 10 + (__u32)(s[i] - '0');
		}
		if (!x || x > 65535)
			return -1;
		*port = x;
	}
	*encap = VTL_ENCAP_UDP;
	return 0;
}

/* Long options that have no place in the file, and why. */
static const struct {
	const char *name, *why;
} cli_only[] = {
	{ "interface", "the interface comes from -i (vtld@IFACE under systemd); "
		       "put per-interface keys in an [iface NAME] section" },
	{ "foreground", "how vtld runs is chosen where it is started (-f)" },
	{ "config", "give it on the command line (-c FILE)" },
	{ "no-config", "give it on the command line" },
	{ "check-config", "it is a command-line option" },
	{ "verbose", "use log-level = debug" },
	{ "quiet", "use log-level = warn" },
	{ "help", "it is a command-line option" },
	{ "version", "it is a command-line option" },
};

struct section {
	char name[IF_NAMESIZE];
	unsigned line;
};

struct parser {
	struct vtld_config *c;
	unsigned keep;
	const char *name;
	char *err;
	size_t errlen;
	unsigned line;
	bool in_iface;                       /* false: the global section */
	bool applies;                        /* this section's keys are applied */
	unsigned seen;                       /* keys set in this section */
	unsigned seen_line[VTLD_K_COUNT];
	unsigned n_sec;
	struct section sec[CONF_MAX_SECTIONS];
};

/* A slice of the buffer. */
struct str {
	const char *p;
	size_t n;
};

static int fail(struct parser *ps, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static int fail(struct parser *ps, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (!ps->errlen)
		return -1;
	n = snprintf(ps->err, ps->errlen, "%s:%u: ", ps->name, ps->line);
	if (n < 0 || (size_t)n >= ps->errlen)
		return -1;
	va_start(ap, fmt);
	vsnprintf(ps->err + n, ps->errlen - (size_t)n, fmt, ap);
	va_end(ap);
	return -1;
}

/* s as it can be quoted in a message: printable ASCII, others '?',
 * at most SHOW_MAX bytes, then "...". */
static const char *show(struct str s, char out[SHOW_MAX + 4])
{
	size_t i, n = s.n < SHOW_MAX ? s.n : SHOW_MAX;

	for (i = 0; i < n; i++) {
		unsigned char ch = (unsigned char)s.p[i];

		out[i] = ch >= 0x20 && ch < 0x7f ? (char)ch : '?';
	}
	if (s.n > n)
		memcpy(out + n, "...", 3), n += 3;
	out[n] = '\0';
	return out;
}

static bool is_blank(char ch)
{
	return ch == ' ' || ch == '\t';
}

static struct str trim(struct str s)
{
	while (s.n && is_blank(s.p[0]))
		s.p++, s.n--;
	while (s.n && is_blank(s.p[s.n - 1]))
		s.n--;
	return s;
}

static bool eq(struct str s, const char *lit)
{
	return strlen(lit) == s.n && !memcmp(s.p, lit, s.n);
}

/* Linux's dev_valid_name(): 1..15 bytes, not "." or "..", no '/', ':'
 * or white space. */
static bool valid_ifname(struct str s)
{
	if (!s.n || s.n >= IF_NAMESIZE || eq(s, ".") || eq(s, ".."))
		return false;
	for (size_t i = 0; i < s.n; i++) {
		unsigned char ch = (unsigned char)s.p[i];

		if (ch == '/' || ch == ':' || ch <= ' ' || ch >= 0x7f)
			return false;
	}
	return true;
}

static int parse_section(struct parser *ps, struct str s)
{
	char shown[SHOW_MAX + 4];
	struct str in, word, name;
	size_t i;

	if (s.p[s.n - 1] != ']')
		return fail(ps, "section header '%s' does not end with ']'", show(s, shown));
	in = trim((struct str){ s.p + 1, s.n - 2 });
	for (i = 0; i < in.n && !is_blank(in.p[i]); i++)
		;
	word = (struct str){ in.p, i };
	name = trim((struct str){ in.p + i, in.n - i });
	if (!eq(word, "iface"))
		return fail(ps, "unknown section '%s' (the only section is [iface NAME])",
			    show(s, shown));
	if (!name.n)
		return fail(ps, "section [iface] needs an interface name: [iface NAME]");
	if (!valid_ifname(name))
		return fail(ps, "[iface %s]: not an interface name (1 to %d characters, "
			    "no '/', ':' or blanks)", show(name, shown), IF_NAMESIZE - 1);
	for (unsigned k = 0; k < ps->n_sec; k++)
		if (eq(name, ps->sec[k].name))
			return fail(ps, "section [iface %s] appears twice (first on line %u); "
				    "put its keys together", ps->sec[k].name, ps->sec[k].line);
	if (ps->n_sec == CONF_MAX_SECTIONS)
		return fail(ps, "too many sections (at most %d)", CONF_MAX_SECTIONS);
	memcpy(ps->sec[ps->n_sec].name, name.p, name.n);
	ps->sec[ps->n_sec].name[name.n] = '\0';
	ps->sec[ps->n_sec].line = ps->line;
	ps->applies = !strcmp(ps->sec[ps->n_sec].name, ps->c->ifname);
	ps->n_sec++;
	ps->in_iface = true;
	ps->seen = 0;
	return 0;
}

/* An absolute path with %i (the interface) and %% expanded, into out. */
static int parse_path(struct parser *ps, const char *key, struct str v, char *out)
{
	char shown[SHOW_MAX + 4];
	size_t n = 0, il = strlen(ps->c->ifname);
	bool too_long = false;

	if (v.p[0] != '/')
		return fail(ps, "%s: '%s' is not an absolute path", key, show(v, shown));
	for (size_t i = 0; i < v.n; i++) {
		const char *add = &v.p[i];
		size_t alen = 1;

		if (v.p[i] == '%') {
			if (i + 1 < v.n && v.p[i + 1] == 'i')
				add = ps->c->ifname, alen = il;
			else if (i + 1 >= v.n || v.p[i + 1] != '%')
				return fail(ps, "%s: '%s': '%%' must be followed by 'i' (the "
					    "interface) or '%%' (a percent sign)", key,
					    show(v, shown));
			i++;
		}
		if (n + alen >= PATH_MAX) {
			too_long = true;
			continue;
		}
		memcpy(out + n, add, alen);
		n += alen;
	}
	if (too_long)
		return fail(ps, "%s: '%s' is too long (at most %d bytes)", key, show(v, shown),
			    PATH_MAX - 1);
	out[n] = '\0';
	return 0;
}

static int parse_u32(struct parser *ps, const struct vtld_key_def *k, struct str v, __u32 *out)
{
	char shown[SHOW_MAX + 4];
	unsigned long long x = 0;
	size_t i;

	for (i = 0; i < v.n && v.p[i] >= '0' && v.p[i] <= '9'; i++)
		if (x <= 0xffffffffull)
			x = x * 10 + (unsigned)(v.p[i] - '0');
	if (i < v.n)
		return fail(ps, "%s: '%s' is not a number (expected %u..%u)", k->name,
			    show(v, shown), k->min, k->max);
	if (x < k->min || x > k->max)
		return fail(ps, "%s: '%s' is outside %u..%u", k->name, show(v, shown), k->min,
			    k->max);
	*out = (__u32)x;
	return 0;
}

static int parse_value(struct parser *ps, enum vtld_key key, struct str v)
{
	static const char *const levels[] = { "warn", "info", "debug" };
	static const char *const targets[] = { NULL, "stderr", "syslog", "both" };
	const struct vtld_key_def *k = &vtld_keys[key];
	struct vtld_config *c = ps->c;
	bool apply = ps->applies && !(ps->keep & VTLD_KEY(key));
	char shown[SHOW_MAX + 4], path[PATH_MAX];
	__u32 u = 0;
	int i;

	switch (k->type) {
	case VTLD_T_PATH:
		if (parse_path(ps, k->name, v, path))
			return -1;
		if (!apply)
			return 0;
		switch (key) {
		case VTLD_K_POOL:     strcpy(c->pool_dir, path); break;
		case VTLD_K_BPF_ROOT: strcpy(c->bpf_root, path); break;
		case VTLD_K_SOCKET:   strcpy(c->socket_path, path); break;
		case VTLD_K_PIDFILE:  strcpy(c->pidfile, path); break;
		default:              strcpy(c->rules_path, path); break;
		}
		return 0;
	case VTLD_T_U32:
		if (parse_u32(ps, k, v, &u))
			return -1;
		if (!apply)
			return 0;
		switch (key) {
		case VTLD_K_WINDOW:       c->default_window = u; break;
		case VTLD_K_RETX_BUFFERS: c->retx_bufs = u; break;
		case VTLD_K_NEGO_TIMEOUT: c->nego_timeout_ms = u; break;
		case VTLD_K_UDP_PORT:     c->udp_port = u; break;
		case VTLD_K_MIN_RTO:      c->min_rto_ms = u; break;
		default:                  c->peer_timeout_ms = u; break;
		}
		return 0;
	case VTLD_T_ENCAP: {
		__u8 e;
		__u32 port = c->udp_port;

		if (vtld_parse_encap(v.p, v.n, &e, &port))
			return fail(ps, "%s: '%s' is not raw, udp or udp:PORT (1..65535)", k->name,
				    show(v, shown));
		if (apply) {
			c->encap = e;
			c->udp_port = port;
		}
		return 0;
	}
	case VTLD_T_LEVEL:
		for (i = 0; i < 3 && !eq(v, levels[i]); i++)
			;
		if (i == 3)
			return fail(ps, "%s: '%s' is not one of warn, info, debug", k->name,
				    show(v, shown));
		if (apply)
			c->verbosity = i;
		return 0;
	case VTLD_T_TARGET:
		for (i = 1; i < 4 && !eq(v, targets[i]); i++)
			;
		if (i == 4)
			return fail(ps, "%s: '%s' is not one of stderr, syslog, both", k->name,
				    show(v, shown));
		if (apply)
			c->log_target = i;
		return 0;
	}
	return 0;
}

/* "retx_buffers", "Window": the key that was probably meant, or NULL. */
static const char *near_key(struct str key)
{
	char norm[32];

	if (key.n >= sizeof(norm))
		return NULL;
	for (size_t i = 0; i < key.n; i++) {
		char ch = key.p[i];

		norm[i] = ch == '_' ? '-' : ch >= 'A' && ch <= 'Z' ? (char)(ch - 'A' + 'a') : ch;
	}
	for (int k = 0; k < VTLD_K_COUNT; k++)
		if (eq(key, vtld_keys[k].name))
			return NULL;
	for (int k = 0; k < VTLD_K_COUNT; k++)
		if (eq((struct str){ norm, key.n }, vtld_keys[k].name))
			return vtld_keys[k].name;
	return NULL;
}

static int parse_pair(struct parser *ps, struct str s)
{
	const char *eqp = memchr(s.p, '=', s.n), *near;
	char shown[SHOW_MAX + 4];
	struct str key, v;
	int k;

	if (!eqp)
		return fail(ps, "expected 'key = value' or '[iface NAME]', got '%s'",
			    show(s, shown));
	key = trim((struct str){ s.p, (size_t)(eqp - s.p) });
	v = trim((struct str){ eqp + 1, s.n - (size_t)(eqp - s.p) - 1 });
	if (!key.n)
		return fail(ps, "no key before '='");
	for (size_t i = 0; i < key.n; i++) {
		char ch = key.p[i];

		if (!(ch >= 'a' && ch <= 'z') && !(ch >= 'A' && ch <= 'Z') &&
		    !(ch >= '0' && ch <= '9') && ch != '-' && ch != '_')
			return fail(ps, "'%s' is not a key (expected 'key = value')",
				    show(key, shown));
	}
	for (k = 0; k < VTLD_K_COUNT && !eq(key, vtld_keys[k].name); k++)
		;
	if (k == VTLD_K_COUNT) {
		for (size_t i = 0; i < sizeof(cli_only) / sizeof(cli_only[0]); i++)
			if (eq(key, cli_only[i].name))
				return fail(ps, "%s: not allowed in the file: %s", cli_only[i].name,
					    cli_only[i].why);
		near = near_key(key);
		return fail(ps, "unknown key '%s'%s%s%s", show(key, shown),
			    near ? " (did you mean '" : "", near ? near : "", near ? "'?)" : "");
	}
	if (ps->seen & VTLD_KEY(k))
		return fail(ps, "%s: set twice in %s (first on line %u)", vtld_keys[k].name,
			    ps->in_iface ? "this section" : "the global section",
			    ps->seen_line[k]);
	ps->seen |= VTLD_KEY(k);
	ps->seen_line[k] = ps->line;
	if (!v.n)
		return fail(ps, "%s: empty value", vtld_keys[k].name);
	for (size_t i = 1; i < v.n; i++)
		if (v.p[i] == '#' && is_blank(v.p[i - 1]))
			return fail(ps, "%s: '%s': a comment must be on a line of its own",
				    vtld_keys[k].name, show(v, shown));
	return parse_value(ps, (enum vtld_key)k, v);
}

static int parse_line(struct parser *ps, struct str s)
{
	for (size_t i = 0; i < s.n; i++) {
		unsigned char ch = (unsigned char)s.p[i];

		if (ch == 0)
			return fail(ps, "NUL byte in the line (not a text file?)");
		if ((ch < 0x20 && ch != '\t') || ch == 0x7f)
			return fail(ps, "control character 0x%02x in the line", ch);
	}
	s = trim(s);
	if (!s.n || s.p[0] == '#')
		return 0;
	if (s.p[0] == '[')
		return parse_section(ps, s);
	return parse_pair(ps, s);
}

int vtld_conf_apply(struct vtld_config *c, unsigned keep, const char *name,
		    const char *buf, size_t len, char *err, size_t errlen)
{
	struct parser parser, *ps = &parser;   /* about 5 KiB */
	const char *p, *end;
	int r = 0;

	if (errlen)
		err[0] = '\0';
	if (!buf)
		buf = "", len = 0;
	p = buf;
	end = buf + len;
	memset(ps, 0, sizeof(*ps));
	ps->c = c;
	ps->keep = keep;
	ps->name = name;
	ps->err = err;
	ps->errlen = errlen;
	ps->applies = true;                 /* the global section */
	if (len >= 3 && !memcmp(p, "\xef\xbb\xbf", 3))
		p += 3;                     /* a UTF-8 byte order mark */
	while (p < end && !r) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		struct str line = { p, (size_t)((nl ? nl : end) - p) };

		ps->line++;
		if (line.n && line.p[line.n - 1] == '\r')
			line.n--;           /* CRLF */
		r = parse_line(ps, line);
		p = nl ? nl + 1 : end;
	}
	return r;
}

int vtld_conf_load(struct vtld_config *c, unsigned keep, const char *path,
		   bool must_exist, char *err, size_t errlen)
{
	struct stat st;
	char *buf = NULL;
	size_t len = 0;
	ssize_t n = 0;
	int fd, r = -1;

	fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC | O_NOCTTY);
	if (fd < 0) {
		if (!must_exist && (errno == ENOENT || errno == ENOTDIR))
			return 1;
		snprintf(err, errlen, "%s: cannot open: %s", path, strerror(errno));
		return -1;
	}
	if (fstat(fd, &st)) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		goto out;
	}
	if (!S_ISREG(st.st_mode)) {
		snprintf(err, errlen, "%s: not a regular file", path);
		goto out;
	}
	buf = malloc(CONF_MAX_BYTES + 1);
	if (!buf) {
		snprintf(err, errlen, "%s: out of memory", path);
		goto out;
	}
	/* Read to the end, one byte more than allowed to notice a large file. */
	while (len <= CONF_MAX_BYTES &&
	       ((n = read(fd, buf + len, CONF_MAX_BYTES + 1 - len)) > 0 ||
		(n < 0 && errno == EINTR)))
		len += n > 0 ? (size_t)n : 0;
	if (len <= CONF_MAX_BYTES && n < 0) {
		snprintf(err, errlen, "%s: cannot read: %s", path, strerror(errno));
		goto out;
	}
	if (len > CONF_MAX_BYTES) {
		snprintf(err, errlen, "%s: larger than %u bytes; not a vtld configuration file",
			 path, CONF_MAX_BYTES);
		goto out;
	}
	r = vtld_conf_apply(c, keep, path, buf, len, err, errlen);
	if (!r && snprintf(c->conf_path, sizeof(c->conf_path), "%s", path) >= (int)sizeof(c->conf_path))
		c->conf_path[0] = '\0';
out:
	free(buf);
	close(fd);
	return r;
}
