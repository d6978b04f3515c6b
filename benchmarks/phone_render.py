"""Benchmark: render the files of a synthetic company of 10,000 desk phones.

Prints the time of `citypbx.provisioning.render_company` (target: under 5 s) and compares it with
  (a) the floor: a bare Jinja2 loop rendering the same files with the same compiled templates
      from ready-made phone models (no inventory reading, no derivation);
  (b) Ansible: one `ansible.builtin.template` task per phone file on localhost, timed with
      ansible-playbook for a sample of phones and extrapolated linearly to the whole company
      (fixed start-up cost measured with an empty loop, plus the per-phone cost of the sample).
No timing asserts; the script exits 1 only when the full render takes longer than 5 s.

    .venv/bin/python benchmarks/phone_render.py [--phones 10000] [--ansible-sample 100]
                                                [--no-ansible] [--repeat 3]
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import yaml

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from citypbx.inventory import City, Company  # noqa: E402
from citypbx.phones import load_catalog  # noqa: E402
from citypbx.provisioning import (  # noqa: E402
    TEMPLATES_DIR,
    PhoneConfig,
    company_phones,
    default_renderer,
    render_company,
)

LIMIT_SECONDS = 5.0
ZONES = ("Europe/Moscow", "Europe/Samara", "Asia/Yekaterinburg", "Asia/Novosibirsk")
OUIS = {"yealink": "805ec0", "grandstream": "c074ad"}
SALONS_PER_CITY = 20
EXTENSIONS_PER_SALON = 5
PHONES_PER_EXTENSION = 2
SETTINGS = {
    "sip_server": "pbx1.citypbx.example",
    "ntp_server": "ntp.citypbx.example",
    "vlan_id": 20,
    "provisioning_url": "https://prov.citypbx.example/",
}
PROVISIONING_SECRET = "bench-provisioning-secret-0123"  # noqa: S105 - a fake
ADMIN_SECRET = "bench-admin-secret-0123456789"  # noqa: S105 - a fake


def synthetic_company(phones: int) -> tuple[Company, dict[str, Any]]:
    """A company of PHONES phones (every catalog model in turn), validated like the files on
    disk (reference mode: extension secrets are `{{ vault_* }}` references), and its secrets
    (render_company resolves the references with secrets["vault"])."""
    catalog = load_catalog()
    models = [m for vendor in catalog.models.values() for m in vendor.values()]
    per_city = SALONS_PER_CITY * EXTENSIONS_PER_SALON * PHONES_PER_EXTENSION
    cities: dict[str, City] = {}
    vault: dict[str, str] = {}
    made = extension = 0
    for c in range((phones + per_city - 1) // per_city):
        salons = []
        for s in range(SALONS_PER_CITY):
            extensions, salon_phones = [], []
            for _ in range(EXTENSIONS_PER_SALON):
                number = str(1000 + extension)
                extension += 1
                vault[f"vault_ext_{number}_secret"] = f"bench-secret-{number}"
                extensions.append(
                    {
                        "extension": number,
                        "name": f"Staff {number}",
                        "secret": f"{{{{ vault_ext_{number}_secret }}}}",
                        "cos": "national",
                    }
                )
                for _ in range(PHONES_PER_EXTENSION):
                    if made == phones:
                        break
                    model = models[made % len(models)]
                    mac = OUIS[model.vendor] + f"{made:06x}"
                    salon_phones.append(
                        {
                            "mac": mac,
                            "vendor": model.vendor,
                            "model": model.name,
                            "extension": number,
                        }
                    )
                    made += 1
            salons.append(
                {
                    "id": f"c{c}-s{s}",
                    "name": f"Salon {s}",
                    "hours": ["mon-fri 09:00-20:00"],
                    "distribution": "ringall",
                    "ring_timeout": 25,
                    "after_hours": "hangup",
                    "no_answer": "hangup",
                    "extensions": extensions,
                    "phones": salon_phones,
                }
            )
        cities[f"city{c:02d}"] = City.model_validate(
            {
                "name": f"City {c}",
                "timezone": ZONES[c % len(ZONES)],
                "area_code": "843",
                "caller_id": "+78435550100",
                "emergency_trunk": f"t{c}",
                "trunks": [
                    {
                        "id": f"t{c}",
                        "operator": "op",
                        "contract": "C-1",
                        "priority": 1,
                        "auth": "ip",
                        "server": "198.51.100.1",
                        "match": ["198.51.100.0/28"],
                        "channels": 10,
                    }
                ],
                "salons": salons,
            }
        )
    secrets = {
        "provisioning_secret": PROVISIONING_SECRET,
        "admin_secret": ADMIN_SECRET,
        "vault": vault,
    }
    return Company(cities, {}, []), secrets


def best(repeat: int, work: Callable[[], object]) -> tuple[float, list[float]]:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        work()
        times.append(time.perf_counter() - start)
    return min(times), times


def bare_jinja(phones: list[PhoneConfig]) -> dict[str, str]:
    """The floor: the same compiled templates in a plain loop over ready phone models."""
    renderer = default_renderer()
    out = {}
    for phone in phones:
        for spec in renderer.specs(phone.vendor, phone.dialect):
            out[spec.pattern.format(mac=phone.mac)] = spec.template.render(
                spec.context, phone=phone
            )
    return out


# ---- Ansible: one template task per phone file ---------------------------------------------

PLAYBOOK = """\
- name: Render phone files, one template task each
  hosts: localhost
  connection: local
  gather_facts: false
  tasks:
    - name: Render one phone file
      ansible.builtin.template:
        src: "{{ item.template }}"
        dest: "{{ out }}/{{ item.name }}"
        mode: "0640"
      vars:
        phone: "{{ item.phone }}"
        spelling: "{{ item.spelling }}"
        dialect: "{{ item.dialect }}"
      loop: "{{ items }}"
      loop_control:
        label: "{{ item.name }}"
"""


def ansible_items(phones: list[PhoneConfig]) -> list[dict[str, Any]]:
    renderer = default_renderer()
    catalog = load_catalog()
    items = []
    for phone in phones:
        data = dataclasses.asdict(phone)
        data["extension"] = phone.extension  # a property of the dataclass
        spec = catalog.dialects[phone.vendor][phone.dialect]
        for pattern, template in sorted(spec.files.items()):
            items.append(
                {
                    "name": pattern.format(mac=phone.mac),
                    "template": str(TEMPLATES_DIR / template),
                    "phone": data,
                    "spelling": {k: dict(v) for k, v in spec.values.items()},
                    "dialect": dict(spec.data),
                }
            )
    if len(items) != sum(len(renderer.paths(p)) for p in phones):
        sys.exit("the catalog and the renderer disagree on the files of a phone")
    return items


def time_ansible(phones: list[PhoneConfig], workdir: Path) -> tuple[float, int]:
    """Wall time of ansible-playbook rendering the files of PHONES, one task per file, and how
    many of the files it wrote are identical to render_company's."""
    out = workdir / f"out-{len(phones)}"
    out.mkdir()
    variables = workdir / f"vars-{len(phones)}.yml"
    variables.write_text(
        yaml.safe_dump({"items": ansible_items(phones), "out": str(out)}, sort_keys=False)
    )
    playbook = workdir / "playbook.yml"
    playbook.write_text(PLAYBOOK)
    config = workdir / "ansible.cfg"
    config.write_text("[defaults]\nretry_files_enabled = false\ninterpreter_python = auto_silent\n")
    command = [
        str(REPO / ".venv" / "bin" / "ansible-playbook"),
        "-i",
        "localhost,",
        "-e",
        f"@{variables}",
        "-e",
        f"ansible_python_interpreter={sys.executable}",
        str(playbook),
    ]
    env = {**os.environ, "ANSIBLE_CONFIG": str(config), "ANSIBLE_NOCOLOR": "1"}
    start = time.perf_counter()
    result = subprocess.run(command, capture_output=True, text=True, env=env, check=False)
    elapsed = time.perf_counter() - start
    if result.returncode != 0:
        sys.exit(f"ansible-playbook failed:\n{result.stdout[-3000:]}\n{result.stderr[-2000:]}")
    expected = default_renderer().render(phones)
    same = sum((out / name).read_text() == content for name, content in expected.items())
    return elapsed, same


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--phones", type=int, default=10_000)
    parser.add_argument("--ansible-sample", type=int, default=100)
    parser.add_argument("--no-ansible", action="store_true")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()

    start = time.perf_counter()
    company, secrets = synthetic_company(args.phones)
    print(
        f"synthetic company: {len(company.cities)} cities, {args.phones} phones "
        f"(built and validated in {time.perf_counter() - start:.1f} s, not timed below)"
    )

    default_renderer().specs("yealink", "cfg")  # first use compiles; count it in the first run
    files: dict[str, str] = {}

    def full() -> None:
        files.update(render_company(company, SETTINGS, secrets))

    full_best, full_runs = best(args.repeat, full)
    phones = company_phones(company, SETTINGS, secrets)
    floor_best, floor_runs = best(args.repeat, lambda: bare_jinja(phones))
    if bare_jinja(phones) != files:
        sys.exit("the bare Jinja2 loop must render the very same files")

    def runs(times: list[float]) -> str:
        return ", ".join(f"{t:.2f}" for t in times)

    size = sum(len(c) for c in files.values())
    print(f"files: {len(files)} ({size / 1e6:.1f} MB)")
    print(
        f"render_company            best {full_best:6.2f} s  (runs: {runs(full_runs)})"
        f"  limit {LIMIT_SECONDS:.0f} s: {'OK' if full_best <= LIMIT_SECONDS else 'TOO SLOW'}"
    )
    print(f"(a) bare Jinja2 loop      best {floor_best:6.2f} s  (runs: {runs(floor_runs)})")
    print(
        f"    render_company / bare Jinja2 = {full_best / floor_best:.2f}x "
        "(the rest: resolving the vault references, deriving names and passwords, checks)"
    )

    if not args.no_ansible:
        sample = phones[: args.ansible_sample]
        with tempfile.TemporaryDirectory(prefix="citypbx-bench-") as tmp:
            fixed, _ = time_ansible([], Path(tmp))
            measured, same = time_ansible(sample, Path(tmp))
        per_phone = (measured - fixed) / len(sample)
        extrapolated = fixed + per_phone * len(phones)
        sample_files = sum(len(default_renderer().paths(p)) for p in sample)
        print(
            f"(b) Ansible template task per file, measured on {len(sample)} phones "
            f"({sample_files} tasks): {measured:.1f} s; empty loop (start-up) {fixed:.1f} s"
        )
        print(f"    files identical to render_company's: {same}/{sample_files}")
        print(
            f"    extrapolated linearly to {len(phones)} phones: {extrapolated:.0f} s "
            f"(= {fixed:.1f} s + {per_phone * 1000:.0f} ms x {len(phones)} phones)"
        )
        print(f"    Ansible (extrapolated) / render_company = {extrapolated / full_best:.0f}x")
    return 0 if full_best <= LIMIT_SECONDS else 1


if __name__ == "__main__":
    sys.exit(main())
