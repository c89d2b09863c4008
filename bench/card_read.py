"""Reading a My Number card over the real pcscd with the virtual card: APDUs, bytes, time.

One "read" is what a session does with 照合番号B: basic info, card face, integrity of both,
internal authentication (kiosk.devices.card.mynumber.MyNumberCard.read), after opening the
reader and detecting the card by AID. Measured with extended-length reads (the virtual card's
ATR allows them) and with 256-byte reads (what a reader without extended length gets).

The minimum APDU count is what the data sizes allow: every fixed command once (SELECT of
each AP, the guard's tries query, VERIFY, GET CHALLENGE, INTERNAL AUTHENTICATE) and each file
in ceil(size / chunk) reads, as if its length were known without reading its header.

Writes bench/results/card_read.json and prints it.
"""

from __future__ import annotations

import json
import math
import statistics
import time
from pathlib import Path

from kiosk.devices.card import apdu
from kiosk.devices.card.mynumber import MyNumberCard
from kiosk.devices.card.pcscd import PcscDaemon
from kiosk.devices.card.reader import PcscCard, open_my_number_card
from kiosk.devices.card.trust import TrustTable
from kiosk.devices.card.virtual import VirtualCardSlot, demo_resident

RESULTS = Path(__file__).resolve().parent / "results"
RESIDENT = "hanako"
ROUNDS = 30
FILES = (("text", 0x0002), ("text", 0x0003), ("text", 0x0004), ("face", 0x0002), ("face", 0x0004))


def one_read(reader: str, trust: TrustTable, pin_b: str, max_read: int | None) -> dict[str, float]:
    start = time.perf_counter()
    card: PcscCard
    with open_my_number_card(reader, max_read=max_read) as card:
        reading = MyNumberCard(card, trust).read(pin_b=pin_b)
        assert reading.integrity.value == "ok" and reading.internal_auth
        seconds = time.perf_counter() - start
        return {
            "seconds": seconds,
            "apdus": card.apdu_count,
            "bytes_sent": card.bytes_sent,
            "bytes_received": card.bytes_received,
        }


def file_sizes(slot: VirtualCardSlot) -> dict[str, int]:
    """TLV lengths of the files a read touches (from the card, filler excluded)."""
    from kiosk.devices.card import tlv
    from kiosk.devices.card.transport import AID_FACE, AID_TEXT
    from kiosk.devices.card.virtual.card import VirtualMyNumberCard

    card = slot.card(RESIDENT)
    assert isinstance(card, VirtualMyNumberCard)
    aids = {"text": AID_TEXT, "face": AID_FACE}
    sizes = {}
    for ap, fid in FILES:
        data = card.image.applications[aids[ap]].files[fid].data
        _, hlen, vlen = tlv.parse_header(data)
        sizes[f"{ap}/{fid:04X}"] = hlen + vlen
    return sizes


def minimum_apdus(sizes: dict[str, int], chunk: int) -> int:
    # per AP: SELECT (the text AP's is detection's), tries, VERIFY; then GET CHALLENGE, INT AUTH
    fixed = 2 * 3 + 2
    return fixed + sum(math.ceil(n / chunk) for n in sizes.values())


def main() -> dict[str, object]:
    daemon = PcscDaemon.ensure(autostart=True)
    slot = VirtualCardSlot()
    try:
        slot.insert(RESIDENT)
        if not slot.wait_present():
            raise SystemExit("pcscd did not see the virtual card")
        trust = TrustTable.demo()
        pin_b = demo_resident(RESIDENT).pin_b
        sizes = file_sizes(slot)
        result: dict[str, object] = {
            "what": "open reader + detect + basic info + card face + integrity + internal auth",
            "resident": RESIDENT,
            "rounds": ROUNDS,
            "file_bytes": sizes,
        }
        for label, max_read, chunk in (
            ("extended", None, apdu.EXTENDED_MAX - 1),
            ("short", apdu.SHORT_MAX, apdu.SHORT_MAX),
        ):
            one_read(slot.reader_name, trust, pin_b, max_read)  # warm up
            runs = [one_read(slot.reader_name, trust, pin_b, max_read) for _ in range(ROUNDS)]
            result[label] = {
                "apdus": runs[0]["apdus"],
                "minimum_apdus": minimum_apdus(sizes, chunk),
                "bytes_sent": runs[0]["bytes_sent"],
                "bytes_received": runs[0]["bytes_received"],
                "median_ms": round(statistics.median(r["seconds"] for r in runs) * 1000, 1),
                "p90_ms": round(sorted(r["seconds"] for r in runs)[int(ROUNDS * 0.9)] * 1000, 1),
            }
    finally:
        slot.close()
        daemon.stop()
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "card_read.json").write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps(result, indent=2))
    return result


if __name__ == "__main__":
    main()
