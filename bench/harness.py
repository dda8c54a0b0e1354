#!/usr/bin/env python3
"""cppftpd's benchmark harness (issue 6): started by bench/run, never part of the tests.

Measures, side by side on loopback with the file tree on tmpfs, cppftpd and its peers
(vsftpd, ProFTPD, Pure-FTPd, pyftpdlib), every one logging in a local user whose password is
checked against the same kind of hash (SHA-512-crypt, "$6$"):

  single    RETR and STOR of 1 GiB over one stream (ftpload; curl's RETR beside it, to show
            that the load generator is not the bottleneck), and the machine's ceilings (a
            minimal C program: sendfile to a loopback socket; recv+write and splice into tmpfs)
  swarm300  300 clients connect and log in at once; PSS per idle logged-in client; then
            300 x RETR 10 MiB, 300 x STOR 10 MiB and 300 x QUIT, each all at once
  swarm1000 the same with 1000 clients, plus RETR/STOR of 1 GiB while the 1000 sit idle
  idle10k   10,000 logged-in sessions held (one round): memory, how many the server holds,
            the login time of a new client meanwhile, RETR/STOR of 1 GiB meanwhile
  tls       RETR and STOR of 1 GiB over FTPS (AUTH TLS, PROT P, session resumption)

Each group runs every server, in rounds (3 by default), the server order rotated each round;
the report gives medians and ratios to the best peer and to the ceilings.

All traffic goes to 127.0.0.1. Every load loop is bounded in count and in time, and so is the
whole run. The processes stopped are only those this script started, by PID. The system
account it creates (cppftpd-bench), its PAM service file and its tmpfs mount are removed at
the end.
"""

from __future__ import annotations

import argparse
import crypt
import datetime
import hmac  # noqa: F401  (used by the generated pyftpdlib script; imported here to check it)
import json
import os
import platform
import pwd
import queue
import resource
import secrets
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
BUILD = REPO / "build-bench"
PEERS = HERE / ".peers" / "root"
PEER_LIBS = [PEERS / "usr/lib/x86_64-linux-gnu", PEERS / "lib/x86_64-linux-gnu"]
CLK_TCK = os.sysconf("SC_CLK_TCK")
HOST = "127.0.0.1"
ACCOUNT = "cppftpd-bench"
PAM_SERVICE = "cppftpd-bench"
PAM_FILE = Path("/etc/pam.d") / PAM_SERVICE

MiB = 1 << 20
GiB = 1 << 30

FULL = dict(
    big=1 * GiB, small=10 * MiB, rounds=3, swarm_small=300, swarm_large=1000,
    idle=10000, login_inflight=32, login_limit=40.0, transfer_limit=120.0,
    idle_login_limit=90.0, tmpfs="15g", overall=25 * 60,
)
QUICK = dict(
    big=64 * MiB, small=1 * MiB, rounds=2, swarm_small=30, swarm_large=100,
    idle=500, login_inflight=32, login_limit=20.0, transfer_limit=30.0,
    idle_login_limit=30.0, tmpfs="2g", overall=10 * 60,
)
ALL_SERVERS = ["cppftpd", "vsftpd", "proftpd", "pure-ftpd", "pyftpdlib"]
TLS_SERVERS = ["cppftpd", "vsftpd", "pure-ftpd"]  # ProFTPD's mod_tls is another package
# In this order: if the run's time limit comes first, what is left out is the last rounds of the
# longest group (swarm1000), not a whole row.
ALL_GROUPS = ["single", "tls", "swarm300", "idle10k", "swarm1000"]
FORKING = {"vsftpd", "proftpd", "pure-ftpd"}


def log(msg: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {msg}", file=sys.stderr, flush=True)


# --------------------------------------------------------------------------------------------
# /proc helpers
# --------------------------------------------------------------------------------------------

def read_stat(pid: int) -> list[str] | None:
    try:
        raw = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    return raw[raw.rfind(")") + 2:].split()  # [0] is field 3 (state), [1] the parent


def children_map() -> dict[int, list[int]]:
    parents: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            st = read_stat(int(entry))
            if st is not None:
                parents.setdefault(int(st[1]), []).append(int(entry))
    return parents


# The harness is a child subreaper: a server process whose parent exits first (vsftpd's
# session processes) is re-parented to us, so it stays in view. OWN_CHILDREN: what we started.
OWN_CHILDREN: set[int] = set()


def become_subreaper() -> bool:
    try:
        import ctypes
        return ctypes.CDLL(None, use_errno=True).prctl(36, 1, 0, 0, 0) == 0
    except (OSError, AttributeError):
        return False


def server_processes(root: int) -> list[int]:
    parents = children_map()
    todo = [root] + [p for p in parents.get(os.getpid(), []) if p not in OWN_CHILDREN]
    seen, out = set(), []
    while todo:
        pid = todo.pop()
        if pid in seen:
            continue
        seen.add(pid)
        out.append(pid)
        todo.extend(parents.get(pid, []))
    return out


def reap_orphans() -> None:
    for pid in children_map().get(os.getpid(), []):
        if pid not in OWN_CHILDREN:
            try:
                os.waitpid(pid, os.WNOHANG)
            except ChildProcessError:
                pass


def live_count(pids: list[int]) -> int:
    n = 0
    for pid in pids:
        st = read_stat(pid)
        if st is not None and st[0] != "Z":
            n += 1
    return n


def pss_kib(pid: int) -> int:
    try:
        with open(f"/proc/{pid}/smaps_rollup") as f:
            for line in f:
                if line.startswith("Pss:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


def tree_pss_kib(root: int) -> tuple[int, int]:
    """(total PSS of the server's processes in KiB, number of live processes)."""
    pids = server_processes(root)
    return sum(pss_kib(p) for p in pids), live_count(pids)


def tree_cpu_seconds(root: int) -> float:
    total = 0
    for pid in server_processes(root):
        st = read_stat(pid)
        if st is not None:
            total += sum(int(x) for x in st[11:15])
    return total / CLK_TCK


def mem_available_kib() -> int:
    for line in Path("/proc/meminfo").read_text().splitlines():
        if line.startswith("MemAvailable:"):
            return int(line.split()[1])
    return 0


def listen_overflows() -> int:
    """TcpExt ListenOverflows: connections whose handshake completed while the listener's
    accept queue was full. With SYN cookies (Linux's default) the server then forgets them
    while the client believes it is connected, and waits for a 220 that never comes."""
    try:
        lines = Path("/proc/net/netstat").read_text().splitlines()
        for head, values in zip(lines[::2], lines[1::2]):
            if head.startswith("TcpExt:"):
                row = dict(zip(head.split()[1:], values.split()[1:]))
                return int(row.get("ListenOverflows", 0))
    except OSError:
        pass
    return 0


def process_count() -> int:
    return sum(1 for e in os.listdir("/proc") if e.isdigit())


def machine_busy_seconds() -> float:
    fields = [int(x) for x in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
    return (sum(fields[:8]) - fields[3] - fields[4]) / CLK_TCK


def wait_for_quiet(max_wait: float, threshold: float = 0.3) -> float:
    """Waits (at most max_wait s) for the machine to use less than `threshold` cores."""
    deadline = time.monotonic() + max_wait
    while True:
        b0, t0 = machine_busy_seconds(), time.monotonic()
        time.sleep(1.0)
        load = (machine_busy_seconds() - b0) / (time.monotonic() - t0)
        if load < threshold or time.monotonic() >= deadline:
            return load


class CpuCgroup:
    """A cgroup-v1 cpuacct group for the server under test (accounts, limits nothing): the
    kernel counts the CPU of everything the server forks, however it ends."""

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
        if not self.ok:
            return argv
        return ["sh", "-c", 'echo $$ > "$0" && exec "$@"', str(self.path / "cgroup.procs")] + argv

    def seconds(self) -> float:
        return int((self.path / "cpuacct.usage").read_text()) / 1e9

    def remove(self) -> None:
        for _ in range(100):
            if not self.path.exists():
                return
            try:
                self.path.rmdir()
                return
            except OSError:
                time.sleep(0.1)
        log(f"could not remove {self.path}")


# --------------------------------------------------------------------------------------------
# The machine's side: tmpfs tree, the account with a $6$ password, the TLS certificate
# --------------------------------------------------------------------------------------------

class Environment:
    """What the run sets up on the machine, and takes down at the end (in `close`)."""

    def __init__(self, work: Path, sizes: dict):
        self.work = work
        self.sizes = sizes
        self.mount = work / "tmpfs"
        self.root = self.mount / "root"
        self.created_account = False
        self.created_pam = False
        self.mounted = False
        self.password = secrets.token_hex(12)
        self.hash = crypt.crypt(self.password, crypt.mksalt(crypt.METHOD_SHA512))
        assert self.hash.startswith("$6$")
        self.uid = self.gid = 0

    def open(self) -> None:
        self.mount.mkdir()
        r = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={self.sizes['tmpfs']},mode=0755",
                            "cppftpd-bench", str(self.mount)], capture_output=True, text=True)
        if r.returncode != 0:
            raise RuntimeError(f"cannot mount a tmpfs: {r.stderr.strip()}")
        self.mounted = True
        self.make_account()
        self.root.mkdir(mode=0o755)
        os.chmod(self.root, 0o755)  # vsftpd refuses a chroot its user can write
        self.big = self.root / "big.bin"
        self.small = self.root / "f10m.bin"
        write_random(self.big, self.sizes["big"])
        write_random(self.small, self.sizes["small"])
        self.upload = self.root / "upload"
        self.upload.mkdir()
        os.chown(self.upload, self.uid, self.gid)
        self.outdir = self.mount / "ceiling"
        self.outdir.mkdir()
        self.cert = self.work / "cert.pem"
        self.key = self.work / "key.pem"
        self.pem = self.work / "both.pem"
        r = subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes",
                            "-days", "2", "-subj", "/CN=127.0.0.1", "-keyout", str(self.key),
                            "-out", str(self.cert)], capture_output=True, text=True)
        if r.returncode != 0:
            raise RuntimeError(f"openssl req failed: {r.stderr.strip()[-200:]}")
        self.pem.write_bytes(self.key.read_bytes() + self.cert.read_bytes())
        for p in (self.key, self.pem):
            os.chmod(p, 0o600)

    def make_account(self) -> None:
        """The system account cppftpd-bench, with the run's $6$ password: vsftpd (PAM),
        ProFTPD (mod_auth_unix) and Pure-FTPd (-l unix) read it from /etc/passwd and
        /etc/shadow. Its shell is nologin; it exists only during the run."""
        try:
            pwd.getpwnam(ACCOUNT)
            log(f"account {ACCOUNT} is left from an earlier run: removing it first")
            subprocess.run(["userdel", ACCOUNT], capture_output=True)
        except KeyError:
            pass
        r = subprocess.run(["useradd", "--system", "--user-group", "--no-create-home",
                            "--home-dir", str(self.root), "--shell", "/usr/sbin/nologin",
                            "--password", self.hash, ACCOUNT], capture_output=True, text=True)
        if r.returncode != 0:
            raise RuntimeError(f"useradd failed: {r.stderr.strip()}")
        self.created_account = True
        entry = pwd.getpwnam(ACCOUNT)
        self.uid, self.gid = entry.pw_uid, entry.pw_gid
        # vsftpd authenticates through PAM: a service of our own that checks /etc/shadow only
        # (Debian's /etc/pam.d/vsftpd would also demand a login shell from /etc/shells).
        PAM_FILE.write_text("# bench/harness.py (cppftpd): removed at the end of the run\n"
                            "auth required pam_unix.so\naccount required pam_unix.so\n"
                            "session required pam_permit.so\n")
        self.created_pam = True

    def clean_uploads(self) -> None:
        for p in self.upload.iterdir():
            try:
                p.unlink()
            except OSError:
                pass

    def close(self) -> None:
        if self.created_pam:
            PAM_FILE.unlink(missing_ok=True)
        if self.created_account:
            r = subprocess.run(["userdel", ACCOUNT], capture_output=True, text=True)
            if r.returncode != 0:
                log(f"userdel {ACCOUNT} failed: {r.stderr.strip()}")
        if self.mounted:
            r = subprocess.run(["umount", str(self.mount)], capture_output=True, text=True)
            if r.returncode != 0:
                subprocess.run(["umount", "-l", str(self.mount)], capture_output=True)


def write_random(path: Path, size: int) -> None:
    chunk = os.urandom(MiB)
    with open(path, "wb") as f:
        for _ in range(size // MiB):
            f.write(chunk)
    os.chmod(path, 0o644)


# --------------------------------------------------------------------------------------------
# Servers
# --------------------------------------------------------------------------------------------

class Server:
    name = "?"
    max_clients = 20000

    def __init__(self, env: Environment, port: int, pasv: tuple[int, int], tls: bool = False):
        self.env = env
        self.work = env.work
        self.root = env.root
        self.port = port
        self.pasv = pasv
        self.tls = tls
        self.proc: subprocess.Popen | None = None
        self.log_path = self.work / f"{self.name}{'-tls' if tls else ''}.log"
        self.cgroup: CpuCgroup | None = None
        self.notes: list[str] = []

    def command(self) -> tuple[list[str], dict[str, str]]:
        raise NotImplementedError

    def version(self) -> str:
        return "?"

    def available(self) -> str | None:
        return None

    @property
    def pid(self) -> int:
        assert self.proc is not None
        return self.proc.pid

    def cpu_seconds(self) -> float:
        if self.cgroup is not None and self.cgroup.ok:
            return self.cgroup.seconds()
        return tree_cpu_seconds(self.pid)

    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def start(self) -> None:
        argv, env = self.command()
        self.cgroup = CpuCgroup(self.name + ("-tls" if self.tls else ""))
        argv = self.cgroup.wrap(argv)
        full_env = dict(os.environ)
        full_env.update(env)
        self.log_file = open(self.log_path, "ab")
        self.proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=self.log_file,
                                     stderr=subprocess.STDOUT, env=full_env, cwd=self.work,
                                     start_new_session=True)
        OWN_CHILDREN.add(self.proc.pid)
        deadline = time.monotonic() + 10
        last = "no answer"
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                self.cleanup()
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
                        self.settle()
                        return
                    last = f"greeting {greeting.strip()!r}"
            except OSError as e:
                last = str(e)
            time.sleep(0.1)
        self.stop()
        raise RuntimeError(f"not ready within 10 s ({last}): {self.log_tail()}")

    def settle(self, timeout: float = 15.0) -> None:
        """Waits until the server's session processes are gone (forking servers)."""
        deadline = time.monotonic() + timeout
        time.sleep(0.2)
        while time.monotonic() < deadline and self.alive():
            if live_count(server_processes(self.pid)) <= self.idle_processes:
                return
            time.sleep(0.2)

    idle_processes = 1

    def stop(self) -> None:
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
        # Wait (bounded) for the killed session processes to go, so the next server starts on
        # a machine without them.
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and live_count(descendants) > 0:
            reap_orphans()
            time.sleep(0.2)
        reap_orphans()
        self.cleanup()

    def cleanup(self) -> None:
        if self.proc is not None:
            OWN_CHILDREN.discard(self.proc.pid)
        self.log_file.close()
        if self.cgroup is not None:
            self.cgroup.remove()

    def log_tail(self, lines: int = 5) -> str:
        try:
            text = self.log_path.read_bytes()[-4000:].decode("utf-8", "replace")
        except OSError:
            return ""
        return " | ".join([l for l in text.splitlines() if l.strip()][-lines:])


class Cppftpd(Server):
    name = "cppftpd"
    binary = BUILD / "server" / "cppftpd-bench"

    def available(self):
        return None if self.binary.exists() else f"{self.binary} is missing (build failed?)"

    def version(self):
        commit = subprocess.run(["git", "-C", str(REPO), "rev-parse", "--short", "HEAD"],
                                capture_output=True, text=True).stdout.strip()
        dirty = subprocess.run(["git", "-C", str(REPO), "status", "--porcelain", "--", "src",
                                "include", "apps"], capture_output=True, text=True).stdout.strip()
        return f"cppftpd {commit}{'+uncommitted changes' if dirty else ''} (Release)"

    def command(self):
        argv = [str(self.binary), "--port", str(self.port), "--root", str(self.root),
                "--user", ACCOUNT, "--hash", self.env.hash,
                "--pasv", f"{self.pasv[0]}-{self.pasv[1]}", "--max-cons", str(self.max_clients)]
        if self.tls:
            argv += ["--tls", str(self.env.cert), str(self.env.key)]
        return argv, {}


class Vsftpd(Server):
    name = "vsftpd"

    def available(self):
        return None if shutil.which("vsftpd") else "vsftpd is not installed (run bench/setup)"

    def version(self):
        return "vsftpd " + deb_version("vsftpd")

    # vsftpd runs two processes per logged-in session (the session and its privileged parent).
    def command(self):
        empty = self.work / "vsftpd-empty"
        empty.mkdir(exist_ok=True)
        os.chmod(empty, 0o755)
        conf = self.work / f"vsftpd{'-tls' if self.tls else ''}.conf"
        tls = ""
        if self.tls:
            tls = f"""ssl_enable=YES
rsa_cert_file={self.env.cert}
rsa_private_key_file={self.env.key}
allow_anon_ssl=NO
force_local_logins_ssl=NO
force_local_data_ssl=NO
ssl_ciphers=HIGH
require_ssl_reuse=YES
"""
        conf.write_text(f"""\
# Generated by bench/harness.py: local user (PAM, $6$ in /etc/shadow), chroot, passive only.
listen=YES
listen_ipv6=NO
listen_address={HOST}
listen_port={self.port}
background=NO
anonymous_enable=NO
local_enable=YES
write_enable=YES
local_umask=022
local_root={self.root}
chroot_local_user=YES
pam_service_name={PAM_SERVICE}
nopriv_user=nobody
secure_chroot_dir={empty}
pasv_enable=YES
pasv_min_port={self.pasv[0]}
pasv_max_port={self.pasv[1]}
max_clients={self.max_clients}
max_per_ip=0
xferlog_enable=NO
syslog_enable=NO
log_ftp_protocol=NO
dirmessage_enable=NO
use_sendfile=YES
seccomp_sandbox=NO
idle_session_timeout=600
data_connection_timeout=600
delay_failed_login=0
{tls if self.tls else "ssl_enable=NO"}
""" + getattr(self, "extra", ""))
        return ["vsftpd", str(conf)], {}


class Proftpd(Server):
    name = "proftpd"
    binary = PEERS / "usr" / "sbin" / "proftpd"

    def available(self):
        return None if self.binary.exists() else "not unpacked in bench/.peers (run bench/setup)"

    def version(self):
        return "ProFTPD " + deb_file_version("proftpd-core")

    def command(self):
        conf = self.work / "proftpd.conf"
        conf.write_text(f"""\
# Generated by bench/harness.py: local user (mod_auth_unix, $6$ in /etc/shadow), chroot.
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
MaxInstances {self.max_clients}
MaxClients none
MaxClientsPerHost none
UseReverseDNS off
<IfModule mod_ident.c>
  IdentLookups off
</IfModule>
<IfModule mod_delay.c>
  DelayEngine off
</IfModule>
<IfModule mod_auth_pam.c>
  AuthPAM off
</IfModule>
AuthOrder mod_auth_unix.c
RequireValidShell off
DefaultRoot {self.root}
Umask 022
AllowOverwrite on
WtmpLog off
TransferLog NONE
SyslogLevel emerg
UseSendfile on
PassivePorts {self.pasv[0]} {self.pasv[1]}
TimeoutIdle 600
TimeoutNoTransfer 600
""")
        return [str(self.binary), "-n", "-c", str(conf)], {
            "LD_LIBRARY_PATH": ":".join(str(p) for p in PEER_LIBS)}


class PureFtpd(Server):
    name = "pure-ftpd"
    binary = PEERS / "usr" / "sbin" / "pure-ftpd"

    def available(self):
        return None if self.binary.exists() else "not unpacked in bench/.peers (run bench/setup)"

    def version(self):
        return "Pure-FTPd " + deb_file_version("pure-ftpd")

    def command(self):
        # A virtual user (Pure-FTPd's own PureDB) with the run's $6$ hash: `-l unix` would
        # read the same hash from /etc/shadow, but also demands a shell from /etc/shells.
        libs = {"LD_LIBRARY_PATH": ":".join(str(p) for p in PEER_LIBS)}
        passwd = self.work / "pureftpd.passwd"
        pdb = self.work / "pureftpd.pdb"
        passwd.write_text(f"{ACCOUNT}:{self.env.hash}:{self.env.uid}:{self.env.gid}::"
                          f"{self.root}/./::::::::::::\n")  # "/./": chroot into the home
        os.chmod(passwd, 0o600)
        r = subprocess.run([str(PEERS / "usr/bin/pure-pw"), "mkdb", str(pdb), "-f", str(passwd)],
                           capture_output=True, text=True, env={**os.environ, **libs})
        if r.returncode != 0:
            raise RuntimeError(f"pure-pw mkdb failed: {r.stderr.strip()}")
        flags = [
            "-S", f"{HOST},{self.port}", "-4",      # loopback, IPv4
            "-l", f"puredb:{pdb}",                   # the virtual user, $6$
            "-E",                                    # no anonymous
            "-H",                                    # no reverse DNS
            "-f", "none",                            # no syslog
            "-c", str(self.max_clients), "-C", str(self.max_clients),
            "-p", f"{self.pasv[0]}:{self.pasv[1]}",
            "-I", "600",
            "-u", "1",                               # the system account's uid is < 1000
        ]
        if self.tls:
            flags += ["-Y", "1", "-2", f"{self.env.cert},{self.env.key}"]
        return [str(self.binary)] + flags, libs


class Pyftpdlib(Server):
    name = "pyftpdlib"
    python = "/usr/bin/python3"

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
# Generated by bench/harness.py: pyftpdlib with one user whose password is checked against a
# SHA-512-crypt hash, logging at WARNING, the same limits as the other servers.
import crypt, hmac, logging, resource, warnings
from pyftpdlib.authorizers import AuthenticationFailed, DummyAuthorizer
from pyftpdlib.handlers import FTPHandler
from pyftpdlib.servers import FTPServer

class CryptAuthorizer(DummyAuthorizer):
    def validate_authentication(self, username, password, handler):
        entry = self.user_table.get(username)
        if entry is None or not hmac.compare_digest(crypt.crypt(password, entry['pwd']),
                                                    entry['pwd']):
            raise AuthenticationFailed("Authentication failed.")

warnings.simplefilter("ignore", DeprecationWarning)
logging.basicConfig(level=logging.WARNING)
authorizer = CryptAuthorizer()
authorizer.add_user({ACCOUNT!r}, {self.env.hash!r}, {str(self.root)!r}, perm="elradfmwMT")
FTPHandler.authorizer = authorizer
FTPHandler.passive_ports = range({self.pasv[0]}, {self.pasv[1]} + 1)
FTPHandler.use_sendfile = True
FTPHandler.timeout = 600
FTPHandler.auth_failed_timeout = 0
server = FTPServer(({HOST!r}, {self.port}), FTPHandler, backlog=4096)
server.max_cons = {self.max_clients}
server.max_cons_per_ip = 0
server.serve_forever()
""")
        return [self.python, "-W", "ignore::DeprecationWarning", str(script)], {}


SERVER_CLASSES = {c.name: c for c in (Cppftpd, Vsftpd, Proftpd, PureFtpd, Pyftpdlib)}


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
# Clients
# --------------------------------------------------------------------------------------------

def run_bounded(argv: list[str], limit: float) -> tuple[str, str, int, float]:
    """Runs a client with a hard time limit (killed, by PID, on expiry). Returns stdout,
    stderr, status and the client's CPU seconds."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            start_new_session=True)
    OWN_CHILDREN.add(proc.pid)
    try:
        out, err = proc.communicate(timeout=limit)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.communicate()
        raise RuntimeError(f"client exceeded its {limit:.0f} s limit")
    finally:
        OWN_CHILDREN.discard(proc.pid)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return out, err, proc.returncode, cpu


class SwarmClient:
    """An `ftpload swarm` process: its sessions log in at start, then each command line runs on
    all of them at once and answers one JSON line."""

    def __init__(self, ftpload: Path, server: Server, clients: int, inflight: int,
                 phase_limit: float, login_limit: float):
        self.phase_limit = phase_limit
        argv = [str(ftpload), "swarm", "--host", HOST, "--port", str(server.port),
                "--user", ACCOUNT, "--pass", server.env.password, "--clients", str(clients),
                "--phase-limit", str(phase_limit), "--login-limit", str(login_limit)]
        if inflight:
            argv += ["--inflight", str(inflight)]
        self.proc = subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     stderr=subprocess.PIPE, text=True, start_new_session=True)
        OWN_CHILDREN.add(self.proc.pid)
        self.lines: queue.Queue = queue.Queue()
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self):
        for line in self.proc.stdout:
            self.lines.put(line)
        self.lines.put(None)

    def answer(self, timeout: float | None = None) -> dict:
        deadline = time.monotonic() + (timeout or self.phase_limit + 30)
        while True:
            try:
                line = self.lines.get(timeout=max(0.1, deadline - time.monotonic()))
            except queue.Empty:
                self.kill()
                raise RuntimeError("ftpload swarm did not answer in time")
            if line is None:
                raise RuntimeError(f"ftpload swarm exited: {self.proc.stderr.read()[-300:]}")
            if line.startswith("{"):
                return json.loads(line)

    def ask(self, command: str, timeout: float | None = None) -> dict:
        self.proc.stdin.write(command + "\n")
        self.proc.stdin.flush()
        return self.answer(timeout)

    def kill(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.wait()
        OWN_CHILDREN.discard(self.proc.pid)

    def close(self) -> None:
        if self.proc.poll() is None:
            try:
                self.proc.stdin.write("exit\n")
                self.proc.stdin.flush()
                self.proc.wait(timeout=20)
            except (OSError, subprocess.TimeoutExpired):
                pass
        self.kill()


# --------------------------------------------------------------------------------------------
# Workloads
# --------------------------------------------------------------------------------------------

class Bench:
    def __init__(self, args, sizes: dict, env: Environment, ftpload: Path, ceiling: Path):
        self.args = args
        self.sizes = sizes
        self.env = env
        self.ftpload = ftpload
        self.ceiling = ceiling
        self.t0 = time.monotonic()
        # results[metric][server] = list of per-round entries {"value", "failed", ...}
        self.results: dict[str, dict[str, list[dict]]] = {}
        self.incidents: list[str] = []
        self.unavailable: dict[str, str] = {}
        self.current: Server | None = None

    def time_left(self) -> float:
        return self.sizes["overall"] - (time.monotonic() - self.t0)

    def record(self, metric: str, server: str, entry: dict) -> None:
        self.results.setdefault(metric, {}).setdefault(server, []).append(entry)

    # --- single stream ---------------------------------------------------------------------

    def ftpload_single(self, server: Server, mode: str, tls: bool = False) -> dict:
        size = self.sizes["big"]
        argv = [str(self.ftpload), mode, "--host", HOST, "--port", str(server.port),
                "--user", ACCOUNT, "--pass", self.env.password]
        if mode == "get":
            argv += ["--path", "big.bin", "--expect", str(size)]
        else:
            argv += ["--path", "upload/stor-big.bin", "--source", str(self.env.big),
                     "--bytes", str(size)]
        if tls:
            argv.append("--tls")
        cpu0 = server.cpu_seconds()
        out, err, status, _ = run_bounded(argv, 120)
        server_cpu = server.cpu_seconds() - cpu0
        line = out.strip().splitlines()[-1] if out.strip() else ""
        if not line.startswith("{"):
            return {"error": f"ftpload {mode} failed ({status}): {err.strip()[-200:]}"}
        r = json.loads(line)
        entry = {"value": r["mib_s"], "seconds": r["seconds"], "client_cpu_s": r["client_cpu_s"],
                 "server_cpu_s": round(server_cpu, 3), "failed": 0 if r["ok"] else 1}
        if not r["ok"]:
            entry = {"error": r["error"], "failed": 1}
        if mode == "put":
            dest = self.env.upload / "stor-big.bin"
            got = dest.stat().st_size if dest.exists() else -1
            if "error" not in entry and got != size:
                entry = {"error": f"stored {got} bytes of {size}", "failed": 1}
            self.env.clean_uploads()
        return entry

    def curl_get(self, server: Server) -> dict:
        url = f"ftp://{ACCOUNT}:{self.env.password}@{HOST}:{server.port}/big.bin"
        out, err, status, cpu = run_bounded(
            ["curl", "-s", "-S", "--max-time", "100", "-o", "/dev/null", "-w",
             "%{size_download} %{time_pretransfer} %{time_total}", url], 110)
        if status != 0:
            return {"error": f"curl status {status}: {err.strip()[-200:]}", "failed": 1}
        size, pre, total = out.split()
        seconds = float(total) - float(pre)
        return {"value": round(int(size) / MiB / seconds, 1) if seconds > 0 else 0,
                "seconds": seconds, "client_cpu_s": round(cpu, 3), "failed": 0}

    def group_single(self, server: Server) -> None:
        n = server.name
        self.record("retr_1g", n, self.ftpload_single(server, "get"))
        self.record("retr_1g_curl", n, self.curl_get(server))
        self.record("stor_1g", n, self.ftpload_single(server, "put"))

    def ceilings(self) -> None:
        for mode in ("sendfile", "recv-write", "splice"):
            argv = [str(self.ceiling), mode, str(self.env.big)]
            if mode != "sendfile":
                argv.append(str(self.env.outdir))
            try:
                out, err, status, _ = run_bounded(argv, 120)
                r = json.loads(out.strip().splitlines()[-1])
                entry = {"value": r["mib_s"], "seconds": r["seconds"], "failed": 0}
            except Exception as e:  # noqa: BLE001
                entry = {"error": str(e), "failed": 1}
            self.record(f"ceiling_{mode}", "machine", entry)
        # The login ceilings: 300 checks of the run's SHA-512-crypt hash on 1 thread and on 2,
        # by libxcrypt's crypt_rn (crypt_ceiling.c: what the peers call), and by cppftpd's own
        # MemoryAuthorizer::authenticate() (its "$6$" path runs on OpenSSL's SHA-512).
        self.login_ceiling("crypt", [str(self.ceiling.parent / "crypt_ceiling"), "300"])
        self.login_ceiling("auth", [str(Cppftpd.binary), "--auth-ceiling", "300",
                                    "--hash", self.env.hash])

    def login_ceiling(self, name: str, argv: list[str]) -> None:
        try:
            out, err, status, _ = run_bounded(argv, 120)
            runs = [json.loads(line) for line in out.strip().splitlines() if '"threads"' in line]
            for r in runs:
                self.record(f"ceiling_{name}_{r['threads']}", "machine",
                            {"value": r["seconds"], "seconds": r["seconds"], "failed": 0})
        except Exception as e:  # noqa: BLE001
            self.record(f"ceiling_{name}_2", "machine", {"error": str(e), "failed": 1})

    # --- swarms ----------------------------------------------------------------------------

    def swarm_phase(self, swarm: SwarmClient, metric: str, server: Server, command: str,
                    wanted: int, timeout: float | None = None) -> dict:
        """One command on every live session. Its failures count every session of the swarm
        that did not complete it, those lost in earlier phases (a failed login) included."""
        r = swarm.ask(command, timeout)
        entry = {"value": r.get("seconds"), "ok": r.get("ok"),
                 "failed": max(0, wanted - (r.get("ok") or 0)), "failed_here": r.get("failed", 0),
                 "errors": r.get("errors", {}), "client_cpu_s": r.get("client_cpu_s"),
                 "p50_ms": r.get("p50_ms"), "max_ms": r.get("max_ms")}
        if "error" in r:
            entry = {"error": r["error"], "failed": 1}
        elif not r.get("ok"):
            entry = {"error": "no session completed" if r.get("failed") else "no session alive",
                     "failed": r.get("failed", 0), "errors": r.get("errors", {})}
        self.record(metric, server.name, entry)
        return r

    def group_swarm(self, server: Server, n: int) -> None:
        name = server.name
        sz = self.sizes
        tag = "300" if n == sz["swarm_small"] else "1000"
        base_kib, base_procs = tree_pss_kib(server.pid)
        overflows0 = listen_overflows()
        swarm = SwarmClient(self.ftpload, server, n, sz["login_inflight"], sz["transfer_limit"],
                            sz["login_limit"])
        try:
            r = swarm.answer(sz["login_limit"] + 60)
            self.record(f"login_{tag}", name, {
                "value": r["seconds"], "ok": r["ok"], "failed": r["failed"],
                "errors": r["errors"], "client_cpu_s": r["client_cpu_s"],
                "p50_ms": r["p50_ms"], "max_ms": r["max_ms"],
                "listen_overflows": listen_overflows() - overflows0})
            time.sleep(1.0)
            kib, procs = tree_pss_kib(server.pid)
            held = r["ok"]
            self.record(f"mem_idle_{tag}", name, {
                "value": round((kib - base_kib) / held, 1) if held else None,
                "total_kib": kib, "baseline_kib": base_kib, "clients": held,
                "processes": procs, "baseline_processes": base_procs, "failed": 0})
            if tag == "1000":
                self.record("retr_1g_idle", name, self.ftpload_single(server, "get"))
                self.record("stor_1g_idle", name, self.ftpload_single(server, "put"))
            cpu0 = server.cpu_seconds()
            self.swarm_phase(swarm, f"retr_{tag}", server, f"retr f10m.bin {sz['small']}", n)
            self.results[f"retr_{tag}"][name][-1]["server_cpu_s"] = round(server.cpu_seconds() - cpu0, 2)
            need = n * sz["small"] + 512 * MiB
            free = shutil.disk_usage(self.env.mount).free
            if mem_available_kib() * 1024 < need + 2 * GiB or free < need:
                self.record(f"stor_{tag}", name, {
                    "error": f"skipped: not enough memory for {n} x {sz['small'] // MiB} MiB "
                             f"in tmpfs", "failed": 0})
            else:
                cpu0 = server.cpu_seconds()
                self.swarm_phase(swarm, f"stor_{tag}", server,
                                 f"stor upload/swarm {sz['small']} {self.env.small}", n)
                self.results[f"stor_{tag}"][name][-1]["server_cpu_s"] = round(server.cpu_seconds() - cpu0, 2)
                self.check_swarm_uploads(name, f"stor_{tag}", sz["small"])
            self.env.clean_uploads()
            self.swarm_phase(swarm, f"quit_{tag}", server, "quit", n)
        finally:
            swarm.close()
            self.env.clean_uploads()

    def check_swarm_uploads(self, name: str, metric: str, size: int) -> None:
        bad = sum(1 for p in self.env.upload.glob("swarm-*") if p.stat().st_size != size)
        if bad:
            self.results[metric][name][-1]["short_files"] = bad

    def group_idle(self, server: Server) -> None:
        """10,000 logged-in sessions (fewer if the server cannot hold them within the time
        limit, or if the machine runs short of memory or process slots: then the swarm is
        stopped and the server is reported as not holding them)."""
        name = server.name
        sz = self.sizes
        n = sz["idle"]
        base_kib, _ = tree_pss_kib(server.pid)
        swarm = SwarmClient(self.ftpload, server, n, sz["login_inflight"], sz["transfer_limit"],
                            sz["idle_login_limit"])
        guard_note: list[str] = []
        stop_guard = threading.Event()
        pid_max = int(Path("/proc/sys/kernel/pid_max").read_text())

        def guard():
            while not stop_guard.wait(0.5):
                why = None
                if mem_available_kib() < 3 * 1024 * 1024:
                    why = "the machine's available memory fell below 3 GiB"
                elif process_count() > 0.85 * pid_max:
                    why = f"processes on the machine passed 85 % of pid_max ({pid_max})"
                if why:
                    guard_note.append(why)
                    swarm.kill()
                    return

        threading.Thread(target=guard, daemon=True).start()
        overflows0 = listen_overflows()
        try:
            try:
                r = swarm.answer(sz["idle_login_limit"] + 60)
            except RuntimeError as e:
                self.record("idle_held", name, {"value": 0, "failed": n,
                                                "error": guard_note[0] if guard_note else str(e)})
                return
            self.record("idle_login_s", name, {
                "value": r["seconds"], "ok": r["ok"], "failed": r["failed"], "errors": r["errors"],
                "client_cpu_s": r["client_cpu_s"],
                "listen_overflows": listen_overflows() - overflows0})
            time.sleep(2.0)
            kib, procs = tree_pss_kib(server.pid)
            noop = swarm.ask("noop", 60)
            held = noop.get("ok", 0)
            self.record("idle_held", name, {"value": held, "wanted": n, "failed": n - held,
                                            "errors": {**r["errors"], **noop.get("errors", {})},
                                            "noop_s": noop.get("seconds")})
            self.record("mem_idle_10k", name, {
                "value": round((kib - base_kib) / r["ok"], 1) if r["ok"] else None,
                "total_kib": kib, "baseline_kib": base_kib, "clients": r["ok"],
                "processes": procs, "failed": 0})
            one = swarm.ask("login1 5", 200)
            lat = one.get("login_ms", [])
            entry = {"value": round(statistics.median(lat), 2) if lat else None,
                     "all_ms": lat, "failed": one.get("failed", 0), "errors": one.get("errors", {})}
            if not lat:
                entry["error"] = "no new client logged in: " + ", ".join(
                    f"{k} ({v})" for k, v in one.get("errors", {}).items())
            self.record("idle_new_login_ms", name, entry)
            self.record("retr_1g_10k", name, self.ftpload_single(server, "get"))
            self.record("stor_1g_10k", name, self.ftpload_single(server, "put"))
        finally:
            stop_guard.set()
            swarm.close()
            if guard_note:
                self.incidents.append(f"{name}, 10,000 idle sessions: the harness stopped the "
                                      f"swarm because {guard_note[0]}")

    def group_tls(self, server: Server) -> None:
        self.record("tls_retr_1g", server.name, self.ftpload_single(server, "get", tls=True))
        self.record("tls_stor_1g", server.name, self.ftpload_single(server, "put", tls=True))


# --------------------------------------------------------------------------------------------
# Running the groups
# --------------------------------------------------------------------------------------------

def rotated(names: list[str], r: int) -> list[str]:
    k = r % len(names) if names else 0
    return names[k:] + names[:k]


def run_group(bench: Bench, group: str, names: list[str], ports: dict, rounds: int) -> None:
    tls = group == "tls"
    pool = [n for n in names if n in TLS_SERVERS] if tls else names
    # Seconds a server needs for one round of the group: not started with less time left.
    budget = {"single": 30, "swarm300": 45, "swarm1000": 90, "idle10k": 150, "tls": 20}[group]
    for r in range(rounds):
        if group == "single":
            log(f"round {r + 1}: ceilings")
            bench.ceilings()
        for name in rotated(pool, r):
            if name in bench.unavailable:
                continue
            if bench.time_left() < budget:
                log(f"{group} round {r + 1} {name}: skipped (overall time limit)")
                bench.incidents.append(f"{group}, round {r + 1}, {name}: skipped, the run's "
                                       f"overall time limit was near")
                continue
            port, pasv = ports[name]
            server = SERVER_CLASSES[name](bench.env, port, pasv, tls=tls)
            reason = server.available()
            if reason:
                bench.unavailable[name] = reason
                continue
            if bench.args.quiet_wait > 0:
                wait_for_quiet(bench.args.quiet_wait)
            try:
                server.start()
            except Exception as e:  # noqa: BLE001
                msg = f"{group}, round {r + 1}, {name}{' (TLS)' if tls else ''}: could not start: {e}"
                log(msg)
                bench.incidents.append(msg)
                continue
            log(f"{group} round {r + 1}: {name}{' (TLS)' if tls else ''}")
            bench.current = server
            try:
                if group == "single":
                    bench.group_single(server)
                elif group == "swarm300":
                    bench.group_swarm(server, bench.sizes["swarm_small"])
                elif group == "swarm1000":
                    bench.group_swarm(server, bench.sizes["swarm_large"])
                elif group == "idle10k":
                    bench.group_idle(server)
                else:
                    bench.group_tls(server)
            except Exception as e:  # noqa: BLE001 -- a failure is a result too
                msg = f"{group}, round {r + 1}, {name}: failed: {e}"
                log(msg)
                bench.incidents.append(msg)
            finally:
                if not server.alive():
                    bench.incidents.append(f"{group}, round {r + 1}, {name}: the server died "
                                           f"(status {server.proc.returncode}): {server.log_tail()}")
                server.stop()
                bench.current = None
                bench.env.clean_uploads()
            summary = {m: v[name][-1].get("value", v[name][-1].get("error"))
                       for m, v in bench.results.items() if name in v and len(v[name]) > r
                       and not m.startswith("ceiling")}
            log(f"  {name}: " + ", ".join(f"{m}={v}" for m, v in summary.items()))


# --------------------------------------------------------------------------------------------
# Report
# --------------------------------------------------------------------------------------------

# metric: (label, unit, higher_is_better, rows of the table first)
METRICS = [
    ("retr_1g", "RETR 1 GiB, one stream (MiB/s)", True),
    ("stor_1g", "STOR 1 GiB, one stream (MiB/s)", True),
    ("login_300", "300 clients connect + login (s)", False),
    ("mem_idle_300", "memory per idle logged-in client, 300 clients (PSS, KiB)", False),
    ("retr_300", "300 x RETR 10 MiB at once (s)", False),
    ("stor_300", "300 x STOR 10 MiB at once (s)", False),
    ("quit_300", "300 x QUIT at once (s)", False),
    ("login_1000", "1000 clients connect + login (s)", False),
    ("retr_1000", "1000 x RETR 10 MiB at once (s)", False),
    ("stor_1000", "1000 x STOR 10 MiB at once (s)", False),
    ("quit_1000", "1000 x QUIT at once (s)", False),
    ("retr_1g_idle", "RETR 1 GiB with 1000 idle sessions (MiB/s)", True),
    ("stor_1g_idle", "STOR 1 GiB with 1000 idle sessions (MiB/s)", True),
    ("idle_held", "10,000 idle logged-in sessions: held", True),
    ("idle_login_s", "10,000 sessions: time to log them all in (s)", False),
    ("mem_idle_10k", "memory per idle logged-in client, 10,000 clients (PSS, KiB)", False),
    ("idle_new_login_ms", "new client's login while 10,000 are held (ms, median of 5)", False),
    ("retr_1g_10k", "RETR 1 GiB with 10,000 idle sessions (MiB/s)", True),
    ("stor_1g_10k", "STOR 1 GiB with 10,000 idle sessions (MiB/s)", True),
    ("tls_retr_1g", "FTPS RETR 1 GiB, one stream (MiB/s)", True),
    ("tls_stor_1g", "FTPS STOR 1 GiB, one stream (MiB/s)", True),
]
LABELS = {m: (label, hib) for m, label, hib in METRICS}


def fmt(x, digits: int = 0) -> str:
    if x is None:
        return "–"
    if isinstance(x, float) and digits == 0 and abs(x) < 10:
        digits = 2 if abs(x) < 1 else 1
    return f"{x:,.{digits}f}"


def digits_for(metric: str) -> int:
    if metric.startswith(("login", "retr_3", "retr_1000", "stor_3", "stor_1000", "quit", "idle_login")):
        return 3 if metric.startswith("quit") else 2
    if metric.startswith("mem") or metric == "idle_new_login_ms":
        return 1
    return 0


def summarize(entries: list[dict]) -> dict:
    """Median of the rounds' values (rounds with a value), and the failures."""
    values = [e["value"] for e in entries if e.get("value") is not None and "error" not in e]
    failed = [e.get("failed", 0) or 0 for e in entries]
    errors = [e["error"] for e in entries if "error" in e]
    kinds: dict[str, int] = {}
    for e in entries:
        for k, v in (e.get("errors") or {}).items():
            kinds[k] = kinds.get(k, 0) + v
    return {"median": statistics.median(values) if values else None, "values": values,
            "rounds": len(entries), "max_failed": max(failed) if failed else 0,
            "failed_rounds": sum(1 for f in failed if f), "errors": errors, "kinds": kinds}


def cell(metric: str, s: dict | None) -> str:
    if s is None:
        return "–"
    if s["median"] is None:
        return "failed: " + (s["errors"][0][:80] if s["errors"] else "no value")
    text = fmt(s["median"], digits_for(metric))
    if metric.startswith("mem") and s["median"] < 1.0:
        text = f"< 1 ({fmt(s['median'], 1)})"
    if metric == "idle_held":
        text = f"{int(s['median']):,}"
    if s["max_failed"] and metric != "idle_held":
        text += f" (**{s['max_failed']} failed**)"
    return text


def best_peer(metric: str, table: dict[str, dict], peers: list[str]) -> tuple[str | None, float | None]:
    """The best peer's median: among peers with no failure, when there are any."""
    hib = LABELS[metric][1]
    cands = [(p, table[p]) for p in peers if p in table and table[p]["median"] is not None]
    clean = [(p, s) for p, s in cands if not s["max_failed"]]
    pick = clean or cands
    if not pick:
        return None, None
    p, s = (max if hib else min)(pick, key=lambda ps: ps[1]["median"])
    return p, s["median"]


def advantage(metric: str, cpp: float | None, other: float | None) -> float | None:
    """> 1: cppftpd ahead by that factor (throughput over, or time/memory under, the other)."""
    if cpp is None or other is None:
        return None
    if metric.startswith("mem"):
        # PSS differences of under 1 KiB per client are within the measurement's noise (a few
        # hundred KiB over the whole process): compare at no less than 1 KiB.
        cpp, other = max(cpp, 1.0), max(other, 1.0)
    if cpp == 0 or other == 0:
        return None
    return cpp / other if LABELS[metric][1] else other / cpp


def render_report(meta: dict, bench: Bench, names: list[str]) -> tuple[str, dict]:
    res = bench.results
    tables = {m: {s: summarize(e) for s, e in by.items()} for m, by in res.items()}
    peers = [n for n in names if n != "cppftpd"]
    lines: list[str] = []
    add = lines.append
    add(f"# cppftpd benchmark, {meta['date']}{' (QUICK: sizes too small to mean anything)' if meta['quick'] else ''}")
    add("")
    if meta["quick"]:
        sz = meta["sizes"]
        add(f"Quick mode: the rows say 300, 1000, 10,000 clients, 1 GiB and 10 MiB; this run used "
            f"{sz['swarm_small']}, {sz['swarm_large']}, {sz['idle']} clients, "
            f"{sz['big'] // MiB} MiB and {sz['small'] // MiB} MiB.")
        add("")
    add(f"Harness `bench/harness.py` (issue 6): {meta['rounds']} interleaved rounds, medians; "
        f"all traffic on 127.0.0.1, the file tree on tmpfs; every server checks the same "
        f"SHA-512-crypt (`$6$`, 5000 rounds) password at login; logins go in at most "
        f"{meta['sizes']['login_inflight']} at a time. The run took "
        f"{meta['duration_s'] / 60:.1f} min.")
    add("")
    add("## Machine and servers")
    add("")
    for k in ("cpu", "cores", "memory", "kernel", "os", "load_before", "fork_exit_wait_ms",
              "page_fault_us", "nofile"):
        add(f"- {meta['labels'][k]}: {meta[k]}")
    for n in names:
        add(f"- {n}: {meta['versions'].get(n, '?')}" +
            (f" — **not measured: {bench.unavailable[n]}**" if n in bench.unavailable else ""))
    add("")

    add("## Results")
    add("")
    add("Median of the rounds. *vs best peer*: how far cppftpd is ahead of the best peer "
        "(throughput: cppftpd / peer; time and memory: peer / cppftpd), so above 1 means "
        "ahead; a peer with failures counts as best only if every peer failed. "
        "**N failed**: the most sessions that failed in one round.")
    add("")
    head = "| metric | " + " | ".join(names) + " | best peer | cppftpd vs best peer |"
    add(head)
    add("|---|" + "---:|" * len(names) + "---|---:|")
    ratios: dict[str, float | None] = {}
    for metric, label, _ in METRICS:
        t = tables.get(metric)
        if not t:
            continue
        row = [cell(metric, t.get(n)) for n in names]
        bp, bv = best_peer(metric, t, peers)
        cpp = t.get("cppftpd", {}).get("median") if "cppftpd" in t else None
        ratio = advantage(metric, cpp, bv)
        ratios[metric] = ratio
        add(f"| {label} | " + " | ".join(row) + f" | {bp or '–'} | "
            f"{('×' + fmt(ratio, 2)) if ratio else '–'} |")
    add("")

    add("## Ceilings (the machine itself)")
    add("")
    add("`bench/ceiling/ceiling.c`, built in the same run, 1 GiB from the page cache, medians "
        "of the rounds (one run per round, before the servers' single-stream runs).")
    add("")
    add("| ceiling | MiB/s (median) | rounds | cppftpd | cppftpd / ceiling |")
    add("|---|---:|---|---:|---:|")
    ceil_ratio = {}
    for mode, metric, what in (("sendfile", "retr_1g", "RETR"), ("recv-write", "stor_1g", "STOR"),
                               ("splice", "stor_1g", "STOR")):
        s = tables.get(f"ceiling_{mode}", {}).get("machine")
        cpp = tables.get(metric, {}).get("cppftpd", {}).get("median") if metric in tables else None
        if s is None:
            continue
        r = cpp / s["median"] if cpp and s["median"] else None
        ceil_ratio[mode] = r
        add(f"| {mode} | {fmt(s['median'])} | {', '.join(fmt(v) for v in s['values'])} | "
            f"{what} {fmt(cpp)} | {fmt(r, 2) if r else '–'} |")
    add("")
    c1 = tables.get("ceiling_crypt_1", {}).get("machine")
    c2 = tables.get("ceiling_crypt_2", {}).get("machine")
    a1 = tables.get("ceiling_auth_1", {}).get("machine")
    a2 = tables.get("ceiling_auth_2", {}).get("machine")
    if c1 and c2:
        login = tables.get("login_300", {}).get("cppftpd", {}).get("median")
        add("The login ceilings: 300 checks of the run's SHA-512-crypt hash (the hash every "
            "server checks per login), on one thread and split over two, seconds, medians of "
            "the rounds. `libxcrypt` is `crypt_rn()` (`bench/ceiling/crypt_ceiling.c`), what "
            "the peers call (pyftpdlib through Python's `crypt`, vsftpd and ProFTPD through "
            "`pam_unix`/`crypt`); `cppftpd` is `MemoryAuthorizer::authenticate()` "
            "(`cppftpd-bench --auth-ceiling`), whose `$6$` path computes the same hash on "
            "OpenSSL's SHA-512. No server logs 300 clients in faster than its own two-thread "
            "figure; a single-threaded one (pyftpdlib) no faster than its one-thread figure.")
        add("")
        add("| 300 hashes | seconds (median) | rounds | cppftpd 300 logins (s) |")
        add("|---|---:|---|---:|")
        rows = [("libxcrypt, 1 thread", c1), ("libxcrypt, 2 threads", c2)]
        if a1 and a2:
            rows += [("cppftpd, 1 thread", a1), ("cppftpd, 2 threads", a2)]
        for label, c in rows:
            add(f"| {label} | {fmt(c['median'], 3)} | {', '.join(fmt(v, 3) for v in c['values'])}"
                f" | {fmt(login, 2) if login else '–'} |")
        add("")
        add(f"Two threads hash ×{fmt(c1['median'] / c2['median'], 2)} as fast as one here with "
            "libxcrypt: the most a multi-threaded server can gain on a single-threaded one "
            "with the same hash code.")
        if a1 and a2:
            add(f" cppftpd's check takes ×{fmt(a1['median'] / c1['median'], 2)} the CPU of "
                f"libxcrypt's on one thread, so its two-thread bound is "
                f"×{fmt(c1['median'] / a2['median'], 2)} libxcrypt's one-thread time.")
        add("")

    add("## Goals of issue 6")
    add("")
    goals = evaluate_goals(tables, ratios, ceil_ratio, peers)
    for ok, text in goals:
        add(f"- {'**met**' if ok else '**missed**' if ok is False else 'not measured'}: {text}")
    add("")

    add("## Is the load generator the bottleneck?")
    add("")
    add("Single-stream RETR of 1 GiB by ftpload and by curl (`curl -o /dev/null`, transfer time "
        "= time_total - time_pretransfer), and the client's CPU over the transfer (1.00 = a "
        "whole core: the client would be the limit). For the swarms, ftpload's CPU over each "
        "phase, in cores.")
    add("")
    add("| server | ftpload RETR MiB/s | curl RETR MiB/s | ftpload cores (RETR) | curl cores | ftpload cores: 1000 x RETR / STOR |")
    add("|---|---:|---:|---:|---:|---|")
    for n in names:
        a = res.get("retr_1g", {}).get(n, [])
        c = res.get("retr_1g_curl", {}).get(n, [])
        def cores(entries):
            v = [e["client_cpu_s"] / e["seconds"] for e in entries
                 if e.get("seconds") and e.get("client_cpu_s") is not None]
            return fmt(statistics.median(v), 2) if v else "–"
        def swarm_cores(metric):
            v = [e["client_cpu_s"] / e["value"] for e in res.get(metric, {}).get(n, [])
                 if e.get("value") and e.get("client_cpu_s") is not None]
            return fmt(statistics.median(v), 2) if v else "–"
        add(f"| {n} | {cell('retr_1g', summarize(a)) if a else '–'} | {cell('retr_1g', summarize(c)) if c else '–'} | "
            f"{cores(a)} | {cores(c) if c else '–'} | {swarm_cores('retr_1000')} / {swarm_cores('stor_1000')} |")
    add("")

    add("## Every round")
    add("")
    add("| metric | server | rounds | errors |")
    add("|---|---|---|---|")
    for metric, label, _ in METRICS + [("retr_1g_curl", "RETR 1 GiB by curl (MiB/s)", True)]:
        for n, entries in res.get(metric, {}).items():
            vals = ", ".join(fmt(e.get("value"), digits_for(metric)) if "error" not in e else "error"
                             for e in entries)
            s = summarize(entries)
            errs = "; ".join([f"{k}: {v}" for k, v in s["kinds"].items()] + s["errors"])[:300]
            add(f"| {label} | {n} | {vals} | {errs} |")
    add("")

    add("## Logins that never got a greeting")
    add("")
    add("TcpExt ListenOverflows during each login phase (median of the rounds): handshakes "
        "that completed while the server's accept queue was full (its listen backlog: "
        "`ss -ltn` shows it). With SYN cookies, Linux's default, the server forgets such a "
        "connection while the client believes it is connected and waits for a 220 that never "
        "comes: these are the logins that time out.")
    add("")
    add("| server | 300 logins | 1000 logins | 10,000 logins |")
    add("|---|---:|---:|---:|")
    for n in names:
        cells = []
        for m in ("login_300", "login_1000", "idle_login_s"):
            v = [e.get("listen_overflows") for e in res.get(m, {}).get(n, [])
                 if e.get("listen_overflows") is not None]
            cells.append(fmt(statistics.median(v)) if v else "–")
        add(f"| {n} | " + " | ".join(cells) + " |")
    add("")

    mem = []
    for metric in ("mem_idle_300", "mem_idle_10k"):
        for n, entries in res.get(metric, {}).items():
            e = entries[-1]
            mem.append(f"| {metric} | {n} | {e.get('clients')} | {fmt(e.get('baseline_kib'))} | "
                       f"{fmt(e.get('total_kib'))} | {e.get('processes')} |")
    if mem:
        add("## Memory details (last round)")
        add("")
        add("| metric | server | idle clients held | baseline PSS KiB | PSS KiB with them | processes |")
        add("|---|---|---:|---:|---:|---:|")
        lines.extend(mem)
        add("")

    add("## Incidents")
    add("")
    if not bench.incidents:
        add("None.")
    for i in bench.incidents:
        add(f"- {i}")
    add("")
    return "\n".join(lines), {"tables": tables, "ratios": ratios, "ceiling_ratios": ceil_ratio,
                              "goals": goals}


def evaluate_goals(tables, ratios, ceil_ratio, peers) -> list[tuple[bool | None, str]]:
    out: list[tuple[bool | None, str]] = []

    def med(metric, server="cppftpd"):
        s = tables.get(metric, {}).get(server)
        return None if s is None else s["median"]

    r = ceil_ratio.get("sendfile")
    out.append((None if r is None else r >= 0.9,
                f"RETR 1 GiB >= 0.9 x the sendfile ceiling: {fmt(r, 2) if r else '–'}"))
    r = ceil_ratio.get("splice")
    out.append((None if r is None else r >= 0.9,
                f"STOR 1 GiB >= 0.9 x the splice ceiling: {fmt(r, 2) if r else '–'}"))
    rows = ["retr_1g", "stor_1g", "login_300", "mem_idle_300", "retr_300", "stor_300", "quit_300",
            "login_1000", "retr_1000", "stor_1000"]
    for m in rows:
        r = ratios.get(m)
        out.append((None if r is None else r > 1.0,
                    f"ahead of the best peer on '{LABELS[m][0]}': ×{fmt(r, 2) if r else '–'}"))
    py = tables.get("login_300", {}).get("pyftpdlib")
    cpp = med("login_300")
    r = (py["median"] / cpp) if py and py["median"] and cpp else None
    out.append((None if r is None else r >= 2.0,
                f"300 concurrent logins at least 2x faster than pyftpdlib: ×{fmt(r, 2) if r else '–'}"))
    m = med("mem_idle_300")
    out.append((None if m is None else m <= 4.0,
                f"memory per idle logged-in session <= 4 KiB: {fmt(m, 1)} KiB (300 clients), "
                f"{fmt(med('mem_idle_10k'), 1)} KiB (10,000)"))
    fails = [tables.get(k, {}).get("cppftpd", {}).get("max_failed") for k in ("retr_1000", "stor_1000")]
    known = [f for f in fails if f is not None]
    out.append((None if len(known) < 2 else all(f == 0 for f in known),
                f"1000 concurrent RETR and STOR with no failure: failures {fails}"))
    r = ratios.get("stor_1000")
    out.append((None if r is None else r >= 2.0,
                f"1000 x STOR at least 2x faster than the best peer: ×{fmt(r, 2) if r else '–'}"))
    held = med("idle_held")
    new = med("idle_new_login_ms")
    want = tables.get("idle_held", {}).get("cppftpd")
    if held is not None and held < 10000:
        ok = False  # not held: the new-client check cannot pass either
    else:
        ok = None if held is None or new is None else (held >= 10000 and new < 100)
    out.append((ok, f"10,000 logged-in sessions held ({fmt(held)}) and a new client logged in "
                    f"within 100 ms ({fmt(new, 1)} ms)" + ("" if want else "")))
    return out


def machine_meta(ftpload: Path) -> dict:
    cpu = next((l.split(":", 1)[1].strip() for l in Path("/proc/cpuinfo").read_text().splitlines()
                if l.startswith("model name")), "?")
    mem_kib = next(int(l.split()[1]) for l in Path("/proc/meminfo").read_text().splitlines()
                   if l.startswith("MemTotal:"))
    os_name = "?"
    try:
        for line in Path("/etc/os-release").read_text().splitlines():
            if line.startswith("PRETTY_NAME="):
                os_name = line.split("=", 1)[1].strip('"')
    except OSError:
        pass
    probe = subprocess.run([str(ftpload), "probe"], capture_output=True, text=True, timeout=60)
    p = json.loads(probe.stdout) if probe.returncode == 0 else {}
    virt = subprocess.run(["systemd-detect-virt"], capture_output=True, text=True).stdout.strip() \
        if shutil.which("systemd-detect-virt") else ""
    return {
        "cpu": cpu + (f" ({virt})" if virt and virt != "none" else ""), "cores": os.cpu_count(),
        "memory": f"{mem_kib / 1024 / 1024:.1f} GiB", "kernel": platform.release(), "os": os_name,
        "load_before": " ".join(f"{x:.2f}" for x in os.getloadavg()),
        "fork_exit_wait_ms": fmt(p.get("fork_exit_wait_ms"), 2),
        "page_fault_us": fmt(p.get("page_fault_us"), 1),
        "labels": {
            "cpu": "CPU", "cores": "cores", "memory": "memory", "kernel": "kernel", "os": "OS",
            "load_before": "load average before the run (1/5/15 min)",
            "fork_exit_wait_ms": "fork()+exit+waitpid() of a small process, ms (ftpload probe)",
            "page_fault_us": "first-touch page fault, µs (ftpload probe)",
        },
    }


# --------------------------------------------------------------------------------------------

def main() -> int:
    ap = argparse.ArgumentParser(description="cppftpd benchmark harness (run it via bench/run)")
    ap.add_argument("--servers", default=",".join(ALL_SERVERS))
    ap.add_argument("--groups", default=",".join(ALL_GROUPS),
                    help="comma-separated from " + ",".join(ALL_GROUPS))
    ap.add_argument("--rounds", type=int, help="rounds per group (default 3; quick 2)")
    ap.add_argument("--quick", action="store_true", help="tiny sizes, to check the harness")
    ap.add_argument("--ftpload", required=True)
    ap.add_argument("--ceiling", required=True)
    ap.add_argument("--out", help="report path (default bench/results/<date>.md)")
    ap.add_argument("--keep", action="store_true", help="keep the work directory")
    ap.add_argument("--quiet-wait", type=float, default=2.0,
                    help="before each server, wait up to this long for the machine to be idle")
    ap.add_argument("--render", metavar="JSON",
                    help="only write the report (.md, .png) again from a run's .json")
    args = ap.parse_args()
    if args.render:
        return render_again(Path(args.render))
    if os.geteuid() != 0:
        print("bench/harness.py: must run as root (chroot servers, a tmpfs mount, a system "
              "account for the $6$ login)", file=sys.stderr)
        return 1
    names = [n.strip() for n in args.servers.split(",") if n.strip()]
    groups = [g.strip() for g in args.groups.split(",") if g.strip()]
    for n in names:
        if n not in SERVER_CLASSES:
            ap.error(f"unknown server {n!r}")
    for g in groups:
        if g not in ALL_GROUPS:
            ap.error(f"unknown group {g!r}")
    sizes = dict(QUICK if args.quick else FULL)
    rounds = args.rounds or sizes["rounds"]

    # 10,000 sessions: descriptors for us, ftpload and the servers (children inherit it).
    want = min(1 << 20, int(Path("/proc/sys/fs/nr_open").read_text()))
    try:
        resource.setrlimit(resource.RLIMIT_NOFILE, (want, want))
    except (ValueError, OSError):
        soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    nofile = resource.getrlimit(resource.RLIMIT_NOFILE)
    become_subreaper()

    def on_term(signum, frame):
        raise KeyboardInterrupt()

    signal.signal(signal.SIGTERM, on_term)
    started = time.monotonic()
    ftpload, ceiling = Path(args.ftpload), Path(args.ceiling)
    meta = machine_meta(ftpload)
    meta["nofile"] = (f"{nofile[0]} (servers and clients inherit it"
                      + ("" if nofile[0] >= want else
                         f"; {want} was asked for and refused: no CAP_SYS_RESOURCE here") + ")")
    meta["labels"]["nofile"] = "RLIMIT_NOFILE"
    work = Path(tempfile.mkdtemp(prefix="cppftpd-bench-"))
    os.chmod(work, 0o755)
    log(f"work directory {work}")
    env = Environment(work, sizes)
    bench: Bench | None = None
    interrupted = None
    try:
        env.open()
        bench = Bench(args, sizes, env, ftpload, ceiling)
        meta["versions"] = {}
        ports: dict[str, tuple[int, tuple[int, int]]] = {}
        for i, n in enumerate(names):
            # Control ports 2121+, passive ranges below the ephemeral range, one per server.
            ports[n] = (free_port({p for p, _ in ports.values()}),
                        (20000 + i * 2000, 20000 + i * 2000 + 1999))
            try:
                meta["versions"][n] = SERVER_CLASSES[n](env, 0, (0, 0)).version()
            except Exception:  # noqa: BLE001
                meta["versions"][n] = "?"
        for g in groups:
            run_group(bench, g, names, ports, 1 if g == "idle10k" else rounds)
    except KeyboardInterrupt:
        interrupted = "interrupted (SIGINT)"
    finally:
        env.close()
        if args.keep:
            log(f"kept {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)
    if bench is None:
        return 1
    if interrupted:
        bench.incidents.append(interrupted)
    meta.update({"date": datetime.date.today().isoformat(), "quick": args.quick,
                 "duration_s": time.monotonic() - started, "sizes": sizes, "rounds": rounds,
                 "groups": groups, "servers": names})
    report, derived = render_report(meta, bench, names)
    if args.out:
        out = Path(args.out)
    else:
        stem = meta["date"] + ("-quick" if args.quick else "")
        out = HERE / "results" / f"{stem}.md"
        k = 2
        while out.exists():
            out = HERE / "results" / f"{stem}-{k}.md"
            k += 1
    out.parent.mkdir(parents=True, exist_ok=True)
    data = {"meta": meta, "results": bench.results, "incidents": bench.incidents,
            "unavailable": bench.unavailable, "derived": derived}
    out.with_suffix(".json").write_text(json.dumps(data, indent=1, default=str))
    png = out.with_suffix(".png")
    plot = subprocess.run(["/usr/bin/python3", str(HERE / "plot.py"), str(out.with_suffix(".json")),
                           str(png)], capture_output=True, text=True)
    if plot.returncode == 0:
        report += f"\n![plot]({png.name})\n"
    else:
        log(f"plot failed: {plot.stderr.strip()[-300:]}")
    out.write_text(report)
    print(report)
    log(f"report written to {out} (raw figures in {out.with_suffix('.json').name})")
    return 0


def render_again(src: Path) -> int:
    """The report of an earlier run, from its raw figures (after a change to the report)."""
    data = json.loads(src.read_text())
    bench = Bench.__new__(Bench)
    bench.results = data["results"]
    bench.incidents = data.get("incidents", [])
    bench.unavailable = data.get("unavailable", {})
    meta = data["meta"]
    report, derived = render_report(meta, bench, meta["servers"])
    data["derived"] = derived
    src.write_text(json.dumps(data, indent=1, default=str))
    png = src.with_suffix(".png")
    if subprocess.run(["/usr/bin/python3", str(HERE / "plot.py"), str(src), str(png)]).returncode == 0:
        report += f"\n![plot]({png.name})\n"
    src.with_suffix(".md").write_text(report)
    return 0


def free_port(avoid: set[int]) -> int:
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


if __name__ == "__main__":
    sys.exit(main())
