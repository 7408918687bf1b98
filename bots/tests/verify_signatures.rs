//! `dvorik verify-signatures`: an intact chain passes; a tampered row fails the command, named.

use std::path::Path;
use std::process::Command;

use dvorik::services::audit::Actor;
use dvorik::services::deals::{self, DealInput};
use dvorik::services::evidence::{self, EvidenceKind, NewEvent};
use dvorik::services::users::{self, TelegramProfile};
use sea_orm::ConnectionTrait;

fn dvorik(dir: &Path) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_dvorik"));
    cmd.current_dir(dir);
    for var in [
        "DATABASE_URL",
        "REDIS_URL",
        "DVORIK_SECRET_KEY",
        "DVORIK_DATA_DIR",
    ] {
        cmd.env_remove(var);
    }
    cmd
}

#[tokio::test]
async fn a_tampered_evidence_row_fails_the_command_and_is_named() {
    let dir = std::env::temp_dir().join(format!("dvorik-verify-{}", uuid::Uuid::new_v4().simple()));
    std::fs::create_dir_all(&dir).unwrap();
    let migrate = dvorik(&dir).arg("migrate").output().unwrap();
    assert!(
        migrate.status.success(),
        "{}",
        String::from_utf8_lossy(&migrate.stderr)
    );

    let url = format!(
        "sqlite://{}?mode=rwc",
        dir.join("data/dvorik.sqlite").display()
    );
    let db = dvorik::db::connect(&url, 1).await.unwrap();
    let now = dvorik::clock::now();
    let profile = TelegramProfile {
        telegram_id: 42,
        first_name: "Анна".into(),
        last_name: None,
        username: None,
        language_code: Some("ru".into()),
    };
    let user = users::register(&db, &profile, None, Default::default(), now)
        .await
        .unwrap()
        .user;
    let input = DealInput {
        title: "Аренда".into(),
        kind: "rent".into(),
        counterparty_user_id: Some(user.id),
        amount: "100".parse().unwrap(),
        ..Default::default()
    };
    let deal = deals::create(&db, &input, Actor::system(), now)
        .await
        .unwrap();
    deals::send(&db, deal.id, Actor::system(), now)
        .await
        .unwrap();
    for n in 0..2 {
        let event = NewEvent::new(
            EvidenceKind::Viewed,
            "system",
            serde_json::json!({ "n": n }),
        );
        evidence::append(&db, deal.id, event, now).await.unwrap();
    }

    let ok = dvorik(&dir).arg("verify-signatures").output().unwrap();
    assert!(
        ok.status.success(),
        "{}",
        String::from_utf8_lossy(&ok.stderr)
    );
    assert!(String::from_utf8_lossy(&ok.stdout).contains("1 deal chains verified"));

    db.execute_unprepared("UPDATE signature_events SET payload = '{\"n\":7}' WHERE seq = 2")
        .await
        .unwrap();
    db.close().await.unwrap();
    let broken = dvorik(&dir).arg("verify-signatures").output().unwrap();
    assert!(!broken.status.success());
    let stderr = String::from_utf8_lossy(&broken.stderr);
    assert!(
        stderr.contains(&format!(
            "deal {}: the chain breaks at seq 2 (hash_mismatch)",
            deal.id
        )),
        "{stderr}"
    );
    std::fs::remove_dir_all(dir).unwrap();
}
