"""Security figures: what a guessed staff PIN costs offline and online, and the key unlock.

Writes bench/results/security.json:
- `pin_guess_offline`: seconds per argon2id verification of a staff PIN (the attacker's cost
  per guess with a copied settings file, on this machine's CPU), and the time to try all
  10,000 four-digit PINs on one core;
- `pin_guess_online`: how many PINs the sign-in page checks in an hour and in a day of
  non-stop guessing at one id (lockout: 5 tries, then a wait that doubles from 30 s);
- `passphrase_unlock_s`: the argon2id stretch of `kiosk keys unlock` (once per boot).
"""

from __future__ import annotations

import json
import secrets
import statistics
import time
from pathlib import Path

from kiosk.config import StaffMember, StaffSettings
from kiosk.flows.staff import ConfigStaff, hash_pin, pin_matches
from kiosk.store.keysources import PassphraseKeys

RESULTS = Path(__file__).resolve().parent / "results"


def _offline(n: int = 15) -> dict[str, float]:
    stored = hash_pin("4821")
    samples = []
    for i in range(n):
        t = time.perf_counter()
        pin_matches(stored, f"{i:04d}")
        samples.append(time.perf_counter() - t)
    median = statistics.median(samples)
    return {
        "median_s_per_guess": round(median, 3),
        "min_s_per_guess": round(min(samples), 3),
        "hours_for_all_10000_on_one_core": round(median * 10_000 / 3600, 2),
        "n": n,
    }


def _online(hours: float) -> int:
    now = [0.0]
    member = StaffMember("clerk1", "clerk", hash_pin(secrets.token_hex(8)))
    staff = ConfigStaff(StaffSettings(members=(member,)), clock=lambda: now[0])
    checked = 0
    while now[0] < hours * 3600:
        wait = staff.locked_for("clerk1")
        if wait > 0:
            now[0] += wait
            continue
        staff.sign_in("clerk1", f"{checked:04d}")
        checked += 1
        now[0] += 2.0  # a fast human on the keypad
    return checked


def main() -> None:
    t = time.perf_counter()
    PassphraseKeys.stretch("correct horse battery staple", secrets.token_bytes(16))
    unlock = time.perf_counter() - t
    result = {
        "pin_guess_offline": _offline(),
        "pin_guess_online": {"checked_in_1_hour": _online(1), "checked_in_24_hours": _online(24)},
        "passphrase_unlock_s": round(unlock, 2),
    }
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "security.json").write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
