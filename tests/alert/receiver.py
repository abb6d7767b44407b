#!/usr/bin/env python3
"""receiver.py — a webhook receiver and an SMTP sink on loopback, for
herd-alert's tests (tests/cli/alert.t). Standard library only; a test
server, never on herd's data path.

    receiver.py DIR [--fail PATH:STATUS:COUNT]... [--smtp-fail CODE:COUNT]
                    [--http-port N] [--delay SECONDS]

Listens on 127.0.0.1, on ports the system picks, and writes them to
DIR/ports ("HTTP SMTP") once both listen. Every HTTP request and every
SMTP message is appended, as one JSON line, to DIR/log:
  {"proto":"http","path":"/slack","status":200,"headers":{...},"body":"..."}
  {"proto":"smtp","status":250,"from":"a@b","to":["c@d"],"data":"..."}
--fail /hook:503:2 answers the first 2 requests to /hook with 503 (a 429
also gets "Retry-After: 1"); --smtp-fail 451:1 answers the first message's
end of DATA with "451 try again later". --http-port listens on that port
(to come back where a receiver that was down listened); --delay holds
each HTTP answer that long after the request is logged (a sender killed
meanwhile never hears it). A webhook request with an Idempotency-Key
already answered 200 (by this receiver, or one before it that logged to
DIR/log) is logged with "duplicate": true, as a receiver that honours the
key would drop it. Runs until killed.
"""
import json
import os
import socket
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

out = sys.argv[1]
fails, smtp_fail, http_port, delay = {}, [0, 0], 0, 0.0
args = sys.argv[2:]
while args:
    if args[0] == "--fail":
        path, status, count = args[1].rsplit(":", 2)
        fails[path] = [int(status), int(count)]
    elif args[0] == "--smtp-fail":
        code, count = args[1].split(":")
        smtp_fail = [int(code), int(count)]
    elif args[0] == "--http-port":
        http_port = int(args[1])
    elif args[0] == "--delay":
        delay = float(args[1])
    else:
        sys.exit("receiver.py: unknown option " + args[0])
    args = args[2:]
lock = threading.Lock()
accepted = set()  # idempotency keys answered 200, also by an earlier receiver logging to DIR/log
if os.path.exists(os.path.join(out, "log")):
    with open(os.path.join(out, "log")) as f:
        for line in f:
            e = json.loads(line)
            if e.get("proto") == "http" and e.get("status") == 200 and "idempotency-key" in e.get("headers", {}):
                accepted.add(e["headers"]["idempotency-key"])


def log(entry):
    with lock, open(os.path.join(out, "log"), "a") as f:
        f.write(json.dumps(entry, sort_keys=True) + "\n")


class Hook(BaseHTTPRequestHandler):
    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length", 0))).decode("utf-8", "replace")
        status = 200
        key = self.headers.get("Idempotency-Key")
        with lock:
            f = fails.get(self.path)
            if f and f[1] > 0:
                f[1] -= 1
                status = f[0]
            duplicate = status == 200 and key is not None and key in accepted
            if status == 200 and key is not None:
                accepted.add(key)
        log({"proto": "http", "path": self.path, "status": status, "body": body, "duplicate": duplicate,
             "headers": {k.lower(): v for k, v in self.headers.items()}})
        if delay:
            time.sleep(delay)
        self.send_response(status)
        if status == 429:
            self.send_header("Retry-After", "1")
        self.send_header("Content-Type", "text/plain")
        self.send_header("Content-Length", "2")
        self.end_headers()
        self.wfile.write(b"ok")

    def log_message(self, *a):
        pass


def smtp_session(conn):
    f = conn.makefile("rb")

    def say(line):
        conn.sendall(line.encode() + b"\r\n")

    say("220 herd-test ESMTP")
    mail_from, rcpt = None, []
    while True:
        line = f.readline()
        if not line:
            break
        cmd = line.decode("utf-8", "replace").strip()
        verb = cmd[:4].upper()
        if verb in ("EHLO", "HELO"):
            say("250-herd-test" if verb == "EHLO" else "250 herd-test")
            if verb == "EHLO":
                say("250 8BITMIME")
        elif verb == "MAIL":
            mail_from, rcpt = cmd.split(":", 1)[1].strip().strip("<>").split(">")[0], []
            say("250 ok")
        elif verb == "RCPT":
            rcpt.append(cmd.split(":", 1)[1].strip().strip("<>"))
            say("250 ok")
        elif verb == "DATA":
            say("354 end with .")
            data = []
            while True:
                l = f.readline()
                if not l or l in (b".\r\n", b".\n"):
                    break
                data.append(l[1:] if l.startswith(b"..") else l)
            status = 250
            with lock:
                if smtp_fail[1] > 0:
                    smtp_fail[1] -= 1
                    status = smtp_fail[0]
            log({"proto": "smtp", "status": status, "from": mail_from, "to": rcpt,
                 "data": b"".join(data).decode("utf-8", "replace")})
            say("250 queued" if status == 250 else "%d try again later" % status)
        elif verb == "RSET":
            say("250 ok")
        elif verb == "NOOP":
            say("250 ok")
        elif verb == "QUIT":
            say("221 bye")
            break
        else:
            say("502 not implemented")
    conn.close()


def smtp_serve(sock):
    while True:
        conn, _ = sock.accept()
        threading.Thread(target=smtp_session, args=(conn,), daemon=True).start()


ThreadingHTTPServer.allow_reuse_address = True
http = ThreadingHTTPServer(("127.0.0.1", http_port), Hook)
smtp = socket.socket()
smtp.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
smtp.bind(("127.0.0.1", 0))
smtp.listen(8)
threading.Thread(target=smtp_serve, args=(smtp,), daemon=True).start()
with open(os.path.join(out, "ports.tmp"), "w") as f:
    f.write("%d %d\n" % (http.server_address[1], smtp.getsockname()[1]))
os.rename(os.path.join(out, "ports.tmp"), os.path.join(out, "ports"))
http.serve_forever()
