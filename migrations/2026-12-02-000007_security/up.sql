-- Security and integrity (issue 9).

-- 1. The audit chain moves out of the writing transaction. Writers only append a row; the
--    sealer (backend/src/audit/seal.rs) later hashes committed rows in Rust, one chain in
--    sealing order, and signs its head. Nothing the database computes is trusted by the
--    verifier, and no writer waits for another.
DROP TRIGGER audit_log_chain ON audit_log;
DROP FUNCTION audit_log_chain();
DROP FUNCTION audit_log_digest(bytea, audit_log);
ALTER SEQUENCE audit_log_id_seq OWNED BY audit_log.id;
ALTER TABLE audit_log ALTER COLUMN id SET DEFAULT nextval('audit_log_id_seq');
ALTER TABLE audit_log DROP COLUMN prev_hash, DROP COLUMN row_hash;
-- The writing transaction's id: rows of transactions older than the oldest one still
-- running are final (committed or gone), so the sealer seals exactly those, once.
ALTER TABLE audit_log ADD COLUMN xact_id bigint NOT NULL DEFAULT (pg_current_xact_id()::text::bigint);
CREATE INDEX audit_log_xact_idx ON audit_log (xact_id);

-- One row per sealed audit row, in sealing order: row_hash = SHA-256(prev_hash, the row).
CREATE TABLE audit_seals (
    seq bigint PRIMARY KEY CHECK (seq > 0),
    audit_id bigint NOT NULL UNIQUE,
    prev_hash bytea NOT NULL,
    row_hash bytea NOT NULL,
    sealed_at timestamptz NOT NULL DEFAULT now()
);

-- Where the sealer has got to, signed with a key the database does not hold.
CREATE TABLE audit_sealer (
    singleton boolean PRIMARY KEY DEFAULT true CHECK (singleton),
    sealed_xmin bigint NOT NULL DEFAULT 0,
    head_seq bigint NOT NULL DEFAULT 0,
    head_hash bytea NOT NULL DEFAULT '\x',
    signature bytea NOT NULL DEFAULT '\x',
    updated_at timestamptz NOT NULL DEFAULT now()
);
INSERT INTO audit_sealer DEFAULT VALUES;

-- Signed checkpoints of the chain's head, each signing the one before; the daily one is
-- emailed to the administrators, who keep the anchor outside the database.
CREATE TABLE audit_checkpoints (
    id bigserial PRIMARY KEY,
    sealed_through bigint NOT NULL,
    head_hash bytea NOT NULL,
    created_at timestamptz NOT NULL,
    prev_signature bytea NOT NULL,
    signature bytea NOT NULL
);

CREATE TRIGGER audit_seals_append_only BEFORE UPDATE OR DELETE ON audit_seals
    FOR EACH ROW EXECUTE FUNCTION audit_log_append_only();
CREATE TRIGGER audit_seals_no_truncate BEFORE TRUNCATE ON audit_seals
    FOR EACH STATEMENT EXECUTE FUNCTION audit_log_append_only();
CREATE TRIGGER audit_checkpoints_append_only BEFORE UPDATE OR DELETE ON audit_checkpoints
    FOR EACH ROW EXECUTE FUNCTION audit_log_append_only();
CREATE TRIGGER audit_checkpoints_no_truncate BEFORE TRUNCATE ON audit_checkpoints
    FOR EACH STATEMENT EXECUTE FUNCTION audit_log_append_only();

-- 2. Sign-in throttling by email address and by (email address, client address), whether
--    or not an account has the address. Keys are SHA-256 digests: the table keeps neither
--    the addresses people typed nor where they typed them from.
ALTER TABLE users DROP COLUMN failed_logins, DROP COLUMN locked_until;
CREATE TABLE sign_in_throttle (
    key bytea PRIMARY KEY,
    -- The email address's own key, on both kinds of row, so a password reset clears all.
    email_key bytea NOT NULL,
    failures integer NOT NULL,
    window_started_at timestamptz NOT NULL
);
CREATE INDEX sign_in_throttle_email_idx ON sign_in_throttle (email_key);

-- 3. Registrations wait for the address to be confirmed: nothing is created, and nothing
--    says whether the address already had an account, until the link in the email is used.
CREATE TABLE pending_registrations (
    token_hash bytea PRIMARY KEY,
    email text NOT NULL,
    details jsonb NOT NULL,
    password_hash text NOT NULL,
    expires_at timestamptz NOT NULL,
    used_at timestamptz,
    created_at timestamptz NOT NULL DEFAULT now()
);

-- 4. A provider's people join by invitation from the provider's own users. The platform
--    operator's account recovery is an invitation too, with a reason, for 24 hours, told to
--    the provider's users, and not usable while a bid of theirs is sealed before its deadline.
CREATE TYPE invitation_kind AS ENUM ('colleague', 'support_recovery');
CREATE TABLE invitations (
    id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    organisation_id uuid NOT NULL REFERENCES organisations (id),
    kind invitation_kind NOT NULL,
    email text NOT NULL CHECK (length(email) BETWEEN 3 AND 254),
    name text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
    reason text NOT NULL DEFAULT '',
    token_hash bytea NOT NULL UNIQUE,
    invited_by uuid NOT NULL REFERENCES users (id),
    created_at timestamptz NOT NULL DEFAULT now(),
    expires_at timestamptz NOT NULL,
    accepted_at timestamptz,
    accepted_user_id uuid REFERENCES users (id),
    revoked_at timestamptz,
    revoked_by uuid REFERENCES users (id)
);
CREATE INDEX invitations_organisation_idx ON invitations (organisation_id, created_at DESC);

-- 5. Uploads count against their organisation's quota.
ALTER TABLE stored_files ADD COLUMN organisation_id uuid REFERENCES organisations (id);
UPDATE stored_files f SET organisation_id = u.organisation_id FROM users u WHERE u.id = f.uploaded_by;
ALTER TABLE stored_files ALTER COLUMN organisation_id SET NOT NULL;
CREATE INDEX stored_files_organisation_idx ON stored_files (organisation_id);
