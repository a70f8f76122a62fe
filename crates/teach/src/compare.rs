//! Differences between two record sets of the same model (two settings, or `faithful` vs `fixed` quirks):
//! per TQC id, which of state, scale, offset and alignment root differ. Pure data, no quantization.

use ppq_core::quirks::{self, QUIRKS, Quirk};
use ppq_pipeline::record::{Record, ScaleValue, TqcRecord};
use std::collections::BTreeMap;

/// One TQC that differs between the two runs (`None` on a side where the TQC does not exist).
#[derive(Debug, Clone, PartialEq)]
pub struct TqcDiff {
    /// TQC id (`op:in0:var`).
    pub id: String,
    /// The TQC on the left.
    pub left: Option<TqcRecord>,
    /// The TQC on the right.
    pub right: Option<TqcRecord>,
    /// What differs: `state`, `scale`, `offset`, `root`, `platform`, `missing`.
    pub fields: Vec<&'static str>,
}

/// Two scales are equal when both are unset, or have the same length and values within 1e-12 relative.
pub fn same_scale(a: &Option<ScaleValue>, b: &Option<ScaleValue>) -> bool {
    match (a, b) {
        (None, None) => true,
        (Some(a), Some(b)) => {
            let (a, b) = (a.values(), b.values());
            a.len() == b.len() && a.iter().zip(&b).all(|(x, y)| (x - y).abs() <= 1e-12 * x.abs().max(y.abs()))
        }
        _ => false,
    }
}

/// The TQCs whose state, scale, offset, root or platform differ, in the left run's order (then the right's extras).
pub fn diff(left: &[Record], right: &[Record]) -> Vec<TqcDiff> {
    let index = |rs: &[Record]| -> BTreeMap<String, TqcRecord> {
        rs.iter().filter_map(Record::as_tqc).map(|t| (t.id.clone(), t.clone())).collect()
    };
    let (l, r) = (index(left), index(right));
    let mut order: Vec<String> = left.iter().filter_map(Record::as_tqc).map(|t| t.id.clone()).collect();
    order.extend(right.iter().filter_map(Record::as_tqc).map(|t| t.id.clone()).filter(|id| !l.contains_key(id)));
    let mut out = Vec::new();
    for id in order {
        let (a, b) = (l.get(&id), r.get(&id));
        let fields: Vec<&'static str> = match (a, b) {
            (Some(a), Some(b)) => [
                ("state", a.state != b.state),
                ("scale", !same_scale(&a.scale, &b.scale)),
                ("offset", !same_scale(&a.offset, &b.offset)),
                ("root", a.dominated_by != b.dominated_by),
                ("platform", a.platform != b.platform),
            ]
            .into_iter()
            .filter_map(|(f, d)| d.then_some(f))
            .collect(),
            _ => vec!["missing"],
        };
        if !fields.is_empty() {
            out.push(TqcDiff { id, left: a.cloned(), right: b.cloned(), fields });
        }
    }
    out
}

/// A scale for a table cell: per-tensor in full precision, per-channel as `[n] first…`.
pub fn scale_text(s: &Option<ScaleValue>) -> String {
    match s {
        None => "—".into(),
        Some(ScaleValue::PerTensor(v)) => format!("{v:.9}"),
        Some(ScaleValue::PerChannel(v)) => match v.first() {
            Some(f) => format!("[{}] {f:.6}…", v.len()),
            None => "[0]".into(),
        },
    }
}

/// The documented quirks that can explain why `rec` differs between `faithful` and `fixed`, judged from the
/// record alone (op type, policy, rounding); all pipeline-level quirks when nothing narrows it down. This only
/// picks which explanation to show: the differing values themselves come from running both settings.
pub fn likely_quirks(rec: &TqcRecord) -> Vec<&'static Quirk> {
    let mut out = Vec::new();
    let mut add = |q: &'static Quirk| {
        if !out.iter().any(|o: &&Quirk| o.id == q.id) {
            out.push(q);
        }
    };
    let has = |p: &str| rec.policy.iter().any(|x| x == p);
    if matches!(rec.op_type.as_str(), "Slice" | "Dropout") {
        add(&quirks::PASSIVE_OPERATIONS_TYPO);
    }
    if matches!(rec.op_type.as_str(), "Add" | "Sub" | "Sum" | "Concat") {
        add(&quirks::ALIGN_TO_LARGE_STALE_SLAVE);
    }
    if has("ASYMMETRICAL") {
        add(&quirks::ASYM_OFFSET_SIGNED_RANGE);
        if has("PER_CHANNEL") {
            add(&quirks::PER_CHANNEL_ASYM_NUMPY2_ASSERT);
        }
    }
    if rec.rounding.contains("HALF_TOWARDS_ZERO") || rec.rounding.contains("HALF_FAR_FORM_ZERO") {
        add(&quirks::NUMERICAL_NEGATIVE_TIES);
    }
    if out.is_empty() {
        out.extend(QUIRKS.iter().filter(|q| q.id != quirks::MASTER_BY_CYCLE.id));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn recs(name: &str) -> Vec<Record> {
        let root = concat!(env!("CARGO_MANIFEST_DIR"), "/../..");
        serde_json::from_str(&std::fs::read_to_string(format!("{root}/www/samples/{name}/tqc.json")).unwrap()).unwrap()
    }

    #[test]
    fn slice_points_at_the_passive_operations_typo() {
        let a = recs("c_soi/TRT_INT8__minmax");
        let slice = a.iter().filter_map(Record::as_tqc).find(|t| t.op_type == "Slice").unwrap();
        assert_eq!(likely_quirks(slice)[0].id, "passive-operations-typo");
        let conv = a.iter().filter_map(Record::as_tqc).find(|t| t.op_type == "Conv").unwrap();
        assert!(likely_quirks(conv).len() > 2, "nothing narrows a Conv down");
    }

    #[test]
    fn identical_runs_do_not_differ() {
        let a = recs("b_residual/TRT_INT8__minmax");
        assert!(diff(&a, &a).is_empty());
    }

    #[test]
    fn platforms_differ_in_state_scale_and_platform() {
        let a = recs("b_residual/TRT_INT8__minmax");
        let b = recs("b_residual/PPL_DSP_INT8__minmax");
        let d = diff(&a, &b);
        assert!(!d.is_empty());
        assert!(d.iter().all(|x| !x.fields.is_empty()));
        assert!(d.iter().any(|x| x.fields.contains(&"platform")));
        assert!(d.iter().any(|x| x.fields.contains(&"scale")));
    }

    #[test]
    fn a_changed_scale_and_a_missing_tqc_are_found() {
        let a = recs("b_residual/TRT_INT8__minmax");
        let mut b = a.clone();
        let Some(Record::Tqc(t)) = b.iter_mut().find(|r| r.as_tqc().is_some_and(|t| t.id == "add:in0:c2")) else {
            panic!("add:in0:c2 is in the sample")
        };
        t.scale = Some(ScaleValue::PerTensor(1.0));
        t.state = "ACTIVATED".into();
        let removed = b.iter().position(|r| r.as_tqc().is_some_and(|t| t.id.starts_with("conv1:in0"))).unwrap();
        b.remove(removed);
        let d = diff(&a, &b);
        let add = d.iter().find(|x| x.id == "add:in0:c2").unwrap();
        assert_eq!(add.fields, vec!["state", "scale"]);
        assert!(d.iter().any(|x| x.id.starts_with("conv1:in0") && x.fields == vec!["missing"] && x.right.is_none()));
        assert_eq!(scale_text(&Some(ScaleValue::PerChannel(vec![0.5, 1.0]))), "[2] 0.500000…");
        assert!(same_scale(&Some(ScaleValue::PerTensor(0.1 + 0.2)), &Some(ScaleValue::PerTensor(0.3))));
    }
}
