"""Back-office intake under load, and under SIGKILL.

Load: K kiosks (default 50) × N submissions (default 200) deliver at once, each kiosk on its
own thread with the kiosk's own HttpsSink (a new mutual-TLS connection per document, as the
kiosk sends them) to the service running as its own process on a local PostgreSQL cluster.
Reports intake throughput and per-delivery latency (p50/p95/max).

Kill: kiosks sync their outboxes with `Store.sync` while the service is SIGKILLed again and
again mid-delivery (default 50 times) and restarted on the same ports; then every kiosk's
documents must be in PostgreSQL exactly once: 0 lost, 0 duplicated.

Writes bench/results/backoffice_load.json. `python -m bench.backoffice_load [--quick]`.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path

import psycopg

from backoffice.sandbox import PgSandbox, Pki, Service, enrol_kiosk, service_settings
from kiosk.commands.demo import build, demo_people
from kiosk.config import Settings, SinkSettings, SiteSettings
from kiosk.flows.procedures.common import site_disasters
from kiosk.paths import DataDir
from kiosk.store import HttpsSink, Store, new_session_id
from kiosk.store.errors import DeliveryFailed

RESULTS = Path(__file__).resolve().parent / "results"


@dataclass
class BenchKiosk:
    kiosk_id: str
    store: Store
    sink: HttpsSink


def make_kiosks(
    root: Path,
    pki: Pki,
    dsn: str,
    service: Service,
    count: int,
    each: int,
    photo_width: int,
    retry_s: int = 1,
) -> list[BenchKiosk]:
    """`count` enrolled kiosks, each with `each` demo requests (with photos) in its outbox."""
    disasters = site_disasters()
    people = demo_people()
    out = []
    for i in range(count):
        kid = f"bench-kiosk-{i:03d}"
        pair = pki.client(kid)
        settings = replace(
            Settings(),
            site=SiteSettings(kiosk_id=kid, demo="on"),
            sink=SinkSettings(kind="https", url=service.intake_url, client_cert=str(pair.cert),
                              client_key=str(pair.key), ca_cert=str(pki.ca.cert),
                              retry_base_s=retry_s, retry_max_s=retry_s, timeout_s=30),
        )  # fmt: skip
        store = Store.open(DataDir(root / kid), settings)
        enrol_kiosk(dsn, kid, pair.cert, store.signing_public_key)
        rng = random.Random(kid)
        for n in range(each):
            now = datetime.now(UTC).replace(tzinfo=None)
            req = build(rng, people, now, photo_width, disasters)
            sub = req.to_submission(
                disasters, now, kiosk_id=kid, language="ja", idempotency_key=f"{kid}-{n:06d}"
            )
            store.submit(sub, session_id=new_session_id())
        sink = HttpsSink(service.intake_url, pair.cert, pair.key, pki.ca.cert, timeout_s=30)
        out.append(BenchKiosk(kid, store, sink))
    return out


def _pct(samples: list[float], q: float) -> float:
    s = sorted(samples)
    return round(s[min(len(s) - 1, int(len(s) * q))] * 1000, 1)


def load(kiosks: list[BenchKiosk]) -> dict[str, object]:
    """Every kiosk delivers its whole outbox at once; latency of each delivery."""
    documents = {
        k.kiosk_id: [(k.store.document(r), r) for r in k.store.references()] for k in kiosks
    }
    latencies: list[float] = []
    failures: list[str] = []
    lock = threading.Lock()
    start = threading.Barrier(len(kiosks) + 1)

    def run(k: BenchKiosk) -> None:
        mine: list[float] = []
        start.wait()
        for doc, ref in documents[k.kiosk_id]:
            key = json.loads(doc)["idempotency_key"]
            t0 = time.perf_counter()
            try:
                k.sink.deliver(doc, key, ref)
            except DeliveryFailed as e:
                with lock:
                    failures.append(e.detail)
                continue
            mine.append(time.perf_counter() - t0)
        with lock:
            latencies.extend(mine)

    threads = [threading.Thread(target=run, args=(k,)) for k in kiosks]
    for t in threads:
        t.start()
    start.wait()
    t0 = time.perf_counter()
    for t in threads:
        t.join()
    elapsed = time.perf_counter() - t0
    sizes = [len(d) for docs in documents.values() for d, _ in docs]
    return {
        "kiosks": len(kiosks),
        "submissions": len(sizes),
        "delivered": len(latencies),
        "failed": len(failures),
        "failures_sample": sorted(set(failures))[:5],
        "elapsed_s": round(elapsed, 2),
        "throughput_per_s": round(len(latencies) / elapsed, 1),
        "latency_p50_ms": _pct(latencies, 0.50),
        "latency_p95_ms": _pct(latencies, 0.95),
        "latency_max_ms": round(max(latencies) * 1000, 1) if latencies else None,
        "latency_mean_ms": round(statistics.mean(latencies) * 1000, 1) if latencies else None,
        "document_median_bytes": int(statistics.median(sizes)),
    }


def kill_loop(
    kiosks: list[BenchKiosk], service: Service, dsn: str, kills: int, seed: int = 17
) -> dict[str, object]:
    """Kiosks sync while the service is SIGKILLed `kills` times; then count what arrived."""
    rng = random.Random(seed)
    stop = threading.Event()
    sync_errors = [0]
    lock = threading.Lock()

    def kiosk_loop(k: BenchKiosk) -> None:
        while not stop.is_set():
            report = k.store.sync(k.sink, force=True)
            with lock:
                sync_errors[0] += report.retry_later
            if report.remaining == 0:
                return
            time.sleep(0.2 if report.retry_later else 0.02)  # the service is down: wait a bit

    threads = [threading.Thread(target=kiosk_loop, args=(k,)) for k in kiosks]
    for t in threads:
        t.start()
    total = sum(len(k.store.references()) for k in kiosks)
    killed_with_rows_moving = 0
    for _ in range(kills):
        before = _count(dsn)
        deadline = time.monotonic() + 10
        while _count(dsn) == before and time.monotonic() < deadline:
            time.sleep(0.01)  # wait until deliveries flow again after the restart
        time.sleep(rng.uniform(0.02, 0.25))
        arrived = _count(dsn)
        service.kill()
        if before < arrived < total:  # rows were arriving and more were on their way
            killed_with_rows_moving += 1
        service.start()
    deadline = time.monotonic() + 300
    for t in threads:
        t.join(max(0.1, deadline - time.monotonic()))
    stop.set()
    for t in threads:
        t.join(30)
    expected: set[str] = set()
    delivered_on_kiosks = 0
    for k in kiosks:
        status = k.store.outbox_status(limit=0)
        delivered_on_kiosks += status.delivered
        expected |= {f"{k.kiosk_id}-{n:06d}" for n in range(len(k.store.references()))}
    with psycopg.connect(dsn) as conn:
        keys = [r[0] for r in conn.execute("SELECT idempotency_key FROM submissions")]
        requests = conn.execute("SELECT count(*) FROM requests").fetchone()
    return {
        "kills": kills,
        "kills_while_rows_were_arriving": killed_with_rows_moving,
        "failed_delivery_attempts": sync_errors[0],  # refused connections while down
        "submissions": len(expected),
        "delivered_per_kiosks": delivered_on_kiosks,
        "rows": len(keys),
        "request_rows": requests[0] if requests else None,
        "lost": len(expected - set(keys)),
        "duplicated": len(keys) - len(set(keys)),
        "unexpected": len(set(keys) - expected),
    }


def _count(dsn: str) -> int:
    with psycopg.connect(dsn) as conn:
        row = conn.execute("SELECT count(*) FROM submissions").fetchone()
    return int(row[0]) if row else 0


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--kiosks", type=int, default=50)
    ap.add_argument("--each", type=int, default=200)
    ap.add_argument("--photo-width", type=int, default=160)
    ap.add_argument("--kills", type=int, default=50)
    ap.add_argument("--kill-kiosks", type=int, default=4)
    ap.add_argument("--kill-each", type=int, default=400)
    ap.add_argument("--workers", type=int, default=2, help="service worker processes")
    ap.add_argument("--quick", action="store_true", help="5 × 20, 5 kills")
    ap.add_argument("--skip-kill", action="store_true")
    args = ap.parse_args(argv)
    if args.quick:
        args.kiosks, args.each, args.kills, args.kill_each = 5, 20, 5, 20
    pg = PgSandbox().start()
    result: dict[str, object] = {
        "cpus": os.cpu_count(),
        "python": sys.version.split()[0],
        "workers": args.workers,
        "load_average_before": os.getloadavg()[0],
    }
    try:
        with tempfile.TemporaryDirectory(prefix="bo-bench-") as tmp:
            root = Path(tmp)
            pki = Pki.make(root / "pki")
            dsn = pg.new_database()
            svc = Service(service_settings(dsn, pki, workers=args.workers), root / "svc-load")
            (root / "svc-load").mkdir()
            svc.start()
            try:
                t0 = time.perf_counter()
                kiosks = make_kiosks(root / "kiosks", pki, dsn, svc, args.kiosks, args.each,
                                     args.photo_width)  # fmt: skip
                result["prepare_s"] = round(time.perf_counter() - t0, 1)
                result["load"] = load(kiosks)
                print(json.dumps(result["load"]), file=sys.stderr)
                for k in kiosks:
                    k.store.close()
            finally:
                svc.stop()
            if not args.skip_kill:
                dsn2 = pg.new_database()
                (root / "svc-kill").mkdir()
                svc2 = Service(
                    service_settings(dsn2, pki, workers=args.workers), root / "svc-kill"
                ).start()
                try:
                    kiosks = make_kiosks(root / "kill-kiosks", pki, dsn2, svc2, args.kill_kiosks,
                                         args.kill_each, args.photo_width)  # fmt: skip
                    t0 = time.perf_counter()
                    result["kill"] = kill_loop(kiosks, svc2, dsn2, args.kills)
                    result["kill"]["elapsed_s"] = round(time.perf_counter() - t0, 1)  # type: ignore[index]
                    print(json.dumps(result["kill"]), file=sys.stderr)
                    for k in kiosks:
                        k.store.close()
                finally:
                    svc2.stop()
    finally:
        pg.stop()
    RESULTS.mkdir(exist_ok=True)
    out = RESULTS / "backoffice_load.json"
    out.write_text(json.dumps(result, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    print(json.dumps(result, indent=2))
    kill = result.get("kill")
    if isinstance(kill, dict) and (kill["lost"] or kill["duplicated"]):
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
