"""The message catalogue's keys: every ``msg("...")`` template in playout/, the daemon's log lines,
the report's and the dashboard's word tables (context ``report:<key>``, ``dashboard:<key>``).

    .venv/bin/python scripts/messages.py          # list templates missing from locale/vi.po
    .venv/bin/python scripts/messages.py --update # add them to vi.po (empty, to translate)

The test suite (tests/test_words.py) fails while a template has no translation, or when a
translation names other fields than its template.
"""

from __future__ import annotations

import argparse
import ast
import sys
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "playout"
PO = PACKAGE / "locale" / "vi.po"


def _first_strings(
    package: Path, wanted: Callable[[ast.Call], bool], skip: tuple[str, ...] = ()
) -> dict[str, str]:
    """The string literal each ``wanted`` call starts with -> where it is first written."""
    found: dict[str, str] = {}
    for path in sorted(package.rglob("*.py")):
        if any(part in skip for part in path.relative_to(package).parts):
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
        for node in ast.walk(tree):
            if (
                isinstance(node, ast.Call)
                and wanted(node)
                and node.args
                and isinstance(node.args[0], ast.Constant)
                and isinstance(node.args[0].value, str)
            ):
                found.setdefault(node.args[0].value, f"{path.relative_to(ROOT)}:{node.lineno}")
    return found


def templates(package: Path = PACKAGE) -> dict[str, str]:
    """template -> where it is first written (file:line), for every ``msg("...")`` call."""
    return _first_strings(
        package, lambda call: isinstance(call.func, ast.Name) and call.func.id == "msg"
    )


LOG_LEVELS = ("info", "warning", "error", "exception", "critical")


def log_templates(package: Path = PACKAGE) -> dict[str, str]:
    """The %-format strings of the station side's log calls (``log.info("...", ...)``): the
    daemon's lines are translated by their format string (playout/daemon/logwords.py). The
    hub's server logs are for its administrators and stay English."""

    def logged(call: ast.Call) -> bool:
        return (
            isinstance(call.func, ast.Attribute)
            and call.func.attr in LOG_LEVELS
            and isinstance(call.func.value, ast.Name)
            and call.func.value.id in ("log", "logger")
        )

    return _first_strings(package, logged, skip=("hub",))


def tables() -> dict[str, dict[str, str]]:
    """The word tables kept in English in the code, by their context's name."""
    from playout.hub.web.words import ENGLISH as DASHBOARD
    from playout.reasons import ENGLISH as REASON
    from playout.reports.text import ENGLISH as REPORT

    return {"report": REPORT, "dashboard": DASHBOARD, "reason": REASON}


def table_entries() -> dict[tuple[str, str], str]:
    """(context, English) -> where, for every entry of the word tables."""
    where = {
        "report": "playout/reports/text.py",
        "dashboard": "playout/hub/web/words.py",
        "reason": "playout/reasons.py",
    }
    found = {}
    for name, english in tables().items():
        lines = (ROOT / where[name]).read_text(encoding="utf-8").splitlines()
        for key, text in english.items():
            line = next(
                (
                    i + 1
                    for i, x in enumerate(lines)
                    if x.strip().startswith(f'"{key}":')
                    or f'Phrase("{key}"' in x
                    or x.strip() == f'"{key}",'
                ),
                1,
            )
            found[(f"{name}:{key}", text)] = f"{where[name]}:{line}"
    return found


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--update", action="store_true")
    args = parser.parse_args()
    from babel.messages.catalog import Catalog
    from babel.messages.pofile import read_po, write_po

    if PO.exists():
        with PO.open("rb") as f:
            catalogue = read_po(f, locale="vi")
    else:
        catalogue = Catalog(locale="vi", project="playout")
    wanted = {**log_templates(), **templates()}
    missing = {t: w for t, w in wanted.items() if t not in catalogue}
    for template, where in missing.items():
        print(f"{where}: {template}")
        if args.update:
            catalogue.add(template, "", locations=[(where.split(":")[0], int(where.split(":")[1]))])
    for (context, text), where in table_entries().items():
        if catalogue.get(text, context=context) is None:
            missing[f"[{context}] {text}"] = where
            print(f"{where}: [{context}] {text}")
            if args.update:
                file, line = where.split(":")
                catalogue.add(text, "", context=context, locations=[(file, int(line))])
    if args.update:
        with PO.open("wb") as f:
            write_po(f, catalogue, width=100, omit_header=False, sort_output=False)
    return 1 if missing and not args.update else 0


if __name__ == "__main__":
    sys.exit(main())
