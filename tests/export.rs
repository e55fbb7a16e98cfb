//! `.export`/`.import` (RON) and `.dump` (SQL): round trips that give identical data,
//! and import files that are bad in each way, which change nothing.

use amberdb::export;
use amberdb::split;
use amberdb::storage::State;
use amberdb::{Database, Value};

fn setup() -> Database {
    let db = Database::open_in_memory();
    let mut s = db.session();
    for sql in [
        "CREATE TABLE owners (id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE, since TIMESTAMP)",
        "CREATE TABLE pets (id INTEGER PRIMARY KEY, owner INTEGER REFERENCES owners (id) ON DELETE CASCADE, \
         kind TEXT CHECK (kind <> ''), weight REAL, vaccinated BOOLEAN, \"odd name\" TEXT)",
        "CREATE INDEX pets_by_kind ON pets (kind, weight DESC)",
        "CREATE TABLE notes (body TEXT, score)",
        "CREATE TABLE pairs (a TEXT, b INTEGER, PRIMARY KEY (a, b))",
        "INSERT INTO owners VALUES (1, 'Ada', '2020-01-02 03:04:05.678901'), (2, 'O''Brien', NULL), (5, 'Zoë ✓', '1999-12-31 23:59:59')",
        "INSERT INTO pets VALUES (1, 1, 'cat', 4.2, true, NULL), (2, 1, 'dog', 0.30000000000000004, false, 'x'), \
         (3, 2, 'eel', -1e300, NULL, 'line\nbreak'), (4, NULL, NULL, 5e-324, true, '')",
        "INSERT INTO notes VALUES ('a', 1), ('b', 2.5), ('c', 'text'), (NULL, NULL), ('a', 1), ('d', x'00ff10'), ('e', x'')",
        "DELETE FROM notes WHERE body = 'b'",
        "INSERT INTO pairs VALUES ('x', 2), ('x', 1), ('', -7)",
        // Generated columns are worked out again on import, and their indexes rebuilt.
        "CREATE TABLE sized (w INTEGER, h INTEGER, area INTEGER AS (w * h) STORED, tag TEXT AS (lower(w || 'x')))",
        "CREATE UNIQUE INDEX sized_live ON sized (lower(tag)) WHERE area > 0",
        "INSERT INTO sized (w, h) VALUES (2, 3), (4, NULL), (0, 1)",
        "CREATE VIEW heavy (name, kg) AS SELECT owners.name, pets.weight FROM owners JOIN pets ON pets.owner = owners.id",
        // Created after the rows: an import must not fire it for them either.
        "CREATE TRIGGER pets_noted AFTER INSERT ON pets WHEN NEW.kind IS NOT NULL \
         BEGIN INSERT INTO notes VALUES ('pet: ' || NEW.kind, NEW.id); END",
        "CREATE TRIGGER heavy_in INSTEAD OF INSERT ON heavy BEGIN INSERT INTO owners (name) VALUES (NEW.name); END",
        // Quoted names with a dot are names, in main and in a namespace.
        "CREATE TABLE \"my.table\" (id INTEGER PRIMARY KEY, owner INTEGER REFERENCES owners (id))",
        "CREATE INDEX \"my.by_owner\" ON \"my.table\" (owner)",
        "INSERT INTO \"my.table\" VALUES (1, 5), (2, NULL)",
        "CREATE NAMESPACE app",
        "CREATE TABLE app.\"x.y\" (k TEXT PRIMARY KEY, v REAL)",
        "CREATE TABLE app.plain (k TEXT REFERENCES app.\"x.y\" (k))",
        "INSERT INTO app.\"x.y\" VALUES ('a', 1.5)",
        "INSERT INTO app.plain VALUES ('a')",
    ] {
        s.execute(sql, &[]).unwrap_or_else(|e| panic!("{sql}: {e}"));
    }
    db
}

/// Each table's schema and its rows as a sorted list (tables with a hidden rowid get new
/// rowids on import, as in SQLite's .dump).
fn contents(state: &State) -> Vec<(String, String, Vec<Vec<Value>>)> {
    let mut out: Vec<_> = state
        .tables()
        .map(|t| {
            let mut rows: Vec<Vec<Value>> = t.rows.iter().map(|(_, r)| r.to_vec()).collect();
            rows.sort();
            (t.name().to_string(), t.schema.to_sql() + &t.schema.index_sql().join(""), rows)
        })
        .collect();
    out.sort_by(|a, b| a.0.cmp(&b.0));
    out
}

fn assert_identical(a: &State, b: &State) {
    let views = |s: &State| s.views().map(|v| v.to_sql()).collect::<Vec<_>>();
    assert_eq!(views(a), views(b));
    assert_eq!(views(a).len(), 1);
    let triggers = |s: &State| s.triggers().map(|t| (**t).clone()).collect::<Vec<_>>();
    assert_eq!(triggers(a), triggers(b));
    assert_eq!(triggers(a).len(), 2);
    let (ca, cb) = (contents(a), contents(b));
    assert_eq!(ca, cb);
    // Exactly the same types too (1 and 1.0 compare equal).
    let types = |s: &State| {
        contents(s).into_iter().flat_map(|(_, _, rows)| rows).flatten().map(|v| v.type_name()).collect::<Vec<_>>()
    };
    assert_eq!(types(a), types(b));
    assert!(amberdb::storage::check::check(b).is_empty());
}

#[test]
fn export_then_import_gives_identical_data() {
    let db = setup();
    let text = export::export(&db.state(), db.version(), db.now()).unwrap();
    assert!(text.contains("create: \"CREATE TABLE owners"), "{text}");
    let fresh = Database::open_in_memory();
    let rows = export::import(&mut fresh.session(), &text, "pets.ron").unwrap();
    assert_eq!(rows, 3 + 4 + 6 + 3 + 3 + 2 + 1 + 1);
    assert_identical(&db.state(), &fresh.state());
    assert_eq!(fresh.version(), 1, "one transaction");
}

#[test]
fn a_dump_replayed_gives_identical_data() {
    let db = setup();
    let sql = export::dump(&db.state(), db.now());
    assert!(sql.starts_with("BEGIN;\n") && sql.ends_with("COMMIT;\n"), "{sql}");
    let fresh = Database::open_in_memory();
    let mut s = fresh.session();
    for piece in split(&sql) {
        s.execute(piece.text, &[]).unwrap_or_else(|e| panic!("{}: {e}", piece.text));
    }
    assert_identical(&db.state(), &fresh.state());
}

fn import_err(text: &str) -> (String, Database) {
    let db = setup();
    let before = db.version();
    let err = export::import(&mut db.session(), text, "bad.ron").unwrap_err().to_string();
    assert_eq!(db.version(), before, "a bad import changed the database: {err}");
    (err, db)
}

#[test]
fn a_bad_import_names_where_it_is_bad_and_changes_nothing() {
    let db = setup();
    let good = export::export(&db.state(), 1, db.now()).unwrap();
    // Into a fresh database, so the tables are new; then spoil one thing at a time.
    let fresh = |text: &str| {
        let db = Database::open_in_memory();
        let err = export::import(&mut db.session(), text, "bad.ron").unwrap_err().to_string();
        assert_eq!(db.state().tables().count(), 0, "{err}");
        assert_eq!(db.version(), 0);
        err
    };

    let err = fresh(&good.replacen("tables: [", "tables: [[", 1));
    assert!(err.starts_with("bad.ron:"), "{err}");
    assert!(err.chars().nth(8).is_some_and(|c| c.is_ascii_digit()), "a line number: {err}");

    let err = fresh(&good.replacen("Text(\"cat\")", "Text(\"\")", 1));
    assert!(err.contains("table pets, row 1") && err.contains("CHECK"), "{err}");

    let err = fresh(&good.replacen("Real(4.2)", "Text(\"heavy\")", 1));
    assert!(err.contains("table pets, row 1") && err.contains("heavy"), "{err}");

    let err =
        fresh(&good.replacen("[Integer(2), Integer(1), Text(\"dog\")", "[Integer(2), Integer(99), Text(\"dog\")", 1));
    assert!(err.contains("table pets, row 2") && err.to_lowercase().contains("foreign key"), "{err}");

    let err = fresh(&good.replacen("[Integer(2), Integer(1), Text(\"dog\"),", "[Integer(2), Integer(1),", 1));
    assert!(err.contains("table pets, row 2") && err.contains("5 values for 6 columns"), "{err}");

    let err = fresh(&good.replacen("format: 1", "format: 7", 1));
    assert!(err.contains("format 7"), "{err}");

    // Namespaces and tables that exist already.
    let (err, _) = import_err(&good);
    assert!(err.contains("namespace app: namespace app already exists"), "{err}");
    let db = Database::open_in_memory();
    db.session().execute("CREATE TABLE notes (x INTEGER)", &[]).unwrap();
    let err = export::import(&mut db.session(), &good, "bad.ron").unwrap_err().to_string();
    assert!(err.contains("table notes: table notes already exists"), "{err}");
    assert_eq!(db.version(), 1);
}
