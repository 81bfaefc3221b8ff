//! Bounded, numbered pages for every list.

use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

/// The largest page anyone can ask for.
pub const MAX_PER_PAGE: u32 = 100;
const DEFAULT_PER_PAGE: u32 = 25;

/// `?page=&per_page=` as asked; out-of-range values are clamped, never an error.
#[derive(Debug, Clone, Copy, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(default)]
pub struct PageRequest {
    /// Page number, from 1.
    pub page: u32,
    /// Items per page, 1 to 100 (default 25).
    pub per_page: u32,
}

impl Default for PageRequest {
    fn default() -> Self {
        Self {
            page: 1,
            per_page: DEFAULT_PER_PAGE,
        }
    }
}

impl PageRequest {
    /// A request for a given page and size, clamped.
    pub fn new(page: u32, per_page: u32) -> Self {
        Self { page, per_page }.clamped()
    }

    fn clamped(self) -> Self {
        Self {
            page: self.page.clamp(1, 100_000),
            per_page: self.per_page.clamp(1, MAX_PER_PAGE),
        }
    }

    /// SQL `LIMIT`.
    pub fn limit(self) -> i64 {
        i64::from(self.clamped().per_page)
    }

    /// SQL `OFFSET`.
    pub fn offset(self) -> i64 {
        let c = self.clamped();
        i64::from(c.page - 1) * i64::from(c.per_page)
    }
}

/// One page of a list, with what a client needs to fetch the others.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Paged<T> {
    pub items: Vec<T>,
    pub page: u32,
    pub per_page: u32,
    pub total: i64,
    pub total_pages: i64,
}

impl<T> Paged<T> {
    /// Wraps a page of items and the total count.
    pub fn new(items: Vec<T>, total: i64, request: PageRequest) -> Self {
        let r = request.clamped();
        Self {
            items,
            page: r.page,
            per_page: r.per_page,
            total,
            total_pages: (total + i64::from(r.per_page) - 1) / i64::from(r.per_page),
        }
    }

    /// Maps the items, keeping the page figures.
    pub fn map<U>(self, f: impl FnMut(T) -> U) -> Paged<U> {
        Paged {
            items: self.items.into_iter().map(f).collect(),
            page: self.page,
            per_page: self.per_page,
            total: self.total,
            total_pages: self.total_pages,
        }
    }
}

/// Escapes `%`, `_` and `\` so user text is matched literally by `LIKE`/`ILIKE`.
pub fn escape_like(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if matches!(c, '%' | '_' | '\\') {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pages_are_clamped() {
        let r = PageRequest {
            page: 0,
            per_page: 10_000,
        };
        assert_eq!((r.limit(), r.offset()), (100, 0));
        let r = PageRequest {
            page: 3,
            per_page: 0,
        };
        assert_eq!((r.limit(), r.offset()), (1, 2));
    }

    #[test]
    fn total_pages_round_up() {
        let p = Paged::new(vec![1], 51, PageRequest::new(1, 25));
        assert_eq!(p.total_pages, 3);
        let p = Paged::<u8>::new(vec![], 0, PageRequest::default());
        assert_eq!(p.total_pages, 0);
    }

    #[test]
    fn like_wildcards_are_escaped() {
        assert_eq!(escape_like(r"50%_a\b"), r"50\%\_a\\b");
    }
}
