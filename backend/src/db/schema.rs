// @generated automatically by Diesel CLI.

pub mod sql_types {
    #[derive(diesel::query_builder::QueryId, Clone, diesel::sql_types::SqlType)]
    #[diesel(postgres_type(name = "account_token_purpose"))]
    pub struct AccountTokenPurpose;

    #[derive(diesel::query_builder::QueryId, Clone, diesel::sql_types::SqlType)]
    #[diesel(postgres_type(name = "cqc_rating"))]
    pub struct CqcRating;

    #[derive(diesel::query_builder::QueryId, Clone, diesel::sql_types::SqlType)]
    #[diesel(postgres_type(name = "dps_notice_kind"))]
    pub struct DpsNoticeKind;

    #[derive(diesel::query_builder::QueryId, Clone, diesel::sql_types::SqlType)]
    #[diesel(postgres_type(name = "dps_regime"))]
    pub struct DpsRegime;

    #[derive(diesel::query_builder::QueryId, Clone, diesel::sql_types::SqlType)]
    #[diesel(postgres_type(name = "invitation_kind"))]
    pub struct InvitationKind;

    #[derive(diesel::query_builder::QueryId, Clone, diesel::sql_types::SqlType)]
    #[diesel(postgres_type(name = "job_run_status"))]
    pub struct JobRunStatus;

    #[derive(diesel::query_builder::QueryId, Clone, diesel::sql_types::SqlType)]
    #[diesel(postgres_type(name = "organisation_kind"))]
    pub struct OrganisationKind;

    #[derive(diesel::query_builder::QueryId, Clone, diesel::sql_types::SqlType)]
    #[diesel(postgres_type(name = "outbox_status"))]
    pub struct OutboxStatus;

    #[derive(diesel::query_builder::QueryId, Clone, diesel::sql_types::SqlType)]
    #[diesel(postgres_type(name = "outcome_model"))]
    pub struct OutcomeModel;

    #[derive(diesel::query_builder::QueryId, Clone, diesel::sql_types::SqlType)]
    #[diesel(postgres_type(name = "submission_outcome"))]
    pub struct SubmissionOutcome;

    #[derive(diesel::query_builder::QueryId, Clone, diesel::sql_types::SqlType)]
    #[diesel(postgres_type(name = "user_role"))]
    pub struct UserRole;
}

diesel::table! {
    use diesel::sql_types::*;
    use super::sql_types::AccountTokenPurpose;

    account_tokens (token_hash) {
        token_hash -> Bytea,
        user_id -> Uuid,
        purpose -> AccountTokenPurpose,
        expires_at -> Timestamptz,
        used_at -> Nullable<Timestamptz>,
        created_at -> Timestamptz,
    }
}

diesel::table! {
    assessment_summaries (submission_id) {
        submission_id -> Uuid,
        summary -> Jsonb,
        created_at -> Timestamptz,
    }
}

diesel::table! {
    audit_checkpoints (id) {
        id -> Int8,
        sealed_through -> Int8,
        head_hash -> Bytea,
        created_at -> Timestamptz,
        prev_signature -> Bytea,
        signature -> Bytea,
    }
}

diesel::table! {
    audit_log (id) {
        id -> Int8,
        occurred_at -> Timestamptz,
        actor_user_id -> Nullable<Uuid>,
        actor_label -> Text,
        action -> Text,
        record_type -> Text,
        record_id -> Text,
        organisation_id -> Nullable<Uuid>,
        details -> Jsonb,
        xact_id -> Int8,
    }
}

diesel::table! {
    audit_sealer (singleton) {
        singleton -> Bool,
        sealed_xmin -> Int8,
        head_seq -> Int8,
        head_hash -> Bytea,
        signature -> Bytea,
        updated_at -> Timestamptz,
    }
}

diesel::table! {
    audit_seals (seq) {
        seq -> Int8,
        audit_id -> Int8,
        prev_hash -> Bytea,
        row_hash -> Bytea,
        sealed_at -> Timestamptz,
    }
}

diesel::table! {
    clarification_requests (id) {
        id -> Uuid,
        submission_id -> Uuid,
        question -> Text,
        asked_by -> Uuid,
        asked_at -> Timestamptz,
        response -> Nullable<Text>,
        responded_by -> Nullable<Uuid>,
        responded_at -> Nullable<Timestamptz>,
    }
}

diesel::table! {
    clarifications (id) {
        id -> Uuid,
        procurement_id -> Uuid,
        organisation_id -> Uuid,
        asked_by -> Uuid,
        question -> Text,
        asked_at -> Timestamptz,
        answer -> Nullable<Text>,
        published -> Bool,
        answered_by -> Nullable<Uuid>,
        answered_at -> Nullable<Timestamptz>,
    }
}

diesel::table! {
    competition_lots (id) {
        id -> Uuid,
        competition_id -> Uuid,
        number -> Int4,
        title -> Text,
        description -> Text,
    }
}

diesel::table! {
    use diesel::sql_types::*;
    use super::sql_types::OutcomeModel;

    competitions (id) {
        id -> Uuid,
        council_id -> Uuid,
        reference -> Text,
        title -> Text,
        outcome_model -> OutcomeModel,
        submission_deadline -> Timestamptz,
        decision_working_days -> Nullable<Int4>,
        published_at -> Nullable<Timestamptz>,
        opened_at -> Nullable<Timestamptz>,
        opened_by -> Nullable<Uuid>,
        decided_at -> Nullable<Timestamptz>,
        decided_by -> Nullable<Uuid>,
        cancelled_at -> Nullable<Timestamptz>,
        created_by -> Uuid,
        created_at -> Timestamptz,
        updated_at -> Timestamptz,
    }
}

diesel::table! {
    conflict_declarations (competition_id, user_id, organisation_id) {
        competition_id -> Uuid,
        user_id -> Uuid,
        organisation_id -> Uuid,
        conflicted -> Bool,
        details -> Text,
        declared_at -> Timestamptz,
    }
}

diesel::table! {
    use diesel::sql_types::*;
    use super::sql_types::CqcRating;

    cqc_locations (id) {
        id -> Uuid,
        organisation_id -> Uuid,
        location_id -> Text,
        name -> Text,
        rating -> CqcRating,
        rating_date -> Nullable<Date>,
        created_at -> Timestamptz,
    }
}

diesel::table! {
    use diesel::sql_types::*;
    use super::sql_types::CqcRating;

    cqc_rating_changes (id) {
        id -> Uuid,
        organisation_id -> Uuid,
        location_id -> Text,
        location_name -> Text,
        previous_rating -> CqcRating,
        rating -> CqcRating,
        report_date -> Date,
        recorded_by -> Uuid,
        recorded_at -> Timestamptz,
    }
}

diesel::table! {
    districts (id) {
        id -> Uuid,
        name -> Text,
        created_at -> Timestamptz,
    }
}

diesel::table! {
    use diesel::sql_types::*;
    use super::sql_types::DpsRegime;

    dps (id) {
        id -> Uuid,
        council_id -> Uuid,
        description -> Text,
        regime -> DpsRegime,
        starts_on -> Date,
        ends_on -> Date,
        decision_working_days -> Int4,
        cqc_rule -> Bool,
        round_schedule -> Text,
        cutoff_day -> Int4,
        established_at -> Nullable<Timestamptz>,
        established_by -> Nullable<Uuid>,
        ceased_at -> Nullable<Timestamptz>,
        ceased_by -> Nullable<Uuid>,
        cease_reason -> Nullable<Text>,
        created_by -> Uuid,
        created_at -> Timestamptz,
        updated_at -> Timestamptz,
    }
}

diesel::table! {
    use diesel::sql_types::*;
    use super::sql_types::DpsNoticeKind;

    dps_notices (id) {
        id -> Uuid,
        dps_id -> Uuid,
        kind -> DpsNoticeKind,
        notice -> Jsonb,
        prepared_by -> Uuid,
        prepared_at -> Timestamptz,
    }
}

diesel::table! {
    dps_service_types (dps_id, service_type) {
        dps_id -> Uuid,
        service_type -> Text,
    }
}

diesel::table! {
    evaluator_scores (submission_id, user_id, question_id) {
        submission_id -> Uuid,
        user_id -> Uuid,
        question_id -> Text,
        score -> Nullable<Int4>,
        reason -> Text,
        updated_at -> Timestamptz,
        verdict -> Nullable<Bool>,
    }
}

diesel::table! {
    idempotency_keys (scope, key) {
        scope -> Text,
        key -> Text,
        request_hash -> Bytea,
        response_status -> Nullable<Int2>,
        response_body -> Nullable<Bytea>,
        created_at -> Timestamptz,
    }
}

diesel::table! {
    insurance_reminders (insurance_id, threshold, expires_on) {
        insurance_id -> Uuid,
        threshold -> Text,
        expires_on -> Date,
        sent_at -> Timestamptz,
    }
}

diesel::table! {
    insurances (id) {
        id -> Uuid,
        organisation_id -> Uuid,
        kind -> Text,
        description -> Text,
        insurer -> Text,
        cover_pence -> Int8,
        starts_on -> Date,
        expires_on -> Date,
        certificate_file_id -> Uuid,
        saved_at -> Nullable<Timestamptz>,
        replaces_id -> Nullable<Uuid>,
        created_by -> Uuid,
        created_at -> Timestamptz,
        updated_at -> Timestamptz,
    }
}

diesel::table! {
    use diesel::sql_types::*;
    use super::sql_types::InvitationKind;

    invitations (id) {
        id -> Uuid,
        organisation_id -> Uuid,
        kind -> InvitationKind,
        email -> Text,
        name -> Text,
        reason -> Text,
        token_hash -> Bytea,
        invited_by -> Uuid,
        created_at -> Timestamptz,
        expires_at -> Timestamptz,
        accepted_at -> Nullable<Timestamptz>,
        accepted_user_id -> Nullable<Uuid>,
        revoked_at -> Nullable<Timestamptz>,
        revoked_by -> Nullable<Uuid>,
    }
}

diesel::table! {
    use diesel::sql_types::*;
    use super::sql_types::JobRunStatus;

    job_runs (id) {
        id -> Int8,
        job -> Text,
        tick -> Timestamptz,
        manual -> Bool,
        status -> JobRunStatus,
        attempts -> Int4,
        max_attempts -> Int4,
        run_after -> Timestamptz,
        worker -> Nullable<Text>,
        lease_until -> Nullable<Timestamptz>,
        started_at -> Nullable<Timestamptz>,
        finished_at -> Nullable<Timestamptz>,
        last_error -> Nullable<Text>,
        created_at -> Timestamptz,
    }
}

diesel::table! {
    job_schedules (job) {
        job -> Text,
        last_tick -> Timestamptz,
    }
}

diesel::table! {
    moderated_scores (submission_id, question_id) {
        submission_id -> Uuid,
        question_id -> Text,
        score -> Nullable<Int4>,
        reason -> Text,
        moderated_by -> Uuid,
        moderated_at -> Timestamptz,
        verdict -> Nullable<Bool>,
    }
}

diesel::table! {
    notification_opt_outs (user_id, kind) {
        user_id -> Uuid,
        kind -> Text,
        created_at -> Timestamptz,
    }
}

diesel::table! {
    notification_service_types (user_id, service_type) {
        user_id -> Uuid,
        service_type -> Text,
    }
}

diesel::table! {
    organisation_districts (organisation_id, district_id) {
        organisation_id -> Uuid,
        district_id -> Uuid,
    }
}

diesel::table! {
    use diesel::sql_types::*;
    use super::sql_types::OrganisationKind;

    organisations (id) {
        id -> Uuid,
        kind -> OrganisationKind,
        legal_name -> Text,
        companies_house_number -> Nullable<Text>,
        charity_number -> Nullable<Text>,
        address_line1 -> Text,
        address_line2 -> Text,
        town -> Text,
        postcode -> Text,
        active -> Bool,
        created_at -> Timestamptz,
        updated_at -> Timestamptz,
    }
}

diesel::table! {
    use diesel::sql_types::*;
    use super::sql_types::OutboxStatus;

    outbox (id) {
        id -> Int8,
        template -> Text,
        to_address -> Text,
        to_name -> Text,
        user_id -> Nullable<Uuid>,
        subject -> Text,
        text_body -> Text,
        html_body -> Text,
        reason -> Text,
        optional_kind -> Nullable<Text>,
        message_id -> Text,
        status -> OutboxStatus,
        attempts -> Int4,
        run_after -> Timestamptz,
        lease_until -> Nullable<Timestamptz>,
        last_error -> Nullable<Text>,
        created_at -> Timestamptz,
        sent_at -> Nullable<Timestamptz>,
    }
}

diesel::table! {
    panel_members (competition_id, user_id) {
        competition_id -> Uuid,
        user_id -> Uuid,
        assigned_by -> Uuid,
        assigned_at -> Timestamptz,
        declared_at -> Nullable<Timestamptz>,
    }
}

diesel::table! {
    pending_registrations (token_hash) {
        token_hash -> Bytea,
        email -> Text,
        details -> Jsonb,
        password_hash -> Text,
        expires_at -> Timestamptz,
        used_at -> Nullable<Timestamptz>,
        created_at -> Timestamptz,
    }
}

diesel::table! {
    procurement_districts (procurement_id, district_id) {
        procurement_id -> Uuid,
        district_id -> Uuid,
    }
}

diesel::table! {
    procurement_documents (procurement_id, file_id) {
        procurement_id -> Uuid,
        file_id -> Uuid,
        title -> Text,
    }
}

diesel::table! {
    procurement_interests (procurement_id, organisation_id) {
        procurement_id -> Uuid,
        organisation_id -> Uuid,
        user_id -> Uuid,
        created_at -> Timestamptz,
    }
}

diesel::table! {
    procurements (id) {
        id -> Uuid,
        council_id -> Uuid,
        description -> Text,
        service_type -> Text,
        estimated_value_pence -> Int8,
        regime -> Text,
        light_touch -> Bool,
        procedure -> Text,
        clarification_deadline -> Timestamptz,
        planned_award_date -> Date,
        standstill_working_days -> Int4,
        conflicts_assessment -> Nullable<Text>,
        conflicts_assessed_at -> Nullable<Timestamptz>,
        conflicts_assessed_by -> Nullable<Uuid>,
        award_notice -> Nullable<Jsonb>,
        standstill_ends_at -> Nullable<Timestamptz>,
        standstill_end_notified_at -> Nullable<Timestamptz>,
        contract_entered_at -> Nullable<Timestamptz>,
        created_by -> Uuid,
        created_at -> Timestamptz,
        updated_at -> Timestamptz,
    }
}

diesel::table! {
    questionnaire_versions (id) {
        competition_id -> Uuid,
        version -> Int4,
        document -> Jsonb,
        change_note -> Text,
        frozen_at -> Nullable<Timestamptz>,
        created_by -> Uuid,
        created_at -> Timestamptz,
        id -> Uuid,
        lot_id -> Nullable<Uuid>,
    }
}

diesel::table! {
    revoked_tokens (jti) {
        jti -> Uuid,
        expires_at -> Timestamptz,
    }
}

diesel::table! {
    score_sheets (submission_id, user_id) {
        submission_id -> Uuid,
        user_id -> Uuid,
        submitted_at -> Nullable<Timestamptz>,
    }
}

diesel::table! {
    sign_in_throttle (key) {
        key -> Bytea,
        email_key -> Bytea,
        failures -> Int4,
        window_started_at -> Timestamptz,
    }
}

diesel::table! {
    stored_files (id) {
        id -> Uuid,
        object_key -> Text,
        display_name -> Text,
        content_type -> Text,
        size_bytes -> Int8,
        sha256 -> Text,
        uploaded_by -> Uuid,
        created_at -> Timestamptz,
        organisation_id -> Uuid,
    }
}

diesel::table! {
    submission_files (submission_id, file_id) {
        submission_id -> Uuid,
        question_id -> Text,
        file_id -> Uuid,
    }
}

diesel::table! {
    submission_receipts (id) {
        id -> Int8,
        submission_id -> Uuid,
        submitted_at -> Timestamptz,
        submitted_by -> Uuid,
        digest -> Text,
    }
}

diesel::table! {
    use diesel::sql_types::*;
    use super::sql_types::SubmissionOutcome;

    submissions (id) {
        id -> Uuid,
        competition_id -> Uuid,
        organisation_id -> Uuid,
        lot_id -> Nullable<Uuid>,
        answers -> Jsonb,
        sealed -> Nullable<Jsonb>,
        submitted_at -> Nullable<Timestamptz>,
        submitted_by -> Nullable<Uuid>,
        digest -> Nullable<Text>,
        withdrawn_at -> Nullable<Timestamptz>,
        outcome -> Nullable<SubmissionOutcome>,
        award_rank -> Nullable<Int4>,
        created_at -> Timestamptz,
        updated_at -> Timestamptz,
        price_check -> Nullable<Text>,
        price_checked_at -> Nullable<Timestamptz>,
        price_checked_by -> Nullable<Uuid>,
        reminded_for -> Nullable<Timestamptz>,
        questionnaire_id -> Uuid,
        outcome_reason -> Nullable<Text>,
        decided_at -> Nullable<Timestamptz>,
        decided_by -> Nullable<Uuid>,
        deciding_answers -> Nullable<Jsonb>,
    }
}

diesel::table! {
    use diesel::sql_types::*;
    use super::sql_types::UserRole;

    users (id) {
        id -> Uuid,
        organisation_id -> Uuid,
        email -> Text,
        name -> Text,
        role -> UserRole,
        password_hash -> Text,
        active -> Bool,
        sessions_valid_after -> Timestamptz,
        created_at -> Timestamptz,
        updated_at -> Timestamptz,
        email_verified_at -> Nullable<Timestamptz>,
    }
}

diesel::joinable!(account_tokens -> users (user_id));
diesel::joinable!(assessment_summaries -> submissions (submission_id));
diesel::joinable!(clarification_requests -> submissions (submission_id));
diesel::joinable!(clarifications -> organisations (organisation_id));
diesel::joinable!(clarifications -> procurements (procurement_id));
diesel::joinable!(competition_lots -> competitions (competition_id));
diesel::joinable!(competitions -> organisations (council_id));
diesel::joinable!(conflict_declarations -> organisations (organisation_id));
diesel::joinable!(cqc_locations -> organisations (organisation_id));
diesel::joinable!(cqc_rating_changes -> organisations (organisation_id));
diesel::joinable!(cqc_rating_changes -> users (recorded_by));
diesel::joinable!(dps -> competitions (id));
diesel::joinable!(dps -> organisations (council_id));
diesel::joinable!(dps_notices -> dps (dps_id));
diesel::joinable!(dps_notices -> users (prepared_by));
diesel::joinable!(dps_service_types -> dps (dps_id));
diesel::joinable!(insurance_reminders -> insurances (insurance_id));
diesel::joinable!(insurances -> organisations (organisation_id));
diesel::joinable!(insurances -> stored_files (certificate_file_id));
diesel::joinable!(insurances -> users (created_by));
diesel::joinable!(invitations -> organisations (organisation_id));
diesel::joinable!(moderated_scores -> submissions (submission_id));
diesel::joinable!(moderated_scores -> users (moderated_by));
diesel::joinable!(notification_opt_outs -> users (user_id));
diesel::joinable!(notification_service_types -> users (user_id));
diesel::joinable!(organisation_districts -> districts (district_id));
diesel::joinable!(organisation_districts -> organisations (organisation_id));
diesel::joinable!(outbox -> users (user_id));
diesel::joinable!(panel_members -> competitions (competition_id));
diesel::joinable!(procurement_districts -> districts (district_id));
diesel::joinable!(procurement_districts -> procurements (procurement_id));
diesel::joinable!(procurement_documents -> procurements (procurement_id));
diesel::joinable!(procurement_documents -> stored_files (file_id));
diesel::joinable!(procurement_interests -> organisations (organisation_id));
diesel::joinable!(procurement_interests -> procurements (procurement_id));
diesel::joinable!(procurement_interests -> users (user_id));
diesel::joinable!(procurements -> competitions (id));
diesel::joinable!(procurements -> organisations (council_id));
diesel::joinable!(questionnaire_versions -> competition_lots (lot_id));
diesel::joinable!(questionnaire_versions -> competitions (competition_id));
diesel::joinable!(questionnaire_versions -> users (created_by));
diesel::joinable!(score_sheets -> submissions (submission_id));
diesel::joinable!(score_sheets -> users (user_id));
diesel::joinable!(stored_files -> organisations (organisation_id));
diesel::joinable!(stored_files -> users (uploaded_by));
diesel::joinable!(submission_files -> stored_files (file_id));
diesel::joinable!(submission_files -> submissions (submission_id));
diesel::joinable!(submission_receipts -> submissions (submission_id));
diesel::joinable!(submission_receipts -> users (submitted_by));
diesel::joinable!(submissions -> competition_lots (lot_id));
diesel::joinable!(submissions -> competitions (competition_id));
diesel::joinable!(submissions -> organisations (organisation_id));
diesel::joinable!(submissions -> questionnaire_versions (questionnaire_id));
diesel::joinable!(users -> organisations (organisation_id));

diesel::allow_tables_to_appear_in_same_query!(
    account_tokens,
    assessment_summaries,
    audit_checkpoints,
    audit_log,
    audit_sealer,
    audit_seals,
    clarification_requests,
    clarifications,
    competition_lots,
    competitions,
    conflict_declarations,
    cqc_locations,
    cqc_rating_changes,
    districts,
    dps,
    dps_notices,
    dps_service_types,
    evaluator_scores,
    idempotency_keys,
    insurance_reminders,
    insurances,
    invitations,
    job_runs,
    job_schedules,
    moderated_scores,
    notification_opt_outs,
    notification_service_types,
    organisation_districts,
    organisations,
    outbox,
    panel_members,
    pending_registrations,
    procurement_districts,
    procurement_documents,
    procurement_interests,
    procurements,
    questionnaire_versions,
    revoked_tokens,
    score_sheets,
    sign_in_throttle,
    stored_files,
    submission_files,
    submission_receipts,
    submissions,
    users,
);
