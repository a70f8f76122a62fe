//! A folder of PNG/JPEG images as calibration samples for an NCHW image input: each image is decoded (under
//! size limits), converted to RGB or grayscale by the input's channel count, resized to H×W (bilinear),
//! normalised per channel as `(pixel − mean) / std` with pixels in 0–255, and laid out as `[1, C, H, W]`.

use super::{CalibData, MAX_CALIB_SAMPLES};
use image::imageops::{self, FilterType};
use image::{ImageReader, Limits};
use serde::{Deserialize, Serialize};
use std::io::Cursor;

/// Largest decoded image side accepted.
pub const MAX_IMAGE_SIDE: u32 = 8192;

/// Whether a file name is one the image reader takes (`.png`, `.jpg`, `.jpeg`, any case): the CLI's folder
/// listing and the page's file picker choose images by the same rule.
pub fn is_image_name(name: &str) -> bool {
    let ext = name.rsplit_once('.').map(|(_, e)| e.to_ascii_lowercase());
    matches!(ext.as_deref(), Some("png" | "jpg" | "jpeg"))
}

/// How images become input tensors (serialisable: the page sends them to its worker with the image bytes).
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct ImageOptions {
    /// Target `(H, W)`; `None` takes the model input's declared H and W.
    pub size: Option<(usize, usize)>,
    /// Per-channel mean (one value for all channels, or one per channel); empty = 0.
    pub mean: Vec<f32>,
    /// Per-channel divisor (one value, or one per channel); empty = 1.
    pub std: Vec<f32>,
    /// Channels in blue, green, red order (OpenCV-trained models) instead of RGB.
    pub bgr: bool,
}

/// The per-channel values of `v` for `c` channels (`v` empty → `default`, one value → repeated).
fn per_channel(what: &str, v: &[f32], c: usize, default: f32) -> Result<Vec<f32>, String> {
    match v.len() {
        0 => Ok(vec![default; c]),
        1 => Ok(vec![v[0]; c]),
        n if n == c => Ok(v.to_vec()),
        n => Err(format!("--{what} has {n} values; the input has {c} channels (give 1 or {c})")),
    }
}

/// The `(C, H, W)` of one sample, from the input's declared `[N, C, H, W]` (unknown channels: 3) and the options.
fn layout(input: &str, declared: Option<&[Option<i64>]>, opts: &ImageOptions) -> Result<[usize; 3], String> {
    let dims = declared.ok_or_else(|| format!("input '{input}' declares no shape; images need an NCHW input"))?;
    let &[n, c, h, w] = dims else {
        return Err(format!("input '{input}' has rank {}; images need an NCHW input of rank 4", dims.len()));
    };
    if n.is_some_and(|n| n != 1) {
        return Err(format!("input '{input}' has batch {n:?}; images are fed one at a time (batch 1)"));
    }
    let c = match c {
        None | Some(3) => 3,
        Some(1) => 1,
        Some(c) => return Err(format!("input '{input}' has {c} channels; images give 1 (gray) or 3 (colour)")),
    };
    let side = |d: Option<i64>| d.and_then(|d| usize::try_from(d).ok()).filter(|&d| d > 0);
    let (h, w) = match (opts.size, side(h), side(w)) {
        (Some(hw), _, _) => hw,
        (None, Some(h), Some(w)) => (h, w),
        _ => return Err(format!("input '{input}' has symbolic height/width; give --image-size H,W")),
    };
    let limit = MAX_IMAGE_SIDE as usize;
    if h == 0 || w == 0 || h > limit || w > limit {
        return Err(format!("image size {h}×{w}: each side must be 1 to {limit}"));
    }
    Ok([c, h, w])
}

/// Decodes `bytes` (PNG or JPEG, sniffed from the content) into a `[C, H, W]` float sample.
fn decode(
    name: &str,
    bytes: &[u8],
    [c, h, w]: [usize; 3],
    mean: &[f32],
    std: &[f32],
    bgr: bool,
) -> Result<Vec<f32>, String> {
    let mut reader =
        ImageReader::new(Cursor::new(bytes)).with_guessed_format().map_err(|e| format!("image '{name}': {e}"))?;
    let mut limits = Limits::default();
    limits.max_image_width = Some(MAX_IMAGE_SIDE);
    limits.max_image_height = Some(MAX_IMAGE_SIDE);
    limits.max_alloc = Some(256 << 20);
    reader.limits(limits);
    let img = reader.decode().map_err(|e| format!("image '{name}': {e}"))?;
    let side = |d: usize| u32::try_from(d).map_err(|_| format!("image size {h}×{w} is too large"));
    let (tw, th) = (side(w)?, side(h)?);
    let mut out = vec![0f32; c * h * w];
    if c == 1 {
        let gray = img.to_luma8();
        let gray =
            if gray.dimensions() == (tw, th) { gray } else { imageops::resize(&gray, tw, th, FilterType::Triangle) };
        for (o, p) in out.iter_mut().zip(gray.pixels()) {
            *o = (f32::from(p.0[0]) - mean[0]) / std[0];
        }
    } else {
        let rgb = img.to_rgb8();
        let rgb = if rgb.dimensions() == (tw, th) { rgb } else { imageops::resize(&rgb, tw, th, FilterType::Triangle) };
        let plane = h * w;
        for (i, p) in rgb.pixels().enumerate() {
            for ch in 0..3 {
                let src = if bgr { 2 - ch } else { ch };
                if let Some(o) = out.get_mut(ch * plane + i) {
                    *o = (f32::from(p.0[src]) - mean[ch]) / std[ch];
                }
            }
        }
    }
    Ok(out)
}

/// Calibration samples for input `input` (declared dims `declared`) from `(file name, bytes)` images, in the
/// order given. Errors name the image or the option at fault.
pub fn calib_from_images(
    files: &[(String, Vec<u8>)],
    input: &str,
    declared: Option<&[Option<i64>]>,
    opts: &ImageOptions,
) -> Result<CalibData, String> {
    if files.is_empty() {
        return Err("no PNG or JPEG images found".into());
    }
    if files.len() > MAX_CALIB_SAMPLES {
        return Err(format!("{} images (limit {MAX_CALIB_SAMPLES})", files.len()));
    }
    let [c, h, w] = layout(input, declared, opts)?;
    let mean = per_channel("mean", &opts.mean, c, 0.0)?;
    let std = per_channel("std", &opts.std, c, 1.0)?;
    if let Some(s) = std.iter().find(|s| !s.is_finite() || **s == 0.0) {
        return Err(format!("--std {s}: divisors must be finite and non-zero"));
    }
    if let Some(m) = mean.iter().find(|m| !m.is_finite()) {
        return Err(format!("--mean {m}: values must be finite"));
    }
    let samples = files
        .iter()
        .map(|(name, bytes)| decode(name, bytes, [c, h, w], &mean, &std, opts.bgr))
        .collect::<Result<Vec<_>, _>>()?;
    Ok(CalibData { input_name: Some(input.to_string()), sample_shape: vec![1, c, h, w], samples })
}

#[cfg(test)]
mod tests {
    use super::*;
    use image::{ImageFormat, Rgb, RgbImage};

    fn png(w: u32, h: u32, f: impl Fn(u32, u32) -> [u8; 3]) -> Vec<u8> {
        let img = RgbImage::from_fn(w, h, |x, y| Rgb(f(x, y)));
        let mut out = Cursor::new(Vec::new());
        img.write_to(&mut out, ImageFormat::Png).unwrap();
        out.into_inner()
    }

    #[test]
    fn rgb_and_bgr_planes_with_normalisation() {
        let files = vec![("a.png".to_string(), png(2, 2, |x, _| [10, 20, if x == 0 { 30 } else { 40 }]))];
        let dims = [Some(1), Some(3), Some(2), Some(2)];
        let opts = ImageOptions { mean: vec![10.0], std: vec![2.0], ..ImageOptions::default() };
        let c = calib_from_images(&files, "x", Some(&dims), &opts).unwrap();
        assert_eq!(c.sample_shape, vec![1, 3, 2, 2]);
        assert_eq!(c.samples[0], vec![0., 0., 0., 0., 5., 5., 5., 5., 10., 15., 10., 15.]);
        let bgr = calib_from_images(&files, "x", Some(&dims), &ImageOptions { bgr: true, ..opts }).unwrap();
        assert_eq!(bgr.samples[0][..4], [10., 15., 10., 15.]);
    }

    #[test]
    fn grayscale_and_resize_follow_the_input() {
        let files = vec![("g.png".to_string(), png(4, 4, |_, _| [200, 200, 200]))];
        let dims = [Some(1), Some(1), None, None];
        assert!(
            calib_from_images(&files, "x", Some(&dims), &ImageOptions::default()).unwrap_err().contains("--image-size")
        );
        let opts = ImageOptions { size: Some((2, 3)), ..ImageOptions::default() };
        let c = calib_from_images(&files, "x", Some(&dims), &opts).unwrap();
        assert_eq!(c.sample_shape, vec![1, 1, 2, 3]);
        assert!(c.samples[0].iter().all(|&v| (v - 200.0).abs() < 1.0), "{:?}", c.samples[0]);
    }

    #[test]
    fn image_names_by_extension() {
        assert!(is_image_name("a.PNG") && is_image_name("b.jpeg") && is_image_name("c.d.jpg"));
        assert!(!is_image_name("png") && !is_image_name("x.npy") && !is_image_name("x.png.json"));
    }

    #[test]
    fn bad_images_and_options_are_named() {
        let dims = [Some(1), Some(3), Some(2), Some(2)];
        let files = vec![("broken.jpg".to_string(), b"\xFF\xD8\xFFnot really".to_vec())];
        assert!(
            calib_from_images(&files, "x", Some(&dims), &ImageOptions::default()).unwrap_err().contains("broken.jpg")
        );
        let ok = vec![("a.png".to_string(), png(2, 2, |_, _| [0, 0, 0]))];
        let two = ImageOptions { mean: vec![1.0, 2.0], ..ImageOptions::default() };
        assert!(calib_from_images(&ok, "x", Some(&dims), &two).unwrap_err().contains("--mean"));
        assert!(
            calib_from_images(&ok, "x", Some(&[Some(1), Some(4), Some(2), Some(2)]), &ImageOptions::default())
                .unwrap_err()
                .contains("4 channels")
        );
    }
}
