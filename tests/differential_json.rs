//! Differential testing of the JSON functions and operators against bundled SQLite's:
//! documents of random shape (nested objects and arrays, repeated keys, unicode,
//! escapes, numbers at the edges of i64 and f64), random paths (that exist and that do
//! not), every scalar function and `->`/`->>`, and broken documents. Each case is one
//! document and a dozen calls; both engines must give the same value or both fail.
//! 20,000 cases by default (and 5,000 of the table functions); `AMBER_DIFF_CASES=N` runs more.

use amberdb::Database;
use proptest::prelude::*;

mod agree;

fn scalar() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("null".to_string()),
        Just("true".to_string()),
        Just("false".to_string()),
        (-1000i64..1000).prop_map(|i| i.to_string()),
        prop::sample::select(vec![
            "0",
            "-0",
            "9223372036854775807",
            "-9223372036854775808",
            "9223372036854775808",
            "1.5",
            "-2.25e-3",
            "1e300",
            "1E2",
            "0.1",
            "123456789.123456789",
        ])
        .prop_map(str::to_string),
        prop::sample::select(vec![
            "\"\"",
            "\"a\"",
            "\"x y\"",
            "\"é☃\"",
            "\"line\\nbreak\"",
            "\"q\\\"uote\"",
            "\"\\u0041\\u00e9\"",
            "\"tab\\there\"",
            "\"back\\\\slash\"",
            "\"[1,2]\"",
        ])
        .prop_map(str::to_string),
    ]
}

fn key() -> impl Strategy<Value = String> {
    prop::sample::select(vec!["a", "b", "c", "key", "x y", "é", "a_b", "1a", "", "q\\\"k"])
        .prop_map(|k| format!("\"{k}\""))
}

fn document() -> impl Strategy<Value = String> {
    scalar().prop_recursive(3, 24, 4, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(|items| format!("[{}]", items.join(","))),
            prop::collection::vec((key(), inner), 0..4).prop_map(|members| {
                let m: Vec<String> = members.into_iter().map(|(k, v)| format!("{k}:{v}")).collect();
                format!("{{{}}}", m.join(", "))
            }),
        ]
    })
}

fn path() -> impl Strategy<Value = String> {
    let step = prop_oneof![
        prop::sample::select(vec![".a", ".b", ".c", ".key", ".\"x y\"", ".é", ".zz"]).prop_map(str::to_string),
        (0usize..4).prop_map(|i| format!("[{i}]")),
        (0usize..3).prop_map(|i| format!("[#-{}]", i + 1)),
    ];
    prop::collection::vec(step, 0..3).prop_map(|steps| format!("${}", steps.concat()))
}

fn value() -> impl Strategy<Value = String> {
    prop::sample::select(vec!["1", "-7", "2.5", "'text'", "NULL", "json('[1,{\"n\":2}]')", "json_object('k', 'v')"])
        .prop_map(str::to_string)
}

fn quote(s: &str) -> String {
    format!("'{}'", s.replace('\'', "''"))
}

/// One call on document `d` (an SQL literal).
fn call(d: String) -> impl Strategy<Value = String> {
    let arrow_rhs = prop_oneof![
        path().prop_map(|p| quote(&p)),
        prop::sample::select(vec!["'a'", "'b'", "'key'", "0", "1", "2"]).prop_map(str::to_string),
    ];
    prop_oneof![
        Just(format!("json({d})")),
        Just(format!("json_valid({d})")),
        Just(format!("json_type({d})")),
        Just(format!("json_array_length({d})")),
        Just(format!("json_quote({d})")),
        path().prop_map({
            let d = d.clone();
            move |p| format!("json_extract({d}, {})", quote(&p))
        }),
        (path(), path()).prop_map({
            let d = d.clone();
            move |(p, q)| format!("json_extract({d}, {}, {})", quote(&p), quote(&q))
        }),
        path().prop_map({
            let d = d.clone();
            move |p| format!("json_type({d}, {})", quote(&p))
        }),
        path().prop_map({
            let d = d.clone();
            move |p| format!("json_array_length({d}, {})", quote(&p))
        }),
        arrow_rhs.clone().prop_map({
            let d = d.clone();
            move |r| format!("{d} -> {r}")
        }),
        arrow_rhs.prop_map({
            let d = d.clone();
            move |r| format!("{d} ->> {r}")
        }),
        (prop::sample::select(vec!["json_insert", "json_replace", "json_set"]), path(), value()).prop_map({
            let d = d.clone();
            move |(f, p, v)| format!("{f}({d}, {}, {v})", quote(&p))
        }),
        (path(), path()).prop_map({
            let d = d.clone();
            move |(p, q)| format!("json_remove({d}, {}, {})", quote(&p), quote(&q))
        }),
        document().prop_map({
            let d = d.clone();
            move |patch| format!("json_patch({d}, {})", quote(&patch))
        }),
        value().prop_map({
            let d = d.clone();
            move |v| format!("json_array({d}, {v}, json({d}))")
        }),
        value().prop_map(move |v| format!("json_object('doc', json({d}), 'v', {v}, 'n', 1.5)")),
    ]
}

fn case() -> impl Strategy<Value = Vec<String>> {
    prop_oneof![
        9 => document().prop_map(|d| quote(&d)),
        // A broken document: cut short, or with a stray byte.
        1 => (document(), 0usize..8).prop_map(|(d, cut)| {
            let mut end = d.len().saturating_sub(cut + 1);
            while !d.is_char_boundary(end) {
                end -= 1;
            }
            quote(&d[..end])
        }),
        // The same documents written as JSON5.
        2 => (document(), any::<u64>()).prop_map(|(d, seed)| quote(&json5ify(&d, seed))),
    ]
    .prop_flat_map(|d| prop::collection::vec(call(d), 12))
}

/// `doc` (JSON) rewritten with JSON5's liberties, chosen by `seed`: keys without
/// quotes, single-quoted strings, trailing commas, comments and odd white space,
/// hexadecimal and signed numbers, leading and trailing decimal points, Infinity, NaN.
fn json5ify(doc: &str, seed: u64) -> String {
    let mut bits = seed;
    let mut coin = |n: u64| {
        bits = bits.rotate_left(7) ^ 0x9e37_79b9_7f4a_7c15;
        bits.is_multiple_of(n)
    };
    let mut out = String::new();
    let chars: Vec<char> = doc.chars().collect();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        match c {
            '"' => {
                let mut j = i + 1;
                while j < chars.len() && chars[j] != '"' {
                    j += if chars[j] == '\\' { 2 } else { 1 };
                }
                let body: String = chars[i + 1..j.min(chars.len())].iter().collect();
                let is_key = chars.get(j + 1) == Some(&':');
                let ident = !body.is_empty()
                    && body.chars().all(|c| c.is_alphanumeric() || c == '_')
                    && !body.starts_with(|c: char| c.is_ascii_digit());
                if is_key && ident && coin(2) {
                    out.push_str(&body);
                } else if coin(3) && !body.contains('\'') {
                    out.push('\'');
                    out.push_str(&body.replace("\\\"", "\""));
                    out.push('\'');
                } else {
                    out.push('"');
                    out.push_str(&body);
                    out.push('"');
                }
                i = j + 1;
                continue;
            }
            ']' | '}' if coin(4) && !matches!(out.trim_end().chars().last(), Some('[' | '{' | ',')) => {
                out.push(',');
                out.push(c);
            }
            ',' if coin(5) => out.push_str(", /* c */\n"),
            '0'..='9'
                if !chars
                    .get(i.wrapping_sub(1))
                    .is_some_and(|p| p.is_ascii_alphanumeric() || *p == '.' || *p == '-') =>
            {
                let mut j = i;
                while j < chars.len() && chars[j].is_ascii_digit() {
                    j += 1;
                }
                let digits: String = chars[i..j].iter().collect();
                let plain = !matches!(chars.get(j), Some('.' | 'e' | 'E'));
                match digits.parse::<u32>() {
                    Ok(n) if plain && coin(3) => out.push_str(&format!("0x{n:X}")),
                    Ok(_) if plain && coin(4) => out.push_str(&format!("{digits}.")),
                    Ok(0) if chars.get(j) == Some(&'.') && coin(2) => {}
                    _ => out.push_str(&digits),
                }
                i = j;
                continue;
            }
            'n' if chars[i..].starts_with(&['n', 'u', 'l', 'l']) && coin(6) => {
                out.push_str("NaN");
                i += 4;
                continue;
            }
            c => out.push(c),
        }
        i += 1;
    }
    if coin(4) {
        out = format!("// lead\n\u{a0}{out}\t");
    }
    if coin(8) {
        out = out.replacen("1e300", "Infinity", 1);
    }
    out
}

fn show_real(r: f64) -> String {
    format!("{r:e}")
}

fn cases() -> u32 {
    std::env::var("AMBER_DIFF_CASES").ok().and_then(|v| v.parse().ok()).unwrap_or(20_000)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: cases(), ..ProptestConfig::default() })]

    #[test]
    fn json_functions_agree_with_sqlite(calls in case()) {
        let mut amber = Database::open_in_memory().session();
        let lite = rusqlite::Connection::open_in_memory().unwrap();
        for expr in &calls {
            let sql = format!("SELECT {expr}");
            let a = agree::amber_rows(&mut amber, &sql, show_real).ok();
            let b = agree::sqlite_rows(&lite, &sql, show_real).ok();
            prop_assert_eq!(a, b, "{}", sql);
        }
    }
}

/// One read of a document through `json_each` or `json_tree`, every column.
fn table_call(d: String) -> impl Strategy<Value = String> {
    (prop::sample::select(vec!["json_each", "json_tree"]), prop::option::of(path()), 0..3).prop_map(
        move |(f, p, how)| {
            let args = match &p {
                Some(p) => format!("{d}, {}", quote(p)),
                None => d.clone(),
            };
            match how {
                0 => format!("SELECT * FROM {f}({args})"),
                1 => format!(
                    "SELECT t.n, j.* FROM (SELECT 1 AS n, {d} AS x UNION ALL SELECT 2, '[7]') AS t, {f}(t.x) AS j"
                ),
                _ => format!("SELECT key, type, fullkey FROM {f}({args}) WHERE type <> 'null' AND id > 1"),
            }
        },
    )
}

proptest! {
    #![proptest_config(ProptestConfig { cases: cases() / 4, ..ProptestConfig::default() })]

    #[test]
    fn json_table_functions_agree_with_sqlite(
        reads in document().prop_flat_map(|d| prop::collection::vec(table_call(quote(&d)), 6))
    ) {
        let mut amber = Database::open_in_memory().session();
        let lite = rusqlite::Connection::open_in_memory().unwrap();
        for sql in &reads {
            let a = agree::amber_rows(&mut amber, sql, show_real).ok();
            let b = agree::sqlite_rows(&lite, sql, show_real).ok();
            prop_assert_eq!(a, b, "{}", sql);
        }
    }
}

/// The table functions' edges: no document, no path, a scalar, an empty container,
/// broken documents and paths, and uses in joins, subqueries and aggregates.
#[test]
fn json_table_function_edges_agree_with_sqlite() {
    let mut amber = Database::open_in_memory().session();
    let lite = rusqlite::Connection::open_in_memory().unwrap();
    let setup = [
        "CREATE TABLE docs(id INTEGER PRIMARY KEY, body TEXT)",
        r#"INSERT INTO docs VALUES (1, '{"tags":["red","blue"],"n":1}'), (2, '{"tags":[]}'), (3, NULL), (4, '{"tags":"solo"}')"#,
    ];
    for sql in setup {
        amber.execute(sql, &[]).unwrap();
        lite.execute(sql, []).unwrap();
    }
    for sql in [
        "SELECT * FROM json_each(NULL)",
        "SELECT * FROM json_each('[1]', NULL)",
        "SELECT * FROM json_each(5)",
        "SELECT * FROM json_each(2.5)",
        "SELECT * FROM json_tree(5)",
        "SELECT * FROM json_each('{}')",
        "SELECT * FROM json_tree('[]')",
        "SELECT * FROM json_each('[1,')",
        "SELECT * FROM json_each('[1]', 'x')",
        "SELECT * FROM json_each('[1]', '$[')",
        "SELECT * FROM json_tree('{\"a\":{\"b\":[1,{\"c\":2}]}}', '$.a')",
        "SELECT * FROM json_tree('{\"x y\":[-2.25e-3,[true,true]]}', '$.\"x y\"[1]')",
        "SELECT * FROM json_tree('{\"x y\":{\"é\":[1]}}', '$.\"x y\".\"é\"')",
        "SELECT key, value FROM json_each('{\"a\":1,\"a\":2}')",
        // White space inside and around (values come back minified), JSON5, big payloads.
        "SELECT * FROM json_each(' { \"a\" : [ 1 , { \"b\" : \"x \\\" y\" } ] , \"c\":null } ', '$.a')",
        "SELECT * FROM json_each(' [ true , false , -0.5e3 , \"\\u00e9\" ] ')",
        "SELECT * FROM json_each('[1, 2,]')",
        "SELECT * FROM json_each('{a: 1, ''b'': [2,]}')",
        "SELECT * FROM json_each('[1, 2] x')",
        "SELECT * FROM json_each('{\"a\":[1,2]}', '$.a[#-1]')",
        "SELECT * FROM json_each('{\"a\":[1,2]}', '$.a[1]')",
        "SELECT * FROM json_each('{\"a\":[1,2]}', '$[0]')",
        "SELECT * FROM json_each('[{\"a\":1}]', '$.a')",
        "SELECT key, id, length(value) FROM json_each(json_array(printf('%.300c', 'x'), zeroblob(0), printf('%.70000c', 'y'), 3))",
        "SELECT d.id, t.value FROM docs AS d, json_each(d.body, '$.tags') AS t",
        "SELECT d.id, t.value FROM docs AS d LEFT JOIN json_each(d.body, '$.tags') AS t",
        "SELECT d.id, t.value FROM docs AS d JOIN json_each(d.body, '$.tags') AS t ON t.value = 'blue'",
        "SELECT d.id FROM docs AS d WHERE EXISTS (SELECT 1 FROM json_each(d.body, '$.tags') WHERE value = 'red')",
        "SELECT t.value, count(*) FROM docs, json_each(docs.body, '$.tags') AS t GROUP BY t.value",
        "SELECT id, (SELECT group_concat(value) FROM json_each(body, '$.tags')) FROM docs",
        "SELECT a.key, b.key FROM json_each('[1,2]') AS a, json_each('[3,4]') AS b",
        "SELECT j.fullkey FROM docs, json_tree(docs.body) AS j WHERE j.atom IS NOT NULL",
        "SELECT count(*) FROM json_each('[1,2,3]') WHERE value > 1",
    ] {
        let a = agree::amber_rows(&mut amber, sql, show_real);
        let b = agree::sqlite_rows(&lite, sql, show_real);
        assert_eq!(a.is_ok(), b.is_ok(), "{sql}: {a:?} vs {b:?}");
        if a.is_ok() {
            assert_eq!(a, b, "{sql}");
        }
    }
}

/// Errors agree on where a document breaks, JSON5 read as SQLite reads it.
#[test]
fn error_positions_agree_with_sqlite() {
    let mut amber = Database::open_in_memory().session();
    let lite = rusqlite::Connection::open_in_memory().unwrap();
    let mut wrong = Vec::new();
    for doc in [
        "",
        "[1,",
        "{\"a\" 1}",
        "[01]",
        "[1] x",
        "\"\\q\"",
        "tru",
        "{\"a\":[1,2}",
        "[1 2]",
        "[1,2,]",
        "{a:1}",
        "{a:1,}",
        "[1,,2]",
        "{a:}",
        "[0x]",
        "[00]",
        "[-NaN]",
        "[.]",
        "[1.e]",
        "{1a:1}",
        "['a\\'b']",
        "[/* open",
        "[1 // c\n]",
        "[+Infinity, -inf, nan, QNaN]",
        "[0x8000000000000000, 0XFFFFFFFFFFFFFFFFFF]",
        "['\\x4']",
        "{'a':'\\x41\\v\\0'}",
        "[\"a\\\nb\"]",
        "[\u{a0}1\u{2028}]",
        "{$a_1:1, é:2}",
    ] {
        let sql = format!(
            "SELECT json_error_position({q}), json_valid({q}), json_valid({q}, 2), json_valid({q}, 3), \
             CASE WHEN json_valid({q}, 2) THEN json({q}) END",
            q = quote(doc)
        );
        let a = agree::amber_rows(&mut amber, &sql, show_real);
        let b = agree::sqlite_rows(&lite, &sql, show_real);
        if a != b {
            wrong.push(format!("{sql}\n  amber:  {a:?}\n  sqlite: {b:?}"));
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}
