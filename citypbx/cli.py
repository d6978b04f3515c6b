"""Command line: `citypbx validate DIR`, `citypbx render INVENTORY --host H --out DIR`,
`citypbx route INVENTORY ...`, `citypbx vault-refs DIR` and `citypbx discover`.

Exit codes: 0 valid, 1 problems found, 2 usage error (bad arguments, missing directory);
`citypbx route`: 0 the call goes through, 3 it is refused.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import sys
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from .inventory import (
    InventoryNotFoundError,
    load_inventory,
    resolve_vault_password_file,
    validate,
    vault_refs,
)
from .snmp.cli import add_discover_command, run_discover  # `citypbx discover` (SNMP sweep)

if TYPE_CHECKING:
    from .plan.asterisk import HostPlan

EXIT_OK, EXIT_INVALID, EXIT_USAGE, EXIT_REFUSED = 0, 1, 2, 3


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="citypbx", description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)

    check = commands.add_parser("validate", help="check an inventory directory, report all errors")
    check.add_argument("inventory", help="inventory directory (holds hosts.yml)")
    check.add_argument(
        "--vault-password-file",
        help="decrypts vault-encrypted files (default: $ANSIBLE_VAULT_PASSWORD_FILE)",
    )
    check.add_argument("--format", choices=("text", "json"), default="text")

    render = commands.add_parser(
        "render",
        help="write every file a host would receive (Asterisk, nginx, phones), contacting no host",
    )
    render.add_argument("inventory", help="any Ansible inventory source (directory, file, script)")
    render.add_argument("--host", required=True, help="the host, as the inventory names it")
    render.add_argument("--out", required=True, help="directory to write into (created 0700)")
    render.add_argument(
        "--vault-password-file",
        help="decrypts the vault secrets (default: $ANSIBLE_VAULT_PASSWORD_FILE)",
    )

    route = commands.add_parser(
        "route",
        help="explain what the dialplan does with a call: an extension dialling a number, "
        "or a call to one of the company's numbers at a given time",
        description="Reads the plan the dialplan is rendered from. Outbound: --from EXT "
        "--dial DIGITS prints the number's class and the decision (exit 0 allowed, 3 refused). "
        "Inbound: --number NUMBER [--at 'YYYY-MM-DD HH:MM', the city's local time, default "
        "now] prints where the call goes (exit 0 routed, 3 not a number of the PBX).",
    )
    route.add_argument("inventory", help="any Ansible inventory source (directory, file, script)")
    route.add_argument("--from", dest="extension", help="the extension that dials")
    route.add_argument("--dial", help="the digits dialled, as the phone sends them")
    route.add_argument("--number", help="a number the operators deliver (+7..., 8..., 10 digits)")
    route.add_argument("--at", help="local time of the call's city: 'YYYY-MM-DD HH:MM'")
    route.add_argument("--host", help="the PBX host (default: the pbx host serving the city)")
    route.add_argument("--format", choices=("text", "json"), default="text")
    route.add_argument(
        "--vault-password-file",
        help="decrypts the vault secrets (default: $ANSIBLE_VAULT_PASSWORD_FILE)",
    )

    refs = commands.add_parser("vault-refs", help="list the vault_* variables the inventory uses")
    refs.add_argument("inventory", help="inventory directory (holds hosts.yml)")

    add_discover_command(commands)  # `citypbx discover`: lives in citypbx/snmp/cli.py
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        if args.command == "validate":
            return _validate(args.inventory, args.vault_password_file, args.format)
        if args.command == "discover":
            return run_discover(args)
        if args.command == "render":
            return _render(args.inventory, args.host, args.out, args.vault_password_file)
        if args.command == "route":
            return _route(args)
        return _vault_refs(args.inventory)
    except InventoryNotFoundError as exc:
        print(f"citypbx: error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except BrokenPipeError:
        # The reader went away (`citypbx vault-refs DIR | head`): stop quietly.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return EXIT_INVALID


def _validate(inventory: str, vault_password_file: str | None, output: str) -> int:
    password_file = resolve_vault_password_file(vault_password_file)
    if password_file is not None and not password_file.is_file():
        print(f"citypbx: error: vault password file not found: {password_file}", file=sys.stderr)
        return EXIT_USAGE
    report = validate(inventory, password_file)
    if output == "json":
        document = {
            "ok": report.ok,
            "summary": report.summary.as_dict(),
            "errors": [issue.as_dict() for issue in report.errors],
            "warnings": [issue.as_dict() for issue in report.warnings],
        }
        print(json.dumps(document, indent=2))
    else:
        for warning in report.warnings:
            print(f"WARNING: {warning}", file=sys.stderr)
        for error in report.errors:
            print(error)
        if report.ok:
            print(f"OK: {report.summary}")
        else:
            print(f"FAILED: {len(report.errors)} error(s) in {inventory}", file=sys.stderr)
    return EXIT_OK if report.ok else EXIT_INVALID


def _render(inventory: str, host: str, out: str, vault_password_file: str | None) -> int:
    from .plan.ansible_vars import (  # noqa: PLC0415
        HostNotFoundError,
        InventoryError,
        resolve_host_vars,
    )

    password_file = resolve_vault_password_file(vault_password_file)
    if password_file is not None and not password_file.is_file():
        print(f"citypbx: error: vault password file not found: {password_file}", file=sys.stderr)
        return EXIT_USAGE
    if not Path(inventory).exists():
        print(f"citypbx: error: inventory not found: {inventory}", file=sys.stderr)
        return EXIT_USAGE
    try:
        variables = resolve_host_vars(inventory, host, vault_password_file=password_file)
    except HostNotFoundError as exc:
        print(f"citypbx: error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except InventoryError as exc:
        print(f"citypbx: error: {exc}", file=sys.stderr)
        # Ansible's error names no file (an undecryptable !vault value, a broken file): the
        # kit's own loader says where, never showing a value.
        if Path(inventory).is_dir():
            for issue in load_inventory(inventory, password_file).errors:
                print(issue)
        return EXIT_INVALID
    groups = set(variables.get("group_names") or ())
    if not groups & {"pbx", "provisioning"}:
        print(
            f"citypbx: error: {host} is in neither the pbx nor the provisioning group: "
            "it receives no file citypbx renders",
            file=sys.stderr,
        )
        return EXIT_USAGE
    files, errors, what = _host_files(host, variables, groups)
    for error in errors:
        print(error)
    if errors:
        print(f"FAILED: {len(errors)} error(s); nothing written", file=sys.stderr)
        return EXIT_INVALID
    root = Path(out)
    if root.exists() and (not root.is_dir() or root.is_symlink() or root.stat().st_mode & 0o077):
        print(
            f"citypbx: error: {root} is not a private directory (it would hold SIP passwords); "
            "name a new directory or one only you can read (chmod 700)",
            file=sys.stderr,
        )
        return EXIT_USAGE
    root.mkdir(mode=0o700, parents=True, exist_ok=True)
    for path, content in sorted(files.items()):
        target = root / path
        target.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        flags = os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_NOFOLLOW
        with os.fdopen(os.open(target, flags, 0o600), "w", encoding="utf-8") as handle:
            os.fchmod(handle.fileno(), 0o600)
            handle.write(content)
    print(f"OK: {len(files)} files for {host} ({'; '.join(what)}) in {root}")
    return EXIT_OK


def _host_files(
    host: str, variables: dict[str, object], groups: set[str]
) -> tuple[dict[str, str], list[str], list[str]]:
    """Every file the host receives (path below /, content), every error, what was rendered.
    Rendered whole before any is written, so a failed render writes nothing."""
    from .plan.ansible_vars import role_defaults  # noqa: PLC0415
    from .plan.build import build_host  # noqa: PLC0415
    from .provisioning import ProvisioningError, site  # noqa: PLC0415

    files: dict[str, str] = {}
    errors: list[str] = []
    what = []
    if "pbx" in groups:
        result = build_host(host, variables, {**role_defaults(), **variables})
        errors += [str(error) for error in result.report.errors]
        if result.ok:
            files |= {f"etc/asterisk/{f.path}": f.content for f in result.files}
            what.append(f"Asterisk for {', '.join(result.plan.served) if result.plan else ''}")
    if "provisioning" in groups:
        try:
            provisioning = site.host_files(
                host, {**role_defaults("provisioning_server"), **variables}
            )
        except ProvisioningError as exc:
            errors += str(exc).splitlines()
        else:
            files |= {f.path.lstrip("/"): f.content for f in provisioning}
            phones = sum(1 for f in provisioning if not f.path.startswith("/etc/"))
            what.append(f"provisioning: {phones} phone files, nginx site and credentials")
    return files, errors, what


def _route(args: argparse.Namespace) -> int:
    from .plan.ansible_vars import HostNotFoundError, InventoryError  # noqa: PLC0415
    from .plan.build import inventory_plans  # noqa: PLC0415

    outbound = args.extension is not None or args.dial is not None
    if outbound == (args.number is not None) or (outbound and not (args.extension and args.dial)):
        print(
            "citypbx: error: give --from EXT --dial DIGITS (outbound) or --number N (inbound)",
            file=sys.stderr,
        )
        return EXIT_USAGE
    at = None
    if args.at is not None:
        try:
            at = datetime.strptime(args.at, "%Y-%m-%d %H:%M")
        except ValueError:
            print(f"citypbx: error: --at {args.at!r}: write 'YYYY-MM-DD HH:MM'", file=sys.stderr)
            return EXIT_USAGE
    password_file = resolve_vault_password_file(args.vault_password_file)
    if not Path(args.inventory).exists():
        print(f"citypbx: error: inventory not found: {args.inventory}", file=sys.stderr)
        return EXIT_USAGE
    try:
        plans, errors = inventory_plans(args.inventory, args.host, password_file)
    except HostNotFoundError as exc:
        print(f"citypbx: error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except InventoryError as exc:
        print(f"citypbx: error: {exc}", file=sys.stderr)
        return EXIT_INVALID
    if errors:
        for error in errors:
            print(error)
        print(f"FAILED: {len(errors)} error(s) in the inventory", file=sys.stderr)
        return EXIT_INVALID
    return _route_answer(plans, args, at or datetime.now(UTC))


def _route_answer(plans: list[HostPlan], args: argparse.Namespace, at: datetime) -> int:
    from .plan.explain import explain_dial, explain_inbound  # noqa: PLC0415

    outbound = args.number is None
    missing = None
    for plan in plans:
        if outbound:
            answer = explain_dial(plan, args.extension, args.dial)
            if answer is None:
                continue
            _print_route(answer, args.format)
            return EXIT_OK if answer.allowed else EXIT_REFUSED
        found = explain_inbound(plan, args.number, at)
        if found.routed:
            _print_route(found, args.format)
            return EXIT_OK
        missing = missing or found
    if outbound:
        hosts = ", ".join(p.host for p in plans) or "no pbx host"
        print(f"citypbx: error: no extension {args.extension} on {hosts}", file=sys.stderr)
        return EXIT_USAGE
    if missing is not None:
        _print_route(missing, args.format)
    return EXIT_REFUSED


def _print_route(answer: object, output: str) -> None:
    if output == "json":
        print(json.dumps(dataclasses.asdict(answer), indent=2))  # type: ignore[call-overload]
    else:
        print("\n".join(answer.lines()))  # type: ignore[attr-defined]


def _vault_refs(inventory: str) -> int:
    """Names only need readable files; encrypted files are skipped (they define, not use)."""
    loaded = load_inventory(inventory)
    for error in loaded.errors:
        print(error, file=sys.stderr)
    for name in vault_refs(loaded):
        print(name)
    return EXIT_INVALID if loaded.errors else EXIT_OK


if __name__ == "__main__":
    sys.exit(main())
