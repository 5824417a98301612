//! Pages as lists of drawing operations, laid out first and drawn with krilla at the
//! end (the footer of every page names the page count, known only then).
//!
//! Coordinates are in points from the top-left corner of an A4 page, y downwards;
//! a text's y is its baseline.

use krilla::Document;
use krilla::color::rgb;
use krilla::geom::{PathBuilder, Point};
use krilla::metadata::{DateTime, Metadata};
use krilla::num::NormalizedF32;
use krilla::page::PageSettings;
use krilla::paint::{Fill, FillRule, Stroke};
use krilla::surface::Surface;
use krilla::text::Font;

use super::font::Weight;
use crate::ReportError;
use crate::date::Date;

/// A4 portrait, in points.
pub const WIDTH: f32 = 595.0;
pub const HEIGHT: f32 = 842.0;

/// An sRGB colour.
pub type Colour = [u8; 3];
pub const BLACK: Colour = [0, 0, 0];
pub const GREY: Colour = [102, 102, 102];

/// A polygon in page coordinates: exterior ring, then holes.
pub type Shape = Vec<Vec<[f32; 2]>>;

enum Op {
    Text { x: f32, y: f32, size: f32, weight: Weight, colour: Colour, text: String },
    Rect { x: f32, y: f32, w: f32, h: f32, fill: Colour },
    Line { from: [f32; 2], to: [f32; 2], width: f32, colour: Colour },
    Shapes { shapes: Vec<Shape>, fill: Option<Colour>, stroke: Option<(Colour, f32)> },
}

/// One page being laid out.
#[derive(Default)]
pub struct Sheet {
    ops: Vec<Op>,
}

impl Sheet {
    /// Text starting at `x`, baseline at `y`.
    pub fn text(&mut self, x: f32, y: f32, size: f32, weight: Weight, colour: Colour, text: &str) {
        if !text.is_empty() {
            self.ops.push(Op::Text { x, y, size, weight, colour, text: text.to_string() });
        }
    }

    /// Text ending at `right`.
    pub fn text_right(&mut self, right: f32, y: f32, size: f32, weight: Weight, colour: Colour, text: &str) {
        self.text(right - weight.width(text, size), y, size, weight, colour, text);
    }

    /// A horizontal rule.
    pub fn rule(&mut self, x0: f32, y: f32, x1: f32, width: f32) {
        self.line([x0, y], [x1, y], width, [153, 153, 153]);
    }

    pub fn line(&mut self, from: [f32; 2], to: [f32; 2], width: f32, colour: Colour) {
        self.ops.push(Op::Line { from, to, width, colour });
    }

    /// A filled rectangle, `y` its top.
    pub fn rect(&mut self, x: f32, y: f32, w: f32, h: f32, fill: Colour) {
        if w > 0.0 && h > 0.0 {
            self.ops.push(Op::Rect { x, y, w, h, fill });
        }
    }

    /// Polygons filled (even-odd, so holes stay empty) and outlined.
    pub fn shapes(&mut self, shapes: Vec<Shape>, fill: Option<Colour>, stroke: Option<(Colour, f32)>) {
        if !shapes.is_empty() {
            self.ops.push(Op::Shapes { shapes, fill, stroke });
        }
    }

    fn draw(&self, s: &mut Surface, fonts: &[Font; 2]) {
        for op in &self.ops {
            match op {
                Op::Text { x, y, size, weight, colour, text } => {
                    s.set_stroke(None);
                    s.set_fill(Some(fill(*colour)));
                    let font = fonts[usize::from(*weight == Weight::Bold)].clone();
                    s.draw_glyphs(Point::from_xy(*x, *y), &weight.glyphs(text), font, text, *size, false);
                }
                Op::Rect { x, y, w, h, fill: colour } => {
                    let mut p = PathBuilder::new();
                    p.move_to(*x, *y);
                    p.line_to(x + w, *y);
                    p.line_to(x + w, y + h);
                    p.line_to(*x, y + h);
                    p.close();
                    if let Some(path) = p.finish() {
                        s.set_stroke(None);
                        s.set_fill(Some(fill(*colour)));
                        s.draw_path(&path);
                    }
                }
                Op::Line { from, to, width, colour } => {
                    let mut p = PathBuilder::new();
                    p.move_to(from[0], from[1]);
                    p.line_to(to[0], to[1]);
                    if let Some(path) = p.finish() {
                        s.set_fill(None);
                        s.set_stroke(Some(stroke(*colour, *width)));
                        s.draw_path(&path);
                    }
                }
                Op::Shapes { shapes, fill: f, stroke: st } => {
                    let mut p = PathBuilder::new();
                    for ring in shapes.iter().flatten() {
                        let Some((first, rest)) = ring.split_first() else { continue };
                        p.move_to(first[0], first[1]);
                        for q in rest {
                            p.line_to(q[0], q[1]);
                        }
                        p.close();
                    }
                    if let Some(path) = p.finish() {
                        s.set_fill(f.map(|c| Fill { rule: FillRule::EvenOdd, ..fill(c) }));
                        s.set_stroke(st.map(|(c, w)| stroke(c, w)));
                        s.draw_path(&path);
                    }
                }
            }
        }
    }
}

fn fill(c: Colour) -> Fill {
    Fill { paint: rgb::Color::new(c[0], c[1], c[2]).into(), opacity: NormalizedF32::ONE, rule: FillRule::NonZero }
}

fn stroke(c: Colour, width: f32) -> Stroke {
    Stroke { paint: rgb::Color::new(c[0], c[1], c[2]).into(), width, ..Stroke::default() }
}

/// The sheets as an A4 PDF file, with its title, language and date in the metadata.
pub fn document(title: &str, sheets: &[Sheet], date: Date) -> Result<Vec<u8>, ReportError> {
    let mut doc = Document::new();
    doc.set_metadata(
        Metadata::new()
            .title(title.to_string())
            .creator("echelle".into())
            .language("fr".into())
            .creation_date(DateTime::new(date.year.clamp(0, 9999) as u16).month(date.month).day(date.day)),
    );
    // One font object each for the whole document: krilla embeds each once, subset.
    let fonts = [Weight::Regular.font(), Weight::Bold.font()];
    for sheet in sheets {
        let settings = PageSettings::from_wh(WIDTH, HEIGHT).expect("A4 is a valid page size");
        let mut page = doc.start_page_with(settings);
        let mut surface = page.surface();
        sheet.draw(&mut surface, &fonts);
        surface.finish();
        page.finish();
    }
    doc.finish().map_err(|e| ReportError::Write { format: "PDF", message: format!("{e:?}") })
}
