//! Signing a deal's document in the client bot, end to end over HTTP through the Bot API simulator, on
//! SQLite and on MariaDB: the deal is created and sent through the admin API, the customer signs in the
//! chat, the evidence chain verifies, and a row changed behind the app's back is named. Every refusal
//! reaches the customer in its own words.

#[path = "../../tests/common/mod.rs"]
mod common;
mod world;

use chrono::Duration;
use dvorik::entity::{code_challenges, signature_events};
use dvorik::services::admins::AdminRole;
use dvorik::services::audit::Actor;
use dvorik::services::blacklist::{self, BlacklistInput, BlacklistKind};
use dvorik::services::deals::{self, DealInput, DealState};
use dvorik::services::users;
use dvorik_sim::{Entry, MediaKind, SimUser};
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use serde_json::json;
use world::{CLIENT, World, button, text};

/// The 6-digit code in the bot's code message (`…: 123456. …`).
fn code_in(entry: &Entry) -> String {
    let body = text(entry);
    let tail = body.rsplit(": ").next().unwrap();
    let code: String = tail.chars().take(6).collect();
    assert!(code.chars().all(|c| c.is_ascii_digit()), "{body}");
    code
}

fn wrong(code: &str) -> String {
    let n: u32 = code.parse().unwrap();
    format!("{:06}", (n + 1) % 1_000_000)
}

/// Opens the deal behind the button `data` of `under`, and returns the message with Sign / Decline.
async fn open(w: &World, user: &SimUser, under: &Entry, data: &str) -> Entry {
    let after = w.last_id(CLIENT, user.id);
    w.sim
        .press_button(CLIENT, user, under.message_id.unwrap(), data)
        .unwrap();
    w.bot_says(CLIENT, user.id, after, "Подписать документ")
        .await
}

/// Presses Sign, shares `phone` as the user's own contact and returns the code message.
async fn sign_up_to_the_code(w: &World, user: &SimUser, actions: &Entry, phone: &str) -> Entry {
    let ask = w
        .press(CLIENT, user, actions, &button(actions, "Подписать"))
        .await;
    assert!(
        ask.keyboard.iter().flatten().any(|k| k.request_contact),
        "{ask:#?}"
    );
    let after = w.last_id(CLIENT, user.id);
    w.sim
        .send_contact(CLIENT, user, phone, Some(user.id))
        .unwrap();
    let code = w
        .bot_says(CLIENT, user.id, after, "Код для подписания")
        .await;
    w.bot_says(CLIENT, user.id, after, "Введите его сюда").await;
    code
}

api_test! {
    async fn a_deal_sent_by_the_api_is_signed_in_the_client_bot_and_a_changed_row_is_named(app) {
        let w = World::start(&app.t).await;
        let _notices = dvorik_bots::notify::spawn_deal_notices(w.client_bot(), w.core.clone(), &app.config.deal_notices);
        let anna = SimUser::new(7101, "Анна").language("ru");
        w.say(CLIENT, &anna, "/start").await;
        let user = users::find_by_telegram_id(&app.t.db, anna.id).await.unwrap().unwrap();

        let marketer = app.login(AdminRole::Marketing).await;
        let (status, deal) = app.post("/api/v1/deals", &marketer.access, json!({
            "title": "Поставка торта", "kind": "sale", "counterparty_user_id": user.id, "amount": "1500.00",
        })).await;
        assert_eq!(status, 201, "{deal}");
        let id = deal["id"].as_i64().unwrap();
        let after = w.last_id(CLIENT, anna.id);
        let (status, sent) = app.post(&format!("/api/v1/deals/{id}/send"), &marketer.access, json!({})).await;
        assert_eq!(status, 200, "{sent}");

        let notice = w.bot_says(CLIENT, anna.id, after, "Вас ждёт документ").await;
        assert!(text(&notice).contains("Поставка торта"), "{notice:#?}");
        let after_open = w.last_id(CLIENT, anna.id);
        let actions = open(&w, &anna, &notice, &button(&notice, "Открыть")).await;
        let (_, docs) = app.get(&format!("/api/v1/deals/{id}/documents"), &marketer.access).await;
        let sha = docs[0]["sha256"].as_str().unwrap().to_string();
        let header = w.bot_says(CLIENT, anna.id, after_open, "Полный текст").await;
        assert!(text(&header).contains("версия 1") && text(&header).contains(&sha[..8]), "{header:#?}");
        w.bot_says(CLIENT, anna.id, after_open, "Сумма: 1500,00").await;
        let pdf = w.sim.transcript(CLIENT, anna.id).into_iter()
            .find(|e| e.media.as_ref().is_some_and(|m| m.kind == MediaKind::Document))
            .expect("the PDF was sent");
        let bytes = w.sim.file_bytes(&pdf.media.unwrap().file_id).unwrap();
        assert!(bytes.starts_with(b"%PDF"), "a PDF");
        assert_eq!(deals::get(&app.t.db, id).await.unwrap().state, DealState::Viewed);

        // Someone else's contact is refused; the own one brings the code.
        let ask = w.press(CLIENT, &anna, &actions, &button(&actions, "Подписать")).await;
        assert!(ask.keyboard.iter().flatten().any(|k| k.request_contact), "{ask:#?}");
        let after = w.last_id(CLIENT, anna.id);
        w.sim.send_contact(CLIENT, &anna, "+79140000001", Some(999)).unwrap();
        let refused = w.reply_after(CLIENT, anna.id, after).await;
        assert_eq!(text(&refused), "Поделитесь, пожалуйста, своим собственным контактом.");
        let after = w.last_id(CLIENT, anna.id);
        w.sim.send_contact(CLIENT, &anna, "+7 914 123-45-67", Some(anna.id)).unwrap();
        let message = w.bot_says(CLIENT, anna.id, after, "Код для подписания").await;
        assert!(text(&message).contains("Поставка торта"), "{message:#?}");
        assert!(text(&message).contains("версия 1") && text(&message).contains(&sha[..8]), "{message:#?}");
        w.bot_says(CLIENT, anna.id, after, "Введите его сюда").await;
        let code = code_in(&message);

        let miss = w.say(CLIENT, &anna, &wrong(&code)).await;
        assert_eq!(text(&miss), "Неверный код. Осталось 4 попытки.");
        let signed = w.say(CLIENT, &anna, &code).await;
        let event = signature_events::Entity::find()
            .filter(signature_events::Column::DealId.eq(id))
            .filter(signature_events::Column::Kind.eq(signature_events::EvidenceKind::Signed))
            .one(&app.t.db).await.unwrap().unwrap();
        assert!(text(&signed).contains(&format!("Номер подписи: {}", event.id)), "{signed:#?}");
        assert!(text(&signed).contains(&format!("хеш документа: {}", &sha[..8])), "{signed:#?}");
        let reused = w.say(CLIENT, &anna, &code).await;
        assert_eq!(text(&reused), "Этот код уже использован.");
        assert_eq!(deals::get(&app.t.db, id).await.unwrap().state, DealState::Signed);

        let (status, check) = app.get(&format!("/api/v1/deals/{id}/evidence/verify"), &marketer.access).await;
        assert_eq!((status, check["ok"].as_bool()), (200, Some(true)), "{check}");
        let kinds: Vec<String> = app.get(&format!("/api/v1/deals/{id}/evidence"), &marketer.access).await.1
            .as_array().unwrap().iter().map(|e| e["kind"].as_str().unwrap().to_string()).collect();
        assert_eq!(kinds, ["sent", "viewed", "contact_shared", "code_sent", "code_failed", "signed"]);

        let pdf = app.client.get(app.url(&format!("/api/v1/deals/{id}/signing-record.pdf")))
            .bearer_auth(&marketer.access).send().await.unwrap();
        assert_eq!(pdf.status(), 200);
        assert_eq!(pdf.headers()["content-type"], "application/pdf");
        assert!(pdf.bytes().await.unwrap().starts_with(b"%PDF"));

        // One stored row changed directly: verification names it.
        signature_events::Entity::update_many()
            .col_expr(signature_events::Column::Payload, Expr::value(r#"{"phone":"+79990000000"}"#))
            .filter(signature_events::Column::DealId.eq(id))
            .filter(signature_events::Column::Seq.eq(3))
            .exec(&app.t.db).await.unwrap();
        let (_, check) = app.get(&format!("/api/v1/deals/{id}/evidence/verify"), &marketer.access).await;
        assert_eq!(check["ok"], false);
        assert_eq!(check["first_break"], json!({"deal_id": id, "seq": 3, "reason": "hash_mismatch"}));
        w.finish().await;
    }
}

/// A customer registered through `/start` and a deal sent to them through the core.
async fn sent_deal(w: &World, t: &common::TestDb, user: &SimUser, title: &str) -> i64 {
    w.say(CLIENT, user, "/start").await;
    let found = users::find_by_telegram_id(&t.db, user.id)
        .await
        .unwrap()
        .unwrap();
    let input = DealInput {
        title: title.into(),
        kind: "sale".into(),
        counterparty_user_id: Some(found.id),
        amount: "990".parse().unwrap(),
        ..Default::default()
    };
    let deal = deals::create(&t.db, &input, Actor::admin(1), t.now())
        .await
        .unwrap();
    deals::send(&t.db, deal.id, Actor::admin(1), t.now())
        .await
        .unwrap()
        .id
}

storage_test! {
    async fn expired_and_exhausted_codes_a_code_limit_and_a_blacklisted_phone_are_refused_in_the_bot(t) {
        let w = World::start(&t).await;
        let boris = SimUser::new(7102, "Борис").language("ru");
        let id = sent_deal(&w, &t, &boris, "Аренда витрины").await;

        // Nothing is lost without a push: /documents lists the deal.
        let list = w.say(CLIENT, &boris, "/documents").await;
        assert!(text(&list).contains("1 документ ждёт вашей подписи"), "{list:#?}");
        let actions = open(&w, &boris, &list, &button(&list, "Аренда витрины")).await;
        let first = sign_up_to_the_code(&w, &boris, &actions, "+79145551111").await;

        // An expired code offers a new one.
        code_challenges::Entity::update_many()
            .col_expr(code_challenges::Column::ExpiresAt, Expr::value(t.now() - Duration::minutes(1)))
            .exec(&t.db).await.unwrap();
        let expired = w.say(CLIENT, &boris, &code_in(&first)).await;
        assert_eq!(text(&expired), "Срок действия кода истёк. Запросите новый код.");
        let after = w.last_id(CLIENT, boris.id);
        w.sim.press_button(CLIENT, &boris, expired.message_id.unwrap(), &button(&expired, "новый код")).unwrap();
        let second = w.bot_says(CLIENT, boris.id, after, "Код для подписания").await;
        w.bot_says(CLIENT, boris.id, after, "Введите его сюда").await;
        let code = code_in(&second);

        // Five wrong codes lock it; the sixth attempt is refused even with the right code.
        for left in ["4 попытки", "3 попытки", "2 попытки", "1 попытка"] {
            let miss = w.say(CLIENT, &boris, &wrong(&code)).await;
            assert!(text(&miss).contains(left), "{left}: {miss:#?}");
        }
        let fifth = w.say(CLIENT, &boris, &wrong(&code)).await;
        assert!(text(&fifth).contains("Попытки закончились"), "{fifth:#?}");
        let sixth = w.say(CLIENT, &boris, &code).await;
        assert_eq!(text(&sixth), "Слишком много неверных попыток, код заблокирован. Запросите новый код.");
        assert_eq!(deals::get(&t.db, id).await.unwrap().state, DealState::Viewed);

        // The third code in ten minutes comes; a fourth does not.
        let after = w.last_id(CLIENT, boris.id);
        w.sim.press_button(CLIENT, &boris, sixth.message_id.unwrap(), &button(&sixth, "новый код")).unwrap();
        w.bot_says(CLIENT, boris.id, after, "Код для подписания").await;
        w.bot_says(CLIENT, boris.id, after, "Введите его сюда").await;
        let too_many = w.press(CLIENT, &boris, &sixth, &button(&sixth, "новый код")).await;
        assert_eq!(text(&too_many), "Слишком много запросов кода. Подождите 10 минут.");

        // Declining instead, with a reason from the buttons.
        let reasons = w.press(CLIENT, &boris, &actions, &button(&actions, "Отказаться")).await;
        let declined = w.press(CLIENT, &boris, &reasons, &button(&reasons, "Не согласен")).await;
        assert!(text(&declined).contains("Вы отказались подписать «Аренда витрины»"), "{declined:#?}");
        assert_eq!(deals::get(&t.db, id).await.unwrap().state, DealState::Declined);
        let none = w.say(CLIENT, &boris, "📄 Документы").await;
        assert_eq!(text(&none), "Документов на подпись нет.");

        // A blacklisted phone cannot sign.
        let clara = SimUser::new(7103, "Клара").language("ru");
        let _ = sent_deal(&w, &t, &clara, "Поставка конфет").await;
        let listed = BlacklistInput { kind: BlacklistKind::Phone, value: "+79146660000".into(), reason: None };
        blacklist::add(&t.db, &listed, Actor::admin(1), t.now()).await.unwrap();
        let list = w.say(CLIENT, &clara, "/documents").await;
        let actions = open(&w, &clara, &list, &button(&list, "Поставка конфет")).await;
        w.press(CLIENT, &clara, &actions, &button(&actions, "Подписать")).await;
        let after = w.last_id(CLIENT, clara.id);
        w.sim.send_contact(CLIENT, &clara, "+79146660000", Some(clara.id)).unwrap();
        let refused = w.reply_after(CLIENT, clara.id, after).await;
        assert_eq!(text(&refused), "Действие недоступно. Обратитесь в магазин.");
        w.finish().await;
    }
}
