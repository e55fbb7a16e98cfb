//! Checkpoints: the whole state at one version, in one file.
//!
//! # On-disk format
//!
//! A checkpoint is named `checkpoint-<V>.amber`, `<V>` being its version as 20 decimal
//! digits. It holds:
//!
//! ```text
//! magic:   8 bytes  "AMBERCK7"
//! version: u64 LE
//! frames:           each `length: u32 LE | crc: u32 LE (CRC-32 of payload) | payload`
//!   tables          postcard u32: how many tables follow
//!   per table       postcard: schema, next rowid, its number of row chunks, its
//!                   indexes' orders and its rows' expiry times;
//!                   then that many frames, each a chunk of rows in key order
//!   rest            postcard: the views, the namespaces, each namespace's messages in
//!                   global order, and the triggers
//!   commit          postcard: the record of the commit that made the state (when, by
//!                   whom, what), if any
//!   end             postcard u64: the number of frames before it
//! ```
//!
//! Framed so that loading reads the file as a stream, a few chunks at a time, each
//! checked by its own CRC before it is used: opening holds no more than the table being
//! built and a few chunks, never the whole file beside it. Checkpoints of the older,
//! unframed formats (`AMBERCK3`, and `AMBERCK2` without triggers: header, one length
//! and CRC, one payload) are still read, and so are framed ones of the first schema
//! layout (`AMBERCK4`, before generated columns and expression indexes) and of the
//! second (`AMBERCK5`, before table options past `ttl`) and framed ones without the
//! commit frame (`AMBERCK6`).
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

use std::collections::HashMap;
use std::path::Path;

use serde::{Deserialize, Serialize};

use super::fs::Fs;
use crate::storage::schema::legacy::{TableSchemaV1, TableSchemaV2, TableSchemaV3};
use crate::storage::schema::TableSchema;
use crate::storage::streams::{Message, MessageStore};
use crate::storage::table::{Part, PartBuilder, Slot};
use crate::storage::{CommitInfo, Row, RowKey, State, Table, TriggerDef, Value, ViewDef, WriteOp};

const MAGIC_V8: &[u8; 8] = b"AMBERCK8";
const MAGIC_V7: &[u8; 8] = b"AMBERCK7";
const MAGIC_V6: &[u8; 8] = b"AMBERCK6";
const MAGIC_V5: &[u8; 8] = b"AMBERCK5";
const MAGIC_V4: &[u8; 8] = b"AMBERCK4";

/// The schema layout of a framed checkpoint, by its magic.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Layout {
    /// `AMBERCK4`: the first schema layout.
    V1,
    /// `AMBERCK5`: generated columns and expression indexes.
    V2,
    /// `AMBERCK6`: table options past `ttl` (`max_rows`).
    V3,
    /// `AMBERCK7`: the head's commit record after the rest.
    V4,
    /// `AMBERCK8`: column collations.
    V5,
}

impl Layout {
    /// Whether the head's commit record follows the rest (from `AMBERCK7` on).
    fn has_commit(self) -> bool {
        matches!(self, Layout::V4 | Layout::V5)
    }

    fn of(magic: &[u8]) -> Option<Layout> {
        match magic.get(..8)? {
            m if m == MAGIC_V4 => Some(Layout::V1),
            m if m == MAGIC_V5 => Some(Layout::V2),
            m if m == MAGIC_V6 => Some(Layout::V3),
            m if m == MAGIC_V7 => Some(Layout::V4),
            m if m == MAGIC_V8 => Some(Layout::V5),
            _ => None,
        }
    }

    fn magic(self) -> &'static [u8; 8] {
        match self {
            Layout::V1 => MAGIC_V4,
            Layout::V2 => MAGIC_V5,
            Layout::V3 => MAGIC_V6,
            Layout::V4 => MAGIC_V7,
            Layout::V5 => MAGIC_V8,
        }
    }

    /// Reads a table's first frame in this layout.
    fn head<R: std::io::Read>(self, frames: &mut Frames<R>) -> Result<TableHeadIn<TableSchema>, String> {
        fn up<S: Into<TableSchema>>(old: TableHeadIn<S>) -> TableHeadIn<TableSchema> {
            TableHeadIn {
                schema: old.schema.into(),
                next_rowid: old.next_rowid,
                chunks: old.chunks,
                orders: old.orders,
                expiry: old.expiry,
            }
        }
        Ok(match self {
            Layout::V1 => up(frames.decoded::<TableHeadIn<TableSchemaV1>>()?),
            Layout::V2 => up(frames.decoded::<TableHeadIn<TableSchemaV2>>()?),
            Layout::V3 | Layout::V4 => up(frames.decoded::<TableHeadIn<TableSchemaV3>>()?),
            Layout::V5 => frames.decoded()?,
        })
    }
}
const MAGIC: &[u8; 8] = b"AMBERCK3";
/// Checkpoints written before triggers existed: read as they are.
const MAGIC_V2: &[u8; 8] = b"AMBERCK2";
const HEADER: usize = 28;

pub fn checkpoint_name(version: u64) -> String {
    format!("checkpoint-{version:020}.amber")
}

/// The name a damaged checkpoint is set aside under: no longer a checkpoint's name, so
/// nothing counts on it or removes it.
pub fn damaged_name(version: u64) -> String {
    format!("{}.damaged", checkpoint_name(version))
}

pub fn parse_checkpoint_name(name: &str) -> Option<u64> {
    name.strip_prefix("checkpoint-")?.strip_suffix(".amber")?.parse().ok()
}

/// Rows are stored in chunks of this many, each encoded on its own, so that loading can
/// decode them on several threads.
const CHUNK_ROWS: usize = 1 << 16;

/// Bytes written as one byte string (not as a sequence of numbers).
#[cfg(test)]
struct Bytes<'a>(&'a [u8]);

#[cfg(test)]
impl Serialize for Bytes<'_> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_bytes(self.0)
    }
}

/// One table as the unframed format stored it (tests write such files to read).
#[cfg(test)]
#[derive(Serialize)]
struct TableOut<'a> {
    schema: TableSchemaV1,
    next_rowid: i64,
    /// Chunks of `(key, row)` in key order.
    chunks: Vec<Bytes<'a>>,
    /// For each index, the positions of its rows (in key order) in the index's order,
    /// so that loading does not sort; an empty list means "sort".
    orders: Vec<Vec<u32>>,
    /// When rows expire.
    expiry: Vec<(&'a RowKey, i64)>,
}

/// A table read back; the chunks are borrowed from the file's bytes.
#[derive(Deserialize)]
struct TableIn<'a> {
    schema: TableSchemaV1,
    next_rowid: i64,
    #[serde(borrow)]
    chunks: Vec<&'a [u8]>,
    orders: Vec<Vec<u32>>,
    expiry: Vec<(RowKey, i64)>,
}

type Streams<'a> = Vec<(&'a String, Vec<&'a Message>)>;

/// A table's rows encoded in chunks, and its indexes' orders.
struct Encoded {
    chunks: Vec<Vec<u8>>,
    orders: Vec<Vec<u32>>,
}

fn encode_table(t: &Table) -> Result<Encoded, String> {
    // Rows are decoded a chunk at a time, so that the whole table is never held twice.
    let mut chunks = Vec::new();
    let mut chunk: Vec<(RowKey, Row)> = Vec::with_capacity(CHUNK_ROWS);
    let mut rows = t.rows.iter().peekable();
    while rows.peek().is_some() {
        chunk.clear();
        chunk.extend(rows.by_ref().take(CHUNK_ROWS));
        chunks.push(postcard::to_allocvec(&chunk).map_err(|e| format!("cannot encode a checkpoint: {e}"))?);
    }
    let orders = if t.indexes.is_empty() || t.rows.len() > u32::MAX as usize {
        Vec::new()
    } else {
        let position: HashMap<RowKey, u32> = t.rows.iter_bytes().enumerate().map(|(i, (k, _))| (k, i as u32)).collect();
        t.indexes
            .iter()
            .map(|ix| {
                let order: Option<Vec<u32>> = ix
                    .entries
                    .iter()
                    .map(|e| match &e.slot {
                        Slot::Row(k) => position.get(k).copied(),
                        Slot::Lo | Slot::Hi => None,
                    })
                    .collect();
                order.unwrap_or_default()
            })
            .collect()
    };
    Ok(Encoded { chunks, orders })
}

/// One table's first frame when written.
#[derive(Serialize)]
struct TableHead<'a, S> {
    schema: &'a S,
    next_rowid: i64,
    chunks: u32,
    orders: &'a [Vec<u32>],
    expiry: Vec<(&'a RowKey, i64)>,
}

/// One table's first frame when read back.
#[derive(Deserialize)]
struct TableHeadIn<S> {
    schema: S,
    next_rowid: i64,
    chunks: u32,
    orders: Vec<Vec<u32>>,
    expiry: Vec<(RowKey, i64)>,
}

/// Appends one frame: length, CRC, payload.
fn frame(out: &mut Vec<u8>, payload: &[u8]) -> Result<(), String> {
    let len = u32::try_from(payload.len()).map_err(|_| "a checkpoint frame larger than 4 GiB".to_string())?;
    out.extend_from_slice(&len.to_le_bytes());
    out.extend_from_slice(&crc32fast::hash(payload).to_le_bytes());
    out.extend_from_slice(payload);
    Ok(())
}

fn postcard_of<T: Serialize + ?Sized>(value: &T) -> Result<Vec<u8>, String> {
    postcard::to_allocvec(value).map_err(|e| format!("cannot encode a checkpoint: {e}"))
}

/// The bytes of a checkpoint of `state` at `version`.
pub fn encode(state: &State, version: u64) -> Result<Vec<u8>, String> {
    encode_layout(state, version, Layout::V5)
}

/// A framed checkpoint in a schema layout (the older ones for the tests that read what
/// older versions wrote).
fn encode_layout(state: &State, version: u64, layout: Layout) -> Result<Vec<u8>, String> {
    let mut buf = Vec::with_capacity(HEADER);
    buf.extend_from_slice(layout.magic());
    buf.extend_from_slice(&version.to_le_bytes());
    let mut frames = 0u64;
    let mut put = |buf: &mut Vec<u8>, payload: &[u8]| {
        frames += 1;
        frame(buf, payload)
    };
    put(&mut buf, &postcard_of(&(state.tables().count() as u32))?)?;
    for t in state.tables() {
        let e = encode_table(t)?;
        let chunks = u32::try_from(e.chunks.len()).map_err(|_| "too many row chunks".to_string())?;
        let expiry = t.expiry.iter().map(|(k, &at)| (k, at)).collect();
        let (next_rowid, orders) = (t.next_rowid, &e.orders);
        let head = match layout {
            Layout::V1 => {
                let schema = TableSchemaV1::from(&*t.schema);
                postcard_of(&TableHead { schema: &schema, next_rowid, chunks, orders, expiry })?
            }
            Layout::V2 => {
                let schema = TableSchemaV2::from(&*t.schema);
                postcard_of(&TableHead { schema: &schema, next_rowid, chunks, orders, expiry })?
            }
            Layout::V3 | Layout::V4 => {
                let schema = TableSchemaV3::from(&*t.schema);
                postcard_of(&TableHead { schema: &schema, next_rowid, chunks, orders, expiry })?
            }
            Layout::V5 => postcard_of(&TableHead { schema: &*t.schema, next_rowid, chunks, orders, expiry })?,
        };
        put(&mut buf, &head)?;
        for chunk in &e.chunks {
            put(&mut buf, chunk)?;
        }
    }
    let views: Vec<&ViewDef> = state.views().map(|v| &**v).collect();
    let namespaces: Vec<&String> = state.namespaces().collect();
    let streams: Streams = state.message_stores().map(|(ns, s)| (ns, s.messages().map(|m| &**m).collect())).collect();
    let triggers: Vec<&TriggerDef> = state.triggers().map(|t| &**t).collect();
    put(&mut buf, &postcard_of(&(views, namespaces, streams, triggers))?)?;
    if layout.has_commit() {
        put(&mut buf, &postcard_of(&state.commit())?)?;
    }
    let count = frames;
    frame(&mut buf, &postcard_of(&count)?)?;
    Ok(buf)
}

/// Frames read one at a time from a checkpoint, each checked against its CRC.
struct Frames<R> {
    input: R,
    read: u64,
}

impl<R: std::io::Read> Frames<R> {
    /// The next frame's payload; a frame cut short or damaged is an error.
    fn next(&mut self) -> Result<Vec<u8>, String> {
        let mut head = [0u8; 8];
        self.input.read_exact(&mut head).map_err(|_| format!("cut short after {} frames", self.read))?;
        let len = u32::from_le_bytes([head[0], head[1], head[2], head[3]]) as u64;
        let crc = u32::from_le_bytes([head[4], head[5], head[6], head[7]]);
        // Read as far as the file goes rather than allocating what a damaged length says.
        let mut payload = Vec::new();
        std::io::Read::read_to_end(&mut std::io::Read::take(self.input.by_ref(), len), &mut payload)
            .map_err(|e| e.to_string())?;
        if payload.len() as u64 != len {
            return Err(format!("cut short in frame {}", self.read));
        }
        if crc32fast::hash(&payload) != crc {
            return Err(format!("checksum mismatch in frame {}", self.read));
        }
        self.read += 1;
        Ok(payload)
    }

    fn decoded<T: serde::de::DeserializeOwned>(&mut self) -> Result<T, String> {
        let payload = self.next()?;
        postcard::from_bytes(&payload).map_err(|e| format!("undecodable frame {}: {e}", self.read - 1))
    }
}

/// Reads a framed checkpoint from `input` (just past its magic) as a stream: its
/// version and state. Each table is built a few chunks at a time.
fn decode_framed(mut input: impl std::io::Read, layout: Layout) -> Result<(u64, State), String> {
    let mut version = [0u8; 8];
    input.read_exact(&mut version).map_err(|_| "not a checkpoint file (bad header)".to_string())?;
    let version = u64::from_le_bytes(version);
    let mut frames = Frames { input, read: 0 };
    let count: u32 = frames.decoded()?;
    let mut tables = Vec::new();
    for _ in 0..count {
        let head = layout.head(&mut frames)?;
        let empty = Table::new(head.schema).map_err(|e| e.to_string())?;
        let mut parts = Vec::new();
        let mut left = head.chunks as usize;
        while left > 0 {
            let n = workers().min(left);
            let group = (0..n).map(|_| frames.next()).collect::<Result<Vec<Vec<u8>>, String>>()?;
            parts.extend(decode_parts(&empty, &group));
            left -= n;
        }
        let mut table = empty.load_parts(head.next_rowid, parts, head.orders).map_err(|e| e.to_string())?;
        for (key, at) in head.expiry {
            if !table.rows.contains_key(&key) {
                return Err(format!("table {}: an expiry for missing row {key}", table.name()));
            }
            table.set_expiry(&key, Some(at));
        }
        tables.push(table);
    }
    type Rest = (Vec<ViewDef>, Vec<String>, Vec<(String, Vec<Message>)>, Vec<TriggerDef>);
    let (views, namespaces, streams, triggers): Rest = frames.decoded()?;
    let commit: Option<CommitInfo> = match layout {
        _ if layout.has_commit() => frames.decoded()?,
        _ => None,
    };
    let before_end = frames.read;
    let end: u64 = frames.decoded()?;
    if end != before_end {
        return Err(format!("the end frame counts {end} frames, the file holds {before_end}"));
    }
    let mut rest = [0u8; 1];
    if frames.input.read(&mut rest).map_err(|e| e.to_string())? != 0 {
        return Err("bytes after the end frame".into());
    }
    let (version, mut state) = finish(version, tables, views, namespaces, streams, triggers)?;
    if let Some(commit) = commit {
        state.apply(&WriteOp::Commit(std::sync::Arc::new(commit))).map_err(|e| e.to_string())?;
    }
    Ok((version, state))
}

/// Loads a checkpoint from a reader, whatever its format: its version and state.
pub fn load(mut input: impl std::io::Read) -> Result<(u64, State), String> {
    let mut magic = [0u8; 8];
    input.read_exact(&mut magic).map_err(|_| "not a checkpoint file (bad header)".to_string())?;
    if let Some(layout) = Layout::of(&magic) {
        return decode_framed(input, layout);
    }
    let mut bytes = magic.to_vec();
    input.read_to_end(&mut bytes).map_err(|e| e.to_string())?;
    decode(&bytes)
}

/// Checks every frame of a checkpoint against its CRC without building its state:
/// its version, or why it cannot be used.
pub fn verify_stream(mut input: impl std::io::Read) -> Result<u64, String> {
    let mut magic = [0u8; 8];
    input.read_exact(&mut magic).map_err(|_| "not a checkpoint file (bad header)".to_string())?;
    let Some(layout) = Layout::of(&magic) else {
        let mut bytes = magic.to_vec();
        input.read_to_end(&mut bytes).map_err(|e| e.to_string())?;
        return verify(&bytes);
    };
    let mut version = [0u8; 8];
    input.read_exact(&mut version).map_err(|_| "not a checkpoint file (bad header)".to_string())?;
    let mut frames = Frames { input, read: 0 };
    let tables: u32 = frames.decoded()?;
    for _ in 0..tables {
        let chunks = layout.head(&mut frames)?.chunks;
        for _ in 0..chunks {
            frames.next()?;
        }
    }
    frames.next()?;
    if layout.has_commit() {
        frames.next()?;
    }
    let before_end = frames.read;
    let end: u64 = frames.decoded()?;
    if end != before_end {
        return Err(format!("the end frame counts {end} frames, the file holds {before_end}"));
    }
    let mut rest = [0u8; 1];
    if frames.input.read(&mut rest).map_err(|e| e.to_string())? != 0 {
        return Err("bytes after the end frame".into());
    }
    Ok(u64::from_le_bytes(version))
}

/// Checks a checkpoint's header, length and checksum without decoding it: its version,
/// or why it cannot be used.
pub fn verify(bytes: &[u8]) -> Result<u64, String> {
    if bytes.len() < HEADER || (&bytes[0..8] != MAGIC && &bytes[0..8] != MAGIC_V2) {
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
    if crc32fast::hash(&bytes[HEADER..]) != crc {
        return Err("checksum mismatch".into());
    }
    Ok(version)
}

/// Reads a checkpoint back: its version and state, or why it cannot be used.
pub fn decode(bytes: &[u8]) -> Result<(u64, State), String> {
    if let Some(layout) = Layout::of(bytes) {
        return decode_framed(&bytes[8..], layout);
    }
    let version = verify(bytes)?;
    let payload = &bytes[HEADER..];
    type Payload<'a> = (Vec<TableIn<'a>>, Vec<ViewDef>, Vec<String>, Vec<(String, Vec<Message>)>);
    let undecodable = |e: postcard::Error| format!("undecodable: {e}");
    let (images, views, namespaces, streams, triggers) = if &bytes[0..8] == MAGIC_V2 {
        let (images, views, namespaces, streams): Payload = postcard::from_bytes(payload).map_err(undecodable)?;
        (images, views, namespaces, streams, Vec::new())
    } else {
        type WithTriggers<'a> =
            (Vec<TableIn<'a>>, Vec<ViewDef>, Vec<String>, Vec<(String, Vec<Message>)>, Vec<TriggerDef>);
        let full: WithTriggers = postcard::from_bytes(payload).map_err(undecodable)?;
        full
    };
    let mut tables = Vec::with_capacity(images.len());
    for image in images {
        let empty = Table::new(image.schema.into()).map_err(|e| e.to_string())?;
        let parts: Vec<_> = image.chunks.chunks(workers()).flat_map(|g| decode_parts(&empty, g)).collect();
        let mut table = empty.load_parts(image.next_rowid, parts, image.orders).map_err(|e| e.to_string())?;
        for (key, at) in image.expiry {
            if !table.rows.contains_key(&key) {
                return Err(format!("table {}: an expiry for missing row {key}", table.name()));
            }
            table.set_expiry(&key, Some(at));
        }
        tables.push(table);
    }
    finish(version, tables, views, namespaces, streams, triggers)
}

/// The state from its decoded parts: tables, views, namespaces, message stores and
/// triggers (each trigger on a table or view there is).
fn finish(
    version: u64,
    tables: Vec<Table>,
    views: Vec<ViewDef>,
    namespaces: Vec<String>,
    streams: Vec<(String, Vec<Message>)>,
    triggers: Vec<TriggerDef>,
) -> Result<(u64, State), String> {
    let mut stores = Vec::with_capacity(streams.len());
    for (ns, messages) in streams {
        let mut store = MessageStore::default();
        for m in &messages {
            store.append(m).map_err(|e| format!("namespace {ns}: {e}"))?;
        }
        store.seal();
        stores.push((ns, store));
    }
    let state = State::from_tables(tables).with_views(views).with_namespaces(namespaces, stores);
    for t in &triggers {
        if state.table(&t.table).is_none() && state.view(&t.table).is_none() {
            return Err(format!("trigger {} watches missing table {}", t.name, t.table));
        }
    }
    Ok((version, state.with_triggers(triggers)))
}

/// A chunk of rows decoded straight into pages of `table`'s, with its index entries:
/// no row is built as a value of its own on the way.
fn decode_part(table: &Table, chunk: &[u8]) -> crate::error::Result<Part> {
    let mut part = table.part();
    let mut row = Vec::new();
    let mut input = postcard::Deserializer::from_bytes(chunk);
    serde::de::DeserializeSeed::deserialize(ChunkSeed { part: &mut part, row: &mut row }, &mut input)
        .map_err(|e| crate::error::Error::invalid(format!("undecodable rows: {e}")))?;
    Ok(part.finish())
}

/// Chunks decoded each on a thread of its own, in order.
fn decode_parts(table: &Table, group: &[impl AsRef<[u8]> + Sync]) -> Vec<crate::error::Result<Part>> {
    std::thread::scope(|s| {
        let handles: Vec<_> = group.iter().map(|c| s.spawn(move || decode_part(table, c.as_ref()))).collect();
        handles
            .into_iter()
            .map(|h| h.join().unwrap_or_else(|_| Err(crate::error::Error::invalid("a decoding thread failed"))))
            .collect()
    })
}

/// How many chunks are decoded at once.
fn workers() -> usize {
    std::thread::available_parallelism().map_or(1, |n| n.get()).clamp(1, 4)
}

/// A chunk: a sequence of `(key, row)`, each pushed into the part as it is read.
struct ChunkSeed<'p, 'a> {
    part: &'p mut PartBuilder<'a>,
    row: &'p mut Vec<Value>,
}

impl<'de> serde::de::DeserializeSeed<'de> for ChunkSeed<'_, '_> {
    type Value = ();

    fn deserialize<D: serde::Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_seq(self)
    }
}

impl<'de> serde::de::Visitor<'de> for ChunkSeed<'_, '_> {
    type Value = ();

    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("a chunk of rows")
    }

    fn visit_seq<A: serde::de::SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        while seq.next_element_seed(RowSeed { part: &mut *self.part, row: &mut *self.row })?.is_some() {}
        Ok(())
    }
}

/// One `(key, row)`, its values read into a reused buffer.
struct RowSeed<'p, 'a> {
    part: &'p mut PartBuilder<'a>,
    row: &'p mut Vec<Value>,
}

impl<'de> serde::de::DeserializeSeed<'de> for RowSeed<'_, '_> {
    type Value = ();

    fn deserialize<D: serde::Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_tuple(2, self)
    }
}

impl<'de> serde::de::Visitor<'de> for RowSeed<'_, '_> {
    type Value = ();

    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("a key and a row")
    }

    fn visit_seq<A: serde::de::SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        use serde::de::Error as _;
        let key: RowKey = seq.next_element()?.ok_or_else(|| A::Error::custom("a row without its key"))?;
        self.row.clear();
        seq.next_element_seed(Values(&mut *self.row))?.ok_or_else(|| A::Error::custom("a key without its row"))?;
        self.part.push(key, self.row).map_err(A::Error::custom)
    }
}

/// A row's values, into a buffer.
struct Values<'p>(&'p mut Vec<Value>);

impl<'de> serde::de::DeserializeSeed<'de> for Values<'_> {
    type Value = ();

    fn deserialize<D: serde::Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_seq(self)
    }
}

impl<'de> serde::de::Visitor<'de> for Values<'_> {
    type Value = ();

    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("a row of values")
    }

    fn visit_seq<A: serde::de::SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        while let Some(v) = seq.next_element::<Value>()? {
            self.0.push(v);
        }
        Ok(())
    }
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

/// A checkpoint in the unframed format (`AMBERCK3`) that sessions before the framed
/// one wrote, for the tests that read such files.
#[cfg(test)]
fn encode_v3(state: &State, version: u64) -> Result<Vec<u8>, String> {
    let encoded: Vec<(&Table, Encoded)> =
        state.tables().map(|t| encode_table(t).map(|e| (t, e))).collect::<Result<_, _>>()?;
    let tables: Vec<TableOut> = encoded
        .iter()
        .map(|(t, e)| TableOut {
            schema: TableSchemaV1::from(&*t.schema),
            next_rowid: t.next_rowid,
            chunks: e.chunks.iter().map(|c| Bytes(c)).collect(),
            orders: e.orders.clone(),
            expiry: t.expiry.iter().map(|(k, &at)| (k, at)).collect(),
        })
        .collect();
    let views: Vec<&ViewDef> = state.views().map(|v| &**v).collect();
    let namespaces: Vec<&String> = state.namespaces().collect();
    let streams: Streams = state.message_stores().map(|(ns, s)| (ns, s.messages().map(|m| &**m).collect())).collect();
    let triggers: Vec<&TriggerDef> = state.triggers().map(|t| &**t).collect();
    let mut buf = postcard::to_extend(&(tables, views, namespaces, streams, triggers), vec![0u8; HEADER])
        .map_err(|e| format!("cannot encode a checkpoint: {e}"))?;
    let len = (buf.len() - HEADER) as u64;
    let crc = crc32fast::hash(&buf[HEADER..]);
    buf[0..8].copy_from_slice(MAGIC);
    buf[8..16].copy_from_slice(&version.to_le_bytes());
    buf[16..24].copy_from_slice(&len.to_le_bytes());
    buf[24..28].copy_from_slice(&crc.to_le_bytes());
    Ok(buf)
}

#[cfg(test)]
mod tests;
