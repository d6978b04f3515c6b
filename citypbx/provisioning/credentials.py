"""Per-device credentials derived from company secrets: stable, never stored anywhere.

The provisioning server (nginx) and the phone files derive the same values from the same secret,
so nothing per phone needs to be kept in the vault:

    http user     = the MAC (lower-case hex, no separators)
    http password = HMAC-SHA256(key=provisioning secret, msg=MAC), first 32 hex digits
    admin password = HMAC-SHA256(key=admin secret, msg=MAC), first 32 hex digits

32 hex digits (128 bits) fit every firmware's password field and its allowed characters.
"""

from __future__ import annotations

import hashlib
import hmac

PASSWORD_HEX_DIGITS = 32


def _derive(secret: str, mac: str) -> str:
    digest = hmac.new(secret.encode(), mac.encode(), hashlib.sha256).hexdigest()
    return digest[:PASSWORD_HEX_DIGITS]


def http_username(mac: str) -> str:
    """HTTP user a phone authenticates with at the provisioning server: its normalised MAC."""
    return mac


def http_password(provisioning_secret: str, mac: str) -> str:
    """HTTP password of the phone with normalised `mac` at the provisioning server."""
    return _derive(provisioning_secret, mac)


def admin_password(admin_secret: str, mac: str) -> str:
    """Password of the phone's `admin` web/keypad account."""
    return _derive(admin_secret, mac)
