//! Prometheus metrics, kept by hand: a few atomic counters and a latency histogram need no
//! library (see docs/decisions/0004-metrics-by-hand.md).

use std::fmt::Write;
use std::sync::atomic::{AtomicU64, Ordering};

const BUCKETS_MS: [u64; 10] = [1, 2, 5, 10, 25, 50, 100, 250, 1000, 5000];

/// Request counts by status class and a latency histogram.
#[derive(Default)]
pub struct Metrics {
    by_class: [AtomicU64; 5],
    buckets: [AtomicU64; 10],
    sum_micros: AtomicU64,
    count: AtomicU64,
}

impl Metrics {
    /// Records one finished request.
    pub fn observe(&self, status: u16, micros: u64) {
        let class = (status / 100).clamp(1, 5) as usize - 1;
        self.by_class[class].fetch_add(1, Ordering::Relaxed);
        let ms = micros / 1000;
        for (i, bound) in BUCKETS_MS.iter().enumerate() {
            if ms <= *bound {
                self.buckets[i].fetch_add(1, Ordering::Relaxed);
            }
        }
        self.sum_micros.fetch_add(micros, Ordering::Relaxed);
        self.count.fetch_add(1, Ordering::Relaxed);
    }

    /// The Prometheus text exposition, with the pool's figures.
    pub fn render(&self, pool: &crate::db::DbPool) -> String {
        let mut out = String::new();
        out.push_str("# HELP http_requests_total HTTP requests answered, by status class.\n# TYPE http_requests_total counter\n");
        for (i, c) in self.by_class.iter().enumerate() {
            let _ = writeln!(
                out,
                "http_requests_total{{class=\"{}xx\"}} {}",
                i + 1,
                c.load(Ordering::Relaxed)
            );
        }
        out.push_str("# HELP http_request_duration_seconds Time to answer a request.\n# TYPE http_request_duration_seconds histogram\n");
        for (i, bound) in BUCKETS_MS.iter().enumerate() {
            let _ = writeln!(
                out,
                "http_request_duration_seconds_bucket{{le=\"{}\"}} {}",
                *bound as f64 / 1000.0,
                self.buckets[i].load(Ordering::Relaxed)
            );
        }
        let count = self.count.load(Ordering::Relaxed);
        let _ = writeln!(
            out,
            "http_request_duration_seconds_bucket{{le=\"+Inf\"}} {count}"
        );
        let _ = writeln!(
            out,
            "http_request_duration_seconds_sum {}",
            self.sum_micros.load(Ordering::Relaxed) as f64 / 1e6
        );
        let _ = writeln!(out, "http_request_duration_seconds_count {count}");
        let status = pool.status();
        out.push_str("# HELP db_pool_connections Database connections open and idle in this instance.\n# TYPE db_pool_connections gauge\n");
        let _ = writeln!(out, "db_pool_connections{{state=\"open\"}} {}", status.size);
        let _ = writeln!(
            out,
            "db_pool_connections{{state=\"idle\"}} {}",
            status.available
        );
        let _ = writeln!(
            out,
            "db_pool_connections{{state=\"max\"}} {}",
            status.max_size
        );
        out
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn observations_land_in_cumulative_buckets() {
        let m = super::Metrics::default();
        m.observe(200, 3_000);
        m.observe(404, 700_000);
        assert_eq!(m.by_class[1].load(std::sync::atomic::Ordering::Relaxed), 1);
        assert_eq!(m.by_class[3].load(std::sync::atomic::Ordering::Relaxed), 1);
        assert_eq!(m.buckets[2].load(std::sync::atomic::Ordering::Relaxed), 1); // le 5ms
        assert_eq!(m.buckets[8].load(std::sync::atomic::Ordering::Relaxed), 2); // le 1s
    }
}
