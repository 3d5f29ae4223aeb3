// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * BPF prog-run tests (tier 2): feed crafted, malformed and fuzzed frames to
 * the REAL root programs (vtl_xdp_root, vtl_tc_root) tail-calling into the
 * REAL canonical, gbn and pr-delay grafts, loaded by the daemon's Launcher exactly as
 * vtld does (without attaching anything), through BPF_PROG_TEST_RUN.
 * Cilium style: each step builds its frame (PKTGEN), prepares session state
 * (SETUP), runs the program and checks the verdict, the exact counter
 * deltas and the resulting bytes/state (CHECK).
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

#define SKIP_RC 77
#define BE32(x) (__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__ ? __builtin_bswap32(x) : (x))
#define LOCAL   BE32(0x0a000001u) /* 10.0.0.1: us */
#define PEER    BE32(0x0a000002u) /* 10.0.0.2: the session peer */
#define OTHER   BE32(0x0a000063u) /* 10.0.0.99: a stranger */
#define SID_RX  0x11110001u       /* slot 1: gbn, we receive (isn_rx 1000) */
#define SID_TX  0x22220002u       /* slot 2: gbn, we send (isn_tx 5000) */
#define SID_UNK 0x33330003u
#define WINDOW  64

static struct launcher L;
static int redirect_verdict = XDP_REDIRECT; /* XDP_DROP if no XSK could be bound */
static int n_pass, n_fail;
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
		.peer_addr = PEER, .window = WINDOW, .isn_tx = 1, .isn_rx = isn_rx, .mss = 1400 })) {
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
		if (cls >= 5 && len >= L4_OFF) /* ... that claim IPv4/253 */
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
		int fails = case_fail;

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
		if (case_fail != fails) { /* the frame, to reproduce it */
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
		.peer_addr = PEER, .window = WINDOW, .isn_tx = 1, .isn_rx = 1000, .mss = 1400 })) ||
	    (e = launcher_session_add(&L, 2, &(struct launcher_sess){ .session_id = SID_TX,
		.peer_addr = PEER, .window = WINDOW, .isn_tx = 5000, .isn_rx = 0, .mss = 1400 }))) {
		fprintf(stderr, "cannot set up slots/sessions: %s\n", strerror(-e));
		return e;
	}
	return 0;
}

static void run_case(const char *name, void (*fn)(void))
{
	case_fail = 0;
	fn();
	printf("%s %s\n", case_fail ? "FAIL" : "ok  ", name);
	if (case_fail)
		n_fail++;
	else
		n_pass++;
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
		return SKIP_RC;
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
		return SKIP_RC;
	}
	if (e || setup()) {
		printf("FAIL setup: cannot load the root programs or grafts (%s)\n",
		       strerror(e ? -e : EINVAL));
		launcher_close(&L);
		printf("0 passed, 1 failed\n");
		return 1;
	}
	if ((e = harness_init(&L, bpf_program__fd(L.skel->progs.vtl_xdp_root),
			      bpf_program__fd(L.skel->progs.vtl_tc_root)))) {
		printf("FAIL setup: cannot load the TC shim: %s\n", strerror(-e));
		launcher_close(&L);
		printf("0 passed, 1 failed\n");
		return 1;
	}
	if ((e = harness_xsk_bind_lo(launcher_map_fd(&L, "vtl_xsks")))) {
		printf("note: no AF_XDP socket on lo (%s): redirects to the broker "
		       "report XDP_DROP (the redirect_map default)\n", strerror(-e));
		redirect_verdict = XDP_DROP;
	}
	printf("fuzz seed %#llx (set VTL_FUZZ_SEED to override)\n", (unsigned long long)fuzz_seed);

	run_case("1 non-VTL frames pass (xdp root)", c1x);
	run_case("1 non-VTL frames pass (tc root)", c1t);
	run_case("2 malformed VTL dropped with the right reason (xdp root)", c2x);
	run_case("2 malformed VTL dropped with the right reason (tc root)", c2t);
	run_case("3 gbn receiver: in-order, out-of-order, duplicate (xdp)", case_gbn_receiver);
	run_case("3 gbn sender: stamp, refill, retx miss, ACK (tc+xdp)", case_gbn_sender);
	run_case("3 gbn sender: window full (tc)", case_window);
	run_case("3 gbn sender: cwnd grows only while it limits (tc+xdp)", case_cwnd);
	run_case("3 pr-delay receiver: a hole older than max delay is given up (xdp)",
		 case_pr_delay);
	run_case("3 pr-delay receiver with an ISN above 2^31: no instant give-up (xdp)",
		 case_pr_delay_high_isn);
	run_case("4 fuzz (xdp root)", c4x);
	run_case("4 fuzz (tc root)", c4t);

	launcher_close(&L);
	printf("%d passed, %d failed\n", n_pass, n_fail);
	return n_fail ? 1 : 0;
}
