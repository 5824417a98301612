//! The locator map of a portrait: the territory's shape drawn within its context (its
//! département or région), from plain WGS84 rings, so that this crate needs no
//! knowledge of where shapes come from.
//!
//! Projection: equirectangular around the context's mean latitude (longitudes scaled
//! by its cosine), which is true enough at the scale of a département. Points closer
//! than half a point on paper to the last one kept are dropped: a département's
//! contour of tens of thousands of vertices prints in a few hundred.

use echelle_referential::{Layer, Referential, TerritoryRef};
use serde::Deserialize;

use super::canvas::{Colour, GREY, Shape, Sheet};
use super::font::{Weight, wrap};
use crate::layer::Polygon;

/// What a locator map shows.
#[derive(Debug, Clone, Deserialize)]
pub struct Locator {
    /// The territory's shape.
    pub territory: Vec<Polygon>,
    /// The shape of the territory it is located in.
    pub context: Vec<Polygon>,
    /// The name of that territory (`Pas-de-Calais`).
    pub context_name: String,
}

const CONTEXT_FILL: Colour = [232, 232, 232];
const CONTEXT_LINE: Colour = [150, 150, 150];
const ACCENT: Colour = [196, 69, 54];
/// Smallest distance between two points kept, in points on paper.
const STEP: f32 = 0.5;
/// Below this size on paper, the territory is also circled so that it can be seen.
const TINY: f32 = 8.0;

/// The territory a locator map shows `t` within: its (main) département, or its région
/// for a département or a larger territory; none for a région or France.
pub fn context(r: &Referential, t: &TerritoryRef) -> Option<TerritoryRef> {
    r.references(t).ok()?.into_iter().find(|x| matches!(x.layer, Layer::Departement | Layer::Region) && x != t)
}

/// West, south, east, north of the polygons.
fn bounds<'a>(polygons: impl Iterator<Item = &'a Polygon>) -> Option<[f64; 4]> {
    let mut b = [f64::INFINITY, f64::INFINITY, f64::NEG_INFINITY, f64::NEG_INFINITY];
    for p in polygons.flatten().flatten() {
        b = [b[0].min(p[0]), b[1].min(p[1]), b[2].max(p[0]), b[3].max(p[1])];
    }
    (b[0] < b[2] && b[1] < b[3]).then_some(b)
}

/// Page coordinates of the polygons, simplified to [`STEP`]; rings reduced to fewer
/// than three points are dropped.
fn project(polygons: &[Polygon], to_page: &impl Fn([f64; 2]) -> [f32; 2]) -> Vec<Shape> {
    polygons
        .iter()
        .map(|rings| {
            rings
                .iter()
                .filter_map(|ring| {
                    let mut out: Vec<[f32; 2]> = Vec::new();
                    for &p in ring {
                        let q = to_page(p);
                        if out.last().is_none_or(|l| (l[0] - q[0]).hypot(l[1] - q[1]) >= STEP) {
                            out.push(q);
                        }
                    }
                    (out.len() >= 3).then_some(out)
                })
                .collect::<Shape>()
        })
        .filter(|s| !s.is_empty())
        .collect()
}

/// Draws the map in `frame` (left, top, width, height) with its caption under it;
/// returns the height used (0 when there is nothing to draw).
pub fn draw(sheet: &mut Sheet, l: &Locator, name: &str, frame: [f32; 4]) -> f32 {
    let [left, top, width, height] = frame;
    let Some(b) = bounds(l.context.iter().chain(&l.territory)) else { return 0.0 };
    let cos = ((b[1] + b[3]) / 2.0).to_radians().cos().max(0.1);
    let (w, h) = ((b[2] - b[0]) * cos, b[3] - b[1]);
    let scale = (f64::from(width) / w).min(f64::from(height) / h);
    // Centred in the frame.
    let (dx, dy) = ((f64::from(width) - w * scale) / 2.0, (f64::from(height) - h * scale) / 2.0);
    let to_page =
        |p: [f64; 2]| [left + (dx + (p[0] - b[0]) * cos * scale) as f32, top + (dy + (b[3] - p[1]) * scale) as f32];
    sheet.shapes(project(&l.context, &to_page), Some(CONTEXT_FILL), Some((CONTEXT_LINE, 0.6)));
    let territory = project(&l.territory, &to_page);
    if let Some(t) = bounds(l.territory.iter()) {
        let (a, z) = (to_page([t[0], t[3]]), to_page([t[2], t[1]]));
        if (z[0] - a[0]).max(z[1] - a[1]) < TINY {
            let centre = [(a[0] + z[0]) / 2.0, (a[1] + z[1]) / 2.0];
            let circle: Vec<[f32; 2]> = (0..24)
                .map(|k| {
                    let t = k as f32 * std::f32::consts::TAU / 24.0;
                    [centre[0] + TINY * t.cos(), centre[1] + TINY * t.sin()]
                })
                .collect();
            sheet.shapes(vec![vec![circle]], None, Some((ACCENT, 1.2)));
        }
    }
    // Territory shapes too small to keep three points still show as their circle.
    sheet.shapes(territory, Some(ACCENT), Some((ACCENT, 0.4)));
    let caption = wrap(&format!("{name} dans : {}", l.context_name), Weight::Regular, 7.5, width);
    for (k, line) in caption.iter().enumerate() {
        sheet.text(left, top + height + 11.0 + 9.0 * k as f32, 7.5, Weight::Regular, GREY, line);
    }
    height + 5.0 + 9.0 * caption.len() as f32
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn projection_fits_the_frame_and_simplifies() {
        // A context of 10,000 points on a circle, the territory a small square inside.
        let circle: Vec<[f64; 2]> = (0..10_000)
            .map(|k| {
                let t = k as f64 * std::f64::consts::TAU / 10_000.0;
                [2.5 + t.cos(), 50.5 + 0.6 * t.sin()]
            })
            .collect();
        let b = bounds([vec![circle.clone()]].iter()).unwrap();
        assert!((b[0] - 1.5).abs() < 1e-9 && (b[3] - 51.1).abs() < 1e-6);
        let to_page = |p: [f64; 2]| [(p[0] * 50.0) as f32, (p[1] * 50.0) as f32];
        let shapes = project(&[vec![circle]], &to_page);
        let kept = shapes[0][0].len();
        assert!((100..2_000).contains(&kept), "{kept} points kept");
        let l = Locator {
            territory: vec![vec![vec![[2.4, 50.4], [2.6, 50.4], [2.6, 50.6], [2.4, 50.6]]]],
            context: vec![vec![shapes_to_lonlat()]],
            context_name: "Pas-de-Calais".into(),
        };
        let mut sheet = Sheet::default();
        assert_eq!(draw(&mut sheet, &l, "Béthune", [40.0, 100.0, 170.0, 150.0]), 164.0);
        let empty = Locator { territory: vec![], context: vec![], context_name: String::new() };
        assert_eq!(draw(&mut sheet, &empty, "x", [0.0, 0.0, 10.0, 10.0]), 0.0);
    }

    fn shapes_to_lonlat() -> Vec<[f64; 2]> {
        vec![[1.5, 49.9], [3.5, 49.9], [3.5, 51.1], [1.5, 51.1]]
    }
}
