"""The `kiosk` command. Each subcommand lives in `kiosk.commands.<name>` and registers itself.

Exit codes: 0 ok, 1 failure, 2 bad usage or bad configuration. With `--json` a command
prints exactly one JSON object on stdout; every message goes to stderr.
"""

from __future__ import annotations

import argparse
import importlib
import json
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from kiosk import __version__
from kiosk.commands import COMMAND_MODULES, Context
from kiosk.errors import KnownError


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="kiosk",
        description="In-person digital support kiosk for the My Number card.",
    )
    parser.add_argument("--version", action="version", version=f"kiosk {__version__}")
    parser.add_argument("--config", type=Path, help="settings file (TOML)")
    parser.add_argument("--data-dir", type=Path, help="where logs, database and keys live")
    parser.add_argument("-v", "--verbose", action="store_true", help="debug logging")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in COMMAND_MODULES:
        importlib.import_module(f"kiosk.commands.{name}").register(sub)
    parser.set_defaults(command_names=frozenset(sub.choices))
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args_list = list(sys.argv[1:] if argv is None else argv)
    parser = build_parser()
    commands = parser.get_default("command_names")
    # `kiosk` alone, or `kiosk --offscreen`, means `kiosk run`.
    if not commands & set(args_list) and not {"-h", "--help", "--version"} & set(args_list):
        args_list = [*_global_args(args_list), "run", *_rest_args(args_list)]
    args = parser.parse_args(args_list)
    ctx = Context(config_file=args.config, data_dir=args.data_dir, verbose=args.verbose)
    try:
        return int(args.func(args, ctx))
    except KnownError as e:
        if getattr(args, "json", False):
            emit_json({"ok": False, "error": e.message_id, "detail": e.detail})
        print(f"kiosk: {e.detail or e.message_id}", file=sys.stderr)
        return e.exit_code
    except KeyboardInterrupt:
        return 1


def emit_json(obj: dict[str, Any]) -> None:
    """The one JSON object a `--json` command prints on stdout."""
    sys.stdout.write(json.dumps(obj, ensure_ascii=False, sort_keys=True) + "\n")
    sys.stdout.flush()


_GLOBAL_WITH_VALUE = {"--config", "--data-dir"}


def _global_args(argv: list[str]) -> list[str]:
    out: list[str] = []
    it = iter(argv)
    for a in it:
        if a in _GLOBAL_WITH_VALUE:
            out += [a, next(it, "")]
        elif a.split("=", 1)[0] in _GLOBAL_WITH_VALUE or a in ("-v", "--verbose"):
            out.append(a)
    return out


def _rest_args(argv: list[str]) -> list[str]:
    out: list[str] = []
    skip = False
    for a in argv:
        if skip:
            skip = False
            continue
        if a in _GLOBAL_WITH_VALUE:
            skip = True
        elif a.split("=", 1)[0] in _GLOBAL_WITH_VALUE or a in ("-v", "--verbose"):
            continue
        else:
            out.append(a)
    return out
