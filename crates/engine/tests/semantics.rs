//! Insights semantics end to end: events into a store, a query through the engine, and the
//! rendered rows out. Each test pins one rule of spec §4/§6.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use loupe_engine::{EngineError, QueryOutput, QueryRequest, run_query};
use loupe_store::{Event, Store};

mod common;

use common::{Fixture, fixture};

/// The injected "now": 2026-11-01T01:00:00Z.
const NOW_MS: i64 = 1_793_494_800_000;

fn output(f: &Fixture, query: &str) -> Result<QueryOutput, EngineError> {
    let query = loupe_lang::parse(query).unwrap_or_else(|d| panic!("{query}: {d}"));
    let request = QueryRequest {
        groups: vec!["g".into()],
        now_ms: NOW_MS,
        ..Default::default()
    };
    let runtime = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    runtime.block_on(run_query(&f.store, &query, &request))
}

fn run(f: &Fixture, query: &str) -> Vec<Vec<(String, String)>> {
    let out = output(f, query).unwrap_or_else(|e| panic!("{query}: {e}"));
    out.rows
        .into_iter()
        .map(|row| {
            row.into_iter()
                // The `@ptr` every event row ends with (tested in tests/scan.rs).
                .filter(|c| c.field != "@ptr")
                .map(|c| (c.field, c.value))
                .collect()
        })
        .collect()
}

/// The values of one field across the result rows (rows without it are skipped).
fn column(rows: &[Vec<(String, String)>], field: &str) -> Vec<String> {
    rows.iter()
        .filter_map(|r| r.iter().find(|(f, _)| f == field).map(|(_, v)| v.clone()))
        .collect()
}

fn error(f: &Fixture, query: &str) -> String {
    output(f, query).unwrap_err().to_string()
}

#[test]
fn default_output_is_timestamp_and_message_newest_first() {
    let f = fixture(&["first", "second", "third"]);
    let rows = run(&f, "limit 2");
    assert_eq!(
        rows,
        vec![
            vec![
                ("@timestamp".into(), "2026-11-01 00:00:02.000".into()),
                ("@message".into(), "third".into())
            ],
            vec![
                ("@timestamp".into(), "2026-11-01 00:00:01.000".into()),
                ("@message".into(), "second".into())
            ],
        ]
    );
}

#[test]
fn text_fields_compare_leniently_with_numbers() {
    let f = fixture(&[
        r#"{"status":"500"}"#,
        r#"{"status":404}"#,
        r#"{"status":"abc"}"#,
        r#"{"other":1}"#,
        r#"{"status":200}"#,
    ]);
    let got = column(
        &run(&f, "fields status | filter status >= 400 | sort status asc"),
        "status",
    );
    assert_eq!(got, ["404", "500"]);
    // `=` against a number literal is numeric, so "500" equals 500.
    assert_eq!(
        column(&run(&f, "fields status | filter status = 500"), "status"),
        ["500"]
    );
    // String comparison stays textual.
    assert_eq!(
        column(
            &run(&f, r#"fields status | filter status = "abc""#),
            "status"
        ),
        ["abc"]
    );
}

#[test]
fn comparisons_with_missing_fields_are_false_and_not_inverts_them() {
    let f = fixture(&[r#"{"x":"a"}"#, r#"{"x":"b"}"#, r#"{"y":"c"}"#]);
    let rows = run(&f, r#"fields x, y | filter x != "a" | sort @timestamp asc"#);
    assert_eq!(column(&rows, "x"), ["b"]);
    let rows = run(
        &f,
        r#"fields x, y | filter not x = "a" | sort @timestamp asc"#,
    );
    assert_eq!(
        (column(&rows, "x"), column(&rows, "y")),
        (vec!["b".into()], vec!["c".into()])
    );
}

#[test]
fn missing_fields_are_left_out_of_the_row() {
    let f = fixture(&[r#"{"a":"1","b":"2"}"#, r#"{"a":"3"}"#]);
    let rows = run(&f, "fields a, b, nowhere | sort @timestamp asc");
    assert_eq!(
        rows[0],
        vec![("a".into(), "1".into()), ("b".into(), "2".into())]
    );
    assert_eq!(rows[1], vec![("a".into(), "3".into())]);
}

#[test]
fn like_is_a_case_sensitive_substring_and_regex_search() {
    let f = fixture(&["Error: disk", "error: net", "all good", "E"]);
    let msgs = |q| column(&run(&f, q), "@message");
    assert_eq!(
        msgs(r#"filter @message like "rror:" | sort @timestamp asc"#),
        ["Error: disk", "error: net"]
    );
    assert_eq!(msgs(r#"filter @message like "Error""#), ["Error: disk"]);
    assert_eq!(
        msgs("filter @message like /(?i)^error/ | sort @timestamp asc"),
        ["Error: disk", "error: net"]
    );
    assert_eq!(
        msgs("filter @message =~ /disk|net/ | sort @timestamp asc"),
        ["Error: disk", "error: net"]
    );
    // `/E*/` matches the empty string, so every event.
    assert_eq!(msgs("filter @message like /E*/").len(), 4);
    assert_eq!(
        msgs(r#"filter @message not like "rror" | sort @timestamp asc"#),
        ["all good", "E"]
    );
}

#[test]
fn in_is_whole_value_membership_with_numeric_items() {
    let f = fixture(&[
        r#"{"code":"300"}"#,
        r#"{"code":"301"}"#,
        r#"{"code":"ok"}"#,
        r#"{"code":"500"}"#,
    ]);
    let codes = |q| column(&run(&f, q), "code");
    assert_eq!(
        codes("fields code | filter code in [300, 500] | sort @timestamp asc"),
        ["300", "500"]
    );
    assert_eq!(
        codes(r#"fields code | filter code in ["ok", 301] | sort @timestamp asc"#),
        ["301", "ok"]
    );
    assert_eq!(
        codes("fields code | filter code not in [300, 500] | sort @timestamp asc"),
        ["301", "ok"]
    );
}

#[test]
fn sort_uses_the_insights_natural_order() {
    let f = fixture(&[
        r#"{"v":"10"}"#,
        r#"{"v":"9.5"}"#,
        r#"{"v":"b2"}"#,
        r#"{"v":"b10"}"#,
        r#"{"v":"A"}"#,
        r#"{"other":true}"#,
    ]);
    let asc = column(&run(&f, "fields v | sort v asc"), "v");
    assert_eq!(asc, ["A", "b2", "b10", "9.5", "10"]);
    let rows = run(&f, "fields v | sort v desc");
    assert_eq!(column(&rows, "v"), ["10", "9.5", "b10", "b2", "A"]);
    // The row without `v` sorts last.
    assert!(rows[5].is_empty());
}

#[test]
fn fields_compute_named_columns_and_arithmetic_is_lenient() {
    let f = fixture(&[r#"{"a":"6","b":4}"#, r#"{"a":"x","b":1}"#]);
    let rows = run(
        &f,
        "fields a * b as product, a / b, a % b, 2 ^ 3 as eight | sort @timestamp asc",
    );
    assert_eq!(
        rows[0],
        vec![
            ("product".into(), "24".into()),
            ("a / b".into(), "1.5".into()),
            ("a % b".into(), "2".into()),
            ("eight".into(), "8".into()),
        ]
    );
    // "x" is not a number: the arithmetic is missing, not an error.
    assert_eq!(rows[1], vec![("eight".into(), "8".into())]);
}

#[test]
fn booleans_render_as_one_and_zero() {
    let f = fixture(&[r#"{"n":3}"#]);
    let rows = run(&f, "fields n > 2 as big, n < 2 as small");
    assert_eq!(
        rows[0],
        vec![("big".into(), "1".into()), ("small".into(), "0".into())]
    );
}

#[test]
fn display_restricts_and_the_last_display_wins() {
    let f = fixture(&[r#"{"a":"1","b":"2","c":"3"}"#]);
    let rows = run(&f, "fields a, b | display a, c | display b");
    assert_eq!(rows[0], vec![("b".into(), "2".into())]);
    let rows = run(&f, "fields a | fields c");
    assert_eq!(
        rows[0],
        vec![("a".into(), "1".into()), ("c".into(), "3".into())]
    );
}

#[test]
fn out_of_range_limits_and_unsupported_pieces_are_diagnostics() {
    let f = fixture(&["x"]);
    let too_big = loupe_lang::parse("limit 100001").unwrap_err();
    assert!(
        too_big.message.contains("between 1 and 100000"),
        "{too_big}"
    );
    // `pattern` runs now (tests/patterns.rs); what it cannot take is a diagnostic.
    assert!(error(&f, "pattern jsonParse(@message)").contains("map or list"));
    assert!(error(&f, "pattern @message | stats count(*) as n | anomaly").contains("anomaly"));
    assert!(error(&f, "diff").contains("time range"));
    assert!(error(&f, "stats count(*) by bin(1d) offset 1mo").contains("not supported yet"));
}

/// Rows as `field=value` strings joined by spaces, for compact assertions.
fn lines(rows: &[Vec<(String, String)>]) -> Vec<String> {
    rows.iter()
        .map(|r| {
            r.iter()
                .map(|(f, v)| format!("{f}={v}"))
                .collect::<Vec<_>>()
                .join(" ")
        })
        .collect()
}

fn requests() -> Fixture {
    fixture(&[
        r#"{"svc":"a","ms":10,"user":"u1"}"#,
        r#"{"svc":"b","ms":"20","user":"u2"}"#,
        r#"{"svc":"a","ms":30,"user":"u1"}"#,
        r#"{"svc":"a","ms":"oops","user":"u3"}"#,
        r#"{"svc":"c","user":"u1"}"#,
    ])
}

#[test]
fn stats_groups_in_order_with_group_columns_first() {
    let f = requests();
    let rows = run(&f, "stats count(*), count(ms), sum(ms), avg(ms) by svc");
    assert_eq!(
        lines(&rows),
        [
            "svc=a count(*)=3 count(ms)=3 sum(ms)=40 avg(ms)=20",
            "svc=b count(*)=1 count(ms)=1 sum(ms)=20 avg(ms)=20",
            "svc=c count(*)=1 count(ms)=0",
        ]
    );
    let out = output(&f, "filter svc != \"c\" | stats count(*)").unwrap();
    assert_eq!(out.statistics.records_matched, 4);
    assert_eq!(out.statistics.records_scanned, 5);
}

#[test]
fn stats_expressions_combine_aggregates_and_chain_aliases() {
    let f = requests();
    let rows = run(
        &f,
        "stats sum(ms) as total, count(*) as n, total / n * 2 as x, count_distinct(user) as users",
    );
    assert_eq!(lines(&rows), ["total=60 n=5 x=24 users=3"]);
    let rows = run(&f, "stats count(*) as n by svc | sort n desc | limit 1");
    assert_eq!(lines(&rows), ["svc=a n=3"]);
    let rows = run(
        &f,
        "stats count(*) by svc | sort count(*) asc, svc desc | limit 2",
    );
    assert_eq!(lines(&rows), ["svc=c count(*)=1", "svc=b count(*)=1"]);
    let rows = run(
        &f,
        "stats count(*) as n by svc | stats max(n) as most, sum(n) as all",
    );
    assert_eq!(lines(&rows), ["most=3 all=5"]);
    let rows = run(&f, "stats count(*) as n by svc | filter n > 1");
    assert_eq!(lines(&rows), ["svc=a n=3"]);
}

#[test]
fn min_max_earliest_latest_and_percentiles() {
    let f = requests();
    // `ms` mixes numbers and text; in the Insights order all text sorts before all numbers.
    let rows = run(
        &f,
        "stats min(ms), max(ms), earliest(user), latest(user), min(@timestamp)",
    );
    assert_eq!(
        lines(&rows),
        [
            "min(ms)=oops max(ms)=30 earliest(user)=u1 latest(user)=u1 min(@timestamp)=2026-11-01 00:00:00.000"
        ]
    );
    let rows = run(
        &f,
        "stats pct(ms, 50) as p50, pct(ms, 100) as top, stddev(ms) as sd",
    );
    assert_eq!(
        lines(&rows)[0].split(' ').take(2).collect::<Vec<_>>(),
        ["p50=20", "top=30"]
    );
}

#[test]
fn bin_floors_timestamps_with_the_documented_caps() {
    // Events one second apart from 00:00:00, so 0..=4 s.
    let f = requests();
    let rows = run(&f, "stats count(*) by bin(2s)");
    assert_eq!(
        lines(&rows),
        [
            "bin(2s)=2026-11-01 00:00:00.000 count(*)=2",
            "bin(2s)=2026-11-01 00:00:02.000 count(*)=2",
            "bin(2s)=2026-11-01 00:00:04.000 count(*)=1",
        ]
    );
    // 300s is capped to 60s: one bucket.
    assert_eq!(run(&f, "stats count(*) by bin(300s) as t").len(), 1);
    let rows = run(
        &f,
        "fields datefloor(@timestamp, 1h) as lo, dateceil(@timestamp, 1h) as hi | sort @timestamp desc | limit 1",
    );
    assert_eq!(
        lines(&rows),
        ["lo=2026-11-01 00:00:00.000 hi=2026-11-01 01:00:00.000"]
    );
}

#[test]
fn string_functions_follow_insights_conventions() {
    let f = fixture(&[r#"{"s":"xyZfooxyZ","n":"7"}"#]);
    let rows = run(
        &f,
        r#"fields substr(s, 3, 3) as a, substr(s, 6) as b, trim(s, "xyZ") as c, ltrim(s, "xyZ") as d, rtrim(s, "xyZ") as e, strlen(s) as f, toupper(s) as g, concat(s, "-", n) as h, replace(s, "xyZ", "_") as i, strcontains(s, "FOO", true) as j, startsWith(s, "xy") as k, isempty(nothing) as l, isblank(s) as m"#,
    );
    assert_eq!(
        lines(&rows),
        [
            "a=foo b=xyZ c=foo d=fooxyZ e=xyZfoo f=9 g=XYZFOOXYZ h=xyZfooxyZ-7 i=_foo_ j=1 k=1 l=1 m=0"
        ]
    );
}

#[test]
fn general_numeric_and_datetime_functions() {
    let f = fixture(&[r#"{"a":"-2.5","b":"x","ms":1793491200123}"#]);
    let rows = run(
        &f,
        r#"fields abs(a) as abs, ceil(a) as c, floor(a) as fl, round(a) as r, greatest(a, 1, missing) as g, ispresent(a) as p, ispresent(nope) as q, coalesce(nope, b) as co, if(a < 0, "neg", "pos") as sign, isNumeric(b) as isnum, now() as now, fromMillis(ms) as t, toMillis(@timestamp) as back"#,
    );
    assert_eq!(
        lines(&rows),
        [
            "abs=2.5 c=-2 fl=-3 r=-3 g=1 p=1 q=0 co=x sign=neg isnum=0 now=1793494800 t=2026-11-01 00:00:00.123 back=1793491200000"
        ]
    );
}

#[test]
fn aggregates_outside_stats_are_rejected() {
    let f = requests();
    assert!(loupe_lang::parse("fields count(*)").is_err());
    assert!(loupe_lang::parse("fields countOverTime(svc)").is_err());
    assert_eq!(lines(&run(&f, "stats countOverTime(svc) as n")), ["n=5"]);
}

fn sshd() -> Fixture {
    fixture(&[
        "sshd[1]: Failed password for root from 10.0.0.1 port 22 ssh2",
        "sshd[2]: Failed password for bob from 10.0.0.2 port 23 ssh2",
        "sshd[3]: Connection closed by 10.0.0.1 port 24",
        "sshd[4]: Failed password for root from 10.0.0.1 port 25 ssh2",
    ])
}

#[test]
fn parse_glob_captures_and_keeps_rows_that_do_not_match() {
    let f = sshd();
    let rows = run(
        &f,
        r#"parse @message "for * from * port *" as user, ip, port | fields user, ip, port | sort @timestamp asc"#,
    );
    assert_eq!(
        lines(&rows),
        [
            "user=root ip=10.0.0.1 port=22 ssh2",
            "user=bob ip=10.0.0.2 port=23 ssh2",
            "",
            "user=root ip=10.0.0.1 port=25 ssh2",
        ]
    );
    let rows = run(
        &f,
        r#"parse "from * port *" as ip, port | stats count(*) by ip | sort count(*) desc | limit 1"#,
    );
    assert_eq!(lines(&rows), ["ip=10.0.0.1 count(*)=2"]);
    // A field defined by `parse` shadows nothing from the event and chains into another parse.
    let rows = run(
        &f,
        r#"parse "from * port" as ip | parse ip "10.0.*.*" as net, host | fields host | sort @timestamp asc | limit 2"#,
    );
    assert_eq!(lines(&rows), ["host=1", "host=2"]);
}

#[test]
fn parse_regex_named_groups_positional_groups_and_csv() {
    let f = sshd();
    let rows = run(
        &f,
        r"parse /sshd\[(?<pid>\d+)\]: (?<what>\w+)/ | fields pid, what | sort pid desc | limit 2",
    );
    assert_eq!(lines(&rows), ["pid=4 what=Failed", "pid=3 what=Connection"]);
    let rows = run(
        &f,
        r"parse @message /port (\d+)/ as port | stats sum(port) as total",
    );
    assert_eq!(lines(&rows), ["total=94"]);
    let g = fixture(&[r#"a,"b, c",d"#]);
    assert_eq!(
        lines(&run(&g, "parse csv as x, y, z | fields y, z")),
        ["y=b, c z=d"]
    );
    assert!(error(&f, "parse /(?<bad/ as x").contains("regular expression"));
}

#[test]
fn dedup_keeps_the_first_row_in_the_current_order() {
    let f = fixture(&[
        r#"{"host":"a","v":1}"#,
        r#"{"host":"b","v":2}"#,
        r#"{"host":"a","v":3}"#,
        r#"{"v":4}"#,
        r#"{"v":5}"#,
    ]);
    // No sort: newest first, so the latest row per host wins; rows without `host` all stay.
    let rows = run(&f, "fields host, v | dedup host");
    assert_eq!(lines(&rows), ["v=5", "v=4", "host=a v=3", "host=b v=2"]);
    let rows = run(&f, "fields host, v | sort v asc | dedup host | limit 2");
    assert_eq!(lines(&rows), ["host=a v=1", "host=b v=2"]);
}

#[test]
fn limit_any_returns_that_many_rows() {
    let f = requests();
    assert_eq!(run(&f, "fields svc | limit any 2").len(), 2);
}

#[test]
fn source_selects_groups_and_time_bounds_from_the_query() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path()).unwrap();
    // One event per group at NOW - 2h and NOW - 30m.
    for group in ["app-1", "app-2", "other"] {
        store.create_group(group, 0).unwrap();
        store.create_stream(group, "s", 0).unwrap();
        let events: Vec<Event> = [7_200_000, 1_800_000]
            .iter()
            .map(|ago| Event {
                timestamp: NOW_MS - ago,
                ingestion_time: NOW_MS,
                message: format!("{group} {ago}"),
            })
            .collect();
        store.append(group, "s", &events).unwrap();
    }
    let f = Fixture { _dir: dir, store };
    let run_source = |q: &str| {
        let query = loupe_lang::parse(q).unwrap();
        let request = QueryRequest {
            now_ms: NOW_MS,
            ..Default::default()
        };
        let rt = tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap();
        rt.block_on(run_query(&f.store, &query, &request))
            .map(|o| o.statistics.records_scanned)
    };
    assert_eq!(
        run_source("SOURCE logGroups() | stats count(*)").unwrap(),
        6
    );
    assert_eq!(
        run_source(r#"SOURCE logGroups(namePrefix: ["app"]) | limit 10"#).unwrap(),
        4
    );
    assert_eq!(
        run_source(r#"SOURCE logGroups(namePrefix: ["app"]) start=-1h end=now | limit 10"#)
            .unwrap(),
        2
    );
    assert_eq!(run_source(r#"SOURCE "other" | limit 10"#).unwrap(), 2);
    let err =
        run_source(r#"SOURCE logGroupTags([{key: "team", values: ["a"]}]) | limit 1"#).unwrap_err();
    assert!(err.to_string().contains("not supported yet"), "{err}");
}

#[test]
fn filter_index_filters_and_unmask_is_the_identity() {
    let f = fixture(&[r#"{"id":"a"}"#, r#"{"id":"b"}"#]);
    assert_eq!(
        lines(&run(&f, r#"filterIndex id = "b" | fields id"#)),
        ["id=b"]
    );
    let rows = run(&f, "fields unmask(id) as u | unmask | sort u asc");
    assert_eq!(lines(&rows), ["u=a", "u=b"]);
}

#[test]
fn ip_functions() {
    let f = fixture(&[
        r#"{"src":"10.0.0.5"}"#,
        r#"{"src":"8.8.8.8"}"#,
        r#"{"src":"bogus"}"#,
    ]);
    let rows = run(
        &f,
        r#"fields src, isValidIp(src) as ok, isIpInSubnet(src, "10.0.0.0/8") as inside, isPrivateIP(src) as priv, ipv4ToNumber(src) as n | sort @timestamp asc"#,
    );
    assert_eq!(
        lines(&rows),
        [
            "src=10.0.0.5 ok=1 inside=1 priv=1 n=167772165",
            "src=8.8.8.8 ok=1 inside=0 priv=0 n=134744072",
            "src=bogus ok=0 inside=0 priv=0",
        ]
    );
}

#[test]
fn json_parse_member_and_index_access() {
    let f = fixture(&[
        r#"payload {"user":{"name":"ann","tags":["a","b"]},"odd.key":7}"#,
        "payload not json",
    ]);
    let rows = run(
        &f,
        r#"parse @message "payload *" as p | fields jsonParse(p) as js | fields js.user.name as name, js.`odd.key` as odd, js.user.tags[1] as tag, jsonParse(p).user.tags[0] as first, jsonStringify(js.user) as user | display name, odd, tag, first, user | sort @timestamp asc"#,
    );
    assert_eq!(
        lines(&rows),
        [
            r#"name=ann odd=7 tag=b first=a user={"name":"ann","tags":["a","b"]}"#,
            "",
        ]
    );
}

#[test]
fn json_array_functions() {
    let f = fixture(&[
        r#"{"id":"a","raw":"[1,\"x\",3]"}"#,
        r#"{"id":"b","raw":"[]"}"#,
        r#"{"id":"c","raw":"{\"k\":1}"}"#,
    ]);
    let rows = run(
        &f,
        r#"fields id, jsonArraySize(raw) as n, jsonArrayContains(raw, "x") as hasx, jsonArrayContains(raw, 3) as has3 | sort id asc"#,
    );
    assert_eq!(
        lines(&rows),
        [
            "id=a n=3 hasx=1 has3=1",
            "id=b n=0 hasx=0 has3=0",
            "id=c hasx=0 has3=0",
        ]
    );
}

#[test]
fn encoding_and_split_functions() {
    let f = fixture(&[r#"{"s":"a b&c","h":"0x48690a","n":-255.7}"#]);
    let rows = run(
        &f,
        r#"fields urlencode(s) as u, urldecode(urlencode(s)) as d, base64encode(s) as b, base64decode(base64encode(s)) as bd, hexToAscii("4869") as ascii, hexToDec("0xff") as dec, decToHex(n) as hex, decToHex(255) as hex2, split(s, " ") as parts, split(s, " ")[1] as second"#,
    );
    assert_eq!(
        lines(&rows),
        [
            r#"u=a%20b%26c d=a b&c b=YSBiJmM= bd=a b&c ascii=Hi dec=255 hex=-0xff hex2=0xff parts=["a","b&c"] second=b&c"#
        ]
    );
}

#[test]
fn json_command_extracts_a_nested_key() {
    let f = fixture(&[
        r#"req {"user":{"name":"ann"},"items":[{"id":1},{"id":2}]}"#,
        r#"req {"user":{}}"#,
    ]);
    let rows = run(
        &f,
        r#"parse @message /(?<payload>\{.*\})/ | json field=payload "user.name" as username | json field=payload "items.1.id" as second | display username, second | sort @timestamp asc"#,
    );
    assert_eq!(lines(&rows), ["username=ann second=2", ""]);
}

#[test]
fn parse_logfmt_gives_a_map() {
    let f = fixture(&[
        r#"level=info msg="hello \"world\"" took=12"#,
        "level=error msg=boom",
        "plain",
    ]);
    let rows = run(
        &f,
        r#"parse @message logfmt as lf | filter lf.level = "info" or lf.level = "error" | fields lf.level as level, lf.msg as msg, lf.took * 2 as took2 | sort @timestamp asc"#,
    );
    assert_eq!(
        lines(&rows),
        [
            r#"level=info msg=hello "world" took2=24"#,
            "level=error msg=boom"
        ]
    );
    let rows = run(
        &f,
        r#"parse logfmt as lf | stats count(*) as n by lf.level as level | sort level asc"#,
    );
    // `plain` is a bare key: a map without `level`.
    assert_eq!(lines(&rows), ["level=error n=1", "level=info n=1", "n=1"]);
}

#[test]
fn unnest_emits_a_row_per_element() {
    let f = fixture(&[
        r#"{"id":"a","raw":"{\"accounts\":[{\"type\":\"internal\",\"n\":1},{\"type\":\"external\",\"n\":2},{\"type\":\"internal\",\"n\":3}]}"}"#,
        r#"{"id":"b","raw":"{\"accounts\":[]}"}"#,
        r#"{"id":"c","raw":"{\"accounts\":{\"type\":\"internal\",\"n\":9}}"}"#,
        r#"{"id":"d"}"#,
    ]);
    let rows = run(
        &f,
        r#"fields id, jsonParse(raw) as js | unnest js.accounts into account | filter account.type = "internal" | fields account.n as n | display id, n | sort n asc"#,
    );
    assert_eq!(lines(&rows), ["id=a n=1", "id=a n=3", "id=c n=9"]);
    let rows = run(
        &f,
        r#"fields id, jsonParse(raw) as js | unnest js.accounts into account | stats count(*) as n by id | sort id asc"#,
    );
    assert_eq!(lines(&rows), ["id=a n=3", "id=c n=1"]);
}

#[test]
fn expand_replaces_the_field_with_each_element() {
    let f = fixture(&[
        r#"{"host":"h1","items":"[\"x\",\"y\"]"}"#,
        r#"{"host":"h2","items":"[\"x\"]"}"#,
        r#"{"host":"h3","items":"plain"}"#,
    ]);
    let rows = run(
        &f,
        "expand items | stats count(*) as n by items, host | sort host asc, items asc",
    );
    assert_eq!(
        lines(&rows),
        [
            "items=x host=h1 n=1",
            "items=y host=h1 n=1",
            "items=x host=h2 n=1",
            "items=plain host=h3 n=1",
        ]
    );
    assert!(error(&f, "expand tolower(items)").contains("field"));
}

#[test]
fn expand_and_unnest_read_discovered_arrays_from_the_message() {
    let f = fixture(&[
        r#"{"host":"h1","items":["x","y"],"users":[{"name":"a"},{"name":"b"}]}"#,
        r#"{"host":"h2","items":"z"}"#,
        r#"{"host":"h3"}"#,
    ]);
    let rows = run(
        &f,
        "expand items | display host, items | sort host asc, items asc",
    );
    assert_eq!(
        lines(&rows),
        ["host=h1 items=x", "host=h1 items=y", "host=h2 items=z"]
    );
    let rows = run(
        &f,
        "unnest users into u | fields u.name as name | display host, name | sort name asc",
    );
    assert_eq!(lines(&rows), ["host=h1 name=a", "host=h1 name=b"]);
}

#[test]
fn index_and_member_access_reach_discovered_array_leaves() {
    let f = fixture(&[r#"{"users":[{"name":"a"},{"name":"b"}],"tags":["x","y"]}"#]);
    let rows = run(
        &f,
        "fields users[1].name as second, tags[0] as first, users[5].name as none",
    );
    assert_eq!(lines(&rows), ["second=b first=x"]);
}

#[test]
fn expand_keeps_element_order_within_an_event() {
    let f = fixture(&[
        r#"{"n":"1","items":"[\"c\",\"a\",\"b\"]"}"#,
        r#"{"n":"2","items":"[\"z\",\"y\"]"}"#,
    ]);
    let rows = run(&f, "expand items | display n, items");
    assert_eq!(
        lines(&rows),
        [
            "n=2 items=z",
            "n=2 items=y",
            "n=1 items=c",
            "n=1 items=a",
            "n=1 items=b"
        ]
    );
    let rows = run(&f, "sort n asc | expand items | display n, items");
    assert_eq!(
        lines(&rows),
        [
            "n=1 items=c",
            "n=1 items=a",
            "n=1 items=b",
            "n=2 items=z",
            "n=2 items=y"
        ]
    );
}

#[test]
fn split_lists_unnest_and_json_reads_discovered_objects() {
    let f = fixture(&[r#"{"csv":"a,b,c","payload":{"user":{"name":"ann"}}}"#]);
    let rows = run(
        &f,
        r#"fields jsonArraySize(split(csv, ",")) as n | unnest split(csv, ",") into part | display n, part"#,
    );
    assert_eq!(lines(&rows), ["n=3 part=a", "n=3 part=b", "n=3 part=c"]);
    let rows = run(&f, r#"json field=payload "user.name" as who | display who"#);
    assert_eq!(lines(&rows), ["who=ann"]);
}

#[test]
fn log_names_the_account_and_group() {
    let f = fixture(&["x"]);
    assert_eq!(
        lines(&run(&f, "fields @log, @logStream")),
        ["@log=000000000000:g @logStream=s"]
    );
    assert_eq!(
        lines(&run(&f, "stats count(*) by @log")),
        ["@log=000000000000:g count(*)=1"]
    );
}

#[test]
fn pct_is_the_exact_interpolated_percentile() {
    let f = fixture(&[r#"{"v":1}"#, r#"{"v":20001}"#, r#"{"v":40001}"#]);
    // rank 0.99 * 2 = 1.98: 20001 + 0.98 * 20000.
    assert_eq!(lines(&run(&f, "stats pct(v, 99) as p")), ["p=39601"]);
    assert_eq!(lines(&run(&f, "stats pct(v, 50) - avg(v) as d")), ["d=0"]);
}

#[test]
fn dedup_reads_its_keys_even_when_nothing_else_does() {
    let f = fixture(&[r#"{"svc":"a"}"#, r#"{"svc":"a"}"#, r#"{"svc":"b"}"#]);
    let rows = run(&f, "dedup svc");
    assert_eq!(rows.len(), 2, "{rows:?}");
}

#[test]
fn row_sequence_commands_follow_the_row_order() {
    let f = fixture(&[r#"{"v":1}"#, r#"{"v":2}"#, r#"{"w":9}"#, r#"{"v":4}"#]);
    let rows = run(
        &f,
        "sort @timestamp asc | accum v as total | autoregress v | filldown v | display total, v_p1, v",
    );
    assert_eq!(
        lines(&rows),
        [
            "total=1 v=1",
            "total=3 v_p1=1 v=2",
            "v_p1=2 v=2",
            "total=7 v=4"
        ]
    );
    let rows = run(&f, "countFrequent v");
    assert_eq!(
        lines(&rows),
        [
            "v=1 _approxcount=1",
            "v=2 _approxcount=1",
            "v=4 _approxcount=1",
            "_approxcount=1"
        ]
    );
}

#[test]
fn time_series_functions_read_numbers_leniently() {
    let f = fixture(&[
        r#"{"x":1}"#,
        r#"{"x":"3"}"#,
        r#"{"x":"NaN"}"#,
        r#"{"x":"inf"}"#,
        r#"{"x":"-Infinity"}"#,
        r#"{"x":"abc"}"#,
        r#"{"y":2}"#,
    ]);
    // Text that is not a number is skipped; NaN and infinities fit no finite range.
    let rows = run(&f, "stats histogram(x, 2) as h, countOverTime(x) as n");
    assert_eq!(lines(&rows), [r#"h={"[1,2)":1,"[2,3]":1} n=6"#]);
    let rows = run(
        &f,
        "filter x != \"NaN\" and x != \"inf\" and x != \"-Infinity\" | stats sumOverTime(x) as s, rate(x, 2s) as r by bin(1m)",
    );
    assert_eq!(
        lines(&rows),
        ["bin(1m)=2026-11-01 00:00:00.000 s=4 r=0.13333333333333333"]
    );
}

/// Rows of `query` over the events from `start_s` to `end_s` seconds after the fixture's first.
fn run_in(f: &Fixture, query: &str, start_s: i64, end_s: i64) -> Vec<String> {
    let parsed = loupe_lang::parse(query).unwrap();
    let request = QueryRequest {
        groups: vec!["g".into()],
        now_ms: NOW_MS,
        start_ms: Some(1_793_491_200_000 + start_s * 1000),
        end_ms: Some(1_793_491_200_000 + end_s * 1000),
        ..Default::default()
    };
    let runtime = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    let out = runtime
        .block_on(run_query(&f.store, &parsed, &request))
        .unwrap_or_else(|e| panic!("{query}: {e}"));
    let rows = out
        .rows
        .into_iter()
        .map(|row| row.into_iter().map(|c| (c.field, c.value)).collect())
        .collect::<Vec<_>>();
    lines(&rows)
}

#[test]
fn offset_shows_the_range_one_offset_earlier_in_its_bins() {
    let f = fixture(&[
        r#"{"x":1}"#,
        r#"{"x":2}"#,
        r#"{"x":3}"#,
        r#"{"x":4}"#,
        r#"{"x":5}"#,
        r#"{"x":6}"#,
    ]);
    let plain = run_in(&f, "stats sum(x) as s by bin(1s)", 3, 5);
    assert_eq!(
        plain,
        [
            "bin(1s)=2026-11-01 00:00:03.000 s=4",
            "bin(1s)=2026-11-01 00:00:04.000 s=5",
            "bin(1s)=2026-11-01 00:00:05.000 s=6",
        ]
    );
    // The same bins, holding the events of 3 s earlier; rate over the window of the range.
    let shifted = run_in(
        &f,
        "stats sum(x) as s, min(@timestamp) as t by bin(1s) offset 3s",
        3,
        5,
    );
    assert_eq!(
        shifted,
        [
            "bin(1s)=2026-11-01 00:00:03.000 s=1 t=2026-11-01 00:00:00.000",
            "bin(1s)=2026-11-01 00:00:04.000 s=2 t=2026-11-01 00:00:01.000",
            "bin(1s)=2026-11-01 00:00:05.000 s=3 t=2026-11-01 00:00:02.000",
        ]
    );
    assert_eq!(run_in(&f, "stats rate(x, 1s) as r", 0, 5), ["r=4.2"]);
}

#[test]
fn outlier_counts_only_finite_numbers_and_leaves_the_rest_alone() {
    let f = fixture(&[
        r#"{"id":"a","x":1}"#,
        r#"{"id":"b","x":2}"#,
        r#"{"id":"c","x":"3"}"#,
        r#"{"id":"d","x":4}"#,
        r#"{"id":"e","x":100}"#,
        r#"{"id":"f","x":"NaN"}"#,
        r#"{"id":"g","x":"inf"}"#,
        r#"{"id":"h","x":"-inf"}"#,
        r#"{"id":"i","x":"n/a"}"#,
        r#"{"id":"j"}"#,
    ]);
    // Finite numbers 1 2 3 4 100: Q1 = 2, Q3 = 4, IQR = 2; upper 4 + 2.5 × 2 = 9, lower −3.
    let rows = run(
        &f,
        "sort @timestamp asc | outlier uselower=true x | display id, x",
    );
    assert_eq!(
        lines(&rows),
        [
            "id=a x=1",
            "id=b x=2",
            "id=c x=3",
            "id=d x=4",
            "id=e x=9",
            "id=f x=NaN",
            "id=g x=inf",
            "id=h x=-inf",
            "id=i x=n/a",
            "id=j",
        ]
    );
    let rows = run(
        &f,
        "sort @timestamp asc | outlier action=remove uselower=true x | display id",
    );
    assert_eq!(
        column(&rows, "id"),
        ["a", "b", "c", "d", "f", "g", "h", "i", "j"]
    );
}

#[test]
fn outlier_keeps_the_rows_order_through_ties_it_makes() {
    // x = 1..=20 and 101..=110 (n = 30): Q1 = rank 7.25 = 8.25, Q3 = rank 21.75 = 102.75;
    // with param=0.01 the upper bound is 103.695, so 104..=110 all become that one value.
    let messages: Vec<String> = (1..=20)
        .chain(101..=110)
        .map(|x| format!(r#"{{"id":"n{x}","x":{x}}}"#))
        .collect();
    let refs: Vec<&str> = messages.iter().map(String::as_str).collect();
    let f = fixture(&refs);
    let rows = run(
        &f,
        "sort x desc | outlier param=0.01 x | display id, x | limit 9",
    );
    assert_eq!(
        column(&rows, "id"),
        [
            "n110", "n109", "n108", "n107", "n106", "n105", "n104", "n103", "n102"
        ]
    );
    let clamped = column(&rows, "x");
    assert!(
        clamped[..7].iter().all(|v| v.starts_with("103.69")),
        "{clamped:?}"
    );
    assert_eq!(clamped[7..], ["103", "102"]);
}

/// Events of one millisecond (a syslog second, a batch of Lambda lines) come back in their
/// order of arrival under `sort @timestamp asc`, and in exactly the reverse order newest
/// first and under `sort @timestamp desc` (spec §3.5: descending is the exact reverse).
#[test]
fn events_of_the_same_millisecond_keep_their_arrival_order() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path()).unwrap();
    store.create_group("g", 0).unwrap();
    store.create_stream("g", "s", 0).unwrap();
    let messages: Vec<String> = (0..40).map(|i| format!("m{i:02}")).collect();
    let events: Vec<Event> = messages
        .iter()
        .enumerate()
        .map(|(i, m)| Event {
            // Two distinct times, 20 events each, arriving in message order.
            timestamp: 1_793_491_200_000 + (i as i64 / 20) * 1000,
            ingestion_time: 1_793_491_300_000,
            message: m.clone(),
        })
        .collect();
    store.append("g", "s", &events).unwrap();
    store.seal("g").unwrap();
    let f = Fixture { _dir: dir, store };
    let asc = column(&run(&f, "sort @timestamp asc"), "@message");
    assert_eq!(asc, messages);
    let mut reversed = messages.clone();
    reversed.reverse();
    assert_eq!(
        column(&run(&f, "sort @timestamp desc"), "@message"),
        reversed
    );
    assert_eq!(column(&run(&f, "fields @message"), "@message"), reversed);
    assert_eq!(
        column(
            &run(
                &f,
                "filter @message like 'm1' | sort @timestamp asc | limit 3"
            ),
            "@message"
        ),
        ["m10", "m11", "m12"]
    );
}

/// A JSON boolean stays a boolean when its field also holds text in other events (so the
/// store reads the field as text): it compares with 1/0 and `"true"`, sums as 1/0, and as a
/// bare condition `false` is false, as in a field that only ever held booleans.
#[test]
fn json_booleans_beside_text_stay_booleans() {
    let mixed = fixture(&[
        r#"{"ro":true,"n":1}"#,
        r#"{"ro":false,"n":2}"#,
        r#"{"ro":"n/a","n":3}"#,
        r#"{"ro":"0","n":4}"#,
        r#"{"n":5}"#,
    ]);
    let pure = fixture(&[
        r#"{"ro":true,"n":1}"#,
        r#"{"ro":false,"n":2}"#,
        r#"{"n":5}"#,
    ]);
    for f in [&mixed, &pure] {
        let n = |q: &str| column(&run(f, &format!("{q} | sort n asc | display n")), "n");
        assert_eq!(n("filter ro = 1"), ["1"]);
        assert_eq!(n("filter ro = true"), ["1"]);
        assert_eq!(n("filter ro = \"true\""), ["1"]);
        assert_eq!(n("filter ro = 0 and ispresent(ro)").first().unwrap(), "2");
        assert_eq!(
            column(&run(f, "stats sum(ro) as s"), "s"),
            ["1"],
            "sum over {:?}",
            n("fields n")
        );
    }
    // As a bare condition, text that is a zero is false; other text ("n/a") is true.
    assert_eq!(column(&run(&pure, "filter ro | display n"), "n"), ["1"]);
    assert_eq!(
        column(&run(&mixed, "filter ro | sort n asc | display n"), "n"),
        ["1", "3"]
    );
    assert_eq!(
        column(&run(&mixed, "filter not ro | sort n asc | display n"), "n"),
        ["2", "4", "5"]
    );
}

/// `sum` and `avg` add exactly and round once: a thousand `0.1` sum to `100` (a float sum
/// gives 99.9999999999986), whatever the order or partitioning of the rows. The expected
/// values are Python's `math.fsum` of the same floats.
#[test]
fn sums_and_averages_are_correctly_rounded() {
    let messages: Vec<String> = (0..1000)
        .map(|i| format!("{{\"v\":0.1,\"g\":\"g{}\"}}", i % 3))
        .collect();
    let messages: Vec<&str> = messages.iter().map(String::as_str).collect();
    let f = fixture(&messages);
    assert_eq!(
        run(&f, "stats sum(v) as s, avg(v) as a, sum(v * 3) as t"),
        vec![vec![
            ("s".to_owned(), "100".to_owned()),
            ("a".to_owned(), "0.1".to_owned()),
            ("t".to_owned(), "300.00000000000006".to_owned()),
        ]]
    );
    // 334 + 333 + 333 tenths.
    assert_eq!(
        column(&run(&f, "stats sum(v) as s by g | sort g asc"), "s"),
        ["33.4", "33.300000000000004", "33.300000000000004"]
    );
}

/// A result longer than one batch (8,192 rows) comes back in its order: DataFusion's
/// round-robin repartitioning of the last projection once interleaved the sorted batches.
#[test]
fn results_over_several_batches_keep_their_order() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path()).unwrap();
    store.create_group("g", 0).unwrap();
    store.create_stream("g", "s", 0).unwrap();
    let events: Vec<Event> = (0..10_000)
        .map(|i| Event {
            timestamp: 1_793_491_200_000 + i * 1000,
            ingestion_time: 1_793_491_300_000,
            message: format!("m{i:05}"),
        })
        .collect();
    store.append("g", "s", &events).unwrap();
    store.seal("g").unwrap();
    // Partitions finish in any order only on a runtime with several threads, as the CLI's.
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(4)
        .build()
        .unwrap();
    let messages = |q: &str| -> Vec<String> {
        let query = loupe_lang::parse(q).unwrap();
        let request = QueryRequest {
            groups: vec!["g".into()],
            now_ms: NOW_MS,
            ..Default::default()
        };
        let out = runtime
            .block_on(run_query(&store, &query, &request))
            .unwrap();
        out.rows
            .iter()
            .filter_map(|r| r.iter().find(|c| c.field == "@message"))
            .map(|c| c.value.clone())
            .collect()
    };
    let ascending: Vec<String> = (0..10_000).map(|i| format!("m{i:05}")).collect();
    let mut descending = ascending.clone();
    descending.reverse();
    let check = |q: &str, want: &[String]| {
        let got = messages(q);
        let first_difference = got.iter().zip(want).position(|(a, b)| a != b);
        assert!(
            got.len() == want.len() && first_difference.is_none(),
            "{q}: {} rows, first out of place at {first_difference:?}",
            got.len()
        );
    };
    for _ in 0..5 {
        check("sort @timestamp asc", &ascending);
        check("fields @message", &descending);
        check("sort @timestamp desc | limit 10000", &descending);
    }
}
