"""Benchmark: SIPp calls through the inbound route, against a trivial answer-and-hangup dialplan.

Against the staging lab (`make pilot` first). The operator side is SIPp on
127.0.0.21 (the pilot's IP trunk kazan-rostelecom), calling a pilot number in
the operator's format; the PBX normalises it, tags the CDR, checks the salon's
hours and holidays, and rings the salon's phone: a SIPp phone registered as that
extension (tests/lab/sipphones.py), answering after one second of ringing. Each
call is held HOLD ms, then hung up.

The baseline is the same Asterisk with a trivial dialplan (Answer, wait for the
caller's BYE), reached from 127.0.0.29 through a temporary endpoint that the
benchmark adds and removes (pjsip.d/ and extensions.d/ zz-bench.conf files).

Two runs per dialplan: RATE calls/s for CALLS calls (every call must succeed),
and a capacity run (as fast as the PBX answers, at most LIMIT calls in
progress). Prints calls/s, failures and the ratio route/trivial.

    .venv/bin/python benchmarks/inbound_calls.py [--rate 20] [--calls 400]
"""

from __future__ import annotations

import argparse
import csv
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "tests" / "lab"))

from labsecrets import LabInventory  # noqa: E402
from labshell import SshShell, asterisk  # noqa: E402
from sipphones import PhoneFleet  # noqa: E402

PBX = ("127.0.0.10", 5060)
SIPP = shutil.which("sipp") or "/usr/bin/sipp"
ROUTE_SOURCE = "127.0.0.21"  # kazan-rostelecom, IP-authenticated
TRIVIAL_SOURCE = "127.0.0.29"
PHONE = "127.0.0.120"
NUMBER = "88435550102"  # +78435550102 (kazan-pushkina) in Rostelecom's 11d8 format
EXTENSION = "2201"  # first phone of kazan-pushkina's hunt group

BENCH_PJSIP = f"""; citypbx benchmark (benchmarks/inbound_calls.py): removed when it ends
[bench-trivial]
type = endpoint
; Like every endpoint of the kit, on the bound transport (without one, Asterisk
; looks its own address up in DNS for every call's media).
transport = transport-udp
context = citypbx-bench-trivial
disallow = all
allow = alaw,ulaw
direct_media = no

[bench-trivial]
type = identify
endpoint = bench-trivial
match = {TRIVIAL_SOURCE}
"""
BENCH_DIALPLAN = """; citypbx benchmark (benchmarks/inbound_calls.py): removed when it ends
[citypbx-bench-trivial]
exten => _X.,1,Answer()
 same => n,Wait(60)
 same => n,Hangup()
"""


@dataclass
class Run:
    """One SIPp run: calls placed, succeeded, failed, and its wall time."""

    label: str
    successful: int
    failed: int
    seconds: float

    @property
    def rate(self) -> float:
        return self.successful / self.seconds if self.seconds else 0.0


def sipp_uac(
    source: str, workdir: Path, label: str, *, rate: int, calls: int, limit: int, hold: int
) -> Run:
    """Place CALLS calls from SOURCE at RATE/s (at most LIMIT at once); read SIPp's statistics."""
    stats = workdir / f"{label}.csv"
    argv = [
        SIPP, "-sn", "uac", "-s", NUMBER, "-i", source, "-p", "5099",
        "-r", str(rate), "-l", str(limit), "-m", str(calls), "-d", str(hold),
        "-timeout", "300s", "-timeout_error", "-nostdin", "-nd",
        "-trace_stat", "-stf", str(stats), "-fd", "1",
        f"{PBX[0]}:{PBX[1]}",
    ]  # fmt: skip
    started = time.perf_counter()
    subprocess.run(argv, cwd=workdir, capture_output=True, timeout=330, check=False)
    elapsed = time.perf_counter() - started
    with stats.open() as handle:
        rows = list(csv.DictReader(handle, delimiter=";"))
    last = rows[-1]
    return Run(label, int(last["SuccessfulCall(C)"]), int(last["FailedCall(C)"]), elapsed)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--rate", type=int, default=20, help="calls per second of the fixed-rate run"
    )
    parser.add_argument("--calls", type=int, default=400, help="calls per run")
    parser.add_argument(
        "--limit", type=int, default=80, help="calls in progress in the capacity run"
    )
    parser.add_argument("--hold", type=int, default=1000, help="ms each call is held")
    args = parser.parse_args()

    inventory = LabInventory(REPO / "inventories" / "staging")
    extension = inventory.extensions[EXTENSION]
    pbx = SshShell("citypbx-staging-pbx", REPO / ".lab" / "ssh_config")
    workdir = Path(tempfile.mkdtemp(prefix="citypbx-bench-"))
    # The salon's phone: a SIPp phone registered as the extension, answering every call.
    fleet = PhoneFleet(PBX, workdir, lifetime=900)
    fleet.add(extension, PHONE)
    fleet.start()
    pbx.run("sh", "-c", f"cat > /etc/asterisk/pjsip.d/zz-bench.conf <<'EOF'\n{BENCH_PJSIP}EOF")
    pbx.run(
        "sh", "-c", f"cat > /etc/asterisk/extensions.d/zz-bench.conf <<'EOF'\n{BENCH_DIALPLAN}EOF"
    )
    asterisk(pbx, "module reload res_pjsip.so")
    asterisk(pbx, "dialplan reload")
    try:
        fleet.wait_registered(pbx)
        runs = {}
        for label, source in (("route", ROUTE_SOURCE), ("trivial", TRIVIAL_SOURCE)):
            runs[f"{label}-fixed"] = sipp_uac(
                source,
                workdir,
                f"{label}-fixed",
                rate=args.rate,
                calls=args.calls,
                limit=args.limit * 4,
                hold=args.hold,
            )
            time.sleep(3)
            runs[f"{label}-capacity"] = sipp_uac(
                source,
                workdir,
                f"{label}-capacity",
                rate=1000,
                calls=args.calls,
                limit=args.limit,
                hold=args.hold,
            )
            time.sleep(3)
    finally:
        pbx.run(
            "rm",
            "-f",
            "/etc/asterisk/pjsip.d/zz-bench.conf",
            "/etc/asterisk/extensions.d/zz-bench.conf",
        )
        asterisk(pbx, "module reload res_pjsip.so")
        asterisk(pbx, "dialplan reload")
        fleet.stop()

    print(
        f"SIPp through the inbound route ({NUMBER} -> salon kazan-pushkina -> phone {EXTENSION}), "
        f"hold {args.hold} ms, {args.calls} calls per run"
    )
    for run in runs.values():
        counts = f"{run.successful:4} ok {run.failed:3} failed"
        print(f"  {run.label:17} {counts}  {run.seconds:6.1f} s  {run.rate:6.1f} calls/s")
    fixed, capacity = runs["route-fixed"], runs["route-capacity"]
    ratio = capacity.rate / runs["trivial-capacity"].rate if runs["trivial-capacity"].rate else 0.0
    print(f"  route at {args.rate}/s: {fixed.failed} failed; capacity route/trivial: {ratio:.2f}")
    ok = fixed.failed == 0 and fixed.successful == args.calls and capacity.rate >= args.rate
    print("OK" if ok else f"NOT MET: need {args.rate} calls/s with no failed call")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
