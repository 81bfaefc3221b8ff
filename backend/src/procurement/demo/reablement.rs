//! `WCC-2026-017` Reablement service, countywide: scored, moderated and awarded to Bright
//! Care, with standstill running from the moment the demo is loaded.

use super::*;

// ---------------------------------------------------------------------------------------
// (c) Awarded, in standstill: reablement, countywide.

/// A mark: question, individual score and reason, moderated score and reason.
type Mark = (&'static str, i32, &'static str, i32, &'static str);

const BRIGHT_MARKS: [Mark; 4] = [
    (
        "Q2",
        4,
        "Goal-led, with goals in the person's words and weekly reviews with the OTs. Gives its own figures: 84% at home at 91 days, 62% needing no ongoing care.",
        4,
        "A clear, goal-led approach: the person's own goals are recorded at the first visit, progress is reviewed weekly with the council's occupational therapists, and visits are reduced as skills return rather than at fixed points. Bright Care gave its own results (84% of people still at home 91 days after reablement, 62% needing no ongoing care). The answer would have been excellent with more on supporting people living with dementia.",
    ),
    (
        "Q3",
        5,
        "Coordinator in the discharge hub, 15% capacity held back daily including weekends, trusted assessors. Strongest part of the bid.",
        4,
        "A convincing plan for starting within 24 hours: a discharge coordinator based in the hospital discharge hub on weekdays, 15% of each day's capacity held back for new starts including at weekends, and senior care workers acting as trusted assessors. The panel scored this good rather than excellent because the plan for the north of the county relies on a team that will be built up over the first six months.",
    ),
    (
        "Q4",
        3,
        "Good supervision by an OT-qualified lead. Moves 25 staff from its home care teams: what happens to those teams?",
        3,
        "A good training offer and monthly supervision, with observed practice, by a reablement lead who is an occupational therapist. The plan depends on moving 25 care workers from Bright Care's home care teams, and the answer did not say how those teams would keep enough capacity, which is a risk to the wider home care market.",
    ),
    (
        "Q6",
        4,
        "Specific and measurable: 20 local hires from deprived areas, Real Living Wage, 45p mileage, quarterly reports.",
        4,
        "Specific commitments we can write into the contract and monitor: at least 20 posts filled by residents of the county's most deprived neighbourhoods, the Real Living Wage for every care worker, mileage at 45p a mile, and quarterly reporting.",
    ),
];

const MEADOW_MARKS: [Mark; 4] = [
    (
        "Q2",
        3,
        "Sound goal-setting and reviews at weeks 2 and 4, but relies on council OTs and gives no outcome figures of its own.",
        3,
        "A sound approach, with goals set at the first visit and reviews at weeks two and four. The answer relied on the council's occupational therapists for assessment and did not show how care workers would progress people's goals between visits, and it gave no outcome figures from Meadow Homes' own services. A stronger answer would have shown recent results and how staff adjust support from day to day.",
    ),
    (
        "Q3",
        2,
        "24-hour start depends on a team not yet recruited; referrals taken 9 to 5 only; weekends covered by care home staff in Malvern only.",
        2,
        "The plan to start care within 24 hours depends on a reablement team that is still to be recruited, referrals would be taken only from 9am to 5pm, and weekend cover outside the Malvern area was not explained. The panel had some concerns that the service could meet the same-day and next-day starts the hospital discharge hub needs, particularly in the first months of the contract.",
    ),
    (
        "Q4",
        2,
        "Training is fine; supervision every 8 weeks is thin for a new team, and no therapist oversight.",
        3,
        "A clear training plan: the Care Certificate and a two-day reablement course for every care worker, and senior carers from Meadow Homes' care homes mentoring new staff. The answer said less about how practice in people's homes would be supervised by a therapist, and supervision every eight weeks is infrequent for a new team. Moderated up from the individual score because the mentoring plan is a real strength.",
    ),
    (
        "Q6",
        3,
        "Local recruitment and 2 apprenticeships a year are measurable; volunteering offer is vague.",
        3,
        "Local recruitment, two apprenticeships a year and the Real Living Wage are welcome commitments that can be measured. The volunteering offer was general, with no targets we could put in the contract.",
    ),
];

pub(super) async fn reablement(conn: &mut AsyncPgConnection, p: &People) -> anyhow::Result<()> {
    let now = p.now;
    let county = district_ids(conn, &[]).await?;
    let tender = input(
        p,
        "WCC-2026-017",
        "Reablement service, countywide",
        "A short-term reablement service for adults across the county, most of them people coming home from hospital. For up to six weeks, free of charge to the person, reablement workers help people regain the skills and confidence to live at home as independently as they can, working with the council's occupational therapists and the hospital discharge hub at Wyvern Royal Hospital.\n\nThe service must start care within 24 hours of a referral, seven days a week. Success is measured by the proportion of people still at home 91 days after reablement and the proportion who need no ongoing care.\n\nA block contract of 38,000 hours a year, from 1 February 2027 for three years, with the option to extend for up to two more.",
        ServiceType::Reablement,
        county,
        650_000_000,
        Vec::new(),
    );
    let questionnaire = json!({"sections": [
        {"title": "Eligibility", "questions": [cqc_question(
            "Answer yes only if your registration covers personal care in people's own homes.")]},
        {"title": "Quality (60%)", "questions": [
            {"id": "Q2", "kind": "scored", "title": "Your reablement approach and the outcomes you will achieve", "weight": 25, "word_limit": 750,
             "guidance": "Describe how you set goals with each person, how care workers help them progress between visits, how you work with the council's occupational therapists, and how you decide when to reduce and end support. Give your own outcome figures, including the proportion of people still at home 91 days after reablement."},
            {"id": "Q3", "kind": "scored", "title": "Hospital discharge: starting within 24 hours", "weight": 20, "word_limit": 500,
             "guidance": "Tell us how you will take referrals from the discharge hub and start care within 24 hours, seven days a week, in every district."},
            {"id": "Q4", "kind": "scored", "title": "Workforce: reablement skills and therapy-led practice", "weight": 15, "word_limit": 500,
             "guidance": "Tell us how you will recruit, train and supervise reablement workers, and how therapists will guide their practice."}
        ]},
        {"title": "Price (30%)", "questions": [
            {"id": "Q5", "kind": "price", "title": "Annual price for the block contract", "weight": 30,
             "guidance": "The price for one year of the service (38,000 hours of reablement), including travel, management, training and all other costs. The price is fixed for the first year, then reviewed through the annual fee-rate review."}
        ]},
        {"title": "Social value (10%)", "questions": [
            {"id": "Q6", "kind": "social_value", "title": "Social value in the county", "weight": 10, "word_limit": 400,
             "guidance": "What you commit to on local jobs, pay and local spending, with figures we can write into the contract and monitor."}
        ]},
        {"title": "Contact", "questions": [
            {"id": "Q7", "kind": "information", "title": "Who will manage the contract for you?", "word_limit": 60,
             "guidance": "Name, role, email address and telephone number."}
        ]}
    ]});
    let view = publish_tender(conn, p, tender, questionnaire, ASSESSMENT).await?;
    let id = view.id;
    let bright = bid(conn, p, &p.bright, id, None, answers(vec![
        ("Q1", yes()),
        ("Q2", text("Reablement starts with the person's own goals, recorded in their words at the first visit: \"make my own breakfast\", \"get back to the allotment\". Each goal is broken into steps, and care workers record progress at every visit on their phones, so by the end of the first week the team leader can see who is progressing and who is not.\n\nWe hold a weekly review with the council's occupational therapists for everyone in the service and plan joint visits where progress has stalled. Visits are reduced as people regain skills, not at fixed points. In our reablement service in Severnside, 84% of people were still at home 91 days after reablement last year, and 62% needed no ongoing care at the end. Where someone does need ongoing care, we hand a written plan to their home care provider and make the first visit together.")),
        ("Q3", text("A discharge coordinator will be based in the discharge hub at Wyvern Royal Hospital from 8am to 6pm on weekdays, taking referrals directly and agreeing start times with the ward. We hold back 15% of each day's capacity for new starts, including at weekends, so most people can start the day they are referred. Our senior care workers are trusted assessors, so care can start without waiting for a separate assessment. In the north of the county we will start with a smaller team and build it up from our Kidderminster office over the first six months.")),
        ("Q4", text("A reablement lead, an occupational therapist by background, will supervise the service and train every worker in goal-setting, moving and handling and the use of equipment. We will move 25 experienced care workers from our home care teams into the service and recruit 20 more. Supervision is monthly and includes an observed visit. Workers have a clear path from reablement worker to senior and trusted assessor.")),
        ("Q5", price(136_200_000)),
        ("Q6", text("We will fill at least 20 of the new posts with residents of the county's most deprived neighbourhoods, working with the Jobcentres in Redditch and Kidderminster. We will pay every care worker at least the Real Living Wage and pay mileage at 45p a mile, and we will buy from local suppliers where we can. We will report each measure to the council every quarter.")),
        ("Q7", text("Daniel Okafor, Reablement Service Manager, Bright Care Services Ltd. bids@brightcare.example, 01905 000 456.")),
    ]), true).await?;
    let meadow = bid(conn, p, &p.meadow, id, None, answers(vec![
        ("Q1", yes()),
        ("Q2", text("We will set goals with each person at the first visit and review them at weeks two and four. The council's occupational therapists will assess people when they are referred, and our care workers will follow the therapists' plans. We will reduce visits as people improve. We will report the proportion of people still at home 91 days after reablement every month, and we expect to match the county's current figure.")),
        ("Q3", text("We will recruit a reablement team of 30 care workers before the contract starts. Our office in Malvern will take referrals from the hospital between 9am and 5pm, and we aim to start care within 24 hours of a referral. At weekends our on-call manager will take referrals, and staff from our care homes can cover visits in the Malvern area if needed.")),
        ("Q4", text("Every new care worker will complete the Care Certificate and a two-day reablement course with a local training provider. Senior carers from our care homes will mentor new staff through their first month. Supervision is every eight weeks.")),
        ("Q5", price(129_500_000)),
        ("Q6", text("We will recruit locally, offer two apprenticeships a year and pay the Real Living Wage. Our staff will volunteer at community events in Malvern.")),
        ("Q7", text("Tom Hughes, Operations Director, Meadow Homes Ltd. bids@meadowhomes.example, 01684 000 123.")),
    ]), true).await?;

    let deadline = midday(now, -30);
    set_timeline(
        conn,
        id,
        &Timeline {
            created: at(now, -73, 11, 0),
            assessed: from(now, at(now, -66, 10, 0), -1, 15, 30),
            published: at(now, -66, 10, 0),
            clarification_deadline: midday(now, -40),
            submission_deadline: deadline,
            planned_award: now.date_naive(),
        },
    )
    .await?;
    date_bid(
        conn,
        bright,
        from(now, deadline, -18, 10, 20),
        Some(from(now, deadline, -1, 8, 41)),
    )
    .await?;
    date_bid(
        conn,
        meadow,
        from(now, deadline, -13, 13, 5),
        Some(from(now, deadline, 0, 9, 45)),
    )
    .await?;

    let c = &p.commissioner;
    let e = &p.evaluator;
    competitions::open(conn, c, id).await.step("open")?;
    panels::assign_panel(conn, c, id, &[e.id])
        .await
        .step("panel")?;
    declare_none(conn, e, id).await?;
    for (sid, marks) in [(bright, &BRIGHT_MARKS), (meadow, &MEADOW_MARKS)] {
        let scores: Vec<ScoreInput> = marks
            .iter()
            .map(|(q, score, reason, _, _)| ScoreInput {
                question_id: q.to_string(),
                score: Some(*score),
                verdict: None,
                reason: reason.to_string(),
            })
            .collect();
        marking::save_scores(conn, e, sid, &scores, true)
            .await
            .step("scores")?;
    }
    for (sid, marks) in [(bright, &BRIGHT_MARKS), (meadow, &MEADOW_MARKS)] {
        for (q, _, _, score, reason) in marks {
            marking::moderate(conn, c, sid, q, Agreed::Score(*score), reason)
                .await
                .step("moderate")?;
        }
    }
    date_evaluation(
        conn,
        id,
        from(now, deadline, 0, 13, 40),
        from(now, deadline, 1, 10, 15),
        from(now, deadline, 9, 15, 20),
    )
    .await?;
    diesel::sql_query(
        "UPDATE moderated_scores m SET moderated_at = $2
           FROM submissions s WHERE s.id = m.submission_id AND s.competition_id = $1",
    )
    .bind::<SqlUuid, _>(id)
    .bind::<Timestamptz, _>(at(now, -3, 14, 0))
    .execute(conn)
    .await?;
    // Awarded now, so that standstill runs for its 8 working days from the demo's loading.
    crate::procurement::award::award(
        conn,
        &p.mail,
        c,
        id,
        &AwardInput {
            successful: vec![bright],
        },
    )
    .await
    .step("award")?;
    Ok(())
}
