//! The HTTP face of a node (axum): `GET /status` (JSON) and `GET /` (an HTML page of the same,
//! reloading itself). It runs on its own thread with its own runtime and only reads a snapshot
//! the node loop publishes after every tick, so a slow browser can never stall the node and a
//! synchronous chain client never runs inside an async runtime.

use std::net::SocketAddr;
use std::sync::{Arc, Mutex, PoisonError};

use axum::extract::State;
use axum::response::{Html, IntoResponse, Json};
use axum::routing::get;
use axum::Router;

use crate::error::{NodeError, Result};
use crate::status::NodeStatus;

/// The snapshot the node publishes and the server reads.
#[derive(Clone, Debug, Default)]
pub struct SharedStatus(Arc<Mutex<NodeStatus>>);

impl SharedStatus {
    /// Replaces the snapshot.
    pub fn publish(&self, s: NodeStatus) {
        *self.0.lock().unwrap_or_else(PoisonError::into_inner) = s;
    }

    /// A copy of the snapshot.
    pub fn get(&self) -> NodeStatus {
        self.0
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }
}

async fn status_json(State(s): State<SharedStatus>) -> impl IntoResponse {
    Json(s.get())
}

async fn page(State(s): State<SharedStatus>) -> impl IntoResponse {
    Html(s.get().html())
}

/// The router: `/status` and `/`.
pub fn router(status: SharedStatus) -> Router {
    Router::new()
        .route("/status", get(status_json))
        .route("/", get(page))
        .with_state(status)
}

/// Binds `addr` now (so a port in use is an error here, not on a thread) and serves on a
/// background thread for the life of the process. Returns the address bound (port 0 picks one).
///
/// # Errors
/// [`NodeError::Missing`] when the address cannot be bound.
pub fn serve(addr: SocketAddr, status: SharedStatus) -> Result<SocketAddr> {
    let bind_err = |e: std::io::Error| NodeError::Missing(format!("cannot serve on {addr}: {e}"));
    let listener = std::net::TcpListener::bind(addr).map_err(bind_err)?;
    listener.set_nonblocking(true).map_err(bind_err)?;
    let local = listener.local_addr().map_err(bind_err)?;
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(bind_err)?;
    std::thread::Builder::new()
        .name("verinfer-node-http".into())
        .spawn(move || {
            runtime.block_on(async move {
                let listener = match tokio::net::TcpListener::from_std(listener) {
                    Ok(l) => l,
                    Err(e) => {
                        tracing::error!(error = %e, "HTTP listener unusable");
                        return;
                    }
                };
                if let Err(e) = axum::serve(listener, router(status)).await {
                    tracing::error!(error = %e, "HTTP server stopped");
                }
            });
        })
        .map_err(bind_err)?;
    Ok(local)
}
