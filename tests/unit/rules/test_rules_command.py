"""`kiosk rules estimate|list`: what a clerk sees without the UI."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from kiosk import cli


def run_json(
    args: list[str], capsys: pytest.CaptureFixture[str], config: Path | None = None
) -> dict:
    pre = ["--config", str(config)] if config else []
    rc = cli.main([*pre, "rules", *args, "--json"])
    out = capsys.readouterr().out
    assert rc == 0
    lines = out.strip().splitlines()
    assert len(lines) == 1  # exactly one JSON object
    return json.loads(lines[0])


@pytest.fixture
def config(tmp_path: Path) -> Path:
    p = tmp_path / "kiosk.toml"
    p.write_text('[rules]\nloan_income_limit = "inclusive"\n', encoding="utf-8")
    return p


def test_rebuild_support_estimate_json(capsys: pytest.CaptureFixture[str]) -> None:
    out = run_json(
        ["estimate", "--scheme", "rebuild-support", "--grade", "全壊", "--household", "1",
         "--plan", "build", "--rented-first", "--disaster-date", "2024-01-01"],
        capsys,
    )  # fmt: skip
    assert out["total_yen"] == 2_250_000
    assert [p["amount_yen"] for p in out["parts"]] == [750_000, 375_000, 1_125_000]
    ids = [r["id"] for r in out["rules"]]
    assert ids == [
        "rebuild-support.zenkai",
        "rebuild-support.rent-then",
        "rebuild-support.single-person",
    ]
    assert all(r["source"] and r["effective"] == "2020-07-03" for r in out["rules"])
    assert out["headline"] == {"id": "rules.result.likely", "params": {"amount": "2,250,000"}}
    assert out["deadlines"][0] == {"id": "rules.deadline.basic", "date": "2025-02-01"}


def test_grade_from_damage_ratio_is_listed_as_a_rule(capsys: pytest.CaptureFixture[str]) -> None:
    out = run_json(
        ["estimate", "--scheme", "rebuild-support", "--damage-ratio", "40", "--household", "3",
         "--plan", "repair"],
        capsys,
    )  # fmt: skip
    assert out["grade"] == "daikibo-hankai"
    assert out["rules"][0]["id"] == "damage-grade.daikibo-hankai"
    assert out["total_yen"] == 1_500_000


def test_demolished_flag(capsys: pytest.CaptureFixture[str]) -> None:
    out = run_json(
        ["estimate", "--scheme", "rebuild-support", "--grade", "hankai", "--household", "2",
         "--plan", "none", "--demolished"],
        capsys,
    )  # fmt: skip
    assert out["total_yen"] == 1_000_000
    assert out["rules"][0]["id"] == "rebuild-support.kaitai"


def test_site_damage_flag_counts_a_jun_hankai_demolition_as_kaitai(
    capsys: pytest.CaptureFixture[str],
) -> None:
    out = run_json(
        ["estimate", "--scheme", "rebuild-support", "--grade", "準半壊", "--household", "2",
         "--plan", "build", "--demolished", "--site-damage"],
        capsys,
    )  # fmt: skip
    assert out["total_yen"] == 3_000_000  # 法2条2号ロ: 基礎 100万 + 建設 200万
    assert [r["id"] for r in out["rules"]][:2] == [
        "rebuild-support.kaitai",
        "rebuild-support.demolished-site",
    ]


def test_loan_boundary_comes_from_the_setting(
    capsys: pytest.CaptureFixture[str], config: Path
) -> None:
    args = ["estimate", "--scheme", "relief-loan", "--grade", "zenkai", "--household", "2",
            "--income-yen", "4300000"]  # fmt: skip
    # Exactly at the 2-person limit (430万): the law's 「に満たない」 is the default.
    exclusive = run_json(args, capsys)
    assert exclusive["income_boundary"] == "exclusive"
    assert exclusive["outcome"] == "staff-review"
    assert exclusive["reasons"] == ["rules.reason.relief-loan.income-exclusive"]
    inclusive = run_json(args, capsys, config)  # a site that chose 以下
    assert inclusive["income_boundary"] == "inclusive"
    assert inclusive["outcome"] == "likely-eligible"


def test_condolence_sibling(capsys: pytest.CaptureFixture[str]) -> None:
    out = run_json(
        ["estimate", "--scheme", "condolence", "--relation", "sibling", "--sibling-lived-with",
         "--main-earner", "--relief-act", "yes"],
        capsys,
    )  # fmt: skip
    assert out["total_yen"] == 5_000_000
    assert "condolence.siblings" in [r["id"] for r in out["rules"]]
    assert "condolence.applies.relief-act" in [r["id"] for r in out["rules"]]


def test_text_output_is_japanese_plain_words(capsys: pytest.CaptureFixture[str]) -> None:
    rc = cli.main(["rules", "estimate", "--scheme", "disability-grant", "--main-earner"])
    out = capsys.readouterr().out
    assert rc == 0
    assert "2,500,000" in out
    assert "職員" in out  # "staff will confirm"
    assert "rules." not in out.splitlines()[0]  # the headline is text, not an id


def test_bad_grade_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as e:
        cli.main(["rules", "estimate", "--scheme", "rebuild-support", "--grade", "mostly"])
    assert e.value.code == 2
    assert "unknown grade" in capsys.readouterr().err


def test_list_names_every_table(capsys: pytest.CaptureFixture[str]) -> None:
    out = run_json(["list"], capsys)
    tables = {t["table"]: t for t in out["tables"]}
    assert set(tables) == {"damage-grade", "rebuild-support", "condolence", "relief-loan"}
    assert sum(len(t["rows"]) for t in tables.values()) == 42
    assert all(t["source"] and t["effective"] for t in tables.values())
    # every row keeps its citation: its own article, or the table's source
    for t in tables.values():
        assert sorted(t["citations"]) == sorted(t["rows"])
        assert all(c.strip() and "第73号" not in c for c in t["citations"].values())
    site = tables["rebuild-support"]["citations"]["rebuild-support.demolished-site"]
    assert "第2条第2号ロ" in site and "敷地" in site
    assert "令和2年法律第69号" in tables["rebuild-support"]["source"]


def test_a_site_can_ship_its_own_tables(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    src = Path(__file__).resolve().parents[3] / "assets" / "rules"
    tables = tmp_path / "rules"
    tables.mkdir()
    for f in src.glob("*.toml"):
        text = f.read_text(encoding="utf-8").replace(
            "basic_yen = 1_000_000", "basic_yen = 1_100_000"
        )
        (tables / f.name).write_text(text, encoding="utf-8")
    cfg = tmp_path / "kiosk.toml"
    cfg.write_text(f'[rules]\ntables = "{tables}"\n', encoding="utf-8")
    out = run_json(
        ["estimate", "--scheme", "rebuild-support", "--grade", "zenkai", "--household", "2"],
        capsys,
        cfg,
    )
    assert out["total_yen"] == 1_100_000


def test_a_tables_folder_that_does_not_exist_is_a_config_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    cfg = tmp_path / "kiosk.toml"
    cfg.write_text(f'[rules]\ntables = "{tmp_path / "nope"}"\n', encoding="utf-8")
    rc = cli.main(["--config", str(cfg), "rules", "list"])
    assert rc == 2
    assert "rules" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("percent", "grade"),
    [
        ("50", "zenkai"),
        ("49.9", "daikibo-hankai"),
        ("30", "chukibo-hankai"),
        ("9.99%", "ichibu-sonkai"),
    ],
)
def test_grade_command(percent: str, grade: str, capsys: pytest.CaptureFixture[str]) -> None:
    out = run_json(["grade", percent], capsys)
    assert out["grade"] == grade
    assert out["rule"]["id"] == f"damage-grade.{grade}"
    assert out["rule"]["source"] and out["rule"]["effective"] == "2020-07-03"


def test_grade_command_refuses_over_100(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as e:
        cli.main(["rules", "grade", "120"])
    assert e.value.code == 2
