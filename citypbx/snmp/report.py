"""Render a sweep (and its comparison with the inventory) as text lines or one JSON document."""

from __future__ import annotations

from .comparison import Comparison
from .result import SweepResult

_LABELS = {
    "missing": "MISSING",
    "unknown": "UNKNOWN",
    "wrong_model": "WRONG-MODEL",
    "wrong_firmware": "WRONG-FIRMWARE",
    "duplicate_mac": "DUPLICATE-MAC",
}


def document(
    result: SweepResult, comparison: Comparison | None, site: str | None = None
) -> dict[str, object]:
    """The JSON document of `citypbx discover --format json` and of the Ansible module."""
    out = result.as_dict()
    out["site"] = site
    out["comparison"] = comparison.as_dict() if comparison is not None else None
    return out


def text_lines(
    result: SweepResult, comparison: Comparison | None, site: str | None = None
) -> list[str]:
    counts = result.counts()
    lines = [
        f"Swept {', '.join(result.targets)} ({counts['addresses']} addresses, port {result.port}) "
        f"in {result.elapsed_s:.2f} s: {counts['identified']} identified, "
        f"{counts['unidentified']} unidentified, {counts['silent']} silent"
    ]
    for device in result.identified:
        lines.append(
            f"  {device.address:<15} {device.vendor or '':<12} {device.model or '':<9} "
            f"{device.firmware or '?':<14} {device.mac or ''}  {device.sys_name or ''}".rstrip()
        )
        lines.extend(f"    note: {note}" for note in device.notes)
    for device in result.unidentified:
        lines.append(f"  {device.address:<15} UNIDENTIFIED: {device.reason}")
    if comparison is not None:
        c = comparison.counts()
        lines.append(
            f"Compared with {site or 'the expected phones'} ({c['expected']} expected): "
            f"{c['matched']} matched, {c['missing']} missing, {c['unknown']} unknown, "
            f"{c['wrong_model']} wrong model, {c['wrong_firmware']} wrong firmware"
            + (f", {c['duplicate_mac']} duplicate MAC" if c["duplicate_mac"] else "")
        )
        lines.extend(f"  {_LABELS[f.kind]:<14} {f.message}" for f in comparison.findings)
    return lines
