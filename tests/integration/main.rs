//! One integration-test binary (so the suite links once). Every test drives the real
//! `vault` binary in a throwaway git repository with an isolated HOME and git config.

// Test code panics on purpose when setup fails; that is how a test reports it.
#![allow(clippy::unwrap_used)]

mod support;

mod attacks;
mod attacks_pq;
mod audit;
mod authenticity;
mod canary;
mod check;
mod core;
mod edit;
mod errors;
mod example;
mod exec;
mod export;
mod git;
mod golden;
mod hardening;
mod identity;
mod members;
mod plugins;
mod pq;
mod runtime;
mod scan_rules;
mod secrets;
#[cfg(any(feature = "github", feature = "cloudflare", feature = "azure"))]
mod stores;
#[cfg(any(feature = "ssm", feature = "kv"))]
mod sync;
mod template;
