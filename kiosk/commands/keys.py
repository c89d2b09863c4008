"""`kiosk keys status|rotate|init|unlock`: where the keys are kept, and their life.

- `status`: the key source (`[keys] source`), the current master key, records per key.
- `rotate`: a new master key; every record's key re-wrapped; no downtime.
- `init`: create the key set in the configured source (sealed to the TPM, or with a
  passphrase), or move an existing demo key file (`--import`) there, then remove it.
- `unlock`: at boot, for `source = "passphrase"`: check the passphrase and let the kiosk in.
"""

from __future__ import annotations

import argparse
import contextlib
import getpass
import os
import shutil
import sys
from pathlib import Path

from kiosk import paths
from kiosk.cli import emit_json
from kiosk.commands import Context
from kiosk.errors import ConfigError
from kiosk.store import Store
from kiosk.store.errors import KeyUnreadable
from kiosk.store.head import NAME as HEAD_NAME
from kiosk.store.keys import KeyFile, KeySet
from kiosk.store.keysources import PassphraseKeys, Tpm2Keys, key_source

MIN_PASSPHRASE = 12


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("keys", help="the kiosk's encryption and signing keys")
    a = p.add_subparsers(dest="keys_command", metavar="ACTION", required=True)
    st = a.add_parser("status", help="key source, current master key, records per key")
    st.add_argument("--json", action="store_true")
    st.set_defaults(func=status_command)
    r = a.add_parser("rotate", help="new master key; re-wrap every record's key; no downtime")
    r.add_argument("--batch", type=int, default=200, help="records per transaction")
    r.add_argument("--json", action="store_true")
    r.set_defaults(func=rotate_command)
    i = a.add_parser("init", help="create the keys in the configured [keys] source")
    i.add_argument(
        "--import",
        dest="import_file",
        type=Path,
        metavar="KEY_FILE",
        help="move a plain key file (and its audit head) in, then delete it",
    )
    i.add_argument("--passphrase-stdin", action="store_true", help="read the passphrase from stdin")
    i.add_argument("--json", action="store_true")
    i.set_defaults(func=init_command)
    u = a.add_parser("unlock", help="source = passphrase: unlock the keys after boot")
    u.add_argument("--passphrase-stdin", action="store_true")
    u.add_argument("--json", action="store_true")
    u.set_defaults(func=unlock_command)


def status_command(args: argparse.Namespace, ctx: Context) -> int:
    with Store.open(ctx.data, ctx.settings) as store:
        current, per_key = store.current_key_id, store.master_key_ids()
        public = store.signing_public_key.hex()
        where = store.key_source_description
    if args.json:
        emit_json(
            {
                "ok": True,
                "source": ctx.settings.keys.source,
                "where": where,
                "current": current,
                "records_per_key": per_key,
                "signing_public_key": public,
            }
        )
    else:
        print(f"keys: {ctx.settings.keys.source} ({where})")
        print(f"current master key {current}")
        for k, n in sorted(per_key.items()):
            print(f"  {k}: {n} records")
        print(f"signing key (Ed25519, public) {public}")
    return 0


def rotate_command(args: argparse.Namespace, ctx: Context) -> int:
    with Store.open(ctx.data, ctx.settings) as store:
        report = store.rotate_keys(batch=max(1, args.batch))
    if args.json:
        emit_json({"ok": True, **report.to_json()})
    else:
        print(
            f"now {report.new_key_id}; re-wrapped {report.rewrapped} records; "
            f"retired {', '.join(report.retired_key_ids) or 'none'}",
            file=sys.stderr,
        )
    return 0


def _passphrase(from_stdin: bool, confirm: bool) -> str:
    if from_stdin:
        return sys.stdin.readline().rstrip("\n")
    first = getpass.getpass("passphrase for the kiosk's keys: ")
    if confirm and getpass.getpass("again: ") != first:
        raise ConfigError("the two passphrases differ")
    return first


def init_command(args: argparse.Namespace, ctx: Context) -> int:
    data = paths.DataDir(ctx.data_dir or paths.default_data_dir())
    source = key_source(ctx.settings, data)
    if source.load() is not None:
        raise KeyUnreadable(f"{source.describe()}: keys already exist; nothing was changed")
    keys = KeySet.generate()
    old_head = None
    if args.import_file is not None:
        old = KeyFile(args.import_file).load()
        if old is None:
            raise KeyUnreadable(f"{args.import_file}: no such key file")
        keys, old_head = old, args.import_file.parent / HEAD_NAME
    if isinstance(source, PassphraseKeys):
        phrase = _passphrase(args.passphrase_stdin, confirm=True)
        if len(phrase) < MIN_PASSPHRASE:
            raise ConfigError(f"a passphrase of at least {MIN_PASSPHRASE} characters, please")
        source.init(phrase, keys)
    else:
        source.save(keys)
    if old_head is not None and old_head.exists():
        shutil.copy2(old_head, source.state_dir / HEAD_NAME)
    if args.import_file is not None:
        _shred(args.import_file)
    dropin = ""
    if isinstance(source, Tpm2Keys):
        dropin = f"[Service]\nLoadCredentialEncrypted={source.name}:{source.path}\n"
    if args.json:
        emit_json({"ok": True, "source": ctx.settings.keys.source, "where": source.describe(),
                   "systemd_dropin": dropin or None})  # fmt: skip
    else:
        print(f"keys kept in {source.describe()}", file=sys.stderr)
        if dropin:
            print(
                "put this in /etc/systemd/system/madoguchi-kiosk.service.d/keys.conf, then "
                "`systemctl daemon-reload`:\n" + dropin,
                file=sys.stderr,
            )
    return 0


def _shred(path: Path) -> None:
    """Overwrite a plain key file before removing it (best effort: SSDs remap blocks)."""
    with contextlib.suppress(OSError):
        size = path.stat().st_size
        with path.open("r+b") as f:
            f.write(os.urandom(size))
            f.flush()
            os.fsync(f.fileno())
    path.unlink(missing_ok=True)
    path.with_name(HEAD_NAME).unlink(missing_ok=True)


def unlock_command(args: argparse.Namespace, ctx: Context) -> int:
    data = paths.DataDir(ctx.data_dir or paths.default_data_dir())
    source = key_source(ctx.settings, data)
    if not isinstance(source, PassphraseKeys):
        raise ConfigError(f'{ctx.settings.source}: [keys] source is not "passphrase"')
    source.unlock(_passphrase(args.passphrase_stdin, confirm=False))
    if args.json:
        emit_json({"ok": True, "unlocked": str(source.unlock_file)})
    else:
        print(f"unlocked: the kiosk may start ({source.unlock_file})", file=sys.stderr)
    return 0
