"""Encrypted SQLite, outbox, audit log, retention. Knows no UI."""
