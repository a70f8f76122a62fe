//! Calibration from the user's PNG/JPEG files: the images chosen with their preprocessing (size, mean/std,
//! channel order), the controls block that edits it, and the worker check that decides whether the page adopts
//! them. The page never decodes an image: the worker reads them with the CLI's reader
//! ([`ppq_session::calib::images`]), so page and CLI calibrate on the same tensors.

use super::loader;
use ppq_graph::BaseGraph;
use ppq_session::calib::{ImageOptions, MAX_CALIB_BYTES, is_image_name};
use ppq_session::declared_dims;
use ppq_worker::protocol::{CalibSource, Request};
use web_sys::{File, HtmlInputElement, HtmlSelectElement};
use yew::prelude::*;

/// Image files as `(name, bytes)`.
pub type ImageFiles = Vec<(String, Vec<u8>)>;

/// The images the user chose last and the check in flight.
#[derive(Default)]
pub struct ImageCalib {
    /// The latest images and options chosen (kept after a failed check, so the options can be fixed).
    chosen: Option<(ImageFiles, ImageOptions)>,
    /// The ticket of the check whose answer the page waits for.
    waiting: Option<u64>,
    ticket: u64,
}

/// Whether `files` are all images (so they calibrate as a set); `None` when images and other files are mixed.
pub fn all_images(files: &[File]) -> Option<bool> {
    let images = files.iter().filter(|f| is_image_name(&f.name())).count();
    match images {
        0 => Some(false),
        n if n == files.len() => Some(true),
        _ => None,
    }
}

/// Reads the files, sorted by name as the CLI sorts a folder. Their total size is bounded like one calibration
/// file's ([`MAX_CALIB_BYTES`]): they travel to the worker as JSON text.
pub async fn read_images(files: Vec<File>) -> Result<ImageFiles, String> {
    let total: f64 = files.iter().map(|f| f.size()).sum();
    if total > MAX_CALIB_BYTES as f64 {
        return Err(format!("{} images of {total} bytes in all (limit {MAX_CALIB_BYTES})", files.len()));
    }
    let mut out = Vec::with_capacity(files.len());
    for f in &files {
        out.push((f.name(), loader::read_file(f).await?));
    }
    out.sort_by(|a, b| a.0.cmp(&b.0));
    Ok(out)
}

/// The declared height and width of the model's single NCHW input, when known.
pub fn model_size(g: &BaseGraph) -> Option<(usize, usize)> {
    let &[input] = &g.inputs[..] else { return None };
    match declared_dims(g, input)?[..] {
        [_, _, Some(h), Some(w)] => Some((usize::try_from(h).ok()?, usize::try_from(w).ok()?)),
        _ => None,
    }
}

impl ImageCalib {
    /// Forgets the chosen images (another model or another kind of data).
    pub fn clear(&mut self) {
        self.chosen = None;
        self.waiting = None;
    }

    /// The options of the chosen images, for the controls (`None`: no images chosen).
    pub fn chosen(&self) -> Option<(usize, &ImageOptions)> {
        self.chosen.as_ref().map(|(f, o)| (f.len(), o))
    }

    /// Chooses new images with default options (the model's size, mean 0, std 1, RGB); the check to post.
    pub fn choose(&mut self, g: &BaseGraph, files: ImageFiles) -> Result<Request, String> {
        self.chosen = Some((files, ImageOptions::default()));
        self.check(g)
    }

    /// New options for the chosen images; the check to post (`None` when no images are chosen).
    pub fn set_options(&mut self, g: &BaseGraph, options: ImageOptions) -> Option<Result<Request, String>> {
        let (_, o) = self.chosen.as_mut()?;
        *o = options;
        Some(self.check(g))
    }

    fn check(&mut self, g: &BaseGraph) -> Result<Request, String> {
        let (files, options) = self.chosen.as_ref().ok_or("no images chosen")?;
        let &[input] = &g.inputs[..] else {
            return Err(format!("the model has {} inputs; calibration supports exactly one", g.inputs.len()));
        };
        self.ticket += 1;
        self.waiting = Some(self.ticket);
        Ok(Request::CheckCalib {
            ticket: self.ticket,
            input: g.var(input).name.clone(),
            dims: declared_dims(g, input),
            calib: CalibSource::Images { files: files.clone(), options: options.clone() },
        })
    }

    /// The worker's answer to check `ticket`: the calibration data to adopt (source, label, samples) or the
    /// error; `None` for an answer to a superseded check.
    #[allow(clippy::type_complexity)]
    pub fn answer(
        &mut self,
        ticket: u64,
        result: Result<usize, String>,
    ) -> Option<Result<(CalibSource, String, usize), String>> {
        if self.waiting != Some(ticket) {
            return None;
        }
        self.waiting = None;
        let (files, options) = self.chosen.as_ref()?;
        Some(result.map(|n| {
            let label = format!("{n} images, {}", describe(options));
            (CalibSource::Images { files: files.clone(), options: options.clone() }, label, n)
        }))
    }
}

/// A short description of the preprocessing, for the calibration label.
fn describe(o: &ImageOptions) -> String {
    let size = o.size.map_or_else(|| "model size".to_string(), |(h, w)| format!("{h}×{w}"));
    let list = |v: &[f32], d: &str| if v.is_empty() { d.to_string() } else { join(v) };
    format!("{size}, mean {}, std {}, {}", list(&o.mean, "0"), list(&o.std, "1"), if o.bgr { "BGR" } else { "RGB" })
}

fn join(v: &[f32]) -> String {
    v.iter().map(f32::to_string).collect::<Vec<_>>().join(",")
}

/// Parses `H×W` (or `HxW`, `H,W`); empty means the model's size.
fn parse_size(text: &str) -> Result<Option<(usize, usize)>, String> {
    let t = text.trim();
    if t.is_empty() {
        return Ok(None);
    }
    let parts: Vec<&str> = t.split(['×', 'x', 'X', ',', ' ']).filter(|p| !p.is_empty()).collect();
    let side = |p: &str| p.parse::<usize>().ok().filter(|&v| v > 0);
    match parts[..] {
        [h, w] => match (side(h), side(w)) {
            (Some(h), Some(w)) => Ok(Some((h, w))),
            _ => Err(format!("image size '{t}': give two positive whole numbers, H×W")),
        },
        _ => Err(format!("image size '{t}': give height and width, H×W")),
    }
}

/// Parses one value or one per channel, separated by commas or spaces; empty means the default.
fn parse_values(what: &str, text: &str) -> Result<Vec<f32>, String> {
    text.split([',', ' '])
        .filter(|p| !p.trim().is_empty())
        .map(|p| p.trim().parse::<f32>().map_err(|_| format!("{what} '{}': not a number", p.trim())))
        .collect()
}

/// The controls block's properties.
#[derive(Properties, PartialEq)]
pub struct ImageControlsProps {
    /// Images chosen.
    pub count: usize,
    /// Their options.
    pub options: ImageOptions,
    /// The model input's declared H×W (shown when no size is set).
    pub model_size: Option<(usize, usize)>,
    /// New options, or why the typed text is not valid.
    pub on_change: Callback<Result<ImageOptions, String>>,
}

/// Size, mean, std and channel order of the chosen images; every change asks the worker to read them again.
#[function_component(ImageControls)]
pub fn image_controls(p: &ImageControlsProps) -> Html {
    let o = &p.options;
    let edit = |f: fn(&mut ImageOptions, String) -> Result<(), String>| {
        let (cb, cur) = (p.on_change.clone(), o.clone());
        Callback::from(move |e: Event| {
            let value = e
                .target_dyn_into::<HtmlInputElement>()
                .map(|i| i.value())
                .or_else(|| e.target_dyn_into::<HtmlSelectElement>().map(|s| s.value()));
            if let Some(v) = value {
                let mut next = cur.clone();
                cb.emit(f(&mut next, v).map(|()| next));
            }
        })
    };
    let size = o.size.or(p.model_size).map_or_else(String::new, |(h, w)| format!("{h}×{w}"));
    html! {
        <fieldset id="calib-images" class="calib-images">
            <legend>{ format!("{} images: preprocessing", p.count) }</legend>
            <label class="inline" title="--image-size: resize every image to H×W (bilinear)">{ "Size H×W " }
                <input id="image-size" type="text" inputmode="numeric" value={size}
                    placeholder="model size" onchange={edit(|o, v| { o.size = parse_size(&v)?; Ok(()) })} />
            </label>
            <label class="inline" title="--mean: subtracted from pixels in 0–255 (one value or one per channel)">
                { "Mean " }
                <input id="image-mean" type="text" value={join(&o.mean)} placeholder="0"
                    onchange={edit(|o, v| { o.mean = parse_values("mean", &v)?; Ok(()) })} />
            </label>
            <label class="inline" title="--std: the divisor after the mean (one value or one per channel)">
                { "Std " }
                <input id="image-std" type="text" value={join(&o.std)} placeholder="1"
                    onchange={edit(|o, v| { o.std = parse_values("std", &v)?; Ok(()) })} />
            </label>
            <label class="inline" title="--channel-order: RGB, or BGR for OpenCV-trained models">
                { "Channels " }
                <select id="image-order" onchange={edit(|o, v| { o.bgr = v == "bgr"; Ok(()) })}>
                    <option value="rgb" selected={!o.bgr}>{ "RGB" }</option>
                    <option value="bgr" selected={o.bgr}>{ "BGR" }</option>
                </select>
            </label>
        </fieldset>
    }
}
