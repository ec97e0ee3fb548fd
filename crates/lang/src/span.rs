//! Byte spans into the query text.

use std::fmt;
use std::ops::Range;

/// A half-open byte range `start..end` into the source text of a query.
///
/// Spans are byte offsets (cheap to slice with); [`char_offsets`] converts them to the
/// character offsets AWS reports in `queryCompileError.location`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Span {
    pub start: u32,
    pub end: u32,
}

impl Span {
    pub const fn new(start: u32, end: u32) -> Self {
        Self { start, end }
    }

    /// The smallest span covering both `self` and `other`.
    pub fn to(self, other: Span) -> Span {
        Span::new(self.start.min(other.start), self.end.max(other.end))
    }

    pub fn len(self) -> u32 {
        self.end - self.start
    }

    pub fn is_empty(self) -> bool {
        self.start == self.end
    }

    pub fn range(self) -> Range<usize> {
        self.start as usize..self.end as usize
    }

    /// The text this span covers, or `""` when it does not lie on char boundaries of `src`.
    pub fn slice(self, src: &str) -> &str {
        src.get(self.range()).unwrap_or("")
    }
}

impl fmt::Display for Span {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}..{}", self.start, self.end)
    }
}

/// Converts a byte span into AWS `(startCharOffset, endCharOffset)` character offsets.
///
/// Offsets past the end of `src` are clamped to its length; an offset inside a multi-byte
/// character counts that character as started.
pub fn char_offsets(src: &str, span: Span) -> (usize, usize) {
    let to_chars = |byte: u32| {
        let byte = (byte as usize).min(src.len());
        src.char_indices().take_while(|(i, _)| *i < byte).count()
    };
    (to_chars(span.start), to_chars(span.end))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn char_offsets_count_characters_not_bytes() {
        let src = "filter msg = \"héllo\" | limit";
        let start = src.find('|').unwrap() as u32;
        let span = Span::new(start, start + 1);
        assert_eq!(char_offsets(src, span), (21, 22));
        assert_eq!(char_offsets(src, Span::new(0, 6)), (0, 6));
        assert_eq!(char_offsets(src, Span::new(1000, 2000)), (28, 28));
    }
}
