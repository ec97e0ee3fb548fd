#!/usr/bin/env python3
"""Independent answers for the corpus conformance sweep (`crates/cli/tests/conformance.rs`).

Each case is a real-world Logs Insights query (AWS documentation samples, runbooks, blog
posts) over a file of the shared corpus (`../shared/corpus`, beside the repository), with
its answer computed here in plain Python straight from the raw file: no Loupe code, no
Loupe output. Rendering follows spec §7.3 (integers as digits, fractions in shortest
round-trip form, which the test compares within a relative 1e-9 since their last digits
depend on the order of floating-point operations, timestamps `YYYY-MM-DD HH:MM:SS.mmm` UTC, booleans 1/0, a missing value
left out of its row). Where Loupe documents a choice the spec leaves open, the reference
follows it and says so: ties after a `sort` keep the order stats gave its groups (ascending
by the `by` terms); events of the same millisecond keep their arrival order.

    python3 testdata/conformance/reference.py [CORPUS_DIR] > testdata/conformance/expected.jsonl

Output: one JSON object per log group (`group`, `file` under the corpus, extra ingest `args`),
then one per case: `group`, `query`, `ordered` (whether row order is part of the answer),
`rows` (a list of objects of strings, keys in column order).
"""

import datetime as dt
import gzip
import json
import math
import re
import sys
from collections import Counter, defaultdict
from pathlib import Path

CORPUS = Path(sys.argv[1]) if len(sys.argv) > 1 else Path(__file__).resolve().parents[3] / "shared" / "corpus"

# Groups: name -> corpus file. The Rust test ingests the same files with `--format auto`
# (and `--year` for syslog lines without a year).
GROUPS = {
    "lambda": "cloudwatch-subscription-datadog-forwarder/cloudwatch_logs.json",
    "vpc": "aws-formats-lambda-promtail/vpcflowlog.log.gz",
    "trail": "cloudtrail-panther-analysis-tests/cloudtrail_events.ndjson",
    "apache": "elastic-examples/apache_logs",
    "ssh": "loghub/OpenSSH/OpenSSH_2k.log",
    "zk": "loghub/Zookeeper/Zookeeper_2k.log",
    "kafka": "elastic-examples/kafka0-controller.log.2016-12-19-16",
    "nginx": "elastic-examples/nginxplus_json_logs",
}
SYSLOG_YEAR = 2026


def read_text(rel):
    raw = (CORPUS / rel).read_bytes()
    if raw[:2] == b"\x1f\x8b":
        raw = gzip.decompress(raw)
    return raw.decode("utf-8", "replace")


def lines(rel):
    return [l[:-1] if l.endswith("\r") else l for l in read_text(rel).split("\n") if l not in ("", "\r")]


def ms(t):
    return int(round(t.timestamp() * 1000))


def utc(*a):
    return dt.datetime(*a, tzinfo=dt.timezone.utc)


# ---- rendering (spec §7.3) ----

def num(v):
    if isinstance(v, bool):
        return "1" if v else "0"
    if isinstance(v, int):
        return str(v)
    if v == int(v) and abs(v) < 1e15:
        return str(int(v))
    return repr(v)


def ts(msv):
    t = dt.datetime.fromtimestamp(msv / 1000, tz=dt.timezone.utc)
    return t.strftime("%Y-%m-%d %H:%M:%S.") + "%03d" % (msv % 1000)


def asnum(s):
    if s is None:
        return None
    try:
        return float(s) if not re.fullmatch(r"-?\d+", s) else int(s)
    except ValueError:
        return None


def row(**kw):
    return {k: v for k, v in kw.items() if v is not None}


# ---- events ----

def ev_lambda():
    doc = json.loads(read_text(GROUPS["lambda"]))
    return [{"ts": e["timestamp"], "msg": e["message"]} for e in doc["logEvents"]]


def report_fields(msg):
    if not msg.startswith("REPORT RequestId: "):
        return {}
    out = {}
    for part in re.split(r"[\t\n]", msg):
        if ": " not in part:
            continue
        k, v = part.split(": ", 1)
        n, _, unit = v.strip().partition(" ")
        key = {"Duration": "@duration", "Billed Duration": "@billedDuration", "Memory Size": "@memorySize",
               "Max Memory Used": "@maxMemoryUsed", "Init Duration": "@initDuration"}.get(k.strip())
        if key:
            out[key] = int(n) * 1_000_000 if unit == "MB" else float(n)
    return out


def ev_apache():
    out = []
    for l in lines(GROUPS["apache"]):
        m = re.search(r"\[(\d\d)/(\w{3})/(\d{4}):(\d\d):(\d\d):(\d\d) ([+-]\d{4})\]", l)
        t = dt.datetime.strptime(" ".join(m.groups()), "%d %b %Y %H %M %S %z")
        out.append({"ts": ms(t), "msg": l})
    return out


APACHE_RE = re.compile(r'^(?P<ip>\S+) \S+ \S+ \[[^\]]+\] "(?P<verb>\S+) (?P<path>\S+)[^"]*" (?P<status>\d{3}) (?P<size>\S+)')


def ev_ssh():
    out = []
    for l in lines(GROUPS["ssh"]):
        t = dt.datetime.strptime(f"{SYSLOG_YEAR} {l[:15]}", "%Y %b %d %H:%M:%S").replace(tzinfo=dt.timezone.utc)
        out.append({"ts": ms(t), "msg": l})
    return out


def ev_zk():
    out = []
    for l in lines(GROUPS["zk"]):
        t = dt.datetime.strptime(l[:23], "%Y-%m-%d %H:%M:%S,%f").replace(tzinfo=dt.timezone.utc)
        out.append({"ts": ms(t), "msg": l})
    return out


def ev_kafka():
    out = []
    for l in lines(GROUPS["kafka"]):
        t = dt.datetime.strptime(l[1:24], "%Y-%m-%d %H:%M:%S,%f").replace(tzinfo=dt.timezone.utc)
        out.append({"ts": ms(t), "msg": l})
    return out


def flatten(v, prefix="", out=None):
    out = {} if out is None else out
    if isinstance(v, dict):
        for k, x in v.items():
            k = "@" + k if k.startswith("@") else k
            flatten(x, f"{prefix}{k}." if True else k, out)
    elif isinstance(v, list):
        for i, x in enumerate(v):
            flatten(x, f"{prefix}{i}.", out)
    elif v is not None:
        out[prefix[:-1]] = v
    return out


def ev_trail():
    return [flatten(json.loads(l)) for l in lines(GROUPS["trail"])]


def leaf(v):
    """A JSON leaf as Insights shows it."""
    if v is True:
        return "true"
    if v is False:
        return "false"
    if isinstance(v, (int, float)):
        return num(v)
    return v


def ev_vpc():
    names = ["version", "accountId", "interfaceId", "srcAddr", "dstAddr", "srcPort", "dstPort", "protocol",
             "packets", "bytes", "startTime", "endTime", "action", "logStatus"]
    out = []
    for l in lines(GROUPS["vpc"]):
        p = l.split()
        rec = {"msg": l}
        if len(p) == 14 and p[0] == "2" and p[2].startswith("eni-"):
            rec.update(zip(names, p))
        out.append(rec)
    return out


CASES = []


def case(group, query, ordered=True):
    def deco(fn):
        CASES.append((group, query, ordered, fn))
        return fn
    return deco


def avg(xs):
    """The correctly rounded sum over the count (Loupe sums exactly: its `sum`/`avg` do not
    depend on the order of rows)."""
    return math.fsum(xs) / len(xs) if xs else None


def pct(xs, p):
    """Exact percentile with linear interpolation between closest ranks."""
    xs = sorted(xs)
    if not xs:
        return None
    k = (len(xs) - 1) * p / 100
    lo, hi = math.floor(k), math.ceil(k)
    return xs[lo] + (xs[hi] - xs[lo]) * (k - lo)


def bin_ms(t, width):
    return t - t % width


# ---- Lambda (AWS sample queries) ----

@case("lambda", 'filter @type = "REPORT" | stats max(@memorySize / 1000 / 1000) as provisonedMemoryMB, '
      'min(@maxMemoryUsed / 1000 / 1000) as smallestMemoryRequestMB, avg(@maxMemoryUsed / 1000 / 1000) as avgMemoryUsedMB, '
      'max(@maxMemoryUsed / 1000 / 1000) as maxMemoryUsedMB, provisonedMemoryMB - maxMemoryUsedMB as overProvisionedMB')
def _():
    r = [report_fields(e["msg"]) for e in ev_lambda() if e["msg"].startswith("REPORT ")]
    prov = max(x["@memorySize"] / 1e6 for x in r)
    used = [x["@maxMemoryUsed"] / 1e6 for x in r]
    return [row(provisonedMemoryMB=num(prov), smallestMemoryRequestMB=num(min(used)),
                avgMemoryUsedMB=num(avg(used)), maxMemoryUsedMB=num(max(used)),
                overProvisionedMB=num(prov - max(used)))]


@case("lambda", 'filter @type = "REPORT" | stats avg(@duration), max(@duration), min(@duration) by bin(5m)')
def _():
    g = defaultdict(list)
    for e in ev_lambda():
        if e["msg"].startswith("REPORT "):
            g[bin_ms(e["ts"], 300_000)].append(report_fields(e["msg"])["@duration"])
    return [{"bin(5m)": ts(k), "avg(@duration)": num(avg(v)), "max(@duration)": num(max(v)),
             "min(@duration)": num(min(v))} for k, v in sorted(g.items())]


@case("lambda", 'filter @type = "REPORT" | fields @requestId, @billedDuration | sort by @billedDuration desc')
def _():
    return [{"@requestId": e["msg"].split()[2], "@billedDuration": num(report_fields(e["msg"])["@billedDuration"])}
            for e in ev_lambda() if e["msg"].startswith("REPORT ")]


@case("lambda", 'stats count(*) as n by @logStream | limit 100')
def _():
    return [{"@logStream": json.loads(read_text(GROUPS["lambda"]))["logStream"], "n": str(len(ev_lambda()))}]


@case("lambda", 'filter @message like /(?i)debug/ | stats count(*) as debugLines')
def _():
    return [{"debugLines": str(sum(1 for e in ev_lambda() if re.search("(?i)debug", e["msg"])))}]


@case("lambda", 'parse @message /^(?<ts>\\S+)\\t(?<rid>\\S+)\\t(?<level>[A-Z]+)\\t/ '
      '| filter ispresent(level) | stats count(*) as n by level | sort n desc')
def _():
    c = Counter()
    for e in ev_lambda():
        m = re.match(r"^(\S+)\t(\S+)\t([A-Z]+)\t", e["msg"])
        if m:
            c[m.group(3)] += 1
    return [{"level": k, "n": str(v)} for k, v in sorted(c.items(), key=lambda kv: -kv[1])]


@case("lambda", 'fields @timestamp, @message | filter @message like "Finishing Span" | sort @timestamp desc | limit 25')
def _():
    ev = sorted((e for e in ev_lambda() if "Finishing Span" in e["msg"]), key=lambda e: -e["ts"])
    return [{"@timestamp": ts(e["ts"]), "@message": e["msg"]} for e in ev[:25]]


@case("lambda", 'filter @type = "REPORT" | stats count(*) as invocations, '
      'sum(strcontains(@message, "Init Duration")) as coldStarts, '
      'pct(@duration, 95) as p95, avg(@billedDuration - @duration) as overheadMs')
def _():
    r = [report_fields(e["msg"]) | {"m": e["msg"]} for e in ev_lambda() if e["msg"].startswith("REPORT ")]
    return [row(invocations=str(len(r)), coldStarts=str(sum("Init Duration" in x["m"] for x in r)),
                p95=num(pct([x["@duration"] for x in r], 95)),
                overheadMs=num(avg([x["@billedDuration"] - x["@duration"] for x in r])))]


@case("lambda", 'filter ispresent(status) | stats count(*) as n by status')
def _():
    c = Counter()
    for e in ev_lambda():
        m = re.search(r"\{.*", e["msg"])
        try:
            d = json.loads(m.group(0)) if m else None
        except ValueError:
            d = None
        if isinstance(d, dict) and "status" in d:
            c[d["status"]] += 1
    return [{"status": k, "n": str(v)} for k, v in sorted(c.items())]


# ---- VPC flow logs (AWS sample queries) ----

@case("vpc", 'filter logStatus = "OK" | stats sum(bytes) as bytesTransferred by srcAddr, dstAddr | sort bytesTransferred desc | limit 15')
def _():
    g = Counter()
    for r in ev_vpc():
        if r.get("logStatus") == "OK":
            g[(r["srcAddr"], r["dstAddr"])] += int(r["bytes"])
    return [{"srcAddr": k[0], "dstAddr": k[1], "bytesTransferred": str(v)}
            for k, v in sorted(g.items(), key=lambda kv: -kv[1])[:15]]


@case("vpc", 'filter action="REJECT" | stats count(*) as numRejections by srcAddr | sort numRejections desc')
def _():
    c = Counter(r["srcAddr"] for r in ev_vpc() if r.get("action") == "REJECT")
    return [{"srcAddr": k, "numRejections": str(v)} for k, v in c.most_common()]


@case("vpc", 'filter srcAddr like "10.26." | stats sum(packets) as packetsTransferred, avg(bytes / packets) as avgPacketSize by srcAddr, dstPort')
def _():
    g = defaultdict(list)
    for r in ev_vpc():
        if "10.26." in r.get("srcAddr", ""):
            g[(r["srcAddr"], r["dstPort"])].append(r)
    return [{"srcAddr": k[0], "dstPort": k[1], "packetsTransferred": str(sum(int(x["packets"]) for x in v)),
             "avgPacketSize": num(avg([int(x["bytes"]) / int(x["packets"]) for x in v]))}
            for k, v in sorted(g.items(), key=lambda kv: (kv[0][0], int(kv[0][1])))]


@case("vpc", 'filter isIpv4InSubnet(srcAddr, "10.0.0.0/8") and dstPort in [443, 53, 80] | fields srcAddr, dstAddr, dstPort, protocol', ordered=False)
def _():
    import ipaddress
    out = []
    for r in ev_vpc():
        if "srcAddr" in r and ipaddress.ip_address(r["srcAddr"]) in ipaddress.ip_network("10.0.0.0/8") and r["dstPort"] in ("443", "53", "80"):
            out.append({k: r[k] for k in ("srcAddr", "dstAddr", "dstPort", "protocol")})
    return out


# ---- CloudTrail ----

@case("trail", 'stats count(*) as n by eventSource, eventName, awsRegion | sort n desc, eventSource asc, eventName asc, awsRegion asc | limit 20')
def _():
    c = Counter((e.get("eventSource"), e.get("eventName"), e.get("awsRegion")) for e in ev_trail())
    items = sorted(c.items(), key=lambda kv: (-kv[1], natural_null(kv[0][0]), natural_null(kv[0][1]), natural_null(kv[0][2])))
    return [row(eventSource=k[0], eventName=k[1], awsRegion=k[2], n=str(v)) for k, v in items[:20]]


@case("trail", 'filter eventSource="ec2.amazonaws.com" and eventName like /^(Run|Terminate)Instances/ | stats count(*) as n by eventName, userIdentity.type')
def _():
    c = Counter((e["eventName"], e.get("userIdentity.type")) for e in ev_trail()
                if e.get("eventSource") == "ec2.amazonaws.com" and re.match(r"^(Run|Terminate)Instances", e.get("eventName", "")))
    return [row(eventName=k[0], **{"userIdentity.type": k[1]}, n=str(v)) for k, v in sorted(c.items(), key=lambda kv: (natural(kv[0][0]), natural(kv[0][1])))]


@case("trail", 'filter ispresent(errorCode) | stats count(*) as errors by errorCode | sort errors desc, errorCode asc')
def _():
    c = Counter(e["errorCode"] for e in ev_trail() if "errorCode" in e)
    return [{"errorCode": k, "errors": str(v)} for k, v in sorted(c.items(), key=lambda kv: (-kv[1], natural(kv[0])))]


@case("trail", 'filter userIdentity.type = "Root" | stats count(*) as n by eventName | sort n desc, eventName asc')
def _():
    c = Counter(e["eventName"] for e in ev_trail() if e.get("userIdentity.type") == "Root")
    return [{"eventName": k, "n": str(v)} for k, v in sorted(c.items(), key=lambda kv: (-kv[1], natural(kv[0])))]


@case("trail", 'filter eventName = "ConsoleLogin" | stats count(*) as logins by responseElements.ConsoleLogin, additionalEventData.MFAUsed')
def _():
    c = Counter((e.get("responseElements.ConsoleLogin"), e.get("additionalEventData.MFAUsed")) for e in ev_trail() if e.get("eventName") == "ConsoleLogin")
    return [row(**{"responseElements.ConsoleLogin": k[0], "additionalEventData.MFAUsed": k[1]}, logins=str(v))
            for k, v in sorted(c.items(), key=lambda kv: (natural_null(kv[0][0]), natural_null(kv[0][1])))]


@case("trail", 'stats count_distinct(eventName) as apis, count(*) as calls by eventSource | sort calls desc, eventSource asc | limit 10')
def _():
    g = defaultdict(list)
    for e in ev_trail():
        g[e.get("eventSource")].append(e.get("eventName"))
    items = sorted(g.items(), key=lambda kv: (-len(kv[1]), natural_null(kv[0])))
    return [row(eventSource=k, apis=str(len({x for x in v if x is not None})), calls=str(len(v))) for k, v in items[:10]]


@case("trail", 'filter sourceIPAddress not like /amazonaws/ and ispresent(sourceIPAddress) '
      '| stats count(*) as n by sourceIPAddress | sort n desc, sourceIPAddress asc | limit 10')
def _():
    c = Counter(e["sourceIPAddress"] for e in ev_trail() if "sourceIPAddress" in e and "amazonaws" not in e["sourceIPAddress"])
    return [{"sourceIPAddress": k, "n": str(v)} for k, v in sorted(c.items(), key=lambda kv: (-kv[1], natural(kv[0])))[:10]]


@case("trail", 'filter eventName in ["CreateUser", "DeleteUser", "AttachUserPolicy", "CreateAccessKey"] '
      '| fields eventName, requestParameters.userName | sort eventName asc, requestParameters.userName asc')
def _():
    rs = [e for e in ev_trail() if e.get("eventName") in ("CreateUser", "DeleteUser", "AttachUserPolicy", "CreateAccessKey")]
    rs.sort(key=lambda e: (natural(e["eventName"]), natural_null(e.get("requestParameters.userName"))))
    return [row(eventName=e["eventName"], **{"requestParameters.userName": e.get("requestParameters.userName")}) for e in rs]


@case("trail", 'stats count(*) as n by tlsDetails.tlsVersion | sort tlsDetails.tlsVersion asc')
def _():
    c = Counter(e.get("tlsDetails.tlsVersion") for e in ev_trail())
    return [row(**{"tlsDetails.tlsVersion": k}, n=str(v)) for k, v in sorted(c.items(), key=lambda kv: natural_null(kv[0]))]


@case("trail", 'filter readOnly = 0 or readOnly = "false" | stats count(*) as writes')
def _():
    return [{"writes": str(sum(1 for e in ev_trail() if e.get("readOnly") in (False, 0, "false")))}]


@case("trail", 'filter readOnly = 1 or readOnly = "true" | stats count(*) as reads')
def _():
    # JSON true, whichever way the field is stored (this file also has readOnly as text).
    return [{"reads": str(sum(1 for e in ev_trail() if e.get("readOnly") in (True, "true")))}]


@case("trail", 'stats sum(readOnly) as reads, count(readOnly) as flagged, count(*) as events')
def _():
    ev = ev_trail()
    return [{"reads": str(sum(1 for e in ev if e.get("readOnly") is True)),
             "flagged": str(sum(1 for e in ev if "readOnly" in e)), "events": str(len(ev))}]


@case("trail", 'fields coalesce(userIdentity.userName, userIdentity.sessionContext.sessionIssuer.userName, userIdentity.invokedBy, "unknown") as who '
      '| stats count(*) as n by who | sort n desc, who asc | limit 10')
def _():
    c = Counter()
    for e in ev_trail():
        who = next((e[k] for k in ("userIdentity.userName", "userIdentity.sessionContext.sessionIssuer.userName", "userIdentity.invokedBy") if k in e), "unknown")
        c[leaf(who)] += 1
    return [{"who": k, "n": str(v)} for k, v in sorted(c.items(), key=lambda kv: (-kv[1], natural(kv[0])))[:10]]


def natural(s):
    """Ascending key of the documented Insights sort order (spec §3.5): all non-numbers, then
    numbers; non-numbers by chunks, digit runs by length then value."""
    s = leaf(s)
    if re.fullmatch(r"\d+", s):
        return (1, int(s), len(s))
    # A digit chunk never meets a text chunk starting with a digit, so '0' stands for all digits.
    key = []
    for d, t in re.findall(r"(\d+)|(\D+)", s):
        key.append((48, len(d), int(d)) if d else tuple(ord(c) for c in t))
    return (0, key)


def natural_null(s):
    return (1,) if s is None else (0, natural(s))


# ---- Apache access log (elastic examples) ----

def apache_parsed():
    out = []
    for e in ev_apache():
        m = APACHE_RE.match(e["msg"])
        out.append(dict(e, **(m.groupdict() if m else {})))
    return out


@case("apache", "parse @message '* - * [*] \"* * *\" * *' as host, ident, ts, method, url, proto, status, bytes "
      "| stats count(*) as n by status | sort n desc")
def _():
    c = Counter(e["status"] for e in apache_parsed())
    return [{"status": k, "n": str(v)} for k, v in c.most_common()]


@case("apache", 'parse @message /^(?<ip>\\S+) \\S+ \\S+ \\[[^\\]]+\\] "(?<verb>\\S+) (?<path>\\S+)[^"]*" (?<status>\\d{3}) (?<size>\\S+)/ '
      '| filter status >= 400 | stats count(*) as errors by status, verb | sort errors desc, status asc')
def _():
    c = Counter((e["status"], e["verb"]) for e in apache_parsed() if int(e["status"]) >= 400)
    return [{"status": k[0], "verb": k[1], "errors": str(v)} for k, v in sorted(c.items(), key=lambda kv: (-kv[1], int(kv[0][0])))]


@case("apache", 'parse @message /^(?<ip>\\S+) \\S+ \\S+ \\[[^\\]]+\\] "(?<verb>\\S+) (?<path>\\S+)[^"]*" (?<status>\\d{3}) (?<size>\\S+)/ '
      '| stats count(*) as requests, sum(size) as totalBytes, avg(size) as avgBytes, pct(size, 50) as p50, pct(size, 99) as p99 by verb | sort requests desc')
def _():
    g = defaultdict(list)
    for e in apache_parsed():
        g[e["verb"]].append(e["size"])
    out = []
    for k, v in sorted(g.items(), key=lambda kv: -len(kv[1])):
        n = [int(x) for x in v if x.isdigit()]
        out.append(row(verb=k, requests=str(len(v)), totalBytes=num(sum(n)) if n else None, avgBytes=num(avg(n)) if n else None,
                       p50=num(pct(n, 50)) if n else None, p99=num(pct(n, 99)) if n else None))
    return out


@case("apache", 'stats count(*) as c by bin(1h) | sort c desc, bin(1h) asc | limit 5')
def _():
    c = Counter(bin_ms(e["ts"], 3_600_000) for e in ev_apache())
    return [{"bin(1h)": ts(k), "c": str(v)} for k, v in sorted(c.items(), key=lambda kv: (-kv[1], kv[0]))[:5]]


@case("apache", 'parse @message /(?<ip>\\d+\\.\\d+\\.\\d+\\.\\d+)/ | stats count() by ip | sort `count()` desc, ip asc | limit 10')
def _():
    c = Counter(re.search(r"(\d+\.\d+\.\d+\.\d+)", e["msg"]).group(1) for e in ev_apache())
    return [{"ip": k, "count()": str(v)} for k, v in sorted(c.items(), key=lambda kv: (-kv[1], natural(kv[0])))[:10]]


@case("apache", 'fields strlen(@message) as len | stats avg(len) as avgLen, max(len) as maxLen, min(len) as minLen, sum(len) as total')
def _():
    ls = [len(e["msg"]) for e in ev_apache()]
    return [{"avgLen": num(avg(ls)), "maxLen": str(max(ls)), "minLen": str(min(ls)), "total": str(sum(ls))}]


@case("apache", 'fields strlen(@message) as len | stats avg(len)/1024, max(len), pct(len,90)')
def _():
    # Unaliased columns are named by their expression as written (spec §1.7).
    ls = [len(e["msg"]) for e in ev_apache()]
    return [{"avg(len)/1024": num(avg(ls) / 1024), "max(len)": str(max(ls)), "pct(len,90)": num(pct(ls, 90))}]


@case("apache", 'filter @message like /Googlebot/ | stats count(*) as hits, earliest(@timestamp) as first, latest(@timestamp) as last')
def _():
    es = [e for e in ev_apache() if "Googlebot" in e["msg"]]
    return [{"hits": str(len(es)), "first": ts(min(e["ts"] for e in es)), "last": ts(max(e["ts"] for e in es))}]


@case("apache", 'parse @message \'"GET * HTTP\' as path | filter path like /\\.(png|jpg|gif)$/ | stats count(*) as images')
def _():
    n = 0
    for e in ev_apache():
        i = e["msg"].find('"GET ')
        if i < 0:
            continue
        j = e["msg"].find(" HTTP", i + 5)
        if j < 0:
            continue
        if re.search(r"\.(png|jpg|gif)$", e["msg"][i + 5:j]):
            n += 1
    return [{"images": str(n)}]


@case("apache", 'parse @message /^(?<ip>\\S+) \\S+ \\S+ \\[[^\\]]+\\] "(?<verb>\\S+) (?<path>\\S+)[^"]*" (?<status>\\d{3}) (?<size>\\S+)/ '
      '| stats count(*) as n by datefloor(@timestamp, 1d) as day, status | filter status = 404 | sort day asc')
def _():
    c = Counter((bin_ms(e["ts"], 86_400_000), e["status"]) for e in apache_parsed())
    return [{"day": ts(k[0]), "status": k[1], "n": str(v)} for k, v in sorted(c.items()) if k[1] == "404"]


@case("apache", 'fields @timestamp, @message | sort @timestamp desc | limit 25 | stats count(*) as n, min(@timestamp) as oldest')
def _():
    es = sorted(ev_apache(), key=lambda e: -e["ts"])[:25]
    return [{"n": "25", "oldest": ts(min(e["ts"] for e in es))}]


@case("apache", 'parse @message /^(?<ip>\\S+) / | stats count(*) as n by ip | filter n > 100 | stats count(*) as heavyClients, sum(n) as heavyRequests')
def _():
    c = Counter(e["msg"].split(" ")[0] for e in ev_apache())
    heavy = [v for v in c.values() if v > 100]
    return [{"heavyClients": str(len(heavy)), "heavyRequests": str(sum(heavy))}]


@case("apache", 'parse @message /"(?<ua>[^"]*)"$/ | stats count(*) as n by tolower(substr(ua, 0, 7)) as uaPrefix | sort n desc, uaPrefix asc | limit 5')
def _():
    c = Counter()
    for e in ev_apache():
        m = re.search(r'"([^"]*)"$', e["msg"])
        c[m.group(1)[:7].lower() if m else None] += 1
    return [row(uaPrefix=k, n=str(v)) for k, v in sorted(c.items(), key=lambda kv: (-kv[1], natural_null(kv[0])))[:5]]


@case("apache", 'filter @message like "/favicon.ico" | stats count(*) as n by isIpInSubnet(substr(@message, 0, strlen(@message) - strlen(ltrim(@message, "0123456789."))), "66.249.0.0/16") as google')
def _():
    import ipaddress
    c = Counter()
    for e in ev_apache():
        if "/favicon.ico" in e["msg"]:
            ip = re.match(r"[0-9.]*", e["msg"]).group(0)
            c["1" if ipaddress.ip_address(ip) in ipaddress.ip_network("66.249.0.0/16") else "0"] += 1
    return [{"google": k, "n": str(v)} for k, v in sorted(c.items())]


# ---- OpenSSH (loghub, syslog without a year) ----

@case("ssh", 'filter @message like /Failed password/ | parse @message /from (?<ip>\\d+\\.\\d+\\.\\d+\\.\\d+) port (?<port>\\d+)/ '
      '| stats count(*) as failures by ip | sort failures desc, ip asc | limit 10')
def _():
    c = Counter()
    for e in ev_ssh():
        if "Failed password" in e["msg"]:
            m = re.search(r"from (\d+\.\d+\.\d+\.\d+) port (\d+)", e["msg"])
            c[m.group(1) if m else None] += 1
    return [row(ip=k, failures=str(v)) for k, v in sorted(c.items(), key=lambda kv: (-kv[1], natural_null(kv[0])))[:10]]


@case("ssh", 'parse @message "Invalid user * from *" as user, ip | filter ispresent(user) | stats count(*) as attempts by user | sort attempts desc, user asc | limit 10')
def _():
    c = Counter()
    for e in ev_ssh():
        i = e["msg"].find("Invalid user ")
        if i < 0:
            continue
        rest = e["msg"][i + 13:]
        j = rest.find(" from ")
        if j < 0:
            continue
        c[rest[:j]] += 1
    return [{"user": k, "attempts": str(v)} for k, v in sorted(c.items(), key=lambda kv: (-kv[1], natural(kv[0])))[:10]]


@case("ssh", 'filter @message like /(?i)break-in/ | stats count(*) as n by bin(1h) | sort n desc, bin(1h) asc | limit 5')
def _():
    c = Counter(bin_ms(e["ts"], 3_600_000) for e in ev_ssh() if re.search("(?i)break-in", e["msg"]))
    return [{"bin(1h)": ts(k), "n": str(v)} for k, v in sorted(c.items(), key=lambda kv: (-kv[1], kv[0]))[:5]]


@case("ssh", 'parse @message /sshd\\[(?<pid>\\d+)\\]: (?<text>.*)/ | stats count_distinct(pid) as sessions, count(*) as lines')
def _():
    pids = set()
    n = 0
    for e in ev_ssh():
        m = re.search(r"sshd\[(\d+)\]: (.*)", e["msg"])
        if m:
            pids.add(m.group(1))
        n += 1
    return [{"sessions": str(len(pids)), "lines": str(n)}]


@case("ssh", 'fields @timestamp, @message | filter @message like "Accepted password" or @message like "session opened" | sort @timestamp asc | limit 5', ordered=True)
def _():
    es = [e for e in ev_ssh() if "Accepted password" in e["msg"] or "session opened" in e["msg"]]
    es.sort(key=lambda e: e["ts"])
    return [{"@timestamp": ts(e["ts"]), "@message": e["msg"]} for e in es[:5]]


@case("ssh", 'stats count(*) as n by datefloor(@timestamp, 1d) as day | sort day asc')
def _():
    c = Counter(bin_ms(e["ts"], 86_400_000) for e in ev_ssh())
    return [{"day": ts(k), "n": str(v)} for k, v in sorted(c.items())]


@case("ssh", 'filter @message like /Failed password/ | parse @message /for (invalid user )?(?<user>\\S+) from/ '
      '| stats count(*) as n by user | sort n desc, user asc | limit 5')
def _():
    c = Counter()
    for e in ev_ssh():
        if "Failed password" in e["msg"]:
            m = re.search(r"for (invalid user )?(\S+) from", e["msg"])
            c[m.group(2) if m else None] += 1
    return [row(user=k, n=str(v)) for k, v in sorted(c.items(), key=lambda kv: (-kv[1], natural_null(kv[0])))[:5]]


@case("ssh", 'fields toMillis(@timestamp) - toMillis(datefloor(@timestamp, 1h)) as intoHour | stats max(intoHour) as mx, min(intoHour) as mn')
def _():
    xs = [e["ts"] % 3_600_000 for e in ev_ssh()]
    return [{"mx": str(max(xs)), "mn": str(min(xs))}]


# ---- Zookeeper (loghub, log4j with comma fractions) ----

def zk_level(msg):
    m = re.match(r"\S+ \S+ - (\w+)\s", msg)
    return m.group(1) if m else None


@case("zk", 'parse @message "* * - *  [*] - *" as d, t, level, thread, text | stats count(*) as n by level | sort n desc')
def _():
    c = Counter()
    for e in ev_zk():
        # Glob: the first " - " after the time, then the first "  [", then "] - ".
        m = re.match(r"(.*?) (.*?) - (.*?)  \[(.*?)\] - (.*)", e["msg"], re.S)
        c[m.group(3) if m else None] += 1
    return [row(level=k, n=str(v)) for k, v in sorted(c.items(), key=lambda kv: -kv[1])]


@case("zk", 'filter @message like /WARN|ERROR/ | stats count(*) as problems by bin(30m) | sort problems desc, bin(30m) asc | limit 5')
def _():
    c = Counter(bin_ms(e["ts"], 1_800_000) for e in ev_zk() if re.search("WARN|ERROR", e["msg"]))
    return [{"bin(30m)": ts(k), "problems": str(v)} for k, v in sorted(c.items(), key=lambda kv: (-kv[1], kv[0]))[:5]]


@case("zk", 'filter @message like /Exception/ | stats count(*) as exceptionCount by bin(1h) | sort exceptionCount desc | limit 3')
def _():
    c = Counter(bin_ms(e["ts"], 3_600_000) for e in ev_zk() if "Exception" in e["msg"])
    # Equal counts keep the order stats gave its groups: ascending by the `by` terms.
    top = sorted(c.items(), key=lambda kv: (-kv[1], kv[0]))
    return [{"bin(1h)": ts(k), "exceptionCount": str(v)} for k, v in top[:3]]


@case("zk", 'parse @message /\\[(?<thread>[^\\]]+)\\]/ | parse thread /(?<component>[A-Za-z$]+)@\\d+$/ '
      '| stats count(*) as n by component | sort n desc, component asc | limit 8')
def _():
    c = Counter()
    for e in ev_zk():
        m = re.search(r"\[([^\]]+)\]", e["msg"])
        comp = None
        if m:
            m2 = re.search(r"([A-Za-z$]+)@\d+$", m.group(1))
            comp = m2.group(1) if m2 else None
        c[comp] += 1
    return [row(component=k, n=str(v)) for k, v in sorted(c.items(), key=lambda kv: (-kv[1], natural_null(kv[0])))[:8]]


@case("zk", 'fields @timestamp, @message | filter @message like "Notification time out" | parse @message "time out: *" as timeout '
      '| stats max(timeout) as maxTimeout, min(timeout) as minTimeout, avg(timeout) as avgTimeout, stddev(timeout) as sd')
def _():
    xs = []
    for e in ev_zk():
        if "Notification time out" in e["msg"]:
            xs.append(int(e["msg"].split("time out: ", 1)[1]))
    mu = avg(xs)
    return [{"maxTimeout": str(max(xs)), "minTimeout": str(min(xs)), "avgTimeout": num(mu),
             "sd": num(math.sqrt(sum((x - mu) ** 2 for x in xs) / len(xs)))}]


# ---- Kafka controller (log4j, bracketed time) ----

@case("kafka", 'parse @message "[*] * [*]: *" as time, level, component, text | stats count(*) as n by level, component | sort n desc, component asc | limit 10')
def _():
    c = Counter()
    for e in ev_kafka():
        m = re.search(r"\[(.*?)\] (.*?) \[(.*?)\]: (.*)", e["msg"], re.S)
        c[(m.group(2), m.group(3)) if m else (None, None)] += 1
    return [row(level=k[0], component=k[1], n=str(v)) for k, v in sorted(c.items(), key=lambda kv: (-kv[1], natural_null(kv[0][1])))[:10]]


@case("kafka", 'filter @message like /(?i)error/ | fields @timestamp, @message | sort @timestamp asc | limit 3')
def _():
    es = sorted((e for e in ev_kafka() if re.search("(?i)error", e["msg"])), key=lambda e: e["ts"])
    return [{"@timestamp": ts(e["ts"]), "@message": e["msg"]} for e in es[:3]]


@case("kafka", 'stats count(*) as n by bin(1m) | sort n desc, bin(1m) asc | limit 3')
def _():
    c = Counter(bin_ms(e["ts"], 60_000) for e in ev_kafka())
    return [{"bin(1m)": ts(k), "n": str(v)} for k, v in sorted(c.items(), key=lambda kv: (-kv[1], kv[0]))[:3]]


# ---- NGINX Plus status documents (nested JSON, names that need backticks) ----

def ev_nginx():
    out = []
    for l in lines(GROUPS["nginx"]):
        d = json.loads(l)
        out.append(flatten(d) | {"ts": d["timestamp"]})
    return out


@case("nginx", 'stats max(connections.active) as mx, avg(connections.active) as a, sum(requests.current) as s, count(*) as n')
def _():
    es = ev_nginx()
    xs = [e["connections.active"] for e in es]
    return [{"mx": num(max(xs)), "a": num(avg(xs)), "s": num(sum(e["requests.current"] for e in es)), "n": str(len(es))}]


@case("nginx", 'stats count(*) by `upstreams.trac-backend.peers.1.state`, `upstreams.trac-backend.peers.1.backup`')
def _():
    c = Counter((e.get("upstreams.trac-backend.peers.1.state"), e.get("upstreams.trac-backend.peers.1.backup")) for e in ev_nginx())
    return [row(**{"upstreams.trac-backend.peers.1.state": k[0], "upstreams.trac-backend.peers.1.backup": leaf(k[1]),
                   "count(*)": str(v)}) for k, v in sorted(c.items())]


@case("nginx", 'fields `server_zones.hg.nginx.org.responses.5xx` / `server_zones.hg.nginx.org.responses.total` * 100 as errPct '
      '| stats max(errPct) as worst, min(errPct) as best')
def _():
    xs = [e["server_zones.hg.nginx.org.responses.5xx"] / e["server_zones.hg.nginx.org.responses.total"] * 100 for e in ev_nginx()]
    return [{"worst": num(max(xs)), "best": num(min(xs))}]


@case("nginx", 'stats latest(requests.total) - earliest(requests.total) as served, '
      'count(*) as samples by bin(1h) | sort served desc | limit 3')
def _():
    g = defaultdict(list)
    for e in ev_nginx():
        g[bin_ms(e["ts"], 3_600_000)].append(e)
    rows_ = []
    for k, v in sorted(g.items()):
        first = min(v, key=lambda e: e["ts"])
        last = max(v, key=lambda e: e["ts"])
        rows_.append((k, last["requests.total"] - first["requests.total"], len(v)))
    rows_.sort(key=lambda r: -r[1])
    return [{"bin(1h)": ts(k), "served": num(sv), "samples": str(n)} for k, sv, n in rows_[:3]]


# ---- more command and function families over the same files ----

@case("ssh", 'parse @message /sshd\\[(?<pid>\\d+)\\]: (?<text>.*)/ | filter ispresent(pid) | sort @timestamp asc '
      '| display pid, text | dedup pid | limit 5')
def _():
    seen, out = set(), []
    for e in sorted(ev_ssh(), key=lambda e: e["ts"]):  # stable: arrival order within a second
        m = re.search(r"sshd\[(\d+)\]: (.*)", e["msg"])
        if m and m.group(1) not in seen:
            seen.add(m.group(1))
            out.append({"pid": m.group(1), "text": m.group(2)})
    return out[:5]


@case("ssh", '# failed logins per user, then how many users share each count\n'
      'filter @message like "Failed password" | parse @message /for (invalid user )?(?<user>\\S+) from/\n'
      '| stats count(*) as failures by user | stats count(*) as users by failures | sort failures desc | limit 5')
def _():
    c = Counter()
    for e in ev_ssh():
        if "Failed password" in e["msg"]:
            m = re.search(r"for (invalid user )?(\S+) from", e["msg"])
            if m:
                c[m.group(2)] += 1
    d = Counter(c.values())
    return [{"failures": str(k), "users": str(v)} for k, v in sorted(d.items(), key=lambda kv: -kv[0])[:5]]


@case("ssh", 'filter @message like /Received disconnect/ | parse @message "Received disconnect from *: *: *" as ip, code, reason '
      '| stats count_distinct(ip) as ips, count(*) as n by code | sort n desc, code asc')
def _():
    g = defaultdict(list)
    for e in ev_ssh():
        if "Received disconnect" in e["msg"]:
            m = re.search(r"Received disconnect from (.*?): (.*?): (.*)", e["msg"], re.S)
            if m:
                g[m.group(2)].append(m.group(1))
            else:
                g[None].append(None)
    return [row(code=k, ips=str(len({x for x in v if x is not None})), n=str(len(v)))
            for k, v in sorted(g.items(), key=lambda kv: (-len(kv[1]), natural_null(kv[0])))]


@case("ssh", 'fields tolower(substr(@message, 16, 5)) as host, strlen(@message) as len, replace(@message, "sshd", "SSHD") as m '
      '| filter m like "SSHD[" | stats count(*) as n, max(len) as longest by host')
def _():
    es = [e for e in ev_ssh() if "SSHD[" in e["msg"].replace("sshd", "SSHD")]
    g = defaultdict(list)
    for e in es:
        g[e["msg"][16:21].lower()].append(len(e["msg"]))
    return [{"host": k, "n": str(len(v)), "longest": str(max(v))} for k, v in sorted(g.items())]


@case("ssh", 'filter @message like "Failed password" | parse @message /port (?<port>\\d+)/ '
      '| stats min(port) as lo, max(port) as hi, avg(port) as mean, variance(port) as var, sortsFirst(port) as first, sortsLast(port) as last')
def _():
    xs = []
    for e in ev_ssh():
        if "Failed password" in e["msg"]:
            m = re.search(r"port (\d+)", e["msg"])
            if m:
                xs.append(int(m.group(1)))
    mu = avg(xs)
    return [{"lo": str(min(xs)), "hi": str(max(xs)), "mean": num(mu), "var": num(sum((x - mu) ** 2 for x in xs) / len(xs)),
             "first": str(min(xs)), "last": str(max(xs))}]


@case("ssh", 'fields datefloor(@timestamp, 15m) as q, dateceil(@timestamp, 15m) as qc, formatDate(@timestamp, "%H:%M") as hm '
      '| stats count(*) as n by q, qc | sort n desc, q asc | limit 3')
def _():
    c = Counter()
    for e in ev_ssh():
        f = bin_ms(e["ts"], 900_000)
        cl = f if f == e["ts"] else f + 900_000
        c[(f, cl)] += 1
    return [{"q": ts(k[0]), "qc": ts(k[1]), "n": str(v)} for k, v in sorted(c.items(), key=lambda kv: (-kv[1], kv[0]))[:3]]


@case("zk", 'filter @message like "Notification time out" | fields @timestamp, toMillis(@timestamp) as ms, fromMillis(toMillis(@timestamp) - 1000) as before '
      '| sort @timestamp asc | limit 3')
def _():
    es = sorted((e for e in ev_zk() if "Notification time out" in e["msg"]), key=lambda e: e["ts"])[:3]
    return [{"@timestamp": ts(e["ts"]), "ms": str(e["ts"]), "before": ts(e["ts"] - 1000)} for e in es]


@case("zk", 'parse @message /- (?<level>[A-Z]+)\\s+\\[(?<thread>[^\\]]*)\\] - (?<text>.*)/ '
      '| filter level not in ["INFO", "DEBUG"] and text not like /Interrupted/ | stats count(*) as n by level')
def _():
    c = Counter()
    for e in ev_zk():
        m = re.search(r"- ([A-Z]+)\s+\[([^\]]*)\] - (.*)", e["msg"])
        if m and m.group(1) not in ("INFO", "DEBUG") and not re.search("Interrupted", m.group(3)):
            c[m.group(1)] += 1
    return [{"level": k, "n": str(v)} for k, v in sorted(c.items())]


@case("zk", 'fields coalesce(nosuchfield, "none") as c, isblank(nosuchfield) as b, isempty("") as e, ispresent(@message) as p '
      '| stats count(*) as n by c, b, e, p')
def _():
    return [{"c": "none", "b": "1", "e": "1", "p": "1", "n": str(len(ev_zk()))}]


@case("zk", 'filter @message =~ /(?i)connection (broken|request)/ | stats count(*) as n by strcontains(@message, "broken") as broken')
def _():
    c = Counter()
    for e in ev_zk():
        if re.search(r"(?i)connection (broken|request)", e["msg"]):
            c["1" if "broken" in e["msg"] else "0"] += 1
    return [{"broken": k, "n": str(v)} for k, v in sorted(c.items())]


@case("kafka", 'parse @message "[*] * [*]: *" as time, level, component, text | filter level = "INFO" '
      '| stats earliest(text) as firstText, latest(@timestamp) as lastAt, count(*) as n')
def _():
    es = []
    for e in ev_kafka():
        m = re.search(r"\[(.*?)\] (.*?) \[(.*?)\]: (.*)", e["msg"], re.S)
        if m and m.group(2) == "INFO":
            es.append((e["ts"], m.group(4)))
    first = min(es, key=lambda x: x[0])  # min keeps the first of equal times
    return [{"firstText": first[1], "lastAt": ts(max(t for t, _ in es)), "n": str(len(es))}]


@case("kafka", 'fields @timestamp, @message | filter @message like "leader imbalance" | parse @message /broker (?<broker>\\d+) is (?<ratio>[0-9.]+)/ '
      '| stats count(*) as checks, max(ratio) as worst by broker | display broker, checks, worst')
def _():
    g = defaultdict(list)
    for e in ev_kafka():
        if "leader imbalance" in e["msg"]:
            m = re.search(r"broker (\d+) is ([0-9.]+)", e["msg"])
            if m:
                g[m.group(1)].append(m.group(2))
            else:
                g[None].append(None)
    # max of captured text that reads as numbers: the largest by value, shown as written.
    return [row(broker=k, checks=str(len(v)), worst=max((x for x in v if x is not None), key=float, default=None))
            for k, v in sorted(g.items(), key=lambda kv: natural_null(kv[0]))]


@case("trail", 'filter eventSource = "iam.amazonaws.com" | fields eventName, userIdentity.type as who '
      '| stats count(*) as n by eventName, who | sort n desc, eventName asc, who asc | limit 10')
def _():
    c = Counter((e.get("eventName"), e.get("userIdentity.type")) for e in ev_trail() if e.get("eventSource") == "iam.amazonaws.com")
    return [row(eventName=k[0], who=k[1], n=str(v)) for k, v in sorted(c.items(), key=lambda kv: (-kv[1], natural_null(kv[0][0]), natural_null(kv[0][1])))[:10]]


@case("trail", 'filter ispresent(userIdentity.arn) | parse userIdentity.arn "arn:aws:*::*:*" as service, account, principal '
      '| stats count(*) as n by service | sort n desc, service asc')
def _():
    c = Counter()
    for e in ev_trail():
        if "userIdentity.arn" in e:
            m = re.search(r"arn:aws:(.*?)::(.*?):(.*)", e["userIdentity.arn"], re.S)
            c[m.group(1) if m else None] += 1
    return [row(service=k, n=str(v)) for k, v in sorted(c.items(), key=lambda kv: (-kv[1], natural_null(kv[0])))]


@case("trail", 'filter eventName like /^Delete/ or eventName like /^Put/ | stats count(*) as n by eventSource | sort n desc, eventSource asc | limit 5')
def _():
    c = Counter(e["eventSource"] for e in ev_trail() if re.search("^Delete", e.get("eventName", "")) or re.search("^Put", e.get("eventName", "")))
    return [{"eventSource": k, "n": str(v)} for k, v in sorted(c.items(), key=lambda kv: (-kv[1], natural(kv[0])))[:5]]


@case("trail", 'filter isIpInSubnet(sourceIPAddress, "10.0.0.0/8") or isIpInSubnet(sourceIPAddress, "192.168.0.0/16") or isIpInSubnet(sourceIPAddress, "172.16.0.0/12") '
      '| stats count(*) as privateCalls')
def _():
    import ipaddress
    nets = [ipaddress.ip_network(n) for n in ("10.0.0.0/8", "192.168.0.0/16", "172.16.0.0/12")]
    n = 0
    for e in ev_trail():
        try:
            ip = ipaddress.ip_address(e.get("sourceIPAddress", ""))
        except ValueError:
            continue
        n += any(ip.version == 4 and ip in net for net in nets)
    return [{"privateCalls": str(n)}]


@case("apache", 'parse @message /^(?<ip>\\S+) \\S+ \\S+ \\[[^\\]]+\\] "(?<verb>\\S+) (?<path>\\S+)[^"]*" (?<status>\\d{3}) (?<size>\\S+)/ '
      '| filter status = 404 | stats count(*) as misses by path | sort misses desc, path asc | limit 5')
def _():
    c = Counter(e["path"] for e in apache_parsed() if e["status"] == "404")
    return [{"path": k, "misses": str(v)} for k, v in sorted(c.items(), key=lambda kv: (-kv[1], natural(kv[0])))[:5]]


@case("apache", 'parse @message /^(?<ip>\\S+) / | stats count(*) as requests by ip | sort requests desc | limit 3 | display ip')
def _():
    c = Counter(e["msg"].split(" ")[0] for e in ev_apache())
    top = sorted(c.items(), key=lambda kv: (-kv[1], natural(kv[0])))
    return [{"ip": k} for k, _ in top[:3]]


@case("apache", 'stats count(*) as hits by bin(1d) as day, strcontains(@message, "Googlebot") as google | sort day asc, google asc')
def _():
    c = Counter((bin_ms(e["ts"], 86_400_000), "1" if "Googlebot" in e["msg"] else "0") for e in ev_apache())
    return [{"day": ts(k[0]), "google": k[1], "hits": str(v)} for k, v in sorted(c.items())]


@case("lambda", 'fields @timestamp, @message, @logStream, @log | filter @message like "END RequestId" | display @logStream, @log')
def _():
    doc = json.loads(read_text(GROUPS["lambda"]))
    return [{"@logStream": doc["logStream"], "@log": "000000000000:lambda"} for e in ev_lambda() if "END RequestId" in e["msg"]]


@case("nginx", 'fields `server_zones.trac.nginx.org.requests` - `server_zones.trac.nginx.org.responses.total` as pending '
      '| stats min(pending) as lo, max(pending) as hi, pct(pending, 50) as median')
def _():
    xs = [e["server_zones.trac.nginx.org.requests"] - e["server_zones.trac.nginx.org.responses.total"] for e in ev_nginx()]
    return [{"lo": num(min(xs)), "hi": num(max(xs)), "median": num(pct(xs, 50))}]


def main():
    for group, path in GROUPS.items():
        args = ["--year", str(SYSLOG_YEAR)] if group == "ssh" else []
        print(json.dumps({"group": group, "file": path, "args": args}))
    for group, query, ordered, fn in CASES:
        rows = fn()
        print(json.dumps({"group": group, "query": query, "ordered": ordered, "rows": rows}, ensure_ascii=False))


if __name__ == "__main__":
    main()
