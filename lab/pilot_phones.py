"""The pilot's phones: every phone of the staging inventory boots as a simulated phone.

Each phone fetches its files from the staging provisioning server with its own
credentials and User-Agent, registers to the PBX with what they say, and the
PBX is asked whether it sees it registered. Then one phone calls a colleague.
Prints one line per phone and a summary; exits 1 if any phone is not registered.

    .venv/bin/python lab/pilot_phones.py [--hold SECONDS]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "tests" / "lab"))

from labsecrets import LabInventory  # noqa: E402
from labshell import SshShell, asterisk  # noqa: E402
from phonesim import PhoneSim, ProvisioningRefusedError  # noqa: E402
from sipphones import place_call  # noqa: E402

from citypbx.httpauth import device_password  # noqa: E402
from citypbx.phones import load_catalog  # noqa: E402

INVENTORY = REPO / "inventories" / "staging"
PBX = ("127.0.0.10", 5060)
BASE_URL = "https://127.0.0.10/"
CA = REPO / "exports" / "pbx-staging" / "provisioning-ca.crt"
FIRST_PHONE_ADDRESS = 101  # phones on 127.0.0.101, .102, ...


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--hold", type=float, default=3.0, help="seconds the test call is held")
    args = parser.parse_args()

    inventory = LabInventory(INVENTORY)
    secret = inventory.secrets["vault_provisioning_secret"]
    catalog = load_catalog()
    shell = SshShell("pbx-staging", REPO / ".lab" / "ssh_config")
    workdir = Path(tempfile.mkdtemp(prefix="citypbx-pilot-phones-"))
    phones, problems = [], []
    address = FIRST_PHONE_ADDRESS
    for city in inventory.cities.values():
        for salon in city.data["salons"]:
            for spec in salon.get("phones") or []:
                mac = spec["mac"].lower().replace(":", "").replace("-", "")
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
    try:
        deadline = time.monotonic() + 20
        registered: set[str] = set()
        while time.monotonic() < deadline and len(registered) < len(phones):
            contacts = asterisk(shell, "pjsip show contacts")
            registered = {
                p.extension.endpoint for _, _, p in phones if f"{p.extension.endpoint}/" in contacts
            }
            time.sleep(0.5)
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
