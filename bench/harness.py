#!/usr/bin/env python3
"""cppftpd's benchmark harness: started by bench/run, never part of the tests.

Starts each FTP server in turn on a loopback port with a temporary root directory and a
comparable configuration (anonymous login with write access, passive mode, no TLS, minimal
logging, sendfile where the server has it), runs the same bounded workloads against each,
stops it by PID, and writes a Markdown report (bench/results/<date>.md, plus the raw figures
as <date>.json) that it also prints.

All traffic goes to 127.0.0.1. Every load loop is bounded in count and in time; the processes
stopped are only those this script started, by PID.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import pwd
import resource
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
PEERS = HERE / ".peers" / "root"
PEER_LIBS = [PEERS / "usr/lib/x86_64-linux-gnu", PEERS / "lib/x86_64-linux-gnu"]
CLK_TCK = os.sysconf("SC_CLK_TCK")
PAGE = os.sysconf("SC_PAGE_SIZE")
HOST = "127.0.0.1"

MiB = 1 << 20
GiB = 1 << 30

# Sizes and bounds of the workloads (--quick shrinks them to check the harness itself).
FULL = dict(
    big=1 * GiB, upload=512 * MiB, runs=3, small_count=1000,
    concurrency=[50, 200, 500], sessions_target=2000, start_window=20.0, session_limit=45.0,
    connect_parallel=32, connect_seconds=10.0,
)
QUICK = dict(
    big=64 * MiB, upload=32 * MiB, runs=2, small_count=200,
    concurrency=[20, 50], sessions_target=200, start_window=8.0, session_limit=15.0,
    connect_parallel=8, connect_seconds=2.0,
)
ALL_SERVERS = ["cppftpd", "vsftpd", "proftpd", "pure-ftpd", "pyftpdlib"]
OVERALL_LIMIT = 14 * 60  # seconds: after this, remaining workloads are skipped, not run


def log(msg: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {msg}", file=sys.stderr, flush=True)


# --------------------------------------------------------------------------------------------
# /proc helpers: the server's process tree, its CPU time and its memory
# --------------------------------------------------------------------------------------------

def read_stat(pid: int) -> list[str] | None:
    try:
        raw = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    # comm may contain spaces and parentheses: split after the last ')'.
    rest = raw[raw.rfind(")") + 2:].split()
    return rest  # rest[0] is field 3 (state)


# The harness is a child subreaper (prctl PR_SET_CHILD_SUBREAPER): a server's process whose
# parent exits before it (vsftpd's session processes do that) is re-parented to the harness,
# not to init, so its CPU time stays countable. The PIDs the harness started itself are in
# OWN_CHILDREN; any other child of the harness is such an orphan of the server under test
# (only one server runs at a time).
OWN_CHILDREN: set[int] = set()


def become_subreaper() -> bool:
    try:
        import ctypes
        libc = ctypes.CDLL(None, use_errno=True)
        return libc.prctl(36, 1, 0, 0, 0) == 0  # PR_SET_CHILD_SUBREAPER
    except (OSError, AttributeError):
        return False


def children_map() -> dict[int, list[int]]:
    parents: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        st = read_stat(int(entry))
        if st is None:
            continue
        parents.setdefault(int(st[1]), []).append(int(entry))
    return parents


def process_tree(root: int, parents: dict[int, list[int]] | None = None) -> list[int]:
    """root and every descendant, found through /proc/*/stat parent links."""
    if parents is None:
        parents = children_map()
    tree, todo = [], [root]
    while todo:
        pid = todo.pop()
        tree.append(pid)
        todo.extend(parents.get(pid, []))
    return tree


def orphans(parents: dict[int, list[int]]) -> list[int]:
    """Children of the harness that it did not start: orphans of the server under test."""
    return [p for p in parents.get(os.getpid(), []) if p not in OWN_CHILDREN]


def server_processes(root: int) -> list[int]:
    """The server's process tree plus its orphans (and their descendants)."""
    parents = children_map()
    pids = process_tree(root, parents)
    for orphan in orphans(parents):
        pids.extend(process_tree(orphan, parents))
    return pids


def reap_orphans() -> None:
    """Collects the orphans that have exited. Only called between measurements: once reaped,
    their CPU moves into the harness's own children's rusage."""
    for pid in orphans(children_map()):
        try:
            os.waitpid(pid, os.WNOHANG)
        except ChildProcessError:
            pass


def live_processes(root: int) -> int:
    """Processes of the server that are not zombies (a zombie awaits its parent's wait())."""
    count = 0
    for pid in server_processes(root):
        st = read_stat(pid)
        if st is not None and st[0] != "Z":
            count += 1
    return count


def server_cpu_seconds(root: int) -> float:
    """utime+stime+cutime+cstime summed over the server's processes: the CPU of live (and
    zombie) processes plus that of every descendant already reaped (the kernel adds it to the
    reaper's cutime/cstime)."""
    total = 0
    for pid in server_processes(root):
        st = read_stat(pid)
        if st is None:
            continue
        # fields 14..17 (1-based) are utime stime cutime cstime; rest[0] is field 3.
        total += sum(int(x) for x in st[11:15])
    return total / CLK_TCK


class CpuCgroup:
    """A cgroup-v1 cpuacct group of its own for the server under test, when the machine offers
    one: the kernel then counts the CPU of every process the server ever forks, however they
    end. Counting through /proc alone misses processes reaped without wait() (a parent that
    ignores SIGCHLD): on this machine that lost about a fifth of vsftpd's CPU. The group only
    accounts (cpuacct), it limits nothing, and it is removed when the server has stopped."""

    ROOT = Path("/sys/fs/cgroup/cpuacct")

    def __init__(self, name: str):
        self.path = self.ROOT / f"cppftpd-bench-{os.getpid()}-{name}"
        self.ok = False
        try:
            if (self.ROOT / "cpuacct.usage").exists():
                self.path.mkdir(exist_ok=True)
                self.ok = (self.path / "cpuacct.usage").exists()
        except OSError:
            self.ok = False

    def wrap(self, argv: list[str]) -> list[str]:
        """argv run inside the group: sh joins it, then execs argv (same PID)."""
        if not self.ok:
            return argv
        return ["sh", "-c", 'echo $$ > "$0" && exec "$@"', str(self.path / "cgroup.procs")] + argv

    def seconds(self) -> float:
        return int((self.path / "cpuacct.usage").read_text()) / 1e9

    def remove(self) -> None:
        if not self.path.exists():
            return
        for _ in range(50):
            try:
                self.path.rmdir()
                return
            except OSError:
                time.sleep(0.1)  # exiting processes still leaving the group
        log(f"could not remove {self.path}")


def kernel_threads_cpu_seconds() -> float:
    """CPU of kernel threads (children of kthreadd, PID 2): kworkers, ksoftirqd, ... Some of
    it is work a server causes (tearing down vsftpd's per-session network namespaces, for
    one), some is anybody's."""
    total = 0
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        st = read_stat(int(entry))
        if st is not None and (entry == "2" or st[1] == "2"):
            total += int(st[11]) + int(st[12])
    return total / CLK_TCK


def machine_busy_seconds(tasks_only: bool = False) -> float:
    """CPU seconds all cores have spent busy since boot (/proc/stat: all but idle and iowait).

    tasks_only: only user, nice and system time, which the kernel charges to processes;
    interrupt and softirq time (where loopback TCP is mostly processed) is left out, since it
    cannot be told apart between this benchmark and anyone else."""
    fields = [int(x) for x in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
    if tasks_only:
        return (fields[0] + fields[1] + fields[2]) / CLK_TCK
    idle = fields[3] + (fields[4] if len(fields) > 4 else 0)
    # guest and guest_nice (fields 9, 10) are already counted in user and nice.
    return (sum(fields[:8]) - idle) / CLK_TCK


def own_cpu_seconds() -> tuple[float, float]:
    """(this harness, its reaped children: the clients) in CPU seconds."""
    me = resource.getrusage(resource.RUSAGE_SELF)
    kids = resource.getrusage(resource.RUSAGE_CHILDREN)
    return me.ru_utime + me.ru_stime, kids.ru_utime + kids.ru_stime


def wait_for_quiet(max_wait: float, threshold: float = 0.3) -> float:
    """Waits (at most max_wait s) until other processes use less than `threshold` cores over
    one second; returns the load seen last, in cores."""
    deadline = time.monotonic() + max_wait
    while True:
        b0, t0 = machine_busy_seconds(), time.monotonic()
        time.sleep(1.0)
        load = (machine_busy_seconds() - b0) / (time.monotonic() - t0)
        if load < threshold or time.monotonic() >= deadline:
            return load


def status_kib(pid: int, key: str) -> int:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(key + ":"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


def pss_kib(pid: int) -> int:
    try:
        for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
            if line.startswith("Pss:"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


def reset_peak_rss(pid: int) -> None:
    # "5" resets VmHWM to the current RSS (proc(5), clear_refs).
    try:
        Path(f"/proc/{pid}/clear_refs").write_text("5")
    except OSError:
        pass


class MemorySampler:
    """Peak memory of the server's whole process tree while a workload runs.

    Every 0.5 s it sums the PSS (proportional set size: shared pages split between the
    processes that share them) over the tree, so forking servers are not charged their
    shared pages once per process. For the main process, VmHWM is read at the end as well,
    which catches peaks between samples.
    """

    def __init__(self, root: int, interval: float = 0.5):
        self.root = root
        self.interval = interval
        self.peak_kib = 0
        self.peak_procs = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self):
        reset_peak_rss(self.root)
        self._thread.start()
        return self

    def _sample(self) -> None:
        pids = server_processes(self.root)
        live = 0
        for pid in pids:
            st = read_stat(pid)
            if st is not None and st[0] != "Z":
                live += 1
        self.peak_procs = max(self.peak_procs, live)
        self.peak_kib = max(self.peak_kib, sum(pss_kib(p) for p in pids))

    def _run(self) -> None:
        while not self._stop.is_set():
            self._sample()
            self._stop.wait(self.interval)

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join()
        self._sample()
        self.peak_kib = max(self.peak_kib, status_kib(self.root, "VmHWM"))


# --------------------------------------------------------------------------------------------
# Servers
# --------------------------------------------------------------------------------------------

def free_port(avoid: set[int]) -> int:
    """A loopback TCP port that is free now, below the ephemeral range."""
    for port in range(2121, 2999):
        if port in avoid:
            continue
        with socket.socket() as s:
            try:
                s.bind((HOST, port))
            except OSError:
                continue
        return port
    raise RuntimeError("no free control port in 2121-2998")


class Server:
    """One server process (and its children) that this harness started."""

    name = "?"

    def __init__(self, work: Path, root: Path, port: int, pasv: tuple[int, int]):
        self.work = work
        self.root = root
        self.port = port
        self.pasv = pasv
        self.proc: subprocess.Popen | None = None
        self.log_path = work / f"{self.name}.log"
        self.notes: list[str] = []
        self.cgroup: CpuCgroup | None = None

    def cpu_seconds(self) -> float:
        """CPU of the server and everything it forked: from its cpuacct group when it has one,
        else summed over its process tree and orphans through /proc."""
        if self.cgroup is not None and self.cgroup.ok:
            return self.cgroup.seconds()
        return server_cpu_seconds(self.pid)

    # Subclasses: return (argv, env) after writing any config file into self.work.
    def command(self) -> tuple[list[str], dict[str, str]]:
        raise NotImplementedError

    def version(self) -> str:
        return "?"

    def available(self) -> str | None:
        """None when the server can be started, else the reason it cannot."""
        return None

    @property
    def pid(self) -> int:
        assert self.proc is not None
        return self.proc.pid

    def start(self) -> None:
        argv, env = self.command()
        if self.cgroup is not None:
            argv = self.cgroup.wrap(argv)
        full_env = dict(os.environ)
        full_env.update(env)
        if getattr(self, "log_file", None) is not None:
            self.log_file.close()
        self.log_file = open(self.log_path, "ab")
        self.proc = subprocess.Popen(
            argv, stdin=subprocess.DEVNULL, stdout=self.log_file, stderr=subprocess.STDOUT,
            env=full_env, cwd=self.work, start_new_session=True)
        OWN_CHILDREN.add(self.proc.pid)
        deadline = time.monotonic() + 10
        last_error = "no answer"
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"exited with status {self.proc.returncode}: {self.log_tail()}")
            try:
                with socket.create_connection((HOST, self.port), timeout=2) as s:
                    s.settimeout(5)
                    greeting = s.recv(512).decode("latin-1", "replace")
                    if greeting.startswith("220"):
                        s.sendall(b"QUIT\r\n")
                        try:
                            s.recv(512)
                        except OSError:
                            pass
                        self.settle(baseline=None, timeout=3)
                        self.baseline_procs = live_processes(self.pid)
                        return
                    last_error = f"greeting {greeting.strip()!r}"
            except OSError as e:
                last_error = str(e)
            time.sleep(0.1)
        self.stop()
        raise RuntimeError(f"not ready within 10 s ({last_error}): {self.log_tail()}")

    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def death(self) -> str:
        """How the process ended, for the report."""
        assert self.proc is not None
        code = self.proc.returncode
        if code is not None and code < 0:
            try:
                return f"killed by signal {signal.Signals(-code).name}"
            except ValueError:
                return f"killed by signal {-code}"
        return f"exited with status {code}"

    def settle(self, baseline: int | None, timeout: float = 10.0) -> None:
        """Waits until the sessions of the last workload are gone (forking servers)."""
        if baseline is None:
            baseline = getattr(self, "baseline_procs", 1)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline and self.alive():
            if live_processes(self.pid) <= baseline:
                return
            time.sleep(0.1)

    def stop(self) -> None:
        """SIGTERM to the PID we started, SIGKILL after 10 s; then any of its descendants
        that outlived it (found before the stop, killed by PID)."""
        if self.proc is None:
            return
        descendants = [p for p in server_processes(self.proc.pid) if p != self.proc.pid]
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.notes.append("did not stop within 10 s of SIGTERM; killed")
                self.proc.kill()
                self.proc.wait()
        for pid in descendants:
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        time.sleep(0.2)
        reap_orphans()
        OWN_CHILDREN.discard(self.proc.pid)
        self.log_file.close()

    def log_tail(self, lines: int = 6) -> str:
        try:
            text = self.log_path.read_bytes()[-4000:].decode("utf-8", "replace")
        except OSError:
            return ""
        tail = [l for l in text.splitlines() if l.strip()][-lines:]
        return " | ".join(tail)


class Cppftpd(Server):
    name = "cppftpd"
    binary = REPO / "build-bench" / "apps" / "cppftpd" / "cppftpd"

    def available(self):
        return None if self.binary.exists() else f"{self.binary} is missing (build failed?)"

    def version(self):
        out = subprocess.run([str(self.binary), "--version"], capture_output=True, text=True)
        v = (out.stdout or out.stderr).strip().splitlines()[0] if (out.stdout or out.stderr) else "?"
        commit = subprocess.run(["git", "-C", str(REPO), "rev-parse", "--short", "HEAD"],
                                capture_output=True, text=True).stdout.strip()
        dirty = subprocess.run(["git", "-C", str(REPO), "status", "--porcelain", "--", "src",
                                "include", "apps"], capture_output=True, text=True).stdout.strip()
        return f"{v} ({commit}{'+uncommitted changes' if dirty else ''})"

    def command(self):
        # No flag lowers cppftpd's log level: its per-session INFO lines go to a file here.
        # As root, cppftpd refuses to serve without --run-as or --allow-root.
        root = ["--allow-root"] if os.geteuid() == 0 else []
        return [str(self.binary), "-i", HOST, "-p", str(self.port), "-d", str(self.root), "-w",
                "--max-cons", "2000", "--max-cons-per-ip", "0",
                "-r", f"{self.pasv[0]}-{self.pasv[1]}", "--timeout", "600"] + root, {}


class Vsftpd(Server):
    name = "vsftpd"

    def available(self):
        if not shutil.which("vsftpd"):
            return "vsftpd is not installed (run bench/setup)"
        if os.geteuid() != 0:
            return "needs root (chroot, privilege separation)"
        return ftp_account_problem()

    def version(self):
        return "vsftpd " + deb_version("vsftpd")

    def command(self):
        empty = self.work / "vsftpd-empty"
        empty.mkdir(exist_ok=True)
        os.chmod(empty, 0o755)
        conf = self.work / "vsftpd.conf"
        conf.write_text(f"""\
# Generated by bench/harness.py: anonymous with write access, passive only, no TLS, no logs.
listen=YES
listen_ipv6=NO
listen_address={HOST}
listen_port={self.port}
background=NO
run_as_launching_user=NO
anonymous_enable=YES
no_anon_password=YES
local_enable=NO
write_enable=YES
anon_upload_enable=YES
anon_mkdir_write_enable=YES
anon_other_write_enable=YES
anon_umask=022
anon_root={self.root}
ftp_username=ftp
nopriv_user=nobody
secure_chroot_dir={empty}
pasv_enable=YES
pasv_min_port={self.pasv[0]}
pasv_max_port={self.pasv[1]}
port_enable=YES
max_clients=2000
max_per_ip=2000
xferlog_enable=NO
syslog_enable=NO
log_ftp_protocol=NO
dirmessage_enable=NO
use_sendfile=YES
ssl_enable=NO
seccomp_sandbox=NO
idle_session_timeout=600
data_connection_timeout=600
""" + self.extra_config)
        return ["vsftpd", str(conf)], {}

    extra_config = ""


class VsftpdNoIsolate(Vsftpd):
    """vsftpd without its per-session PID/IPC/network namespaces (isolate=NO,
    isolate_network=NO): not in the default list; shows what that sandboxing costs."""
    name = "vsftpd-noisolate"
    extra_config = "isolate=NO\nisolate_network=NO\n"


class Proftpd(Server):
    name = "proftpd"
    binary = PEERS / "usr" / "sbin" / "proftpd"

    def available(self):
        if not self.binary.exists():
            return "not unpacked in bench/.peers (run bench/setup)"
        if os.geteuid() != 0:
            return "needs root (chroot of the anonymous login)"
        return ftp_account_problem()

    def version(self):
        return "ProFTPD " + deb_file_version("proftpd-core")

    def env(self):
        return {"LD_LIBRARY_PATH": ":".join(str(p) for p in PEER_LIBS)}

    def command(self):
        conf = self.work / "proftpd.conf"
        conf.write_text(f"""\
# Generated by bench/harness.py: anonymous with write access, passive only, no TLS, no logs.
ServerType standalone
ServerName "bench"
Port {self.port}
DefaultAddress {HOST}
SocketBindTight on
UseIPv6 off
User nobody
Group nogroup
PidFile {self.work}/proftpd.pid
ScoreboardFile {self.work}/proftpd.scoreboard
MaxInstances 2000
UseReverseDNS off
DelayEngine off
WtmpLog off
TransferLog NONE
SyslogLevel emerg
UseSendfile on
PassivePorts {self.pasv[0]} {self.pasv[1]}
RequireValidShell off
TimeoutIdle 600
TimeoutNoTransfer 600
MaxClients 2000
MaxClientsPerHost 2000
<Anonymous {self.root}>
  User ftp
  Group ftp
  UserAlias anonymous ftp
  RequireValidShell off
  AnonRequirePassword off
  MaxClients 2000
  <Limit WRITE>
    AllowAll
  </Limit>
</Anonymous>
""")
        return [str(self.binary), "-n", "-c", str(conf)], self.env()


class PureFtpd(Server):
    name = "pure-ftpd"
    binary = PEERS / "usr" / "sbin" / "pure-ftpd"

    def available(self):
        if not self.binary.exists():
            return "not unpacked in bench/.peers (run bench/setup)"
        if os.geteuid() != 0:
            return "needs root (chroot, and a mount namespace for the anonymous root)"
        if not shutil.which("unshare"):
            return "unshare (util-linux) is missing"
        problem = ftp_account_problem()
        if problem:
            return problem
        probe = subprocess.run(["unshare", "-m", "--propagation", "private", "true"],
                               capture_output=True, text=True)
        if probe.returncode != 0:
            return f"cannot make a mount namespace: {probe.stderr.strip()}"
        return None

    def version(self):
        return "Pure-FTPd " + deb_file_version("pure-ftpd")

    def command(self):
        # Pure-FTPd's anonymous root is always the home directory of the "ftp" account. To
        # serve our temporary root instead, it runs in a private mount namespace where that
        # home is a bind mount of the root; the host's mounts are untouched, and exec keeps
        # the PID we started.
        home = pwd.getpwnam("ftp").pw_dir
        flags = [
            "-S", f"{HOST},{self.port}", "-4",      # loopback, IPv4
            "-e",                                    # anonymous only
            "-M",                                    # anonymous may create directories
            "-H",                                    # no reverse DNS
            "-f", "none",                            # no syslog
            "-c", "2000", "-C", "2000",              # clients in all and per IP
            "-p", f"{self.pasv[0]}:{self.pasv[1]}",  # passive ports
            "-I", "600",                             # idle timeout (minutes)
            "-m", "1000",                            # do not refuse anonymous on load average
        ]
        script = (f'mount --bind "$1" "$2" && shift 2 && exec "$@"')
        argv = ["unshare", "-m", "--propagation", "private", "sh", "-c", script, "sh",
                str(self.root), home, str(self.binary)] + flags
        return argv, {"LD_LIBRARY_PATH": ":".join(str(p) for p in PEER_LIBS)}


class Pyftpdlib(Server):
    name = "pyftpdlib"
    python = "/usr/bin/python3"  # Debian's, where python3-pyftpdlib is installed

    def available(self):
        ok = subprocess.run([self.python, "-c", "import pyftpdlib"], capture_output=True)
        return None if ok.returncode == 0 else "python3-pyftpdlib is not installed (run bench/setup)"

    def version(self):
        out = subprocess.run([self.python, "-c", "import pyftpdlib; print(pyftpdlib.__ver__)"],
                             capture_output=True, text=True)
        return "pyftpdlib " + out.stdout.strip()

    def command(self):
        script = self.work / "pyftpdlib_server.py"
        script.write_text(f"""\
# Generated by bench/harness.py: the equivalent of `python3 -m pyftpdlib -w`, with logging at
# WARNING and the same connection limits as the other servers.
import logging
from pyftpdlib.authorizers import DummyAuthorizer
from pyftpdlib.handlers import FTPHandler
from pyftpdlib.servers import FTPServer

logging.basicConfig(level=logging.WARNING)
authorizer = DummyAuthorizer()
authorizer.add_anonymous({str(self.root)!r}, perm="elradfmwMT")
FTPHandler.authorizer = authorizer
FTPHandler.passive_ports = range({self.pasv[0]}, {self.pasv[1]} + 1)
FTPHandler.use_sendfile = True
FTPHandler.timeout = 600
server = FTPServer(({HOST!r}, {self.port}), FTPHandler, backlog=1024)
server.max_cons = 2000
server.max_cons_per_ip = 0
server.serve_forever()
""")
        return [self.python, str(script)], {}


def ftp_account_problem() -> str | None:
    """Anonymous FTP in vsftpd, ProFTPD and Pure-FTPd runs as the account "ftp", whose home
    must exist (vsftpd changes into it before anon_root; Pure-FTPd serves it)."""
    try:
        home = pwd.getpwnam("ftp").pw_dir
    except KeyError:
        return "no 'ftp' account (run bench/setup)"
    if not os.path.isdir(home):
        return f"the 'ftp' account's home {home} does not exist (run bench/setup)"
    return None


SERVER_CLASSES = {c.name: c for c in (Cppftpd, Vsftpd, Proftpd, PureFtpd, Pyftpdlib,
                                      VsftpdNoIsolate)}


def deb_version(package: str) -> str:
    out = subprocess.run(["dpkg-query", "-W", "-f=${Version}", package],
                         capture_output=True, text=True)
    return out.stdout.strip() or "?"


def deb_file_version(package: str) -> str:
    debs = sorted((HERE / ".peers" / "debs").glob(f"{package}_*.deb"))
    if not debs:
        return "?"
    out = subprocess.run(["dpkg-deb", "-f", str(debs[-1]), "Version"],
                         capture_output=True, text=True)
    return out.stdout.strip() or "?"


# --------------------------------------------------------------------------------------------
# Workloads
# --------------------------------------------------------------------------------------------

class Bench:
    def __init__(self, args, sizes, work: Path, ftpload: Path):
        self.args = args
        self.sizes = sizes
        self.work = work
        self.ftpload = ftpload
        self.t0 = time.monotonic()
        self.accounting: dict[str, dict] = {}

    def time_left(self) -> float:
        return OVERALL_LIMIT - (time.monotonic() - self.t0)

    def run_bounded(self, argv: list[str], limit: float) -> subprocess.CompletedProcess:
        """Runs a client with a hard time limit; on expiry it is killed (it is ours)."""
        proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                text=True, start_new_session=True)
        OWN_CHILDREN.add(proc.pid)
        try:
            out, err = proc.communicate(timeout=limit)
        except subprocess.TimeoutExpired:
            proc.kill()
            out, err = proc.communicate()
            raise RuntimeError(f"client exceeded its {limit:.0f} s limit")
        finally:
            OWN_CHILDREN.discard(proc.pid)
        return subprocess.CompletedProcess(argv, proc.returncode, out, err)

    def ftpload_json(self, server: Server, args: list[str], limit: float) -> dict:
        argv = [str(self.ftpload), args[0], "--host", HOST, "--port", str(server.port)] + args[1:]
        res = self.run_bounded(argv, limit)
        line = res.stdout.strip().splitlines()[-1] if res.stdout.strip() else ""
        if res.returncode != 0 or not line.startswith("{"):
            raise RuntimeError(f"ftpload failed ({res.returncode}): {res.stderr.strip()[-300:]}")
        return json.loads(line)

    def measured(self, server: Server, fn):
        """Runs fn() and returns (its result, server CPU seconds, wall seconds).

        Also accumulates, per server, the CPU the clients used and the CPU that processes
        outside this benchmark used meanwhile (other work on a shared machine: noise)."""
        reap_orphans()  # before the snapshot: reaping moves their CPU into our children's rusage
        cpu0 = server.cpu_seconds()
        kthreads0 = kernel_threads_cpu_seconds()
        busy0 = machine_busy_seconds(tasks_only=True)
        me0, kids0 = own_cpu_seconds()
        w0 = time.monotonic()
        result = fn()
        wall = time.monotonic() - w0
        server.settle(baseline=None)
        cpu1 = server.cpu_seconds()
        kthreads1 = kernel_threads_cpu_seconds()
        busy1 = machine_busy_seconds(tasks_only=True)
        me1, kids1 = own_cpu_seconds()
        w1 = time.monotonic()
        server_cpu = max(0.0, cpu1 - cpu0)
        kthreads = max(0.0, kthreads1 - kthreads0)
        acc = self.accounting.setdefault(server.name, {"wall": 0.0, "others": 0.0,
                                                       "clients": 0.0, "harness": 0.0,
                                                       "kthreads": 0.0})
        acc["wall"] += w1 - w0
        acc["clients"] += kids1 - kids0
        acc["harness"] += me1 - me0
        acc["kthreads"] += kthreads
        acc["others"] += max(0.0, (busy1 - busy0) - server_cpu - kthreads - (kids1 - kids0)
                             - (me1 - me0))
        if isinstance(result, dict):
            result["client_cpu_s"] = kids1 - kids0
        return result, server_cpu, wall

    # a. one large download, best of N
    def download(self, server: Server) -> dict:
        warm(self.work / "data" / "big.bin")
        url = f"ftp://{HOST}:{server.port}/big.bin"
        runs = []
        for _ in range(self.sizes["runs"]):
            def once():
                res = self.run_bounded(
                    ["curl", "-s", "-S", "-o", "/dev/null", "--max-time", "90",
                     "-w", "%{speed_download} %{size_download}", url], 100)
                if res.returncode != 0:
                    raise RuntimeError(f"curl {res.returncode}: {res.stderr.strip()}")
                speed, size = res.stdout.split()
                if int(float(size)) != self.sizes["big"]:
                    raise RuntimeError(f"short download: {size} bytes")
                return float(speed)
            speed, cpu, wall = self.measured(server, once)
            runs.append({"mb_s": speed / 1e6, "cpu_s": cpu, "wall_s": wall})
        best = max(runs, key=lambda r: r["mb_s"])
        return {"best_mb_s": best["mb_s"], "cpu_s_best": best["cpu_s"], "runs": runs}

    # b. one large upload, best of N
    def upload(self, server: Server) -> dict:
        source = self.work / "data" / "upload.bin"
        warm(source)
        runs = []
        for i in range(self.sizes["runs"]):
            target = server.root / "upload" / f"up{i}.bin"
            url = f"ftp://{HOST}:{server.port}/upload/up{i}.bin"

            def once():
                res = self.run_bounded(
                    ["curl", "-s", "-S", "-T", str(source), "--max-time", "90",
                     "-w", "%{speed_upload} %{size_upload}", url], 100)
                if res.returncode != 0:
                    raise RuntimeError(f"curl {res.returncode}: {res.stderr.strip()}")
                speed, _ = res.stdout.split()
                return float(speed)
            speed, cpu, wall = self.measured(server, once)
            size = target.stat().st_size if target.exists() else -1
            try:
                target.unlink()
            except OSError:
                pass
            if size != self.sizes["upload"]:
                raise RuntimeError(f"uploaded file has {size} bytes, not {self.sizes['upload']}")
            runs.append({"mb_s": speed / 1e6, "cpu_s": cpu, "wall_s": wall})
        best = max(runs, key=lambda r: r["mb_s"])
        return {"best_mb_s": best["mb_s"], "cpu_s_best": best["cpu_s"], "runs": runs}

    # c. many small files over one session, best of N
    def small_files(self, server: Server) -> dict:
        runs = []
        for _ in range(self.sizes["runs"]):
            res, cpu, wall = self.measured(server, lambda: self.ftpload_json(server, [
                "smallfiles", "--count", str(self.sizes["small_count"]), "--retr", "small.bin",
                "--expect", "4096", "--time-limit", "60", "--session-timeout", "20"], 75))
            res["cpu_s"] = cpu
            runs.append(res)
            if res["failed"] or res["completed"] < self.sizes["small_count"]:
                break  # report the failing run; do not hide it behind a better one
        best = max(runs, key=lambda r: (r["completed"] == self.sizes["small_count"], r["rate"]))
        return {"best": best, "runs": runs}

    # d. N concurrent sessions
    def concurrency(self, server: Server, n: int) -> dict:
        per_worker = max(2, -(-self.sizes["sessions_target"] // n))
        limit = self.sizes["session_limit"]
        args = ["sessions", "--concurrency", str(n), "--per-worker", str(per_worker),
                "--retr", "f64k.bin", "--expect", "65536",
                "--start-window", str(self.sizes["start_window"]),
                "--time-limit", str(limit), "--session-timeout", "30"]
        with MemorySampler(server.pid) as mem:
            res, cpu, wall = self.measured(server, lambda: self.ftpload_json(server, args, limit + 15))
        res.update({"n": n, "per_worker": per_worker, "cpu_s": cpu,
                    "peak_mem_mib": mem.peak_kib / 1024, "peak_procs": mem.peak_procs})
        return res

    # e. connection rate
    def connect_rate(self, server: Server) -> dict:
        seconds = self.sizes["connect_seconds"]
        res, cpu, wall = self.measured(server, lambda: self.ftpload_json(server, [
            "connect", "--parallel", str(self.sizes["connect_parallel"]),
            "--duration", str(seconds), "--time-limit", str(seconds + 5)], seconds + 30))
        res["cpu_s"] = cpu
        return res


def warm(path: Path) -> None:
    """Reads a file once so that the timed transfer is served from the page cache."""
    with open(path, "rb") as f:
        while f.read(8 * MiB):
            pass


def make_data(work: Path, sizes) -> Path:
    data = work / "data"
    data.mkdir()
    def fill(path: Path, size: int, random_bytes: bool = False):
        with open(path, "wb") as f:
            if random_bytes:
                f.write(os.urandom(size))
                return
            chunk = b"\0" * (8 * MiB)
            left = size
            while left > 0:
                f.write(chunk[:min(left, len(chunk))])
                left -= len(chunk)
    fill(data / "big.bin", sizes["big"])
    fill(data / "upload.bin", sizes["upload"])
    fill(data / "small.bin", 4096, random_bytes=True)
    fill(data / "f64k.bin", 65536, random_bytes=True)
    for f in data.iterdir():
        os.chmod(f, 0o644)
    return data


def make_root(work: Path, data: Path, name: str) -> Path:
    """A server's root: the test files (hard links, so one page cache copy serves all) and a
    directory upload/ that the anonymous account may write. The root itself is root's and not
    writable by "ftp", as vsftpd insists for a chroot."""
    root = work / f"root-{name}"
    root.mkdir()
    os.chmod(root, 0o755)
    for f in ("big.bin", "small.bin", "f64k.bin"):
        os.link(data / f, root / f)
    up = root / "upload"
    up.mkdir()
    try:
        ftp = pwd.getpwnam("ftp")
        os.chown(up, ftp.pw_uid, ftp.pw_gid)
        os.chmod(up, 0o755)
    except (KeyError, PermissionError):
        os.chmod(up, 0o777)
    return root


# --------------------------------------------------------------------------------------------
# Report
# --------------------------------------------------------------------------------------------

def fmt(value, digits=0) -> str:
    if value is None:
        return "–"
    return f"{value:,.{digits}f}"


def cell(result: dict, key: str, render) -> str:
    """A table cell: the figure, or why there is none."""
    entry = result.get(key)
    if entry is None:
        return "–"
    if "error" in entry:
        return entry["error"]
    return render(entry)


def errors_text(res: dict) -> str:
    bad = res.get("failed", 0) + res.get("unfinished", 0)
    if not bad:
        return "0"
    kinds = "; ".join(f"{k}: {v}" for k, v in sorted(res.get("errors", {}).items(),
                                                     key=lambda kv: -kv[1])[:3])
    extra = f", {res['unfinished']} unfinished at the time limit" if res.get("unfinished") else ""
    return f"**{bad}** ({kinds}{extra})" if kinds else f"**{bad}**{extra}"


def render_report(meta: dict, results: dict[str, dict]) -> str:
    lines = []
    lines.append(f"# cppftpd benchmark: {meta['date']}")
    lines.append("")
    lines.append(f"Generated by `bench/run`{' --quick (sizes reduced: NOT comparable figures)' if meta['quick'] else ''}"
                 f" in {meta['duration_s']:.0f} s. All traffic on {HOST}; each server in turn, alone.")
    lines.append("")
    lines.append("## Machine")
    lines.append("")
    meta.setdefault("cpu_accounting", "/proc process tree")
    for k in ("cpu", "cores", "memory", "kernel", "os", "load_before", "fork_exit_wait_ms",
              "page_fault_us", "cpu_accounting"):
        lines.append(f"- {meta['labels'][k]}: {meta[k]}")
    lines.append("")
    lines.append("## Servers")
    lines.append("")
    lines.append("| server | version | model |")
    lines.append("| --- | --- | --- |")
    for name, r in results.items():
        lines.append(f"| {name} | {r.get('version', '?')} | {MODELS.get(name, '')} |")
    lines.append("")

    big = meta["sizes"]["big"] // MiB
    up = meta["sizes"]["upload"] // MiB
    count = meta["sizes"]["small_count"]
    lines.append("## Transfers and connection rate")
    lines.append("")
    lines.append(f"Best of {meta['sizes']['runs']} runs for the first three columns; server CPU "
                 "seconds (user+system, its whole process tree) of that run in parentheses. "
                 "CPU per session or connection is the figure that other load on the machine "
                 "disturbs least.")
    lines.append("")
    lines.append(f"| server | download {big} MiB, MB/s | upload {up} MiB, MB/s | "
                 f"{count} × RETR 4 KiB, files/s | connect+220+QUIT, conn/s | "
                 "server CPU µs per connection | connect errors |")
    lines.append("| --- | ---: | ---: | ---: | ---: | ---: | --- |")
    for name, r in results.items():
        if "unavailable" in r:
            lines.append(f"| {name} | could not start: {r['unavailable']} | | | | | |")
            continue
        dl = cell(r, "download", lambda e: f"{fmt(e['best_mb_s'])} ({fmt(e['cpu_s_best'], 2)} s)")
        ul = cell(r, "upload", lambda e: f"{fmt(e['best_mb_s'])} ({fmt(e['cpu_s_best'], 2)} s)")
        sf = cell(r, "small_files", lambda e: (
            f"{fmt(e['best']['rate'])} ({fmt(e['best']['cpu_s'], 2)} s)"
            + ("" if not (e['best']['failed'] or e['best']['unfinished'])
               else f" {errors_text(e['best'])}")))
        cr = cell(r, "connect", lambda e: f"{fmt(e['rate'])} ({fmt(e['cpu_s'], 2)} s)")
        cu = cell(r, "connect", lambda e: fmt(1e6 * e['cpu_s'] / e['completed'])
                  if e['completed'] else "–")
        ce = cell(r, "connect", errors_text)
        lines.append(f"| {name} | {dl} | {ul} | {sf} | {cr} | {cu} | {ce} |")
    lines.append("")

    lines.append("## Concurrent sessions")
    lines.append("")
    lines.append("N clients at once, each running sessions back to back: connect, USER/PASS "
                 "(anonymous), TYPE I, PASV + LIST, PASV + RETR of 64 KiB, QUIT. "
                 "Latency is that of a whole session. Peak memory is the largest sum of PSS over "
                 "the server's process tree (sampled every 0.5 s; VmHWM for a single process). "
                 "CPU is the server's, whole tree.")
    lines.append("")
    lines.append("| server | N | sessions | sessions/s | p50 ms | p99 ms | max ms | errors | peak memory MiB (processes) | server CPU s | server CPU ms per session |")
    lines.append("| --- | ---: | ---: | ---: | ---: | ---: | ---: | --- | ---: | ---: | ---: |")
    for name, r in results.items():
        if "unavailable" in r:
            lines.append(f"| {name} | | could not start: {r['unavailable']} | | | | | | | | |")
            continue
        for n in meta["sizes"]["concurrency"]:
            e = r.get(f"concurrency_{n}")
            if e is None:
                continue
            if "error" in e:
                lines.append(f"| {name} | {n} | {e['error']} | | | | | | | | |")
                continue
            lines.append(
                f"| {name} | {n} | {e['completed']}/{e['attempted']} | {fmt(e['rate'])} | "
                f"{fmt(e['p50_ms'], 1)} | {fmt(e['p99_ms'], 1)} | {fmt(e['max_ms'], 0)} | "
                f"{errors_text(e)} | {fmt(e['peak_mem_mib'], 1)} ({e['peak_procs']}) | "
                f"{fmt(e['cpu_s'], 2)} | "
                f"{fmt(1000 * e['cpu_s'] / e['completed'], 2) if e['completed'] else '–'} |")
    lines.append("")

    lines.append("## Noise")
    lines.append("")
    lines.append("The CPU that processes outside this benchmark used while each server was measured "
                 "(user+system time of the whole machine minus the server's, the kernel threads', "
                 "the clients' and the harness's; interrupt/softirq time, where loopback TCP is "
                 "processed, is left out), the kernel threads' (kworkers: partly work a server "
                 "causes, such as tearing down vsftpd's per-session namespaces), and the clients' "
                 "own CPU, each as a mean number of cores over the measured time. On a 2-core "
                 "machine, anything above ~0.2 cores of others is noise to weigh.")
    lines.append("")
    lines.append("| server | measured time s | others, cores | kernel threads, cores | clients (ftpload, curl), cores | harness, cores |")
    lines.append("| --- | ---: | ---: | ---: | ---: | ---: |")
    for name, r in results.items():
        acc = r.get("accounting")
        if not acc or not acc.get("wall"):
            continue
        w = acc["wall"]
        lines.append(f"| {name} | {fmt(w, 0)} | {fmt(acc['others'] / w, 2)} | "
                     f"{fmt(acc.get('kthreads', 0) / w, 2)} | "
                     f"{fmt(acc['clients'] / w, 2)} | {fmt(acc['harness'] / w, 2)} |")
    lines.append("")

    incidents = [(n, i) for n, r in results.items() for i in r.get("incidents", [])]
    lines.append("## Incidents")
    lines.append("")
    if not incidents:
        lines.append("None: every server stayed up through every workload.")
    for name, text in incidents:
        lines.append(f"- **{name}**: {text}")
    lines.append("")
    return "\n".join(lines)


MODELS = {
    "cppftpd": "C++20/Asio coroutines, one io_context per core, one process",
    "vsftpd": "fork per session (+ a privileged helper process), chroot, per-session "
              "PID/IPC/network namespaces (its default isolate=YES)",
    "vsftpd-noisolate": "vsftpd with isolate=NO, isolate_network=NO",
    "proftpd": "fork per session, chroot",
    "pure-ftpd": "fork per session (privilege-separated), chroot",
    "pyftpdlib": "Python, single-threaded event loop, one process",
}


def machine_meta(ftpload: Path) -> dict:
    cpu = "?"
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            cpu = line.split(":", 1)[1].strip()
            break
    mem_kib = 0
    for line in Path("/proc/meminfo").read_text().splitlines():
        if line.startswith("MemTotal:"):
            mem_kib = int(line.split()[1])
    os_name = "?"
    try:
        for line in Path("/etc/os-release").read_text().splitlines():
            if line.startswith("PRETTY_NAME="):
                os_name = line.split("=", 1)[1].strip('"')
    except OSError:
        pass
    probe = subprocess.run([str(ftpload), "probe"], capture_output=True, text=True, timeout=60)
    p = json.loads(probe.stdout) if probe.returncode == 0 else {}
    return {
        "cpu": cpu, "cores": os.cpu_count(), "memory": f"{mem_kib / 1024 / 1024:.1f} GiB",
        "kernel": platform.release(), "os": os_name,
        "load_before": " ".join(f"{x:.2f}" for x in os.getloadavg()),
        "fork_exit_wait_ms": fmt(p.get("fork_exit_wait_ms"), 2),
        "page_fault_us": fmt(p.get("page_fault_us"), 1),
        "labels": {
            "cpu": "CPU", "cores": "cores", "memory": "memory", "kernel": "kernel", "os": "OS",
            "load_before": "load average before the run (1/5/15 min)",
            "fork_exit_wait_ms": "fork()+exit+waitpid() of a small C process, ms (ftpload probe)",
            "page_fault_us": "first-touch page fault on anonymous memory, µs (ftpload probe)",
            "cpu_accounting": "server CPU counted through",
        },
    }


# --------------------------------------------------------------------------------------------

def run_server(bench: Bench, server: Server, result: dict) -> None:
    sizes = bench.sizes
    workloads: list[tuple[str, callable]] = [
        ("download", bench.download),
        ("upload", bench.upload),
        ("small_files", bench.small_files),
    ]
    for n in sizes["concurrency"]:
        workloads.append((f"concurrency_{n}", lambda s, n=n: bench.concurrency(s, n)))
    workloads.append(("connect", bench.connect_rate))

    for key, fn in workloads:
        if bench.time_left() < 30:
            result[key] = {"error": "skipped: overall time limit of bench/run"}
            continue
        if not server.alive():
            log(f"{server.name}: restarting (it was down before {key})")
            try:
                server.start()
            except RuntimeError as e:
                result[key] = {"error": f"could not restart: {e}"}
                continue
        log(f"{server.name}: {key}")
        try:
            result[key] = fn(server)
            log(f"{server.name}: {key}: {summary(result[key])}")
        except Exception as e:  # a failure is a figure too: record it, go on
            result[key] = {"error": f"failed: {e}"}
            log(f"{server.name}: {key}: FAILED: {e}")
        if not server.alive():
            text = (f"died during {key} ({server.death()}); last log lines: "
                    f"`{server.log_tail()}`")
            result.setdefault("incidents", []).append(text)
            log(f"{server.name}: {text}")
            entry = result.get(key, {})
            if "error" not in entry:
                result[key] = dict(entry, error=f"server died ({server.death()})")
        else:
            server.settle(baseline=None)


def summary(entry: dict) -> str:
    if "best_mb_s" in entry:
        return f"{entry['best_mb_s']:.0f} MB/s"
    if "best" in entry:
        entry = entry["best"]
    if "rate" in entry:
        return (f"{entry['rate']:.0f}/s, failed {entry.get('failed')}, "
                f"unfinished {entry.get('unfinished')}, p99 {entry.get('p99_ms')} ms")
    return json.dumps(entry)[:200]


def main() -> int:
    ap = argparse.ArgumentParser(description="cppftpd benchmark harness (run it via bench/run)")
    ap.add_argument("--servers", default=",".join(ALL_SERVERS),
                    help="comma-separated list from " + ",".join(SERVER_CLASSES)
                         + " (default: " + ",".join(ALL_SERVERS) + ")")
    ap.add_argument("--quick", action="store_true",
                    help="tiny sizes, to check the harness (figures not comparable)")
    ap.add_argument("--ftpload", required=True, help="path of the built load generator")
    ap.add_argument("--out", help="report path (default bench/results/<date>.md)")
    ap.add_argument("--keep", action="store_true", help="keep the temporary directory")
    ap.add_argument("--no-cgroup", action="store_true",
                    help="count server CPU through /proc only, without a cpuacct cgroup")
    ap.add_argument("--quiet-wait", type=float, default=30.0,
                    help="before each server, wait up to this many seconds for the machine to "
                         "be idle (other processes < 0.3 cores); 0 skips (default 30)")
    args = ap.parse_args()
    names = [n.strip() for n in args.servers.split(",") if n.strip()]
    for n in names:
        if n not in SERVER_CLASSES:
            ap.error(f"unknown server {n!r}")
    sizes = QUICK if args.quick else FULL

    # Enough descriptors for 500 sessions (3 sockets each) on both sides; children inherit it.
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    target = min(hard, 65536) if hard != resource.RLIM_INFINITY else 65536
    resource.setrlimit(resource.RLIMIT_NOFILE, (max(soft, target), hard))

    if not become_subreaper():
        log("warning: could not become a child subreaper; the CPU of server processes whose "
            "parent exits first (vsftpd) will be missed")
    started = time.monotonic()
    ftpload = Path(args.ftpload)
    meta = machine_meta(ftpload)
    tmp_parent = os.environ.get("TMPDIR", "/tmp")
    work = Path(tempfile.mkdtemp(prefix="cppftpd-bench-", dir=tmp_parent))
    os.chmod(work, 0o755)
    log(f"work directory {work}")
    results: dict[str, dict] = {}
    try:
        data = make_data(work, sizes)
        bench = Bench(args, sizes, work, ftpload)
        used_ports: set[int] = set()
        for index, name in enumerate(names):
            cls = SERVER_CLASSES[name]
            port = free_port(used_ports)
            used_ports.add(port)
            # Passive ranges below the ephemeral range (32768-60999), one block per server.
            pasv = (20000 + index * 2000, 20000 + index * 2000 + 1999)
            root = make_root(work, data, name)
            server = cls(work, root, port, pasv)
            result: dict = {}
            results[name] = result
            try:
                result["version"] = server.version()
            except Exception:
                result["version"] = "?"
            reason = server.available()
            if reason:
                result["unavailable"] = reason
                log(f"{name}: could not start: {reason}")
                continue
            if args.quiet_wait > 0:
                load = wait_for_quiet(args.quiet_wait)
                result["load_at_start_cores"] = load
                if load >= 0.3:
                    log(f"{name}: the machine is still busy ({load:.2f} cores used by others)")
            log(f"{name}: starting on {HOST}:{port}, passive {pasv[0]}-{pasv[1]}")
            if not args.no_cgroup:
                server.cgroup = CpuCgroup(name)
                meta.setdefault("cpu_accounting", "cpuacct cgroup" if server.cgroup.ok
                                else "/proc process tree")
            try:
                server.start()
            except Exception as e:
                result["unavailable"] = str(e)
                log(f"{name}: could not start: {e}")
                if server.cgroup is not None:
                    server.cgroup.remove()
                continue
            # One login, PASV + LIST, PASV + RETR: a server that cannot do that is reported,
            # not measured for minutes.
            try:
                check = bench.ftpload_json(server, [
                    "sessions", "--concurrency", "1", "--per-worker", "1", "--retr", "f64k.bin",
                    "--expect", "65536", "--time-limit", "15", "--session-timeout", "10"], 25)
                if check["completed"] != 1:
                    raise RuntimeError("a test session failed: " + ", ".join(check["errors"]))
            except Exception as e:
                result["unavailable"] = f"{e}: {server.log_tail()}"
                log(f"{name}: could not start: {e}")
                server.stop()
                if server.cgroup is not None:
                    server.cgroup.remove()
                continue
            try:
                run_server(bench, server, result)
            finally:
                server.stop()
                if server.cgroup is not None:
                    server.cgroup.remove()
                result["notes"] = server.notes
                result["accounting"] = bench.accounting.get(name, {})
                # Keep the server's log next to the report when it crashed.
                if result.get("incidents"):
                    keep = HERE / "results" / f"{name}-crash-{time.strftime('%Y%m%d-%H%M%S')}.log"
                    keep.parent.mkdir(exist_ok=True)
                    data_tail = server.log_path.read_bytes()[-50_000:]
                    keep.write_bytes(data_tail)
                    result["incidents"].append(f"server log tail saved in bench/results/{keep.name}")
                shutil.rmtree(root, ignore_errors=True)
    finally:
        if args.keep:
            log(f"kept {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)

    meta.update({"date": datetime.date.today().isoformat(), "quick": args.quick,
                 "duration_s": time.monotonic() - started, "sizes": sizes})
    report = render_report(meta, results)
    if args.out:
        out = Path(args.out)
    else:
        # <date>.md; a later run the same day becomes <date>-2.md, -3.md...: never overwritten.
        stem = meta["date"] + ("-quick" if args.quick else "")
        out = HERE / "results" / f"{stem}.md"
        n = 2
        while out.exists():
            out = HERE / "results" / f"{stem}-{n}.md"
            n += 1
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(report)
    out.with_suffix(".json").write_text(json.dumps({"meta": meta, "results": results}, indent=1,
                                                   default=str))
    print(report)
    log(f"report written to {out} (raw figures in {out.with_suffix('.json').name})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
