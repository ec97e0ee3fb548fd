//! The severity of an event, read from its text: what `@severityLabel` summarises.
//!
//! AWS documents the label as "the log severity or level, which indicates the type of
//! information contained in a log", giving `Error`, `Warning`, `Info` and `Debug` as examples,
//! and does not say how it is found. Loupe reads the level word most logging libraries write:
//!
//! - an upper-case level word anywhere (`[ERROR]`, `WARN`, `"level":"INFO"`), the first one
//!   in the value winning;
//! - a level word in any case that is the value's first token (`error: disk full`), sits in
//!   brackets (`[warn]`), or is the value of a level key (`level=info`, `severity: debug`,
//!   `"lvl":"trace"`).
//!
//! The words and the labels they give: `FATAL`, `CRITICAL`, `CRIT`, `EMERG`, `EMERGENCY`,
//! `ALERT`, `PANIC` → `Fatal`; `ERROR`, `ERR`, `SEVERE` → `Error`; `WARN`, `WARNING` →
//! `Warning`; `INFO`, `NOTICE` → `Info`; `DEBUG` → `Debug`; `TRACE` → `Trace`. A value with
//! none of them has no severity.

use super::tokens::{Token, TokenType};

/// A severity label, most severe first.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Severity {
    Fatal,
    Error,
    Warning,
    Info,
    Debug,
    Trace,
}

impl Severity {
    pub const ALL: [Severity; 6] = [
        Severity::Fatal,
        Severity::Error,
        Severity::Warning,
        Severity::Info,
        Severity::Debug,
        Severity::Trace,
    ];

    /// The label as `@severityLabel` shows it.
    pub fn label(self) -> &'static str {
        match self {
            Severity::Fatal => "Fatal",
            Severity::Error => "Error",
            Severity::Warning => "Warning",
            Severity::Info => "Info",
            Severity::Debug => "Debug",
            Severity::Trace => "Trace",
        }
    }

    pub fn index(self) -> usize {
        self as usize
    }
}

/// The severity a level word names, ignoring case.
fn level_word(word: &str) -> Option<Severity> {
    if word.len() > 9 {
        return None;
    }
    let upper = word.to_ascii_uppercase();
    Some(match upper.as_str() {
        "FATAL" | "CRITICAL" | "CRIT" | "EMERG" | "EMERGENCY" | "ALERT" | "PANIC" => {
            Severity::Fatal
        }
        "ERROR" | "ERR" | "SEVERE" => Severity::Error,
        "WARN" | "WARNING" => Severity::Warning,
        "INFO" | "NOTICE" => Severity::Info,
        "DEBUG" => Severity::Debug,
        "TRACE" => Severity::Trace,
        _ => return None,
    })
}

/// Keys whose value is a level (compared ignoring case).
const LEVEL_KEYS: &[&str] = &[
    "level",
    "lvl",
    "loglevel",
    "log_level",
    "levelname",
    "severity",
    "severitytext",
    "severity_text",
];

/// The severity of a value split into `tokens`.
pub fn severity(value: &str, tokens: &[Token]) -> Option<Severity> {
    let text = |i: usize| tokens.get(i).map(|t| t.text(value));
    for (i, token) in tokens.iter().enumerate() {
        if token.kind != TokenType::Word {
            continue;
        }
        let word = token.text(value);
        let Some(level) = level_word(word) else {
            continue;
        };
        if word.bytes().all(|c| c.is_ascii_uppercase()) || i == 0 {
            return Some(level);
        }
        if i > 0 && text(i - 1) == Some("[") && text(i + 1) == Some("]") {
            return Some(level);
        }
        // key=value, key: value, "key":"value" (quotes skipped).
        let mut j = i;
        while j > 0 && matches!(text(j - 1), Some("\"" | "'")) {
            j -= 1;
        }
        if j >= 2 && matches!(text(j - 1), Some("=" | ":")) {
            let mut k = j - 2;
            while k > 0 && matches!(text(k), Some("\"" | "'")) {
                k -= 1;
            }
            if text(k).is_some_and(|key| LEVEL_KEYS.iter().any(|l| key.eq_ignore_ascii_case(l))) {
                return Some(level);
            }
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::super::tokens::tokenize;
    use super::*;

    fn of(value: &str) -> Option<&'static str> {
        let mut tokens = Vec::new();
        tokenize(value, &mut tokens);
        severity(value, &tokens).map(Severity::label)
    }

    #[test]
    fn reads_the_level_word_logging_libraries_write() {
        assert_eq!(
            of("2023-01-01 19:00:01 [INFO] Calling DynamoDB"),
            Some("Info")
        );
        assert_eq!(of("[ERROR] {foo=2} The error was: X"), Some("Error"));
        assert_eq!(of("WARN disk almost full"), Some("Warning"));
        assert_eq!(of("level=debug msg=\"cache miss\""), Some("Debug"));
        assert_eq!(of("{\"level\":\"error\",\"msg\":\"x\"}"), Some("Error"));
        assert_eq!(of("{\"lvl\": \"trace\"}"), Some("Trace"));
        assert_eq!(of("severity: warning"), Some("Warning"));
        assert_eq!(
            of("2024/01/01 12:00:00 [crit] 12#0: worker died"),
            Some("Fatal")
        );
        assert_eq!(of("error: disk full"), Some("Error"));
        assert_eq!(of("FATAL out of memory"), Some("Fatal"));
        assert_eq!(of("NOTICE: checkpoint"), Some("Info"));
    }

    #[test]
    fn the_first_level_wins_and_plain_words_are_no_level() {
        assert_eq!(of("INFO retrying after ERROR"), Some("Info"));
        assert_eq!(of("no error found in 3 files"), None);
        assert_eq!(of("user info updated"), None);
        assert_eq!(of("REPORT RequestId: 1 Duration: 2 ms"), None);
        assert_eq!(of(""), None);
    }
}
