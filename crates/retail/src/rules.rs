//! The observatory's rules, read from `data/retail/rules.toml` (compiled in; another
//! file may be given, the law moves): thresholds, size bands, categories and their
//! families, exclusions, and the `shop=*` tags that guess a brand's category.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::RetailError;

/// The rules file shipped with echelle.
pub const SHIPPED_RULES: &str = include_str!("../../../data/retail/rules.toml");

/// A size band of sales area, `from` included, `to` excluded.
#[derive(Debug, Clone, Deserialize, Serialize, utoipa::ToSchema)]
#[schema(as = RetailBand)]
pub struct Band {
    /// Its key (`300-999`).
    pub key: String,
    /// French label.
    pub label: String,
    /// Lower bound, m².
    pub from: f64,
    /// Upper bound, m² (none for the last band).
    #[serde(default)]
    pub to: Option<f64>,
}

/// Food or non-food.
#[derive(Debug, Clone, Deserialize)]
pub struct Family {
    /// French label.
    pub label: String,
}

/// A category of shop.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Category {
    /// Its key (`food`, `diy_garden`…).
    pub key: String,
    /// French label.
    pub label: String,
    /// `food` or `non_food`.
    pub family: String,
    /// Never counted in the inventory (car dealers, caravans, hotels and restaurants).
    #[serde(default)]
    pub excluded: bool,
    /// What partners' files write for it (folded).
    #[serde(default)]
    pub aliases: Vec<String>,
    /// OpenStreetMap `shop=*` values of name-suggestion-index that guess it.
    #[serde(default)]
    pub shop: Vec<String>,
}

/// A NAF code prefix that excludes a shop as a category would.
#[derive(Debug, Clone, Deserialize)]
pub struct NafExclusion {
    /// `45.1` matches `45.11Z`, `4511Z`.
    pub prefix: String,
    /// The excluded category it stands for.
    pub category: String,
}

/// The rules.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Rules {
    /// What the rules are read from, cited under every output.
    pub text: String,
    /// Sales area from which a shop is inventoried, m².
    pub observation_threshold: f64,
    /// Sales area from which a project needs a CDAC authorisation, m².
    pub authorisation_threshold: f64,
    /// The article setting it.
    pub authorisation_article: String,
    /// Sales area from which TASCOM applies, m².
    pub tascom_threshold: f64,
    /// Distance from the commune's centre beyond which a shop is outside the centre, m.
    pub peripheral_distance_m: f64,
    /// Size bands.
    pub bands: Vec<Band>,
    /// Families by key.
    pub families: BTreeMap<String, Family>,
    /// Categories, in the order they are shown.
    pub categories: Vec<Category>,
    /// NAF prefixes excluding a shop.
    #[serde(default)]
    pub excluded_naf: Vec<NafExclusion>,
}

impl Rules {
    /// The shipped rules.
    pub fn shipped() -> Rules {
        Rules::parse("data/retail/rules.toml", SHIPPED_RULES).expect("the shipped rules file is valid")
    }

    /// Reads and checks a rules file.
    pub fn parse(origin: &str, text: &str) -> Result<Rules, RetailError> {
        let bad = |message: String| RetailError::Rules { origin: origin.into(), message };
        let r: Rules = toml::from_str(text).map_err(|e| bad(e.to_string()))?;
        let mut last = r.observation_threshold;
        for (i, b) in r.bands.iter().enumerate() {
            if b.from != last {
                return Err(bad(format!("band {}: starts at {} where the previous ends at {last}", b.key, b.from)));
            }
            match b.to {
                Some(to) if to > b.from => last = to,
                Some(_) => return Err(bad(format!("band {}: empty", b.key))),
                None if i + 1 == r.bands.len() => {}
                None => return Err(bad(format!("band {}: only the last band is open", b.key))),
            }
        }
        for c in &r.categories {
            if !r.families.contains_key(&c.family) {
                return Err(bad(format!("category {}: unknown family {}", c.key, c.family)));
            }
        }
        for n in &r.excluded_naf {
            if !r.categories.iter().any(|c| c.key == n.category && c.excluded) {
                return Err(bad(format!("NAF {}: {} is not an excluded category", n.prefix, n.category)));
            }
        }
        Ok(r)
    }

    /// The category of a key.
    pub fn category(&self, key: &str) -> Option<&Category> {
        self.categories.iter().find(|c| c.key == key)
    }

    /// The category a partner's file means (`Bricolage`, `équipement de la personne`, `food`).
    pub fn category_of(&self, written: &str) -> Option<&Category> {
        let f = echelle_referential::fold(written);
        let f = f.replace('_', " ");
        self.categories.iter().find(|c| {
            echelle_referential::fold(&c.key).replace('_', " ") == f
                || echelle_referential::fold(&c.label) == f
                || c.aliases.iter().any(|a| echelle_referential::fold(a) == f)
        })
    }

    /// The category a `shop=*` tag guesses, and its rank (earlier categories win).
    pub fn category_of_shop(&self, shop: &str) -> Option<(usize, &Category)> {
        self.categories.iter().enumerate().find(|(_, c)| c.shop.iter().any(|s| s == shop))
    }

    /// The family label of a category key.
    pub fn family_label<'a>(&'a self, family: &'a str) -> &'a str {
        self.families.get(family).map_or(family, |f| f.label.as_str())
    }

    /// The band of a sales area (none under the observation threshold).
    pub fn band(&self, area: f64) -> Option<&Band> {
        self.bands.iter().find(|b| area >= b.from && b.to.is_none_or(|to| area < to))
    }

    /// The excluded category a NAF code stands for.
    pub fn naf_exclusion(&self, naf: &str) -> Option<&Category> {
        let n: String = naf.chars().filter(|c| c.is_ascii_alphanumeric()).collect::<String>().to_ascii_uppercase();
        self.excluded_naf
            .iter()
            .find(|e| {
                let p: String = e.prefix.chars().filter(|c| c.is_ascii_alphanumeric()).collect();
                n.starts_with(&p)
            })
            .and_then(|e| self.category(&e.category))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_shipped_rules_hold_the_law_and_the_observatory_s_conventions() {
        let r = Rules::shipped();
        assert_eq!((r.observation_threshold, r.authorisation_threshold, r.tascom_threshold), (300.0, 1000.0, 400.0));
        assert_eq!(r.band(300.0).unwrap().key, "300-999");
        assert_eq!(r.band(999.5).unwrap().key, "300-999");
        assert_eq!(r.band(1000.0).unwrap().key, "1000-2499");
        assert_eq!(r.band(2500.0).unwrap().key, "2500+");
        assert!(r.band(299.0).is_none());
        assert_eq!(r.category_of("Bricolage").unwrap().key, "diy_garden");
        assert_eq!(r.category_of("ÉQUIPEMENT DE LA PERSONNE").unwrap().key, "personal");
        assert!(r.category_of("Garage").unwrap().excluded);
        assert!(r.category_of("pharmacie de garde").is_none());
        assert_eq!(r.naf_exclusion("45.11Z").unwrap().key, "car");
        assert_eq!(r.naf_exclusion("5610A").unwrap().key, "hotel_restaurant");
        assert!(r.naf_exclusion("47.11F").is_none());
        assert_eq!(r.category_of_shop("doityourself").unwrap().1.key, "diy_garden");
    }

    #[test]
    fn bands_must_follow_each_other() {
        let bad = SHIPPED_RULES.replace("from = 1000.0\nto = 2500.0", "from = 1100.0\nto = 2500.0");
        assert!(Rules::parse("x", &bad).is_err());
    }
}
