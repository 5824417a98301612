//! Brand categories guessed from the published name-suggestion-index package
//! (`scripts/setup` fetches it, pinned, into `.cache/sources/nsi/`).

use std::path::Path;

use echelle_retail::{Brands, Rules};

#[test]
fn the_published_index_guesses_the_categories_of_the_region_s_brands() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../.cache/sources/nsi/nsi.min.json");
    assert!(path.is_file(), "no {}: run scripts/setup (or scripts/test)", path.display());
    let (b, rules) = (Brands::read(&path).unwrap(), Rules::shipped());
    assert!(b.len() > 10_000, "{} brands", b.len());
    let guess = |brand: &str| b.guess(brand, &rules).map(|g| g.category);
    for (brand, category) in [
        ("E.Leclerc", "food"),
        ("Lidl", "food"),
        ("Leroy Merlin", "diy_garden"),
        ("Castorama", "diy_garden"),
        ("Decathlon", "culture_leisure"),
        ("Kiabi", "personal"),
        ("Boulanger", "household"),
        ("Norauto", "car"),
    ] {
        assert_eq!(guess(brand).as_deref(), Some(category), "{brand}");
    }
    let g = b.guess("Leroy Merlin", &rules).unwrap();
    assert_eq!(g.from, "name-suggestion-index 8.0.20260918 : shop=doityourself");
}
