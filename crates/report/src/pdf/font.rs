//! The embedded fonts (DejaVu Sans, regular and bold): measured here with `skrifa`,
//! drawn by krilla, which embeds only the glyphs used (a subset).
//!
//! Text is laid out one glyph per character, advances from the font's metrics, so
//! that what is measured is exactly what is drawn; each glyph keeps the bytes of its
//! character, which krilla writes in the font's ToUnicode map (the text copies and
//! searches as written).

use krilla::text::{Font, GlyphId, KrillaGlyph};
use skrifa::instance::{LocationRef, Size};
use skrifa::{FontRef, MetadataProvider};

static REGULAR: &[u8] = include_bytes!("../../fonts/DejaVuSans.ttf");
static BOLD: &[u8] = include_bytes!("../../fonts/DejaVuSans-Bold.ttf");

/// Regular or bold.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Weight {
    Regular,
    Bold,
}

impl Weight {
    fn data(self) -> &'static [u8] {
        match self {
            Weight::Regular => REGULAR,
            Weight::Bold => BOLD,
        }
    }

    fn face(self) -> FontRef<'static> {
        FontRef::new(self.data()).expect("the embedded font is a valid TrueType file")
    }

    /// The font for krilla.
    pub fn font(self) -> Font {
        Font::new(self.data().into(), 0).expect("the embedded font is a valid TrueType file")
    }

    /// The glyphs of `text`, one per character, advances in em.
    pub fn glyphs(self, text: &str) -> Vec<KrillaGlyph> {
        let face = self.face();
        let charmap = face.charmap();
        let metrics = face.glyph_metrics(Size::unscaled(), LocationRef::default());
        let upem = f32::from(face.metrics(Size::unscaled(), LocationRef::default()).units_per_em);
        text.char_indices()
            .map(|(i, c)| {
                let id = charmap.map(c).unwrap_or_default();
                KrillaGlyph {
                    glyph_id: GlyphId::new(id.to_u32()),
                    text_range: i..i + c.len_utf8(),
                    x_advance: metrics.advance_width(id).unwrap_or(0.0) / upem,
                    x_offset: 0.0,
                    y_offset: 0.0,
                    y_advance: 0.0,
                    location: None,
                }
            })
            .collect()
    }

    /// Width of `text` at `size`, in points.
    pub fn width(self, text: &str, size: f32) -> f32 {
        self.glyphs(text).iter().map(|g| g.x_advance).sum::<f32>() * size
    }

    /// Whether the font draws every character of `text`.
    pub fn covers(self, text: &str) -> bool {
        let face = self.face();
        let charmap = face.charmap();
        text.chars().all(|c| charmap.map(c).is_some())
    }
}

/// Lines of at most `width` points, words kept whole when they fit, a longer word cut.
pub fn wrap(text: &str, weight: Weight, size: f32, width: f32) -> Vec<String> {
    let mut lines = Vec::new();
    let mut line = String::new();
    for word in text.split_whitespace() {
        let candidate = if line.is_empty() { word.to_string() } else { format!("{line} {word}") };
        if line.is_empty() || weight.width(&candidate, size) <= width {
            line = candidate;
        } else {
            lines.push(std::mem::replace(&mut line, word.to_string()));
        }
    }
    if !line.is_empty() {
        lines.push(line);
    }
    lines.into_iter().map(|l| fit(&l, weight, size, width)).collect()
}

/// The text cut with an ellipsis to fit `width`.
pub fn fit(text: &str, weight: Weight, size: f32, width: f32) -> String {
    if weight.width(text, size) <= width {
        return text.to_string();
    }
    let mut s = text.to_string();
    while !s.is_empty() && weight.width(&format!("{s}…"), size) > width {
        s.pop();
    }
    format!("{}…", s.trim_end())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_french_and_math_character_has_a_glyph() {
        for w in [Weight::Regular, Weight::Bold] {
            assert!(w.covers("Œuvre ≥ 2 − Île-de-Là² ÉÈ œ ₂ € … — « » \u{202f}\u{a0}’"));
        }
        assert!(!Weight::Regular.covers("\u{10ffff}"));
    }

    #[test]
    fn measures() {
        let w = Weight::Regular.width("mmmm", 10.0);
        assert!((w - 4.0 * Weight::Regular.width("m", 10.0)).abs() < 1e-3 && w > 20.0, "{w}");
        assert!(Weight::Bold.width("Béthune", 10.0) > Weight::Regular.width("Béthune", 10.0));
        assert_eq!(Weight::Regular.glyphs("é≥").iter().map(|g| g.text_range.clone()).collect::<Vec<_>>(), [0..2, 2..5]);
    }

    #[test]
    fn wraps_and_fits() {
        let lines = wrap("Part des ménages sans voiture dans la commune", Weight::Regular, 9.0, 80.0);
        assert!(lines.len() >= 2, "{lines:?}");
        assert!(lines.iter().all(|l| Weight::Regular.width(l, 9.0) <= 80.0));
        let cut = fit("Communauté d'agglomération de Béthune-Bruay", Weight::Bold, 9.0, 60.0);
        assert!(cut.ends_with('…') && Weight::Bold.width(&cut, 9.0) <= 60.0, "{cut}");
    }
}
