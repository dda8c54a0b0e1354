#!/usr/bin/env python3
"""--unix: local system accounts log in through PAM, each into its home, and every file
operation of their session runs with their own uid, gid and groups.

Needs root (PAM reads /etc/shadow; sessions switch fs credentials), useradd/chpasswd and
pam_unix: the test creates two throw-away accounts and a throw-away PAM service file
(/etc/pam.d/cppftpd-test-<pid>) and removes them all afterwards.  Skipped elsewhere.

usage: python3 tests/interop/test_pam.py <path-to-cppftpd>
"""

import ftplib
import io
import os
import pwd
import shutil
import subprocess
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import ftpd_fixture as fx  # noqa: E402

TIMEOUT = 10
PAM_DIR = "/etc/pam.d"
PAM_MODULE_DIRS = ["/lib/x86_64-linux-gnu/security", "/usr/lib/x86_64-linux-gnu/security",
                   "/lib/security", "/usr/lib/security", "/lib64/security"]


def pam_unix_available():
    return any(os.path.exists(os.path.join(d, "pam_unix.so")) for d in PAM_MODULE_DIRS)


CAN_RUN = (os.geteuid() == 0 and shutil.which("useradd") and shutil.which("chpasswd")
           and shutil.which("userdel") and os.path.isdir(PAM_DIR) and pam_unix_available())


@unittest.skipUnless(CAN_RUN, "needs root, useradd/chpasswd/userdel and pam_unix")
class PamLoginTest(fx.ServerTestCase):

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.base = tempfile.mkdtemp(prefix="cppftpd-pam-")
        os.chmod(cls.base, 0o755)  # the users must be able to reach their homes
        cls.service = "cppftpd-test-%d" % os.getpid()
        cls.service_file = os.path.join(PAM_DIR, cls.service)
        with open(cls.service_file, "w") as f:
            f.write("auth required pam_unix.so\naccount required pam_unix.so\n")
        cls.users = {}
        for tag in ("a", "b"):
            name = "cftp%s%d" % (tag, os.getpid() % 100000)
            home = os.path.join(cls.base, name)
            subprocess.run(["useradd", "-M", "-d", home, "-s", "/bin/sh", name], check=True,
                           stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, timeout=30)
            cls.users[tag] = name
            os.mkdir(home, 0o755)
            entry = pwd.getpwnam(name)
            os.chown(home, entry.pw_uid, entry.pw_gid)
            subprocess.run(["chpasswd"], input=("%s:pw-%s-1!\n" % (name, tag)).encode(),
                           check=True, timeout=30)

    @classmethod
    def tearDownClass(cls):
        super().tearDownClass()
        for name in cls.users.values():
            subprocess.run(["userdel", name], stdout=subprocess.DEVNULL,
                           stderr=subprocess.DEVNULL, timeout=30)
        if os.path.exists(cls.service_file):
            os.unlink(cls.service_file)
        shutil.rmtree(cls.base, ignore_errors=True)

    def home(self, tag):
        return os.path.join(self.base, self.users[tag])

    def uid(self, tag):
        return pwd.getpwnam(self.users[tag]).pw_uid

    def password(self, tag):
        return "pw-%s-1!" % tag

    def server(self, *extra):
        return self.start_server(["--unix", "--pam-service", self.service] + list(extra))

    def login(self, server, user, password):
        ftp = ftplib.FTP(timeout=TIMEOUT)
        self.addCleanup(ftp.close)
        ftp.connect("127.0.0.1", server.port)
        ftp.login(user, password)
        return ftp

    def refused(self, server, user, password):
        ftp = ftplib.FTP(timeout=TIMEOUT)
        self.addCleanup(ftp.close)
        ftp.connect("127.0.0.1", server.port)
        with self.assertRaises(ftplib.error_perm) as caught:
            ftp.login(user, password)
        self.assertTrue(str(caught.exception).startswith("530"), caught.exception)

    def test_login_lands_in_home_and_files_belong_to_the_user(self):
        server = self.server()
        ftp = self.login(server, self.users["a"], self.password("a"))
        self.assertEqual(ftp.pwd(), "/")
        ftp.storbinary("STOR mine.txt", io.BytesIO(b"hello"))
        ftp.mkd("sub")
        path = os.path.join(self.home("a"), "mine.txt")
        self.assertEqual(fx.read_file(path), b"hello")
        self.assertEqual(os.stat(path).st_uid, self.uid("a"))
        self.assertEqual(os.stat(os.path.join(self.home("a"), "sub")).st_uid, self.uid("a"))
        self.assertIn("mine.txt", ftp.nlst())

    def test_the_kernel_checks_permissions_as_the_user(self):
        # Root could read and write these; the session must not.
        secret = os.path.join(self.home("a"), "root-only")
        fx.write_file(secret, b"secret")
        os.chmod(secret, 0o600)
        locked = os.path.join(self.home("a"), "locked")
        os.mkdir(locked, 0o755)  # root's, not writable by the user
        kept = os.path.join(locked, "kept")
        fx.write_file(kept, b"kept")
        private = os.path.join(self.home("a"), "private")
        os.mkdir(private, 0o700)  # root's: the user may not read it
        fx.write_file(os.path.join(private, "inside"), b"x")
        server = self.server()
        ftp = self.login(server, self.users["a"], self.password("a"))
        for listing in ("NLST private", "LIST private", "MLSD private"):
            with self.assertRaises(ftplib.error_perm) as caught:
                ftp.retrlines(listing, lambda _: None)
            self.assertTrue(str(caught.exception).startswith("550"), caught.exception)
        with self.assertRaises(ftplib.error_perm) as caught:
            ftp.retrbinary("RETR root-only", lambda _: None)
        self.assertTrue(str(caught.exception).startswith("550"), caught.exception)
        with self.assertRaises(ftplib.error_perm):
            ftp.storbinary("STOR locked/x", io.BytesIO(b"x"))
        with self.assertRaises(ftplib.error_perm):
            ftp.delete("locked/kept")
        with self.assertRaises(ftplib.error_perm):
            ftp.rename("locked/kept", "taken")
        self.assertTrue(os.path.exists(kept))
        # Unix semantics, not root's: in a directory of its own, the user may remove a
        # file it cannot read.
        ftp.delete("root-only")
        self.assertFalse(os.path.exists(secret))
        self.assertFalse(os.path.exists(os.path.join(locked, "x")))
        # The other user's home (0755) is readable but not writable, and is not even
        # reachable by path: the tree's "/" is the user's own home.
        with self.assertRaises(ftplib.error_perm):
            ftp.cwd("/../%s" % self.users["b"])
        self.assertEqual(ftp.pwd(), "/")

    def test_two_users_at_once_keep_their_own_identity(self):
        server = self.server()
        a = self.login(server, self.users["a"], self.password("a"))
        b = self.login(server, self.users["b"], self.password("b"))
        # Interleaved on one server (and its threads): each file is its own user's.
        for i in range(5):
            a.storbinary("STOR a%d" % i, io.BytesIO(b"a"))
            b.storbinary("STOR b%d" % i, io.BytesIO(b"b"))
        for i in range(5):
            self.assertEqual(os.stat(os.path.join(self.home("a"), "a%d" % i)).st_uid,
                             self.uid("a"))
            self.assertEqual(os.stat(os.path.join(self.home("b"), "b%d" % i)).st_uid,
                             self.uid("b"))

    def test_wrong_password_unknown_user_and_root_are_refused(self):
        server = self.server()
        self.refused(server, self.users["a"], "not-the-password")
        self.refused(server, "no-such-user-%d" % os.getpid(), "x")
        self.refused(server, "root", "x")
        self.refused(server, "nobody", "x")  # nologin shell, and no password
        self.assertTrue(server.wait_for_log(r"USER 'root' failed login"))

    def test_allow_and_deny_lists(self):
        server = self.server("--unix-allow", self.users["a"])
        self.login(server, self.users["a"], self.password("a")).quit()
        self.refused(server, self.users["b"], self.password("b"))
        server = self.server("--unix-deny", "%s, someone-else" % self.users["a"])
        self.refused(server, self.users["a"], self.password("a"))
        self.login(server, self.users["b"], self.password("b")).quit()

    def test_read_only_permission_letters(self):
        server = self.server("--unix-perms", "elr")
        ftp = self.login(server, self.users["a"], self.password("a"))
        with self.assertRaises(ftplib.error_perm) as caught:
            ftp.storbinary("STOR nope", io.BytesIO(b"x"))
        self.assertTrue(str(caught.exception).startswith("550"), caught.exception)

    def test_configured_users_run_as_the_guest(self):
        # -u/-P beside system accounts: its files belong to --unix-guest, never to root.
        shared = tempfile.mkdtemp(prefix="cppftpd-pam-shared-")
        self.addCleanup(shutil.rmtree, shared, True)
        os.chmod(shared, 0o777)
        server = self.start_server(["--unix", "--pam-service", self.service, "-u", "virt",
                                    "-P", "vpw", "-w", "--unix-guest", self.users["b"]],
                                   directory_flag=False, cwd=shared)
        ftp = self.login(server, "virt", "vpw")
        ftp.storbinary("STOR v.txt", io.BytesIO(b"v"))
        self.assertEqual(os.stat(os.path.join(shared, "v.txt")).st_uid, self.uid("b"))
        # And a system account still logs in beside it.
        self.login(server, self.users["a"], self.password("a")).quit()


class UnixFlagsTest(unittest.TestCase):
    """Flag checks that need no account."""

    def run_binary(self, *args, **kwargs):
        return subprocess.run([fx.binary()] + list(args), stdin=subprocess.DEVNULL,
                              capture_output=True, text=True, timeout=30, **kwargs)

    def test_unix_options_need_unix(self):
        result = self.run_binary("-p", "0", "--unix-allow", "alice")
        self.assertEqual(result.returncode, 1, result.stderr)
        self.assertIn("--unix-allow needs --unix", result.stderr)

    def test_unix_excludes_run_as(self):
        result = self.run_binary("-p", "0", "--unix", "--run-as", "nobody")
        self.assertEqual(result.returncode, 1, result.stderr)
        self.assertIn("--unix and --run-as exclude each other", result.stderr)

    def test_unknown_guest_is_an_error(self):
        result = self.run_binary("-p", "0", "--unix", "--unix-guest", "no-such-user-x", "--check")
        self.assertEqual(result.returncode, 1, result.stderr)
        self.assertIn("--unix-guest", result.stderr)

    def test_bad_letters_are_an_error(self):
        result = self.run_binary("-p", "0", "--unix", "--unix-perms", "elrZ", "--check")
        self.assertEqual(result.returncode, 1, result.stderr)
        self.assertIn("unknown permission letter", result.stderr)

    @unittest.skipUnless(os.geteuid() == 0 and shutil.which("setpriv"), "needs root and setpriv")
    def test_unix_needs_root(self):
        result = subprocess.run(
            ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", fx.binary(), "-p",
             "0", "--unix", "-d", "/"], stdin=subprocess.DEVNULL, capture_output=True, text=True,
            timeout=30)
        self.assertEqual(result.returncode, 1, result.stderr)
        self.assertIn("--unix needs root", result.stderr)


if __name__ == "__main__":
    fx.main()
