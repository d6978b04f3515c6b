"""Names derived from the model that several layers share (dialplan, PJSIP, phone files)."""

from __future__ import annotations

import hashlib
import hmac


def endpoint_name(extension: str, secret: str) -> str:
    """PJSIP endpoint (and auth user) name of an extension: not guessable from the number.

    ``2101-`` followed by 10 hex digits of HMAC-SHA256(secret, extension): an attacker
    who knows the extension still has to guess the name before guessing the password.
    Changing the secret renames the endpoint, so phones are re-provisioned together.
    Needs the resolved secret (a vault reference would give a name no phone is told).
    """
    digest = hmac.new(secret.encode(), extension.encode(), hashlib.sha256).hexdigest()
    return f"{extension}-{digest[:10]}"


def night_hint(salon_id: str) -> str:
    """The extension a phone's key watches (BLF) and dials for its salon's night switch."""
    return f"night-{salon_id}"


_NIGHT_STATE_PREFIX = "Custom:citypbx-night-"
# The night switch's states: closed by staff now, or back to its working hours.
NIGHT_STATES = {"closed": "INUSE", "open": "NOT_INUSE"}


def night_state(salon_id: str) -> str:
    """The custom device state that is INUSE while staff have closed the salon (kept in
    Asterisk's astdb across restarts)."""
    return f"{_NIGHT_STATE_PREFIX}{salon_id}"


def closed_salons(devstates: dict[str, str]) -> list[str]:
    """The salons closed by staff now, from Asterisk's custom device states."""
    return sorted(
        name.removeprefix(_NIGHT_STATE_PREFIX)
        for name, state in devstates.items()
        if name.startswith(_NIGHT_STATE_PREFIX) and state == NIGHT_STATES["closed"]
    )
