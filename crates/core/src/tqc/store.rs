//! [`TqcStore`]: the arena owning every TQC of a graph, PPQ's union-find sharing relations
//! (`dominated_by`, `master_by`, ≤0.6.5 `set_master`; spec §3.3) and the log of state transitions.

use super::config::{QuantizationVisibility, TensorQuantizationConfig};
use super::params::QuantParams;
use crate::error::QuantError;
use crate::policy::QuantizationPolicy;
use crate::rounding::RoundingPolicy;
use crate::state::{QuantizationStates as S, StateModel};
use serde::Serialize;
use std::collections::BTreeMap;

pub use super::id::TqcId;

/// One logged state change: which TQC, from what to what, why, and in which pass. The UI's trace.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Transition {
    /// The TQC that changed.
    pub tqc: TqcId,
    /// Its label (PPQ `self` id), copied so the log reads on its own.
    pub label: String,
    /// State before.
    pub from: S,
    /// State after.
    pub to: S,
    /// What caused it (`dominated by …`, `render`, `dequantize` …).
    pub reason: String,
    /// The pass that was running (see [`TqcStore::begin_pass`]), if any.
    pub pass: Option<String>,
}

/// The values a kernel or the UI must use for a TQC: its own where PPQ reads its own, its root's
/// where PPQ reads through the root (scale/offset always; in 0.6.5 also policy, bits, rounding, range).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct EffectiveConfig<'a> {
    /// The TQC.
    pub id: TqcId,
    /// Its union-find root.
    pub root: TqcId,
    /// Effective policy.
    pub policy: QuantizationPolicy,
    /// Effective rounding.
    pub rounding: RoundingPolicy,
    /// Effective bit width.
    pub num_of_bits: u32,
    /// Effective lower bound.
    pub quant_min: i32,
    /// Effective upper bound.
    pub quant_max: i32,
    /// Own exponent bits.
    pub exponent_bits: u32,
    /// Own channel axis.
    pub channel_axis: Option<i32>,
    /// Own state (never shared).
    pub state: S,
    /// The root's scale/offset.
    pub params: Option<&'a QuantParams>,
}

/// A union-find group: a root and every TQC whose scale/offset it provides (root included, ascending).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TqcGroup {
    /// The TQC that owns the scale.
    pub root: TqcId,
    /// All members, root included, in id order.
    pub members: Vec<TqcId>,
}

/// Owns the TQCs of a graph under one [`StateModel`], and is the only place their state changes.
#[derive(Debug, Clone, Default, Serialize)]
pub struct TqcStore {
    model: StateModel,
    tqcs: Vec<TensorQuantizationConfig>,
    transitions: Vec<Transition>,
    current_pass: Option<String>,
}

impl TqcStore {
    /// An empty store whose rules are those of `model`.
    pub fn new(model: StateModel) -> Self {
        Self { model, ..Self::default() }
    }

    /// The state model in force.
    pub const fn model(&self) -> StateModel {
        self.model
    }

    /// Number of TQCs.
    pub fn len(&self) -> usize {
        self.tqcs.len()
    }

    /// Whether the store holds no TQC.
    pub fn is_empty(&self) -> bool {
        self.tqcs.is_empty()
    }

    /// All ids, in insertion order.
    pub fn ids(&self) -> impl Iterator<Item = TqcId> + '_ {
        (0..self.tqcs.len()).map(|i| TqcId(i as u32))
    }

    /// Adds a TQC as its own root. Its policy must be on the model's whitelist and its state live in
    /// the model (no SLAVE in 0.6.6).
    pub fn add(&mut self, mut tqc: TensorQuantizationConfig) -> Result<TqcId, QuantError> {
        QuantizationPolicy::new(tqc.own_policy().bits(), self.model)?;
        self.check_live(tqc.state)?;
        let id = TqcId(u32::try_from(self.tqcs.len()).map_err(|_| QuantError::InvalidConfig("too many TQCs".into()))?);
        tqc.dominator = Some(id);
        self.tqcs.push(tqc);
        Ok(id)
    }

    /// The TQC behind `id`.
    pub fn get(&self, id: TqcId) -> Result<&TensorQuantizationConfig, QuantError> {
        self.tqcs.get(id.index()).ok_or(QuantError::UnknownTqc(id.0))
    }

    /// Mutable access for the setters that PPQ leaves unrestricted (rounding, bits, range, observer …).
    /// State, parent and scale/offset cannot be reached this way.
    pub fn get_mut(&mut self, id: TqcId) -> Result<&mut TensorQuantizationConfig, QuantError> {
        self.tqcs.get_mut(id.index()).ok_or(QuantError::UnknownTqc(id.0))
    }

    /// The first TQC with this label (PPQ `self` id).
    pub fn find(&self, label: &str) -> Option<TqcId> {
        self.tqcs.iter().position(|t| t.label() == label).map(|i| TqcId(i as u32))
    }

    fn parent(&self, id: TqcId) -> Result<TqcId, QuantError> {
        Ok(self.get(id)?.dominator.unwrap_or(id))
    }

    /// The direct parent pointer (PPQ's `_dominator`), `None` for a root.
    pub fn direct_dominator(&self, id: TqcId) -> Result<Option<TqcId>, QuantError> {
        let p = self.parent(id)?;
        Ok((p != id).then_some(p))
    }

    /// The union-find root, without path compression (so it works on `&self`).
    pub fn root(&self, id: TqcId) -> Result<TqcId, QuantError> {
        let mut cur = id;
        for _ in 0..=self.tqcs.len() {
            let p = self.parent(cur)?;
            if p == cur {
                return Ok(cur);
            }
            cur = p;
        }
        Err(QuantError::CircularDomination(format!("parent chain of {} does not end", self.label(id))))
    }

    /// PPQ's `dominated_by` getter: the root, compressing the path so every TQC on it points at the root.
    pub fn dominated_by(&mut self, id: TqcId) -> Result<TqcId, QuantError> {
        let root = self.root(id)?;
        let mut cur = id;
        while cur != root {
            let next = self.parent(cur)?;
            self.tqcs[cur.index()].dominator = Some(root);
            cur = next;
        }
        Ok(root)
    }

    /// Whether walking up from `from` (inclusive) meets `target`.
    fn path_contains(&self, from: TqcId, target: TqcId) -> Result<bool, QuantError> {
        let root = self.root(from)?;
        let mut cur = from;
        loop {
            if cur == target {
                return Ok(true);
            }
            if cur == root {
                return Ok(false);
            }
            cur = self.parent(cur)?;
        }
    }

    fn label(&self, id: TqcId) -> String {
        self.get(id).map_or_else(|_| format!("#{}", id.0), |t| t.label().to_string())
    }

    fn check_live(&self, state: S) -> Result<(), QuantError> {
        if state.is_live(self.model) {
            Ok(())
        } else {
            Err(QuantError::InvalidConfig(format!("state {state} does not exist in {}", self.model)))
        }
    }

    /// Marks the start of a pass: transitions recorded until [`Self::end_pass`] carry its name.
    pub fn begin_pass(&mut self, name: impl Into<String>) {
        self.current_pass = Some(name.into());
    }

    /// Marks the end of the current pass.
    pub fn end_pass(&mut self) {
        self.current_pass = None;
    }

    /// The transitions logged so far.
    pub fn transitions(&self) -> &[Transition] {
        &self.transitions
    }

    /// Takes the logged transitions, leaving the log empty.
    pub fn drain_transitions(&mut self) -> Vec<Transition> {
        std::mem::take(&mut self.transitions)
    }

    /// THE way a state changes. Rejects states that do not exist in the model; logs a [`Transition`]
    /// when the state actually changes (a no-op assignment is not logged).
    pub fn set_state(&mut self, id: TqcId, to: S, reason: impl Into<String>) -> Result<(), QuantError> {
        self.check_live(to)?;
        let pass = self.current_pass.clone();
        let tqc = self.get_mut(id)?;
        let from = tqc.state;
        tqc.state = to;
        if from != to {
            let label = tqc.label().to_string();
            self.transitions.push(Transition { tqc: id, label, from, to, reason: reason.into(), pass });
        }
        Ok(())
    }

    /// `A.dominated_by = B` (spec §3.3): A and A's old root join B's root's group and both become
    /// OVERLAPPED. Errors when A is B or when B's root is A (PPQ's "circular reference").
    pub fn dominate(&mut self, child: TqcId, parent: TqcId) -> Result<(), QuantError> {
        self.get(parent)?;
        if child == parent {
            return Err(QuantError::CircularDomination(format!("{} cannot dominate itself", self.label(child))));
        }
        let old_root = self.dominated_by(child)?;
        let new_root = self.dominated_by(parent)?;
        if new_root == child {
            return Err(QuantError::CircularDomination(format!(
                "{} already roots {}; a son cannot dominate its father",
                self.label(child),
                self.label(parent)
            )));
        }
        if new_root != old_root {
            self.tqcs[old_root.index()].dominator = Some(new_root);
            self.tqcs[child.index()].dominator = Some(new_root);
            let reason = format!("dominated by {}", self.label(new_root));
            self.set_state(old_root, S::OVERLAPPED, reason.clone())?;
            self.set_state(child, S::OVERLAPPED, reason)?;
        }
        Ok(())
    }

    /// 0.6.6 `A.master_by = M`: A's parent becomes M itself (not M's root); A becomes PASSIVE when M's
    /// effective scale and offset exist, else PASSIVE_INIT. PPQ does not check for cycles and would
    /// loop forever; we refuse when M descends from A (quirk `master-by-cycle`).
    pub fn master_by(&mut self, child: TqcId, master: TqcId) -> Result<(), QuantError> {
        self.get(child)?;
        if child == master {
            return Err(QuantError::CircularDomination(format!("{} cannot master itself", self.label(child))));
        }
        self.dominated_by(master)?;
        if self.path_contains(master, child)? {
            return Err(QuantError::CircularDomination(format!(
                "{} descends from {}; mastering would make a cycle",
                self.label(master),
                self.label(child)
            )));
        }
        self.tqcs[child.index()].dominator = Some(master);
        let to = if self.params(master)?.is_some() { S::PASSIVE } else { S::PASSIVE_INIT };
        let reason = format!("master_by {}", self.label(master));
        self.set_state(child, to, reason)
    }

    /// ≤0.6.5 `A.set_master(M, recursive)`: M must be ACTIVATED, OVERLAPPED or SLAVE; A (or A's root
    /// when `recursive`) gets parent M and state SLAVE. Only exists in the 0.6.5 model. PPQ makes no
    /// cycle check; we refuse cycles and self-mastering.
    pub fn set_master(&mut self, child: TqcId, master: TqcId, recursive: bool) -> Result<(), QuantError> {
        if self.model != StateModel::Ppq065 {
            return Err(QuantError::InvalidConfig(format!("set_master is ppq-0.6.5 API, not {}", self.model)));
        }
        let master_state = self.get(master)?.state;
        if !matches!(master_state, S::ACTIVATED | S::OVERLAPPED | S::SLAVE) {
            return Err(QuantError::InvalidConfig(format!(
                "set_master: master {} is {master_state}, needs ACTIVATED, OVERLAPPED or SLAVE",
                self.label(master)
            )));
        }
        let target = if recursive { self.dominated_by(child)? } else { child };
        if self.path_contains(master, target)? {
            return Err(QuantError::CircularDomination(format!(
                "{} is or descends from {}",
                self.label(master),
                self.label(target)
            )));
        }
        self.tqcs[target.index()].dominator = Some(master);
        let reason = format!("set_master {}", self.label(master));
        self.set_state(target, S::SLAVE, reason)
    }

    /// Makes `id` its own root again (PPQ assigns `_dominator = self`, as Align to Large does with its
    /// master input). TQCs that pointed at it stay in its group. No state change.
    pub fn detach(&mut self, id: TqcId) -> Result<(), QuantError> {
        self.get_mut(id)?.dominator = Some(id);
        Ok(())
    }

    /// The scale/offset in force: the root's (PPQ's `scale`/`offset` getters).
    pub fn params(&self, id: TqcId) -> Result<Option<&QuantParams>, QuantError> {
        Ok(self.get(self.root(id)?)?.params.as_ref())
    }

    /// Every effective value of a TQC at once (see [`EffectiveConfig`] for what is shared per model).
    pub fn effective(&self, id: TqcId) -> Result<EffectiveConfig<'_>, QuantError> {
        let own = self.get(id)?;
        let root = self.root(id)?;
        let r = self.get(root)?;
        let shared = if self.model == StateModel::Ppq065 { r } else { own };
        Ok(EffectiveConfig {
            id,
            root,
            policy: shared.own_policy(),
            rounding: shared.own_rounding(),
            num_of_bits: shared.own_num_of_bits(),
            quant_min: shared.own_quant_min(),
            quant_max: shared.own_quant_max(),
            exponent_bits: own.exponent_bits(),
            channel_axis: own.channel_axis(),
            state: own.state,
            params: r.params.as_ref(),
        })
    }

    /// PPQ's `is_revisable`: own root and a revisable state in this model.
    pub fn is_revisable(&self, id: TqcId) -> Result<bool, QuantError> {
        Ok(self.root(id)? == id && self.get(id)?.state.is_revisable(self.model))
    }

    fn check_revisable(&self, id: TqcId) -> Result<(), QuantError> {
        let tqc = self.get(id)?;
        if self.root(id)? != id {
            return Err(QuantError::NotRevisable {
                tqc: tqc.label().to_string(),
                state: tqc.state.name(),
                why: "it is not its own root; write the root instead",
            });
        }
        if !tqc.state.is_revisable(self.model) {
            return Err(QuantError::NotRevisable {
                tqc: tqc.label().to_string(),
                state: tqc.state.name(),
                why: "the state forbids changing scale/offset",
            });
        }
        Ok(())
    }

    /// Sets scale/offset; like PPQ's setters, refused unless [`Self::is_revisable`].
    pub fn set_scale_offset(&mut self, id: TqcId, params: QuantParams) -> Result<(), QuantError> {
        self.check_revisable(id)?;
        self.get_mut(id)?.params = Some(params);
        Ok(())
    }

    /// Clears scale/offset (PPQ assigns None), under the same rule as [`Self::set_scale_offset`].
    pub fn clear_scale_offset(&mut self, id: TqcId) -> Result<(), QuantError> {
        self.check_revisable(id)?;
        self.get_mut(id)?.params = None;
        Ok(())
    }

    /// Sets the policy after checking the model's whitelist; in 0.6.5 PPQ's setter also required
    /// [`Self::is_revisable`], in 0.6.6 it is unrestricted.
    pub fn set_policy(&mut self, id: TqcId, policy: QuantizationPolicy) -> Result<(), QuantError> {
        QuantizationPolicy::new(policy.bits(), self.model)?;
        if self.model == StateModel::Ppq065 {
            self.check_revisable(id)?;
        }
        self.get_mut(id)?.replace_policy(policy);
        Ok(())
    }

    /// The observer's write-back: sets scale/offset, then INITIAL → ACTIVATED if the TQC is still INITIAL.
    pub fn render(&mut self, id: TqcId, params: QuantParams) -> Result<(), QuantError> {
        self.set_scale_offset(id, params)?;
        if self.get(id)?.state == S::INITIAL {
            self.set_state(id, S::ACTIVATED, "render")?;
        }
        Ok(())
    }

    /// PPQ's `is_same_scheme`: equal range, policy, bits, exponent bits, channel axis and rounding
    /// (effective values); state, scale, observer and visibility are ignored.
    pub fn is_same_scheme(&self, a: TqcId, b: TqcId) -> Result<bool, QuantError> {
        let (x, y) = (self.effective(a)?, self.effective(b)?);
        Ok(x.quant_min == y.quant_min
            && x.quant_max == y.quant_max
            && x.policy == y.policy
            && x.num_of_bits == y.num_of_bits
            && x.exponent_bits == y.exponent_bits
            && x.channel_axis == y.channel_axis
            && x.rounding == y.rounding)
    }

    /// The instance `can_export` (§2.1): not INTERNAL, scale/offset present, and an exportable state
    /// (ACTIVATED, PASSIVE, BAKED, PASSIVE_BAKED; 0.6.5 also SLAVE; OVERLAPPED if `export_overlapped`)
    /// or FORCE_EXPORT.
    pub fn can_export(&self, id: TqcId, export_overlapped: bool) -> Result<bool, QuantError> {
        let tqc = self.get(id)?;
        if tqc.visibility() == QuantizationVisibility::INTERNAL || self.params(id)?.is_none() {
            return Ok(false);
        }
        let s = tqc.state;
        let state_ok = s.is_activated(self.model)
            || matches!(s, S::BAKED | S::PASSIVE_BAKED)
            || (export_overlapped && s == S::OVERLAPPED);
        Ok(state_ok || tqc.visibility() == QuantizationVisibility::FORCE_EXPORT)
    }

    /// PPQ's `copy()`: a new TQC with the effective values and state of `id`, owning a clone of the
    /// effective scale/offset. It keeps the parent pointer only when OVERLAPPED (a PASSIVE copy loses
    /// its master and becomes its own root).
    pub fn copy(&mut self, id: TqcId) -> Result<TqcId, QuantError> {
        let eff = self.effective(id)?;
        let params = eff.params.cloned();
        let (policy, rounding, bits, lo, hi) =
            (eff.policy, eff.rounding, eff.num_of_bits, eff.quant_min, eff.quant_max);
        let parent = self.parent(id)?;
        let mut tqc = self.get(id)?.clone();
        tqc.replace_policy(policy);
        tqc.set_rounding(rounding);
        tqc.set_num_of_bits(bits)?;
        tqc.set_quant_range(lo, hi)?;
        tqc.params = params;
        let overlapped = tqc.state == S::OVERLAPPED;
        let new = self.add(tqc)?;
        if overlapped {
            self.tqcs[new.index()].dominator = Some(parent);
        }
        Ok(new)
    }

    /// `QuantableOperation.dequantize()` on an op's TQCs: each goes to FP32 (0.6.6) or DEQUANTIZED
    /// (0.6.5), its old state saved in `detail.stored_state`. A TQC already holding a stored state is
    /// skipped, so calling twice is harmless. All ids are checked before anything changes.
    pub fn dequantize_op(&mut self, ids: &[TqcId]) -> Result<(), QuantError> {
        for &id in ids {
            self.get(id)?;
        }
        let to = match self.model {
            StateModel::Ppq066 => S::FP32,
            StateModel::Ppq065 => S::DEQUANTIZED,
        };
        for &id in ids {
            let tqc = self.get_mut(id)?;
            if tqc.detail().stored_state.is_some() {
                continue;
            }
            let from = tqc.state;
            tqc.detail_mut().stored_state = Some(from);
            self.set_state(id, to, "dequantize")?;
        }
        Ok(())
    }

    /// `restore_quantize_state()`: puts back each stored state and forgets it; TQCs without a stored
    /// state are left alone, so calling twice is harmless.
    pub fn restore_op(&mut self, ids: &[TqcId]) -> Result<(), QuantError> {
        for &id in ids {
            self.get(id)?;
        }
        for &id in ids {
            if let Some(stored) = self.get_mut(id)?.detail_mut().stored_state.take() {
                self.set_state(id, stored, "restore")?;
            }
        }
        Ok(())
    }

    /// Every TQC whose root is `root` (root included), in id order; empty if `root` is not a root.
    pub fn members_of_root(&self, root: TqcId) -> Result<Vec<TqcId>, QuantError> {
        self.get(root)?;
        let mut out = Vec::new();
        for id in self.ids() {
            if self.root(id)? == root {
                out.push(id);
            }
        }
        Ok(out)
    }

    /// All union-find groups, singletons included, ordered by root id: the UI's sharing view.
    pub fn groups(&self) -> Result<Vec<TqcGroup>, QuantError> {
        let mut map: BTreeMap<TqcId, Vec<TqcId>> = BTreeMap::new();
        for id in self.ids() {
            map.entry(self.root(id)?).or_default().push(id);
        }
        Ok(map.into_iter().map(|(root, members)| TqcGroup { root, members }).collect())
    }
}
