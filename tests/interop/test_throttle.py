#!/usr/bin/env python3
"""Throttling: --max-download-rate / --max-upload-rate (per transfer, pyftpdlib's
write_limit / read_limit) and per-user max_download_rate / max_upload_rate in [[users]];
the rate holds within 5% over a 10 s transfer.

usage: python3 tests/interop/test_throttle.py <path-to-cppftpd>
"""

import ftplib
import io
import os
import shutil
import subprocess
import sys
import tempfile
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import ftpd_fixture as fx  # noqa: E402

TIMEOUT = 30
MIB = 1024 * 1024


class ThrottleTest(fx.ServerTestCase):

    def ftp(self, server, user=None, password=None):
        ftp = ftplib.FTP(timeout=TIMEOUT)
        self.addCleanup(ftp.close)
        ftp.connect("127.0.0.1", server.port)
        if user:
            ftp.login(user, password)
        else:
            ftp.login()
        ftp.voidcmd("TYPE I")
        return ftp

    def test_download_rate_within_5_percent_over_10_seconds(self):
        server = self.start_server(["--max-download-rate", str(MIB)])
        data = os.urandom(MIB) * 10
        fx.write_file(server.path("ten.bin"), data)
        ftp = self.ftp(server)
        received = bytearray()
        started = time.monotonic()
        ftp.retrbinary("RETR ten.bin", received.extend, blocksize=65536)
        elapsed = time.monotonic() - started
        self.assertEqual(bytes(received), data)
        rate = len(data) / elapsed
        self.assertLess(abs(rate - MIB) / MIB, 0.05, "%.0f bytes/s over %.2f s" % (rate, elapsed))

    def test_per_user_upload_rate_wins_over_the_server_default(self):
        directory = tempfile.mkdtemp(prefix="cppftpd-throttle-")
        self.addCleanup(shutil.rmtree, directory, True)
        hashed = subprocess.run([fx.binary(), "passwd"], input=b"pw\n", stdout=subprocess.PIPE,
                                timeout=TIMEOUT).stdout.decode().strip()
        users = os.path.join(directory, "users.toml")
        with open(users, "w") as f:
            f.write('[[users]]\nname = "slow"\npassword_hash = "%s"\nhome = "%s"\nperms = "elrw"\n'
                    'max_upload_rate = %d\n' % (hashed, directory, 2 * MIB))
        # The server default (64 MiB/s) would take 0.1 s; the user's 2 MiB/s takes 4 s.
        server = self.start_server(["--users", users, "--max-upload-rate", str(64 * MIB)])
        ftp = self.ftp(server, "slow", "pw")
        data = os.urandom(MIB) * 8
        started = time.monotonic()
        ftp.storbinary("STOR up.bin", io.BytesIO(data), blocksize=65536)
        elapsed = time.monotonic() - started
        self.assertEqual(fx.read_file(os.path.join(directory, "up.bin")), data)
        rate = len(data) / elapsed
        self.assertLess(abs(rate - 2 * MIB) / (2 * MIB), 0.05,
                        "%.0f bytes/s over %.2f s" % (rate, elapsed))

    def test_abort_is_prompt_while_throttled(self):
        server = self.start_server(["--max-download-rate", "10000"])
        fx.write_file(server.path("big.bin"), b"x" * MIB)
        ftp = self.ftp(server)
        conn = ftp.transfercmd("RETR big.bin")
        conn.recv(1024)
        started = time.monotonic()
        ftp.abort()
        conn.close()
        ftp.voidcmd("NOOP")
        self.assertLess(time.monotonic() - started, 2)

    def test_bad_values(self):
        for args in (["--max-download-rate", "-1"], ["--max-upload-rate", "fast"]):
            result = subprocess.run([fx.binary(), "-p", "0"] + args, stdin=subprocess.DEVNULL,
                                    stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=TIMEOUT)
            self.assertEqual(result.returncode, 2, args)


if __name__ == "__main__":
    fx.main()
