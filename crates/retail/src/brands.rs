//! Guessing a brand's category from npm `name-suggestion-index` (its `brands/shop/*`
//! trees: each brand with the OpenStreetMap `shop=*` value it is tagged with). A guess
//! is only a guess: it is stored with what it came from, and a category written in
//! the partner's file always wins.

use std::collections::HashMap;
use std::path::Path;

use serde::Deserialize;

use crate::RetailError;
use crate::rules::Rules;

/// The brand index: folded brand name -> candidate `shop=*` values (France-located first).
#[derive(Debug, Clone, Default)]
pub struct Brands {
    /// Where it was read from (`name-suggestion-index 8.0.20260918`).
    pub origin: String,
    by_name: HashMap<String, Vec<(bool, String)>>,
}

#[derive(Deserialize)]
struct Nsi {
    #[serde(rename = "_meta", default)]
    meta: Option<Meta>,
    nsi: HashMap<String, Tree>,
}

#[derive(Deserialize)]
struct Meta {
    version: Option<String>,
}

#[derive(Deserialize)]
struct Tree {
    #[serde(default)]
    items: Vec<Item>,
}

#[derive(Deserialize)]
struct Item {
    #[serde(rename = "displayName", default)]
    display_name: Option<String>,
    #[serde(rename = "locationSet", default)]
    location: Option<Location>,
    #[serde(rename = "matchNames", default)]
    match_names: Vec<String>,
    #[serde(default)]
    tags: HashMap<String, String>,
}

#[derive(Deserialize)]
struct Location {
    #[serde(default)]
    include: Vec<serde_json::Value>,
}

/// A guess: the category key and what it came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Guess {
    /// The category key.
    pub category: String,
    /// `name-suggestion-index 8.0.20260918 : shop=supermarket`.
    pub from: String,
}

impl Brands {
    /// Reads name-suggestion-index's `dist/json/nsi.json` (or `nsi.min.json`).
    pub fn read(path: &Path) -> Result<Brands, RetailError> {
        let err = |m: String| RetailError::File { path: path.display().to_string(), message: m };
        let bytes = std::fs::read(path).map_err(|e| err(e.to_string()))?;
        Brands::parse(&bytes).map_err(err)
    }

    /// Parses the index's JSON.
    pub fn parse(bytes: &[u8]) -> Result<Brands, String> {
        let nsi: Nsi = serde_json::from_slice(bytes).map_err(|e| format!("not name-suggestion-index JSON: {e}"))?;
        let version = nsi.meta.and_then(|m| m.version).unwrap_or_else(|| "?".into());
        let mut by_name: HashMap<String, Vec<(bool, String)>> = HashMap::new();
        for (path, tree) in nsi.nsi {
            if !path.starts_with("brands/shop/") {
                continue;
            }
            for item in tree.items {
                let Some(shop) = item.tags.get("shop") else { continue };
                let in_france = item.location.as_ref().is_some_and(|l| {
                    l.include.iter().any(|v| {
                        v.as_str().is_some_and(|s| s == "fr" || s.starts_with("fr-") || s == "001" || s == "150")
                    })
                });
                let names =
                    item.tags.get("brand").into_iter().chain(item.display_name.as_ref()).chain(item.match_names.iter());
                for n in names {
                    let list = by_name.entry(echelle_referential::fold(n)).or_default();
                    if !list.iter().any(|(f, s)| *f == in_france && s == shop) {
                        list.push((in_france, shop.clone()));
                    }
                }
            }
        }
        Ok(Brands { origin: format!("name-suggestion-index {version}"), by_name })
    }

    /// Brands known.
    pub fn len(&self) -> usize {
        self.by_name.len()
    }

    /// Whether no brand is known.
    pub fn is_empty(&self) -> bool {
        self.by_name.is_empty()
    }

    /// The category a brand's `shop=*` tags guess: France-located entries first, then the
    /// rules' category order.
    pub fn guess(&self, brand: &str, rules: &Rules) -> Option<Guess> {
        let list = self.by_name.get(&echelle_referential::fold(brand))?;
        let french = list.iter().any(|(f, _)| *f);
        let (_, shop, cat) = list
            .iter()
            .filter(|(f, _)| *f || !french)
            .filter_map(|(_, s)| rules.category_of_shop(s).map(|(rank, c)| (rank, s, c)))
            .min_by_key(|(rank, s, _)| (*rank, s.to_string()))?;
        Some(Guess { category: cat.key.clone(), from: format!("{} : shop={shop}", self.origin) })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SAMPLE: &str = r#"{"_meta":{"version":"8.0.test"},"nsi":{
      "brands/shop/supermarket":{"items":[
        {"displayName":"E.Leclerc","locationSet":{"include":["fr"]},"tags":{"brand":"E.Leclerc","shop":"supermarket"}},
        {"displayName":"Picard","locationSet":{"include":["fr"]},"tags":{"brand":"Picard","shop":"frozen_food"}}]},
      "brands/shop/car_repair":{"items":[
        {"displayName":"E.Leclerc","locationSet":{"include":["fr"]},"tags":{"brand":"E.Leclerc","shop":"car_repair"}}]},
      "brands/shop/leather":{"items":[
        {"displayName":"Picard","locationSet":{"include":["de"]},"tags":{"brand":"Picard","shop":"leather"}}]},
      "brands/shop/doityourself":{"items":[
        {"displayName":"Leroy Merlin","locationSet":{"include":["001"]},"matchNames":["leroy-merlin"],"tags":{"brand":"Leroy Merlin","shop":"doityourself"}}]},
      "brands/amenity/restaurant":{"items":[
        {"displayName":"Buffalo Grill","locationSet":{"include":["fr"]},"tags":{"brand":"Buffalo Grill","amenity":"restaurant"}}]}
    }}"#;

    #[test]
    fn brands_guess_from_their_french_shop_tags_earlier_categories_first() {
        let b = Brands::parse(SAMPLE.as_bytes()).unwrap();
        let rules = Rules::shipped();
        let g = b.guess("E. Leclerc", &rules).unwrap();
        assert_eq!(g.category, "food");
        assert_eq!(g.from, "name-suggestion-index 8.0.test : shop=supermarket");
        // The German leather goods Picard does not win over the French frozen food one.
        assert_eq!(b.guess("PICARD", &rules).unwrap().category, "food");
        assert_eq!(b.guess("Leroy-Merlin", &rules).unwrap().category, "diy_garden");
        assert_eq!(b.guess("Buffalo Grill", &rules), None);
        assert_eq!(b.guess("Inconnue", &rules), None);
    }
}
