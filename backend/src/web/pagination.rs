//! Previous and next links under a paged list, keeping the filters.

use crate::http::pagination::Paged;
use serde::Serialize;

/// Previous/next links that keep the filters.
#[derive(Serialize)]
pub struct Pagination {
    previous: Option<String>,
    next: Option<String>,
    summary: String,
}

impl Pagination {
    /// Links for a page of `paged`, with `query` (already encoded, without `page=`).
    pub fn new<T>(path: &str, query: &str, paged: &Paged<T>) -> Self {
        let link = |page: u32| format!("{path}?{query}page={page}&per_page={}", paged.per_page);
        let first = (i64::from(paged.page) - 1) * i64::from(paged.per_page) + 1;
        let last = first + paged.items.len() as i64 - 1;
        Self {
            previous: (paged.page > 1).then(|| link(paged.page - 1)),
            next: (i64::from(paged.page) < paged.total_pages).then(|| link(paged.page + 1)),
            summary: if paged.total == 0 {
                String::new()
            } else {
                format!("Showing {first} to {last} of {}", paged.total)
            },
        }
    }
}
