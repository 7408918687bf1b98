//! What the client bot sends that nobody just asked for: the message carrying a signing code (the
//! core's [`CodeSender`] port, for the client chat), "a document awaits you" when the API sends a deal
//! ([`DealNotices`]), and the scheduled jobs' messages (the core's [`Notifier`] port).

use std::sync::Arc;

use dvorik::app::Core;
use dvorik::domain::Language;
use dvorik::domain::code::DiscountCode;
use dvorik::entity::discounts as discount_entity;
use dvorik::jobs::Notifier;
use dvorik::secret::Secret;
use dvorik::services::deal_notices::DealNotices;
use dvorik::services::signing::{CodeSender, Recipient};
use dvorik::services::{deals, discounts, signing_inbox};
use teloxide::prelude::*;
use teloxide::types::{InlineKeyboardButton, InlineKeyboardMarkup};
use tokio::sync::broadcast::error::RecvError;

use crate::common::{self, TgBot};
use crate::i18n::{s, t, tr};

/// Delivers signing codes in the customer's chat with the client bot.
/// How signing codes reach customers: the HTTP SMS gateway when `DVORIK_SMS_URL` is configured, else
/// the client chat ([`ChatCodeSender`]). A handler dependency of the client bot.
#[derive(Clone, Default)]
pub struct CodeChannel(pub Option<Arc<dvorik::services::sms::SmsGateway>>);

pub struct ChatCodeSender {
    pub bot: TgBot,
}

#[async_trait::async_trait]
impl CodeSender for ChatCodeSender {
    fn channel(&self) -> &'static str {
        "chat"
    }

    async fn send(&self, to: &Recipient, text: &Secret<String>) -> dvorik::Result<()> {
        // The text carries the code: it goes to Telegram and nowhere else (no log, no error text).
        match self
            .bot
            .send_message(ChatId(to.telegram_id), text.expose().clone())
            .await
        {
            Ok(_) => Ok(()),
            Err(error) => {
                tracing::warn!(user_id = to.user_id, %error, "the code message was not delivered");
                Err(dvorik::Error::CodeDeliveryFailed)
            }
        }
    }
}

/// The inline button that opens deal `deal_id` in the client bot.
pub fn open_button(lang: Language, deal_id: i64) -> InlineKeyboardButton {
    InlineKeyboardButton::callback(t(lang, "button-doc-open"), format!("doc:{deal_id}"))
}

/// Tells the counterparty of `deal_id` that a document awaits their signature.
pub async fn tell_deal_sent(bot: &TgBot, core: &Core, deal_id: i64) -> dvorik::Result<bool> {
    let Some(user) = signing_inbox::counterparty(&core.db, deal_id).await? else {
        return Ok(false);
    };
    if user.blocked {
        return Ok(false);
    }
    let deal = deals::get(&core.db, deal_id).await?;
    let lang = Language::from_code(&user.language).unwrap_or_default();
    let text = tr(lang, "client-doc-awaits", &[("title", s(deal.title))]);
    bot.send_message(ChatId(user.telegram_id), text)
        .reply_markup(InlineKeyboardMarkup::new([[open_button(lang, deal_id)]]))
        .await
        .map_err(|e| dvorik::Error::Internal(format!("sendMessage: {e}")))?;
    Ok(true)
}

/// Listens to `notices` until the sending side is gone, telling each sent deal's counterparty.
pub fn spawn_deal_notices(
    bot: TgBot,
    core: Core,
    notices: &DealNotices,
) -> tokio::task::JoinHandle<()> {
    let mut rx = notices.subscribe();
    tokio::spawn(async move {
        loop {
            let sent = match rx.recv().await {
                Ok(sent) => sent,
                Err(RecvError::Lagged(missed)) => {
                    tracing::warn!(
                        missed,
                        "deal notices dropped (the user still finds them in /documents)"
                    );
                    continue;
                }
                Err(RecvError::Closed) => return,
            };
            if let Err(error) = tell_deal_sent(&bot, &core, sent.deal_id).await {
                tracing::warn!(deal_id = sent.deal_id, %error, "could not tell the counterparty");
            }
        }
    })
}

/// The scheduled jobs' messages, through the client bot, in the customer's language.
pub struct ClientNotifier {
    pub bot: TgBot,
    pub core: Core,
}

impl ClientNotifier {
    async fn send(
        &self,
        telegram_id: i64,
        language: Language,
        key: &str,
        code: &DiscountCode,
        discount: &discount_entity::Model,
    ) -> dvorik::Result<()> {
        let value = discounts::value_of(discount)?.display();
        let text = tr(
            language,
            key,
            &[
                ("code", s(code.display())),
                ("value", s(value)),
                ("expires", s(common::date(&self.core, discount.expires_at))),
            ],
        );
        let button = InlineKeyboardButton::callback(
            tr(language, "button-qr", &[("code", s(code.display()))]),
            format!("qr:{}", discount.id),
        );
        self.bot
            .send_message(ChatId(telegram_id), text)
            .reply_markup(InlineKeyboardMarkup::new([[button]]))
            .await
            .map_err(|e| dvorik::Error::Internal(format!("sendMessage: {e}")))?;
        Ok(())
    }
}

#[async_trait::async_trait]
impl Notifier for ClientNotifier {
    async fn birthday_discount(
        &self,
        telegram_id: i64,
        language: Language,
        code: &DiscountCode,
        discount: &discount_entity::Model,
    ) -> dvorik::Result<()> {
        self.send(
            telegram_id,
            language,
            "client-birthday-discount",
            code,
            discount,
        )
        .await
    }

    async fn expiry_reminder(
        &self,
        telegram_id: i64,
        language: Language,
        code: &DiscountCode,
        discount: &discount_entity::Model,
    ) -> dvorik::Result<()> {
        self.send(
            telegram_id,
            language,
            "client-expiry-reminder",
            code,
            discount,
        )
        .await
    }
}
