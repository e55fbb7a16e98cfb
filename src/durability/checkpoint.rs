//! Checkpoints: the whole state at one version, in one file.
//!
//! # On-disk format
//!
//! A checkpoint is named `checkpoint-<V>.amber`, `<V>` being its version as 20 decimal
//! digits. It holds:
//!
//! ```text
//! magic:   8 bytes  "AMBERCK1"
//! version: u64 LE
//! length:  u64 LE   bytes in payload
//! crc:     u32 LE   CRC-32 (IEEE) of payload
//! payload:          postcard: for each table its schema, next rowid and rows in key order
//! ```
//!
//! Indexes are not stored: they are rebuilt from the rows on load, so they always agree
//! with their tables.
//!
//! # Writing and recovery rule
//!
//! A checkpoint is written to `checkpoint-<V>.amber.tmp`, fsynced, renamed into place and
//! the directory fsynced; only then are older files removed. The newest two checkpoints
//! are kept, and the log from the older of them on, so that recovery can fall back: it
//! loads the newest checkpoint whose magic, length and CRC are right, and replays the log
//! after it. A leftover `.tmp` file is an unfinished checkpoint and is deleted on open.

use std::path::Path;

use serde::ser::{SerializeSeq, SerializeStruct};
use serde::{Deserialize, Serialize, Serializer};

use super::fs::Fs;
use crate::storage::schema::TableSchema;
use crate::storage::{Row, RowKey, State, Table};

const MAGIC: &[u8; 8] = b"AMBERCK1";
const HEADER: usize = 28;

pub fn checkpoint_name(version: u64) -> String {
    format!("checkpoint-{version:020}.amber")
}

pub fn parse_checkpoint_name(name: &str) -> Option<u64> {
    name.strip_prefix("checkpoint-")?.strip_suffix(".amber")?.parse().ok()
}

/// One table as stored, borrowed from the state when writing.
struct TableRef<'a>(&'a Table);

struct RowsRef<'a>(&'a Table);

impl Serialize for RowsRef<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut seq = s.serialize_seq(Some(self.0.rows.len()))?;
        for entry in self.0.rows.iter() {
            seq.serialize_element(&entry)?;
        }
        seq.end()
    }
}

impl Serialize for TableRef<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut st = s.serialize_struct("TableImage", 3)?;
        st.serialize_field("schema", &*self.0.schema)?;
        st.serialize_field("next_rowid", &self.0.next_rowid)?;
        st.serialize_field("rows", &RowsRef(self.0))?;
        st.end()
    }
}

/// The owned form of [`TableRef`], read back.
#[derive(Deserialize)]
struct TableImage {
    schema: TableSchema,
    next_rowid: i64,
    rows: Vec<(RowKey, Row)>,
}

/// The bytes of a checkpoint of `state` at `version`.
pub fn encode(state: &State, version: u64) -> Result<Vec<u8>, String> {
    let tables: Vec<TableRef> = state.tables().map(TableRef).collect();
    let buf =
        postcard::to_extend(&tables, vec![0u8; HEADER]).map_err(|e| format!("cannot encode a checkpoint: {e}"))?;
    let mut buf = buf;
    let len = (buf.len() - HEADER) as u64;
    let crc = crc32fast::hash(&buf[HEADER..]);
    buf[0..8].copy_from_slice(MAGIC);
    buf[8..16].copy_from_slice(&version.to_le_bytes());
    buf[16..24].copy_from_slice(&len.to_le_bytes());
    buf[24..28].copy_from_slice(&crc.to_le_bytes());
    Ok(buf)
}

/// Reads a checkpoint back: its version and state, or why it cannot be used.
pub fn decode(bytes: &[u8]) -> Result<(u64, State), String> {
    if bytes.len() < HEADER || &bytes[0..8] != MAGIC {
        return Err("not a checkpoint file (bad header)".into());
    }
    let u64_at = |i: usize| {
        let mut b = [0u8; 8];
        b.copy_from_slice(&bytes[i..i + 8]);
        u64::from_le_bytes(b)
    };
    let (version, len) = (u64_at(8), u64_at(16));
    let crc = u32::from_le_bytes([bytes[24], bytes[25], bytes[26], bytes[27]]);
    if len != (bytes.len() - HEADER) as u64 {
        return Err(format!("length {} does not match the header's {len}", bytes.len() - HEADER));
    }
    let payload = &bytes[HEADER..];
    if crc32fast::hash(payload) != crc {
        return Err("checksum mismatch".into());
    }
    let images: Vec<TableImage> = postcard::from_bytes(payload).map_err(|e| format!("undecodable: {e}"))?;
    let mut tables = Vec::with_capacity(images.len());
    for image in images {
        tables.push(Table::load(image.schema, image.next_rowid, image.rows).map_err(|e| e.to_string())?);
    }
    Ok((version, State::from_tables(tables)))
}

/// Writes a checkpoint into `dir` the safe way: temp file, fsync, rename, fsync the
/// directory. Returns its size in bytes.
pub fn write(fs: &dyn Fs, dir: &Path, state: &State, version: u64) -> std::io::Result<u64> {
    let bytes = encode(state, version).map_err(std::io::Error::other)?;
    let name = checkpoint_name(version);
    let tmp = dir.join(format!("{name}.tmp"));
    let file = fs.create(&tmp)?;
    file.write_all(&bytes)?;
    file.sync()?;
    drop(file);
    fs.rename(&tmp, &dir.join(&name))?;
    fs.sync_dir(dir)?;
    Ok(bytes.len() as u64)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Database;

    #[test]
    fn a_checkpoint_round_trips_and_detects_damage() {
        let db = Database::open_in_memory();
        let mut s = db.session();
        s.execute("CREATE TABLE t (id INTEGER PRIMARY KEY, name TEXT UNIQUE, score REAL)", &[]).unwrap();
        s.execute("CREATE INDEX by_score ON t (score)", &[]).unwrap();
        s.execute("INSERT INTO t VALUES (1, 'a', 1.5), (2, 'b', NULL), (7, NULL, 3.0)", &[]).unwrap();
        let bytes = encode(&db.state(), 9).unwrap();
        let (version, state) = decode(&bytes).unwrap();
        assert_eq!(version, 9);
        assert!(crate::storage::diff::diff(&db.state(), &state).is_empty());
        assert!(crate::storage::check::check(&state).is_empty());
        let t = state.table("t").unwrap();
        assert_eq!(t.indexes.len(), 2);
        assert_eq!(t.next_rowid, db.state().table("t").unwrap().next_rowid);

        assert!(decode(&bytes[..bytes.len() - 1]).is_err());
        let mut flipped = bytes.clone();
        flipped[HEADER + 3] ^= 1;
        assert_eq!(decode(&flipped).err().unwrap(), "checksum mismatch");
        assert!(decode(b"hello").is_err());
    }

    #[test]
    fn names_parse() {
        assert_eq!(parse_checkpoint_name(&checkpoint_name(5)), Some(5));
        assert_eq!(parse_checkpoint_name("checkpoint-5.amber.tmp"), None);
    }
}
