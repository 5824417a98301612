//! The engineering-requests desk over HTTP (issue 18): a commune's request goes to a
//! partner and back, each step's e-mails are queued (and sent to a real SMTP sink,
//! aiosmtpd); a partner not routed a request learns nothing of it by any endpoint, a
//! public visitor reads only the aggregates; bad input is refused and stores nothing.

use std::path::Path;
use std::time::Duration;

use axum::body::Body;
use axum::http::{Method, Request, StatusCode, header};
use echelle_platform::{Actor, NewAccount, Principal, Role, Viewer};
use echelle_server::{AppState, app};
use echelle_store::testing::{TestBackend, backends, copy_store_on, test_store};
use serde_json::{Value, json};
use tower::ServiceExt;

const BOUNDARY: &str = "echelle-test-boundary";
/// A small valid PDF's first bytes: the desk types a file by its content.
const PDF: &[u8] = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n";

fn analyst(login: &str, org: &str) -> Viewer {
    Viewer::Account(Principal { login: login.into(), org: Some(org.into()), role: Role::Analyst })
}

fn commune() -> Viewer {
    analyst("mairie-arras", "mairie-arras")
}
fn agent() -> Viewer {
    analyst("guichet", "ing62")
}
fn caue() -> Viewer {
    analyst("lea", "caue62")
}
fn stranger() -> Viewer {
    analyst("max", "aud")
}

/// A private copy of the test store on `backend` with the desk's people: organisations,
/// accounts, their addresses, the desk's organisation and a referent declaration.
async fn desk(dir: &Path, backend: &TestBackend) -> (AppState, axum::Router) {
    copy_store_on(&test_store(), dir, backend);
    let state = AppState::open(dir).await.unwrap();
    state.ready().await;
    let accounts = state.gate().accounts();
    let by = Actor::command_line();
    for (org, login) in [("mairie-arras", "mairie-arras"), ("ing62", "guichet"), ("caue62", "lea"), ("aud", "max")] {
        accounts.add_organisation(org, org, &by).unwrap();
        let new = NewAccount { login: login.into(), org: Some(org.into()), role: Role::Analyst };
        accounts.add_account(&new, "un mot de passe assez long", &by).unwrap();
    }
    let store = state.store().unwrap();
    let catalog = store.catalog();
    catalog.set_desk_org("ing62").unwrap();
    catalog.desk_add_referent("caue62", "heritage", "dep:62").unwrap();
    catalog.desk_add_referent("aud", "mobility", "*").unwrap();
    for (login, email) in [
        ("mairie-arras", "mairie@arras.fr"),
        ("guichet", "guichet@pdc.fr"),
        ("lea", "lea@caue62.fr"),
        ("max", "max@aud.fr"),
    ] {
        catalog.desk_set_contact(login, email).unwrap();
    }
    let router = app(state.clone(), None, Duration::from_secs(60));
    (state, router)
}

/// A multipart body: text fields, then files (name, bytes).
fn multipart(fields: &[(&str, &str)], files: &[(&str, &[u8])]) -> Vec<u8> {
    let mut body = Vec::new();
    for (name, value) in fields {
        body.extend(
            format!("--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n{value}\r\n").bytes(),
        );
    }
    for (file, bytes) in files {
        body.extend(
            format!(
                "--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"attachment\"; filename=\"{file}\"\r\n\
                 Content-Type: application/octet-stream\r\n\r\n"
            )
            .bytes(),
        );
        body.extend_from_slice(bytes);
        body.extend(b"\r\n");
    }
    body.extend(format!("--{BOUNDARY}--\r\n").bytes());
    body
}

/// A request as `viewer`: status and body (JSON, or the bytes as a JSON string).
async fn call(
    router: &axum::Router,
    viewer: &Viewer,
    method: Method,
    uri: &str,
    body: Body,
    kind: &str,
) -> (StatusCode, Value) {
    let mut request = Request::builder().method(method).uri(uri).header(header::CONTENT_TYPE, kind).body(body).unwrap();
    request.extensions_mut().insert(viewer.clone());
    let response = router.clone().oneshot(request).await.unwrap();
    let status = response.status();
    let bytes = axum::body::to_bytes(response.into_body(), 1 << 26).await.unwrap();
    let value =
        serde_json::from_slice(&bytes).unwrap_or_else(|_| Value::String(String::from_utf8_lossy(&bytes).into()));
    (status, value)
}

async fn get(router: &axum::Router, viewer: &Viewer, uri: &str) -> (StatusCode, Value) {
    call(router, viewer, Method::GET, uri, Body::empty(), "application/json").await
}

async fn step(router: &axum::Router, viewer: &Viewer, id: i64, step: Value) -> (StatusCode, Value) {
    let uri = format!("/api/desk/requests/{id}/steps");
    call(router, viewer, Method::POST, &uri, Body::from(step.to_string()), "application/json").await
}

async fn submit(
    router: &axum::Router,
    viewer: &Viewer,
    fields: &[(&str, &str)],
    files: &[(&str, &[u8])],
) -> (StatusCode, Value) {
    let kind = format!("multipart/form-data; boundary={BOUNDARY}");
    call(router, viewer, Method::POST, "/api/desk/requests", Body::from(multipart(fields, files)), &kind).await
}

const HALLE: [(&str, &str); 5] = [
    ("title", "Réhabiliter la halle du marché"),
    ("theme", "heritage"),
    ("territory", "62041"),
    ("description", "La halle de 1920 est fermée ; quels usages, quel montage ?"),
    ("urgency", "normal"),
];

/// What the desk holds: cases, e-mails queued.
fn counts(state: &AppState) -> (usize, usize) {
    let store = state.store().unwrap();
    let catalog = store.catalog();
    (catalog.desk_cases(echelle_store::CaseFilter::All).unwrap().len(), catalog.desk_outbox(None).unwrap().len())
}

/// The recipients and subjects of a case's e-mails, in order.
fn outbox(state: &AppState, id: i64) -> Vec<(String, String)> {
    let store = state.store().unwrap();
    store.catalog().desk_outbox(Some(id)).unwrap().into_iter().map(|(o, _)| (o.email.to, o.email.subject)).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_request_goes_from_a_commune_to_a_partner_and_back_with_its_emails_and_history() {
    for backend in backends() {
        let dir = tempfile::tempdir().unwrap();
        let (state, r) = desk(dir.path(), &backend).await;
        let (status, case) = submit(&r, &commune(), &HALLE, &[("plan de la halle.pdf", PDF)]).await;
        assert_eq!(status, StatusCode::CREATED, "{backend:?}: {case}");
        let id = case["id"].as_i64().unwrap();
        assert_eq!(case["case"]["territory"], "com:62041", "a commune code alone is a commune");
        assert_eq!(case["figures"]["territory"]["name"], "Arras");
        assert!(case["figures"]["references"].as_array().unwrap().iter().any(|x| x["key"] == "dep:62"));
        assert!(case["figures"]["portrait"].is_object(), "the portrait is attached: {}", case["figures"]);
        assert_eq!(case["attachments"][0]["media_type"], "application/pdf");
        assert_eq!(case["may"], json!(["message"]), "the commune waits for the desk");
        // The agent reads the suggestions and routes.
        let (status, suggested) = get(&r, &agent(), &format!("/api/desk/requests/{id}/suggestions")).await;
        assert_eq!(status, StatusCode::OK, "{suggested}");
        let declared = state.store().unwrap().catalog().desk_referents().unwrap();
        assert_eq!(suggested[0]["org"], "caue62", "{backend:?}: heritage on dep:62 first: {suggested} {declared:?}");
        let (status, _) = get(&r, &commune(), &format!("/api/desk/requests/{id}/suggestions")).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "only agents route");
        let (status, routed) = step(&r, &agent(), id, json!({"step": "route", "to": ["caue62"]})).await;
        assert_eq!((status, routed["case"]["status"]["status"].as_str()), (StatusCode::OK, Some("routed")), "{routed}");
        // The partner reads the attachment, accepts and answers.
        let (status, pdf) = get(&r, &caue(), &format!("/api/desk/requests/{id}/attachments/1")).await;
        assert_eq!(status, StatusCode::OK);
        assert!(pdf.as_str().unwrap().starts_with("%PDF"), "{pdf}");
        for s in [
            json!({"step": "accept"}),
            json!({"step": "answer", "text": "Un CAUE vous accompagne : voici la démarche."}),
        ] {
            let (status, body) = step(&r, &caue(), id, s).await;
            assert_eq!(status, StatusCode::OK, "{body}");
        }
        // The commune reads the answer, and the whole history.
        let (status, seen) = get(&r, &commune(), &format!("/api/desk/requests/{id}")).await;
        assert_eq!(status, StatusCode::OK);
        let steps: Vec<&str> =
            seen["case"]["history"].as_array().unwrap().iter().map(|e| e["step"]["step"].as_str().unwrap()).collect();
        assert_eq!(steps, ["message", "route", "accept", "answer"]);
        let who: Vec<&str> =
            seen["case"]["history"].as_array().unwrap().iter().map(|e| e["who"].as_str().unwrap()).collect();
        assert_eq!(who, ["mairie-arras", "guichet", "lea", "lea"]);
        assert!(seen["case"]["history"][3]["step"]["text"].as_str().unwrap().contains("CAUE"));
        assert_eq!(seen["may"], json!(["close", "message"]));
        let (status, _) = step(&r, &commune(), id, json!({"step": "close"})).await;
        assert_eq!(status, StatusCode::OK);
        // Every step wrote its e-mails, to those it concerns.
        let mails = outbox(&state, id);
        let to = |s: &str| {
            mails.iter().filter(|(_, subject)| subject.contains(s)).map(|(t, _)| t.as_str()).collect::<Vec<_>>()
        };
        assert_eq!(to("reçue"), ["mairie@arras.fr", "guichet@pdc.fr"], "{mails:?}");
        assert_eq!(to("orientée"), ["mairie@arras.fr", "lea@caue62.fr"], "{mails:?}");
        assert_eq!(to("acceptée"), ["mairie@arras.fr"], "{mails:?}");
        assert_eq!(to("répondue"), ["mairie@arras.fr", "guichet@pdc.fr"], "{mails:?}");
        assert_eq!(to("close"), ["mairie@arras.fr", "guichet@pdc.fr", "lea@caue62.fr"], "{mails:?}");
        assert!(mails.iter().all(|(t, _)| t != "max@aud.fr"), "the partner not routed hears nothing");
        // Indicators: the agents see the case, the public only what the rule lets out.
        let (_, agents) = get(&r, &agent(), "/api/desk/indicators").await;
        assert_eq!(agents["requests"], 1);
        let (status, public) = get(&r, &Viewer::Public, "/api/desk/indicators").await;
        assert_eq!(status, StatusCode::OK);
        assert!(public["secret"] == true && public["requests"].is_null(), "{public}");
        assert!(
            public["by_epci"].as_array().unwrap().iter().all(|c| c["secret"] == true && c["requests"].is_null()),
            "{public}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_partner_not_routed_a_request_learns_nothing_of_it_by_any_endpoint() {
    let dir = tempfile::tempdir().unwrap();
    let (_state, r) = desk(dir.path(), &TestBackend::Sqlite).await;
    let (_, case) = submit(&r, &commune(), &HALLE, &[("plan.pdf", PDF)]).await;
    let id = case["id"].as_i64().unwrap();
    step(&r, &agent(), id, json!({"step": "route", "to": ["caue62"]})).await;
    let missing = id + 1_000;
    // Every desk route that names a case, for the case and for one that does not exist.
    let asks = |id: i64| {
        vec![
            (Method::GET, format!("/api/desk/requests/{id}"), None),
            (Method::GET, format!("/api/desk/requests/{id}/attachments/1"), None),
            (Method::GET, format!("/api/desk/requests/{id}/suggestions"), None),
            (Method::POST, format!("/api/desk/requests/{id}/steps"), Some(json!({"step": "accept"}))),
            (Method::POST, format!("/api/desk/requests/{id}/steps"), Some(json!({"step": "message", "text": "?"}))),
            (Method::POST, format!("/api/desk/requests/{id}/steps"), Some(json!({"step": "refuse", "reason": "?"}))),
        ]
    };
    let mut tried = 0;
    for viewer in [stranger(), Viewer::Public] {
        for ((m, uri, body), (_, twin, _)) in asks(id).into_iter().zip(asks(missing)) {
            let to_body = |b: &Option<Value>| b.as_ref().map_or(Body::empty(), |b| Body::from(b.to_string()));
            let seen = call(&r, &viewer, m.clone(), &uri, to_body(&body), "application/json").await;
            let absent = call(&r, &viewer, m.clone(), &twin, to_body(&body), "application/json").await;
            assert_eq!(seen, absent, "{viewer:?} {m} {uri}: the case shows through");
            assert_eq!(seen.0, StatusCode::NOT_FOUND, "{viewer:?} {m} {uri}: {}", seen.1);
            tried += 1;
        }
    }
    assert_eq!(tried, 12);
    let (status, list) = get(&r, &stranger(), "/api/desk/requests").await;
    assert_eq!((status, list), (StatusCode::OK, json!([])), "not in the stranger's list");
    let (status, _) = get(&r, &Viewer::Public, "/api/desk/requests").await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    // The routed partner sees it: the trials above are not vacuous.
    let (status, list) = get(&r, &caue(), "/api/desk/requests").await;
    assert_eq!((status, list[0]["id"].as_i64()), (StatusCode::OK, Some(id)));
    assert_eq!(get(&r, &caue(), &format!("/api/desk/requests/{id}/attachments/1")).await.0, StatusCode::OK);
    let (status, stranger_view) = get(&r, &stranger(), "/api/desk/indicators").await;
    assert_eq!(status, StatusCode::OK);
    assert!(stranger_view["requests"].is_null(), "a partner reads the public aggregates: {stranger_view}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_input_is_refused_with_a_clear_message_and_nothing_stored() {
    let dir = tempfile::tempdir().unwrap();
    let (state, r) = desk(dir.path(), &TestBackend::Sqlite).await;
    let before = counts(&state);
    let without = |field: &str| HALLE.iter().copied().filter(|(n, _)| *n != field).collect::<Vec<_>>();
    let mut exe = b"MZ\x90\x00\x03\x00\x00\x00".to_vec();
    exe.resize(4_096, 0);
    let big = [PDF, &vec![b'0'; echelle_exchange::MAX_ATTACHMENT_BYTES][..]].concat();
    let mut unknown_theme = HALLE.to_vec();
    unknown_theme[1] = ("theme", "tourisme");
    let mut unknown_place = HALLE.to_vec();
    unknown_place[2] = ("territory", "com:99999");
    type Fields<'a> = Vec<(&'a str, &'a str)>;
    type Files<'a> = Vec<(&'a str, &'a [u8])>;
    let cases: [(&str, Fields, Files, &str); 6] = [
        ("an executable named .pdf", HALLE.to_vec(), vec![("devis.pdf", &exe)], "devis.pdf"),
        ("an oversized attachment", HALLE.to_vec(), vec![("plan.pdf", &big)], "Mio"),
        ("no territory", without("territory"), vec![], "territoire"),
        ("an unknown territory", unknown_place, vec![], "territoire"),
        ("an unknown theme", unknown_theme, vec![], "thème « tourisme » inconnu"),
        ("no title", without("title"), vec![], "titre"),
    ];
    for (what, fields, files, says) in cases {
        let (status, body) = submit(&r, &commune(), &fields, &files).await;
        assert!(
            status == StatusCode::BAD_REQUEST || status == StatusCode::PAYLOAD_TOO_LARGE,
            "{what}: {status} {body}"
        );
        let message = body["error"].as_str().unwrap_or_default();
        assert!(message.contains(says), "{what}: « {message} » should say {says}");
        assert_eq!(counts(&state), before, "{what}: nothing stored");
    }
    // Six attachments: one too many.
    let six: Vec<(&str, &[u8])> = (0..6).map(|_| ("p.pdf", PDF)).collect();
    let (status, body) = submit(&r, &commune(), &HALLE, &six).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    assert_eq!(counts(&state), before);
    // Steps out of order, and after closing.
    let (_, case) = submit(&r, &commune(), &HALLE, &[]).await;
    let id = case["id"].as_i64().unwrap();
    let stored = |state: &AppState| state.store().unwrap().catalog().desk_case(id).unwrap().unwrap().case;
    let (before_case, before_counts) = (stored(&state), counts(&state));
    let (status, body) = step(&r, &agent(), id, json!({"step": "answer", "text": "Trop tôt"})).await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");
    assert!(body["error"].as_str().unwrap().contains("orientée par le guichet"), "{body}");
    let (status, body) = step(&r, &agent(), id, json!({"step": "route", "to": ["inconnue"]})).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    assert!(body["error"].as_str().unwrap().contains("« inconnue » inconnue"), "{body}");
    let (status, body) = step(&r, &commune(), id, json!({"step": "route", "to": ["caue62"]})).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
    let (status, _) = step(&r, &agent(), id, json!({"step": "fly"})).await;
    assert!(status.is_client_error());
    assert_eq!((stored(&state), counts(&state)), (before_case, before_counts), "refused steps change nothing");
    step(&r, &agent(), id, json!({"step": "refuse", "reason": "Hors du champ du guichet."})).await;
    let (closed_case, closed_counts) = (stored(&state), counts(&state));
    let (status, body) = step(&r, &commune(), id, json!({"step": "message", "text": "Pourquoi ?"})).await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");
    assert!(body["error"].as_str().unwrap().contains("terminée"), "{body}");
    assert_eq!((stored(&state), counts(&state)), (closed_case, closed_counts), "a reply after closing changes nothing");
}

/// A submission through the public form.
async fn public(router: &axum::Router, fields: &[(&str, &str)]) -> (StatusCode, Value) {
    let kind = format!("multipart/form-data; boundary={BOUNDARY}");
    call(router, &Viewer::Public, Method::POST, "/api/desk/public", Body::from(multipart(fields, &[])), &kind).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_public_request_waits_for_its_email_check_and_is_followed_by_its_link() {
    let dir = tempfile::tempdir().unwrap();
    let (state, r) = desk(dir.path(), &TestBackend::Sqlite).await;
    let mut fields = HALLE.to_vec();
    fields.push(("email", "Secretariat@Mairie-Achicourt.fr"));
    let (status, receipt) = public(&r, &fields).await;
    assert_eq!(status, StatusCode::ACCEPTED, "{receipt}");
    assert_eq!(counts(&state).0, 0, "nobody sees it before the check");
    let (_, agents) = get(&r, &agent(), "/api/desk/requests").await;
    assert_eq!(agents, json!([]));
    let mails = state.store().unwrap().catalog().desk_outbox(None).unwrap();
    assert_eq!(mails.len(), 1);
    let check = &mails[0].0.email;
    assert_eq!(check.to, "secretariat@mairie-achicourt.fr");
    let link = check.body.split_whitespace().find(|w| w.contains("/guichet/suivi/")).unwrap();
    let secret = link.rsplit('/').next().unwrap();
    let (status, _) = get(&r, &Viewer::Public, &format!("/api/desk/follow/{secret}")).await;
    assert_eq!(status, StatusCode::NOT_FOUND, "not confirmed yet");
    let confirm = format!("/api/desk/follow/{secret}/confirm");
    let (status, case) = call(&r, &Viewer::Public, Method::POST, &confirm, Body::empty(), "application/json").await;
    assert_eq!(status, StatusCode::OK, "{case}");
    assert_eq!(case["case"]["requester"], "courriel:secretariat@mairie-achicourt.fr");
    let (status, again) = call(&r, &Viewer::Public, Method::POST, &confirm, Body::empty(), "application/json").await;
    assert_eq!((status, again["id"].clone()), (StatusCode::OK, case["id"].clone()), "confirming twice is harmless");
    let (status, _) = get(&r, &Viewer::Public, &format!("/api/desk/follow/{secret}")).await;
    assert_eq!(status, StatusCode::OK);
    let (status, _) = get(&r, &Viewer::Public, "/api/desk/follow/not-a-secret").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (_, agents) = get(&r, &agent(), "/api/desk/requests").await;
    assert_eq!(agents.as_array().unwrap().len(), 1, "confirmed: the desk sees it");
    // A public requester may write, not route.
    let steps = format!("/api/desk/follow/{secret}/steps");
    let message = json!({"step": "message", "text": "Le plan suit."}).to_string();
    let (status, _) = call(&r, &Viewer::Public, Method::POST, &steps, Body::from(message), "application/json").await;
    assert_eq!(status, StatusCode::OK);
    let route = json!({"step": "route", "to": ["caue62"]}).to_string();
    let (status, _) = call(&r, &Viewer::Public, Method::POST, &steps, Body::from(route), "application/json").await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    // Five public submissions an hour from one address.
    let mut statuses = Vec::new();
    for _ in 0..5 {
        statuses.push(public(&r, &fields).await.0);
    }
    assert_eq!(
        statuses,
        [
            StatusCode::ACCEPTED,
            StatusCode::ACCEPTED,
            StatusCode::ACCEPTED,
            StatusCode::ACCEPTED,
            StatusCode::TOO_MANY_REQUESTS
        ]
    );
    let mut bad = fields.clone();
    bad.pop();
    bad.push(("email", "pas-une-adresse"));
    let (status, body) = public(&r, &bad).await;
    assert!(status == StatusCode::BAD_REQUEST || status == StatusCode::TOO_MANY_REQUESTS, "{body}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn late_cases_are_reminded_once_then_weekly() {
    let dir = tempfile::tempdir().unwrap();
    let (state, r) = desk(dir.path(), &TestBackend::Sqlite).await;
    let (_, case) = submit(&r, &commune(), &HALLE, &[]).await;
    let id = case["id"].as_i64().unwrap();
    let now = echelle_platform::audit::now_seconds();
    let day = 86_400;
    assert_eq!(echelle_server::remind_due(&state, now + 4 * day).unwrap(), 0, "not late yet");
    assert_eq!(echelle_server::remind_due(&state, now + 6 * day).unwrap(), 1);
    assert_eq!(echelle_server::remind_due(&state, now + 7 * day).unwrap(), 0, "once a week");
    assert_eq!(echelle_server::remind_due(&state, now + 13 * day).unwrap(), 1);
    let reminders: Vec<String> =
        outbox(&state, id).into_iter().filter(|(_, s)| s.contains("Relance")).map(|(to, _)| to).collect();
    assert_eq!(reminders, ["guichet@pdc.fr", "guichet@pdc.fr"], "the desk must route it");
    let (_, seen) = get(&r, &commune(), &format!("/api/desk/requests/{id}")).await;
    assert_eq!(seen["case"]["reminded"], now + 13 * day);
}

/// A local SMTP sink (PyPI's aiosmtpd) writing what it receives into a Maildir.
struct Sink {
    child: std::process::Child,
    port: u16,
    maildir: std::path::PathBuf,
}

impl Sink {
    fn start(dir: &Path) -> Sink {
        let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
        let maildir = dir.join("maildir");
        let child = std::process::Command::new("python3")
            .args(["-m", "aiosmtpd", "-n", "-l", &format!("127.0.0.1:{port}"), "-c", "aiosmtpd.handlers.Mailbox"])
            .arg(&maildir)
            .stderr(std::process::Stdio::piped())
            .spawn()
            .expect("python3 runs");
        let mut sink = Sink { child, port, maildir };
        for _ in 0..100 {
            if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
                return sink;
            }
            if let Some(exit) = sink.child.try_wait().unwrap() {
                let mut err = String::new();
                std::io::Read::read_to_string(sink.child.stderr.as_mut().unwrap(), &mut err).unwrap();
                panic!("the SMTP sink did not start ({exit}): {err} — `pip install aiosmtpd`");
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        panic!("the SMTP sink does not listen on {port}");
    }

    /// The messages received, as text.
    fn messages(&self) -> Vec<String> {
        let Ok(entries) = std::fs::read_dir(self.maildir.join("new")) else { return Vec::new() };
        entries.map(|e| std::fs::read_to_string(e.unwrap().path()).unwrap()).collect()
    }
}

impl Drop for Sink {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_outbox_reaches_a_real_smtp_server_and_waits_when_it_is_down() {
    let dir = tempfile::tempdir().unwrap();
    let (state, r) = desk(&dir.path().join("store"), &TestBackend::Sqlite).await;
    submit(&r, &commune(), &HALLE, &[("plan.pdf", PDF)]).await;
    // No server on the port: the e-mails stay due, with the error.
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let down = echelle_server::SmtpConfig::parse(&format!("smtp://127.0.0.1:{closed}"), "guichet@pdc.fr").unwrap();
    assert_eq!(echelle_server::send_due(&state, &down, echelle_platform::audit::now_seconds()).unwrap(), 0);
    let waiting = state.store().unwrap().catalog().desk_outbox(None).unwrap();
    assert_eq!(waiting.len(), 2);
    assert!(
        waiting.iter().all(|(_, d)| matches!(d, echelle_exchange::Delivery::Due { attempts: 1, .. })),
        "{waiting:?}"
    );
    // Tried again once due (a minute later), through a real SMTP server.
    let sink = Sink::start(dir.path());
    let up = echelle_server::SmtpConfig::parse(&format!("smtp://127.0.0.1:{}", sink.port), "guichet@pdc.fr").unwrap();
    let now = echelle_platform::audit::now_seconds();
    assert_eq!(echelle_server::send_due(&state, &up, now).unwrap(), 0, "not due yet");
    assert_eq!(echelle_server::send_due(&state, &up, now + 120).unwrap(), 2);
    submit(&r, &commune(), &HALLE, &[]).await;
    assert_eq!(echelle_server::send_due(&state, &up, now + 120).unwrap(), 2, "the second case's two e-mails");
    assert_eq!(echelle_server::send_due(&state, &up, now + 120).unwrap(), 0, "sent once");
    let messages = sink.messages();
    assert_eq!(messages.len(), 4);
    let to_commune = messages.iter().filter(|m| m.contains("\nTo: <mairie@arras.fr>")).count();
    assert_eq!(to_commune, 2, "{messages:?}");
    assert!(messages.iter().all(|m| m.contains("From: guichet@pdc.fr") && m.contains("Subject: =?UTF-8?B?")));
    assert!(
        state
            .store()
            .unwrap()
            .catalog()
            .desk_outbox(None)
            .unwrap()
            .iter()
            .all(|(_, d)| matches!(d, echelle_exchange::Delivery::Sent(_))),
        "every e-mail marked sent"
    );
}
