//! At the till: a cashier checks a code (typed, or a photo of its QR) and redeems it, optionally with
//! the receipt amount; the customer is told through the client bot.

use std::str::FromStr;

use dvorik::app::Core;
use dvorik::domain::Language;
use dvorik::domain::value::rubles_to_minor;
use dvorik::entity::discounts::DiscountState;
use dvorik::services::{discounts, redemption, stores, users};
use rust_decimal::Decimal;
use teloxide::prelude::*;
use teloxide::types::{InlineKeyboardButton, InlineKeyboardMarkup};

use super::{ClientBot, StaffDialogue, Staffer, State};
use crate::common::{self, HandlerError, HandlerResult, OrTell, TgBot};
use crate::i18n::{s, t, tr};
use crate::qr;

/// A message from an approved cashier: the code as text, or a photo of its QR.
pub async fn receive_code(bot: TgBot, core: Core, staffer: Staffer, msg: Message) -> HandlerResult {
    let (chat, lang) = (msg.chat.id, staffer.lang);
    let code = if let Some(text) = msg.text() {
        text.to_string()
    } else if let Some(sizes) = msg.photo() {
        // Telegram lists sizes smallest first; the largest reads best.
        let Some(largest) = sizes.last() else {
            return common::say(&bot, chat, lang, "staff-photo-failed").await;
        };
        let bytes = match download(&bot, &largest.file.id).await {
            Ok(bytes) => bytes,
            Err(error) => {
                tracing::warn!(%error, "cannot download a photo");
                return common::say(&bot, chat, lang, "staff-photo-failed").await;
            }
        };
        match tokio::task::spawn_blocking(move || qr::decode(&bytes)).await {
            Ok(Some(text)) => text,
            _ => return common::say(&bot, chat, lang, "staff-qr-unreadable").await,
        }
    } else {
        return common::say(&bot, chat, lang, "staff-cashier-ready").await;
    };
    show_card(&bot, &core, lang, chat, &code).await
}

/// Downloads a file the way Telegram serves it: `<api>/file/bot<token>/<file_path>`, the path's `/`
/// kept as is (teloxide's own download escapes it as `%2F`, which the local simulator does not decode).
async fn download(bot: &TgBot, file_id: &teloxide::types::FileId) -> Result<Vec<u8>, HandlerError> {
    let file = bot.get_file(file_id.clone()).await?;
    let inner = bot.inner();
    let base = inner.api_url();
    let url = format!(
        "{}/file/bot{}/{}",
        base.as_str().trim_end_matches('/'),
        inner.token(),
        file.path
    );
    let response = inner.client().get(url).send().await?.error_for_status()?;
    Ok(response.bytes().await?.to_vec())
}

/// What the cashier sees: customer's first name, value, expiry, state; Redeem buttons if usable.
async fn show_card(
    bot: &TgBot,
    core: &Core,
    lang: Language,
    chat: ChatId,
    input: &str,
) -> HandlerResult {
    let check = redemption::check(&core.db, &core.key, input, dvorik::clock::now())
        .await
        .or_tell(chat, lang)?;
    let code = discounts::code_of(&core.key, &check.discount);
    let text = tr(
        lang,
        "staff-code-card",
        &[
            ("code", s(code.display())),
            ("name", s(check.customer_first_name.clone())),
            ("value", s(check.value.display())),
            ("expires", s(common::date(core, check.discount.expires_at))),
            ("state", s(t(lang, common::state_key(check.state)))),
        ],
    );
    let mut request = bot.send_message(chat, text);
    if check.state == DiscountState::Active {
        request = request.reply_markup(InlineKeyboardMarkup::new([
            [InlineKeyboardButton::callback(
                t(lang, "button-redeem"),
                format!("rd:{}", code.expose()),
            )],
            [InlineKeyboardButton::callback(
                t(lang, "button-redeem-amount"),
                format!("ra:{}", code.expose()),
            )],
        ]));
    }
    request.await?;
    Ok(())
}

pub async fn ask_amount(
    bot: &TgBot,
    dialogue: &StaffDialogue,
    staffer: &Staffer,
    chat: ChatId,
    code: &str,
) -> HandlerResult {
    if staffer.approved_cashier().is_none() {
        return common::say(bot, chat, staffer.lang, "error-cashier-not-approved").await;
    }
    dialogue
        .update(State::AwaitingAmount {
            code: code.to_string(),
        })
        .await?;
    common::say(bot, chat, staffer.lang, "staff-ask-amount").await
}

/// The receipt amount in roubles (`1250`, `1250.50`, `1250,50`); a wrong one is explained and asked
/// again.
pub async fn receive_amount(
    bot: TgBot,
    client: ClientBot,
    core: Core,
    dialogue: StaffDialogue,
    staffer: Staffer,
    code: String,
    msg: Message,
) -> HandlerResult {
    let (chat, lang) = (msg.chat.id, staffer.lang);
    let typed = msg.text().unwrap_or_default().trim().replace(',', ".");
    let Some(amount) = Decimal::from_str(&typed)
        .ok()
        .and_then(|d| rubles_to_minor(d, "amount").ok())
    else {
        return common::say(&bot, chat, lang, "staff-amount-invalid").await;
    };
    dialogue.exit().await?;
    redeem(&bot, &client, &core, &staffer, chat, &code, Some(amount)).await
}

/// Redeems `code` once; the cashier and the customer are told.
pub async fn redeem(
    bot: &TgBot,
    client: &ClientBot,
    core: &Core,
    staffer: &Staffer,
    chat: ChatId,
    code: &str,
    amount_minor: Option<i64>,
) -> HandlerResult {
    let lang = staffer.lang;
    let Some(cashier) = staffer.approved_cashier() else {
        return Err(dvorik::Error::CashierNotApproved).or_tell(chat, lang);
    };
    let now = dvorik::clock::now();
    let done = redemption::redeem(&core.db, &core.key, code, cashier.id, amount_minor, now)
        .await
        .or_tell(chat, lang)?;
    let store = stores::get(&core.db, cashier.store_id)
        .await
        .or_tell(chat, lang)?;
    let shown = discounts::code_of(&core.key, &done.discount).display();
    let text = tr(
        lang,
        "staff-redeemed",
        &[
            ("code", s(shown.clone())),
            ("value", s(done.value.display())),
            ("store", s(store.name.clone())),
        ],
    );
    bot.send_message(chat, text).await?;
    // The redemption stands even if the customer cannot be told (blocked the bot, say).
    let customer = users::get(&core.db, done.discount.user_id)
        .await
        .or_tell(chat, lang)?;
    let customer_lang = Language::from_code(&customer.language).unwrap_or_default();
    let notice = tr(
        customer_lang,
        "client-code-used",
        &[("code", s(shown)), ("store", s(store.name))],
    );
    if let Err(error) = client
        .0
        .send_message(ChatId(customer.telegram_id), notice)
        .await
    {
        tracing::warn!(user = customer.id, %error, "could not tell the customer about a redemption");
    }
    Ok(())
}
