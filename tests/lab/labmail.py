"""The lab's SMTP server as the tests read it: the Maildir of role lab_operator's aiosmtpd.

Every message the lab relay took is one file in `new/`; `since()` lists what arrived
after a mark, parsed with the standard library's e-mail parser.
"""

from __future__ import annotations

import email
import email.policy
import io
import time
import wave
from dataclasses import dataclass
from email.message import EmailMessage

from labshell import Shell

MAILDIR = "/var/lib/citypbx-lab-mail/Maildir/new"


@dataclass(frozen=True)
class LabMail:
    """One message the lab relay took."""

    name: str
    message: EmailMessage

    @property
    def recipients(self) -> list[str]:
        """The To: addresses."""
        return [a.addr_spec for a in self.message["To"].addresses] if self.message["To"] else []

    def attachments(self) -> list[tuple[str, str, bytes]]:
        """(file name, content type, bytes) of every attachment."""
        return [
            (part.get_filename() or "", part.get_content_type(), part.get_content())
            for part in self.message.iter_attachments()
        ]


def wav_seconds(data: bytes) -> float:
    """Length of a WAV file's audio, in seconds."""
    with wave.open(io.BytesIO(data)) as audio:
        return audio.getnframes() / audio.getframerate()


class LabMailbox:
    """The Maildir of the lab relay on SHELL (the operator's container)."""

    def __init__(self, shell: Shell) -> None:
        self.shell = shell

    def names(self) -> set[str]:
        """File names of every message so far: a mark for `since`."""
        return set(self.shell.run("ls", "-1", MAILDIR).split())

    def since(self, mark: set[str]) -> list[LabMail]:
        """Messages that arrived after MARK."""
        found = []
        for name in sorted(self.names() - mark):
            raw = self.shell.run("cat", f"{MAILDIR}/{name}")
            parsed = email.message_from_string(raw, policy=email.policy.default)
            if not isinstance(parsed, EmailMessage):
                raise TypeError(f"{name}: not parsed as an EmailMessage")
            found.append(LabMail(name, parsed))
        return found

    def wait(self, mark: set[str], count: int = 1, timeout: float = 30.0) -> list[LabMail]:
        """Wait for COUNT messages after MARK; return every message that came."""
        deadline = time.monotonic() + timeout
        while len(mail := self.since(mark)) < count:
            if time.monotonic() > deadline:
                raise AssertionError(f"the lab relay got {len(mail)} of {count} messages")
            time.sleep(0.5)
        return mail
