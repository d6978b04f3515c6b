"""Releases (issue 7): a broken release never goes live, and rollback is one command.

Runs after test_calls.py in the same scenario (same PBX, operator and SIPp phones). Each
broken release is the product's own render with one rendered file broken by the test
(playbooks/release-broken.yml), then the product's own activation. Calls placed before,
during and after prove that nothing live was touched.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest
import yaml

REPO_ROOT = Path(__file__).resolve().parents[3]
sys.path.insert(0, str(REPO_ROOT / "tests" / "lab"))

from conftest import Lab  # noqa: E402
from labshell import asterisk  # noqa: E402
from pbxcdr import CdrRow  # noqa: E402

HERE = Path(__file__).resolve().parent
CALLER = "79161234567"
ROUTE = "8435550100"  # the operator's account of kazan-rostelecom
NEW_NUMBER = "+78435550177"  # not in the inventory: a release would add it
ANSI = re.compile(r"\x1b\[[0-9;]*m")


pytestmark = pytest.mark.skipif(
    "MOLECULE_INVENTORY_FILE" not in os.environ,
    reason="needs Molecule's inventory: run it with `molecule verify -s calls`",
)


def molecule_inventory(tmp_path: Path) -> Path:
    """A copy of Molecule's inventory (the scenario's files plus the podman connection)."""
    inventory = tmp_path / "inventory"
    shutil.copytree(Path(os.environ["MOLECULE_INVENTORY_FILE"]).parent, inventory)
    return inventory


def playbook(
    inventory: Path, path: Path, extra: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    argv = [
        str(REPO_ROOT / ".venv" / "bin" / "ansible-playbook"),
        *("-i", str(inventory)),
        *("--vault-password-file", str(REPO_ROOT / ".lab" / "vault-password")),
        *(("-e", json.dumps(extra)) if extra else ()),
        str(path),
    ]
    return subprocess.run(
        argv,
        cwd=REPO_ROOT,
        env={
            **os.environ,
            "ANSIBLE_CONFIG": str(REPO_ROOT / "ansible.cfg"),
            "ANSIBLE_NOCOLOR": "1",
        },
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )


def current_release(lab: Lab) -> str:
    return lab.pbx.run("readlink", "/etc/asterisk/releases/current").strip()


def inbound_answered(number: str):
    return lambda row: row["direction"] == "inbound" and row["number"] == number and row.answered


def call_is_answered(lab: Lab, dialled: str, e164: str) -> CdrRow:
    """The operator calls DIALLED (11d8) on kazan-rostelecom; 2101 answers; its CDR row."""
    mark = lab.cdr.mark()
    lab.operator.originate(dialled, ROUTE, caller=CALLER, seconds=2)
    return lab.cdr.wait(mark, inbound_answered(e164))[0]


class CallInProgress:
    """A long inbound call answered by 2101, checked to be the same call, still up."""

    def __init__(self, lab: Lab) -> None:
        self.lab = lab
        self.since = time.time()
        lab.operator.originate("88435550100", ROUTE, caller=CALLER, seconds=600)
        self.call = lab.phones["2101"].wait_call(self.since)
        deadline = time.monotonic() + 10
        while not self.ongoing().answered and time.monotonic() < deadline:
            time.sleep(0.2)
        assert self.ongoing().answered
        self.channels = lab.operator.pjsip_channels()
        assert len(self.channels) == 1, self.channels

    def ongoing(self):
        return self.lab.phones["2101"].calls(self.since)[0]

    def assert_still_up(self) -> None:
        assert self.lab.operator.pjsip_channels() == self.channels
        assert self.ongoing().call_id == self.call.call_id
        assert self.ongoing().bye is None, "the call in progress was hung up"

    def end(self) -> None:
        self.lab.operator.hangup_all()
        self.lab.operator.wait_idle()


@pytest.mark.usefixtures("open_today")
@pytest.mark.parametrize(
    ("case", "break_path", "break_after", "break_insert", "asterisk_says"),
    [
        (
            "dialplan",
            "extensions.d/city_kazan.conf",
            "[citypbx-did-kazan]",
            # A new number, written so that Asterisk cannot take its first line.
            f"exten => {NEW_NUMBER},n,Goto(citypbx-salon-kazan-center,s,1)",
            "pbx_config.c: Can't use 'next' priority on the first entry",
        ),
        (
            "pjsip",
            "pjsip.d/city_kazan.conf",
            "[kazan-rostelecom]",
            # An existing trunk with an option Asterisk refuses: a reload would keep the
            # old trunk silently, a fresh start would have none.
            "bogus_option = yes",
            "res_sorcery_config.c: Could not create an object of type 'endpoint' with id "
            "'kazan-rostelecom'",
        ),
    ],
)
def test_a_broken_release_never_goes_live(  # noqa: PLR0917 - pytest's parametrized arguments
    lab: Lab,
    tmp_path: Path,
    case: str,
    break_path: str,
    break_after: str,
    break_insert: str,
    asterisk_says: str,
) -> None:
    before = current_release(lab)
    call = CallInProgress(lab)
    result = playbook(
        molecule_inventory(tmp_path),
        HERE / "playbooks" / "release-broken.yml",
        {"break_path": break_path, "break_after": break_after, "break_insert": break_insert},
    )
    output = result.stdout + result.stderr
    assert result.returncode != 0, output[-3000:]
    assert "never went live" in output, output[-3000:]
    assert asterisk_says in output, output[-3000:]
    assert "city kazan:" in output, output[-3000:]  # the city is named
    # The previous release is current, and nothing of the broken one is loaded.
    assert current_release(lab) == before
    assert NEW_NUMBER not in asterisk(lab.pbx, "dialplan show citypbx-did-kazan")
    # (grep -c: the file holds passwords, which a failing assertion must not print)
    grep = ("grep", "-c", "bogus_option", "/etc/asterisk/pjsip.d/city_kazan.conf")
    assert lab.pbx.run(*grep, check=False).strip() == "0"
    assert lab.pbx.run("sh", "-c", "ls -d /run/citypbx-candidate-* 2>/dev/null", check=False) == ""
    # The call placed before is still up, and a new call is answered as before.
    call.assert_still_up()
    call.end()
    row = call_is_answered(lab, "88435550100", "+78435550100")
    assert row["trunk"] == "kazan-rostelecom", (case, row)


@pytest.mark.usefixtures("open_today")
def test_rollback_restores_the_previous_release_and_a_call_proves_it(
    lab: Lab, tmp_path: Path
) -> None:
    inventory = molecule_inventory(tmp_path)
    before = current_release(lab)
    # A good change through the product's rollout: a new number for kazan-center.
    city_file = inventory / "group_vars" / "city_kazan.yml"
    data = yaml.safe_load(city_file.read_text())
    data["citypbx_city_kazan"]["trunks"][0]["numbers"].append(
        {"number": NEW_NUMBER, "destination": "salon:kazan-center"}
    )
    city_file.write_text(yaml.safe_dump(data, sort_keys=False))
    result = playbook(inventory, REPO_ROOT / "playbooks" / "rollout-city.yml", {"city": "kazan"})
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-2000:]
    rolled_out = current_release(lab)
    assert rolled_out != before
    assert call_is_answered(lab, "8" + NEW_NUMBER[2:], NEW_NUMBER)

    # One command back, while a call is in progress.
    call = CallInProgress(lab)
    result = playbook(inventory, REPO_ROOT / "playbooks" / "rollback.yml")
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-2000:]
    assert current_release(lab) == before
    call.assert_still_up()
    call.end()

    # The new number is gone again (the operator's call is refused), the old ones answer.
    assert NEW_NUMBER not in asterisk(lab.pbx, "dialplan show citypbx-did-kazan")
    mark = lab.cdr.mark()
    lab.operator.originate("8" + NEW_NUMBER[2:], ROUTE, caller=CALLER, seconds=2)
    time.sleep(3)
    assert not [row for row in lab.cdr.after(mark) if row.answered and row["number"] == NEW_NUMBER]
    assert call_is_answered(lab, "88435550100", "+78435550100")
    # And the sysadmin was told which release is live again (Molecule forces colours).
    said = " ".join(ANSI.sub("", result.stdout).split())
    assert f"release {before} is current again (was {rolled_out})" in said, said[-2000:]
