//! Unit tests of the store's sharing rules, state log and §2.3 helpers, in both state models.

use super::*;
use crate::error::QuantError;
use crate::policy::QuantizationPolicy;
use crate::state::{QuantizationStates as S, StateModel};

const SYM_PT: u32 = 0x15;

fn store_with(model: StateModel, n: usize) -> (TqcStore, Vec<TqcId>) {
    let mut store = TqcStore::new(model);
    let ids = (0..n)
        .map(|i| {
            let p = QuantizationPolicy::new(SYM_PT, model).unwrap();
            store.add(TensorQuantizationConfig::new(format!("op{i}:out0:v{i}"), p)).unwrap()
        })
        .collect();
    (store, ids)
}

fn pt(s: f32) -> QuantParams {
    QuantParams::per_tensor(s, 0.0)
}

#[test]
fn dominate_overlaps_child_and_old_root_and_regroups() {
    let (mut st, t) = store_with(StateModel::Ppq066, 4);
    st.dominate(t[0], t[1]).unwrap(); // group {0,1}, root 1
    assert_eq!(st.get(t[0]).unwrap().state(), S::OVERLAPPED);
    assert_eq!(st.get(t[1]).unwrap().state(), S::INITIAL);
    st.render(t[2], pt(0.5)).unwrap();
    st.dominate(t[0], t[2]).unwrap(); // t0's old root t1 moves along
    assert_eq!(st.get(t[1]).unwrap().state(), S::OVERLAPPED);
    assert_eq!(st.root(t[1]).unwrap(), t[2]);
    assert_eq!(st.members_of_root(t[2]).unwrap(), vec![t[0], t[1], t[2]]);
    assert_eq!(st.params(t[1]).unwrap(), Some(&pt(0.5)));
    assert_eq!(st.direct_dominator(t[0]).unwrap(), Some(t[2]));
    assert_eq!(st.direct_dominator(t[2]).unwrap(), None);
}

#[test]
fn dominate_rejects_self_and_circular() {
    let (mut st, t) = store_with(StateModel::Ppq066, 3);
    assert!(matches!(st.dominate(t[0], t[0]), Err(QuantError::CircularDomination(_))));
    st.dominate(t[0], t[1]).unwrap();
    // t1 roots t0: t1 may not be dominated by its own son
    assert!(matches!(st.dominate(t[1], t[0]), Err(QuantError::CircularDomination(_))));
    // same group already: nothing happens, no error
    st.dominate(t[0], t[1]).unwrap();
    assert_eq!(st.get(t[1]).unwrap().state(), S::INITIAL);
    assert!(st.dominate(t[0], TqcId(99)).is_err());
}

#[test]
fn master_by_points_at_master_and_picks_passive_or_init() {
    let (mut st, t) = store_with(StateModel::Ppq066, 4);
    st.master_by(t[0], t[1]).unwrap();
    assert_eq!(st.get(t[0]).unwrap().state(), S::PASSIVE_INIT);
    st.dominate(t[1], t[2]).unwrap(); // t1 now under t2
    st.render(t[2], pt(0.25)).unwrap();
    st.master_by(t[3], t[1]).unwrap(); // parent is t1 itself, not its root
    assert_eq!(st.get(t[3]).unwrap().state(), S::PASSIVE);
    assert_eq!(st.direct_dominator(t[3]).unwrap(), Some(t[1]));
    assert_eq!(st.root(t[3]).unwrap(), t[2]);
    assert_eq!(st.params(t[3]).unwrap(), Some(&pt(0.25)));
    assert!(st.master_by(t[0], t[0]).is_err());
    // t2 roots t3: making t2 a slave of t3 would loop forever in PPQ
    assert!(matches!(st.master_by(t[2], t[3]), Err(QuantError::CircularDomination(_))));
}

#[test]
fn passive_slave_is_not_revisable() {
    let (mut st, t) = store_with(StateModel::Ppq066, 2);
    st.render(t[1], pt(1.0)).unwrap();
    st.master_by(t[0], t[1]).unwrap();
    let e = st.set_scale_offset(t[0], pt(2.0)).unwrap_err();
    assert!(matches!(e, QuantError::NotRevisable { .. }), "{e}");
    st.set_scale_offset(t[1], pt(2.0)).unwrap();
    assert_eq!(st.params(t[0]).unwrap(), Some(&pt(2.0)));
}

#[test]
fn revisable_states_differ_by_model() {
    for (model, revisable) in [(StateModel::Ppq066, false), (StateModel::Ppq065, true)] {
        let (mut st, t) = store_with(model, 1);
        st.dequantize_op(&[t[0]]).unwrap();
        // 0.6.6 dequantizes to FP32 (revisable), 0.6.5 to DEQUANTIZED (also revisable there)
        assert!(st.is_revisable(t[0]).unwrap());
        st.restore_op(&[t[0]]).unwrap();
        st.set_state(t[0], S::BAKED, "bake").unwrap();
        assert!(!st.is_revisable(t[0]).unwrap());
        assert!(st.set_scale_offset(t[0], pt(1.0)).is_err());
        if model == StateModel::Ppq065 {
            st.set_state(t[0], S::DEACTIVATED, "off").unwrap();
        }
        assert_eq!(st.is_revisable(t[0]).unwrap(), revisable);
    }
}

#[test]
fn render_only_activates_initial() {
    let (mut st, t) = store_with(StateModel::Ppq066, 2);
    st.render(t[0], pt(1.0)).unwrap();
    assert_eq!(st.get(t[0]).unwrap().state(), S::ACTIVATED);
    st.set_state(t[1], S::PASSIVE_INIT, "bias").unwrap();
    st.render(t[1], pt(1.0)).unwrap();
    assert_eq!(st.get(t[1]).unwrap().state(), S::PASSIVE_INIT);
}

#[test]
fn set_master_is_065_only_and_checks_master_state() {
    let (mut st, t) = store_with(StateModel::Ppq066, 2);
    assert!(st.set_master(t[0], t[1], false).is_err());
    let (mut st, t) = store_with(StateModel::Ppq065, 4);
    assert!(st.set_master(t[0], t[1], false).is_err(), "INITIAL master must be refused");
    st.render(t[1], pt(1.0)).unwrap();
    st.set_master(t[0], t[1], false).unwrap();
    assert_eq!(st.get(t[0]).unwrap().state(), S::SLAVE);
    assert!(st.set_state(t[0], S::SLAVE, "x").is_ok());
    // recursive: applies to the root of t2's group
    st.dominate(t[2], t[3]).unwrap();
    st.set_master(t[2], t[1], true).unwrap();
    assert_eq!(st.get(t[3]).unwrap().state(), S::SLAVE);
    assert_eq!(st.root(t[2]).unwrap(), t[1]);
    assert!(st.set_master(t[1], t[0], false).is_err(), "cycle");
    let (mut st, t) = store_with(StateModel::Ppq066, 1);
    assert!(st.set_state(t[0], S::SLAVE, "x").is_err(), "no SLAVE in 0.6.6");
}

#[test]
fn shared_fields_read_through_root_only_in_065() {
    for (model, expect_bits, expect_min) in [(StateModel::Ppq066, 4, -8), (StateModel::Ppq065, 8, -128)] {
        let (mut st, t) = store_with(model, 2);
        st.get_mut(t[1]).unwrap().set_quant_range(-128, 127).unwrap();
        let c = st.get_mut(t[0]).unwrap();
        c.set_num_of_bits(4).unwrap();
        c.set_quant_range(-8, 7).unwrap();
        st.dominate(t[0], t[1]).unwrap();
        let e = st.effective(t[0]).unwrap();
        assert_eq!((e.num_of_bits, e.quant_min, e.root), (expect_bits, expect_min, t[1]), "{model}");
        assert_eq!(st.is_same_scheme(t[0], t[1]).unwrap(), model == StateModel::Ppq065);
    }
}

#[test]
fn policy_setter_rules() {
    let (mut st, t) = store_with(StateModel::Ppq065, 2);
    let asym = QuantizationPolicy::new(0x25, StateModel::Ppq065).unwrap();
    st.dominate(t[0], t[1]).unwrap();
    assert!(st.set_policy(t[0], asym).is_err(), "0.6.5 setter needs is_revisable");
    st.set_policy(t[1], asym).unwrap();
    let (mut st, t) = store_with(StateModel::Ppq066, 2);
    st.dominate(t[0], t[1]).unwrap();
    st.set_policy(t[0], QuantizationPolicy::new(0x25, StateModel::Ppq066).unwrap()).unwrap();
    let exp065 = QuantizationPolicy::new(0x19, StateModel::Ppq065).unwrap();
    assert!(st.set_policy(t[1], exp065).is_err(), "not on the 0.6.6 whitelist");
}

#[test]
fn can_export_rules() {
    let (mut st, t) = store_with(StateModel::Ppq066, 3);
    assert!(!st.can_export(t[0], false).unwrap(), "no scale");
    st.render(t[0], pt(1.0)).unwrap();
    assert!(st.can_export(t[0], false).unwrap());
    st.dominate(t[1], t[0]).unwrap();
    assert!(!st.can_export(t[1], false).unwrap());
    assert!(st.can_export(t[1], true).unwrap());
    st.get_mut(t[1]).unwrap().set_visibility(QuantizationVisibility::FORCE_EXPORT);
    assert!(st.can_export(t[1], false).unwrap());
    st.get_mut(t[0]).unwrap().set_visibility(QuantizationVisibility::INTERNAL);
    assert!(!st.can_export(t[0], true).unwrap());
    st.set_state(t[2], S::FP32, "x").unwrap();
    st.set_scale_offset(t[2], pt(1.0)).unwrap();
    assert!(!st.can_export(t[2], false).unwrap());
    let (mut st, t) = store_with(StateModel::Ppq065, 2);
    st.render(t[1], pt(1.0)).unwrap();
    st.set_master(t[0], t[1], false).unwrap();
    assert!(st.can_export(t[0], false).unwrap(), "SLAVE is active in 0.6.5");
}

#[test]
fn copy_keeps_dominator_only_when_overlapped() {
    let (mut st, t) = store_with(StateModel::Ppq066, 3);
    st.render(t[2], pt(3.0)).unwrap();
    st.dominate(t[0], t[2]).unwrap();
    st.master_by(t[1], t[2]).unwrap();
    let c0 = st.copy(t[0]).unwrap();
    assert_eq!(st.root(c0).unwrap(), t[2]);
    assert_eq!(st.get(c0).unwrap().state(), S::OVERLAPPED);
    let c1 = st.copy(t[1]).unwrap();
    assert_eq!(st.root(c1).unwrap(), c1);
    assert_eq!(st.get(c1).unwrap().state(), S::PASSIVE);
    assert_eq!(st.get(c1).unwrap().own_params(), Some(&pt(3.0)), "copy owns the effective scale");
    assert_eq!(st.get(c1).unwrap().label(), st.get(t[1]).unwrap().label());
}

#[test]
fn dequantize_and_restore_are_idempotent_and_logged() {
    for (model, dq) in [(StateModel::Ppq066, S::FP32), (StateModel::Ppq065, S::DEQUANTIZED)] {
        let (mut st, t) = store_with(model, 2);
        st.render(t[0], pt(1.0)).unwrap();
        st.drain_transitions();
        st.dequantize_op(&t).unwrap();
        st.dequantize_op(&t).unwrap();
        assert_eq!(st.get(t[0]).unwrap().state(), dq);
        assert_eq!(st.get(t[0]).unwrap().detail().stored_state, Some(S::ACTIVATED));
        assert_eq!(st.transitions().len(), 2);
        st.restore_op(&t).unwrap();
        st.restore_op(&t).unwrap();
        assert_eq!(st.get(t[0]).unwrap().state(), S::ACTIVATED);
        assert_eq!(st.get(t[1]).unwrap().state(), S::INITIAL);
        assert_eq!(st.get(t[0]).unwrap().detail().stored_state, None);
        assert_eq!(st.drain_transitions().len(), 4);
        assert!(st.dequantize_op(&[t[0], TqcId(7)]).is_err());
        assert_eq!(st.get(t[0]).unwrap().state(), S::ACTIVATED, "nothing changes on a bad id");
    }
}

#[test]
fn transitions_carry_pass_and_reason() {
    let (mut st, t) = store_with(StateModel::Ppq066, 2);
    st.begin_pass("QuantizeFusionPass");
    st.dominate(t[0], t[1]).unwrap();
    st.end_pass();
    st.render(t[1], pt(1.0)).unwrap();
    let log = st.drain_transitions();
    assert_eq!(log.len(), 2);
    assert_eq!(
        (log[0].from, log[0].to, log[0].pass.as_deref()),
        (S::INITIAL, S::OVERLAPPED, Some("QuantizeFusionPass"))
    );
    assert_eq!(log[0].reason, "dominated by op1:out0:v1");
    assert_eq!(log[0].label, "op0:out0:v0");
    assert_eq!((log[1].to, log[1].pass.as_deref(), log[1].reason.as_str()), (S::ACTIVATED, None, "render"));
    assert!(st.transitions().is_empty());
}

#[test]
fn detach_makes_a_root_and_keeps_children() {
    let (mut st, t) = store_with(StateModel::Ppq066, 3);
    st.dominate(t[1], t[0]).unwrap();
    st.master_by(t[0], t[2]).unwrap();
    assert_eq!(st.root(t[1]).unwrap(), t[2]);
    st.detach(t[0]).unwrap();
    assert_eq!(st.groups().unwrap().iter().find(|g| g.root == t[0]).unwrap().members, vec![t[0], t[1]]);
}

#[test]
fn store_rejects_bad_input() {
    let mut st = TqcStore::new(StateModel::Ppq066);
    let p065 = QuantizationPolicy::new(0x19, StateModel::Ppq065).unwrap();
    assert!(st.add(TensorQuantizationConfig::new("x", p065)).is_err());
    let p = QuantizationPolicy::new(SYM_PT, StateModel::Ppq066).unwrap();
    assert!(st.add(TensorQuantizationConfig::new("x", p).with_state(S::SOI)).is_err());
    assert!(st.get(TqcId(0)).is_err() && st.root(TqcId(0)).is_err());
    let id = st.add(TensorQuantizationConfig::new("x", p)).unwrap();
    assert_eq!(st.find("x"), Some(id));
    assert_eq!(st.find("y"), None);
}

#[test]
fn store_serializes_plain_data() {
    let (mut st, t) = store_with(StateModel::Ppq066, 2);
    st.render(t[0], pt(0.5)).unwrap();
    st.dominate(t[1], t[0]).unwrap();
    let v = serde_json::to_value(&st).unwrap();
    assert_eq!(v["model"], "ppq-0.6.6");
    assert_eq!(v["tqcs"][0]["state"], "ACTIVATED");
    assert_eq!(v["tqcs"][0]["params"]["scale"], 0.5);
    assert_eq!(v["tqcs"][1]["dominator"], 0);
    assert_eq!(v["transitions"][1]["to"], "OVERLAPPED");
}
