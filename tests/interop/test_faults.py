#!/usr/bin/env python3
"""Faults and hostile clients against the built binary (docs/security.md): privileges
(--run-as, the root policy), the per-address ban, the login timeout, a full disk, running out
of file descriptors, descriptor leaks after 1,000 abusive connections, --delete-incomplete.

Every test ends by checking that a well-behaved client is still served.  All traffic is to
loopback; every loop is bounded in count and time; nothing sleeps for what can be polled.

usage: python3 tests/interop/test_faults.py <path-to-cppftpd>
"""

import ftplib
import io
import os
import pwd
import random
import resource
import shutil
import socket
import struct
import subprocess
import sys
import tempfile
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import ftpd_fixture as fx  # noqa: E402

TIMEOUT = 10  # seconds, for every socket operation
IS_ROOT = os.geteuid() == 0


def poll_until(condition, limit=10.0, interval=0.02):
    """Call condition() until it is true or `limit` seconds pass; return its last value."""
    deadline = time.monotonic() + limit
    while True:
        value = condition()
        if value or time.monotonic() >= deadline:
            return value
        time.sleep(interval)


def open_fds(pid):
    return len(os.listdir("/proc/%d/fd" % pid))


def cpu_ticks(pid):
    with open("/proc/%d/stat" % pid) as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return int(fields[11]) + int(fields[12])  # utime + stime (fields 14 and 15)


def status_field(pid, name):
    """A field of /proc/<pid>/status (pid may be "PID/task/TID"), split on whitespace."""
    with open("/proc/%s/status" % pid) as f:
        for line in f:
            if line.startswith(name + ":"):
                return line.split(":", 1)[1].split()
    return None


def connect(port, source=None, timeout=TIMEOUT):
    sock = socket.create_connection(("127.0.0.1", port), timeout=timeout,
                                    source_address=(source, 0) if source else None)
    return sock


def read_line(sock):
    """One reply line (bytes, CRLF stripped); b"" if the server closed or reset first."""
    data = b""
    try:
        while not data.endswith(b"\n"):
            chunk = sock.recv(1)
            if not chunk:
                return b""
            data += chunk
    except (ConnectionResetError, socket.timeout, TimeoutError):
        return b""
    return data.rstrip(b"\r\n")


def reset_close(sock):
    """Close with a reset (RST), as when a client is killed."""
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    except OSError:
        pass
    sock.close()


def pasv_port(line):
    numbers = line[line.index(b"(") + 1:line.index(b")")].split(b",")
    return int(numbers[4]) * 256 + int(numbers[5])


class FaultCase(fx.ServerTestCase):

    def ftp(self, server, user="anonymous", password="guest@example.com", source=None):
        ftp = ftplib.FTP(timeout=TIMEOUT)
        self.addCleanup(ftp.close)
        try:
            ftp.connect("127.0.0.1", server.port, source_address=(source, 0) if source else None)
        except ftplib.Error:
            if ftp.sock is not None:
                ftp.sock.close()
            raise
        if user is not None:
            ftp.login(user, password)
        return ftp

    def assert_served(self, server, source=None):
        """A well-behaved client: log in, list, download, quit."""
        fx.write_file(server.path("ok.txt"), b"still serving")
        ftp = self.ftp(server, source=source)
        self.assertIn("ok.txt", ftp.nlst())
        chunks = []
        ftp.retrbinary("RETR ok.txt", chunks.append)
        self.assertEqual(b"".join(chunks), b"still serving")
        ftp.quit()


@unittest.skipUnless(IS_ROOT, "privilege tests need root")
class TestPrivileges(FaultCase):

    def test_root_without_run_as_or_allow_root_refuses(self):
        root = tempfile.mkdtemp(prefix="cppftpd-root-")
        self.addCleanup(shutil.rmtree, root, True)
        result = subprocess.run([fx.binary(), "-p", "0", "-d", root], stdin=subprocess.DEVNULL,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=TIMEOUT)
        self.assertEqual(result.returncode, 1, result.stderr)
        message = result.stderr.decode()
        self.assertIn("refusing to serve as root", message)
        self.assertIn("--run-as", message)
        self.assertIn("--allow-root", message)

    def test_run_as_nobody_serves_as_nobody(self):
        try:
            nobody = pwd.getpwnam("nobody")
        except KeyError:
            self.skipTest("no user 'nobody' on this system")
        server = fx.FtpServer(["--run-as", "nobody"])
        os.chmod(server.root, 0o755)  # mkdtemp makes it 0700: nobody must read the share
        self._test_servers.append(server)
        self.addCleanup(server.close)
        server.start()
        self.assertIsNotNone(server.wait_for_log(r"running as user nobody"), server.log())
        pid = server.proc.pid
        # Real, effective, saved and filesystem ids are all nobody's; no capability left.
        # Every thread, not only the main one (the worker pool existed before the switch).
        tasks = os.listdir("/proc/%d/task" % pid)
        self.assertGreater(len(tasks), 1)
        for task in tasks:
            where = "%d/task/%s" % (pid, task)
            self.assertEqual(status_field(where, "Uid"), [str(nobody.pw_uid)] * 4, where)
            self.assertEqual(status_field(where, "Gid"), [str(nobody.pw_gid)] * 4, where)
            self.assertNotIn("0", status_field(where, "Groups") or [], where)
            self.assertEqual(int(status_field(where, "CapEff")[0], 16), 0, where)
            self.assertEqual(int(status_field(where, "CapPrm")[0], 16), 0, where)
        fx.write_file(server.path("ok.txt"), b"still serving")
        os.chmod(server.path("ok.txt"), 0o644)
        self.assert_served(server)

    def test_run_as_unknown_user_exits_1(self):
        root = tempfile.mkdtemp(prefix="cppftpd-root-")
        self.addCleanup(shutil.rmtree, root, True)
        result = subprocess.run([fx.binary(), "-p", "0", "-d", root, "--run-as",
                                 "no-such-user-cppftpd"], stdin=subprocess.DEVNULL,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=TIMEOUT)
        self.assertEqual(result.returncode, 1, result.stderr)
        self.assertIn("cannot switch to user 'no-such-user-cppftpd'", result.stderr.decode())


class TestBanAndLoginTimeout(FaultCase):

    def test_ban_after_repeated_failures(self):
        server = self.start_server(["-u", "alice", "-P", "right", "--ban-after", "2",
                                    "--ban-time", "60", "--max-login-attempts", "5"])
        ftp = self.ftp(server, user=None)
        with self.assertRaises(ftplib.error_perm) as first:
            ftp.login("alice", "wrong")
        self.assertTrue(str(first.exception).startswith("530"), first.exception)
        with self.assertRaises(ftplib.error_temp) as second:
            ftp.login("alice", "wrong")
        self.assertTrue(str(second.exception).startswith("421"), second.exception)
        # A new connection from the banned address: 421 instead of the greeting.
        with self.assertRaises(ftplib.error_temp) as greeting:
            self.ftp(server, user=None)
        self.assertIn("Too many failed logins", str(greeting.exception))
        self.assertIsNotNone(server.wait_for_log(r"127\.0\.0\.1 banned for 60 s"), server.log())
        # Another address is served (all of 127.0.0.0/8 is loopback).
        ftp = self.ftp(server, user="alice", password="right", source="127.0.0.2")
        self.assertEqual(ftp.pwd(), "/")

    def test_login_timeout(self):
        server = self.start_server(["--login-timeout", "1"])
        sock = connect(server.port)
        self.addCleanup(sock.close)
        self.assertTrue(read_line(sock).startswith(b"220"))
        sock.sendall(b"USER anonymous\r\n")
        self.assertTrue(read_line(sock).startswith(b"331"))
        self.assertEqual(read_line(sock), b"421 Login timed out.")
        self.assertEqual(read_line(sock), b"")  # closed
        self.assert_served(server)


@unittest.skipUnless(IS_ROOT, "mounting a small tmpfs needs root")
class TestDiskFull(FaultCase):

    def test_stor_past_a_full_disk_is_452_and_the_server_goes_on(self):
        mount_point = tempfile.mkdtemp(prefix="cppftpd-full-")
        self.addCleanup(os.rmdir, mount_point)
        mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=1m", "tmpfs", mount_point],
                                 stdin=subprocess.DEVNULL, capture_output=True, timeout=TIMEOUT)
        if mounted.returncode != 0:
            self.skipTest("cannot mount a tmpfs here: %s" % mounted.stderr.decode().strip())
        self.addCleanup(subprocess.run, ["umount", "-l", mount_point], timeout=TIMEOUT)
        server = self.start_server(["-w", "-d", mount_point], directory_flag=False,
                                   cwd=mount_point)
        ftp = self.ftp(server)
        ftp.voidcmd("TYPE I")
        conn = ftp.transfercmd("STOR big.bin")
        try:
            conn.sendall(os.urandom(3 * 1024 * 1024))
        except OSError:
            pass  # the server closed the data connection when the disk filled up
        conn.close()
        with self.assertRaises(ftplib.Error) as full:
            ftp.voidresp()
        self.assertIn(str(full.exception)[:3], ("452", "552"), full.exception)
        # The session and the server go on: free the space, upload again.
        ftp.voidcmd("NOOP")
        self.assertIn("big.bin", ftp.nlst())
        ftp.delete("big.bin")
        ftp.storbinary("STOR small.bin", io.BytesIO(b"fits"))
        self.assertEqual(fx.read_file(os.path.join(mount_point, "small.bin")), b"fits")
        fx.write_file(os.path.join(mount_point, "ok.txt"), b"still serving")
        other = self.ftp(server)
        chunks = []
        other.retrbinary("RETR ok.txt", chunks.append)
        self.assertEqual(b"".join(chunks), b"still serving")


def limit_descriptors():
    resource.setrlimit(resource.RLIMIT_NOFILE, (64, 64))


class TestDescriptors(FaultCase):

    def test_out_of_descriptors_refuses_then_recovers(self):
        server = self.start_server([], preexec_fn=limit_descriptors)
        pid = server.proc.pid
        held = []
        self.addCleanup(lambda: [s.close() for s in held])
        greeted = refused = 0
        for _ in range(120):
            sock = connect(server.port, timeout=5)
            held.append(sock)
            line = read_line(sock)
            if line.startswith(b"220"):
                greeted += 1
            else:
                # 421 from the descriptor reserve, or closed: never left hanging.
                self.assertIn(line[:3], (b"421", b""), line)
                refused += 1
        self.assertGreater(greeted, 10)
        self.assertGreater(refused, 40)
        self.assertLessEqual(open_fds(pid), 64)
        self.assertIsNotNone(server.wait_for_log(r"accept failed: .*refused [1-9]\d* waiting"),
                             "the descriptor reserve was not used")
        # Saturated, the accept loop does not spin: a few more tries while every
        # descriptor is taken, and the CPU used over a second stays low.
        before = cpu_ticks(pid)
        start = time.monotonic()
        for _ in range(5):
            sock = connect(server.port, timeout=5)
            self.assertIn(read_line(sock)[:3], (b"421", b""))
            sock.close()
        elapsed = max(time.monotonic() - start, 0.0)
        time.sleep(max(0.0, 1.0 - elapsed))  # a measuring window, not a wait for an event
        ticks = cpu_ticks(pid) - before
        hz = os.sysconf("SC_CLK_TCK")
        self.assertLess(ticks, 0.3 * hz, "the server burnt CPU while out of descriptors")
        # Load drops: the server recovers.
        for sock in held:
            sock.close()
        held.clear()

        def served():
            try:
                ftp = ftplib.FTP(timeout=5)
                ftp.connect("127.0.0.1", server.port)
                ftp.login()
                ftp.nlst()
                ftp.quit()
                return True
            except (ftplib.Error, OSError, EOFError):
                return False

        self.assertTrue(poll_until(served, limit=10.0), server.log())
        self.assert_served(server)

    def abuse(self, port, i, rng):
        """One abusive connection, of eight kinds; returns sockets to close later."""
        kind = i % 8
        sock = connect(port, timeout=5)
        extra = []
        if kind == 7:  # connect and go, greeting unread
            return [sock]
        read_line(sock)
        if kind == 0:  # binary garbage
            sock.sendall(bytes(rng.getrandbits(8) for _ in range(300)))
        elif kind == 1:  # half a line
            sock.sendall(b"USER anonym")
        elif kind == 2:  # killed right after the greeting
            reset_close(sock)
            return []
        elif kind == 6:  # NUL bytes and an over-long line
            sock.sendall(b"NOOP\x00\x00\r\n" + b"A" * 5000 + b"\r\n")
        else:
            sock.sendall(b"USER anonymous\r\nPASS x@y\r\n")
            read_line(sock)
            read_line(sock)
            sock.sendall(b"PASV\r\n")
            line = read_line(sock)
            if kind in (4, 5) and line.startswith(b"227"):
                data = connect(pasv_port(line), timeout=5)
                extra.append(data)
                if kind == 5:  # a download whose control connection dies
                    sock.sendall(b"RETR big.bin\r\n")
                    reset_close(sock)
                    return extra
        return [sock] + extra

    def test_no_descriptor_leak_after_1000_abusive_connections(self):
        server = self.start_server([])
        pid = server.proc.pid
        with open(server.path("big.bin"), "wb") as f:
            f.truncate(32 * 1024 * 1024)
        self.assert_served(server)  # warm up whatever is made lazily

        def stable_count():
            first = open_fds(pid)
            time.sleep(0.05)
            return first if open_fds(pid) == first else None

        baseline = poll_until(stable_count, limit=5.0)
        self.assertIsNotNone(baseline)
        rng = random.Random(4)
        deadline = time.monotonic() + 90
        done = 0
        while done < 1000 and time.monotonic() < deadline:
            batch = []
            for i in range(done, min(done + 50, 1000)):
                batch += self.abuse(server.port, i, rng)
            for sock in batch:
                if rng.random() < 0.5:
                    reset_close(sock)
                else:
                    sock.close()
            done = min(done + 50, 1000)
        self.assertEqual(done, 1000, "the abuse did not finish within 90 s")
        # Half lines and unread greetings end at EOF; everything closes promptly.
        now = poll_until(lambda: open_fds(pid) <= baseline, limit=15.0)
        self.assertTrue(now, "descriptors: %d after, %d before" % (open_fds(pid), baseline))
        self.assertEqual(open_fds(pid), baseline)
        self.assert_served(server)


class TestIncompleteUploads(FaultCase):

    def killed_upload(self, server):
        ftp = self.ftp(server)
        ftp.voidcmd("TYPE I")
        conn = ftp.transfercmd("STOR partial.bin")
        conn.sendall(b"x" * 100000)
        self.assertTrue(poll_until(
            lambda: os.path.exists(server.path("partial.bin"))
            and os.path.getsize(server.path("partial.bin")) == 100000))
        reset_close(conn)
        reset_close(ftp.sock)
        self.assertIsNotNone(server.wait_for_log(r"STOR /partial\.bin completed=0"), server.log())

    def test_partial_upload_is_kept_by_default(self):
        server = self.start_server(["-w"])
        self.killed_upload(server)
        self.assertEqual(os.path.getsize(server.path("partial.bin")), 100000)
        self.assert_served(server)

    def test_delete_incomplete_removes_it(self):
        server = self.start_server(["-w", "--delete-incomplete"])
        self.killed_upload(server)
        self.assertTrue(poll_until(lambda: not os.path.exists(server.path("partial.bin"))))
        self.assert_served(server)


if __name__ == "__main__":
    fx.main()
