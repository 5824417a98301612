//! The portrait of a territory as a printable PDF: a locator map and a bar chart of
//! the territory against its references, then one row per indicator with the
//! territory's value and its references', unit, source and vintage; pages as needed.
//!
//! ```text
//!  Portrait : Béthune (com:62119)
//!  commune comparé à : Pas-de-Calais, Hauts-de-France, France
//!  ┌ locator map ┐  ┌ bars: a few rates, territory against references ┐
//!  Indicateur                         Béthune  Pas-de-Calais  …
//!  Population municipale               25 000    1 450 000
//!    habitants · Insee, RP 2021
//!  …                                                    footnotes, page k / n
//! ```

use serde::Deserialize;

use super::canvas::{self, BLACK, GREY, HEIGHT, Sheet, WIDTH};
use super::chart;
use super::font::{Weight, fit, wrap};
use super::locator::{self, Locator};
use crate::ReportError;
use crate::date::Date;
use crate::french::french;

const MARGIN: f32 = 40.0;
/// Lowest baseline of the body; the footer is below.
const BOTTOM: f32 = HEIGHT - 60.0;
/// What a missing or secret value prints as.
pub const MISSING: &str = "n.d.";

/// The territory a portrait is about.
#[derive(Debug, Clone, Deserialize)]
pub struct Territory {
    /// The territory key (`epci:200093201`).
    pub key: String,
    /// Its name, the portrait's title.
    #[serde(default)]
    pub name: Option<String>,
    /// What the territory is (`commune`, `EPCI`…).
    #[serde(default)]
    pub layer_label: String,
}

/// A column: the territory first, then its references.
#[derive(Debug, Clone, Deserialize)]
pub struct Column {
    /// The column's territory key (`dep:59`, or an outside key).
    pub key: String,
    /// Its heading.
    #[serde(default)]
    pub name: String,
}

/// One indicator with one value per column (`None`: missing or secret).
#[derive(Debug, Clone, Deserialize)]
pub struct Indicator {
    /// The indicator id.
    #[serde(default)]
    pub id: String,
    /// Its French label.
    pub label: String,
    /// Its unit, printed beside the label.
    #[serde(default)]
    pub unit: String,
    /// Where its figures come from, for the sources note.
    #[serde(default)]
    pub source: Option<String>,
    /// Their millésime.
    #[serde(default)]
    pub vintage: Option<String>,
    /// Generated data: printed SYNTHÉTIQUE.
    #[serde(default)]
    pub synthetic: bool,
    /// Decimals printed.
    #[serde(default)]
    pub decimals: u8,
    /// One value per column.
    pub values: Vec<Option<f64>>,
    /// One per column: the value is withheld by statistical secrecy.
    #[serde(default)]
    pub secret: Vec<bool>,
    /// The secrecy its dataset declares, in French, for the notes.
    #[serde(default)]
    pub secrecy: Option<String>,
}

impl Indicator {
    /// Whether its value in column `k` is withheld by statistical secrecy.
    pub fn is_secret(&self, k: usize) -> bool {
        self.secret.get(k).copied().unwrap_or(false)
    }

    /// Its value in column `k` as printed.
    pub fn shown(&self, k: usize) -> String {
        if self.is_secret(k) {
            return crate::SECRET_MARK.to_string();
        }
        shown(self.values.get(k).copied().flatten(), self.decimals)
    }
}

/// A portrait as `GET /api/portrait/{key}` returns it, with its locator map when the
/// shapes are known.
#[derive(Debug, Clone, Deserialize)]
pub struct Portrait {
    /// The territory portrayed.
    pub territory: Territory,
    /// The territory, then its references.
    pub columns: Vec<Column>,
    /// The rows of the table and charts.
    pub indicators: Vec<Indicator>,
    /// The locator map, when shapes are known.
    #[serde(default)]
    pub locator: Option<Locator>,
}

impl Portrait {
    /// `Portrait : Béthune (com:62119)`.
    pub fn title(&self) -> String {
        let t = &self.territory;
        format!("Portrait : {} ({})", t.name.as_deref().unwrap_or(&t.key), t.key)
    }
}

/// The value of an indicator as printed: French digits, or [`MISSING`].
pub fn shown(value: Option<f64>, decimals: u8) -> String {
    value.map_or_else(|| MISSING.to_string(), |x| french(x, decimals.min(6)))
}

/// The portrait as PDF bytes, dated `date`.
pub fn render(p: &Portrait, date: Date) -> Result<Vec<u8>, ReportError> {
    let title = p.title();
    let n = p.columns.len().max(1) as f32;
    let usable = WIDTH - 2.0 * MARGIN;
    let value_width = ((usable - 190.0) / n).clamp(48.0, 80.0);
    let label_width = usable - value_width * n - 8.0;
    let right = |k: usize| MARGIN + label_width + 8.0 + value_width * (k as f32 + 1.0);

    let mut sheets: Vec<Sheet> = Vec::new();
    let mut sheet = Sheet::default();
    let mut y = MARGIN + 4.0;
    for line in wrap(&title, Weight::Bold, 15.0, usable) {
        y += 16.0;
        sheet.text(MARGIN, y, 15.0, Weight::Bold, BLACK, &line);
    }
    y += 16.0;
    let against: Vec<&str> = p.columns.iter().skip(1).map(|c| c.name.as_str()).collect();
    let subtitle = format!("{} comparé à : {}", p.territory.layer_label, against.join(", "));
    for line in wrap(&subtitle, Weight::Regular, 9.0, usable) {
        sheet.text(MARGIN, y, 9.0, Weight::Regular, GREY, &line);
        y += 12.0;
    }
    y += 6.0;

    // The figures: locator map on the left, bars on the right, side by side.
    let map_width = 170.0;
    let mut band = 0.0f32;
    if let Some(l) = &p.locator {
        let name = p.territory.name.as_deref().unwrap_or(&p.territory.key);
        band = band.max(locator::draw(&mut sheet, l, name, [MARGIN, y, map_width, 150.0]));
    }
    let chart_x = if band > 0.0 { MARGIN + map_width + 20.0 } else { MARGIN };
    band = band.max(chart::draw(&mut sheet, p, [chart_x, y, MARGIN + usable - chart_x]));
    if band > 0.0 {
        y += band + 16.0;
    }

    // Column names on up to three lines (the last one cut with an ellipsis), then the key.
    let names: Vec<Vec<String>> = p
        .columns
        .iter()
        .map(|c| {
            let mut lines = wrap(&c.name, Weight::Bold, 7.5, value_width - 4.0);
            if lines.len() > 3 {
                let rest = lines[2..].join(" ");
                lines.truncate(2);
                lines.push(fit(&rest, Weight::Bold, 7.5, value_width - 4.0));
            }
            lines
        })
        .collect();
    let name_lines = names.iter().map(Vec::len).max().unwrap_or(1).max(1);
    let header = |sheet: &mut Sheet, y: &mut f32| {
        let last = *y + 9.0 * (name_lines - 1) as f32;
        for (k, (c, lines)) in p.columns.iter().zip(&names).enumerate() {
            // Bottom-aligned: the last line of every name on the same baseline.
            let top = last - 9.0 * (lines.len().max(1) - 1) as f32;
            for (i, line) in lines.iter().enumerate() {
                sheet.text_right(right(k), top + 9.0 * i as f32, 7.5, Weight::Bold, BLACK, line);
            }
            let key = fit(&c.key, Weight::Regular, 6.5, value_width - 4.0);
            sheet.text_right(right(k), last + 9.0, 6.5, Weight::Regular, GREY, &key);
        }
        sheet.text(MARGIN, last, 7.5, Weight::Bold, BLACK, "Indicateur");
        let bottom = last + 13.0;
        sheet.rule(MARGIN, bottom, WIDTH - MARGIN, 0.8);
        *y = bottom + 13.0;
    };
    header(&mut sheet, &mut y);

    let mut missing = false;
    let mut synthetic = false;
    for (row, ind) in p.indicators.iter().enumerate() {
        let label = wrap(&ind.label, Weight::Regular, 9.0, label_width);
        let mut note = format!(
            "{} · {}, {}",
            ind.unit,
            ind.source.as_deref().unwrap_or("source inconnue"),
            ind.vintage.as_deref().unwrap_or("millésime inconnu")
        );
        if ind.synthetic {
            note.push_str(" · données synthétiques");
            synthetic = true;
        }
        let notes = wrap(&note, Weight::Regular, 7.0, label_width);
        let height = 11.0 * label.len() as f32 + 9.0 * notes.len() as f32 + 6.0;
        if y + height - 11.0 > BOTTOM {
            sheets.push(std::mem::take(&mut sheet));
            y = MARGIN + 8.0;
            sheet.text(
                MARGIN,
                y,
                9.0,
                Weight::Regular,
                GREY,
                &fit(&format!("{title} (suite)"), Weight::Regular, 9.0, usable),
            );
            y += 22.0;
            header(&mut sheet, &mut y);
        }
        if row % 2 == 1 {
            sheet.rect(MARGIN - 2.0, y - 10.0, usable + 4.0, height, [237, 237, 237]);
        }
        for k in 0..p.columns.len() {
            missing |= ind.values.get(k).copied().flatten().is_none() && !ind.is_secret(k);
            let weight = if k == 0 { Weight::Bold } else { Weight::Regular };
            sheet.text_right(right(k), y, 9.0, weight, BLACK, &ind.shown(k));
        }
        for line in &label {
            sheet.text(MARGIN, y, 9.0, Weight::Regular, BLACK, line);
            y += 11.0;
        }
        for line in &notes {
            sheet.text(MARGIN, y - 1.0, 7.0, Weight::Regular, GREY, line);
            y += 9.0;
        }
        y += 6.0;
    }

    let mut footnotes = vec![
        "Valeurs calculées par echelle en agrégeant les données des communes (ou IRIS) membres de chaque territoire."
            .to_string(),
    ];
    if missing {
        footnotes.push(format!(
            "{MISSING} : non disponible — au moins une unité membre sans donnée (secret statistique ou donnée absente), \
             ou dénominateur nul."
        ));
    }
    let mut rules: Vec<String> = Vec::new();
    for ind in p.indicators.iter().filter(|i| i.secret.contains(&true)) {
        let rule = format!("{} ({})", ind.secrecy.as_deref().unwrap_or("règle du jeu"), ind.label);
        if !rules.contains(&rule) {
            rules.push(rule);
        }
    }
    if !rules.is_empty() {
        footnotes.push(format!(
            "{} : valeur couverte par le secret statistique, selon la règle déclarée par son jeu de données : {}.",
            crate::SECRET_MARK,
            rules.join(" ; ")
        ));
    }
    if synthetic {
        footnotes.push("Données synthétiques : jeu de démonstration, pas des données publiées.".into());
    }
    let lines: Vec<String> = footnotes.iter().flat_map(|f| wrap(f, Weight::Regular, 7.5, usable)).collect();
    if y + 10.0 * lines.len() as f32 + 6.0 > BOTTOM {
        sheets.push(std::mem::take(&mut sheet));
        y = MARGIN + 8.0;
    }
    y += 6.0;
    for line in &lines {
        sheet.text(MARGIN, y, 7.5, Weight::Regular, GREY, line);
        y += 10.0;
    }
    sheets.push(sheet);

    let count = sheets.len();
    for (k, s) in sheets.iter_mut().enumerate() {
        let foot = format!(
            "echelle — {} — édité le {} — page {} / {count}",
            fit(&title, Weight::Regular, 7.5, 300.0),
            date.french(),
            k + 1
        );
        s.rule(MARGIN, HEIGHT - 40.0, WIDTH - MARGIN, 0.4);
        s.text(MARGIN, HEIGHT - 28.0, 7.5, Weight::Regular, GREY, &foot);
    }
    canvas::document(&title, &sheets, date)
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// A portrait of `indicators` rows against two references.
    pub fn portrait(name: &str, indicators: usize) -> Portrait {
        let ind = |i: usize| Indicator {
            id: format!("part_{i}"),
            label: "Part des (très) longues étiquettes d'indicateur qui passent à la ligne ≥ 2".into(),
            unit: "%".into(),
            source: Some("Insee".into()),
            vintage: Some("2021".into()),
            synthetic: false,
            decimals: 1,
            values: vec![Some(12.5 + i as f64), None, if i == 1 { None } else { Some(3.0) }],
            secret: if i == 1 { vec![false, false, true] } else { Vec::new() },
            secrecy: Some("moins de 11 ménages non diffusé".into()),
        };
        Portrait {
            territory: Territory { key: "per:x".into(), name: Some(name.into()), layer_label: "périmètre".into() },
            columns: vec![
                Column { key: "per:x".into(), name: name.into() },
                Column { key: "dep:62".into(), name: "Pas-de-Calais".into() },
                Column { key: "fr".into(), name: "France".into() },
            ],
            indicators: (0..indicators).map(ind).collect(),
            locator: None,
        }
    }

    /// Page objects: `/Type /Page` not followed by `s` (that is `/Pages`).
    fn page_count(pdf: &[u8]) -> usize {
        (0..pdf.len())
            .filter(|&i| {
                [&b"/Type /Page"[..], b"/Type/Page"]
                    .iter()
                    .any(|p| pdf[i..].starts_with(p) && pdf.get(i + p.len()).is_none_or(|b| !b.is_ascii_alphabetic()))
            })
            .count()
    }

    #[test]
    fn long_portraits_take_several_pages() {
        let pdf = render(&portrait("Béthune", 60), Date::from_days(20_791)).unwrap();
        assert!(pdf.starts_with(b"%PDF-"));
        assert!(page_count(&pdf) >= 3, "{} pages", page_count(&pdf));
        let short = render(&portrait("Béthune", 2), Date::from_days(20_791)).unwrap();
        assert!(page_count(&short) < page_count(&pdf));
    }

    #[test]
    fn values_missing_and_secret() {
        assert_eq!(shown(Some(1234.56), 1), "1\u{202f}234,6");
        assert_eq!(shown(None, 1), "n.d.");
        let p = portrait("Béthune", 2);
        assert_eq!([p.indicators[1].shown(1), p.indicators[1].shown(2)], ["n.d.", "secret"]);
        assert_eq!(p.indicators[0].shown(2), "3,0");
    }

    #[test]
    fn read_from_the_api_json() {
        let p: Portrait = serde_json::from_value(serde_json::json!({
            "territory": { "key": "com:62119", "name": "Béthune", "layer": "com", "layer_label": "commune" },
            "columns": [{ "key": "com:62119", "name": "Béthune" }],
            "indicators": [{ "id": "pop", "label": "Population", "unit": "habitants", "decimals": 0, "source": null,
                "vintage": "2021", "values": [25000.0], "coverage": [[1, 1]], "theme": "x" }]
        }))
        .unwrap();
        assert_eq!(p.title(), "Portrait : Béthune (com:62119)");
        assert_eq!(p.indicators[0].source, None);
    }
}
