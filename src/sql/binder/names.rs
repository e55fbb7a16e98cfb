//! Functions by name: the scalar functions with their argument counts, the
//! aggregates, and the list `.help functions` and `amber_functions()` show.

use crate::sql::pg_catalog::CatalogFn;
use crate::sql::plan::{AggFunc, BExpr, DateFunc, Func, JsonFunc, MathFunc, WindowFunc};

/// Scalar functions by name, with their allowed argument counts.
pub(super) const SCALARS: &[(&str, Func, usize, usize)] = &[
    ("coalesce", Func::Coalesce, 2, usize::MAX),
    ("ifnull", Func::IfNull, 2, 2),
    ("nullif", Func::NullIf, 2, 2),
    ("abs", Func::Abs, 1, 1),
    ("length", Func::Length, 1, 1),
    ("hex", Func::Hex, 1, 1),
    ("lower", Func::Lower, 1, 1),
    ("upper", Func::Upper, 1, 1),
    ("substr", Func::Substr, 2, 3),
    ("substring", Func::Substr, 2, 3),
    ("trim", Func::Trim, 1, 2),
    ("ltrim", Func::LTrim, 1, 2),
    ("rtrim", Func::RTrim, 1, 2),
    ("round", Func::Round, 1, 2),
    ("typeof", Func::Typeof, 1, 1),
    ("min", Func::Min, 2, usize::MAX),
    ("max", Func::Max, 2, usize::MAX),
    ("now", Func::Now, 0, 0),
    ("current_timestamp", Func::Now, 0, 0),
    ("replace", Func::Replace, 3, 3),
    ("instr", Func::Instr, 2, 2),
    ("sign", Func::Sign, 1, 1),
    ("random", Func::Random, 0, 0),
    ("uuid", Func::Uuid, 0, 0),
    ("gen_random_uuid", Func::Uuid, 0, 0),
    ("uuid7", Func::Uuid7, 0, 0),
    ("last_insert_rowid", Func::LastInsertRowid, 0, 0),
    ("pg_backend_pid", Func::SessionId, 0, 0),
    ("changes", Func::Changes, 0, 0),
    ("total_changes", Func::TotalChanges, 0, 0),
    ("current_version", Func::CurrentVersion, 0, 0),
    ("amber_stats_reset", Func::StatsReset, 0, 0),
    ("version", Func::Version, 0, 0),
    ("current_database", Func::CurrentDatabase, 0, 0),
    ("current_catalog", Func::CurrentDatabase, 0, 0),
    ("current_schema", Func::CurrentSchema, 1, 1),
    ("current_setting", Func::CurrentSetting, 1, 2),
    ("regexp_like", Func::RegexpLike, 2, 3),
    ("pg_get_userbyid", Func::PgUser, 1, 1),
    ("pg_table_is_visible", Func::PgVisible, 1, 1),
    ("pg_encoding_to_char", Func::PgEncoding, 1, 1),
    ("pg_regclass", Func::Catalog(CatalogFn::RegClass), 1, 1),
    ("to_regclass", Func::Catalog(CatalogFn::RegClass), 1, 1),
    ("pg_regtype", Func::Catalog(CatalogFn::RegType), 1, 1),
    ("pg_regnamespace", Func::Catalog(CatalogFn::RegNamespace), 1, 1),
    ("pg_regproc", Func::Catalog(CatalogFn::RegProc), 1, 1),
    ("format_type", Func::Catalog(CatalogFn::FormatType), 2, 2),
    ("pg_get_expr", Func::Catalog(CatalogFn::GetExpr), 2, 3),
    ("pg_get_indexdef", Func::Catalog(CatalogFn::GetIndexDef), 1, 3),
    ("pg_get_constraintdef", Func::Catalog(CatalogFn::GetConstraintDef), 1, 2),
    ("pg_partition_ancestors", Func::Catalog(CatalogFn::PartitionAncestors), 1, 1),
    ("pg_get_statisticsobjdef_columns", Func::Catalog(CatalogFn::Nothing), 1, 1),
    ("pg_get_triggerdef", Func::Catalog(CatalogFn::Nothing), 1, 2),
    ("obj_description", Func::Catalog(CatalogFn::Nothing), 1, 2),
    ("col_description", Func::Catalog(CatalogFn::Nothing), 2, 2),
    ("shobj_description", Func::Catalog(CatalogFn::Nothing), 2, 2),
    ("pg_relation_is_publishable", Func::Catalog(CatalogFn::NotPublishable), 1, 1),
    ("pg_array_element", Func::Catalog(CatalogFn::ArrayElement), 2, 2),
    ("pg_array_contains", Func::Catalog(CatalogFn::ArrayContains), 2, 2),
    ("array_to_string", Func::Catalog(CatalogFn::ArrayToString), 2, 3),
    ("array_upper", Func::Catalog(CatalogFn::ArrayLength), 2, 2),
    ("array_length", Func::Catalog(CatalogFn::ArrayLength), 2, 2),
    ("cardinality", Func::Catalog(CatalogFn::ArrayLength), 1, 1),
    ("array_lower", Func::Catalog(CatalogFn::ArrayLower), 2, 2),
    // Stream functions that need a namespace get it as a first, hidden argument.
    ("write_message", Func::WriteMessage, 5, 7),
    ("stream_version", Func::StreamVersion, 2, 2),
    ("id", Func::StreamId, 1, 1),
    ("cardinal_id", Func::CardinalId, 1, 1),
    ("category", Func::Category, 1, 1),
    ("is_category", Func::IsCategory, 1, 1),
    ("hash_64", Func::Hash64, 1, 1),
    ("raise", Func::Raise, 1, 2),
    ("glob", Func::Glob, 2, 2),
    ("like", Func::Like, 2, 3),
    ("iif", Func::Iif, 3, 3),
    ("printf", Func::Printf, 1, usize::MAX),
    ("format", Func::Printf, 1, usize::MAX),
    ("concat", Func::Concat, 1, usize::MAX),
    ("concat_ws", Func::ConcatWs, 2, usize::MAX),
    ("quote", Func::Quote, 1, 1),
    ("char", Func::Char, 0, usize::MAX),
    ("unicode", Func::Unicode, 1, 1),
    ("randomblob", Func::RandomBlob, 1, 1),
    ("zeroblob", Func::ZeroBlob, 1, 1),
    ("unhex", Func::Unhex, 1, 2),
    ("likelihood", Func::Likelihood, 2, 2),
    ("likely", Func::Likelihood, 1, 1),
    ("unlikely", Func::Likelihood, 1, 1),
    ("octet_length", Func::OctetLength, 1, 1),
    ("date", Func::Date(DateFunc::Date), 0, usize::MAX),
    ("time", Func::Date(DateFunc::Time), 0, usize::MAX),
    ("datetime", Func::Date(DateFunc::DateTime), 0, usize::MAX),
    ("julianday", Func::Date(DateFunc::JulianDay), 0, usize::MAX),
    ("unixepoch", Func::Date(DateFunc::UnixEpoch), 0, usize::MAX),
    ("strftime", Func::Date(DateFunc::Strftime), 1, usize::MAX),
    ("timediff", Func::Date(DateFunc::TimeDiff), 2, 2),
    ("sqrt", Func::Math(MathFunc::Sqrt), 1, 1),
    ("pow", Func::Math(MathFunc::Pow), 2, 2),
    ("power", Func::Math(MathFunc::Pow), 2, 2),
    ("exp", Func::Math(MathFunc::Exp), 1, 1),
    ("ln", Func::Math(MathFunc::Ln), 1, 1),
    ("log", Func::Math(MathFunc::Log), 1, 2),
    ("log10", Func::Math(MathFunc::Log10), 1, 1),
    ("log2", Func::Math(MathFunc::Log2), 1, 1),
    ("floor", Func::Math(MathFunc::Floor), 1, 1),
    ("ceil", Func::Math(MathFunc::Ceil), 1, 1),
    ("ceiling", Func::Math(MathFunc::Ceil), 1, 1),
    ("trunc", Func::Math(MathFunc::Trunc), 1, 1),
    ("mod", Func::Math(MathFunc::Mod), 2, 2),
    ("pi", Func::Math(MathFunc::Pi), 0, 0),
    ("sin", Func::Math(MathFunc::Sin), 1, 1),
    ("cos", Func::Math(MathFunc::Cos), 1, 1),
    ("tan", Func::Math(MathFunc::Tan), 1, 1),
    ("asin", Func::Math(MathFunc::Asin), 1, 1),
    ("acos", Func::Math(MathFunc::Acos), 1, 1),
    ("atan", Func::Math(MathFunc::Atan), 1, 1),
    ("atan2", Func::Math(MathFunc::Atan2), 2, 2),
    ("sinh", Func::Math(MathFunc::Sinh), 1, 1),
    ("cosh", Func::Math(MathFunc::Cosh), 1, 1),
    ("tanh", Func::Math(MathFunc::Tanh), 1, 1),
    ("asinh", Func::Math(MathFunc::Asinh), 1, 1),
    ("acosh", Func::Math(MathFunc::Acosh), 1, 1),
    ("atanh", Func::Math(MathFunc::Atanh), 1, 1),
    ("degrees", Func::Math(MathFunc::Degrees), 1, 1),
    ("radians", Func::Math(MathFunc::Radians), 1, 1),
    ("json", Func::Json(JsonFunc::Json, 0, 0), 1, 1),
    ("json_valid", Func::Json(JsonFunc::Valid, 0, 0), 1, 2),
    ("json_error_position", Func::Json(JsonFunc::ErrorPosition, 0, 0), 1, 1),
    ("json_extract", Func::Json(JsonFunc::Extract, 0, 0), 2, usize::MAX),
    ("json_type", Func::Json(JsonFunc::Type, 0, 0), 1, 2),
    ("json_array_length", Func::Json(JsonFunc::ArrayLength, 0, 0), 1, 2),
    ("json_array", Func::Json(JsonFunc::Array, 0, 0), 0, usize::MAX),
    ("json_object", Func::Json(JsonFunc::Object, 0, 0), 0, usize::MAX),
    ("json_quote", Func::Json(JsonFunc::Quote, 0, 0), 1, 1),
    ("json_insert", Func::Json(JsonFunc::Insert, 0, 0), 1, usize::MAX),
    ("json_replace", Func::Json(JsonFunc::Replace, 0, 0), 1, usize::MAX),
    ("json_set", Func::Json(JsonFunc::Set, 0, 0), 1, usize::MAX),
    ("json_remove", Func::Json(JsonFunc::Remove, 0, 0), 1, usize::MAX),
    ("json_patch", Func::Json(JsonFunc::Patch, 0, 0), 2, 2),
    ("json_pretty", Func::Json(JsonFunc::Pretty, 0, 0), 1, 2),
    // JSONB is stored as JSON text here: the functions that make it give text.
    ("jsonb", Func::Json(JsonFunc::Json, 0, 0), 1, 1),
    ("jsonb_extract", Func::Json(JsonFunc::Extract, 0, 0), 2, usize::MAX),
    ("jsonb_array", Func::Json(JsonFunc::Array, 0, 0), 0, usize::MAX),
    ("jsonb_object", Func::Json(JsonFunc::Object, 0, 0), 0, usize::MAX),
    ("jsonb_insert", Func::Json(JsonFunc::Insert, 0, 0), 1, usize::MAX),
    ("jsonb_replace", Func::Json(JsonFunc::Replace, 0, 0), 1, usize::MAX),
    ("jsonb_set", Func::Json(JsonFunc::Set, 0, 0), 1, usize::MAX),
    ("jsonb_remove", Func::Json(JsonFunc::Remove, 0, 0), 1, usize::MAX),
    ("jsonb_patch", Func::Json(JsonFunc::Patch, 0, 0), 2, 2),
];

/// A JSON function call with its arguments marked: which are JSON, which are
/// `json_extract` results (see `exec::json::functions`).
pub fn json_call(f: JsonFunc, args: Vec<BExpr>) -> BExpr {
    let (mut json, mut extracted) = (0u16, 0u16);
    for (i, a) in args.iter().enumerate().take(16) {
        if let BExpr::Func(Func::Json(g, ..), _) = a {
            if g.returns_json() {
                json |= 1 << i;
            } else if *g == JsonFunc::Extract {
                extracted |= 1 << i;
            }
        }
    }
    BExpr::Func(Func::Json(f, json, extracted), args)
}

/// Every scalar and aggregate function by name with its argument counts, and the
/// window functions: for `.help functions` and `amber_functions()`.
pub fn function_list() -> Vec<(&'static str, &'static str, usize, usize)> {
    let mut out: Vec<(&str, &str, usize, usize)> = SCALARS
        .iter()
        .filter(|s| !matches!(s.1, Func::Raise | Func::TtlRemaining))
        .map(|&(name, _, min, max)| (name, "scalar", min, max))
        .collect();
    for name in AGGREGATES {
        let max = if ["group_concat", "string_agg"].contains(name) { 2 } else { 1 };
        out.push((name, "aggregate", usize::from(*name != "count"), max));
    }
    for name in ["row_number", "rank", "dense_rank", "percent_rank", "cume_dist", "ntile", "lag", "lead"] {
        if let Some((_, min, max)) = WindowFunc::by_name(name) {
            out.push((name, "window", min, max));
        }
    }
    for name in ["first_value", "last_value", "nth_value"] {
        if let Some((_, min, max)) = WindowFunc::by_name(name) {
            out.push((name, "window", min, max));
        }
    }
    out.sort();
    out
}

pub(super) const AGGREGATES: &[&str] = &[
    "count",
    "sum",
    "total",
    "avg",
    "min",
    "max",
    "group_concat",
    "string_agg",
    "json_group_array",
    "json_group_object",
];

/// The aggregate a call names, if it is one (`min`/`max` with one argument are).
pub(super) fn aggregate_of(name: &str, nargs: usize, star: bool) -> Option<AggFunc> {
    Some(match (name, nargs) {
        ("count", 0) if star => AggFunc::CountStar,
        ("count", 0) => AggFunc::CountStar,
        ("count", _) => AggFunc::Count,
        ("sum", _) => AggFunc::Sum,
        ("total", _) => AggFunc::Total,
        ("avg", _) => AggFunc::Avg,
        ("min", 1) => AggFunc::Min,
        ("max", 1) => AggFunc::Max,
        ("group_concat", _) => AggFunc::GroupConcat,
        // PostgreSQL's name, which always names its separator.
        ("string_agg", 2) => AggFunc::GroupConcat,
        ("json_group_array", _) => AggFunc::JsonGroupArray,
        ("json_group_object", _) => AggFunc::JsonGroupObject,
        _ => return None,
    })
}

/// The name a scalar function is called by (its first, when it has several).
pub fn scalar_name(f: &Func) -> Option<&'static str> {
    match f {
        Func::Json(JsonFunc::Arrow, ..) => return Some("->"),
        Func::Json(JsonFunc::Arrow2, ..) => return Some("->>"),
        Func::Json(j, ..) => {
            return SCALARS.iter().find(|(_, g, ..)| matches!(g, Func::Json(h, ..) if h == j)).map(|(name, ..)| *name)
        }
        _ => {}
    }
    SCALARS.iter().find(|(_, g, ..)| g == f).map(|(name, ..)| *name)
}
