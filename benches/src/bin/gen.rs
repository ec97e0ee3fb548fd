//! `gen --out DIR --mb N --seed S [--aws-mb M] [--days D]`: writes `json.log` and `text.log` of
//! N MB each and `aws.log` of M MB (default N/8) into DIR, plus `gen.json` with the ground truth
//! (events, bytes, needle counts, time range) per file. Same arguments, same bytes.

use std::path::PathBuf;
use std::process::ExitCode;

use loupe_benches::{DirConfig, generate, generate_dir};

const USAGE: &str = "usage: gen --out DIR --mb N [--seed S] [--aws-mb M] [--days D]";

fn main() -> ExitCode {
    match run() {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("gen: {e}\n{USAGE}");
            ExitCode::from(2)
        }
    }
}

fn run() -> Result<(), String> {
    let mut out = None;
    let mut mb: Option<f64> = None;
    let mut aws_mb: Option<f64> = None;
    let mut seed = 1u64;
    let mut days = 7u32;
    let mut args = std::env::args().skip(1);
    while let Some(flag) = args.next() {
        let mut value = || args.next().ok_or(format!("{flag} needs a value"));
        match flag.as_str() {
            "--out" => out = Some(PathBuf::from(value()?)),
            "--mb" => mb = Some(parse(&flag, &value()?)?),
            "--aws-mb" => aws_mb = Some(parse(&flag, &value()?)?),
            "--seed" => seed = parse(&flag, &value()?)?,
            "--days" => days = parse(&flag, &value()?)?,
            "-h" | "--help" => {
                println!("{USAGE}");
                return Ok(());
            }
            other => return Err(format!("unknown argument {other:?}")),
        }
    }
    let out = out.ok_or("--out is required")?;
    let mb = mb.ok_or("--mb is required")?;
    let bytes = |m: f64| (m * 1024.0 * 1024.0) as u64;
    let cfg = DirConfig {
        seed,
        json_bytes: bytes(mb),
        text_bytes: bytes(mb),
        aws_bytes: bytes(aws_mb.unwrap_or(mb / 8.0)),
        span_days: days,
    };
    let summaries = generate_dir(&out, &cfg).map_err(|e| format!("{}: {e}", out.display()))?;
    let mut json = format!(
        "{{\n  \"seed\": {seed},\n  \"json_needle\": \"{}\",\n  \"text_needle\": \"{}\"",
        generate::JSON_NEEDLE,
        generate::TEXT_NEEDLE
    );
    for (name, s) in &summaries {
        println!(
            "{name}.log: {} events, {} bytes, {} needles",
            s.events, s.bytes, s.needles
        );
        json.push_str(&format!(
            ",\n  \"{name}\": {{\"events\": {}, \"bytes\": {}, \"needles\": {}, \"first_ms\": {}, \"last_ms\": {}}}",
            s.events, s.bytes, s.needles, s.first_ms, s.last_ms
        ));
    }
    json.push_str("\n}\n");
    std::fs::write(out.join("gen.json"), json).map_err(|e| format!("{}: {e}", out.display()))?;
    Ok(())
}

fn parse<T: std::str::FromStr>(flag: &str, value: &str) -> Result<T, String> {
    value
        .parse()
        .map_err(|_| format!("{flag}: cannot read {value:?}"))
}
