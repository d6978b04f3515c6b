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


def mailbox_pin(salon_id: str, secret: str) -> str:
    """A 6-digit voicemail PIN derived from a salon secret (never stored in clear)."""
    digest = hmac.new(secret.encode(), f"voicemail:{salon_id}".encode(), hashlib.sha256).digest()
    return f"{int.from_bytes(digest[:4], 'big') % 1_000_000:06d}"
