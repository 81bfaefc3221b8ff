//! The `procurement` bounded context: the evaluation engine that tenders, DPS admissions,
//! DPS call-offs and framework tenders share (DOMAIN.md, "The evaluation engine").
//!
//! Built so far: the scoring rules ([`scoring`]): weights, weighted quality and social
//! value scores, relative price scores, thresholds, abnormally low prices, and ranking with
//! its tie-break, all in exact arithmetic with the working behind every figure.
//! Procurements, questionnaires, sealed submissions, panels and award are to come.

pub mod scoring;
