//! The seeded log generator: JSON application logs, text logs from templates, AWS-shaped logs.
//!
//! Every line starts with an export-style ISO-8601 prefix (`2026-11-01T00:00:00.000Z message`),
//! so `loupe ingest` takes real timestamps from it. Timestamps strictly increase within a file
//! (ties would make `sort @timestamp desc | limit 20` ambiguous when systems are compared) and
//! spread over [`Config::span_days`] days from 2026-11-01.
//!
//! The output is a pure function of the seed and the sizes: the same [`Config`] gives the same
//! bytes on every machine (a splitmix64 PRNG, integer arithmetic only for what is written).
//!
//! What the JSON covers, for queries and compression alike: nested objects (`http.*`, `user.*`),
//! integers, floats, booleans, arrays (`tags`), a sparse object (`error`, about 4 % of events),
//! a field with mixed types (`code`: a number or a string), low-cardinality `level` and
//! `service`, high-cardinality `user.id` and `req_id`, numeric `latency_ms` and `http.status`,
//! and a rare needle token ([`JSON_NEEDLE`]) inside `msg`. The text file mixes syslog/sshd
//! (including `Failed password for X from IP port N ssh2`), HDFS, Spark and Apache access lines
//! and carries [`TEXT_NEEDLE`]. The AWS file mixes Lambda START/END/REPORT lines, VPC flow logs
//! v2 and CloudTrail records.

use std::fmt::Write as _;
use std::io::{self, Write};

/// The rare token hidden in some JSON events' `msg` (query 5).
pub const JSON_NEEDLE: &str = "qx7needle3f";
/// The rare token hidden in some text lines (query 9).
pub const TEXT_NEEDLE: &str = "zv9rareTOKEN";

/// One needle per this many events, on average.
const NEEDLE_EVERY: u64 = 40_000;

/// 2026-11-01T00:00:00Z in epoch milliseconds.
pub const START_MS: i64 = 1_793_491_200_000;

/// What to generate.
#[derive(Debug, Clone)]
pub struct Config {
    pub seed: u64,
    /// Bytes to write (the file stops at the first line past this size).
    pub bytes: u64,
    /// Days the timestamps spread over.
    pub span_days: u32,
}

/// What a generator wrote: the ground truth a harness can check answers against.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Summary {
    pub events: u64,
    pub bytes: u64,
    pub needles: u64,
    pub first_ms: i64,
    pub last_ms: i64,
}

/// splitmix64: tiny, fast, and good enough for test data.
#[derive(Debug, Clone)]
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Rng {
        Rng(seed ^ 0x5DEE_CE66_D1CE_4E5B)
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in `0..n` (`n > 0`).
    pub fn below(&mut self, n: u64) -> u64 {
        ((u128::from(self.next_u64()) * u128::from(n)) >> 64) as u64
    }

    /// Skewed towards small values in `0..n`: a few values are common, most are rare.
    pub fn skewed(&mut self, n: u64) -> u64 {
        let k = self.below(n) + 1;
        self.below(k)
    }

    /// True with probability `1 / n`.
    pub fn one_in(&mut self, n: u64) -> bool {
        self.below(n) == 0
    }

    pub fn pick<'a, T>(&mut self, xs: &'a [T]) -> &'a T {
        &xs[self.below(xs.len() as u64) as usize]
    }

    /// Index chosen with the given integer weights.
    pub fn weighted(&mut self, weights: &[u32]) -> usize {
        let total: u64 = weights.iter().map(|&w| u64::from(w)).sum();
        let mut x = self.below(total);
        for (i, &w) in weights.iter().enumerate() {
            if x < u64::from(w) {
                return i;
            }
            x -= u64::from(w);
        }
        weights.len() - 1
    }
}

/// Strictly increasing timestamps, spread evenly on average over the span.
#[derive(Debug)]
struct Clock {
    ms: i64,
    mean_step: u64,
}

impl Clock {
    fn new(cfg: &Config, avg_line: u64) -> Clock {
        let events = (cfg.bytes / avg_line).max(1);
        let span = u64::from(cfg.span_days.max(1)) * 86_400_000;
        Clock {
            ms: START_MS,
            mean_step: (span / events).max(1),
        }
    }

    fn tick(&mut self, rng: &mut Rng) -> i64 {
        self.ms += 1 + rng.below(2 * self.mean_step) as i64;
        self.ms
    }
}

/// (year, month, day) of a day count since 1970-01-01 (H. Hinnant's `civil_from_days`).
fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let y = yoe + era * 400 + i64::from(m <= 2);
    (y, m, d)
}

struct Parts {
    y: i64,
    mo: u32,
    d: u32,
    h: i64,
    mi: i64,
    s: i64,
    ms: i64,
}

fn parts(ms: i64) -> Parts {
    let days = ms.div_euclid(86_400_000);
    let rem = ms.rem_euclid(86_400_000);
    let (y, mo, d) = civil_from_days(days);
    Parts {
        y,
        mo,
        d,
        h: rem / 3_600_000,
        mi: rem / 60_000 % 60,
        s: rem / 1000 % 60,
        ms: rem % 1000,
    }
}

/// `2026-11-01T00:00:00.000Z`
pub fn iso(out: &mut String, ms: i64) {
    let p = parts(ms);
    let _ = write!(
        out,
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:03}Z",
        p.y, p.mo, p.d, p.h, p.mi, p.s, p.ms
    );
}

/// `01/Nov/2026:00:00:00 +0000` (Apache access logs).
fn clf_time(out: &mut String, ms: i64) {
    const MONTHS: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    let p = parts(ms);
    let _ = write!(
        out,
        "{:02}/{}/{:04}:{:02}:{:02}:{:02} +0000",
        p.d,
        MONTHS[(p.mo - 1) as usize],
        p.y,
        p.h,
        p.mi,
        p.s
    );
}

fn hex(out: &mut String, rng: &mut Rng, digits: usize) {
    let mut left = digits;
    while left > 0 {
        let n = left.min(16);
        let v = rng.next_u64() >> (64 - 4 * n as u32);
        let _ = write!(out, "{v:0n$x}");
        left -= n;
    }
}

fn uuid(out: &mut String, rng: &mut Rng) {
    hex(out, rng, 8);
    out.push('-');
    hex(out, rng, 4);
    out.push('-');
    hex(out, rng, 4);
    out.push('-');
    hex(out, rng, 4);
    out.push('-');
    hex(out, rng, 12);
}

fn public_ip(out: &mut String, rng: &mut Rng) {
    let a = [23u64, 45, 61, 91, 103, 185, 198, 203][rng.below(8) as usize];
    let _ = write!(
        out,
        "{a}.{}.{}.{}",
        rng.below(256),
        rng.below(256),
        1 + rng.below(254)
    );
}

/// One of a few hundred attacker addresses, heavily skewed (query 8 ranks them).
fn attacker_ip(out: &mut String, rng: &mut Rng) {
    let i = rng.skewed(400);
    let _ = write!(out, "198.51.{}.{}", i / 200, 1 + i % 200);
}

fn private_ip(out: &mut String, rng: &mut Rng) {
    let _ = write!(out, "10.0.{}.{}", rng.below(16), 1 + rng.below(254));
}

/// Drives one line generator until the byte budget is spent.
fn drive(
    cfg: &Config,
    avg_line: u64,
    salt: u64,
    mut w: impl Write,
    mut line: impl FnMut(&mut String, &mut Rng, i64) -> bool,
) -> io::Result<Summary> {
    let mut rng = Rng::new(cfg.seed.wrapping_mul(0x2545_F491_4F6C_DD1D) ^ salt);
    let mut clock = Clock::new(cfg, avg_line);
    let mut buf = String::with_capacity(1024);
    let mut sum = Summary::default();
    while sum.bytes < cfg.bytes {
        buf.clear();
        let ms = clock.tick(&mut rng);
        iso(&mut buf, ms);
        buf.push(' ');
        if line(&mut buf, &mut rng, ms) {
            sum.needles += 1;
        }
        buf.push('\n');
        w.write_all(buf.as_bytes())?;
        if sum.events == 0 {
            sum.first_ms = ms;
        }
        sum.last_ms = ms;
        sum.events += 1;
        sum.bytes += buf.len() as u64;
    }
    w.flush()?;
    Ok(sum)
}

const SERVICES: [&str; 12] = [
    "checkout",
    "payments",
    "catalog",
    "search",
    "auth",
    "cart",
    "shipping",
    "inventory",
    "reviews",
    "recommend",
    "gateway",
    "notify",
];
const SERVICE_WEIGHTS: [u32; 12] = [30, 12, 25, 20, 15, 14, 6, 8, 3, 5, 40, 2];
const LEVELS: [&str; 4] = ["DEBUG", "INFO", "WARN", "ERROR"];
const LEVEL_WEIGHTS: [u32; 4] = [15, 70, 10, 5];
const STATUSES: [u32; 14] = [
    200, 201, 204, 301, 304, 400, 401, 403, 404, 429, 500, 502, 503, 504,
];
const STATUS_WEIGHTS: [u32; 14] = [700, 40, 30, 10, 30, 25, 15, 8, 40, 10, 12, 5, 4, 3];
const METHODS: [&str; 5] = ["GET", "POST", "PUT", "DELETE", "PATCH"];
const METHOD_WEIGHTS: [u32; 5] = [60, 25, 8, 4, 3];
const RESOURCES: [&str; 8] = [
    "orders", "users", "items", "carts", "payments", "sessions", "search", "health",
];
const PLANS: [&str; 4] = ["free", "pro", "team", "enterprise"];
const REGIONS: [&str; 4] = ["us-east-1", "us-west-2", "eu-west-1", "ap-southeast-2"];
const TAGS: [&str; 6] = ["web", "mobile", "batch", "canary", "beta", "internal"];
const MESSAGES: [&str; 8] = [
    "request completed",
    "request started",
    "cache miss",
    "upstream call",
    "slow query",
    "retrying request",
    "validation failed",
    "connection reset by peer",
];
const ERROR_KINDS: [&str; 5] = [
    "timeout",
    "connection_refused",
    "deadlock",
    "invalid_input",
    "throttled",
];

/// JSON application logs (one object per line after the timestamp prefix).
pub fn write_json(cfg: &Config, w: impl Write) -> io::Result<Summary> {
    drive(cfg, 360, 0x4A53_4F4E, w, |out, rng, ms| {
        let level = LEVELS[rng.weighted(&LEVEL_WEIGHTS)];
        let service = SERVICES[rng.weighted(&SERVICE_WEIGHTS)];
        let status = STATUSES[rng.weighted(&STATUS_WEIGHTS)];
        let needle = rng.one_in(NEEDLE_EVERY);
        out.push_str("{\"time\":\"");
        iso(out, ms);
        let _ = write!(
            out,
            "\",\"level\":\"{level}\",\"service\":\"{service}\",\"msg\":\"{}",
            rng.pick(&MESSAGES)
        );
        if needle {
            let _ = write!(out, " trace={JSON_NEEDLE}");
        }
        out.push_str("\",\"req_id\":\"");
        hex(out, rng, 16);
        // About 1 event in 12 is anonymous (no `user` object at all): a sparse nested field.
        if !rng.one_in(12) {
            let _ = write!(
                out,
                "\",\"user\":{{\"id\":\"u-{}\",\"plan\":\"{}\"}}",
                rng.skewed(250_000),
                rng.pick(&PLANS)
            );
        } else {
            out.push('"');
        }
        let method = METHODS[rng.weighted(&METHOD_WEIGHTS)];
        let _ = write!(
            out,
            ",\"http\":{{\"method\":\"{method}\",\"path\":\"/api/v{}/{}/{}\",\"status\":{status},\"bytes\":{}}}",
            1 + rng.below(2),
            rng.pick(&RESOURCES),
            rng.below(100_000),
            rng.skewed(200_000)
        );
        // Latency in tenths of a millisecond, long-tailed; slower on errors.
        let mut tenths = 5 + rng.skewed(3_000) + rng.below(200);
        if status >= 500 {
            tenths += 2_000 + rng.below(20_000);
        }
        if rng.one_in(200) {
            tenths += rng.below(300_000);
        }
        let _ = write!(
            out,
            ",\"latency_ms\":{}.{},\"cached\":{},\"region\":\"{}\"",
            tenths / 10,
            tenths % 10,
            rng.one_in(3),
            rng.pick(&REGIONS)
        );
        // Arrays of zero to three tags.
        out.push_str(",\"tags\":[");
        for i in 0..rng.below(4) {
            if i > 0 {
                out.push(',');
            }
            let _ = write!(out, "\"{}\"", rng.pick(&TAGS));
        }
        out.push(']');
        // `code`: a number for most events, a string for some (a field with mixed types).
        if status >= 400 && rng.one_in(2) {
            let _ = write!(out, ",\"code\":\"E{status}_{}\"", rng.pick(&ERROR_KINDS));
        } else {
            let _ = write!(out, ",\"code\":{status}");
        }
        if level == "ERROR" || rng.one_in(50) {
            let _ = write!(
                out,
                ",\"error\":{{\"kind\":\"{}\",\"retryable\":{},\"attempt\":{}}}",
                rng.pick(&ERROR_KINDS),
                rng.one_in(2),
                1 + rng.below(5)
            );
        }
        if rng.one_in(20) {
            let _ = write!(
                out,
                ",\"feature_flags\":{{\"new_checkout\":{}}}",
                rng.one_in(2)
            );
        }
        out.push('}');
        needle
    })
}

const HOSTS: [&str; 6] = [
    "ip-10-0-1-23",
    "ip-10-0-1-57",
    "ip-10-0-2-11",
    "ip-10-0-3-98",
    "bastion-1",
    "bastion-2",
];
const USERS: [&str; 10] = [
    "root", "admin", "ubuntu", "oracle", "test", "postgres", "git", "deploy", "user", "pi",
];

/// Text logs from templates: syslog/sshd, HDFS, Spark and Apache access styles.
pub fn write_text(cfg: &Config, w: impl Write) -> io::Result<Summary> {
    drive(cfg, 126, 0x5445_5854, w, |out, rng, ms| {
        let needle = rng.one_in(NEEDLE_EVERY);
        match rng.weighted(&[30, 12, 20, 15, 23]) {
            0 => sshd(out, rng),
            1 => syslog(out, rng),
            2 => hdfs(out, rng),
            3 => spark(out, rng),
            _ => apache(out, rng, ms),
        }
        if needle {
            let _ = write!(out, " [audit token={TEXT_NEEDLE}]");
        }
        needle
    })
}

fn sshd(out: &mut String, rng: &mut Rng) {
    let _ = write!(
        out,
        "{} sshd[{}]: ",
        rng.pick(&HOSTS),
        1000 + rng.below(60_000)
    );
    let user = rng.pick(&USERS);
    let port = 1024 + rng.below(64_000);
    match rng.weighted(&[40, 15, 10, 15, 10, 10]) {
        0 => {
            let _ = write!(out, "Failed password for {user} from ");
            attacker_ip(out, rng);
            let _ = write!(out, " port {port} ssh2");
        }
        1 => {
            let _ = write!(out, "Failed password for invalid user {user} from ");
            attacker_ip(out, rng);
            let _ = write!(out, " port {port} ssh2");
        }
        2 => {
            let _ = write!(out, "Accepted publickey for {user} from ");
            private_ip(out, rng);
            let _ = write!(out, " port {port} ssh2: RSA SHA256:");
            hex(out, rng, 32);
        }
        3 => {
            let _ = write!(out, "Received disconnect from ");
            attacker_ip(out, rng);
            let _ = write!(out, " port {port}:11: Bye Bye [preauth]");
        }
        4 => {
            let _ = write!(out, "Connection closed by authenticating user {user} ");
            attacker_ip(out, rng);
            let _ = write!(out, " port {port} [preauth]");
        }
        _ => {
            out.push_str("pam_unix(sshd:auth): authentication failure; logname= uid=0 euid=0 tty=ssh ruser= rhost=");
            attacker_ip(out, rng);
        }
    }
}

fn syslog(out: &mut String, rng: &mut Rng) {
    let host = rng.pick(&HOSTS);
    match rng.below(4) {
        0 => {
            let _ = write!(
                out,
                "{host} systemd[1]: Started Session {} of user {}.",
                rng.below(100_000),
                rng.pick(&USERS)
            );
        }
        1 => {
            let _ = write!(
                out,
                "{host} CRON[{}]: (root) CMD (run-parts /etc/cron.hourly)",
                1000 + rng.below(60_000)
            );
        }
        2 => {
            let _ = write!(
                out,
                "{host} kernel: [{}.{:06}] eth0: link up, {} Mbps, full duplex",
                rng.below(10_000_000),
                rng.below(1_000_000),
                [100, 1000, 10_000][rng.below(3) as usize]
            );
        }
        _ => {
            let _ = write!(
                out,
                "{host} dhclient[{}]: DHCPACK of 10.0.{}.{} from 10.0.0.1",
                1000 + rng.below(60_000),
                rng.below(16),
                1 + rng.below(254)
            );
        }
    }
}

fn hdfs(out: &mut String, rng: &mut Rng) {
    let block = rng.next_u64() as i64;
    match rng.below(4) {
        0 => {
            let _ = write!(
                out,
                "INFO dfs.DataNode$PacketResponder: PacketResponder {} for block blk_{block} terminating",
                rng.below(3)
            );
        }
        1 => {
            let _ = write!(
                out,
                "INFO dfs.DataNode$DataXceiver: Receiving block blk_{block} src: /{} dest: /{}",
                format_args!(
                    "10.250.{}.{}:{}",
                    rng.below(20),
                    rng.below(255),
                    40_000 + rng.below(20_000)
                ),
                format_args!("10.250.{}.{}:50010", rng.below(20), rng.below(255))
            );
        }
        2 => {
            let _ = write!(
                out,
                "INFO dfs.FSNamesystem: BLOCK* NameSystem.addStoredBlock: blockMap updated: 10.251.{}.{}:50010 is added to blk_{block} size {}",
                rng.below(20),
                rng.below(255),
                rng.below(67_108_864)
            );
        }
        _ => {
            let _ = write!(
                out,
                "WARN dfs.DataNode: Got exception while serving blk_{block} to /10.251.{}.{}",
                rng.below(20),
                rng.below(255)
            );
        }
    }
}

fn spark(out: &mut String, rng: &mut Rng) {
    match rng.below(4) {
        0 => {
            let _ = write!(
                out,
                "INFO executor.Executor: Finished task {}.0 in stage {}.0 (TID {}). {} bytes result sent to driver",
                rng.below(200),
                rng.below(50),
                rng.below(100_000),
                1000 + rng.below(5000)
            );
        }
        1 => {
            let _ = write!(
                out,
                "INFO storage.BlockManager: Found block rdd_{}_{} locally",
                rng.below(100),
                rng.below(200)
            );
        }
        2 => {
            let _ = write!(
                out,
                "INFO scheduler.TaskSetManager: Starting task {}.0 in stage {}.0 (TID {}, executor {}, partition {}, PROCESS_LOCAL, {} bytes)",
                rng.below(200),
                rng.below(50),
                rng.below(100_000),
                1 + rng.below(16),
                rng.below(200),
                4000 + rng.below(4000)
            );
        }
        _ => {
            let _ = write!(
                out,
                "WARN scheduler.TaskSetManager: Lost task {}.0 in stage {}.0 (TID {}): java.io.IOException: Connection reset",
                rng.below(200),
                rng.below(50),
                rng.below(100_000)
            );
        }
    }
}

fn apache(out: &mut String, rng: &mut Rng, ms: i64) {
    public_ip(out, rng);
    out.push_str(" - - [");
    clf_time(out, ms);
    let status = STATUSES[rng.weighted(&STATUS_WEIGHTS)];
    let _ = write!(
        out,
        "] \"{} /{}/{} HTTP/1.1\" {status} {} \"-\" \"{}\"",
        METHODS[rng.weighted(&METHOD_WEIGHTS)],
        rng.pick(&RESOURCES),
        rng.below(10_000),
        rng.skewed(100_000),
        rng.pick(&[
            "Mozilla/5.0 (X11; Linux x86_64)",
            "curl/8.5.0",
            "Go-http-client/1.1",
            "python-requests/2.31.0",
        ])
    );
}

/// AWS-shaped logs: Lambda platform lines, VPC flow logs v2, CloudTrail records.
pub fn write_aws(cfg: &Config, w: impl Write) -> io::Result<Summary> {
    drive(cfg, 227, 0x4157_5320, w, |out, rng, ms| {
        match rng.weighted(&[45, 35, 20]) {
            0 => lambda(out, rng),
            1 => vpc_flow(out, rng, ms),
            _ => cloudtrail(out, rng, ms),
        }
        false
    })
}

fn lambda(out: &mut String, rng: &mut Rng) {
    let mut id = String::with_capacity(36);
    uuid(&mut id, rng);
    match rng.below(3) {
        0 => {
            let _ = write!(out, "START RequestId: {id} Version: $LATEST");
        }
        1 => {
            let _ = write!(out, "END RequestId: {id}");
        }
        _ => {
            let tenths = 10 + rng.skewed(30_000);
            let _ = write!(
                out,
                "REPORT RequestId: {id}\tDuration: {}.{:02} ms\tBilled Duration: {} ms\tMemory Size: 128 MB\tMax Memory Used: {} MB",
                tenths / 10,
                rng.below(100),
                tenths / 10 + 1,
                40 + rng.below(80)
            );
            if rng.one_in(10) {
                let _ = write!(
                    out,
                    "\tInit Duration: {}.{:02} ms",
                    100 + rng.below(900),
                    rng.below(100)
                );
            }
        }
    }
}

fn vpc_flow(out: &mut String, rng: &mut Rng, ms: i64) {
    let start = ms / 1000 - 60;
    out.push_str("2 123456789012 eni-0");
    hex(out, rng, 16);
    out.push(' ');
    private_ip(out, rng);
    out.push(' ');
    public_ip(out, rng);
    let _ = write!(
        out,
        " {} {} {} {} {} {start} {} {} OK",
        [443, 80, 22, 53, 3306][rng.below(5) as usize],
        32_768 + rng.below(28_000),
        [6, 6, 6, 17][rng.below(4) as usize],
        1 + rng.skewed(100),
        40 + rng.skewed(100_000),
        start + 60,
        if rng.one_in(8) { "REJECT" } else { "ACCEPT" }
    );
}

fn cloudtrail(out: &mut String, rng: &mut Rng, ms: i64) {
    const EVENTS: [(&str, &str, bool); 6] = [
        ("s3.amazonaws.com", "GetObject", true),
        ("s3.amazonaws.com", "PutObject", false),
        ("ec2.amazonaws.com", "DescribeInstances", true),
        ("iam.amazonaws.com", "CreateAccessKey", false),
        ("sts.amazonaws.com", "AssumeRole", true),
        ("kms.amazonaws.com", "Decrypt", true),
    ];
    let (source, name, read_only) = EVENTS[rng.weighted(&[30, 10, 20, 2, 25, 13])];
    let user = rng.pick(&["alice", "bob", "ci-deployer", "carol"]);
    out.push_str(
        "{\"eventVersion\":\"1.08\",\"userIdentity\":{\"type\":\"IAMUser\",\"principalId\":\"AIDA",
    );
    hex(out, rng, 16);
    let _ = write!(
        out,
        "\",\"arn\":\"arn:aws:iam::123456789012:user/{user}\",\"accountId\":\"123456789012\",\"userName\":\"{user}\"}},\"eventTime\":\""
    );
    iso(out, ms - ms % 1000);
    let _ = write!(
        out,
        "\",\"eventSource\":\"{source}\",\"eventName\":\"{name}\",\"awsRegion\":\"{}\",\"sourceIPAddress\":\"",
        rng.pick(&REGIONS)
    );
    public_ip(out, rng);
    out.push_str("\",\"userAgent\":\"aws-cli/2.15.0\",");
    if rng.one_in(15) {
        out.push_str("\"errorCode\":\"AccessDenied\",\"errorMessage\":\"User is not authorized to perform this operation\",");
    }
    out.push_str("\"requestParameters\":{\"bucketName\":\"logs-");
    hex(out, rng, 6);
    out.push_str("\"},\"responseElements\":null,\"requestID\":\"");
    hex(out, rng, 16);
    out.push_str("\",\"eventID\":\"");
    uuid(out, rng);
    let _ = write!(
        out,
        "\",\"readOnly\":{read_only},\"eventType\":\"AwsApiCall\",\"recipientAccountId\":\"123456789012\"}}"
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn civil_dates() {
        let mut s = String::new();
        iso(&mut s, START_MS);
        assert_eq!(s, "2026-11-01T00:00:00.000Z");
        s.clear();
        iso(&mut s, 0);
        assert_eq!(s, "1970-01-01T00:00:00.000Z");
        s.clear();
        iso(&mut s, 951_782_400_000 + 86_399_999); // 2000-02-29
        assert_eq!(s, "2000-02-29T23:59:59.999Z");
        s.clear();
        clf_time(&mut s, START_MS + 3_723_000);
        assert_eq!(s, "01/Nov/2026:01:02:03 +0000");
    }
}
