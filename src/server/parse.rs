//! Parse: statements prepared and planned for the extended protocol.

use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use pgwire::api::portal::Format;
use pgwire::api::results::FieldInfo;
use pgwire::api::stmt::QueryParser;
use pgwire::api::{ClientInfo, Type};
use pgwire::error::PgWireResult;

use super::dialect;
use super::pg::{lock, result_fields, user_error, Kind, Statement};
use super::{sqlstate, wire};
use crate::Session;

/// Parses and plans statements for the extended protocol (Parse).
pub struct Parser {
    pub(super) session: Arc<Mutex<Session>>,
}

#[async_trait]
impl QueryParser for Parser {
    type Statement = Statement;

    async fn parse_sql<C>(&self, _client: &C, sql: &str, _types: &[Option<Type>]) -> PgWireResult<Option<Statement>>
    where
        C: ClientInfo + Unpin + Send + Sync,
    {
        let text = sql.trim().trim_end_matches(';').trim_end();
        if let Some(command) = dialect::parse(text) {
            return Ok(Some(Statement { sql: text.to_string(), kind: Kind::Dialect(command) }));
        }
        let mut session = lock(&self.session);
        let prepared = session.prepare(text).map_err(|e| user_error(Box::new(sqlstate::error_info(&e, text))))?;
        let description = session.describe(&prepared);
        Ok(Some(Statement {
            sql: text.to_string(),
            kind: Kind::Amber { prepared, columns: description.columns, params: description.params },
        }))
    }

    fn get_parameter_types(&self, stmt: &Statement) -> PgWireResult<Vec<Type>> {
        Ok(match &stmt.kind {
            Kind::Amber { params, .. } => params.iter().map(|t| wire::pg_type(*t)).collect(),
            Kind::Dialect(_) => Vec::new(),
        })
    }

    fn get_result_schema(&self, stmt: &Statement, format: Option<&Format>) -> PgWireResult<Vec<FieldInfo>> {
        let format = format.cloned().unwrap_or_default();
        Ok(result_fields(stmt, &format).map(|f| f.to_vec()).unwrap_or_default())
    }
}
