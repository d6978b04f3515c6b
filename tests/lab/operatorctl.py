"""Drive the lab operator (role lab_operator) from the tests, through its Asterisk console.

- `originate`: the operator calls the PBX, through a registration account (to the contact
  the PBX registered) or an IP-trunk address (from that address), with the number written
  as the operator sends it and a chosen caller ID.
- `received`: the calls the operator received, from its own CDR store, with the
  request-URI user, From, P-Asserted-Identity and Remote-Party-ID as they arrived.
- `down`: calls arriving on an address get 503 while it is switched down.
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from labshell import Shell, asterisk
from pbxcdr import CdrReader, CdrRow

DB_FAMILY = "citypbx-lab"
_SAFE = re.compile(r"[+0-9]*")
_SAFE_NAME = re.compile(r"[A-Za-z0-9_.]*")
_SIP_USER = re.compile(r"<?(?:sips?|tel):\+?([^@;>]*)")


def sip_user(header: str) -> str:
    """User part of the (first) URI in a From/P-Asserted-Identity/Remote-Party-ID value."""
    match = _SIP_USER.search(header)
    if match is None:
        return ""
    # Keep a leading '+': the operator's number format is what is being checked.
    start = match.start(1)
    return ("+" if header[start - 1 : start] == "+" else "") + match.group(1)


def display_name(header: str) -> str:
    """Display name of a From-style header value ('' when there is none)."""
    match = re.match(r'\s*"([^"]*)"', header) or re.match(r"\s*([^<\"]+?)\s*<", header)
    return match.group(1) if match else ""


@dataclass(frozen=True)
class ReceivedCall:
    """A call the operator received, as recorded in its CDR store."""

    row: CdrRow

    @property
    def outcome(self) -> str:
        """answered, or down (refused with 503: its address was switched down)."""
        return self.row["outcome"]

    @property
    def address(self) -> str:
        """Operator address the call arrived on."""
        return self.row["local_addr"]

    @property
    def number(self) -> str:
        """Request-URI user as received: the number in the operator's format."""
        return self.row["ruri_user"]

    @property
    def from_header(self) -> str:
        """From header as received."""
        return self.row["from_header"]

    @property
    def from_user(self) -> str:
        """User part of the From URI."""
        return sip_user(self.row["from_header"])

    @property
    def pai(self) -> str:
        """P-Asserted-Identity as received ('' when absent)."""
        return self.row["pai"]

    @property
    def rpid(self) -> str:
        """Remote-Party-ID as received ('' when absent)."""
        return self.row["rpid"]

    @property
    def identity_user(self) -> str:
        """User part of P-Asserted-Identity, else of Remote-Party-ID ('' when neither came)."""
        return sip_user(self.pai or self.rpid) if (self.pai or self.rpid) else ""

    def __str__(self) -> str:
        return (
            f"{self.outcome} on {self.address}: to {self.number!r}, From {self.from_header!r}, "
            f"PAI {self.pai!r}, RPID {self.rpid!r}"
        )


class LabOperator:
    """The operator's Asterisk, reached through SHELL."""

    def __init__(self, shell: Shell, db_family: str = DB_FAMILY) -> None:
        self.shell = shell
        self.db_family = db_family
        self.cdr = CdrReader(shell)

    def cli(self, command: str) -> str:
        """One command on the operator's console."""
        return asterisk(self.shell, command)

    # ---- calls towards the PBX ------------------------------------------------------------

    @staticmethod
    def route_context(route: str) -> str:
        """Dialplan context of ROUTE: an account username or an IP-trunk address."""
        return "lab-call-" + route.replace(".", "-")

    def originate(
        self, number: str, route: str, *, caller: str = "", name: str = "", seconds: int = 20
    ) -> None:
        """Call the PBX: NUMBER as the operator writes it, through ROUTE (account or address).

        CALLER/NAME become the calling number and name. The operator's side answers with
        a tone as soon as the call is set up and hangs up after SECONDS.
        """
        for value, pattern in ((number, _SAFE), (caller, _SAFE), (name, _SAFE_NAME)):
            if not pattern.fullmatch(value):
                raise ValueError(f"{value!r} cannot travel in a Local channel name")
        spec = number + (f"*{caller}" if caller or name else "") + (f"*{name}" if name else "")
        context = self.route_context(route)
        self.cli(f"channel originate Local/{spec}@{context} extension {int(seconds)}@lab-hold")

    def channels(self) -> list[str]:
        """Names of the operator's channels now (PJSIP and Local)."""
        out = self.cli("core show channels concise")
        return [line.split("!", 1)[0] for line in out.splitlines() if "!" in line]

    def pjsip_channels(self) -> list[str]:
        """The operator's SIP channels now (one per call leg with the PBX)."""
        return [name for name in self.channels() if name.startswith("PJSIP/")]

    def hangup_all(self) -> None:
        """End every call of the operator."""
        self.cli("channel request hangup all")

    def wait_idle(self, timeout: float = 15.0) -> None:
        """Wait until the operator has no channel left."""
        deadline = time.monotonic() + timeout
        while self.channels():
            if time.monotonic() > deadline:
                raise AssertionError(f"operator still has channels: {self.channels()}")
            time.sleep(0.5)

    # ---- calls from the PBX ---------------------------------------------------------------

    def mark(self) -> int:
        """A mark in the operator's call records: `received(mark)` lists what came after."""
        return self.cdr.mark()

    def received(self, mark: int) -> list[ReceivedCall]:
        """Calls the operator received after MARK (answered or refused as down), oldest first."""
        return [
            ReceivedCall(row)
            for row in self.cdr.after(mark)
            if row["outcome"] in {"answered", "down"}
        ]

    def wait_received(
        self, mark: int, *, count: int = 1, outcome: str = "", timeout: float = 30.0
    ) -> list[ReceivedCall]:
        """Wait for COUNT received calls after MARK (with OUTCOME if given); return them all.

        Records are written when a call ends: hang up (or let the caller hang up) first.
        """

        def wanted(row: CdrRow) -> bool:
            return row["outcome"] in ({outcome} if outcome else {"answered", "down"})

        return [
            ReceivedCall(row) for row in self.cdr.wait(mark, wanted, count=count, timeout=timeout)
        ]

    # ---- down switch ----------------------------------------------------------------------

    def set_down(self, address: str, down: bool = True) -> None:
        """Switch ADDRESS down (calls arriving there get 503) or back up."""
        if down:
            self.cli(f"database put {self.db_family} down/{address} 1")
        else:
            self.cli(f"database del {self.db_family} down/{address}")

    @contextmanager
    def down(self, address: str) -> Iterator[None]:
        """ADDRESS switched down for the duration of the block."""
        self.set_down(address, True)
        try:
            yield
        finally:
            self.set_down(address, False)

    # ---- registrations --------------------------------------------------------------------

    def registered_contacts(self) -> str:
        """`pjsip show contacts` of the operator: the PBX's registered contacts."""
        return self.cli("pjsip show contacts")

    def wait_registered(self, username: str, timeout: float = 90.0) -> None:
        """Wait until the PBX has registered with account USERNAME."""
        deadline = time.monotonic() + timeout
        while f"Contact:  {username}/" not in self.registered_contacts():
            if time.monotonic() > deadline:
                raise AssertionError(
                    f"the PBX did not register as {username} within {timeout:g} s:\n"
                    + self.registered_contacts()
                )
            time.sleep(1)
