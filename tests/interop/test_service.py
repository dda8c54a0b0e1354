#!/usr/bin/env python3
"""Running as a service: systemd socket activation (LISTEN_PID/LISTEN_FDS), --pidfile,
the man page against --help, and the systemd units (systemd-analyze verify, when present).

usage: python3 tests/interop/test_service.py <path-to-cppftpd>
"""

import ftplib
import functools
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import unittest
from unittest import mock

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import ftpd_fixture as fx  # noqa: E402

TIMEOUT = 10
REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
DIST = os.path.join(REPO, "dist")


def run_binary(args, **kwargs):
    return subprocess.run([fx.binary()] + list(args), stdin=subprocess.DEVNULL,
                          stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=TIMEOUT, **kwargs)


class ActivatedServer(fx.FtpServer):
    """cppftpd started as systemd would: `fd` as descriptor 3, LISTEN_PID = its pid."""

    def __init__(self, fd, fds="1", **kwargs):
        super().__init__(**kwargs)
        self.fd = fd
        self.fds = fds

    def command(self):
        script = 'LISTEN_PID=$$ LISTEN_FDS=%s exec "$0" "$@" 3<&%d' % (self.fds, self.fd)
        return ["sh", "-c", script] + super().command()

    def start(self):
        popen = functools.partial(subprocess.Popen, pass_fds=(self.fd,))
        with mock.patch.object(fx.subprocess, "Popen", popen):
            return super().start()


class SocketActivationTest(fx.ServerTestCase):

    def listener(self):
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.addCleanup(sock.close)
        sock.bind(("127.0.0.1", 0))
        sock.listen(16)
        return sock

    def test_accepts_on_the_passed_socket(self):
        sock = self.listener()
        server = ActivatedServer(sock.fileno())
        self._test_servers.append(server)
        self.addCleanup(server.close)
        server.start()
        # -p 0 is ignored: the reported port is the passed socket's.
        self.assertEqual(server.port, sock.getsockname()[1])
        self.assertIsNotNone(server.wait_for_log(r"accepting on the socket passed by systemd"))
        fx.write_file(server.path("f.txt"), b"x")
        ftp = ftplib.FTP(timeout=TIMEOUT)
        self.addCleanup(ftp.close)
        ftp.connect("127.0.0.1", server.port)
        ftp.login()
        self.assertEqual(ftp.nlst(), ["f.txt"])
        ftp.quit()
        self.assertEqual(server.stop(), 0)

    def test_refuses_more_than_one_socket(self):
        sock = self.listener()
        result = subprocess.run(
            ["sh", "-c", 'LISTEN_PID=$$ LISTEN_FDS=2 exec "$0" -p 0 3<&%d' % sock.fileno(),
             fx.binary()], pass_fds=(sock.fileno(),), stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=TIMEOUT)
        self.assertEqual(result.returncode, 1)
        self.assertIn(b"2 sockets passed", result.stderr)

    def test_refuses_a_descriptor_that_is_not_a_listener(self):
        with tempfile.TemporaryFile() as f:
            result = subprocess.run(
                ["sh", "-c", 'LISTEN_PID=$$ LISTEN_FDS=1 exec "$0" -p 0 3<&%d' % f.fileno(),
                 fx.binary()], pass_fds=(f.fileno(),), stdin=subprocess.DEVNULL,
                stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=TIMEOUT)
        self.assertEqual(result.returncode, 1)
        self.assertIn(b"descriptor 3 is not a listening TCP socket", result.stderr)

    def test_variables_for_another_process_are_ignored(self):
        env = dict(os.environ, LISTEN_PID="1", LISTEN_FDS="1")
        server = self.start_server([], env=env)  # binds -p 0 itself
        self.assertIsNone(server.wait_for_log(r"passed by systemd", timeout=0.1))
        ftp = ftplib.FTP(timeout=TIMEOUT)
        self.addCleanup(ftp.close)
        ftp.connect("127.0.0.1", server.port)
        ftp.login()

    def test_malformed_variables(self):
        env = dict(os.environ, LISTEN_PID="abc", LISTEN_FDS="1")
        result = run_binary(["-p", "0"], env=env)
        self.assertEqual(result.returncode, 1)
        self.assertIn(b"socket activation: malformed", result.stderr)


class PidFileTest(fx.ServerTestCase):

    def test_written_while_running_and_removed_on_exit(self):
        directory = tempfile.mkdtemp(prefix="cppftpd-pid-")
        self.addCleanup(shutil.rmtree, directory, True)
        path = os.path.join(directory, "cppftpd.pid")
        server = self.start_server(["--pidfile", path])
        with open(path) as f:
            self.assertEqual(f.read(), "%d\n" % server.proc.pid)
        self.assertEqual(server.stop(), 0)
        self.assertFalse(os.path.exists(path))
        self.assertFalse(os.path.exists(path + ".tmp"))

    def test_unwritable(self):
        path = "/nonexistent-dir-cppftpd/x.pid"
        root = ["--allow-root"] if os.geteuid() == 0 else []
        result = run_binary(["-p", "0", "--pidfile", path] + root)
        self.assertEqual(result.returncode, 1)
        self.assertIn(("--pidfile: cannot write %s" % path).encode(), result.stderr)


class DistTest(unittest.TestCase):

    def test_man_page_has_every_long_flag(self):
        with open(os.path.join(DIST, "cppftpd.1")) as f:
            # roff: "\-" is a dash, "\fB" ... "\fR" change the font.
            man = re.sub(r"\\f[BIRP]", "", f.read().replace("\\-", "-"))
        helps = run_binary(["--help"]).stdout.decode() + run_binary(["passwd", "--help"]).stdout.decode()
        flags = set(re.findall(r"(?<![\w-])(--[a-z][a-z0-9-]*)", helps))
        self.assertGreater(len(flags), 30)
        missing = sorted(f for f in flags if not re.search(r"(?<![\w-])%s(?![\w-])" % re.escape(f), man))
        self.assertEqual(missing, [], "flags of --help missing from dist/cppftpd.1")

    def test_man_page_renders_without_warnings(self):
        if shutil.which("groff") is None:
            self.skipTest("groff is not installed")
        result = subprocess.run(["groff", "-man", "-Tutf8", "-ww", "-z", os.path.join(DIST, "cppftpd.1")],
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=TIMEOUT)
        self.assertEqual((result.returncode, result.stderr), (0, b""))

    def test_systemd_units_verify(self):
        analyze = shutil.which("systemd-analyze")
        if analyze is None:
            self.skipTest("systemd-analyze is not installed")
        directory = tempfile.mkdtemp(prefix="cppftpd-units-")
        self.addCleanup(shutil.rmtree, directory, True)
        units = []
        for name in ("cppftpd.service", "cppftpd.socket"):
            with open(os.path.join(DIST, name)) as f:
                text = f.read()
            # verify checks that ExecStart's program exists: point it at the built one.
            text = text.replace("/usr/local/bin/cppftpd", fx.binary())
            units.append(os.path.join(directory, name))
            with open(units[-1], "w") as f:
                f.write(text)
        result = subprocess.run([analyze, "verify", "--man=no"] + units, stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, timeout=60)
        if result.returncode != 0 and b"Failed to" in result.stderr and b"bus" in result.stderr.lower():
            self.skipTest("systemd-analyze cannot run here: %s" % result.stderr.decode())
        self.assertEqual(result.returncode, 0, result.stderr.decode())
        self.assertEqual(result.stderr.decode().strip(), "", "systemd-analyze warned")

    def test_service_hardening(self):
        with open(os.path.join(DIST, "cppftpd.service")) as f:
            text = f.read()
        for line in ("NoNewPrivileges=yes", "ProtectSystem=strict", "PrivateTmp=yes",
                     "CapabilityBoundingSet=CAP_NET_BIND_SERVICE", "ProtectHome=yes",
                     "ExecReload=/bin/kill -HUP $MAINPID", "SystemCallFilter=@system-service"):
            self.assertIn("\n" + line + "\n", text)


if __name__ == "__main__":
    fx.main()
