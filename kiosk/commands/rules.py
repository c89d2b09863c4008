"""`kiosk rules`: check a support case without the UI (for clerks), list the rule tables."""

from __future__ import annotations

import argparse
import sys
from datetime import date
from decimal import Decimal, InvalidOperation

from kiosk.cli import emit_json
from kiosk.commands import Context
from kiosk.flows import rules as r
from kiosk.flows.procedures.catalog import LANGUAGES, CatalogText


def _grade(text: str) -> r.DamageGrade:
    try:
        return r.DamageGrade.parse(text)
    except ValueError:
        known = ", ".join(g.value for g in r.DamageGrade)
        raise argparse.ArgumentTypeError(f"unknown grade {text!r} (known: {known})") from None


def _ratio(text: str) -> Decimal:
    try:
        v = Decimal(text.rstrip("%"))
    except InvalidOperation:
        raise argparse.ArgumentTypeError(f"not a percentage: {text!r}") from None
    if not 0 <= v <= 100:
        raise argparse.ArgumentTypeError("damage ratio must be 0-100 (percent)")
    return v


def _day(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a date (YYYY-MM-DD): {text!r}") from None


def _yes_no(text: str) -> bool:
    if text.lower() in ("yes", "y", "true", "1"):
        return True
    if text.lower() in ("no", "n", "false", "0"):
        return False
    raise argparse.ArgumentTypeError("expected yes or no")


def _count(text: str) -> int:
    try:
        v = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a whole number: {text!r}") from None
    if v < 0:
        raise argparse.ArgumentTypeError("must not be negative")
    return v


def _household(text: str) -> int:
    v = _count(text)
    if v < 1:
        raise argparse.ArgumentTypeError("a household has at least 1 person")
    return v


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("rules", help="support rules: estimate a case, list the tables")
    rs = p.add_subparsers(dest="rules_command", metavar="ACTION", required=True)

    e = rs.add_parser("estimate", help="estimate one scheme for one case")
    e.add_argument("--scheme", required=True, choices=[s.value for s in r.Scheme])
    g = e.add_mutually_exclusive_group()
    g.add_argument("--grade", type=_grade, help="zenkai, daikibo-hankai, … or 全壊, 大規模半壊, …")
    g.add_argument("--damage-ratio", type=_ratio, metavar="PERCENT", help="損害割合 in percent")
    e.add_argument("--household", type=_household, default=1, metavar="N")
    e.add_argument("--plan", choices=[p.value for p in r.Plan], default="none")
    e.add_argument("--rented-first", action="store_true", help="rent first, then build/repair")
    e.add_argument("--demolished", action="store_true", help="home demolished (解体)")
    e.add_argument("--site-damage", action="store_true",
                   help="demolished for damage to the site (がけ崩れ, 液状化)")  # fmt: skip
    e.add_argument("--long-term-evacuation", action="store_true", help="長期避難")
    e.add_argument("--main-earner", action="store_true", help="the person kept the household")
    e.add_argument("--relation", choices=[x.value for x in r.Relation])
    e.add_argument("--closer-relatives", action="store_true",
                   help="a spouse, child, parent, grandchild or grandparent exists")  # fmt: skip
    e.add_argument("--sibling-lived-with", action="store_true")
    e.add_argument("--disaster-related-death", action="store_true")
    e.add_argument("--injured", action="store_true", help="head of household hurt ≥ 1 month")
    e.add_argument("--goods-lost", action="store_true", help="≥ 1/3 of household goods lost")
    e.add_argument("--dwelling-lost", action="store_true", help="whole dwelling lost")
    e.add_argument("--income-yen", type=_count, metavar="YEN")
    e.add_argument("--disaster-date", type=_day, metavar="YYYY-MM-DD")
    e.add_argument("--on", type=_day, metavar="YYYY-MM-DD",
                   help="tables in force that day (default: disaster date or today)")  # fmt: skip
    e.add_argument("--dwellings-destroyed", type=_count, metavar="N",
                   help="dwellings destroyed in the municipality")  # fmt: skip
    e.add_argument("--municipalities-with-5", type=_count, metavar="N",
                   help="municipalities in the prefecture with 5+ destroyed")  # fmt: skip
    e.add_argument("--relief-act", type=_yes_no, metavar="yes|no",
                   help="災害救助法 applied in the prefecture")  # fmt: skip
    e.add_argument("--prefectures-with-relief-act", type=_count, metavar="N")
    e.add_argument("--support-act", type=_yes_no, metavar="yes|no",
                   help="被災者生活再建支援法 applied to the area")  # fmt: skip
    e.add_argument("--lang", choices=LANGUAGES, default="ja", help="language of the text output")
    e.add_argument("--json", action="store_true")
    e.set_defaults(func=estimate_command)

    gr = rs.add_parser("grade", help="the damage grade for a 損害割合 (percent)")
    gr.add_argument("percent", type=_ratio, metavar="PERCENT")
    gr.add_argument("--on", type=_day, metavar="YYYY-MM-DD")
    gr.add_argument("--lang", choices=LANGUAGES, default="ja")
    gr.add_argument("--json", action="store_true")
    gr.set_defaults(func=grade_command)

    ls = rs.add_parser("list", help="the rule tables in force, with source and rows")
    ls.add_argument("--on", type=_day, metavar="YYYY-MM-DD")
    ls.add_argument("--json", action="store_true")
    ls.set_defaults(func=list_command)


def estimate_command(args: argparse.Namespace, ctx: Context) -> int:
    boundary = ctx.settings.rules.loan_income_limit
    on = args.on or args.disaster_date or date.today()
    book = r.RuleBook.for_site(ctx.settings.rules.tables, on)
    grade_ref: r.RuleRef | None = None
    grade = args.grade
    if args.damage_ratio is not None:
        grade, grade_ref = r.grade_from_damage_ratio(args.damage_ratio, book)
    scale = r.DisasterScale(
        dwellings_destroyed_in_municipality=args.dwellings_destroyed,
        municipalities_with_5_destroyed_in_prefecture=args.municipalities_with_5,
        relief_act_applied_in_prefecture=args.relief_act,
        prefectures_with_relief_act=args.prefectures_with_relief_act,
        support_act_applied=args.support_act,
    )
    case = r.Case(
        scheme=r.Scheme(args.scheme),
        grade=grade,
        household=args.household,
        plan=r.Plan(args.plan),
        rented_first=args.rented_first,
        demolished=args.demolished,
        site_damage=args.site_damage,
        long_term_evacuation=args.long_term_evacuation,
        main_earner=args.main_earner,
        relation=r.Relation(args.relation) if args.relation else None,
        closer_relatives=args.closer_relatives,
        sibling_lived_with=args.sibling_lived_with,
        disaster_related_death=args.disaster_related_death,
        injured=args.injured,
        goods_lost=args.goods_lost,
        dwelling_lost=args.dwelling_lost,
        income_yen=args.income_yen,
        disaster_date=args.disaster_date,
        scale=scale,
    )
    est = r.estimate(case, book, income_boundary=boundary)
    if args.json:
        out = est.to_json()
        out["ok"] = True
        out["grade"] = grade.value if grade else None
        out["income_boundary"] = boundary
        out["tables_on"] = on.isoformat()
        if grade_ref is not None:
            out["rules"].insert(0, grade_ref.to_json())
        emit_json(out)
        return 0
    text = CatalogText(args.lang)
    hid, hparams = est.headline
    lines = [text(hid, **hparams)]
    if grade_ref is not None:
        lines.append(f"  {text(grade_ref.explain, **grade_ref.params)}")
    lines += [f"  {text(p.label)}: {r.yen(p.amount_yen)}" for p in est.parts]
    lines.append(f"  total_yen: {est.total_yen}")
    lines += [f"  - {text(m, **est.params)}" for m in est.reasons]
    lines += [
        f"  [{ref.id}] {text(ref.explain, **ref.params)} ({ref.source}; {ref.effective})"
        for ref in est.rules
    ]
    lines += [f"  * {text(m, **est.params)}" for m in est.notes]
    lines += [f"  {text(m, date=d.isoformat())}" for m, d in est.deadlines]
    if est.documents:
        sep = "、" if args.lang.startswith("ja") else ", "
        docs = sep.join(text(d) for d in est.documents)
        lines.append(f"  {text('rules.documents')}: {docs}")
    sys.stdout.write("\n".join(lines) + "\n")
    return 0


def grade_command(args: argparse.Namespace, ctx: Context) -> int:
    book = r.RuleBook.for_site(ctx.settings.rules.tables, args.on)
    grade, ref = r.grade_from_damage_ratio(args.percent, book)
    if args.json:
        emit_json({"ok": True, "grade": grade.value, "grade_ja": grade.japanese,
                   "rule": ref.to_json()})  # fmt: skip
        return 0
    text = CatalogText(args.lang)
    print(f"{text(grade.label_id)}: {text(ref.explain, **ref.params)}")
    print(f"  [{ref.id}] {ref.source}; {ref.effective}")
    return 0


def list_command(args: argparse.Namespace, ctx: Context) -> int:
    book = r.RuleBook.for_site(ctx.settings.rules.tables, args.on)
    tables = [
        {
            "table": t.scheme,
            "version": t.version,
            "effective": t.effective.isoformat(),
            "source": t.source,
            "note": t.note,
            "file": t.path.name,
            "rows": [v.id for v in t.rows()],
            # each row's own article where it has one, else the table's source
            "citations": {v.id: v.source or t.source for v in t.rows()},
        }
        for t in book.tables
    ]
    if args.json:
        emit_json({"ok": True, "on": book.on.isoformat(), "tables": tables})
        return 0
    for t in tables:
        print(f"{t['table']} {t['version']} (effective {t['effective']}, {len(t['rows'])} rows)")
        print(f"  {t['source']}")
    return 0
