-- The generic job scheduler (owned by the `jobs` crate) and the email outbox with the
-- account features that first use it: email verification, password reset, notification
-- preferences.

CREATE TYPE job_run_status AS ENUM ('pending', 'running', 'succeeded', 'failed');

-- The last tick each job was scheduled for; the row lock serialises schedulers per job.
CREATE TABLE job_schedules (
    job text PRIMARY KEY,
    last_tick timestamptz NOT NULL
);

-- One row per job per tick: however many instances schedule, a tick runs once.
CREATE TABLE job_runs (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    job text NOT NULL,
    tick timestamptz NOT NULL,
    manual boolean NOT NULL DEFAULT false,
    status job_run_status NOT NULL DEFAULT 'pending',
    attempts integer NOT NULL DEFAULT 0,
    max_attempts integer NOT NULL CHECK (max_attempts > 0),
    run_after timestamptz NOT NULL,
    worker text,
    lease_until timestamptz,
    started_at timestamptz,
    finished_at timestamptz,
    last_error text,
    created_at timestamptz NOT NULL DEFAULT now(),
    UNIQUE (job, tick)
);
CREATE INDEX job_runs_claim_idx ON job_runs (run_after, id) WHERE status IN ('pending', 'running');
CREATE INDEX job_runs_job_idx ON job_runs (job, tick DESC);

CREATE TYPE outbox_status AS ENUM ('pending', 'sending', 'sent', 'failed');

-- Emails are rendered and written here in the transaction of the change that causes them;
-- the sender delivers them afterwards.
CREATE TABLE outbox (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    template text NOT NULL,
    to_address text NOT NULL,
    to_name text NOT NULL DEFAULT '',
    user_id uuid REFERENCES users (id) ON DELETE SET NULL,
    subject text NOT NULL,
    text_body text NOT NULL,
    html_body text NOT NULL,
    -- Why the reader got it, for the admin view.
    reason text NOT NULL,
    -- The notification kind a reader may stop (NULL: a message they cannot opt out of).
    optional_kind text,
    message_id text NOT NULL UNIQUE,
    status outbox_status NOT NULL DEFAULT 'pending',
    attempts integer NOT NULL DEFAULT 0,
    run_after timestamptz NOT NULL DEFAULT now(),
    lease_until timestamptz,
    last_error text,
    created_at timestamptz NOT NULL DEFAULT now(),
    sent_at timestamptz
);
CREATE INDEX outbox_claim_idx ON outbox (run_after, id) WHERE status IN ('pending', 'sending');
CREATE INDEX outbox_created_idx ON outbox (created_at DESC);

ALTER TABLE users ADD COLUMN email_verified_at timestamptz;

CREATE TYPE account_token_purpose AS ENUM ('verify_email', 'reset_password');

-- Single-use tokens sent by email. Only a SHA-256 of the token is kept.
CREATE TABLE account_tokens (
    token_hash bytea PRIMARY KEY,
    user_id uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    purpose account_token_purpose NOT NULL,
    expires_at timestamptz NOT NULL,
    used_at timestamptz,
    created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX account_tokens_user_idx ON account_tokens (user_id, purpose);

-- Optional notifications a user has turned off (absent row: on).
CREATE TABLE notification_opt_outs (
    user_id uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    kind text NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (user_id, kind)
);

-- The service types a provider user wants opening notices for (none: all of them).
CREATE TABLE notification_service_types (
    user_id uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    service_type text NOT NULL,
    PRIMARY KEY (user_id, service_type)
);
