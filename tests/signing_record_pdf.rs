//! The signing record as PDF: who signed which document and hash, when, how identified, every event
//! and the chain's verification; the text layer reads back with pdftotext.

mod common;

use std::sync::{Arc, Mutex};

use common::fixtures;
use dvorik::Result;
use dvorik::secret::Secret;
use dvorik::services::audit::Actor;
use dvorik::services::deals::{self, DealInput};
use dvorik::services::signing::{self, CodeSender, Recipient, SharedContact};
use dvorik::services::{documents, signing_record};

#[derive(Default, Clone)]
struct Outbox(Arc<Mutex<Vec<String>>>);

#[async_trait::async_trait]
impl CodeSender for Outbox {
    fn channel(&self) -> &'static str {
        "test"
    }
    async fn send(&self, _to: &Recipient, text: &Secret<String>) -> Result<()> {
        self.0.lock().unwrap().push(text.expose().clone());
        Ok(())
    }
}

/// The PDF's text layer, read back by poppler's pdftotext as a viewer would.
fn pdftotext(bytes: &[u8]) -> String {
    let dir = std::env::temp_dir().join(format!("dvorik-record-{}", uuid::Uuid::new_v4().simple()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("record.pdf");
    std::fs::write(&path, bytes).unwrap();
    let out = std::process::Command::new("pdftotext")
        .arg(&path)
        .arg("-")
        .output()
        .expect("pdftotext (apt-get install poppler-utils)");
    std::fs::remove_dir_all(&dir).unwrap();
    String::from_utf8(out.stdout).unwrap()
}

storage_test! {
    async fn the_signing_record_pdf_names_the_signer_the_document_hash_and_every_event(t) {
        let now = t.now();
        let user = fixtures::user(&t.db, 100, now).await;
        let input = DealInput {
            title: "Поставка сыра".into(),
            kind: "sale".into(),
            counterparty_user_id: Some(user.id),
            amount: "2500".parse().unwrap(),
            ..Default::default()
        };
        let deal = deals::create(&t.db, &input, Actor::admin(1), now).await.unwrap();
        deals::send(&t.db, deal.id, Actor::admin(1), now).await.unwrap();
        let contact = SharedContact { phone: "+79141234567".into(), telegram_id: Some(100) };
        signing::share_contact(&t.db, user.id, deal.id, &contact, now).await.unwrap();
        let outbox = Outbox::default();
        signing::request_code(&t.db, &t.key, &outbox, user.id, deal.id, now).await.unwrap();
        let text = outbox.0.lock().unwrap().last().unwrap().clone();
        let code = Secret::new(text.rsplit(": ").next().unwrap()[..6].to_string());
        signing::sign(&t.db, &t.key, user.id, deal.id, &code, now).await.unwrap();
        let doc = documents::current(&t.db, deal.id).await.unwrap().unwrap();

        let record = signing_record::export(&t.db, deal.id).await.unwrap();
        let lines = signing_record::pdf_lines(&record).join("\n");
        assert!(lines.contains("сумма 2500,00 руб., состояние: signed"), "{lines}");
        assert!(lines.contains(&doc.sha256), "{lines}");
        assert!(lines.contains("Telegram ID 100, телефон +79141234567"), "{lines}");
        assert!(lines.contains("Цепочка доказательств цела, событий: 4."), "{lines}");
        assert!(lines.contains("4. ") && lines.contains("signed (customer:"), "{lines}");
        assert!(!lines.contains(code.expose().as_str()), "the code is not in the record");

        let bytes = signing_record::export_pdf(&t.db, deal.id).await.unwrap();
        assert!(bytes.starts_with(b"%PDF"));
        let text = pdftotext(&bytes);
        assert!(text.contains("Протокол подписания «Поставка сыра»"), "{text}");
        assert!(text.contains("телефон +79141234567"), "{text}");
        assert_eq!(signing_record::export_pdf(&t.db, 424_242).await.unwrap_err().code(), "DEAL_NOT_FOUND");
    }
}
