//! The database state as one value, and the write set that changes it.
//!
//! A `State` is a persistent map of tables; cloning it is O(1) and shares everything.
//! Every change — a statement, a transaction's commit, later a replayed log record — is a
//! [`WriteSet`] applied with [`State::apply`], which checks keys and unique constraints
//! and keeps indexes in step with rows. Applying to a clone and dropping it on error is
//! how statements stay atomic.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use imbl::{OrdMap, OrdSet};
use serde::{Deserialize, Serialize};

use super::schema::{legacy, IndexDef, TableSchema};
use super::streams::{Message, MessageStore};
use super::table::{Row, RowKey, Table};
use super::trigger::{TriggerDef, TriggerTiming};
use crate::error::{closest, Error, ErrorKind, Result};

/// What happens to one row.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub enum Change {
    /// A new row's values, owned by the write set alone: an INSERT's values move here
    /// as they are, with no shared copy made. (Written to the log as a row is.)
    Insert(Box<[super::Value]>),
    Update(Row),
    Delete,
}

/// One entry of a write set.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub enum WriteOp {
    /// A table in the first schema layout: read from older logs, never written (new
    /// tables are `CreateTable`, last).
    #[serde(skip_serializing)]
    CreateTableV1(#[serde(deserialize_with = "legacy::schema_v1")] Arc<TableSchema>),
    DropTable(String),
    /// An index in the first layout: read from older logs, never written.
    #[serde(skip_serializing)]
    CreateIndexV1 {
        table: String,
        #[serde(deserialize_with = "legacy::index_v1")]
        index: Box<IndexDef>,
    },
    DropIndex {
        table: String,
        name: String,
    },
    Row {
        /// Shared with the statement's plan, so a row change allocates no name.
        table: Arc<str>,
        key: RowKey,
        change: Change,
    },
    CreateView(Arc<ViewDef>),
    DropView(String),
    CreateNamespace(String),
    /// Removes a namespace with its tables, views and streams.
    DropNamespace(String),
    /// Appends a message to a stream of a namespace; its global position is assigned
    /// as it is stored.
    Message {
        namespace: String,
        message: Arc<Message>,
    },
    /// Removes the messages of a namespace after the first `keep` (RESTORE SNAPSHOT).
    TruncateMessages {
        namespace: String,
        keep: u64,
    },
    /// Sets or clears when a row expires.
    Expire {
        table: Arc<str>,
        key: RowKey,
        at: Option<i64>,
    },
    // New kinds go last: the log stores a kind by its position.
    CreateTrigger(Arc<TriggerDef>),
    DropTrigger(String),
    /// A table in the second schema layout: read from older logs, never written.
    #[serde(skip_serializing)]
    CreateTableV2(#[serde(deserialize_with = "legacy::schema_v2")] Arc<TableSchema>),
    CreateIndex {
        table: String,
        /// Boxed: a write set is mostly row changes, and every entry is as large as the
        /// largest kind (written to the log as if unboxed).
        index: Box<IndexDef>,
    },
    /// A table in the third schema layout (before column collations): read from older
    /// logs, never written.
    #[serde(skip_serializing)]
    CreateTableV3(#[serde(deserialize_with = "legacy::schema_v3")] Arc<TableSchema>),
    /// Who committed and when: the last operation of every logged commit, which the
    /// state it makes remembers (`commits()`, `AS OF TIMESTAMP`).
    Commit(Arc<CommitInfo>),
    CreateTable(Arc<TableSchema>),
}

/// What a commit records about itself besides its changes.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CommitInfo {
    /// When it committed (microseconds since the epoch, by the database's clock; never
    /// earlier than the commit before it).
    pub at: i64,
    /// The committing session's label (`SET application_name`, the server's user).
    pub label: Option<String>,
    /// The tables it changed, each with the rows it wrote or deleted there (0 for a
    /// change of schema only), in the order first touched.
    pub tables: Vec<(String, u64)>,
}

impl CommitInfo {
    /// The record of a commit of `ops` at `at` by `label`.
    pub fn of<'a>(at: i64, label: Option<&str>, ops: impl Iterator<Item = &'a WriteOp>) -> CommitInfo {
        let mut tables: Vec<(String, u64)> = Vec::new();
        let mut count = |name: &str, rows: u64| match tables.iter_mut().rev().find(|(t, _)| t == name) {
            Some((_, n)) => *n += rows,
            None => tables.push((name.to_string(), rows)),
        };
        for op in ops {
            match op {
                WriteOp::Row { table, .. } => count(table, 1),
                WriteOp::CreateTable(schema)
                | WriteOp::CreateTableV1(schema)
                | WriteOp::CreateTableV2(schema)
                | WriteOp::CreateTableV3(schema) => count(&schema.name.to_ascii_lowercase(), 0),
                WriteOp::DropTable(name) => count(&name.to_ascii_lowercase(), 0),
                WriteOp::CreateIndex { table, .. } | WriteOp::CreateIndexV1 { table, .. } => {
                    count(&table.to_ascii_lowercase(), 0)
                }
                _ => {}
            }
        }
        CommitInfo { at, label: label.map(str::to_string), tables }
    }

    /// Its rows changed over every table.
    pub fn rows(&self) -> u64 {
        self.tables.iter().map(|(_, n)| n).sum()
    }
}

impl WriteOp {
    /// The operation in the current layout (older layouts decode into the same values).
    pub fn upgraded(self) -> WriteOp {
        match self {
            WriteOp::CreateTableV1(schema) | WriteOp::CreateTableV2(schema) | WriteOp::CreateTableV3(schema) => {
                WriteOp::CreateTable(schema)
            }
            WriteOp::CreateIndexV1 { table, index } => WriteOp::CreateIndex { table, index },
            op => op,
        }
    }
}

/// The namespace every database has, whose tables are named without a prefix.
pub const MAIN: &str = "main";

/// The namespace part of a stored table, view or index name (`n.t` is in `n`).
pub fn namespace_of(name: &str) -> &str {
    name.split_once('.').map_or(MAIN, |(ns, _)| ns)
}

/// A view: a named SELECT, kept as its SQL text and planned where it is used.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ViewDef {
    pub name: String,
    /// Column names given with `CREATE VIEW v (a, b)`; else the SELECT's.
    pub columns: Vec<String>,
    pub sql: String,
}

impl ViewDef {
    pub fn to_sql(&self) -> String {
        let cols = if self.columns.is_empty() {
            String::new()
        } else {
            let names: Vec<String> = self.columns.iter().map(|c| super::schema::quote_ident(c)).collect();
            format!(" ({})", names.join(", "))
        };
        format!("CREATE VIEW {}{cols} AS {};", super::schema::quote_stored(&self.name), self.sql)
    }
}

/// The changes a statement or transaction made, in order.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct WriteSet {
    pub ops: Vec<WriteOp>,
}

impl WriteSet {
    pub fn is_empty(&self) -> bool {
        self.ops.is_empty()
    }

    pub fn extend(&mut self, other: WriteSet) {
        self.ops.extend(other.ops);
    }
}

/// Several write sets that act as one, in order: a transaction's statements. It keeps
/// each statement's own list, so a long transaction never copies its changes into an
/// ever larger list, and it is logged as the one write set of their changes joined.
#[derive(Clone, Copy, Debug)]
pub struct Joined<'a>(pub &'a [WriteSet]);

impl<'a> Joined<'a> {
    /// One write set on its own.
    pub fn one(writes: &'a WriteSet) -> Joined<'a> {
        Joined(std::slice::from_ref(writes))
    }

    pub fn ops(self) -> impl Iterator<Item = &'a WriteOp> {
        self.0.iter().flat_map(|w| w.ops.iter())
    }

    pub fn is_empty(self) -> bool {
        self.0.iter().all(WriteSet::is_empty)
    }
}

/// Written exactly as a `WriteSet` holding every change.
impl Serialize for Joined<'_> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        Logged::from(*self).serialize(s)
    }
}

/// A commit as the log keeps it: its changes, then what it records about itself.
#[derive(Clone, Copy, Debug)]
pub struct Logged<'a> {
    pub writes: Joined<'a>,
    /// What the commit adds to tables' journals (`WITH (history = …)`), made as it
    /// was published.
    pub journal: &'a [WriteOp],
    pub mark: Option<&'a WriteOp>,
}

impl<'a> From<Joined<'a>> for Logged<'a> {
    fn from(writes: Joined<'a>) -> Logged<'a> {
        Logged { writes, journal: &[], mark: None }
    }
}

/// Written exactly as a `WriteSet` holding every change and then the mark.
impl Serialize for Logged<'_> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        use serde::ser::{SerializeSeq, SerializeStruct};
        struct Ops<'a>(Logged<'a>);
        impl Serialize for Ops<'_> {
            fn serialize<S: serde::Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
                let len = self.0.writes.0.iter().map(|w| w.ops.len()).sum::<usize>()
                    + self.0.journal.len()
                    + usize::from(self.0.mark.is_some());
                let mut seq = s.serialize_seq(Some(len))?;
                for op in self.0.writes.ops().chain(self.0.journal).chain(self.0.mark) {
                    seq.serialize_element(op)?;
                }
                seq.end()
            }
        }
        let mut st = s.serialize_struct("WriteSet", 1)?;
        st.serialize_field("ops", &Ops(*self))?;
        st.end()
    }
}

/// A past state to read: a committed version or a named snapshot.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum AsOf {
    Version(u64),
    Snapshot(String),
    /// The newest committed state.
    Head,
    /// The newest version committed at or before this time (microseconds since the
    /// epoch): `AS OF TIMESTAMP '…'`, `FOR SYSTEM_TIME AS OF '…'`.
    Time(i64),
}

impl std::fmt::Display for AsOf {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            AsOf::Version(v) => write!(f, "VERSION {v}"),
            AsOf::Snapshot(name) => write!(f, "SNAPSHOT {name}"),
            AsOf::Head => f.write_str("HEAD"),
            AsOf::Time(at) => write!(f, "TIMESTAMP '{}'", super::time::format_timestamp(*at)),
        }
    }
}

/// Where past states come from (the database's history and snapshots).
pub trait History {
    fn state_at(&self, at: &AsOf) -> Result<State>;

    /// The rows of one of the database's reports on itself (`amber_stats`,
    /// `amber_statements`, `amber_slow_queries`, `amber_memory`), by the table
    /// function's name.
    fn report(&self, name: &str) -> Result<Vec<Vec<super::value::Value>>> {
        Err(crate::error::Error::invalid(format!("{name}() needs a database")))
    }

    /// A statement has written about `bytes` so far: an error when that takes the
    /// database past its memory limit (so that a bulk write stops before it has built
    /// a state the limit would refuse at commit anyway).
    fn check_growth(&self, _bytes: u64) -> Result<()> {
        Ok(())
    }

    /// `history(t)`: each change of each row of the table over the kept versions,
    /// oldest first (the `history` table function).
    fn changes(&self, table: &str, _key: Option<&super::value::Value>) -> Result<Vec<Vec<super::value::Value>>> {
        Err(crate::error::Error::invalid(format!("history({table}) needs a database")))
    }

    /// The kept versions current at some time in a range of commit times: the one
    /// read as of `from` (when one is kept), then those committed after `from` and
    /// before `to` (or at `to`, when `through`), oldest first.
    fn versions_in(&self, _from: i64, _to: i64, _through: bool) -> Result<Vec<u64>> {
        Err(crate::error::Error::invalid("FOR SYSTEM_TIME needs a database"))
    }

    /// `amber_stats_reset()`: forgets the counters, statement figures and slow
    /// statements; false where there is no database to reset.
    fn reset_stats(&self) -> bool {
        false
    }
}

static NEXT_SCHEMA_ID: AtomicU64 = AtomicU64::new(1);

/// A version of the whole database. Cloning one (every statement takes the state it
/// reads) counts a single reference; the first change to a shared one copies its maps'
/// roots (`DerefMut`), which themselves share everything below.
#[derive(Clone, Debug)]
pub struct State(Arc<StateData>);

/// The empty state every [`State::default`] shares. A transaction's state is taken out
/// for each statement and put back, leaving a default behind: sharing one costs a
/// reference count instead of a new state's allocation and its drop.
static EMPTY: std::sync::LazyLock<State> = std::sync::LazyLock::new(|| State(Arc::new(StateData::default())));

impl Default for State {
    fn default() -> State {
        EMPTY.clone()
    }
}

impl std::ops::Deref for State {
    type Target = StateData;

    fn deref(&self) -> &StateData {
        &self.0
    }
}

impl std::ops::DerefMut for State {
    fn deref_mut(&mut self) -> &mut StateData {
        Arc::make_mut(&mut self.0)
    }
}

/// What a [`State`] holds.
#[derive(Clone, Debug, Default)]
pub struct StateData {
    tables: OrdMap<String, Table>,
    views: OrdMap<String, Arc<ViewDef>>,
    /// Triggers by lower-case stored name.
    triggers: OrdMap<String, Arc<TriggerDef>>,
    /// Namespaces other than `main` (lower case). Their tables and views are stored
    /// under `namespace.name`.
    namespaces: OrdSet<String>,
    /// Each namespace's messages.
    streams: OrdMap<String, MessageStore>,
    /// Changes whenever any table's schema changes; plans are cached against it.
    schema_id: u64,
    /// The commit that made this state (none for an empty database, or the state a
    /// checkpoint was loaded from).
    commit: Option<Arc<CommitInfo>>,
}

impl State {
    pub fn new() -> State {
        State::default()
    }

    /// A state holding these tables (from a checkpoint or an import).
    pub fn from_tables(tables: impl IntoIterator<Item = Table>) -> State {
        let tables = tables.into_iter().map(|t| (t.name().to_ascii_lowercase(), t)).collect();
        State(Arc::new(StateData {
            tables,
            schema_id: NEXT_SCHEMA_ID.fetch_add(1, Ordering::Relaxed),
            ..StateData::default()
        }))
    }

    /// The commit that made this state, when known.
    pub fn commit(&self) -> Option<&CommitInfo> {
        self.commit.as_deref()
    }

    pub fn schema_id(&self) -> u64 {
        self.schema_id
    }

    pub fn table(&self, name: &str) -> Option<&Table> {
        self.tables.get(name).or_else(|| self.tables.get(&name.to_ascii_lowercase()))
    }

    /// The table, or an error that names it and suggests the closest existing name.
    pub fn table_or_err(&self, name: &str) -> Result<&Table> {
        self.table(name).ok_or_else(|| {
            ErrorKind::NoSuchTable {
                name: name.to_string(),
                suggestion: closest(name, self.tables.values().map(Table::name)),
            }
            .into()
        })
    }

    pub fn tables(&self) -> impl Iterator<Item = &Table> {
        self.tables.values()
    }

    pub fn view(&self, name: &str) -> Option<&Arc<ViewDef>> {
        self.views.get(&name.to_ascii_lowercase())
    }

    pub fn views(&self) -> impl Iterator<Item = &Arc<ViewDef>> {
        self.views.values()
    }

    /// A state with these views added (from a checkpoint).
    pub fn with_views(mut self, views: impl IntoIterator<Item = ViewDef>) -> State {
        for v in views {
            self.views.insert(v.name.to_ascii_lowercase(), Arc::new(v));
        }
        self
    }

    pub fn trigger(&self, name: &str) -> Option<&Arc<TriggerDef>> {
        self.triggers.get(&name.to_ascii_lowercase())
    }

    pub fn triggers(&self) -> impl Iterator<Item = &Arc<TriggerDef>> {
        self.triggers.values()
    }

    /// Whether any trigger watches the table (by stored, lower-case name): the one
    /// question a write asks of the catalog when there are none.
    pub fn has_triggers_on(&self, table: &str) -> bool {
        !self.triggers.is_empty() && self.triggers.values().any(|t| t.table == table)
    }

    /// A state with these triggers added (from a checkpoint).
    pub fn with_triggers(mut self, triggers: impl IntoIterator<Item = TriggerDef>) -> State {
        for t in triggers {
            self.triggers.insert(t.name.to_ascii_lowercase(), Arc::new(t));
        }
        self
    }

    /// Removes the triggers that watch a table or view (stored, lower-case name).
    fn drop_triggers_on(&mut self, table: &str) {
        self.drop_triggers_where(|_, t| t.table == table);
    }

    fn drop_triggers_where(&mut self, doomed: impl Fn(&str, &TriggerDef) -> bool) {
        let names: Vec<String> = self.triggers.iter().filter(|(k, t)| doomed(k, t)).map(|(k, _)| k.clone()).collect();
        for n in names {
            self.triggers.remove(&n);
        }
    }

    /// A state with these namespaces and message stores added (from a checkpoint).
    pub fn with_namespaces(
        mut self,
        namespaces: impl IntoIterator<Item = String>,
        streams: impl IntoIterator<Item = (String, MessageStore)>,
    ) -> State {
        self.namespaces.extend(namespaces);
        self.streams.extend(streams);
        self
    }

    /// Whether a namespace exists (`main` always does).
    pub fn has_namespace(&self, name: &str) -> bool {
        name.eq_ignore_ascii_case(MAIN) || self.namespaces.contains(&name.to_ascii_lowercase())
    }

    /// The namespaces other than `main`.
    pub fn namespaces(&self) -> impl Iterator<Item = &String> {
        self.namespaces.iter()
    }

    /// The messages of a namespace (empty when none were written).
    pub fn messages(&self, namespace: &str) -> Option<&MessageStore> {
        self.streams.get(namespace)
    }

    /// Moves the messages this state wrote into its namespaces' shared logs; done when
    /// the state becomes the head, so later versions share them.
    pub fn seal_messages(&mut self) {
        let unsealed: Vec<String> =
            self.streams.iter().filter(|(_, s)| s.has_unsealed()).map(|(ns, _)| ns.clone()).collect();
        for ns in unsealed {
            if let Some(store) = self.streams.get_mut(&ns) {
                store.seal();
            }
        }
    }

    /// Every namespace's message store.
    pub fn message_stores(&self) -> impl Iterator<Item = (&String, &MessageStore)> {
        self.streams.iter()
    }

    /// The stored names of the tables and views in a namespace.
    fn names_in(&self, namespace: &str) -> (Vec<String>, Vec<String>) {
        let prefix = format!("{namespace}.");
        let pick = |k: &String| k.starts_with(&prefix).then(|| k.clone());
        let from = prefix.clone();
        let tables = self.tables.range(from.clone()..).map(|(k, _)| k).map_while(pick).collect();
        let views = self.views.range(from..).map(|(k, _)| k).map_while(pick).collect();
        (tables, views)
    }

    pub fn table_mut(&mut self, name: &str) -> Result<&mut Table> {
        // Names are stored in lower case, as statements' plans already carry them.
        let lowered;
        let key = if self.tables.contains_key(name) {
            name
        } else {
            lowered = name.to_ascii_lowercase();
            &lowered
        };
        self.tables
            .get_mut(key)
            .ok_or_else(|| ErrorKind::NoSuchTable { name: name.to_string(), suggestion: None }.into())
    }

    /// Applies one change. On error the state may be partly changed: callers apply to a
    /// clone and keep it only when every op succeeded.
    pub fn apply(&mut self, op: &WriteOp) -> Result<()> {
        match op {
            WriteOp::Commit(info) => self.commit = Some(info.clone()),
            WriteOp::CreateNamespace(name) => {
                let key = name.to_ascii_lowercase();
                if self.has_namespace(&key) {
                    return Err(Error::invalid(format!("namespace {name} already exists")));
                }
                if key.contains('.') || key.is_empty() {
                    return Err(Error::invalid(format!("{name:?} cannot name a namespace")));
                }
                self.namespaces.insert(key);
                self.schema_id = NEXT_SCHEMA_ID.fetch_add(1, Ordering::Relaxed);
            }
            WriteOp::DropNamespace(name) => {
                let key = name.to_ascii_lowercase();
                if key == MAIN {
                    return Err(Error::invalid("the main namespace cannot be dropped"));
                }
                if !self.namespaces.contains(&key) {
                    return Err(Error::invalid(format!("no such namespace: {name}")));
                }
                let (tables, views) = self.names_in(&key);
                let outside = self.tables.values().filter(|t| namespace_of(&t.name().to_ascii_lowercase()) != key);
                for t in outside {
                    if let Some(fk) =
                        t.schema.foreign_keys.iter().find(|f| namespace_of(&f.parent.to_ascii_lowercase()) == key)
                    {
                        return Err(Error::invalid(format!(
                            "cannot drop namespace {name}: table {} refers to its table {}",
                            t.name(),
                            fk.parent
                        )));
                    }
                }
                for t in tables {
                    self.tables.remove(&t);
                }
                for v in views {
                    self.views.remove(&v);
                }
                self.drop_triggers_where(|name, _| namespace_of(name) == key);
                self.streams.remove(&key);
                self.namespaces.remove(&key);
                self.schema_id = NEXT_SCHEMA_ID.fetch_add(1, Ordering::Relaxed);
            }
            WriteOp::Message { namespace, message } => {
                if !self.has_namespace(namespace) {
                    return Err(Error::invalid(format!("no such namespace: {namespace}")));
                }
                self.streams.entry(namespace.to_ascii_lowercase()).or_default().append(message)?;
            }
            WriteOp::TruncateMessages { namespace, keep } => {
                if let Some(store) = self.streams.get_mut(&namespace.to_ascii_lowercase()) {
                    store.truncate(*keep as usize);
                }
            }
            WriteOp::Expire { table, key, at } => {
                let t = self.table_mut(table)?;
                if at.is_some() && !t.rows.contains_key(key) {
                    return Err(Error::invalid(format!("no row with key {key} in table {table}")));
                }
                t.set_expiry(key, *at);
            }
            WriteOp::CreateView(view) => {
                let key = view.name.to_ascii_lowercase();
                if self.tables.contains_key(&key) || self.views.contains_key(&key) {
                    return Err(ErrorKind::TableExists(view.name.clone()).into());
                }
                self.views.insert(key, view.clone());
                self.schema_id = NEXT_SCHEMA_ID.fetch_add(1, Ordering::Relaxed);
            }
            WriteOp::DropView(name) => {
                let key = name.to_ascii_lowercase();
                if self.views.remove(&key).is_none() {
                    return Err(Error::invalid(format!("no such view: {name}")));
                }
                self.drop_triggers_on(&key);
                self.schema_id = NEXT_SCHEMA_ID.fetch_add(1, Ordering::Relaxed);
            }
            WriteOp::CreateTable(schema)
            | WriteOp::CreateTableV1(schema)
            | WriteOp::CreateTableV2(schema)
            | WriteOp::CreateTableV3(schema) => {
                schema.check_consistent().map_err(ErrorKind::Invalid)?;
                for fk in &schema.foreign_keys {
                    let width = self.table(&fk.parent).map(|p| p.schema.columns.len());
                    if let Some(bad) = fk.parent_columns.iter().find(|&&c| width.is_some_and(|w| c >= w)) {
                        return Err(Error::invalid(format!(
                            "table {} refers to column {bad} of {}, which it does not have",
                            schema.name, fk.parent
                        )));
                    }
                }
                let key = schema.name.to_ascii_lowercase();
                if self.tables.contains_key(&key) || self.views.contains_key(&key) {
                    return Err(ErrorKind::TableExists(schema.name.clone()).into());
                }
                self.tables.insert(key, Table::new((**schema).clone())?);
                self.schema_id = NEXT_SCHEMA_ID.fetch_add(1, Ordering::Relaxed);
            }
            WriteOp::DropTable(name) => {
                let key = name.to_ascii_lowercase();
                if self.tables.remove(&key).is_none() {
                    return Err(ErrorKind::NoSuchTable { name: name.clone(), suggestion: None }.into());
                }
                self.drop_triggers_on(&key);
                self.schema_id = NEXT_SCHEMA_ID.fetch_add(1, Ordering::Relaxed);
            }
            WriteOp::CreateTrigger(trigger) => {
                let key = trigger.name.to_ascii_lowercase();
                if self.triggers.contains_key(&key) {
                    return Err(Error::invalid(format!("trigger {} already exists", trigger.name)));
                }
                // INSTEAD OF triggers watch views; the others, tables.
                let on_view = trigger.timing == TriggerTiming::InsteadOf;
                let watched = if on_view {
                    self.views.contains_key(&trigger.table)
                } else {
                    self.tables.contains_key(&trigger.table)
                };
                if !watched {
                    let kind = if on_view { "view" } else { "table" };
                    return Err(Error::invalid(format!(
                        "trigger {}: no {kind} {} to watch",
                        trigger.name, trigger.table
                    )));
                }
                self.triggers.insert(key, trigger.clone());
                self.schema_id = NEXT_SCHEMA_ID.fetch_add(1, Ordering::Relaxed);
            }
            WriteOp::DropTrigger(name) => {
                if self.triggers.remove(&name.to_ascii_lowercase()).is_none() {
                    return Err(Error::invalid(format!("no such trigger: {name}")));
                }
                self.schema_id = NEXT_SCHEMA_ID.fetch_add(1, Ordering::Relaxed);
            }
            WriteOp::CreateIndex { table, index } | WriteOp::CreateIndexV1 { table, index } => {
                let width = self.table_mut(table)?.schema.columns.len();
                if index.columns.is_empty() || index.columns.iter().any(|&c| c >= width) {
                    return Err(Error::invalid(format!("index {} refers to columns table {table} lacks", index.name)));
                }
                if let Some(t) = self.index_owner(&index.name) {
                    return Err(Error::invalid(format!("index {} already exists on table {t}", index.name)));
                }
                self.table_mut(table)?.add_index((**index).clone())?;
                self.schema_id = NEXT_SCHEMA_ID.fetch_add(1, Ordering::Relaxed);
            }
            WriteOp::DropIndex { table, name } => {
                self.table_mut(table)?.drop_index(name)?;
                self.schema_id = NEXT_SCHEMA_ID.fetch_add(1, Ordering::Relaxed);
            }
            WriteOp::Row { table, key, change } => {
                let t = self.table_mut(table)?;
                match change {
                    Change::Insert(row) => t.insert(key.clone(), row)?,
                    Change::Update(row) => t.update(key.clone(), row)?,
                    Change::Delete => {
                        t.delete(key)?;
                    }
                }
            }
        }
        Ok(())
    }

    /// Applies a whole write set to a copy; `self` is untouched on error.
    pub fn applied(&self, writes: &WriteSet) -> Result<State> {
        self.applied_all(Joined(std::slice::from_ref(writes)))
    }

    /// Applies write sets one after the other to a copy; `self` is untouched on error.
    pub fn applied_all(&self, writes: Joined) -> Result<State> {
        let mut next = self.clone();
        for op in writes.ops() {
            next.apply(op)?;
        }
        Ok(next)
    }

    /// Direct access to a table, bypassing every check: for tests that damage a state
    /// on purpose and for repair tools.
    #[doc(hidden)]
    pub fn table_for_repair(&mut self, name: &str) -> Result<&mut Table> {
        self.table_mut(name)
    }

    /// The table that has an index (or unique constraint) of this name.
    pub fn index_owner(&self, index: &str) -> Option<String> {
        self.tables.values().find(|t| t.index(index).is_some()).map(|t| t.name().to_string())
    }

    /// Removes a row, as applying its `Change::Delete` would, and returns it; `None`
    /// when the table has no row under the key.
    pub fn remove_row(&mut self, table: &str, key: &RowKey) -> Result<Option<Row>> {
        Ok(self.table_mut(table)?.remove(key))
    }

    /// Removes a row without handing it back; false when there was none.
    pub fn discard_row(&mut self, table: &str, key: &RowKey) -> Result<bool> {
        Ok(self.table_mut(table)?.discard(key))
    }

    /// Takes a rowid from a table of this state.
    pub fn allocate_rowid(&mut self, table: &str) -> Result<i64> {
        self.table_mut(table)?.allocate_rowid()
    }
}
