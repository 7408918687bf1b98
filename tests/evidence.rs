//! The signing evidence chain: appends link by hash, concurrent appends stay gapless, and tampering with
//! a stored row is named by verification.

mod common;

use std::sync::Arc;

use common::fixtures;
use dvorik::entity::signature_events;
use dvorik::services::audit::Actor;
use dvorik::services::deals::{self, DealInput};
use dvorik::services::evidence::{self, BreakReason, EvidenceKind, GENESIS, NewEvent};
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};

pub async fn draft(t: &common::TestDb) -> i64 {
    let now = t.now();
    let user = fixtures::user(&t.db, 100, now).await;
    let input = DealInput {
        title: "Аренда витрины".into(),
        kind: "rent".into(),
        counterparty_user_id: Some(user.id),
        amount: "1500.00".parse().unwrap(),
        ..Default::default()
    };
    deals::create(&t.db, &input, Actor::system(), now)
        .await
        .unwrap()
        .id
}

fn event(n: i64) -> NewEvent {
    NewEvent::new(
        EvidenceKind::Viewed,
        "system",
        serde_json::json!({"n": n, "текст": "да"}),
    )
}

storage_test! {
    async fn appended_events_form_a_chain_that_verifies(t) {
        let deal_id = draft(&t).await;
        let now = t.now();
        for n in 0..4 {
            evidence::append(&t.db, deal_id, event(n), now).await.unwrap();
        }
        let rows = evidence::list(&t.db, deal_id).await.unwrap();
        assert_eq!(rows.iter().map(|r| r.seq).collect::<Vec<_>>(), [1, 2, 3, 4]);
        assert_eq!(rows[0].prev_hash, GENESIS);
        for pair in rows.windows(2) {
            assert_eq!(pair[1].prev_hash, pair[0].row_hash);
        }
        assert_eq!(evidence::row_hash(&rows[2]).unwrap(), rows[2].row_hash);
        let check = evidence::verify(&t.db, deal_id).await.unwrap();
        assert!(check.ok);
        assert_eq!(check.events, 4);
        assert_eq!(evidence::verify_all(&t.db).await.unwrap(), (1, None));
    }
}

storage_test! {
    async fn tampering_with_a_stored_payload_is_named_by_its_row(t) {
        let deal_id = draft(&t).await;
        let now = t.now();
        for n in 0..5 {
            evidence::append(&t.db, deal_id, event(n), now).await.unwrap();
        }
        signature_events::Entity::update_many()
            .col_expr(signature_events::Column::Payload, Expr::value(r#"{"n":99,"текст":"да"}"#))
            .filter(signature_events::Column::DealId.eq(deal_id))
            .filter(signature_events::Column::Seq.eq(3))
            .exec(&t.db)
            .await
            .unwrap();
        let check = evidence::verify(&t.db, deal_id).await.unwrap();
        assert!(!check.ok);
        let broken = check.first_break.unwrap();
        assert_eq!((broken.seq, broken.reason), (3, BreakReason::HashMismatch));
        let (_, first) = evidence::verify_all(&t.db).await.unwrap();
        assert_eq!(first.unwrap().seq, 3);
    }
}

storage_test! {
    async fn a_deleted_row_is_a_gap_and_a_relinked_row_a_broken_link(t) {
        let deal_id = draft(&t).await;
        let now = t.now();
        for n in 0..4 {
            evidence::append(&t.db, deal_id, event(n), now).await.unwrap();
        }
        let rows = evidence::list(&t.db, deal_id).await.unwrap();
        let mut relinked = rows.clone();
        relinked[1].prev_hash = "f".repeat(64);
        let broken = evidence::first_break(&relinked).unwrap().unwrap();
        assert_eq!((broken.seq, broken.reason), (2, BreakReason::PrevLinkBroken));

        signature_events::Entity::delete_by_id(rows[1].id).exec(&t.db).await.unwrap();
        let broken = evidence::verify(&t.db, deal_id).await.unwrap().first_break.unwrap();
        assert_eq!((broken.seq, broken.reason), (3, BreakReason::Gap));
    }
}

storage_test! {
    async fn concurrent_appends_to_one_deal_make_a_gapless_chain(t) {
        let deal_id = draft(&t).await;
        let db = Arc::new(t.db.clone());
        let now = t.now();
        let mut tasks = Vec::new();
        for worker in 0..8 {
            let db = db.clone();
            tasks.push(tokio::spawn(async move {
                for n in 0..5 {
                    evidence::append(&*db, deal_id, event(worker * 100 + n), now).await.unwrap();
                }
            }));
        }
        for task in tasks {
            task.await.unwrap();
        }
        let rows = evidence::list(&t.db, deal_id).await.unwrap();
        assert_eq!(rows.iter().map(|r| r.seq).collect::<Vec<_>>(), (1..=40).collect::<Vec<_>>());
        assert!(evidence::verify(&t.db, deal_id).await.unwrap().ok);
    }
}
