//! The role table of the admin API: who may call each route. The test walks the *served* OpenAPI
//! document, so a route missing from the table (or a row for a route that no longer exists) fails, and
//! asserts every cell: allowed roles get past the role check, the others get 403 `FORBIDDEN`, and a
//! request without a token gets 401 `AUTH_REQUIRED` unless the route is public.
//!
//! SPEC.md: owner — everything, including admins and settings; marketing — discounts, templates,
//! segments, broadcasts, cashiers, deals, and reads users and stats; readonly — reads only.

mod common;

use std::collections::BTreeSet;

use common::app::{TestApp, code};
use dvorik::services::admins::AdminRole;
use reqwest::Method;
use serde_json::json;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Access {
    /// No token needed (signing in).
    Public,
    /// Any active admin: owner, marketing, readonly.
    Any,
    /// Owner and marketing.
    Marketers,
    /// Owner only.
    Owner,
}

use Access::*;

/// Method, path as in the OpenAPI document, who may call it.
const TABLE: &[(&str, &str, Access)] = &[
    ("POST", "/api/v1/auth/token", Public),
    ("POST", "/api/v1/auth/refresh", Public),
    ("POST", "/api/v1/auth/logout", Public),
    ("GET", "/api/v1/auth/me", Any),
    ("GET", "/api/v1/admins", Owner),
    ("POST", "/api/v1/admins", Owner),
    ("GET", "/api/v1/admins/{id}", Owner),
    ("PATCH", "/api/v1/admins/{id}", Owner),
    ("GET", "/api/v1/settings", Owner),
    ("PATCH", "/api/v1/settings", Owner),
    ("GET", "/api/v1/stores", Any),
    ("POST", "/api/v1/stores", Owner),
    ("GET", "/api/v1/stores/{id}", Any),
    ("PUT", "/api/v1/stores/{id}", Owner),
    ("POST", "/api/v1/stores/{id}/open", Owner),
    ("POST", "/api/v1/stores/{id}/close", Owner),
    ("GET", "/api/v1/cashiers", Any),
    ("GET", "/api/v1/cashiers/{id}", Any),
    ("POST", "/api/v1/cashiers/{id}/approve", Marketers),
    ("POST", "/api/v1/cashiers/{id}/reject", Marketers),
    ("POST", "/api/v1/cashiers/{id}/revoke", Marketers),
    ("GET", "/api/v1/discount-templates", Any),
    ("POST", "/api/v1/discount-templates", Marketers),
    ("GET", "/api/v1/discount-templates/{id}", Any),
    ("PUT", "/api/v1/discount-templates/{id}", Marketers),
    (
        "POST",
        "/api/v1/discount-templates/{id}/activate",
        Marketers,
    ),
    (
        "POST",
        "/api/v1/discount-templates/{id}/deactivate",
        Marketers,
    ),
    ("GET", "/api/v1/audit-log", Owner),
    ("GET", "/api/v1/deals", Any),
    ("POST", "/api/v1/deals", Marketers),
    ("GET", "/api/v1/deals/{id}", Any),
    ("PUT", "/api/v1/deals/{id}", Marketers),
    ("POST", "/api/v1/deals/{id}/send", Marketers),
    ("POST", "/api/v1/deals/{id}/cancel", Marketers),
    ("GET", "/api/v1/deals/{id}/documents", Any),
    ("POST", "/api/v1/deals/{id}/documents", Marketers),
    ("GET", "/api/v1/documents/{id}", Any),
    ("GET", "/api/v1/documents/{id}/pdf", Any),
    ("GET", "/api/v1/deals/{id}/evidence", Any),
    ("GET", "/api/v1/deals/{id}/evidence/verify", Any),
    ("GET", "/api/v1/deals/{id}/signing-record", Any),
    ("GET", "/api/v1/deals/{id}/signing-record.pdf", Any),
    ("GET", "/api/v1/blacklist", Marketers),
    ("POST", "/api/v1/blacklist", Marketers),
    ("GET", "/api/v1/blacklist/{id}", Marketers),
    ("DELETE", "/api/v1/blacklist/{id}", Marketers),
    ("GET", "/api/v1/users", Any),
    ("GET", "/api/v1/users/{id}", Any),
    ("POST", "/api/v1/users/{id}/block", Owner),
    ("POST", "/api/v1/users/{id}/unblock", Owner),
    ("PUT", "/api/v1/users/{id}/birthday", Owner),
    ("POST", "/api/v1/users/{id}/discounts", Marketers),
    ("GET", "/api/v1/discounts", Any),
    ("GET", "/api/v1/discounts/{id}", Any),
    ("POST", "/api/v1/discounts/{id}/revoke", Marketers),
    ("POST", "/api/v1/discounts/bulk", Marketers),
    ("GET", "/api/v1/discounts/bulk/{id}", Any),
    ("GET", "/api/v1/redemptions", Any),
    ("GET", "/api/v1/redemptions/export.csv", Any),
    ("GET", "/api/v1/segments", Any),
    ("POST", "/api/v1/segments", Marketers),
    ("GET", "/api/v1/segments/{id}", Any),
    ("PUT", "/api/v1/segments/{id}", Marketers),
    ("DELETE", "/api/v1/segments/{id}", Marketers),
    ("POST", "/api/v1/segments/count", Any),
    ("GET", "/api/v1/segments/{id}/count", Any),
    ("GET", "/api/v1/message-templates", Any),
    ("POST", "/api/v1/message-templates", Marketers),
    ("GET", "/api/v1/message-templates/{id}", Any),
    ("PUT", "/api/v1/message-templates/{id}", Marketers),
    ("DELETE", "/api/v1/message-templates/{id}", Marketers),
    ("GET", "/api/v1/broadcasts", Any),
    ("POST", "/api/v1/broadcasts", Marketers),
    ("GET", "/api/v1/broadcasts/{id}", Any),
    ("PUT", "/api/v1/broadcasts/{id}", Marketers),
    ("PUT", "/api/v1/broadcasts/{id}/media", Marketers),
    ("POST", "/api/v1/broadcasts/{id}/schedule", Marketers),
    ("POST", "/api/v1/broadcasts/{id}/start", Marketers),
    ("POST", "/api/v1/broadcasts/{id}/pause", Marketers),
    ("POST", "/api/v1/broadcasts/{id}/resume", Marketers),
    ("POST", "/api/v1/broadcasts/{id}/cancel", Marketers),
    ("POST", "/api/v1/broadcasts/{id}/test", Marketers),
    ("GET", "/api/v1/broadcasts/{id}/progress", Any),
    ("GET", "/api/v1/broadcasts/{id}/failures", Any),
    ("GET", "/api/v1/stats", Any),
];

fn allows(access: Access, role: AdminRole) -> bool {
    match access {
        Public | Any => true,
        Marketers => role != AdminRole::Readonly,
        Owner => role == AdminRole::Owner,
    }
}

/// The operations of the served document, as (METHOD, path).
async fn served_operations(app: &TestApp) -> BTreeSet<(String, String)> {
    let (status, doc) = app.call(Method::GET, "/api/openapi.json", None, None).await;
    assert_eq!(status, 200);
    let mut operations = BTreeSet::new();
    for (path, item) in doc["paths"].as_object().unwrap() {
        for method in ["get", "post", "put", "patch", "delete"] {
            if item.get(method).is_some() {
                operations.insert((method.to_uppercase(), path.clone()));
            }
        }
    }
    operations
}

/// Calls the route as `token` with an empty JSON object and ids that exist nowhere. A success that is
/// not JSON (the CSV export) comes back as `null`.
async fn call(
    app: &TestApp,
    method: &str,
    path: &str,
    token: Option<&str>,
) -> (u16, serde_json::Value) {
    let path = path.replace("{id}", "987654321");
    let method = Method::from_bytes(method.as_bytes()).unwrap();
    let mut request = app.client.request(method.clone(), app.url(&path));
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    if method != Method::GET {
        request = request.json(&json!({}));
    }
    let response = request.send().await.unwrap();
    let status = response.status().as_u16();
    let text = response.text().await.unwrap();
    (
        status,
        serde_json::from_str(&text).unwrap_or(serde_json::Value::Null),
    )
}

api_test! {
    async fn every_route_checks_the_role_table(app) {
        let served = served_operations(&app).await;
        let table: BTreeSet<(String, String)> = TABLE.iter().map(|(m, p, _)| (m.to_string(), p.to_string())).collect();
        let missing: Vec<_> = served.difference(&table).collect();
        assert!(missing.is_empty(), "routes missing from the role table: {missing:?}");
        let stale: Vec<_> = table.difference(&served).collect();
        assert!(stale.is_empty(), "rows for routes that are not served: {stale:?}");

        for role in [AdminRole::Owner, AdminRole::Marketing, AdminRole::Readonly] {
            let login = app.login(role).await;
            for &(method, path, access) in TABLE {
                let (status, body) = call(&app, method, path, Some(&login.access)).await;
                if allows(access, role) {
                    assert!(status != 401 && status != 403, "{role:?} {method} {path} should pass the role check: {status} {body}");
                } else {
                    assert_eq!((status, code(&body)), (403, "FORBIDDEN"), "{role:?} {method} {path}");
                }
            }
        }
        for &(method, path, access) in TABLE {
            let (status, body) = call(&app, method, path, None).await;
            if access == Public {
                assert!(status != 401 && status != 403, "{method} {path} is public: {status} {body}");
            } else {
                assert_eq!((status, code(&body)), (401, "AUTH_REQUIRED"), "{method} {path}");
            }
        }
    }
}
