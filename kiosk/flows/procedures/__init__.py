"""The procedures a resident can do at the kiosk: one plugin module each, plain Python.

- `procedure`: the `Procedure` protocol every plugin implements, and what it returns
  (`Filing`, `Paper`, `Refused`: values, not exceptions), the `Site` it runs on.
- `registry`: every procedure by id; nothing outside this package names one.
- `insurance`: health-insurance qualification at a clinic (`kiosk.flows.qualification`).
- `risai`: 罹災証明書 request (damage to the dwelling).
- `higai`: 被災証明書 request (non-dwellings, vehicles, household goods).
- `support_check`: questions → support estimates (`kiosk.flows.rules`).
- `certificate`: what the two certificate requests share (people, property, disaster, phone,
  photos; their checks, payload, form lines, questions and paper routes).
- `common`: people, proxies, disasters, photos, checks.
- `documents`: receipt, data-use receipt, pre-filled / blank form, 委任状, support result sheet.
- `catalog`: message text outside the Qt UI (`CatalogText`).

`kiosk.flows.services.SiteServices` asks the procedure the visit is doing for one question
at a time, then stores, prints and audits what it files. Each request validates to a list of
`Problem`s (translated message ids) and produces a payload matching
`docs/schema/<kind>.v1.json`; photos go to the store as attachments.
"""
