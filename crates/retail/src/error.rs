use std::fmt;

/// One thing wrong in an imported file: which table, line and field, and why.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, utoipa::ToSchema)]
#[schema(as = RetailProblem)]
pub struct Problem {
    /// The table (`etablissements`, `projets`) or the file.
    pub table: String,
    /// The line in the file (1 is the header), 0 when the problem is the whole table's.
    pub line: u64,
    /// The field as the mapping file names it (`area_indoor`, `commune`…).
    pub field: String,
    /// What is wrong, in French, quoting at most a few dozen characters of the value.
    pub message: String,
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.line > 0 {
            write!(f, "{}, ligne {}, champ « {} » : {}", self.table, self.line, self.field, self.message)
        } else {
            write!(f, "{}, champ « {} » : {}", self.table, self.field, self.message)
        }
    }
}

/// Errors of the retail observatory.
#[derive(Debug, thiserror::Error)]
pub enum RetailError {
    /// An imported file with problems: nothing was written.
    #[error("{} ligne(s) rejetée(s), rien n'a été importé :\n{}", rejected_lines(.0), list(.0))]
    Invalid(Vec<Problem>),
    /// A request that cannot be answered (bad date, parameter).
    #[error("{0}")]
    Usage(String),
    /// The rules data file is not what it should be.
    #[error("rules file {origin}: {message}")]
    Rules {
        /// The file.
        origin: String,
        /// What is wrong.
        message: String,
    },
    /// A file that cannot be read (mapping, inventory, brand index).
    #[error("{path}: {message}")]
    File {
        /// The file as given.
        path: String,
        /// What the reader said.
        message: String,
    },
    /// The store could not be read or written.
    #[error(transparent)]
    Store(#[from] echelle_store::StoreError),
    /// A territory the referential does not know.
    #[error(transparent)]
    Referential(#[from] echelle_referential::Error),
}

fn rejected_lines(problems: &[Problem]) -> usize {
    let mut lines: Vec<(&str, u64)> = problems.iter().map(|p| (p.table.as_str(), p.line)).collect();
    lines.sort_unstable();
    lines.dedup();
    lines.len()
}

fn list(problems: &[Problem]) -> String {
    const SHOWN: usize = 50;
    let mut s: Vec<String> = problems.iter().take(SHOWN).map(|p| format!("  - {p}")).collect();
    if problems.len() > SHOWN {
        s.push(format!("  … et {} autre(s)", problems.len() - SHOWN));
    }
    s.join("\n")
}

impl RetailError {
    /// Whether the error comes from what the user gave (exit status 2, HTTP 4xx).
    pub fn is_user_error(&self) -> bool {
        match self {
            RetailError::Invalid(_)
            | RetailError::Usage(_)
            | RetailError::File { .. }
            | RetailError::Referential(_) => true,
            RetailError::Store(e) => e.is_user_error(),
            RetailError::Rules { .. } => false,
        }
    }
}

/// A value quoted in a message: at most 40 characters.
pub(crate) fn quote(value: &str) -> String {
    let v: String = value.chars().take(40).collect();
    if v.len() < value.len() { format!("« {v}… »") } else { format!("« {v} »") }
}
