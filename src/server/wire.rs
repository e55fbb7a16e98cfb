//! Values on the wire: AmberDB's types as PostgreSQL's, result values encoded in text
//! or binary format, and parameters decoded from either.
//!
//! A column's PostgreSQL type comes from its AmberDB type (INTEGER is `int8`, REAL
//! `float8`, TIMESTAMP `timestamp`, JSON `json`); a column whose values may be of
//! several types is `text`, and each value goes as its text.

use std::sync::Arc;

use bytes::{BufMut, BytesMut};
use pgwire::api::results::{FieldFormat, FieldInfo};
use pgwire::api::Type;
use pgwire::messages::data::DataRow;

use crate::{DataType, Value};

/// Microseconds from the Unix epoch to PostgreSQL's (2000-01-01).
const PG_EPOCH_MICROS: i64 = 946_684_800_000_000;

/// The PostgreSQL type of an AmberDB column type (`None`: of no one type).
pub fn pg_type(ty: Option<DataType>) -> Type {
    match ty {
        Some(DataType::Integer) => Type::INT8,
        Some(DataType::Real) => Type::FLOAT8,
        Some(DataType::Boolean) => Type::BOOL,
        Some(DataType::Timestamp) => Type::TIMESTAMP,
        Some(DataType::Json) => Type::JSON,
        Some(DataType::Text | DataType::Any) | None => Type::TEXT,
    }
}

/// The type a column of values gets when nothing says more: that of its values when
/// they are all of one kind (NULLs aside), else text.
pub fn type_of_values<'a>(values: impl Iterator<Item = &'a Value>) -> Type {
    let mut found: Option<Type> = None;
    for v in values {
        let t = match v {
            Value::Null => continue,
            Value::Integer(_) => Type::INT8,
            Value::Real(_) => Type::FLOAT8,
            Value::Text(_) => Type::TEXT,
            Value::Boolean(_) => Type::BOOL,
            Value::Timestamp(_) => Type::TIMESTAMP,
            Value::Blob(_) => Type::BYTEA,
        };
        match &found {
            None => found = Some(t),
            Some(f) if *f == t => {}
            Some(_) => return Type::TEXT,
        }
    }
    found.unwrap_or(Type::TEXT)
}

/// The row description of a result.
pub fn fields(columns: &[String], types: &[Type], format: impl Fn(usize) -> FieldFormat) -> Arc<Vec<FieldInfo>> {
    Arc::new(
        columns
            .iter()
            .zip(types)
            .enumerate()
            .map(|(i, (name, ty))| {
                let size = match *ty {
                    Type::INT8 | Type::FLOAT8 | Type::TIMESTAMP => 8,
                    Type::BOOL => 1,
                    _ => -1,
                };
                FieldInfo::new(name.clone(), None, None, ty.clone(), format(i)).with_type_size(size)
            })
            .collect(),
    )
}

/// One result row, each value in its field's type and format.
pub fn encode_row(row: &[Value], fields: &[FieldInfo], buf: &mut BytesMut) -> Result<DataRow, String> {
    for (v, f) in row.iter().zip(fields) {
        if v.is_null() {
            buf.put_i32(-1);
            continue;
        }
        let at = buf.len();
        buf.put_i32(0);
        match f.format() {
            FieldFormat::Text => text(v, buf),
            FieldFormat::Binary => binary(v, f.datatype(), buf).map_err(|e| format!("column {}: {e}", f.name()))?,
        }
        let len = (buf.len() - at - 4) as i32;
        buf[at..at + 4].copy_from_slice(&len.to_be_bytes());
    }
    Ok(DataRow::new(buf.split(), row.len().min(fields.len()) as i16))
}

/// A value's text, as PostgreSQL writes one of its type.
fn text(v: &Value, buf: &mut BytesMut) {
    match v {
        Value::Null => {}
        Value::Integer(i) => buf.put_slice(i.to_string().as_bytes()),
        Value::Real(r) => buf.put_slice(float_text(*r).as_bytes()),
        Value::Text(t) => buf.put_slice(t.as_bytes()),
        Value::Boolean(b) => buf.put_u8(if *b { b't' } else { b'f' }),
        Value::Timestamp(t) => buf.put_slice(crate::format_timestamp(*t).as_bytes()),
        Value::Blob(b) => {
            buf.put_slice(b"\\x");
            for byte in b.iter() {
                buf.put_slice(format!("{byte:02x}").as_bytes());
            }
        }
    }
}

/// A float as PostgreSQL writes it (`extra_float_digits` 1, its default since 12): the
/// shortest text that reads back as the same number, with an exponent below 1e-4 and
/// from 1e15 up.
pub fn float_text(r: f64) -> String {
    if r.is_nan() {
        return "NaN".into();
    }
    if r.is_infinite() {
        return if r > 0.0 { "Infinity" } else { "-Infinity" }.into();
    }
    if r == 0.0 {
        return if r.is_sign_negative() { "-0" } else { "0" }.into();
    }
    let sci = format!("{r:e}");
    let (mantissa, exp) = sci.split_once('e').unwrap_or((&sci, "0"));
    let exp: i32 = exp.parse().unwrap_or(0);
    if !(-4..15).contains(&exp) {
        let sign = if exp < 0 { '-' } else { '+' };
        format!("{mantissa}e{sign}{:02}", exp.abs())
    } else {
        format!("{r}")
    }
}

fn binary(v: &Value, ty: &Type, buf: &mut BytesMut) -> Result<(), String> {
    let wrong = || format!("{v} cannot be sent as {}", ty.name());
    match *ty {
        Type::INT8 => buf.put_i64(integer(v).ok_or_else(wrong)?),
        Type::INT4 => buf.put_i32(integer(v).and_then(|i| i32::try_from(i).ok()).ok_or_else(wrong)?),
        Type::INT2 => buf.put_i16(integer(v).and_then(|i| i16::try_from(i).ok()).ok_or_else(wrong)?),
        Type::FLOAT8 => buf.put_f64(real(v).ok_or_else(wrong)?),
        Type::FLOAT4 => buf.put_f32(real(v).ok_or_else(wrong)? as f32),
        Type::BOOL => match v {
            Value::Boolean(b) => buf.put_u8(*b as u8),
            Value::Integer(i) => buf.put_u8((*i != 0) as u8),
            _ => return Err(wrong()),
        },
        Type::TIMESTAMP | Type::TIMESTAMPTZ => match v {
            Value::Timestamp(t) => buf.put_i64(t - PG_EPOCH_MICROS),
            _ => return Err(wrong()),
        },
        Type::BYTEA => match v {
            Value::Blob(b) => buf.put_slice(b),
            other => text(other, buf),
        },
        Type::JSONB => {
            buf.put_u8(1);
            text(v, buf)
        }
        // text, json, varchar and the rest: their text is their binary form.
        _ => text(v, buf),
    }
    Ok(())
}

fn integer(v: &Value) -> Option<i64> {
    match v {
        Value::Integer(i) => Some(*i),
        Value::Boolean(b) => Some(*b as i64),
        Value::Real(r) if r.fract() == 0.0 && r.abs() < 9.2e18 => Some(*r as i64),
        _ => None,
    }
}

fn real(v: &Value) -> Option<f64> {
    match v {
        Value::Real(r) => Some(*r),
        Value::Integer(i) => Some(*i as f64),
        _ => None,
    }
}

/// A parameter's value from its bytes (`None`: NULL) in text or binary format.
pub fn decode_param(bytes: Option<&[u8]>, ty: &Type, binary: bool) -> Result<Value, String> {
    let Some(bytes) = bytes else { return Ok(Value::Null) };
    if binary {
        return decode_binary(bytes, ty);
    }
    let s = std::str::from_utf8(bytes).map_err(|_| "parameter is not valid UTF-8".to_string())?;
    let bad = || format!("invalid input syntax for type {}: \"{s}\"", ty.name());
    Ok(match *ty {
        Type::INT2 | Type::INT4 | Type::INT8 | Type::OID => Value::Integer(s.trim().parse().map_err(|_| bad())?),
        Type::FLOAT4 | Type::FLOAT8 | Type::NUMERIC => {
            let t = s.trim();
            match t.parse::<i64>() {
                // A whole number stays an integer, as SQLite reads a literal.
                Ok(i) if *ty == Type::NUMERIC => Value::Integer(i),
                _ => Value::Real(match t.to_ascii_lowercase().as_str() {
                    "nan" => f64::NAN,
                    "infinity" | "inf" => f64::INFINITY,
                    "-infinity" | "-inf" => f64::NEG_INFINITY,
                    _ => t.parse().map_err(|_| bad())?,
                }),
            }
        }
        Type::BOOL => Value::Boolean(match s.trim().to_ascii_lowercase().as_str() {
            "t" | "true" | "yes" | "on" | "1" | "y" => true,
            "f" | "false" | "no" | "off" | "0" | "n" => false,
            _ => return Err(bad()),
        }),
        Type::BYTEA => match s.strip_prefix("\\x") {
            Some(hex) => Value::Blob(Arc::new(unhex(hex).ok_or_else(bad)?)),
            None => Value::Blob(Arc::new(s.as_bytes().to_vec())),
        },
        Type::TIMESTAMP | Type::TIMESTAMPTZ | Type::DATE => {
            Value::Timestamp(crate::parse_timestamp(s.trim()).ok_or_else(bad)?)
        }
        _ => Value::text(s),
    })
}

fn unhex(hex: &str) -> Option<Vec<u8>> {
    if !hex.len().is_multiple_of(2) {
        return None;
    }
    (0..hex.len()).step_by(2).map(|i| hex.get(i..i + 2).and_then(|p| u8::from_str_radix(p, 16).ok())).collect()
}

fn decode_binary(b: &[u8], ty: &Type) -> Result<Value, String> {
    let short = || format!("binary {} parameter has {} bytes", ty.name(), b.len());
    let array = |n: usize| -> Result<&[u8], String> {
        if b.len() == n {
            Ok(b)
        } else {
            Err(short())
        }
    };
    Ok(match *ty {
        Type::INT2 => Value::Integer(i16::from_be_bytes(array(2)?.try_into().map_err(|_| short())?) as i64),
        Type::INT4 => Value::Integer(i32::from_be_bytes(array(4)?.try_into().map_err(|_| short())?) as i64),
        Type::OID => Value::Integer(u32::from_be_bytes(array(4)?.try_into().map_err(|_| short())?) as i64),
        Type::INT8 => Value::Integer(i64::from_be_bytes(array(8)?.try_into().map_err(|_| short())?)),
        Type::FLOAT4 => Value::Real(f32::from_be_bytes(array(4)?.try_into().map_err(|_| short())?) as f64),
        Type::FLOAT8 => Value::Real(f64::from_be_bytes(array(8)?.try_into().map_err(|_| short())?)),
        Type::BOOL => Value::Boolean(array(1)?[0] != 0),
        Type::TIMESTAMP | Type::TIMESTAMPTZ => {
            let t = i64::from_be_bytes(array(8)?.try_into().map_err(|_| short())?);
            Value::Timestamp(t.saturating_add(PG_EPOCH_MICROS))
        }
        Type::DATE => {
            let days = i32::from_be_bytes(array(4)?.try_into().map_err(|_| short())?) as i64;
            Value::Timestamp(days * 86_400_000_000 + PG_EPOCH_MICROS)
        }
        Type::BYTEA => Value::Blob(Arc::new(b.to_vec())),
        Type::UUID => {
            let u = array(16)?;
            let h: String = u.iter().map(|x| format!("{x:02x}")).collect();
            Value::text(&format!("{}-{}-{}-{}-{}", &h[0..8], &h[8..12], &h[12..16], &h[16..20], &h[20..32]))
        }
        Type::JSONB => match b.split_first() {
            Some((1, rest)) => Value::text(std::str::from_utf8(rest).map_err(|_| "jsonb is not UTF-8".to_string())?),
            _ => return Err("unsupported jsonb version".into()),
        },
        Type::NUMERIC => numeric(b).ok_or_else(|| "malformed binary numeric".to_string())?,
        _ => Value::text(std::str::from_utf8(b).map_err(|_| format!("{} parameter is not UTF-8", ty.name()))?),
    })
}

/// A binary `numeric`: digit count, weight, sign, scale, then base-10000 digits.
fn numeric(b: &[u8]) -> Option<Value> {
    let word = |i: usize| b.get(i * 2..i * 2 + 2).map(|w| i16::from_be_bytes([w[0], w[1]]));
    let (ndigits, weight, sign, scale) = (word(0)? as usize, word(1)? as i32, word(2)? as u16, word(3)?);
    if sign == 0xC000 {
        return Some(Value::Real(f64::NAN));
    }
    let mut text = String::new();
    if sign == 0x4000 {
        text.push('-');
    }
    let mut whole = String::new();
    let mut frac = String::new();
    for k in 0..ndigits {
        let d = word(4 + k)?;
        let power = weight - k as i32;
        if power >= 0 {
            whole.push_str(&format!("{d:04}"));
        } else {
            while (frac.len() as i32) < (-power - 1) * 4 {
                frac.push_str("0000");
            }
            frac.push_str(&format!("{d:04}"));
        }
    }
    // Whole groups after the last digit given are zeros.
    let given_whole = (0..ndigits).filter(|k| weight - *k as i32 >= 0).count() as i32;
    for _ in given_whole..(weight + 1).max(0) {
        whole.push_str("0000");
    }
    let whole = whole.trim_start_matches('0');
    text.push_str(if whole.is_empty() { "0" } else { whole });
    if scale > 0 {
        frac.truncate(scale as usize);
        while frac.len() < scale as usize {
            frac.push('0');
        }
        text.push('.');
        text.push_str(&frac);
        text.parse().ok().map(Value::Real)
    } else {
        text.parse::<i64>().ok().map(Value::Integer).or_else(|| text.parse().ok().map(Value::Real))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn floats_read_as_postgres_writes_them() {
        assert_eq!(float_text(1.5), "1.5");
        assert_eq!(float_text(100.0), "100");
        assert_eq!(float_text(1e15), "1e+15");
        assert_eq!(float_text(123456789012345.0), "123456789012345");
        assert_eq!(float_text(0.0001), "0.0001");
        assert_eq!(float_text(0.00001234), "1.234e-05");
        assert_eq!(float_text(f64::INFINITY), "Infinity");
        assert_eq!(float_text(0.1 + 0.2), "0.30000000000000004");
    }

    #[test]
    fn binary_numerics_decode() {
        // 12345.678: ndigits 3, weight 1, +, scale 3: 1 2345 6780
        let words: [i16; 7] = [3, 1, 0, 3, 1, 2345, 6780];
        let b: Vec<u8> = words.iter().flat_map(|w| w.to_be_bytes()).collect();
        assert_eq!(numeric(&b), Some(Value::Real(12345.678)));
        // 20000: ndigits 1, weight 1, +, scale 0: 2 (then a zero group)
        let words: [i16; 5] = [1, 1, 0, 0, 2];
        let b: Vec<u8> = words.iter().flat_map(|w| w.to_be_bytes()).collect();
        assert_eq!(numeric(&b), Some(Value::Integer(20000)));
        // -0.05: ndigits 1, weight -1, -, scale 2: 500
        let words: [i16; 5] = [1, -1, 0x4000, 2, 500];
        let b: Vec<u8> = words.iter().flat_map(|w| w.to_be_bytes()).collect();
        assert_eq!(numeric(&b), Some(Value::Real(-0.05)));
    }

    #[test]
    fn parameters_decode_from_text_and_binary() {
        assert_eq!(decode_param(Some(b"42"), &Type::INT4, false), Ok(Value::Integer(42)));
        assert_eq!(decode_param(Some(&7i64.to_be_bytes()), &Type::INT8, true), Ok(Value::Integer(7)));
        assert_eq!(decode_param(Some(b"t"), &Type::BOOL, false), Ok(Value::Boolean(true)));
        assert_eq!(decode_param(Some(b"\\x0aff"), &Type::BYTEA, false), Ok(Value::Blob(Arc::new(vec![10, 255]))));
        assert_eq!(decode_param(None, &Type::TEXT, false), Ok(Value::Null));
        assert!(decode_param(Some(b"x1"), &Type::INT8, false).is_err());
        assert!(decode_param(Some(b"12"), &Type::INT8, true).is_err());
    }
}
