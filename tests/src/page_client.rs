//! A cookie-keeping client for page tests: forms with their CSRF token, sign-in, uploads,
//! and no JavaScript, as the real pages need none.

use crate::{PASSWORD, Reply, TestApp};

/// The first UUID that follows `prefix` in an HTML page (e.g. a link to a record).
pub fn first_id_after(html: &str, prefix: &str) -> Option<String> {
    html.split(prefix).skip(1).find_map(|rest| {
        rest.get(..36)
            .filter(|id| uuid::Uuid::parse_str(id).is_ok())
            .map(String::from)
    })
}

/// Where a form's redirect (303, "see other") goes; fails the test on any other answer.
pub fn location(reply: &Reply) -> String {
    assert_eq!(reply.status, 303, "expected a redirect: {}", reply.text());
    reply.header("location").unwrap_or_default()
}

/// GETs a page that must answer 200 and say `expect`; its HTML.
pub async fn page(browser: &mut Browser<'_>, path: &str, expect: &str) -> String {
    let reply = browser.get(path).await;
    assert_eq!(reply.status, 200, "{path}: {}", reply.text());
    let html = reply.text();
    assert!(
        html.contains(expect),
        "{path} should say {expect:?}: {html}"
    );
    html
}

/// A cookie-keeping client for page tests (no JavaScript, like the real pages need).
pub struct Browser<'a> {
    pub(crate) app: &'a TestApp,
    pub cookies: std::collections::BTreeMap<String, String>,
}

impl Browser<'_> {
    fn cookie_header(&self) -> String {
        self.cookies
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect::<Vec<_>>()
            .join("; ")
    }

    fn keep(&mut self, reply: &Reply) {
        for c in reply
            .headers
            .get_all("set-cookie")
            .filter_map(|v| v.to_str().ok())
        {
            let (pair, attrs) = c.split_once(';').unwrap_or((c, ""));
            if let Some((k, v)) = pair.split_once('=') {
                if v.is_empty() || attrs.contains("Max-Age=0") {
                    self.cookies.remove(k.trim());
                } else {
                    self.cookies
                        .insert(k.trim().to_string(), v.trim().to_string());
                }
            }
        }
    }

    /// GET a page.
    pub async fn get(&mut self, path: &str) -> Reply {
        let r = self
            .app
            .client
            .get(self.app.url(path))
            .insert_header(("Accept", "text/html"))
            .insert_header(("Cookie", self.cookie_header()));
        let reply = self.app.send(r, None).await;
        self.keep(&reply);
        reply
    }

    /// POST a form with the CSRF token and extra headers (as the pages' scripts send).
    pub async fn post_with_headers(
        &mut self,
        path: &str,
        fields: &[(&str, &str)],
        headers: &[(&str, &str)],
    ) -> Reply {
        self.send_form(path, fields, true, headers).await
    }

    /// The `_csrf` value the pages would put in a form now: the cookie's value signed for
    /// this browser's session.
    pub fn csrf(&self) -> String {
        let cookie = self.cookies.get("csrf").cloned().unwrap_or_default();
        let session = self.cookies.get("session").and_then(|t| {
            backend::auth::token::TokenKeys::new(&self.app.settings.tokens)
                .verify(t, backend::auth::token::TokenType::Session)
                .map(|c| c.jti.to_string())
        });
        backend::auth::csrf::form_value(
            &backend::auth::csrf::key(&self.app.settings),
            &cookie,
            session.as_deref(),
        )
    }

    /// POST a form; `_csrf` is added unless `with_csrf` is false.
    pub async fn post(&mut self, path: &str, fields: &[(&str, &str)], with_csrf: bool) -> Reply {
        self.send_form(path, fields, with_csrf, &[("Accept", "text/html")])
            .await
    }

    async fn send_form(
        &mut self,
        path: &str,
        fields: &[(&str, &str)],
        with_csrf: bool,
        headers: &[(&str, &str)],
    ) -> Reply {
        let mut pairs: Vec<(String, String)> = fields
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        if with_csrf {
            pairs.push(("_csrf".into(), self.csrf()));
        }
        let body = serde_html_form::to_string(&pairs).unwrap();
        let mut r = self
            .app
            .client
            .post(self.app.url(path))
            .insert_header(("Content-Type", "application/x-www-form-urlencoded"))
            .insert_header(("Cookie", self.cookie_header()));
        for (k, v) in headers {
            r = r.insert_header((*k, *v));
        }
        let reply = self.app.send(r, Some(body.into_bytes())).await;
        self.keep(&reply);
        reply
    }

    /// POST a multipart form with one file in the input `file` (as a browser sends an
    /// upload form), with the CSRF token first, as the pages put it.
    pub async fn post_file(
        &mut self,
        path: &str,
        fields: &[(&str, &str)],
        file_name: &str,
        bytes: &[u8],
    ) -> Reply {
        self.post_multipart(path, fields, "file", file_name, bytes)
            .await
    }

    /// POST a multipart form whose file input is called `input`.
    pub async fn post_multipart(
        &mut self,
        path: &str,
        fields: &[(&str, &str)],
        input: &str,
        file_name: &str,
        bytes: &[u8],
    ) -> Reply {
        let boundary = "----commissioning-test-boundary";
        let mut body = Vec::new();
        let csrf = self.csrf();
        for (k, v) in [("_csrf", csrf.as_str())]
            .into_iter()
            .chain(fields.iter().copied())
        {
            body.extend_from_slice(
                format!(
                    "--{boundary}\r\nContent-Disposition: form-data; name=\"{k}\"\r\n\r\n{v}\r\n"
                )
                .as_bytes(),
            );
        }
        body.extend_from_slice(
            format!("--{boundary}\r\nContent-Disposition: form-data; name=\"{input}\"; filename=\"{file_name}\"\r\nContent-Type: application/octet-stream\r\n\r\n").as_bytes(),
        );
        body.extend_from_slice(bytes);
        body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
        let r = self
            .app
            .client
            .post(self.app.url(path))
            .insert_header((
                "Content-Type",
                format!("multipart/form-data; boundary={boundary}"),
            ))
            .insert_header(("Accept", "text/html"))
            .insert_header(("Cookie", self.cookie_header()));
        let reply = self.app.send(r, Some(body)).await;
        self.keep(&reply);
        reply
    }

    /// Signs in a demo user through the form.
    pub async fn sign_in(&mut self, email: &str) -> Reply {
        self.sign_in_with(email, PASSWORD).await
    }

    /// Signs in any user through the form.
    pub async fn sign_in_with(&mut self, email: &str, password: &str) -> Reply {
        self.get("/login").await;
        let reply = self
            .post(
                "/login",
                &[
                    ("email", email),
                    ("password", password),
                    ("next", "/dashboard"),
                ],
                true,
            )
            .await;
        assert_eq!(reply.status, 303, "sign in as {email}: {}", reply.text());
        reply
    }
}
