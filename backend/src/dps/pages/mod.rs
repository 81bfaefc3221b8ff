//! The DPS's pages, one file per resource: the list and a DPS's overview (a task list
//! while it is set up), the form that describes it, each lot's conditions of membership,
//! and checking, establishing and the notices. Each renders a typed view and handles its
//! forms in the one shape `web::page` writes down.

mod conditions;
mod establish;
mod form;
mod markets;

use crate::calendar::{london_time, long_date};
use crate::dps::model::{DpsStatus, DpsView};
use crate::http::routing::resource;
use actix_web::web;
use serde::Serialize;
use uuid::Uuid;

/// Registers this context's pages.
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(resource("/dps").route(web::get().to(markets::list_page)))
        .service(
            resource("/dps/new")
                .route(web::get().to(form::new_page))
                .route(web::post().to(form::create)),
        )
        .service(resource("/dps/{id}").route(web::get().to(markets::page)))
        .service(
            resource("/dps/{id}/edit")
                .route(web::get().to(form::edit_page))
                .route(web::post().to(form::update)),
        )
        .service(
            resource("/dps/{id}/lots/{lot_id}")
                .route(web::get().to(conditions::page))
                .route(web::post().to(conditions::add)),
        )
        .service(
            resource("/dps/{id}/lots/{lot_id}/remove").route(web::post().to(conditions::remove)),
        )
        .service(
            resource("/dps/{id}/notices")
                .route(web::get().to(establish::notices_page))
                .route(web::post().to(establish::prepare_intention)),
        )
        .service(
            resource("/dps/{id}/notices/{kind}.json")
                .route(web::get().to(establish::download_notice)),
        )
        .service(resource("/dps/{id}/check").route(web::get().to(establish::check_page)))
        .service(resource("/dps/{id}/establish").route(web::post().to(establish::establish)))
        .service(resource("/dps/{id}/cease").route(web::post().to(markets::cease)))
        .service(resource("/dps/{id}/established").route(web::get().to(establish::receipt)));
}

/// A GOV.UK tag.
#[derive(Debug, Clone, Serialize)]
struct Tag {
    text: &'static str,
    colour: &'static str,
}

impl From<DpsStatus> for Tag {
    fn from(s: DpsStatus) -> Self {
        Tag {
            text: s.label(),
            colour: s.colour(),
        }
    }
}

/// A lot as pages show it.
#[derive(Debug, Clone, Serialize)]
struct LotFacts {
    id: Uuid,
    number: i32,
    title: String,
    description: String,
    conditions: usize,
}

/// A DPS as pages show it: dates and rules in words.
#[derive(Debug, Clone, Serialize)]
struct Facts {
    id: Uuid,
    reference: String,
    title: String,
    description: String,
    council_name: String,
    regime: &'static str,
    term: String,
    service_types: String,
    decision: String,
    cqc_rule: &'static str,
    rounds: String,
    cutoff: String,
    next_round: Option<String>,
    status: Tag,
    lots: Vec<LotFacts>,
}

impl From<&DpsView> for Facts {
    fn from(v: &DpsView) -> Self {
        Facts {
            id: v.id,
            reference: v.reference.clone(),
            title: v.title.clone(),
            description: v.description.clone(),
            council_name: v.council_name.clone(),
            regime: v.regime.label(),
            term: format!("{} to {}", long_date(v.starts_on), long_date(v.ends_on)),
            service_types: v
                .service_types
                .iter()
                .map(|t| t.label())
                .collect::<Vec<_>>()
                .join(", "),
            decision: format!(
                "Within {} working days of the round's cut-off",
                v.decision_working_days
            ),
            cqc_rule: if v.cqc_rule {
                "Every CQC location must be rated Good or Outstanding, unless the council records an exception with its reasons"
            } else {
                "No CQC rating is required to join"
            },
            rounds: v
                .round_schedule_words
                .as_ref()
                .map(|w| format!("Rounds open {w}"))
                .unwrap_or_else(|| format!("Rounds open on the schedule {}", v.round_schedule)),
            cutoff: format!(
                "Applications close at {}",
                crate::dps::rules::cutoff_words(v.cutoff_day)
            ),
            next_round: v.next_round.map(|r| {
                format!(
                    "The round opening {} closes {}",
                    london_time(r.opens_at),
                    london_time(r.cutoff_at)
                )
            }),
            status: v.status.into(),
            lots: v
                .lots
                .iter()
                .map(|l| LotFacts {
                    id: l.lot.id,
                    number: l.lot.number,
                    title: l.lot.title.clone(),
                    description: l.lot.description.clone(),
                    conditions: l.conditions,
                })
                .collect(),
        }
    }
}

/// One option of radios or checkboxes.
#[derive(Debug, Clone, Serialize)]
struct Choice {
    value: String,
    text: String,
    selected: bool,
}
