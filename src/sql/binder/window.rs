//! Binding window function calls: `OVER` clauses resolved against the query's named
//! windows, each call's arguments, partition, order and frame bound, and the call
//! given the column the executor fills with its values.

use super::*;

impl Binder<'_> {
    /// A window function call: its value is a column the executor adds to each row.
    pub(super) fn window(
        &mut self,
        name: &str,
        args: &[Expr],
        distinct: bool,
        star: bool,
        filter: Option<&Expr>,
        over: &WindowSpec,
    ) -> Result<BExpr> {
        let lower = name.to_ascii_lowercase();
        if self.windows.is_none() {
            return Err(Error::invalid(format!(
                "misuse of window function {lower}(): window functions are {}",
                self.clause
            )));
        }
        let spec = self.resolve_window(over)?;
        // Window functions do not nest: their parts are bound without the list.
        let saved = self.windows.take();
        let call = self.window_call(&lower, args, distinct, star, filter, &spec);
        self.windows = saved;
        let call = call?;
        let (list, base) = self.windows.as_mut().expect("checked above");
        list.push(call);
        Ok(BExpr::Column(*base + list.len() - 1))
    }

    /// The window `OVER` names or defines, with what it takes from a named window.
    fn resolve_window(&self, over: &WindowSpec) -> Result<WindowSpec> {
        let Some(base) = &over.base else { return Ok(over.clone()) };
        let named = self.named.iter().find(|(n, _)| n.eq_ignore_ascii_case(base));
        let Some((_, named)) = named else {
            return Err(Error::invalid(format!("no such window: {base}")));
        };
        let mut spec = self.resolve_window(named)?;
        if !over.partition_by.is_empty() {
            return Err(Error::invalid(format!("cannot override PARTITION BY of window {base}")));
        }
        if !over.order_by.is_empty() {
            if !spec.order_by.is_empty() {
                return Err(Error::invalid(format!("cannot override ORDER BY of window {base}")));
            }
            spec.order_by = over.order_by.clone();
        }
        if over.frame.is_some() {
            if spec.frame.is_some() {
                return Err(Error::invalid(format!("cannot override frame specification of window {base}")));
            }
            spec.frame = over.frame.clone();
        }
        spec.base = None;
        Ok(spec)
    }

    fn window_call(
        &mut self,
        name: &str,
        args: &[Expr],
        distinct: bool,
        star: bool,
        filter: Option<&Expr>,
        spec: &WindowSpec,
    ) -> Result<WindowCall> {
        let (func, agg, args) = match aggregate_of(name, args.len(), star) {
            Some(agg) => {
                if distinct {
                    return Err(Error::invalid("DISTINCT is not supported for window functions"));
                }
                (WindowFunc::Aggregate, Some(agg_call(self, name, agg, args, false, filter)?), Vec::new())
            }
            None => {
                let Some((func, min, max)) = WindowFunc::by_name(name) else {
                    return Err(Error::invalid(format!("{name}() may not be used as a window function")));
                };
                if filter.is_some() {
                    return Err(Error::invalid(format!(
                        "FILTER may only be used with aggregate window functions, not {name}()"
                    )));
                }
                if args.len() < min || args.len() > max || star || distinct {
                    let expected = match (min, max) {
                        (a, b) if a == b => format!("{a} argument{}", if a == 1 { "" } else { "s" }),
                        (a, b) => format!("{a} to {b} arguments"),
                    };
                    return Err(ErrorKind::Arity { name: name.to_string(), expected }.into());
                }
                let args = args.iter().map(|a| self.bind(a)).collect::<Result<Vec<_>>>()?;
                (func, None, args)
            }
        };
        let partition_by = spec.partition_by.iter().map(|e| self.bind_key(e)).collect::<Result<Vec<_>>>()?;
        let mut order_by = Vec::new();
        for o in &spec.order_by {
            let expr = SortExpr::Expr(self.bind_key(&o.expr)?);
            order_by.push(SortKey { expr, desc: o.desc, nulls_first: o.nulls_first.unwrap_or(!o.desc) });
        }
        let frame = self.frame(spec)?;
        Ok(WindowCall { func, args, agg, partition_by, order_by, frame, name: name.to_string() })
    }

    fn frame(&self, spec: &WindowSpec) -> Result<FramePlan> {
        use crate::sql::ast::FrameExclude;
        let Some(frame) = &spec.frame else {
            // Without a frame: from the partition's start to the current row's last
            // peer (every row is a peer without ORDER BY).
            return Ok(FramePlan {
                units: FrameUnits::Range,
                start: FrameEdge::UnboundedPreceding,
                end: FrameEdge::CurrentRow,
                exclude: FrameExclude::NoOthers,
            });
        };
        let unsupported = || Error::invalid("unsupported frame specification");
        let rank = |b: &FrameBound| match b {
            FrameBound::UnboundedPreceding => 0,
            FrameBound::Preceding(_) => 1,
            FrameBound::CurrentRow => 2,
            FrameBound::Following(_) => 3,
            FrameBound::UnboundedFollowing => 4,
        };
        if matches!(frame.start, FrameBound::UnboundedFollowing)
            || matches!(frame.end, FrameBound::UnboundedPreceding)
            || rank(&frame.start) > rank(&frame.end)
        {
            return Err(unsupported());
        }
        let offset = [&frame.start, &frame.end].iter().any(|b| rank(b) == 1 || rank(b) == 3);
        if frame.units == FrameUnits::Range && offset && spec.order_by.len() != 1 {
            return Err(Error::invalid("RANGE with offset PRECEDING/FOLLOWING requires one ORDER BY term"));
        }
        let empty = Scope::default();
        let edge = |b: &FrameBound| -> Result<FrameEdge> {
            let mut constant = Binder::new(&empty, "not allowed in a window frame");
            Ok(match b {
                FrameBound::UnboundedPreceding => FrameEdge::UnboundedPreceding,
                FrameBound::Preceding(e) => FrameEdge::Preceding(constant.bind(e)?),
                FrameBound::CurrentRow => FrameEdge::CurrentRow,
                FrameBound::Following(e) => FrameEdge::Following(constant.bind(e)?),
                FrameBound::UnboundedFollowing => FrameEdge::UnboundedFollowing,
            })
        };
        Ok(FramePlan { units: frame.units, start: edge(&frame.start)?, end: edge(&frame.end)?, exclude: frame.exclude })
    }
}
