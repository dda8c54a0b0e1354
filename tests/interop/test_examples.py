"""The embedding examples (examples/*.cpp), driven by Python's ftplib.

Run by CTest as ``python3 test_examples.py <path-to-cppftpd> <examples-dir>`` (see
tests/CMakeLists.txt).  Without the second argument the examples are looked for in
``<build>/examples``, derived from ``<build>/apps/cppftpd/cppftpd``.

Each example is started on port 0 in temporary directories; the test waits (bounded) for
its "listening on port N" line on standard output, talks to it over 127.0.0.1, and stops
it by its own PID with SIGTERM (or SIGINT), expecting a clean exit with status 0 within a
bounded wait.  ``ExampleProcess`` is also used by test_consumer.py.
"""

import ftplib
import io
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import unittest

import ftpd_fixture as fx

START_TIMEOUT = fx.START_TIMEOUT    # for the "listening on port N" line
STOP_TIMEOUT = fx.STOP_TIMEOUT      # for the exit after a signal
CLIENT_TIMEOUT = fx.CLIENT_TIMEOUT  # for one ftplib operation
LINE_TIMEOUT = 10.0                 # for an expected line of output

EXAMPLES_DIR = None  # set by main()

_LISTENING = re.compile(r"^listening on port (\d+)$")

# crypt(3) hashes for the users file of file_authorizer:
#   openssl passwd -6 -salt cppftpdexample alicepass
ALICE_HASH = ("$6$cppftpdexample$Zhx15l8uibR57fTKoFz1v5eYH/ILdi0ijLgSJvPLDLvwkb.qGmty1OuV"
              "YruMGdfFzUIkO0YJjzOv2spWIut6e1")
#   yescrypt of "bobpass" (mkpasswd -m yescrypt bobpass)
BOB_HASH = "$y$j9T$WD/AWgmoy5lkZ//rIpm1I1$2vW78PZ0QZfBmmAT9vuXfNy2kzDOtQMEmBow./fsJ.4"


class ExampleProcess:
    """One example (or any program that prints "listening on port N" once bound).

    Standard output and standard error are drained by threads into lists of lines, so
    the program never blocks on a full pipe and tests can wait for a line.
    """

    def __init__(self, argv, cwd=None):
        self.argv = [str(a) for a in argv]
        self.cwd = cwd
        self.proc = None
        self.port = None
        self.returncode = None
        self._out = []
        self._err = []
        self._open_streams = 0
        self._cond = threading.Condition()
        self._readers = []

    def _spawn(self):
        self.proc = subprocess.Popen(self.argv, cwd=self.cwd, stdin=subprocess.DEVNULL,
                                     stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        self._open_streams = 2
        for stream, lines in ((self.proc.stdout, self._out), (self.proc.stderr, self._err)):
            reader = threading.Thread(target=self._drain, args=(stream, lines), daemon=True)
            reader.start()
            self._readers.append(reader)

    def start(self):
        """Start the program and wait (bounded) for its port; raise fx.ServerError if none."""
        self._spawn()
        match = self.wait_for_line(_LISTENING.pattern, timeout=START_TIMEOUT)
        if match is None:
            status = self.proc.poll()
            self._kill()
            raise fx.ServerError("%s did not print its port within %.0f s (exit status %r)\n%s"
                                 % (" ".join(self.argv), START_TIMEOUT, status, self.output()))
        self.port = int(match.group(1))
        return self

    def run_to_exit(self, timeout=START_TIMEOUT):
        """Run a program expected to exit on its own (bounded); return its exit status."""
        self._spawn()
        return self.wait(timeout)

    def _drain(self, stream, lines):
        try:
            for raw in iter(stream.readline, b""):
                with self._cond:
                    lines.append(raw.decode("utf-8", "replace").rstrip("\r\n"))
                    self._cond.notify_all()
        finally:
            with self._cond:
                self._open_streams -= 1
                self._cond.notify_all()

    def wait_for_line(self, pattern, timeout=LINE_TIMEOUT, start=0):
        """Wait (bounded) for a stdout line, from index ``start`` on, matching the regex.

        Returns the match, or None on timeout or once stdout is closed without one.
        """
        regex = re.compile(pattern)
        found = None

        def seen():
            nonlocal found
            for line in self._out[start:]:
                found = regex.search(line)
                if found:
                    return True
            return self._open_streams == 0

        with self._cond:
            self._cond.wait_for(seen, timeout=timeout)
        return found

    def stdout_lines(self):
        with self._cond:
            return list(self._out)

    def stderr_text(self):
        with self._cond:
            return "\n".join(self._err)

    def output(self):
        with self._cond:
            return "--- stdout ---\n%s\n--- stderr ---\n%s" % ("\n".join(self._out),
                                                              "\n".join(self._err))

    def wait(self, timeout=STOP_TIMEOUT):
        """Wait (bounded) for the program to exit on its own; return its status."""
        try:
            self.returncode = self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self._kill()
            raise fx.ServerError("%s did not exit within %.0f s; killed"
                                 % (" ".join(self.argv), timeout))
        self._join_readers()
        return self.returncode

    def stop(self, sig=signal.SIGTERM, timeout=STOP_TIMEOUT):
        """Signal the program by its own PID and wait (bounded); return its exit status."""
        if self.proc.poll() is None:
            try:
                os.kill(self.proc.pid, sig)
            except ProcessLookupError:
                pass
        return self.wait(timeout)

    def _kill(self):
        if self.proc.poll() is None:
            try:
                os.kill(self.proc.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        self.returncode = self.proc.wait(timeout=STOP_TIMEOUT)
        self._join_readers()

    def _join_readers(self):
        for reader in self._readers:
            reader.join(timeout=STOP_TIMEOUT)
        if not any(reader.is_alive() for reader in self._readers):
            for stream in (self.proc.stdout, self.proc.stderr):
                stream.close()

    def close(self):
        """Stop the program if it still runs; never raises."""
        if self.proc is None or self.returncode is not None:
            return
        try:
            self.stop()
        except fx.ServerError as e:
            sys.stderr.write("%s\n" % e)


class ExampleTestCase(unittest.TestCase):
    """Owns the processes a test starts; shows their output when the test fails."""

    def run(self, result=None):
        self._processes = []
        before = None
        if result is not None:
            before = len(result.failures) + len(result.errors)
        outcome = super().run(result)
        if result is not None and len(result.failures) + len(result.errors) > before:
            for process in self._processes:
                sys.stderr.write("\n--- output of %s (%s) ---\n%s\n--- end ---\n"
                                 % (" ".join(process.argv), self.id(), process.output()))
        return outcome

    def program(self, name):
        path = os.path.join(EXAMPLES_DIR, name)
        if not os.access(path, os.X_OK):
            self.fail("example not built: %s" % path)
        return path

    def spawn(self, argv):
        """An ExampleProcess that is not started yet (stopped in cleanup if it is)."""
        process = ExampleProcess(argv)
        self._processes.append(process)
        self.addCleanup(process.close)
        return process

    def start_example(self, name, *args):
        return self.spawn([self.program(name)] + list(args)).start()

    def make_dir(self):
        path = tempfile.mkdtemp(prefix="cppftpd-example-")
        self.addCleanup(shutil.rmtree, path, True)
        return path

    def connect(self, process, user=None, password=None):
        """An ftplib session on 127.0.0.1, logged in (anonymous unless user is given)."""
        ftp = ftplib.FTP(timeout=CLIENT_TIMEOUT)
        ftp.connect("127.0.0.1", process.port)
        self.addCleanup(_close_quietly, ftp)
        if user is None:
            ftp.login()
        else:
            ftp.login(user, password)
        return ftp

    def assert_login_refused(self, process, user, password):
        ftp = ftplib.FTP(timeout=CLIENT_TIMEOUT)
        ftp.connect("127.0.0.1", process.port)
        self.addCleanup(_close_quietly, ftp)
        with self.assertRaises(ftplib.error_perm) as caught:
            ftp.login(user, password)
        self.assertTrue(str(caught.exception).startswith("530"), str(caught.exception))

    def assert_refused(self, call, code="550"):
        with self.assertRaises(ftplib.error_perm) as caught:
            call()
        self.assertTrue(str(caught.exception).startswith(code), str(caught.exception))

    def assert_stops_cleanly(self, process, sig=signal.SIGTERM):
        self.assertEqual(process.stop(sig), 0, process.output())

    def assert_start_fails(self, argv, status, message_pattern):
        """The program exits on its own with ``status``, saying ``message_pattern`` on stderr."""
        process = self.spawn(argv)
        try:
            self.assertEqual(process.run_to_exit(), status, process.output())
        except fx.ServerError as e:
            self.fail(str(e))
        self.assertFalse(any("listening on port" in l for l in process.stdout_lines()))
        self.assertRegex(process.stderr_text(), message_pattern)


def _close_quietly(ftp):
    try:
        ftp.close()
    except OSError:
        pass


def retrieve(ftp, command):
    chunks = []
    ftp.retrbinary(command, chunks.append)
    return b"".join(chunks)


class SeedTest(ExampleTestCase):
    """seed FTP_HOME PUB_HOME PORT: the DESIGN.md example."""

    def setUp(self):
        self.ftp_home = self.make_dir()
        self.pub_home = self.make_dir()
        self.server = self.start_example("seed", self.ftp_home, self.pub_home, "0")

    def test_user_has_every_permission(self):
        ftp = self.connect(self.server, "user", "12345")
        data = os.urandom(300_000)
        ftp.storbinary("STOR up.bin", io.BytesIO(data))
        self.assertEqual(fx.read_file(os.path.join(self.ftp_home, "up.bin")), data)
        self.assertEqual(retrieve(ftp, "RETR up.bin"), data)
        ftp.mkd("dir")
        ftp.rename("up.bin", "dir/moved.bin")
        self.assertEqual(ftp.nlst("dir"), ["moved.bin"])
        ftp.sendcmd("SITE CHMOD 600 dir/moved.bin")                     # M
        ftp.sendcmd("MFMT 20200102030405 dir/moved.bin")                # T
        self.assertEqual(ftp.sendcmd("MDTM dir/moved.bin"), "213 20200102030405")
        ftp.storbinary("APPE dir/moved.bin", io.BytesIO(b"tail"))       # a
        self.assertEqual(ftp.size("dir/moved.bin"), len(data) + 4)
        ftp.delete("dir/moved.bin")                                     # d
        ftp.rmd("dir")
        self.assertEqual(os.listdir(self.ftp_home), [])
        ftp.quit()
        self.assert_stops_cleanly(self.server)

    def test_anonymous_reads_pub_only(self):
        fx.write_file(os.path.join(self.pub_home, "hello.txt"), b"hello from pub\n")
        ftp = self.connect(self.server)  # anonymous
        self.assertEqual(ftp.nlst(), ["hello.txt"])
        lines = []
        ftp.retrlines("LIST", lines.append)
        self.assertEqual(len(lines), 1)
        self.assertIn("hello.txt", lines[0])
        self.assertEqual(retrieve(ftp, "RETR hello.txt"), b"hello from pub\n")
        self.assert_refused(lambda: ftp.storbinary("STOR new.txt", io.BytesIO(b"x")))
        self.assert_refused(lambda: ftp.mkd("dir"))
        self.assert_refused(lambda: ftp.delete("hello.txt"))
        self.assertEqual(os.listdir(self.pub_home), ["hello.txt"])
        ftp.quit()
        self.assert_stops_cleanly(self.server)

    def test_wrong_password(self):
        self.assert_login_refused(self.server, "user", "wrong")
        self.assert_login_refused(self.server, "nobody", "12345")
        self.assert_stops_cleanly(self.server)

    def test_sigint_with_a_session_open(self):
        # A logged-in idle session does not hold the server up: it is told 421 and closed.
        ftp = self.connect(self.server, "user", "12345")
        self.assertTrue(ftp.voidcmd("NOOP").startswith("200"))
        self.assert_stops_cleanly(self.server, signal.SIGINT)


class SeedArgumentsTest(ExampleTestCase):
    def test_missing_home_is_a_startup_error(self):
        pub = self.make_dir()
        missing = os.path.join(pub, "does-not-exist")
        self.assert_start_fails([self.program("seed"), missing, pub, "0"], 1,
                                r"seed: .*does-not-exist.*not an existing directory")

    def test_usage(self):
        self.assert_start_fails([self.program("seed"), "only-one"], 2, r"usage: seed")
        pub = self.make_dir()
        self.assert_start_fails([self.program("seed"), pub, pub, "65536"], 2, r"usage: seed")


class FileAuthorizerTest(ExampleTestCase):
    """file_authorizer USERS_FILE PORT: users with crypt(3) hashes, read from a file."""

    def setUp(self):
        self.alice_home = self.make_dir()
        self.bob_home = self.make_dir()
        self.users_file = os.path.join(self.make_dir(), "users")
        fx.write_file(self.users_file, (
            "# name:crypt-hash:home:perms\n"
            "\n"
            "alice:%s:%s:elr\n"
            "   # an indented comment\n"
            "bob:%s:%s:elradfmw\n" % (ALICE_HASH, self.alice_home, BOB_HASH, self.bob_home)
        ).encode())

    def start(self):
        server = self.start_example("file_authorizer", self.users_file, "0")
        self.assertIn("loaded 2 user(s) from %s" % self.users_file, server.stdout_lines())
        return server

    def test_read_only_user(self):
        fx.write_file(os.path.join(self.alice_home, "report.txt"), b"quarterly\n")
        server = self.start()
        ftp = self.connect(server, "alice", "alicepass")  # sha512-crypt
        self.assertEqual(ftp.nlst(), ["report.txt"])
        self.assertEqual(retrieve(ftp, "RETR report.txt"), b"quarterly\n")
        self.assert_refused(lambda: ftp.storbinary("STOR new.txt", io.BytesIO(b"x")))
        self.assert_refused(lambda: ftp.delete("report.txt"))
        self.assertEqual(os.listdir(self.alice_home), ["report.txt"])
        ftp.quit()
        self.assert_stops_cleanly(server)

    def test_writing_user(self):
        server = self.start()
        ftp = self.connect(server, "bob", "bobpass")  # yescrypt
        ftp.mkd("in")
        ftp.storbinary("STOR in/data.bin", io.BytesIO(b"bob's data"))
        self.assertEqual(fx.read_file(os.path.join(self.bob_home, "in", "data.bin")), b"bob's data")
        # bob has no M or T.
        self.assert_refused(lambda: ftp.sendcmd("SITE CHMOD 600 in/data.bin"))
        self.assert_refused(lambda: ftp.sendcmd("MFMT 20200102030405 in/data.bin"))
        ftp.quit()
        self.assert_stops_cleanly(server)

    def test_wrong_passwords(self):
        server = self.start()
        self.assert_login_refused(server, "alice", "bobpass")
        self.assert_login_refused(server, "bob", "bobpas")
        self.assert_login_refused(server, "carol", "alicepass")
        self.assert_stops_cleanly(server)

    def test_mistakes_in_the_file_are_startup_errors(self):
        program = self.program("file_authorizer")
        cases = [
            ("alice:%s:%s:elrX\n" % (ALICE_HASH, self.alice_home), r":1: unknown permission"),
            ("# ok\nalice:%s:%s\n" % (ALICE_HASH, self.alice_home), r":2: expected name:"),
            ("alice:12345:%s:elr\n" % self.alice_home, r":1: password hash .* not a"),
            ("alice:$6$saltonly:%s:elr\n" % self.alice_home, r":1: password hash .* incomplete"),
            ("alice:%s:/no/such/dir:elr\n" % ALICE_HASH, r":1: home .* not an existing"),
            ("alice:%s:%s:elr\nalice:%s:%s:elr\n" % (ALICE_HASH, self.alice_home, ALICE_HASH,
                                                     self.alice_home), r":2: .* listed twice"),
            ("# nobody\n", r": no users"),
        ]
        for text, pattern in cases:
            with self.subTest(pattern=pattern):
                fx.write_file(self.users_file, text.encode())
                self.assert_start_fails([program, self.users_file, "0"], 1,
                                        re.escape(self.users_file) + pattern)
        self.assert_start_fails([program, self.users_file + ".missing", "0"], 1,
                                r"cannot open users file")


class MemoryContentTest(ExampleTestCase):
    """memory_content PORT: a read-only MemoryFilesystem for anonymous users."""

    def setUp(self):
        self.server = self.start_example("memory_content", "0")

    def test_anonymous_reads_generated_files(self):
        ftp = self.connect(self.server)
        self.assertEqual(sorted(ftp.nlst()), ["README.txt", "data", "stats.txt"])
        self.assertEqual(ftp.nlst("/data"), ["numbers.csv"])
        facts = dict(ftp.mlsd("/data"))
        self.assertEqual(facts["numbers.csv"]["type"], "file")
        self.assertIn(b"in memory", retrieve(ftp, "RETR /README.txt"))
        csv = retrieve(ftp, "RETR /data/numbers.csv").decode().splitlines()
        self.assertEqual(csv[0], "n,square,cube")
        self.assertEqual(len(csv), 101)
        self.assertIn("12,144,1728", csv)
        self.assertEqual(int(facts["numbers.csv"]["size"]), sum(len(l) + 1 for l in csv))
        # The example's on_file_sent hook updates /stats.txt through its own handle on
        # the same tree: two downloads so far.
        self.assertEqual(retrieve(ftp, "RETR /stats.txt"), b"downloads: 2\n")
        self.assertEqual(retrieve(ftp, "RETR /stats.txt"), b"downloads: 3\n")
        ftp.quit()
        self.assert_stops_cleanly(self.server)

    def test_nothing_can_be_changed(self):
        ftp = self.connect(self.server)
        self.assert_refused(lambda: ftp.storbinary("STOR /new.txt", io.BytesIO(b"x")))
        self.assert_refused(lambda: ftp.mkd("/dir"))
        self.assert_refused(lambda: ftp.delete("/README.txt"))
        self.assert_refused(lambda: ftp.rename("/README.txt", "/OLD.txt"))
        self.assertEqual(sorted(ftp.nlst()), ["README.txt", "data", "stats.txt"])
        ftp.quit()
        self.assert_login_refused(self.server, "user", "12345")  # only anonymous
        self.assert_stops_cleanly(self.server)


class UploadLogTest(ExampleTestCase):
    """upload_log HOME PORT: one line on stdout per completed or incomplete upload."""

    LINE = r"^upload (?P<outcome>complete|incomplete): user=user peer=127\.0\.0\.1:%d " \
           r"bytes=(?P<bytes>\d+) path=%s$"

    def setUp(self):
        self.home = self.make_dir()
        self.server = self.start_example("upload_log", self.home, "0")

    def upload_lines(self, path):
        return [l for l in self.server.stdout_lines()
                if l.startswith("upload ") and l.endswith(" path=" + path)]

    def test_completed_uploads(self):
        ftp = self.connect(self.server, "user", "12345")
        client_port = ftp.sock.getsockname()[1]
        data = os.urandom(100_000)
        ftp.storbinary("STOR full.bin", io.BytesIO(data))
        match = self.server.wait_for_line(self.LINE % (client_port, re.escape("/full.bin")))
        self.assertIsNotNone(match, self.server.output())
        self.assertEqual(match.group("outcome"), "complete")
        self.assertEqual(int(match.group("bytes")), len(data))
        # APPE counts too; the path comes last, so spaces in it are fine.
        ftp.mkd("sub dir")
        ftp.storbinary("APPE sub dir/with space.txt", io.BytesIO(b"12345"))
        match = self.server.wait_for_line(self.LINE % (client_port,
                                                       re.escape("/sub dir/with space.txt")))
        self.assertIsNotNone(match, self.server.output())
        self.assertEqual((match.group("outcome"), match.group("bytes")), ("complete", "5"))
        # Downloads are not uploads.
        self.assertEqual(retrieve(ftp, "RETR full.bin"), data)
        self.assertTrue(ftp.voidcmd("NOOP").startswith("200"))
        self.assertEqual(len(self.upload_lines("/full.bin")), 1)
        ftp.quit()
        self.assert_stops_cleanly(self.server)

    def test_aborted_upload(self):
        ftp = self.connect(self.server, "user", "12345")
        client_port = ftp.sock.getsockname()[1]
        ftp.voidcmd("TYPE I")
        sent = 64 * 1024
        conn = ftp.transfercmd("STOR part.bin")
        conn.sendall(os.urandom(sent))
        reply = ftp.abort()  # ABOR while the data connection is still open
        conn.close()
        self.assertIn(reply[:3], ("426", "225", "226"), reply)
        if reply.startswith("426"):
            # RFC 959 4.1.3: 426 for the aborted transfer, then 226 for the ABOR.
            self.assertIn(ftp.voidresp()[:3], ("225", "226"))
        match = self.server.wait_for_line(self.LINE % (client_port, re.escape("/part.bin")))
        self.assertIsNotNone(match, self.server.output())
        self.assertEqual(match.group("outcome"), "incomplete")
        self.assertLessEqual(int(match.group("bytes")), sent)
        # The partial file is kept, with what arrived.
        self.assertEqual(os.path.getsize(os.path.join(self.home, "part.bin")),
                         int(match.group("bytes")))
        # Exactly one line for it, after a round trip on the same session.
        self.assertTrue(ftp.voidcmd("NOOP").startswith("200"))
        self.assertEqual(len(self.upload_lines("/part.bin")), 1)
        ftp.quit()
        self.assert_stops_cleanly(self.server)

    def test_dropped_connection(self):
        # The client disappears mid-upload (no QUIT, no ABOR): the hook still fires, once.
        ftp = self.connect(self.server, "user", "12345")
        client_port = ftp.sock.getsockname()[1]
        ftp.voidcmd("TYPE I")
        conn = ftp.transfercmd("STOR dropped.bin")
        conn.sendall(b"x" * 1000)
        ftp.close()
        conn.close()
        # Closing the data connection could look like the end of the file, so either
        # outcome is possible; what matters is exactly one line, with at most 1000 bytes.
        match = self.server.wait_for_line(self.LINE % (client_port, re.escape("/dropped.bin")))
        self.assertIsNotNone(match, self.server.output())
        self.assertLessEqual(int(match.group("bytes")), 1000)
        self.assert_stops_cleanly(self.server)
        self.assertEqual(len(self.upload_lines("/dropped.bin")), 1)


def main():
    global EXAMPLES_DIR
    if len(sys.argv) < 2 or sys.argv[1].startswith("-"):
        sys.stderr.write("usage: %s <path-to-cppftpd> [<examples-dir>] [unittest options]\n"
                         % sys.argv[0])
        sys.exit(2)
    binary = os.path.abspath(sys.argv.pop(1))
    if len(sys.argv) > 1 and not sys.argv[1].startswith("-"):
        EXAMPLES_DIR = os.path.abspath(sys.argv.pop(1))
    else:
        # <build>/apps/cppftpd/cppftpd -> <build>/examples
        EXAMPLES_DIR = os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(binary))),
                                    "examples")
    if not os.path.isdir(EXAMPLES_DIR):
        sys.stderr.write("%s: no examples directory: %s\n" % (sys.argv[0], EXAMPLES_DIR))
        sys.exit(2)
    unittest.main(verbosity=2)


if __name__ == "__main__":
    main()
