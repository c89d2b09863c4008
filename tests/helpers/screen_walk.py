"""One walk through every page of the kiosk (and the panels that cover a page), for
screenshots and for per-page checks."""

from __future__ import annotations

from collections.abc import Callable

from kiosk.flows.session import Page
from tests.helpers.kiosk_ui import Kiosk
from tests.helpers.session import CLERK_CARD, HANAKO


def to_card_front_reading(k: Kiosk) -> None:
    """The 照合番号B page asking to confirm what the camera read off the card front (a state of
    the page, not a page of its own: `walk` does not reach it). Needs `World(card_front=True)`."""
    k.place(HANAKO)
    k.tap("methodFace")
    k.tap("pinBReadFront")
    assert k.page is Page.PIN_B and k.session.front_read() is not None


def walk(k: Kiosk, visit: Callable[[], None]) -> None:
    """Visit every page at least once, calling visit() on each (the window shows it).

    The kiosk must be built over `World(defer=Deferred(), card_front=True)` so the reading page
    can be seen and the 照合番号B page is the one a kiosk with a camera shows.
    """
    visit()  # welcome
    k.world.defer.immediate = False
    k.place(HANAKO)
    visit()  # reading
    k.world.defer.run()
    k.world.defer.immediate = True
    visit()  # choose method
    k.tap("methodPin")
    visit()  # pin
    k.keypad("0000", "pinKeypad")
    k.keypad("0001", "pinKeypad")
    visit()  # last try
    k.tap("lastTryOther")
    k.tap("methodFace")
    visit()  # pin B
    k.keypad(HANAKO.pin_b, "pinBKeypad")
    visit()  # face
    k.tap("faceOther")
    k.tap("methodStaff")
    visit()  # staff sign-in
    k.tap("staff_clerk1")
    k.keypad("9999", "staffKeypad")
    k.keypad(HANAKO.pin_b, "pinBKeypad")
    visit()  # staff check
    k.tap("reason_accessibility")
    visit()  # read-back
    k.tap("readbackYes")
    k.tap("staffSignOut")
    visit()  # services
    k.tap("service_risai")
    visit()  # question
    for name in ("choice_yes", "choice_roof", "choice_site"):
        k.tap(name)
    visit()  # review
    k.tap("reviewOk")
    visit()  # consent
    k.tap("consentYes")
    visit()  # receipt
    k.tap("receiptAnother")
    k.tap("staffSignin")
    k.tap("staff_helper1")
    k.keypad("1111", "staffKeypad")
    k.tap("service_insurance")
    visit()  # step away
    k.tap("residentAlone")
    k.tap("handoff")
    visit()  # hand-off
    k.tap("handoffDone")
    visit()  # take card
    k.take()
    k.place(HANAKO)
    k.tap("methodPin")
    k.keypad(HANAKO.pin, "pinKeypad")
    k.tap("readbackNo")
    visit()  # not me
    k.tap("notMeDone")
    k.take()
    k.tap("staffSignin")
    k.tap("staff_admin1")
    k.keypad("0000", "staffKeypad")
    visit()  # administrator's figures


PANELS = ("language", "call", "timeout")


def walk_panels(k: Kiosk, visit: Callable[[str], None]) -> None:
    """Open each panel that covers a page (language chooser, staff call, timeout warning)
    over the choose-method page, calling visit(name) while it shows, then close it."""
    k.place(HANAKO)
    assert k.page is Page.CHOOSE_METHOD, k.page
    k.tap("languageButton")
    visit("language")
    k.tap("languageClose")
    k.tap("callStaff")
    visit("call")
    k.session.staff_card(CLERK_CARD)  # only staff end a call: the clerk's card and PIN
    k.session.staff_sign_in("clerk1", "9999")
    k.tap("staffSignOut")
    k.world.clock.advance(k.session.inactivity_s)
    k.session.tick()
    assert k.window.timeout_overlay.isVisible()
    visit("timeout")
    k.tap("keepGoing")
