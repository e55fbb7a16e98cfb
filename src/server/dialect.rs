//! What PostgreSQL clients send without being asked and AmberDB's SQL does not hold:
//! `SET`, `SHOW` and `RESET` of session settings. The settings a client reads back
//! (`client_encoding`, `DateStyle`, `server_version`…) answer as PostgreSQL's would;
//! `statement_timeout` is honoured; the rest are kept and shown.

use std::collections::BTreeMap;

/// A statement the server answers itself.
#[derive(Clone, Debug, PartialEq)]
pub enum Command {
    /// `SET [SESSION | LOCAL] name {TO | =} value`, `SET TIME ZONE value`.
    Set { name: String, value: String },
    /// `SHOW name`, `SHOW ALL`.
    Show(String),
    /// `RESET name`, `RESET ALL`.
    Reset(String),
    /// `DISCARD ALL` and the like: nothing to discard but settings.
    Discard,
    /// `DEALLOCATE [PREPARE] name | ALL` (`None`: all) of the extended protocol's
    /// prepared statements.
    Deallocate(Option<String>),
}

/// Reads a statement the server answers itself; `None` for any other.
pub fn parse(sql: &str) -> Option<Command> {
    let text = sql.trim().trim_end_matches(';').trim();
    let (first, rest) = split_word(text);
    match first.to_ascii_lowercase().as_str() {
        "set" => {
            let (mut word, mut rest) = split_word(rest);
            if word.eq_ignore_ascii_case("session") || word.eq_ignore_ascii_case("local") {
                (word, rest) = split_word(rest);
            }
            // SET SESSION CHARACTERISTICS / SET TRANSACTION … are not settings.
            if word.eq_ignore_ascii_case("transaction") || word.eq_ignore_ascii_case("characteristics") {
                return Some(Command::Set { name: "transaction".into(), value: rest.to_string() });
            }
            if word.eq_ignore_ascii_case("time") {
                let (zone, value) = split_word(rest);
                if zone.eq_ignore_ascii_case("zone") {
                    return Some(Command::Set { name: "timezone".into(), value: unquote(value) });
                }
            }
            let (name, value) = match word.split_once('=') {
                Some((n, v)) => (n, format!("{v}{rest}")),
                None => {
                    let rest = rest.trim_start();
                    let value = rest
                        .strip_prefix('=')
                        .or_else(|| {
                            let (to, after) = split_word(rest);
                            to.eq_ignore_ascii_case("to").then_some(after)
                        })
                        .unwrap_or(rest);
                    (word, value.to_string())
                }
            };
            if name.is_empty() {
                return None;
            }
            Some(Command::Set { name: name.to_ascii_lowercase(), value: unquote(value.trim()) })
        }
        "show" if !rest.is_empty() => Some(Command::Show(rest.trim().to_ascii_lowercase())),
        "reset" if !rest.is_empty() => Some(Command::Reset(rest.trim().to_ascii_lowercase())),
        "discard" => Some(Command::Discard),
        "deallocate" => {
            let (mut name, rest) = split_word(rest);
            if name.eq_ignore_ascii_case("prepare") {
                name = split_word(rest).0;
            }
            match name {
                "" => None,
                n if n.eq_ignore_ascii_case("all") => Some(Command::Deallocate(None)),
                n => Some(Command::Deallocate(Some(n.trim_matches('"').to_string()))),
            }
        }
        _ => None,
    }
}

fn split_word(s: &str) -> (&str, &str) {
    let s = s.trim_start();
    let end = s.find(|c: char| c.is_whitespace()).unwrap_or(s.len());
    (&s[..end], &s[end..])
}

/// A setting's value as written: quotes taken off a single quoted value; a list kept.
fn unquote(v: &str) -> String {
    let v = v.trim();
    match v.strip_prefix('\'').and_then(|v| v.strip_suffix('\'')) {
        Some(inner) if !inner.contains('\'') => inner.to_string(),
        _ => v.to_string(),
    }
}

/// The session's settings, with PostgreSQL's defaults for those clients read.
#[derive(Clone, Debug)]
pub struct Settings {
    values: BTreeMap<String, String>,
}

/// PostgreSQL's version as the server reports it: drivers read the number, people the
/// rest.
pub fn server_version() -> String {
    format!("15.0 (AmberDB {})", env!("CARGO_PKG_VERSION"))
}

fn defaults() -> BTreeMap<String, String> {
    let version = server_version();
    [
        ("application_name", ""),
        ("client_encoding", "UTF8"),
        ("datestyle", "ISO, MDY"),
        ("default_transaction_isolation", "repeatable read"),
        ("extra_float_digits", "1"),
        ("integer_datetimes", "on"),
        ("intervalstyle", "postgres"),
        ("is_superuser", "on"),
        ("max_identifier_length", "63"),
        ("search_path", "\"$user\", public"),
        ("server_encoding", "UTF8"),
        ("server_version", version.as_str()),
        ("server_version_num", "150000"),
        ("standard_conforming_strings", "on"),
        ("statement_timeout", "0"),
        ("timezone", "UTC"),
        ("transaction_isolation", "repeatable read"),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v.to_string()))
    .collect()
}

impl Default for Settings {
    fn default() -> Settings {
        Settings { values: defaults() }
    }
}

impl Settings {
    pub fn get(&self, name: &str) -> Option<&str> {
        self.values.get(&name.to_ascii_lowercase()).map(String::as_str)
    }

    pub fn all(&self) -> impl Iterator<Item = (&str, &str)> {
        self.values.iter().map(|(k, v)| (k.as_str(), v.as_str()))
    }

    /// Sets a setting, checking those whose value the server acts on.
    pub fn set(&mut self, name: &str, value: &str) -> Result<(), String> {
        let name = name.to_ascii_lowercase();
        let value = if value.eq_ignore_ascii_case("default") {
            defaults().remove(&name).unwrap_or_default()
        } else {
            value.to_string()
        };
        match name.as_str() {
            "statement_timeout" => {
                timeout_millis(&value).ok_or_else(|| format!("invalid value for parameter \"{name}\": \"{value}\""))?;
            }
            "client_encoding" if !matches!(value.to_ascii_uppercase().as_str(), "UTF8" | "UTF-8" | "UNICODE") => {
                return Err(format!("AmberDB speaks only UTF8, not client_encoding {value}"));
            }
            "server_version" | "server_version_num" | "server_encoding" | "integer_datetimes" => {
                return Err(format!("parameter \"{name}\" cannot be changed"));
            }
            _ => {}
        }
        self.values.insert(name, value);
        Ok(())
    }

    pub fn reset(&mut self, name: &str) {
        let name = name.to_ascii_lowercase();
        if name == "all" {
            self.values = defaults();
        } else {
            match defaults().remove(&name) {
                Some(v) => {
                    self.values.insert(name, v);
                }
                None => {
                    self.values.remove(&name);
                }
            }
        }
    }

    /// `statement_timeout` in milliseconds; 0 for none.
    pub fn statement_timeout(&self) -> u64 {
        self.get("statement_timeout").and_then(timeout_millis).unwrap_or(0)
    }
}

/// A timeout as PostgreSQL reads one: a number of milliseconds, or with a unit.
fn timeout_millis(v: &str) -> Option<u64> {
    let v = v.trim().trim_matches('\'');
    let digits = v.find(|c: char| !c.is_ascii_digit()).unwrap_or(v.len());
    let n: u64 = v[..digits].parse().ok()?;
    let factor = match v[digits..].trim().to_ascii_lowercase().as_str() {
        "" | "ms" => 1,
        "s" => 1000,
        "min" => 60_000,
        "h" => 3_600_000,
        "d" => 86_400_000,
        _ => return None,
    };
    n.checked_mul(factor)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn set_show_and_reset_read_as_postgres_writes_them() {
        let set = |n: &str, v: &str| Some(Command::Set { name: n.into(), value: v.into() });
        assert_eq!(parse("SET extra_float_digits = 3"), set("extra_float_digits", "3"));
        assert_eq!(parse("set search_path to 'public'"), set("search_path", "public"));
        assert_eq!(parse("SET SESSION statement_timeout=100;"), set("statement_timeout", "100"));
        assert_eq!(parse("SET TIME ZONE 'UTC'"), set("timezone", "UTC"));
        assert_eq!(parse("SET application_name = 'a b'"), set("application_name", "a b"));
        assert_eq!(parse("SHOW DateStyle"), Some(Command::Show("datestyle".into())));
        assert_eq!(parse("RESET ALL"), Some(Command::Reset("all".into())));
        assert_eq!(parse("SELECT 1"), None);
        assert_eq!(parse("SHOW"), None);
        assert_eq!(parse("DEALLOCATE ALL"), Some(Command::Deallocate(None)));
        assert_eq!(parse("deallocate prepare s1"), Some(Command::Deallocate(Some("s1".into()))));
    }

    #[test]
    fn statement_timeout_is_checked_and_read_in_milliseconds() {
        let mut s = Settings::default();
        s.set("statement_timeout", "2s").unwrap();
        assert_eq!(s.statement_timeout(), 2000);
        assert!(s.set("statement_timeout", "soon").is_err());
        assert!(s.set("client_encoding", "LATIN1").is_err());
        s.reset("statement_timeout");
        assert_eq!(s.statement_timeout(), 0);
    }
}
