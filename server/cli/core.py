"""The commands that need no database: ``validate``, ``classify``, ``generate``."""
from __future__ import annotations

import argparse
import datetime as dt
import json
import sys
from typing import Any

from .base import EXIT_FAIL, EXIT_INVALID, EXIT_OK, CliError, print_json, read_json_file  # noqa: F401


def cmd_validate(args: argparse.Namespace) -> int:
    from shared.validation import errors, validate

    doc = read_json_file(args.file)
    problems = validate(doc, today=dt.date.today())
    errs = errors(problems)
    print_json({"valid": not errs, "problems": [p.to_dict() for p in problems]})
    return EXIT_INVALID if errs else EXIT_OK


def cmd_classify(args: argparse.Namespace) -> int:
    from shared.classify import classify, classify_all
    from shared.dates import parse_date
    from shared.b1 import B1TableError, load_table
    from shared.standards import StandardError, coverage_notes, load_standard_file, load_standards
    from shared.validation import errors, validate

    doc = read_json_file(args.file)
    problems = validate(doc, today=dt.date.today())
    errs = errors(problems)
    if errs:
        print_json({"valid": False, "problems": [p.to_dict() for p in problems]})
        return EXIT_INVALID
    try:
        known = load_standards()
        chosen = []
        for sid in args.standard or ():
            if sid.endswith(".json"):
                chosen.append(load_standard_file(sid))
            elif sid in known:
                chosen.append(known[sid])
            else:
                raise CliError(f"Không có chuẩn '{sid}' / unknown standard; known: {', '.join(sorted(known))}")
        table = load_table(args.b1_table) if args.b1_table else None
    except (StandardError, B1TableError, OSError, json.JSONDecodeError) as exc:
        raise CliError(str(exc))
    ref = parse_date(args.date) if args.date else None
    if args.date and ref is None:
        raise CliError(f"--date: ngày không hợp lệ / invalid date: {args.date}")
    results = ([classify(doc, s, ref, b1_table=table) for s in chosen] if chosen
               else classify_all(doc, ref=ref, b1_table=table))
    out: dict[str, Any] = {"household_id": doc.get("household_id"), "results": results,
                           "warnings": [p.to_dict() for p in problems]}
    day = ref or parse_date(doc.get("collected_at"))
    area = doc.get("area") if isinstance(doc.get("area"), dict) else {}
    if day is not None and not chosen:
        out["notes"] = coverage_notes(area.get("province_code"), day)
    if args.phieu_a:
        from shared.screening import ScreeningError, load_criteria, screen
        try:
            out["phieu_a"] = screen(doc, load_criteria(args.phieu_a))
        except ScreeningError as exc:
            raise CliError(str(exc))
    if not results:
        out["note"] = ("Không có chuẩn nghèo nào có hiệu lực cho địa bàn và ngày này; dùng --standard ID. / "
                       "No standard is in force for this area and date; name one with --standard.")
    print_json(out)
    return EXIT_OK


def cmd_generate(args: argparse.Namespace) -> int:
    from shared.synthetic import generate_ward

    if args.households < 0 or args.households > 2_000_000:
        raise CliError("--households phải từ 0 đến 2.000.000 / must be 0..2,000,000")
    rows = generate_ward(args.households, seed=args.seed, area_type=args.area_type)
    out = open(args.output, "w", encoding="utf-8") if args.output else sys.stdout
    try:
        for h in rows:
            out.write(json.dumps(h, ensure_ascii=False) + "\n")
    finally:
        if out is not sys.stdout:
            out.close()
    return EXIT_OK


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("validate", help="validate a household JSON file (exit 2 when invalid)")
    p.add_argument("file", help="household JSON file, or - for standard input")
    p.set_defaults(func=cmd_validate)

    p = sub.add_parser("classify", help="classify a household under the standards in force (or the ones named)")
    p.add_argument("file", help="household JSON file, or - for standard input")
    p.add_argument("--standard", action="append", metavar="ID",
                   help="a standard id or a standard JSON file; repeatable (default: every standard in force)")
    p.add_argument("--date", help="reference date YYYY-MM-DD (default: the household's collected_at)")
    p.add_argument("--b1-table", "--score-a-table", dest="b1_table",
                   help="a B1 points table JSON (Phiếu B; none official is bundled). "
                        "--score-a-table is the deprecated name")
    p.add_argument("--phieu-a", metavar="CRITERIA.json",
                   help="screen with Phiếu A criteria (none official is bundled; examples/ has a synthetic one)")
    p.set_defaults(func=cmd_classify)

    p = sub.add_parser("generate", help="generate a synthetic ward as JSON lines (deterministic per seed)")
    p.add_argument("--households", type=int, default=100)
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--area-type", choices=("urban", "rural"), default="urban")
    p.add_argument("--output", "-o", help="write to this file instead of standard output")
    p.set_defaults(func=cmd_generate)
