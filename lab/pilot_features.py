"""What the pilot city's staff use, tried with real calls on the staging lab (issue 9).

Through real SIP peers (the lab operator, SIPp phones) and the lab's SMTP server:
  - the night code (FEATURE_CODES["night"]) from a salon's phone closes the salon;
  - a customer's call to the salon's recorded number hears the recording notice while the
    salon is open (and is recorded), not after hours;
  - closed, the salon's calls go to its mailbox: a message left there lights the salon's
    phones (NOTIFY message-summary) and is e-mailed with the recording attached;
  - the voicemail code with the salon's PIN plays it (it moves to Old);
  - the night code opens the salon again.
Prints one line per step; exits 1 when one did not do what the inventory says.

    .venv/bin/python lab/pilot_features.py
"""

from __future__ import annotations

import re
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "tests" / "lab"))
sys.path.insert(0, str(REPO))

from labmail import LabMailbox, wav_seconds  # noqa: E402
from labsecrets import LabInventory, format_number  # noqa: E402
from labshell import SshShell, asterisk  # noqa: E402
from operatorctl import LabOperator  # noqa: E402
from pbxcdr import CdrReader  # noqa: E402
from sipphones import PhoneFleet, place_call  # noqa: E402

from citypbx.inventory.models import FEATURE_CODES  # noqa: E402
from citypbx.inventory.names import night_state  # noqa: E402

INVENTORY = REPO / "inventories" / "staging"
SSH_CONFIG = REPO / ".lab" / "ssh_config"
PBX = ("127.0.0.10", 5060)
CUSTOMER = "79165550123"
SPOOL = "/var/spool/asterisk/voicemail/citypbx"


class StepError(Exception):
    """A step did not do what the inventory says."""


def wait_for(condition: Callable[[], object], what: str, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise StepError(what)
        time.sleep(0.3)


class Pilot:
    """The staging lab, the pilot city's first salon and its staff's phones."""

    def __init__(self) -> None:
        self.inventory = LabInventory(INVENTORY)
        self.pbx = SshShell("citypbx-staging-pbx", SSH_CONFIG)
        operator_shell = SshShell("citypbx-staging-operator", SSH_CONFIG)
        self.operator = LabOperator(operator_shell)
        self.relay = LabMailbox(operator_shell)
        self.cdr = CdrReader(self.pbx)
        city = next(iter(self.inventory.cities.values()))
        self.salon = city.data["salons"][0]
        self.salon_id = self.salon["id"]
        self.state = night_state(self.salon_id)
        self.staff = [e for e in self.inventory.extensions.values() if e.salon == self.salon_id]
        self.trunk, self.number = next(
            (trunk, n)
            for trunk in self.inventory.trunks.values()
            for n in city_numbers(city.data, trunk.id)
            if n.get("destination") == f"salon:{self.salon_id}" and n.get("record")
        )
        self.workdir = Path(tempfile.mkdtemp(prefix="citypbx-pilot-features-"))
        self.fleet = PhoneFleet(PBX, self.workdir, lifetime=600)
        self.addresses: dict[str, str] = {}
        for index, extension in enumerate(self.inventory.extensions.values()):
            self.addresses[extension.extension] = f"127.0.0.{111 + index}"
            self.fleet.add(extension, self.addresses[extension.extension])

    def night(self) -> str:
        """The salon's night switch now (INUSE: closed by staff)."""
        for line in asterisk(self.pbx, "devstate list").splitlines():
            if f"'{self.state}'" in line:
                return line.rsplit("'", 2)[-2]
        return ""

    def dial(self, who: int, dialled: str, **kwargs: float | str) -> bool:
        """Staff member WHO's phone dials DIALLED; whether it was answered."""
        extension = self.staff[who]
        address = self.addresses[extension.extension]
        return place_call(extension, address, dialled, PBX, self.workdir, **kwargs).answered

    def notice(self) -> None:
        """A customer calls the recorded number: while the salon is open the notice is played
        before anything rings (and the call recorded); after hours neither."""
        notice = self.number.get("notice")
        if not notice:
            return
        mark = self.cdr.mark()
        route = self.trunk.username if self.trunk.auth == "registration" else self.trunk.server
        sent = format_number(self.number["number"], self.trunk.number_format)
        self.operator.originate(sent, route, caller=CUSTOMER, seconds=8)
        played, deadline = False, time.monotonic() + 6
        while not played and time.monotonic() < deadline:
            played = f"!Playback!{notice}" in asterisk(self.pbx, "core show channels concise")
            time.sleep(0.2)
        rows = self.cdr.wait(mark, lambda r: r["direction"] == "inbound", timeout=40)
        self.operator.hangup_all()
        self.operator.wait_idle(timeout=20)
        after_hours = any(r["userfield"] == "after-hours" for r in rows)
        if after_hours and played:
            raise StepError(f"{self.number['number']}: the notice was played after hours")
        if not after_hours and not played:
            raise StepError(f"{self.number['number']}: the notice {notice} was not played")
        what = (
            "after hours: not recorded, no notice"
            if after_hours
            else f"{notice} played before anything rang, then recorded: {rows[0]['recording']}"
        )
        print(f"  notice     {self.number['number']}: {what}")

    def close(self) -> None:
        code = FEATURE_CODES["night"]
        if not self.dial(-1, code, hold=1.0):
            raise StepError(f"{code} from {self.staff[-1].extension} was not answered")
        wait_for(lambda: self.night() == "INUSE", f"{code} did not close {self.salon_id}")
        print(
            f"  night      {code} from {self.staff[-1].extension}: {self.salon_id} closed "
            f"by staff ({self.state} INUSE)"
        )

    def leave_message(self) -> list[str]:
        """A customer calls the recorded number and leaves a message; problems found."""
        since, mark, mail_mark = time.time(), self.cdr.mark(), self.relay.names()
        inbox = messages(self.pbx, self.salon_id, "INBOX")
        route = self.trunk.username if self.trunk.auth == "registration" else self.trunk.server
        sent = format_number(self.number["number"], self.trunk.number_format)
        self.operator.originate(sent, route, caller=CUSTOMER, seconds=14)
        rows = self.cdr.wait(mark, lambda r: r["direction"] == "inbound", timeout=40)
        print(
            f"  closed     {self.number['number']} -> {rows[0]['lastapp']} ({rows[0]['userfield']})"
        )
        wait_for(
            lambda: len(messages(self.pbx, self.salon_id, "INBOX")) > len(inbox),
            f"no message in the mailbox of {self.salon_id}",
            timeout=40,
        )
        for extension in self.staff:
            wait_for(
                lambda p=self.fleet[extension.extension]: any(
                    m.method == "NOTIFY"
                    and "message-summary" in m.header("Event")
                    and "Messages-Waiting: yes" in m.text
                    and m.time >= since
                    for m in p.messages()
                ),
                f"no message light on {extension.extension}",
            )
        mail = self.relay.wait(mail_mark, timeout=30)
        wavs = [(a[0], wav_seconds(a[2])) for m in mail for a in m.attachments()]
        print(
            f"  voicemail  a message for {self.salon_id}: message light on "
            f"{', '.join(e.extension for e in self.staff)}; e-mailed to "
            f"{', '.join(sorted({r for m in mail for r in m.recipients}))} with "
            f"{', '.join(f'{n} ({s:.1f} s)' for n, s in wavs) or 'NO recording'}"
        )
        return [] if wavs else ["the e-mail had no recording attached"]

    def read_back(self) -> None:
        old = messages(self.pbx, self.salon_id, "Old")
        pin = self.inventory.secrets[pin_variable(self.salon)]
        code = FEATURE_CODES["voicemail"]
        if not self.dial(0, code, hold=12.0, keys=f"{pin},,1"):
            raise StepError(f"{code} from {self.staff[0].extension} was not answered")
        wait_for(
            lambda: len(messages(self.pbx, self.salon_id, "Old")) > len(old),
            f"{code} with the PIN did not play the message",
            timeout=15,
        )
        print(f"  voicemail  {code} from {self.staff[0].extension} with the PIN: message heard")

    def reopen(self) -> list[str]:
        code = FEATURE_CODES["night"]
        if self.night() == "INUSE":
            self.dial(-1, code, hold=1.0)
        if self.night() == "INUSE":
            asterisk(self.pbx, f"devstate change {self.state} NOT_INUSE")
            return [f"{code} did not open {self.salon_id} again"]
        print(f"  night      {code} again: {self.salon_id} back to its working hours")
        return []


def main() -> int:
    pilot = Pilot()
    problems: list[str] = []
    pilot.fleet.start()
    try:
        pilot.fleet.wait_registered(pilot.pbx)
        if pilot.trunk.auth == "registration":
            pilot.operator.wait_registered(pilot.trunk.username)
        pilot.notice()
        pilot.close()
        problems += pilot.leave_message()
        pilot.read_back()
    except StepError as problem:
        problems.append(str(problem))
    finally:
        problems += pilot.reopen()
        pilot.fleet.stop()
        pilot.operator.hangup_all()
    verdict = f"{len(problems)} problem(s)" if problems else "all as the inventory says"
    print(f"pilot features: {verdict}")
    for problem in problems:
        print(f"PROBLEM: {problem}")
    return 1 if problems else 0


def city_numbers(city: dict, trunk_id: str) -> list[dict]:
    """The numbers of the city's trunk TRUNK_ID, as the inventory lists them."""
    return next(t.get("numbers") or [] for t in city["trunks"] if t["id"] == trunk_id)


def pin_variable(salon: dict) -> str:
    """The vault variable the salon's PIN refers to."""
    match = re.fullmatch(r"\{\{\s*(vault_\w+)\s*\}\}", str(salon["voicemail"]["pin"]))
    if match is None:
        raise StepError(f"salon {salon['id']}: the PIN is not a vault reference")
    return match.group(1)


def messages(pbx: SshShell, mailbox: str, folder: str) -> list[str]:
    """The message files of MAILBOX's FOLDER."""
    out = pbx.run("ls", "-1", f"{SPOOL}/{mailbox}/{folder}", check=False)
    return sorted(name for name in out.split() if re.fullmatch(r"msg\d{4}\.txt", name))


if __name__ == "__main__":
    sys.exit(main())
