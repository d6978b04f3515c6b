"""Bring a directory of phone files in line with freshly rendered ones, atomically.

Only files whose content changed are written (temporary file + rename, so a phone never reads a
half-written file); files keep mode 0640; phone files of the company that are no longer rendered
are removed. Files that are not phone files (<mac>.boot, <mac>.cfg, cfg<mac>.xml) are never
touched, nor are `<mac>-local.cfg` files a phone may upload.
"""

from __future__ import annotations

import os
import stat
import tempfile
from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from .parse import is_phone_file, mac_of, managed_city, redact

FILE_MODE = 0o640
DIR_MODE = 0o750


@dataclass
class SyncResult:
    created: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    mode_fixed: list[str] = field(default_factory=list)  # same content, mode set to 0640
    diff: list[dict[str, str]] = field(default_factory=list)  # Ansible's diff format, redacted

    @property
    def changed(self) -> bool:
        return bool(self.created or self.updated or self.removed or self.mode_fixed)

    @property
    def changed_macs(self) -> list[str]:
        """Phones whose files were created or changed: the ones to tell to resync."""
        return sorted({mac_of(name) for name in (*self.created, *self.updated)})

    @property
    def removed_macs(self) -> list[str]:
        return sorted({mac_of(name) for name in self.removed})


def write_atomic(path: Path, data: bytes, mode: int = FILE_MODE) -> None:
    """Write DATA to PATH through a temporary file in the same directory, then rename."""
    fd, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as handle:
            os.fchmod(handle.fileno(), mode)
            handle.write(data)
        Path(temporary).replace(path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def sync_directory(
    dest: Path,
    files: Mapping[str, str],
    *,
    keep: Collection[str] = (),
    cities: Collection[str] | None = None,
    check: bool = False,
    diff: bool = False,
) -> SyncResult:
    """Make DEST hold FILES (name -> content).

    keep: names of other phone files of the company (cities not rendered this time): never
      removed, so a phone that moved to another city is not deleted in between.
    cities: None = every phone file that is neither in FILES nor in KEEP is stale and removed;
      otherwise only those whose citypbx header names one of these cities.
    check: report what would change, change nothing.
    diff: fill `diff` with before/after texts, secrets redacted.
    """
    result = SyncResult()
    existing = _phone_files(dest)
    if not dest.is_dir() and not check:
        dest.mkdir(mode=DIR_MODE, parents=True)
    for name, content in files.items():
        _ensure(dest / name, content, existing.get(name), result, check=check, diff=diff)
    for name in sorted(set(existing) - set(files) - set(keep)):
        path = dest / name
        text = path.read_bytes().decode(errors="replace")
        if cities is not None and managed_city(text) not in cities:
            continue  # another city's file, or not ours: not for this run to judge
        result.removed.append(name)
        if diff:
            result.diff.append(_diff(name, redact(name, text), ""))
        if not check:
            path.unlink()
    return result


def _phone_files(dest: Path) -> dict[str, os.stat_result]:
    """The phone files in DEST (regular files only) and their status."""
    if not dest.is_dir():
        return {}
    with os.scandir(dest) as entries:
        return {
            entry.name: entry.stat(follow_symlinks=False)
            for entry in entries
            if is_phone_file(entry.name) and entry.is_file(follow_symlinks=False)
        }


def _ensure(
    path: Path,
    content: str,
    status: os.stat_result | None,
    result: SyncResult,
    *,
    check: bool,
    diff: bool,
) -> None:
    """Make PATH hold CONTENT with FILE_MODE; record what that took in RESULT."""
    name, data = path.name, content.encode()
    before = None if status is None else path.read_bytes()
    if before == data:
        if status is not None and stat.S_IMODE(status.st_mode) != FILE_MODE:
            result.mode_fixed.append(name)
            if not check:
                path.chmod(FILE_MODE)
        return
    (result.created if before is None else result.updated).append(name)
    if diff:
        old = "" if before is None else redact(name, before.decode(errors="replace"))
        result.diff.append(_diff(name, old, redact(name, content)))
    if not check:
        write_atomic(path, data)


def _diff(name: str, before: str, after: str) -> dict[str, str]:
    return {
        "before_header": f"{name} (secrets redacted)" if before else "(absent)",
        "after_header": f"{name} (secrets redacted)" if after else "(absent)",
        "before": before,
        "after": after,
    }
