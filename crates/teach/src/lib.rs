//! Layer 5, teaching: experiments (the page's URL state), lessons, comparing two rule sets and running an
//! experiment's variants. Depends on the session and below; never on the worker or the page.

pub mod compare;
pub mod experiment;
pub mod lessons;
pub mod run;
pub mod teach;
