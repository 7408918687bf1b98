//! Webhook mode: the simulator posts updates to the bots' routes with the secret token; a request
//! without the right secret is refused and handled by nobody.

#[path = "../../tests/common/mod.rs"]
mod common;
mod world;

use dvorik_sim::SimUser;
use world::{CLIENT, STAFF, World, text};

storage_test! {
    async fn updates_arrive_by_webhook_with_the_secret_and_are_refused_without_it(t) {
        let (w, base) = World::start_webhook(&t, "s3cret_TOKEN-1").await;
        assert_eq!(w.sim.webhook_url(CLIENT).as_deref(), Some(format!("{base}/telegram/client").as_str()));
        assert_eq!(w.sim.webhook_url(STAFF).as_deref(), Some(format!("{base}/telegram/staff").as_str()));

        let lena = SimUser::new(7301, "Lena").language("en");
        let greeting = w.say(CLIENT, &lena, "/start").await;
        assert!(text(&greeting).starts_with("Hello, Lena!"), "{greeting:#?}");
        let staff = w.say(STAFF, &lena, "/start").await;
        assert!(text(&staff).contains("please register"), "{staff:#?}");

        let forged = serde_json::json!({
            "update_id": 999_999,
            "message": {
                "message_id": 1, "date": 0,
                "chat": {"id": 7302, "type": "private", "first_name": "Mallory"},
                "from": {"id": 7302, "is_bot": false, "first_name": "Mallory"},
                "text": "/start"
            }
        });
        let http = reqwest::Client::new();
        for secret in [None, Some("wrong"), Some("s3cret_TOKEN-")] {
            let mut request = http.post(format!("{base}/telegram/client")).json(&forged);
            if let Some(secret) = secret {
                request = request.header("X-Telegram-Bot-Api-Secret-Token", secret);
            }
            assert_eq!(request.send().await.unwrap().status(), 401, "{secret:?}");
        }
        let unknown = http.post(format!("{base}/telegram/other"))
            .header("X-Telegram-Bot-Api-Secret-Token", "s3cret_TOKEN-1")
            .json(&forged).send().await.unwrap();
        assert_eq!(unknown.status(), 404);
        // Once the real user's next message is answered, a forged update would have been handled too.
        w.say(CLIENT, &lena, "/help").await;
        assert!(dvorik::services::users::find_by_telegram_id(&t.db, 7302).await.unwrap().is_none());
        w.finish().await;
    }
}
