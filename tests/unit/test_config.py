from __future__ import annotations

from pathlib import Path

import pytest

from kiosk import config
from kiosk.errors import ConfigError
from kiosk.paths import ASSETS


def write(tmp_path: Path, text: str) -> Path:
    p = tmp_path / "kiosk.toml"
    p.write_text(text, encoding="utf-8")
    return p


def test_example_file_loads_and_matches_defaults_where_uncommented() -> None:
    s = config.load(ASSETS / "config.example.toml")
    assert s.site.role in ("clinic", "cityhall", "outreach")
    assert s.source.endswith("config.example.toml")


def test_defaults_without_a_file() -> None:
    s = config.load(None)
    assert s.site.role == "cityhall"
    assert s.site.offered_procedures == ("risai", "higai", "support-check")


def test_clinic_offers_insurance(tmp_path: Path) -> None:
    s = config.load(write(tmp_path, '[site]\nrole = "clinic"\n'))
    assert s.site.offered_procedures == ("insurance",)


@pytest.mark.parametrize(
    ("text", "names"),
    [
        ('[site]\nrol = "clinic"\n', "site.rol"),
        ("[sight]\n", "[sight]"),
        ('[site]\nrole = "hospital"\n', "site.role"),
        ('[face]\nthreshold = "low"\n', "face.threshold"),
        ("[face]\nmax_attempts = true\n", "face.max_attempts"),
        ("[session]\nwarning_s = 5\n", "session"),
        ('[site]\nprocedures = ["risai", "lottery"]\n', "lottery"),
        ("[card]\nvpcd_port = 70000\n", "card"),
        ('[staff]\nmembers = [{ id = "a", role = "boss", pin_sha256 = "00" }]\n', "role"),
        (
            '[staff]\nmembers = [{ id = "a", role = "clerk", pin_sha256 = "'
            + "ab" * 32
            + '", card_sha256 = "04A1B2" }]\n',
            "card_sha256",
        ),
        ("not toml at all = = =\n", "not valid TOML"),
    ],
)
def test_bad_key_names_itself_and_the_file(tmp_path: Path, text: str, names: str) -> None:
    p = write(tmp_path, text)
    with pytest.raises(ConfigError) as e:
        config.load(p)
    assert names in str(e.value)
    assert str(p) in str(e.value)
    assert e.value.exit_code == 2


def test_missing_file_is_a_config_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="no such configuration file"):
        config.load(tmp_path / "absent.toml")


def test_settings_are_frozen() -> None:
    s = config.Settings()
    with pytest.raises(AttributeError):
        s.site.role = "clinic"  # type: ignore[misc]


def test_staff_members_parse(tmp_path: Path) -> None:
    member = '{ id = "suzuki", role = "clerk", pin_sha256 = "' + "ab" * 32 + '" }'
    p = write(tmp_path, f"[staff]\nmembers = [{member}]\n")
    s = config.load(p)
    assert s.staff.members[0].role == "clerk"
    assert s.staff.members[0].id == "suzuki"
    assert s.staff.members[0].card_sha256 == "" and s.staff.card_reader == ""  # PIN only


def test_a_staff_card_and_its_reader_parse(tmp_path: Path) -> None:
    member = (
        '{ id = "suzuki", role = "clerk", pin_sha256 = "' + "ab" * 32
        + '", card_sha256 = "' + "cd" * 32 + '" }'
    )  # fmt: skip
    p = write(tmp_path, f'[staff]\ncard_reader = "SONY FeliCa Port"\nmembers = [{member}]\n')
    s = config.load(p)
    assert s.staff.card_reader == "SONY FeliCa Port"
    assert s.staff.members[0].card_sha256 == "cd" * 32
