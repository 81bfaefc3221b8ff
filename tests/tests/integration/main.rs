//! End-to-end tests through HTTP against real PostgreSQL. One binary (one link).

mod accounts;
mod architecture;
mod audit;
mod auth;
mod bid_pages;
mod browser;
mod commissioner_pages;
mod dashboards;
mod dps;
mod dps_pages;
mod email;
mod errors;
mod evaluation;
mod evaluator_pages;
mod jobs;
mod openapi;
mod organisations;
mod page_snapshots;
mod pages;
mod procurement;
mod procurement_pages;
mod reads;
mod schema;
mod security;
mod storage;
