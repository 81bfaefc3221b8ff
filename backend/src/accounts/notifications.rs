//! Each person's email choices: which optional notifications they get (and, for providers,
//! which service types they hear about), and the signed one-click unsubscribe link.

use crate::auth::Role;
use crate::auth::csrf::CsrfToken;
use crate::db::schema::{notification_opt_outs, notification_service_types};
use crate::http::routing::resource;
use crate::mail::NotificationKind;
use crate::organisations::model::ServiceType;
use crate::state::AppState;
use crate::web::forms::CsrfForm;
use crate::web::{Layout, MaybePageUser, PageError, PageUser, render, render_status, see_other};
use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use diesel::prelude::*;
use diesel_async::{AsyncConnection, RunQueryDsl};
use serde::{Deserialize, Serialize};

/// Registers the email-choice pages.
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(
        resource("/account/notifications")
            .route(web::get().to(preferences_page))
            .route(web::post().to(save_preferences)),
    )
    .service(
        resource("/notifications/unsubscribe")
            .route(web::get().to(unsubscribe_page))
            .route(web::post().to(unsubscribe)),
    );
}

/// The kinds of optional email a role may receive.
fn kinds_for(role: Role) -> &'static [NotificationKind] {
    match role {
        Role::Provider => &[
            NotificationKind::OpeningNotices,
            NotificationKind::DeadlineReminders,
        ],
        Role::Commissioner => &[
            NotificationKind::DeadlineReminders,
            NotificationKind::ClarificationQuestions,
        ],
        _ => &[NotificationKind::DeadlineReminders],
    }
}

#[derive(Serialize)]
struct KindChoice {
    value: &'static str,
    text: &'static str,
    checked: bool,
}

#[derive(Serialize)]
struct PreferencesPage {
    kinds: Vec<KindChoice>,
    service_types: Vec<KindChoice>,
    is_provider: bool,
    saved: bool,
}

#[derive(Deserialize)]
pub struct SavedQuery {
    saved: Option<String>,
}

/// GET /account/notifications
pub async fn preferences_page(
    state: web::Data<AppState>,
    user: PageUser,
    csrf: CsrfToken,
    query: web::Query<SavedQuery>,
) -> Result<HttpResponse, PageError> {
    let u = &user.0;
    let mut conn = state.db().await?;
    let off: Vec<String> = notification_opt_outs::table
        .filter(notification_opt_outs::user_id.eq(u.id))
        .select(notification_opt_outs::kind)
        .load(&mut conn)
        .await?;
    let chosen: Vec<String> = notification_service_types::table
        .filter(notification_service_types::user_id.eq(u.id))
        .select(notification_service_types::service_type)
        .load(&mut conn)
        .await?;
    let kinds = kinds_for(u.role)
        .iter()
        .map(|k| KindChoice {
            value: k.as_str(),
            text: k.label(),
            checked: !off.iter().any(|o| o == k.as_str()),
        })
        .collect();
    let service_types = ServiceType::ALL
        .iter()
        .map(|s| KindChoice {
            value: s.as_str(),
            text: s.label(),
            checked: chosen.iter().any(|c| c == s.as_str()),
        })
        .collect();
    Ok(render(
        "notifications",
        Layout::new(
            "Email notifications",
            "/account/notifications",
            Some(u),
            &csrf,
        ),
        PreferencesPage {
            kinds,
            service_types,
            is_provider: u.role == Role::Provider,
            saved: query.saved.is_some(),
        },
        &csrf,
    ))
}

/// The preferences form: the kinds left ticked, and for providers the service types.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct PreferencesForm {
    kinds: Vec<String>,
    service_types: Vec<String>,
}

/// POST /account/notifications
pub async fn save_preferences(
    state: web::Data<AppState>,
    user: PageUser,
    form: CsrfForm<PreferencesForm>,
) -> Result<HttpResponse, PageError> {
    let u = user.0;
    let form = form.data;
    let kinds = kinds_for(u.role);
    let off: Vec<&'static str> = kinds
        .iter()
        .filter(|k| !form.kinds.iter().any(|f| f == k.as_str()))
        .map(|k| k.as_str())
        .collect();
    let types: Vec<&'static str> = if u.role == Role::Provider {
        ServiceType::ALL
            .iter()
            .filter(|s| form.service_types.iter().any(|f| f == s.as_str()))
            .map(|s| s.as_str())
            .collect()
    } else {
        Vec::new()
    };
    let mut conn = state.db().await?;
    let actor = u.actor();
    let user_id = u.id;
    conn.transaction::<_, diesel::result::Error, _>(async move |tx| {
        diesel::delete(
            notification_opt_outs::table.filter(notification_opt_outs::user_id.eq(user_id)),
        )
        .execute(tx)
        .await?;
        for kind in &off {
            diesel::insert_into(notification_opt_outs::table)
                .values((
                    notification_opt_outs::user_id.eq(user_id),
                    notification_opt_outs::kind.eq(*kind),
                ))
                .execute(tx)
                .await?;
        }
        diesel::delete(
            notification_service_types::table
                .filter(notification_service_types::user_id.eq(user_id)),
        )
        .execute(tx)
        .await?;
        for t in &types {
            diesel::insert_into(notification_service_types::table)
                .values((
                    notification_service_types::user_id.eq(user_id),
                    notification_service_types::service_type.eq(*t),
                ))
                .execute(tx)
                .await?;
        }
        crate::audit::record(
            tx,
            &actor,
            crate::audit::Entry::new("user.notification_preferences_changed", "user", user_id)
                .with_details(serde_json::json!({"off": off, "service_types": types})),
        )
        .await?;
        Ok(())
    })
    .await?;
    Ok(see_other("/account/notifications?saved=1"))
}

#[derive(Deserialize)]
pub struct TokenQuery {
    #[serde(default)]
    token: String,
}

#[derive(Serialize)]
struct UnsubscribePage {
    token: String,
    kind: &'static str,
    done: bool,
}

/// GET /notifications/unsubscribe?token=…: asks to confirm (a GET must change nothing:
/// mail scanners follow links).
pub async fn unsubscribe_page(
    state: web::Data<AppState>,
    user: MaybePageUser,
    csrf: CsrfToken,
    query: web::Query<TokenQuery>,
) -> Result<HttpResponse, PageError> {
    let Some((_, kind)) =
        crate::mail::unsubscribe::verify(&state.mail.unsubscribe_key, &query.token)
    else {
        return Err(PageError::BadRequest("This unsubscribe link is not valid. Sign in and change your email notifications instead.".into()));
    };
    Ok(render(
        "unsubscribe",
        Layout::new(
            "Stop these emails",
            "/notifications/unsubscribe",
            user.0.as_ref(),
            &csrf,
        ),
        UnsubscribePage {
            token: query.token.clone(),
            kind: kind.label(),
            done: false,
        },
        &csrf,
    ))
}

/// POST /notifications/unsubscribe?token=…: the confirm button, and mail clients'
/// one-click unsubscribe (RFC 8058). The signed token is the authority, so no CSRF token
/// is needed; repeating it changes nothing.
pub async fn unsubscribe(
    state: web::Data<AppState>,
    user: MaybePageUser,
    csrf: CsrfToken,
    query: web::Query<TokenQuery>,
) -> Result<HttpResponse, PageError> {
    let Some((user_id, kind)) =
        crate::mail::unsubscribe::verify(&state.mail.unsubscribe_key, &query.token)
    else {
        return Err(PageError::BadRequest(
            "This unsubscribe link is not valid.".into(),
        ));
    };
    let mut conn = state.db().await?;
    let inserted = diesel::insert_into(notification_opt_outs::table)
        .values((
            notification_opt_outs::user_id.eq(user_id),
            notification_opt_outs::kind.eq(kind.as_str()),
        ))
        .on_conflict_do_nothing()
        .execute(&mut conn)
        .await;
    match inserted {
        Ok(1) => {
            crate::audit::record(
                &mut conn,
                &crate::audit::Actor::anonymous("unsubscribe link"),
                crate::audit::Entry::new("user.unsubscribed", "user", user_id)
                    .with_details(serde_json::json!({"kind": kind.as_str()})),
            )
            .await?;
        }
        Ok(_) => {}
        // The user no longer exists: nothing to stop.
        Err(diesel::result::Error::DatabaseError(
            diesel::result::DatabaseErrorKind::ForeignKeyViolation,
            _,
        )) => {}
        Err(e) => return Err(e.into()),
    }
    Ok(render_status(
        StatusCode::OK,
        "unsubscribe",
        Layout::new(
            "You will not get these emails",
            "/notifications/unsubscribe",
            user.0.as_ref(),
            &csrf,
        ),
        UnsubscribePage {
            token: String::new(),
            kind: kind.label(),
            done: true,
        },
        &csrf,
    ))
}
