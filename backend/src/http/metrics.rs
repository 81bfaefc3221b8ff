//! Prometheus metrics for this process, kept with the `prometheus` crate (default features
//! off, so no protobuf; see docs/decisions/0015-prometheus-metrics.md): requests by method,
//! route pattern and status, their latency, the pool's connections, and job runs by job and
//! outcome.
//!
//! Each [`Metrics`] has its own registry, never the crate's global one: the tests build many
//! applications in one process, and each must count only its own requests.

use prometheus::{
    HistogramOpts, HistogramVec, IntCounterVec, IntGaugeVec, Opts, Registry, TextEncoder,
};
use std::time::Duration;

/// The content type of [`Metrics::render`]'s answer.
pub const CONTENT_TYPE: &str = prometheus::TEXT_FORMAT;

/// The `route` of a request no route matched. Never the raw path: anyone can send any
/// number of different paths, and each label value is a new series kept for ever.
pub const UNMATCHED: &str = "unmatched";

/// Request latency buckets, in seconds (the bounds the hand-written histogram used, so
/// dashboards keep their `le` values).
const REQUEST_BUCKETS: [f64; 10] = [0.001, 0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1.0, 5.0];

/// Job run time buckets, in seconds: from a quick sweep to an hour.
const JOB_BUCKETS: [f64; 10] = [0.1, 0.5, 1.0, 5.0, 10.0, 30.0, 60.0, 300.0, 900.0, 3600.0];

/// This process's metrics and the registry they are rendered from.
pub struct Metrics {
    registry: Registry,
    requests: IntCounterVec,
    request_duration: HistogramVec,
    pool: IntGaugeVec,
    job_runs: IntCounterVec,
    job_duration: HistogramVec,
}

impl Default for Metrics {
    fn default() -> Self {
        Self::new()
    }
}

impl Metrics {
    /// Metrics in a registry of their own, all at zero.
    pub fn new() -> Self {
        let registry = Registry::new();
        // Registration fails only for a name registered twice in one registry: a bug here,
        // not a condition to handle.
        fn registered<C: prometheus::core::Collector + Clone + 'static>(
            registry: &Registry,
            collector: prometheus::Result<C>,
        ) -> C {
            let collector = collector.expect("a well-formed metric");
            registry
                .register(Box::new(collector.clone()))
                .expect("each metric registered once");
            collector
        }
        let requests = registered(
            &registry,
            IntCounterVec::new(
                Opts::new(
                    "http_requests_total",
                    "HTTP requests answered, by method, matched route pattern and status code.",
                ),
                &["method", "route", "status"],
            ),
        );
        let request_duration = registered(
            &registry,
            HistogramVec::new(
                HistogramOpts::new(
                    "http_request_duration_seconds",
                    "Time to answer a request, by method and matched route pattern.",
                )
                .buckets(REQUEST_BUCKETS.to_vec()),
                &["method", "route"],
            ),
        );
        let pool = registered(
            &registry,
            IntGaugeVec::new(
                Opts::new(
                    "db_pool_connections",
                    "Database connections in this process's pool: open, idle, and the most it may open.",
                ),
                &["state"],
            ),
        );
        let job_runs = registered(
            &registry,
            IntCounterVec::new(
                Opts::new(
                    "job_runs_total",
                    "Scheduled job runs this process ended, by job and outcome.",
                ),
                &["job", "outcome"],
            ),
        );
        let job_duration = registered(
            &registry,
            HistogramVec::new(
                HistogramOpts::new(
                    "job_run_duration_seconds",
                    "How long a job's handler ran in this process, whatever the outcome.",
                )
                .buckets(JOB_BUCKETS.to_vec()),
                &["job"],
            ),
        );
        Self {
            registry,
            requests,
            request_duration,
            pool,
            job_runs,
            job_duration,
        }
    }

    /// Records one answered request. `route` is the pattern that matched
    /// (`/api/v1/procurements/{id}`), `None` when nothing did.
    pub fn observe_request(&self, method: &str, route: Option<&str>, status: u16, took: Duration) {
        let method = method_label(method);
        let route = route.unwrap_or(UNMATCHED);
        self.requests
            .with_label_values(&[method, route, &status.to_string()])
            .inc();
        self.request_duration
            .with_label_values(&[method, route])
            .observe(took.as_secs_f64());
    }

    /// Shows `job` at zero for each outcome before it first runs, so that a first failure is
    /// an increase a rule can see rather than a series that appears at 1.
    pub fn expect_job(&self, job: &str, outcomes: &[&str]) {
        for outcome in outcomes {
            self.job_runs.with_label_values(&[job, outcome]);
        }
        self.job_duration.with_label_values(&[job]);
    }

    /// Records one ended job run; `ran_for` is `None` when no handler ran.
    pub fn observe_job_run(&self, job: &str, outcome: &str, ran_for: Option<Duration>) {
        self.job_runs.with_label_values(&[job, outcome]).inc();
        if let Some(ran_for) = ran_for {
            self.job_duration
                .with_label_values(&[job])
                .observe(ran_for.as_secs_f64());
        }
    }

    /// The Prometheus text exposition, with the pool's figures as they are now.
    pub fn render(&self, pool: &crate::db::DbPool) -> String {
        let status = pool.status();
        self.set_pool(status.size, status.available, status.max_size);
        self.encode()
    }

    fn set_pool(&self, open: usize, idle: usize, max: usize) {
        for (state, n) in [("open", open), ("idle", idle), ("max", max)] {
            self.pool
                .with_label_values(&[state])
                .set(i64::try_from(n).unwrap_or(i64::MAX));
        }
    }

    fn encode(&self) -> String {
        let mut out = String::new();
        if let Err(e) = TextEncoder::new().encode_utf8(&self.registry.gather(), &mut out) {
            tracing::error!(error = %e, "rendering metrics");
        }
        out
    }
}

/// The method as a label: the standard ones by name, anything else (any token is a valid
/// method) as `other`, so a client cannot mint series.
fn method_label(method: &str) -> &str {
    match method {
        "GET" | "HEAD" | "POST" | "PUT" | "PATCH" | "DELETE" | "OPTIONS" => method,
        _ => "other",
    }
}

#[cfg(test)]
mod tests {
    use super::Metrics;
    use std::time::Duration;

    fn lines(m: &Metrics) -> Vec<String> {
        m.encode().lines().map(String::from).collect()
    }

    fn has(m: &Metrics, line: &str) -> bool {
        lines(m).iter().any(|l| l == line)
    }

    #[test]
    fn requests_are_counted_by_method_route_pattern_and_status() {
        let m = Metrics::new();
        let route = Some("/api/v1/procurements/{id}");
        m.observe_request("GET", route, 200, Duration::from_millis(3));
        m.observe_request("GET", route, 200, Duration::from_millis(4));
        m.observe_request("GET", route, 404, Duration::from_millis(1));
        m.observe_request("GET", None, 404, Duration::from_millis(1));
        m.observe_request("BREW", None, 404, Duration::from_millis(1));
        let text = m.encode();
        assert!(
            text.contains("# TYPE http_requests_total counter"),
            "{text}"
        );
        for line in [
            r#"http_requests_total{method="GET",route="/api/v1/procurements/{id}",status="200"} 2"#,
            r#"http_requests_total{method="GET",route="/api/v1/procurements/{id}",status="404"} 1"#,
            r#"http_requests_total{method="GET",route="unmatched",status="404"} 1"#,
            r#"http_requests_total{method="other",route="unmatched",status="404"} 1"#,
        ] {
            assert!(has(&m, line), "missing {line} in\n{text}");
        }
    }

    #[test]
    fn latency_lands_in_cumulative_buckets_per_route() {
        let m = Metrics::new();
        let route = Some("/healthz");
        m.observe_request("GET", route, 200, Duration::from_micros(3_000));
        m.observe_request("GET", route, 200, Duration::from_micros(700_000));
        let text = m.encode();
        assert!(
            text.contains("# TYPE http_request_duration_seconds histogram"),
            "{text}"
        );
        for line in [
            r#"http_request_duration_seconds_bucket{method="GET",route="/healthz",le="0.002"} 0"#,
            r#"http_request_duration_seconds_bucket{method="GET",route="/healthz",le="0.005"} 1"#,
            r#"http_request_duration_seconds_bucket{method="GET",route="/healthz",le="1"} 2"#,
            r#"http_request_duration_seconds_bucket{method="GET",route="/healthz",le="+Inf"} 2"#,
            r#"http_request_duration_seconds_sum{method="GET",route="/healthz"} 0.703"#,
            r#"http_request_duration_seconds_count{method="GET",route="/healthz"} 2"#,
        ] {
            assert!(has(&m, line), "missing {line} in\n{text}");
        }
    }

    #[test]
    fn job_runs_are_counted_by_job_and_outcome_and_timed_by_job() {
        let m = Metrics::new();
        m.expect_job("housekeeping", &["succeeded", "failed"]);
        m.observe_job_run("standstill-ended", "retrying", Some(Duration::from_secs(2)));
        m.observe_job_run(
            "standstill-ended",
            "succeeded",
            Some(Duration::from_millis(300)),
        );
        m.observe_job_run("gone", "failed", None);
        let text = m.encode();
        for line in [
            r#"job_runs_total{job="housekeeping",outcome="succeeded"} 0"#,
            r#"job_runs_total{job="housekeeping",outcome="failed"} 0"#,
            r#"job_runs_total{job="standstill-ended",outcome="retrying"} 1"#,
            r#"job_runs_total{job="standstill-ended",outcome="succeeded"} 1"#,
            r#"job_runs_total{job="gone",outcome="failed"} 1"#,
            r#"job_run_duration_seconds_count{job="housekeeping"} 0"#,
            r#"job_run_duration_seconds_bucket{job="standstill-ended",le="0.5"} 1"#,
            r#"job_run_duration_seconds_bucket{job="standstill-ended",le="5"} 2"#,
            r#"job_run_duration_seconds_count{job="standstill-ended"} 2"#,
        ] {
            assert!(has(&m, line), "missing {line} in\n{text}");
        }
        assert!(
            !text.contains(r#"job_run_duration_seconds_count{job="gone"}"#),
            "a run no handler ran is not timed:\n{text}"
        );
    }

    #[test]
    fn pool_figures_are_gauges() {
        let m = Metrics::new();
        m.set_pool(3, 1, 8);
        let text = m.encode();
        assert!(text.contains("# TYPE db_pool_connections gauge"), "{text}");
        for line in [
            r#"db_pool_connections{state="open"} 3"#,
            r#"db_pool_connections{state="idle"} 1"#,
            r#"db_pool_connections{state="max"} 8"#,
        ] {
            assert!(has(&m, line), "missing {line} in\n{text}");
        }
    }

    #[test]
    fn each_instance_counts_only_its_own() {
        let (a, b) = (Metrics::new(), Metrics::new());
        a.observe_request("GET", Some("/healthz"), 200, Duration::from_millis(1));
        assert!(a.encode().contains("http_requests_total"));
        assert!(!b.encode().contains("http_requests_total"));
    }

    #[test]
    fn label_values_are_escaped() {
        let m = Metrics::new();
        m.observe_job_run("odd\"name\\\n", "failed", None);
        assert!(
            has(
                &m,
                r#"job_runs_total{job="odd\"name\\\n",outcome="failed"} 1"#
            ),
            "{}",
            m.encode()
        );
    }
}
