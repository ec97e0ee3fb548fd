//! `lookup table tableCol [as eventField], ... OUTPUT|OUTPUTNEW col [as eventField], ...` and
//! `cidrlookup table ipField [as cidrColumn] OUTPUT|OUTPUTNEW col [as eventField], ...`
//! (spec §3.18, §3.19): enrich each event with the columns of the one table row it matches.
//!
//! The tables come with the request ([`LookupTable`]: a CSV's header and rows, every value
//! text). Each command is one scalar UDF over the rows that returns, per event, a struct with
//! the matched row's output values; the output fields are read out of it. A projection keeps
//! the rows' count and order as they were (a hash join against the table would reorder the
//! events, and a left join builds its hash table from the events side).
//!
//! Decisions where the spec is silent or open:
//!
//! - `lookup` compares the text of the event's field as the result shows it (a number as
//!   Insights prints it: `200`, `12.5`; a JSON boolean as written) with the table's cell, exactly and case-sensitively; several match columns are
//!   ANDed; an event missing a match field matches nothing.
//! - A key that appears in several table rows: the first row wins, so rows never multiply.
//! - `OUTPUT` sets every output field, to nothing where the event matched no row; `OUTPUTNEW`
//!   only fills output fields the event does not have (a missing value; an empty string is a
//!   value), and leaves the rest alone. An empty table cell gives no value.
//! - `cidrlookup` without `AS cidrColumn` reads the CIDR ranges from the table's column named
//!   like `ipField` when there is one, else from its first column. The longest matching
//!   prefix wins (ties: the first row). A cell may be a bare address (a /32 or /128); host
//!   bits after the prefix are ignored (`10.0.0.7/8` is `10.0.0.0/8`); a cell that is no CIDR
//!   never matches. IPv4 events match IPv4 ranges, IPv6 events IPv6 ranges, and an
//!   IPv4-mapped IPv6 address (`::ffff:10.0.0.1`) counts as its IPv4 address.
//! - The output fields join the result's columns (after the `fields` listed, or after the
//!   default `@timestamp`, `@message`), unless a `display` fixed them.

use std::collections::HashMap;
use std::hash::{Hash, Hasher};
use std::net::IpAddr;
use std::sync::Arc;

use datafusion::arrow::array::{Array, ArrayRef, AsArray, StringBuilder, StructArray};
use datafusion::arrow::buffer::NullBuffer;
use datafusion::arrow::datatypes::{DataType, Field, Fields};
use datafusion::common::Result as DfResult;
use datafusion::functions::core::expr_fn::get_field;
use datafusion::functions::expr_fn::coalesce;
use datafusion::logical_expr::{
    ColumnarValue, Expr, ScalarFunctionArgs, ScalarUDF, ScalarUDFImpl, Signature, Volatility, cast,
};
use loupe_lang::Diagnostic;
use loupe_lang::ast::{FieldMapping, Ident, OutputMode};

use super::PlanState;
use crate::error::Result;
use crate::expr::Kind;

/// A lookup table as the engine sees it: the CSV's header and its rows, every value text.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LookupTable {
    pub columns: Vec<String>,
    pub rows: Vec<Vec<String>>,
}

/// The lookup tables a query may name, by table name.
pub type LookupTables = Arc<HashMap<String, LookupTable>>;

impl LookupTable {
    fn column(&self, name: &str) -> Option<usize> {
        self.columns.iter().position(|c| c == name)
    }

    fn cell(&self, row: usize, column: usize) -> Option<&str> {
        self.rows
            .get(row)
            .and_then(|r| r.get(column))
            .map(String::as_str)
            .filter(|v| !v.is_empty())
    }
}

/// `lookup table matches... OUTPUT|OUTPUTNEW outputs...`.
pub(crate) fn plan_lookup(
    state: &mut PlanState,
    tables: &LookupTables,
    table: &Ident,
    matches: &[FieldMapping],
    mode: OutputMode,
    outputs: &[FieldMapping],
) -> Result<()> {
    let found = find_table(tables, table)?;
    let mut key_columns = Vec::with_capacity(matches.len());
    let mut keys = Vec::with_capacity(matches.len());
    for m in matches {
        key_columns.push(table_column(found, table, &m.name)?);
        let event_field = &m.alias.as_ref().unwrap_or(&m.name).name;
        keys.push(key_text(state, event_field)?);
    }
    let mut index = HashMap::new();
    let mut key = String::new();
    for (row, cells) in found.rows.iter().enumerate() {
        key.clear();
        for &c in &key_columns {
            push_key_part(&mut key, cells.get(c).map_or("", String::as_str));
        }
        index.entry(key.clone()).or_insert(row);
    }
    let matcher = Matcher::Exact(index);
    let what = format!("lookup:{}:{key_columns:?}", table.name);
    plan_outputs(state, found, table, matcher, what, keys, mode, outputs)
}

/// `cidrlookup table ipField [as cidrColumn] OUTPUT|OUTPUTNEW outputs...`.
pub(crate) fn plan_cidrlookup(
    state: &mut PlanState,
    tables: &LookupTables,
    table: &Ident,
    ip_field: &Ident,
    cidr_column: Option<&Ident>,
    mode: OutputMode,
    outputs: &[FieldMapping],
) -> Result<()> {
    let found = find_table(tables, table)?;
    let column = match cidr_column {
        Some(c) => table_column(found, table, c)?,
        None => found.column(&ip_field.name).unwrap_or(0),
    };
    let mut ranges = CidrIndex::default();
    for (row, cells) in found.rows.iter().enumerate() {
        if let Some((network, len)) = cells.get(column).and_then(|c| parse_cidr(c)) {
            ranges.insert(network, len, row);
        }
    }
    let key = key_text(state, &ip_field.name)?;
    let what = format!("cidrlookup:{}:{column}", table.name);
    let matcher = Matcher::Cidr(ranges);
    plan_outputs(state, found, table, matcher, what, vec![key], mode, outputs)
}

/// The text of event field `name` as the result shows it: a number as Insights prints it, a
/// JSON `true` read from an event as written (a boolean a query computed as `1`/`0`).
fn key_text(state: &PlanState, name: &str) -> Result<Expr> {
    let exprs = state.exprs();
    let value = exprs.field(name);
    let raw = !state.computed.iter().any(|c| c == name);
    Ok(if raw && exprs.kind(&value)? == Kind::Bool {
        cast(value, DataType::Utf8)
    } else {
        cast(exprs.text(value)?, DataType::Utf8)
    })
}

fn find_table<'a>(tables: &'a LookupTables, table: &Ident) -> Result<&'a LookupTable> {
    tables.get(&table.name).ok_or_else(|| {
        Diagnostic::semantic(
            format!("there is no lookup table named `{}`", table.name),
            table.span,
        )
        .with_label("unknown lookup table")
        .with_help("a lookup table is a CSV file added to the store before the query runs")
        .into()
    })
}

fn table_column(found: &LookupTable, table: &Ident, name: &Ident) -> Result<usize> {
    found.column(&name.name).ok_or_else(|| {
        Diagnostic::semantic(
            format!(
                "the lookup table `{}` has no column `{}`",
                table.name, name.name
            ),
            name.span,
        )
        .with_label("no such column")
        .with_help(format!("its columns: {}", found.columns.join(", ")))
        .into()
    })
}

/// Appends one key part, length-prefixed so that no two key tuples share an encoding.
fn push_key_part(key: &mut String, part: &str) {
    key.push_str(&part.len().to_string());
    key.push(':');
    key.push_str(part);
}

/// Computes the matched row's outputs into their fields.
#[allow(clippy::too_many_arguments)]
fn plan_outputs(
    state: &mut PlanState,
    found: &LookupTable,
    table: &Ident,
    matcher: Matcher,
    what: String,
    keys: Vec<Expr>,
    mode: OutputMode,
    outputs: &[FieldMapping],
) -> Result<()> {
    let mut values = Vec::with_capacity(outputs.len());
    for o in outputs {
        let column = table_column(found, table, &o.name)?;
        values.push(
            (0..found.rows.len())
                .map(|row| found.cell(row, column).map(str::to_owned))
                .collect::<Vec<_>>(),
        );
    }
    let udf = LookupUdf::udf(what, matcher, values, keys.len());
    let internal = format!("__loupe_lookup_{}", table.span.start);
    state.add_column(&internal, udf.call(keys))?;
    let matched = state.column(&internal)?;
    for (i, o) in outputs.iter().enumerate() {
        let target = &o.alias.as_ref().unwrap_or(&o.name).name;
        let looked_up = get_field(matched.clone(), i.to_string());
        let value = match mode {
            OutputMode::Output => looked_up,
            OutputMode::OutputNew => {
                let exprs = state.exprs();
                if exprs.kind(&exprs.field(target))? == Kind::Null {
                    looked_up
                } else {
                    coalesce(vec![key_text(state, target)?, looked_up])
                }
            }
        };
        state.add_column(target, value)?;
        super::sequence::show(state, target);
    }
    Ok(())
}

/// How an event's key finds its table row.
#[derive(Debug)]
enum Matcher {
    /// The encoded key tuple (see [`push_key_part`]) → the first row holding it.
    Exact(HashMap<String, usize>),
    Cidr(CidrIndex),
}

impl Matcher {
    fn find(&self, keys: &[Option<&str>], buffer: &mut String) -> Option<usize> {
        match self {
            Matcher::Exact(index) => {
                buffer.clear();
                for k in keys {
                    push_key_part(buffer, (*k)?);
                }
                index.get(buffer.as_str()).copied()
            }
            Matcher::Cidr(ranges) => ranges.find(parse_ip(keys.first().copied()??)?),
        }
    }
}

/// CIDR ranges by prefix length, for a longest-prefix match in at most 33 (IPv4) or 129
/// (IPv6) hash probes.
#[derive(Debug, Default)]
struct CidrIndex {
    v4: Vec<(u8, HashMap<u32, usize>)>,
    v6: Vec<(u8, HashMap<u128, usize>)>,
}

/// An address or network: IPv4 or IPv6.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Ip {
    V4(u32),
    V6(u128),
}

fn mask_v4(ip: u32, len: u8) -> u32 {
    if len == 0 {
        0
    } else {
        ip & (u32::MAX << (32 - u32::from(len)))
    }
}

fn mask_v6(ip: u128, len: u8) -> u128 {
    if len == 0 {
        0
    } else {
        ip & (u128::MAX << (128 - u32::from(len)))
    }
}

impl CidrIndex {
    fn insert(&mut self, network: Ip, len: u8, row: usize) {
        match network {
            Ip::V4(ip) => insert_by_len(&mut self.v4, len, mask_v4(ip, len), row),
            Ip::V6(ip) => insert_by_len(&mut self.v6, len, mask_v6(ip, len), row),
        }
    }

    fn find(&self, ip: Ip) -> Option<usize> {
        match ip {
            Ip::V4(ip) => self
                .v4
                .iter()
                .find_map(|(len, nets)| nets.get(&mask_v4(ip, *len)).copied()),
            Ip::V6(ip) => self
                .v6
                .iter()
                .find_map(|(len, nets)| nets.get(&mask_v6(ip, *len)).copied()),
        }
    }
}

/// Adds `network/len` → `row` unless that network is already there (the first row wins),
/// keeping the lengths longest first.
fn insert_by_len<K: Eq + Hash>(
    by_len: &mut Vec<(u8, HashMap<K, usize>)>,
    len: u8,
    network: K,
    row: usize,
) {
    let at = match by_len.iter().position(|(l, _)| *l <= len) {
        Some(i) if by_len[i].0 == len => i,
        Some(i) => {
            by_len.insert(i, (len, HashMap::new()));
            i
        }
        None => {
            by_len.push((len, HashMap::new()));
            by_len.len() - 1
        }
    };
    by_len[at].1.entry(network).or_insert(row);
}

/// An event's address; an IPv4-mapped IPv6 address is its IPv4 address.
fn parse_ip(text: &str) -> Option<Ip> {
    match text.trim().parse::<IpAddr>().ok()? {
        IpAddr::V4(v4) => Some(Ip::V4(u32::from(v4))),
        IpAddr::V6(v6) => Some(match v6.to_ipv4_mapped() {
            Some(v4) => Ip::V4(u32::from(v4)),
            None => Ip::V6(u128::from(v6)),
        }),
    }
}

/// A table cell `address/len` or a bare address (a single host).
fn parse_cidr(text: &str) -> Option<(Ip, u8)> {
    let text = text.trim();
    let (address, len) = match text.split_once('/') {
        Some((a, l)) => (a, Some(l.parse::<u8>().ok()?)),
        None => (text, None),
    };
    let ip = parse_ip(address)?;
    let max = match ip {
        Ip::V4(_) => 32,
        Ip::V6(_) => 128,
    };
    let len = len.unwrap_or(max);
    (len <= max).then_some((ip, len))
}

/// Finds each row's table row and returns its output values as a struct (fields `0`, `1`,
/// ... in output order), null where the row matches nothing.
#[derive(Debug)]
struct LookupUdf {
    /// What the lookup is (command, table, key columns), for equality, hashing and display.
    key: String,
    matcher: Arc<Matcher>,
    /// Per output, per table row: the value (`None` for an empty cell).
    values: Arc<Vec<Vec<Option<String>>>>,
    signature: Signature,
}

impl PartialEq for LookupUdf {
    fn eq(&self, other: &Self) -> bool {
        self.key == other.key
            && Arc::ptr_eq(&self.matcher, &other.matcher)
            && Arc::ptr_eq(&self.values, &other.values)
    }
}

impl Eq for LookupUdf {}

impl Hash for LookupUdf {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.key.hash(state);
    }
}

impl LookupUdf {
    fn udf(
        key: String,
        matcher: Matcher,
        values: Vec<Vec<Option<String>>>,
        arity: usize,
    ) -> ScalarUDF {
        ScalarUDF::new_from_impl(LookupUdf {
            key,
            matcher: Arc::new(matcher),
            values: Arc::new(values),
            signature: Signature::exact(vec![DataType::Utf8; arity], Volatility::Immutable),
        })
    }

    fn fields(&self) -> Fields {
        (0..self.values.len())
            .map(|i| Field::new(i.to_string(), DataType::Utf8, true))
            .collect()
    }
}

impl ScalarUDFImpl for LookupUdf {
    fn name(&self) -> &str {
        "insights_lookup"
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn return_type(&self, _args: &[DataType]) -> DfResult<DataType> {
        Ok(DataType::Struct(self.fields()))
    }

    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> DfResult<ColumnarValue> {
        let n = args.number_rows;
        let arrays: Vec<ArrayRef> = args
            .args
            .iter()
            .map(|a| a.to_array(n))
            .collect::<DfResult<_>>()?;
        let texts: Vec<_> = arrays.iter().map(|a| a.as_string::<i32>()).collect();
        let mut builders: Vec<StringBuilder> =
            self.values.iter().map(|_| StringBuilder::new()).collect();
        let mut valid = Vec::with_capacity(n);
        let mut keys: Vec<Option<&str>> = Vec::with_capacity(texts.len());
        let mut buffer = String::new();
        for i in 0..n {
            keys.clear();
            keys.extend(texts.iter().map(|t| (!t.is_null(i)).then(|| t.value(i))));
            let row = self.matcher.find(&keys, &mut buffer);
            for (b, column) in builders.iter_mut().zip(self.values.iter()) {
                b.append_option(row.and_then(|r| column.get(r)).and_then(Option::as_deref));
            }
            valid.push(row.is_some());
        }
        let columns: Vec<ArrayRef> = builders
            .iter_mut()
            .map(|b| Arc::new(b.finish()) as ArrayRef)
            .collect();
        let array = StructArray::try_new(self.fields(), columns, Some(NullBuffer::from(valid)))?;
        Ok(ColumnarValue::Array(Arc::new(array)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn longest_prefix_wins_and_ties_go_to_the_first_row() {
        let mut index = CidrIndex::default();
        for (row, cidr) in [
            "10.0.0.0/8",
            "10.1.0.0/16",
            "10.1.2.0/24",
            "10.1.0.0/16",
            "0.0.0.0/0",
        ]
        .iter()
        .enumerate()
        {
            let (ip, len) = parse_cidr(cidr).unwrap();
            index.insert(ip, len, row);
        }
        let find = |ip: &str| index.find(parse_ip(ip).unwrap());
        assert_eq!(find("10.1.2.3"), Some(2));
        assert_eq!(find("10.1.3.3"), Some(1));
        assert_eq!(find("10.200.0.1"), Some(0));
        assert_eq!(find("192.168.0.1"), Some(4));
        assert_eq!(find("::ffff:10.1.2.9"), Some(2));
        assert_eq!(find("2001:db8::1"), None);
    }

    #[test]
    fn cidr_cells() {
        assert_eq!(parse_cidr("10.0.0.7/8"), Some((Ip::V4(0x0a00_0007), 8)));
        assert_eq!(parse_cidr(" 192.0.2.1 "), Some((Ip::V4(0xc000_0201), 32)));
        assert_eq!(parse_cidr("2001:db8::/32").map(|c| c.1), Some(32));
        assert_eq!(parse_cidr("10.0.0.0/33"), None);
        assert_eq!(parse_cidr("10.0.0/8"), None);
        assert_eq!(parse_cidr("region"), None);
        let mut index = CidrIndex::default();
        let (ip, len) = parse_cidr("2001:db8::/32").unwrap();
        index.insert(ip, len, 0);
        assert_eq!(index.find(parse_ip("2001:db8:ffff::1").unwrap()), Some(0));
        assert_eq!(index.find(parse_ip("2001:db9::1").unwrap()), None);
    }

    #[test]
    fn key_parts_do_not_collide() {
        let mut a = String::new();
        push_key_part(&mut a, "a:1");
        push_key_part(&mut a, "b");
        let mut b = String::new();
        push_key_part(&mut b, "a");
        push_key_part(&mut b, "1:b");
        assert_ne!(a, b);
    }
}
