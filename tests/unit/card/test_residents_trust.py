"""Demo residents cover the cases of the issue; the trust table loads and is reproducible."""

from __future__ import annotations

from pathlib import Path

import pytest

from kiosk import wareki
from kiosk.devices.card.errors import TrustTableError
from kiosk.devices.card.trust import DEMO_TABLE, TrustTable, resolve
from kiosk.devices.card.virtual import DemoResident, list_demo_residents
from kiosk.devices.card.virtual.keys import _derive, derived_key
from kiosk.devices.card.virtual.residents import load_residents
from kiosk.devices.card.virtual.testca import demo_trust_table_toml, issuer_key
from kiosk.errors import KnownError


def test_every_case_of_the_issue_has_a_resident() -> None:
    rs = {r.id: r for r in list_demo_residents()}
    assert len({r.id for r in list_demo_residents()}) == len(list_demo_residents())
    assert rs["hanako"].birth_date.year < 1950 and rs["hanako"].pin_tries == 3
    assert rs["taro"].pin_tries == 1
    assert rs["blocked"].pin_tries == 0
    assert rs["expired"].card_expiry.year <= 2025
    assert rs["tampered"].tampered_address
    assert rs["cloned"].cloned
    assert any(ord(ch) > 0xFFFF for ch in rs["yoshio"].name)  # outside the BMP: 𠮷
    assert rs["foreign"].issuer == "rogue"
    assert rs["transit"].kind == "other"


@pytest.mark.parametrize(
    "resident", [r for r in list_demo_residents() if r.kind == "mynumber"], ids=lambda r: r.id
)
def test_pin_b_is_built_from_the_printed_card(resident: DemoResident) -> None:
    expected = wareki.pin_b(resident.birth_date, resident.card_expiry.year, resident.security_code)
    assert resident.pin_b == expected
    assert resident.photo_path.exists(), "run packaging/fetch_faces.py (make setup)"


def test_bad_residents_file_names_the_entry(tmp_path: Path) -> None:
    f = tmp_path / "r.toml"
    f.write_text('[[resident]]\nid = "x"\nlabel = "x"\ncase = "x"\nshoe_size = 3\n')
    with pytest.raises(KnownError, match=r"resident\[0\]"):
        load_residents(f)


def test_demo_table_is_what_the_test_ca_generates() -> None:
    assert DEMO_TABLE.read_text(encoding="utf-8") == demo_trust_table_toml()
    table = TrustTable.demo()
    assert len(table.issuers) == 1 and len(table.jpki_cas) == 1


def test_cached_keys_are_the_derived_keys() -> None:
    cached = derived_key("issuer/test-jlis")
    assert cached.private_numbers() == _derive("issuer/test-jlis", 2048).private_numbers()
    assert issuer_key().public_key().public_numbers().e == 65537


def test_resolve_trusts_the_test_ca_only_in_demo(tmp_path: Path) -> None:
    assert resolve("", demo=False).issuers == {}
    assert resolve("", demo=True).issuers
    mine = tmp_path / "site.toml"
    mine.write_text("version = 1\n")
    assert resolve(str(mine), demo=True).issuers == {}  # a configured table wins


@pytest.mark.parametrize(
    ("text", "complaint"),
    [
        ("[[issuer]]\nname = 'x'\n", "missing 'key_id'"),
        ("[[issuer]]\nkey_id = 'zz'\nmodulus = '00'\n", "issuer[0]"),
        ("[[issuer]]\nkey_id = '00'\nmodulus = 'c3'\n", "issuer[0]"),
        ("[[jpki_ca]]\ncertificate = 'nope'\n", "jpki_ca[0]"),
        ("colour = 'red'\n", "unknown key 'colour'"),
        ("version = 2\n", "version"),
        ("issuer = 3\n", "array of tables"),
        ("not toml at all [", "not valid TOML"),
    ],
)
def test_bad_trust_table_says_where(tmp_path: Path, text: str, complaint: str) -> None:
    f = tmp_path / "trust.toml"
    f.write_text(text)
    with pytest.raises(TrustTableError) as e:
        TrustTable.load(f)
    assert complaint in e.value.detail and str(f) in e.value.detail
    assert e.value.exit_code == 2


def test_missing_trust_table_is_a_known_error(tmp_path: Path) -> None:
    with pytest.raises(TrustTableError, match="cannot read"):
        TrustTable.load(tmp_path / "absent.toml")
