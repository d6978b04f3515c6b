"""Fixtures of the calls scenario: the lab's PBX and operator, the inventory, SIPp phones.

Every process a test starts is bounded (SIPp's -timeout) and stopped by these fixtures,
whatever the outcome of the test.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

REPO_ROOT = Path(__file__).resolve().parents[3]
sys.path.insert(0, str(REPO_ROOT / "tests" / "lab"))

from callslab import PBX, PHONES  # noqa: E402
from labsecrets import LabInventory  # noqa: E402
from labshell import PodmanShell, asterisk  # noqa: E402
from operatorctl import LabOperator  # noqa: E402
from pbxcdr import CdrReader  # noqa: E402
from sipphones import PhoneFleet, require_sipp  # noqa: E402

SCENARIO = Path(__file__).resolve().parents[1]
PBX_CONTAINER = "citypbx-calls-pbx"
OPERATOR_CONTAINER = "citypbx-calls-operator"


@pytest.fixture(scope="session")
def inventory() -> LabInventory:
    """The scenario's inventory with the lab secrets decrypted."""
    return LabInventory(SCENARIO / "inventory")


@pytest.fixture(scope="session")
def pbx() -> PodmanShell:
    """The PBX container."""
    return PodmanShell(PBX_CONTAINER)


@pytest.fixture(scope="session")
def operator(pbx: PodmanShell, inventory: LabInventory) -> Iterator[LabOperator]:
    """The lab operator, once the PBX is registered with it and its trunks answer OPTIONS."""
    lab = LabOperator(PodmanShell(OPERATOR_CONTAINER))
    for trunk in inventory.trunks.values():
        if trunk.auth == "registration":
            lab.wait_registered(trunk.username, timeout=90)
    deadline = time.monotonic() + 90
    while True:
        contacts = asterisk(pbx, "pjsip show contacts")
        waiting = [
            t.id
            for t in inventory.trunks.values()
            if not any(t.id + "/" in line and "Avail" in line for line in contacts.splitlines())
        ]
        if not waiting:
            break
        if time.monotonic() > deadline:
            pytest.fail(f"trunks not reachable from the PBX after 90 s: {waiting}\n{contacts}")
        time.sleep(1)
    yield lab
    for address in ("127.0.0.40", "127.0.0.41", "127.0.0.42"):
        lab.set_down(address, False)
    lab.hangup_all()


@pytest.fixture(scope="session")
def phones(
    inventory: LabInventory, pbx: PodmanShell, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[PhoneFleet]:
    """Every extension's phone, registered for the whole session."""
    require_sipp()
    fleet = PhoneFleet(PBX, tmp_path_factory.mktemp("phones"), lifetime=3600)
    for extension, (address, mode) in PHONES.items():
        fleet.add(inventory.extensions[extension], address, mode)
    fleet.start()
    try:
        fleet.wait_registered(pbx, timeout=30)
        yield fleet
    finally:
        fleet.stop()


def today_in(inventory: LabInventory, city: str) -> date:
    """Today's date in CITY's time zone."""
    return datetime.now(ZoneInfo(inventory.cities[city].timezone)).date()


@pytest.fixture
def open_today(inventory: LabInventory) -> None:
    """Skip a test that needs the around-the-clock salons open, on a company holiday."""
    for city in ("kazan", "ufa"):
        if today_in(inventory, city) in inventory.holidays:
            pytest.skip(f"{today_in(inventory, city)} is a company holiday: every salon is closed")


@dataclass(frozen=True)
class Lab:
    """Everything a call test works with."""

    inventory: LabInventory
    pbx: PodmanShell
    cdr: CdrReader
    operator: LabOperator
    phones: PhoneFleet
    workdir: Path


@pytest.fixture
def lab(
    inventory: LabInventory,
    pbx: PodmanShell,
    operator: LabOperator,
    phones: PhoneFleet,
    tmp_path: Path,
) -> Iterator[Lab]:
    """The lab, ready for a call: registered phones, reachable trunks, no call left over."""
    yield Lab(inventory, pbx, CdrReader(pbx), operator, phones, tmp_path)
    operator.hangup_all()
    operator.wait_idle()
