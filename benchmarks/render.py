"""Benchmark: `citypbx render` of a synthetic inventory of N cities, from 10 to 100.

The inventory is generated in a temporary directory from the production sample's own city
files, copied N/9 times with new ids, numbers, extensions and MACs (the same shape: trunks,
numbers, salons, menus, phones per city), with generated secrets. Each size is rendered
REPEAT times by the real command line (Ansible's inventory loader, the vault, validation in
resolved mode, the plan and every file written). Printed: the median per size, how it grows
from 10 to 100 cities, and its ratio to `ansible-inventory --host` on the same inventory
(Ansible merely loading and templating that host's variables), measured in the same run.

    .venv/bin/python benchmarks/render.py [--repeat 3] [--sizes 10,25,50,100]
"""

from __future__ import annotations

import argparse
import copy
import ipaddress
import re
import secrets
import statistics
import sys
import tempfile
from pathlib import Path
from typing import Any

import yaml
from benchlib import BIN, REPO, timed

PRODUCTION = REPO / "inventories" / "production"
HOST = "pbx1.bench.example"
_REFERENCE = re.compile(r"\{\{\s*(vault_\w+)\s*\}\}")
_E164 = re.compile(r"\+7\d{10}")
FIRST_8XXX = 8000
_EXTENSION = re.compile(r"(?<=extension:)[1-79]\d{3}")


def production_cities() -> list[tuple[str, dict[str, Any]]]:
    cities = []
    for path in sorted((PRODUCTION / "group_vars").glob("city_*.yml")):
        ((name, data),) = yaml.safe_load(path.read_text("utf-8")).items()
        cities.append((name.removeprefix("citypbx_city_"), data))
    return cities


class Renamer:
    """New, company-wide unique numbers, extensions, MACs and ids for one copy of a city."""

    def __init__(self, copy_index: int, counters: dict[str, int]) -> None:
        self.copy = copy_index
        self.counters = counters
        self.numbers: dict[str, str] = {}
        self.extensions: dict[str, str] = {}

    def number(self, old: str) -> str:
        if old not in self.numbers:
            self.counters["number"] += 1
            self.numbers[old] = f"+79{self.counters['number']:09d}"
        return self.numbers[old]

    def extension(self, old: str) -> str:
        if old not in self.extensions:
            self.counters["extension"] += 1
            value = 1000 + self.counters["extension"]
            value += 1000 if value >= FIRST_8XXX else 0  # extensions do not start with 8
            self.extensions[old] = str(value)
        return self.extensions[old]

    def mac(self, old: str) -> str:
        self.counters["mac"] += 1
        prefix = old.replace(":", "").replace("-", "").lower()[:6]
        return prefix + f"{self.counters['mac']:06x}"

    def ident(self, old: str) -> str:
        return f"{old}-c{self.copy}"

    def network(self, _old: str) -> str:
        """A /28 of its own (10.0.0.0/8): two IP trunks may not share a network."""
        self.counters["network"] += 1
        return (
            str(ipaddress.ip_network("10.0.0.0/28").network_address + 16 * self.counters["network"])
            + "/28"
        )


def copy_city(data: dict[str, Any], rename: Renamer) -> dict[str, Any]:
    city = copy.deepcopy(data)
    for salon in city["salons"]:
        for ext in salon["extensions"]:
            ext["extension"] = rename.extension(ext["extension"])
    for salon in city["salons"]:
        for phone in salon.get("phones", []):
            phone["mac"] = rename.mac(phone["mac"])
            phone["extension"] = rename.extension(phone["extension"])

    def walk(node: Any, key: str = "") -> Any:  # noqa: ANN401 - YAML data
        if isinstance(node, dict):
            return {k: walk(v, k) for k, v in node.items()}
        if isinstance(node, list):
            return [walk(v, key) for v in node]
        if not isinstance(node, str):
            return node
        if key in {"id", "emergency_trunk"}:
            return rename.ident(node)
        if key == "match":
            return rename.network(node)
        if _E164.fullmatch(node):
            return rename.number(node)
        if ref := _REFERENCE.fullmatch(node):
            return "{{ " + ref[1] + f"_c{rename.copy} }}}}"
        if (kind := node.partition(":")[0]) in {"salon", "voicemail", "menu"} and ":" in node:
            return f"{kind}:{rename.ident(node.partition(':')[2])}"
        return _EXTENSION.sub(lambda m: rename.extension(m[0]), node)

    walked: dict[str, Any] = walk(city)
    return walked


def write_inventory(root: Path, cities: int) -> None:
    """A whole inventory directory of CITIES cities on one PBX host."""
    base = production_cities()
    counters = {"number": 0, "extension": 0, "mac": 0, "network": 0}
    group_vars = root / "group_vars"
    (group_vars / "all").mkdir(parents=True)
    groups: dict[str, Any] = {}
    references: set[str] = set()
    for index in range(cities):
        slug, data = base[index % len(base)]
        copy_index = index // len(base)
        new_slug = f"{slug}_c{copy_index}"
        city = copy_city(data, Renamer(copy_index, counters))
        references |= set(_REFERENCE.findall(yaml.safe_dump(city)))
        (group_vars / f"city_{new_slug}.yml").write_text(
            yaml.safe_dump({f"citypbx_city_{new_slug}": city}, sort_keys=False), "utf-8"
        )
        groups[f"city_{new_slug}"] = {"hosts": {HOST: None}}
    hosts = {"all": {"children": {"pbx": {"hosts": {HOST: None}}, "cities": {"children": groups}}}}
    (root / "hosts.yml").write_text(yaml.safe_dump(hosts, sort_keys=False), "utf-8")
    for name in ("operators.yml", "holidays.yml"):
        (group_vars / "all" / name).write_text(
            (PRODUCTION / "group_vars" / "all" / name).read_text("utf-8"), "utf-8"
        )
    vault = {name: secrets.token_urlsafe(24) for name in sorted(references)}
    path = group_vars / "all" / "vault.yml"
    path.write_text(yaml.safe_dump(vault), "utf-8")
    path.chmod(0o600)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--sizes", default="10,25,50,100")
    args = parser.parse_args()
    sizes = [int(size) for size in args.sizes.split(",")]
    rows = []
    with tempfile.TemporaryDirectory(prefix="citypbx-bench-") as work:
        Path(work).chmod(0o700)
        for size in sizes:
            inventory = Path(work) / f"inventory-{size}"
            write_inventory(inventory, size)
            out = Path(work) / f"out-{size}"
            render = [str(BIN / "citypbx"), "render", str(inventory), "--host", HOST]
            render += ["--out", str(out)]
            load = [str(BIN / "ansible-inventory"), "-i", str(inventory), "--host", HOST]
            render_times, load_times = [], []
            for _ in range(args.repeat):
                elapsed, output = timed(render)
                files = int(re.search(r"OK: (\d+) files", output)[1])  # type: ignore[index]
                render_times.append(elapsed)
                load_times.append(timed(load)[0])
            if files != 4 * size + 1:
                sys.exit(f"{size} cities rendered {files} files, expected {4 * size + 1}")
            rows.append(
                (size, files, statistics.median(render_times), statistics.median(load_times))
            )

    print(f"citypbx render of a synthetic inventory (production's shape), median of {args.repeat}")
    print(f"  {'cities':>6} {'files':>6} {'render s':>9} {'ansible-inventory s':>20} {'ratio':>6}")
    for size, files, render_s, load_s in rows:
        print(f"  {size:6d} {files:6d} {render_s:9.2f} {load_s:20.2f} {render_s / load_s:6.2f}")
    (first, *_, last) = rows
    growth = (last[2] - first[2]) / (last[0] - first[0])
    print(
        f"  growth {first[0]} -> {last[0]} cities: x{last[2] / first[2]:.2f} in time for "
        f"x{last[0] / first[0]:.0f} in cities ({growth * 1000:.1f} ms per extra city)"
    )
    target = 3.0
    verdict = "meets" if last[2] < target else "MISSES"
    print(f"  {last[0]} cities in {last[2]:.2f} s: {verdict} the target of {target:.0f} s")


if __name__ == "__main__":
    main()
