#!/usr/bin/env python3
"""Throttling: --max-download-rate / --max-upload-rate (per transfer, pyftpdlib's
write_limit / read_limit), per-user max_download_rate / max_upload_rate in [[users]],
and the server-wide caps --max-total-download-rate / --max-total-upload-rate on the
sum of all transfers (reloaded on SIGHUP); each rate holds within 5% over 10 s.

usage: python3 tests/interop/test_throttle.py <path-to-cppftpd>
"""

import ftplib
import signal
import threading
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

    def concurrent(self, jobs):
        """Runs each job (a callable) on its own thread; the seconds until all ended."""
        errors = []

        def run(job):
            try:
                job()
            except Exception as e:  # noqa: BLE001 - reported below
                errors.append(e)

        threads = [threading.Thread(target=run, args=(job,)) for job in jobs]
        started = time.monotonic()
        for t in threads:
            t.start()
        for t in threads:
            t.join(TIMEOUT * 2)
        elapsed = time.monotonic() - started
        self.assertFalse(any(t.is_alive() for t in threads), "a transfer hung")
        self.assertEqual(errors, [])
        return elapsed

    def test_total_download_rate_caps_the_sum_of_all_downloads(self):
        # Two sessions download 5 MiB each at once under a 1 MiB/s cap: 10 s,
        # however the two share it (each alone would take 0.05 s unthrottled).
        server = self.start_server(["--max-total-download-rate", str(MIB)])
        data = os.urandom(MIB) * 5
        fx.write_file(server.path("five.bin"), data)
        ftps = [self.ftp(server) for _ in range(2)]
        got = [bytearray(), bytearray()]
        elapsed = self.concurrent([
            lambda i=i: ftps[i].retrbinary("RETR five.bin", got[i].extend, blocksize=65536)
            for i in range(2)])
        for g in got:
            self.assertEqual(bytes(g), data)
        rate = 2 * len(data) / elapsed
        self.assertLess(abs(rate - MIB) / MIB, 0.05, "%.0f bytes/s over %.2f s" % (rate, elapsed))

    def test_total_upload_rate_caps_the_sum_and_the_per_transfer_rate_still_holds(self):
        # A 2 MiB/s cap on all uploads, 4 MiB/s per upload: two uploads of
        # 10 MiB share the cap (10 s); the per-transfer rate is the looser one.
        server = self.start_server(["-w", "--max-total-upload-rate", str(2 * MIB),
                                    "--max-upload-rate", str(4 * MIB)])
        data = os.urandom(MIB) * 10
        ftps = [self.ftp(server) for _ in range(2)]
        elapsed = self.concurrent([
            lambda i=i: ftps[i].storbinary("STOR up%d.bin" % i, io.BytesIO(data), blocksize=65536)
            for i in range(2)])
        for i in range(2):
            self.assertEqual(fx.read_file(server.path("up%d.bin" % i)), data)
        rate = 2 * len(data) / elapsed
        self.assertLess(abs(rate - 2 * MIB) / (2 * MIB), 0.05,
                        "%.0f bytes/s over %.2f s" % (rate, elapsed))

    def test_sighup_applies_new_rates_from_the_config_file_but_the_command_line_wins(self):
        directory = tempfile.mkdtemp(prefix="cppftpd-throttle-")
        self.addCleanup(shutil.rmtree, directory, True)
        config = os.path.join(directory, "cppftpd.toml")

        def write_config(text):
            with open(config + ".new", "w") as f:
                f.write(text)
            os.replace(config + ".new", config)

        write_config("max-total-download-rate = 0\nmax-upload-rate = 1000\n")
        server = self.start_server(["--config", config, "--max-upload-rate", "7777"])
        data = os.urandom(MIB) * 2
        fx.write_file(server.path("two.bin"), data)
        ftp = self.ftp(server)
        ftp.retrbinary("RETR two.bin", lambda b: None)  # no cap yet: quick

        write_config("max-total-download-rate = %d\nmax-upload-rate = 1000\n" % MIB)
        os.kill(server.proc.pid, signal.SIGHUP)
        self.assertIsNotNone(server.wait_for_log(
            r"reload: rates .*download 0, upload 7777, all downloads %d, all uploads 0" % MIB))
        received = bytearray()
        started = time.monotonic()
        ftp.retrbinary("RETR two.bin", received.extend, blocksize=65536)
        elapsed = time.monotonic() - started
        self.assertEqual(bytes(received), data)
        # 2 MiB at 1 MiB/s: 2 s at least (the cap is an upper bound at every moment).
        self.assertGreater(elapsed, 1.9)

        # A bad value is refused whole: the previous rates stay.
        write_config("max-total-download-rate = -5\n")
        os.kill(server.proc.pid, signal.SIGHUP)
        self.assertIsNotNone(server.wait_for_log(r"reload failed.*max-total-download-rate"))
        self.assertIsNone(server.died())

    def test_bad_values(self):
        for args in (["--max-download-rate", "-1"], ["--max-upload-rate", "fast"],
                     ["--max-total-download-rate", "-1"], ["--max-total-upload-rate", "x"]):
            result = subprocess.run([fx.binary(), "-p", "0"] + args, stdin=subprocess.DEVNULL,
                                    stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=TIMEOUT)
            self.assertEqual(result.returncode, 2, args)


if __name__ == "__main__":
    fx.main()
