"""The tablet app's entry point (buildozer packages the repository root, so shared/ ships with it).

    python main.py                                   # data in App.user_data_dir (or $RASOAT_TABLET_DATA_DIR)
    python main.py --data-dir /tmp/tab1              # a separate tablet on this desktop
    python main.py --server http://127.0.0.1:8000 --enroll-code ABCD-EFGH-JKLM   # enroll at start

Environment equivalents: RASOAT_TABLET_DATA_DIR, RASOAT_SERVER, RASOAT_ENROLL_CODE, RASOAT_DEVICE_NAME,
RASOAT_LANG. The enrollment flags are used only while the tablet is not enrolled yet.
"""
from __future__ import annotations

import argparse
import os
import sys


def parse_args(argv: list[str]) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="main.py", description="rasoat tablet app (Kivy)")
    p.add_argument("--data-dir", default=os.environ.get("RASOAT_TABLET_DATA_DIR"),
                   help="directory of the local database (default: $RASOAT_TABLET_DATA_DIR, else the app's data dir)")
    p.add_argument("--server", default=os.environ.get("RASOAT_SERVER"),
                   help="ward server URL to enroll with at start, e.g. http://127.0.0.1:8000")
    p.add_argument("--enroll-code", default=os.environ.get("RASOAT_ENROLL_CODE"),
                   help="one-time enrollment code from the ward office (with --server)")
    p.add_argument("--device-name", default=os.environ.get("RASOAT_DEVICE_NAME"), help="name shown at the office")
    p.add_argument("--lang", choices=("vi", "en"), default=os.environ.get("RASOAT_LANG"), help="UI language")
    return p.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(sys.argv[1:] if argv is None else argv)
    os.environ.setdefault("KIVY_NO_ARGS", "1")          # our flags are not Kivy's
    if args.data_dir:
        os.environ["RASOAT_TABLET_DATA_DIR"] = args.data_dir
    from mobile.app import RasoatApp

    RasoatApp(data_dir=args.data_dir, server=args.server, enroll_code=args.enroll_code,
              device_name=args.device_name, lang=args.lang).run()
    return 0


if __name__ == "__main__":
    sys.exit(main())
