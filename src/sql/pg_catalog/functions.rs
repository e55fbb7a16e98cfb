//! PostgreSQL's catalog functions, answered from the schema (`format_type`,
//! `pg_get_indexdef`, `pg_get_constraintdef`, `::regclass`, …), and its arrays in
//! their text form (`{1,2,"a b"}`): what psql's `\d` and drivers' catalog queries
//! call. AmberDB has no array type: an array is its text, which these functions read.

use crate::error::{Error, Result};
use crate::storage::{State, Value};

use super::objects::{self, Relation};
use super::{schemas, split, PG_TYPES};

/// A catalog or array function.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CatalogFn {
    /// `x::regclass`: a relation's id reads as its name, a name as its id.
    RegClass,
    /// `x::regtype`: a type's id reads as its name.
    RegType,
    /// `x::regnamespace`: a schema's id reads as its name.
    RegNamespace,
    /// `x::regproc`: functions have no ids; the text stays.
    RegProc,
    /// `format_type(type_oid, typmod)`.
    FormatType,
    /// `pg_get_expr(expr, relation[, pretty])`: expressions are kept as text already.
    GetExpr,
    /// `pg_get_indexdef(index_oid[, column, pretty])`.
    GetIndexDef,
    /// `pg_get_constraintdef(constraint_oid[, pretty])`.
    GetConstraintDef,
    /// `pg_partition_ancestors(oid)`: no partitions, so the relation itself.
    PartitionAncestors,
    /// Functions about what AmberDB has none of (extended statistics, triggers by id,
    /// comments): NULL.
    Nothing,
    /// `pg_relation_is_publishable(oid)`: nothing is published.
    NotPublishable,
    /// `a[i]`: the element at `i` (from 1).
    ArrayElement,
    /// `x = ANY(a)`: whether `a` holds `x`.
    ArrayContains,
    /// `array_to_string(a, separator[, null_text])`.
    ArrayToString,
    /// `array_upper(a, dimension)`, `array_length(a, dimension)`, `cardinality(a)`.
    ArrayLength,
    /// `array_lower(a, dimension)`: 1 for a non-empty array.
    ArrayLower,
}

impl CatalogFn {
    /// Whether the function returns text (else an integer or boolean, see
    /// `is_boolean`).
    pub fn returns_text(self) -> bool {
        !matches!(
            self,
            CatalogFn::PartitionAncestors
                | CatalogFn::NotPublishable
                | CatalogFn::ArrayContains
                | CatalogFn::ArrayLength
                | CatalogFn::ArrayLower
        )
    }

    /// Whether it returns a boolean.
    pub fn is_boolean(self) -> bool {
        matches!(self, CatalogFn::NotPublishable | CatalogFn::ArrayContains)
    }

    /// Calls the function; `state` is the schema the statement reads.
    pub fn call(self, state: Option<&State>, args: &[Value]) -> Result<Value> {
        let arg = |i: usize| args.get(i).unwrap_or(&Value::Null);
        let no_state = State::default();
        let state = state.unwrap_or(&no_state);
        Ok(match self {
            CatalogFn::RegClass => match arg(0) {
                Value::Null => Value::Null,
                Value::Integer(oid) => match objects::relation(state, *oid) {
                    Some(r) => Value::text(&r.display_name()),
                    None => Value::text(&oid.to_string()),
                },
                other => {
                    let name = as_text(other);
                    match name.trim().parse::<i64>() {
                        Ok(oid) => Value::Integer(oid),
                        Err(_) => {
                            let bare = name.trim_matches('"');
                            let oid = objects::relation_oid(state, bare)
                                .ok_or_else(|| Error::invalid(format!("relation \"{bare}\" does not exist")))?;
                            Value::Integer(oid)
                        }
                    }
                }
            },
            CatalogFn::RegType => match arg(0) {
                Value::Null => Value::Null,
                Value::Integer(oid) => Value::text(&format_type(*oid)),
                other => {
                    let name = as_text(other);
                    match name.trim().parse::<i64>() {
                        Ok(oid) => Value::Integer(oid),
                        Err(_) => {
                            let lower = name.trim().to_ascii_lowercase();
                            let found = PG_TYPES.iter().find(|t| t.1 == lower || sql_name(t.0) == lower);
                            let found =
                                found.ok_or_else(|| Error::invalid(format!("type \"{lower}\" does not exist")))?;
                            Value::Integer(found.0)
                        }
                    }
                }
            },
            CatalogFn::RegNamespace => match arg(0) {
                Value::Null => Value::Null,
                Value::Integer(oid) => {
                    let name = schemas(state).into_iter().find(|(o, _)| o == oid).map(|(_, n)| n);
                    Value::text(&name.unwrap_or_else(|| oid.to_string()))
                }
                other => {
                    let name = as_text(other).to_ascii_lowercase();
                    let found = schemas(state).into_iter().find(|(_, n)| *n == name);
                    Value::Integer(found.ok_or_else(|| Error::invalid(format!("schema \"{name}\" does not exist")))?.0)
                }
            },
            CatalogFn::RegProc | CatalogFn::GetExpr => arg(0).clone(),
            CatalogFn::FormatType => match arg(0) {
                Value::Integer(oid) => Value::text(&format_type(*oid)),
                _ => Value::Null,
            },
            CatalogFn::GetIndexDef => match arg(0) {
                Value::Integer(oid) => index_def(state, *oid, int(arg(1)).unwrap_or(0)),
                _ => Value::Null,
            },
            CatalogFn::GetConstraintDef => match arg(0) {
                Value::Integer(oid) => objects::constraints(state)
                    .iter()
                    .find(|c| c.oid == *oid)
                    .map_or(Value::Null, |c| Value::text(&c.definition())),
                _ => Value::Null,
            },
            CatalogFn::PartitionAncestors => match arg(0) {
                Value::Null => Value::Null,
                Value::Integer(oid) => Value::Integer(*oid),
                other => return CatalogFn::RegClass.call(Some(state), std::slice::from_ref(other)),
            },
            CatalogFn::Nothing => Value::Null,
            CatalogFn::NotPublishable => Value::Boolean(false),
            CatalogFn::ArrayElement => match (array_elements(arg(0)), int(arg(1))) {
                (Some(items), Some(i)) if i >= 1 => {
                    items.into_iter().nth((i - 1) as usize).flatten().map_or(Value::Null, |s| Value::text(&s))
                }
                _ => Value::Null,
            },
            CatalogFn::ArrayContains => match (array_elements(arg(0)), arg(1)) {
                (_, Value::Null) | (None, _) => Value::Null,
                (Some(items), x) => {
                    let x = as_text(x);
                    let found = items.iter().any(|i| i.as_deref() == Some(&*x));
                    match found {
                        true => Value::Boolean(true),
                        false if items.iter().any(Option::is_none) => Value::Null,
                        false => Value::Boolean(false),
                    }
                }
            },
            CatalogFn::ArrayToString => match array_elements(arg(0)) {
                None => Value::Null,
                Some(items) => {
                    let separator = as_text(arg(1));
                    let null = match arg(2) {
                        Value::Null => None,
                        v => Some(as_text(v)),
                    };
                    let parts: Vec<String> = items.into_iter().filter_map(|i| i.or_else(|| null.clone())).collect();
                    Value::text(&parts.join(&separator))
                }
            },
            CatalogFn::ArrayLength => match array_elements(arg(0)) {
                Some(items) if !items.is_empty() && int(arg(1)).is_none_or(|d| d == 1) => {
                    Value::Integer(items.len() as i64)
                }
                Some(items) if items.is_empty() && args.len() == 1 => Value::Integer(0),
                _ => Value::Null,
            },
            CatalogFn::ArrayLower => match array_elements(arg(0)) {
                Some(items) if !items.is_empty() && int(arg(1)) == Some(1) => Value::Integer(1),
                _ => Value::Null,
            },
        })
    }
}

/// A value as text, as CAST(v AS TEXT) gives it ('' for NULL).
fn as_text(v: &Value) -> String {
    match crate::storage::convert::cast(v, crate::storage::DataType::Text) {
        Some(Value::Text(t)) => t.to_string(),
        _ => String::new(),
    }
}

fn int(v: &Value) -> Option<i64> {
    match v {
        Value::Integer(i) => Some(*i),
        Value::Text(t) => t.trim().parse().ok(),
        _ => None,
    }
}

/// The SQL name of a type, as `format_type` gives it.
fn sql_name(oid: i64) -> String {
    match oid {
        16 => "boolean".into(),
        20 => "bigint".into(),
        21 => "smallint".into(),
        23 => "integer".into(),
        700 => "real".into(),
        701 => "double precision".into(),
        1043 => "character varying".into(),
        1114 => "timestamp without time zone".into(),
        1184 => "timestamp with time zone".into(),
        _ => PG_TYPES.iter().find(|t| t.0 == oid).map_or_else(|| "???".to_string(), |t| t.1.to_string()),
    }
}

/// `format_type(oid, typmod)`.
fn format_type(oid: i64) -> String {
    match PG_TYPES.iter().find(|t| t.4 == oid) {
        // An array type: its element's name with [].
        Some(element) => format!("{}[]", sql_name(element.0)),
        None => sql_name(oid),
    }
}

/// `pg_get_indexdef(oid, column)`: the whole CREATE INDEX for column 0, else that
/// key column's name.
fn index_def(state: &State, oid: i64, column: i64) -> Value {
    let Some(Relation::Index { schema, index }) = objects::relation(state, oid) else { return Value::Null };
    let table = &index.table.schema;
    let def = table.indexes.iter().find(|d| d.name == index.name);
    let part = |k: usize| -> String {
        let expr = def.and_then(|d| d.exprs.get(k).cloned().flatten());
        let name = index.columns.get(k).and_then(|&c| table.columns.get(c)).map(|c| c.name.clone());
        let mut text = match expr {
            // A call shows as it is, any other expression in parentheses.
            Some(e) if is_call(&e) => e,
            Some(e) => format!("({e})"),
            None => name.unwrap_or_default(),
        };
        if def.is_some_and(|d| d.desc.get(k) == Some(&true)) {
            text.push_str(" DESC");
        }
        text
    };
    if column > 0 {
        return Value::text(&part(column as usize - 1));
    }
    let parts: Vec<String> = (0..index.columns.len()).map(part).collect();
    let (_, bare) = split(&table.name);
    let unique = if index.unique { "UNIQUE " } else { "" };
    let mut text = format!("CREATE {unique}INDEX {} ON {schema}.{bare} USING btree ({})", index.name, parts.join(", "));
    if let Some(predicate) = def.and_then(|d| d.predicate.as_ref()) {
        text.push_str(&format!(" WHERE ({predicate})"));
    }
    Value::text(&text)
}

/// Whether `e` is one function call, `f(…)`, as a whole.
fn is_call(e: &str) -> bool {
    let Some(open) = e.find('(') else { return false };
    let name = &e[..open];
    if name.is_empty() || !name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') || !e.ends_with(')') {
        return false;
    }
    let mut depth = 0i32;
    for (i, c) in e.char_indices().skip(open) {
        match c {
            '(' => depth += 1,
            ')' => {
                depth -= 1;
                if depth == 0 {
                    return i == e.len() - 1;
                }
            }
            _ => {}
        }
    }
    false
}

/// The elements of an array's text form, `{a,"b c",NULL}`; `None` when it is not one.
pub fn array_elements(v: &Value) -> Option<Vec<Option<String>>> {
    let text = match v {
        Value::Text(t) => t.to_string(),
        Value::Null => return None,
        other => as_text(other),
    };
    let body = text.trim().strip_prefix('{')?.strip_suffix('}')?;
    let mut items = Vec::new();
    if body.trim().is_empty() {
        return Some(items);
    }
    let mut chars = body.chars().peekable();
    loop {
        while chars.peek().is_some_and(|c| c.is_whitespace()) {
            chars.next();
        }
        let mut item = String::new();
        let quoted = chars.peek() == Some(&'"');
        if quoted {
            chars.next();
            loop {
                match chars.next()? {
                    '\\' => item.push(chars.next()?),
                    '"' => break,
                    c => item.push(c),
                }
            }
            while chars.peek().is_some_and(|c| *c != ',') {
                chars.next();
            }
            items.push(Some(item));
        } else {
            while let Some(&c) = chars.peek() {
                if c == ',' {
                    break;
                }
                item.push(c);
                chars.next();
            }
            let item = item.trim();
            items.push(if item.eq_ignore_ascii_case("null") { None } else { Some(item.to_string()) });
        }
        match chars.next() {
            Some(',') => continue,
            None => return Some(items),
            Some(_) => return None,
        }
    }
}

/// Values as an array's text form: `{1,2,"a b",NULL}`.
pub fn array_text(values: &[Value]) -> String {
    let items: Vec<String> = values
        .iter()
        .map(|v| match v {
            Value::Null => "NULL".to_string(),
            Value::Integer(_) | Value::Real(_) => as_text(v),
            Value::Boolean(b) => if *b { "t" } else { "f" }.to_string(),
            other => {
                let t = as_text(other);
                let plain = !t.is_empty()
                    && !t.eq_ignore_ascii_case("null")
                    && !t.chars().any(|c| matches!(c, '{' | '}' | ',' | '"' | '\\') || c.is_whitespace());
                if plain {
                    t.to_string()
                } else {
                    format!("\"{}\"", t.replace('\\', "\\\\").replace('"', "\\\""))
                }
            }
        })
        .collect();
    format!("{{{}}}", items.join(","))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn arrays_read_back_what_they_write() {
        let values = [Value::Integer(1), Value::text("a b"), Value::Null, Value::text("q\"x"), Value::text("")];
        let text = array_text(&values);
        assert_eq!(text, r#"{1,"a b",NULL,"q\"x",""}"#);
        let items = array_elements(&Value::text(&text)).unwrap();
        assert_eq!(items, vec![Some("1".into()), Some("a b".into()), None, Some("q\"x".into()), Some(String::new())]);
        assert_eq!(array_elements(&Value::text("{}")).unwrap(), Vec::<Option<String>>::new());
        assert!(array_elements(&Value::text("1,2")).is_none());
        assert!(array_elements(&Value::text("{\"open")).is_none());
    }

    #[test]
    fn array_functions_follow_postgresql() {
        let a = Value::text("{3,1,NULL}");
        let call = |f: CatalogFn, args: &[Value]| f.call(None, args).unwrap();
        assert_eq!(call(CatalogFn::ArrayElement, &[a.clone(), Value::Integer(2)]), Value::text("1"));
        assert_eq!(call(CatalogFn::ArrayElement, &[a.clone(), Value::Integer(9)]), Value::Null);
        assert_eq!(call(CatalogFn::ArrayContains, &[a.clone(), Value::Integer(3)]), Value::Boolean(true));
        // Not found, but a NULL might have been it.
        assert_eq!(call(CatalogFn::ArrayContains, &[a.clone(), Value::Integer(7)]), Value::Null);
        assert_eq!(call(CatalogFn::ArrayToString, &[a.clone(), Value::text("-")]), Value::text("3-1"));
        assert_eq!(
            call(CatalogFn::ArrayToString, &[a.clone(), Value::text("-"), Value::text("*")]),
            Value::text("3-1-*")
        );
        assert_eq!(call(CatalogFn::ArrayLength, &[a, Value::Integer(1)]), Value::Integer(3));
        assert_eq!(call(CatalogFn::ArrayLength, &[Value::text("{}"), Value::Integer(1)]), Value::Null);
        assert_eq!(
            call(CatalogFn::FormatType, &[Value::Integer(1184), Value::Integer(-1)]),
            Value::text("timestamp with time zone")
        );
        assert_eq!(call(CatalogFn::FormatType, &[Value::Integer(1007), Value::Integer(-1)]), Value::text("integer[]"));
    }
}
