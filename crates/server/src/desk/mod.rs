//! The engineering-requests desk over HTTP (issue 18): a commune or an EPCI submits a
//! request (signed in, or through the public form with an e-mail check), the desk's
//! agents route it, a partner referent accepts and answers, the requester reads the
//! answer; each step's e-mails go to the outbox ([`mail`] sends them).
//!
//! ```text
//!  POST /api/desk/requests (multipart) ──check fields + attachments──> desk_submit ─┐
//!  POST /api/desk/requests/{id}/steps ──Actor::on + Case::apply (echelle-exchange)──> desk_step ─┴─> outbox
//!  GET  /api/desk/requests[/{id}[/attachments/{n}]] ── only to those taking part, else 404
//!  GET  /api/desk/indicators ── counts by theme, EPCI, status; small cells hidden from non-agents
//! ```
//!
//! Who is who: the embedded local user and administrators are agents, and so are the
//! members of the organisation `echelle desk org` names; a requester is the account that
//! submitted (or `courriel:ADDRESS` for the public form); a referent is a member of an
//! organisation the case was routed to. Anyone else gets "not found", whatever the
//! endpoint: the desk says nothing of the cases one does not take part in.

pub mod mail;

use axum::extract::{Multipart, Path, State};
use axum::http::{StatusCode, header};
use axum::response::Response;
use echelle_exchange::{
    Actor, Case, DeskError, DeskIndicators, Email, Recipients, Step, Theme, Urgency, check_attachment, confirmation,
    notifications, plausible_email, reminder,
};
use echelle_platform::Viewer;
use echelle_platform::audit::now_seconds;
use echelle_platform::session::{digest, new_secret};
use echelle_referential::Layer;
use echelle_store::{AttachmentInfo, CaseFilter, NewAttachment, Stepped, StoredCase};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::auth::Client;
use crate::export::{attachment as download, blocking};
use axum::Json;

use crate::extract::Json as JsonBody;
use crate::{ApiError, AppState, ErrorBody};

/// Attachments of one request at most.
pub const MAX_ATTACHMENTS: usize = 5;
/// Bytes of a submission's body at most: five attachments of 10 MiB and the fields.
pub const MAX_SUBMISSION_BYTES: usize = MAX_ATTACHMENTS * echelle_exchange::MAX_ATTACHMENT_BYTES + 256 * 1024;
/// Days a public request waits for its e-mail check before it is forgotten.
const PENDING_DAYS: i64 = 2;
/// Public submissions from one client address per hour at most.
const PUBLIC_PER_HOUR: usize = 5;
/// Where the web application shows a case, and a public requester's case.
const CASE_PAGE: &str = "/guichet/demandes/";
const FOLLOW_PAGE: &str = "/guichet/suivi/";
/// The prefix of a public requester's identity (no login has a colon).
const BY_EMAIL: &str = "courriel:";

impl From<DeskError> for ApiError {
    fn from(e: DeskError) -> Self {
        match e {
            DeskError::Order { .. } => ApiError::Conflict(e.to_string()),
            DeskError::Forbidden(m) => ApiError::Refused(StatusCode::FORBIDDEN, m),
            DeskError::Invalid(m) => ApiError::BadRequest(m),
        }
    }
}

fn no_case() -> ApiError {
    ApiError::NotFound("cette demande n'existe pas".into())
}

/// Someone the desk knows: a signed-in account or the local user.
#[derive(Debug, Clone)]
struct Person {
    login: String,
    org: Option<String>,
    agent: bool,
}

/// Who a viewer is at the desk; `None` for a public visitor.
fn person(viewer: &Viewer, desk_org: Option<&str>) -> Option<Person> {
    match viewer {
        Viewer::Local => Some(Person { login: "local".into(), org: None, agent: true }),
        Viewer::Public => None,
        Viewer::Account(p) => Some(Person {
            login: p.login.clone(),
            org: p.org.as_ref().map(|o| o.to_string()),
            agent: p.role == echelle_platform::Role::Admin
                || desk_org.is_some_and(|d| p.org.as_ref().is_some_and(|o| o.as_str() == d)),
        }),
    }
}

impl Person {
    fn on(&self, case: &Case) -> Option<Actor> {
        Actor::on(case, &self.login, self.org.as_deref(), self.agent)
    }
}

async fn person_of(state: &AppState, viewer: &Viewer) -> Result<Option<Person>, ApiError> {
    let (state, viewer) = (state.clone(), viewer.clone());
    blocking(move || Ok(person(&viewer, state.store()?.catalog().desk_org()?.as_deref()))).await
}

fn signed_in(p: Option<Person>) -> Result<Person, ApiError> {
    p.ok_or_else(|| {
        ApiError::Refused(
            StatusCode::UNAUTHORIZED,
            "connectez-vous pour suivre les demandes (ou déposez-en une par le formulaire public)".into(),
        )
    })
}

/// A case as its reader sees it.
#[derive(Serialize, ToSchema)]
pub struct CaseView {
    /// Its number.
    pub id: i64,
    /// The request, its status and its history.
    #[schema(value_type = Object)]
    pub case: Case,
    /// The reader's part: `requester`, `agent` or `referent`.
    pub role: String,
    /// The steps the reader may take now.
    pub may: Vec<String>,
    /// Days before the next step is due (negative: late); none once over.
    pub due_in_days: Option<f64>,
    /// The territory's portrait and references when the request was submitted.
    #[schema(value_type = Object)]
    pub figures: serde_json::Value,
    /// Its attachments.
    pub attachments: Vec<AttachmentInfo>,
}

fn view(stored: StoredCase, actor: &Actor, now: i64) -> CaseView {
    let role = match actor {
        Actor::Requester { .. } => "requester",
        Actor::Agent { .. } => "agent",
        Actor::Referent { .. } => "referent",
    };
    let case = stored.case;
    CaseView {
        id: stored.id,
        role: role.into(),
        may: case.possible_steps(actor).into_iter().map(String::from).collect(),
        due_in_days: case.due_in_days(now),
        figures: serde_json::from_str(&stored.figures).unwrap_or_default(),
        attachments: stored.attachments,
        case,
    }
}

/// A line of a list of cases.
#[derive(Serialize, ToSchema)]
pub struct CaseLine {
    /// Its number.
    pub id: i64,
    /// Its title.
    pub title: String,
    /// Its theme's key.
    pub theme: String,
    /// Its territory's key.
    pub territory: String,
    /// Its status' key.
    pub status: String,
    /// Its status, in French.
    pub status_label: String,
    /// Who submitted it.
    pub requester: String,
    /// Unix seconds of its submission.
    pub submitted_at: i64,
    /// Waiting past its deadline.
    pub overdue: bool,
    /// Urgent.
    pub urgent: bool,
}

/// The fields of a submission, read from its multipart body before anything is stored.
struct Submission {
    title: String,
    theme: Theme,
    territory: String,
    description: String,
    urgency: Urgency,
    email: Option<String>,
    attachments: Vec<NewAttachment>,
}

async fn read_submission(mut form: Multipart) -> Result<Submission, ApiError> {
    let bad = |m: String| ApiError::BadRequest(m);
    let (mut title, mut theme, mut territory, mut description, mut urgency, mut email) =
        (None, None, None, None, None, None);
    let mut attachments = Vec::new();
    while let Some(field) = form.next_field().await.map_err(|e| bad(format!("formulaire illisible : {e}")))? {
        let name = field.name().unwrap_or_default().to_string();
        if name == "attachment" {
            let file = field.file_name().unwrap_or("pièce jointe").to_string();
            let bytes = field.bytes().await.map_err(|e| bad(format!("pièce jointe « {file} » illisible : {e}")))?;
            if bytes.is_empty() {
                continue;
            }
            if attachments.len() == MAX_ATTACHMENTS {
                return Err(bad(format!("{MAX_ATTACHMENTS} pièces jointes au plus")));
            }
            let kind = check_attachment(&file, &bytes).map_err(|e| bad(e.to_string()))?;
            attachments.push(NewAttachment { name: file, media_type: kind.mime().into(), bytes: bytes.to_vec() });
            continue;
        }
        let text = field.text().await.map_err(|e| bad(format!("champ « {name} » illisible : {e}")))?;
        match name.as_str() {
            "title" => title = Some(text),
            "theme" => theme = Some(text),
            "territory" => territory = Some(text),
            "description" => description = Some(text),
            "urgency" => urgency = Some(text),
            "email" => email = Some(text),
            other => return Err(bad(format!("champ inconnu : « {other} »"))),
        }
    }
    let theme = theme.unwrap_or_default();
    let theme = Theme::parse(theme.trim()).ok_or_else(|| {
        let keys: Vec<&str> = Theme::ALL.iter().map(|t| t.key()).collect();
        bad(format!("thème « {theme} » inconnu ; attendu l'un de : {}", keys.join(", ")))
    })?;
    let urgency = match urgency.as_deref().map(str::trim) {
        None | Some("") | Some("normal") => Urgency::Normal,
        Some("urgent") => Urgency::Urgent,
        Some(other) => return Err(bad(format!("urgence « {other} » : « normal » ou « urgent »"))),
    };
    Ok(Submission {
        title: title.unwrap_or_default(),
        theme,
        territory: territory.unwrap_or_default(),
        description: description.unwrap_or_default(),
        urgency,
        email,
        attachments,
    })
}

/// The territory's key, resolved in the referential (a commune code alone is a commune),
/// and its figures at submission: name, references (EPCI, département, perimeters) and
/// portrait, as a public visitor sees them (every reader of the case may read them).
async fn territory_figures(state: &AppState, territory: &str) -> Result<(String, String), ApiError> {
    if territory.trim().is_empty() {
        return Err(ApiError::BadRequest(
            "territoire : choisissez la commune ou l'EPCI concerné dans le référentiel".into(),
        ));
    }
    let view = state.view(&Viewer::Public);
    let t =
        view.referential.resolve(territory.trim()).map_err(|e| ApiError::BadRequest(format!("territoire : {e}")))?;
    let references: Vec<serde_json::Value> = view
        .referential
        .references(&t)
        .unwrap_or_default()
        .iter()
        .map(|x| serde_json::json!({ "key": x.key(), "name": view.referential.name(x), "layer": x.layer.label() }))
        .collect();
    let query = crate::api::PortraitQuery { against: None, indicators: None };
    let portrait = crate::api::portrait_of(&view, &t.key(), &query).await.ok();
    let figures = serde_json::json!({
        "territory": { "key": t.key(), "name": view.referential.name(&t), "layer": t.layer.label() },
        "references": references,
        "portrait": portrait,
        "at": now_seconds(),
    });
    Ok((t.key(), figures.to_string()))
}

/// The addresses of everyone who may take part in a case, read before a step's
/// transaction (whose e-mails are written with it): the contacts of the desk's agents
/// (the desk organisation's members and the administrators), of each organisation's
/// members, and of every login.
struct Parties {
    contacts: std::collections::BTreeMap<String, String>,
    agents: Vec<String>,
    members: std::collections::BTreeMap<String, Vec<String>>,
}

fn parties(state: &AppState) -> Result<Parties, ApiError> {
    let store = state.store()?;
    let contacts: std::collections::BTreeMap<String, String> = store.catalog().desk_contacts()?.into_iter().collect();
    let desk_org = store.catalog().desk_org()?;
    let mut parties = Parties { agents: Vec::new(), members: Default::default(), contacts: Default::default() };
    for a in state.gate().accounts().accounts()?.into_iter().filter(|a| !a.disabled) {
        let Some(address) = contacts.get(&a.login) else { continue };
        let org = a.org.as_ref().map(|o| o.to_string());
        if a.role == echelle_platform::Role::Admin || (org.is_some() && org == desk_org) {
            parties.agents.push(address.clone());
        }
        if let Some(org) = org {
            parties.members.entry(org).or_default().push(address.clone());
        }
    }
    parties.contacts = contacts;
    Ok(parties)
}

impl Parties {
    fn of(&self, case: &Case) -> Recipients {
        Recipients {
            requester: match case.requester.strip_prefix(BY_EMAIL) {
                Some(address) => Some(address.to_string()),
                None => self.contacts.get(&case.requester).cloned(),
            },
            agents: self.agents.clone(),
            referents: case
                .routed_to()
                .iter()
                .flat_map(|o| self.members.get(o).into_iter().flatten().cloned())
                .collect(),
        }
    }

    /// The e-mails of a case's last step: a public requester's carry no link to its case
    /// (its secret link is in the first e-mail it received), the others the case's page.
    fn emails(&self, site: &crate::Site, id: i64, case: &Case) -> Vec<Email> {
        let mut to = self.of(case);
        let page = site.url(&format!("{CASE_PAGE}{id}"));
        let mut out = Vec::new();
        if case.requester.starts_with(BY_EMAIL) {
            let requester = Recipients { requester: to.requester.take(), ..Default::default() };
            out.extend(notifications(case, &format!("n° {id}"), "le lien du message de confirmation", &requester));
        }
        out.extend(notifications(case, &format!("n° {id}"), &page, &to));
        out
    }
}

/// Queues the reminders of the late cases at `now` (each case is reminded in its own
/// transaction, marked with the time); how many cases were reminded.
pub fn remind_due(state: &AppState, now: i64) -> Result<usize, ApiError> {
    let store = state.store()?;
    let late: Vec<i64> = store
        .catalog()
        .desk_cases(CaseFilter::All)?
        .into_iter()
        .filter(|(_, c)| c.reminder_due(now))
        .map(|(id, _)| id)
        .collect();
    if late.is_empty() {
        return Ok(0);
    }
    let parties = parties(state)?;
    let mut reminded = 0;
    for id in late {
        let stepped = store.catalog().desk_step(id, now, |case| {
            if !case.reminder_due(now) {
                return Err(DeskError::Invalid("déjà relancée".into()));
            }
            case.reminded = Some(now);
            let page = state.site().url(&format!("{CASE_PAGE}{id}"));
            Ok(reminder(case, &format!("n° {id}"), &page, &parties.of(case), now))
        })?;
        reminded += usize::from(matches!(stepped, Stepped::Done(_)));
    }
    Ok(reminded)
}

fn line(id: i64, c: &Case, now: i64) -> CaseLine {
    CaseLine {
        id,
        title: c.title.clone(),
        theme: c.theme.key().into(),
        territory: c.territory.clone(),
        status: c.status.key().into(),
        status_label: c.status.label().into(),
        requester: c.requester.clone(),
        submitted_at: c.history.first().map_or(c.since, |e| e.at),
        overdue: c.overdue(now),
        urgent: c.urgency == Urgency::Urgent,
    }
}

#[utoipa::path(post, path = "/api/desk/requests", tag = "desk", operation_id = "desk_submit", summary = "Submit a request (signed in)",
    description = "A multipart form: `title`, `theme` (planning, housing, retail, mobility, energy, heritage, economy, other), `territory` (a referential key or a commune code), `description`, `urgency` (normal, urgent), and up to five `attachment` files (PDF, images, office documents, CSV; 10 MiB each, typed by their content). Nothing is stored unless everything is valid.",
    responses((status = 201, description = "Stored", body = CaseView), (status = 400, body = ErrorBody, description = "A field, the territory or an attachment refused"), (status = 401, body = ErrorBody, description = "Not signed in"), (status = 413, body = ErrorBody, description = "Too large")))]
pub async fn submit(
    State(state): State<AppState>,
    viewer: crate::viewer::Viewer,
    form: Multipart,
) -> Result<(StatusCode, Json<CaseView>), ApiError> {
    let person = signed_in(person_of(&state, &viewer.0).await?)?;
    let s = read_submission(form).await?;
    if s.email.is_some() {
        return Err(ApiError::BadRequest(
            "« email » est un champ du formulaire public ; connecté, il est inutile".into(),
        ));
    }
    let (territory, figures) = territory_figures(&state, &s.territory).await?;
    let now = now_seconds();
    let case = Case::submit(&person.login, &s.title, s.theme, &territory, &s.description, s.urgency, now)?;
    let actor = person.on(&case).expect("the requester takes part");
    blocking(move || {
        let parties = parties(&state)?;
        let store = state.store()?;
        let emails = |id: i64| parties.emails(state.site(), id, &case);
        let id = store.catalog().desk_submit(&case, &figures, &s.attachments, None, None, &emails, now)?;
        let stored = store.catalog().desk_case(id)?.ok_or_else(no_case)?;
        Ok((StatusCode::CREATED, Json(view(stored, &actor, now))))
    })
    .await
}

/// What the public form answers: nothing of the case until its e-mail is checked.
#[derive(Serialize, ToSchema)]
pub struct PublicReceipt {
    /// What happens next, in French.
    pub message: String,
}

#[utoipa::path(post, path = "/api/desk/public", tag = "desk", operation_id = "desk_submit_public", summary = "Submit a request without an account",
    description = "The same multipart form as `/api/desk/requests`, plus `email`. The request is kept for two days, seen by nobody, until its author opens the link sent to that address and confirms; five submissions per hour per client address.",
    responses((status = 202, description = "Waiting for the e-mail check", body = PublicReceipt), (status = 400, body = ErrorBody, description = "A field refused"), (status = 429, body = ErrorBody, description = "Too many submissions")))]
pub async fn submit_public(
    State(state): State<AppState>,
    Client(from): Client,
    form: Multipart,
) -> Result<(StatusCode, Json<PublicReceipt>), ApiError> {
    let s = read_submission(form).await?;
    let email = s.email.as_deref().map(str::trim).unwrap_or_default().to_ascii_lowercase();
    if !plausible_email(&email) {
        return Err(ApiError::BadRequest(format!("adresse électronique « {email} » invalide")));
    }
    let (territory, figures) = territory_figures(&state, &s.territory).await?;
    let now = now_seconds();
    let requester = format!("{BY_EMAIL}{email}");
    let case = Case::submit(&requester, &s.title, s.theme, &territory, &s.description, s.urgency, now)?;
    let secret = new_secret();
    let link = state.site().url(&format!("{FOLLOW_PAGE}{secret}"));
    blocking(move || {
        let accounts = state.gate().accounts().clone();
        let subject = format!("desk:{from}");
        let hour_ago = (now - 3_600) * 1_000;
        if accounts.store().failures(&subject, hour_ago)?.len() >= PUBLIC_PER_HOUR {
            return Err(ApiError::Refused(
                StatusCode::TOO_MANY_REQUESTS,
                format!("{PUBLIC_PER_HOUR} demandes par heure au plus depuis une même adresse ; réessayez plus tard"),
            ));
        }
        accounts.store().record_failure(&subject, now * 1_000, hour_ago)?;
        let check = confirmation(&email, &case.title, &link, PENDING_DAYS);
        let hash = digest(&secret);
        state.store()?.catalog().desk_submit(
            &case,
            &figures,
            &s.attachments,
            Some((&hash, now + PENDING_DAYS * 86_400)),
            Some(&hash),
            &|_| vec![check.clone()],
            now,
        )?;
        Ok(())
    })
    .await?;
    Ok((
        StatusCode::ACCEPTED,
        Json(PublicReceipt {
            message: "Demande enregistrée : confirmez-la avec le lien envoyé à votre adresse électronique.".into(),
        }),
    ))
}

#[utoipa::path(post, path = "/api/desk/follow/{secret}/confirm", tag = "desk", operation_id = "desk_confirm", summary = "Confirm a public request (its e-mail link)",
    params(("secret" = String, Path, description = "The secret of the e-mail's link")),
    responses((status = 200, description = "Confirmed (or already confirmed)", body = CaseView), (status = 404, body = ErrorBody, description = "Unknown or expired link")))]
pub async fn confirm(State(state): State<AppState>, Path(secret): Path<String>) -> Result<Json<CaseView>, ApiError> {
    let now = now_seconds();
    blocking(move || {
        let parties = parties(&state)?;
        let store = state.store()?;
        let hash = digest(&secret);
        let catalog = store.catalog();
        let id = match catalog.desk_case_followed(&hash)? {
            Some(id) => id,
            None => catalog
                .desk_verify(&hash, now, &|id, case| parties.emails(state.site(), id, case))?
                .ok_or_else(unknown_link)?,
        };
        followed(catalog, id, now)
    })
    .await
}

fn unknown_link() -> ApiError {
    ApiError::NotFound("lien inconnu, expiré, ou demande pas encore confirmée".into())
}

fn followed(catalog: &echelle_store::Catalog, id: i64, now: i64) -> Result<Json<CaseView>, ApiError> {
    let stored = catalog.desk_case(id)?.ok_or_else(unknown_link)?;
    let actor = Actor::Requester { login: stored.case.requester.clone() };
    Ok(Json(view(stored, &actor, now)))
}

#[utoipa::path(get, path = "/api/desk/follow/{secret}", tag = "desk", operation_id = "desk_follow", summary = "A public request, by its requester's link",
    params(("secret" = String, Path, description = "The secret of the e-mail's link")),
    responses((status = 200, description = "The case", body = CaseView), (status = 404, body = ErrorBody, description = "Unknown link, or not confirmed yet")))]
pub async fn follow(State(state): State<AppState>, Path(secret): Path<String>) -> Result<Json<CaseView>, ApiError> {
    blocking(move || {
        let store = state.store()?;
        let id = store.catalog().desk_case_followed(&digest(&secret))?.ok_or_else(unknown_link)?;
        followed(store.catalog(), id, now_seconds())
    })
    .await
}

#[utoipa::path(post, path = "/api/desk/follow/{secret}/steps", tag = "desk", operation_id = "desk_follow_step", summary = "A public requester's step (a message, closing)",
    params(("secret" = String, Path, description = "The secret of the e-mail's link")), request_body(content = Object, description = "A step: {\"step\": \"message\", \"text\": …} or {\"step\": \"close\"}"),
    responses((status = 200, description = "Taken", body = CaseView), (status = 404, body = ErrorBody, description = "Unknown link"), (status = 409, body = ErrorBody, description = "Not possible now")))]
pub async fn follow_step(
    State(state): State<AppState>,
    Path(secret): Path<String>,
    JsonBody(step): JsonBody<Step>,
) -> Result<Json<CaseView>, ApiError> {
    blocking(move || {
        let store = state.store()?;
        let id = store.catalog().desk_case_followed(&digest(&secret))?.ok_or_else(unknown_link)?;
        take_step(&state, id, step, |case| Some(Actor::Requester { login: case.requester.clone() }))
    })
    .await
}

#[utoipa::path(get, path = "/api/desk/requests", tag = "desk", operation_id = "desk_list", summary = "The requests one takes part in",
    description = "An agent's: every request; a referent's: those routed to its organisation; a requester's: its own. Newest first.",
    responses((status = 200, description = "Requests", body = [CaseLine]), (status = 401, body = ErrorBody, description = "Not signed in")))]
pub async fn list(
    State(state): State<AppState>,
    viewer: crate::viewer::Viewer,
) -> Result<Json<Vec<CaseLine>>, ApiError> {
    let person = signed_in(person_of(&state, &viewer.0).await?)?;
    blocking(move || {
        let store = state.store()?;
        let catalog = store.catalog();
        let mut cases = if person.agent {
            catalog.desk_cases(CaseFilter::All)?
        } else {
            let mut mine = catalog.desk_cases(CaseFilter::Requester(&person.login))?;
            if let Some(org) = &person.org {
                mine.extend(catalog.desk_cases(CaseFilter::Org(org))?);
            }
            mine
        };
        cases.sort_by_key(|(id, _)| std::cmp::Reverse(*id));
        cases.dedup_by_key(|(id, _)| *id);
        let now = now_seconds();
        Ok(Json(cases.iter().filter(|(_, c)| person.on(c).is_some()).map(|(id, c)| line(*id, c, now)).collect()))
    })
    .await
}

/// A case and who the person is on it; "not found" to anyone not taking part.
fn case_for(state: &AppState, person: Option<&Person>, id: i64) -> Result<(StoredCase, Actor), ApiError> {
    let stored = state.store()?.catalog().desk_case(id)?.ok_or_else(no_case)?;
    let actor = person.and_then(|p| p.on(&stored.case)).ok_or_else(no_case)?;
    Ok((stored, actor))
}

#[utoipa::path(get, path = "/api/desk/requests/{id}", tag = "desk", operation_id = "desk_case", summary = "A request, its history, figures and attachments",
    params(("id" = i64, Path, description = "Its number")),
    responses((status = 200, description = "The case", body = CaseView), (status = 404, body = ErrorBody, description = "No such request, or not one the reader takes part in")))]
pub async fn get_case(
    State(state): State<AppState>,
    viewer: crate::viewer::Viewer,
    Path(id): Path<i64>,
) -> Result<Json<CaseView>, ApiError> {
    let person = person_of(&state, &viewer.0).await?;
    blocking(move || {
        let (stored, actor) = case_for(&state, person.as_ref(), id)?;
        Ok(Json(view(stored, &actor, now_seconds())))
    })
    .await
}

fn take_step(
    state: &AppState,
    id: i64,
    step: Step,
    actor_of: impl Fn(&Case) -> Option<Actor>,
) -> Result<Json<CaseView>, ApiError> {
    let now = now_seconds();
    let parties = parties(state)?;
    let store = state.store()?;
    let mut taken_as = None;
    let stepped = store.catalog().desk_step(id, now, |case| {
        let actor = actor_of(case).ok_or(DeskError::Forbidden(String::new()))?;
        case.apply(&actor, step, now)?;
        taken_as = Some(actor);
        Ok(parties.emails(state.site(), id, case))
    })?;
    match (stepped, taken_as) {
        (Stepped::Done(_), Some(actor)) => {
            let stored = store.catalog().desk_case(id)?.ok_or_else(no_case)?;
            Ok(Json(view(stored, &actor, now)))
        }
        (Stepped::Refused(DeskError::Forbidden(m)), _) if m.is_empty() => Err(no_case()),
        (Stepped::Refused(e), _) => Err(e.into()),
        _ => Err(no_case()),
    }
}

#[utoipa::path(post, path = "/api/desk/requests/{id}/steps", tag = "desk", operation_id = "desk_step", summary = "Take a step on a request",
    description = "`{\"step\": \"route\", \"to\": [orgs]}` (agents), `accept`, `start`, `{\"step\": \"answer\", \"text\": …}` (the referent who accepted), `close` (requester or agent), `{\"step\": \"refuse\", \"reason\": …}`, `{\"step\": \"message\", \"text\": …}`. A step that skips one, or any step after closing, is refused with 409 and changes nothing.",
    params(("id" = i64, Path, description = "Its number")), request_body(content = Object, description = "The step"),
    responses((status = 200, description = "Taken", body = CaseView), (status = 400, body = ErrorBody, description = "A missing text"), (status = 403, body = ErrorBody, description = "Not the reader's step"), (status = 404, body = ErrorBody, description = "No such request for the reader"), (status = 409, body = ErrorBody, description = "Not possible in its status")))]
pub async fn step(
    State(state): State<AppState>,
    viewer: crate::viewer::Viewer,
    Client(from): Client,
    Path(id): Path<i64>,
    JsonBody(step): JsonBody<Step>,
) -> Result<Json<CaseView>, ApiError> {
    let person = person_of(&state, &viewer.0).await?.ok_or_else(no_case)?;
    if let Step::Route { to } = &step {
        check_organisations(&state, to).await?;
    }
    let what = step.key();
    let taken = {
        let state = state.clone();
        blocking(move || take_step(&state, id, step, |case| person.on(case))).await?
    };
    let detail = format!("étape {what}");
    state.gate().record(&viewer.0, &from, echelle_platform::Action::DeskStep, &format!("desk:{id}"), &detail).await;
    Ok(taken)
}

/// Routing names existing organisations only.
async fn check_organisations(state: &AppState, to: &[String]) -> Result<(), ApiError> {
    let accounts = state.gate().accounts().clone();
    let known: Vec<String> =
        blocking(move || Ok(accounts.organisations()?.into_iter().map(|o| o.id.to_string()).collect())).await?;
    match to.iter().find(|o| !known.contains(o)) {
        Some(o) => Err(ApiError::BadRequest(format!("orienter : organisation « {o} » inconnue"))),
        None => Ok(()),
    }
}

#[utoipa::path(get, path = "/api/desk/requests/{id}/attachments/{n}", tag = "desk", operation_id = "desk_attachment", summary = "An attachment of a request",
    params(("id" = i64, Path, description = "The request's number"), ("n" = i64, Path, description = "The attachment's number, from 1")),
    responses((status = 200, description = "Its bytes, with the media type found in them (PDF, image, office document, CSV)", content_type = "application/octet-stream", body = Vec<u8>), (status = 404, body = ErrorBody, description = "No such attachment for the reader")))]
pub async fn attachment(
    State(state): State<AppState>,
    viewer: crate::viewer::Viewer,
    Path((id, n)): Path<(i64, i64)>,
) -> Result<Response, ApiError> {
    let person = person_of(&state, &viewer.0).await?;
    blocking(move || {
        case_for(&state, person.as_ref(), id)?;
        let (info, bytes) = state.store()?.catalog().desk_attachment(id, n)?.ok_or_else(no_case)?;
        let name: String =
            info.name.chars().map(|c| if c.is_ascii_alphanumeric() || ".-_".contains(c) { c } else { '_' }).collect();
        let mut response = download(bytes, &info.media_type, &name);
        response.headers_mut().insert(header::X_CONTENT_TYPE_OPTIONS, header::HeaderValue::from_static("nosniff"));
        Ok(response)
    })
    .await
}

/// An organisation the desk may route a request to.
#[derive(Serialize, ToSchema)]
pub struct Suggestion {
    /// The organisation.
    pub org: String,
    /// Why: the declarations that match (theme, territory).
    pub because: Vec<String>,
}

#[utoipa::path(get, path = "/api/desk/requests/{id}/suggestions", tag = "desk", operation_id = "desk_suggestions", summary = "Referents for a request, by theme and territory (agents)",
    params(("id" = i64, Path, description = "Its number")),
    responses((status = 200, description = "Organisations, the most specific first", body = [Suggestion]), (status = 404, body = ErrorBody, description = "No such request for the reader")))]
pub async fn suggestions(
    State(state): State<AppState>,
    viewer: crate::viewer::Viewer,
    Path(id): Path<i64>,
) -> Result<Json<Vec<Suggestion>>, ApiError> {
    let person = person_of(&state, &viewer.0).await?;
    let (stored, actor) = {
        let state = state.clone();
        blocking(move || case_for(&state, person.as_ref(), id)).await?
    };
    if !matches!(actor, Actor::Agent { .. }) {
        return Err(ApiError::Refused(
            StatusCode::FORBIDDEN,
            "seuls les agents du guichet orientent une demande".into(),
        ));
    }
    let view = state.view(&Viewer::Public);
    let r = &view.referential;
    let mut around = vec![stored.case.territory.clone()];
    if let Ok(t) = r.resolve(&stored.case.territory) {
        around.extend(r.references(&t).unwrap_or_default().iter().map(|x| x.key()));
    }
    let declared = blocking(move || Ok(state.store()?.catalog().desk_referents()?)).await?;
    Ok(Json(
        echelle_exchange::routing::suggest(&declared, stored.case.theme, &around)
            .into_iter()
            .map(|(org, because)| Suggestion { org, because })
            .collect(),
    ))
}

#[utoipa::path(get, path = "/api/desk/indicators", tag = "desk", operation_id = "desk_indicators", summary = "The desk's requests as indicators",
    description = "Requests by theme, EPCI and status, and the median days to an answer. For anyone but the desk's agents, a cell with fewer than 3 requests or fewer than 2 requesters is hidden (and a second one when it would be the total minus the others).",
    responses((status = 200, description = "Indicators", body = DeskIndicators)))]
pub async fn indicators(
    State(state): State<AppState>,
    viewer: crate::viewer::Viewer,
) -> Result<Json<DeskIndicators>, ApiError> {
    let agent = person_of(&state, &viewer.0).await?.is_some_and(|p| p.agent);
    let cases = {
        let state = state.clone();
        blocking(move || Ok(state.store()?.catalog().desk_cases(CaseFilter::All)?)).await?
    };
    let view = state.view(&Viewer::Public);
    let r = &view.referential;
    let epci_of = |key: &str| {
        let t = r.resolve(key).ok()?;
        let e = if t.layer == Layer::Epci {
            t
        } else {
            r.references(&t).ok()?.into_iter().find(|x| x.layer == Layer::Epci)?
        };
        Some((e.key(), r.name(&e).unwrap_or_default().to_string()))
    };
    let cases: Vec<Case> = cases.into_iter().map(|(_, c)| c).collect();
    Ok(Json(echelle_exchange::indicators(&cases, epci_of, agent)))
}

/// The address the desk writes to.
#[derive(Deserialize, Serialize, ToSchema)]
pub struct Contact {
    /// An e-mail address.
    pub email: String,
}

#[utoipa::path(put, path = "/api/desk/contact", tag = "desk", operation_id = "desk_set_contact", summary = "Set one's own address for the desk's e-mails",
    request_body = Contact,
    responses((status = 200, description = "Saved", body = Contact), (status = 400, body = ErrorBody, description = "Not an address"), (status = 401, body = ErrorBody, description = "Not signed in")))]
pub async fn set_contact(
    State(state): State<AppState>,
    viewer: crate::viewer::Viewer,
    JsonBody(contact): JsonBody<Contact>,
) -> Result<Json<Contact>, ApiError> {
    let person = signed_in(person_of(&state, &viewer.0).await?)?;
    let email = contact.email.trim().to_ascii_lowercase();
    if !plausible_email(&email) {
        return Err(ApiError::BadRequest(format!("adresse électronique « {email} » invalide")));
    }
    blocking(move || {
        state.store()?.catalog().desk_set_contact(&person.login, &email)?;
        Ok(Json(Contact { email }))
    })
    .await
}
