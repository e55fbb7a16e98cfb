//! The types of a plan's result columns, worked out before it runs: what a client of
//! the wire protocol is told about a statement it prepares. A column's type is known
//! when every value it can hold is of one type (a typed table column, a count, a
//! comparison); `None` when its values may be of several (an `ANY` column, `coalesce`
//! of different types, a function whose result type depends on its input's text).

use crate::storage::{DataType, State, Value};

use super::{AggCall, AggFunc, ArithOp, BExpr, DateFunc, Func, JsonFunc, Plan, SelectPlan, Source, WindowFunc};

type Types = Vec<Option<DataType>>;

/// The result columns' types of a plan that returns rows (a SELECT, a write with
/// RETURNING, EXPLAIN), or `None` for a plan that returns none.
pub fn result_types(plan: &Plan, state: &State) -> Option<Types> {
    match plan {
        Plan::Select(s) | Plan::WritingSelect(s) => Some(select_types(s, state)),
        Plan::Insert(p) => p.returning.as_ref().map(|r| over_table(&r.exprs, &p.table, state)),
        Plan::Update(p) => p.returning.as_ref().map(|r| over_table(&r.exprs, &p.table, state)),
        Plan::Delete(p) => p.returning.as_ref().map(|r| over_table(&r.exprs, &p.table, state)),
        _ => None,
    }
}

/// The types of expressions over one table's row (RETURNING).
fn over_table(exprs: &[BExpr], table: &str, state: &State) -> Types {
    let input = table_types(table, state);
    exprs.iter().map(|e| expr_type(e, &input, &[], &[], state)).collect()
}

fn table_types(table: &str, state: &State) -> Types {
    state.table(table).map(|t| t.schema.columns.iter().map(|c| known(c.ty)).collect()).unwrap_or_default()
}

/// A column type that tells what its values are (`ANY` does not).
fn known(ty: DataType) -> Option<DataType> {
    (ty != DataType::Any).then_some(ty)
}

/// The output columns' types of a query; a column on which the SELECTs of a compound
/// disagree has none.
pub fn select_types(plan: &SelectPlan, state: &State) -> Types {
    let mut input = source_types(&plan.source, state);
    input.resize(plan.input_columns.len().max(input.len()), None);
    let aggs: Types = plan
        .aggregate
        .as_ref()
        .map(|a| a.calls.iter().map(|c| agg_type(c, &input, state)).collect())
        .unwrap_or_default();
    let windows: Types = plan
        .windows
        .iter()
        .map(|w| match w.func {
            WindowFunc::RowNumber | WindowFunc::Rank | WindowFunc::DenseRank | WindowFunc::Ntile => {
                Some(DataType::Integer)
            }
            WindowFunc::PercentRank | WindowFunc::CumeDist => Some(DataType::Real),
            WindowFunc::Aggregate => w.agg.as_ref().and_then(|c| agg_type(c, &input, state)),
            _ => w.args.first().and_then(|a| expr_type(a, &input, &aggs, &[], state)),
        })
        .collect();
    let mut types: Types = plan.projection.iter().map(|e| expr_type(e, &input, &aggs, &windows, state)).collect();
    for (_, other) in &plan.compound {
        for (t, o) in types.iter_mut().zip(select_types(other, state)) {
            if *t != o {
                *t = None;
            }
        }
    }
    types
}

/// The types of the columns of the rows a source yields.
fn source_types(source: &Source, state: &State) -> Types {
    match source {
        Source::Single | Source::Working { .. } => Vec::new(),
        Source::Messages { .. } => {
            // id, stream_name, type, position, global_position, data, metadata, time
            use DataType::{Integer, Text, Timestamp};
            vec![
                Some(Text),
                Some(Text),
                Some(Text),
                Some(Integer),
                Some(Integer),
                Some(Text),
                Some(Text),
                Some(Timestamp),
            ]
        }
        Source::Scan { table, .. } => table_types(table, state),
        Source::Join(j) => {
            let mut left = source_types(&j.left, state);
            left.resize(j.left_width, None);
            let mut right = source_types(&j.right, state);
            right.resize(j.right_width, None);
            left.extend(right);
            left
        }
        Source::JsonTable { kind, ordinality, args, .. } => {
            use crate::sql::plan::TableFn;
            use DataType::{Integer, Text};
            let mut types = match kind {
                TableFn::Series | TableFn::Ancestors => vec![Some(Integer)],
                // key, value, type, atom, id, parent, fullkey, path
                TableFn::JsonEach | TableFn::JsonTree => {
                    vec![None, None, Some(Text), None, Some(Integer), Some(Integer), Some(Text), Some(Text)]
                }
                TableFn::Stats => vec![Some(Text), Some(Integer), Some(Text)],
                TableFn::Statements => vec![
                    Some(Text),
                    Some(Integer),
                    Some(DataType::Real),
                    Some(DataType::Real),
                    Some(DataType::Real),
                    Some(Integer),
                    Some(Integer),
                ],
                TableFn::SlowQueries => vec![
                    Some(DataType::Timestamp),
                    Some(DataType::Real),
                    Some(Integer),
                    Some(Text),
                    Some(Text),
                    Some(Text),
                    Some(Text),
                ],
                TableFn::Memory => vec![Some(Text), Some(Text), Some(Integer), Some(Integer), Some(Text)],
                TableFn::Cluster => vec![
                    Some(Text),
                    Some(DataType::Boolean),
                    Some(Integer),
                    Some(Integer),
                    Some(Integer),
                    Some(DataType::Real),
                ],
                TableFn::Commits => {
                    vec![Some(Integer), Some(DataType::Timestamp), Some(Text), Some(DataType::Json), Some(Integer)]
                }
                TableFn::Settings => vec![Some(Text); 8],
                TableFn::Archive => match args.first() {
                    Some(BExpr::Const(Value::Text(path))) => crate::storage::archive::read_header(path)
                        .map(|h| h.schema.columns.iter().map(|c| Some(c.ty)).collect())
                        .unwrap_or_default(),
                    _ => Vec::new(),
                },
                TableFn::History => {
                    let mut types = vec![Some(Integer), Some(DataType::Timestamp), Some(Text), Some(Text)];
                    let table = match args.first() {
                        Some(BExpr::Const(Value::Text(name))) => state.table(name),
                        _ => None,
                    };
                    let columns = table.map(|t| t.schema.columns.iter().map(|c| Some(c.ty)).collect::<Vec<_>>());
                    if let Some(t) = table {
                        types.extend(t.schema.primary_key.iter().map(|&i| Some(t.schema.columns[i].ty)));
                    }
                    for _ in 0..2 {
                        types.extend(columns.iter().flatten().copied());
                    }
                    types
                }
            };
            if *ordinality {
                types.push(Some(Integer));
            }
            types
        }
        Source::Reorder { source, columns } => {
            let inner = source_types(source, state);
            columns.iter().map(|&c| inner.get(c).copied().flatten()).collect()
        }
        Source::Derived { plan, .. } => select_types(plan, state),
        Source::Cte { cte, .. } => {
            let anchor = select_types(&cte.anchor, state);
            // A recursive step may add values of other types.
            if cte.recursion.is_some() {
                vec![None; anchor.len()]
            } else {
                anchor
            }
        }
    }
}

fn agg_type(call: &AggCall, input: &[Option<DataType>], state: &State) -> Option<DataType> {
    let arg = || call.arg.as_ref().and_then(|a| expr_type(a, input, &[], &[], state));
    match call.func {
        AggFunc::CountStar | AggFunc::Count => Some(DataType::Integer),
        AggFunc::Total | AggFunc::Avg => Some(DataType::Real),
        AggFunc::Sum => arg().filter(|t| matches!(t, DataType::Integer | DataType::Real)),
        AggFunc::Min | AggFunc::Max => arg(),
        AggFunc::GroupConcat => Some(DataType::Text),
        AggFunc::JsonGroupArray | AggFunc::JsonGroupObject => Some(DataType::Json),
    }
}

/// The type of an expression's values, given those of the input row's columns, the
/// aggregates and the window calls.
fn expr_type(
    e: &BExpr,
    input: &[Option<DataType>],
    aggs: &[Option<DataType>],
    windows: &[Option<DataType>],
    state: &State,
) -> Option<DataType> {
    use DataType::*;
    let of = |e: &BExpr| expr_type(e, input, aggs, windows, state);
    match e {
        BExpr::Const(v) => match v {
            Value::Integer(_) => Some(Integer),
            Value::Real(_) => Some(Real),
            Value::Text(_) => Some(Text),
            Value::Boolean(_) => Some(Boolean),
            Value::Timestamp(_) => Some(Timestamp),
            Value::Null | Value::Blob(_) => None,
        },
        BExpr::Column(c) => match input.get(*c) {
            Some(t) => *t,
            None => windows.get(c - input.len()).copied().flatten(),
        },
        BExpr::Agg(k) => aggs.get(*k).copied().flatten(),
        BExpr::Param(_) | BExpr::Outer { .. } => None,
        BExpr::Not(_)
        | BExpr::And(..)
        | BExpr::Or(..)
        | BExpr::Compare(..)
        | BExpr::Is { .. }
        | BExpr::IsNull { .. }
        | BExpr::Between { .. }
        | BExpr::InList { .. }
        | BExpr::Like { .. }
        | BExpr::Exists(..)
        | BExpr::InSubquery { .. } => Some(Boolean),
        BExpr::Neg(a) => of(a).filter(|t| matches!(t, Integer | Real)),
        BExpr::BitNot(_) => Some(Integer),
        BExpr::Arith(op, a, b) => match op {
            ArithOp::BitAnd | ArithOp::BitOr | ArithOp::ShiftLeft | ArithOp::ShiftRight => Some(Integer),
            _ => match (of(a)?, of(b)?) {
                (Integer, Integer) => Some(Integer),
                (Integer | Real, Integer | Real) => Some(Real),
                _ => None,
            },
        },
        BExpr::Concat(..) => Some(Text),
        BExpr::Case { whens, else_, .. } => {
            let mut results = whens.iter().map(|(_, t)| t).chain(else_.as_deref());
            let first = of(results.next()?)?;
            results.all(|r| of(r) == Some(first)).then_some(first)
        }
        BExpr::Cast(_, ty) => known(*ty),
        BExpr::Subquery(plan, _) => select_types(plan, state).first().copied().flatten(),
        BExpr::ArraySubquery(..) => Some(DataType::Text),
        BExpr::Func(f, args) => func_type(*f, args, &of),
    }
}

fn func_type(f: Func, args: &[BExpr], of: &dyn Fn(&BExpr) -> Option<DataType>) -> Option<DataType> {
    use DataType::*;
    let same_as_all = || {
        let first = of(args.first()?)?;
        args.iter().all(|a| of(a) == Some(first)).then_some(first)
    };
    match f {
        Func::Coalesce | Func::IfNull | Func::Min | Func::Max => same_as_all(),
        Func::NullIf => args.first().and_then(of),
        Func::Abs => args.first().and_then(of).filter(|t| matches!(t, Integer | Real)),
        Func::Length
        | Func::Instr
        | Func::Sign
        | Func::Random
        | Func::LastInsertRowid
        | Func::SessionId
        | Func::Changes
        | Func::TotalChanges
        | Func::CurrentVersion
        | Func::StreamVersion
        | Func::WriteMessage
        | Func::Hash64
        | Func::Unicode
        | Func::OctetLength
        | Func::CardinalId => Some(Integer),
        Func::Hex
        | Func::Lower
        | Func::Upper
        | Func::Trim
        | Func::LTrim
        | Func::RTrim
        | Func::Typeof
        | Func::Replace
        | Func::Uuid
        | Func::Uuid7
        | Func::Printf
        | Func::Concat
        | Func::ConcatWs
        | Func::Quote
        | Func::Char
        | Func::Category
        | Func::Version
        | Func::CurrentDatabase
        | Func::CurrentSchema
        | Func::CurrentSetting
        | Func::StreamId => Some(Text),
        Func::Now => Some(Timestamp),
        Func::Round => Some(Real),
        Func::Glob | Func::Like | Func::IsCategory | Func::RegexpLike | Func::PgVisible | Func::StatsReset => {
            Some(Boolean)
        }
        Func::PgUser | Func::PgEncoding => Some(Text),
        Func::Catalog(f) if f.returns_text() => Some(Text),
        Func::Catalog(f) if f.is_boolean() => Some(Boolean),
        Func::Catalog(_) => Some(Integer),
        Func::Iif => {
            let (a, b) = (of(args.get(1)?)?, of(args.get(2)?)?);
            (a == b).then_some(a)
        }
        Func::Date(d) => match d {
            DateFunc::Date | DateFunc::Time | DateFunc::DateTime | DateFunc::Strftime | DateFunc::TimeDiff => {
                Some(Text)
            }
            DateFunc::JulianDay => Some(Real),
            DateFunc::UnixEpoch => None,
        },
        Func::Json(j, ..) => match j {
            JsonFunc::Valid => Some(Boolean),
            JsonFunc::ArrayLength | JsonFunc::ErrorPosition => Some(Integer),
            JsonFunc::Type => Some(Text),
            JsonFunc::Extract | JsonFunc::Arrow2 => None,
            JsonFunc::Pretty => Some(Text),
            _ => Some(Json),
        },
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn constants_comparisons_and_arithmetic_have_their_types() {
        let input = vec![Some(DataType::Integer), Some(DataType::Real), None];
        let col = |c| Box::new(BExpr::Column(c));
        let state = State::default();
        let t = |e: &BExpr| expr_type(e, &input, &[], &[], &state);
        assert_eq!(t(&BExpr::Const(Value::Integer(1))), Some(DataType::Integer));
        assert_eq!(t(&BExpr::Arith(ArithOp::Add, col(0), col(0))), Some(DataType::Integer));
        assert_eq!(t(&BExpr::Arith(ArithOp::Mul, col(0), col(1))), Some(DataType::Real));
        assert_eq!(t(&BExpr::Arith(ArithOp::Add, col(0), col(2))), None);
        assert_eq!(t(&BExpr::Compare(super::super::CmpOp::Eq, col(2), col(0))), Some(DataType::Boolean));
        assert_eq!(t(&BExpr::Func(Func::Coalesce, vec![BExpr::Column(0), BExpr::Column(1)])), None);
    }
}
