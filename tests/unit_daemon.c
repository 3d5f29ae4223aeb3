// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * Unit tests for vtld's parts that need no kernel: the byte ring, the
 * command line, the graft pool's metadata reader (good, foreign, broken
 * and truncated objects).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <vtl/shared.h>
#include "bytebuf.h"
#include "retx_pool.h"
#include "config.h"
#include "log.h"
#include "check.h"
#include "pool.h"

/* The bytes of k iovecs, one after the other, into out; their total. */
static size_t iov_gather(const struct iovec *iov, int k, unsigned char *out)
{
	size_t n = 0;

	for (int i = 0; i < k; i++) {
		memcpy(out + n, iov[i].iov_base, iov[i].iov_len);
		n += iov[i].iov_len;
	}
	return n;
}

/* A queue grows (doubling, unwrapping what it holds) up to its limit, and
 * an empty one gives its memory back. */
static void test_bytebuf_grow(void)
{
	static unsigned char in[300000], out[300000];
	struct bytebuf b;
	size_t in_n = 0, out_n = 0;
	int ok = 1;

	for (size_t i = 0; i < sizeof(in); i++)
		in[i] = (unsigned char)(i * 7 + i / 251);
	bb_init(&b, 200000);
	/* wrap the first allocation, then grow it while wrapped */
	while (in_n < 60000) {
		ok &= !bb_push(&b, in + in_n, 1000);
		in_n += 1000;
	}
	ok &= b.cap == BB_FIRST;
	bb_consume(&b, 50000);
	memcpy(out, in, 50000);
	out_n = 50000;
	while (in_n < 250000) {
		ok &= !bb_push(&b, in + in_n, 1000);
		in_n += 1000;
	}
	CHECK(ok && b.cap == 200000 && b.len == 200000, "grown to the limit: cap %zu len %zu",
	      b.cap, b.len);
	CHECK(bb_room(&b) == 0 && bb_push(&b, in, 1) == -1, "no growth past the limit");
	while (b.len) {
		const unsigned char *p;
		size_t n = bb_contig(&b, &p);

		memcpy(out + out_n, p, n);
		out_n += n;
		bb_consume(&b, n);
	}
	CHECK(out_n == 250000 && !memcmp(in, out, out_n), "every byte, in order, across growth");
	bb_trim(&b);
	CHECK(!b.buf && !b.cap, "an empty queue gives its memory back");
	CHECK(!bb_push(&b, in, 10) && b.cap == BB_FIRST, "and grows again");
	bb_free(&b);
}

/* The retransmission-copy pool: power-of-two runs, reuse, splitting, a
 * clamp when tight, never an overlap. */
static void test_retx_pool(void)
{
	struct retx_pool p;
	__u32 base[64], count[64], n = 0, b, c;
	static __u8 owner[4096];
	int ok = 1;

	CHECK(!rp_init(&p, 4096), "init");
	CHECK(!rp_get(&p, 64, &b, &c) && b == 0 && c == 64, "first run: 0+64");
	base[n] = b, count[n++] = c;
	CHECK(!rp_get(&p, 100, &b, &c) && c == 128, "a window of 100 gets 128");
	base[n] = b, count[n++] = c;
	rp_put(&p, base[0], count[0]);
	CHECK(!rp_get(&p, 64, &b, &c) && b == 0 && c == 64, "a freed run is reused");
	base[0] = b;
	/* fill the pool with runs of 512, then ask for more: clamped down */
	while (!rp_get(&p, 512, &b, &c) && n < 64) {
		base[n] = b, count[n++] = c;
		if (c != 512)
			break;
	}
	CHECK(p.clamped >= 1 && p.used <= 4096, "a tight pool gives smaller runs (%llu clamped)",
	      (unsigned long long)p.clamped);
	for (__u32 i = 0; i < n; i++)
		for (__u32 j = base[i]; j < base[i] + count[i]; j++)
			ok &= !owner[j]++ && j < 4096;
	CHECK(ok, "runs never overlap and stay in the pool");
	while (n < 64 && !rp_get(&p, 16, &b, &c))
		base[n] = b, count[n++] = c;
	CHECK(p.used <= 4096 && rp_get(&p, 16, &b, &c) == -ENOSPC, "a full pool says ENOSPC");
	/* everything back: one big run is split for small ones */
	for (__u32 i = 0; i < n; i++)
		rp_put(&p, base[i], count[i]);
	CHECK(p.used == 0, "all given back");
	CHECK(!rp_get(&p, 4096, &b, &c) && c >= RP_MIN, "after all came back a request finds a "
	      "run (%u)", c);
	rp_free_all(&p);
}

static void test_bytebuf(void)
{
	struct bytebuf b;
	unsigned char in[300], out[300];
	const unsigned char *p;
	size_t total_in = 0, total_out = 0, off;
	struct iovec iov[2];
	int ok = 1, k;

	bb_init(&b, 256);
	CHECK(!b.buf && bb_room(&b) == 256, "an empty queue allocates nothing");
	/* push/consume with odd sizes so every wrap position is exercised */
	for (int round = 0; round < 1000; round++) {
		size_t n = (size_t)(round * 37 % 200) + 1, m;

		if (bb_room(&b) >= n) {
			for (size_t i = 0; i < n; i++)
				in[i] = (unsigned char)(total_in + i);
			bb_push(&b, in, n);
			total_in += n;
		}
		/* what the Data Broker sends: iovecs into the ring, from an
		 * offset (every wrap position again), then from the head */
		off = b.len ? (size_t)round % b.len : 0;
		k = bb_iov(&b, off, (size_t)(round * 53 % 250) + 1, iov, &m);
		ok &= (k == 0) == (m == 0) && iov_gather(iov, k, out) == m;
		for (size_t i = 0; i < m; i++)
			ok &= out[i] == (unsigned char)(total_out + off + i);
		k = bb_iov(&b, 0, (size_t)(round * 53 % 250) + 1, iov, &m);
		ok &= iov_gather(iov, k, out) == m;
		for (size_t i = 0; i < m; i++)
			ok &= out[i] == (unsigned char)(total_out + i);
		bb_consume(&b, m);
		total_out += m;
	}
	CHECK(ok, "bytes come out in the order they went in");
	CHECK(b.len == total_in - total_out, "length accounting");
	CHECK(bb_contig(&b, &p) <= b.len, "contiguous run within the data");
	bb_free(&b);
	test_bytebuf_grow();
}

static int parse(const char *line, struct vtld_config *c)
{
	char buf[512], *argv[32];
	int argc = 0;

	snprintf(buf, sizeof(buf), "%s", line);
	for (char *t = strtok(buf, " "); t && argc < 31; t = strtok(NULL, " "))
		argv[argc++] = t;
	argv[argc] = NULL;
	optind = 1;
	return vtld_config_parse(c, argc, argv);
}

static void test_config(void)
{
	struct vtld_config c;

	CHECK(parse("vtld -i eth0", &c) == 0, "minimal command line");
	CHECK(!strcmp(c.socket_path, "/run/vtl/eth0.sock"), "default socket, got %s", c.socket_path);
	CHECK(!strcmp(c.bpf_root, "/sys/fs/bpf"), "default bpf root");
	CHECK(c.retx_bufs == VTL_RETX_BUFS_DEFAULT, "default retx buffers");
	CHECK(parse("vtld -i eth0 -f -w 1024 --bpf-root /tmp/x --socket /tmp/s", &c) == 0 &&
	      c.foreground && c.default_window == 1024 && !strcmp(c.bpf_root, "/tmp/x"),
	      "full command line");
	CHECK(parse("vtld", &c) == -1, "missing -i is an error");
	CHECK(parse("vtld -i eth0 -w 0", &c) == -1, "window 0 is an error");
	CHECK(parse("vtld -i eth0 -w 99999", &c) == -1, "window above the maximum is an error");
	CHECK(parse("vtld -i eth0 -w 12abc", &c) == -1, "trailing garbage in a number");
	CHECK(parse("vtld -i eth0 stray", &c) == -1, "stray argument");
	CHECK(parse("vtld -i abcdefghijklmnopq", &c) == -1, "interface name too long");
	CHECK(parse("vtld -i eth0", &c) == 0 && c.encap == VTL_ENCAP_RAW &&
	      c.udp_port == VTL_UDP_PORT_DEFAULT && c.min_rto_ms == VTLD_MIN_RTO_MS,
	      "defaults: raw, UDP port %u, min-rto %u ms", c.udp_port, c.min_rto_ms);
	CHECK(parse("vtld -i eth0 --encap udp", &c) == 0 && c.encap == VTL_ENCAP_UDP &&
	      c.udp_port == VTL_UDP_PORT_DEFAULT, "--encap udp");
	CHECK(parse("vtld -i eth0 --encap udp:9000 --min-rto 50", &c) == 0 &&
	      c.encap == VTL_ENCAP_UDP && c.udp_port == 9000 && c.min_rto_ms == 50,
	      "--encap udp:9000 --min-rto 50");
	CHECK(parse("vtld -i eth0 --encap udp:0", &c) == -1, "udp:0 is an error");
	CHECK(parse("vtld -i eth0 --encap udp:70000", &c) == -1, "a port above 65535");
	CHECK(parse("vtld -i eth0 --encap tcp", &c) == -1, "an unknown encapsulation");
	CHECK(parse("vtld -i eth0 --encap udp --udp-port 0", &c) == -1,
	      "UDP without a port is an error");
	CHECK(parse("vtld -i eth0 --min-rto 0", &c) == -1, "min-rto 0 is an error");
}

static void write_file(const char *path, const void *p, size_t n)
{
	FILE *f = fopen(path, "w");

	if (f) {
		fwrite(p, 1, n, f);
		fclose(f);
	}
}

static void test_pool(const char *pool, const char *root_obj)
{
	char tmp[] = "/tmp/vtl-unit-pool-XXXXXX", path[4096], src[4096], err[4200];
	struct vtl_graft_meta m;
	struct pool p;
	FILE *f;
	char *buf = malloc(1 << 20);
	size_t n = 0;

	snprintf(src, sizeof(src), "%s/gbn.o", pool);
	CHECK(graft_read_meta(src, &m, err, sizeof(err)) == 0, "gbn.o metadata: %s", err);
	CHECK(!strcmp(m.name, "gbn") && m.version == 1 && m.window_max >= 1024 &&
	      (m.services & VTL_SVC_RELIABLE), "gbn metadata values");
	CHECK(graft_read_meta(root_obj, &m, err, sizeof(err)) == -ENOENT &&
	      strstr(err, "no .vtl.meta"), "an object without metadata is named as such: %s", err);
	CHECK(graft_read_meta("/nonexistent/x.o", &m, err, sizeof(err)) < 0, "missing file");
	if (!mkdtemp(tmp) || !buf) {
		CHECK(0, "mkdtemp");
		free(buf);
		return;
	}
	/* a good graft, a text file, a truncated graft, an empty file */
	f = fopen(src, "r");
	if (f) {
		n = fread(buf, 1, 1 << 20, f);
		fclose(f);
	}
	snprintf(path, sizeof(path), "%s/good.o", tmp);
	write_file(path, buf, n);
	snprintf(path, sizeof(path), "%s/text.o", tmp);
	write_file(path, "hello, I am not ELF\n", 20);
	CHECK(graft_read_meta(path, &m, err, sizeof(err)) == -EINVAL && strstr(err, "not an ELF"),
	      "text file: %s", err);
	snprintf(path, sizeof(path), "%s/trunc.o", tmp);
	write_file(path, buf, n / 3);
	CHECK(graft_read_meta(path, &m, err, sizeof(err)) == -EINVAL && strstr(err, "truncated"),
	      "truncated object named as such: %s", err);
	snprintf(path, sizeof(path), "%s/empty.o", tmp);
	write_file(path, "", 0);
	CHECK(graft_read_meta(path, &m, err, sizeof(err)) < 0, "empty file rejected");
	CHECK(pool_scan(&p, tmp) == 1 && !strcmp(p.g[0].meta.name, "gbn"),
	      "pool scan keeps only the good graft (%d)", p.n);
	CHECK(pool_find(&p, "gbn", 0) && !pool_find(&p, "gbn", 2) && !pool_find(&p, "sr", 0),
	      "pool_find by name and version");
	for (const char *x = "good.o\0text.o\0trunc.o\0empty.o\0"; *x; x += strlen(x) + 1) {
		snprintf(path, sizeof(path), "%s/%s", tmp, x);
		unlink(path);
	}
	rmdir(tmp);
	free(buf);
}

static void test_pool_build(void)
{
	test_pool(VTL_TEST_POOL, VTL_TEST_ROOT_OBJ);
}

int main(void)
{
	vtl_log_set_level(VTL_LOG_WARN);
	CHECK_CASE("byte ring", test_bytebuf);
	CHECK_CASE("retransmission-copy pool", test_retx_pool);
	CHECK_CASE("command line", test_config);
	CHECK_CASE("graft metadata and pool scan", test_pool_build);
	return CHECK_DONE();
}
