"""SIGKILL the service again and again while kiosks deliver: nothing lost, nothing twice.

Each kiosk syncs its outbox with the kiosk's own `Store.sync`; the service (both worker
processes) is killed mid-delivery 50 times and restarted on the same ports. A document whose
answer was lost in a kill is sent again with its idempotency key and answered 409.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from backoffice.sandbox import PgSandbox, Pki, Service, service_settings
from bench.backoffice_load import kill_loop, make_kiosks

pytestmark = [pytest.mark.slow, pytest.mark.timeout(900)]


def test_fifty_sigkills_mid_delivery_lose_and_duplicate_nothing(
    pg: PgSandbox, pki: Pki, tmp_path: Path
) -> None:
    dsn = pg.new_database()
    (tmp_path / "svc").mkdir()
    svc = Service(service_settings(dsn, pki, workers=2), tmp_path / "svc").start()
    kiosks = []
    try:
        kiosks = make_kiosks(tmp_path / "kiosks", pki, dsn, svc, count=4, each=400,
                             photo_width=96)  # fmt: skip
        result = kill_loop(kiosks, svc, dsn, kills=50)
    finally:
        for k in kiosks:
            k.store.close()
        svc.stop()
        pg.drop_database(dsn)
    assert result["kills"] == 50
    assert result["kills_while_rows_were_arriving"] >= 45  # the kills landed mid-delivery
    assert result["submissions"] == result["rows"] == result["request_rows"] == 1600
    assert result["delivered_per_kiosks"] == 1600
    assert (result["lost"], result["duplicated"], result["unexpected"]) == (0, 0, 0)
