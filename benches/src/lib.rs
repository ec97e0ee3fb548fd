//! Loupe's benchmarks and seeded data generator.
//!
//! The criterion benches live in `benches/benches/`; this library holds what they share: the
//! queries they run. The seeded generator of JSON, text and AWS-shaped logs and the side-by-side
//! peer comparison grow here (issue 6).

/// Queries the parser bench runs: the console's default, a typical filter, a long pipeline.
pub const PARSE_QUERIES: [(&str, &str); 3] = [
    (
        "default",
        "fields @timestamp, @message | sort @timestamp desc | limit 20",
    ),
    (
        "filter",
        r#"fields @timestamp, service, http.status | filter http.status >= 500 and service in ["checkout", "payments"] and @message like /timeout|reset/ | sort @timestamp desc | limit 50"#,
    ),
    (
        "pipeline",
        r#"fields @timestamp, @message
           | filter level = "ERROR" or (latency_ms > 250 and not isPresent(user.id))
           | filter @message not like "healthcheck" # skip probes
           | display @timestamp, service, latency_ms * 1000 as latency_us, http.path
           | sort latency_us desc, @timestamp asc
           | limit 100"#,
    ),
];
