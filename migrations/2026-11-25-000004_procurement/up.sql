-- The evaluation engine (DOMAIN.md, "The evaluation engine"): procurements, their
-- questionnaires, clarifications, sealed submissions, evaluator panels, scores,
-- moderation and award. A procurement's status is derived from the timestamps here,
-- never stored as a column of its own.

CREATE TABLE procurements (
    id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    council_id uuid NOT NULL REFERENCES organisations (id),
    reference text NOT NULL UNIQUE,
    title text NOT NULL,
    description text NOT NULL,
    service_type text NOT NULL,
    estimated_value_pence bigint NOT NULL CHECK (estimated_value_pence >= 0),
    regime text NOT NULL CHECK (regime IN ('pa2023', 'pcr2015')),
    light_touch boolean NOT NULL,
    procedure text NOT NULL,
    clarification_deadline timestamptz NOT NULL,
    submission_deadline timestamptz NOT NULL,
    planned_award_date date NOT NULL,
    standstill_working_days integer NOT NULL DEFAULT 8 CHECK (standstill_working_days BETWEEN 0 AND 30),
    conflicts_assessment text,
    conflicts_assessed_at timestamptz,
    conflicts_assessed_by uuid REFERENCES users (id),
    published_at timestamptz,
    opened_at timestamptz,
    opened_by uuid REFERENCES users (id),
    awarded_at timestamptz,
    awarded_by uuid REFERENCES users (id),
    award_notice jsonb,
    standstill_ends_at timestamptz,
    standstill_end_notified_at timestamptz,
    contract_entered_at timestamptz,
    cancelled_at timestamptz,
    created_by uuid NOT NULL REFERENCES users (id),
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    CHECK (clarification_deadline < submission_deadline),
    CHECK (published_at IS NULL OR conflicts_assessed_at IS NOT NULL),
    CHECK (contract_entered_at IS NULL OR contract_entered_at >= standstill_ends_at)
);
CREATE INDEX procurements_open ON procurements (submission_deadline) WHERE published_at IS NOT NULL;
CREATE INDEX procurements_standstill ON procurements (standstill_ends_at)
    WHERE standstill_ends_at IS NOT NULL AND standstill_end_notified_at IS NULL;

CREATE TABLE procurement_districts (
    procurement_id uuid NOT NULL REFERENCES procurements (id) ON DELETE CASCADE,
    district_id uuid NOT NULL REFERENCES districts (id),
    PRIMARY KEY (procurement_id, district_id)
);

CREATE TABLE procurement_lots (
    id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    procurement_id uuid NOT NULL REFERENCES procurements (id) ON DELETE CASCADE,
    number integer NOT NULL CHECK (number > 0),
    title text NOT NULL,
    description text NOT NULL DEFAULT '',
    UNIQUE (procurement_id, number)
);

-- Files: tender documents (public once published) and bidders' evidence (sealed like the
-- rest of a submission). The bytes live in the object store under `object_key`; the name a
-- user gave is kept only for display, after cleaning.
CREATE TABLE stored_files (
    id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    object_key text NOT NULL UNIQUE,
    display_name text NOT NULL,
    content_type text NOT NULL,
    size_bytes bigint NOT NULL CHECK (size_bytes > 0),
    sha256 text NOT NULL,
    uploaded_by uuid NOT NULL REFERENCES users (id),
    created_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE procurement_documents (
    procurement_id uuid NOT NULL REFERENCES procurements (id) ON DELETE CASCADE,
    file_id uuid NOT NULL REFERENCES stored_files (id),
    title text NOT NULL,
    PRIMARY KEY (procurement_id, file_id)
);

-- A questionnaire is a document of sections and questions, validated in Rust. Version 1
-- is edited freely until the procurement is published; then it is frozen and every
-- change makes a new version.
CREATE TABLE questionnaire_versions (
    procurement_id uuid NOT NULL REFERENCES procurements (id) ON DELETE CASCADE,
    version integer NOT NULL CHECK (version > 0),
    document jsonb NOT NULL,
    change_note text NOT NULL DEFAULT '',
    frozen_at timestamptz,
    created_by uuid NOT NULL REFERENCES users (id),
    created_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (procurement_id, version)
);

CREATE TABLE procurement_interests (
    procurement_id uuid NOT NULL REFERENCES procurements (id) ON DELETE CASCADE,
    organisation_id uuid NOT NULL REFERENCES organisations (id),
    user_id uuid NOT NULL REFERENCES users (id),
    created_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (procurement_id, organisation_id)
);

CREATE TABLE clarifications (
    id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    procurement_id uuid NOT NULL REFERENCES procurements (id) ON DELETE CASCADE,
    organisation_id uuid NOT NULL REFERENCES organisations (id),
    asked_by uuid NOT NULL REFERENCES users (id),
    question text NOT NULL,
    asked_at timestamptz NOT NULL DEFAULT now(),
    answer text,
    -- Published answers show the question, anonymised, to every bidder.
    published boolean NOT NULL DEFAULT false,
    answered_by uuid REFERENCES users (id),
    answered_at timestamptz,
    CHECK ((answer IS NULL) = (answered_at IS NULL))
);
CREATE INDEX clarifications_procurement ON clarifications (procurement_id, asked_at);

-- One submission per provider and lot (or per provider when there are no lots).
-- `answers` is the bidder's working copy (autosaved drafts); `sealed` is exactly what was
-- last submitted on time ({"answers": ..., "files": [...]}), the only content the council
-- ever reads, and only after the submissions are opened.
CREATE TABLE submissions (
    id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    procurement_id uuid NOT NULL REFERENCES procurements (id),
    organisation_id uuid NOT NULL REFERENCES organisations (id),
    lot_id uuid REFERENCES procurement_lots (id),
    questionnaire_version integer NOT NULL,
    answers jsonb NOT NULL DEFAULT '{}',
    sealed jsonb,
    submitted_at timestamptz,
    submitted_by uuid REFERENCES users (id),
    digest text,
    withdrawn_at timestamptz,
    outcome text CHECK (outcome IN ('successful', 'unsuccessful')),
    award_rank integer,
    assessment_summary jsonb,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    UNIQUE NULLS NOT DISTINCT (procurement_id, organisation_id, lot_id),
    FOREIGN KEY (procurement_id, questionnaire_version)
        REFERENCES questionnaire_versions (procurement_id, version)
);
CREATE INDEX submissions_organisation ON submissions (organisation_id);

CREATE TABLE submission_files (
    submission_id uuid NOT NULL REFERENCES submissions (id) ON DELETE CASCADE,
    question_id text NOT NULL,
    file_id uuid NOT NULL REFERENCES stored_files (id),
    PRIMARY KEY (submission_id, file_id)
);

-- Every on-time submission, for receipts and the record.
CREATE TABLE submission_receipts (
    id bigserial PRIMARY KEY,
    submission_id uuid NOT NULL REFERENCES submissions (id),
    submitted_at timestamptz NOT NULL,
    submitted_by uuid NOT NULL REFERENCES users (id),
    digest text NOT NULL
);

CREATE TABLE panel_members (
    procurement_id uuid NOT NULL REFERENCES procurements (id) ON DELETE CASCADE,
    user_id uuid NOT NULL REFERENCES users (id),
    assigned_by uuid NOT NULL REFERENCES users (id),
    assigned_at timestamptz NOT NULL DEFAULT now(),
    -- Set once the evaluator has declared, for every bidder, whether they have an interest.
    declared_at timestamptz,
    PRIMARY KEY (procurement_id, user_id)
);

CREATE TABLE conflict_declarations (
    procurement_id uuid NOT NULL,
    user_id uuid NOT NULL,
    organisation_id uuid NOT NULL REFERENCES organisations (id),
    conflicted boolean NOT NULL,
    details text NOT NULL DEFAULT '',
    declared_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (procurement_id, user_id, organisation_id),
    FOREIGN KEY (procurement_id, user_id) REFERENCES panel_members (procurement_id, user_id) ON DELETE CASCADE
);

-- An evaluator's marks for one submission; `submitted_at` set when they submit the sheet.
CREATE TABLE score_sheets (
    submission_id uuid NOT NULL REFERENCES submissions (id),
    user_id uuid NOT NULL REFERENCES users (id),
    submitted_at timestamptz,
    PRIMARY KEY (submission_id, user_id)
);

CREATE TABLE evaluator_scores (
    submission_id uuid NOT NULL,
    user_id uuid NOT NULL,
    question_id text NOT NULL,
    score integer CHECK (score BETWEEN 0 AND 5),
    reason text NOT NULL DEFAULT '',
    updated_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (submission_id, user_id, question_id),
    FOREIGN KEY (submission_id, user_id) REFERENCES score_sheets (submission_id, user_id)
);

CREATE TABLE moderated_scores (
    submission_id uuid NOT NULL REFERENCES submissions (id),
    question_id text NOT NULL,
    score integer NOT NULL CHECK (score BETWEEN 0 AND 5),
    reason text NOT NULL CHECK (length(btrim(reason)) > 0),
    moderated_by uuid NOT NULL REFERENCES users (id),
    moderated_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (submission_id, question_id)
);
