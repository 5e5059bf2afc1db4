"""The ``rasoat`` command line (one package, issue 22).

Each subcommand is a small function taking the parsed arguments and returning an exit code: 0 success,
2 invalid input (every problem listed), 1 other failure. Users never see a traceback: expected errors
print a message. The command modules: ``core`` (no database), ``commands`` (the server, users,
devices, backup, the demo), ``dedup`` (batch deduplication), ``register`` (register import). Heavy
imports (FastAPI, the database, spreadsheets) happen inside the commands that need them, so
``rasoat validate`` starts in a blink: the one documented exception to "imports at the top".
"""
from __future__ import annotations

import argparse
import sys

from . import commands, core, dedup, register
from .base import CliError

# Every command module, each adding its subcommands to the parser (a fixed list, not a registry).
COMMAND_MODULES = (core, commands, dedup, register)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="rasoat", description="Rà soát hộ nghèo, hộ cận nghèo — household poverty review")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for module in COMMAND_MODULES:
        module.register(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return args.func(args)
    except CliError as exc:
        print(f"rasoat {args.command}: {exc}", file=sys.stderr)
        return exc.code
    except KeyboardInterrupt:
        return 130
