//! The portrait of a territory as a printable PDF: one row per indicator with the
//! territory's value and its references', unit, source and vintage; pages as needed.

use serde_json::Value;

use super::pdf::{self, HEIGHT, Page, WIDTH, text_width};

const MARGIN: f64 = 40.0;
const BOTTOM: f64 = 60.0;

/// A number the French way: grouped thousands, decimal comma.
pub fn french(x: f64, decimals: usize) -> String {
    let s = format!("{:.*}", decimals, x.abs());
    let (int, frac) = s.split_once('.').map_or((s.as_str(), None), |(i, f)| (i, Some(f)));
    let mut grouped = String::new();
    for (i, c) in int.chars().enumerate() {
        if i > 0 && (int.len() - i) % 3 == 0 {
            grouped.push('\u{a0}');
        }
        grouped.push(c);
    }
    let negative = x < 0.0 && s.chars().any(|c| c.is_ascii_digit() && c != '0');
    format!("{}{grouped}{}", if negative { "-" } else { "" }, frac.map(|f| format!(",{f}")).unwrap_or_default())
}

/// Lines of at most `width` points, words kept whole when they fit.
fn wrap(text: &str, width: f64, size: f64) -> Vec<String> {
    let mut lines = Vec::new();
    let mut line = String::new();
    for word in text.split_whitespace() {
        let candidate = if line.is_empty() { word.to_string() } else { format!("{line} {word}") };
        if text_width(&candidate, size, false) <= width || line.is_empty() {
            line = candidate;
        } else {
            lines.push(std::mem::replace(&mut line, word.to_string()));
        }
    }
    if !line.is_empty() {
        lines.push(line);
    }
    lines.into_iter().map(|l| fit(&l, width, size, false)).collect()
}

/// The text cut with an ellipsis to fit `width`.
fn fit(text: &str, width: f64, size: f64, bold: bool) -> String {
    if text_width(text, size, bold) <= width {
        return text.to_string();
    }
    let mut s: String = text.to_string();
    while !s.is_empty() && text_width(&format!("{s}…"), size, bold) > width {
        s.pop();
    }
    format!("{}…", s.trim_end())
}

fn str_of<'a>(v: &'a Value, k: &str) -> &'a str {
    v[k].as_str().unwrap_or("")
}

/// The portrait (as `/api/portrait/{key}` returns it) as PDF bytes.
pub fn render(portrait: &Value) -> Vec<u8> {
    let t = &portrait["territory"];
    let title = format!("Portrait : {} ({})", str_of(t, "name"), str_of(t, "key"));
    let columns: Vec<&Value> = portrait["columns"].as_array().map(|c| c.iter().collect()).unwrap_or_default();
    let indicators: Vec<&Value> = portrait["indicators"].as_array().map(|c| c.iter().collect()).unwrap_or_default();
    let n = columns.len().max(1) as f64;
    let usable = WIDTH - 2.0 * MARGIN;
    let value_width = ((usable - 190.0) / n).clamp(48.0, 80.0);
    let label_width = usable - value_width * n - 8.0;
    let right = |k: usize| MARGIN + label_width + 8.0 + value_width * (k as f64 + 1.0);

    let mut pages: Vec<Page> = Vec::new();
    let mut page = Page::default();
    let mut y = HEIGHT - MARGIN;
    // Column names on up to three lines (the last one cut with an ellipsis), then the key.
    let names: Vec<Vec<String>> = columns
        .iter()
        .map(|c| {
            let mut lines = wrap(str_of(c, "name"), value_width - 4.0, 7.5);
            if lines.len() > 3 {
                let rest = lines[2..].join(" ");
                lines.truncate(2);
                lines.push(fit(&rest, value_width - 4.0, 7.5, true));
            }
            lines
        })
        .collect();
    let name_lines = names.iter().map(Vec::len).max().unwrap_or(1).max(1);
    let header = |page: &mut Page, y: &mut f64| {
        for (k, (c, lines)) in columns.iter().zip(&names).enumerate() {
            // Bottom-aligned: the last line of every name on the same baseline.
            let top = *y - 9.0 * (name_lines - lines.len()) as f64;
            for (i, line) in lines.iter().enumerate() {
                page.text_right(right(k), top - 9.0 * i as f64, 7.5, true, &fit(line, value_width - 4.0, 7.5, true));
            }
            let key = fit(str_of(c, "key"), value_width - 4.0, 6.5, false);
            let below = *y - 9.0 * name_lines as f64;
            page.text(right(k) - text_width(&key, 6.5, false), below, 6.5, false, true, &key);
        }
        page.text(MARGIN, *y - 9.0 * (name_lines - 1) as f64, 7.5, true, false, "Indicateur");
        let bottom = *y - 9.0 * name_lines as f64 - 4.0;
        page.rule(MARGIN, bottom, WIDTH - MARGIN, 0.8);
        *y = bottom - 13.0;
    };
    page.text(MARGIN, y - 8.0, 16.0, true, false, &fit(&title, usable, 16.0, true));
    y -= 26.0;
    let against: Vec<&str> = columns.iter().skip(1).map(|c| str_of(c, "name")).collect();
    let subtitle = format!("{} comparé à : {}", str_of(t, "layer_label"), against.join(", "));
    for line in wrap(&subtitle, usable, 9.0) {
        page.text(MARGIN, y, 9.0, false, true, &line);
        y -= 12.0;
    }
    y -= 10.0;
    header(&mut page, &mut y);
    let mut missing = false;
    let mut synthetic = false;
    for (row, ind) in indicators.iter().enumerate() {
        let label = wrap(str_of(ind, "label"), label_width, 9.0);
        let mut note = format!("{} · {}, {}", str_of(ind, "unit"), str_of(ind, "source"), str_of(ind, "vintage"));
        if ind["synthetic"].as_bool() == Some(true) {
            note.push_str(" · données synthétiques");
            synthetic = true;
        }
        let notes = wrap(&note, label_width, 7.0);
        let height = 11.0 * label.len() as f64 + 9.0 * notes.len() as f64 + 6.0;
        if y - height < BOTTOM {
            pages.push(std::mem::take(&mut page));
            y = HEIGHT - MARGIN;
            page.text(MARGIN, y, 9.0, false, true, &format!("{title} (suite)"));
            y -= 22.0;
            header(&mut page, &mut y);
        }
        if row % 2 == 1 {
            page.band(MARGIN - 2.0, y - height + 8.0, usable + 4.0, height);
        }
        let decimals = ind["decimals"].as_u64().unwrap_or(0).min(6) as usize;
        let values = ind["values"].as_array().cloned().unwrap_or_default();
        for k in 0..columns.len() {
            let text = match values.get(k).and_then(Value::as_f64) {
                Some(x) => french(x, decimals),
                None => {
                    missing = true;
                    "n.d.".to_string()
                }
            };
            page.text_right(right(k), y, 9.0, k == 0, &text);
        }
        for line in &label {
            page.text(MARGIN, y, 9.0, false, false, line);
            y -= 11.0;
        }
        for line in &notes {
            page.text(MARGIN, y + 1.0, 7.0, false, true, line);
            y -= 9.0;
        }
        y -= 6.0;
    }
    let mut footnotes = vec![
        "Valeurs calculées par echelle en agrégeant les données des communes (ou IRIS) membres de chaque territoire."
            .to_string(),
    ];
    if missing {
        footnotes.push(
            "n.d. : non disponible — au moins une unité membre sans donnée (secret statistique ou donnée absente), ou dénominateur nul."
                .into(),
        );
    }
    if synthetic {
        footnotes.push("Données synthétiques : jeu de démonstration, pas des données publiées.".into());
    }
    let lines: Vec<String> = footnotes.iter().flat_map(|f| wrap(f, usable, 7.5)).collect();
    if y - 12.0 * lines.len() as f64 - 10.0 < BOTTOM {
        pages.push(std::mem::take(&mut page));
        y = HEIGHT - MARGIN;
    }
    y -= 6.0;
    for line in &lines {
        page.text(MARGIN, y, 7.5, false, true, line);
        y -= 10.0;
    }
    pages.push(page);
    let count = pages.len();
    for (k, p) in pages.iter_mut().enumerate() {
        let foot = format!("echelle — {} — page {} / {count}", fit(&title, 380.0, 7.5, false), k + 1);
        p.rule(MARGIN, 40.0, WIDTH - MARGIN, 0.4);
        p.text(MARGIN, 28.0, 7.5, false, true, &foot);
    }
    pdf::document(&title, &pages)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn french_numbers() {
        assert_eq!(french(242_591.0, 0), "242\u{a0}591");
        assert_eq!(french(1234.567, 1), "1\u{a0}234,6");
        assert_eq!(french(-0.04, 1), "0,0");
        assert_eq!(french(-12.5, 1), "-12,5");
        assert_eq!(french(999.0, 2), "999,00");
    }

    #[test]
    fn long_portraits_take_several_pages() {
        let ind = serde_json::json!({ "label": "Part des (très) longues étiquettes d'indicateur qui passent à la ligne", "unit": "%",
            "source": "Insee", "vintage": "2021", "decimals": 1, "values": [12.5, null, 3.0] });
        let portrait = serde_json::json!({
            "territory": { "key": "com:62119", "name": "Béthune", "layer_label": "commune" },
            "columns": [{ "key": "com:62119", "name": "Béthune" }, { "key": "dep:62", "name": "Pas-de-Calais" }, { "key": "fr", "name": "France" }],
            "indicators": vec![ind; 60],
        });
        let pdf = render(&portrait);
        let count = pdf.windows(11).filter(|w| w == b"/Type /Page").count() - 1; // minus /Type /Pages
        assert!(count >= 3, "{count} pages");
        assert!(pdf.windows(6).any(|w| w == b"(n.d.)"));
    }
}
