"""`make backoffice`: a local PostgreSQL cluster, migrations, certificates, a first admin, a
demo kiosk enrolled, then the service in the foreground (Ctrl-C stops it and the cluster).

Everything lives in one state dir (default `.backoffice/`); a second run reuses it.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import psycopg

from backoffice import db, tls
from backoffice import settings as settings_mod
from backoffice.cli import enrol
from backoffice.pgcluster import Cluster, cluster_root
from backoffice.service import run
from backoffice.staff import create_staff

DEMO_KIOSK = "demo-kiosk-01"


def kiosk_command(config: Path, data: Path, *args: str) -> list[str]:
    return [sys.executable, "-m", "kiosk", "--config", str(config), "--data-dir", str(data), *args]


def demo_kiosk(state: Path, cfg: settings_mod.Settings, intake_port: int) -> tuple[Path, Path]:
    """A demo kiosk whose https sink points at this service, enrolled with its keys."""
    folder = state / "demo-kiosk"
    folder.mkdir(parents=True, exist_ok=True)
    folder.chmod(0o700)
    config, data = folder / "kiosk.toml", folder / "data"
    pair = tls.Pair(folder / f"{DEMO_KIOSK}.crt", folder / f"{DEMO_KIOSK}.key")
    if not pair.cert.exists():
        ca = tls.Pair(cfg.tls_dir / "ca.crt", cfg.tls_dir / "ca.key")
        pair = tls.issue(ca, folder, DEMO_KIOSK, server=False)
    config.write_text(
        f'[site]\nkiosk_id = "{DEMO_KIOSK}"\ndemo = "on"\nrole = "cityhall"\n\n'
        f'[sink]\nkind = "https"\nurl = "https://127.0.0.1:{intake_port}/intake/submissions"\n'
        f'client_cert = "{pair.cert}"\nclient_key = "{pair.key}"\nca_cert = "{cfg.ca_cert}"\n',
        encoding="utf-8",
    )
    out = subprocess.run(
        kiosk_command(config, data, "keys", "status", "--json"),
        capture_output=True,
        text=True,
        check=True,
    )
    public = json.loads(out.stdout)["signing_public_key"]
    enrol(cfg.dsn, DEMO_KIOSK, pair.cert.read_bytes(), bytes.fromhex(public), "demo")
    return config, data


def prepare(
    state: Path, intake_port: int, clerk_port: int
) -> tuple[settings_mod.Settings, dict[str, str] | None, Cluster]:
    state.mkdir(parents=True, exist_ok=True)
    state.chmod(0o755)  # the cluster's owner must reach pg/ inside it
    cluster = Cluster(cluster_root(state))
    cluster.init()
    cluster.start()
    cluster.create_database("backoffice")
    tls_dir = state / "tls"
    if not (tls_dir / "server.crt").exists():
        ca = tls.make_ca(tls_dir)
        tls.issue(ca, tls_dir, "server", server=True)
        tls.make_drop_key(tls_dir)
    cfg = settings_mod.Settings(
        dsn=cluster.dsn("backoffice"),
        tls_dir=tls_dir,
        drop_key=tls_dir / "drop-x25519.key",
        intake_port=intake_port,
        clerk_port=clerk_port,
        workers=min(4, os.cpu_count() or 1),
    )
    cfg_file = state / "backoffice.toml"
    cfg_file.touch(mode=0o600)
    cfg_file.write_text(settings_mod.dump(cfg), encoding="utf-8")
    db.migrate(cfg.dsn)
    admin = None
    with psycopg.connect(cfg.dsn, autocommit=True) as conn:
        if conn.execute("SELECT count(*) FROM staff").fetchone() == (0,):
            acct = create_staff(conn, "admin", "admin")
            admin = {
                "username": acct.username,
                "password": acct.password,
                "totp_secret": acct.totp_secret,
                "otpauth": acct.otpauth_uri,
            }
    return cfg, admin, cluster


def main(state: Path, intake_port: int, clerk_port: int, serve_now: bool = True) -> int:
    cfg, admin, cluster = prepare(state.resolve(), intake_port, clerk_port)
    config, data = demo_kiosk(state.resolve(), cfg, intake_port)
    print(f"Back office (clerks):  https://127.0.0.1:{clerk_port}/   (CA: {cfg.ca_cert})")
    print(f"Kiosk intake (mTLS):   https://127.0.0.1:{intake_port}/intake/submissions")
    if admin:
        print(f"First admin:           {admin['username']}  password {admin['password']}")
        print(f"  TOTP secret {admin['totp_secret']} (add it to an authenticator app)")
        print(f"  {admin['otpauth']}")
    else:
        print("Admin account exists already (python -m backoffice add-staff NAME for another)")
    kiosk = " ".join(kiosk_command(config, data)[1:])
    print(f"Demo kiosk:  python {kiosk} demo submit --count 5")
    print(f"             python {kiosk} outbox sync")
    sys.stdout.flush()
    if not serve_now:
        return 0
    try:
        run(cfg)
    except KeyboardInterrupt:
        pass
    finally:
        cluster.stop()
    return 0
