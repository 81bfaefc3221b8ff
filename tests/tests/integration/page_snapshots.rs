//! Snapshots of every page each demo role can reach (`tests/tests/snapshots/pages`, kept
//! with insta). Each role signs in and follows every link in the pages' `<main>` from its
//! dashboard, breadth first, so a page nobody links to is not a page anyone sees, and a
//! change to any page's words or structure shows in review as a diff. Links that answer
//! anything but 200 HTML (downloads aside) fail the test: no broken links.
//!
//! Review a change with `cargo insta review`, or accept them all with
//! `INSTA_UPDATE=always cargo test-all -- page_snapshots`.

use std::collections::{BTreeMap, BTreeSet, VecDeque};

use regex_lite::Regex;
use tests::spawn_app;

/// Who signs in (None: nobody) and the page they start from.
const ROLES: [(&str, Option<&str>, &str); 6] = [
    ("public", None, "/"),
    ("admin", Some("admin@council.example"), "/dashboard"),
    (
        "commissioner",
        Some("commissioner@council.example"),
        "/dashboard",
    ),
    ("evaluator", Some("evaluator@council.example"), "/dashboard"),
    (
        "contract-manager",
        Some("contracts@council.example"),
        "/dashboard",
    ),
    ("provider", Some("bids@brightcare.example"), "/dashboard"),
];

/// At most this many pages per role: enough for every kind of page the demo has, few
/// enough that the snapshots stay reviewable.
const MOST_PAGES: usize = 60;

#[actix_web::test]
async fn every_page_each_role_reaches_renders_as_its_snapshot() {
    let app = spawn_app().await;
    let normalise = Normaliser::new();
    let mut names = BTreeSet::new();
    for (role, email, start) in ROLES {
        let mut browser = app.browser();
        if let Some(email) = email {
            browser.sign_in(email).await;
        }
        // A page is named by its path with ids blanked and its heading, so each demo
        // tender's page (one per stage) is its own snapshot whichever order the demo's
        // random ids put the links in.
        let mut pages: BTreeMap<String, String> = BTreeMap::new();
        let mut queue = VecDeque::from([start.to_string()]);
        let mut visited = BTreeSet::new();
        while let Some(path) = queue.pop_front() {
            if visited.len() >= MOST_PAGES || !visited.insert(path.clone()) {
                continue;
            }
            let reply = browser.get(&path).await;
            // A page that sends its reader on (an evaluator's procurement goes to their
            // to-do list) is followed.
            if reply.status == 303
                && let Some(to) = reply.header("location").filter(|l| l.starts_with('/'))
            {
                queue.push_back(to);
                continue;
            }
            let content_type = reply.header("content-type").unwrap_or_default();
            if !content_type.starts_with("text/html") {
                assert!(
                    reply.status == 200 && reply.header("content-disposition").is_some(),
                    "{role}: {path} answered {} {content_type}",
                    reply.status
                );
                continue;
            }
            assert_eq!(reply.status, 200, "{role}: {path}: {}", reply.text());
            let html = reply.text();
            let main = main_of(&html).unwrap_or_else(|| panic!("{role}: {path} has no <main>"));
            for link in links_in(main) {
                if !visited.contains(&link) {
                    queue.push_back(link);
                }
            }
            let name = format!(
                "{role}{}--{}",
                normalise.path(&path),
                heading_slug(main).unwrap_or_default()
            );
            pages.entry(name).or_insert_with(|| normalise.html(main));
        }
        for (name, page) in pages {
            assert!(names.insert(name.clone()), "{name} twice");
            insta::with_settings!({
                snapshot_path => "../snapshots/pages",
                prepend_module_to_snapshot => false,
                omit_expression => true,
            }, {
                insta::assert_snapshot!(name, page);
            });
        }
    }
    // Every role reached more than its home page, and no snapshot is left from a page
    // that is gone (insta alone would keep it).
    for (role, ..) in ROLES {
        let reached = names
            .iter()
            .filter(|n| n.starts_with(&format!("{role}_")))
            .count();
        // A contract manager's dashboard links nowhere yet: contracts come with their context.
        assert!(
            reached > 1 || role == "contract-manager",
            "{role} reached {reached}"
        );
    }
    let stored: BTreeSet<String> = std::fs::read_dir("tests/snapshots/pages")
        .expect("the page snapshots")
        .filter_map(|e| e.ok()?.file_name().into_string().ok())
        .filter_map(|f| f.strip_suffix(".snap").map(String::from))
        .collect();
    let gone: Vec<_> = stored.difference(&names).collect();
    assert!(
        gone.is_empty(),
        "snapshots of pages no role reaches: {gone:?}"
    );
}

/// The page's `<main>` element, where everything but the shared header and footer is.
fn main_of(html: &str) -> Option<&str> {
    let start = html.find("<main")?;
    let end = html[start..].find("</main>")? + start + "</main>".len();
    Some(&html[start..end])
}

/// Same-site links worth following: pages, not the API, static files or signing out.
fn links_in(main: &str) -> Vec<String> {
    let mut links = Vec::new();
    for part in main.split("href=\"").skip(1) {
        let Some(href) = part.split('"').next() else {
            continue;
        };
        let href = href.replace("&amp;", "&");
        let href = href.split('#').next().unwrap_or_default().to_string();
        if href.starts_with('/')
            && !href.starts_with("//")
            && !href.starts_with("/api/")
            && !href.starts_with("/static/")
            && href != "/logout"
        {
            links.push(href);
        }
    }
    links
}

/// The page's first heading, as a file-name-safe slug (ids and dates blanked).
fn heading_slug(main: &str) -> Option<String> {
    let start = main.find("<h1")?;
    let open_end = main[start..].find('>')? + start + 1;
    let end = main[open_end..].find("</h1>")? + open_end;
    let text = strip_tags(&main[open_end..end])
        .replace("&#x27;", "")
        .replace("&amp;", "and");
    let slug: String = text
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_ascii_lowercase()
            } else {
                '-'
            }
        })
        .collect();
    let slug = slug
        .split('-')
        .filter(|w| !w.is_empty() && !w.chars().all(|c| c.is_ascii_digit()))
        .collect::<Vec<_>>()
        .join("-");
    (!slug.is_empty()).then(|| slug.chars().take(60).collect())
}

fn strip_tags(html: &str) -> String {
    let mut out = String::new();
    let mut in_tag = false;
    for c in html.chars() {
        match c {
            '<' => in_tag = true,
            '>' => in_tag = false,
            c if !in_tag => out.push(c),
            _ => {}
        }
    }
    out
}

/// Blanks what changes from run to run (ids, tokens, digests, dates and times, which the
/// demo sets relative to today) and nothing else.
struct Normaliser {
    id: Regex,
    replacements: Vec<(Regex, &'static str)>,
}

impl Normaliser {
    fn new() -> Self {
        // Full names, and the short ones the admin tables use ("4 Dec 2026").
        let month = "January|February|March|April|May|June|July|August|September|October|November|December|Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec";
        let day = "Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday";
        let id = r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}";
        let replacements = [
            (id, "{id}"),
            (r"\b[0-9a-f]{64}\b", "{digest}"),
            (
                r#"name="_csrf" value="[^"]*""#,
                r#"name="_csrf" value="{csrf}""#,
            ),
            (
                r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?",
                "{timestamp}",
            ),
            (r"\d{4}-\d{2}-\d{2}", "{date}"),
            // The boxes of a date input (`partials/date_input.hbs`).
            (
                r#"(name="\w+_(day|month|year)" type="text"( inputmode="numeric")?) value="\d+""#,
                r#"$1 value="{n}""#,
            ),
            (&format!(r"\b({day}) "), ""),
            (&format!(r"\b\d{{1,2}} ({month}) \d{{4}}\b"), "{date}"),
            (&format!(r"\b\d{{1,2}} ({month})\b"), "{date}"),
            (r"\b\d{1,2}(:\d{2})?\s?(am|pm)\b", "{time}"),
            (r"\b\d{2}:\d{2}(:\d{2})?\b", "{time}"),
            // Time left before a deadline (`calendar::time_left`) moves with the weekday.
            (r"\b\d+ days left\b", "{n} days left"),
            // An insurance's status counts days to its expiry (`evidence::rules::status`).
            (r"\bExpires in \d+ days\b", "Expires in {n} days"),
        ]
        .into_iter()
        .map(|(pattern, with)| (Regex::new(pattern).unwrap(), with))
        .collect();
        Self {
            id: Regex::new(id).unwrap(),
            replacements,
        }
    }

    fn html(&self, text: &str) -> String {
        let mut text = text.to_string();
        for (pattern, with) in &self.replacements {
            text = pattern.replace_all(&text, *with).into_owned();
        }
        // One element per line at most, trailing spaces gone: diffs that read.
        text.lines()
            .map(str::trim_end)
            .filter(|l| !l.trim().is_empty())
            .collect::<Vec<_>>()
            .join("\n")
            + "\n"
    }

    /// A path as a snapshot name: ids blanked, query kept, separators made safe.
    fn path(&self, path: &str) -> String {
        let blanked = self.id.replace_all(path, "id");
        blanked
            .chars()
            .map(|c| {
                if c.is_ascii_alphanumeric() || c == '-' {
                    c
                } else {
                    '_'
                }
            })
            .collect()
    }
}
