"""Every procedure the kiosk knows, by id: the one list the rest of the kiosk asks.

`kiosk.config.ALL_PROCEDURES` (what a site may offer, and the audit's allow-list) must equal
`IDS`; config sits below `flows` (the store imports it), so a test holds them equal."""

from __future__ import annotations

from kiosk.flows.procedures import higai, insurance, risai, support_check
from kiosk.flows.procedures.procedure import Procedure

PROCEDURES: dict[str, Procedure] = {
    p.id: p
    for p in (insurance.PROCEDURE, risai.PROCEDURE, higai.PROCEDURE, support_check.PROCEDURE)
}
IDS: tuple[str, ...] = tuple(PROCEDURES)


def procedure(procedure_id: str) -> Procedure:
    """The procedure with this id; ValueError for one the kiosk does not know."""
    try:
        return PROCEDURES[procedure_id]
    except KeyError:
        raise ValueError(f"unknown procedure {procedure_id!r}") from None
