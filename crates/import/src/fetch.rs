//! `echelle fetch <name>`: downloads an official file from its publisher's address,
//! checks its size and SHA-256 against the catalog of addresses (a data file,
//! `data/sources.toml`, not code), takes it out of its zip archive if need be and
//! imports it.
//!
//! The download goes to `<store>/downloads/<name>.partial` and is renamed only once
//! checked, so a broken or forged download never reaches the importer.

use std::fs::File;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};

use serde::Deserialize;
use sha2::{Digest, Sha256};

use crate::error::ImportError;
use crate::formats::Format;

/// The catalog shipped with echelle.
pub const SHIPPED_SOURCES: (&str, &str) = ("data/sources.toml", include_str!("../../../data/sources.toml"));

/// One downloadable file.
#[derive(Debug, Clone, Deserialize, PartialEq)]
pub struct SourceEntry {
    /// The name users fetch it by (`mobpro-2021`).
    pub name: String,
    /// What the file is, for listings.
    pub title: String,
    /// The publisher's address of the file (or of the zip holding it).
    pub url: String,
    /// Expected size in bytes of what the address serves.
    pub size: Option<u64>,
    /// Expected SHA-256 (hex) of what the address serves.
    pub sha256: Option<String>,
    /// The file to take out of a zip archive.
    pub member: Option<String>,
    /// The [`Format`] name it is imported with.
    pub format: String,
    /// The millésime recorded in the catalog, when the file's name does not give it.
    pub vintage: Option<String>,
    /// Dataset id in the catalog [default: from the format and vintage].
    pub id: Option<String>,
}

#[derive(Debug, Deserialize)]
struct SourcesFile {
    source: Vec<SourceEntry>,
}

/// Parses a catalog of addresses.
pub fn parse_sources(origin: &str, text: &str) -> Result<Vec<SourceEntry>, ImportError> {
    let f: SourcesFile = toml::from_str(text).map_err(|e| ImportError::Usage(format!("{origin}: {e}")))?;
    for s in &f.source {
        if Format::parse(&s.format).is_none() {
            return Err(ImportError::Usage(format!("{origin}: source '{}' has unknown format '{}'", s.name, s.format)));
        }
    }
    Ok(f.source)
}

/// Finds `name` in `sources`, or says which names exist.
pub fn find<'a>(sources: &'a [SourceEntry], name: &str) -> Result<&'a SourceEntry, ImportError> {
    sources.iter().find(|s| s.name == name).ok_or_else(|| {
        ImportError::Usage(format!(
            "no source named '{name}' in the catalog of addresses; known: {}",
            sources.iter().map(|s| s.name.as_str()).collect::<Vec<_>>().join(", ")
        ))
    })
}

/// What a download gave.
#[derive(Debug, Clone)]
pub struct Downloaded {
    /// The file to import (the zip member when there is one).
    pub path: PathBuf,
    /// Bytes downloaded.
    pub size: u64,
    /// SHA-256 (hex) of what was downloaded, to record or to declare in the catalog.
    pub sha256: String,
    /// Whether size and checksum were declared and matched.
    pub verified: bool,
}

/// Downloads `entry` into `dir`, checks it, and unzips its member.
/// `accept_unverified` allows an entry without declared size and checksum.
pub fn download(entry: &SourceEntry, dir: &Path, accept_unverified: bool) -> Result<Downloaded, ImportError> {
    let fail = |m: String| ImportError::Fetch { url: entry.url.clone(), message: m };
    std::fs::create_dir_all(dir).map_err(|e| ImportError::io(dir, e))?;
    let partial = dir.join(format!("{}.partial", entry.name));
    let result = (|| {
        let agent: ureq::Agent = ureq::Agent::config_builder()
            .timeout_global(Some(std::time::Duration::from_secs(3600)))
            .http_status_as_error(false)
            .build()
            .into();
        let response = agent.get(&entry.url).call().map_err(|e| fail(e.to_string()))?;
        let status = response.status();
        if !status.is_success() {
            return Err(fail(format!("the server answered {status}")));
        }
        let mut body = response.into_body();
        let mut reader = body.with_config().limit(u64::MAX).reader();
        let mut out = File::create(&partial).map_err(|e| ImportError::io(&partial, e))?;
        let mut hasher = Sha256::new();
        let mut size = 0u64;
        let mut buf = vec![0u8; 1 << 16];
        loop {
            let n = reader.read(&mut buf).map_err(|e| fail(format!("download interrupted: {e}")))?;
            if n == 0 {
                break;
            }
            hasher.update(&buf[..n]);
            out.write_all(&buf[..n]).map_err(|e| ImportError::io(&partial, e))?;
            size += n as u64;
            if let Some(want) = entry.size
                && size > want
            {
                return Err(fail(format!("more than the {want} bytes declared in the catalog")));
            }
        }
        out.sync_all().map_err(|e| ImportError::io(&partial, e))?;
        let sha256: String = hasher.finalize().iter().map(|b| format!("{b:02x}")).collect();
        let verified = match (entry.size, &entry.sha256) {
            (Some(want), Some(sum)) => {
                if size != want {
                    return Err(fail(format!("{size} bytes received, {want} declared in the catalog")));
                }
                if !sum.eq_ignore_ascii_case(&sha256) {
                    return Err(fail(format!("SHA-256 {sha256} does not match the catalog's {sum}")));
                }
                true
            }
            _ if accept_unverified => false,
            _ => {
                return Err(fail(format!(
                    "the catalog declares no size and SHA-256 for '{}'; received {size} bytes, SHA-256 {sha256}: \
                     check them, write them in the catalog, or pass --accept-unverified",
                    entry.name
                )));
            }
        };
        let file_name = entry.url.rsplit('/').next().filter(|s| !s.is_empty()).unwrap_or(&entry.name).to_string();
        let dest = dir.join(&file_name);
        std::fs::rename(&partial, &dest).map_err(|e| ImportError::io(&dest, e))?;
        let path = match &entry.member {
            Some(member) => unzip(&dest, member, dir)?,
            None => dest,
        };
        Ok(Downloaded { path, size, sha256, verified })
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&partial);
    }
    result
}

/// Takes `member` out of the zip archive `archive` into `dir`.
fn unzip(archive: &Path, member: &str, dir: &Path) -> Result<PathBuf, ImportError> {
    let bad = |m: String| ImportError::Usage(format!("{}: {m}", archive.display()));
    let file = File::open(archive).map_err(|e| ImportError::io(archive, e))?;
    let mut zip = zip::ZipArchive::new(file).map_err(|e| bad(format!("not a zip archive: {e}")))?;
    let names: Vec<String> = zip.file_names().map(str::to_string).collect();
    let name = names
        .iter()
        .find(|n| n.rsplit('/').next() == Some(member))
        .ok_or_else(|| bad(format!("no '{member}' in the archive (it holds {})", names.join(", "))))?
        .clone();
    let mut entry = zip.by_name(&name).map_err(|e| bad(e.to_string()))?;
    let dest = dir.join(member);
    let tmp = dest.with_extension("partial");
    let mut out = File::create(&tmp).map_err(|e| ImportError::io(&tmp, e))?;
    std::io::copy(&mut entry, &mut out).map_err(|e| bad(format!("cannot extract {member}: {e}")))?;
    std::fs::rename(&tmp, &dest).map_err(|e| ImportError::io(&dest, e))?;
    Ok(dest)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_shipped_catalog_parses() {
        let s = parse_sources(SHIPPED_SOURCES.0, SHIPPED_SOURCES.1).unwrap();
        assert!(s.iter().any(|e| e.name == "mobpro-2021" && e.format == "mobpro"));
        assert!(find(&s, "nope").unwrap_err().to_string().contains("mobpro-2021"));
        assert!(parse_sources("x", "[[source]]\nname='a'\ntitle='t'\nurl='u'\nformat='weird'\n").is_err());
    }
}
