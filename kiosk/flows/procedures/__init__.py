"""The procedures a resident can do at the kiosk, as plain-Python models (no widgets).

- `risai`: 罹災証明書 request (damage to the dwelling).
- `higai`: 被災証明書 request (non-dwellings, vehicles, household goods).
- `support_check`: questions → support estimates (`kiosk.flows.rules`).
- `insurance`: health-insurance qualification display and consent (`kiosk.flows.qualification`).

Each request validates to a list of `Problem`s (translated message ids) and produces a payload
dict matching `docs/schema/<kind>.v1.json`.
"""
