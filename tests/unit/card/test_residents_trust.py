"""Demo residents cover the cases of the issue; the trust table loads and is reproducible."""

from __future__ import annotations

import io
import sys
from pathlib import Path

import pytest

from kiosk import cli, wareki
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


KEY_ID = "00" * 16
GOOD_N = f"{issuer_key().public_key().public_numbers().n:x}"


def issuer_entry(**fields: str) -> str:
    entry = {"key_id": f"'{KEY_ID}'", "modulus": f"'{GOOD_N}'", **fields}
    return "[[issuer]]\n" + "".join(f"{k} = {v}\n" for k, v in entry.items())


@pytest.mark.parametrize(
    ("data", "complaint"),
    [
        (issuer_entry(modulus="'1ffff'"), "issuer[0]: the key: a 17-bit modulus"),
        (issuer_entry(modulus=f"'{GOOD_N[:-1]}c'"), "issuer[0]: the key: the modulus is even"),
        (issuer_entry(modulus=f"'-{GOOD_N}'"), "issuer[0]: modulus must be hex digits"),
        (issuer_entry(modulus="'0'"), "issuer[0]: the key: a 0-bit modulus"),
        (issuer_entry(modulus="1234"), "issuer[0]: modulus must be a string"),
        (issuer_entry(exponent="-3"), "issuer[0]: the key: -3 is not a usable RSA exponent"),
        (issuer_entry(exponent="0"), "issuer[0]: the key: 0 is not a usable RSA exponent"),
        (issuer_entry(exponent="true"), "issuer[0]: exponent must be an integer"),
        (issuer_entry(colour="'red'"), "issuer[0]: unknown key 'colour'"),
        (issuer_entry(name="3"), "issuer[0]: name must be a string"),
        (issuer_entry() + issuer_entry(), "issuer[1]: key_id 0000"),
        ("[[jpki_ca]]\nname = 'x'\ncolour = 'red'\n", "jpki_ca[0]: unknown key 'colour'"),
        ("[[jpki_ca]]\ncertificate = 5\n", "jpki_ca[0]: certificate must be a string"),
        ("version = true\n", "version must be 1"),
    ],
    ids=[
        "17-bit",
        "even",
        "negative",
        "zero",
        "not-a-string",
        "negative-e",
        "zero-e",
        "bool-e",
        "unknown-issuer-key",
        "name-type",
        "twice",
        "unknown-ca-key",
        "ca-type",
        "bool-version",
    ],
)
def test_trust_table_hygiene_names_file_and_entry(
    tmp_path: Path, data: str, complaint: str
) -> None:
    f = tmp_path / "trust.toml"
    f.write_text(data, encoding="utf-8")
    with pytest.raises(TrustTableError) as e:
        TrustTable.load(f)
    assert e.value.detail.startswith(f"{f}: ") and complaint in e.value.detail
    assert e.value.exit_code == 2


@pytest.mark.parametrize(
    ("data", "complaint"),
    [
        (b"# \xff\xfe\nversion = 1\n", "not UTF-8 text (byte 2)"),
        (b"x = " + b"[" * 5000 + b"]" * 5000 + b"\n", "nested too deeply"),
        (b"x = " + b"{a = " * 3000 + b"1" + b"}" * 3000 + b"\n", "nested too deeply"),
    ],
    ids=["non-utf-8", "deep-arrays", "deep-tables"],
)
def test_undecodable_trust_table_is_refused_not_a_traceback(
    tmp_path: Path, data: bytes, complaint: str
) -> None:
    f = tmp_path / "trust.toml"
    f.write_bytes(data)
    with pytest.raises(TrustTableError) as e:
        TrustTable.load(f)
    assert e.value.detail == f"{f}: {complaint}" or e.value.detail.startswith(f"{f}: {complaint}")


def test_a_bad_trust_table_stops_kiosk_card_read_with_exit_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:

    table = tmp_path / "trust.toml"
    table.write_text(issuer_entry(modulus="'1ffff'"), encoding="utf-8")
    config = tmp_path / "kiosk.toml"
    config.write_text(f"[card]\ntrust_table = '{table}'\n", encoding="utf-8")
    argv = ["--config", str(config), "--data-dir", str(tmp_path / "d"), "card", "read",
            "--pin-stdin", "--json"]  # fmt: skip
    monkeypatch.setattr(sys, "stdin", io.StringIO("1234\n"))
    code = cli.main(argv)
    err = capsys.readouterr().err
    assert code == 2 and f"{table}: issuer[0]" in err and "17-bit" in err


def test_missing_trust_table_is_a_known_error(tmp_path: Path) -> None:
    with pytest.raises(TrustTableError, match="cannot read"):
        TrustTable.load(tmp_path / "absent.toml")
