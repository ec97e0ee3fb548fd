//! Round trips of every command form.

use loupe_lang::ast::{CommandKind, ParseMode};
use loupe_lang::parse;

fn round_trip(src: &str) -> String {
    let q = parse(src).unwrap_or_else(|d| panic!("{src}: {d:?}"));
    let printed = q.to_string();
    let again = parse(&printed).unwrap_or_else(|d| panic!("reparse of {printed:?}: {d:?}"));
    assert_eq!(again.to_string(), printed, "not a fixpoint: {src}");
    printed
}

#[test]
fn every_command_round_trips() {
    let cases = [
        (
            "stats count(*) as c, avg(@duration) by bin(5m) as t, host",
            "stats count(*) as c, avg(@duration) by bin(5m) as t, host",
        ),
        (
            "STATS sum(x)/count(*) * 100 BY bin(1h) OFFSET 1h",
            "stats sum(x) / count(*) * 100 by bin(1h) offset 1h",
        ),
        (
            "parse @message \"[*] *\" as level, msg",
            "parse @message \"[*] *\" as level, msg",
        ),
        ("parse '* - *' as a, b", "parse \"* - *\" as a, b"),
        (
            "parse @message /(?<user>\\w+) \\/x/",
            "parse @message /(?<user>\\w+) \\/x/",
        ),
        (
            "parse @message /(\\d+\\.\\d+)/ as ip multi",
            "parse @message /(\\d+\\.\\d+)/ as ip multi",
        ),
        ("parse logfmt as lf", "parse logfmt as lf"),
        ("parse body csv as a, b, c", "parse body csv as a, b, c"),
        (
            "json field=payload \"user.name\" as username",
            "json field=payload \"user.name\" as username",
        ),
        ("dedup server, severity", "dedup server, severity"),
        (
            "unnest js.accounts into account",
            "unnest js.accounts into account",
        ),
        ("expand items", "expand items"),
        (
            "filterIndex ip in ['a', 'b']",
            "filterIndex ip in [\"a\", \"b\"]",
        ),
        (
            "filterIndex region = 'us-east-1'",
            "filterIndex region = \"us-east-1\"",
        ),
        ("pattern @message | anomaly", "pattern @message | anomaly"),
        ("diff | diff previousweek", "diff | diff previousWeek"),
        ("unmask | unmask @message", "unmask | unmask @message"),
        (
            "SOURCE logGroups(namePrefix: ['a', 'b'], class: 'STANDARD') start=-1d end=now | fields x",
            "source logGroups(namePrefix: [\"a\", \"b\"], class: \"STANDARD\") start=-1d end=now | fields x",
        ),
        (
            "SOURCE logGroupTags([{\"key\": \"team\", values: ['t1', 't2']}, {key: 'env'}]) START=-604800s END=0s",
            "source logGroupTags([{key: \"team\", values: [\"t1\", \"t2\"]}, {key: \"env\", values: []}]) start=-604800s end=0s",
        ),
        (
            "SOURCE dataSource(['amazon_vpc.flow'])",
            "source dataSource([\"amazon_vpc.flow\"])",
        ),
        (
            "SOURCE '/aws/lambda/f' | limit 1",
            "source \"/aws/lambda/f\" | limit 1",
        ),
        ("SOURCE logGroups()", "source logGroups()"),
        (
            "lookup net ip_address as srcAddr, port as dstPort OUTPUT service, owner",
            "lookup net ip_address as srcAddr, port as dstPort output service, owner",
        ),
        ("lookup t id OUTPUTNEW name", "lookup t id outputnew name"),
        (
            "cidrlookup net srcAddr AS cidr OUTPUT region as r, owner",
            "cidrlookup net srcAddr as cidr output region as r, owner",
        ),
        (
            "join type=inner left=api right=lambda where api.requestId=lambda.requestId (SOURCE '/aws/lambda/f' | fields requestId)",
            "join type=inner left=api right=lambda where api.requestId = lambda.requestId (source \"/aws/lambda/f\" | fields requestId)",
        ),
        (
            "filter requestId in ( SOURCE 'db' | filter e = 1 | fields requestId ) | limit 5",
            "filter requestId in (source \"db\" | filter e = 1 | fields requestId) | limit 5",
        ),
        (
            "appendcols override=true max=100 (SOURCE 'x' | stats count(*))",
            "appendcols override=true max=100 (source \"x\" | stats count(*))",
        ),
        (
            "addtotals fieldname=Sum row=false col=true a, b",
            "addtotals fieldname=Sum row=false col=true a, b",
        ),
        ("addtotals", "addtotals"),
        (
            "autoregress bytes as b p=1-4 | autoregress x p=2 | autoregress y",
            "autoregress bytes as b p=1-4 | autoregress x p=2 | autoregress y",
        ),
        (
            "accum bytes AS total | accum x",
            "accum bytes as total | accum x",
        ),
        (
            "filldown cpu* mem host | filldown",
            "filldown cpu* mem host | filldown",
        ),
        (
            "stats count(*) by bin(5m) | fillmissing with 0 for count, 'n/a' for host | fillmissing",
            "stats count(*) by bin(5m) | fillmissing with 0 for count, \"n/a\" for host | fillmissing",
        ),
        (
            "sessionize user, ip maxspan 30m as s | sessionize u",
            "sessionize user, ip maxspan 30m as s | sessionize u",
        ),
        ("logcompare timeshift 7d", "logcompare timeshift 7d"),
        (
            "outlier action=remove param=3 uselower=true bytes latency",
            "outlier action=remove param=3 uselower=true bytes latency",
        ),
        (
            "countFrequent a, b | count_frequent c",
            "countFrequent a, b | countFrequent c",
        ),
        (
            "fields jsonParse(@message) as js | fields js.users[1].action, js.`user.id`, jsonParse(x).a.b",
            "fields jsonParse(@message) as js | fields js.users[1].action, js.`user.id`, jsonParse(x).a.b",
        ),
    ];
    for (src, want) in cases {
        assert_eq!(round_trip(src), want, "{src}");
    }
}

#[test]
fn parse_modes() {
    let q = parse("parse '* x *' as a, b").unwrap();
    let CommandKind::Parse {
        source,
        mode,
        targets,
        multi,
    } = &q.commands[0].kind
    else {
        panic!()
    };
    assert!(source.is_none());
    assert!(matches!(mode, ParseMode::Glob { pattern, .. } if pattern == "* x *"));
    assert_eq!(targets.len(), 2);
    assert!(!multi);
}

#[test]
fn command_errors() {
    let cases = [
        (
            "parse @message 'x*'",
            "a glob pattern needs `as` and one name per `*`",
        ),
        (
            "parse @message 42",
            "expected a glob string, a /regex/, `logfmt` or `csv`, found `42`",
        ),
        ("json field payload", "expected `=`, found `payload`"),
        ("unnest x as y", "expected `into`, found `as`"),
        (
            "diff yesterday",
            "expected `previousDay`, `previousWeek` or `previousMonth`, found `yesterday`",
        ),
        (
            "filterIndex a > 1",
            "`filterIndex` takes one indexed field condition",
        ),
        ("logcompare timeshift 7", "expected a duration"),
        (
            "stats count(*) by x offset",
            "expected a duration such as `5m`, found end of query",
        ),
        (
            "join left=a where a.x = b.y (SOURCE 'x')",
            "`join` needs `left=` and `right=` aliases",
        ),
        (
            "lookup t a b",
            "expected `OUTPUT` or `OUTPUTNEW`, found `b`",
        ),
        (
            "lookup t a",
            "expected `OUTPUT` or `OUTPUTNEW`, found end of query",
        ),
        (
            "filter x in (fields a",
            "expected `,`, `|` or `)`, found end of query",
        ),
        ("filter x in ()", "expected a command, found `)`"),
        ("autoregress x p=3-1", "invalid lag range"),
        (
            "relevantfields x",
            "command `relevantfields` is not supported yet",
        ),
    ];
    for (src, msg) in cases {
        let d = parse(src).err().unwrap_or_else(|| panic!("{src} parsed"));
        assert_eq!(d.message, msg, "{src}");
    }
}
