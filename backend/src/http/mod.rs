//! HTTP plumbing every context uses: errors as `application/problem+json`, pagination,
//! idempotent creation, metrics, and the resource helper that answers 405 in the same way.
//! It knows no context; the route table is put together in `app`.

pub mod body;
pub mod idempotency;
pub mod metrics;
pub mod pagination;
pub mod problem;
pub mod routing;

/// The largest JSON body accepted.
pub const JSON_LIMIT: usize = 256 * 1024;
