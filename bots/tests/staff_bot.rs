//! The staff bot end to end with the client bot, over HTTP through the Bot API simulator, on SQLite
//! and on MariaDB: registration, approval, redemption by a photo of the QR, the customer told.

#[path = "../../tests/common/mod.rs"]
mod common;
mod world;

use common::fixtures;
use dvorik::entity::redemptions;
use dvorik::services::discounts::{self, ManualDiscount};
use dvorik::services::templates::DiscountKind;
use dvorik::services::users;
use dvorik_sim::SimUser;
use sea_orm::{EntityTrait, PaginatorTrait};
use world::{CLIENT, STAFF, World, button, text};

/// A customer who subscribed in the client bot; returns their QR picture (PNG from the simulator).
async fn customer_with_a_qr(w: &World, customer: &SimUser) -> Vec<u8> {
    w.say(CLIENT, customer, "/start").await;
    let subscribed = w.say(CLIENT, customer, "/subscribe").await;
    let picture = w
        .press(CLIENT, customer, &subscribed, &button(&subscribed, "QR"))
        .await;
    w.sim
        .file_bytes(&picture.media.expect("a picture").file_id)
        .unwrap()
}

/// The PNG re-encoded as JPEG, as Telegram recompresses photos.
fn as_jpeg(png: &[u8]) -> Vec<u8> {
    let image = image::load_from_memory(png).unwrap();
    let mut out = std::io::Cursor::new(Vec::new());
    image.write_to(&mut out, image::ImageFormat::Jpeg).unwrap();
    out.into_inner()
}

storage_test! {
    async fn a_cashier_registers_is_approved_and_redeems_a_photographed_qr_once(t) {
        let now = t.now();
        fixtures::template(&t.db, DiscountKind::Subscription, fixtures::percent("10"), 30, now).await;
        let store = fixtures::store(&t.db, "Сладкий двор", now).await;
        let owner_row = fixtures::owner(&t.db, 9001, now).await;
        let w = World::start(&t).await;
        let anna = SimUser::new(7001, "Анна").language("ru");
        let owner = SimUser::new(9001, "Хозяйка").language("ru");
        let olga = SimUser::new(8001, "Ольга").language("ru");
        let qr = customer_with_a_qr(&w, &anna).await;

        let admin_hello = w.say(STAFF, &owner, "/start").await;
        assert!(text(&admin_hello).contains("/token"), "{admin_hello:#?}");

        let asked = w.say(STAFF, &olga, "/start").await;
        assert!(text(&asked).contains("Как вас зовут"), "{asked:#?}");
        let stores = w.say(STAFF, &olga, "Ольга").await;
        let owner_seen = w.last_id(STAFF, owner.id);
        let sent = w.press(STAFF, &olga, &stores, &format!("store:{}", store.id)).await;
        assert!(text(&sent).contains("Сладкий двор"), "{sent:#?}");

        let request = w.reply_after(STAFF, owner.id, owner_seen).await;
        assert!(text(&request).contains("Ольга"), "{request:#?}");
        let olga_seen = w.last_id(STAFF, olga.id);
        w.sim.press_button(STAFF, &owner, request.message_id.unwrap(), &button(&request, "Одобрить")).unwrap();
        let approved = w.reply_after(STAFF, olga.id, olga_seen).await;
        assert!(text(&approved).contains("одобрена"), "{approved:#?}");
        let request_now = w.sim.transcript(STAFF, owner.id).into_iter()
            .find(|e| e.message_id == request.message_id).unwrap();
        assert!(text(&request_now).contains("одобрен"), "the request shows the decision: {request_now:#?}");
        let cashier = dvorik::services::cashiers::find_by_telegram_id(&t.db, olga.id).await.unwrap().unwrap();
        assert_eq!(cashier.decided_by_admin_id, Some(owner_row.id));

        let card = w.send_photo(STAFF, &olga, as_jpeg(&qr)).await;
        assert!(text(&card).contains("Покупатель: Анна"), "{card:#?}");
        assert!(text(&card).contains("10%") && text(&card).contains("действует"), "{card:#?}");
        let redeem = button(&card, "Погасить");
        let anna_seen = w.last_id(CLIENT, anna.id);
        let done = w.press(STAFF, &olga, &card, &redeem).await;
        assert!(text(&done).contains("Погашено") && text(&done).contains("Сладкий двор"), "{done:#?}");
        let told = w.reply_after(CLIENT, anna.id, anna_seen).await;
        assert!(text(&told).contains("использован в магазине «Сладкий двор»"), "{told:#?}");

        let twice = w.press(STAFF, &olga, &card, &redeem).await;
        assert_eq!(text(&twice), "Этот код уже использован.");
        assert_eq!(redemptions::Entity::find().count(&t.db).await.unwrap(), 1);

        // A code typed by hand, redeemed with the receipt amount; a wrong amount is explained first.
        let user = users::find_by_telegram_id(&t.db, anna.id).await.unwrap().unwrap();
        let manual = ManualDiscount { user_id: user.id, value: fixtures::percent("5"), validity_days: 10, admin_id: owner_row.id, note: None };
        let issued = discounts::issue_manual(&t.db, &t.key, &manual, now).await.unwrap();
        let card = w.say(STAFF, &olga, &issued.code.display().to_lowercase()).await;
        let asked = w.press(STAFF, &olga, &card, &button(&card, "суммой")).await;
        assert!(text(&asked).contains("сумму чека"), "{asked:#?}");
        let wrong = w.say(STAFF, &olga, "много").await;
        assert!(text(&wrong).contains("Это не сумма"), "{wrong:#?}");
        let done = w.say(STAFF, &olga, "1250,50").await;
        assert!(text(&done).contains("Погашено"), "{done:#?}");
        let log = dvorik::services::redemption::of_discount(&t.db, issued.discount.id).await.unwrap().unwrap();
        assert_eq!(log.amount_minor, Some(125_050));

        let nonsense = w.say(STAFF, &olga, "hello").await;
        assert!(text(&nonsense).contains("Это не код скидки"), "{nonsense:#?}");
        let unreadable = w.send_photo(STAFF, &olga, as_jpeg(&blank_png())).await;
        assert!(text(&unreadable).contains("Не удалось прочитать QR"), "{unreadable:#?}");
        w.finish().await;
    }
}

fn blank_png() -> Vec<u8> {
    let image = image::GrayImage::from_pixel(120, 120, image::Luma([255]));
    let mut out = std::io::Cursor::new(Vec::new());
    image.write_to(&mut out, image::ImageFormat::Png).unwrap();
    out.into_inner()
}

storage_test! {
    async fn admins_reject_list_and_revoke_cashiers_and_get_a_token_and_the_days_stats(t) {
        let now = t.now();
        let store = fixtures::store(&t.db, "Store A", now).await;
        fixtures::owner(&t.db, 9001, now).await;
        let w = World::start(&t).await;
        let owner = SimUser::new(9001, "Owner").language("en");
        let ivan = SimUser::new(8002, "Ivan").language("en");
        let petr = SimUser::new(8003, "Petr").language("en");
        w.say(STAFF, &owner, "/start").await;

        for (person, name) in [(&ivan, "Ivan"), (&petr, "Petr")] {
            w.say(STAFF, person, "/start").await;
            let stores = w.say(STAFF, person, name).await;
            let seen = w.last_id(STAFF, owner.id);
            w.press(STAFF, person, &stores, &format!("store:{}", store.id)).await;
            w.reply_after(STAFF, owner.id, seen).await;
        }
        let requests: Vec<_> = w.bot_messages(STAFF, owner.id).into_iter()
            .filter(|e| e.callback_data().any(|d| d.starts_with("cash:"))).collect();
        assert_eq!(requests.len(), 2);
        let seen = w.last_id(STAFF, petr.id);
        // Requests reach admins, and decisions reach cashiers, in the shop's language (Russian here):
        // their own language is not stored.
        w.sim.press_button(STAFF, &owner, requests[1].message_id.unwrap(), &button(&requests[1], "Отклонить")).unwrap();
        let rejected = w.reply_after(STAFF, petr.id, seen).await;
        assert!(text(&rejected).contains("отклонена"), "{rejected:#?}");
        let seen = w.last_id(STAFF, ivan.id);
        w.sim.press_button(STAFF, &owner, requests[0].message_id.unwrap(), &button(&requests[0], "Одобрить")).unwrap();
        w.reply_after(STAFF, ivan.id, seen).await;

        // A decided request lost its buttons; a stale press (another admin's copy) says why nothing happens.
        let seen = w.last_id(STAFF, owner.id);
        w.sim.press_button_unchecked(STAFF, &owner, requests[0].message_id.unwrap(), &button(&requests[0], "Одобрить")).unwrap();
        let again = w.reply_after(STAFF, owner.id, seen).await;
        assert_eq!(text(&again), "This cashier is not waiting for a decision.");

        let list = w.say(STAFF, &owner, "/cashiers").await;
        assert!(text(&list).contains("Ivan, Store A") && !text(&list).contains("Petr"), "{list:#?}");
        let seen = w.last_id(STAFF, ivan.id);
        let revoked = w.press(STAFF, &owner, &list, &button(&list, "Revoke Ivan")).await;
        assert!(text(&revoked).contains("can no longer redeem"), "{revoked:#?}");
        let told = w.reply_after(STAFF, ivan.id, seen).await;
        assert!(text(&told).contains("отозван"), "{told:#?}");
        let refused = w.say(STAFF, &ivan, "ABCDE-23456").await;
        assert!(text(&refused).contains("did not understand"), "a revoked cashier cannot check codes: {refused:#?}");

        let token_message = w.say(STAFF, &owner, "/token").await;
        let token = text(&token_message).lines().last().unwrap().trim().to_string();
        let admin = dvorik::services::login_tokens::consume(&t.db, &t.key, &token, t.now()).await.unwrap();
        assert_eq!(admin.telegram_id, 9001);
        let stats = w.say(STAFF, &owner, "/stats").await;
        assert!(text(&stats).contains("Customers: 0"), "{stats:#?}");
        let not_admin = w.say(STAFF, &ivan, "/token").await;
        assert_eq!(text(&not_admin), "This command is for admins only.");
        w.finish().await;
    }
}
