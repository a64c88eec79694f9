# SPDX-License-Identifier: GPL-2.0
"""Assemble the tour's page, OUTDIR/index.html, from the chapters' parts.

    python3 page.py OUTDIR

tour.sh's chapters leave OUTDIR/.toc (one "N<TAB>TITLE" line per chapter
run) and OUTDIR/.part-N (the chapter's HTML).  The page is
self-contained: its style is inline, its pictures are files beside it,
nothing is fetched from a network.  When the page has loaded, a script
counts the pictures that loaded and writes "LOADED/TOTAL" to the body's
data-pictures attribute, which the browser check reads.
"""
import html
import os
import sys
import time

STYLE = """
body { font-family: sans-serif; max-width: 60em; margin: 2em auto;
       padding: 0 1em; line-height: 1.45; color: #222; }
h1 { border-bottom: 2px solid #36c; }
h2 { border-bottom: 1px solid #ccc; margin-top: 2.5em; }
pre { background: #f4f4f4; padding: .6em .8em; overflow-x: auto;
      font-size: 90%; border-left: 3px solid #36c; }
.prompt { color: #36c; font-weight: bold; }
.check { margin: .2em 0; font-size: 95%; }
.ok { color: #170; }
.failed { color: #b00; font-weight: bold; }
figure { margin: 1em 0; text-align: center; }
figure img { max-width: 100%; border: 1px solid #ddd; }
figcaption { font-size: 90%; color: #555; }
nav ol { columns: 2; }
footer { margin-top: 3em; font-size: 85%; color: #666; }
.stage { color: #666; font-style: italic; margin: .2em 0; }
"""

CHECK = """
window.addEventListener('load', function () {
  var imgs = Array.prototype.slice.call(document.images);
  var ok = imgs.filter(function (i) {
    return i.complete && i.naturalWidth > 0;
  }).length;
  document.body.setAttribute('data-pictures', ok + '/' + imgs.length);
});
"""

INTRO = """<p>AF_TOY is a socket family with a small transport protocol of its
own, over IPv4, in a loadable kernel module.  Each chapter below takes one
idea of transport addressing and shows it happening: three network
namespaces act as three hosts on one LAN (client 10.0.0.1, server
10.0.0.2, other 10.0.0.3), the commands are the ones typed on each host,
and the output is what the module answered when this page was made.
Every chapter also checked what it shows: a line marked &#10003; held;
one that did not is marked &#10007; in red, and the run that wrote the
page failed.</p>"""


def main():
    out = sys.argv[1]
    toc = []
    with open(os.path.join(out, '.toc')) as f:
        for line in f:
            n, title = line.rstrip('\n').split('\t', 1)
            toc.append((n, title))
    parts = []
    for n, _ in toc:
        with open(os.path.join(out, '.part-' + n)) as f:
            parts.append(f.read())
    nav = '\n'.join('<li value="%s"><a href="#ch%s">%s</a></li>'
                    % (n, n, html.escape(t)) for n, t in toc)
    page = ('<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
            '<title>The AF_TOY tour</title><style>%s</style></head>\n'
            '<body><h1>The AF_TOY tour</h1>\n%s\n<nav><ol>\n%s\n</ol></nav>\n'
            '%s\n<footer><p>Written by <code>make tour</code> (scripts/tour/)'
            ' on %s, kernel %s.</p></footer>\n'
            '<script>%s</script></body></html>\n'
            % (STYLE, INTRO, nav, '\n'.join(parts),
               time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime()),
               html.escape(os.uname().release), CHECK))
    with open(os.path.join(out, 'index.html'), 'w') as f:
        f.write(page)


main()
