"""Call records of a lab Asterisk (the PBX's or the operator's own), read from its SQLite store.

Asterisk writes a record when a call leg ends (cdr.conf `batch = no`), so tests take a
mark (the highest record id) before placing a call and then wait for the records after it.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

from labshell import Shell, sqlite_rows

CDR_DATABASE = "/var/log/asterisk/master.db"


@dataclass(frozen=True)
class CdrRow:
    """One call record: Asterisk's standard columns plus the kit's tag columns."""

    values: dict[str, str]

    def __getitem__(self, column: str) -> str:
        return self.values.get(column, "")

    @property
    def id(self) -> int:
        """The record's id (SQLite AcctId), increasing with time."""
        return int(self.values["AcctId"])

    @property
    def answered(self) -> bool:
        """True when the call leg was answered."""
        return self["disposition"] == "ANSWERED"

    def __str__(self) -> str:
        keys = (
            "AcctId", "src", "dst", "dcontext", "channel", "dstchannel", "lastapp",
            "disposition", "billsec", "city", "salon", "number", "trunk", "direction",
            "userfield", "outcome", "local_addr", "ruri_user",
        )  # fmt: skip
        return " ".join(f"{k}={self.values[k]!r}" for k in keys if self.values.get(k))


class CdrReader:
    """The `cdr` table of one Asterisk's SQLite CDR store."""

    def __init__(self, shell: Shell, database: str = CDR_DATABASE) -> None:
        self.shell = shell
        self.database = database

    def mark(self) -> int:
        """The id of the latest record (0 when there is none): records after it are new."""
        rows = sqlite_rows(self.shell, self.database, "SELECT max(AcctId) AS id FROM cdr")
        return int(rows[0]["id"] or 0) if rows else 0

    def after(self, mark: int) -> list[CdrRow]:
        """Every record written after MARK, oldest first."""
        # MARK is an int: nothing from outside reaches the SQL text.
        query = f"SELECT * FROM cdr WHERE AcctId > {int(mark)} ORDER BY AcctId"  # noqa: S608
        return [CdrRow(row) for row in sqlite_rows(self.shell, self.database, query)]

    def wait(
        self,
        mark: int,
        predicate: Callable[[CdrRow], bool],
        *,
        count: int = 1,
        timeout: float = 30.0,
    ) -> list[CdrRow]:
        """Wait until COUNT records after MARK satisfy PREDICATE; return them all.

        Raises AssertionError with every new record when they do not appear in TIMEOUT.
        """
        deadline = time.monotonic() + timeout
        while True:
            rows = self.after(mark)
            matching = [row for row in rows if predicate(row)]
            if len(matching) >= count:
                return matching
            if time.monotonic() > deadline:
                listing = "\n  ".join(str(row) for row in rows) or "(none)"
                raise AssertionError(
                    f"{self.shell.name}: expected {count} matching call record(s) within "
                    f"{timeout:g} s, found {len(matching)}; new records:\n  {listing}"
                )
            time.sleep(0.5)
