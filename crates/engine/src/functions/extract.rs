//! Extraction UDFs behind `parse`: one call evaluates the pattern once per row and returns a
//! struct with one `Utf8` field per target, null where the row does not match.
//!
//! Each UDF instance carries its pattern (plain data, so a plan stays serialisable); equality
//! and hashing go by the pattern text and target names.

use std::hash::{Hash, Hasher};
use std::sync::Arc;

use datafusion::arrow::array::{
    Array, ArrayRef, AsArray, Int64Builder, ListArray, StringBuilder, StructArray,
};
use datafusion::arrow::buffer::{NullBuffer, OffsetBuffer};
use datafusion::arrow::datatypes::{DataType, Field, Fields};
use datafusion::common::{Result, exec_err};
use datafusion::logical_expr::{
    ColumnarValue, ScalarFunctionArgs, ScalarUDF, ScalarUDFImpl, Signature, Volatility,
};
use regex::Regex;

/// How a row's text becomes target values.
#[derive(Debug, Clone)]
pub enum Extractor {
    /// A regex; capture group `i + 1`... or the named groups, in `targets` order.
    Regex { regex: Regex, groups: Vec<usize> },
    /// RFC 4180 comma-separated values, assigned by position.
    Csv,
    /// `parse ... multi`: every match of the regex, as a list of structs (each with the targets
    /// and [`MATCH_ORDINAL`], the match's position); null when nothing matches.
    Multi { regex: Regex, groups: Vec<usize> },
}

/// The field of a `multi` match struct holding the match's position in its value (0-based).
pub const MATCH_ORDINAL: &str = "__loupe_match";

#[derive(Debug, Clone)]
pub struct ExtractUdf {
    /// The pattern as written, for equality, hashing and display.
    key: String,
    targets: Vec<String>,
    extractor: Extractor,
    signature: Signature,
}

impl PartialEq for ExtractUdf {
    fn eq(&self, other: &Self) -> bool {
        self.key == other.key && self.targets == other.targets
    }
}

impl Eq for ExtractUdf {}

impl Hash for ExtractUdf {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.key.hash(state);
        self.targets.hash(state);
    }
}

impl ExtractUdf {
    pub fn udf(key: String, targets: Vec<String>, extractor: Extractor) -> ScalarUDF {
        let signature = Signature::exact(vec![DataType::Utf8], Volatility::Immutable);
        ScalarUDF::new_from_impl(ExtractUdf {
            key,
            targets,
            extractor,
            signature,
        })
    }

    fn fields(&self) -> Fields {
        self.targets
            .iter()
            .map(|t| Field::new(t, DataType::Utf8, true))
            .collect()
    }
}

/// Splits one CSV record (RFC 4180: quoted fields, `""` for a quote inside quotes).
pub fn split_csv(line: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut field = String::new();
    let mut chars = line.chars().peekable();
    let mut quoted = false;
    while let Some(c) = chars.next() {
        match (quoted, c) {
            (true, '"') if chars.peek() == Some(&'"') => {
                field.push('"');
                chars.next();
            }
            (true, '"') => quoted = false,
            (false, '"') if field.is_empty() => quoted = true,
            (false, ',') => out.push(std::mem::take(&mut field)),
            (_, c) => field.push(c),
        }
    }
    out.push(field);
    out
}

impl ScalarUDFImpl for ExtractUdf {
    fn name(&self) -> &str {
        "insights_extract"
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn return_type(&self, _args: &[DataType]) -> Result<DataType> {
        Ok(match self.extractor {
            Extractor::Multi { .. } => self.match_list_type(),
            _ => DataType::Struct(self.fields()),
        })
    }

    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> Result<ColumnarValue> {
        let [arg] = args.args.as_slice() else {
            return exec_err!("insights_extract takes one argument");
        };
        let array = arg.to_array(args.number_rows)?;
        let text = array.as_string::<i32>();
        if let Extractor::Multi { regex, groups } = &self.extractor {
            return self.all_matches(text, regex, groups);
        }
        let mut builders: Vec<StringBuilder> =
            self.targets.iter().map(|_| StringBuilder::new()).collect();
        let mut valid = Vec::with_capacity(text.len());
        for i in 0..text.len() {
            let matched = if text.is_null(i) {
                false
            } else {
                match &self.extractor {
                    Extractor::Regex { regex, groups } => match regex.captures(text.value(i)) {
                        Some(caps) => {
                            for (b, g) in builders.iter_mut().zip(groups) {
                                b.append_option(caps.get(*g).map(|m| m.as_str()));
                            }
                            true
                        }
                        None => false,
                    },
                    Extractor::Multi { .. } => false,
                    Extractor::Csv => {
                        let values = split_csv(text.value(i));
                        for (j, b) in builders.iter_mut().enumerate() {
                            b.append_option(values.get(j));
                        }
                        true
                    }
                }
            };
            if !matched {
                builders.iter_mut().for_each(|b| b.append_null());
            }
            valid.push(matched);
        }
        let columns: Vec<ArrayRef> = builders
            .iter_mut()
            .map(|b| Arc::new(b.finish()) as ArrayRef)
            .collect();
        let nulls = NullBuffer::from(valid);
        let array = StructArray::try_new(self.fields(), columns, Some(nulls))?;
        Ok(ColumnarValue::Array(Arc::new(array)))
    }
}

impl ExtractUdf {
    /// The fields of one `multi` match: the targets, then the match ordinal.
    fn match_fields(&self) -> Fields {
        let mut fields: Vec<Field> = self
            .targets
            .iter()
            .map(|t| Field::new(t, DataType::Utf8, true))
            .collect();
        fields.push(Field::new(MATCH_ORDINAL, DataType::Int64, false));
        fields.into()
    }

    fn match_list_type(&self) -> DataType {
        DataType::List(Arc::new(Field::new_list_field(
            DataType::Struct(self.match_fields()),
            true,
        )))
    }

    /// `parse ... multi`: per row, the list of every match (null when there is none).
    fn all_matches(
        &self,
        text: &datafusion::arrow::array::StringArray,
        regex: &Regex,
        groups: &[usize],
    ) -> Result<ColumnarValue> {
        let mut builders: Vec<StringBuilder> =
            self.targets.iter().map(|_| StringBuilder::new()).collect();
        let mut ordinals = Int64Builder::new();
        let mut offsets: Vec<i32> = vec![0];
        let mut valid = Vec::with_capacity(text.len());
        let mut total: i32 = 0;
        for i in 0..text.len() {
            let mut found = 0;
            if !text.is_null(i) {
                for caps in regex.captures_iter(text.value(i)) {
                    for (b, g) in builders.iter_mut().zip(groups) {
                        b.append_option(caps.get(*g).map(|m| m.as_str()));
                    }
                    ordinals.append_value(found);
                    found += 1;
                }
            }
            total += i32::try_from(found).unwrap_or(i32::MAX);
            offsets.push(total);
            valid.push(found > 0);
        }
        let mut columns: Vec<ArrayRef> = builders
            .iter_mut()
            .map(|b| Arc::new(b.finish()) as ArrayRef)
            .collect();
        columns.push(Arc::new(ordinals.finish()));
        let matches = StructArray::try_new(self.match_fields(), columns, None)?;
        let list = ListArray::try_new(
            Arc::new(Field::new_list_field(
                DataType::Struct(self.match_fields()),
                true,
            )),
            OffsetBuffer::new(offsets.into()),
            Arc::new(matches),
            Some(NullBuffer::from(valid)),
        )?;
        Ok(ColumnarValue::Array(Arc::new(list)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_follows_rfc4180_quoting() {
        assert_eq!(split_csv("a,b,,c"), ["a", "b", "", "c"]);
        assert_eq!(
            split_csv(r#""x, y","say ""hi""",z"#),
            ["x, y", r#"say "hi""#, "z"]
        );
        assert_eq!(split_csv(""), [""]);
    }
}
