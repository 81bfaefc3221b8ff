DROP INDEX stored_files_organisation_idx;
ALTER TABLE stored_files DROP COLUMN organisation_id;
DROP TABLE invitations;
DROP TYPE invitation_kind;
DROP TABLE pending_registrations;
DROP TABLE sign_in_throttle;
ALTER TABLE users ADD COLUMN failed_logins integer NOT NULL DEFAULT 0,
    ADD COLUMN locked_until timestamptz;
DROP TABLE audit_checkpoints;
DROP TABLE audit_sealer;
DROP TABLE audit_seals;
DROP INDEX audit_log_xact_idx;
ALTER TABLE audit_log DROP COLUMN xact_id;
-- The chain of the first migration cannot be rebuilt for rows written since; the log keeps
-- its rows, with empty hashes.
ALTER TABLE audit_log ADD COLUMN prev_hash bytea NOT NULL DEFAULT '\x',
    ADD COLUMN row_hash bytea NOT NULL DEFAULT '\x';
ALTER TABLE audit_log ALTER COLUMN id DROP DEFAULT;
CREATE FUNCTION audit_log_digest(prev bytea, r audit_log) RETURNS bytea
LANGUAGE sql IMMUTABLE AS $$
    SELECT sha256(prev || convert_to(jsonb_build_array(
        r.id,
        to_char(r.occurred_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"'),
        r.actor_user_id, r.actor_label, r.action, r.record_type, r.record_id,
        r.organisation_id, r.details
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
