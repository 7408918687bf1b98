//! The `dvorik` binary as a newcomer and an operator run it: `serve` on the embedded default and on
//! MariaDB + Redis answers `/health/ready`, stops on SIGTERM; `migrate` and `admin add` work.

use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// A `dvorik` command in a fresh empty folder (so no `.env` is picked up) with no configuration.
fn dvorik(dir: &PathBuf) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_dvorik"));
    cmd.current_dir(dir);
    for var in [
        "DATABASE_URL",
        "REDIS_URL",
        "DVORIK_SECRET_KEY",
        "DVORIK_DATA_DIR",
        "DVORIK_HTTP_ADDR",
        "DVORIK_OWNER_TELEGRAM_ID",
    ] {
        cmd.env_remove(var);
    }
    cmd
}

fn temp_dir() -> PathBuf {
    let dir = std::env::temp_dir().join(format!("dvorik-bin-{}", uuid::Uuid::new_v4().simple()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// A running `dvorik serve` and the address it listens on.
struct Server {
    child: Child,
    addr: String,
}

impl Server {
    fn start(mut cmd: Command) -> Self {
        cmd.arg("serve")
            .env("DVORIK_HTTP_ADDR", "127.0.0.1:0")
            .stdout(Stdio::inherit())
            .stderr(Stdio::piped());
        let mut child = cmd.spawn().expect("spawn dvorik serve");
        let mut lines = BufReader::new(child.stderr.take().unwrap()).lines();
        let deadline = Instant::now() + Duration::from_secs(60);
        let mut seen = Vec::new();
        let addr = loop {
            assert!(
                Instant::now() < deadline,
                "dvorik serve did not start listening:\n{}",
                seen.join("\n")
            );
            let Some(line) = lines.next() else {
                panic!("dvorik serve exited before listening:\n{}", seen.join("\n"));
            };
            let line = line.unwrap();
            if let Some(rest) = line
                .split("addr=")
                .nth(1)
                .filter(|_| line.contains("listening"))
            {
                break rest.split_whitespace().next().unwrap().to_string();
            }
            seen.push(line);
        };
        // Keep draining the log so the child never blocks on a full pipe.
        std::thread::spawn(move || lines.for_each(drop));
        Self { child, addr }
    }

    async fn get(&self, path: &str) -> (u16, serde_json::Value) {
        let response = reqwest::get(format!("http://{}{path}", self.addr))
            .await
            .unwrap();
        (response.status().as_u16(), response.json().await.unwrap())
    }

    /// Sends SIGTERM and waits for a clean exit.
    fn terminate(mut self) {
        let pid = self.child.id().to_string();
        assert!(
            Command::new("kill")
                .args(["-TERM", &pid])
                .status()
                .unwrap()
                .success()
        );
        let deadline = Instant::now() + Duration::from_secs(15);
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                assert!(
                    status.success(),
                    "dvorik serve exited with {status} after SIGTERM"
                );
                return;
            }
            assert!(
                Instant::now() < deadline,
                "dvorik serve did not stop after SIGTERM"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
    }
}

#[tokio::test]
async fn serve_with_no_configuration_runs_on_sqlite_and_is_ready() {
    let dir = temp_dir();
    let server = Server::start(dvorik(&dir));
    let (status, body) = server.get("/health").await;
    assert_eq!((status, &body["status"]), (200, &serde_json::json!("ok")));
    let (status, body) = server.get("/health/ready").await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["checks"]["database"]["backend"], "sqlite");
    assert_eq!(body["checks"]["kv"]["backend"], "in-process");
    server.terminate();
    assert!(
        dir.join("data/dvorik.sqlite").exists(),
        "the embedded database lives in ./data"
    );
    assert!(
        dir.join("data/secret.key").exists(),
        "a server key is generated on first start"
    );
    std::fs::remove_dir_all(dir).unwrap();
}

#[tokio::test]
async fn serve_on_mariadb_and_redis_is_ready() {
    let server_url = std::env::var("DVORIK_TEST_MYSQL_URL")
        .unwrap_or_else(|_| "mysql://root@127.0.0.1:3306".into());
    let redis_url =
        std::env::var("DVORIK_TEST_REDIS_URL").unwrap_or_else(|_| "redis://127.0.0.1:6379".into());
    let name = format!("test_{}", uuid::Uuid::new_v4().simple());
    let mysql = |sql: String| {
        let host_port = server_url
            .trim_start_matches("mysql://")
            .rsplit('@')
            .next()
            .unwrap()
            .to_string();
        let (host, port) = host_port.split_once(':').unwrap_or((&host_port, "3306"));
        let status = Command::new("mariadb")
            .args(["-h", host, "-P", port, "-uroot", "-e", &sql])
            .status()
            .unwrap();
        assert!(status.success(), "{sql}");
    };
    // The database does not exist yet: dvorik creates it on first start.
    let dir = temp_dir();
    let mut cmd = dvorik(&dir);
    cmd.env("DATABASE_URL", format!("{server_url}/{name}"))
        .env("REDIS_URL", &redis_url)
        .env(
            "DVORIK_SECRET_KEY",
            "a-test-key-of-at-least-thirty-two-characters",
        )
        .env("DVORIK_OWNER_TELEGRAM_ID", "4242");
    let server = Server::start(cmd);
    let (status, body) = server.get("/health/ready").await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["checks"]["database"]["backend"], "mysql");
    assert_eq!(body["checks"]["kv"]["backend"], "redis");
    server.terminate();
    assert!(
        !dir.join("data/secret.key").exists(),
        "a configured key is not written to disk"
    );
    mysql(format!("DROP DATABASE `{name}`"));
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn migrate_and_admin_add_work_from_the_command_line() {
    let dir = temp_dir();
    let migrate = dvorik(&dir).arg("migrate").output().unwrap();
    assert!(
        migrate.status.success(),
        "{}",
        String::from_utf8_lossy(&migrate.stderr)
    );
    assert!(String::from_utf8_lossy(&migrate.stdout).contains("migrations applied on sqlite"));

    let add = || {
        dvorik(&dir)
            .args(["admin", "add", "--telegram-id", "5", "--role", "marketing"])
            .output()
            .unwrap()
    };
    let first = add();
    assert!(
        first.status.success(),
        "{}",
        String::from_utf8_lossy(&first.stderr)
    );
    assert!(String::from_utf8_lossy(&first.stdout).contains("role Marketing"));
    let second = add();
    assert!(!second.status.success());
    assert!(String::from_utf8_lossy(&second.stderr).contains("ADMIN_ALREADY_EXISTS"));

    let token = dvorik(&dir)
        .args(["admin", "token", "--telegram-id", "5"])
        .output()
        .unwrap();
    assert!(
        token.status.success(),
        "{}",
        String::from_utf8_lossy(&token.stderr)
    );
    assert_eq!(
        String::from_utf8_lossy(&token.stdout).trim().len(),
        32,
        "128 bits in hex"
    );
    let nobody = dvorik(&dir)
        .args(["admin", "token", "--telegram-id", "77"])
        .output()
        .unwrap();
    assert!(!nobody.status.success());

    let bad_role = dvorik(&dir)
        .args(["admin", "add", "--telegram-id", "6", "--role", "god"])
        .output()
        .unwrap();
    assert!(!bad_role.status.success());
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn a_bad_configuration_names_the_variable_and_exits() {
    let dir = temp_dir();
    let output = dvorik(&dir)
        .arg("migrate")
        .env("DATABASE_URL", "postgres://nowhere")
        .output()
        .unwrap();
    assert!(!output.status.success());
    assert!(String::from_utf8_lossy(&output.stderr).contains("DATABASE_URL"));
    std::fs::remove_dir_all(dir).unwrap();
}
