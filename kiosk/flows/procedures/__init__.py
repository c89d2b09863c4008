"""The procedures a resident can do at the kiosk, as plain-Python models (no widgets).

- `risai`: 罹災証明書 request (damage to the dwelling).
- `higai`: 被災証明書 request (non-dwellings, vehicles, household goods).
- `support_check`: questions → support estimates (`kiosk.flows.rules`).
- `insurance`: health-insurance display and the clinic payload (`kiosk.flows.qualification`).
- `common`: people, proxies, disasters, photos (`PhotoSource`, `PhotoSet`), checks.
- `certificate`: what the two certificate requests share (people, property, disaster, phone,
  photos; their checks, payload and form lines).
- The session asks them one question at a time through `kiosk.flows.services.SiteServices`.
- `documents`: receipt, data-use receipt, pre-filled / blank form, 委任状, support result sheet.
- `catalog`: message text outside the Qt UI (`CatalogText`).

Each request validates to a list of `Problem`s (translated message ids) and produces a payload
dict matching `docs/schema/<kind>.v1.json`; photos go to the store as attachments.
"""
