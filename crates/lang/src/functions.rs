//! The function registry: every documented Logs Insights function (spec §5) with its class,
//! arity and argument kinds. The parser's checks use it for unknown-function and arity
//! diagnostics; the engine uses it to dispatch.
//!
//! ```
//! use loupe_lang::functions::{self, FunctionClass};
//! let f = functions::lookup("COUNT").unwrap();
//! assert_eq!((f.name, f.class), ("count", FunctionClass::Aggregate));
//! assert!(f.accepts_arity(0) && f.accepts_arity(1) && !f.accepts_arity(2));
//! assert_eq!(functions::suggest("strlenn"), Some("strlen"));
//! ```

use crate::suggest::did_you_mean;

/// Where a function may be used.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum FunctionClass {
    /// Row by row, anywhere an expression is allowed.
    Scalar,
    /// Only as an aggregate in `stats` (includes `earliest`/`latest`/`sortsFirst`/`sortsLast`
    /// and the time-series functions of spec §5.11).
    Aggregate,
}

/// What an argument position accepts.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ArgKind {
    /// Any expression (not a duration literal and not `*`).
    Any,
    /// A duration literal such as `5m`.
    Period,
    /// Any expression, or `*` (only `count(*)`).
    AnyOrStar,
}

/// The type of value a function returns (for planning and for documentation).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ReturnType {
    Number,
    String,
    Bool,
    Timestamp,
    /// The type of an argument (e.g. `coalesce`, `min`, `if`).
    Same,
    List,
    Map,
}

/// One function's signature.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Function {
    /// The documented spelling; lookups are case-insensitive.
    pub name: &'static str,
    pub class: FunctionClass,
    /// Kinds of the positional arguments; with `variadic`, the last kind repeats.
    pub args: &'static [ArgKind],
    pub min_args: usize,
    /// `None`: no upper bound (variadic).
    pub max_args: Option<usize>,
    pub returns: ReturnType,
}

impl Function {
    pub fn accepts_arity(&self, n: usize) -> bool {
        n >= self.min_args && self.max_args.is_none_or(|max| n <= max)
    }

    /// The kind of argument `index` (the last kind repeats for variadic functions).
    pub fn arg_kind(&self, index: usize) -> ArgKind {
        self.args
            .get(index)
            .or(self.args.last())
            .copied()
            .unwrap_or(ArgKind::Any)
    }

    /// "1 argument", "1 or 2 arguments", "at least 1 argument", ...
    pub fn arity_text(&self) -> String {
        let plural = |n: usize| if n == 1 { "argument" } else { "arguments" };
        match self.max_args {
            Some(max) if max == self.min_args => format!("{max} {}", plural(max)),
            Some(max) if max == self.min_args + 1 => {
                format!("{} or {max} {}", self.min_args, plural(max))
            }
            Some(max) => format!("{} to {max} {}", self.min_args, plural(max)),
            None => format!("at least {} {}", self.min_args, plural(self.min_args)),
        }
    }
}

use ArgKind::{Any, AnyOrStar, Period};
use FunctionClass::{Aggregate, Scalar};
use ReturnType as R;

const fn f(
    name: &'static str,
    class: FunctionClass,
    args: &'static [ArgKind],
    min_args: usize,
    max_args: Option<usize>,
    returns: ReturnType,
) -> Function {
    Function {
        name,
        class,
        args,
        min_args,
        max_args,
        returns,
    }
}

const ONE: &[ArgKind] = &[Any];
const TWO: &[ArgKind] = &[Any, Any];
const THREE: &[ArgKind] = &[Any, Any, Any];

/// Every documented function, grouped as in spec §5.
static FUNCTIONS: &[Function] = &[
    // §5.1 numeric
    f("abs", Scalar, ONE, 1, Some(1), R::Number),
    f("ceil", Scalar, ONE, 1, Some(1), R::Number),
    f("floor", Scalar, ONE, 1, Some(1), R::Number),
    f("greatest", Scalar, ONE, 1, None, R::Number),
    f("least", Scalar, ONE, 1, None, R::Number),
    f("log", Scalar, ONE, 1, Some(1), R::Number),
    f("sqrt", Scalar, ONE, 1, Some(1), R::Number),
    f("round", Scalar, TWO, 1, Some(2), R::Number),
    f(
        "haversine",
        Scalar,
        &[Any, Any, Any, Any],
        4,
        Some(4),
        R::Number,
    ),
    f("toNumber", Scalar, ONE, 1, Some(1), R::Number),
    f("toInt", Scalar, ONE, 1, Some(1), R::Number),
    f("toLong", Scalar, ONE, 1, Some(1), R::Number),
    f("toDouble", Scalar, ONE, 1, Some(1), R::Number),
    // §5.2 datetime; `bin(period)` or `bin(ts, period)` (checked specially).
    f("bin", Scalar, &[Any, Period], 1, Some(2), R::Timestamp),
    f(
        "datefloor",
        Scalar,
        &[Any, Period],
        2,
        Some(2),
        R::Timestamp,
    ),
    f("dateceil", Scalar, &[Any, Period], 2, Some(2), R::Timestamp),
    f("fromMillis", Scalar, ONE, 1, Some(1), R::Timestamp),
    f("toMillis", Scalar, ONE, 1, Some(1), R::Number),
    f("now", Scalar, &[], 0, Some(0), R::Number),
    f("parseDate", Scalar, THREE, 2, Some(3), R::Number),
    f("formatDate", Scalar, THREE, 2, Some(3), R::String),
    f("strftime", Scalar, THREE, 2, Some(3), R::String),
    f("queryStartTime", Scalar, &[], 0, Some(0), R::Number),
    f("queryEndTime", Scalar, &[], 0, Some(0), R::Number),
    f("queryTimeRange", Scalar, &[], 0, Some(0), R::Number),
    // §5.3 general
    f("ispresent", Scalar, ONE, 1, Some(1), R::Bool),
    f("coalesce", Scalar, ONE, 1, None, R::Same),
    f("case", Scalar, ONE, 2, Some(21), R::Same),
    f("if", Scalar, THREE, 3, Some(3), R::Same),
    f("isNumeric", Scalar, ONE, 1, Some(1), R::Bool),
    f("messageSize", Scalar, ONE, 1, Some(1), R::Number),
    f("unmask", Scalar, ONE, 1, Some(1), R::String),
    // §5.4 string
    f("isempty", Scalar, ONE, 1, Some(1), R::Number),
    f("isblank", Scalar, ONE, 1, Some(1), R::Number),
    f("concat", Scalar, ONE, 1, None, R::String),
    f("ltrim", Scalar, TWO, 1, Some(2), R::String),
    f("rtrim", Scalar, TWO, 1, Some(2), R::String),
    f("trim", Scalar, TWO, 1, Some(2), R::String),
    f("strlen", Scalar, ONE, 1, Some(1), R::Number),
    f("toupper", Scalar, ONE, 1, Some(1), R::String),
    f("tolower", Scalar, ONE, 1, Some(1), R::String),
    f("substr", Scalar, THREE, 2, Some(3), R::String),
    f("replace", Scalar, THREE, 3, Some(3), R::String),
    f("regexReplace", Scalar, THREE, 3, Some(3), R::String),
    f("strcontains", Scalar, THREE, 2, Some(3), R::Number),
    f("startsWith", Scalar, TWO, 2, Some(2), R::Number),
    f("endsWith", Scalar, TWO, 2, Some(2), R::Number),
    f("urlencode", Scalar, ONE, 1, Some(1), R::String),
    f("urldecode", Scalar, ONE, 1, Some(1), R::String),
    f("base64encode", Scalar, ONE, 1, Some(1), R::String),
    f("base64decode", Scalar, ONE, 1, Some(1), R::String),
    f("split", Scalar, TWO, 2, Some(2), R::List),
    f("hexToAscii", Scalar, ONE, 1, Some(1), R::String),
    f("hexToDec", Scalar, ONE, 1, Some(1), R::Number),
    f("decToHex", Scalar, ONE, 1, Some(1), R::String),
    // §5.5 hashing
    f("md5", Scalar, ONE, 1, Some(1), R::String),
    f("sha256", Scalar, ONE, 1, Some(1), R::String),
    // §5.6 IP
    f("isValidIp", Scalar, ONE, 1, Some(1), R::Bool),
    f("isValidIpV4", Scalar, ONE, 1, Some(1), R::Bool),
    f("isValidIpV6", Scalar, ONE, 1, Some(1), R::Bool),
    f("isIpInSubnet", Scalar, TWO, 2, Some(2), R::Bool),
    f("isIpv4InSubnet", Scalar, TWO, 2, Some(2), R::Bool),
    f("isIpv6InSubnet", Scalar, TWO, 2, Some(2), R::Bool),
    f("ipv4ToNumber", Scalar, ONE, 1, Some(1), R::Number),
    f("isPrivateIP", Scalar, ONE, 1, Some(1), R::Bool),
    f("isPublicIP", Scalar, ONE, 1, Some(1), R::Bool),
    f("isReservedIP", Scalar, ONE, 1, Some(1), R::Bool),
    // §5.7 JSON / structure
    f("jsonParse", Scalar, ONE, 1, Some(1), R::Map),
    f("jsonStringify", Scalar, ONE, 1, Some(1), R::String),
    f("jsonArraySize", Scalar, ONE, 1, Some(1), R::Number),
    f("jsonArrayContains", Scalar, TWO, 2, Some(2), R::Bool),
    // §5.10 aggregates
    f("count", Aggregate, &[AnyOrStar], 0, Some(1), R::Number),
    f("count_distinct", Aggregate, ONE, 1, Some(1), R::Number),
    f("avg", Aggregate, ONE, 1, Some(1), R::Number),
    f("sum", Aggregate, ONE, 1, Some(1), R::Number),
    f("min", Aggregate, ONE, 1, Some(1), R::Same),
    f("max", Aggregate, ONE, 1, Some(1), R::Same),
    f("pct", Aggregate, TWO, 2, Some(2), R::Same),
    f("stddev", Aggregate, ONE, 1, Some(1), R::Number),
    f("variance", Aggregate, ONE, 1, Some(1), R::Number),
    f("topk", Aggregate, TWO, 2, Some(2), R::List),
    f("earliest", Aggregate, ONE, 1, Some(1), R::Same),
    f("latest", Aggregate, ONE, 1, Some(1), R::Same),
    f("sortsFirst", Aggregate, ONE, 1, Some(1), R::Same),
    f("sortsLast", Aggregate, ONE, 1, Some(1), R::Same),
    // §5.11 time series
    f("rate", Aggregate, &[Any, Period], 2, Some(2), R::Number),
    f("countOverTime", Aggregate, ONE, 1, Some(1), R::Number),
    f("sumOverTime", Aggregate, ONE, 1, Some(1), R::Number),
    // The AWS page spells these two `count_over_time` and `sum_over_time`.
    f("count_over_time", Aggregate, ONE, 1, Some(1), R::Number),
    f("sum_over_time", Aggregate, ONE, 1, Some(1), R::Number),
    f("histogram", Aggregate, TWO, 2, Some(2), R::Map),
];

/// Every function in the registry.
pub fn all() -> &'static [Function] {
    FUNCTIONS
}

/// The function called `name` (case-insensitive).
pub fn lookup(name: &str) -> Option<&'static Function> {
    FUNCTIONS.iter().find(|f| f.name.eq_ignore_ascii_case(name))
}

/// The documented function closest to a misspelled `name`.
pub fn suggest(name: &str) -> Option<&'static str> {
    did_you_mean(name, FUNCTIONS.iter().map(|f| f.name))
}

/// Whether `name` is an aggregate function.
pub fn is_aggregate(name: &str) -> bool {
    lookup(name).is_some_and(|f| f.class == FunctionClass::Aggregate)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_unique_and_signatures_consistent() {
        for (n, a) in FUNCTIONS.iter().enumerate() {
            for b in &FUNCTIONS[n + 1..] {
                assert!(!a.name.eq_ignore_ascii_case(b.name), "{} twice", a.name);
            }
            if let Some(max) = a.max_args {
                assert!(a.min_args <= max, "{}", a.name);
            }
        }
    }

    #[test]
    fn arity_text() {
        assert_eq!(
            lookup("abs").map(Function::arity_text).as_deref(),
            Some("1 argument")
        );
        assert_eq!(
            lookup("round").map(Function::arity_text).as_deref(),
            Some("1 or 2 arguments")
        );
        assert_eq!(
            lookup("concat").map(Function::arity_text).as_deref(),
            Some("at least 1 argument")
        );
        assert_eq!(
            lookup("now").map(Function::arity_text).as_deref(),
            Some("0 arguments")
        );
        assert_eq!(
            lookup("case").map(Function::arity_text).as_deref(),
            Some("2 to 21 arguments")
        );
    }
}
