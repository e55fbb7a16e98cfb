//! Expressions: folded by precedence with pest's Pratt parser (SQLite's precedence
//! table), literals, parameters, CASE and function calls.

use std::sync::LazyLock;

use pest::iterators::{Pair, Pairs};
use pest::pratt_parser::{Assoc, Op, PrattParser};

use super::*;
use crate::error::Error;
use crate::storage::Value;

static PRATT: LazyLock<PrattParser<Rule>> = LazyLock::new(|| {
    PrattParser::new()
        .op(Op::infix(Rule::op_or, Assoc::Left))
        .op(Op::infix(Rule::op_and, Assoc::Left))
        .op(Op::prefix(Rule::op_not))
        .op(Op::infix(Rule::op_eq, Assoc::Left)
            | Op::infix(Rule::op_ne, Assoc::Left)
            | Op::infix(Rule::op_is, Assoc::Left)
            | Op::infix(Rule::op_is_not, Assoc::Left)
            | Op::infix(Rule::op_is_distinct, Assoc::Left)
            | Op::infix(Rule::op_is_not_distinct, Assoc::Left)
            | Op::infix(Rule::op_like, Assoc::Left)
            | Op::infix(Rule::op_regex, Assoc::Left)
            | Op::infix(Rule::op_not_like, Assoc::Left)
            | Op::infix(Rule::op_glob, Assoc::Left)
            | Op::infix(Rule::op_not_glob, Assoc::Left)
            | Op::infix(Rule::op_operator, Assoc::Left)
            | Op::postfix(Rule::op_between)
            | Op::postfix(Rule::op_in)
            | Op::postfix(Rule::op_isnull)
            | Op::postfix(Rule::op_notnull))
        .op(Op::infix(Rule::op_lt, Assoc::Left)
            | Op::infix(Rule::op_le, Assoc::Left)
            | Op::infix(Rule::op_gt, Assoc::Left)
            | Op::infix(Rule::op_ge, Assoc::Left))
        .op(Op::infix(Rule::op_bitand, Assoc::Left)
            | Op::infix(Rule::op_bitor, Assoc::Left)
            | Op::infix(Rule::op_shl, Assoc::Left)
            | Op::infix(Rule::op_shr, Assoc::Left))
        .op(Op::infix(Rule::op_add, Assoc::Left) | Op::infix(Rule::op_sub, Assoc::Left))
        .op(Op::infix(Rule::op_mul, Assoc::Left)
            | Op::infix(Rule::op_div, Assoc::Left)
            | Op::infix(Rule::op_mod, Assoc::Left))
        .op(Op::infix(Rule::op_concat, Assoc::Left)
            | Op::infix(Rule::op_arrow2, Assoc::Left)
            | Op::infix(Rule::op_arrow, Assoc::Left))
        .op(Op::prefix(Rule::op_neg) | Op::prefix(Rule::op_pos) | Op::prefix(Rule::op_bitnot))
        .op(Op::postfix(Rule::op_collate) | Op::postfix(Rule::op_pg_cast))
});

/// The bytes of `x'…'`: an even number of hexadecimal digits.
fn parse_blob(text: &str, offset: usize) -> Result<Value> {
    let digits = text.get(2..text.len() - 1).unwrap_or("");
    let malformed = || -> Error {
        ErrorKind::Parse {
            message: format!("malformed blob literal {text}: expected an even number of hexadecimal digits"),
            offset,
        }
        .into()
    };
    if digits.len() % 2 != 0 {
        return Err(malformed());
    }
    let bytes = (0..digits.len())
        .step_by(2)
        .map(|i| digits.get(i..i + 2).and_then(|pair| u8::from_str_radix(pair, 16).ok()))
        .collect::<Option<Vec<u8>>>()
        .ok_or_else(malformed)?;
    Ok(Value::Blob(bytes.into()))
}

/// The literal too big for an integer alone that, negated, is the smallest one (as
/// SQLite reads `-9223372036854775808`).
pub(super) const MIN_DIGITS: &str = "9223372036854775808";

/// Whether a minus sign stands right before the literal [`MIN_DIGITS`].
fn negates_to_min(minus: &Pair<Rule>, operand: &Expr) -> bool {
    let after = minus.get_input()[minus.as_span().end()..].trim_start();
    matches!(operand, Expr::Literal(Value::Real(r)) if *r == 9_223_372_036_854_775_808.0)
        && after.starts_with(MIN_DIGITS)
        && !after[MIN_DIGITS.len()..].starts_with(|c: char| c.is_ascii_alphanumeric() || c == '.' || c == '_')
}

pub(crate) fn parse_number(text: &str, offset: usize) -> Result<Value> {
    if let Some(hex) = text.strip_prefix("0x").or_else(|| text.strip_prefix("0X")) {
        return u64::from_str_radix(hex, 16)
            .map(|u| Value::Integer(u as i64))
            .map_err(|_| ErrorKind::Parse { message: format!("hex literal too big: {text}"), offset }.into());
    }
    let is_int = text.bytes().all(|b| b.is_ascii_digit());
    if is_int {
        if let Ok(i) = text.parse::<i64>() {
            return Ok(Value::Integer(i));
        }
    }
    text.parse::<f64>()
        .map(Value::Real)
        .map_err(|_| ErrorKind::Parse { message: format!("malformed number {text}"), offset }.into())
}

/// A plain call of `name` on `args`.
fn call(name: &str, args: Vec<Expr>) -> Expr {
    Expr::Function { name: name.to_string(), args, distinct: false, star: false, filter: None, over: None }
}

/// `x = ANY (…)`, `x <> ALL (…)`: over a query, IN and NOT IN; over an array (its
/// text form, `{1,2}`), whether it holds `x`. `None` when `rhs` is no ANY or ALL.
fn quantified(op: Rule, lhs: &Expr, rhs: &Expr, offset: usize) -> Result<Option<Expr>> {
    let Expr::Function { name, args, over: None, .. } = rhs else { return Ok(None) };
    let kind = name.to_ascii_lowercase();
    if !["any", "some", "all"].contains(&kind.as_str()) || args.len() != 1 {
        return Ok(None);
    }
    let negated = match (op, kind.as_str()) {
        (Rule::op_eq, "any" | "some") => false,
        (Rule::op_ne, "all") => true,
        _ => {
            let message =
                format!("only = ANY (…) and <> ALL (…) are supported, not this use of {}", kind.to_uppercase());
            return Err(ErrorKind::Parse { message, offset }.into());
        }
    };
    let expr = Box::new(lhs.clone());
    Ok(Some(match &args[0] {
        Expr::Subquery(query) => Expr::InSelect { expr, query: query.clone(), negated },
        array => {
            let holds = call("pg_array_contains", vec![array.clone(), lhs.clone()]);
            if negated {
                Expr::Unary { op: UnaryOp::Not, expr: Box::new(holds) }
            } else {
                holds
            }
        }
    }))
}

/// The text of `E'…'`: backslash escapes as PostgreSQL reads them (`\n`, `\t`, `\\`,
/// `\'`, `\xHH`, `\uXXXX`, octal `\ooo`).
fn unescape_estring(text: &str, offset: usize) -> Result<String> {
    let body = &text[2..text.len() - 1];
    let mut out = String::with_capacity(body.len());
    let mut chars = body.chars().peekable();
    let bad = |what: &str| -> Error {
        ErrorKind::Parse { message: format!("invalid escape in E'…' string: {what}"), offset }.into()
    };
    while let Some(c) = chars.next() {
        match c {
            '\\' => match chars.next() {
                Some('n') => out.push('\n'),
                Some('t') => out.push('\t'),
                Some('r') => out.push('\r'),
                Some('b') => out.push('\u{8}'),
                Some('f') => out.push('\u{c}'),
                Some(d @ '0'..='7') => {
                    let mut n = d.to_digit(8).unwrap_or(0);
                    for _ in 0..2 {
                        match chars.peek().and_then(|c| c.to_digit(8)) {
                            Some(v) => {
                                n = n * 8 + v;
                                chars.next();
                            }
                            None => break,
                        }
                    }
                    out.push(char::from_u32(n).filter(|c| *c != '\0').ok_or_else(|| bad("\\0"))?);
                }
                Some(x @ ('x' | 'u' | 'U')) => {
                    let most = match x {
                        'x' => 2,
                        'u' => 4,
                        _ => 8,
                    };
                    let mut digits = String::new();
                    while digits.len() < most {
                        match chars.peek() {
                            Some(h) if h.is_ascii_hexdigit() => {
                                digits.push(*h);
                                chars.next();
                            }
                            _ => break,
                        }
                    }
                    let n = u32::from_str_radix(&digits, 16).map_err(|_| bad(&format!("\\{x}")))?;
                    out.push(char::from_u32(n).filter(|c| *c != '\0').ok_or_else(|| bad(&format!("\\{x}{digits}")))?);
                }
                Some(other) => out.push(other),
                None => return Err(bad("a lone backslash at the end")),
            },
            '\'' => {
                // '' inside the string is one quote.
                chars.next();
                out.push('\'');
            }
            c => out.push(c),
        }
    }
    Ok(out)
}

impl Builder {
    pub(super) fn expr_list(&self, p: Pair<Rule>) -> Result<Vec<Expr>> {
        p.into_inner().map(|e| self.expr(e)).collect()
    }

    pub(super) fn expr(&self, p: Pair<Rule>) -> Result<Expr> {
        self.fold(p.into_inner())
    }

    pub(super) fn fold(&self, pairs: Pairs<Rule>) -> Result<Expr> {
        PRATT
            .map_primary(|p| self.primary(p))
            .map_prefix(|op, rhs| {
                let rhs = rhs?;
                if op.as_rule() == Rule::op_neg && negates_to_min(&op, &rhs) {
                    return Ok(Expr::Literal(Value::Integer(i64::MIN)));
                }
                let op = match op.as_rule() {
                    Rule::op_not => UnaryOp::Not,
                    Rule::op_neg => UnaryOp::Neg,
                    Rule::op_pos => UnaryOp::Plus,
                    _ => UnaryOp::BitNot,
                };
                Ok(Expr::Unary { op, expr: Box::new(rhs) })
            })
            .map_infix(|lhs, op, rhs| {
                // `OPERATOR(pg_catalog.~)` is the operator it names.
                let op = match op.as_rule() {
                    Rule::op_operator => op.into_inner().last().expect("OPERATOR names an operator"),
                    _ => op,
                };
                let (lhs, rhs) = (lhs?, rhs?);
                if let Some(e) = quantified(op.as_rule(), &lhs, &rhs, op.as_span().start())? {
                    return Ok(e);
                }
                let (lhs, rhs) = (Ok::<Expr, Error>(lhs), Ok::<Expr, Error>(rhs));
                if op.as_rule() == Rule::op_regex {
                    // `a ~ b` is `regexp_like(a, b)`; `*` ignores case, `!` negates.
                    let text = op.as_str();
                    let mut args = vec![lhs?, rhs?];
                    if text.ends_with('*') {
                        args.push(Expr::Literal(Value::text("i")));
                    }
                    let call = Expr::Function {
                        name: "regexp_like".into(),
                        args,
                        distinct: false,
                        star: false,
                        filter: None,
                        over: None,
                    };
                    return Ok(if text.starts_with('!') {
                        Expr::Unary { op: UnaryOp::Not, expr: Box::new(call) }
                    } else {
                        call
                    });
                }
                let op = binary_op(op.as_rule());
                Ok(Expr::Binary { op, left: Box::new(lhs?), right: Box::new(rhs?) })
            })
            .map_postfix(|lhs, op| self.postfix(lhs?, op))
            .parse(pairs)
    }

    pub(super) fn postfix(&self, lhs: Expr, op: Pair<Rule>) -> Result<Expr> {
        let expr = Box::new(lhs);
        Ok(match op.as_rule() {
            Rule::op_isnull => Expr::IsNull { expr, negated: false },
            Rule::op_collate => {
                let name = op.into_inner().last().expect("COLLATE names a collation");
                let offset = name.as_span().start();
                if name.as_rule() == Rule::collate_default || super::unquote_ident(name.as_str()) == "default" {
                    return Ok(*expr);
                }
                let name = super::unquote_ident(name.as_str());
                let collation = Collation::by_name(&name).ok_or_else(|| ErrorKind::Parse {
                    message: format!("no such collation sequence: {name} (there are BINARY, NOCASE and RTRIM)"),
                    offset,
                })?;
                Expr::Collate { expr, collation }
            }
            Rule::op_notnull => Expr::IsNull { expr, negated: true },
            Rule::op_pg_cast => {
                let mut words = Vec::new();
                let mut args = Vec::new();
                let mut array = false;
                for q in op.into_inner().flat_map(|t| t.into_inner()) {
                    match q.as_rule() {
                        Rule::signed_number => args.push(q.as_str().to_string()),
                        // The schema: PostgreSQL's types are all in pg_catalog.
                        Rule::ident => {}
                        Rule::pg_array_suffix => array = true,
                        _ => words.extend(q.as_str().split_whitespace().map(str::to_ascii_uppercase)),
                    }
                }
                // An array stays as it is: arrays are their text form (`{1,2}`).
                if array {
                    return Ok(*expr);
                }
                // The `reg…` types name catalog objects: an object id reads as its name.
                if let [word] = words.as_slice() {
                    let lower = word.to_ascii_lowercase();
                    if ["regclass", "regtype", "regnamespace", "regproc"].contains(&lower.as_str()) {
                        return Ok(call(&format!("pg_{lower}"), vec![*expr]));
                    }
                }
                let mut type_name = words.join(" ");
                if !args.is_empty() {
                    type_name.push_str(&format!("({})", args.join(",")));
                }
                Expr::Cast { expr, type_name }
            }
            Rule::op_between => {
                let mut negated = false;
                let mut bounds = Vec::new();
                for q in op.into_inner() {
                    match q.as_rule() {
                        Rule::negated => negated = true,
                        Rule::bound => bounds.push(self.fold(q.into_inner())?),
                        _ => {}
                    }
                }
                let high = Box::new(bounds.pop().expect("BETWEEN has a high bound"));
                let low = Box::new(bounds.pop().expect("BETWEEN has a low bound"));
                Expr::Between { expr, low, high, negated }
            }
            _ => {
                let mut negated = false;
                let mut list = Vec::new();
                let mut query = None;
                for q in op.into_inner() {
                    match q.as_rule() {
                        Rule::negated => negated = true,
                        Rule::expr_list => list = self.expr_list(q)?,
                        Rule::select_stmt => query = Some(Box::new(self.select(q)?)),
                        // `x IN t`: the values of a one-column table.
                        Rule::in_table => {
                            let name = qname(q.into_inner().next().expect("IN names a table"));
                            let table = TableRef { name, ..TableRef::default() };
                            let from = vec![FromTerm { table, joins: Vec::new() }];
                            query = Some(Box::new(Select {
                                columns: vec![SelectItem::Wildcard],
                                from,
                                ..Select::default()
                            }));
                        }
                        _ => {}
                    }
                }
                match query {
                    Some(query) => Expr::InSelect { expr, query, negated },
                    None => Expr::InList { expr, list, negated },
                }
            }
        })
    }

    pub(super) fn primary(&self, p: Pair<Rule>) -> Result<Expr> {
        let offset = p.as_span().start();
        Ok(match p.as_rule() {
            Rule::literal | Rule::blob_literal | Rule::plain_literal => {
                let lit = p.into_inner().next().expect("a literal has a kind");
                Expr::Literal(match lit.as_rule() {
                    Rule::number => parse_number(lit.as_str(), offset)?,
                    Rule::string => Value::text(&unquote_string(lit.as_str())),
                    Rule::blob => parse_blob(lit.as_str(), offset)?,
                    Rule::true_lit => Value::Boolean(true),
                    Rule::false_lit => Value::Boolean(false),
                    _ => Value::Null,
                })
            }
            Rule::param => Expr::Param(self.param(p.as_str(), offset)?),
            Rule::estring_literal => Expr::Literal(Value::text(&unescape_estring(p.as_str(), offset)?)),
            // ARRAY(SELECT …), and ANY/SOME/ALL (SELECT …) that the comparison before
            // them takes apart (`quantified`).
            Rule::array_sub => {
                let mut inner = p.into_inner();
                let kind = inner.next().expect("a kind").as_str().to_ascii_lowercase();
                let operand = inner.next().expect("an operand");
                let operand = match operand.as_rule() {
                    Rule::select_stmt => Expr::Subquery(Box::new(self.select(operand)?)),
                    // ANY/ALL over an array's text; ARRAY(expr) is no array constructor.
                    _ if kind == "array" => {
                        let message = "ARRAY(…) takes a query: ARRAY(SELECT …)".to_string();
                        return Err(ErrorKind::Parse { message, offset }.into());
                    }
                    _ => self.expr(operand)?,
                };
                call(if kind == "some" { "any" } else { &kind }, vec![operand])
            }
            Rule::array_element => {
                let mut names = Vec::new();
                let mut index = None;
                for q in p.into_inner() {
                    match q.as_rule() {
                        Rule::ident => names.push(unquote_ident(q.as_str())),
                        _ => {
                            let (text, start) = (q.as_str(), q.as_span().start());
                            let i = q.into_inner().next();
                            index = Some(match i {
                                Some(i) if i.as_rule() == Rule::param => {
                                    Expr::Param(self.param(i.as_str(), i.as_span().start())?)
                                }
                                Some(i) => Expr::Column { table: None, name: unquote_ident(i.as_str()) },
                                None => Expr::Literal(parse_number(text, start)?),
                            });
                        }
                    }
                }
                let name = names.pop().expect("an element names its array");
                let array = Expr::Column { table: names.pop(), name };
                call("pg_array_element", vec![array, index.expect("an element has an index")])
            }
            Rule::paren_expr => self.expr(p.into_inner().next().expect("parenthesised expr"))?,
            Rule::subquery => Expr::Subquery(Box::new(self.select(p.into_inner().next().expect("a subquery"))?)),
            Rule::exists_expr => {
                let q = p.into_inner().find(|q| q.as_rule() == Rule::select_stmt).expect("EXISTS has a query");
                Expr::Exists(Box::new(self.select(q)?))
            }
            Rule::keyword_call => {
                let mut inner = p.into_inner();
                let name = inner.next().expect("a keyword call has a name");
                self.call(name, inner.next().expect("a keyword call has arguments"))?
            }
            Rule::name_ref => {
                let mut inner = p.into_inner().peekable();
                let first = inner.next().expect("a name reference starts with a name");
                match inner.next() {
                    Some(call) if call.as_rule() == Rule::call_args => self.call(first, call)?,
                    Some(name) if inner.peek().is_some() => {
                        // Functions are not kept in schemas: PostgreSQL's own and Message
                        // DB's are found by their names.
                        let schema = unquote_ident(first.as_str()).to_ascii_lowercase();
                        if !["pg_catalog", "public", "main", "message_store"].contains(&schema.as_str()) {
                            let message = format!(
                                "no such function: {schema}.{}() (functions are named without a schema)",
                                name.as_str()
                            );
                            return Err(ErrorKind::Parse { message, offset: first.as_span().start() }.into());
                        }
                        self.call(name, inner.next().expect("a qualified call has arguments"))?
                    }
                    Some(column) => Expr::Column {
                        table: Some(unquote_ident(first.as_str())),
                        name: unquote_ident(column.as_str()),
                    },
                    None => Expr::Column { table: None, name: unquote_ident(first.as_str()) },
                }
            }
            Rule::cast_expr => {
                let mut expr = None;
                let mut type_name = String::new();
                for q in p.into_inner() {
                    match q.as_rule() {
                        Rule::expr => expr = Some(self.expr(q)?),
                        Rule::type_name => type_name = type_name_text(q),
                        _ => {}
                    }
                }
                Expr::Cast { expr: Box::new(expr.expect("CAST has an operand")), type_name }
            }
            Rule::case_expr => self.case(p)?,
            // RAISE(…) is the function `raise` with its action as text: printed back, it
            // reads as the same call.
            Rule::raise_expr => {
                let mut args = Vec::new();
                for q in p.into_inner() {
                    match q.as_rule() {
                        Rule::raise_ignore | Rule::raise_action => {
                            args.push(Expr::Literal(Value::text(&q.as_str().to_ascii_uppercase())))
                        }
                        Rule::expr => args.push(self.expr(q)?),
                        _ => {}
                    }
                }
                Expr::Function {
                    name: "raise".to_string(),
                    args,
                    distinct: false,
                    star: false,
                    filter: None,
                    over: None,
                }
            }
            Rule::func_call => self.function(p)?,
            r => unreachable!("grammar rule {r:?} is not a primary expression"),
        })
    }

    /// A call: its name, then `(args) [FILTER (…)] [OVER …]`.
    fn call(&self, first: Pair<Rule>, call: Pair<Rule>) -> Result<Expr> {
        let parts: Vec<Pair<Rule>> = call.into_inner().collect();
        let args = parts.iter().find(|q| q.as_rule() == Rule::func_args).cloned();
        let mut f = self.function_parts(first, args)?;
        if let Expr::Function { filter, over, .. } = &mut f {
            for q in parts {
                match q.as_rule() {
                    Rule::filter_clause => *filter = Some(Box::new(self.last_expr(q)?)),
                    Rule::over_clause => {
                        let inner = q.into_inner().find(|i| i.as_rule() != Rule::K_OVER);
                        let inner = inner.expect("OVER names or defines a window");
                        *over = Some(Box::new(match inner.as_rule() {
                            Rule::window_spec => self.window_spec(inner)?,
                            _ => WindowSpec { base: Some(unquote_ident(inner.as_str())), ..WindowSpec::default() },
                        }));
                    }
                    _ => {}
                }
            }
        }
        Ok(f)
    }

    pub(super) fn param(&self, text: &str, offset: usize) -> Result<usize> {
        let digits = text.trim_start_matches(['?', '$']);
        let n = if digits.is_empty() {
            self.next_param.get() + 1
        } else {
            match digits.parse::<usize>() {
                Ok(n) if (1..=999).contains(&n) => n,
                _ => {
                    let message = format!("parameter number must be between 1 and 999: {text}");
                    return Err(ErrorKind::Parse { message, offset }.into());
                }
            }
        };
        self.next_param.set(self.next_param.get().max(n));
        Ok(n)
    }

    pub(super) fn case(&self, p: Pair<Rule>) -> Result<Expr> {
        let mut operand = None;
        let mut whens = Vec::new();
        let mut else_ = None;
        for q in p.into_inner() {
            match q.as_rule() {
                Rule::case_operand => operand = Some(Box::new(self.last_expr(q)?)),
                Rule::case_when => {
                    let mut parts = q.into_inner().filter(|i| i.as_rule() == Rule::expr);
                    let w = self.expr(parts.next().expect("WHEN condition"))?;
                    let t = self.expr(parts.next().expect("THEN result"))?;
                    whens.push((w, t));
                }
                Rule::case_else => else_ = Some(Box::new(self.last_expr(q)?)),
                _ => {}
            }
        }
        Ok(Expr::Case { operand, whens, else_ })
    }

    pub(super) fn function(&self, p: Pair<Rule>) -> Result<Expr> {
        let mut inner = p.into_inner();
        let name = inner.next().expect("function name");
        self.function_parts(name, inner.find(|q| q.as_rule() == Rule::func_args))
    }

    /// A call from its name and its arguments (none for `f()`).
    pub(super) fn function_parts(&self, name: Pair<Rule>, args: Option<Pair<Rule>>) -> Result<Expr> {
        let name = unquote_ident(name.as_str());
        let mut f = Expr::Function { name, args: vec![], distinct: false, star: false, filter: None, over: None };
        if let (Some(args), Expr::Function { args: a, distinct, star, .. }) = (args, &mut f) {
            for q in args.into_inner() {
                match q.as_rule() {
                    Rule::star => *star = true,
                    Rule::distinct => *distinct = q.as_str().eq_ignore_ascii_case("distinct"),
                    Rule::expr_list => *a = self.expr_list(q)?,
                    _ => {}
                }
            }
        }
        Ok(f)
    }
}

fn binary_op(rule: Rule) -> BinaryOp {
    match rule {
        Rule::op_or => BinaryOp::Or,
        Rule::op_and => BinaryOp::And,
        Rule::op_eq => BinaryOp::Eq,
        Rule::op_ne => BinaryOp::NotEq,
        Rule::op_lt => BinaryOp::Lt,
        Rule::op_le => BinaryOp::LtEq,
        Rule::op_gt => BinaryOp::Gt,
        Rule::op_ge => BinaryOp::GtEq,
        Rule::op_is | Rule::op_is_not_distinct => BinaryOp::Is,
        Rule::op_is_not | Rule::op_is_distinct => BinaryOp::IsNot,
        Rule::op_like => BinaryOp::Like,
        Rule::op_not_like => BinaryOp::NotLike,
        Rule::op_glob => BinaryOp::Glob,
        Rule::op_not_glob => BinaryOp::NotGlob,
        Rule::op_concat => BinaryOp::Concat,
        Rule::op_arrow => BinaryOp::Arrow,
        Rule::op_arrow2 => BinaryOp::Arrow2,
        Rule::op_add => BinaryOp::Add,
        Rule::op_sub => BinaryOp::Sub,
        Rule::op_mul => BinaryOp::Mul,
        Rule::op_div => BinaryOp::Div,
        Rule::op_mod => BinaryOp::Mod,
        Rule::op_bitand => BinaryOp::BitAnd,
        Rule::op_bitor => BinaryOp::BitOr,
        Rule::op_shl => BinaryOp::ShiftLeft,
        Rule::op_shr => BinaryOp::ShiftRight,
        r => unreachable!("grammar rule {r:?} is not a binary operator"),
    }
}
