//! Commune shapes over HTTP: vector tiles decoded by an independent reader, feature ids,
//! GeoJSON, and a thousand malformed requests that must all be 4xx JSON errors.

use std::time::Duration;

use axum::body::Body;
use axum::http::{Request, StatusCode};
use echelle_server::{AppState, app};
use echelle_store::testing::test_store;
use serde_json::Value;
use tower::ServiceExt;

async fn router() -> axum::Router {
    app(AppState::open(&test_store()).await.unwrap(), None, Duration::from_secs(30))
}

async fn raw(r: &axum::Router, uri: &str) -> (StatusCode, String, Vec<u8>) {
    let response = r.clone().oneshot(Request::get(uri).body(Body::empty()).unwrap()).await.unwrap();
    let status = response.status();
    let ct = response.headers().get("content-type").map(|h| h.to_str().unwrap().to_string()).unwrap_or_default();
    (status, ct, axum::body::to_bytes(response.into_body(), 1 << 28).await.unwrap().to_vec())
}

async fn json(r: &axum::Router, uri: &str) -> (StatusCode, Value) {
    let (s, _, b) = raw(r, uri).await;
    (s, serde_json::from_slice(&b).unwrap_or(Value::Null))
}

// ---- a minimal protobuf reader, written from the MVT 2.1 specification

fn varint(b: &[u8], i: &mut usize) -> u64 {
    let (mut v, mut shift) = (0u64, 0);
    loop {
        let byte = b[*i];
        *i += 1;
        v |= u64::from(byte & 0x7f) << shift;
        if byte < 0x80 {
            return v;
        }
        shift += 7;
    }
}

/// (field number, varint value or bytes) of each field of a message.
fn fields(b: &[u8]) -> Vec<(u64, Result<u64, Vec<u8>>)> {
    let mut out = Vec::new();
    let mut i = 0;
    while i < b.len() {
        let key = varint(b, &mut i);
        match key & 7 {
            0 => out.push((key >> 3, Ok(varint(b, &mut i)))),
            2 => {
                let n = varint(b, &mut i) as usize;
                out.push((key >> 3, Err(b[i..i + n].to_vec())));
                i += n;
            }
            w => panic!("unexpected wire type {w}"),
        }
    }
    out
}

fn packed(b: &[u8]) -> Vec<u64> {
    let mut i = 0;
    let mut out = Vec::new();
    while i < b.len() {
        out.push(varint(b, &mut i));
    }
    out
}

struct Feature {
    id: u64,
    /// The `key` property (tiles below `properties_from` carry the id alone).
    key: Option<String>,
    rings: Vec<Vec<(i64, i64)>>,
}

fn decode(tile: &[u8]) -> (String, u64, Vec<Feature>) {
    let layers: Vec<Vec<u8>> = fields(tile).into_iter().filter(|f| f.0 == 3).map(|f| f.1.unwrap_err()).collect();
    assert_eq!(layers.len(), 1, "one layer");
    let layer = fields(&layers[0]);
    let text = |f: &Result<u64, Vec<u8>>| String::from_utf8(f.clone().unwrap_err()).unwrap();
    let name = layer.iter().find(|f| f.0 == 1).map(|f| text(&f.1)).unwrap();
    let extent = layer.iter().find(|f| f.0 == 5).map(|f| *f.1.as_ref().unwrap()).unwrap();
    let keys: Vec<String> = layer.iter().filter(|f| f.0 == 3).map(|f| text(&f.1)).collect();
    let values: Vec<String> =
        layer.iter().filter(|f| f.0 == 4).map(|f| text(&fields(f.1.as_ref().unwrap_err())[0].1)).collect();
    let mut features = Vec::new();
    for f in layer.iter().filter(|f| f.0 == 2) {
        let ff = fields(f.1.as_ref().unwrap_err());
        let id = ff.iter().find(|x| x.0 == 1).map(|x| *x.1.as_ref().unwrap()).unwrap();
        let tags = ff.iter().find(|x| x.0 == 2).map(|x| packed(x.1.as_ref().unwrap_err())).unwrap_or_default();
        let key = tags.chunks(2).find(|t| keys[t[0] as usize] == "key").map(|t| values[t[1] as usize].clone());
        assert_eq!(ff.iter().find(|x| x.0 == 3).unwrap().1, Ok(3), "polygon");
        let geom = packed(ff.iter().find(|x| x.0 == 4).unwrap().1.as_ref().unwrap_err());
        let (mut i, mut cur, mut rings) = (0, (0i64, 0i64), Vec::new());
        let unzig = |v: u64| ((v >> 1) as i64) ^ -((v & 1) as i64);
        let mut ring = Vec::new();
        while i < geom.len() {
            let (cmd, count) = (geom[i] & 7, geom[i] >> 3);
            i += 1;
            match cmd {
                1 | 2 => {
                    for _ in 0..count {
                        cur = (cur.0 + unzig(geom[i]), cur.1 + unzig(geom[i + 1]));
                        i += 2;
                        ring.push(cur);
                    }
                }
                7 => rings.push(std::mem::take(&mut ring)),
                c => panic!("command {c}"),
            }
        }
        features.push(Feature { id, key, rings });
    }
    (name, extent, features)
}

fn area2(ring: &[(i64, i64)]) -> i64 {
    (0..ring.len()).map(|i| ring[i].0 * ring[(i + 1) % ring.len()].1 - ring[(i + 1) % ring.len()].0 * ring[i].1).sum()
}

/// The tile holding a point at zoom z.
fn tile_of(lon: f64, lat: f64, z: u32) -> (u32, u32) {
    let n = f64::from(1 << z);
    let lat = lat.to_radians();
    (
        ((lon + 180.0) / 360.0 * n) as u32,
        ((1.0 - (lat.tan() + 1.0 / lat.cos()).ln() / std::f64::consts::PI) / 2.0 * n) as u32,
    )
}

#[tokio::test]
async fn tiles_carry_the_communes_with_their_feature_ids() {
    let r = router().await;
    let (status, ids) = json(&r, "/api/feature-ids?layer=com").await;
    assert_eq!(status, StatusCode::OK, "{ids}");
    let from = ids["properties_from"].as_u64().unwrap();
    let ids = ids["ids"].as_object().unwrap();
    let known: std::collections::BTreeSet<u64> = ids.values().map(|v| v.as_u64().unwrap()).collect();
    // Every commune of France (métropole and DROM) with a shape but a handful, and none
    // of the overseas collectivities.
    let (_, france) = json(&r, "/api/territory/fr").await;
    let n_france = france["communes"].as_u64().unwrap() as usize;
    assert!(ids.len() <= n_france && ids.len() + 10 >= n_france, "{} of {n_france}", ids.len());
    assert!(ids.keys().all(|k| !k.starts_with("com:98") && !k.starts_with("com:975") && !k.starts_with("com:97")
        || ["com:971", "com:972", "com:973", "com:974", "com:976"].iter().any(|p| k.starts_with(p))));
    for k in ["com:29232", "com:2A004", "com:97411", "com:97611", "com:75056"] {
        assert!(ids.contains_key(k), "{k} has a shape");
    }
    let bethune = ids["com:62119"].as_u64().unwrap();

    for z in [6, 9, 12] {
        let (x, y) = tile_of(2.6405, 50.5303, z);
        let (status, ct, body) = raw(&r, &format!("/tiles/com/{z}/{x}/{y}.mvt")).await;
        assert_eq!((status, ct.as_str()), (StatusCode::OK, "application/vnd.mapbox-vector-tile"));
        let (name, extent, features) = decode(&body);
        assert_eq!((name.as_str(), extent), ("com", 4096));
        let f = features.iter().find(|f| f.id == bethune).unwrap_or_else(|| panic!("Béthune not in z{z} tile"));
        // Keys and names from `properties_from`; below it the id alone, one of /api/feature-ids'.
        assert_eq!(f.key.as_deref(), (u64::from(z) >= from).then_some("com:62119"), "z{z}");
        for f in &features {
            match &f.key {
                Some(key) => assert_eq!(ids[key].as_u64(), Some(f.id), "feature id of {key}"),
                None => assert!(known.contains(&f.id), "feature id {}", f.id),
            }
            assert!(area2(&f.rings[0]) > 0, "exterior ring of {:?} clockwise (y down)", f.key);
            assert!(f.rings.iter().flatten().all(|p| (-65..=4161).contains(&p.0) && (-65..=4161).contains(&p.1)));
        }
    }
    // Gzipped once, for clients that accept it; the same tile once inflated.
    let (x, y) = tile_of(2.6405, 50.5303, 9);
    let uri = format!("/tiles/com/9/{x}/{y}.mvt");
    let (_, _, plain) = raw(&r, &uri).await;
    for accept in ["gzip", "gzip, deflate, br", "br;q=1, gzip;q=0.5", "*"] {
        let request = Request::get(&uri).header("accept-encoding", accept).body(Body::empty()).unwrap();
        let response = r.clone().oneshot(request).await.unwrap();
        assert_eq!(response.headers()["content-encoding"], "gzip", "{accept}");
        let body = axum::body::to_bytes(response.into_body(), 1 << 28).await.unwrap();
        let mut inflated = Vec::new();
        std::io::Read::read_to_end(&mut flate2::read::GzDecoder::new(&body[..]), &mut inflated).unwrap();
        assert_eq!(inflated, plain);
    }
    let request = Request::get(&uri).header("accept-encoding", "gzip;q=0, identity").body(Body::empty()).unwrap();
    let response = r.clone().oneshot(request).await.unwrap();
    assert!(response.headers().get("content-encoding").is_none());
    // A tile far from France (the Pacific, Polynesia without contours) is empty but valid.
    let (status, _, body) = raw(&r, "/tiles/com/8/5/120.mvt").await;
    assert_eq!((status, body.len()), (StatusCode::OK, 0));
}

#[tokio::test]
async fn geojson_shapes_within_a_territory() {
    let r = router().await;
    let (status, _, body) = raw(&r, "/api/shapes?layer=com&within=per:mel").await;
    assert_eq!(status, StatusCode::OK);
    let fc: Value = serde_json::from_slice(&body).unwrap();
    let (_, mel) = json(&r, "/api/territory/per:mel").await;
    assert_eq!(fc["features"].as_array().unwrap().len() as u64, mel["communes"].as_u64().unwrap());
    let lille = fc["features"].as_array().unwrap().iter().find(|f| f["properties"]["code"] == "59350").unwrap();
    assert_eq!(lille["geometry"]["type"], "MultiPolygon");
    let ring = lille["geometry"]["coordinates"][0][0].as_array().unwrap();
    assert!(ring.iter().all(|p| (2.9..3.2).contains(&p[0].as_f64().unwrap())), "Lille's longitudes");
    assert_eq!(json(&r, "/api/shapes?layer=iris").await.0, StatusCode::BAD_REQUEST);
    let (status, fr) = json(&r, "/api/shapes?layer=fr").await;
    assert_eq!((status, fr["features"].as_array().map(Vec::len)), (StatusCode::OK, Some(1)), "France is one shape");
}

/// Other layers: unions of member communes, in GeoJSON and tiles with their own ids.
#[tokio::test]
async fn layers_are_unions_of_their_communes() {
    let r = router().await;
    for layer in ["epci", "arr", "dep", "reg", "fr", "per"] {
        let (status, ids) = json(&r, &format!("/api/feature-ids?layer={layer}")).await;
        assert_eq!(status, StatusCode::OK, "{ids}");
        assert_eq!(ids["source_layer"], layer);
        assert!(ids["coverage"].as_str().unwrap().contains("every commune of France"));
        let map = ids["ids"].as_object().unwrap();
        assert!(!map.is_empty(), "{layer}: no shapes");
        assert!(map.keys().all(|k| k.starts_with(&format!("{layer}:")) || layer == "fr" && k == "fr"), "{layer}");
        let (_, listed) = json(&r, &format!("/api/territories?layer={layer}")).await;
        let total = listed.as_array().unwrap().len() as u64;
        let (shaped, unshaped) = (ids["shaped"].as_u64().unwrap(), ids["unshaped"].as_u64().unwrap());
        assert_eq!(shaped + unshaped, total, "{layer}");
        if ["dep", "reg"].contains(&layer) {
            // Only the overseas collectivities, which have no contour, are left unshaped.
            assert!(unshaped > 0 && unshaped <= 10, "{layer}: {unshaped} unshaped");
        } else {
            assert!(unshaped <= 10, "{layer}: {unshaped} unshaped of {total}");
        }
    }
    // The Pas-de-Calais: one territory, shaped as far fewer polygons than its communes.
    let (_, dep) = json(&r, "/api/shapes?layer=dep&within=dep:62").await;
    let features = dep["features"].as_array().unwrap();
    assert_eq!(features.len(), 1);
    assert_eq!(features[0]["properties"]["key"], "dep:62");
    let (_, members) = json(&r, "/api/territory/dep:62").await;
    let polygons = features[0]["geometry"]["coordinates"].as_array().unwrap().len();
    assert!(polygons * 20 < members["communes"].as_u64().unwrap() as usize, "{polygons} polygons");
    // Every EPCI of the Pas-de-Calais is shaped (all its communes have contours).
    let (_, epci) = json(&r, "/api/shapes?layer=epci&within=dep:62").await;
    let (_, listed) = json(&r, "/api/territories?layer=epci&within=dep:62").await;
    assert_eq!(epci["features"].as_array().unwrap().len(), listed.as_array().unwrap().len());
    assert!(epci["features"].as_array().unwrap().len() > 10);
    // Tiles: the source layer is the layer name, ids match the mapping, Béthune's EPCI is there.
    let (_, ids) = json(&r, "/api/feature-ids?layer=epci").await;
    let (x, y) = tile_of(2.6405, 50.5303, 9);
    let (status, _, body) = raw(&r, &format!("/tiles/epci/9/{x}/{y}.mvt")).await;
    assert_eq!(status, StatusCode::OK);
    let (name, _, features) = decode(&body);
    assert_eq!(name, "epci");
    assert!(features.iter().any(|f| f.key.as_deref() == Some("epci:200072460")), "CA de Béthune-Bruay");
    for f in &features {
        let key = f.key.as_deref().expect("zoom 9 carries keys");
        assert_eq!(ids["ids"][key].as_u64(), Some(f.id), "{key}");
        assert!(area2(&f.rings[0]) > 0);
    }
    let (status, _, body) =
        raw(&r, &format!("/tiles/reg/5/{}/{}.mvt", tile_of(2.6, 50.5, 5).0, tile_of(2.6, 50.5, 5).1)).await;
    assert_eq!(status, StatusCode::OK);
    let (name, _, features) = decode(&body);
    assert_eq!(name.as_str(), "reg");
    let (_, regions) = json(&r, "/api/feature-ids?layer=reg").await;
    let hdf = regions["ids"]["reg:32"].as_u64();
    assert!(features.iter().any(|f| Some(f.id) == hdf) && features.len() < 8, "{}", features.len());
    // The Calvados lacks Sannerville's contour (re-established since 2018): shaped, and
    // said so; the Oise's commune split since 2018 is resolved.
    let (_, ids) = json(&r, "/api/feature-ids?layer=dep").await;
    assert_eq!(ids["partial"]["dep:14"], 1, "{}", ids["partial"]);
    assert!(ids["partial"].get("dep:62").is_none() && ids["partial"].get("dep:60").is_none());
}

#[tokio::test]
async fn feature_ids_within_a_territory_are_its_members() {
    let r = router().await;
    let keys = |v: &Value| v["ids"].as_object().unwrap().keys().cloned().collect::<Vec<_>>();
    let (status, all) = json(&r, "/api/feature-ids?layer=epci").await;
    assert_eq!(status, StatusCode::OK);
    let (status, inside) = json(&r, "/api/feature-ids?layer=epci&within=dep:62").await;
    assert_eq!(status, StatusCode::OK);
    let (_, listed) = json(&r, "/api/territories?layer=epci&within=dep:62").await;
    let mut listed: Vec<String> =
        listed.as_array().unwrap().iter().map(|t| t["key"].as_str().unwrap().into()).collect();
    listed.sort();
    assert_eq!(keys(&inside), listed);
    assert!(listed.len() > 10 && listed.len() < keys(&all).len(), "{} of {}", listed.len(), keys(&all).len());
    for k in keys(&inside) {
        assert_eq!(inside["ids"][&k], all["ids"][&k], "{k}");
    }
    // The Calvados' missing contour is said within its region, not within the Pas-de-Calais.
    let (_, normandie) = json(&r, "/api/feature-ids?layer=dep&within=reg:28").await;
    assert_eq!(normandie["partial"]["dep:14"], 1, "{}", normandie["partial"]);
    let (_, pdc) = json(&r, "/api/feature-ids?layer=dep&within=dep:62").await;
    assert_eq!((keys(&pdc), pdc["partial"].as_object().unwrap().len()), (vec!["dep:62".to_string()], 0));
    let (status, _) = json(&r, "/api/feature-ids?layer=epci&within=dep:999").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn a_thousand_bad_requests_are_4xx_json() {
    let r = router().await;
    let mut uris: Vec<String> = Vec::new();
    let mut seed = 0x2545_f491_4f6c_dd1du64;
    let mut next = || {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed
    };
    let junk = ["-1", "17", "99", "4294967296", "1e3", "0x10", "", "%00", "..", "a", "1.5", "٣", "00000000001"];
    for _ in 0..700 {
        let z = 1 + next() % 16;
        let pick = |v: u64| junk[(v % junk.len() as u64) as usize].to_string();
        let (a, b, c) = (next(), next(), next());
        uris.push(match a % 5 {
            0 => format!("/tiles/com/{z}/{}/0.mvt", (1u64 << z) + b % 1000),
            1 => format!("/tiles/com/{z}/0/{}.mvt", (1u64 << z) + c % 1000),
            2 => format!("/tiles/com/{}/{}/{}.mvt", 17 + b % 1000, b % 4, c % 4),
            3 => format!("/tiles/com/{}/{}/{}.mvt", pick(a), pick(b), pick(c)),
            _ => format!("/tiles/com/{z}/0/{}", pick(c)),
        });
        let layer = ["epci", "dep", "reg", "per", "arr"][(a % 5) as usize];
        uris.push(match b % 4 {
            0 => format!("/tiles/{layer}/{z}/{}/0.mvt", (1u64 << z) + c % 1000),
            1 => format!(
                "/tiles/{}/{z}/0/0.mvt",
                ["iris", "pays", "nope", "..", "%2e%2e", "com%2f..", ""][(c % 7) as usize]
            ),
            2 => format!("/tiles/{layer}/{}/{}/{}.mvt", pick(a), pick(b), pick(c)),
            _ => format!("/tiles/{layer}/{}/0/0.mvt", 17 + c % 100_000),
        });
    }
    for i in 0..150 {
        uris.push(format!("/api/feature-ids?layer={}", ["pays", "xx", "", "com%00", "iris"][i % 5]));
        uris.push(format!(
            "/api/shapes?layer=com&within={}",
            ["com:00000", "per:nope", "zz:1", "%FF", "59350x"][i % 5]
        ));
        uris.push(format!(
            "/api/export/layer?{}",
            [
                "layer=epci&format=shp",
                "layer=iris&format=gpkg",
                "layer=epci&format=gpkg&within=dep:00",
                "layer=epci&format=geojson&indicators=nope",
                "layer=epci&format=gpkg&indicators=population_dgcl,..%2f",
                "layer=epci",
                "format=gpkg",
                "layer=dep&format=geojson&within=%00",
                "layer=../../etc/passwd&format=gpkg",
                "layer=per&format=gpkg&within=per:nope",
            ][i % 10]
        ));
        uris.push(
            [
                "/api/portrait/99999/pdf",
                "/api/portrait/com:62119/pdf?against=nope",
                "/api/portrait/dep:00/pdf",
                "/api/portrait/..%2F../pdf",
                "/api/portrait/per:nope/pdf",
                "/api/portrait/com:62119/pdf?indicators=nope",
                "/api/portrait/com:62119/pdf?against=com:00000",
                "/api/portrait/com:62119/pdf?indicators=population_dgcl,nope",
            ][i % 8]
                .to_string(),
        );
    }
    for i in 0..40 {
        uris.push(
            ["/tiles/com/11/0/", "/tiles/x", "/tiles/com/1/1/1/1.mvt", "/ogc/nope", "/ogc/collections/communes/x/y"]
                [i % 5]
                .to_string(),
        );
    }
    for i in 0..60 {
        uris.push(format!(
            "/ogc/collections/{}",
            [
                "nope",
                "communes/items/99999",
                "communes/items?limit=-1",
                "communes/items?limit=abc",
                "communes/items?offset=1e9",
                "communes/items?bbox=1,2,3",
                "communes/items?bbox=a,b,c,d",
                "communes/items?bbox=3,3,1,1",
                "communes/items?limit=10001",
                "x/items"
            ][i % 10]
        ));
    }
    assert!(uris.len() >= 1000);
    for uri in &uris {
        let (status, ct, body) = raw(&r, uri).await;
        assert!(status.is_client_error(), "{uri}: {status}");
        assert!(ct.starts_with("application/json"), "{uri}: {ct}");
        let v: Value = serde_json::from_slice(&body).unwrap_or_else(|_| panic!("{uri}: not JSON"));
        assert!(v["error"].as_str().is_some_and(|e| !e.is_empty()), "{uri}: {v}");
    }
}

#[tokio::test]
async fn routes_outside_the_api_are_documented() {
    let r = router().await;
    let (_, doc) = json(&r, "/api/openapi.json").await;
    let paths = doc["paths"].as_object().unwrap();
    let src = concat!(env!("CARGO_MANIFEST_DIR"), "/src");
    let mut n = 0;
    for (file, prefix) in [("tiles.rs", "/tiles"), ("ogc.rs", "/ogc")] {
        let text = std::fs::read_to_string(format!("{src}/{file}")).unwrap();
        for line in text.lines().filter(|l| l.trim_start().starts_with(".route(\"")) {
            let route = format!("{prefix}{}", line.split('"').nth(1).unwrap()).trim_end_matches('/').to_string();
            let documented = if route.starts_with("/tiles/") { format!("{route}.mvt") } else { route };
            assert!(paths.contains_key(&documented), "{documented} is not documented");
            n += 1;
        }
    }
    assert_eq!(n, 7);
}
