-- Kiosks, the submissions they delivered (exactly once by idempotency key), the audit witness.

CREATE TABLE kiosks (
    kiosk_id            text PRIMARY KEY CHECK (kiosk_id ~ '^[A-Za-z0-9._-]{1,64}$'),
    cert_sha256         text NOT NULL UNIQUE CHECK (cert_sha256 ~ '^[0-9a-f]{64}$'),
    signing_public_key  bytea NOT NULL CHECK (length(signing_public_key) = 32),
    label               text NOT NULL DEFAULT '',
    enrolled_at         timestamptz NOT NULL DEFAULT now(),
    revoked_at          timestamptz
);

CREATE TABLE submissions (
    id                  bigserial PRIMARY KEY,
    idempotency_key     text NOT NULL,
    reference           text NOT NULL,
    kiosk_id            text NOT NULL REFERENCES kiosks,
    kind                text NOT NULL,
    schema_version      integer NOT NULL,
    created_at          timestamptz NOT NULL,
    received_at         timestamptz NOT NULL DEFAULT now(),
    via                 text NOT NULL CHECK (via IN ('https', 'folder')),
    document_sha256     text NOT NULL,
    payload             jsonb NOT NULL,
    -- Exactly once: a second delivery of the same key loses the race here, not in Python.
    CONSTRAINT submissions_idempotency_key UNIQUE (idempotency_key)
);
CREATE INDEX submissions_kind ON submissions (kind, received_at);

CREATE TABLE attachments (
    submission_id       bigint NOT NULL REFERENCES submissions ON DELETE CASCADE,
    idx                 integer NOT NULL,
    media_type          text NOT NULL,
    sha256              text NOT NULL,
    data                bytea NOT NULL,
    PRIMARY KEY (submission_id, idx)
);

-- Every signed audit head a kiosk showed us; one hash per (kiosk, seq) or it forked.
CREATE TABLE audit_heads (
    kiosk_id            text NOT NULL REFERENCES kiosks,
    seq                 bigint NOT NULL,
    hash                text NOT NULL,
    signature           bytea NOT NULL,
    first_seen_at       timestamptz NOT NULL DEFAULT now(),
    last_seen_at        timestamptz NOT NULL DEFAULT now(),
    via                 text NOT NULL,
    PRIMARY KEY (kiosk_id, seq)
);

CREATE TABLE witness_alerts (
    id                  bigserial PRIMARY KEY,
    kiosk_id            text NOT NULL REFERENCES kiosks,
    problem             text NOT NULL CHECK (problem IN ('rollback', 'fork')),
    seq                 bigint NOT NULL,
    hash                text NOT NULL,
    known_seq           bigint NOT NULL,
    known_hash          text NOT NULL,
    seen_at             timestamptz NOT NULL DEFAULT now(),
    cleared_at          timestamptz
);
