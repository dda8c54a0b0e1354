#!/usr/bin/env python3
"""The cppftpd command line: help, version, bad values, and what each flag does to a real
server (checked with Python's ftplib over loopback).

usage: python3 tests/interop/test_cli.py <path-to-cppftpd>
"""

import ftplib
import io
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import ftpd_fixture as fx  # noqa: E402

TIMEOUT = 10  # seconds, for every socket operation and every short-lived process
MIB = 1024 * 1024


def run_binary(args, cwd=None):
    """Run cppftpd with args and no server expected; bounded."""
    return subprocess.run([fx.binary()] + list(args), cwd=cwd, stdin=subprocess.DEVNULL,
                          stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=TIMEOUT)


def pasv_port(reply):
    """Port from a 227 reply."""
    numbers = re.search(r"(\d+),(\d+),(\d+),(\d+),(\d+),(\d+)", reply)
    if not numbers:
        raise AssertionError("no address in %r" % reply)
    p = [int(x) for x in numbers.groups()]
    return p[4] * 256 + p[5]


class CliTestCase(fx.ServerTestCase):

    def ftp(self, server, host="127.0.0.1", login=None):
        """Connected ftplib.FTP; login=(user, password) or "anonymous"."""
        ftp = ftplib.FTP(timeout=TIMEOUT)
        self.addCleanup(ftp.close)
        ftp.connect(host, server.port)
        if login == "anonymous":
            ftp.login()
        elif login:
            ftp.login(*login)
        return ftp


class HelpAndVersionTest(CliTestCase):

    def test_help(self):
        result = run_binary(["--help"])
        self.assertEqual(result.returncode, 0, result.stderr)
        text = result.stdout.decode("utf-8", "replace")
        for flag in ("-h", "--help", "-i", "--interface", "-p", "--port", "-w", "--write",
                     "-d", "--directory", "-n", "--nat-address", "-r", "--range", "-D", "--debug",
                     "-V", "--verbose",
                     "-u", "--username", "-P", "--password", "--timeout", "--banner",
                     "--permit-foreign-addresses", "--permit-privileged-ports", "--encoding",
                     "--use-localtime", "--disable-sendfile", "--max-cons", "--max-cons-per-ip",
                     "--max-login-attempts", "-v", "--version", "--tls", "--certfile",
                     "--keyfile", "--tls-control-required", "--tls-data-required"):
            self.assertRegex(text, r"(?<![\w-])%s(?![\w-])" % re.escape(flag), "flag %s" % flag)
        self.assertIn("2121", text)  # the default port is documented

    def test_short_help(self):
        result = run_binary(["-h"])
        self.assertEqual(result.returncode, 0)
        self.assertIn("--port", result.stdout.decode())

    def test_version(self):
        for flag in ("-v", "--version"):
            result = run_binary([flag])
            self.assertEqual(result.returncode, 0, result.stderr)
            out = (result.stdout + result.stderr).decode("utf-8", "replace")
            self.assertRegex(out, r"\b\d+\.\d+\.\d+\b", flag)
            self.assertNotIn("starting FTP server", out)


class BadValuesTest(CliTestCase):
    """A bad value is a clear message on stderr and exit status 1 or 2, without starting."""

    def assert_refused(self, args, mention):
        with tempfile.TemporaryDirectory(prefix="cppftpd-cli-") as cwd:
            try:
                result = run_binary(list(args), cwd=cwd)
            except subprocess.TimeoutExpired:
                self.fail("cppftpd %s did not exit within %d s (it started?)" % (" ".join(args), TIMEOUT))
        err = result.stderr.decode("utf-8", "replace")
        self.assertNotIn("starting FTP server", err)
        self.assertIn(result.returncode, (1, 2),
                      "cppftpd %s: exit status %d (want 1 or 2); stderr: %s"
                      % (" ".join(args), result.returncode, err.strip()))
        self.assertRegex(err, mention, "the message should name the problem")

    def test_port_out_of_range(self):
        self.assert_refused(["-p", "99999"], r"(?i)port")

    def test_port_not_a_number(self):
        self.assert_refused(["-p", "abc"], r"(?i)port")

    def test_range_reversed(self):
        self.assert_refused(["-p", "0", "-r", "9-1"], r"(?i)range")

    def test_range_garbage(self):
        self.assert_refused(["-p", "0", "-r", "abc"], r"(?i)range")

    def test_range_port_zero(self):
        self.assert_refused(["-p", "0", "-r", "0-10"], r"(?i)range")

    def test_missing_directory(self):
        self.assert_refused(["-p", "0", "-d", "/nonexistent/cppftpd-test"], r"(?i)director")

    def test_directory_is_a_file(self):
        with tempfile.NamedTemporaryFile() as f:
            self.assert_refused(["-p", "0", "-d", f.name], r"(?i)director")

    def test_username_without_password(self):
        self.assert_refused(["-p", "0", "-u", "someone"], r"(?i)password")

    def test_password_without_username(self):
        self.assert_refused(["-p", "0", "-P", "secret"], r"(?i)user")

    def test_unsupported_encoding(self):
        self.assert_refused(["-p", "0", "--encoding", "latin1"], r"(?i)encoding|utf")

    def test_bad_nat_address(self):
        self.assert_refused(["-p", "0", "-n", "not-an-address"], r"(?i)nat|address")

    def test_max_cons_zero(self):
        self.assert_refused(["-p", "0", "--max-cons", "0"], r"(?i)max-cons")

    def test_negative_timeout(self):
        self.assert_refused(["-p", "0", "--timeout", "-1"], r"(?i)timeout")

    def test_unknown_flag(self):
        self.assert_refused(["-p", "0", "--no-such-flag"], r"no-such-flag")

    def test_unexpected_argument(self):
        self.assert_refused(["-p", "0", "stray-argument"], r"stray-argument")

    def test_bad_interface(self):
        self.assert_refused(["-p", "0", "-i", "not an address"], r"(?i)address|interface|listen")


class PermissionsTest(CliTestCase):

    def test_default_is_anonymous_read_only(self):
        server = self.start_server([])
        fx.write_file(server.path("readme.txt"), b"read me")
        ftp = self.ftp(server, login="anonymous")
        chunks = []
        ftp.retrbinary("RETR readme.txt", chunks.append)
        self.assertEqual(b"".join(chunks), b"read me")
        with self.assertRaises(ftplib.error_perm) as caught:
            ftp.storbinary("STOR upload.txt", io.BytesIO(b"nope"))
        self.assertTrue(str(caught.exception).startswith("550"), str(caught.exception))
        self.assertFalse(os.path.exists(server.path("upload.txt")))
        for command in ("MKD newdir", "DELE readme.txt", "RNFR readme.txt", "SITE CHMOD 777 readme.txt",
                        "MFMT 20200101000000 readme.txt", "APPE readme.txt", "RMD /"):
            with self.assertRaises(ftplib.error_perm, msg=command) as caught:
                ftp.sendcmd(command)
            self.assertTrue(str(caught.exception).startswith("550"), "%s: %s" % (command, caught.exception))
        self.assertFalse(os.path.exists(server.path("newdir")))
        self.assertEqual(fx.read_file(server.path("readme.txt")), b"read me")

    def test_write_allows_anonymous_upload(self):
        server = self.start_server(["-w"])
        ftp = self.ftp(server, login="anonymous")
        ftp.storbinary("STOR upload.bin", io.BytesIO(b"\x00\x01\x02"))
        self.assertEqual(fx.read_file(server.path("upload.bin")), b"\x00\x01\x02")
        ftp.mkd("made")
        self.assertTrue(os.path.isdir(server.path("made")))
        ftp.delete("upload.bin")
        self.assertFalse(os.path.exists(server.path("upload.bin")))

    def test_user_disables_anonymous(self):
        server = self.start_server(["-u", "alice", "-P", "wonderland"])
        ftp = self.ftp(server)
        with self.assertRaises(ftplib.error_perm) as caught:
            ftp.login()  # anonymous
        self.assertTrue(str(caught.exception).startswith("530"), str(caught.exception))
        ftp2 = self.ftp(server)
        self.assertTrue(ftp2.login("alice", "wonderland").startswith("230"))
        # -u without -w is read-only too.
        with self.assertRaises(ftplib.error_perm) as caught:
            ftp2.storbinary("STOR x", io.BytesIO(b"x"))
        self.assertTrue(str(caught.exception).startswith("550"))

    def test_user_with_write(self):
        server = self.start_server(["-u", "alice", "-P", "wonderland", "-w"])
        ftp = self.ftp(server, login=("alice", "wonderland"))
        ftp.storbinary("STOR x", io.BytesIO(b"x"))
        self.assertEqual(fx.read_file(server.path("x")), b"x")


class ServerOptionsTest(CliTestCase):

    def test_banner(self):
        banner = "Welcome to the cppftpd interop test"
        server = self.start_server(["--banner", banner])
        ftp = self.ftp(server)
        self.assertEqual(ftp.getwelcome(), "220 " + banner)

    def test_passive_port_range(self):
        low, high = 40000, 40010
        server = self.start_server(["-w", "-r", "%d-%d" % (low, high)])
        fx.write_file(server.path("f.bin"), b"range")
        ftp = self.ftp(server, login="anonymous")
        ftp.voidcmd("TYPE I")
        for _ in range(5):
            port = pasv_port(ftp.sendcmd("PASV"))
            self.assertTrue(low <= port <= high, "PASV port %d outside %d-%d" % (port, low, high))
            # A data connection on that port works.
            with socket.create_connection(("127.0.0.1", port), timeout=TIMEOUT) as data:
                ftp.sendcmd("RETR f.bin")
                received = b""
                while True:
                    chunk = data.recv(65536)
                    if not chunk:
                        break
                    received += chunk
            ftp.voidresp()
            self.assertEqual(received, b"range")
        reply = ftp.sendcmd("EPSV")
        port = int(re.search(r"\|\|\|(\d+)\|", reply).group(1))
        self.assertTrue(low <= port <= high, reply)
        ftp.voidcmd("ABOR")

    def test_nat_address(self):
        server = self.start_server(["-n", "10.1.2.3"])
        ftp = self.ftp(server, login="anonymous")
        reply = ftp.sendcmd("PASV")  # never connect to it
        self.assertTrue(reply.startswith("227"), reply)
        self.assertIn("10,1,2,3,", reply)
        self.assertIsNotNone(server.wait_for_log(r"(?i)masquerade.*10\.1\.2\.3"))

    def test_an_option_given_twice_takes_its_last_value(self):
        # As pyftpdlib's optparse: the fixture passes "-p 0 -d ROOT" first.
        other = tempfile.mkdtemp(prefix="cppftpd-cli-last-")
        self.addCleanup(shutil.rmtree, other, True)
        fx.write_file(os.path.join(other, "last.txt"), b"the last -d wins")
        server = self.start_server(["-d", other, "-p", "0"])
        ftp = self.ftp(server, login="anonymous")
        self.assertEqual(ftp.nlst(), ["last.txt"])

    def test_debug_logs_commands_and_masks_passwords(self):
        password = "S3cr3t-P4ssw0rd-x9"
        wrong = "Wr0ng-Guess-q7"
        server = self.start_server(["-D", "-u", "bob", "-P", password])
        bad = self.ftp(server)
        with self.assertRaises(ftplib.error_perm):
            bad.login("bob", wrong)
        bad.close()
        ftp = self.ftp(server, login=("bob", password))
        ftp.pwd()
        ftp.sendcmd("SYST")
        ftp.quit()
        self.assertIsNotNone(server.wait_for_log(r"<- QUIT"), "QUIT was not logged")
        self.assertEqual(server.stop(), 0)
        log = server.log()
        self.assertRegex(log, r"<- USER bob")
        self.assertRegex(log, r"<- PWD")
        self.assertRegex(log, r"<- SYST")
        self.assertRegex(log, r"-> 230")
        self.assertRegex(log, r"<- PASS \*{6}")
        self.assertNotIn(password, log)
        self.assertNotIn(wrong, log)

    def test_verbose_logs_commands_as_debug_does(self):
        # pyftpdlib's -V/--verbose, "a more verbose logging": here -D's level.
        for flag in ("-V", "--verbose"):
            server = self.start_server([flag, "-u", "bob", "-P", "pw"])
            ftp = self.ftp(server, login=("bob", "pw"))
            ftp.pwd()
            ftp.quit()
            self.assertIsNotNone(server.wait_for_log(r"<- QUIT"), flag)
            self.assertEqual(server.stop(), 0)
            self.assertRegex(server.log(), r"<- PWD", flag)
            self.assertRegex(server.log(), r"<- PASS \*{6}", flag)

    def test_no_debug_does_not_log_commands(self):
        server = self.start_server(["-u", "bob", "-P", "pw"])
        ftp = self.ftp(server, login=("bob", "pw"))
        ftp.pwd()
        ftp.quit()
        self.assertIsNotNone(server.wait_for_log(r"session closed"))
        self.assertEqual(server.stop(), 0)
        self.assertNotRegex(server.log(), r"<- PWD")

    def test_interface_ipv4_only(self):
        server = self.start_server(["-i", "127.0.0.1"])
        self.assertEqual(server.listen_addr, "127.0.0.1")
        self.ftp(server, host="127.0.0.1", login="anonymous").voidcmd("NOOP")
        if fx.have_ipv6_loopback():
            with self.assertRaises(ConnectionRefusedError):
                socket.create_connection(("::1", server.port), timeout=TIMEOUT).close()

    @unittest.skipUnless(fx.have_ipv6_loopback(), "no IPv6 loopback")
    def test_interface_ipv6_only(self):
        server = self.start_server(["-i", "::1"])
        ftp = self.ftp(server, host="::1", login="anonymous")
        fx.write_file(server.path("six"), b"6")
        chunks = []
        ftp.retrbinary("RETR six", chunks.append)
        self.assertEqual(b"".join(chunks), b"6")
        with self.assertRaises(ConnectionRefusedError):
            socket.create_connection(("127.0.0.1", server.port), timeout=TIMEOUT).close()

    def test_default_listens_on_both_families(self):
        server = self.start_server([])
        self.ftp(server, host="127.0.0.1", login="anonymous").voidcmd("NOOP")
        if fx.have_ipv6_loopback():
            self.ftp(server, host="::1", login="anonymous").voidcmd("NOOP")

    def test_max_cons(self):
        server = self.start_server(["--max-cons", "2"])
        self.ftp(server)
        self.ftp(server)
        with self.assertRaises(ftplib.error_temp) as caught:
            self.ftp(server)
        self.assertTrue(str(caught.exception).startswith("421"))

    def test_max_cons_per_ip(self):
        server = self.start_server(["--max-cons-per-ip", "1"])
        self.ftp(server, host="127.0.0.1")
        with self.assertRaises(ftplib.error_temp) as caught:
            self.ftp(server, host="127.0.0.1")
        self.assertTrue(str(caught.exception).startswith("421"))
        if fx.have_ipv6_loopback():
            self.ftp(server, host="::1")  # another address: allowed

    def test_max_login_attempts(self):
        server = self.start_server(["--max-login-attempts", "2", "-u", "u", "-P", "p"])
        ftp = self.ftp(server)
        with self.assertRaises(ftplib.error_perm):
            ftp.login("u", "bad1")
        with self.assertRaises(ftplib.error_perm):
            ftp.login("u", "bad2")
        # The second failure disconnects.
        with self.assertRaises((EOFError, ConnectionError, ftplib.error_temp, ftplib.error_perm)):
            ftp.login("u", "p")

    def test_idle_timeout(self):
        server = self.start_server(["--timeout", "1"])
        sock = socket.create_connection(("127.0.0.1", server.port), timeout=TIMEOUT)
        self.addCleanup(sock.close)
        received = b""
        while True:  # bounded by the socket timeout
            chunk = sock.recv(4096)
            if not chunk:
                break
            received += chunk
        self.assertRegex(received.decode(), r"^220 .*\r\n421 ")

    def test_disable_sendfile(self):
        server = self.start_server(["--disable-sendfile"])
        data = os.urandom(3 * MIB)
        fx.write_file(server.path("copy.bin"), data)
        ftp = self.ftp(server, login="anonymous")
        chunks = []
        ftp.retrbinary("RETR copy.bin", chunks.append)
        self.assertEqual(b"".join(chunks), data)

    def test_use_localtime(self):
        server = self.start_server(["--use-localtime"])
        fx.write_file(server.path("t"), b"t")
        ftp = self.ftp(server, login="anonymous")
        lines = []
        ftp.retrlines("LIST", lines.append)
        self.assertEqual(len(lines), 1)
        self.assertTrue(lines[0].endswith(" t"))

    def test_foreign_address_refused_by_default(self):
        server = self.start_server([])
        fx.write_file(server.path("f"), b"f")
        ftp = self.ftp(server, login="anonymous")
        with socket.socket() as listener:
            listener.bind(("127.0.0.2", 0))  # loopback, but not the control peer's address
            listener.listen(1)
            port = listener.getsockname()[1]
            with self.assertRaises(ftplib.error_perm) as caught:
                ftp.sendcmd("PORT 127,0,0,2,%d,%d" % (port >> 8, port & 255))
            self.assertTrue(str(caught.exception).startswith("501"), str(caught.exception))
            with self.assertRaises(ftplib.error_perm):
                ftp.sendcmd("EPRT |1|127.0.0.2|%d|" % port)
        ftp.voidcmd("NOOP")

    def test_permit_foreign_addresses(self):
        server = self.start_server(["--permit-foreign-addresses"])
        fx.write_file(server.path("f"), b"foreign")
        ftp = self.ftp(server, login="anonymous")
        ftp.voidcmd("TYPE I")
        with socket.socket() as listener:
            listener.bind(("127.0.0.2", 0))
            listener.listen(1)
            listener.settimeout(TIMEOUT)
            port = listener.getsockname()[1]
            ftp.voidcmd("PORT 127,0,0,2,%d,%d" % (port >> 8, port & 255))
            ftp.sendcmd("RETR f")
            conn, _ = listener.accept()
            with conn:
                conn.settimeout(TIMEOUT)
                received = b""
                while True:
                    chunk = conn.recv(4096)
                    if not chunk:
                        break
                    received += chunk
        ftp.voidresp()
        self.assertEqual(received, b"foreign")

    def test_privileged_port_refused_by_default(self):
        server = self.start_server([])
        ftp = self.ftp(server, login="anonymous")
        with self.assertRaises(ftplib.error_perm) as caught:
            ftp.sendcmd("PORT 127,0,0,1,0,80")
        self.assertTrue(str(caught.exception).startswith("501"), str(caught.exception))
        with self.assertRaises(ftplib.error_perm):
            ftp.sendcmd("EPRT |1|127.0.0.1|1023|")
        ftp.voidcmd("NOOP")

    @unittest.skipUnless(os.geteuid() == 0, "binding a privileged port needs root")
    def test_permit_privileged_ports(self):
        server = self.start_server(["--permit-privileged-ports"])
        fx.write_file(server.path("f"), b"privileged")
        ftp = self.ftp(server, login="anonymous")
        ftp.voidcmd("TYPE I")
        with socket.socket() as listener:
            for port in range(1023, 900, -1):  # bounded search for a free privileged port
                try:
                    listener.bind(("127.0.0.1", port))
                    break
                except OSError:
                    continue
            else:
                self.skipTest("no free privileged port")
            listener.listen(1)
            listener.settimeout(TIMEOUT)
            ftp.voidcmd("PORT 127,0,0,1,%d,%d" % (port >> 8, port & 255))
            ftp.sendcmd("RETR f")
            conn, _ = listener.accept()
            with conn:
                conn.settimeout(TIMEOUT)
                received = b""
                while True:
                    chunk = conn.recv(4096)
                    if not chunk:
                        break
                    received += chunk
        ftp.voidresp()
        self.assertEqual(received, b"privileged")


class LifecycleTest(CliTestCase):

    def test_sigterm_exits_zero(self):
        server = self.start_server([])
        ftp = self.ftp(server, login="anonymous")  # an open session must not block shutdown
        ftp.voidcmd("NOOP")
        self.assertEqual(server.stop(signal.SIGTERM), 0)
        self.assertRegex(server.log(), r"(?i)stopped")

    def test_sigint_exits_zero(self):
        server = self.start_server([])
        ftp = self.ftp(server, login="anonymous")
        ftp.voidcmd("NOOP")
        self.assertEqual(server.stop(signal.SIGINT), 0)

    def test_signal_right_after_start_line(self):
        # The start line is the readiness signal that supervisors and these tests wait for;
        # a SIGTERM/SIGINT sent as soon as it appears must still be a clean stop (exit 0),
        # not death by the default signal action (exit status -SIG).
        ROUNDS = 25  # the window is narrow; enough rounds to hit it reliably
        statuses = {}
        for sig in (signal.SIGTERM, signal.SIGINT):
            for _ in range(ROUNDS):
                server = fx.FtpServer([])
                try:
                    server.start()
                    status = server.stop(sig)
                finally:
                    server.close()
                statuses.setdefault(sig.name, []).append(status)
        self.assertEqual(statuses, {"SIGTERM": [0] * ROUNDS, "SIGINT": [0] * ROUNDS})

    def test_sigterm_during_stalled_transfer(self):
        # The server lets transfers run for its shutdown grace period (10 s, not
        # configurable from the command line), then closes them; the client here never
        # reads, so the grace period runs out.
        grace = 10
        server = self.start_server([])
        with open(server.path("huge"), "wb") as f:
            f.truncate(512 * MIB)  # sparse
        ftp = self.ftp(server, login="anonymous")
        ftp.voidcmd("TYPE I")
        conn = ftp.transfercmd("RETR huge")
        self.addCleanup(conn.close)
        self.assertTrue(conn.recv(65536))
        self.assertEqual(server.stop(signal.SIGTERM, timeout=grace + 5), 0)

    def test_no_arguments_shares_current_directory(self):
        cwd = tempfile.mkdtemp(prefix="cppftpd-cwd-")
        self.addCleanup(shutil.rmtree, cwd, True)
        fx.write_file(os.path.join(cwd, "here.txt"), b"current directory")
        server = self.start_server([], directory_flag=False, cwd=cwd)
        self.assertIsNotNone(server.wait_for_log(r"sharing %s\b" % re.escape(os.path.realpath(cwd))),
                             "the log should say which directory is shared")
        ftp = self.ftp(server, login="anonymous")
        self.assertEqual(ftp.nlst(), ["here.txt"])
        chunks = []
        ftp.retrbinary("RETR here.txt", chunks.append)
        self.assertEqual(b"".join(chunks), b"current directory")
        with self.assertRaises(ftplib.error_perm):  # read-only by default
            ftp.storbinary("STOR new.txt", io.BytesIO(b"x"))
        self.assertFalse(os.path.exists(os.path.join(cwd, "new.txt")))


if __name__ == "__main__":
    fx.main()
