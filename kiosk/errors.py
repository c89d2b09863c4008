"""Two kinds of failure, told apart for staff (after qutebrowser's KnownError/BugError).

A `KnownError` means the environment is at fault (disk full, reader unplugged, locked
database, bad configuration) and carries a message id that the UI translates and a hint
for staff. Anything else that escapes is a bug.
"""

from __future__ import annotations


class KnownError(Exception):
    """The environment, not the program, is at fault. `message_id` is translatable."""

    exit_code = 1

    def __init__(self, message_id: str, detail: str = "", **params: object) -> None:
        super().__init__(detail or message_id)
        self.message_id = message_id
        self.detail = detail
        self.params = params


class ConfigError(KnownError):
    """A bad or unknown configuration key; the message names the key and the file."""

    exit_code = 2

    def __init__(self, detail: str) -> None:
        super().__init__("error.config", detail)


class AlreadyRunning(KnownError):
    """A second kiosk was started on the same data directory."""
