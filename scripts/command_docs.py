"""The command reference, docs/commands.md, made from the commands' own ``--help``.

    .venv/bin/python scripts/command_docs.py          # exit 1 when docs/commands.md is out of date
    .venv/bin/python scripts/command_docs.py --write  # write it

tests/test_cli.py fails while the file differs from what the commands say, so the reference
cannot drift from the code: change a command's help, then run this with --write.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Iterator
from pathlib import Path

import click

ROOT = Path(__file__).resolve().parent.parent
TARGET = ROOT / "docs" / "commands.md"
WIDTH = 100


def _walk(
    command: click.Command, path: list[str], ctx: click.Context | None
) -> Iterator[tuple[str, str]]:
    """(command line, its help page) for the command and, for a group, every subcommand."""
    settings = {**command.context_settings, "terminal_width": WIDTH, "max_content_width": WIDTH}
    with click.Context(command, info_name=path[-1], parent=ctx, **settings) as sub:  # fmt: skip
        yield " ".join(path), command.get_help(sub)
        if isinstance(command, click.Group):
            for name in command.list_commands(sub):
                child = command.get_command(sub, name)
                if child is not None and not child.hidden:
                    yield from _walk(child, [*path, name], sub)


def reference() -> str:
    from playout.cli import cli

    parts = [
        "# Command reference\n",
        "Every command's `--help`, as the commands print it (in English; the operators' messages",
        'are in Vietnamese by default: see [Commands](operator/commands.md), "Language"). Made by',
        "`scripts/command_docs.py --write`; `tests/test_cli.py` fails while it is out of date.\n",
    ]
    for line, text in _walk(cli, ["playout"], None):
        parts.append(f"## `{line}`\n\n```\n{text.rstrip()}\n```\n")
    return "\n".join(parts)


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--write", action="store_true")
    args = parser.parse_args()
    made = reference()
    if args.write:
        TARGET.parent.mkdir(exist_ok=True)
        TARGET.write_text(made, encoding="utf-8")
        return 0
    if not TARGET.exists() or TARGET.read_text(encoding="utf-8") != made:
        print(f"{TARGET.relative_to(ROOT)} is out of date: run {Path(__file__).name} --write")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
