"""What the resident takes home: the receipt, the data-use receipt and a procedure's own
printouts, as PDFs in the visit's folder, printed when a printer is set.

A printed PDF is deleted at once; the rest go when the visit is dropped (`Visit.drop`), and by
the store's tmp purge as a last resort. A printer fault never undoes a stored submission."""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from datetime import datetime
from pathlib import Path

from kiosk import logs
from kiosk.config import Settings
from kiosk.devices.printer import PrintOutcome
from kiosk.errors import KnownError
from kiosk.flows.procedures import documents
from kiosk.flows.procedures.catalog import CatalogText
from kiosk.flows.procedures.procedure import Printout
from kiosk.flows.visit import Visit
from kiosk.store.store import Store

log = logging.getLogger("kiosk.services")
_AUTH: dict[str, documents.AuthMethod] = {"face": "face", "pin": "pin", "staff": "staff"}


class TakeHome:
    """Prints for one kiosk into each visit's own folder under `root`."""

    def __init__(self, settings: Settings, store: Store, root: Path) -> None:
        self._settings = settings
        self._store = store
        self._root = root

    def documents(
        self,
        visit: Visit,
        procedure: documents.DataUser,
        reference: str,
        steps: Sequence[str],
        now: datetime,
        extra: Callable[[str], Sequence[Printout]],
    ) -> bool:
        """Receipt, data-use receipt and `extra(reference)`; True when all were printed. The
        two receipts leave an `export` audit entry each (the right to know, no content)."""
        site = self._settings.site
        method = _AUTH.get(visit.method.value if visit.method else "", "none")
        printouts = [
            Printout(documents.receipt(procedure.id, reference, now, steps, site.name),
                     f"receipt-{reference}"),
            Printout(documents.data_use(procedure, now, method, site.responsible, reference,
                                        card_read=visit.holder is not None),
                     f"data-use-{reference}"),
            *extra(reference),
        ]  # fmt: skip
        printed = True
        for i, printout in enumerate(printouts):
            ok = True
            try:
                printed = self.output(visit, printout).printed and printed
            except KnownError as e:
                logs.event(log, "services.print_failed", logging.WARNING, error=e.message_id)
                printed = ok = False
            if i < 2:
                what = "receipt" if i == 0 else "data_use_receipt"
                self._audit_export(visit, procedure.id, reference, what, ok)
        return printed

    def output(self, visit: Visit, printout: Printout) -> PrintOutcome:
        """Write the PDF; print it when `[printer] name` is set, and then delete it at once."""
        language = visit.language
        printer = documents.printer_for(
            self._settings.printer, visit.printouts.folder(self._root), CatalogText(language),
            language,
        )  # fmt: skip
        visit.printouts.printers.append(printer)  # before writing: a failed print is cleaned up
        outcome = printer.output(printout.document, printout.name)
        if outcome.printed:
            printer.discard()
        return outcome

    def _audit_export(
        self, visit: Visit, procedure: str, reference: str, what: str, ok: bool
    ) -> None:
        try:
            self._store.audit(
                "export", session_id=visit.id, role=visit.role, purpose=procedure,
                reference=reference, what=what, outcome="ok" if ok else "failed",
            )  # fmt: skip
        except KnownError as e:  # the submission is stored: a full disk must not undo it
            logs.event(log, "services.audit_failed", logging.WARNING, error=e.message_id)
