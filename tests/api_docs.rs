//! The API documents itself: OpenAPI 3.1 at `/api/openapi.json` with every error code, Swagger UI at
//! `/api/docs` from files inside the binary, README's error table in step with the code, and `/metrics`.

mod common;

use common::Backend;
use common::app::spawn_app;
use dvorik::Error;
use dvorik::http::api::error::status_of_code;
use dvorik::services::admins::AdminRole;
use reqwest::Method;

#[tokio::test]
async fn the_openapi_document_lists_every_error_code_security_and_idempotency() {
    let app = spawn_app(Backend::Sqlite).await;
    let (status, doc) = app.call(Method::GET, "/api/openapi.json", None, None).await;
    assert_eq!(status, 200);
    assert_eq!(doc["openapi"], "3.1.0");
    let codes: Vec<&str> =
        doc["components"]["schemas"]["ErrorObject"]["properties"]["code"]["enum"]
            .as_array()
            .expect("the code enum")
            .iter()
            .map(|c| c.as_str().unwrap())
            .collect();
    assert_eq!(codes, Error::CODES);
    assert_eq!(
        doc["components"]["securitySchemes"]["bearer"]["scheme"],
        "bearer"
    );

    let mut operations = 0;
    for (path, item) in doc["paths"].as_object().unwrap() {
        for (method, op) in item.as_object().unwrap() {
            operations += 1;
            let responses = op["responses"].as_object().unwrap();
            for range in ["4XX", "5XX"] {
                assert_eq!(
                    responses[range]["content"]["application/json"]["schema"]["$ref"],
                    "#/components/schemas/ErrorBody",
                    "{method} {path}"
                );
            }
            let public = path.starts_with("/api/v1/auth/") && path != "/api/v1/auth/me";
            let security = op["security"].as_array().unwrap();
            assert_eq!(
                security[0].get("bearer").is_some(),
                !public,
                "{method} {path}"
            );
            let idempotent = op["parameters"]
                .as_array()
                .into_iter()
                .flatten()
                .any(|p| p["name"] == "Idempotency-Key");
            assert_eq!(idempotent, method == "post" && !public, "{method} {path}");
        }
    }
    assert!(operations >= 28, "{operations}");
}

#[tokio::test]
async fn the_interactive_docs_are_served_from_the_binary() {
    let app = spawn_app(Backend::Sqlite).await;
    let page = app.client.get(app.url("/api/docs/")).send().await.unwrap();
    assert_eq!(page.status(), 200);
    let html = page.text().await.unwrap();
    assert!(html.contains("swagger-ui"), "{html}");
    assert!(
        !html.contains("cdn") && !html.contains("unpkg"),
        "no CDN: {html}"
    );
    let init = app
        .client
        .get(app.url("/api/docs/swagger-initializer.js"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(init.contains("/api/openapi.json"), "{init}");
    let bundle = app
        .client
        .get(app.url("/api/docs/swagger-ui-bundle.js"))
        .send()
        .await
        .unwrap();
    assert_eq!(bundle.status(), 200);
    assert!(
        bundle.bytes().await.unwrap().len() > 100_000,
        "the real bundle, embedded"
    );
}

#[test]
fn the_readme_lists_every_error_code_with_its_status() {
    let readme =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md")).unwrap();
    let section = readme
        .split("## Error codes")
        .nth(1)
        .expect("an Error codes section");
    let section = section.split("\n## ").next().unwrap();
    for code in Error::CODES {
        let status = status_of_code(code).unwrap().as_u16();
        let row = format!("| `{code}` | {status} |");
        assert!(section.contains(&row), "README lacks the row {row}");
    }
}

#[tokio::test]
async fn metrics_count_requests_by_route_and_status() {
    let app = spawn_app(Backend::Sqlite).await;
    let owner = app.login(AdminRole::Owner).await;
    app.get("/api/v1/stores/5", &owner.access).await;
    app.get("/api/v1/stores/6", &owner.access).await;
    let text = app
        .client
        .get(app.url("/metrics"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        text.contains(
            r#"dvorik_http_requests_total{method="GET",route="/api/v1/stores/{id}",status="404"} 2"#
        ),
        "{text}"
    );
    assert!(
        text.contains(
            r#"dvorik_http_requests_total{method="POST",route="/api/v1/auth/token",status="200"} 1"#
        ),
        "{text}"
    );
    assert!(text.contains("dvorik_http_request_duration_seconds_bucket{method=\"GET\",route=\"/api/v1/stores/{id}\",le=\"+Inf\"} 2"));
    assert!(text.contains("# TYPE dvorik_job_runs_total counter"));
}
