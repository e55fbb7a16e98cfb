//! A database as one node of a cluster: its commits go through the cluster's JetStream
//! stream (`durability::cluster`), and every node applies that stream in order, so all
//! hold the same versions.
//!
//! - Joining loads the newest published checkpoint when it is ahead of this node's own
//!   state, then applies the stream from there until it has caught up.
//! - A commit is published with the version it was built on as the expected last
//!   sequence (see [`Database::publish`]); once stored it is this node's head at once,
//!   and the applier skips it when the stream delivers it back.
//! - The applier (a thread) applies the other nodes' commits under the commit lock, as
//!   recovery replays a log, and appends them to the node's own log when it has a data
//!   directory.
//! - Every `checkpoint_every` versions a node publishes a checkpoint, so that a new node
//!   starts from it and the stream can let go of what is older.

use std::sync::{Arc, Mutex, OnceLock, PoisonError};
use std::time::{Duration, Instant};

use super::database::{Database, Head};
use crate::durability::cluster::{Appended, Cluster, ClusterOptions, Peer};
use crate::durability::{checkpoint, wal};
use crate::error::{Error, ErrorKind, Result};
use crate::storage::{Joined, Logged, State};

/// A database's link to its cluster, if it joined one.
#[derive(Default)]
pub(crate) struct Link {
    cluster: OnceLock<Arc<Cluster>>,
    /// Why the applier stopped, if it did: the node then takes no more writes.
    broken: Mutex<Option<String>>,
}

/// What [`Database::join_cluster`] found and did.
#[derive(Clone, Debug, PartialEq)]
pub struct ClusterJoin {
    /// The version the node started from (its own, or a published checkpoint's).
    pub started_at: u64,
    /// Whether that was a published checkpoint.
    pub from_checkpoint: bool,
    /// The version it caught up to before returning.
    pub caught_up: u64,
    /// The stream's replicas.
    pub replicas: usize,
}

/// How many times a statement or COMMIT refused because another node committed first
/// (and this node had not applied it yet) is tried again on the newer head.
pub(crate) const CLUSTER_RETRIES: usize = 50;

/// How often a node records its applied version for `amber_cluster()`.
const HEARTBEAT: Duration = Duration::from_millis(500);

impl Database {
    /// Joins the cluster `options` names: after this, commits go through its stream and
    /// the other nodes' commits are applied here in order. Returns once the node has
    /// caught up with what the stream held when it joined.
    pub fn join_cluster(&self, options: ClusterOptions) -> Result<ClusterJoin> {
        if self.cluster().is_some() {
            return Err(Error::invalid("this database is in a cluster already"));
        }
        if let Some(why) = self.read_only_reason() {
            return Err(ErrorKind::ReadOnly(why.to_string()).into());
        }
        let cluster = Arc::new(Cluster::connect(options)?);
        let ends = cluster.ends()?;
        let mut version = self.head_version();
        if version > ends.last {
            return Err(Error::invalid(format!(
                "this node's data is at version {version}, but cluster {}'s stream ends at version {}: a node with \
                 data of its own cannot start or join a cluster behind it (start it with an empty data directory)",
                cluster.options().name,
                ends.last
            )));
        }
        let mut from_checkpoint = false;
        if ends.last > version && cluster.published_version()?.is_some_and(|v| v > version) {
            if let Some(published) = cluster.fetch_checkpoint()? {
                let (v, state) = checkpoint::decode(&published.bytes)
                    .map_err(|e| ErrorKind::Io(format!("cluster: the published checkpoint does not read back: {e}")))?;
                self.replace_head(v, state)?;
                version = v;
                from_checkpoint = true;
            }
        }
        if version + 1 < ends.first {
            return Err(ErrorKind::Io(format!(
                "cluster {}: the stream begins at version {} and no published checkpoint reaches it (this node is at \
                 {version}); publish one from a node that is up to date",
                cluster.options().name,
                ends.first
            ))
            .into());
        }
        let replicas = cluster.replicas();
        self.link()
            .cluster
            .set(cluster.clone())
            .map_err(|_| Error::invalid("this database is in a cluster already"))?;
        self.start_applier(&cluster, version + 1);
        let db = self.downgrade();
        cluster.heartbeat(HEARTBEAT, move || db().map(|db| db.head_version()));
        self.wait_applied(ends.last, None)?;
        Ok(ClusterJoin { started_at: version, from_checkpoint, caught_up: self.head_version(), replicas })
    }

    fn link(&self) -> &Link {
        &self.inner.cluster
    }

    fn read_only_reason(&self) -> Option<&str> {
        self.inner.read_only.as_deref()
    }

    /// A handle that does not keep the database open (for the node's own threads).
    fn downgrade(&self) -> impl Fn() -> Option<Database> + Send + Sync + 'static {
        let weak = Arc::downgrade(&self.inner);
        move || weak.upgrade().map(|inner| Database { inner })
    }

    /// Makes `state` at `version` the head, forgetting the versions kept before it (a
    /// node starting from a published checkpoint); a data directory checkpoints it at once
    /// so that its log goes on from there.
    fn replace_head(&self, version: u64, mut state: State) -> Result<()> {
        state.seal_messages();
        {
            let mut guard = self.lock_commits();
            *guard = Head { state: state.clone(), version };
            self.inner.history.lock().unwrap_or_else(PoisonError::into_inner).clear();
            self.set_head(version, state);
        }
        if let Some(log) = &self.inner.log {
            log.jump_to(version);
            self.checkpoint()?;
        }
        Ok(())
    }

    /// Whether `e` refused a commit only because this node was behind its cluster, so
    /// that running it again on the newer head may succeed.
    pub(crate) fn retry_in_cluster(&self, e: &Error) -> bool {
        self.cluster().is_some() && matches!(e.kind(), ErrorKind::Conflict(_))
    }

    pub(crate) fn cluster(&self) -> Option<&Arc<Cluster>> {
        self.link().cluster.get()
    }

    /// Waits until this node has applied `version` (for at most `limit`); an error when
    /// the applier has stopped or the time is up.
    pub(crate) fn wait_applied(&self, version: u64, limit: Option<Duration>) -> Result<()> {
        let started = Instant::now();
        let mut pause = Duration::from_micros(50);
        while self.head_version() < version {
            if let Some(why) = self.cluster_broken() {
                return Err(ErrorKind::Io(why).into());
            }
            if limit.is_some_and(|l| started.elapsed() >= l) {
                return Err(ErrorKind::NoSuchVersion(format!(
                    "version {version} is not applied on this node yet (it is at {}); try again",
                    self.head_version()
                ))
                .into());
            }
            std::thread::sleep(pause);
            pause = (pause * 2).min(Duration::from_millis(5));
        }
        Ok(())
    }

    fn cluster_broken(&self) -> Option<String> {
        self.link().broken.lock().unwrap_or_else(PoisonError::into_inner).clone()
    }

    /// Sends a commit built on `after` to the stream, to be version `after + 1`. A
    /// refusal because another node's commit took the place is a conflict, returned once
    /// this node has applied that commit (so that trying again can succeed).
    pub(crate) fn send_to_cluster<'g>(
        &self,
        cluster: &Cluster,
        guard: std::sync::MutexGuard<'g, Head>,
        logged: Logged<'_>,
    ) -> Result<std::sync::MutexGuard<'g, Head>> {
        if let Some(why) = self.cluster_broken() {
            return Err(ErrorKind::Io(why).into());
        }
        let after = guard.version;
        let record = wal::encode(after + 1, logged).map_err(ErrorKind::Io)?;
        match cluster.append(after, record)? {
            Appended::Stored(v) if v == after + 1 => Ok(guard),
            Appended::Stored(v) => Err(ErrorKind::Io(format!(
                "cluster: the stream stored the commit as version {v}, not {}; this node stops taking writes",
                after + 1
            ))
            .into()),
            Appended::Stale(last) => {
                drop(guard);
                self.count_conflict();
                let _ = self.wait_applied(last, Some(Duration::from_secs(5)));
                Err(ErrorKind::Conflict(format!(
                    "could not serialize access: another node committed version {} first; try the transaction again",
                    after + 1
                ))
                .into())
            }
        }
    }

    /// Publishes a checkpoint of `state` when `version` is due for one.
    pub(crate) fn cluster_checkpoint(&self, cluster: &Cluster, version: u64, state: &State) {
        if cluster.checkpoint_due(version) {
            let state = state.clone();
            cluster.publish_checkpoint(version, move || checkpoint::encode(&state, version));
        }
    }

    /// Applies one message of the stream: a commit of another node (this node's own are
    /// applied already and skipped).
    fn apply_replicated(&self, seq: u64, payload: &[u8]) -> Result<()> {
        let record = wal::decode(payload).map_err(|e| ErrorKind::Io(format!("stream message {seq}: {e}")))?;
        if record.version != seq {
            return Err(ErrorKind::Io(format!("stream message {seq} holds version {}", record.version)).into());
        }
        let guard = self.lock_commits();
        if seq <= guard.version {
            return Ok(());
        }
        if seq != guard.version + 1 {
            // The stream was trimmed past this node (it fell behind a published
            // checkpoint): it starts again from that checkpoint.
            let behind = guard.version;
            drop(guard);
            let published = self.cluster().map(|c| c.fetch_checkpoint()).transpose()?.flatten();
            let reached = match published {
                Some(p) if p.version + 1 >= seq => {
                    let (v, state) = checkpoint::decode(&p.bytes)
                        .map_err(|e| ErrorKind::Io(format!("the published checkpoint does not read back: {e}")))?;
                    self.replace_head(v, state)?;
                    v
                }
                _ => behind,
            };
            if reached + 1 < seq {
                return Err(ErrorKind::Io(format!(
                    "the stream skipped from version {behind} to {seq} and no published checkpoint covers the gap"
                ))
                .into());
            }
            return if reached >= seq { Ok(()) } else { self.apply_replicated(seq, payload) };
        }
        let mut state = guard.state.applied(&record.writes)?;
        state.seal_messages();
        self.make_head(self.log(), guard, seq, &state, Joined::one(&record.writes).into())?;
        if let Some(c) = self.cluster() {
            self.cluster_checkpoint(c, seq, &state);
        }
        Ok(())
    }

    /// Applies what the stream delivers from `from` on, on a thread of its own, until
    /// the database is dropped; a message that does not apply stops it and the node's
    /// writes.
    fn start_applier(&self, cluster: &Cluster, from: u64) {
        let (tx, mut rx) = tokio::sync::mpsc::channel(4096);
        cluster.follow(from, tx);
        let database = self.downgrade();
        let spawned = std::thread::Builder::new().name("amberdb-apply".into()).spawn(move || {
            while let Some((seq, payload)) = rx.blocking_recv() {
                let Some(db) = database() else { return };
                if let Err(e) = db.apply_replicated(seq, &payload) {
                    let why = format!("cluster: this node stopped applying the stream at version {seq}: {e}");
                    *db.link().broken.lock().unwrap_or_else(PoisonError::into_inner) = Some(why);
                    return;
                }
            }
        });
        if let Err(e) = spawned {
            *self.link().broken.lock().unwrap_or_else(PoisonError::into_inner) =
                Some(format!("cluster: cannot start the applier: {e}"));
        }
    }

    /// The rows of `amber_cluster()`: each node's name, applied version, the stream's
    /// newest version, how far behind it is, and how long ago it was heard from.
    pub(crate) fn cluster_rows(&self) -> Vec<Vec<crate::storage::Value>> {
        use crate::storage::Value;
        let Some(cluster) = self.cluster() else { return Vec::new() };
        let me = &cluster.options().node;
        let last = cluster.last_seen().max(self.head_version());
        let now = crate::storage::time::now_micros();
        let mut peers = cluster.peers();
        if !peers.iter().any(|p| &p.node == me) {
            peers.push(Peer { node: me.clone(), applied: self.head_version(), at: now });
        }
        let int = |n: u64| Value::Integer(i64::try_from(n).unwrap_or(i64::MAX));
        peers
            .into_iter()
            .map(|p| {
                let (applied, at) = if &p.node == me { (self.head_version(), now) } else { (p.applied, p.at) };
                vec![
                    Value::text(&p.node),
                    Value::Boolean(&p.node == me),
                    int(applied),
                    int(last),
                    int(last.saturating_sub(applied)),
                    Value::Real((now - at).max(0) as f64 / 1e6),
                ]
            })
            .collect()
    }
}
