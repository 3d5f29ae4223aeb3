// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * BPF prog-run tests (tier 2): feed crafted, malformed and fuzzed frames to
 * the REAL root programs (vtl_xdp_root, vtl_tc_root) tail-calling into the
 * REAL canonical, gbn, pr-delay, sr, pr and sr-tlp grafts, loaded by the
 * daemon's Launcher exactly as vtld does (without attaching anything),
 * through BPF_PROG_TEST_RUN. Cilium style: each step builds its frame
 * (PKTGEN), prepares session state (SETUP), runs the program and checks
 * the verdict, the exact counter deltas, the ring-buffer events and the
 * resulting bytes/state (CHECK, tests/check.h). Timers run for real: a
 * case that needs one to fire waits for its event on the ring buffer.
 * Needs root; exits 77 with a reason when it cannot load BPF.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <linux/pkt_cls.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "vtl_root.skel.h"
#include "launcher.h"
#include "log.h"
#include "pktgen.h"
#include "harness.h"

#define BE32(x) (__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__ ? __builtin_bswap32(x) : (x))
#define LOCAL   BE32(0x0a000001u) /* 10.0.0.1: us */
#define PEER    BE32(0x0a000002u) /* 10.0.0.2: the session peer */
#define PEER4   ((struct vtl_peer){ .family = VTL_AF_INET, .encap = VTL_ENCAP_RAW, .addr = { PEER } })
#define OTHER   BE32(0x0a000063u) /* 10.0.0.99: a stranger */
#define SID_RX  0x11110001u       /* slot 1: gbn, we receive (isn_rx 1000) */
#define SID_TX  0x22220002u       /* slot 2: gbn, we send (isn_tx 5000) */
#define SID_UNK 0x33330003u
#define WINDOW  64

static struct launcher L;
static int redirect_verdict = XDP_REDIRECT; /* XDP_DROP if no XSK could be bound */
static const struct ref_session sessions[] = {
	{ SID_RX, PEER, 1 },
	{ SID_TX, PEER, 2 },
};

static struct vtl_hdr *vh_of(__u8 *f)
{
	return (struct vtl_hdr *)(f + L4_OFF);
}

static __u32 mono_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (__u32)((__u64)ts.tv_sec * 1000000 + ts.tv_nsec / 1000);
}

/* ---- case 1: anything that is not VTL passes, untouched ---------------- */
static void case_non_vtl(bool xdp)
{
	__u8 f[16][PKT_MAX];
	size_t len[16];
	int n = 0;
	struct cnt a, b;
	struct run r;

	/* PKTGEN */
	len[n] = pktgen_arp(f[n]), n++;
	len[n] = pktgen_ipv6(f[n]), n++;
	len[n] = pktgen_ipv4(f[n], 6, 20), n++;   /* TCP */
	len[n] = pktgen_ipv4(f[n], 17, 8), n++;   /* UDP */
	len[n] = pktgen_ipv4(f[n], 1, 8), n++;    /* ICMP */
	for (size_t l = 20; l <= 33; l += 13) {   /* IPv4 EtherType, IP header cut */
		len[n] = l;
		pktgen_ipv4(f[n], VTL_IPPROTO, 0);    /* even claiming protocol 253 */
		n++;
	}
	len[n] = 14, pktgen_ipv4(f[n], VTL_IPPROTO, 0), n++; /* Ethernet header only */
	snap(&a);
	for (int i = 0; i < n; i++) {
		run_prog(xdp, f[i], len[i], &r);
		EXPECT_VERDICT("non-VTL", xdp, &r, xdp ? XDP_PASS : TC_ACT_OK);
		CHECK(r.out_len == len[i] && !memcmp(r.out, f[i], len[i]),
		      "frame %d (%zu bytes) was modified", i, len[i]);
	}
	snap(&b);
	delta_ok("non-VTL", &a, &b, xdp ? X : T, VTL_CNT_PASS_NON_VTL, n, -1);
	/* below ETH_HLEN no frame reaches either hook: the kernel refuses it */
	for (size_t l = 1; l < ETH_LEN; l += 6) {
		run_prog(xdp, f[0], l, &r);
		CHECK(r.err == -EINVAL, "%zu-byte test_run: %s, want EINVAL", l, strerror(-r.err));
	}
	snap(&a);
	delta_ok("refused runts", &b, &a, xdp ? X : T, -1);
	printf("    %d frames (3 of them 14..33 bytes%s) -> %s; 1..13 bytes refused by the kernel\n",
	       n, xdp ? "" : ", shrunk by the shim", xdp ? "XDP_PASS" : "TC_ACT_OK");
}

/* ---- case 2: malformed VTL: the root's own verdicts ---------------------- */
struct mut {
	const char *name;
	int reason;
	bool vtl;        /* parsed first (VTL_CNT_VTL also counts) */
	bool xdp_only;
	void (*fn)(__u8 *f, size_t *len);
};

static void set16(__u8 *p, unsigned v) { p[0] = v >> 8; p[1] = v & 0xff; }
static void m_ipver(__u8 *f, size_t *l) { (void)l; f[ETH_LEN] = 0x65; }
static void m_ihl4(__u8 *f, size_t *l) { (void)l; f[ETH_LEN] = 0x44; }
static void m_mf(__u8 *f, size_t *l) { (void)l; f[ETH_LEN + 6] |= 0x20; }
static void m_fragoff(__u8 *f, size_t *l) { (void)l; f[ETH_LEN + 7] = 1; }
static void m_tot_lt_ihl(__u8 *f, size_t *l) { (void)l; set16(f + ETH_LEN + 2, 10); }
static void m_tot_big(__u8 *f, size_t *l) { set16(f + ETH_LEN + 2, *l - ETH_LEN + 1); }
static void m_tot_small(__u8 *f, size_t *l) { (void)l; set16(f + ETH_LEN + 2, IP4_LEN + 31); }
static void m_cut(__u8 *f, size_t *l) { (void)f; *l = L4_OFF + 16; }
static void m_cut_ip(__u8 *f, size_t *l) { set16(f + ETH_LEN + 2, IP4_LEN + 16); *l = L4_OFF + 16; }
static void m_ver2(__u8 *f, size_t *l) { (void)l; vh_of(f)->version = 2; }
static void m_ver0(__u8 *f, size_t *l) { (void)l; vh_of(f)->version = 0; }
static void m_hl28(__u8 *f, size_t *l) { (void)l; vh_of(f)->hdr_len = 28; }
static void m_hl36(__u8 *f, size_t *l) { (void)l; vh_of(f)->hdr_len = 36; }
static void m_len_lo(__u8 *f, size_t *l) { (void)l; vh_of(f)->len = htons(99); }
static void m_len_hi(__u8 *f, size_t *l) { (void)l; vh_of(f)->len = htons(101); }
static void m_mss(__u8 *f, size_t *l)
{
	struct vtl_spec s = { .saddr = PEER, .daddr = LOCAL, .session_id = ntohl(vh_of(f)->session_id),
			      .type = VTL_T_DATA, .seq = 1000, .pay_len = VTL_MSS_MAX + 1 };
	*l = pktgen_vtl(f, &s);
}
static void m_type0(__u8 *f, size_t *l) { (void)l; vh_of(f)->type = 0; }
static void m_type10(__u8 *f, size_t *l) { (void)l; vh_of(f)->type = VTL_T_MAX + 1; }
static void m_type255(__u8 *f, size_t *l) { (void)l; vh_of(f)->type = 255; }
static void m_sid(__u8 *f, size_t *l) { (void)l; vh_of(f)->session_id = htonl(SID_UNK); }
static void m_sid_ack(__u8 *f, size_t *l) { m_sid(f, l); vh_of(f)->type = VTL_T_ACK; }
static void m_saddr(__u8 *f, size_t *l) { (void)l; __u32 a = OTHER; memcpy(f + ETH_LEN + 12, &a, 4); }

static const struct mut muts[] = {
	{ "IP version 6",            VTL_DROP_MALFORMED_IP, 0, 0, m_ipver },
	{ "IP ihl 4",                VTL_DROP_MALFORMED_IP, 0, 0, m_ihl4 },
	{ "IP fragment (MF)",        VTL_DROP_MALFORMED_IP, 0, 0, m_mf },
	{ "IP fragment (offset 1)",  VTL_DROP_MALFORMED_IP, 0, 0, m_fragoff },
	{ "IP tot_len < ihl",        VTL_DROP_MALFORMED_IP, 0, 0, m_tot_lt_ihl },
	{ "IP tot_len > frame",      VTL_DROP_TRUNCATED,    0, 0, m_tot_big },
	{ "IP tot_len < ihl*4+32",   VTL_DROP_TRUNCATED,    0, 0, m_tot_small },
	{ "frame cut in VTL header", VTL_DROP_TRUNCATED,    0, 0, m_cut },
	{ "cut, tot_len agrees",     VTL_DROP_TRUNCATED,    0, 0, m_cut_ip },
	{ "VTL version 2",           VTL_DROP_BAD_VERSION,  0, 0, m_ver2 },
	{ "VTL version 0",           VTL_DROP_BAD_VERSION,  0, 0, m_ver0 },
	{ "hdr_len 28",              VTL_DROP_BAD_HDR_LEN,  0, 0, m_hl28 },
	{ "hdr_len 36",              VTL_DROP_BAD_HDR_LEN,  0, 0, m_hl36 },
	{ "len 99 < IP payload",     VTL_DROP_BAD_LENGTH,   0, 0, m_len_lo },
	{ "len 101 > IP payload",    VTL_DROP_BAD_LENGTH,   0, 0, m_len_hi },
	{ "payload VTL_MSS_MAX+1",   VTL_DROP_BAD_LENGTH,   1, 0, m_mss },
	{ "type 0",                  VTL_DROP_BAD_TYPE,     0, 0, m_type0 },
	{ "type VTL_T_MAX+1",        VTL_DROP_BAD_TYPE,     0, 0, m_type10 },
	{ "type 255",                VTL_DROP_BAD_TYPE,     0, 0, m_type255 },
	{ "unknown session (DATA)",  VTL_DROP_UNKNOWN_SESSION, 1, 0, m_sid },
	{ "unknown session (ACK)",   VTL_DROP_UNKNOWN_SESSION, 1, 0, m_sid_ack },
	{ "known session, wrong source", VTL_DROP_UNKNOWN_SESSION, 1, 1, m_saddr },
};

static size_t template_frame(__u8 *f, bool xdp, __u32 sid)
{
	struct vtl_spec s = { .saddr = xdp ? PEER : LOCAL, .daddr = xdp ? LOCAL : PEER,
			      .session_id = sid, .type = VTL_T_DATA, .seq = 1000,
			      .tsval = 1, .pay_len = 100, .pay_seed = 0x40 };

	return pktgen_vtl(f, &s);
}

static void case_malformed(bool xdp)
{
	__u8 f[PKT_MAX];
	struct run r;
	size_t len;
	int n = 0;

	for (size_t i = 0; i < sizeof(muts) / sizeof(muts[0]); i++) {
		const struct mut *m = &muts[i];
		struct ref_verdict rv;

		if (m->xdp_only && !xdp)
			continue;
		/* PKTGEN: a valid frame for a known session, one defect, both
		 * checksums recomputed so that only the defect is wrong */
		len = template_frame(f, xdp, xdp ? SID_RX : SID_TX);
		m->fn(f, &len);
		pktgen_fix_ip(f, len);
		pktgen_fix_vtl(f, len);
		rv = ref_classify(f, len, xdp, sessions, 2);
		CHECK(rv.kind == (m->vtl ? REF_VTL_DROP : REF_DROP) && rv.reason == m->reason,
		      "%s: the reference classifier disagrees (kind %d reason %d)", m->name,
		      rv.kind, rv.reason);
		/* RUN + CHECK */
		if (m->vtl)
			RUN_EXPECT(m->name, xdp, f, len, &r, xdp ? XDP_DROP : TC_ACT_SHOT,
				   VTL_CNT_VTL, 1, m->reason, 1);
		else
			RUN_EXPECT(m->name, xdp, f, len, &r, xdp ? XDP_DROP : TC_ACT_SHOT,
				   m->reason, 1);
		n++;
	}
	len = template_frame(f, xdp, xdp ? SID_RX : SID_TX);
	if (xdp) {
		vh_of(f)->csum ^= htons(0x0100);
		RUN_EXPECT("bad checksum", true, f, len, &r, XDP_DROP,
			   VTL_CNT_VTL, 1, VTL_DROP_BAD_CSUM, 1);
	} else {
		/* egress does not verify, it stamps: a CLOSE with a bad checksum
		 * leaves with a good one (tf_tc_control, no session state) */
		vh_of(f)->type = VTL_T_CLOSE;
		vh_of(f)->csum = htons(0xdead);
		RUN_EXPECT("bad checksum (stamped)", false, f, len, &r, TC_ACT_OK,
			   VTL_CNT_VTL, 1, VTL_CNT_STAMPED, 1);
		CHECK(r.out_len == len && vtl_csum_valid(vh_of(r.out), len - L4_OFF),
		      "CLOSE left without a valid checksum");
	}
	if (xdp) {
		/* Every length class of the ingress check: summed in place (up
		 * to VTL_CSUM_SMALL_MAX), or copied to scratch and summed in
		 * 512-byte helper calls, odd lengths included. A good checksum
		 * gets as far as the session lookup; one flipped bit in the last
		 * payload byte is a checksum drop. */
		static const __u16 pays[] = { 1, 100, 127, 128, 129, 479, 480, 481, 991,
					      992, 993, 1001, 1400, VTL_MSS_MAX };

		for (size_t i = 0; i < sizeof(pays) / sizeof(pays[0]); i++) {
			struct vtl_spec s = { .saddr = PEER, .daddr = LOCAL,
				.session_id = 0x0badf00d, .type = VTL_T_DATA, .seq = 7,
				.tsval = 1, .pay_len = pays[i], .pay_seed = (__u8)(0x11 * i) };
			char what[64];

			len = pktgen_vtl(f, &s);
			snprintf(what, sizeof(what), "good checksum, %u B payload", pays[i]);
			RUN_EXPECT(what, true, f, len, &r, XDP_DROP, VTL_CNT_VTL, 1,
				   VTL_DROP_UNKNOWN_SESSION, 1);
			f[len - 1] ^= 0x01;
			snprintf(what, sizeof(what), "bad checksum, %u B payload", pays[i]);
			RUN_EXPECT(what, true, f, len, &r, XDP_DROP, VTL_CNT_VTL, 1,
				   VTL_DROP_BAD_CSUM, 1);
		}
		n += 2 * (int)(sizeof(pays) / sizeof(pays[0]));
	}
	printf("    %d malformed frames + 1 checksum case\n", n);
}

/* ---- case 3: good packets through gbn ---------------------------------- */
static size_t data_frame(__u8 *f, bool in, __u32 sid, __u32 seq, __u32 tsval, __u16 pay)
{
	struct vtl_spec s = { .saddr = in ? PEER : LOCAL, .daddr = in ? LOCAL : PEER,
			      .session_id = sid, .type = VTL_T_DATA, .seq = seq, .tsval = tsval,
			      .pay_len = pay, .pay_seed = (__u8)seq, .csum_zero = !in };

	return pktgen_vtl(f, &s);
}

/* A dup ACK built by vtl_xdp_reply_ack from frame in: check every byte. */
static void check_dup_ack(const char *what, const __u8 *in, const struct run *r, __u32 ack)
{
	const struct vtl_hdr *vh = (const struct vtl_hdr *)(r->out + L4_OFF), *ivh = vh_of((__u8 *)in);
	const __u8 *ip = r->out + ETH_LEN, *iip = in + ETH_LEN;

	CHECK(r->out_len == L4_OFF + VTL_HDR_LEN, "%s: reply is %u bytes", what, r->out_len);
	CHECK(!memcmp(r->out, in + 6, 6) && !memcmp(r->out + 6, in, 6), "%s: MACs not swapped", what);
	CHECK(!memcmp(ip + 12, iip + 16, 4) && !memcmp(ip + 16, iip + 12, 4),
	      "%s: addresses not swapped", what);
	CHECK(ip_csum_valid(r->out), "%s: bad IP checksum", what);
	CHECK((ip[2] << 8 | ip[3]) == IP4_LEN + VTL_HDR_LEN, "%s: IP tot_len", what);
	CHECK(vh->version == VTL_VERSION && vh->hdr_len == VTL_HDR_LEN && vh->type == VTL_T_ACK &&
	      vh->flags == VTL_F_DUP, "%s: not a VTL ACK with VTL_F_DUP (type %u flags %#x)",
	      what, vh->type, vh->flags);
	CHECK(ntohl(vh->ack) == ack, "%s: ack %u, want %u", what, ntohl(vh->ack), ack);
	CHECK(vh->len == 0 && vh->seq == 0 && vh->session_id == ivh->session_id,
	      "%s: len/seq/session", what);
	CHECK(vh->tsecr == ivh->tsval, "%s: tsecr does not echo tsval", what);
	CHECK(ntohs(vh->wnd) == WINDOW, "%s: wnd %u", what, ntohs(vh->wnd));
	CHECK(vtl_csum_valid(vh, VTL_HDR_LEN), "%s: bad VTL checksum", what);
}

static void case_gbn_receiver(void)
{
	struct vtl_state *st = launcher_state(&L, 1);
	__u8 f[PKT_MAX];
	struct run r;
	size_t len;

	len = data_frame(f, true, SID_RX, 1000, 777, 100);
	RUN_EXPECT("in-order DATA 1000", true, f, len, &r, redirect_verdict,
		   VTL_CNT_VTL, 1, VTL_CNT_TO_XSK, 1);
	CHECK(st->rcv_nxt == 1001 && st->rx_data == 1 && st->rx_bytes == 100 &&
	      st->ts_recent == 777, "after DATA 1000: rcv_nxt %u rx_data %llu ts_recent %u",
	      st->rcv_nxt, (unsigned long long)st->rx_data, st->ts_recent);

	len = data_frame(f, true, SID_RX, 1005, 888, 100);
	RUN_EXPECT("out-of-order DATA 1005", true, f, len, &r, XDP_TX,
		   VTL_CNT_VTL, 1, VTL_CNT_XDP_TX, 1);
	check_dup_ack("out-of-order DATA 1005", f, &r, 1000);
	CHECK(st->rcv_nxt == 1001 && st->rx_ooo == 1, "after 1005: rcv_nxt %u rx_ooo %llu",
	      st->rcv_nxt, (unsigned long long)st->rx_ooo);

	len = data_frame(f, true, SID_RX, 999, 889, 100);
	RUN_EXPECT("duplicate DATA 999", true, f, len, &r, XDP_TX,
		   VTL_CNT_VTL, 1, VTL_CNT_XDP_TX, 1);
	check_dup_ack("duplicate DATA 999", f, &r, 1000);
	CHECK(st->rx_dup == 1, "rx_dup %llu", (unsigned long long)st->rx_dup);

	/* 1000 again: taken but not confirmed by vtld -> delivered again */
	len = data_frame(f, true, SID_RX, 1000, 890, 100);
	RUN_EXPECT("unconfirmed DATA 1000", true, f, len, &r, redirect_verdict,
		   VTL_CNT_VTL, 1, VTL_CNT_TO_XSK, 1);
	/* SETUP: vtld confirms 1000 (rcv_acked 1001): now it is a duplicate */
	st->rcv_acked = 1001;
	RUN_EXPECT("confirmed DATA 1000", true, f, len, &r, XDP_TX,
		   VTL_CNT_VTL, 1, VTL_CNT_XDP_TX, 1);
	check_dup_ack("confirmed DATA 1000", f, &r, 1001);
}

/* A stamped DATA: seq, checksum (and our helper computes the same bytes),
 * tsval within the run, payload untouched. */
static void check_stamped(const char *what, const __u8 *in, size_t len, const struct run *r,
			  __u32 seq, __u32 t0, __u32 t1)
{
	const struct vtl_hdr *vh = (const struct vtl_hdr *)(r->out + L4_OFF);
	__u32 ts = ntohl(vh->tsval);

	CHECK(r->out_len == len, "%s: %u bytes out, want %zu", what, r->out_len, len);
	CHECK(ntohl(vh->seq) == seq, "%s: seq %u, want %u", what, ntohl(vh->seq), seq);
	CHECK(vtl_csum_valid(vh, len - L4_OFF), "%s: stamped checksum does not verify", what);
	CHECK(vh->csum == vtl_csum(vh, len - L4_OFF),
	      "%s: helper computes %#06x, BPF stamped %#06x", what,
	      ntohs(vtl_csum(vh, len - L4_OFF)), ntohs(vh->csum));
	CHECK(ts - t0 <= t1 - t0, "%s: tsval %u not in [%u, %u]", what, ts, t0, t1);
	CHECK(!memcmp(r->out + L4_OFF + VTL_HDR_LEN, in + L4_OFF + VTL_HDR_LEN,
		      len - L4_OFF - VTL_HDR_LEN), "%s: payload changed", what);
}

static void case_gbn_sender(void)
{
	struct vtl_state *st = launcher_state(&L, 2);
	__u8 f[PKT_MAX], sent[PKT_MAX];
	const struct vtl_hdr *vh;
	size_t len, sent_len;
	struct run r;
	__u32 t0;

	/* DATA as vtld sends it: seq 0, checksum 0 */
	sent_len = data_frame(sent, false, SID_TX, 0, 0, 100);
	t0 = mono_us();
	RUN_EXPECT("new DATA", false, sent, sent_len, &r, TC_ACT_OK,
		   VTL_CNT_VTL, 1, VTL_CNT_STAMPED, 1);
	check_stamped("new DATA", sent, sent_len, &r, 5000, t0, mono_us());
	memcpy(sent, r.out, sent_len); /* what went on the wire */
	CHECK(st->snd_nxt == 5001 && st->snd_una == 5000 && st->tx_data == 1 &&
	      st->tx_bytes == 100, "after new DATA: snd_nxt %u snd_una %u tx_data %llu",
	      st->snd_nxt, st->snd_una, (unsigned long long)st->tx_data);

	/* retransmission trigger: header-only DATA, VTL_F_RETX, seq 5000 */
	len = data_frame(f, false, SID_TX, 5000, 0, 0);
	vh_of(f)->flags = VTL_F_RETX;
	RUN_EXPECT("retx trigger 5000", false, f, len, &r, TC_ACT_OK,
		   VTL_CNT_VTL, 1, VTL_CNT_RETX_FILLED, 1);
	vh = (const struct vtl_hdr *)(r.out + L4_OFF);
	CHECK(r.out_len == sent_len, "refill: %u bytes, want %zu", r.out_len, sent_len);
	CHECK(!memcmp(r.out + L4_OFF + VTL_HDR_LEN, sent + L4_OFF + VTL_HDR_LEN, 100),
	      "refill: payload differs from the stored frame");
	CHECK((r.out[ETH_LEN + 2] << 8 | r.out[ETH_LEN + 3]) == (int)(sent_len - ETH_LEN),
	      "refill: IP tot_len not fixed");
	CHECK(ip_csum_valid(r.out), "refill: bad IP checksum");
	CHECK(vtl_csum_valid(vh, sent_len - L4_OFF), "refill: bad VTL checksum");
	CHECK(vh->flags & VTL_F_RETX, "refill: VTL_F_RETX not set");
	CHECK(ntohl(vh->seq) == 5000 && vh->type == VTL_T_DATA && ntohs(vh->len) == 100,
	      "refill: header is not DATA 5000 len 100");
	CHECK(st->tx_retx == 1 && st->snd_nxt == 5001, "refill: tx_retx %llu snd_nxt %u",
	      (unsigned long long)st->tx_retx, st->snd_nxt);

	vh_of(f)->seq = htonl(5001);
	RUN_EXPECT("retx trigger 5001 (unsent)", false, f, len, &r, TC_ACT_SHOT,
		   VTL_CNT_VTL, 1, VTL_DROP_RETX_MISS, 1);
	vh_of(f)->seq = htonl(4999);
	RUN_EXPECT("retx trigger 4999 (before isn)", false, f, len, &r, TC_ACT_SHOT,
		   VTL_CNT_VTL, 1, VTL_DROP_RETX_MISS, 1);

	/* the peer's ACK 5001 reaches the listener */
	{
		struct vtl_spec s = { .saddr = PEER, .daddr = LOCAL, .session_id = SID_TX,
				      .type = VTL_T_ACK, .ack = 5002, .tsecr = 0 };

		len = pktgen_vtl(f, &s);
		RUN_EXPECT("ACK 5002 (beyond snd_nxt)", true, f, len, &r, XDP_DROP,
			   VTL_CNT_VTL, 1, VTL_DROP_OUT_OF_WINDOW, 1);
		s.ack = 5001;
		len = pktgen_vtl(f, &s);
		RUN_EXPECT("ACK 5001", true, f, len, &r, XDP_DROP,
			   VTL_CNT_VTL, 1, VTL_CNT_CONSUMED, 1);
		CHECK(st->snd_una == 5001 && st->rx_acks == 1, "after ACK 5001: snd_una %u",
		      st->snd_una);
	}
}

/* Fill the window (payload lengths 0..63 exercise every checksum tail). */
static void case_window(void)
{
	struct vtl_state *st = launcher_state(&L, 2);
	__u8 f[PKT_MAX];
	struct cnt a, b;
	struct run r;
	size_t len;
	__u32 t0;
	int ok = 0;

	snap(&a);
	for (__u32 i = 0; i < WINDOW; i++) {
		len = data_frame(f, false, SID_TX, 0, 0, (__u16)i);
		t0 = mono_us();
		run_prog(false, f, len, &r);
		EXPECT_VERDICT("window fill", false, &r, TC_ACT_OK);
		check_stamped("window fill", f, len, &r, 5001 + i, t0, mono_us());
		ok += r.ret == TC_ACT_OK;
	}
	snap(&b);
	delta_ok("window fill", &a, &b, T, VTL_CNT_VTL, WINDOW, VTL_CNT_STAMPED, WINDOW, -1);
	len = data_frame(f, false, SID_TX, 0, 0, 10);
	RUN_EXPECT("65th DATA", false, f, len, &r, TC_ACT_SHOT,
		   VTL_CNT_VTL, 1, VTL_DROP_WINDOW_FULL, 1);
	CHECK(st->snd_nxt == 5001 + WINDOW, "snd_nxt %u", st->snd_nxt);
	printf("    %d frames stamped (payload 0..%d bytes), the %dth refused\n", ok,
	       WINDOW - 1, WINDOW + 1);
}

/* One application-limited round trip on slot 2: a DATA out, then the ACK
 * of everything sent. */
static void one_round_trip(const char *what, struct vtl_spec *ack)
{
	struct vtl_state *st = launcher_state(&L, 2);
	__u8 f[PKT_MAX];
	struct run r;
	size_t len;

	len = data_frame(f, false, SID_TX, 0, 0, 10);
	RUN_EXPECT(what, false, f, len, &r, TC_ACT_OK, VTL_CNT_VTL, 1, VTL_CNT_STAMPED, 1);
	ack->ack = st->snd_nxt;
	len = pktgen_vtl(f, ack);
	RUN_EXPECT(what, true, f, len, &r, XDP_DROP, VTL_CNT_VTL, 1, VTL_CNT_CONSUMED, 1);
}

/* After case_window: 64 packets in flight. cwnd grows while it limits the
 * sender, and not while the application does (one packet at a time). */
static void case_cwnd(void)
{
	struct vtl_state *st = launcher_state(&L, 2);
	struct vtl_spec ack = { .saddr = PEER, .daddr = LOCAL, .session_id = SID_TX,
				.type = VTL_T_ACK };
	__u8 f[PKT_MAX];
	struct run r;
	size_t len;
	__u32 cw;

	CHECK(st->snd_una == 5001 && st->snd_nxt == 5001 + WINDOW,
	      "cwnd: start from a full window (snd_una %u snd_nxt %u)", st->snd_una, st->snd_nxt);
	st->cwnd = 10;              /* slow start, well below the flight */
	st->ssthresh = 100000;
	ack.ack = 5002;
	len = pktgen_vtl(f, &ack);
	RUN_EXPECT("ACK 5002, 64 in flight", true, f, len, &r, XDP_DROP,
		   VTL_CNT_VTL, 1, VTL_CNT_CONSUMED, 1);
	CHECK(st->cwnd == 11, "cwnd-limited slow start: cwnd %u, want 11", st->cwnd);
	ack.ack = 5001 + WINDOW;
	len = pktgen_vtl(f, &ack);
	RUN_EXPECT("ACK of the whole window", true, f, len, &r, XDP_DROP,
		   VTL_CNT_VTL, 1, VTL_CNT_CONSUMED, 1);
	cw = st->cwnd;
	CHECK(cw == 11 + WINDOW - 1, "cwnd after the window: %u, want %u", cw, 11 + WINDOW - 1);
	/* application-limited: one packet, its ACK, five times */
	for (int i = 0; i < 5; i++)
		one_round_trip("one DATA and its ACK (slow start)", &ack);
	CHECK(st->snd_una == st->snd_nxt && st->cwnd == cw,
	      "application-limited: cwnd %u, want it kept at %u", st->cwnd, cw);
	/* congestion avoidance at a cwnd the flight does not fill: kept too */
	st->ssthresh = 8;
	st->cwnd = 8;
	st->cwnd_acc = 7;
	one_round_trip("one DATA and its ACK (CA)", &ack);
	CHECK(st->cwnd == 8 && st->cwnd_acc == 7,
	      "application-limited CA: cwnd %u acc %u, want 8 and 7", st->cwnd, st->cwnd_acc);
	printf("    cwnd 10 -> %u while cwnd-limited; kept over 6 application-limited round trips\n",
	       cw);
}

/* ---- case 3b: pr-delay receiver: a hole older than max delay ----------- */
#define SID_PRD  0x44440003u      /* slot 3: pr-delay, we receive (isn_rx 2000) */
#define PRD_MS   50               /* its max delay (tunable set by the Launcher) */

/* one DATA frame from the peer into slot 3, delivered to the XSK */
#define PRD_DATA(_what, _seq, _ts, _ecr, ...) do {                                  \
	sp.seq = (_seq); sp.tsval = (_ts); sp.tsecr = (_ecr); sp.pay_seed = (__u8)(_seq); \
	len = pktgen_vtl(f, &sp);                                                       \
	RUN_EXPECT(_what, true, f, len, &r, redirect_verdict, VTL_CNT_VTL, 1,          \
		   VTL_CNT_TO_XSK, 1, ##__VA_ARGS__);                                 \
} while (0)

/* pr-delay in slot 3, receiving from PEER, the peer's ISN isn_rx */
static struct graft_inst *prd_deploy(__u32 isn_rx)
{
	struct graft_inst *g = NULL;
	char err[512] = "";

	if (launcher_graft_get_tun(&L, VTL_POOL_DIR "/pr-delay.o", WINDOW, 0, PRD_MS, &g, err,
				   sizeof(err)) || launcher_slot_set(&L, 3, g) ||
	    launcher_session_add(&L, 3, &(struct launcher_sess){ .session_id = SID_PRD,
		.peer = PEER4, .window = WINDOW, .isn_tx = 1, .isn_rx = isn_rx, .mss = 1400 })) {
		CHECK(0, "cannot deploy pr-delay in slot 3: %s", err);
		if (g)
			launcher_graft_put(&L, g);
		return NULL;
	}
	return g;
}

static void case_pr_delay(void)
{
	struct vtl_state *st = launcher_state(&L, 3);
	struct graft_inst *g = prd_deploy(2000);
	struct vtl_spec sp = { .saddr = PEER, .daddr = LOCAL, .session_id = SID_PRD,
			       .type = VTL_T_DATA, .pay_len = 100 };
	__u8 f[PKT_MAX];
	struct run r;
	size_t len;
	__u32 now;

	if (!g)
		return;
	PRD_DATA("DATA 2000", 2000, 1000, 0);
	st->rcv_acked = 2001;           /* SETUP: vtld delivered 2000; 2001 is lost */
	PRD_DATA("DATA 2002 above the hole", 2002, 1010, 0);
	CHECK(st->hole_seq == 2001 && st->hole_hi == 2002 && st->hole_ts == 1010,
	      "hole reference: seq %u hi %u ts %u", st->hole_seq, st->hole_hi, st->hole_ts);
	PRD_DATA("DATA 2003, hole 1 us younger than max delay", 2003, 1010 + PRD_MS * 1000 - 1, 0);
	CHECK(st->pr_skip == 2000 && !st->pr_late, "given up too early: pr_skip %u", st->pr_skip);
	PRD_DATA("DATA 2004, hole as old as max delay", 2004, 1010 + PRD_MS * 1000, 0,
		 VTL_CNT_GIVEUP_LATE, 1);
	CHECK(st->pr_skip == 2002 && st->pr_late == 1 && st->pr_granted == 1,
	      "after 2004: pr_skip %u pr_late %u pr_granted %u", st->pr_skip, st->pr_late,
	      st->pr_granted);
	/* vtld skipped 2001 and delivered 2002..2004; 2006 is missing now. The
	 * echo of our ACK stamp gives an RTT of 20 ms: 10 ms count as one-way. */
	st->rcv_acked = 2005;
	now = mono_us();
	PRD_DATA("DATA 2007, RTT echo", 2007, 200000, now - 20000);
	CHECK(st->rtt_min_us >= 20000 && st->rtt_min_us < 20000 + 100000,
	      "rtt_min_us %u, want about 20000", st->rtt_min_us);
	CHECK(st->hole_seq == 2005 && st->hole_hi == 2007, "new reference: seq %u hi %u",
	      st->hole_seq, st->hole_hi);
	PRD_DATA("DATA 2008, hole old enough with the one-way delay", 2008,
		 200000 + PRD_MS * 1000 - st->rtt_min_us / 2, 0, VTL_CNT_GIVEUP_LATE, 1);
	CHECK(st->pr_skip == 2006 && st->pr_late == 2, "after 2008: pr_skip %u pr_late %u",
	      st->pr_skip, st->pr_late);
	launcher_session_del(&L, 3, SID_PRD);
	launcher_graft_put(&L, g);
}

/* ---- case 3c: pr-delay with an ISN in the upper half ----------------------
 * Regression: the hole reference started zeroed, and with a random ISN
 * above 2^31 sequence 0 counts as "above the delivery point", so every hole
 * looked as old as the sender's clock and was given up at once. Zeroed
 * again here after the Launcher's setup, so the KTF's own guard is tested. */
#define ISN_HI 0x90000000u
#define TS0    0x40000000u        /* a sender clock ~18 minutes after boot */

static void case_pr_delay_high_isn(void)
{
	struct vtl_state *st = launcher_state(&L, 3);
	struct graft_inst *g = prd_deploy(ISN_HI);
	struct vtl_spec sp = { .saddr = PEER, .daddr = LOCAL, .session_id = SID_PRD,
			       .type = VTL_T_DATA, .pay_len = 100 };
	__u8 f[PKT_MAX];
	struct run r;
	size_t len;

	if (!g)
		return;
	CHECK(st->hole_seq == ISN_HI && st->hole_hi == ISN_HI, "Launcher: hole reference at the ISN");
	st->hole_seq = st->hole_hi = st->hole_ts = 0;
	PRD_DATA("DATA ISN", ISN_HI, TS0, 0);
	st->rcv_acked = ISN_HI + 1;     /* SETUP: delivered; ISN+1 is lost */
	PRD_DATA("DATA ISN+2 above the hole", ISN_HI + 2, TS0 + 10, 0);
	CHECK(st->hole_hi == ISN_HI + 2 && st->hole_ts == TS0 + 10,
	      "hole reference: hi %#x ts %#x (a stale zero reference was kept?)", st->hole_hi,
	      st->hole_ts);
	PRD_DATA("DATA ISN+3, hole 1 us younger than max delay", ISN_HI + 3,
		 TS0 + 10 + PRD_MS * 1000 - 1, 0);
	CHECK(!st->pr_late && st->pr_skip == ISN_HI, "given up too early: pr_skip %#x pr_late %u",
	      st->pr_skip, st->pr_late);
	PRD_DATA("DATA ISN+4, hole as old as max delay", ISN_HI + 4, TS0 + 10 + PRD_MS * 1000, 0,
		 VTL_CNT_GIVEUP_LATE, 1);
	CHECK(st->pr_late == 1 && st->pr_skip == ISN_HI + 2, "after ISN+4: pr_skip %#x pr_late %u",
	      st->pr_skip, st->pr_late);
	launcher_session_del(&L, 3, SID_PRD);
	launcher_graft_put(&L, g);
}

#undef PRD_DATA

/* ---- cases 3d-3g: sr's SACK sender, pr's loss budget, sr-tlp's probe,
 * and the private state the Launcher keeps per slot ----------------------- */

/* graft (a pool object name) in slot with a session: sid, our ISN isn_tx,
 * the peer's isn_rx; max_loss_ppm 0 keeps the object's default. */
static struct graft_inst *deploy(__u32 slot, const char *graft, __u32 window, __u32 sid,
				 __u32 isn_tx, __u32 isn_rx, __u32 max_loss_ppm, bool receiver)
{
	struct graft_inst *g = NULL;
	char path[512], err[512] = "";
	int e;

	snprintf(path, sizeof(path), "%s/%s.o", VTL_POOL_DIR, graft);
	e = launcher_graft_get_tun(&L, path, window, max_loss_ppm, 0, &g, err, sizeof(err));
	if (!e)
		e = launcher_slot_set(&L, slot, g);
	if (!e)
		e = launcher_session_add(&L, slot, &(struct launcher_sess){ .session_id = sid,
			.peer = PEER4, .window = window, .isn_tx = isn_tx, .isn_rx = isn_rx,
			.mss = 1400 });
	if (!e && !receiver)   /* a sender's retransmission copies (its first DATA's) */
		e = launcher_retx_get(&L, slot);
	if (e) {
		CHECK(0, "cannot deploy %s in slot %u: %s %s", graft, slot, strerror(-e), err);
		if (g)
			launcher_graft_put(&L, g);
		return NULL;
	}
	return g;
}

/* An ACK from the peer: cumulative ack, tsecr, nb SACK blocks [start, end). */
static size_t ack_frame(__u8 *f, __u32 sid, __u32 ack, __u32 tsecr, int nb, const __u32 (*blk)[2])
{
	struct vtl_spec s = { .saddr = PEER, .daddr = LOCAL, .session_id = sid,
			      .type = VTL_T_ACK, .ack = ack, .tsecr = tsecr,
			      .pay_len = (__u16)(nb * sizeof(struct vtl_sack_block)) };
	size_t len = pktgen_vtl(f, &s);
	struct vtl_sack_block *b = (struct vtl_sack_block *)(f + L4_OFF + VTL_HDR_LEN);

	for (int i = 0; i < nb; i++) {
		b[i].start = htonl(blk[i][0]);
		b[i].end = htonl(blk[i][1]);
	}
	pktgen_fix_vtl(f, len);
	return len;
}

/* Events posted for slot since the last call (others dropped). */
static int slot_events(__u32 slot, struct vtl_event *ev, int max)
{
	struct vtl_event all[64];
	int n = ev_collect(all, 64), k = 0;

	for (int i = 0; i < n && k < max; i++)
		if (all[i].slot == slot)
			ev[k++] = all[i];
	return k;
}

static __u64 mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (__u64)ts.tv_sec * 1000000000ull + ts.tv_nsec;
}

/* ---- case 3d: sr sender, the SACK listener (tf_xdp_sack) and refills ---- */
#define SID_SR  0x55550004u       /* slot 4: sr, we send (isn_tx 7000) */
#define SR_ISN  7000u
#define SR_N    10                /* packets sent: 7000..7009 */

static void sr_ack(const char *what, __u32 ack, int nb, const __u32 (*blk)[2])
{
	__u8 f[PKT_MAX];
	struct run r;
	size_t len = ack_frame(f, SID_SR, ack, 0, nb, blk);

	RUN_EXPECT(what, true, f, len, &r, XDP_DROP, VTL_CNT_VTL, 1, VTL_CNT_CONSUMED, 1);
}

/* The blocks the listener recorded (want: nb pairs, the rest none), and
 * the highest SACKed + 1. */
static void check_sack(const char *what, const struct vtl_state *st, int nb,
		       const __u32 (*want)[2], __u32 hi)
{
	for (int i = 0; i < VTL_SACK_MAX; i++) {
		__u32 s = i < nb ? want[i][0] : 0, e = i < nb ? want[i][1] : 0;

		CHECK(st->sack[i][0] == s && st->sack[i][1] == e,
		      "%s: block %d is [%u, %u), want [%u, %u)", what, i, st->sack[i][0],
		      st->sack[i][1], s, e);
	}
	CHECK(st->sack_hi == hi, "%s: sack_hi %u, want %u", what, st->sack_hi, hi);
}

static void case_sr_sack(void)
{
	struct vtl_state *st = launcher_state(&L, 4);
	struct graft_inst *g = deploy(4, "sr", WINDOW, SID_SR, SR_ISN, 0, 0, false);
	static __u8 sent[SR_N][PKT_MAX];
	size_t sent_len[SR_N], len;
	struct vtl_event ev[8];
	__u8 f[PKT_MAX];
	struct run r;
	__u32 cw;
	int n;

	if (!g)
		return;
	st->rto_us = 10000000;  /* SETUP: the timer armed by the first send stays quiet */
	for (int i = 0; i < SR_N; i++) {
		sent_len[i] = data_frame(sent[i], false, SID_SR, 0, 0, (__u16)(100 + i));
		RUN_EXPECT("sr DATA", false, sent[i], sent_len[i], &r, TC_ACT_OK,
			   VTL_CNT_VTL, 1, VTL_CNT_STAMPED, 1);
		memcpy(sent[i], r.out, sent_len[i]);
	}
	CHECK(st->snd_una == SR_ISN && st->snd_nxt == SR_ISN + SR_N, "sent: snd_una %u snd_nxt %u",
	      st->snd_una, st->snd_nxt);
	ev_clear();

	/* an advancing ACK: snd_una moves, no blocks, one VTL_EV_ACK */
	sr_ack("ACK 7002", 7002, 0, NULL);
	CHECK(st->snd_una == 7002, "ACK 7002: snd_una %u", st->snd_una);
	check_sack("ACK 7002", st, 0, NULL, 7002);
	n = slot_events(4, ev, 8);
	CHECK(n == 1 && ev[0].type == VTL_EV_ACK && ev[0].session_id == SID_SR &&
	      ev[0].from == SR_ISN && ev[0].to == 7002,
	      "ACK 7002: %d events, want one VTL_EV_ACK [7000, 7002) (type %u [%u, %u))", n,
	      n ? ev[0].type : 0, n ? ev[0].from : 0, n ? ev[0].to : 0);

	/* a block 3 above snd_una: recorded; not more than VTL_REORDER_THRESH,
	 * so no recovery episode yet */
	sr_ack("SACK [7004,7005)", 7002, 1, (const __u32[][2]){ { 7004, 7005 } });
	check_sack("SACK [7004,7005)", st, 1, (const __u32[][2]){ { 7004, 7005 } }, 7005);
	n = slot_events(4, ev, 8);
	CHECK(st->fast_retx == 0 && n == 0 && st->recover == SR_ISN,
	      "highest SACKed 3 above snd_una: fast_retx %llu, %d events, recover %u",
	      (unsigned long long)st->fast_retx, n, st->recover);

	/* blocks outside (snd_una, snd_nxt], empty or reversed mean nothing */
	sr_ack("SACK, 4 blocks out of range", 7002, 4, (const __u32[][2]){
		{ 7002, 7003 },  /* starts at snd_una: not above it */
		{ 7005, 7011 },  /* ends beyond snd_nxt (7010) */
		{ 7006, 7006 },  /* empty */
		{ 7008, 7007 },  /* reversed */
	});
	check_sack("SACK, 4 blocks out of range", st, 0, NULL, 7002);
	n = slot_events(4, ev, 8);
	CHECK(st->fast_retx == 0 && n == 0, "blocks out of range: fast_retx %llu, %d events",
	      (unsigned long long)st->fast_retx, n);

	/* 4 above snd_una: one recovery episode for [snd_una, highest SACKed);
	 * AIMD's on_loss halves cwnd (10, + 2 in slow start from ACK 7002) */
	cw = st->cwnd;
	sr_ack("SACK [7004,7006)", 7002, 1, (const __u32[][2]){ { 7004, 7006 } });
	check_sack("SACK [7004,7006)", st, 1, (const __u32[][2]){ { 7004, 7006 } }, 7006);
	n = slot_events(4, ev, 8);
	CHECK(st->fast_retx == 1 && st->recover == SR_ISN + SR_N,
	      "episode: fast_retx %llu recover %u", (unsigned long long)st->fast_retx, st->recover);
	CHECK(n == 1 && ev[0].type == VTL_EV_FAST_RETX && ev[0].from == 7002 && ev[0].to == 7006,
	      "episode: %d events, want one VTL_EV_FAST_RETX [7002, 7006) (type %u [%u, %u))", n,
	      n ? ev[0].type : 0, n ? ev[0].from : 0, n ? ev[0].to : 0);
	CHECK(cw == 12 && st->cwnd == 6 && st->ssthresh == 6, "episode: cwnd %u -> %u, ssthresh %u",
	      cw, st->cwnd, st->ssthresh);

	/* more SACKs in the same episode, one ending at snd_nxt (valid): recorded,
	 * no second episode */
	sr_ack("SACK [7004,7006) [7009,7010)", 7002, 2,
	       (const __u32[][2]){ { 7004, 7006 }, { 7009, 7010 } });
	check_sack("SACK [7004,7006) [7009,7010)", st, 2,
		   (const __u32[][2]){ { 7004, 7006 }, { 7009, 7010 } }, 7010);
	n = slot_events(4, ev, 8);
	CHECK(st->fast_retx == 1 && n == 0, "same episode: fast_retx %llu, %d events",
	      (unsigned long long)st->fast_retx, n);

	/* retransmission triggers: SACKed packets are not resent, the holes
	 * are refilled from the kernel's copies */
	for (__u32 seq = 7002; seq < SR_ISN + SR_N; seq++) {
		bool sacked = (seq >= 7004 && seq < 7006) || seq == 7009;
		const __u8 *s = sent[seq - SR_ISN];
		size_t sl = sent_len[seq - SR_ISN];
		const struct vtl_hdr *vh = (const struct vtl_hdr *)(r.out + L4_OFF);
		char what[64];

		len = data_frame(f, false, SID_SR, seq, 0, 0);
		vh_of(f)->flags = VTL_F_RETX;
		snprintf(what, sizeof(what), "retx trigger %u (%s)", seq, sacked ? "SACKed" : "hole");
		if (sacked) {
			RUN_EXPECT(what, false, f, len, &r, TC_ACT_SHOT,
				   VTL_CNT_VTL, 1, VTL_CNT_RETX_SKIPPED, 1);
			continue;
		}
		RUN_EXPECT(what, false, f, len, &r, TC_ACT_OK, VTL_CNT_VTL, 1, VTL_CNT_RETX_FILLED, 1);
		CHECK(r.out_len == sl && ntohl(vh->seq) == seq && (vh->flags & VTL_F_RETX) &&
		      !memcmp(r.out + L4_OFF + VTL_HDR_LEN, s + L4_OFF + VTL_HDR_LEN,
			      sl - L4_OFF - VTL_HDR_LEN) && vtl_csum_valid(vh, sl - L4_OFF),
		      "%s: not the stored packet (%u bytes, seq %u)", what, r.out_len, ntohl(vh->seq));
	}
	CHECK(st->tx_retx == 5, "tx_retx %llu, want 5 (7002 7003 7006 7007 7008)",
	      (unsigned long long)st->tx_retx);

	/* all acknowledged: the scoreboard empties */
	sr_ack("ACK 7010", 7010, 0, NULL);
	CHECK(st->snd_una == 7010, "ACK 7010: snd_una %u", st->snd_una);
	check_sack("ACK 7010", st, 0, NULL, 7010);
	launcher_session_del(&L, 4, SID_SR);
	launcher_graft_put(&L, g);
	printf("    SACK blocks kept/ignored at the range edges, 1 episode at 4 above snd_una, "
	       "3 SACKed triggers skipped, 5 refilled\n");
}

/* ---- case 3e: pr receiver, the give-up within the loss budget ----------- */
#define SID_PR  0x55550005u       /* slot 5: pr, we receive (isn_rx 3000) */
#define PR_ISN  3000u
#define PR_PPM  125000u           /* its loss budget: 1 in 8 (tunable vtl_max_loss_ppm) */

#define PR_DATA(_what, _seq) do {                                                       \
	sp.seq = (_seq); sp.pay_seed = (__u8)(_seq);                                    \
	len = pktgen_vtl(f, &sp);                                                       \
	RUN_EXPECT(_what, true, f, len, &r, redirect_verdict, VTL_CNT_VTL, 1,          \
		   VTL_CNT_TO_XSK, 1);                                                  \
} while (0)
#define PR_EXPECT(_what, _skip, _granted)                                               \
	CHECK(st->pr_skip == (_skip) && st->pr_granted == (_granted),                   \
	      "%s: pr_skip %u pr_granted %u, want %u and %u", _what, st->pr_skip,       \
	      st->pr_granted, (_skip), (_granted))

static void case_pr_budget(void)
{
	struct vtl_state *st = launcher_state(&L, 5);
	struct graft_inst *g = deploy(5, "pr", WINDOW, SID_PR, 1, PR_ISN, PR_PPM, true);
	struct vtl_spec sp = { .saddr = PEER, .daddr = LOCAL, .session_id = SID_PR,
			       .type = VTL_T_DATA, .tsval = 1, .pay_len = 100 };
	__u8 f[PKT_MAX];
	struct run r;
	size_t len;

	if (!g)
		return;
	for (__u32 seq = PR_ISN; seq < 3005; seq++) {
		PR_DATA("DATA in order", seq);
		st->rcv_acked = seq + 1;  /* SETUP: vtld takes it */
	}
	PR_EXPECT("in order", PR_ISN, 0);
	/* 3005 is lost */
	PR_DATA("DATA 3006", 3006);
	PR_DATA("DATA 3007", 3007);
	PR_EXPECT("2 above the hole (1 loss in 8: budget allows)", PR_ISN, 0);
	PR_DATA("DATA 3008", 3008);
	PR_EXPECT("3 above the hole, 1 loss in 9", 3006, 1);
	st->rcv_acked = 3009;           /* SETUP: vtld skipped 3005, took 3006..3008 */
	for (__u32 seq = 3010; seq <= 3014; seq++)
		PR_DATA("DATA above the second hole", seq);
	PR_EXPECT("2 losses in 13..15 exceed 1 in 8: refused", 3006, 1);
	PR_DATA("DATA 3015", 3015);
	PR_EXPECT("2 losses in 16 = the budget: granted", 3010, 2);
	/* vtld has not caught up (rcv_acked 3009): not granted again, even
	 * when the budget would allow a third loss (3 in 24) */
	for (__u32 seq = 3016; seq <= 3023; seq++)
		PR_DATA("DATA, vtld behind", seq);
	PR_EXPECT("before vtld caught up", 3010, 2);
	CHECK(st->rx_data == 22 && st->rcv_nxt == 3024, "rx_data %llu rcv_nxt %u",
	      (unsigned long long)st->rx_data, st->rcv_nxt);
	launcher_session_del(&L, 5, SID_PR);
	launcher_graft_put(&L, g);
}

#undef PR_EXPECT
#undef PR_DATA

/* ---- case 3f: sr-tlp sender: the probe timer, in private state ---------- */
#define SID_TLP6 0x66660006u      /* slots 6 and 7: sr-tlp, we send (isn_tx 9000) */
#define SID_TLP7 0x77770007u
#define TLP_ISN  9000u

/* grafts/sr-tlp.bpf.c's private state, as it lies in vtl_priv */
struct tlp_view {
	__u64 probes;
	__u32 probe_una;
	__u32 pad;
};

static void priv_read(__u32 slot, struct vtl_priv_area *a)
{
	memset(a, 0xee, sizeof(*a));
	CHECK(!bpf_map_lookup_elem(launcher_map_fd(&L, "vtl_priv"), &slot, a),
	      "vtl_priv[%u]: %s", slot, strerror(errno));
}

static void priv_write(__u32 slot, const struct vtl_priv_area *a)
{
	CHECK(!bpf_map_update_elem(launcher_map_fd(&L, "vtl_priv"), &slot, a, BPF_ANY),
	      "vtl_priv[%u]: %s", slot, strerror(errno));
}

static bool priv_is_zero(const struct vtl_priv_area *a)
{
	for (size_t i = 0; i < sizeof(a->data); i++)
		if (a->data[i])
			return false;
	return true;
}

static void case_sr_tlp(void)
{
	struct vtl_state *st = launcher_state(&L, 6);
	struct graft_inst *g = NULL, *g7 = NULL;
	struct vtl_priv_area a, junk;
	struct vtl_event ev = {};
	struct tlp_view tv;
	__u64 t0, t1, armed, pto;
	struct cnt c0, c1;
	__u8 f[PKT_MAX];
	struct run r;
	size_t len;

	/* SETUP: leftovers of earlier users in both private areas */
	memset(&junk, 0xa5, sizeof(junk));
	priv_write(6, &junk);
	priv_write(7, &junk);
	g = deploy(6, "sr-tlp", WINDOW, SID_TLP6, TLP_ISN, 0, 0, false);
	g7 = deploy(7, "sr-tlp", WINDOW, SID_TLP7, TLP_ISN, 0, 0, false);
	if (!g || !g7)
		goto out;
	CHECK(g == g7 && g->uid, "one loaded instance for both slots (uid %u)", g->uid);
	for (__u32 s = 6; s <= 7; s++) {
		priv_read(s, &a);
		CHECK(a.owner == g->uid && priv_is_zero(&a),
		      "slot %u: private area owner %u (want %u), zeroed: %d", s, a.owner, g->uid,
		      priv_is_zero(&a));
	}

	/* five DATA out: the timer is armed for the initial RTO (50 ms) */
	t0 = mono_ns();
	for (int i = 0; i < 5; i++) {
		len = data_frame(f, false, SID_TLP6, 0, 0, 100);
		RUN_EXPECT("sr-tlp DATA", false, f, len, &r, TC_ACT_OK,
			   VTL_CNT_VTL, 1, VTL_CNT_STAMPED, 1);
	}
	t1 = mono_ns();
	armed = st->timer_at_ns;
	CHECK(st->timer_armed && armed >= t0 + 50000000ull && armed <= t1 + 50000000ull,
	      "timer armed %d at %+lld ns from the first send, want +50 ms", st->timer_armed,
	      (long long)(armed - t0));

	/* the ACK of 9000 with a 0.5 ms RTT sample: it advances snd_una with
	 * data in flight, so the timer comes forward to now + PTO,
	 * PTO = min(max(2 x SRTT, 10 ms), RTO): the RTO, 5 ms (vtl_min_rto_us)
	 * unless the run itself took over a millisecond */
	snap(&c0);
	ev_clear();
	t0 = mono_ns();
	len = ack_frame(f, SID_TLP6, TLP_ISN + 1, mono_us() - 500, 0, NULL);
	RUN_EXPECT("ACK 9001", true, f, len, &r, XDP_DROP, VTL_CNT_VTL, 1, VTL_CNT_CONSUMED, 1);
	t1 = mono_ns();
	pto = 2ull * st->srtt_us < 10000 ? 10000 : 2ull * st->srtt_us;
	pto = (pto > st->rto_us ? st->rto_us : pto) * 1000;
	CHECK(st->snd_una == TLP_ISN + 1 && st->srtt_us >= 500 && st->rto_us >= 5000 &&
	      pto < 10000000, "ACK 9001: snd_una %u srtt %u us rto %u us: PTO %llu ns", st->snd_una,
	      st->srtt_us, st->rto_us, (unsigned long long)pto);
	CHECK(st->timer_at_ns < armed && st->timer_at_ns >= t0 + pto && st->timer_at_ns <= t1 + pto,
	      "the ACK left the timer at %+lld ns from it, want +%llu (it was at %+lld)",
	      (long long)(st->timer_at_ns - t0), (unsigned long long)pto, (long long)(armed - t0));

	/* no ACK for a PTO: the probe resends the highest packet in flight,
	 * once; sr-tlp counts it in slot 6's private state, not in vtl_state */
	CHECK(!ev_wait(VTL_EV_PROBE, 6, 2000, &ev), "no VTL_EV_PROBE for slot 6 within 2 s");
	CHECK(ev.session_id == SID_TLP6 && ev.from == TLP_ISN + 4 && ev.to == TLP_ISN + 5,
	      "probe [%u, %u), want [9004, 9005)", ev.from, ev.to);
	priv_read(6, &a);
	memcpy(&tv, a.data, sizeof(tv));
	CHECK(a.owner == g->uid && tv.probes == 1 && tv.probe_una == TLP_ISN + 1,
	      "slot 6 private state: owner %u probes %llu probe_una %u, want %u, 1, 9001", a.owner,
	      (unsigned long long)tv.probes, tv.probe_una, g->uid);
	priv_read(7, &a);
	CHECK(a.owner == g->uid && priv_is_zero(&a), "slot 7's private state changed (owner %u)",
	      a.owner);
	CHECK(!st->pad1, "vtl_state's old probe field written: %llu",
	      (unsigned long long)st->pad1);

	/* all acknowledged: the timer goes idle; one probe counted per host */
	len = ack_frame(f, SID_TLP6, TLP_ISN + 5, 0, 0, NULL);
	RUN_EXPECT("ACK 9005", true, f, len, &r, XDP_DROP, VTL_CNT_VTL, 1, VTL_CNT_CONSUMED, 1);
	snap(&c1);
	CHECK(c1.c[T][VTL_CNT_PROBE] - c0.c[T][VTL_CNT_PROBE] == 1, "probes counter moved by %llu",
	      (unsigned long long)(c1.c[T][VTL_CNT_PROBE] - c0.c[T][VTL_CNT_PROBE]));
	printf("    timer %+.1f ms -> %+.1f ms from the ACK; probe [%u, %u) in slot 6 only\n",
	       (double)(long long)(armed - t0) / 1e6, (double)pto / 1e6, ev.from, ev.to);

	/* slot 7 the same way, but its area now belongs to another graft
	 * object (as after a swap, with sr-tlp's timer still running): the
	 * timer finds no private state, so it does not probe, and it leaves
	 * the other graft's bytes alone; the RTO fires instead */
	for (int i = 0; i < 2; i++) {
		len = data_frame(f, false, SID_TLP7, 0, 0, 100);
		RUN_EXPECT("sr-tlp DATA (slot 7)", false, f, len, &r, TC_ACT_OK,
			   VTL_CNT_VTL, 1, VTL_CNT_STAMPED, 1);
	}
	junk.owner = g->uid + 1000;
	priv_write(7, &junk);
	snap(&c0);
	ev_clear();
	len = ack_frame(f, SID_TLP7, TLP_ISN + 1, mono_us() - 500, 0, NULL);
	RUN_EXPECT("ACK 9001 (slot 7)", true, f, len, &r, XDP_DROP, VTL_CNT_VTL, 1, VTL_CNT_CONSUMED, 1);
	CHECK(!ev_wait(VTL_EV_RTO, 7, 2000, &ev), "no VTL_EV_RTO for slot 7 within 2 s");
	snap(&c1);
	priv_read(7, &a);
	CHECK(!memcmp(&a, &junk, sizeof(a)), "slot 7: the timer wrote into another graft's area");
	CHECK(c1.c[T][VTL_CNT_PROBE] == c0.c[T][VTL_CNT_PROBE],
	      "slot 7: probed without private state");
	len = ack_frame(f, SID_TLP7, TLP_ISN + 2, 0, 0, NULL);
	RUN_EXPECT("ACK 9002 (slot 7)", true, f, len, &r, XDP_DROP, VTL_CNT_VTL, 1, VTL_CNT_CONSUMED, 1);
out:
	launcher_session_del(&L, 6, SID_TLP6);
	launcher_session_del(&L, 7, SID_TLP7);
	launcher_graft_put(&L, g);
	launcher_graft_put(&L, g7);
}

/* ---- case 3g: when the Launcher zeroes a slot's private area ------------ */
static void case_priv_reset(void)
{
	struct graft_inst *tlp = deploy(6, "sr-tlp", WINDOW, SID_TLP6, TLP_ISN, 0, 0, false);
	struct graft_inst *sr = NULL, *tlp32 = NULL;
	struct vtl_priv_area a, mark;
	char err[512] = "";

	if (!tlp)
		return;
	CHECK(!launcher_graft_get(&L, VTL_POOL_DIR "/sr.o", WINDOW, &sr, err, sizeof(err)) &&
	      !launcher_graft_get(&L, VTL_POOL_DIR "/sr-tlp.o", 32, &tlp32, err, sizeof(err)),
	      "cannot load sr / sr-tlp(window 32): %s", err);
	if (!sr || !tlp32)
		goto out;
	CHECK(tlp32 != tlp && tlp32->uid != tlp->uid && sr->uid != tlp->uid,
	      "distinct objects, distinct load ids (%u %u %u)", tlp->uid, tlp32->uid, sr->uid);

	/* SETUP: the graft's state in slot 6 (as after a probe) */
	priv_read(6, &mark);
	memset(mark.data, 0x5a, 16);
	priv_write(6, &mark);
	CHECK(!launcher_slot_set(&L, 6, tlp), "slot_set");
	priv_read(6, &a);
	CHECK(!memcmp(&a, &mark, sizeof(a)), "the same object installed again: state not kept");

	CHECK(!launcher_slot_set(&L, 6, sr), "slot_set");
	priv_read(6, &a);
	CHECK(a.owner == sr->uid && priv_is_zero(&a), "swap to sr: owner %u (want %u), zeroed %d",
	      a.owner, sr->uid, priv_is_zero(&a));

	memset(a.data, 0x5a, 16);      /* whatever sr left there */
	priv_write(6, &a);
	CHECK(!launcher_slot_set(&L, 6, tlp), "slot_set");
	priv_read(6, &a);
	CHECK(a.owner == tlp->uid && priv_is_zero(&a),
	      "swap back to sr-tlp: owner %u (want %u), zeroed %d", a.owner, tlp->uid,
	      priv_is_zero(&a));

	priv_write(6, &mark);
	CHECK(!launcher_slot_set(&L, 6, tlp32), "slot_set");
	priv_read(6, &a);
	CHECK(a.owner == tlp32->uid && priv_is_zero(&a),
	      "sr-tlp with other tunables (another object): owner %u (want %u), zeroed %d",
	      a.owner, tlp32->uid, priv_is_zero(&a));

	/* a new session after the graft is in place: session add zeroes */
	memset(a.data, 0x5a, 16);
	priv_write(6, &a);
	launcher_session_del(&L, 6, SID_TLP6);
	CHECK(!launcher_slot_set(&L, 6, tlp32), "slot_set");
	CHECK(!launcher_session_add(&L, 6, &(struct launcher_sess){ .session_id = SID_TLP6,
		.peer = PEER4, .window = 32, .isn_tx = TLP_ISN, .mss = 1400 }) &&
	      !launcher_retx_get(&L, 6), "session_add");
	priv_read(6, &a);
	CHECK(a.owner == tlp32->uid && priv_is_zero(&a),
	      "new session on the same object: owner %u (want %u), zeroed %d", a.owner,
	      tlp32->uid, priv_is_zero(&a));
out:
	launcher_session_del(&L, 6, SID_TLP6);
	launcher_graft_put(&L, tlp);
	launcher_graft_put(&L, sr);
	launcher_graft_put(&L, tlp32);
}

/* ---- case 4: fuzz --------------------------------------------------------- */
#define FUZZ_N      20000
#define FUZZ_SAMPLE 5      /* every 5th frame: snapshots around the call */
static uint64_t fuzz_seed = 0x5654cafe2024ULL;

static size_t fuzz_frame(__u8 *f, bool xdp, uint64_t *rs)
{
	uint64_t r = rng_next(rs);
	unsigned cls = r % 100;
	size_t len;

	if (cls < 20) { /* random bytes */
		len = rng_next(rs) % 160 + ETH_LEN;
		for (size_t i = 0; i < len; i++)
			f[i] = (__u8)rng_next(rs);
		if (cls >= 5 && cls < 8 && len >= ETH_LEN + 40) /* ... IPv6/253 */
			f[12] = 0x86, f[13] = 0xdd, f[ETH_LEN + 6] = VTL_IPPROTO;
		else if (cls >= 5 && len >= L4_OFF) /* ... that claim IPv4/253 */
			f[12] = 8, f[13] = 0, f[ETH_LEN + 9] = VTL_IPPROTO;
		return len;
	}
	if (cls < 30) { /* other traffic */
		switch (r >> 8 & 3) {
		case 0: len = pktgen_arp(f); break;
		case 1: len = pktgen_ipv6(f); break;
		default: len = pktgen_ipv4(f, (__u8[]){ 1, 6, 17, 252, 254 }[(r >> 16) % 5],
					   r >> 24 & 63);
		}
		return len;
	}
	{ /* a valid VTL frame for a known (or unknown) session */
		static const __u32 sids[] = { SID_RX, SID_TX, SID_UNK };
		__u32 sid = sids[r >> 8 & 3 ? (r >> 8 & 1) : 2];
		struct vtl_spec s = { .saddr = xdp ? PEER : LOCAL, .daddr = xdp ? LOCAL : PEER,
				      .session_id = sid, .type = 1 + (r >> 12) % VTL_T_MAX,
				      .flags = (r >> 20 & 7) ? 0 : VTL_F_RETX,
				      .tsval = (__u32)(r >> 32) };
		struct vtl_state *st = launcher_state(&L, sid == SID_RX ? 1 : 2);

		s.seq = (sid == SID_RX ? st->rcv_nxt : st->snd_una) + (r >> 24 & 7) - 2;
		s.ack = (sid == SID_TX ? st->snd_una : 1000) + (r >> 28 & 3);
		s.pay_len = (r >> 40 & 15) ? (r >> 44) % 200 : (r >> 44) % (VTL_MSS_MAX + 8);
		if (!xdp && s.type == VTL_T_DATA && (r >> 56 & 1))
			s.csum_zero = true, s.seq = 0;
		if ((r >> 57 & 15) == 0)
			s.ip_opt_words = 1 + (r >> 61); /* IP options: 1..8 words */
		len = pktgen_vtl(f, &s);
	}
	if (cls < 45)
		return len;
	/* mutate: 1-3 of bit flip, truncation, length field changes */
	for (int k = 0, n = 1 + rng_next(rs) % 3; k < n; k++) {
		uint64_t m = rng_next(rs);
		size_t pos = (m >> 8 & 1) ? (m >> 16) % (L4_OFF + VTL_HDR_LEN) : (m >> 16) % len;

		switch (m % 6) {
		case 0: case 1: f[pos] ^= 1 << (m >> 40 & 7); break;
		case 2: len = ETH_LEN + (m >> 16) % (len - ETH_LEN + 1); break; /* truncate */
		case 3: set16(f + ETH_LEN + 2, (f[ETH_LEN + 2] << 8 | f[ETH_LEN + 3]) +
			      (int)((m >> 16) % 9) - 4); break;
		case 4: if (len >= L4_OFF + VTL_HDR_LEN)
				vh_of(f)->len = htons(ntohs(vh_of(f)->len) + (int)((m >> 16) % 5) - 2);
			break;
		case 5: set16(f + ETH_LEN + 2, (m >> 16) & 0xffff); break;
		}
	}
	if (rng_next(rs) & 1) { /* so deeper checks are reached */
		pktgen_fix_ip(f, len);
		pktgen_fix_vtl(f, len);
	}
	return len;
}

static bool legal(bool xdp, __u32 v)
{
	return xdp ? (v == XDP_PASS || v == XDP_DROP || v == XDP_TX || v == XDP_REDIRECT)
		   : (v == TC_ACT_OK || v == TC_ACT_SHOT);
}

static void case_fuzz(bool xdp)
{
	int dir = xdp ? X : T, nsamp = 0, bad = 0, i;
	__u64 ref_rest[VTL_CNT_PER_DIR] = {}, kinds[4] = {};
	struct cnt start, end, a, b, sampled = {};
	uint64_t rs = fuzz_seed ^ (xdp ? 0x9e3779b97f4a7c15ULL : 0xc2b2ae3d27d4eb4fULL);
	static __u8 f[PKT_MAX];
	static struct run r;

	rs += !rs; /* xorshift must not start at 0 */
	snap(&start);
	for (i = 0; i < FUZZ_N && bad < 20; i++) {
		size_t len = fuzz_frame(f, xdp, &rs);
		struct ref_verdict rv = ref_classify(f, len, xdp, sessions, 2);
		bool samp = i % FUZZ_SAMPLE == 0;
		int fails = check_case_failed();

		kinds[rv.kind]++;
		if (samp)
			snap(&a);
		run_prog(xdp, f, len, &r);
		if (samp)
			snap(&b);
		CHECK(r.err == 0, "frame %d: test_run failed: %s", i, strerror(-r.err));
		CHECK(legal(xdp, r.ret), "frame %d: illegal verdict %u", i, r.ret);
		if (rv.kind == REF_NON_VTL)
			CHECK(r.ret == (xdp ? XDP_PASS : TC_ACT_OK), "frame %d: non-VTL got %s",
			      i, vname(xdp, r.ret));
		else if (rv.kind != REF_GRAFT)
			CHECK(r.ret == (xdp ? XDP_DROP : TC_ACT_SHOT), "frame %d: malformed got %s",
			      i, vname(xdp, r.ret));
		else if (xdp)
			CHECK(r.ret != XDP_PASS, "frame %d: VTL frame passed to the stack", i);
		if ((rv.kind == REF_DROP || rv.kind == REF_VTL_DROP) && !samp)
			ref_rest[rv.reason]++;
		ref_rest[VTL_CNT_PASS_NON_VTL] += !samp && rv.kind == REF_NON_VTL;
		ref_rest[VTL_CNT_VTL] += !samp && rv.kind >= REF_VTL_DROP;
		if (samp) {
			nsamp++;
			for (int d = 0; d < 2; d++)
				for (int k = 0; k < VTL_CNT_PER_DIR; k++)
					sampled.c[d][k] += b.c[d][k] - a.c[d][k];
			{ /* oracle-free: exactly one of PASS_NON_VTL, VTL, or a
			   * drop reason without VTL classifies the frame */
				__u64 *da = a.c[dir], *db = b.c[dir], one, drops = 0;

				for (int k = 1; k <= VTL_DROP_MAX; k++)
					drops += db[k] - da[k];
				one = db[VTL_CNT_PASS_NON_VTL] - da[VTL_CNT_PASS_NON_VTL] +
				      db[VTL_CNT_VTL] - da[VTL_CNT_VTL];
				if (db[VTL_CNT_VTL] == da[VTL_CNT_VTL])
					one += drops;
				CHECK(one == 1, "frame %d: classified %llu times", i,
				      (unsigned long long)one);
			}
			if (rv.kind == REF_NON_VTL)
				delta_ok("fuzz", &a, &b, dir, VTL_CNT_PASS_NON_VTL, 1, -1);
			else if (rv.kind == REF_DROP)
				delta_ok("fuzz", &a, &b, dir, rv.reason, 1, -1);
			else if (rv.kind == REF_VTL_DROP)
				delta_ok("fuzz", &a, &b, dir, VTL_CNT_VTL, 1, rv.reason, 1, -1);
			else {
				__u64 *da = a.c[dir], *db = b.c[dir];

				CHECK(db[VTL_CNT_VTL] - da[VTL_CNT_VTL] == 1 &&
				      db[VTL_CNT_PASS_NON_VTL] == da[VTL_CNT_PASS_NON_VTL] &&
				      db[VTL_DROP_BAD_VERSION] == da[VTL_DROP_BAD_VERSION] &&
				      db[VTL_DROP_BAD_HDR_LEN] == da[VTL_DROP_BAD_HDR_LEN] &&
				      db[VTL_DROP_BAD_CSUM] == da[VTL_DROP_BAD_CSUM] &&
				      db[VTL_DROP_NO_GRAFT] == da[VTL_DROP_NO_GRAFT],
				      "frame %d: to slot %u: root counters moved wrongly", i, rv.slot);
			}
		}
		if (check_case_failed() != fails) { /* the frame, to reproduce it */
			printf("    frame %d (%zu bytes, ref kind %d reason %d):", i, len,
			       rv.kind, rv.reason);
			for (size_t k = 0; k < len && k < 80; k++)
				printf(" %02x", f[k]);
			printf("\n");
			bad++;
		}
	}
	snap(&end);
	CHECK(i == FUZZ_N, "stopped after %d frames: 20 failed", i);
	/* totals for the frames not sampled: the root's classification
	 * (PASS_NON_VTL, VTL, drop reasons only the root emits) is exact;
	 * reasons grafts share may only have grown */
	for (int k = 0; k < VTL_CNT_PER_DIR; k++) {
		__u64 got = end.c[dir][k] - start.c[dir][k] - sampled.c[dir][k];
		bool exact = k == VTL_CNT_PASS_NON_VTL || k == VTL_CNT_VTL ||
			     k == VTL_DROP_BAD_VERSION || k == VTL_DROP_BAD_HDR_LEN ||
			     k == VTL_DROP_BAD_CSUM || k == VTL_DROP_NO_GRAFT ||
			     (!xdp && k == VTL_DROP_MALFORMED_IP);

		if (k > VTL_DROP_MAX && k != VTL_CNT_PASS_NON_VTL && k != VTL_CNT_VTL)
			continue;
		CHECK(exact ? got == ref_rest[k] : got >= ref_rest[k],
		      "fuzz totals: %s counted %llu, reference %llu", cname(k),
		      (unsigned long long)got, (unsigned long long)ref_rest[k]);
	}
	for (int k = 0; k < VTL_CNT_PER_DIR; k++)
		CHECK(end.c[!dir][k] == start.c[!dir][k], "fuzz moved %s counter %s",
		      xdp ? "tc" : "xdp", cname(k));
	printf("    %d frames (%llu non-VTL, %llu malformed, %llu dropped after parse, "
	       "%llu into grafts), %d sampled\n", i, (unsigned long long)kinds[0],
	       (unsigned long long)kinds[1], (unsigned long long)kinds[2],
	       (unsigned long long)kinds[3], nsamp);
}

/* ---- setup ----------------------------------------------------------------- */
static int setup(void)
{
	struct graft_inst *canon, *gbn;
	char err[512] = "";
	int e;

	e = launcher_graft_get(&L, VTL_POOL_DIR "/canonical.o", WINDOW, &canon, err, sizeof(err));
	if (!e)
		e = launcher_graft_get(&L, VTL_POOL_DIR "/gbn.o", WINDOW, &gbn, err, sizeof(err));
	if (e) {
		fprintf(stderr, "cannot load a graft: %s\n", err);
		return e;
	}
	if ((e = launcher_slot_set(&L, VTL_SLOT_CANONICAL, canon)) ||
	    (e = launcher_slot_set(&L, 1, gbn)) || (e = launcher_slot_set(&L, 2, gbn)) ||
	    (e = launcher_session_add(&L, 1, &(struct launcher_sess){ .session_id = SID_RX,
		.peer = PEER4, .window = WINDOW, .isn_tx = 1, .isn_rx = 1000, .mss = 1400 })) ||
	    (e = launcher_session_add(&L, 2, &(struct launcher_sess){ .session_id = SID_TX,
		.peer = PEER4, .window = WINDOW, .isn_tx = 5000, .isn_rx = 0, .mss = 1400 })) ||
	    (e = launcher_retx_get(&L, 2))) {
		fprintf(stderr, "cannot set up slots/sessions: %s\n", strerror(-e));
		return e;
	}
	return 0;
}

static void c1x(void) { case_non_vtl(true); }
static void c1t(void) { case_non_vtl(false); }
static void c2x(void) { case_malformed(true); }
static void c2t(void) { case_malformed(false); }
static void c4x(void) { case_fuzz(true); }
static void c4t(void) { case_fuzz(false); }

int main(void)
{
	const char *s = getenv("VTL_FUZZ_SEED");
	int e;

	setvbuf(stdout, NULL, _IOLBF, 0);
	if (geteuid() != 0) {
		printf("SKIP: BPF_PROG_TEST_RUN of the VTL programs needs root\n");
		return CHECK_SKIP_RC;
	}
	if (s && *s)
		fuzz_seed = strtoull(s, NULL, 0);
	vtl_log_init_libbpf();
	vtl_log_set_level(VTL_LOG_WARN);
	/* a private netns: the XSK binds to its own lo, nothing else sees it */
	if (unshare(CLONE_NEWNET))
		printf("note: unshare(CLONE_NEWNET): %s; using this netns's lo\n", strerror(errno));
	e = launcher_open(&L, &(struct launcher_opts){ .ifindex = 0 });
	if (e == -EPERM || e == -EACCES) {
		printf("SKIP: loading BPF programs is not permitted here: %s\n", strerror(-e));
		launcher_close(&L);
		return CHECK_SKIP_RC;
	}
	if (e || setup()) {
		CHECK(0, "setup: cannot load the root programs or grafts (%s)",
		      strerror(e ? -e : EINVAL));
		launcher_close(&L);
		return CHECK_DONE();
	}
	if ((e = harness_init(&L, bpf_program__fd(L.skel->progs.vtl_xdp_root),
			      bpf_program__fd(L.skel->progs.vtl_tc_root))) ||
	    (e = harness_events_open(launcher_map_fd(&L, "vtl_events")))) {
		CHECK(0, "setup: cannot load the TC shim or open the ring buffer: %s",
		      strerror(-e));
		launcher_close(&L);
		return CHECK_DONE();
	}
	if ((e = harness_xsk_bind_lo(launcher_map_fd(&L, "vtl_xsks")))) {
		printf("note: no AF_XDP socket on lo (%s): redirects to the broker "
		       "report XDP_DROP (the redirect_map default)\n", strerror(-e));
		redirect_verdict = XDP_DROP;
	}
	printf("fuzz seed %#llx (set VTL_FUZZ_SEED to override)\n", (unsigned long long)fuzz_seed);

	CHECK_CASE("1 non-VTL frames pass (xdp root)", c1x);
	CHECK_CASE("1 non-VTL frames pass (tc root)", c1t);
	CHECK_CASE("2 malformed VTL dropped with the right reason (xdp root)", c2x);
	CHECK_CASE("2 malformed VTL dropped with the right reason (tc root)", c2t);
	CHECK_CASE("3 gbn receiver: in-order, out-of-order, duplicate (xdp)", case_gbn_receiver);
	CHECK_CASE("3 gbn sender: stamp, refill, retx miss, ACK (tc+xdp)", case_gbn_sender);
	CHECK_CASE("3 gbn sender: window full (tc)", case_window);
	CHECK_CASE("3 gbn sender: cwnd grows only while it limits (tc+xdp)", case_cwnd);
	CHECK_CASE("3 pr-delay receiver: a hole older than max delay is given up (xdp)",
		 case_pr_delay);
	CHECK_CASE("3 pr-delay receiver with an ISN above 2^31: no instant give-up (xdp)",
		 case_pr_delay_high_isn);
	CHECK_CASE("3 sr sender: SACK blocks, one recovery episode, SACKed retx skipped (xdp+tc)",
		   case_sr_sack);
	CHECK_CASE("3 pr receiver: a hole given up within the loss budget, refused beyond (xdp)",
		   case_pr_budget);
	CHECK_CASE("3 sr-tlp sender: ACK brings the timer forward, probe in private state (xdp+tc)",
		   case_sr_tlp);
	CHECK_CASE("3 private state: zeroed on session add and on another graft object (launcher)",
		   case_priv_reset);
	CHECK_CASE("4 fuzz (xdp root)", c4x);
	CHECK_CASE("4 fuzz (tc root)", c4t);

	launcher_close(&L);
	return CHECK_DONE();
}
