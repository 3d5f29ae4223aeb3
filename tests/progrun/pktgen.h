/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * PKTGEN side of the prog-run tests: build Ethernet frames (VTL and not),
 * the userspace VTL checksum, and a reference classifier that says what
 * the root programs must do with a frame.
 */
#ifndef VTL_TEST_PKTGEN_H
#define VTL_TEST_PKTGEN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <vtl/wire.h>

#define PKT_MAX   2048
#define ETH_LEN   14
#define IP4_LEN   20
#define L4_OFF    (ETH_LEN + IP4_LEN) /* VTL header offset with a 20-byte IP header */

/* One VTL packet to build (host-order fields). */
struct vtl_spec {
	uint32_t saddr, daddr;   /* network order */
	uint32_t session_id;
	uint8_t  type, flags;
	uint32_t seq, ack, tsval, tsecr;
	uint16_t wnd;
	uint16_t pay_len;
	uint8_t  pay_seed;       /* payload byte i = pay_seed + i */
	bool     csum_zero;      /* leave the VTL checksum 0 (as vtld sends DATA) */
	uint8_t  ip_opt_words;   /* IPv4 options (NOPs), 4-byte words: 0..10 */
};

/* Internet checksum (RFC 1071) of n bytes taken as big-endian 16-bit words
 * (odd tail padded with zero); returns the folded ones' complement sum,
 * not complemented, in host order. */
uint16_t inet_sum(const void *p, size_t n);

/* The VTL checksum of a packet (header at vh, n = header + payload bytes)
 * computed with the csum field taken as 0: the value to store, as it must
 * appear on the wire (network order). */
uint16_t vtl_csum(const struct vtl_hdr *vh, size_t n);
bool vtl_csum_valid(const struct vtl_hdr *vh, size_t n);
bool ip_csum_valid(const uint8_t *frame);

/* Build frames into buf; each returns the frame length. */
size_t pktgen_vtl(uint8_t *buf, const struct vtl_spec *s);
size_t pktgen_arp(uint8_t *buf);
size_t pktgen_ipv6(uint8_t *buf);
size_t pktgen_ipv4(uint8_t *buf, uint8_t proto, size_t pay_len);

/* Recompute the IPv4 header checksum (ihl taken from the header) and the
 * VTL checksum (VTL header at the ihl offset, vh->len payload bytes), each
 * only when the frame holds the bytes. */
void pktgen_fix_ip(uint8_t *frame, size_t len);
void pktgen_fix_vtl(uint8_t *frame, size_t len);

/* What a root program must do with a frame (the checks of vtl_parse() and
 * the root). kind: REF_NON_VTL (pass), REF_DROP (reason, counted without
 * VTL_CNT_VTL), REF_VTL_DROP (VTL_CNT_VTL then reason), REF_GRAFT (tail
 * call into slot). */
enum ref_kind { REF_NON_VTL, REF_DROP, REF_VTL_DROP, REF_GRAFT };
struct ref_session {
	uint32_t session_id;
	uint32_t peer_addr;   /* network order */
	uint32_t slot;
};
struct ref_verdict {
	enum ref_kind kind;
	int reason;           /* VTL_DROP_* for REF_DROP / REF_VTL_DROP */
	uint32_t slot;        /* REF_GRAFT */
};
struct ref_verdict ref_classify(const uint8_t *f, size_t len, bool xdp,
				const struct ref_session *ss, int nss);

/* xorshift64* PRNG (reproducible fuzzing). */
uint64_t rng_next(uint64_t *s);

#endif
