//! The confirmation step before an action that cannot be undone (award, cancel, withdraw,
//! remove), written once. The page's own button posts the action's form as it is; without
//! `confirmed=yes` the handler answers with this page instead of acting, and this page's
//! button posts the same form again, confirmed, carrying what was chosen. No script and no
//! extra route: the way back is a link, which changes nothing.

use super::{Layout, render};
use crate::auth::csrf::CsrfToken;
use actix_web::HttpResponse;
use serde::{Deserialize, Serialize};

/// Whether a form's `confirmed` field says it was posted from its confirmation page (for
/// forms with fields of their own; a form with none uses [`ConfirmForm`]).
pub fn is_confirmed(confirmed: &str) -> bool {
    confirmed == "yes"
}

/// The field that says a form was posted from its confirmation page.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct ConfirmForm {
    confirmed: String,
}

impl ConfirmForm {
    /// Whether the person has confirmed.
    pub fn confirmed(&self) -> bool {
        is_confirmed(&self.confirmed)
    }
}

/// A hidden field the confirmed form carries again (say, each chosen bidder).
#[derive(Debug, Clone, Serialize)]
pub struct Carried {
    pub name: String,
    pub value: String,
}

/// What the confirmation page says and where its button posts.
#[derive(Debug, Clone, Serialize)]
pub struct Confirmation {
    /// The record it concerns, above the heading ("WCC-2026-031").
    pub caption: String,
    /// The question, e.g. "Are you sure you want to cancel Home care in Wyre Forest?"
    pub heading: String,
    /// What the action applies to, as a list (the bidders to award), if anything.
    pub items: Vec<String>,
    /// What will happen.
    pub paragraphs: Vec<String>,
    /// What the person should know first (unanswered questions, say).
    pub warnings: Vec<String>,
    /// Where the confirmed form posts: the action's own address.
    pub action: String,
    pub carry: Vec<Carried>,
    pub button: String,
    /// A red button, for actions that take something away.
    pub warning_button: bool,
    /// The link back, which changes nothing.
    pub back: String,
    pub back_text: String,
}

/// Renders the confirmation page.
pub fn render_confirmation(
    layout: Layout,
    confirmation: &Confirmation,
    csrf: &CsrfToken,
) -> HttpResponse {
    render("confirm", layout, confirmation, csrf)
}
