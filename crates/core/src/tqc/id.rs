//! [`TqcId`], the handle TQCs refer to each other by. Its own module so the config (which names its dominator
//! by id) and the store (which owns configs) do not import each other.

use serde::{Deserialize, Serialize};

/// Index of a TQC in its [`super::TqcStore`]; stands in for PPQ's object identity (`_hash`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct TqcId(pub u32);

impl TqcId {
    /// The position in the store.
    pub const fn index(self) -> usize {
        self.0 as usize
    }
}
