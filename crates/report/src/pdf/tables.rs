//! A document of titled tables, each followed by its source: a shared study's report.
//! A table wider than the page is printed in blocks of columns, its first column
//! repeated in each, so that no figure is cut off.

use super::canvas::{self, BLACK, GREY, HEIGHT, Sheet, WIDTH};
use super::font::{Weight, fit, wrap};
use crate::ReportError;
use crate::date::Date;
use crate::french::french;
use crate::table::{Cell, Table};

const MARGIN: f32 = 40.0;
/// Lowest baseline of the body; the footer is below.
const BOTTOM: f32 = HEIGHT - 60.0;
/// Narrowest column, in points: beyond, the table continues in another block.
const MIN_COLUMN: f32 = 72.0;
const SIZE: f32 = 8.0;

/// What the report holds besides its tables: lines under the title (version, authors,
/// visibility) and the notes.
pub struct Document<'a> {
    /// Its title.
    pub title: &'a str,
    /// Lines printed under the title, in grey.
    pub about: &'a [String],
    /// Free text (paragraphs separated by new lines).
    pub notes: &'a str,
    /// The tables, in order.
    pub tables: &'a [Table],
}

/// Lays out pages, starting a new one when `height` more points do not fit.
struct Pages {
    sheets: Vec<Sheet>,
    sheet: Sheet,
    y: f32,
}

impl Pages {
    fn room(&mut self, height: f32) {
        if self.y + height > BOTTOM {
            self.next_page();
        }
    }

    fn next_page(&mut self) {
        self.sheets.push(std::mem::take(&mut self.sheet));
        self.y = MARGIN + 10.0;
    }

    fn lines(&mut self, text: &str, size: f32, weight: Weight, colour: canvas::Colour, width: f32) {
        for paragraph in text.lines() {
            for line in wrap(paragraph, weight, size, width) {
                self.room(size + 3.0);
                self.sheet.text(MARGIN, self.y, size, weight, colour, &line);
                self.y += size + 3.0;
            }
        }
    }
}

fn cell_text(c: &Cell) -> String {
    match c {
        Cell::Text(t) => t.clone(),
        Cell::Number(x) => french(*x, if x.fract() == 0.0 { 0 } else { 2 }),
        Cell::Empty => "n.d.".into(),
    }
}

/// The document as PDF bytes, dated `date`.
pub fn render(doc: &Document, date: Date) -> Result<Vec<u8>, ReportError> {
    let usable = WIDTH - 2.0 * MARGIN;
    let mut p = Pages { sheets: Vec::new(), sheet: Sheet::default(), y: MARGIN + 18.0 };
    p.lines(doc.title, 15.0, Weight::Bold, BLACK, usable);
    for line in doc.about {
        p.lines(line, 8.5, Weight::Regular, GREY, usable);
    }
    p.y += 8.0;
    if !doc.notes.trim().is_empty() {
        p.lines("Notes", 11.0, Weight::Bold, BLACK, usable);
        p.lines(doc.notes, 9.0, Weight::Regular, BLACK, usable);
        p.y += 8.0;
    }
    for (n, table) in doc.tables.iter().enumerate() {
        p.room(60.0);
        p.lines(&format!("{}. {}", n + 1, table.title), 11.0, Weight::Bold, BLACK, usable);
        let first = MIN_COLUMN.max(usable * 0.3);
        let per_block = (((usable - first) / MIN_COLUMN).floor() as usize).max(1);
        let rest: Vec<usize> = (1..table.columns.len()).collect();
        let blocks: Vec<&[usize]> = if rest.is_empty() { vec![&[][..]] } else { rest.chunks(per_block).collect() };
        for block in blocks {
            let width = if block.is_empty() { usable } else { (usable - first) / block.len() as f32 };
            let right = |k: usize| MARGIN + first + width * (k as f32 + 1.0);
            let header = |p: &mut Pages| {
                p.room(30.0);
                p.sheet.text(
                    MARGIN,
                    p.y,
                    SIZE,
                    Weight::Bold,
                    BLACK,
                    &fit(&table.columns[0], Weight::Bold, SIZE, first - 4.0),
                );
                for (k, &j) in block.iter().enumerate() {
                    let name = fit(&table.columns[j], Weight::Bold, SIZE, width - 4.0);
                    p.sheet.text_right(right(k), p.y, SIZE, Weight::Bold, BLACK, &name);
                }
                p.sheet.rule(MARGIN, p.y + 4.0, WIDTH - MARGIN, 0.6);
                p.y += 14.0;
            };
            header(&mut p);
            for (i, row) in table.rows.iter().enumerate() {
                if p.y + SIZE + 4.0 > BOTTOM {
                    p.next_page();
                    header(&mut p);
                }
                if i % 2 == 1 {
                    p.sheet.rect(MARGIN - 2.0, p.y - SIZE - 1.0, usable + 4.0, SIZE + 4.0, [237, 237, 237]);
                }
                let label = fit(&row.first().map(cell_text).unwrap_or_default(), Weight::Regular, SIZE, first - 4.0);
                p.sheet.text(MARGIN, p.y, SIZE, Weight::Regular, BLACK, &label);
                for (k, &j) in block.iter().enumerate() {
                    let text = fit(&row.get(j).map(cell_text).unwrap_or_default(), Weight::Regular, SIZE, width - 4.0);
                    p.sheet.text_right(right(k), p.y, SIZE, Weight::Regular, BLACK, &text);
                }
                p.y += SIZE + 4.0;
            }
            p.y += 4.0;
        }
        let source = table.source_line().unwrap_or_else(|| "Source : non indiquée".into());
        p.lines(&source, 7.5, Weight::Regular, GREY, usable);
        p.y += 12.0;
    }
    p.sheets.push(p.sheet);
    let count = p.sheets.len();
    for (k, s) in p.sheets.iter_mut().enumerate() {
        let foot = format!(
            "echelle — {} — édité le {} — page {} / {count}",
            fit(doc.title, Weight::Regular, 7.5, 300.0),
            date.french(),
            k + 1
        );
        s.rule(MARGIN, HEIGHT - 40.0, WIDTH - MARGIN, 0.4);
        s.text(MARGIN, HEIGHT - 28.0, 7.5, Weight::Regular, GREY, &foot);
    }
    canvas::document(doc.title, &p.sheets, date)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_long_and_wide_table_fills_several_pages_without_error() {
        let columns: Vec<String> = (0..12).map(|j| format!("Colonne {j}")).collect();
        let rows = (0..150)
            .map(|i| {
                std::iter::once(Cell::Text(format!("Territoire {i}")))
                    .chain((1..12).map(|j| Cell::Number((i * j) as f64 + 0.5)))
                    .collect()
            })
            .collect();
        let table = Table { title: "Large".into(), source: "Insee, RP 2021".into(), columns, info: vec![], rows };
        let doc =
            Document { title: "Étude", about: &["version 2".into()], notes: "Une note.\nDeux.", tables: &[table] };
        let pdf = render(&doc, Date::from_days(20_000)).unwrap();
        assert!(pdf.starts_with(b"%PDF"));
        assert!(pdf.len() > 5_000);
    }
}
