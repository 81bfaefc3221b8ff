//! The emails about an account itself: confirming an address, resetting a password, and
//! a change to sign-in details or role. Typed as every context's are, with samples.

use crate::mail::Message;
use serde::Serialize;

/// The link that confirms an email address.
#[derive(Debug, Clone, Serialize)]
pub struct VerifyEmail {
    pub link: String,
    pub organisation_name: String,
    pub valid_hours: i64,
}

impl Message for VerifyEmail {
    const TEMPLATE: &'static str = "verify_email";
    fn sample() -> Self {
        Self {
            link: "https://care.example/verify-email?token=0123456789abcdef".into(),
            organisation_name: "Bright Care Services Ltd".into(),
            valid_hours: 72,
        }
    }
}

/// The link that sets a new password.
#[derive(Debug, Clone, Serialize)]
pub struct ResetPassword {
    pub link: String,
}

impl Message for ResetPassword {
    const TEMPLATE: &'static str = "reset_password";
    fn sample() -> Self {
        Self {
            link: "https://care.example/reset-password?token=0123456789abcdef".into(),
        }
    }
}

/// A change to the account's sign-in details or role, so that its holder notices one
/// they did not make.
#[derive(Debug, Clone, Serialize)]
pub struct AccountChanged {
    /// What changed, as the start of a sentence.
    pub change: String,
    pub when: String,
    pub reset_link: String,
}

impl Message for AccountChanged {
    const TEMPLATE: &'static str = "account_changed";
    fn sample() -> Self {
        Self {
            change: "Your password was changed, and every signed-in session was signed out,".into(),
            when: "1 December 2026 at 09:00".into(),
            reset_link: "https://care.example/forgot-password".into(),
        }
    }
}

/// Every message of this module, with its sample (for the snapshot tests).
pub fn samples() -> Vec<(&'static str, serde_json::Value)> {
    use crate::mail::sample;
    vec![
        sample::<VerifyEmail>(),
        sample::<ResetPassword>(),
        sample::<AccountChanged>(),
    ]
}
