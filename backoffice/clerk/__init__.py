"""The clerks' web UI (Japanese first, English): queue, request, survey, grade, issue."""
