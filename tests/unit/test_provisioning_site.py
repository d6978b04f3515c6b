"""citypbx.provisioning.site: the provisioning server's nginx site, credentials and DHCP
export from typed settings, byte for byte what the role wrote when they were templates."""

from __future__ import annotations

import re

import pytest
import yaml
from module_runner import REPO

from citypbx.provisioning import ProvisioningError, parse_settings, site
from citypbx.provisioning.site import SiteSettings

GOLDEN = REPO / "tests" / "golden" / "provisioning" / "staging"
ROLE = REPO / "roles" / "provisioning_server"
# The staging host: its address, the role's defaults otherwise.
STAGING = SiteSettings.from_role_vars("pbx-staging", {"provisioning_server_address": "127.0.0.10"})


def test_the_site_is_the_golden_file() -> None:
    golden = (GOLDEN / "citypbx-provisioning.conf").read_text()
    assert site.render_site(STAGING) == golden


def test_the_dhcp_export_is_the_golden_file() -> None:
    assert site.dhcp_export(STAGING, "pbx-staging") == (GOLDEN / "dhcp.yml").read_text()


def test_settings_come_from_the_role_variables_with_the_role_defaults() -> None:
    settings = SiteSettings.from_role_vars(
        "prov1",
        {
            "provisioning_server_address": "2001:db8::20",
            "provisioning_server_port": 8443,
            "provisioning_server_devices": [{"mac": "x"}],  # not a site setting: ignored
        },
    )
    assert settings.url == "https://[2001:db8::20]:8443/"
    assert "listen [2001:db8::20]:8443 ssl;" in site.render_site(settings)
    assert settings.root == "/srv/citypbx-provisioning"


def test_every_bad_setting_is_named_at_once_as_the_role_variable() -> None:
    with pytest.raises(ProvisioningError) as raised:
        SiteSettings.from_role_vars(
            "prov1",
            {
                "provisioning_server_address": "prov.example",
                "provisioning_server_port": 0,
                "provisioning_server_root": "srv/../etc",
                "provisioning_server_rate_per_minute": "60",
            },
        )
    lines = str(raised.value).splitlines()
    assert len(lines) == 4, lines
    for variable in ("address", "port", "root", "rate_per_minute"):
        assert any(line.startswith(f"host prov1: provisioning_server_{variable}") for line in lines)


def test_a_missing_address_is_refused() -> None:
    with pytest.raises(ProvisioningError, match="provisioning_server_address"):
        SiteSettings.from_role_vars("prov1", {})


def test_credentials_are_one_per_phone_and_stable() -> None:
    first = site.devices_of_macs(["C0:74:AD:AA:00:02", "80-5e-c0-aa-00-01"], "s" * 20)
    assert [d.mac for d in first] == ["805ec0aa0001", "c074adaa0002"]
    assert first == site.devices_of_macs(["805ec0aa0001", "c074adaa0002"], "s" * 20)
    assert first[0].password != first[1].password
    assert first[0].htpasswd.startswith("805ec0aa0001:{SSHA}")
    assert first[0].path == "/etc/nginx/citypbx-provisioning/805ec0aa0001.htpasswd"


@pytest.mark.parametrize("mac", ["80:5e:c0:aa:00", "zz5ec0aa0001", "", 42, None])
def test_a_bad_mac_is_refused(mac: object) -> None:
    with pytest.raises(ValueError, match="not a MAC address"):
        site.devices_of_macs([mac], "s" * 20)  # type: ignore[list-item]


def test_site_files_keep_secrets_marked_and_closed() -> None:
    files = site.site_files(STAGING, [], "s" * 20)
    assert [(f.path, f.mode, f.secret) for f in files] == [
        ("/etc/nginx/sites-available/citypbx-provisioning.conf", "0644", False)
    ]


# ---- TLS: protocols, ciphers, the CA the phones install --------------------------------------


def _directives(text: str, name: str) -> list[str]:
    """The values of every `name ...;` directive of an nginx file (comments skipped)."""
    return re.findall(rf"^\s*{name}\s+([^;]*);", text, flags=re.MULTILINE)


def _location(text: str, match: str) -> str:
    """The body of the nginx location block opened by `location <match> {`."""
    found = re.search(rf"^\s*location {re.escape(match)} \{{\n(.*?)^\s*\}}", text, re.M | re.S)
    assert found is not None, f"no location {match}"
    return found[1]


def test_tls_is_1_2_and_1_3_with_the_role_default_ciphers_only() -> None:
    text = site.render_site(STAGING)
    assert _directives(text, "ssl_protocols") == ["TLSv1.2 TLSv1.3"]
    defaults = yaml.safe_load((ROLE / "defaults" / "main.yml").read_text())
    ciphers = _directives(text, "ssl_ciphers")
    assert ciphers == [":".join(defaults["provisioning_server_tls_ciphers"])]
    for name in ciphers[0].split(":"):
        assert name.startswith("ECDHE-"), name  # forward secrecy
        assert name.endswith(("-GCM-SHA256", "-GCM-SHA384", "-CHACHA20-POLY1305")), name  # AEAD
    # The generated key is EC (tasks/tls.yml): ECDSA suites must be there for it.
    assert any(name.startswith("ECDHE-ECDSA-") for name in ciphers[0].split(":"))
    assert _directives(text, "ssl_prefer_server_ciphers") == ["off"]
    assert _directives(text, "ssl_session_tickets") == ["off"]
    for weak in ("SSLv2", "SSLv3", "TLSv1 ", "TLSv1;", "TLSv1.1", "RC4", "3DES", "CBC", "MD5"):
        assert weak not in "\n".join(_directives(text, "ssl_[a-z_]+")), weak


def test_the_cipher_list_is_written_once_in_the_role_defaults() -> None:
    """defaults/main.yml holds it; the spec and the typed settings refer to it, not copy it."""
    specs = yaml.safe_load((ROLE / "meta" / "argument_specs.yml").read_text())
    spec = specs["argument_specs"]["main"]["options"]["provisioning_server_tls_ciphers"]
    assert "default" not in spec
    assert SiteSettings.model_fields["tls_ciphers"].is_required()
    chosen = {"provisioning_server_tls_ciphers": ["ECDHE-RSA-CHACHA20-POLY1305"]}
    settings = SiteSettings.from_role_vars(
        "prov1", {"provisioning_server_address": "192.0.2.1", **chosen}
    )
    assert _directives(site.render_site(settings), "ssl_ciphers") == ["ECDHE-RSA-CHACHA20-POLY1305"]


@pytest.mark.parametrize(
    "ciphers",
    [
        ["AES128-SHA"],  # RSA key exchange, CBC
        ["AES128-GCM-SHA256"],  # RSA key exchange
        ["ECDHE-RSA-AES128-SHA"],  # CBC
        ["ECDHE-ECDSA-AES128-SHA256"],  # CBC
        ["DHE-RSA-AES128-GCM-SHA256"],  # not ECDHE
        ["HIGH:!aNULL"],  # an OpenSSL expression, not a list of suites
        ["ECDHE-RSA-AES128-GCM-SHA256", "ECDHE-RSA-AES128-GCM-SHA256"],
        [],
        "ECDHE-RSA-AES128-GCM-SHA256",  # a string, not a list
    ],
)
def test_a_weak_or_malformed_cipher_list_is_refused(ciphers: object) -> None:
    with pytest.raises(ProvisioningError, match="provisioning_server_tls_ciphers"):
        SiteSettings.from_role_vars(
            "prov1",
            {
                "provisioning_server_address": "192.0.2.1",
                "provisioning_server_tls_ciphers": ciphers,
            },
        )


def test_the_ca_the_phones_fetch_is_served_without_credentials() -> None:
    """The URL the phone settings derive (static.trusted_certificates.url) is a location of the
    site that asks for no password and serves the CA the role publishes."""
    settings = parse_settings(
        {"sip_server": "127.0.0.10", "ntp_server": "127.0.0.10", "provisioning_url": STAGING.url}
    )
    url = settings.ca_certificate_url
    assert url.startswith(STAGING.url)
    path = "/" + url.removeprefix(STAGING.url)
    body = _location(site.render_site(STAGING), f"= {path}")
    assert "auth_basic" not in body
    assert "deny" not in body
    published = "/etc/citypbx-provisioning/public" + path
    assert _directives(body, "alias") == [published]
    tasks = yaml.safe_load((ROLE / "tasks" / "tls.yml").read_text())
    assert published in [t.get("ansible.builtin.copy", {}).get("dest") for t in tasks]
