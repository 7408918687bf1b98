//! The client bot end to end, over HTTP through the Bot API simulator, on SQLite and on MariaDB.

#[path = "../../tests/common/mod.rs"]
mod common;
mod world;

use common::fixtures;
use dvorik::services::templates::DiscountKind;
use dvorik::services::{discounts, users};
use dvorik_sim::{MediaKind, SimUser};
use sea_orm::{ActiveModelTrait, EntityTrait, PaginatorTrait, Set};
use world::{CLIENT, World, button, text};

fn anna() -> SimUser {
    SimUser::new(7001, "Анна").language("ru")
}

storage_test! {
    async fn a_newcomer_from_instagram_subscribes_gets_a_welcome_code_and_its_qr(t) {
        fixtures::template(&t.db, DiscountKind::Subscription, fixtures::percent("10"), 30, t.now()).await;
        let w = World::start(&t).await;
        let anna = anna();

        let greeting = w.say(CLIENT, &anna, "/start src_instagram").await;
        assert!(text(&greeting).contains("Здравствуйте, Анна"), "{greeting:#?}");
        let keys: Vec<&str> = greeting.keyboard.iter().flatten().map(|k| k.text.as_str()).collect();
        assert!(keys.contains(&"🔔 Подписаться") && keys.contains(&"🎁 Мои скидки"), "{keys:?}");
        let user = users::find_by_telegram_id(&t.db, anna.id).await.unwrap().unwrap();
        assert_eq!(user.source.as_deref(), Some("src_instagram"));
        assert_eq!(user.language, "ru");

        // The first touch stays the source.
        let again = w.say(CLIENT, &anna, "/start src_vk").await;
        assert!(text(&again).contains("С возвращением"), "{again:#?}");
        let user = users::find_by_telegram_id(&t.db, anna.id).await.unwrap().unwrap();
        assert_eq!(user.source.as_deref(), Some("src_instagram"));

        let subscribed = w.say(CLIENT, &anna, "🔔 Подписаться").await;
        let active = discounts::list_active(&t.db, user.id, t.now()).await.unwrap();
        assert_eq!(active.len(), 1, "one welcome discount");
        let code = discounts::code_of(&t.key, &active[0]);
        assert!(text(&subscribed).contains(&code.display()), "{subscribed:#?}");
        assert!(text(&subscribed).contains("10%"));

        let picture = w.press(CLIENT, &anna, &subscribed, &button(&subscribed, "QR")).await;
        let media = picture.media.clone().expect("a picture");
        assert_eq!(media.kind, MediaKind::Photo);
        let png = w.sim.file_bytes(&media.file_id).unwrap();
        assert_eq!(dvorik_bots::qr::decode(&png).as_deref(), Some(code.expose()));

        let list = w.say(CLIENT, &anna, "/discounts").await;
        assert!(text(&list).contains("У вас 1 действующая скидка"), "{list:#?}");
        assert!(text(&list).contains(&code.display()));
        let history = w.press(CLIENT, &anna, &list, &button(&list, "История")).await;
        assert!(text(&history).contains("действует"), "{history:#?}");

        // Unsubscribing and subscribing again brings no second welcome discount.
        let off = w.say(CLIENT, &anna, "🔕 Отписаться").await;
        assert!(text(&off).contains("отписались"), "{off:#?}");
        let on = w.say(CLIENT, &anna, "/subscribe").await;
        assert_eq!(text(&on), "Вы подписались на наши новости.");
        assert_eq!(discounts::history(&t.db, user.id, 10).await.unwrap().len(), 1);
        w.finish().await;
    }
}

storage_test! {
    async fn a_user_outside_the_channel_cannot_subscribe_until_they_join(t) {
        fixtures::template(&t.db, DiscountKind::Subscription, fixtures::percent("15"), 30, t.now()).await;
        dvorik::services::settings::set(
            &t.db, "channel", serde_json::json!("@dvorik_sweets"),
            dvorik::services::audit::Actor::system(), t.now(),
        ).await.unwrap();
        let w = World::start(&t).await;
        let boris = SimUser::new(7002, "Boris").language("en");
        w.say(CLIENT, &boris, "/start").await;

        let refused = w.say(CLIENT, &boris, "/subscribe").await;
        assert!(text(&refused).contains("join our channel @dvorik_sweets"), "{refused:#?}");
        let check = button(&refused, "Check again");
        assert!(refused.buttons.iter().flatten().any(|b| b.url.as_deref() == Some("https://t.me/dvorik_sweets")));
        let still_out = w.press(CLIENT, &boris, &refused, &check).await;
        assert!(text(&still_out).contains("join our channel"), "{still_out:#?}");
        let user = users::find_by_telegram_id(&t.db, boris.id).await.unwrap().unwrap();
        assert!(!user.subscribed);

        w.sim.set_member("@dvorik_sweets", boris.id, true);
        let joined = w.press(CLIENT, &boris, &refused, &check).await;
        assert!(text(&joined).contains("welcome discount: 15%"), "{joined:#?}");
        let user = users::find_by_telegram_id(&t.db, boris.id).await.unwrap().unwrap();
        assert!(user.subscribed);
        w.finish().await;
    }
}

storage_test! {
    async fn birthday_input_errors_are_explained_and_the_dialogue_continues(t) {
        let w = World::start(&t).await;
        let anna = anna();
        w.say(CLIENT, &anna, "/start").await;
        let asked = w.say(CLIENT, &anna, "🎂 День рождения").await;
        assert!(text(&asked).contains("ДД.ММ"), "{asked:#?}");
        let cases = [
            ("31.02", "Такой даты нет"),
            ("тридцатое", "не похоже на дату"),
            ("01.05.2999", "Год должен быть"),
        ];
        for (typed, explained) in cases {
            let answer = w.say(CLIENT, &anna, typed).await;
            assert!(text(&answer).contains(explained), "{typed}: {answer:#?}");
        }
        let user = users::find_by_telegram_id(&t.db, anna.id).await.unwrap().unwrap();
        assert_eq!(user.birthday_month, None, "nothing saved while the input is wrong");

        let saved = w.say(CLIENT, &anna, "05.03.1990").await;
        assert!(text(&saved).contains("05.03.1990"), "{saved:#?}");
        let user = users::find_by_telegram_id(&t.db, anna.id).await.unwrap().unwrap();
        assert_eq!((user.birthday_day, user.birthday_month, user.birthday_year), (Some(5), Some(3), Some(1990)));

        // Set once: asking again shows the date and asks nothing.
        let again = w.say(CLIENT, &anna, "/birthday").await;
        assert!(text(&again).contains("уже указан: 05.03.1990"), "{again:#?}");
        let chat = w.say(CLIENT, &anna, "12.12").await;
        assert!(text(&chat).contains("не понял"), "{chat:#?}");
        w.finish().await;
    }
}

storage_test! {
    async fn a_redelivered_update_changes_nothing(t) {
        fixtures::template(&t.db, DiscountKind::Subscription, fixtures::percent("10"), 30, t.now()).await;
        let w = World::start(&t).await;
        let anna = anna();
        w.say(CLIENT, &anna, "/start").await;
        w.say(CLIENT, &anna, "/subscribe").await;
        let (unsubscribe, _) = w.say_injected(CLIENT, &anna, "/unsubscribe").await;
        w.say(CLIENT, &anna, "/subscribe").await;
        let before = w.bot_messages(CLIENT, anna.id).len();

        w.sim.redeliver(CLIENT, unsubscribe.update_id).unwrap();
        // Updates of one chat are handled in order: once /help is answered, the redelivery was seen.
        let help = w.say(CLIENT, &anna, "/help").await;
        assert!(text(&help).contains("Контакты"), "{help:#?}");
        assert_eq!(w.bot_messages(CLIENT, anna.id).len(), before + 1, "only /help was answered");
        let user = users::find_by_telegram_id(&t.db, anna.id).await.unwrap().unwrap();
        assert!(user.subscribed, "the redelivered /unsubscribe had no effect");
        assert_eq!(dvorik::entity::discounts::Entity::find().count(&t.db).await.unwrap(), 1);
        w.finish().await;
    }
}

storage_test! {
    async fn language_help_and_a_blocked_user_are_answered_in_the_right_words(t) {
        dvorik::services::settings::set(
            &t.db, "shop_contacts", serde_json::json!("+7 423 000-00-00"),
            dvorik::services::audit::Actor::system(), t.now(),
        ).await.unwrap();
        let w = World::start(&t).await;
        let anna = anna();
        w.say(CLIENT, &anna, "/start").await;
        let choose = w.say(CLIENT, &anna, "🌐 Язык").await;
        let english = w.press(CLIENT, &anna, &choose, &button(&choose, "English")).await;
        assert_eq!(text(&english), "The language is now English.");
        let keys: Vec<&str> = english.keyboard.iter().flatten().map(|k| k.text.as_str()).collect();
        assert!(keys.contains(&"ℹ️ Help"), "{keys:?}");
        let help = w.say(CLIENT, &anna, "ℹ️ Help").await;
        assert!(text(&help).contains("Contacts: +7 423 000-00-00"), "{help:#?}");
        assert!(text(&help).contains("Hours: not given yet"), "{help:#?}");
        let none = w.say(CLIENT, &anna, "🎁 My discounts").await;
        assert_eq!(text(&none), "You have no active discounts yet.");

        let user = users::find_by_telegram_id(&t.db, anna.id).await.unwrap().unwrap();
        let mut row: dvorik::entity::users::ActiveModel = user.into();
        row.blocked = Set(true);
        row.update(&t.db).await.unwrap();
        let refused = w.say(CLIENT, &anna, "/subscribe").await;
        assert!(text(&refused).contains("not available to you"), "{refused:#?}");

        let commands = w.sim.commands(CLIENT, Some("en"));
        assert!(commands.contains(&("discounts".into(), "My discounts".into())), "{commands:?}");
        let russian = w.sim.commands(CLIENT, Some("ru"));
        assert!(russian.contains(&("discounts".into(), "Мои скидки".into())), "{russian:?}");
        w.finish().await;
    }
}
