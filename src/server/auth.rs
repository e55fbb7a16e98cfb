//! Who may connect: the users file (`--users FILE`) of names and SCRAM-SHA-256
//! verifiers, as PostgreSQL stores them, and the check of a client's password over
//! the protocol (SCRAM, so the password never crosses the wire and the file never
//! holds it).
//!
//! A line of the file is a name, whitespace, and a verifier in PostgreSQL's form
//! `SCRAM-SHA-256$<iterations>:<salt>$<StoredKey>:<ServerKey>` (base64); blank lines
//! and lines starting with `#` are skipped. `amberdb serve --add-user NAME` writes one.

use std::collections::HashMap;
use std::fmt;
use std::path::Path;

use async_trait::async_trait;
use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use pgwire::api::auth::sasl::scram::{gen_salted_password, ScramSecret};
use pgwire::api::auth::{AuthSource, LoginInfo, Password};
use pgwire::error::{PgWireError, PgWireResult};
use ring::rand::{SecureRandom, SystemRandom};

/// PBKDF2 rounds for new verifiers: PostgreSQL's default.
pub const ITERATIONS: usize = 4096;

/// One user's verifier.
#[derive(Clone, PartialEq, Eq)]
pub struct Verifier {
    salt: Vec<u8>,
    iterations: usize,
    stored_key: Vec<u8>,
    server_key: Vec<u8>,
}

impl fmt::Debug for Verifier {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Keys are secret enough not to print.
        f.debug_struct("Verifier").field("iterations", &self.iterations).finish_non_exhaustive()
    }
}

impl Verifier {
    /// A verifier for `password` with a fresh random salt.
    pub fn new(password: &str) -> Result<Verifier, String> {
        let mut salt = vec![0u8; 16];
        SystemRandom::new().fill(&mut salt).map_err(|_| "the system gave no random bytes for a salt".to_string())?;
        Ok(Verifier::with_salt(password, salt, ITERATIONS))
    }

    fn with_salt(password: &str, salt: Vec<u8>, iterations: usize) -> Verifier {
        let salted = gen_salted_password(password, &salt, iterations);
        match ScramSecret::verifier_from_salted_password(salt, salted, iterations) {
            ScramSecret::Verifier { salt, iterations, stored_key, server_key } => {
                Verifier { salt, iterations, stored_key, server_key }
            }
            // `verifier_from_salted_password` builds nothing else.
            ScramSecret::SaltedPassword { salt, .. } => {
                Verifier { salt, iterations, stored_key: Vec::new(), server_key: Vec::new() }
            }
        }
    }

    /// Parses PostgreSQL's text form.
    pub fn parse(text: &str) -> Result<Verifier, String> {
        let rest =
            text.strip_prefix("SCRAM-SHA-256$").ok_or_else(|| "a verifier starts with SCRAM-SHA-256$".to_string())?;
        let (head, keys) = rest
            .split_once('$')
            .ok_or_else(|| "a verifier is SCRAM-SHA-256$ITERATIONS:SALT$STOREDKEY:SERVERKEY".to_string())?;
        let (iterations, salt) =
            head.split_once(':').ok_or_else(|| "a verifier's first part is ITERATIONS:SALT".to_string())?;
        let (stored, server) =
            keys.split_once(':').ok_or_else(|| "a verifier's second part is STOREDKEY:SERVERKEY".to_string())?;
        let iterations: usize =
            iterations.parse().map_err(|_| format!("the iteration count {iterations:?} is not a number"))?;
        if iterations == 0 {
            return Err("the iteration count must be at least 1".into());
        }
        let decode = |what: &str, s: &str| STANDARD.decode(s).map_err(|e| format!("the {what} is not base64: {e}"));
        let stored_key = decode("stored key", stored)?;
        let server_key = decode("server key", server)?;
        if stored_key.len() != 32 || server_key.len() != 32 {
            return Err("SCRAM-SHA-256 keys are 32 bytes".into());
        }
        Ok(Verifier { salt: decode("salt", salt)?, iterations, stored_key, server_key })
    }

    fn secret(&self) -> ScramSecret {
        ScramSecret::Verifier {
            salt: self.salt.clone(),
            iterations: self.iterations,
            stored_key: self.stored_key.clone(),
            server_key: self.server_key.clone(),
        }
    }
}

impl fmt::Display for Verifier {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "SCRAM-SHA-256${}:{}${}:{}",
            self.iterations,
            STANDARD.encode(&self.salt),
            STANDARD.encode(&self.stored_key),
            STANDARD.encode(&self.server_key)
        )
    }
}

/// The users who may connect, by name.
pub struct Users {
    users: HashMap<String, Verifier>,
    /// Answers for names that are not users, so that a client learns no more from
    /// a wrong name than from a wrong password (PostgreSQL does the same).
    decoy: Verifier,
}

impl fmt::Debug for Users {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Users").field("names", &self.users.len()).finish_non_exhaustive()
    }
}

impl Users {
    /// Reads a users file; an error names the line that is wrong.
    pub fn load(path: &Path) -> Result<Users, String> {
        let text = std::fs::read_to_string(path).map_err(|e| format!("cannot read {}: {e}", path.display()))?;
        Users::parse(&text).map_err(|e| format!("{}: {e}", path.display()))
    }

    /// Parses a users file's text.
    pub fn parse(text: &str) -> Result<Users, String> {
        let mut users = HashMap::new();
        for (n, line) in text.lines().enumerate() {
            let line = line.trim();
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            let mut words = line.split_whitespace();
            let (Some(name), Some(verifier), None) = (words.next(), words.next(), words.next()) else {
                return Err(format!("line {}: expected a name and a verifier", n + 1));
            };
            let verifier = Verifier::parse(verifier).map_err(|e| format!("line {}: {e}", n + 1))?;
            if users.insert(name.to_string(), verifier).is_some() {
                return Err(format!("line {}: the user {name} is named twice", n + 1));
            }
        }
        let decoy = Verifier::new("")?;
        Ok(Users { users, decoy })
    }

    /// How many users there are.
    pub fn len(&self) -> usize {
        self.users.len()
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.users.is_empty()
    }

    /// Whether `name` is a user.
    pub fn contains(&self, name: &str) -> bool {
        self.users.contains_key(name)
    }
}

#[async_trait]
impl AuthSource for Users {
    async fn get_password(&self, login: &LoginInfo) -> PgWireResult<Password> {
        // Only verifiers are kept; SCRAM asks `get_scram_secret` instead.
        Err(PgWireError::InvalidPassword(login.user().unwrap_or_default().to_owned()))
    }

    async fn get_scram_secret(&self, login: &LoginInfo) -> PgWireResult<(ScramSecret, Option<()>)> {
        let name = login.user().unwrap_or_default();
        // An unknown name goes through the whole exchange and fails at the proof,
        // as a wrong password does.
        let verifier = self.users.get(name).unwrap_or(&self.decoy);
        Ok((verifier.secret(), None))
    }
}

/// Adds (or replaces) `name` in the users file at `path` with a verifier for
/// `password`, creating the file if it is missing. Other lines stay as they are.
pub fn add_user(path: &Path, name: &str, password: &str) -> Result<(), String> {
    if name.is_empty() || name.chars().any(|c| c.is_whitespace() || c.is_control()) || name.starts_with('#') {
        return Err(format!(
            "{name:?} cannot be a user name: it must be non-empty, without spaces, not starting with #"
        ));
    }
    if password.is_empty() {
        return Err("the password is empty".into());
    }
    let old = match std::fs::read_to_string(path) {
        Ok(text) => text,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => String::new(),
        Err(e) => return Err(format!("cannot read {}: {e}", path.display())),
    };
    Users::parse(&old).map_err(|e| format!("{}: {e}", path.display()))?;
    let line = format!("{name} {}", Verifier::new(password)?);
    let mut out = String::new();
    let mut replaced = false;
    for l in old.lines() {
        if l.split_whitespace().next() == Some(name) {
            out.push_str(&line);
            replaced = true;
        } else {
            out.push_str(l);
        }
        out.push('\n');
    }
    if !replaced {
        out.push_str(&line);
        out.push('\n');
    }
    write_private(path, &out)
}

/// Writes a file only its owner reads (mode 0600): beside, then renamed over the old
/// one, so that a crash leaves the old file or the new one.
pub(crate) fn write_private(path: &Path, text: &str) -> Result<(), String> {
    let tmp = path.with_extension("tmp");
    write_file_private(&tmp, text).map_err(|e| format!("cannot write {}: {e}", tmp.display()))?;
    std::fs::rename(&tmp, path).map_err(|e| format!("cannot replace {}: {e}", path.display()))
}

fn write_file_private(path: &Path, text: &str) -> std::io::Result<()> {
    use std::io::Write;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let mut file = options.open(path)?;
    file.write_all(text.as_bytes())?;
    file.sync_all()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn verifiers_round_trip_through_text() {
        let v = Verifier::new("secret").unwrap();
        let text = v.to_string();
        assert!(text.starts_with("SCRAM-SHA-256$4096:"));
        assert_eq!(Verifier::parse(&text).unwrap(), v);
    }

    #[test]
    fn a_verifier_matches_postgresql_for_the_same_salt() {
        // PostgreSQL 15's verifier for the password "pencil" (`CREATE ROLE x
        // PASSWORD 'pencil'`, then pg_authid.rolpassword), recomputed from its salt.
        let salt = STANDARD.decode("HS4vGif5OUWO6/erv9YrUw==").unwrap();
        let v = Verifier::with_salt("pencil", salt, 4096);
        assert_eq!(
            v.to_string(),
            "SCRAM-SHA-256$4096:HS4vGif5OUWO6/erv9YrUw==$mn/I59oH9hXBQ9BKXWYIe33v0KW5OHoTPDMYUXC4H9o=:GoRo4u/H2+xbF49gP3BGQuEngd1JCbMo74pxpmKDgZE="
        );
    }

    #[test]
    fn bad_files_name_the_line() {
        let e = Users::parse("# users\nalice\n").unwrap_err();
        assert!(e.contains("line 2"), "{e}");
        let e = Users::parse("alice SCRAM-SHA-256$x:y$z:w\n").unwrap_err();
        assert!(e.contains("line 1") && e.contains("iteration"), "{e}");
        let v = Verifier::new("pw").unwrap();
        let e = Users::parse(&format!("a {v}\na {v}\n")).unwrap_err();
        assert!(e.contains("twice"), "{e}");
        let users = Users::parse(&format!("\n# c\na {v}\n")).unwrap();
        assert_eq!(users.len(), 1);
        assert!(users.contains("a") && !users.contains("b"));
    }

    #[test]
    fn add_user_adds_and_replaces() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("users");
        add_user(&path, "alice", "one").unwrap();
        add_user(&path, "bob", "two").unwrap();
        let first = std::fs::read_to_string(&path).unwrap();
        add_user(&path, "alice", "three").unwrap();
        let second = std::fs::read_to_string(&path).unwrap();
        assert_eq!(first.lines().count(), 2);
        assert_eq!(second.lines().count(), 2);
        assert_ne!(first.lines().next(), second.lines().next());
        assert_eq!(first.lines().nth(1), second.lines().nth(1));
        assert!(add_user(&path, "a b", "x").is_err());
        assert!(add_user(&path, "carol", "").is_err());
    }
}
