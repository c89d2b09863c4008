"""Keys off the data disk: sealed to a (software) TPM or a passphrase; a copy decrypts nothing.

The TPM is swtpm (a TPM 2.0 simulator) driven by the real systemd-creds and tpm2-tools, as on
a kiosk with a hardware TPM; only the device string (a TCTI) differs.
"""

from __future__ import annotations

import base64
import io
import json
import shutil
import sqlite3
from dataclasses import replace
from pathlib import Path

import pytest

from kiosk import cli
from kiosk.config import KeySettings, Settings, SiteSettings
from kiosk.errors import ConfigError
from kiosk.paths import DataDir
from kiosk.store import KeyUnreadable, Store
from kiosk.store.errors import KeysLocked
from kiosk.store.keys import KeySet
from kiosk.store.keysources import PassphraseKeys, Tpm2Keys, key_source
from tests.helpers.store import RESIDENT, submission
from tests.security.conftest import SoftTpm

PASSPHRASE = "correct horse battery staple"


def tpm_settings(keys_dir: Path, tpm: SoftTpm) -> Settings:
    return replace(
        Settings(),
        site=SiteSettings(demo="off"),
        keys=KeySettings(source="tpm2", dir=str(keys_dir), tpm2_device=tpm.device),
    )


def _secrets(keys: KeySet) -> list[bytes]:
    """Every form the key material could take on disk."""
    raw = [*keys.master_keys.values(), keys.signing_seed]
    return raw + [base64.b64encode(k) for k in raw] + [k.hex().encode() for k in raw]


def _files(*roots: Path) -> list[Path]:
    return [p for r in roots for p in r.rglob("*") if p.is_file()]


def _nothing_readable(roots: list[Path], keys: KeySet) -> None:
    for f in _files(*roots):
        data = f.read_bytes()
        for secret in _secrets(keys):
            assert secret not in data, f"key material in {f}"
        for value in RESIDENT.values():
            assert value.encode() not in data, f"resident data in {f}"


def test_tpm2_keys_work_and_never_lie_on_disk_in_the_clear(tmp_path: Path, swtpm: SoftTpm) -> None:
    s = tpm_settings(tmp_path / "keys", swtpm)
    data = DataDir(tmp_path / "data")
    with Store.open(data, s) as store:
        refs = [store.submit(submission(i)).reference for i in range(3)]
        assert store.key_source_description.startswith("tpm2 ")
    sealed = tmp_path / "keys" / "madoguchi-kiosk-keys.cred"
    assert sealed.is_file() and not data.key_file.exists()
    keys = key_source(s, data).load()
    assert keys is not None
    _nothing_readable([data.root, tmp_path / "keys"], keys)
    with Store.open(data, s) as store:  # a reboot: unsealed again by the same TPM
        assert [store.read(r)["payload"]["n"] for r in refs] == [0, 1, 2]
        assert store.verify_audit().ok


def test_a_copied_disk_on_another_machine_decrypts_nothing(
    tmp_path: Path, swtpm: SoftTpm, other_swtpm: SoftTpm
) -> None:
    s = tpm_settings(tmp_path / "keys", swtpm)
    with Store.open(DataDir(tmp_path / "data"), s) as store:
        store.submit(submission(1))
    thief = tmp_path / "thief"
    shutil.copytree(tmp_path / "data", thief / "data")
    shutil.copytree(tmp_path / "keys", thief / "keys")
    stolen = tpm_settings(thief / "keys", other_swtpm)
    with pytest.raises(KeyUnreadable, match="another machine's TPM"):
        Store.open(DataDir(thief / "data"), stolen)
    # Not one file of the copy is a key file, and the rows stay sealed.
    for f in _files(thief):
        with pytest.raises(KeyUnreadable):
            KeySet.from_json(f.read_bytes(), str(f))
    con = sqlite3.connect(thief / "data" / "kiosk.db")
    documents = [r[0] for r in con.execute("SELECT document FROM submissions")]
    con.close()
    assert documents and all(RESIDENT["name"].encode() not in d for d in documents)


def test_a_cleared_tpm_unseals_nothing(tmp_path: Path, swtpm: SoftTpm) -> None:
    s = tpm_settings(tmp_path / "keys", swtpm)
    with Store.open(DataDir(tmp_path / "data"), s) as store:
        store.submit(submission(1))
    assert swtpm.tools("tpm2_clear", "-c", "p").returncode == 0  # a new storage seed
    with pytest.raises(KeyUnreadable):
        Store.open(DataDir(tmp_path / "data"), s)


def test_the_units_credential_copy_is_used_first(tmp_path: Path, swtpm: SoftTpm) -> None:
    s = tpm_settings(tmp_path / "keys", swtpm)
    with Store.open(DataDir(tmp_path / "data"), s) as store:
        ref = store.submit(submission(7)).reference
    # What LoadCredentialEncrypted= does before starting the kiosk: unseal into a private dir.
    creds = tmp_path / "credentials"
    creds.mkdir(mode=0o700)
    unsealed = Tpm2Keys(tmp_path / "keys", "madoguchi-kiosk-keys", swtpm.device).load()
    assert unsealed is not None
    (creds / "madoguchi-kiosk-keys").write_bytes(unsealed.to_json())
    # The TPM is out of reach now (a dead port): only the credential copy can serve.
    source = Tpm2Keys(tmp_path / "keys", "madoguchi-kiosk-keys", "swtpm:port=1", creds)
    with Store.open(DataDir(tmp_path / "data"), s, keys=source) as store:
        assert store.read(ref)["payload"]["n"] == 7


def test_rotation_reseals_to_the_tpm(tmp_path: Path, swtpm: SoftTpm) -> None:
    s = tpm_settings(tmp_path / "keys", swtpm)
    data = DataDir(tmp_path / "data")
    with Store.open(data, s) as store:
        ref = store.submit(submission(2)).reference
        old = store.current_key_id
        report = store.rotate_keys()
    assert report.retired_key_ids == (old,)
    with Store.open(data, s) as store:
        assert store.current_key_id == report.new_key_id
        assert store.read(ref)["payload"]["n"] == 2


def _cli(args: list[str], stdin: str = "", monkeypatch: pytest.MonkeyPatch | None = None) -> int:
    if monkeypatch is not None:
        monkeypatch.setattr("sys.stdin", io.StringIO(stdin))
    return cli.main(args)


def test_passphrase_keys_need_an_unlock_after_boot(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    unlock = tmp_path / "run" / "keys-unlocked"
    cfg = tmp_path / "kiosk.toml"
    cfg.write_text(
        '[site]\ndemo = "off"\n[keys]\nsource = "passphrase"\n'
        f'dir = "{tmp_path / "keys"}"\nunlock_file = "{unlock}"\n',
        encoding="utf-8",
    )
    base = ["--config", str(cfg), "--data-dir", str(tmp_path / "data")]
    assert _cli([*base, "keys", "init", "--passphrase-stdin"], PASSPHRASE + "\n", monkeypatch) == 0
    assert _cli([*base, "outbox", "status", "--json"]) == 0
    unlock.unlink()  # a reboot: /run is a tmpfs
    capsys.readouterr()
    assert _cli([*base, "outbox", "status", "--json"]) == 2
    assert "kiosk keys unlock" in capsys.readouterr().err
    assert _cli([*base, "keys", "unlock", "--passphrase-stdin"], "wrong\n", monkeypatch) == 2
    assert not unlock.exists()
    assert _cli([*base, "keys", "unlock", "--passphrase-stdin"], PASSPHRASE + "\n",
                monkeypatch) == 0  # fmt: skip
    assert _cli([*base, "outbox", "status", "--json"]) == 0
    sealed = json.loads((tmp_path / "keys" / "madoguchi-kiosk-keys.sealed").read_text())
    assert sealed["kdf"]["alg"] == "argon2id" and sealed["kdf"]["memory_cost"] >= 256 * 1024


def test_passphrase_keys_copied_without_the_passphrase_open_nothing(tmp_path: Path) -> None:
    source = PassphraseKeys(tmp_path / "keys", "k", tmp_path / "run" / "unlocked")
    keys = KeySet.generate()
    source.init(PASSPHRASE, keys)
    (tmp_path / "run" / "unlocked").unlink()
    with pytest.raises(KeysLocked):
        source.load()
    with pytest.raises(KeysLocked, match="wrong passphrase"):
        source.unlock("1234")
    _nothing_readable([tmp_path / "keys"], keys)


def test_a_plain_key_file_is_refused_at_a_real_site(tmp_path: Path) -> None:
    s = replace(Settings(), site=SiteSettings(demo="off"))
    with pytest.raises(ConfigError, match="for demo only") as e:
        Store.open(DataDir(tmp_path), s)
    assert e.value.exit_code == 2
    assert not (tmp_path / "master.key").exists()


def test_a_demo_key_file_moves_into_the_tpm(
    tmp_path: Path, swtpm: SoftTpm, monkeypatch: pytest.MonkeyPatch
) -> None:
    data = DataDir(tmp_path / "data")
    with Store.open(data, Settings()) as store:  # a demo kiosk, keys beside the database
        ref = store.submit(submission(3)).reference
    cfg = tmp_path / "kiosk.toml"
    cfg.write_text(
        f'[site]\ndemo = "off"\n[keys]\nsource = "tpm2"\ndir = "{tmp_path / "keys"}"\n'
        f'tpm2_device = "{swtpm.device}"\n',
        encoding="utf-8",
    )
    base = ["--config", str(cfg), "--data-dir", str(data.root)]
    assert _cli([*base, "keys", "init", "--import", str(data.key_file), "--json"]) == 0
    assert not data.key_file.exists() and not (data.root / "audit-head.json").exists()
    with Store.open(data, tpm_settings(tmp_path / "keys", swtpm)) as store:
        assert store.read(ref)["payload"]["n"] == 3
        assert store.verify_audit().ok
