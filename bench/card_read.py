"""Reading a My Number card over the real pcscd with the virtual card: APDUs, bytes, time.

One "read" is what a session does (kiosk.devices.card.mynumber.MyNumberCard.read) after
opening the reader and detecting the card by AID, on both paths:
- PIN: the text AP's basic info, integrity record, certificate and EF 0007 key record, then
  internal authentication in the text AP;
- 照合番号B: the same text-AP files but EF 0007, then the card face and its certificate, and
  internal authentication in the card-face AP;
and on both virtual-card profiles (kiosk/devices/card/virtual/profile.py): `tlv-extended`
(extended length, the ATR announces it) and `value-short` (the same ATR, but the card answers
an extended Le with 6700, so the kiosk falls back to 256-byte reads).

The minimum APDU count is what the data read allows: every fixed command once (detection's
SELECT of the text AP, the guard's tries query, VERIFY, the card-face AP's SELECT, tries and
VERIFY on the 照合番号B path, GET CHALLENGE, INTERNAL AUTHENTICATE) and each file in
ceil(size / chunk) reads, as if its length were known without reading its header; the chunk is
65535 bytes where the card takes extended length, else 256.

Writes bench/results/card_read.json and prints it.
"""

from __future__ import annotations

import json
import math
import statistics
import time
from pathlib import Path

from kiosk.devices.card import apdu, tlv
from kiosk.devices.card.mynumber import Integrity, InternalAuth, MyNumberCard
from kiosk.devices.card.pcscd import PcscDaemon
from kiosk.devices.card.reader import PcscCard, open_my_number_card
from kiosk.devices.card.transport import AID_FACE, AID_TEXT
from kiosk.devices.card.trust import TrustTable
from kiosk.devices.card.virtual import VirtualCardSlot, VirtualMyNumberCard, demo_resident
from kiosk.devices.card.virtual.profile import PROFILES, CardProfile

RESULTS = Path(__file__).resolve().parent / "results"
RESIDENT = "hanako"
ROUNDS = 30
PATHS = {
    # path: (files read, fixed commands)
    "pin": ((("text", 0x0002), ("text", 0x0003), ("text", 0x0004), ("text", 0x0007)), 1 + 2 + 2),
    "pin_b": (
        (("text", 0x0002), ("text", 0x0003), ("text", 0x0004), ("face", 0x0002), ("face", 0x0004)),
        2 * 3 + 2,
    ),
}


def one_read(reader: str, trust: TrustTable, path: str) -> dict[str, float]:
    r = demo_resident(RESIDENT)
    start = time.perf_counter()
    card: PcscCard
    with open_my_number_card(reader) as card:
        mnc = MyNumberCard(card, trust)
        reading = mnc.read(pin=r.pin) if path == "pin" else mnc.read(pin_b=r.pin_b)
        seconds = time.perf_counter() - start
        assert reading.integrity is Integrity.OK and reading.internal_auth is InternalAuth.OK
        return {
            "seconds": seconds,
            "apdus": card.apdu_count,
            "bytes_sent": card.bytes_sent,
            "bytes_received": card.bytes_received,
        }


def file_sizes(slot: VirtualCardSlot, path: str) -> dict[str, int]:
    """TLV lengths of the files a read on `path` touches (from the card, filler excluded)."""
    card = slot.card(RESIDENT)
    assert isinstance(card, VirtualMyNumberCard)
    aids = {"text": AID_TEXT, "face": AID_FACE}
    sizes = {}
    for ap, fid in PATHS[path][0]:
        data = card.image.applications[aids[ap]].files[fid].data
        _, hlen, vlen = tlv.parse_header(data)
        sizes[f"{ap}/{fid:04X}"] = hlen + vlen
    return sizes


def minimum_apdus(sizes: dict[str, int], fixed: int, chunk: int) -> int:
    return fixed + sum(math.ceil(n / chunk) for n in sizes.values())


def measure(slot: VirtualCardSlot, profile: CardProfile, trust: TrustTable) -> dict[str, object]:
    slot.use_profile(profile)
    slot.insert(RESIDENT)
    if not slot.wait_present():
        raise SystemExit("pcscd did not see the virtual card")
    chunk = apdu.EXTENDED_MAX - 1 if profile.extended_length else apdu.SHORT_MAX
    out: dict[str, object] = {"profile": profile.label}
    for path, (_, fixed) in PATHS.items():
        sizes = file_sizes(slot, path)
        one_read(slot.reader_name, trust, path)  # warm up
        runs = [one_read(slot.reader_name, trust, path) for _ in range(ROUNDS)]
        seconds = sorted(r["seconds"] for r in runs)
        apdus = int(runs[0]["apdus"])
        minimum = minimum_apdus(sizes, fixed, chunk)
        out[path] = {
            "file_bytes": sizes,
            "apdus": apdus,
            "minimum_apdus": minimum,
            "apdus_over_minimum": apdus - minimum,
            "bytes_sent": runs[0]["bytes_sent"],
            "bytes_received": runs[0]["bytes_received"],
            "median_ms": round(statistics.median(seconds) * 1000, 1),
            "p90_ms": round(seconds[int(ROUNDS * 0.9)] * 1000, 1),
        }
    slot.remove()
    slot.wait_absent()
    return out


def main() -> dict[str, object]:
    daemon = PcscDaemon.ensure(autostart=True)
    slot = VirtualCardSlot()
    try:
        trust = TrustTable.demo()
        result: dict[str, object] = {
            "what": "open reader + detect + read on the path (integrity, internal auth included)",
            "resident": RESIDENT,
            "rounds": ROUNDS,
        }
        for profile in PROFILES.values():
            result[profile.name] = measure(slot, profile, trust)
    finally:
        slot.close()
        daemon.stop()
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "card_read.json").write_text(json.dumps(result, indent=2, ensure_ascii=False) + "\n")
    print(json.dumps(result, indent=2, ensure_ascii=False))
    return result


if __name__ == "__main__":
    main()
