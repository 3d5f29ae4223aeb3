// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* Frame builders, the userspace VTL checksum and the reference classifier
 * of the prog-run tests (see pktgen.h). */
#include <arpa/inet.h>
#include <string.h>
#include <vtl/shared.h>
#include "pktgen.h"

static const uint8_t mac_dst[6] = { 0x02, 0, 0, 0, 0, 0x01 };
static const uint8_t mac_src[6] = { 0x02, 0, 0, 0, 0, 0x02 };

uint16_t inet_sum(const void *p, size_t n)
{
	const uint8_t *b = p;
	uint64_t sum = 0;
	size_t i;

	for (i = 0; i + 1 < n; i += 2)
		sum += (uint32_t)b[i] << 8 | b[i + 1];
	if (i < n)
		sum += (uint32_t)b[i] << 8;
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)sum;
}

uint16_t vtl_csum(const struct vtl_hdr *vh, size_t n)
{
	struct vtl_hdr h = *vh;
	uint32_t sum;

	h.csum = 0;
	sum = inet_sum(&h, sizeof(h));
	if (n > sizeof(h))
		sum += inet_sum(vh + 1, n - sizeof(h)); /* header is even-sized */
	sum = (sum & 0xffff) + (sum >> 16);
	return htons((uint16_t)~sum);
}

bool vtl_csum_valid(const struct vtl_hdr *vh, size_t n)
{
	return inet_sum(vh, n) == 0xffff;
}

bool ip_csum_valid(const uint8_t *frame)
{
	return inet_sum(frame + ETH_LEN, (frame[ETH_LEN] & 0xf) * 4) == 0xffff;
}

static void eth_hdr(uint8_t *buf, uint16_t proto)
{
	memcpy(buf, mac_dst, 6);
	memcpy(buf + 6, mac_src, 6);
	buf[12] = proto >> 8;
	buf[13] = proto & 0xff;
}

static void ip_hdr(uint8_t *ip, uint8_t proto, uint16_t tot, uint32_t saddr, uint32_t daddr)
{
	static uint16_t id;

	memset(ip, 0, IP4_LEN);
	ip[0] = 0x45;
	ip[2] = tot >> 8;
	ip[3] = tot & 0xff;
	id++;
	ip[4] = id >> 8;
	ip[5] = id & 0xff;
	ip[6] = 0x40; /* DF */
	ip[8] = 64;
	ip[9] = proto;
	memcpy(ip + 12, &saddr, 4);
	memcpy(ip + 16, &daddr, 4);
}

void pktgen_fix_ip(uint8_t *f, size_t len)
{
	size_t ihl = (f[ETH_LEN] & 0xf) * 4;
	uint16_t c;

	if (len < ETH_LEN + IP4_LEN || ihl < IP4_LEN || ETH_LEN + ihl > len)
		return;
	f[ETH_LEN + 10] = f[ETH_LEN + 11] = 0;
	c = ~inet_sum(f + ETH_LEN, ihl);
	f[ETH_LEN + 10] = c >> 8;
	f[ETH_LEN + 11] = c & 0xff;
}

void pktgen_fix_vtl(uint8_t *f, size_t len)
{
	size_t ihl = (f[ETH_LEN] & 0xf) * 4, n;
	struct vtl_hdr *vh = (struct vtl_hdr *)(f + ETH_LEN + ihl);

	if (len < ETH_LEN + ihl + VTL_HDR_LEN)
		return;
	n = VTL_HDR_LEN + ntohs(vh->len);
	if (ETH_LEN + ihl + n > len)
		return;
	vh->csum = vtl_csum(vh, n);
}

size_t pktgen_vtl(uint8_t *buf, const struct vtl_spec *s)
{
	size_t ihl = IP4_LEN + 4 * (s->ip_opt_words % 11), l4 = ETH_LEN + ihl;
	struct vtl_hdr *vh = (struct vtl_hdr *)(buf + l4);
	uint8_t *pay = buf + l4 + VTL_HDR_LEN;

	eth_hdr(buf, 0x0800);
	ip_hdr(buf + ETH_LEN, VTL_IPPROTO, ihl + VTL_HDR_LEN + s->pay_len, s->saddr, s->daddr);
	buf[ETH_LEN] = 0x40 | ihl / 4;
	memset(buf + L4_OFF, 1, ihl - IP4_LEN); /* NOP options */
	pktgen_fix_ip(buf, l4);
	memset(vh, 0, sizeof(*vh));
	vh->version = VTL_VERSION;
	vh->type = s->type;
	vh->flags = s->flags;
	vh->hdr_len = VTL_HDR_LEN;
	vh->session_id = htonl(s->session_id);
	vh->seq = htonl(s->seq);
	vh->ack = htonl(s->ack);
	vh->tsval = htonl(s->tsval);
	vh->tsecr = htonl(s->tsecr);
	vh->len = htons(s->pay_len);
	vh->wnd = htons(s->wnd);
	for (size_t i = 0; i < s->pay_len; i++)
		pay[i] = (uint8_t)(s->pay_seed + i);
	if (!s->csum_zero)
		vh->csum = vtl_csum(vh, VTL_HDR_LEN + s->pay_len);
	return l4 + VTL_HDR_LEN + s->pay_len;
}

size_t pktgen_arp(uint8_t *buf)
{
	static const uint8_t arp[28] = { 0, 1, 8, 0, 6, 4, 0, 1, 2, 0, 0, 0, 0, 2,
					 10, 0, 0, 2, 0, 0, 0, 0, 0, 0, 10, 0, 0, 1 };

	eth_hdr(buf, 0x0806);
	memcpy(buf + ETH_LEN, arp, sizeof(arp));
	return ETH_LEN + sizeof(arp);
}

size_t pktgen_ipv6(uint8_t *buf)
{
	uint8_t *ip6 = buf + ETH_LEN;

	eth_hdr(buf, 0x86dd);
	memset(ip6, 0, 40 + 8);
	ip6[0] = 0x60;
	ip6[5] = 8;         /* payload length */
	ip6[6] = 6;         /* next header TCP: not VTL */
	ip6[7] = 64;
	ip6[23] = 1;
	ip6[39] = 2;
	return ETH_LEN + 40 + 8;
}

size_t pktgen_ipv4(uint8_t *buf, uint8_t proto, size_t pay_len)
{
	eth_hdr(buf, 0x0800);
	ip_hdr(buf + ETH_LEN, proto, IP4_LEN + pay_len, htonl(0x0a000002), htonl(0x0a000001));
	pktgen_fix_ip(buf, L4_OFF);
	for (size_t i = 0; i < pay_len; i++)
		buf[L4_OFF + i] = (uint8_t)(i * 7);
	return L4_OFF + pay_len;
}

/* What the root does once the IP layer checked out: the VTL header at vh
 * with pay payload bytes (its checks in bpf/root_parse.h order), then the
 * checksum (XDP), the session, or the canonical slot. from_peer: does
 * the frame come from a session's peer (ss[i].peer_addr == saddr4; an
 * IPv6 frame never does, the harness's peers being IPv4). */
static struct ref_verdict ref_vtl(const struct vtl_hdr *vh, uint32_t pay, bool xdp,
				  const struct ref_session *ss, int nss, bool v6,
				  uint32_t saddr4)
{
	struct ref_verdict v = { .kind = REF_DROP };
	uint32_t sid;

	v.reason = vh->version != VTL_VERSION ? VTL_DROP_BAD_VERSION :
		   vh->hdr_len != VTL_HDR_LEN ? VTL_DROP_BAD_HDR_LEN :
		   ntohs(vh->len) != pay ? VTL_DROP_BAD_LENGTH :
		   (vh->type == 0 || vh->type > VTL_T_MAX) ? VTL_DROP_BAD_TYPE : 0;
	if (v.reason)
		return v;
	v.kind = REF_VTL_DROP;
	v.reason = VTL_DROP_BAD_LENGTH;
	if (pay > VTL_MSS_MAX)
		return v;
	v.reason = VTL_DROP_BAD_CSUM;
	if (xdp && !vtl_csum_valid(vh, VTL_HDR_LEN + pay))
		return v;
	v.reason = VTL_DROP_UNKNOWN_SESSION;
	sid = ntohl(vh->session_id);
	for (int i = 0; i < nss; i++) {
		if (ss[i].session_id != sid)
			continue;
		if (xdp && (v6 || ss[i].peer_addr != saddr4))
			return v;
		v.kind = REF_GRAFT;
		v.slot = ss[i].slot;
		return v;
	}
	if (vh->type == VTL_T_NEGO_NACK || vh->type == VTL_T_RESET ||
	    (xdp && vh->type == VTL_T_NEGO)) {
		v.kind = REF_GRAFT;
		v.slot = VTL_SLOT_CANONICAL;
	}
	return v;
}

/* IPv6 (bpf/root_parse.h vtl_parse6): next header 253 (UDP is not VTL
 * here: the harness loads the root with no UDP port), no extension
 * headers. */
static struct ref_verdict ref_classify6(const uint8_t *f, size_t len, bool xdp,
					const struct ref_session *ss, int nss)
{
	struct ref_verdict v = { .kind = REF_NON_VTL };
	const uint8_t *ip6 = f + ETH_LEN;
	uint32_t plen;

	if (len < ETH_LEN + 40 || ip6[6] != VTL_IPPROTO)
		return v;
	v.kind = REF_DROP;
	v.reason = VTL_DROP_MALFORMED_IP;
	if ((ip6[0] >> 4) != 6)
		return v;
	plen = ip6[4] << 8 | ip6[5];
	v.reason = VTL_DROP_TRUNCATED;
	if (ETH_LEN + 40 + plen > len || plen < VTL_HDR_LEN)
		return v;
	return ref_vtl((const struct vtl_hdr *)(ip6 + 40), plen - VTL_HDR_LEN, xdp, ss, nss,
		       true, 0);
}

struct ref_verdict ref_classify(const uint8_t *f, size_t len, bool xdp,
				const struct ref_session *ss, int nss)
{
	struct ref_verdict v = { .kind = REF_NON_VTL };
	const uint8_t *ip = f + ETH_LEN;
	uint32_t ihl, tot, saddr;

	if (len >= ETH_LEN && f[12] == 0x86 && f[13] == 0xdd)
		return ref_classify6(f, len, xdp, ss, nss);
	if (len < L4_OFF || f[12] != 0x08 || f[13] != 0x00 || ip[9] != VTL_IPPROTO)
		return v;
	v.kind = REF_DROP;
	v.reason = VTL_DROP_MALFORMED_IP;
	if ((ip[0] >> 4) != 4 || (ip[0] & 0xf) < 5 || ((ip[6] << 8 | ip[7]) & 0x3fff))
		return v;
	ihl = (ip[0] & 0xf) * 4;
	tot = ip[2] << 8 | ip[3];
	if (tot < ihl)
		return v;
	v.reason = VTL_DROP_TRUNCATED;
	if (tot < ihl + VTL_HDR_LEN || ETH_LEN + tot > len)
		return v;
	memcpy(&saddr, ip + 12, 4);
	return ref_vtl((const struct vtl_hdr *)(ip + ihl), tot - ihl - VTL_HDR_LEN, xdp, ss, nss,
		       false, saddr);
}

uint64_t rng_next(uint64_t *s)
{
	uint64_t x = *s;

	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	*s = x;
	return x * 0x2545F4914F6CDD1DULL;
}
