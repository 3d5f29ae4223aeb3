// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* Every number vtlctl prints by name is named here, and only here. */
#include <stdbool.h>
#include <stdio.h>
#include <arpa/inet.h>
#include <string.h>
#include <vtl/shared.h>
#include <vtl/wire.h>
#include "vtlctl.h"

/* Counter indexes of shared.h (VTL_DROP_* then VTL_CNT_*). */
static const char *const counter_names[VTL_CNT_PER_DIR] = {
	[VTL_DROP_NONE]            = "none",
	[VTL_DROP_MALFORMED_IP]    = "drop_malformed_ip",
	[VTL_DROP_TRUNCATED]       = "drop_truncated",
	[VTL_DROP_BAD_VERSION]     = "drop_bad_version",
	[VTL_DROP_BAD_LENGTH]      = "drop_bad_length",
	[VTL_DROP_BAD_CSUM]        = "drop_bad_csum",
	[VTL_DROP_UNKNOWN_SESSION] = "drop_unknown_session",
	[VTL_DROP_NO_GRAFT]        = "drop_no_graft",
	[VTL_DROP_BAD_TYPE]        = "drop_bad_type",
	[VTL_DROP_OUT_OF_WINDOW]   = "drop_out_of_window",
	[VTL_DROP_DUPLICATE]       = "drop_duplicate",
	[VTL_DROP_OUT_OF_ORDER]    = "drop_out_of_order",
	[VTL_DROP_WINDOW_FULL]     = "drop_window_full",
	[VTL_DROP_RETX_MISS]       = "drop_retx_miss",
	[VTL_DROP_HELPER]          = "drop_helper",
	[VTL_DROP_BAD_HDR_LEN]     = "drop_bad_hdr_len",
	[VTL_CNT_PASS_NON_VTL]     = "pass_non_vtl",
	[VTL_CNT_VTL]              = "vtl",
	[VTL_CNT_TO_XSK]           = "to_xsk",
	[VTL_CNT_XDP_TX]           = "xdp_tx",
	[VTL_CNT_STAMPED]          = "stamped",
	[VTL_CNT_RETX_FILLED]      = "retx_filled",
	[VTL_CNT_CONSUMED]         = "consumed",
	[VTL_CNT_RETX_SKIPPED]     = "retx_skipped",
	[VTL_CNT_PROBE]            = "probes",
	[VTL_CNT_GIVEUP_LATE]      = "giveup_late",
	[VTL_CNT_TIMER_FAIL]       = "timer_fail",
};
_Static_assert(VTL_CNT_MAX == VTL_CNT_TIMER_FAIL + 1, "name every counter above");
/* An index added to shared.h without a name here prints as "cnt_N". */

const char *ctl_counter_name(unsigned idx)
{
	return idx < VTL_CNT_PER_DIR ? counter_names[idx] : NULL;
}

const char *ctl_sess_state_name(unsigned state)
{
	switch (state) {
	case VTL_SESS_NEGOTIATING: return "negotiating";
	case VTL_SESS_OPEN:        return "open";
	case VTL_SESS_CLOSING:     return "closing";
	case VTL_SESS_CLOSED:      return "closed";
	}
	return "unknown";
}

const char *ctl_encap_name(unsigned encap)
{
	return encap == VTL_ENCAP_UDP ? "udp" : encap == VTL_ENCAP_RAW ? "raw" : "unknown";
}

const char *ctl_peer_str(const struct vtl_ipc_session_info *i, char *buf, size_t len)
{
	char a[INET6_ADDRSTRLEN] = "?";
	bool v6 = i->peer.family == VTL_AF_INET6;

	if (v6)
		inet_ntop(AF_INET6, i->peer.addr, a, sizeof(a));
	else
		inet_ntop(AF_INET, &i->peer_addr, a, sizeof(a));
	if (i->encap == VTL_ENCAP_UDP)
		snprintf(buf, len, v6 ? "[%s] udp:%u" : "%s udp:%u", a, i->peer_port);
	else
		snprintf(buf, len, "%s", a);
	return buf;
}

struct bit_name {
	uint32_t bit;
	const char *name;
};

static const struct bit_name services[] = {
	{ VTL_SVC_RELIABLE, "reliable" }, { VTL_SVC_ORDERED, "ordered" },
	{ VTL_SVC_PARTIAL, "partial" },   { VTL_SVC_CC, "cc" },
	{ 0, NULL }
};

static const struct bit_name roles[] = {
	{ VTL_ROLE_EGRESS, "egress" }, { VTL_ROLE_INGRESS, "ingress" },
	{ VTL_ROLE_LISTENER, "listener" },
	{ 0, NULL }
};

static const char *bits_str(const struct bit_name *t, uint32_t v, char *buf,
			    size_t len)
{
	size_t n = 0;

	buf[0] = '\0';
	for (; t->name; t++) {
		if (!(v & t->bit))
			continue;
		v &= ~t->bit;
		n += snprintf(buf + n, n < len ? len - n : 0, "%s%s",
			      n ? "," : "", t->name);
	}
	if (v)  /* bits we have no name for */
		n += snprintf(buf + n, n < len ? len - n : 0, "%s%#x",
			      n ? "," : "", v);
	if (!n)
		snprintf(buf, len, "-");
	return buf;
}

static void bits_json(struct json *j, const struct bit_name *t, uint32_t v)
{
	char other[16];

	json_arr_open(j);
	for (; t->name; t++) {
		if (v & t->bit)
			json_str(j, t->name);
		v &= ~t->bit;
	}
	if (v) {
		snprintf(other, sizeof(other), "%#x", v);
		json_str(j, other);
	}
	json_arr_close(j);
}

const char *ctl_services_str(uint32_t svc, char *buf, size_t len)
{
	return bits_str(services, svc, buf, len);
}

const char *ctl_roles_str(uint32_t r, char *buf, size_t len)
{
	return bits_str(roles, r, buf, len);
}

void ctl_json_services(struct json *j, uint32_t svc) { bits_json(j, services, svc); }
void ctl_json_roles(struct json *j, uint32_t r)      { bits_json(j, roles, r); }
