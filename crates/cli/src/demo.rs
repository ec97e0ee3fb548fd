//! `loupe demo`: a guided first run over bundled sample logs, in a temporary store.

use loupe_service::{Loupe, StartQuery};

use crate::output::{self, CliError};

/// Sample logs written for Loupe (see `testdata/sample/`), bundled into the binary.
const SAMPLES: [(&str, &str, &str); 2] = [
    (
        "demo/app",
        "app.jsonl",
        include_str!("../../../testdata/sample/app.jsonl"),
    ),
    (
        "demo/auth",
        "auth.log",
        include_str!("../../../testdata/sample/auth.log"),
    ),
];

const QUERIES: [(&str, &str, &str); 4] = [
    (
        "The console's default query: the newest events",
        "demo/app",
        "fields @timestamp, @message | sort @timestamp desc | limit 3",
    ),
    (
        "Server errors, from fields discovered in JSON events",
        "demo/app",
        "fields @timestamp, service, http.status, error.type | filter http.status >= 500 \
         | sort @timestamp desc | limit 5",
    ),
    (
        "The slowest requests (discovered numbers sort as numbers)",
        "demo/app",
        "fields service, http.path, latency_ms | filter level != \"DEBUG\" | sort latency_ms desc | limit 5",
    ),
    (
        "Failed root logins in plain-text logs, oldest first",
        "demo/auth",
        "filter @message like /Failed password for (invalid user )?root/ | sort @timestamp asc | limit 5",
    ),
];

pub fn run() -> Result<(), CliError> {
    let dir = tempfile::Builder::new()
        .prefix("loupe-demo-")
        .tempdir()
        .map_err(|e| CliError::Input(format!("cannot create a temporary store: {e}")))?;
    let loupe = Loupe::open(dir.path())?;
    println!(
        "Loupe demo: a temporary store at {}\n",
        dir.path().display()
    );
    for (group, stream, text) in SAMPLES {
        let report = loupe.ingest_lines(group, stream, text.as_bytes())?;
        println!(
            "ingested {} events ({} bytes) into {group}",
            report.accepted, report.bytes
        );
    }
    println!();
    output::print_groups_table(&loupe.groups()?);
    for (title, group, query) in QUERIES {
        println!("\n# {title}\n$ loupe query --group {group} '{query}'");
        let started = std::time::Instant::now();
        let results = loupe.query(&StartQuery {
            query_string: query.into(),
            log_group_names: vec![group.into()],
            ..Default::default()
        })?;
        output::print_text(&output::results_table(&results, output::stdout_width()))?;
        output::print_statistics(&results, started.elapsed());
    }
    println!(
        "\nNext: `loupe ingest --group NAME FILE...` your own logs (the store lives in \
         ~/.local/share/loupe, or --store DIR), then explore them with `loupe repl --group NAME` \
         (Tab completes fields, \\help lists commands) or `loupe query --group NAME 'QUERY'` \
         (--output csv|json|ndjson, --chart, --histogram)."
    );
    Ok(())
}
