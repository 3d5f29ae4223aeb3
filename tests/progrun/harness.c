// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* RUN and CHECK helpers of the prog-run tests (see harness.h). */
#include <errno.h>
#include <net/if.h>
#include <stdarg.h>
#include <stddef.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <time.h>
#include <linux/bpf.h>
#include <linux/if_xdp.h>
#include <linux/pkt_cls.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "launcher.h"
#include "harness.h"

/*
 * The kernel's test_run refuses frames this hook can never see (EINVAL):
 * XDP and TC below ETH_HLEN (bpf_xdp_adjust_tail/head and
 * bpf_skb_change_tail refuse to go there as well), and on TC an IPv4 (IPv6)
 * frame shorter than its IP header. The latter do reach TC egress (a
 * packet socket can send them), so they run through a shim: a tiny
 * SCHED_CLS program that shrinks a zero-padded frame to skb->mark bytes
 * with bpf_skb_change_tail and tail-calls the real vtl_tc_root.
 */
static struct launcher *hl;
static int xdp_fd = -1, tc_fd = -1, shim_fd = -1;

#define INSN(c, d, s_, o, i) ((struct bpf_insn){ .code = (c), .dst_reg = (d), .src_reg = (s_), \
						 .off = (o), .imm = (i) })
static int shim_load(void)
{
	int map = bpf_map_create(BPF_MAP_TYPE_PROG_ARRAY, "vtl_test_shim", 4, 4, 1, NULL), k = 0;
	struct bpf_insn p[] = {
		INSN(BPF_ALU64 | BPF_MOV | BPF_X, 6, 1, 0, 0),
		INSN(BPF_LDX | BPF_MEM | BPF_W, 2, 1, offsetof(struct __sk_buff, mark), 0),
		INSN(BPF_ALU64 | BPF_MOV | BPF_K, 3, 0, 0, 0),
		INSN(BPF_JMP | BPF_CALL, 0, 0, 0, BPF_FUNC_skb_change_tail),
		INSN(BPF_JMP | BPF_JEQ | BPF_K, 0, 0, 2, 0),
		INSN(BPF_ALU64 | BPF_MOV | BPF_K, 0, 0, 0, 0x77),  /* shrink failed */
		INSN(BPF_JMP | BPF_EXIT, 0, 0, 0, 0),
		INSN(BPF_ALU64 | BPF_MOV | BPF_X, 1, 6, 0, 0),
		INSN(BPF_LD | BPF_DW | BPF_IMM, 2, BPF_PSEUDO_MAP_FD, 0, map),
		INSN(0, 0, 0, 0, 0),
		INSN(BPF_ALU64 | BPF_MOV | BPF_K, 3, 0, 0, 0),
		INSN(BPF_JMP | BPF_CALL, 0, 0, 0, BPF_FUNC_tail_call),
		INSN(BPF_ALU64 | BPF_MOV | BPF_K, 0, 0, 0, 0x78),  /* tail call failed */
		INSN(BPF_JMP | BPF_EXIT, 0, 0, 0, 0),
	};

	if (map < 0)
		return -errno;
	shim_fd = bpf_prog_load(BPF_PROG_TYPE_SCHED_CLS, "vtl_test_shim", "GPL", p,
				sizeof(p) / sizeof(p[0]), NULL);
	if (shim_fd < 0 || bpf_map_update_elem(map, &k, &tc_fd, BPF_ANY))
		return -errno;
	return 0;
}

static bool tc_needs_shim(const __u8 *f, size_t len)
{
	return len >= ETH_LEN && ((f[12] == 0x08 && f[13] == 0x00 && len < L4_OFF) ||
				  (f[12] == 0x86 && f[13] == 0xdd && len < ETH_LEN + 40));
}

void run_prog(bool xdp, const void *in, size_t len, struct run *r)
{
	__u8 buf[64] = {};
	struct __sk_buff sk = { .mark = len };
	LIBBPF_OPTS(bpf_test_run_opts, o, .data_in = in, .data_size_in = len,
		    .data_out = r->out, .data_size_out = sizeof(r->out), .repeat = 1);
	int fd = xdp ? xdp_fd : tc_fd;

	if (!xdp && tc_needs_shim(in, len)) {
		memcpy(buf, in, len);
		o.data_in = buf;
		o.data_size_in = sizeof(buf);
		o.ctx_in = &sk;
		o.ctx_size_in = sizeof(sk);
		fd = shim_fd;
	}
	r->err = bpf_prog_test_run_opts(fd, &o) ? -errno : 0;
	r->ret = o.retval;
	r->out_len = o.data_size_out;
}


void snap(struct cnt *c)
{
	memset(c, 0, sizeof(*c));
	if (launcher_counters(hl, c->c[X], c->c[T]))
		CHECK(0, "cannot read counters");
}

const char *cname(int i)
{
	static const char *n[] = { "NONE", "MALFORMED_IP", "TRUNCATED", "BAD_VERSION",
		"BAD_LENGTH", "BAD_CSUM", "UNKNOWN_SESSION", "NO_GRAFT", "BAD_TYPE",
		"OUT_OF_WINDOW", "DUPLICATE", "OUT_OF_ORDER", "WINDOW_FULL", "RETX_MISS",
		"HELPER", "BAD_HDR_LEN", "PASS_NON_VTL", "VTL", "TO_XSK", "XDP_TX",
		"STAMPED", "RETX_FILLED", "CONSUMED", "RETX_SKIPPED", "PROBE", "GIVEUP_LATE",
		"TIMER_FAIL" };
	_Static_assert(sizeof(n) / sizeof(n[0]) == VTL_CNT_MAX, "name every counter");

	return i >= 0 && i < VTL_CNT_MAX ? n[i] : "?";
}

const char *vname(bool xdp, __u32 v)
{
	static const char *xn[] = { "XDP_ABORTED", "XDP_DROP", "XDP_PASS", "XDP_TX", "XDP_REDIRECT" };

	if (xdp)
		return v < 5 ? xn[v] : "XDP_?";
	return v == TC_ACT_OK ? "TC_ACT_OK" : v == TC_ACT_SHOT ? "TC_ACT_SHOT" : "TC_ACT_?";
}

bool delta_ok(const char *what, const struct cnt *a, const struct cnt *b, int dir, ...)
{
	__u64 want[2][VTL_CNT_PER_DIR] = {};
	bool ok = true;
	va_list ap;
	int i;

	va_start(ap, dir);
	while ((i = va_arg(ap, int)) >= 0)
		want[dir][i] += va_arg(ap, int);
	va_end(ap);
	for (int d = 0; d < 2; d++)
		for (i = 0; i < VTL_CNT_PER_DIR; i++) {
			__u64 got = b->c[d][i] - a->c[d][i];

			if (got == want[d][i])
				continue;
			ok = false;
			CHECK(0, "%s: %s counter %s moved by %llu, want %llu", what,
			      d == X ? "xdp" : "tc", cname(i), (unsigned long long)got,
			      (unsigned long long)want[d][i]);
		}
	return ok;
}

/* An AF_XDP socket (copy mode, lo, queue 0) in the XSKMAP, so that
 * bpf_redirect_map() returns XDP_REDIRECT as on a live vtld. */
int harness_xsk_bind_lo(int xsks_map_fd)
{
	struct sockaddr_xdp sa = { .sxdp_family = AF_XDP, .sxdp_flags = XDP_COPY };
	size_t sz = 16 * 4096;
	void *umem = mmap(NULL, sz, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	struct xdp_umem_reg mr = { .addr = (__u64)(uintptr_t)umem, .len = sz, .chunk_size = 4096 };
	int fd, n = 64, key = 0;

	if (umem == MAP_FAILED)
		return -errno;
	fd = socket(AF_XDP, SOCK_RAW, 0);
	if (fd < 0)
		return -errno;
	sa.sxdp_ifindex = if_nametoindex("lo");
	if (setsockopt(fd, SOL_XDP, XDP_UMEM_REG, &mr, sizeof(mr)) ||
	    setsockopt(fd, SOL_XDP, XDP_UMEM_FILL_RING, &n, sizeof(n)) ||
	    setsockopt(fd, SOL_XDP, XDP_UMEM_COMPLETION_RING, &n, sizeof(n)) ||
	    setsockopt(fd, SOL_XDP, XDP_RX_RING, &n, sizeof(n)) ||
	    bind(fd, (struct sockaddr *)&sa, sizeof(sa)) ||
	    bpf_map_update_elem(xsks_map_fd, &key, &fd, BPF_ANY))
		return -errno;
	return 0; /* fd stays open for the life of the test */
}

/* ---- ring-buffer events ------------------------------------------------- */
#define EV_MAX 256
static struct ring_buffer *evrb;
static struct vtl_event evq[EV_MAX];
static int evn;
static struct { bool on, found; __u32 type, slot; struct vtl_event ev; } evw;

static int ev_cb(void *ctx, void *data, size_t len)
{
	const struct vtl_event *e = data;

	(void)ctx;
	if (len < sizeof(*e))
		return 0;
	if (evw.on && !evw.found && e->type == evw.type && e->slot == evw.slot) {
		evw.ev = *e;
		evw.found = true;
	}
	if (evn < EV_MAX)
		evq[evn++] = *e;
	return 0;
}

int harness_events_open(int events_map_fd)
{
	evrb = ring_buffer__new(events_map_fd, ev_cb, NULL, NULL);
	return evrb ? 0 : -errno;
}

void ev_clear(void)
{
	do {
		evn = 0;
		ring_buffer__consume(evrb);
	} while (evn == EV_MAX);
	evn = 0;
}

int ev_collect(struct vtl_event *out, int max)
{
	int n;

	evn = 0;
	ring_buffer__consume(evrb);
	n = evn < max ? evn : max;
	memcpy(out, evq, n * sizeof(*out));
	evn = 0;
	return n;
}

static __u64 mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (__u64)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int ev_wait(__u32 type, __u32 slot, int timeout_ms, struct vtl_event *out)
{
	__u64 end = mono_ms() + timeout_ms, now;

	evw.on = true;
	evw.found = false;
	evw.type = type;
	evw.slot = slot;
	while (!evw.found && (now = mono_ms()) < end)
		ring_buffer__poll(evrb, (int)(end - now));
	evw.on = false;
	evn = 0;
	if (!evw.found)
		return -ETIMEDOUT;
	*out = evw.ev;
	return 0;
}

int harness_init(struct launcher *l, int xfd, int tfd)
{
	hl = l;
	xdp_fd = xfd;
	tc_fd = tfd;
	return shim_load();
}
