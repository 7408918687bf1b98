//! Signing in to the admin API: one-time token → access JWT + rotating refresh token, and every way a
//! token can be wrong, each refused with its own code.

mod common;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::Duration;
use common::app::{TestApp, code};
use dvorik::secret::ServerKey;
use dvorik::services::admins::AdminRole;
use dvorik::services::auth::{self, ACCESS_TTL, AUDIENCE, Claims, ISSUER, TokenKeys};
use reqwest::Method;
use serde_json::json;

/// `GET /auth/me` with `token`: the status and the error code (or `"ok"`).
async fn me(app: &TestApp, token: &str) -> (u16, String) {
    let (status, body) = app.get("/api/v1/auth/me", token).await;
    let outcome = if status == 200 {
        "ok".to_string()
    } else {
        code(&body).to_string()
    };
    (status, outcome)
}

async fn refresh(app: &TestApp, token: &str) -> (u16, serde_json::Value) {
    app.call(
        Method::POST,
        "/api/v1/auth/refresh",
        None,
        Some(json!({ "refresh_token": token })),
    )
    .await
}

fn claims(admin_id: i64) -> Claims {
    let now = chrono::Utc::now();
    Claims {
        iss: ISSUER.into(),
        aud: AUDIENCE.into(),
        sub: admin_id.to_string(),
        typ: "access".into(),
        iat: now.timestamp(),
        exp: (now + ACCESS_TTL).timestamp(),
        sid: "test".into(),
        role: AdminRole::Owner,
    }
}

api_test! {
    async fn a_one_time_token_signs_in_once_and_the_session_works(app) {
        let admin = app.admin(AdminRole::Marketing).await;
        let token = app.login_token(admin.id).await;
        let (status, session) = app.call(Method::POST, "/api/v1/auth/token", None, Some(json!({ "token": token }))).await;
        assert_eq!(status, 200, "{session}");
        assert_eq!(session["token_type"], "Bearer");
        assert_eq!(session["expires_in"], 900);
        assert_eq!(session["admin"]["id"], admin.id);
        assert_eq!(session["admin"]["role"], "marketing");
        let access = session["access_token"].as_str().unwrap();
        let (status, body) = app.get("/api/v1/auth/me", access).await;
        assert_eq!((status, body["telegram_id"].as_i64()), (200, Some(admin.telegram_id)));

        // The header pins HS256 and the claims carry iss, aud, typ and a 15-minute exp.
        let part = |n: usize| -> serde_json::Value {
            let text = access.split('.').nth(n).unwrap();
            serde_json::from_slice(&URL_SAFE_NO_PAD.decode(text).unwrap()).unwrap()
        };
        assert_eq!(part(0)["alg"], "HS256");
        let c = part(1);
        assert_eq!((c["iss"].as_str(), c["aud"].as_str(), c["typ"].as_str()), (Some(ISSUER), Some(AUDIENCE), Some("access")));
        assert_eq!(c["exp"].as_i64().unwrap() - c["iat"].as_i64().unwrap(), 900);

        let (status, body) = app.call(Method::POST, "/api/v1/auth/token", None, Some(json!({ "token": token }))).await;
        assert_eq!((status, code(&body)), (401, "LOGIN_TOKEN_INVALID"), "a one-time token works once");
        let (status, body) = app.call(Method::POST, "/api/v1/auth/token", None, Some(json!({ "token": "made-up" }))).await;
        assert_eq!((status, code(&body)), (401, "LOGIN_TOKEN_INVALID"));
    }
}

api_test! {
    async fn every_kind_of_bad_access_token_is_refused_with_its_own_code(app) {
        let login = app.login(AdminRole::Owner).await;
        let id = login.admin.id;
        let keys = &app.config.tokens;
        assert_eq!(me(&app, &login.access).await, (200, "ok".into()));

        let none = format!(
            "{}.{}.",
            URL_SAFE_NO_PAD.encode(br#"{"alg":"none","typ":"JWT"}"#),
            URL_SAFE_NO_PAD.encode(serde_json::to_vec(&claims(id)).unwrap())
        );
        assert_eq!(me(&app, &none).await, (401, "TOKEN_ALGORITHM_INVALID".into()));
        let other_key = auth::sign(&TokenKeys::derived(&ServerKey::random()), &claims(id)).unwrap();
        assert_eq!(me(&app, &other_key).await, (401, "TOKEN_SIGNATURE_INVALID".into()));
        let past = chrono::Utc::now() - ACCESS_TTL - Duration::seconds(5);
        let expired = auth::issue_access(keys, id, AdminRole::Owner, "s", past).unwrap();
        assert_eq!(me(&app, expired.token.expose()).await, (401, "TOKEN_EXPIRED".into()));
        let wrong_aud = auth::sign(keys, &Claims { aud: "dvorik-other".into(), ..claims(id) }).unwrap();
        assert_eq!(me(&app, &wrong_aud).await, (401, "TOKEN_AUDIENCE_INVALID".into()));
        let wrong_typ = auth::sign(keys, &Claims { typ: "refresh".into(), ..claims(id) }).unwrap();
        assert_eq!(me(&app, &wrong_typ).await, (401, "TOKEN_TYPE_INVALID".into()));
        let wrong_iss = auth::sign(keys, &Claims { iss: "someone".into(), ..claims(id) }).unwrap();
        assert_eq!(me(&app, &wrong_iss).await, (401, "TOKEN_ISSUER_INVALID".into()));
        assert_eq!(me(&app, "abc.def.ghi").await, (401, "TOKEN_MALFORMED".into()));

        let (status, body) = app.call(Method::GET, "/api/v1/auth/me", None, None).await;
        assert_eq!((status, code(&body)), (401, "AUTH_REQUIRED"));
        let response = app.client.get(app.url("/api/v1/auth/me")).basic_auth("owner", Some("pw")).send().await.unwrap();
        let (status, body) = common::app::read(response).await;
        assert_eq!((status, code(&body)), (401, "AUTH_REQUIRED"), "only bearer tokens");
    }
}

api_test! {
    async fn a_refresh_token_rotates_and_a_reused_one_ends_the_session(app) {
        let login = app.login(AdminRole::Readonly).await;
        let (status, second) = refresh(&app, &login.refresh).await;
        assert_eq!(status, 200, "{second}");
        let second_refresh = second["refresh_token"].as_str().unwrap().to_string();
        assert_ne!(second_refresh, login.refresh, "rotated");
        assert_eq!(me(&app, second["access_token"].as_str().unwrap()).await.0, 200);

        // The first token again: someone holds a copy, so the whole family is revoked.
        let (status, body) = refresh(&app, &login.refresh).await;
        assert_eq!((status, code(&body)), (401, "REFRESH_TOKEN_REUSED"));
        let (status, body) = refresh(&app, &second_refresh).await;
        assert_eq!((status, code(&body)), (401, "REFRESH_TOKEN_INVALID"), "the newer token died with its family");
        let (status, body) = refresh(&app, "0123").await;
        assert_eq!((status, code(&body)), (401, "REFRESH_TOKEN_INVALID"));
    }
}

api_test! {
    async fn logging_out_ends_the_session_and_other_sessions_live_on(app) {
        let admin = app.admin(AdminRole::Owner).await;
        let first = app.login_as(admin.clone()).await;
        let other = app.login_as(admin).await;
        let (status, body) = app.call(Method::POST, "/api/v1/auth/logout", None, Some(json!({ "refresh_token": first.refresh }))).await;
        assert_eq!((status, body), (204, serde_json::Value::Null));
        let (status, body) = refresh(&app, &first.refresh).await;
        assert_eq!((status, code(&body)), (401, "REFRESH_TOKEN_INVALID"));
        let (status, _) = refresh(&app, &other.refresh).await;
        assert_eq!(status, 200, "another device's session is untouched");
        let (status, _) = app.call(Method::POST, "/api/v1/auth/logout", None, Some(json!({ "refresh_token": first.refresh }))).await;
        assert_eq!(status, 204, "logging out twice is harmless");
    }
}

api_test! {
    async fn switching_an_admin_off_or_changing_their_role_applies_to_their_next_request(app) {
        let owner = app.login(AdminRole::Owner).await;
        let marketer = app.login(AdminRole::Marketing).await;
        let path = format!("/api/v1/admins/{}", marketer.admin.id);
        let (status, _) = app.call(Method::PATCH, &path, Some(&owner.access), Some(json!({ "role": "readonly" }))).await;
        assert_eq!(status, 200);
        let (status, body) = app.post("/api/v1/discount-templates", &marketer.access, json!({})).await;
        assert_eq!((status, code(&body)), (403, "FORBIDDEN"), "the current role counts, not the token's");

        let (status, _) = app.call(Method::PATCH, &path, Some(&owner.access), Some(json!({ "active": false }))).await;
        assert_eq!(status, 200);
        assert_eq!(me(&app, &marketer.access).await, (403, "ADMIN_INACTIVE".into()));
        let (status, body) = refresh(&app, &marketer.refresh).await;
        assert_eq!((status, code(&body)), (401, "REFRESH_TOKEN_INVALID"), "switching off ends the sessions");
        let refused = dvorik::services::login_tokens::issue(&app.t.db, &app.t.key, marketer.admin.id, app.t.now()).await;
        assert_eq!(refused.unwrap_err().code(), "ADMIN_NOT_FOUND", "no new sign-in either");
    }
}
