#!/usr/bin/env python3
"""Plots a bench/run result (the .json beside the .md) as a PNG: one panel per metric, one bar
per server (median of the rounds, each round as a dot), cppftpd in its own colour, the ceiling
as a dashed line on the single-stream panels.

    bench/plot.py bench/results/<date>.json [OUT.png]

Needs matplotlib (Debian: python3-matplotlib, installed by bench/setup).
"""
import json
import math
import statistics
import sys
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

PANELS = [
    ("retr_1g", "RETR 1 GiB (MiB/s)", "ceiling_sendfile"),
    ("stor_1g", "STOR 1 GiB (MiB/s)", "ceiling_splice"),
    ("login_300", "300 logins at once (s)", None),
    ("mem_idle_300", "PSS per idle client (KiB)", None),
    ("retr_300", "300 x RETR 10 MiB (s)", None),
    ("stor_300", "300 x STOR 10 MiB (s)", None),
    ("quit_300", "300 x QUIT (s)", None),
    ("login_1000", "1000 logins at once (s)", None),
    ("retr_1000", "1000 x RETR 10 MiB (s)", None),
    ("stor_1000", "1000 x STOR 10 MiB (s)", None),
    ("idle_held", "idle sessions held (of 10,000)", None),
    ("idle_new_login_ms", "new login, 10,000 held (ms)", None),
    ("tls_retr_1g", "FTPS RETR 1 GiB (MiB/s)", None),
    ("tls_stor_1g", "FTPS STOR 1 GiB (MiB/s)", None),
]


def main() -> int:
    src = Path(sys.argv[1])
    out = Path(sys.argv[2]) if len(sys.argv) > 2 else src.with_suffix(".png")
    data = json.loads(src.read_text())
    res = data["results"]
    servers = data["meta"].get("servers") or sorted({s for m in res.values() for s in m})
    panels = [p for p in PANELS if p[0] in res]
    cols = 4
    rows = math.ceil(len(panels) / cols)
    fig, axes = plt.subplots(rows, cols, figsize=(4.2 * cols, 3.1 * rows), squeeze=False)
    for ax in axes.flat[len(panels):]:
        ax.axis("off")
    for ax, (metric, title, ceiling) in zip(axes.flat, panels):
        names, meds, dots = [], [], []
        for s in servers:
            entries = res[metric].get(s, [])
            vals = [e["value"] for e in entries if e.get("value") is not None and "error" not in e]
            names.append(s)
            meds.append(statistics.median(vals) if vals else 0)
            dots.append(vals)
        colours = ["#d62728" if n == "cppftpd" else "#7f7f7f" for n in names]
        x = range(len(names))
        ax.bar(x, meds, color=colours)
        for i, vals in enumerate(dots):
            ax.plot([i] * len(vals), vals, "k.", markersize=4)
            if not vals:
                ax.text(i, 0, "n/a", ha="center", va="bottom", fontsize=7)
        if ceiling and ceiling in res:
            cv = [e["value"] for e in res[ceiling].get("machine", []) if e.get("value")]
            if cv:
                ax.axhline(statistics.median(cv), color="#1f77b4", linestyle="--", linewidth=1)
                ax.text(len(names) - 0.5, statistics.median(cv), "ceiling", color="#1f77b4",
                        fontsize=7, ha="right", va="bottom")
        ax.set_xticks(list(x))
        ax.set_xticklabels(names, rotation=30, ha="right", fontsize=7)
        ax.set_title(title, fontsize=9)
        ax.tick_params(axis="y", labelsize=7)
    meta = data["meta"]
    fig.suptitle(f"cppftpd vs peers, {meta.get('date')}, {meta.get('cores')} cores, loopback, "
                 f"median of {meta.get('rounds')} rounds (dots: rounds)", fontsize=10)
    fig.tight_layout()
    fig.savefig(out, dpi=90)
    return 0


if __name__ == "__main__":
    sys.exit(main())
