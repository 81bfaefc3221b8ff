-- Foundation: organisations, users, districts, CQC locations, token revocation,
-- idempotency keys and the hash-chained audit log.

CREATE TYPE organisation_kind AS ENUM ('council', 'provider');
CREATE TYPE user_role AS ENUM ('admin', 'commissioner', 'evaluator', 'contract_manager', 'provider');
CREATE TYPE cqc_rating AS ENUM ('outstanding', 'good', 'requires_improvement', 'inadequate', 'not_yet_rated');

CREATE TABLE organisations (
    id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    kind organisation_kind NOT NULL,
    legal_name text NOT NULL CHECK (length(legal_name) BETWEEN 1 AND 200),
    companies_house_number text CHECK (companies_house_number ~ '^[A-Z0-9]{8}$'),
    charity_number text CHECK (charity_number ~ '^[0-9]{6,8}(-[0-9]{1,2})?$'),
    address_line1 text NOT NULL DEFAULT '',
    address_line2 text NOT NULL DEFAULT '',
    town text NOT NULL DEFAULT '',
    postcode text NOT NULL DEFAULT '',
    active boolean NOT NULL DEFAULT true,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX organisations_companies_house_number_key
    ON organisations (companies_house_number) WHERE companies_house_number IS NOT NULL;
CREATE UNIQUE INDEX organisations_charity_number_key
    ON organisations (charity_number) WHERE charity_number IS NOT NULL;
CREATE INDEX organisations_kind_name_idx ON organisations (kind, lower(legal_name));

-- The localities the council plans services by. One deployment serves one council.
CREATE TABLE districts (
    id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    name text NOT NULL UNIQUE CHECK (length(name) BETWEEN 1 AND 100),
    created_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE organisation_districts (
    organisation_id uuid NOT NULL REFERENCES organisations (id) ON DELETE CASCADE,
    district_id uuid NOT NULL REFERENCES districts (id),
    PRIMARY KEY (organisation_id, district_id)
);

CREATE TABLE cqc_locations (
    id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    organisation_id uuid NOT NULL REFERENCES organisations (id) ON DELETE CASCADE,
    location_id text NOT NULL UNIQUE CHECK (location_id ~ '^1-[0-9]{9,11}$'),
    name text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
    rating cqc_rating NOT NULL DEFAULT 'not_yet_rated',
    rating_date date,
    created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX cqc_locations_organisation_idx ON cqc_locations (organisation_id);

CREATE TABLE users (
    id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    organisation_id uuid NOT NULL REFERENCES organisations (id),
    email text NOT NULL CHECK (length(email) BETWEEN 3 AND 254),
    name text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
    role user_role NOT NULL,
    password_hash text NOT NULL,
    active boolean NOT NULL DEFAULT true,
    failed_logins integer NOT NULL DEFAULT 0,
    locked_until timestamptz,
    -- Tokens issued before this instant are refused: set on deactivation and password change.
    sessions_valid_after timestamptz NOT NULL DEFAULT '1970-01-01T00:00:00Z',
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX users_email_key ON users (lower(email));
CREATE INDEX users_organisation_idx ON users (organisation_id);

-- Access tokens revoked before they expire (logout). Rows past expiry are useless and purged.
CREATE TABLE revoked_tokens (
    jti uuid PRIMARY KEY,
    expires_at timestamptz NOT NULL
);

-- A creating POST with an Idempotency-Key stores its answer here in the same transaction.
CREATE TABLE idempotency_keys (
    scope text NOT NULL,
    key text NOT NULL,
    request_hash bytea NOT NULL,
    response_status smallint,
    response_body bytea,
    created_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (scope, key)
);

-- Append-only audit log. Each row carries a SHA-256 over its own content and the previous
-- row's hash. The trigger takes a transaction-scoped advisory lock before numbering the row,
-- so the id order is the commit order and the chain can be walked by id.
CREATE SEQUENCE audit_log_id_seq AS bigint;
CREATE TABLE audit_log (
    id bigint PRIMARY KEY,
    occurred_at timestamptz NOT NULL DEFAULT now(),
    actor_user_id uuid,
    actor_label text NOT NULL,
    action text NOT NULL,
    record_type text NOT NULL,
    record_id text NOT NULL,
    organisation_id uuid,
    details jsonb NOT NULL DEFAULT '{}'::jsonb,
    prev_hash bytea NOT NULL,
    row_hash bytea NOT NULL
);
CREATE INDEX audit_log_record_idx ON audit_log (record_type, record_id);
CREATE INDEX audit_log_actor_idx ON audit_log (actor_user_id);
CREATE INDEX audit_log_action_idx ON audit_log (action);

CREATE FUNCTION audit_log_digest(prev bytea, r audit_log) RETURNS bytea
LANGUAGE sql IMMUTABLE AS $$
    SELECT sha256(prev || convert_to(jsonb_build_array(
        r.id,
        to_char(r.occurred_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"'),
        r.actor_user_id,
        r.actor_label,
        r.action,
        r.record_type,
        r.record_id,
        r.organisation_id,
        r.details
    )::text, 'UTF8'))
$$;

CREATE FUNCTION audit_log_chain() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    previous bytea;
BEGIN
    PERFORM pg_advisory_xact_lock(7316001);
    NEW.id := nextval('audit_log_id_seq');
    SELECT row_hash INTO previous FROM audit_log ORDER BY id DESC LIMIT 1;
    NEW.prev_hash := coalesce(previous, '\x'::bytea);
    NEW.row_hash := audit_log_digest(NEW.prev_hash, NEW);
    RETURN NEW;
END
$$;

CREATE TRIGGER audit_log_chain BEFORE INSERT ON audit_log
    FOR EACH ROW EXECUTE FUNCTION audit_log_chain();

CREATE FUNCTION audit_log_append_only() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'audit_log is append-only';
END
$$;

CREATE TRIGGER audit_log_append_only BEFORE UPDATE OR DELETE ON audit_log
    FOR EACH ROW EXECUTE FUNCTION audit_log_append_only();
CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON audit_log
    FOR EACH STATEMENT EXECUTE FUNCTION audit_log_append_only();
