#!/usr/bin/env python3
"""SIGHUP reloads the users (config [[users]] and --users FILE) without dropping
sessions; a bad reload keeps the previous users and says why.

usage: python3 tests/interop/test_reload.py <path-to-cppftpd>
"""

import ftplib
import hashlib
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import ftpd_fixture as fx  # noqa: E402

TIMEOUT = 10
BIG = 16 * 1024 * 1024  # the transfer that runs across the reloads


def make_hash(password):
    result = subprocess.run([fx.binary(), "passwd", "--method", "sha512"],
                            input=password.encode() + b"\n", stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, timeout=TIMEOUT)
    assert result.returncode == 0, result.stderr
    return result.stdout.decode().strip()


class ReloadTest(fx.ServerTestCase):

    @classmethod
    def setUpClass(cls):
        cls.hashes = {name: make_hash(name + "pass") for name in ("alice", "bob", "carol")}

    def setUp(self):
        self.dir = tempfile.mkdtemp(prefix="cppftpd-reload-")
        self.addCleanup(shutil.rmtree, self.dir, True)
        self.home = os.path.join(self.dir, "home")
        os.makedirs(self.home)
        self.data = os.urandom(1024 * 1024) * (BIG // (1024 * 1024))
        fx.write_file(os.path.join(self.home, "big.bin"), self.data)
        self.users = os.path.join(self.dir, "users.toml")

    def write_users(self, names, extra=""):
        text = "".join('[[users]]\nname = "%s"\npassword_hash = "%s"\nhome = "%s"\n\n'
                       % (n, self.hashes[n], self.home) for n in names)
        tmp = self.users + ".new"
        with open(tmp, "w") as f:
            f.write(text + extra)
        os.replace(tmp, self.users)

    def login(self, server, name):
        ftp = ftplib.FTP(timeout=TIMEOUT)
        self.addCleanup(ftp.close)
        ftp.connect("127.0.0.1", server.port)
        ftp.login(name, name + "pass")
        return ftp

    def refused(self, server, name):
        with self.assertRaises(ftplib.error_perm) as caught:
            self.login(server, name)
        self.assertTrue(str(caught.exception).startswith("530"))

    def sighup_and_wait(self, server, pattern, count):
        """SIGHUP, then wait (bounded) for the count-th log line matching pattern."""
        os.kill(server.proc.pid, signal.SIGHUP)
        import re
        regex = re.compile(pattern)
        with server._cond:
            ok = server._cond.wait_for(
                lambda: sum(1 for l in server._lines if regex.search(l)) >= count or server._eof,
                timeout=TIMEOUT)
        self.assertTrue(ok and not server._eof, "no %r after SIGHUP" % pattern)

    def test_reload_adds_and_removes_users_during_a_transfer(self):
        self.write_users(["alice", "bob"])
        server = self.start_server(["--users", self.users])
        self.login(server, "alice")
        self.refused(server, "carol")

        bob = self.login(server, "bob")
        bob.voidcmd("TYPE I")
        conn = bob.transfercmd("RETR big.bin")  # 150: the transfer runs
        conn.settimeout(TIMEOUT)
        received = bytearray(conn.recv(65536))
        self.assertTrue(received)

        # Generation 2: alice leaves, carol arrives; bob's transfer goes on.
        self.write_users(["bob", "carol"])
        self.sighup_and_wait(server, r"reload: users loaded", 1)
        self.login(server, "carol")
        self.refused(server, "alice")

        # A bad generation is refused whole; the previous users stay.
        self.write_users(["bob"], extra="[[users]]\nname = \"dave\"\nhome = \"/\"\n")
        self.sighup_and_wait(server, r"reload failed, keeping the previous users: .*"
                             r"users.toml:\d+:\d+: user 'dave': key 'password_hash' is missing", 1)
        self.login(server, "carol")

        # Bob's download finishes intact, on the same session.
        for _ in range(BIG // 4096 + 10):  # bounded: the file has BIG bytes
            chunk = conn.recv(1 << 20)
            if not chunk:
                break
            received += chunk
        conn.close()
        self.assertTrue(bob.voidresp().startswith("226"))
        self.assertEqual(hashlib.sha256(received).hexdigest(), hashlib.sha256(self.data).hexdigest())
        self.assertIn("big.bin", bob.nlst())  # bob is in every generation: still served
        self.assertIsNone(server.died())

    def test_removed_user_keeps_connection_but_loses_permissions(self):
        self.write_users(["alice", "bob"])
        server = self.start_server(["--users", self.users])
        alice = self.login(server, "alice")
        self.assertIn("big.bin", alice.nlst())
        self.write_users(["bob"])
        self.sighup_and_wait(server, r"reload: users loaded", 1)
        with self.assertRaises(ftplib.error_perm):
            alice.nlst()
        alice.voidcmd("NOOP")  # still connected

    def test_sighup_without_files_is_harmless(self):
        server = self.start_server([])
        self.sighup_and_wait(server, r"reload: users loaded", 1)
        ftp = ftplib.FTP(timeout=TIMEOUT)
        self.addCleanup(ftp.close)
        ftp.connect("127.0.0.1", server.port)
        ftp.login()


if __name__ == "__main__":
    fx.main()
