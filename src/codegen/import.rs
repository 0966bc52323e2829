//! `vault template import`: a template from a dotenv template (`.env.example`).

/// Why a dotenv template cannot be imported.
#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    /// The file does not parse as dotenv.
    #[error("{file} is not a valid dotenv file")]
    Dotenv {
        /// The file's name as given.
        file: String,
        /// Where and why.
        #[source]
        source: crate::dotenv::DotenvError,
    },
}
