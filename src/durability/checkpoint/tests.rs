//! Checkpoints written and read back: round trips, damage, and the older formats.

use super::*;
use crate::Database;

#[test]
fn a_checkpoint_round_trips_and_detects_damage() {
    let db = Database::open_in_memory();
    let mut s = db.session();
    s.execute("CREATE TABLE t (id INTEGER PRIMARY KEY, name TEXT UNIQUE, score REAL)", &[]).unwrap();
    s.execute("CREATE INDEX by_score ON t (score)", &[]).unwrap();
    s.execute("INSERT INTO t VALUES (1, 'a', 1.5), (2, 'b', NULL), (7, NULL, 3.0)", &[]).unwrap();
    let bytes = encode(&db.state(), 9).unwrap();
    let (version, state) = decode(&bytes).unwrap();
    assert_eq!(version, 9);
    assert!(crate::storage::diff::diff(&db.state(), &state).is_empty());
    assert!(crate::storage::check::check(&state).is_empty());
    let t = state.table("t").unwrap();
    assert_eq!(t.indexes.len(), 2);
    assert_eq!(t.next_rowid, db.state().table("t").unwrap().next_rowid);

    assert!(decode(&bytes[..bytes.len() - 1]).is_err());
    let mut flipped = bytes.clone();
    flipped[HEADER + 3] ^= 1;
    assert!(decode(&flipped).err().unwrap().starts_with("checksum mismatch"));
    assert!(decode(b"hello").is_err());
}

#[test]
fn triggers_are_kept_and_checkpoints_from_before_them_still_load() {
    let db = Database::open_in_memory();
    let mut s = db.session();
    s.execute("CREATE TABLE t (id INTEGER PRIMARY KEY, n INTEGER)", &[]).unwrap();
    s.execute("CREATE TABLE log (n INTEGER)", &[]).unwrap();
    s.execute("INSERT INTO t VALUES (1, 10)", &[]).unwrap();
    let before = encode_v3(&db.state(), 3).unwrap();
    s.execute("CREATE TRIGGER keep AFTER INSERT ON t BEGIN INSERT INTO log VALUES (NEW.n); END", &[]).unwrap();
    let (_, state) = decode(&encode(&db.state(), 4).unwrap()).unwrap();
    let kept: Vec<_> = state.triggers().map(|t| (**t).clone()).collect();
    assert_eq!(kept, [(**db.state().trigger("keep").unwrap()).clone()]);

    // The same checkpoint as the previous format wrote it: no trigger list at the end.
    let mut old = before[..before.len() - 1].to_vec();
    let len = (old.len() - HEADER) as u64;
    let crc = crc32fast::hash(&old[HEADER..]);
    old[0..8].copy_from_slice(MAGIC_V2);
    old[16..24].copy_from_slice(&len.to_le_bytes());
    old[24..28].copy_from_slice(&crc.to_le_bytes());
    let (version, state) = decode(&old).unwrap();
    assert_eq!(version, 3);
    assert_eq!(state.triggers().count(), 0);
    assert_eq!(state.table("t").unwrap().rows.len(), 1);
}

#[test]
fn many_chunks_come_back_in_order_and_bad_orders_are_sorted_instead() {
    let db = Database::open_in_memory();
    let mut s = db.session();
    s.execute("CREATE TABLE t (id INTEGER PRIMARY KEY, k INTEGER)", &[]).unwrap();
    s.execute("CREATE INDEX by_k ON t (k)", &[]).unwrap();
    let insert = s.prepare("INSERT INTO t VALUES (?, ?)").unwrap();
    s.execute("BEGIN", &[]).unwrap();
    let n = CHUNK_ROWS as i64 * 2 + 17;
    for i in 0..n {
        s.execute_prepared(&insert, &[Value::Integer(i * 3), Value::Integer((i * 7919) % 1000)]).unwrap();
    }
    s.execute("COMMIT", &[]).unwrap();
    let (_, state) = decode(&encode(&db.state(), 1).unwrap()).unwrap();
    assert!(crate::storage::diff::diff(&db.state(), &state).is_empty());
    assert!(crate::storage::check::check(&state).is_empty());

    // An order that is not the index's order is not trusted.
    let t = db.state().table("t").unwrap().clone();
    let rows: Vec<(RowKey, Row)> = t.rows.iter().collect();
    let backwards: Vec<u32> = (0..rows.len() as u32).rev().collect();
    let loaded = Table::load((*t.schema).clone(), t.next_rowid, rows, vec![backwards]).unwrap();
    assert!(loaded.indexes[0].entries == t.indexes[0].entries);
}

#[test]
fn names_parse() {
    assert_eq!(parse_checkpoint_name(&checkpoint_name(5)), Some(5));
    assert_eq!(parse_checkpoint_name("checkpoint-5.amber.tmp"), None);
}

mod framed {
    use super::*;

    #[test]
    fn checkpoints_of_the_first_schema_layout_still_load() {
        let db = crate::Database::open_in_memory();
        let mut s = db.session();
        s.execute("CREATE TABLE t (id INTEGER PRIMARY KEY, name TEXT UNIQUE DEFAULT 'x', n REAL)", &[]).unwrap();
        s.execute("CREATE INDEX by_n ON t (n DESC, name)", &[]).unwrap();
        s.execute("INSERT INTO t VALUES (1, 'a', 1.5), (2, 'b', NULL)", &[]).unwrap();
        let old = encode_layout(&db.state(), 7, Layout::V1).unwrap();
        assert!(old.starts_with(MAGIC_V4));
        assert_eq!(verify_stream(&old[..]), Ok(7));
        let (version, state) = load(&old[..]).unwrap();
        assert_eq!(version, 7);
        assert!(crate::storage::diff::diff(&db.state(), &state).is_empty());
        assert_eq!(state.table("t").unwrap().schema, db.state().table("t").unwrap().schema);
    }

    #[test]
    fn checkpoints_of_the_second_schema_layout_still_load() {
        let db = crate::Database::open_in_memory();
        let mut s = db.session();
        s.execute("CREATE TABLE t (id INTEGER PRIMARY KEY, n INTEGER, twice INTEGER AS (n * 2))", &[]).unwrap();
        s.execute("CREATE INDEX by_expr ON t (n + 1)", &[]).unwrap();
        s.execute("INSERT INTO t (id, n) VALUES (1, 5), (2, 6)", &[]).unwrap();
        let old = encode_layout(&db.state(), 9, Layout::V2).unwrap();
        assert!(old.starts_with(MAGIC_V5));
        assert_eq!(verify_stream(&old[..]), Ok(9));
        let (_, state) = load(&old[..]).unwrap();
        assert!(crate::storage::diff::diff(&db.state(), &state).is_empty());
        assert_eq!(state.table("t").unwrap().schema, db.state().table("t").unwrap().schema);
        // The newest layout carries a row limit.
        s.execute("CREATE TABLE capped (a INTEGER) WITH (max_rows = 3)", &[]).unwrap();
        let (_, state) = load(&encode(&db.state(), 10).unwrap()[..]).unwrap();
        assert_eq!(state.table("capped").unwrap().schema.max_rows, Some(3));
    }

    #[test]
    fn checkpoints_before_collations_still_load_and_the_newest_carry_them() {
        let db = crate::Database::open_in_memory();
        let mut s = db.session();
        s.execute("CREATE TABLE t (id INTEGER PRIMARY KEY, n TEXT) WITH (max_rows = 5)", &[]).unwrap();
        s.execute("INSERT INTO t VALUES (1, 'a')", &[]).unwrap();
        let old = encode_layout(&db.state(), 4, Layout::V4).unwrap();
        assert!(old.starts_with(MAGIC_V7));
        assert_eq!(verify_stream(&old[..]), Ok(4));
        let (_, state) = load(&old[..]).unwrap();
        assert!(crate::storage::diff::diff(&db.state(), &state).is_empty());
        assert_eq!(state.table("t").unwrap().schema, db.state().table("t").unwrap().schema);
        s.execute("CREATE TABLE c (name TEXT COLLATE NOCASE)", &[]).unwrap();
        let new = encode(&db.state(), 5).unwrap();
        assert!(new.starts_with(MAGIC_V8));
        let (_, state) = load(&new[..]).unwrap();
        let collation = state.table("c").unwrap().schema.columns[0].collation;
        assert_eq!(collation, Some(crate::storage::schema::Collation::NoCase));
    }

    #[test]
    fn what_encode_writes_verifies_and_loads_from_a_stream() {
        let db = crate::Database::open_in_memory();
        db.session().execute("CREATE TABLE t (a INTEGER)", &[]).unwrap();
        db.session().execute("INSERT INTO t VALUES (1)", &[]).unwrap();
        let bytes = encode(&db.state(), 5).unwrap();
        assert_eq!(verify_stream(&bytes[..]), Ok(5));
        assert_eq!(load(&bytes[..]).map(|(v, _)| v), Ok(5));
    }
}
