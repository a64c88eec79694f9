-- SPDX-License-Identifier: GPL-2.0
--
-- toy.lua - a Wireshark/tshark dissector for AF_TOY, IP protocol 253.
--
-- Usage:
--   tshark -X lua_script:tools/wireshark/toy.lua -r capture.pcap
--   tshark -X lua_script:tools/wireshark/toy.lua -r capture.pcap -V -Y toy
--   tshark -X lua_script:tools/wireshark/toy.lua -r capture.pcap \
--       -T fields -e toy.stream -e toy.flags.str -e toy.seq -e toy.len
--   wireshark -X lua_script:tools/wireshark/toy.lua capture.pcap
-- or copy it to ~/.local/lib/wireshark/plugins/ to load it every time.
-- Capture with, for example, `tcpdump -i va -w capture.pcap ip proto 253`.
--
-- It decodes what uapi/linux/toy.h defines: the 20-byte header
-- (struct toyhdr), TCP's option encoding (MSS, window scale, SACK
-- permitted, SACK blocks, timestamps, NOP, EOL; unknown kinds skipped by
-- their length), the three packet types (stream segment, datagram, port
-- unreachable) and the checksum over the IPv4 pseudo-header.  A datagram's
-- and a segment's data go to the "data" dissector.
--
-- Fields, all under "toy.": srcport, dstport, port (either), stream (one
-- index per connection, or per datagram flow, as tcp.stream and
-- udp.stream), seq and ack (relative, as TCP's: the SYN's sequence number
-- is 0, the first data byte 1), seq_raw, ack_raw, nxtseq, len (data bytes),
-- hdr_len (doff * 4), flags with flags.fin/syn/rst/ack/res and flags.str
-- ("[SYN, ACK]"), window_size_value, window_size and
-- window_size_scalefactor (scaled once both SYNs were seen), checksum,
-- checksum.status (0 Bad, 1 Good, 2 Unverified: Wireshark's own values;
-- "toy.checksum.status == 0" finds the bad ones; Unverified when the
-- segment was not captured whole, or was captured on its way to a device
-- that sums it, on loopback or as a run of segments sent as one packet),
-- checksum_calculated, type (0 Stream, 1 Datagram, 2 Port unreachable),
-- reserved, options, option_kind, option_len, options.mss_val,
-- options.wscale.shift, options.wscale.multiplier, options.sack_perm,
-- options.timestamp.tsval, options.timestamp.tsecr, options.sack_le,
-- options.sack_re (relative to the peer's ISN) and their _raw forms,
-- options.sack.count, options.nop, options.eol, options.unknown, payload.
-- Problems show as expert info (tshark -z expert): a bad checksum, a short
-- or truncated segment, a header length outside 20..segment, options that
-- do not parse, an unknown type.
--
-- Preferences (-o toy.NAME:VALUE): ipproto (253; the module parameter
-- "ipproto" moves AF_TOY), check_checksum (true), relative_seq (true).
--
-- Streams and their relative numbers come from the packets in capture
-- order, as TCP's analysis does; a SYN with a new initial sequence number
-- on a 4-tuple starts a new stream.  Wireshark 4.0's Lua API cannot add
-- a conversation table of its own, so `-z conv,ip` lists AF_TOY's flows
-- by address and `toy.stream == N` filters one of them.

local toy = Proto("toy", "AF_TOY Protocol")

-- uapi/linux/toy.h's numbers: the header's length without options, the
-- flags, the types and the option kinds.
local HDR_LEN = 20
local FIN, SYN, RST, ACK = 0x01, 0x02, 0x04, 0x10
local TYPE_STREAM, TYPE_DGRAM, TYPE_UNREACH = 0, 1, 2
local OPT_EOL, OPT_NOP, OPT_MSS, OPT_WSCALE = 0, 1, 2, 3
local OPT_SACK_PERM, OPT_SACK, OPT_TIMESTAMP = 4, 5, 8
local MAX_WSCALE = 14
local TWO32 = 4294967296

local type_names = {
	[TYPE_STREAM] = "Stream",
	[TYPE_DGRAM] = "Datagram",
	[TYPE_UNREACH] = "Port unreachable",
}
local option_names = {
	[OPT_EOL] = "End of Option List (EOL)",
	[OPT_NOP] = "No-Operation (NOP)",
	[OPT_MSS] = "Maximum segment size",
	[OPT_WSCALE] = "Window scale",
	[OPT_SACK_PERM] = "SACK permitted",
	[OPT_SACK] = "SACK",
	[OPT_TIMESTAMP] = "Timestamps",
}
-- Wireshark's proto_checksum_enum_e, so toy.checksum.status reads as
-- tcp.checksum.status and udp.checksum.status do.
local CSUM_BAD, CSUM_GOOD, CSUM_UNVERIFIED = 0, 1, 2
local csum_status_names = {
	[CSUM_BAD] = "Bad",
	[CSUM_GOOD] = "Good",
	[CSUM_UNVERIFIED] = "Unverified",
}

-- Flag bits read "Set" / "Not set", as TCP's.
local set_names = { "Set", "Not set" }

local F = {
	srcport = ProtoField.uint16("toy.srcport", "Source Port", base.DEC),
	dstport = ProtoField.uint16("toy.dstport", "Destination Port", base.DEC),
	port = ProtoField.uint16("toy.port", "Source or Destination Port", base.DEC),
	stream = ProtoField.uint32("toy.stream", "Stream index", base.DEC,
		nil, nil, "One index per connection or datagram flow"),
	len = ProtoField.uint32("toy.len", "Segment Len", base.DEC,
		nil, nil, "Data bytes after the header"),
	seq = ProtoField.uint32("toy.seq", "Sequence Number", base.DEC),
	seq_raw = ProtoField.uint32("toy.seq_raw", "Sequence Number (raw)", base.DEC),
	nxtseq = ProtoField.uint32("toy.nxtseq", "Next Sequence Number", base.DEC),
	ack = ProtoField.uint32("toy.ack", "Acknowledgment Number", base.DEC),
	ack_raw = ProtoField.uint32("toy.ack_raw", "Acknowledgment number (raw)", base.DEC),
	hdr_len = ProtoField.uint8("toy.hdr_len", "Header Length", base.DEC,
		nil, nil, "doff * 4: the header with its options, in bytes"),
	flags = ProtoField.uint8("toy.flags", "Flags", base.HEX),
	flag_res = ProtoField.bool("toy.flags.res", "Unused", 8, set_names, 0xe8,
		"Bits AF_TOY does not define (sent as zero)"),
	flag_ack = ProtoField.bool("toy.flags.ack", "Acknowledgment", 8, set_names, ACK),
	flag_rst = ProtoField.bool("toy.flags.rst", "Reset", 8, set_names, RST),
	flag_syn = ProtoField.bool("toy.flags.syn", "Syn", 8, set_names, SYN),
	flag_fin = ProtoField.bool("toy.flags.fin", "Fin", 8, set_names, FIN),
	flags_str = ProtoField.string("toy.flags.str", "Flags summary"),
	window = ProtoField.uint16("toy.window_size_value", "Window", base.DEC),
	window_calc = ProtoField.uint32("toy.window_size", "Calculated window size",
		base.DEC, nil, nil, "The window scaled by its sender's shift count"),
	window_scale = ProtoField.int32("toy.window_size_scalefactor",
		"Window size scaling factor", base.DEC, nil, nil,
		"-1 when unknown, -2 when no scaling is used"),
	checksum = ProtoField.uint16("toy.checksum", "Checksum", base.HEX),
	checksum_status = ProtoField.uint8("toy.checksum.status", "Checksum Status",
		base.DEC, csum_status_names),
	checksum_calc = ProtoField.uint16("toy.checksum_calculated",
		"Calculated Checksum", base.HEX, nil, nil,
		"What the checksum field should hold"),
	type = ProtoField.uint8("toy.type", "Type", base.DEC, type_names),
	reserved = ProtoField.uint8("toy.reserved", "Reserved", base.HEX),
	options = ProtoField.bytes("toy.options", "Options"),
	opt_kind = ProtoField.uint8("toy.option_kind", "Kind", base.DEC, option_names),
	opt_len = ProtoField.uint8("toy.option_len", "Length", base.DEC),
	opt_eol = ProtoField.none("toy.options.eol", "End of Option List (EOL)"),
	opt_nop = ProtoField.none("toy.options.nop", "No-Operation (NOP)"),
	opt_padding = ProtoField.bytes("toy.options.padding", "Padding after EOL"),
	opt_mss = ProtoField.none("toy.options.mss", "Maximum segment size"),
	mss_val = ProtoField.uint16("toy.options.mss_val", "MSS Value", base.DEC),
	opt_wscale = ProtoField.none("toy.options.wscale", "Window scale"),
	wscale_shift = ProtoField.uint8("toy.options.wscale.shift", "Shift count", base.DEC),
	wscale_mult = ProtoField.uint16("toy.options.wscale.multiplier", "Multiplier", base.DEC),
	sack_perm = ProtoField.none("toy.options.sack_perm", "SACK permitted"),
	opt_ts = ProtoField.none("toy.options.timestamp", "Timestamps"),
	tsval = ProtoField.uint32("toy.options.timestamp.tsval", "Timestamp value", base.DEC),
	tsecr = ProtoField.uint32("toy.options.timestamp.tsecr", "Timestamp echo reply", base.DEC),
	opt_sack = ProtoField.none("toy.options.sack", "SACK"),
	sack_count = ProtoField.uint8("toy.options.sack.count", "SACK blocks", base.DEC),
	sack_le = ProtoField.uint32("toy.options.sack_le", "SACK Left Edge", base.DEC),
	sack_re = ProtoField.uint32("toy.options.sack_re", "SACK Right Edge", base.DEC),
	sack_le_raw = ProtoField.uint32("toy.options.sack_le_raw", "SACK Left Edge (raw)", base.DEC),
	sack_re_raw = ProtoField.uint32("toy.options.sack_re_raw", "SACK Right Edge (raw)", base.DEC),
	opt_unknown = ProtoField.bytes("toy.options.unknown", "Unknown option"),
	payload = ProtoField.bytes("toy.payload", "Payload"),
}
toy.fields = F

local E = {
	csum_bad = ProtoExpert.new("toy.checksum.bad.expert", "Bad checksum",
		expert.group.CHECKSUM, expert.severity.WARN),
	csum_partial = ProtoExpert.new("toy.checksum.partial",
		"Checksum left to the device (offload): only the pseudo-header's sum",
		expert.group.CHECKSUM, expert.severity.NOTE),
	short = ProtoExpert.new("toy.short", "Shorter than the 20-byte header",
		expert.group.MALFORMED, expert.severity.ERROR),
	truncated = ProtoExpert.new("toy.truncated",
		"Captured only part of the segment (snapshot length)",
		expert.group.UNDECODED, expert.severity.WARN),
	hdr_len_bad = ProtoExpert.new("toy.hdr_len.bad",
		"Header length outside 20..segment length",
		expert.group.MALFORMED, expert.severity.ERROR),
	opt_malformed = ProtoExpert.new("toy.options.malformed",
		"Options do not parse (the receiver drops the segment)",
		expert.group.MALFORMED, expert.severity.ERROR),
	opt_unknown = ProtoExpert.new("toy.options.unknown.expert",
		"Unknown option kind, skipped by its length",
		expert.group.UNDECODED, expert.severity.NOTE),
	wscale_big = ProtoExpert.new("toy.options.wscale.shift.invalid",
		"Window scale shift exceeds 14 (used as 14)",
		expert.group.PROTOCOL, expert.severity.NOTE),
	type_unknown = ProtoExpert.new("toy.type.unknown",
		"Unknown type (the receiver drops the packet)",
		expert.group.MALFORMED, expert.severity.ERROR),
	dgram_doff = ProtoExpert.new("toy.type.doff",
		"Options are for streams: a datagram's header length must be 20",
		expert.group.MALFORMED, expert.severity.ERROR),
	reserved = ProtoExpert.new("toy.reserved.nonzero",
		"Reserved byte is not zero (ignored on receipt)",
		expert.group.PROTOCOL, expert.severity.NOTE),
}
toy.experts = {
	E.csum_bad, E.csum_partial, E.short, E.truncated, E.hdr_len_bad,
	E.opt_malformed, E.opt_unknown, E.wscale_big, E.type_unknown,
	E.dgram_doff, E.reserved,
}

toy.prefs.ipproto = Pref.uint("IP protocol number", 253,
	"The IPv4 protocol number of AF_TOY (toy.ko's ipproto parameter)")
toy.prefs.check_checksum = Pref.bool("Validate the checksum", true,
	"Verify the checksum over the IPv4 pseudo-header, header and data")
toy.prefs.relative_seq = Pref.bool("Relative sequence numbers", true,
	"Show sequence and acknowledgment numbers relative to each side's ISN")

local data_dissector = Dissector.get("data")

--
-- Stream analysis state, rebuilt from the first packet on each (re)load:
-- flows[key] is the current stream of a 4-tuple (per space: stream and
-- datagram ports are separate), frames[number] what the analysis found
-- for a packet the first time it was dissected, so a second pass (tshark
-- -2, clicking around in Wireshark) shows the same numbers.
--
local flows, frames, next_stream

local function reset()
	flows, frames, next_stream = {}, {}, 0
end
toy.init = reset
reset()

local function new_flow()
	local f = { index = next_stream, dir = {} }
	next_stream = next_stream + 1
	return f
end

-- The one's complement sum of a string of bytes, as 16-bit big-endian
-- words (RFC 1071); an odd last byte is padded with zero.
local function ones_sum(s, sum)
	local n = #s
	local i = 1
	while i < n do
		local a, b = s:byte(i, i + 1)
		sum = sum + a * 256 + b
		i = i + 2
	end
	if i == n then
		sum = sum + s:byte(i) * 256
	end
	return sum
end

local function fold(sum)
	while sum > 0xffff do
		sum = (sum % 65536) + math.floor(sum / 65536)
	end
	return sum
end

local function ipv4_sum(addr)
	local a, b, c, d = tostring(addr):match("^(%d+)%.(%d+)%.(%d+)%.(%d+)$")
	if not a then
		return nil
	end
	return tonumber(a) * 256 + tonumber(b) + tonumber(c) * 256 + tonumber(d)
end

local function flag_list(flags)
	local names = {}
	if bit32.band(flags, FIN) ~= 0 then names[#names + 1] = "FIN" end
	if bit32.band(flags, SYN) ~= 0 then names[#names + 1] = "SYN" end
	if bit32.band(flags, RST) ~= 0 then names[#names + 1] = "RST" end
	if bit32.band(flags, ACK) ~= 0 then names[#names + 1] = "ACK" end
	if bit32.band(flags, 0xe8) ~= 0 then
		names[#names + 1] = string.format("0x%02x", bit32.band(flags, 0xe8))
	end
	if #names == 0 then
		return "<None>"
	end
	return table.concat(names, ", ")
end

local function has(flags, f)
	return bit32.band(flags, f) ~= 0
end

-- Relative numbers, windows and the stream index of a packet seen for the
-- first time, in capture order.
local function analyse(h, src, dst)
	local fwd = string.format("%s:%d>%s:%d", src, h.sport, dst, h.dport)
	local rev = string.format("%s:%d>%s:%d", dst, h.dport, src, h.sport)
	-- Stream and datagram ports are separate spaces; a port unreachable
	-- belongs to the datagram flow it answers.
	local space = "t" .. h.type
	if h.type == TYPE_STREAM then
		space = "s"
	elseif h.type == TYPE_DGRAM or h.type == TYPE_UNREACH then
		space = "d"
	end
	local key = space .. (fwd < rev and fwd .. "|" .. rev or rev .. "|" .. fwd)
	local flow = flows[key]
	local r = {}

	if h.type ~= TYPE_STREAM then
		if not flow then
			flow = new_flow()
			flows[key] = flow
		end
		r.stream = flow.index
		return r
	end

	-- A SYN that opens the 4-tuple anew (another ISN than the SYN seen,
	-- or a SYN after a FIN or reset) starts another stream.
	if flow and has(h.flags, SYN) and not has(h.flags, ACK) then
		local d = flow.dir[fwd]
		if (d and d.isn and d.isn ~= h.seq) or
		   ((not d or not d.isn) and flow.closed) then
			flow = nil
		end
	end
	if not flow then
		flow = new_flow()
		flows[key] = flow
	end
	flow.dir[fwd] = flow.dir[fwd] or {}
	flow.dir[rev] = flow.dir[rev] or {}
	local d, p = flow.dir[fwd], flow.dir[rev]

	if has(h.flags, SYN) then
		if not d.isn then
			d.isn = h.seq
			d.base = h.seq
		end
		d.syn_seen = true
		d.wscale = h.opt_wscale	-- nil: the SYN did not offer it
	end
	if not d.base then
		-- No SYN seen: the first data byte of this side is 1.
		d.base = (h.seq - 1) % TWO32
	end
	if has(h.flags, ACK) and not p.base then
		p.base = (h.ack - 1) % TWO32
	end
	if has(h.flags, FIN) or has(h.flags, RST) then
		flow.closed = true
	end

	r.stream = flow.index
	r.seq = (h.seq - d.base) % TWO32
	if has(h.flags, ACK) then
		r.ack = (h.ack - p.base) % TWO32
	end
	r.nxtseq = (r.seq + h.len + (has(h.flags, SYN) and 1 or 0) +
		(has(h.flags, FIN) and 1 or 0)) % TWO32
	r.peer_base = p.base
	-- A SYN's window is never scaled; after both SYNs, each side's
	-- window is shifted by its own count if both offered scaling.
	if has(h.flags, SYN) then
		r.scale = -2
	elseif d.syn_seen and p.syn_seen then
		if d.wscale and p.wscale then
			r.scale = 2 ^ math.min(d.wscale, MAX_WSCALE)
		else
			r.scale = -2
		end
	else
		r.scale = -1
	end
	return r
end

-- The options between offsets 20 and optend (the header length, or the
-- segment's end if that comes first), of which the bytes below cap were
-- captured, as a list of what is where.  The kernel's rules
-- (toy_parse_options()): EOL ends the list, NOP is one byte, every other
-- kind has a length byte of at least 2 that stays inside the header, and
-- the known kinds have their own lengths.  A list that breaks them is
-- "bad" (the receiver drops the segment); a list cut by the capture's
-- snapshot length is "cut".
local known_len = {
	[OPT_MSS] = 4, [OPT_WSCALE] = 3, [OPT_SACK_PERM] = 2, [OPT_TIMESTAMP] = 10,
}

local function parse_options(tvb, optend, cap)
	local list, res = {}, { list = {} }
	local off = HDR_LEN
	res.list = list
	while off < optend do
		if off >= cap then
			res.cut = true
			break
		end
		local kind = tvb(off, 1):uint()
		if kind == OPT_EOL then
			list[#list + 1] = { what = "eol", off = off }
			local pad = math.min(optend, cap) - off - 1
			if pad > 0 then
				list[#list + 1] = { what = "padding", off = off + 1, len = pad }
			end
			break
		elseif kind == OPT_NOP then
			list[#list + 1] = { what = "nop", off = off }
			off = off + 1
		elseif off + 1 >= optend then
			list[#list + 1] = { what = "nolen", off = off }
			res.bad = true
			break
		elseif off + 1 >= cap then
			res.cut = true
			break
		else
			local len = tvb(off + 1, 1):uint()
			if len < 2 or off + len > optend then
				list[#list + 1] = { what = "badlen", off = off, kind = kind,
					len = len }
				res.bad = true
				break
			end
			if off + len > cap then
				res.cut = true
				break
			end
			local o = { what = "option", off = off, kind = kind, len = len }
			local want = known_len[kind]
			if want and len ~= want then
				o.want = want
				res.bad = true
			elseif kind == OPT_SACK and (len - 2) % 8 ~= 0 then
				res.bad = true
				o.sack_bad = true
			elseif kind == OPT_WSCALE then
				res.wscale = tvb(off + 2, 1):uint()
			elseif kind == OPT_MSS then
				res.mss = tvb(off + 2, 2):uint()
			end
			list[#list + 1] = o
			off = off + len
		end
	end
	return res
end

-- The options in the tree; returns the Info column's additions, as TCP
-- writes them ("MSS=1460 SACK_PERM TSval=1 TSecr=0 WS=128").  SACK edges
-- are the peer's sequence numbers: relative to its base if it is known.
local function render_options(tvb, tree, optend, cap, parsed, peer_base)
	local info = {}
	local opts = tree:add(F.options, tvb(HDR_LEN, math.min(optend, cap) - HDR_LEN))
	opts:append_text(string.format(" (%d bytes)", optend - HDR_LEN))

	local function kind_len(t, off, withlen)
		t:add(F.opt_kind, tvb(off, 1))
		if withlen then
			t:add(F.opt_len, tvb(off + 1, 1))
		end
	end

	for _, o in ipairs(parsed.list) do
		local off, kind, len = o.off, o.kind, o.len
		if o.what == "eol" then
			kind_len(opts:add(F.opt_eol, tvb(off, 1)), off, false)
		elseif o.what == "padding" then
			opts:add(F.opt_padding, tvb(off, len))
		elseif o.what == "nop" then
			kind_len(opts:add(F.opt_nop, tvb(off, 1)), off, false)
		elseif o.what == "nolen" then
			opts:add(F.opt_kind, tvb(off, 1)):add_proto_expert_info(
				E.opt_malformed, "Option without its length byte")
		elseif o.what == "badlen" then
			local t = opts:add(F.opt_kind, tvb(off, 1))
			opts:add(F.opt_len, tvb(off + 1, 1))
			t:add_proto_expert_info(E.opt_malformed, string.format(
				"Option length %d %s", len, len < 2 and "is below 2" or
				"reaches past the header"))
		elseif o.want then
			local t = opts:add(F.opt_unknown, tvb(off, len))
			t:set_text(string.format("%s: length %d, must be %d",
				option_names[kind], len, o.want))
			kind_len(t, off, true)
			t:add_proto_expert_info(E.opt_malformed, string.format(
				"%s option of length %d, not %d", option_names[kind], len, o.want))
		elseif kind == OPT_MSS then
			local t = opts:add(F.opt_mss, tvb(off, len))
			kind_len(t, off, true)
			local mss = tvb(off + 2, 2):uint()
			t:add(F.mss_val, tvb(off + 2, 2))
			t:append_text(string.format(": %d bytes", mss))
			info[#info + 1] = "MSS=" .. mss
		elseif kind == OPT_WSCALE then
			local t = opts:add(F.opt_wscale, tvb(off, len))
			kind_len(t, off, true)
			local shift = tvb(off + 2, 1):uint()
			local s = t:add(F.wscale_shift, tvb(off + 2, 1))
			if shift > MAX_WSCALE then
				s:add_proto_expert_info(E.wscale_big)
			end
			local mult = 2 ^ math.min(shift, MAX_WSCALE)
			t:add(F.wscale_mult, tvb(off + 2, 1), mult):set_generated()
			t:append_text(string.format(": %d (multiply by %d)", shift, mult))
			info[#info + 1] = string.format("WS=%d", mult)
		elseif kind == OPT_SACK_PERM then
			kind_len(opts:add(F.sack_perm, tvb(off, len)), off, true)
			info[#info + 1] = "SACK_PERM"
		elseif kind == OPT_TIMESTAMP then
			local t = opts:add(F.opt_ts, tvb(off, len))
			kind_len(t, off, true)
			local tsval, tsecr = tvb(off + 2, 4):uint(), tvb(off + 6, 4):uint()
			t:add(F.tsval, tvb(off + 2, 4))
			t:add(F.tsecr, tvb(off + 6, 4))
			t:append_text(string.format(": TSval %d, TSecr %d", tsval, tsecr))
			info[#info + 1] = string.format("TSval=%d TSecr=%d", tsval, tsecr)
		elseif kind == OPT_SACK then
			local t = opts:add(F.opt_sack, tvb(off, len))
			kind_len(t, off, true)
			if o.sack_bad then
				t:add_proto_expert_info(E.opt_malformed, string.format(
					"SACK length %d is not 2 + 8 * blocks", len))
			end
			local n = math.floor((len - 2) / 8)
			t:add(F.sack_count, tvb(off + 1, 1), n):set_generated()
			for i = 0, n - 1 do
				local b = off + 2 + i * 8
				local le, re = tvb(b, 4):uint(), tvb(b + 4, 4):uint()
				if peer_base and toy.prefs.relative_seq then
					le = (le - peer_base) % TWO32
					re = (re - peer_base) % TWO32
				end
				t:add(F.sack_le, tvb(b, 4), le)
				t:add(F.sack_re, tvb(b + 4, 4), re)
				t:add(F.sack_le_raw, tvb(b, 4))
				t:add(F.sack_re_raw, tvb(b + 4, 4))
				info[#info + 1] = string.format("SLE=%d SRE=%d", le, re)
			end
			t:append_text(string.format(": %d block%s", n, n == 1 and "" or "s"))
		else
			local t = opts:add(F.opt_unknown, tvb(off, len))
			t:set_text(string.format("Unknown option: kind %d, length %d",
				kind, len))
			kind_len(t, off, true)
			t:add_proto_expert_info(E.opt_unknown)
		end
	end
	if parsed.cut then
		opts:add_proto_expert_info(E.truncated,
			"Options not captured whole (snapshot length)")
	end
	return info
end

-- The checksum field, what it should hold, and its status.  It covers the
-- IPv4 pseudo-header (source, destination, zero, protocol, segment
-- length), the header and the data, as TCP's; it can be checked only
-- when the whole segment was captured.
local function dissect_checksum(tvb, pinfo, tree, cap, rep)
	local item = tree:add(F.checksum, tvb(16, 2))
	local field = tvb(16, 2):uint()
	local src, dst = ipv4_sum(pinfo.net_src), ipv4_sum(pinfo.net_dst)
	local why
	if not toy.prefs.check_checksum then
		why = "validation disabled"
	elseif not (src and dst) then
		why = "not over IPv4"
	elseif cap < rep then
		why = "segment not captured whole"
	end
	if why then
		item:append_text(" [unverified: " .. why .. "]")
		tree:add(F.checksum_status, CSUM_UNVERIFIED):set_generated()
		return CSUM_UNVERIFIED
	end
	local pseudo = src + dst + toy.prefs.ipproto + rep
	local all = ones_sum(tvb:raw(0, rep), pseudo)
	local sum = fold(all)
	-- What the field should hold: the complement of the sum of the rest.
	local expect = 0xffff - fold(all + 0xffff - field)
	local status
	if sum == 0xffff then
		item:append_text(" [correct]")
		status = CSUM_GOOD
	elseif field == fold(pseudo) then
		-- The sender left the sum over the segment to the device
		-- (CHECKSUM_PARTIAL: loopback, or a run of segments sent as one
		-- packet), so a capture taken on the way there sees only the
		-- pseudo-header's sum, as it sees TCP's.
		item:append_text(" [unverified: left to the device]")
		item:add_proto_expert_info(E.csum_partial)
		status = CSUM_UNVERIFIED
	else
		item:append_text(string.format(" [incorrect, should be 0x%04x]", expect))
		item:add_proto_expert_info(E.csum_bad, string.format(
			"Bad checksum: 0x%04x, should be 0x%04x", field, expect))
		status = CSUM_BAD
	end
	tree:add(F.checksum_calc, tvb(16, 2), expect):set_generated()
	tree:add(F.checksum_status, status):set_generated()
	return status
end

-- The fields of a header that is not all there: as many as were captured.
local function dissect_partial(tvb, tree, cap)
	local parts = {
		{ F.srcport, 0, 2 }, { F.dstport, 2, 2 }, { F.seq_raw, 4, 4 },
		{ F.ack_raw, 8, 4 }, { F.hdr_len, 12, 1 }, { F.flags, 13, 1 },
		{ F.window, 14, 2 }, { F.checksum, 16, 2 }, { F.type, 18, 1 },
		{ F.reserved, 19, 1 },
	}
	for _, p in ipairs(parts) do
		if p[2] + p[3] > cap then
			break
		end
		if p[1] == F.hdr_len then
			tree:add(p[1], tvb(p[2], p[3]), tvb(p[2], p[3]):uint() * 4)
		else
			tree:add(p[1], tvb(p[2], p[3]))
		end
	end
end

function toy.dissector(tvb, pinfo, root)
	local cap, rep = tvb:len(), tvb:reported_len()
	pinfo.cols.protocol:set("TOY")
	local tree = root:add(toy, tvb())
	-- An ICMP error quotes the start of a packet: decode it, but leave
	-- the Info column and the stream analysis to the packet itself.
	local in_error = pinfo.in_error_pkt

	if rep < HDR_LEN or cap < HDR_LEN then
		dissect_partial(tvb, tree, cap)
		local text
		if rep < HDR_LEN then
			tree:add_proto_expert_info(E.short, string.format(
				"Segment of %d bytes, shorter than the 20-byte header", rep))
			text = string.format("Short AF_TOY segment (%d bytes)", rep)
		else
			tree:add_proto_expert_info(E.truncated, string.format(
				"Captured %d of the %d bytes: not the whole header", cap, rep))
			text = "AF_TOY header not captured whole"
		end
		if not in_error then
			pinfo.cols.info:set(text)
		end
		return cap
	end

	local h = {
		sport = tvb(0, 2):uint(),
		dport = tvb(2, 2):uint(),
		seq = tvb(4, 4):uint(),
		ack = tvb(8, 4):uint(),
		doff = tvb(12, 1):uint(),
		flags = tvb(13, 1):uint(),
		window = tvb(14, 2):uint(),
		type = tvb(18, 1):uint(),
	}
	h.hdr_len = h.doff * 4
	local hdr_ok = h.hdr_len >= HDR_LEN and h.hdr_len <= rep
	local data_off = hdr_ok and h.hdr_len or HDR_LEN
	h.len = rep - data_off
	local is_stream = h.type == TYPE_STREAM
	pinfo.src_port = h.sport
	pinfo.dst_port = h.dport

	local parsed
	if h.hdr_len > HDR_LEN then
		parsed = parse_options(tvb, math.min(h.hdr_len, rep), cap)
		h.opt_wscale = parsed.wscale
	end

	-- The stream analysis runs once per packet, in capture order; a later
	-- pass reads what it found.
	local a
	if not in_error then
		a = frames[pinfo.number]
		if not a then
			a = analyse(h, tostring(pinfo.net_src), tostring(pinfo.net_dst))
			frames[pinfo.number] = a
		end
	end
	local rel = is_stream and a and toy.prefs.relative_seq
	local seq = rel and a.seq or h.seq
	local ack = (rel and a.ack) or h.ack

	-- The header, in wire order.
	tree:add(F.srcport, tvb(0, 2))
	tree:add(F.dstport, tvb(2, 2))
	tree:add(F.port, tvb(0, 2)):set_hidden()
	tree:add(F.port, tvb(2, 2)):set_hidden()
	if a then
		tree:add(F.stream, a.stream):set_generated()
	end
	tree:add(F.len, h.len):set_generated()
	if rel then
		tree:add(F.seq, tvb(4, 4), seq):append_text("    (relative sequence number)")
	else
		tree:add(F.seq, tvb(4, 4))
	end
	tree:add(F.seq_raw, tvb(4, 4))
	if rel then
		tree:add(F.nxtseq, a.nxtseq):set_generated()
	end
	if rel and a.ack then
		tree:add(F.ack, tvb(8, 4), ack):append_text("    (relative ack number)")
	else
		tree:add(F.ack, tvb(8, 4))
	end
	tree:add(F.ack_raw, tvb(8, 4))
	local hl = tree:add(F.hdr_len, tvb(12, 1), h.hdr_len)
	hl:append_text(string.format(" bytes (%d)", h.doff))
	if not hdr_ok then
		hl:add_proto_expert_info(E.hdr_len_bad, string.format(
			"Header length %d bytes: %s", h.hdr_len, h.hdr_len < HDR_LEN and
			"below 20" or
			string.format("past the end of the %d-byte segment", rep)))
	end
	local flist = flag_list(h.flags)
	local fl = tree:add(F.flags, tvb(13, 1))
	fl:append_text(" (" .. flist .. ")")
	fl:add(F.flag_res, tvb(13, 1))
	fl:add(F.flag_ack, tvb(13, 1))
	fl:add(F.flag_rst, tvb(13, 1))
	fl:add(F.flag_syn, tvb(13, 1))
	fl:add(F.flag_fin, tvb(13, 1))
	fl:add(F.flags_str, tvb(13, 1), "[" .. flist .. "]"):set_generated()
	tree:add(F.window, tvb(14, 2))
	local win = h.window
	if is_stream and a then
		if a.scale > 0 then
			win = h.window * a.scale
		end
		tree:add(F.window_calc, tvb(14, 2), win):set_generated()
		tree:add(F.window_scale, a.scale):set_generated()
	end
	local csum_status = dissect_checksum(tvb, pinfo, tree, cap, rep)
	local ti = tree:add(F.type, tvb(18, 1))
	if not type_names[h.type] then
		ti:append_text(" (unknown)")
		ti:add_proto_expert_info(E.type_unknown)
	elseif not is_stream and h.doff ~= 5 then
		ti:add_proto_expert_info(E.dgram_doff)
	end
	local ri = tree:add(F.reserved, tvb(19, 1))
	if tvb(19, 1):uint() ~= 0 then
		ri:add_proto_expert_info(E.reserved)
	end

	local opt_info = {}
	if parsed then
		opt_info = render_options(tvb, tree, math.min(h.hdr_len, rep), cap,
			parsed, a and a.peer_base)
	end

	-- The data: a datagram's message, or a segment's stream bytes.
	if h.len > 0 and cap > data_off then
		local r = tvb(data_off)
		tree:add(F.payload, r)
		data_dissector:call(r:tvb(), pinfo, root)
	end
	if h.len > 0 and cap < rep then
		tree:add_proto_expert_info(E.truncated, string.format(
			"Captured %d of the segment's %d bytes", cap, rep))
	end

	-- The Info column and the protocol line's summary, as TCP's.
	local info, summary
	if h.type == TYPE_DGRAM then
		info = string.format("%d \226\134\146 %d DGRAM Len=%d", h.sport,
			h.dport, h.len)
		summary = string.format(", Datagram, Len: %d", h.len)
	elseif h.type == TYPE_UNREACH then
		info = string.format("%d \226\134\146 %d PORT UNREACHABLE", h.sport,
			h.dport)
		if h.len > 0 then
			info = info .. " Len=" .. h.len
		end
		summary = ", Port unreachable"
	elseif is_stream then
		info = string.format("%d \226\134\146 %d [%s] Seq=%d", h.sport,
			h.dport, flist, seq)
		if has(h.flags, ACK) then
			info = info .. " Ack=" .. ack
		end
		info = info .. string.format(" Win=%d Len=%d", win, h.len)
		if #opt_info > 0 then
			info = info .. " " .. table.concat(opt_info, " ")
		end
		summary = string.format(", Seq: %d%s, Len: %d", seq,
			has(h.flags, ACK) and ", Ack: " .. ack or "", h.len)
	else
		info = string.format("%d \226\134\146 %d Type=%d (unknown) Len=%d",
			h.sport, h.dport, h.type, h.len)
		summary = string.format(", Type: %d (unknown)", h.type)
	end
	tree:append_text(string.format(", Src Port: %d, Dst Port: %d%s",
		h.sport, h.dport, summary))
	if csum_status == CSUM_BAD then
		info = info .. " [TOY CHECKSUM INCORRECT]"
	end
	if not in_error then
		pinfo.cols.info:set(info)
	end
	return cap
end

-- ip.proto 253, or whatever the preference says (toy.ko's "ipproto").
local registered
local function register()
	local t = DissectorTable.get("ip.proto")
	if registered then
		t:remove(registered, toy)
	end
	registered = toy.prefs.ipproto
	t:add(registered, toy)
end

function toy.prefs_changed()
	if registered ~= toy.prefs.ipproto then
		register()
	end
end

register()
