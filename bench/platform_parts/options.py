"""The command line of ``bench/platform_e2e.py``: sizes, levels, the read pass, the soak;
``--quick`` and ``--smoke`` change the defaults (a flag given with them still wins)."""

from __future__ import annotations

import argparse
from collections.abc import Sequence

from bench import SMOKE_HELP


def parse(argv: Sequence[str], description: str) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--quick", action="store_true", help="a few minutes, small tenant")
    parser.add_argument("--smoke", action="store_true", help=SMOKE_HELP)
    parser.add_argument("--learners", type=int, default=100_000)
    parser.add_argument("--items", type=int, default=10_000)
    parser.add_argument(
        "--levels", default="2,5,10", help="offered event-causing gRPC calls per second"
    )
    parser.add_argument("--duration", type=float, default=60, help="seconds per level")
    parser.add_argument("--replicas", default="1,2", help="gamification replica counts")
    parser.add_argument("--probe-interval", type=float, default=2.0)
    parser.add_argument(
        "--settle",
        type=float,
        default=90,
        help="at most this many seconds between levels for the consumers to catch up",
    )
    parser.add_argument("--burst", type=int, default=300, help="completions per drain burst")
    parser.add_argument("--burst-timeout", type=float, default=150)
    parser.add_argument(
        "--raw-messages", type=int, default=20_000, help="messages of the raw Kafka baseline"
    )
    parser.add_argument(
        "--outbox-scan-ms",
        type=int,
        default=60_000,
        help="AGORA_<SVC>_OUTBOX_POLL_INTERVAL_MS of every service (service default 5000)",
    )
    parser.add_argument(
        "--read-concurrency",
        type=int,
        default=16,
        help="callers of the closed-loop read pass (platform reads, then the bare echo)",
    )
    parser.add_argument(
        "--read-seconds", type=float, default=5, help="seconds of each closed-loop pass"
    )
    parser.add_argument(
        "--soak",
        type=float,
        metavar="MINUTES",
        help="only the RSS soak: completions at --soak-rate for MINUTES (no levels)",
    )
    parser.add_argument(
        "--soak-rate", type=float, default=200, help="completions/s offered by the soak"
    )
    parser.add_argument("--keep", action="store_true", help="keep the state dir (logs, data)")
    if "--quick" in argv:
        # Quick sizes are defaults too: a flag given with --quick still wins.
        parser.set_defaults(
            learners=2000,
            items=300,
            duration=20,
            burst=200,
            burst_timeout=90,
            settle=60,
            raw_messages=5000,
        )
    if "--smoke" in argv:
        # Every phase (both replica counts, a level each, the bursts) at the least load
        # that still sends a probe through; the figures mean nothing.
        parser.set_defaults(
            learners=200,
            items=30,
            levels="2",
            duration=4,
            burst=20,
            burst_timeout=60,
            settle=20,
            raw_messages=500,
            read_concurrency=4,
            read_seconds=1,
            soak_rate=2,
        )
    args = parser.parse_args(argv)
    args.levels = [int(x) for x in str(args.levels).split(",") if x]
    args.replicas = [int(x) for x in str(args.replicas).split(",") if x]
    return args
