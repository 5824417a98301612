use std::path::{Path, PathBuf};
use std::sync::{Arc, RwLock};

use echelle_indicators::{Engine, EngineSource};
use echelle_store::Store;

use crate::ApiError;

/// What every handler sees: the store's location and the current engine.
#[derive(Clone)]
pub struct AppState {
    store: PathBuf,
    engine: Arc<RwLock<Arc<Engine>>>,
}

impl AppState {
    pub async fn open(store: &Path) -> Result<Self, ApiError> {
        let engine = Engine::open(&Store::open(store)?).await?;
        Ok(AppState { store: store.to_path_buf(), engine: Arc::new(RwLock::new(Arc::new(engine))) })
    }

    /// The engine as it is now; a request keeps the one it started with.
    pub fn engine(&self) -> Arc<Engine> {
        self.engine.read().expect("engine lock").clone()
    }

    pub fn store(&self) -> Result<Store, ApiError> {
        Ok(Store::open(&self.store)?)
    }

    /// Reloads the engine after the store changed (a perimeter was added).
    pub async fn reload(&self) -> Result<(), ApiError> {
        let source = EngineSource::read(&self.store()?)?;
        let engine = Engine::load(source).await?;
        *self.engine.write().expect("engine lock") = Arc::new(engine);
        Ok(())
    }
}
