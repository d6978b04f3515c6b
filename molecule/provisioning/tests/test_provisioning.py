"""The provisioning server, checked with real HTTPS requests from the host.

The container shares the host's network: nginx listens on 127.0.0.12:443.
"""

from __future__ import annotations

import os
import re
import shutil
import ssl
import subprocess
import time
import urllib.error
import urllib.request
from base64 import b64encode
from pathlib import Path

import pytest

from citypbx.httpauth import device_password

SECRET = "molecule-provisioning-secret"
BASE = "https://127.0.0.12"
YEALINK, GRANDSTREAM = "805ec0aa0001", "c074adaa0002"
CA = Path(os.environ.get("MOLECULE_EPHEMERAL_DIRECTORY", "/nonexistent")) / "exports"


def fetch(path: str, user: str | None = None, password: str | None = None) -> tuple[int, str]:
    """GET PATH over HTTPS, trusting only the deployment's CA; returns (status, body)."""
    ca_files = sorted(CA.glob("*/provisioning-ca.crt"))
    assert ca_files, f"the CA certificate was not exported to {CA}"
    context = ssl.create_default_context(cafile=str(ca_files[0]))
    headers = {"User-Agent": "Yealink SIP-T46U 108.86.0.20"}
    request = urllib.request.Request(BASE + path, headers=headers)  # noqa: S310 - https only
    if user is not None:
        token = b64encode(f"{user}:{password}".encode()).decode()
        request.add_header("Authorization", f"Basic {token}")
    try:
        with urllib.request.urlopen(request, context=context, timeout=5) as response:  # noqa: S310 - https
            return response.status, response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, ""


def refusal(path: str, user: str, password: str) -> tuple[int, str, str]:
    """The status, challenge and page of a refused request."""
    ca_files = sorted(CA.glob("*/provisioning-ca.crt"))
    context = ssl.create_default_context(cafile=str(ca_files[0]))
    token = b64encode(f"{user}:{password}".encode()).decode()
    request = urllib.request.Request(BASE + path, headers={"Authorization": f"Basic {token}"})  # noqa: S310
    try:
        with urllib.request.urlopen(request, context=context, timeout=5) as response:  # noqa: S310
            return response.status, "", ""
    except urllib.error.HTTPError as error:
        return error.code, error.headers.get("WWW-Authenticate", ""), error.read().decode()


def test_nginx_is_enabled_and_listens_on_the_address_only(host):
    assert host.service("nginx").is_enabled
    assert host.socket("tcp://127.0.0.12:443").is_listening
    assert not host.socket("tcp://0.0.0.0:80").is_listening
    assert not host.socket("tcp://0.0.0.0:443").is_listening


def test_a_phone_gets_its_own_file_with_its_credentials():
    assert fetch(f"/{YEALINK}.cfg", YEALINK, device_password(SECRET, YEALINK)) == (
        200,
        f"file of {YEALINK}.cfg\n",
    )
    status, body = fetch(
        f"/cfg{GRANDSTREAM}.xml", GRANDSTREAM, device_password(SECRET, GRANDSTREAM)
    )
    assert status == 200
    assert body.startswith("file of")


@pytest.mark.parametrize(
    ("path", "user", "password"),
    [
        (f"/{YEALINK}.cfg", None, None),  # no credentials: challenged
        (f"/{YEALINK}.cfg", YEALINK, "wrong"),  # wrong password
        # another phone's valid credentials
        (f"/{YEALINK}.cfg", GRANDSTREAM, device_password(SECRET, GRANDSTREAM)),
    ],
)
def test_wrong_or_missing_credentials_are_refused(path, user, password):
    assert fetch(path, user, password)[0] == 401


def test_an_unknown_device_gets_what_a_wrong_password_gets():
    """Issue 8: the answer must not tell which MACs exist. Before, a MAC without a password
    file got 403 with credentials, a known one 401."""
    unknown = refusal("/aabbccddeeff.cfg", "aabbccddeeff", "guess")
    wrong = refusal(f"/{YEALINK}.cfg", YEALINK, "guess")
    assert unknown[0] == wrong[0] == 401, (unknown[0], wrong[0])
    assert unknown == wrong  # the same challenge, the same page


def test_a_phone_cannot_fetch_another_phones_file():
    assert fetch(f"/cfg{GRANDSTREAM}.xml", YEALINK, device_password(SECRET, YEALINK))[0] == 401


@pytest.mark.parametrize("path", ["/", "/phones/", "/../etc/passwd", "/index.html"])
def test_nothing_is_listable_and_unknown_requests_are_refused(path):
    assert fetch(path, YEALINK, device_password(SECRET, YEALINK))[0] in (400, 403, 404)


def test_access_is_logged_with_the_user_agent(host):
    fetch(f"/{YEALINK}.cfg", YEALINK, device_password(SECRET, YEALINK))
    log = host.file("/var/log/nginx/citypbx-provisioning.access.log").content_string
    assert f'"GET /{YEALINK}.cfg HTTP/1.1" 200' in log
    assert '"Yealink SIP-T46U 108.86.0.20"' in log


def test_credentials_and_keys_are_private(host):
    for path in (
        f"/etc/nginx/citypbx-provisioning/{YEALINK}.htpasswd",
        "/etc/citypbx-provisioning/tls/server.key",
        "/etc/citypbx-provisioning/tls/ca.key",
    ):
        assert host.file(path).mode & 0o007 == 0, path
    assert (
        device_password(SECRET, YEALINK)
        not in host.file(f"/etc/nginx/citypbx-provisioning/{YEALINK}.htpasswd").content_string
    )


def handshake(*options: str) -> tuple[str, str]:
    """One TLS handshake with the real nginx by `openssl s_client`, trusting only the deployment's
    CA and requiring the certificate to name the address (as the phones are told to); no request
    is sent. Returns ("<protocol> <cipher>" when a session was made, else "", s_client's stderr)."""
    openssl = shutil.which("openssl")
    assert openssl, "the test host needs the openssl command line tool"
    ca_files = sorted(CA.glob("*/provisioning-ca.crt"))
    assert ca_files, f"the CA certificate was not exported to {CA}"
    result = subprocess.run(
        [openssl, "s_client", "-connect", "127.0.0.12:443", "-CAfile", str(ca_files[0]),
         "-verify_return_error", "-verify_ip", "127.0.0.12", *options],
        input="", capture_output=True, text=True, timeout=30, check=False,
    )  # fmt: skip
    session = re.search(r"^New, (\S+), Cipher is (\S+)$", result.stdout, re.MULTILINE)
    if result.returncode != 0 or session is None or session[2] == "(NONE)":
        return "", result.stderr
    return f"{session[1]} {session[2]}", result.stderr


def test_tls_1_2_with_the_chosen_cipher_is_accepted_and_verified():
    """The suite the phones were relied on to offer with the generated (EC) key."""
    negotiated, errors = handshake("-tls1_2", "-cipher", "ECDHE-ECDSA-AES128-GCM-SHA256")
    assert negotiated == "TLSv1.2 ECDHE-ECDSA-AES128-GCM-SHA256", errors


def test_tls_1_3_is_accepted():
    negotiated, errors = handshake("-tls1_3")
    assert negotiated.startswith("TLSv1.3 "), errors


@pytest.mark.parametrize("version", ["-tls1", "-tls1_1"])
def test_tls_before_1_2_is_refused_by_the_server(version):
    # SECLEVEL=0 lets this client offer the old protocol: the refusal must be the server's.
    negotiated, errors = handshake(version, "-cipher", "DEFAULT@SECLEVEL=0")
    assert negotiated == ""
    assert "no protocols available" not in errors, errors  # the client did offer it
    assert "alert" in errors, errors  # and the server answered with a refusal


@pytest.mark.parametrize(
    "cipher",
    [
        # CBC with ECDHE and ECDSA: the generated key could serve these; the list forbids them.
        "ECDHE-ECDSA-AES128-SHA",
        "ECDHE-ECDSA-AES128-SHA256",
        "ECDHE-ECDSA-AES256-SHA384",
        # RSA key exchange (no forward secrecy), with CBC and with GCM.
        "AES128-SHA",
        "AES128-GCM-SHA256",
    ],
)
def test_cbc_and_rsa_key_exchange_ciphers_are_refused(cipher):
    negotiated, errors = handshake("-tls1_2", "-cipher", f"{cipher}@SECLEVEL=0")
    assert negotiated == ""
    assert "no ciphers available" not in errors, errors  # the client did offer it
    assert "alert" in errors, errors  # and the server answered with a refusal


def test_the_ca_is_served_to_anyone_and_is_the_exported_one(host):
    """The Yealink phones install it from here (static.trusted_certificates.url)."""
    status, body = fetch("/provisioning-ca.crt")  # no credentials
    assert status == 200
    assert body == sorted(CA.glob("*/provisioning-ca.crt"))[0].read_text()
    # testinfra's content_string drops the final newline.
    assert body.rstrip("\n") == host.file("/etc/citypbx-provisioning/tls/ca.crt").content_string
    assert "PRIVATE KEY" not in body


def test_requests_beyond_the_rate_are_refused():
    time.sleep(10)  # let the bucket refill (burst 20 at 2/s) after the tests above
    statuses = [fetch("/nothing")[0] for _ in range(45)]
    assert statuses[0] == 403  # refused, but within the rate
    assert statuses.count(429) >= 15
