-- The clerks' side: requests and their states, staff with roles, sessions, the audit trail.

CREATE TABLE requests (
    id                  bigserial PRIMARY KEY,
    submission_id       bigint NOT NULL UNIQUE REFERENCES submissions,
    kind                text NOT NULL CHECK (kind IN ('risai', 'higai')),
    disaster_id         text NOT NULL,
    area                text NOT NULL,
    status              text NOT NULL DEFAULT 'received'
                        CHECK (status IN ('received', 'survey', 'graded', 'issued', 'handed_over')),
    survey_method       text CHECK (survey_method IN ('site', 'self')),
    grade               text CHECK (grade IN ('zenkai', 'daikibo-hankai', 'chukibo-hankai',
                                               'hankai', 'jun-hankai', 'ichibu-sonkai')),
    flooding            text,
    surveyor_note       text NOT NULL DEFAULT '',
    resurveys           integer NOT NULL DEFAULT 0,
    certificate_no      text UNIQUE,
    issued_at           timestamptz,
    handed_over_at      timestamptz,
    certificate_pdf     bytea,
    updated_at          timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX requests_queue ON requests (status, disaster_id, area);

CREATE TABLE certificate_counters (
    prefix              text NOT NULL,
    year                integer NOT NULL,
    last                integer NOT NULL,
    PRIMARY KEY (prefix, year)
);

CREATE TABLE staff (
    id                  bigserial PRIMARY KEY,
    username            text NOT NULL UNIQUE CHECK (username ~ '^[a-z][a-z0-9_-]{1,31}$'),
    role                text NOT NULL CHECK (role IN ('clerk', 'supervisor', 'admin')),
    password_hash       text NOT NULL,
    totp_secret         text NOT NULL,
    last_totp_step      bigint NOT NULL DEFAULT 0,
    failed_logins       integer NOT NULL DEFAULT 0,
    active              boolean NOT NULL DEFAULT true,
    created_at          timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE staff_sessions (
    token_sha256        text PRIMARY KEY,
    staff_id            bigint NOT NULL REFERENCES staff,
    csrf_token          text NOT NULL,
    created_at          timestamptz NOT NULL DEFAULT now(),
    expires_at          timestamptz NOT NULL
);

-- Who did what to which request: ids and action names only, never a resident's data.
CREATE TABLE clerk_audit (
    id                  bigserial PRIMARY KEY,
    at                  timestamptz NOT NULL DEFAULT now(),
    staff_id            bigint REFERENCES staff,
    action              text NOT NULL,
    request_id          bigint REFERENCES requests,
    kiosk_id            text,
    detail              jsonb NOT NULL DEFAULT '{}'
);
CREATE INDEX clerk_audit_request ON clerk_audit (request_id);

CREATE FUNCTION clerk_audit_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'clerk_audit is append-only';
END $$;
CREATE TRIGGER clerk_audit_no_update BEFORE UPDATE OR DELETE ON clerk_audit
    FOR EACH ROW EXECUTE FUNCTION clerk_audit_append_only();
