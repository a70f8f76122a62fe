//! The whole experiment of the page as plain data, and its encoding in the URL hash
//! (`#m=b_residual&p=TRT_INT8&ew=none&pass=5&op=add`): the run's [`SessionSettings`] (their URL keys come
//! from the session's option table) plus what the page shows of it. Only values that differ from the
//! baseline are written, so links stay short. Parsing never fails: an unknown key or a bad value is skipped
//! and reported as a sentence the page shows, so a hand-edited hash gives a readable message, never a crash.
//!
//! A user's own file is never in the URL: `m` only ever names a bundled sample.

use ppq_core::platform::TargetPlatform;
use ppq_pipeline::setting::QuantizationSetting;
use ppq_session as session;
use ppq_session::SessionSettings;
use ppq_session::settings::{option_by_url, short};

/// Controls a course page can hide (`hide=settings,compare`).
pub const HIDEABLE: &[&str] = &["open", "settings", "compare", "learn", "stepper"];

/// Side-by-side sweeps (`sweep=ew`): the key, then each column's label and overrides.
pub const SWEEPS: &[(&str, &[(&str, &str)])] = &[
    ("ew", &[("Align to Large", "ew:large"), ("Align to Output", "ew:output"), ("None", "ew:none")]),
    ("cat", &[("Align to Large", "cat:large"), ("Align to Output", "cat:output"), ("None", "cat:none")]),
    ("fo", &[("force_overlap on", "fo:1"), ("force_overlap off", "fo:0")]),
];

/// One experiment: how it is quantized and what the page shows of it.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Experiment {
    /// Bundled sample name (`None`: nothing open, or the user's own file).
    pub sample: Option<String>,
    /// Every choice of the run.
    pub settings: SessionSettings,
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

/// The settings a link starts from: PPQ's defaults, or for a bundled sample the settings its real-PPQ runs
/// were made with (minmax, one pass over its calibration samples), so opening a sample reproduces them.
pub fn baseline(sample: Option<&str>) -> SessionSettings {
    match sample {
        Some(_) => SessionSettings { observer: Some("minmax".into()), calib_steps: None, ..SessionSettings::default() },
        None => SessionSettings::default(),
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
    /// An experiment on a bundled sample with that sample's baseline settings.
    pub fn for_sample(sample: &str) -> Self {
        Self { sample: Some(sample.into()), settings: baseline(Some(sample)), ..Self::default() }
    }

    /// The settings this experiment's link is written against.
    pub fn baseline(&self) -> SessionSettings {
        baseline(self.sample.as_deref())
    }

    /// The URL hash (with its leading `#`; just `#` for the default experiment).
    pub fn to_hash(&self) -> String {
        let mut kv: Vec<(&str, String)> = Vec::new();
        if let Some(s) = &self.sample {
            kv.push(("m", s.clone()));
        }
        kv.extend(self.settings.to_url_pairs(&self.baseline()));
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
    /// The sample is read first (it decides the baseline), then the settings in the option table's order.
    pub fn from_hash(hash: &str) -> (Self, Vec<String>) {
        let mut warnings = Vec::new();
        let body = hash.strip_prefix('#').unwrap_or(hash);
        let mut pairs: Vec<(&str, String)> = Vec::new();
        for part in body.split('&').filter(|p| !p.is_empty()) {
            let (k, raw) = part.split_once('=').unwrap_or((part, ""));
            match decode_component(raw) {
                Some(v) => pairs.push((k, v)),
                None => warnings.push(format!("'{}': the value is not valid URL encoding", short(part))),
            }
        }
        let mut e = Self::default();
        if let Some((_, m)) = pairs.iter().rev().find(|(k, _)| *k == "m") {
            e.sample = (!m.is_empty()).then(|| m.clone());
        }
        e.settings = e.baseline();
        let (rest, bad) = e.settings.apply_url_pairs(&pairs);
        warnings.extend(bad);
        for (k, v) in rest.iter().filter(|(k, _)| *k != "m") {
            if let Err(w) = e.set(k, v) {
                warnings.push(w);
            }
        }
        (e, warnings)
    }

    /// Sets one field from its URL key and text value; `Err` is a sentence for the page.
    pub fn set(&mut self, key: &str, v: &str) -> Result<(), String> {
        if option_by_url(key).is_some() {
            return self.settings.set_by_url(key, v);
        }
        let bad = |what: &str| format!("{key}={}: {what}", short(v));
        match key {
            "m" => self.sample = (!v.is_empty()).then(|| v.to_string()),
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

    /// The quantization choices of this experiment, as the CLI and the worker hold them.
    pub fn session_settings(&self) -> SessionSettings {
        self.settings.clone()
    }

    /// The pipeline platform and setting this experiment asks for on `samples` calibration samples (through
    /// the same [`session::quantization_setting`] as the CLI); errors are sentences.
    pub fn to_setting(&self, samples: usize) -> Result<(TargetPlatform, QuantizationSetting), String> {
        session::quantization_setting(&self.settings, samples)
    }

    /// One line naming the settings that differ from the baseline (`PPL_DSP_INT8 · Add/Sub alignment none`).
    pub fn label(&self) -> String {
        let mut l = self.settings.label(&self.baseline());
        if self.seed != 0 {
            l.push_str(&format!(" · seed {}", self.seed));
        }
        l
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ppq_core::StateModel;
    use ppq_core::quirks::Quirks;
    use ppq_pipeline::setting::AlignmentMethod;

    fn full() -> Experiment {
        Experiment {
            sample: Some("b_residual".into()),
            settings: SessionSettings {
                platform: "PPL_DSP_INT8".into(),
                profile: StateModel::Ppq065,
                quirks: Quirks::Fixed,
                observer: Some("kl".into()),
                elementwise_alignment: Some(AlignmentMethod::None),
                concat_alignment: Some(AlignmentMethod::AlignToLarge),
                pooling_alignment: Some(AlignmentMethod::AlignToOutput),
                resize_alignment: Some(AlignmentMethod::None),
                force_overlap: Some(false),
                baking: false,
                calib_steps: Some(64),
                keep_float: vec!["conv 1".into(), "/c2/Conv".into()],
                bias_correct: true,
                lsq_optimization: true,
                lsq_steps: 50,
                weight_bits: Some(4),
                activation_bits: None,
            },
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
        let (p, s) = e.to_setting(16).unwrap();
        assert_eq!(p, TargetPlatform::PplDspInt8);
        assert!(s.equalization, "the DSP factory setting is kept");
        assert_eq!(s.quantize_alignment_setting.elementwise_alignment, AlignmentMethod::None);
        assert!(!s.quantize_alignment_setting.force_overlap);
        let (bad, w) = Experiment::from_hash("#cat=input");
        assert!(w[0].contains("not allowed here by PPQ"), "{w:?}");
        assert!(bad.to_setting(16).is_ok(), "a refused value leaves the baseline");
        let (e, w) = Experiment::from_hash("#rs=none&bake=0");
        assert!(w.is_empty());
        let (_, s) = e.to_setting(16).unwrap();
        assert_eq!(s.quantize_alignment_setting.resize_alignment, AlignmentMethod::None);
        assert!(!s.quantize_parameter_setting.baking_parameter);
    }

    #[test]
    fn a_sample_starts_from_its_reference_settings() {
        let (e, w) = Experiment::from_hash("#m=b_residual");
        assert!(w.is_empty());
        assert_eq!(e, Experiment::for_sample("b_residual"));
        assert_eq!(e.settings.observer.as_deref(), Some("minmax"));
        assert_eq!(e.to_setting(16).unwrap().1.quantize_activation_setting.calib_steps, 16);
        // PPQ's defaults on a sample are written out, since they differ from its baseline
        let mut d = e.clone();
        d.settings = SessionSettings::default();
        assert_eq!(d.to_hash(), "#m=b_residual&obs=platform&steps=32");
        assert_eq!(Experiment::from_hash(&d.to_hash()).0, d);
        // the link's keys and the CLI's flags come from one table
        assert_eq!(
            Experiment::from_hash("#p=PPL_DSP_INT8&ew=none").0.settings.to_cli_args(),
            ["--platform", "PPL_DSP_INT8", "--elementwise-alignment", "none"]
        );
    }

    #[test]
    fn overrides_and_run_key() {
        let base = full();
        let (o, w) = base.with_overrides("p:TRT_INT8;ew:large;zz:1");
        assert_eq!(o.settings.platform, "TRT_INT8");
        assert_eq!(o.settings.elementwise_alignment, Some(AlignmentMethod::AlignToLarge));
        assert_eq!(w.len(), 1);
        let mut moved = base.clone();
        moved.pass = Some(1);
        moved.op = None;
        assert_eq!(moved.run_key(), base.run_key());
        assert_ne!(o.run_key(), base.run_key());
    }
}
