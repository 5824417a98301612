//! A folder of files (a report's PDF, its tables as CSV and XLSX, its territories as
//! GeoPackage) delivered as one ZIP archive, which every system opens.

use std::io::Write;

use crate::ReportError;

/// The files, named with their path in the folder (`tableaux/1-population.csv`), as a
/// ZIP archive, deflated, in the order given.
pub fn zip(files: &[(String, Vec<u8>)]) -> Result<Vec<u8>, ReportError> {
    let fail = |e: &dyn std::fmt::Display| ReportError::Write { format: "ZIP", message: e.to_string() };
    let mut archive = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let options = zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Deflated);
    for (name, bytes) in files {
        archive.start_file(name.as_str(), options).map_err(|e| fail(&e))?;
        archive.write_all(bytes).map_err(|e| fail(&e))?;
    }
    Ok(archive.finish().map_err(|e| fail(&e))?.into_inner())
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_files_come_back_out() {
        let bytes = super::zip(&[("a.csv".into(), b"x;y\n".to_vec()), ("d/b.txt".into(), vec![b'z'; 10_000])]).unwrap();
        let mut archive = zip::ZipArchive::new(std::io::Cursor::new(bytes)).unwrap();
        assert_eq!(archive.len(), 2);
        let mut text = String::new();
        std::io::Read::read_to_string(&mut archive.by_name("a.csv").unwrap(), &mut text).unwrap();
        assert_eq!(text, "x;y\n");
        assert_eq!(archive.by_name("d/b.txt").unwrap().size(), 10_000);
    }
}
