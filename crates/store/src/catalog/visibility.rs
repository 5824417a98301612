//! Who may see each dataset and user perimeter: one row per non-public object
//! (owner, level), one per organisation it is shared with. An object without a row
//! is public, so catalogs written before visibility existed keep meaning the same.
//!
//! Schema: migration step 2 (`migrations.rs`).

use std::collections::BTreeSet;

use echelle_platform::{Visibilities, Visibility};

use super::{Catalog, Dataset, Value};
use crate::StoreError;

/// The kinds of catalog objects that carry a visibility.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ObjectKind {
    /// A dataset, by its id.
    Dataset,
    /// A user perimeter, by its id (shipped perimeters are public).
    Perimeter,
}

impl ObjectKind {
    fn as_str(self) -> &'static str {
        match self {
            ObjectKind::Dataset => "dataset",
            ObjectKind::Perimeter => "perimeter",
        }
    }
}

impl Catalog {
    /// The visibility of every non-public dataset and user perimeter, in one read.
    pub fn visibilities(&self) -> Result<Visibilities, StoreError> {
        let rows = self.db.query(
            "SELECT v.kind, v.id, v.level, v.owner, s.org FROM object_visibility v
             LEFT JOIN object_share s ON s.kind = v.kind AND s.id = v.id ORDER BY v.kind, v.id, s.org",
            &[],
        )?;
        let mut out = Visibilities::default();
        for row in rows {
            let [kind, id, level, owner, org]: [Value; 5] =
                row.try_into().map_err(|_| StoreError::Invalid("catalog: visibility row".into()))?;
            let (kind, id, level, owner) = (kind.text()?, id.text()?, level.text()?, owner.text()?);
            let org = match org {
                Value::Null => None,
                v => Some(v.text()?),
            };
            let map = match kind.as_str() {
                "dataset" => &mut out.datasets,
                "perimeter" => &mut out.perimeters,
                other => return Err(StoreError::Invalid(format!("catalog: unknown object kind '{other}'"))),
            };
            let v = map.entry(id).or_insert_with(|| match level.as_str() {
                "shared" => Visibility::Shared { owner: owner.clone(), with: Vec::new() },
                _ => Visibility::Private { owner: owner.clone() },
            });
            if let (Visibility::Shared { with, .. }, Some(org)) = (v, org) {
                with.push(org);
            }
        }
        Ok(out)
    }

    /// The visibility of one object (public when the catalog says nothing of it).
    pub fn visibility(&self, kind: ObjectKind, id: &str) -> Result<Visibility, StoreError> {
        let all = self.visibilities()?;
        Ok(match kind {
            ObjectKind::Dataset => all.dataset(id).clone(),
            ObjectKind::Perimeter => all.perimeter(id).clone(),
        })
    }

    /// Gives an existing dataset or user perimeter this visibility, in one transaction
    /// (the catalog's version moves, so that a server reads it again at once).
    pub fn set_visibility(&self, kind: ObjectKind, id: &str, visibility: &Visibility) -> Result<(), StoreError> {
        self.write(|| {
            let sql = match kind {
                ObjectKind::Dataset => "SELECT COUNT(*) FROM dataset WHERE id = $1",
                ObjectKind::Perimeter => "SELECT COUNT(*) FROM perimeter WHERE id = $1",
            };
            let rows = self.db.query(sql, &[id.into()])?;
            if rows.first().map(|r| r[0].int()).transpose()?.unwrap_or(0) == 0 {
                return Err(match kind {
                    ObjectKind::Dataset => StoreError::UnknownDataset(id.into()),
                    ObjectKind::Perimeter => StoreError::UnknownPerimeter(id.into()),
                });
            }
            self.write_visibility(kind, id, visibility)?;
            self.bump()
        })
    }

    /// Writes the visibility of an object about to be added (a perimeter saved next):
    /// it holds from the moment the object exists. No check that it exists.
    pub fn declare_visibility(&self, kind: ObjectKind, id: &str, visibility: &Visibility) -> Result<(), StoreError> {
        self.write(|| self.write_visibility(kind, id, visibility))
    }

    /// Registers (or replaces) a dataset with its visibility, in one transaction: a
    /// private dataset is never seen public, not even for a moment.
    pub fn register_with_visibility(&self, dataset: &Dataset, visibility: &Visibility) -> Result<(), StoreError> {
        self.write(|| {
            self.insert_dataset(dataset)?;
            self.write_visibility(ObjectKind::Dataset, &dataset.id, visibility)?;
            self.bump()
        })
    }

    /// This catalog as seen by someone who may not see the datasets `hidden`:
    /// [`Catalog::datasets`] and [`Catalog::dataset`] answer as if they did not exist.
    /// For reading only (an import through it would sweep their files).
    pub fn hiding(mut self, hidden: BTreeSet<String>) -> Catalog {
        self.hidden = hidden;
        self
    }

    /// Whether [`Catalog::hiding`] hides datasets.
    pub(crate) fn hides(&self) -> bool {
        !self.hidden.is_empty()
    }

    /// Writes the visibility of one object inside the caller's transaction (public: no row).
    pub(super) fn write_visibility(
        &self,
        kind: ObjectKind,
        id: &str,
        visibility: &Visibility,
    ) -> Result<(), StoreError> {
        let k = kind.as_str();
        self.db.execute("DELETE FROM object_visibility WHERE kind = $1 AND id = $2", &[k.into(), id.into()])?;
        self.db.execute("DELETE FROM object_share WHERE kind = $1 AND id = $2", &[k.into(), id.into()])?;
        if let Some(owner) = visibility.owner() {
            self.db.execute(
                "INSERT INTO object_visibility (kind, id, level, owner) VALUES ($1, $2, $3, $4)",
                &[k.into(), id.into(), visibility.level().into(), owner.into()],
            )?;
        }
        if let Visibility::Shared { with, .. } = visibility {
            for org in with {
                self.db.execute(
                    "INSERT INTO object_share (kind, id, org) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING",
                    &[k.into(), id.into(), org.as_str().into()],
                )?;
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::DatasetLevel;

    fn dataset(id: &str) -> Dataset {
        Dataset {
            id: id.into(),
            title: id.into(),
            level: DatasetLevel::Commune,
            key_column: "code".into(),
            path: format!("datasets/{id}.parquet"),
            source: "test".into(),
            vintage: "2026".into(),
            geography: "2026".into(),
            rows: 1,
            checksum: "0".into(),
            synthetic: true,
            secrecy: None,
        }
    }

    #[test]
    fn visibility_is_stored_changed_and_hides_datasets() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("catalog.sqlite");
        let c = Catalog::open(&path).unwrap();
        c.register(&dataset("communes")).unwrap();
        let private = Visibility::Private { owner: "cci".into() };
        c.register_with_visibility(&dataset("commerce"), &private).unwrap();
        assert_eq!(c.visibility(ObjectKind::Dataset, "commerce").unwrap(), private);
        assert_eq!(c.visibility(ObjectKind::Dataset, "communes").unwrap(), Visibility::Public);
        let shared = Visibility::Shared { owner: "cci".into(), with: vec!["dep59".into(), "dep62".into()] };
        let before = c.version().unwrap();
        c.set_visibility(ObjectKind::Dataset, "commerce", &shared).unwrap();
        assert_eq!(c.version().unwrap(), before + 1);
        assert_eq!(Catalog::open(&path).unwrap().visibilities().unwrap().dataset("commerce"), &shared);
        assert!(matches!(
            c.set_visibility(ObjectKind::Perimeter, "nowhere", &private),
            Err(StoreError::UnknownPerimeter(_))
        ));
        let seen = Catalog::open(&path).unwrap().hiding(["commerce".to_string()].into());
        assert_eq!(seen.datasets().unwrap().len(), 1);
        assert!(matches!(seen.dataset("commerce"), Err(StoreError::UnknownDataset(_))));
        c.set_visibility(ObjectKind::Dataset, "commerce", &Visibility::Public).unwrap();
        assert!(c.visibilities().unwrap().datasets.is_empty(), "public: no row");
    }
}
