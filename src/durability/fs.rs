//! File access for the durability layer, behind a small trait so that tests can make any
//! write or fsync fail, or tear a write in half, at a chosen moment.
//!
//! Every operation that can lose data on a crash is one call here: `write_all` (which may
//! be torn), `sync`, `rename`, `sync_dir`, `truncate`. [`FaultyFs`] counts those calls and
//! fails the one chosen by the test.

use std::fs::{File, OpenOptions};
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, PoisonError};

/// A file the log or a checkpoint is written to.
pub trait FileHandle: Send + Sync {
    /// Appends all of `buf`. On error any prefix of it may have reached the file.
    fn write_all(&self, buf: &[u8]) -> io::Result<()>;
    /// Makes everything written so far durable (fdatasync).
    fn sync(&self) -> io::Result<()>;
}

/// The directory operations the durability layer needs.
pub trait Fs: Send + Sync {
    fn create_dir_all(&self, dir: &Path) -> io::Result<()>;
    /// The names of the files in `dir`.
    fn list(&self, dir: &Path) -> io::Result<Vec<String>>;
    fn read(&self, path: &Path) -> io::Result<Vec<u8>>;
    /// A file to read from start to end without holding it whole (a checkpoint).
    fn open_read(&self, path: &Path) -> io::Result<Box<dyn io::Read + Send>> {
        Ok(Box::new(io::Cursor::new(self.read(path)?)))
    }
    /// Opens a file for appending, creating it when missing.
    fn append(&self, path: &Path) -> io::Result<Box<dyn FileHandle>>;
    /// Creates a file, replacing one of the same name.
    fn create(&self, path: &Path) -> io::Result<Box<dyn FileHandle>>;
    fn rename(&self, from: &Path, to: &Path) -> io::Result<()>;
    fn remove(&self, path: &Path) -> io::Result<()>;
    /// Cuts a file to `len` bytes and makes that durable.
    fn truncate(&self, path: &Path, len: u64) -> io::Result<()>;
    /// Makes the directory's entries (created, renamed, removed files) durable.
    fn sync_dir(&self, dir: &Path) -> io::Result<()>;
}

/// The real file system.
#[derive(Clone, Copy, Debug, Default)]
pub struct RealFs;

struct RealFile(File);

impl FileHandle for RealFile {
    fn write_all(&self, buf: &[u8]) -> io::Result<()> {
        (&self.0).write_all(buf)
    }

    fn sync(&self) -> io::Result<()> {
        self.0.sync_data()
    }
}

impl Fs for RealFs {
    fn create_dir_all(&self, dir: &Path) -> io::Result<()> {
        std::fs::create_dir_all(dir)
    }

    fn list(&self, dir: &Path) -> io::Result<Vec<String>> {
        let mut names = Vec::new();
        for entry in std::fs::read_dir(dir)? {
            let entry = entry?;
            if entry.file_type()?.is_file() {
                names.push(entry.file_name().to_string_lossy().into_owned());
            }
        }
        names.sort();
        Ok(names)
    }

    fn read(&self, path: &Path) -> io::Result<Vec<u8>> {
        std::fs::read(path)
    }

    fn open_read(&self, path: &Path) -> io::Result<Box<dyn io::Read + Send>> {
        Ok(Box::new(io::BufReader::with_capacity(1 << 20, File::open(path)?)))
    }

    fn append(&self, path: &Path) -> io::Result<Box<dyn FileHandle>> {
        Ok(Box::new(RealFile(OpenOptions::new().create(true).append(true).open(path)?)))
    }

    fn create(&self, path: &Path) -> io::Result<Box<dyn FileHandle>> {
        Ok(Box::new(RealFile(File::create(path)?)))
    }

    fn rename(&self, from: &Path, to: &Path) -> io::Result<()> {
        std::fs::rename(from, to)
    }

    fn remove(&self, path: &Path) -> io::Result<()> {
        std::fs::remove_file(path)
    }

    fn truncate(&self, path: &Path, len: u64) -> io::Result<()> {
        let f = OpenOptions::new().write(true).open(path)?;
        f.set_len(len)?;
        f.sync_all()
    }

    fn sync_dir(&self, dir: &Path) -> io::Result<()> {
        File::open(dir)?.sync_all()
    }
}

/// What a [`FaultyFs`] does at its chosen operation.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Fault {
    /// The operation fails and does nothing.
    Fail,
    /// A write puts the first half of its bytes in the file, then fails; other
    /// operations fail.
    Tear,
}

/// A file system that passes everything to [`RealFs`] except one chosen operation, which
/// fails. Operations are counted from 0 across the whole file system: each `write_all`,
/// `sync`, `rename`, `remove`, `truncate` and `sync_dir`.
#[derive(Clone)]
pub struct FaultyFs {
    inner: Arc<FaultState>,
}

struct FaultState {
    count: AtomicUsize,
    plan: Mutex<Option<(usize, Fault)>>,
    /// What each counted operation was, for test messages.
    log: Mutex<Vec<String>>,
}

impl Default for FaultyFs {
    fn default() -> Self {
        FaultyFs::new()
    }
}

impl FaultyFs {
    /// A file system that does not fail until told to.
    pub fn new() -> FaultyFs {
        FaultyFs {
            inner: Arc::new(FaultState {
                count: AtomicUsize::new(0),
                plan: Mutex::new(None),
                log: Mutex::new(Vec::new()),
            }),
        }
    }

    /// Makes operation number `at` (counted from now) fail in the way given.
    pub fn fail_at(&self, at: usize, fault: Fault) {
        self.inner.count.store(0, Ordering::SeqCst);
        self.inner.log.lock().unwrap_or_else(PoisonError::into_inner).clear();
        *self.inner.plan.lock().unwrap_or_else(PoisonError::into_inner) = Some((at, fault));
    }

    /// How many operations have been counted since the last `fail_at` (or creation).
    pub fn operations(&self) -> usize {
        self.inner.count.load(Ordering::SeqCst)
    }

    /// The operations counted so far, by name and file.
    pub fn history(&self) -> Vec<String> {
        self.inner.log.lock().unwrap_or_else(PoisonError::into_inner).clone()
    }

    /// Counts one operation; the fault to inject if it is the chosen one.
    fn step(&self, what: &str, path: &Path) -> Option<Fault> {
        let n = self.inner.count.fetch_add(1, Ordering::SeqCst);
        let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
        self.inner.log.lock().unwrap_or_else(PoisonError::into_inner).push(format!("{what} {name}"));
        match *self.inner.plan.lock().unwrap_or_else(PoisonError::into_inner) {
            Some((at, fault)) if at == n => Some(fault),
            _ => None,
        }
    }
}

fn injected() -> io::Error {
    io::Error::other("injected failure")
}

struct FaultyFile {
    fs: FaultyFs,
    path: PathBuf,
    file: Box<dyn FileHandle>,
}

impl FileHandle for FaultyFile {
    fn write_all(&self, buf: &[u8]) -> io::Result<()> {
        match self.fs.step("write", &self.path) {
            None => self.file.write_all(buf),
            Some(Fault::Fail) => Err(injected()),
            Some(Fault::Tear) => {
                self.file.write_all(&buf[..buf.len() / 2])?;
                Err(injected())
            }
        }
    }

    fn sync(&self) -> io::Result<()> {
        match self.fs.step("sync", &self.path) {
            None => self.file.sync(),
            Some(_) => Err(injected()),
        }
    }
}

impl FaultyFs {
    fn wrap(&self, path: &Path, file: Box<dyn FileHandle>) -> Box<dyn FileHandle> {
        Box::new(FaultyFile { fs: self.clone(), path: path.to_path_buf(), file })
    }

    fn guard(&self, what: &str, path: &Path) -> io::Result<()> {
        match self.step(what, path) {
            None => Ok(()),
            Some(_) => Err(injected()),
        }
    }
}

impl Fs for FaultyFs {
    fn create_dir_all(&self, dir: &Path) -> io::Result<()> {
        RealFs.create_dir_all(dir)
    }

    fn list(&self, dir: &Path) -> io::Result<Vec<String>> {
        RealFs.list(dir)
    }

    fn read(&self, path: &Path) -> io::Result<Vec<u8>> {
        RealFs.read(path)
    }

    fn append(&self, path: &Path) -> io::Result<Box<dyn FileHandle>> {
        Ok(self.wrap(path, RealFs.append(path)?))
    }

    fn create(&self, path: &Path) -> io::Result<Box<dyn FileHandle>> {
        Ok(self.wrap(path, RealFs.create(path)?))
    }

    fn rename(&self, from: &Path, to: &Path) -> io::Result<()> {
        self.guard("rename", to)?;
        RealFs.rename(from, to)
    }

    fn remove(&self, path: &Path) -> io::Result<()> {
        self.guard("remove", path)?;
        RealFs.remove(path)
    }

    fn truncate(&self, path: &Path, len: u64) -> io::Result<()> {
        self.guard("truncate", path)?;
        RealFs.truncate(path, len)
    }

    fn sync_dir(&self, dir: &Path) -> io::Result<()> {
        self.guard("sync_dir", dir)?;
        RealFs.sync_dir(dir)
    }
}
