//! Documents to sign, the signing half: the customer shares their own contact (a request-contact
//! button; someone else's contact is refused), a one-time code arrives in the chat, they type it and
//! get the signature id and the document hash. Wrong codes tell the attempts left; a locked or expired
//! code offers a new one (the core allows 3 per 10 minutes).

use dvorik::Error;
use dvorik::app::Core;
use dvorik::secret::Secret;
use dvorik::services::signing::{self, SharedContact};
use dvorik::services::signing_inbox;
use teloxide::prelude::*;
use teloxide::types::{
    ButtonRequest, InlineKeyboardButton, InlineKeyboardMarkup, KeyboardButton, KeyboardMarkup,
};

use super::{ClientDialogue, Customer, State, main_menu};
use crate::common::{self, HandlerResult, OrTell, TgBot};
use crate::i18n::{n, s, t, tr};
use crate::notify::{ChatCodeSender, CodeChannel};

fn new_code_button(lang: dvorik::domain::Language, deal_id: i64) -> InlineKeyboardMarkup {
    InlineKeyboardMarkup::new([[InlineKeyboardButton::callback(
        t(lang, "button-doc-new-code"),
        format!("code:{deal_id}"),
    )]])
}

/// The Sign button: the contact is asked for once (while the customer has no phone), then a code.
pub async fn start(
    bot: &TgBot,
    core: &Core,
    codes: &CodeChannel,
    dialogue: &ClientDialogue,
    customer: &Customer,
    chat: ChatId,
    deal_id: i64,
) -> HandlerResult {
    if customer.user.phone.is_some() {
        return send_code(bot, core, codes, dialogue, customer, chat, deal_id).await;
    }
    let lang = customer.lang;
    dialogue.update(State::AwaitingContact { deal_id }).await?;
    let keyboard = KeyboardMarkup::new([[
        KeyboardButton::new(t(lang, "button-share-contact")).request(ButtonRequest::Contact)
    ]])
    .resize_keyboard()
    .one_time_keyboard();
    bot.send_message(chat, t(lang, "client-doc-share-contact"))
        .reply_markup(keyboard)
        .await?;
    Ok(())
}

/// Issues a code for the deal (by SMS when a gateway is configured, else in this chat) and waits for
/// it to be typed.
pub async fn send_code(
    bot: &TgBot,
    core: &Core,
    codes: &CodeChannel,
    dialogue: &ClientDialogue,
    customer: &Customer,
    chat: ChatId,
    deal_id: i64,
) -> HandlerResult {
    let lang = customer.lang;
    let chat_sender = ChatCodeSender { bot: bot.clone() };
    let sender: &dyn dvorik::services::signing::CodeSender = match &codes.0 {
        Some(gateway) => gateway.as_ref(),
        None => &chat_sender,
    };
    signing::request_code(
        &core.db,
        &core.key,
        sender,
        customer.user.id,
        deal_id,
        dvorik::clock::now(),
    )
    .await
    .or_tell(chat, lang)?;
    dialogue.update(State::AwaitingCode { deal_id }).await?;
    bot.send_message(chat, t(lang, "client-doc-code-sent"))
        .reply_markup(main_menu(lang, customer.user.subscribed))
        .await?;
    Ok(())
}

/// A message while the bot waits for the customer's contact: only their own contact is accepted.
pub async fn receive_contact(
    bot: TgBot,
    core: Core,
    codes: CodeChannel,
    dialogue: ClientDialogue,
    customer: Customer,
    msg: Message,
    deal_id: i64,
) -> HandlerResult {
    let (chat, lang) = (msg.chat.id, customer.lang);
    let Some(contact) = msg.contact() else {
        return common::say(&bot, chat, lang, "client-doc-contact-expected").await;
    };
    let shared = SharedContact {
        phone: contact.phone_number.clone(),
        telegram_id: contact.user_id.map(|id| id.0 as i64),
    };
    let user = signing::share_contact(
        &core.db,
        customer.user.id,
        deal_id,
        &shared,
        dvorik::clock::now(),
    )
    .await
    .or_tell(chat, lang)?;
    let customer = Customer { user, lang };
    send_code(&bot, &core, &codes, &dialogue, &customer, chat, deal_id).await
}

/// A message while the bot waits for a code: signs, or says why not.
pub async fn receive_code(
    bot: TgBot,
    core: Core,
    customer: Customer,
    msg: Message,
    deal_id: i64,
) -> HandlerResult {
    let (chat, lang) = (msg.chat.id, customer.lang);
    let Some(typed) = msg.text() else {
        return common::say(&bot, chat, lang, "client-doc-code-expected").await;
    };
    let code = Secret::new(typed.trim().to_string());
    let user_id = customer.user.id;
    let now = dvorik::clock::now();
    // The dialogue stays on the code after signing, so the same code typed again is named as used.
    match signing::sign(&core.db, &core.key, user_id, deal_id, &code, now).await {
        Ok(deal) => {
            let signature = signing_inbox::signature(&core.db, deal.id)
                .await
                .or_tell(chat, lang)?;
            let text = tr(
                lang,
                "client-doc-signed",
                &[
                    ("title", s(deal.title)),
                    ("signature", s(signature.id.to_string())),
                    ("hash", s(super::documents::hash_prefix(&signature.sha256))),
                ],
            );
            bot.send_message(chat, text)
                .reply_markup(main_menu(lang, customer.user.subscribed))
                .await?;
            Ok(())
        }
        Err(Error::SigningCodeInvalid) => {
            let left = signing_inbox::attempts_left(&core.db, user_id, deal_id)
                .await
                .or_tell(chat, lang)?;
            if left == 0 {
                bot.send_message(chat, t(lang, "client-doc-code-locked-now"))
                    .reply_markup(new_code_button(lang, deal_id))
                    .await?;
                return Ok(());
            }
            let text = tr(lang, "client-doc-code-wrong", &[("left", n(left))]);
            bot.send_message(chat, text).await?;
            Ok(())
        }
        Err(err @ (Error::SigningCodeExpired | Error::SigningCodeLocked)) => {
            bot.send_message(chat, crate::i18n::error_text(lang, &err))
                .reply_markup(new_code_button(lang, deal_id))
                .await?;
            Ok(())
        }
        Err(err) => Err(err).or_tell(chat, lang),
    }
}
