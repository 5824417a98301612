//! Which partners to route a request to: each organisation declares the themes it helps
//! with and the territories it covers (`echelle desk referent`); a request's suggestions
//! are the organisations whose declarations match its theme and its territory or one of
//! the territories around it, the most specific first.

use crate::case::Theme;

/// Any theme, or anywhere, in a declaration.
pub const ANY: &str = "*";

/// The organisations to suggest for a request of `theme` on the territories `around`
/// (its own key first, then its references, the nearest first), each with the
/// declarations that match, the most specific first: a theme named before `*`, then the
/// nearest territory. `declared` holds (organisation, theme key or `*`, territory key or `*`).
pub fn suggest(declared: &[(String, String, String)], theme: Theme, around: &[String]) -> Vec<(String, Vec<String>)> {
    let mut found: Vec<((u8, usize), String, Vec<String>)> = Vec::new();
    for (org, t, place) in declared {
        let theme_rank = match t.as_str() {
            t if t == theme.key() => 0,
            ANY => 1,
            _ => continue,
        };
        let place_rank = match around.iter().position(|a| a == place) {
            Some(i) => i,
            None if place == ANY => around.len(),
            None => continue,
        };
        let why = format!(
            "{} ; {}",
            if theme_rank == 0 { theme.label() } else { "tous thèmes" },
            if place == ANY { "tout territoire" } else { place.as_str() }
        );
        match found.iter_mut().find(|(_, o, _)| o == org) {
            Some((rank, _, because)) => {
                *rank = (*rank).min((theme_rank, place_rank));
                because.push(why);
            }
            None => found.push(((theme_rank, place_rank), org.clone(), vec![why])),
        }
    }
    found.sort_by(|a, b| a.0.cmp(&b.0).then_with(|| a.1.cmp(&b.1)));
    found.into_iter().map(|(_, org, because)| (org, because)).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(org: &str, theme: &str, place: &str) -> (String, String, String) {
        (org.into(), theme.into(), place.into())
    }

    #[test]
    fn the_nearest_partner_of_the_theme_comes_first_and_strangers_never() {
        let declared = vec![
            d("caue62", "heritage", "dep:62"),
            d("caue62", "planning", "dep:62"),
            d("pnr-caps-marais", "*", "epci:200069037"),
            d("cerema", "mobility", "*"),
            d("caue59", "heritage", "dep:59"),
            d("fondation-patrimoine", "heritage", "*"),
        ];
        let around = ["com:62041".to_string(), "epci:200033579".into(), "dep:62".into(), "reg:32".into()];
        let s = suggest(&declared, Theme::Heritage, &around);
        let orgs: Vec<&str> = s.iter().map(|(o, _)| o.as_str()).collect();
        assert_eq!(orgs, ["caue62", "fondation-patrimoine"]);
        assert_eq!(s[0].1, ["patrimoine ; dep:62"]);
        let s = suggest(&declared, Theme::Mobility, &["com:62215".into(), "epci:200069037".into(), "dep:62".into()]);
        let orgs: Vec<&str> = s.iter().map(|(o, _)| o.as_str()).collect();
        assert_eq!(orgs, ["cerema", "pnr-caps-marais"], "a theme named beats a territory nearer");
    }
}
