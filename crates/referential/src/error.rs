use std::fmt;

/// What went wrong when naming a territory or defining a perimeter.
///
/// Each variant renders as one line that says what is wrong and where, because these
/// errors are shown to analysts as they are.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// No territory has that code or name.
    #[error("unknown territory '{input}'{}", Suggestions(.suggestions))]
    UnknownTerritory {
        /// What the user typed.
        input: String,
        /// The closest names, offered as "did you mean".
        suggestions: Vec<String>,
    },
    /// A name shared by several territories: the user must pick one by its code.
    #[error("'{input}' is ambiguous: it may be {}", .candidates.join(", "))]
    Ambiguous {
        /// What the user typed.
        input: String,
        /// The territories it may name, each as `prefix:code (name)`.
        candidates: Vec<String>,
    },
    /// The code of a commune merged away: it names no current territory by itself.
    #[error("'{input}' is a former commune code: {detail}")]
    FormerCode {
        /// The former code typed.
        input: String,
        /// Which current communes took it over.
        detail: String,
    },
    /// A layer prefix other than those of [`crate::Layer`].
    #[error("unknown layer '{0}' (layers: com, iris, epci, arr, dep, reg, fr, per)")]
    UnknownLayer(String),
    /// A perimeter definition that does not parse or resolve, with its position.
    #[error("{origin}:{line}:{column}: {message}")]
    Perimeter {
        /// Where the definition came from, as given to [`crate::PerimeterDef::parse`].
        origin: String,
        /// 1-based line in the definition's text.
        line: usize,
        /// 1-based column in that line.
        column: usize,
        /// What is wrong there.
        message: String,
    },
    /// Inconsistent input data (a reference pack that contradicts itself…).
    #[error("{0}")]
    Invalid(String),
    /// A text longer than the limit set for it (a name typed, a key, a perimeter's
    /// field); the text itself is not repeated.
    #[error("{what} has {chars} characters: at most {max}")]
    TooLong {
        /// What the text is ("a name", "a perimeter's id"…).
        what: &'static str,
        /// Its length in characters.
        chars: usize,
        /// The limit.
        max: usize,
    },
}

struct Suggestions<'a>(&'a [String]);

impl fmt::Display for Suggestions<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.0.is_empty() { Ok(()) } else { write!(f, "; did you mean {}?", self.0.join(", ")) }
    }
}
