#!/usr/bin/env python3
"""cdp-render.py — open a local HTML page in headless Chromium through the
DevTools protocol (over --remote-debugging-pipe: no websocket, no port, the
Python standard library only) and report what a person would see, for
tests/report/check-render.sh:

    cdp-render.py CHROMIUM PAGE.html SHOT.png WIDTH HEIGHT > result.json

It loads the page, waits for the load event, collects every console
message, uncaught exception, log entry and failed or non-file request,
takes a full-page screenshot, and measures in the page which of the SVG
and table texts are laid out visibly (non-zero box inside the page).
It also decodes the screenshot and counts its pixels: "pixels": {"total",
"ink" (not near-white), "red", "green", "blue"}, so a test can
tell a blank or colourless page from a drawn one. result.json:
{"console": [...], "exceptions": [...], "log": [...], "requests": [...],
"failed": [...], "visible_texts": [...], "title": ..., "size": [w, h],
"pixels": {...}, "markers": [[left, top, right, bottom]...] (a heatmap's
event markers), "bands": [...] (its row bands), "legend": [...] or null}.
A test helper, not part of herd.
"""
import base64
import json
import os
import subprocess
import sys
import tempfile
import time
import zlib

chromium, page, shot, width, height = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4]), int(sys.argv[5])
TIMEOUT = 60  # seconds for the whole run: a stuck browser fails the test

profile = tempfile.mkdtemp(prefix="cdp-profile-")
to_child_r, to_child_w = os.pipe()
from_child_r, from_child_w = os.pipe()
pid = os.fork()
if pid == 0:
    # Chromium reads commands on fd 3 and writes replies on fd 4. Move the
    # pipe ends out of the way first: one of them may already be fd 3 or 4.
    r, w = os.dup(to_child_r) + 100, os.dup(from_child_w) + 100
    os.dup2(to_child_r, r)
    os.dup2(from_child_w, w)
    os.dup2(r, 3)
    os.dup2(w, 4)
    os.set_inheritable(3, True)
    os.set_inheritable(4, True)
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, 1)
    os.dup2(devnull, 2)
    os.execv(chromium, [chromium, "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars",
                        "--no-first-run", "--no-default-browser-check", "--disable-extensions",
                        "--remote-debugging-pipe", "--user-data-dir=" + profile,
                        "--window-size=%d,%d" % (width, height), "about:blank"])
os.close(to_child_r)
os.close(from_child_w)
out = os.fdopen(to_child_w, "wb", buffering=0)
inp = os.fdopen(from_child_r, "rb", buffering=0)
deadline = time.time() + TIMEOUT
buf = b""
next_id = 0
events = []


def read_message():
    global buf
    while b"\0" not in buf:
        if time.time() > deadline:
            raise SystemExit("cdp-render: timed out")
        chunk = inp.read(65536)
        if not chunk:
            raise SystemExit("cdp-render: chromium closed the pipe")
        buf += chunk
    msg, buf = buf.split(b"\0", 1)
    return json.loads(msg)


def send(method, params=None, session=None):
    """Send a command and return its result; events seen meanwhile are kept."""
    global next_id
    next_id += 1
    msg = {"id": next_id, "method": method, "params": params or {}}
    if session:
        msg["sessionId"] = session
    out.write(json.dumps(msg).encode() + b"\0")
    while True:
        m = read_message()
        if m.get("id") == next_id:
            if "error" in m:
                raise SystemExit("cdp-render: %s: %s" % (method, m["error"]))
            return m.get("result", {})
        events.append(m)


def wait_for(method, session):
    while True:
        for i, e in enumerate(events):
            if e.get("method") == method and e.get("sessionId") == session:
                return events.pop(i)
        events.append(read_message())


def png_pixels(data):
    """Count pixels by colour in an 8-bit RGB or RGBA PNG."""
    if data[:8] != b"\x89PNG\r\n\x1a\n":
        raise SystemExit("cdp-render: the screenshot is not a PNG")
    pos, idat = 8, b""
    while pos < len(data):
        n = int.from_bytes(data[pos:pos + 4], "big")
        kind, body = data[pos + 4:pos + 8], data[pos + 8:pos + 8 + n]
        if kind == b"IHDR":
            w, h, depth, ctype = int.from_bytes(body[0:4], "big"), int.from_bytes(body[4:8], "big"), body[8], body[9]
        elif kind == b"IDAT":
            idat += body
        pos += 12 + n
    if depth != 8 or ctype not in (2, 6):
        raise SystemExit("cdp-render: PNG depth %d colour type %d not handled" % (depth, ctype))
    bpp = 3 if ctype == 2 else 4
    raw, stride = zlib.decompress(idat), w * bpp
    prev, counts, i = bytearray(stride), dict(total=w * h, ink=0, red=0, green=0, blue=0), 0
    for _ in range(h):
        f, line = raw[i], bytearray(raw[i + 1:i + 1 + stride])
        i += 1 + stride
        for x in range(stride):
            a = line[x - bpp] if x >= bpp else 0
            b = prev[x]
            c = prev[x - bpp] if x >= bpp else 0
            if f == 1:
                line[x] = (line[x] + a) & 255
            elif f == 2:
                line[x] = (line[x] + b) & 255
            elif f == 3:
                line[x] = (line[x] + (a + b) // 2) & 255
            elif f == 4:
                p = a + b - c
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                line[x] = (line[x] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 255
        for x in range(0, stride, bpp):
            r, g, bl = line[x], line[x + 1], line[x + 2]
            if min(r, g, bl) < 235:
                counts["ink"] += 1
            if r > g + 60 and r > bl + 60:
                counts["red"] += 1
            elif g > r + 50 and g > bl + 30:
                counts["green"] += 1
            elif bl > r + 60 and bl > g + 20:
                counts["blue"] += 1
        prev = line
    return counts


result = {"console": [], "exceptions": [], "log": [], "requests": [], "failed": []}
try:
    target = send("Target.createTarget", {"url": "about:blank"})["targetId"]
    session = send("Target.attachToTarget", {"targetId": target, "flatten": True})["sessionId"]
    for domain in ("Page", "Runtime", "Log", "Network"):
        send(domain + ".enable", session=session)
    send("Page.navigate", {"url": "file://" + os.path.abspath(page)}, session=session)
    wait_for("Page.loadEventFired", session)
    probe = r"""(() => {
        const seen = [];
        for (const el of document.querySelectorAll('svg text, td, th, h1, h2')) {
            const r = el.getBoundingClientRect();
            const t = (el.firstChild && el.firstChild.nodeType === 3 ? el.firstChild.nodeValue : el.textContent).trim();
            const style = getComputedStyle(el);
            if (t && r.width > 0 && r.height > 0 && r.right > 0 && r.bottom > 0 &&
                style.visibility !== 'hidden' && style.display !== 'none' && parseFloat(style.opacity) > 0)
                seen.push(t);
        }
        const box = el => { const r = el.getBoundingClientRect(); return [r.left, r.top, r.right, r.bottom]; };
        const legend = document.querySelector('svg .legend');
        return JSON.stringify({texts: seen, title: document.title,
            size: [document.documentElement.scrollWidth, document.documentElement.scrollHeight],
            markers: [...document.querySelectorAll('svg .mk')].filter(e => !e.closest('.legend')).map(box),
            bands: [...document.querySelectorAll('svg g.row > rect:first-of-type')].map(box),
            legend: legend ? box(legend) : null});
    })()"""
    v = json.loads(send("Runtime.evaluate", {"expression": probe, "returnByValue": True}, session=session)
                   ["result"]["value"])
    result["visible_texts"], result["title"], result["size"] = v["texts"], v["title"], v["size"]
    result["markers"], result["bands"], result["legend"] = v["markers"], v["bands"], v["legend"]
    w, h = max(width, v["size"][0]), max(height, v["size"][1])
    send("Emulation.setDeviceMetricsOverride", {"width": w, "height": h, "deviceScaleFactor": 1, "mobile": False},
         session=session)
    png = send("Page.captureScreenshot", {"format": "png", "captureBeyondViewport": True}, session=session)["data"]
    png = base64.b64decode(png)
    with open(shot, "wb") as f:
        f.write(png)
    result["pixels"] = png_pixels(png)
    # Let late messages arrive, then sort what was seen.
    send("Runtime.evaluate", {"expression": "1"}, session=session)
    for e in events:
        m, p = e.get("method"), e.get("params", {})
        if m == "Runtime.consoleAPICalled":
            result["console"].append({"type": p.get("type"),
                                      "text": " ".join(str(a.get("value", a.get("description"))) for a in p.get("args", []))})
        elif m == "Runtime.exceptionThrown":
            result["exceptions"].append(p.get("exceptionDetails", {}).get("text"))
        elif m == "Log.entryAdded":
            entry = p.get("entry", {})
            result["log"].append({"level": entry.get("level"), "source": entry.get("source"), "text": entry.get("text")})
        elif m == "Network.requestWillBeSent":
            result["requests"].append(p.get("request", {}).get("url"))
        elif m == "Network.loadingFailed":
            result["failed"].append(p.get("errorText"))
finally:
    try:
        send("Browser.close")
    except BaseException:
        pass
    try:
        os.kill(pid, 9)
    except OSError:
        pass
    os.waitpid(pid, 0)
    subprocess.run(["rm", "-rf", profile])
json.dump(result, sys.stdout)
print()
