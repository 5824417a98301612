//! One import, from a file to a registered dataset: recognise the format, plan the
//! columns (shown to the user first), read and check every row, move codes onto the
//! current geography, write aside and commit.

use std::collections::HashSet;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use echelle_store::{Dataset, DatasetLevel, DatasetMeta, Store};

use crate::codes::Codes;
use crate::error::ImportError;
use crate::formats::bpe::BpeCoordinates;
use crate::formats::{Format, plain, vintage};
use crate::geography::{Relocation, relocate};
use crate::pipeline::{Derive, Options, ReadStats, plain, read_rows};
use crate::plan::{Kind, Plan, cur_name};
use crate::sniff::Encoding;
use crate::source::{Peeked, RowSource, open_any};
use crate::synth::Sidecar;

/// What the user asks.
#[derive(Debug, Clone, Default)]
pub struct ImportRequest {
    /// The file to import (CSV, TXT, XLSX, or a zip holding one).
    pub path: PathBuf,
    /// Forced format; recognised from the header otherwise.
    pub format: Option<Format>,
    /// Dataset id in the catalog; derived from format and vintage otherwise.
    pub id: Option<String>,
    /// Forced encoding; sniffed otherwise.
    pub encoding: Option<Encoding>,
    /// Code column of a plain file.
    pub key: Option<String>,
    /// Columns of a plain file that are counts (summed when communes merge).
    pub additive: Vec<String>,
    /// The millésime; read from the file's name or columns otherwise.
    pub vintage: Option<String>,
    /// Where the data comes from, recorded in the catalog.
    pub source: Option<String>,
    /// A spreadsheet's sheet and header row (1-based).
    pub sheet: Option<String>,
    /// The row of a spreadsheet's header, 1-based.
    pub header_row: Option<usize>,
    /// Move codes with INSEE's correspondence table: the id of an imported
    /// `passage` dataset and the year of the file's geography (its `CODGEO_YYYY`).
    pub passage: Option<(String, String)>,
    /// The statistical secrecy to declare (`None`: the format's, [`Format::secrecy`];
    /// generated files declare none).
    pub secrecy: Option<echelle_platform::SecrecyRule>,
    /// What to do with bad lines, progress, batch size.
    pub options: Options,
}

/// An import ready to run: the file is open and its columns planned.
pub struct Prepared {
    /// What the user asked.
    pub request: ImportRequest,
    /// The format recognised (or forced).
    pub format: Format,
    /// Each column's type and role.
    pub plan: Plan,
    /// The dataset id it will be registered under.
    pub id: String,
    /// The millésime recorded (`unknown` when nothing says it).
    pub vintage: String,
    /// Set when the file was written by echelle's generator.
    pub synthetic: Option<Sidecar>,
    source: Box<dyn RowSource>,
}

/// What an import did.
#[derive(Debug, Clone)]
pub struct ImportReport {
    /// The catalog entry written.
    pub dataset: Dataset,
    /// The format the file was read as.
    pub format: Format,
    /// Rows read, rejected, moved, and how fast.
    pub stats: ReadStats,
    /// What moving onto the current geography merged or split, for commune-level tables.
    pub relocation: Option<Relocation>,
    /// Each stored column and its type, as shown before importing.
    pub columns: Vec<(String, String)>,
}

/// Opens the file, recognises its format and plans its columns.
pub fn prepare(request: ImportRequest) -> Result<Prepared, ImportError> {
    let source = open_any(&request.path, request.encoding, request.sheet.as_deref(), request.header_row)?;
    let file_name = request.path.file_name().map(|f| f.to_string_lossy().into_owned()).unwrap_or_default();
    let format = request.format.unwrap_or_else(|| Format::detect_file(source.header(), &file_name));
    let (mut source, plan): (Box<dyn RowSource>, Plan) = match format {
        Format::Plain => {
            let code = plain::code_column(source.file(), source.header(), request.key.as_deref())?;
            let peeked = Peeked::new(source, 10_000)?;
            let plan = plain::infer(peeked.header(), &peeked.sample(), code);
            (Box::new(peeked), plan)
        }
        Format::Passage => {
            let plan = Plan::from_header(source.as_ref(), &[], crate::plan::Kind::Text)?;
            (source, plan)
        }
        f => {
            let (expects, other) = f.expects();
            let plan = Plan::from_header(source.as_ref(), &expects, other)?;
            (source, plan)
        }
    };
    let found = request.vintage.clone().or_else(|| vintage(&file_name, source.header()));
    let synthetic = Sidecar::read(&request.path)?;
    let id_vintage = found.as_deref().unwrap_or("unknown");
    // A generated file never takes the place of observed data by default.
    let id = match &request.id {
        Some(id) => id.clone(),
        None if synthetic.is_some() => format!("{}_synthetic", default_id(format, &plan, id_vintage, &request.path)),
        None => default_id(format, &plan, id_vintage, &request.path),
    };
    // A generated file has no census year: its "vintage" says how it was made.
    let vintage = found.unwrap_or_else(|| match &synthetic {
        Some(s) => format!("synthétique, graine {}", s.seed),
        None => "unknown".into(),
    });
    let _ = &mut source;
    Ok(Prepared { request, format, plan, id, vintage, synthetic, source })
}

fn default_id(format: Format, plan: &Plan, vintage: &str, path: &Path) -> String {
    let v = if vintage == "unknown" { String::new() } else { format!("_{vintage}") };
    match format {
        Format::Flows if plan.column("DCETU").is_some() => format!("flows_study{v}"),
        Format::Flows => format!("flows_work{v}"),
        Format::Plain => {
            let stem =
                path.file_stem().map(|s| s.to_string_lossy().to_ascii_lowercase()).unwrap_or_else(|| "data".into());
            let clean: String = stem.chars().map(|c| if c.is_ascii_alphanumeric() { c } else { '_' }).collect();
            clean.trim_matches('_').chars().take(64).collect()
        }
        f => format!("{}{v}", f.name().replace('-', "_")),
    }
}

impl Prepared {
    /// The columns and their types, to show before importing.
    pub fn describe(&self) -> String {
        let mut s = String::new();
        let _ = writeln!(
            s,
            "{}: format {}, {}; dataset '{}', vintage {}{}",
            self.request.path.display(),
            self.format.name(),
            self.source.describe(),
            self.id,
            self.vintage,
            if self.synthetic.is_some() { " — SYNTHETIC data (generated by echelle)" } else { "" }
        );
        for (name, kind) in self.plan.describe() {
            let _ = writeln!(s, "  {name:<28} {kind}");
        }
        s
    }

    /// Runs the import into `store`; on any error the store is left as it was.
    pub fn run(mut self, store: &Store) -> Result<ImportReport, ImportError> {
        let referential = store.referential()?;
        let mut codes = Codes::new(&referential);
        if let Some((id, year)) = &self.request.passage {
            codes = codes.with_passage(passage_map(store, id, year)?);
        }
        let pack_geography =
            store.catalog().dataset("communes").map(|d| d.geography).unwrap_or_else(|_| "current".into());
        let format = self.format;
        let level = format.level();
        let key_source = match format {
            Format::Mobpro => "COMMUNE",
            Format::Flows | Format::Filosofi | Format::EpciComposition => "CODGEO",
            Format::Bpe => "DEPCOM",
            Format::CogCommunes => "COM",
            Format::Passage => self.plan.columns.first().map(|c| c.name.as_str()).unwrap_or("CODGEO"),
            Format::Plain => {
                self.plan.columns.iter().find(|c| c.kind.moves()).map(|c| c.name.as_str()).unwrap_or("CODGEO")
            }
        }
        .to_string();
        let key_column = if matches!(level, DatasetLevel::Table) { key_source.clone() } else { cur_name(&key_source) };
        let mut derive: Option<BpeCoordinates> = (format == Format::Bpe).then(|| BpeCoordinates::new(&mut self.plan));
        let synthetic = self.synthetic.is_some();
        let publisher = match &self.synthetic {
            Some(s) => format!("Données synthétiques générées par echelle ({}), non observées", s.describe()),
            None => self.request.source.clone().unwrap_or_else(|| {
                format!(
                    "{}, file {}",
                    format.publisher(),
                    self.request.path.file_name().map(|f| f.to_string_lossy()).unwrap_or_default()
                )
            }),
        };
        let geography = match level {
            DatasetLevel::Table => self.vintage.clone(),
            _ => format!("{pack_geography} (codes moved from the file's geography)"),
        };
        let meta = DatasetMeta {
            id: self.id.clone(),
            title: if synthetic {
                format!("{} [{}]", format.title(), echelle_store::SYNTHETIC_LABEL)
            } else {
                format.title().to_string()
            },
            level,
            key_column,
            source: publisher,
            vintage: self.vintage.clone(),
            geography,
            synthetic,
            // Generated records protect no one.
            secrecy: Some(if synthetic {
                echelle_platform::SecrecyRule::nothing()
            } else {
                declared_secrecy(format, &self.plan, self.request.secrecy.clone())?
            }),
        };
        let columns = self.plan.describe();
        let options = self.request.options.clone();
        let dyn_derive: Option<&mut dyn Derive> = derive.as_mut().map(|d| d as &mut dyn Derive);
        if level == DatasetLevel::Commune {
            // Commune-level tables are small: read all, move onto the current
            // geography, then write.
            let mut batches = Vec::new();
            let schema = self.plan.schema();
            let stats = read_rows(self.source.as_mut(), &self.plan, &mut codes, dyn_derive, &options, &mut |b| {
                batches.push(plain(&b, &schema)?);
                Ok(())
            })?;
            let all = arrow::compute::concat_batches(&schema, &batches)
                .map_err(|e| ImportError::Usage(format!("internal: {e}")))?;
            let additive = additive_columns(format, &self.plan, &self.request.additive)?;
            let (moved, relocation) = relocate(&all, &key_source, &additive, &mut codes)?;
            let mut import = store.begin_import(&meta.id, schema)?;
            import.write(&moved)?;
            let dataset = import.commit(meta)?;
            return Ok(ImportReport { dataset, format, stats, relocation: Some(relocation), columns });
        }
        // Two threads: one reads and checks rows, the other (this one, which holds
        // the store) encodes Parquet; a bad row stops both and nothing is committed.
        let mut import = store.begin_import(&meta.id, self.plan.schema())?;
        let (source, plan) = (self.source.as_mut(), &self.plan);
        let stats = std::thread::scope(|scope| {
            let (tx, rx) = std::sync::mpsc::sync_channel::<arrow::array::RecordBatch>(2);
            let reader = scope.spawn(move || {
                read_rows(source, plan, &mut codes, dyn_derive, &options, &mut |b| {
                    tx.send(b).map_err(|_| ImportError::Usage("the Parquet writer stopped".into()))
                })
            });
            let mut written = Ok(());
            for b in rx.iter() {
                written = import.write(&b);
                if written.is_err() {
                    break;
                }
            }
            drop(rx);
            let read = reader
                .join()
                .unwrap_or_else(|_| Err(ImportError::Usage("internal: the reader thread panicked".into())));
            written?;
            read
        })?;
        let dataset = import.commit(meta)?;
        Ok(ImportReport { dataset, format, stats, relocation: None, columns })
    }
}

/// Reads an imported correspondence table: code of `year` -> codes of the table's
/// latest year.
fn passage_map(
    store: &Store,
    id: &str,
    year: &str,
) -> Result<std::collections::HashMap<String, Vec<String>>, ImportError> {
    use arrow::array::{Array, AsArray};
    let d = store.catalog().dataset(id)?;
    if d.level != DatasetLevel::Table {
        return Err(ImportError::Usage(format!("dataset '{id}' is not a correspondence table")));
    }
    let batch = echelle_store::read_parquet(&store.root().join(&d.path))?;
    let schema = batch.schema();
    let years: Vec<&str> = schema.fields().iter().filter_map(|f| f.name().strip_prefix("CODGEO_")).collect();
    let latest = years
        .iter()
        .max()
        .copied()
        .ok_or_else(|| ImportError::Usage(format!("dataset '{id}' has no CODGEO_YYYY column")))?;
    let col = |y: &str| -> Result<arrow::array::StringArray, ImportError> {
        Ok(batch
            .column_by_name(&format!("CODGEO_{y}"))
            .ok_or_else(|| {
                ImportError::Usage(format!("dataset '{id}' has no column CODGEO_{y} (years: {})", years.join(", ")))
            })?
            .as_string::<i32>()
            .clone())
    };
    let (from, to) = (col(year)?, col(latest)?);
    let mut map: std::collections::HashMap<String, Vec<String>> = std::collections::HashMap::new();
    for i in 0..from.len() {
        if from.is_valid(i) && to.is_valid(i) {
            let e = map.entry(from.value(i).to_string()).or_default();
            if !e.iter().any(|c| c == to.value(i)) {
                e.push(to.value(i).to_string());
            }
        }
    }
    Ok(map)
}

/// The secrecy a real file declares: the rule asked, else its format's; a table of
/// units (one row per commune) whose rule protects must name the numeric column
/// counting its units (Filosofi's `NBMENFISC…` is found by itself), since that count
/// decides which figures may be shown ([`echelle_platform::Protection`]).
fn declared_secrecy(
    format: Format,
    plan: &Plan,
    asked: Option<echelle_platform::SecrecyRule>,
) -> Result<echelle_platform::SecrecyRule, ImportError> {
    let mut rule = asked.unwrap_or_else(|| format.secrecy());
    if rule.count_column.is_none() && format == Format::Filosofi {
        rule.count_column = plan.columns.iter().find(|c| c.name.starts_with("NBMENFISC")).map(|c| c.name.clone());
    }
    if !rule.protects() || !matches!(format.level(), DatasetLevel::Commune | DatasetLevel::Iris) {
        return Ok(rule);
    }
    let Some(name) = rule.count_column.clone() else {
        return Err(ImportError::Usage(format!(
            "la règle de secret « {} » protège des unités : nommez la colonne qui les compte dans chaque ligne \
             (--secrecy-count COLONNE), ou déclarez --secrecy none si le fichier porte déjà le secret de son producteur",
            rule.describe()
        )));
    };
    let up = name.to_ascii_uppercase();
    match plan.column(&up) {
        Some(c) if matches!(c.kind, Kind::Decimal | Kind::Float | Kind::Int) => {
            rule.count_column = Some(up);
            Ok(rule)
        }
        Some(c) => Err(ImportError::Usage(format!(
            "--secrecy-count {name} : la colonne est lue comme {}, pas comme un nombre",
            c.kind.label()
        ))),
        None => Err(ImportError::Usage(format!("--secrecy-count {name} : le fichier n'a pas cette colonne"))),
    }
}

/// The columns summed when communes merge: Filosofi's household and person
/// counts; a plain file's columns named by the user.
fn additive_columns(format: Format, plan: &Plan, asked: &[String]) -> Result<HashSet<String>, ImportError> {
    let mut set = HashSet::new();
    if format == Format::Filosofi {
        for c in &plan.columns {
            if ["NBMENFISC", "NBPERSMENFISC", "NBMEN", "NBPERS"].iter().any(|p| c.name.starts_with(p)) {
                set.insert(c.name.clone());
            }
        }
    }
    for a in asked {
        let up = a.to_ascii_uppercase();
        if plan.column(&up).is_none() {
            return Err(ImportError::Usage(format!("--additive {a}: no such column")));
        }
        set.insert(up);
    }
    Ok(set)
}

impl ImportReport {
    /// The report printed after an import: rows, speed, codes moved, rejects.
    pub fn text(&self) -> String {
        let d = &self.dataset;
        let s = &self.stats;
        let mut out = String::new();
        let _ = writeln!(
            out,
            "imported '{}' ({}{}): {} rows, {} level, vintage {}, geography {}",
            d.id,
            self.format.name(),
            if d.synthetic { ", SYNTHETIC" } else { "" },
            d.rows,
            d.level.as_str(),
            d.vintage,
            d.geography
        );
        let _ = writeln!(out, "  secret statistique déclaré : {}", d.secrecy().describe());
        let _ = writeln!(
            out,
            "  read {} rows ({}) in {:.2} s, {:.0} rows/s; checksum {}",
            s.rows,
            s.dialect,
            s.elapsed.as_secs_f64(),
            s.rows_per_second(),
            &d.checksum[..16]
        );
        if s.rejected > 0 {
            let _ = writeln!(
                out,
                "  {} line(s) rejected, written to {}",
                s.rejected,
                s.rejects_file.as_ref().map(|p| p.display().to_string()).unwrap_or_default()
            );
        }
        if !s.moved.is_empty() {
            let n: u64 = s.moved.values().sum();
            let _ = writeln!(out, "  {} row(s) with {} code(s) moved onto their commune actuelle", n, s.moved.len());
        }
        for (code, n) in &s.split {
            let _ = writeln!(
                out,
                "  {n} row(s) with former code {code}, now split between several communes: no current commune"
            );
        }
        for (col, n) in &s.outside {
            let _ = writeln!(out, "  {n} row(s) with {col} outside any commune (abroad or ZZZZZ)");
        }
        if let Some(r) = &self.relocation {
            for (com, from) in &r.merged {
                let _ = writeln!(out, "  commune {com} made of rows {}", from.join(" + "));
            }
            for (code, to) in &r.split {
                let _ = writeln!(out, "  former commune {code} shared among {} by population", to.join(", "));
            }
            if !r.not_movable.is_empty() {
                let _ = writeln!(out, "  could not be moved onto the current geography (left empty):");
                for m in &r.not_movable {
                    let _ = writeln!(out, "    {m}");
                }
            }
        }
        out
    }
}
