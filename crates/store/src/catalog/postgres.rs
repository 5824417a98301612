//! The catalog in a PostgreSQL schema, shared by every `echelle serve` of the store.
//!
//! ```text
//!  Catalog ──jobs──> one thread per connection (the sync client runs its own
//!                    runtime: never inside an async task)
//!  write: BEGIN; pg_advisory_xact_lock(schema) … bump; pg_notify('echelle_catalog', schema); COMMIT
//!  Changes: LISTEN echelle_catalog ─> a server reads the catalog again at once
//! ```

use std::sync::{Arc, Mutex, mpsc};
use std::time::{Duration, Instant};

use postgres::fallible_iterator::FallibleIterator;
use postgres::types::{ToSql, Type};
use postgres::{Client, NoTls};

use super::{Backend, Dialect, Value};
use crate::StoreError;

/// The channel every catalog change is notified on; the payload is the schema.
pub const CHANNEL: &str = "echelle_catalog";

/// Where a store's catalog lives in PostgreSQL: the `[postgres]` table of
/// `<store>/catalog.toml`.
#[derive(Clone, PartialEq, Eq, serde::Deserialize, serde::Serialize)]
#[serde(deny_unknown_fields)]
pub struct PostgresLocation {
    /// The connection URL, `postgresql://user[:password]@host[:port]/database`.
    pub url: String,
    /// The schema holding the catalog's tables, created if needed (default `echelle`).
    #[serde(default = "default_schema")]
    pub schema: String,
}

fn default_schema() -> String {
    "echelle".into()
}

impl std::fmt::Debug for PostgresLocation {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PostgresLocation").field("url", &self.redacted()).field("schema", &self.schema).finish()
    }
}

impl PostgresLocation {
    /// A location in `schema` of the database at `url`.
    pub fn new(url: impl Into<String>, schema: impl Into<String>) -> Self {
        PostgresLocation { url: url.into(), schema: schema.into() }
    }

    /// The URL without its password, for messages and logs.
    pub fn redacted(&self) -> String {
        redact(&self.url)
    }

    /// Schemas become identifiers in SQL text: lower-case letters, digits, `_`.
    pub fn check(&self) -> Result<(), StoreError> {
        let s = &self.schema;
        let ok = !s.is_empty()
            && s.len() <= 63
            && s.starts_with(|c: char| c.is_ascii_lowercase() || c == '_')
            && s.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
        if !ok {
            return Err(StoreError::Invalid(format!(
                "schéma PostgreSQL « {} » : lettres minuscules, chiffres et « _ », 63 au plus",
                s.chars().take(40).collect::<String>()
            )));
        }
        if !(self.url.starts_with("postgres://") || self.url.starts_with("postgresql://")) {
            return Err(StoreError::Invalid(format!(
                "URL PostgreSQL « {} » : elle commence par postgresql://",
                self.redacted().chars().take(40).collect::<String>()
            )));
        }
        Ok(())
    }

    /// A new client on the database, its search path on the schema (created if needed).
    fn connect(&self) -> Result<Client, StoreError> {
        self.check()?;
        let unreachable = |e: postgres::Error| {
            StoreError::Postgres(format!("base PostgreSQL {} injoignable : {}", self.redacted(), describe(&e)))
        };
        let mut config: postgres::Config = self.url.parse().map_err(unreachable)?;
        if config.get_connect_timeout().is_none() {
            config.connect_timeout(Duration::from_secs(10));
        }
        config.application_name("echelle");
        let mut client = config.connect(NoTls).map_err(unreachable)?;
        let exists = client.query_opt("SELECT 1 FROM pg_namespace WHERE nspname = $1", &[&self.schema])?.is_some();
        if !exists {
            // Two processes creating the schema at once: the lock makes the second wait.
            client.batch_execute(&format!(
                "BEGIN; SELECT pg_advisory_xact_lock(hashtext('echelle catalog {0}'));
                 CREATE SCHEMA IF NOT EXISTS {0}; COMMIT",
                self.schema
            ))?;
        }
        client.batch_execute(&format!("SET search_path TO {}", self.schema))?;
        Ok(client)
    }
}

/// `scheme://user:password@host` as `scheme://user:***@host`.
fn redact(url: &str) -> String {
    let Some(scheme) = url.find("://") else { return url.to_string() };
    let rest = &url[scheme + 3..];
    let Some(at) = rest.find('@') else { return url.to_string() };
    match rest[..at].find(':') {
        Some(colon) => format!("{}{}:***{}", &url[..scheme + 3], &rest[..colon], &rest[at..]),
        None => url.to_string(),
    }
}

/// The server's own message when there is one (the client's says only "db error").
fn describe(e: &postgres::Error) -> String {
    match e.as_db_error() {
        Some(db) => format!("{} ({})", db.message(), db.code().code()),
        None => {
            let mut s = e.to_string();
            let mut source = std::error::Error::source(e);
            while let Some(cause) = source {
                let c = cause.to_string();
                if !s.contains(&c) {
                    s.push_str(": ");
                    s.push_str(&c);
                }
                source = cause.source();
            }
            s
        }
    }
}

impl From<postgres::Error> for StoreError {
    fn from(e: postgres::Error) -> Self {
        StoreError::Postgres(describe(&e))
    }
}

type Job = Box<dyn FnOnce(&mut Client) + Send>;

/// A connection to the catalog's schema, driven by a thread of its own.
pub(crate) struct Postgres {
    jobs: mpsc::Sender<Job>,
}

impl Postgres {
    pub(crate) fn connect(location: &PostgresLocation) -> Result<Self, StoreError> {
        let (jobs, queue) = mpsc::channel::<Job>();
        let (ready, connected) = mpsc::sync_channel(1);
        let location = location.clone();
        std::thread::Builder::new()
            .name("echelle-catalog-pg".into())
            .spawn(move || {
                let mut client = match location.connect() {
                    Ok(c) => {
                        let _ = ready.send(Ok(()));
                        c
                    }
                    Err(e) => {
                        let _ = ready.send(Err(e));
                        return;
                    }
                };
                // Ends when the catalog is dropped (its sender with it).
                for job in queue {
                    job(&mut client);
                }
            })
            .map_err(|e| StoreError::Postgres(format!("thread: {e}")))?;
        connected.recv().map_err(|_| StoreError::Postgres("connection thread ended".into()))??;
        Ok(Postgres { jobs })
    }

    /// Runs `work` on the connection's thread and waits for its result.
    fn run<T: Send + 'static>(
        &self,
        work: impl FnOnce(&mut Client) -> Result<T, StoreError> + Send + 'static,
    ) -> Result<T, StoreError> {
        let (done, result) = mpsc::sync_channel(1);
        let lost = || StoreError::Postgres("la connexion au catalogue PostgreSQL est perdue".into());
        self.jobs
            .send(Box::new(move |c| {
                let _ = done.send(work(c));
            }))
            .map_err(|_| lost())?;
        result.recv().map_err(|_| lost())?
    }
}

/// Idle connections to PostgreSQL catalogs, owned by a long-lived process (the server
/// opens its store per request: without them, every request connected anew, at 0.07×
/// the throughput of SQLite). A store opened through them takes an idle connection of
/// its location, or connects; its catalog gives the connection back when dropped.
#[derive(Clone, Default)]
pub struct Connections(Arc<Mutex<Vec<(PostgresLocation, Postgres)>>>);

/// Idle connections kept at most: beyond, a returned one is closed.
const IDLE: usize = 16;

impl Connections {
    /// An idle connection to `location`, if one is kept.
    pub(crate) fn take(&self, location: &PostgresLocation) -> Option<Pooled> {
        let mut idle = self.0.lock().expect("connections");
        let at = idle.iter().position(|(l, _)| l == location)?;
        let (location, conn) = idle.swap_remove(at);
        Some(Pooled::new(conn, location, self.clone()))
    }

    /// A new connection to `location`, given back to these when its catalog is dropped.
    pub(crate) fn connect(&self, location: &PostgresLocation) -> Result<Pooled, StoreError> {
        let conn = Postgres::connect(location)?;
        Ok(Pooled::new(conn, location.clone(), self.clone()))
    }

    /// Idle connections kept now.
    pub fn idle(&self) -> usize {
        self.0.lock().expect("connections").len()
    }
}

/// A connection lent by [`Connections`]: every write of a catalog is one transaction,
/// ended before the catalog's next call returns, so none is open when it goes back.
/// A connection that answered an error is not given back: it may be lost.
pub(crate) struct Pooled {
    conn: Option<Postgres>,
    location: PostgresLocation,
    pool: Connections,
    failed: std::sync::atomic::AtomicBool,
}

impl Pooled {
    fn new(conn: Postgres, location: PostgresLocation, pool: Connections) -> Pooled {
        Pooled { conn: Some(conn), location, pool, failed: Default::default() }
    }

    fn on<T>(&self, work: impl FnOnce(&Postgres) -> Result<T, StoreError>) -> Result<T, StoreError> {
        let r = work(self.conn.as_ref().expect("lent until dropped"));
        if r.is_err() {
            self.failed.store(true, std::sync::atomic::Ordering::Relaxed);
        }
        r
    }
}

impl Drop for Pooled {
    fn drop(&mut self) {
        if let Some(conn) = self.conn.take().filter(|_| !*self.failed.get_mut()) {
            let mut idle = self.pool.0.lock().expect("connections");
            if idle.len() < IDLE {
                idle.push((self.location.clone(), conn));
            }
        }
    }
}

impl Backend for Pooled {
    fn dialect(&self) -> Dialect {
        Dialect::Postgres
    }
    fn execute(&self, sql: &str, params: &[Value]) -> Result<u64, StoreError> {
        self.on(|c| c.execute(sql, params))
    }
    fn query(&self, sql: &str, params: &[Value]) -> Result<Vec<Vec<Value>>, StoreError> {
        self.on(|c| c.query(sql, params))
    }
    fn batch(&self, sql: &str) -> Result<(), StoreError> {
        self.on(|c| c.batch(sql))
    }
    fn begin_write(&self) -> Result<(), StoreError> {
        self.on(|c| c.begin_write())
    }
    fn commit(&self) -> Result<(), StoreError> {
        self.on(|c| c.commit())
    }
    fn rollback(&self) -> Result<(), StoreError> {
        self.on(|c| c.rollback())
    }
    fn announce(&self) -> Result<(), StoreError> {
        self.on(|c| c.announce())
    }
}

/// SQL NULL for a parameter of any type (an `Option<String>` would be refused for BIGINT).
#[derive(Debug)]
struct Null;

impl ToSql for Null {
    fn to_sql(
        &self,
        _: &Type,
        _: &mut postgres::types::private::BytesMut,
    ) -> Result<postgres::types::IsNull, Box<dyn std::error::Error + Sync + Send>> {
        Ok(postgres::types::IsNull::Yes)
    }
    fn accepts(_: &Type) -> bool {
        true
    }
    postgres::types::to_sql_checked!();
}

static NULL: Null = Null;

fn bind(params: &[Value]) -> Vec<&(dyn ToSql + Sync)> {
    params
        .iter()
        .map(|v| match v {
            Value::Null => &NULL as &(dyn ToSql + Sync),
            Value::Int(i) => i as &(dyn ToSql + Sync),
            Value::Text(s) => s as &(dyn ToSql + Sync),
            Value::Bytes(b) => b as &(dyn ToSql + Sync),
        })
        .collect()
}

fn read(row: &postgres::Row) -> Result<Vec<Value>, StoreError> {
    let mut out = Vec::with_capacity(row.len());
    for (i, column) in row.columns().iter().enumerate() {
        let t = column.type_();
        let v = if *t == Type::INT8 {
            row.try_get::<_, Option<i64>>(i)?.map(Value::Int)
        } else if *t == Type::INT4 {
            row.try_get::<_, Option<i32>>(i)?.map(|v| Value::Int(v.into()))
        } else if *t == Type::INT2 {
            row.try_get::<_, Option<i16>>(i)?.map(|v| Value::Int(v.into()))
        } else if *t == Type::BOOL {
            row.try_get::<_, Option<bool>>(i)?.map(|v| Value::Int(v.into()))
        } else if *t == Type::BYTEA {
            row.try_get::<_, Option<Vec<u8>>>(i)?.map(Value::Bytes)
        } else {
            row.try_get::<_, Option<String>>(i)?.map(Value::Text)
        };
        out.push(v.unwrap_or(Value::Null));
    }
    Ok(out)
}

impl Backend for Postgres {
    fn dialect(&self) -> Dialect {
        Dialect::Postgres
    }

    fn execute(&self, sql: &str, params: &[Value]) -> Result<u64, StoreError> {
        let (sql, params) = (sql.to_string(), params.to_vec());
        self.run(move |c| Ok(c.execute(sql.as_str(), &bind(&params))?))
    }

    fn query(&self, sql: &str, params: &[Value]) -> Result<Vec<Vec<Value>>, StoreError> {
        let (sql, params) = (sql.to_string(), params.to_vec());
        self.run(move |c| c.query(sql.as_str(), &bind(&params))?.iter().map(read).collect())
    }

    fn batch(&self, sql: &str) -> Result<(), StoreError> {
        let sql = sql.to_string();
        self.run(move |c| Ok(c.batch_execute(&sql)?))
    }

    fn begin_write(&self) -> Result<(), StoreError> {
        // Writers of this schema, in every process, one after the other (as SQLite's
        // BEGIN IMMEDIATE): what a write reads cannot change before it commits.
        self.batch("BEGIN; SELECT pg_advisory_xact_lock(hashtext('echelle catalog ' || current_schema()))")
    }

    fn commit(&self) -> Result<(), StoreError> {
        self.batch("COMMIT")
    }

    fn rollback(&self) -> Result<(), StoreError> {
        self.batch("ROLLBACK")
    }

    fn announce(&self) -> Result<(), StoreError> {
        // Delivered at commit, never for a rolled-back change.
        self.batch(&format!("SELECT pg_notify('{CHANNEL}', current_schema())"))
    }
}

/// Runs `statements` in one transaction in the schema of `location` (created if needed),
/// with PostGIS (created in `public` if needed): how `echelle catalog publish` puts the
/// public layers where QGIS reads them. Readers see the old tables or the new ones,
/// never a half. Call it outside an async task (the sync client runs its own runtime).
pub fn publish(location: &PostgresLocation, statements: &[String]) -> Result<(), StoreError> {
    let mut client = location.connect()?;
    let postgis = |e: postgres::Error| {
        StoreError::Postgres(format!(
            "PostGIS indisponible dans {} ({}) : installez l'extension (paquet postgresql-*-postgis-3)",
            location.redacted(),
            describe(&e)
        ))
    };
    client.batch_execute("CREATE EXTENSION IF NOT EXISTS postgis WITH SCHEMA public").map_err(postgis)?;
    client.batch_execute(&format!("SET search_path TO {}, public", location.schema))?;
    let mut tx = client.transaction()?;
    for s in statements {
        tx.batch_execute(s)?;
    }
    tx.commit()?;
    Ok(())
}

/// The changes of a catalog in PostgreSQL, as they are committed by any process: a
/// dedicated connection listening on [`CHANNEL`]. Use it from a thread of its own,
/// not from an async task.
pub struct Changes {
    client: Client,
    schema: String,
}

impl Changes {
    /// Listens to the changes of the catalog at `location`.
    pub fn listen(location: &PostgresLocation) -> Result<Self, StoreError> {
        let mut client = location.connect()?;
        client.batch_execute(&format!("LISTEN {CHANNEL}"))?;
        Ok(Changes { client, schema: location.schema.clone() })
    }

    /// Waits up to `timeout` for a change of this catalog: true when one was committed
    /// (every notification already arrived is taken with it), false when none came; an
    /// error when the connection is lost.
    pub fn wait(&mut self, timeout: Duration) -> Result<bool, StoreError> {
        let deadline = Instant::now() + timeout;
        let mut seen = false;
        loop {
            let left = if seen { Duration::ZERO } else { deadline.saturating_duration_since(Instant::now()) };
            let mut notifications = self.client.notifications();
            let next =
                if left.is_zero() { notifications.iter().next() } else { notifications.timeout_iter(left).next() };
            match next? {
                Some(n) => seen |= n.payload() == self.schema,
                None if seen || Instant::now() >= deadline => return Ok(seen),
                None => {}
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_never_leave_the_url() {
        assert_eq!(redact("postgresql://echelle:s3cret@db:5432/obs"), "postgresql://echelle:***@db:5432/obs");
        assert_eq!(redact("postgresql://echelle@db/obs"), "postgresql://echelle@db/obs");
        let l = PostgresLocation::new("postgresql://u:pw@h/d", "echelle");
        assert!(!format!("{l:?}").contains("pw"));
    }

    #[test]
    fn a_store_opened_again_takes_the_idle_connection_and_sees_the_changes() {
        for backend in crate::testing::backends() {
            let Some(location) = backend.fresh_location() else { continue };
            let dir = tempfile::tempdir().unwrap();
            let root = dir.path().join("store");
            crate::Store::open(&root).unwrap().move_catalog(&location).unwrap();
            let connections = Connections::default();
            let first = crate::Store::open_with(&root, &connections).unwrap();
            let before = first.catalog().version().unwrap();
            assert_eq!(connections.idle(), 0, "lent while the store is open");
            drop(first);
            assert_eq!(connections.idle(), 1, "given back");
            // Another process's change is seen through the kept connection.
            crate::Store::open(&root).unwrap().catalog().add_indicator_catalog("essai", "").unwrap();
            let again = crate::Store::open_with(&root, &connections).unwrap();
            assert_eq!(connections.idle(), 0, "the idle one taken, none made");
            assert!(again.catalog().version().unwrap() > before);
        }
    }

    #[test]
    fn schemas_are_plain_identifiers() {
        assert!(PostgresLocation::new("postgresql://h/d", "echelle_2").check().is_ok());
        assert!(PostgresLocation::new("postgresql://h/d", "a; DROP").check().is_err());
        assert!(PostgresLocation::new("mysql://h/d", "echelle").check().is_err());
    }
}
