//! An attachment's type decided by its first bytes, checked against its name: a file
//! named `.pdf` that is an executable, an archive or anything else is refused, and so
//! is an oversized one, before anything is stored.

/// The largest attachment (10 MiB).
pub const MAX_ATTACHMENT_BYTES: usize = 10 * 1024 * 1024;

/// What an attachment may be.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// `%PDF-`.
    Pdf,
    /// PNG image.
    Png,
    /// JPEG image.
    Jpeg,
    /// An office document (DOCX, XLSX, ODT, ODS: a ZIP container).
    Office,
    /// Plain UTF-8 text (TXT, CSV).
    Text,
}

impl Kind {
    /// Its MIME type, stored and sent back with the file.
    pub fn mime(self) -> &'static str {
        match self {
            Kind::Pdf => "application/pdf",
            Kind::Png => "image/png",
            Kind::Jpeg => "image/jpeg",
            Kind::Office => "application/octet-stream",
            Kind::Text => "text/plain; charset=utf-8",
        }
    }

    fn of_extension(ext: &str) -> Option<Kind> {
        Some(match ext {
            "pdf" => Kind::Pdf,
            "png" => Kind::Png,
            "jpg" | "jpeg" => Kind::Jpeg,
            "docx" | "xlsx" | "odt" | "ods" => Kind::Office,
            "txt" | "csv" => Kind::Text,
            _ => return None,
        })
    }
}

/// Why an attachment is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AttachmentError {
    /// Larger than [`MAX_ATTACHMENT_BYTES`].
    #[error("pièce jointe « {name} » : {size} octets, 10 Mio au plus")]
    TooLarge {
        /// Its name.
        name: String,
        /// Its size.
        size: usize,
    },
    /// A name whose extension is not accepted.
    #[error("pièce jointe « {0} » : types acceptés PDF, PNG, JPEG, DOCX, XLSX, ODT, ODS, TXT, CSV")]
    Type(String),
    /// Content that is not what the name says (an executable named `.pdf`).
    #[error("pièce jointe « {name} » : son contenu ({found}) ne correspond pas à son nom")]
    Disguised {
        /// Its name.
        name: String,
        /// What the bytes are.
        found: &'static str,
    },
}

/// What the first bytes say a file is.
fn sniff(bytes: &[u8]) -> &'static str {
    match bytes {
        [b'%', b'P', b'D', b'F', b'-', ..] => "pdf",
        [0x89, b'P', b'N', b'G', ..] => "png",
        [0xFF, 0xD8, 0xFF, ..] => "jpeg",
        [b'P', b'K', 3, 4, ..] => "zip",
        [b'M', b'Z', ..] => "un exécutable Windows",
        [0x7F, b'E', b'L', b'F', ..] => "un exécutable ELF",
        [b'#', b'!', ..] => "un script",
        [0xCA, 0xFE, 0xBA, 0xBE, ..] | [0xCF, 0xFA, 0xED, 0xFE, ..] => "un exécutable macOS",
        _ if !bytes.contains(&0) && std::str::from_utf8(bytes).is_ok() => "text",
        _ => "un fichier binaire inconnu",
    }
}

/// The kind of an attachment named `name` with content `bytes`, or why it is refused.
pub fn check_attachment(name: &str, bytes: &[u8]) -> Result<Kind, AttachmentError> {
    if bytes.len() > MAX_ATTACHMENT_BYTES {
        return Err(AttachmentError::TooLarge { name: name.into(), size: bytes.len() });
    }
    let ext = name.rsplit_once('.').map(|(_, e)| e.to_ascii_lowercase()).unwrap_or_default();
    let kind = Kind::of_extension(&ext).ok_or_else(|| AttachmentError::Type(name.into()))?;
    let found = sniff(bytes);
    let matches = match kind {
        Kind::Pdf => found == "pdf",
        Kind::Png => found == "png",
        Kind::Jpeg => found == "jpeg",
        Kind::Office => found == "zip",
        Kind::Text => found == "text",
    };
    if !matches {
        let found = match found {
            "pdf" => "un PDF",
            "png" => "une image PNG",
            "jpeg" => "une image JPEG",
            "zip" => "une archive ZIP",
            "text" => "du texte",
            other => other,
        };
        return Err(AttachmentError::Disguised { name: name.into(), found });
    }
    Ok(kind)
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    #[test]
    fn files_are_what_their_bytes_say() {
        assert_eq!(check_attachment("plan.PDF", b"%PDF-1.7\n...").unwrap(), Kind::Pdf);
        assert_eq!(check_attachment("halle.jpg", &[0xFF, 0xD8, 0xFF, 0xE0, 0]).unwrap(), Kind::Jpeg);
        assert_eq!(check_attachment("budget.xlsx", b"PK\x03\x04rest").unwrap(), Kind::Office);
        assert_eq!(check_attachment("liste.csv", "commune;coût\nArras;12\n".as_bytes()).unwrap(), Kind::Text);
        let e = check_attachment("devis.pdf", b"MZ\x90\x00\x03").unwrap_err();
        assert_eq!(
            e.to_string(),
            "pièce jointe « devis.pdf » : son contenu (un exécutable Windows) ne correspond pas à son nom"
        );
        assert!(matches!(check_attachment("x.pdf", b"\x7fELF\x02"), Err(AttachmentError::Disguised { .. })));
        assert!(matches!(check_attachment("setup.exe", b"MZ"), Err(AttachmentError::Type(_))));
        assert!(matches!(check_attachment("sans-extension", b"%PDF-"), Err(AttachmentError::Type(_))));
        let big = vec![b'a'; MAX_ATTACHMENT_BYTES + 1];
        assert!(matches!(check_attachment("gros.txt", &big), Err(AttachmentError::TooLarge { .. })));
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(1000))]

        /// Whatever the bytes, a file named `.pdf` is accepted only when they start as a PDF.
        #[test]
        fn a_pdf_is_accepted_only_with_a_pdf_header(bytes in prop::collection::vec(any::<u8>(), 0..64)) {
            let accepted = check_attachment("piece.pdf", &bytes).is_ok();
            prop_assert_eq!(accepted, bytes.starts_with(b"%PDF-"));
        }
    }
}
