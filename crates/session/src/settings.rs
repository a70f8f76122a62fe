//! Every choice of a run in one struct ([`SessionSettings`]) and one table of its options ([`OPTIONS`]):
//! name, URL key, CLI flag, help, allowed values, default. The CLI's flags, the page's URL hash and controls,
//! the worker's request and PPQ's `QuantizationSetting` are all derived from these two, so an option exists
//! once: adding a field means adding one row here.
//!
//! Every option reads and writes as text ([`SettingOption::get`] / [`SettingOption::set`]), which is what a
//! URL, a command line and a `<select>` carry. The text of the default is the option's default.

use ppq_core::StateModel;
use ppq_core::quirks::Quirks;
use ppq_pipeline::QuantizerKind;
use ppq_pipeline::setting::{AlignmentGroup, AlignmentMethod, KNOWN_OBSERVERS};
use serde::{Deserialize, Serialize};

/// PPQ's default `calib_steps` (`quantize_onnx_model(calib_steps=32)`).
pub const DEFAULT_CALIB_STEPS: u32 = 32;

/// The observer text that leaves `calib_algorithm` unset: each TQC keeps its quantizer's own observer, as
/// with PPQ's default setting.
pub const PLATFORM_OBSERVERS: &str = "platform";

/// What a user chooses for a run. Field types are the core's; [`OPTIONS`] gives each its text form.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SessionSettings {
    /// Which PPQ the run follows: its state model, graph formatting and quantizer list.
    pub profile: StateModel,
    /// PPQ platform name (`TRT_INT8`), one of [`platforms`] of the profile.
    pub platform: String,
    /// Reproduce PPQ's quirks or fix them.
    pub quirks: Quirks,
    /// Activation observer (PPQ's `calib_algorithm`); `None` keeps each platform's own, as PPQ's default.
    pub observer: Option<String>,
    /// Add/Sub/Sum alignment (`None`: the platform's default).
    pub elementwise_alignment: Option<AlignmentMethod>,
    /// Concat alignment (`None`: the platform's default).
    pub concat_alignment: Option<AlignmentMethod>,
    /// AveragePool/GlobalAveragePool alignment (`None`: the platform's default).
    pub pooling_alignment: Option<AlignmentMethod>,
    /// Resize alignment (`None`: the platform's default).
    pub resize_alignment: Option<AlignmentMethod>,
    /// QuantAlignmentPass's `force_overlap` (`None`: PPQ's default, true).
    pub force_overlap: Option<bool>,
    /// Run ParameterBakingPass (PPQ's `baking_parameter`).
    pub baking: bool,
    /// Calibration batches RuntimeCalibrationPass feeds, cycling the samples as PPQ cycles its dataloader
    /// (PPQ's default: [`DEFAULT_CALIB_STEPS`]); `None` is one pass over the samples (`all`: what
    /// `calib_steps=len(dataloader)` gives, as the bundled reference runs were made).
    pub calib_steps: Option<u32>,
    /// Ops kept in float: dispatched to FP32 before quantizer init, as PPQ users do with a dispatching table.
    pub keep_float: Vec<String>,
    /// PPQ's `bias_correct` (BiasCorrectionPass).
    pub bias_correct: bool,
    /// PPQ's `lsq_optimization` (LearnedStepSizePass).
    pub lsq_optimization: bool,
    /// `lsq_optimization_setting.steps`: training steps per block (PPQ's default 500).
    pub lsq_steps: u32,
    /// Bits of the weight TQCs (`None`: the quantizer's, 8 on the INT8 platforms) — PPQ users set
    /// `num_of_bits`/`quant_min`/`quant_max` by hand for 4-bit weights; this is that edit as a setting.
    pub weight_bits: Option<u32>,
    /// Bits of the activation TQCs (`None`: the quantizer's).
    pub activation_bits: Option<u32>,
}

/// PPQ's default `lsq_optimization_setting.steps`.
pub const DEFAULT_LSQ_STEPS: u32 = 500;

impl Default for SessionSettings {
    /// PPQ's `quantize_onnx_model` with its default setting on TRT_INT8.
    fn default() -> Self {
        Self {
            profile: StateModel::Ppq066,
            platform: "TRT_INT8".into(),
            quirks: Quirks::Faithful,
            observer: None,
            elementwise_alignment: None,
            concat_alignment: None,
            pooling_alignment: None,
            resize_alignment: None,
            force_overlap: None,
            baking: true,
            calib_steps: Some(DEFAULT_CALIB_STEPS),
            keep_float: Vec::new(),
            bias_correct: false,
            lsq_optimization: false,
            lsq_steps: DEFAULT_LSQ_STEPS,
            weight_bits: None,
            activation_bits: None,
        }
    }
}

/// How an option is written on a command line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FlagKind {
    /// `--flag VALUE`.
    Value,
    /// `--flag V1,V2` (a list; empty is the default).
    List,
    /// `--flag` alone sets the option to this text (the non-default value of a yes/no option).
    Switch(&'static str),
}

/// One option: everything the CLI, the URL and the page need to offer it.
pub struct SettingOption {
    /// The field's name, as PPQ names the setting where it has one.
    pub name: &'static str,
    /// Key in the page's URL hash (`p=TRT_INT8`) and in `key:value` overrides.
    pub url: &'static str,
    /// Long CLI flag without the dashes.
    pub flag: &'static str,
    /// Other CLI spellings.
    pub aliases: &'static [&'static str],
    /// How the flag takes its value.
    pub kind: FlagKind,
    /// Label of the page's control.
    pub label: &'static str,
    /// One sentence for `--help` and the control's tooltip.
    pub help: &'static str,
    /// The values it may take, given the other settings (empty: free text or a number).
    pub values: fn(&SessionSettings) -> Vec<String>,
    /// The current value as text.
    pub get: fn(&SessionSettings) -> String,
    /// Sets the value from text; `Err` says what is allowed.
    pub set: fn(&mut SessionSettings, &str) -> Result<(), String>,
}

impl SettingOption {
    /// The text of PPQ's default (the value of `SessionSettings::default()`).
    pub fn default_text(&self) -> String {
        (self.get)(&SessionSettings::default())
    }
}

/// The platforms with a quantizer in `profile`, in PPQ's order: exactly what the CLI and the page offer.
pub fn platforms(profile: StateModel) -> Vec<&'static str> {
    QuantizerKind::ALL.into_iter().filter(|k| k.exists_in(profile)).map(QuantizerKind::name).collect()
}

/// Every platform of any profile (what the CLI's `--platform` parser accepts before it knows the profile).
pub fn all_platforms() -> Vec<&'static str> {
    QuantizerKind::ALL.into_iter().map(QuantizerKind::name).collect()
}

/// The observer choices: the platform's own, then PPQ's observers.
pub fn observers() -> Vec<&'static str> {
    std::iter::once(PLATFORM_OBSERVERS).chain(KNOWN_OBSERVERS.iter().copied()).collect()
}

/// The kebab-case code of an alignment method (`align-to-large`), as the CLI and URL write it.
pub fn alignment_code(m: AlignmentMethod) -> &'static str {
    match m {
        AlignmentMethod::AlignToLarge => "align-to-large",
        AlignmentMethod::AlignToOutput => "align-to-output",
        AlignmentMethod::AlignToInput => "align-to-input",
        AlignmentMethod::None => "none",
    }
}

/// Parses an alignment method as PPQ spells it (`Align to Large`), in kebab-case (`align-to-large`) or by
/// the short codes older links used (`large`, `output`, `input`).
pub fn alignment_from_name(s: &str) -> Option<AlignmentMethod> {
    AlignmentMethod::from_name(s).or_else(|| {
        let kebab = s.trim().to_ascii_lowercase().replace([' ', '_'], "-");
        let all = [AlignmentMethod::AlignToLarge, AlignmentMethod::AlignToOutput, AlignmentMethod::AlignToInput];
        all.into_iter()
            .chain([AlignmentMethod::None])
            .find(|m| alignment_code(*m) == kebab || alignment_code(*m).strip_prefix("align-to-") == Some(&kebab))
    })
}

fn alignment_values(group: AlignmentGroup) -> Vec<String> {
    std::iter::once("platform".to_string())
        .chain(group.allowed().iter().map(|m| alignment_code(*m).to_string()))
        .collect()
}

fn alignment_text(m: Option<AlignmentMethod>) -> String {
    m.map_or("platform", alignment_code).to_string()
}

fn parse_alignment(group: AlignmentGroup, v: &str) -> Result<Option<AlignmentMethod>, String> {
    if v == "platform" {
        return Ok(None);
    }
    let m = alignment_from_name(v).ok_or_else(|| format!("'{v}' is not an alignment method"))?;
    if !group.allowed().contains(&m) {
        return Err(format!(
            "'{}' is not allowed here by PPQ; choose one of {}",
            m.name(),
            alignment_values(group).join(", ")
        ));
    }
    Ok(Some(m))
}

/// `v` if it is one of `allowed`; else a sentence listing them (the first six of a long list, so the message
/// stays one line: the CLI's `--help` and the page's select show them all).
fn choice<'a>(v: &str, allowed: &[&'a str], what: &str) -> Result<&'a str, String> {
    allowed.iter().copied().find(|a| *a == v).ok_or_else(|| {
        let list = match allowed.len() {
            0..=6 => allowed.join(", "),
            n => format!("{}, … ({n} in all)", allowed[..6].join(", ")),
        };
        format!("unknown {what} '{}'; choose one of {list}", short(v))
    })
}

fn yes_no(v: &str) -> Result<bool, String> {
    match v {
        "1" | "true" | "on" => Ok(true),
        "0" | "false" | "off" => Ok(false),
        _ => Err(format!("'{v}' is not 1 or 0")),
    }
}

fn bool_text(b: bool) -> String {
    if b { "1" } else { "0" }.into()
}

fn strings(v: &[&str]) -> Vec<String> {
    v.iter().map(|s| s.to_string()).collect()
}

fn none(_: &SessionSettings) -> Vec<String> {
    Vec::new()
}

macro_rules! alignment_option {
    ($name:literal, $url:literal, $flag:literal, $label:literal, $group:expr, $field:ident, $help:literal) => {
        SettingOption {
            name: $name,
            url: $url,
            flag: $flag,
            aliases: &[],
            kind: FlagKind::Value,
            label: $label,
            help: $help,
            values: |_| alignment_values($group),
            get: |s| alignment_text(s.$field),
            set: |s, v| {
                s.$field = parse_alignment($group, v)?;
                Ok(())
            },
        }
    };
}

/// Every option of a run, in the order they are applied (the profile before the platform it restricts)
/// and shown.
pub const OPTIONS: &[SettingOption] = &[
    SettingOption {
        name: "profile",
        url: "sm",
        flag: "profile",
        aliases: &["state-model"],
        kind: FlagKind::Value,
        label: "PPQ version",
        help: "Which PPQ to follow: its state model, graph formatting and quantizers (ppq-0.6.5 is 0.6.5.1's 12-state model).",
        values: |_| StateModel::ALL.iter().map(|m| m.name().to_string()).collect(),
        get: |s| s.profile.name().into(),
        set: |s, v| {
            s.profile = StateModel::from_name(v)
                .ok_or_else(|| format!("unknown PPQ version '{v}'; choose ppq-0.6.6 or ppq-0.6.5"))?;
            Ok(())
        },
    },
    SettingOption {
        name: "platform",
        url: "p",
        flag: "platform",
        aliases: &[],
        kind: FlagKind::Value,
        label: "Platform",
        help: "Target platform (PPQ's name): its quantizer decides policies, observers and which ops are quantized.",
        values: |s| strings(&platforms(s.profile)),
        get: |s| s.platform.clone(),
        set: |s, v| {
            s.platform = choice(v, &all_platforms(), "platform")?.to_string();
            Ok(())
        },
    },
    SettingOption {
        name: "quirks",
        url: "q",
        flag: "quirks",
        aliases: &[],
        kind: FlagKind::Value,
        label: "PPQ's quirks",
        help: "faithful reproduces PPQ's known quirks bit for bit; fixed corrects them.",
        values: |_| strings(&["faithful", "fixed"]),
        get: |s| s.quirks.name().into(),
        set: |s, v| {
            s.quirks =
                Quirks::from_name(v).ok_or_else(|| format!("unknown quirks mode '{v}'; choose faithful or fixed"))?;
            Ok(())
        },
    },
    SettingOption {
        name: "calib_algorithm",
        url: "obs",
        flag: "calib-algorithm",
        aliases: &["observer"],
        kind: FlagKind::Value,
        label: "Observer",
        help: "Activation observer (PPQ's calib_algorithm); 'platform' keeps each quantizer's own, as PPQ's default setting (TRT_INT8: percentile).",
        values: |_| strings(&observers()),
        get: |s| s.observer.clone().unwrap_or_else(|| PLATFORM_OBSERVERS.into()),
        set: |s, v| {
            let o = choice(v, &observers(), "observer")?;
            s.observer = (o != PLATFORM_OBSERVERS).then(|| o.to_string());
            Ok(())
        },
    },
    SettingOption {
        name: "calib_steps",
        url: "steps",
        flag: "steps",
        aliases: &["calib-steps"],
        kind: FlagKind::Value,
        label: "Calib steps",
        help: "Calibration batches (PPQ's calib_steps, 8 to 512): the samples are cycled until that many are fed, as PPQ cycles its dataloader; 'all' is one pass over the samples.",
        values: none,
        get: |s| s.calib_steps.map_or_else(|| "all".into(), |n| n.to_string()),
        set: |s, v| {
            if v == "all" {
                s.calib_steps = None;
                return Ok(());
            }
            let n: u32 =
                v.parse().map_err(|_| format!("'{v}' is not a whole number of calibration steps (or 'all')"))?;
            if !(8..=512).contains(&n) {
                return Err(format!("{n} calibration steps: PPQ requires 8 <= calib_steps <= 512"));
            }
            s.calib_steps = Some(n);
            Ok(())
        },
    },
    alignment_option!(
        "elementwise_alignment",
        "ew",
        "elementwise-alignment",
        "Add/Sub alignment",
        AlignmentGroup::Elementwise,
        elementwise_alignment,
        "How QuantAlignmentPass ties the scales of Add/Sub/Sum inputs ('platform': the platform's default)."
    ),
    alignment_option!(
        "concat_alignment",
        "cat",
        "concat-alignment",
        "Concat alignment",
        AlignmentGroup::Concat,
        concat_alignment,
        "How QuantAlignmentPass ties the scales of Concat inputs ('platform': the platform's default)."
    ),
    alignment_option!(
        "pooling_alignment",
        "pool",
        "pooling-alignment",
        "Pooling alignment",
        AlignmentGroup::Pooling,
        pooling_alignment,
        "How QuantAlignmentPass ties AveragePool/GlobalAveragePool outputs to inputs ('platform': the platform's default)."
    ),
    alignment_option!(
        "resize_alignment",
        "rs",
        "resize-alignment",
        "Resize alignment",
        AlignmentGroup::Resize,
        resize_alignment,
        "How QuantAlignmentPass ties Resize outputs to inputs ('platform': the platform's default)."
    ),
    SettingOption {
        name: "force_overlap",
        url: "fo",
        flag: "force-overlap",
        aliases: &[],
        kind: FlagKind::Value,
        label: "force_overlap",
        help: "QuantAlignmentPass's force_overlap: aligned groups share one scale even across ops ('platform': PPQ's default, on).",
        values: |_| strings(&["platform", "1", "0"]),
        get: |s| s.force_overlap.map_or_else(|| "platform".into(), bool_text),
        set: |s, v| {
            s.force_overlap = if v == "platform" { None } else { Some(yes_no(v)?) };
            Ok(())
        },
    },
    SettingOption {
        name: "baking_parameter",
        url: "bake",
        flag: "no-baking",
        aliases: &[],
        kind: FlagKind::Switch("0"),
        label: "Bake parameters",
        help: "Run ParameterBakingPass (PPQ's baking_parameter); --no-baking keeps parameters ACTIVATED/PASSIVE instead of BAKED.",
        values: |_| strings(&["1", "0"]),
        get: |s| bool_text(s.baking),
        set: |s, v| {
            s.baking = yes_no(v)?;
            Ok(())
        },
    },
    SettingOption {
        name: "keep_float",
        url: "kf",
        flag: "keep-float",
        aliases: &[],
        kind: FlagKind::List,
        label: "Keep in float",
        help: "Ops dispatched to FP32 before quantization (PPQ's dispatching table), by their names in the formatted graph (see `inspect`).",
        values: none,
        get: |s| s.keep_float.join(","),
        set: |s, v| {
            s.keep_float = v.split(',').filter(|n| !n.is_empty()).map(str::to_string).collect();
            Ok(())
        },
    },
    SettingOption {
        name: "bias_correct",
        url: "bc",
        flag: "bias-correct",
        aliases: &[],
        kind: FlagKind::Switch("1"),
        label: "Bias correction",
        help: "PPQ's bias_correct: BiasCorrectionPass subtracts each layer's mean quantization error from its bias.",
        values: |_| strings(&["0", "1"]),
        get: |s| bool_text(s.bias_correct),
        set: |s, v| {
            s.bias_correct = yes_no(v)?;
            Ok(())
        },
    },
    SettingOption {
        name: "lsq_optimization",
        url: "lsq",
        flag: "lsq-optimization",
        aliases: &[],
        kind: FlagKind::Switch("1"),
        label: "LSQ training",
        help: "PPQ's lsq_optimization: LearnedStepSizePass trains scales block by block to match the fp32 outputs.",
        values: |_| strings(&["0", "1"]),
        get: |s| bool_text(s.lsq_optimization),
        set: |s, v| {
            s.lsq_optimization = yes_no(v)?;
            Ok(())
        },
    },
    SettingOption {
        name: "lsq_steps",
        url: "lsqs",
        flag: "lsq-steps",
        aliases: &[],
        kind: FlagKind::Value,
        label: "LSQ steps",
        help: "lsq_optimization_setting.steps: Adam steps per trained block, one calibration batch each (PPQ's default 500).",
        values: none,
        get: |s| s.lsq_steps.to_string(),
        set: |s, v| {
            let n: u32 = v.parse().map_err(|_| format!("'{v}' is not a whole number of LSQ steps"))?;
            if !(1..=100_000).contains(&n) {
                return Err(format!("{n} LSQ steps: choose 1 to 100000"));
            }
            s.lsq_steps = n;
            Ok(())
        },
    },
    SettingOption {
        name: "weight_bits",
        url: "wb",
        flag: "weight-bits",
        aliases: &[],
        kind: FlagKind::Value,
        label: "Weight bits",
        help: "num_of_bits of the weight TQCs, with quant_min/quant_max to match, set before the passes run ('platform': the quantizer's own).",
        values: |_| strings(&["platform", "8", "6", "4", "2"]),
        get: |s| bits_text(s.weight_bits),
        set: |s, v| {
            s.weight_bits = bits(v)?;
            Ok(())
        },
    },
    SettingOption {
        name: "activation_bits",
        url: "ab",
        flag: "activation-bits",
        aliases: &[],
        kind: FlagKind::Value,
        label: "Activation bits",
        help: "num_of_bits of the activation TQCs, with quant_min/quant_max to match ('platform': the quantizer's own).",
        values: |_| strings(&["platform", "8", "6", "4", "2"]),
        get: |s| bits_text(s.activation_bits),
        set: |s, v| {
            s.activation_bits = bits(v)?;
            Ok(())
        },
    },
];

fn bits_text(b: Option<u32>) -> String {
    b.map_or_else(|| "platform".into(), |b| b.to_string())
}

/// A bit width from text: `platform` or 2 to 16.
fn bits(v: &str) -> Result<Option<u32>, String> {
    if v == "platform" {
        return Ok(None);
    }
    match v.parse::<u32>() {
        Ok(b) if (2..=16).contains(&b) => Ok(Some(b)),
        _ => Err(format!("'{v}' bits: choose 'platform' or 2 to 16")),
    }
}

/// The option with this URL key.
pub fn option_by_url(key: &str) -> Option<&'static SettingOption> {
    OPTIONS.iter().find(|o| o.url == key)
}

/// The option with this field name.
pub fn option(name: &str) -> Option<&'static SettingOption> {
    OPTIONS.iter().find(|o| o.name == name)
}

impl SessionSettings {
    /// The `(url key, text)` pairs of the options that differ from `base`, in table order.
    pub fn to_url_pairs(&self, base: &SessionSettings) -> Vec<(&'static str, String)> {
        OPTIONS.iter().filter(|o| (o.get)(self) != (o.get)(base)).map(|o| (o.url, (o.get)(self))).collect()
    }

    /// Applies `(url key, text)` pairs in table order (so a profile is known before the platform it
    /// restricts). Pairs with other keys are returned untouched; bad values are skipped with a sentence.
    pub fn apply_url_pairs<'a>(&mut self, pairs: &[(&'a str, String)]) -> (Vec<(&'a str, String)>, Vec<String>) {
        let mut warnings = Vec::new();
        for o in OPTIONS {
            for (_, v) in pairs.iter().filter(|(k, _)| *k == o.url) {
                if let Err(e) = (o.set)(self, v) {
                    warnings.push(format!("{}={}: {e}", o.url, short(v)));
                }
            }
        }
        let rest = pairs.iter().filter(|(k, _)| option_by_url(k).is_none()).cloned().collect();
        (rest, warnings)
    }

    /// Sets one option by URL key; `Err` is a sentence naming the key.
    pub fn set_by_url(&mut self, key: &str, value: &str) -> Result<(), String> {
        let o = option_by_url(key).ok_or_else(|| format!("unknown setting '{}'", short(key)))?;
        (o.set)(self, value).map_err(|e| format!("{key}={}: {e}", short(value)))
    }

    /// The command-line arguments that reproduce these settings (options at their default are left out).
    pub fn to_cli_args(&self) -> Vec<String> {
        let base = SessionSettings::default();
        let mut args = Vec::new();
        for o in OPTIONS {
            let v = (o.get)(self);
            if v == (o.get)(&base) {
                continue;
            }
            args.push(format!("--{}", o.flag));
            if !matches!(o.kind, FlagKind::Switch(_)) {
                args.push(v);
            }
        }
        args
    }

    /// The calibration steps RuntimeCalibrationPass runs over `samples` samples, checked against PPQ's
    /// 8 ≤ calib_steps ≤ 512.
    pub fn steps_for(&self, samples: usize) -> Result<u32, String> {
        match self.calib_steps {
            Some(n) => Ok(n),
            None => match u32::try_from(samples) {
                Ok(n) if (8..=512).contains(&n) => Ok(n),
                _ => Err(format!(
                    "calib steps 'all' means {samples} steps here, and PPQ requires 8 <= calib_steps <= 512: choose a number of steps (the samples are cycled)"
                )),
            },
        }
    }

    /// Checks what one option cannot check alone: the platform exists in the profile.
    pub fn check(&self) -> Result<(), String> {
        let list = platforms(self.profile);
        if !list.contains(&self.platform.as_str()) {
            return Err(format!(
                "platform '{}' has no quantizer in {} (its platforms: {})",
                self.platform,
                self.profile.name(),
                list.join(", ")
            ));
        }
        Ok(())
    }

    /// One line naming the options that differ from `base` (`PPL_DSP_INT8 · ew none`), the platform first.
    pub fn label(&self, base: &SessionSettings) -> String {
        let mut parts = vec![self.platform.clone()];
        for (k, v) in self.to_url_pairs(base).into_iter().filter(|(k, _)| *k != "p") {
            let name = option_by_url(k).map_or(k, |o| o.label);
            parts.push(format!("{name} {v}"));
        }
        parts.join(" · ")
    }
}

/// At most 40 characters of user text, for messages.
pub fn short(s: &str) -> String {
    let mut out: String = s.chars().take(40).collect();
    if s.chars().count() > 40 {
        out.push('…');
    }
    out
}

#[cfg(test)]
mod tests;
