//! The tender procedure's pages, one file per resource: opportunities and bids for
//! providers; procurements, the questionnaire, clarifications, the panel, moderation and
//! results for commissioners; declarations and score sheets for evaluators. Each renders a
//! typed view and handles its forms in the one shape `web::page` writes down.

mod actions;
mod bid_check;
mod bid_sections;
mod bids;
mod clarifications;
mod declarations;
mod evaluation;
mod opportunities;
mod overview;
mod procurement_form;
mod procurements;
mod question_form;
mod questionnaire;
mod results;
mod results_export;
mod scoring;
mod standstill;

use crate::calendar::{london_time, long_date};
use crate::evaluation::{Lot, Question, Questionnaire};
use crate::http::routing::resource;
use crate::money::Pence;
use crate::procurement::model::{ProcurementStatus, ProcurementView};
use crate::storage::FileView;
use actix_web::web;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// Registers this context's pages.
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(resource("/opportunities").route(web::get().to(opportunities::list_page)))
        .service(resource("/opportunities/{id}").route(web::get().to(opportunities::page)))
        .service(
            resource("/opportunities/{id}/interest")
                .route(web::post().to(opportunities::register_interest)),
        )
        .service(
            resource("/opportunities/{id}/questions").route(web::post().to(opportunities::ask)),
        )
        .service(
            resource("/opportunities/{id}/bids").route(web::post().to(opportunities::start_bid)),
        )
        .service(
            resource("/opportunities/{id}/documents/{file_id}")
                .route(web::get().to(opportunities::download_document)),
        )
        .service(resource("/bids").route(web::get().to(bids::list_page)))
        .service(resource("/bids/{id}").route(web::get().to(bids::page)))
        .service(
            resource("/bids/{id}/sections/{n}")
                .route(web::get().to(bid_sections::page))
                .route(web::post().to(bid_sections::save)),
        )
        .service(
            resource("/bids/{id}/check")
                .route(web::get().to(bid_check::page))
                .route(web::post().to(bid_check::submit)),
        )
        .service(resource("/bids/{id}/receipt").route(web::get().to(bid_check::receipt)))
        .service(resource("/bids/{id}/withdraw").route(web::post().to(bids::withdraw)))
        .service(
            resource("/submissions/{id}/files/{file_id}").route(web::get().to(bids::download_file)),
        )
        .service(resource("/procurements").route(web::get().to(procurements::list_page)))
        .service(
            resource("/procurements/new")
                .route(web::get().to(procurement_form::new_page))
                .route(web::post().to(procurement_form::create)),
        )
        .service(resource("/procurements/{id}").route(web::get().to(overview::page)))
        .service(
            resource("/procurements/{id}/edit")
                .route(web::get().to(procurement_form::edit_page))
                .route(web::post().to(procurement_form::update)),
        )
        .service(
            resource("/procurements/{id}/conflicts-assessment")
                .route(web::get().to(procurements::conflicts_assessment_page))
                .route(web::post().to(procurements::record_conflicts_assessment)),
        )
        .service(
            resource("/procurements/{id}/timetable")
                .route(web::get().to(procurements::timetable_page))
                .route(web::post().to(procurements::change_timetable)),
        )
        .service(
            resource("/procurements/{id}/documents")
                .route(web::get().to(procurements::documents_page))
                .route(web::post().to(actions::upload_document)),
        )
        .service(
            resource("/procurements/{id}/results.csv")
                .route(web::get().to(results_export::download)),
        )
        .service(resource("/procurements/{id}/standstill").route(web::get().to(standstill::page)))
        .service(
            resource("/procurements/{id}/award-notice.json")
                .route(web::get().to(standstill::download)),
        )
        .service(
            resource("/procurements/{id}/submissions")
                .route(web::get().to(procurements::submissions_page)),
        )
        .service(
            resource("/procurements/{id}/{action:publish|open|cancel|contract-entered}")
                .route(web::post().to(actions::action)),
        )
        .service(
            resource("/procurements/{id}/questionnaire")
                .route(web::get().to(questionnaire::page))
                .route(web::post().to(question_form::add_question)),
        )
        .service(
            resource("/procurements/{id}/questionnaire/new")
                .route(web::get().to(question_form::new_page)),
        )
        .service(
            resource("/procurements/{id}/questionnaire/remove")
                .route(web::post().to(questionnaire::remove_question)),
        )
        .service(
            resource("/procurements/{id}/questionnaire/{qid}")
                .route(web::post().to(question_form::change_question)),
        )
        .service(
            resource("/procurements/{id}/questionnaire/{qid}/edit")
                .route(web::get().to(question_form::edit_page)),
        )
        .service(
            resource("/procurements/{id}/questionnaire/{qid}/kind")
                .route(web::get().to(question_form::change_kind_page)),
        )
        .service(
            resource("/procurements/{id}/questionnaire/{qid}/move")
                .route(web::post().to(questionnaire::move_page)),
        )
        .service(
            resource("/procurements/{id}/clarifications")
                .route(web::get().to(clarifications::page)),
        )
        .service(
            resource("/procurements/{id}/clarifications/{cid}")
                .route(web::post().to(clarifications::answer)),
        )
        .service(
            resource("/procurements/{id}/panel")
                .route(web::get().to(evaluation::panel_page))
                .route(web::post().to(evaluation::set_panel)),
        )
        .service(
            resource("/procurements/{id}/declarations")
                .route(web::get().to(declarations::declarations_page))
                .route(web::post().to(declarations::declare)),
        )
        .service(
            resource("/procurements/{id}/evaluation")
                .route(web::get().to(evaluation::evaluation_page)),
        )
        .service(
            resource("/procurements/{id}/moderation")
                .route(web::get().to(results::moderation_page)),
        )
        .service(
            resource("/procurements/{id}/moderation/{sid}/{qid}")
                .route(web::post().to(results::moderate)),
        )
        .service(
            resource("/procurements/{id}/price-check/{sid}")
                .route(web::post().to(results::record_price_check)),
        )
        .service(
            resource("/procurements/{id}/results")
                .route(web::get().to(results::results_page))
                .route(web::post().to(results::award)),
        )
        .service(
            resource("/evaluations/{sid}")
                .route(web::get().to(scoring::score_sheet_page))
                .route(web::post().to(scoring::save_score_sheet)),
        )
        .service(resource("/evaluations/{sid}/check").route(web::get().to(scoring::check_page)))
        .service(
            resource("/evaluations/{sid}/submit").route(web::post().to(scoring::submit_scores)),
        );
}

/// A success notice chosen by a fixed key (never text from the query string).
fn notice(done: Option<&str>) -> Option<&'static str> {
    Some(match done? {
        "created" => {
            "Procurement created. Next, build the questionnaire and record the conflicts assessment."
        }
        "saved" => "Saved.",
        "moved" => "Question moved.",
        "published" => "Published. Providers can now see this opportunity and bid.",
        "assessed" => "Conflicts assessment recorded.",
        "opened" => {
            "The submissions are open. Assign the evaluation panel if you have not already."
        }
        "cancelled" => "The procurement is cancelled.",
        "contract-entered" => "The contract is recorded as entered into.",
        "document" => "Document added.",
        "timetable" => {
            "Timetable changed. Everyone who registered interest or started a bid has been emailed."
        }
        "panel" => {
            "Panel saved. Each evaluator must declare their interests before they can see any bid."
        }
        "answered" => "Answer saved and emailed.",
        "moderated" => "Agreed score saved.",
        "awarded" => {
            "Awarded. Every bidder has been emailed their assessment summary, and standstill has started."
        }
        "interest" => {
            "Interest registered. We will email you about changes and published clarifications."
        }
        "asked" => "Question sent. We will email you when the council answers.",
        "draft" => "Your draft is saved.",
        "submitted" => "Your bid is submitted and sealed. We have emailed you a receipt.",
        "withdrawn" => "Your bid is withdrawn. You can submit again before the deadline.",
        "uploaded" => "File attached.",
        "removed" => "File removed.",
        "declared" => "Declarations recorded.",
        "declarations-confirmed" => {
            "Your declarations are confirmed. You can now score each bid you have no conflict of interest with."
        }
        "scores-confirmed" => {
            "Your scores are submitted. You can now see the other evaluators' marks for that bid."
        }
        "scores-saved" => "Your scores are saved as a draft.",
        "scores-submitted" => {
            "Your scores are submitted. You can now see the other evaluators' marks."
        }
        _ => return None,
    })
}

/// `?done=`: which notice to show after a redirect.
#[derive(Debug, Default, Deserialize)]
pub struct DoneQuery {
    done: Option<String>,
}

impl DoneQuery {
    fn feedback(&self) -> crate::web::Feedback {
        crate::web::Feedback::notice(notice(self.done.as_deref()))
    }
}

/// A status as a GOV.UK tag.
#[derive(Debug, Clone, Serialize)]
struct StatusTag {
    text: &'static str,
    colour: &'static str,
}

/// A file in a list: its name and size as people read them.
#[derive(Debug, Clone, Serialize)]
struct FileRow {
    id: Uuid,
    title: String,
    file_name: String,
    size: String,
}

impl From<&FileView> for FileRow {
    fn from(f: &FileView) -> Self {
        Self {
            id: f.id,
            title: f.title.clone(),
            file_name: f.file_name.clone(),
            size: size(f.size_bytes),
        }
    }
}

/// A procurement as every page shows it (`p` in the templates).
#[derive(Debug, Clone, Serialize)]
struct ProcurementFacts {
    id: Uuid,
    reference: String,
    title: String,
    description: String,
    council_name: String,
    service_type: &'static str,
    districts: String,
    value: String,
    regime: &'static str,
    light_touch: bool,
    procedure: &'static str,
    lots: Vec<Lot>,
    clarification_deadline: String,
    submission_deadline: String,
    /// How long is left to bid, in words ("3 days left", "closes today at 5:00pm").
    submission_time_left: String,
    planned_award_date: String,
    standstill_working_days: i32,
    status: StatusTag,
    is_draft: bool,
    cancelled: bool,
    is_open: bool,
    is_closed: bool,
    in_evaluation: bool,
    awarded: bool,
    published_at: Option<String>,
    opened_at: Option<String>,
    awarded_at: Option<String>,
    standstill_ends_at: Option<String>,
    in_standstill: bool,
    awaiting_contract: bool,
    contract_entered_at: Option<String>,
    conflicts_assessed: bool,
    questionnaire_version: i32,
    documents: Vec<FileRow>,
}

impl From<&ProcurementView> for ProcurementFacts {
    fn from(v: &ProcurementView) -> Self {
        let time = |t: Option<DateTime<Utc>>| t.map(london_time);
        Self {
            id: v.id,
            reference: v.reference.clone(),
            title: v.title.clone(),
            description: v.description.clone(),
            council_name: v.council_name.clone(),
            service_type: v.service_type.label(),
            districts: v.district_names.join(", "),
            value: Pence(v.estimated_value_pence).to_string(),
            regime: v.regime.label(),
            light_touch: v.light_touch,
            procedure: v.procedure.label(),
            lots: v.lots.clone(),
            clarification_deadline: london_time(v.clarification_deadline),
            submission_deadline: london_time(v.submission_deadline),
            submission_time_left: crate::calendar::time_left(v.submission_deadline, Utc::now()),
            planned_award_date: long_date(v.planned_award_date),
            standstill_working_days: v.standstill_working_days,
            status: StatusTag {
                text: v.status.label(),
                colour: v.status.colour(),
            },
            is_draft: v.status == ProcurementStatus::Draft,
            cancelled: v.status == ProcurementStatus::Cancelled,
            is_open: v.status == ProcurementStatus::Open,
            is_closed: v.status == ProcurementStatus::Closed,
            in_evaluation: v.status == ProcurementStatus::InEvaluation,
            awarded: v.awarded_at.is_some(),
            published_at: time(v.published_at),
            opened_at: time(v.opened_at),
            awarded_at: time(v.awarded_at),
            standstill_ends_at: time(v.standstill_ends_at),
            in_standstill: v.status == ProcurementStatus::Standstill,
            awaiting_contract: v.status == ProcurementStatus::AwaitingContract,
            contract_entered_at: time(v.contract_entered_at),
            conflicts_assessed: v.conflicts_assessed_at.is_some(),
            questionnaire_version: v.questionnaire_version,
            documents: v.documents.iter().map(FileRow::from).collect(),
        }
    }
}

/// "12 KB", "1.5 MB".
fn size(bytes: i64) -> String {
    if bytes < 1024 * 1024 {
        format!("{} KB", (bytes + 1023) / 1024)
    } else {
        format!("{:.1} MB", bytes as f64 / (1024.0 * 1024.0))
    }
}

/// What kind of question it is and its limits, in a line.
fn kind_hint(q: &Question) -> String {
    let mut parts = vec![q.kind.label().to_string()];
    if let Some(w) = q.weight {
        parts.push(format!("weight {w}%"));
    }
    if let Some(l) = q.word_limit {
        parts.push(format!("up to {l} words"));
    }
    if let Some(p) = q.pass_answer {
        parts.push(format!("passes with \"{}\"", if p { "Yes" } else { "No" }));
    }
    parts.join(", ")
}

/// A question as a list of questions shows it.
#[derive(Debug, Clone, Serialize)]
struct QuestionLine {
    id: String,
    title: String,
    guidance: String,
    hint: String,
    kind: &'static str,
    bands: Vec<crate::evaluation::Band>,
}

/// A section of questions.
#[derive(Debug, Clone, Serialize)]
struct SectionLines {
    title: String,
    questions: Vec<QuestionLine>,
}

fn sections(q: &Questionnaire) -> Vec<SectionLines> {
    q.sections
        .iter()
        .map(|s| SectionLines {
            title: s.title.clone(),
            questions: s
                .questions
                .iter()
                .map(|q| QuestionLine {
                    id: q.id.clone(),
                    title: q.title.clone(),
                    guidance: q.guidance.clone(),
                    hint: kind_hint(q),
                    kind: q.kind.as_str(),
                    bands: q.bands.clone(),
                })
                .collect(),
        })
        .collect()
}

/// One option of a select, radios or checkboxes.
#[derive(Debug, Clone, Serialize)]
struct Choice {
    value: String,
    text: String,
    selected: bool,
}

fn choices<T: Copy>(
    all: &[T],
    value: impl Fn(T) -> String,
    text: impl Fn(T) -> String,
    selected: &str,
) -> Vec<Choice> {
    all.iter()
        .map(|x| Choice {
            value: value(*x),
            text: text(*x),
            selected: value(*x) == selected,
        })
        .collect()
}
