-- SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
--
-- vtl.lua: Wireshark / tshark dissector for VTL, the Virtual Transport
-- Layer, carried directly over IPv4 as protocol 253.
--
-- The wire format is defined by include/vtl/wire.h (the single source of
-- truth) and described in docs/wire-format.md; usage in docs/wireshark.md.
--
--   tshark -X lua_script:tools/wireshark/vtl.lua -r cap.pcap
--   cp tools/wireshark/vtl.lua ~/.local/lib/wireshark/plugins/
--
-- Every field is filterable under the "vtl." prefix (vtl.type, vtl.session,
-- vtl.seq, vtl.ack, vtl.checksum.status, vtl.nego.graft, vtl.sack.start,
-- ...). Malformed packets are marked with an expert info (vtl.malformed)
-- and "[Malformed Packet]" in the Info column; the dissector never raises
-- a Lua error (all work runs under pcall).

local VTL_IPPROTO   = 253
local VTL_UDP_PORT  = 4753  -- VTL_UDP_PORT_DEFAULT
local VTL_VERSION   = 1
local VTL_HDR_LEN   = 32
local VTL_NEGO_LEN  = 96
local VTL_SACK_MAX  = 4
local VTL_PAYLOAD_MAX = 1504
local VTL_GRAFT_NAME_MAX = 24
local VTL_HASH_LEN  = 32

-- Packet types (VTL_T_*), stable: they are on the wire.
local T_NEGO, T_NEGO_ACK, T_NEGO_NACK, T_DATA, T_ACK = 1, 2, 3, 4, 5
local T_NACK, T_CLOSE, T_CLOSE_ACK, T_RESET = 6, 7, 8, 9
local types = {
	[1] = "NEGO", [2] = "NEGO_ACK", [3] = "NEGO_NACK", [4] = "DATA",
	[5] = "ACK", [6] = "NACK", [7] = "CLOSE", [8] = "CLOSE_ACK",
	[9] = "RESET",
}

-- NEGO reasons (VTL_NR_*).
local reasons = {
	[0] = "ok", [1] = "no graft", [2] = "no listener",
	[3] = "no resources", [4] = "bad parameters", [5] = "session clash",
}

-- Checksum status, as Wireshark's own dissectors number it.
local CSUM_BAD, CSUM_GOOD, CSUM_UNVERIFIED = 0, 1, 2
local csum_status = {
	[CSUM_BAD] = "Bad", [CSUM_GOOD] = "Good", [CSUM_UNVERIFIED] = "Unverified",
}

local vtl = Proto("vtl", "Virtual Transport Layer")

local pf = {
	version   = ProtoField.uint8("vtl.version", "Version", base.DEC),
	type      = ProtoField.uint8("vtl.type", "Type", base.DEC, types),
	flags     = ProtoField.uint8("vtl.flags", "Flags", base.HEX),
	flag_retx = ProtoField.bool("vtl.flags.retx", "RETX (retransmission)", 8, nil, 0x01),
	flag_dup  = ProtoField.bool("vtl.flags.dup", "DUP (in-kernel duplicate ACK)", 8, nil, 0x02),
	flag_ka   = ProtoField.bool("vtl.flags.keepalive", "KEEPALIVE (no RTT echo)", 8, nil, 0x04),
	flag_rsvd = ProtoField.uint8("vtl.flags.reserved", "Reserved flags", base.HEX, nil, 0xf8),
	hdr_len   = ProtoField.uint8("vtl.hdr_len", "Header length", base.DEC),
	session   = ProtoField.uint32("vtl.session", "Session ID", base.HEX),
	seq       = ProtoField.uint32("vtl.seq", "Sequence number", base.DEC),
	ack       = ProtoField.uint32("vtl.ack", "Acknowledgement number", base.DEC),
	tsval     = ProtoField.uint32("vtl.tsval", "Timestamp value (us)", base.DEC),
	tsecr     = ProtoField.uint32("vtl.tsecr", "Timestamp echo reply (us)", base.DEC),
	len       = ProtoField.uint16("vtl.len", "Payload length", base.DEC),
	checksum  = ProtoField.uint16("vtl.checksum", "Checksum", base.HEX),
	csum_calc = ProtoField.uint16("vtl.checksum.calculated", "Calculated checksum", base.HEX),
	csum_stat = ProtoField.uint8("vtl.checksum.status", "Checksum status", base.DEC, csum_status),
	window    = ProtoField.uint16("vtl.window", "Window (packets)", base.DEC),
	reserved  = ProtoField.uint16("vtl.reserved", "Reserved", base.HEX),
	payload   = ProtoField.bytes("vtl.payload", "Payload"),
	data      = ProtoField.bytes("vtl.data", "Data"),

	-- struct vtl_nego (NEGO, NEGO_ACK, NEGO_NACK)
	nego          = ProtoField.none("vtl.nego", "Negotiation"),
	nego_graft    = ProtoField.string("vtl.nego.graft", "Graft"),
	nego_gver     = ProtoField.uint32("vtl.nego.graft_version", "Graft version", base.DEC),
	nego_hash     = ProtoField.bytes("vtl.nego.graft_hash", "Graft hash (sha256)"),
	nego_port     = ProtoField.uint16("vtl.nego.service_port", "Service port", base.DEC),
	nego_mss      = ProtoField.uint16("vtl.nego.mss", "MSS", base.DEC),
	nego_window   = ProtoField.uint32("vtl.nego.window", "Window (packets)", base.DEC),
	nego_svc      = ProtoField.uint32("vtl.nego.services", "Services", base.HEX),
	svc_reliable  = ProtoField.bool("vtl.nego.services.reliable", "Reliable", 32, nil, 0x01),
	svc_ordered   = ProtoField.bool("vtl.nego.services.ordered", "Ordered", 32, nil, 0x02),
	svc_partial   = ProtoField.bool("vtl.nego.services.partial", "Partial reliability", 32, nil, 0x04),
	svc_cc        = ProtoField.bool("vtl.nego.services.cc", "Congestion control", 32, nil, 0x08),
	nego_delay    = ProtoField.uint32("vtl.nego.max_delay_ms", "Max delay (ms)", base.DEC),
	nego_tput     = ProtoField.uint32("vtl.nego.min_tput_kbps", "Min throughput (kbit/s)", base.DEC),
	nego_loss     = ProtoField.uint32("vtl.nego.max_loss_ppm", "Max loss (ppm)", base.DEC),
	nego_isn      = ProtoField.uint32("vtl.nego.isn", "Initial sequence number", base.DEC),
	nego_reason   = ProtoField.uint32("vtl.nego.reason", "Reason", base.DEC, reasons),
	nego_flags    = ProtoField.uint32("vtl.nego.flags", "Negotiation flags", base.HEX),
	nflag_swap    = ProtoField.bool("vtl.nego.flags.swap", "SWAP (graft swap of a running session)", 32, nil, 0x01),

	-- ACK payload: SACK blocks
	sack          = ProtoField.none("vtl.sack", "SACK block"),
	sack_start    = ProtoField.uint32("vtl.sack.start", "Start", base.DEC),
	sack_end      = ProtoField.uint32("vtl.sack.end", "End (exclusive)", base.DEC),
	sack_count    = ProtoField.uint8("vtl.sack.count", "SACK blocks", base.DEC),
}
local field_list = {}
for _, f in pairs(pf) do field_list[#field_list + 1] = f end
vtl.fields = field_list

local ef = {
	malformed = ProtoExpert.new("vtl.malformed", "Malformed VTL packet",
	                            expert.group.MALFORMED, expert.severity.ERROR),
	bad_csum  = ProtoExpert.new("vtl.checksum.bad", "Bad VTL checksum",
	                            expert.group.CHECKSUM, expert.severity.ERROR),
	truncated = ProtoExpert.new("vtl.truncated", "VTL packet truncated by the capture (snaplen)",
	                            expert.group.UNDECODED, expert.severity.WARN),
	retx      = ProtoExpert.new("vtl.retransmission", "Retransmission",
	                            expert.group.SEQUENCE, expert.severity.NOTE),
	error     = ProtoExpert.new("vtl.dissector_error", "VTL dissector error",
	                            expert.group.MALFORMED, expert.severity.ERROR),
}
vtl.experts = { ef.malformed, ef.bad_csum, ef.truncated, ef.retx, ef.error }

-- ---------------------------------------------------------------------------
-- Helpers
-- ---------------------------------------------------------------------------

-- Ones' complement sum (RFC 1071) of the 16-bit big-endian words of the Lua
-- string s, the last odd byte padded with zero; not folded, not inverted.
local function ones_sum(s)
	local sum, n, i = 0, #s, 1
	local byte = string.byte
	-- 8 words per call to string.byte keeps the loop cheap
	while i + 15 <= n do
		local a1, a2, b1, b2, c1, c2, d1, d2, e1, e2, f1, f2, g1, g2, h1, h2 = byte(s, i, i + 15)
		sum = sum + (a1 + b1 + c1 + d1 + e1 + f1 + g1 + h1) * 256
		          + (a2 + b2 + c2 + d2 + e2 + f2 + g2 + h2)
		i = i + 16
	end
	while i + 1 <= n do
		local a, b = byte(s, i, i + 1)
		sum = sum + a * 256 + b
		i = i + 2
	end
	if i <= n then
		sum = sum + byte(s, i) * 256
	end
	return sum
end

local function fold16(sum)
	while sum > 0xffff do
		sum = (sum % 65536) + math.floor(sum / 65536)
	end
	return sum
end

-- A NUL-padded name as printable text: up to the first NUL, other bytes
-- outside printable ASCII escaped as \xNN.
local function printable(raw)
	local nul = string.find(raw, "\0", 1, true)
	if nul then raw = string.sub(raw, 1, nul - 1) end
	return (string.gsub(raw, "[^\32-\126]", function(c)
		return string.format("\\x%02x", string.byte(c))
	end))
end

local function hex32(v)
	return string.format("0x%08x", v)
end

-- Mark the packet malformed: expert info on item, note for the Info column.
local function malformed(ctx, item, msg)
	item:add_proto_expert_info(ef.malformed, msg)
	ctx.malformed[#ctx.malformed + 1] = msg
end

-- ---------------------------------------------------------------------------
-- Payloads
-- ---------------------------------------------------------------------------

local function dissect_nego(ctx, tvb, off, plen, tree, ptype)
	local avail = math.min(plen, tvb:len() - off)
	local nt = tree:add(pf.nego, tvb:range(off, avail))
	nt:set_text(string.format("Negotiation (struct vtl_nego, %d bytes)", plen))
	if plen ~= VTL_NEGO_LEN then
		malformed(ctx, nt, string.format("%s payload is %d bytes, struct vtl_nego is %d",
		                                 types[ptype], plen, VTL_NEGO_LEN))
	end
	if avail < VTL_NEGO_LEN then
		if avail > 0 then
			nt:add(pf.payload, tvb:range(off, avail))
		end
		return
	end
	local r = function(o, l) return tvb:range(off + o, l) end

	local graft = printable(r(0, VTL_GRAFT_NAME_MAX):raw())
	nt:add(pf.nego_graft, r(0, VTL_GRAFT_NAME_MAX), graft)
	local gver = r(24, 4):uint()
	nt:add(pf.nego_gver, r(24, 4))
	local hi = nt:add(pf.nego_hash, r(28, VTL_HASH_LEN))
	if r(28, VTL_HASH_LEN):bytes():tohex() == string.rep("00", VTL_HASH_LEN) then
		hi:append_text(" (all zero: any build)")
	end
	local port = r(60, 2):uint()
	nt:add(pf.nego_port, r(60, 2))
	local mss = r(62, 2):uint()
	nt:add(pf.nego_mss, r(62, 2))
	local win = r(64, 4):uint()
	nt:add(pf.nego_window, r(64, 4))

	local svc = r(68, 4):uint()
	local names = {}
	if svc % 2 >= 1 then names[#names + 1] = "reliable" end
	if svc % 4 >= 2 then names[#names + 1] = "ordered" end
	if svc % 8 >= 4 then names[#names + 1] = "partial" end
	if svc % 16 >= 8 then names[#names + 1] = "cc" end
	if svc >= 16 then names[#names + 1] = string.format("unknown 0x%x", svc - svc % 16) end
	local st = nt:add(pf.nego_svc, r(68, 4))
	st:append_text(" (" .. (#names > 0 and table.concat(names, ", ") or "none") .. ")")
	st:add(pf.svc_reliable, r(68, 4))
	st:add(pf.svc_ordered, r(68, 4))
	st:add(pf.svc_partial, r(68, 4))
	st:add(pf.svc_cc, r(68, 4))

	nt:add(pf.nego_delay, r(72, 4))
	nt:add(pf.nego_tput, r(76, 4))
	local loss = r(80, 4):uint()
	nt:add(pf.nego_loss, r(80, 4)):append_text(string.format(" (%.4g%%)", loss / 10000))
	local isn = r(84, 4):uint()
	nt:add(pf.nego_isn, r(84, 4))
	local reason = r(88, 4):uint()
	local ri = nt:add(pf.nego_reason, r(88, 4))
	if ptype == T_NEGO_NACK and (reason == 0 or reasons[reason] == nil) then
		malformed(ctx, ri, "NEGO_NACK without a known reason")
	end
	local nflags = r(92, 4):uint()
	local ft = nt:add(pf.nego_flags, r(92, 4))
	if nflags % 2 == 1 then ft:append_text(" (SWAP)") end
	ft:add(pf.nflag_swap, r(92, 4))

	local info = string.format(" graft=%s v%d port=%d", graft ~= "" and graft or "(any)", gver, port)
	if ptype == T_NEGO_NACK then
		info = info .. " reason=" .. (reasons[reason] or tostring(reason))
	else
		info = info .. string.format(" isn=%d mss=%d wnd=%d", isn, mss, win)
	end
	if nflags % 2 == 1 then info = info .. " SWAP" end
	ctx.info = ctx.info .. info
end

local function dissect_sack(ctx, tvb, off, plen, tree)
	local avail = math.min(plen, tvb:len() - off)
	if plen % 8 ~= 0 or plen > 8 * VTL_SACK_MAX then
		local it = tree:add(pf.payload, tvb:range(off, avail))
		malformed(ctx, it, string.format(
			"ACK payload of %d bytes is not 1..%d SACK blocks of 8 bytes", plen, VTL_SACK_MAX))
		return
	end
	local n = math.floor(avail / 8)
	local blocks = {}
	tree:add(pf.sack_count, n):set_generated()
	for i = 0, n - 1 do
		local b = tvb:range(off + 8 * i, 8)
		local s, e = b:range(0, 4):uint(), b:range(4, 4):uint()
		local bt = tree:add(pf.sack, b)
		bt:set_text(string.format("SACK block %d: [%d, %d)", i + 1, s, e))
		bt:add(pf.sack_start, b:range(0, 4))
		bt:add(pf.sack_end, b:range(4, 4))
		blocks[#blocks + 1] = string.format("[%d,%d)", s, e)
	end
	if #blocks > 0 then
		ctx.info = ctx.info .. " sack=" .. table.concat(blocks, ",")
	end
end

-- ---------------------------------------------------------------------------
-- Main
-- ---------------------------------------------------------------------------

local function dissect(tvb, pinfo, tree, ctx)
	local caplen = tvb:len()
	local replen = tvb:reported_len()
	pinfo.cols.protocol:set("VTL")

	local ti = caplen > 0 and tree:add(vtl, tvb:range(0, caplen)) or tree:add(vtl)
	if caplen < replen then
		ctx.truncated = true
	end

	if replen < VTL_HDR_LEN or caplen < VTL_HDR_LEN then
		if caplen > 0 then ti:add(pf.payload, tvb:range(0, caplen)) end
		if replen < VTL_HDR_LEN then
			malformed(ctx, ti, string.format("short header: %d bytes, the VTL header is %d",
			                                 replen, VTL_HDR_LEN))
		else
			ti:add_proto_expert_info(ef.truncated, "header cut by the capture length")
		end
		ctx.info = "VTL"
		return math.max(caplen, replen)
	end

	local h = function(o, l) return tvb:range(o, l) end
	local version = h(0, 1):uint()
	local ptype   = h(1, 1):uint()
	local flags   = h(2, 1):uint()
	local hdr_len = h(3, 1):uint()
	local sid     = h(4, 4):uint()
	local seq     = h(8, 4):uint()
	local ack     = h(12, 4):uint()
	local plen    = h(24, 2):uint()
	local csum    = h(26, 2):uint()
	local wnd     = h(28, 2):uint()

	local tname = types[ptype]
	ti:append_text(string.format(", %s, Session: %s", tname or ("Unknown (" .. ptype .. ")"), hex32(sid)))

	local vi = ti:add(pf.version, h(0, 1))
	if version ~= VTL_VERSION then
		malformed(ctx, vi, string.format("version %d, expected %d", version, VTL_VERSION))
	end
	local tyi = ti:add(pf.type, h(1, 1))
	if not tname then
		malformed(ctx, tyi, string.format("unknown type %d", ptype))
	end

	local fi = ti:add(pf.flags, h(2, 1))
	local fnames = {}
	if flags % 2 == 1 then fnames[#fnames + 1] = "RETX" end
	if flags % 4 >= 2 then fnames[#fnames + 1] = "DUP" end
	if flags % 8 >= 4 then fnames[#fnames + 1] = "KEEPALIVE" end
	if #fnames > 0 then fi:append_text(" (" .. table.concat(fnames, ", ") .. ")") end
	fi:add(pf.flag_retx, h(2, 1))
	fi:add(pf.flag_dup, h(2, 1))
	fi:add(pf.flag_ka, h(2, 1))
	fi:add(pf.flag_rsvd, h(2, 1))

	local hi = ti:add(pf.hdr_len, h(3, 1))
	if hdr_len ~= VTL_HDR_LEN then
		malformed(ctx, hi, string.format("hdr_len %d, expected %d", hdr_len, VTL_HDR_LEN))
	end
	ti:add(pf.session, h(4, 4))
	ti:add(pf.seq, h(8, 4))
	ti:add(pf.ack, h(12, 4))
	ti:add(pf.tsval, h(16, 4))
	ti:add(pf.tsecr, h(20, 4))

	local li = ti:add(pf.len, h(24, 2))
	local actual = replen - VTL_HDR_LEN
	local len_ok = true
	if plen ~= actual then
		len_ok = false
		malformed(ctx, li, string.format("payload length %d, but the IP packet carries %d bytes after the header",
		                                 plen, actual))
	elseif plen > VTL_PAYLOAD_MAX then
		malformed(ctx, li, string.format("payload length %d exceeds %d", plen, VTL_PAYLOAD_MAX))
	end

	-- Checksum: RFC 1071 over the header (csum as 0) and the payload. The
	-- packet verifies when the sum over everything, csum included, folds to
	-- 0xffff.
	local ci = ti:add(pf.checksum, h(26, 2))
	local covered = math.min(actual, plen)
	if covered < 0 then covered = 0 end
	if len_ok and caplen >= VTL_HDR_LEN + covered then
		local raw = tvb:raw(0, VTL_HDR_LEN + covered)
		local sum = ones_sum(raw)
		local total = fold16(sum)
		local without = fold16(sum - csum)
		local calc = 0xffff - without
		if total == 0xffff then
			ci:append_text(" [correct]")
			ci:add(pf.csum_stat, CSUM_GOOD):set_generated()
		else
			ci:append_text(string.format(" [incorrect, should be 0x%04x]", calc))
			ci:add_proto_expert_info(ef.bad_csum,
				string.format("Bad checksum 0x%04x, should be 0x%04x", csum, calc))
			ci:add(pf.csum_stat, CSUM_BAD):set_generated()
			ctx.bad_csum = true
		end
		ci:add(pf.csum_calc, calc):set_generated()
	else
		ci:append_text(" [unverified]")
		ci:add(pf.csum_stat, CSUM_UNVERIFIED):set_generated()
		if len_ok then
			ci:add_proto_expert_info(ef.truncated, "payload cut by the capture length: checksum not verified")
		end
	end

	ti:add(pf.window, h(28, 2))
	ti:add(pf.reserved, h(30, 2))

	-- Info column
	ctx.info = string.format("VTL %s sid=%s", tname or ("type=" .. ptype), hex32(sid))
	if ptype == T_DATA or ptype == T_NACK then
		ctx.info = ctx.info .. string.format(" seq=%d len=%d", seq, plen)
	elseif ptype == T_ACK then
		ctx.info = ctx.info .. string.format(" ack=%d", ack)
	elseif ptype == T_CLOSE then
		ctx.info = ctx.info .. string.format(" seq=%d", seq)
	elseif ptype == T_CLOSE_ACK then
		ctx.info = ctx.info .. string.format(" ack=%d", ack)
	end
	if #fnames > 0 then
		ctx.info = ctx.info .. " [" .. table.concat(fnames, ",") .. "]"
	end
	if flags % 2 == 1 and ptype == T_DATA then
		fi:add_proto_expert_info(ef.retx, "DATA marked as a retransmission (RETX)")
	end

	-- Payload: only what the capture holds and the length field admits.
	local pavail = math.min(plen, caplen - VTL_HDR_LEN)
	if not len_ok then pavail = caplen - VTL_HDR_LEN end
	if pavail < 0 then pavail = 0 end
	if pavail < math.min(plen, math.max(actual, 0)) then
		ti:add_proto_expert_info(ef.truncated, "payload cut by the capture length")
	end
	if ptype == T_NEGO or ptype == T_NEGO_ACK or ptype == T_NEGO_NACK then
		if len_ok then
			dissect_nego(ctx, tvb, VTL_HDR_LEN, plen, ti, ptype)
		elseif pavail > 0 then
			ti:add(pf.payload, tvb:range(VTL_HDR_LEN, pavail))
		end
	elseif ptype == T_ACK then
		if len_ok and plen > 0 then
			dissect_sack(ctx, tvb, VTL_HDR_LEN, plen, ti)
		elseif pavail > 0 then
			ti:add(pf.payload, tvb:range(VTL_HDR_LEN, pavail))
		end
	elseif ptype == T_DATA and pavail > 0 then
		ti:add(pf.data, tvb:range(VTL_HDR_LEN, pavail)):append_text(string.format(" (%d bytes)", pavail))
	elseif pavail > 0 then
		ti:add(pf.payload, tvb:range(VTL_HDR_LEN, pavail))
	end
	ti:set_len(math.min(caplen, VTL_HDR_LEN + math.max(pavail, 0)))
	return math.max(caplen, replen)
end

function vtl.dissector(tvb, pinfo, tree)
	local ctx = { info = "VTL", malformed = {}, bad_csum = false, truncated = false }
	local ok, ret = pcall(dissect, tvb, pinfo, tree, ctx)
	if not ok then
		-- Never let a Lua error escape: report it as an expert info.
		pcall(function()
			local ei = tvb:len() > 0 and tree:add(vtl, tvb:range(0, tvb:len())) or tree:add(vtl)
			ei:add_proto_expert_info(ef.error, "VTL dissector error: " .. tostring(ret))
		end)
		ctx.malformed[#ctx.malformed + 1] = "dissector error"
		ret = math.max(tvb:len(), tvb:reported_len())
	end
	local info = ctx.info
	if ctx.bad_csum then
		info = info .. " [BAD CHECKSUM]"
	end
	if ctx.truncated then
		info = info .. " [Packet size limited during capture]"
	end
	if #ctx.malformed > 0 then
		info = info .. " [Malformed Packet: " .. table.concat(ctx.malformed, "; ") .. "]"
	end
	pinfo.cols.protocol:set("VTL")
	pinfo.cols.info:set(info)
	return ret
end

DissectorTable.get("ip.proto"):add(VTL_IPPROTO, vtl)
-- VTL over UDP (vtld --encap udp): the same header after UDP, on VTL's port
-- (a capture of another port: Decode As..., or -d udp.port==PORT,vtl)
DissectorTable.get("udp.port"):add(VTL_UDP_PORT, vtl)
