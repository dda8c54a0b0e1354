#!/usr/bin/env python3
"""Logs: the transfer log in xferlog(5) format (--xferlog), JSON lines (--log-format json),
a log file (--log-file) reopened on SIGUSR1 and SIGHUP after logrotate renamed it.

usage: python3 tests/interop/test_logs.py <path-to-cppftpd>
"""

import ftplib
import io
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import ftpd_fixture as fx  # noqa: E402

TIMEOUT = 10
POLL = 0.02  # seconds between looks at a file another process writes

# Every field of a wu-ftpd xferlog(5) line, strictly.
XFERLOG = re.compile(
    r"^(?P<time>(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun) (?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)"
    r" [ 123]\d \d\d:\d\d:\d\d \d{4})"
    r" (?P<seconds>[1-9]\d*)"
    r" (?P<host>[0-9a-fA-F.:]+)"
    r" (?P<size>\d+)"
    r" (?P<filename>/\S*)"
    r" (?P<type>[ab])"
    r" (?P<action>[CUT]+|_)"
    r" (?P<direction>[oid])"
    r" (?P<mode>[agr])"
    r" (?P<user>\S+)"
    r" (?P<service>ftp)"
    r" (?P<auth>[01])"
    r" (?P<auth_user>\S+)"
    r" (?P<status>[ci])$")


def wait_for_file_lines(path, predicate, timeout=TIMEOUT):
    """Poll (bounded) a file until predicate(lines) is true; return the lines."""
    deadline = time.monotonic() + timeout
    lines = []
    while time.monotonic() < deadline:
        try:
            with open(path, encoding="utf-8", errors="replace") as f:
                lines = f.read().splitlines()
        except FileNotFoundError:
            lines = []
        if predicate(lines):
            return lines
        time.sleep(POLL)
    raise AssertionError("%s: condition not met within %.0f s; lines: %r" % (path, timeout, lines[-20:]))


class FileLoggedServer:
    """cppftpd whose log goes to a file: the port is read from that file."""

    def __init__(self, test, args, log_path):
        self.root = tempfile.mkdtemp(prefix="cppftpd-logs-root-")
        test.addCleanup(shutil.rmtree, self.root, True)
        root = ["--allow-root"] if os.geteuid() == 0 else []
        self.proc = subprocess.Popen([fx.binary(), "-p", "0", "-d", self.root] + args + root,
                                     stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                     stderr=subprocess.PIPE)
        test.addCleanup(self.stop)
        port = re.compile(r">>> starting FTP server on .*:(\d+), pid=(\d+) <<<")
        lines = wait_for_file_lines(log_path, lambda ls: any(port.search(l) for l in ls))
        match = next(port.search(l) for l in lines if port.search(l))
        self.port = int(match.group(1))
        assert int(match.group(2)) == self.proc.pid

    def stop(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=TIMEOUT)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=TIMEOUT)
        self.proc.stderr.close()


class LogsCase(fx.ServerTestCase):

    def setUp(self):
        self.dir = tempfile.mkdtemp(prefix="cppftpd-logs-")
        self.addCleanup(shutil.rmtree, self.dir, True)

    def ftp(self, port, user=None, password=None):
        ftp = ftplib.FTP(timeout=TIMEOUT)
        self.addCleanup(ftp.close)
        ftp.connect("127.0.0.1", port)
        if user:
            ftp.login(user, password)
        else:
            ftp.login()
        return ftp


class XferlogTest(LogsCase):

    def parsed(self, path, count):
        lines = wait_for_file_lines(path, lambda ls: len(ls) >= count)
        self.assertEqual(len(lines), count, lines)
        records = []
        for line in lines:
            match = XFERLOG.match(line)
            self.assertIsNotNone(match, "not an xferlog line: %r" % line)
            records.append(match.groupdict())
        return records

    def test_anonymous_transfers(self):
        xferlog = os.path.join(self.dir, "xferlog")
        server = self.start_server(["-w", "--xferlog", xferlog])
        big = os.urandom(1 << 20) * 16
        fx.write_file(server.path("big.bin"), big)
        fx.write_file(server.path("text.txt"), b"one\ntwo\n")
        ftp = self.ftp(server.port)
        ftp.storbinary("STOR my file.bin", io.BytesIO(b"x" * 1000))      # 1: in, binary
        data = bytearray()
        ftp.retrbinary("RETR my file.bin", data.extend)                   # 2: out, binary
        lines = []
        ftp.retrlines("RETR text.txt", lines.append)                      # 3: out, ascii
        ftp.voidcmd("TYPE I")
        conn = ftp.transfercmd("RETR big.bin")                            # 4: out, incomplete
        conn.recv(4096)
        conn.close()
        ftp.abort()
        ftp.voidcmd("NOOP")
        records = self.parsed(xferlog, 4)
        stor, retr, ascii_retr, aborted = records
        for r in records:
            self.assertEqual((r["host"], r["mode"], r["user"], r["service"], r["auth"],
                              r["auth_user"], r["action"]),
                             ("127.0.0.1", "a", "anonymous", "ftp", "0", "*", "_"))
        self.assertEqual((stor["filename"], stor["size"], stor["type"], stor["direction"],
                          stor["status"]), ("/my_file.bin", "1000", "b", "i", "c"))
        self.assertEqual((retr["filename"], retr["size"], retr["direction"], retr["status"]),
                         ("/my_file.bin", "1000", "o", "c"))
        self.assertEqual((ascii_retr["filename"], ascii_retr["type"], ascii_retr["size"]),
                         ("/text.txt", "a", str(len(b"one\r\ntwo\r\n"))))
        self.assertEqual((aborted["filename"], aborted["direction"], aborted["status"]),
                         ("/big.bin", "o", "i"))
        self.assertLess(int(aborted["size"]), len(big))
        # current-time is now, in local time, to the second.
        logged = time.mktime(time.strptime(stor["time"], "%a %b %d %H:%M:%S %Y"))
        self.assertLess(abs(time.time() - logged), 120)

    def test_real_user_and_reopen(self):
        xferlog = os.path.join(self.dir, "xferlog")
        server = self.start_server(["-u", "alice", "-P", "pw", "-w", "--xferlog", xferlog])
        ftp = self.ftp(server.port, "alice", "pw")
        ftp.storbinary("STOR a.bin", io.BytesIO(b"abc"))
        [record] = self.parsed(xferlog, 1)
        self.assertEqual((record["mode"], record["user"], record["size"]), ("r", "alice", "3"))
        os.rename(xferlog, xferlog + ".1")
        os.kill(server.proc.pid, signal.SIGUSR1)
        self.assertIsNotNone(server.wait_for_log(r"SIGUSR1: log files reopened"))
        ftp.storbinary("STOR b.bin", io.BytesIO(b"abcd"))
        [record] = self.parsed(xferlog, 1)
        self.assertEqual(record["filename"], "/b.bin")
        self.assertEqual(len(self.parsed(xferlog + ".1", 1)), 1)

    def test_unwritable_xferlog_is_an_error(self):
        path = os.path.join(self.dir, "no", "such", "dir", "xferlog")
        result = subprocess.run([fx.binary(), "-p", "0", "--xferlog", path], stdin=subprocess.DEVNULL,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=TIMEOUT)
        self.assertEqual(result.returncode, 1)
        self.assertIn(("--xferlog: cannot open %s: No such file" % path).encode(), result.stderr)


class LogFileTest(LogsCase):

    def test_log_file_reopened_after_rename(self):
        log = os.path.join(self.dir, "cppftpd.log")
        server = FileLoggedServer(self, ["--log-file", log], log)
        self.ftp(server.port).quit()
        wait_for_file_lines(log, lambda ls: any("USER 'anonymous' logged in." in l for l in ls))
        for number, sig in enumerate((signal.SIGUSR1, signal.SIGHUP)):
            rotated = "%s.%d" % (log, number + 1)
            os.rename(log, rotated)
            server.proc.send_signal(sig)
            name = "SIGUSR1" if sig == signal.SIGUSR1 else "SIGHUP"
            wait_for_file_lines(log, lambda ls: any(name + ": log files reopened" in l for l in ls))
            self.ftp(server.port).quit()
            lines = wait_for_file_lines(log, lambda ls: any("logged in." in l for l in ls))
            self.assertTrue(all(l.startswith("[") for l in lines), lines)  # pyftpdlib's format
        with open(log + ".1") as f:
            self.assertNotIn("SIGUSR1", f.read())  # nothing went to the renamed file after

    def test_json_lines(self):
        log = os.path.join(self.dir, "cppftpd.json")
        server = FileLoggedServer(self, ["--log-file", log, "--log-format", "json", "-D"], log)
        self.ftp(server.port).quit()
        lines = wait_for_file_lines(log, lambda ls: any("logged in." in l for l in ls))
        records = [json.loads(line) for line in lines]  # every line is one JSON object
        for r in records:
            self.assertEqual(sorted(r), ["level", "message", "time"])
            self.assertRegex(r["time"], r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")
            self.assertIn(r["level"], ("debug", "info", "warning", "error"))
        self.assertTrue(any(r["message"].endswith("USER 'anonymous' logged in.") for r in records))
        self.assertTrue(any(r["level"] == "debug" for r in records))  # -D

    def test_bad_log_options(self):
        def run(args):
            return subprocess.run([fx.binary(), "-p", "0"] + args, stdin=subprocess.DEVNULL,
                                  stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=TIMEOUT)
        result = run(["--syslog", "--log-file", os.path.join(self.dir, "x")])
        self.assertEqual(result.returncode, 1)
        self.assertIn(b"exclude each other", result.stderr)
        self.assertEqual(run(["--log-format", "xml"]).returncode, 2)
        result = run(["--log-file", os.path.join(self.dir, "none", "x.log")])
        self.assertEqual(result.returncode, 1)
        self.assertIn(b"--log-file: cannot open", result.stderr)


if __name__ == "__main__":
    fx.main()
