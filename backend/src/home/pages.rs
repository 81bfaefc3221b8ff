//! Pages that belong to no one context: the start page, the dashboard for each role and the
//! accessibility statement.

use crate::auth::Role;
use crate::auth::csrf::CsrfToken;
use crate::state::AppState;
use crate::web::tasks::{Task, TaskStatus};
use crate::web::{Layout, PageError, render};
use crate::web::{MaybePageUser, PageUser};
use actix_web::{HttpResponse, web};
use serde::Serialize;

/// GET /
pub async fn start_page(user: MaybePageUser, csrf: CsrfToken) -> HttpResponse {
    render(
        "start",
        Layout::new(
            "Commission and provide adult social care",
            "/",
            user.0.as_ref(),
            &csrf,
        ),
        (),
        &csrf,
    )
}

/// GET /accessibility
pub async fn accessibility_page(user: MaybePageUser, csrf: CsrfToken) -> HttpResponse {
    render(
        "accessibility",
        Layout::new(
            "Accessibility statement",
            "/accessibility",
            user.0.as_ref(),
            &csrf,
        ),
        (),
        &csrf,
    )
}

/// GET /feedback: where the Beta banner's link goes: how to tell the council what works
/// and what does not.
pub async fn feedback_page(
    state: web::Data<AppState>,
    user: MaybePageUser,
    csrf: CsrfToken,
) -> HttpResponse {
    let address = &state.settings.mail.feedback;
    crate::web::message_page(
        actix_web::http::StatusCode::OK,
        &csrf,
        user.0.as_ref(),
        "Give feedback on this service",
        vec![
            "This is a new service. Tell us what works, what does not, and what you expected \
             to find: each message is read by the team that runs it."
                .into(),
            format!("Email {address}. Say which page you were on and what you were trying to do."),
            "Do not include details of people who receive care.".into(),
        ],
        Some((
            &format!("mailto:{address}?subject=Feedback"),
            "Write an email",
        )),
    )
}

/// One panel of a dashboard: what will appear there and where to go meanwhile.
#[derive(Serialize)]
struct Panel {
    heading: &'static str,
    empty: &'static str,
    link: Option<(&'static str, &'static str)>,
}

#[derive(Serialize)]
struct Dashboard {
    heading: String,
    /// What the person has to do next, as a task list (empty: "Nothing to do").
    todo: Vec<Task>,
    panels: Vec<Panel>,
    verification_sent: bool,
}

/// `?verification=sent` after asking for a new confirmation link.
#[derive(serde::Deserialize)]
pub struct DashboardQuery {
    verification: Option<String>,
}

/// Providers' insurances and CQC ratings, for commissioners and administrators.
const PROVIDER_EVIDENCE: Panel = Panel {
    heading: "Providers' evidence",
    empty: "Providers whose insurance has lapsed or whose CQC location is rated Inadequate, with each provider's insurances and ratings, where you record a new rating.",
    link: Some(("/providers/concerns", "See providers with a concern")),
};

/// GET /dashboard: what each role has to do. Until a capability exists, its panel says
/// honestly what will appear there.
pub async fn dashboard_page(
    state: web::Data<AppState>,
    user: PageUser,
    csrf: CsrfToken,
    query: web::Query<DashboardQuery>,
) -> Result<HttpResponse, PageError> {
    let u = &user.0;
    let now = chrono::Utc::now();
    let todo = if u.role == Role::Admin {
        let failed_runs = state.jobs.status().await?.iter().map(|j| j.failures).sum();
        let mut conn = state.db().await?;
        crate::admin::todo::for_admin(&mut conn, failed_runs, now).await?
    } else {
        let mut conn = state.db().await?;
        crate::procurement::todo::for_user(&mut conn, u, now).await?
    };
    let todo = todo
        .into_iter()
        .enumerate()
        .map(|(i, t)| {
            let status = if t.urgent {
                TaskStatus::NeedsAttention
            } else {
                TaskStatus::InProgress
            };
            Task::new(format!("todo-{i}"), t.title, Some(t.href), status)
                .hint(t.hint)
                .status_words(t.status)
        })
        .collect();
    let panels = match u.role {
        Role::Admin => vec![
            Panel {
                heading: "Users",
                empty: "Add council staff and provider users, change their roles, or deactivate accounts.",
                link: Some(("/admin/users", "Manage users")),
            },
            Panel {
                heading: "Organisations",
                empty: "The council and the care providers registered with it.",
                link: Some(("/admin/organisations", "Manage organisations")),
            },
            Panel {
                heading: "Jobs and email",
                empty: "Scheduled jobs with their next run and any failures, and every email the service has sent or is waiting to send.",
                link: Some(("/admin/jobs", "View scheduled jobs")),
            },
            PROVIDER_EVIDENCE,
            Panel {
                heading: "Audit log",
                empty: "Every change made in the service, with who made it and when. The log's integrity is checked each time you open it.",
                link: Some(("/admin/audit", "View the audit log")),
            },
        ],
        Role::Commissioner => vec![
            Panel {
                heading: "Your procurements",
                empty: "Tenders you run: the questionnaire, clarifications, sealed bids, the evaluation panel, moderation, award and standstill.",
                link: Some(("/procurements", "See your procurements")),
            },
            Panel {
                heading: "Dynamic purchasing systems",
                empty: "DPSs and dynamic markets providers may join at any time: their lots, each lot's conditions of membership, and establishing them.",
                link: Some(("/dps", "See your DPSs")),
            },
            PROVIDER_EVIDENCE,
        ],
        Role::Evaluator => vec![Panel {
            heading: "Evaluations assigned to you",
            empty: "Procurements whose evaluation panel you sit on. You declare any conflict of interest with each bidder before you see any bid.",
            link: Some(("/procurements", "See your evaluations")),
        }],
        Role::ContractManager => vec![Panel {
            heading: "Awarded contracts",
            empty: "Your council's tenders, with who won each, the standstill period and when the contract was entered into. Awards from the last year are listed above.",
            link: Some(("/procurements", "See the council's procurements")),
        }],
        Role::Provider => vec![
            Panel {
                heading: "Your organisation",
                empty: "Keep your registration numbers, the districts you serve and your CQC locations up to date: councils check them when you apply.",
                link: Some(("/organisation", "View your organisation")),
            },
            Panel {
                heading: "Opportunities",
                empty: "Tenders open for bids from care providers, which you can filter by type of service and district.",
                link: Some(("/opportunities", "Find opportunities")),
            },
            Panel {
                heading: "Dynamic purchasing systems",
                empty: "Councils' DPSs and dynamic markets, open to providers throughout their term: their lots and the conditions for joining each.",
                link: Some(("/dps", "See open DPSs")),
            },
            Panel {
                heading: "Your bids",
                empty: "Your drafts and submitted bids with their deadlines, and each outcome with its assessment summary.",
                link: Some(("/bids", "See your bids")),
            },
        ],
    };
    Ok(render(
        "dashboard",
        Layout::new("Dashboard", "/dashboard", Some(u), &csrf),
        Dashboard {
            heading: format!("{} dashboard", u.role.label()),
            todo,
            panels,
            verification_sent: query.verification.as_deref() == Some("sent"),
        },
        &csrf,
    ))
}
