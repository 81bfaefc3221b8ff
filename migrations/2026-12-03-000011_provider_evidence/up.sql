-- Provider evidence that membership of a market depends on: insurances with their
-- certificates, the history of CQC ratings, and the expiry reminders already sent.

-- An insurance on a provider's profile. `saved_at` is null while it is a draft (the pages
-- save what was typed before the check-your-answers step); a draft is never listed,
-- reminded about or counted as cover. A draft that changes a saved insurance names it in
-- `replaces_id`, and its values are copied onto that one when confirmed.
CREATE TABLE insurances (
    id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    organisation_id uuid NOT NULL REFERENCES organisations (id) ON DELETE CASCADE,
    kind text NOT NULL CHECK (kind IN ('public_liability', 'employers_liability', 'professional_indemnity', 'other')),
    -- What an "other" insurance covers (empty for the named kinds).
    description text NOT NULL DEFAULT '' CHECK (length(description) <= 200),
    insurer text NOT NULL CHECK (length(insurer) BETWEEN 1 AND 200),
    cover_pence bigint NOT NULL CHECK (cover_pence > 0),
    starts_on date NOT NULL,
    -- The last day the policy covers.
    expires_on date NOT NULL,
    certificate_file_id uuid NOT NULL REFERENCES stored_files (id),
    saved_at timestamptz,
    replaces_id uuid REFERENCES insurances (id) ON DELETE CASCADE,
    created_by uuid NOT NULL REFERENCES users (id),
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    CHECK (expires_on >= starts_on),
    CHECK (kind <> 'other' OR length(description) > 0),
    CHECK (replaces_id IS NULL OR saved_at IS NULL)
);
CREATE INDEX insurances_organisation_idx ON insurances (organisation_id, kind);
CREATE INDEX insurances_expiry_idx ON insurances (expires_on) WHERE saved_at IS NOT NULL;
CREATE UNIQUE INDEX insurances_one_change_draft_idx ON insurances (replaces_id) WHERE replaces_id IS NOT NULL;

-- Each expiry reminder sent: the key makes the job send each threshold once per insurance
-- and expiry date, however often it runs and on however many instances. A changed expiry
-- date is reminded about again.
CREATE TABLE insurance_reminders (
    insurance_id uuid NOT NULL REFERENCES insurances (id) ON DELETE CASCADE,
    threshold text NOT NULL CHECK (threshold IN ('30_days', '7_days', 'lapsed')),
    expires_on date NOT NULL,
    sent_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (insurance_id, threshold, expires_on)
);

-- Every rating a commissioner or administrator recorded for a CQC location. Keyed by
-- CQC's location ID rather than the location row, which a profile edit replaces.
CREATE TABLE cqc_rating_changes (
    id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    organisation_id uuid NOT NULL REFERENCES organisations (id) ON DELETE CASCADE,
    location_id text NOT NULL,
    location_name text NOT NULL,
    previous_rating cqc_rating NOT NULL,
    rating cqc_rating NOT NULL,
    report_date date NOT NULL,
    recorded_by uuid NOT NULL REFERENCES users (id),
    recorded_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX cqc_rating_changes_location_idx ON cqc_rating_changes (organisation_id, location_id, recorded_at DESC);
