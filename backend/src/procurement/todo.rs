//! What each role has to do next in tenders, for the top of their dashboard: a provider's
//! unfinished bids and outcomes, an evaluator's declarations and bids to score, a
//! commissioner's unanswered questions, openings, moderation and standstill, a contract
//! manager's awarded contracts. Each list is read in a few statements whatever the number
//! of tenders, and only from the reader's own organisation (or panel).

use super::bids;
use super::errors::Result;
use crate::auth::{AuthUser, Role};
use crate::calendar::{london_time, time_left};
use crate::db::schema::{
    clarifications, competitions, conflict_declarations, moderated_scores, panel_members,
    procurement_interests, procurements, score_sheets, submissions,
};
use chrono::{DateTime, Duration, Utc};
use diesel::prelude::*;
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use std::collections::{HashMap, HashSet};
use uuid::Uuid;

/// One thing to do (or to know), linked to where it is done.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ToDo {
    pub title: String,
    pub href: String,
    /// A line under the title: how much is done, or what it is about.
    pub hint: String,
    /// A short status beside it ("3 days left", "Waiting"), and whether it is urgent
    /// (shown in red: due today or tomorrow, or holding up someone else).
    pub status: String,
    pub urgent: bool,
}

/// Answers published to every bidder in the last fortnight are news to a provider.
const RECENT_ANSWERS_DAYS: i64 = 14;
/// An outcome stays on the provider's list for this long after the deadline.
const OUTCOME_DAYS: i64 = 120;

/// What the signed-in person has to do in tenders, most pressing first within each kind.
pub async fn for_user(
    conn: &mut AsyncPgConnection,
    user: &AuthUser,
    now: DateTime<Utc>,
) -> Result<Vec<ToDo>> {
    match user.role {
        Role::Provider => for_provider(conn, user, now).await,
        Role::Evaluator => for_evaluator(conn, user).await,
        Role::Commissioner => for_commissioner(conn, user, now).await,
        Role::ContractManager => for_contract_manager(conn, user, now).await,
        Role::Admin => Ok(Vec::new()),
    }
}

async fn for_provider(
    conn: &mut AsyncPgConnection,
    user: &AuthUser,
    now: DateTime<Utc>,
) -> Result<Vec<ToDo>> {
    let mut mine = bids::mine(conn, user).await?;
    mine.sort_by_key(|b| b.submission_deadline);
    let mut todo = Vec::new();
    for b in &mine {
        let name = format!("{} {}", b.reference, b.title);
        let left = b.submission_deadline - now;
        match b.status {
            bids::BidStatus::Draft => todo.push(ToDo {
                title: format!("Finish and submit your bid for {name}"),
                href: format!("/bids/{}", b.id),
                hint: format!("Deadline {}", london_time(b.submission_deadline)),
                status: time_left(b.submission_deadline, now),
                urgent: left < Duration::days(2),
            }),
            bids::BidStatus::Successful | bids::BidStatus::Unsuccessful
                if now - b.submission_deadline < Duration::days(OUTCOME_DAYS) =>
            {
                todo.push(ToDo {
                    title: format!("Read your assessment summary for {name}"),
                    href: format!("/bids/{}", b.id),
                    hint: "Your scores, the reasons for them and, if you were not successful, the winning bid's.".into(),
                    status: b.status.label().0.into(),
                    urgent: false,
                })
            }
            _ => {}
        }
    }
    let since = now - Duration::days(RECENT_ANSWERS_DAYS);
    let answered: Vec<(Uuid, String, String)> = clarifications::table
        .inner_join(competitions::table.on(competitions::id.eq(clarifications::procurement_id)))
        .filter(clarifications::published.eq(true))
        .filter(clarifications::answered_at.gt(since))
        .filter(
            clarifications::procurement_id.eq_any(
                procurement_interests::table
                    .filter(procurement_interests::organisation_id.eq(user.organisation_id))
                    .select(procurement_interests::procurement_id),
            ),
        )
        .select((
            competitions::id,
            competitions::reference,
            competitions::title,
        ))
        .load(conn)
        .await?;
    for ((id, reference, title), count) in counted(answered) {
        todo.push(ToDo {
            title: format!("Read the council's answers about {reference} {title}"),
            href: format!("/opportunities/{id}"),
            hint: format!(
                "{} answered in the last {RECENT_ANSWERS_DAYS} days, shared with every bidder.",
                plural(count, "question", "questions")
            ),
            status: "New answers".into(),
            urgent: false,
        });
    }
    Ok(todo)
}

async fn for_evaluator(conn: &mut AsyncPgConnection, user: &AuthUser) -> Result<Vec<ToDo>> {
    // The panels the evaluator sits on whose evaluation is not over.
    let panels: Vec<PanelRow> = panel_members::table
        .inner_join(competitions::table.on(competitions::id.eq(panel_members::competition_id)))
        .filter(panel_members::user_id.eq(user.id))
        .filter(competitions::decided_at.is_null())
        .filter(competitions::cancelled_at.is_null())
        .select((
            competitions::id,
            competitions::reference,
            competitions::title,
            panel_members::declared_at,
            competitions::opened_at,
        ))
        .order(competitions::submission_deadline)
        .load(conn)
        .await?;
    let opened: Vec<Uuid> = panels
        .iter()
        .filter(|p| p.3.is_some() && p.4.is_some())
        .map(|p| p.0)
        .collect();
    // The bids each opened competition holds, the evaluator's own conflicts and the score
    // sheets they have submitted: three statements for every panel at once.
    let bids: Vec<(Uuid, Uuid, Uuid)> = submissions::table
        .filter(submissions::competition_id.eq_any(&opened))
        .filter(submissions::submitted_at.is_not_null())
        .filter(submissions::withdrawn_at.is_null())
        .select((
            submissions::competition_id,
            submissions::id,
            submissions::organisation_id,
        ))
        .load(conn)
        .await?;
    let conflicted: HashSet<(Uuid, Uuid)> = conflict_declarations::table
        .filter(conflict_declarations::competition_id.eq_any(&opened))
        .filter(conflict_declarations::user_id.eq(user.id))
        .filter(conflict_declarations::conflicted.eq(true))
        .select((
            conflict_declarations::competition_id,
            conflict_declarations::organisation_id,
        ))
        .load::<(Uuid, Uuid)>(conn)
        .await?
        .into_iter()
        .collect();
    let scored: HashSet<Uuid> = score_sheets::table
        .filter(score_sheets::user_id.eq(user.id))
        .filter(score_sheets::submitted_at.is_not_null())
        .filter(score_sheets::submission_id.eq_any(bids.iter().map(|b| b.1).collect::<Vec<_>>()))
        .select(score_sheets::submission_id)
        .load::<Uuid>(conn)
        .await?
        .into_iter()
        .collect();
    let mut todo = Vec::new();
    for (id, reference, title, declared, opened_at) in panels {
        let name = format!("{reference} {title}");
        let href = format!("/procurements/{id}/evaluation");
        if declared.is_none() {
            todo.push(ToDo {
                title: format!("Declare any conflicts of interest for {name}"),
                href: format!("/procurements/{id}/declarations"),
                hint: "You declare for each bidder before you can read any bid.".into(),
                status: "To do".into(),
                urgent: opened_at.is_some(),
            });
            continue;
        }
        if opened_at.is_none() {
            continue;
        }
        let mine: Vec<Uuid> = bids
            .iter()
            .filter(|b| b.0 == id && !conflicted.contains(&(id, b.2)))
            .map(|b| b.1)
            .collect();
        let done = mine.iter().filter(|b| scored.contains(*b)).count();
        if done < mine.len() {
            todo.push(ToDo {
                title: format!("Score the bids for {name}"),
                href,
                hint: format!("{done} of {} scored and submitted.", mine.len()),
                status: if done == 0 {
                    "Not started"
                } else {
                    "In progress"
                }
                .into(),
                urgent: false,
            });
        }
    }
    Ok(todo)
}

/// A panel the evaluator sits on: id, reference, title, when they declared, when opened.
type PanelRow = (
    Uuid,
    String,
    String,
    Option<DateTime<Utc>>,
    Option<DateTime<Utc>>,
);

/// An awarded tender: id, reference, title, when decided, when the contract was entered.
type AwardedRow = (Uuid, String, String, DateTime<Utc>, Option<DateTime<Utc>>);

/// A council procurement's stage, as far as the dashboard needs it.
type CouncilRow = (
    Uuid,
    String,
    String,
    Option<DateTime<Utc>>,
    DateTime<Utc>,
    Option<DateTime<Utc>>,
    Option<DateTime<Utc>>,
    Option<DateTime<Utc>>,
    Option<DateTime<Utc>>,
);

async fn for_commissioner(
    conn: &mut AsyncPgConnection,
    user: &AuthUser,
    now: DateTime<Utc>,
) -> Result<Vec<ToDo>> {
    let rows: Vec<CouncilRow> = procurements::table
        .inner_join(competitions::table)
        .filter(competitions::council_id.eq(user.organisation_id))
        .filter(competitions::cancelled_at.is_null())
        .filter(procurements::contract_entered_at.is_null())
        .select((
            competitions::id,
            competitions::reference,
            competitions::title,
            competitions::published_at,
            competitions::submission_deadline,
            competitions::opened_at,
            competitions::decided_at,
            procurements::standstill_ends_at,
            procurements::contract_entered_at,
        ))
        .order(competitions::submission_deadline)
        .load(conn)
        .await?;
    let ids: Vec<Uuid> = rows.iter().map(|r| r.0).collect();
    let unanswered: HashMap<Uuid, usize> = clarifications::table
        .filter(clarifications::procurement_id.eq_any(&ids))
        .filter(clarifications::answer.is_null())
        .select(clarifications::procurement_id)
        .load::<Uuid>(conn)
        .await?
        .into_iter()
        .fold(HashMap::new(), |mut m, id| {
            *m.entry(id).or_default() += 1;
            m
        });
    // Moderation under way: how many of the opened bids have any agreed score yet.
    let moderating: Vec<Uuid> = rows
        .iter()
        .filter(|r| r.5.is_some() && r.6.is_none())
        .map(|r| r.0)
        .collect();
    let bids: Vec<(Uuid, Uuid)> = submissions::table
        .filter(submissions::competition_id.eq_any(&moderating))
        .filter(submissions::submitted_at.is_not_null())
        .filter(submissions::withdrawn_at.is_null())
        .select((submissions::competition_id, submissions::id))
        .load(conn)
        .await?;
    let agreed: HashSet<Uuid> = moderated_scores::table
        .filter(
            moderated_scores::submission_id.eq_any(bids.iter().map(|b| b.1).collect::<Vec<_>>()),
        )
        .select(moderated_scores::submission_id)
        .distinct()
        .load::<Uuid>(conn)
        .await?
        .into_iter()
        .collect();
    let mut todo = Vec::new();
    for (id, reference, title, published, deadline, opened, decided, standstill, _) in rows {
        let name = format!("{reference} {title}");
        let page = format!("/procurements/{id}");
        if let Some(n) = unanswered.get(&id) {
            todo.push(ToDo {
                title: format!("Answer clarification questions about {name}"),
                href: format!("{page}/clarifications"),
                hint: format!(
                    "{} waiting for an answer.",
                    plural(*n, "question", "questions")
                ),
                status: "Waiting".into(),
                urgent: true,
            });
        }
        match (published, opened, decided, standstill) {
            (None, ..) => todo.push(ToDo {
                title: format!("Finish and publish {name}"),
                href: page,
                hint: format!("Bids are due by {}.", london_time(deadline)),
                status: "Draft".into(),
                urgent: false,
            }),
            (Some(_), None, ..) if deadline <= now => todo.push(ToDo {
                title: format!("Open the bids for {name}"),
                href: page,
                hint: format!("The deadline passed on {}.", london_time(deadline)),
                status: "Ready".into(),
                urgent: true,
            }),
            (Some(_), Some(_), None, _) => {
                let all: Vec<Uuid> = bids.iter().filter(|b| b.0 == id).map(|b| b.1).collect();
                let started = all.iter().filter(|b| agreed.contains(*b)).count();
                todo.push(ToDo {
                    title: format!("Moderate the scores for {name}"),
                    href: format!("{page}/moderation"),
                    hint: format!(
                        "Moderation started on {started} of {}.",
                        plural(all.len(), "bid", "bids")
                    ),
                    status: "In progress".into(),
                    urgent: false,
                });
            }
            (Some(_), Some(_), Some(_), Some(ends)) if ends > now => todo.push(ToDo {
                title: format!("Standstill for {name}"),
                href: page,
                hint: format!(
                    "Standstill ends {}. You may enter into the contract after that.",
                    london_time(ends)
                ),
                status: time_left(ends, now).replace("closes", "ends"),
                urgent: false,
            }),
            (Some(_), Some(_), Some(_), Some(_)) => todo.push(ToDo {
                title: format!("Record that the contract for {name} has been entered into"),
                href: page,
                hint: "Standstill has ended with no challenge recorded.".into(),
                status: "Ready".into(),
                urgent: false,
            }),
            _ => {}
        }
    }
    Ok(todo)
}

async fn for_contract_manager(
    conn: &mut AsyncPgConnection,
    user: &AuthUser,
    now: DateTime<Utc>,
) -> Result<Vec<ToDo>> {
    let awarded: Vec<AwardedRow> = procurements::table
        .inner_join(competitions::table)
        .filter(competitions::council_id.eq(user.organisation_id))
        .filter(competitions::decided_at.is_not_null())
        .filter(competitions::cancelled_at.is_null())
        .filter(competitions::decided_at.gt(now - Duration::days(365)))
        .select((
            competitions::id,
            competitions::reference,
            competitions::title,
            competitions::decided_at.assume_not_null(),
            procurements::contract_entered_at,
        ))
        .order(competitions::decided_at.desc())
        .load(conn)
        .await?;
    Ok(awarded
        .into_iter()
        .map(|(id, reference, title, decided, entered)| ToDo {
            title: format!("{reference} {title}"),
            href: format!("/procurements/{id}"),
            hint: match entered {
                Some(at) => format!(
                    "Awarded {}; contract entered into {}.",
                    london_time(decided),
                    london_time(at)
                ),
                None => format!(
                    "Awarded {}; the contract is not yet entered into.",
                    london_time(decided)
                ),
            },
            status: if entered.is_some() {
                "Contract in place"
            } else {
                "Awarded"
            }
            .into(),
            urgent: false,
        })
        .collect())
}

/// Rows counted by key, in the order each key first appears.
fn counted<K: Eq + std::hash::Hash + Clone>(rows: Vec<K>) -> Vec<(K, usize)> {
    let mut order = Vec::new();
    let mut counts: HashMap<K, usize> = HashMap::new();
    for row in rows {
        let n = counts.entry(row.clone()).or_default();
        if *n == 0 {
            order.push(row);
        }
        *n += 1;
    }
    order
        .into_iter()
        .map(|k| {
            let n = counts[&k];
            (k, n)
        })
        .collect()
}

fn plural(n: usize, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}
