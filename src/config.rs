//! Settings. Every flag can also be given as an environment variable (shown in `--help`).

use clap::Args;

pub const DEFAULT_DATABASE_URL: &str = "sqlite://content.db?mode=rwc";
pub const DEFAULT_BIND: &str = "127.0.0.1:8080";

/// Where the content lives.
#[derive(Args, Clone, Debug)]
pub struct DatabaseSettings {
    /// Database URL: `sqlite://FILE?mode=rwc` (embedded) or `postgres://USER@HOST/DB`.
    #[arg(long, env = "DATABASE_URL", default_value = DEFAULT_DATABASE_URL, global = true)]
    pub database_url: String,
}

/// How the server listens and behaves.
#[derive(Args, Clone, Debug)]
pub struct ServeSettings {
    /// Address and port to listen on.
    #[arg(long, env = "CONTENT_API_BIND", default_value = DEFAULT_BIND)]
    pub bind: String,

    /// Do not load the bundled demo article into an empty database.
    #[arg(long, env = "CONTENT_API_NO_DEMO")]
    pub no_demo: bool,

    /// Origins browsers may call the API from (comma-separated); `*` allows any origin.
    /// Credentials (cookies) are never allowed cross-origin.
    #[arg(
        long,
        env = "CONTENT_API_CORS_ORIGINS",
        value_delimiter = ',',
        default_value = "*"
    )]
    pub cors_origins: Vec<String>,
}

impl Default for ServeSettings {
    fn default() -> Self {
        Self {
            bind: DEFAULT_BIND.to_owned(),
            no_demo: false,
            cors_origins: vec!["*".to_owned()],
        }
    }
}
