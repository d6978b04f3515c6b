"""The SNMP community: a password in clear on the wire, so it never reaches a log or a result."""

from __future__ import annotations

from pathlib import Path


class CommunityError(ValueError):
    """The community (or its file) is unusable. The message never contains the community."""


class Community:
    """A community string that hides itself: repr() and str() show `***`.

    Only the sweep calls `reveal()`, to build the request.
    """

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        if not value or not value.isprintable() or value != value.strip():
            raise CommunityError(
                "the SNMP community must be non-empty printable text without surrounding blanks"
            )
        if len(value.encode("utf-8")) > 255:  # noqa: PLR2004  # SNMP OCTET STRING in practice
            raise CommunityError("the SNMP community is longer than 255 bytes")
        self._value = value

    @classmethod
    def from_file(cls, path: str | Path) -> Community:
        """The first non-blank line of `path` (the rest of the file is ignored)."""
        try:
            text = Path(path).read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            reason = exc.strerror if isinstance(exc, OSError) else "not UTF-8 text"
            raise CommunityError(f"cannot read the community file {path}: {reason}") from None
        for line in text.splitlines():
            if line.strip():
                return cls(line.strip())
        raise CommunityError(f"the community file {path} is empty")

    def reveal(self) -> str:
        return self._value

    def __repr__(self) -> str:
        return "Community('***')"

    __str__ = __repr__

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Community) and other._value == self._value

    def __hash__(self) -> int:
        return hash((Community, self._value))
