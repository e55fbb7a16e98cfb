//! Walks the rows an access path names: all of them, some keys, a key range, or the
//! rows an index points at. Callers still check the whole WHERE clause on every row.

use std::cell::RefCell;
use std::cmp::Ordering;
use std::ops::Bound;
use std::sync::Arc;

use super::eval::{eval, in_place, push_value, Ctx, Env};
use super::reject::Rejects;
use crate::error::{Error, Result};
use crate::sql::plan::{Access, BExpr, Range, RangeEnd};

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

/// Which columns of the rows a scan yields its caller reads.
#[derive(Clone, Copy, Debug)]
pub enum Columns {
    All,
    /// Only these: the others are not decoded (they hold whatever they held).
    Some(rows::Mask),
    /// Only the columns of the index the access path walks, and the key: rows are built
    /// from index entries without fetching them. The planner asks for it only when the
    /// statement reads nothing else.
    Covering,
}

/// A condition a scan decides from some of a row's columns before decoding the rest.
#[derive(Clone, Copy)]
pub struct Check<'a> {
    /// The columns `keeps` reads; `None` when it may read any (a subquery reads the row
    /// through outer references, which name no column) or one past the 64th.
    pub columns: Option<rows::Mask>,
    pub keeps: &'a dyn Fn(&[Value]) -> Result<bool>,
    /// The condition among what `keeps` decides (WHERE, or a join's condition on this
    /// table): its comparisons of columns with numbers are tried on a stored row's
    /// bytes first, and a row they rule out is not decoded (`exec/reject.rs`).
    pub filter: Option<&'a BExpr>,
}

/// How often (in rows) a scan checks the interrupt flag.
const INTERRUPT_EVERY: usize = 4096;

type Bounds = (Option<(Value, bool)>, Option<(Value, bool)>);

fn values(exprs: &[BExpr], ctx: &Ctx) -> Result<Vec<Value>> {
    let env = Env { row: &[], aggs: &[], ctx };
    let mut out = Vec::with_capacity(exprs.len());
    for e in exprs {
        push_value(e, &env, &mut out)?;
    }
    Ok(out)
}

/// The values of an index walk's equality prefix: one value (the usual case) is held
/// without a vector.
enum Prefix {
    One(Value),
    Many(Vec<Value>),
}

impl Prefix {
    fn of(exprs: &[BExpr], ctx: &Ctx) -> Result<Prefix> {
        match exprs {
            [one] => {
                let env = Env { row: &[], aggs: &[], ctx };
                Ok(Prefix::One(match in_place(one, &env) {
                    Some(v) => v.clone(),
                    None => eval(one, &env)?,
                }))
            }
            _ => values(exprs, ctx).map(Prefix::Many),
        }
    }

    fn as_slice(&self) -> &[Value] {
        match self {
            Prefix::One(v) => std::slice::from_ref(v),
            Prefix::Many(vs) => vs,
        }
    }
}

/// The bounds' values; `None` when a bound is NULL, which no row satisfies.
fn bounds(range: &Range, ctx: &Ctx) -> Result<Option<Bounds>> {
    if range.is_empty() {
        // An equality lookup: nothing to evaluate.
        return Ok(Some((None, None)));
    }
    let env = Env { row: &[], aggs: &[], ctx };
    let one = |b: &Option<RangeEnd>| -> Result<Option<(Value, bool)>> {
        b.as_ref().map(|b| Ok((eval(&b.value, &env)?, b.inclusive))).transpose()
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

/// The integer key a one-value tuple names when that value is one already (a parameter
/// or constant): found without an evaluation's `Result`. `None` sends the caller to
/// [`tuple_key`].
fn int_key_in_place(table: &Table, tuple: &[BExpr], ctx: &Ctx) -> Option<RowKey> {
    table.schema.integer_key()?;
    let [one] = tuple else { return None };
    as_int(in_place(one, &Env { row: &[], aggs: &[], ctx })?).map(RowKey::Int)
}

/// The row key a tuple of primary key values names, if a row could have it (none when
/// a value is NULL). An integer key is read without a vector of values.
fn tuple_key(table: &Table, tuple: &[BExpr], ctx: &Ctx) -> Result<Option<RowKey>> {
    if table.schema.integer_key().is_some() {
        if let Some(key) = int_key_in_place(table, tuple, ctx) {
            return Ok(Some(key));
        }
        let key = match tuple.first() {
            Some(e) => as_int(&eval(e, &Env { row: &[], aggs: &[], ctx })?),
            None => None,
        };
        return Ok(key.map(RowKey::Int));
    }
    let vals = values(tuple, ctx)?;
    Ok((!vals.iter().any(Value::is_null)).then(|| RowKey::Tuple(Arc::new(vals))))
}

/// Integer key bounds that include every key a SQL comparison could accept.
fn int_bounds((lo, hi): &Bounds) -> Option<(Bound<RowKey>, Bound<RowKey>)> {
    let lo = match lo {
        None => Bound::Unbounded,
        Some((Value::Real(r), _)) => Bound::Included(RowKey::Int(r.floor() as i64)),
        Some((v, incl)) => {
            // Timestamps, text and blobs sort after every number: no key is above one.
            let i = as_int(v)?;
            if *incl {
                Bound::Included(RowKey::Int(i))
            } else {
                Bound::Excluded(RowKey::Int(i))
            }
        }
    };
    let hi = match hi {
        // Timestamps, text and blobs sort after every number: no key is above one.
        None | Some((Value::Timestamp(_) | Value::Text(_) | Value::Blob(_), _)) => Bound::Unbounded,
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

/// Calls `f` with each row the access path yields that `check` keeps, until it returns
/// `false`, with the `columns` it asks for. A stored row is decoded only as far as the
/// check reads it until the check keeps it.
pub fn scan(
    table: &Table,
    access: &Access,
    columns: Columns,
    check: Option<Check>,
    ctx: &Ctx,
    f: impl FnMut(&RowKey, RowRef) -> Result<bool>,
) -> Result<()> {
    let mut seen = 0usize;
    let out = scan_counting(table, access, columns, check, ctx, f, &mut seen);
    // The session counts the rows its statements read (`.timer on` shows them).
    if let Some(c) = ctx.counters {
        c.read(seen as u64);
    }
    out
}

/// [`scan`], counting into `seen` every row it looks at.
fn scan_counting(
    table: &Table,
    access: &Access,
    columns: Columns,
    check: Option<Check>,
    ctx: &Ctx,
    f: impl FnMut(&RowKey, RowRef) -> Result<bool>,
    seen: &mut usize,
) -> Result<()> {
    let mut f = f;
    // Rows that have expired are invisible from the moment they expire.
    let now = (!table.expiry.is_empty()).then(|| ctx.now());
    let keeps = |row: &[Value]| check.map_or(Ok(true), |c| (c.keeps)(row));
    // One row is decoded whole: working out what to leave out would cost more.
    let mut decoder =
        if access.is_point() { Decoder::whole(table) } else { Decoder::new(table, columns, check.map(|c| c.columns)) };
    // A point lookup decodes its one row anyway; a covering walk builds rows from
    // index entries and reads no stored row.
    let rejects = match check.and_then(|c| c.filter) {
        Some(filter) if !access.is_point() && !matches!(columns, Columns::Covering) => Rejects::of(filter, ctx),
        _ => Rejects::default(),
    };
    let rejecting = !rejects.is_empty();
    let mut each = |k: &RowKey, found: Found| -> Result<bool> {
        if let Some(now) = now {
            if !table.is_live(k, now) {
                return Ok(true);
            }
        }
        if seen.is_multiple_of(INTERRUPT_EVERY) {
            ctx.check_interrupt()?;
        }
        *seen += 1;
        let row = match found {
            Found::Stored(bytes) if rejecting && rejects.reject(bytes) => return Ok(true),
            Found::Stored(bytes) => match decoder.decode(bytes, &keeps)? {
                Some(row) => RowRef::Built(row),
                None => return Ok(true),
            },
            Found::Built(row) if keeps(row)? => RowRef::Built(row),
            Found::Built(_) => return Ok(true),
        };
        f(k, row)
    };
    let mut stored = |k: &RowKey, bytes: &[u8]| each(k, Found::Stored(bytes));
    match access {
        Access::Full { reverse } => table.rows.walk(.., *reverse, &mut stored)?,
        Access::Keys(tuples) if tuples.len() == 1 => {
            // A point lookup: no list of keys to build, sort and deduplicate.
            let key = match int_key_in_place(table, &tuples[0], ctx) {
                Some(k) => Some(k),
                None => tuple_key(table, &tuples[0], ctx)?,
            };
            if let Some(k) = key {
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
                return table.rows.walk(range, false, &mut stored);
            }
            let prefix = values(prefix, ctx)?;
            let from = RowKey::Tuple(Arc::new(start(&prefix, &b.0).as_slice().to_vec()));
            table.rows.walk(from.., false, |k, r| {
                let RowKey::Tuple(key) = k else { return Ok(true) };
                match step(key, &prefix, &b) {
                    Step::Stop => Ok(false),
                    Step::Skip => Ok(true),
                    Step::Take => stored(k, r),
                }
            })?;
        }
        Access::Index { name, prefix, range, reverse } => {
            let index = index_of(table, name)?;
            let fetch = Fetch::new(table, index, columns);
            if *reverse {
                for e in index.entries.iter().rev() {
                    if !fetch.visit(e, &mut each)? {
                        break;
                    }
                }
                return Ok(());
            }
            let Some(b) = bounds(range, ctx)? else { return Ok(()) };
            let prefix = Prefix::of(prefix, ctx)?;
            // `x = NULL` holds for no row.
            if prefix.as_slice().iter().any(Value::is_null) {
                return Ok(());
            }
            walk_index(&fetch, prefix.as_slice(), &b, &mut each)?;
        }
        Access::IndexKeys { name, keys } => {
            let index = index_of(table, name)?;
            let fetch = Fetch::new(table, index, columns);
            let mut lists = keys.iter().map(|k| values(k, ctx)).collect::<Result<Vec<_>>>()?;
            lists.sort();
            lists.dedup();
            for prefix in lists.into_iter().filter(|p| !p.iter().any(Value::is_null)) {
                if !walk_index(&fetch, &prefix, &(None, None), &mut each)? {
                    break;
                }
            }
        }
    }
    Ok(())
}

/// A row an access path found: stored (still encoded) or built from an index entry.
enum Found<'a> {
    Stored(&'a [u8]),
    Built(&'a Vec<Value>),
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
}

impl<'a> Fetch<'a> {
    fn new(table: &'a Table, index: &'a Index, columns: Columns) -> Fetch<'a> {
        let covering = matches!(columns, Columns::Covering);
        let built = covering.then(|| RefCell::new(Value::nulls(table.schema.columns.len())));
        Fetch { table, index, built }
    }
}

impl Fetch<'_> {
    /// Visits the row an index entry points at; false once the visitor wants no more.
    fn visit(&self, e: &IndexEntry, visit: &mut impl FnMut(&RowKey, Found) -> Result<bool>) -> Result<bool> {
        let Slot::Row(k) = &e.slot else { return Ok(true) };
        if let Some(built) = &self.built {
            let mut row = built.borrow_mut();
            self.fill(&mut row, k, e);
            return visit(k, Found::Built(&row));
        }
        match self.table.rows.get_bytes(k) {
            Some(bytes) => visit(k, Found::Stored(bytes)),
            None => Ok(true),
        }
    }

    /// Writes the entry's index columns and key columns into the row.
    fn fill(&self, row: &mut [Value], key: &RowKey, e: &IndexEntry) {
        for (i, v) in e.key.as_slice().iter().enumerate() {
            if let Some(c) = self.index.plain_column(i) {
                row[c] = v.clone();
            }
        }
        let pk = &self.table.schema.primary_key;
        match key {
            RowKey::Int(k) if pk.len() == 1 => row[pk[0]] = Value::Integer(*k),
            RowKey::Tuple(vals) => pk.iter().zip(vals.iter()).for_each(|(&c, v)| row[c] = v.clone()),
            RowKey::Int(_) => {}
        }
    }
}

/// Decodes stored rows into one row, lent to the caller in turn. With a check, the
/// columns it reads come first and the rest only for the rows it keeps; columns the
/// statement does not read are not decoded (they hold whatever they held). Column sets
/// are bit masks ([`rows::Mask`]), so setting up a scan allocates only its row.
struct Decoder {
    /// Made at the first row, so that a scan that finds none (or only rows built from
    /// index entries) allocates nothing.
    row: Vec<Value>,
    width: usize,
    /// The columns the check reads, when there is one and it does not read them all.
    first: Option<rows::Mask>,
    /// The other columns to decode; `None`: all of them.
    rest: Option<rows::Mask>,
}

impl Decoder {
    fn whole(table: &Table) -> Decoder {
        Decoder { row: Vec::new(), width: table.schema.columns.len(), first: None, rest: None }
    }

    fn new(table: &Table, columns: Columns, check: Option<Option<rows::Mask>>) -> Decoder {
        let width = table.schema.columns.len();
        let all = rows::Mask::all(width);
        let mut rest = match columns {
            Columns::Some(wanted) => Some(wanted.and(all)),
            Columns::All | Columns::Covering => None,
        };
        let mut first = None;
        match check {
            // A check that may read any column gets the whole row.
            Some(None) => rest = None,
            Some(Some(reads)) => {
                let reads = reads.and(all);
                if all.is_some_and(|all| reads == all) {
                    rest = None;
                } else {
                    rest = rest.or(all).map(|r| r.without(reads));
                    first = Some(reads);
                }
            }
            None => {}
        }
        if first.is_none() && rest.is_some() && rest == all {
            rest = None;
        }
        Decoder { row: Vec::new(), width, first, rest }
    }

    /// The row `bytes` hold, if `keeps` keeps it.
    fn decode(&mut self, bytes: &[u8], keeps: &impl Fn(&[Value]) -> Result<bool>) -> Result<Option<&Vec<Value>>> {
        if self.row.capacity() == 0 {
            // Columns decoded one by one go into a row of the table's width.
            if self.first.is_some() || self.rest.is_some() {
                self.row = Value::nulls(self.width);
            } else {
                self.row.reserve_exact(self.width);
            }
        }
        if let Some(first) = self.first {
            rows::decode_some(bytes, first, &mut self.row);
            if !keeps(&self.row)? {
                return Ok(None);
            }
            if let Some(rest) = self.rest {
                rows::decode_some(bytes, rest, &mut self.row);
            }
            return Ok(Some(&self.row));
        }
        match self.rest {
            Some(rest) => rows::decode_some(bytes, rest, &mut self.row),
            None => rows::decode_into(bytes, &mut self.row),
        }
        Ok(keeps(&self.row)?.then_some(&self.row))
    }
}

fn walk_index(
    fetch: &Fetch,
    prefix: &[Value],
    b: &Bounds,
    visit: &mut impl FnMut(&RowKey, Found) -> Result<bool>,
) -> Result<bool> {
    let from = IndexEntry { key: start(prefix, &b.0), slot: Slot::Lo };
    for e in fetch.index.entries.range(Bound::Included(&from), Bound::Unbounded) {
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
