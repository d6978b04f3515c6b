"""Where the calls scenario's peers live: the PBX's address and each extension's phone."""

from __future__ import annotations

from sipphones import PhoneMode

# The PBX (group_vars/pbx/asterisk.yml).
PBX = ("127.0.0.30", 5060)

# Each phone on its own loopback address; the mode is the phone's for the whole session.
PHONES: dict[str, tuple[str, PhoneMode]] = {
    "2101": ("127.0.0.131", "answer"),  # kazan-center: the one that picks up
    "2102": ("127.0.0.132", "ring"),  # kazan-center: rings, is cancelled when 2101 answers
    "2201": ("127.0.0.133", "ring"),  # kazan-quiet: nobody answers there
    "2202": ("127.0.0.134", "ring"),  # kazan-quiet
    "3101": ("127.0.0.135", "answer"),  # ufa-open
    "3201": ("127.0.0.136", "answer"),  # ufa-closed: would answer, must not ring
    "3301": ("127.0.0.137", "answer"),  # ufa-holiday: would answer, must not ring
}
