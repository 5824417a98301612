//! Commune codes as found in INSEE's files, checked against the reference pack and
//! moved onto its (current) geography.
//!
//! A file of vintage N uses the geography of 1 January N+2 or so; since then
//! communes have merged ("communes nouvelles") and a few have split. A code is:
//! - a commune actuelle: kept;
//! - an arrondissement municipal (Paris, Lyon, Marseille) or a commune déléguée or
//!   associée: its commune actuelle;
//! - a former code: the commune that took it over, or several when it split;
//! - `99xxx` (INSEE's country codes) where the column allows work or study abroad;
//! - anything else: an error naming the line and column.

use std::collections::HashMap;

use echelle_referential::Referential;

/// What a code column may hold.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CodeRole {
    /// A commune (current, former, déléguée, associée or arrondissement municipal).
    Commune,
    /// A commune, or a foreign country (`99xxx`) for work or study abroad.
    CommuneOrAbroad,
    /// An arrondissement municipal, or `ZZZZZ` outside Paris, Lyon and Marseille.
    ArmOrZ,
}

/// Where a code lands on the current geography.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Resolved {
    /// A commune actuelle, unchanged.
    Current(u32),
    /// Another code that belongs to one commune actuelle.
    Moved(u32),
    /// A former commune now shared by several communes actuelles.
    Split(Vec<u32>),
    /// Abroad (`99xxx`) or not applicable (`ZZZZZ`): no commune.
    Outside,
}

impl Resolved {
    /// The one current commune, when there is one.
    pub fn commune(&self) -> Option<u32> {
        match self {
            Resolved::Current(i) | Resolved::Moved(i) => Some(*i),
            _ => None,
        }
    }
}

/// [`Codes::resolve_ref`]'s answer: a commune actuelle found without reading the
/// table of answers, or any other answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Hit<'a> {
    /// As [`Resolved::Current`].
    Current(u32),
    /// As [`Resolved::Moved`].
    Moved(u32),
    /// A split, abroad or refused code.
    Other(&'a Result<Resolved, String>),
}

/// A slot's tag (its two high bits) and the index under it.
const TAG_SHIFT: u32 = 30;
const INDEX: u32 = (1 << TAG_SHIFT) - 1;
const CURRENT: u32 = 1;
const MOVED: u32 = 2;
const OTHER: u32 = 3;

/// Slots of well-formed codes: `00000`–`99999`, then `2A000`–`2A999`, `2B000`–`2B999`
/// and `ZZZZZ`.
pub(crate) const SLOTS: usize = 102_001;

/// A well-formed code's slot, found from its bytes without hashing.
pub(crate) fn slot(code: &[u8]) -> Option<usize> {
    let &[a, b, c, d, e] = code else { return None };
    let digit = |x: u8| x.is_ascii_digit().then(|| (x - b'0') as usize);
    let tail = || Some(digit(c)? * 100 + digit(d)? * 10 + digit(e)?);
    match (a, b) {
        (b'2', b'A') => Some(100_000 + tail()?),
        (b'2', b'B') => Some(101_000 + tail()?),
        (b'Z', b'Z') if code == b"ZZZZZ" => Some(102_000),
        _ => Some(digit(a)? * 10_000 + digit(b)? * 1000 + tail()?),
    }
}

/// The code of every slot, in slot order: the one dictionary of every batch's
/// columns of codes, whose keys are then the codes' slots. Every thread numbers
/// codes alike, and the store keeps the keys as they are.
pub(crate) fn slot_codes() -> &'static arrow::array::ArrayRef {
    static CODES: std::sync::OnceLock<arrow::array::ArrayRef> = std::sync::OnceLock::new();
    CODES.get_or_init(|| {
        let code = |k: usize| match k {
            100_000..101_000 => format!("2A{:03}", k - 100_000),
            101_000..102_000 => format!("2B{:03}", k - 101_000),
            102_000 => "ZZZZZ".to_string(),
            _ => format!("{k:05}"),
        };
        std::sync::Arc::new(arrow::array::StringArray::from_iter_values((0..SLOTS).map(code)))
    })
}

/// Resolves codes, with a cache: a national file repeats 35,000 codes millions of
/// times, so a code is looked up by its slot in a table.
pub struct Codes<'r> {
    r: &'r Referential,
    subs: HashMap<&'r str, u32>,
    arms: HashMap<&'r str, u32>,
    /// Per role, a code's slot -> its answer packed ([`Codes::pack`]; 0: not seen).
    /// A current or moved commune is read from the slot alone: the import looks up
    /// three codes a row, and a second table read at random costs a cache miss each.
    slots: [Vec<u32>; 3],
    answers: Vec<Result<Resolved, String>>,
    /// Per role, answers for codes without a slot (malformed ones).
    cache: [HashMap<String, Result<Resolved, String>>; 3],
    /// INSEE's correspondence table, when given: a code of the file's year -> the
    /// codes of the table's latest year.
    passage: HashMap<String, Vec<String>>,
}

impl<'r> Codes<'r> {
    pub fn new(r: &'r Referential) -> Self {
        let mut subs = HashMap::new();
        let mut arms = HashMap::new();
        for s in r.sub_communes() {
            if let Some(i) = r.commune_index(&s.commune) {
                subs.insert(s.code.as_str(), i);
                if s.kind == echelle_referential::SubCommuneKind::ArrondissementMunicipal {
                    arms.insert(s.code.as_str(), i);
                }
            }
        }
        Codes {
            r,
            subs,
            arms,
            slots: Default::default(),
            answers: Vec::new(),
            cache: Default::default(),
            passage: HashMap::new(),
        }
    }

    /// The same resolver with empty caches, for another reading thread.
    pub fn fork(&self) -> Codes<'r> {
        Codes {
            r: self.r,
            subs: self.subs.clone(),
            arms: self.arms.clone(),
            slots: Default::default(),
            answers: Vec::new(),
            cache: Default::default(),
            passage: self.passage.clone(),
        }
    }

    /// Uses INSEE's correspondence table (`table_passage_annuelle`): codes of the
    /// file's year are first moved to the table's latest year, then onto the pack.
    pub fn with_passage(mut self, passage: HashMap<String, Vec<String>>) -> Self {
        self.passage = passage;
        self.slots = Default::default();
        self.answers.clear();
        self.cache = Default::default();
        self
    }

    pub fn referential(&self) -> &'r Referential {
        self.r
    }

    /// Resolves `code` for a column of `role`; the error says why it is refused.
    pub fn resolve(&mut self, code: &str, role: CodeRole) -> Result<Resolved, String> {
        match self.resolve_ref(code, role) {
            Hit::Current(i) => Ok(Resolved::Current(i)),
            Hit::Moved(i) => Ok(Resolved::Moved(i)),
            Hit::Other(answer) => answer.clone(),
        }
    }

    /// As [`Codes::resolve`], without copying the answer: the import's hot path.
    pub fn resolve_ref(&mut self, code: &str, role: CodeRole) -> Hit<'_> {
        if let Some(k) = slot(code.as_bytes()) {
            return self.resolve_slot(k, code, role);
        }
        let r = role as usize;
        if !self.cache[r].contains_key(code) {
            let out = self.resolve_uncached(code, role);
            self.cache[r].insert(code.to_string(), out);
        }
        Hit::Other(&self.cache[r][code])
    }

    /// As [`Codes::resolve_ref`] for a well-formed `code` whose [`slot`] is `k`.
    #[inline]
    pub(crate) fn resolve_slot(&mut self, k: usize, code: &str, role: CodeRole) -> Hit<'_> {
        let r = role as usize;
        if self.slots[r].is_empty() {
            self.slots[r] = vec![0; SLOTS];
        }
        if self.slots[r][k] == 0 {
            let out = self.resolve_uncached(code, role);
            self.slots[r][k] = self.pack(out);
        }
        let v = self.slots[r][k];
        match v >> TAG_SHIFT {
            CURRENT => Hit::Current(v & INDEX),
            MOVED => Hit::Moved(v & INDEX),
            _ => Hit::Other(&self.answers[(v & INDEX) as usize]),
        }
    }

    /// An answer as a slot's value: a commune's index under its tag, anything else
    /// the index of its place in `answers`.
    fn pack(&mut self, out: Result<Resolved, String>) -> u32 {
        match out {
            Ok(Resolved::Current(i)) if i <= INDEX => CURRENT << TAG_SHIFT | i,
            Ok(Resolved::Moved(i)) if i <= INDEX => MOVED << TAG_SHIFT | i,
            other => {
                self.answers.push(other);
                OTHER << TAG_SHIFT | (self.answers.len() - 1) as u32
            }
        }
    }

    fn resolve_uncached(&self, code: &str, role: CodeRole) -> Result<Resolved, String> {
        let well_formed = code.len() == 5
            && code.bytes().all(|b| b.is_ascii_digit() || b == b'A' || b == b'B' || b == b'Z')
            && (code.bytes().all(|b| b.is_ascii_digit())
                || (code.starts_with("2A") || code.starts_with("2B")) && code[2..].bytes().all(|b| b.is_ascii_digit())
                || code == "ZZZZZ");
        if !well_formed {
            let hint = if code.len() == 4 && code.bytes().all(|b| b.is_ascii_digit()) {
                format!(" (did a spreadsheet drop the leading zero of 0{code}?)")
            } else {
                String::new()
            };
            return Err(format!("'{code}' is not a commune code (5 characters, e.g. 01001, 2A004){hint}"));
        }
        if role == CodeRole::ArmOrZ {
            return match (code, self.arms.get(code)) {
                ("ZZZZZ", _) => Ok(Resolved::Outside),
                (_, Some(&i)) => Ok(Resolved::Moved(i)),
                _ => Err(format!("'{code}' is neither an arrondissement municipal nor ZZZZZ")),
            };
        }
        if let Some(i) = self.r.commune_index(code) {
            return Ok(Resolved::Current(i));
        }
        if let Some(&i) = self.subs.get(code) {
            return Ok(Resolved::Moved(i));
        }
        if let Some(targets) = self.passage.get(code) {
            let mut found: Vec<u32> = Vec::new();
            for t in targets {
                let r = if t == code { Err(String::new()) } else { self.resolve_uncached(t, CodeRole::Commune) };
                match r {
                    Ok(Resolved::Current(i) | Resolved::Moved(i)) => found.push(i),
                    Ok(Resolved::Split(v)) => found.extend(v),
                    _ => {}
                }
            }
            found.sort_unstable();
            found.dedup();
            match found.as_slice() {
                [] => {}
                [one] => return Ok(Resolved::Moved(*one)),
                many => return Ok(Resolved::Split(many.to_vec())),
            }
        }
        match self.r.successors(code) {
            [] => {}
            [one] => return Ok(Resolved::Moved(*one)),
            many => return Ok(Resolved::Split(many.to_vec())),
        }
        if role == CodeRole::CommuneOrAbroad && code.starts_with("99") {
            return Ok(Resolved::Outside);
        }
        Err(format!(
            "unknown commune code '{code}': neither a commune of the reference pack nor a former, delegated or associated commune"
        ))
    }

    /// The code of a commune actuelle.
    pub fn code_of(&self, index: u32) -> &'r str {
        &self.r.communes()[index as usize].code
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use echelle_referential::referential::UnitInfo;
    use echelle_referential::{Commune, Layer, SubCommune, SubCommuneKind};

    use super::*;

    fn commune(code: &str, pop: u64) -> Commune {
        Commune {
            code: code.into(),
            name: code.into(),
            departement: code[..2].into(),
            region: "32".into(),
            arrondissement: None,
            in_france: true,
            epci: None,
            population: Some(pop),
            population_dgcl: None,
        }
    }

    /// Four communes, Paris's 8th arrondissement, a former code merged (59298) and
    /// one split between two communes (59888).
    pub(crate) fn referential() -> Referential {
        let unit = |layer, code: &str| UnitInfo { layer, code: code.into(), name: code.into(), kind: None };
        Referential::new(
            vec![commune("59350", 1000), commune("59009", 500), commune("75056", 2000), commune("2A004", 700)],
            vec![
                unit(Layer::Departement, "59"),
                unit(Layer::Departement, "75"),
                unit(Layer::Departement, "2A"),
                unit(Layer::Region, "32"),
            ],
            vec![SubCommune {
                code: "75108".into(),
                name: "Paris 8e".into(),
                kind: SubCommuneKind::ArrondissementMunicipal,
                commune: "75056".into(),
            }],
            vec![("59298".into(), "59350".into()), ("59888".into(), "59350".into()), ("59888".into(), "59009".into())],
            vec![],
        )
        .unwrap()
    }

    #[test]
    fn codes_resolve_onto_the_current_geography() {
        let r = referential();
        let mut c = Codes::new(&r);
        let idx = |code| r.commune_index(code).unwrap();
        assert_eq!(c.resolve("59350", CodeRole::Commune), Ok(Resolved::Current(idx("59350"))));
        assert_eq!(c.resolve("2A004", CodeRole::Commune), Ok(Resolved::Current(idx("2A004"))));
        assert_eq!(c.resolve("59298", CodeRole::Commune), Ok(Resolved::Moved(idx("59350"))));
        assert_eq!(c.resolve("75108", CodeRole::Commune), Ok(Resolved::Moved(idx("75056"))));
        assert_eq!(c.resolve("75108", CodeRole::ArmOrZ), Ok(Resolved::Moved(idx("75056"))));
        assert_eq!(c.resolve("ZZZZZ", CodeRole::ArmOrZ), Ok(Resolved::Outside));
        assert_eq!(c.resolve("99131", CodeRole::CommuneOrAbroad), Ok(Resolved::Outside));
        assert!(c.resolve("99131", CodeRole::Commune).unwrap_err().contains("unknown"));
        assert!(c.resolve("1001", CodeRole::Commune).unwrap_err().contains("leading zero"));
        assert!(c.resolve("2C004", CodeRole::Commune).is_err());
        assert!(c.resolve("59350", CodeRole::ArmOrZ).is_err());
    }

    #[test]
    fn slots_are_distinct_for_every_well_formed_code() {
        let mut seen = std::collections::HashSet::new();
        let mut codes: Vec<String> = (0..100_000).map(|n| format!("{n:05}")).collect();
        codes.extend((0..1000).flat_map(|n| [format!("2A{n:03}"), format!("2B{n:03}")]));
        codes.push("ZZZZZ".into());
        for c in &codes {
            let k = slot(c.as_bytes()).unwrap();
            assert!(k < SLOTS && seen.insert(k), "{c}");
        }
        for bad in ["2C004", "1001", "ZZZZ1", "0100A", "A1001", "123456", "2A0B1"] {
            assert_eq!(slot(bad.as_bytes()), None, "{bad}");
        }
        // Every slot's code in the shared dictionary is the code of that slot.
        use arrow::array::{Array, AsArray};
        let all = slot_codes().as_string::<i32>();
        assert_eq!(all.len(), SLOTS);
        assert_eq!(seen.len(), SLOTS);
        for (k, c) in all.iter().enumerate() {
            assert_eq!(slot(c.unwrap().as_bytes()), Some(k));
        }
    }

    #[test]
    fn the_correspondence_table_moves_and_splits() {
        let r = referential();
        let passage = HashMap::from([
            ("59999".to_string(), vec!["59009".to_string()]),
            ("59998".to_string(), vec!["59350".to_string(), "59009".to_string()]),
        ]);
        let mut c = Codes::new(&r).with_passage(passage);
        let idx = |code| r.commune_index(code).unwrap();
        assert_eq!(c.resolve("59999", CodeRole::Commune), Ok(Resolved::Moved(idx("59009"))));
        let mut split = vec![idx("59350"), idx("59009")];
        split.sort_unstable();
        assert_eq!(c.resolve("59998", CodeRole::Commune), Ok(Resolved::Split(split)));
    }
}
