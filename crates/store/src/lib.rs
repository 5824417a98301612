//! The embedded store: one folder that holds everything an observatory knows.
//!
//! ```text
//! <store>/
//!   catalog.sqlite        datasets (source, vintage, rows, checksum), user perimeters,
//!                         and which pack is current
//!   catalog.toml          (optional) `[postgres] url, schema`: the catalog lives in that
//!                         PostgreSQL schema instead, shared by several servers
//!   accounts.sqlite       accounts, sessions, API tokens, audit log (echelle-platform);
//!                         in the catalog's PostgreSQL schema when it is there
//!   pack-<checksum>/      the reference pack: Parquet tables of the territories
//!     communes.parquet    communes actuelles, attachments, populations, areas
//!     units.parquet       EPCI, arrondissements, départements, régions
//!     sub_communes.parquet, former_codes.parquet, iris.parquet, contours.parquet
//!     build-report.txt    what the build could not reconcile, and why
//! ```
//!
//! Writes go aside first and become visible in one catalog transaction, so a killed
//! process leaves the store as it was before or as it is after, never in between.
//! The Parquet files stay in the folder whichever database holds the catalog.

mod catalog;
mod chunk;
pub mod contours;
pub mod dictionary;
mod error;
mod import;
mod load;
pub mod pack;
mod provenance;
mod release;
pub mod shapes;
mod table;
pub mod testing;
mod text_column;

use std::path::{Path, PathBuf};

pub use catalog::{
    AttachmentInfo, CHANNEL, CaseFilter, Catalog, Changes, Connections, Dataset, DatasetLevel, NewAttachment,
    ObjectKind, Outgoing, PostgresAccounts, PostgresLocation, SENDING_LEASE, Saved, Stepped, StoredCase, StoredStudy,
    VersionInfo, publish,
};
pub use contours::{CommuneContour, commune_centres, read_contours};
pub use echelle_platform::SecrecyRule;
pub use error::StoreError;
pub use import::{DATASETS_DIR, DatasetImport, DatasetMeta};
pub use provenance::{Provenance, SYNTHETIC_LABEL};
pub use table::{read_parquet, sha256_file, write_parquet_atomic};

use echelle_referential::{PerimeterDef, Referential};

/// Perimeters shipped with echelle (METHODS.md §1), compiled in; users' own live in
/// the catalog.
pub const SHIPPED_PERIMETERS: &[(&str, &str)] = &[
    ("data/perimeters/aire-urbaine-centrale.toml", include_str!("../../../data/perimeters/aire-urbaine-centrale.toml")),
    ("data/perimeters/aml.toml", include_str!("../../../data/perimeters/aml.toml")),
    ("data/perimeters/bassin-minier.toml", include_str!("../../../data/perimeters/bassin-minier.toml")),
    ("data/perimeters/mel.toml", include_str!("../../../data/perimeters/mel.toml")),
    (
        "data/perimeters/pole-metropolitain-artois.toml",
        include_str!("../../../data/perimeters/pole-metropolitain-artois.toml"),
    ),
    (
        "data/perimeters/hauts-de-france-hors-aml.toml",
        include_str!("../../../data/perimeters/hauts-de-france-hors-aml.toml"),
    ),
    // The SCoT of the Aire métropolitaine de Lille (issue 14), to confirm.
    ("data/perimeters/scot-lille-metropole.toml", include_str!("../../../data/perimeters/scot-lille-metropole.toml")),
    (
        "data/perimeters/scot-lens-lievin-henin-carvin.toml",
        include_str!("../../../data/perimeters/scot-lens-lievin-henin-carvin.toml"),
    ),
    ("data/perimeters/scot-artois.toml", include_str!("../../../data/perimeters/scot-artois.toml")),
    ("data/perimeters/scot-grand-douaisis.toml", include_str!("../../../data/perimeters/scot-grand-douaisis.toml")),
    ("data/perimeters/scot-valenciennois.toml", include_str!("../../../data/perimeters/scot-valenciennois.toml")),
    ("data/perimeters/scot-region-arras.toml", include_str!("../../../data/perimeters/scot-region-arras.toml")),
    ("data/perimeters/scot-cambresis.toml", include_str!("../../../data/perimeters/scot-cambresis.toml")),
    ("data/perimeters/scot-sambre-avesnois.toml", include_str!("../../../data/perimeters/scot-sambre-avesnois.toml")),
];

/// The file of a store folder that puts its catalog in PostgreSQL.
pub const CATALOG_CONFIG: &str = "catalog.toml";

/// An opened store folder.
pub struct Store {
    root: PathBuf,
    catalog: Catalog,
    /// The visibility datasets imported through this store get ([`Store::importing_as`]).
    import_visibility: Option<echelle_platform::Visibility>,
    /// Where the catalog is when it is in PostgreSQL (`catalog.toml`).
    postgres: Option<PostgresLocation>,
}

/// `catalog.toml`: where the catalog lives when it is not `catalog.sqlite`.
#[derive(serde::Deserialize, serde::Serialize)]
#[serde(deny_unknown_fields)]
struct CatalogConfig {
    postgres: PostgresLocation,
}

impl Store {
    /// Opens (and creates if needed) the store at `root`; its catalog is
    /// `catalog.sqlite`, or the PostgreSQL schema `catalog.toml` names.
    pub fn open(root: impl AsRef<Path>) -> Result<Self, StoreError> {
        Store::open_in(root, None)
    }

    /// Opens the store folder `root`, its PostgreSQL catalog (if any) on a connection of
    /// `connections`: for a process that opens the store again and again (the server).
    pub fn open_with(root: impl AsRef<Path>, connections: &Connections) -> Result<Self, StoreError> {
        Store::open_in(root, Some(connections))
    }

    fn open_in(root: impl AsRef<Path>, connections: Option<&Connections>) -> Result<Self, StoreError> {
        let root = root.as_ref().to_path_buf();
        std::fs::create_dir_all(&root).map_err(|e| StoreError::io(&root, e))?;
        let postgres = read_config(&root)?;
        let catalog = match (&postgres, connections) {
            (Some(location), Some(c)) => Catalog::open_postgres_with(location, c)?,
            (Some(location), None) => Catalog::open_postgres(location)?,
            (None, _) => Catalog::open(&root.join("catalog.sqlite"))?,
        };
        Ok(Store { root, catalog, import_visibility: None, postgres })
    }

    /// Where the catalog lives, when it is in PostgreSQL.
    pub fn postgres(&self) -> Option<&PostgresLocation> {
        self.postgres.as_ref()
    }

    /// The changes of the catalog committed by any process, as they happen (PostgreSQL);
    /// `None` for a SQLite catalog, whose changes are seen by polling its version.
    pub fn changes(&self) -> Result<Option<Changes>, StoreError> {
        self.postgres.as_ref().map(Changes::listen).transpose()
    }

    /// Moves the catalog into PostgreSQL at `location`: copies what it holds into that
    /// (empty) schema in one transaction, and the accounts of `accounts.sqlite` (the
    /// file stays, no longer read), then writes `catalog.toml` (aside, then renamed),
    /// from which every process opening the store uses it. `catalog.sqlite` stays as it
    /// was, no longer read.
    pub fn move_catalog(&self, location: &PostgresLocation) -> Result<(), StoreError> {
        if self.postgres.is_some() {
            return Err(StoreError::Invalid(format!(
                "le catalogue de {} est déjà dans PostgreSQL ({})",
                self.root.display(),
                CATALOG_CONFIG
            )));
        }
        let target = Catalog::open_postgres(location)?;
        self.catalog.copy_into(&target)?;
        let accounts = PostgresAccounts::open(location, &Connections::default())?;
        let local = echelle_platform::SqliteAccounts::in_store(&self.root);
        local.and_then(|local| catalog::copy_accounts(&local, &accounts)).map_err(|e| {
            StoreError::Postgres(format!(
                "comptes non copiés ({e}) : le catalogue reste dans {}, videz le schéma {} avant de recommencer",
                self.root.display(),
                location.schema
            ))
        })?;
        let text = format!(
            "# The catalog of this store is in PostgreSQL (echelle catalog move); the Parquet files stay here.\n{}",
            toml::to_string(&CatalogConfig { postgres: location.clone() })
                .map_err(|e| StoreError::Invalid(format!("{CATALOG_CONFIG}: {e}")))?
        );
        let path = self.root.join(CATALOG_CONFIG);
        let partial = self.root.join(format!(".{CATALOG_CONFIG}.partial"));
        std::fs::write(&partial, text).map_err(|e| StoreError::io(&partial, e))?;
        std::fs::rename(&partial, &path).map_err(|e| StoreError::io(&path, e))?;
        Ok(())
    }

    /// The same store, registering the datasets imported through it with this
    /// visibility, in the import's own catalog transaction.
    pub fn importing_as(mut self, visibility: echelle_platform::Visibility) -> Self {
        self.import_visibility = Some(visibility);
        self
    }

    /// The same store as seen by someone who may not see the datasets `hidden`: the
    /// catalog answers as if they did not exist. For reading only: imports refuse it.
    pub fn hiding(mut self, hidden: std::collections::BTreeSet<String>) -> Self {
        self.catalog = self.catalog.hiding(hidden);
        self
    }

    /// The default store: `$ECHELLE_STORE`, else `$XDG_DATA_HOME/echelle`, else
    /// `~/.local/share/echelle`.
    pub fn default_root() -> PathBuf {
        if let Some(p) = std::env::var_os("ECHELLE_STORE") {
            return PathBuf::from(p);
        }
        let data = std::env::var_os("XDG_DATA_HOME").map(PathBuf::from).unwrap_or_else(|| {
            PathBuf::from(std::env::var_os("HOME").unwrap_or_else(|| ".".into())).join(".local/share")
        });
        data.join("echelle")
    }

    /// The store's folder: paths in the catalog are relative to it.
    pub fn root(&self) -> &Path {
        &self.root
    }

    /// The catalog of datasets, packs and user perimeters.
    pub fn catalog(&self) -> &Catalog {
        &self.catalog
    }

    /// The folder of the current reference pack.
    pub fn pack_dir(&self) -> Result<PathBuf, StoreError> {
        let name = self.catalog.current_pack()?.ok_or(StoreError::NoPack(self.root.clone()))?;
        Ok(self.root.join(name))
    }

    /// Loads the territories of the current pack, with the shipped perimeters and the
    /// users' own.
    pub fn referential(&self) -> Result<Referential, StoreError> {
        let mut r = load::referential(&self.pack_dir()?)?;
        r.add_perimeters(self.perimeter_defs()?)?;
        Ok(r)
    }

    /// [`Store::referential`], and the Parquet files `files` decoded at the same time,
    /// each `Ok` or why not: what opening the indicator engine needs. A file of the
    /// pack among them (its communes and IRIS are datasets too) is decoded only once.
    pub fn referential_with_files(
        &self,
        files: &[PathBuf],
    ) -> Result<(Referential, Vec<Result<arrow::array::RecordBatch, StoreError>>), StoreError> {
        let (mut r, decoded) = load::referential_with(&self.pack_dir()?, files)?;
        r.add_perimeters(self.perimeter_defs()?)?;
        Ok((r, decoded))
    }

    /// The perimeter definitions: shipped ones first, then the users'.
    pub fn perimeter_defs(&self) -> Result<Vec<PerimeterDef>, StoreError> {
        let mut defs = shipped_defs()?;
        for (id, text) in self.catalog.user_perimeters()? {
            defs.push(user_def(&id, &text)?);
        }
        Ok(defs)
    }

    /// The municipal populations published with the EPCI (DGCL file), by SIREN.
    pub fn published_populations(&self) -> Result<std::collections::HashMap<String, u64>, StoreError> {
        use arrow::array::AsArray;
        use arrow::datatypes::Int64Type;
        let path = self.pack_dir()?.join("units.parquet");
        let batch = read_parquet(&path)?;
        let bad = || StoreError::Parquet { path: path.clone(), message: "unexpected units table".into() };
        let codes = batch.column_by_name("code").and_then(|c| c.as_string_opt::<i32>()).ok_or_else(bad)?;
        let pops = batch
            .column_by_name("population_published")
            .and_then(|c| c.as_primitive_opt::<Int64Type>())
            .ok_or_else(bad)?;
        Ok(codes.iter().zip(pops.iter()).filter_map(|(c, p)| Some((c?.to_string(), p? as u64))).collect())
    }

    /// Validates a user's perimeter against the referential and saves it (in place of
    /// the user perimeter of the same id if `replace`); nothing is written when it does
    /// not resolve, or when a perimeter that refers to the replaced one would not. Returns
    /// the referential with it, as [`Store::referential`] would load it now.
    pub fn add_perimeter(&self, def: PerimeterDef, replace: bool) -> Result<Referential, StoreError> {
        if replace && is_shipped(&def.id) {
            return Err(StoreError::Protected(format!(
                "perimeter '{}' is shipped with echelle and cannot be replaced",
                def.id
            )));
        }
        self.change_perimeters(Some(&def), |mut defs| {
            if replace {
                defs.retain(|(id, _)| *id != def.id);
            }
            defs.push((def.id.clone(), def.text.clone()));
            Ok(defs)
        })
    }

    /// [`Store::add_perimeter`] with the perimeter's visibility, which holds from the
    /// moment the perimeter exists; nothing changes when it is refused.
    pub fn add_perimeter_as(
        &self,
        def: PerimeterDef,
        replace: bool,
        visibility: &echelle_platform::Visibility,
    ) -> Result<Referential, StoreError> {
        let taken = self.catalog.user_perimeters()?.iter().any(|(id, _)| *id == def.id);
        if is_shipped(&def.id) || (taken && !replace) {
            // Refused as it would be without a visibility; the existing one's is kept.
            return self.add_perimeter(def, replace);
        }
        let before = self.catalog.visibility(ObjectKind::Perimeter, &def.id)?;
        self.catalog.declare_visibility(ObjectKind::Perimeter, &def.id, visibility)?;
        let id = def.id.clone();
        let added = self.add_perimeter(def, replace);
        if added.is_err() {
            self.catalog.declare_visibility(ObjectKind::Perimeter, &id, &before)?;
        }
        added
    }

    /// Removes a user's perimeter; refused for a shipped one and for one another
    /// perimeter refers to. Returns the referential without it, as
    /// [`Store::referential`] would load it now.
    pub fn remove_perimeter(&self, id: &str) -> Result<Referential, StoreError> {
        if is_shipped(id) {
            return Err(StoreError::Protected(format!(
                "perimeter '{id}' is shipped with echelle and cannot be removed"
            )));
        }
        let mut found = false;
        let removed = self.change_perimeters(None, |mut defs| {
            let before = defs.len();
            defs.retain(|(p, _)| p != id);
            found = defs.len() < before;
            if !found {
                return Err(StoreError::UnknownPerimeter(id.into()));
            }
            Ok(defs)
        });
        match removed {
            // What no longer resolves is a perimeter that refers to the one removed.
            Err(StoreError::Referential(e)) if found => {
                Err(StoreError::Protected(format!("perimeter '{id}' cannot be removed, another one refers to it: {e}")))
            }
            other => other,
        }
    }

    /// Rewrites the user perimeters as `change` says, in one catalog transaction, once
    /// the referential has resolved every perimeter as they will be (errors in `added`
    /// located in its own origin).
    fn change_perimeters(
        &self,
        added: Option<&PerimeterDef>,
        change: impl FnOnce(Vec<(String, String)>) -> Result<Vec<(String, String)>, StoreError>,
    ) -> Result<Referential, StoreError> {
        let mut checked = None;
        self.catalog.update_perimeters(|current| {
            let next = change(current)?;
            let mut r = load::referential(&self.pack_dir()?)?;
            let mut defs = shipped_defs()?;
            for (id, text) in &next {
                match added.filter(|d| d.id == *id && d.text == *text) {
                    Some(d) => defs.push(d.clone()),
                    None => defs.push(user_def(id, text)?),
                }
            }
            r.add_perimeters(defs)?;
            if let Some(d) = added {
                release::audit(self, &r, &d.id)?;
            }
            checked = Some(r);
            Ok(next)
        })?;
        Ok(checked.expect("resolved before the commit"))
    }
}

/// The account store of the store folder `root`: `accounts.sqlite` in the folder, or the
/// catalog's PostgreSQL schema when `catalog.toml` puts the catalog there (so that the
/// servers sharing the catalog share accounts and sessions too), on `connections`.
pub fn account_store(
    root: &Path,
    connections: &Connections,
) -> Result<std::sync::Arc<dyn echelle_platform::AccountStore>, echelle_platform::AccountError> {
    Ok(match read_config(root)? {
        Some(location) => std::sync::Arc::new(PostgresAccounts::open(&location, connections)?),
        None => std::sync::Arc::new(echelle_platform::SqliteAccounts::in_store(root)?),
    })
}

/// The PostgreSQL location `catalog.toml` names, if the store has one.
fn read_config(root: &Path) -> Result<Option<PostgresLocation>, StoreError> {
    let path = root.join(CATALOG_CONFIG);
    let text = match std::fs::read_to_string(&path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(StoreError::io(&path, e)),
    };
    let config: CatalogConfig = toml::from_str(&text).map_err(|e| {
        StoreError::source(&path, format!("attendu une table [postgres] avec url et schema : {}", e.message()))
    })?;
    config.postgres.check()?;
    Ok(Some(config.postgres))
}

fn shipped_defs() -> Result<Vec<PerimeterDef>, StoreError> {
    Ok(SHIPPED_PERIMETERS.iter().map(|(origin, text)| PerimeterDef::parse(origin, text)).collect::<Result<_, _>>()?)
}

fn user_def(id: &str, text: &str) -> Result<PerimeterDef, StoreError> {
    Ok(PerimeterDef::parse(&format!("perimeter '{id}' in the store"), text)?)
}

/// Whether `id` is one of the perimeters shipped with echelle.
pub fn is_shipped(id: &str) -> bool {
    SHIPPED_PERIMETERS.iter().any(|(_, t)| PerimeterDef::parse("", t).is_ok_and(|d| d.id == id))
}
