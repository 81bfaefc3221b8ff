//! The views behind the task list, check-your-answers and confirmation-panel partials
//! (`frontend/templates/partials/task_list.hbs`, `check_answers.hbs`,
//! `confirmation_panel.hbs`): a long job split into parts a person can do in any order,
//! checked on one page before the final step, and a panel that says it is done. Every
//! journey (a bid, a DPS application, a fee response, a monthly return) builds these
//! views; none writes its own markup for them.

use serde::Serialize;

/// Where a task stands, in the words GOV.UK's task list uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum TaskStatus {
    /// Nothing entered yet.
    NotStarted,
    /// Something entered, but not all that is needed.
    InProgress,
    /// Everything needed is entered.
    Completed,
    /// Waiting on another task (no link).
    CannotStartYet,
    /// Something must be put right first (shown in red).
    NeedsAttention,
}

impl TaskStatus {
    /// The words shown, and the tag colour (none: plain text, as GOV.UK shows "Completed").
    pub fn shown(self) -> (&'static str, Option<&'static str>) {
        match self {
            Self::NotStarted => ("Not yet started", Some("blue")),
            Self::InProgress => ("In progress", Some("light-blue")),
            Self::Completed => ("Completed", None),
            Self::CannotStartYet => ("Cannot start yet", None),
            Self::NeedsAttention => ("Needs attention", Some("red")),
        }
    }

    /// The status of a part with `done` of `total` things answered.
    pub fn of(done: usize, total: usize) -> Self {
        if total > 0 && done >= total {
            Self::Completed
        } else if done == 0 {
            Self::NotStarted
        } else {
            Self::InProgress
        }
    }
}

/// One row of a task list.
#[derive(Debug, Clone, Serialize)]
pub struct Task {
    /// Unique on the page: the status and hint are tied to the link by it.
    pub id: String,
    pub title: String,
    pub hint: String,
    /// Where the task is done; none when it cannot start yet.
    pub href: Option<String>,
    pub status: String,
    pub tag: Option<&'static str>,
}

impl Task {
    pub fn new(
        id: impl Into<String>,
        title: impl Into<String>,
        href: Option<String>,
        status: TaskStatus,
    ) -> Self {
        let (words, tag) = status.shown();
        let href = if status == TaskStatus::CannotStartYet {
            None
        } else {
            href
        };
        Self {
            id: id.into(),
            title: title.into(),
            hint: String::new(),
            href,
            status: words.into(),
            tag,
        }
    }

    /// With a line under the title (what the task asks, or how much is done).
    pub fn hint(mut self, hint: impl Into<String>) -> Self {
        self.hint = hint.into();
        self
    }

    /// With other words for the status, in the status's colour ("3 of 5 scored").
    pub fn status_words(mut self, words: impl Into<String>) -> Self {
        self.status = words.into();
        self
    }
}

/// One row of check your answers.
#[derive(Debug, Clone, Serialize)]
pub struct AnswerRow {
    pub key: String,
    /// The answer, a paragraph per line; empty shows "Not answered".
    pub lines: Vec<String>,
    /// Where to change it; none for no Change link (after the last date for changes).
    pub href: Option<String>,
    /// What the Change link changes, read out by screen readers ("Q2 answer").
    pub change: String,
}

impl AnswerRow {
    pub fn new(key: impl Into<String>, lines: Vec<String>) -> Self {
        let key = key.into();
        Self {
            change: key.clone(),
            key,
            lines: lines.into_iter().filter(|l| !l.trim().is_empty()).collect(),
            href: None,
        }
    }

    /// With a Change link to `href`.
    pub fn change_at(mut self, href: impl Into<String>) -> Self {
        self.href = Some(href.into());
        self
    }
}

/// The confirmation panel: the title, and the reference to keep (if any).
#[derive(Debug, Clone, Serialize)]
pub struct Panel {
    pub title: String,
    pub reference_label: String,
    pub reference: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::web::templates;
    use serde_json::json;

    #[test]
    fn a_task_that_cannot_start_has_no_link() {
        let t = Task::new("a", "Price", Some("/x".into()), TaskStatus::CannotStartYet);
        assert_eq!(t.href, None);
        assert_eq!(t.status, "Cannot start yet");
        assert_eq!(TaskStatus::of(0, 3), TaskStatus::NotStarted);
        assert_eq!(TaskStatus::of(2, 3), TaskStatus::InProgress);
        assert_eq!(TaskStatus::of(3, 3), TaskStatus::Completed);
        assert_eq!(TaskStatus::of(0, 0), TaskStatus::NotStarted);
    }

    #[test]
    fn the_partials_render_their_views() {
        let hb = templates();
        let tasks = vec![
            Task::new(
                "q",
                "Quality",
                Some("/bids/1/sections/0".into()),
                TaskStatus::InProgress,
            )
            .hint("2 of 3 questions answered"),
            Task::new(
                "check",
                "Check and submit",
                None,
                TaskStatus::CannotStartYet,
            ),
        ];
        let html = hb
            .render_template("{{> task_list tasks=tasks}}", &json!({ "tasks": tasks }))
            .unwrap();
        assert!(html.contains(r#"href="/bids/1/sections/0" aria-describedby="q-status q-hint""#));
        assert!(html.contains("govuk-tag--light-blue\">In progress"));
        assert!(html.contains("govuk-task-list__status--cannot-start-yet"));

        let rows = vec![
            AnswerRow::new("Q1 Your approach", vec!["First line".into(), "".into()])
                .change_at("/bids/1/sections/0#answer-Q1"),
            AnswerRow::new("Q2 Price", vec![]),
        ];
        let html = hb
            .render_template("{{> check_answers rows=rows}}", &json!({ "rows": rows }))
            .unwrap();
        assert!(html.contains("Change<span class=\"govuk-visually-hidden\"> Q1 Your approach"));
        assert!(html.contains("Not answered"));
        assert_eq!(
            html.matches("govuk-summary-list__row--no-actions").count(),
            1
        );

        let html = hb
            .render_template(
                "{{#> yes_no name=\"conflict\" legend=\"Any conflict?\" hint=\"\" value=\"yes\" errors=errors reveal_id=\"conflict-details\"}}<textarea></textarea>{{/yes_no}}",
                &json!({ "errors": [{"field": "conflict", "message": "Say whether"}] }),
            )
            .unwrap();
        assert!(html.contains(r#"value="yes" checked data-aria-controls="conflict-details""#));
        assert!(html.contains(r#"<div class="govuk-radios__conditional" id="conflict-details">"#));
        assert!(html.contains("Say whether"));

        let html = hb
            .render_template(
                "{{> textarea name=\"reason\" label=\"Why\" hint=\"\" value=\"typed <b>\" rows=4 errors=errors}}",
                &json!({ "errors": [{"field": "reason", "message": "Enter the reason"}] }),
            )
            .unwrap();
        assert!(html.contains(r#"class="govuk-textarea govuk-textarea--error" id="reason""#));
        assert!(html.contains(r#"aria-describedby="reason-error">typed &lt;b&gt;</textarea>"#));
    }
}
