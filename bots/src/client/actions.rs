//! Client bot actions: greeting, subscription, birthday, help, language.

use dvorik::app::Core;
use dvorik::domain::Language;
use dvorik::domain::birthday::{Birthday, BirthdayError};
use dvorik::services::{self, subscriptions};
use teloxide::prelude::*;
use teloxide::types::{ChatMemberKind, InlineKeyboardButton, InlineKeyboardMarkup, Recipient};

use super::{ClientDialogue, Customer, State, main_menu};
use crate::common::{self, HandlerResult, OrTell, SettingsCache, TgBot};
use crate::i18n::{s, t, tr};

pub async fn refuse_blocked(bot: TgBot, customer: Customer, msg: Message) -> HandlerResult {
    common::say(&bot, msg.chat.id, customer.lang, "client-blocked").await
}

pub async fn not_understood(bot: TgBot, customer: Customer, msg: Message) -> HandlerResult {
    bot.send_message(msg.chat.id, t(customer.lang, "client-not-understood"))
        .reply_markup(main_menu(customer.lang, customer.user.subscribed))
        .await?;
    Ok(())
}

/// The greeting with the main menu; "welcome back" for someone who had written before.
pub async fn greet(bot: &TgBot, customer: &Customer, chat: ChatId) -> HandlerResult {
    let user = &customer.user;
    let key = if user.created_at == user.last_activity_at {
        "client-greeting"
    } else {
        "client-greeting-back"
    };
    let text = tr(customer.lang, key, &[("name", s(user.first_name.clone()))]);
    bot.send_message(chat, text)
        .reply_markup(main_menu(customer.lang, user.subscribed))
        .await?;
    Ok(())
}

/// Subscribes after the channel-membership check (when a channel is configured).
pub async fn subscribe(
    bot: &TgBot,
    core: &Core,
    settings: &SettingsCache,
    customer: &Customer,
    chat: ChatId,
) -> HandlerResult {
    let lang = customer.lang;
    if customer.user.subscribed {
        return common::say(bot, chat, lang, "client-already-subscribed").await;
    }
    let template = settings.welcome_template(core).await.or_tell(chat, lang)?;
    let settings = settings.get(core).await.or_tell(chat, lang)?;
    if let Some(channel) = settings.channel.as_deref() {
        match is_member(bot, channel, customer.user.telegram_id).await {
            Ok(true) => {}
            Ok(false) => return ask_to_join(bot, lang, chat, channel).await,
            Err(error) => {
                tracing::warn!(%error, channel, "getChatMember failed");
                return common::say(bot, chat, lang, "client-channel-check-failed").await;
            }
        }
    }
    let welcome = subscriptions::Welcome::Known(template.as_ref());
    let now = dvorik::clock::now();
    let done =
        subscriptions::subscribe_offering(&core.db, &core.key, customer.user.id, welcome, now)
            .await
            .or_tell(chat, lang)?;
    let text = match &done.welcome {
        Some(issued) => tr(
            lang,
            "client-subscribed-welcome",
            &[
                ("code", s(issued.code.display())),
                (
                    "value",
                    s(services::discounts::value_of(&issued.discount)
                        .or_tell(chat, lang)?
                        .display()),
                ),
                ("expires", s(common::date(core, issued.discount.expires_at))),
            ],
        ),
        None if done.changed => t(lang, "client-subscribed"),
        None => t(lang, "client-already-subscribed"),
    };
    let mut request = bot.send_message(chat, text);
    if let Some(issued) = &done.welcome {
        // The QR button comes with the welcome code; the main menu updates with the next reply.
        request = request.reply_markup(InlineKeyboardMarkup::new([[
            InlineKeyboardButton::callback(
                tr(lang, "button-qr", &[("code", s(issued.code.display()))]),
                format!("qr:{}", issued.discount.id),
            ),
        ]]));
    } else {
        request = request.reply_markup(main_menu(lang, true));
    }
    request.await?;
    Ok(())
}

async fn is_member(
    bot: &TgBot,
    channel: &str,
    telegram_id: i64,
) -> Result<bool, teloxide::RequestError> {
    let recipient = match channel.parse::<i64>() {
        Ok(id) => Recipient::Id(ChatId(id)),
        Err(_) => Recipient::ChannelUsername(channel.to_string()),
    };
    let member = bot
        .get_chat_member(recipient, UserId(telegram_id as u64))
        .await?;
    Ok(member.kind.is_present() && !matches!(member.kind, ChatMemberKind::Left))
}

async fn ask_to_join(bot: &TgBot, lang: Language, chat: ChatId, channel: &str) -> HandlerResult {
    let mut row = Vec::new();
    if let Some(name) = channel.strip_prefix('@')
        && let Ok(url) = reqwest::Url::parse(&format!("https://t.me/{name}"))
    {
        row.push(InlineKeyboardButton::url(
            t(lang, "button-open-channel"),
            url,
        ));
    }
    row.push(InlineKeyboardButton::callback(
        t(lang, "button-check-again"),
        "sub:check",
    ));
    bot.send_message(
        chat,
        tr(lang, "client-join-channel", &[("channel", s(channel))]),
    )
    .reply_markup(InlineKeyboardMarkup::new([row]))
    .await?;
    Ok(())
}

pub async fn unsubscribe(
    bot: &TgBot,
    core: &Core,
    customer: &Customer,
    chat: ChatId,
) -> HandlerResult {
    let lang = customer.lang;
    let changed = subscriptions::unsubscribe(&core.db, customer.user.id, dvorik::clock::now())
        .await
        .or_tell(chat, lang)?;
    let key = if changed {
        "client-unsubscribed"
    } else {
        "client-not-subscribed"
    };
    bot.send_message(chat, t(lang, key))
        .reply_markup(main_menu(lang, false))
        .await?;
    Ok(())
}

pub async fn ask_birthday(
    bot: &TgBot,
    dialogue: &ClientDialogue,
    customer: &Customer,
    chat: ChatId,
) -> HandlerResult {
    let lang = customer.lang;
    if let Some(birthday) = services::users::birthday_of(&customer.user) {
        let text = tr(
            lang,
            "client-birthday-already",
            &[("date", s(birthday.display()))],
        );
        bot.send_message(chat, text).await?;
        return Ok(());
    }
    dialogue.update(State::AwaitingBirthday).await?;
    common::say(bot, chat, lang, "client-birthday-ask").await
}

/// A date typed in the birthday dialogue: each mistake is explained and the dialogue goes on.
pub async fn receive_birthday(
    bot: TgBot,
    core: Core,
    dialogue: ClientDialogue,
    customer: Customer,
    msg: Message,
) -> HandlerResult {
    let (chat, lang) = (msg.chat.id, customer.lang);
    let now = dvorik::clock::now();
    let today = now.with_timezone(&core.timezone).date_naive();
    let birthday = match Birthday::parse(msg.text().unwrap_or_default(), today) {
        Ok(birthday) => birthday,
        Err(reason) => {
            let key = match reason {
                BirthdayError::Format => "client-birthday-invalid-format",
                BirthdayError::NoSuchDate => "client-birthday-invalid-date",
                BirthdayError::Year => "client-birthday-invalid-year",
            };
            return common::say(&bot, chat, lang, key).await;
        }
    };
    dialogue.exit().await?;
    services::users::set_birthday(&core.db, customer.user.id, birthday, now)
        .await
        .or_tell(chat, lang)?;
    let text = tr(
        lang,
        "client-birthday-saved",
        &[("date", s(birthday.display()))],
    );
    bot.send_message(chat, text)
        .reply_markup(main_menu(lang, customer.user.subscribed))
        .await?;
    Ok(())
}

pub async fn help(
    bot: &TgBot,
    core: &Core,
    settings: &SettingsCache,
    customer: &Customer,
    chat: ChatId,
) -> HandlerResult {
    let lang = customer.lang;
    let settings = settings.get(core).await.or_tell(chat, lang)?;
    let or_unset = |text: &str| {
        if text.trim().is_empty() {
            s(t(lang, "client-help-unset"))
        } else {
            s(text)
        }
    };
    let text = tr(
        lang,
        "client-help",
        &[
            ("contacts", or_unset(&settings.shop_contacts)),
            ("addresses", or_unset(&settings.shop_addresses)),
            ("hours", or_unset(&settings.shop_hours)),
        ],
    );
    bot.send_message(chat, text).await?;
    Ok(())
}

/// The language names are shown in their own language, whatever the customer's current one.
pub async fn ask_language(bot: &TgBot, customer: &Customer, chat: ChatId) -> HandlerResult {
    let buttons = Language::ALL.map(|lang| {
        InlineKeyboardButton::callback(t(lang, "language-name"), format!("lang:{}", lang.code()))
    });
    bot.send_message(chat, t(customer.lang, "client-language-ask"))
        .reply_markup(InlineKeyboardMarkup::new([buttons]))
        .await?;
    Ok(())
}

pub async fn set_language(
    bot: &TgBot,
    core: &Core,
    customer: &Customer,
    chat: ChatId,
    code: &str,
) -> HandlerResult {
    let Some(lang) = Language::from_code(code) else {
        return Ok(());
    };
    services::users::set_language(&core.db, customer.user.id, lang, dvorik::clock::now())
        .await
        .or_tell(chat, customer.lang)?;
    bot.send_message(chat, t(lang, "client-language-set"))
        .reply_markup(main_menu(lang, customer.user.subscribed))
        .await?;
    Ok(())
}
