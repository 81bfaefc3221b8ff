//! `WCC-2026-031` Home care in Wyre Forest: open for bids, with two lots, a published
//! clarification, an unanswered one, and Meadow Homes' bid in draft.

use super::*;

pub(super) async fn home_care(conn: &mut AsyncPgConnection, p: &People) -> anyhow::Result<()> {
    let now = p.now;
    let wyre = district_ids(conn, &["Wyre Forest"]).await?;
    let mut tender = input(
        p,
        "WCC-2026-031",
        "Home care in Wyre Forest",
        "Wyvern County Council is buying home care (personal care and practical support in people's own homes) for adults in Wyre Forest from 1 April 2027. The two contracts, one for each lot, replace today's spot purchasing with zoned contracts that carry a guaranteed minimum of hours, so that providers can plan rounds and offer care workers guaranteed hours.\n\nProviders are paid for planned contact time at their contracted hourly rates, with an outcome payment for each person whose care can safely be reduced at their six-week review. About 3,400 hours a week are bought in the district today, some 640 of them in the rural west, where calls are hardest to cover.\n\nThe contracts run for three years, with the option to extend for up to two more. Bid for one lot or both: each lot is a separate bid.",
        ServiceType::Domiciliary,
        wyre,
        2_340_000_000,
        vec![
            LotInput {
                title: "Kidderminster and Stourport-on-Severn".into(),
                description: "The towns of Kidderminster and Stourport-on-Severn and the villages between them: about 2,760 hours a week today.".into(),
            },
            LotInput {
                title: "Bewdley and rural Wyre Forest".into(),
                description: "Bewdley, the Wyre Forest villages and the parishes west of the Severn: about 640 hours a week today, with many calls more than 20 minutes' drive apart.".into(),
            },
        ],
    );
    let clarify_by = midday(now, 11);
    let deadline = midday(now, 21);
    tender.clarification_deadline = clarify_by;
    tender.submission_deadline = deadline;
    tender.planned_award_date = (deadline + Duration::days(35)).date_naive();
    let questionnaire = json!({"sections": [
        {"title": "Eligibility", "questions": [cqc_question(
            "Answer yes only if your registration covers personal care delivered in people's own homes, from a location that can serve Wyre Forest. We check every answer against the CQC register before award. A provider that is not registered for personal care cannot be awarded this contract.")]},
        {"title": "Quality (55%)", "questions": [
            {"id": "Q2", "kind": "scored", "title": "Safeguarding adults", "weight": 20, "word_limit": 750,
             "guidance": "Tell us how your care workers recognise abuse and neglect, including self-neglect, and what they do next, out of office hours as well as in them. Give a recent, anonymised example of a concern you raised with the council's Adult Front Door: what happened, and what you changed as a result. We look for clear roles, timely referral, and learning that reached the care workers."},
            {"id": "Q3", "kind": "scored", "title": "Recruiting, training and keeping care workers", "weight": 20, "word_limit": 750,
             "guidance": "Tell us how you will staff this lot from the first week and keep staff through the winter: recruitment, pay and terms (including paid travel time), induction and the Care Certificate, supervision, and driving in rural areas. Tell us your care worker turnover for the last 12 months and what you are doing about it."},
            {"id": "Q4", "kind": "scored", "title": "Outcomes: helping people do more for themselves", "weight": 15, "word_limit": 600,
             "guidance": "Describe how care workers notice when someone could do more for themselves, and how you review and reduce care with them and the council's reviewing team. Tell us what proportion of the people you support had their care reduced at review last year, and how you measured it."}
        ]},
        {"title": "Price (35%)", "questions": [
            {"id": "Q5", "kind": "price_schedule", "title": "Hourly rates", "weight": 35,
             "guidance": "Quote one hourly rate for each band, covering all your costs: travel time, mileage, training, supervision and overheads. Calls are paid by the minute for the planned duration. The volumes are the share of hours (out of 100) we expect in each band; they weight your rates into one price for comparison. Rates are fixed for the first year, then reviewed through the annual fee-rate review.",
             "bands": [
                {"label": "Weekdays, 7am to 10pm", "volume": 76},
                {"label": "Weekends, 7am to 10pm", "volume": 21},
                {"label": "Nights (10pm to 7am) and bank holidays", "volume": 3}
             ]}
        ]},
        {"title": "Social value (10%)", "questions": [
            {"id": "Q6", "kind": "social_value", "title": "Local jobs and the Wyre Forest economy", "weight": 10, "word_limit": 500,
             "guidance": "Tell us what you commit to deliver in Wyre Forest over the contract, with numbers we can write into the contract and monitor: jobs for local residents, apprenticeships, the Real Living Wage, local suppliers or volunteering. We score only commitments that can be measured."}
        ]},
        {"title": "Documents and contact", "questions": [
            {"id": "Q7", "kind": "evidence", "title": "Employer's liability and public liability insurance certificates",
             "guidance": "Upload your current certificates. We need at least £5 million employer's liability and £5 million public liability cover, or a letter from your broker confirming you will have it by the start of the contract."},
            {"id": "Q8", "kind": "information", "title": "Who should we contact about this bid?", "word_limit": 60,
             "guidance": "Name, role, email address and telephone number. We also send clarification answers and the outcome to the person who submits the bid."}
        ]}
    ]});
    let view = publish_tender(conn, p, tender, questionnaire, ASSESSMENT).await?;
    let id = view.id;
    let lot2 = view.lots.iter().find(|l| l.number == 2).map(|l| l.id);

    procurements::register_interest(conn, &p.bright, id)
        .await
        .step("register interest")?;
    let asked = clarifications::ask(
        conn,
        &p.bright,
        id,
        "Lot 2 covers villages such as Far Forest, Rock and Clows Top, where calls can be 25 minutes' drive apart. Will the council pay for travel time separately in Lot 2, or should travel be built into the hourly rates? If it is built in, may we quote different rates for each lot?",
    )
    .await
    .step("ask a clarification")?;
    clarifications::answer(
        conn,
        &p.mail,
        &p.commissioner,
        id,
        asked.id,
        "Build travel time and mileage into your hourly rates: the council does not pay for travel separately. Because travel costs differ so much between the towns and the rural west, you may quote different rates for each lot. Each bid is for one lot and has its own price schedule, and bids are compared only with other bids for the same lot. The band volumes are the same for both lots so that every bid is weighted in the same way. We have published this answer to every bidder.",
        true,
    )
    .await
    .step("answer a clarification")?;
    let meadow_question = clarifications::ask(
        conn,
        &p.meadow,
        id,
        "We would like to bid for Lot 2 only. Is there a minimum number of hours a week we must be able to take on in the first month of the contract?",
    )
    .await
    .step("ask a clarification")?;
    let draft = bid(
        conn,
        p,
        &p.meadow,
        id,
        lot2,
        answers(vec![
            ("Q1", yes()),
            ("Q2", text("Every care worker completes safeguarding training at induction and again every year, and our team leaders complete the council's level 3 course. Care workers report any concern to the office straight away, or to the on-call manager out of hours, and the manager decides on a referral to the Adult Front Door the same day.\n\n[Draft: add the example from Tenbury last spring and what we changed afterwards. Ask Sue for the dates.]")),
            ("Q8", text("Tom Hughes, Operations Director, Meadow Homes Ltd. bids@meadowhomes.example, 01684 000 123.")),
        ]),
        false,
    )
    .await?;

    let published = at(now, -8, 10, 0);
    let asked_at = from(now, published, 2, 16, 12);
    set_timeline(
        conn,
        id,
        &Timeline {
            created: at(now, -16, 9, 40),
            assessed: from(now, published, -1, 15, 55),
            published,
            clarification_deadline: clarify_by,
            submission_deadline: deadline,
            planned_award: (deadline + Duration::days(35)).date_naive(),
        },
    )
    .await?;
    diesel::sql_query("UPDATE clarifications SET asked_at = $2, answered_at = $3 WHERE id = $1")
        .bind::<SqlUuid, _>(asked.id)
        .bind::<Timestamptz, _>(asked_at)
        .bind::<Timestamptz, _>(from(now, asked_at, 2, 11, 5))
        .execute(conn)
        .await?;
    diesel::sql_query("UPDATE clarifications SET asked_at = $2 WHERE id = $1")
        .bind::<SqlUuid, _>(meadow_question.id)
        .bind::<Timestamptz, _>(at(now, -1, 14, 47))
        .execute(conn)
        .await?;
    diesel::sql_query(
        "UPDATE procurement_interests SET created_at = $2 WHERE procurement_id = $1 AND user_id = $3",
    )
    .bind::<SqlUuid, _>(id)
    .bind::<Timestamptz, _>(from(now, published, 1, 9, 3))
    .bind::<SqlUuid, _>(p.bright.id)
    .execute(conn)
    .await?;
    date_bid(conn, draft, at(now, -2, 15, 20), None).await?;
    Ok(())
}

// ---------------------------------------------------------------------------------------
// (b) In evaluation: extra care housing support in Malvern Hills.
