//! Exports: tables in every format read back (by Python's `csv` and openpyxl when
//! installed), portraits as PDF (their text read back by poppler's `pdftotext`), layers
//! as GeoJSON and GeoPackage (read back with rusqlite and GDAL's `ogrinfo`).

use std::time::Duration;

use axum::body::Body;
use axum::http::{Request, StatusCode};
use echelle_server::{AppState, app};
use echelle_store::testing::{copy_store, test_store};
use serde_json::{Value, json};
use tower::ServiceExt;

async fn router() -> axum::Router {
    router_on(&test_store()).await
}

async fn router_on(store: &std::path::Path) -> axum::Router {
    app(AppState::open(store).await.unwrap(), None, Duration::from_secs(60))
}

/// Status, headers of interest (content type, disposition) and body.
async fn send(r: &axum::Router, request: Request<Body>) -> (StatusCode, String, String, Vec<u8>) {
    let response = r.clone().oneshot(request).await.unwrap();
    let status = response.status();
    let header = |h| response.headers().get(h).map(|v| v.to_str().unwrap().to_string()).unwrap_or_default();
    let (kind, disposition) = (header("content-type"), header("content-disposition"));
    let bytes = axum::body::to_bytes(response.into_body(), 1 << 28).await.unwrap().to_vec();
    (status, kind, disposition, bytes)
}

fn post(uri: &str, body: &Value) -> Request<Body> {
    Request::post(uri).header("content-type", "application/json").body(Body::from(body.to_string())).unwrap()
}

fn table() -> Value {
    json!({
        "title": "Population des EPCI (Pas-de-Calais)",
        "source": "Insee, recensement 2021 ; calculs echelle",
        "columns": ["Territoire", "Code", "Population", "Part des 65 ans ou plus (%)"],
        "rows": [
            ["CA de Béthune-Bruay, Artois-Lys Romane", "200072460", 274_000, 21.25],
            ["CA de Lens – Liévin", "246200364", 242_591, null],
            ["Saint-Omer; \"test\"", "200069037", 105_000.5, -3.5]
        ]
    })
}

#[tokio::test]
async fn tables_in_every_format() {
    let r = router().await;
    let (status, kind, disposition, csv) = send(&r, post("/api/export/table?format=csv", &table())).await;
    assert_eq!(status, StatusCode::OK);
    assert!(kind.starts_with("text/csv"), "{kind}");
    assert_eq!(disposition, "attachment; filename=\"population_des_epci_pas_de_calais.csv\"");
    let csv = String::from_utf8(csv).unwrap();
    let lines: Vec<&str> = csv.lines().collect();
    assert_eq!(lines[0], "Territoire,Code,Population,Part des 65 ans ou plus (%)");
    assert_eq!(lines[1], "\"CA de Béthune-Bruay, Artois-Lys Romane\",200072460,274000,21.25");
    assert_eq!(lines[2], "CA de Lens – Liévin,246200364,242591,");
    assert_eq!(lines[3], "\"Saint-Omer; \"\"test\"\"\",200069037,105000.5,-3.5");
    assert_eq!(lines[4], "\"Source : Insee, recensement 2021 ; calculs echelle\"");

    let (status, _, _, excel) = send(&r, post("/api/export/table?format=csv-excel", &table())).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(&excel[..3], b"\xef\xbb\xbf", "BOM");
    let excel = String::from_utf8(excel[3..].to_vec()).unwrap();
    let lines: Vec<&str> = excel.lines().collect();
    assert_eq!(lines[1], "CA de Béthune-Bruay, Artois-Lys Romane;200072460;274000;21,25");
    assert_eq!(lines[3], "\"Saint-Omer; \"\"test\"\"\";200069037;105000,5;-3,5");
    assert_eq!(lines[4], "\"Source : Insee, recensement 2021 ; calculs echelle\"");

    let (status, kind, disposition, xlsx) = send(&r, post("/api/export/table?format=xlsx", &table())).await;
    assert_eq!(status, StatusCode::OK);
    assert!(kind.contains("spreadsheetml"), "{kind}");
    assert!(disposition.ends_with(".xlsx\""));
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("t.xlsx");
    std::fs::write(&path, &xlsx).unwrap();
    use calamine::{Data, Reader};
    let mut book: calamine::Xlsx<_> = calamine::open_workbook(&path).unwrap();
    let sheet = book.worksheet_range_at(0).unwrap().unwrap();
    assert_eq!(sheet.get_size(), (5, 4));
    assert_eq!(sheet.get((0, 3)), Some(&Data::String("Part des 65 ans ou plus (%)".into())));
    assert_eq!(sheet.get((1, 0)), Some(&Data::String("CA de Béthune-Bruay, Artois-Lys Romane".into())));
    assert_eq!(sheet.get((1, 1)), Some(&Data::String("200072460".into())), "codes stay text");
    assert_eq!(sheet.get((1, 2)), Some(&Data::Float(274_000.0)), "numbers are numbers");
    assert_eq!(sheet.get((1, 3)), Some(&Data::Float(21.25)));
    assert_eq!(sheet.get((2, 3)), Some(&Data::Empty));
    assert_eq!(sheet.get((3, 0)), Some(&Data::String("Saint-Omer; \"test\"".into())));
    assert_eq!(sheet.get((4, 0)), Some(&Data::String("Source : Insee, recensement 2021 ; calculs echelle".into())));

    let (status, _, disposition, pq) = send(&r, post("/api/export/table?format=parquet", &table())).await;
    assert_eq!(status, StatusCode::OK);
    assert!(disposition.ends_with(".parquet\""));
    let reader =
        parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder::try_new(axum::body::Bytes::from(pq)).unwrap();
    let meta = reader.metadata().file_metadata().key_value_metadata().unwrap().clone();
    assert!(
        meta.iter()
            .any(|kv| kv.key == "source" && kv.value.as_deref() == Some("Insee, recensement 2021 ; calculs echelle"))
    );
    let batch = reader.build().unwrap().next().unwrap().unwrap();
    assert_eq!(batch.num_rows(), 3);
    use arrow::array::{Array, AsArray};
    use arrow::datatypes::{DataType, Float64Type};
    assert_eq!(batch.schema().field(1).data_type(), &DataType::Utf8);
    assert_eq!(batch.schema().field(2).data_type(), &DataType::Float64);
    let share = batch.column(3).as_primitive::<Float64Type>();
    assert_eq!((share.value(0), share.is_null(1), share.value(2)), (21.25, true, -3.5));
}

#[tokio::test]
async fn bad_tables_are_400() {
    let r = router().await;
    let mut ragged = table();
    ragged["rows"][1] = json!(["x", "y"]);
    let mut boolean = table();
    boolean["rows"][0][2] = json!(true);
    let too_many = json!({ "title": "t", "source": "s", "columns": ["a"], "rows": vec![json!([1]); 200_001] });
    let huge = json!({ "title": "t", "source": "s", "columns": ["a"], "rows": [["x".repeat(21 << 20)]] });
    for (uri, body) in [
        ("/api/export/table?format=docx", table()),
        ("/api/export/table?format=", table()),
        ("/api/export/table", table()),
        ("/api/export/table?format=csv", ragged),
        ("/api/export/table?format=xlsx", boolean),
        ("/api/export/table?format=parquet", too_many),
        ("/api/export/table?format=csv", huge),
        ("/api/export/table?format=csv", json!({ "title": "t", "columns": [], "rows": [] })),
        ("/api/export/table?format=csv", json!({ "rows": [] })),
    ] {
        // A body over the limit is a 413; any other bad table a 400.
        let too_large = body.to_string().len() > echelle_report::table::MAX_BODY;
        let expected = if too_large { StatusCode::PAYLOAD_TOO_LARGE } else { StatusCode::BAD_REQUEST };
        let (status, _, _, body) = send(&r, post(uri, &body)).await;
        let error: Value = serde_json::from_slice(&body).unwrap();
        assert_eq!(status, expected, "{uri}: {error}");
        assert!(error["error"].is_string());
    }
    // A thousand more, generated: formats, raggedness, cell types, malformed JSON.
    let formats = ["csv", "csv-excel", "xlsx", "parquet", "CSV", "pdf", "", "..%2F", "xlsx%00"];
    let cells = [json!(true), json!({}), json!([1]), json!(false)];
    let mut seed = 0x9e37_79b9_7f4a_7c15u64;
    for i in 0..1000 {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        let format = formats[(seed % formats.len() as u64) as usize];
        let mut body = table();
        let row = (seed >> 8) as usize % 3;
        let request = match i % 4 {
            // Valid formats get a broken body; the others any table.
            0 => {
                body["rows"][row].as_array_mut().unwrap().truncate((seed >> 16) as usize % 4);
                post(&format!("/api/export/table?format={format}"), &body)
            }
            1 => {
                body["rows"][row][(seed >> 16) as usize % 4] = cells[(seed >> 24) as usize % cells.len()].clone();
                post(&format!("/api/export/table?format={format}"), &body)
            }
            2 => Request::post(format!("/api/export/table?format={format}"))
                .header("content-type", "application/json")
                .body(Body::from(table().to_string().into_bytes()[..(seed >> 16) as usize % 100].to_vec()))
                .unwrap(),
            _ => post(
                &format!("/api/export/table?format={}", ["docx", "", "csv;", "%ff"][(seed >> 4) as usize % 4]),
                &body,
            ),
        };
        let (status, _, _, body) = send(&r, request).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "case {i} ({format})");
        let error: Value = serde_json::from_slice(&body).unwrap();
        assert!(error["error"].as_str().is_some_and(|e| !e.is_empty()), "case {i}");
    }
}

/// The text of a PDF as poppler reads it, or `None` when `pdftotext` is not installed.
pub fn pdftotext(pdf: &[u8]) -> Option<String> {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("portrait.pdf");
    std::fs::write(&path, pdf).unwrap();
    match std::process::Command::new("pdftotext").args(["-enc", "UTF-8"]).arg(&path).arg("-").output() {
        Ok(out) => {
            assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
            Some(String::from_utf8(out.stdout).unwrap())
        }
        Err(e) => {
            eprintln!("pdftotext not run ({e}): PDF text not checked");
            None
        }
    }
}

#[tokio::test]
async fn portraits_as_pdf() {
    let r = router().await;
    let (status, kind, disposition, pdf) =
        send(&r, Request::get("/api/portrait/com:62119/pdf?against=per:mel").body(Body::empty()).unwrap()).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(kind, "application/pdf");
    assert!(disposition.contains("portrait_com_62119.pdf"), "{disposition}");
    assert!(pdf.starts_with(b"%PDF-") && pdf.trim_ascii_end().ends_with(b"%%EOF"));
    // The fonts are embedded (a subset of DejaVu Sans), never the standard 14.
    assert!(pdf.windows(10).any(|w| w == b"DejaVuSans"), "DejaVu Sans embedded");
    assert!(!pdf.windows(9).any(|w| w == b"Helvetica"));
    eprintln!("portrait com:62119 against per:mel: {} bytes", pdf.len());
    let (_, portrait) = {
        let (s, _, _, b) =
            send(&r, Request::get("/api/portrait/com:62119?against=per:mel").body(Body::empty()).unwrap()).await;
        (s, serde_json::from_slice::<Value>(&b).unwrap())
    };
    if let Some(text) = pdftotext(&pdf) {
        assert!(text.contains("Portrait : Béthune (com:62119)"), "{text}");
        assert!(text.contains("Pas-de-Calais") && text.contains("page 1 /"), "{text}");
        // The locator map's caption and the bar chart's title.
        assert!(text.contains("Béthune dans : Pas-de-Calais"), "{text}");
        assert!(text.contains("Comparaison avec les territoires de référence"), "{text}");
        for c in portrait["columns"].as_array().unwrap() {
            assert!(text.contains(c["key"].as_str().unwrap()), "{}", c["key"]);
        }
        for i in portrait["indicators"].as_array().unwrap() {
            let first_word = i["label"].as_str().unwrap().split_whitespace().next().unwrap();
            assert!(text.contains(first_word), "{first_word}");
            assert!(text.contains(i["source"].as_str().unwrap().split_whitespace().next().unwrap()));
        }
    }
    for bad in [
        "/api/portrait/99999/pdf",
        "/api/portrait/com:62119/pdf?against=nope",
        "/api/portrait/com:62119/pdf?indicators=nope",
    ] {
        let (status, _, _, body) = send(&r, Request::get(bad).body(Body::empty()).unwrap()).await;
        assert!(status.is_client_error(), "{bad}");
        assert!(serde_json::from_slice::<Value>(&body).unwrap()["error"].is_string());
    }
}

/// A name with characters outside Windows-1252 (≥, −, ², ₂, œ) and accented capitals.
const UNICODE_NAME: &str = "Œuvre ≥ 2 − Île-de-Là² ÉÈ cœur";

#[tokio::test]
async fn every_character_of_a_portrait_prints() {
    let dir = tempfile::tempdir().unwrap();
    copy_store(&test_store(), dir.path());
    let r = router_on(dir.path()).await;
    let body = json!({ "id": "oeuvre", "name": UNICODE_NAME, "include": ["epci:246200364"] });
    let (status, _, _, created) = send(&r, post("/api/perimeters", &body)).await;
    assert_eq!(status, StatusCode::CREATED, "{}", String::from_utf8_lossy(&created));
    let (status, _, _, pdf) = send(&r, Request::get("/api/portrait/per:oeuvre/pdf").body(Body::empty()).unwrap()).await;
    assert_eq!(status, StatusCode::OK);
    eprintln!("portrait per:oeuvre: {} bytes", pdf.len());
    if let Some(text) = pdftotext(&pdf) {
        // Lines wrapped on paper are joined back with a space.
        let text = text.split_whitespace().collect::<Vec<_>>().join(" ");
        assert!(text.contains(&format!("Portrait : {UNICODE_NAME} (per:oeuvre)")), "{text}");
        assert!(text.contains(&format!("{UNICODE_NAME} dans : Pas-de-Calais")), "locator caption: {text}");
        assert!(!text.contains('?'), "no character replaced: {text}");
    }
}

/// Names a spreadsheet must show as written: a formula, commas, double quotes.
const TRICKY_NAMES: [&str; 3] = ["=HYPERLINK(\"http://x\")", "Lens, ville", "Saint-Omer \"centre\""];

/// The table read back by Python (`csv` or openpyxl), or `None` when python3 or
/// openpyxl is not installed.
fn readback(kind: &str, bytes: &[u8]) -> Option<Value> {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join(format!("t.{}", if kind == "xlsx" { "xlsx" } else { "csv" }));
    std::fs::write(&path, bytes).unwrap();
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/../report/tests/readback.py");
    let out = std::process::Command::new("python3").arg(script).arg(kind).arg(&path).output();
    match out {
        Ok(out) if out.status.success() => Some(serde_json::from_slice(&out.stdout).unwrap()),
        Ok(out) if kind == "xlsx" && String::from_utf8_lossy(&out.stderr).contains("No module named 'openpyxl'") => {
            eprintln!("openpyxl not installed: XLSX not read back by Python");
            None
        }
        Ok(out) => panic!("readback {kind}: {}", String::from_utf8_lossy(&out.stderr)),
        Err(e) => {
            eprintln!("python3 not run ({e}): {kind} not read back by Python");
            None
        }
    }
}

#[tokio::test]
async fn names_read_back_exact_and_never_as_formulas() {
    let r = router().await;
    let body = json!({
        "title": "Noms difficiles",
        "source": "essai",
        "columns": ["Territoire", { "name": "Population", "unit": "habitants", "decimals": 0, "source": "Insee", "vintage": "2021" },
            { "name": "Part (%)", "unit": "%" }],
        "rows": TRICKY_NAMES.iter().enumerate().map(|(i, n)| json!([n, 1000 * (i + 1), 12.5])).collect::<Vec<_>>(),
    });
    for kind in ["csv", "csv-excel", "xlsx"] {
        let (status, _, _, bytes) = send(&r, post(&format!("/api/export/table?format={kind}"), &body)).await;
        assert_eq!(status, StatusCode::OK, "{kind}");
        let Some(back) = readback(kind, &bytes) else { continue };
        assert_eq!(back["formulas"], 0, "{kind}: no cell is a formula");
        let sheet = back["sheets"].as_object().unwrap().values().next().unwrap();
        for (i, name) in TRICKY_NAMES.iter().enumerate() {
            // CSV guards a formula-like name with an apostrophe; XLSX writes it as a string.
            let expected = if kind != "xlsx" && name.starts_with('=') { format!("'{name}") } else { name.to_string() };
            assert_eq!(sheet[i + 1][0], json!(expected), "{kind}, row {}", i + 1);
        }
        if kind == "xlsx" {
            assert_eq!(sheet[1][1].as_f64(), Some(1000.0), "numbers stay numbers");
            assert_eq!(back["frozen"], "A2");
            assert_eq!(back["autofilter"], "A1:C4");
            assert_eq!(back["formats"], json!(["General", "#,##0", "0.0"]));
            let sources = &back["sheets"]["Sources"];
            assert_eq!(sources[2], json!(["Population", "habitants", "Insee", "2021"]));
        }
    }
}

#[tokio::test]
async fn layers_as_geojson_and_geopackage() {
    let r = router().await;
    let get = |uri: &str| Request::get(uri).body(Body::empty()).unwrap();
    let (_, _, _, listed) = send(&r, get("/api/territories?layer=epci&within=dep:62")).await;
    let listed: Value = serde_json::from_slice(&listed).unwrap();
    let n = listed.as_array().unwrap().len();
    let (_, _, _, values) = send(&r, get("/api/values?indicator=population_dgcl&layer=epci&within=dep:62")).await;
    let values: Value = serde_json::from_slice(&values).unwrap();
    let expected = |key: &str| {
        values["values"].as_array().unwrap().iter().find(|v| v["key"] == key).map(|v| v["value"].clone()).unwrap()
    };

    let uri = "/api/export/layer?layer=epci&within=dep:62&indicators=population_dgcl&format=geojson";
    let (status, kind, disposition, body) = send(&r, get(uri)).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(kind, "application/geo+json");
    assert!(disposition.ends_with(".geojson\""), "{disposition}");
    let fc: Value = serde_json::from_slice(&body).unwrap();
    let features = fc["features"].as_array().unwrap();
    assert_eq!(features.len(), n);
    for f in features {
        let p = &f["properties"];
        assert_eq!(p["population_dgcl"], expected(p["key"].as_str().unwrap()), "{}", p["key"]);
        assert!(p["name"].is_string() && p["code"].is_string());
        assert_eq!(f["geometry"]["type"], "MultiPolygon");
    }
    assert!(fc["indicators"][0]["source"].as_str().unwrap().contains("DGCL"));

    let uri = "/api/export/layer?layer=epci&within=dep:62&indicators=population_dgcl&format=gpkg";
    let (status, kind, disposition, gpkg) = send(&r, get(uri)).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(kind, "application/geopackage+sqlite3");
    assert!(disposition.ends_with(".gpkg\""), "{disposition}");
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("epci.gpkg");
    std::fs::write(&path, &gpkg).unwrap();
    // Read back with SQLite: header values, metadata tables, one row per territory.
    let db = rusqlite::Connection::open(&path).unwrap();
    let pragma = |p: &str| db.query_row(&format!("PRAGMA {p}"), [], |r| r.get::<_, i64>(0)).unwrap();
    assert_eq!(pragma("application_id"), 0x4750_4B47);
    assert_eq!(pragma("user_version"), 10200);
    let (kind, srs): (String, i64) = db
        .query_row("SELECT data_type, srs_id FROM gpkg_contents WHERE table_name = 'epci'", [], |r| {
            Ok((r.get(0)?, r.get(1)?))
        })
        .unwrap();
    assert_eq!((kind.as_str(), srs), ("features", 4326));
    let count: i64 = db.query_row("SELECT count(*) FROM epci", [], |r| r.get(0)).unwrap();
    assert_eq!(count as usize, n);
    let (code, population, geom): (String, Option<f64>, Vec<u8>) = db
        .query_row("SELECT code, population_dgcl, geom FROM epci WHERE code = '246200364'", [], |r| {
            Ok((r.get(0)?, r.get(1)?, r.get(2)?))
        })
        .unwrap();
    assert_eq!(json!(population), expected(&format!("epci:{code}")));
    assert_eq!(&geom[..4], b"GP\x00\x03");
    assert_eq!(geom[40], 1, "WKB little endian after the 40-byte header");

    // GDAL reads it: right feature count, fields and SRS.
    match std::process::Command::new("ogrinfo").arg("-so").arg("-al").arg(&path).output() {
        Ok(out) => {
            let text = String::from_utf8_lossy(&out.stdout);
            assert!(out.status.success(), "{text}{}", String::from_utf8_lossy(&out.stderr));
            assert!(text.contains(&format!("Feature Count: {n}")), "{text}");
            assert!(text.contains("Geometry: Multi Polygon"), "{text}");
            for field in ["code: String", "name: String", "missing: Integer", "population_dgcl: Real"] {
                assert!(text.contains(field), "{field} in {text}");
            }
            assert!(text.contains("4326") || text.contains("WGS 84"), "{text}");
            let out = std::process::Command::new("ogrinfo")
                .args(["-al", "-q", "-where", "code = '246200364'"])
                .arg(&path)
                .output()
                .unwrap();
            let text = String::from_utf8_lossy(&out.stdout);
            assert!(text.contains(&format!("population_dgcl (Real) = {}", population.unwrap())), "{text}");
            assert!(text.contains("MULTIPOLYGON ((("), "{text}");
        }
        Err(e) => eprintln!("ogrinfo not run ({e}): GeoPackage checked with SQLite only"),
    }
}

/// Every commune of France with a shape in one GeoPackage, which GDAL reads whole.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_geopackage_of_every_commune_of_france() {
    let r = router().await;
    let (_, _, _, ids) = send(&r, Request::get("/api/feature-ids?layer=com").body(Body::empty()).unwrap()).await;
    let ids: Value = serde_json::from_slice(&ids).unwrap();
    let n = ids["ids"].as_object().unwrap().len();
    assert!(n > 34_800, "{n} communes with a shape");
    let uri = "/api/export/layer?layer=com&indicators=population,area,density&format=gpkg";
    let (status, kind, _, gpkg) = send(&r, Request::get(uri).body(Body::empty()).unwrap()).await;
    assert_eq!((status, kind.as_str()), (StatusCode::OK, "application/geopackage+sqlite3"));
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("communes.gpkg");
    std::fs::write(&path, &gpkg).unwrap();
    let out = std::process::Command::new("ogrinfo").arg("-so").arg("-al").arg(&path).output();
    let out = out.expect("ogrinfo (GDAL, apt-get install -y gdal-bin)");
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{text}{}", String::from_utf8_lossy(&out.stderr));
    assert!(
        text.contains(&format!("Feature Count: {n}")),
        "{n} features: {}",
        &text[text.len().saturating_sub(2000)..]
    );
    for field in ["population: Real", "area: Real", "density: Real"] {
        assert!(text.contains(field), "{field}");
    }
    // Quimper, Ajaccio and Saint-Denis de La Réunion, with their density.
    let out = std::process::Command::new("ogrinfo")
        .args(["-al", "-q", "-where", "code IN ('29232', '2A004', '97411')"])
        .arg(&path)
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(text.matches("density (Real) = ").count(), 3, "{}", &text[..text.len().min(3000)]);
}
