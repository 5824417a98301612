//! Errors of imports, each naming the file and, where the fault is in the data, the
//! line and column, so that the user can open the file and see it.

use std::fmt;
use std::path::{Path, PathBuf};

use echelle_store::StoreError;

/// A place in an input file: 1-based line and column (the column is a field number,
/// with its header name when there is one).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Position {
    /// The file as the user named it.
    pub file: PathBuf,
    /// 1-based line (of the file, not of the records: a quoted field may span lines).
    pub line: u64,
    /// 1-based field number in the line.
    pub column: u64,
    /// The header's name of that field, when the file has a header.
    pub column_name: Option<String>,
}

impl Position {
    /// A position, copying the file's path and the column's name.
    pub fn new(file: &Path, line: u64, column: u64, column_name: Option<&str>) -> Self {
        Position { file: file.to_path_buf(), line, column, column_name: column_name.map(str::to_string) }
    }
}

impl fmt::Display for Position {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: line {}, column {}", self.file.display(), self.line, self.column)?;
        if let Some(name) = &self.column_name {
            write!(f, " ({name})")?;
        }
        Ok(())
    }
}

/// Why an import failed.
#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    /// Something in the data: a bad line, a bad value, an unknown code, a wrong
    /// encoding or separator, an empty or binary file.
    #[error("{at}: {message}")]
    Data {
        /// Where in the file.
        at: Position,
        /// What is wrong there, with long quoted values cut.
        message: String,
    },
    /// The user's request (an option, a dataset name) cannot be carried out.
    #[error("{0}")]
    Usage(String),
    /// A download failed or did not match its declared size or checksum.
    #[error("{url}: {message}")]
    Fetch {
        /// The address downloaded.
        url: String,
        /// What failed or did not match.
        message: String,
    },
    /// A file that cannot be read or written (a missing input file is the user's fault).
    #[error("{path}: {source}")]
    Io {
        /// The file concerned.
        path: PathBuf,
        /// What the system said.
        source: std::io::Error,
    },
    /// The store could not take the dataset.
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl ImportError {
    /// A data error; values quoted in the message are cut to a few dozen characters,
    /// so a 2 MB field is named, not echoed.
    pub fn data(at: Position, message: impl Into<String>) -> Self {
        ImportError::Data { at, message: shorten_quoted(&message.into()) }
    }

    /// An I/O failure on `path`, for `map_err`.
    pub fn io(path: &Path, source: std::io::Error) -> Self {
        ImportError::Io { path: path.to_path_buf(), source }
    }

    /// Whether the fault lies in what the user gave (exit status 2) rather than in
    /// the machine.
    pub fn is_user_error(&self) -> bool {
        match self {
            ImportError::Data { .. } | ImportError::Usage(_) | ImportError::Fetch { .. } => true,
            ImportError::Io { source, .. } => source.kind() == std::io::ErrorKind::NotFound,
            ImportError::Store(e) => e.is_user_error(),
        }
    }

    /// The position of a data error, for tests and reports.
    pub fn position(&self) -> Option<&Position> {
        match self {
            ImportError::Data { at, .. } => Some(at),
            _ => None,
        }
    }
}

/// Longest quoted value kept whole in an error message, in characters.
const QUOTED_MAX: usize = 40;

/// The message with every `'…'` value longer than [`QUOTED_MAX`] characters cut,
/// saying how long it was.
pub fn shorten_quoted(message: &str) -> String {
    let mut out = String::with_capacity(message.len().min(1024));
    let mut rest = message;
    while let Some(open) = rest.find('\'') {
        out.push_str(&rest[..=open]);
        rest = &rest[open + 1..];
        let Some(close) = rest.find('\'') else { break };
        let value = &rest[..close];
        let n = value.chars().count();
        if n > QUOTED_MAX {
            out.extend(value.chars().take(QUOTED_MAX));
            out.push_str(&format!("…' ({n} caractères)"));
        } else {
            out.push_str(value);
            out.push('\'');
        }
        rest = &rest[close + 1..];
    }
    out.extend(rest.chars().take(4 * QUOTED_MAX));
    if rest.chars().count() > 4 * QUOTED_MAX {
        out.push('…');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_values_are_cut() {
        let field = "x".repeat(2_000_000);
        let e = ImportError::data(Position::new(Path::new("f.csv"), 2, 3, None), format!("'{field}' is not a number"));
        let text = e.to_string();
        assert!(text.len() < 200, "{}", text.len());
        assert!(text.contains("(2000000 caractères) is not a number"), "{text}");
        assert_eq!(shorten_quoted("'99999' is unknown"), "'99999' is unknown");
        assert_eq!(shorten_quoted("unbalanced 'quote"), "unbalanced 'quote");
    }

    #[test]
    fn data_errors_name_file_line_and_column() {
        let e =
            ImportError::data(Position::new(Path::new("FD.csv"), 12, 3, Some("DCLT")), "unknown commune code '99999'");
        assert_eq!(e.to_string(), "FD.csv: line 12, column 3 (DCLT): unknown commune code '99999'");
        assert!(e.is_user_error());
        let io = ImportError::io(Path::new("x"), std::io::Error::other("disk"));
        assert!(!io.is_user_error());
    }
}
