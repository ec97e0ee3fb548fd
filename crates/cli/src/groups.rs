//! Choosing log groups: exact names, globs (`app/*`, `*-prod`, `svc-?`) and prefixes.
//!
//! A name that exists is taken as it is. A pattern with `*` or `?` selects every group it
//! matches (so `app/*` selects by prefix) and must match at least one. Anything else must name
//! a group; the error says which groups are close.

use loupe_service::{Loupe, ServiceError};

use crate::output::CliError;

/// Expands `patterns` against the store's groups, keeping order and dropping duplicates.
pub fn resolve(loupe: &Loupe, patterns: &[String]) -> Result<Vec<String>, CliError> {
    if patterns.is_empty() {
        return Err(CliError::Usage(
            "no log group given: pass --group NAME (repeatable; globs such as 'app/*' work)".into(),
        ));
    }
    let names: Vec<String> = loupe.groups()?.into_iter().map(|g| g.name).collect();
    expand(&names, patterns)
}

pub fn expand(names: &[String], patterns: &[String]) -> Result<Vec<String>, CliError> {
    let mut chosen: Vec<String> = Vec::new();
    let mut push = |name: &str| {
        if !chosen.iter().any(|c| c == name) {
            chosen.push(name.to_owned());
        }
    };
    for pattern in patterns {
        if names.contains(pattern) {
            push(pattern);
        } else if pattern.contains(['*', '?']) {
            let matched: Vec<&String> = names.iter().filter(|n| glob(pattern, n)).collect();
            if matched.is_empty() {
                return Err(CliError::Usage(format!(
                    "no log group matches {pattern:?}{}",
                    known(names)
                )));
            }
            matched.into_iter().for_each(|n| push(n));
        } else {
            let close: Vec<&str> = names
                .iter()
                .filter(|n| n.starts_with(pattern.as_str()) || pattern.starts_with(n.as_str()))
                .map(String::as_str)
                .collect();
            let hint = if close.is_empty() {
                known(names)
            } else {
                format!(
                    "; did you mean {}? (use '{pattern}*' for a prefix)",
                    close.join(", ")
                )
            };
            return Err(CliError::Service(ServiceError::ResourceNotFound(format!(
                "The specified log group does not exist: {pattern}{hint}"
            ))));
        }
    }
    Ok(chosen)
}

fn known(names: &[String]) -> String {
    if names.is_empty() {
        "; the store has no log groups yet".into()
    } else if names.len() <= 8 {
        format!("; log groups: {}", names.join(", "))
    } else {
        format!("; {} log groups (see `loupe groups`)", names.len())
    }
}

/// Shell-style matching of `*` (any run) and `?` (one character), over characters.
pub fn glob(pattern: &str, name: &str) -> bool {
    let p: Vec<char> = pattern.chars().collect();
    let n: Vec<char> = name.chars().collect();
    let (mut pi, mut ni) = (0, 0);
    let mut star: Option<(usize, usize)> = None;
    while ni < n.len() {
        if pi < p.len() && (p[pi] == '?' || p[pi] == n[ni]) {
            pi += 1;
            ni += 1;
        } else if pi < p.len() && p[pi] == '*' {
            star = Some((pi, ni));
            pi += 1;
        } else if let Some((sp, sn)) = star {
            pi = sp + 1;
            ni = sn + 1;
            star = Some((sp, sn + 1));
        } else {
            return false;
        }
    }
    p[pi..].iter().all(|&c| c == '*')
}

/// `loupe streams delete GROUP STREAM --yes` (`DeleteLogStream`).
pub fn delete_stream(loupe: &Loupe, group: &str, stream: &str, yes: bool) -> Result<(), CliError> {
    if !yes {
        return Err(CliError::Usage(format!(
            "deleting log stream {stream} of {group} removes its events for good; add --yes to confirm"
        )));
    }
    loupe.delete_stream(group, stream)?;
    println!("deleted log stream {stream} of log group {group}");
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn globs_prefixes_and_errors() {
        assert!(glob("app/*", "app/web"));
        assert!(glob("*-prod", "api-prod"));
        assert!(glob("svc-?", "svc-1"));
        assert!(!glob("svc-?", "svc-12"));
        assert!(glob("a*b*c", "aXbYbc"));
        assert!(!glob("app/*", "apps"));
        let names: Vec<String> = ["app/web", "app/worker", "auth"].map(String::from).into();
        let got = expand(&names, &["auth".into(), "app/*".into(), "auth".into()]);
        assert_eq!(
            got.ok(),
            Some(vec!["auth".into(), "app/web".into(), "app/worker".into()])
        );
        let err = expand(&names, &["db/*".into()])
            .err()
            .map(|e| e.to_string());
        assert_eq!(
            err.as_deref(),
            Some("no log group matches \"db/*\"; log groups: app/web, app/worker, auth")
        );
        let err = expand(&names, &["app".into()]).err().map(|e| e.to_string());
        assert!(err.is_some_and(|e| e.contains("did you mean app/web, app/worker")));
    }
}
