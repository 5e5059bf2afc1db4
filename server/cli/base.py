"""What every command of the ``rasoat`` command line shares: exit codes, the expected error, JSON out."""
from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

EXIT_OK, EXIT_FAIL, EXIT_INVALID = 0, 1, 2


class CliError(Exception):
    """An expected failure: printed as a message, exit code attached."""

    def __init__(self, message: str, code: int = EXIT_INVALID):
        super().__init__(message)
        self.code = code


def print_json(obj: Any) -> None:
    sys.stdout.write(json.dumps(obj, ensure_ascii=False, indent=2) + "\n")


def read_json_file(path: str) -> Any:
    """Read a JSON file or '-' (stdin); CliError naming the file and the reason."""
    try:
        text = sys.stdin.read() if path == "-" else Path(path).read_text(encoding="utf-8")
    except FileNotFoundError:
        raise CliError(f"Không tìm thấy tệp / file not found: {path}")
    except (OSError, UnicodeDecodeError) as exc:
        raise CliError(f"Không đọc được tệp / cannot read {path}: {exc}")
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise CliError(f"{path}: JSON không hợp lệ ở dòng {exc.lineno}, cột {exc.colno} / "
                       f"invalid JSON at line {exc.lineno}, column {exc.colno}: {exc.msg}")
