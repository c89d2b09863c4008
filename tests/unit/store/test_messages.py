"""Every message id the store can raise has a translation in all seven languages."""

from __future__ import annotations

import inspect

from kiosk.store import errors
from kiosk.ui.i18n_build import LANGUAGES, load_catalogs


def _raised_ids() -> set[str]:
    ids = set()
    for _, cls in inspect.getmembers(errors, inspect.isclass):
        if issubclass(cls, errors.StoreError) and cls is not errors.StoreError:
            params = list(inspect.signature(cls).parameters)
            args = {"NewerSchema": (3, 2), "DeliveryFailed": ("x",)}.get(cls.__name__, ())
            if not args and params:
                args = ("",)
            ids.add(cls(*args).message_id)
    return ids


def test_store_messages_exist_in_every_language() -> None:
    catalog = load_catalogs()
    ids = _raised_ids() | {"store.paper_route", "outbox.pending", "audit.broken"}
    assert "store.full" in ids and len(ids) >= 12
    for mid in sorted(ids):
        assert mid in catalog, mid
        assert set(catalog[mid]) >= set(LANGUAGES), mid
