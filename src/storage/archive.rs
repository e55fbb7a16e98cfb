//! Archive files: rows moved out of memory by `ARCHIVE FROM t WHERE … TO 'file'`, kept
//! queryable by `archive('file')`.
//!
//! A file is columnar and compressed: the magic `AMBERARC2`, the length (u32, little
//! endian) and postcard bytes of its [`Header`] (the table's name and schema, the row
//! count, when it was written), the length (u64) of the body, the body, and a CRC-32 of
//! everything before it. The body is zstd over the postcard bytes of each column's
//! values in turn (one column after another, so that like values sit together and
//! compress well). A file that does not read back whole — wrong magic, a short read, a
//! checksum that does not match, a body that does not decode to the header's rows — is
//! refused with what is wrong; nothing of it is used. Files written before column
//! collations (`AMBERARC1`) hold the schema in its third layout and still read.

use std::io::Write;
use std::path::Path;

use serde::{Deserialize, Serialize};

use super::{TableSchema, Value};
use crate::error::{Error, Result};

const MAGIC: &[u8; 9] = b"AMBERARC2";
/// Archives whose schema is in the third layout (before column collations).
const MAGIC_V1: &[u8; 9] = b"AMBERARC1";
/// zstd's level: small files at a speed near the default's.
const LEVEL: i32 = 9;

/// What an archive file says about its rows.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Header {
    /// The schema of the table the rows came from (its name included).
    pub schema: TableSchema,
    pub rows: u64,
    /// When the file was written (microseconds since the epoch).
    pub written_at: i64,
}

/// The header of an `AMBERARC1` file: its schema in the third layout.
#[derive(Serialize, Deserialize)]
struct HeaderV1 {
    schema: super::schema::legacy::TableSchemaV3,
    rows: u64,
    written_at: i64,
}

/// The bytes of an archive of `rows` (each as wide as the schema's columns).
pub fn encode(header: &Header, rows: &[Vec<Value>]) -> Result<Vec<u8>> {
    let head = postcard::to_stdvec(header).map_err(|e| Error::invalid(format!("archive: {e}")))?;
    encode_as(MAGIC, &head, header.schema.columns.len(), rows)
}

/// The bytes of an archive with `magic` and the encoded header `head`.
fn encode_as(magic: &[u8; 9], head: &[u8], width: usize, rows: &[Vec<Value>]) -> Result<Vec<u8>> {
    let mut columns: Vec<u8> = Vec::new();
    for c in 0..width {
        let values: Vec<&Value> = rows.iter().map(|r| &r[c]).collect();
        let bytes = postcard::to_stdvec(&values).map_err(|e| Error::invalid(format!("archive: {e}")))?;
        columns.extend_from_slice(&(bytes.len() as u64).to_le_bytes());
        columns.extend_from_slice(&bytes);
    }
    let body = zstd::bulk::compress(&columns, LEVEL).map_err(|e| Error::invalid(format!("archive: {e}")))?;
    let mut out = Vec::with_capacity(magic.len() + 16 + head.len() + body.len());
    out.extend_from_slice(magic);
    out.extend_from_slice(&(head.len() as u32).to_le_bytes());
    out.extend_from_slice(head);
    out.extend_from_slice(&(body.len() as u64).to_le_bytes());
    out.extend_from_slice(&body);
    let crc = crc32fast::hash(&out);
    out.extend_from_slice(&crc.to_le_bytes());
    Ok(out)
}

fn bad(path: &str, what: &str) -> Error {
    Error::invalid(format!("archive file {path} is not readable: {what}"))
}

/// The header and the bytes after it (checked whole), of the file's bytes.
fn split<'a>(path: &str, bytes: &'a [u8]) -> Result<(Header, &'a [u8])> {
    if bytes.len() < MAGIC.len() + 4 + 8 + 4 || (&bytes[..MAGIC.len()] != MAGIC && &bytes[..MAGIC.len()] != MAGIC_V1) {
        return Err(bad(path, "it is not an AmberDB archive"));
    }
    let first_layout = &bytes[..MAGIC.len()] == MAGIC_V1;
    let (content, crc) = bytes.split_at(bytes.len() - 4);
    if crc32fast::hash(content).to_le_bytes() != crc {
        return Err(bad(path, "its checksum does not match (torn or changed)"));
    }
    let rest = &content[MAGIC.len()..];
    let head_len = u32::from_le_bytes(rest[..4].try_into().map_err(|_| bad(path, "short header"))?) as usize;
    let rest = &rest[4..];
    if rest.len() < head_len + 8 {
        return Err(bad(path, "short header"));
    }
    let header = if first_layout {
        postcard::from_bytes::<HeaderV1>(&rest[..head_len]).map(|h| Header {
            schema: h.schema.into(),
            rows: h.rows,
            written_at: h.written_at,
        })
    } else {
        postcard::from_bytes::<Header>(&rest[..head_len])
    };
    let header = header.map_err(|_| bad(path, "its header does not decode"))?;
    header.schema.check_consistent().map_err(|e| bad(path, &e))?;
    let rest = &rest[head_len..];
    let body_len = u64::from_le_bytes(rest[..8].try_into().map_err(|_| bad(path, "short body"))?) as usize;
    let body = &rest[8..];
    if body.len() != body_len {
        return Err(bad(path, "its body is not the length it says"));
    }
    Ok((header, body))
}

/// Reads the whole file.
fn read_file(path: &str) -> Result<Vec<u8>> {
    std::fs::read(path).map_err(|e| match e.kind() {
        std::io::ErrorKind::NotFound => Error::invalid(format!("no such archive file: {path}")),
        _ => Error::invalid(format!("cannot read archive file {path}: {e}")),
    })
}

/// The header of the archive at `path` (its columns, for planning).
pub fn read_header(path: &str) -> Result<Header> {
    let bytes = read_file(path)?;
    Ok(split(path, &bytes)?.0)
}

/// The header and rows of the archive at `path`.
pub fn read(path: &str) -> Result<(Header, Vec<Vec<Value>>)> {
    let bytes = read_file(path)?;
    decode(path, &bytes)
}

/// The header and rows of an archive's bytes.
pub fn decode(path: &str, bytes: &[u8]) -> Result<(Header, Vec<Vec<Value>>)> {
    let (header, columns) = decode_columns(path, bytes, &|_| true)?;
    let n = header.rows as usize;
    let mut columns: Vec<std::vec::IntoIter<Value>> =
        columns.into_iter().map(|c| c.unwrap_or_default().into_iter()).collect();
    let rows = (0..n).map(|_| columns.iter_mut().map(|c| c.next().unwrap_or(Value::Null)).collect()).collect();
    Ok((header, rows))
}

/// The header of the archive at `path` and the values of the columns `wanted` picks
/// (each as long as the header's row count); the others are not decoded.
pub fn read_columns(path: &str, wanted: &dyn Fn(usize) -> bool) -> Result<(Header, Vec<Option<Vec<Value>>>)> {
    let bytes = read_file(path)?;
    decode_columns(path, &bytes, wanted)
}

fn decode_columns(
    path: &str,
    bytes: &[u8],
    wanted: &dyn Fn(usize) -> bool,
) -> Result<(Header, Vec<Option<Vec<Value>>>)> {
    let (header, body) = split(path, bytes)?;
    let width = header.schema.columns.len();
    let n = usize::try_from(header.rows).map_err(|_| bad(path, "too many rows"))?;
    // The decompressed size is bounded by what the columns can plausibly take, so a
    // forged header cannot make it allocate without limit.
    let limit = body.len().saturating_mul(2000).max(1 << 20);
    let columns = zstd::bulk::decompress(body, limit).map_err(|_| bad(path, "its body does not decompress"))?;
    if width == 0 && n > 0 {
        return Err(bad(path, "it has rows but no columns"));
    }
    let mut out = Vec::with_capacity(width);
    let mut at = 0usize;
    for c in 0..width {
        let len_bytes = columns.get(at..at + 8).ok_or_else(|| bad(path, "a column is cut short"))?;
        let len = u64::from_le_bytes(len_bytes.try_into().map_err(|_| bad(path, "a column is cut short"))?) as usize;
        at += 8;
        let slice = columns.get(at..at.saturating_add(len)).ok_or_else(|| bad(path, "a column is cut short"))?;
        at += len;
        if !wanted(c) {
            out.push(None);
            continue;
        }
        let values: Vec<Value> = postcard::from_bytes(slice).map_err(|_| bad(path, "a column does not decode"))?;
        if values.len() != n {
            return Err(bad(path, "a column does not hold the header's number of rows"));
        }
        out.push(Some(values));
    }
    if at != columns.len() {
        return Err(bad(path, "its body is longer than its columns"));
    }
    Ok((header, out))
}

/// The name an archive is written under until its commit is durable: the final name,
/// the file's checksum (so that two statements archiving to one name never write the
/// same pending file) and `.pending`.
pub fn pending_path(path: &str, checksum: u32) -> String {
    format!("{path}.{checksum:08x}.pending")
}

/// The checksum a file's pending name carries.
pub fn checksum(bytes: &[u8]) -> u32 {
    crc32fast::hash(bytes)
}

/// Writes `bytes` to the pending name of `path` and fsyncs it and its folder.
pub fn write_pending(path: &str, bytes: &[u8]) -> Result<()> {
    let pending = pending_path(path, checksum(bytes));
    let io = |e: std::io::Error| Error::invalid(format!("cannot write archive file {pending}: {e}"));
    let mut file = std::fs::File::create(&pending).map_err(io)?;
    file.write_all(bytes).map_err(io)?;
    file.sync_all().map_err(io)?;
    sync_dir(&pending);
    Ok(())
}

/// Gives a committed archive its name (the pending file renamed, the folder fsynced).
/// True when it was renamed; false when there was nothing pending or the name is taken.
pub fn publish(path: &str, checksum: u32) -> Result<bool> {
    let pending = pending_path(path, checksum);
    if !Path::new(&pending).exists() || Path::new(path).exists() {
        return Ok(false);
    }
    std::fs::rename(&pending, path).map_err(|e| Error::invalid(format!("cannot name archive file {path}: {e}")))?;
    sync_dir(path);
    Ok(true)
}

/// Fsyncs the folder holding `path`, so that a new or renamed name in it is durable.
fn sync_dir(path: &str) {
    let dir = Path::new(path).parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
    if let Ok(d) = std::fs::File::open(dir) {
        let _ = d.sync_all();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::storage::schema::Column;
    use crate::storage::DataType;

    fn header(rows: u64) -> Header {
        let schema = TableSchema {
            name: "t".into(),
            columns: vec![Column::plain("a", DataType::Integer), Column::plain("b", DataType::Text)],
            ..TableSchema::default()
        };
        Header { schema, rows, written_at: 7 }
    }

    #[test]
    fn rows_come_back_as_written() {
        let rows: Vec<Vec<Value>> = (0..1000)
            .map(|i| vec![Value::Integer(i), if i % 7 == 0 { Value::Null } else { Value::text("x") }])
            .collect();
        let bytes = encode(&header(1000), &rows).unwrap();
        let (h, back) = decode("f", &bytes).unwrap();
        assert_eq!(h, header(1000));
        assert_eq!(back, rows);
    }

    #[test]
    fn files_written_before_collations_still_read() {
        let rows: Vec<Vec<Value>> = (0..10).map(|i| vec![Value::Integer(i), Value::text("x")]).collect();
        let h = header(10);
        let old = HeaderV1 { schema: (&h.schema).into(), rows: 10, written_at: 7 };
        let bytes = encode_as(MAGIC_V1, &postcard::to_stdvec(&old).unwrap(), 2, &rows).unwrap();
        let (back_header, back) = decode("f", &bytes).unwrap();
        assert_eq!(back_header, h);
        assert_eq!(back, rows);
        assert!(encode(&h, &rows).unwrap().starts_with(MAGIC));
    }

    #[test]
    fn every_torn_or_flipped_file_is_refused() {
        let rows: Vec<Vec<Value>> = (0..50).map(|i| vec![Value::Integer(i), Value::text("row")]).collect();
        let bytes = encode(&header(50), &rows).unwrap();
        for cut in 0..bytes.len() {
            assert!(decode("f", &bytes[..cut]).is_err(), "cut at {cut}");
        }
        for i in 0..bytes.len() {
            let mut flipped = bytes.clone();
            flipped[i] ^= 0x40;
            assert!(decode("f", &flipped).is_err(), "flipped byte {i}");
        }
    }
}
