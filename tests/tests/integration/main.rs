//! End-to-end tests through HTTP against real PostgreSQL. One binary (one link).

mod audit;
mod auth;
mod browser;
mod errors;
mod organisations;
mod pages;
