//! Document collections: `CREATE COLLECTION orders` makes a table of JSON documents,
//!
//! ```sql
//! CREATE TABLE orders (
//!   id TEXT PRIMARY KEY DEFAULT (uuid7()),
//!   doc JSON NOT NULL,
//!   created_at TIMESTAMP NOT NULL DEFAULT now(),
//!   updated_at TIMESTAMP NOT NULL DEFAULT now()
//! )
//! ```
//!
//! and a trigger that sets `updated_at` whenever `doc` changes. Ids are version-7
//! UUIDs, so the key order is the order documents were made in (keyset pagination by
//! `id`). The rest are conventions over plain SQL: filters on fields are `doc ->> '$.f'`
//! (indexable), a partial update is `SET doc = json_patch(doc, ?)`. A table of this
//! shape is a collection, however it was made (`.collections` lists them).

use crate::storage::{DataType, TableSchema};

/// The columns of a collection, with their types.
const COLUMNS: [(&str, DataType); 4] = [
    ("id", DataType::Text),
    ("doc", DataType::Json),
    ("created_at", DataType::Timestamp),
    ("updated_at", DataType::Timestamp),
];

fn quoted(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

/// The statements that make the collection `name`, run together.
pub fn statements(name: &str) -> [String; 2] {
    let table = quoted(name);
    let trigger = quoted(&format!("{name}_updated_at"));
    [
        format!(
            "CREATE TABLE {table} (id TEXT PRIMARY KEY DEFAULT (uuid7()), doc JSON NOT NULL, \
             created_at TIMESTAMP NOT NULL DEFAULT now(), updated_at TIMESTAMP NOT NULL DEFAULT now())"
        ),
        format!(
            "CREATE TRIGGER {trigger} AFTER UPDATE OF doc ON {table} \
             BEGIN UPDATE {table} SET updated_at = now() WHERE id = new.id; END"
        ),
    ]
}

/// Whether a table has a collection's shape: its columns and key.
pub fn is_collection(schema: &TableSchema) -> bool {
    schema.columns.len() == COLUMNS.len()
        && schema.columns.iter().zip(COLUMNS).all(|(c, (name, ty))| c.name.eq_ignore_ascii_case(name) && c.ty == ty)
        && schema.primary_key == [0]
}

#[cfg(test)]
mod tests {
    use crate::Database;

    #[test]
    fn a_collection_is_made_whole_or_not_at_all() {
        let db = Database::open_in_memory();
        let mut s = db.session();
        s.execute("CREATE COLLECTION orders", &[]).unwrap();
        let t = s.state().table("orders").unwrap().schema.clone();
        assert!(super::is_collection(&t));
        assert!(s.execute("CREATE COLLECTION orders", &[]).is_err());
        s.execute("CREATE COLLECTION IF NOT EXISTS orders", &[]).unwrap();
        // The trigger's name is taken: the table is not left behind.
        s.execute("CREATE TABLE x (a INT)", &[]).unwrap();
        s.execute("CREATE TRIGGER notes_updated_at AFTER INSERT ON x BEGIN SELECT 1; END", &[]).unwrap();
        assert!(s.execute("CREATE COLLECTION notes", &[]).is_err());
        assert!(s.state().table("notes").is_none());
        // Inside a transaction, a failure leaves what came before it.
        s.execute("BEGIN", &[]).unwrap();
        s.execute("INSERT INTO orders (doc) VALUES ('{}')", &[]).unwrap();
        assert!(s.execute("CREATE COLLECTION notes", &[]).is_err());
        s.execute("COMMIT", &[]).unwrap();
        assert_eq!(s.query("SELECT count(*) FROM orders", &[]).unwrap().rows[0][0], crate::Value::Integer(1));
        assert!(s.state().table("notes").is_none());
    }
}
