//! Queries in the shapes people paste from consoles, dashboards and runbooks: all must parse
//! and print as a fixpoint.

use loupe_lang::{parse, render};

const QUERIES: &[&str] = &[
    "fields @timestamp, @message, @logStream, @log\n| sort @timestamp desc\n| limit 20",
    "filter @message like /(?i)(exception|error|fail)/\n| stats count(*) as errors by bin(15m)",
    "filter @type = \"REPORT\"\n| stats avg(@duration), max(@duration), pct(@duration, 95) by bin(5m)",
    "filter @type = \"REPORT\" and ispresent(@initDuration)\n| stats count(*) as coldStarts, avg(@initDuration) as avgInit by bin(1h)",
    "fields @timestamp, @message\n| filter @message like /Task timed out/\n| sort @timestamp desc\n| limit 50",
    "stats count(*) as c by @logStream | sort c desc | limit 10",
    "filter action = \"REJECT\" | stats count(*) as rejected by srcAddr | sort rejected desc | limit 25",
    "filter dstPort in [22, 3389] and action = 'ACCEPT' | stats count(*) by srcAddr, dstPort",
    "filter isIpv4InSubnet(srcAddr, \"10.0.0.0/8\") | stats sum(bytes) as b by dstAddr",
    "filter eventSource = \"signin.amazonaws.com\" and responseElements.ConsoleLogin = \"Failure\" | stats count(*) by userIdentity.arn, sourceIPAddress",
    "filter ispresent(errorCode) | stats count(*) as n by eventName, errorCode | sort n desc",
    "fields @timestamp, @message | filter @message not like /health/ | limit 100",
    "parse @message \"* * * * *\" as ts, level, thread, logger, msg | filter level = \"ERROR\"",
    "parse @message /\"status\":(?<status>\\d{3})/ | stats count(*) by status",
    "parse @message '\"latency\":*,' as latency | stats avg(latency), max(latency) by bin(1m)",
    "fields @timestamp, @message | filter @logStream like /prod/ and @message like \"timeout\"",
    "stats count(*) by bin(1h) as hour | sort hour asc",
    "stats count() as requests, sum(bytes) / 1024 / 1024 as MB by bin(1d)",
    "filter statusCode >= 500 | stats count(*) as errors by path | sort errors desc | limit 10",
    "fields concat(method, ' ', path) as route | stats count(*) by route",
    "filter @message like 'ERROR' # noisy\n| stats count(*) by bin(5m)",
    "FIELDS @timestamp, @message\n| FILTER @message LIKE /WARN/\n| SORT @timestamp DESC\n| LIMIT 20",
    "stats latest(@message) as last by @logStream",
    "filter @type = \"REPORT\" | fields @requestId, @duration, @billedDuration, @maxMemoryUsed / 1024 / 1024 as memMB | sort @duration desc | limit 20",
    "stats count(*) by queryName | sort count(*) desc | limit 10",
    "filter responseCode != 'NOERROR' | stats count(*) as failures by queryName, responseCode",
    "fields @timestamp, @message | filter @message =~ /user=[a-z]+/",
    "filter level in ['ERROR', 'FATAL'] and service not in ['canary']",
    "stats count_distinct(userId) as users, count(*) as events by bin(1h)",
    "filter !ispresent(userId) | limit 5",
    "fields @timestamp, toMillis(@timestamp) - toMillis(startTime) as lagMs | filter lagMs > 1000",
    "fields strlen(@message) as len | stats max(len), avg(len)",
    "filter @message like /\\[ERROR\\]/ | parse @message \"[ERROR] *\" as detail | display @timestamp, detail",
    "stats sum(strcontains(@message, \"Init Duration\")) as coldStarts by bin(1h)",
    "stats count(*) as n by bin(5m) as t, host | stats avg(n) as perHost by t | sort t",
    "SOURCE logGroups(namePrefix: ['/aws/lambda/prod']) start=-1h end=now | filter @message like /ERROR/ | stats count(*) by @log",
    "fields @timestamp, @message | sort @timestamp desc | dedup @logStream | limit 10",
    "stats count(*) by bin (1min)",
    "filter @message like /\\/api\\/v1\\/orders/ | stats count(*) by bin(1m)",
    "fields jsonParse(@message) as doc | filter doc.level = 'error' | display doc.msg",
    "filter (range > 3000 and accountId = 123456789012) | sort @timestamp desc | limit 20",
    "stats avg(@duration) as avg, max(@duration) as max by bin(1m) | sort max desc",
];

#[test]
fn realistic_queries_parse_and_round_trip() {
    for src in QUERIES {
        let q = parse(src).unwrap_or_else(|d| panic!("{}", render(&d, src, false)));
        let printed = q.to_string();
        let again = parse(&printed).unwrap_or_else(|d| panic!("{}", render(&d, &printed, false)));
        assert_eq!(again.to_string(), printed);
    }
}
