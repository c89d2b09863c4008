"""The back office against a real PostgreSQL cluster started for the session in a temp dir,
the service as its own process over real TLS, and kiosks built from the kiosk's own Store."""

from __future__ import annotations

import random
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path

import pytest

from backoffice.sandbox import PgSandbox, Pki, Service, enrol_kiosk, service_settings
from kiosk.commands.demo import build, demo_people
from kiosk.config import Settings, SinkSettings, SiteSettings
from kiosk.flows.procedures.common import site_disasters
from kiosk.paths import DataDir
from kiosk.store import HttpsSink, Store, Submission, new_session_id


@pytest.fixture(autouse=True)
def _close_clients() -> Iterator[None]:
    yield
    from tests.backoffice.clerks import close_all

    close_all()


@pytest.fixture(scope="session")
def pg() -> Iterator[PgSandbox]:
    sandbox = PgSandbox().start()
    yield sandbox
    sandbox.stop()


@pytest.fixture(scope="session")
def pki(tmp_path_factory: pytest.TempPathFactory) -> Pki:
    return Pki.make(tmp_path_factory.mktemp("pki"))


@pytest.fixture
def dsn(pg: PgSandbox) -> Iterator[str]:
    d = pg.new_database()
    yield d
    pg.drop_database(d)


@pytest.fixture
def service(dsn: str, pki: Pki, tmp_path: Path) -> Iterator[Service]:
    workdir = tmp_path / "service"
    workdir.mkdir()
    svc = Service(service_settings(dsn, pki), workdir).start()
    yield svc
    from tests.backoffice.clerks import close_all

    close_all()  # open keep-alive connections would hold up the graceful stop
    svc.stop()


@dataclass
class DemoKiosk:
    """A kiosk's real store and https sink, enrolled with the back office."""

    kiosk_id: str
    store: Store
    sink: HttpsSink
    settings: Settings
    data: DataDir
    rng: random.Random

    def submit(self, count: int = 1) -> list[str]:
        """`count` demo requests as the kiosk's procedures build them; their references."""
        disasters = site_disasters()
        people = demo_people()
        refs = []
        for _ in range(count):
            now = datetime.now(UTC).replace(tzinfo=None)
            req = build(self.rng, people, now, 96, disasters)
            key = "k-" + "".join(self.rng.choice("abcdef0123456789") for _ in range(30))
            sub = req.to_submission(
                disasters, now, kiosk_id=self.kiosk_id, language="ja", idempotency_key=key
            )
            refs.append(self.store.submit(sub, session_id=new_session_id()).reference)
        return refs

    def submit_raw(self, sub: Submission) -> str:
        return self.store.submit(sub, session_id=new_session_id()).reference


MakeKiosk = Callable[..., DemoKiosk]


@pytest.fixture
def make_kiosk(tmp_path: Path, pki: Pki, dsn: str, service: Service) -> Iterator[MakeKiosk]:
    made: list[DemoKiosk] = []

    def make(kiosk_id: str = "kiosk-01", *, enrol: bool = True) -> DemoKiosk:
        pair = pki.client(kiosk_id)
        settings = replace(
            Settings(),
            site=SiteSettings(kiosk_id=kiosk_id, demo="on"),
            sink=SinkSettings(
                kind="https",
                url=service.intake_url,
                client_cert=str(pair.cert),
                client_key=str(pair.key),
                ca_cert=str(pki.ca.cert),
                retry_base_s=1,
                retry_max_s=2,
            ),
        )
        data = DataDir(tmp_path / f"kiosk-{kiosk_id}")
        store = Store.open(data, settings)
        if enrol:
            enrol_kiosk(dsn, kiosk_id, pair.cert, store.signing_public_key)
        sink = HttpsSink(service.intake_url, pair.cert, pair.key, pki.ca.cert)
        k = DemoKiosk(kiosk_id, store, sink, settings, data, random.Random(kiosk_id))
        made.append(k)
        return k

    yield make
    for k in made:
        k.store.close()
