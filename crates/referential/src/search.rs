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
        let letters = Letters::of(&q);
        for e in &self.entries {
            let rank = if e.key == q {
                0
            } else if e.key.starts_with(&q) {
                1
            } else if words.iter().all(|w| e.key.split(' ').any(|k| k.starts_with(w))) {
                2
            } else if q.len() >= 4 && letters.jaro_winkler_above(&e.key, 0.9) {
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
        rank_and_cut(found, limit)
    }

    /// The territories whose name is exactly `input` once folded (not those found
    /// through a former or delegated commune's name), best first: what
    /// [`Self::find`] marks exact, without its fuzzy pass.
    pub(crate) fn exact(&self, input: &str, limit: usize) -> Vec<Match> {
        let q = fold(input);
        let found = self
            .entries
            .iter()
            .filter(|e| e.note.is_none() && !q.is_empty() && e.key == q)
            .map(|e| Match {
                territory: e.territory.clone(),
                name: e.name.clone(),
                note: None,
                exact: true,
                score: (u8::from(e.territory.layer != Layer::Commune), -e.weight),
            })
            .collect();
        rank_and_cut(found, limit)
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
        let letters = Letters::of(q);
        let mut scored: Vec<(i64, &Entry)> = self
            .entries
            .iter()
            .filter_map(|e| {
                let s = letters.jaro_winkler(&e.key, 0.85)?;
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

/// Best matches first, each territory once (and once more through another name),
/// at most `limit`.
fn rank_and_cut(mut found: Vec<Match>, limit: usize) -> Vec<Match> {
    found.sort_by(|a, b| a.score.cmp(&b.score).then_with(|| a.territory.cmp(&b.territory)));
    let mut seen = std::collections::HashSet::new();
    found.retain(|m| seen.insert((m.territory.clone(), m.note.is_some())));
    found.truncate(limit);
    found
}

/// Character classes counted to bound the Jaro–Winkler similarity: folded names are
/// made of a–z, digits and spaces; anything else shares the last class.
const CLASSES: usize = 38;

fn class(c: char) -> usize {
    match c {
        'a'..='z' => c as usize - 'a' as usize,
        '0'..='9' => 26 + (c as usize - '0' as usize),
        ' ' => 36,
        _ => 37,
    }
}

/// A folded query with what bounds its Jaro–Winkler similarity to any name, so that
/// names that cannot reach a threshold are skipped after one pass over their letters
/// instead of a comparison costing the product of both lengths.
struct Letters<'a> {
    text: &'a str,
    chars: usize,
    counts: [u32; CLASSES],
}

impl<'a> Letters<'a> {
    fn of(text: &'a str) -> Self {
        let mut counts = [0; CLASSES];
        let mut chars = 0;
        for c in text.chars() {
            counts[class(c)] += 1;
            chars += 1;
        }
        Letters { text, chars, counts }
    }

    /// At least `strsim::jaro_winkler(key, query)`. Jaro is `(m/|a| + m/|b| + (m − t)/m) / 3`
    /// with `m` matching characters, at most the characters the strings have in
    /// common; Winkler adds `0.1 × p × (1 − Jaro)` for a common prefix of `p ≤ 4` characters.
    fn upper_bound(&self, key: &str) -> f64 {
        let mut left = self.counts;
        let (mut common, mut len) = (0usize, 0usize);
        for c in key.chars() {
            len += 1;
            let k = class(c);
            if left[k] > 0 {
                left[k] -= 1;
                common += 1;
            }
        }
        if common == 0 {
            return if len == 0 && self.chars == 0 { 1.0 } else { 0.0 };
        }
        let m = common as f64;
        let jaro = (m / len as f64 + m / self.chars as f64 + 1.0) / 3.0;
        let prefix = key.chars().take(4).zip(self.text.chars()).take_while(|(a, b)| a == b).count();
        jaro + 0.1 * prefix as f64 * (1.0 - jaro)
    }

    /// `strsim::jaro_winkler(key, query)` when it may exceed `threshold`, computed only then.
    fn jaro_winkler(&self, key: &str, threshold: f64) -> Option<f64> {
        // The margin keeps a name whose bound and score round to either side of the threshold.
        (self.upper_bound(key) > threshold - 1e-9).then(|| strsim::jaro_winkler(key, self.text))
    }

    fn jaro_winkler_above(&self, key: &str, threshold: f64) -> bool {
        self.jaro_winkler(key, threshold).is_some_and(|s| s > threshold)
    }
}

#[cfg(test)]
mod tests {
    use super::Letters;
    use proptest::prelude::*;

    proptest! {
        /// The prefilter never skips a name the full comparison would keep.
        #[test]
        fn the_bound_is_never_below_jaro_winkler(a in "[abeilnrst ]{0,14}", b in "[abeilnrstж ]{0,14}") {
            let exact = strsim::jaro_winkler(&a, &b);
            prop_assert!(Letters::of(&b).upper_bound(&a) >= exact - 1e-12, "{} < {exact}", Letters::of(&b).upper_bound(&a));
            let kept = Letters::of(&b).jaro_winkler(&a, 0.85);
            prop_assert!(exact <= 0.85 || kept == Some(exact));
        }
    }

    #[test]
    fn names_without_a_common_letter_are_skipped() {
        let q = "ж".repeat(200);
        assert_eq!(Letters::of(&q).jaro_winkler("bethune", 0.85), None);
        assert_eq!(
            Letters::of("bethun").jaro_winkler("bethune", 0.85),
            Some(strsim::jaro_winkler("bethune", "bethun"))
        );
    }
}
