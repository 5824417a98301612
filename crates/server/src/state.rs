use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, RwLock};

use echelle_referential::Layer;

use echelle_indicators::{Engine, EngineSource};
use echelle_store::Store;

use crate::ApiError;
use crate::ogc::Table;
use crate::shapes::Shapes;
use crate::site::Site;
use crate::values::Materialised;
use crate::work::{Work, WorkConfig};

/// The engine and, once computed, its materialised values and the caches built from
/// them: all dropped together when the store changes (see [`AppState::reload`]).
struct Current {
    engine: Arc<Engine>,
    values: Option<Arc<Materialised>>,
    /// What the engine was loaded from (see [`fingerprint`]).
    fingerprint: String,
    /// The store's current reference pack.
    pack: PathBuf,
    /// Shapes of each layer built for this pack (and, for perimeters, this engine).
    shapes: HashMap<Layer, Arc<Shapes>>,
    /// The OGC collection's indicator values for this engine.
    ogc: Option<Arc<Table>>,
}

impl Current {
    fn new(engine: Arc<Engine>, fingerprint: String, pack: PathBuf) -> Current {
        Current { engine, values: None, fingerprint, pack, shapes: HashMap::new(), ogc: None }
    }
}

/// A summary of what the engine reads from the store's catalog: pack, datasets,
/// perimeters, indicator catalogs. It changes when any of them does.
fn fingerprint(store: &Store) -> Result<String, ApiError> {
    let c = store.catalog();
    Ok(format!("{:?}|{:?}|{:?}|{:?}", c.current_pack()?, c.datasets()?, c.user_perimeters()?, c.indicator_catalogs()?))
}

/// What every handler sees: the store's location, the current engine and its
/// materialised values.
#[derive(Clone)]
pub struct AppState {
    store: PathBuf,
    current: Arc<RwLock<Current>>,
    /// Held while shapes are built, so that two requests do not build the same layer.
    building: Arc<Mutex<()>>,
    /// Flows, positions and incomes kept by the flows endpoints; emptied on reload.
    pub(crate) flows: Arc<crate::flows::FlowsCache>,
    /// Facility sets offered by the access view, and the points and runs computed
    /// from them (dropped when the engine changes).
    pub(crate) access: Arc<crate::access::AccessCache>,
    /// The pool where the heavy part of every request runs ([`crate::work`]).
    work: Work,
    /// The allowed `Host` values and the public URL ([`crate::site`]).
    site: Arc<Site>,
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
        let opened = Store::open(store)?;
        let fingerprint = fingerprint(&opened)?;
        let pack = opened.pack_dir()?;
        let engine = Arc::new(Engine::open(&opened).await?);
        let state = AppState {
            store: store.to_path_buf(),
            current: Arc::new(RwLock::new(Current::new(engine.clone(), fingerprint, pack))),
            building: Default::default(),
            flows: Default::default(),
            access: Default::default(),
            work,
            site: Default::default(),
        };
        state.materialise(engine);
        Ok(state)
    }

    /// The same state answering the `Host` values of `site`, with its links.
    pub fn with_site(mut self, site: Site) -> Self {
        self.site = Arc::new(site);
        self
    }

    /// The allowed `Host` values and the public URL links are built from.
    pub fn site(&self) -> &Site {
        &self.site
    }

    /// The pool of CPU work.
    pub fn work(&self) -> &Work {
        &self.work
    }

    /// The engine as it is now; a request keeps the one it started with.
    pub fn engine(&self) -> Arc<Engine> {
        self.current.read().expect("engine lock").engine.clone()
    }

    /// The engine with its materialised values (`None` while they are computed).
    pub fn engine_and_values(&self) -> (Arc<Engine>, Option<Arc<Materialised>>) {
        let c = self.current.read().expect("engine lock");
        (c.engine.clone(), c.values.clone())
    }

    /// Opens the store for a request that reads or writes it directly (flows, networks, perimeters).
    pub fn store(&self) -> Result<Store, ApiError> {
        Ok(Store::open(&self.store)?)
    }

    /// The current reference pack's directory, without opening the store.
    pub fn pack(&self) -> PathBuf {
        self.current.read().expect("engine lock").pack.clone()
    }

    /// Shapes of a layer already built for the current pack (and engine, for perimeters).
    pub fn cached_shapes(&self, layer: Layer) -> Option<Arc<Shapes>> {
        self.current.read().expect("engine lock").shapes.get(&layer).cloned()
    }

    /// Keeps shapes built from `engine`, unless the store changed meanwhile.
    pub fn cache_shapes(&self, engine: &Arc<Engine>, shapes: Arc<Shapes>) {
        let mut c = self.current.write().expect("engine lock");
        if Arc::ptr_eq(&c.engine, engine) {
            c.shapes.insert(shapes.layer, shapes);
        }
    }

    /// The lock held while shapes are built (see `shapes::layer_shapes`).
    pub fn building(&self) -> std::sync::MutexGuard<'_, ()> {
        self.building.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// The OGC collection's values for the current engine, if evaluated.
    pub fn cached_ogc_table(&self) -> Option<Arc<Table>> {
        self.current.read().expect("engine lock").ogc.clone()
    }

    /// Keeps the OGC collection's values evaluated with `engine`, unless the store changed meanwhile.
    pub fn cache_ogc_table(&self, engine: &Arc<Engine>, table: Arc<Table>) {
        let mut c = self.current.write().expect("engine lock");
        if Arc::ptr_eq(&c.engine, engine) {
            c.ogc = Some(table);
        }
    }

    /// Reloads the engine after the store changed (a perimeter was added, a dataset or
    /// an indicator catalog imported); the values are materialised again in the background.
    /// The caches go with the engine they were built from, except the shapes of the
    /// official layers, which depend on the pack alone and are kept while it stays.
    pub async fn reload(&self) -> Result<(), ApiError> {
        let store = self.store()?;
        let fingerprint = fingerprint(&store)?;
        let pack = store.pack_dir()?;
        let source = EngineSource::read(&store)?;
        let engine = Arc::new(self.work.background(async move { Ok(Engine::load(source).await?) }).await?);
        let mut next = Current::new(engine.clone(), fingerprint, pack);
        {
            let mut c = self.current.write().expect("engine lock");
            if c.pack == next.pack {
                next.shapes = std::mem::take(&mut c.shapes);
                next.shapes.remove(&Layer::Perimeter);
            }
            *c = next;
        }
        self.flows.clear();
        self.materialise(engine);
        Ok(())
    }

    /// Reloads if the store's catalog changed since the engine was loaded (a dataset
    /// imported by `echelle import` while serving, say); true if it reloaded.
    pub async fn reload_if_changed(&self) -> Result<bool, ApiError> {
        let now = fingerprint(&self.store()?)?;
        if now == self.current.read().expect("engine lock").fingerprint {
            return Ok(false);
        }
        tracing::info!("the store changed: reloading the engine");
        self.reload().await?;
        Ok(true)
    }

    /// Waits until the values of the current engine are materialised.
    pub async fn ready(&self) {
        while self.engine_and_values().1.is_none() {
            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        }
    }

    fn materialise(&self, engine: Arc<Engine>) {
        let current = self.current.clone();
        self.work.spawn(async move {
            match Materialised::build(&engine).await {
                Ok(values) => {
                    tracing::info!(
                        territories = values.territories,
                        pairs = values.pairs,
                        seconds = values.seconds,
                        "indicator values materialised"
                    );
                    let mut c = current.write().expect("engine lock");
                    // A reload in the meantime made these values stale: drop them.
                    if Arc::ptr_eq(&c.engine, &engine) {
                        c.values = Some(Arc::new(values));
                    }
                }
                Err(e) => {
                    tracing::error!(error = %e, "materialising indicator values failed; serving from the engine");
                    let mut c = current.write().expect("engine lock");
                    if Arc::ptr_eq(&c.engine, &engine) {
                        c.values = Some(Arc::new(Materialised::empty()));
                    }
                }
            }
        });
    }
}
