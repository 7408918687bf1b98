//! "My discounts": the active codes with value and expiry, a QR picture of any of them, the history.

use dvorik::app::Core;
use dvorik::services::discounts;
use teloxide::prelude::*;
use teloxide::types::{InlineKeyboardButton, InlineKeyboardMarkup, InputFile};

use super::Customer;
use crate::common::{self, HandlerResult, OrTell, TgBot};
use crate::i18n::{n, s, t, tr};
use crate::qr;

/// How many past discounts the history shows.
const HISTORY_LIMIT: u64 = 20;

pub async fn list(bot: &TgBot, core: &Core, customer: &Customer, chat: ChatId) -> HandlerResult {
    let lang = customer.lang;
    let active = discounts::list_active(&core.db, customer.user.id, dvorik::clock::now())
        .await
        .or_tell(chat, lang)?;
    let history_button = InlineKeyboardButton::callback(t(lang, "button-history"), "hist");
    if active.is_empty() {
        bot.send_message(chat, t(lang, "client-discounts-none"))
            .reply_markup(InlineKeyboardMarkup::new([[history_button]]))
            .await?;
        return Ok(());
    }
    let mut lines = vec![tr(
        lang,
        "client-discounts-header",
        &[("count", n(active.len() as u32))],
    )];
    let mut rows = Vec::new();
    for discount in &active {
        let code = discounts::code_of(&core.key, discount).display();
        let value = discounts::value_of(discount).or_tell(chat, lang)?.display();
        lines.push(tr(
            lang,
            "client-discount-line",
            &[
                ("code", s(code.clone())),
                ("value", s(value)),
                ("expires", s(common::date(core, discount.expires_at))),
            ],
        ));
        rows.push(vec![InlineKeyboardButton::callback(
            tr(lang, "button-qr", &[("code", s(code))]),
            format!("qr:{}", discount.id),
        )]);
    }
    rows.push(vec![history_button]);
    bot.send_message(chat, lines.join("\n"))
        .reply_markup(InlineKeyboardMarkup::new(rows))
        .await?;
    Ok(())
}

/// The QR picture of one of the customer's own codes (someone else's id is "not found").
pub async fn send_qr(
    bot: &TgBot,
    core: &Core,
    customer: &Customer,
    chat: ChatId,
    discount_id: i64,
) -> HandlerResult {
    let lang = customer.lang;
    let discount = discounts::get(&core.db, discount_id)
        .await
        .and_then(|d| {
            if d.user_id == customer.user.id {
                Ok(d)
            } else {
                Err(dvorik::Error::DiscountNotFound)
            }
        })
        .or_tell(chat, lang)?;
    let code = discounts::code_of(&core.key, &discount);
    let png = qr::png(code.expose())
        .map_err(dvorik::Error::Internal)
        .or_tell(chat, lang)?;
    let caption = tr(
        lang,
        "client-qr-caption",
        &[
            ("code", s(code.display())),
            (
                "value",
                s(discounts::value_of(&discount)
                    .or_tell(chat, lang)?
                    .display()),
            ),
            ("expires", s(common::date(core, discount.expires_at))),
        ],
    );
    let file = InputFile::memory(png).file_name(format!("{}.png", code.display()));
    bot.send_photo(chat, file).caption(caption).await?;
    Ok(())
}

pub async fn history(bot: &TgBot, core: &Core, customer: &Customer, chat: ChatId) -> HandlerResult {
    let lang = customer.lang;
    let past = discounts::history(&core.db, customer.user.id, HISTORY_LIMIT)
        .await
        .or_tell(chat, lang)?;
    if past.is_empty() {
        return common::say(bot, chat, lang, "client-history-empty").await;
    }
    let now = dvorik::clock::now();
    let mut lines = vec![t(lang, "client-history-header")];
    for discount in &past {
        lines.push(tr(
            lang,
            "client-history-line",
            &[
                ("code", s(discounts::code_of(&core.key, discount).display())),
                (
                    "value",
                    s(discounts::value_of(discount).or_tell(chat, lang)?.display()),
                ),
                ("date", s(common::date(core, discount.issued_at))),
                (
                    "state",
                    s(t(
                        lang,
                        common::state_key(discounts::effective_state(discount, now)),
                    )),
                ),
            ],
        ));
    }
    bot.send_message(chat, lines.join("\n")).await?;
    Ok(())
}
