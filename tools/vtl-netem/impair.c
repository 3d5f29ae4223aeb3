// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * impair.c: what happens to one frame (loss, burst loss, rate, delay,
 * jitter, reordering, duplication, corruption) and the parsers of the
 * impairment parameters, shared by the command line and the control socket.
 *
 * Per frame that matches the filter, in this order (as sch_netem does):
 *   1. random loss; 2. Gilbert-Elliott loss (the chain steps on every
 *   frame); 3. --limit (frames held); 4. bottleneck: the frame is
 *   serialised at --rate after the frames before it, tail drop when the
 *   buffer (--queue) is full; 5. reordering: the frame skips the delay;
 *   otherwise delay + jitter, never before the previous frame unless jitter
 *   is allowed to reorder; 6. corruption; 7. duplication (the copy is
 *   serialised and delayed like a new frame, never lost or reordered).
 * Before them, drop-nth N (deterministic, no randomness): the Nth new DATA
 * frame of every VTL session (retransmissions, flag VTL_F_RETX, do not
 * count) is dropped; e.g. a 10-packet request loses exactly its last packet.
 * Every random stream is drawn the same number of times for every frame,
 * whatever is enabled: with the same seed and the same frames, the same
 * frames are lost whether or not e.g. duplication is on.
 */
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "netem.h"

/* ---- PRNG: xoshiro256**, seeded by splitmix64 ------------------------- */

static uint64_t splitmix64(uint64_t *x)
{
	uint64_t z = (*x += 0x9e3779b97f4a7c15ull);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

void nm_rng_seed(struct nm_rng *r, uint64_t seed, uint64_t stream)
{
	uint64_t x = seed ^ (stream * 0xd1b54a32d192ed03ull);

	for (int i = 0; i < 4; i++)
		r->s[i] = splitmix64(&x);
}

static inline uint64_t rotl(uint64_t x, int k)
{
	return (x << k) | (x >> (64 - k));
}

uint64_t nm_rng_next(struct nm_rng *r)
{
	uint64_t *s = r->s, res = rotl(s[1] * 5, 7) * 9, t = s[1] << 17;

	s[2] ^= s[0];
	s[3] ^= s[1];
	s[1] ^= s[2];
	s[0] ^= s[3];
	s[2] ^= t;
	s[3] = rotl(s[3], 45);
	return res;
}

double nm_rng_unit(struct nm_rng *r)
{
	return (double)(nm_rng_next(r) >> 11) * 0x1.0p-53;
}

void nm_dir_reseed(struct nm_dirstate *d, uint64_t seed, int dir)
{
	for (int i = 0; i < NM_RNG_N; i++)
		nm_rng_seed(&d->rng[i], seed, (uint64_t)dir * NM_RNG_N + i + 1);
	d->ge_bad = false;
}

/* ---- decisions ---------------------------------------------------------- */

void nm_params_default(struct nm_params *p)
{
	memset(p, 0, sizeof(*p));
	p->dist = NM_DIST_UNIFORM;
	p->queue_ns = NM_DEFAULT_QUEUE_NS;
	p->limit = NM_DEFAULT_LIMIT;
	p->filter = NM_FILTER_ALL;
}

bool nm_params_identity(const struct nm_params *p)
{
	return !p->delay_ns && !p->jitter_ns && !p->loss && !p->ge && !p->reorder &&
	       !p->dup && !p->corrupt && !p->rate_bps && !p->drop_nth;
}

/* Offset of the L3 header and its ethertype (one in-band VLAN tag skipped). */
static uint32_t l3_off(const uint8_t *f, uint32_t len, uint16_t *etype)
{
	uint32_t off = 12;

	*etype = 0;
	if (len < 14)
		return len;
	*etype = (uint16_t)(f[12] << 8 | f[13]);
	if ((*etype == 0x8100 || *etype == 0x88a8) && len >= 18) {
		*etype = (uint16_t)(f[16] << 8 | f[17]);
		off += 4;
	}
	return off + 2;
}

bool nm_match(const struct nm_params *p, const uint8_t *f, uint32_t len)
{
	uint16_t et;
	uint32_t l3;

	if (p->filter == NM_FILTER_ALL)
		return true;
	l3 = l3_off(f, len, &et);
	return et == 0x0800 && l3 + 20 <= len && f[l3 + 9] == (uint8_t)p->filter;
}

/* Bit to flip: somewhere after the IPv4/IPv6 header (the transport header
 * or data), so that the receiver's transport checksum has to catch it;
 * after the Ethernet header for anything else. */
static int64_t corrupt_bit(const uint8_t *f, uint32_t len, uint64_t r)
{
	uint16_t et;
	uint32_t start = l3_off(f, len, &et);

	if (et == 0x0800 && start + 20 <= len)
		start += (f[start] & 0x0f) * 4u;
	else if (et == 0x86dd)
		start += 40;
	if (start >= len)
		start = len > 14 ? 14 : len;
	if (start >= len)
		return -1;
	return (int64_t)start * 8 + (int64_t)(r % ((uint64_t)(len - start) * 8));
}

/* Serialise len bytes on the bottleneck. Returns the time the frame has
 * left it, or 0 when the buffer is full (tail drop). */
static uint64_t bottleneck(struct nm_dirstate *d, uint64_t now, uint32_t len)
{
	const struct nm_params *p = &d->p;
	uint64_t start, backlog, qlim;

	if (!p->rate_bps || d->tbf)     /* no rate, or tc tbf does it */
		return now;
	start = d->tx_end > now ? d->tx_end : now;
	backlog = (uint64_t)((double)(start - now) * p->rate_bps / 8e9);
	qlim = p->queue_bytes ? p->queue_bytes : (uint64_t)((double)p->queue_ns * p->rate_bps / 8e9);
	if (backlog > 0 && backlog + len > qlim)
		return 0;
	d->tx_end = start + (uint64_t)((double)len * 8e9 / p->rate_bps);
	return d->tx_end;
}

static uint64_t delayed(struct nm_dirstate *d, uint64_t base, double z)
{
	const struct nm_params *p = &d->p;
	double j = p->dist == NM_DIST_NORMAL ? z : 2.0 * (z - 0.5);
	int64_t dl = (int64_t)p->delay_ns + (int64_t)(j * (double)p->jitter_ns);
	uint64_t due = base + (dl > 0 ? (uint64_t)dl : 0);

	if ((!p->jitter_ns || p->no_reorder_jitter) && due < d->last_due)
		due = d->last_due;
	if (due > d->last_due)
		d->last_due = due;
	return due;
}

/* drop-nth: is f the Nth new (not retransmitted) VTL DATA frame of its
 * session in this direction? Sessions are tracked by id in a small table;
 * the oldest entry is reused when a new session shows up. */
static bool nth_hit(struct nm_dirstate *d, const uint8_t *f, uint32_t len)
{
	uint16_t et;
	uint32_t l3 = l3_off(f, len, &et), l4, sid, i;

	if (et != 0x0800 || l3 + 20 > len || f[l3 + 9] != 253)
		return false;
	l4 = l3 + (f[l3] & 0x0f) * 4u;
	if (l4 + 32 > len || f[l4 + 1] != 4 /* VTL_T_DATA */ || (f[l4 + 2] & 0x01 /* RETX */))
		return false;
	sid = (uint32_t)f[l4 + 4] << 24 | (uint32_t)f[l4 + 5] << 16 |
	      (uint32_t)f[l4 + 6] << 8 | f[l4 + 7];
	for (i = 0; i < NM_NTH_SESSIONS; i++)
		if (d->nth[i].n && d->nth[i].sid == sid)
			break;
	if (i == NM_NTH_SESSIONS) {
		i = d->nth_next++ % NM_NTH_SESSIONS;
		d->nth[i].sid = sid;
		d->nth[i].n = 0;
	}
	return ++d->nth[i].n == d->p.drop_nth;
}

void nm_impair(struct nm_dirstate *d, uint64_t now, const uint8_t *f, uint32_t len,
	       struct nm_verdict *v)
{
	const struct nm_params *p = &d->p;
	struct nm_rng *r = d->rng;
	double u_loss = nm_rng_unit(&r[NM_RNG_LOSS]);
	double u_ge1 = nm_rng_unit(&r[NM_RNG_GE]), u_ge2 = nm_rng_unit(&r[NM_RNG_GE]);
	double u_re = nm_rng_unit(&r[NM_RNG_REORDER]), u_dup = nm_rng_unit(&r[NM_RNG_DUP]);
	double u_cor = nm_rng_unit(&r[NM_RNG_CORRUPT]);
	uint64_t r_cor = nm_rng_next(&r[NM_RNG_CORRUPT]);
	double j1 = nm_rng_unit(&r[NM_RNG_JITTER]), j2 = nm_rng_unit(&r[NM_RNG_JITTER]);
	double z0 = j1, z1 = j2;
	bool ge_lost = false;
	uint64_t base;

	memset(v, 0, sizeof(*v));
	v->corrupt_bit = -1;
	if (p->dist == NM_DIST_NORMAL) {     /* Box-Muller: two N(0,1) */
		double m = sqrt(-2.0 * log(1.0 - j1));

		z0 = m * cos(2 * M_PI * j2);
		z1 = m * sin(2 * M_PI * j2);
	}
	if (p->ge) {
		ge_lost = u_ge2 < (d->ge_bad ? p->ge_bad : p->ge_good);
		if (d->ge_bad ? u_ge1 < p->ge_r : u_ge1 < p->ge_p)
			d->ge_bad = !d->ge_bad;
	} else {
		d->ge_bad = false;
	}
	if (p->drop_nth && nth_hit(d, f, len)) {
		v->drop = NM_DROP_NTH;
		return;
	}
	if (u_loss < p->loss) {
		v->drop = NM_DROP_LOSS;
		return;
	}
	if (ge_lost) {
		v->drop = NM_DROP_BURST;
		return;
	}
	if (d->q.n >= p->limit) {
		v->drop = NM_DROP_LIMIT;
		return;
	}
	base = bottleneck(d, now, len);
	if (!base) {
		v->drop = NM_DROP_QUEUE;
		return;
	}
	if (u_re < p->reorder && (p->delay_ns || p->jitter_ns)) {
		v->due = base;
		v->reordered = true;
	} else {
		v->due = delayed(d, base, z0);
	}
	if (u_cor < p->corrupt)
		v->corrupt_bit = corrupt_bit(f, len, r_cor);
	if (u_dup < p->dup && d->q.n + 1 < p->limit) {
		base = bottleneck(d, now, len);
		if (base) {
			v->dup = true;
			v->dup_due = delayed(d, base, z1);
		}
	}
}

/* ---- parsers ------------------------------------------------------------ */

#define ERR(...) (snprintf(err, errlen, __VA_ARGS__), -1)

int nm_parse_u64(const char *s, uint64_t *out)
{
	char *end;

	if (!s || !isdigit((unsigned char)s[0]))
		return -1;
	errno = 0;
	*out = strtoull(s, &end, 0);
	return errno || *end ? -1 : 0;
}

/* A non-negative finite number followed by a unit; *unit points at it. */
static int parse_num(const char *s, double *v, const char **unit)
{
	char *end;

	if (!s || !*s || isspace((unsigned char)*s) || *s == '-' || *s == '+')
		return -1;
	errno = 0;
	*v = strtod(s, &end);
	if (errno || end == s || !isfinite(*v) || *v < 0 || !strncasecmp(s, "0x", 2) ||
	    !strncasecmp(s, "inf", 3) || !strncasecmp(s, "nan", 3))
		return -1;
	*unit = end;
	return 0;
}

/* "10ms", "1.5" (ms), "200us", "0.02s", "500ns" */
static int parse_time(const char *s, uint64_t *ns)
{
	static const struct { const char *u; double mul; } units[] = {
		{ "", 1e6 }, { "ms", 1e6 }, { "us", 1e3 }, { "ns", 1 }, { "s", 1e9 },
		{ "msec", 1e6 }, { "usec", 1e3 }, { "sec", 1e9 },
	};
	const char *u;
	double v;

	if (parse_num(s, &v, &u))
		return -1;
	for (size_t i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
		if (!strcasecmp(u, units[i].u)) {
			v *= units[i].mul;
			if (v > 3600e9)
				return -1;
			*ns = (uint64_t)(v + 0.5);
			return 0;
		}
	}
	return -1;
}

/* "2%", "2", "0.5%" -> probability 0..1 */
static int parse_pct(const char *s, double *prob)
{
	const char *u;
	double v;

	if (parse_num(s, &v, &u) || (*u && strcmp(u, "%")))
		return -1;
	if (v > 100)
		return -2;
	*prob = v / 100;
	return 0;
}

/* "16" (Mb/s), "16mbit", "16M", "500kbit", "1gbit", "2000000bit", "off" */
static int parse_rate(const char *s, uint64_t *bps)
{
	static const struct { const char *u; double mul; } units[] = {
		{ "", 1e6 }, { "bit", 1 }, { "k", 1e3 }, { "kbit", 1e3 }, { "m", 1e6 },
		{ "mbit", 1e6 }, { "g", 1e9 }, { "gbit", 1e9 }, { "mb/s", 1e6 },
		{ "mbps", 1e6 }, { "kb/s", 1e3 }, { "gb/s", 1e9 },
	};
	const char *u;
	double v;

	if (!strcasecmp(s, "off")) {
		*bps = 0;
		return 0;
	}
	if (parse_num(s, &v, &u))
		return -1;
	for (size_t i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
		if (!strcasecmp(u, units[i].u)) {
			v *= units[i].mul;
			if (v > 1e12 || (v > 0 && v < 1000))
				return -1;
			*bps = (uint64_t)(v + 0.5);
			return 0;
		}
	}
	return -1;
}

/* "100ms" (time at the rate) or "64kb", "150000b", "1mb" (bytes) */
static int parse_queue(const char *s, uint64_t *bytes, uint64_t *ns)
{
	static const struct { const char *u; double mul; } units[] = {
		{ "b", 1 }, { "k", 1024 }, { "kb", 1024 }, { "m", 1048576 }, { "mb", 1048576 },
	};
	const char *u;
	double v;

	if (parse_num(s, &v, &u) || !*u)
		return -1;
	for (size_t i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
		if (!strcasecmp(u, units[i].u)) {
			v *= units[i].mul;
			if (v < 1 || v > (1ull << 32))
				return -1;
			*bytes = (uint64_t)v;
			*ns = 0;
			return 0;
		}
	}
	if (parse_time(s, ns) || !*ns)
		return -1;
	*bytes = 0;
	return 0;
}

static int parse_filter(const char *s, int *filter)
{
	static const struct { const char *n; int v; } names[] = {
		{ "all", NM_FILTER_ALL }, { "vtl", 253 }, { "udp", 17 }, { "tcp", 6 },
		{ "icmp", 1 },
	};
	uint64_t v;

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		if (!strcasecmp(s, names[i].n)) {
			*filter = names[i].v;
			return 0;
		}
	}
	if (nm_parse_u64(s, &v) || v > 255)
		return -1;
	*filter = (int)v;
	return 0;
}

/* "P,R[,BAD[,GOOD]]" in percent, or "off" */
static int parse_ge(const char *s, struct nm_params *p, char *err, size_t errlen)
{
	double v[4] = { 0, -1, 1, 0 };
	char buf[128], *tok, *save = NULL;
	int i = 0;

	if (!strcasecmp(s, "off") || !strcmp(s, "0")) {
		p->ge = false;
		return 0;
	}
	if (strlen(s) >= sizeof(buf))
		return ERR("'%s' is too long", s);
	strcpy(buf, s);
	for (tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		if (i == 4)
			return ERR("'%s' has more than 4 values (P,R,LOSS_BAD,LOSS_GOOD)", s);
		if (parse_pct(tok, &v[i]))
			return ERR("'%s' is not a percentage%s (in '%s')", tok,
				   parse_pct(tok, &v[i]) == -2 ? " (0..100)" : "", s);
		i++;
	}
	if (!i || !v[0])
		return ERR("'%s' needs P > 0 (P,R[,LOSS_BAD[,LOSS_GOOD]] in %%)", s);
	p->ge = true;
	p->ge_p = v[0];
	p->ge_r = v[1] < 0 ? 1 - v[0] : v[1];
	p->ge_bad = v[2];
	p->ge_good = v[3];
	return 0;
}

static const struct nm_key {
	const char *key;
	bool value;
} keys[] = {
	{ "delay", true }, { "jitter", true }, { "dist", true }, { "no-reorder-jitter", false },
	{ "reorder-jitter", false }, { "loss", true }, { "ge", true }, { "burst-loss", true },
	{ "reorder", true }, { "dup", true }, { "duplicate", true }, { "corrupt", true },
	{ "rate", true }, { "queue", true }, { "limit", true }, { "filter", true },
	{ "vtl-only", false }, { "drop-nth", true },
};

static const struct nm_key *find_key(const char *key)
{
	for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
		if (!strcmp(key, keys[i].key))
			return &keys[i];
	return NULL;
}

bool nm_param_known(const char *key)
{
	return find_key(key) != NULL;
}

bool nm_param_takes_value(const char *key)
{
	const struct nm_key *k = find_key(key);

	return k && k->value;
}

int nm_param_set(struct nm_params *p, const char *key, const char *val,
		 char *err, size_t errlen)
{
	const struct nm_key *k = find_key(key);
	uint64_t u;

	if (!k)
		return ERR("unknown parameter '%s'", key);
	if (k->value && !val)
		return ERR("needs a value");
	if (!strcmp(key, "delay") || !strcmp(key, "jitter")) {
		if (parse_time(val, &u))
			return ERR("'%s' is not a time (e.g. 10ms, 1.5ms, 200us, 0.3s)", val);
		*(key[0] == 'd' ? &p->delay_ns : &p->jitter_ns) = u;
	} else if (!strcmp(key, "dist")) {
		if (!strcasecmp(val, "uniform"))
			p->dist = NM_DIST_UNIFORM;
		else if (!strcasecmp(val, "normal"))
			p->dist = NM_DIST_NORMAL;
		else
			return ERR("'%s' is not a distribution (uniform or normal)", val);
	} else if (!strcmp(key, "no-reorder-jitter") || !strcmp(key, "reorder-jitter")) {
		p->no_reorder_jitter = key[0] == 'n';
	} else if (!strcmp(key, "loss") || !strcmp(key, "reorder") || !strcmp(key, "dup") ||
		   !strcmp(key, "duplicate") || !strcmp(key, "corrupt")) {
		double *dst = key[0] == 'l' ? &p->loss : key[0] == 'r' ? &p->reorder :
			      key[0] == 'd' ? &p->dup : &p->corrupt;

		int e = parse_pct(val, dst);

		if (e)
			return ERR("'%s' is not a percentage%s", val, e == -2 ? " (0..100)" : "");
	} else if (!strcmp(key, "ge") || !strcmp(key, "burst-loss")) {
		return parse_ge(val, p, err, errlen);
	} else if (!strcmp(key, "rate")) {
		if (parse_rate(val, &p->rate_bps))
			return ERR("'%s' is not a rate (Mb/s, or with a unit: 500kbit, 16mbit, 1gbit; off)", val);
	} else if (!strcmp(key, "queue")) {
		if (parse_queue(val, &p->queue_bytes, &p->queue_ns))
			return ERR("'%s' is not a buffer size (a time at the rate such as 100ms, or bytes such as 64kb)", val);
	} else if (!strcmp(key, "limit")) {
		if (nm_parse_u64(val, &u) || u < 1 || u > 10000000)
			return ERR("'%s' is not a frame count (1..10000000)", val);
		p->limit = (uint32_t)u;
	} else if (!strcmp(key, "filter")) {
		if (parse_filter(val, &p->filter))
			return ERR("'%s' is not a filter (all, vtl, udp, tcp, icmp or an IPv4 protocol number)", val);
	} else if (!strcmp(key, "vtl-only")) {
		p->filter = 253;
	} else if (!strcmp(key, "drop-nth")) {
		if (!strcmp(val, "off"))
			u = 0;
		else if (nm_parse_u64(val, &u) || u < 1 || u > 0xffffffffu)
			return ERR("'%s' is not a packet number (1.., or off)", val);
		p->drop_nth = (uint32_t)u;
	}
	return 0;
}

/* ---- printing ----------------------------------------------------------- */

static const char *fmt_ms(char *b, size_t n, uint64_t ns)
{
	snprintf(b, n, "%.6gms", ns / 1e6);
	return b;
}

void nm_params_str(const struct nm_params *p, char *buf, size_t len)
{
	char t1[32], t2[32], q[48], ge[96], f[16], r[32];

	if (p->filter == NM_FILTER_ALL)
		snprintf(f, sizeof(f), "all");
	else
		snprintf(f, sizeof(f), "%s%d", p->filter == 253 ? "vtl/" : "", p->filter);
	if (p->ge)
		snprintf(ge, sizeof(ge), "%g%%,%g%%,%g%%,%g%%", p->ge_p * 100, p->ge_r * 100,
			 p->ge_bad * 100, p->ge_good * 100);
	else
		snprintf(ge, sizeof(ge), "off");
	if (p->queue_bytes)
		snprintf(q, sizeof(q), "%llub", (unsigned long long)p->queue_bytes);
	else
		fmt_ms(q, sizeof(q), p->queue_ns);
	if (p->rate_bps)
		snprintf(r, sizeof(r), "%.6gmbit", p->rate_bps / 1e6);
	else
		snprintf(r, sizeof(r), "off");
	snprintf(buf, len,
		 "delay %s jitter %s dist %s%s loss %g%% ge %s reorder %g%% dup %g%% "
		 "corrupt %g%% rate %s queue %s limit %u filter %s drop-nth %u",
		 fmt_ms(t1, sizeof(t1), p->delay_ns), fmt_ms(t2, sizeof(t2), p->jitter_ns),
		 p->dist == NM_DIST_NORMAL ? "normal" : "uniform",
		 p->no_reorder_jitter ? " no-reorder-jitter" : "", p->loss * 100, ge,
		 p->reorder * 100, p->dup * 100, p->corrupt * 100, r, q, p->limit, f,
		 p->drop_nth);
}

/* The parameters as one JSON object (lib/json.h): times in ms and
 * probabilities in percent with 6 decimals (ns and 1e-8 exact). */
void nm_params_json(const struct nm_params *p, struct json *j)
{
	json_obj_open(j);
	json_kv_double(j, "delay_ms", p->delay_ns / 1e6, 6);
	json_kv_double(j, "jitter_ms", p->jitter_ns / 1e6, 6);
	json_kv_str(j, "dist", p->dist == NM_DIST_NORMAL ? "normal" : "uniform");
	json_kv_bool(j, "reorder_jitter", !p->no_reorder_jitter);
	json_kv_double(j, "loss_pct", p->loss * 100, 6);
	json_key(j, "ge");
	if (p->ge) {
		json_obj_open(j);
		json_kv_double(j, "p_pct", p->ge_p * 100, 6);
		json_kv_double(j, "r_pct", p->ge_r * 100, 6);
		json_kv_double(j, "loss_bad_pct", p->ge_bad * 100, 6);
		json_kv_double(j, "loss_good_pct", p->ge_good * 100, 6);
		json_obj_close(j);
	} else {
		json_null(j);
	}
	json_kv_double(j, "reorder_pct", p->reorder * 100, 6);
	json_kv_double(j, "dup_pct", p->dup * 100, 6);
	json_kv_double(j, "corrupt_pct", p->corrupt * 100, 6);
	json_kv_uint(j, "rate_bps", p->rate_bps);
	json_kv_uint(j, "queue_bytes", p->queue_bytes);
	json_kv_double(j, "queue_ms", p->queue_ns / 1e6, 6);
	json_kv_uint(j, "limit", p->limit);
	json_kv_uint(j, "drop_nth", p->drop_nth);
	if (p->filter == NM_FILTER_ALL)
		json_kv_str(j, "filter", "all");
	else
		json_kv_uint(j, "filter", (uint64_t)p->filter);
	json_obj_close(j);
}
