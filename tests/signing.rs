//! Signing with a one-time code: the happy path leaves a verifiable chain; every refusal has its own code.

mod common;

use std::sync::{Arc, Mutex};

use chrono::Duration;
use common::fixtures;
use dvorik::Result;
use dvorik::entity::{deals as deal_entity, users};
use dvorik::secret::Secret;
use dvorik::services::audit::Actor;
use dvorik::services::blacklist::{self, BlacklistInput, BlacklistKind};
use dvorik::services::deals::{self, DealInput, DealState};
use dvorik::services::documents;
use dvorik::services::evidence::{self, EvidenceKind};
use dvorik::services::signing::{self, CodeSender, Recipient, SharedContact};
use dvorik::services::sms::{SmsGateway, SmsGatewayConfig};

/// Keeps every message it is asked to deliver.
#[derive(Default, Clone)]
struct Outbox(Arc<Mutex<Vec<(i64, String)>>>);

#[async_trait::async_trait]
impl CodeSender for Outbox {
    fn channel(&self) -> &'static str {
        "test"
    }
    async fn send(&self, to: &Recipient, text: &Secret<String>) -> Result<()> {
        self.0
            .lock()
            .unwrap()
            .push((to.user_id, text.expose().clone()));
        Ok(())
    }
}

impl Outbox {
    fn last_text(&self) -> String {
        self.0.lock().unwrap().last().unwrap().1.clone()
    }
    /// The code in the last message: the 6 digits after the last `": "`.
    fn last_code(&self) -> Secret<String> {
        let text = self.last_text();
        let tail = text.rsplit(": ").next().unwrap();
        Secret::new(tail[..6].to_string())
    }
}

fn wrong(code: &Secret<String>) -> Secret<String> {
    let n: u32 = code.expose().parse().unwrap();
    Secret::new(format!("{:06}", (n + 1) % 1_000_000))
}

/// A user and a deal sent to them.
async fn sent_deal(t: &common::TestDb, telegram_id: i64) -> (users::Model, deal_entity::Model) {
    let now = t.now();
    let user = fixtures::user(&t.db, telegram_id, now).await;
    let input = DealInput {
        title: "Поставка сыра".into(),
        kind: "sale".into(),
        counterparty_user_id: Some(user.id),
        amount: "2500".parse().unwrap(),
        ..Default::default()
    };
    let deal = deals::create(&t.db, &input, Actor::admin(1), now)
        .await
        .unwrap();
    let deal = deals::send(&t.db, deal.id, Actor::admin(1), now)
        .await
        .unwrap();
    (user, deal)
}

storage_test! {
    async fn the_counterparty_signs_with_the_code_and_the_chain_records_every_step(t) {
        let now = t.now();
        let (user, deal) = sent_deal(&t, 100).await;
        let outbox = Outbox::default();
        let contact = SharedContact { phone: "+7 914 123-45-67".into(), telegram_id: Some(100) };
        let user = signing::share_contact(&t.db, user.id, deal.id, &contact, now).await.unwrap();
        assert_eq!(user.phone.as_deref(), Some("+79141234567"));
        let viewed = signing::mark_viewed(&t.db, user.id, deal.id, now).await.unwrap();
        assert_eq!(viewed.state, DealState::Viewed);

        let issued = signing::request_code(&t.db, &t.key, &outbox, user.id, deal.id, now).await.unwrap();
        let doc = documents::current(&t.db, deal.id).await.unwrap().unwrap();
        assert_eq!((issued.document_id, issued.version), (doc.id, 1));
        let text = outbox.last_text();
        assert!(text.contains("«Поставка сыра»"), "{text}");
        assert!(text.contains("версия 1"), "{text}");
        assert!(text.contains(&doc.sha256[..8]), "{text}");

        let code = outbox.last_code();
        let signed = signing::sign(&t.db, &t.key, user.id, deal.id, &code, now).await.unwrap();
        assert_eq!(signed.state, DealState::Signed);
        assert_eq!(signed.signed_at, Some(now));

        let again = signing::sign(&t.db, &t.key, user.id, deal.id, &code, now).await.unwrap_err();
        assert_eq!(again.code(), "SIGNING_CODE_USED");

        let events = evidence::list(&t.db, deal.id).await.unwrap();
        let kinds: Vec<_> = events.iter().map(|e| e.kind).collect();
        assert_eq!(kinds, [
            EvidenceKind::Sent,
            EvidenceKind::ContactShared,
            EvidenceKind::Viewed,
            EvidenceKind::CodeSent,
            EvidenceKind::Signed,
        ]);
        let signed_payload: serde_json::Value = serde_json::from_str(&events[4].payload).unwrap();
        assert_eq!(signed_payload["document_sha256"], doc.sha256.as_str());
        assert_eq!(signed_payload["identified_by"]["phone"], "+79141234567");
        assert!(!events.iter().any(|e| e.payload.contains(code.expose().as_str())));
        assert!(evidence::verify(&t.db, deal.id).await.unwrap().ok);
    }
}

storage_test! {
    async fn an_expired_code_is_refused(t) {
        let now = t.now();
        let (user, deal) = sent_deal(&t, 100).await;
        let outbox = Outbox::default();
        signing::request_code(&t.db, &t.key, &outbox, user.id, deal.id, now).await.unwrap();
        let later = now + Duration::minutes(10) + Duration::seconds(1);
        let err = signing::sign(&t.db, &t.key, user.id, deal.id, &outbox.last_code(), later).await.unwrap_err();
        assert_eq!(err.code(), "SIGNING_CODE_EXPIRED");
        assert_eq!(deals::get(&t.db, deal.id).await.unwrap().state, DealState::Sent);
    }
}

storage_test! {
    async fn five_wrong_attempts_lock_the_code_and_the_sixth_is_refused_even_when_right(t) {
        let now = t.now();
        let (user, deal) = sent_deal(&t, 100).await;
        let outbox = Outbox::default();
        signing::request_code(&t.db, &t.key, &outbox, user.id, deal.id, now).await.unwrap();
        let code = outbox.last_code();
        for _ in 0..5 {
            let err = signing::sign(&t.db, &t.key, user.id, deal.id, &wrong(&code), now).await.unwrap_err();
            assert_eq!(err.code(), "SIGNING_CODE_INVALID");
        }
        let err = signing::sign(&t.db, &t.key, user.id, deal.id, &code, now).await.unwrap_err();
        assert_eq!(err.code(), "SIGNING_CODE_LOCKED");
        let failed = evidence::list(&t.db, deal.id).await.unwrap().iter().filter(|e| e.kind == EvidenceKind::CodeFailed).count();
        assert_eq!(failed, 5);
        assert_eq!(deals::get(&t.db, deal.id).await.unwrap().state, DealState::Sent);
    }
}

storage_test! {
    async fn another_users_code_and_another_users_deal_are_refused(t) {
        let now = t.now();
        let (anna, anna_deal) = sent_deal(&t, 100).await;
        let (boris, boris_deal) = sent_deal(&t, 200).await;
        let anna_box = Outbox::default();
        let boris_box = Outbox::default();
        signing::request_code(&t.db, &t.key, &anna_box, anna.id, anna_deal.id, now).await.unwrap();
        signing::request_code(&t.db, &t.key, &boris_box, boris.id, boris_deal.id, now).await.unwrap();
        let anna_code = anna_box.last_code();
        if anna_code.expose() != boris_box.last_code().expose() {
            let err = signing::sign(&t.db, &t.key, boris.id, boris_deal.id, &anna_code, now).await.unwrap_err();
            assert_eq!(err.code(), "SIGNING_CODE_INVALID");
        }
        let err = signing::sign(&t.db, &t.key, boris.id, anna_deal.id, &anna_code, now).await.unwrap_err();
        assert_eq!(err.code(), "SIGNING_NOT_COUNTERPARTY");
        let err = signing::request_code(&t.db, &t.key, &boris_box, boris.id, anna_deal.id, now).await.unwrap_err();
        assert_eq!(err.code(), "SIGNING_NOT_COUNTERPARTY");
        assert_eq!(deals::get(&t.db, anna_deal.id).await.unwrap().state, DealState::Sent);
    }
}

storage_test! {
    async fn a_code_for_an_older_document_version_is_refused(t) {
        let now = t.now();
        let (user, deal) = sent_deal(&t, 100).await;
        let outbox = Outbox::default();
        signing::request_code(&t.db, &t.key, &outbox, user.id, deal.id, now).await.unwrap();
        let code = outbox.last_code();
        let v2 = documents::render(&t.db, deal.id, now).await.unwrap();
        assert_eq!(v2.version, 2);
        let err = signing::sign(&t.db, &t.key, user.id, deal.id, &code, now).await.unwrap_err();
        assert_eq!(err.code(), "SIGNING_DOCUMENT_OUTDATED");
        signing::request_code(&t.db, &t.key, &outbox, user.id, deal.id, now).await.unwrap();
        assert!(outbox.last_text().contains("версия 2"));
        let signed = signing::sign(&t.db, &t.key, user.id, deal.id, &outbox.last_code(), now).await.unwrap();
        assert_eq!(signed.state, DealState::Signed);
    }
}

storage_test! {
    async fn a_foreign_contact_and_a_blacklisted_phone_are_refused(t) {
        let now = t.now();
        let (user, deal) = sent_deal(&t, 100).await;
        let foreign = SharedContact { phone: "+79140000000".into(), telegram_id: Some(555) };
        let err = signing::share_contact(&t.db, user.id, deal.id, &foreign, now).await.unwrap_err();
        assert_eq!(err.code(), "CONTACT_NOT_OWN");
        let unknown_owner = SharedContact { phone: "+79140000000".into(), telegram_id: None };
        let err = signing::share_contact(&t.db, user.id, deal.id, &unknown_owner, now).await.unwrap_err();
        assert_eq!(err.code(), "CONTACT_NOT_OWN");

        let listed = BlacklistInput { kind: BlacklistKind::Phone, value: "8 914 111-22-33".into(), reason: Some("мошенник".into()) };
        let entry = blacklist::add(&t.db, &listed, Actor::admin(1), now).await.unwrap();
        assert_eq!(entry.value, "+79141112233");
        let err = blacklist::add(&t.db, &listed, Actor::admin(1), now).await.unwrap_err();
        assert_eq!(err.code(), "BLACKLIST_ENTRY_EXISTS");
        let own = SharedContact { phone: "+7 914 111 22 33".into(), telegram_id: Some(100) };
        let err = signing::share_contact(&t.db, user.id, deal.id, &own, now).await.unwrap_err();
        assert_eq!(err.code(), "BLACKLISTED");

        let by_user = BlacklistInput { kind: BlacklistKind::User, value: user.id.to_string(), reason: None };
        let entry = blacklist::add(&t.db, &by_user, Actor::admin(1), now).await.unwrap();
        let err = signing::request_code(&t.db, &t.key, &Outbox::default(), user.id, deal.id, now).await.unwrap_err();
        assert_eq!(err.code(), "BLACKLISTED");
        blacklist::remove(&t.db, entry.id, Actor::admin(1), now).await.unwrap();
        signing::request_code(&t.db, &t.key, &Outbox::default(), user.id, deal.id, now).await.unwrap();
        let kinds: Vec<_> = evidence::list(&t.db, deal.id).await.unwrap().iter().map(|e| e.kind).collect();
        assert_eq!(kinds, [EvidenceKind::Sent, EvidenceKind::CodeSent]);
    }
}

storage_test! {
    async fn a_fourth_code_within_ten_minutes_is_refused_and_the_signer_may_decline(t) {
        let now = t.now();
        let (user, deal) = sent_deal(&t, 100).await;
        let outbox = Outbox::default();
        for _ in 0..3 {
            signing::request_code(&t.db, &t.key, &outbox, user.id, deal.id, now).await.unwrap();
        }
        let err = signing::request_code(&t.db, &t.key, &outbox, user.id, deal.id, now).await.unwrap_err();
        assert_eq!(err.code(), "SIGNING_TOO_MANY_CODES");
        assert_eq!(outbox.0.lock().unwrap().len(), 3);
        signing::request_code(&t.db, &t.key, &outbox, user.id, deal.id, now + Duration::minutes(11)).await.unwrap();

        let err = signing::decline(&t.db, user.id, deal.id, "  ", now).await.unwrap_err();
        assert_eq!(err.code(), "VALIDATION_FAILED");
        let declined = signing::decline(&t.db, user.id, deal.id, "Цена выше договорённой", now).await.unwrap();
        assert_eq!(declined.state, DealState::Declined);
        let events = evidence::list(&t.db, deal.id).await.unwrap();
        let last = events.last().unwrap();
        assert_eq!(last.kind, EvidenceKind::Declined);
        assert!(last.payload.contains("Цена выше договорённой"));
        let err = signing::sign(&t.db, &t.key, user.id, deal.id, &outbox.last_code(), now).await.unwrap_err();
        assert_eq!(err.code(), "DEAL_STATE_CONFLICT");
    }
}

/// What the fake gateway received: (authorization header, body) per request.
type Received = Arc<Mutex<Vec<(Option<String>, String)>>>;

/// A fake SMS gateway on a local port: records what it receives and answers `status`.
async fn fake_gateway(status: u16) -> (String, Received) {
    use axum::http::{HeaderMap, StatusCode};
    let seen: Received = Arc::default();
    let store = seen.clone();
    let app = axum::Router::new().route(
        "/send",
        axum::routing::post(move |headers: HeaderMap, body: String| {
            let store = store.clone();
            async move {
                let auth = headers
                    .get("authorization")
                    .and_then(|v| v.to_str().ok())
                    .map(String::from);
                store.lock().unwrap().push((auth, body));
                StatusCode::from_u16(status).unwrap()
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (format!("http://{addr}/send"), seen)
}

storage_test! {
    async fn the_sms_gateway_posts_the_templated_message_and_a_refusal_leaves_no_code(t) {
        let now = t.now();
        let (user, deal) = sent_deal(&t, 100).await;
        let contact = SharedContact { phone: "+79141234567".into(), telegram_id: Some(100) };
        signing::share_contact(&t.db, user.id, deal.id, &contact, now).await.unwrap();
        let (url, seen) = fake_gateway(200).await;
        let gateway = SmsGateway::new(SmsGatewayConfig {
            url,
            auth_header: Some(Secret::new("Bearer sms-secret".into())),
            body_template: r#"{"to":"{phone}","message":"{text}"}"#.into(),
        }).unwrap();
        signing::request_code(&t.db, &t.key, &gateway, user.id, deal.id, now).await.unwrap();
        let (auth, body) = seen.lock().unwrap()[0].clone();
        assert_eq!(auth.as_deref(), Some("Bearer sms-secret"));
        let body: serde_json::Value = serde_json::from_str(&body).unwrap();
        assert_eq!(body["to"], "+79141234567");
        let message = body["message"].as_str().unwrap().to_string();
        assert!(message.contains("«Поставка сыра»"), "{message}");
        let code = Secret::new(message.rsplit(": ").next().unwrap()[..6].to_string());
        let signed = signing::sign(&t.db, &t.key, user.id, deal.id, &code, now).await.unwrap();
        assert_eq!(signed.state, DealState::Signed);

        let (other, other_deal) = sent_deal(&t, 200).await;
        let contact = SharedContact { phone: "+79149999999".into(), telegram_id: Some(200) };
        signing::share_contact(&t.db, other.id, other_deal.id, &contact, now).await.unwrap();
        let (url, _) = fake_gateway(500).await;
        let failing = SmsGateway::new(SmsGatewayConfig { url, auth_header: None, body_template: "{text}".into() }).unwrap();
        let err = signing::request_code(&t.db, &t.key, &failing, other.id, other_deal.id, now).await.unwrap_err();
        assert_eq!(err.code(), "CODE_DELIVERY_FAILED");
        let err = signing::sign(&t.db, &t.key, other.id, other_deal.id, &code, now).await.unwrap_err();
        assert_eq!(err.code(), "SIGNING_CODE_INVALID");
        for _ in 0..3 {
            signing::request_code(&t.db, &t.key, &Outbox::default(), other.id, other_deal.id, now).await.unwrap();
        }
    }
}

storage_test! {
    async fn two_parallel_signings_with_the_right_code_sign_once(t) {
        let now = t.now();
        let (user, deal) = sent_deal(&t, 100).await;
        let outbox = Outbox::default();
        signing::request_code(&t.db, &t.key, &outbox, user.id, deal.id, now).await.unwrap();
        let code = outbox.last_code();
        let tasks: Vec<_> = (0..2)
            .map(|_| {
                let (db, key, code) = (t.db.clone(), t.key.clone(), code.clone());
                tokio::spawn(async move { signing::sign(&db, &key, user.id, deal.id, &code, now).await })
            })
            .collect();
        let mut results = Vec::new();
        for task in tasks {
            results.push(task.await.unwrap());
        }
        assert_eq!(results.iter().filter(|r| r.is_ok()).count(), 1);
        let refused = results.iter().find_map(|r| r.as_ref().err()).unwrap();
        assert!(["SIGNING_CODE_USED", "DEAL_STATE_CONFLICT"].contains(&refused.code()), "{refused:?}");
        let signed = evidence::list(&t.db, deal.id).await.unwrap().iter().filter(|e| e.kind == EvidenceKind::Signed).count();
        assert_eq!(signed, 1);
        assert!(evidence::verify(&t.db, deal.id).await.unwrap().ok);
    }
}
