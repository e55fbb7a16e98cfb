//! `printf(format, …)` (also `format`), as SQLite's: `%d %i %u %f %e %E %g %G %x %X %o
//! %s %z %q %Q %w %c %%` with the flags `-+ 0#,!`, a width and a precision (either may be
//! `*`, taken from the arguments). A missing argument reads as NULL (0, or the empty
//! text).

use super::eval::Ctx;
use crate::error::{Error, Result};
use crate::storage::convert::to_number;
use crate::storage::Value;

#[derive(Default)]
struct Spec {
    left: bool,
    plus: bool,
    space: bool,
    zero: bool,
    alt: bool,
    comma: bool,
    width: usize,
    precision: Option<usize>,
}

pub fn printf(args: &[Value], ctx: &Ctx) -> Result<Value> {
    let Some(format) = args.first() else { return Ok(Value::Null) };
    if format.is_null() {
        return Ok(Value::Null);
    }
    let format = format.to_string();
    let mut rest = args[1..].iter();
    let mut next = || rest.next().cloned().unwrap_or(Value::Null);
    let mut out = String::new();
    let mut chars = format.chars().peekable();
    while let Some(c) = chars.next() {
        if c != '%' {
            out.push(c);
            continue;
        }
        let mut spec = Spec::default();
        while let Some(&f) = chars.peek() {
            match f {
                '-' => spec.left = true,
                '+' => spec.plus = true,
                ' ' => spec.space = true,
                '0' => spec.zero = true,
                '#' => spec.alt = true,
                ',' => spec.comma = true,
                '!' => {}
                _ => break,
            }
            chars.next();
        }
        if chars.peek() == Some(&'*') {
            chars.next();
            let w = int_of(&next());
            spec.left |= w < 0;
            spec.width = w.unsigned_abs().min(1 << 20) as usize;
        } else {
            spec.width = number(&mut chars).min(1 << 20);
        }
        if chars.peek() == Some(&'.') {
            chars.next();
            if chars.peek() == Some(&'*') {
                chars.next();
                spec.precision = Some(int_of(&next()).clamp(0, 1 << 20) as usize);
            } else {
                spec.precision = Some(number(&mut chars).min(1 << 20));
            }
        }
        while chars.peek() == Some(&'l') {
            chars.next();
        }
        let Some(conv) = chars.next() else {
            return Err(Error::invalid("printf: the format ends inside a % conversion"));
        };
        let piece = match conv {
            '%' => "%".to_string(),
            'd' | 'i' => signed(int_of(&next()), &spec),
            'u' => signed(int_of(&next()).max(0), &spec),
            'x' | 'X' | 'o' => radix(int_of(&next()) as u64, conv, &spec),
            'f' | 'F' | 'e' | 'E' | 'g' | 'G' => float(real_of(&next()), conv, &spec),
            's' | 'z' => {
                let v = next();
                let text = if v.is_null() { String::new() } else { v.to_string() };
                truncate(text, spec.precision)
            }
            'c' => {
                let v = next();
                let ch = if v.is_null() { String::new() } else { v.to_string().chars().take(1).collect() };
                ch.repeat(spec.precision.unwrap_or(1).max(1))
            }
            'q' | 'Q' | 'w' => {
                let v = next();
                let quote = if conv == 'w' { '"' } else { '\'' };
                if v.is_null() {
                    if conv == 'Q' {
                        "NULL".to_string()
                    } else {
                        "(NULL)".to_string()
                    }
                } else {
                    let text = truncate(v.to_string(), spec.precision);
                    let doubled = text.replace(quote, &format!("{quote}{quote}"));
                    if conv == 'Q' {
                        format!("'{doubled}'")
                    } else {
                        doubled
                    }
                }
            }
            other => return Err(Error::invalid(format!("printf: unknown conversion %{other}"))),
        };
        let numeric = matches!(conv, 'd' | 'i' | 'u' | 'x' | 'X' | 'o' | 'f' | 'F' | 'e' | 'E' | 'g' | 'G');
        let padded = pad(piece, &spec, numeric);
        ctx.check_length(out.len().saturating_add(padded.len()))?;
        out.push_str(&padded);
    }
    Ok(Value::text(&out))
}

/// `%.<precision>g` of a real, as C prints it.
pub(super) fn general(r: f64, precision: usize) -> String {
    float(r, 'g', &Spec { precision: Some(precision), ..Spec::default() })
}

fn number(chars: &mut std::iter::Peekable<std::str::Chars>) -> usize {
    let mut n: usize = 0;
    while let Some(d) = chars.peek().and_then(|c| c.to_digit(10)) {
        n = n.saturating_mul(10).saturating_add(d as usize);
        chars.next();
    }
    n
}

fn int_of(v: &Value) -> i64 {
    match to_number(v) {
        Value::Integer(i) => i,
        Value::Real(r) => r as i64,
        _ => 0,
    }
}

fn real_of(v: &Value) -> f64 {
    match to_number(v) {
        Value::Integer(i) => i as f64,
        Value::Real(r) => r,
        _ => 0.0,
    }
}

fn truncate(text: String, precision: Option<usize>) -> String {
    match precision {
        Some(p) => text.chars().take(p).collect(),
        None => text,
    }
}

fn with_commas(digits: &str) -> String {
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

fn sign_of(negative: bool, spec: &Spec) -> &'static str {
    if negative {
        "-"
    } else if spec.plus {
        "+"
    } else if spec.space {
        " "
    } else {
        ""
    }
}

fn signed(i: i64, spec: &Spec) -> String {
    let mut digits = i.unsigned_abs().to_string();
    if let Some(p) = spec.precision {
        while digits.len() < p {
            digits.insert(0, '0');
        }
    }
    if spec.comma {
        digits = with_commas(&digits);
    }
    format!("{}{digits}", sign_of(i < 0, spec))
}

fn radix(u: u64, conv: char, spec: &Spec) -> String {
    let mut digits = match conv {
        'x' => format!("{u:x}"),
        'X' => format!("{u:X}"),
        _ => format!("{u:o}"),
    };
    if let Some(p) = spec.precision {
        while digits.len() < p {
            digits.insert(0, '0');
        }
    }
    if spec.alt && u != 0 {
        digits.insert_str(
            0,
            match conv {
                'x' => "0x",
                'X' => "0X",
                _ => "0",
            },
        );
    }
    digits
}

/// `m.mmme±XX`, the exponent at least two digits.
fn exponent_form(r: f64, precision: usize, upper: bool) -> String {
    let s = format!("{:.*e}", precision, r);
    let (mantissa, exp) = s.split_once('e').unwrap_or((&s, "0"));
    let exp: i32 = exp.parse().unwrap_or(0);
    let e = if upper { 'E' } else { 'e' };
    format!("{mantissa}{e}{}{:02}", if exp < 0 { '-' } else { '+' }, exp.abs())
}

fn strip_zeros(s: &str) -> String {
    if !s.contains('.') {
        return s.to_string();
    }
    let (num, exp) = match s.find(['e', 'E']) {
        Some(k) => (&s[..k], &s[k..]),
        None => (s, ""),
    };
    let num = num.trim_end_matches('0').trim_end_matches('.');
    format!("{num}{exp}")
}

fn float(r: f64, conv: char, spec: &Spec) -> String {
    if r.is_nan() {
        return "NaN".to_string();
    }
    if r.is_infinite() {
        return format!("{}Inf", sign_of(r < 0.0, spec));
    }
    let p = spec.precision.unwrap_or(6);
    let body = match conv {
        'f' | 'F' => {
            let s = format!("{:.*}", p, r.abs());
            let s = if spec.comma {
                let (int, frac) = s.split_once('.').map_or((s.as_str(), None), |(a, b)| (a, Some(b)));
                let int = with_commas(int);
                frac.map_or(int.clone(), |f| format!("{int}.{f}"))
            } else {
                s
            };
            if spec.alt && p == 0 {
                format!("{s}.")
            } else {
                s
            }
        }
        'e' | 'E' => exponent_form(r.abs(), p, conv == 'E'),
        _ => {
            let p = p.max(1);
            let a = r.abs();
            let exp = if a == 0.0 {
                0
            } else {
                let s = format!("{:.*e}", p - 1, a);
                s.split_once('e').and_then(|(_, e)| e.parse::<i32>().ok()).unwrap_or(0)
            };
            let s = if exp < -4 || exp >= p as i32 {
                exponent_form(a, p - 1, conv == 'G')
            } else {
                format!("{:.*}", (p as i32 - 1 - exp).max(0) as usize, a)
            };
            if spec.alt {
                s
            } else {
                strip_zeros(&s)
            }
        }
    };
    let negative = r < 0.0 || (r == 0.0 && r.is_sign_negative() && body.chars().any(|c| c != '0' && c != '.'));
    format!("{}{body}", sign_of(negative, spec))
}

fn pad(piece: String, spec: &Spec, numeric: bool) -> String {
    let len = piece.chars().count();
    if len >= spec.width {
        return piece;
    }
    let fill = spec.width - len;
    if spec.left {
        format!("{piece}{}", " ".repeat(fill))
    } else if spec.zero && numeric {
        // Zeros go after the sign.
        let sign_len = piece.starts_with(['-', '+', ' ']) as usize;
        format!("{}{}{}", &piece[..sign_len], "0".repeat(fill), &piece[sign_len..])
    } else {
        format!("{}{piece}", " ".repeat(fill))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(args: &[Value]) -> String {
        let now = std::cell::OnceCell::new();
        printf(args, &Ctx::for_constants(&now)).unwrap().to_string()
    }

    #[test]
    fn formats_like_sqlite() {
        let t = Value::text;
        assert_eq!(p(&[t("%05d|%-4s|%x"), Value::Integer(42), t("ab"), Value::Integer(255)]), "00042|ab  |ff");
        assert_eq!(
            p(&[t("%.2f %e %g"), Value::Real(1.23456), Value::Real(12345.678), Value::Real(0.0001)]),
            "1.23 1.234568e+04 0.0001"
        );
        assert_eq!(
            p(&[t("%,d %+d %q %Q"), Value::Integer(1234567), Value::Integer(5), t("it's"), Value::Null]),
            "1,234,567 +5 it''s NULL"
        );
        assert_eq!(p(&[t("%g %g"), Value::Real(100000.0), Value::Real(1e20)]), "100000 1e+20");
    }
}
