//! The audit of released perimeters: a perimeter is refused when it differs from a
//! territory that someone who will see it already sees, only by units that a protected
//! table counts fewer than its threshold of, since subtracting the two territories'
//! figures would give those units' figure (METHODS.md §3: two perimeters that differ by
//! one commune).
//!
//! ```text
//!  new perimeter P (its visibility: who will see it) ──┐
//!  earlier territories Q with Q ∩ P ≠ ∅ that someone sees with P: every commune, EPCI,
//!  arrondissement, département, région, and every perimeter sharing an audience with P ──┐
//!  protected table t (count column c, threshold s) ──> Σ c over P Δ Q ∈ (0, s) ──> refused
//! ```
//!
//! The message names Q when P's owner sees it too (a fixed territory, a public perimeter,
//! one of its own); another organisation's perimeter is not named, only said to exist.
//!
//! It complements the cell key noise (which makes such differences uncertain) with a
//! refusal the user can act on: the message names the earlier territory and the
//! communes that make the difference, never their count. A refusal says that the
//! difference is small (under the threshold): the agencies' table builders accept that
//! disclosure for their audits too. Tables whose count is unknown for a commune of the
//! difference are skipped: one of the two territories then has no figure of its own.

use std::collections::HashSet;

use echelle_referential::{Layer, Referential, TerritoryRef};

use crate::{DatasetLevel, Store, StoreError, read_parquet};

/// A protected table's count of units per commune of the referential.
struct Counts {
    dataset: String,
    rule: echelle_platform::SecrecyRule,
    /// Per commune index; `None` when the table has no count for it.
    per_commune: Vec<Option<f64>>,
}

/// Refuses perimeter `id` of `r` (just resolved, not yet saved) when it differs from a
/// territory seen by someone who will see it, by units under a protected table's threshold.
pub(crate) fn audit(store: &Store, r: &Referential, id: &str) -> Result<(), StoreError> {
    let tables = protected_counts(store, r)?;
    if tables.is_empty() {
        return Ok(());
    }
    let visibilities = store.catalog().visibilities()?;
    let released = visibilities.perimeter(id).clone();
    let p: HashSet<u32> = r.members(&TerritoryRef::new(Layer::Perimeter, id))?.iter().copied().collect();
    // Σ over P Δ Q = Σ P + Σ Q − 2 Σ (P ∩ Q), for the counts and for the communes without one.
    let sum = |t: &Counts, members: &mut dyn Iterator<Item = u32>| {
        members.fold((0.0, 0usize), |(s, unknown), c| match t.per_commune[c as usize] {
            Some(x) => (s + x, unknown),
            None => (s, unknown + 1),
        })
    };
    let in_p: Vec<(f64, usize)> = tables.iter().map(|t| sum(t, &mut p.iter().copied())).collect();
    for q in earlier(r, &p, id, |other| visibilities.perimeter(other).shares_audience(&released)) {
        let members = r.members(&q)?;
        for (t, &(p_sum, p_unknown)) in tables.iter().zip(&in_p) {
            let (q_sum, q_unknown) = sum(t, &mut members.iter().copied());
            let (both_sum, both_unknown) = sum(t, &mut members.iter().copied().filter(|c| p.contains(c)));
            let count = p_sum + q_sum - 2.0 * both_sum;
            if p_unknown + q_unknown - 2 * both_unknown > 0 || !(count > 1e-9 * p_sum.max(1.0) && count < t.rule.below)
            {
                continue;
            }
            let q_set: HashSet<u32> = members.iter().copied().collect();
            let difference: Vec<u32> = p.symmetric_difference(&q_set).copied().collect();
            let mut names: Vec<&str> = difference.iter().map(|&c| r.communes()[c as usize].name.as_str()).collect();
            names.sort_unstable();
            let shown = if names.len() > 5 { format!("{}…", names[..5].join(", ")) } else { names.join(", ") };
            // Named when the perimeter's owner sees it too; another organisation's is not.
            let seen = q.layer != Layer::Perimeter || {
                let v = visibilities.perimeter(&q.code);
                v.owner().is_none() || v.owner() == released.owner()
            };
            let earlier = if seen {
                format!("« {} » ({})", r.name(&q).unwrap_or(&q.code), q.key())
            } else {
                "un périmètre d'une autre organisation que ses lecteurs voient déjà".to_string()
            };
            return Err(StoreError::Differencing(format!(
                "le périmètre « {id} » ne diffère de {earlier} que par {} commune{} ({shown}) dont le jeu « {} » \
                 ne permet pas de publier les chiffres ({}) : les deux publiés, la différence les révélerait. \
                 Ajoutez ou retirez des communes.",
                difference.len(),
                if difference.len() > 1 { "s" } else { "" },
                t.dataset,
                t.rule.describe()
            )));
        }
    }
    Ok(())
}

/// The territories that overlap `p`: its communes and every territory of the fixed
/// layers containing one (France included), and the other perimeters `seen` (with it) that share a commune with it.
fn earlier(r: &Referential, p: &HashSet<u32>, id: &str, seen: impl Fn(&str) -> bool) -> Vec<TerritoryRef> {
    let mut out: Vec<TerritoryRef> = Vec::new();
    let mut keys: HashSet<String> = HashSet::new();
    let mut add = |t: TerritoryRef| {
        if keys.insert(t.key()) {
            out.push(t);
        }
    };
    let country = r.territories(Layer::Country);
    for &c in p {
        let commune = &r.communes()[c as usize];
        if commune.in_france {
            country.iter().for_each(|t| add(t.clone()));
        }
        add(TerritoryRef::new(Layer::Commune, &commune.code));
        add(TerritoryRef::new(Layer::Departement, &commune.departement));
        add(TerritoryRef::new(Layer::Region, &commune.region));
        if let Some(e) = &commune.epci {
            add(TerritoryRef::new(Layer::Epci, e));
        }
        if let Some(a) = &commune.arrondissement {
            add(TerritoryRef::new(Layer::Arrondissement, a));
        }
    }
    for other in r.perimeters().iter().filter(|o| o.def.id != id && seen(&o.def.id)) {
        if other.members.iter().any(|c| p.contains(c)) {
            add(TerritoryRef::new(Layer::Perimeter, &other.def.id));
        }
    }
    out
}

/// The counts of every commune- or IRIS-level table whose declared rule protects and
/// names its count column.
fn protected_counts(store: &Store, r: &Referential) -> Result<Vec<Counts>, StoreError> {
    let mut out = Vec::new();
    for d in store.catalog().datasets()? {
        let rule = d.secrecy();
        let Some(column) = rule.count_column.clone().filter(|_| rule.protects()) else { continue };
        if !matches!(d.level, DatasetLevel::Commune | DatasetLevel::Iris) {
            continue;
        }
        let batch = read_parquet(&store.root().join(&d.path))?;
        let (Some(keys), Some(counts)) = (batch.column_by_name(&d.key_column), batch.column_by_name(&column)) else {
            continue;
        };
        let cast = |a, t| {
            arrow::compute::cast(a, &t)
                .map_err(|e| StoreError::Parquet { path: d.path.clone().into(), message: e.to_string() })
        };
        let keys = cast(keys, arrow::datatypes::DataType::Utf8)?;
        let counts = cast(counts, arrow::datatypes::DataType::Float64)?;
        use arrow::array::{Array, AsArray};
        let (keys, counts) = (keys.as_string::<i32>(), counts.as_primitive::<arrow::datatypes::Float64Type>());
        // A commune is known when each of its rows has a count; IRIS add up.
        let mut per_commune: Vec<Option<f64>> = vec![None; r.communes().len()];
        let mut seen = vec![false; r.communes().len()];
        for row in 0..batch.num_rows() {
            let commune = match d.level {
                DatasetLevel::Iris => r.iris_position(keys.value(row)).map(|i| r.iris()[i as usize].commune),
                _ => r.commune_index(keys.value(row)),
            };
            let Some(c) = commune.filter(|_| keys.is_valid(row)) else { continue };
            let count = counts.is_valid(row).then(|| counts.value(row));
            let c = c as usize;
            per_commune[c] = if seen[c] { per_commune[c].zip(count).map(|(a, b)| a + b) } else { count };
            seen[c] = true;
        }
        out.push(Counts { dataset: d.id.clone(), rule, per_commune });
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use arrow::array::{Float64Array, RecordBatch, StringArray};
    use echelle_platform::{SecrecyRule, Visibility};
    use echelle_referential::PerimeterDef;

    use crate::testing::{backends, copy_store_on, register_commune_table, test_store};
    use crate::{Store, StoreError};

    /// The test store with a table of households per commune (population / 2.2,
    /// generated, flagged synthetic) declaring the households' rule.
    fn store(dir: &std::path::Path, backend: &crate::testing::TestBackend) -> Store {
        copy_store_on(&test_store(), dir, backend);
        let store = Store::open(dir).unwrap();
        let r = store.referential().unwrap();
        let batch = RecordBatch::try_from_iter([
            ("code", Arc::new(StringArray::from_iter_values(r.communes().iter().map(|c| c.code.clone()))) as _),
            (
                "menages",
                Arc::new(Float64Array::from_iter(
                    r.communes().iter().map(|c| c.population.map(|p| (p as f64 / 2.2).round())),
                )) as _,
            ),
        ])
        .unwrap();
        let rule = SecrecyRule { count_column: Some("menages".into()), ..SecrecyRule::households() };
        register_commune_table(&store, "menages", &batch, rule);
        store
    }

    fn perimeter(id: &str, include: &str, exclude: &str) -> PerimeterDef {
        let text = format!(
            "id = '{id}'\nname = 'Zone {id}'\nstatus = 'provisional'\ninclude = [{include}]\nexclude = [{exclude}]\n"
        );
        PerimeterDef::parse("test", &text).unwrap()
    }

    fn private(org: &str) -> Visibility {
        Visibility::Private { owner: org.into() }
    }

    #[test]
    fn a_perimeter_differing_from_a_seen_one_by_a_small_commune_is_refused_and_not_saved() {
        for backend in backends() {
            refused_on(&backend);
        }
    }

    fn refused_on(backend: &crate::testing::TestBackend) {
        let dir = tempfile::tempdir().unwrap();
        let store = store(dir.path(), backend);
        let r = store.referential().unwrap();
        // A commune of 1 to 10 households (by its population) in an EPCI of several.
        let households = |c: u32| r.communes()[c as usize].population.map(|p| (p as f64 / 2.2).round());
        let (small, epci) = (0..r.communes().len() as u32)
            .filter(|&c| households(c).is_some_and(|h| h > 0.0 && h < 11.0))
            .find_map(|c| {
                let e = r.communes()[c as usize].epci.clone()?;
                let members =
                    r.members(&echelle_referential::TerritoryRef::new(echelle_referential::Layer::Epci, &e)).ok()?;
                (members.len() > 3).then_some((c, e))
            })
            .unwrap();
        let code = r.communes()[small as usize].code.clone();
        let before = store.catalog().version().unwrap();

        let everywhere = perimeter("france-sans", "'fr'", &format!("'com:{code}'"));
        let e = store.add_perimeter_as(everywhere, false, &private("agence")).unwrap_err().to_string();
        assert!(e.contains("(fr)"), "France minus one commune: {e}");
        let cut = perimeter("epci-sans", &format!("'epci:{epci}'"), &format!("'com:{code}'"));
        let e = store.add_perimeter_as(cut, false, &private("agence")).unwrap_err();
        assert!(matches!(e, StoreError::Differencing(_)), "{e}");
        let message = e.to_string();
        assert!(message.contains(&format!("epci:{epci}")) && message.contains("moins de 11 ménages"), "{message}");
        assert!(message.contains(&r.communes()[small as usize].name), "{message}");
        assert_eq!(store.catalog().version().unwrap(), before, "nothing saved");
        assert!(store.referential().unwrap().perimeter("epci-sans").is_none());

        // Its own earlier perimeter counts; another organisation's private one does not.
        let big = r
            .members(&echelle_referential::TerritoryRef::new(echelle_referential::Layer::Epci, &epci))
            .unwrap()
            .iter()
            .copied()
            .find(|&c| households(c).is_some_and(|h| h >= 11.0))
            .map(|c| r.communes()[c as usize].code.clone());
        let big = big.expect("a commune of 11 households or more in the EPCI");
        let reg = &r.communes()[small as usize].region;
        // Both differ from every fixed territory by many households.
        let a = perimeter("a", &format!("'reg:{reg}'"), &format!("'com:{big}'"));
        store.add_perimeter_as(a, false, &private("cci")).unwrap();
        let b = perimeter("b", &format!("'reg:{reg}'"), &format!("'com:{big}', 'com:{code}'"));
        store.add_perimeter_as(b, false, &private("agence")).unwrap();
        let c = perimeter("c", &format!("'reg:{reg}'"), &format!("'com:{big}', 'com:{code}'"));
        let e = store.add_perimeter_as(c, false, &private("cci")).unwrap_err();
        assert!(e.to_string().contains("per:a"), "the owner's own perimeter: {e}");
        // Made public, the same perimeter would be seen with the agency's private one:
        // refused, without naming it.
        let d = perimeter("d", &format!("'reg:{reg}'"), &format!("'com:{big}', 'com:{code}'"));
        let e = store.add_perimeter_as(d, false, &Visibility::Public).unwrap_err().to_string();
        assert!(e.contains("une autre organisation") && !e.contains("per:a") && !e.contains("per:b"), "{e}");
    }
}
