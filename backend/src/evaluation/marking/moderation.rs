//! Moderation: the commissioner sees every evaluator's marks side by side and agrees one
//! mark per question with a reason, keeping the individual marks; and the check every
//! decision on a submission makes first (it is opened and the user manages it).

use super::*;

/// One question of one submission at moderation.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ModerationItem {
    pub question_id: String,
    pub question: String,
    /// Whether it is scored 0 to 5 (else judged pass or fail).
    pub scored: bool,
    pub weight: u32,
    pub individual: Vec<EvaluatorMark>,
    pub moderated_score: Option<i32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub moderated_verdict: Option<bool>,
    pub moderated_reason: Option<String>,
}

/// A competition the user manages whose submissions are open; before opening, `Sealed`.
pub(in crate::evaluation) async fn load_opened(
    conn: &mut AsyncPgConnection,
    user: &AuthUser,
    id: Uuid,
) -> Result<Competition> {
    let row = competitions::load_managed(conn, user, id).await?;
    if row.opened_at.is_none() {
        return Err(EvaluationError::Sealed);
    }
    Ok(row)
}

/// A submission at moderation.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ModerationSubmission {
    pub submission_id: Uuid,
    pub organisation_name: String,
    pub lot_id: Option<Uuid>,
    pub lot: Option<i32>,
    /// Evaluators who may score it and have not yet submitted.
    pub waiting_for: Vec<String>,
    pub items: Vec<ModerationItem>,
}

/// Individual marks side by side with reasons, and the moderated marks (commissioners).
/// A fixed number of statements whatever the number of submissions.
pub async fn moderation(
    conn: &mut AsyncPgConnection,
    user: &AuthUser,
    id: Uuid,
) -> Result<Vec<ModerationSubmission>> {
    load_opened(conn, user, id).await?;
    let lots = competitions::lots(conn, id).await?;
    let bids = queries::bids(conn, id).await?;
    let ids: Vec<Uuid> = bids.iter().map(|b| b.id).collect();
    let mut version_ids: Vec<Uuid> = bids.iter().map(|b| b.questionnaire_id).collect();
    version_ids.sort();
    version_ids.dedup();
    let versions = questionnaires::by_ids(conn, &version_ids).await?;
    let names = queries::names_of(conn, bids.iter()).await?;
    let panel: Vec<(Uuid, String)> = panel_members::table
        .inner_join(users::table.on(users::id.eq(panel_members::user_id)))
        .filter(panel_members::competition_id.eq(id))
        .order(users::name)
        .select((users::id, users::name))
        .load(conn)
        .await?;
    let conflicts = crate::evaluation::panels::conflicts_of(conn, id).await?;
    let done: HashSet<(Uuid, Uuid)> = score_sheets::table
        .filter(score_sheets::submission_id.eq_any(&ids))
        .filter(score_sheets::submitted_at.is_not_null())
        .select((score_sheets::submission_id, score_sheets::user_id))
        .load::<(Uuid, Uuid)>(conn)
        .await?
        .into_iter()
        .collect();
    // Submitted sheets' marks only: a draft is the evaluator's own until they submit it.
    type MarkRow = (Uuid, Uuid, String, Option<i32>, Option<bool>, String);
    let marks: Vec<MarkRow> = evaluator_scores::table
        .inner_join(
            score_sheets::table.on(score_sheets::submission_id
                .eq(evaluator_scores::submission_id)
                .and(score_sheets::user_id.eq(evaluator_scores::user_id))),
        )
        .filter(evaluator_scores::submission_id.eq_any(&ids))
        .filter(score_sheets::submitted_at.is_not_null())
        .select((
            evaluator_scores::submission_id,
            evaluator_scores::user_id,
            evaluator_scores::question_id,
            evaluator_scores::score,
            evaluator_scores::verdict,
            evaluator_scores::reason,
        ))
        .load(conn)
        .await?;
    type Agreement = (Option<i32>, Option<bool>, String);
    let moderated: HashMap<(Uuid, String), Agreement> = moderated_scores::table
        .filter(moderated_scores::submission_id.eq_any(&ids))
        .select((
            moderated_scores::submission_id,
            moderated_scores::question_id,
            moderated_scores::score,
            moderated_scores::verdict,
            moderated_scores::reason,
        ))
        .load::<(Uuid, String, Option<i32>, Option<bool>, String)>(conn)
        .await?
        .into_iter()
        .map(|(s, q, score, verdict, reason)| ((s, q), (score, verdict, reason)))
        .collect();
    let mut out = Vec::with_capacity(bids.len());
    for s in &bids {
        // Only current panel members without a conflict with this bidder count: someone
        // removed from the panel no longer does.
        let eligible: Vec<&(Uuid, String)> = panel
            .iter()
            .filter(|(u, _)| !conflicts.contains(&(*u, s.organisation_id)))
            .collect();
        let questions = versions
            .get(&s.questionnaire_id)
            .map(|v| {
                v.questionnaire
                    .questions()
                    .filter(|q| q.kind.is_marked())
                    .cloned()
                    .collect()
            })
            .unwrap_or_else(Vec::new);
        out.push(ModerationSubmission {
            submission_id: s.id,
            organisation_name: names.get(&s.organisation_id).cloned().unwrap_or_default(),
            lot_id: s.lot_id,
            lot: s
                .lot_id
                .and_then(|l| lots.iter().find(|x| x.id == l).map(|x| x.number)),
            waiting_for: eligible
                .iter()
                .filter(|(u, _)| !done.contains(&(s.id, *u)))
                .map(|(_, name)| name.clone())
                .collect(),
            items: questions
                .iter()
                .map(|q: &Question| {
                    let agreed = moderated.get(&(s.id, q.id.clone()));
                    ModerationItem {
                        question_id: q.id.clone(),
                        question: q.title.clone(),
                        scored: q.kind.is_scored(),
                        weight: q.weight.unwrap_or(0),
                        individual: eligible
                            .iter()
                            .filter_map(|(u, name)| {
                                let m = marks
                                    .iter()
                                    .find(|m| m.0 == s.id && m.1 == *u && m.2 == q.id)?;
                                Some(EvaluatorMark {
                                    evaluator: name.clone(),
                                    question_id: q.id.clone(),
                                    score: m.3,
                                    verdict: m.4,
                                    reason: m.5.clone(),
                                })
                            })
                            .collect(),
                        moderated_score: agreed.and_then(|a| a.0),
                        moderated_verdict: agreed.and_then(|a| a.1),
                        moderated_reason: agreed.map(|a| a.2.clone()),
                    }
                })
                .collect(),
        });
    }
    Ok(out)
}

/// The agreed mark for one question: a score for a scored question, a verdict for a judged
/// one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Agreed {
    Score(i32),
    Verdict(bool),
}

/// A submission its commissioner may still judge: opened, in the competition, not yet
/// decided. Anything else about it is a 404, so ids reveal nothing.
pub(in crate::evaluation) async fn under_evaluation(
    conn: &mut AsyncPgConnection,
    user: &AuthUser,
    submission_id: Uuid,
) -> Result<(SubmissionRow, Competition)> {
    user.require(&[Role::Commissioner])?;
    let row = queries::find(conn, submission_id).await?;
    let competition = competitions::load_managed(conn, user, row.competition_id)
        .await
        .map_err(|_| EvaluationError::NotFound("Submission"))?;
    if competition.opened_at.is_none() || !row.is_in() {
        return Err(EvaluationError::NotFound("Submission"));
    }
    if competition.decided_at.is_some() || row.outcome.is_some() {
        return Err(EvaluationError::refused(
            Refusal::Decided,
            "It has been decided, so the evaluation can no longer change.",
        ));
    }
    Ok((row, competition))
}

/// Records the agreed mark and reason for one question of one submission
/// (commissioners), once every eligible evaluator has submitted.
pub async fn moderate(
    conn: &mut AsyncPgConnection,
    user: &AuthUser,
    submission_id: Uuid,
    question_id: &str,
    agreed: Agreed,
    reason: &str,
) -> Result<()> {
    conn.transaction(async |conn| {
        let (row, _) = under_evaluation(conn, user, submission_id).await?;
        let questions = marked_questions(conn, &row).await?;
        let mut errors = Vec::new();
        match (questions.iter().find(|q| q.id == question_id), agreed) {
            (None, _) => errors.push(FieldError::new("question_id", "Choose a question the panel marks")),
            (Some(q), Agreed::Score(score)) if q.kind.is_scored() => {
                if let Err(e) = Score::new(score) {
                    errors.push(FieldError::new("score", e.to_string()));
                }
            }
            (Some(q), Agreed::Verdict(_)) if !q.kind.is_scored() => {}
            (Some(q), _) => errors.push(FieldError::new(
                if q.kind.is_scored() { "score" } else { "verdict" },
                if q.kind.is_scored() {
                    "Give the agreed score from 0 to 5"
                } else {
                    "Say whether it passes"
                },
            )),
        }
        if reason.trim().is_empty() || reason.len() > rules::TEXT_MAX {
            errors.push(FieldError::new(
                "reason",
                match agreed {
                    Agreed::Score(_) => "Give the reason for the agreed score; the bidder will read it",
                    Agreed::Verdict(_) => "Give the reason for the agreed verdict; the applicant will read it",
                },
            ));
        }
        if !errors.is_empty() {
            return Err(EvaluationError::invalid(errors));
        }
        let eligible =
            panels::eligible_evaluators(conn, row.competition_id, row.organisation_id).await?;
        let done: i64 = score_sheets::table
            .filter(score_sheets::submission_id.eq(submission_id))
            .filter(score_sheets::user_id.eq_any(&eligible))
            .filter(score_sheets::submitted_at.is_not_null())
            .count()
            .get_result(conn)
            .await?;
        if eligible.is_empty() || done < eligible.len() as i64 {
            return Err(EvaluationError::refused(
                Refusal::EvaluationIncomplete,
                "Every evaluator on the panel must submit their marks for this submission before moderation.",
            ));
        }
        let (score, verdict) = match agreed {
            Agreed::Score(s) => (Some(s), None),
            Agreed::Verdict(v) => (None, Some(v)),
        };
        diesel::insert_into(moderated_scores::table)
            .values((
                moderated_scores::submission_id.eq(submission_id),
                moderated_scores::question_id.eq(question_id),
                moderated_scores::score.eq(score),
                moderated_scores::verdict.eq(verdict),
                moderated_scores::reason.eq(reason.trim()),
                moderated_scores::moderated_by.eq(user.id),
            ))
            .on_conflict((
                moderated_scores::submission_id,
                moderated_scores::question_id,
            ))
            .do_update()
            .set((
                moderated_scores::score.eq(score),
                moderated_scores::verdict.eq(verdict),
                moderated_scores::reason.eq(reason.trim()),
                moderated_scores::moderated_by.eq(user.id),
                moderated_scores::moderated_at.eq(diesel::dsl::now),
            ))
            .execute(conn)
            .await?;
        audit::record(
            conn,
            &user.actor(),
            Entry::new("evaluation.moderated", "submission", submission_id).with_details(
                serde_json::json!({"question_id": question_id, "score": score, "verdict": verdict}),
            ),
        )
        .await?;
        Ok(())
    })
    .await
}
