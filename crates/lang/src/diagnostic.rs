//! Plain-data diagnostics for query errors, rendered once at the edge.

use std::fmt;

use crate::span::{Span, char_offsets};

/// What class of problem a [`Diagnostic`] reports.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum DiagnosticKind {
    /// The text does not follow the grammar.
    Syntax,
    /// The text parses but breaks a rule AWS enforces (two `stats` at most, aggregates only in
    /// `stats`, unknown function, wrong arity, ...).
    Semantic,
    /// A valid construct Loupe does not implement yet.
    Unsupported,
}

/// One error in a query, with the span it points at.
///
/// `message` is the headline, `label` the short text under the carets, `help` an optional hint
/// (for example a did-you-mean suggestion).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Diagnostic {
    pub kind: DiagnosticKind,
    pub message: String,
    pub span: Span,
    pub label: String,
    pub help: Option<String>,
}

impl Diagnostic {
    pub fn new(kind: DiagnosticKind, message: impl Into<String>, span: Span) -> Self {
        Self {
            kind,
            message: message.into(),
            span,
            label: String::new(),
            help: None,
        }
    }

    pub fn syntax(message: impl Into<String>, span: Span) -> Self {
        Self::new(DiagnosticKind::Syntax, message, span)
    }

    pub fn semantic(message: impl Into<String>, span: Span) -> Self {
        Self::new(DiagnosticKind::Semantic, message, span)
    }

    /// A construct that is valid Insights but not implemented in Loupe yet.
    pub fn unsupported(what: impl fmt::Display, span: Span) -> Self {
        Self::new(
            DiagnosticKind::Unsupported,
            format!("{what} is not supported yet"),
            span,
        )
    }

    pub fn with_label(mut self, label: impl Into<String>) -> Self {
        self.label = label.into();
        self
    }

    pub fn with_help(mut self, help: impl Into<String>) -> Self {
        self.help = Some(help.into());
        self
    }

    /// AWS `startCharOffset`/`endCharOffset` for this diagnostic in `src`.
    pub fn char_offsets(&self, src: &str) -> (usize, usize) {
        char_offsets(src, self.span)
    }
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for Diagnostic {}
