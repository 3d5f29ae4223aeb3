/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * The VTL checksum: the Internet checksum (RFC 1071) over the VTL header
 * (csum field included) and the payload. Summing native 32-bit loads and
 * storing the folded result without byte swapping gives the same bytes
 * on the wire as the big-endian definition (RFC 1071, section 2(B)).
 */
#ifndef VTL_KTF_CSUM_H
#define VTL_KTF_CSUM_H

#include "base.h"

static __always_inline __u16 vtl_csum_fold(__u64 sum)
{
	sum = (sum & 0xffffffff) + (sum >> 32);
	sum = (sum & 0xffffffff) + (sum >> 32);
	sum = (sum & 0xffff) + (sum >> 16);
	sum = (sum & 0xffff) + (sum >> 16);
	return (__u16)sum;
}

/* Ones' complement sum of len bytes at start (packet memory). Returns
 * -1 if the bytes run past data_end. */
static __always_inline __s64 vtl_csum_partial(void *start, __u32 len, void *data_end)
{
	__u64 sum = 0;
	__u32 off = 0;
	int i;

	if (len > VTL_FRAME_MAX)
		return -1;
#pragma clang loop unroll(disable)
	for (i = 0; i < VTL_FRAME_MAX / 4; i++) {
		__u32 *w;

		if (off + 4 > len)
			break;
		w = start + off;
		if ((void *)(w + 1) > data_end)
			return -1;
		sum += *w;
		off += 4;
	}
	if (off + 2 <= len) {
		__u16 *h = start + (off & 0x7ff);

		if ((void *)(h + 1) > data_end)
			return -1;
		sum += *h;
		off += 2;
	}
	if (off < len) {
		__u8 *b = start + (off & 0x7ff);

		if ((void *)(b + 1) > data_end)
			return -1;
		sum += *b;
	}
	return (__s64)vtl_csum_fold(sum);
}

/* Stamp the checksum of a bare VTL header (no payload) whose 32 bytes the
 * caller bounds-checked: eight loads, no loop (a reply built in place). */
static __always_inline void vtl_csum_stamp_hdr(struct vtl_hdr *vh)
{
	__u32 *w = (__u32 *)vh;
	__u64 sum = 0;

	vh->csum = 0;
	sum += w[0]; sum += w[1]; sum += w[2]; sum += w[3];
	sum += w[4]; sum += w[5]; sum += w[6]; sum += w[7];
	vh->csum = ~vtl_csum_fold(sum);
}

/* Does the VTL packet's checksum verify? */
static __always_inline int vtl_csum_ok(struct vtl_hdr *vh, __u32 pay_len, void *data_end)
{
	__s64 s = vtl_csum_partial(vh, VTL_HDR_LEN + pay_len, data_end);

	return s == 0xffff;
}

/* Stamp the checksum of a VTL packet (header fields already final). */
static __always_inline int vtl_csum_stamp(struct vtl_hdr *vh, __u32 pay_len, void *data_end)
{
	__s64 s;

	vh->csum = 0;
	s = vtl_csum_partial(vh, VTL_HDR_LEN + pay_len, data_end);
	if (s < 0)
		return -1;
	vh->csum = ~(__u16)s;
	return 0;
}

/* Checksum a short VTL packet in place (control packets and ACKs: at
 * most VTL_CSUM_SMALL_MAX bytes, which keeps the verifier's work small). */
#define VTL_CSUM_SMALL_MAX 160
static __always_inline int vtl_csum_stamp_small(struct vtl_hdr *vh, __u32 pay_len, void *data_end)
{
	__u64 sum = 0;
	__u32 len = VTL_HDR_LEN + pay_len, off;
	__u16 *w = (__u16 *)vh;

	if (len > VTL_CSUM_SMALL_MAX)
		return -1;
	vh->csum = 0;
#pragma clang loop unroll(disable)
	for (off = 0; off < VTL_CSUM_SMALL_MAX / 2; off++) {
		if (off * 2 + 2 > len)
			break;
		if ((void *)(w + off + 1) > data_end)
			return -1;
		sum += w[off];
	}
	if (len & 1) {
		__u8 *b = (__u8 *)vh + ((len - 1) & 0xff);

		if ((void *)(b + 1) > data_end)
			return -1;
		sum += *b;
	}
	vh->csum = ~vtl_csum_fold(sum);
	return 0;
}

/*
 * The checksum of a frame copy in map memory (buf has room for
 * VTL_FRAME_MAX + 4 bytes), with the kernel's csum helper instead of a loop:
 * the 4 bytes past len are zeroed (padding adds nothing), then
 * at most three 512-byte bpf_csum_diff() calls. Returns the value to store
 * in vtl_hdr.csum, or -1.
 */
static __always_inline int vtl_csum_copy(__u8 *buf, __u32 len)
{
	__u32 l4, c;
	__s64 s;

	if (len < VTL_HDR_LEN || len > VTL_FRAME_MAX)
		return -1;
	asm volatile("" : "+r"(len)); /* keep the checked register for the verifier */
	*(__u32 *)(buf + len) = 0;    /* the frame has 4 spare bytes */
	l4 = (len + 3) & ~3u;
	c = l4 > 512 ? 512 : l4;
	s = bpf_csum_diff(NULL, 0, (void *)buf, c, 0);
	if (s < 0)
		return -1;
	if (l4 > 512) {
		c = l4 - 512 > 512 ? 512 : l4 - 512;
		s = bpf_csum_diff(NULL, 0, (void *)(buf + 512), c, (__u32)s);
		if (s < 0)
			return -1;
	}
	if (l4 > 1024) {
		c = l4 - 1024;
		if (c > 512)
			return -1;
		s = bpf_csum_diff(NULL, 0, (void *)(buf + 1024), c, (__u32)s);
		if (s < 0)
			return -1;
	}
	return (__u16)~vtl_csum_fold((__u64)(__u32)s);
}

/* Egress: copy the VTL packet (header + payload, checksum field zeroed)
 * from the skb into frame (map memory), checksum the copy, and stamp the
 * result into both. */
static __always_inline int vtl_tc_copy_stamp(struct __sk_buff *ctx, struct vtl_hdr *vh,
					     __u32 l4_off, __u8 *frame, __u32 len)
{
	int c;

	if (len < VTL_HDR_LEN || len > VTL_FRAME_MAX)
		return -1;
	vh->csum = 0;
	if (bpf_skb_load_bytes(ctx, l4_off, frame, len))
		return -1;
	c = vtl_csum_copy(frame, len);
	if (c < 0)
		return -1;
	vh->csum = (__u16)c;
	((struct vtl_hdr *)frame)->csum = (__u16)c;
	return 0;
}

/* IPv4 header checksum for a 20-byte header (our own replies). */
static __always_inline void vtl_ip_csum20(struct iphdr *ip)
{
	__u16 *w = (__u16 *)ip;
	__u32 sum = 0;

	ip->check = 0;
#pragma clang loop unroll(full)
	for (int i = 0; i < 10; i++)
		sum += w[i];
	sum = (sum & 0xffff) + (sum >> 16);
	sum = (sum & 0xffff) + (sum >> 16);
	ip->check = ~(__u16)sum;
}

#endif
