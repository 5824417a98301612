//! What the viewer of a request may see, as every handler applies it.
//!
//! ```text
//!  request ─ Viewer ─┐
//!  snapshot ─ visibilities, engine ─┴─ Viewer::hidden (echelle_platform) ─> View
//!  View: the referential without the hidden perimeters (resolve, search, lists),
//!        the indicators shown, the datasets shown, the store hiding the others
//! ```
//!
//! Nothing is decided here: [`echelle_platform::Viewer::hidden`] says what is hidden,
//! and the view answers for a hidden object exactly what is answered for one that
//! does not exist (a perimeter is not in the referential, an indicator is not
//! declared, a dataset is not in the catalog).

use std::collections::BTreeSet;
use std::sync::Arc;

use echelle_indicators::{Engine, IndicatorDef};
use echelle_platform::{Hidden, IndicatorReads, Viewer, Visibilities, Visibility};
use echelle_referential::{Layer, Referential, TerritoryRef};
use echelle_store::Store;

use crate::values::Materialised;
use crate::{ApiError, AppState};

/// Who asks, and from where (the client's address, for the audit log): the extractor
/// of every handler that serves catalog objects. A request never identified is a
/// public visitor's (fail closed).
pub struct Asker(pub Viewer, pub String);

impl<S: Send + Sync> axum::extract::FromRequestParts<S> for Asker {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut axum::http::request::Parts, _state: &S) -> Result<Self, ApiError> {
        let viewer = parts.extensions.get::<Viewer>().cloned().unwrap_or(Viewer::Public);
        Ok(Asker(viewer, crate::auth::client_of(&parts.extensions)))
    }
}

/// Restricted referentials kept per snapshot; beyond, the cache starts again.
const MAX_VIEWS: usize = 32;

/// One request's view of the catalog: one snapshot's engine and values, and what
/// the viewer may not see in it.
pub struct View {
    /// Who asks.
    pub viewer: Viewer,
    /// The engine of the snapshot the view was taken from.
    pub engine: Arc<Engine>,
    /// Its materialised values (`None` during the first warm-up).
    pub values: Option<Arc<Materialised>>,
    /// What the viewer may not see.
    pub hidden: Arc<Hidden>,
    /// The referential without the hidden perimeters (the engine's own when none is).
    pub referential: Arc<Referential>,
    visibilities: Arc<Visibilities>,
    /// Where the request comes from, and the accounts whose audit log records reads of
    /// non-public datasets (`None`: nothing to record, as for a view without a request).
    audit: Option<(String, Arc<crate::auth::Gate>)>,
}

impl AppState {
    /// What the asker of a request may see of the current snapshot; its reads of
    /// non-public datasets go to the audit log.
    pub fn view_of(&self, asker: &Asker) -> View {
        let mut view = self.view(&asker.0);
        view.audit = Some((asker.1.clone(), self.gate().clone()));
        view
    }

    /// The user perimeters `viewer` may not see (all a perimeter tile needs, without
    /// the rest of a [`View`]).
    pub fn hidden_perimeters(&self, viewer: &Viewer) -> BTreeSet<String> {
        if viewer.is_admin() {
            return BTreeSet::new();
        }
        viewer.hidden_perimeters(&self.visibility_parts().2)
    }

    /// What `viewer` may see of the current snapshot.
    pub fn view(&self, viewer: &Viewer) -> View {
        let (engine, values, visibilities, views) = self.visibility_parts();
        let reads = engine.indicators().iter().map(|d| IndicatorReads {
            id: &d.id,
            datasets: vec![d.dataset.as_str()],
            declared: d.visibility.as_ref(),
        });
        let hidden = viewer.hidden(&visibilities, reads);
        let referential = if hidden.perimeters.is_empty() {
            engine.referential().clone()
        } else {
            let mut views = views.lock().unwrap_or_else(|p| p.into_inner());
            match views.get(&hidden.perimeters) {
                Some(r) => r.clone(),
                None => {
                    let r = Arc::new(engine.referential().without_perimeters(&hidden.perimeters));
                    if views.len() >= MAX_VIEWS {
                        views.clear();
                    }
                    views.insert(hidden.perimeters.clone(), r.clone());
                    r
                }
            }
        };
        View {
            viewer: viewer.clone(),
            engine,
            values,
            hidden: Arc::new(hidden),
            referential,
            visibilities,
            audit: None,
        }
    }
}

impl View {
    /// Whether the viewer may see the territory (a perimeter it may not see is not one).
    pub fn shows_territory(&self, t: &TerritoryRef) -> bool {
        t.layer != Layer::Perimeter || !self.hidden.perimeters.contains(&t.code)
    }

    /// Whether the viewer may see the territory of this key (`per:zone`, `com:59350`).
    pub fn shows_key(&self, key: &str) -> bool {
        match key.split_once(':') {
            Some((prefix, code)) if prefix == Layer::Perimeter.prefix() => {
                !self.hidden.perimeters.contains(code.split('!').next().unwrap_or(code))
            }
            _ => true,
        }
    }

    /// Whether the viewer may see the indicator.
    pub fn shows_indicator(&self, id: &str) -> bool {
        !self.hidden.indicators.contains(id)
    }

    /// Whether the viewer may see the dataset.
    pub fn shows_dataset(&self, id: &str) -> bool {
        !self.hidden.datasets.contains(id)
    }

    /// The declaration of an indicator the viewer may see; one it may not see is an
    /// error exactly like an undeclared one.
    pub fn indicator<'a>(&self, engine: &'a Engine, id: &str) -> Result<&'a IndicatorDef, ApiError> {
        Ok(engine.indicator_among(id, |d| self.shows_indicator(&d.id))?)
    }

    /// Checks every indicator id asked for: each must be one the viewer may see.
    pub fn check_indicators(&self, ids: &[&str]) -> Result<(), ApiError> {
        for id in ids {
            self.indicator(&self.engine, id)?;
        }
        Ok(())
    }

    /// The indicators shown by default in portraits, among those the viewer may see.
    pub fn key_indicators(&self) -> Vec<&str> {
        self.engine.key_indicators().into_iter().filter(|id| self.shows_indicator(id)).collect()
    }

    /// The visibility of the dataset an indicator reads, as the platform computes it
    /// for the indicator, to badge it.
    pub fn indicator_visibility(&self, d: &IndicatorDef) -> Visibility {
        echelle_platform::indicator_visibility(d.visibility.as_ref(), [self.visibilities.dataset(&d.dataset)])
    }

    /// The visibility of a user perimeter (public for a shipped one).
    pub fn perimeter_visibility(&self, id: &str) -> &Visibility {
        self.visibilities.perimeter(id)
    }

    /// The visibility of a dataset.
    pub fn dataset_visibility(&self, id: &str) -> &Visibility {
        self.visibilities.dataset(id)
    }

    /// The store opened for this viewer: its catalog answers as if the hidden
    /// datasets did not exist (flows, incomes, retail, guarantees, third places).
    pub fn store(&self, state: &AppState) -> Result<Store, ApiError> {
        let store = state.store()?;
        Ok(if self.hidden.datasets.is_empty() { store } else { store.hiding(self.hidden.datasets.clone()) })
    }

    /// Records in the audit log that the viewer read this dataset, if it is not public.
    pub fn read_dataset(&self, id: &str, what: &str) {
        if *self.visibilities.dataset(id) == Visibility::Public {
            return;
        }
        if let Some((from, gate)) = &self.audit {
            // Written beside the answer, not before it: a read is recorded even if the
            // client leaves.
            let (gate, viewer, from, id, what) =
                (gate.clone(), self.viewer.clone(), from.clone(), id.to_string(), what.to_string());
            tokio::spawn(async move { gate.record(&viewer, &from, echelle_platform::Action::Read, &id, &what).await });
        }
    }

    /// Records the reads of the non-public datasets of these indicators (each once).
    pub fn read_indicators<'a>(&self, ids: impl IntoIterator<Item = &'a str>, what: &str) {
        let datasets: BTreeSet<&str> = ids
            .into_iter()
            .filter_map(|id| self.engine.indicator(id).ok())
            .map(|d| d.dataset.as_str())
            .filter(|d| *self.visibilities.dataset(d) != Visibility::Public)
            .collect();
        for d in datasets {
            self.read_dataset(d, what);
        }
    }

    /// The hidden perimeter ids (for a tile cache key).
    pub fn hidden_perimeters(&self) -> &BTreeSet<String> {
        &self.hidden.perimeters
    }
}
