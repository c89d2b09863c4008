"""`kiosk run`: start the kiosk (the default command)."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from kiosk.commands import Context
from kiosk.flows.rules import RuleBook


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("run", help="start the kiosk (default)")
    p.add_argument("--offscreen", action="store_true", help="no window: render offscreen")
    p.add_argument("--screenshot", type=Path, help="save a PNG of the first screen, then quit")
    demo = p.add_mutually_exclusive_group()
    demo.add_argument(
        "--demo",
        dest="demo",
        action="store_const",
        const="on",
        help="virtual card and file camera even if real devices are present",
    )
    demo.add_argument("--no-demo", dest="demo", action="store_const", const="off",
                      help="real devices only")  # fmt: skip
    p.add_argument("--exit-after", type=float, metavar="SECONDS", help=argparse.SUPPRESS)
    p.set_defaults(func=run)


def has_display() -> bool:
    return bool(os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"))


def run(args: argparse.Namespace, ctx: Context) -> int:
    settings = ctx.settings  # a bad file stops here with exit 2, before anything starts
    # So do the site's rule tables (exit 2 naming file, row and key), not a resident's
    # support check hours later.
    RuleBook.for_site(settings.rules.tables)
    if args.screenshot is not None and not has_display():
        args.offscreen = True  # a real window when there is a display (Xvfb), else offscreen
    if args.offscreen:
        os.environ["QT_QPA_PLATFORM"] = "offscreen"
    elif not has_display() and os.environ.get("QT_QPA_PLATFORM") != "offscreen":
        print(
            "kiosk: no display here. Use `make run-xvfb` for a virtual display, or "
            "`kiosk run --screenshot first.png` to render the first screen offscreen.",
            file=sys.stderr,
        )
        return 1
    from kiosk import app  # Qt is imported only once we know we can show something

    return app.main(
        settings,
        ctx.data,
        demo=args.demo or settings.site.demo,
        screenshot=args.screenshot,
        exit_after=args.exit_after,
        verbose=ctx.verbose,
    )
