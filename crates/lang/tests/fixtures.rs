//! Fixture tests over `testdata/parse/insights/{ok,err}/*.insights`.
//!
//! Every `ok` fixture must parse, satisfy the span invariants, print canonically as a fixpoint,
//! and match its snapshot (canonical text + AST). Every `err` fixture must be rejected and match
//! its snapshot (the rendered diagnostic). Regenerate snapshots with `INSTA_UPDATE=always`.

// Helpers outside `#[test]` functions read fixture files; a missing file should fail loudly.
#![allow(clippy::unwrap_used)]

use std::fs;
use std::path::{Path, PathBuf};

use loupe_lang::ast::{Command, CommandKind, Expr, ExprKind, ParseMode, Query, SourceSelector};
use loupe_lang::{Span, char_offsets, parse, render};

fn fixture_dir(kind: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../testdata/parse/insights")
        .join(kind)
}

fn fixtures(kind: &str) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = fs::read_dir(fixture_dir(kind))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "insights"))
        .map(|p| {
            let name = p.file_stem().unwrap().to_string_lossy().into_owned();
            (name, fs::read_to_string(&p).unwrap())
        })
        .collect();
    out.sort();
    out
}

fn settings() -> insta::Settings {
    let mut s = insta::Settings::clone_current();
    s.set_snapshot_path(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../../testdata/parse/insights/snapshots"),
    );
    s.set_prepend_module_to_snapshot(false);
    s.set_omit_expression(true);
    s
}

#[test]
fn ok_fixtures() {
    let cases = fixtures("ok");
    assert!(cases.len() >= 150, "only {} ok fixtures", cases.len());
    for (name, src) in cases {
        let query = parse(&src).unwrap_or_else(|d| panic!("{name}: {}", render(&d, &src, false)));
        check_query_spans(&query, Span::new(0, src.len() as u32), &name);
        let printed = query.to_string();
        let again =
            parse(&printed).unwrap_or_else(|d| panic!("{name}: reparse of {printed:?}: {d:?}"));
        assert_eq!(
            again.to_string(),
            printed,
            "{name}: print is not a fixpoint"
        );
        settings().bind(|| {
            let ast = compact(&format!("{:#?}", query.commands));
            insta::assert_snapshot!(format!("ok__{name}"), format!("{printed}\n\n{ast}"));
        });
    }
}

#[test]
fn err_fixtures() {
    let cases = fixtures("err");
    assert!(cases.len() >= 50, "only {} err fixtures", cases.len());
    for (name, src) in cases {
        let Err(diag) = parse(&src) else {
            panic!("{name}: parsed")
        };
        assert!(
            diag.span.end as usize <= src.len(),
            "{name}: span outside the source"
        );
        let (start, end) = char_offsets(&src, diag.span);
        let text = format!(
            "kind: {:?}\nchars: {start}..{end}\n\n{}",
            diag.kind,
            render(&diag, &src, false)
        );
        settings().bind(|| insta::assert_snapshot!(format!("err__{name}"), text));
    }
}

/// Shortens pretty `Debug` output: `Span { start: 1, end: 2 }` becomes `1..2` and
/// `Ident { name: "x", span: 1..2 }` becomes `Ident("x" 1..2)`.
fn compact(debug: &str) -> String {
    let lines: Vec<&str> = debug.lines().collect();
    let mut out: Vec<String> = Vec::new();
    let mut i = 0;
    while i < lines.len() {
        let line = lines[i];
        if line.trim_end().ends_with("Span {") && i + 3 < lines.len() {
            let start = lines[i + 1]
                .trim()
                .strip_prefix("start: ")
                .and_then(|v| v.strip_suffix(','));
            let end = lines[i + 2]
                .trim()
                .strip_prefix("end: ")
                .and_then(|v| v.strip_suffix(','));
            if let (Some(start), Some(end)) = (start, end) {
                let prefix = line.trim_end().strip_suffix("Span {").unwrap_or(line);
                let suffix = lines[i + 3].trim().strip_prefix('}').unwrap_or("");
                out.push(format!("{prefix}{start}..{end}{suffix}"));
                i += 4;
                continue;
            }
        }
        out.push(line.to_owned());
        i += 1;
    }
    // Second pass: idents whose span was compacted.
    let mut result: Vec<String> = Vec::new();
    let mut i = 0;
    while i < out.len() {
        let line = &out[i];
        if line.trim_end().ends_with("Ident {") && i + 3 < out.len() {
            let name = out[i + 1]
                .trim()
                .strip_prefix("name: ")
                .and_then(|v| v.strip_suffix(','));
            let span = out[i + 2]
                .trim()
                .strip_prefix("span: ")
                .and_then(|v| v.strip_suffix(','));
            if let (Some(name), Some(span)) = (name, span) {
                let prefix = line.trim_end().strip_suffix("Ident {").unwrap_or(line);
                let suffix = out[i + 3].trim().strip_prefix('}').unwrap_or("");
                result.push(format!("{prefix}Ident({name} {span}){suffix}"));
                i += 4;
                continue;
            }
        }
        result.push(line.clone());
        i += 1;
    }
    result.join("\n")
}

/// Spans are inside their parent, and commands are ordered and disjoint.
fn check_query_spans(query: &Query, outer: Span, name: &str) {
    assert!(inside(query.span, outer), "{name}: query span");
    let mut last_end = query.span.start;
    for c in &query.commands {
        assert!(
            inside(c.span, query.span),
            "{name}: command {} outside query",
            c.span
        );
        assert!(c.span.start >= last_end, "{name}: commands overlap");
        last_end = c.span.end;
        for e in command_exprs(c) {
            check_expr(e, c.span, name);
        }
    }
}

fn command_exprs(c: &Command) -> Vec<&Expr> {
    match &c.kind {
        CommandKind::Fields(ps) | CommandKind::Display(ps) => ps.iter().map(|p| &p.expr).collect(),
        CommandKind::Stats {
            aggregates,
            by,
            offset,
        } => aggregates
            .iter()
            .chain(by)
            .map(|p| &p.expr)
            .chain(offset)
            .collect(),
        CommandKind::Filter { condition, .. } | CommandKind::FilterIndex { condition } => {
            vec![condition]
        }
        CommandKind::Sort(keys) => keys.iter().map(|k| &k.expr).collect(),
        CommandKind::Dedup(items) => items.iter().collect(),
        CommandKind::Parse { source, .. } => source.iter().collect(),
        CommandKind::Unnest { expr, .. }
        | CommandKind::Expand(expr)
        | CommandKind::Pattern(expr) => vec![expr],
        CommandKind::Source(s) => s
            .selectors
            .iter()
            .filter_map(|sel| match sel {
                SourceSelector::Name(e) => Some(e),
                SourceSelector::DataSource { names, .. } => Some(names),
                _ => None,
            })
            .collect(),
        _ => Vec::new(),
    }
}

fn inside(inner: Span, outer: Span) -> bool {
    outer.start <= inner.start && inner.end <= outer.end && inner.start <= inner.end
}

fn check_expr(e: &Expr, parent: Span, name: &str) {
    assert!(
        inside(e.span, parent),
        "{name}: span {} not inside {}",
        e.span,
        parent
    );
    let children: Vec<&Expr> = match &e.kind {
        ExprKind::List(items) => items.iter().collect(),
        ExprKind::Unary { operand, .. } => vec![operand],
        ExprKind::Binary { left, right, .. } => {
            assert!(
                left.span.end <= right.span.start,
                "{name}: operands out of order"
            );
            vec![left, right]
        }
        ExprKind::Like { expr, pattern, .. } => vec![expr, pattern],
        ExprKind::In { expr, list, .. } => vec![expr, list],
        ExprKind::Call { args, .. } => args.iter().collect(),
        ExprKind::Member { base, .. } => vec![base],
        ExprKind::Index { base, index } => vec![base, index],
        ExprKind::Subquery(q) => {
            check_query_spans(q, e.span, name);
            vec![]
        }
        _ => vec![],
    };
    for c in children {
        check_expr(c, e.span, name);
    }
}

#[test]
fn parse_modes_are_covered() {
    let modes: Vec<String> = fixtures("ok")
        .iter()
        .filter_map(|(_, src)| parse(src).ok())
        .flat_map(|q| q.commands)
        .filter_map(|c| match c.kind {
            CommandKind::Parse { mode, .. } => Some(match mode {
                ParseMode::Glob { .. } => "glob".to_owned(),
                ParseMode::Regex { .. } => "regex".to_owned(),
                ParseMode::Logfmt => "logfmt".to_owned(),
                ParseMode::Csv => "csv".to_owned(),
            }),
            _ => None,
        })
        .collect();
    for m in ["glob", "regex", "logfmt", "csv"] {
        assert!(
            modes.iter().any(|x| x == m),
            "no fixture for parse mode {m}"
        );
    }
}
