//! The whole experiment of the page as plain data, and its encoding in the URL hash
//! (`#m=b_residual&p=TRT_INT8&ew=none&pass=5&op=add`). Only values that differ from the defaults are
//! written, so links stay short. Parsing never fails: an unknown key or a bad value is skipped and reported
//! as a sentence the page shows, so a hand-edited hash gives a readable message, never a crash.
//!
//! A user's own file is never in the URL: `m` only ever names a bundled sample.

use ppq_core::platform::TargetPlatform;
use ppq_core::quirks::Quirks;
use ppq_core::state::StateModel;
use ppq_pipeline::setting::{AlignmentMethod, QuantizationSetting};
use ppq_session as session;
use ppq_session::SessionSettings;

/// Observers the page offers (the activation observer of RuntimeCalibrationPass).
pub const OBSERVERS: &[&str] = &["minmax", "percentile", "kl", "mse"];

/// Platforms the page offers (the bundled samples have real-PPQ runs for these three).
pub const PLATFORMS: &[&str] = &["TRT_INT8", "PPL_CUDA_INT8", "PPL_DSP_INT8"];

/// Controls a course page can hide (`hide=settings,compare`).
pub const HIDEABLE: &[&str] = &["open", "settings", "compare", "learn", "stepper"];

/// Side-by-side sweeps (`sweep=ew`): the key, then each column's label and overrides.
pub const SWEEPS: &[(&str, &[(&str, &str)])] = &[
    ("ew", &[("Align to Large", "ew:large"), ("Align to Output", "ew:output"), ("None", "ew:none")]),
    ("cat", &[("Align to Large", "cat:large"), ("Align to Output", "cat:output"), ("None", "cat:none")]),
    ("fo", &[("force_overlap on", "fo:1"), ("force_overlap off", "fo:0")]),
];

/// One experiment: what the page shows and how it was quantized.
#[derive(Debug, Clone, PartialEq)]
pub struct Experiment {
    /// Bundled sample name (`None`: nothing open, or the user's own file).
    pub sample: Option<String>,
    /// PPQ platform name.
    pub platform: String,
    /// Which PPQ's state machine.
    pub state_model: StateModel,
    /// Reproduce PPQ's quirks or fix them.
    pub quirks: Quirks,
    /// Activation observer.
    pub observer: String,
    /// Add/Sub/Sum alignment (`None`: the platform's default).
    pub elementwise: Option<AlignmentMethod>,
    /// Concat alignment.
    pub concat: Option<AlignmentMethod>,
    /// Pooling alignment.
    pub pooling: Option<AlignmentMethod>,
    /// Resize alignment.
    pub resize: Option<AlignmentMethod>,
    /// `force_overlap` (`None`: the default, true).
    pub force_overlap: Option<bool>,
    /// Skip ParameterBakingPass (`bake=0`).
    pub no_baking: bool,
    /// Pass position (snapshot index; `None`: the final state).
    pub pass: Option<usize>,
    /// Selected op name.
    pub op: Option<String>,
    /// Highlighted TQC id.
    pub tqc: Option<String>,
    /// Random-input seed; 0 means the bundled reference calibration data (what real PPQ saw).
    pub seed: u32,
    /// Open lesson id.
    pub lesson: Option<String>,
    /// Course mode: controls to hide.
    pub hide: Vec<String>,
    /// Rule-set comparison: overrides for the second setting (`p:PPL_DSP_INT8;ew:none`).
    pub compare: Option<String>,
    /// Side-by-side sweep of one setting (a key of [`SWEEPS`]).
    pub sweep: Option<String>,
}

impl Default for Experiment {
    fn default() -> Self {
        Self {
            sample: None,
            platform: "TRT_INT8".into(),
            state_model: StateModel::Ppq066,
            quirks: Quirks::Faithful,
            observer: "minmax".into(),
            elementwise: None,
            concat: None,
            pooling: None,
            resize: None,
            force_overlap: None,
            no_baking: false,
            pass: None,
            op: None,
            tqc: None,
            seed: 0,
            lesson: None,
            hide: Vec::new(),
            compare: None,
            sweep: None,
        }
    }
}

/// Short URL names of the alignment methods.
fn method_code(m: AlignmentMethod) -> &'static str {
    match m {
        AlignmentMethod::AlignToLarge => "large",
        AlignmentMethod::AlignToOutput => "output",
        AlignmentMethod::AlignToInput => "input",
        AlignmentMethod::None => "none",
    }
}

fn method_from_code(s: &str) -> Option<AlignmentMethod> {
    match s {
        "large" => Some(AlignmentMethod::AlignToLarge),
        "output" => Some(AlignmentMethod::AlignToOutput),
        "input" => Some(AlignmentMethod::AlignToInput),
        "none" => Some(AlignmentMethod::None),
        _ => AlignmentMethod::from_name(s),
    }
}

/// Percent-encodes everything but unreserved characters and `:` (TQC ids read better with it).
pub fn encode_component(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~' | b':') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// Decodes `%XX` escapes (and `+` as a space); `None` for a broken escape or invalid UTF-8.
pub fn decode_component(s: &str) -> Option<String> {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'%' => {
                let hex = s.get(i + 1..i + 3)?;
                out.push(u8::from_str_radix(hex, 16).ok()?);
                i += 3;
            }
            b'+' => {
                out.push(b' ');
                i += 1;
            }
            b => {
                out.push(b);
                i += 1;
            }
        }
    }
    String::from_utf8(out).ok()
}

impl Experiment {
    /// The URL hash (with its leading `#`; just `#` for the default experiment).
    pub fn to_hash(&self) -> String {
        let d = Self::default();
        let mut kv: Vec<(&str, String)> = Vec::new();
        if let Some(s) = &self.sample {
            kv.push(("m", s.clone()));
        }
        if self.platform != d.platform {
            kv.push(("p", self.platform.clone()));
        }
        if self.state_model != d.state_model {
            kv.push(("sm", self.state_model.name().trim_start_matches("ppq-").into()));
        }
        if self.quirks != d.quirks {
            kv.push(("q", self.quirks.name().into()));
        }
        if self.observer != d.observer {
            kv.push(("obs", self.observer.clone()));
        }
        for (k, v) in [("ew", self.elementwise), ("cat", self.concat), ("pool", self.pooling), ("rs", self.resize)] {
            if let Some(m) = v {
                kv.push((k, method_code(m).into()));
            }
        }
        if let Some(f) = self.force_overlap {
            kv.push(("fo", if f { "1" } else { "0" }.into()));
        }
        if self.no_baking {
            kv.push(("bake", "0".into()));
        }
        if self.seed != 0 {
            kv.push(("seed", self.seed.to_string()));
        }
        if let Some(c) = &self.compare {
            kv.push(("vs", c.clone()));
        }
        if let Some(s) = &self.sweep {
            kv.push(("sweep", s.clone()));
        }
        if let Some(p) = self.pass {
            kv.push(("pass", p.to_string()));
        }
        if let Some(o) = &self.op {
            kv.push(("op", o.clone()));
        }
        if let Some(t) = &self.tqc {
            kv.push(("hl", t.clone()));
        }
        if let Some(l) = &self.lesson {
            kv.push(("lesson", l.clone()));
        }
        if !self.hide.is_empty() {
            kv.push(("hide", self.hide.join(",")));
        }
        let body: Vec<String> = kv.into_iter().map(|(k, v)| format!("{k}={}", encode_component(&v))).collect();
        format!("#{}", body.join("&"))
    }

    /// Parses a hash (with or without `#`). Unknown keys and bad values are skipped, each with a sentence.
    pub fn from_hash(hash: &str) -> (Self, Vec<String>) {
        let mut e = Self::default();
        let mut warnings = Vec::new();
        let body = hash.strip_prefix('#').unwrap_or(hash);
        for part in body.split('&').filter(|p| !p.is_empty()) {
            let (k, raw) = part.split_once('=').unwrap_or((part, ""));
            let Some(v) = decode_component(raw) else {
                warnings.push(format!("'{}': the value is not valid URL encoding", short(part)));
                continue;
            };
            if let Err(w) = e.set(k, &v) {
                warnings.push(w);
            }
        }
        (e, warnings)
    }

    /// Sets one field from its URL key and text value; `Err` is a sentence for the page.
    pub fn set(&mut self, key: &str, v: &str) -> Result<(), String> {
        let bad = |what: &str| format!("{key}={}: {what}", short(v));
        let method = |v: &str| method_from_code(v).ok_or_else(|| bad("not an alignment method (large, output, none)"));
        match key {
            "m" => self.sample = (!v.is_empty()).then(|| v.to_string()),
            "p" => {
                if TargetPlatform::from_name(v).is_none() || !PLATFORMS.contains(&v) {
                    return Err(bad(&format!("unknown platform, choose one of {}", PLATFORMS.join(", "))));
                }
                self.platform = v.to_string();
            }
            "sm" => self.state_model = StateModel::from_name(v).ok_or_else(|| bad("state model is 0.6.6 or 0.6.5"))?,
            "q" => self.quirks = Quirks::from_name(v).ok_or_else(|| bad("quirks is faithful or fixed"))?,
            "obs" => {
                if !OBSERVERS.contains(&v) {
                    return Err(bad(&format!("unknown observer, choose one of {}", OBSERVERS.join(", "))));
                }
                self.observer = v.to_string();
            }
            "ew" => self.elementwise = Some(method(v)?),
            "cat" => self.concat = Some(method(v)?),
            "pool" => self.pooling = Some(method(v)?),
            "rs" => self.resize = Some(method(v)?),
            "bake" => {
                self.no_baking = match v {
                    "1" | "true" => false,
                    "0" | "false" => true,
                    _ => return Err(bad("bake is 1 or 0")),
                }
            }
            "fo" => {
                self.force_overlap = Some(match v {
                    "1" | "true" => true,
                    "0" | "false" => false,
                    _ => return Err(bad("force_overlap is 1 or 0")),
                })
            }
            "seed" => self.seed = v.parse().map_err(|_| bad("the seed is a whole number"))?,
            "vs" => self.compare = (!v.is_empty()).then(|| v.to_string()),
            "sweep" => {
                if !v.is_empty() && !SWEEPS.iter().any(|(k, _)| *k == v) {
                    let keys: Vec<&str> = SWEEPS.iter().map(|(k, _)| *k).collect();
                    return Err(bad(&format!("unknown sweep, choose one of {}", keys.join(", "))));
                }
                self.sweep = (!v.is_empty()).then(|| v.to_string());
            }
            "pass" => self.pass = Some(v.parse().map_err(|_| bad("the pass position is a whole number"))?),
            "op" => self.op = (!v.is_empty()).then(|| v.to_string()),
            "hl" => self.tqc = (!v.is_empty()).then(|| v.to_string()),
            "lesson" => self.lesson = (!v.is_empty()).then(|| v.to_string()),
            "hide" => {
                let mut hide = Vec::new();
                for h in v.split(',').filter(|h| !h.is_empty()) {
                    if !HIDEABLE.contains(&h) {
                        return Err(bad(&format!("'{}' cannot be hidden ({})", short(h), HIDEABLE.join(", "))));
                    }
                    hide.push(h.to_string());
                }
                self.hide = hide;
            }
            _ => return Err(format!("unknown setting '{}' in the link, ignored", short(key))),
        }
        Ok(())
    }

    /// Applies `key:value;key:value` overrides (the `vs` comparison, lesson steps). Bad parts are reported.
    pub fn with_overrides(&self, overrides: &str) -> (Self, Vec<String>) {
        let mut e = self.clone();
        let mut warnings = Vec::new();
        for part in overrides.split(';').filter(|p| !p.is_empty()) {
            let (k, v) = part.split_once(':').unwrap_or((part, ""));
            if let Err(w) = e.set(k, v) {
                warnings.push(w);
            }
        }
        (e, warnings)
    }

    /// The columns of the experiment's sweep (empty without one).
    pub fn sweep_variants(&self) -> &'static [(&'static str, &'static str)] {
        let key = self.sweep.as_deref().unwrap_or_default();
        SWEEPS.iter().find(|(k, _)| *k == key).map_or(&[], |(_, v)| v)
    }

    /// Whether course mode hides `control`.
    pub fn hides(&self, control: &str) -> bool {
        self.hide.iter().any(|h| h == control)
    }

    /// The settings that change the quantization (not the view): equal keys mean the same run.
    pub fn run_key(&self) -> String {
        let view = Self {
            pass: None,
            op: None,
            tqc: None,
            lesson: None,
            hide: Vec::new(),
            compare: None,
            sweep: None,
            ..self.clone()
        };
        view.to_hash()
    }

    /// The quantization choices of this experiment as the CLI and the worker hold them.
    pub fn session_settings(&self) -> SessionSettings {
        SessionSettings {
            platform: self.platform.clone(),
            state_model: self.state_model.name().into(),
            quirks: self.quirks.name().into(),
            observer: self.observer.clone(),
            steps: None,
            keep_float: Vec::new(),
            elementwise_alignment: self.elementwise,
            concat_alignment: self.concat,
            pooling_alignment: self.pooling,
            resize_alignment: self.resize,
            force_overlap: self.force_overlap,
            no_baking: self.no_baking,
        }
    }

    /// The pipeline platform and setting this experiment asks for (through the same
    /// [`session::quantization_setting`] as the CLI; PPQ's default 32 calibration steps); errors are sentences.
    pub fn to_setting(&self) -> Result<(TargetPlatform, QuantizationSetting), String> {
        session::quantization_setting(&self.session_settings(), 32)
    }

    /// One line naming the settings that differ from the defaults (`PPL_DSP_INT8 · ew none`).
    pub fn label(&self) -> String {
        let mut parts = vec![self.platform.clone(), self.state_model.name().into(), self.quirks.name().into()];
        if self.observer != "minmax" {
            parts.push(self.observer.clone());
        }
        for (k, v) in
            [("Add", self.elementwise), ("Concat", self.concat), ("Pool", self.pooling), ("Resize", self.resize)]
        {
            if let Some(m) = v {
                parts.push(format!("{k}: {}", m.name()));
            }
        }
        if let Some(f) = self.force_overlap {
            parts.push(format!("force_overlap={f}"));
        }
        if self.no_baking {
            parts.push("no baking".into());
        }
        if self.seed != 0 {
            parts.push(format!("seed {}", self.seed));
        }
        parts.join(" · ")
    }
}

/// At most 40 characters of user text, for messages.
fn short(s: &str) -> String {
    let mut out: String = s.chars().take(40).collect();
    if s.chars().count() > 40 {
        out.push('…');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn full() -> Experiment {
        Experiment {
            sample: Some("b_residual".into()),
            platform: "PPL_DSP_INT8".into(),
            state_model: StateModel::Ppq065,
            quirks: Quirks::Fixed,
            observer: "kl".into(),
            elementwise: Some(AlignmentMethod::None),
            concat: Some(AlignmentMethod::AlignToLarge),
            pooling: Some(AlignmentMethod::AlignToOutput),
            resize: Some(AlignmentMethod::None),
            force_overlap: Some(false),
            no_baking: true,
            pass: Some(5),
            op: Some("add & co/ü".into()),
            tqc: Some("add:in0:c2".into()),
            seed: 42,
            lesson: Some("states".into()),
            hide: vec!["settings".into(), "open".into()],
            compare: Some("p:TRT_INT8;ew:large".into()),
            sweep: Some("cat".into()),
        }
    }

    #[test]
    fn default_is_an_empty_hash() {
        assert_eq!(Experiment::default().to_hash(), "#");
        assert_eq!(Experiment::from_hash(""), (Experiment::default(), vec![]));
        assert_eq!(Experiment::from_hash("#"), (Experiment::default(), vec![]));
    }

    #[test]
    fn round_trip() {
        let e = full();
        let h = e.to_hash();
        assert!(h.contains("hl=add:in0:c2") && h.contains("op=add%20%26%20co%2F%C3%BC"), "{h}");
        assert_eq!(Experiment::from_hash(&h), (e.clone(), vec![]));
        assert_eq!(Experiment::from_hash(h.trim_start_matches('#')).0, e);
    }

    #[test]
    fn garbage_gives_sentences_not_panics() {
        for h in [
            "#%",
            "#m=%zz",
            "#p=NOPE",
            "#pass=-1",
            "#pass=99999999999999999999",
            "#=&&=x",
            "#seed=abc",
            "#ew=up",
            "#hide=everything",
            "#sm=0.7",
            "#q=maybe",
            "#fo=2",
            "#obs=magic",
            "#m=%C3",
            "#x",
            "#op=%E2%82",
            "#sweep=everything",
        ] {
            let (e, w) = Experiment::from_hash(h);
            assert!(!w.is_empty() || e == Experiment::default(), "{h}");
            for s in &w {
                assert!(!s.is_empty() && s.len() < 200, "{h}: {s}");
            }
        }
        let (e, w) = Experiment::from_hash("#m=b_residual&p=NOPE&pass=3");
        assert_eq!(e.sample.as_deref(), Some("b_residual"));
        assert_eq!(e.pass, Some(3));
        assert_eq!(w.len(), 1);
        assert!(w[0].contains("unknown platform"), "{}", w[0]);
        let (e, w) = Experiment::from_hash("#sweep=ew");
        assert!(w.is_empty());
        let cols: Vec<&str> = e.sweep_variants().iter().map(|(_, o)| *o).collect();
        assert_eq!(cols, ["ew:large", "ew:output", "ew:none"]);
        assert!(Experiment::default().sweep_variants().is_empty());
        let (_, w) = Experiment::from_hash("#sweep=zz");
        assert!(w[0].contains("unknown sweep"), "{w:?}");
    }

    #[test]
    fn arbitrary_bytes_never_panic() {
        let mut s: u32 = 7;
        for _ in 0..2000 {
            let len = (s % 30) as usize;
            let mut text = String::from("#");
            for _ in 0..len {
                s ^= s << 13;
                s ^= s >> 17;
                s ^= s << 5;
                text.push(char::from_u32(s % 0x250).unwrap_or('%'));
            }
            let _ = Experiment::from_hash(&text);
        }
    }

    #[test]
    fn settings_follow_the_experiment() {
        let (e, w) = Experiment::from_hash("#m=b_residual&p=PPL_DSP_INT8&ew=none&fo=0&obs=percentile");
        assert!(w.is_empty());
        let (p, s) = e.to_setting().unwrap();
        assert_eq!(p, TargetPlatform::PplDspInt8);
        assert!(s.equalization, "the DSP factory setting is kept");
        assert_eq!(s.quantize_alignment_setting.elementwise_alignment, AlignmentMethod::None);
        assert!(!s.quantize_alignment_setting.force_overlap);
        let (bad, _) = Experiment::from_hash("#cat=input");
        assert!(bad.to_setting().unwrap_err().contains("concat_alignment"));
        let (e, w) = Experiment::from_hash("#rs=none&bake=0");
        assert!(w.is_empty());
        let (_, s) = e.to_setting().unwrap();
        assert_eq!(s.quantize_alignment_setting.resize_alignment, AlignmentMethod::None);
        assert!(!s.quantize_parameter_setting.baking_parameter);
    }

    #[test]
    fn overrides_and_run_key() {
        let base = full();
        let (o, w) = base.with_overrides("p:TRT_INT8;ew:large;zz:1");
        assert_eq!(o.platform, "TRT_INT8");
        assert_eq!(o.elementwise, Some(AlignmentMethod::AlignToLarge));
        assert_eq!(w.len(), 1);
        let mut moved = base.clone();
        moved.pass = Some(1);
        moved.op = None;
        assert_eq!(moved.run_key(), base.run_key());
        assert_ne!(o.run_key(), base.run_key());
    }
}
