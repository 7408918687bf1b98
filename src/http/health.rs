//! `/health` answers while the process runs; `/health/ready` only when the database and the key-value
//! store answer, so a load balancer sends no traffic to an instance that cannot serve it.

use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::get;
use axum::{Json, Router};
use sea_orm::ConnectionTrait;
use serde_json::{Value, json};

use crate::app::Core;

pub fn routes() -> Router<Core> {
    Router::new()
        .route("/health", get(alive))
        .route("/health/ready", get(ready))
}

async fn alive() -> Json<Value> {
    Json(json!({ "status": "ok" }))
}

async fn ready(State(core): State<Core>) -> (StatusCode, Json<Value>) {
    let database = core.db.execute_unprepared("SELECT 1").await.map(drop);
    let kv = core.kv.ping().await;
    let check = |ok: bool| if ok { "ok" } else { "unavailable" };
    let body = json!({
        "database": { "backend": crate::db::backend_name(&core.db), "status": check(database.is_ok()) },
        "kv": { "backend": core.kv.kind(), "status": check(kv.is_ok()) },
    });
    if let (Ok(()), Ok(())) = (&database, &kv) {
        return (
            StatusCode::OK,
            Json(json!({ "status": "ok", "checks": body })),
        );
    }
    // The reasons go to the log, not to the caller: they may name hosts.
    tracing::warn!(
        database_ok = database.is_ok(),
        kv_ok = kv.is_ok(),
        "not ready"
    );
    let err = crate::Error::NotReady;
    let error =
        json!({ "error": { "code": err.code(), "message": err.to_string(), "details": body } });
    (StatusCode::SERVICE_UNAVAILABLE, Json(error))
}
