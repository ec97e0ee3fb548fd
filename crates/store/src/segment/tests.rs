use std::path::{Path, PathBuf};

use super::*;
use crate::event::Event;

/// xorshift64*: a seeded RNG, so failures reproduce.
pub(crate) struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Self {
        Rng(seed.max(1))
    }
    pub fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
    pub fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }
    pub fn pick<'a>(&mut self, xs: &[&'a str]) -> &'a str {
        xs[self.below(xs.len() as u64) as usize]
    }
}

pub(crate) fn random_rows(rng: &mut Rng, n: usize) -> Vec<SegmentRow> {
    let words = [
        "GET",
        "POST",
        "ünïcode",
        "timeout",
        "ok",
        "user=alice",
        "42",
        "-7",
        "3.25",
        "x\ty",
    ];
    (0..n)
        .map(|i| {
            let timestamp = 1_700_000_000_000 + rng.below(100_000) as i64 - 50_000;
            let message = match rng.below(5) {
                0 => format!(
                    r#"{{"level":"{}","status":{},"lat":{},"ok":{},"req":{{"id":"r{}","path":"/{}"}},"tags":["a","{}"]}}"#,
                    rng.pick(&["INFO", "WARN", "ERROR"]),
                    200 + rng.below(4) * 100,
                    rng.pick(&["1.5", "0.25", "2", "1.50", "1e3"]),
                    rng.pick(&["true", "false"]),
                    rng.below(1000),
                    rng.pick(&words),
                    rng.pick(&words),
                ),
                1 => format!(
                    r#"{{"status":"{}","n":null,"@ts":{}}}"#,
                    rng.pick(&words),
                    rng.below(10)
                ),
                2 => String::new(),
                _ => (0..rng.below(12))
                    .map(|_| rng.pick(&words))
                    .collect::<Vec<_>>()
                    .join(" "),
            };
            SegmentRow {
                stream: format!("stream-{}", rng.below(3)),
                event: Event {
                    timestamp,
                    ingestion_time: timestamp + 5 + (i as i64 % 3),
                    message,
                },
            }
        })
        .collect()
}

fn small_config() -> WriteConfig {
    WriteConfig {
        block_rows: 64,
        ..WriteConfig::default()
    }
}

fn write_tmp(dir: &Path, name: &str, bytes: &[u8]) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, bytes).unwrap();
    path
}

/// Every field value of every row, as `(row, name, value)`, read back through the columns.
fn field_values(seg: &Segment) -> Vec<(usize, String, Value)> {
    let f = seg.footer();
    let mut out = Vec::new();
    let mut base = 0;
    for b in 0..f.blocks.len() {
        for (col, desc) in f.columns.iter().enumerate().skip(SYSTEM_COLUMNS) {
            let data = seg.field(b, col).unwrap();
            for row in 0..f.blocks[b].rows as usize {
                if let Some(v) = data.value(row) {
                    out.push((base + row, desc.name.clone(), v));
                }
            }
        }
        base += f.blocks[b].rows as usize;
    }
    out.sort_by(|a, b| (a.0, &a.1).cmp(&(b.0, &b.1)));
    out
}

fn expected_fields(rows: &[SegmentRow]) -> Vec<(usize, String, Value)> {
    let mut out = Vec::new();
    for (i, r) in rows.iter().enumerate() {
        let mut seen = std::collections::BTreeMap::new();
        crate::discover::discover_typed(&r.event.message, |name, leaf| {
            seen.insert(name.to_owned(), Value::from_leaf(leaf));
        });
        out.extend(seen.into_iter().map(|(k, v)| (i, k, v)));
    }
    out
}

#[test]
fn random_events_round_trip() {
    let dir = tempfile::tempdir().unwrap();
    let mut rng = Rng::new(0x5eed);
    for n in [1, 2, 63, 64, 65, 500] {
        let mut rows = random_rows(&mut rng, n);
        let bytes = encode_segment(&mut rows, &small_config()).unwrap();
        let path = write_tmp(dir.path(), "rt.lseg", &bytes);
        let seg = Segment::open(&path).unwrap();
        assert_eq!(seg.footer().rows, n as u64);
        assert_eq!(
            seg.read_rows().unwrap(),
            rows,
            "rows (sorted by the writer)"
        );
        assert_eq!(field_values(&seg), expected_fields(&rows));
        for (b, block) in seg.footer().blocks.iter().enumerate() {
            let ts = seg.timestamps(b).unwrap();
            assert_eq!(ts.len(), block.rows as usize);
            for m in seg.messages(b).unwrap() {
                assert!(seg.may_contain(b, m.as_bytes()).unwrap());
            }
            // The Arrow fast path for text columns agrees with the general decoder.
            for (c, desc) in seg.footer().columns.iter().enumerate() {
                if desc.kind == super::ColumnKind::Field(FieldType::String) {
                    let arrow = seg.field_strings(b, c).unwrap();
                    let ColumnData::Str(plain) = seg.field(b, c).unwrap() else {
                        panic!("string column decoded as another type");
                    };
                    let got: Vec<Option<&str>> = arrow.iter().collect();
                    let want: Vec<Option<&str>> = plain.iter().map(Option::as_deref).collect();
                    assert_eq!(got, want);
                }
            }
        }
    }
}

/// Past `max_field_names` distinct names (spread over blocks encoded in parallel) the writer
/// keeps the first names in row order, as a serial writer does, marks the segment's fields
/// incomplete and still gives every message back byte for byte.
#[test]
fn the_field_name_cap_keeps_the_first_names_in_row_order() {
    let dir = tempfile::tempdir().unwrap();
    let mut rows: Vec<SegmentRow> = (0..500)
        .map(|i| SegmentRow {
            stream: "s".into(),
            event: Event {
                timestamp: i,
                ingestion_time: i,
                message: format!(r#"{{"level":"INFO","f{i}":{i}}}"#),
            },
        })
        .collect();
    let config = WriteConfig {
        block_rows: 64,
        max_field_names: 50,
        ..WriteConfig::default()
    };
    let bytes = encode_segment(&mut rows, &config).unwrap();
    let seg = Segment::open(&write_tmp(dir.path(), "cap.lseg", &bytes)).unwrap();
    let f = seg.footer();
    assert!(!f.fields_complete);
    let names: Vec<&str> = f.columns[SYSTEM_COLUMNS..]
        .iter()
        .map(|c| c.name.as_str())
        .collect();
    // Leaves of a row are numbered last first: `f0` comes before `level`.
    let mut want = vec!["f0".to_string(), "level".to_string()];
    want.extend((1..49).map(|i| format!("f{i}")));
    assert_eq!(names, want);
    assert_eq!(seg.read_rows().unwrap(), rows);
    let values = field_values(&seg);
    assert_eq!(values.len(), 500 + 49);
    assert!(values.contains(&(48, "f48".to_string(), Value::Int(48))));
    // Without a cap the same rows keep every name, encoded block by block in parallel.
    let bytes = encode_segment(&mut rows, &small_config()).unwrap();
    let seg = Segment::open(&write_tmp(dir.path(), "all.lseg", &bytes)).unwrap();
    assert!(seg.footer().fields_complete);
    assert_eq!(seg.footer().columns.len(), SYSTEM_COLUMNS + 501);
    assert_eq!(field_values(&seg), expected_fields(&rows));
}

/// Messages sharing one JSON template shape, with slots that are valid JSON of another type,
/// or not valid JSON at all: discovery reused per shape must agree with full discovery.
#[test]
fn shared_template_shapes_agree_with_full_discovery() {
    let dir = tempfile::tempdir().unwrap();
    let messages = [
        r#"{"a":"x","n":1,"b":true}"#,
        r#"{"a":"y","n":2.5,"b":false}"#,
        r#"{"a":"z","n":01,"b":true}"#,
        r#"{"a":"z","n":1e400,"b":true}"#,
        r#"{"a":"z","n":-0,"b":true}"#,
        r#"{"a":"z","n":1.50,"b":true}"#,
        r#"{"a":"z","n":1.,"b":true}"#,
        r#"{"a":"z","n":-,"b":true}"#,
        r#"{"a":"z","n":true,"b":1}"#,
        "{\"a\":\"tab\there\",\"n\":3,\"b\":true}",
        r#"{"a":"q","n":4,"b":true}"#,
    ];
    let mut rows: Vec<SegmentRow> = messages
        .iter()
        .enumerate()
        .map(|(i, m)| SegmentRow {
            stream: "s".into(),
            event: Event {
                timestamp: i as i64,
                ingestion_time: 0,
                message: (*m).to_owned(),
            },
        })
        .collect();
    let bytes = encode_segment(&mut rows, &WriteConfig::default()).unwrap();
    let seg = Segment::open(&write_tmp(dir.path(), "shapes.lseg", &bytes)).unwrap();
    assert_eq!(seg.read_rows().unwrap(), rows);
    assert_eq!(field_values(&seg), expected_fields(&rows));
}

#[test]
fn a_field_with_two_types_keeps_both() {
    let mut rows: Vec<SegmentRow> = [
        r#"{"a":1}"#,
        r#"{"a":"x"}"#,
        r#"{"a":1.50}"#,
        r#"{"a":true}"#,
    ]
    .iter()
    .enumerate()
    .map(|(i, m)| SegmentRow {
        stream: "s".into(),
        event: Event {
            timestamp: i as i64,
            ingestion_time: 0,
            message: (*m).into(),
        },
    })
    .collect();
    let bytes = encode_segment(&mut rows, &WriteConfig::default()).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let seg = Segment::open(&write_tmp(dir.path(), "t.lseg", &bytes)).unwrap();
    let types: Vec<FieldType> = seg.footer().field_columns("a").map(|(_, t)| t).collect();
    assert_eq!(
        types,
        [FieldType::Integer, FieldType::String, FieldType::Boolean]
    );
    let vals: Vec<String> = field_values(&seg)
        .into_iter()
        .map(|v| v.2.to_text())
        .collect();
    // `1.50` keeps its text, so it is a string, not the float 1.5.
    assert_eq!(vals, ["1", "x", "1.50", "true"]);
}

#[test]
fn byte_flips_give_errors_or_equal_data_never_panics() {
    let dir = tempfile::tempdir().unwrap();
    let mut rng = Rng::new(0xf11b);
    let mut rows = random_rows(&mut rng, 200);
    let good = encode_segment(&mut rows, &small_config()).unwrap();
    let path = dir.path().join("flip.lseg");
    let mut errors = 0;
    for i in 0..400 {
        let mut bytes = good.clone();
        let at = if i < 40 {
            // Always hit the header and the tail.
            if i < 20 { i } else { bytes.len() - (i - 19) }
        } else {
            rng.below(bytes.len() as u64) as usize
        };
        bytes[at] ^= 1 << rng.below(8);
        std::fs::write(&path, &bytes).unwrap();
        let read =
            Segment::open(&path).and_then(|s| Ok((s.read_rows()?, field_values_checked(&s)?)));
        match read {
            Ok((got, fields)) => {
                assert_eq!(got, rows, "flip at {at} changed the data silently");
                assert_eq!(fields, expected_fields(&rows), "flip at {at}");
            }
            Err(e) => {
                errors += 1;
                assert!(e.to_string().contains("flip.lseg"), "{e}");
            }
        }
    }
    assert!(errors > 300, "{errors}");
    // Truncations and garbage.
    for len in [0, 1, 11, 12, 27, 28, good.len() / 2, good.len() - 1] {
        std::fs::write(&path, &good[..len]).unwrap();
        assert!(Segment::open(&path).and_then(|s| s.read_rows()).is_err());
    }
}

/// Decoder totality past the checksums: chunk payloads mutated (bits flipped, bytes
/// overwritten, cut short, grown) and stored with valid checksums, as a writer bug would leave
/// them. Opening and decoding everything (rows, fields, needle searches) gives the rows or an
/// error naming the file, never a panic. Covers every kind of text slot (time parts,
/// dictionaries, plain numbers) and JSON templates.
#[test]
fn mutated_chunk_payloads_never_panic() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("mutated.lseg");
    let mut rng = Rng::new(0x3c4d);
    let mut rows = random_rows(&mut rng, 120);
    rows.extend(access_rows());
    rows.extend(time_part_rows());
    let good = encode_segment(&mut rows, &small_config()).unwrap();
    std::fs::write(&path, &good).unwrap();
    let seg = Segment::open(&path).unwrap();
    let blocks = seg.footer().blocks.len();
    let columns = seg.footer().columns.len();
    let mut errors = 0;
    for i in 0..600 {
        let block = rng.below(blocks as u64) as usize;
        // Mostly the message column, where the slot kinds are.
        let col = match rng.below(4) {
            0 => None,
            1 => Some(rng.below(columns as u64) as usize),
            _ => Some(COL_MESSAGE),
        };
        let kind = rng.below(4);
        let (a, b) = (rng.next(), rng.next());
        let bytes = super::write::rebuild(&seg, 1, |bl, c, raw| {
            if bl != block || c != col || raw.is_empty() {
                return None;
            }
            let mut raw = raw.to_vec();
            let at = (a % raw.len() as u64) as usize;
            match kind {
                0 => raw[at] ^= 1 << (b % 8),
                1 => raw[at] = b as u8,
                2 => raw.truncate(at),
                _ => raw.insert(at, b as u8),
            }
            Some(raw)
        })
        .unwrap();
        std::fs::write(dir.path().join(format!("m{i}.lseg")), &bytes).unwrap();
        let p = dir.path().join(format!("m{i}.lseg"));
        let read = Segment::open(&p).and_then(|s| {
            for b in 0..s.footer().blocks.len() {
                s.messages(b)?;
                s.message_holds(b, &["GET /", "200", "zq"])?;
                s.may_contain(b, b"Safari")?;
            }
            Ok((s.read_rows()?, field_values_checked(&s)?))
        });
        match read {
            Ok(_) => {}
            Err(e) => {
                errors += 1;
                assert!(e.to_string().contains(&format!("m{i}.lseg")), "{e}");
            }
        }
        std::fs::remove_file(&p).unwrap();
    }
    assert!(errors > 100, "{errors}");
}

/// Decoder totality on garbage framed by valid magic numbers and a valid footer checksum.
#[test]
fn garbage_segments_never_panic() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("garbage.lseg");
    let mut rng = Rng::new(0x6a7b);
    for _ in 0..300 {
        let footer_len = rng.below(200) as usize;
        let body_len = rng.below(300) as usize;
        let mut bytes = MAGIC.to_vec();
        bytes.extend_from_slice(&FORMAT_VERSION.to_le_bytes());
        bytes.extend((0..body_len + footer_len).map(|_| rng.next() as u8));
        let footer = bytes[bytes.len() - footer_len..].to_vec();
        bytes.extend_from_slice(&(footer_len as u32).to_le_bytes());
        bytes.extend_from_slice(&crc32fast::hash(&footer).to_le_bytes());
        bytes.extend_from_slice(MAGIC);
        std::fs::write(&path, &bytes).unwrap();
        if let Ok(seg) = Segment::open(&path) {
            let _ = seg.read_rows();
            let _ = field_values_checked(&seg);
            for b in 0..seg.footer().blocks.len() {
                let _ = seg.message_candidates(b, &["ab", "x1-"]);
            }
        }
    }
}

fn field_values_checked(seg: &Segment) -> crate::Result<Vec<(usize, String, Value)>> {
    let f = seg.footer();
    for b in 0..f.blocks.len() {
        for col in SYSTEM_COLUMNS..f.columns.len() {
            let values = seg.field(b, col)?;
            arrow_decoders_agree(seg, b, col, &values)?;
        }
    }
    Ok(field_values(seg))
}

/// The scan's other decoders of a field column (presence alone, Arrow arrays, dictionary
/// codes, picked rows) give what [`Segment::field`] gives, or an error.
fn arrow_decoders_agree(
    seg: &Segment,
    b: usize,
    col: usize,
    values: &ColumnData,
) -> crate::Result<()> {
    use arrow::array::{Array, AsArray};
    let present = seg.field_presence(b, col)?;
    let rows = present.len();
    let picked: Vec<usize> = (0..rows).step_by(3).collect();
    for (r, &p) in present.iter().enumerate() {
        assert_eq!(p, values.value(r).is_some(), "presence of row {r}");
    }
    match values {
        ColumnData::Float(v) => {
            let a = seg.field_floats(b, col)?;
            for (r, want) in v.iter().enumerate() {
                assert_eq!(a.is_valid(r).then(|| a.value(r)), *want, "float row {r}");
            }
        }
        ColumnData::Int(v) => {
            let a = seg.field_ints(b, col, Some(&picked))?;
            for (i, &r) in picked.iter().enumerate() {
                assert_eq!(a.is_valid(i).then(|| a.value(i)), v[r], "int row {r}");
            }
        }
        ColumnData::Str(v) => {
            for selection in [None, Some(picked.as_slice())] {
                let a = seg.field_strings_dict(b, col, selection)?;
                let a = arrow::compute::cast(&a, &arrow::datatypes::DataType::Utf8)
                    .expect("a dictionary of strings casts to strings");
                let a = a.as_string::<i32>();
                let rows: Vec<usize> = selection.map_or_else(|| (0..rows).collect(), <[_]>::to_vec);
                for (i, &r) in rows.iter().enumerate() {
                    assert_eq!(
                        a.is_valid(i).then(|| a.value(i)),
                        v[r].as_deref(),
                        "row {r}"
                    );
                }
            }
        }
        ColumnData::Bool(_) => {}
    }
    Ok(())
}

fn golden_dir(version: u32) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(format!("../../testdata/segments/v{version}"))
}

fn golden_rows() -> Vec<SegmentRow> {
    let msgs = [
        ("web-1", 1_767_225_600_000, "GET /index.html 200 12ms"),
        ("web-1", 1_767_225_600_005, "GET /missing 404 3ms"),
        (
            "web-2",
            1_767_225_600_001,
            r#"{"level":"ERROR","status":503,"latency":0.25,"ok":false,"user":{"id":"u1"},"@ts":"x"}"#,
        ),
        (
            "web-2",
            1_767_225_600_010,
            r#"{"level":"INFO","status":"200","latency":1.50,"items":[1,2]}"#,
        ),
        ("web-1", 1_767_225_600_010, "ünïcode\tand a tab"),
        ("web-3", 1_767_225_601_000, ""),
    ];
    msgs.iter()
        .enumerate()
        .map(|(i, (s, ts, m))| SegmentRow {
            stream: (*s).into(),
            event: Event {
                timestamp: *ts,
                ingestion_time: 1_767_225_700_000 + i as i64,
                message: (*m).into(),
            },
        })
        .collect()
}

fn golden_config() -> WriteConfig {
    WriteConfig {
        block_rows: 4,
        zstd_level: 9,
        ..WriteConfig::default()
    }
}

/// Writes the golden file of the current format version:
/// `cargo test -p loupe-store write_golden -- --ignored`.
#[test]
#[ignore]
fn write_golden() {
    let mut rows = golden_rows();
    let bytes = encode_segment(&mut rows, &golden_config()).unwrap();
    let dir = golden_dir(FORMAT_VERSION);
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("basic.lseg"), bytes).unwrap();
    let mut rows = time_part_rows();
    let bytes = encode_segment(&mut rows, &golden_config()).unwrap();
    std::fs::write(dir.join("time_parts.lseg"), bytes).unwrap();
    let mut rows = access_rows();
    let bytes = encode_segment(&mut rows, &WriteConfig::default()).unwrap();
    std::fs::write(dir.join("access.lseg"), bytes).unwrap();
}

/// What every golden file (of any version) holds.
fn check_golden(seg: &Segment) {
    let mut want = golden_rows();
    want.sort_by_key(|r| r.event.timestamp);
    assert_eq!(seg.read_rows().unwrap(), want);
    let f = seg.footer();
    assert_eq!(f.blocks.len(), 2);
    assert_eq!((f.min_ts, f.max_ts), (1_767_225_600_000, 1_767_225_601_000));
    assert_eq!(f.streams, ["web-1", "web-2", "web-3"]);
    let fields: Vec<(String, String)> = field_values(seg)
        .into_iter()
        .map(|(r, n, v)| (format!("{r}:{n}"), format!("{v:?}")))
        .collect();
    let want_fields = [
        ("1:@@ts", "Str(\"x\")"),
        ("1:latency", "Float(0.25)"),
        ("1:level", "Str(\"ERROR\")"),
        ("1:ok", "Bool(false)"),
        ("1:status", "Int(503)"),
        ("1:user.id", "Str(\"u1\")"),
        ("3:items.0", "Int(1)"),
        ("3:items.1", "Int(2)"),
        ("3:latency", "Str(\"1.50\")"),
        ("3:level", "Str(\"INFO\")"),
        ("3:status", "Str(\"200\")"),
    ];
    let want_fields: Vec<(String, String)> = want_fields
        .iter()
        .map(|(a, b)| (a.to_string(), b.to_string()))
        .collect();
    assert_eq!(fields, want_fields);
    assert!(!seg.may_contain(0, b"Exception").unwrap());
    assert!(seg.may_contain(0, b"INFO").unwrap());
    assert!(seg.may_contain(1, "ünïcode".as_bytes()).unwrap());
    assert!(!seg.may_contain(1, b"INFO").unwrap());
}

/// The v1 golden file decodes forever (v1 blocks do not record their message bytes).
#[test]
fn golden_v1_decodes() {
    let seg = Segment::open(&golden_dir(1).join("basic.lseg")).unwrap();
    check_golden(&seg);
    assert!(
        seg.footer()
            .blocks
            .iter()
            .all(|b| b.message_bytes.is_none())
    );
}

/// Every block of a v2 or later golden file records its message bytes.
fn check_message_bytes(seg: &Segment) {
    for b in 0..seg.footer().blocks.len() {
        let total: u64 = seg
            .messages(b)
            .unwrap()
            .iter()
            .map(|m| m.len() as u64)
            .sum();
        assert_eq!(seg.message_bytes(b).unwrap(), Some(total));
    }
}

/// The v2 golden file decodes forever (its string chunks have no byte sets).
#[test]
fn golden_v2_decodes() {
    let seg = Segment::open(&golden_dir(2).join("basic.lseg")).unwrap();
    check_golden(&seg);
    check_message_bytes(&seg);
    let sets = string_chunk_byte_sets(&seg);
    assert!(!sets.is_empty() && sets.iter().all(Option::is_none));
}

/// The v3 golden file decodes forever (its token filters are a power of two of bits, and no
/// text slot is a part of the timestamps).
#[test]
fn golden_v3_decodes() {
    let seg = Segment::open(&golden_dir(3).join("basic.lseg")).unwrap();
    check_golden(&seg);
    check_message_bytes(&seg);
    check_byte_sets(&seg);
}

/// The v4 golden files decode forever, and are what the writer produces today. If the last
/// check fails, the format changed: bump `FORMAT_VERSION`, keep reading the old versions, and
/// add `testdata/segments/v<N>/`.
#[test]
fn golden_v4_decodes() {
    let (seg, _) = golden_v4("basic.lseg", golden_rows(), &golden_config());
    check_golden(&seg);
    check_message_bytes(&seg);
    check_byte_sets(&seg);
    // Text lines that print their own timestamps: the slots of those numbers are stored as
    // parts of `@timestamp`. Seven milliseconds off, the millisecond slot keeps its values:
    // more bytes.
    let (_, bytes) = golden_v4("time_parts.lseg", time_part_rows(), &golden_config());
    let mut off = time_part_rows();
    off.iter_mut().for_each(|r| r.event.timestamp += 7);
    let off_bytes = encode_segment(&mut off, &golden_config()).unwrap();
    assert!(
        off_bytes.len() > bytes.len(),
        "{} vs {}",
        off_bytes.len(),
        bytes.len()
    );
    // Access-log lines: addresses, request lines and user agents as dictionaries, sizes
    // stored as they are.
    let (seg, _) = golden_v4("access.lseg", access_rows(), &WriteConfig::default());
    let holds = seg.message_holds(0, &["curl/7", "Safari"]).unwrap();
    let msgs = seg.messages(0).unwrap();
    for (needle, holds) in ["curl/7", "Safari"].iter().zip(&holds) {
        for (m, h) in msgs.iter().zip(holds) {
            assert_eq!(*h == Holds::Yes, m.contains(needle), "{needle} {m}");
        }
    }
}

/// Opens golden file `name` of format 4, checks it holds `rows` (in time order) and that the
/// writer encodes `rows` to its very bytes (deterministic writer, unchanged format).
fn golden_v4(name: &str, rows: Vec<SegmentRow>, config: &WriteConfig) -> (Segment, Vec<u8>) {
    let path = golden_dir(4).join(name);
    let seg = Segment::open(&path).unwrap();
    let mut want = rows.clone();
    want.sort_by_key(|r| r.event.timestamp);
    assert_eq!(seg.read_rows().unwrap(), want, "{name}");
    let mut rows = rows;
    let bytes = encode_segment(&mut rows, config).unwrap();
    assert!(
        bytes == std::fs::read(&path).unwrap(),
        "{name}: segment encoding changed"
    );
    (seg, bytes)
}

/// Forty access-log lines (one block) from a few clients, paths and user agents.
fn access_rows() -> Vec<SegmentRow> {
    let agents = [
        "curl/7.29.0",
        "Mozilla/5.0 (X11; Linux x86_64) Safari/537.36",
        "-",
    ];
    let paths = ["/", "/blog/2013/", "/img/logo.png", "/about us"];
    (0..40)
        .map(|i: i64| SegmentRow {
            stream: "web".into(),
            event: Event {
                timestamp: 1_767_225_600_000 + i * 1000,
                ingestion_time: 1_767_225_700_000,
                message: format!(
                    r#"10.0.{}.{} - - [01/Jan/2026:00:00:{:02} +0000] "GET {} HTTP/1.1" {} {} "-" "{}""#,
                    i % 2,
                    i % 3 + 7,
                    i,
                    paths[(i % 4) as usize],
                    [200, 304][(i % 2) as usize],
                    [5120, 0, 77][(i % 3) as usize],
                    agents[(i % 3) as usize],
                ),
            },
        })
        .collect()
}

/// Lines that print their timestamp (2026-01-01 00:00:00 UTC on), but the last one.
fn time_part_rows() -> Vec<SegmentRow> {
    let lines = [
        (0, "2026-01-01 00:00:00.000 GET /a 200"),
        (1_234, "2026-01-01 00:00:01.234 GET /b 404"),
        (61_005, "2026-01-01 00:01:01.005 GET /c 200"),
        (3_600_000, "2026-01-01 01:00:00.000 GET /d 500"),
        (3_600_001, "2026-01-01 01:00:00.000 GET /e 500"),
    ];
    lines
        .iter()
        .map(|(ms, m)| SegmentRow {
            stream: "s".into(),
            event: Event {
                timestamp: 1_767_225_600_000 + ms,
                ingestion_time: 1_767_225_700_000,
                message: (*m).into(),
            },
        })
        .collect()
}

/// Every string chunk knows its bytes (format 3 on): `level` holds "ERROR" in block 0.
fn check_byte_sets(seg: &Segment) {
    let sets = string_chunk_byte_sets(seg);
    assert!(!sets.is_empty() && sets.iter().all(Option::is_some));
    let f = seg.footer();
    let (level, _) = f.field_columns("level").next().unwrap();
    let Some(Some(chunk)) = f.blocks[0].chunks.get(level) else {
        panic!("no level chunk in block 0")
    };
    let Stats::Str {
        bytes: Some(set), ..
    } = &chunk.stats
    else {
        panic!("no byte set")
    };
    assert!(set.holds_all(b"ERROR") && set.holds_all(b"ROE"));
    assert!(!set.holds_all(b"e") && !set.holds_all(b"WARN"));
}

/// The byte sets of every string chunk of `seg`.
fn string_chunk_byte_sets(seg: &Segment) -> Vec<Option<super::ByteSet>> {
    seg.footer()
        .blocks
        .iter()
        .flat_map(|b| b.chunks.iter().flatten())
        .filter_map(|c| match &c.stats {
            Stats::Str { bytes, .. } => Some(*bytes),
            _ => None,
        })
        .collect()
}

/// Seeded JSON application logs, one event per line.
pub(crate) fn app_log_lines(rng: &mut Rng, n: usize) -> Vec<String> {
    let paths = [
        "/api/orders",
        "/api/users",
        "/health",
        "/api/cart",
        "/login",
    ];
    let levels = ["INFO", "INFO", "INFO", "WARN", "ERROR", "DEBUG"];
    let mut ts = 1_767_225_600_000i64;
    (0..n)
        .map(|_| {
            ts += rng.below(50) as i64;
            let level = rng.pick(&levels);
            let status = if level == "ERROR" { 500 } else { 200 };
            format!(
                r#"{{"time":{ts},"level":"{level}","service":"shop","host":"ip-10-0-{}-{}","method":"{}","path":"{}","status":{status},"latency_ms":{}.{},"user_id":"u{:05}","request_id":"{:016x}","msg":"request completed"}}"#,
                rng.below(4),
                rng.below(256),
                rng.pick(&["GET", "POST", "PUT"]),
                rng.pick(&paths),
                rng.below(900),
                rng.below(100),
                rng.below(20_000),
                rng.next(),
            )
        })
        .collect()
}

/// Seeded loghub-style text logs (HDFS, Apache error, Linux syslog and OpenSSH shapes): a few
/// templates with numbers, ids, addresses and paths as variables, one event per line.
/// Access-log lines (Apache combined format) from small pools of clients, paths, referrers
/// and user agents: text slots that repeat, stored as dictionaries.
pub(crate) fn access_log_lines(rng: &mut Rng, n: usize) -> Vec<String> {
    let uas = [
        "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/32.0.1700.107 Safari/537.36",
        "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)",
        "curl/7.29.0",
        "-",
    ];
    let referrers = [
        "-",
        "http://example.com/",
        "http://example.com/blog/2013/11/",
        "https://www.google.com/",
    ];
    let mut ts = 1_431_856_800u64;
    (0..n)
        .map(|_| {
            ts += rng.below(4);
            let (h, m, sec) = ((ts / 3600) % 24, (ts / 60) % 60, ts % 60);
            let path = match rng.below(4) {
                0 => "/".to_owned(),
                1 => format!("/images/img{}.png", rng.below(6)),
                2 => format!("/blog/tags/{}", rng.pick(&["ruby", "puppet", "linux"])),
                _ => format!("/presentations/logstash-{}/", 2010 + rng.below(4)),
            };
            format!(
                "{} - - [17/May/2015:{h:02}:{m:02}:{sec:02} +0000] \"{} {path} HTTP/1.1\" {} {} \"{}\" \"{}\"",
                rng.pick(&["83.149.9.216", "24.236.252.67", "93.114.45.13", "66.249.73.135"]),
                rng.pick(&["GET", "GET", "HEAD", "POST"]),
                rng.pick(&["200", "200", "304", "404"]),
                rng.below(200_000),
                rng.pick(&referrers),
                rng.pick(&uas),
            )
        })
        .collect()
}

pub(crate) fn text_log_lines(rng: &mut Rng, n: usize) -> Vec<String> {
    let mut ts = 1_767_225_600u64;
    (0..n)
        .map(|_| {
            ts += rng.below(3);
            let (h, m, sec) = ((ts / 3600) % 24, (ts / 60) % 60, ts % 60);
            let ip = format!(
                "10.{}.{}.{}",
                rng.below(256),
                rng.below(256),
                rng.below(256)
            );
            match rng.below(6) {
                0 => format!(
                    "081109 {h:02}{m:02}{sec:02} {} INFO dfs.DataNode$PacketResponder: PacketResponder {} for block blk_{}{} terminating",
                    rng.below(4000),
                    rng.below(3),
                    if rng.below(2) == 0 { "-" } else { "" },
                    rng.next() >> 1,
                ),
                1 => format!(
                    "081109 {h:02}{m:02}{sec:02} {} INFO dfs.DataNode$DataXceiver: Receiving block blk_{} src: /{ip}:{} dest: /{ip}:50010",
                    rng.below(4000),
                    rng.next() >> 1,
                    30_000 + rng.below(30_000),
                ),
                2 => format!(
                    "[Sun Dec 04 {h:02}:{m:02}:{sec:02} 2005] [{}] mod_jk child workerEnv in error state {}",
                    rng.pick(&["error", "notice", "error"]),
                    rng.below(10),
                ),
                3 => format!(
                    "Jun 14 {h:02}:{m:02}:{sec:02} combo sshd(pam_unix)[{}]: authentication failure; logname= uid=0 euid=0 tty=NODEVssh ruser= rhost={ip}  user={}",
                    10_000 + rng.below(20_000),
                    rng.pick(&["root", "guest", "test", "admin"]),
                ),
                4 => format!(
                    "Dec 10 {h:02}:{m:02}:{sec:02} LabSZ sshd[{}]: Failed password for invalid user {} from {ip} port {} ssh2",
                    20_000 + rng.below(10_000),
                    rng.pick(&["admin", "oracle", "webmaster", "support"]),
                    1024 + rng.below(60_000),
                ),
                _ => format!(
                    "Dec 10 {h:02}:{m:02}:{sec:02} LabSZ sshd[{}]: Received disconnect from {ip}: 11: Bye Bye [preauth]",
                    20_000 + rng.below(10_000),
                ),
            }
        })
        .collect()
}

fn ratio_line(name: &str, lines: &[String]) {
    let raw: String = lines.iter().map(|l| format!("{l}\n")).collect();
    let mut rows: Vec<SegmentRow> = lines
        .iter()
        .enumerate()
        .map(|(i, l)| SegmentRow {
            stream: "s".into(),
            event: Event {
                timestamp: 1_767_225_600_000 + i as i64,
                ingestion_time: 1_767_225_700_000,
                message: l.clone(),
            },
        })
        .collect();
    let started = std::time::Instant::now();
    let seg = encode_segment(&mut rows, &WriteConfig::default()).unwrap();
    let encode_mbs = raw.len() as f64 / 1e6 / started.elapsed().as_secs_f64();
    let dir = tempfile::tempdir().unwrap();
    let path = write_tmp(dir.path(), "r.lseg", &seg);
    let started = std::time::Instant::now();
    let back = Segment::open(&path).unwrap().read_rows().unwrap();
    let decode_mbs = raw.len() as f64 / 1e6 / started.elapsed().as_secs_f64();
    assert_eq!(back.len(), rows.len());
    let seg19 = encode_segment(
        &mut rows,
        &WriteConfig {
            zstd_level: 9,
            ..WriteConfig::default()
        },
    )
    .unwrap();
    let z3 = zstd::bulk::compress(raw.as_bytes(), 3).unwrap().len();
    let z19 = zstd::bulk::compress(raw.as_bytes(), 19).unwrap().len();
    let r = |n: usize| raw.len() as f64 / n as f64;
    println!(
        "{name:<28} raw {:>9} B  segment {:>8} B ({:>5.2}x, compacted at level 9 {:>5.2}x)  zstd-3 {:>5.2}x  zstd-19 {:>5.2}x",
        raw.len(),
        seg.len(),
        r(seg.len()),
        r(seg19.len()),
        r(z3),
        r(z19)
    );
    println!(
        "{:<28} encode {encode_mbs:.0} MB/s, decode {decode_mbs:.0} MB/s (one core)",
        ""
    );
}

/// Prints compression figures; run with
/// `cargo test -p loupe-store compression_report -- --ignored --nocapture`.
#[test]
#[ignore]
fn compression_report() {
    let mut rng = Rng::new(42);
    ratio_line(
        "seeded JSON app logs (30k)",
        &app_log_lines(&mut rng, 30_000),
    );
    ratio_line("seeded text logs (30k)", &text_log_lines(&mut rng, 30_000));
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/corpus/loghub");
    let Ok(dirs) = std::fs::read_dir(&root) else {
        println!("SKIPPED: corpus not found at {}", root.display());
        return;
    };
    let mut files: Vec<PathBuf> = dirs
        .flatten()
        .filter_map(|d| std::fs::read_dir(d.path()).ok())
        .flatten()
        .flatten()
        .map(|f| f.path())
        .filter(|p| p.extension().is_some_and(|e| e == "log"))
        .collect();
    files.sort();
    for f in files {
        let text = String::from_utf8_lossy(&std::fs::read(&f).unwrap()).into_owned();
        let lines: Vec<String> = text.lines().map(str::to_owned).collect();
        let name = f.file_name().unwrap().to_string_lossy().into_owned();
        ratio_line(&name, &lines);
    }
}

#[test]
#[ignore]
fn size_breakdown() {
    let mut rng = Rng::new(42);
    let lines = app_log_lines(&mut rng, 30_000);
    let mut rows: Vec<SegmentRow> = lines
        .iter()
        .enumerate()
        .map(|(i, l)| SegmentRow {
            stream: "s".into(),
            event: Event {
                timestamp: 1_767_225_600_000 + i as i64,
                ingestion_time: 0,
                message: l.clone(),
            },
        })
        .collect();
    let bytes = encode_segment(&mut rows, &WriteConfig::default()).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let seg = Segment::open(&write_tmp(dir.path(), "b.lseg", &bytes)).unwrap();
    let f = seg.footer();
    let mut per = std::collections::BTreeMap::new();
    let mut bloom = 0;
    for b in &f.blocks {
        bloom += b.bloom.len;
        for (c, ch) in b.chunks.iter().enumerate() {
            if let Some(ch) = ch {
                *per.entry(f.columns[c].name.clone()).or_insert(0u64) += ch.len;
            }
        }
    }
    println!("total {} bloom {bloom} {per:?}", bytes.len());
}

#[test]
#[ignore]
fn encode_profile() {
    let mut rng = Rng::new(42);
    let lines = app_log_lines(&mut rng, 30_000);
    let t = std::time::Instant::now();
    let mut n = 0;
    for l in &lines {
        crate::discover::discover_typed(l, |_, _| n += 1);
    }
    println!("discover {:?} ({n} leaves)", t.elapsed());
    let t = std::time::Instant::now();
    let b = super::bloom::Bloom::build(lines.iter().map(|l| l.as_bytes()), usize::MAX);
    println!("bloom {:?} {}", t.elapsed(), b.may_contain(b"abc"));
    let t = std::time::Instant::now();
    for l in &lines {
        let _ = super::template::split_json(l);
    }
    println!("split_json {:?}", t.elapsed());
    let raw: Vec<u8> = lines.iter().flat_map(|l| l.bytes()).collect();
    let t = std::time::Instant::now();
    let _ = zstd::bulk::compress(&raw, 3).unwrap();
    println!("zstd3 {:?}", t.elapsed());
    let mut rows: Vec<SegmentRow> = lines
        .iter()
        .enumerate()
        .map(|(i, l)| SegmentRow {
            stream: "s".into(),
            event: Event {
                timestamp: i as i64,
                ingestion_time: 0,
                message: l.clone(),
            },
        })
        .collect();
    let t = std::time::Instant::now();
    let _ = encode_segment(&mut rows, &WriteConfig::default()).unwrap();
    println!("encode {:?}", t.elapsed());
}

/// The text-only number typing agrees with printing the value back, on seeded numbers of every
/// shape (canonical or not, long, signed, with exponents).
#[test]
fn quick_number_agrees_with_printing() {
    fn slow(text: &str) -> Option<Value> {
        if let Ok(i) = text.parse::<i64>()
            && displays_as(&i, text)
        {
            return Some(Value::Int(i));
        }
        if let Ok(f) = text.parse::<f64>()
            && f.is_finite()
            && displays_as(&f, text)
        {
            return Some(Value::Float(f));
        }
        None
    }
    let mut rng = Rng::new(0xf10a7);
    let mut texts: Vec<String> = [
        "0",
        "-0",
        "7",
        "-7",
        "00",
        "01",
        "0.5",
        "-0.5",
        "0.50",
        "1.0",
        "1.",
        ".5",
        "1e3",
        "+5",
        "123456789012345678",
        "1234567890123456789",
        "9223372036854775807",
        "0.1",
        "0.2",
        "123456789012.345",
        "1234567890123.456",
        "0.000000000000001",
        "5e-324",
        "-0.0",
        "-9223372036854775808",
        "-9223372036854775809",
        "9223372036854775808",
        "-09",
        "10000000000000000000",
        "99999999999999999999",
        "-",
        "",
        "12a",
        "a12",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    for _ in 0..20_000 {
        let digits = |rng: &mut Rng, n: u64| -> String {
            (0..n)
                .map(|_| char::from(b'0' + rng.below(10) as u8))
                .collect()
        };
        let mut t = String::new();
        if rng.below(3) == 0 {
            t.push('-');
        }
        let n = 1 + rng.below(20);
        t.push_str(&digits(&mut rng, n));
        if rng.below(2) == 0 {
            t.push('.');
            let n = rng.below(18);
            t.push_str(&digits(&mut rng, n));
        }
        texts.push(t);
    }
    for t in &texts {
        let int = t.parse::<i64>().ok().filter(|i| displays_as(i, t));
        assert_eq!(canonical_int(t.as_bytes()), int, "{t}");
        let quick = quick_number(t);
        match quick {
            Some(QuickNum::Int(i)) => assert_eq!(slow(t), Some(Value::Int(i)), "{t}"),
            Some(QuickNum::Float { value, places }) => {
                assert_eq!(slow(t), Some(Value::Float(value)), "{t}");
                let printed = format_float(value);
                let want = printed.split_once('.').map_or(0, |(_, f)| f.len());
                assert_eq!(places as usize, want, "{t}");
            }
            None => {}
        }
        if let Some(Value::Int(_)) = slow(t)
            && t.len() <= 18
        {
            assert!(
                quick.is_some(),
                "canonical short integer {t} takes the slow path"
            );
        }
    }
}

/// `message_candidates` never rules out a row whose message holds the needle (whatever the
/// needle: inside a template piece, inside a value, or across their borders), and rules out
/// most rows for a needle no message has.
#[test]
fn message_candidates_never_miss_a_match() {
    let dir = tempfile::tempdir().unwrap();
    let mut rng = Rng::new(0xca7d);
    let mut lines = app_log_lines(&mut rng, 300);
    lines.extend(text_log_lines(&mut rng, 300));
    lines.extend(access_log_lines(&mut rng, 300));
    let mut rows: Vec<SegmentRow> = lines
        .into_iter()
        .enumerate()
        .map(|(i, message)| SegmentRow {
            stream: "s".into(),
            event: Event {
                timestamp: 1_700_000_000_000 + i as i64,
                ingestion_time: 1_700_000_000_000 + i as i64,
                message,
            },
        })
        .collect();
    rows.extend(random_rows(&mut rng, 300));
    let bytes = encode_segment(&mut rows, &small_config()).unwrap();
    let seg = Segment::open(&write_tmp(dir.path(), "needles.lseg", &bytes)).unwrap();
    let blocks = seg.footer().blocks.len();
    let messages: Vec<Vec<String>> = (0..blocks).map(|b| seg.messages(b).unwrap()).collect();

    // Needles cut from the messages at random places (borders included), and fixed ones.
    let mut needles: Vec<String> = [
        "Failed password",
        "status\":5",
        "\",\"",
        "ERROR",
        "=alice",
        " 4",
        "0.",
        "true,",
        "request completed\"}",
        "port 22 ssh2",
        "Chrome/32",
        "\"-\" \"curl",
        "HTTP/1.1\" 404",
        "blog/2013/11/\" \"Mozilla",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    while needles.len() < 400 {
        let b = rng.below(blocks as u64) as usize;
        let m = &messages[b][rng.below(messages[b].len() as u64) as usize];
        if m.is_empty() {
            continue;
        }
        let start = rng.below(m.len() as u64) as usize;
        let len = 1 + rng.below(24) as usize;
        if let Some(n) = m.get(start..(start + len).min(m.len())) {
            needles.push(n.to_owned());
        }
    }
    let mut kept_matches = 0;
    for needle in &needles {
        for (b, msgs) in messages.iter().enumerate() {
            let mask = seg.message_candidates(b, &[needle.as_str()]).unwrap();
            let holds = &seg.message_holds(b, &[needle.as_str()]).unwrap()[0];
            for (row, m) in msgs.iter().enumerate() {
                let candidate = mask.as_ref().is_none_or(|k| k[row]);
                let contains = m.contains(needle.as_str());
                // `Yes` and `No` are certain (the scan renders only `Maybe` rows).
                match holds[row] {
                    Holds::Yes => assert!(contains, "block {b} row {row}: {needle:?} in {m:?}"),
                    Holds::No => assert!(!contains, "block {b} row {row}: {needle:?} in {m:?}"),
                    Holds::Maybe => {}
                }
                if contains {
                    assert!(candidate, "block {b} row {row} holds {needle:?}: {m:?}");
                    kept_matches += 1;
                }
            }
        }
    }
    assert!(
        kept_matches > 1000,
        "the needles should match often ({kept_matches})"
    );

    // A needle no message has: rows ruled out without rendering.
    let (mut out, mut total) = (0, 0);
    for needle in ["zv9rareTOKEN", "qx7needle3f", "Failed passwordx"] {
        for (b, msgs) in messages.iter().enumerate() {
            let mask = seg.message_candidates(b, &[needle]).unwrap();
            total += msgs.len();
            out += mask.map_or(0, |k| k.iter().filter(|&&c| !c).count());
        }
    }
    assert!(out * 10 >= total * 9, "ruled out {out} of {total} rows");

    // Two needles: a row must be able to hold both.
    for (b, msgs) in messages.iter().enumerate() {
        let mask = seg.message_candidates(b, &["ERROR", "status"]).unwrap();
        for (row, m) in msgs.iter().enumerate() {
            if m.contains("ERROR") && m.contains("status") {
                assert!(mask.as_ref().is_none_or(|k| k[row]));
            }
        }
    }
}

/// `field_equals_rows` keeps every row whose field is exactly the text (and rows where the
/// field has a value of another type), and rules out the others.
#[test]
fn field_equals_rows_keep_every_equal_value() {
    let dir = tempfile::tempdir().unwrap();
    let mut rng = Rng::new(0xf1e1d);
    let mut rows = random_rows(&mut rng, 700);
    let bytes = encode_segment(&mut rows, &small_config()).unwrap();
    let seg = Segment::open(&write_tmp(dir.path(), "eq.lseg", &bytes)).unwrap();
    let mut ruled_out = 0;
    for (name, text) in [
        ("level", "ERROR"),
        ("level", "nope"),
        ("status", "GET"),
        ("status", "42"),
        ("req.path", "/ok"),
        ("absent", "x"),
    ] {
        for b in 0..seg.footer().blocks.len() {
            let keep = seg.field_equals_rows(b, name, text).unwrap();
            for (r, m) in seg.messages(b).unwrap().iter().enumerate() {
                let value = serde_json::from_str::<serde_json::Value>(m)
                    .ok()
                    .and_then(|v| name.split('.').try_fold(v, |v, k| v.get(k).cloned()));
                let holds = match &value {
                    Some(serde_json::Value::String(s)) => s == text,
                    // Another type: the engine's comparison decides, the rows stay.
                    Some(serde_json::Value::Null) | None => false,
                    Some(_) => true,
                };
                let kept = keep.as_ref().is_none_or(|k| k[r]);
                assert!(kept || !holds, "{name} = {text:?}, block {b} row {r}: {m}");
                ruled_out += usize::from(!kept);
            }
        }
    }
    assert!(ruled_out > 1000, "{ruled_out}");
}

/// A field present in a few rows of a block stores those rows as a list (format 4), not a
/// bitmap of every row: the chunk stays a few bytes, and every reader finds the same rows.
#[test]
fn sparse_fields_list_their_rows() {
    use arrow::array::Array;
    let dir = tempfile::tempdir().unwrap();
    let mut rows: Vec<SegmentRow> = (0..1000)
        .map(|i: i64| SegmentRow {
            stream: "s".into(),
            event: Event {
                timestamp: i,
                ingestion_time: 0,
                message: match i {
                    3 | 500 | 999 => format!(r#"{{"n":{i},"err":"e{i}","code":{i}}}"#),
                    _ => format!(r#"{{"n":{i}}}"#),
                },
            },
        })
        .collect();
    let bytes = encode_segment(&mut rows, &WriteConfig::default()).unwrap();
    let seg = Segment::open(&write_tmp(dir.path(), "sparse.lseg", &bytes)).unwrap();
    let f = seg.footer();
    for name in ["err", "code"] {
        let (col, _) = f.field_columns(name).next().unwrap();
        let chunk = f.blocks[0].chunks[col].as_ref().unwrap();
        assert_eq!(chunk.present, 3);
        assert!(chunk.raw_len < 32, "{name}: {} bytes", chunk.raw_len);
    }
    let got: Vec<(usize, String)> = field_values(&seg)
        .into_iter()
        .filter(|(_, n, _)| n != "n")
        .map(|(r, n, _)| (r, n))
        .collect();
    let want: Vec<(usize, String)> = [3, 500, 999]
        .iter()
        .flat_map(|&r| [(r, "code".to_string()), (r, "err".to_string())])
        .collect();
    assert_eq!(got, want);
    let (err, _) = f.field_columns("err").next().unwrap();
    let strings = seg.field_strings(0, err).unwrap();
    assert_eq!(strings.null_count(), 997);
    assert_eq!(strings.value(500), "e500");
    let (code, _) = f.field_columns("code").next().unwrap();
    let ints = seg.field_ints(0, code, None).unwrap();
    assert_eq!((ints.null_count(), ints.value(999)), (997, 999));
    assert_eq!(seg.read_rows().unwrap(), rows);
}
