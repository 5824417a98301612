//! The guard against formula injection (OWASP "CSV injection"): a text cell that a
//! spreadsheet would read as a formula is written with a leading apostrophe, which
//! LibreOffice and Excel show as text and never evaluate.

use std::borrow::Cow;

/// Characters that make a spreadsheet evaluate a cell (`=`, `+`, `-`, `@`) or that
/// some strip before doing so (tab, carriage return).
const TRIGGERS: [char; 6] = ['=', '+', '-', '@', '\t', '\r'];

/// Whether a text cell would be read as a formula by a spreadsheet.
pub fn is_formula_like(text: &str) -> bool {
    text.starts_with(TRIGGERS)
}

/// The text as written in a CSV cell: unchanged, or behind an apostrophe when a
/// spreadsheet would evaluate it.
///
/// ```
/// assert_eq!(echelle_report::guard::cell_text("=HYPERLINK(\"x\")"), "'=HYPERLINK(\"x\")");
/// assert_eq!(echelle_report::guard::cell_text("Béthune"), "Béthune");
/// ```
pub fn cell_text(text: &str) -> Cow<'_, str> {
    if is_formula_like(text) { Cow::Owned(format!("'{text}")) } else { Cow::Borrowed(text) }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn triggers() {
        for t in ["=1+1", "+33 1", "-2", "@SUM(A1)", "\tx", "\rx"] {
            assert!(is_formula_like(t), "{t:?}");
            assert!(cell_text(t).starts_with('\''));
        }
        for t in ["", "Lens", "'=x", " =x", "1-2"] {
            assert_eq!(cell_text(t), t);
        }
    }
}
