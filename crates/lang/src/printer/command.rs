//! Commands: keyword in canonical spelling, then arguments separated by `, `.

use std::fmt::{self, Display, Formatter, Write as _};

use super::{comma_list, write_escaped};
use crate::ast::{
    CommandKind, CommandOption, Expr, FieldMapping, FillValue, Ident, JoinType, OutputMode,
    ParseMode, Projection, SortKey, SortOrder, Source, SourceOption, SourceSelector, TagFilter,
    TimeBound, TimeValue,
};
use crate::parser::{STRING_ESCAPES, is_word_char};

impl Display for CommandKind {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())?;
        match self {
            CommandKind::Fields(items) | CommandKind::Display(items) => {
                f.write_char(' ')?;
                comma_list(f, items)
            }
            CommandKind::Filter { condition, .. } => write!(f, " {condition}"),
            CommandKind::Sort(keys) => {
                f.write_char(' ')?;
                comma_list(f, keys)
            }
            CommandKind::Limit { count, any, .. } => {
                if *any {
                    f.write_str(" any")?;
                }
                write!(f, " {count}")
            }
            CommandKind::Stats {
                aggregates,
                by,
                offset,
            } => {
                f.write_char(' ')?;
                comma_list(f, aggregates)?;
                if !by.is_empty() {
                    f.write_str(" by ")?;
                    comma_list(f, by)?;
                }
                if let Some(offset) = offset {
                    write!(f, " offset {offset}")?;
                }
                Ok(())
            }
            CommandKind::Parse {
                source,
                mode,
                targets,
                multi,
            } => {
                if let Some(source) = source {
                    f.write_char(' ')?;
                    postfix_operand(f, source)?;
                }
                match mode {
                    ParseMode::Glob { pattern, .. } => write_string(f, pattern)?,
                    ParseMode::Regex { pattern, .. } => {
                        write!(f, " {}", crate::ast::Literal::Regex(pattern.clone()))?
                    }
                    ParseMode::Logfmt => f.write_str(" logfmt")?,
                    ParseMode::Csv => f.write_str(" csv")?,
                }
                if !targets.is_empty() {
                    f.write_str(" as ")?;
                    comma_list(f, targets)?;
                }
                if *multi {
                    f.write_str(" multi")?;
                }
                Ok(())
            }
            CommandKind::Json {
                field, path, alias, ..
            } => {
                write!(f, " field={field}")?;
                write_string(f, path)?;
                write!(f, " as {alias}")
            }
            CommandKind::Dedup(items) => {
                f.write_char(' ')?;
                comma_list(f, items)
            }
            CommandKind::Unnest { expr, into } => write!(f, " {expr} into {into}"),
            CommandKind::Expand(expr) | CommandKind::Pattern(expr) => write!(f, " {expr}"),
            CommandKind::FilterIndex { condition } => write!(f, " {condition}"),
            CommandKind::Anomaly => Ok(()),
            CommandKind::Diff { baseline } => match baseline {
                Some(b) => write!(f, " {}", b.keyword()),
                None => Ok(()),
            },
            CommandKind::Unmask(expr) => match expr {
                Some(e) => write!(f, " {e}"),
                None => Ok(()),
            },
            CommandKind::Source(source) => write!(f, "{source}"),
            CommandKind::Lookup {
                table,
                matches,
                mode,
                outputs,
            } => {
                write!(f, " {table} ")?;
                comma_list(f, matches)?;
                write!(f, " {} ", output_keyword(*mode))?;
                comma_list(f, outputs)
            }
            CommandKind::CidrLookup {
                table,
                ip_field,
                cidr_column,
                mode,
                outputs,
            } => {
                write!(f, " {table} {ip_field}")?;
                if let Some(c) = cidr_column {
                    write!(f, " as {c}")?;
                }
                write!(f, " {} ", output_keyword(*mode))?;
                comma_list(f, outputs)
            }
            CommandKind::Join {
                join_type,
                left,
                right,
                left_key,
                right_key,
                query,
            } => {
                match join_type {
                    Some(JoinType::Inner) => f.write_str(" type=inner")?,
                    Some(JoinType::Left) => f.write_str(" type=left")?,
                    None => {}
                }
                write!(
                    f,
                    " left={left} right={right} where {left_key} = {right_key} ({query})"
                )
            }
            CommandKind::AppendCols { options, query } => {
                write_options(f, options)?;
                write!(f, " ({query})")
            }
            CommandKind::AddTotals { options, fields } => {
                write_options(f, options)?;
                if !fields.is_empty() {
                    f.write_char(' ')?;
                    comma_list(f, fields)?;
                }
                Ok(())
            }
            CommandKind::AutoRegress { field, alias, lags } => {
                write!(f, " {field}")?;
                write_alias(f, alias.as_ref())?;
                match lags {
                    Some(l) if l.from == l.to => write!(f, " p={}", l.from),
                    Some(l) => write!(f, " p={}-{}", l.from, l.to),
                    None => Ok(()),
                }
            }
            CommandKind::Accum { field, alias } => {
                write!(f, " {field}")?;
                write_alias(f, alias.as_ref())
            }
            CommandKind::FillDown(names) => {
                for name in names {
                    f.write_char(' ')?;
                    write_glob_name(f, name)?;
                }
                Ok(())
            }
            CommandKind::FillMissing(values) => {
                if !values.is_empty() {
                    f.write_str(" with ")?;
                    comma_list(f, values)?;
                }
                Ok(())
            }
            CommandKind::Sessionize {
                fields,
                maxspan,
                alias,
            } => {
                f.write_char(' ')?;
                comma_list(f, fields)?;
                if let Some(d) = maxspan {
                    write!(f, " maxspan {d}")?;
                }
                write_alias(f, alias.as_ref())
            }
            CommandKind::LogCompare { timeshift } => write!(f, " timeshift {timeshift}"),
            CommandKind::Outlier { options, fields } => {
                write_options(f, options)?;
                for field in fields {
                    write!(f, " {field}")?;
                }
                Ok(())
            }
            CommandKind::CountFrequent(fields) => {
                f.write_char(' ')?;
                comma_list(f, fields)
            }
        }
    }
}

/// ` "text"` with string escapes.
fn write_string(f: &mut Formatter<'_>, text: &str) -> fmt::Result {
    f.write_char(' ')?;
    quoted(f, text)
}

fn quoted(f: &mut Formatter<'_>, text: &str) -> fmt::Result {
    f.write_char('"')?;
    write_escaped(f, text, &['"'], STRING_ESCAPES)?;
    f.write_char('"')
}

/// A `parse` source, which the grammar reads as a postfix expression.
fn postfix_operand(f: &mut Formatter<'_>, e: &Expr) -> fmt::Result {
    use crate::ast::ExprKind;
    match e.kind {
        ExprKind::Binary { .. }
        | ExprKind::Unary { .. }
        | ExprKind::Like { .. }
        | ExprKind::In { .. } => {
            write!(f, "({e})")
        }
        _ => write!(f, "{e}"),
    }
}

fn write_alias(f: &mut Formatter<'_>, alias: Option<&Ident>) -> fmt::Result {
    match alias {
        Some(a) => write!(f, " as {a}"),
        None => Ok(()),
    }
}

fn write_options(f: &mut Formatter<'_>, options: &[CommandOption]) -> fmt::Result {
    for o in options {
        write!(f, " {o}")?;
    }
    Ok(())
}

/// `filldown` names keep their `*` wildcards unquoted.
fn write_glob_name(f: &mut Formatter<'_>, name: &Ident) -> fmt::Result {
    let plain = !name.name.is_empty()
        && name
            .name
            .chars()
            .all(|c| is_word_char(c) || matches!(c, '.' | '@' | '*'));
    if plain {
        f.write_str(&name.name)
    } else {
        write!(f, "{name}")
    }
}

fn output_keyword(mode: OutputMode) -> &'static str {
    match mode {
        OutputMode::Output => "output",
        OutputMode::OutputNew => "outputnew",
    }
}

impl Display for CommandOption {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        write!(f, "{}={}", self.name.name, self.value)
    }
}

impl Display for FieldMapping {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.name)?;
        write_alias(f, self.alias.as_ref())
    }
}

impl Display for FillValue {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        write!(f, "{} for {}", self.value, self.field)
    }
}

impl Display for Source {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        for s in &self.selectors {
            write!(f, " {s}")?;
        }
        for b in &self.bounds {
            write!(f, " {b}")?;
        }
        Ok(())
    }
}

impl Display for SourceSelector {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        match self {
            SourceSelector::LogGroups { options, .. } => {
                f.write_str("logGroups(")?;
                comma_list(f, options)?;
                f.write_char(')')
            }
            SourceSelector::LogGroupTags { filters, .. } => {
                f.write_str("logGroupTags([")?;
                comma_list(f, filters)?;
                f.write_str("])")
            }
            SourceSelector::DataSource { names, .. } => write!(f, "dataSource({names})"),
            SourceSelector::Name(e) => write!(f, "{e}"),
        }
    }
}

impl Display for SourceOption {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.key.name, self.value)
    }
}

impl Display for TagFilter {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        f.write_str("{key:")?;
        write_string(f, &self.key)?;
        f.write_str(", values: [")?;
        for (n, v) in self.values.iter().enumerate() {
            if n > 0 {
                f.write_str(", ")?;
            }
            quoted(f, v)?;
        }
        f.write_str("]}")
    }
}

impl Display for TimeBound {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        f.write_str(if self.end { "end=" } else { "start=" })?;
        match &self.value {
            TimeValue::Now => f.write_str("now"),
            TimeValue::Relative {
                negative,
                value,
                unit,
            } => {
                write!(f, "{}{value}{unit}", if *negative { "-" } else { "" })
            }
            TimeValue::Epoch(n) => write!(f, "{n}"),
        }
    }
}
impl Display for Projection {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.expr)?;
        if let Some(alias) = &self.alias {
            write!(f, " as {alias}")?;
        }
        Ok(())
    }
}

impl Display for SortKey {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.expr)?;
        match self.order {
            Some(SortOrder::Asc) => f.write_str(" asc"),
            Some(SortOrder::Desc) => f.write_str(" desc"),
            None => Ok(()),
        }
    }
}
