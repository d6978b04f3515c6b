"""HTTP credentials of the phones on the provisioning server.

Each phone has its own user (its MAC) and password, derived from one company
secret so nothing per phone has to be stored: HMAC-SHA256(secret, mac). The
server keeps only salted hashes ({SSHA}, understood by nginx's auth_basic);
with 32-character random passwords a fast salted hash is not the weak point.
"""

from __future__ import annotations

import base64
import hashlib
import hmac

PASSWORD_LENGTH = 32


def device_password(secret: str, mac: str) -> str:
    """The provisioning HTTP password of the phone with MAC (lower-case hex, no separators)."""
    digest = hmac.new(secret.encode(), f"provisioning:{mac}".encode(), hashlib.sha256).digest()
    return base64.b32encode(digest).decode().lower()[:PASSWORD_LENGTH]


def htpasswd_line(user: str, password: str) -> str:
    """`user:{SSHA}...` with a salt derived from user and password, so re-rendering is stable."""
    salt = hashlib.sha256(f"{user}:{password}".encode()).digest()[:8]
    digest = hashlib.sha1(password.encode() + salt).digest()  # noqa: S324 - nginx {SSHA} format
    return f"{user}:{{SSHA}}{base64.b64encode(digest + salt).decode()}"
