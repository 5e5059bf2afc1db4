"""``rasoat import-register FILE [--ward CODE] [--round YEAR] [--standard ID] [--dry-run]``.

Prints the report as JSON (mapping, counts, every bad row); exit 0 imported (or a clean dry
run), 2 when the file has problems (nothing written), 1 when it cannot be read."""
from __future__ import annotations

import argparse

from .base import EXIT_FAIL, EXIT_INVALID, EXIT_OK, CliError, print_json
from .commands import open_db, settings_of


def cmd_import_register(args: argparse.Namespace) -> int:
    from ..clock import system_clock
    from ..errors import ApiError
    from ..register.importer import import_file
    from ..register.parse import RegisterFileError

    settings = settings_of(args)
    db = open_db(settings)
    try:
        report = import_file(db, args.file, system_clock(), ward_code=args.ward, year=args.round,
                             standards=args.standard, dry_run=args.dry_run)
    except RegisterFileError as exc:
        raise CliError(str(exc), EXIT_FAIL) from None
    except ApiError as exc:
        raise CliError(f"{exc.message_vi} / {exc.message}") from None
    finally:
        db.close()
    print_json(report)
    return EXIT_OK if report["ok"] else EXIT_INVALID


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("import-register", help="import last year's register (XLSX/CSV): all rows or none, idempotent")
    p.add_argument("file", help="register file (.xlsx or .csv)")
    p.add_argument("--ward", help="ward code (needed when the server holds several wards)")
    p.add_argument("--round", type=int, help="the register's year (default: the year of its decision dates)")
    p.add_argument("--standard", action="append", metavar="ID",
                   help="standard the statuses are recorded under (repeatable; default: the round's, "
                        "else those in force that year)")
    p.add_argument("--dry-run", action="store_true", help="check and report only; write nothing")
    p.add_argument("--db", dest="db_path", help="SQLite database file (default <data dir>/rasoat.db)")
    p.add_argument("--data-dir", help="data directory")
    p.set_defaults(func=cmd_import_register)
