//! Parser and printer tests: precedence, spans, round trips and error positions.

use loupe_lang::ast::{CommandKind, Expr, ExprKind, Literal, Query, SortOrder, UnaryOp};
use loupe_lang::{DiagnosticKind, Span, parse_syntax as parse};

/// Fully parenthesised form of an expression, to check the tree shape.
fn sexpr(e: &Expr) -> String {
    match &e.kind {
        ExprKind::Field(i) => i.name.clone(),
        ExprKind::Literal(Literal::String(s)) => format!("{s:?}"),
        ExprKind::Literal(Literal::Number { text, .. }) => text.clone(),
        ExprKind::Literal(Literal::Regex(r)) => format!("/{r}/"),
        ExprKind::Literal(Literal::Bool(b)) => b.to_string(),
        ExprKind::Literal(Literal::Duration { value, unit }) => format!("{value}{unit}"),
        ExprKind::List(items) => format!(
            "[{}]",
            items.iter().map(sexpr).collect::<Vec<_>>().join(" ")
        ),
        ExprKind::Star => "*".into(),
        ExprKind::Unary {
            op: UnaryOp::Not,
            operand,
        } => format!("(not {})", sexpr(operand)),
        ExprKind::Unary {
            op: UnaryOp::Neg,
            operand,
        } => format!("(neg {})", sexpr(operand)),
        ExprKind::Binary { op, left, right } => {
            format!("({} {} {})", op.symbol(), sexpr(left), sexpr(right))
        }
        ExprKind::Like {
            expr,
            pattern,
            negated,
            tilde,
        } => {
            let op = if *tilde {
                "=~"
            } else if *negated {
                "notlike"
            } else {
                "like"
            };
            format!("({op} {} {})", sexpr(expr), sexpr(pattern))
        }
        ExprKind::In {
            expr,
            list,
            negated,
        } => {
            format!(
                "({} {} {})",
                if *negated { "notin" } else { "in" },
                sexpr(expr),
                sexpr(list)
            )
        }
        ExprKind::Call { name, args } => {
            format!(
                "{}({})",
                name.name,
                args.iter().map(sexpr).collect::<Vec<_>>().join(" ")
            )
        }
        _ => "?".into(),
    }
}

fn filter_expr(src: &str) -> Expr {
    let q = parse(&format!("filter {src}")).unwrap_or_else(|d| panic!("{src}: {d:?}"));
    match q.commands.into_iter().next().map(|c| c.kind) {
        Some(CommandKind::Filter { condition, .. }) => condition,
        other => panic!("not a filter: {other:?}"),
    }
}

fn shape(src: &str) -> String {
    sexpr(&filter_expr(src))
}

/// Parses, prints, re-parses and checks the printed text is a fixpoint and spans are sane.
fn round_trip(src: &str) -> String {
    let q = parse(src).unwrap_or_else(|d| panic!("{src}: {d:?}"));
    check_spans(&q, src);
    let printed = q.to_string();
    let q2 = parse(&printed).unwrap_or_else(|d| panic!("reparse of {printed:?} failed: {d:?}"));
    assert_eq!(
        q2.to_string(),
        printed,
        "print is not a fixpoint for {src:?}"
    );
    printed
}

fn check_spans(q: &Query, src: &str) {
    let whole = Span::new(0, src.len() as u32);
    for c in &q.commands {
        assert!(
            inside(c.span, whole),
            "command span {} outside source",
            c.span
        );
        match &c.kind {
            CommandKind::Fields(ps) | CommandKind::Display(ps) => {
                for p in ps {
                    assert!(inside(p.span, c.span));
                    check_expr(&p.expr, p.span);
                }
            }
            CommandKind::Filter { condition, .. } => check_expr(condition, c.span),
            CommandKind::Sort(keys) => {
                for k in keys {
                    assert!(inside(k.span, c.span));
                    check_expr(&k.expr, k.span);
                }
            }
            _ => {}
        }
    }
}

fn inside(inner: Span, outer: Span) -> bool {
    outer.start <= inner.start && inner.end <= outer.end && inner.start <= inner.end
}

fn check_expr(e: &Expr, parent: Span) {
    assert!(
        inside(e.span, parent),
        "span {} not inside parent {}",
        e.span,
        parent
    );
    let children: Vec<&Expr> = match &e.kind {
        ExprKind::List(items) => items.iter().collect(),
        ExprKind::Unary { operand, .. } => vec![operand],
        ExprKind::Binary { left, right, .. } => vec![left, right],
        ExprKind::Like { expr, pattern, .. } => vec![expr, pattern],
        ExprKind::In { expr, list, .. } => vec![expr, list],
        ExprKind::Call { name, args } => {
            assert!(inside(name.span, e.span));
            args.iter().collect()
        }
        _ => vec![],
    };
    for c in children {
        check_expr(c, e.span);
    }
}

fn err(src: &str) -> (DiagnosticKind, String, String, Option<String>) {
    let Err(d) = parse(src) else {
        panic!("{src} parsed")
    };
    let text = d.span.slice(src).to_owned();
    (d.kind, d.message, text, d.help)
}

#[test]
fn precedence_of_boolean_operators() {
    assert_eq!(
        shape("a = 1 or b = 2 and c = 3"),
        "(or (= a 1) (and (= b 2) (= c 3)))"
    );
    assert_eq!(shape("not a = 1 and b"), "(and (not (= a 1)) b)");
    assert_eq!(shape("!isPresent(x) or y"), "(or (not isPresent(x)) y)");
    assert_eq!(shape("NOT not x"), "(not (not x))");
    assert_eq!(shape("a or b or c"), "(or (or a b) c)");
}

#[test]
fn precedence_of_arithmetic() {
    assert_eq!(shape("a + b * c > 2"), "(> (+ a (* b c)) 2)");
    assert_eq!(shape("a - b - c = 0"), "(= (- (- a b) c) 0)");
    assert_eq!(shape("2 ^ 3 ^ 2 = x"), "(= (^ 2 (^ 3 2)) x)");
    assert_eq!(shape("-2 ^ 2 = x"), "(= (^ (neg 2) 2) x)");
    assert_eq!(shape("a % 3 * 2 / 4"), "(/ (* (% a 3) 2) 4)");
    assert_eq!(shape("(a + b) * c"), "(* (+ a b) c)");
    assert_eq!(shape("2 ^ -1 = --x"), "(= (^ 2 (neg 1)) (neg (neg x)))");
}

#[test]
fn pattern_and_membership_operators() {
    assert_eq!(
        shape(r#"msg like "err" and x"#),
        r#"(and (like msg "err") x)"#
    );
    assert_eq!(shape("msg not like /a\\/b/"), "(notlike msg /a/b/)");
    assert_eq!(shape("msg =~ /x/ or y"), "(or (=~ msg /x/) y)");
    assert_eq!(shape("s in [1, 'a', -2]"), r#"(in s [1 "a" (neg 2)])"#);
    assert_eq!(shape("s NOT IN []"), "(notin s [])");
    assert_eq!(shape("a + 1 in [2]"), "(in (+ a 1) [2])");
    assert_eq!(shape("LogLevel == 'ERR'"), r#"(= LogLevel "ERR")"#);
}

#[test]
fn regex_versus_division() {
    assert_eq!(shape("a / b / 2 > 1"), "(> (/ (/ a b) 2) 1)");
    assert_eq!(
        shape("regexReplace(x, /a\\/b/, 'c') = 'd'"),
        r#"(= regexReplace(x /a/b/ "c") "d")"#
    );
    assert_eq!(
        shape("x like /#not a comment|x/"),
        "(like x /#not a comment|x/)"
    );
}

#[test]
fn keywords_are_field_names_outside_command_position() {
    assert_eq!(
        shape("status = 200 and count > 1 and type in ['a']"),
        r#"(and (and (= status 200) (> count 1)) (in type ["a"]))"#
    );
    assert_eq!(shape("range>3000"), "(> range 3000)");
    let q = parse("fields count, filter, `limit` | sort by desc").unwrap();
    assert_eq!(
        q.to_string(),
        "fields count, filter, limit | sort `by` desc"
    );
}

#[test]
fn calls_and_arguments() {
    assert_eq!(shape("BIN(5m) = x"), "(= BIN(5m) x)");
    assert_eq!(shape("bin (1min) = x"), "(= bin(1min) x)");
    assert_eq!(shape("count(*) > 1"), "(> count(*) 1)");
    assert_eq!(shape("count() > 1"), "(> count() 1)");
    assert_eq!(
        shape("datefloor(@timestamp, 1h) = x"),
        "(= datefloor(@timestamp 1h) x)"
    );
    assert_eq!(
        shape("strcontains(@message, 'x', true)"),
        r#"strcontains(@message "x" true)"#
    );
}

#[test]
fn literals() {
    assert_eq!(shape(r#"a = "say \"hi\"""#), r#"(= a "say \"hi\"")"#);
    let e = filter_expr(r"a = 'x\d\\y\'z'");
    let ExprKind::Binary { right, .. } = &e.kind else {
        panic!()
    };
    assert_eq!(
        right.kind,
        ExprKind::Literal(Literal::String(r"x\d\y'z".into()))
    );
    let e = filter_expr("a = 0.000000035");
    let ExprKind::Binary { right, .. } = &e.kind else {
        panic!()
    };
    assert!(
        matches!(&right.kind, ExprKind::Literal(Literal::Number { text, value }) if text == "0.000000035" && *value == 0.000000035)
    );
    assert_eq!(shape("`detail-type` = `a\\`b`"), "(= detail-type a`b)");
    assert_eq!(
        shape("@@example.com = @entity.KeyAttributes.Type"),
        "(= @@example.com @entity.KeyAttributes.Type)"
    );
}

#[test]
fn commands() {
    let q = parse("FIELDS @timestamp, concat(a, '-', b) AS opStatus | Sort BY @timestamp DESC, x | LIMIT ANY 25 | where x").unwrap();
    assert_eq!(
        q.to_string(),
        r#"fields @timestamp, concat(a, "-", b) as opStatus | sort @timestamp desc, x | limit any 25 | where x"#
    );
    let CommandKind::Sort(keys) = &q.commands[1].kind else {
        panic!()
    };
    assert_eq!(keys[0].order, Some(SortOrder::Desc));
    assert_eq!(keys[1].order, None);
    let CommandKind::Limit {
        count,
        count_span,
        any,
    } = &q.commands[2].kind
    else {
        panic!()
    };
    assert_eq!((*count, *any), (25, true));
    assert_eq!(count_span.slice("FIELDS @timestamp, concat(a, '-', b) AS opStatus | Sort BY @timestamp DESC, x | LIMIT ANY 25 | where x"), "25");
}

#[test]
fn comments_and_newlines() {
    let src = "# leading comment\nfields @timestamp, @message # trailing\n# | filter @message like /delay/\n| limit 20 # end";
    assert_eq!(round_trip(src), "fields @timestamp, @message | limit 20");
    assert_eq!(
        round_trip("filter @type = \"REPORT\" |\n  limit 1"),
        "filter @type = \"REPORT\" | limit 1"
    );
    assert_eq!(round_trip("filter x = \"a # b\""), "filter x = \"a # b\"");
}

#[test]
fn spans_cover_children() {
    let src = "filter (a + b) * -c >= max(d, 2) and not e like 'x'";
    let q = parse(src).unwrap();
    check_spans(&q, src);
    let CommandKind::Filter { condition, .. } = &q.commands[0].kind else {
        panic!()
    };
    assert_eq!(condition.span.slice(src), &src[7..]);
    let ExprKind::Binary { left, right, .. } = &condition.kind else {
        panic!()
    };
    assert_eq!(left.span.slice(src), "(a + b) * -c >= max(d, 2)");
    assert_eq!(right.span.slice(src), "not e like 'x'");
    let ExprKind::Binary { left: mul, .. } = &left.kind else {
        panic!()
    };
    let ExprKind::Binary { left: paren, .. } = &mul.kind else {
        panic!()
    };
    assert_eq!(paren.span.slice(src), "(a + b)");
    assert_eq!(q.commands[0].span.slice(src), src);
}

#[test]
fn round_trips() {
    let cases = [
        (
            "fields @timestamp, @message | sort @timestamp desc | limit 20",
            "fields @timestamp, @message | sort @timestamp desc | limit 20",
        ),
        (
            "filter (range>3000 and accountId=123456789012)",
            "filter range > 3000 and accountId = 123456789012",
        ),
        ("filter a and (b or c)", "filter a and (b or c)"),
        ("filter not (a and b)", "filter not (a and b)"),
        ("filter (not a) and b", "filter not a and b"),
        (
            "display a - (b - c), (a - b) - c, 2 ^ (3 ^ 2), (2 ^ 3) ^ 2",
            "display a - (b - c), a - b - c, 2 ^ 3 ^ 2, (2 ^ 3) ^ 2",
        ),
        (
            "fields -(2 ^ 2), (-2) ^ 2, - -x",
            "fields -(2 ^ 2), -2 ^ 2, --x",
        ),
        ("filter (a = 1) = (b < 2)", "filter (a = 1) = (b < 2)"),
        ("filter (x like 'a') = true", "filter (x like \"a\") = true"),
        ("filter (a or b) like 'x'", "filter (a or b) like \"x\""),
        ("filter x =~ /a\\/b\\d/", "filter x =~ /a\\/b\\d/"),
        (
            "filter x = 'it\\'s' or y = \"back\\\\slash\" or z = 'C:\\dir\\\\'",
            "filter x = \"it's\" or y = \"back\\slash\" or z = \"C:\\dir\\\\\"",
        ),
        (
            "fields `a b`, `and`, `x\\`y`, `true` as `new-name`",
            "fields `a b`, `and`, `x\\`y`, `true` as `new-name`",
        ),
        ("filter `not` = 1", "filter `not` = 1"),
        (
            "where isempty(x) | display x",
            "where isempty(x) | display x",
        ),
        (
            "fields bin(5m) as t, strlen(x) + 1",
            "fields bin(5m) as t, strlen(x) + 1",
        ),
    ];
    for (src, want) in cases {
        assert_eq!(round_trip(src), want, "{src}");
    }
}

#[test]
fn deep_nesting_is_a_diagnostic() {
    let src = format!("filter {}x{}", "(".repeat(5000), ")".repeat(5000));
    let d = parse(&src).unwrap_err();
    assert!(d.message.contains("nested too deeply"), "{d:?}");
    let src = format!("filter {}x", "-".repeat(5000));
    assert!(parse(&src).is_err());
    let src = format!("filter {}x", "not ".repeat(5000));
    assert!(parse(&src).is_err());
    let src = format!("filter x{}", " ^ x".repeat(5000));
    assert!(parse(&src).is_err());
    let src = format!("filter x{}", " or x".repeat(5000));
    let d = parse(&src).unwrap_err();
    assert!(d.message.contains("too deep"), "{d:?}");
    // A long but reasonable chain is fine.
    let src = format!("filter x{}", " or x".repeat(200));
    assert!(parse(&src).is_ok());
}

#[test]
fn error_positions() {
    let (kind, msg, at, help) = err("fields a | limt 10");
    assert_eq!(
        (kind, msg.as_str(), at.as_str()),
        (DiagnosticKind::Syntax, "unknown command `limt`", "limt")
    );
    assert_eq!(help.as_deref(), Some("did you mean `limit`?"));

    let (kind, msg, at, _) = err("fields a | relevantFields x");
    assert_eq!(
        (kind, msg.as_str(), at.as_str()),
        (
            DiagnosticKind::Unsupported,
            "command `relevantfields` is not supported yet",
            "relevantFields"
        )
    );

    let (_, msg, at, _) = err("filter a = | limit 1");
    assert_eq!(
        (msg.as_str(), at.as_str()),
        ("expected an expression, found `|`", "|")
    );

    let (_, msg, at, _) = err("filter (a = 1");
    assert_eq!(
        (msg.as_str(), at.as_str()),
        ("expected `)`, found end of query", "")
    );

    let (_, msg, at, _) = err("fields a b");
    assert_eq!(
        (msg.as_str(), at.as_str()),
        ("expected `,`, `|` or the end of the query, found `b`", "b")
    );

    let (_, msg, at, _) = err("filter x = 'abc");
    assert_eq!((msg.as_str(), at.as_str()), ("unterminated string", "'abc"));

    let (_, msg, at, _) = err("filter x like /abc\\/");
    assert_eq!(
        (msg.as_str(), at.as_str()),
        ("unterminated regex literal", "/abc\\/")
    );

    let (_, msg, at, _) = err("filter a < b < c");
    assert_eq!(
        (msg.as_str(), at.as_str()),
        ("comparisons cannot be chained, found `<`", "<")
    );

    let (_, msg, at, _) = err("filter x > 5m");
    assert_eq!(
        (msg.as_str(), at.as_str()),
        ("a duration is not allowed here", "5m")
    );

    let (_, msg, at, _) = err("filter x > 5abc");
    assert_eq!(
        (msg.as_str(), at.as_str()),
        ("invalid number `5abc`", "5abc")
    );

    let (_, msg, at, _) = err("filter x like y");
    assert_eq!(
        (msg.as_str(), at.as_str()),
        (
            "expected a string or regex literal after `like`, found `y`",
            "y"
        )
    );

    let (_, msg, at, _) = err("filter x not between 1");
    assert_eq!(
        (msg.as_str(), at.as_str()),
        (
            "expected `like` or `in` after `not`, found `between`",
            "between"
        )
    );

    let (_, msg, at, _) = err("filter x in (SOURCE 'a' | fields x y)");
    assert_eq!(
        (msg.as_str(), at.as_str()),
        ("expected `,`, `|` or `)`, found `y`", "y")
    );

    let (_, msg, at, _) = err("limit 1.5");
    assert_eq!(
        (msg.as_str(), at.as_str()),
        ("the row count must be a whole number", "1.5")
    );

    let (_, msg, at, _) = err("limit any");
    assert_eq!(
        (msg.as_str(), at.as_str()),
        ("expected the row count, found end of query", "")
    );

    let (_, msg, at, _) = err("fields x as");
    assert_eq!(
        (msg.as_str(), at.as_str()),
        ("expected an alias after `as`, found end of query", "")
    );

    let (_, msg, at, _) = err("fields * ");
    assert_eq!(
        (msg.as_str(), at.as_str()),
        ("`*` is only allowed as a function argument", "*")
    );

    let (_, msg, at, _) = err("fields a |");
    assert_eq!(
        (msg.as_str(), at.as_str()),
        ("expected a command after `|`", "|")
    );

    let (_, msg, at, _) = err("fields a | | limit 1");
    assert_eq!(
        (msg.as_str(), at.as_str()),
        ("expected a command, found `|`", "|")
    );

    let (_, msg, _, _) = err("");
    assert_eq!(msg, "empty query");
    let (_, msg, _, _) = err("  # just a comment\n");
    assert_eq!(msg, "empty query");

    let (_, msg, at, _) = err("fields count(*, x");
    assert_eq!(
        (msg.as_str(), at.as_str()),
        ("expected `,` or `)`, found end of query", "")
    );
}

#[test]
fn render_points_at_the_problem() {
    let src = "fields a\n| limt 10";
    let d = parse(src).unwrap_err();
    let text = loupe_lang::render(&d, src, false);
    assert!(text.contains("error: unknown command `limt`"), "{text}");
    assert!(text.contains("^^^^ not a command"), "{text}");
    assert!(text.contains("help: did you mean `limit`?"), "{text}");
    let src = "filter (a";
    let d = parse(src).unwrap_err();
    let text = loupe_lang::render(&d, src, true);
    assert!(text.contains("expected `)`"), "{text}");
}

#[test]
fn expr_text_is_canonical() {
    let e = filter_expr("abs( f3-f4 )");
    assert_eq!(loupe_lang::expr_text(&e), "abs(f3 - f4)");
}
