//! `WCC-2026-024` Extra care housing support in Malvern Hills: deadline passed, opened,
//! both providers' bids in, the evaluator declared and part-way through scoring.

use super::*;

fn extra_care_questionnaire() -> serde_json::Value {
    json!({"sections": [
        {"title": "Eligibility", "questions": [cqc_question(
            "Answer yes only if your registration covers personal care. Care at the schemes is delivered in tenants' own flats, so a registration for accommodation with personal care (a care home) is not enough.")]},
        {"title": "Quality (60%)", "questions": [
            {"id": "Q2", "kind": "scored", "title": "Supporting tenants to live well and independently", "weight": 25, "word_limit": 600,
             "guidance": "Describe your model of care and support across the three schemes: how support plans are written with tenants, how you keep the number of different care workers each tenant sees low, how you review care as needs change (down as well as up), and how you work with the housing provider, district nurses and GPs."},
            {"id": "Q3", "kind": "scored", "title": "Safeguarding and positive risk-taking", "weight": 20, "word_limit": 500,
             "guidance": "Tell us how concerns are recognised, recorded and referred, day and night, and how you support tenants to take the risks they choose. Give an example of each."},
            {"id": "Q4", "kind": "scored", "title": "Staffing the schemes day and night", "weight": 15, "word_limit": 500,
             "guidance": "Tell us how each scheme will be staffed across 24 hours, including waking night cover, how you will recruit and keep staff at Tenbury Fields, and your pay rates and turnover."}
        ]},
        {"title": "Price (30%)", "questions": [
            {"id": "Q5", "kind": "price_schedule", "title": "Prices", "weight": 30,
             "guidance": "Planned care is paid by the hour as delivered. Core cover is a fixed price for each scheme for each night, for a waking care worker on site from 10pm to 7am who answers tenants' alarm calls. The volumes are the planned hours and the scheme-nights in a typical week.",
             "bands": [
                {"label": "Planned care and support, per hour", "volume": 1150},
                {"label": "Core night cover, per scheme per night", "volume": 21}
             ]}
        ]},
        {"title": "Social value (10%)", "questions": [
            {"id": "Q6", "kind": "social_value", "title": "Bringing the community into the schemes", "weight": 10, "word_limit": 400,
             "guidance": "Tell us what you will do to connect the schemes with their towns, and what you commit to on local jobs, with figures we can monitor."}
        ]},
        {"title": "Mobilisation", "questions": [
            {"id": "Q7", "kind": "information", "title": "Your mobilisation plan, including the transfer of staff", "word_limit": 400,
             "guidance": "Not scored; we use it to plan the handover. Include key dates and how you will consult staff who may transfer under TUPE."}
        ]}
    ]})
}

pub(super) async fn extra_care(conn: &mut AsyncPgConnection, p: &People) -> anyhow::Result<()> {
    let now = p.now;
    let malvern = district_ids(conn, &["Malvern Hills"]).await?;
    let tender = input(
        p,
        "WCC-2026-024",
        "Extra care housing support in Malvern Hills",
        "Care and support for tenants of the three extra care housing schemes in Malvern Hills: Priory Gardens in Malvern (60 flats), Hanley Court in Upton-upon-Severn (45 flats) and Tenbury Fields in Tenbury Wells (40 flats).\n\nThe provider is based on site, giving planned care to tenants assessed as needing it and 24-hour cover for unplanned needs and emergencies, working alongside the landlord, Severn Vale Housing. Tenants choose their own provider for any care beyond the contract.\n\nThe contract starts on 1 March 2027 and runs for four years, with the option to extend for up to two more. Staff of the current provider may transfer under TUPE; the staffing information is in the tender documents.",
        ServiceType::ExtraCare,
        malvern,
        560_000_000,
        Vec::new(),
    );
    let view = publish_tender(conn, p, tender, extra_care_questionnaire(), ASSESSMENT).await?;
    let id = view.id;
    let bright = bid(conn, p, &p.bright, id, None, answers(vec![
        ("Q1", yes()),
        ("Q2", text("We will run the three schemes as one service, with a scheme manager at each site and one registered manager across all three. Every tenant will have a support plan written with them in their own flat, starting from what they want to keep doing: getting to the shops, cooking a meal, going to church. Planned care is given by a small team who know the tenant, so most tenants see no more than four different care workers in a week.\n\nWe review each plan at six weeks and then every six months, or sooner when something changes, and we tell the council's reviewing officer when a tenant needs less care as well as when they need more. At our extra care service in Droitwich, 31 of 52 tenants had their planned hours reduced at review last year, mostly after short periods of extra support following a hospital stay. The scheme managers will meet Severn Vale Housing's officers weekly, and we will offer the district nurses a desk in each scheme office, as they have at Droitwich.")),
        ("Q3", text("All staff complete safeguarding training at induction and every year, and scheme managers complete the council's level 3 course. Care workers tell the scheme manager about any concern straight away, and the manager refers to the Adult Front Door the same day; at night the on-call manager makes the referral. We record every concern, including those we decide not to refer, and review them monthly for patterns.\n\nPositive risk-taking is part of each support plan. Last year a tenant with early dementia wanted to keep walking into town alone. Rather than stop him, we agreed a plan with him and his daughter: a phone that shares his location and a check-in call from the café. He still walks in twice a week. After a 2025 referral about financial abuse by a visitor, we found that staff were unsure how to raise concerns about people who were not our clients, so we added this to our training.")),
        ("Q4", text("Each scheme will have care workers on site from 7am to 10pm, in numbers set by the planned hours, and a waking night care worker from 10pm to 7am, with an on-call manager behind them. Tenbury Fields is the hardest site to staff, so we will recruit there first, pay travel time from Ludlow and Leominster, and keep a bank of six staff who know all three schemes. We pay care workers £13.10 an hour, above the Real Living Wage, with enhanced rates at weekends. Our care worker turnover last year was 19%. Staff transferring under TUPE keep their terms.")),
        ("Q5", rates(&[2_480, 17_500])),
        ("Q6", text("We will open each scheme's lounge to the neighbourhood two afternoons a week, host the library's home service and a monthly hearing aid clinic run by volunteers, and hold a summer fair at each scheme. We commit to recruiting at least 70% of new staff from within ten miles of each scheme, offering two apprenticeships a year, and buying food for activities from local shops. We will report these figures to the council every quarter.")),
        ("Q7", text("We will appoint the three scheme managers in December, meet every tenant before the start date, and begin consulting the 38 staff who may transfer under TUPE in January, with union representatives invited. Our mobilisation lead has moved four services to us in the last three years without a missed call.")),
    ]), true).await?;
    let meadow = bid(conn, p, &p.meadow, id, None, answers(vec![
        ("Q1", yes()),
        ("Q2", text("Meadow Homes has run care homes in Malvern for twenty years and knows many of the families whose relatives will live in these schemes. We will bring the same approach to extra care: a named key worker for every tenant, a support plan agreed in the first week, and a review whenever the tenant or their family asks for one. Tenants will be welcome at activities at Meadow Court, our care home two miles from Priory Gardens, and our activities coordinator will plan a programme at each scheme. We will help tenants keep doing what they can for themselves, and we will work with Severn Vale Housing and the GP practices.")),
        ("Q3", text("Our safeguarding policy follows the West Midlands adult safeguarding procedures, and all staff are trained at induction and every year. Concerns are reported to the manager on duty, who decides whether to refer them to the council. We encourage tenants to make their own choices and record any risks in their care plan. Our care homes have had two safeguarding enquiries in the last year; both were closed with no further action.")),
        ("Q4", text("At first we will staff the schemes from our care home teams, and we will recruit new staff for each scheme over the first six months. There will be a waking night care worker at Priory Gardens and a sleeping-in care worker at Hanley Court and Tenbury Fields, with our care home night staff on call. We pay the Real Living Wage and let staff take shifts across our homes and the schemes, so they can choose their hours.")),
        ("Q5", rates(&[2_395, 16_800])),
        ("Q6", text("We will invite local schools and churches into the schemes and hold open days twice a year. We will recruit locally wherever we can and advertise jobs in the local papers.")),
        ("Q7", text("The registered manager of Meadow Court will lead mobilisation, supported by our head office. We will meet the staff transferring under TUPE in January and the tenants in February.")),
    ]), true).await?;

    let deadline = midday(now, -12);
    set_timeline(
        conn,
        id,
        &Timeline {
            created: at(now, -55, 14, 30),
            assessed: from(now, at(now, -48, 10, 0), -1, 16, 0),
            published: at(now, -48, 10, 0),
            clarification_deadline: midday(now, -22),
            submission_deadline: deadline,
            planned_award: (now + Duration::days(16)).date_naive(),
        },
    )
    .await?;
    date_bid(
        conn,
        bright,
        from(now, deadline, -10, 11, 2),
        Some(from(now, deadline, -2, 9, 14)),
    )
    .await?;
    date_bid(
        conn,
        meadow,
        from(now, deadline, -15, 15, 40),
        Some(from(now, deadline, 0, 10, 38)),
    )
    .await?;

    let c = &p.commissioner;
    let e = &p.evaluator;
    competitions::open(conn, c, id).await.step("open")?;
    panels::assign_panel(conn, c, id, &[e.id])
        .await
        .step("panel")?;
    declare_none(conn, e, id).await?;
    marking::save_scores(
        conn,
        e,
        bright,
        &[
            ScoreInput {
                question_id: "Q2".into(),
                score: Some(4),
                verdict: None,
                reason: "Person-centred model with evidence from the Droitwich scheme (31 of 52 tenants' hours reduced at review). Reviews are tied to tenants' own goals. Check at moderation: little on tenants whose needs rise quickly.".into(),
            },
            ScoreInput {
                question_id: "Q3".into(),
                score: Some(4),
                verdict: None,
                reason: "Clear referral route day and night, concerns logged even when not referred, and a good positive risk example. Learning from the 2025 referral went into training.".into(),
            },
            ScoreInput {
                question_id: "Q4".into(),
                score: None,
                verdict: None,
                reason: "Waking nights at all three schemes. Compare with the other bid's night cover before scoring.".into(),
            },
        ],
        false,
    )
    .await
    .step("draft scores")?;
    date_evaluation(
        conn,
        id,
        from(now, deadline, 0, 14, 10),
        from(now, deadline, 1, 9, 30),
        at(now, -1, 16, 45),
    )
    .await?;
    Ok(())
}
