"""python -m bench [--full] [--only NAME] [--workers N]: print hubdepot/reference ratios."""

from __future__ import annotations

import argparse
import importlib
import sys

SCENARIOS = [
    "repos",
    "reads",
    "contents",
    "releases",
    "git",
    "pages",
    "webhooks",
    "mirror",
    "backup",
    "testing_mode",
    "load",
]


def main() -> None:
    parser = argparse.ArgumentParser(prog="bench")
    parser.add_argument("--full", action="store_true", help="long runs (30 s per load test)")
    parser.add_argument("--only", action="append", help="run only these scenarios")
    parser.add_argument("--workers", type=int, default=1, help="worker processes for hubdepot and nginx")
    args = parser.parse_args()
    seconds = 30 if args.full else 8
    for name in args.only or SCENARIOS:
        module = importlib.import_module(f"bench.{name}")
        print(f"== {name}", flush=True)
        for line in module.run(seconds=60 if name == "load" else seconds, workers=args.workers):
            print(line, flush=True)
    sys.stdout.flush()


if __name__ == "__main__":
    main()
