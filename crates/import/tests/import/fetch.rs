//! `fetch` against a local HTTP server on 127.0.0.1 serving fixture files (the
//! network is closed here): a checked download is imported; a wrong checksum, a
//! wrong size, an unverified entry or a 404 are refused and leave the store as it
//! was.

use crate::common;

use common::*;
use echelle_import::fetch::{download, find, parse_sources};
use echelle_import::{Format, ImportRequest, prepare};
use echelle_store::Store;
use sha2::{Digest, Sha256};
use std::io::{BufRead, BufReader, Write};
use std::net::TcpListener;

/// Serves `files` (url path -> bytes) for `requests` requests, then stops.
fn serve(files: Vec<(String, Vec<u8>)>, requests: usize) -> (u16, std::thread::JoinHandle<()>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let handle = std::thread::spawn(move || {
        for stream in listener.incoming().take(requests) {
            let mut stream = stream.unwrap();
            let mut reader = BufReader::new(stream.try_clone().unwrap());
            let mut first = String::new();
            reader.read_line(&mut first).unwrap();
            loop {
                let mut l = String::new();
                if reader.read_line(&mut l).unwrap() == 0 || l == "\r\n" {
                    break;
                }
            }
            let path = first.split_whitespace().nth(1).unwrap_or("/").to_string();
            match files.iter().find(|(p, _)| *p == path) {
                Some((_, body)) => {
                    write!(stream, "HTTP/1.1 200 OK\r\nContent-Length: {}\r\nConnection: close\r\n\r\n", body.len())
                        .unwrap();
                    stream.write_all(body).unwrap();
                }
                None => {
                    stream
                        .write_all(b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
                        .unwrap();
                }
            }
            let _ = stream.flush();
        }
    });
    (port, handle)
}

fn sha(bytes: &[u8]) -> String {
    Sha256::digest(bytes).iter().map(|b| format!("{b:02x}")).collect()
}

fn zip_of(name: &str, bytes: &[u8]) -> Vec<u8> {
    let mut buf = std::io::Cursor::new(Vec::new());
    {
        let mut z = zip::ZipWriter::new(&mut buf);
        z.start_file(name, zip::write::SimpleFileOptions::default()).unwrap();
        z.write_all(bytes).unwrap();
        z.finish().unwrap();
    }
    buf.into_inner()
}

#[test]
fn fetch_checks_then_imports_and_refuses_bad_downloads() {
    let (t, root) = store_copy();
    let flows = std::fs::read(fixture("flows/base-flux-mobilite-domicile-lieu-travail-2021.csv")).unwrap();
    let mobpro = std::fs::read(fixture("mobpro/FD_MOBPRO_2021.csv")).unwrap();
    let zipped = zip_of("RP2021/FD_MOBPRO_2021.csv", &mobpro);
    let (port, server) =
        serve(vec![("/flux.csv".into(), flows.clone()), ("/RP2021_mobpro_csv.zip".into(), zipped.clone())], 6);
    let catalog = format!(
        r#"
[[source]]
name = "flux"
title = "flows fixture"
url = "http://127.0.0.1:{port}/flux.csv"
size = {}
sha256 = "{}"
format = "flows"

[[source]]
name = "mobpro"
title = "mobpro fixture, zipped"
url = "http://127.0.0.1:{port}/RP2021_mobpro_csv.zip"
size = {}
sha256 = "{}"
member = "FD_MOBPRO_2021.csv"
format = "mobpro"
vintage = "2021"

[[source]]
name = "forged"
title = "wrong checksum"
url = "http://127.0.0.1:{port}/flux.csv"
size = {}
sha256 = "{}"
format = "flows"

[[source]]
name = "short"
title = "wrong size"
url = "http://127.0.0.1:{port}/flux.csv"
size = {}
sha256 = "{}"
format = "flows"

[[source]]
name = "unverified"
title = "no checksum"
url = "http://127.0.0.1:{port}/flux.csv"
format = "flows"

[[source]]
name = "missing"
title = "404"
url = "http://127.0.0.1:{port}/nothing.csv"
size = 1
sha256 = "00"
format = "flows"
"#,
        flows.len(),
        sha(&flows),
        zipped.len(),
        sha(&zipped),
        flows.len(),
        sha(b"something else"),
        flows.len() + 10,
        sha(&flows),
    );
    let sources = parse_sources("test catalog", &catalog).unwrap();
    let downloads = t.path().join("downloads");
    let fetch_import = |name: &str| -> Result<echelle_import::ImportReport, echelle_import::ImportError> {
        let entry = find(&sources, name)?;
        let got = download(entry, &downloads, false)?;
        assert!(got.verified);
        let req = ImportRequest {
            path: got.path,
            format: Format::parse(&entry.format),
            vintage: entry.vintage.clone(),
            source: Some(format!("{} {}", entry.title, entry.url)),
            ..Default::default()
        };
        prepare(req)?.run(&Store::open(&root).unwrap())
    };

    let r = fetch_import("flux").unwrap();
    assert_eq!(r.dataset.id, "flows_work_2021");
    assert_eq!(
        r.dataset.rows,
        expected("flows/base-flux-mobilite-domicile-lieu-travail-2021.csv")["rows"].as_u64().unwrap()
    );
    assert!(r.dataset.source.contains(&format!("127.0.0.1:{port}/flux.csv")));
    let r = fetch_import("mobpro").unwrap();
    assert_eq!(r.dataset.rows, expected("mobpro/FD_MOBPRO_2021.csv")["rows"].as_u64().unwrap());

    let before = snapshot(&root);
    for (name, words) in
        [("forged", "does not match"), ("short", "declared"), ("unverified", "--accept-unverified"), ("missing", "404")]
    {
        let e = fetch_import(name).unwrap_err();
        assert!(e.is_user_error());
        assert!(e.to_string().contains(words), "{name}: {e}");
        assert_eq!(snapshot(&root), before, "{name}");
        assert!(!downloads.join(format!("{name}.partial")).exists());
    }
    server.join().unwrap();
}
