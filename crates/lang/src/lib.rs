//! The Logs Insights language front-end: [`Span`], [`Diagnostic`] and its renderer, the
//! [`ast`], the nom parser, the compile-time checks, the [`functions`] registry and the
//! canonical printer.
//!
//! This crate turns query text into a tree with spans, or into a diagnostic that points at the
//! problem. It does no IO and knows nothing of DataFusion or of the store: planning the tree is
//! the engine's job, and it does not evaluate anything.
//!
//! ```
//! let query = loupe_lang::parse("fields @timestamp, @message | limit 5").unwrap();
//! assert_eq!(query.to_string(), "fields @timestamp, @message | limit 5");
//! ```

pub mod ast;
mod check;
mod diagnostic;
pub mod functions;
mod parser;
mod printer;
mod render;
mod span;
mod suggest;

pub use check::{MAX_LIMIT, check};
pub use diagnostic::{Diagnostic, DiagnosticKind};
pub use parser::{parse, parse_syntax};
pub use printer::expr_text;
pub use render::render;
pub use span::{Span, char_offsets};
