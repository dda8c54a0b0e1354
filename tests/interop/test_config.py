#!/usr/bin/env python3
"""The configuration file (--config FILE, --check): settings named like the long flags,
CLI flags winning over the file, and errors that name the file, the line and the key.
The commented example docs/cppftpd.example.toml passes --check.

usage: python3 tests/interop/test_config.py <path-to-cppftpd>
"""

import ftplib
import os
import re
import shutil
import subprocess
import sys
import tempfile
import tomllib
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import ftpd_fixture as fx  # noqa: E402

TIMEOUT = 10  # seconds, for every socket operation and every short-lived process
REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
EXAMPLE = os.path.join(REPO, "docs", "cppftpd.example.toml")

# sha512-crypt of "alicepass" (openssl passwd -6 -salt cppftpdexample alicepass)
ALICE_HASH = ("$6$cppftpdexample$Zhx15l8uibR57fTKoFz1v5eYH/ILdi0ijLgSJvPLDLvwkb.qGmty1OuV"
              "YruMGdfFzUIkO0YJjzOv2spWIut6e1")


def run_binary(args, cwd=None, stdin=subprocess.DEVNULL):
    return subprocess.run([fx.binary()] + list(args), cwd=cwd, stdin=stdin,
                          stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=TIMEOUT)


class ConfigCase(fx.ServerTestCase):

    def setUp(self):
        self.dir = tempfile.mkdtemp(prefix="cppftpd-config-")
        self.addCleanup(shutil.rmtree, self.dir, True)

    def write_config(self, text, name="cppftpd.toml"):
        path = os.path.join(self.dir, name)
        with open(path, "w") as f:
            f.write(text)
        return path

    def check(self, text):
        path = self.write_config(text)
        result = run_binary(["--config", path, "--check"])
        return path, result.returncode, result.stdout.decode(), result.stderr.decode()

    def assert_error(self, text, pattern):
        """--check of `text` fails with one line naming the file and matching `pattern`."""
        path, status, _, err = self.check(text)
        self.assertEqual(status, 1, err)
        self.assertRegex(err, r"^cppftpd: error: " + re.escape(path) + pattern, err)


class CheckTest(ConfigCase):

    def every_key(self):
        """A valid non-default value for every setting a file may hold."""
        home = os.path.join(self.dir, "home")
        os.makedirs(home, exist_ok=True)
        cert = os.path.join(self.dir, "cert.pem")
        key = os.path.join(self.dir, "key.pem")
        subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt",
                        "ec_paramgen_curve:prime256v1", "-nodes", "-subj", "/CN=localhost",
                        "-days", "2", "-keyout", key, "-out", cert], check=True,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=TIMEOUT)
        return {
            "interface": "127.0.0.1", "port": 2122, "write": True, "directory": home,
            "nat-address": "192.0.2.7", "range": "60000-60100", "debug": True, "verbose": True,
            "username": "bob", "timeout": 120, "banner": 'Hello "there" \\ friend',
            "permit-foreign-addresses": True, "permit-privileged-ports": True,
            "encoding": "utf8", "use-localtime": True, "disable-sendfile": True,
            "max-cons": 64, "max-cons-per-ip": 4, "max-login-attempts": 5, "tls": True,
            "certfile": cert, "keyfile": key, "tls-control-required": True,
            "tls-data-required": True, "tls-implicit-port": 9990, "tls-no-session-reuse": False,
            "tls-require-session-reuse": True,
            "tls-min-version": "1.3", "run-as": "nobody", "allow-root": True, "ban-after": 3,
            "ban-time": 60, "login-timeout": 30, "delete-incomplete": True,
            "xferlog": os.path.join(self.dir, "xfer.log"), "log-format": "json",
            "log-file": os.path.join(self.dir, "cppftpd.log"), "syslog": False,
            "metrics": "127.0.0.1:9121", "pidfile": os.path.join(self.dir, "cppftpd.pid"),
            "atomic-uploads": True, "max-download-rate": 1000, "max-upload-rate": 2000,
            "max-total-download-rate": 3000, "max-total-upload-rate": 4000,
            # --unix excludes --run-as: its own values are in unix_keys(); here, the
            # defaults (what --print-config writes without --unix must read back).
            "unix": False, "pam-service": "cppftpd", "unix-any-shell": False,
            "unix-perms": "elradfmwMT", "unix-guest": "nobody",
        }

    def unix_keys(self):
        """Non-default values of the --unix settings (with every_key(), minus run-as)."""
        return {"unix": True, "pam-service": "ftp-test", "unix-allow": "alice,bob",
                "unix-deny": "carol", "unix-any-shell": True, "unix-perms": "elr",
                "unix-guest": "nobody"}

    def test_round_trip_of_every_key(self):
        # Every long option of --help but the command-line-only ones has a value
        # here: a new flag without one fails this test.
        values = self.every_key()
        helped = set(re.findall(r"--([a-z][a-z0-9-]*)", run_binary(["--help"]).stdout.decode()))
        # (--method belongs to the passwd subcommand; a file's "users" are its
        # [[users]] tables, so --users FILE stays on the command line.)
        command_line_only = {"help", "version", "config", "check", "print-config", "password",
                             "method", "users"}
        self.assertEqual(helped - command_line_only, set(values) | set(self.unix_keys()))
        with_unix = dict(values)
        del with_unix["run-as"]
        with_unix.update(self.unix_keys())
        for variant in (values, with_unix):
            with self.subTest(unix=variant["unix"]):
                self.check_round_trip(variant)

    def check_round_trip(self, values):
        def toml_value(v):
            if isinstance(v, bool):
                return "true" if v else "false"
            if isinstance(v, int):
                return str(v)
            return '"%s"' % v.replace("\\", "\\\\").replace('"', '\\"')

        first = self.write_config("".join("%s = %s\n" % (k, toml_value(v))
                                          for k, v in values.items()))
        result = run_binary(["--config", first, "-P", "secret", "--print-config"])
        self.assertEqual(result.returncode, 0, result.stderr.decode())
        printed = result.stdout.decode()
        self.assertNotIn("secret", printed)
        self.assertEqual(tomllib.loads(printed), values)
        # What it prints reads back to the same settings.
        second = self.write_config(printed, "printed.toml")
        again = run_binary(["--config", second, "-P", "secret", "--print-config"])
        self.assertEqual(again.returncode, 0, again.stderr.decode())
        self.assertEqual(again.stdout.decode(), printed)

    def test_print_config_shows_defaults_and_flags_win(self):
        path = self.write_config("port = 2200\nmax-total-upload-rate = 5\n")
        result = run_binary(["--config", path, "--port", "2300", "--print-config"])
        self.assertEqual(result.returncode, 0, result.stderr.decode())
        settings = tomllib.loads(result.stdout.decode())
        self.assertEqual(settings["port"], 2300)
        self.assertEqual(settings["max-total-upload-rate"], 5)
        self.assertEqual(settings["max-cons"], 512)
        self.assertEqual(settings["write"], False)

    def test_example_config_is_valid(self):
        # The example's paths (/srv/ftp/...) are pointed at a temporary tree first.
        with open(EXAMPLE) as f:
            text = f.read()
        self.assertIn("/srv/ftp", text)
        for sub in ("", "alice", "bob", "pub", "pub/incoming"):
            os.makedirs(os.path.join(self.dir, "srv", sub), exist_ok=True)
        path, status, out, err = self.check(text.replace("/srv/ftp", os.path.join(self.dir, "srv")))
        self.assertEqual(status, 0, err)
        self.assertIn("configuration OK", out)

    def test_valid_minimal(self):
        path, status, out, err = self.check('port = 2121\nwrite = true\nbanner = "hi"\n')
        self.assertEqual(status, 0, err)
        self.assertIn(path, out)

    def test_missing_file(self):
        missing = os.path.join(self.dir, "nope.toml")
        result = run_binary(["--config", missing, "--check"])
        self.assertEqual(result.returncode, 1)
        self.assertIn(missing + ": cannot read: No such file or directory", result.stderr.decode())

    def test_unreadable_file(self):
        if os.geteuid() == 0:
            # root reads anything: a directory stands in for an unreadable file.
            result = run_binary(["--config", self.dir, "--check"])
            self.assertEqual(result.returncode, 1)
            self.assertIn(self.dir + ": ", result.stderr.decode())
            return
        path = self.write_config("port = 1\n")
        os.chmod(path, 0)
        result = run_binary(["--config", path, "--check"])
        self.assertEqual(result.returncode, 1)
        self.assertIn(path + ": cannot read: Permission denied", result.stderr.decode())

    def test_syntax_error_names_line(self):
        self.assert_error('port = 2121\nbanner = "unterminated\n', r":2:\d+: ")

    def test_unknown_key(self):
        self.assert_error('port = 2121\n\nbogus-setting = 1\n',
                          r":3:1: key 'bogus-setting': unknown setting")

    def test_underscore_name_is_not_a_flag(self):
        self.assert_error('max_cons = 3\n', r":1:1: key 'max_cons': unknown setting")

    def test_bad_values(self):
        self.assert_error('port = "abc"\n', r":1:1: key 'port': bad value 'abc'")
        self.assert_error('\nport = 70000\n', r":2:1: key 'port': bad value '70000'")
        self.assert_error('max-cons = 0\n', r":1:1: key 'max-cons': bad value '0'")
        self.assert_error('write = "yes"\n', r":1:1: key 'write': expected true or false")
        self.assert_error('port = 1.5\n', r":1:1: key 'port': expected a string or an integer")
        self.assert_error('banner = [1]\n', r":1:1: key 'banner': expected a string")

    def test_command_line_only_keys(self):
        self.assert_error('config = "x.toml"\n', r":1:1: key 'config': only allowed on the command line")
        self.assert_error('check = true\n', r":1:1: key 'check': only allowed on the command line")

    def test_semantic_errors_after_settings(self):
        # Values CLI11 accepts but main() refuses are still errors at --check.
        path, status, _, err = self.check('directory = "%s/none"\n' % self.dir)
        self.assertEqual(status, 1)
        self.assertIn("is not a directory", err)
        path, status, _, err = self.check('range = "9-1"\n')
        self.assertEqual(status, 1)
        self.assertIn("--range", err)

    def test_check_without_config(self):
        result = run_binary(["--check", "-d", self.dir])
        self.assertEqual(result.returncode, 0, result.stderr)


class ServeTest(ConfigCase):

    def ftp(self, server):
        ftp = ftplib.FTP(timeout=TIMEOUT)
        self.addCleanup(ftp.close)
        ftp.connect("127.0.0.1", server.port)
        return ftp

    def test_file_settings_apply_and_flags_win(self):
        share = tempfile.mkdtemp(prefix="cppftpd-config-share-")
        self.addCleanup(shutil.rmtree, share, True)
        fx.write_file(os.path.join(share, "f.txt"), b"hello")
        # port 1 in the file is overridden by the fixture's -p 0, the directory comes from
        # the file, the banner from the file, write from the file.
        path = self.write_config('port = 1\ndirectory = "%s"\nbanner = "from the file"\n'
                                 'write = true\n' % share)
        server = self.start_server(["--config", path], directory_flag=False)
        ftp = self.ftp(server)
        self.assertIn("from the file", ftp.getwelcome())
        ftp.login()
        self.assertEqual(ftp.nlst(), ["f.txt"])
        ftp.mkd("made")  # write = true
        self.assertTrue(os.path.isdir(os.path.join(share, "made")))

    def test_command_line_banner_wins(self):
        path = self.write_config('banner = "from the file"\n')
        server = self.start_server(["--config", path, "--banner", "from the flag"])
        self.assertIn("from the flag", self.ftp(server).getwelcome())

    def test_bad_config_does_not_serve(self):
        path = self.write_config('bogus = 1\n')
        result = run_binary(["-p", "0", "--config", path])
        self.assertEqual(result.returncode, 1)
        self.assertIn(path + ":1:1: key 'bogus'", result.stderr.decode())


if __name__ == "__main__":
    fx.main()
