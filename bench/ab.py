"""python -m bench.ab A B [--path contents] [--cache 0|1] [--rounds 4] [--seconds 6]: which of two
checkouts (directories, e.g. `git worktree add /tmp/a <commit>`) answers a read faster. Both servers
run at once (one worker each, seeded as bench/profile seeds), and wrk loads them in turn, who goes
first alternating: on a shared virtual machine whose speed drifts by 15-25% between minutes, two
bench runs minutes apart cannot tell a 5% change, this can (medians of 4 agreed within ~3% run to run).
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
from pathlib import Path

from bench.common import need, wrk
from bench.profile import PATHS

# run in each checkout, by its own code: start a seeded server, print "url token", wait for stdin's end
_SERVE = """
import os, sys
sys.path.insert(0, os.getcwd())
from bench.common import hubdepot
from bench.profile import seed
with hubdepot(1, env={"HUBDEPOT_READ_CACHE": sys.argv[1]}) as srv:
    seed(srv.api, {"Authorization": f"token {srv.token}"})
    print(srv.url, srv.token, flush=True)
    sys.stdin.read()
"""


def _start(root: Path, cache: str) -> tuple[subprocess.Popen[str], str, str]:
    process = subprocess.Popen(
        [sys.executable, "-c", _SERVE, cache], cwd=root, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
    )
    assert process.stdout is not None, "piped"
    url, token = process.stdout.readline().split()
    return process, url, token


def main() -> None:
    parser = argparse.ArgumentParser(prog="bench.ab")
    parser.add_argument("a", type=Path)
    parser.add_argument("b", type=Path)
    parser.add_argument("--path", choices=sorted(PATHS), default="contents")
    parser.add_argument("--cache", choices=("0", "1"), default="0", help="HUBDEPOT_READ_CACHE")
    parser.add_argument("--rounds", type=int, default=4)
    parser.add_argument("--seconds", type=int, default=6)
    args = parser.parse_args()
    need("wrk")
    started = [_start(root.resolve(), args.cache) for root in (args.a, args.b)]
    path = PATHS[args.path] if PATHS[args.path].startswith("/raw/") else "/api/v3" + PATHS[args.path]
    try:
        rates: list[list[float]] = [[], []]
        for side in (0, 1):  # (warm both first)
            wrk(started[side][1] + path, seconds=1, headers={"Authorization": f"token {started[side][2]}"})
        for i in range(args.rounds):
            for side in (0, 1) if i % 2 == 0 else (1, 0):
                _, url, token = started[side]
                rates[side].append(
                    wrk(url + path, seconds=args.seconds, headers={"Authorization": f"token {token}"}).rps
                )
        a, b = (statistics.median(r) for r in rates)
        shown = [[round(x) for x in r] for r in rates]
        print(
            f"{args.path} (read cache {'on' if args.cache == '1' else 'off'}): A {shown[0]} median {a:,.0f}/s, "
            f"B {shown[1]} median {b:,.0f}/s: B/A {b / a:.3f}"
        )
    finally:
        for process, _, _ in started:
            process.communicate("", timeout=60)


if __name__ == "__main__":
    main()
