//! The cluster log: commits as messages of a NATS JetStream stream, for nodes that
//! share one ordered history (`amberdb serve --cluster`).
//!
//! # What is in NATS
//!
//! For a cluster named `shop`:
//!
//! ```text
//! stream  AMBER_shop               subject amber.shop.log; message n is version n, its
//!                                  payload a log record (`wal::encode`), its
//!                                  Nats-Msg-Id the committing node and a counter
//! subject amber.shop.nodes         heartbeats (core NATS): each node's applied version
//! object  AMBER_shop_checkpoints   "checkpoint": the newest published checkpoint
//!                                  (`checkpoint::encode`), its version in the description
//! ```
//!
//! # Commit rule
//!
//! A node publishes a commit with `Nats-Expected-Last-Sequence` set to the version it
//! built the commit on, so JetStream (whose Raft orders the stream) stores it as the next
//! version or refuses it when another node's commit took that place: a conflict, after
//! which the node catches up and the transaction may be tried again. A publish whose
//! answer is lost (a server died) is sent again under the same message id, which
//! JetStream stores once; when the answer stays lost, the message at the version is
//! read back to learn whether it is this commit. A commit is acknowledged only once
//! JetStream has stored it on a quorum of the stream's replicas.
//!
//! This module only moves bytes: the database (txn) decides what a commit is and
//! applies what the stream delivers, in order.

use std::collections::BTreeMap;
use std::future::Future;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use async_nats::jetstream::{self, consumer, object_store, stream};
use bytes::Bytes;
use futures::StreamExt;
use tokio::io::AsyncReadExt;

use crate::error::{Error, ErrorKind, Result};

/// How a node joins a cluster.
#[derive(Clone, Debug)]
pub struct ClusterOptions {
    /// NATS servers, comma-separated (`nats://127.0.0.1:4222,nats://127.0.0.1:4223`).
    pub servers: String,
    /// The cluster's name: the nodes that share it share one stream.
    pub name: String,
    /// This node's name, unique in the cluster.
    pub node: String,
    /// Replicas of the stream (3 for a quorum that survives a server; a NATS server
    /// that is not clustered takes only 1, which is used then).
    pub replicas: usize,
    /// Publish a checkpoint every this many versions (0: never).
    pub checkpoint_every: u64,
    /// Versions the stream keeps behind the newest published checkpoint; older ones are
    /// removed (0: keep them all).
    pub keep: u64,
    /// How long a commit waits for JetStream before its outcome is unknown.
    pub timeout: Duration,
}

impl ClusterOptions {
    pub fn new(servers: &str, name: &str) -> ClusterOptions {
        ClusterOptions {
            servers: servers.to_string(),
            name: name.to_string(),
            node: format!("node-{}", std::process::id()),
            replicas: 3,
            checkpoint_every: 10_000,
            keep: 10_000,
            timeout: Duration::from_secs(10),
        }
    }
}

/// What became of a commit sent to the stream.
#[derive(Debug, PartialEq, Eq)]
pub enum Appended {
    /// Stored at this sequence (the commit's version).
    Stored(u64),
    /// Another commit is at the expected place; the stream had reached this sequence.
    Stale(u64),
}

/// A node as its last heartbeat described it.
#[derive(Clone, Debug, PartialEq)]
pub struct Peer {
    pub node: String,
    pub applied: u64,
    /// Microseconds since the epoch of its last heartbeat.
    pub at: i64,
}

/// The stream's ends as last seen.
#[derive(Clone, Copy, Debug, Default)]
pub struct StreamEnds {
    pub first: u64,
    pub last: u64,
}

/// A checkpoint published to the object store.
pub struct Published {
    pub version: u64,
    pub bytes: Vec<u8>,
}

/// One node's connection to its cluster's stream.
pub(crate) struct Cluster {
    runtime: Background,
    js: jetstream::Context,
    stream: stream::Stream,
    subject: String,
    client: async_nats::Client,
    checkpoints: object_store::ObjectStore,
    options: ClusterOptions,
    /// The replicas the stream has (1 when the NATS server is not clustered).
    replicas: usize,
    sent: AtomicU64,
    peers: Mutex<BTreeMap<String, Peer>>,
    last_seen: AtomicU64,
    /// The newest version this node published a checkpoint of (or saw published).
    checkpointed: AtomicU64,
}

fn nats_error(what: &str, e: impl std::fmt::Display) -> Error {
    ErrorKind::Io(format!("cluster: {what}: {e}")).into()
}

fn now_micros() -> i64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_micros() as i64)
}

const CHECKPOINT: &str = "checkpoint";

/// How long a follower waits for the next message before it asks the stream whether one
/// should have come.
const STALL: Duration = Duration::from_secs(1);

impl Cluster {
    /// Connects to the NATS servers and opens (creating when missing) the cluster's
    /// stream, node table and checkpoint store.
    pub fn connect(options: ClusterOptions) -> Result<Cluster> {
        if options.name.is_empty() || !options.name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-') {
            return Err(Error::invalid(format!(
                "cluster name {:?}: use letters, digits, '_' and '-' only",
                options.name
            )));
        }
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .thread_name("amberdb-cluster")
            .enable_all()
            .build()
            .map(|r| Background(Some(r)))
            .map_err(|e| nats_error("cannot start its runtime", e))?;
        let servers: Vec<async_nats::ServerAddr> = options
            .servers
            .split(',')
            .map(|s| s.trim().parse())
            .collect::<std::result::Result<_, _>>()
            .map_err(|e| Error::invalid(format!("cluster servers {:?}: {e}", options.servers)))?;
        let name = options.name.clone();
        let replicas = options.replicas.max(1);
        let node = options.node.clone();
        let opened = run_on(runtime.get(), Duration::from_secs(30), async move {
            let client = async_nats::ConnectOptions::new()
                .name(format!("amberdb {node}"))
                .connection_timeout(Duration::from_secs(5))
                .max_reconnects(None)
                .connect(servers)
                .await
                .map_err(|e| nats_error("cannot reach NATS", e))?;
            let js = jetstream::new(client.clone());
            let (stream, replicas) = open_stream(&js, &name, replicas).await?;
            let checkpoints = match js.get_object_store(format!("AMBER_{name}_checkpoints")).await {
                Ok(store) => store,
                Err(_) => js
                    .create_object_store(object_store::Config {
                        bucket: format!("AMBER_{name}_checkpoints"),
                        num_replicas: replicas,
                        ..Default::default()
                    })
                    .await
                    .map_err(|e| nats_error("cannot create the checkpoint store", e))?,
            };
            Ok::<_, Error>((client, js, stream, replicas, checkpoints))
        })??;
        let (client, js, stream, replicas, checkpoints) = opened;
        Ok(Cluster {
            runtime,
            js,
            stream,
            subject: format!("amber.{}.log", options.name),
            client,
            checkpoints,
            options,
            replicas,
            sent: AtomicU64::new(0),
            peers: Mutex::new(BTreeMap::new()),
            last_seen: AtomicU64::new(0),
            checkpointed: AtomicU64::new(0),
        })
    }

    pub fn options(&self) -> &ClusterOptions {
        &self.options
    }

    pub fn replicas(&self) -> usize {
        self.replicas
    }

    fn runtime(&self) -> &tokio::runtime::Runtime {
        self.runtime.get()
    }

    /// Runs `f` on the cluster's runtime and waits for it, from any thread (the
    /// server's runtime's too).
    fn run<T: Send + 'static>(&self, limit: Duration, f: impl Future<Output = T> + Send + 'static) -> Result<T> {
        run_on(self.runtime(), limit, f)
    }

    /// The stream's first and last sequence now.
    pub fn ends(&self) -> Result<StreamEnds> {
        let stream = self.stream.clone();
        let info = self.run(self.options.timeout, async move { stream.get_info().await })?;
        let info = info.map_err(|e| nats_error("cannot read the stream's state", e))?;
        let ends = StreamEnds { first: info.state.first_sequence, last: info.state.last_sequence };
        self.last_seen.fetch_max(ends.last, Ordering::Relaxed);
        Ok(ends)
    }

    /// The newest stream sequence this node has heard of.
    pub fn last_seen(&self) -> u64 {
        self.last_seen.load(Ordering::Relaxed)
    }

    /// Publishes one commit, built on version `after`, to be version `after + 1`.
    pub fn append(&self, after: u64, record: Vec<u8>) -> Result<Appended> {
        let id = format!("{}-{}-{}", self.options.node, std::process::id(), self.sent.fetch_add(1, Ordering::Relaxed));
        let (js, stream, subject) = (self.js.clone(), self.stream.clone(), self.subject.clone());
        let timeout = self.options.timeout;
        let payload = Bytes::from(record);
        let outcome = self.run(timeout + Duration::from_secs(5), async move {
            let deadline = Instant::now() + timeout;
            let mut last_error = String::new();
            while Instant::now() < deadline {
                let publish = jetstream::message::PublishMessage::build()
                    .payload(payload.clone())
                    .message_id(&id)
                    .expected_last_sequence(after);
                let sent = match js.send_publish(subject.clone(), publish).await {
                    Ok(ack) => ack.await,
                    Err(e) => Err(e),
                };
                match sent {
                    Ok(ack) => return Ok(Appended::Stored(ack.sequence)),
                    Err(e) if e.kind() == jetstream::context::PublishErrorKind::WrongLastSequence => {
                        // Either another commit took the place, or an earlier try of this
                        // one did and its answer was lost: the message there says which.
                        return match stream.get_raw_message(after + 1).await {
                            Ok(m) if m.headers.get("Nats-Msg-Id").is_some_and(|v| v.as_str() == id) => {
                                Ok(Appended::Stored(after + 1))
                            }
                            _ => {
                                let last = stream.get_info().await.map_or(after + 1, |i| i.state.last_sequence);
                                Ok(Appended::Stale(last))
                            }
                        };
                    }
                    Err(e) => {
                        last_error = e.to_string();
                        tokio::time::sleep(Duration::from_millis(100)).await;
                    }
                }
            }
            Err(ErrorKind::Io(format!(
                "cluster: the commit's outcome is unknown: JetStream did not answer within {timeout:?} ({last_error}); \
                 it is applied if it was stored"
            ))
            .into())
        })?;
        let outcome: Result<Appended> = outcome;
        if let Ok(Appended::Stored(v) | Appended::Stale(v)) = &outcome {
            self.last_seen.fetch_max(*v, Ordering::Relaxed);
        }
        outcome
    }

    /// Delivers every message from sequence `from` on, in order, to `deliver` (which
    /// waits when the applier is behind) until `deliver` returns false or the cluster is
    /// dropped. A broken consumer is made again from where it stopped.
    pub fn follow(&self, from: u64, deliver: tokio::sync::mpsc::Sender<(u64, Bytes)>) {
        let stream = self.stream.clone();
        self.runtime().spawn(async move {
            let mut next = from.max(1);
            loop {
                let consumer = stream
                    .create_consumer(consumer::pull::OrderedConfig {
                        deliver_policy: consumer::DeliverPolicy::ByStartSequence { start_sequence: next },
                        ..Default::default()
                    })
                    .await;
                let mut messages = match consumer {
                    Ok(c) => match c.messages().await {
                        Ok(m) => m,
                        Err(_) => {
                            tokio::time::sleep(Duration::from_millis(200)).await;
                            continue;
                        }
                    },
                    Err(_) => {
                        tokio::time::sleep(Duration::from_millis(200)).await;
                        continue;
                    }
                };
                // A consumer on a server that died goes quiet rather than failing: when
                // nothing arrives for a while though the stream has more, it is made again.
                loop {
                    let message = match tokio::time::timeout(STALL, messages.next()).await {
                        Ok(Some(Ok(m))) => m,
                        Ok(Some(Err(_)) | None) => break,
                        Err(_) => match stream.get_info().await {
                            Ok(info) if info.state.last_sequence >= next => break,
                            _ => continue,
                        },
                    };
                    let Ok(seq) = message.info().map(|i| i.stream_sequence) else { continue };
                    if seq < next {
                        continue;
                    }
                    if deliver.send((seq, message.payload.clone())).await.is_err() {
                        return;
                    }
                    next = seq + 1;
                }
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
        });
    }

    /// Every `every`: tells the other nodes this node's applied version (from
    /// `applied`, which says None once the database is gone), and listens to theirs.
    pub fn heartbeat(self: &Arc<Self>, every: Duration, applied: impl Fn() -> Option<u64> + Send + 'static) {
        let subject = format!("amber.{}.nodes", self.options.name);
        let (client, node) = (self.client.clone(), self.options.node.clone());
        let me = Arc::downgrade(self);
        let listen = (self.client.clone(), subject.clone(), me.clone());
        self.runtime().spawn(async move {
            let (client, subject, me) = listen;
            let Ok(mut beats) = client.subscribe(subject).await else { return };
            while let Some(beat) = beats.next().await {
                let Ok(v) = serde_json::from_slice::<serde_json::Value>(&beat.payload) else { continue };
                let Some(name) = v["node"].as_str() else { continue };
                let peer = Peer {
                    node: name.to_string(),
                    applied: v["applied"].as_u64().unwrap_or(0),
                    at: v["at"].as_i64().unwrap_or(0),
                };
                let Some(cluster) = me.upgrade() else { return };
                cluster.last_seen.fetch_max(peer.applied, Ordering::Relaxed);
                cluster.peers.lock().unwrap_or_else(std::sync::PoisonError::into_inner).insert(peer.node.clone(), peer);
            }
        });
        let stream = self.stream.clone();
        self.runtime().spawn(async move {
            loop {
                let Some(version) = applied() else { return };
                let beat = serde_json::json!({ "node": node, "applied": version, "at": now_micros() }).to_string();
                let _ = client.publish(subject.clone(), Bytes::from(beat)).await;
                if let Ok(info) = stream.get_info().await {
                    match me.upgrade() {
                        Some(cluster) => cluster.last_seen.fetch_max(info.state.last_sequence, Ordering::Relaxed),
                        None => return,
                    };
                }
                tokio::time::sleep(every).await;
            }
        });
    }

    /// The nodes as their last heartbeats described them.
    pub fn peers(&self) -> Vec<Peer> {
        let peers = self.peers.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        peers.values().cloned().collect()
    }

    /// The newest published checkpoint's version, if there is one.
    pub fn published_version(&self) -> Result<Option<u64>> {
        let store = self.checkpoints.clone();
        let info = self.run(self.options.timeout, async move { store.info(CHECKPOINT).await })?;
        Ok(info.ok().and_then(|i| i.description.and_then(|d| d.parse().ok())))
    }

    /// Reads the newest published checkpoint.
    pub fn fetch_checkpoint(&self) -> Result<Option<Published>> {
        let store = self.checkpoints.clone();
        let got = self.run(Duration::from_secs(600), async move {
            // A NATS server that has just come back may answer slowly or not at all for
            // a while: a read that fails is tried again, for about half a minute.
            let mut attempt = 0;
            loop {
                attempt += 1;
                let failed = match store.get(CHECKPOINT).await {
                    Ok(mut object) => {
                        let version = object.info().description.as_deref().and_then(|d| d.parse().ok());
                        let mut bytes = Vec::new();
                        match object.read_to_end(&mut bytes).await {
                            Ok(_) => return Ok::<_, Error>(version.map(|version| Published { version, bytes })),
                            Err(e) => nats_error("cannot read the published checkpoint", e),
                        }
                    }
                    Err(e) if e.kind() == object_store::GetErrorKind::NotFound => return Ok(None),
                    Err(e) => nats_error("cannot read the published checkpoint", e),
                };
                if attempt >= 15 {
                    return Err(failed);
                }
                tokio::time::sleep(Duration::from_secs(2)).await;
            }
        })??;
        if let Some(p) = &got {
            self.checkpointed.fetch_max(p.version, Ordering::Relaxed);
        }
        Ok(got)
    }

    /// Whether version `v` is one to publish a checkpoint of.
    pub fn checkpoint_due(&self, v: u64) -> bool {
        let every = self.options.checkpoint_every;
        every > 0 && v.is_multiple_of(every) && self.checkpointed.load(Ordering::Relaxed) < v
    }

    /// Publishes a checkpoint (made by `encode`, off the caller's thread) unless a newer
    /// one is there, then removes the stream's messages more than `keep` versions
    /// before it.
    pub fn publish_checkpoint(
        &self,
        version: u64,
        encode: impl FnOnce() -> std::result::Result<Vec<u8>, String> + Send + 'static,
    ) {
        if self.checkpointed.fetch_max(version, Ordering::Relaxed) >= version {
            return;
        }
        let (store, stream) = (self.checkpoints.clone(), self.stream.clone());
        // The stream keeps `keep` versions before the checkpoint, and everything a node
        // heard from in the last minute has yet to apply (so that it need not start over).
        let recent = now_micros() - 60_000_000;
        let slowest = self.peers().iter().filter(|p| p.at > recent).map(|p| p.applied).min().unwrap_or(version);
        let keep_from = version.saturating_sub(self.options.keep).min(slowest + 1);
        let keep = self.options.keep;
        self.runtime().spawn(async move {
            let current = store.info(CHECKPOINT).await.ok().and_then(|i| i.description.and_then(|d| d.parse().ok()));
            if current.is_some_and(|c: u64| c >= version) {
                return;
            }
            let Ok(Ok(bytes)) = tokio::task::spawn_blocking(encode).await else { return };
            let meta = object_store::ObjectMetadata {
                name: CHECKPOINT.to_string(),
                description: Some(version.to_string()),
                ..Default::default()
            };
            if store.put(meta, &mut bytes.as_slice()).await.is_ok() && keep > 0 && keep_from > 1 {
                let _ = stream.purge().sequence(keep_from).await;
            }
        });
    }
}

/// The cluster's own runtime. Dropping a runtime waits for its tasks, which is refused
/// inside another runtime (a server's, or a caller's): it is let go in the background
/// instead, whether the cluster was made or its making failed half-way.
struct Background(Option<tokio::runtime::Runtime>);

impl Background {
    fn get(&self) -> &tokio::runtime::Runtime {
        self.0.as_ref().expect("the runtime lives until it is dropped")
    }
}

impl Drop for Background {
    fn drop(&mut self) {
        if let Some(runtime) = self.0.take() {
            runtime.shutdown_background();
        }
    }
}

/// Opens the cluster's stream, creating it with `replicas` (or 1 when NATS is one
/// server and refuses more).
async fn open_stream(js: &jetstream::Context, name: &str, replicas: usize) -> Result<(stream::Stream, usize)> {
    let stream_name = format!("AMBER_{name}");
    if let Ok(stream) = js.get_stream(&stream_name).await {
        let replicas = stream.cached_info().config.num_replicas.max(1);
        return Ok((stream, replicas));
    }
    let config = |replicas: usize| stream::Config {
        name: stream_name.clone(),
        subjects: vec![format!("amber.{name}.log")],
        num_replicas: replicas,
        storage: stream::StorageType::File,
        duplicate_window: Duration::from_secs(120),
        ..Default::default()
    };
    match js.create_stream(config(replicas)).await {
        Ok(stream) => Ok((stream, replicas)),
        // A NATS server that is not clustered takes one replica only.
        Err(first) if replicas > 1 && first.to_string().contains("non-clustered") => {
            match js.create_stream(config(1)).await {
                Ok(stream) => Ok((stream, 1)),
                Err(_) => Err(nats_error("cannot create the stream", first)),
            }
        }
        Err(e) => Err(nats_error("cannot create the stream", e)),
    }
}

/// Runs `f` on `runtime` and waits up to `limit` for it.
fn run_on<T: Send + 'static>(
    runtime: &tokio::runtime::Runtime,
    limit: Duration,
    f: impl Future<Output = T> + Send + 'static,
) -> Result<T> {
    let (tx, rx) = std::sync::mpsc::channel();
    runtime.spawn(async move {
        let _ = tx.send(f.await);
    });
    rx.recv_timeout(limit).map_err(|_| ErrorKind::Io(format!("cluster: NATS did not answer within {limit:?}")).into())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_failed_connection_inside_a_runtime_is_an_error_not_a_panic() {
        let outer = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
        let e = outer.block_on(async { Cluster::connect(ClusterOptions::new("nats://127.0.0.1:1", "shop")).err() });
        assert!(e.is_some_and(|e| e.to_string().contains("cannot reach NATS")));
    }

    #[test]
    fn bad_names_and_servers_are_refused_before_connecting() {
        let e = Cluster::connect(ClusterOptions::new("nats://127.0.0.1:1", "a b")).err().map(|e| e.to_string());
        assert!(e.is_some_and(|e| e.contains("letters, digits")));
        let e = Cluster::connect(ClusterOptions::new("::not a url::", "shop")).err().map(|e| e.to_string());
        assert!(e.is_some_and(|e| e.contains("cluster servers")), "servers");
    }
}
