//! Aggregate accumulators: one per aggregate call per group.

use std::borrow::Cow;
use std::collections::HashSet;

use super::eval::{eval, in_place, Env};
use super::json::{to_json, Json};
use crate::error::{ErrorKind, Result};
use crate::sql::plan::{AggCall, AggFunc, BExpr, Func, JsonFunc};
use crate::storage::convert::to_number;
use crate::storage::Value;

#[derive(Debug, Clone)]
enum State {
    Count(i64),
    /// Integer sum while every input is an integer; a real sum once any is not.
    Sum {
        int: i64,
        real: f64,
        is_real: bool,
        seen: bool,
        overflow: bool,
    },
    Avg {
        sum: f64,
        n: i64,
    },
    Extreme(Option<Value>),
    Concat(Option<String>),
    JsonArray(Vec<Json>),
    JsonObject(Vec<(String, Json)>),
}

/// Whether an aggregate's argument is JSON (a call of a JSON function that returns
/// JSON), and whether it is a `json_extract` (JSON when an array or object).
fn json_marks(arg: Option<&BExpr>) -> (bool, bool) {
    match arg {
        Some(BExpr::Func(Func::Json(f, ..), _)) => (f.returns_json(), *f == JsonFunc::Extract),
        _ => (false, false),
    }
}

#[derive(Debug, Clone)]
pub struct Accumulator {
    func: AggFunc,
    state: State,
    seen: Option<HashSet<Value>>,
}

impl Accumulator {
    pub fn new(call: &AggCall) -> Accumulator {
        let state = match call.func {
            AggFunc::CountStar | AggFunc::Count => State::Count(0),
            AggFunc::Sum | AggFunc::Total => {
                State::Sum { int: 0, real: 0.0, is_real: false, seen: false, overflow: false }
            }
            AggFunc::Avg => State::Avg { sum: 0.0, n: 0 },
            AggFunc::Min | AggFunc::Max => State::Extreme(None),
            AggFunc::GroupConcat => State::Concat(None),
            AggFunc::JsonGroupArray => State::JsonArray(Vec::new()),
            AggFunc::JsonGroupObject => State::JsonObject(Vec::new()),
        };
        Accumulator { func: call.func, state, seen: call.distinct.then(HashSet::new) }
    }

    /// Feeds one input row; true when it became the group's min() or max() (whose row
    /// bare columns then read, as in SQLite).
    pub fn add(&mut self, call: &AggCall, env: &Env) -> Result<bool> {
        if let Some(f) = &call.filter {
            if !super::eval::is_true(f, env)? {
                return Ok(false);
            }
        }
        // A column (most arguments) is read in place, not through a `Result`.
        let v: Cow<Value> = match &call.arg {
            Some(a) => match in_place(a, env) {
                Some(v) => Cow::Borrowed(v),
                None => Cow::Owned(eval(a, env)?),
            },
            None => Cow::Owned(Value::Integer(1)),
        };
        if v.is_null() && !matches!(self.func, AggFunc::CountStar | AggFunc::JsonGroupArray) {
            return Ok(false);
        }
        // Under the argument's collation (a NOCASE column), `'Ann'` and `'ANN'` are one
        // value to DISTINCT and compare equal to min() and max().
        let folded = |v: &Value| call.collation.map_or_else(|| v.clone(), |c| super::functions::collate(c, v));
        if let Some(seen) = &mut self.seen {
            if !seen.insert(folded(&v)) {
                return Ok(false);
            }
        }
        match &mut self.state {
            State::Count(n) => *n += 1,
            State::Sum { int, real, is_real, seen, overflow } => {
                *seen = true;
                match to_number(&v) {
                    Value::Integer(i) => {
                        *real += i as f64;
                        match int.checked_add(i) {
                            Some(s) => *int = s,
                            None => *overflow = true,
                        }
                    }
                    Value::Real(r) => {
                        *real += r;
                        *is_real = true;
                    }
                    _ => {}
                }
            }
            State::Avg { sum, n } => {
                *sum += match to_number(&v) {
                    Value::Integer(i) => i as f64,
                    Value::Real(r) => r,
                    _ => 0.0,
                };
                *n += 1;
            }
            State::Extreme(cur) => {
                let better = match cur {
                    None => true,
                    Some(c) => {
                        let o = match call.collation {
                            Some(_) => folded(&v).total_cmp(&folded(c)),
                            None => v.total_cmp(c),
                        };
                        if self.func == AggFunc::Min {
                            o.is_lt()
                        } else {
                            o.is_gt()
                        }
                    }
                };
                if better {
                    *cur = Some(v.into_owned());
                    return Ok(true);
                }
            }
            State::JsonArray(items) => {
                let (json, extracted) = json_marks(call.arg.as_ref());
                items.push(to_json(&v, json, extracted)?);
            }
            State::JsonObject(members) => {
                let Value::Text(label) = &*v else {
                    return Err(crate::error::Error::invalid("json_group_object() labels must be TEXT"));
                };
                let (json, extracted) = json_marks(call.separator.as_ref());
                let value = match &call.separator {
                    Some(e) => eval(e, env)?,
                    None => Value::Null,
                };
                let Json::Str(key) = Json::string(label) else { return Ok(false) };
                members.push((key, to_json(&value, json, extracted)?));
            }
            State::Concat(acc) => {
                let sep = match &call.separator {
                    Some(s) => eval(s, env)?.to_string(),
                    None => ",".to_string(),
                };
                let v = v.to_string();
                let len = acc.as_ref().map_or(0, |s| s.len() + sep.len()) + v.len();
                env.ctx.check_length(len)?;
                match acc {
                    Some(s) => {
                        s.push_str(&sep);
                        s.push_str(&v);
                    }
                    None => *acc = Some(v),
                }
            }
        }
        Ok(false)
    }

    /// The aggregate's value for the group.
    pub fn finish(&self) -> Result<Value> {
        Ok(match &self.state {
            State::Count(n) => Value::Integer(*n),
            State::Sum { int, real, is_real, seen, overflow } => match self.func {
                AggFunc::Total => Value::Real(*real),
                _ if !seen => Value::Null,
                _ if *is_real => Value::Real(*real),
                _ if *overflow => return Err(ErrorKind::IntegerOverflow.into()),
                _ => Value::Integer(*int),
            },
            State::Avg { n: 0, .. } => Value::Null,
            State::Avg { sum, n } => Value::Real(sum / *n as f64),
            State::Extreme(v) => v.clone().unwrap_or(Value::Null),
            State::Concat(s) => s.as_deref().map_or(Value::Null, Value::text),
            State::JsonArray(items) => Value::text(&Json::Array(items.clone()).text()),
            State::JsonObject(members) => Value::text(&Json::Object(members.clone()).text()),
        })
    }
}
