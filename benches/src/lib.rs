//! Loupe's benchmarks and seeded data generator.
//!
//! The criterion benches live in `benches/benches/`; this library holds what they share: the
//! seeded log generator ([`generate`], also the `gen` binary) and the queries they run
//! ([`PARSE_QUERIES`], [`CANONICAL_QUERIES`]). The side-by-side peer comparison is
//! `benches/compare/run.py` (see `benches/README.md`).

pub mod generate;

use std::fs::File;
use std::io::{self, BufWriter};
use std::path::Path;

/// The canonical questions of the peer comparison, as Insights queries: (number, log file,
/// query). `json` is [`generate::write_json`]'s output, `text` is [`generate::write_text`]'s.
pub const CANONICAL_QUERIES: [(u32, &str, &str); 9] = [
    (1, "json", r#"filter level = "ERROR" | stats count(*)"#),
    (2, "json", "stats count(*) by service"),
    (
        3,
        "json",
        "stats avg(latency_ms), pct(latency_ms, 99) by service, bin(1h)",
    ),
    (
        4,
        "json",
        "filter http.status >= 500 | sort @timestamp desc | limit 20",
    ),
    (
        5,
        "json",
        r#"filter @message like "qx7needle3f" | stats count(*)"#,
    ),
    (6, "json", "stats count_distinct(user.id)"),
    (
        7,
        "text",
        r#"filter @message like "Failed password" | stats count(*)"#,
    ),
    (
        8,
        "text",
        r#"parse @message "from * port *" as ip, port | stats count(*) by ip | sort count(*) desc | limit 10"#,
    ),
    (
        9,
        "text",
        r#"filter @message like "zv9rareTOKEN" | stats count(*)"#,
    ),
];

/// Sizes for [`generate_dir`], in bytes per file.
#[derive(Debug, Clone)]
pub struct DirConfig {
    pub seed: u64,
    pub json_bytes: u64,
    pub text_bytes: u64,
    pub aws_bytes: u64,
    pub span_days: u32,
}

/// Writes `json.log`, `text.log` and `aws.log` into `dir` and returns what each holds.
pub fn generate_dir(
    dir: &Path,
    cfg: &DirConfig,
) -> io::Result<Vec<(&'static str, generate::Summary)>> {
    std::fs::create_dir_all(dir)?;
    type Writer = fn(&generate::Config, BufWriter<File>) -> io::Result<generate::Summary>;
    let files: [(&str, u64, Writer); 3] = [
        ("json", cfg.json_bytes, generate::write_json),
        ("text", cfg.text_bytes, generate::write_text),
        ("aws", cfg.aws_bytes, generate::write_aws),
    ];
    let mut out = Vec::new();
    for (name, bytes, write) in files {
        let file = File::create(dir.join(format!("{name}.log")))?;
        let gen_cfg = generate::Config {
            seed: cfg.seed,
            bytes,
            span_days: cfg.span_days,
        };
        out.push((
            name,
            write(&gen_cfg, BufWriter::with_capacity(1 << 20, file))?,
        ));
    }
    Ok(out)
}

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
