//! The audit log in words: "Jane Smith added a user: Bob Jones (bob@council.example)"
//! rather than `user.created user 6f1c…`. The actions' words live here, next to the one
//! page that shows them; the names of the records on a page are read in at most one
//! statement per kind of record, whatever the page's length.

use crate::db::schema::{competitions, organisations, submissions, users};
use diesel::prelude::*;
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use std::collections::HashMap;
use uuid::Uuid;

/// What an action did, as the end of a sentence that starts with who did it.
pub fn action_words(action: &str) -> Option<&'static str> {
    Some(match action {
        "audit.checkpointed" => "sealed the audit log and emailed the checkpoint",
        "bid_reminders.ran" => "sent the bid deadline reminders",
        "clarification.answered" => "answered a clarification question",
        "clarification.asked" => "asked a clarification question",
        "competition.decided" => "recorded the decisions on",
        "competition.opened" => "opened the bids for",
        "competition.panel_set" => "chose the evaluation panel for",
        "cqc_rating.recorded" => "recorded a new CQC rating for",
        "dps.ceased" => "ended early",
        "dps.created" => "set up a DPS:",
        "dps.established" => "established",
        "dps.notice_prepared" => "prepared a notice for",
        "dps.updated" => "changed the details of",
        "email.resend" => "asked to send an email again",
        "evaluation.moderated" => "moderated a score for",
        "evaluation.price_checked" => "checked the price of",
        "evaluation.scores_submitted" => "submitted scores for",
        "evaluator.declared" => "declared conflicts of interest for",
        "housekeeping.ran" => "tidied expired sessions and tokens",
        "insurance.added" => "added an insurance to the profile of",
        "insurance.changed" => "changed an insurance on the profile of",
        "insurance.removed" => "removed an insurance from the profile of",
        "insurance_reminders.ran" => "sent the insurance expiry reminders",
        "invitation.accepted" => "accepted an invitation",
        "invitation.cancelled" => "cancelled an invitation",
        "invitation.recovery_sent" => "sent an account recovery invitation",
        "invitation.sent" => "sent an invitation",
        "job.run_requested" => "asked for a job to run now",
        "organisation.created" => "added an organisation:",
        "organisation.deactivated" => "deactivated an organisation:",
        "organisation.reactivated" => "reactivated an organisation:",
        "organisation.registered" => "registered an organisation:",
        "organisation.updated" => "changed the details of",
        "procurement.awarded" => "awarded",
        "procurement.cancelled" => "cancelled",
        "procurement.conflicts_assessed" => "recorded the conflicts assessment for",
        "procurement.contract_entered" => "recorded the contract for",
        "procurement.created" => "created a procurement:",
        "procurement.document_added" => "added a document to",
        "procurement.interest_registered" => "registered interest in",
        "procurement.published" => "published",
        "procurement.standstill_ended" => "ended the standstill period of",
        "procurement.timetable_changed" => "changed the timetable of",
        "procurement.updated" => "changed the details of",
        "questionnaire.saved" => "changed the questions of",
        "questionnaire.versioned" => "published a new version of the questions of",
        "registration.refused_existing_address" => {
            "tried to register with an address already in use"
        }
        "submission.clarification_requested" => "asked for clarification of",
        "submission.clarified" => "answered a request for clarification of",
        "submission.decided" => "recorded the decision on",
        "submission.file_attached" => "attached a file to",
        "submission.file_removed" => "removed a file from",
        "submission.resubmitted" => "submitted again",
        "submission.started" => "started",
        "submission.submitted" => "submitted",
        "submission.withdrawn" => "withdrew",
        "user.created" => "added a user:",
        "user.deactivated" => "deactivated a user:",
        "user.email_verified" => "confirmed the email address of",
        "user.notification_preferences_changed" => "changed the email notifications of",
        "user.password_reset" => "reset the password of",
        "user.password_reset_requested" => "asked to reset the password of",
        "user.reactivated" => "reactivated a user:",
        "user.sign_in_throttled" => "was stopped from signing in after too many attempts:",
        "user.signed_in" => "signed in:",
        "user.signed_out" => "signed out:",
        "user.token_issued" => "was issued an API token:",
        "user.unsubscribed" => "unsubscribed from an email:",
        "user.updated" => "changed the details of",
        "user.verification_resent" => "asked for a new confirmation link:",
        _ => return None,
    })
}

/// The names of the records on a page, keyed by (record type, record id): a person's name
/// and email, an organisation's name, a procurement's reference and title, a bid's bidder
/// and procurement. Records of other kinds (or gone) have no name.
pub async fn record_names(
    conn: &mut AsyncPgConnection,
    records: &[(String, String)],
) -> QueryResult<HashMap<(String, String), String>> {
    let ids = |kind: &str| -> Vec<Uuid> {
        records
            .iter()
            .filter(|(t, _)| t == kind)
            .filter_map(|(_, id)| Uuid::parse_str(id).ok())
            .collect()
    };
    let mut names = HashMap::new();
    let mut put = |kind: &str, id: Uuid, name: String| {
        names.insert((kind.to_string(), id.to_string()), name);
    };
    let wanted = ids("user");
    if !wanted.is_empty() {
        for (id, name, email) in users::table
            .filter(users::id.eq_any(&wanted))
            .select((users::id, users::name, users::email))
            .load::<(Uuid, String, String)>(conn)
            .await?
        {
            put("user", id, format!("{name} ({email})"));
        }
    }
    let wanted = ids("organisation");
    if !wanted.is_empty() {
        for (id, name) in organisations::table
            .filter(organisations::id.eq_any(&wanted))
            .select((organisations::id, organisations::legal_name))
            .load::<(Uuid, String)>(conn)
            .await?
        {
            put("organisation", id, name);
        }
    }
    // A procurement or DPS is its competition's owner and shares its id (and its reference
    // and title, which the competition holds).
    let mut wanted = ids("procurement");
    wanted.extend(ids("competition"));
    wanted.extend(ids("dps"));
    if !wanted.is_empty() {
        for (id, reference, title) in competitions::table
            .filter(competitions::id.eq_any(&wanted))
            .select((
                competitions::id,
                competitions::reference,
                competitions::title,
            ))
            .load::<(Uuid, String, String)>(conn)
            .await?
        {
            put("procurement", id, format!("{reference} {title}"));
            put("competition", id, format!("{reference} {title}"));
            put("dps", id, format!("{reference} {title}"));
        }
    }
    let wanted = ids("submission");
    if !wanted.is_empty() {
        for (id, bidder, reference, title) in submissions::table
            .inner_join(organisations::table)
            .inner_join(competitions::table)
            .filter(submissions::id.eq_any(&wanted))
            .select((
                submissions::id,
                organisations::legal_name,
                competitions::reference,
                competitions::title,
            ))
            .load::<(Uuid, String, String, String)>(conn)
            .await?
        {
            put(
                "submission",
                id,
                format!("the bid from {bidder} for {reference} {title}"),
            );
        }
    }
    Ok(names)
}

/// The details of an entry as label and value pairs: `{"old_role": "evaluator"}` reads
/// "Old role: evaluator". Lists are joined; nested objects stay as compact JSON.
pub fn detail_lines(details: &serde_json::Value) -> Vec<(String, String)> {
    let Some(map) = details.as_object() else {
        return match details {
            serde_json::Value::Null => Vec::new(),
            other => vec![("Details".into(), other.to_string())],
        };
    };
    map.iter()
        .map(|(key, value)| {
            let mut label = key.replace('_', " ");
            if let Some(first) = label.get(0..1) {
                label = first.to_uppercase() + &label[1..];
            }
            (label, plain(value))
        })
        .collect()
}

fn plain(value: &serde_json::Value) -> String {
    match value {
        serde_json::Value::String(s) => s.clone(),
        serde_json::Value::Null => "none".into(),
        serde_json::Value::Bool(true) => "yes".into(),
        serde_json::Value::Bool(false) => "no".into(),
        serde_json::Value::Array(items) => items.iter().map(plain).collect::<Vec<_>>().join(", "),
        other => other.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn details_read_as_labelled_lines() {
        assert_eq!(
            detail_lines(
                &json!({"old_role": "evaluator", "districts": ["Wyre Forest", "Bromsgrove"], "active": false, "n": 3})
            ),
            vec![
                ("Active".to_string(), "no".to_string()),
                ("Districts".into(), "Wyre Forest, Bromsgrove".into()),
                ("N".into(), "3".into()),
                ("Old role".into(), "evaluator".into()),
            ]
        );
        assert!(detail_lines(&json!(null)).is_empty());
        assert!(detail_lines(&json!({})).is_empty());
    }

    #[test]
    fn every_action_the_code_records_has_words() {
        // The actions recorded anywhere in the backend, read from its source: a new action
        // without words here fails this test rather than showing a code on the page.
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
        let mut missing = Vec::new();
        let mut stack = vec![root];
        while let Some(dir) = stack.pop() {
            for entry in std::fs::read_dir(dir).unwrap().flatten() {
                let path = entry.path();
                if path.is_dir() {
                    stack.push(path);
                } else if path.extension().is_some_and(|e| e == "rs") {
                    let text = std::fs::read_to_string(&path).unwrap();
                    for (i, _) in text.match_indices("Entry::new(") {
                        let rest = text[i + 11..].trim_start();
                        let Some(action) = rest.strip_prefix('"').and_then(|r| r.split('"').next())
                        else {
                            continue;
                        };
                        let is_action = action.contains('.')
                            && action
                                .chars()
                                .all(|c| c.is_ascii_lowercase() || c == '_' || c == '.');
                        if is_action && action_words(action).is_none() {
                            missing.push(format!("{action} ({})", path.display()));
                        }
                    }
                }
            }
        }
        assert!(missing.is_empty(), "actions without words: {missing:?}");
    }
}
