//! Recognizers for AWS service log formats, giving the fields Logs Insights discovers for them
//! (spec §2.3). Each checks a cheap prefix or shape first, so a plain log line costs a few
//! byte comparisons.
//!
//! Decisions where AWS is silent: Lambda memory fields are bytes with 1 MB = 1,000,000 bytes
//! (AWS's own sample queries divide by 1000 twice); VPC flow log and Route 53 fields keep the
//! record's text, including `-` for "no data".

use super::Leaf;

/// Calls `visit` for the fields of `message` if it is in a recognised AWS format; returns
/// whether it was.
pub fn recognize(message: &str, visit: &mut impl FnMut(&str, Leaf<'_>)) -> bool {
    lambda_platform(message, visit) || vpc_flow_log(message, visit) || route53(message, visit)
}

fn num_or_str(s: &str) -> Leaf<'_> {
    let numeric = !s.is_empty()
        && s.bytes()
            .all(|b| b.is_ascii_digit() || b == b'.' || b == b'-')
        && s.bytes().any(|b| b.is_ascii_digit())
        && s.parse::<f64>().is_ok();
    if numeric { Leaf::Num(s) } else { Leaf::Str(s) }
}

/// `START RequestId: … Version: …`, `END RequestId: …`, and
/// `REPORT RequestId: …\tDuration: 2.35 ms\tBilled Duration: 3 ms\tMemory Size: 128 MB\t
/// Max Memory Used: 64 MB\tInit Duration: 150.1 ms\t\nXRAY TraceId: …\tSegmentId: …\tSampled: true`.
fn lambda_platform(message: &str, visit: &mut impl FnMut(&str, Leaf<'_>)) -> bool {
    let Some((kind, rest)) = ["START", "END", "REPORT"]
        .iter()
        .find_map(|k| Some((*k, message.strip_prefix(k)?.strip_prefix(" RequestId: ")?)))
    else {
        return false;
    };
    let request_id = rest
        .split(|c: char| c.is_whitespace())
        .next()
        .unwrap_or_default();
    visit("@type", Leaf::Str(kind));
    visit("@requestId", Leaf::Str(request_id));
    if kind != "REPORT" {
        return true;
    }
    for part in rest.split(['\t', '\n']) {
        let Some((key, value)) = part.split_once(": ") else {
            continue;
        };
        let value = value.trim();
        let (number, unit) = value.split_once(' ').unwrap_or((value, ""));
        let name = match key.trim() {
            "Duration" => "@duration",
            "Billed Duration" => "@billedDuration",
            "Init Duration" => "@initDuration",
            "Memory Size" => "@memorySize",
            "Max Memory Used" => "@maxMemoryUsed",
            "XRAY TraceId" => {
                visit("@xrayTraceId", Leaf::Str(value));
                continue;
            }
            "SegmentId" => {
                visit("@xraySegmentId", Leaf::Str(value));
                continue;
            }
            _ => continue,
        };
        if unit == "MB" {
            if let Ok(mb) = number.parse::<u64>() {
                visit(name, Leaf::Num(&(mb * 1_000_000).to_string()));
            }
        } else if number.parse::<f64>().is_ok() {
            visit(name, Leaf::Num(number));
        }
    }
    true
}

const VPC_FIELDS: [&str; 14] = [
    "version",
    "accountId",
    "interfaceId",
    "srcAddr",
    "dstAddr",
    "srcPort",
    "dstPort",
    "protocol",
    "packets",
    "bytes",
    "startTime",
    "endTime",
    "action",
    "logStatus",
];

/// A VPC flow log record in the default version 2 format (14 space-separated fields).
fn vpc_flow_log(message: &str, visit: &mut impl FnMut(&str, Leaf<'_>)) -> bool {
    if !message.starts_with("2 ") {
        return false;
    }
    let parts: Vec<&str> = message.split_ascii_whitespace().collect();
    let shaped = parts.len() == 14
        && parts[2].starts_with("eni-")
        && matches!(parts[12], "ACCEPT" | "REJECT" | "-")
        && matches!(parts[13], "OK" | "NODATA" | "SKIPDATA");
    if !shaped {
        return false;
    }
    for (name, value) in VPC_FIELDS.iter().zip(parts) {
        let leaf = match *name {
            "accountId" | "interfaceId" | "srcAddr" | "dstAddr" | "action" | "logStatus" => {
                Leaf::Str(value)
            }
            _ => num_or_str(value),
        };
        visit(name, leaf);
    }
    true
}

const ROUTE53_FIELDS: [&str; 10] = [
    "version",
    "queryTimestamp",
    "hostZoneId",
    "queryName",
    "queryType",
    "responseCode",
    "protocol",
    "edgeLocation",
    "resolverIp",
    "ednsClientSubnet",
];

/// A Route 53 public DNS query log record:
/// `1.0 2017-12-13T08:16:02.130Z Z123412341234 example.com A NOERROR UDP FRA6 192.168.3.1 -`.
fn route53(message: &str, visit: &mut impl FnMut(&str, Leaf<'_>)) -> bool {
    if !message.starts_with("1.0 ") {
        return false;
    }
    let parts: Vec<&str> = message.split_ascii_whitespace().collect();
    let shaped = parts.len() == 10
        && parts[1].len() >= 20
        && parts[1].as_bytes()[4] == b'-'
        && parts[1].ends_with('Z')
        && matches!(parts[6], "UDP" | "TCP");
    if !shaped {
        return false;
    }
    for (name, value) in ROUTE53_FIELDS.iter().zip(parts) {
        // The version "1.0" is a label, not a quantity.
        visit(name, Leaf::Str(value));
    }
    true
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;
    use std::path::Path;

    use super::super::discover_fields;

    fn fields(msg: &str) -> BTreeMap<String, String> {
        let mut out = BTreeMap::new();
        discover_fields(msg, |k, v| {
            out.insert(k.to_owned(), v.to_owned());
        });
        out
    }

    fn map(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn lambda_platform_lines() {
        assert_eq!(
            fields("START RequestId: 8f5a-11 Version: $LATEST\n"),
            map(&[("@type", "START"), ("@requestId", "8f5a-11")])
        );
        assert_eq!(
            fields("END RequestId: 8f5a-11\n"),
            map(&[("@type", "END"), ("@requestId", "8f5a-11")])
        );
        let report = "REPORT RequestId: f08bb4c8-d6b2\tDuration: 619.31 ms\tBilled Duration: 700 ms\tMemory Size: 128 MB\tMax Memory Used: 118 MB\tInit Duration: 150.25 ms\t\nXRAY TraceId: 1-5e61292c-cc12\tSegmentId: 07a85e713f6302b2\tSampled: true\t\n";
        assert_eq!(
            fields(report),
            map(&[
                ("@type", "REPORT"),
                ("@requestId", "f08bb4c8-d6b2"),
                ("@duration", "619.31"),
                ("@billedDuration", "700"),
                ("@memorySize", "128000000"),
                ("@maxMemoryUsed", "118000000"),
                ("@initDuration", "150.25"),
                ("@xrayTraceId", "1-5e61292c-cc12"),
                ("@xraySegmentId", "07a85e713f6302b2"),
            ])
        );
        assert!(fields("STARTING RequestId: x").is_empty());
    }

    #[test]
    fn vpc_flow_logs() {
        let got = fields(
            "2 123456789012 eni-0050644426037aa0f 10.26.1.153 3.239.232.29 60220 443 6 48 21869 1669842701 1669842702 ACCEPT OK",
        );
        assert_eq!(got["srcAddr"], "10.26.1.153");
        assert_eq!(got["dstPort"], "443");
        assert_eq!(got["startTime"], "1669842701");
        assert_eq!(got["logStatus"], "OK");
        assert_eq!(got.len(), 14);
        let nodata = fields("2 123456789012 eni-1 - - - - - - - 1669842701 1669842702 - NODATA");
        assert_eq!(nodata["srcAddr"], "-");
        assert!(fields("2 apples and 3 pears").is_empty());
    }

    #[test]
    fn route53_query_logs() {
        let got = fields(
            "1.0 2017-12-13T08:16:02.130Z Z123412341234 example.com A NOERROR UDP FRA6 192.168.3.1 -",
        );
        assert_eq!(got["queryName"], "example.com");
        assert_eq!(got["responseCode"], "NOERROR");
        assert_eq!(got["ednsClientSubnet"], "-");
        assert_eq!(got.len(), 10);
    }

    /// Real samples, when the shared corpus is present.
    #[test]
    fn corpus_samples() {
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/corpus");
        let vpc = root.join("aws-formats-lambda-promtail/vpcflowlog.log.gz");
        let cw = root.join("cloudwatch-subscription-datadog-forwarder/cloudwatch_logs.json");
        if !vpc.exists() || !cw.exists() {
            eprintln!("SKIPPED: corpus not found at {}", root.display());
            return;
        }
        // The gzip is read through the system's gzip to keep the store's dependencies lean.
        let out = std::process::Command::new("gzip")
            .arg("-dc")
            .arg(&vpc)
            .output();
        let Ok(out) = out else {
            eprintln!("SKIPPED: gzip not available");
            return;
        };
        let text = String::from_utf8_lossy(&out.stdout);
        let mut records = 0;
        for line in text.lines().skip(1).filter(|l| !l.is_empty()) {
            assert_eq!(fields(line).len(), 14, "{line}");
            records += 1;
        }
        assert!(records > 0);
        let json: serde_json::Value = serde_json::from_slice(&std::fs::read(&cw).unwrap()).unwrap();
        let mut reports = 0;
        let mut stack = vec![&json];
        while let Some(v) = stack.pop() {
            match v {
                serde_json::Value::String(s) if s.starts_with("REPORT RequestId: ") => {
                    let f = fields(s);
                    assert!(f.contains_key("@duration") && f.contains_key("@maxMemoryUsed"));
                    reports += 1;
                }
                serde_json::Value::Array(a) => stack.extend(a),
                serde_json::Value::Object(o) => stack.extend(o.values()),
                _ => {}
            }
        }
        assert!(reports > 0);
    }
}
