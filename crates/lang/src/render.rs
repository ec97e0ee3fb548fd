//! Renders a [`Diagnostic`] rustc-style, with carets under the offending text.

use annotate_snippets::{AnnotationKind, Level, Renderer, Snippet};

use crate::diagnostic::Diagnostic;

/// Renders `diag` against the query text `src`, with ANSI colours when `color` is set.
///
/// ```
/// let src = "limt 10";
/// let diag = loupe_lang::parse(src).unwrap_err();
/// let text = loupe_lang::render(&diag, src, false);
/// assert!(text.contains("unknown command `limt`"));
/// assert!(text.contains("^^^^"));
/// ```
pub fn render(diag: &Diagnostic, src: &str, color: bool) -> String {
    let range = clamp(diag.span.range(), src);
    let mut annotation = AnnotationKind::Primary.span(range);
    if !diag.label.is_empty() {
        annotation = annotation.label(diag.label.as_str());
    }
    let mut group = Level::ERROR
        .primary_title(diag.message.as_str())
        .element(Snippet::source(src).line_start(1).annotation(annotation));
    if let Some(help) = &diag.help {
        group = group.element(Level::HELP.message(help.as_str()));
    }
    let renderer = if color {
        Renderer::styled()
    } else {
        Renderer::plain()
    };
    renderer.render(&[group])
}

/// Keeps the range inside `src` and on character boundaries.
fn clamp(range: std::ops::Range<usize>, src: &str) -> std::ops::Range<usize> {
    let fix = |mut at: usize| {
        at = at.min(src.len());
        while !src.is_char_boundary(at) {
            at -= 1;
        }
        at
    };
    let start = fix(range.start);
    let end = fix(range.end).max(start);
    start..end
}
