//! The register in the store: one Parquet dataset (`level` table) written through the
//! store's atomic import, so a register is replaced whole or not at all.
//!
//! One row per record, `record` saying which: `garantie` (a guarantee with its loan's
//! terms repeated), `finances` (a guarantor's year), `echeance` (a payment of a given
//! schedule). Amounts in cents.

use std::sync::Arc;

use arrow::array::{Array, ArrayRef, AsArray, BooleanArray, Float64Array, Int64Array, RecordBatch, StringArray};
use arrow::datatypes::{DataType, Field, Float64Type, Int64Type, Schema};
use echelle_store::{Dataset, DatasetLevel, DatasetMeta, Provenance, Store};

use crate::GuaranteeError;
use crate::date::Date;
use crate::register::*;
use crate::schedule::Payment;

/// The dataset id a register is stored under unless told otherwise.
pub const DEFAULT_ID: &str = "garanties";

const TEXT: &[&str] = &[
    "record",
    "guarantor",
    "loan",
    "beneficiary",
    "siren",
    "category",
    "lender",
    "start",
    "frequency",
    "rate_kind",
    "profile",
    "outstanding_date",
    "due",
];
const INT: &[&str] = &[
    "amount",
    "years",
    "rate_micro",
    "outstanding",
    "year",
    "revenue",
    "provisions",
    "own_annuities",
    "principal",
    "interest",
];

fn schema() -> Arc<Schema> {
    let mut fields: Vec<Field> = TEXT.iter().map(|n| Field::new(*n, DataType::Utf8, true)).collect();
    fields.extend(INT.iter().map(|n| Field::new(*n, DataType::Int64, true)));
    fields.push(Field::new("share", DataType::Float64, true));
    fields.push(Field::new("state_aided", DataType::Boolean, true));
    fields.push(Field::new("housing_plan", DataType::Boolean, true));
    fields.push(Field::new("tense_zone_housing", DataType::Boolean, true));
    Arc::new(Schema::new(fields))
}

#[derive(Default)]
struct Row {
    text: [Option<String>; 13],
    int: [Option<i64>; 10],
    share: Option<f64>,
    state_aided: Option<bool>,
    housing_plan: Option<bool>,
    tense_zone_housing: Option<bool>,
}

fn t(name: &str) -> usize {
    TEXT.iter().position(|n| *n == name).expect("known text column")
}
fn i(name: &str) -> usize {
    INT.iter().position(|n| *n == name).expect("known int column")
}

/// The register as a record batch.
pub fn to_batch(reg: &Register) -> RecordBatch {
    let mut rows: Vec<Row> = Vec::new();
    for g in &reg.guarantees {
        let l = reg.loan(&g.loan).expect("a guarantee's loan is in the register");
        let mut r = Row::default();
        r.text[t("record")] = Some("garantie".into());
        r.text[t("guarantor")] = Some(g.guarantor.to_string());
        r.text[t("loan")] = Some(l.id.clone());
        r.text[t("beneficiary")] = Some(l.beneficiary.name.clone());
        r.text[t("siren")] = Some(l.beneficiary.siren.clone());
        r.text[t("category")] = Some(l.beneficiary.category.key().into());
        r.text[t("lender")] = Some(l.lender.clone());
        r.text[t("start")] = Some(l.terms.start.to_string());
        r.text[t("frequency")] = Some(l.terms.frequency.key().into());
        r.text[t("rate_kind")] = Some(l.terms.rate_kind.key().into());
        r.text[t("profile")] = Some(l.terms.profile.key().into());
        r.int[i("amount")] = Some(l.terms.amount);
        r.int[i("years")] = Some(l.terms.years as i64);
        r.int[i("rate_micro")] = Some(l.terms.rate_micro);
        if let Some((d, o)) = l.declared_outstanding {
            r.text[t("outstanding_date")] = Some(d.to_string());
            r.int[i("outstanding")] = Some(o);
        }
        r.share = Some(g.share);
        r.state_aided = Some(l.state_aided);
        r.housing_plan = Some(l.housing_plan);
        r.tense_zone_housing = Some(l.tense_zone_housing);
        rows.push(r);
    }
    for f in &reg.finances {
        let mut r = Row::default();
        r.text[t("record")] = Some("finances".into());
        r.text[t("guarantor")] = Some(f.guarantor.to_string());
        r.int[i("year")] = Some(f.year as i64);
        r.int[i("revenue")] = Some(f.revenue);
        r.int[i("provisions")] = Some(f.provisions);
        r.int[i("own_annuities")] = Some(f.own_annuities);
        rows.push(r);
    }
    for l in &reg.loans {
        for p in l.given_schedule.iter().flatten() {
            let mut r = Row::default();
            r.text[t("record")] = Some("echeance".into());
            r.text[t("loan")] = Some(l.id.clone());
            r.text[t("due")] = Some(p.due.to_string());
            r.int[i("principal")] = Some(p.principal);
            r.int[i("interest")] = Some(p.interest);
            rows.push(r);
        }
    }
    let mut cols: Vec<ArrayRef> = Vec::new();
    for k in 0..TEXT.len() {
        cols.push(Arc::new(StringArray::from(rows.iter().map(|r| r.text[k].clone()).collect::<Vec<_>>())));
    }
    for k in 0..INT.len() {
        cols.push(Arc::new(Int64Array::from(rows.iter().map(|r| r.int[k]).collect::<Vec<_>>())));
    }
    cols.push(Arc::new(Float64Array::from(rows.iter().map(|r| r.share).collect::<Vec<_>>())));
    cols.push(Arc::new(BooleanArray::from(rows.iter().map(|r| r.state_aided).collect::<Vec<_>>())));
    cols.push(Arc::new(BooleanArray::from(rows.iter().map(|r| r.housing_plan).collect::<Vec<_>>())));
    cols.push(Arc::new(BooleanArray::from(rows.iter().map(|r| r.tense_zone_housing).collect::<Vec<_>>())));
    RecordBatch::try_new(schema(), cols).expect("columns match the schema")
}

/// The register back from a record batch.
pub fn from_batch(b: &RecordBatch) -> Result<Register, String> {
    let text = |n: &str| b.column_by_name(n).and_then(|c| c.as_string_opt::<i32>()).ok_or(format!("column {n}"));
    let int =
        |n: &str| b.column_by_name(n).and_then(|c| c.as_primitive_opt::<Int64Type>()).ok_or(format!("column {n}"));
    let s = |n: &str, k: usize| -> Result<String, String> {
        let c = text(n)?;
        if c.is_null(k) { Err(format!("row {k}: {n} missing")) } else { Ok(c.value(k).to_string()) }
    };
    let n = |c: &str, k: usize| -> Result<i64, String> {
        let a = int(c)?;
        if a.is_null(k) { Err(format!("row {k}: {c} missing")) } else { Ok(a.value(k)) }
    };
    let date = |c: &str, k: usize| Date::parse(&s(c, k)?).ok_or(format!("row {k}: bad {c}"));
    let share = b.column_by_name("share").and_then(|c| c.as_primitive_opt::<Float64Type>()).ok_or("column share")?;
    let aided = b.column_by_name("state_aided").and_then(|c| c.as_boolean_opt()).ok_or("column state_aided")?;
    let plan = b.column_by_name("housing_plan").and_then(|c| c.as_boolean_opt()).ok_or("column housing_plan")?;
    // Registers stored before this flag existed have no such column: false.
    let tense = b.column_by_name("tense_zone_housing").and_then(|c| c.as_boolean_opt());
    let mut reg = Register::default();
    let bad = |k: usize, what: &str| format!("row {k}: bad {what}");
    for k in 0..b.num_rows() {
        match s("record", k)?.as_str() {
            "garantie" => {
                let guarantor = Guarantor::parse(&s("guarantor", k)?).ok_or_else(|| bad(k, "guarantor"))?;
                let id = s("loan", k)?;
                if reg.loan(&id).is_none() {
                    let declared = match (text("outstanding_date")?.is_null(k), int("outstanding")?.is_null(k)) {
                        (false, false) => Some((date("outstanding_date", k)?, n("outstanding", k)?)),
                        _ => None,
                    };
                    reg.loans.push(Loan {
                        id: id.clone(),
                        beneficiary: Beneficiary {
                            name: s("beneficiary", k)?,
                            siren: s("siren", k)?,
                            category: Category::parse(&s("category", k)?).ok_or_else(|| bad(k, "category"))?,
                        },
                        lender: s("lender", k)?,
                        terms: LoanTerms {
                            amount: n("amount", k)?,
                            start: date("start", k)?,
                            years: n("years", k)? as u32,
                            frequency: Frequency::parse(&s("frequency", k)?).ok_or_else(|| bad(k, "frequency"))?,
                            rate_micro: n("rate_micro", k)?,
                            rate_kind: RateKind::parse(&s("rate_kind", k)?).ok_or_else(|| bad(k, "rate_kind"))?,
                            profile: Profile::parse(&s("profile", k)?).ok_or_else(|| bad(k, "profile"))?,
                        },
                        state_aided: aided.value(k),
                        housing_plan: plan.value(k),
                        tense_zone_housing: tense.is_some_and(|c| c.is_valid(k) && c.value(k)),
                        declared_outstanding: declared,
                        given_schedule: None,
                    });
                }
                reg.guarantees.push(Guarantee { loan: id, guarantor, share: share.value(k) });
            }
            "finances" => reg.finances.push(Finance {
                guarantor: Guarantor::parse(&s("guarantor", k)?).ok_or_else(|| bad(k, "guarantor"))?,
                year: n("year", k)? as i32,
                revenue: n("revenue", k)?,
                provisions: n("provisions", k)?,
                own_annuities: n("own_annuities", k)?,
            }),
            "echeance" => {
                let id = s("loan", k)?;
                let p = Payment {
                    due: date("due", k)?,
                    principal: n("principal", k)?,
                    interest: n("interest", k)?,
                    outstanding: 0,
                };
                let loan = reg.loans.iter_mut().find(|l| l.id == id).ok_or_else(|| bad(k, "loan"))?;
                loan.given_schedule.get_or_insert_with(Vec::new).push(p);
            }
            other => return Err(format!("row {k}: unknown record '{other}'")),
        }
    }
    for l in &mut reg.loans {
        if let Some(s) = &mut l.given_schedule {
            let mut out = l.terms.amount;
            for p in s.iter_mut() {
                out -= p.principal;
                p.outstanding = out;
            }
        }
    }
    Ok(reg)
}

/// What the store says of a register: its title, source and vintage.
#[derive(Debug, Clone)]
pub struct RegisterMeta {
    /// Dataset id ([`DEFAULT_ID`] by default).
    pub id: String,
    /// Title.
    pub title: String,
    /// Who published it.
    pub source: String,
    /// Its vintage (the budget year of the "état de la dette garantie").
    pub vintage: String,
    /// Generated, not observed.
    pub synthetic: bool,
}

/// Writes the register as one dataset, atomically (the catalog row is the commit).
pub fn save(store: &Store, reg: &Register, meta: &RegisterMeta) -> Result<Dataset, GuaranteeError> {
    let batch = to_batch(reg);
    let mut imp = store.begin_import(&meta.id, batch.schema())?;
    imp.write(&batch)?;
    Ok(imp.commit(DatasetMeta {
        id: meta.id.clone(),
        title: meta.title.clone(),
        level: DatasetLevel::Table,
        key_column: "guarantor".into(),
        source: meta.source.clone(),
        vintage: meta.vintage.clone(),
        geography: String::new(),
        synthetic: meta.synthetic,
        secrecy: None,
    })?)
}

/// Reads the register stored as dataset `id`, with its provenance (unit: euros).
pub fn load(store: &Store, id: &str) -> Result<(Register, Provenance), GuaranteeError> {
    let d = store.catalog().dataset(id).map_err(|e| match e {
        echelle_store::StoreError::UnknownDataset(_) => GuaranteeError::Usage(format!(
            "pas de registre des garanties « {id} » dans le magasin : importez-en un (echelle guarantees import)"
        )),
        other => other.into(),
    })?;
    let path = store.root().join(&d.path);
    let batch = echelle_store::read_parquet(&path)?;
    let reg = from_batch(&batch)
        .map_err(|m| GuaranteeError::Store(echelle_store::StoreError::Parquet { path: path.clone(), message: m }))?;
    Ok((reg, Provenance::of(&d).with_unit("euros")))
}

/// Reads a register from its files and writes it to the store in one step: nothing is
/// written unless every line is valid.
pub fn import(
    store: &Store,
    sources: &crate::import::Sources<'_>,
    mapping: &crate::import::Mapping,
    r: &echelle_referential::Referential,
    rules: &crate::Rules,
    year: Option<i32>,
    meta: &RegisterMeta,
) -> Result<(Dataset, Register), GuaranteeError> {
    let reg = crate::import::read_register(sources, mapping, r, rules, year)?;
    let d = save(store, &reg, meta)?;
    Ok((d, reg))
}
