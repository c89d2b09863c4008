"""Bad input, rerun: configs, data dirs, databases, keys and trust tables that are wrong.

Each case goes through the real `kiosk` command line in-process: it must end with an exit
code and a message (0 tracebacks), within the suite's timeout (0 hangs: FIFOs and devices
included), and leave what was stored as it was (0 data lost: no key regenerated, no
database replaced by an empty one).
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
import shutil
import sqlite3
from collections.abc import Callable
from pathlib import Path

import pytest

from kiosk import cli, config
from kiosk.devices.card.trust import DEMO_TABLE, TrustTable
from kiosk.errors import KnownError
from kiosk.flows.staff import pin_hash
from kiosk.paths import DataDir
from kiosk.store import Store
from tests.helpers.store import submission

HASH = pin_hash("demo-clerk", "1111")


def _numeric_cases() -> list[tuple[str, str]]:
    """Every number in the settings, pushed past its range or given the wrong kind."""
    cases = []
    for section in config.SECTIONS:
        cls = type(getattr(config.Settings(), section))
        for f in dataclasses.fields(cls):
            default = getattr(cls(), f.name) if f.name != "members" else None
            if isinstance(default, bool) or not isinstance(default, int | float):
                continue
            bad = ["inf", "nan"] if isinstance(default, float) else ["9223372036854775807", "-1"]
            bad.append('"1"')
            cases += [(f"[{section}]\n{f.name} = {v}\n", f"{section}.{f.name}") for v in bad]
    return cases


CONFIGS: list[tuple[str, str]] = [
    *_numeric_cases(),
    ('[site]\nkiosk_id = "a\\nb"\n', "site.kiosk_id"),
    ('[site]\nkiosk_id = "a\\u0000b"\n', "site.kiosk_id"),
    ('[site]\nkiosk_id = ""\n', "site.kiosk_id"),
    ('[site]\nkiosk_id = "../../etc"\n', "site.kiosk_id"),
    ('[site]\nname = "' + "名" * 300 + '"\n', "site.name"),
    ('[site]\nresponsible = "\\u001b[2J"\n', "site.responsible"),
    ('[site]\nrole = "hospital"\n', "site.role"),
    ('[site]\nlanguage = "fr"\n', "site.language"),
    ('[site]\nprocedures = ["risai", "risai"]\n', "procedures"),
    ("[site]\nprocedures = 3\n", "site.procedures"),
    ('[site]\ndemo = "yes"\n', "site.demo"),
    ('[ui]\nswitch_next_key = "Return"\n', "differ"),
    ('[sink]\nkind = "ftp"\n', "sink.kind"),
    ('[sink]\nkind = "https"\nurl = "http://x"\n', "https://"),
    ('[sink]\nkind = "https"\nurl = "https://bo.example/in"\n', "ca_cert"),
    ('[sink]\nurl = "' + "u" * 3000 + '"\n', "sink.url"),
    ("[sink]\nretry_base_s = 7200\nretry_max_s = 60\n", "retry_base_s"),
    ("[face]\nbest_of = 9\nframes_window = 8\n", "best_of"),
    ("[retention]\naudit_days = 0\n", "retention.audit_days"),
    (
        '[staff]\nmembers = [{ id = "a", role = "clerk", pin_hash = "' + HASH + '" },'
        ' { id = "a", role = "admin", pin_hash = "' + HASH + '" }]\n',
        "listed twice",
    ),
    (
        '[staff]\nmembers = [{ id = "Yamada Taro", role = "clerk", pin_hash = "' + HASH + '" }]\n',
        "staff.members[0].id",
    ),
    ('[staff]\nmembers = [{ id = "a", role = "clerk", pin_hash = "md5:1234" }]\n', "pin_hash"),
    (
        '[staff]\nmembers = [{ id = "a", role = "clerk", pin_sha256 = "' + "0" * 64 + '" }]\n',
        "pin_sha256",
    ),
    ('[staff]\nmembers = [{ id = "a", role = "clerk" }]\n', "pin_hash"),
    ("[staff]\nmembers = [1, 2]\n", "staff.members[0]"),
    ('[staff]\nmembers = "all"\n', "staff.members"),
    ('[keys]\nsource = "usb"\n', "keys.source"),
    ('[keys]\ncredential = "../x"\n', "keys.credential"),
    ('[card]\ntrust_table = "/nonexistent/trust.toml"\n', "card.trust_table"),
    ('[card]\ntrust_table = "/dev/zero"\n', "a device"),
    ('[card]\ntrust_table = "/tmp"\n', "a directory"),
    ('[rules]\ntables = "/nonexistent/rules"\n', "rules.tables"),
    ('[rules]\ndisasters = "/dev/null"\n', "a device"),
    ('[sink]\nrecipient_public_key = "/proc"\n', "a directory"),
    ("[sight]\n", "[sight]"),
    ('[site]\nrol = "clinic"\n', "site.rol"),
    ("site = 3\n", "[site]"),
    ("source = 'x'\n", "unknown section"),
    ("not toml = = =\n", "not valid TOML"),
    ("a = " + "[" * 2000 + "]" * 2000 + "\n", "kiosk.toml"),
]


def _write_config(tmp_path: Path, text: str | bytes) -> Path:
    p = tmp_path / "kiosk.toml"
    p.write_bytes(text if isinstance(text, bytes) else text.encode("utf-8"))
    return p


def run(args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str]:
    """The command's exit code and stderr; any exception escaping is a traceback: a failure."""
    rc = cli.main(args)
    return rc, capsys.readouterr().err


@pytest.mark.parametrize(
    ("text", "names"), CONFIGS, ids=[f"config{i}" for i in range(len(CONFIGS))]
)
def test_bad_config_is_refused_naming_key_and_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], text: str, names: str
) -> None:
    cfg = _write_config(tmp_path, text)
    rc, err = run(["--config", str(cfg), "--data-dir", str(tmp_path / "d"), "outbox",
                   "status", "--json"], capsys)  # fmt: skip
    assert rc == 2, err
    assert names in err and str(cfg) in err
    assert not (tmp_path / "d" / "kiosk.db").exists()  # nothing opened on bad settings


ODD_FILES: list[tuple[str, Callable[[Path], Path]]] = [
    ("fifo", lambda p: (os.mkfifo(p), p)[1]),
    ("directory", lambda p: (p.mkdir(), p)[1]),
    ("dev-zero", lambda p: Path("/dev/zero")),
    ("dev-null", lambda p: Path("/dev/null")),
    ("missing", lambda p: p),
    ("symlink-loop", lambda p: (p.symlink_to(p), p)[1]),
    ("binary", lambda p: (p.write_bytes(os.urandom(4096)), p)[1]),
    ("utf16", lambda p: (p.write_bytes('[site]\nrole = "clinic"\n'.encode("utf-16")), p)[1]),
    ("too-large", lambda p: (p.write_bytes(b"#" * (2 << 20)), p)[1]),
]


@pytest.mark.parametrize(("kind", "make"), ODD_FILES, ids=[k for k, _ in ODD_FILES])
def test_a_config_that_is_not_a_settings_file_never_hangs(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], kind: str, make: Callable[[Path], Path]
) -> None:
    cfg = make(tmp_path / "kiosk.toml")
    rc, err = run(["--config", str(cfg), "rules", "list"], capsys)
    assert rc == 2 and str(cfg) in err, err


# -- data dirs, databases and keys: a kiosk with records first --------------------------


def _populated(root: Path) -> tuple[DataDir, list[str]]:
    data = DataDir(root)
    with Store.open(data, config.Settings()) as store:
        refs = [store.submit(submission(i)).reference for i in range(3)]
    return data, refs


def _digest(p: Path) -> str | None:
    return hashlib.sha256(p.read_bytes()).hexdigest() if p.is_file() else None


def _breaks(data: DataDir) -> dict[str, Callable[[], None]]:
    db, key = data.database, data.key_file

    def replace(p: Path, content: bytes) -> Callable[[], None]:
        def go() -> None:
            for s in ("-wal", "-shm"):
                p.with_name(p.name + s).unlink(missing_ok=True)
            p.unlink()
            p.write_bytes(content)
            p.chmod(0o600)

        return go

    def swap(p: Path, make: Callable[[Path], object]) -> Callable[[], None]:
        def go() -> None:
            p.rename(p.with_name(p.name + ".saved"))
            make(p)

        return go

    other = json.loads(key.read_text())
    other["database_id"] = "f" * 32
    return {
        "db-garbage": replace(db, os.urandom(8192)),
        "db-zero-bytes": replace(db, b""),
        "db-text": replace(db, b"SQLite format 3\x00 but not really"),
        "db-half": replace(db, db.read_bytes()[: len(db.read_bytes()) // 2]),
        "db-fifo": swap(db, os.mkfifo),
        "db-directory": swap(db, lambda p: p.mkdir()),
        "db-symlink-to-null": swap(db, lambda p: p.symlink_to("/dev/null")),
        "db-other-sqlite": replace(db, Path(_other_sqlite(data.root.parent)).read_bytes()),
        "db-missing": swap(db, lambda p: None),
        "db-newer-schema": lambda: _set_user_version(db, 99),
        "db-world-readable": lambda: db.chmod(0o644),
        "key-garbage": replace(key, os.urandom(100)),
        "key-empty": replace(key, b""),
        "key-json-list": replace(key, b"[1, 2, 3]"),
        "key-wrong-types": replace(key, b'{"format": 1, "current": 1, "master_keys": 2}'),
        "key-short-master": replace(
            key, json.dumps({**other, "master_keys": {"mk-1": "AAAA"}, "current": "mk-1"}).encode()
        ),
        "key-other-database": replace(key, json.dumps(other).encode()),
        "key-huge": replace(key, b" " * (1 << 20) + b"{}"),
        "key-deep": replace(key, b"[" * 100000 + b"]" * 100000),
        "key-world-readable": lambda: key.chmod(0o644),
        "key-fifo": swap(key, os.mkfifo),
        "key-directory": swap(key, lambda p: p.mkdir()),
        "key-missing": swap(key, lambda p: None),
        "head-garbage": lambda: (data.root / "audit-head.json").write_bytes(b"\x00\xff"),
        "head-directory": swap(data.root / "audit-head.json", lambda p: p.mkdir()),
        "tmp-is-a-file": lambda: (shutil.rmtree(data.tmp), data.tmp.write_text("x")),
        "logs-is-a-file": lambda: (shutil.rmtree(data.logs), data.logs.write_text("x")),
    }


def _other_sqlite(where: Path) -> str:
    import sqlite3

    p = where / "other.sqlite"
    if not p.exists():
        con = sqlite3.connect(p)
        con.execute("CREATE TABLE notes (x TEXT)")
        con.commit()
        con.close()
    return str(p)


def _set_user_version(db: Path, v: int) -> None:
    import sqlite3

    con = sqlite3.connect(db)
    con.execute(f"PRAGMA user_version = {v}")
    con.commit()
    con.close()


BREAKS = sorted([
    "db-garbage", "db-zero-bytes", "db-text", "db-half", "db-fifo", "db-directory",
    "db-symlink-to-null", "db-other-sqlite", "db-missing", "db-newer-schema",
    "db-world-readable", "key-garbage", "key-empty", "key-json-list", "key-wrong-types",
    "key-short-master", "key-other-database", "key-huge", "key-deep", "key-world-readable",
    "key-fifo", "key-directory", "key-missing", "head-garbage", "head-directory",
    "tmp-is-a-file", "logs-is-a-file",
])  # fmt: skip


@pytest.mark.parametrize("name", BREAKS)
@pytest.mark.parametrize("command", [["outbox", "status", "--json"], ["audit", "verify"]])
def test_a_broken_data_dir_stops_with_a_message_and_loses_nothing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], name: str, command: list[str]
) -> None:
    data, _ = _populated(tmp_path / "data")
    before = _digest(data.database)
    _breaks(data)[name]()
    kept = {p: _digest(p) for p in data.root.rglob("*") if p.is_file() and not p.is_symlink()}
    rc, err = run(["--data-dir", str(data.root), *command], capsys)
    evidence = command[0] == "audit"  # reads a copy: needs neither tmp/ nor logs/, changes nothing
    if name == "db-world-readable" and not evidence:
        assert rc == 0 and (data.database.stat().st_mode & 0o077) == 0  # tightened
    elif evidence and name in ("db-world-readable", "tmp-is-a-file", "logs-is-a-file"):
        assert rc == 0, err
    elif evidence:
        assert rc in (1, 2) and err.strip(), err
    else:
        assert rc in (1, 2) and err.startswith("kiosk: "), err
    if name.startswith("key-"):
        # A bad key file is never replaced by new keys: the records would be lost with it.
        for p, d in kept.items():
            if p.name == "master.key":
                assert _digest(p) == d
    saved = data.database.with_name("kiosk.db.saved")
    if saved.exists():  # the database moved aside by the fault is still there, untouched
        assert _digest(saved) == before
    if not name.startswith("db-"):  # the records are all still in the database
        con = sqlite3.connect(data.database)
        assert con.execute("SELECT count(*) FROM submissions").fetchone()[0] == 3
        con.close()


def test_the_records_come_back_once_the_fault_is_undone(tmp_path: Path) -> None:
    data, refs = _populated(tmp_path / "data")
    data.database.rename(tmp_path / "kiosk.db.away")
    with pytest.raises(KnownError):
        Store.open(data, config.Settings())  # missing next to keys: refused, not started empty
    data.database.unlink(missing_ok=True)
    (tmp_path / "kiosk.db.away").rename(data.database)
    with Store.open(data, config.Settings()) as store:
        assert [store.read(r)["payload"]["n"] for r in refs] == [0, 1, 2]
        assert store.verify_audit().ok


TRUST_TABLES: list[tuple[str, bytes]] = [
    ("empty", b""),
    ("binary", os.urandom(512)),
    ("not-toml", b"= = ="),
    ("unknown-key", b"colour = 1\n"),
    ("version-2", b"version = 2\n"),
    ("issuer-not-table", b"issuer = 3\n"),
    ("issuer-missing-modulus", b'[[issuer]]\nkey_id = "00"\n'),
    ("issuer-bad-hex", b'[[issuer]]\nkey_id = "zz"\nmodulus = "00"\n'),
    ("issuer-short-id", b'[[issuer]]\nkey_id = "0011"\nmodulus = "00ff"\n'),
    (
        "issuer-exponent-str",
        b'[[issuer]]\nkey_id = "' + b"00" * 16 + b'"\nmodulus = "00ff"\nexponent = "3"\n',
    ),
    ("issuer-modulus-tiny", b'[[issuer]]\nkey_id = "' + b"00" * 16 + b'"\nmodulus = "03"\n'),
    ("jpki-not-pem", b'[[jpki_ca]]\npem = "hello"\n'),
    ("jpki-not-table", b'jpki_ca = "x"\n'),
    ("utf16", "version = 1\n".encode("utf-16")),
    ("deep", b"a = " + b"[" * 5000 + b"]" * 5000 + b"\n"),
]


@pytest.mark.parametrize(("name", "content"), TRUST_TABLES, ids=[n for n, _ in TRUST_TABLES])
def test_a_bad_trust_table_is_a_known_error(tmp_path: Path, name: str, content: bytes) -> None:
    p = tmp_path / "trust.toml"
    p.write_bytes(content)
    try:
        table = TrustTable.load(p)
    except KnownError as e:
        assert str(p) in str(e.detail or e)
    else:  # accepted: then it holds nothing a card could be trusted by
        assert not table.issuers and not table.jpki_cas, name
    assert DEMO_TABLE.exists()
