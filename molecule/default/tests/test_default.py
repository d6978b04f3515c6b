"""Placeholder: proves the Molecule cycle reaches the Debian 13 lab container."""

from testinfra.host import Host


def test_instance_runs_debian_13(host: Host) -> None:
    assert host.file("/etc/debian_version").content_string.startswith("13")
