"""citypbx.provisioning.site: the provisioning server's nginx site, credentials and DHCP
export from typed settings, byte for byte what the role wrote when they were templates."""

from __future__ import annotations

import pytest
from module_runner import REPO

from citypbx.provisioning import ProvisioningError, site
from citypbx.provisioning.site import SiteSettings

GOLDEN = REPO / "tests" / "golden" / "provisioning" / "staging"
STAGING = SiteSettings.model_validate({"address": "127.0.0.10"})


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
