# SPDX-License-Identifier: GPL-2.0
"""The tour's pictures, drawn from what the module said.

    python3 draw.py states TABLE TRACE      > diagram.dot   (for graphviz)
    python3 draw.py sequence TRACE CLIENT SERVER > chart.svg
    python3 draw.py timeline TRACE LOW HIGH > timeline.svg
    python3 draw.py seqdata TRACE CLIENT SERVER DIR   (DIR/*.dat, for gnuplot)

TABLE is /sys/kernel/debug/toy/states (FROM TO BY EVENT per line), TRACE
a copy of /sys/kernel/tracing/trace with the toy events enabled, CLIENT
and SERVER the two endpoints of one connection (ADDR:PORT).  Exit status
1, with the reason on stderr, when the trace does not show what the
picture is about (a state change the table does not have, a connection
that is not there), so that a chapter fails instead of drawing nonsense.
"""
import re
import sys
from xml.sax.saxutils import escape

# --- the trace ------------------------------------------------------------

LINE = re.compile(r'^\s*(.+?)-(\d+)\s+\[\d+\]\s+\S+\s+([\d.]+): '
                  r'(toy_\w+|tracing_mark_write): (.*)$')


def read_trace(path):
    """The events of a trace file: dicts of name, time (s) and fields."""
    events = []
    with open(path) as f:
        for line in f:
            m = LINE.match(line)
            if not m:
                continue
            ev = {'name': m.group(4), 'time': float(m.group(3)),
                  'text': m.group(5)}
            for k, v in re.findall(r'(\w+)=(\S+)', m.group(5)):
                ev[k] = v
            events.append(ev)
    return events


def tuple_of(ev):
    """An event's connection, the same from either end."""
    return frozenset((ev.get('src'), ev.get('dst')))


def fail(why):
    sys.stderr.write('draw.py: %s\n' % why)
    sys.exit(1)


# --- the state diagram ---------------------------------------------------

RANKS = [['CLOSE'], ['LISTEN', 'SYN_SENT'], ['SYN_RECV'], ['ESTABLISHED'],
         ['FIN_WAIT1', 'CLOSE_WAIT'], ['FIN_WAIT2', 'CLOSING', 'LAST_ACK'],
         ['TIME_WAIT'], ['CLOSE_END']]
# Edges back to CLOSE before a connection exists go up to the first
# CLOSED; every other end of a connection goes down to a second one, as
# RFC 793 draws it.
UP = ('LISTEN', 'SYN_SENT')


def wrap(text, width=26):
    out, line = [], ''
    for w in text.split():
        if line and len(line) + 1 + len(w) > width:
            out.append(line)
            line = w
        else:
            line = (line + ' ' + w).strip()
    out.append(line)
    return '\\n'.join(out)


def edges_taken(events, table):
    """The edges of the table the traced connections took."""
    taken = set()
    changes = [e for e in events if e['name'] == 'toy_state_change']
    tw_in = {tuple_of(e) for e in events if e['name'] == 'toy_timewait_enter'}
    tw_out = {tuple_of(e) for e in events if e['name'] == 'toy_timewait_leave'}
    opened = {tuple_of(e) for e in changes if e['newstate'] == 'SYN_SENT'}
    for e in changes:
        edge = (e['oldstate'], e['newstate'])
        if edge not in table:
            fail('%s -> %s is not in the state table' % edge)
        if edge[1] == 'CLOSE' and tuple_of(e) in tw_in:
            # The socket's side of the hand-over to a TIME_WAIT entry.
            edge = (edge[0], 'TIME_WAIT')
        if edge == ('SYN_RECV', 'ESTABLISHED') and \
           tuple_of(e) not in opened:
            # An accepted child: its request entry came from a listener.
            taken.add(('LISTEN', 'SYN_RECV'))
        taken.add(edge)
    for t in tw_out:
        taken.add(('TIME_WAIT', 'CLOSE'))
    return taken


def states(table_path, trace_path):
    table = {}
    with open(table_path) as f:
        for line in f:
            a, b, by, event = line.rstrip('\n').split(' ', 3)
            table[(a, b)] = (by, event)
    taken = edges_taken(read_trace(trace_path), table)
    visited = {s for e in taken for s in e}
    out = ['digraph states {',
           ' graph [rankdir=TB, nodesep=0.5, ranksep=0.45, fontname="sans",'
           ' bgcolor="white"];',
           ' node [shape=box, style="rounded,filled", fillcolor="#eef3fb",'
           ' fontname="sans", fontsize=12];',
           ' edge [fontname="sans", fontsize=9, color="#555555"];']
    for rank in RANKS:
        names = []
        for s in rank:
            real = 'CLOSE' if s == 'CLOSE_END' else s
            fill = '#ffd8d0' if real in visited else '#eef3fb'
            label = 'CLOSED' if real == 'CLOSE' else real
            out.append(' %s [label="%s", fillcolor="%s"];' % (s, label, fill))
            names.append(s)
        out.append(' { rank=same; %s }' % '; '.join(names))
    for (a, b), (by, event) in table.items():
        to = b
        if b == 'CLOSE' and a not in UP:
            to = 'CLOSE_END'
        attrs = ['label="%s"' % wrap(event).replace('"', "'")]
        if by != 'socket':
            attrs.append('style=dashed')
        quiet = b == 'CLOSE' and a not in UP + ('LAST_ACK', 'TIME_WAIT')
        if (a, b) in taken:
            attrs += ['color="#cc2200"', 'fontcolor="#cc2200"',
                      'penwidth=2.5']
        elif quiet:
            attrs += ['color="#bbbbbb"', 'fontcolor="#999999"',
                      'fontsize=8']
        out.append(' %s -> %s [%s];' % (a, to, ', '.join(attrs)))
    out.append('}')
    print('\n'.join(out))


# --- SVG -------------------------------------------------------------------

class Svg:
    def __init__(self, width, height):
        self.w, self.h, self.parts = width, height, []

    def add(self, fmt, *args):
        self.parts.append(fmt % args)

    def text(self, x, y, s, size=12, anchor='start', color='#222',
             weight='normal'):
        self.add('<text x="%.1f" y="%.1f" font-size="%d" text-anchor="%s" '
                 'fill="%s" font-weight="%s">%s</text>', x, y, size, anchor,
                 color, weight, escape(s))

    def line(self, x1, y1, x2, y2, color='#222', width=1, dash=None,
             arrow=False):
        self.add('<line x1="%.1f" y1="%.1f" x2="%.1f" y2="%.1f" stroke="%s" '
                 'stroke-width="%s"%s%s/>', x1, y1, x2, y2, color, width,
                 ' stroke-dasharray="%s"' % dash if dash else '',
                 ' marker-end="url(#arrow)"' if arrow else '')

    def rect(self, x, y, w, h, fill, stroke='none'):
        self.add('<rect x="%.1f" y="%.1f" width="%.1f" height="%.1f" '
                 'fill="%s" stroke="%s"/>', x, y, w, h, fill, stroke)

    def __str__(self):
        head = ('<svg xmlns="http://www.w3.org/2000/svg" width="%d" '
                'height="%d" viewBox="0 0 %d %d" font-family="sans-serif">'
                '<defs><marker id="arrow" viewBox="0 0 10 10" refX="10" '
                'refY="5" markerWidth="7" markerHeight="7" orient="auto">'
                '<path d="M0,0 L10,5 L0,10 z" fill="#222"/></marker></defs>'
                '<rect width="100%%" height="100%%" fill="white"/>'
                % (self.w, self.h, self.w, self.h))
        return head + '\n'.join(self.parts) + '</svg>\n'


# --- the sequence chart ------------------------------------------------------

def segment_label(ev, isn):
    """A segment as Wireshark shows it: relative seq and ack."""
    flags = ev['flags'].replace('|', ',')
    seq = (int(ev['seq']) - isn[ev['src']]) % 2**32
    s = '%s seq=%d' % (flags, seq)
    if 'ACK' in flags.split(','):
        ack = (int(ev['ack']) - isn[ev['dst']]) % 2**32
        s += ' ack=%d' % ack
    if int(ev['len']):
        s += ' len=%s' % ev['len']
    return s


def sequence(trace_path, client, server):
    events = read_trace(trace_path)
    conn = frozenset((client, server))
    # An accepted child becomes ESTABLISHED before it has its port.
    for e in events:
        if e['name'] == 'toy_state_change' and e['dst'] == client and \
           e['src'] == server.rsplit(':', 1)[0] + ':0':
            e['src'] = server
    mine = [e for e in events if tuple_of(e) == conn]
    # The socket's CLOSE when a TIME_WAIT entry takes over is no end.
    handed = {e['src'] for e in mine if e['name'] == 'toy_timewait_enter'}
    mine = [e for e in mine if not (e['name'] == 'toy_state_change' and
                                    e['newstate'] == 'CLOSE' and
                                    e['src'] in handed)]
    # connect() enters SYN_SENT before the socket has its addresses: the
    # client's last such change before the SYN is this connection's.
    syn = next((e for e in mine if e['name'] == 'toy_segment_send'), None)
    ip = client.rsplit(':', 1)[0]
    start = [e for e in events if e['name'] == 'toy_state_change' and
             e['newstate'] == 'SYN_SENT' and syn and
             e['time'] <= syn['time'] and
             e['src'].rsplit(':', 1)[0] in (ip, '0.0.0.0')]
    if start:
        start[-1]['src'] = client
        mine.insert(0, start[-1])
    sends = [e for e in mine if e['name'] == 'toy_segment_send']
    recvs = [e for e in mine if e['name'] == 'toy_segment_recv']
    if not sends or 'SYN' not in sends[0]['flags']:
        fail('no SYN from %s to %s in the trace' % (client, server))
    isn = {}
    for e in sends:
        if 'SYN' in e['flags'].split('|'):
            isn.setdefault(e['src'], int(e['seq']))
    if len(isn) != 2:
        fail('the handshake is not in the trace')
    # Rows: one per event, in time order; a segment's arrow goes from the
    # row of its sending to the row of its arrival.
    rows = sorted(mine, key=lambda e: e['time'])
    t0 = rows[0]['time']
    row_of = {id(e): i for i, e in enumerate(rows)}
    pending = list(recvs)
    step, top, xl, xr = 26, 70, 190, 650
    svg = Svg(900, top + step * (len(rows) + 2))
    svg.text(xl, 30, 'client ' + client, 14, 'middle', weight='bold')
    svg.text(xr, 30, 'server ' + server, 14, 'middle', weight='bold')
    svg.text(20, 30, 'ms', 12, 'start', '#666')
    bottom = top + step * len(rows)
    svg.line(xl, 45, xl, bottom, '#999', 2)
    svg.line(xr, 45, xr, bottom, '#999', 2)
    side = {client: xl, server: xr}
    tw_start = None
    for i, e in enumerate(rows):
        y = top + step * i
        svg.text(20, y + 4, '%.1f' % ((e['time'] - t0) * 1000), 11, 'start',
                 '#666')
        if e['name'] == 'toy_segment_send':
            match = next((r for r in pending if all(
                r[k] == e[k] for k in ('src', 'dst', 'seq', 'ack', 'flags',
                                       'len'))), None)
            x1, x2 = side[e['src']], side[e['dst']]
            if match:
                pending.remove(match)
                y2 = top + step * row_of[id(match)]
            else:
                y2 = y + step / 2
                x2 = (x1 + x2) / 2
            svg.line(x1, y, x2, y2, '#3366cc', 1.5, arrow=True)
            svg.text((x1 + x2) / 2, (y + y2) / 2 - 4, segment_label(e, isn),
                     11, 'middle', '#1a3d80')
        elif e['name'] == 'toy_state_change':
            me = e['src']
            x = side.get(me)
            if x is None:
                continue
            anchor = 'end' if x == xl else 'start'
            dx = -8 if x == xl else 8
            svg.text(x + dx, y + 4, e['newstate'], 11, anchor, '#cc2200',
                     'bold')
        elif e['name'] == 'toy_timewait_enter':
            tw_start = (y, side.get(e['src']))
        elif e['name'] == 'toy_timewait_leave' and tw_start:
            y1, x = tw_start
            svg.rect(x - 6, y1, 12, y - y1, '#f0a030')
            anchor = 'end' if x == xl else 'start'
            dx = -12 if x == xl else 12
            svg.text(x + dx, (y1 + y) / 2, 'TIME_WAIT (2 MSL)', 11, anchor,
                     '#a05a00', 'bold')
            svg.text(x + dx, y + 4, 'expired: CLOSED', 11, anchor, '#a05a00')
    if tw_start is None:
        fail('no TIME_WAIT in the trace')
    sys.stdout.write(str(svg))


# --- the TIME_WAIT timeline ------------------------------------------------

def timeline(trace_path, low, high):
    low, high = int(low), int(high)
    events = read_trace(trace_path)
    if not events:
        fail('an empty trace')
    t0 = events[0]['time']
    conns, fails, open_at = [], [], {}
    for e in events:
        t = e['time'] - t0
        if e['name'] == 'toy_connect_port':
            open_at[e['src']] = t
        elif e['name'] == 'toy_timewait_enter':
            open_at.setdefault(e['src'], t)
            conns.append([e['src'], open_at.pop(e['src']), t, None])
        elif e['name'] == 'toy_timewait_leave':
            for c in conns:
                if c[0] == e['src'] and c[3] is None:
                    c[3] = t
        elif e['name'] == 'tracing_mark_write' and 'failed' in e['text']:
            fails.append(t)
    if not conns:
        fail('no TIME_WAIT entries in the trace')
    end = max([c[3] or c[2] for c in conns] + fails) * 1.05 + 0.1
    left, top, lane, width = 110, 40, 34, 720
    ports = list(range(low, high + 1))
    svg = Svg(left + width + 40, top + lane * (len(ports) + 2) + 50)

    def x(t):
        return left + width * t / end

    for i, p in enumerate(ports):
        y = top + lane * i
        svg.text(left - 10, y + lane / 2 + 4, 'port %d' % p, 12, 'end')
        svg.line(left, y + lane, left + width, y + lane, '#eee')
    for port, t1, t2, t3 in conns:
        p = int(port.rsplit(':', 1)[1])
        if p not in ports:
            continue
        y = top + lane * ports.index(p) + 6
        svg.rect(x(t1), y, max(x(t2) - x(t1), 2), lane - 12, '#3366cc')
        svg.rect(x(t2), y, x(t3 if t3 is not None else end) - x(t2),
                 lane - 12, '#f0a030')
    yf = top + lane * len(ports) + lane / 2
    svg.text(left - 10, yf + 4, 'connect()', 12, 'end', '#cc2200')
    for t in fails:
        svg.text(x(t), yf + 5, '\u2717', 18, 'middle', '#cc2200', 'bold')
    ya = top + lane * (len(ports) + 1)
    svg.line(left, ya, left + width, ya, '#222')
    for s in range(int(end) + 1):
        svg.line(x(s), ya, x(s), ya + 5, '#222')
        svg.text(x(s), ya + 18, '%d s' % s, 11, 'middle')
    ly = ya + 38
    svg.rect(left, ly - 10, 14, 12, '#3366cc')
    svg.text(left + 20, ly, 'connected', 12)
    svg.rect(left + 120, ly - 10, 14, 12, '#f0a030')
    svg.text(left + 140, ly, 'TIME_WAIT', 12)
    svg.text(left + 250, ly, '\u2717 connect() failed: no port free', 12,
             'start', '#cc2200')
    sys.stdout.write(str(svg))


# --- the data of a lossy transfer, for gnuplot -----------------------------

def seqdata(trace_path, client, server, outdir):
    """sent.dat, resent.dat, received.dat: time (ms) and stream offset
    (KiB) of each data segment the client sent first, sent again, and
    the server received."""
    events = read_trace(trace_path)
    data = [e for e in events if e['name'] in ('toy_segment_send',
                                               'toy_segment_recv') and
            e['src'] == client and e['dst'] == server and int(e['len'])]
    if not data:
        fail('no data from %s to %s in the trace' % (client, server))
    syn = next((e for e in events if e['name'] == 'toy_segment_send' and
                e['src'] == client and 'SYN' in e['flags']), None)
    if not syn:
        fail('no SYN from %s in the trace' % client)
    isn, t0 = int(syn['seq']) + 1, syn['time']
    seen = set()
    files = {n: open('%s/%s.dat' % (outdir, n), 'w')
             for n in ('sent', 'resent', 'received')}
    for e in data:
        off = ((int(e['seq']) - isn) % 2**32) / 1024
        if e['name'] == 'toy_segment_recv':
            name = 'received'
        else:
            name = 'resent' if e['seq'] in seen else 'sent'
            seen.add(e['seq'])
        files[name].write('%.3f %.3f %.3f\n' % ((e['time'] - t0) * 1000, off,
                                                int(e['len']) / 1024))
    for f in files.values():
        f.close()


def main():
    cmd, args = sys.argv[1], sys.argv[2:]
    {'states': states, 'sequence': sequence, 'timeline': timeline,
     'seqdata': seqdata}[cmd](*args)


main()
