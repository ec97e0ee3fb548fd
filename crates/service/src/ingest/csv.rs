//! The CloudWatch console's CSV download: a header naming the columns (`@timestamp`,
//! `@message`, and possibly `@logStream`, `@log` and query fields), then one record per event.
//!
//! Fields follow RFC 4180: a field in double quotes may hold commas, doubled quotes (`""` for
//! `"`) and line breaks, which is how a multi-line message arrives; its bytes inside the quotes
//! are kept as written. A record ends at a line break outside quotes (a `\r` before it is
//! dropped); a file may lack the final line break. A quoted field still open at the end of the
//! file is an error naming the line it started on.

use std::io::BufRead;

/// Reads RFC 4180 records from a byte stream.
pub(crate) struct Records<'a> {
    input: &'a mut dyn BufRead,
    line: Vec<u8>,
    /// Physical lines read so far.
    pub(crate) line_no: u64,
}

impl<'a> Records<'a> {
    pub(crate) fn new(input: &'a mut dyn BufRead) -> Self {
        Records {
            input,
            line: Vec::new(),
            line_no: 0,
        }
    }

    /// Reads the next record's fields into `fields`; returns the line it starts on, or `None`
    /// at the end of the input.
    pub(crate) fn next(&mut self, fields: &mut Vec<Vec<u8>>) -> std::io::Result<Option<u64>> {
        fields.clear();
        let start = self.line_no + 1;
        let mut field = Vec::new();
        let mut in_quotes = false;
        let mut at_field_start = true;
        loop {
            self.line.clear();
            let n = self.input.read_until(b'\n', &mut self.line)?;
            if n == 0 {
                if in_quotes {
                    return Err(std::io::Error::new(
                        std::io::ErrorKind::InvalidData,
                        format!("a quoted field opened on line {start} is never closed"),
                    ));
                }
                if self.line_no + 1 == start {
                    return Ok(None);
                }
                fields.push(field);
                return Ok(Some(start));
            }
            self.line_no += 1;
            let line = &self.line;
            let mut i = 0;
            while i < line.len() {
                let c = line[i];
                if in_quotes {
                    if c == b'"' {
                        if line.get(i + 1) == Some(&b'"') {
                            field.push(b'"');
                            i += 1;
                        } else {
                            in_quotes = false;
                        }
                    } else {
                        field.push(c);
                    }
                } else {
                    match c {
                        b',' => {
                            fields.push(std::mem::take(&mut field));
                            at_field_start = true;
                            i += 1;
                            continue;
                        }
                        b'"' if at_field_start => in_quotes = true,
                        b'\n' => {}
                        b'\r' if matches!(line.get(i + 1), Some(b'\n') | None) => {}
                        _ => field.push(c),
                    }
                }
                at_field_start = false;
                i += 1;
            }
            if !in_quotes {
                fields.push(field);
                return Ok(Some(start));
            }
        }
    }
}

/// Whether `first_line` is a console CSV header: a CSV line with an `@message` column.
pub(crate) fn is_header(first_line: &[u8]) -> bool {
    if first_line.len() > 4096 || !first_line.windows(8).any(|w| w == b"@message") {
        return false;
    }
    let mut input = first_line;
    let mut fields = Vec::new();
    match Records::new(&mut input).next(&mut fields) {
        Ok(Some(_)) => fields.len() > 1 && fields.iter().any(|f| f == b"@message"),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn records(text: &str) -> std::io::Result<Vec<(u64, Vec<String>)>> {
        let mut input = text.as_bytes();
        let mut r = Records::new(&mut input);
        let mut fields = Vec::new();
        let mut out = Vec::new();
        while let Some(line) = r.next(&mut fields)? {
            out.push((
                line,
                fields
                    .iter()
                    .map(|f| String::from_utf8(f.clone()).unwrap())
                    .collect(),
            ));
        }
        Ok(out)
    }

    #[test]
    fn quoted_fields_commas_quotes_and_line_breaks() {
        let got = records("a,b\r\n\"x, \"\"y\"\"\",\"two\nlines\"\n\nlast,\"\"").unwrap();
        assert_eq!(
            got,
            [
                (1, vec!["a".into(), "b".into()]),
                (2, vec!["x, \"y\"".into(), "two\nlines".into()]),
                (4, vec![String::new()]),
                (5, vec!["last".into(), String::new()]),
            ]
        );
    }

    #[test]
    fn an_unclosed_quote_names_its_line() {
        let err = records("a,b\n1,\"open\nstill open").unwrap_err();
        assert!(err.to_string().contains("line 2"), "{err}");
    }

    #[test]
    fn headers() {
        assert!(is_header(b"@timestamp,@message\n"));
        assert!(is_header(b"\"@timestamp\",\"@logStream\",\"@message\"\r\n"));
        assert!(!is_header(b"@message\n"));
        assert!(!is_header(b"2026-11-01 @message, x\n"));
        assert!(!is_header(b"LineId,Content,EventId\n"));
    }
}
