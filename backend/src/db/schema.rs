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
        failed_logins -> Int4,
        locked_until -> Nullable<Timestamptz>,
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
        prev_hash -> Bytea,
        row_hash -> Bytea,
    }
}

diesel::joinable!(users -> organisations (organisation_id));
diesel::joinable!(cqc_locations -> organisations (organisation_id));
diesel::joinable!(organisation_districts -> organisations (organisation_id));
diesel::joinable!(organisation_districts -> districts (district_id));

diesel::joinable!(outbox -> users (user_id));
diesel::joinable!(account_tokens -> users (user_id));

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
);
