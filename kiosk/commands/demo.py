"""`kiosk demo submit --count N`: N demo 罹災証明書/被災証明書 requests with photos, in the
outbox of the data dir, as the kiosk's own procedures build them (demo mode only).

For trying the back office and loading it: the people are the invented demo residents,
the photos are generated pictures, the disasters are the site's list.
"""

from __future__ import annotations

import argparse
import io
import random
import tomllib
from collections import Counter
from datetime import UTC, datetime

from kiosk.cli import emit_json
from kiosk.commands import Context
from kiosk.errors import ConfigError
from kiosk.flows.procedures.common import (
    Disaster,
    Person,
    PhotoKind,
    active_disasters,
    site_disasters,
)
from kiosk.flows.procedures.higai import DamagedItem, HigaiRequest, ItemDamage, ItemKind
from kiosk.flows.procedures.risai import Damage, DamagedPart, Flooding, RisaiRequest
from kiosk.paths import ASSETS
from kiosk.store import Store, new_session_id

RESIDENTS = ASSETS / "demo" / "residents.toml"
RISAI_PHOTOS = (PhotoKind.FRONT, PhotoKind.BACK, PhotoKind.LEFT, PhotoKind.RIGHT, PhotoKind.CLOSEUP)


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("demo", help="demo data (demo mode only)")
    a = p.add_subparsers(dest="demo_command", metavar="ACTION", required=True)
    s = a.add_parser("submit", help="make N demo certificate requests with photos")
    s.add_argument("--count", type=int, default=1)
    s.add_argument("--seed", type=int, default=None, help="repeatable choices")
    s.add_argument("--photo-width", type=int, default=320, help="pixels (4:3 JPEG)")
    s.add_argument("--json", action="store_true")
    s.set_defaults(func=submit_command)


class _Card:
    def __init__(self, entry: dict[str, object]) -> None:
        self.name = str(entry["name"])
        self.address = str(entry["address"])
        self.birth_date = entry["birth_date"]


def demo_people() -> list[Person]:
    data = tomllib.loads(RESIDENTS.read_text(encoding="utf-8"))
    return [Person.from_card(_Card(r)) for r in data["resident"] if "name" in r]  # type: ignore[arg-type]


def demo_photo(rng: random.Random, width: int) -> bytes:
    """A JPEG that looks like a photo to the kiosk's checks (noise compresses like one)."""
    from PIL import Image

    height = width * 3 // 4
    base = Image.new("RGB", (width, height), (rng.randrange(256), rng.randrange(256), 90))
    noise = Image.effect_noise((width, height), 40).convert("RGB")
    buf = io.BytesIO()
    Image.blend(base, noise, 0.35).save(buf, format="JPEG", quality=80)
    return buf.getvalue()


def build(
    rng: random.Random, people: list[Person], now: datetime, width: int, disasters: list[Disaster]
) -> RisaiRequest | HigaiRequest:
    who = rng.choice(people)
    disaster = rng.choice(active_disasters(disasters, now.date()))
    phone = f"090{rng.randrange(10**7, 10**8)}"
    req: RisaiRequest | HigaiRequest
    if rng.random() < 0.8:
        light = rng.random() < 0.3
        req = RisaiRequest(applicant=who, disaster_id=disaster.id, dwelling=True, phone=phone)
        parts = {DamagedPart.ROOF} if light else set(rng.sample(list(DamagedPart), 3))
        flooding = Flooding.NONE if light else rng.choice(list(Flooding))
        depth = None if flooding == Flooding.NONE else rng.randrange(5, 180)
        req.damage = Damage(
            parts=parts, flooding=flooding, flood_depth_cm=depth, resident_says_light=light
        )
        if light and "self" in req.survey_methods_offered():
            req.survey, req.self_assessment_consent = "self", True
        for kind in RISAI_PHOTOS:
            req.photos.add(kind, demo_photo(rng, width), now)
    else:
        req = HigaiRequest(applicant=who, disaster_id=disaster.id, phone=phone)
        item = rng.choice(list(ItemKind))
        req.add_item(DamagedItem(item, {rng.choice(list(ItemDamage))}))
        req.photos.add(PhotoKind.ITEM, demo_photo(rng, width), now, item=0)
    return req


def submit_command(args: argparse.Namespace, ctx: Context) -> int:
    settings = ctx.settings
    if settings.site.demo != "on":
        raise ConfigError('kiosk demo: only with [site] demo = "on" (never on a real kiosk)')
    if not 1 <= args.count <= 1_000_000:
        raise ConfigError("kiosk demo submit: --count must be 1..1000000")
    rng = random.Random(args.seed)
    people = demo_people()
    disasters = site_disasters(settings.rules.disasters)
    made: Counter[str] = Counter()  # by the request's kind, as the plugin names it
    with Store.open(ctx.data, settings) as store:
        for _ in range(args.count):
            now = datetime.now(UTC).replace(tzinfo=None)
            req = build(rng, people, now, args.photo_width, disasters)
            problems = req.problems(disasters, now.date())
            if problems:  # a demo generator bug: say which check, never the data
                raise ConfigError(f"kiosk demo: built an invalid request ({problems[0].field})")
            sub = req.to_submission(
                disasters,
                now,
                kiosk_id=settings.site.kiosk_id,
                language="ja",
                idempotency_key=_key(rng),
            )
            store.submit(sub, session_id=new_session_id())
            made[req.KIND] += 1
    if args.json:
        emit_json({"ok": True, "submitted": dict(made)})
    else:
        print("submitted " + ", ".join(f"{n} {kind}" for kind, n in sorted(made.items())))
    return 0


def _key(rng: random.Random) -> str:
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-"
    return "demo-" + "".join(rng.choice(alphabet) for _ in range(24))
