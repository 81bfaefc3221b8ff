DROP TABLE moderated_scores, evaluator_scores, score_sheets, conflict_declarations, panel_members,
    submission_receipts, submission_files, submissions, clarifications, procurement_interests,
    questionnaire_versions, procurement_documents, stored_files, procurement_lots,
    procurement_districts, procurements;
