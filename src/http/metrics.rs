//! `/metrics` in the Prometheus text format: HTTP requests by route and status with their latency, and
//! hooks for the other parts of the process — bot updates ([`Metrics::bot_update`]), messages sent by
//! result ([`Metrics::message_sent`]) and job runs ([`Metrics::job_run`]). One [`Metrics`] is made in
//! `main` and handed to every part; clones share the same registry.

use std::collections::BTreeMap;
use std::fmt::Write;
use std::sync::{Arc, Mutex};
use std::time::Instant;

use axum::extract::{MatchedPath, Request, State};
use axum::http::header;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

/// Upper bounds of the latency buckets, in seconds.
const BUCKETS: [f64; 12] = [
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0,
];

/// Every metric: its name, type and help line.
const FAMILIES: [(&str, &str, &str); 6] = [
    (
        "dvorik_http_requests_total",
        "counter",
        "HTTP requests by method, route and status",
    ),
    (
        "dvorik_http_request_duration_seconds",
        "histogram",
        "HTTP request latency by method and route",
    ),
    (
        "dvorik_bot_updates_total",
        "counter",
        "Telegram updates handled, by bot",
    ),
    (
        "dvorik_messages_sent_total",
        "counter",
        "Telegram messages sent, by kind and result",
    ),
    (
        "dvorik_job_runs_total",
        "counter",
        "Scheduled job runs, by job and result",
    ),
    (
        "dvorik_job_duration_seconds",
        "histogram",
        "Scheduled job run time, by job",
    ),
];

#[derive(Default, Clone)]
struct Histogram {
    buckets: [u64; BUCKETS.len()],
    sum: f64,
    count: u64,
}

impl Histogram {
    fn observe(&mut self, seconds: f64) {
        for (bucket, bound) in self.buckets.iter_mut().zip(BUCKETS) {
            if seconds <= bound {
                *bucket += 1;
            }
        }
        self.sum += seconds;
        self.count += 1;
    }
}

/// The requests of one method on one route: counts by status and their latency.
struct HttpSeries {
    method: String,
    statuses: Vec<(u16, u64)>,
    latency: Histogram,
}

#[derive(Default)]
struct Registry {
    /// (metric, rendered labels) → value.
    counters: BTreeMap<(&'static str, String), u64>,
    histograms: BTreeMap<(&'static str, String), Histogram>,
    /// HTTP requests by route. Kept apart and labelled only when rendered, so that counting a request
    /// allocates nothing once its route, method and status have been seen.
    http: BTreeMap<String, Vec<HttpSeries>>,
}

/// The process's metrics registry.
#[derive(Clone, Default)]
pub struct Metrics(Arc<Mutex<Registry>>);

impl Metrics {
    /// One HTTP request served.
    pub fn http_request(&self, method: &str, route: &str, status: u16, seconds: f64) {
        let mut registry = self.lock();
        if !registry.http.contains_key(route) {
            registry.http.insert(route.to_string(), Vec::new());
        }
        let Some(series) = registry.http.get_mut(route) else {
            return;
        };
        let index = match series.iter().position(|s| s.method == method) {
            Some(index) => index,
            None => {
                series.push(HttpSeries {
                    method: method.to_string(),
                    statuses: Vec::new(),
                    latency: Histogram::default(),
                });
                series.len() - 1
            }
        };
        let one = &mut series[index];
        match one.statuses.iter_mut().find(|(s, _)| *s == status) {
            Some((_, count)) => *count += 1,
            None => one.statuses.push((status, 1)),
        }
        one.latency.observe(seconds);
    }

    /// One Telegram update handled by `bot` (`client` or `staff`).
    pub fn bot_update(&self, bot: &str) {
        self.count("dvorik_bot_updates_total", &[("bot", bot)]);
    }

    /// One message sent: `kind` such as `broadcast` or `transactional`, `result` such as `sent`,
    /// `blocked`, `retry`, `failed`.
    pub fn message_sent(&self, kind: &str, result: &str) {
        self.count(
            "dvorik_messages_sent_total",
            &[("kind", kind), ("result", result)],
        );
    }

    /// One run of the scheduled job `job`, with its `result` (`ok`, `failed`, `skipped`) and duration.
    pub fn job_run(&self, job: &str, result: &str, seconds: f64) {
        self.count("dvorik_job_runs_total", &[("job", job), ("result", result)]);
        self.lock()
            .histograms
            .entry(("dvorik_job_duration_seconds", labels(&[("job", job)])))
            .or_default()
            .observe(seconds);
    }

    fn count(&self, metric: &'static str, pairs: &[(&str, &str)]) {
        *self
            .lock()
            .counters
            .entry((metric, labels(pairs)))
            .or_default() += 1;
    }

    /// The whole registry in the Prometheus text format (0.0.4).
    pub fn render(&self) -> String {
        let registry = self.lock();
        let mut counters = registry.counters.clone();
        let mut histograms = registry.histograms.clone();
        for (route, series) in &registry.http {
            for one in series {
                let method = one.method.as_str();
                for (status, count) in &one.statuses {
                    let status = status.to_string();
                    let pairs = [("method", method), ("route", route), ("status", &status)];
                    counters.insert(("dvorik_http_requests_total", labels(&pairs)), *count);
                }
                let timed = labels(&[("method", method), ("route", route)]);
                histograms.insert(
                    ("dvorik_http_request_duration_seconds", timed),
                    one.latency.clone(),
                );
            }
        }
        let mut out = String::new();
        for (name, kind, help) in FAMILIES {
            let _ = writeln!(out, "# HELP {name} {help}\n# TYPE {name} {kind}");
            for ((_, labels), value) in counters.iter().filter(|((m, _), _)| *m == name) {
                let _ = writeln!(out, "{name}{{{labels}}} {value}");
            }
            for ((_, labels), h) in histograms.iter().filter(|((m, _), _)| *m == name) {
                let sep = if labels.is_empty() { "" } else { "," };
                for (count, bound) in h.buckets.iter().zip(BUCKETS) {
                    let _ = writeln!(out, "{name}_bucket{{{labels}{sep}le=\"{bound}\"}} {count}");
                }
                let _ = writeln!(out, "{name}_bucket{{{labels}{sep}le=\"+Inf\"}} {}", h.count);
                let _ = writeln!(out, "{name}_sum{{{labels}}} {}", h.sum);
                let _ = writeln!(out, "{name}_count{{{labels}}} {}", h.count);
            }
        }
        out
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Registry> {
        self.0.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// `a="x",b="y"`, values escaped as the text format requires.
fn labels(pairs: &[(&str, &str)]) -> String {
    let mut out = String::new();
    for (i, (key, value)) in pairs.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        let value = value
            .replace('\\', "\\\\")
            .replace('"', "\\\"")
            .replace('\n', "\\n");
        let _ = write!(out, "{key}=\"{value}\"");
    }
    out
}

/// Middleware: counts and times every request under its route pattern (`/api/v1/stores/{id}`, never the
/// raw path, so ids do not explode the label set); requests that match no route count as `unmatched`.
pub async fn track(State(metrics): State<Metrics>, request: Request, next: Next) -> Response {
    let started = Instant::now();
    // Both are reference-counted or inline: cloning them allocates nothing.
    let method = request.method().clone();
    let route = request.extensions().get::<MatchedPath>().cloned();
    let response = next.run(request).await;
    metrics.http_request(
        method.as_str(),
        route.as_ref().map_or("unmatched", MatchedPath::as_str),
        response.status().as_u16(),
        started.elapsed().as_secs_f64(),
    );
    response
}

/// `GET /metrics`.
pub async fn serve(State(metrics): State<Metrics>) -> impl IntoResponse {
    (
        [(
            header::CONTENT_TYPE,
            "text/plain; version=0.0.4; charset=utf-8",
        )],
        metrics.render(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn requests_jobs_and_messages_render_in_the_text_format() {
        let metrics = Metrics::default();
        metrics.http_request("GET", "/api/v1/stores", 200, 0.003);
        metrics.http_request("GET", "/api/v1/stores", 200, 0.2);
        metrics.message_sent("broadcast", "sent");
        metrics.job_run("birthdays", "ok", 1.5);
        metrics.bot_update("client");
        let text = metrics.render();
        assert!(
            text.contains(
                r#"dvorik_http_requests_total{method="GET",route="/api/v1/stores",status="200"} 2"#
            ),
            "{text}"
        );
        assert!(text.contains(r#"dvorik_http_request_duration_seconds_bucket{method="GET",route="/api/v1/stores",le="0.005"} 1"#));
        assert!(text.contains(r#"dvorik_http_request_duration_seconds_bucket{method="GET",route="/api/v1/stores",le="+Inf"} 2"#));
        assert!(text.contains(r#"dvorik_messages_sent_total{kind="broadcast",result="sent"} 1"#));
        assert!(text.contains(r#"dvorik_job_runs_total{job="birthdays",result="ok"} 1"#));
        assert!(text.contains(r#"dvorik_bot_updates_total{bot="client"} 1"#));
        assert!(text.contains("# TYPE dvorik_job_duration_seconds histogram"));
    }

    #[test]
    fn label_values_are_escaped() {
        assert_eq!(labels(&[("a", "x\"y\\z\n")]), r#"a="x\"y\\z\n""#);
    }
}
