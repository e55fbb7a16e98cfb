//! Scalar functions, with SQLite's results.

use std::cmp::Ordering;
use std::sync::atomic::{AtomicU64, Ordering as AtomicOrdering};

use super::eval::Ctx;
use crate::error::{ErrorKind, Result};
use crate::sql::plan::Func;
use crate::storage::convert::to_number;
use crate::storage::Value;

pub fn call(f: Func, mut args: Vec<Value>, ctx: &Ctx) -> Result<Value> {
    let null_in = args.iter().any(Value::is_null);
    Ok(match f {
        Func::Coalesce | Func::IfNull => args.into_iter().find(|v| !v.is_null()).unwrap_or(Value::Null),
        Func::NullIf => {
            let b = args.pop().unwrap_or(Value::Null);
            let a = args.pop().unwrap_or(Value::Null);
            if a.sql_cmp(&b) == Some(Ordering::Equal) {
                Value::Null
            } else {
                a
            }
        }
        Func::Min | Func::Max if null_in => Value::Null,
        Func::Min => args.into_iter().min_by(|a, b| a.total_cmp(b)).unwrap_or(Value::Null),
        Func::Max => args
            .into_iter()
            .reduce(|a, b| if b.total_cmp(&a) == Ordering::Greater { b } else { a })
            .unwrap_or(Value::Null),
        Func::Now => Value::Timestamp(ctx.now()),
        Func::Raise => return Err(super::trigger::raise(&args, ctx)),
        Func::Random => Value::Integer(random()),
        Func::Uuid => Value::text(&uuid_v4()),
        Func::Uuid7 => Value::text(&uuid_v7(crate::storage::time::now_micros() / 1000)),
        Func::Collate(c) => collate(c, &args[0]),
        Func::LastInsertRowid => Value::Integer(ctx.counters.map_or(0, |c| c.last_insert_rowid())),
        Func::Changes => Value::Integer(ctx.counters.map_or(0, |c| c.changes())),
        Func::SessionId => Value::Integer(ctx.counters.map_or(0, |c| c.session_id())),
        Func::TotalChanges => Value::Integer(ctx.counters.map_or(0, |c| c.total_changes())),
        Func::CurrentVersion => Value::Integer(ctx.version as i64),
        Func::StatsReset => match ctx.history {
            Some(h) if h.reset_stats() => Value::Boolean(true),
            _ => return Err(crate::error::Error::invalid("amber_stats_reset() needs a database")),
        },
        Func::Version => Value::text(&format!("PostgreSQL 15.0 (AmberDB {})", env!("CARGO_PKG_VERSION"))),
        Func::CurrentDatabase => Value::text("amberdb"),
        Func::RegexpLike => regexp_like(&args)?,
        Func::PgUser => Value::text("amberdb"),
        Func::PgVisible => Value::Boolean(true),
        Func::PgEncoding => Value::text("UTF8"),
        Func::Catalog(f) => f.call(ctx.state, &args)?,
        Func::NumericAffinity => crate::sql::binder::numeric_affinity(args.pop().unwrap_or(Value::Null)),
        Func::CurrentSetting => current_setting(&args, ctx)?,
        Func::CurrentSchema => match &args[0] {
            Value::Text(ns) if &**ns != crate::storage::state::MAIN => args[0].clone(),
            _ => Value::text("public"),
        },
        Func::WriteMessage => super::streams::write_message(&args, ctx)?,
        Func::StreamVersion => super::streams::stream_version(&args, ctx)?,
        Func::TtlRemaining => match args[0] {
            Value::Timestamp(at) => Value::Real((at - ctx.now()).max(0) as f64 / 1e6),
            _ => Value::Null,
        },
        Func::StreamId | Func::CardinalId | Func::Category | Func::IsCategory | Func::Hash64 => {
            use crate::storage::streams;
            let Value::Text(name) = &args[0] else { return Ok(Value::Null) };
            let text = |s: Option<&str>| s.map_or(Value::Null, Value::text);
            match f {
                Func::StreamId => text(streams::stream_id(name)),
                Func::CardinalId => text(streams::cardinal_id(name)),
                Func::Category => Value::text(streams::category(name)),
                Func::IsCategory => Value::Boolean(streams::is_category(name)),
                _ => Value::Integer(streams::hash_64(name)),
            }
        }
        Func::Date(d) => super::datetime::call(d, &args, ctx)?,
        Func::Printf => super::printf::printf(&args, ctx)?,
        Func::Json(j, json, extracted) => super::json::call(j, json, extracted, &args, ctx)?,
        Func::Iif => match args.first().and_then(Value::truth) {
            Some(true) => args.get(1).cloned().unwrap_or(Value::Null),
            _ => args.get(2).cloned().unwrap_or(Value::Null),
        },
        Func::Glob
        | Func::Like
        | Func::Concat
        | Func::ConcatWs
        | Func::Quote
        | Func::Char
        | Func::Unicode
        | Func::RandomBlob
        | Func::ZeroBlob
        | Func::Unhex
        | Func::Likelihood
        | Func::OctetLength
        | Func::Math(_) => super::scalars::call(f, &args, ctx)?,
        // SQLite's hex(NULL) is the empty text.
        Func::Hex if null_in => Value::text(""),
        _ if null_in && !matches!(f, Func::Typeof) => Value::Null,
        Func::Hex => {
            let text = match &args[0] {
                Value::Blob(b) => std::borrow::Cow::Borrowed(&b[..]),
                v => std::borrow::Cow::Owned(v.to_string().into_bytes()),
            };
            ctx.check_length(text.len().saturating_mul(2))?;
            Value::text(&crate::storage::value::hex(&text))
        }
        Func::Typeof => Value::text(args[0].type_name()),
        Func::Abs => match to_number(&args[0]) {
            Value::Integer(i) => Value::Integer(i.checked_abs().ok_or(ErrorKind::IntegerOverflow)?),
            Value::Real(r) => Value::Real(r.abs()),
            v => v,
        },
        Func::Sign => match to_number(&args[0]) {
            Value::Integer(i) => Value::Integer(i.signum()),
            Value::Real(r) if r > 0.0 => Value::Integer(1),
            Value::Real(r) if r < 0.0 => Value::Integer(-1),
            _ => Value::Integer(0),
        },
        Func::Length => match &args[0] {
            // A blob's length is its bytes.
            Value::Blob(b) => Value::Integer(b.len() as i64),
            v => Value::Integer(v.to_string().chars().count() as i64),
        },
        Func::Lower => Value::text(&args[0].to_string().to_ascii_lowercase()),
        Func::Upper => Value::text(&args[0].to_string().to_ascii_uppercase()),
        Func::Substr => substr(&args),
        Func::Trim | Func::LTrim | Func::RTrim => trim(f, &args),
        Func::Round => round(&args),
        Func::Replace => {
            let (s, from, to) = (args[0].to_string(), args[1].to_string(), args[2].to_string());
            if from.is_empty() {
                Value::text(&s)
            } else {
                if to.len() > from.len() {
                    let grows = s.matches(&from).count().saturating_mul(to.len() - from.len());
                    ctx.check_length(s.len().saturating_add(grows))?;
                }
                Value::text(&s.replace(&from, &to))
            }
        }
        Func::Instr => {
            let (s, sub) = (args[0].to_string(), args[1].to_string());
            let pos = s.find(&sub).map_or(0, |b| s[..b].chars().count() + 1);
            Value::Integer(pos as i64)
        }
    })
}

fn int_arg(v: &Value) -> i64 {
    match to_number(v) {
        Value::Integer(i) => i,
        Value::Real(r) => r as i64,
        _ => 0,
    }
}

/// `substr(s, start[, len])`, 1-based, negative start counting from the end, negative
/// length taking characters before the start (SQLite's rules).
fn substr(args: &[Value]) -> Value {
    let chars: Vec<char> = args[0].to_string().chars().collect();
    let len = chars.len() as i64;
    let mut p1 = int_arg(&args[1]);
    let (mut p2, neg) = match args.get(2) {
        Some(v) => {
            let n = int_arg(v);
            (n.saturating_abs(), n < 0)
        }
        None => (i64::MAX / 4, false),
    };
    if p1 < 0 {
        p1 += len;
        if p1 < 0 {
            p2 += p1;
            if p2 < 0 {
                p2 = 0;
            }
            p1 = 0;
        }
    } else if p1 > 0 {
        p1 -= 1;
    } else if p2 > 0 {
        p2 -= 1;
    }
    if neg {
        p1 -= p2;
        if p1 < 0 {
            p2 += p1;
            p1 = 0;
        }
    }
    let start = p1.clamp(0, len) as usize;
    let end = p1.saturating_add(p2).clamp(0, len) as usize;
    Value::text(&chars[start..end.max(start)].iter().collect::<String>())
}

fn trim(f: Func, args: &[Value]) -> Value {
    let s = args[0].to_string();
    let set: Vec<char> = match args.get(1) {
        Some(v) => v.to_string().chars().collect(),
        None => vec![' '],
    };
    let is_trimmed = |c: char| set.contains(&c);
    Value::text(match f {
        Func::LTrim => s.trim_start_matches(is_trimmed),
        Func::RTrim => s.trim_end_matches(is_trimmed),
        _ => s.trim_matches(is_trimmed),
    })
}

fn round(args: &[Value]) -> Value {
    let x = match to_number(&args[0]) {
        Value::Integer(i) => i as f64,
        Value::Real(r) => r,
        _ => 0.0,
    };
    let digits = args.get(1).map_or(0, int_arg).clamp(0, 30) as usize;
    if digits == 0 {
        return Value::Real(x.round());
    }
    Value::Real(format!("{x:.digits$}").parse().unwrap_or(x))
}

static SEED: AtomicU64 = AtomicU64::new(0);

/// A pseudo-random integer (xorshift*), seeded on first use from the clock and the
/// process's random hashing keys (so that two processes started together differ).
pub(super) fn random() -> i64 {
    let mut s = SEED.load(AtomicOrdering::Relaxed);
    if s == 0 {
        use std::hash::BuildHasher;
        let keyed = std::collections::hash_map::RandomState::new().hash_one(std::process::id());
        s = (crate::storage::time::now_micros() as u64 ^ keyed) | 1;
    }
    s ^= s >> 12;
    s ^= s << 25;
    s ^= s >> 27;
    SEED.store(s, AtomicOrdering::Relaxed);
    s.wrapping_mul(0x2545_F491_4F6C_DD1D) as i64
}

/// 16 random bytes.
fn random_bytes() -> [u8; 16] {
    let mut b = [0u8; 16];
    b[..8].copy_from_slice(&random().to_le_bytes());
    b[8..].copy_from_slice(&random().to_le_bytes());
    b
}

/// The usual text of a UUID: 32 hex digits in groups of 8-4-4-4-12.
fn uuid_text(b: [u8; 16]) -> String {
    let mut out = String::with_capacity(36);
    for (i, byte) in b.iter().enumerate() {
        if matches!(i, 4 | 6 | 8 | 10) {
            out.push('-');
        }
        out.push_str(&format!("{byte:02x}"));
    }
    out
}

/// A random UUID: version 4, variant 1 (RFC 9562).
fn uuid_v4() -> String {
    let mut b = random_bytes();
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    uuid_text(b)
}

/// The last version-7 UUID's time and counter, so that each one made in this process
/// sorts after the one before, also within one millisecond.
static UUID7_LAST: std::sync::Mutex<(i64, u16)> = std::sync::Mutex::new((0, 0));

/// A version-7 UUID for the time `ms` (milliseconds since 1970): 48 bits of time, 12
/// of a counter that starts at a random value each millisecond, and 62 random bits.
fn uuid_v7(ms: i64) -> String {
    uuid_v7_after(ms, &mut UUID7_LAST.lock().unwrap_or_else(|e| e.into_inner()))
}

/// [`uuid_v7`] after the one whose time and counter `last` holds.
fn uuid_v7_after(ms: i64, last: &mut (i64, u16)) -> String {
    let (ms, counter) = {
        let next = if ms > last.0 {
            (ms, (random() as u16) & 0x7ff)
        } else if last.1 < 0xfff {
            (last.0, last.1 + 1)
        } else {
            // The counter ran out within one millisecond: borrow the next one.
            (last.0 + 1, (random() as u16) & 0x7ff)
        };
        *last = next;
        next
    };
    let mut b = random_bytes();
    b[..6].copy_from_slice(&(ms as u64).to_be_bytes()[2..]);
    b[6] = 0x70 | ((counter >> 8) as u8 & 0x0f);
    b[7] = counter as u8;
    b[8] = (b[8] & 0x3f) | 0x80;
    uuid_text(b)
}

/// A value as collation `c` compares it: NOCASE folds ASCII capitals to small letters,
/// RTRIM drops trailing spaces; other values stay as they are.
/// `current_setting(name [, missing_ok])`: the client's session setting, else the
/// database's own (as SHOW prints it); an unknown name is an error unless `missing_ok`.
fn current_setting(args: &[Value], ctx: &Ctx) -> Result<Value> {
    let Value::Text(name) = &args[0] else { return Ok(Value::Null) };
    if let Some(v) = ctx.counters.and_then(|c| c.setting(name)) {
        return Ok(Value::text(&v));
    }
    if let Some(h) = ctx.history {
        let own = h.report("pg_settings")?;
        if let Some(row) = own.into_iter().find(|r| matches!(&r[0], Value::Text(n) if n.eq_ignore_ascii_case(name))) {
            return Ok(row[1].clone());
        }
    }
    match args.get(1) {
        Some(Value::Boolean(true)) | Some(Value::Integer(1..)) => Ok(Value::Null),
        _ => Err(crate::error::Error::invalid(format!("unrecognized configuration parameter \"{name}\""))),
    }
}

/// A value as it compares under collation `c`: text folded (NOCASE, RTRIM).
pub(super) fn collate(c: crate::sql::ast::Collation, v: &Value) -> Value {
    use crate::sql::ast::Collation;
    let Value::Text(t) = v else { return v.clone() };
    match c {
        Collation::NoCase if t.bytes().any(|b| b.is_ascii_uppercase()) => Value::text(&t.to_ascii_lowercase()),
        Collation::RTrim if t.ends_with(' ') => Value::text(t.trim_end_matches(' ')),
        _ => v.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(s: &str) -> Value {
        Value::text(s)
    }

    #[test]
    fn uuids_have_their_version_and_uuid7_sorts_by_time() {
        let v4 = uuid_v4();
        assert_eq!(v4.len(), 36);
        assert_eq!(&v4[14..15], "4");
        assert!(matches!(&v4[19..20], "8" | "9" | "a" | "b"));
        assert_ne!(uuid_v4(), v4);
        let mut last = (0, 0);
        let made: Vec<String> = (0..5000).map(|i| uuid_v7_after(1_700_000_000_000 + i / 1000, &mut last)).collect();
        assert!(made.windows(2).all(|w| w[0] < w[1]), "each sorts after the one before");
        assert_eq!(&made[0][14..15], "7");
        assert!(made[0].starts_with("018bcfe5-6800"), "{}", made[0]);
    }

    #[test]
    fn substr_follows_sqlite() {
        let i = Value::Integer;
        assert_eq!(substr(&[t("hello"), i(2), i(3)]), t("ell"));
        assert_eq!(substr(&[t("hello"), i(-3)]), t("llo"));
        assert_eq!(substr(&[t("hello"), i(0), i(2)]), t("h"));
        assert_eq!(substr(&[t("hello"), i(3), i(-2)]), t("he"));
        assert_eq!(substr(&[t("hello"), i(10)]), t(""));
    }

    #[test]
    fn round_and_trim() {
        assert_eq!(round(&[Value::Real(2.5)]), Value::Real(3.0));
        assert_eq!(round(&[Value::Real(-2.5)]), Value::Real(-3.0));
        assert_eq!(round(&[Value::Real(1.23456), Value::Integer(2)]), Value::Real(1.23));
        assert_eq!(trim(Func::Trim, &[t("  x  ")]), t("x"));
        assert_eq!(trim(Func::LTrim, &[t("xxaxx"), t("x")]), t("axx"));
    }
}

thread_local! {
    /// The last regular expression compiled on this thread: a query matches one
    /// pattern against many rows.
    static LAST_REGEX: std::cell::RefCell<Option<(String, bool, regex::Regex)>> = const { std::cell::RefCell::new(None) };
}

/// `regexp_like(text, pattern[, flags])`: whether the pattern matches somewhere in the
/// text; flag `i` ignores case, `c` does not. NULL when an argument is.
fn regexp_like(args: &[Value]) -> Result<Value> {
    let text = |v: &Value| match v {
        Value::Null => None,
        Value::Text(t) => Some(t.to_string()),
        other => Some(other.to_string()),
    };
    let (Some(subject), Some(pattern)) = (text(&args[0]), text(&args[1])) else { return Ok(Value::Null) };
    let flags = match args.get(2) {
        None => String::new(),
        Some(v) => match text(v) {
            Some(f) => f,
            None => return Ok(Value::Null),
        },
    };
    let mut ignore_case = false;
    for f in flags.chars() {
        match f {
            'i' => ignore_case = true,
            'c' => ignore_case = false,
            other => {
                return Err(crate::error::Error::invalid(format!(
                    "regexp_like: unknown flag {other:?} (there are i and c)"
                )))
            }
        }
    }
    LAST_REGEX.with(|cell| {
        let mut last = cell.borrow_mut();
        if !matches!(&*last, Some((p, i, _)) if *p == pattern && *i == ignore_case) {
            let re =
                regex::RegexBuilder::new(&pattern).case_insensitive(ignore_case).size_limit(1 << 20).build().map_err(
                    |e| crate::error::Error::invalid(format!("invalid regular expression {pattern:?}: {e}")),
                )?;
            *last = Some((pattern.clone(), ignore_case, re));
        }
        let (_, _, re) = last.as_ref().expect("compiled just above");
        Ok(Value::Boolean(re.is_match(&subject)))
    })
}
