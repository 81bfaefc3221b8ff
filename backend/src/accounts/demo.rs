//! The demo accounts that demo mode lists on the sign-in page (created with the demo
//! organisations).

pub use crate::organisations::demo::{DEMO_EMAILS, DEMO_PASSWORD};
