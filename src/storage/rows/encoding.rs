//! A row's bytes: a tag byte per value and its payload (the format is described in the
//! module above); encoding, decoding all or some columns, and reading one number.

use super::*;

pub(super) const NULL: u8 = 0;

pub(super) const INT8: u8 = 1;

pub(super) const INT16: u8 = 2;

pub(super) const INT32: u8 = 3;

pub(super) const INT64: u8 = 4;

pub(super) const REAL: u8 = 5;

pub(super) const FALSE: u8 = 6;

pub(super) const TRUE: u8 = 7;

pub(super) const TIMESTAMP: u8 = 8;

pub(super) const TEXT: u8 = 9;

pub(super) const BLOB: u8 = 10;

/// Text of up to `SHORT_TEXT_MAX` bytes: the tag is `SHORT_TEXT + length`.
pub(super) const SHORT_TEXT: u8 = 16;

pub(super) const SHORT_TEXT_MAX: usize = (u8::MAX - SHORT_TEXT) as usize;

/// Calls `f` with a row's encoding.
pub(super) fn with_encoded<T>(row: &[Value], f: impl FnOnce(&[u8]) -> T) -> T {
    SCRATCH.with(|scratch| match scratch.try_borrow_mut() {
        Ok(mut buf) => {
            buf.clear();
            encode(row, &mut buf);
            f(&buf)
        }
        // Only a nested call finds it taken; it gets a buffer of its own.
        Err(_) => {
            let mut buf = Vec::new();
            encode(row, &mut buf);
            f(&buf)
        }
    })
}

/// Appends the encoding of a row's values.
pub fn encode(row: &[Value], out: &mut Vec<u8>) {
    for v in row {
        match v {
            Value::Null => out.push(NULL),
            Value::Integer(i) => {
                let i = *i;
                if let Ok(b) = i8::try_from(i) {
                    out.push(INT8);
                    out.extend_from_slice(&b.to_le_bytes());
                } else if let Ok(b) = i16::try_from(i) {
                    out.push(INT16);
                    out.extend_from_slice(&b.to_le_bytes());
                } else if let Ok(b) = i32::try_from(i) {
                    out.push(INT32);
                    out.extend_from_slice(&b.to_le_bytes());
                } else {
                    out.push(INT64);
                    out.extend_from_slice(&i.to_le_bytes());
                }
            }
            Value::Real(r) => {
                out.push(REAL);
                out.extend_from_slice(&r.to_bits().to_le_bytes());
            }
            Value::Boolean(b) => out.push(if *b { TRUE } else { FALSE }),
            Value::Timestamp(t) => {
                out.push(TIMESTAMP);
                out.extend_from_slice(&t.to_le_bytes());
            }
            Value::Text(t) => bytes_of(TEXT, Some(SHORT_TEXT), t.as_bytes(), out),
            Value::Blob(b) => bytes_of(BLOB, None, b, out),
        }
    }
}

pub(super) fn bytes_of(tag: u8, short: Option<u8>, bytes: &[u8], out: &mut Vec<u8>) {
    match short {
        Some(short) if bytes.len() <= SHORT_TEXT_MAX => out.push(short + bytes.len() as u8),
        _ => {
            out.push(tag);
            // A value is far below 4 GiB: statements and files refuse anything near it.
            out.extend_from_slice(&(bytes.len() as u32).to_le_bytes());
        }
    }
    out.extend_from_slice(bytes);
}

/// The value whose tag is `tag`, its payload starting at `*pos` (moved past it). The
/// bytes come from [`encode`]: anything else is a broken invariant of this module.
#[inline(always)]
pub(super) fn read_value(tag: u8, bytes: &[u8], pos: &mut usize) -> Value {
    fn array<const N: usize>(bytes: &[u8], pos: &mut usize) -> [u8; N] {
        let out = bytes[*pos..*pos + N].try_into().expect("a slice of N bytes");
        *pos += N;
        out
    }
    fn take<'a>(bytes: &'a [u8], pos: &mut usize, n: usize) -> &'a [u8] {
        let out = &bytes[*pos..*pos + n];
        *pos += n;
        out
    }
    match tag {
        NULL => Value::Null,
        INT8 => Value::Integer(i8::from_le_bytes(array(bytes, pos)) as i64),
        INT16 => Value::Integer(i16::from_le_bytes(array(bytes, pos)) as i64),
        INT32 => Value::Integer(i32::from_le_bytes(array(bytes, pos)) as i64),
        INT64 => Value::Integer(i64::from_le_bytes(array(bytes, pos))),
        REAL => Value::Real(f64::from_bits(u64::from_le_bytes(array(bytes, pos)))),
        FALSE => Value::Boolean(false),
        TRUE => Value::Boolean(true),
        TIMESTAMP => Value::Timestamp(i64::from_le_bytes(array(bytes, pos))),
        TEXT => {
            let n = u32::from_le_bytes(array(bytes, pos)) as usize;
            Value::Text(text(bytes, pos, n))
        }
        BLOB => {
            let n = u32::from_le_bytes(array(bytes, pos)) as usize;
            Value::Blob(Arc::new(take(bytes, pos, n).to_vec()))
        }
        short => Value::Text(text(bytes, pos, (short - SHORT_TEXT) as usize)),
    }
}

/// The payload size of each tag below `SHORT_TEXT` whose size is fixed (text and blob
/// have a length instead). A table rather than a `match`: integers of mixed widths in
/// one column would make a jump mispredict.
pub(super) const FIXED_SIZE: [u8; SHORT_TEXT as usize] = {
    let mut sizes = [0u8; SHORT_TEXT as usize];
    sizes[INT8 as usize] = 1;
    sizes[INT16 as usize] = 2;
    sizes[INT32 as usize] = 4;
    sizes[INT64 as usize] = 8;
    sizes[REAL as usize] = 8;
    sizes[TIMESTAMP as usize] = 8;
    sizes
};

/// How many payload bytes follow a tag (whose payload starts at `pos`).
#[inline(always)]
pub(super) fn payload_len(tag: u8, bytes: &[u8], pos: usize) -> usize {
    if tag >= SHORT_TEXT {
        (tag - SHORT_TEXT) as usize
    } else if tag == TEXT || tag == BLOB {
        4 + u32::from_le_bytes(bytes[pos..pos + 4].try_into().expect("four bytes")) as usize
    } else {
        FIXED_SIZE[tag as usize] as usize
    }
}

/// The text of `n` bytes at `*pos` (moved past it).
pub(super) fn text(bytes: &[u8], pos: &mut usize, n: usize) -> Text {
    let text = Text::from_stored(&bytes[*pos..], n);
    *pos += n;
    text
}

/// Decodes a row into `out` (replacing what it held).
pub fn decode_into(bytes: &[u8], out: &mut Vec<Value>) {
    out.clear();
    let mut pos = 0;
    while let Some(&tag) = bytes.get(pos) {
        pos += 1;
        out.push(read_value(tag, bytes, &mut pos));
    }
}

/// A set of columns among a row's first 64, as bits (column `c` is bit `c`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Mask(u64);

impl Mask {
    pub const EMPTY: Mask = Mask(0);

    /// The columns listed; `None` when one is past the 64th.
    pub fn of(columns: impl IntoIterator<Item = usize>) -> Option<Mask> {
        let mut bits = 0u64;
        for c in columns {
            bits |= 1u64.checked_shl(u32::try_from(c).ok()?)?;
        }
        Some(Mask(bits))
    }

    /// Every column of a row this wide; `None` past 64.
    pub fn all(width: usize) -> Option<Mask> {
        Mask::of(0..width)
    }

    pub fn and(self, other: Option<Mask>) -> Mask {
        other.map_or(self, |o| Mask(self.0 & o.0))
    }

    pub fn without(self, other: Mask) -> Mask {
        Mask(self.0 & !other.0)
    }

    pub fn union(self, other: Mask) -> Mask {
        Mask(self.0 | other.0)
    }

    /// Whether column `c` is in the set.
    pub fn has(self, c: usize) -> bool {
        c < 64 && self.0 & (1 << c) != 0
    }
}

/// Decodes only the columns `wanted` holds into `out`, which already has the row's
/// width; the others keep what they held. Decoding stops after the last one wanted.
pub fn decode_some(bytes: &[u8], wanted: Mask, out: &mut [Value]) {
    let mut pos = 0;
    let mut left = wanted.0;
    for slot in out.iter_mut() {
        if left == 0 {
            return;
        }
        let Some(&tag) = bytes.get(pos) else { return };
        pos += 1;
        if left & 1 == 1 {
            *slot = read_value(tag, bytes, &mut pos);
        } else {
            pos += payload_len(tag, bytes, pos);
        }
        left >>= 1;
    }
}

/// The number column `column` of a row holds, if it holds one: read from the bytes (no
/// value decoded), the columns before it skipped by their tags.
pub(crate) fn num_at(bytes: &[u8], column: usize) -> Option<Num> {
    let mut pos = 0;
    for _ in 0..column {
        let tag = *bytes.get(pos)?;
        pos += 1 + payload_len(tag, bytes, pos + 1);
    }
    let tag = *bytes.get(pos)?;
    let p = bytes.get(pos + 1..)?;
    Some(match tag {
        INT8 => Num::Int(i8::from_le_bytes(p.get(..1)?.try_into().ok()?) as i64),
        INT16 => Num::Int(i16::from_le_bytes(p.get(..2)?.try_into().ok()?) as i64),
        INT32 => Num::Int(i32::from_le_bytes(p.get(..4)?.try_into().ok()?) as i64),
        INT64 => Num::Int(i64::from_le_bytes(p.get(..8)?.try_into().ok()?)),
        REAL => Num::Real(f64::from_bits(u64::from_le_bytes(p.get(..8)?.try_into().ok()?))),
        _ => return None,
    })
}

/// Decodes a row into a new one.
pub fn decode(bytes: &[u8]) -> Row {
    let mut out = Vec::with_capacity(8);
    decode_into(bytes, &mut out);
    Row::from(out)
}
