//! Walks the rows an access path names: all of them, some keys, a key range, or the
//! rows an index points at. Callers still check the whole WHERE clause on every row.

use std::cell::RefCell;
use std::cmp::Ordering;
use std::ops::Bound;

use super::eval::{eval, Ctx, Env};
use crate::error::{Error, Result};
use crate::sql::plan::{Access, BExpr, Range};

use crate::storage::rows;
use crate::storage::table::{Index, IndexEntry, IndexKey, Slot};
use crate::storage::{Row, RowKey, Table, Value};

/// A row a source yields: a stored row, which is kept by counting a reference, or one
/// built for the moment (a joined or reordered row), which is copied only if kept.
/// Two words (both are thin references), so it passes in registers row after row.
#[derive(Clone, Copy)]
pub enum RowRef<'a> {
    Stored(&'a Row),
    Built(&'a Vec<Value>),
}

impl RowRef<'_> {
    pub fn to_row(self) -> Row {
        match self {
            RowRef::Stored(r) => r.clone(),
            RowRef::Built(values) => Row::from(values.as_slice()),
        }
    }
}

impl std::ops::Deref for RowRef<'_> {
    type Target = [Value];

    fn deref(&self) -> &[Value] {
        match self {
            RowRef::Stored(r) => r,
            RowRef::Built(values) => values,
        }
    }
}

/// How often (in rows) a scan checks the interrupt flag.
const INTERRUPT_EVERY: usize = 4096;

type Bounds = (Option<(Value, bool)>, Option<(Value, bool)>);

fn values(exprs: &[BExpr], ctx: &Ctx) -> Result<Vec<Value>> {
    let env = Env { row: &[], aggs: &[], ctx };
    exprs.iter().map(|e| eval(e, &env)).collect()
}

/// The bounds' values; `None` when a bound is NULL, which no row satisfies.
fn bounds(range: &Range, ctx: &Ctx) -> Result<Option<Bounds>> {
    let env = Env { row: &[], aggs: &[], ctx };
    let one = |b: &Option<(BExpr, bool)>| -> Result<Option<(Value, bool)>> {
        b.as_ref().map(|(e, incl)| Ok((eval(e, &env)?, *incl))).transpose()
    };
    let (lo, hi) = (one(&range.lo)?, one(&range.hi)?);
    if lo.iter().chain(hi.iter()).any(|(v, _)| v.is_null()) {
        return Ok(None);
    }
    Ok(Some((lo, hi)))
}

/// Whether an ordered walk that started at `prefix` (and the low bound) takes this key,
/// skips it, or is past everything it wants.
enum Step {
    Take,
    Skip,
    Stop,
}

fn step(key: &[Value], prefix: &[Value], (lo, hi): &Bounds) -> Step {
    let p = prefix.len();
    if key.len() < p || key[..p] != *prefix {
        return Step::Stop;
    }
    let Some(v) = key.get(p) else { return Step::Take };
    if let Some((lo, incl)) = lo {
        match v.total_cmp(lo) {
            Ordering::Less => return Step::Skip,
            Ordering::Equal if !incl => return Step::Skip,
            _ => {}
        }
    }
    if let Some((hi, incl)) = hi {
        match v.total_cmp(hi) {
            Ordering::Greater => return Step::Stop,
            Ordering::Equal if !incl => return Step::Stop,
            _ => {}
        }
    }
    if v.is_null() && (lo.is_some() || hi.is_some()) {
        return Step::Skip;
    }
    Step::Take
}

/// The start of an ordered walk: the prefix followed by the low bound.
fn start(prefix: &[Value], lo: &Option<(Value, bool)>) -> IndexKey {
    match (prefix, lo) {
        ([one], None) | ([], Some((one, _))) => IndexKey::One(one.clone()),
        _ => IndexKey::from_vec(prefix.iter().cloned().chain(lo.as_ref().map(|(v, _)| v.clone())).collect()),
    }
}

fn as_int(v: &Value) -> Option<i64> {
    match v {
        Value::Integer(i) => Some(*i),
        Value::Boolean(b) => Some(*b as i64),
        Value::Real(r) if r.fract() == 0.0 && r.abs() < 9.2e18 => Some(*r as i64),
        _ => None,
    }
}

/// The row key a tuple of primary key values names, if a row could have it (none when
/// a value is NULL). An integer key is read without a vector of values.
fn tuple_key(table: &Table, tuple: &[BExpr], ctx: &Ctx) -> Result<Option<RowKey>> {
    if table.schema.integer_key().is_some() {
        let env = Env { row: &[], aggs: &[], ctx };
        let value = tuple.first().map(|e| eval(e, &env)).transpose()?;
        return Ok(value.as_ref().and_then(as_int).map(RowKey::Int));
    }
    let vals = values(tuple, ctx)?;
    Ok((!vals.iter().any(Value::is_null)).then(|| RowKey::Tuple(vals.into())))
}

/// Integer key bounds that include every key a SQL comparison could accept.
fn int_bounds((lo, hi): &Bounds) -> Option<(Bound<RowKey>, Bound<RowKey>)> {
    let lo = match lo {
        None => Bound::Unbounded,
        Some((Value::Real(r), _)) => Bound::Included(RowKey::Int(r.floor() as i64)),
        Some((v, incl)) => {
            let i = as_int(v)?; // text sorts after every number: no key is above it
            if *incl {
                Bound::Included(RowKey::Int(i))
            } else {
                Bound::Excluded(RowKey::Int(i))
            }
        }
    };
    let hi = match hi {
        None | Some((Value::Text(_), _)) => Bound::Unbounded,
        Some((Value::Real(r), _)) => Bound::Included(RowKey::Int(r.ceil() as i64)),
        Some((v, incl)) => {
            let i = as_int(v)?;
            if *incl {
                Bound::Included(RowKey::Int(i))
            } else {
                Bound::Excluded(RowKey::Int(i))
            }
        }
    };
    Some((lo, hi))
}

/// Calls `f` with each row the access path yields until it returns `false`.
///
/// With `covering`, rows found through an index are built from its entries (index
/// columns and key; other columns NULL) instead of being fetched: the planner sets it
/// only when the statement reads nothing else.
pub fn scan(
    table: &Table,
    access: &Access,
    covering: bool,
    ctx: &Ctx,
    f: impl FnMut(&RowKey, RowRef) -> Result<bool>,
) -> Result<()> {
    let mut seen = 0usize;
    let mut f = f;
    // Rows that have expired are invisible from the moment they expire.
    let now = (!table.expiry.is_empty()).then(|| ctx.now());
    let mut visit = |k: &RowKey, r: RowRef| -> Result<bool> {
        if let Some(now) = now {
            if !table.is_live(k, now) {
                return Ok(true);
            }
        }
        if seen.is_multiple_of(INTERRUPT_EVERY) {
            ctx.check_interrupt()?;
        }
        seen += 1;
        f(k, r)
    };
    // Stored rows are decoded, one at a time, into this row, lent to the visitor.
    let mut row = Vec::with_capacity(table.schema.columns.len());
    let mut stored = |k: &RowKey, bytes: &[u8]| -> Result<bool> {
        if let Some(now) = now {
            if !table.is_live(k, now) {
                return Ok(true);
            }
        }
        rows::decode_into(bytes, &mut row);
        visit(k, RowRef::Built(&row))
    };
    match access {
        Access::Full { reverse: false } => {
            for (k, r) in table.rows.iter_bytes() {
                if !stored(k, r)? {
                    break;
                }
            }
        }
        Access::Full { reverse: true } => {
            for (k, r) in table.rows.iter_bytes().rev() {
                if !stored(k, r)? {
                    break;
                }
            }
        }
        Access::Keys(tuples) if tuples.len() == 1 => {
            // A point lookup: no list of keys to build, sort and deduplicate.
            if let Some(k) = tuple_key(table, &tuples[0], ctx)? {
                if let Some(r) = table.rows.get_bytes(&k) {
                    stored(&k, r)?;
                }
            }
        }
        Access::Keys(tuples) => {
            let mut keys = Vec::with_capacity(tuples.len());
            for t in tuples {
                keys.extend(tuple_key(table, t, ctx)?);
            }
            keys.sort();
            keys.dedup();
            for k in keys {
                if let Some(r) = table.rows.get_bytes(&k) {
                    if !stored(&k, r)? {
                        break;
                    }
                }
            }
        }
        Access::KeyRange { prefix, range } => {
            let Some(b) = bounds(range, ctx)? else { return Ok(()) };
            if table.schema.integer_key().is_some() {
                let Some(range) = int_bounds(&b) else { return Ok(()) };
                for (k, r) in table.rows.range_bytes(range) {
                    if !stored(k, r)? {
                        break;
                    }
                }
                return Ok(());
            }
            let prefix = values(prefix, ctx)?;
            let from = RowKey::Tuple(start(&prefix, &b.0).as_slice().into());
            for (k, r) in table.rows.range_bytes(from..) {
                let RowKey::Tuple(key) = k else { continue };
                match step(key, &prefix, &b) {
                    Step::Stop => break,
                    Step::Skip => continue,
                    Step::Take if !stored(k, r)? => break,
                    Step::Take => {}
                }
            }
        }
        Access::Index { name, prefix, range, reverse } => {
            let index = index_of(table, name)?;
            let fetch = Fetch::new(table, index, covering);
            if *reverse {
                for e in index.entries.iter().rev() {
                    if !fetch.visit(e, &mut visit)? {
                        break;
                    }
                }
                return Ok(());
            }
            let Some(b) = bounds(range, ctx)? else { return Ok(()) };
            let prefix = values(prefix, ctx)?;
            walk_index(&fetch, &prefix, &b, &mut visit)?;
        }
        Access::IndexKeys { name, keys } => {
            let index = index_of(table, name)?;
            let fetch = Fetch::new(table, index, covering);
            let mut lists = keys.iter().map(|k| values(k, ctx)).collect::<Result<Vec<_>>>()?;
            lists.sort();
            lists.dedup();
            for prefix in lists.into_iter().filter(|p| !p.iter().any(Value::is_null)) {
                if !walk_index(&fetch, &prefix, &(None, None), &mut visit)? {
                    break;
                }
            }
        }
    }
    Ok(())
}

fn index_of<'a>(table: &'a Table, name: &str) -> Result<&'a crate::storage::table::Index> {
    table.index(name).ok_or_else(|| Error::invalid(format!("no such index: {name}")))
}

/// How rows found through an index reach the visitor.
struct Fetch<'a> {
    table: &'a Table,
    index: &'a Index,
    /// For a covering scan, the row built from each entry in turn: its index and key
    /// columns are overwritten, the others stay NULL. Lent to the visitor, which copies
    /// it if it keeps it.
    built: Option<RefCell<Vec<Value>>>,
    /// Otherwise, the row each entry points at, decoded in turn.
    decoded: RefCell<Vec<Value>>,
}

impl<'a> Fetch<'a> {
    fn new(table: &'a Table, index: &'a Index, covering: bool) -> Fetch<'a> {
        let built = covering.then(|| RefCell::new(vec![Value::Null; table.schema.columns.len()]));
        Fetch { table, index, built, decoded: RefCell::new(Vec::new()) }
    }
}

impl Fetch<'_> {
    /// Visits the row an index entry points at; false once the visitor wants no more.
    fn visit(&self, e: &IndexEntry, visit: &mut impl FnMut(&RowKey, RowRef) -> Result<bool>) -> Result<bool> {
        let Slot::Row(k) = &e.slot else { return Ok(true) };
        if let Some(built) = &self.built {
            let mut row = built.borrow_mut();
            self.fill(&mut row, k, e);
            return visit(k, RowRef::Built(&row));
        }
        match self.table.rows.get_bytes(k) {
            Some(bytes) => {
                let mut row = self.decoded.borrow_mut();
                rows::decode_into(bytes, &mut row);
                visit(k, RowRef::Built(&row))
            }
            None => Ok(true),
        }
    }

    /// Writes the entry's index columns and key columns into the row.
    fn fill(&self, row: &mut [Value], key: &RowKey, e: &IndexEntry) {
        for (&c, v) in self.index.columns.iter().zip(e.key.as_slice()) {
            row[c] = v.clone();
        }
        let pk = &self.table.schema.primary_key;
        match key {
            RowKey::Int(k) if pk.len() == 1 => row[pk[0]] = Value::Integer(*k),
            RowKey::Tuple(vals) => pk.iter().zip(vals.iter()).for_each(|(&c, v)| row[c] = v.clone()),
            RowKey::Int(_) => {}
        }
    }
}

fn walk_index(
    fetch: &Fetch,
    prefix: &[Value],
    b: &Bounds,
    visit: &mut impl FnMut(&RowKey, RowRef) -> Result<bool>,
) -> Result<bool> {
    let from = IndexEntry { key: start(prefix, &b.0), slot: Slot::Lo };
    for e in fetch.index.entries.range(from..) {
        match step(e.key.as_slice(), prefix, b) {
            Step::Stop => break,
            Step::Skip => continue,
            Step::Take => {
                if !fetch.visit(e, visit)? {
                    return Ok(false);
                }
            }
        }
    }
    Ok(true)
}
