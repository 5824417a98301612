//! Hostile clients, each against its bound: slow connections closed by the header
//! timeout, foreign `Host` values refused, the framework's errors as JSON, bodies and
//! addresses too large refused, error bodies without paths or type names, a full pool
//! answered 503 with `Retry-After` while the probes still answer. No timing is
//! asserted (bench/hostile measures them).

use std::net::SocketAddr;
use std::time::Duration;

use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use echelle_server::{AppState, Connections, Site, WorkConfig, app};
use echelle_store::testing::test_store;
use serde_json::Value;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tower::ServiceExt;

/// A request on the router: status, headers and JSON body (`null` when not JSON).
async fn call(router: &axum::Router, request: Request<Body>) -> (StatusCode, axum::http::HeaderMap, Value) {
    let response = router.clone().oneshot(request).await.unwrap();
    let (parts, body) = response.into_parts();
    let bytes = axum::body::to_bytes(body, 1 << 28).await.unwrap();
    (parts.status, parts.headers, serde_json::from_slice(&bytes).unwrap_or(Value::Null))
}

/// An error body fit for a client: JSON with a message, no filesystem path, no
/// Rust type or module name.
fn assert_clean(what: &str, status: StatusCode, body: &Value) {
    let message = body["error"].as_str().unwrap_or_else(|| panic!("{what}: {status} without a JSON error: {body}"));
    assert!(!message.is_empty(), "{what}");
    let text = body.to_string();
    let store = test_store().display().to_string();
    for leak in [store.as_str(), "/home/", "/tmp/", "/root/", "/work/", "::", "struct ", "echelle_", "target/", ".rs:"]
    {
        assert!(!text.contains(leak), "{what}: {status} leaks '{leak}': {text}");
    }
}

/// A server on a loopback port with a short header timeout, as `echelle serve` runs it.
async fn serve(header_read_timeout: Duration) -> SocketAddr {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let local = listener.local_addr().unwrap();
    let state = AppState::open(&test_store()).await.unwrap().with_site(Site::new(local, None, &[]).unwrap());
    let router = app(state, None, Duration::from_secs(30));
    let limits = Connections { header_read_timeout, max_connections: 128 };
    tokio::spawn(echelle_server::conn::serve_connections(listener, router, limits, std::future::pending()));
    local
}

/// Reads until the server closes the connection; what it sent.
async fn read_to_close(stream: &mut TcpStream) -> Vec<u8> {
    let mut out = Vec::new();
    let mut buf = [0u8; 4096];
    loop {
        match stream.read(&mut buf).await {
            Ok(0) | Err(_) => return out,
            Ok(n) => out.extend_from_slice(&buf[..n]),
        }
    }
}

/// Forty connections that send their headers a byte at a time, and forty that send
/// nothing, are all closed by the header timeout; the server keeps answering.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn slow_connections_are_closed() {
    let timeout = Duration::from_millis(500);
    let addr = serve(timeout).await;
    let mut tasks = Vec::new();
    for i in 0..80 {
        tasks.push(tokio::spawn(async move {
            let mut s = TcpStream::connect(addr).await.unwrap();
            let trickle = i % 2 == 0;
            if trickle {
                s.write_all(b"GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ").await.unwrap();
            }
            // Bounded by the test, not by the server: a byte every 50 ms for 20 s, far beyond its timeout.
            let closed = tokio::time::timeout(Duration::from_secs(20), async {
                loop {
                    if trickle && s.write_all(b"a").await.is_err() {
                        return true;
                    }
                    let mut b = [0u8; 256];
                    match tokio::time::timeout(Duration::from_millis(50), s.read(&mut b)).await {
                        Ok(Ok(0)) | Ok(Err(_)) => return true,
                        Ok(Ok(_)) => return true, // an error answer, then the close
                        Err(_) => {}
                    }
                }
            })
            .await;
            assert!(closed.is_ok(), "connection {i} still open after 20 s (header timeout {timeout:?})");
        }));
    }
    for t in tasks {
        t.await.unwrap();
    }
    let mut s = TcpStream::connect(addr).await.unwrap();
    let request = format!("GET /health HTTP/1.1\r\nHost: 127.0.0.1:{}\r\nConnection: close\r\n\r\n", addr.port());
    s.write_all(request.as_bytes()).await.unwrap();
    let answer = String::from_utf8(read_to_close(&mut s).await).unwrap();
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
}

/// A foreign `Host` (DNS rebinding) is refused, over the socket and in process; the
/// loopback names with the server's port are answered, and the OGC links come from
/// the configuration, not from the request.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn foreign_hosts_are_refused() {
    let addr = serve(Duration::from_secs(10)).await;
    let port = addr.port();
    for (host, expected) in [
        (format!("127.0.0.1:{port}"), "200"),
        (format!("localhost:{port}"), "200"),
        ("evil.example".to_string(), "421"),
        (format!("evil.example:{port}"), "421"),
        ("localhost:1".to_string(), "421"),
    ] {
        let mut s = TcpStream::connect(addr).await.unwrap();
        let request = format!("GET /ogc HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n");
        s.write_all(request.as_bytes()).await.unwrap();
        let answer = String::from_utf8(read_to_close(&mut s).await).unwrap();
        assert!(answer.starts_with(&format!("HTTP/1.1 {expected}")), "{host}: {answer}");
        let body: Value = serde_json::from_str(answer.split("\r\n\r\n").nth(1).unwrap()).unwrap();
        if expected == "200" {
            let href = body["links"][0]["href"].as_str().unwrap();
            assert_eq!(href, format!("http://127.0.0.1:{port}/ogc"), "links from the configuration");
        } else {
            assert_clean(&host, StatusCode::MISDIRECTED_REQUEST, &body);
        }
    }
    let r = app(AppState::open(&test_store()).await.unwrap(), None, Duration::from_secs(30));
    let request =
        Request::get("/api/layers").header(header::HOST, "attacker.example:8080").body(Body::empty()).unwrap();
    let (status, _, body) = call(&r, request).await;
    assert_eq!(status, StatusCode::MISDIRECTED_REQUEST, "{body}");
    assert_clean("foreign host", status, &body);
}

/// The framework's own refusals are JSON errors: a method not allowed (with its
/// `Allow`), a body too large, an address too long, headers too large, a path or
/// query the extractors reject, an unknown route.
#[tokio::test]
async fn framework_errors_are_json() {
    let r = app(AppState::open(&test_store()).await.unwrap(), None, Duration::from_secs(30));
    let (status, headers, body) = call(&r, Request::post("/api/layers").body(Body::empty()).unwrap()).await;
    assert_eq!(status, StatusCode::METHOD_NOT_ALLOWED);
    assert!(headers.get(header::ALLOW).is_some(), "Allow kept");
    assert_clean("405", status, &body);
    let (status, _, body) = call(&r, Request::delete("/health").body(Body::empty()).unwrap()).await;
    assert_eq!(status, StatusCode::METHOD_NOT_ALLOWED);
    assert_clean("405 probe", status, &body);

    // 100 kB of perimeter: over the 64 kB of a perimeter body.
    let include: Vec<String> = (0..20_000).map(|_| "fr".to_string()).collect();
    let huge = serde_json::json!({"id": "huge", "name": "x", "include": include, "exclude": ["fr"]}).to_string();
    assert!(huge.len() > echelle_server::MAX_BODY);
    let post = Request::post("/api/perimeters").header(header::CONTENT_TYPE, "application/json").body(Body::from(huge));
    let (status, _, body) = call(&r, post.unwrap()).await;
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE, "{body}");
    assert_clean("413", status, &body);

    let long = format!("/api/search?q={}", "a".repeat(20_000));
    let (status, _, body) = call(&r, Request::get(long).body(Body::empty()).unwrap()).await;
    assert_eq!(status, StatusCode::URI_TOO_LONG, "{body}");
    assert_clean("414", status, &body);

    let request = Request::get("/health").header("x-big", "b".repeat(20_000)).body(Body::empty()).unwrap();
    let (status, _, body) = call(&r, request).await;
    assert_eq!(status, StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE, "{body}");
    assert_clean("431", status, &body);

    for uri in ["/tiles/com/99/0/0.mvt", "/tiles/com/a/b/c", "/nothing-here", "/api/nothing", "/ogc/nothing"] {
        let (status, _, body) = call(&r, Request::get(uri).body(Body::empty()).unwrap()).await;
        assert!(status.is_client_error(), "{uri}: {status}");
        assert_clean(uri, status, &body);
    }
    let bad_json = Request::post("/api/perimeters").header(header::CONTENT_TYPE, "application/json");
    let (status, _, body) = call(&r, bad_json.body(Body::from(r#"{"id": 3, "include": {}}"#)).unwrap()).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_clean("JSON of the wrong shape", status, &body);
    let text = Request::post("/api/perimeters").header(header::CONTENT_TYPE, "text/plain");
    let (status, _, body) = call(&r, text.body(Body::from("{}")).unwrap()).await;
    assert_eq!(status, StatusCode::UNSUPPORTED_MEDIA_TYPE);
    assert_clean("415", status, &body);
}

/// A small deterministic generator (xorshift), so that a failing request can be replayed.
struct Fuzz(u64);

impl Fuzz {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn pick<'a>(&mut self, from: &[&'a str]) -> &'a str {
        from[(self.next() % from.len() as u64) as usize]
    }
}

/// Four hundred requests of garbage on every kind of route: every error a JSON body
/// without a path or a type name, no 5xx.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fuzzed_errors_leak_nothing() {
    let r = app(AppState::open(&test_store()).await.unwrap(), None, Duration::from_secs(60));
    let routes = [
        "/api/territory/",
        "/api/territory/com:",
        "/api/territories?layer=",
        "/api/values?layer=com&indicator=",
        "/api/portrait/",
        "/api/compare?territories=",
        "/api/search?limit=",
        "/api/shapes?layer=",
        "/api/feature-ids?layer=",
        "/api/flows/matrix?layer=",
        "/api/flows/summary/",
        "/api/access/times?facilities=",
        "/api/export/layer?format=",
        "/api/portrait/com:62119/pdf?against=",
        "/ogc/collections/communes/items?limit=",
        "/ogc/collections/",
        "/tiles/com/",
        "/api/territory/com:62119/members?x=",
        "/api/flows/lines?layer=com&within=",
    ];
    let garbage = [
        "%00",
        "%2e%2e%2f",
        "..",
        "/etc/passwd",
        "C:\\Windows",
        "-1",
        "18446744073709551616",
        "NaN",
        "1e309",
        "{}",
        "%ff%fe",
        "com:99999",
        "per:",
        "dep:2A,dep:2B,dep:2C",
        "épée",
        "'; DROP TABLE",
        "\u{202e}",
        "a%20b",
        "[1,2]",
        "99/99/99.mvt",
        "x".repeat(300).leak(),
        "com:62119,",
        ",,,",
        "reg:32;reg:11",
    ];
    let mut f = Fuzz(0x5eed_1234_abcd_ef01);
    let mut errors = 0;
    for _ in 0..400 {
        let (route, junk) = (f.pick(&routes), f.pick(&garbage));
        let encoded: String = junk
            .bytes()
            .map(|b| if b.is_ascii_alphanumeric() { (b as char).to_string() } else { format!("%{b:02X}") })
            .collect();
        let junk = if f.next().is_multiple_of(2) { encoded } else { junk.replace(['%', ' ', '\\', '\u{202e}'], "") };
        let uri = format!("{route}{junk}");
        let Ok(request) = Request::get(uri.as_str()).body(Body::empty()) else { continue };
        let (status, _, body) = call(&r, request).await;
        assert!(!status.is_server_error(), "{uri}: {status} {body}");
        if status.is_client_error() {
            errors += 1;
            assert_clean(&uri, status, &body);
        }
    }
    assert!(errors > 200, "most garbage is refused: {errors}");
}

/// With the pool's one slot taken and no queue, a heavy request is answered 503
/// with `Retry-After` (JSON), while the probes and cheap listings answer.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_full_pool_answers_503() {
    let state = AppState::open_with(&test_store(), WorkConfig { running: 1, queued: 0 }).await.unwrap();
    let r = app(state.clone(), None, Duration::from_secs(30));
    let (release, held) = tokio::sync::oneshot::channel::<()>();
    let work = state.work().clone();
    let holder =
        tokio::spawn(
            async move { work.run(async move { held.await.map_err(|_| echelle_server::ApiError::Busy) }).await },
        );
    while state.work().in_use() == 0 {
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    for uri in ["/api/territory/com:62119", "/api/search?q=bethune", "/api/shapes?layer=dep", "/ogc/collections"] {
        let (status, headers, body) = call(&r, Request::get(uri).body(Body::empty()).unwrap()).await;
        assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE, "{uri}: {body}");
        let retry: u64 = headers[header::RETRY_AFTER].to_str().unwrap().parse().unwrap();
        assert!(retry >= 1, "{uri}");
        assert_clean(uri, status, &body);
    }
    for uri in ["/health", "/api/layers", "/api/indicators"] {
        let (status, _, body) = call(&r, Request::get(uri).body(Body::empty()).unwrap()).await;
        assert_eq!(status, StatusCode::OK, "{uri}: {body}");
    }
    let (status, _, _) = call(&r, Request::get("/ready").body(Body::empty()).unwrap()).await;
    assert!(status == StatusCode::OK || status == StatusCode::SERVICE_UNAVAILABLE, "the probe answers");
    release.send(()).unwrap();
    holder.await.unwrap().unwrap();
    let (status, _, body) = call(&r, Request::get("/api/territory/com:62119").body(Body::empty()).unwrap()).await;
    assert_eq!(status, StatusCode::OK, "the slot freed: {body}");
}

/// A request whose client goes (here: the request timeout fires) frees its place
/// in the pool: the work is dropped, and the next request is served.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn timed_out_work_frees_its_place() {
    let state = AppState::open_with(&test_store(), WorkConfig { running: 1, queued: 4 }).await.unwrap();
    let r = app(state.clone(), None, Duration::from_millis(1));
    // A portrait under a 1 ms timeout: answered 408 (JSON), the work abandoned.
    let (status, _, body) = call(&r, Request::get("/api/portrait/com:62119").body(Body::empty()).unwrap()).await;
    assert_eq!(status, StatusCode::REQUEST_TIMEOUT, "{body}");
    assert_clean("408", status, &body);
    let mut waited = 0;
    while state.work().in_use() > 0 && waited < 2_000 {
        tokio::time::sleep(Duration::from_millis(10)).await;
        waited += 1;
    }
    assert_eq!(state.work().in_use(), 0, "the abandoned work left the pool");
}
