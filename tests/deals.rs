//! Deals: validation with field details, edits only while a draft, send and cancel by conditional
//! updates with their evidence, and document versions with their hash.

mod common;

use common::fixtures;
use dvorik::Error;
use dvorik::services::audit::Actor;
use dvorik::services::deals::{self, DealInput, DealState, PaymentStep, SplitRule, Terms};
use dvorik::services::documents;
use dvorik::services::evidence::{self, EvidenceKind};

fn input(user_id: i64) -> DealInput {
    DealInput {
        title: "Поставка сыра".into(),
        kind: "sale".into(),
        counterparty_user_id: Some(user_id),
        counterparty_phone: None,
        amount: "1500.50".parse().unwrap(),
        terms: Terms {
            payment_plan: vec![
                PaymentStep {
                    due: "2026-12-01".parse().unwrap(),
                    amount: "500.50".parse().unwrap(),
                },
                PaymentStep {
                    due: "2027-01-01".parse().unwrap(),
                    amount: "1000".parse().unwrap(),
                },
            ],
            splits: vec![
                SplitRule {
                    party: "Магазин".into(),
                    percent: "70".parse().unwrap(),
                },
                SplitRule {
                    party: "Партнёр".into(),
                    percent: "30".parse().unwrap(),
                },
            ],
        },
    }
}

fn fields(err: Error) -> Vec<(String, String)> {
    match err {
        Error::Validation(f) => f.into_iter().map(|e| (e.field, e.reason)).collect(),
        other => panic!("expected VALIDATION_FAILED, got {other:?}"),
    }
}

storage_test! {
    async fn a_valid_deal_is_stored_in_kopecks_and_bad_terms_are_named_field_by_field(t) {
        let now = t.now();
        let user = fixtures::user(&t.db, 100, now).await;
        let deal = deals::create(&t.db, &input(user.id), Actor::system(), now).await.unwrap();
        assert_eq!(deal.amount_minor, 150_050);
        assert_eq!(deal.state, DealState::Draft);
        assert_eq!(deal.currency, "RUB");

        let mut bad = input(user.id);
        bad.amount = "1500.505".parse().unwrap();
        bad.terms.payment_plan[1].amount = "999".parse().unwrap();
        bad.terms.splits[1].percent = "20".parse().unwrap();
        let got = fields(deals::create(&t.db, &bad, Actor::system(), now).await.unwrap_err());
        assert!(got.contains(&("amount".into(), "too_many_decimals".into())), "{got:?}");
        assert!(got.contains(&("terms.splits".into(), "sum_not_100".into())), "{got:?}");

        let mut bad = input(user.id);
        bad.terms.payment_plan[1].amount = "999".parse().unwrap();
        let got = fields(deals::create(&t.db, &bad, Actor::system(), now).await.unwrap_err());
        assert_eq!(got, [("terms.payment_plan".to_string(), "sum_mismatch".to_string())]);

        let mut bad = input(user.id);
        bad.counterparty_user_id = None;
        bad.counterparty_phone = Some("12-ab".into());
        let got = fields(deals::create(&t.db, &bad, Actor::system(), now).await.unwrap_err());
        assert_eq!(got, [("counterparty_phone".to_string(), "invalid_phone".to_string())]);

        let mut by_phone = input(user.id);
        by_phone.counterparty_user_id = None;
        by_phone.counterparty_phone = Some("8 (914) 123-45-67".into());
        let deal = deals::create(&t.db, &by_phone, Actor::system(), now).await.unwrap();
        assert_eq!(deal.counterparty_phone.as_deref(), Some("+79141234567"));
    }
}

storage_test! {
    async fn a_sent_deal_can_no_longer_be_edited_and_send_and_cancel_leave_evidence(t) {
        let now = t.now();
        let user = fixtures::user(&t.db, 100, now).await;
        let deal = deals::create(&t.db, &input(user.id), Actor::admin(1), now).await.unwrap();
        let mut edit = input(user.id);
        edit.title = "Поставка мёда".into();
        let edited = deals::update(&t.db, deal.id, &edit, Actor::system(), now).await.unwrap();
        assert_eq!(edited.title, "Поставка мёда");

        let sent = deals::send(&t.db, deal.id, Actor::admin(1), now).await.unwrap();
        assert_eq!(sent.state, DealState::Sent);
        assert_eq!(sent.sent_at, Some(now));
        let err = deals::update(&t.db, deal.id, &edit, Actor::system(), now).await.unwrap_err();
        assert_eq!(err.code(), "DEAL_NOT_DRAFT");
        let err = deals::send(&t.db, deal.id, Actor::system(), now).await.unwrap_err();
        assert_eq!(err.code(), "DEAL_STATE_CONFLICT");

        let doc = documents::current(&t.db, deal.id).await.unwrap().unwrap();
        assert_eq!(doc.version, 1);
        let cancelled = deals::cancel(&t.db, deal.id, Some("передумали"), Actor::admin(1), now).await.unwrap();
        assert_eq!(cancelled.state, DealState::Cancelled);
        let err = deals::cancel(&t.db, deal.id, None, Actor::system(), now).await.unwrap_err();
        assert_eq!(err.code(), "DEAL_STATE_CONFLICT");

        let events = evidence::list(&t.db, deal.id).await.unwrap();
        let kinds: Vec<_> = events.iter().map(|e| e.kind).collect();
        assert_eq!(kinds, [EvidenceKind::Sent, EvidenceKind::Cancelled]);
        assert_eq!(events[0].document_id, Some(doc.id));
        assert_eq!(events[0].actor.as_deref(), Some("admin:1"));
        assert!(evidence::verify(&t.db, deal.id).await.unwrap().ok);
        assert_eq!(deals::get(&t.db, 999_999).await.unwrap_err().code(), "DEAL_NOT_FOUND");
    }
}

storage_test! {
    async fn each_rendering_is_a_new_version_in_russian_with_its_hash(t) {
        let now = t.now();
        let user = fixtures::user(&t.db, 100, now).await;
        let deal = deals::create(&t.db, &input(user.id), Actor::system(), now).await.unwrap();
        let first = documents::render(&t.db, deal.id, now).await.unwrap();
        assert_eq!(first.version, 1);
        assert_eq!(first.title, "Договор «Поставка сыра»");
        assert!(first.body.contains("Сумма: 1500,50 руб."), "{}", first.body);
        assert!(first.body.contains("до 01.12.2026: 500,50 руб."), "{}", first.body);
        assert!(first.body.contains("Партнёр: 30 %"), "{}", first.body);
        assert_eq!(first.sha256, documents::sha256_hex(&first.body));

        let second = documents::render(&t.db, deal.id, now).await.unwrap();
        assert_eq!(second.version, 2);
        let all = documents::list(&t.db, deal.id).await.unwrap();
        assert!(all[0].voided_at.is_some());
        assert!(all[1].voided_at.is_none());
        assert_eq!(documents::current(&t.db, deal.id).await.unwrap().unwrap().id, second.id);
    }
}

storage_test! {
    async fn the_pdf_of_a_version_carries_the_cyrillic_title_amount_and_hash(t) {
        let now = t.now();
        let user = fixtures::user(&t.db, 100, now).await;
        let deal = deals::create(&t.db, &input(user.id), Actor::system(), now).await.unwrap();
        let doc = documents::render(&t.db, deal.id, now).await.unwrap();
        let bytes = documents::pdf(&t.db, doc.id).await.unwrap();
        let dir = std::env::temp_dir().join(format!("dvorik-pdf-{}", uuid::Uuid::new_v4().simple()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("doc.pdf");
        std::fs::write(&path, &bytes).unwrap();
        // pdftotext (poppler-utils) reads the text back as a viewer would.
        let out = std::process::Command::new("pdftotext")
            .arg(&path)
            .arg("-")
            .output()
            .expect("pdftotext (apt-get install poppler-utils)");
        std::fs::remove_dir_all(&dir).unwrap();
        let text = String::from_utf8(out.stdout).unwrap();
        assert!(text.contains("Договор «Поставка сыра»"), "{text}");
        assert!(text.contains("Сумма: 1500,50 руб."), "{text}");
        assert!(text.contains(&doc.sha256), "{text}");
        assert_eq!(documents::pdf(&t.db, 424_242).await.unwrap_err().code(), "DOCUMENT_NOT_FOUND");
    }
}
