//! The admin API on port 0 over a fresh database, for `tests/api_*.rs`: [`spawn_app`] (or
//! [`spawn_app_with`] to change the API settings, [`spawn_app_with_sender`] to send test messages), then [`TestApp::login`] as any role, and
//! [`TestApp::call`] for a request that comes back as `(status, json)`. [`api_test!`] runs a test on
//! SQLite and MariaDB like `storage_test!`.

use std::net::SocketAddr;
use std::sync::Arc;

use dvorik::app::Core;
use dvorik::broadcast::BroadcastSender;
use dvorik::entity::admins;
use dvorik::http::{ApiConfig, Metrics};
use dvorik::services::admins::AdminRole;
use dvorik::services::audit::Actor;
use reqwest::Method;
use serde_json::Value;

use super::{Backend, TestDb};

/// A served app and its database.
pub struct TestApp {
    /// `http://127.0.0.1:<port>`.
    pub base: String,
    pub t: TestDb,
    pub core: Core,
    pub config: ApiConfig,
    pub client: reqwest::Client,
    server: tokio::task::JoinHandle<()>,
}

impl Drop for TestApp {
    fn drop(&mut self) {
        self.server.abort();
    }
}

/// A signed-in admin.
#[derive(Debug, Clone)]
pub struct Login {
    pub admin: admins::Model,
    pub access: String,
    pub refresh: String,
}

pub async fn spawn_app(backend: Backend) -> TestApp {
    spawn_app_with(backend, |_| {}).await
}

/// The app with API settings changed by `configure` (rate limits, say).
pub async fn spawn_app_with(backend: Backend, configure: impl FnOnce(&mut ApiConfig)) -> TestApp {
    spawn_app_with_sender(backend, None, configure).await
}

/// The app with `sender` for broadcast test messages (the client bot against the simulator, in the bots'
/// tests) and API settings changed by `configure`.
pub async fn spawn_app_with_sender(
    backend: Backend,
    sender: Option<Arc<dyn BroadcastSender>>,
    configure: impl FnOnce(&mut ApiConfig),
) -> TestApp {
    let t = TestDb::new(backend).await;
    let kv = dvorik::kv::connect(None, "")
        .await
        .expect("in-process store");
    let core = Core {
        db: t.db.clone(),
        kv,
        key: t.key.clone(),
        timezone: dvorik::config::Config::from_lookup(|_| None)
            .unwrap()
            .timezone,
    };
    let mut config = ApiConfig::defaults(&core.key);
    configure(&mut config);
    let app =
        dvorik::http::router_with_sender(core.clone(), config.clone(), Metrics::default(), sender);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let server = tokio::spawn(async move {
        axum::serve(
            listener,
            app.into_make_service_with_connect_info::<SocketAddr>(),
        )
        .await
        .unwrap();
    });
    TestApp {
        base,
        t,
        core,
        config,
        client: reqwest::Client::new(),
        server,
    }
}

impl TestApp {
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// A new active admin with `role` (a fresh Telegram id each time).
    pub async fn admin(&self, role: AdminRole) -> admins::Model {
        let telegram_id = 1 + i64::from(rand_u32() % 1_000_000_000);
        dvorik::services::admins::add(
            &self.t.db,
            telegram_id,
            role,
            Some(format!("{role:?}")),
            Actor::system(),
            self.t.now(),
        )
        .await
        .unwrap()
    }

    /// A one-time login token for `admin_id`, issued through the core (as the staff bot does).
    pub async fn login_token(&self, admin_id: i64) -> String {
        dvorik::services::login_tokens::issue(&self.t.db, &self.t.key, admin_id, self.t.now())
            .await
            .unwrap()
            .expose()
            .clone()
    }

    /// A new admin with `role`, signed in through `POST /api/v1/auth/token`.
    pub async fn login(&self, role: AdminRole) -> Login {
        let admin = self.admin(role).await;
        self.login_as(admin).await
    }

    /// Signs `admin` in through `POST /api/v1/auth/token`.
    pub async fn login_as(&self, admin: admins::Model) -> Login {
        let token = self.login_token(admin.id).await;
        let (status, body) = self
            .call(
                Method::POST,
                "/api/v1/auth/token",
                None,
                Some(serde_json::json!({ "token": token })),
            )
            .await;
        assert_eq!(status, 200, "{body}");
        Login {
            admin,
            access: body["access_token"].as_str().unwrap().to_string(),
            refresh: body["refresh_token"].as_str().unwrap().to_string(),
        }
    }

    /// A request with an optional bearer token and JSON body; the answer as `(status, json)` (`null`
    /// for an empty body).
    pub async fn call(
        &self,
        method: Method,
        path: &str,
        token: Option<&str>,
        body: Option<Value>,
    ) -> (u16, Value) {
        let mut request = self.client.request(method, self.url(path));
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        if let Some(body) = body {
            request = request.json(&body);
        }
        let response = request.send().await.unwrap();
        read(response).await
    }

    pub async fn get(&self, path: &str, token: &str) -> (u16, Value) {
        self.call(Method::GET, path, Some(token), None).await
    }

    pub async fn post(&self, path: &str, token: &str, body: Value) -> (u16, Value) {
        self.call(Method::POST, path, Some(token), Some(body)).await
    }
}

/// A response as `(status, json)`; a body that is not JSON fails the test.
pub async fn read(response: reqwest::Response) -> (u16, Value) {
    let status = response.status().as_u16();
    let text = response.text().await.unwrap();
    let body = if text.is_empty() {
        Value::Null
    } else {
        serde_json::from_str(&text).unwrap_or_else(|_| panic!("{status}: not JSON: {text}"))
    };
    (status, body)
}

/// The error code of an error body.
pub fn code(body: &Value) -> &str {
    body["error"]["code"]
        .as_str()
        .unwrap_or_else(|| panic!("not an error: {body}"))
}

fn rand_u32() -> u32 {
    u32::from_le_bytes(uuid::Uuid::new_v4().as_bytes()[..4].try_into().unwrap())
}

/// Defines a module `$name` with the test `$body` run against the app on SQLite and on MariaDB; `$app`
/// is the [`TestApp`].
#[macro_export]
macro_rules! api_test {
    ($(#[$meta:meta])* async fn $name:ident($app:ident) $body:block) => {
        $(#[$meta])*
        mod $name {
            #[allow(unused_imports)]
            use super::*;

            #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
            async fn on_sqlite() {
                let $app = $crate::common::app::spawn_app($crate::common::Backend::Sqlite).await;
                $body
            }

            #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
            async fn on_mariadb() {
                let $app = $crate::common::app::spawn_app($crate::common::Backend::MariaDb).await;
                $body
            }
        }
    };
}
