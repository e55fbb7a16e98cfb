//! CancelRequest, psql's Ctrl-C: the connection a request names stops its statement.

use std::sync::atomic::Ordering;
use std::sync::Arc;

use async_trait::async_trait;
use pgwire::api::cancel::CancelHandler;
use pgwire::messages::cancel::CancelRequest;

use super::pg::lock;
use super::Shared;

/// Answers a CancelRequest (psql's Ctrl-C): the connection it names stops its
/// statement, which then changes nothing.
pub(super) struct Canceller(pub(super) Arc<Shared>);

#[async_trait]
impl CancelHandler for Canceller {
    async fn on_cancel_request(&self, request: CancelRequest) {
        let cancels = lock(&self.0.cancels);
        if let Some((secret, flag)) = cancels.get(&request.pid) {
            if *secret == request.secret_key.to_bytes().to_vec() {
                flag.store(true, Ordering::Relaxed);
            }
        }
    }
}
