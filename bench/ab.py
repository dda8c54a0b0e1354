#!/usr/bin/env python3
"""Side-by-side checks of a few servers, outside the full harness (bench/harness.py).

  bench/ab.py single get|put SERVERS ROUNDS        one 1 GiB RETR (get) or STOR (put) per
                                                   server and round, back to back
  bench/ab.py swarm-stor SERVERS CLIENTS ROUNDS    CLIENTS sessions per server, all logged in
                                                   at the start; each round, every server's
                                                   swarm uploads 10 MiB per session at once

SERVERS is a comma-separated list of bench/harness.py's server names (cppftpd, vsftpd,
proftpd, pure-ftpd, pyftpdlib); "cppftpd@user" runs cppftpd as the run's unprivileged account
instead of root. Every server is started once and kept for all rounds; the order alternates
each round. In swarm-stor, each server's uploads start right after the other's were removed,
so every round after an untimed first one writes into pages the machine just freed ("warm"
memory, docs/benchmarks.md); that is what makes rounds comparable on this VM, not what a
cold machine gives.

Prints each round and the medians (MiB/s for single; seconds and the server's CPU-seconds for
swarm-stor). Needs root and the binaries bench/run builds (run bench/run once first). Same
rules as the harness: loopback only, every phase bounded in time, only the processes it
started are stopped, by PID; its account and tmpfs are removed at the end.
"""

from __future__ import annotations

import json
import shutil
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import harness as h  # noqa: E402

USAGE = ("usage: bench/ab.py single get|put SERVERS ROUNDS\n"
         "       bench/ab.py swarm-stor SERVERS CLIENTS ROUNDS")


def make_server(env: h.Environment, spec: str, index: int) -> h.Server:
    name, _, as_user = spec.partition("@")
    if name not in h.SERVER_CLASSES or as_user not in ("", "user"):
        raise SystemExit(f"bench/ab.py: unknown server {spec!r}\n{USAGE}")
    if as_user and name != "cppftpd":
        raise SystemExit("bench/ab.py: only cppftpd takes @user (the others drop privileges "
                         "themselves)")
    # Control ports 2600+, passive ranges below the ephemeral range (as the harness).
    server = h.SERVER_CLASSES[name](env, 2600 + index, (26000 + index * 2000,
                                                       26000 + index * 2000 + 1999))
    if as_user:
        command = server.command

        def unprivileged():
            argv, extra = command()
            return ["setpriv", f"--reuid={env.uid}", f"--regid={env.gid}", "--clear-groups",
                    *argv], extra
        server.command = unprivileged
    return server


def ftpload(env: h.Environment, server: h.Server, mode: str) -> float:
    argv = [str(h.BUILD / "loadgen" / "ftpload"), mode, "--host", h.HOST, "--port",
            str(server.port), "--user", h.ACCOUNT, "--pass", env.password]
    if mode == "get":
        argv += ["--path", "big.bin", "--expect", str(env.sizes["big"])]
    else:
        argv += ["--path", "upload/ab.bin", "--source", str(env.big), "--bytes",
                 str(env.sizes["big"])]
    out, err, status, _ = h.run_bounded(argv, 120)
    lines = out.strip().splitlines()
    result = json.loads(lines[-1]) if lines and lines[-1].startswith("{") else {}
    env.clean_uploads()
    if not result.get("ok"):
        raise RuntimeError(f"{server.name}: ftpload {mode} failed ({status}): "
                           f"{result.get('error') or err.strip()[-200:]}")
    return result["mib_s"]


def main() -> int:
    args = sys.argv[1:]
    if len(args) == 4 and args[0] == "single" and args[1] in ("get", "put"):
        mode, specs, clients, rounds = args[1], args[2].split(","), 0, int(args[3])
    elif len(args) == 4 and args[0] == "swarm-stor":
        mode, specs, clients, rounds = "swarm-stor", args[1].split(","), int(args[2]), int(args[3])
    else:
        print(USAGE, file=sys.stderr)
        return 2
    if os.geteuid() != 0:
        print("bench/ab.py: must run as root (as bench/harness.py)", file=sys.stderr)
        return 1
    work = Path(tempfile.mkdtemp(prefix="cppftpd-ab-"))
    os.chmod(work, 0o755)  # an unprivileged server must reach the tree below it
    sizes = dict(h.FULL)
    env = h.Environment(work, sizes)
    servers: list[tuple[str, h.Server]] = []
    swarms: dict[str, h.SwarmClient] = {}
    figures: dict[str, list[float]] = {spec: [] for spec in specs}
    cpu: dict[str, list[float]] = {spec: [] for spec in specs}
    stor = f"stor upload/swarm {sizes['small']} "
    try:
        env.open()
        stor += str(env.small)
        for i, spec in enumerate(specs):
            server = make_server(env, spec, i)
            server.start()
            servers.append((spec, server))
            if mode == "swarm-stor":
                swarm = h.SwarmClient(h.BUILD / "loadgen" / "ftpload", server, clients,
                                      sizes["login_inflight"], sizes["transfer_limit"],
                                      sizes["login_limit"])
                swarms[spec] = swarm
                logged = swarm.answer(sizes["login_limit"] + 60)
                print(f"{spec}: {logged['ok']} of {clients} logged in", flush=True)
        if mode == "swarm-stor":  # untimed: the first round would write into cold memory
            swarms[specs[0]].ask(stor, sizes["transfer_limit"] + 30)
            env.clean_uploads()
        for r in range(rounds):
            for spec, server in servers if r % 2 == 0 else servers[::-1]:
                if mode == "swarm-stor":
                    cpu0 = server.cpu_seconds()
                    answer = swarms[spec].ask(stor, sizes["transfer_limit"] + 30)
                    spent = server.cpu_seconds() - cpu0
                    env.clean_uploads()
                    figures[spec].append(answer.get("seconds") or float("nan"))
                    cpu[spec].append(round(spent, 2))
                    print(f"round {r + 1} {spec}: {answer.get('seconds')} s, {answer.get('ok')} "
                          f"ok, server {spent:.2f} CPU-s {answer.get('errors') or ''}", flush=True)
                else:
                    figures[spec].append(ftpload(env, server, mode))
                    print(f"round {r + 1} {spec}: {figures[spec][-1]} MiB/s", flush=True)
    finally:
        for swarm in swarms.values():
            swarm.close()
        for _, server in servers:
            server.stop()
        env.close()
        shutil.rmtree(work, ignore_errors=True)
    for spec in specs:
        line = f"{spec}: median {statistics.median(figures[spec]):.2f}"
        line += " MiB/s" if mode != "swarm-stor" else \
            f" s, server {statistics.median(cpu[spec]):.2f} CPU-s"
        print(line + f"  (rounds: {', '.join(str(x) for x in figures[spec])})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
