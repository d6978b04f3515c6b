"""`citypbx discover`: sweep a network over SNMP, identify the phones, compare with the inventory.

    citypbx discover --network 127.0.1.0/24 --community-file F \
        [--inventory DIR --city SLUG [--salon ID]] [--firmware MODEL=VERSION ...] \
        [--port 161] [--timeout 1] [--retries 1] [--concurrency 256] [--format text|json]

Exit codes, as for `citypbx validate`: 0 nothing to report, 1 findings (missing, unknown,
wrong model or firmware, duplicate MACs) or unidentified devices, 2 usage error (bad arguments,
unreadable community file, invalid inventory, unknown city).
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from ..inventory import InventoryNotFoundError, validate
from .community import Community, CommunityError
from .comparison import Comparison, ExpectedPhone, SiteError, compare, expected_phones

EXIT_OK, EXIT_FINDINGS, EXIT_USAGE = 0, 1, 2


def add_discover_command(commands: argparse._SubParsersAction[Any]) -> None:
    """Register `discover` on the `citypbx` parser's subcommands."""
    parser = commands.add_parser(
        "discover",
        help="sweep a network over SNMP, identify desk phones, compare with the inventory",
        description=__doc__.splitlines()[0] if __doc__ else None,
    )
    parser.add_argument(
        "--network",
        action="append",
        required=True,
        metavar="CIDR",
        help="network or address to sweep, e.g. 127.0.1.0/24 (repeatable)",
    )
    parser.add_argument(
        "--community-file",
        required=True,
        help="file whose first line is the SNMP community (a secret: never on the command line)",
    )
    parser.add_argument("--port", type=int, default=161, help="agent UDP port (default 161)")
    parser.add_argument("--timeout", type=float, default=1.0, help="seconds per try (default 1)")
    parser.add_argument("--retries", type=int, default=1, help="retries per address (default 1)")
    parser.add_argument(
        "--concurrency", type=int, default=256, help="addresses queried at once (default 256)"
    )
    parser.add_argument("--inventory", help="inventory directory to compare with (needs --city)")
    parser.add_argument("--city", help="city slug whose phones are expected on this network")
    parser.add_argument("--salon", help="only the phones of this salon of the city")
    parser.add_argument(
        "--firmware",
        action="append",
        default=[],
        metavar="MODEL=VERSION",
        help="expected firmware of a model (repeatable; overrides the catalog's pin)",
    )
    parser.add_argument("--format", choices=("text", "json"), default="text")


def run_discover(args: argparse.Namespace) -> int:
    try:
        community = Community.from_file(args.community_file)
        pins = _parse_pins(args.firmware)
        expected, site = _expected(args, pins)
    except (CommunityError, SiteError, _UsageError) as exc:
        return _usage(str(exc))

    from .report import document, text_lines  # noqa: PLC0415  # imports pysnmp: only when sweeping
    from .sweep import SweepInputError, run_sweep  # noqa: PLC0415

    try:
        result = run_sweep(
            args.network,
            community,
            port=args.port,
            timeout=args.timeout,
            retries=args.retries,
            concurrency=args.concurrency,
        )
    except SweepInputError as exc:
        return _usage(str(exc))
    comparison: Comparison | None = None
    if expected is not None:
        comparison = compare(result.devices, expected)
    if args.format == "json":
        sys.stdout.write(json.dumps(document(result, comparison, site), indent=2) + "\n")
    else:
        sys.stdout.write("\n".join(text_lines(result, comparison, site)) + "\n")
    problems = bool(result.unidentified) or (comparison is not None and not comparison.clean)
    return EXIT_FINDINGS if problems else EXIT_OK


class _UsageError(Exception):
    pass


def _usage(message: str) -> int:
    sys.stderr.write(f"citypbx discover: error: {message}\n")
    return EXIT_USAGE


def _parse_pins(items: list[str]) -> dict[str, str]:
    pins: dict[str, str] = {}
    for item in items:
        model, sep, version = item.partition("=")
        if not sep or not model.strip() or not version.strip():
            raise _UsageError(f"--firmware {item!r}: write MODEL=VERSION, e.g. T46U=108.86.0.20")
        pins[model.strip().upper()] = version.strip()
    return pins


def _expected(
    args: argparse.Namespace, pins: dict[str, str]
) -> tuple[list[ExpectedPhone] | None, str | None]:
    if args.inventory is None:
        if args.city or args.salon:
            raise _UsageError("--city and --salon need --inventory")
        return None, None
    if not args.city:
        raise _UsageError("--inventory needs --city (the city whose phones are on this network)")
    try:
        report = validate(args.inventory, skip_encrypted=True)
    except InventoryNotFoundError as exc:
        raise _UsageError(str(exc)) from None
    if report.company is None:
        errors = "\n".join(str(issue) for issue in report.errors)
        raise _UsageError(
            f"the inventory {args.inventory} has {len(report.errors)} error(s); "
            f"fix them first (citypbx validate {args.inventory}):\n{errors}"
        )
    site = args.city if args.salon is None else f"{args.city}/{args.salon}"
    return expected_phones(report.company, args.city, args.salon, pins), site
