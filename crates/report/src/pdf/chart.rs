//! The bar chart of a portrait: for a few rates, the territory's bar against its
//! references', each indicator on its own scale from zero.
//!
//! Only rates are charted (a share, a density, a count per inhabitant): a territory's
//! population beside France's would be a bar against a wall.

use super::canvas::{BLACK, Colour, GREY, Sheet};
use super::font::{Weight, fit};
use super::portrait::Portrait;

/// Indicators charted at most.
pub const MAX_INDICATORS: usize = 4;
/// Columns (territory and references) charted at most.
const MAX_BARS: usize = 5;
const TERRITORY: Colour = [196, 69, 54];
const REFERENCE: Colour = [120, 144, 170];

/// Whether a unit is a rate: a percentage, "pour 100", "pour 1 000 hab.", "hab./km²".
pub fn is_rate(unit: &str) -> bool {
    let u = unit.trim();
    u.contains('%') || u.starts_with("pour ") || u.contains('/')
}

/// The indicators charted: the first rates with a value for the territory and no
/// negative value, at most [`MAX_INDICATORS`].
pub fn charted(p: &Portrait) -> Vec<usize> {
    p.indicators
        .iter()
        .enumerate()
        .filter(|(_, i)| {
            is_rate(&i.unit)
                && i.values.first().copied().flatten().is_some()
                && i.values.iter().flatten().all(|v| *v >= 0.0 && v.is_finite())
        })
        .map(|(k, _)| k)
        .take(MAX_INDICATORS)
        .collect()
}

/// Draws the chart in `frame` (left, top, width); returns the height used (0 when no
/// indicator can be charted).
pub fn draw(sheet: &mut Sheet, p: &Portrait, frame: [f32; 3]) -> f32 {
    let [left, top, width] = frame;
    let chosen = charted(p);
    if chosen.is_empty() || width < 120.0 {
        return 0.0;
    }
    let bars = p.columns.len().min(MAX_BARS);
    let name_width = (width * 0.32).min(110.0);
    let value_width = 44.0;
    let bar_left = left + name_width + 4.0;
    let bar_span = width - name_width - 4.0 - value_width;
    let mut y = top + 8.0;
    sheet.text(left, y, 8.0, Weight::Bold, BLACK, "Comparaison avec les territoires de référence");
    y += 12.0;
    for &k in &chosen {
        let ind = &p.indicators[k];
        let heading = format!("{} ({})", ind.label, ind.unit);
        sheet.text(left, y, 7.5, Weight::Bold, BLACK, &fit(&heading, Weight::Bold, 7.5, width));
        y += 4.0;
        let max = ind.values.iter().take(bars).flatten().fold(0.0f64, |m, v| m.max(*v));
        for (c, column) in p.columns.iter().take(bars).enumerate() {
            let value = ind.values.get(c).copied().flatten();
            let colour = if c == 0 { TERRITORY } else { REFERENCE };
            let name = fit(&column.name, Weight::Regular, 6.5, name_width);
            sheet.text(left, y + 6.0, 6.5, Weight::Regular, GREY, &name);
            let length = match value {
                Some(v) if max > 0.0 => (v / max) as f32 * bar_span,
                _ => 0.0,
            };
            sheet.rect(bar_left, y, length, 6.5, colour);
            sheet.text(bar_left + length + 3.0, y + 6.0, 6.5, Weight::Regular, BLACK, &ind.shown(c));
            y += 8.5;
        }
        y += 6.0;
    }
    y - top
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pdf::portrait::tests::portrait;

    #[test]
    fn only_rates_are_charted() {
        assert!(is_rate("%") && is_rate("pour 1 000 hab.") && is_rate("hab./km²"));
        assert!(!is_rate("habitants") && !is_rate("logements"));
        let mut p = portrait("Lens", 6);
        p.indicators[0].unit = "habitants".into();
        p.indicators[1].values[0] = None;
        p.indicators[2].values[2] = Some(-1.0);
        assert_eq!(charted(&p), [3, 4, 5]);
        let mut sheet = Sheet::default();
        let h = draw(&mut sheet, &p, [220.0, 100.0, 335.0]);
        assert!(h > 3.0 * 3.0 * 8.5, "{h}");
        p.indicators.truncate(3);
        assert_eq!(draw(&mut sheet, &p, [220.0, 100.0, 335.0]), 0.0);
    }
}
