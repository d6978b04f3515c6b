"""Regenerate the golden Asterisk files of the production sample after an intended change:

    .venv/bin/python tests/golden/asterisk/golden.py

Secrets are the unit tests' deterministic test values (tests/unit/resolved.py), never real
ones. The files are what `citypbx render` writes for pbx1.citypbx.example, below etc/asterisk.
"""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[2]
sys.path.insert(0, str(REPO / "tests" / "unit"))
sys.path.insert(0, str(REPO))

from resolved import HOST, production_host_vars, role_defaults  # noqa: E402

from citypbx.plan.build import build_host  # noqa: E402

OUT = HERE / "production" / "etc" / "asterisk"


def rendered() -> dict[str, str]:
    result = build_host(HOST, production_host_vars(), role_defaults())
    if not result.ok:
        raise SystemExit("\n".join(str(e) for e in result.report.errors))
    return {f.path: f.content for f in result.files}


def main() -> None:
    shutil.rmtree(OUT, ignore_errors=True)
    for path, content in rendered().items():
        target = OUT / path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(content, "utf-8")
    print(f"wrote {len(rendered())} files under {OUT.relative_to(REPO)}")  # noqa: T201 - a script


if __name__ == "__main__":
    main()
