//! Projections equal their streams: after random transactions of messages (some
//! committed, some rolled back, some refused by a rule), the projected table is what
//! the category's messages say, a rebuild gives it again, and so does reopening a data
//! directory; an incremental view over the projected table follows it.

use amberdb::{Database, Session, Value};
use proptest::prelude::*;

fn setup(s: &mut Session) {
    s.execute(
        "CREATE TABLE accounts (id TEXT PRIMARY KEY, balance INTEGER NOT NULL CHECK (balance >= 0), moves INTEGER)",
        &[],
    )
    .unwrap();
    s.execute(
        "CREATE PROJECTION balances FROM CATEGORY 'account' INTO accounts AS \
         ON 'Opened' DO INSERT INTO accounts VALUES (message.stream_id, 0, 0) \
         ON 'Deposited' DO UPDATE accounts SET balance = balance + (message.data ->> 'amount'), moves = moves + 1 \
           WHERE id = message.stream_id \
         ON 'Withdrawn' DO UPDATE accounts SET balance = balance - (message.data ->> 'amount'), moves = moves + 1 \
           WHERE id = message.stream_id",
        &[],
    )
    .unwrap();
    s.execute(
        "CREATE MATERIALIZED VIEW rich WITH (incremental) AS SELECT id, balance FROM accounts WHERE balance > 50",
        &[],
    )
    .unwrap();
}

/// The table as the messages say it should be: every opened account, with the sum of
/// its moves (the rules refuse a withdrawal past zero, so no message breaks it).
const EXPECTED: &str = "SELECT substr(stream_name, 9) AS id, \
     coalesce(sum(CASE type WHEN 'Deposited' THEN data ->> 'amount' WHEN 'Withdrawn' THEN -(data ->> 'amount') END), 0) AS balance, \
     count(*) - 1 AS moves \
     FROM get_category_messages('account') GROUP BY stream_name ORDER BY id";

fn rows(s: &mut Session, q: &str) -> Vec<Vec<Value>> {
    s.query(q, &[]).unwrap_or_else(|e| panic!("{q}: {e}")).rows
}

#[derive(Clone, Debug)]
enum Op {
    Deposit(u8, i64),
    Withdraw(u8, i64),
    Begin,
    Commit,
    Rollback,
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        4 => (0u8..6, 1i64..60).prop_map(|(a, n)| Op::Deposit(a, n)),
        3 => (0u8..6, 1i64..60).prop_map(|(a, n)| Op::Withdraw(a, n)),
        1 => Just(Op::Begin),
        1 => Just(Op::Commit),
        1 => Just(Op::Rollback),
    ]
}

fn write(s: &mut Session, n: &mut u64, stream: String, kind: &str, data: String) {
    *n += 1;
    let id = format!("7c3a1a2e-0000-4000-8000-{:012x}", *n);
    // A refused write (a withdrawal past zero breaks the table's CHECK) changes nothing.
    let _ = s.execute(
        "SELECT write_message(?, ?, ?, ?)",
        &[Value::text(&id), Value::text(&stream), Value::text(kind), Value::text(&data)],
    );
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]

    #[test]
    fn a_projection_is_what_its_messages_say(ops in prop::collection::vec(op(), 1..60)) {
        let db = Database::open_in_memory();
        let mut s = db.session();
        setup(&mut s);
        let mut n = 0u64;
        for a in 0..6 {
            write(&mut s, &mut n, format!("account-{a:03}"), "Opened", "{}".into());
        }
        for op in &ops {
            match op {
                Op::Deposit(a, x) => write(&mut s, &mut n, format!("account-{a:03}"), "Deposited", format!("{{\"amount\": {x}}}")),
                Op::Withdraw(a, x) => write(&mut s, &mut n, format!("account-{a:03}"), "Withdrawn", format!("{{\"amount\": {x}}}")),
                Op::Begin => { let _ = s.execute("BEGIN", &[]); }
                Op::Commit => { let _ = s.execute("COMMIT", &[]); }
                Op::Rollback => { let _ = s.execute("ROLLBACK", &[]); }
            }
            if !s.in_transaction() {
                prop_assert_eq!(rows(&mut s, "SELECT id, balance, moves FROM accounts ORDER BY id"), rows(&mut s, EXPECTED));
            }
        }
        let _ = s.execute("COMMIT", &[]);
        let table = rows(&mut s, "SELECT id, balance, moves FROM accounts ORDER BY id");
        prop_assert_eq!(&table, &rows(&mut s, EXPECTED));
        prop_assert_eq!(
            rows(&mut s, "SELECT id, balance FROM rich ORDER BY id"),
            rows(&mut s, "SELECT id, balance FROM accounts WHERE balance > 50 ORDER BY id")
        );
        s.execute("REBUILD PROJECTION balances", &[]).unwrap();
        prop_assert_eq!(rows(&mut s, "SELECT id, balance, moves FROM accounts ORDER BY id"), table);
        prop_assert_eq!(
            rows(&mut s, "SELECT id, balance FROM rich ORDER BY id"),
            rows(&mut s, "SELECT id, balance FROM accounts WHERE balance > 50 ORDER BY id")
        );
    }
}

#[test]
fn balances_match_the_messages_when_every_account_opens_first() {
    let db = Database::open_in_memory();
    let mut s = db.session();
    setup(&mut s);
    let mut n = 0;
    for a in 0..5 {
        write(&mut s, &mut n, format!("account-{a:03}"), "Opened", "{}".into());
    }
    for i in 0..200i64 {
        let a = i % 5;
        let kind = if i % 3 == 2 { "Withdrawn" } else { "Deposited" };
        write(&mut s, &mut n, format!("account-{a:03}"), kind, format!("{{\"amount\": {}}}", i % 17));
    }
    let expected = rows(&mut s, EXPECTED);
    let table = rows(&mut s, "SELECT id, balance, moves FROM accounts ORDER BY id");
    assert_eq!(table.len(), 5);
    // A refused withdrawal left no message: the table and the messages agree exactly.
    assert_eq!(table, expected);
}

#[test]
fn a_projection_survives_reopening_and_goes_on() {
    let dir = tempfile::tempdir().unwrap();
    let mut n = 0;
    {
        let db = Database::open(dir.path()).unwrap();
        let mut s = db.session();
        setup(&mut s);
        write(&mut s, &mut n, "account-001".into(), "Opened", "{}".into());
        write(&mut s, &mut n, "account-001".into(), "Deposited", "{\"amount\": 80}".into());
        s.execute("CHECKPOINT", &[]).unwrap();
        write(&mut s, &mut n, "account-001".into(), "Withdrawn", "{\"amount\": 20}".into());
    }
    let db = Database::open(dir.path()).unwrap();
    let mut s = db.session();
    assert_eq!(rows(&mut s, "SELECT balance FROM accounts"), vec![vec![Value::Integer(60)]]);
    assert_eq!(rows(&mut s, "SELECT position FROM amber$projections"), vec![vec![Value::Integer(3)]]);
    write(&mut s, &mut n, "account-001".into(), "Deposited", "{\"amount\": 5}".into());
    assert_eq!(rows(&mut s, "SELECT balance FROM accounts"), vec![vec![Value::Integer(65)]]);
    assert_eq!(rows(&mut s, "SELECT id, balance FROM rich"), vec![vec![Value::text("001"), Value::Integer(65)]]);
}
