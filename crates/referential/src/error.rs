use std::fmt;

/// What went wrong when naming a territory or defining a perimeter.
///
/// Each variant renders as one line that says what is wrong and where, because these
/// errors are shown to analysts as they are.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("unknown territory '{input}'{}", Suggestions(.suggestions))]
    UnknownTerritory { input: String, suggestions: Vec<String> },
    #[error("'{input}' is ambiguous: it may be {}", .candidates.join(", "))]
    Ambiguous { input: String, candidates: Vec<String> },
    #[error("'{input}' is a former commune code: {detail}")]
    FormerCode { input: String, detail: String },
    #[error("unknown layer '{0}' (layers: com, iris, epci, arr, dep, reg, fr, per)")]
    UnknownLayer(String),
    #[error("{origin}:{line}:{column}: {message}")]
    Perimeter { origin: String, line: usize, column: usize, message: String },
    #[error("{0}")]
    Invalid(String),
    /// A text longer than the limit set for it (a name typed, a key, a perimeter's
    /// field); the text itself is not repeated.
    #[error("{what} has {chars} characters: at most {max}")]
    TooLong { what: &'static str, chars: usize, max: usize },
}

struct Suggestions<'a>(&'a [String]);

impl fmt::Display for Suggestions<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.0.is_empty() { Ok(()) } else { write!(f, "; did you mean {}?", self.0.join(", ")) }
    }
}
