//! AWS naming rules for log groups and log streams.

use crate::error::{Result, StoreError};

/// Log group names: 1–512 characters of `a-z A-Z 0-9 _ - / . #`.
pub fn validate_group_name(name: &str) -> Result<()> {
    let invalid = |reason| StoreError::InvalidName {
        what: "log group",
        name: name.into(),
        reason,
    };
    if name.is_empty() || name.len() > 512 {
        return Err(invalid("must be between 1 and 512 characters"));
    }
    let allowed = |c: char| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '/' | '.' | '#');
    if !name.chars().all(allowed) {
        return Err(invalid(
            "may contain only a-z, A-Z, 0-9, '_', '-', '/', '.' and '#'",
        ));
    }
    Ok(())
}

/// Log stream names: 1–512 characters, no `:` and no `*`.
pub fn validate_stream_name(name: &str) -> Result<()> {
    let invalid = |reason| StoreError::InvalidName {
        what: "log stream",
        name: name.into(),
        reason,
    };
    if name.is_empty() || name.len() > 512 {
        return Err(invalid("must be between 1 and 512 characters"));
    }
    if name.contains([':', '*']) {
        return Err(invalid("may not contain ':' or '*'"));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn group_names_follow_aws_rules() {
        for ok in ["app", "/aws/lambda/my-fn", "a.b#c_d", &"x".repeat(512)] {
            assert!(validate_group_name(ok).is_ok(), "{ok}");
        }
        for bad in ["", "has space", "colon:", "star*", &"x".repeat(513), "ünï"] {
            assert!(validate_group_name(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn stream_names_follow_aws_rules() {
        assert!(validate_stream_name("2026/11/01/[$LATEST]abc def").is_ok());
        for bad in ["", "a:b", "a*b"] {
            assert!(validate_stream_name(bad).is_err(), "{bad}");
        }
    }
}
