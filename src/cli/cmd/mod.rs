//! One module per command group. Handlers take the context and a writer for stdout and
//! return an [`Outcome`](super::Outcome) or a typed error; they never exit the process.

pub mod access;
pub mod audit;
pub mod check;
pub mod demo;
pub mod edit;
pub mod exec;
pub mod export;
pub mod git;
pub mod identity;
pub mod init;
pub mod member;
pub mod render;
pub mod rotate;
pub mod scan;
pub mod secrets;
pub mod sync;
pub mod template;
pub mod trust;
