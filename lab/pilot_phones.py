"""The pilot's phones: every phone of the staging inventory boots as a simulated phone.

Each phone fetches its files from the staging provisioning server with its own
credentials and User-Agent, registers to the PBX with what they say, and the
PBX is asked whether it sees it registered. Then one phone calls a colleague.
Prints one line per phone and a summary; exits 1 if any phone is not registered.

    .venv/bin/python lab/pilot_phones.py [--hold SECONDS]
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "tests" / "lab"))

from labsecrets import LabInventory  # noqa: E402
from labshell import SshShell, asterisk  # noqa: E402
from phonesim import PhoneSim, ProvisionedLine, ProvisioningRefusedError  # noqa: E402
from sipphones import Phone, place_call  # noqa: E402

from citypbx.httpauth import device_password  # noqa: E402
from citypbx.phones import load_catalog, normalise_mac  # noqa: E402

INVENTORY = REPO / "inventories" / "staging"
PBX = ("127.0.0.10", 5060)
BASE_URL = "https://127.0.0.10/"
CA = REPO / "exports" / "pbx-staging" / "provisioning-ca.crt"
FIRST_PHONE_ADDRESS = 101  # phones on 127.0.0.101, .102, ...
RESYNC_COPY = REPO / "inventories" / ".pilot-resync"  # throw-away copy (gitignored)


def publish(inventory: Path) -> None:
    """Run playbooks/phones.yml against INVENTORY (render, publish, resync changed phones)."""
    subprocess.run(
        [
            str(REPO / ".venv" / "bin" / "ansible-playbook"), "-i", str(inventory),
            "--vault-password-file", str(REPO / ".lab" / "vault-password"),
            str(REPO / "playbooks" / "phones.yml"),
        ],
        cwd=REPO, check=True, capture_output=True, timeout=600,
    )  # fmt: skip


def boot_phones(
    inventory: LabInventory, workdir: Path
) -> tuple[list[tuple[PhoneSim, ProvisionedLine, Phone]], list[str]]:
    """Every phone of INVENTORY provisions itself and starts registering; and the problems."""
    secret = inventory.secrets["vault_provisioning_secret"]
    catalog = load_catalog()
    phones, problems = [], []
    address = FIRST_PHONE_ADDRESS
    for city in inventory.cities.values():
        for salon in city.data["salons"]:
            for spec in salon.get("phones") or []:
                mac = normalise_mac(spec["mac"])
                model = catalog.models[spec["vendor"]][spec["model"]]
                sim = PhoneSim(
                    mac, spec["vendor"], spec["model"], model.firmware or "0.0.0",
                    BASE_URL, device_password(secret, mac), CA,
                )  # fmt: skip
                try:
                    line = sim.provision()
                except ProvisioningRefusedError as error:
                    problems.append(f"{mac}: provisioning refused ({error})")
                    continue
                extension = inventory.extensions[spec["extension"]]
                phone = sim.sip_phone(line, extension, f"127.0.0.{address}", workdir)
                address += 1
                phone.start()
                phones.append((sim, line, phone))
    return phones, problems


def wait_registered(shell: SshShell, phones: list[Phone], timeout: float = 20.0) -> set[str]:
    """Endpoints of PHONES the PBX shows registered, waiting up to TIMEOUT for all of them."""
    deadline = time.monotonic() + timeout
    registered: set[str] = set()
    while time.monotonic() < deadline and len(registered) < len(phones):
        contacts = asterisk(shell, "pjsip show contacts")
        registered = {
            p.extension.endpoint for p in phones if f"{p.extension.endpoint}/" in contacts
        }
        time.sleep(0.5)
    return registered


def refusal_check(sim: PhoneSim, other: PhoneSim) -> str:
    """A wrong password, and another phone's file, are refused to SIM; "" when they are."""
    attempts = {
        "wrong password": lambda: sim.fetch(f"{sim.mac}.boot", password="wrong"),  # noqa: S106
        f"the file of {other.mac}": lambda: sim.fetch(
            f"cfg{other.mac}.xml" if other.vendor == "grandstream" else f"{other.mac}.cfg"
        ),
    }
    for what, attempt in attempts.items():
        try:
            attempt()
        except ProvisioningRefusedError as error:
            print(f"  refused {sim.mac} {what}: HTTP {error.status}")
            continue
        return f"{sim.mac}: {what} was served"
    return ""


def resync_check(sim: PhoneSim, phone: Phone) -> str:
    """Rename PHONE's extension in a copy of the inventory, publish, and follow the resync.

    Returns "" when the phone was told to resync and then read the new name, else the problem.
    """
    shutil.rmtree(RESYNC_COPY, ignore_errors=True)
    shutil.copytree(INVENTORY, RESYNC_COPY)
    try:
        # Staging is an overlay of production: the change is one more override.
        overlay_file = RESYNC_COPY / "group_vars" / "all" / "overlay.yml"
        data = yaml.safe_load(overlay_file.read_text())
        new_name = f"{phone.extension.name} resync"
        city = data["citypbx_overlay"]["overrides"].setdefault(phone.extension.city, {})
        salon = city.setdefault("salons", {}).setdefault(phone.extension.salon, {})
        salon.setdefault("extensions", {})[phone.extension.extension] = {"name": new_name}
        overlay_file.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False))
        notifies_before = sum(1 for m in phone.messages() if m.method == "NOTIFY")
        publish(RESYNC_COPY)
        deadline = time.monotonic() + 10
        notifies: list[str] = []
        while time.monotonic() < deadline and not notifies:
            received = [m for m in phone.messages() if m.method == "NOTIFY"][notifies_before:]
            notifies = [m.header("Event") for m in received]
            time.sleep(0.3)
        # The simulated phone does what the firmware does on check-sync: fetch again.
        if not any("check-sync" in event for event in notifies):
            return f"{sim.mac}: no check-sync NOTIFY after its extension changed"
        line = sim.provision()  # what the phone does on check-sync
        if line.display_name != new_name:
            return f"{sim.mac}: re-fetched display name {line.display_name!r}, not {new_name!r}"
        print(
            f"  resync {sim.mac} ext {phone.extension.extension}: NOTIFY {notifies[0]!r}, "
            f"re-fetched name {line.display_name!r}"
        )
        return ""
    finally:
        shutil.rmtree(RESYNC_COPY, ignore_errors=True)
        publish(INVENTORY)  # the real inventory's files again (the phone is resynced back)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--hold", type=float, default=3.0, help="seconds the test call is held")
    args = parser.parse_args()

    inventory = LabInventory(INVENTORY)
    shell = SshShell("pbx-staging", REPO / ".lab" / "ssh_config")
    workdir = Path(tempfile.mkdtemp(prefix="citypbx-pilot-phones-"))
    phones, problems = boot_phones(inventory, workdir)
    try:
        registered = wait_registered(shell, [phone for _, _, phone in phones])
        for sim, line, phone in phones:
            state = "registered" if phone.extension.endpoint in registered else "NOT registered"
            print(
                f"  {sim.vendor:11} {sim.model:8} {sim.mac}  ext {phone.extension.extension}"
                f"  {line.auth_user}@{line.server}:{line.port}  {state}"
            )
            if phone.extension.endpoint not in registered:
                problems.append(f"{sim.mac}: not registered")
        if len(phones) >= 2 and not problems:
            # The first phone calls its colleague, with the credentials it was provisioned.
            (_, line, caller), (_, _, callee) = phones[0], phones[1]
            result = place_call(
                caller.extension, "127.0.0.100", callee.extension.extension, PBX, workdir,
                hold=args.hold, password=line.password,
            )  # fmt: skip
            state = "answered" if result.answered else f"NOT answered ({result.final_status})"
            print(f"  call {caller.extension.extension} -> {callee.extension.extension}: {state}")
            if not result.answered:
                problems.append("colleague call not answered")
            if problem := refusal_check(phones[0][0], phones[1][0]):
                problems.append(problem)
            if problem := resync_check(phones[0][0], caller):
                problems.append(problem)
    finally:
        for _, _, phone in phones:
            phone.stop()
    unregistered = sum(1 for problem in problems if "registered" in problem)
    print(f"phones provisioned and registered: {len(phones) - unregistered}/{len(phones)}")
    for problem in problems:
        print(f"PROBLEM: {problem}")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
