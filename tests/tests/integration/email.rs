//! Email through a real SMTP server process on loopback (`smtp-sink`): delivery, headers,
//! permanent failures, a sender killed mid-batch, the `.eml` fallback, and snapshots of every
//! template.

use backend::mail::sender::{Sender, Transport};
use backend::mail::{self, Email, MailContext};
use diesel_async::{AsyncConnection, RunQueryDsl};
use serde_json::json;
use tests::{SmtpSink, TestApp, spawn_app};

const SINK: &str = env!("CARGO_BIN_EXE_smtp-sink");
const SEND_MAIL: &str = env!("CARGO_BIN_EXE_send-mail");

fn sender(app: &TestApp, smtp: Option<&str>) -> Sender {
    let settings = match smtp {
        Some(url) => tests::with_smtp(app.settings.clone(), url),
        None => app.settings.clone(),
    };
    Sender::new(
        app.pool.clone(),
        Transport::from_settings(&settings.mail).unwrap(),
        settings.mail.from.parse().unwrap(),
        MailContext::from_settings(&settings),
    )
}

async fn outbox(app: &TestApp) -> Vec<serde_json::Value> {
    let admin = app.token("admin@council.example").await;
    app.get("/api/v1/outbox?per_page=100", Some(&admin))
        .await
        .json()["items"]
        .as_array()
        .unwrap()
        .clone()
}

fn header<'a>(message: &'a str, name: &str) -> Option<&'a str> {
    message.lines().take_while(|l| !l.is_empty()).find_map(|l| {
        let (k, v) = l.split_once(':')?;
        k.eq_ignore_ascii_case(name).then(|| v.trim())
    })
}

#[actix_web::test]
async fn a_registration_email_arrives_with_both_parts_headers_and_a_working_link() {
    let app = spawn_app().await;
    let sink = SmtpSink::start(SINK, None);
    let registration = json!({
        "organisation": {"legal_name": "Lark Rise Care Ltd", "companies_house_number": "55555555", "address_line1": "1 Lark Rise", "town": "Upton", "postcode": "WR8 0AA"},
        "user": {"email": "ann@larkrise.example", "name": "Ann Lark", "password": "larks sing at dawn"}
    });
    assert_eq!(
        app.json("POST", "/api/v1/registrations", None, &registration, &[])
            .await
            .status,
        202
    );
    let queued = outbox(&app).await;
    assert_eq!(queued.len(), 1);
    assert_eq!(queued[0]["status"], "pending");
    assert_eq!(
        sender(&app, Some(&sink.url())).send_batch().await.unwrap(),
        1
    );
    let messages = sink.messages();
    assert_eq!(messages.len(), 1);
    let m = &messages[0];
    assert_eq!(header(m, "Message-ID"), queued[0]["message_id"].as_str());
    assert_eq!(
        header(m, "Subject"),
        Some("Finish registering Lark Rise Care Ltd")
    );
    assert!(header(m, "To").unwrap().contains("ann@larkrise.example"));
    assert!(
        header(m, "From")
            .unwrap()
            .contains("no-reply@council.example")
    );
    assert!(
        header(m, "Content-Type")
            .unwrap()
            .starts_with("multipart/alternative")
    );
    assert!(
        m.contains("Content-Type: text/plain; charset=utf-8")
            && m.contains("Content-Type: text/html; charset=utf-8")
    );
    assert!(
        header(m, "List-Unsubscribe").is_none(),
        "an account email cannot be unsubscribed from"
    );
    let sent = outbox(&app).await;
    assert_eq!(sent[0]["status"], "sent");
    // What was delivered carries the live link; the stored copy an administrator can read
    // does not.
    let link = app
        .emailed_link("ann@larkrise.example", "/register/confirm")
        .await;
    let token = link.split("token=").nth(1).unwrap();
    let unfolded = m.replace("=\r\n", "").replace("=\n", "");
    assert!(
        unfolded.contains(token),
        "the delivered email has the live link"
    );
    let admin = app.token("admin@council.example").await;
    let detail = app
        .get(&format!("/api/v1/outbox/{}", sent[0]["id"]), Some(&admin))
        .await
        .json();
    let text = detail["text_body"].as_str().unwrap();
    assert!(text.contains(
        "You received this email because this address was used to register Lark Rise Care Ltd"
    ));
    assert!(!text.contains(token) && text.contains("token=HIDDEN-LINK-TOKEN"));
    // The link shows a button (a mail scanner opening it changes nothing), which finishes
    // registering, once.
    let mut b = app.browser();
    let page = b.get(&link).await;
    assert_eq!(page.status, 200);
    assert!(page.text().contains("Register my organisation"));
    assert_eq!(
        b.post("/register/confirm", &[("token", token)], true)
            .await
            .status,
        303
    );
    assert_eq!(b.get(&link).await.status, 400, "single use");
    let token = app
        .token_with("ann@larkrise.example", "larks sing at dawn")
        .await;
    assert_eq!(
        app.get("/api/v1/me", Some(&token)).await.json()["email_verified"],
        true
    );
}

#[actix_web::test]
async fn a_permanent_refusal_fails_the_message_and_an_administrator_can_resend() {
    let app = spawn_app().await;
    let sink = SmtpSink::start(SINK, Some("gone@larkrise.example"));
    let ctx = MailContext::from_settings(&app.settings);
    let mut conn = app.db().await;
    for to in ["gone@larkrise.example", "here@larkrise.example"] {
        mail::enqueue(
            &mut conn,
            &ctx,
            Email {
                template: "reset_password",
                to_address: to.into(),
                to_name: "Someone".into(),
                user_id: None,
                reason: "Because a test asked.".into(),
                optional_kind: None,
                data: json!({"link": "https://x.example"}),
            },
        )
        .await
        .unwrap();
    }
    sender(&app, Some(&sink.url())).send_batch().await.unwrap();
    let rows = outbox(&app).await;
    let gone = rows
        .iter()
        .find(|r| r["to_address"] == "gone@larkrise.example")
        .unwrap();
    assert_eq!(gone["status"], "failed");
    assert_eq!(gone["attempts"], 1, "a 5xx answer is not retried");
    assert!(gone["last_error"].as_str().unwrap().contains("550"));
    assert_eq!(
        rows.iter()
            .find(|r| r["to_address"] == "here@larkrise.example")
            .unwrap()["status"],
        "sent"
    );
    let admin = app.token("admin@council.example").await;
    let r = app
        .json(
            "POST",
            &format!("/api/v1/outbox/{}/resend", gone["id"]),
            Some(&admin),
            &json!({}),
            &[],
        )
        .await;
    assert_eq!(r.status, 202);
    assert_eq!(
        app.get(&format!("/api/v1/outbox/{}", gone["id"]), Some(&admin))
            .await
            .json()["status"],
        "pending"
    );
    app.get(
        "/api/v1/outbox",
        Some(&app.token("bids@brightcare.example").await),
    )
    .await
    .problem(403);
}

#[actix_web::test]
async fn an_email_enqueued_in_a_rolled_back_transaction_is_never_sent() {
    let app = spawn_app().await;
    let ctx = MailContext::from_settings(&app.settings);
    let mut conn = app.db().await;
    let result = conn
        .transaction::<(), anyhow::Error, _>(async |tx| {
            mail::enqueue(
                tx,
                &ctx,
                Email {
                    template: "reset_password",
                    to_address: "x@y.example".into(),
                    to_name: String::new(),
                    user_id: None,
                    reason: "r".into(),
                    optional_kind: None,
                    data: json!({"link": "https://x.example"}),
                },
            )
            .await?;
            anyhow::bail!("the change failed after the email was written")
        })
        .await;
    assert!(result.is_err());
    assert!(outbox(&app).await.is_empty());
}

#[actix_web::test]
async fn without_smtp_emails_are_written_as_eml_files() {
    let app = spawn_app().await;
    let dir = std::env::temp_dir().join(format!("mail-{}", uuid::Uuid::new_v4().simple()));
    let mut settings = app.settings.clone();
    settings.mail.mail_dir = dir.clone();
    let s = Sender::new(
        app.pool.clone(),
        Transport::from_settings(&settings.mail).unwrap(),
        settings.mail.from.parse().unwrap(),
        MailContext::from_settings(&settings),
    );
    let mut b = app.browser();
    b.get("/forgot-password").await;
    assert_eq!(
        b.post(
            "/forgot-password",
            &[("email", "bids@brightcare.example")],
            true
        )
        .await
        .status,
        200
    );
    assert_eq!(s.send_batch().await.unwrap(), 1);
    let files: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .collect();
    assert_eq!(files.len(), 1);
    let eml = std::fs::read_to_string(&files[0]).unwrap();
    assert!(eml.contains("Subject: Reset your password for Care commissioning"));
    std::fs::remove_dir_all(dir).ok();
}

#[actix_web::test]
async fn a_sender_killed_mid_batch_loses_nothing_and_duplicates_keep_their_message_id() {
    let app = spawn_app().await;
    let sink = SmtpSink::start(SINK, None);
    let ctx = MailContext::from_settings(&app.settings);
    let mut conn = app.db().await;
    const N: usize = 1500;
    conn.transaction::<(), anyhow::Error, _>(async |tx| {
        for i in 0..N {
            mail::enqueue(
                tx,
                &ctx,
                Email {
                    template: "reset_password",
                    to_address: format!("person{i}@load.example"),
                    to_name: format!("Person {i}"),
                    user_id: None,
                    reason: "Load test.".into(),
                    optional_kind: None,
                    data: json!({"link": format!("https://x.example/{i}")}),
                },
            )
            .await?;
        }
        Ok(())
    })
    .await
    .unwrap();
    let run = |lease: &str| {
        std::process::Command::new(SEND_MAIL)
            .args(["--lease", lease])
            .env("DATABASE_URL", &app.database_url)
            .env("SMTP_URL", sink.url())
            .spawn()
            .unwrap()
    };
    let mut first = run("2");
    // Kill it with SIGKILL once some, but not all, messages have arrived.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    while sink.messages().len() < 40 {
        assert!(
            std::time::Instant::now() < deadline,
            "the first sender delivered nothing"
        );
        std::thread::yield_now();
    }
    first.kill().unwrap();
    first.wait().unwrap();
    let delivered_before = sink.messages().len();
    assert!(
        delivered_before < N,
        "the kill came too late to test anything ({delivered_before})"
    );
    // A new sender finishes the job, taking over the dead one's batch when its lease ends.
    let status = run("2").wait().unwrap();
    assert!(status.success());
    #[derive(diesel::QueryableByName)]
    struct Row {
        #[diesel(sql_type = diesel::sql_types::Text)]
        message_id: String,
        #[diesel(sql_type = diesel::sql_types::Text)]
        status: String,
    }
    let rows: Vec<Row> = diesel::sql_query("SELECT message_id, status::text AS status FROM outbox")
        .load(&mut conn)
        .await
        .unwrap();
    assert_eq!(rows.len(), N);
    assert!(rows.iter().all(|r| r.status == "sent"), "every row is sent");
    let received: Vec<String> = sink
        .messages()
        .iter()
        .map(|m| header(m, "Message-ID").unwrap().to_string())
        .collect();
    let mut distinct = received.clone();
    distinct.sort();
    distinct.dedup();
    assert_eq!(distinct.len(), N, "every row arrived");
    for row in &rows {
        assert!(
            distinct.binary_search(&row.message_id).is_ok(),
            "{} arrived",
            row.message_id
        );
    }
    // Any duplicate is a resend of the same row, recognisable by its Message-ID.
    assert!(received.len() >= N);
}

/// Every template has one typed message with a sample, and every message a template.
#[test]
fn every_email_template_has_exactly_one_typed_sample() {
    let mut sampled: Vec<&str> = backend::app::email_samples().iter().map(|s| s.0).collect();
    sampled.sort();
    let mut templates = mail::template_names();
    templates.sort();
    assert_eq!(sampled, templates);
}

/// Each message's sample, rendered, is its snapshot (`tests/tests/snapshots/emails`, kept
/// with insta: review a change with `cargo insta review`, or rename the `.snap.new` file
/// it writes). Every part says why it was sent, and text parts are not HTML-escaped.
#[test]
fn every_email_renders_as_its_snapshot() {
    let context = MailContext {
        public_url: "https://care.example".into(),
        unsubscribe_key: b"snapshot-key".to_vec(),
        link_key: b"snapshot-link-key".to_vec(),
    };
    let reason = "You received this email because a snapshot test asked for it.";
    for (template, data) in backend::app::email_samples() {
        let rendered = mail::render(
            &context,
            &Email {
                template,
                to_address: "priya@brightcare.example".into(),
                to_name: "Priya Shah".into(),
                user_id: None,
                reason: reason.into(),
                optional_kind: None,
                data,
            },
        )
        .unwrap_or_else(|e| panic!("{template}: {e}"));
        assert!(
            !rendered.subject.is_empty() && !rendered.subject.contains('\n'),
            "{template}"
        );
        assert!(rendered.text.contains(reason), "{template}: text part");
        assert!(rendered.html.contains(reason), "{template}: HTML part");
        assert!(
            !rendered.text.contains("&amp;"),
            "text parts are not HTML-escaped: {template}"
        );
        let text = format!(
            "Subject: {}\n\n--- text ---\n{}\n\n--- html ---\n{}\n",
            rendered.subject, rendered.text, rendered.html
        );
        insta::with_settings!({
            snapshot_path => "../snapshots/emails",
            prepend_module_to_snapshot => false,
            omit_expression => true,
        }, {
            insta::assert_snapshot!(template, text);
        });
    }
}
