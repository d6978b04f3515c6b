"""The outcome of a sweep: every address as a Device, and how the sweep ran (plain data)."""

from __future__ import annotations

from dataclasses import dataclass

from .devices import Device


@dataclass(frozen=True)
class SweepResult:
    """Every swept address as a Device, sorted by address, and how the sweep ran."""

    targets: tuple[str, ...]  # what was asked for, e.g. ("127.0.1.0/24",)
    devices: tuple[Device, ...]
    elapsed_s: float
    port: int
    timeout: float
    retries: int

    @property
    def identified(self) -> tuple[Device, ...]:
        return tuple(d for d in self.devices if d.status == "identified")

    @property
    def unidentified(self) -> tuple[Device, ...]:
        return tuple(d for d in self.devices if d.status == "unidentified")

    @property
    def silent(self) -> tuple[Device, ...]:
        return tuple(d for d in self.devices if d.status == "silent")

    def counts(self) -> dict[str, int]:
        return {
            "addresses": len(self.devices),
            "identified": len(self.identified),
            "unidentified": len(self.unidentified),
            "silent": len(self.silent),
        }

    def as_dict(self) -> dict[str, object]:
        """JSON-ready. Silent addresses are listed by address only."""
        return {
            "targets": list(self.targets),
            "port": self.port,
            "timeout": self.timeout,
            "retries": self.retries,
            "elapsed_s": round(self.elapsed_s, 3),
            "counts": self.counts(),
            "devices": [d.as_dict() for d in self.devices if d.status != "silent"],
            "silent": [d.address for d in self.silent],
        }
