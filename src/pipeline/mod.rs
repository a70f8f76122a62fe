//! Layer 3, the pipeline: platforms, passes, calibration, the transition trace and exporters.
//! Depends on [`crate::core`] and [`crate::graph`].

pub mod record;
