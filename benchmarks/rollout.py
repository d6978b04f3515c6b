"""Benchmark: an idempotent re-run of a rollout against a bare `ansible -m ping`.

Runs against the staging lab (start it with `make pilot`): the pilot city's
rollout-city.yml; or, with --inventory inventories/lab-production (start it with
`make lab-production`), site.yml over all nine cities. Each command runs REPEAT
times; the medians are printed with their ratio. The rollout must report
changed=0 on every run, or the benchmark fails: a re-run that changes something
is a bug, not a slow run.

    .venv/bin/python benchmarks/rollout.py [--repeat 3] [--city kazan]
    .venv/bin/python benchmarks/rollout.py --inventory inventories/lab-production
"""

from __future__ import annotations

import argparse
import re
import statistics
import sys
from pathlib import Path

from benchlib import BIN, REPO, timed

STAGING = REPO / "inventories" / "staging"
VAULT = ["--vault-password-file", str(REPO / ".lab" / "vault-password")]
RECAP = re.compile(r"^(\S+)\s+: ok=(\d+)\s+changed=(\d+)\s+unreachable=(\d+)\s+failed=(\d+)", re.M)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--city", default="kazan", help="the city of rollout-city.yml (staging)")
    parser.add_argument("--inventory", type=Path, default=STAGING)
    args = parser.parse_args()

    inventory = args.inventory.resolve()
    if inventory == STAGING:
        what = f"rollout of {args.city} (staging)"
        playbook = ["playbooks/rollout-city.yml", "-e", f"city={args.city}"]
    else:
        what = f"site.yml on {inventory.name} (every city)"
        playbook = ["playbooks/site.yml"]
    rollout = [str(BIN / "ansible-playbook"), "-i", str(inventory), *VAULT, *playbook]
    ping = [str(BIN / "ansible"), "-i", str(inventory), "pbx", "-m", "ansible.builtin.ping"]

    timed(rollout)  # converge first: the benchmark measures the idempotent re-run
    rollout_times, ping_times = [], []
    for _ in range(args.repeat):
        elapsed, output = timed(rollout)
        changed = {host: int(c) for host, _ok, c, _u, _f in RECAP.findall(output)}
        if any(changed.values()):
            sys.exit(f"re-run of the rollout changed something: {changed}")
        rollout_times.append(elapsed)
        ping_times.append(timed(ping)[0])

    rollout_median = statistics.median(rollout_times)
    ping_median = statistics.median(ping_times)

    def runs(times: list[float]) -> str:
        return ", ".join(f"{t:.2f}" for t in times)

    print(f"idempotent {what}: changed=0 on {args.repeat} runs")
    print(f"  rollout re-run  median {rollout_median:6.2f} s  (runs: {runs(rollout_times)})")
    print(f"  ansible -m ping median {ping_median:6.2f} s  (runs: {runs(ping_times)})")
    print(f"  ratio rollout/ping: {rollout_median / ping_median:.1f}x")


if __name__ == "__main__":
    main()
