//! Writing NumPy `.npy` arrays: bulk results (a million nodes × 20 types) for other
//! tools to read without parsing text.

use std::io::Write;
use std::path::Path;

use crate::error::{AccessError, Result};

/// Element types echelle writes.
pub trait NpyType: Copy {
    /// The NumPy dtype string of the header (`<u4`, `<f8`…).
    const DESCR: &'static str;
    /// Appends the value, little-endian.
    fn put(self, out: &mut Vec<u8>);
}

impl NpyType for u32 {
    const DESCR: &'static str = "<u4";
    fn put(self, out: &mut Vec<u8>) {
        out.extend_from_slice(&self.to_le_bytes());
    }
}

impl NpyType for i64 {
    const DESCR: &'static str = "<i8";
    fn put(self, out: &mut Vec<u8>) {
        out.extend_from_slice(&self.to_le_bytes());
    }
}

impl NpyType for f64 {
    const DESCR: &'static str = "<f8";
    fn put(self, out: &mut Vec<u8>) {
        out.extend_from_slice(&self.to_le_bytes());
    }
}

/// Writes `data` (row-major) with `shape` as a version 1.0 `.npy` file.
pub fn write<T: NpyType>(path: &Path, shape: &[usize], data: &[T]) -> Result<()> {
    let want: usize = shape.iter().product();
    if want != data.len() {
        return Err(AccessError::Invalid(format!("npy: shape {shape:?} for {} values", data.len())));
    }
    let dims = match shape {
        [n] => format!("({n},)"),
        _ => format!("({})", shape.iter().map(|d| d.to_string()).collect::<Vec<_>>().join(", ")),
    };
    let mut header = format!("{{'descr': '{}', 'fortran_order': False, 'shape': {dims}, }}", T::DESCR);
    // Magic (6) + version (2) + length (2) + header + '\n' aligned to 64 bytes.
    let total = 10 + header.len() + 1;
    header.push_str(&" ".repeat((64 - total % 64) % 64));
    header.push('\n');
    let mut out = Vec::with_capacity(10 + header.len() + data.len() * 8);
    out.extend_from_slice(b"\x93NUMPY\x01\x00");
    out.extend_from_slice(&(header.len() as u16).to_le_bytes());
    out.extend_from_slice(header.as_bytes());
    for &x in data {
        x.put(&mut out);
    }
    let mut f = std::fs::File::create(path).map_err(|e| AccessError::io(path, e))?;
    f.write_all(&out).map_err(|e| AccessError::io(path, e))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn header_is_aligned_and_sized() {
        let d = tempfile::tempdir().unwrap();
        let p = d.path().join("a.npy");
        write(&p, &[2, 3], &[1u32, 2, 3, 4, 5, 6]).unwrap();
        let b = std::fs::read(&p).unwrap();
        let hlen = u16::from_le_bytes([b[8], b[9]]) as usize;
        assert_eq!((10 + hlen) % 64, 0);
        assert!(std::str::from_utf8(&b[10..10 + hlen]).unwrap().contains("'shape': (2, 3)"));
        assert_eq!(b.len(), 10 + hlen + 24);
        assert_eq!(&b[10 + hlen..10 + hlen + 4], &1u32.to_le_bytes());
        assert!(write(&p, &[4], &[1u32]).is_err());
    }
}
