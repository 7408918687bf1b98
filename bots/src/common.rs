//! What both bots share: the bot type, the handler error type, how a core error reaches the user
//! (translated, in their language), the at-most-once filter and small formatting helpers.

use std::sync::Arc;

use chrono::{DateTime, Utc};
use dvorik::app::Core;
use dvorik::domain::Language;
use dvorik::entity::discount_templates;
use dvorik::entity::discounts::DiscountState;
use dvorik::http::Metrics;
use dvorik::services::settings::ShopSettings;
use dvorik::services::templates::DiscountKind;
use futures::future::BoxFuture;
use teloxide::adaptors::Throttle;
use teloxide::dispatching::UpdateHandler;
use teloxide::error_handlers::ErrorHandler;
use teloxide::prelude::*;

use crate::i18n;
use crate::update_log::UpdateLog;

/// A bot as the handlers use it: requests go through teloxide's [`Throttle`], which keeps Telegram's
/// per-chat limits for transactional messages (see [`crate::run::transactional_limits`]).
pub type TgBot = Throttle<Bot>;
pub type HandlerError = Box<dyn std::error::Error + Send + Sync>;
pub type HandlerResult = Result<(), HandlerError>;

/// A core refusal on its way to the user: the error handler sends its translated message to `chat`.
#[derive(Debug, thiserror::Error)]
#[error("{err} (told chat {chat})")]
pub struct Told {
    pub chat: ChatId,
    pub lang: Language,
    pub err: dvorik::Error,
}

/// `result.or_tell(chat, lang)?` turns a core error into a [`Told`] the error handler reports.
pub trait OrTell<T> {
    fn or_tell(self, chat: ChatId, lang: Language) -> Result<T, HandlerError>;
}

impl<T> OrTell<T> for dvorik::Result<T> {
    fn or_tell(self, chat: ChatId, lang: Language) -> Result<T, HandlerError> {
        self.map_err(|err| Box::new(Told { chat, lang, err }) as HandlerError)
    }
}

/// The dispatcher's error handler: a [`Told`] becomes the translated message in its chat; anything
/// else (Telegram unreachable, a failed send) is logged, as there is nobody to tell.
pub struct ErrorReporter {
    pub bot: TgBot,
    pub name: &'static str,
}

impl ErrorHandler<HandlerError> for ErrorReporter {
    fn handle_error(self: Arc<Self>, error: HandlerError) -> BoxFuture<'static, ()> {
        Box::pin(async move {
            let Some(told) = error.downcast_ref::<Told>() else {
                tracing::error!(bot = self.name, %error, "update failed");
                return;
            };
            if told.err.is_internal() {
                tracing::error!(bot = self.name, error = %told.err, "core failure");
            }
            let text = i18n::error_text(told.lang, &told.err);
            if let Err(error) = self.bot.send_message(told.chat, text).await {
                tracing::error!(bot = self.name, %error, "could not report an error to the user");
            }
        })
    }
}

/// The first link of each handler tree: records `(bot, update_id)` (through the dispatcher's
/// [`UpdateLog`], in batches) and lets only the first delivery of an update through. If the record
/// cannot be written the update is not handled (at most once) and the user is told the service is
/// busy.
pub fn once_per_update(bot_name: &'static str) -> UpdateHandler<HandlerError> {
    dptree::filter_async(
        move |update: Update, log: UpdateLog, bot: TgBot, metrics: Metrics| async move {
            let id = i64::from(update.id.0);
            match log.first_time(id).await {
                Ok(true) => {
                    metrics.bot_update(bot_name);
                    true
                }
                Ok(false) => {
                    tracing::info!(
                        bot = bot_name,
                        update_id = id,
                        "update delivered again: skipped"
                    );
                    false
                }
                Err(err) => {
                    tracing::error!(bot = bot_name, error = %err, "cannot record an update");
                    if let Some(chat) = update.chat() {
                        let lang =
                            language_of(update.from().and_then(|u| u.language_code.as_deref()));
                        let _ = bot
                            .send_message(chat.id, i18n::error_text(lang, &err))
                            .await;
                    }
                    false
                }
            }
        },
    )
}

/// The language for a Telegram `language_code`, Russian when unsupported or absent.
pub fn language_of(code: Option<&str>) -> Language {
    code.and_then(Language::from_code).unwrap_or_default()
}

/// A date as the shop shows it: `DD.MM.YYYY` in the shop's time zone.
pub fn date(core: &Core, at: DateTime<Utc>) -> String {
    at.with_timezone(&core.timezone)
        .format("%d.%m.%Y")
        .to_string()
}

/// The locale key naming a discount state.
pub fn state_key(state: DiscountState) -> &'static str {
    match state {
        DiscountState::Active => "state-active",
        DiscountState::Redeemed => "state-redeemed",
        DiscountState::Expired => "state-expired",
        DiscountState::Revoked => "state-revoked",
    }
}

/// Answers a button press so the client stops its spinner; a failure here is not worth an error.
pub async fn ack(bot: &TgBot, query: &CallbackQuery) {
    if let Err(error) = bot.answer_callback_query(query.id.clone()).await {
        tracing::warn!(%error, "answerCallbackQuery failed");
    }
}

/// The message text of a translated key, for a quick reply.
pub async fn say(bot: &TgBot, chat: ChatId, lang: Language, key: &str) -> HandlerResult {
    bot.send_message(chat, i18n::t(lang, key)).await?;
    Ok(())
}

/// The shop's default language (settings), for people whose own language is not stored: admins and
/// cashiers told of something they did not just ask for.
pub async fn shop_language(core: &Core) -> Language {
    match dvorik::services::settings::get(&core.db).await {
        Ok(settings) => settings.default_language,
        Err(error) => {
            tracing::warn!(%error, "cannot read the settings: using the default language");
            Language::default()
        }
    }
}

/// The shop settings and the active welcome (subscription) template, each read from the database at
/// most once per [`SETTINGS_TTL`]: the client bot needs them on busy paths (registration,
/// subscription, help), and an owner's change may take a few seconds to show.
#[derive(Clone, Default)]
pub struct SettingsCache {
    settings: Slot<ShopSettings>,
    welcome: Slot<Option<discount_templates::Model>>,
}

/// How long read settings are used before being read again.
pub const SETTINGS_TTL: std::time::Duration = std::time::Duration::from_secs(5);

/// One cached value with the time it was read. The lock is held while reading again, so a stale
/// value is read once, not by every update that notices it.
type Slot<T> = Arc<tokio::sync::Mutex<Option<(std::time::Instant, T)>>>;

async fn cached<T, F>(slot: &Slot<T>, read: F) -> dvorik::Result<T>
where
    T: Clone,
    F: std::future::Future<Output = dvorik::Result<T>>,
{
    let mut slot = slot.lock().await;
    if let Some((at, value)) = slot.as_ref()
        && at.elapsed() < SETTINGS_TTL
    {
        return Ok(value.clone());
    }
    let value = read.await?;
    *slot = Some((std::time::Instant::now(), value.clone()));
    Ok(value)
}

impl SettingsCache {
    pub fn new() -> Self {
        Self::default()
    }

    pub async fn get(&self, core: &Core) -> dvorik::Result<ShopSettings> {
        cached(&self.settings, dvorik::services::settings::get(&core.db)).await
    }

    /// The active subscription template (`None`: no welcome discount is offered).
    pub async fn welcome_template(
        &self,
        core: &Core,
    ) -> dvorik::Result<Option<discount_templates::Model>> {
        cached(
            &self.welcome,
            dvorik::services::templates::active_for(&core.db, DiscountKind::Subscription),
        )
        .await
    }
}
