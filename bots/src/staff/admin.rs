//! Admin commands: `/token` (a one-time admin panel login token) and `/stats` (the day's figures).

use dvorik::app::Core;
use dvorik::services::{login_tokens, stats};
use teloxide::prelude::*;

use super::Staffer;
use crate::common::{self, HandlerResult, OrTell, TgBot};
use crate::i18n::{n, s, tr};

pub async fn token(bot: &TgBot, core: &Core, staffer: &Staffer, chat: ChatId) -> HandlerResult {
    let lang = staffer.lang;
    let Some(admin) = &staffer.admin else {
        return common::say(bot, chat, lang, "staff-not-admin").await;
    };
    let token = login_tokens::issue(&core.db, &core.key, admin.id, dvorik::clock::now())
        .await
        .or_tell(chat, lang)?;
    // The token goes to its admin's own chat and nowhere else (never to a log).
    let text = tr(lang, "staff-token", &[("token", s(token.expose().clone()))]);
    bot.send_message(chat, text).await?;
    Ok(())
}

pub async fn stats(bot: &TgBot, core: &Core, staffer: &Staffer, chat: ChatId) -> HandlerResult {
    let lang = staffer.lang;
    if staffer.admin.is_none() {
        return common::say(bot, chat, lang, "staff-not-admin").await;
    }
    let day = stats::day_summary(&core.db, core.timezone, dvorik::clock::now())
        .await
        .or_tell(chat, lang)?;
    let receipts =
        dvorik::domain::DiscountValue::Fixed(rust_decimal::Decimal::new(day.receipts_minor, 2));
    let text = tr(
        lang,
        "staff-stats",
        &[
            ("date", s(day.date.format("%d.%m.%Y").to_string())),
            ("users_total", n(day.users_total as f64)),
            ("users_new", n(day.users_new as f64)),
            ("subscribed_total", n(day.subscribed_total as f64)),
            ("subscribed_new", n(day.subscribed_new as f64)),
            ("issued", n(day.discounts_issued as f64)),
            ("welcome", n(day.welcome_issued as f64)),
            ("birthday", n(day.birthday_issued as f64)),
            ("redeemed", n(day.redeemed as f64)),
            ("receipts", s(receipts.display())),
        ],
    );
    bot.send_message(chat, text).await?;
    Ok(())
}
