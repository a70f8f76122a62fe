//! Property tests: random sequences of sharing operations keep the union-find a forest.

use super::*;
use crate::policy::QuantizationPolicy;
use crate::state::{QuantizationStates as S, StateModel};
use proptest::prelude::*;

const N: usize = 8;

#[derive(Debug, Clone)]
enum Op {
    Dominate(usize, usize),
    MasterBy(usize, usize),
    Render(usize),
    Detach(usize),
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        3 => (0..N, 0..N).prop_map(|(a, b)| Op::Dominate(a, b)),
        3 => (0..N, 0..N).prop_map(|(a, b)| Op::MasterBy(a, b)),
        1 => (0..N).prop_map(Op::Render),
        1 => (0..N).prop_map(Op::Detach),
    ]
}

fn fresh() -> TqcStore {
    let mut st = TqcStore::new(StateModel::Ppq066);
    for i in 0..N {
        let p = QuantizationPolicy::new(0x15, StateModel::Ppq066).unwrap();
        st.add(TensorQuantizationConfig::new(format!("t{i}"), p)).unwrap();
    }
    st
}

proptest! {
    #[test]
    fn sharing_never_cycles_and_groups_read_the_root(ops in proptest::collection::vec(op(), 0..40)) {
        let mut st = fresh();
        for (k, o) in ops.iter().enumerate() {
            match *o {
                Op::Dominate(a, b) => {
                    let (a, b) = (TqcId(a as u32), TqcId(b as u32));
                    let old_root = st.root(a).unwrap();
                    if st.dominate(a, b).is_ok() {
                        let new_root = st.root(b).unwrap();
                        prop_assert_eq!(st.root(a).unwrap(), new_root);
                        if old_root != new_root {
                            prop_assert_eq!(st.get(a).unwrap().state(), S::OVERLAPPED);
                            prop_assert_eq!(st.get(old_root).unwrap().state(), S::OVERLAPPED);
                            prop_assert_eq!(st.root(old_root).unwrap(), new_root);
                        }
                    } else {
                        prop_assert!(a == b || st.root(b).unwrap() == a);
                    }
                }
                Op::MasterBy(a, b) => {
                    let (a, b) = (TqcId(a as u32), TqcId(b as u32));
                    if st.master_by(a, b).is_ok() {
                        prop_assert_eq!(st.direct_dominator(a).unwrap(), Some(b));
                        prop_assert!(matches!(st.get(a).unwrap().state(), S::PASSIVE | S::PASSIVE_INIT));
                    }
                }
                Op::Render(a) => {
                    let a = TqcId(a as u32);
                    let _ = st.render(a, QuantParams::per_tensor(k as f32 + 1.0, 0.0));
                }
                Op::Detach(a) => st.detach(TqcId(a as u32)).unwrap(),
            }
            // forest: every root walk terminates, and is stable under repeated (compressing) queries
            for id in st.ids().collect::<Vec<_>>() {
                let r = st.root(id).unwrap();
                prop_assert_eq!(st.dominated_by(id).unwrap(), r);
                prop_assert_eq!(st.root(id).unwrap(), r);
                prop_assert_eq!(st.root(r).unwrap(), r);
                prop_assert_eq!(st.params(id).unwrap(), st.get(r).unwrap().own_params());
            }
            let groups = st.groups().unwrap();
            prop_assert_eq!(groups.iter().map(|g| g.members.len()).sum::<usize>(), N);
            for g in &groups {
                prop_assert_eq!(st.members_of_root(g.root).unwrap(), g.members.clone());
            }
        }
    }
}
