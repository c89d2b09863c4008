"""Face verification against the card photo: frames in, decisions out.

Importing this package loads no model and imports neither OpenCV nor dlib; the models load on
the first enrolment (`models.load()`). The public API:

- `matcher.FaceMatcher` (synchronous: `enroll`, `observe`, `finish`, `new_attempt`, `forget`)
- `verifier.FaceVerifier` (the same on a worker thread: `submit` never blocks)
- `matcher.Decision`, `matcher.Observation`, `matcher.MatchSettings`
- `card_photo.decode`, `card_photo.simulate` (card-like JPEG 2000 from any portrait)
- `evaluate.evaluate` (FMR/FNMR per threshold, DET plot) behind `kiosk face evaluate`

Nothing here writes a face to disk: frames, crops and encodings live in memory and are
zeroed and dropped by `forget()` / `new_attempt()`.
"""
