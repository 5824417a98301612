//! The register in the store: one Parquet dataset written through the store's atomic
//! import, so that an inventory is replaced whole or not at all.
//!
//! One row per record, `record` saying which: `observation` (an establishment seen on
//! a date) or `event` (a step of a project, the project's attributes repeated).

use std::collections::BTreeMap;
use std::sync::Arc;

use arrow::array::{Array, ArrayRef, AsArray, BooleanArray, Float64Array, Int64Array, RecordBatch, StringArray};
use arrow::datatypes::{DataType, Field, Float64Type, Int64Type, Schema};
use echelle_store::{Dataset, DatasetLevel, DatasetMeta, Provenance, Store};

use crate::RetailError;
use crate::date::Date;
use crate::register::*;

/// The dataset id an inventory is stored under unless told otherwise.
pub const DEFAULT_ID: &str = "commerce";

const TEXT: &[&str] = &[
    "record",
    "id",
    "observed",
    "source",
    "siret",
    "name",
    "brand",
    "address",
    "commune",
    "category",
    "guessed_from",
    "naf",
    "zone",
    "opened",
    "closed",
    "establishment",
    "nature",
    "date",
    "event",
];
const FLOAT: &[&str] =
    &["lon", "lat", "centre_lon", "centre_lat", "area_indoor", "area_outdoor", "area_requested", "area"];
const INT: &[&str] = &["votes_for", "votes_against", "votes_abstaining"];
const BOOL: &[&str] = &["in_mall", "artificialises", "favourable"];

fn schema() -> Arc<Schema> {
    let mut fields: Vec<Field> = TEXT.iter().map(|n| Field::new(*n, DataType::Utf8, true)).collect();
    fields.extend(FLOAT.iter().map(|n| Field::new(*n, DataType::Float64, true)));
    fields.extend(INT.iter().map(|n| Field::new(*n, DataType::Int64, true)));
    fields.extend(BOOL.iter().map(|n| Field::new(*n, DataType::Boolean, true)));
    Arc::new(Schema::new(fields))
}

#[derive(Default)]
struct Row {
    text: BTreeMap<&'static str, String>,
    float: BTreeMap<&'static str, f64>,
    int: BTreeMap<&'static str, i64>,
    bool: BTreeMap<&'static str, bool>,
}

impl Row {
    fn t(&mut self, k: &'static str, v: impl ToString) {
        self.text.insert(k, v.to_string());
    }
    fn ot(&mut self, k: &'static str, v: Option<impl ToString>) {
        if let Some(v) = v {
            self.t(k, v);
        }
    }
    fn f(&mut self, k: &'static str, v: Option<f64>) {
        if let Some(v) = v {
            self.float.insert(k, v);
        }
    }
}

/// The register as a record batch.
pub fn to_batch(reg: &Register) -> RecordBatch {
    let mut rows = Vec::new();
    for o in &reg.observations {
        let mut r = Row::default();
        r.t("record", "observation");
        r.t("id", &o.establishment);
        r.t("observed", o.observed);
        r.t("source", &o.source);
        r.ot("siret", o.siret.as_ref());
        r.t("name", &o.name);
        r.ot("brand", o.brand.as_ref());
        r.ot("address", o.address.as_ref());
        r.t("commune", &o.commune);
        r.t("category", &o.category);
        r.ot("guessed_from", o.guessed_from.as_ref());
        r.ot("naf", o.naf.as_ref());
        r.ot("zone", o.zone.as_ref());
        r.ot("opened", o.opened);
        r.ot("closed", o.closed);
        r.f("lon", o.position.map(|p| p.0));
        r.f("lat", o.position.map(|p| p.1));
        r.f("centre_lon", o.centre.map(|p| p.0));
        r.f("centre_lat", o.centre.map(|p| p.1));
        r.f("area_indoor", Some(o.area_indoor));
        r.f("area_outdoor", Some(o.area_outdoor));
        r.bool.insert("in_mall", o.in_mall);
        rows.push(r);
    }
    for p in &reg.projects {
        for e in &p.events {
            let mut r = Row::default();
            r.t("record", "event");
            r.t("id", &p.id);
            r.ot("establishment", p.establishment.as_ref());
            r.t("name", &p.name);
            r.t("commune", &p.commune);
            r.t("nature", p.nature.key());
            r.ot("zone", p.zone.as_ref());
            r.f("area_requested", Some(p.area_requested));
            r.bool.insert("artificialises", p.artificialises);
            r.t("date", e.date);
            r.t("event", e.kind.key());
            if let Some(f) = e.favourable {
                r.bool.insert("favourable", f);
            }
            for (k, v) in [
                ("votes_for", e.votes_for),
                ("votes_against", e.votes_against),
                ("votes_abstaining", e.votes_abstaining),
            ] {
                if let Some(v) = v {
                    r.int.insert(k, v as i64);
                }
            }
            r.f("area", e.area);
            rows.push(r);
        }
    }
    if let Some(c) = &reg.coverage {
        let mut r = Row::default();
        r.t("record", "coverage");
        r.t("id", c);
        rows.push(r);
    }
    let mut cols: Vec<ArrayRef> = Vec::new();
    for k in TEXT {
        cols.push(Arc::new(StringArray::from(rows.iter().map(|r| r.text.get(k).cloned()).collect::<Vec<_>>())));
    }
    for k in FLOAT {
        cols.push(Arc::new(Float64Array::from(rows.iter().map(|r| r.float.get(k).copied()).collect::<Vec<_>>())));
    }
    for k in INT {
        cols.push(Arc::new(Int64Array::from(rows.iter().map(|r| r.int.get(k).copied()).collect::<Vec<_>>())));
    }
    for k in BOOL {
        cols.push(Arc::new(BooleanArray::from(rows.iter().map(|r| r.bool.get(k).copied()).collect::<Vec<_>>())));
    }
    RecordBatch::try_new(schema(), cols).expect("columns match the schema")
}

/// The register back from a record batch.
pub fn from_batch(b: &RecordBatch) -> Result<Register, String> {
    let col = |n: &str| b.column_by_name(n).ok_or(format!("column {n}"));
    let text = |n: &str, k: usize| -> Result<Option<String>, String> {
        let c = col(n)?.as_string_opt::<i32>().ok_or(format!("column {n}"))?;
        Ok((!c.is_null(k)).then(|| c.value(k).to_string()))
    };
    let float = |n: &str, k: usize| -> Result<Option<f64>, String> {
        let c = col(n)?.as_primitive_opt::<Float64Type>().ok_or(format!("column {n}"))?;
        Ok((!c.is_null(k)).then(|| c.value(k)))
    };
    let int = |n: &str, k: usize| -> Result<Option<u32>, String> {
        let c = col(n)?.as_primitive_opt::<Int64Type>().ok_or(format!("column {n}"))?;
        Ok((!c.is_null(k)).then(|| c.value(k) as u32))
    };
    let boolean = |n: &str, k: usize| -> Result<Option<bool>, String> {
        let c = col(n)?.as_boolean_opt().ok_or(format!("column {n}"))?;
        Ok((!c.is_null(k)).then(|| c.value(k)))
    };
    let need = |v: Option<String>, n: &str, k: usize| v.ok_or(format!("row {k}: {n} missing"));
    let date = |v: Option<String>, k: usize| -> Result<Option<Date>, String> {
        v.map(|s| Date::parse(&s).ok_or(format!("row {k}: bad date {s}"))).transpose()
    };
    let mut reg = Register::default();
    let mut projects: BTreeMap<String, Project> = BTreeMap::new();
    for k in 0..b.num_rows() {
        match need(text("record", k)?, "record", k)?.as_str() {
            "observation" => {
                let pair =
                    |x: &str, y: &str| -> Result<Option<(f64, f64)>, String> { Ok(float(x, k)?.zip(float(y, k)?)) };
                reg.observations.push(Observation {
                    establishment: need(text("id", k)?, "id", k)?,
                    observed: date(text("observed", k)?, k)?.ok_or(format!("row {k}: observed missing"))?,
                    source: text("source", k)?.unwrap_or_default(),
                    siret: text("siret", k)?,
                    name: need(text("name", k)?, "name", k)?,
                    brand: text("brand", k)?,
                    address: text("address", k)?,
                    commune: need(text("commune", k)?, "commune", k)?,
                    position: pair("lon", "lat")?,
                    centre: pair("centre_lon", "centre_lat")?,
                    area_indoor: float("area_indoor", k)?.unwrap_or(0.0),
                    area_outdoor: float("area_outdoor", k)?.unwrap_or(0.0),
                    category: need(text("category", k)?, "category", k)?,
                    guessed_from: text("guessed_from", k)?,
                    naf: text("naf", k)?,
                    zone: text("zone", k)?,
                    in_mall: boolean("in_mall", k)?.unwrap_or(false),
                    opened: date(text("opened", k)?, k)?,
                    closed: date(text("closed", k)?, k)?,
                });
            }
            "event" => {
                let id = need(text("id", k)?, "id", k)?;
                let kind = need(text("event", k)?, "event", k)?;
                let event = Event {
                    date: date(text("date", k)?, k)?.ok_or(format!("row {k}: date missing"))?,
                    kind: EventKind::parse(&kind).ok_or(format!("row {k}: event {kind}"))?,
                    favourable: boolean("favourable", k)?,
                    votes_for: int("votes_for", k)?,
                    votes_against: int("votes_against", k)?,
                    votes_abstaining: int("votes_abstaining", k)?,
                    area: float("area", k)?,
                };
                if !projects.contains_key(&id) {
                    let nature = need(text("nature", k)?, "nature", k)?;
                    projects.insert(
                        id.clone(),
                        Project {
                            id: id.clone(),
                            establishment: text("establishment", k)?,
                            name: text("name", k)?.unwrap_or_default(),
                            commune: need(text("commune", k)?, "commune", k)?,
                            nature: Nature::parse(&nature).ok_or(format!("row {k}: nature {nature}"))?,
                            area_requested: float("area_requested", k)?.unwrap_or(0.0),
                            artificialises: boolean("artificialises", k)?.unwrap_or(false),
                            zone: text("zone", k)?,
                            events: Vec::new(),
                        },
                    );
                }
                projects.get_mut(&id).expect("inserted above").events.push(event);
            }
            "coverage" => reg.coverage = Some(need(text("id", k)?, "id", k)?),
            other => return Err(format!("row {k}: unknown record '{other}'")),
        }
    }
    reg.projects = projects.into_values().collect();
    Ok(reg)
}

/// What the store says of an inventory.
#[derive(Debug, Clone)]
pub struct InventoryMeta {
    /// Dataset id ([`DEFAULT_ID`] by default).
    pub id: String,
    /// Title.
    pub title: String,
    /// Who published it.
    pub source: String,
    /// Its vintage (the latest observation's year).
    pub vintage: String,
    /// Generated, not observed.
    pub synthetic: bool,
}

/// Writes the register as one dataset, atomically (the catalog row is the commit).
pub fn save(store: &Store, reg: &Register, meta: &InventoryMeta) -> Result<Dataset, RetailError> {
    let batch = to_batch(reg);
    let mut imp = store.begin_import(&meta.id, batch.schema())?;
    imp.write(&batch)?;
    Ok(imp.commit(DatasetMeta {
        id: meta.id.clone(),
        title: meta.title.clone(),
        level: DatasetLevel::Table,
        key_column: "commune".into(),
        source: meta.source.clone(),
        vintage: meta.vintage.clone(),
        geography: String::new(),
        synthetic: meta.synthetic,
        secrecy: None,
    })?)
}

/// Whether the store holds an inventory under `id`.
pub fn exists(store: &Store, id: &str) -> bool {
    store.catalog().dataset(id).is_ok()
}

/// Reads the inventory stored as dataset `id`, with its provenance (unit: m² of sales area).
pub fn load(store: &Store, id: &str) -> Result<(Register, Provenance), RetailError> {
    let d = store.catalog().dataset(id).map_err(|e| match e {
        echelle_store::StoreError::UnknownDataset(_) => RetailError::Usage(format!(
            "pas d'inventaire du commerce « {id} » dans le magasin : importez-en un (echelle retail import) ou générez-en un SYNTHÉTIQUE (echelle retail synth)"
        )),
        other => other.into(),
    })?;
    let path = store.root().join(&d.path);
    let batch = echelle_store::read_parquet(&path)?;
    let reg = from_batch(&batch)
        .map_err(|m| RetailError::Store(echelle_store::StoreError::Parquet { path: path.clone(), message: m }))?;
    Ok((reg, Provenance::of(&d).with_unit("m² de surface de vente")))
}

/// The latest date a register speaks of (observations and events): the default date of questions.
pub fn latest_date(reg: &Register) -> Option<Date> {
    let o = reg.observations.iter().map(|o| o.observed);
    let e = reg.projects.iter().flat_map(|p| p.events.iter().map(|e| e.date));
    o.chain(e).max()
}

/// Commune centres and point location from the pack's contours.
pub struct Contours {
    centres: std::collections::HashMap<String, (f64, f64)>,
    shapes: Vec<(String, geo::Rect<f64>, geo::MultiPolygon<f64>)>,
}

impl Contours {
    /// Reads the pack's contours (all France: a few seconds).
    pub fn read(store: &Store) -> Result<Contours, RetailError> {
        use geo::{BoundingRect, Centroid};
        let contours = echelle_store::contours::read_contours(&store.pack_dir()?)?;
        let mut centres = std::collections::HashMap::new();
        let mut shapes = Vec::new();
        for c in contours {
            if let Some(p) = c.shape.centroid() {
                centres.insert(c.code.clone(), (p.x(), p.y()));
            }
            if let Some(r) = c.shape.bounding_rect() {
                shapes.push((c.code, r, c.shape));
            }
        }
        Ok(Contours { centres, shapes })
    }

    /// The centres alone.
    pub fn centres(&self) -> &std::collections::HashMap<String, (f64, f64)> {
        &self.centres
    }
}

impl crate::import::Places for Contours {
    fn centre(&self, commune: &str) -> Option<(f64, f64)> {
        self.centres.get(commune).copied()
    }
    fn locate(&self, lon: f64, lat: f64) -> Option<String> {
        use geo::Contains;
        let p = geo::Point::new(lon, lat);
        self.shapes
            .iter()
            .find(|(_, r, s)| {
                r.min().x <= lon && lon <= r.max().x && r.min().y <= lat && lat <= r.max().y && s.contains(&p)
            })
            .map(|(code, _, _)| code.clone())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_register_survives_the_batch() {
        let o = Observation {
            establishment: "A".into(),
            observed: Date::parse("2020-01-01").unwrap(),
            source: "CCI".into(),
            siret: Some("12345678900011".into()),
            name: "Super A".into(),
            brand: Some("Marque".into()),
            address: None,
            commune: "62119".into(),
            position: Some((2.63, 50.53)),
            centre: Some((2.64, 50.52)),
            area_indoor: 1500.0,
            area_outdoor: 100.5,
            category: "food".into(),
            guessed_from: Some("nsi".into()),
            naf: Some("47.11F".into()),
            zone: Some("ZAC".into()),
            in_mall: false,
            opened: Date::parse("2001-03-04"),
            closed: None,
        };
        let p = Project {
            id: "P1".into(),
            establishment: Some("A".into()),
            name: "Extension A".into(),
            commune: "62119".into(),
            nature: Nature::Extension,
            area_requested: 1200.0,
            artificialises: true,
            zone: None,
            events: vec![
                Event {
                    date: Date::parse("2021-01-01").unwrap(),
                    kind: EventKind::Filing,
                    favourable: None,
                    votes_for: None,
                    votes_against: None,
                    votes_abstaining: None,
                    area: None,
                },
                Event {
                    date: Date::parse("2021-05-01").unwrap(),
                    kind: EventKind::CdacVote,
                    favourable: Some(true),
                    votes_for: Some(6),
                    votes_against: Some(2),
                    votes_abstaining: Some(1),
                    area: Some(1000.0),
                },
            ],
        };
        let reg =
            Register { observations: vec![o], projects: vec![p], coverage: Some("per:aire-urbaine-centrale".into()) };
        assert_eq!(from_batch(&to_batch(&reg)).unwrap(), reg);
    }
}
