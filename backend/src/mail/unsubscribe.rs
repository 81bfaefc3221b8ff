//! Signed unsubscribe links: `user id . kind . HMAC-SHA256`, so one click (or a mail
//! client's RFC 8058 one-click POST) turns a notification off without signing in.

use super::{MailContext, NotificationKind};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use hmac::{Hmac, Mac};
use sha2::Sha256;
use uuid::Uuid;

fn signature(key: &[u8], user: Uuid, kind: NotificationKind) -> Vec<u8> {
    let mut mac = Hmac::<Sha256>::new_from_slice(key).expect("HMAC takes any key length");
    mac.update(b"unsubscribe:");
    mac.update(user.as_bytes());
    mac.update(kind.as_str().as_bytes());
    mac.finalize().into_bytes().to_vec()
}

/// The token for a user and kind.
pub fn token(key: &[u8], user: Uuid, kind: NotificationKind) -> String {
    format!(
        "{}.{}.{}",
        user.simple(),
        kind.as_str(),
        URL_SAFE_NO_PAD.encode(signature(key, user, kind))
    )
}

/// The unsubscribe URL for a user and kind.
pub fn url(context: &MailContext, user: Uuid, kind: NotificationKind) -> String {
    format!(
        "{}/notifications/unsubscribe?token={}",
        context.public_url,
        token(&context.unsubscribe_key, user, kind)
    )
}

/// The user and kind a token names, if its signature is right.
pub fn verify(key: &[u8], token: &str) -> Option<(Uuid, NotificationKind)> {
    let mut parts = token.splitn(3, '.');
    let user = Uuid::parse_str(parts.next()?).ok()?;
    let kind: NotificationKind = parts.next()?.parse().ok()?;
    let given = URL_SAFE_NO_PAD.decode(parts.next()?).ok()?;
    let mut mac = Hmac::<Sha256>::new_from_slice(key).ok()?;
    mac.update(b"unsubscribe:");
    mac.update(user.as_bytes());
    mac.update(kind.as_str().as_bytes());
    mac.verify_slice(&given).ok()?;
    Some((user, kind))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_verify_only_unaltered() {
        let key = b"0123456789abcdef0123456789abcdef";
        let user = Uuid::new_v4();
        let t = token(key, user, NotificationKind::OpeningNotices);
        assert_eq!(
            verify(key, &t),
            Some((user, NotificationKind::OpeningNotices))
        );
        let other_kind = t.replace("opening_notices", "deadline_reminders");
        assert_eq!(verify(key, &other_kind), None);
        assert_eq!(verify(b"another key another key another k", &t), None);
        assert_eq!(verify(key, "garbage"), None);
    }
}
