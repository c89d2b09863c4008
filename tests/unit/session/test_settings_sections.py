"""The [session], [ui] and [staff] settings the resident's screens rely on."""

from __future__ import annotations

import pytest

from kiosk.config import from_dict
from kiosk.errors import ConfigError
from kiosk.flows.staff import ConfigStaff, pin_hash

H = pin_hash("demo-clerk", "1111")  # a well-formed argon2id hash


def test_defaults_are_safe() -> None:
    s = from_dict({})
    assert s.session.warning_s >= 20 and s.session.take_card_repeat_s == 8
    assert (s.ui.switch_scan, s.ui.switch_next_key, s.ui.switch_select_key) == (
        False,
        "Space",
        "Return",
    )


@pytest.mark.parametrize(
    "raw,named",
    [
        ({"session": {"warning_s": 10}}, "session"),
        ({"session": {"take_card_repeat_s": 1}}, "session"),
        ({"ui": {"switch_next_key": "Return"}}, "ui"),
        ({"ui": {"switch_next_key": "Escape"}}, "ui.switch_next_key"),
        ({"staff": {"members": [{"id": "Yamada Taro", "role": "clerk", "pin_hash": H}]}},
         "staff.members[0]"),
        ({"staff": {"members": [{"id": "clerk1", "role": "clerk", "pin_hash": "1234"}]}},
         "staff.members[0]"),
        ({"staff": {"members": [{"id": "clerk1", "role": "boss", "pin_hash": H}]}},
         "staff.members[0].role"),
    ],
)  # fmt: skip
def test_bad_values_name_their_key(raw: dict[str, object], named: str) -> None:
    with pytest.raises(ConfigError, match=named.replace("[", r"\[").replace("]", r"\]")):
        from_dict(raw)


def test_staff_sign_in_checks_the_salted_hash_of_the_pin() -> None:
    s = from_dict(
        {
            "staff": {
                "members": [
                    {"id": "clerk1", "role": "clerk", "pin_hash": pin_hash("clerk1", "4821")}
                ]
            }
        }
    )
    staff = ConfigStaff(s.staff)
    assert staff.member_ids() == ("clerk1",)
    who = staff.sign_in("clerk1", "4821")
    assert who is not None and who.role == "clerk"
    assert staff.sign_in("clerk1", "4822") is None
    assert staff.sign_in("clerk2", "4821") is None
    assert staff.sign_in("clerk1", "") is None
    # A salt per member: the same PIN never gives the same stored hash twice.
    assert pin_hash("clerk1", "4821") != pin_hash("clerk2", "4821")


def test_switch_keys_from_names(qapp: object) -> None:
    from PySide6.QtCore import Qt

    from kiosk.ui.main_window import SwitchKeys

    keys = SwitchKeys.from_names("F1", "F2")
    assert (keys.next, keys.select) == (Qt.Key.Key_F1, Qt.Key.Key_F2)
    assert SwitchKeys.from_names("Space", "Return") == SwitchKeys()
