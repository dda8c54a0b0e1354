"""Shared fixture for the interop tests: runs the built cppftpd binary.

Every test script is invoked as ``python3 tests/interop/test_X.py <path-to-cppftpd>``
(see tests/CMakeLists.txt).  ``main()`` takes the binary path from ``sys.argv[1]``,
removes it, and hands the rest of the command line to ``unittest.main()``.

``FtpServer`` starts the binary with ``-p 0`` in a fresh temporary directory, reads the
port from its ">>> starting FTP server on ADDR:PORT, pid=N <<<" line on stderr (bounded:
10 s), keeps draining stderr in a thread (the log is printed when a test fails), and
stops it by its own PID: SIGTERM, a bounded wait, SIGKILL only if that wait expires.

Only loopback addresses (127.0.0.1 and ::1) are ever used as peers.  Nothing here sleeps
to wait for something it can poll for; every wait has a deadline.
"""

import hashlib
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import unittest

# Bounds, in seconds.
START_TIMEOUT = 10.0   # for the port line after exec
STOP_TIMEOUT = 10.0    # for the process to exit after SIGTERM
CLIENT_TIMEOUT = 30.0  # for one client command (curl, lftp) to finish

LOG_TAIL_LINES = 300   # lines of server log shown for a failed test

BINARY = None  # absolute path of cppftpd, set by main()

_PORT_LINE = re.compile(r">>> starting FTP server on (?P<addr>.*):(?P<port>\d+), pid=(?P<pid>\d+) <<<")


def binary():
    if BINARY is None:
        raise RuntimeError("ftpd_fixture.main() was not called with the cppftpd binary path")
    return BINARY


class ServerError(Exception):
    """The server failed to start or to stop as expected."""


class FtpServer:
    """One cppftpd process.

    ``args`` are extra command-line arguments.  Unless ``directory_flag`` is False, the
    server is given ``-d <root>`` where ``root`` is a fresh temporary directory (removed by
    ``close()``); ``cwd`` defaults to that directory too.
    """

    def __init__(self, args=(), directory_flag=True, cwd=None, port=0, env=None,
                 preexec_fn=None):
        self.root = tempfile.mkdtemp(prefix="cppftpd-interop-")
        self.preexec_fn = preexec_fn  # e.g. to lower RLIMIT_NOFILE (test_faults)
        self.args = list(args)
        self.directory_flag = directory_flag
        self.cwd = cwd if cwd is not None else self.root
        self.port_arg = port
        self.env = env
        self.proc = None
        self.port = None
        self.listen_addr = None
        self.returncode = None
        self._lines = []
        self._eof = False
        self._cond = threading.Condition()
        self._reader = None

    # -- life cycle ---------------------------------------------------------------

    def command(self):
        cmd = [binary(), "-p", str(self.port_arg)]
        if self.directory_flag:
            cmd += ["-d", self.root]
        # As root (CI), cppftpd refuses to serve without --run-as or --allow-root.
        if os.geteuid() == 0 and "--run-as" not in self.args and "--allow-root" not in self.args:
            cmd.append("--allow-root")
        return cmd + self.args

    def start(self):
        self.proc = subprocess.Popen(
            self.command(), cwd=self.cwd, env=self.env, preexec_fn=self.preexec_fn,
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        self._reader = threading.Thread(target=self._drain, name="cppftpd-stderr", daemon=True)
        self._reader.start()
        match = None

        def ready():
            nonlocal match
            for line in self._lines:
                match = _PORT_LINE.search(line)
                if match:
                    return True
            return self._eof

        with self._cond:
            self._cond.wait_for(ready, timeout=START_TIMEOUT)
        if match is None:
            exited = self.proc.poll()
            self._kill()
            raise ServerError(
                "cppftpd did not report its port within %.0f s (exit status %r)\n"
                "command: %s\n--- log ---\n%s" % (START_TIMEOUT, exited, " ".join(self.command()), self.log()))
        self.port = int(match.group("port"))
        self.listen_addr = match.group("addr")
        if int(match.group("pid")) != self.proc.pid:
            self._kill()
            raise ServerError("port line names pid %s, but the process is %d"
                              % (match.group("pid"), self.proc.pid))
        return self

    def _drain(self):
        stream = self.proc.stderr
        try:
            for raw in iter(stream.readline, b""):
                line = raw.decode("utf-8", "replace").rstrip("\r\n")
                with self._cond:
                    self._lines.append(line)
                    self._cond.notify_all()
        finally:
            with self._cond:
                self._eof = True
                self._cond.notify_all()

    def stop(self, sig=signal.SIGTERM, timeout=STOP_TIMEOUT):
        """Signal the server (by its own PID), wait for it, return its exit status.

        Raises ServerError when it had to be SIGKILLed.
        """
        if self.proc is None:
            return None
        if self.proc.poll() is None:
            try:
                os.kill(self.proc.pid, sig)
            except ProcessLookupError:
                pass
        killed = False
        try:
            self.returncode = self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            killed = True
            self._kill()
        self._join_reader()
        if killed:
            raise ServerError("cppftpd did not exit within %.0f s of signal %d; killed" % (timeout, sig))
        return self.returncode

    def _kill(self):
        if self.proc.poll() is None:
            try:
                os.kill(self.proc.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        self.returncode = self.proc.wait(timeout=STOP_TIMEOUT)
        self._join_reader()

    def _join_reader(self):
        if self._reader is not None:
            self._reader.join(timeout=STOP_TIMEOUT)
            if not self._reader.is_alive() and self.proc.stderr is not None:
                self.proc.stderr.close()

    def died(self):
        """Exit status if the process ended without stop() being called, else None."""
        if hasattr(self, "_unexpected_exit"):
            return self._unexpected_exit
        if self.proc is None or self.returncode is not None:
            return None
        status = self.proc.poll()
        if status is not None:
            self.returncode = status
            self._join_reader()
            self._unexpected_exit = status
        return getattr(self, "_unexpected_exit", None)

    def close(self):
        """Stop the server if running (never raises) and remove the temporary root."""
        try:
            if self.proc is not None and self.returncode is None:
                try:
                    self.stop()
                except ServerError as e:
                    sys.stderr.write("%s\n" % e)
        finally:
            shutil.rmtree(self.root, ignore_errors=True)

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.close()

    # -- log --------------------------------------------------------------------

    def log(self):
        with self._cond:
            return "\n".join(self._lines)

    def log_lines(self):
        with self._cond:
            return list(self._lines)

    def wait_for_log(self, pattern, timeout=10.0):
        """Wait (bounded) until a log line matches the regex; return the match or None."""
        regex = re.compile(pattern)
        found = None

        def seen():
            nonlocal found
            for line in self._lines:
                found = regex.search(line)
                if found:
                    return True
            return self._eof

        with self._cond:
            self._cond.wait_for(seen, timeout=timeout)
        return found

    # -- helpers ----------------------------------------------------------------

    def path(self, *parts):
        return os.path.join(self.root, *parts)

    def url(self, path="", host="127.0.0.1", user=None, password=None):
        """ftp:// URL; ``path`` must already be URL-encoded."""
        if ":" in host:
            host = "[%s]" % host
        cred = ""
        if user is not None:
            cred = user + (":" + password if password is not None else "") + "@"
        return "ftp://%s%s:%d/%s" % (cred, host, self.port, path.lstrip("/"))


# -- data helpers -------------------------------------------------------------------

def sha256_bytes(data):
    return hashlib.sha256(data).hexdigest()


def sha256_file(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def write_file(path, data):
    os.makedirs(os.path.dirname(path) or ".", exist_ok=True)
    with open(path, "wb") as f:
        f.write(data)


def read_file(path):
    with open(path, "rb") as f:
        return f.read()


def tree_digest(root):
    """{relative path: sha256 or "<dir>"} for every file and directory below root."""
    result = {}
    for dirpath, dirnames, filenames in os.walk(root):
        rel_dir = os.path.relpath(dirpath, root)
        for d in dirnames:
            result[os.path.normpath(os.path.join(rel_dir, d))] = "<dir>"
        for f in filenames:
            result[os.path.normpath(os.path.join(rel_dir, f))] = sha256_file(os.path.join(dirpath, f))
    return result


def run_client(cmd, timeout=CLIENT_TIMEOUT, **kwargs):
    """Run a client program; bounded by ``timeout``.  Returns CompletedProcess (bytes)."""
    return subprocess.run(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                          stderr=subprocess.PIPE, timeout=timeout, **kwargs)


def have_ipv6_loopback():
    import socket
    try:
        with socket.socket(socket.AF_INET6, socket.SOCK_STREAM) as s:
            s.bind(("::1", 0))
        return True
    except OSError:
        return False


# -- test case base -----------------------------------------------------------------

class ServerTestCase(unittest.TestCase):
    """TestCase that owns servers and prints their logs when a test fails.

    ``self.start_server(...)`` starts a server for the current test (stopped in cleanup);
    ``cls.start_class_server(...)`` starts one shared by the class (stopped in
    tearDownClass).
    """

    _class_servers = ()

    @classmethod
    def start_class_server(cls, *args, **kwargs):
        server = FtpServer(*args, **kwargs)
        if "_class_servers" not in cls.__dict__:  # this class's own list, not a base's
            cls._class_servers = []
        cls._class_servers.append(server)
        try:
            server.start()
        except BaseException:
            server.close()
            raise
        return server

    @classmethod
    def tearDownClass(cls):
        for server in cls._class_servers or ():
            server.close()
        cls._class_servers = []
        super().tearDownClass()

    def tearDown(self):
        # A server that died on its own (crash, SIGPIPE, abort) fails the test that saw it,
        # with its exit status: a dead server otherwise shows up only as confusing client
        # errors in later tests.
        for server in list(self._test_servers) + list(type(self)._class_servers or ()):
            status = server.died()
            if status is not None:
                self.fail("cppftpd exited unexpectedly with status %d%s" % (
                    status, " (killed by signal %d)" % -status if status < 0 else ""))
        super().tearDown()

    def start_server(self, *args, **kwargs):
        server = FtpServer(*args, **kwargs)
        self._test_servers.append(server)
        self.addCleanup(server.close)
        server.start()
        return server

    def run(self, result=None):
        self._test_servers = []
        before = None
        if result is not None:
            before = len(result.failures) + len(result.errors) + len(getattr(result, "unexpectedSuccesses", ()))
        outcome = super().run(result)
        if result is not None and before is not None:
            after = len(result.failures) + len(result.errors) + len(getattr(result, "unexpectedSuccesses", ()))
            if after > before:
                self._dump_logs()
        return outcome

    def _dump_logs(self):
        servers = list(self._test_servers) + list(type(self)._class_servers or ())
        for server in servers:
            lines = server.log_lines()
            shown = lines[-LOG_TAIL_LINES:]
            sys.stderr.write("\n--- cppftpd log for %s (%s; %d of %d lines) ---\n"
                             % (self.id(), " ".join(server.command()), len(shown), len(lines)))
            sys.stderr.write("\n".join(shown) + "\n--- end of log ---\n")


def main():
    """Take the binary path from argv[1], remove it, run unittest.main()."""
    global BINARY
    if len(sys.argv) < 2 or sys.argv[1].startswith("-"):
        sys.stderr.write("usage: %s <path-to-cppftpd> [unittest options]\n" % sys.argv[0])
        sys.exit(2)
    path = os.path.abspath(sys.argv.pop(1))
    if not (os.path.isfile(path) and os.access(path, os.X_OK)):
        sys.stderr.write("%s: not an executable file: %s\n" % (sys.argv[0], path))
        sys.exit(2)
    BINARY = path
    unittest.main(verbosity=2)
