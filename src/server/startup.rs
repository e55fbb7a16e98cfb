//! A connection's start: who the client is (SCRAM over the users, when there are
//! users), its process id and cancel key, the server's parameters.

use std::fmt::Debug;
use std::sync::atomic::Ordering;

use async_trait::async_trait;
use futures::{Sink, SinkExt};
use pgwire::api::auth::mechanism::AuthMechanismFactory;
use pgwire::api::auth::{self, AuthOutcome, StartupHandler};
use pgwire::api::{ClientInfo, PidSecretKeyGenerator};
use pgwire::error::{PgWireError, PgWireResult};
use pgwire::messages::startup::Authentication;
use pgwire::messages::{PgWireBackendMessage, PgWireFrontendMessage};

use super::dialect;
use super::pg::{lock, Connection};
use super::sqlstate;

#[async_trait]
impl StartupHandler for Connection {
    async fn on_startup<C>(&self, client: &mut C, message: PgWireFrontendMessage) -> PgWireResult<()>
    where
        C: ClientInfo + Sink<PgWireBackendMessage> + Unpin + Send + Sync,
        C::Error: Debug,
        PgWireError: From<<C as Sink<PgWireBackendMessage>>::Error>,
    {
        let outcome = match message {
            PgWireFrontendMessage::Startup(startup) => {
                auth::protocol_negotiation(client, &startup).await?;
                auth::save_startup_parameters_to_metadata(client, &startup);
                if let Some((code, message)) = &self.refuse {
                    let mut e = sqlstate::error(code, message.clone());
                    e.severity = "FATAL".into();
                    return Err(PgWireError::UserError(Box::new(e)));
                }
                let scram = match &self.shared.scram_tls {
                    Some(plus) if client.is_secure() => Some(plus),
                    _ => self.shared.scram.as_ref(),
                };
                match scram {
                    Some(scram) => self.shared.driver.begin_authentication(client, scram.create()).await,
                    None => Ok(AuthOutcome::Authenticated { identity: None, final_message: None }),
                }
            }
            PgWireFrontendMessage::PasswordMessageFamily(message) => {
                self.shared.driver.advance_authentication(client, message).await
            }
            _ => return Ok(()),
        };
        match outcome {
            Ok(AuthOutcome::InProgress) => Ok(()),
            Ok(AuthOutcome::Authenticated { final_message, .. }) => self.welcome(client, final_message).await,
            Err(e) => {
                let user = client.metadata().get("user").cloned().unwrap_or_default();
                // PostgreSQL's words, which name the user.
                let e = match e {
                    PgWireError::InvalidPassword(_) => {
                        let mut info =
                            sqlstate::error("28P01", format!("password authentication failed for user \"{user}\""));
                        info.severity = "FATAL".into();
                        PgWireError::UserError(Box::new(info))
                    }
                    e => e,
                };
                if self.shared.log {
                    eprintln!("amberdb serve: {}: refused {user}: {e}", self.peer);
                }
                Err(e)
            }
        }
    }
}

impl Connection {
    /// Completes the startup of a client who may connect: its process id and cancel
    /// key, the server's parameters, ReadyForQuery.
    async fn welcome<C>(&self, client: &mut C, final_message: Option<Authentication>) -> PgWireResult<()>
    where
        C: ClientInfo + Sink<PgWireBackendMessage> + Unpin + Send + Sync,
        C::Error: Debug,
        PgWireError: From<<C as Sink<PgWireBackendMessage>>::Error>,
    {
        if let Some(message) = final_message {
            client.send(PgWireBackendMessage::Authentication(message)).await?;
        }
        // The process id is the session's number, which `pg_backend_pid()` answers.
        let (_, secret) = self.shared.pids.generate(client);
        let pid = (lock(&self.session).id() % i64::from(i32::MAX)) as i32;
        client.set_pid_and_secret_key(pid, secret.clone());
        self.pid.store(pid, Ordering::Relaxed);
        lock(&self.shared.cancels).insert(pid, (secret.to_bytes().to_vec(), self.interrupt.clone()));
        // Commits are labelled with the application's name, else the user's.
        let user = client.metadata().get("user").map(String::as_str);
        let application = client.metadata().get("application_name").filter(|n| !n.is_empty());
        lock(&self.session).set_label(application.map(String::as_str).or(user));
        if let Some(name) = application {
            lock(&self.state).settings.set("application_name", name).ok();
        }
        self.share_settings();
        if self.shared.log {
            let user = client.metadata().get("user").cloned().unwrap_or_default();
            let database = client.metadata().get("database").cloned().unwrap_or_default();
            let tls = if client.is_secure() { " over TLS" } else { "" };
            eprintln!("amberdb serve: {} pid {pid}: connected as {user} to {database}{tls}", self.peer);
        }
        let mut parameters = auth::DefaultServerParameterProvider::default();
        parameters.server_version = dialect::server_version();
        parameters.time_zone = "UTC".into();
        auth::finish_authentication(client, &parameters).await
    }
}
