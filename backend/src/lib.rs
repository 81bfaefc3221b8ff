#![recursion_limit = "256"]
//! The commissioning platform: a council's adult social care commissioning (dynamic
//! purchasing, frameworks, tenders, fee consultations, outcome-based contracts) and the care
//! providers who win and deliver that work.
//!
//! One module per bounded context (`organisations`, `audit`, ...), plus the shared plumbing:
//! `config`, `db`, `auth`, `http` and `web`.

pub mod accounts;
pub mod admin;
pub mod app;
pub mod assets;
pub mod audit;
pub mod auth;
pub mod background;
pub mod calendar;
pub mod config;
pub mod db;
pub mod dps;
pub mod evaluation;
pub mod home;
pub mod http;
pub mod mail;
pub mod money;
pub mod organisations;
pub mod procurement;
pub mod registry;
pub mod seed;
pub mod startup;
pub mod state;
pub mod storage;
pub mod web;
pub mod worker;
