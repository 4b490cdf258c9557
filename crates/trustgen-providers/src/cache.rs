//! The response cache: content-addressed replies in SQLite, shared across runs.
//!
//! One table, `replies(key, provider, model, reply, created)`, in WAL mode with `synchronous=NORMAL`
//! (a crash can lose the last few writes, never corrupt the file). Writes do not block callers: they
//! go over a channel to a writer thread that commits them in small batches (one transaction per up to
//! [`BATCH`] replies). Until a write is committed the reply is served from an in-memory map, so a
//! `get` right after a `put` always hits. Reads use a few read-only connections of their own.
//!
//! Only replies with status `ok` or `content_filtered` belong here; [`crate::Clients`] never stores
//! errors. API keys are not part of keys or replies, so the file holds no secret.

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc;
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use rusqlite::{Connection, OpenFlags, OptionalExtension, params};
use trustgen_plugin_api::ModelReply;

use crate::error::CacheError;

/// Replies committed per transaction at most.
pub const BATCH: usize = 256;
/// Read-only connections.
const READERS: usize = 4;
/// The cache file name inside the cache directory.
pub const FILE_NAME: &str = "cache.sqlite";

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS replies (
    key      TEXT PRIMARY KEY NOT NULL,
    provider TEXT NOT NULL,
    model    TEXT NOT NULL,
    reply    TEXT NOT NULL,
    created  INTEGER NOT NULL
);
";

/// Where the cache lives by default: `$TRUSTGEN_CACHE_DIR`, else the platform cache directory of
/// trustgen (`~/.cache/trustgen` on Linux), else `trustgen` in the temporary directory.
pub fn default_cache_dir() -> PathBuf {
    if let Some(dir) = std::env::var_os("TRUSTGEN_CACHE_DIR").filter(|d| !d.is_empty()) {
        return PathBuf::from(dir);
    }
    directories::ProjectDirs::from("", "", "trustgen")
        .map_or_else(|| std::env::temp_dir().join("trustgen"), |dirs| dirs.cache_dir().to_path_buf())
}

/// What is in the cache.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct CacheStats {
    /// The database file.
    pub path: PathBuf,
    /// Cached replies.
    pub entries: u64,
    /// Bytes of reply JSON.
    pub bytes: u64,
    /// Size of the database file and its WAL on disk.
    pub file_bytes: u64,
    /// Entries per (provider, model).
    pub per_model: BTreeMap<(String, String), u64>,
    /// When the oldest entry was written.
    pub oldest: Option<SystemTime>,
    /// When the newest entry was written.
    pub newest: Option<SystemTime>,
}

enum Msg {
    Put { key: String, provider: String, model: String, reply: String, created: i64 },
    Flush(mpsc::Sender<()>),
    Clear(mpsc::Sender<Result<u64, rusqlite::Error>>),
}

struct Inner {
    path: PathBuf,
    tx: Mutex<Option<mpsc::Sender<Msg>>>,
    writer: Mutex<Option<JoinHandle<()>>>,
    readers: Vec<Mutex<Connection>>,
    next_reader: AtomicUsize,
    /// Replies sent to the writer and not yet committed, so reads see them.
    pending: Arc<Mutex<HashMap<String, String>>>,
}

/// The shared response cache. Cheap to clone (all clones use the same file, connections and writer).
#[derive(Clone)]
pub struct Cache {
    inner: Arc<Inner>,
}

impl std::fmt::Debug for Cache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Cache").field("path", &self.inner.path).finish_non_exhaustive()
    }
}

impl Cache {
    /// Opens (creating if needed) the cache database at `path`.
    pub fn open(path: &Path) -> Result<Cache, CacheError> {
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).map_err(|source| CacheError::Io {
                path: dir.to_path_buf(),
                action: "cannot create the directory",
                source,
            })?;
        }
        let sql = |action: &'static str| {
            let path = path.to_path_buf();
            move |source| CacheError::Sql { path, action, source }
        };
        let writer = Connection::open(path).map_err(sql("cannot open"))?;
        writer.busy_timeout(Duration::from_secs(10)).map_err(sql("cannot configure"))?;
        writer
            .execute_batch("PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;")
            .map_err(sql("cannot switch to WAL mode"))?;
        writer.execute_batch(SCHEMA).map_err(sql("cannot create the schema"))?;

        let mut readers = Vec::with_capacity(READERS);
        for _ in 0..READERS {
            let reader = Connection::open_with_flags(
                path,
                OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX | OpenFlags::SQLITE_OPEN_URI,
            )
            .map_err(sql("cannot open for reading"))?;
            reader.busy_timeout(Duration::from_secs(10)).map_err(sql("cannot configure"))?;
            readers.push(Mutex::new(reader));
        }

        let pending = Arc::new(Mutex::new(HashMap::new()));
        let (tx, rx) = mpsc::channel();
        let thread_pending = Arc::clone(&pending);
        let thread_path = path.to_path_buf();
        let writer = std::thread::Builder::new()
            .name("trustgen-cache-writer".to_owned())
            .spawn(move || write_loop(writer, &rx, &thread_pending, &thread_path))
            .map_err(|source| CacheError::Io {
                path: path.to_path_buf(),
                action: "cannot start the writer thread",
                source,
            })?;

        Ok(Cache {
            inner: Arc::new(Inner {
                path: path.to_path_buf(),
                tx: Mutex::new(Some(tx)),
                writer: Mutex::new(Some(writer)),
                readers,
                next_reader: AtomicUsize::new(0),
                pending,
            }),
        })
    }

    /// Opens `cache.sqlite` in [`default_cache_dir`].
    pub fn open_default() -> Result<Cache, CacheError> {
        Cache::open(&default_cache_dir().join(FILE_NAME))
    }

    /// The database file.
    pub fn path(&self) -> &Path {
        &self.inner.path
    }

    /// The cached reply for `key`, if any. An unreadable entry counts as a miss (and is logged).
    pub fn get(&self, key: &str) -> Option<ModelReply> {
        let pending = self.inner.pending.lock().unwrap_or_else(|p| p.into_inner()).get(key).cloned();
        let json = match pending {
            Some(json) => json,
            None => {
                let slot = self.inner.next_reader.fetch_add(1, Ordering::Relaxed) % self.inner.readers.len();
                let reader = self.inner.readers[slot].lock().unwrap_or_else(|p| p.into_inner());
                let found = reader
                    .prepare_cached("SELECT reply FROM replies WHERE key = ?1")
                    .and_then(|mut stmt| stmt.query_row([key], |row| row.get::<_, String>(0)).optional());
                match found {
                    Ok(json) => json?,
                    Err(e) => {
                        tracing::warn!(path = %self.inner.path.display(), "cache read failed: {e}");
                        return None;
                    }
                }
            }
        };
        match serde_json::from_str(&json) {
            Ok(reply) => Some(reply),
            Err(e) => {
                tracing::warn!(path = %self.inner.path.display(), key, "unreadable cache entry ignored: {e}");
                None
            }
        }
    }

    /// Stores `reply` under `key` (asynchronously; [`Cache::flush`] waits for it). `provider` and
    /// `model` are kept for [`Cache::stats`].
    pub fn put(&self, key: &str, provider: &str, model: &str, reply: &ModelReply) {
        let Ok(json) = serde_json::to_string(reply) else { return };
        let created = SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs() as i64);
        self.inner.pending.lock().unwrap_or_else(|p| p.into_inner()).insert(key.to_owned(), json.clone());
        let msg = Msg::Put {
            key: key.to_owned(),
            provider: provider.to_owned(),
            model: model.to_owned(),
            reply: json,
            created,
        };
        if !self.send(msg) {
            tracing::warn!(path = %self.inner.path.display(), "cache writer stopped; reply kept in memory only");
        }
    }

    /// Waits until every `put` so far is committed.
    pub fn flush(&self) -> Result<(), CacheError> {
        let (tx, rx) = mpsc::channel();
        if !self.send(Msg::Flush(tx)) || rx.recv().is_err() {
            return Err(CacheError::WriterGone { path: self.inner.path.clone() });
        }
        Ok(())
    }

    /// Deletes every entry and returns how many there were (the file is then compacted).
    pub fn clear(&self) -> Result<u64, CacheError> {
        let (tx, rx) = mpsc::channel();
        if !self.send(Msg::Clear(tx)) {
            return Err(CacheError::WriterGone { path: self.inner.path.clone() });
        }
        match rx.recv() {
            Ok(Ok(n)) => Ok(n),
            Ok(Err(source)) => Err(CacheError::Sql { path: self.inner.path.clone(), action: "cannot clear", source }),
            Err(_) => Err(CacheError::WriterGone { path: self.inner.path.clone() }),
        }
    }

    /// Counts, sizes and ages of the entries (after committing pending writes).
    pub fn stats(&self) -> Result<CacheStats, CacheError> {
        self.flush()?;
        let sql = |action: &'static str| {
            let path = self.inner.path.clone();
            move |source| CacheError::Sql { path, action, source }
        };
        let reader = self.inner.readers[0].lock().unwrap_or_else(|p| p.into_inner());
        let (entries, bytes, oldest, newest) = reader
            .query_row(
                "SELECT COUNT(*), COALESCE(SUM(LENGTH(CAST(reply AS BLOB))), 0), MIN(created), MAX(created) FROM replies",
                [],
                |row| Ok((row.get::<_, i64>(0)?, row.get::<_, i64>(1)?, row.get::<_, Option<i64>>(2)?, row.get::<_, Option<i64>>(3)?)),
            )
            .map_err(sql("cannot count entries"))?;
        let mut per_model = BTreeMap::new();
        let mut stmt = reader
            .prepare("SELECT provider, model, COUNT(*) FROM replies GROUP BY provider, model")
            .map_err(sql("cannot count entries"))?;
        let rows = stmt
            .query_map([], |row| Ok(((row.get::<_, String>(0)?, row.get::<_, String>(1)?), row.get::<_, i64>(2)?)))
            .map_err(sql("cannot count entries"))?;
        for row in rows {
            let (model, n) = row.map_err(sql("cannot count entries"))?;
            per_model.insert(model, n as u64);
        }
        let time = |secs: Option<i64>| secs.map(|s| UNIX_EPOCH + Duration::from_secs(s.max(0) as u64));
        let file_bytes = ["", "-wal"]
            .iter()
            .filter_map(|suffix| {
                let mut name = self.inner.path.as_os_str().to_owned();
                name.push(suffix);
                std::fs::metadata(PathBuf::from(name)).ok()
            })
            .map(|m| m.len())
            .sum();
        Ok(CacheStats {
            path: self.inner.path.clone(),
            entries: entries as u64,
            bytes: bytes as u64,
            file_bytes,
            per_model,
            oldest: time(oldest),
            newest: time(newest),
        })
    }

    fn send(&self, msg: Msg) -> bool {
        let tx = self.inner.tx.lock().unwrap_or_else(|p| p.into_inner());
        tx.as_ref().is_some_and(|tx| tx.send(msg).is_ok())
    }
}

impl Drop for Inner {
    fn drop(&mut self) {
        // Closing the channel lets the writer commit what is queued and exit.
        self.tx.lock().unwrap_or_else(|p| p.into_inner()).take();
        if let Some(handle) = self.writer.lock().unwrap_or_else(|p| p.into_inner()).take() {
            let _ = handle.join();
        }
    }
}

fn write_loop(mut conn: Connection, rx: &mpsc::Receiver<Msg>, pending: &Mutex<HashMap<String, String>>, path: &Path) {
    while let Ok(first) = rx.recv() {
        let mut batch = vec![first];
        while batch.len() < BATCH {
            match rx.try_recv() {
                Ok(msg) => batch.push(msg),
                Err(_) => break,
            }
        }
        let mut puts = Vec::new();
        let mut flushes = Vec::new();
        for msg in batch {
            match msg {
                Msg::Put { key, provider, model, reply, created } => puts.push((key, provider, model, reply, created)),
                Msg::Flush(done) => flushes.push(done),
                Msg::Clear(done) => {
                    // Commit what came before, then clear, so the order of calls is kept.
                    commit(&mut conn, &std::mem::take(&mut puts), pending, path);
                    let _ = done.send(clear(&conn, pending));
                }
            }
        }
        commit(&mut conn, &puts, pending, path);
        for done in flushes {
            let _ = done.send(());
        }
    }
}

type Put = (String, String, String, String, i64);

fn commit(conn: &mut Connection, puts: &[Put], pending: &Mutex<HashMap<String, String>>, path: &Path) {
    if puts.is_empty() {
        return;
    }
    let result = (|| -> Result<(), rusqlite::Error> {
        let tx = conn.transaction()?;
        {
            let mut stmt = tx.prepare_cached(
                "INSERT OR REPLACE INTO replies (key, provider, model, reply, created) VALUES (?1, ?2, ?3, ?4, ?5)",
            )?;
            for (key, provider, model, reply, created) in puts {
                stmt.execute(params![key, provider, model, reply, created])?;
            }
        }
        tx.commit()
    })();
    match result {
        Ok(()) => {
            let mut pending = pending.lock().unwrap_or_else(|p| p.into_inner());
            for (key, _, _, reply, _) in puts {
                // A newer put of the same key stays pending until its own commit.
                if pending.get(key).is_some_and(|json| json == reply) {
                    pending.remove(key);
                }
            }
        }
        // The replies stay in the pending map: this run still sees them, later runs will not.
        Err(e) => tracing::warn!(path = %path.display(), "cannot write {} cache entries: {e}", puts.len()),
    }
}

fn clear(conn: &Connection, pending: &Mutex<HashMap<String, String>>) -> Result<u64, rusqlite::Error> {
    pending.lock().unwrap_or_else(|p| p.into_inner()).clear();
    let n = conn.execute("DELETE FROM replies", [])?;
    conn.execute_batch("VACUUM; PRAGMA wal_checkpoint(TRUNCATE);")?;
    Ok(n as u64)
}
