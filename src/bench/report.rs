//! `gradd bench`'s report: latency percentiles, throughput and errors by code, as JSON
//! (`--json`) or the text table.

use super::Scenario;
use clap::ValueEnum;
use serde::Serialize;
use std::collections::BTreeMap;
use std::fmt;

/// Latency statistics of the successful requests, in milliseconds.
#[derive(Clone, Debug, Default, Serialize)]
pub struct Latency {
    pub mean: f64,
    pub p50: f64,
    pub p90: f64,
    pub p99: f64,
    pub max: f64,
}

/// The outcome of a bench run.
#[derive(Clone, Debug, Serialize)]
pub struct Report {
    pub scenario: Scenario,
    pub target: String,
    pub concurrency: usize,
    pub connections: usize,
    /// The request budget, or None when the run was bounded by `duration_limit_s`.
    pub requests_limit: Option<u64>,
    pub duration_limit_s: Option<f64>,
    /// Target rate (0 = unlimited).
    pub rps_target: f64,
    /// Where latency is measured from: "send" or "due" (see `latency_note`).
    pub latency_from: &'static str,
    pub latency_note: &'static str,
    /// Requests sent in the measured phase (ok + failed).
    pub requests: u64,
    pub ok: u64,
    /// Failed calls by gRPC code name, setup and teardown included.
    pub errors: BTreeMap<String, u64>,
    /// The first message seen for each code in `errors`.
    pub error_samples: BTreeMap<String, String>,
    /// Workers that could not set up (create or fill their session) and did not run.
    pub failed_workers: usize,
    pub duration_s: f64,
    pub rps: f64,
    pub latency_ms: Latency,
}

impl Report {
    /// Every failed call, across codes.
    pub fn error_total(&self) -> u64 {
        self.errors.values().sum()
    }
}

/// Mean and nearest-rank percentiles of sorted microsecond latencies, in ms.
pub(super) fn latency(sorted_us: &[u32]) -> Latency {
    let Some(&max) = sorted_us.last() else {
        return Latency::default();
    };
    let n = sorted_us.len();
    let pct = |p: f64| {
        let rank = ((p / 100.0) * n as f64).ceil() as usize;
        sorted_us[rank.clamp(1, n) - 1] as f64 / 1e3
    };
    let sum: u64 = sorted_us.iter().map(|&v| v as u64).sum();
    Latency {
        mean: sum as f64 / n as f64 / 1e3,
        p50: pct(50.0),
        p90: pct(90.0),
        p99: pct(99.0),
        max: max as f64 / 1e3,
    }
}

impl fmt::Display for Report {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let rate = if self.rps_target > 0.0 {
            format!("{} rps", self.rps_target)
        } else {
            "unlimited".into()
        };
        let bound = match (self.requests_limit, self.duration_limit_s) {
            (Some(n), _) => format!("{n} requests"),
            (None, Some(d)) => format!("{d} s"),
            (None, None) => "-".into(),
        };
        let scenario = self
            .scenario
            .to_possible_value()
            .map(|v| v.get_name().to_string());
        writeln!(f, "Scenario:     {}", scenario.unwrap_or_default())?;
        writeln!(f, "Target:       {}", self.target)?;
        writeln!(
            f,
            "Settings:     {} workers over {} connection(s), {bound}, rate {rate}",
            self.concurrency, self.connections
        )?;
        writeln!(f)?;
        writeln!(f, "Summary:")?;
        writeln!(
            f,
            "  Requests:   {} ({} ok, {} failed)",
            self.requests,
            self.ok,
            self.requests - self.ok
        )?;
        writeln!(f, "  Duration:   {:.3} s", self.duration_s)?;
        writeln!(f, "  RPS:        {:.1}", self.rps)?;
        if self.failed_workers > 0 {
            writeln!(f, "  Workers that failed setup: {}", self.failed_workers)?;
        }
        writeln!(f)?;
        writeln!(f, "Latency in ms of successful requests, {}:", self.latency_note)?;
        let l = &self.latency_ms;
        for (k, v) in [
            ("mean", l.mean),
            ("p50", l.p50),
            ("p90", l.p90),
            ("p99", l.p99),
            ("max", l.max),
        ] {
            writeln!(f, "  {k:<5} {v:>10.3}")?;
        }
        writeln!(f)?;
        if self.errors.is_empty() {
            writeln!(f, "Errors:       none")?;
        } else {
            writeln!(f, "Errors:")?;
            for (code, n) in &self.errors {
                match self.error_samples.get(code).filter(|m| !m.is_empty()) {
                    Some(m) => writeln!(f, "  {code}: {n}  (first: {m})")?,
                    None => writeln!(f, "  {code}: {n}")?,
                }
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::latency;

    #[test]
    fn percentiles_are_nearest_rank() {
        let v: Vec<u32> = (1..=100).map(|i| i * 1000).collect();
        let l = latency(&v);
        assert_eq!((l.p50, l.p90, l.p99, l.max), (50.0, 90.0, 99.0, 100.0));
        assert_eq!(latency(&[7]).p99, 0.007);
        assert_eq!(latency(&[]).max, 0.0);
    }
}
