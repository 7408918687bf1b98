//! Cashier registration and the admins' decisions: approve, reject, revoke.

use dvorik::app::Core;
use dvorik::services::cashiers::{self, CashierState};
use dvorik::services::{admins, stores};
use teloxide::prelude::*;
use teloxide::types::{InlineKeyboardButton, InlineKeyboardMarkup};

use super::{StaffDialogue, Staffer, State};
use crate::common::{self, HandlerResult, OrTell, TgBot};
use crate::i18n::{s, t, tr};

/// `/start`: admins see their commands, approved cashiers what to send, pending ones that they wait;
/// anyone else starts registering.
pub async fn start(
    bot: &TgBot,
    dialogue: &StaffDialogue,
    staffer: &Staffer,
    chat: ChatId,
) -> HandlerResult {
    let lang = staffer.lang;
    if staffer.admin.is_some() {
        return common::say(bot, chat, lang, "staff-welcome-admin").await;
    }
    match staffer.cashier.as_ref().map(|c| c.state) {
        Some(CashierState::Approved) => common::say(bot, chat, lang, "staff-cashier-ready").await,
        Some(CashierState::Pending) => common::say(bot, chat, lang, "staff-pending").await,
        // Strangers, and rejected or revoked cashiers applying again.
        _ => {
            dialogue.update(State::AwaitingName).await?;
            common::say(bot, chat, lang, "staff-ask-name").await
        }
    }
}

pub async fn receive_name(
    bot: TgBot,
    core: Core,
    dialogue: StaffDialogue,
    staffer: Staffer,
    msg: Message,
) -> HandlerResult {
    let (chat, lang) = (msg.chat.id, staffer.lang);
    let Some(name) = msg
        .text()
        .map(str::trim)
        .filter(|n| !n.is_empty() && n.chars().count() <= 255)
    else {
        return common::say(&bot, chat, lang, "staff-ask-name").await;
    };
    let open = stores::list(&core.db, true).await.or_tell(chat, lang)?;
    if open.is_empty() {
        dialogue.exit().await?;
        return common::say(&bot, chat, lang, "staff-no-stores").await;
    }
    let rows: Vec<Vec<InlineKeyboardButton>> = open
        .iter()
        .map(|store| {
            vec![InlineKeyboardButton::callback(
                store.name.clone(),
                format!("store:{}", store.id),
            )]
        })
        .collect();
    dialogue
        .update(State::AwaitingStore {
            name: name.to_string(),
        })
        .await?;
    bot.send_message(chat, tr(lang, "staff-ask-store", &[("name", s(name))]))
        .reply_markup(InlineKeyboardMarkup::new(rows))
        .await?;
    Ok(())
}

/// A store button during registration: registers the cashier and asks the deciders.
pub async fn choose_store(
    bot: &TgBot,
    core: &Core,
    dialogue: &StaffDialogue,
    staffer: &Staffer,
    chat: ChatId,
    store_id: i64,
) -> HandlerResult {
    let lang = staffer.lang;
    let Some(State::AwaitingStore { name }) = dialogue.get().await? else {
        // A store button from a finished registration: nothing to do.
        return Ok(());
    };
    let now = dvorik::clock::now();
    let cashier = cashiers::register(&core.db, staffer.telegram_id, &name, store_id, now)
        .await
        .or_tell(chat, lang)?;
    dialogue.exit().await?;
    let store = stores::get(&core.db, cashier.store_id)
        .await
        .or_tell(chat, lang)?;
    bot.send_message(
        chat,
        tr(
            lang,
            "staff-registered",
            &[("store", s(store.name.clone()))],
        ),
    )
    .await?;
    let deciders = admins::deciders(&core.db).await.or_tell(chat, lang)?;
    if deciders.is_empty() {
        tracing::warn!(
            cashier = cashier.id,
            "a cashier waits, but there is no owner or marketer to decide"
        );
    }
    // Admins' own language is not stored: the shop's default language serves them.
    let admin_lang = common::shop_language(core).await;
    for admin in deciders {
        let buttons = InlineKeyboardMarkup::new([[
            InlineKeyboardButton::callback(
                t(admin_lang, "button-approve"),
                format!("cash:ok:{}", cashier.id),
            ),
            InlineKeyboardButton::callback(
                t(admin_lang, "button-reject"),
                format!("cash:no:{}", cashier.id),
            ),
        ]]);
        let text = tr(
            admin_lang,
            "staff-new-cashier",
            &[
                ("name", s(cashier.name.clone())),
                ("store", s(store.name.clone())),
            ],
        );
        if let Err(error) = bot
            .send_message(ChatId(admin.telegram_id), text)
            .reply_markup(buttons)
            .await
        {
            tracing::warn!(admin = admin.id, %error, "could not ask an admin to decide");
        }
    }
    Ok(())
}

/// Approve or Reject pressed by an owner or marketer: the request message shows the decision and
/// the cashier is told.
pub async fn decide(
    bot: &TgBot,
    core: &Core,
    staffer: &Staffer,
    query: &CallbackQuery,
    cashier_id: i64,
    approve: bool,
) -> HandlerResult {
    let (chat, lang) = (ChatId::from(query.from.id), staffer.lang);
    let Some(admin) = staffer.decider() else {
        return common::say(bot, chat, lang, "staff-not-admin").await;
    };
    let now = dvorik::clock::now();
    let cashier = if approve {
        cashiers::approve(&core.db, cashier_id, admin.id, now).await
    } else {
        cashiers::reject(&core.db, cashier_id, admin.id, now).await
    }
    .or_tell(chat, lang)?;
    let store = stores::get(&core.db, cashier.store_id)
        .await
        .or_tell(chat, lang)?;
    let key = if approve {
        "staff-decided-approved"
    } else {
        "staff-decided-rejected"
    };
    let outcome = tr(
        lang,
        key,
        &[("name", s(cashier.name.clone())), ("store", s(store.name))],
    );
    match &query.message {
        Some(message) => {
            bot.edit_message_text(chat, message.id(), outcome).await?;
        }
        None => {
            bot.send_message(chat, outcome).await?;
        }
    }
    // The cashier's language is not stored: the shop's default.
    let cashier_lang = common::shop_language(core).await;
    let told = if approve {
        "staff-approved"
    } else {
        "staff-rejected"
    };
    bot.send_message(ChatId(cashier.telegram_id), t(cashier_lang, told))
        .await?;
    Ok(())
}

/// `/cashiers`: the approved cashiers, each with a Revoke button.
pub async fn list_cashiers(
    bot: &TgBot,
    core: &Core,
    staffer: &Staffer,
    chat: ChatId,
) -> HandlerResult {
    let lang = staffer.lang;
    if staffer.decider().is_none() {
        return common::say(bot, chat, lang, "staff-not-admin").await;
    }
    let approved = cashiers::list(&core.db, Some(CashierState::Approved))
        .await
        .or_tell(chat, lang)?;
    if approved.is_empty() {
        return common::say(bot, chat, lang, "staff-cashiers-none").await;
    }
    let all_stores = stores::list(&core.db, false).await.or_tell(chat, lang)?;
    let store_name = |id: i64| {
        all_stores
            .iter()
            .find(|s| s.id == id)
            .map(|s| s.name.clone())
            .unwrap_or_default()
    };
    let mut lines = vec![t(lang, "staff-cashiers-header")];
    let mut rows = Vec::new();
    for cashier in &approved {
        lines.push(tr(
            lang,
            "staff-cashier-line",
            &[
                ("name", s(cashier.name.clone())),
                ("store", s(store_name(cashier.store_id))),
            ],
        ));
        rows.push(vec![InlineKeyboardButton::callback(
            tr(lang, "button-revoke", &[("name", s(cashier.name.clone()))]),
            format!("cash:rv:{}", cashier.id),
        )]);
    }
    bot.send_message(chat, lines.join("\n"))
        .reply_markup(InlineKeyboardMarkup::new(rows))
        .await?;
    Ok(())
}

pub async fn revoke(
    bot: &TgBot,
    core: &Core,
    staffer: &Staffer,
    chat: ChatId,
    cashier_id: i64,
) -> HandlerResult {
    let lang = staffer.lang;
    let Some(admin) = staffer.decider() else {
        return common::say(bot, chat, lang, "staff-not-admin").await;
    };
    let cashier = cashiers::revoke(&core.db, cashier_id, admin.id, dvorik::clock::now())
        .await
        .or_tell(chat, lang)?;
    bot.send_message(
        chat,
        tr(
            lang,
            "staff-cashier-revoked-done",
            &[("name", s(cashier.name.clone()))],
        ),
    )
    .await?;
    let cashier_lang = common::shop_language(core).await;
    bot.send_message(
        ChatId(cashier.telegram_id),
        t(cashier_lang, "staff-revoked"),
    )
    .await?;
    Ok(())
}
