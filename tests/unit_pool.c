// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * Unit tests for the graft pool (daemon/pool.c, lib/graft_*.c, lib/sha256.c):
 *   1. sha256 against the FIPS 180-4 / NIST vectors, whole and in pieces
 *   2. validation without a load: every graft of build/grafts passes;
 *      a missing role, a text file, a truncated object and metadata out of
 *      range are each rejected at the right stage, with a reason
 *   3. pool bookkeeping (pool_apply/pool_remove): entries in use never
 *      move, replaced builds stay for their sessions, the last canonical
 *      stays, rejections are listed and forgotten, duplicates refused
 *   4. trial loads (root only; exit 77 with the reason otherwise): every
 *      pool graft loads, the broken fixture fails with the verifier log's
 *      tail naming the bad packet access
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <dirent.h>
#include <bpf/libbpf.h>
#include "log.h"
#include "check.h"
#include "pool.h"
#include "sha256.h"

static struct graft_report rep;   /* 17 KB: not on the stack */
static struct pool pool;

static const char *hex(const __u8 *h)
{
	static char buf[2 * SHA256_LEN + 1];

	sha256_hex(h, buf);
	return buf;
}

static void test_sha256(void)
{
	static const struct { const char *msg, *want; } v[] = {
		{ "", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855" },
		{ "abc", "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad" },
		{ "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq",
		  "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1" },
		{ "abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmnhijklmnoijklmnopjklmnopq"
		  "klmnopqrlmnopqrsmnopqrstnopqrstu",
		  "cf5b16a778af8380036ce59e7b0492370b249b11e8f07a51afac45037afee9d1" },
	};
	const char *million = "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0";
	char *a = malloc(1000000);
	struct sha256 s;
	__u8 h[SHA256_LEN];

	for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		sha256(v[i].msg, strlen(v[i].msg), h);
		CHECK(!strcmp(hex(h), v[i].want), "sha256 vector %zu: %s", i, hex(h));
		/* byte by byte: every buffering path */
		sha256_init(&s);
		for (size_t k = 0; v[i].msg[k]; k++)
			sha256_update(&s, v[i].msg + k, 1);
		sha256_final(&s, h);
		CHECK(!strcmp(hex(h), v[i].want), "sha256 vector %zu bytewise: %s", i, hex(h));
	}
	if (!a)
		return;
	memset(a, 'a', 1000000);
	sha256(a, 1000000, h);
	CHECK(!strcmp(hex(h), million), "sha256 of a million 'a': %s", hex(h));
	sha256_init(&s);
	for (size_t off = 0, k = 1; off < 1000000; off += k, k = k * 7 % 997 + 1)
		sha256_update(&s, a + off, off + k > 1000000 ? 1000000 - off : k);
	sha256_final(&s, h);
	CHECK(!strcmp(hex(h), million), "sha256 of a million 'a' in odd pieces: %s", hex(h));
	free(a);
}

static size_t slurp(const char *path, char **buf)
{
	FILE *f = fopen(path, "rb");
	size_t n = 0;

	*buf = malloc(GRAFT_FILE_MAX);
	if (f && *buf)
		n = fread(*buf, 1, GRAFT_FILE_MAX, f);
	if (f)
		fclose(f);
	return n;
}

static void spill(const char *path, const void *b, size_t n)
{
	FILE *f = fopen(path, "wb");

	if (f) {
		if (n)
			fwrite(b, 1, n, f);
		fclose(f);
	}
}

/* Names of the grafts in dir, NUL-separated, in *list. */
static int graft_files(const char *dir, char *list, size_t len)
{
	struct dirent *de;
	size_t off = 0;
	int n = 0;
	DIR *d = opendir(dir);

	while (d && (de = readdir(d))) {
		if (!pool_is_graft_name(de->d_name) || off + strlen(de->d_name) + 2 > len)
			continue;
		off += (size_t)sprintf(list + off, "%s", de->d_name) + 1;
		n++;
	}
	list[off] = '\0';
	if (d)
		closedir(d);
	return n;
}

static void test_validate_static(const char *pooldir, const char *fixtures, const char *tmp)
{
	char path[PATH_MAX + 256], names[4096], *buf;
	__u8 h[SHA256_LEN];
	size_t n;
	int cnt = graft_files(pooldir, names, sizeof(names));

	CHECK(cnt >= 2, "build/grafts has canonical and gbn at least (%d)", cnt);
	for (const char *x = names; *x; x += strlen(x) + 1) {
		snprintf(path, sizeof(path), "%s/%s", pooldir, x);
		CHECK(graft_validate(path, 0, &rep) == 0 && rep.stage == VTL_VERIFY_OK,
		      "%s validates: %s", x, rep.reason);
		CHECK(rep.roles_found == rep.meta.roles && !rep.trial && !rep.load_us,
		      "%s: roles found 0x%x = declared 0x%x, no load", x, rep.roles_found,
		      rep.meta.roles);
		n = slurp(path, &buf);
		sha256(buf, n, h);
		CHECK(rep.has_hash && !memcmp(h, rep.hash, SHA256_LEN), "%s: hash of the file", x);
		free(buf);
	}

	snprintf(path, sizeof(path), "%s/missing_role.o", fixtures);
	CHECK(graft_validate(path, GRAFT_V_TRIAL, &rep) == -EINVAL &&
	      rep.stage == VTL_VERIFY_PROGS && !rep.trial &&
	      strstr(rep.reason, "declares role egress but the object has no program vtl_egress"),
	      "missing role named before any load: %s", rep.reason);
	CHECK(rep.has_meta && !strcmp(rep.meta.name, "missing_role") && rep.has_hash,
	      "a rejected object still reports its metadata and hash");

	snprintf(path, sizeof(path), "%s/text.o", tmp);
	spill(path, "not an ELF object at all\n", 25);
	CHECK(graft_validate(path, 0, &rep) == -EINVAL && rep.stage == VTL_VERIFY_META &&
	      strstr(rep.reason, "not an ELF object"), "text file: %s", rep.reason);
	unlink(path);

	snprintf(path, sizeof(path), "%s/gbn.o", pooldir);
	n = slurp(path, &buf);
	snprintf(path, sizeof(path), "%s/trunc.o", tmp);
	spill(path, buf, n / 3);
	CHECK(graft_validate(path, 0, &rep) == -EINVAL && rep.stage == VTL_VERIFY_META &&
	      strstr(rep.reason, "truncated"), "truncated object: %s", rep.reason);
	unlink(path);

	/* metadata out of range: version 0, then an unknown role bit */
	for (size_t i = 0; i + sizeof(struct vtl_graft_meta) <= n; i++) {
		struct vtl_graft_meta m;

		memcpy(&m, buf + i, sizeof(m));
		if (m.magic != VTL_META_MAGIC || strcmp(m.name, "gbn"))
			continue;
		snprintf(path, sizeof(path), "%s/badmeta.o", tmp);
		m.version = 0;
		memcpy(buf + i, &m, sizeof(m));
		spill(path, buf, n);
		CHECK(graft_validate(path, 0, &rep) && rep.stage == VTL_VERIFY_META &&
		      strstr(rep.reason, "version 0"), "version 0: %s", rep.reason);
		m.version = 1;
		m.roles |= 0x10;
		memcpy(buf + i, &m, sizeof(m));
		spill(path, buf, n);
		CHECK(graft_validate(path, 0, &rep) && rep.stage == VTL_VERIFY_META &&
		      strstr(rep.reason, "roles 0x17"), "unknown role bit: %s", rep.reason);
		unlink(path);
		break;
	}
	free(buf);
	CHECK(graft_validate("/nonexistent/x.o", 0, &rep) == -ENOENT &&
	      rep.stage == VTL_VERIFY_FILE, "missing file: %s", rep.reason);
}

/* A good report for a graft, as the validator would give it. */
static const struct graft_report *fake(const char *name, __u32 version, __u8 tag)
{
	memset(&rep, 0, sizeof(rep));
	rep.meta = (struct vtl_graft_meta){ .magic = VTL_META_MAGIC, .version = version,
		.meta_version = VTL_META_VERSION, .roles = 7, .window_default = 8,
		.window_min = 1, .window_max = 64 };
	snprintf(rep.meta.name, sizeof(rep.meta.name), "%s", name);
	rep.has_meta = rep.has_hash = true;
	memset(rep.hash, tag, sizeof(rep.hash));
	return &rep;
}

static const struct graft_report *bad(const char *reason)
{
	memset(&rep, 0, sizeof(rep));
	rep.verdict = -EINVAL;
	rep.stage = VTL_VERIFY_LOAD;
	snprintf(rep.reason, sizeof(rep.reason), "%s", reason);
	return &rep;
}

static int listed(const char *path, __u32 state, char *reason)
{
	struct vtl_ipc_graft_entry e[POOL_MAX + POOL_REJECT_MAX];
	int n = pool_list(&pool, e, 0, POOL_MAX + POOL_REJECT_MAX), hits = 0;

	for (int i = 0; i < n; i++) {
		if (strcmp(e[i].path, path) || e[i].state != state)
			continue;
		hits++;
		if (reason)
			snprintf(reason, VTL_IPC_REASON_MAX, "%s", e[i].reason);
	}
	return hits;
}

static void test_bookkeeping(void)
{
	static const __u8 zero[VTL_HASH_LEN];
	__u8 h1[VTL_HASH_LEN], h2[VTL_HASH_LEN];
	struct pool_graft *g1, *g2, *g3, *c;
	char why[VTL_IPC_REASON_MAX];
	struct vtl_ipc_graft_entry page[2];
	int n0;

	memset(&pool, 0, sizeof(pool));
	snprintf(pool.dir, sizeof(pool.dir), "/pool");
	CHECK(!pool_apply(&pool, "/pool/canonical.o", fake("canonical", 1, 0xc0)), "add canonical");
	CHECK(!pool_apply(&pool, "/pool/gbn.o", fake("gbn", 1, 0x11)), "add gbn");
	c = pool_find(&pool, "canonical", 0);
	g1 = pool_find(&pool, "gbn", 1);
	CHECK(c && g1 && pool_count(&pool) == 2 && pool.n == 2, "two grafts");
	memset(h1, 0x11, sizeof(h1));
	memset(h2, 0x22, sizeof(h2));
	CHECK(pool_find_hash(&pool, "gbn", 1, h1) == g1 && pool_find_hash(&pool, "gbn", 1, zero) == g1 &&
	      !pool_find_hash(&pool, "gbn", 1, h2) && pool_find_hash(&pool, "gbn", 0, h1) == g1,
	      "pool_find_hash: exact build, any build, wrong build");
	CHECK(!pool_apply(&pool, "/pool/gbn.o", fake("gbn", 1, 0x11)), "same content again: no change");

	/* replaced while a session uses it: the old entry stays put */
	g1->users = 1;
	CHECK(pool_apply(&pool, "/pool/gbn.o", fake("gbn", 1, 0x22)), "replacement retires instances");
	g2 = pool_find(&pool, "gbn", 0);
	CHECK(g2 && g2 != g1 && g1->state == PG_REPLACED && g1->hash[0] == 0x11 &&
	      !strcmp(g1->meta.name, "gbn") && g2->hash[0] == 0x22,
	      "in-use entry kept as PG_REPLACED, new build in a new entry");
	CHECK(!pool_find_hash(&pool, "gbn", 1, h1) && pool_find_hash(&pool, "gbn", 1, h2) == g2,
	      "new sessions get the new build only");
	CHECK(listed("/pool/gbn.o", VTL_GRAFT_REPLACED, NULL) == 1 &&
	      listed("/pool/gbn.o", VTL_GRAFT_OK, NULL) == 1, "listing shows both builds");
	/* unused: updated in place */
	CHECK(pool_apply(&pool, "/pool/gbn.o", fake("gbn", 1, 0x33)) && pool_find(&pool, "gbn", 0) == g2 &&
	      g2->hash[0] == 0x33, "unused entry updated in place");
	/* the old build's last session ends: its entry is reused */
	g1->users = 0;
	CHECK(listed("/pool/gbn.o", VTL_GRAFT_REPLACED, NULL) == 0, "an unused old build is not listed");
	n0 = pool.n;
	CHECK(!pool_apply(&pool, "/pool/sr.o", fake("sr", 1, 0x44)), "add sr");
	g3 = pool_find(&pool, "sr", 0);
	CHECK(g3 == g1 && pool.n == n0, "the free entry is reused, the array does not grow");

	/* duplicates and rejections */
	CHECK(!pool_apply(&pool, "/pool/gbn-copy.o", fake("gbn", 1, 0x55)) &&
	      listed("/pool/gbn-copy.o", VTL_GRAFT_REJECTED, why) == 1 && strstr(why, "duplicates gbn v1"),
	      "duplicate name+version rejected: %s", why);
	CHECK(!pool_apply(&pool, "/pool/new.o", bad("/pool/new.o: the verifier rejected program vtl_ingress")) &&
	      listed("/pool/new.o", VTL_GRAFT_REJECTED, why) == 1 && strstr(why, "vtl_ingress"),
	      "bad object listed as rejected: %s", why);
	CHECK(!pool_apply(&pool, "/pool/new.o", fake("new", 1, 0x66)) &&
	      !listed("/pool/new.o", VTL_GRAFT_REJECTED, NULL) && pool_find(&pool, "new", 1),
	      "fixed object enters and its rejection is forgotten");
	CHECK(pool_apply(&pool, "/pool/new.o", bad("/pool/new.o: broken")) && !pool_find(&pool, "new", 0),
	      "a good graft replaced by a broken file leaves the pool");
	CHECK(!pool_remove(&pool, "/pool/new.o") && !listed("/pool/new.o", VTL_GRAFT_REJECTED, NULL),
	      "deleting a rejected file forgets it");

	/* canonical always stays */
	CHECK(!pool_remove(&pool, "/pool/canonical.o") && pool_find(&pool, "canonical", 0) == c,
	      "deleting canonical.o keeps the canonical graft");
	CHECK(!pool_apply(&pool, "/pool/canonical.o", bad("/pool/canonical.o: broken")) &&
	      pool_find(&pool, "canonical", 0) == c && c->hash[0] == 0xc0 &&
	      listed("/pool/canonical.o", VTL_GRAFT_REJECTED, NULL) == 1,
	      "a broken canonical.o is rejected, the canonical graft stays");
	CHECK(!pool_apply(&pool, "/pool/canonical.o", fake("other", 1, 0x77)) &&
	      pool_find(&pool, "canonical", 0) == c && !pool_find(&pool, "other", 0),
	      "canonical.o holding another graft is refused");

	/* removal of an entry in use */
	g2->users = 2;
	CHECK(pool_remove(&pool, "/pool/gbn.o") && !pool_find(&pool, "gbn", 0) &&
	      g2->state == PG_REPLACED && g2->users == 2, "deleted while in use: kept for its sessions");
	g2->users = 0;

	/* paging */
	n0 = pool_list(&pool, NULL, 0, 0);
	CHECK(n0 >= 3 && pool_list(&pool, page, 1, 2) == n0 && page[0].state && page[1].state,
	      "pool_list pages (%d entries)", n0);
}

/* Root only: real trial loads. */
static void test_trial(const char *pooldir, const char *fixtures)
{
	char path[PATH_MAX + 256], names[4096];
	int lines = 0;

	graft_files(pooldir, names, sizeof(names));
	for (const char *x = names; *x; x += strlen(x) + 1) {
		snprintf(path, sizeof(path), "%s/%s", pooldir, x);
		CHECK(graft_validate(path, GRAFT_V_TRIAL, &rep) == 0 && rep.trial && rep.load_us > 0,
		      "%s trial load: %s", x, rep.reason);
		printf("trial load %-14s %7llu us  sha256 %.16s...\n", x,
		       (unsigned long long)rep.load_us, hex(rep.hash));
	}
	snprintf(path, sizeof(path), "%s/bad_verifier.o", fixtures);
	CHECK(graft_validate(path, GRAFT_V_TRIAL, &rep) < 0 && rep.stage == VTL_VERIFY_LOAD &&
	      rep.trial && !strcmp(rep.prog, "vtl_ingress") && strstr(rep.reason, "vtl_ingress"),
	      "broken graft fails the trial load in vtl_ingress: %s", rep.reason);
	CHECK(strstr(rep.log, "invalid access to packet") || strstr(rep.log, "outside of the packet"),
	      "the log tail shows the bad packet access:\n%s", rep.log);
	for (const char *p = rep.log; (p = strchr(p, '\n')); p++)
		lines++;
	CHECK(lines < GRAFT_LOG_LINES && rep.log[0], "log tail has %d lines", lines + 1);
	printf("bad_verifier: %s\n--- log tail ---\n%s\n---\n", rep.reason, rep.log);

	snprintf(path, sizeof(path), "%s/gbn2.o", fixtures);
	CHECK(graft_validate(path, GRAFT_V_TRIAL, &rep) == 0 && !strcmp(rep.meta.name, "gbn2"),
	      "gbn2 fixture validates: %s", rep.reason);

	/* a trial-validated scan of the real pool */
	CHECK(pool_scan_opts(&pool, pooldir, GRAFT_V_TRIAL) == graft_files(pooldir, names, sizeof(names)) &&
	      pool_find(&pool, "canonical", 0) && pool_find(&pool, "gbn", 0),
	      "startup scan with trial loads keeps every pool graft");
}

static void case_validate_static(void)
{
	char tmp[] = "/tmp/vtl-unit-pool2-XXXXXX";

	if (!mkdtemp(tmp)) {
		CHECK(0, "mkdtemp %s: %s", tmp, strerror(errno));
		return;
	}
	test_validate_static(VTL_TEST_POOL, VTL_TEST_FIXTURES, tmp);
	CHECK(rmdir(tmp) == 0, "rmdir %s: %s (a file was left behind)", tmp, strerror(errno));
}

static void case_trial(void)
{
	test_trial(VTL_TEST_POOL, VTL_TEST_FIXTURES);
}

int main(void)
{
	int root = geteuid() == 0, rc;

	vtl_log_set_level(VTL_LOG_WARN);
	libbpf_set_print(NULL);
	CHECK_CASE("sha256: NIST vectors, whole and in pieces", test_sha256);
	CHECK_CASE("validation without a load", case_validate_static);
	CHECK_CASE("pool bookkeeping", test_bookkeeping);
	if (root)
		CHECK_CASE("trial loads", case_trial);
	else
		printf("SKIP: trial loads need root (CAP_BPF, CAP_NET_ADMIN); "
		       "the non-root checks above ran\n");
	rc = CHECK_DONE();
	return rc ? rc : root ? 0 : CHECK_SKIP_RC;
}
