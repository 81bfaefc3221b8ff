-- The evaluation engine gets tables of its own, keyed on a *competition* (DOMAIN.md, "The
-- evaluation engine"): a deadline, lots, a versioned questionnaire per lot, sealed
-- submissions (one per provider per lot per competition), a panel, marks, moderation and
-- outcomes. A competition knows no procedure: a tender owns one (same id), as DPS rounds,
-- call-offs and framework tenders will. The tender keeps its procedure: timetable,
-- notices, clarifications, documents, award, standstill, assessment summaries.

-- How a competition's outcomes are decided: ranked award (tenders, mini-competitions) or
-- pass/fail admission per lot (DPS applications).
CREATE TYPE outcome_model AS ENUM ('ranked', 'admission');
CREATE TYPE submission_outcome AS ENUM ('successful', 'unsuccessful', 'admitted', 'not_admitted');

CREATE TABLE competitions (
    id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    council_id uuid NOT NULL REFERENCES organisations (id),
    -- As the owner names it, for providers' lists and emails.
    reference text NOT NULL UNIQUE,
    title text NOT NULL,
    outcome_model outcome_model NOT NULL,
    submission_deadline timestamptz NOT NULL,
    -- Admission only: working days after the deadline by which each application is
    -- decided. The clock stops while a clarification request waits for the provider.
    decision_working_days integer CHECK (decision_working_days BETWEEN 1 AND 60),
    published_at timestamptz,
    opened_at timestamptz,
    opened_by uuid REFERENCES users (id),
    -- Ranked only: when the ranked decision (the award) was made.
    decided_at timestamptz,
    decided_by uuid REFERENCES users (id),
    cancelled_at timestamptz,
    created_by uuid NOT NULL REFERENCES users (id),
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    CHECK ((outcome_model = 'admission') = (decision_working_days IS NOT NULL)),
    CHECK (outcome_model = 'ranked' OR decided_at IS NULL),
    CHECK (opened_at IS NULL OR published_at IS NOT NULL)
);
CREATE INDEX competitions_open ON competitions (submission_deadline) WHERE published_at IS NOT NULL;

INSERT INTO competitions (id, council_id, reference, title, outcome_model, submission_deadline,
                          published_at, opened_at, opened_by, decided_at, decided_by,
                          cancelled_at, created_by, created_at, updated_at)
SELECT id, council_id, reference, title, 'ranked', submission_deadline,
       published_at, opened_at, opened_by, awarded_at, awarded_by,
       cancelled_at, created_by, created_at, updated_at
  FROM procurements;

-- The tender is its competition plus the procedure: the engine's facts leave it (their
-- checks go with them; the clarification deadline's order is checked in Rust).
ALTER TABLE procurements
    ADD CONSTRAINT procurements_competition FOREIGN KEY (id) REFERENCES competitions (id),
    DROP COLUMN reference,
    DROP COLUMN title,
    DROP COLUMN submission_deadline,
    DROP COLUMN published_at,
    DROP COLUMN opened_at,
    DROP COLUMN opened_by,
    DROP COLUMN awarded_at,
    DROP COLUMN awarded_by,
    DROP COLUMN cancelled_at,
    ADD CHECK (procedure IN ('open', 'competitive_flexible', 'dps_admission', 'call_off'));

-- Lots are the competition's.
ALTER TABLE procurement_lots RENAME TO competition_lots;
ALTER TABLE competition_lots RENAME COLUMN procurement_id TO competition_id;
ALTER TABLE competition_lots DROP CONSTRAINT procurement_lots_procurement_id_fkey,
    ADD FOREIGN KEY (competition_id) REFERENCES competitions (id) ON DELETE CASCADE;
ALTER INDEX procurement_lots_pkey RENAME TO competition_lots_pkey;
ALTER INDEX procurement_lots_procurement_id_number_key RENAME TO competition_lots_competition_id_number_key;

-- A questionnaire per lot, versioned: `lot_id` null is the competition's own, answered on
-- every lot that has none of its own.
ALTER TABLE submissions DROP CONSTRAINT submissions_procurement_id_questionnaire_version_fkey;
ALTER TABLE questionnaire_versions RENAME COLUMN procurement_id TO competition_id;
ALTER TABLE questionnaire_versions
    DROP CONSTRAINT questionnaire_versions_procurement_id_fkey,
    ADD FOREIGN KEY (competition_id) REFERENCES competitions (id) ON DELETE CASCADE,
    ADD COLUMN id uuid NOT NULL DEFAULT gen_random_uuid(),
    ADD COLUMN lot_id uuid REFERENCES competition_lots (id) ON DELETE CASCADE,
    DROP CONSTRAINT questionnaire_versions_pkey,
    ADD PRIMARY KEY (id),
    ADD CONSTRAINT questionnaire_versions_version UNIQUE NULLS NOT DISTINCT (competition_id, lot_id, version);

-- Submissions: one per provider per lot per competition, answering one questionnaire
-- version. Outcomes are typed; an admission decision keeps its reasons.
ALTER TABLE submissions RENAME COLUMN procurement_id TO competition_id;
ALTER TABLE submissions
    DROP CONSTRAINT submissions_procurement_id_fkey,
    ADD FOREIGN KEY (competition_id) REFERENCES competitions (id),
    ADD COLUMN questionnaire_id uuid REFERENCES questionnaire_versions (id);
UPDATE submissions s SET questionnaire_id = q.id
  FROM questionnaire_versions q
 WHERE q.competition_id = s.competition_id AND q.lot_id IS NULL AND q.version = s.questionnaire_version;
ALTER TABLE submissions
    ALTER COLUMN questionnaire_id SET NOT NULL,
    DROP COLUMN questionnaire_version,
    ADD COLUMN outcome_reason text,
    ADD COLUMN decided_at timestamptz,
    ADD COLUMN decided_by uuid REFERENCES users (id);
ALTER TABLE submissions DROP CONSTRAINT submissions_outcome_check;
ALTER TABLE submissions ALTER COLUMN outcome TYPE submission_outcome USING outcome::submission_outcome;
UPDATE submissions s SET decided_at = c.decided_at, decided_by = c.decided_by
  FROM competitions c WHERE c.id = s.competition_id AND s.outcome IS NOT NULL;
ALTER TABLE submissions
    ADD CONSTRAINT submissions_decided CHECK ((outcome IS NULL) = (decided_at IS NULL)),
    ADD CONSTRAINT submissions_refusal_reason
        CHECK (outcome IS DISTINCT FROM 'not_admitted' OR length(btrim(outcome_reason)) > 0);
ALTER INDEX submissions_procurement_id_organisation_id_lot_id_key
    RENAME TO submissions_competition_id_organisation_id_lot_id_key;
CREATE INDEX submissions_competition ON submissions (competition_id) WHERE submitted_at IS NOT NULL;

-- Assessment summaries are the tender procedure's, frozen at award.
CREATE TABLE assessment_summaries (
    submission_id uuid PRIMARY KEY REFERENCES submissions (id),
    summary jsonb NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now()
);
-- Kept as the API gives it: money in pence, times as instants, the lot by id and number;
-- an excluded bid has no total. (The words and pounds are written when it is shown.)
INSERT INTO assessment_summaries (submission_id, summary)
SELECT s.id, jsonb_build_object(
    'reference', s.assessment_summary->'reference',
    'title', s.assessment_summary->'title',
    'lot_id', s.lot_id, 'lot', l.number, 'lot_title', l.title,
    'organisation_name', s.assessment_summary->'organisation_name',
    'successful', s.assessment_summary->'successful',
    'excluded', s.assessment_summary->'excluded',
    'quality', s.assessment_summary->'your_quality',
    'social_value', s.assessment_summary->'your_social_value',
    'price_score', s.assessment_summary->'your_price_score',
    'total', CASE WHEN jsonb_typeof(s.assessment_summary->'excluded') = 'string'
                  THEN 'null'::jsonb ELSE s.assessment_summary->'your_total' END,
    'price_pence', CASE WHEN jsonb_typeof(s.assessment_summary->'your_price') = 'string'
        THEN to_jsonb((replace(replace(s.assessment_summary->>'your_price', '£', ''), ',', '')::numeric * 100)::bigint)
        ELSE 'null'::jsonb END,
    'winning_total', s.assessment_summary->'winning_total',
    'winning_price_score', s.assessment_summary->'winning_price_score',
    'criteria', COALESCE((
        SELECT jsonb_agg(jsonb_build_object(
            'question_id', c->'question_id', 'question', c->'question', 'weight', c->'weight',
            'score', c->'your_score', 'reason', c->'your_reason',
            'winning_score', c->'winning_score', 'winning_reason', c->'winning_reason'))
          FROM jsonb_array_elements(s.assessment_summary->'criteria') c), '[]'::jsonb),
    'standstill_ends_at', to_jsonb(p.standstill_ends_at))
  FROM submissions s
  JOIN procurements p ON p.id = s.competition_id
  LEFT JOIN competition_lots l ON l.id = s.lot_id
 WHERE s.assessment_summary IS NOT NULL;
ALTER TABLE submissions DROP COLUMN assessment_summary;

-- The panel is the competition's.
ALTER TABLE conflict_declarations DROP CONSTRAINT conflict_declarations_procurement_id_user_id_fkey;
ALTER TABLE panel_members RENAME COLUMN procurement_id TO competition_id;
ALTER TABLE panel_members
    DROP CONSTRAINT panel_members_procurement_id_fkey,
    ADD FOREIGN KEY (competition_id) REFERENCES competitions (id) ON DELETE CASCADE;
ALTER TABLE conflict_declarations RENAME COLUMN procurement_id TO competition_id;
ALTER TABLE conflict_declarations
    ADD FOREIGN KEY (competition_id, user_id) REFERENCES panel_members (competition_id, user_id) ON DELETE CASCADE;

-- A mark is a score (0-5, scored and social value questions) or a verdict (pass or fail,
-- for questions an evaluator judges at admission).
ALTER TABLE evaluator_scores
    ADD COLUMN verdict boolean,
    ADD CHECK (score IS NULL OR verdict IS NULL);
ALTER TABLE moderated_scores
    ALTER COLUMN score DROP NOT NULL,
    ADD COLUMN verdict boolean,
    ADD CHECK ((score IS NULL) <> (verdict IS NULL));

-- Admission: the council asks an applicant to clarify; the decision clock stops from the
-- asking until the answer. One open request at a time.
CREATE TABLE clarification_requests (
    id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    submission_id uuid NOT NULL REFERENCES submissions (id),
    question text NOT NULL CHECK (length(btrim(question)) > 0),
    asked_by uuid NOT NULL REFERENCES users (id),
    asked_at timestamptz NOT NULL DEFAULT now(),
    response text,
    responded_by uuid REFERENCES users (id),
    responded_at timestamptz,
    CHECK ((response IS NULL) = (responded_at IS NULL)),
    CHECK (responded_at IS NULL OR responded_at >= asked_at)
);
CREATE UNIQUE INDEX clarification_requests_open ON clarification_requests (submission_id)
    WHERE responded_at IS NULL;
