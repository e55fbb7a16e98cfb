//! Triggers as the catalog keeps them: a name, the table they watch, when and on what
//! they fire, and their whole `CREATE TRIGGER` text, from which the executor plans their
//! bodies where they fire (as views are planned where they are used).

use serde::{Deserialize, Serialize};

/// When a trigger's body runs relative to the row change that fires it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum TriggerTiming {
    Before,
    After,
    /// Instead of a change to a view (the view itself cannot change).
    InsteadOf,
}

impl TriggerTiming {
    pub fn sql(self) -> &'static str {
        match self {
            TriggerTiming::Before => "BEFORE",
            TriggerTiming::After => "AFTER",
            TriggerTiming::InsteadOf => "INSTEAD OF",
        }
    }
}

/// The kind of change a trigger fires on.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum TriggerEvent {
    Insert,
    Delete,
    /// `UPDATE [OF columns]`: with columns, only an UPDATE that sets one of them.
    Update(Vec<String>),
}

impl TriggerEvent {
    pub fn sql(&self) -> String {
        match self {
            TriggerEvent::Insert => "INSERT".to_string(),
            TriggerEvent::Delete => "DELETE".to_string(),
            TriggerEvent::Update(cols) if cols.is_empty() => "UPDATE".to_string(),
            TriggerEvent::Update(cols) => {
                let names: Vec<String> = cols.iter().map(|c| super::schema::quote_ident(c)).collect();
                format!("UPDATE OF {}", names.join(", "))
            }
        }
    }

    /// Whether this is the same kind of change as `other` (columns aside).
    pub fn same_kind(&self, other: &TriggerEvent) -> bool {
        std::mem::discriminant(self) == std::mem::discriminant(other)
    }
}

/// A trigger in the catalog.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TriggerDef {
    /// The stored name (`n.name` in namespace `n`).
    pub name: String,
    /// The stored name of the table (or view) it watches, in lower case.
    pub table: String,
    pub timing: TriggerTiming,
    pub event: TriggerEvent,
    /// The whole statement, with every name as stored: parsed again where it fires.
    pub sql: String,
}
