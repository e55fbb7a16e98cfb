//! Deeply nested input ends in an error, never in a stack overflow (which aborts the
//! process): every recursive construct is nested to 100,000 levels, and to every depth
//! the limits allow, on a thread with the 2 MiB stack a test thread (or a small server
//! worker) has.

use amberdb::Database;
use proptest::prelude::*;

/// The text of `construct` nested `depth` times around `1`.
fn nested(construct: usize, depth: usize) -> String {
    let (open, close): (&str, &str) = match construct {
        0 => ("(", ")"),
        1 => ("CASE WHEN 1 THEN ", " END"),
        2 => ("(SELECT ", ")"),
        3 => ("abs(", ")"),
        4 => ("- ", ""),
        5 => ("NOT ", ""),
        6 => ("coalesce(NULL, ", ")"),
        7 => ("1 + ", ""),
        _ => ("EXISTS (SELECT ", ")"),
    };
    format!("SELECT {}1{}", open.repeat(depth), close.repeat(depth))
}

const CONSTRUCTS: usize = 9;

/// Runs `f` on a thread with a 2 MiB stack; an overflow there aborts the test process.
fn on_small_stack<T: Send + 'static>(f: impl FnOnce() -> T + Send + 'static) -> T {
    std::thread::Builder::new().stack_size(2 << 20).spawn(f).unwrap().join().unwrap()
}

#[test]
fn every_construct_nested_100_000_deep_is_an_error() {
    on_small_stack(|| {
        let db = Database::open_in_memory();
        let mut s = db.session();
        for c in 0..CONSTRUCTS {
            let sql = nested(c, 100_000);
            assert!(s.execute(&sql, &[]).is_err(), "construct {c} nested 100,000 deep ran");
        }
        // An apostrophe in a comment hides nothing from the count.
        let sql = format!("SELECT -- it's\n{}1{}", "(".repeat(3000), ")".repeat(3000));
        assert!(s.execute(&sql, &[]).unwrap_err().to_string().contains("nested too deeply"));
        let sql = format!("SELECT /* it's */ {}1{}", "(".repeat(3000), ")".repeat(3000));
        assert!(s.execute(&sql, &[]).unwrap_err().to_string().contains("nested too deeply"));
    });
}

#[test]
fn nesting_up_to_the_limits_runs() {
    on_small_stack(|| {
        let db = Database::open_in_memory();
        let mut s = db.session();
        for c in 0..CONSTRUCTS {
            let depth = if matches!(c, 4 | 5 | 7) { 999 } else { 99 };
            let sql = nested(c, depth);
            if let Err(e) = s.execute(&sql, &[]) {
                panic!("construct {c} nested {depth} deep failed: {e}");
            }
        }
    });
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    /// Any mixture of constructs, at any depth, answers or errs.
    #[test]
    fn mixed_nesting_never_aborts(layers in proptest::collection::vec((0..CONSTRUCTS, 1usize..3000), 1..6)) {
        let sql = layers.iter().fold("1".to_string(), |inner, &(c, depth)| {
            let text = nested(c, depth);
            text.replacen("SELECT ", "", 1).replacen('1', &format!("({inner})"), 1)
        });
        let sql = format!("SELECT {sql}");
        on_small_stack(move || {
            let db = Database::open_in_memory();
            let _ = db.session().execute(&sql, &[]);
        });
    }
}

/// A chain of views, each over the one before: creating and reading the last one costs
/// time in proportion to the chain, and a chain deeper than the stack allows is an
/// error when it is created, not an overflow when it is read.
#[test]
fn a_long_chain_of_views_is_planned_without_overflow() {
    on_small_stack(|| {
        let db = Database::open_in_memory();
        let mut s = db.session();
        s.execute("CREATE TABLE t (a INTEGER)", &[]).unwrap();
        s.execute("INSERT INTO t VALUES (1), (2)", &[]).unwrap();
        s.execute("CREATE VIEW v0 AS SELECT a FROM t", &[]).unwrap();
        let mut created = 0;
        for i in 1..1200 {
            match s.execute(&format!("CREATE VIEW v{i} AS SELECT a FROM v{}", i - 1), &[]) {
                Ok(_) => created = i,
                Err(e) => {
                    assert!(e.to_string().contains("nested too deeply"), "{e}");
                    break;
                }
            }
        }
        assert!(created >= 800, "only {created} views could be chained");
        let count = s.query(&format!("SELECT count(*) FROM v{created}"), &[]).unwrap();
        assert_eq!(count.rows[0][0], amberdb::Value::Integer(2));
    });
}
