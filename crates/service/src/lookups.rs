//! Lookup tables for the `lookup` and `cidrlookup` query commands (spec §3.18, §7 limits):
//! CSV files kept under the store root as `lookups/<name>.csv`, byte for byte as added.
//!
//! Rules, checked when a table is added:
//!
//! - A name is 1 to 256 ASCII letters, digits and underscores (the spec's rule; AWS's console
//!   also allows hyphens, but a name with one could not be written unquoted in a query).
//!   Names are case-sensitive, as in queries.
//! - The file is UTF-8 (a leading byte-order mark is skipped) of at most 10 MB, RFC 4180
//!   records: a header row of distinct, non-empty column names, then rows with as many fields
//!   as the header. Blank lines are skipped. A table may have no rows.
//! - At most 100 tables; adding one under a name in use is `ResourceAlreadyExists` (remove it
//!   first to replace it).
//!
//! A file is written to a temporary name, flushed to disk and then linked under its name (a
//! link, unlike a rename, never replaces a table added meanwhile), so a crash never leaves half
//! a table under its name. A query reads the tables it names when it starts.

use std::collections::HashMap;
use std::io::Write;
use std::path::{Path, PathBuf};

use loupe_engine::LookupTable;
use loupe_lang::ast::{CommandKind, Query};

use crate::ingest::csv::Records;
use crate::{Loupe, Result, ServiceError};

/// The most lookup tables a store holds.
pub const MAX_LOOKUP_TABLES: usize = 100;
/// The largest CSV file a lookup table may be, in bytes.
pub const MAX_LOOKUP_BYTES: usize = 10 * 1024 * 1024;
/// The longest lookup table name.
pub const MAX_LOOKUP_NAME: usize = 256;

const DIR: &str = "lookups";

/// A lookup table as `list_lookups` describes it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LookupInfo {
    pub name: String,
    pub columns: Vec<String>,
    pub rows: usize,
    /// The CSV file's size.
    pub size_bytes: u64,
}

fn check_name(name: &str) -> Result<()> {
    let ok = !name.is_empty()
        && name.len() <= MAX_LOOKUP_NAME
        && name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_');
    if ok {
        Ok(())
    } else {
        Err(ServiceError::InvalidParameter(format!(
            "invalid lookup table name {name:?}: use 1 to {MAX_LOOKUP_NAME} letters, digits \
             and underscores"
        )))
    }
}

/// Reads a lookup table's CSV: its header and rows, checked against the rules above.
pub fn parse_lookup_csv(bytes: &[u8]) -> Result<LookupTable> {
    let invalid = |why: String| ServiceError::InvalidParameter(format!("lookup table CSV: {why}"));
    if bytes.len() > MAX_LOOKUP_BYTES {
        return Err(ServiceError::LimitExceeded(format!(
            "a lookup table's CSV may be at most 10 MB ({MAX_LOOKUP_BYTES} bytes); this one is \
             {} bytes",
            bytes.len()
        )));
    }
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    let text = std::str::from_utf8(bytes).map_err(|e| {
        invalid(format!(
            "not UTF-8 (first bad byte at offset {})",
            e.valid_up_to()
        ))
    })?;
    let mut input = text.as_bytes();
    let mut records = Records::new(&mut input);
    let mut fields = Vec::new();
    let mut next = |fields: &mut Vec<Vec<u8>>| -> Result<Option<(u64, Vec<String>)>> {
        loop {
            let Some(line) = records.next(fields).map_err(|e| invalid(e.to_string()))? else {
                return Ok(None);
            };
            if fields.len() == 1 && fields[0].is_empty() {
                continue;
            }
            // Valid UTF-8 split at ASCII commas and quotes stays valid UTF-8.
            let values = fields
                .iter()
                .map(|f| String::from_utf8_lossy(f).into_owned())
                .collect();
            return Ok(Some((line, values)));
        }
    };
    let Some((_, columns)) = next(&mut fields)? else {
        return Err(invalid("the file is empty; it needs a header row".into()));
    };
    for (i, c) in columns.iter().enumerate() {
        if c.trim().is_empty() {
            return Err(invalid(format!("header column {} has no name", i + 1)));
        }
        if columns[..i].contains(c) {
            return Err(invalid(format!("the header names column {c:?} twice")));
        }
    }
    let mut rows = Vec::new();
    while let Some((line, row)) = next(&mut fields)? {
        if row.len() != columns.len() {
            return Err(invalid(format!(
                "line {line} has {} fields; the header has {}",
                row.len(),
                columns.len()
            )));
        }
        rows.push(row);
    }
    Ok(LookupTable { columns, rows })
}

/// The names of the lookup tables `query` uses.
fn tables_used(query: &Query) -> Vec<&str> {
    let mut names: Vec<&str> = Vec::new();
    for command in &query.commands {
        if let CommandKind::Lookup { table, .. } | CommandKind::CidrLookup { table, .. } =
            &command.kind
            && !names.contains(&table.name.as_str())
        {
            names.push(&table.name);
        }
    }
    names
}

fn io_error(path: &Path, e: std::io::Error) -> ServiceError {
    ServiceError::Internal(format!("{}: {e}", path.display()))
}

impl Loupe {
    fn lookup_dir(&self) -> PathBuf {
        self.store.root().join(DIR)
    }

    fn lookup_path(&self, name: &str) -> PathBuf {
        self.lookup_dir().join(format!("{name}.csv"))
    }

    /// The names of the stored tables, sorted.
    fn lookup_names(&self) -> Result<Vec<String>> {
        let dir = self.lookup_dir();
        let entries = match std::fs::read_dir(&dir) {
            Ok(entries) => entries,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
            Err(e) => return Err(io_error(&dir, e)),
        };
        let mut names = Vec::new();
        for entry in entries {
            let entry = entry.map_err(|e| io_error(&dir, e))?;
            let file = entry.file_name();
            let Some(name) = file.to_str().and_then(|f| f.strip_suffix(".csv")) else {
                continue;
            };
            if check_name(name).is_ok() {
                names.push(name.to_owned());
            }
        }
        names.sort();
        Ok(names)
    }

    /// Adds lookup table `name` from CSV `bytes` (see the module docs for the rules).
    pub fn add_lookup(&self, name: &str, bytes: &[u8]) -> Result<LookupInfo> {
        check_name(name)?;
        let table = parse_lookup_csv(bytes)?;
        let names = self.lookup_names()?;
        if names.iter().any(|n| n == name) {
            return Err(ServiceError::ResourceAlreadyExists(format!(
                "a lookup table named {name} already exists"
            )));
        }
        if names.len() >= MAX_LOOKUP_TABLES {
            return Err(ServiceError::LimitExceeded(format!(
                "a store holds at most {MAX_LOOKUP_TABLES} lookup tables; remove one first"
            )));
        }
        let dir = self.lookup_dir();
        std::fs::create_dir_all(&dir).map_err(|e| io_error(&dir, e))?;
        let path = self.lookup_path(name);
        let temp = dir.join(format!(".{name}.csv.tmp-{}", std::process::id()));
        let write = || -> std::io::Result<()> {
            let mut file = std::fs::File::create(&temp)?;
            file.write_all(bytes)?;
            file.sync_all()?;
            // A hard link never replaces a file: of two writers adding the same name at once,
            // one gets `AlreadyExists`.
            std::fs::hard_link(&temp, &path)?;
            std::fs::remove_file(&temp)?;
            // The new name is durable once the directory is synced.
            std::fs::File::open(&dir)?.sync_all()
        };
        let written = write();
        let _ = std::fs::remove_file(&temp);
        match written {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
                return Err(ServiceError::ResourceAlreadyExists(format!(
                    "a lookup table named {name} already exists"
                )));
            }
            Err(e) => return Err(io_error(&path, e)),
        }
        Ok(LookupInfo {
            name: name.to_owned(),
            columns: table.columns,
            rows: table.rows.len(),
            size_bytes: bytes.len() as u64,
        })
    }

    /// Every stored lookup table, by name.
    pub fn list_lookups(&self) -> Result<Vec<LookupInfo>> {
        self.lookup_names()?
            .into_iter()
            .map(|name| {
                let path = self.lookup_path(&name);
                let bytes = std::fs::read(&path).map_err(|e| io_error(&path, e))?;
                let table = parse_lookup_csv(&bytes)?;
                Ok(LookupInfo {
                    name,
                    columns: table.columns,
                    rows: table.rows.len(),
                    size_bytes: bytes.len() as u64,
                })
            })
            .collect()
    }

    /// Removes lookup table `name`.
    pub fn remove_lookup(&self, name: &str) -> Result<()> {
        check_name(name)?;
        let path = self.lookup_path(name);
        match std::fs::remove_file(&path) {
            Ok(()) => Ok(()),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Err(
                ServiceError::ResourceNotFound(format!("there is no lookup table named {name}")),
            ),
            Err(e) => Err(io_error(&path, e)),
        }
    }

    /// The stored tables `query` names (one it names that does not exist is left out: the
    /// engine reports it with its position in the query).
    pub(crate) fn lookups_for(&self, query: &Query) -> Result<HashMap<String, LookupTable>> {
        let mut tables = HashMap::new();
        for name in tables_used(query) {
            if check_name(name).is_err() {
                continue;
            }
            let path = self.lookup_path(name);
            let bytes = match std::fs::read(&path) {
                Ok(bytes) => bytes,
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => continue,
                Err(e) => return Err(io_error(&path, e)),
            };
            tables.insert(name.to_owned(), parse_lookup_csv(&bytes)?);
        }
        Ok(tables)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::StartQuery;

    fn loupe() -> (tempfile::TempDir, Loupe) {
        let dir = tempfile::tempdir().unwrap();
        let loupe = Loupe::open(dir.path()).unwrap();
        (dir, loupe)
    }

    #[test]
    fn csv_rules() {
        let t = parse_lookup_csv(b"\xEF\xBB\xBFid,name\r\nu1,\"Ann, A.\"\n\nu2,\n").unwrap();
        assert_eq!(t.columns, ["id", "name"]);
        assert_eq!(t.rows, [vec!["u1", "Ann, A."], vec!["u2", ""]]);
        assert_eq!(parse_lookup_csv(b"only\n").unwrap().rows.len(), 0);

        let err = |bytes: &[u8]| parse_lookup_csv(bytes).unwrap_err();
        assert!(matches!(err(b""), ServiceError::InvalidParameter(m) if m.contains("empty")));
        assert!(
            matches!(err(b"a,b,a\n1,2,3\n"), ServiceError::InvalidParameter(m) if m.contains("\"a\" twice"))
        );
        assert!(
            matches!(err(b"a,,c\n"), ServiceError::InvalidParameter(m) if m.contains("column 2 has no name"))
        );
        assert!(
            matches!(err(b"a,b\n1,2\n3\n"), ServiceError::InvalidParameter(m) if m.contains("line 3 has 1 fields"))
        );
        assert!(
            matches!(err(b"a\n\xff\n"), ServiceError::InvalidParameter(m) if m.contains("not UTF-8"))
        );
        assert!(
            matches!(err(b"a\n\"open\n"), ServiceError::InvalidParameter(m) if m.contains("never closed"))
        );
        let mut big = b"a\n".to_vec();
        big.resize(MAX_LOOKUP_BYTES + 1, b'x');
        assert!(matches!(err(&big), ServiceError::LimitExceeded(_)));
    }

    #[test]
    fn add_list_remove() {
        let (dir, loupe) = loupe();
        assert!(loupe.list_lookups().unwrap().is_empty());
        let info = loupe
            .add_lookup("users", b"id,name\nu1,Ann\nu2,Bob\n")
            .unwrap();
        assert_eq!((info.rows, info.columns.len()), (2, 2));
        loupe.add_lookup("A_1", b"x\n").unwrap();
        assert!(dir.path().join("lookups/users.csv").is_file());
        let listed = loupe.list_lookups().unwrap();
        let names: Vec<&str> = listed.iter().map(|l| l.name.as_str()).collect();
        assert_eq!(names, ["A_1", "users"]);
        assert_eq!(listed[1].size_bytes, 22);

        assert!(matches!(
            loupe.add_lookup("users", b"id\n"),
            Err(ServiceError::ResourceAlreadyExists(_))
        ));
        for bad in ["", "my-table", "a b", "../x", &"n".repeat(257)] {
            assert!(
                matches!(
                    loupe.add_lookup(bad, b"id\n"),
                    Err(ServiceError::InvalidParameter(_))
                ),
                "{bad}"
            );
        }
        loupe.remove_lookup("users").unwrap();
        assert!(matches!(
            loupe.remove_lookup("users"),
            Err(ServiceError::ResourceNotFound(_))
        ));
        assert_eq!(loupe.list_lookups().unwrap().len(), 1);
        // No temporary files are left behind.
        let files = std::fs::read_dir(dir.path().join("lookups"))
            .unwrap()
            .count();
        assert_eq!(files, 1);
    }

    #[test]
    fn at_most_a_hundred_tables() {
        let (_dir, loupe) = loupe();
        for i in 0..MAX_LOOKUP_TABLES {
            loupe.add_lookup(&format!("t{i}"), b"k\n").unwrap();
        }
        assert!(matches!(
            loupe.add_lookup("one_more", b"k\n"),
            Err(ServiceError::LimitExceeded(_))
        ));
        loupe.remove_lookup("t7").unwrap();
        loupe.add_lookup("one_more", b"k\n").unwrap();
    }

    #[test]
    fn queries_read_the_tables_they_name() {
        let (_dir, loupe) = loupe();
        let lines =
            b"2026-11-01T00:00:00Z {\"user\":\"u1\"}\n2026-11-01T00:00:01Z {\"user\":\"u3\"}\n";
        loupe.ingest_lines("app", "s", &lines[..]).unwrap();
        loupe
            .add_lookup("users", b"id,name\nu1,Ann\nu2,Bob\n")
            .unwrap();
        let run = |q: &str| {
            loupe.query(&StartQuery {
                query_string: q.into(),
                log_group_names: vec!["app".into()],
                ..Default::default()
            })
        };
        let results =
            run("lookup users id as user OUTPUT name | sort @timestamp asc | fields user, name")
                .unwrap();
        let rows: Vec<Vec<(String, String)>> = results
            .results
            .iter()
            .map(|r| {
                r.iter()
                    .filter(|f| f.field != "@ptr")
                    .map(|f| (f.field.clone(), f.value.clone()))
                    .collect()
            })
            .collect();
        assert_eq!(
            rows,
            [
                vec![("user".into(), "u1".into()), ("name".into(), "Ann".into())],
                vec![("user".into(), "u3".into())],
            ]
        );
        match run("lookup people id as user OUTPUT name") {
            Err(ServiceError::MalformedQuery { diagnostic, .. }) => {
                assert!(diagnostic.message.contains("`people`"), "{diagnostic}")
            }
            other => panic!("{other:?}"),
        }
    }
}
