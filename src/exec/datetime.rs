//! SQLite's date and time functions: `date`, `time`, `datetime`, `julianday`,
//! `unixepoch`, `strftime` and `timediff`, with their modifiers.
//!
//! A time is held as SQLite holds it: milliseconds since noon of the Julian day 0
//! (`jd`), from which the calendar fields are worked out as needed. A time value is ISO
//! text (`YYYY-MM-DD[ HH:MM[:SS[.SSS]]][Z|±HH:MM]`, or just `HH:MM[:SS]`), `'now'` (the
//! statement's one clock reading), a number (a Julian day, or Unix seconds after the
//! `unixepoch` modifier), or one of our TIMESTAMP values. Anything else gives NULL, as
//! a modifier SQLite does not know does. Local time is UTC here (`localtime` and `utc`
//! change nothing).

use super::eval::Ctx;
use crate::error::{Error, Result};
use crate::sql::plan::DateFunc;
use crate::storage::convert::to_number;
use crate::storage::Value;

/// The Unix epoch as a Julian day in milliseconds.
const UNIX_EPOCH_JD: i64 = 210_866_760_000_000;
/// The last millisecond of the year 9999.
const MAX_JD: i64 = 464_269_060_799_999;
const DAY_MS: i64 = 86_400_000;

#[derive(Clone, Copy, Debug, Default)]
struct DateTime {
    jd: i64,
    y: i64,
    m: i64,
    d: i64,
    h: i64,
    min: i64,
    s: f64,
    /// Time-zone offset in minutes, until it is folded into `jd`.
    tz: i64,
    valid_jd: bool,
    valid_ymd: bool,
    valid_hms: bool,
    /// Read from a bare number: `unixepoch`/`auto` may reinterpret it.
    raw: Option<f64>,
    subsec: bool,
}

impl DateTime {
    fn compute_jd(&mut self) {
        if self.valid_jd {
            return;
        }
        let (mut y, mut m, d) = if self.valid_ymd { (self.y, self.m, self.d) } else { (2000, 1, 1) };
        if m <= 2 {
            y -= 1;
            m += 12;
        }
        let a = y / 100;
        let b = 2 - a + a / 4;
        let x1 = 36525 * (y + 4716) / 100;
        let x2 = 306001 * (m + 1) / 10000;
        let mut jd = ((x1 + x2 + d + b) as f64 - 1524.5) * 86_400_000.0;
        let mut jd_i = jd as i64;
        if self.valid_hms {
            jd_i += self.h * 3_600_000 + self.min * 60_000 + (self.s * 1000.0 + 0.5) as i64;
            if self.tz != 0 {
                jd_i -= self.tz * 60_000;
                self.valid_ymd = false;
                self.valid_hms = false;
                self.tz = 0;
            }
        }
        jd = jd_i as f64;
        self.jd = jd as i64;
        self.valid_jd = true;
    }

    fn compute_ymd(&mut self) {
        if self.valid_ymd {
            return;
        }
        if !self.valid_jd {
            self.y = 2000;
            self.m = 1;
            self.d = 1;
        } else {
            let z = (self.jd + 43_200_000) / DAY_MS;
            let a = ((z as f64 - 1_867_216.25) / 36_524.25) as i64;
            let a = z + 1 + a - (a / 4);
            let b = a + 1524;
            let c = ((b as f64 - 122.1) / 365.25) as i64;
            let d = (36525 * (c & 32767)) / 100;
            let e = ((b - d) as f64 / 30.6001) as i64;
            let x1 = (30.6001 * e as f64) as i64;
            self.d = b - d - x1;
            self.m = if e < 14 { e - 1 } else { e - 13 };
            self.y = if self.m > 2 { c - 4716 } else { c - 4715 };
        }
        self.valid_ymd = true;
    }

    fn compute_hms(&mut self) {
        if self.valid_hms {
            return;
        }
        self.compute_jd();
        let ms = (self.jd + 43_200_000) % DAY_MS;
        self.s = (ms % 60_000) as f64 / 1000.0;
        let rest = ms / 60_000;
        self.min = rest % 60;
        self.h = rest / 60;
        self.valid_hms = true;
    }

    fn compute_all(&mut self) {
        self.compute_ymd();
        self.compute_hms();
    }

    fn clear_ymd_hms(&mut self) {
        self.valid_ymd = false;
        self.valid_hms = false;
        self.tz = 0;
    }

    fn set_jd(&mut self, jd: i64) {
        self.jd = jd;
        self.valid_jd = true;
        self.clear_ymd_hms();
    }

    fn in_range(&self) -> bool {
        (0..=MAX_JD).contains(&self.jd)
    }
}

/// Reads `digits` decimal digits at `s[*i..]`.
fn digits(s: &[u8], i: &mut usize, n: usize) -> Option<i64> {
    let part = s.get(*i..*i + n)?;
    if !part.iter().all(u8::is_ascii_digit) {
        return None;
    }
    *i += n;
    Some(part.iter().fold(0, |acc, d| acc * 10 + (d - b'0') as i64))
}

/// `HH:MM[:SS[.SSS…]]` then an optional time zone; `None` when it is not one.
fn parse_hms(s: &[u8], i: &mut usize, p: &mut DateTime) -> Option<()> {
    let h = digits(s, i, 2)?;
    (s.get(*i) == Some(&b':')).then_some(())?;
    *i += 1;
    let min = digits(s, i, 2)?;
    let mut sec = 0.0;
    if s.get(*i) == Some(&b':') {
        *i += 1;
        sec = digits(s, i, 2)? as f64;
        if s.get(*i) == Some(&b'.') && s.get(*i + 1).is_some_and(u8::is_ascii_digit) {
            *i += 1;
            let mut scale = 1.0;
            let mut frac = 0.0;
            while let Some(c) = s.get(*i).filter(|c| c.is_ascii_digit()) {
                scale /= 10.0;
                frac += (c - b'0') as f64 * scale;
                *i += 1;
            }
            sec += frac;
        }
    }
    if h > 24 || min > 59 || sec >= 60.0 {
        return None;
    }
    p.h = h;
    p.min = min;
    p.s = sec;
    p.valid_hms = true;
    p.valid_jd = false;
    // A time zone: Z, or ±HH:MM.
    while s.get(*i) == Some(&b' ') {
        *i += 1;
    }
    match s.get(*i) {
        Some(b'Z' | b'z') => {
            *i += 1;
        }
        Some(&c @ (b'+' | b'-')) => {
            *i += 1;
            let oh = digits(s, i, 2)?;
            (s.get(*i) == Some(&b':')).then_some(())?;
            *i += 1;
            let om = digits(s, i, 2)?;
            let tz = oh * 60 + om;
            p.tz = if c == b'-' { -tz } else { tz };
        }
        _ => {}
    }
    while s.get(*i) == Some(&b' ') {
        *i += 1;
    }
    Some(())
}

/// ISO text: a date with an optional time, or a time alone.
fn parse_text(text: &str, ctx: &Ctx) -> Option<DateTime> {
    let t = text.trim();
    let mut p = DateTime::default();
    if t.eq_ignore_ascii_case("now") {
        p.set_jd(ctx.now().div_euclid(1000) + UNIX_EPOCH_JD);
        return Some(p);
    }
    let s = t.as_bytes();
    let mut i = 0;
    let neg = s.first() == Some(&b'-');
    if neg {
        i += 1;
    }
    if let Some(y) = digits(s, &mut i, 4).filter(|_| s.get(i) == Some(&b'-')) {
        i += 1;
        let m = digits(s, &mut i, 2)?;
        (s.get(i) == Some(&b'-')).then_some(())?;
        i += 1;
        let d = digits(s, &mut i, 2)?;
        if !(1..=12).contains(&m) || !(1..=31).contains(&d) {
            return None;
        }
        p.y = if neg { -y } else { y };
        p.m = m;
        p.d = d;
        p.valid_ymd = true;
        while matches!(s.get(i), Some(b' ' | b'T')) {
            i += 1;
        }
        if i < s.len() {
            parse_hms(s, &mut i, &mut p)?;
        }
        if i != s.len() {
            return None;
        }
        p.compute_jd();
        return Some(p);
    }
    let mut i = 0;
    if parse_hms(s, &mut i, &mut p).is_some() && i == s.len() {
        p.compute_jd();
        return Some(p);
    }
    // Text that is a number is a Julian day.
    let r: f64 = t.parse().ok()?;
    Some(from_number(r))
}

fn from_number(r: f64) -> DateTime {
    let mut p = DateTime::default();
    p.set_jd((r * DAY_MS as f64 + 0.5) as i64);
    p.raw = Some(r);
    p
}

/// The first argument as a time, or `None` for NULL and what is not a time.
fn time_value(v: &Value, ctx: &Ctx) -> Option<DateTime> {
    match v {
        Value::Null => None,
        Value::Timestamp(us) => {
            let mut p = DateTime::default();
            p.set_jd(us.div_euclid(1000) + UNIX_EPOCH_JD);
            Some(p)
        }
        Value::Integer(_) | Value::Real(_) | Value::Boolean(_) => match to_number(v) {
            Value::Integer(i) => Some(from_number(i as f64)),
            Value::Real(r) => Some(from_number(r)),
            _ => None,
        },
        Value::Text(t) => parse_text(t, ctx),
        Value::Blob(_) => None,
    }
}

/// Applies one modifier; `Ok(false)` when it is not one SQLite knows (the result is
/// then NULL).
fn modify(p: &mut DateTime, text: &str, first: bool) -> bool {
    let z = text.trim().to_ascii_lowercase();
    match z.as_str() {
        "unixepoch" if first => match p.raw {
            Some(r) => {
                let jd = (r * 1000.0 + UNIX_EPOCH_JD as f64 + if r < 0.0 { -0.5 } else { 0.5 }) as i64;
                p.set_jd(jd);
                p.raw = None;
                true
            }
            None => false,
        },
        "julianday" if first => p.raw.is_some(),
        "auto" if first => {
            if let Some(r) = p.raw {
                if !(0.0..5_373_484.5).contains(&r) {
                    p.set_jd((r * 1000.0 + UNIX_EPOCH_JD as f64 + if r < 0.0 { -0.5 } else { 0.5 }) as i64);
                }
                p.raw = None;
            }
            true
        }
        "localtime" | "utc" => {
            p.compute_jd();
            true
        }
        "subsec" | "subsecond" => {
            p.subsec = true;
            true
        }
        "start of month" | "start of year" | "start of day" => {
            p.compute_all();
            p.h = 0;
            p.min = 0;
            p.s = 0.0;
            p.valid_hms = true;
            p.tz = 0;
            p.raw = None;
            if z != "start of day" {
                p.d = 1;
            }
            if z == "start of year" {
                p.m = 1;
            }
            p.valid_jd = false;
            p.compute_jd();
            true
        }
        _ if z.starts_with("weekday ") => {
            let Ok(n) = z["weekday ".len()..].trim().parse::<f64>() else { return false };
            if !(0.0..7.0).contains(&n) || n.fract() != 0.0 {
                return false;
            }
            p.compute_all();
            p.tz = 0;
            p.valid_jd = false;
            p.compute_jd();
            let mut day = ((p.jd + 129_600_000) / DAY_MS) % 7;
            let n = n as i64;
            if day > n {
                day -= 7;
            }
            p.set_jd(p.jd + (n - day) * DAY_MS);
            p.raw = None;
            true
        }
        _ => shift(p, &z),
    }
}

/// `±N unit`: days, hours, minutes, seconds, months or years (singular or plural).
fn shift(p: &mut DateTime, z: &str) -> bool {
    let mut parts = z.split_whitespace();
    let (Some(number), Some(unit), None) = (parts.next(), parts.next(), parts.next()) else { return false };
    let Ok(mut r) = number.parse::<f64>() else { return false };
    if !r.is_finite() {
        return false;
    }
    let unit = unit.strip_suffix('s').unwrap_or(unit);
    let (ms_per, limit) = match unit {
        "second" => (1000.0, 4.6427e14),
        "minute" => (60_000.0, 7.7379e12),
        "hour" => (3_600_000.0, 1.2897e11),
        "day" => (86_400_000.0, 5_373_485.0),
        "month" => (2_592_000_000.0, 176_546.0),
        "year" => (31_536_000_000.0, 14_713.0),
        _ => return false,
    };
    if r <= -limit || r >= limit {
        return false;
    }
    p.raw = None;
    match unit {
        "month" => {
            p.compute_all();
            p.m += r as i64;
            let x = if p.m > 0 { (p.m - 1) / 12 } else { (p.m - 12) / 12 };
            p.y += x;
            p.m -= x * 12;
            p.valid_jd = false;
            r -= r.trunc();
        }
        "year" => {
            p.compute_all();
            p.y += r as i64;
            p.valid_jd = false;
            r -= r.trunc();
        }
        _ => {}
    }
    p.compute_jd();
    let rounder = if r < 0.0 { -0.5 } else { 0.5 };
    let jd = p.jd + (r * ms_per + rounder) as i64;
    p.set_jd(jd);
    true
}

/// The time the arguments name: the first is the time value, the rest modifiers.
fn resolve(args: &[Value], ctx: &Ctx) -> Option<DateTime> {
    let mut p = match args.first() {
        Some(v) => time_value(v, ctx)?,
        None => {
            let mut p = DateTime::default();
            p.set_jd(ctx.now().div_euclid(1000) + UNIX_EPOCH_JD);
            p
        }
    };
    for (i, m) in args.iter().skip(1).enumerate() {
        let Value::Text(text) = m else { return None };
        if !modify(&mut p, text, i == 0) {
            return None;
        }
    }
    p.compute_jd();
    p.in_range().then_some(p)
}

fn date_text(p: &mut DateTime) -> String {
    p.compute_ymd();
    if p.y < 0 {
        format!("-{:04}-{:02}-{:02}", -p.y, p.m, p.d)
    } else {
        format!("{:04}-{:02}-{:02}", p.y, p.m, p.d)
    }
}

fn time_text(p: &mut DateTime) -> String {
    p.compute_hms();
    if p.subsec {
        format!("{:02}:{:02}:{:06.3}", p.h, p.min, p.s)
    } else {
        format!("{:02}:{:02}:{:02}", p.h, p.min, p.s as i64)
    }
}

/// Runs a date function over its arguments (strftime's format first).
pub fn call(f: DateFunc, args: &[Value], ctx: &Ctx) -> Result<Value> {
    let (format, rest) = match f {
        DateFunc::Strftime => match args.split_first() {
            Some((Value::Null, _)) | None => return Ok(Value::Null),
            Some((fmt, rest)) => (Some(fmt.to_string()), rest),
        },
        _ => (None, args),
    };
    if f == DateFunc::TimeDiff {
        return Ok(timediff(args, ctx));
    }
    let Some(mut p) = resolve(rest, ctx) else { return Ok(Value::Null) };
    Ok(match f {
        DateFunc::Date => Value::text(&date_text(&mut p)),
        DateFunc::Time => Value::text(&time_text(&mut p)),
        DateFunc::DateTime => Value::text(&format!("{} {}", date_text(&mut p), time_text(&mut p))),
        DateFunc::JulianDay => Value::Real(p.jd as f64 / DAY_MS as f64),
        DateFunc::UnixEpoch if p.subsec => Value::Real((p.jd - UNIX_EPOCH_JD) as f64 / 1000.0),
        DateFunc::UnixEpoch => Value::Integer((p.jd - UNIX_EPOCH_JD).div_euclid(1000)),
        DateFunc::Strftime => match strftime(&format.unwrap_or_default(), &mut p)? {
            Some(s) => Value::text(&s),
            None => Value::Null,
        },
        DateFunc::TimeDiff => Value::Null,
    })
}

/// Day of the year, 0-based.
fn day_of_year(p: &DateTime) -> i64 {
    let mut jan1 = DateTime { y: p.y, m: 1, d: 1, valid_ymd: true, ..DateTime::default() };
    jan1.compute_jd();
    let mut day = DateTime { y: p.y, m: p.m, d: p.d, valid_ymd: true, ..DateTime::default() };
    day.compute_jd();
    (day.jd - jan1.jd) / DAY_MS
}

/// Day of the week, 0 = Sunday.
fn weekday(p: &DateTime) -> i64 {
    ((p.jd + 129_600_000) / DAY_MS) % 7
}

/// The ISO 8601 year and week of a date.
fn iso_week(p: &DateTime) -> (i64, i64) {
    // The Thursday of the date's week decides its year.
    let wd = (weekday(p) + 6) % 7; // Monday = 0
    let mut thursday = DateTime::default();
    thursday.set_jd(p.jd - wd * DAY_MS + 3 * DAY_MS);
    thursday.compute_ymd();
    let week = day_of_year(&thursday) / 7 + 1;
    (thursday.y, week)
}

/// `strftime`'s format; `Ok(None)` for an unknown code (SQLite gives NULL), an error for
/// a `%` that ends the format.
fn strftime(format: &str, p: &mut DateTime) -> Result<Option<String>> {
    p.compute_all();
    let mut out = String::new();
    let mut chars = format.chars();
    while let Some(c) = chars.next() {
        if c != '%' {
            out.push(c);
            continue;
        }
        let Some(code) = chars.next() else { return Ok(None) };
        let h12 = if p.h % 12 == 0 { 12 } else { p.h % 12 };
        match code {
            'd' => out.push_str(&format!("{:02}", p.d)),
            'e' => out.push_str(&format!("{:2}", p.d)),
            'f' => {
                let s = (p.s * 1000.0).round() / 1000.0;
                out.push_str(&format!("{:06.3}", s.min(59.999)))
            }
            'F' => out.push_str(&date_text(p)),
            'G' => out.push_str(&format!("{:04}", iso_week(p).0)),
            'g' => out.push_str(&format!("{:02}", iso_week(p).0 % 100)),
            'H' => out.push_str(&format!("{:02}", p.h)),
            'I' => out.push_str(&format!("{h12:02}")),
            'j' => out.push_str(&format!("{:03}", day_of_year(p) + 1)),
            'J' => out.push_str(&super::printf::general(p.jd as f64 / DAY_MS as f64, 16)),
            'k' => out.push_str(&format!("{:2}", p.h)),
            'l' => out.push_str(&format!("{h12:2}")),
            'm' => out.push_str(&format!("{:02}", p.m)),
            'M' => out.push_str(&format!("{:02}", p.min)),
            'p' => out.push_str(if p.h >= 12 { "PM" } else { "AM" }),
            'P' => out.push_str(if p.h >= 12 { "pm" } else { "am" }),
            'R' => out.push_str(&format!("{:02}:{:02}", p.h, p.min)),
            's' => {
                if p.subsec {
                    out.push_str(&format!("{:.3}", (p.jd - UNIX_EPOCH_JD) as f64 / 1000.0))
                } else {
                    out.push_str(&(p.jd - UNIX_EPOCH_JD).div_euclid(1000).to_string())
                }
            }
            'S' => out.push_str(&format!("{:02}", p.s as i64)),
            'T' => out.push_str(&format!("{:02}:{:02}:{:02}", p.h, p.min, p.s as i64)),
            'u' => out.push_str(&(if weekday(p) == 0 { 7 } else { weekday(p) }).to_string()),
            'w' => out.push_str(&weekday(p).to_string()),
            'U' => out.push_str(&format!("{:02}", (day_of_year(p) + 7 - weekday(p)) / 7)),
            'W' => out.push_str(&format!("{:02}", (day_of_year(p) + 7 - (weekday(p) + 6) % 7) / 7)),
            'V' => out.push_str(&format!("{:02}", iso_week(p).1)),
            'Y' => out.push_str(&format!("{:04}", p.y)),
            '%' => out.push('%'),
            other => {
                return Err(Error::invalid(format!("strftime: unknown format code %{other}")));
            }
        }
    }
    Ok(Some(out))
}

/// `timediff(a, b)`: how far `a` is after `b`, as `±YYYY-MM-DD HH:MM:SS.SSS`.
fn timediff(args: &[Value], ctx: &Ctx) -> Value {
    let (Some(mut d1), Some(mut d2)) = (resolve(&args[..1], ctx), resolve(&args[1..2], ctx)) else {
        return Value::Null;
    };
    d1.compute_all();
    d2.compute_all();
    let recompute = |d: &mut DateTime| {
        d.valid_jd = false;
        d.tz = 0;
        d.compute_jd();
    };
    // Whole years, then months, are counted from the later time back to the earlier
    // (`dir` is 1 when the first argument is the later one), then what is left is a
    // span of days and time.
    let (sign, dir) = if d1.jd >= d2.jd { ('+', 1) } else { ('-', -1) };
    let mut y = dir * (d1.y - d2.y);
    if y != 0 {
        d2.y = d1.y;
        recompute(&mut d2);
    }
    let mut m = dir * (d1.m - d2.m);
    if m < 0 {
        y -= 1;
        m += 12;
    }
    if m != 0 {
        d2.m = d1.m;
        recompute(&mut d2);
    }
    while dir * (d1.jd - d2.jd) < 0 {
        m -= 1;
        if m < 0 {
            m = 11;
            y -= 1;
        }
        d2.m -= dir;
        if d2.m < 1 {
            d2.m = 12;
            d2.y -= 1;
        } else if d2.m > 12 {
            d2.m = 1;
            d2.y += 1;
        }
        recompute(&mut d2);
    }
    d1.jd = dir * (d1.jd - d2.jd);
    d1.jd += 148_699_540_800_000;
    d1.clear_ymd_hms();
    d1.compute_all();
    Value::text(&format!("{sign}{y:04}-{m:02}-{:02} {:02}:{:02}:{:06.3}", d1.d - 1, d1.h, d1.min, d1.s))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(f: DateFunc, args: &[&str]) -> Value {
        let now = std::cell::OnceCell::new();
        now.set(0).unwrap();
        let ctx = Ctx::for_constants(&now);
        let args: Vec<Value> = args.iter().map(|a| Value::text(a)).collect();
        call(f, &args, &ctx).unwrap()
    }

    #[test]
    fn dates_follow_sqlite() {
        assert_eq!(run(DateFunc::Date, &["2024-01-31", "+1 month"]), Value::text("2024-03-02"));
        assert_eq!(
            run(DateFunc::DateTime, &["2024-03-15 10:20:30", "start of month"]),
            Value::text("2024-03-01 00:00:00")
        );
        assert_eq!(run(DateFunc::Date, &["2024-03-15", "weekday 0"]), Value::text("2024-03-17"));
        assert_eq!(run(DateFunc::JulianDay, &["2000-01-01 12:00:00"]), Value::Real(2_451_545.0));
        assert_eq!(run(DateFunc::DateTime, &["now"]), Value::text("1970-01-01 00:00:00"));
        assert_eq!(run(DateFunc::Date, &["2024-02-30x"]), Value::Null);
        assert_eq!(run(DateFunc::Date, &["2024-01-01", "+1 fortnight"]), Value::Null);
        assert_eq!(run(DateFunc::Strftime, &["%Y-%m %j %w %W %V", "2024-12-30"]), Value::text("2024-12 365 1 53 01"));
        assert_eq!(
            run(DateFunc::TimeDiff, &["2024-03-01", "2023-01-15 12:00:00"]),
            Value::text("+0001-01-14 12:00:00.000")
        );
    }
}
