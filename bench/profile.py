#!/usr/bin/env python3
"""Profiles one server of bench/run on one workload, in the harness's own set-up (tmpfs tree,
the cppftpd-bench account with its $6$ password, loopback): the "why" behind a missed goal.

    bench/profile.py TOOL WORKLOAD [--server cppftpd] [--clients N]

TOOL:     perf      perf record -g on the server's process (a flat profile by symbol follows);
                    with --system, on every process of the machine (the load generator too),
                    by command and symbol
          callgrind valgrind --tool=callgrind (counts instructions: stable on a busy machine)
          massif    valgrind --tool=massif (heap snapshots: who holds the memory)
          heaptrack heaptrack, then the server is killed while its sessions are idle: what is
                    still allocated then, by call site, is what the idle sessions hold
                    (login workload; the bytes per site divided by N is per session)
WORKLOAD: login     N clients log in at once, held 2 s, QUIT (memory per idle session, logins)
          retr      one RETR of 1 GiB        stor   one STOR of 1 GiB
          swarm     N clients log in, N x RETR 10 MiB, N x STOR 10 MiB, QUIT
          swarm-retr  the same, RETR only, and (perf) only the RETR phase profiled

Writes its output into bench/results/profile-<server>-<tool>-<workload>.txt and prints it.
Run it after bench/run has built build-bench/ (as root, like bench/run).
"""
import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import harness as h  # noqa: E402


def descendant_named(pid: int, name: str) -> int | None:
    """The first of the server's processes (harness.server_processes) named `name`."""
    for candidate in h.server_processes(pid):
        try:
            if Path(f"/proc/{candidate}/comm").read_text().strip() == name[:15]:
                return candidate
        except OSError:
            continue
    return None


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("tool", choices=["perf", "callgrind", "massif", "heaptrack"])
    ap.add_argument("workload", choices=["login", "retr", "stor", "swarm", "swarm-retr"])
    ap.add_argument("--server", default="cppftpd", choices=list(h.SERVER_CLASSES))
    ap.add_argument("--clients", type=int, default=300)
    ap.add_argument("--system", action="store_true", help="perf: record every process")
    args = ap.parse_args()
    ftpload = h.BUILD / "loadgen" / "ftpload"
    work = Path(tempfile.mkdtemp(prefix="cppftpd-bench-prof-"))
    os.chmod(work, 0o755)
    sizes = dict(h.FULL)
    env = h.Environment(work, sizes)
    out_dir = h.HERE / "results"
    stem = f"profile-{args.server}-{args.tool}-{args.workload}"
    text = ""
    server = None
    perf = None
    try:
        env.open()
        server = h.SERVER_CLASSES[args.server](env, h.free_port(set()), (29000, 29999))
        orig = server.command
        data = work / f"{stem}.data"

        def wrapped():
            argv, e = orig()
            if args.tool == "callgrind":
                argv = ["valgrind", "--tool=callgrind", f"--callgrind-out-file={data}"] + argv
            elif args.tool == "massif":
                argv = ["valgrind", "--tool=massif", "--pages-as-heap=no", "--threshold=0.5",
                        f"--massif-out-file={data}"] + argv
            elif args.tool == "heaptrack":
                argv = ["heaptrack", "-o", str(data)] + argv
            return argv, e
        server.command = wrapped
        server.start()
        perf_target = ["-a"] if args.system else ["-p", str(server.pid)]
        if args.tool == "perf":
            perf = subprocess.Popen(["perf", "record", "-g", "-o", str(data)] + perf_target,
                                    stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            time.sleep(1)
        base, _ = h.tree_pss_kib(server.pid)
        t0 = time.monotonic()
        if args.workload in ("retr", "stor"):
            bench = h.Bench(argparse.Namespace(), sizes, env, ftpload, Path("/bin/true"))
            r = bench.ftpload_single(server, "get" if args.workload == "retr" else "put")
            text += f"workload: {r}\n"
        else:
            swarm = h.SwarmClient(ftpload, server, args.clients, 32, 120, 60)
            r = swarm.answer(200)
            text += f"login: {r}\n"
            time.sleep(2)
            kib, _ = h.tree_pss_kib(server.pid)
            text += (f"PSS {base} KiB before, {kib} KiB with {r['ok']} idle sessions: "
                     f"{(kib - base) / max(1, r['ok']):.1f} KiB each\n")
            if args.workload.startswith("swarm") and perf is not None and args.workload == "swarm-retr":
                # Only the RETR phase in the profile: restart perf once the logins are done.
                perf.send_signal(2)
                perf.wait(timeout=30)
                perf = subprocess.Popen(["perf", "record", "-g", "-o", str(data)] + perf_target,
                                        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
                time.sleep(1)
            if args.workload.startswith("swarm"):
                text += f"retr: {swarm.ask('retr f10m.bin ' + str(sizes['small']))}\n"
            if args.workload == "swarm":
                stor_cmd = "stor upload/swarm %d %s" % (sizes["small"], env.small)
                text += f"stor: {swarm.ask(stor_cmd)}\n"
            if args.tool == "heaptrack":
                # What the idle sessions hold is what is still allocated when the server dies
                # now, without freeing anything (SIGKILL, to the process heaptrack watches).
                victim = descendant_named(server.pid, "cppftpd-bench")
                if victim is not None:
                    os.kill(victim, 9)
                    time.sleep(3)  # heaptrack writes out what it recorded
                text += f"quit: the server was killed with {r['ok']} idle sessions\n"
            else:
                if args.tool == "massif":
                    # A snapshot with the sessions idle (valgrind --vgdb is not needed: massif
                    # takes detailed snapshots by itself; this pause makes the last ones idle).
                    time.sleep(5)
                text += f"quit: {swarm.ask('quit')}\n"
            swarm.close()
        text += f"workload took {time.monotonic() - t0:.1f} s (under the profiler)\n"
        if perf is not None:
            perf.send_signal(2)
            perf.wait(timeout=30)
        server.stop()
        if args.tool == "perf":
            rep = subprocess.run(["perf", "report", "-i", str(data), "--no-children", "--stdio",
                                  "--sort", "comm,symbol" if args.system else "symbol",
                                  "-g", "none", "--percent-limit", "0.7"],
                                 capture_output=True, text=True)
            text += rep.stdout
            rep = subprocess.run(["perf", "report", "-i", str(data), "--no-children", "--stdio",
                                  "--sort", "dso", "-g", "none"], capture_output=True, text=True)
            text += rep.stdout
        elif args.tool == "callgrind":
            rep = subprocess.run(["callgrind_annotate", "--inclusive=no", str(data)],
                                 capture_output=True, text=True)
            text += "\n".join(rep.stdout.splitlines()[:60])
        elif args.tool == "heaptrack":
            recorded = next(iter(sorted(work.glob(f"{stem}.data*"))), None)
            if recorded is None:
                text += "heaptrack wrote no data\n"
            else:
                rep = subprocess.run(["heaptrack_print", "-f", str(recorded), "--print-leaks", "1",
                                      "--print-peaks", "0", "--print-allocators", "0",
                                      "--print-temporary", "0"], capture_output=True, text=True)
                # The sites only ("N leaked over M calls from" and the function under it),
                # then the totals.
                lines = rep.stdout.splitlines()
                sites = [f"{lines[i].strip()}  {lines[i + 1].strip()[:160]}"
                         for i in range(len(lines) - 1)
                         if " leaked over " in lines[i] and lines[i].endswith("calls from")]
                text += "\n".join(sites[:40]) + "\n" + "\n".join(lines[-6:]) + "\n"
        else:
            rep = subprocess.run(["ms_print", str(data)], capture_output=True, text=True)
            lines = rep.stdout.splitlines()
            # The graph, then the last detailed snapshot (the idle sessions, after the logins).
            heads = [i for i, l in enumerate(lines) if "(heap allocation functions)" in l]
            text += "\n".join(lines[:35]) + "\n...\n"
            if heads:
                # The last detailed snapshot, without the frames every stack shares.
                noise = ("scheduler::run", "start_thread", "clone (", "libstdc++", "_State_impl")
                body = [l[:240] for l in lines[heads[-1] - 1:heads[-1] + 400]
                        if not any(n in l for n in noise)]
                text += "\n".join(body[:150])
    finally:
        # Whatever failed, stop what this script started (by PID), then undo the set-up.
        if perf is not None and perf.poll() is None:
            perf.send_signal(2)
            perf.wait(timeout=30)
        if server is not None and server.proc is not None and server.alive():
            server.stop()
        env.close()
        shutil.rmtree(work, ignore_errors=True)
    out_dir.mkdir(exist_ok=True)
    (out_dir / f"{stem}.txt").write_text(text)
    print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
