//! Diesel table definitions. Kept by hand in step with `migrations/` (the schema test in
//! `tests/` fails when a column here and in the database disagree).

pub mod sql_types {
    #[derive(diesel::sql_types::SqlType, diesel::query_builder::QueryId)]
    #[diesel(postgres_type(name = "organisation_kind"))]
    pub struct OrganisationKind;

    #[derive(diesel::sql_types::SqlType, diesel::query_builder::QueryId)]
    #[diesel(postgres_type(name = "user_role"))]
    pub struct UserRole;

    #[derive(diesel::sql_types::SqlType, diesel::query_builder::QueryId)]
    #[diesel(postgres_type(name = "cqc_rating"))]
    pub struct CqcRating;

    #[derive(diesel::sql_types::SqlType, diesel::query_builder::QueryId)]
    #[diesel(postgres_type(name = "outbox_status"))]
    pub struct OutboxStatus;

    #[derive(diesel::sql_types::SqlType, diesel::query_builder::QueryId)]
    #[diesel(postgres_type(name = "account_token_purpose"))]
    pub struct AccountTokenPurpose;

    #[derive(diesel::sql_types::SqlType, diesel::query_builder::QueryId)]
    #[diesel(postgres_type(name = "invitation_kind"))]
    pub struct InvitationKind;
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
    districts (id) {
        id -> Uuid,
        name -> Text,
        created_at -> Timestamptz,
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
    revoked_tokens (jti) {
        jti -> Uuid,
        expires_at -> Timestamptz,
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
    audit_seals (seq) {
        seq -> Int8,
        audit_id -> Int8,
        prev_hash -> Bytea,
        row_hash -> Bytea,
        sealed_at -> Timestamptz,
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
    sign_in_throttle (key) {
        key -> Bytea,
        email_key -> Bytea,
        failures -> Int4,
        window_started_at -> Timestamptz,
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
    procurements (id) {
        id -> Uuid,
        council_id -> Uuid,
        reference -> Text,
        title -> Text,
        description -> Text,
        service_type -> Text,
        estimated_value_pence -> Int8,
        regime -> Text,
        light_touch -> Bool,
        procedure -> Text,
        clarification_deadline -> Timestamptz,
        submission_deadline -> Timestamptz,
        planned_award_date -> Date,
        standstill_working_days -> Int4,
        conflicts_assessment -> Nullable<Text>,
        conflicts_assessed_at -> Nullable<Timestamptz>,
        conflicts_assessed_by -> Nullable<Uuid>,
        published_at -> Nullable<Timestamptz>,
        opened_at -> Nullable<Timestamptz>,
        opened_by -> Nullable<Uuid>,
        awarded_at -> Nullable<Timestamptz>,
        awarded_by -> Nullable<Uuid>,
        award_notice -> Nullable<Jsonb>,
        standstill_ends_at -> Nullable<Timestamptz>,
        standstill_end_notified_at -> Nullable<Timestamptz>,
        contract_entered_at -> Nullable<Timestamptz>,
        cancelled_at -> Nullable<Timestamptz>,
        created_by -> Uuid,
        created_at -> Timestamptz,
        updated_at -> Timestamptz,
    }
}

diesel::table! {
    procurement_districts (procurement_id, district_id) {
        procurement_id -> Uuid,
        district_id -> Uuid,
    }
}

diesel::table! {
    procurement_lots (id) {
        id -> Uuid,
        procurement_id -> Uuid,
        number -> Int4,
        title -> Text,
        description -> Text,
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
    procurement_documents (procurement_id, file_id) {
        procurement_id -> Uuid,
        file_id -> Uuid,
        title -> Text,
    }
}

diesel::table! {
    questionnaire_versions (procurement_id, version) {
        procurement_id -> Uuid,
        version -> Int4,
        document -> Jsonb,
        change_note -> Text,
        frozen_at -> Nullable<Timestamptz>,
        created_by -> Uuid,
        created_at -> Timestamptz,
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
    submissions (id) {
        id -> Uuid,
        procurement_id -> Uuid,
        organisation_id -> Uuid,
        lot_id -> Nullable<Uuid>,
        questionnaire_version -> Int4,
        answers -> Jsonb,
        sealed -> Nullable<Jsonb>,
        submitted_at -> Nullable<Timestamptz>,
        submitted_by -> Nullable<Uuid>,
        digest -> Nullable<Text>,
        withdrawn_at -> Nullable<Timestamptz>,
        outcome -> Nullable<Text>,
        award_rank -> Nullable<Int4>,
        assessment_summary -> Nullable<Jsonb>,
        created_at -> Timestamptz,
        updated_at -> Timestamptz,
        price_check -> Nullable<Text>,
        price_checked_at -> Nullable<Timestamptz>,
        price_checked_by -> Nullable<Uuid>,
        reminded_for -> Nullable<Timestamptz>,
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
    panel_members (procurement_id, user_id) {
        procurement_id -> Uuid,
        user_id -> Uuid,
        assigned_by -> Uuid,
        assigned_at -> Timestamptz,
        declared_at -> Nullable<Timestamptz>,
    }
}

diesel::table! {
    conflict_declarations (procurement_id, user_id, organisation_id) {
        procurement_id -> Uuid,
        user_id -> Uuid,
        organisation_id -> Uuid,
        conflicted -> Bool,
        details -> Text,
        declared_at -> Timestamptz,
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
    evaluator_scores (submission_id, user_id, question_id) {
        submission_id -> Uuid,
        user_id -> Uuid,
        question_id -> Text,
        score -> Nullable<Int4>,
        reason -> Text,
        updated_at -> Timestamptz,
    }
}

diesel::table! {
    moderated_scores (submission_id, question_id) {
        submission_id -> Uuid,
        question_id -> Text,
        score -> Int4,
        reason -> Text,
        moderated_by -> Uuid,
        moderated_at -> Timestamptz,
    }
}

diesel::joinable!(users -> organisations (organisation_id));
diesel::joinable!(cqc_locations -> organisations (organisation_id));
diesel::joinable!(organisation_districts -> organisations (organisation_id));
diesel::joinable!(organisation_districts -> districts (district_id));

diesel::joinable!(outbox -> users (user_id));
diesel::joinable!(account_tokens -> users (user_id));

diesel::joinable!(procurements -> organisations (council_id));
diesel::joinable!(procurement_districts -> procurements (procurement_id));
diesel::joinable!(procurement_districts -> districts (district_id));
diesel::joinable!(procurement_lots -> procurements (procurement_id));
diesel::joinable!(procurement_documents -> stored_files (file_id));
diesel::joinable!(submission_files -> stored_files (file_id));
diesel::joinable!(submissions -> organisations (organisation_id));
diesel::joinable!(submissions -> procurements (procurement_id));
diesel::joinable!(clarifications -> organisations (organisation_id));
diesel::joinable!(panel_members -> users (user_id));
diesel::joinable!(invitations -> organisations (organisation_id));
diesel::joinable!(stored_files -> organisations (organisation_id));

diesel::allow_tables_to_appear_in_same_query!(
    outbox,
    account_tokens,
    notification_opt_outs,
    notification_service_types,
    organisations,
    districts,
    organisation_districts,
    cqc_locations,
    users,
    revoked_tokens,
    idempotency_keys,
    audit_log,
    audit_seals,
    audit_sealer,
    audit_checkpoints,
    sign_in_throttle,
    pending_registrations,
    invitations,
    procurements,
    procurement_districts,
    procurement_lots,
    stored_files,
    procurement_documents,
    questionnaire_versions,
    procurement_interests,
    clarifications,
    submissions,
    submission_files,
    submission_receipts,
    panel_members,
    conflict_declarations,
    score_sheets,
    evaluator_scores,
    moderated_scores,
);
