"""Command line: `citypbx validate DIR` and `citypbx vault-refs DIR`.

Exit codes: 0 valid, 1 problems found, 2 usage error (bad arguments, missing directory).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Sequence

from .inventory import (
    InventoryNotFoundError,
    load_inventory,
    resolve_vault_password_file,
    validate,
    vault_refs,
)
from .snmp.cli import add_discover_command, run_discover  # `citypbx discover` (SNMP sweep)

EXIT_OK, EXIT_INVALID, EXIT_USAGE = 0, 1, 2


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
