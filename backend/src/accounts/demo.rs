//! The demo accounts that demo mode lists on the sign-in page (created by `seed`).

/// Every demo account's password (demo mode only).
pub const DEMO_PASSWORD: &str = "correct-horse-demo";

/// The demo accounts, as listed on the sign-in page in demo mode.
pub const DEMO_EMAILS: [&str; 6] = [
    "admin@council.example",
    "commissioner@council.example",
    "evaluator@council.example",
    "contracts@council.example",
    "bids@brightcare.example",
    "bids@meadowhomes.example",
];
