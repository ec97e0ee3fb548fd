//! Compile-time rules: what `parse` accepts and rejects after the grammar.

use loupe_lang::{DiagnosticKind, parse};

fn ok(src: &str) {
    if let Err(d) = parse(src) {
        panic!("{src}: {d:?}");
    }
}

/// The message and the text the diagnostic points at.
fn rejected(src: &str) -> (String, String) {
    let Err(d) = parse(src) else {
        panic!("{src} was accepted")
    };
    assert_eq!(d.kind, DiagnosticKind::Semantic, "{src}: {d:?}");
    (d.message.clone(), d.span.slice(src).to_owned())
}

#[test]
fn valid_queries() {
    for src in [
        "stats count(*) by bin(5m)",
        "stats sum(a) / count(*) * 100 as pct_ok, avg(@duration) by host",
        "stats sum(x) as total, total / 2 as half",
        "stats count(*) as c by bin(1h) as t | stats avg(c) by t",
        "stats max(@timestamp) as @t, count(*) as n by host | stats sum(n) by dateceil(@t, 10m)",
        "fields @message | stats sum(f) as s by op | filter s > 1 | stats max(s) | sort `max(s)` desc | limit 5",
        "stats count(*) by x | sort count(*) desc",
        "fields bin(60s) as minute, datefloor(@timestamp, 1h), bin(@timestamp, 1h)",
        "filter !ispresent(x) and strcontains(@message, 'a', true)",
        "sort @timestamp desc | dedup host | limit 5",
        "parse @message '[*] *' as level, msg",
        "parse @message /(?<user>\\w+):(?<id>\\d+)/",
        "parse @message /(\\d+\\.\\d+)/ as ip multi",
        "parse @message /(?<payload>\\{.*\\})/ as payload | json field=payload \"user.name\" as u",
        "pattern @message | anomaly",
        "stats count(*) by bin(5m) | fillmissing with 0 for count",
        "SOURCE logGroups(namePrefix: ['a']) | limit 100000",
        "filter x in (SOURCE 'a' | filter y = 1 | fields x)",
        "stats pct(@duration, 95), topk(3, host), rate(bytes, 5m), histogram(x, 10) by bin(1m)",
        "fields case(a = 1, 'one', a = 2, 'two', 'many'), if(x, 1, 0), COALESCE(a, b, c)",
    ] {
        ok(src);
    }
}

#[test]
fn functions_must_exist_with_the_right_arity() {
    let (msg, at) = rejected("fields strlenn(x)");
    assert_eq!(
        (msg.as_str(), at.as_str()),
        ("unknown function `strlenn`", "strlenn")
    );
    let d = parse("fields strlenn(x)").unwrap_err();
    assert_eq!(d.help.as_deref(), Some("did you mean `strlen`?"));

    let (msg, at) = rejected("fields abs(1, 2)");
    assert_eq!(
        (msg.as_str(), at.as_str()),
        ("`abs` takes 1 argument, found 2", "abs(1, 2)")
    );
    let (msg, _) = rejected("fields now(1)");
    assert_eq!(msg, "`now` takes 0 arguments, found 1");
    let (msg, at) = rejected("stats count(*) by bin(@timestamp)");
    assert_eq!(
        (msg.as_str(), at.as_str()),
        ("`bin` expects a duration such as `5m` here", "@timestamp")
    );
    let (msg, at) = rejected("fields abs(5m)");
    assert_eq!(
        (msg.as_str(), at.as_str()),
        ("`abs` does not take a duration here", "5m")
    );
    let (msg, at) = rejected("fields strlen(*)");
    assert_eq!(
        (msg.as_str(), at.as_str()),
        ("`*` is only allowed in `count(*)`", "*")
    );
}

#[test]
fn aggregates_only_in_stats() {
    let (msg, at) = rejected("filter count(*) > 1");
    assert_eq!(
        (msg.as_str(), at.as_str()),
        (
            "aggregate function `count` is only allowed in `stats`",
            "count(*)"
        )
    );
    let (msg, _) = rejected("stats sum(count(*))");
    assert_eq!(msg, "aggregate functions cannot be nested");
    let (msg, _) = rejected("stats count(*) by max(x)");
    assert_eq!(msg, "cannot group by the aggregate `max`");
    let (msg, at) = rejected("stats sum(x) + y");
    assert_eq!(
        (msg.as_str(), at.as_str()),
        ("`y` must be inside an aggregate function", "y")
    );
    let (msg, at) = rejected("stats strlen(x)");
    assert_eq!(
        (msg.as_str(), at.as_str()),
        ("`stats` needs an aggregate function here", "strlen(x)")
    );
}

#[test]
fn pipeline_rules() {
    let (msg, _) = rejected("stats count(*) | stats count(*) | stats count(*)");
    assert_eq!(msg, "a query can have at most two `stats` commands");
    let (msg, at) = rejected("stats count(*) as c by x | sort c | stats sum(c)");
    assert_eq!(
        (msg.as_str(), at.as_str()),
        ("`sort` must come after the second `stats`", "sort c")
    );
    let (msg, at) =
        rejected("fields @message | stats sum(Fault) by Operation | stats max(strlen(@message))");
    assert_eq!(
        (msg.as_str(), at.as_str()),
        (
            "`@message` is not an output of the first `stats`",
            "@message"
        )
    );
    let (msg, _) = rejected("stats count(*) as n by bin(5m) | stats avg(n) by bin(10m)");
    assert_eq!(msg, "`bin` cannot be used in the second `stats`");
    let (msg, at) = rejected("dedup host | sort x");
    assert_eq!(
        (msg.as_str(), at.as_str()),
        ("`sort` cannot follow `dedup`", "sort x")
    );
    let (msg, _) = rejected("fields x | SOURCE 'a'");
    assert_eq!(msg, "`SOURCE` must be the first command");
    let (msg, _) = rejected("anomaly");
    assert_eq!(msg, "`anomaly` needs a `pattern` command before it");
    let (msg, _) = rejected("fillmissing");
    assert_eq!(
        msg,
        "`fillmissing` needs a `stats ... by bin(...)` before it"
    );
    let (msg, at) = rejected("limit 100001");
    assert_eq!(
        (msg.as_str(), at.as_str()),
        ("`limit` must be between 1 and 100000", "100001")
    );
    let (msg, _) = rejected("limit 0");
    assert_eq!(msg, "`limit` must be between 1 and 100000");
    let (msg, _) = rejected("filter x in (fields a | SOURCE 'b')");
    assert_eq!(msg, "`SOURCE` must be the first command");
}

#[test]
fn parse_targets() {
    let (msg, at) = rejected("parse @message '* - *' as a");
    assert_eq!(
        (msg.as_str(), at.as_str()),
        ("the pattern has 2 `*` but 1 names follow `as`", "'* - *'")
    );
    let (msg, _) = rejected("parse @message /\\d+/");
    assert_eq!(msg, "the regex has no named groups");
    let (msg, _) = rejected("parse @message /(a)(b)/ as x");
    assert_eq!(
        msg,
        "the regex has 2 capture groups but 1 names follow `as`"
    );
}
