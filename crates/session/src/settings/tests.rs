use super::*;
use crate::quantization_setting;
use proptest::prelude::*;

#[test]
fn every_option_has_one_url_key_and_one_flag() {
    let mut urls: Vec<&str> = OPTIONS.iter().map(|o| o.url).collect();
    let mut flags: Vec<&str> =
        OPTIONS.iter().flat_map(|o| std::iter::once(o.flag).chain(o.aliases.iter().copied())).collect();
    let (nu, nf) = (urls.len(), flags.len());
    urls.sort_unstable();
    urls.dedup();
    flags.sort_unstable();
    flags.dedup();
    assert_eq!((urls.len(), flags.len()), (nu, nf), "duplicate URL key or flag");
    for o in OPTIONS {
        let d = o.default_text();
        let mut s = SessionSettings::default();
        (o.set)(&mut s, &d).unwrap_or_else(|e| panic!("{}: its default '{d}' does not parse: {e}", o.name));
        assert_eq!(s, SessionSettings::default(), "{}", o.name);
        let values = (o.values)(&SessionSettings::default());
        assert!(values.is_empty() || values.contains(&d), "{}: default '{d}' not among {values:?}", o.name);
        assert!(!o.help.is_empty() && !o.label.is_empty());
    }
}

#[test]
fn platforms_follow_the_profile() {
    let new = platforms(StateModel::Ppq066);
    let old = platforms(StateModel::Ppq065);
    assert!(new.contains(&"TRT_INT8") && new.contains(&"PPL_DSP_INT8"));
    assert!(!new.contains(&"ACADEMIC_INT8") && old.contains(&"ACADEMIC_INT8"));
    let p = option("platform").unwrap();
    let s = SessionSettings { profile: StateModel::Ppq065, ..SessionSettings::default() };
    assert_eq!((p.values)(&s), strings(&old));
}

#[test]
fn bad_values_are_sentences() {
    let mut s = SessionSettings::default();
    for (k, v, want) in [
        ("p", "NOPE", "unknown platform"),
        ("sm", "0.7", "PPQ version"),
        ("q", "maybe", "faithful or fixed"),
        ("obs", "median", "unknown observer"),
        ("steps", "4", "8 <= calib_steps <= 512"),
        ("steps", "x", "whole number"),
        ("cat", "input", "not allowed here by PPQ"),
        ("ew", "sideways", "not an alignment method"),
        ("fo", "2", "not 1 or 0"),
        ("zz", "1", "unknown setting"),
    ] {
        let e = s.set_by_url(k, v).unwrap_err();
        assert!(e.contains(want), "{k}={v}: {e}");
    }
    assert_eq!(s, SessionSettings::default(), "a refused value changes nothing");
    // the platform must exist in the profile: ACADEMIC_INT8 is 0.6.5's
    s.set_by_url("p", "ACADEMIC_INT8").unwrap();
    assert!(s.check().unwrap_err().contains("no quantizer in ppq-0.6.6"));
    s.set_by_url("sm", "0.6.5").unwrap();
    assert!(s.check().is_ok());
}

#[test]
fn the_quantization_setting_follows_the_options() {
    let mut s = SessionSettings::default();
    let (_, q) = quantization_setting(&s, 16).unwrap();
    assert_eq!(q.quantize_activation_setting.calib_algorithm, None, "PPQ's default: the platform's observers");
    assert_eq!(q.quantize_activation_setting.calib_steps, DEFAULT_CALIB_STEPS);
    let all = SessionSettings { calib_steps: None, ..SessionSettings::default() };
    assert_eq!(quantization_setting(&all, 16).unwrap().1.quantize_activation_setting.calib_steps, 16);
    assert!(quantization_setting(&all, 2).unwrap_err().contains("choose a number of steps"));
    for (k, v) in [("p", "PPL_DSP_INT8"), ("obs", "kl"), ("steps", "8"), ("ew", "none"), ("fo", "0"), ("bake", "0")] {
        s.set_by_url(k, v).unwrap();
    }
    let (p, q) = quantization_setting(&s, 16).unwrap();
    assert_eq!(p.name(), "PPL_DSP_INT8");
    assert!(q.equalization, "the DSP factory setting is kept");
    assert_eq!(q.quantize_activation_setting.calib_algorithm.as_deref(), Some("kl"));
    assert_eq!(q.quantize_activation_setting.calib_steps, 8);
    assert_eq!(q.quantize_alignment_setting.elementwise_alignment, AlignmentMethod::None);
    assert!(!q.quantize_alignment_setting.force_overlap && !q.quantize_parameter_setting.baking_parameter);
    s.set_by_url("sm", "0.6.5").unwrap();
    assert_eq!(quantization_setting(&s, 16).unwrap().1.state_model, StateModel::Ppq065);
    for (k, v) in [("bc", "1"), ("lsq", "1"), ("lsqs", "20"), ("wb", "4"), ("ab", "platform")] {
        s.set_by_url(k, v).unwrap();
    }
    let q = quantization_setting(&s, 16).unwrap().1;
    assert!(q.bias_correct && q.lsq_optimization);
    assert_eq!(q.lsq_optimization_setting.steps, 20);
    assert_eq!((q.bit_width.weight_bits, q.bit_width.activation_bits), (Some(4), None));
}

/// Settings drawn through the table: each option takes one of its values (or a number / op list).
fn arb_settings() -> impl Strategy<Value = SessionSettings> {
    let picks = proptest::collection::vec(any::<proptest::sample::Index>(), OPTIONS.len());
    let names = proptest::collection::vec("[a-z/_.0-9]{1,12}", 0..3);
    (picks, 8u32..=512, names).prop_map(|(picks, steps, names)| {
        let mut s = SessionSettings::default();
        for (o, pick) in OPTIONS.iter().zip(picks) {
            let values = (o.values)(&s);
            let text = match o.name {
                "calib_steps" if steps == 8 => "all".into(),
                "calib_steps" => steps.to_string(),
                "keep_float" => names.join(","),
                "lsq_steps" => (steps * 3).to_string(),
                _ => values[pick.index(values.len())].clone(),
            };
            (o.set)(&mut s, &text).unwrap();
        }
        s
    })
}

proptest! {
    #[test]
    fn settings_round_trip_through_url_pairs(s in arb_settings()) {
        let base = SessionSettings::default();
        let pairs = s.to_url_pairs(&base);
        let mut back = base.clone();
        let (rest, warnings) = back.apply_url_pairs(&pairs);
        prop_assert!(rest.is_empty() && warnings.is_empty(), "{:?} {:?}", rest, warnings);
        prop_assert_eq!(back, s);
    }
}
