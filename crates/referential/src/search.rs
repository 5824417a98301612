//! Finding territories by what people type: names with or without accents, codes,
//! former codes of merged communes.

use crate::{Layer, Referential, TerritoryRef, fold};

/// A territory found by a search.
#[derive(Debug, Clone, PartialEq)]
pub struct Match {
    /// The territory found.
    pub territory: TerritoryRef,
    /// The matched name, as published.
    pub name: String,
    /// Why a name that is not the territory's own matched ("commune déléguée Arbignieu").
    pub note: Option<String>,
    /// The folded query equals the folded name or the code.
    pub exact: bool,
    score: (u8, i64),
}

#[derive(Debug)]
struct Entry {
    key: String,
    name: String,
    territory: TerritoryRef,
    note: Option<String>,
    weight: i64,
}

/// Folded names of every territory, built once per referential.
#[derive(Debug)]
pub(crate) struct SearchIndex {
    entries: Vec<Entry>,
}

impl SearchIndex {
    pub(crate) fn build(r: &Referential) -> Self {
        let mut entries = Vec::new();
        let mut push = |name: &str, territory: TerritoryRef, note: Option<String>, weight: i64| {
            entries.push(Entry { key: fold(name), name: name.to_string(), territory, note, weight });
        };
        for c in r.communes() {
            push(&c.name, TerritoryRef::new(Layer::Commune, &c.code), None, c.population.unwrap_or(0) as i64);
        }
        for s in r.sub_communes() {
            let Some(parent) = r.commune(&s.commune) else { continue };
            if fold(&s.name) == fold(&parent.name) {
                continue;
            }
            let note = format!("{} {} ({}), part of {}", s.kind.label(), s.name, s.code, parent.name);
            push(&s.name, TerritoryRef::new(Layer::Commune, &parent.code), Some(note), 0);
        }
        for layer in [Layer::Epci, Layer::Arrondissement, Layer::Departement, Layer::Region] {
            for u in r.units(layer) {
                let weight = r.population_of(&u.members) as i64;
                push(&u.name, TerritoryRef::new(layer, &u.code), None, weight);
            }
        }
        for p in r.perimeters() {
            let weight = r.population_of(&p.members) as i64;
            push(&p.def.name, TerritoryRef::new(Layer::Perimeter, &p.def.id), None, weight);
            push(&p.def.id, TerritoryRef::new(Layer::Perimeter, &p.def.id), None, weight);
        }
        SearchIndex { entries }
    }

    pub(crate) fn find(&self, r: &Referential, query: &str, limit: usize) -> Vec<Match> {
        let q = fold(query);
        if q.is_empty() {
            return Vec::new();
        }
        let mut found: Vec<Match> = Vec::new();
        for t in r.by_code(query) {
            let name = r.name(&t).unwrap_or_default().to_string();
            found.push(Match { territory: t, name, note: None, exact: true, score: (0, 0) });
        }
        let words: Vec<&str> = q.split(' ').collect();
        for e in &self.entries {
            let rank = if e.key == q {
                0
            } else if e.key.starts_with(&q) {
                1
            } else if words.iter().all(|w| e.key.split(' ').any(|k| k.starts_with(w))) {
                2
            } else if q.len() >= 4 && strsim::jaro_winkler(&e.key, &q) > 0.9 {
                3
            } else {
                continue;
            };
            found.push(Match {
                territory: e.territory.clone(),
                name: e.name.clone(),
                note: e.note.clone(),
                exact: rank == 0,
                // Among equal names the commune comes first: "Béthune" is the town
                // before the arrondissement named after it.
                score: (rank * 2 + u8::from(e.territory.layer != Layer::Commune), -e.weight),
            });
        }
        found.sort_by(|a, b| a.score.cmp(&b.score).then_with(|| a.territory.cmp(&b.territory)));
        let mut seen = std::collections::HashSet::new();
        found.retain(|m| seen.insert((m.territory.clone(), m.note.is_some())));
        found.truncate(limit);
        found
    }

    /// The nearest known codes or names to an unknown input, for error messages.
    pub(crate) fn suggest(&self, r: &Referential, input: &str) -> Vec<TerritoryRef> {
        let (layer, code) = match input.split_once(':') {
            Some((l, c)) => (l.parse::<Layer>().ok(), c.trim().to_uppercase()),
            None => (None, input.trim().to_uppercase()),
        };
        let looks_like_code = code.chars().any(|c| c.is_ascii_digit());
        if !looks_like_code {
            return self.find_names(&fold(&code));
        }
        let layers: Vec<Layer> = match layer {
            Some(l) => vec![l],
            None => vec![Layer::Commune, Layer::Epci, Layer::Arrondissement, Layer::Departement, Layer::Region],
        };
        let mut near: Vec<(usize, TerritoryRef)> = layers
            .iter()
            .flat_map(|&l| r.territories(l))
            .filter(|t| t.code.len() == code.len())
            .filter_map(|t| {
                let d = strsim::levenshtein(&t.code, &code);
                (d <= 2).then_some((d, t))
            })
            .collect();
        near.sort();
        near.into_iter().take(5).map(|(_, t)| t).collect()
    }

    fn find_names(&self, q: &str) -> Vec<TerritoryRef> {
        let mut scored: Vec<(i64, &Entry)> = self
            .entries
            .iter()
            .filter_map(|e| {
                let s = strsim::jaro_winkler(&e.key, q);
                (s > 0.85).then_some(((s * -1000.0) as i64, e))
            })
            .collect();
        scored.sort_by_key(|(s, e)| (*s, -e.weight));
        let mut out: Vec<TerritoryRef> = Vec::new();
        for (_, e) in scored {
            if !out.contains(&e.territory) {
                out.push(e.territory.clone());
            }
            if out.len() == 5 {
                break;
            }
        }
        out
    }
}
