//! What makes a new password too easy to guess, following the NCSC's password guidance and
//! NIST SP 800-63B (5.1.1.2): no composition rules, a length floor, and a refusal of
//! passwords found in breach corpora, repetitive or sequential characters, and the
//! service's or the user's own name.
//!
//! The list (`backend/data/common-passwords.txt`, 30,000 entries) is shipped with the
//! program. A password is refused when it is on the list, or is a listed password with
//! digits and symbols added around it ("password1234!"), or a short unit repeated
//! ("passwordpassword", "abcabcabcabc"), or a run up or down the alphabet, the digits or a
//! keyboard row ("123456789012", "qwertyuiopas").

use crate::http::problem::FieldError;
use std::collections::HashSet;
use std::sync::OnceLock;

/// The shortest password we accept. Length beats composition rules (NCSC guidance).
pub const MIN_PASSWORD_LENGTH: usize = 12;
/// The longest, so that hashing cannot be used to exhaust the server.
pub const MAX_PASSWORD_LENGTH: usize = 128;

/// A new password: long enough, not too long, not the email address, and not easy to
/// guess (`auth::password_rules`).
pub fn password(field: &str, value: &str, email: &str, errors: &mut Vec<FieldError>) {
    let length = value.chars().count();
    if length < MIN_PASSWORD_LENGTH {
        errors.push(FieldError::new(
            field,
            format!("Password must be {MIN_PASSWORD_LENGTH} characters or more"),
        ));
    } else if length > MAX_PASSWORD_LENGTH {
        errors.push(FieldError::new(
            field,
            format!("Password must be {MAX_PASSWORD_LENGTH} characters or fewer"),
        ));
    } else if value.eq_ignore_ascii_case(email) {
        errors.push(FieldError::new(
            field,
            "Password must not be your email address",
        ));
    } else if let Some(message) = weakness(value, email) {
        errors.push(FieldError::new(field, message));
    }
}

fn common() -> &'static HashSet<&'static str> {
    static LIST: OnceLock<HashSet<&'static str>> = OnceLock::new();
    LIST.get_or_init(|| {
        include_str!("../../data/common-passwords.txt")
            .lines()
            .filter(|l| !l.is_empty() && !l.starts_with('#'))
            .collect()
    })
}

/// Why `password` is too easy to guess, written for the person choosing it; `None` when it
/// is acceptable. Length is checked by the caller.
pub fn weakness(password: &str, email: &str) -> Option<&'static str> {
    let lower = password.to_lowercase();
    if common().contains(lower.as_str()) {
        return Some(
            "This password is one of the most commonly used, so it is easy to guess. Choose another, for example three random words",
        );
    }
    let core = lower.trim_matches(|c: char| !c.is_alphabetic());
    if core.chars().count() >= 4 && common().contains(core) {
        return Some(
            "This password is a commonly used one with numbers or symbols added, so it is easy to guess. Choose another, for example three random words",
        );
    }
    if is_repeated(&lower) {
        return Some(
            "This password repeats the same characters, so it is easy to guess. Choose another, for example three random words",
        );
    }
    if is_sequence(&lower) {
        return Some(
            "This password is a run of characters in order, like 123456 or qwerty, so it is easy to guess. Choose another",
        );
    }
    let local = email.split('@').next().unwrap_or("").to_lowercase();
    if local.chars().count() >= 4 && lower.contains(&local) {
        return Some("Your password must not contain your email address");
    }
    for service in ["care commissioning", "carecommissioning"] {
        if lower.contains(service) {
            return Some("Your password must not contain the name of this service");
        }
    }
    None
}

/// A short unit repeated to fill the password ("aaaa…", "abcabc…", "passwordpassword"), or
/// at most three distinct characters in all.
fn is_repeated(p: &str) -> bool {
    let chars: Vec<char> = p.chars().collect();
    let distinct: HashSet<char> = chars.iter().copied().collect();
    if distinct.len() <= 3 {
        return true;
    }
    (1..=chars.len() / 2).any(|unit| chars.iter().enumerate().all(|(i, c)| *c == chars[i % unit]))
}

/// Rows a run can follow: the alphabet, the digits (0 after 9, as on a keyboard) and the
/// letter rows of a UK keyboard read on from one row to the next, as people type them.
const RUNS: [&str; 3] = [
    "abcdefghijklmnopqrstuvwxyz",
    "1234567890",
    "qwertyuiopasdfghjklzxcvbnm",
];

/// Every step goes to the next (or previous) character along one of [`RUNS`], wrapping
/// round, so "890123456789" and "987654321098" both count.
fn is_sequence(p: &str) -> bool {
    let chars: Vec<char> = p.chars().collect();
    if chars.len() < 2 {
        return false;
    }
    let next_in = |row: &str, a: char, b: char, step: isize| {
        let row: Vec<char> = row.chars().collect();
        row.iter().enumerate().any(|(i, c)| {
            *c == a && row[(i as isize + step).rem_euclid(row.len() as isize) as usize] == b
        })
    };
    [1, -1].iter().any(|step| {
        RUNS.iter()
            .any(|row| chars.windows(2).all(|w| next_in(row, w[0], w[1], *step)))
    })
}

#[cfg(test)]
mod tests {
    use super::weakness;

    #[test]
    fn the_issue_s_examples_are_refused() {
        for p in [
            "aaaaaaaaaaaa",
            "passwordpassword",
            "123456789012",
            "Password1234!",
            "qwertyuiopas",
            "abcabcabcabc",
            "987654321098",
            "abcdefghijkl",
            "1qaz2wsx3edc",
            "11112222aaaa",
        ] {
            assert!(weakness(p, "ann@example.com").is_some(), "{p} was accepted");
        }
    }

    #[test]
    fn ordinary_strong_passwords_are_accepted() {
        for p in [
            "correct-horse-demo",
            "kettle orchard lantern",
            "a long enough password",
            "Severn bridges at dusk 7",
        ] {
            assert_eq!(weakness(p, "ann@example.com"), None, "{p}");
        }
    }

    #[test]
    fn the_email_address_and_service_name_are_refused() {
        assert!(weakness("annabel.smith-2026", "annabel.smith@example.com").is_some());
        assert!(weakness("my care commissioning login", "ann@example.com").is_some());
    }

    #[test]
    fn the_list_loads() {
        assert!(super::common().len() > 29_000);
        assert!(super::common().contains("trustno1"));
    }
}
