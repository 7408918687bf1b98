//! Runs Debian's `wrk` (a second process) against a URL and reads its summary: requests per second and
//! the latency percentiles of `--latency`.

use std::process::Command;

use anyhow::{Context, ensure};

#[derive(Debug, Clone, Copy)]
pub struct WrkResult {
    pub per_second: f64,
    pub p50_ms: f64,
    pub p99_ms: f64,
}

pub fn check_installed() -> anyhow::Result<()> {
    let found = Command::new("wrk").arg("--version").output();
    ensure!(
        found.is_ok(),
        "wrk is not installed: apt-get install -y wrk"
    );
    Ok(())
}

/// `wrk -t1 -c<connections> -d<seconds>s --latency [-H header] url`; any non-2xx answer fails the run.
pub fn run(
    url: &str,
    connections: u32,
    seconds: u32,
    header: Option<&str>,
) -> anyhow::Result<WrkResult> {
    let mut command = Command::new("wrk");
    command.args([
        "-t1",
        &format!("-c{connections}"),
        &format!("-d{seconds}s"),
        "--timeout",
        "10s",
        "--latency",
    ]);
    if let Some(header) = header {
        command.args(["-H", header]);
    }
    let output = command.arg(url).output().context("running wrk")?;
    let text = String::from_utf8_lossy(&output.stdout).to_string();
    ensure!(
        output.status.success(),
        "wrk failed: {text}{}",
        String::from_utf8_lossy(&output.stderr)
    );
    ensure!(
        !text.contains("Non-2xx"),
        "{url} answered errors under load:\n{text}"
    );
    ensure!(
        !text.contains("Socket errors"),
        "{url}: socket errors under load:\n{text}"
    );
    parse(&text).with_context(|| format!("cannot read wrk's output:\n{text}"))
}

fn parse(text: &str) -> anyhow::Result<WrkResult> {
    let mut per_second = None;
    let (mut p50, mut p99) = (None, None);
    for line in text.lines().map(str::trim) {
        let mut words = line.split_whitespace();
        match (words.next(), words.next()) {
            (Some("Requests/sec:"), Some(value)) => per_second = Some(value.parse::<f64>()?),
            (Some("50%"), Some(value)) => p50 = Some(millis(value)?),
            (Some("99%"), Some(value)) => p99 = Some(millis(value)?),
            _ => {}
        }
    }
    Ok(WrkResult {
        per_second: per_second.context("no Requests/sec")?,
        p50_ms: p50.context("no 50%")?,
        p99_ms: p99.context("no 99%")?,
    })
}

/// `812.00us`, `3.21ms`, `1.05s`, `2.00m` in milliseconds.
fn millis(value: &str) -> anyhow::Result<f64> {
    let split = value
        .find(|c: char| c.is_ascii_alphabetic())
        .context("no unit")?;
    let (number, unit) = value.split_at(split);
    let number: f64 = number.parse()?;
    Ok(match unit {
        "us" => number / 1000.0,
        "ms" => number,
        "s" => number * 1000.0,
        "m" => number * 60_000.0,
        other => anyhow::bail!("unknown unit {other}"),
    })
}
