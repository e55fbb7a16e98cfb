//! More of SQLite's scalar functions: GLOB and LIKE as functions, text and blob
//! builders (`concat`, `quote`, `char`, `unhex`, `zeroblob`, …) and the math functions.

use super::eval::{like, Ctx};
use crate::error::{Error, Result};
use crate::sql::plan::{Func, MathFunc};
use crate::storage::convert::to_number;
use crate::storage::schema::literal_sql;
use crate::storage::Value;

pub fn call(f: Func, args: &[Value], ctx: &Ctx) -> Result<Value> {
    let null_in = args.iter().any(Value::is_null);
    Ok(match f {
        Func::Concat => {
            let parts: Vec<String> = args.iter().filter(|v| !v.is_null()).map(|v| v.to_string()).collect();
            ctx.check_length(parts.iter().map(String::len).sum())?;
            Value::text(&parts.concat())
        }
        Func::ConcatWs => {
            if args[0].is_null() {
                return Ok(Value::Null);
            }
            let sep = args[0].to_string();
            let parts: Vec<String> = args[1..].iter().filter(|v| !v.is_null()).map(|v| v.to_string()).collect();
            ctx.check_length(parts.iter().map(String::len).sum::<usize>() + sep.len() * parts.len())?;
            Value::text(&parts.join(&sep))
        }
        Func::Quote => Value::text(&quote(&args[0])),
        Func::Char => {
            let text: String = args
                .iter()
                .map(|v| {
                    let code = match to_number(v) {
                        Value::Integer(i) => i,
                        Value::Real(r) => r as i64,
                        _ => 0,
                    };
                    u32::try_from(code).ok().and_then(char::from_u32).unwrap_or('\u{fffd}')
                })
                .collect();
            Value::text(&text)
        }
        Func::Likelihood => {
            let p = match to_number(&args[1]) {
                Value::Integer(i) => i as f64,
                Value::Real(r) => r,
                _ => -1.0,
            };
            if !(0.0..=1.0).contains(&p) {
                return Err(Error::invalid("second argument to likelihood() must be a constant between 0.0 and 1.0"));
            }
            args[0].clone()
        }
        _ if null_in => Value::Null,
        Func::Glob => Value::Boolean(glob(&args[0].to_string(), &args[1].to_string())),
        Func::Like => {
            let (pattern, text) = (args[0].to_string(), args[1].to_string());
            match args.get(2) {
                None => Value::Boolean(like(&pattern, &text)),
                Some(e) => {
                    let e = e.to_string();
                    let mut chars = e.chars();
                    let (Some(esc), None) = (chars.next(), chars.next()) else {
                        return Err(Error::invalid("ESCAPE expression must be a single character"));
                    };
                    Value::Boolean(like_escape(&pattern, &text, esc))
                }
            }
        }
        Func::Unicode => args[0].to_string().chars().next().map_or(Value::Null, |c| Value::Integer(c as i64)),
        Func::RandomBlob | Func::ZeroBlob => {
            let n = match to_number(&args[0]) {
                Value::Integer(i) => i,
                Value::Real(r) => r as i64,
                _ => 0,
            };
            let n = n.max(if f == Func::RandomBlob { 1 } else { 0 }) as usize;
            ctx.check_length(n)?;
            if f == Func::ZeroBlob {
                Value::Blob(vec![0; n].into())
            } else {
                let mut bytes = Vec::with_capacity(n);
                while bytes.len() < n {
                    bytes.extend_from_slice(&super::functions::random().to_le_bytes());
                }
                bytes.truncate(n);
                Value::Blob(bytes.into())
            }
        }
        Func::Unhex => unhex(&args[0].to_string(), args.get(1).map(|v| v.to_string()).as_deref()),
        Func::OctetLength => match &args[0] {
            Value::Blob(b) => Value::Integer(b.len() as i64),
            v => Value::Integer(v.to_string().len() as i64),
        },
        Func::Math(m) => math(m, args),
        _ => Value::Null,
    })
}

/// SQLite's `quote()`: the value as an SQL literal.
fn quote(v: &Value) -> String {
    match v {
        Value::Null => "NULL".to_string(),
        Value::Blob(b) => format!("X'{}'", crate::storage::value::hex(b)),
        Value::Boolean(b) => (*b as i64).to_string(),
        Value::Timestamp(_) => format!("'{}'", v.to_string().replace('\'', "''")),
        other => literal_sql(other),
    }
}

fn unhex(text: &str, ignore: Option<&str>) -> Value {
    let ignore = ignore.unwrap_or("");
    let mut bytes = Vec::new();
    let mut chars = text.chars();
    while let Some(c) = chars.next() {
        if ignore.contains(c) {
            continue;
        }
        let (Some(hi), Some(lo)) = (c.to_digit(16), chars.next().and_then(|d| d.to_digit(16))) else {
            return Value::Null;
        };
        bytes.push((hi * 16 + lo) as u8);
    }
    Value::Blob(bytes.into())
}

/// GLOB: `*` any text, `?` one character, `[…]` one of a set (`^` negates, `a-z` a
/// range, `]` first is itself); case matters.
pub fn glob(pattern: &str, text: &str) -> bool {
    let p: Vec<char> = pattern.chars().collect();
    let t: Vec<char> = text.chars().collect();
    glob_at(&p, &t)
}

fn glob_at(p: &[char], t: &[char]) -> bool {
    let (mut pi, mut ti) = (0, 0);
    // Where to resume after the last `*`: its pattern position and the text it has taken.
    let mut star: Option<(usize, usize)> = None;
    while ti < t.len() {
        let step = match p.get(pi) {
            Some('*') => {
                star = Some((pi, ti));
                pi += 1;
                continue;
            }
            Some('?') => Some(1),
            Some('[') => class(&p[pi..], t[ti]).map(|(ok, len)| if ok { len } else { 0 }),
            Some(&c) => Some(usize::from(c == t[ti])),
            None => Some(0),
        };
        match step {
            Some(n) if n > 0 => {
                pi += n;
                ti += 1;
            }
            _ => match star {
                Some((sp, st)) => {
                    pi = sp + 1;
                    ti = st + 1;
                    star = Some((sp, st + 1));
                }
                None => return false,
            },
        }
    }
    p[pi..].iter().all(|c| *c == '*')
}

/// Whether `c` is in the class that starts `p` (at its `[`), and the class's length;
/// `None` for an unclosed class (which matches nothing).
fn class(p: &[char], c: char) -> Option<(bool, usize)> {
    let mut i = 1;
    let negate = p.get(i) == Some(&'^');
    if negate {
        i += 1;
    }
    let mut found = false;
    let mut first = true;
    loop {
        let ch = *p.get(i)?;
        if ch == ']' && !first {
            return Some((found != negate, i + 1));
        }
        first = false;
        if p.get(i + 1) == Some(&'-') && p.get(i + 2).is_some_and(|e| *e != ']') {
            let end = p[i + 2];
            found |= ch <= c && c <= end;
            i += 3;
        } else {
            found |= ch == c;
            i += 1;
        }
    }
}

/// LIKE with an escape character: `%` and `_` after it are literal; ASCII case ignored.
fn like_escape(pattern: &str, text: &str, esc: char) -> bool {
    let p: Vec<char> = pattern.chars().collect();
    let t: Vec<char> = text.chars().collect();
    fn go(p: &[char], t: &[char], esc: char) -> bool {
        match p.first() {
            None => t.is_empty(),
            Some(&c) if c == esc => match p.get(1) {
                Some(&lit) => t.first().is_some_and(|x| x.eq_ignore_ascii_case(&lit)) && go(&p[2..], &t[1..], esc),
                None => false,
            },
            Some('%') => (0..=t.len()).any(|k| go(&p[1..], &t[k..], esc)),
            Some('_') => !t.is_empty() && go(&p[1..], &t[1..], esc),
            Some(c) => t.first().is_some_and(|x| x.eq_ignore_ascii_case(c)) && go(&p[1..], &t[1..], esc),
        }
    }
    go(&p, &t, esc)
}

/// A math function's numeric argument: NULL for text that is not a number.
fn num(v: &Value) -> Option<f64> {
    match to_number(v) {
        Value::Integer(i) => Some(i as f64),
        Value::Real(r) => Some(r),
        _ => None,
    }
}

fn math(m: MathFunc, args: &[Value]) -> Value {
    let real = |r: f64| if r.is_nan() { Value::Null } else { Value::Real(r) };
    if m == MathFunc::Pi {
        return Value::Real(std::f64::consts::PI);
    }
    // ceil, floor and trunc keep integers as they are.
    if matches!(m, MathFunc::Ceil | MathFunc::Floor | MathFunc::Trunc) {
        return match to_number(&args[0]) {
            Value::Integer(i) => Value::Integer(i),
            Value::Real(r) => Value::Real(match m {
                MathFunc::Ceil => r.ceil(),
                MathFunc::Floor => r.floor(),
                _ => r.trunc(),
            }),
            _ => Value::Null,
        };
    }
    let Some(x) = num(&args[0]) else { return Value::Null };
    let y = match args.get(1) {
        Some(v) => match num(v) {
            Some(y) => Some(y),
            None => return Value::Null,
        },
        None => None,
    };
    let positive = |f: fn(f64) -> f64| if x > 0.0 { real(f(x)) } else { Value::Null };
    match m {
        MathFunc::Sqrt => real(x.sqrt()),
        MathFunc::Pow => real(x.powf(y.unwrap_or(1.0))),
        MathFunc::Exp => real(x.exp()),
        MathFunc::Ln => positive(f64::ln),
        MathFunc::Log10 => positive(f64::log10),
        MathFunc::Log2 => positive(f64::log2),
        // log(x) is base 10; log(b, x) base b.
        MathFunc::Log => match y {
            None => positive(f64::log10),
            Some(v) if x > 0.0 && x != 1.0 && v > 0.0 => real(v.ln() / x.ln()),
            Some(_) => Value::Null,
        },
        MathFunc::Mod => match y {
            Some(v) if v != 0.0 => real(x % v),
            _ => Value::Null,
        },
        MathFunc::Sin => real(x.sin()),
        MathFunc::Cos => real(x.cos()),
        MathFunc::Tan => real(x.tan()),
        MathFunc::Asin => real(x.asin()),
        MathFunc::Acos => real(x.acos()),
        MathFunc::Atan => real(x.atan()),
        MathFunc::Atan2 => real(x.atan2(y.unwrap_or(1.0))),
        MathFunc::Sinh => real(x.sinh()),
        MathFunc::Cosh => real(x.cosh()),
        MathFunc::Tanh => real(x.tanh()),
        MathFunc::Asinh => real(x.asinh()),
        MathFunc::Acosh => real(x.acosh()),
        MathFunc::Atanh => real(x.atanh()),
        MathFunc::Degrees => real(x.to_degrees()),
        MathFunc::Radians => real(x.to_radians()),
        MathFunc::Pi | MathFunc::Ceil | MathFunc::Floor | MathFunc::Trunc => Value::Null,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn glob_matches_sqlite() {
        assert!(glob("a*", "abc"));
        assert!(!glob("A*", "abc"));
        assert!(glob("a?c", "abc"));
        assert!(glob("[a-c]x*", "bxyz"));
        assert!(!glob("[^a-c]x", "bx"));
        assert!(glob("[]]", "]"));
        assert!(glob("*.rs", "main.rs"));
        assert!(!glob("*.rs", "main.rsx"));
        assert!(!glob("[abc", "a"));
    }

    #[test]
    fn like_with_an_escape() {
        assert!(like_escape("10!%", "10%", '!'));
        assert!(!like_escape("10!%", "100", '!'));
        assert!(like_escape("a_c", "ABC", '!'));
    }

    #[test]
    fn quote_and_unhex() {
        assert_eq!(quote(&Value::text("it's")), "'it''s'");
        assert_eq!(unhex("41-42", Some("-")), Value::Blob(vec![0x41, 0x42].into()));
        assert_eq!(unhex("4", None), Value::Null);
    }
}
