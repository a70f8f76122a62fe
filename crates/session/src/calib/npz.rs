//! NumPy `.npz` reading: a zip of `.npy` members (stored or deflated, as `np.savez` / `np.savez_compressed`
//! write them), each decompressed under a size bound and read by [`read_npy`].

use super::{MAX_CALIB_BYTES, check_size, err, read_npy};
use ppq_graph::{GraphError, Tensor};
use std::io::{Cursor, Read};

/// Most arrays in one `.npz`.
pub const MAX_NPZ_ARRAYS: usize = 64;

/// The arrays of a `.npz`, in archive order, each named after its member without `.npy`.
pub fn read_npz(bytes: &[u8]) -> Result<Vec<(String, Tensor)>, GraphError> {
    check_size(bytes, ".npz")?;
    let mut zip = zip::ZipArchive::new(Cursor::new(bytes)).map_err(|e| err(format!("not a .npz (zip) file: {e}")))?;
    if zip.is_empty() {
        return Err(err("the .npz holds no arrays"));
    }
    if zip.len() > MAX_NPZ_ARRAYS {
        return Err(err(format!("the .npz holds {} arrays (limit {MAX_NPZ_ARRAYS})", zip.len())));
    }
    let mut out = Vec::with_capacity(zip.len());
    let mut total = 0usize;
    for i in 0..zip.len() {
        let member = zip.by_index(i).map_err(|e| err(format!(".npz member {i}: {e}")))?;
        let name = member.name().map_err(|e| err(format!(".npz member {i}: {e}")))?.to_string();
        let Some(array) = name.strip_suffix(".npy") else {
            return Err(err(format!(".npz member '{name}' is not a .npy array")));
        };
        // Decompress at most one byte over the limit, whatever the header claims.
        let budget = MAX_CALIB_BYTES.saturating_sub(total);
        let mut data = Vec::new();
        member
            .take(u64::try_from(budget).unwrap_or(u64::MAX).saturating_add(1))
            .read_to_end(&mut data)
            .map_err(|e| err(format!(".npz member '{name}': {e}")))?;
        total = total.saturating_add(data.len());
        if total > MAX_CALIB_BYTES {
            return Err(GraphError::TooLarge(format!(
                "the .npz decompresses to more than {MAX_CALIB_BYTES} bytes (at member '{name}')"
            )));
        }
        out.push((array.to_string(), read_npy(&name, &data)?));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::calib::write_npy_f32;
    use std::io::Write;

    fn npz(members: &[(&str, Vec<u8>)], method: zip::CompressionMethod) -> Vec<u8> {
        let mut w = zip::ZipWriter::new(Cursor::new(Vec::new()));
        for (name, bytes) in members {
            w.start_file(*name, zip::write::SimpleFileOptions::default().compression_method(method)).unwrap();
            w.write_all(bytes).unwrap();
        }
        w.finish().unwrap().into_inner()
    }

    #[test]
    fn reads_stored_and_deflated_members() {
        let a = write_npy_f32(&[2, 3], &[1., 2., 3., 4., 5., 6.]).unwrap();
        let b = write_npy_f32(&[1], &[7.]).unwrap();
        for method in [zip::CompressionMethod::Stored, zip::CompressionMethod::Deflated] {
            let arrays = read_npz(&npz(&[("x.npy", a.clone()), ("y.npy", b.clone())], method)).unwrap();
            let names: Vec<&str> = arrays.iter().map(|(n, _)| n.as_str()).collect();
            assert_eq!(names, ["x", "y"]);
            assert_eq!(arrays[0].1.shape(), &[2, 3]);
        }
    }

    #[test]
    fn refuses_bad_archives_with_a_message() {
        let a = write_npy_f32(&[1], &[1.]).unwrap();
        assert!(read_npz(b"PK\x03\x04garbage").unwrap_err().to_string().contains(".npz"));
        let not_npy = npz(&[("notes.txt", b"hi".to_vec())], zip::CompressionMethod::Stored);
        assert!(read_npz(&not_npy).unwrap_err().to_string().contains("notes.txt"));
        let bad_member = npz(&[("x.npy", a[..a.len() - 1].to_vec())], zip::CompressionMethod::Deflated);
        assert!(read_npz(&bad_member).unwrap_err().to_string().contains("x.npy"));
        let full = npz(&[("x.npy", a)], zip::CompressionMethod::Deflated);
        for cut in 0..full.len() {
            let _ = read_npz(&full[..cut]);
        }
    }
}
