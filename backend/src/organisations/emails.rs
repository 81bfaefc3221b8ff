//! The organisations context's emails: registration, invitations, account recovery and a
//! colleague joining. One typed message per template under `frontend/emails`, each with a
//! realistic sample for previews and the snapshot tests.

use crate::mail::Message;
use serde::Serialize;

/// Someone tried to register with an address that already has an account: its owner is
/// told, and nothing is created.
#[derive(Debug, Clone, Serialize)]
pub struct RegistrationAttempted {
    pub organisation_name: String,
    pub sign_in: String,
    pub reset_link: String,
}

impl Message for RegistrationAttempted {
    const TEMPLATE: &'static str = "registration_attempted";
    fn sample() -> Self {
        Self {
            organisation_name: "Bright Care Services Ltd".into(),
            sign_in: "https://care.example/login".into(),
            reset_link: "https://care.example/forgot-password".into(),
        }
    }
}

/// The link that finishes a provider's registration.
#[derive(Debug, Clone, Serialize)]
pub struct ConfirmRegistration {
    pub link: String,
    pub organisation_name: String,
    pub valid_hours: i64,
}

impl Message for ConfirmRegistration {
    const TEMPLATE: &'static str = "confirm_registration";
    fn sample() -> Self {
        Self {
            link: "https://care.example/register/confirm?token=0123456789abcdef".into(),
            organisation_name: "Bright Care Services Ltd".into(),
            valid_hours: 72,
        }
    }
}

/// An invitation to join a provider organisation (from a colleague, or through the
/// operator's account recovery).
#[derive(Debug, Clone, Serialize)]
pub struct InvitationEmail {
    pub organisation_name: String,
    pub inviter: String,
    /// Whether it comes through account recovery rather than from a colleague.
    pub recovery: bool,
    pub expires: String,
    pub link: String,
}

impl Message for InvitationEmail {
    const TEMPLATE: &'static str = "invitation";
    fn sample() -> Self {
        Self {
            organisation_name: "Bright Care Services Ltd".into(),
            inviter: "Priya Shah".into(),
            recovery: false,
            expires: "9 December 2026 at 9:00am".into(),
            link: "https://care.example/invitations/accept?token=0123456789abcdef".into(),
        }
    }
}

/// To everyone in a provider organisation: account recovery has invited someone in.
#[derive(Debug, Clone, Serialize)]
pub struct AccountRecoveryStarted {
    pub organisation_name: String,
    pub invitee_name: String,
    pub invitee_email: String,
    pub why: String,
    pub expires: String,
    pub link: String,
}

impl Message for AccountRecoveryStarted {
    const TEMPLATE: &'static str = "account_recovery_started";
    fn sample() -> Self {
        Self {
            organisation_name: "Bright Care Services Ltd".into(),
            invitee_name: "Sam Brook".into(),
            invitee_email: "sam@brightcare.example".into(),
            why: "Priya Shah, the only account holder, has left; the director asked by phone and \
                  the request was checked against Companies House."
                .into(),
            expires: "9 December 2026 at 9:00am".into(),
            link: "https://care.example/organisation".into(),
        }
    }
}

/// To everyone in a provider organisation: someone has joined it.
#[derive(Debug, Clone, Serialize)]
pub struct ColleagueJoined {
    pub organisation_name: String,
    pub joiner_name: String,
    pub joiner_email: String,
    pub how: String,
    pub link: String,
}

impl Message for ColleagueJoined {
    const TEMPLATE: &'static str = "colleague_joined";
    fn sample() -> Self {
        Self {
            organisation_name: "Bright Care Services Ltd".into(),
            joiner_name: "Sam Brook".into(),
            joiner_email: "sam@brightcare.example".into(),
            how: "at the invitation of Priya Shah".into(),
            link: "https://care.example/organisation".into(),
        }
    }
}

/// To a provider's users: one of its insurances expires in 30 days, in 7 days, or has
/// lapsed (the `insurance-expiry-reminders` job).
#[derive(Debug, Clone, Serialize)]
pub struct InsuranceExpiring {
    pub organisation_name: String,
    /// "public liability insurance" (it goes mid-sentence).
    pub insurance: String,
    pub insurer: String,
    /// The last day of cover: "31 March 2027".
    pub expires: String,
    /// "in 30 days", "in 7 days", "today", "tomorrow"; empty once it has lapsed.
    pub when: String,
    pub lapsed: bool,
    /// Where to change it and upload the new certificate.
    pub link: String,
}

impl Message for InsuranceExpiring {
    const TEMPLATE: &'static str = "insurance_expiring";
    fn sample() -> Self {
        Self {
            organisation_name: "Bright Care Services Ltd".into(),
            insurance: "public liability insurance".into(),
            insurer: "Acme Mutual".into(),
            expires: "31 March 2027".into(),
            when: "in 30 days".into(),
            lapsed: false,
            link: "https://care.example/organisation/insurances/0f3a/edit".into(),
        }
    }
}

/// Every message of this context, with its sample (for the snapshot tests).
pub fn samples() -> Vec<(&'static str, serde_json::Value)> {
    use crate::mail::sample;
    vec![
        sample::<RegistrationAttempted>(),
        sample::<ConfirmRegistration>(),
        sample::<InvitationEmail>(),
        sample::<AccountRecoveryStarted>(),
        sample::<ColleagueJoined>(),
        sample::<InsuranceExpiring>(),
    ]
}
