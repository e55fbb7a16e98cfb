//! The write-ahead log: one record per commit, in segment files.
//!
//! # On-disk format
//!
//! A segment is named `wal-<V>.log`, `<V>` being the version of its first record written
//! as 20 decimal digits, so names sort in log order. It is a sequence of records:
//!
//! ```text
//! length: u32 LE   bytes in payload
//! crc:    u32 LE   CRC-32 (IEEE) of payload
//! payload:         version: u64 LE, then the commit's WriteSet in postcard
//! ```
//!
//! Versions are consecutive: the record after version `v` holds version `v + 1`.
//!
//! # Recovery rule
//!
//! Records are read in order until the first one that is torn (its header or payload runs
//! past the end of the file), corrupt (CRC mismatch, undecodable payload) or out of
//! sequence. A record is only acknowledged after it was written whole (and, under
//! `--sync always`, fsynced), so a torn record can only be the last thing in the log:
//! when nothing whole follows the bad record, it is a commit that was never
//! acknowledged, and the segment is truncated where it began. When whole records do
//! follow it (in its segment or in later ones), it is damage, not a crash: opening is
//! refused, naming the record and the versions after it, until
//! `amberdb recover --discard-after-damage` cuts the log there, keeping a copy of what it
//! cuts.

#[cfg(test)]
use crate::storage::Joined;
use crate::storage::{Logged, WriteSet};

/// Bytes before a record's payload.
pub const HEADER: usize = 8;

/// The largest payload accepted on read; anything bigger is treated as corruption.
const MAX_PAYLOAD: usize = 1 << 31;

pub fn segment_name(first_version: u64) -> String {
    format!("wal-{first_version:020}.log")
}

/// The first version of a segment, from its file name.
pub fn parse_segment_name(name: &str) -> Option<u64> {
    name.strip_prefix("wal-")?.strip_suffix(".log")?.parse().ok()
}

/// Frames one commit as a record.
pub fn encode<'a>(version: u64, writes: impl Into<Logged<'a>>) -> Result<Vec<u8>, String> {
    let writes = writes.into();
    let mut buf = vec![0u8; HEADER];
    buf.extend_from_slice(&version.to_le_bytes());
    let buf = postcard::to_extend(&writes, buf).map_err(|e| format!("cannot encode a log record: {e}"))?;
    let len =
        u32::try_from(buf.len() - HEADER).map_err(|_| "a commit larger than 4 GiB cannot be logged".to_string())?;
    let crc = crc32fast::hash(&buf[HEADER..]);
    let mut buf = buf;
    buf[0..4].copy_from_slice(&len.to_le_bytes());
    buf[4..8].copy_from_slice(&crc.to_le_bytes());
    Ok(buf)
}

/// Reads one whole record (a commit as `encode` framed it) from `bytes`.
pub fn decode(bytes: &[u8]) -> Result<Record, String> {
    match read_record(bytes, 0) {
        Ok(record) if record.end == bytes.len() => Ok(record),
        Ok(_) => Err("bytes after the record".into()),
        Err(stop) => Err(stop.describe()),
    }
}

/// One record read back.
pub struct Record {
    pub version: u64,
    pub writes: WriteSet,
    /// Where the record begins in its segment.
    pub offset: usize,
    /// Where the next record begins.
    pub end: usize,
}

/// Why reading a segment stopped before its end.
#[derive(Debug, PartialEq, Eq)]
pub enum Stop {
    Torn { offset: usize },
    Corrupt { offset: usize, why: String },
}

impl Stop {
    pub fn offset(&self) -> usize {
        match self {
            Stop::Torn { offset } | Stop::Corrupt { offset, .. } => *offset,
        }
    }

    pub fn describe(&self) -> String {
        match self {
            Stop::Torn { .. } => {
                "a record that runs past the end of its segment (torn, or its length damaged)".to_string()
            }
            Stop::Corrupt { why, .. } => format!("a corrupt record ({why})"),
        }
    }
}

/// Reads the records of a segment up to its end or the first bad one.
pub fn read_segment(bytes: &[u8]) -> (Vec<Record>, Option<Stop>) {
    let mut records = Vec::new();
    let mut at = 0;
    while at < bytes.len() {
        match read_record(bytes, at) {
            Ok(record) => {
                at = record.end;
                records.push(record);
            }
            Err(stop) => return (records, Some(stop)),
        }
    }
    (records, None)
}

fn read_record(bytes: &[u8], offset: usize) -> Result<Record, Stop> {
    let rest = &bytes[offset..];
    if rest.len() < HEADER {
        return Err(Stop::Torn { offset });
    }
    let word = |i: usize| u32::from_le_bytes([rest[i], rest[i + 1], rest[i + 2], rest[i + 3]]);
    let (len, crc) = (word(0) as usize, word(4));
    if !(8..=MAX_PAYLOAD).contains(&len) {
        return Err(Stop::Corrupt { offset, why: format!("impossible length {len}") });
    }
    if rest.len() < HEADER + len {
        return Err(Stop::Torn { offset });
    }
    let payload = &rest[HEADER..HEADER + len];
    if crc32fast::hash(payload) != crc {
        return Err(Stop::Corrupt { offset, why: "checksum mismatch".into() });
    }
    let mut v = [0u8; 8];
    v.copy_from_slice(&payload[..8]);
    let writes: WriteSet = postcard::from_bytes(&payload[8..])
        .map_err(|e| Stop::Corrupt { offset, why: format!("undecodable write set: {e}") })?;
    Ok(Record { version: u64::from_le_bytes(v), writes, offset, end: offset + HEADER + len })
}

/// Where the first whole record at or after `from` begins whose version is past
/// `after`: each offset is tried by its header's length and the version in its payload
/// (a commit's version is past the last one replayed, and not billions past it) before
/// its checksum is worked out, so scanning damaged bytes costs little.
pub fn next_record(bytes: &[u8], from: usize, after: u64) -> Option<usize> {
    (from..=bytes.len().saturating_sub(HEADER + 8)).find(|&at| {
        let rest = &bytes[at..];
        if rest.len() < HEADER + 8 {
            return false;
        }
        let len = u32::from_le_bytes([rest[0], rest[1], rest[2], rest[3]]) as usize;
        if !(8..=rest.len() - HEADER).contains(&len) {
            return false;
        }
        let mut v = [0u8; 8];
        v.copy_from_slice(&rest[HEADER..HEADER + 8]);
        let version = u64::from_le_bytes(v);
        version > after && version - after < 1 << 32 && read_record(bytes, at).is_ok()
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::storage::{Change, RowKey, Value, WriteOp};

    fn writes(n: i64) -> WriteSet {
        let row: Box<[Value]> = vec![Value::Integer(n), Value::text("x")].into();
        WriteSet { ops: vec![WriteOp::Row { table: "t".into(), key: RowKey::Int(n), change: Change::Insert(row) }] }
    }

    /// Logs written before generated columns and expression indexes hold tables and
    /// indexes in the first layout, under the kinds' first positions; they still replay.
    #[test]
    fn tables_and_indexes_of_the_first_layout_still_decode() {
        use crate::storage::schema::legacy::{IndexDefV1, TableSchemaV1};
        use crate::storage::schema::{Column, DataType, IndexDef, TableSchema};
        use serde::Serialize;
        #[derive(Serialize)]
        enum OldOp {
            CreateTable(TableSchemaV1),
            #[allow(dead_code)]
            DropTable(String),
            CreateIndex {
                table: String,
                index: IndexDefV1,
            },
        }
        let schema = TableSchema {
            name: "t".into(),
            columns: vec![Column::plain("a", DataType::Integer), Column::plain("b", DataType::Text)],
            primary_key: vec![0],
            ..TableSchema::default()
        };
        let index = IndexDef::of_columns("by_b", vec![1], true);
        let mut with_index = schema.clone();
        with_index.indexes.push(index.clone());
        let old_index = TableSchemaV1::from(&with_index).indexes.pop().unwrap();
        let old = vec![
            OldOp::CreateTable(TableSchemaV1::from(&schema)),
            OldOp::CreateIndex { table: "t".into(), index: old_index },
        ];
        let bytes = postcard::to_allocvec(&old).unwrap();
        let ops: Vec<WriteOp> = postcard::from_bytes(&bytes).unwrap();
        let ops: Vec<WriteOp> = ops.into_iter().map(WriteOp::upgraded).collect();
        assert!(matches!(&ops[0], WriteOp::CreateTable(s) if **s == schema));
        assert!(matches!(&ops[1], WriteOp::CreateIndex { table, index: i } if table == "t" && **i == index));

        // What is written now is the newer kinds, and reads back the same.
        let now = postcard::to_allocvec(&ops).unwrap();
        let back: Vec<WriteOp> = postcard::from_bytes(&now).unwrap();
        assert!(matches!(&back[0], WriteOp::CreateTable(s) if **s == schema));
        assert!(matches!(&back[1], WriteOp::CreateIndex { index: i, .. } if **i == index));
        assert!(postcard::to_allocvec(&WriteOp::CreateTableV1(std::sync::Arc::new(schema))).is_err());
    }

    /// Logs written before table options past `ttl` hold tables in the second layout,
    /// under that kind's position (14); they replay, with no row limit.
    #[test]
    fn tables_of_the_second_layout_still_decode() {
        use crate::storage::schema::legacy::TableSchemaV2;
        use crate::storage::schema::{Column, DataType, TableSchema};
        let schema = TableSchema {
            name: "t".into(),
            columns: vec![Column::plain("a", DataType::Integer)],
            primary_key: vec![0],
            ttl: Some(5),
            ..TableSchema::default()
        };
        let mut bytes = vec![14u8];
        bytes.extend(postcard::to_allocvec(&TableSchemaV2::from(&schema)).unwrap());
        let op: WriteOp = postcard::from_bytes(&bytes).unwrap();
        assert!(matches!(op.upgraded(), WriteOp::CreateTable(s) if *s == schema));
        // Now a table is written under the newest kind, its options with it.
        let limited = TableSchema { max_rows: Some(10), ..schema };
        let now = postcard::to_allocvec(&WriteOp::CreateTable(std::sync::Arc::new(limited.clone()))).unwrap();
        assert_eq!(now[0], 18);
        let back: WriteOp = postcard::from_bytes(&now).unwrap();
        assert!(matches!(back, WriteOp::CreateTable(s) if *s == limited));
    }

    /// Logs written before column collations hold tables in the third layout, under
    /// that kind's position (16); they replay, with no collations.
    #[test]
    fn tables_of_the_third_layout_still_decode() {
        use crate::storage::schema::legacy::TableSchemaV3;
        use crate::storage::schema::{Collation, Column, DataType, TableSchema};
        let schema = TableSchema {
            name: "t".into(),
            columns: vec![Column::plain("a", DataType::Text)],
            max_rows: Some(3),
            ..TableSchema::default()
        };
        let mut bytes = vec![16u8];
        bytes.extend(postcard::to_allocvec(&TableSchemaV3::from(&schema)).unwrap());
        let op: WriteOp = postcard::from_bytes(&bytes).unwrap();
        assert!(matches!(op.upgraded(), WriteOp::CreateTable(s) if *s == schema));
        let mut collated = schema;
        collated.columns[0].collation = Some(Collation::NoCase);
        let now = postcard::to_allocvec(&WriteOp::CreateTable(std::sync::Arc::new(collated.clone()))).unwrap();
        assert_eq!(now[0], 18);
        let back: WriteOp = postcard::from_bytes(&now).unwrap();
        assert!(matches!(back, WriteOp::CreateTable(s) if *s == collated));
    }

    #[test]
    fn records_round_trip_and_stop_at_damage() {
        let mut log = Vec::new();
        for v in 1..=3 {
            log.extend(encode(v, Joined::one(&writes(v as i64))).unwrap());
        }
        let (records, stop) = read_segment(&log);
        assert_eq!(records.iter().map(|r| r.version).collect::<Vec<_>>(), vec![1, 2, 3]);
        assert!(stop.is_none());

        let last = records[2].offset;
        for cut in last..log.len() {
            let (records, stop) = read_segment(&log[..cut]);
            assert_eq!(records.len(), 2);
            assert_eq!(stop.map(|s| s.offset()), if cut == last { None } else { Some(last) });
        }
        for i in last..log.len() {
            let mut bad = log.clone();
            bad[i] ^= 0x40;
            let (records, stop) = read_segment(&bad);
            assert_eq!(records.len(), 2, "flipped byte {i}");
            assert_eq!(stop.map(|s| s.offset()), Some(last));
        }
    }

    /// A transaction's statements are logged as one record holding all their changes,
    /// byte for byte what one write set of them would be.
    #[test]
    fn joined_write_sets_are_logged_as_one() {
        let parts = [writes(1), WriteSet::default(), writes(2), writes(3)];
        let mut whole = WriteSet::default();
        parts.iter().for_each(|w| whole.extend(w.clone()));
        let joined = encode(7, Joined(&parts)).unwrap();
        assert_eq!(joined, encode(7, Joined::one(&whole)).unwrap());
        let (records, _) = read_segment(&joined);
        let keys: Vec<String> = records[0]
            .writes
            .ops
            .iter()
            .map(|op| match op {
                WriteOp::Row { key, .. } => key.to_string(),
                other => format!("{other:?}"),
            })
            .collect();
        assert_eq!(keys, ["1", "2", "3"]);
    }

    #[test]
    fn segment_names_sort_by_version() {
        assert_eq!(parse_segment_name(&segment_name(42)), Some(42));
        assert!(segment_name(9) < segment_name(10));
        assert_eq!(parse_segment_name("checkpoint-1.amber"), None);
    }
}
