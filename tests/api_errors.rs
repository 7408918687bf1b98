//! One error shape for every 4xx and 5xx, whoever produces it: a handler, an extractor, the router's
//! fallbacks, the body limit, the rate limiter.

mod common;

use common::Backend;
use common::app::{TestApp, code, read, spawn_app_with};
use dvorik::services::admins::AdminRole;
use reqwest::Method;
use serde_json::{Value, json};

/// Asserts `body` is exactly `{"error":{"code","message","details":{…}}}` and returns the code.
fn shape(body: &Value) -> String {
    let error = body["error"]
        .as_object()
        .unwrap_or_else(|| panic!("no error object: {body}"));
    let mut keys: Vec<&str> = error.keys().map(String::as_str).collect();
    keys.sort();
    assert_eq!(keys, ["code", "details", "message"], "{body}");
    assert_eq!(body.as_object().unwrap().len(), 1, "{body}");
    assert!(error["details"].is_object(), "{body}");
    assert!(!error["message"].as_str().unwrap().is_empty());
    assert!(error["details"]["request_id"].is_string(), "{body}");
    error["code"].as_str().unwrap().to_string()
}

async fn raw(
    app: &TestApp,
    method: Method,
    path: &str,
    token: Option<&str>,
    content_type: Option<&str>,
    body: Vec<u8>,
) -> (u16, Value) {
    let mut request = app.client.request(method, app.url(path)).body(body);
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    if let Some(content_type) = content_type {
        request = request.header("content-type", content_type);
    }
    read(request.send().await.unwrap()).await
}

api_test! {
    async fn protocol_errors_have_the_one_shape(app) {
        let owner = app.login(AdminRole::Owner).await;
        let token = Some(owner.access.as_str());
        let json_type = Some("application/json");
        let cases: Vec<(u16, &str, (u16, Value))> = vec![
            (400, "MALFORMED_JSON", raw(&app, Method::POST, "/api/v1/stores", token, json_type, b"{\"name\":".to_vec()).await),
            (400, "MALFORMED_JSON", raw(&app, Method::POST, "/api/v1/stores", token, json_type, Vec::new()).await),
            (415, "UNSUPPORTED_MEDIA_TYPE", raw(&app, Method::POST, "/api/v1/stores", token, Some("text/plain"), b"{\"name\":\"x\"}".to_vec()).await),
            (415, "UNSUPPORTED_MEDIA_TYPE", raw(&app, Method::POST, "/api/v1/stores", token, None, b"{\"name\":\"x\"}".to_vec()).await),
            (404, "ROUTE_NOT_FOUND", raw(&app, Method::GET, "/api/v1/no-such-thing", token, None, Vec::new()).await),
            (404, "ROUTE_NOT_FOUND", raw(&app, Method::GET, "/elsewhere", None, None, Vec::new()).await),
            (405, "METHOD_NOT_ALLOWED", raw(&app, Method::DELETE, "/api/v1/stores", token, None, Vec::new()).await),
            (405, "METHOD_NOT_ALLOWED", raw(&app, Method::PUT, "/api/v1/auth/token", None, None, Vec::new()).await),
            (401, "AUTH_REQUIRED", raw(&app, Method::GET, "/api/v1/stores", None, None, Vec::new()).await),
            (422, "VALIDATION_FAILED", raw(&app, Method::POST, "/api/v1/stores", token, json_type, b"{\"name\":7}".to_vec()).await),
            (422, "VALIDATION_FAILED", raw(&app, Method::POST, "/api/v1/stores", token, json_type, b"[1,2]".to_vec()).await),
        ];
        for (expected_status, expected_code, (status, body)) in cases {
            assert_eq!((status, shape(&body).as_str()), (expected_status, expected_code), "{body}");
        }
    }
}

api_test! {
    async fn domain_refusals_have_the_one_shape_with_field_details(app) {
        let owner = app.login(AdminRole::Owner).await;
        let readonly = app.login(AdminRole::Readonly).await;
        let (status, body) = app.post("/api/v1/stores", &readonly.access, json!({ "name": "A" })).await;
        assert_eq!((status, shape(&body).as_str()), (403, "FORBIDDEN"));
        let (status, body) = app.get("/api/v1/cashiers/987654", &owner.access).await;
        assert_eq!((status, shape(&body).as_str()), (404, "CASHIER_NOT_FOUND"));
        app.post("/api/v1/stores", &owner.access, json!({ "name": "A" })).await;
        let (status, body) = app.post("/api/v1/stores", &owner.access, json!({ "name": "A" })).await;
        assert_eq!((status, shape(&body).as_str()), (409, "STORE_NAME_TAKEN"));
        let (status, body) = app.call(Method::PATCH, "/api/v1/settings", Some(&owner.access), Some(json!({ "expiry_reminder_days": 999, "channel": "nope" }))).await;
        assert_eq!((status, shape(&body).as_str()), (422, "VALIDATION_FAILED"));
        let fields: Vec<&str> = body["error"]["details"]["fields"].as_array().unwrap().iter().map(|f| f["field"].as_str().unwrap()).collect();
        assert!(fields.contains(&"expiry_reminder_days") || fields.contains(&"channel"), "{body}");
    }
}

api_test! {
    async fn a_server_error_hides_its_cause_and_returns_the_request_id(app) {
        use sea_orm::ConnectionTrait;
        let owner = app.login(AdminRole::Owner).await;
        // Break the storage under the running app: every store query now fails inside the database.
        app.t.db.execute_unprepared("ALTER TABLE stores RENAME TO stores_gone").await.unwrap();
        let response = app.client.get(app.url("/api/v1/stores")).bearer_auth(&owner.access).header("x-request-id", "trace-me-42").send().await.unwrap();
        assert_eq!(response.headers()["x-request-id"], "trace-me-42");
        let (status, body) = read(response).await;
        assert_eq!((status, shape(&body).as_str()), (500, "DATABASE_ERROR"));
        assert_eq!(body["error"]["details"]["request_id"], "trace-me-42");
        let text = body.to_string().to_lowercase();
        for leak in ["stores", "table", "sql", "select"] {
            assert!(!text.contains(leak), "{leak} leaked: {body}");
        }
    }
}

async fn limited(backend: Backend) {
    let app = spawn_app_with(backend, |c| {
        c.rate_per_token = 3;
        c.login_rate_per_ip = 2;
    })
    .await;
    let owner = app.login(AdminRole::Owner).await;
    for _ in 0..3 {
        assert_eq!(app.get("/api/v1/stores", &owner.access).await.0, 200);
    }
    let response = app
        .client
        .get(app.url("/api/v1/stores"))
        .bearer_auth(&owner.access)
        .send()
        .await
        .unwrap();
    let retry_after: u64 = response.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=60).contains(&retry_after), "{retry_after}");
    let (status, body) = read(response).await;
    assert_eq!((status, shape(&body).as_str()), (429, "RATE_LIMITED"));
    assert_eq!(body["error"]["details"]["retry_after_secs"], retry_after);
    let other = app.login(AdminRole::Owner).await;
    assert_eq!(
        app.get("/api/v1/stores", &other.access).await.0,
        200,
        "the limit is per token"
    );

    // Sign-in attempts per IP: two logins happened above, the third is refused before checking the token.
    let (status, body) = app
        .call(
            Method::POST,
            "/api/v1/auth/token",
            None,
            Some(json!({ "token": "x" })),
        )
        .await;
    assert_eq!((status, code(&body)), (429, "RATE_LIMITED"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn too_many_requests_are_refused_with_retry_after_on_sqlite() {
    limited(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn too_many_requests_are_refused_with_retry_after_on_mariadb() {
    limited(Backend::MariaDb).await;
}

#[tokio::test]
async fn the_ip_limit_holds_without_a_token() {
    let app = spawn_app_with(Backend::Sqlite, |c| c.rate_per_ip = 4).await;
    let mut statuses = Vec::new();
    for _ in 0..6 {
        statuses.push(app.call(Method::GET, "/api/v1/stores", None, None).await.0);
    }
    assert_eq!(statuses, [401, 401, 401, 401, 429, 429]);
    assert_eq!(
        app.call(Method::GET, "/health", None, None).await.0,
        200,
        "health is not limited"
    );
}

async fn too_large(backend: Backend) {
    // A small limit, so the whole body fits the socket buffers and the early answer cannot race the upload.
    let app = spawn_app_with(backend, |c| c.max_body_bytes = 1024).await;
    let owner = app.login(AdminRole::Owner).await;
    let big = format!("{{\"name\":\"{}\"}}", "x".repeat(4096)).into_bytes();
    let (status, body) = raw(
        &app,
        Method::POST,
        "/api/v1/stores",
        Some(&owner.access),
        Some("application/json"),
        big.clone(),
    )
    .await;
    assert_eq!((status, shape(&body).as_str()), (413, "PAYLOAD_TOO_LARGE"));
    let request = app
        .client
        .post(app.url("/api/v1/stores"))
        .bearer_auth(&owner.access)
        .header("content-type", "application/json")
        .header("idempotency-key", "big-1")
        .body(big);
    let (status, body) = read(request.send().await.unwrap()).await;
    assert_eq!(
        (status, shape(&body).as_str()),
        (413, "PAYLOAD_TOO_LARGE"),
        "also when the idempotency layer reads it"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_body_over_the_limit_is_refused_on_sqlite() {
    too_large(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_body_over_the_limit_is_refused_on_mariadb() {
    too_large(Backend::MariaDb).await;
}
