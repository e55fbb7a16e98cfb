//! Timestamps: ISO-8601 text to microseconds since the Unix epoch (UTC) and back.
//!
//! Accepted: `YYYY-MM-DD`, then optionally `T` or a space, `HH:MM`, `:SS`, a fraction of
//! up to nine digits, and `Z` or an offset `±HH:MM`. Printed as `YYYY-MM-DD HH:MM:SS`
//! with a fraction only when there is one.

const MICROS_PER_SEC: i64 = 1_000_000;
const SECS_PER_DAY: i64 = 86_400;

/// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's algorithm).
fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

fn civil_from_days(z: i64) -> (i64, i64, i64) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    (if m <= 2 { yoe + era * 400 + 1 } else { yoe + era * 400 }, m, d)
}

fn days_in_month(y: i64, m: i64) -> i64 {
    match m {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        _ if (y % 4 == 0 && y % 100 != 0) || y % 400 == 0 => 29,
        _ => 28,
    }
}

struct Cursor<'a> {
    s: &'a [u8],
    pos: usize,
}

impl Cursor<'_> {
    fn digits(&mut self, n: usize) -> Option<i64> {
        let part = self.s.get(self.pos..self.pos + n)?;
        if !part.iter().all(u8::is_ascii_digit) {
            return None;
        }
        self.pos += n;
        Some(part.iter().fold(0, |acc, d| acc * 10 + (d - b'0') as i64))
    }

    fn eat(&mut self, c: u8) -> bool {
        if self.s.get(self.pos) == Some(&c) {
            self.pos += 1;
            true
        } else {
            false
        }
    }

    fn done(&self) -> bool {
        self.pos == self.s.len()
    }
}

/// Parses ISO-8601 text; `None` when it is not a valid timestamp.
pub fn parse_timestamp(text: &str) -> Option<i64> {
    let mut c = Cursor { s: text.trim().as_bytes(), pos: 0 };
    let y = c.digits(4)?;
    c.eat(b'-').then_some(())?;
    let m = c.digits(2)?;
    c.eat(b'-').then_some(())?;
    let d = c.digits(2)?;
    if !(1..=12).contains(&m) || d < 1 || d > days_in_month(y, m) {
        return None;
    }
    let mut micros = days_from_civil(y, m, d) * SECS_PER_DAY * MICROS_PER_SEC;
    if c.done() {
        return Some(micros);
    }
    if !(c.eat(b'T') || c.eat(b't') || c.eat(b' ')) {
        return None;
    }
    let hh = c.digits(2)?;
    c.eat(b':').then_some(())?;
    let mm = c.digits(2)?;
    let ss = if c.eat(b':') { c.digits(2)? } else { 0 };
    if hh > 23 || mm > 59 || ss > 60 {
        return None;
    }
    micros += (hh * 3600 + mm * 60 + ss) * MICROS_PER_SEC;
    if c.eat(b'.') {
        let start = c.pos;
        let mut frac = 0i64;
        while let Some(d) = c.digits(1) {
            if c.pos - start <= 6 {
                frac = frac * 10 + d;
            }
        }
        let n = c.pos - start;
        if n == 0 {
            return None;
        }
        for _ in n..6 {
            frac *= 10;
        }
        micros += frac;
    }
    if c.eat(b'Z') || c.eat(b'z') {
        return c.done().then_some(micros);
    }
    let sign = if c.eat(b'+') {
        -1
    } else if c.eat(b'-') {
        1
    } else {
        return c.done().then_some(micros);
    };
    let oh = c.digits(2)?;
    c.eat(b':');
    let om = c.digits(2)?;
    micros += sign * (oh * 3600 + om * 60) * MICROS_PER_SEC;
    c.done().then_some(micros)
}

/// Formats microseconds since the epoch as `YYYY-MM-DD HH:MM:SS[.fff[fff]]`.
pub fn format_timestamp(micros: i64) -> String {
    let secs = micros.div_euclid(MICROS_PER_SEC);
    let frac = micros.rem_euclid(MICROS_PER_SEC);
    let days = secs.div_euclid(SECS_PER_DAY);
    let tod = secs.rem_euclid(SECS_PER_DAY);
    let (y, m, d) = civil_from_days(days);
    let base = format!("{y:04}-{m:02}-{d:02} {:02}:{:02}:{:02}", tod / 3600, (tod / 60) % 60, tod % 60);
    if frac == 0 {
        base
    } else if frac % 1000 == 0 {
        format!("{base}.{:03}", frac / 1000)
    } else {
        format!("{base}.{frac:06}")
    }
}

/// The current time in microseconds since the epoch.
pub fn now_micros() -> i64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_micros() as i64).unwrap_or(0)
}

/// Where the time comes from: `now()`, message times and row expiry read it, so tests
/// can move time without sleeping.
pub trait Clock: Send + Sync + std::fmt::Debug {
    /// Microseconds since the epoch.
    fn now(&self) -> i64;
}

/// The system's clock.
#[derive(Debug, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> i64 {
        now_micros()
    }
}

/// A clock that moves only when told to.
#[derive(Debug)]
pub struct ManualClock(std::sync::atomic::AtomicI64);

impl ManualClock {
    pub fn new(micros: i64) -> ManualClock {
        ManualClock(std::sync::atomic::AtomicI64::new(micros))
    }

    pub fn advance(&self, micros: i64) {
        self.0.fetch_add(micros, std::sync::atomic::Ordering::SeqCst);
    }

    pub fn set(&self, micros: i64) {
        self.0.store(micros, std::sync::atomic::Ordering::SeqCst);
    }
}

impl Clock for ManualClock {
    fn now(&self) -> i64 {
        self.0.load(std::sync::atomic::Ordering::SeqCst)
    }
}

const UNITS: [(&[&str], i64); 6] = [
    (&["ms", "msec", "millisecond", "milliseconds"], 1_000),
    (&["s", "sec", "secs", "second", "seconds"], MICROS_PER_SEC),
    (&["m", "min", "mins", "minute", "minutes"], 60 * MICROS_PER_SEC),
    (&["h", "hr", "hrs", "hour", "hours"], 3_600 * MICROS_PER_SEC),
    (&["d", "day", "days"], SECS_PER_DAY * MICROS_PER_SEC),
    (&["w", "week", "weeks"], 7 * SECS_PER_DAY * MICROS_PER_SEC),
];

/// A duration such as `30 seconds`, `10 minutes`, `1 hour 30 minutes`, `1.5h` or a bare
/// number of seconds, in microseconds; `None` when it is not one or is negative.
pub fn parse_interval(text: &str) -> Option<i64> {
    let mut rest = text.trim();
    if rest.is_empty() {
        return None;
    }
    let mut total: f64 = 0.0;
    while !rest.is_empty() {
        let num_len = rest.find(|c: char| !(c.is_ascii_digit() || c == '.')).unwrap_or(rest.len());
        let amount: f64 = rest[..num_len].parse().ok()?;
        rest = rest[num_len..].trim_start();
        let unit_len = rest.find(|c: char| !c.is_ascii_alphabetic()).unwrap_or(rest.len());
        let unit = rest[..unit_len].to_ascii_lowercase();
        rest = rest[unit_len..].trim_start().trim_start_matches(',').trim_start();
        let scale = if unit.is_empty() {
            MICROS_PER_SEC
        } else {
            UNITS.iter().find(|(names, _)| names.contains(&unit.as_str()))?.1
        };
        total += amount * scale as f64;
    }
    (total.is_finite() && total >= 0.0 && total < i64::MAX as f64 / 2.0).then_some(total.round() as i64)
}

/// A duration in the largest unit that states it exactly: `10 minutes`, `90 seconds`.
pub fn format_interval(micros: i64) -> String {
    let names = ["milliseconds", "seconds", "minutes", "hours", "days", "weeks"];
    for (i, (_, scale)) in UNITS.iter().enumerate().rev() {
        if micros != 0 && micros % scale == 0 {
            let n = micros / scale;
            let name = names[i];
            return format!("{n} {}", if n == 1 { &name[..name.len() - 1] } else { name });
        }
    }
    format!("{} seconds", micros as f64 / MICROS_PER_SEC as f64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn intervals_parse_and_print() {
        assert_eq!(parse_interval("30 seconds"), Some(30_000_000));
        assert_eq!(parse_interval("10 minutes"), Some(600_000_000));
        assert_eq!(parse_interval("1 hour 30 minutes"), Some(5_400_000_000));
        assert_eq!(parse_interval("1.5h"), Some(5_400_000_000));
        assert_eq!(parse_interval("250ms"), Some(250_000));
        assert_eq!(parse_interval("45"), Some(45_000_000));
        assert_eq!(parse_interval("2 fortnights"), None);
        assert_eq!(parse_interval("-5 seconds"), None);
        assert_eq!(parse_interval(""), None);
        assert_eq!(format_interval(600_000_000), "10 minutes");
        assert_eq!(format_interval(90_000_000), "90 seconds");
        assert_eq!(format_interval(3_600_000_000), "1 hour");
        assert_eq!(format_interval(1_500), "0.0015 seconds");
        for s in ["10 minutes", "90 seconds", "1 hour", "250 milliseconds", "3 days"] {
            assert_eq!(format_interval(parse_interval(s).unwrap()), s);
        }
    }

    #[test]
    fn round_trips() {
        for s in ["1970-01-01 00:00:00", "2026-11-23 23:11:56", "2000-02-29 12:00:00.250", "1969-12-31 23:59:59.000001"]
        {
            let t = parse_timestamp(s).expect(s);
            assert_eq!(format_timestamp(t), s);
        }
    }

    #[test]
    fn accepts_iso_forms_and_rejects_nonsense() {
        assert_eq!(parse_timestamp("2026-01-02"), parse_timestamp("2026-01-02 00:00"));
        assert_eq!(parse_timestamp("2026-01-02T03:04:05Z"), parse_timestamp("2026-01-02 05:04:05+02:00"));
        assert_eq!(parse_timestamp("2026-02-30"), None);
        assert_eq!(parse_timestamp("hello"), None);
        assert_eq!(parse_timestamp("2026-01-01 25:00"), None);
    }
}
