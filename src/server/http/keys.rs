//! API keys and rate limits.
//!
//! The keys file holds one key per line: a name, a role (`read`, `write`, `admin`),
//! the SHA-256 of the key (never the key itself), and optionally the key's own rate
//! limit:
//!
//! ```text
//! # name  role   hash                 limits
//! web     read   sha256:9f86d08…      rate=500/s burst=1000
//! ingest  write  sha256:60303ae…
//! ```
//!
//! `amberdb serve --keys FILE --add-key NAME ROLE` makes a random key, writes its hash,
//! and prints the key once. A client sends it as `Authorization: Bearer KEY` or
//! `X-API-Key: KEY`.

use std::collections::HashMap;
use std::path::Path;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Instant;

use base64::Engine;
use ring::digest;
use ring::rand::{SecureRandom, SystemRandom};

use crate::Access;

/// A rate: `permits` per second, with bursts of up to `burst`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Rate {
    pub per_second: f64,
    pub burst: f64,
}

/// Parses `100/s`, `6000/m`, `50000/h` or a bare number (per second).
pub fn parse_rate(text: &str) -> Result<f64, String> {
    let (n, unit) = text.split_once('/').unwrap_or((text, "s"));
    let n: f64 = n.trim().parse().map_err(|_| format!("{text:?} is not a rate such as 100/s"))?;
    let seconds = match unit.trim() {
        "s" | "sec" | "second" => 1.0,
        "m" | "min" | "minute" => 60.0,
        "h" | "hour" => 3600.0,
        other => return Err(format!("{other:?} is not a unit of time: use s, m or h")),
    };
    if !(n > 0.0 && n.is_finite()) {
        return Err(format!("{text:?}: a rate must be above zero"));
    }
    Ok(n / seconds)
}

/// One key's name, role and own limits.
#[derive(Clone, Debug, PartialEq)]
pub struct Key {
    pub name: String,
    pub access: Access,
    pub rate: Option<f64>,
    pub burst: Option<f64>,
}

/// The keys, by the hash of each.
#[derive(Debug, Default)]
pub struct Keys {
    by_hash: HashMap<[u8; 32], Arc<Key>>,
}

fn hash(key: &str) -> [u8; 32] {
    let mut out = [0u8; 32];
    out.copy_from_slice(digest::digest(&digest::SHA256, key.as_bytes()).as_ref());
    out
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn unhex(text: &str) -> Option<[u8; 32]> {
    if text.len() != 64 || !text.is_ascii() {
        return None;
    }
    let mut out = [0u8; 32];
    for (i, byte) in out.iter_mut().enumerate() {
        *byte = u8::from_str_radix(&text[2 * i..2 * i + 2], 16).ok()?;
    }
    Some(out)
}

pub fn parse_role(text: &str) -> Result<Access, String> {
    match text.to_ascii_lowercase().as_str() {
        "read" => Ok(Access::Read),
        "write" => Ok(Access::Write),
        "admin" => Ok(Access::Admin),
        _ => Err(format!("{text:?} is not a role: use read, write or admin")),
    }
}

fn role_name(access: Access) -> &'static str {
    match access {
        Access::Read => "read",
        Access::Write => "write",
        Access::Admin => "admin",
    }
}

impl Keys {
    /// Reads a keys file; an error names the line.
    pub fn load(path: &Path) -> Result<Keys, String> {
        let text = std::fs::read_to_string(path).map_err(|e| format!("cannot read {}: {e}", path.display()))?;
        Keys::parse(&text).map_err(|e| format!("{}: {e}", path.display()))
    }

    pub fn parse(text: &str) -> Result<Keys, String> {
        let mut keys = Keys::default();
        for (n, line) in text.lines().enumerate() {
            let line = line.split('#').next().unwrap_or("").trim();
            if line.is_empty() {
                continue;
            }
            let fail = |why: String| format!("line {}: {why}", n + 1);
            let words: Vec<&str> = line.split_whitespace().collect();
            let [name, role, digest, limits @ ..] = words.as_slice() else {
                return Err(fail("expected a name, a role and sha256:HASH".into()));
            };
            let access = parse_role(role).map_err(fail)?;
            let hashed = digest
                .strip_prefix("sha256:")
                .and_then(unhex)
                .ok_or_else(|| fail(format!("{digest:?} is not sha256: and 64 hex digits")))?;
            let mut key = Key { name: name.to_string(), access, rate: None, burst: None };
            for limit in limits {
                match limit.split_once('=') {
                    Some(("rate", r)) => key.rate = Some(parse_rate(r).map_err(fail)?),
                    Some(("burst", b)) => {
                        key.burst = Some(
                            b.parse::<f64>()
                                .ok()
                                .filter(|b| *b >= 1.0)
                                .ok_or_else(|| fail(format!("burst={b} is not a number of at least 1")))?,
                        )
                    }
                    _ => return Err(fail(format!("{limit:?} is not rate=N/s or burst=N"))),
                }
            }
            if keys.by_hash.values().any(|k| k.name == key.name) {
                return Err(fail(format!("the name {name} is taken by an earlier line")));
            }
            keys.by_hash.insert(hashed, Arc::new(key));
        }
        Ok(keys)
    }

    pub fn len(&self) -> usize {
        self.by_hash.len()
    }

    pub fn is_empty(&self) -> bool {
        self.by_hash.is_empty()
    }

    /// The key a client sent, if it is one of ours.
    pub fn find(&self, key: &str) -> Option<Arc<Key>> {
        self.by_hash.get(&hash(key)).cloned()
    }
}

/// Makes a new key for `name` with `role`, appends its hash to the keys file (made
/// with mode 0600 if new; an existing line for the name is replaced) and returns the
/// key, which is shown once and kept nowhere.
pub fn add_key(path: &Path, name: &str, role: &str) -> Result<String, String> {
    let access = parse_role(role)?;
    if name.is_empty() || !name.chars().all(|c| c.is_ascii_alphanumeric() || "-_.@".contains(c)) {
        return Err(format!("{name:?} is not a key name: use letters, digits and - _ . @"));
    }
    let existing = match std::fs::read_to_string(path) {
        Ok(text) => text,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => String::new(),
        Err(e) => return Err(format!("cannot read {}: {e}", path.display())),
    };
    Keys::parse(&existing).map_err(|e| format!("{}: {e}", path.display()))?;
    let mut secret = [0u8; 32];
    SystemRandom::new().fill(&mut secret).map_err(|_| "the system gave no random bytes".to_string())?;
    let key = format!("amb_{}", base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(secret));
    let mut lines: Vec<String> = existing
        .lines()
        .filter(|l| l.split('#').next().unwrap_or("").split_whitespace().next() != Some(name))
        .map(str::to_string)
        .collect();
    lines.push(format!("{name} {} sha256:{}", role_name(access), hex(&hash(&key))));
    crate::server::auth::write_private(path, &(lines.join("\n") + "\n"))?;
    Ok(key)
}

/// Token buckets, one per key (or per client address without keys).
#[derive(Debug)]
pub struct Limiter {
    default: Option<Rate>,
    buckets: Mutex<HashMap<String, (f64, Instant)>>,
}

impl Limiter {
    pub fn new(default: Option<Rate>) -> Limiter {
        Limiter { default, buckets: Mutex::new(HashMap::new()) }
    }

    /// Takes one request's token from `who`'s bucket; `Err(seconds)` to wait when it
    /// is empty. `own` is the key's own limit, which overrides the default.
    pub fn take(&self, who: &str, own: Option<&Key>) -> Result<(), u64> {
        let rate = match own {
            Some(Key { rate: Some(r), burst, .. }) => Rate { per_second: *r, burst: burst.unwrap_or(r.max(1.0)) },
            Some(Key { rate: None, burst: Some(b), .. }) if self.default.is_some() => {
                Rate { burst: *b, ..self.default.unwrap_or(Rate { per_second: 1.0, burst: 1.0 }) }
            }
            _ => match self.default {
                Some(r) => r,
                None => return Ok(()),
            },
        };
        let now = Instant::now();
        let mut buckets = self.buckets.lock().unwrap_or_else(PoisonError::into_inner);
        let (tokens, last) = buckets.entry(who.to_string()).or_insert((rate.burst, now));
        *tokens = (*tokens + now.duration_since(*last).as_secs_f64() * rate.per_second).min(rate.burst);
        *last = now;
        if *tokens >= 1.0 {
            *tokens -= 1.0;
            Ok(())
        } else {
            Err(((1.0 - *tokens) / rate.per_second).ceil().max(1.0) as u64)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rates_read_as_people_write_them() {
        assert_eq!(parse_rate("100/s"), Ok(100.0));
        assert_eq!(parse_rate("60/m"), Ok(1.0));
        assert_eq!(parse_rate("7"), Ok(7.0));
        assert!(parse_rate("0/s").is_err());
        assert!(parse_rate("5/week").is_err());
    }

    #[test]
    fn a_keys_file_names_its_bad_line() {
        let good = format!("# keys\nweb read sha256:{} rate=5/s burst=10\n", hex(&hash("k1")));
        let keys = Keys::parse(&good).unwrap();
        let k = keys.find("k1").unwrap();
        assert_eq!((k.name.as_str(), k.access, k.rate, k.burst), ("web", Access::Read, Some(5.0), Some(10.0)));
        assert!(keys.find("k2").is_none());
        let e = Keys::parse("\nweb reader sha256:00").unwrap_err();
        assert!(e.starts_with("line 2:"), "{e}");
        assert!(Keys::parse("web read plain").is_err());
    }

    #[test]
    fn added_keys_are_stored_hashed_and_found() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("keys");
        let k1 = add_key(&path, "web", "read").unwrap();
        let k2 = add_key(&path, "ops", "admin").unwrap();
        let text = std::fs::read_to_string(&path).unwrap();
        assert!(!text.contains(&k1) && !text.contains(&k2));
        let keys = Keys::load(&path).unwrap();
        assert_eq!(keys.find(&k1).unwrap().access, Access::Read);
        assert_eq!(keys.find(&k2).unwrap().access, Access::Admin);
        // A new key for the same name replaces the old one.
        let k3 = add_key(&path, "web", "write").unwrap();
        let keys = Keys::load(&path).unwrap();
        assert!(keys.find(&k1).is_none());
        assert_eq!(keys.find(&k3).unwrap().access, Access::Write);
        assert_eq!(keys.len(), 2);
    }

    #[test]
    fn a_bucket_refills_at_its_rate() {
        let limiter = Limiter::new(Some(Rate { per_second: 1.0, burst: 2.0 }));
        assert!(limiter.take("a", None).is_ok());
        assert!(limiter.take("a", None).is_ok());
        assert_eq!(limiter.take("a", None), Err(1));
        // Another client has its own bucket.
        assert!(limiter.take("b", None).is_ok());
        let unlimited = Limiter::new(None);
        assert!((0..1000).all(|_| unlimited.take("a", None).is_ok()));
    }
}
