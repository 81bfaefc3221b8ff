-- Puts the engine's facts back on procurements (a tender's competition becomes its row).
DROP TABLE clarification_requests;
ALTER TABLE moderated_scores DROP COLUMN verdict;
DELETE FROM moderated_scores WHERE score IS NULL;
ALTER TABLE moderated_scores ALTER COLUMN score SET NOT NULL;
ALTER TABLE evaluator_scores DROP COLUMN verdict;

ALTER TABLE conflict_declarations DROP CONSTRAINT conflict_declarations_competition_id_user_id_fkey;
ALTER TABLE conflict_declarations RENAME COLUMN competition_id TO procurement_id;
ALTER TABLE panel_members DROP CONSTRAINT panel_members_competition_id_fkey;
ALTER TABLE panel_members RENAME COLUMN competition_id TO procurement_id;
ALTER TABLE panel_members ADD FOREIGN KEY (procurement_id) REFERENCES procurements (id) ON DELETE CASCADE;
ALTER TABLE conflict_declarations
    ADD FOREIGN KEY (procurement_id, user_id) REFERENCES panel_members (procurement_id, user_id) ON DELETE CASCADE;

ALTER TABLE submissions ADD COLUMN assessment_summary jsonb;
UPDATE submissions s SET assessment_summary = a.summary FROM assessment_summaries a WHERE a.submission_id = s.id;
DROP TABLE assessment_summaries;

DROP INDEX submissions_competition;
ALTER TABLE submissions DROP CONSTRAINT submissions_decided, DROP CONSTRAINT submissions_refusal_reason;
DELETE FROM submissions WHERE outcome IN ('admitted', 'not_admitted');
ALTER TABLE submissions ALTER COLUMN outcome TYPE text USING outcome::text;
ALTER TABLE submissions ADD CHECK (outcome IN ('successful', 'unsuccessful'));
ALTER TABLE submissions DROP COLUMN outcome_reason, DROP COLUMN decided_at, DROP COLUMN decided_by,
    ADD COLUMN questionnaire_version integer;
UPDATE submissions s SET questionnaire_version = q.version FROM questionnaire_versions q WHERE q.id = s.questionnaire_id;
ALTER TABLE submissions ALTER COLUMN questionnaire_version SET NOT NULL, DROP COLUMN questionnaire_id;
ALTER TABLE submissions DROP CONSTRAINT submissions_competition_id_fkey;
ALTER TABLE submissions RENAME COLUMN competition_id TO procurement_id;
ALTER INDEX submissions_competition_id_organisation_id_lot_id_key
    RENAME TO submissions_procurement_id_organisation_id_lot_id_key;

DELETE FROM questionnaire_versions WHERE lot_id IS NOT NULL;
ALTER TABLE questionnaire_versions DROP CONSTRAINT questionnaire_versions_version,
    DROP CONSTRAINT questionnaire_versions_pkey, DROP COLUMN lot_id, DROP COLUMN id,
    DROP CONSTRAINT questionnaire_versions_competition_id_fkey;
ALTER TABLE questionnaire_versions RENAME COLUMN competition_id TO procurement_id;
ALTER TABLE questionnaire_versions ADD PRIMARY KEY (procurement_id, version);

ALTER TABLE competition_lots DROP CONSTRAINT competition_lots_competition_id_fkey;
ALTER TABLE competition_lots RENAME COLUMN competition_id TO procurement_id;
ALTER TABLE competition_lots RENAME TO procurement_lots;
ALTER INDEX competition_lots_pkey RENAME TO procurement_lots_pkey;
ALTER INDEX competition_lots_competition_id_number_key RENAME TO procurement_lots_procurement_id_number_key;

ALTER TABLE procurements DROP CONSTRAINT procurements_competition, DROP CONSTRAINT procurements_procedure_check,
    ADD COLUMN reference text, ADD COLUMN title text, ADD COLUMN submission_deadline timestamptz,
    ADD COLUMN published_at timestamptz, ADD COLUMN opened_at timestamptz,
    ADD COLUMN opened_by uuid REFERENCES users (id), ADD COLUMN awarded_at timestamptz,
    ADD COLUMN awarded_by uuid REFERENCES users (id), ADD COLUMN cancelled_at timestamptz;
UPDATE procurements p SET reference = c.reference, title = c.title,
       submission_deadline = c.submission_deadline, published_at = c.published_at,
       opened_at = c.opened_at, opened_by = c.opened_by, awarded_at = c.decided_at,
       awarded_by = c.decided_by, cancelled_at = c.cancelled_at
  FROM competitions c WHERE c.id = p.id;
ALTER TABLE procurements ALTER COLUMN reference SET NOT NULL, ALTER COLUMN title SET NOT NULL,
    ALTER COLUMN submission_deadline SET NOT NULL, ADD UNIQUE (reference),
    ADD CHECK (clarification_deadline < submission_deadline),
    ADD CHECK (published_at IS NULL OR conflicts_assessed_at IS NOT NULL),
    ADD CHECK (contract_entered_at IS NULL OR contract_entered_at >= standstill_ends_at);
ALTER TABLE procurement_lots ADD FOREIGN KEY (procurement_id) REFERENCES procurements (id) ON DELETE CASCADE;
ALTER TABLE questionnaire_versions ADD FOREIGN KEY (procurement_id) REFERENCES procurements (id) ON DELETE CASCADE;
ALTER TABLE submissions ADD FOREIGN KEY (procurement_id) REFERENCES procurements (id),
    ADD FOREIGN KEY (procurement_id, questionnaire_version) REFERENCES questionnaire_versions (procurement_id, version);
CREATE INDEX procurements_open ON procurements (submission_deadline) WHERE published_at IS NOT NULL;
DROP TABLE competitions;
DROP TYPE submission_outcome, outcome_model;
