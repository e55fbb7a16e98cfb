//! One PostgreSQL connection: a [`Session`] behind the simple and extended query
//! protocols.
//!
//! Statements run on tokio's blocking pool, one at a time per connection, so a long
//! query holds no runtime thread. The transaction status in each ReadyForQuery is read
//! from the session itself; an error inside a transaction leaves it failed, as
//! PostgreSQL does: every statement is refused until ROLLBACK (or COMMIT, which rolls
//! back), or ROLLBACK TO a savepoint.

use std::fmt::Debug;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, AtomicI32, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use async_trait::async_trait;
use futures::{Sink, SinkExt, StreamExt};
use pgwire::api::auth::StartupHandler;
use pgwire::api::cancel::CancelHandler;
use pgwire::api::portal::{Format, Portal, PortalExecutionState};
use pgwire::api::query::{
    send_execution_response, send_query_response, send_ready_for_query, ExtendedQueryHandler, SimpleQueryHandler,
};
use pgwire::api::results::{
    DescribePortalResponse, DescribeResponse, DescribeStatementResponse, FieldFormat, FieldInfo, Response, Tag,
};
use pgwire::api::stmt::StoredStatement;
use pgwire::api::store::{Entry, PortalStore};
use pgwire::api::{ClientInfo, ClientPortalStore, PgWireConnectionState, PgWireServerHandlers, Type, DEFAULT_NAME};
use pgwire::error::{ErrorInfo, PgWireError, PgWireResult};
use pgwire::messages::data::{NoData, ParameterDescription, RowDescription};
use pgwire::messages::extendedquery::{Bind, BindComplete, Describe, Execute, PortalSuspended, Sync as PgSync};
use pgwire::messages::response::{EmptyQueryResponse, ReadyForQuery, TransactionStatus};
use pgwire::messages::simplequery::Query;
use pgwire::messages::PgWireBackendMessage;

use super::answer::{respond, rows_response};
use super::dialect::{self, Command, Settings};
pub use super::parse::Parser;
use super::sqlstate;
use super::wire;
use super::Shared;
use crate::{DataType, Error, ErrorKind, Outcome, Prepared, Session, Value};

/// A statement quicker than this lets the next run on the connection's own thread.
const QUICK: Duration = Duration::from_micros(500);

/// A statement as the extended protocol keeps it between Parse and Execute.
#[derive(Clone, Debug)]
pub struct Statement {
    pub(super) sql: String,
    pub(super) kind: Kind,
}

#[derive(Clone, Debug)]
pub(super) enum Kind {
    Amber { prepared: Prepared, columns: Option<Vec<(String, Option<DataType>)>>, params: Vec<Option<DataType>> },
    Dialect(Command),
}

/// What a connection keeps besides its session.
pub(super) struct ConnState {
    /// An error ended the statement inside a transaction: statements are refused until
    /// it is rolled back.
    failed: bool,
    pub(super) settings: Settings,
}

/// One client connection.
pub struct Connection {
    pub(super) shared: Arc<Shared>,
    pub(super) peer: SocketAddr,
    pub(super) session: Arc<Mutex<Session>>,
    pub(super) interrupt: Arc<AtomicBool>,
    pub(super) state: Arc<Mutex<ConnState>>,
    pub(super) parser: Arc<Parser>,
    pub(super) busy: AtomicBool,
    /// The last statement took less than [`QUICK`]: the next runs on this thread.
    pub(super) quick: AtomicBool,
    /// Raised when `statement_timeout` stopped the running statement.
    pub(super) timed_out: Arc<AtomicBool>,
    pub(super) pid: AtomicI32,
    /// Set when the server is full or refuses this client: said at startup, then closed.
    pub(super) refuse: Option<(&'static str, String)>,
}

pub(super) fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    // A statement never panics while holding a lock; were one to, the data behind it
    // is still whole (a session's transaction is applied only at commit).
    m.lock().unwrap_or_else(|e| e.into_inner())
}

impl Connection {
    pub(super) fn new(shared: Arc<Shared>, peer: SocketAddr, refuse: Option<(&'static str, String)>) -> Connection {
        let session = shared.db.session();
        let interrupt = session.interrupt_flag();
        let session = Arc::new(Mutex::new(session));
        let state = Arc::new(Mutex::new(ConnState { failed: false, settings: Settings::default() }));
        let parser = Arc::new(Parser { session: session.clone() });
        Connection {
            shared,
            peer,
            session,
            interrupt,
            state,
            parser,
            busy: AtomicBool::new(false),
            quick: AtomicBool::new(false),
            timed_out: Arc::new(AtomicBool::new(false)),
            pid: AtomicI32::new(0),
            refuse,
        }
    }

    /// A read fetched in parts (`max_rows` > 0) streamed as the client takes its rows;
    /// `None` for anything else, which runs whole. A bad parameter is left for the
    /// usual path to report.
    fn stream(&self, portal: &Portal<Statement>, max_rows: usize) -> Option<Response> {
        let Kind::Amber { prepared, columns: Some(columns), .. } = &portal.statement.statement.kind else {
            return None;
        };
        if max_rows == 0 || prepared.is_write() || lock(&self.state).failed {
            return None;
        }
        let params = portal_params(portal).ok()?;
        let rows = lock(&self.session).stream_prepared(prepared, &params)?;
        // An error while rows are made fails the transaction, as any statement's does.
        let (session, state) = (self.session.clone(), self.state.clone());
        let on_error = Arc::new(move || {
            if lock(&session).in_transaction() {
                lock(&state).failed = true;
            }
        });
        Some(super::stream::streamed(
            rows,
            &portal.statement.statement.sql,
            columns,
            &portal.result_column_format,
            on_error,
        ))
    }

    /// Whether a statement is running (shutdown waits for it).
    pub(super) fn busy(&self) -> bool {
        self.busy.load(Ordering::Relaxed)
    }

    /// The status ReadyForQuery reports, from the session's own state.
    fn status(&self) -> TransactionStatus {
        let in_txn = lock(&self.session).in_transaction();
        let mut state = lock(&self.state);
        if !in_txn {
            state.failed = false;
            TransactionStatus::Idle
        } else if state.failed {
            TransactionStatus::Error
        } else {
            TransactionStatus::Transaction
        }
    }

    /// Runs `f` on the session on the blocking pool; the session's interrupt flag stops
    /// it when the caller stops waiting (a cancel, a timeout, a closed connection).
    async fn blocking<T: Send + 'static>(
        &self,
        f: impl FnOnce(&mut Session) -> T + Send + 'static,
    ) -> Result<T, Error> {
        struct StopOnDrop(Arc<AtomicBool>, bool);
        impl Drop for StopOnDrop {
            fn drop(&mut self) {
                if self.1 {
                    self.0.store(true, Ordering::Relaxed);
                }
            }
        }
        let timeout = lock(&self.state).settings.statement_timeout();
        // A connection whose statements are quick runs them right here: handing each to
        // another thread and back costs more than a point query. One that turns out
        // slow holds this worker only until it ends; the next goes to the blocking pool.
        if timeout == 0 && self.quick.load(Ordering::Relaxed) {
            self.busy.store(true, Ordering::Relaxed);
            let start = Instant::now();
            let out = f(&mut lock(&self.session));
            self.quick.store(start.elapsed() < QUICK, Ordering::Relaxed);
            self.busy.store(false, Ordering::Relaxed);
            return Ok(out);
        }
        let session = self.session.clone();
        self.busy.store(true, Ordering::Relaxed);
        let start = Instant::now();
        let mut guard = StopOnDrop(self.interrupt.clone(), true);
        let timer = (timeout > 0).then(|| {
            let flag = self.interrupt.clone();
            let timed_out = self.timed_out.clone();
            tokio::spawn(async move {
                tokio::time::sleep(Duration::from_millis(timeout)).await;
                timed_out.store(true, Ordering::Relaxed);
                flag.store(true, Ordering::Relaxed);
            })
        });
        self.timed_out.store(false, Ordering::Relaxed);
        let joined = tokio::task::spawn_blocking(move || f(&mut lock(&session))).await;
        guard.1 = false;
        self.quick.store(start.elapsed() < QUICK, Ordering::Relaxed);
        self.busy.store(false, Ordering::Relaxed);
        if let Some(task) = timer {
            task.abort();
        }
        joined.map_err(|e| Error::invalid(format!("the statement stopped: {e}")))
    }

    /// Runs one statement (its text, or its prepared form) with the failed-transaction
    /// rule around it, and logs it when it fails.
    async fn run(&self, sql: &str, prepared: Option<&Prepared>, params: Vec<Value>) -> Result<Outcome, Box<ErrorInfo>> {
        let control = Control::of(sql);
        let (failed, in_txn) = {
            let in_txn = lock(&self.session).in_transaction();
            (lock(&self.state).failed && in_txn, in_txn)
        };
        if failed {
            match control {
                Control::Rollback | Control::Commit => {
                    self.blocking(|s| s.execute("ROLLBACK", &[])).await.ok();
                    lock(&self.state).failed = false;
                    return Ok(Outcome::Done("ROLLBACK"));
                }
                Control::RollbackTo => {}
                _ => {
                    let e = aborted();
                    self.log_failure(sql, &e);
                    return Err(e);
                }
            }
        }
        // PostgreSQL warns and goes on where AmberDB would refuse.
        match control {
            Control::Commit if !in_txn => return Ok(Outcome::Done("COMMIT")),
            Control::Rollback if !in_txn => return Ok(Outcome::Done("ROLLBACK")),
            Control::Begin if in_txn => return Ok(Outcome::Done("BEGIN")),
            _ => {}
        }
        let text = sql.to_string();
        let prepared = prepared.cloned();
        let out = self
            .blocking(move |s| match &prepared {
                Some(p) => s.execute_prepared(p, &params),
                None => s.execute(&text, &params),
            })
            .await
            .and_then(|r| r);
        match out {
            Ok(out) => {
                if control == Control::RollbackTo {
                    lock(&self.state).failed = false;
                }
                Ok(out)
            }
            Err(e) => {
                let mut info = Box::new(sqlstate::error_info(&e, sql));
                if matches!(e.kind(), ErrorKind::Interrupted) {
                    info.message = if self.timed_out.load(Ordering::Relaxed) {
                        "canceling statement due to statement timeout; nothing was changed"
                    } else {
                        "canceling statement due to user request; nothing was changed"
                    }
                    .to_string();
                }
                if lock(&self.session).in_transaction() {
                    lock(&self.state).failed = true;
                }
                self.log_failure(sql, &info);
                Err(info)
            }
        }
    }

    fn log_failure(&self, sql: &str, e: &ErrorInfo) {
        if self.shared.log {
            let sql: String = sql.split_whitespace().collect::<Vec<_>>().join(" ");
            let sql = if sql.chars().count() > 200 {
                format!("{}…", sql.chars().take(200).collect::<String>())
            } else {
                sql
            };
            eprintln!(
                "amberdb serve: {} pid {}: ERROR {}: {} — {sql}",
                self.peer,
                self.pid.load(Ordering::Relaxed),
                e.code,
                e.message
            );
        }
    }

    /// A server-answered statement; afterwards the session's SQL reads the settings as
    /// they are (`current_setting()`, `pg_settings`).
    fn dialect(&self, command: &Command) -> Result<Response, Box<ErrorInfo>> {
        let out = self.dialect_command(command);
        self.share_settings();
        out
    }

    /// Hands the connection's settings to its session.
    pub(super) fn share_settings(&self) {
        let settings = lock(&self.state).settings.all().map(|(k, v)| (k.to_string(), v.to_string())).collect();
        lock(&self.session).set_client_settings(settings);
    }

    fn dialect_command(&self, command: &Command) -> Result<Response, Box<ErrorInfo>> {
        let mut state = lock(&self.state);
        if state.failed && lock(&self.session).in_transaction() {
            return Err(aborted());
        }
        match command {
            Command::Set { name, value } => {
                if name == "transaction" {
                    return Ok(Response::Execution(Tag::new("SET")));
                }
                if name == "search_path" {
                    self.use_namespace(value)?;
                }
                // The database's own settings (slow_query_ms, memory_limit, …) go to it.
                if crate::SETTINGS.contains(&name.to_ascii_lowercase().as_str()) {
                    drop(state);
                    let value = value.trim().trim_matches('\'').replace('\'', "''");
                    let sql = format!("SET {name} = '{value}'");
                    lock(&self.session).execute(&sql, &[]).map_err(|e| Box::new(sqlstate::error_info(&e, &sql)))?;
                    return Ok(Response::Execution(Tag::new("SET")));
                }
                state.settings.set(name, value).map_err(|m| Box::new(sqlstate::error("22023", m)))?;
                if name.eq_ignore_ascii_case("application_name") {
                    drop(state);
                    lock(&self.session).set_label(Some(value.trim().trim_matches('\'')));
                }
                Ok(Response::Execution(Tag::new("SET")))
            }
            Command::Reset(name) => {
                state.settings.reset(name);
                Ok(Response::Execution(Tag::new("RESET")))
            }
            Command::Deallocate(_) => Ok(Response::Execution(Tag::new("DEALLOCATE"))),
            Command::Discard => {
                state.settings.reset("all");
                Ok(Response::Execution(Tag::new("DISCARD ALL")))
            }
            Command::Show(name) => {
                let (columns, rows): (Vec<String>, Vec<Vec<Value>>) = if name == "all" {
                    let rows = state.settings.all().map(|(k, v)| vec![Value::text(k), Value::text(v)]).collect();
                    (vec!["name".into(), "setting".into()], rows)
                } else {
                    // The database's own settings first (memory_limit, slow_query_ms, …).
                    let own = lock(&self.session).database().setting(name);
                    let value = own.or_else(|| state.settings.get(name).map(str::to_string)).ok_or_else(|| {
                        sqlstate::error("42704", format!("unrecognized configuration parameter \"{name}\""))
                    })?;
                    (vec![name.clone()], vec![vec![Value::text(&value)]])
                };
                let types = vec![Type::TEXT; columns.len()];
                let fields = wire::fields(&columns, &types, |_| FieldFormat::Text);
                Ok(Response::Query(rows_response(fields, rows, "SHOW")))
            }
        }
    }

    /// `SET search_path TO ns`: unqualified names then refer to namespace `ns` (the
    /// first of the list that is one; `public` and `main` are the main one).
    fn use_namespace(&self, path: &str) -> Result<(), Box<ErrorInfo>> {
        let mut session = lock(&self.session);
        for name in path.split(',').map(|n| n.trim().trim_matches('"').trim_matches('\'')) {
            let target = match name.to_ascii_lowercase().as_str() {
                "public" | "main" | "pg_catalog" => "main".to_string(),
                "$user" | "" => continue,
                other => other.to_string(),
            };
            if target == "main" || session.state().has_namespace(&target) {
                return session
                    .execute(&format!("USE {}", crate::quote_ident(&target)), &[])
                    .map(|_| ())
                    .map_err(|e| Box::new(sqlstate::error_info(&e, path)));
            }
        }
        Ok(())
    }

    /// The responses to a simple Query: one per statement, up to the first error.
    async fn simple<C: ClientPortalStore>(&self, client: &mut C, query: &str) -> Vec<Response>
    where
        C::PortalStore: PortalStore,
    {
        let mut responses = Vec::new();
        for piece in crate::split(query) {
            let sql = piece.text.trim();
            if crate::only_space_and_comments(sql) {
                continue;
            }
            let out = match dialect::parse(sql) {
                Some(Command::Deallocate(name)) => {
                    // All: the names are not listed; a name prepared again replaces its
                    // statement.
                    if let Some(name) = name {
                        client.portal_store().rm_statement(&name);
                    }
                    Ok(Response::Execution(Tag::new("DEALLOCATE")))
                }
                Some(command) => self.dialect(&command),
                None => self.run(sql, None, Vec::new()).await.map(|o| respond(o, sql, None, &Format::UnifiedText)),
            };
            match out {
                Ok(r) => responses.push(r),
                Err(e) => {
                    responses.push(Response::Error(e));
                    break;
                }
            }
        }
        if responses.is_empty() {
            responses.push(Response::EmptyQuery);
        }
        responses
    }
}

/// Transaction control, told from a statement's first words.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Control {
    Begin,
    Commit,
    Rollback,
    RollbackTo,
    Other,
}

impl Control {
    fn of(sql: &str) -> Control {
        let mut words = sql.split_whitespace().map(|w| w.trim_end_matches(';').to_ascii_lowercase());
        match words.next().as_deref() {
            Some("begin") | Some("start") => Control::Begin,
            Some("commit") | Some("end") => Control::Commit,
            Some("rollback") | Some("abort") => {
                if words.any(|w| w == "to") {
                    Control::RollbackTo
                } else {
                    Control::Rollback
                }
            }
            _ => Control::Other,
        }
    }
}

pub(super) fn user_error(e: Box<ErrorInfo>) -> PgWireError {
    PgWireError::UserError(e)
}

/// A portal's parameters, decoded by their described types.
fn portal_params(portal: &Portal<Statement>) -> PgWireResult<Vec<Value>> {
    let types = param_types(&portal.statement);
    let mut params = Vec::with_capacity(portal.parameter_len());
    for (i, bytes) in portal.parameters.iter().enumerate() {
        let ty = types.get(i).cloned().unwrap_or(Type::TEXT);
        let value = wire::decode_param(bytes.as_deref(), &ty, portal.parameter_format.is_binary(i))
            .map_err(|m| user_error(Box::new(sqlstate::error("22P02", format!("parameter ${}: {m}", i + 1)))))?;
        params.push(value);
    }
    Ok(params)
}

/// The refusal of a statement in a failed transaction.
fn aborted() -> Box<ErrorInfo> {
    Box::new(sqlstate::error(
        "25P02",
        "current transaction is aborted, commands ignored until end of transaction block",
    ))
}

/// The row description a statement was described with; `None` when it returns no rows.
pub(super) fn result_fields(stmt: &Statement, format: &Format) -> Option<Arc<Vec<FieldInfo>>> {
    match &stmt.kind {
        Kind::Amber { columns: Some(columns), .. } => {
            let names: Vec<String> = columns.iter().map(|(n, _)| n.clone()).collect();
            let types: Vec<Type> = columns.iter().map(|(_, t)| wire::pg_type(*t)).collect();
            Some(wire::fields(&names, &types, |i| format.format_for(i)))
        }
        Kind::Amber { columns: None, .. } => None,
        Kind::Dialect(Command::Show(name)) if name != "all" => {
            Some(wire::fields(std::slice::from_ref(name), &[Type::TEXT], |i| format.format_for(i)))
        }
        Kind::Dialect(Command::Show(_)) => {
            Some(wire::fields(&["name".into(), "setting".into()], &[Type::TEXT, Type::TEXT], |i| format.format_for(i)))
        }
        Kind::Dialect(_) => None,
    }
}

/// The types of a statement's parameters: those the client named, else those worked
/// out from the statement, else text.
fn param_types(stored: &StoredStatement<Statement>) -> Vec<Type> {
    let inferred: &[Option<DataType>] = match &stored.statement.kind {
        Kind::Amber { params, .. } => params,
        Kind::Dialect(_) => &[],
    };
    let n = inferred.len().max(stored.parameter_types.len());
    (0..n)
        .map(|i| match stored.parameter_types.get(i) {
            Some(Some(t)) if *t != Type::UNKNOWN => t.clone(),
            _ => wire::pg_type(inferred.get(i).copied().flatten()),
        })
        .collect()
}

#[async_trait]
impl SimpleQueryHandler for Connection {
    async fn on_query<C>(&self, client: &mut C, query: Query) -> PgWireResult<()>
    where
        C: ClientInfo + ClientPortalStore + Sink<PgWireBackendMessage> + Unpin + Send + Sync,
        C::PortalStore: PortalStore,
        C::Error: Debug,
        PgWireError: From<<C as Sink<PgWireBackendMessage>>::Error>,
    {
        if !matches!(client.state(), PgWireConnectionState::ReadyForQuery) {
            return Err(PgWireError::NotReadyForQuery);
        }
        client.set_state(PgWireConnectionState::QueryInProgress);
        for response in SimpleQueryHandler::do_query(self, client, &query.query).await? {
            match response {
                Response::EmptyQuery => {
                    client.feed(PgWireBackendMessage::EmptyQueryResponse(EmptyQueryResponse::new())).await?
                }
                Response::Query(results) => send_query_response(client, results, true).await?,
                Response::Execution(tag) | Response::TransactionStart(tag) | Response::TransactionEnd(tag) => {
                    send_execution_response(client, tag).await?
                }
                Response::Error(e) => client.feed(PgWireBackendMessage::ErrorResponse((*e).into())).await?,
                Response::CopyIn(_) | Response::CopyOut(_) | Response::CopyBoth(_) => {}
            }
        }
        client.set_state(PgWireConnectionState::ReadyForQuery);
        let status = self.status();
        client.set_transaction_status(status);
        send_ready_for_query(client, status).await
    }

    async fn do_query<C>(&self, client: &mut C, query: &str) -> PgWireResult<Vec<Response>>
    where
        C: ClientInfo + ClientPortalStore + Sink<PgWireBackendMessage> + Unpin + Send + Sync,
        C::PortalStore: PortalStore,
        C::Error: Debug,
        PgWireError: From<<C as Sink<PgWireBackendMessage>>::Error>,
    {
        Ok(self.simple(client, query).await)
    }
}

#[async_trait]
impl ExtendedQueryHandler for Connection {
    type Statement = Statement;
    type QueryParser = Parser;

    fn query_parser(&self) -> Arc<Parser> {
        self.parser.clone()
    }

    /// As pgwire's, but queued without a flush: the answer goes out in one write with
    /// the ReadyForQuery of the Sync that follows.
    async fn on_bind<C>(&self, client: &mut C, message: Bind) -> PgWireResult<()>
    where
        C: ClientInfo + ClientPortalStore + Sink<PgWireBackendMessage> + Unpin + Send + Sync,
        C::PortalStore: PortalStore<Statement = Self::Statement>,
        C::Error: Debug,
        PgWireError: From<<C as Sink<PgWireBackendMessage>>::Error>,
    {
        let statement_name = message.statement_name.as_deref().unwrap_or(DEFAULT_NAME);
        let portal_name = message.portal_name.as_deref().unwrap_or(DEFAULT_NAME);
        match client.portal_store().get_statement(statement_name) {
            Some(Entry::Value(statement)) => {
                let portal = Portal::try_new(&message, statement)?;
                client.portal_store().put_portal(Arc::new(portal));
            }
            Some(Entry::Empty) if message.parameters.is_empty() => client.portal_store().put_empty_portal(portal_name),
            Some(Entry::Empty) => {
                return Err(user_error(Box::new(sqlstate::error(
                    "08P01",
                    format!(
                        "bind message supplies {} parameters, but the statement has none",
                        message.parameters.len()
                    ),
                ))))
            }
            None => return Err(PgWireError::StatementNotFound(statement_name.to_owned())),
        }
        client.feed(PgWireBackendMessage::BindComplete(BindComplete::new())).await?;
        Ok(())
    }

    /// As pgwire's (rows up to the Execute's limit, then PortalSuspended or the command
    /// tag), queued without a flush; the transaction status is the session's.
    async fn on_execute<C>(&self, client: &mut C, message: Execute) -> PgWireResult<()>
    where
        C: ClientInfo + ClientPortalStore + Sink<PgWireBackendMessage> + Unpin + Send + Sync,
        C::PortalStore: PortalStore<Statement = Self::Statement>,
        C::Error: Debug,
        PgWireError: From<<C as Sink<PgWireBackendMessage>>::Error>,
    {
        if !matches!(client.state(), PgWireConnectionState::ReadyForQuery) {
            return Err(PgWireError::NotReadyForQuery);
        }
        let portal_name = message.name.as_deref().unwrap_or(DEFAULT_NAME);
        let max_rows = message.max_rows.max(0) as usize;
        let portal = match client.portal_store().get_portal(portal_name) {
            Some(Entry::Value(portal)) => portal,
            Some(Entry::Empty) => {
                client.feed(PgWireBackendMessage::EmptyQueryResponse(EmptyQueryResponse::new())).await?;
                return Ok(());
            }
            None => return Err(PgWireError::PortalNotFound(portal_name.to_owned())),
        };
        client.set_state(PgWireConnectionState::QueryInProgress);
        let started = !matches!(&*portal.state().lock().await, PortalExecutionState::Initial);
        let mut fetch = started;
        if !started {
            let out = match self.stream(&portal, max_rows) {
                Some(streamed) => Ok(streamed),
                None => ExtendedQueryHandler::do_query(self, client, &portal, max_rows).await,
            };
            client.set_state(PgWireConnectionState::ReadyForQuery);
            client.set_transaction_status(self.status());
            match out? {
                Response::Query(results) => {
                    portal.start(results).await;
                    fetch = true;
                }
                Response::Execution(tag) | Response::TransactionStart(tag) | Response::TransactionEnd(tag) => {
                    client.feed(PgWireBackendMessage::CommandComplete(tag.into())).await?;
                }
                Response::EmptyQuery => {
                    client.feed(PgWireBackendMessage::EmptyQueryResponse(EmptyQueryResponse::new())).await?;
                }
                Response::Error(e) => return Err(PgWireError::UserError(e)),
                Response::CopyIn(_) | Response::CopyOut(_) | Response::CopyBoth(_) => {}
            }
        }
        if fetch {
            let fetched = portal.fetch(max_rows).await;
            client.set_state(PgWireConnectionState::ReadyForQuery);
            let fetched = fetched?;
            let mut response = fetched.response;
            let tag = response.command_tag().to_owned();
            let mut rows = 0;
            while let Some(row) = response.data_rows().next().await {
                client.feed(PgWireBackendMessage::DataRow(row?)).await?;
                rows += 1;
            }
            if fetched.suspended {
                client.feed(PgWireBackendMessage::PortalSuspended(PortalSuspended::new())).await?;
            } else {
                client.feed(PgWireBackendMessage::CommandComplete(Tag::new(&tag).with_rows(rows).into())).await?;
            }
        }
        client.set_state(PgWireConnectionState::ReadyForQuery);
        Ok(())
    }

    /// As pgwire's, queued without a flush (see `on_bind`).
    async fn on_describe<C>(&self, client: &mut C, message: Describe) -> PgWireResult<()>
    where
        C: ClientInfo + ClientPortalStore + Sink<PgWireBackendMessage> + Unpin + Send + Sync,
        C::PortalStore: PortalStore<Statement = Self::Statement>,
        C::Error: Debug,
        PgWireError: From<<C as Sink<PgWireBackendMessage>>::Error>,
    {
        let name = message.name.as_deref().unwrap_or(DEFAULT_NAME);
        let fields = match message.target_type {
            b'S' => {
                let (params, fields) = match client.portal_store().get_statement(name) {
                    Some(Entry::Value(stmt)) => {
                        (param_types(&stmt), result_fields(&stmt.statement, &Format::UnifiedText))
                    }
                    Some(Entry::Empty) => (Vec::new(), None),
                    None => return Err(PgWireError::StatementNotFound(name.to_owned())),
                };
                let oids = params.iter().map(|t| t.oid()).collect();
                client.feed(PgWireBackendMessage::ParameterDescription(ParameterDescription::new(oids))).await?;
                fields
            }
            b'P' => match client.portal_store().get_portal(name) {
                Some(Entry::Value(portal)) => result_fields(&portal.statement.statement, &portal.result_column_format),
                Some(Entry::Empty) => None,
                None => return Err(PgWireError::PortalNotFound(name.to_owned())),
            },
            other => return Err(PgWireError::InvalidTargetType(other)),
        };
        let message = match fields {
            Some(f) if !f.is_empty() => {
                PgWireBackendMessage::RowDescription(RowDescription::new(f.iter().map(Into::into).collect()))
            }
            _ => PgWireBackendMessage::NoData(NoData::new()),
        };
        client.feed(message).await?;
        Ok(())
    }

    async fn on_sync<C>(&self, client: &mut C, _message: PgSync) -> PgWireResult<()>
    where
        C: ClientInfo + ClientPortalStore + Sink<PgWireBackendMessage> + Unpin + Send + Sync,
        C::PortalStore: PortalStore<Statement = Self::Statement>,
        C::Error: Debug,
        PgWireError: From<<C as Sink<PgWireBackendMessage>>::Error>,
    {
        client.portal_store().rm_portal(DEFAULT_NAME);
        let status = self.status();
        client.set_transaction_status(status);
        client.send(PgWireBackendMessage::ReadyForQuery(ReadyForQuery::new(status))).await?;
        client.flush().await?;
        Ok(())
    }

    async fn do_query<C>(&self, _client: &mut C, portal: &Portal<Statement>, _max_rows: usize) -> PgWireResult<Response>
    where
        C: ClientInfo + ClientPortalStore + Sink<PgWireBackendMessage> + Unpin + Send + Sync,
        C::PortalStore: PortalStore<Statement = Self::Statement>,
        C::Error: Debug,
        PgWireError: From<<C as Sink<PgWireBackendMessage>>::Error>,
    {
        let stmt = &portal.statement.statement;
        match &stmt.kind {
            Kind::Dialect(command) => self.dialect(command).map_err(user_error),
            Kind::Amber { prepared, columns, .. } => {
                let params = portal_params(portal)?;
                let out = self.run(&stmt.sql, Some(prepared), params).await.map_err(user_error)?;
                Ok(respond(out, &stmt.sql, columns.as_deref(), &portal.result_column_format))
            }
        }
    }

    async fn do_describe_statement<C>(
        &self,
        _client: &mut C,
        stmt: &StoredStatement<Statement>,
    ) -> PgWireResult<DescribeStatementResponse>
    where
        C: ClientInfo + ClientPortalStore + Sink<PgWireBackendMessage> + Unpin + Send + Sync,
        C::PortalStore: PortalStore<Statement = Self::Statement>,
        C::Error: Debug,
        PgWireError: From<<C as Sink<PgWireBackendMessage>>::Error>,
    {
        let fields = result_fields(&stmt.statement, &Format::UnifiedText).map(|f| f.to_vec()).unwrap_or_default();
        Ok(DescribeStatementResponse::new(param_types(stmt), fields))
    }

    async fn do_describe_portal<C>(
        &self,
        _client: &mut C,
        portal: &Portal<Statement>,
    ) -> PgWireResult<DescribePortalResponse>
    where
        C: ClientInfo + ClientPortalStore + Sink<PgWireBackendMessage> + Unpin + Send + Sync,
        C::PortalStore: PortalStore<Statement = Self::Statement>,
        C::Error: Debug,
        PgWireError: From<<C as Sink<PgWireBackendMessage>>::Error>,
    {
        let fields = result_fields(&portal.statement.statement, &portal.result_column_format);
        Ok(match fields {
            Some(f) => DescribePortalResponse::new(f.to_vec()),
            None => DescribePortalResponse::no_data(),
        })
    }
}

impl Drop for Connection {
    fn drop(&mut self) {
        let pid = self.pid.load(Ordering::Relaxed);
        lock(&self.shared.cancels).remove(&pid);
        if self.shared.log && pid != 0 {
            eprintln!("amberdb serve: {} pid {pid}: disconnected", self.peer);
        }
    }
}

/// The handlers of one connection, as pgwire asks for them.
pub struct Handlers(pub Arc<Connection>);

impl PgWireServerHandlers for Handlers {
    fn simple_query_handler(&self) -> Arc<impl SimpleQueryHandler> {
        self.0.clone()
    }

    fn extended_query_handler(&self) -> Arc<impl ExtendedQueryHandler> {
        self.0.clone()
    }

    fn startup_handler(&self) -> Arc<impl StartupHandler> {
        self.0.clone()
    }

    fn cancel_handler(&self) -> Arc<impl CancelHandler> {
        Arc::new(super::cancel::Canceller(self.0.shared.clone()))
    }
}
