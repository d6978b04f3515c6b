"""Load an Ansible inventory directory, keeping each variable's file and key path.

Layout read (the subset of Ansible's rules this project uses):
  hosts.yml (or hosts.yaml)           groups, hosts, inline `vars:`
  group_vars/<group>.yml | <group>/   variables of a group (files of a directory in sorted order)
  host_vars/<host>.yml   | <host>/    variables of a host
A value nested inside a variable is located by the variable's file plus the variable's key path
extended with the keys/indexes leading to the value (see issues.format_loc).
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from .issues import Issue, Loc
from .overlay import overlaid_variables, read_overlay
from .yamlio import VaultValue, YamlRefusedError, YamlSyntaxError, parse_yaml

VAULT_HEADER = b"$ANSIBLE_VAULT"
VARS_SUFFIXES = {".yml", ".yaml", ".json", ""}
VAR_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
GROUP_KEYS = ("hosts", "children", "vars")


class InventoryNotFoundError(Exception):
    """The inventory path is not a directory (a usage error, not a finding)."""


@dataclass(frozen=True)
class Variable:
    """One top-level Ansible variable and where it was defined."""

    name: str
    value: object
    file: str  # relative to the inventory directory, POSIX style
    loc: Loc  # key path of the variable inside `file`
    scope: Literal["group", "host"]
    owner: str  # group or host name
    from_vars_dir: bool  # True for group_vars/ and host_vars/, False for inline hosts.yml vars
    file_encrypted: bool  # the whole file was ansible-vault encrypted


@dataclass
class Group:
    name: str
    loc: Loc  # first place the group appears in hosts.yml
    hosts: list[str] = field(default_factory=list)
    children: list[str] = field(default_factory=list)


@dataclass
class Inventory:
    root: Path
    hosts_file: str
    groups: dict[str, Group]
    variables: list[Variable]
    errors: list[Issue]
    warnings: list[Issue]
    locked_files: list[str]  # vault-encrypted files left unread (no vault password given)
    unread_files: list[str]  # files that could not be read or parsed (errors say why)


def resolve_vault_password_file(given: str | Path | None) -> Path | None:
    """The explicit option, else $ANSIBLE_VAULT_PASSWORD_FILE, else None."""
    value = given or os.environ.get("ANSIBLE_VAULT_PASSWORD_FILE")
    return Path(value).expanduser() if value else None


def load_inventory(root: str | Path, vault_password_file: str | Path | None = None) -> Inventory:
    """Read hosts.yml, group_vars and host_vars. Problems become Issues; nothing raises
    except InventoryNotFoundError for a missing directory."""
    root = Path(root)
    if not root.is_dir():
        raise InventoryNotFoundError(f"inventory directory not found: {root}")
    inventory = Inventory(root, "hosts.yml", {}, [], [], [], [], [])
    reader = _Reader(inventory, Path(vault_password_file) if vault_password_file else None)
    reader.read_hosts()
    reader.read_vars_dir("group_vars", "group")
    reader.read_vars_dir("host_vars", "host")
    reader.read_overlay()
    return inventory


def _vault_values(value: object, loc: Loc) -> Iterator[tuple[Loc, VaultValue]]:
    """Every inline `!vault` value nested in VALUE, with its key path."""
    if isinstance(value, VaultValue):
        yield loc, value
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from _vault_values(item, (*loc, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _vault_values(item, (*loc, index))


class _Reader:
    def __init__(self, inventory: Inventory, vault_password_file: Path | None) -> None:
        self.inv = inventory
        self.vault_password_file = vault_password_file
        self._vault: Any = None  # ansible's VaultLib (untyped), created on first use

    # ---- hosts.yml -------------------------------------------------------------------------

    def read_hosts(self) -> None:
        candidates = [self.inv.root / name for name in ("hosts.yml", "hosts.yaml")]
        path = next((p for p in candidates if p.is_file()), None)
        if path is None:
            self._error("hosts.yml", (), "no inventory file; create hosts.yml with the groups")
            return
        self.inv.hosts_file = path.name
        data = self._read_yaml(path)
        if data is None:
            return
        if not isinstance(data, dict):
            self._error(path.name, (), "expected a mapping of groups (all: ...); fix the file")
            return
        for name, spec in data.items():
            self._read_group(name, spec, (name,))

    def _read_group(self, name: object, spec: object, loc: Loc) -> Group | None:
        file = self.inv.hosts_file
        if not isinstance(name, str) or not name:
            self._error(file, loc, "a group name must be a non-empty string; rename the group")
            return None
        group = self.inv.groups.setdefault(name, Group(name, loc))
        if spec is None:
            return group
        if not isinstance(spec, dict):
            self._error(file, loc, "a group must be a mapping with hosts/children/vars; fix it")
            return group
        for key, value in spec.items():
            self._read_group_entry(group, key, value, (*loc, key))
        return group

    def _read_group_entry(self, group: Group, key: object, value: object, loc: Loc) -> None:
        file = self.inv.hosts_file
        if key not in GROUP_KEYS:
            self._error(file, loc, "unknown key; a group has only hosts, children and vars")
        elif value is None:
            return
        elif not isinstance(value, dict):
            self._error(file, loc, f"{key} must be a mapping; write each entry as 'name:' per line")
        elif key == "hosts":
            for host, host_vars in value.items():
                self._read_host(group, host, host_vars, (*loc, host))
        elif key == "children":
            for child_name, child_spec in value.items():
                child = self._read_group(child_name, child_spec, (*loc, child_name))
                if child is not None and child.name not in group.children:
                    group.children.append(child.name)
        else:
            self._add_vars(value, file, loc, "group", group.name, inline=True)

    def _read_host(self, group: Group, host: object, host_vars: object, loc: Loc) -> None:
        file = self.inv.hosts_file
        if not isinstance(host, str) or not host:
            self._error(file, loc, "a host name must be a non-empty string; fix the name")
            return
        if host not in group.hosts:
            group.hosts.append(host)
        if host_vars is None:
            return
        if not isinstance(host_vars, dict):
            self._error(file, loc, "host variables must be a mapping; write 'key: value' lines")
            return
        self._add_vars(host_vars, file, loc, "host", host, inline=True)

    # ---- group_vars / host_vars ------------------------------------------------------------

    def read_vars_dir(self, dirname: str, scope: Literal["group", "host"]) -> None:
        base = self.inv.root / dirname
        if not base.is_dir():
            return
        for entry in sorted(base.iterdir()):
            if entry.name.startswith("."):
                continue
            if entry.is_dir():
                files = sorted(
                    p
                    for p in entry.rglob("*")
                    if p.is_file() and p.suffix in VARS_SUFFIXES and not p.name.startswith(".")
                )
                owner = entry.name
            elif entry.suffix in VARS_SUFFIXES:
                files, owner = [entry], entry.stem
            else:
                continue
            self._check_owner_known(dirname, owner, scope, entry)
            defined: dict[str, str] = {}
            for path in files:
                self._read_vars_file(path, scope, owner, defined)

    def _check_owner_known(
        self, dirname: str, owner: str, scope: Literal["group", "host"], entry: Path
    ) -> None:
        known = (
            set(self.inv.groups) | {"all", "ungrouped"}
            if scope == "group"
            else {h for g in self.inv.groups.values() for h in g.hosts}
        )
        if owner not in known and (self.inv.root / self.inv.hosts_file).is_file():
            self.inv.warnings.append(
                Issue(
                    self._rel(entry),
                    (),
                    f"no {scope} '{owner}' in {self.inv.hosts_file}, so Ansible ignores "
                    f"{dirname}/{entry.name}; rename it or add the {scope}",
                )
            )

    def _read_vars_file(
        self, path: Path, scope: Literal["group", "host"], owner: str, defined: dict[str, str]
    ) -> None:
        rel = self._rel(path)
        encrypted = path.read_bytes().lstrip().startswith(VAULT_HEADER)
        data = self._read_yaml(path)
        if data is None:
            return
        if not isinstance(data, dict):
            self._error(
                rel,
                (),
                "a vars file must be a mapping of variable names to values"
                "; write 'name: value' lines",
            )
            return
        for name in list(data):
            if isinstance(name, str) and name in defined:
                self._error(
                    rel,
                    (name,),
                    f"also defined in {defined[name]} for the same {scope}, and Ansible "
                    "silently keeps only one; define it once",
                )
            elif isinstance(name, str):
                defined[name] = rel
        self._add_vars(data, rel, (), scope, owner, inline=False, encrypted=encrypted)

    def _add_vars(
        self,
        data: dict[object, object],
        file: str,
        loc: Loc,
        scope: Literal["group", "host"],
        owner: str,
        *,
        inline: bool,
        encrypted: bool = False,
    ) -> None:
        for name, value in data.items():
            if not isinstance(name, str) or not VAR_NAME.fullmatch(name):
                self._error(
                    file, (*loc, name), "not a valid variable name; use letters, digits and _"
                )
                continue
            self.inv.variables.append(
                Variable(name, value, file, (*loc, name), scope, owner, not inline, encrypted)
            )

    # ---- overlay.yml: variables taken from a base inventory -------------------------------

    def read_overlay(self) -> None:
        overlay, issues = read_overlay(self.inv.root)
        self.inv.errors.extend(issues)
        if overlay is None:
            return
        supplied, issues = overlaid_variables(overlay)
        self.inv.errors.extend(issues)
        for var in supplied:
            file = Path(os.path.relpath(var.base_file, self.inv.root)).as_posix()
            self.inv.variables.append(
                Variable(var.name, var.value, file, (var.name,), "group", var.group, True, False)
            )

    # ---- files -----------------------------------------------------------------------------

    def _read_yaml(self, path: Path) -> object:
        """The file's data, or None after recording why it could not be read."""
        rel = self._rel(path)
        text = self._read_text(path, rel)
        if text is None:
            return None
        try:
            data, problems = parse_yaml(text)
        except YamlRefusedError as exc:  # a YAML bomb or a nesting no inventory has
            self._unreadable(rel, str(exc), exc.loc)
            return None
        except YamlSyntaxError as exc:
            self._unreadable(rel, f"{exc}; fix the YAML syntax (indentation, quoting, colons)")
            return None
        for loc, message in problems:
            self._error(rel, loc, message)
        if self.vault_password_file is not None:
            self._check_inline_vaults(rel, data)
        return data

    def _read_text(self, path: Path, rel: str) -> str | None:
        """The file's text, decrypted if it is a vault; None if it cannot be had."""
        try:
            raw = path.read_bytes()
        except OSError as exc:
            self._unreadable(rel, f"cannot read the file ({exc.strerror}); check its permissions")
            return None
        if raw.lstrip().startswith(VAULT_HEADER):
            if self.vault_password_file is None:
                self.inv.locked_files.append(rel)
                return None
            decrypted = self._decrypt(rel, raw)
            if decrypted is None:
                return None
            raw = decrypted
        try:
            return raw.decode("utf-8")
        except UnicodeDecodeError:
            self._unreadable(rel, "not UTF-8 text; save the file as UTF-8")
            return None

    def _vault_lib(self) -> Any:  # noqa: ANN401 - ansible's VaultLib, untyped
        """The VaultLib of the password file (ImportError without ansible-core; AnsibleError
        when the password file cannot be read)."""
        if self._vault is None:
            from ansible.parsing.dataloader import DataLoader  # noqa: PLC0415 - optional
            from ansible.parsing.vault import VaultLib, get_file_vault_secret  # noqa: PLC0415

            secret = get_file_vault_secret(
                filename=str(self.vault_password_file), loader=DataLoader()
            )
            secret.load()
            self._vault = VaultLib([("default", secret)])
        return self._vault

    def _check_inline_vaults(self, rel: str, data: object) -> None:
        """Every `!vault` value of the file decrypts with the password file (the values
        themselves are dropped at once: only the failures are reported, never a value)."""
        found = list(_vault_values(data, ()))
        if not found:
            return
        try:
            from ansible.errors import AnsibleError  # noqa: PLC0415 - optional dependency
            from ansible.parsing.vault import is_encrypted  # noqa: PLC0415

            vault = self._vault_lib()
        except ImportError:
            self._error(rel, found[0][0], "checking !vault values needs ansible-core; install it")
            return
        except AnsibleError as exc:
            reason = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
            self._error(rel, found[0][0], f"cannot read the vault password file ({reason}); fix it")
            return
        password_file = self.vault_password_file
        for loc, value in found:
            text = value.ciphertext.strip()
            if not is_encrypted(text):
                self._error(
                    rel,
                    loc,
                    "!vault value is not an ansible-vault text (it must start with "
                    "$ANSIBLE_VAULT;); re-create it with ansible-vault encrypt_string",
                )
                continue
            try:
                vault.decrypt(text)
            except (AnsibleError, ValueError, TypeError):
                self._error(
                    rel,
                    loc,
                    f"!vault value does not decrypt with vault password file {password_file}"
                    "; re-encrypt it with ansible-vault encrypt_string --vault-password-file "
                    f"{password_file}, or pass the password file it was encrypted with",
                )

    def _decrypt(self, rel: str, raw: bytes) -> bytes | None:
        try:
            from ansible.errors import AnsibleError  # noqa: PLC0415 - optional dependency
        except ImportError:
            self._unreadable(
                rel,
                "file is vault-encrypted and decrypting it needs ansible-core, which is not "
                "installed; pip install ansible-core",
            )
            return None
        try:
            plain: bytes = self._vault_lib().decrypt(raw)
        except AnsibleError as exc:
            reason = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
            self._unreadable(
                rel,
                f"cannot decrypt with vault password file {self.vault_password_file} ({reason})"
                "; check the vault password file",
            )
            return None
        return plain

    def _rel(self, path: Path) -> str:
        return path.relative_to(self.inv.root).as_posix()

    def _unreadable(self, file: str, message: str, loc: Loc = ()) -> None:
        self.inv.unread_files.append(file)
        self._error(file, loc, message)

    def _error(self, file: str, loc: Loc, message: str) -> None:
        self.inv.errors.append(Issue(file, loc, message))
