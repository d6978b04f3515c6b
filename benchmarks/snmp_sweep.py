"""Benchmark: SNMP sweep of a /24 loopback block holding 20 simulated phones, against a
sequential net-snmp `snmpget` loop over the same block.

Starts 20 snmpsim agents (tests/snmp/agents.py) spread over the block, sweeps it REPEAT times
with citypbx.snmp.sweep (the first run in the process includes pysnmp's one-time MIB set-up), then
times `snmpget` (Debian package `snmp`) address after address with the same OIDs, timeout and
retries. A silent address costs snmpget the whole timeout, so unless --full is given only a
sample of the silent addresses is timed and the loop's total is extrapolated (and said so).

    .venv/bin/python benchmarks/snmp_sweep.py [--repeat 3] [--silent-sample 10] [--full]

Exit status: 0 when every sweep run took under the budget (3 s); 1 when one did not;
2 when the benchmark could not measure what it claims (agents did not start, phones were not
all identified).
"""

from __future__ import annotations

import argparse
import ipaddress
import secrets
import shutil
import statistics
import subprocess
import sys
import time
import warnings
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from citypbx.snmp import Community  # noqa: E402
from citypbx.snmp.oids import request_oids  # noqa: E402
from tests.snmp.agents import Agent, AgentsError, running_agents  # noqa: E402

with warnings.catch_warnings():  # pysnmp 7.1.30 imports pysmi 2.0's deprecated names
    warnings.simplefilter("ignore", DeprecationWarning)
    from citypbx.snmp.sweep import run_sweep

BUDGET_S = 3.0
MODELS = ("yealink-t46u", "grandstream-grp2614", "yealink-t54w", "grandstream-gxp2170")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--network", default="127.0.1.0/24", help="a loopback block")
    parser.add_argument("--phones", type=int, default=20)
    parser.add_argument("--timeout", type=float, default=1.0)
    parser.add_argument("--retries", type=int, default=0)
    parser.add_argument("--concurrency", type=int, default=256)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--silent-sample", type=int, default=10)
    parser.add_argument("--full", action="store_true", help="time snmpget on every address")
    args = parser.parse_args()

    network = ipaddress.ip_network(args.network)
    if not network.subnet_of(ipaddress.ip_network("127.0.0.0/8")):  # type: ignore[arg-type]
        sys.exit("the benchmark only sweeps loopback blocks (127.0.0.0/8)")
    hosts = [str(h) for h in network.hosts()]
    step = len(hosts) // args.phones
    phone_addresses = [hosts[step // 2 + i * step] for i in range(args.phones)]
    community = "bench-" + secrets.token_hex(6)  # a throw-away lab community
    agents = [
        Agent(address, MODELS[i % len(MODELS)], community)
        for i, address in enumerate(phone_addresses)
    ]
    per_try = args.timeout * (args.retries + 1)
    lifetime = 60 + args.repeat * 5 + (len(hosts) if args.full else 40) * per_try * 1.5

    try:
        with running_agents(agents, lifetime=lifetime) as lab:
            sweeps = _time_sweeps(args, network, Community(community), lab.port)
            loop = _time_snmpget(args, hosts, set(phone_addresses), community, lab.port)
    except AgentsError as exc:
        print(f"could not start the agents: {exc}", file=sys.stderr)
        return 2
    if sweeps is None:
        return 2
    return _report(args, len(hosts), sweeps, loop)


def _time_sweeps(
    args: argparse.Namespace, network: ipaddress._BaseNetwork, community: Community, port: int
) -> list[float] | None:
    print(
        f"SNMP sweep of {network} ({network.num_addresses - 2} addresses, {args.phones} "
        f"simulated phones; timeout {args.timeout:g} s, retries {args.retries}, "
        f"concurrency {args.concurrency})"
    )
    times = []
    for run in range(1, args.repeat + 1):
        start = time.perf_counter()
        result = run_sweep(
            str(network),
            community,
            port=port,
            timeout=args.timeout,
            retries=args.retries,
            concurrency=args.concurrency,
        )
        elapsed = time.perf_counter() - start
        times.append(elapsed)
        counts = result.counts()
        note = " (first run: includes pysnmp's one-time MIB set-up)" if run == 1 else ""
        print(
            f"  run {run}: {elapsed:.2f} s  ({counts['identified']} identified, "
            f"{counts['unidentified']} unidentified, {counts['silent']} silent){note}"
        )
        if counts["identified"] != args.phones:
            print(f"ERROR: {args.phones} phones simulated, {counts['identified']} identified")
            return None
    return times


def _snmpget(address: str, community: str, port: int, args: argparse.Namespace) -> float:
    command = [
        "snmpget", "-v2c", "-c", community, "-t", f"{args.timeout:g}", "-r", str(args.retries),
        "-On", "-m", "", f"{address}:{port}", *request_oids(),
    ]  # fmt: skip
    start = time.perf_counter()
    subprocess.run(command, capture_output=True, check=False)
    return time.perf_counter() - start


def _time_snmpget(
    args: argparse.Namespace, hosts: list[str], phones: set[str], community: str, port: int
) -> dict[str, float] | None:
    if shutil.which("snmpget") is None:
        print("snmpget not found: apt-get install snmp (net-snmp tools); no ratio measured")
        return None
    silent = [h for h in hosts if h not in phones]
    sample = silent if args.full else silent[:: max(1, len(silent) // args.silent_sample)]
    sample = sample[: len(silent) if args.full else args.silent_sample]
    live_s = sum(_snmpget(address, community, port, args) for address in sorted(phones))
    sample_s = [_snmpget(address, community, port, args) for address in sample]
    silent_mean = statistics.fmean(sample_s)
    return {
        "live_s": live_s,
        "live": len(phones),
        "sample": len(sample),
        "sample_s": sum(sample_s),
        "silent": len(silent),
        "silent_mean": silent_mean,
        "total_s": live_s + silent_mean * len(silent),
        "extrapolated": float(len(sample) < len(silent)),
    }


def _report(
    args: argparse.Namespace, addresses: int, sweeps: list[float], loop: dict[str, float] | None
) -> int:
    worst = max(sweeps)
    if len(sweeps) > 1:
        print(f"  median {statistics.median(sweeps):.2f} s, worst {worst:.2f} s")
    if loop is not None:
        print(
            f"sequential snmpget loop over the same {addresses} addresses "
            f"(same OIDs, timeout {args.timeout:g} s, retries {args.retries}):"
        )
        print(
            f"  {int(loop['live'])} answering addresses: {loop['live_s']:.2f} s "
            f"({loop['live_s'] / loop['live'] * 1000:.0f} ms each)"
        )
        if loop["extrapolated"]:
            print(
                f"  {int(loop['sample'])} of {int(loop['silent'])} silent addresses timed: "
                f"{loop['sample_s']:.2f} s ({loop['silent_mean']:.3f} s each) -> "
                f"{loop['silent_mean'] * loop['silent']:.1f} s extrapolated to all of them"
            )
            print(f"  total {loop['total_s']:.1f} s (extrapolated from the sample)")
        else:
            print(f"  silent addresses: {loop['sample_s']:.2f} s; total {loop['total_s']:.1f} s")
        print(f"ratio snmpget loop / sweep (worst run): {loop['total_s'] / worst:.0f}x")
    if worst >= BUDGET_S:
        print(f"FAIL: a sweep took {worst:.2f} s, budget {BUDGET_S:g} s")
        return 1
    print(f"OK: every sweep under {BUDGET_S:g} s (worst {worst:.2f} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
