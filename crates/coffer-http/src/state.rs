//! Shared state and the bridge from async handlers to the synchronous use cases.

use coffer_app::auth::Auth;
use coffer_app::{App, AppResult};

use crate::problem::ApiError;

#[derive(Clone)]
pub struct AppState {
    pub app: App,
    pub auth: Auth,
    pub cookies: crate::routes::identity::CookiePolicy,
}

impl AppState {
    /// Runs a use case on a blocking thread: use cases do synchronous, durable IO.
    pub async fn run<T: Send + 'static>(
        &self,
        f: impl FnOnce(&App) -> AppResult<T> + Send + 'static,
    ) -> Result<T, ApiError> {
        let app = self.app.clone();
        match tokio::task::spawn_blocking(move || f(&app)).await {
            Ok(result) => result.map_err(ApiError::from),
            Err(e) => {
                tracing::error!(error = %e, "use case panicked");
                Err(ApiError::internal())
            }
        }
    }

    /// Runs an identity operation on a blocking thread.
    pub async fn run_auth<T: Send + 'static>(
        &self,
        f: impl FnOnce(&Auth) -> AppResult<T> + Send + 'static,
    ) -> Result<T, ApiError> {
        let auth = self.auth.clone();
        match tokio::task::spawn_blocking(move || f(&auth)).await {
            Ok(result) => result.map_err(ApiError::from),
            Err(e) => {
                tracing::error!(error = %e, "identity operation panicked");
                Err(ApiError::internal())
            }
        }
    }
}
