//! Customers: registration with the first-touch source, language, and the set-once birthday.

mod common;

use common::fixtures;
use dvorik::domain::{Birthday, Language};
use dvorik::entity::users;
use dvorik::services::users as service;
use sea_orm::{EntityTrait, PaginatorTrait};

storage_test! {
    async fn the_first_deep_link_payload_is_kept_as_the_acquisition_source(t) {
        let now = t.now();
        let first = service::register(&t.db, &fixtures::profile(10, "Анна"), Some("src_instagram"), Language::Ru, now).await.unwrap();
        assert!(first.created);
        assert_eq!(first.user.source.as_deref(), Some("src_instagram"));

        let mut renamed = fixtures::profile(10, "Аня");
        renamed.username = None;
        let again = service::register(&t.db, &renamed, Some("src_vk"), Language::Ru, now).await.unwrap();
        assert!(!again.created);
        assert_eq!(again.user.id, first.user.id);
        assert_eq!(again.user.source.as_deref(), Some("src_instagram"), "first touch wins");
        assert_eq!(again.user.first_name, "Аня");
        assert_eq!(again.user.username, None);

        let plain = service::register(&t.db, &fixtures::profile(11, "Олег"), None, Language::Ru, now).await.unwrap();
        assert_eq!(plain.user.source, None);
        let later = service::register(&t.db, &fixtures::profile(11, "Олег"), Some("ref_ABC"), Language::Ru, now).await.unwrap();
        assert_eq!(later.user.source.as_deref(), Some("ref_ABC"), "the first payload seen is kept");
        let junk = service::register(&t.db, &fixtures::profile(12, "Ира"), Some("<script>"), Language::Ru, now).await.unwrap();
        assert_eq!(junk.user.source, None);
    }
}

storage_test! {
    async fn the_language_comes_from_telegram_or_the_default_and_can_be_switched(t) {
        let now = t.now();
        let mut english = fixtures::profile(1, "John");
        english.language_code = Some("en-GB".into());
        let john = service::register(&t.db, &english, None, Language::Ru, now).await.unwrap().user;
        assert_eq!(john.language, "en");
        let mut german = fixtures::profile(2, "Hans");
        german.language_code = Some("de".into());
        let hans = service::register(&t.db, &german, None, Language::Ru, now).await.unwrap().user;
        assert_eq!(hans.language, "ru");

        service::set_language(&t.db, hans.id, Language::En, now).await.unwrap();
        // A later /start refreshes names but keeps the chosen language.
        let hans = service::register(&t.db, &german, None, Language::Ru, now).await.unwrap().user;
        assert_eq!(hans.language, "en");
        assert_eq!(service::set_language(&t.db, 999, Language::En, now).await.unwrap_err().code(), "USER_NOT_FOUND");
    }
}

storage_test! {
    async fn concurrent_starts_of_one_user_register_them_once(t) {
        let now = t.now();
        let tasks: Vec<_> = (0..20)
            .map(|_| {
                let db = t.db.clone();
                tokio::spawn(async move { service::register(&db, &fixtures::profile(5, "Катя"), Some("src_qr"), Language::Ru, now).await })
            })
            .collect();
        let mut created = 0;
        for task in tasks {
            created += usize::from(task.await.unwrap().unwrap().created);
        }
        assert_eq!(created, 1);
        assert_eq!(users::Entity::find().count(&t.db).await.unwrap(), 1);
    }
}

storage_test! {
    async fn a_birthday_is_set_once_and_invalid_dates_are_refused(t) {
        let now = t.now();
        let user = fixtures::user(&t.db, 1, now).await;
        let today = now.date_naive();
        let err = Birthday::parse("31.02", today).unwrap_err();
        assert_eq!(dvorik::Error::from(err).code(), "VALIDATION_FAILED");

        let birthday = Birthday::parse("29.02.2000", today).unwrap();
        service::set_birthday(&t.db, user.id, birthday, now).await.unwrap();
        let stored = service::get(&t.db, user.id).await.unwrap();
        assert_eq!(service::birthday_of(&stored), Some(birthday));
        assert_eq!(stored.birthday_set_at, Some(now));

        let other = Birthday::parse("01.01", today).unwrap();
        let err = service::set_birthday(&t.db, user.id, other, now).await.unwrap_err();
        assert_eq!(err.code(), "BIRTHDAY_ALREADY_SET");
        assert_eq!(service::birthday_of(&service::get(&t.db, user.id).await.unwrap()), Some(birthday));
        assert_eq!(service::set_birthday(&t.db, 999, other, now).await.unwrap_err().code(), "USER_NOT_FOUND");
    }
}

storage_test! {
    async fn registration_returns_the_user_exactly_as_stored(t) {
        let now = t.now();
        let db = &t.db;
        let stored = |id| async move { service::find_by_telegram_id(db, id).await.unwrap().unwrap() };
        let first = service::register(&t.db, &fixtures::profile(20, "Анна"), Some("src_vk"), Language::Ru, now).await.unwrap();
        assert_eq!(first.user, stored(20).await, "a new user");

        // Flags set elsewhere survive a later /start and come back as stored.
        let later = now + chrono::Duration::seconds(5);
        dvorik::services::subscriptions::subscribe(&t.db, &t.key, first.user.id, now).await.unwrap();
        service::set_birthday(&t.db, first.user.id, Birthday { day: 3, month: 4, year: None }, now).await.unwrap();
        let mut renamed = fixtures::profile(20, "Аня");
        renamed.last_name = Some("Петрова".into());
        let again = service::register(&t.db, &renamed, Some("src_instagram"), Language::En, later).await.unwrap();
        assert!(!again.created);
        assert_eq!(again.user, stored(20).await, "a returning user");
        assert!(again.user.subscribed && again.user.birthday_month == Some(4));
        assert_eq!(again.user.source.as_deref(), Some("src_vk"));
        assert_eq!(again.user.last_activity_at, later);

        let plain = service::register(&t.db, &fixtures::profile(21, "Олег"), None, Language::Ru, now).await.unwrap();
        let tagged = service::register(&t.db, &fixtures::profile(21, "Олег"), Some("ref_X1"), Language::Ru, later).await.unwrap();
        assert_eq!(plain.user.id, tagged.user.id);
        assert_eq!(tagged.user, stored(21).await, "a source given on a later /start");
    }
}
