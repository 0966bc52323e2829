//! Corpus test (placeholder).
