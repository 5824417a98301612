//! Behaviour of the referential on the hand-made fixture.

use proptest::prelude::*;

use crate::fixture::referential;
use crate::perimeter::{MAX_DISTINCT_ENTRIES, MAX_ENTRIES, MAX_ID_CHARS, MAX_NOTE_CHARS, MAX_TEXT_BYTES};
use crate::{Error, Layer, MAX_NAME_CHARS, PerimeterDef, TerritoryRef};

fn codes(r: &crate::Referential, t: &str) -> Vec<String> {
    let t = r.resolve(t).unwrap();
    r.members(&t).unwrap().iter().map(|&c| r.communes()[c as usize].code.clone()).collect()
}

fn perimeter(text: &str) -> PerimeterDef {
    PerimeterDef::parse("test.toml", text).unwrap()
}

#[test]
fn official_layers_take_their_members_from_the_communes() {
    let r = referential();
    assert_eq!(codes(&r, "dep:62"), ["62119", "62178", "62498"]);
    assert_eq!(codes(&r, "epci:200093201"), ["59350", "59512"]);
    assert_eq!(codes(&r, "reg:32").len(), 5);
    assert_eq!(codes(&r, "fr").len(), 6);
}

#[test]
fn names_are_found_without_accents_or_case() {
    let r = referential();
    assert_eq!(r.resolve("bethune").unwrap(), TerritoryRef::new(Layer::Commune, "62119"));
    assert_eq!(r.resolve("BÉTHUNE").unwrap(), TerritoryRef::new(Layer::Commune, "62119"));
    let found = r.find("bruay", 5);
    assert_eq!(found[0].territory, TerritoryRef::new(Layer::Commune, "62178"));
    // A commune déléguée leads to its commune actuelle, saying so.
    let found = r.find("annezin", 5);
    assert_eq!(found[0].territory.code, "62119");
    assert!(found[0].note.as_deref().unwrap().contains("commune déléguée"));
}

#[test]
fn a_homonym_commune_wins_over_the_unit_named_after_it() {
    let r = referential();
    // "Lens" is a commune and an arrondissement: people mean the commune.
    assert_eq!(r.resolve("Lens").unwrap(), TerritoryRef::new(Layer::Commune, "62498"));
    // Paris is a commune, an arrondissement and a département: still the commune.
    assert_eq!(r.resolve("paris").unwrap().layer, Layer::Commune);
}

#[test]
fn wrong_codes_get_suggestions_and_former_codes_their_successor() {
    let r = referential();
    let err = r.resolve("62118").unwrap_err().to_string();
    assert!(err.contains("unknown territory '62118'") && err.contains("com:62119"), "{err}");
    let err = r.resolve("62999").unwrap_err();
    assert!(matches!(err, Error::FormerCode { .. }), "{err}");
    assert!(err.to_string().contains("com:62119 (Béthune)"));
    assert!(matches!(r.resolve("xyz:1"), Err(Error::UnknownLayer(_))));
}

#[test]
fn references_are_the_main_departement_region_and_france() {
    let r = referential();
    let refs = r.references(&TerritoryRef::new(Layer::Epci, "200072460")).unwrap();
    assert_eq!(refs.iter().map(|t| t.key()).collect::<Vec<_>>(), ["dep:62", "reg:32", "fr"]);
    let refs = r.references(&TerritoryRef::new(Layer::Region, "32")).unwrap();
    assert_eq!(refs, [TerritoryRef::france()]);
    let refs = r.references(&TerritoryRef::new(Layer::Iris, "593500101")).unwrap();
    assert_eq!(refs[0], TerritoryRef::new(Layer::Commune, "59350"));
}

#[test]
fn perimeters_compose_union_difference_and_intersection() {
    let mut r = referential();
    r.add_perimeters(vec![
        // Declared before the perimeter it refers to: order does not matter.
        perimeter("id = 'rest'\nname = 'Rest'\ninclude = ['reg:32']\nexclude = ['per:artois']"),
        perimeter("id = 'artois'\nname = 'Artois'\ninclude = ['epci:200072460', 'epci:246200364']"),
        perimeter("id = 'lens-only'\nname = 'L'\ninclude = ['dep:62']\nintersect = ['arr:627']"),
        perimeter("id = 'list'\nname = 'List'\ninclude = ['59350', '62119']"),
    ])
    .unwrap();
    assert_eq!(codes(&r, "per:artois"), ["62119", "62178", "62498"]);
    assert_eq!(codes(&r, "per:rest"), ["59350", "59512"]);
    assert_eq!(codes(&r, "per:lens-only"), ["62498"]);
    assert_eq!(codes(&r, "per:list"), ["59350", "62119"]);
    let (label, outside) = r.outside(&TerritoryRef::new(Layer::Perimeter, "artois")).unwrap();
    assert_eq!(outside.len(), 2);
    assert!(label.contains("Hauts-de-France hors Artois"), "{label}");
}

#[test]
fn a_bad_perimeter_says_where_and_adds_nothing() {
    let mut r = referential();
    let err = PerimeterDef::parse("p.toml", "id = 'x'\nname = 'X'\ninclude = [\n").unwrap_err().to_string();
    assert!(err.starts_with("p.toml:3:") || err.starts_with("p.toml:4:"), "{err}");
    let err =
        PerimeterDef::parse("p.toml", "id = 'x'\nname = 'X'\ninclude = ['dep:62']\ncolour = 'red'\n").unwrap_err();
    assert!(err.to_string().contains("colour"), "{err}");

    let bad = perimeter("id = 'bad'\nname = 'Bad'\ninclude = [\n  'dep:62',\n  '62118',\n]\n");
    let good = perimeter("id = 'good'\nname = 'Good'\ninclude = ['dep:59']");
    let err = r.add_perimeters(vec![good, bad]).unwrap_err().to_string();
    assert!(err.starts_with("test.toml:5:3: unknown territory 'com:62118'"), "{err}");
    assert!(r.perimeters().is_empty(), "nothing added when one definition fails");

    let a = perimeter("id = 'a'\nname = 'A'\ninclude = ['per:b']");
    let b = perimeter("id = 'b'\nname = 'B'\ninclude = ['per:a']");
    assert!(r.add_perimeters(vec![a, b]).unwrap_err().to_string().contains("cycle"));
    let empty = perimeter("id = 'e'\nname = 'E'\ninclude = ['dep:59']\nexclude = ['reg:32']");
    assert!(r.add_perimeters(vec![empty]).unwrap_err().to_string().contains("no commune left"));
    let iris = perimeter("id = 'i'\nname = 'I'\ninclude = ['iris:593500101']");
    assert!(r.add_perimeters(vec![iris]).unwrap_err().to_string().contains("not of IRIS"));
    assert!(PerimeterDef::parse("p.toml", "id = 'Bad Id'\nname = 'X'\ninclude = ['fr']").is_err());
}

#[test]
fn names_and_keys_longer_than_the_limit_are_refused_without_suggestions() {
    let r = referential();
    let long = "ж".repeat(MAX_NAME_CHARS + 1);
    let err = r.resolve(&long).unwrap_err();
    assert!(matches!(err, Error::TooLong { chars: 201, max: MAX_NAME_CHARS, .. }), "{err}");
    assert!(!err.to_string().contains('ж'), "the input is not repeated: {err}");
    assert!(matches!(r.resolve(&format!("com:{long}")), Err(Error::TooLong { .. })));
    assert!(r.find(&format!("bethune {long}"), 5).is_empty());
    // At the limit, the name is looked up (and found or not) as any other.
    let err = r.resolve(&"ж".repeat(MAX_NAME_CHARS)).unwrap_err();
    assert!(matches!(err, Error::UnknownTerritory { ref suggestions, .. } if suggestions.is_empty()), "{err}");
    assert_eq!(r.resolve(&format!("{:>200}", "Béthune")).unwrap(), TerritoryRef::new(Layer::Commune, "62119"));
}

#[test]
fn typos_still_get_their_suggestions() {
    let r = referential();
    let err = r.resolve("bethun").unwrap_err().to_string();
    assert!(err.contains("did you mean") && err.contains("com:62119 (Béthune)"), "{err}");
    assert_eq!(r.find("bethunne", 5)[0].territory, TerritoryRef::new(Layer::Commune, "62119"));
}

/// A definition with `include` repeated `n` times.
fn repeated(entry: &str, n: usize, rest: &str) -> String {
    format!("id = 'p'\nname = 'P'\ninclude = [{}]\n{rest}", vec![format!("'{entry}'"); n].join(", "))
}

#[test]
fn a_perimeter_repeating_an_entry_costs_one_entry() {
    // 300,000 times France: refused on its size before anything is parsed or resolved.
    let text = repeated("fr", 300_000, "exclude = ['fr']");
    let err = PerimeterDef::parse("body", &text).unwrap_err().to_string();
    assert!(err.contains(&format!("at most {MAX_TEXT_BYTES}")), "{err}");
    // 20,000 times France (20,000 copies of every commune before): one set, then empty.
    let mut r = referential();
    let err = r.add_perimeters(vec![perimeter(&repeated("fr", 20_000, "exclude = ['fr']"))]).unwrap_err();
    assert!(err.to_string().contains("no commune left"), "{err}");
    r.add_perimeters(vec![perimeter(&repeated("fr", 20_000, "exclude = ['dep:59', 'reg:11', 'dep:59']"))]).unwrap();
    assert_eq!(codes(&r, "per:p"), ["62119", "62178", "62498"]);
}

#[test]
fn perimeter_limits_are_errors_that_say_which() {
    let refused = |text: &str, expected: &str| {
        let err = PerimeterDef::parse("body", text).unwrap_err();
        assert!(matches!(err, Error::Perimeter { .. }), "{err}");
        assert!(err.to_string().contains(expected), "{err} should say {expected}");
    };
    refused(&repeated("1", MAX_ENTRIES + 1, ""), &format!("{} entries", MAX_ENTRIES + 1));
    let many: Vec<String> = (0..=MAX_DISTINCT_ENTRIES).map(|i| format!("'{i}'")).collect();
    refused(&format!("id = 'p'\nname = 'P'\ninclude = [{}]", many.join(",")), "distinct entries");
    let id = "a".repeat(MAX_ID_CHARS + 1);
    refused(&format!("id = '{id}'\nname = 'P'\ninclude = ['fr']"), "id has 65 characters");
    let name = "é".repeat(MAX_NAME_CHARS + 1);
    refused(&format!("id = 'p'\nname = '{name}'\ninclude = ['fr']"), "name has 201 characters");
    let note = "x".repeat(MAX_NOTE_CHARS + 1);
    refused(&format!("id = 'p'\nname = 'P'\nnote = '{note}'\ninclude = ['fr']"), "note has");
    refused(&format!("id = 'p'\nname = 'P'\nsource = '{note}'\ninclude = ['fr']"), "source has");
    // At the limits, accepted.
    let name = "é".repeat(MAX_NAME_CHARS);
    let id = "a".repeat(MAX_ID_CHARS);
    PerimeterDef::parse("body", &format!("id = '{id}'\nname = '{name}'\ninclude = ['fr']")).unwrap();
    PerimeterDef::parse("body", &repeated("1", MAX_ENTRIES, "")).unwrap();
}

proptest! {
    /// Perimeter algebra equals the same set algebra done naively on codes, entries
    /// repeated or written differently included.
    #[test]
    fn perimeter_members_follow_set_algebra(
        include in proptest::collection::vec(0usize..11, 1..12),
        exclude in proptest::collection::vec(0usize..11, 0..6),
        intersect in proptest::collection::vec(0usize..11, 0..3),
    ) {
        let pool = ["dep:59", "dep:62", "reg:32", "epci:200072460", "arr:627", "59350", "62119", "fr", "FR", "dep:62 ", "reg:11"];
        let r0 = referential();
        let set = |i: &usize| -> std::collections::BTreeSet<String> {
            let p = pool[*i].trim();
            let t = if p.contains(':') || p.eq_ignore_ascii_case("fr") { p.to_string() } else { format!("com:{p}") };
            codes(&r0, &t).into_iter().collect()
        };
        let mut expected: std::collections::BTreeSet<String> = include.iter().flat_map(set).collect();
        for i in &intersect {
            let s = set(i);
            expected.retain(|c| s.contains(c));
        }
        for i in &exclude {
            for c in set(i) {
                expected.remove(&c);
            }
        }
        let list = |v: &[usize]| v.iter().map(|i| format!("'{}'", pool[*i])).collect::<Vec<_>>().join(", ");
        let text = format!("id = 'p'\nname = 'P'\ninclude = [{}]\nexclude = [{}]\nintersect = [{}]", list(&include), list(&exclude), list(&intersect));
        let mut r = referential();
        let result = r.add_perimeters(vec![perimeter(&text)]);
        if expected.is_empty() {
            prop_assert!(result.is_err());
        } else {
            result.unwrap();
            let got: std::collections::BTreeSet<String> = codes(&r, "per:p").into_iter().collect();
            prop_assert_eq!(got, expected);
        }
    }
}
