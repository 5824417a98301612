//! A SYNTHETIC inventory for demonstrations: about a thousand shops over 300 m² in the
//! communes of a territory (the aire urbaine centrale by default), spread by population,
//! observed on three dates (1 January 2016, 2021 and 2026) with openings, extensions,
//! moves and closures between them, and a few dozen authorisation projects. Generated,
//! never observed: stored with the synthetic flag, so every output says SYNTHÉTIQUE.

use echelle_referential::{Layer, Referential, TerritoryRef};

use crate::date::Date;
use crate::import::Places;
use crate::register::*;

/// A small deterministic generator (SplitMix64): the same seed, the same inventory.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    fn unit(&mut self) -> f64 {
        (self.next() >> 11) as f64 / (1u64 << 53) as f64
    }
    fn range(&mut self, lo: i64, hi: i64) -> i64 {
        lo + (self.next() % (hi - lo + 1) as u64) as i64
    }
    fn pick<'a, T>(&mut self, list: &'a [T]) -> &'a T {
        &list[self.range(0, list.len() as i64 - 1) as usize]
    }
}

/// (category, share of shops, formats: (name, brands, smallest, largest area)).
type Format = (&'static str, &'static [&'static str], i64, i64);
const KINDS: &[(&str, f64, &[Format])] = &[
    (
        "food",
        0.27,
        &[
            ("Hypermarché", &["E.Leclerc", "Carrefour", "Auchan", "Cora"], 4_500, 11_000),
            (
                "Supermarché",
                &["Carrefour Market", "Intermarché", "Super U", "Match", "Auchan Supermarché"],
                1_000,
                2_800,
            ),
            ("Maxidiscompte", &["Lidl", "Aldi", "Netto"], 700, 1_400),
            ("Surgelés et frais", &["Picard", "Grand Frais", "Biocoop"], 320, 1_000),
        ],
    ),
    (
        "household",
        0.15,
        &[
            ("Ameublement", &["But", "Conforama", "Maisons du Monde", "Ikea"], 1_200, 9_000),
            ("Électroménager", &["Boulanger", "Darty", "Krys Électro"], 600, 3_000),
            ("Bazar", &["Action", "Gifi", "La Foir'Fouille", "Centrakor", "Noz"], 500, 2_200),
        ],
    ),
    (
        "personal",
        0.24,
        &[
            ("Habillement", &["Kiabi", "Gémo", "La Halle", "H&M", "Zara", "Primark"], 400, 2_500),
            ("Chaussures", &["Besson Chaussures", "Chaussea", "Bata"], 300, 900),
            ("Beauté", &["Sephora", "Marionnaud"], 300, 600),
        ],
    ),
    (
        "culture_leisure",
        0.12,
        &[
            ("Sport", &["Decathlon", "Intersport", "Go Sport"], 800, 5_000),
            ("Culture", &["Cultura", "Fnac", "Furet du Nord"], 600, 3_500),
            ("Jouets et animaux", &["King Jouet", "Maxi Zoo", "Animalis"], 300, 1_500),
        ],
    ),
    (
        "diy_garden",
        0.10,
        &[
            ("Bricolage", &["Leroy Merlin", "Castorama", "Brico Dépôt", "Bricomarché", "Mr.Bricolage"], 1_500, 12_000),
            ("Jardinerie", &["Jardiland", "Truffaut", "Botanic"], 1_000, 6_000),
        ],
    ),
    ("other_non_food", 0.05, &[("Magasin", &["Solderie", "Dépôt-vente", "Optique"], 300, 1_000)]),
    ("car", 0.05, &[("Concession", &["Renault", "Peugeot", "Norauto", "Feu Vert"], 400, 2_500)]),
    ("caravan", 0.01, &[("Caravaning", &["Caravanes du Nord"], 500, 3_000)]),
    ("hotel_restaurant", 0.01, &[("Restaurant", &["Buffalo Grill", "Courtepaille"], 300, 700)]),
];

/// The three dates of the synthetic inventory.
pub const DATES: [(i32, u8, u8); 3] = [(2016, 1, 1), (2021, 1, 1), (2026, 1, 1)];

fn offset((lon, lat): (f64, f64), metres: f64, angle: f64) -> (f64, f64) {
    let dlat = metres * angle.sin() / 111_195.0;
    let dlon = metres * angle.cos() / (111_195.0 * lat.to_radians().cos());
    (((lon + dlon) * 1e6).round() / 1e6, ((lat + dlat) * 1e6).round() / 1e6)
}

fn date(d: (i32, u8, u8)) -> Date {
    Date::new(d.0, d.1, d.2).expect("a valid date")
}

/// Generates an inventory for the communes lying within `within`.
pub fn inventory(
    r: &Referential,
    within: &TerritoryRef,
    places: &dyn Places,
    seed: u64,
) -> Result<Register, crate::RetailError> {
    let mut rng = Rng(seed);
    let communes = r.territories_within(Layer::Commune, Some(within))?;
    let pops: Vec<(String, u64)> = communes
        .iter()
        .filter_map(|c| r.commune(&c.code).map(|x| (c.code.clone(), x.population.unwrap_or(0))))
        .collect();
    let total: u64 = pops.iter().map(|p| p.1).sum();
    // About 1,150 establishments over the three dates, by population; small communes rarely any.
    let per_shop = (total as f64 / 1_150.0).max(1.0);
    let dates = DATES.map(date);
    let source = "echelle retail synth (données générées)".to_string();
    let mut reg = Register::default();
    let mut n = 0usize;
    let mut shops: Vec<(String, String, i64)> = Vec::new(); // (id, commune, area) for projects
    for (code, pop) in &pops {
        let expected = *pop as f64 / per_shop;
        let mut count = expected.floor() as usize;
        if rng.unit() < expected.fract() * if *pop < 1_500 { 0.3 } else { 1.0 } {
            count += 1;
        }
        let centre = places.centre(code);
        for _ in 0..count {
            n += 1;
            let id = format!("SYN{n:05}");
            let mut u = rng.unit();
            let kind = KINDS
                .iter()
                .find(|k| {
                    u -= k.1;
                    u < 0.0
                })
                .unwrap_or(&KINDS[0]);
            let (format, brands, lo, hi) = *rng.pick(kind.2);
            let brand = *rng.pick(brands);
            // Sizes lean to the small end of each format.
            let area = (lo as f64 + (hi - lo) as f64 * rng.unit().powi(2)).round();
            let in_mall = kind.0 == "personal" && rng.unit() < 0.12;
            let area = if in_mall && rng.unit() < 0.5 { rng.range(120, 290) as f64 } else { area };
            let peripheral = area >= 2_500.0 || rng.unit() < 0.45;
            let position = centre.filter(|_| rng.unit() < 0.75).map(|c| {
                let metres = if peripheral { 1_200.0 + 2_800.0 * rng.unit() } else { 700.0 * rng.unit() };
                offset(c, metres, rng.unit() * std::f64::consts::TAU)
            });
            let outdoor = if kind.0 == "diy_garden" { (area * 0.15).round() } else { 0.0 };
            let name = format!("{brand} {} — {format}", r.commune(code).map_or(code.as_str(), |c| c.name.as_str()));
            // Open before the first date, or between two of them.
            let first = if rng.unit() < 0.82 { 0 } else { rng.range(1, 2) as usize };
            let opened = if first == 0 {
                Date::new(rng.range(1975, 2015) as i32, rng.range(1, 12) as u8, 1)
            } else {
                Date::new(dates[first - 1].year + rng.range(0, 4) as i32, rng.range(1, 12) as u8, 1)
            };
            let base = Observation {
                establishment: id.clone(),
                observed: dates[first],
                source: source.clone(),
                siret: None,
                name,
                brand: Some(brand.to_string()),
                address: None,
                commune: code.clone(),
                position,
                centre,
                area_indoor: area,
                area_outdoor: outdoor,
                category: kind.0.to_string(),
                guessed_from: None,
                naf: None,
                zone: peripheral
                    .then(|| format!("Zone commerciale de {}", r.commune(code).map_or("?", |c| c.name.as_str()))),
                in_mall,
                opened,
                closed: None,
            };
            let mut state = base.clone();
            reg.observations.push(base);
            for (k, d) in dates.iter().enumerate().skip(first + 1) {
                let mut next = state.clone();
                next.observed = *d;
                let x = rng.unit();
                if x < 0.07 {
                    next.closed = Date::new(dates[k - 1].year + rng.range(0, 4) as i32, rng.range(1, 12) as u8, 15);
                    reg.observations.push(next);
                    break;
                } else if x < 0.15 {
                    // An extension.
                    next.area_indoor = (next.area_indoor * (1.15 + 0.5 * rng.unit())).round();
                } else if x < 0.17 {
                    // A move to a neighbouring commune of the territory.
                    let (to, _) = rng.pick(&pops);
                    next.commune = to.clone();
                    next.centre = places.centre(to);
                    next.position = next
                        .centre
                        .map(|c| offset(c, 1_500.0 + 2_000.0 * rng.unit(), rng.unit() * std::f64::consts::TAU));
                } else if x < 0.20 {
                    // Another brand of the same format.
                    let b = *rng.pick(brands);
                    next.name = next.name.replacen(next.brand.as_deref().unwrap_or(""), b, 1);
                    next.brand = Some(b.to_string());
                }
                reg.observations.push(next.clone());
                state = next;
            }
            if area >= 1_000.0 && kind.0 != "car" {
                shops.push((id, code.clone(), area as i64));
            }
        }
    }
    reg.projects = projects(&mut rng, &pops, &shops);
    reg.coverage = Some(within.key());
    Ok(reg)
}

/// A few dozen applications: creations and extensions, CDAC votes, some appeals.
fn projects(rng: &mut Rng, pops: &[(String, u64)], shops: &[(String, String, i64)]) -> Vec<Project> {
    let big: Vec<&(String, u64)> = pops.iter().filter(|p| p.1 >= 8_000).collect();
    let mut out = Vec::new();
    for k in 1..=36 {
        let extension = rng.unit() < 0.4 && !shops.is_empty();
        let (commune, establishment, requested) = if extension {
            let s = rng.pick(shops);
            (s.1.clone(), Some(s.0.clone()), (rng.range(300, 3_000) / 10 * 10) as f64)
        } else {
            let c = if big.is_empty() { &pops[0] } else { *rng.pick(&big) };
            (c.0.clone(), None, (rng.range(1_000, 9_000) / 50 * 50) as f64)
        };
        let filed = Date::new(rng.range(2016, 2025) as i32, rng.range(1, 12) as u8, rng.range(1, 28) as u8)
            .expect("a valid date");
        let later = |d: Date, rng: &mut Rng, months: i64| {
            let m = d.month as i64 - 1 + rng.range(1, months);
            Date::new(d.year + (m / 12) as i32, (m % 12 + 1) as u8, d.day.min(28)).expect("a valid date")
        };
        let today = date(DATES[2]);
        let mut events = vec![Event {
            date: filed,
            kind: EventKind::Filing,
            favourable: None,
            votes_for: None,
            votes_against: None,
            votes_abstaining: None,
            area: None,
        }];
        let vote = later(filed, rng, 3);
        let favourable = rng.unit() < 0.85;
        let (yes, no) =
            if favourable { (rng.range(6, 11), rng.range(0, 3)) } else { (rng.range(1, 4), rng.range(5, 9)) };
        let authorised = if favourable && rng.unit() < 0.2 { (requested * 0.8).round() } else { requested };
        let push = |events: &mut Vec<Event>, e: Event| {
            if e.date <= today {
                events.push(e);
            }
        };
        push(
            &mut events,
            Event {
                date: vote,
                kind: EventKind::CdacVote,
                favourable: Some(favourable),
                votes_for: Some(yes as u32),
                votes_against: Some(no as u32),
                votes_abstaining: Some(rng.range(0, 2) as u32),
                area: favourable.then_some(authorised),
            },
        );
        let mut in_force = favourable;
        let mut last = vote;
        if rng.unit() < 0.25 {
            let appeal = later(vote, rng, 2);
            push(
                &mut events,
                Event {
                    date: appeal,
                    kind: EventKind::CnacAppeal,
                    favourable: None,
                    votes_for: None,
                    votes_against: None,
                    votes_abstaining: None,
                    area: None,
                },
            );
            let decided = later(appeal, rng, 4);
            in_force = rng.unit() < 0.6;
            push(
                &mut events,
                Event {
                    date: decided,
                    kind: EventKind::CnacDecision,
                    favourable: Some(in_force),
                    votes_for: None,
                    votes_against: None,
                    votes_abstaining: None,
                    area: in_force.then_some(authorised),
                },
            );
            last = decided;
        }
        if in_force && rng.unit() < 0.75 {
            let permit = later(last, rng, 8);
            push(
                &mut events,
                Event {
                    date: permit,
                    kind: EventKind::Permit,
                    favourable: None,
                    votes_for: None,
                    votes_against: None,
                    votes_abstaining: None,
                    area: None,
                },
            );
            if rng.unit() < 0.7 {
                let opening = later(permit, rng, 20);
                push(
                    &mut events,
                    Event {
                        date: opening,
                        kind: EventKind::Compliance,
                        favourable: None,
                        votes_for: None,
                        votes_against: None,
                        votes_abstaining: None,
                        area: None,
                    },
                );
                push(
                    &mut events,
                    Event {
                        date: opening,
                        kind: EventKind::Opening,
                        favourable: None,
                        votes_for: None,
                        votes_against: None,
                        votes_abstaining: None,
                        area: Some(authorised),
                    },
                );
            }
        }
        out.push(Project {
            id: format!("SYN-CDAC-{k:03}"),
            establishment,
            name: format!("Projet {} (synthétique)", if extension { "d'extension" } else { "de création" }),
            commune,
            nature: if extension { Nature::Extension } else { Nature::Creation },
            area_requested: requested,
            artificialises: !extension && rng.unit() < 0.5,
            zone: None,
            events,
        });
    }
    out
}
