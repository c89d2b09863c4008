"""`kiosk face verify` and `kiosk face evaluate`: the face matcher from the command line.

verify: one card photo against a folder of frames or a video, as the kiosk would decide.
evaluate: FMR/FNMR per threshold on a labelled set (one folder per person), with a DET plot.
Neither writes a face anywhere; evaluate writes numbers and a plot only.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from kiosk.cli import emit_json
from kiosk.commands import Context
from kiosk.errors import KnownError


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("face", help="face verification: verify a recording, evaluate a set")
    face = p.add_subparsers(dest="face_command", required=True)

    v = face.add_parser("verify", help="match a card photo against frames (folder or video)")
    v.add_argument(
        "--card-photo",
        type=Path,
        required=True,
        help="the card photo: JPEG 2000 as read from the card (JPEG/PNG accepted)",
    )
    v.add_argument(
        "--frames", type=Path, required=True, help="a folder of images (name order) or a video file"
    )
    v.add_argument(
        "--fps",
        type=float,
        default=15.0,
        help="frame rate of a folder of images (for the attempt's time window)",
    )
    v.add_argument(
        "--simulate-card",
        action="store_true",
        help="turn --card-photo (any portrait) into a card-like JPEG 2000 first",
    )
    v.add_argument(
        "--no-liveness",
        action="store_true",
        help="skip the head-turn check (still photos cannot pass it)",
    )
    v.add_argument("--json", action="store_true", help="one JSON object on stdout")
    v.set_defaults(func=verify)

    e = face.add_parser("evaluate", help="FMR/FNMR per threshold on one folder per person")
    e.add_argument("dataset", type=Path, help="folder with one sub-folder of photos per person")
    e.add_argument("--out", type=Path, required=True, help="where summary.json and det.png go")
    e.add_argument("--card-width", type=int, default=192)
    e.add_argument("--card-height", type=int, default=240)
    e.add_argument(
        "--card-bytes", type=int, default=6000, help="size of the simulated JPEG 2000 card photo"
    )
    e.add_argument("--json", action="store_true", help="one JSON object on stdout")
    e.set_defaults(func=evaluate)


def verify(args: argparse.Namespace, ctx: Context) -> int:
    from dataclasses import replace

    from kiosk.devices.camera import read_frames
    from kiosk.devices.face import card_photo
    from kiosk.devices.face.matcher import FaceMatcher, MatchSettings

    settings = MatchSettings.from_face_settings(ctx.settings.face)
    if args.no_liveness:
        settings = replace(settings, liveness=False)
    try:
        photo = args.card_photo.read_bytes()
    except OSError as e:
        print(f"kiosk face verify: cannot read {args.card_photo}: {e.strerror}", file=sys.stderr)
        return 2
    if not args.frames.exists():
        print(f"kiosk face verify: {args.frames} does not exist", file=sys.stderr)
        return 2
    matcher = FaceMatcher(settings)
    try:
        if args.simulate_card:
            photo = card_photo.simulate(next(read_frames(args.card_photo)))
        matcher.enroll(photo)
        decision = None
        for i, frame in enumerate(read_frames(args.frames)):
            obs = matcher.observe(frame, t=i / args.fps)
            if obs.decision is not None:
                decision = obs.decision
                break
        if decision is None:
            decision = matcher.finish()
    except KnownError as e:
        print(f"kiosk face verify: {e.message_id}: {e.detail}", file=sys.stderr)
        if args.json:
            emit_json({"error": e.message_id, "detail": e.detail})
        return 1
    finally:
        matcher.forget()
    result = decision.as_json()
    if args.json:
        emit_json(result)
    else:
        for key in ("match", "distance", "threshold", "frames_used", "reason", "liveness"):
            print(f"{key}: {result[key]}")
    return 0 if decision.match else 1


def evaluate(args: argparse.Namespace, ctx: Context) -> int:
    from kiosk.devices.face import card_photo
    from kiosk.devices.face import evaluate as evaluation

    if not args.dataset.is_dir():
        print(f"kiosk face evaluate: {args.dataset} is not a folder", file=sys.stderr)
        return 2
    fmt = card_photo.CardPhotoFormat(args.card_width, args.card_height, args.card_bytes)
    try:
        result = evaluation.evaluate(args.dataset, fmt)
    except KnownError as e:
        print(f"kiosk face evaluate: {e.message_id}: {e.detail}", file=sys.stderr)
        return 1
    if not result.genuine or not result.impostor:
        print(
            "kiosk face evaluate: need at least one person with two photos and two people",
            file=sys.stderr,
        )
    summary = evaluation.write_report(result, args.out)
    summary["configured_threshold"] = ctx.settings.face.threshold
    summary["at_configured_threshold"] = dict(
        zip(("fmr", "fnmr"), result.rates(ctx.settings.face.threshold), strict=True)
    )
    if args.json:
        emit_json({k: v for k, v in summary.items() if k != "rates"})
    else:
        print(f"pairs: {summary['pairs']}  people: {summary['people']}")
        print(f"genuine: {summary['genuine_distances']}")
        print(f"impostor: {summary['impostor_distances']}")
        print(f"at threshold {ctx.settings.face.threshold}: {summary['at_configured_threshold']}")
        print(f"wrote {args.out / 'summary.json'} and {args.out / 'det.png'}")
    return 0 if result.genuine and result.impostor else 1
