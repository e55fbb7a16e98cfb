//! Property tests: the parser round-trips what it prints, and no input — random bytes or
//! random soups of SQL tokens — panics or changes the database when it fails.

mod common;

use amberdb::ast::{BinaryOp, Expr, UnaryOp};
use amberdb::parse_expr;
use amberdb::{Database, Value};
use proptest::prelude::*;

fn literal() -> impl Strategy<Value = Expr> {
    prop_oneof![
        (0i64..100_000).prop_map(|i| Expr::Literal(Value::Integer(i))),
        (0i64..100_000).prop_map(|i| Expr::Literal(Value::Real(i as f64 / 100.0))),
        "[a-z' ]{0,6}".prop_map(|s| Expr::Literal(Value::text(&s))),
        Just(Expr::Literal(Value::Null)),
        any::<bool>().prop_map(|b| Expr::Literal(Value::Boolean(b))),
    ]
}

fn leaf() -> impl Strategy<Value = Expr> {
    let names = prop::sample::select(vec!["a", "b", "price", "x1", "weird name"]);
    let tables = prop::option::of(prop::sample::select(vec!["t", "orders"]));
    prop_oneof![
        literal(),
        (tables, names).prop_map(|(t, n)| Expr::Column { table: t.map(String::from), name: n.to_string() }),
        (1usize..5).prop_map(Expr::Param),
    ]
}

fn binary_op() -> impl Strategy<Value = BinaryOp> {
    use BinaryOp::*;
    prop::sample::select(vec![
        Or, And, Eq, NotEq, Lt, LtEq, Gt, GtEq, Is, IsNot, Like, NotLike, Concat, Add, Sub, Mul, Div, Mod, BitAnd,
        BitOr, ShiftLeft, ShiftRight,
    ])
}

fn expr() -> impl Strategy<Value = Expr> {
    leaf().prop_recursive(4, 40, 4, |inner| {
        let b = || inner.clone().prop_map(Box::new);
        prop_oneof![
            (prop::sample::select(vec![UnaryOp::Not, UnaryOp::Neg, UnaryOp::Plus, UnaryOp::BitNot]), b())
                .prop_map(|(op, expr)| Expr::Unary { op, expr }),
            (binary_op(), b(), b()).prop_map(|(op, left, right)| Expr::Binary { op, left, right }),
            (b(), any::<bool>()).prop_map(|(expr, negated)| Expr::IsNull { expr, negated }),
            (b(), b(), b(), any::<bool>()).prop_map(|(expr, low, high, negated)| Expr::Between {
                expr,
                low,
                high,
                negated
            }),
            (b(), prop::collection::vec(inner.clone(), 0..3), any::<bool>())
                .prop_map(|(expr, list, negated)| Expr::InList { expr, list, negated }),
            (prop::option::of(b()), prop::collection::vec((inner.clone(), inner.clone()), 1..3), prop::option::of(b()))
                .prop_map(|(operand, whens, else_)| Expr::Case { operand, whens, else_ }),
            (b(), prop::sample::select(vec!["INTEGER", "TEXT", "VARCHAR(10)", "DOUBLE PRECISION"]))
                .prop_map(|(expr, t)| Expr::Cast { expr, type_name: t.to_string() }),
            (
                prop::sample::select(vec!["abs", "coalesce", "count", "my_func"]),
                prop::collection::vec(inner.clone(), 0..3),
                any::<bool>(),
                prop::option::of(b()),
                prop::option::of((
                    prop::collection::vec(inner.clone(), 0..2),
                    prop::collection::vec((inner.clone(), any::<bool>()), 0..2),
                    prop::option::of((0..3u8, inner.clone(), 0..4u8)),
                )),
            )
                .prop_map(|(name, args, distinct, filter, over)| Expr::Function {
                    name: name.to_string(),
                    distinct: distinct && !args.is_empty(),
                    args,
                    star: false,
                    filter,
                    over: over.map(|(partition_by, order, frame)| {
                        Box::new(amberdb::ast::WindowSpec {
                            base: None,
                            partition_by,
                            order_by: order
                                .into_iter()
                                .map(|(expr, desc)| amberdb::ast::OrderItem { expr, desc, nulls_first: None })
                                .collect(),
                            frame: frame.map(|(units, offset, exclude)| {
                                use amberdb::ast::{Frame, FrameBound, FrameExclude, FrameUnits};
                                Frame {
                                    units: [FrameUnits::Rows, FrameUnits::Range, FrameUnits::Groups][units as usize],
                                    start: FrameBound::Preceding(offset),
                                    end: FrameBound::CurrentRow,
                                    exclude: [
                                        FrameExclude::NoOthers,
                                        FrameExclude::CurrentRow,
                                        FrameExclude::Group,
                                        FrameExclude::Ties,
                                    ][exclude as usize],
                                }
                            }),
                        })
                    }),
                }),
        ]
    })
}

/// Pieces of SQL, for token soups that are almost statements.
const TOKENS: &[&str] = &[
    "SELECT",
    "FROM",
    "WHERE",
    "INSERT",
    "INTO",
    "VALUES",
    "UPDATE",
    "SET",
    "DELETE",
    "CREATE",
    "TABLE",
    "DROP",
    "BEGIN",
    "COMMIT",
    "ROLLBACK",
    "GROUP",
    "BY",
    "ORDER",
    "LIMIT",
    "OFFSET",
    "HAVING",
    "AND",
    "OR",
    "NOT",
    "NULL",
    "IS",
    "IN",
    "BETWEEN",
    "LIKE",
    "CASE",
    "WHEN",
    "THEN",
    "ELSE",
    "END",
    "CAST",
    "AS",
    "PRIMARY",
    "KEY",
    "UNIQUE",
    "CHECK",
    "DEFAULT",
    "DISTINCT",
    "count(*)",
    "sum",
    "t",
    "u",
    "a",
    "b",
    "(",
    ")",
    ",",
    ";",
    "*",
    "+",
    "-",
    "/",
    "%",
    "=",
    "<",
    ">=",
    "||",
    "'x'",
    "'",
    "\"",
    "1",
    "0",
    "-1",
    "9223372036854775807",
    "1e308",
    "1.5",
    "?",
    "$2",
    "INTEGER",
    "TEXT",
    "--",
    "/*",
    "*/",
    "\n",
    "INDEX",
    "ON",
    "ALTER",
    "ADD",
    "COLUMN",
    "RENAME",
    "TO",
    "REFERENCES",
    "FOREIGN",
    "CASCADE",
    "SNAPSHOT",
    "RESTORE",
    "DIFF",
    "AS OF VERSION 1",
    "AS OF SNAPSHOT s",
    "SAVEPOINT",
    "RELEASE",
    "EXPLAIN",
    "CHECK DATABASE",
    "HEAD",
    "ISOLATION LEVEL SERIALIZABLE",
    "u(a)",
    "t (a)",
    "LIKE 'x%'",
    "ORDER BY a DESC LIMIT 2",
];

/// Statements on `seeded()`'s tables, many of which fail part of the way through a
/// multi-row change (a duplicate key, a CHECK, a type).
const TXN_STATEMENTS: &[&str] = &[
    "INSERT INTO t VALUES (3, 'z')",
    "INSERT INTO t VALUES (4, 'w'), (5, 'x')",
    "INSERT INTO t VALUES (6, 'v'), (7, 'toolong')",
    "INSERT INTO t (b) VALUES ('n1'), ('n2')",
    "UPDATE t SET b = b || b",
    "UPDATE t SET a = a + 10 WHERE a > 1",
    "UPDATE t SET b = 'same'",
    "DELETE FROM t WHERE a % 2 = 0",
    "DELETE FROM t WHERE b = 'x'",
    "INSERT OR REPLACE INTO t VALUES (1, 'r')",
    "INSERT INTO u VALUES (1.5, true), ('no', false)",
    "INSERT INTO u SELECT a, a > 2 FROM t",
    "CREATE INDEX t_b ON t (b)",
    "CREATE UNIQUE INDEX u_a ON u (a)",
    "ALTER TABLE u ADD COLUMN c INTEGER DEFAULT 7",
    "UPDATE u SET a = a * 2",
    // Triggers whose writes join the statement's, some of which fail it part-way.
    "CREATE TRIGGER t_copied AFTER INSERT ON t BEGIN INSERT INTO u VALUES (NEW.a, NEW.a > 4); END",
    "CREATE TRIGGER t_guarded BEFORE UPDATE ON t WHEN NEW.a > 14 BEGIN SELECT RAISE(ABORT, 'too big'); END",
    "CREATE TRIGGER t_kept BEFORE DELETE ON t WHEN OLD.b = 'x' BEGIN SELECT RAISE(IGNORE); END",
    "DROP TRIGGER t_copied",
    "CREATE TRIGGER t_then_fail AFTER UPDATE ON t WHEN NEW.b = 'zz' BEGIN INSERT INTO u VALUES (NEW.a, true); SELECT RAISE(FAIL, 'no zz'); END",
    "UPDATE t SET b = 'zz' WHERE a = 1",
    "CREATE VIEW tv AS SELECT a, b FROM t",
    "CREATE TRIGGER tv_in INSTEAD OF INSERT ON tv BEGIN INSERT INTO t VALUES (NEW.a, NEW.b); INSERT INTO u VALUES (NEW.a, false); END",
    "INSERT INTO tv VALUES (8, 'v'), (9, 'toolong')",
    "INSERT INTO tv VALUES (10, 'w')",
];

/// Everything a database holds, as text, to tell whether anything changed.
fn fingerprint(db: &Database) -> String {
    let state = db.state();
    let mut out = String::new();
    for t in state.tables() {
        out.push_str(&t.schema.to_sql());
        for (k, row) in t.rows.iter() {
            out.push_str(&format!("\n{k}: {row:?}"));
        }
    }
    out
}

fn seeded() -> Database {
    let db = Database::open_in_memory();
    let mut s = db.session();
    s.execute("CREATE TABLE t (a INTEGER PRIMARY KEY, b TEXT UNIQUE NOT NULL CHECK (length(b) < 5))", &[]).unwrap();
    s.execute("INSERT INTO t VALUES (1, 'x'), (2, 'y')", &[]).unwrap();
    s.execute("CREATE TABLE u (a REAL, b BOOLEAN)", &[]).unwrap();
    db
}

/// Runs each statement; a failing one must leave the database exactly as it was.
fn run_checked(db: &Database, sql: &str) {
    let mut s = db.session();
    let before = fingerprint(db);
    if s.execute(sql, &[Value::Integer(1), Value::text("p")]).is_err() {
        assert_eq!(before, fingerprint(db), "a failed statement changed the database: {sql:?}");
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(std::env::var("AMBER_FUZZ_CASES").ok().and_then(|v| v.parse().ok()).unwrap_or(512)))]

    #[test]
    fn printing_then_parsing_gives_the_same_tree(e in expr()) {
        let printed = e.to_string();
        let parsed = parse_expr(&printed).map_err(|err| TestCaseError::fail(format!("{printed}: {err}")))?;
        prop_assert_eq!(&parsed, &e, "printed as {}", printed);
        prop_assert_eq!(parsed.to_string(), printed);
    }

    #[test]
    fn random_bytes_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..80)) {
        let db = seeded();
        run_checked(&db, &String::from_utf8_lossy(&bytes));
        common::transcript(&String::from_utf8_lossy(&bytes), "fuzz.q");
    }

    /// `ORDER BY … LIMIT k` keeps only the best rows as it scans (top-k, skipping rows
    /// that cannot make it); it must give the first k rows of the full sort, ties in
    /// scan order, NULLs where the full sort puts them.
    #[test]
    fn top_k_is_the_start_of_the_full_sort(
        rows in prop::collection::vec((prop::option::of(0i64..6), prop::option::of(0i64..4)), 0..300),
        k in 0usize..150,
        order in prop::sample::select(vec!["a DESC, b", "a, b DESC", "b", "a DESC", "a * 2 + b DESC", "2 DESC, 3"]),
    ) {
        let db = Database::open_in_memory();
        let mut s = db.session();
        s.execute("CREATE TABLE t (id INTEGER PRIMARY KEY, a INTEGER, b INTEGER)", &[]).unwrap();
        let insert = s.prepare("INSERT INTO t VALUES (?, ?, ?)").unwrap();
        let value = |v: Option<i64>| v.map_or(Value::Null, Value::Integer);
        for (i, (a, b)) in rows.iter().enumerate() {
            s.execute_prepared(&insert, &[Value::Integer(i as i64), value(*a), value(*b)]).unwrap();
        }
        let all = s.query(&format!("SELECT id, a, b FROM t ORDER BY {order}"), &[]).unwrap().rows;
        let top = s.query(&format!("SELECT id, a, b FROM t ORDER BY {order} LIMIT {k}"), &[]).unwrap().rows;
        prop_assert_eq!(&top[..], &all[..k.min(all.len())]);
    }

    /// Inside a transaction a statement changes the transaction's copy in place, and a
    /// failing one is undone by rebuilding that copy; either way each statement must
    /// act as in autocommit: the same statements, some failing, leave the same rows.
    #[test]
    fn a_transaction_ends_where_the_same_statements_in_autocommit_end(
        statements in prop::collection::vec(prop::sample::select(TXN_STATEMENTS), 1..14),
    ) {
        let (auto, txn) = (seeded(), seeded());
        let mut a = auto.session();
        let mut t = txn.session();
        t.execute("BEGIN", &[]).unwrap();
        for sql in &statements {
            let (x, y) = (a.execute(sql, &[]).is_ok(), t.execute(sql, &[]).is_ok());
            prop_assert_eq!(x, y, "{} succeeded in one mode only", sql);
        }
        t.execute("COMMIT", &[]).unwrap();
        prop_assert_eq!(fingerprint(&auto), fingerprint(&txn));
    }

    /// Statements whose triggers write other tables and then fail: each statement is
    /// atomic with its triggers' work.
    #[test]
    fn a_failing_statement_keeps_none_of_its_triggers_work(
        statements in prop::collection::vec(prop::sample::select(TXN_STATEMENTS), 1..14),
    ) {
        let db = seeded();
        for sql in &statements {
            run_checked(&db, sql);
        }
    }

    #[test]
    fn token_soups_never_panic(tokens in prop::collection::vec(prop::sample::select(TOKENS), 0..16)) {
        let db = seeded();
        let sql = tokens.join(" ");
        run_checked(&db, &sql);
        common::transcript(&sql, "soup.q");
    }
}

#[test]
fn near_miss_statements_fail_cleanly() {
    let db = seeded();
    for sql in [
        "INSERT INTO t VALUES (3, 'toolong')",
        "INSERT INTO t VALUES (3, 'ok'), (4, 'x')",
        "UPDATE t SET b = 'y' WHERE a = 1",
        "UPDATE t SET a = 2 WHERE a = 1",
        "INSERT INTO u VALUES ('abc', 1)",
        "INSERT INTO u VALUES (1, 7)",
        "SELECT sum(a) FROM t GROUP BY count(*)",
        "SELECT 9223372036854775807 * 9223372036854775807 / 0",
        "DROP TABLE nope",
        "COMMIT",
    ] {
        run_checked(&db, sql);
    }
}
