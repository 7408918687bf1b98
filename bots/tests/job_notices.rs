//! The scheduled jobs' messages through the client bot (`notify::ClientNotifier`, what `dvorik serve`
//! passes to the jobs when the bots run): translated, with the code, its value, expiry and QR button.

#[path = "../../tests/common/mod.rs"]
mod common;
mod world;

use common::fixtures;
use dvorik::domain::Language;
use dvorik::jobs::Notifier;
use dvorik::services::discounts::{self, ManualDiscount};
use dvorik_bots::notify::ClientNotifier;
use dvorik_sim::SimUser;
use world::{CLIENT, World, text};

storage_test! {
    async fn birthday_and_expiry_messages_reach_the_customer_in_their_language(t) {
        let w = World::start(&t).await;
        let anna = SimUser::new(7201, "Анна").language("ru");
        let boris = SimUser::new(7202, "Boris").language("en");
        w.say(CLIENT, &anna, "/start").await;
        w.say(CLIENT, &boris, "/start").await;
        let admin = fixtures::owner(&t.db, 8, t.now()).await;
        let notifier = ClientNotifier { bot: w.client_bot(), core: w.core.clone() };

        let mut issued = Vec::new();
        for sim in [&anna, &boris] {
            let user = dvorik::services::users::find_by_telegram_id(&t.db, sim.id).await.unwrap().unwrap();
            let manual = ManualDiscount { user_id: user.id, value: fixtures::percent("15"), validity_days: 5, admin_id: admin.id, note: None };
            issued.push(discounts::issue_manual(&t.db, &t.key, &manual, t.now()).await.unwrap());
        }

        let after = w.last_id(CLIENT, anna.id);
        notifier.birthday_discount(anna.id, Language::Ru, &issued[0].code, &issued[0].discount).await.unwrap();
        let birthday = w.reply_after(CLIENT, anna.id, after).await;
        assert!(text(&birthday).starts_with("С днём рождения!"), "{birthday:#?}");
        assert!(text(&birthday).contains(&format!("скидка 15%, код {}", issued[0].code.display())), "{birthday:#?}");
        assert_eq!(birthday.callback_data().collect::<Vec<_>>(), [format!("qr:{}", issued[0].discount.id)]);

        let after = w.last_id(CLIENT, boris.id);
        notifier.expiry_reminder(boris.id, Language::En, &issued[1].code, &issued[1].discount).await.unwrap();
        let reminder = w.reply_after(CLIENT, boris.id, after).await;
        assert!(text(&reminder).starts_with("A reminder: your 15% discount"), "{reminder:#?}");
        assert!(text(&reminder).contains(&issued[1].code.display()), "{reminder:#?}");
        w.finish().await;
    }
}
