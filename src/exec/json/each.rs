//! The table functions `json_each(doc [, path])` and `json_tree(doc [, path])`: one row
//! per member of the container the path names (`json_each`), or per value under it,
//! itself first, depth first (`json_tree`).
//!
//! Their `id` is what SQLite gives: where the element starts in the document's binary
//! form (JSONB), for an object member where its label starts. An element there is a
//! header of 1, 2, 3 or 5 bytes, by its payload's size, and the payload: a string's or
//! a number's text as written, a container's elements one after another.
//!
//! Each row holds the columns of `JSON_TABLE_COLUMNS`.

use super::functions::{document, number_value, to_sql};
use super::path::{self, Step};
use super::{Json, TYPE_NAMES};
use crate::error::{Error, Result};
use crate::exec::eval::Ctx;
use crate::storage::json::members::{self, header};
use crate::storage::rows::Mask;
use crate::storage::Value;

/// Calls `f` with each row the function gives for its arguments (the document, and the
/// path when there is one) until it returns `false`; returns whether it never did. Each
/// row is written into `out` after what it holds (the row of the tables it is joined
/// to), and `f` is given all of it.
pub fn table_rows(
    tree: bool,
    args: &[Value],
    reads: Option<Mask>,
    ctx: &Ctx,
    out: &mut Vec<Value>,
    f: &mut dyn FnMut(&Vec<Value>) -> Result<bool>,
) -> Result<bool> {
    // `json_each` over a text that is plain JSON reads it where it is written; anything
    // else (JSON5, a number, `json_tree`) becomes a tree first.
    let source = match args.first() {
        Some(Value::Text(t)) if !tree => match members::root(t) {
            Ok(span) => Source::Text(t, span),
            Err(_) => Source::Tree(Json::parse_sql(t)?),
        },
        first => match first.map_or(Ok(None), document)? {
            Some(doc) => Source::Tree(doc),
            None => return Ok(true),
        },
    };
    let root = match args.get(1) {
        None => "$".to_string(),
        Some(Value::Null) => return Ok(true),
        Some(Value::Text(t)) => t.to_string(),
        Some(other) => return Err(Error::invalid(format!("bad JSON path: '{other}'"))),
    };
    let steps = path::parse_spans(&root)?;
    let wants = |c: usize| reads.is_none_or(|m| m.has(c));
    let wanted = Wanted {
        key: wants(0),
        value: wants(1),
        type_name: wants(2),
        atom: wants(3),
        parent: wants(5),
        fullkey: wants(6),
        // The paths of a tree's rows are built from their parents' full keys.
        path: wants(7) || (tree && wants(6)),
    };
    let prefix = out.len();
    let mut walk = Walk { tree, ctx, f, rows: 0, wanted, out, prefix, types: Default::default() };
    let doc = match source {
        Source::Text(text, span) => return walk.each_in_text(text, span, steps.iter().map(|(s, _)| s), &root),
        Source::Tree(doc) => doc,
    };
    let Some((node, id, at)) = locate(&doc, 0, steps.iter().map(|(s, _)| s)) else { return Ok(true) };
    if tree {
        let (key, parent_path) = tree_root(&doc, &root, id);
        if !walk.row(key, Node::Tree(node), id, Value::Null, &root, parent_path)? {
            return Ok(false);
        }
        return walk.children(node, id, at, &root);
    }
    match node {
        Json::Array(_) | Json::Object(_) => walk.children(node, id, at, &root),
        // A value that is not a container is the one row; its key is NULL.
        _ => walk.row(Value::Null, Node::Tree(node), id, Value::Null, &root, &root),
    }
}

/// The document: its text, with where its value starts and ends, when it is plain
/// JSON that `json_each` can read as written, or its tree.
enum Source<'t> {
    Text(&'t str, (usize, usize)),
    Tree(Json),
}

/// A value a row is made of: an element of a document's tree, or a value's text as
/// written in the document (plain JSON).
#[derive(Clone, Copy)]
enum Node<'a> {
    Tree(&'a Json),
    Text(&'a str),
}

impl Node<'_> {
    /// The place of its type in `TYPE_NAMES`.
    fn type_index(self) -> usize {
        match self {
            Node::Tree(j) => j.type_index(),
            Node::Text(raw) => members::type_index(raw),
        }
    }

    /// The value as SQL gives it (a container as its minified text); `slot` is its
    /// type's place.
    fn sql(self, slot: usize) -> Value {
        match self {
            Node::Tree(j) => to_sql(j),
            Node::Text(raw) => match slot {
                0 => Value::Null,
                1 => Value::Integer(1),
                2 => Value::Integer(0),
                3 | 4 => number_value(raw),
                5 => Value::text(&super::unescape(&raw[1..raw.len() - 1])),
                _ => Value::text(&members::minified(raw)),
            },
        }
    }

    /// A container's minified text.
    fn text(self) -> String {
        match self {
            Node::Tree(j) => j.text(),
            Node::Text(raw) => members::minified(raw),
        }
    }
}

/// The key and path of `json_tree`'s first row, the element at `id` the root path
/// names, worked out as SQLite does: the path is the longest start of the root path
/// (cut before a `.` or `[`) naming a container whose first member is that element
/// (`$` when there is none), and the key is the rest of the root path, as a number
/// after `[`, without `."` and its last character after `."`, as written otherwise.
fn tree_root<'r>(doc: &Json, root: &'r str, id: usize) -> (Value, &'r str) {
    let b = root.as_bytes();
    if b.len() < 2 {
        return (Value::Null, root);
    }
    let mut n = b.len();
    while n > 1 {
        n -= 1;
        if b[n] != b'[' && b[n] != b'.' {
            continue;
        }
        let Ok(steps) = path::parse(&root[..n]) else { continue };
        if let Some((node, _, at)) = locate(doc, 0, steps.iter()) {
            if at + header(payload(node)) == id {
                break;
            }
        }
    }
    let rest = &root[n..];
    let key = if let Some(index) = rest.strip_prefix('[') {
        let digits = index.bytes().take_while(u8::is_ascii_digit).count();
        Value::Integer(index[..digits].parse().unwrap_or(0))
    } else if let Some(quoted) = rest.strip_prefix(".\"") {
        // SQLite drops the last character, the closing quote when the label is the
        // path's last step, whatever it is otherwise (`."x y"[1]` gives `x y"[1`).
        Value::text(quoted.char_indices().last().map_or(quoted, |(i, _)| &quoted[..i]))
    } else {
        Value::text(&rest[1.min(rest.len())..])
    };
    (key, &root[..n])
}

/// What the steps name in the document whose element `doc` starts at `at`: the
/// element, where its row starts in the binary form (for an object member, at its
/// label, as SQLite counts) and where the element itself starts.
fn locate<'a, 's>(
    mut doc: &'a Json,
    mut at: usize,
    steps: impl Iterator<Item = &'s Step>,
) -> Option<(&'a Json, usize, usize)> {
    let mut id = at;
    for step in steps {
        let mut next = at + header(payload(doc));
        match (doc, step) {
            (Json::Object(members), Step::Key(k)) => {
                let mut found = None;
                for (label, value) in members {
                    let label_size = size_of_text(label);
                    if path::key_matches(label, k) {
                        found = Some((value, next, next + label_size));
                        break;
                    }
                    next += label_size + size(value);
                }
                (doc, id, at) = found?;
            }
            (Json::Array(items), step) => {
                let i = path::place(step, items.len())?;
                let item = items.get(i)?;
                next += items[..i].iter().map(size).sum::<usize>();
                (doc, id, at) = (item, next, next);
            }
            _ => return None,
        }
    }
    Some((doc, id, at))
}

fn size_of_text(raw: &str) -> usize {
    header(raw.len()) + raw.len()
}

/// The size of an element's payload in the binary form.
fn payload(j: &Json) -> usize {
    match j {
        Json::Null | Json::Bool(_) => 0,
        Json::Num(n) => n.len(),
        Json::Str(s) => s.len(),
        Json::Array(items) => items.iter().map(size).sum(),
        Json::Object(members) => members.iter().map(|(k, v)| size_of_text(k) + size(v)).sum(),
    }
}

/// The size of an element in the binary form, header and payload.
fn size(j: &Json) -> usize {
    let n = payload(j);
    header(n) + n
}

/// The columns a statement reads (the others are left NULL and not worked out).
struct Wanted {
    key: bool,
    value: bool,
    type_name: bool,
    atom: bool,
    parent: bool,
    fullkey: bool,
    path: bool,
}

struct Walk<'a, 'f> {
    tree: bool,
    ctx: &'a Ctx<'a>,
    f: &'f mut dyn FnMut(&Vec<Value>) -> Result<bool>,
    rows: usize,
    wanted: Wanted,
    /// The row being handed out: the first `prefix` values stay, the function's
    /// columns follow.
    out: &'f mut Vec<Value>,
    prefix: usize,
    /// The `type` column's values, each made once.
    types: [Option<Value>; 8],
}

impl Walk<'_, '_> {
    fn row(&mut self, key: Value, node: Node, id: usize, parent: Value, fullkey: &str, path: &str) -> Result<bool> {
        self.rows += 1;
        if self.rows.is_multiple_of(4096) {
            self.ctx.check_interrupt()?;
        }
        let w = &self.wanted;
        let slot = node.type_index();
        let container = slot >= 6;
        let (value, atom) = match node {
            node if container && w.value => {
                let text = node.text();
                self.ctx.check_length(text.len())?;
                (Value::text(&text), Value::Null)
            }
            _ if container => (Value::Null, Value::Null),
            node if w.value || w.atom => {
                let v = node.sql(slot);
                match (w.value, w.atom) {
                    (true, true) => (v.clone(), v),
                    (true, false) => (v, Value::Null),
                    _ => (Value::Null, v),
                }
            }
            _ => (Value::Null, Value::Null),
        };
        let text_if = |wanted: bool, s: &str| if wanted { Value::text(s) } else { Value::Null };
        let type_name = if w.type_name {
            self.types[slot].get_or_insert_with(|| Value::text(TYPE_NAMES[slot])).clone()
        } else {
            Value::Null
        };
        self.out.truncate(self.prefix);
        self.out.extend([
            key,
            value,
            type_name,
            atom,
            Value::Integer(id as i64),
            parent,
            text_if(w.fullkey, fullkey),
            text_if(w.path, path),
        ]);
        (self.f)(self.out)
    }

    /// The `key` column of a member: its label as written (an object's), or its place.
    fn key(&self, label: Option<&str>, i: usize) -> Value {
        match label {
            _ if !self.wanted.key => Value::Null,
            Some(label) => Value::text(&super::unescape(label)),
            None => Value::Integer(i as i64),
        }
    }

    /// `json_each` over a document's text (plain JSON, its value where `span` says),
    /// read where it is written: the container the steps name is found and its
    /// members listed with their sizes in the binary form, which give the ids; nothing
    /// is built but the rows. `root` is the path the steps were read from.
    fn each_in_text<'s>(
        &mut self,
        text: &str,
        (mut from, mut to): (usize, usize),
        steps: impl Iterator<Item = &'s Step>,
        root: &str,
    ) -> Result<bool> {
        let mut list = Vec::new();
        // Where the named value's row and the value itself start in the binary form.
        let (mut id, mut at) = (0, 0);
        for step in steps {
            list.clear();
            let Some(payload) = members::members(text, from, &mut list).map_err(|m| m.error())? else {
                return Ok(true);
            };
            let mut next = at + header(payload);
            let array = text.as_bytes()[from] == b'[';
            let found = match step {
                Step::Key(key) if !array => list.iter().find_map(|m| {
                    let (start, end) = m.label?;
                    let label = header(end - start) + end - start;
                    if path::key_matches(&text[start..end], key) {
                        return Some((next, next + label, m));
                    }
                    next += label + m.size;
                    None
                }),
                Step::Key(_) => None,
                _ if !array => None,
                step => path::place(step, list.len()).and_then(|i| {
                    let m = list.get(i)?;
                    next += list[..i].iter().map(|m| m.size).sum::<usize>();
                    Some((next, next, m))
                }),
            };
            let Some((row, value, m)) = found else { return Ok(true) };
            (id, at, from, to) = (row, value, m.from, m.to);
        }
        list.clear();
        let Some(payload) = members::members(text, from, &mut list).map_err(|m| m.error())? else {
            // A value that is not a container is the one row; its key is NULL.
            return self.row(Value::Null, Node::Text(&text[from..to]), id, Value::Null, root, root);
        };
        let mut next = at + header(payload);
        let mut name = String::new();
        for (i, m) in list.iter().enumerate() {
            let label = m.label.map(|(start, end)| &text[start..end]);
            if self.wanted.fullkey {
                name_member(&mut name, root, label, i);
            }
            let value = next + label.map_or(0, |l| header(l.len()) + l.len());
            let key = self.key(label, i);
            if !self.row(key, Node::Text(&text[m.from..m.to]), next, Value::Null, &name, root)? {
                return Ok(false);
            }
            next = value + m.size;
        }
        Ok(true)
    }

    /// The rows of a container's members (and, for `json_tree`, of everything under
    /// them): `id` is the container's row's, `at` where the container itself starts
    /// (past its label) and `fullkey` its path.
    fn children(&mut self, node: &Json, id: usize, at: usize, fullkey: &str) -> Result<bool> {
        let mut at = at + header(payload(node));
        let parent = if self.tree && self.wanted.parent { Value::Integer(id as i64) } else { Value::Null };
        let named = self.wanted.fullkey || (self.tree && self.wanted.path);
        let mut name = String::new();
        match node {
            Json::Array(items) => {
                for (i, item) in items.iter().enumerate() {
                    if named {
                        name_member(&mut name, fullkey, None, i);
                    }
                    let key = self.key(None, i);
                    if !self.member(key, item, (at, at), parent.clone(), &name, fullkey)? {
                        return Ok(false);
                    }
                    at += size(item);
                }
            }
            Json::Object(members) => {
                for (label, value) in members {
                    if named {
                        name_member(&mut name, fullkey, Some(label), 0);
                    }
                    let key = self.key(Some(label), 0);
                    let value_at = at + size_of_text(label);
                    if !self.member(key, value, (at, value_at), parent.clone(), &name, fullkey)? {
                        return Ok(false);
                    }
                    at = value_at + size(value);
                }
            }
            _ => {}
        }
        Ok(true)
    }

    /// One member's row (`id` is where its row starts, for an object member its label;
    /// `at` where its value starts), and under `json_tree` the rows of what it holds.
    fn member(
        &mut self,
        key: Value,
        node: &Json,
        (id, at): (usize, usize),
        parent: Value,
        fullkey: &str,
        path: &str,
    ) -> Result<bool> {
        if !self.row(key, Node::Tree(node), id, parent, fullkey, path)? {
            return Ok(false);
        }
        if self.tree && matches!(node, Json::Array(_) | Json::Object(_)) {
            return crate::storage::stack::grow(|| self.children(node, id, at, fullkey));
        }
        Ok(true)
    }
}

/// The full key of a container's member into `name`: the container's, then the
/// member's label as a step, or its place (`i`) in brackets when it has no label.
fn name_member(name: &mut String, fullkey: &str, label: Option<&str>, i: usize) {
    name.clear();
    name.push_str(fullkey);
    match label {
        Some(label) => push_label_step(name, label),
        None => {
            name.push('[');
            name.push_str(&i.to_string());
            name.push(']');
        }
    }
}

/// A label as a path step: `.name` when it is a letter followed by letters and digits
/// (ASCII), `."label"` otherwise, the label as written.
fn push_label_step(out: &mut String, raw: &str) {
    let b = raw.as_bytes();
    let plain = b.first().is_some_and(u8::is_ascii_alphabetic) && b.iter().all(u8::is_ascii_alphanumeric);
    if plain {
        out.push('.');
        out.push_str(raw);
    } else {
        out.push_str(".\"");
        out.push_str(raw);
        out.push('"');
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rows(tree: bool, doc: &str, path: Option<&str>) -> Vec<Vec<Value>> {
        let now = std::cell::OnceCell::new();
        let ctx = Ctx::for_constants(&now);
        let mut args = vec![Value::text(doc)];
        args.extend(path.map(Value::text));
        let mut out = Vec::new();
        table_rows(tree, &args, None, &ctx, &mut Vec::new(), &mut |r| {
            out.push(r.to_vec());
            Ok(true)
        })
        .unwrap();
        out
    }

    #[test]
    fn ids_are_offsets_in_the_binary_form() {
        // {"a":[1,2],"b":"xy"}: a payload of 12 bytes, so a header of 2; label "a" at
        // 2, the array at 4 (1 and 2 at 5 and 7), label "b" at 9, "xy" at 11.
        let r = rows(true, r#"{"a":[1,2],"b":"xy"}"#, None);
        let ids: Vec<_> = r.iter().map(|r| r[4].clone()).collect();
        assert_eq!(ids, [0, 2, 5, 7, 9].map(Value::Integer));
        let parents: Vec<_> = r.iter().map(|r| r[5].clone()).collect();
        assert_eq!(parents, [Value::Null, Value::Integer(0), Value::Integer(2), Value::Integer(2), Value::Integer(0)]);
        assert_eq!(r[2][6], Value::text("$.a[0]"));
        assert_eq!(r[2][7], Value::text("$.a"));
    }

    #[test]
    fn each_lists_members_or_the_value_itself() {
        let r = rows(false, r#"{"a b":1,"c":[true]}"#, None);
        assert_eq!(r.len(), 2);
        assert_eq!(r[0][6], Value::text("$.\"a b\""));
        assert_eq!(r[1][1], Value::text("[true]"));
        assert_eq!(r[1][3], Value::Null);
        let r = rows(false, "[1,[2,3]]", Some("$[1][0]"));
        assert_eq!(
            r,
            vec![vec![
                Value::Null,
                Value::Integer(2),
                Value::text("integer"),
                Value::Integer(2),
                Value::Integer(4),
                Value::Null,
                Value::text("$[1][0]"),
                Value::text("$[1][0]"),
            ]]
        );
        assert!(rows(false, "[1]", Some("$.x")).is_empty());
    }
}
