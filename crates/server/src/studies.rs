//! Shared studies over HTTP (issue 18): partners save territories, indicators, the map
//! and tables with notes; a study is private, shared with organisations or public; it
//! is versioned (who changed what, when), commented, opened from its link
//! (`/etudes/{id}`) and exported as a report (a ZIP folder: PDF, CSV, XLSX, GeoPackage
//! and the sources).
//!
//! ```text
//!  POST /api/studies ──Study::check, territories and indicators the viewer sees──> study_create
//!  PUT  /api/studies/{id} (+ version read) ──changes(old, new)──> study_save (409 when stale)
//!  GET  /api/studies/{id}[/versions/{v}|/comments|/report] ── "not found" to whoever may not see it
//! ```
//!
//! Who may do what follows the platform's visibility, as for perimeters: reading is
//! `can_see`, saving `can_change` (the owner organisation, administrators, the local
//! user), commenting needs to be signed in and to see it.

use std::collections::{BTreeMap, HashSet};

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use echelle_exchange::{Comment, SavedTable, Study, changes, comment_text};
use echelle_platform::audit::now_seconds;
use echelle_platform::{Viewer, Visibility};
use echelle_referential::Layer;
use echelle_report::table::{Cell, ColumnBody, Table, TableBody, file_name};
use echelle_report::{Date, bundle, csv, gpkg, pdf, xlsx};
use echelle_store::{Saved, StoredStudy, VersionInfo};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::export::{attachment, blocking};
use crate::extract::Json as JsonBody;
use crate::values::Column;
use crate::visibility::{Asker, View};
use crate::{ApiError, AppState, ErrorBody};

impl From<echelle_exchange::StudyError> for ApiError {
    fn from(e: echelle_exchange::StudyError) -> Self {
        ApiError::BadRequest(e.to_string())
    }
}

fn no_study() -> ApiError {
    ApiError::NotFound("cette étude n'existe pas".into())
}

/// Who may see a study, as the client sends it (the same fields as a perimeter's).
#[derive(Deserialize, ToSchema, Default)]
pub struct Sharing {
    /// `public`, `shared` or `private`; by default private to the saving account's organisation.
    #[schema(pattern = "^(public|shared|private)$")]
    pub visibility: Option<String>,
    /// The organisations a shared study is shared with.
    #[serde(default)]
    pub share_with: Vec<String>,
    /// The owner organisation; by default the saving account's.
    pub owner: Option<String>,
}

/// A study to create.
#[derive(Deserialize, ToSchema)]
pub struct NewStudy {
    /// What it holds.
    pub study: Study,
    /// Who may see it.
    #[serde(flatten)]
    pub sharing: Sharing,
}

/// A new version of a study.
#[derive(Deserialize, ToSchema)]
pub struct StudySave {
    /// The version the author read: refused (409) if someone saved since.
    pub version: i64,
    /// What it holds now.
    pub study: Study,
    /// Who may see it (unchanged when no field is given).
    #[serde(flatten)]
    pub sharing: Sharing,
}

/// A study as its reader sees it.
#[derive(Serialize, ToSchema)]
pub struct StudyView {
    /// Its number: its link is `/etudes/{id}`.
    pub id: i64,
    /// Its latest version.
    pub version: i64,
    /// What it holds.
    pub study: Study,
    /// Who may see it.
    pub visibility: Visibility,
    /// Who created it.
    pub created_by: String,
    /// Unix seconds of its last save.
    pub updated_at: i64,
    /// The reader may save a new version.
    pub may_change: bool,
    /// The reader may comment.
    pub may_comment: bool,
    /// Every version: who, when, what changed.
    pub versions: Vec<VersionInfo>,
    /// The comments, oldest first.
    pub comments: Vec<Comment>,
}

/// A line of the list of studies.
#[derive(Serialize, ToSchema)]
pub struct StudyLine {
    /// Its number.
    pub id: i64,
    /// Its title.
    pub title: String,
    /// Its latest version.
    pub version: i64,
    /// Unix seconds of its last save.
    pub updated_at: i64,
    /// Who created it.
    pub created_by: String,
    /// `public`, `shared` or `private`.
    pub visibility: String,
}

/// A comment to add.
#[derive(Deserialize, ToSchema)]
pub struct NewComment {
    /// Its text.
    pub text: String,
}

fn login(viewer: &Viewer) -> Option<String> {
    match viewer {
        Viewer::Local => Some("local".into()),
        Viewer::Public => None,
        Viewer::Account(p) => Some(p.login.clone()),
    }
}

fn signed_in(viewer: &Viewer) -> Result<String, ApiError> {
    login(viewer).ok_or_else(|| {
        ApiError::Refused(StatusCode::UNAUTHORIZED, "connectez-vous pour enregistrer ou commenter une étude".into())
    })
}

fn visibility_of(stored: &StoredStudy) -> Result<Visibility, ApiError> {
    serde_json::from_str(&stored.visibility).map_err(|e| ApiError::Internal(format!("study visibility: {e}")))
}

/// The visibility asked, checked against what the viewer may give.
fn asked(viewer: &Viewer, sharing: &Sharing, current: Option<&Visibility>) -> Result<Visibility, ApiError> {
    let to = match (&sharing.visibility, current) {
        (None, Some(v)) => v.clone(),
        (None, None) => viewer.default_visibility(),
        (Some(level), _) => {
            let owner = sharing.owner.as_deref().or(current.and_then(Visibility::owner)).or(viewer.org());
            Visibility::parse(level, owner, &sharing.share_with)
                .map_err(|e| ApiError::BadRequest(format!("visibilité : {e}")))?
        }
    };
    let may = match current {
        Some(from) => viewer.can_set(from, &to),
        None => viewer.can_change(&to),
    };
    if !may {
        return Err(ApiError::Refused(
            StatusCode::FORBIDDEN,
            "seuls les membres de l'organisation propriétaire (et les administrateurs) modifient cette étude et sa visibilité"
                .into(),
        ));
    }
    Ok(to)
}

/// Checks the study, and that its territories and indicators are ones the viewer sees
/// (keys written as the referential writes them).
fn checked(view: &View, mut study: Study) -> Result<Study, ApiError> {
    study.check()?;
    study.title = study.title.trim().to_string();
    let r = &view.referential;
    let mut keys = Vec::new();
    for t in &study.territories {
        let found = r.resolve(t).map_err(|e| ApiError::BadRequest(format!("territoire « {t} » : {e}")))?;
        if !keys.contains(&found.key()) {
            keys.push(found.key());
        }
    }
    study.territories = keys;
    let ids: Vec<&str> = study.indicators.iter().map(String::as_str).collect();
    // An unknown (or hidden) indicator is a field of the body refused, not a missing page.
    view.check_indicators(&ids).map_err(|e| match e {
        ApiError::NotFound(m) => ApiError::BadRequest(format!("indicateurs : {m}")),
        other => other,
    })?;
    Ok(study)
}

fn study_view(viewer: &Viewer, stored: StoredStudy, state: &AppState) -> Result<StudyView, ApiError> {
    let visibility = visibility_of(&stored)?;
    let store = state.store()?;
    Ok(StudyView {
        id: stored.id,
        version: stored.version,
        versions: store.catalog().study_versions(stored.id)?,
        comments: store.catalog().study_comments(stored.id)?,
        may_change: viewer.can_change(&visibility),
        may_comment: login(viewer).is_some(),
        visibility,
        created_by: stored.created_by,
        updated_at: stored.updated_at,
        study: stored.study,
    })
}

/// A study the viewer may see, else "not found" (whether it exists or not).
fn seen(state: &AppState, viewer: &Viewer, id: i64) -> Result<StoredStudy, ApiError> {
    let stored = state.store()?.catalog().study(id)?.ok_or_else(no_study)?;
    if viewer.can_see(&visibility_of(&stored)?) { Ok(stored) } else { Err(no_study()) }
}

#[utoipa::path(get, path = "/api/studies", tag = "studies", operation_id = "studies_list", summary = "The studies the viewer may see",
    responses((status = 200, description = "Studies, newest first", body = [StudyLine])))]
pub async fn list(State(state): State<AppState>, viewer: Asker) -> Result<Json<Vec<StudyLine>>, ApiError> {
    blocking(move || {
        let mut out = Vec::new();
        for s in state.store()?.catalog().studies()? {
            let visibility = visibility_of(&s)?;
            if viewer.0.can_see(&visibility) {
                out.push(StudyLine {
                    id: s.id,
                    title: s.study.title,
                    version: s.version,
                    updated_at: s.updated_at,
                    created_by: s.created_by,
                    visibility: visibility.level().into(),
                });
            }
        }
        Ok(Json(out))
    })
    .await
}

#[utoipa::path(post, path = "/api/studies", tag = "studies", operation_id = "study_create", summary = "Create a study",
    request_body = NewStudy,
    responses((status = 201, description = "Created (version 1)", body = StudyView), (status = 400, body = ErrorBody, description = "A field refused"), (status = 401, body = ErrorBody, description = "Not signed in"), (status = 403, body = ErrorBody, description = "A visibility the viewer may not give")))]
pub async fn create(
    State(state): State<AppState>,
    viewer: Asker,
    JsonBody(new): JsonBody<NewStudy>,
) -> Result<(StatusCode, Json<StudyView>), ApiError> {
    let author = signed_in(&viewer.0)?;
    let visibility = asked(&viewer.0, &new.sharing, None)?;
    let study = checked(&state.view_of(&viewer), new.study)?;
    blocking(move || {
        let store = state.store()?;
        let id = store.catalog().study_create(&study, &json(&visibility), &author, now_seconds())?;
        let stored = store.catalog().study(id)?.ok_or_else(no_study)?;
        Ok((StatusCode::CREATED, Json(study_view(&viewer.0, stored, &state)?)))
    })
    .await
}

fn json(visibility: &Visibility) -> String {
    serde_json::to_string(visibility).expect("a visibility serialises")
}

#[utoipa::path(get, path = "/api/studies/{id}", tag = "studies", operation_id = "study_get", summary = "A study, its versions and comments (its link)",
    params(("id" = i64, Path, description = "Its number")),
    responses((status = 200, description = "The study", body = StudyView), (status = 404, body = ErrorBody, description = "No such study for the viewer")))]
pub async fn get_study(
    State(state): State<AppState>,
    viewer: Asker,
    Path(id): Path<i64>,
) -> Result<Json<StudyView>, ApiError> {
    blocking(move || {
        let stored = seen(&state, &viewer.0, id)?;
        Ok(Json(study_view(&viewer.0, stored, &state)?))
    })
    .await
}

#[utoipa::path(put, path = "/api/studies/{id}", tag = "studies", operation_id = "study_save", summary = "Save a new version of a study",
    params(("id" = i64, Path, description = "Its number")), request_body = StudySave,
    responses((status = 200, description = "Saved", body = StudyView), (status = 400, body = ErrorBody, description = "A field refused"), (status = 403, body = ErrorBody, description = "Not the owner organisation's"), (status = 404, body = ErrorBody, description = "No such study for the viewer"), (status = 409, body = ErrorBody, description = "Someone saved a newer version since")))]
pub async fn save(
    State(state): State<AppState>,
    viewer: Asker,
    Path(id): Path<i64>,
    JsonBody(save): JsonBody<StudySave>,
) -> Result<Json<StudyView>, ApiError> {
    let author = login(&viewer.0).ok_or_else(no_study)?;
    let view = state.view_of(&viewer);
    let current = {
        let (state, viewer) = (state.clone(), viewer.0.clone());
        blocking(move || seen(&state, &viewer, id)).await?
    };
    let visibility = asked(&viewer.0, &save.sharing, Some(&visibility_of(&current)?))?;
    let study = checked(&view, save.study)?;
    blocking(move || {
        let store = state.store()?;
        let mut what = changes(&current.study, &study);
        if json(&visibility) != current.visibility {
            what.push(format!("visibilité : {}", visibility.level()));
        }
        if what.is_empty() {
            return Ok(Json(study_view(&viewer.0, current, &state)?));
        }
        match store.catalog().study_save(id, save.version, &study, &json(&visibility), &author, &what, now_seconds())? {
            Saved::Done(_) => {}
            Saved::Stale(latest) => {
                return Err(ApiError::Conflict(format!(
                    "la version {latest} a été enregistrée depuis la version {} que vous modifiez : rechargez l'étude",
                    save.version
                )));
            }
            Saved::Missing => return Err(no_study()),
        }
        let stored = store.catalog().study(id)?.ok_or_else(no_study)?;
        Ok(Json(study_view(&viewer.0, stored, &state)?))
    })
    .await
}

#[utoipa::path(get, path = "/api/studies/{id}/versions/{version}", tag = "studies", operation_id = "study_version", summary = "One version of a study",
    params(("id" = i64, Path, description = "Its number"), ("version" = i64, Path, description = "The version, from 1")),
    responses((status = 200, description = "What it held then", body = Study), (status = 404, body = ErrorBody, description = "No such study or version for the viewer")))]
pub async fn version(
    State(state): State<AppState>,
    viewer: Asker,
    Path((id, version)): Path<(i64, i64)>,
) -> Result<Json<Study>, ApiError> {
    blocking(move || {
        seen(&state, &viewer.0, id)?;
        Ok(Json(state.store()?.catalog().study_version(id, version)?.ok_or_else(no_study)?))
    })
    .await
}

#[utoipa::path(post, path = "/api/studies/{id}/comments", tag = "studies", operation_id = "study_comment", summary = "Comment on a study",
    params(("id" = i64, Path, description = "Its number")), request_body = NewComment,
    responses((status = 201, description = "Added", body = Comment), (status = 400, body = ErrorBody, description = "Empty or too long"), (status = 401, body = ErrorBody, description = "Not signed in"), (status = 404, body = ErrorBody, description = "No such study for the viewer")))]
pub async fn comment(
    State(state): State<AppState>,
    viewer: Asker,
    Path(id): Path<i64>,
    JsonBody(new): JsonBody<NewComment>,
) -> Result<(StatusCode, Json<Comment>), ApiError> {
    blocking(move || {
        seen(&state, &viewer.0, id)?;
        let author = signed_in(&viewer.0)?;
        let text = comment_text(&new.text)?;
        Ok((StatusCode::CREATED, Json(state.store()?.catalog().study_comment(id, &author, &text, now_seconds())?)))
    })
    .await
}

/// The study's indicators for its territories, one row per indicator, with its unit,
/// source and vintage: the report's first table.
async fn figures(view: &View, study: &Study) -> Result<Option<Table>, ApiError> {
    if study.territories.is_empty() {
        return Ok(None);
    }
    let r = &view.referential;
    let columns: Vec<Column> =
        study.territories.iter().map(|t| r.resolve(t).map(Column::Territory)).collect::<Result<_, _>>()?;
    let ids = (!study.indicators.is_empty()).then(|| study.indicators.join(","));
    let c = crate::api::evaluate_columns(view, &columns, ids.as_deref()).await?;
    let mut names = vec!["Indicateur".to_string(), "Unité".to_string()];
    names.extend(c.columns.iter().map(|h| format!("{} ({})", h.name, h.key)));
    names.extend(["Source".to_string(), "Millésime".to_string()]);
    let rows = c
        .indicators
        .iter()
        .map(|row| {
            let i = &row.indicator;
            let mut cells = vec![Cell::Text(i.label.clone()), Cell::Text(i.unit.clone())];
            cells.extend(row.values.iter().map(|v| v.map_or(Cell::Empty, Cell::Number)));
            let mut source = i.source.clone().unwrap_or_else(|| "source inconnue".into());
            if i.synthetic {
                source.push_str(" (SYNTHÉTIQUE)");
            }
            cells.push(Cell::Text(source));
            cells.push(Cell::Text(i.vintage.clone().unwrap_or_default()));
            cells
        })
        .collect();
    let mut sources: Vec<String> = c
        .indicators
        .iter()
        .map(|row| {
            let i = &row.indicator;
            format!(
                "{}, {}",
                i.source.as_deref().unwrap_or("source inconnue"),
                i.vintage.as_deref().unwrap_or("millésime inconnu")
            )
        })
        .collect();
    sources.sort();
    sources.dedup();
    Ok(Some(Table {
        title: "Indicateurs des territoires de l'étude".into(),
        source: format!(
            "{} ; valeurs agrégées par echelle à partir des communes membres ; n.d. : non disponible ou secret",
            sources.join(" ; ")
        ),
        columns: names,
        info: Vec::new(),
        rows,
    }))
}

fn saved_table(t: &SavedTable) -> Result<Table, ApiError> {
    let body = TableBody {
        title: t.title.clone(),
        source: t.source.clone(),
        columns: t.columns.iter().cloned().map(ColumnBody::Name).collect(),
        rows: t.rows.clone(),
    };
    Ok(Table::from_body(body)?)
}

#[utoipa::path(get, path = "/api/studies/{id}/report", tag = "studies", operation_id = "study_report", summary = "A study's report: a ZIP folder",
    description = "`rapport.pdf` (notes and every table with its source), `tableaux/N_titre.csv` and `.xlsx` for each table, `territoires-LAYER.gpkg` (the study's territories with its indicators), `SOURCES.txt`, and `etude.json` (the version exported).",
    params(("id" = i64, Path, description = "Its number")),
    responses((status = 200, description = "The ZIP archive", content_type = "application/zip", body = Vec<u8>), (status = 404, body = ErrorBody, description = "No such study for the viewer")))]
pub async fn report(State(state): State<AppState>, viewer: Asker, Path(id): Path<i64>) -> Result<Response, ApiError> {
    let stored = {
        let (state, viewer) = (state.clone(), viewer.0.clone());
        blocking(move || seen(&state, &viewer, id)).await?
    };
    let view = state.view_of(&viewer);
    let study = stored.study.clone();
    let mut tables: Vec<Table> = figures(&view, &study).await?.into_iter().collect();
    for t in &study.tables {
        tables.push(saved_table(t)?);
    }
    // The territories with shapes, one GeoPackage per layer.
    let ids: Vec<&str> = study.indicators.iter().map(String::as_str).collect();
    let mut by_layer: BTreeMap<&'static str, (Layer, HashSet<String>)> = BTreeMap::new();
    for key in &study.territories {
        let t = view.referential.resolve(key)?;
        by_layer.entry(t.layer.prefix()).or_insert_with(|| (t.layer, HashSet::new())).1.insert(t.key());
    }
    let mut layers = Vec::new();
    for (_, (layer, keys)) in by_layer {
        layers.push(crate::export::layer::features(&state, &view, layer, Some(keys), &ids).await?);
    }
    let zip_name = file_name(&study.title, "zip");
    let bytes = blocking(move || {
        let date = Date::today();
        let visibility = visibility_of(&stored)?;
        let about = vec![
            format!(
                "Étude n° {} — version {} — enregistrée le {}",
                stored.id,
                stored.version,
                Date::from_days(stored.updated_at / 86_400).french()
            ),
            format!("Créée par {} — visibilité : {}", stored.created_by, visibility.level()),
            format!(
                "Territoires : {}",
                if study.territories.is_empty() { "aucun".into() } else { study.territories.join(", ") }
            ),
        ];
        let doc = pdf::tables::Document { title: &study.title, about: &about, notes: &study.notes, tables: &tables };
        let mut files = vec![("rapport.pdf".to_string(), pdf::tables::render(&doc, date)?)];
        let mut sources = format!("{}\n{}\n\n", study.title, about.join("\n"));
        for (n, t) in tables.iter().enumerate() {
            let name = file_name(&format!("{}-{}", n + 1, t.title), "");
            let name = name.trim_end_matches('.');
            files.push((format!("tableaux/{name}.csv"), csv::write(t, csv::Dialect::Excel)));
            files.push((format!("tableaux/{name}.xlsx"), xlsx::write(t, date)?));
            sources.push_str(&format!("tableaux/{name} : {}\n  {}\n", t.title, t.source_line().unwrap_or_default()));
        }
        for l in &layers {
            let name = format!("territoires-{}.gpkg", l.name);
            files.push((name.clone(), gpkg::write(l)?));
            sources.push_str(&format!("{name} : {} ({} territoires)\n", l.label, l.features.len()));
            for c in &l.indicators {
                sources.push_str(&format!("  {} ({}) : {}, {}\n", c.id, c.unit, c.source, c.vintage));
            }
        }
        files.push(("SOURCES.txt".into(), sources.into_bytes()));
        files.push((
            "etude.json".into(),
            serde_json::to_vec_pretty(&study).map_err(|e| ApiError::Internal(e.to_string()))?,
        ));
        Ok(bundle::zip(&files)?)
    })
    .await?;
    Ok(attachment(bytes, "application/zip", &zip_name))
}
