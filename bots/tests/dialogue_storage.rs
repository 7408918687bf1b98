//! Dialogue state in the core's key-value store, on Redis and in process: per-bot prefixes keep the
//! bots apart, and a state that no longer deserializes starts the dialogue over.

#[path = "../../tests/common/mod.rs"]
mod common;

use std::sync::Arc;

use dvorik_bots::storage::KvStorage;
use dvorik_bots::{client, staff};
use teloxide::dispatching::dialogue::Storage;
use teloxide::types::ChatId;

kv_test! {
    async fn each_bot_keeps_its_own_state_for_one_chat(kv) {
        let clients = KvStorage::new(kv.clone(), client::DIALOGUE_PREFIX);
        let staffs = KvStorage::new(kv.clone(), staff::DIALOGUE_PREFIX);
        let chat = ChatId(42);
        Arc::clone(&clients).update_dialogue(chat, client::State::AwaitingBirthday).await.unwrap();
        let registering = staff::State::AwaitingStore { name: "Ольга".into() };
        Arc::clone(&staffs).update_dialogue(chat, registering.clone()).await.unwrap();

        let read: Option<client::State> = Arc::clone(&clients).get_dialogue(chat).await.unwrap();
        assert_eq!(read, Some(client::State::AwaitingBirthday));
        let read: Option<staff::State> = Arc::clone(&staffs).get_dialogue(chat).await.unwrap();
        assert_eq!(read, Some(registering));
        let other: Option<client::State> = Arc::clone(&clients).get_dialogue(ChatId(43)).await.unwrap();
        assert_eq!(other, None);

        Storage::<client::State>::remove_dialogue(Arc::clone(&clients), chat).await.unwrap();
        let gone: Option<client::State> = Arc::clone(&clients).get_dialogue(chat).await.unwrap();
        assert_eq!(gone, None);
        let kept: Option<staff::State> = Arc::clone(&staffs).get_dialogue(chat).await.unwrap();
        assert!(kept.is_some(), "removing the client's state leaves the staff bot's");
    }
}

kv_test! {
    async fn a_state_from_an_older_version_starts_the_dialogue_over(kv) {
        let storage = KvStorage::new(kv.clone(), client::DIALOGUE_PREFIX);
        // What an older build might have stored: a variant this build no longer has.
        kv.set("client:dlg:7", r#"{"AwaitingFavouriteSweet":{"since":1}}"#, None).await.unwrap();
        let read: Option<client::State> = Arc::clone(&storage).get_dialogue(ChatId(7)).await.unwrap();
        assert_eq!(read, None);
        kv.set("client:dlg:8", "not json at all", None).await.unwrap();
        let read: Option<client::State> = Arc::clone(&storage).get_dialogue(ChatId(8)).await.unwrap();
        assert_eq!(read, None);
        // Writing again replaces the unreadable value.
        Arc::clone(&storage).update_dialogue(ChatId(7), client::State::AwaitingBirthday).await.unwrap();
        let read: Option<client::State> = Arc::clone(&storage).get_dialogue(ChatId(7)).await.unwrap();
        assert_eq!(read, Some(client::State::AwaitingBirthday));
    }
}
