use unicode_normalization::UnicodeNormalization;

/// Folds a name for matching: accents removed, lower case, punctuation as spaces.
///
/// Analysts type "bethune" or "BETHUNE" for Béthune and "saint omer" for
/// Saint-Omer; INSEE's own upper-case names (`NCC`) fold to the same key.
///
/// ```
/// assert_eq!(echelle_referential::fold("Béthune"), "bethune");
/// assert_eq!(echelle_referential::fold("L'Abergement-Clémenciat"), "l abergement clemenciat");
/// assert_eq!(echelle_referential::fold("  ŒUVRE  Æ "), "oeuvre ae");
/// ```
pub fn fold(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    let mut space = true;
    for c in name.nfd() {
        let c = match c {
            'œ' | 'Œ' => {
                push_word(&mut out, &mut space, "oe");
                continue;
            }
            'æ' | 'Æ' => {
                push_word(&mut out, &mut space, "ae");
                continue;
            }
            c if ('\u{300}'..='\u{36f}').contains(&c) => continue,
            c => c,
        };
        if c.is_alphanumeric() {
            out.extend(c.to_lowercase());
            space = false;
        } else if !space {
            out.push(' ');
            space = true;
        }
    }
    if out.ends_with(' ') {
        out.pop();
    }
    out
}

fn push_word(out: &mut String, space: &mut bool, s: &str) {
    out.push_str(s);
    *space = false;
}

#[cfg(test)]
mod tests {
    use super::fold;
    use proptest::prelude::*;

    #[test]
    fn insee_upper_case_and_display_names_fold_alike() {
        assert_eq!(fold("BETHUNE"), fold("Béthune"));
        assert_eq!(fold("Hénin-Beaumont"), "henin beaumont");
        assert_eq!(fold("Île-de-France"), "ile de france");
    }

    proptest! {
        #[test]
        fn folding_is_idempotent(s in "\\PC{0,30}") {
            let once = fold(&s);
            prop_assert_eq!(fold(&once), once.clone());
            prop_assert!(!once.starts_with(' ') && !once.ends_with(' '));
        }
    }
}
