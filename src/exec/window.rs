//! Window functions: each call's value for each row, worked out over the rows of its
//! partition in its window's order, and added to the row as one more column.
//!
//! Rows are sorted once per distinct (PARTITION BY, ORDER BY) pair. Within a partition
//! rows with equal sort keys are peers; a frame is a range of positions (ROWS), of peer
//! groups (GROUPS) or of sort-key values (RANGE), less what EXCLUDE leaves out. An
//! aggregate whose frame starts at the partition's start is added to row by row; any
//! other frame is added up afresh for each row.

use std::cmp::Ordering;

use super::aggregate::Accumulator;
use super::eval::{arith, eval, Ctx, Env};
use super::select::compare_keys;
use crate::error::{Error, Result};
use crate::sql::plan::{ArithOp, FrameEdge, FrameExclude, FrameUnits, SortExpr, SortKey, WindowCall, WindowFunc};
use crate::storage::Value;

/// A row a window function reads: its values, and its group's aggregates (none when
/// the query does not group).
pub struct WinRow {
    pub row: Vec<Value>,
    pub aggs: Vec<Value>,
}

impl WinRow {
    fn env<'a>(&'a self, ctx: &'a Ctx<'a>) -> Env<'a> {
        Env { row: &self.row, aggs: &self.aggs, ctx }
    }
}

/// Adds each call's value to every row, in call order.
pub fn add_windows(calls: &[WindowCall], rows: &mut [WinRow], ctx: &Ctx) -> Result<()> {
    let mut values: Vec<Vec<Value>> = vec![Vec::new(); calls.len()];
    let mut done = vec![false; calls.len()];
    for k in 0..calls.len() {
        if done[k] {
            continue;
        }
        // Calls over the same partitions in the same order share one sort.
        let same: Vec<usize> = (k..calls.len())
            .filter(|&j| {
                !done[j] && calls[j].partition_by == calls[k].partition_by && calls[j].order_by == calls[k].order_by
            })
            .collect();
        let sorted = Sorted::new(&calls[k], rows, ctx)?;
        for &j in &same {
            values[j] = sorted.compute(&calls[j], rows, ctx)?;
            done[j] = true;
        }
    }
    for (i, r) in rows.iter_mut().enumerate() {
        for v in &mut values {
            r.row.push(std::mem::replace(&mut v[i], Value::Null));
        }
    }
    Ok(())
}

/// Values worked out for each row, `width` per row, in one buffer (rather than a
/// vector per row).
struct Table {
    values: Vec<Value>,
    width: usize,
    rows: usize,
}

impl Table {
    fn new(width: usize, rows: usize) -> Table {
        Table { values: Vec::with_capacity(width * rows), width, rows }
    }

    fn row(&self, i: usize) -> &[Value] {
        &self.values[i * self.width..(i + 1) * self.width]
    }
}

/// The rows in window order, cut into partitions.
struct Sorted {
    /// Row indexes in partition, then window, order.
    order: Vec<usize>,
    /// Each row's sort key values, by row index.
    keys: Table,
    /// Where each partition starts in `order`, and the end.
    bounds: Vec<usize>,
    sort: Vec<SortKey>,
}

impl Sorted {
    fn new(call: &WindowCall, rows: &[WinRow], ctx: &Ctx) -> Result<Sorted> {
        let mut parts = Table::new(call.partition_by.len(), rows.len());
        let mut keys = Table::new(call.order_by.len(), rows.len());
        for r in rows {
            let env = r.env(ctx);
            for e in &call.partition_by {
                parts.values.push(eval(e, &env)?);
            }
            for k in &call.order_by {
                keys.values.push(sort_value(k, &env)?);
            }
        }
        let by_partition = |a: &usize, b: &usize| compare_values(parts.row(*a), parts.row(*b));
        let in_order = |a: &usize, b: &usize| {
            by_partition(a, b).then_with(|| compare_keys(&call.order_by, keys.row(*a), keys.row(*b)))
                != Ordering::Greater
        };
        // Rows from an index or key order that fits arrive sorted: confirming it is
        // one pass, and stops at the first row out of order otherwise.
        let sorted = (1..rows.len()).all(|i| in_order(&(i - 1), &i));
        let order = if sorted {
            (0..rows.len()).collect()
        } else if let Some(order) = packed_order(&parts, &keys, &call.order_by) {
            order
        } else {
            let mut order: Vec<usize> = (0..rows.len()).collect();
            order.sort_by(|a, b| {
                by_partition(a, b).then_with(|| compare_keys(&call.order_by, keys.row(*a), keys.row(*b)))
            });
            order
        };
        let mut bounds = vec![0];
        for i in 1..order.len() {
            if by_partition(&order[i - 1], &order[i]) != Ordering::Equal {
                bounds.push(i);
            }
        }
        bounds.push(order.len());
        if order.is_empty() {
            bounds = vec![0];
        }
        Ok(Sorted { order, keys, bounds, sort: call.order_by.clone() })
    }

    /// The call's value for every row, by row index.
    fn compute(&self, call: &WindowCall, rows: &[WinRow], ctx: &Ctx) -> Result<Vec<Value>> {
        let mut out = vec![Value::Null; rows.len()];
        let offsets = Offsets::of(call, ctx)?;
        for w in self.bounds.windows(2) {
            let part = &self.order[w[0]..w[1]];
            let peers = Peers::of(part, &self.keys, &self.sort);
            let null = |p: &usize| self.keys.row(*p).first().is_none_or(Value::is_null);
            let lo = part.iter().position(|p| !null(p)).unwrap_or(part.len());
            let hi = part[lo..].iter().position(null).map_or(part.len(), |k| lo + k);
            let values = (lo, hi);
            Partition { part, peers: &peers, rows, ctx, sorted: self, values }.compute(call, &offsets, &mut out)?;
        }
        Ok(out)
    }
}

/// The window order when every partition and sort value is an integer and there are
/// at most three of them (the usual `PARTITION BY k ORDER BY v`): each row's values are
/// packed into fixed-size integer keys (a descending one bit-inverted, which reverses
/// its order without overflow) and sorted without comparing values one by one. Ties keep
/// row order, as the stable sort of the general path does.
fn packed_order(parts: &Table, keys: &Table, sort: &[SortKey]) -> Option<Vec<usize>> {
    if parts.width + keys.width > 3 || u32::try_from(parts.rows).is_err() {
        return None;
    }
    let mut packed = Vec::with_capacity(parts.rows);
    for i in 0..parts.rows {
        let (part, key) = (parts.row(i), keys.row(i));
        let mut k = [0i64; 3];
        for (slot, v) in part.iter().enumerate() {
            let Value::Integer(x) = v else { return None };
            k[slot] = *x;
        }
        for (j, (s, v)) in sort.iter().zip(key).enumerate() {
            let Value::Integer(x) = v else { return None };
            k[part.len() + j] = if s.desc { !*x } else { *x };
        }
        packed.push((k, i as u32));
    }
    packed.sort_unstable();
    Some(packed.into_iter().map(|(_, i)| i as usize).collect())
}

fn sort_value(k: &SortKey, env: &Env) -> Result<Value> {
    match &k.expr {
        SortExpr::Expr(e) => eval(e, env),
        SortExpr::Output(_) => Ok(Value::Null),
    }
}

/// Values compared as PARTITION BY groups them: NULLs together, first.
fn compare_values(a: &[Value], b: &[Value]) -> Ordering {
    for (x, y) in a.iter().zip(b) {
        let o = match (x.is_null(), y.is_null()) {
            (true, true) => Ordering::Equal,
            (true, false) => Ordering::Less,
            (false, true) => Ordering::Greater,
            (false, false) => x.total_cmp(y),
        };
        if o != Ordering::Equal {
            return o;
        }
    }
    Ordering::Equal
}

/// Peer groups of a partition: rows with equal sort keys.
struct Peers {
    /// The group of each position.
    group: Vec<usize>,
    /// Where each group starts, and the partition's end.
    starts: Vec<usize>,
}

impl Peers {
    fn of(part: &[usize], keys: &Table, sort: &[SortKey]) -> Peers {
        let mut group = Vec::with_capacity(part.len());
        let mut starts = Vec::new();
        for (j, &i) in part.iter().enumerate() {
            if j == 0 || compare_keys(sort, keys.row(part[j - 1]), keys.row(i)) != Ordering::Equal {
                starts.push(j);
            }
            group.push(starts.len() - 1);
        }
        starts.push(part.len());
        Peers { group, starts }
    }

    fn count(&self) -> usize {
        self.starts.len() - 1
    }

    fn start(&self, g: usize) -> usize {
        self.starts[g.min(self.count())]
    }

    fn end(&self, g: usize) -> usize {
        self.starts[(g + 1).min(self.count())]
    }
}

/// A frame's offsets (`n PRECEDING`, `n FOLLOWING`), worked out once per call.
struct Offsets {
    start: Option<Value>,
    end: Option<Value>,
}

impl Offsets {
    fn of(call: &WindowCall, ctx: &Ctx) -> Result<Offsets> {
        let f = &call.frame;
        let value = |edge: &FrameEdge, which: &str| -> Result<Option<Value>> {
            let (FrameEdge::Preceding(e) | FrameEdge::Following(e)) = edge else { return Ok(None) };
            let v = eval(e, &Env { row: &[], aggs: &[], ctx })?;
            let ok = match (&v, f.units) {
                (Value::Integer(i), _) => *i >= 0,
                (Value::Real(r), FrameUnits::Range) => *r >= 0.0,
                _ => false,
            };
            if !ok {
                let what = if f.units == FrameUnits::Range { "number" } else { "integer" };
                return Err(Error::invalid(format!("frame {which} offset must be a non-negative {what}")));
            }
            Ok(Some(v))
        };
        Ok(Offsets { start: value(&f.start, "starting")?, end: value(&f.end, "ending")? })
    }
}

fn count_of(v: &Option<Value>) -> usize {
    match v {
        Some(Value::Integer(i)) => usize::try_from(*i).unwrap_or(usize::MAX),
        _ => 0,
    }
}

/// One partition's rows, and what working out a call over them needs.
struct Partition<'a> {
    /// Row indexes in window order.
    part: &'a [usize],
    peers: &'a Peers,
    rows: &'a [WinRow],
    ctx: &'a Ctx<'a>,
    sorted: &'a Sorted,
    /// The positions whose first sort value is not NULL (NULLs sort to one end).
    values: (usize, usize),
}

impl Partition<'_> {
    fn env(&self, pos: usize) -> Env<'_> {
        self.rows[self.part[pos]].env(self.ctx)
    }

    fn compute(&self, call: &WindowCall, offsets: &Offsets, out: &mut [Value]) -> Result<()> {
        let n = self.part.len();
        let peers = self.peers;
        let real = |x: f64| Value::Real(x);
        match call.func {
            WindowFunc::RowNumber => self.each(out, |j| Ok(Value::Integer(j as i64 + 1))),
            WindowFunc::Rank => self.each(out, |j| Ok(Value::Integer(peers.start(peers.group[j]) as i64 + 1))),
            WindowFunc::DenseRank => self.each(out, |j| Ok(Value::Integer(peers.group[j] as i64 + 1))),
            WindowFunc::PercentRank => self.each(out, |j| {
                let rank = peers.start(peers.group[j]);
                Ok(real(if n > 1 { rank as f64 / (n - 1) as f64 } else { 0.0 }))
            }),
            WindowFunc::CumeDist => self.each(out, |j| Ok(real(peers.end(peers.group[j]) as f64 / n as f64))),
            WindowFunc::Ntile => {
                let buckets = match eval(&call.args[0], &self.env(0))? {
                    Value::Integer(b) if b > 0 => b as usize,
                    _ => return Err(Error::invalid("argument of ntile must be a positive integer")),
                };
                let size = n / buckets;
                let extra = n % buckets;
                self.each(out, |j| {
                    let bucket = if size == 0 {
                        j
                    } else if j < extra * (size + 1) {
                        j / (size + 1)
                    } else {
                        extra + (j - extra * (size + 1)) / size
                    };
                    Ok(Value::Integer(bucket as i64 + 1))
                })
            }
            WindowFunc::Lag | WindowFunc::Lead => self.each(out, |j| {
                let env = self.env(j);
                let offset = match call.args.get(1) {
                    Some(e) => match eval(e, &env)? {
                        Value::Integer(k) => k,
                        Value::Null => return Ok(Value::Null),
                        _ => return Err(Error::invalid(format!("the offset of {}() must be an integer", call.name))),
                    },
                    None => 1,
                };
                let offset = if call.func == WindowFunc::Lag { offset.saturating_neg() } else { offset };
                let target = (j as i64).checked_add(offset).filter(|t| *t >= 0 && (*t as usize) < n);
                match target {
                    Some(t) => eval(&call.args[0], &self.env(t as usize)),
                    None => call.args.get(2).map_or(Ok(Value::Null), |d| eval(d, &env)),
                }
            }),
            WindowFunc::FirstValue | WindowFunc::LastValue | WindowFunc::NthValue => self.each(out, |j| {
                let frame = self.frame(call, offsets, j)?;
                let pick = match call.func {
                    WindowFunc::FirstValue => frame.positions().next(),
                    WindowFunc::LastValue => frame.positions().last(),
                    _ => {
                        let nth = match eval(&call.args[1], &self.env(j))? {
                            Value::Integer(k) if k > 0 => k as usize,
                            _ => return Err(Error::invalid("second argument to nth_value must be a positive integer")),
                        };
                        frame.positions().nth(nth - 1)
                    }
                };
                pick.map_or(Ok(Value::Null), |p| eval(&call.args[0], &self.env(p)))
            }),
            WindowFunc::Aggregate => self.aggregate(call, offsets, out),
        }
    }

    /// Sets each row's value from its position.
    fn each(&self, out: &mut [Value], mut f: impl FnMut(usize) -> Result<Value>) -> Result<()> {
        for j in 0..self.part.len() {
            out[self.part[j]] = f(j)?;
            if j % 4096 == 4095 {
                self.ctx.check_interrupt()?;
            }
        }
        Ok(())
    }

    fn aggregate(&self, call: &WindowCall, offsets: &Offsets, out: &mut [Value]) -> Result<()> {
        let agg = call.agg.as_ref().expect("an aggregate window call has its aggregate");
        let growing =
            matches!(call.frame.start, FrameEdge::UnboundedPreceding) && call.frame.exclude == FrameExclude::NoOthers;
        let mut acc = Accumulator::new(agg);
        let mut added = 0;
        let mut last: Option<(Frame, Value)> = None;
        for j in 0..self.part.len() {
            if j % 4096 == 4095 {
                self.ctx.check_interrupt()?;
            }
            let frame = self.frame(call, offsets, j)?;
            // Rows with the same frame (peers, a whole partition) share its value.
            if let Some((f, v)) = &last {
                if *f == frame && call.frame.exclude == FrameExclude::NoOthers {
                    out[self.part[j]] = v.clone();
                    continue;
                }
            }
            let value = if growing {
                while added < frame.end {
                    acc.add(agg, &self.env(added))?;
                    added += 1;
                }
                acc.finish()?
            } else {
                let mut fresh = Accumulator::new(agg);
                for p in frame.positions() {
                    fresh.add(agg, &self.env(p))?;
                }
                fresh.finish()?
            };
            out[self.part[j]] = value.clone();
            last = Some((frame, value));
        }
        Ok(())
    }

    /// The frame of the row at position `j`.
    fn frame(&self, call: &WindowCall, offsets: &Offsets, j: usize) -> Result<Frame> {
        let f = &call.frame;
        let n = self.part.len();
        let peers = self.peers;
        let g = peers.group[j];
        let (start, end) = match f.units {
            FrameUnits::Rows => {
                let start = match &f.start {
                    FrameEdge::UnboundedPreceding => 0,
                    FrameEdge::Preceding(_) => j.saturating_sub(count_of(&offsets.start)),
                    FrameEdge::CurrentRow => j,
                    FrameEdge::Following(_) => j.saturating_add(count_of(&offsets.start)).min(n),
                    FrameEdge::UnboundedFollowing => n,
                };
                let end = match &f.end {
                    FrameEdge::UnboundedPreceding => 0,
                    FrameEdge::Preceding(_) => (j + 1).saturating_sub(count_of(&offsets.end)),
                    FrameEdge::CurrentRow => j + 1,
                    FrameEdge::Following(_) => j.saturating_add(count_of(&offsets.end)).saturating_add(1).min(n),
                    FrameEdge::UnboundedFollowing => n,
                };
                (start, end)
            }
            FrameUnits::Groups => {
                let start = match &f.start {
                    FrameEdge::UnboundedPreceding => 0,
                    FrameEdge::Preceding(_) => peers.start(g.saturating_sub(count_of(&offsets.start))),
                    FrameEdge::CurrentRow => peers.start(g),
                    FrameEdge::Following(_) => peers.start(g.saturating_add(count_of(&offsets.start))),
                    FrameEdge::UnboundedFollowing => n,
                };
                let end = match &f.end {
                    FrameEdge::UnboundedPreceding => 0,
                    FrameEdge::Preceding(_) => {
                        let k = count_of(&offsets.end);
                        if g >= k {
                            peers.end(g - k)
                        } else {
                            0
                        }
                    }
                    FrameEdge::CurrentRow => peers.end(g),
                    FrameEdge::Following(_) => peers.end(g.saturating_add(count_of(&offsets.end))),
                    FrameEdge::UnboundedFollowing => n,
                };
                (start, end)
            }
            FrameUnits::Range => {
                let start = match &f.start {
                    FrameEdge::UnboundedPreceding => 0,
                    FrameEdge::CurrentRow => peers.start(g),
                    FrameEdge::UnboundedFollowing => n,
                    FrameEdge::Preceding(_) => self.range_edge(j, offsets.start.as_ref(), true, false)?,
                    FrameEdge::Following(_) => self.range_edge(j, offsets.start.as_ref(), false, false)?,
                };
                let end = match &f.end {
                    FrameEdge::UnboundedPreceding => 0,
                    FrameEdge::CurrentRow => peers.end(g),
                    FrameEdge::UnboundedFollowing => n,
                    FrameEdge::Preceding(_) => self.range_edge(j, offsets.end.as_ref(), true, true)?,
                    FrameEdge::Following(_) => self.range_edge(j, offsets.end.as_ref(), false, true)?,
                };
                (start, end)
            }
        };
        let (exclude_from, exclude_to, keep) = match f.exclude {
            FrameExclude::NoOthers => (0, 0, None),
            FrameExclude::CurrentRow => (j, j + 1, None),
            FrameExclude::Group => (peers.start(g), peers.end(g), None),
            FrameExclude::Ties => (peers.start(g), peers.end(g), Some(j)),
        };
        Ok(Frame { start, end: end.max(start), exclude: (exclude_from, exclude_to), keep })
    }

    /// A RANGE frame edge at `offset` before (`preceding`) or after the row's sort
    /// value: the first position of the frame (`is_end` false) or the one past it.
    fn range_edge(&self, j: usize, offset: Option<&Value>, preceding: bool, is_end: bool) -> Result<usize> {
        let key = &self.sorted.sort[0];
        let value_at = |p: usize| &self.sorted.keys.row(self.part[p])[0];
        let v = value_at(j);
        let g = self.peers.group[j];
        if v.is_null() {
            // NULLs are one another's peers whatever the offset.
            return Ok(if is_end { self.peers.end(g) } else { self.peers.start(g) });
        }
        let offset = offset.cloned().unwrap_or(Value::Integer(0));
        // In descending order "preceding" values are larger.
        let op = if preceding != key.desc { ArithOp::Sub } else { ArithOp::Add };
        let target = arith(op, v, &offset);
        let (lo, hi) = self.values;
        let before = |p: usize| {
            let o = value_at(p).total_cmp(&target);
            let o = if key.desc { o.reverse() } else { o };
            if is_end {
                o != Ordering::Greater
            } else {
                o == Ordering::Less
            }
        };
        let (mut a, mut b) = (lo, hi);
        while a < b {
            let m = a + (b - a) / 2;
            if before(m) {
                a = m + 1;
            } else {
                b = m;
            }
        }
        Ok(a)
    }
}

/// The positions a row's frame holds: `start..end` less the excluded range (but for
/// `keep`, the row itself under EXCLUDE TIES).
#[derive(Clone, Copy, PartialEq, Eq)]
struct Frame {
    start: usize,
    end: usize,
    exclude: (usize, usize),
    keep: Option<usize>,
}

impl Frame {
    fn positions(self) -> impl Iterator<Item = usize> {
        (self.start..self.end).filter(move |&p| p < self.exclude.0 || p >= self.exclude.1 || Some(p) == self.keep)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sql::plan::{BExpr, FramePlan, WindowCall};

    fn call(func: WindowFunc, units: FrameUnits, start: FrameEdge, end: FrameEdge) -> WindowCall {
        WindowCall {
            func,
            args: vec![BExpr::Column(0)],
            agg: None,
            partition_by: vec![],
            order_by: vec![SortKey { expr: SortExpr::Expr(BExpr::Column(0)), desc: false, nulls_first: true }],
            frame: FramePlan { units, start, end, exclude: FrameExclude::NoOthers },
            name: "f".into(),
        }
    }

    fn run(c: &WindowCall, values: &[i64]) -> Vec<Value> {
        let now = std::cell::OnceCell::new();
        let ctx = Ctx::for_constants(&now);
        let mut rows: Vec<WinRow> =
            values.iter().map(|v| WinRow { row: vec![Value::Integer(*v)], aggs: vec![] }).collect();
        add_windows(std::slice::from_ref(c), &mut rows, &ctx).unwrap();
        rows.into_iter().map(|r| r.row[1].clone()).collect()
    }

    #[test]
    fn ranks_count_peers() {
        let c = call(WindowFunc::Rank, FrameUnits::Range, FrameEdge::UnboundedPreceding, FrameEdge::CurrentRow);
        let got = run(&c, &[10, 20, 20, 30]);
        assert_eq!(got, vec![Value::Integer(1), Value::Integer(2), Value::Integer(2), Value::Integer(4)]);
    }

    #[test]
    fn range_frames_follow_values() {
        let pre = FrameEdge::Preceding(BExpr::Const(Value::Integer(5)));
        let c = call(WindowFunc::FirstValue, FrameUnits::Range, pre, FrameEdge::CurrentRow);
        let got = run(&c, &[1, 4, 8, 20]);
        assert_eq!(got, vec![Value::Integer(1), Value::Integer(1), Value::Integer(4), Value::Integer(20)]);
    }
}
