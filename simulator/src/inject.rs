//! Speaking as a user: a message (text, contact, photo) or a button press becomes an update in the
//! bot's queue and an entry in the chat's transcript.

use serde_json::{Value, json};

use crate::model::{ButtonPress, Contact, Entry, Injected, Media, MediaKind, SimError, SimUser};
use crate::render;
use crate::state::{State, now};

/// What a user sends in a message.
pub(crate) enum UserContent {
    Text(String),
    Contact(Contact),
    Photo {
        file_id: String,
        caption: Option<String>,
    },
}

impl State {
    /// The user opened a chat with the bot (pressed Start) at some earlier time: the bot may write to
    /// them, and no update is queued.
    pub fn open_chat(&mut self, token: &str, user: &SimUser) -> Result<(), SimError> {
        self.bot(token)?;
        self.upsert_user(user);
        self.bot_mut(token)?
            .chats
            .entry(user.id)
            .or_default()
            .started = true;
        Ok(())
    }

    pub fn inject_message(
        &mut self,
        token: &str,
        user: &SimUser,
        content: UserContent,
    ) -> Result<Injected, SimError> {
        self.bot(token)?;
        let user = self.upsert_user(user);
        let date = now();
        let mut entry = Entry {
            from_bot: false,
            from_id: user.id,
            date,
            ..Entry::default()
        };
        let mut body = serde_json::Map::new();
        match content {
            UserContent::Text(text) => {
                if let Some(entities) = render::command_entities(&text) {
                    body.insert("entities".into(), entities);
                }
                body.insert("text".into(), Value::String(text.clone()));
                entry.text = Some(text);
            }
            UserContent::Contact(contact) => {
                body.insert("contact".into(), render::contact(&contact));
                entry.contact = Some(contact);
            }
            UserContent::Photo { file_id, caption } => {
                let file = self
                    .files
                    .get(&file_id)
                    .cloned()
                    .ok_or_else(|| SimError::Invalid("unknown file".into()))?;
                body.insert("photo".into(), render::photo_sizes(&file));
                if let Some(c) = &caption {
                    body.insert("caption".into(), Value::String(c.clone()));
                }
                entry.caption = caption;
                entry.media = Some(Media {
                    kind: MediaKind::Photo,
                    file_id,
                    file_name: None,
                });
            }
        }
        let bot = self.bot_mut(token)?;
        let update_id = bot.next_update_id();
        let chat = bot.chats.entry(user.id).or_default();
        chat.started = true;
        let message_id = chat.next_message_id();
        body.insert("message_id".into(), message_id.into());
        body.insert("from".into(), render::user(&user));
        body.insert("chat".into(), render::private_chat(&user));
        body.insert("date".into(), date.into());
        entry.message_id = Some(message_id);
        entry.update_id = Some(update_id);
        chat.push(entry);
        let update = json!({ "update_id": update_id, "message": Value::Object(body) });
        bot.enqueue(update_id, "message", update.to_string());
        self.counters.updates_injected += 1;
        Ok(Injected {
            update_id,
            message_id: Some(message_id),
        })
    }

    /// A press of an inline button under a bot message; with `check`, the button must exist.
    pub fn inject_press(
        &mut self,
        token: &str,
        user: &SimUser,
        message_id: i64,
        data: &str,
        check: bool,
    ) -> Result<Injected, SimError> {
        self.bot(token)?;
        let user = self.upsert_user(user);
        self.next_callback += 1;
        let callback_id = format!("{}{:010}", user.id, self.next_callback);
        let files = &self.files;
        let users = &self.users;
        let bot = self.bots.get_mut(token).ok_or(SimError::UnknownBot)?;
        let chat_id = user.id;
        let chat = bot.chats.get(&chat_id).ok_or(SimError::UnknownMessage {
            chat_id,
            message_id,
        })?;
        let message = chat.message(message_id).ok_or(SimError::UnknownMessage {
            chat_id,
            message_id,
        })?;
        if !message.from_bot {
            return Err(SimError::NotABotMessage { message_id });
        }
        if check && !message.callback_data().any(|d| d == data) {
            return Err(SimError::NoSuchButton {
                message_id,
                data: data.to_owned(),
            });
        }
        let message_json = render::bot_message(
            &bot.user_json,
            render::chat_of(chat_id, users),
            message,
            chat.markups.get(&message_id),
            files,
        );
        let update_id = bot.next_update_id();
        let update = json!({
            "update_id": update_id,
            "callback_query": {
                "id": callback_id,
                "from": render::user(&user),
                "message": message_json,
                "chat_instance": format!("{}-{}", bot.info.id, chat_id),
                "data": data,
            }
        });
        let chat = bot
            .chats
            .get_mut(&chat_id)
            .ok_or(SimError::UnknownMessage {
                chat_id,
                message_id,
            })?;
        let index = chat.push(Entry {
            from_bot: false,
            from_id: user.id,
            update_id: Some(update_id),
            date: now(),
            press: Some(ButtonPress {
                callback_query_id: callback_id.clone(),
                message_id,
                data: data.to_owned(),
                answer: None,
            }),
            ..Entry::default()
        });
        bot.callbacks.insert(callback_id, (chat_id, index));
        bot.enqueue(update_id, "callback_query", update.to_string());
        self.counters.updates_injected += 1;
        Ok(Injected {
            update_id,
            message_id: None,
        })
    }

    /// Puts an already delivered update back in the queue, as Telegram does when a confirmation is lost.
    pub fn redeliver(&mut self, token: &str, update_id: i64) -> Result<(), SimError> {
        self.bot_mut(token)?.redeliver(update_id)
    }
}
