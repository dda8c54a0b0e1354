#!/usr/bin/env python3
"""--metrics ADDR:PORT: Prometheus text at /metrics, counters checked after known traffic;
the HTTP responder's limits (request size, deadline, methods, paths).

usage: python3 tests/interop/test_metrics.py <path-to-cppftpd>
"""

import ftplib
import io
import os
import re
import socket
import sys
import time
import unittest
import urllib.error
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import ftpd_fixture as fx  # noqa: E402

TIMEOUT = 10
SAMPLE = re.compile(r"^(?P<name>[a-z_]+)(?:\{(?P<labels>[^}]*)\})? (?P<value>\d+)$")


def parse(text):
    """Prometheus text -> {(name, labels): value}; every line must be valid."""
    samples = {}
    for line in text.splitlines():
        if line.startswith("# HELP ") or line.startswith("# TYPE "):
            continue
        match = SAMPLE.match(line)
        if match is None:
            raise AssertionError("not a sample line: %r" % line)
        samples[(match.group("name"), match.group("labels") or "")] = int(match.group("value"))
    return samples


class MetricsTest(fx.ServerTestCase):

    def start(self, args=()):
        server = self.start_server(["--metrics", "127.0.0.1:0"] + list(args))
        match = server.wait_for_log(r"metrics: (http://127\.0\.0\.1:\d+/metrics)")
        self.assertIsNotNone(match, "no metrics line")
        return server, match.group(1)

    def scrape(self, url):
        with urllib.request.urlopen(url, timeout=TIMEOUT) as response:
            self.assertEqual(response.status, 200)
            self.assertEqual(response.headers["Content-Type"],
                             "text/plain; version=0.0.4; charset=utf-8")
            return parse(response.read().decode())

    def wait_for(self, url, key, value):
        """Scrape until samples[key] == value (bounded); return the samples."""
        deadline = time.monotonic() + TIMEOUT
        while True:
            samples = self.scrape(url)
            if samples.get(key) == value or time.monotonic() > deadline:
                self.assertEqual(samples.get(key), value, key)
                return samples
            time.sleep(0.02)

    def ftp(self, server, user="alice", password="pw"):
        ftp = ftplib.FTP(timeout=TIMEOUT)
        self.addCleanup(ftp.close)
        ftp.connect("127.0.0.1", server.port)
        ftp.login(user, password)
        return ftp

    def test_counters_after_known_traffic(self):
        server, url = self.start(["-u", "alice", "-P", "pw", "-w"])
        before = self.scrape(url)
        self.assertEqual(before[("cppftpd_connections_total", "")], 0)
        self.assertEqual(before[("cppftpd_build_info", 'version="0.1.0"')], 1)
        fx.write_file(server.path("big.bin"), os.urandom(1 << 20) * 8)

        ftp = self.ftp(server)
        ftp.storbinary("STOR up.bin", io.BytesIO(b"u" * 1000))      # in, complete: 1000 bytes
        ftp.retrbinary("RETR up.bin", lambda b: None)               # out, complete: 1000 bytes
        conn = ftp.transfercmd("RETR big.bin")                      # out, incomplete
        conn.recv(1024)
        conn.close()
        ftp.abort()
        ftp.quit()
        failed = ftplib.FTP(timeout=TIMEOUT)
        self.addCleanup(failed.close)
        failed.connect("127.0.0.1", server.port)
        with self.assertRaises(ftplib.error_perm):
            failed.login("alice", "wrong")                          # a failed login
        failed.close()
        idle = self.ftp(server)                                     # one session stays open

        samples = self.wait_for(url, ("cppftpd_sessions_open", ""), 1)
        self.assertEqual(samples[("cppftpd_connections_total", "")], 3)
        self.assertEqual(samples[("cppftpd_logins_total", 'result="ok"')], 2)
        self.assertEqual(samples[("cppftpd_logins_total", 'result="failed"')], 1)
        self.assertEqual(samples[("cppftpd_transfer_bytes_total", 'direction="in"')], 1000)
        out = samples[("cppftpd_transfer_bytes_total", 'direction="out"')]
        self.assertGreater(out, 1000)
        self.assertLess(out, 1000 + 8 * (1 << 20))
        t = "cppftpd_transfers_total"
        self.assertEqual(samples[(t, 'direction="in",result="complete"')], 1)
        self.assertEqual(samples[(t, 'direction="in",result="incomplete"')], 0)
        self.assertEqual(samples[(t, 'direction="out",result="complete"')], 1)
        self.assertEqual(samples[(t, 'direction="out",result="incomplete"')], 1)
        r = "cppftpd_replies_total"
        self.assertEqual(samples[(r, 'code="220"')], 3)   # greetings
        self.assertEqual(samples[(r, 'code="230"')], 2)
        self.assertEqual(samples[(r, 'code="530"')], 1)
        self.assertEqual(samples[(r, 'code="221"')], 1)
        self.assertEqual(samples[(r, 'code="426"')], 1)   # the aborted RETR
        self.assertGreaterEqual(samples[(r, 'code="226"')], 2)  # STOR, RETR (and ABOR, if it came first)
        classes = sum(v for (n, _), v in samples.items() if n == "cppftpd_reply_classes_total")
        self.assertEqual(classes, sum(v for (n, _), v in samples.items() if n == r))
        idle.quit()
        self.wait_for(url, ("cppftpd_sessions_open", ""), 0)

    def raw(self, url, data, read=True):
        host, port = re.match(r"http://([\d.]+):(\d+)/", url).groups()
        with socket.create_connection((host, int(port)), timeout=TIMEOUT) as s:
            if data:
                s.sendall(data)
            chunks = []
            for _ in range(1000):  # bounded; the server closes after its reply
                chunk = s.recv(65536)
                if not chunk:
                    break
                chunks.append(chunk)
            return b"".join(chunks)

    def test_http_limits(self):
        server, url = self.start()
        base = url[:-len("/metrics")]
        with self.assertRaises(urllib.error.HTTPError) as caught:
            urllib.request.urlopen(base + "/other", timeout=TIMEOUT)
        self.assertEqual(caught.exception.code, 404)
        with self.assertRaises(urllib.error.HTTPError) as caught:
            urllib.request.urlopen(urllib.request.Request(url, data=b"x", method="POST"),
                                   timeout=TIMEOUT)
        self.assertEqual(caught.exception.code, 405)
        self.assertTrue(self.raw(url, b"junk\r\n\r\n").startswith(b"HTTP/1.0 400 "))
        big = b"GET /metrics HTTP/1.1\r\nX: " + b"a" * 10000
        self.assertTrue(self.raw(url, big).startswith(b"HTTP/1.0 431 "))
        # A client that sends nothing is cut by the deadline (5 s), not kept.
        started = time.monotonic()
        self.assertEqual(self.raw(url, b""), b"")
        self.assertLess(time.monotonic() - started, 9)
        self.scrape(url)  # still serving

    def test_bad_address(self):
        import subprocess
        for bad in ("9121", "localhost:9121", "127.0.0.1:99999"):
            result = subprocess.run([fx.binary(), "-p", "0", "--metrics", bad],
                                    stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                    stderr=subprocess.PIPE, timeout=TIMEOUT)
            self.assertEqual(result.returncode, 1, bad)
            self.assertIn(b"--metrics", result.stderr)


if __name__ == "__main__":
    fx.main()
