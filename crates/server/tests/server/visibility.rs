//! Visibility on every endpoint (issue 17, item 2): a store with a private dataset
//! (its indicator), a private flows dataset, a private retail inventory and guarantee
//! register, a private and a shared perimeter, asked by each viewer (the public, an
//! analyst of the owner organisation, one of another, one of the organisation shared
//! with, an administrator, the local user). Those who may not see them get, for every
//! route of the OpenAPI document, byte for byte what a twin store without those
//! objects answers: the same status, body and headers.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use arrow::array::{ArrayRef, Float64Array, RecordBatch, StringArray};
use axum::body::Body;
use axum::http::{Method, Request, StatusCode, header};
use echelle_platform::{Principal, Role, Viewer, Visibility};
use echelle_referential::PerimeterDef;
use echelle_server::{AppState, app};
use echelle_store::testing::{copy_store, test_store};
use echelle_store::{DatasetLevel, DatasetMeta, ObjectKind, Store};
use tower::ServiceExt;

const OWNER: &str = "cci-hdf";
const PRIVATE_DATASET: &str = "cci_surfaces";
const PRIVATE_INDICATOR: &str = "surface_commerciale_cci";
const PRIVATE_PERIMETER: &str = "zone-cci";
const SHARED_PERIMETER: &str = "zone-partagee";
const SHARED_WITH: &str = "dep62";
const PRIVATE_FLOWS: &str = "mobpro_cci";

fn analyst(org: &str) -> Viewer {
    Viewer::Account(Principal { login: format!("a-{org}"), org: Some(org.into()), role: Role::Analyst })
}

fn admin() -> Viewer {
    Viewer::Account(Principal { login: "root".into(), org: None, role: Role::Admin })
}

fn private() -> Visibility {
    Visibility::Private { owner: OWNER.into() }
}

/// Two copies of the test store: `full` with the private and shared objects, `bare`
/// the same without them (the retail inventory and the guarantee register removed).
struct Stores {
    _dir: tempfile::TempDir,
    full: PathBuf,
    bare: PathBuf,
}

fn stores() -> Stores {
    let dir = tempfile::tempdir().unwrap();
    let (full, bare) = (dir.path().join("full"), dir.path().join("bare"));
    copy_store(&test_store(), &full);
    copy_store(&test_store(), &bare);
    let store = Store::open(&full).unwrap();
    let r = store.referential().unwrap();
    // A private commune table of the owner, and its indicator.
    let communes: Vec<String> = r
        .members(&r.resolve("dep:62").unwrap())
        .unwrap()
        .iter()
        .map(|&c| r.communes()[c as usize].code.clone())
        .collect();
    let surfaces: Vec<f64> = (0..communes.len()).map(|i| (i % 17) as f64 * 120.0).collect();
    let batch = RecordBatch::try_from_iter([
        ("code", Arc::new(StringArray::from(communes)) as ArrayRef),
        ("surface", Arc::new(Float64Array::from(surfaces)) as ArrayRef),
    ])
    .unwrap();
    let owned = Store::open(&full).unwrap().importing_as(private());
    let mut import = owned.begin_import(PRIVATE_DATASET, batch.schema()).unwrap();
    import.write(&batch).unwrap();
    import
        .commit(DatasetMeta {
            id: PRIVATE_DATASET.into(),
            title: "Surfaces commerciales (CCI)".into(),
            level: DatasetLevel::Commune,
            key_column: "code".into(),
            source: "CCI Hauts-de-France".into(),
            vintage: "2025".into(),
            geography: "2026".into(),
            synthetic: true,
            secrecy: None,
        })
        .unwrap();
    let catalog = format!(
        "[[indicator]]\nid = '{PRIVATE_INDICATOR}'\nlabel = 'Surface commerciale'\nunit = 'm²'\n\
         dataset = '{PRIVATE_DATASET}'\naggregate = 'sum'\nvalue = 'surface'\nkey = true\n"
    );
    store.catalog().add_indicator_catalog("cci", &catalog).unwrap();
    // A private flows dataset.
    {
        use echelle_import::synth::{mobpro, positions};
        let zone_communes = r.members(&r.resolve("dep:62").unwrap()).unwrap().into_owned();
        let centroids = positions::centroids(&store.pack_dir().unwrap()).unwrap();
        let zone = mobpro::Zone::new(&r, &zone_communes, &centroids);
        let file = dir.path().join("FD_MOBPRO_synth.csv");
        mobpro::generate(&r, &zone, 2_000, 11, &file, &|_| {}).unwrap();
        let request =
            echelle_import::ImportRequest { path: file, id: Some(PRIVATE_FLOWS.into()), ..Default::default() };
        echelle_import::prepare(request).unwrap().run(&owned).unwrap();
    }
    // The retail inventory and the guarantee register of the test store, made private.
    for id in ["commerce", "garanties"] {
        store.catalog().set_visibility(ObjectKind::Dataset, id, &private()).unwrap();
    }
    // A private perimeter and one shared with a département.
    let perimeter = |id: &str, include: &str| {
        let text = format!("id = '{id}'\nname = 'Zone {id}'\nstatus = 'provisional'\ninclude = ['{include}']\n");
        PerimeterDef::parse("test", &text).unwrap()
    };
    store.add_perimeter_as(perimeter(PRIVATE_PERIMETER, "com:62119"), false, &private()).unwrap();
    let shared = Visibility::Shared { owner: OWNER.into(), with: vec![SHARED_WITH.into()] };
    store.add_perimeter_as(perimeter(SHARED_PERIMETER, "com:62498"), false, &shared).unwrap();
    // The twin: nothing of the above.
    let conn = rusqlite::Connection::open(bare.join("catalog.sqlite")).unwrap();
    conn.execute("DELETE FROM dataset WHERE id IN ('commerce', 'garanties')", []).unwrap();
    drop(conn);
    Stores { _dir: dir, full, bare }
}

async fn router(store: &Path) -> axum::Router {
    let state = AppState::open(store).await.unwrap();
    state.ready().await;
    app(state, None, Duration::from_secs(120))
}

/// One answer: status, the headers a client could tell apart, the body.
#[derive(Debug, PartialEq)]
struct Answer {
    status: StatusCode,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

impl Answer {
    fn text(&self) -> String {
        String::from_utf8_lossy(&self.body[..self.body.len().min(400)]).into_owned()
    }
}

async fn ask(router: &axum::Router, viewer: &Viewer, method: &Method, uri: &str, body: Option<&str>) -> Answer {
    let mut request = Request::builder().method(method.clone()).uri(uri);
    if body.is_some() {
        request = request.header(header::CONTENT_TYPE, "application/json");
    }
    let mut request = request.body(body.map_or_else(Body::empty, |b| Body::from(b.to_string()))).unwrap();
    request.extensions_mut().insert(viewer.clone());
    let response = router.clone().oneshot(request).await.unwrap();
    let status = response.status();
    let mut headers: Vec<(String, String)> = response
        .headers()
        .iter()
        .filter(|(name, _)| *name != header::DATE)
        .map(|(n, v)| (n.to_string(), v.to_str().unwrap_or("").to_string()))
        .collect();
    headers.sort();
    let body = axum::body::to_bytes(response.into_body(), 1 << 28).await.unwrap().to_vec();
    Answer { status, headers, body }
}

/// How a route of the OpenAPI document is tried: the requests that reach the private
/// objects, or why it serves none.
enum Trial {
    /// Requests (method, URI, JSON body) naming or listing the private objects.
    Ask(Vec<(Method, String, Option<String>)>),
    /// The route serves no catalog object; why.
    NoCatalogObject(&'static str),
    /// The route changes the catalog: tried by [`perimeters_are_saved_and_removed_by_their_owner`].
    Changes,
    /// A route of the requests desk, whose cases only those taking part see: tried by
    /// `desk.rs` (`a_partner_not_routed_a_request_learns_nothing_of_it_by_any_endpoint`).
    Desk,
    /// A route of shared studies, tried by `studies.rs`
    /// (`a_study_shared_with_one_organisation_opens_for_its_members_and_is_not_found_for_everyone_else`).
    Study,
}

fn get(uris: &[&str]) -> Trial {
    Trial::Ask(uris.iter().map(|u| (Method::GET, u.to_string(), None)).collect())
}

/// Every route of the OpenAPI document (method and path template), classified.
fn trial(method: &str, path: &str) -> Option<Trial> {
    let p = PRIVATE_PERIMETER;
    let i = PRIVATE_INDICATOR;
    let post = |uri: &str, body: String| Trial::Ask(vec![(Method::POST, uri.to_string(), Some(body))]);
    let siting =
        format!(r#"{{"within":["per:{p}"],"model":"p-median","p":1,"demand":"population","candidates":"communes"}}"#);
    Some(match (method, path) {
        ("get", "/health") => Trial::NoCatalogObject("liveness"),
        ("get", "/ready") => get(&["/ready"]),
        ("get", "/api/openapi.json") => Trial::NoCatalogObject("the API's description"),
        ("get", "/api/layers") => get(&["/api/layers"]),
        ("get", "/api/search") => get(&[&format!("/api/search?q={p}"), "/api/search?q=zone&limit=50"]),
        ("get", "/api/territories") => {
            get(&["/api/territories?layer=per", &format!("/api/territories?layer=com&within=per:{p}")])
        }
        ("get", "/api/territory/{key}") => get(&[&format!("/api/territory/per:{p}"), &format!("/api/territory/{p}")]),
        ("get", "/api/territory/{key}/members") => get(&[&format!("/api/territory/per:{p}/members")]),
        ("get", "/api/indicators") => get(&["/api/indicators"]),
        ("get", "/api/values") => {
            get(&[&format!("/api/values?indicator={i}&layer=dep"), "/api/values?indicator=population&layer=per"])
        }
        ("get", "/api/portrait/{key}") => get(&[
            &format!("/api/portrait/per:{p}"),
            "/api/portrait/com:62119",
            &format!("/api/portrait/com:62119?indicators={i}"),
            &format!("/api/portrait/com:62119?against=per:{p}"),
        ]),
        ("get", "/api/portrait/{key}/pdf") => {
            get(&[&format!("/api/portrait/per:{p}/pdf"), &format!("/api/portrait/dep:62/pdf?indicators={i}")])
        }
        ("post", "/api/export/table") => Trial::NoCatalogObject("writes the table the client posts"),
        ("get", "/api/export/layer") => get(&[
            "/api/export/layer?layer=per&format=geojson",
            &format!("/api/export/layer?layer=dep&indicators={i}&format=geojson"),
            &format!("/api/export/layer?layer=com&within=per:{p}&format=gpkg"),
        ]),
        ("get", "/api/compare") => get(&[
            &format!("/api/compare?territories=per:{p}"),
            &format!("/api/compare?territories=dep:62,dep:59&indicators={i}"),
        ]),
        ("post", "/api/perimeters") | ("delete", "/api/perimeters/{key}") => Trial::Changes,
        ("get", "/api/feature-ids") => {
            get(&["/api/feature-ids?layer=per", &format!("/api/feature-ids?layer=com&within=per:{p}")])
        }
        ("get", "/api/shapes") => get(&["/api/shapes?layer=per", &format!("/api/shapes?layer=com&within=per:{p}")]),
        ("get", "/api/flows/datasets") => get(&["/api/flows/datasets"]),
        ("get", "/api/flows/lines") => get(&[
            "/api/flows/lines?layer=epci&within=dep:62",
            &format!("/api/flows/lines?layer=com&dataset={PRIVATE_FLOWS}"),
        ]),
        ("get", "/api/flows/matrix") => {
            get(&["/api/flows/matrix?layer=epci&within=dep:62", &format!("/api/flows/matrix?zones=per:{p},dep:59")])
        }
        ("get", "/api/flows/summary/{key}") => {
            get(&["/api/flows/summary/dep:62", &format!("/api/flows/summary/per:{p}")])
        }
        ("get", "/api/flows/into/{key}") => {
            get(&["/api/flows/into/dep:62?from=dep:59", &format!("/api/flows/into/per:{p}?from=dep:62")])
        }
        ("get", "/api/flows/distances/{key}") => {
            get(&[&format!("/api/flows/distances/dep:62?dataset={PRIVATE_FLOWS}")])
        }
        ("get", "/api/flows/vulnerability/{key}") => get(&["/api/flows/vulnerability/dep:62"]),
        ("get", "/api/flows/telework/{key}") => {
            get(&["/api/flows/telework/dep:62", &format!("/api/flows/telework/per:{p}")])
        }
        ("get", "/api/access/facilities") => {
            Trial::NoCatalogObject("facility files named by the operator at serve time, road networks")
        }
        ("get", "/api/access/times") => get(&[&format!("/api/access/times?facilities=x&within=per:{p}")]),
        ("get", "/api/access/diagnose/{key}") => get(&[&format!("/api/access/diagnose/per:{p}?facilities=x")]),
        ("post", "/api/guarantees/check") => post(
            "/api/guarantees/check",
            r#"{"guarantor":"dep:62","siren":"000000000","amount":1000,"date":"2026-01-01"}"#.into(),
        ),
        ("get", "/api/guarantees/exposure") => get(&["/api/guarantees/exposure?layer=dep"]),
        ("get", "/api/guarantees/beneficiaries") => get(&["/api/guarantees/beneficiaries"]),
        ("get", "/api/guarantees/stress") => get(&["/api/guarantees/stress?siren=000000000"]),
        ("post", "/api/siting/study") => post("/api/siting/study", siting.clone()),
        ("post", "/api/siting/export") => post("/api/siting/export?format=csv", siting.clone()),
        ("get", "/api/retail/inventory") => {
            get(&["/api/retail/inventory?territory=dep:62", &format!("/api/retail/inventory?territory=per:{p}")])
        }
        ("get", "/api/retail/change") => get(&["/api/retail/change?territory=dep:62&from=2020-01-01"]),
        ("get", "/api/retail/projects") => get(&["/api/retail/projects?territory=dep:62"]),
        ("get", "/api/retail/shops") => get(&["/api/retail/shops?territory=dep:62"]),
        ("get", "/api/retail/shops.geojson") => get(&["/api/retail/shops.geojson?territory=dep:62"]),
        ("get", "/api/retail/densities") => get(&["/api/retail/densities?layer=epci&within=dep:62"]),
        ("get", "/tiles/{layer}/{z}/{x}/{y}.mvt") => {
            get(&["/tiles/per/0/0/0.mvt", "/tiles/per/8/129/86.mvt", "/tiles/com/7/64/43.mvt"])
        }
        ("get", "/ogc") | ("get", "/ogc/conformance") => Trial::NoCatalogObject("the service's description"),
        (_, path) if path.starts_with("/api/desk/") => Trial::Desk,
        (_, path) if path.starts_with("/api/studies") => Trial::Study,
        (_, path) if path.starts_with("/api/auth/") => Trial::NoCatalogObject("the viewer's own session"),
        (_, path) if path.starts_with("/api/admin/") => {
            Trial::NoCatalogObject("accounts, organisations, tokens and the audit log: administrators only")
        }
        ("get", "/ogc/collections") => get(&["/ogc/collections"]),
        ("get", "/ogc/collections/{id}") => get(&["/ogc/collections/perimetres", "/ogc/collections/departements"]),
        ("get", "/ogc/collections/{id}/items") => {
            get(&["/ogc/collections/perimetres/items?limit=1000", "/ogc/collections/departements/items?limit=2"])
        }
        ("get", "/ogc/collections/{id}/items/{feature}") => {
            get(&[&format!("/ogc/collections/perimetres/items/{p}"), "/ogc/collections/departements/items/62"])
        }
        _ => return None,
    })
}

/// Every operation of the OpenAPI document: (method, path).
fn operations() -> Vec<(String, String)> {
    let doc = serde_json::to_value(echelle_server::openapi_document()).unwrap();
    let mut out = Vec::new();
    for (path, item) in doc["paths"].as_object().unwrap() {
        for method in item.as_object().unwrap().keys() {
            if ["get", "post", "put", "delete", "patch"].contains(&method.as_str()) {
                out.push((method.clone(), path.clone()));
            }
        }
    }
    out
}

#[test]
fn every_route_of_the_api_is_classified() {
    let unclassified: Vec<String> =
        operations().into_iter().filter(|(m, p)| trial(m, p).is_none()).map(|(m, p)| format!("{m} {p}")).collect();
    for (m, p) in operations() {
        match trial(&m, &p) {
            Some(Trial::NoCatalogObject(why)) => assert!(!why.is_empty(), "{m} {p}: say why"),
            Some(Trial::Ask(requests)) => assert!(!requests.is_empty(), "{m} {p}: no request"),
            _ => {}
        }
    }
    assert!(
        unclassified.is_empty(),
        "routes without a visibility trial (add them to tests/server/visibility.rs): {unclassified:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_hidden_object_answers_exactly_like_one_that_does_not_exist() {
    let s = stores();
    let (full, bare) = (router(&s.full).await, router(&s.bare).await);
    let forbidden = [Viewer::Public, analyst("dep59")];
    let allowed = [analyst(OWNER), admin(), Viewer::Local];
    let mut tried = 0;
    let mut differs_for_allowed = 0;
    for (method, path) in operations() {
        let Some(Trial::Ask(requests)) = trial(&method, &path) else { continue };
        for (m, uri, body) in &requests {
            let twin = ask(&bare, &Viewer::Public, m, uri, body.as_deref()).await;
            assert!(!twin.status.is_server_error(), "{m} {uri} on the twin: {} {}", twin.status, twin.text());
            for viewer in &forbidden {
                let got = ask(&full, viewer, m, uri, body.as_deref()).await;
                assert!(
                    got == twin,
                    "{m} {uri} as {viewer:?}: {} {:?}\n{}\n…but a store without the objects answers {} {:?}\n{}",
                    got.status,
                    got.headers,
                    got.text(),
                    twin.status,
                    twin.headers,
                    twin.text()
                );
                tried += 1;
            }
            // Those who may see the objects get something else for at least some requests.
            for viewer in &allowed {
                let got = ask(&full, viewer, m, uri, body.as_deref()).await;
                assert!(!got.status.is_server_error(), "{m} {uri} as {viewer:?}: {} {}", got.status, got.text());
                if got != twin {
                    differs_for_allowed += 1;
                }
            }
        }
    }
    assert!(tried > 100, "{tried} requests tried");
    assert!(differs_for_allowed > 60, "the allowed viewers see the private objects: {differs_for_allowed}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn only_the_allowed_viewers_get_the_data() {
    let s = stores();
    let full = router(&s.full).await;
    let p = PRIVATE_PERIMETER;
    let checks: [(String, &str); 7] = [
        (format!("/api/territory/per:{p}"), "Zone zone-cci"),
        (format!("/api/values?indicator={PRIVATE_INDICATOR}&layer=dep&within=reg:32"), PRIVATE_INDICATOR),
        ("/api/flows/datasets".to_string(), PRIVATE_FLOWS),
        ("/api/retail/inventory?territory=dep:62".to_string(), "dep:62"),
        ("/ogc/collections/perimetres/items?limit=1000".to_string(), p),
        ("/tiles/per/8/129/86.mvt".to_string(), "per:zone-cci"),
        (format!("/api/portrait/per:{p}/pdf"), "%PDF"),
    ];
    for (uri, needle) in &checks {
        for (viewer, sees) in [
            (Viewer::Public, false),
            (analyst("dep59"), false),
            (analyst(SHARED_WITH), false),
            (analyst(OWNER), true),
            (admin(), true),
            (Viewer::Local, true),
        ] {
            let got = ask(&full, &viewer, &Method::GET, uri, None).await;
            let found = got.status == StatusCode::OK && got.body.windows(needle.len()).any(|w| w == needle.as_bytes());
            assert_eq!(found, sees, "{uri} as {viewer:?}: {} {}", got.status, got.text());
        }
    }
    // The shared perimeter: its owner and the organisation it is shared with.
    let uri = format!("/api/territory/per:{SHARED_PERIMETER}");
    for (viewer, status) in [
        (Viewer::Public, StatusCode::NOT_FOUND),
        (analyst("dep59"), StatusCode::NOT_FOUND),
        (analyst(SHARED_WITH), StatusCode::OK),
        (analyst(OWNER), StatusCode::OK),
    ] {
        let got = ask(&full, &viewer, &Method::GET, &uri, None).await;
        assert_eq!(got.status, status, "{uri} as {viewer:?}: {}", got.text());
    }
    let got = ask(&full, &analyst(SHARED_WITH), &Method::GET, &uri, None).await;
    let body: serde_json::Value = serde_json::from_slice(&got.body).unwrap();
    assert_eq!(body["perimeter"]["visibility"]["kind"], "shared", "{body}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn perimeters_are_saved_and_removed_by_their_owner() {
    let s = stores();
    let full = router(&s.full).await;
    let body = |id: &str, visibility: &str| {
        format!(r#"{{"id":"{id}","name":"Essai {id}","include":["com:62119"]{visibility}}}"#)
    };
    let post = Method::POST;
    // A visitor saves nothing; an analyst saves a perimeter private to its organisation.
    let refused = ask(&full, &Viewer::Public, &post, "/api/perimeters", Some(&body("a", ""))).await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN, "{}", refused.text());
    let saved = ask(&full, &analyst(OWNER), &post, "/api/perimeters", Some(&body("essai-cci", ""))).await;
    assert_eq!(saved.status, StatusCode::CREATED, "{}", saved.text());
    for (viewer, status) in [
        (analyst(OWNER), StatusCode::OK),
        (analyst("dep59"), StatusCode::NOT_FOUND),
        (Viewer::Public, StatusCode::NOT_FOUND),
    ] {
        let got = ask(&full, &viewer, &Method::GET, "/api/territory/per:essai-cci", None).await;
        assert_eq!(got.status, status, "{viewer:?}: {}", got.text());
    }
    // An analyst may not give its perimeter to another organisation, nor make it public.
    let other = r#","visibility":"private","owner":"dep59""#;
    let got = ask(&full, &analyst(OWNER), &post, "/api/perimeters", Some(&body("essai-b", other))).await;
    assert_eq!(got.status, StatusCode::FORBIDDEN, "{}", got.text());
    let public = r#","visibility":"public""#;
    let got = ask(&full, &analyst(OWNER), &post, "/api/perimeters", Some(&body("essai-c", public))).await;
    assert_eq!(got.status, StatusCode::FORBIDDEN, "{}", got.text());
    // Shared with a département: it sees it, another does not.
    let shared = r#","visibility":"shared","share_with":["dep62"]"#;
    let got = ask(&full, &analyst(OWNER), &post, "/api/perimeters", Some(&body("essai-d", shared))).await;
    assert_eq!(got.status, StatusCode::CREATED, "{}", got.text());
    for (viewer, status) in [(analyst(SHARED_WITH), StatusCode::OK), (analyst("dep59"), StatusCode::NOT_FOUND)] {
        let got = ask(&full, &viewer, &Method::GET, "/api/territory/per:essai-d", None).await;
        assert_eq!(got.status, status, "{viewer:?}: {}", got.text());
    }
    let got =
        ask(&full, &analyst(OWNER), &post, "/api/perimeters", Some(&body("essai-e", r#","visibility":"secret""#)))
            .await;
    assert_eq!(got.status, StatusCode::BAD_REQUEST, "{}", got.text());
    assert!(got.text().contains("visibilité « secret » inconnue"), "{}", got.text());
    // The local user saves a public one by default.
    let got = ask(&full, &Viewer::Local, &post, "/api/perimeters", Some(&body("essai-local", ""))).await;
    assert_eq!(got.status, StatusCode::CREATED, "{}", got.text());
    let got = ask(&full, &Viewer::Public, &Method::GET, "/api/territory/per:essai-local", None).await;
    assert_eq!(got.status, StatusCode::OK, "{}", got.text());
    // Removing: another organisation's is answered as a perimeter that does not exist.
    let delete = Method::DELETE;
    let hidden = ask(&full, &analyst("dep59"), &delete, "/api/perimeters/per:essai-cci", None).await;
    let missing = ask(&full, &analyst("dep59"), &delete, "/api/perimeters/per:essai-cxx", None).await;
    assert_eq!(hidden.status, StatusCode::NOT_FOUND);
    assert_eq!(hidden.text().replace("essai-cci", "essai-cxx"), missing.text());
    let got =
        ask(&full, &analyst(SHARED_WITH), &delete, &format!("/api/perimeters/per:{SHARED_PERIMETER}"), None).await;
    assert_eq!(got.status, StatusCode::FORBIDDEN, "seen but not its own: {}", got.text());
    let got = ask(&full, &analyst(OWNER), &delete, "/api/perimeters/per:essai-cci", None).await;
    assert_eq!(got.status, StatusCode::NO_CONTENT, "{}", got.text());
    let got = ask(&full, &analyst(OWNER), &Method::GET, "/api/territory/per:essai-cci", None).await;
    assert_eq!(got.status, StatusCode::NOT_FOUND);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_change_of_visibility_is_served_at_once() {
    let s = stores();
    let state = AppState::open(&s.full).await.unwrap();
    state.ready().await;
    let full = app(state.clone(), None, Duration::from_secs(120));
    let uri = format!("/api/values?indicator={PRIVATE_INDICATOR}&layer=dep&within=reg:32");
    assert_eq!(ask(&full, &Viewer::Public, &Method::GET, &uri, None).await.status, StatusCode::NOT_FOUND);
    Store::open(&s.full)
        .unwrap()
        .catalog()
        .set_visibility(ObjectKind::Dataset, PRIVATE_DATASET, &Visibility::Public)
        .unwrap();
    assert!(state.reload_if_changed().await.unwrap(), "the catalog's version moved");
    let got = ask(&full, &Viewer::Public, &Method::GET, &uri, None).await;
    assert_eq!(got.status, StatusCode::OK, "{}", got.text());
}

/// Logs in through the API; the session cookie (`name=value`).
async fn log_in(router: &axum::Router, login: &str, password: &str) -> String {
    let body = serde_json::json!({"login": login, "password": password}).to_string();
    let request = Request::post("/api/auth/login")
        .header(header::CONTENT_TYPE, "application/json")
        .body(Body::from(body))
        .unwrap();
    let response = router.clone().oneshot(request).await.unwrap();
    assert_eq!(response.status(), StatusCode::OK, "{login}");
    let set = response.headers().get(header::SET_COOKIE).unwrap().to_str().unwrap().to_string();
    set.split(';').next().unwrap().to_string()
}

async fn get_with(router: &axum::Router, uri: &str, cookie: Option<&str>) -> (StatusCode, Vec<u8>) {
    let mut request = Request::get(uri);
    if let Some(c) = cookie {
        request = request.header(header::COOKIE, c);
    }
    let response = router.clone().oneshot(request.body(Body::empty()).unwrap()).await.unwrap();
    let status = response.status();
    (status, axum::body::to_bytes(response.into_body(), 1 << 26).await.unwrap().to_vec())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn through_a_real_login_the_owner_reads_and_the_read_is_audited() {
    use echelle_platform::{Action, Actor, AuditQuery, NewAccount};
    let s = stores();
    let state = AppState::open(&s.full).await.unwrap();
    state.ready().await;
    let by = Actor::command_line();
    let accounts = state.gate().accounts();
    for (org, login) in [(OWNER, "ana"), ("dep59", "bob")] {
        accounts.add_organisation(org, org, &by).unwrap();
        let new = NewAccount { login: login.into(), org: Some(org.into()), role: Role::Analyst };
        accounts.add_account(&new, "un mot de passe assez long", &by).unwrap();
    }
    let router = app(state.clone(), None, Duration::from_secs(120));
    // Accounts exist: an anonymous request is a public visitor's (the gate looks again after a second).
    tokio::time::sleep(Duration::from_millis(1100)).await;
    let (ana, bob) = (
        log_in(&router, "ana", "un mot de passe assez long").await,
        log_in(&router, "bob", "un mot de passe assez long").await,
    );
    let uri = format!("/api/values?indicator={PRIVATE_INDICATOR}&layer=dep&within=reg:32");
    let (status, _) = get_with(&router, &uri, Some(&ana)).await;
    assert_eq!(status, StatusCode::OK);
    let anonymous = get_with(&router, &uri, None).await;
    assert_eq!(anonymous.0, StatusCode::NOT_FOUND);
    assert_eq!(get_with(&router, &uri, Some(&bob)).await, anonymous, "another organisation: as for the public");
    let (status, _) = get_with(&router, &format!("/api/territory/per:{PRIVATE_PERIMETER}"), Some(&ana)).await;
    assert_eq!(status, StatusCode::OK);
    // The owner's read of its private dataset is in the audit log; the refused ones are not reads.
    let query = AuditQuery { action: Some(Action::Read), ..Default::default() };
    let mut reads = Vec::new();
    for _ in 0..50 {
        reads = accounts.audit(&query).unwrap();
        if !reads.is_empty() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let lines: Vec<(String, String)> = reads.iter().map(|e| (e.who.clone(), e.target.clone())).collect();
    assert_eq!(lines, [("ana".to_string(), PRIVATE_DATASET.to_string())], "{reads:?}");
}
