//! Reading a register from the observatory's partners' files: CSV (`;` or `,`,
//! UTF-8) or a workbook (XLSX, ODS), with a mapping file that names the source column
//! of each field. Every line is checked and every problem reported together; the
//! register is returned only when there is none (the store write is the caller's
//! single atomic step, [`crate::store::save`]).
//!
//! ```toml
//! share_unit = "percent"          # or "fraction" (0.5 for 50 %)
//! [guarantees]                    # one row per (loan, guarantor)
//! sheet = "Garanties"             # in a workbook
//! columns = { loan = "N° contrat", guarantor = "Garant", guarantor_kind = "Type", … }
//! [finances]                      # one row per (guarantor, year)
//! columns = { guarantor = "Garant", year = "Exercice", revenue = "RRF", … }
//! [schedules]                     # optional: given schedules, one row per payment
//! columns = { loan = "N° contrat", due = "Échéance", principal = "Capital", interest = "Intérêts" }
//! ```

use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::Path;

use echelle_referential::Referential;
use serde::Deserialize;

use crate::GuaranteeError;
use crate::date::Date;
use crate::error::{Problem, quote};
use crate::register::*;
use crate::rules::{RuleId, Rules};
use crate::schedule::Payment;

/// The mapping file: which source column holds which field.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Mapping {
    /// `percent` (default) or `fraction`.
    #[serde(default)]
    pub share_unit: Option<String>,
    /// `percent` (default) or `fraction`.
    #[serde(default)]
    pub rate_unit: Option<String>,
    /// The guarantees table.
    pub guarantees: TableMapping,
    /// The finances table.
    pub finances: TableMapping,
    /// The given schedules, if any.
    #[serde(default)]
    pub schedules: Option<TableMapping>,
}

/// One table's mapping.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TableMapping {
    /// The sheet, in a workbook.
    #[serde(default)]
    pub sheet: Option<String>,
    /// Field -> source column header.
    pub columns: BTreeMap<String, String>,
}

const GUARANTEE_FIELDS: &[(&str, bool)] = &[
    ("loan", true),
    ("guarantor", true),
    ("guarantor_kind", false),
    ("beneficiary", true),
    ("siren", true),
    ("category", true),
    ("lender", false),
    ("amount", true),
    ("start", true),
    ("years", false),
    ("end", false),
    ("frequency", true),
    ("rate", true),
    ("rate_kind", false),
    ("profile", true),
    ("share", true),
    ("state_aided", false),
    ("housing_plan", false),
    ("tense_zone_housing", false),
    ("outstanding", false),
    ("outstanding_date", false),
];
const FINANCE_FIELDS: &[(&str, bool)] = &[
    ("guarantor", true),
    ("guarantor_kind", false),
    ("year", true),
    ("revenue", true),
    ("provisions", false),
    ("own_annuities", false),
];
const SCHEDULE_FIELDS: &[(&str, bool)] = &[("loan", true), ("due", true), ("principal", true), ("interest", true)];

impl Mapping {
    /// Reads a mapping file's text.
    pub fn parse(origin: &str, text: &str) -> Result<Mapping, GuaranteeError> {
        let m: Mapping =
            toml::from_str(text).map_err(|e| GuaranteeError::File { path: origin.into(), message: e.to_string() })?;
        let mut problems = Vec::new();
        let tables = [
            ("garanties", Some(&m.guarantees), GUARANTEE_FIELDS),
            ("finances", Some(&m.finances), FINANCE_FIELDS),
            ("echeances", m.schedules.as_ref(), SCHEDULE_FIELDS),
        ];
        for (name, t, fields) in tables {
            let Some(t) = t else { continue };
            for (f, required) in fields {
                if *required && !t.columns.contains_key(*f) {
                    problems.push(Problem {
                        table: format!("{origin} [{name}]"),
                        line: 0,
                        field: f.to_string(),
                        message: "champ obligatoire non associé à une colonne".into(),
                    });
                }
            }
            for f in t.columns.keys() {
                if !fields.iter().any(|(k, _)| k == f) {
                    problems.push(Problem {
                        table: format!("{origin} [{name}]"),
                        line: 0,
                        field: f.clone(),
                        message: format!(
                            "champ inconnu (attendus : {})",
                            fields.iter().map(|(k, _)| *k).collect::<Vec<_>>().join(", ")
                        ),
                    });
                }
            }
        }
        if [&m.share_unit, &m.rate_unit].iter().any(|u| u.as_deref().is_some_and(|u| u != "percent" && u != "fraction"))
        {
            problems.push(Problem {
                table: origin.into(),
                line: 0,
                field: "share_unit/rate_unit".into(),
                message: "attendu « percent » ou « fraction »".into(),
            });
        }
        if problems.is_empty() { Ok(m) } else { Err(GuaranteeError::Invalid(problems)) }
    }
}

/// Where the register's tables are.
pub enum Sources<'a> {
    /// One workbook holding every table in its sheets.
    Workbook(&'a Path),
    /// One CSV file per table (schedules optional).
    Csv {
        /// The guarantees.
        guarantees: &'a Path,
        /// The finances.
        finances: &'a Path,
        /// The given schedules.
        schedules: Option<&'a Path>,
    },
}

/// A table read: header and rows with their line numbers.
struct Sheet {
    name: String,
    header: Vec<String>,
    rows: Vec<(u64, Vec<String>)>,
}

fn read_csv(path: &Path, name: &str) -> Result<Sheet, GuaranteeError> {
    let bytes = std::fs::read(path)
        .map_err(|e| GuaranteeError::File { path: path.display().to_string(), message: e.to_string() })?;
    let text = std::str::from_utf8(bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(&bytes)).map_err(|_| {
        GuaranteeError::File { path: path.display().to_string(), message: "not UTF-8: save the file as UTF-8".into() }
    })?;
    let first = text.lines().next().unwrap_or("");
    let sep = if first.matches(';').count() >= first.matches(',').count() { b';' } else { b',' };
    let mut rd =
        csv::ReaderBuilder::new().delimiter(sep).has_headers(false).flexible(true).from_reader(text.as_bytes());
    let mut rows = Vec::new();
    let mut header = None;
    for (i, rec) in rd.records().enumerate() {
        let rec = rec.map_err(|e| GuaranteeError::File { path: path.display().to_string(), message: e.to_string() })?;
        let line = rec.position().map_or(i as u64 + 1, |p| p.line());
        let fields: Vec<String> = rec.iter().map(|s| s.to_string()).collect();
        if header.is_none() {
            header = Some(fields.iter().map(|h| h.trim().to_string()).collect());
        } else if fields.iter().any(|f| !f.trim().is_empty()) {
            rows.push((line, fields));
        }
    }
    Ok(Sheet { name: name.into(), header: header.unwrap_or_default(), rows })
}

fn read_sheet(path: &Path, sheet: Option<&str>, name: &str) -> Result<Sheet, GuaranteeError> {
    use calamine::{Data, Reader, open_workbook_auto};
    let err = |m: String| GuaranteeError::File { path: path.display().to_string(), message: m };
    let mut book = open_workbook_auto(path).map_err(|e| err(format!("not a readable workbook: {e}")))?;
    let names = book.sheet_names();
    let wanted = sheet.unwrap_or(name);
    let found = names
        .iter()
        .find(|n| echelle_referential::fold(n) == echelle_referential::fold(wanted))
        .cloned()
        .ok_or_else(|| err(format!("no sheet '{wanted}' (sheets: {})", names.join(", "))))?;
    let range = book.worksheet_range(&found).map_err(|e| err(format!("sheet '{found}': {e}")))?;
    let first = range.start().map_or(0, |(r, _)| r as u64);
    let cell = |c: &Data| match c {
        Data::Empty => String::new(),
        Data::String(s) => s.clone(),
        Data::Float(f) if f.fract() == 0.0 && f.abs() < 1e15 => format!("{}", *f as i64),
        Data::Float(f) => f.to_string(),
        Data::Int(i) => i.to_string(),
        Data::Bool(b) => b.to_string(),
        Data::DateTime(d) => Date::from_serial(d.as_f64()).map_or_else(|| d.to_string(), |d| d.to_string()),
        other => other.to_string(),
    };
    let mut header = None;
    let mut rows = Vec::new();
    for (i, r) in range.rows().enumerate() {
        let fields: Vec<String> = r.iter().map(cell).collect();
        if fields.iter().all(|f| f.trim().is_empty()) {
            continue;
        }
        if header.is_none() {
            header = Some(fields.iter().map(|h| h.trim().to_string()).collect());
        } else {
            rows.push((first + i as u64 + 1, fields));
        }
    }
    Ok(Sheet { name: name.into(), header: header.unwrap_or_default(), rows })
}

/// Reads and checks a register. `year` is the budget year the ratios will be computed
/// for (default: the finances' latest): every guarantor of a guarantee under the ratios
/// must have its revenue for it.
pub fn read_register(
    sources: &Sources<'_>,
    mapping: &Mapping,
    r: &Referential,
    rules: &Rules,
    year: Option<i32>,
) -> Result<Register, GuaranteeError> {
    let (g, f, s) = match sources {
        Sources::Workbook(p) => (
            read_sheet(p, mapping.guarantees.sheet.as_deref(), "garanties")?,
            read_sheet(p, mapping.finances.sheet.as_deref(), "finances")?,
            match &mapping.schedules {
                Some(m) => Some(read_sheet(p, m.sheet.as_deref(), "echeances")?),
                None => None,
            },
        ),
        Sources::Csv { guarantees, finances, schedules } => (
            read_csv(guarantees, "garanties")?,
            read_csv(finances, "finances")?,
            match schedules {
                Some(p) => Some(read_csv(p, "echeances")?),
                None => None,
            },
        ),
    };
    let mut p = Parser {
        problems: Vec::new(),
        r,
        share_fraction: mapping.share_unit.as_deref() == Some("fraction"),
        rate_fraction: mapping.rate_unit.as_deref() == Some("fraction"),
    };
    let register = p.register(
        &g,
        &mapping.guarantees,
        &f,
        &mapping.finances,
        s.as_ref().zip(mapping.schedules.as_ref()),
        rules,
        year,
    );
    if p.problems.is_empty() { Ok(register) } else { Err(GuaranteeError::Invalid(p.problems)) }
}

struct Parser<'a> {
    problems: Vec<Problem>,
    r: &'a Referential,
    share_fraction: bool,
    rate_fraction: bool,
}

/// One row's fields by name.
struct Fields<'a> {
    sheet: &'a str,
    line: u64,
    values: HashMap<&'a str, &'a str>,
}

impl<'a> Fields<'a> {
    fn get(&self, f: &str) -> Option<&'a str> {
        self.values.get(f).map(|v| v.trim()).filter(|v| !v.is_empty())
    }
}

impl Parser<'_> {
    fn problem(&mut self, row: &Fields<'_>, field: &str, message: String) {
        self.problems.push(Problem { table: row.sheet.into(), line: row.line, field: field.into(), message });
    }

    fn columns<'s>(&mut self, sheet: &'s Sheet, m: &'s TableMapping) -> Vec<(&'s str, usize)> {
        let mut cols = Vec::new();
        for (field, header) in &m.columns {
            match sheet.header.iter().position(|h| echelle_referential::fold(h) == echelle_referential::fold(header)) {
                Some(i) => cols.push((field.as_str(), i)),
                None => self.problems.push(Problem {
                    table: sheet.name.clone(),
                    line: 1,
                    field: field.clone(),
                    message: format!("colonne {} absente de l'en-tête", quote(header)),
                }),
            }
        }
        cols
    }

    fn rows<'s>(&mut self, sheet: &'s Sheet, m: &'s TableMapping) -> Vec<Fields<'s>> {
        let cols = self.columns(sheet, m);
        sheet
            .rows
            .iter()
            .map(|(line, fields)| Fields {
                sheet: &sheet.name,
                line: *line,
                values: cols.iter().map(|(f, i)| (*f, fields.get(*i).map_or("", String::as_str))).collect(),
            })
            .collect()
    }

    fn required<'v>(&mut self, row: &Fields<'v>, f: &str) -> Option<&'v str> {
        let v = row.get(f);
        if v.is_none() {
            self.problem(row, f, "valeur manquante".into());
        }
        v
    }

    /// An amount in euros to cents: `1 234 567,89`, `1234567.89`, `12 000 €`; never negative.
    fn amount(&mut self, row: &Fields<'_>, f: &str, required: bool) -> Option<i64> {
        let v = if required { self.required(row, f)? } else { row.get(f)? };
        let cleaned: String = v.chars().filter(|c| !c.is_whitespace() && *c != '€' && *c != '\u{202f}').collect();
        match echelle_import::decimal::parse_scaled(&cleaned) {
            Ok(x) if x < 0 => {
                self.problem(row, f, format!("montant négatif {}", quote(v)));
                None
            }
            Ok(x) if x % 10_i128.pow(13) != 0 => {
                self.problem(row, f, format!("{} : plus de deux décimales (montant en euros attendu)", quote(v)));
                None
            }
            Ok(x) => i64::try_from(x / 10_i128.pow(13)).ok().or_else(|| {
                self.problem(row, f, format!("{} : trop grand", quote(v)));
                None
            }),
            Err(_) => {
                self.problem(row, f, format!("{} n'est pas un montant", quote(v)));
                None
            }
        }
    }

    fn number(&mut self, row: &Fields<'_>, f: &str) -> Option<f64> {
        let v = self.required(row, f)?;
        let cleaned: String = v.chars().filter(|c| !c.is_whitespace() && *c != '%').collect();
        match echelle_import::decimal::parse_f64(&cleaned) {
            Ok(x) => Some(x),
            Err(_) => {
                self.problem(row, f, format!("{} n'est pas un nombre", quote(v)));
                None
            }
        }
    }

    fn date(&mut self, row: &Fields<'_>, f: &str, required: bool) -> Option<Date> {
        let v = if required { self.required(row, f)? } else { row.get(f)? };
        let d = Date::parse(v);
        if d.is_none() {
            self.problem(row, f, format!("{} n'est pas une date (AAAA-MM-JJ ou JJ/MM/AAAA)", quote(v)));
        }
        d
    }

    fn flag(&mut self, row: &Fields<'_>, f: &str) -> bool {
        match row.get(f).map(echelle_referential::fold).as_deref() {
            None | Some("non" | "no" | "false" | "faux" | "0" | "n") => false,
            Some("oui" | "yes" | "true" | "vrai" | "1" | "x" | "o") => true,
            Some(_) => {
                let v = row.get(f).unwrap_or("");
                self.problem(row, f, format!("{} : attendu oui ou non", quote(v)));
                false
            }
        }
    }

    fn guarantor(&mut self, row: &Fields<'_>) -> Option<Guarantor> {
        let code = self.required(row, "guarantor")?;
        let g = match row.get("guarantor_kind") {
            Some(k) => match AuthorityKind::parse(k) {
                Some(kind) => Guarantor { kind, code: code.split_once(':').map_or(code, |(_, c)| c).to_string() },
                None => {
                    self.problem(
                        row,
                        "guarantor_kind",
                        format!("{} : attendu commune, EPCI, département ou région", quote(k)),
                    );
                    return None;
                }
            },
            None => {
                match Guarantor::parse(code) {
                    Some(g) => g,
                    None => {
                        self.problem(row, "guarantor", format!("{} : attendu com:CODE, epci:SIREN, dep:CODE ou reg:CODE (ou une colonne guarantor_kind)", quote(code)));
                        return None;
                    }
                }
            }
        };
        if !self.r.contains(&g.territory()) {
            self.problem(
                row,
                "guarantor",
                format!("code de garant inconnu du référentiel : {}", quote(&g.to_string())),
            );
            return None;
        }
        Some(g)
    }

    fn parsed<T>(&mut self, row: &Fields<'_>, f: &str, parse: fn(&str) -> Option<T>, expected: &str) -> Option<T> {
        let v = self.required(row, f)?;
        let x = parse(v);
        if x.is_none() {
            self.problem(row, f, format!("{} : attendu {expected}", quote(v)));
        }
        x
    }

    fn guarantee_row(&mut self, row: &Fields<'_>) -> Option<(Loan, Guarantee)> {
        let id = self.required(row, "loan").map(str::to_string);
        let guarantor = self.guarantor(row);
        let name = self.required(row, "beneficiary").map(str::to_string);
        let siren = self.required(row, "siren").map(|s| s.replace(' ', ""));
        if let Some(s) = &siren
            && !(s.len() == 9 && s.bytes().all(|b| b.is_ascii_digit()))
        {
            self.problem(row, "siren", format!("{} : un SIREN a neuf chiffres", quote(s)));
        }
        let category = self.parsed(
            row,
            "category",
            Category::parse,
            "logement social, aménagement, intérêt général, foncier solidaire ou autre",
        );
        let amount = self.amount(row, "amount", true);
        if amount == Some(0) {
            self.problem(row, "amount", "montant nul".into());
        }
        let start = self.date(row, "start", true);
        let end = self.date(row, "end", false);
        let years = if row.get("years").is_some() {
            self.number(row, "years").and_then(|y| {
                let ok = y.fract() == 0.0 && (1.0..=80.0).contains(&y);
                if !ok {
                    self.problem(row, "years", format!("{y} : durée en années entières attendue, de 1 à 80"));
                }
                ok.then_some(y as u32)
            })
        } else {
            match (start, end) {
                (Some(s), Some(e)) if e > s => {
                    let months = (e.year - s.year) * 12 + e.month as i32 - s.month as i32;
                    if months % 12 != 0 || s.add_months(months as u32) != e {
                        self.problem(
                            row,
                            "end",
                            format!("fin ({e}) : pas un nombre entier d'années après le début ({s})"),
                        );
                        None
                    } else {
                        Some((months / 12) as u32)
                    }
                }
                (_, None) => {
                    self.problem(row, "years", "durée manquante (colonne years ou end)".into());
                    None
                }
                _ => None,
            }
        };
        if let (Some(s), Some(e)) = (start, end)
            && e <= s
        {
            self.problem(row, "end", format!("fin ({e}) avant le début ({s})"));
        }
        let frequency = self.parsed(row, "frequency", Frequency::parse, "annuelle ou trimestrielle");
        let rate = self.number(row, "rate").and_then(|x| {
            let pct = if self.rate_fraction { x * 100.0 } else { x };
            if !(0.0..=30.0).contains(&pct) {
                self.problem(row, "rate", format!("taux {pct} % : attendu entre 0 et 30 %"));
                return None;
            }
            Some((pct * 10_000.0).round() as i64)
        });
        let rate_kind = match row.get("rate_kind") {
            Some(_) => self.parsed(row, "rate_kind", RateKind::parse, "fixe ou variable"),
            None => Some(RateKind::Fixed),
        };
        let profile = self.parsed(row, "profile", Profile::parse, "annuité constante ou amortissement constant");
        let share = self.number(row, "share").and_then(|x| {
            let pct = if self.share_fraction { x * 100.0 } else { x };
            if pct > 100.0 {
                self.problem(row, "share", format!("quotité {pct} % supérieure à 100 %"));
                None
            } else if pct <= 0.0 {
                self.problem(row, "share", format!("quotité {pct} % : attendue supérieure à 0"));
                None
            } else {
                Some(pct / 100.0)
            }
        });
        let state_aided = self.flag(row, "state_aided");
        let housing_plan = self.flag(row, "housing_plan");
        let tense_zone_housing = self.flag(row, "tense_zone_housing");
        let outstanding = self.amount(row, "outstanding", false);
        let outstanding_date = self.date(row, "outstanding_date", false);
        if outstanding.is_some() != outstanding_date.is_some() {
            self.problem(
                row,
                "outstanding_date",
                "un capital restant dû se donne avec sa date (outstanding et outstanding_date)".into(),
            );
        }
        if let (Some(o), Some(a)) = (outstanding, amount)
            && o > a
        {
            self.problem(
                row,
                "outstanding",
                format!("capital restant dû {} € supérieur au montant emprunté {} €", crate::euros(o), crate::euros(a)),
            );
        }
        let loan = Loan {
            id: id?,
            beneficiary: Beneficiary { name: name?, siren: siren?, category: category? },
            lender: row.get("lender").unwrap_or("").to_string(),
            terms: LoanTerms {
                amount: amount?,
                start: start?,
                years: years?,
                frequency: frequency?,
                rate_micro: rate?,
                rate_kind: rate_kind?,
                profile: profile?,
            },
            state_aided,
            housing_plan,
            tense_zone_housing,
            declared_outstanding: outstanding_date.zip(outstanding),
            given_schedule: None,
        };
        let guarantee = Guarantee { loan: loan.id.clone(), guarantor: guarantor?, share: share? };
        Some((loan, guarantee))
    }

    #[allow(clippy::too_many_arguments)]
    fn register(
        &mut self,
        g: &Sheet,
        gm: &TableMapping,
        f: &Sheet,
        fm: &TableMapping,
        s: Option<(&Sheet, &TableMapping)>,
        rules: &Rules,
        year: Option<i32>,
    ) -> Register {
        let mut reg = Register::default();
        let mut first_line: HashMap<String, u64> = HashMap::new();
        let mut pairs = HashSet::new();
        for row in self.rows(g, gm) {
            let Some((loan, guarantee)) = self.guarantee_row(&row) else { continue };
            if !pairs.insert((guarantee.loan.clone(), guarantee.guarantor.clone())) {
                self.problem(
                    &row,
                    "guarantor",
                    format!("{} garantit déjà l'emprunt {} plus haut", guarantee.guarantor, loan.id),
                );
                continue;
            }
            match reg.loan(&loan.id) {
                Some(prev) if *prev != loan => {
                    let line = first_line[&loan.id];
                    self.problem(&row, "loan", format!("l'emprunt {} est décrit autrement à la ligne {line} (montant, dates, taux, bénéficiaire doivent être identiques)", quote(&loan.id)));
                    continue;
                }
                Some(_) => {}
                None => {
                    first_line.insert(loan.id.clone(), row.line);
                    reg.loans.push(loan);
                }
            }
            reg.guarantees.push(guarantee);
        }
        // Shares of one loan across its guarantors.
        let mut total: BTreeMap<&str, f64> = BTreeMap::new();
        for gu in &reg.guarantees {
            *total.entry(gu.loan.as_str()).or_default() += gu.share;
        }
        for (loan, t) in total {
            if t > 1.0 + 1e-9 {
                self.problems.push(Problem {
                    table: g.name.clone(),
                    line: first_line[loan],
                    field: "share".into(),
                    message: format!(
                        "quotités de l'emprunt {} : {:.2} % au total, plus de 100 %",
                        quote(loan),
                        t * 100.0
                    ),
                });
            }
        }
        let mut seen = HashSet::new();
        for row in self.rows(f, fm) {
            let guarantor = self.guarantor(&row);
            let y = self.number(&row, "year").and_then(|y| {
                let ok = y.fract() == 0.0 && (1900.0..=2200.0).contains(&y);
                if !ok {
                    self.problem(&row, "year", format!("{y} : année attendue"));
                }
                ok.then_some(y as i32)
            });
            let revenue = self.amount(&row, "revenue", true);
            let provisions = self.amount(&row, "provisions", false).unwrap_or(0);
            let own = self.amount(&row, "own_annuities", false).unwrap_or(0);
            let (Some(guarantor), Some(year), Some(revenue)) = (guarantor, y, revenue) else { continue };
            if !seen.insert((guarantor.clone(), year)) {
                self.problem(&row, "year", format!("finances de {guarantor} pour {year} déjà données plus haut"));
                continue;
            }
            reg.finances.push(Finance { guarantor, year, revenue, provisions, own_annuities: own });
        }
        if let Some((sheet, m)) = s {
            let mut given: BTreeMap<String, Vec<Payment>> = BTreeMap::new();
            for row in self.rows(sheet, m) {
                let loan = self.required(&row, "loan").map(str::to_string);
                let due = self.date(&row, "due", true);
                let principal = self.amount(&row, "principal", true);
                let interest = self.amount(&row, "interest", true);
                let (Some(loan), Some(due), Some(principal), Some(interest)) = (loan, due, principal, interest) else {
                    continue;
                };
                if reg.loan(&loan).is_none() {
                    self.problem(&row, "loan", format!("emprunt {} absent de la table des garanties", quote(&loan)));
                    continue;
                }
                given.entry(loan).or_default().push(Payment { due, principal, interest, outstanding: 0 });
            }
            for (id, mut payments) in given {
                payments.sort_by_key(|p| p.due);
                let loan = reg.loans.iter_mut().find(|l| l.id == id).expect("checked above");
                let mut out = loan.terms.amount;
                for p in &mut payments {
                    out -= p.principal;
                    p.outstanding = out;
                }
                if out != 0 {
                    self.problems.push(Problem {
                        table: sheet.name.clone(),
                        line: 0,
                        field: "principal".into(),
                        message: format!(
                            "échéancier de l'emprunt {} : le capital remboursé diffère du montant de {} €",
                            quote(&id),
                            crate::euros(out)
                        ),
                    });
                }
                loan.given_schedule = Some(payments);
            }
        }
        // Revenue the ratios need.
        let year = year.or_else(|| reg.finances.iter().map(|f| f.year).max());
        if let Some(year) = year {
            let mut needed: Vec<&Guarantor> = reg
                .guarantees
                .iter()
                .filter(|gu| {
                    reg.loan(&gu.loan)
                        .is_some_and(|l| rules.exemption(gu.guarantor.kind, l, RuleId::Annuities).is_none())
                })
                .map(|gu| &gu.guarantor)
                .collect();
            needed.sort();
            needed.dedup();
            for gu in needed {
                if reg.finance(gu, year).is_none() {
                    self.problems.push(Problem { table: f.name.clone(), line: 0, field: "revenue".into(), message: format!("recettes réelles de fonctionnement de {gu} pour {year} manquantes : ses garanties hors exemption entrent dans les ratios") });
                }
            }
        } else if !reg.guarantees.is_empty() {
            self.problems.push(Problem {
                table: f.name.clone(),
                line: 0,
                field: "revenue".into(),
                message: "aucune ligne de finances : les ratios ne peuvent être calculés".into(),
            });
        }
        reg
    }
}
