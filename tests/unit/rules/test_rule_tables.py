"""A broken rule table is refused when read, naming its file, row and key (exit 2 from the CLI).

Each case edits one line of a shipped table (the published amounts as TOML, not our models),
so the tests follow the tables' real layout.
"""

from __future__ import annotations

import re
import shutil
from datetime import date
from pathlib import Path

import pytest

from kiosk import cli
from kiosk.commands import doctor
from kiosk.commands.doctor import Machine
from kiosk.config import from_dict
from kiosk.flows.rules import Case, DamageGrade, Plan, RuleBook, RulesError, Scheme, estimate
from kiosk.flows.rules import read_tables as read
from kiosk.paths import ASSETS

SHIPPED = ASSETS / "rules"


def tables_with(tmp_path: Path, file: str, old: str, new: str) -> Path:
    """The shipped tables in a temp folder, with `old` replaced by `new` once in `file`."""
    folder = tmp_path / "rules"
    shutil.copytree(SHIPPED, folder)
    path = folder / file
    text = path.read_text(encoding="utf-8")
    assert text.count(old) >= 1, old
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
    return folder


# (file, line as shipped, broken line, what the error must say)
BROKEN = [
    pytest.param("rebuild-support.toml", "basic_yen = 1_000_000", "basic_yen = inf",
                 r"\[\[row\]\] row 1 \(id 'rebuild-support.zenkai'\) key 'basic_yen'", id="inf"),
    pytest.param("damage-grades.toml", "from_percent = 40", "from_percent = nan",
                 r"\[\[row\]\] row 2 \(id 'damage-grade.daikibo-hankai'\) key 'from_percent'.*"
                 r"finite", id="nan"),
    pytest.param("damage-grades.toml", "from_percent = 50", "from_percent = 150",
                 r"key 'from_percent'.*less than or equal to 100", id="percent-over-100"),
    pytest.param("relief-loan.toml", "limit_yen = 1_500_000", "limit_yen = -1",
                 r"\(id 'relief-loan.injured.injury-only'\) key 'limit_yen'.*greater than or "
                 r"equal to 0", id="negative"),
    pytest.param("condolence.toml", "amount_yen = 5_000_000",
                 "amount_yen = 9_223_372_036_854_775_807",
                 r"\(id 'condolence.main-earner'\) key 'amount_yen'.*less than or equal to "
                 r"100000000", id="huge"),
    pytest.param("relief-loan.toml", "per_extra_yen = 300_000", "per_extra_yen = 3.5e300",
                 r"\[income_large\] key 'per_extra_yen'", id="float-amount"),
    pytest.param("rebuild-support.toml", "addition_deadline_months = 37",
                 "addition_deadline_months = 99999999999", r"key 'addition_deadline_months'",
                 id="huge-months"),
    pytest.param("rebuild-support.toml", "rent_yen = 500_000", "rent_yn = 500_000",
                 r"\(id 'rebuild-support.zenkai'\) key 'rent_yn': unknown key", id="unknown-key"),
    pytest.param("relief-loan.toml", "[relief_act]", "[relief_acts]",
                 r"\[relief_acts\]: unknown key", id="unknown-section"),
    pytest.param("condolence.toml", "main_earner = true", "main_earner = 1",
                 r"\(id 'condolence.main-earner'\) key 'main_earner'.*boolean", id="int-for-bool"),
    pytest.param("condolence.toml", "amount_yen = 2_500_000", 'amount_yen = "2500000"',
                 r"\(id 'condolence.other'\) key 'amount_yen'.*integer", id="string-for-int"),
    pytest.param("relief-loan.toml", 'situation = "goods"', 'situation = "car"',
                 r"key 'situation'", id="unknown-situation"),
    pytest.param("condolence.toml", '"grandchild", ', '"cousin", ',
                 r"\[bereaved\] key 'relations' item 4.*'cousin'", id="unknown-relation"),
    pytest.param("rebuild-support.toml", 'explain = "rules.rebuild-support.kaitai"', "",
                 r"\(id 'rebuild-support.kaitai'\) key 'explain': Field required",
                 id="row-without-explanation"),
    pytest.param("relief-loan.toml", 'id = "relief-loan.income.3"\n', "",
                 r"\[\[income\]\] row 3 key 'id': Field required", id="row-without-id"),
    pytest.param("rebuild-support.toml", 'id = "rebuild-support.zenkai"',
                 f'id = "{"x" * 200}"', r"key 'id'.*at most 80", id="long-id"),
    pytest.param("condolence.toml", "source = ", "source_missing = ",
                 r"key 'source': Field required", id="no-citation"),
    pytest.param("condolence.toml", "source = \"災害弔慰金", "source = \"   \"\nx = \"",
                 r"key 'source'.*at least 1", id="blank-citation"),
    pytest.param("damage-grades.toml", 'effective = "2020-07-03"', "effective = 1593734400",
                 r"key 'effective'.*date", id="timestamp-for-date"),
    pytest.param("relief-loan.toml", 'scheme = "relief-loan"', 'scheme = "relief-loans"',
                 r"scheme 'relief-loans' is not one of", id="unknown-scheme"),
    pytest.param("relief-loan.toml", "household = 3", "household = 2",
                 r"\[income\] has '2' twice", id="household-twice"),
    pytest.param("rebuild-support.toml", "numerator = 3", "numerator = 5",
                 r"\[single_person\].*numerator must not exceed", id="share-over-one"),
    pytest.param("relief-loan.toml", "special_limit_yen = 2_500_000",
                 "special_limit_yen = 1_000_000",
                 r"\(id 'relief-loan.hankai'\).*special_limit_yen must be above",
                 id="special-lower"),
    pytest.param("rebuild-support.toml", "[demolished_site]", "[demolished_sites]",
                 r"\[demolished_sites\]: unknown key", id="no-site-demolition-row"),
]  # fmt: skip


@pytest.mark.parametrize(("file", "old", "new", "says"), BROKEN)
def test_a_broken_table_is_refused_naming_file_row_and_key(
    tmp_path: Path, file: str, old: str, new: str, says: str
) -> None:
    folder = tables_with(tmp_path, file, old, new)
    with pytest.raises(RulesError) as e:
        read(folder)
    assert str(e.value).startswith(f"{file}: ")
    assert re.search(says, str(e.value)), str(e.value)
    assert e.value.exit_code == 2


def test_the_cli_exits_2_and_names_the_file_row_and_key(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = tables_with(tmp_path, "rebuild-support.toml", "basic_yen = 500_000", "basic_yen = inf")
    cfg = tmp_path / "kiosk.toml"
    cfg.write_text(f'[rules]\ntables = "{folder}"\n', encoding="utf-8")
    rc = cli.main(["--config", str(cfg), "rules", "list"])
    err = capsys.readouterr().err
    assert rc == 2
    assert "rebuild-support.toml" in err
    assert "(id 'rebuild-support.daikibo-hankai') key 'basic_yen'" in err


def test_a_row_may_cite_its_own_article(tmp_path: Path) -> None:
    """A row's own citation replaces the table's in what the estimate shows."""
    article = "被災者生活再建支援法施行令 第3条"
    folder = tables_with(
        tmp_path,
        "rebuild-support.toml",
        'explain = "rules.rebuild-support.single-person"',
        f'explain = "rules.rebuild-support.single-person"\nsource = "{article}"',
    )
    book = RuleBook.load(folder, on=date(2026, 1, 1))
    est = estimate(Case(Scheme.REBUILD_SUPPORT, DamageGrade.ZENKAI, 1, Plan.BUILD), book)
    sources = {r.id: r.source for r in est.rules}
    assert sources["rebuild-support.single-person"] == article
    assert sources["rebuild-support.zenkai"].startswith("被災者生活再建支援法 第3条")
    assert est.total_yen == 2_250_000  # the amounts did not move


def test_amendment_2020_is_cited_as_law_69() -> None:
    # 被災者生活再建支援法の一部を改正する法律 (中規模半壊 added) is 令和2年法律第69号.
    texts = [t.source for t in read(SHIPPED)] + [
        r.source or "" for t in read(SHIPPED) for r in t.rows()
    ]
    assert not any("第73号" in s for s in texts)
    rebuild = next(t for t in read(SHIPPED) if t.scheme == "rebuild-support")
    assert "令和2年法律第69号" in rebuild.source
    for path in SHIPPED.glob("*.toml"):
        assert "第73号" not in path.read_text(encoding="utf-8")


def test_every_shipped_row_is_typed_and_keeps_its_citation_and_date() -> None:
    for t in read(SHIPPED):
        for row in t.rows():
            ref = t.ref(row)
            assert ref.source.strip() and ref.effective == t.effective
            assert ref.explain.startswith("rules.")


def test_the_kiosk_does_not_start_on_a_broken_table(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """`kiosk run` stops before any window or device, as for a bad settings file."""
    folder = tables_with(tmp_path, "condolence.toml", "at_least = 5", "at_least = -5")
    cfg = tmp_path / "kiosk.toml"
    cfg.write_text(f'[rules]\ntables = "{folder}"\n', encoding="utf-8")
    rc = cli.main(["--config", str(cfg), "--data-dir", str(tmp_path / "data"), "run",
                   "--offscreen"])  # fmt: skip
    assert rc == 2
    assert "condolence.toml: [[applies]] row 1" in capsys.readouterr().err


def test_the_doctor_names_a_broken_table_and_lists_good_ones(tmp_path: Path) -> None:
    folder = tables_with(tmp_path, "relief-loan.toml", "household = 4", "household = 40")
    broken = doctor.check_rule_tables(Machine(from_dict({"rules": {"tables": str(folder)}}),
                                              tmp_path / "data"))  # fmt: skip
    assert broken.status == "fail" and "relief-loan.toml" in broken.detail
    assert "household" in broken.detail and broken.fix
    shipped = doctor.check_rule_tables(Machine(from_dict({}), tmp_path / "data"))
    assert shipped.status == "ok" and "rebuild-support 2020.1" in shipped.detail
