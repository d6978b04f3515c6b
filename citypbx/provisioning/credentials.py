"""Per-device credentials derived from company secrets: stable, never stored anywhere.

The provisioning server (role provisioning_server, filter citypbx_phone_credentials) and the
phone files derive the same values from the same secret, so nothing per phone is kept in the
vault:

    HTTP user      = the MAC (lower-case hex, no separators)
    HTTP password  = citypbx.httpauth.device_password(provisioning secret, MAC):
                     HMAC-SHA256(secret, "provisioning:" + MAC), base32, lower case, 32 characters
    admin password = HMAC-SHA256(admin secret, "admin:" + MAC), base32, lower case, 32 characters

32 characters of a-z and 2-7 (160 bits) fit every firmware's password field and its alphabet.
"""

from __future__ import annotations

import base64
import hashlib
import hmac

from ..httpauth import PASSWORD_LENGTH, device_password


def http_username(mac: str) -> str:
    """HTTP user a phone authenticates with at the provisioning server: its normalised MAC."""
    return mac


def http_password(provisioning_secret: str, mac: str) -> str:
    """HTTP password of the phone with normalised `mac` (the provisioning server's own rule)."""
    return device_password(provisioning_secret, mac)


def admin_password(admin_secret: str, mac: str) -> str:
    """Password of the phone's `admin` web/keypad account."""
    digest = hmac.new(admin_secret.encode(), f"admin:{mac}".encode(), hashlib.sha256).digest()
    return base64.b32encode(digest).decode().lower()[:PASSWORD_LENGTH]
