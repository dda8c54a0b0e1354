#!/usr/bin/env python3
"""Users from [[users]] (in --config or --users FILE): crypt(3) hashes made by
`cppftpd passwd`, per-user home, permissions and directory overrides, max_sessions,
enabled; clear text refused.

usage: python3 tests/interop/test_users.py <path-to-cppftpd>
"""

import ftplib
import io
import os
import re
import shutil
import subprocess
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import ftpd_fixture as fx  # noqa: E402

TIMEOUT = 10


def run_binary(args, input_bytes=None):
    return subprocess.run([fx.binary()] + list(args),
                          input=input_bytes if input_bytes is not None else b"",
                          stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=TIMEOUT)


def make_hash(password, method=None):
    args = ["passwd"] + (["--method", method] if method else [])
    result = run_binary(args, password.encode() + b"\n")
    if result.returncode != 0:
        raise AssertionError("cppftpd passwd failed: %s" % result.stderr.decode())
    return result.stdout.decode().strip()


def user_entry(name, password_hash, home, perms="elr", extra=""):
    text = '[[users]]\nname = "%s"\nhome = "%s"\nperms = "%s"\n' % (name, home, perms)
    if password_hash is not None:
        text += 'password_hash = "%s"\n' % password_hash
    return text + extra + "\n"


class PasswdTest(unittest.TestCase):

    def test_yescrypt_by_default(self):
        h = make_hash("secret")
        self.assertRegex(h, r"^\$y\$[./A-Za-z0-9]+\$[./A-Za-z0-9]+\$[./A-Za-z0-9]{43}$")
        self.assertNotEqual(h, make_hash("secret"))  # a fresh salt each time

    def test_sha512(self):
        self.assertRegex(make_hash("secret", "sha512"), r"^\$6\$[./A-Za-z0-9]+\$[./A-Za-z0-9]{86}$")

    def test_bad_input(self):
        for data in (b"", b"\n"):
            result = run_binary(["passwd"], data)
            self.assertEqual(result.returncode, 1)
            self.assertIn(b"cppftpd passwd: error:", result.stderr)
        result = run_binary(["passwd", "--method", "md5"], b"x\n")
        self.assertEqual(result.returncode, 2)

    def test_help(self):
        result = run_binary(["passwd", "--help"])
        self.assertEqual(result.returncode, 0)
        self.assertIn(b"--method", result.stdout)
        self.assertIn(b"cppftpd passwd", run_binary(["--help"]).stdout)


class UsersTest(fx.ServerTestCase):

    @classmethod
    def setUpClass(cls):
        cls.alice_hash = make_hash("alicepass")
        cls.bob_hash = make_hash("bobpass", "sha512")

    def setUp(self):
        self.dir = tempfile.mkdtemp(prefix="cppftpd-users-")
        self.addCleanup(shutil.rmtree, self.dir, True)
        self.alice_home = os.path.join(self.dir, "alice")
        self.bob_home = os.path.join(self.dir, "bob")
        os.makedirs(os.path.join(self.alice_home, "incoming"))
        os.makedirs(self.bob_home)
        fx.write_file(os.path.join(self.alice_home, "a.txt"), b"alice's")
        fx.write_file(os.path.join(self.bob_home, "b.txt"), b"bob's")

    def write(self, name, text):
        path = os.path.join(self.dir, name)
        with open(path, "w") as f:
            f.write(text)
        return path

    def ftp(self, server, user, password):
        ftp = ftplib.FTP(timeout=TIMEOUT)
        self.addCleanup(ftp.close)
        ftp.connect("127.0.0.1", server.port)
        ftp.login(user, password)
        return ftp

    def refused(self, server, user, password):
        with self.assertRaises(ftplib.error_perm) as caught:
            self.ftp(server, user, password)
        self.assertTrue(str(caught.exception).startswith("530"), caught.exception)

    def standard_users(self, alice_extra="", bob_extra=""):
        return (user_entry("alice", self.alice_hash, self.alice_home, "elr",
                           'overrides = [{ directory = "/incoming", perms = "elrw" }]\n'
                           + alice_extra)
                + user_entry("bob", self.bob_hash, self.bob_home, "elradfmwMT", bob_extra))

    def test_hash_from_passwd_logs_in_with_home_and_perms(self):
        config = self.write("c.toml", self.standard_users())
        server = self.start_server(["--config", config])
        alice = self.ftp(server, "alice", "alicepass")
        self.assertEqual(sorted(alice.nlst()), ["a.txt", "incoming"])
        with self.assertRaises(ftplib.error_perm):
            alice.storbinary("STOR /x.bin", io.BytesIO(b"x"))  # "elr" at /
        alice.storbinary("STOR /incoming/x.bin", io.BytesIO(b"x"))  # the override
        self.assertTrue(os.path.exists(os.path.join(self.alice_home, "incoming", "x.bin")))
        bob = self.ftp(server, "bob", "bobpass")  # sha512-crypt
        self.assertEqual(bob.nlst(), ["b.txt"])
        self.refused(server, "alice", "wrong")
        self.refused(server, "anonymous", "a@b")  # users defined: no anonymous share

    def test_users_file(self):
        users = self.write("users.toml", self.standard_users())
        server = self.start_server(["--users", users])
        self.ftp(server, "bob", "bobpass")

    def test_disabled_user_cannot_log_in(self):
        config = self.write("c.toml", self.standard_users(bob_extra="enabled = false\n"))
        server = self.start_server(["--config", config])
        self.refused(server, "bob", "bobpass")
        self.ftp(server, "alice", "alicepass")
        self.assertIsNotNone(server.wait_for_log(r"login of 'bob' refused: the account is disabled"))

    def test_max_sessions(self):
        config = self.write("c.toml", self.standard_users(alice_extra="max_sessions = 2\n"))
        server = self.start_server(["--config", config])
        first = self.ftp(server, "alice", "alicepass")
        second = self.ftp(server, "alice", "alicepass")
        self.refused(server, "alice", "alicepass")
        self.ftp(server, "bob", "bobpass")  # others are not counted against alice
        first.quit()  # 221 comes after the logout: the slot is free when quit() returns
        third = self.ftp(server, "alice", "alicepass")
        self.refused(server, "alice", "alicepass")
        second.quit()
        third.quit()
        self.ftp(server, "alice", "alicepass")

    def test_max_sessions_under_concurrent_logins(self):
        import threading
        config = self.write("c.toml", self.standard_users(alice_extra="max_sessions = 2\n"))
        server = self.start_server(["--config", config])
        results = []
        barrier = threading.Barrier(6, timeout=TIMEOUT)

        def attempt():
            ftp = ftplib.FTP(timeout=TIMEOUT)
            self.addCleanup(ftp.close)
            ftp.connect("127.0.0.1", server.port)
            barrier.wait()  # all six send USER/PASS together
            try:
                ftp.login("alice", "alicepass")
                results.append("ok")
            except ftplib.error_perm:
                results.append("refused")

        threads = [threading.Thread(target=attempt) for _ in range(6)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=TIMEOUT)
        self.assertEqual(sorted(results), ["ok"] * 2 + ["refused"] * 4)

    def test_anonymous_entry(self):
        pub = os.path.join(self.dir, "pub")
        os.makedirs(pub)
        fx.write_file(os.path.join(pub, "p.txt"), b"pub")
        config = self.write("c.toml", self.standard_users() + user_entry("anonymous", None, pub))
        server = self.start_server(["--config", config])
        self.assertEqual(self.ftp(server, "anonymous", "me@example.org").nlst(), ["p.txt"])

    def test_relative_home_is_relative_to_the_file(self):
        config = self.write("c.toml", user_entry("alice", self.alice_hash, "alice"))
        server = self.start_server(["--config", config], cwd="/")
        self.assertIn("a.txt", self.ftp(server, "alice", "alicepass").nlst())

    def check_error(self, text, pattern, flag="--config"):
        path = self.write("bad.toml", text)
        result = run_binary([flag, path, "--check"])
        self.assertEqual(result.returncode, 1, result.stdout)
        self.assertRegex(result.stderr.decode(), r"^cppftpd: error: " + re.escape(path) + pattern)

    def test_errors(self):
        self.check_error('[[users]]\nname = "a"\npassword = "clear"\nhome = "/"\n',
                         r":3:\d+: user 'a': key 'password': clear-text passwords are not accepted")
        self.check_error(user_entry("a", self.alice_hash, "/", extra="colour = 1\n"),
                         r":\d+:\d+: user 'a': key 'colour': unknown setting")
        self.check_error('[[users]]\nhome = "/"\n', r":1:1: \[\[users\]\]: key 'name' is missing")
        self.check_error('[[users]]\nname = "a"\nhome = "/"\n', r":1:1: user 'a': key 'password_hash' is missing")
        self.check_error(user_entry("a", "plaintext", "/"), r":1:1: user 'a': password hash .* not a")
        self.check_error(user_entry("a", self.alice_hash, self.dir + "/none"),
                         r":1:1: user 'a': home directory .* is not an existing directory")
        self.check_error(user_entry("a", self.alice_hash, "/", perms="elrX"),
                         r":1:1: user 'a': unknown permission letter")
        self.check_error(user_entry("a", self.alice_hash, "/", extra="max_sessions = -1\n"),
                         r":\d+:\d+: user 'a': key 'max_sessions': expected an integer")
        self.check_error(user_entry("a", self.alice_hash, "/", extra="enabled = 1\n"),
                         r":\d+:\d+: user 'a': key 'enabled': expected true or false")
        self.check_error(user_entry("a", self.alice_hash, "/", extra='overrides = [{ dir = "/x" }]\n'),
                         r":\d+:\d+: user 'a' override: key 'dir': unknown")
        self.check_error(user_entry("a", self.alice_hash, "/") * 2,
                         r":\d+:\d+: user 'a': user \"a\" already exists")
        self.check_error('port = 21\n', r":1:\d+: key 'port': a users file holds only", "--users")
        self.check_error('users = 3\n', r":1:\d+: key 'users': expected \[\[users\]\]")


if __name__ == "__main__":
    fx.main()
