"""Staff sign-in resists guessing: argon2id PIN hashes offline, growing lockouts online."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from argon2 import extract_parameters
from argon2.low_level import Type

from kiosk.config import StaffMember, StaffSettings
from kiosk.flows.site import StoreAudit
from kiosk.flows.staff import ConfigStaff, hash_pin, pin_hash, pin_matches
from kiosk.store import Store
from tests.helpers.store import open_store


class Ticks:
    """A monotonic clock the test moves."""

    def __init__(self) -> None:
        self.t = 1000.0

    def __call__(self) -> float:
        return self.t


MEMBERS = StaffSettings(
    members=(
        StaffMember("clerk1", "clerk", pin_hash("demo-clerk", "1111")),
        StaffMember("clerk2", "clerk", pin_hash("demo-admin", "9999")),
    )
)


def test_pins_are_argon2id_with_a_salt_each_and_memory_hard() -> None:
    a, b = hash_pin("4821"), hash_pin("4821")
    assert a != b  # a salt per hash: one table does not crack every member
    p = extract_parameters(a)
    assert p.type is Type.ID and p.memory_cost >= 64 * 1024 and p.time_cost >= 3
    assert pin_matches(a, "4821") and not pin_matches(a, "4822")
    assert not pin_matches("not a hash", "4821")


def test_five_wrong_pins_lock_the_id_and_the_wait_grows(tmp_path: Path) -> None:
    ticks = Ticks()
    staff = ConfigStaff(MEMBERS, clock=ticks)
    for _ in range(5):
        assert staff.sign_in("clerk1", "0000") is None
    assert staff.locked_for("clerk1") == 30
    assert staff.sign_in("clerk1", "1111") is None  # the right PIN, but locked: not even checked
    assert staff.sign_in("clerk2", "9999") is not None  # another id is not locked
    ticks.t += 30
    assert staff.sign_in("clerk1", "0000") is None  # a sixth wrong PIN: twice the wait
    assert staff.locked_for("clerk1") == 60
    ticks.t += 60
    who = staff.sign_in("clerk1", "1111")
    assert who is not None and who.id == "clerk1"
    assert staff.locked_for("clerk1") == 0  # a right PIN clears the count


def test_walking_the_ids_on_screen_locks_the_whole_kiosk() -> None:
    ticks = Ticks()
    staff = ConfigStaff(MEMBERS, clock=ticks)
    for i in range(10):  # fewer than five per id, ten in all (unknown ids count too)
        assert staff.sign_in(("clerk1", "clerk2", "nobody")[i % 3], "0000") is None
    assert staff.sign_in("clerk2", "9999") is None
    assert staff.locked_for("clerk2") > 0


def test_a_day_of_online_guessing_does_not_find_a_pin() -> None:
    ticks = Ticks()
    staff = ConfigStaff(replace(MEMBERS, members=MEMBERS.members[:1]), clock=ticks)
    tried = 0
    for guess in range(10_000):  # the red team opened clerk1 on guess 10,000 in 70 ms
        pin = f"{guess:04d}"
        if pin == "1111":
            continue  # the attacker's luck is not the question: how many guesses get checked
        while staff.locked_for("clerk1") > 0 and ticks.t < 1000.0 + 86400:
            ticks.t += staff.locked_for("clerk1")
        if ticks.t >= 1000.0 + 86400:
            break
        staff.sign_in("clerk1", pin)
        tried += 1
    assert tried < 20  # 5 free tries, then one per doubling wait: about 16 in a day


def test_each_lock_is_audited_with_the_configured_id_only(tmp_path: Path) -> None:
    with open_store(tmp_path) as store:
        settings = replace(store.settings, staff=MEMBERS)
        store.close()
        with Store.open(store.data, settings) as s:
            staff = ConfigStaff(MEMBERS, clock=Ticks(), audit=StoreAudit(s))
            for _ in range(5):
                staff.sign_in("clerk1", "0000")
            for _ in range(5):
                staff.sign_in("yamada taro", "0000")  # typed-in text never reaches the log
            locks = [e for e in s.audit_entries() if e.event == "staff.signin"]
            assert [e.fields.get("outcome") for e in locks] == ["blocked"] * len(locks)
            assert {e.fields.get("staff_id") for e in locks} == {"clerk1", None}
            assert len(locks) >= 2 and s.verify_audit().ok
