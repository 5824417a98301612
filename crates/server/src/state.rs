//! The application state: one snapshot of the store as served, swapped whole.
//!
//! ```text
//!  readers ──read lock, clone the Arc──> Snapshot (engine, values, caches): kept for the request
//!  writer  ──tokio Mutex──> write the store ─> build the next Snapshot ─> swap ─> answer
//!  poller  ──every 5 s: catalog version ≠ snapshot's?──> writer (reads the store again)
//!  listener (PostgreSQL catalog) ──NOTIFY of a commit by any process──> the same, at once
//! ```
//!
//! Changes are serialized by one writer, and a change is answered only once the
//! snapshot that holds it is current: a request that starts after the answer sees it.
//! A snapshot is complete when swapped in: after a perimeter change, the engine shares
//! the previous one's tables and the values are those of the previous table with the
//! perimeter layer evaluated again; after any other change, the engine is loaded and
//! the values materialised before the swap. The previous snapshot is served meanwhile,
//! so `/ready` says 503 only during the first warm-up.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, RwLock};

use echelle_indicators::{Engine, EngineSource};
use echelle_referential::{Layer, Referential};
use echelle_store::Store;

use crate::ApiError;
use crate::export::blocking;
use crate::ogc::Table;
use crate::shapes::Shapes;
use crate::site::Site;
use crate::values::Materialised;
use crate::work::{Work, WorkConfig};

/// One state of the store as served: the engine, its materialised values and the
/// caches built from them. Never changed once current, replaced whole.
#[derive(Clone)]
struct Snapshot {
    engine: Arc<Engine>,
    /// `None` until the first materialisation is done.
    values: Option<Arc<Materialised>>,
    /// The catalog's version the snapshot was read at (see [`echelle_store::Catalog::version`]).
    version: u64,
    /// Changes with the engine's data (pack, datasets, indicators), not with perimeters:
    /// what is cached from those alone is kept across a perimeter change.
    generation: u64,
    /// The store's current reference pack.
    pack: PathBuf,
    /// Shapes of each layer built for this pack (and, for perimeters, this engine).
    shapes: HashMap<Layer, Arc<Shapes>>,
    /// The OGC collection's indicator values (communes: this generation's).
    ogc: HashMap<Layer, Arc<Table>>,
    /// Who may see each non-public dataset and user perimeter, as the catalog said
    /// when the snapshot was read.
    visibilities: Arc<echelle_platform::Visibilities>,
    /// The referential as seen by viewers who may not see some perimeters, by the
    /// perimeters hidden ([`crate::visibility`]); built at first use.
    views: Arc<Mutex<HashMap<std::collections::BTreeSet<String>, Arc<Referential>>>>,
}

/// What a change leaves in the store, read off the async workers.
struct Read {
    source: EngineSource,
    pack: PathBuf,
    version: u64,
    visibilities: echelle_platform::Visibilities,
}

/// What every handler sees: the store's location, the current snapshot and the caches
/// kept beside it. Cloned for every request (by the router and the middlewares), so a
/// clone is two reference counts.
#[derive(Clone)]
pub struct AppState {
    shared: Arc<Shared>,
    /// The allowed `Host` values and the public URL ([`crate::site`]).
    site: Arc<Site>,
    /// The accounts, sessions and tokens ([`crate::auth`]).
    gate: Arc<crate::auth::Gate>,
}

/// What every clone of an [`AppState`] shares.
pub struct Shared {
    store: PathBuf,
    /// Idle connections to the catalog when it is in PostgreSQL: the store is opened
    /// per request.
    connections: echelle_store::Connections,
    current: RwLock<Arc<Snapshot>>,
    /// The one writer: held across a change's write to the store, the building of the
    /// next snapshot and the swap, so that changes never overtake one another.
    writer: tokio::sync::Mutex<()>,
    /// Held while shapes are built, so that two requests do not build the same layer.
    building: Mutex<()>,
    /// Flows, positions and incomes kept by the flows endpoints; emptied when the
    /// engine's data changes.
    pub(crate) flows: crate::flows::FlowsCache,
    /// Facility sets offered by the access view, and the points and runs computed
    /// from them (dropped when the engine's data changes).
    pub(crate) access: crate::access::AccessCache,
    /// The loan guarantees register, read once per store version.
    pub(crate) guarantees: crate::guarantees::GuaranteesCache,
    /// The pool where the heavy part of every request runs ([`crate::work`]).
    work: Work,
}

impl std::ops::Deref for AppState {
    type Target = Shared;

    fn deref(&self) -> &Shared {
        &self.shared
    }
}

impl AppState {
    /// Opens the store and starts materialising the values in the background
    /// (`/ready` says so until done); needs a Tokio runtime.
    pub async fn open(store: &Path) -> Result<Self, ApiError> {
        AppState::open_with(store, WorkConfig::default()).await
    }

    /// Like [`AppState::open`], with a pool of CPU work of these limits.
    pub async fn open_with(store: &Path, work: WorkConfig) -> Result<Self, ApiError> {
        let work = Work::new(work)?;
        let root = store.to_path_buf();
        let read = blocking(move || {
            let store = Store::open(&root)?;
            let version = store.catalog().version()?;
            read_store(&store, None, version)
        })
        .await?;
        let engine = Arc::new(Engine::load(read.source).await?);
        let snapshot = Snapshot {
            engine: engine.clone(),
            values: None,
            version: read.version,
            generation: 0,
            pack: read.pack,
            shapes: HashMap::new(),
            ogc: HashMap::new(),
            visibilities: Arc::new(read.visibilities),
            views: Default::default(),
        };
        let shared = Shared {
            store: store.to_path_buf(),
            connections: Default::default(),
            current: RwLock::new(Arc::new(snapshot)),
            writer: Default::default(),
            building: Default::default(),
            flows: Default::default(),
            access: Default::default(),
            guarantees: Default::default(),
            work,
        };
        let gate = Arc::new(crate::auth::Gate::of_store(store, &shared.connections)?);
        let state = AppState { shared: Arc::new(shared), site: Default::default(), gate };
        state.warm_up(engine);
        Ok(state)
    }

    /// The same state answering the `Host` values of `site`, with its links.
    pub fn with_site(mut self, site: Site) -> Self {
        self.site = Arc::new(site);
        self
    }

    /// The same state with these account rules (another store, a throttling policy).
    pub fn with_accounts(mut self, accounts: echelle_platform::Accounts) -> Self {
        self.gate = Arc::new(crate::auth::Gate::new(accounts));
        self
    }

    /// The accounts of the server.
    pub fn gate(&self) -> &Arc<crate::auth::Gate> {
        &self.gate
    }

    /// The allowed `Host` values and the public URL links are built from.
    pub fn site(&self) -> &Site {
        &self.site
    }

    /// The pool of CPU work.
    pub fn work(&self) -> &Work {
        &self.work
    }

    fn snapshot(&self) -> Arc<Snapshot> {
        self.current.read().expect("state lock").clone()
    }

    /// The engine as it is now; a request keeps the one it started with.
    pub fn engine(&self) -> Arc<Engine> {
        self.snapshot().engine.clone()
    }

    /// The engine with its materialised values (`None` during the first warm-up).
    pub fn engine_and_values(&self) -> (Arc<Engine>, Option<Arc<Materialised>>) {
        let s = self.snapshot();
        (s.engine.clone(), s.values.clone())
    }

    /// The engine, its values, the catalog's visibilities and the cache of restricted
    /// referentials of one snapshot, taken together ([`crate::visibility::View`]).
    #[allow(clippy::type_complexity)]
    pub(crate) fn visibility_parts(
        &self,
    ) -> (
        Arc<Engine>,
        Option<Arc<Materialised>>,
        Arc<echelle_platform::Visibilities>,
        Arc<Mutex<HashMap<std::collections::BTreeSet<String>, Arc<Referential>>>>,
    ) {
        let s = self.snapshot();
        (s.engine.clone(), s.values.clone(), s.visibilities.clone(), s.views.clone())
    }

    /// Changes with the engine's data (pack, datasets, indicators), not with perimeters.
    pub(crate) fn generation(&self) -> u64 {
        self.snapshot().generation
    }

    /// The store's catalog version the current snapshot was read at.
    pub(crate) fn store_version(&self) -> u64 {
        self.snapshot().version
    }

    /// Opens the store for a request that reads or writes it directly (flows, networks, perimeters).
    pub fn store(&self) -> Result<Store, ApiError> {
        Ok(Store::open_with(&self.store, &self.connections)?)
    }

    /// The current reference pack's directory, without opening the store.
    pub fn pack(&self) -> PathBuf {
        self.snapshot().pack.clone()
    }

    /// Shapes of a layer already built for the current pack (and engine, for perimeters).
    pub fn cached_shapes(&self, layer: Layer) -> Option<Arc<Shapes>> {
        self.snapshot().shapes.get(&layer).cloned()
    }

    /// Keeps shapes built from `engine`, unless the store changed meanwhile.
    pub fn cache_shapes(&self, engine: &Arc<Engine>, shapes: Arc<Shapes>) {
        self.update(engine, |s| {
            s.shapes.insert(shapes.layer, shapes);
        });
    }

    /// The lock held while shapes are built (see `shapes::layer_shapes`).
    pub fn building(&self) -> std::sync::MutexGuard<'_, ()> {
        self.building.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// An OGC collection's values for the current engine, if evaluated.
    pub fn cached_ogc_table(&self, layer: Layer) -> Option<Arc<Table>> {
        self.snapshot().ogc.get(&layer).cloned()
    }

    /// Keeps an OGC collection's values evaluated with `engine`, unless the store changed meanwhile.
    pub fn cache_ogc_table(&self, engine: &Arc<Engine>, layer: Layer, table: Arc<Table>) {
        self.update(engine, |s| {
            s.ogc.insert(layer, table);
        });
    }

    /// Replaces the current snapshot by a copy changed by `change`, if its engine is
    /// still `engine`.
    fn update(&self, engine: &Arc<Engine>, change: impl FnOnce(&mut Snapshot)) {
        let mut current = self.current.write().expect("state lock");
        if Arc::ptr_eq(&current.engine, engine) {
            let mut next = Snapshot::clone(&current);
            change(&mut next);
            *current = Arc::new(next);
        }
    }

    /// Applies `write` to the store (it returns the referential as the store holds it
    /// after the write), then makes the snapshot that follows current; returns its
    /// engine. Changes are serialized: a request that starts after this returns sees
    /// the change.
    pub async fn change(
        &self,
        write: impl FnOnce(&Store) -> Result<Referential, ApiError> + Send + 'static,
    ) -> Result<Arc<Engine>, ApiError> {
        // On the work runtime, and carried through even if the client leaves: a change
        // written to the store is always installed.
        let state = self.clone();
        let change = self.work.spawn(async move {
            let _writer = state.writer.lock().await;
            let (root, connections) = (state.store.clone(), state.connections.clone());
            let read = blocking(move || {
                let store = Store::open_with(&root, &connections)?;
                let before = store.catalog().version()?;
                let referential = write(&store)?;
                let after = store.catalog().version()?;
                // Another process's change in between is picked up by the poller.
                let version = if after == before + 1 { after } else { before };
                read_store(&store, Some(referential), version)
            })
            .await?;
            state.install(read).await
        });
        change.await.map_err(|e| ApiError::Internal(format!("applying a change: {e}")))?
    }

    /// Reads the store again if its catalog changed since the current snapshot was
    /// read (a dataset imported by `echelle import` while serving, say); true if it did.
    pub async fn reload_if_changed(&self) -> Result<bool, ApiError> {
        let (root, connections) = (self.store.clone(), self.connections.clone());
        let version = blocking(move || Ok(Store::open_with(&root, &connections)?.catalog().version()?)).await?;
        if version == self.snapshot().version {
            return Ok(false);
        }
        let _writer = self.writer.lock().await;
        let known = self.snapshot().version;
        let (root, connections) = (self.store.clone(), self.connections.clone());
        let read = blocking(move || {
            let store = Store::open_with(&root, &connections)?;
            let version = store.catalog().version()?;
            if version == known { Ok(None) } else { read_store(&store, None, version).map(Some) }
        })
        .await?;
        let Some(read) = read else { return Ok(false) };
        tracing::info!(version = read.version, "the store changed: reading it again");
        self.install(read).await?;
        Ok(true)
    }

    /// With a catalog in PostgreSQL, reads the store again as soon as any process commits
    /// a change (LISTEN, on a thread of its own, reconnecting after a loss); the poll
    /// stays as the fallback. False for a SQLite catalog (nothing to listen to).
    pub fn follow_notifications(&self) -> Result<bool, ApiError> {
        let store = Store::open(&self.store)?;
        let Some(location) = store.postgres().cloned() else { return Ok(false) };
        drop(store);
        let state = self.clone();
        let runtime = tokio::runtime::Handle::current();
        let reload = move || {
            let checked = state.clone();
            let reloaded = runtime.block_on(state.work().background(async move { checked.reload_if_changed().await }));
            if let Err(e) = reloaded {
                tracing::warn!(error = %e, "reading the store again after a notification failed");
            }
        };
        std::thread::Builder::new()
            .name("echelle-listen".into())
            .spawn(move || {
                loop {
                    match echelle_store::Changes::listen(&location) {
                        Ok(mut changes) => {
                            tracing::info!(schema = %location.schema, "listening to the catalog's changes");
                            // What changed while (re)connecting is read now.
                            reload();
                            loop {
                                match changes.wait(std::time::Duration::from_secs(60)) {
                                    Ok(true) => reload(),
                                    Ok(false) => {}
                                    Err(e) => {
                                        tracing::warn!(error = %e, "listening to the catalog: connection lost");
                                        break;
                                    }
                                }
                            }
                        }
                        Err(e) => tracing::warn!(error = %e, "listening to the catalog failed; polling meanwhile"),
                    }
                    std::thread::sleep(std::time::Duration::from_secs(5));
                }
            })
            .map_err(|e| ApiError::Internal(format!("listening thread: {e}")))?;
        Ok(true)
    }

    /// Builds the snapshot of what was read and makes it current (the writer is held).
    async fn install(&self, read: Read) -> Result<Arc<Engine>, ApiError> {
        let before = self.snapshot();
        let started = std::time::Instant::now();
        let (engine, values, generation) = match before.engine.with_perimeters_of(read.source) {
            Ok(engine) => {
                let engine = Arc::new(engine);
                let values = match &before.values {
                    Some(v) => Some(Arc::new(perimeters_again(v, &engine).await)),
                    // The first warm-up, still running, takes the new perimeters into account.
                    None => None,
                };
                (engine, values, before.generation)
            }
            Err(source) => {
                let engine = Arc::new(Engine::load(*source).await?);
                let values = Arc::new(materialise(&engine).await);
                (engine, Some(values), before.generation + 1)
            }
        };
        let data_changed = generation != before.generation;
        tracing::info!(seconds = started.elapsed().as_secs_f64(), data_changed, "next state built");
        let mut next = Snapshot {
            engine: engine.clone(),
            values,
            version: read.version,
            generation,
            pack: read.pack,
            shapes: HashMap::new(),
            ogc: HashMap::new(),
            visibilities: Arc::new(read.visibilities),
            views: Default::default(),
        };
        {
            let mut current = self.current.write().expect("state lock");
            // What depends on the pack alone, or on the engine's data alone, stays.
            if next.pack == current.pack {
                next.shapes = current
                    .shapes
                    .iter()
                    .filter(|(l, _)| **l != Layer::Perimeter)
                    .map(|(l, s)| (*l, s.clone()))
                    .collect();
            }
            if !data_changed && next.pack == current.pack {
                // The perimeters' values and shapes may have changed: only theirs go.
                next.ogc =
                    current.ogc.iter().filter(|(l, _)| **l != Layer::Perimeter).map(|(l, t)| (*l, t.clone())).collect();
            }
            *current = Arc::new(next);
        }
        if data_changed {
            self.flows.clear();
        }
        // The register is not part of the engine's data: any change of the store drops it.
        self.guarantees.clear();
        Ok(engine)
    }

    /// Waits until the values are materialised (the first warm-up).
    pub async fn ready(&self) {
        while self.engine_and_values().1.is_none() {
            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        }
    }

    /// Materialises the values of `engine` in the background, then installs them in the
    /// current snapshot, with its perimeters if they changed meanwhile.
    fn warm_up(&self, engine: Arc<Engine>) {
        let state = self.clone();
        self.work.spawn(async move {
            let values = materialise(&engine).await;
            let _writer = state.writer.lock().await;
            let now = state.snapshot();
            if now.values.is_some() || now.generation != 0 {
                return;
            }
            let values =
                if Arc::ptr_eq(&now.engine, &engine) { values } else { perimeters_again(&values, &now.engine).await };
            state.update(&now.engine, |s| s.values = Some(Arc::new(values)));
        });
    }
}

/// The engine's source, pack and version, read from the store (with `referential` if
/// the store already gave it).
fn read_store(store: &Store, referential: Option<Referential>, version: u64) -> Result<Read, ApiError> {
    let referential = match referential {
        Some(r) => r,
        None => store.referential()?,
    };
    Ok(Read {
        source: EngineSource::read_with(store, referential)?,
        pack: store.pack_dir()?,
        version,
        visibilities: store.catalog().visibilities()?,
    })
}

/// Every value of `engine`; an empty table (everything from the engine) if that fails.
async fn materialise(engine: &Engine) -> Materialised {
    match Materialised::build(engine).await {
        Ok(values) => {
            tracing::info!(
                territories = values.territories,
                pairs = values.pairs,
                seconds = values.seconds,
                "indicator values materialised"
            );
            values
        }
        Err(e) => {
            tracing::error!(error = %e, "materialising indicator values failed; serving from the engine");
            Materialised::empty()
        }
    }
}

/// `values` with the perimeter layer evaluated by `engine` (whose perimeters changed).
async fn perimeters_again(values: &Materialised, engine: &Engine) -> Materialised {
    match values.with_layer(engine, Layer::Perimeter).await {
        Ok(v) => v,
        Err(e) => {
            tracing::error!(error = %e, "evaluating the perimeters failed; serving from the engine");
            Materialised::empty()
        }
    }
}
