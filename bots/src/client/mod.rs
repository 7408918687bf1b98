//! The client bot: what customers talk to.
//!
//! - `/start [payload]` registers the customer (the first `src_…`/`ref_…` payload is their source),
//!   greets them in their language and shows the main menu (a reply keyboard).
//! - Subscribe / unsubscribe: the first subscription issues the welcome discount; with a shop channel
//!   configured, only channel members may subscribe ("check again" button).
//! - Birthday: a dialogue that explains each input error and continues; set once.
//! - My discounts: active codes with value and expiry, a QR image of each on request, the history.
//! - Help (contacts, addresses, hours from the shop settings) and `/language`.
//! - Documents to sign (deals): "a document awaits you", `/documents`, the text and PDF, the own
//!   contact, the one-time code, signed or declined ([`documents`], [`signing`]).
//!
//! Blocked customers get a polite refusal to everything.

mod actions;
mod discounts;
mod documents;
mod signing;

use dvorik::app::Core;
use dvorik::domain::Language;
use dvorik::entity::users;
use dvorik::services::users::{self as users_service, TelegramProfile};
use serde::{Deserialize, Serialize};
use teloxide::dispatching::UpdateHandler;
use teloxide::dispatching::dialogue::{self, Dialogue};
use teloxide::prelude::*;
use teloxide::types::{KeyboardButton, KeyboardMarkup, Me};
use teloxide::utils::command::BotCommands;

use crate::common::{self, HandlerError, HandlerResult, SettingsCache, TgBot};
use crate::i18n::t;
use crate::storage::KvStorage;

/// The name of this bot in `processed_updates` and logs.
pub const NAME: &str = "client";
/// Key prefix of this bot's dialogue state.
pub const DIALOGUE_PREFIX: &str = "client:dlg:";

/// Commands of the client bot. Their descriptions shown by Telegram come from `locales/` (`cmd-*`).
#[derive(BotCommands, Clone, Debug, PartialEq)]
#[command(rename_rule = "lowercase")]
pub enum Command {
    /// Register (with an optional deep-link payload such as `src_instagram`) and show the menu.
    Start(String),
    /// Subscribe to news (the first time also brings the welcome discount).
    Subscribe,
    /// Unsubscribe from news.
    Unsubscribe,
    /// Tell the shop one's birthday (once).
    Birthday,
    /// Active discount codes, with QR images and the history.
    Discounts,
    /// Shop contacts, addresses and hours.
    Help,
    /// Switch the language.
    Language,
    /// Documents awaiting one's signature.
    Documents,
    /// Leave the current dialogue step.
    Cancel,
}

impl Command {
    /// The commands shown in Telegram's menu, each with its `cmd-*` description key.
    pub const MENU: &[(&str, &str)] = &[
        ("start", "cmd-start"),
        ("discounts", "cmd-discounts"),
        ("subscribe", "cmd-subscribe"),
        ("unsubscribe", "cmd-unsubscribe"),
        ("birthday", "cmd-birthday"),
        ("help", "cmd-help"),
        ("language", "cmd-language"),
        ("documents", "cmd-documents"),
        ("cancel", "cmd-cancel"),
    ];
}

/// Where a customer's conversation stands.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub enum State {
    #[default]
    Idle,
    /// The bot asked for the birthday and waits for a date.
    AwaitingBirthday,
    /// Signing `deal_id`: the bot waits for the customer's own contact.
    AwaitingContact { deal_id: i64 },
    /// Signing `deal_id`: a code was sent and the bot waits for it to be typed.
    AwaitingCode { deal_id: i64 },
}

pub type ClientDialogue = Dialogue<State, KvStorage>;

/// The customer behind an update, with the language to answer in.
#[derive(Clone, Debug)]
pub struct Customer {
    pub user: users::Model,
    pub lang: Language,
}

/// A main-menu button the customer pressed (the reply keyboard sends its label as text).
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum MenuAction {
    Discounts,
    Subscribe,
    Unsubscribe,
    Birthday,
    Help,
    Language,
    Documents,
}

impl MenuAction {
    const ALL: [(MenuAction, &'static str); 7] = [
        (Self::Discounts, "menu-discounts"),
        (Self::Subscribe, "menu-subscribe"),
        (Self::Unsubscribe, "menu-unsubscribe"),
        (Self::Birthday, "menu-birthday"),
        (Self::Help, "menu-help"),
        (Self::Language, "menu-language"),
        (Self::Documents, "menu-documents"),
    ];

    /// The action whose label (in any language) is `text`.
    fn from_label(text: &str) -> Option<Self> {
        Self::ALL.into_iter().find_map(|(action, key)| {
            Language::ALL
                .into_iter()
                .any(|lang| t(lang, key) == text.trim())
                .then_some(action)
        })
    }
}

/// The main menu in `lang`; the subscription button shows what pressing it would do.
pub fn main_menu(lang: Language, subscribed: bool) -> KeyboardMarkup {
    let subscription = if subscribed {
        "menu-unsubscribe"
    } else {
        "menu-subscribe"
    };
    KeyboardMarkup::new(vec![
        vec![KeyboardButton::new(t(lang, "menu-discounts"))],
        vec![
            KeyboardButton::new(t(lang, subscription)),
            KeyboardButton::new(t(lang, "menu-birthday")),
        ],
        vec![
            KeyboardButton::new(t(lang, "menu-help")),
            KeyboardButton::new(t(lang, "menu-language")),
        ],
        vec![KeyboardButton::new(t(lang, "menu-documents"))],
    ])
    .resize_keyboard()
}

/// The handler tree of the client bot. Needs in the dispatcher's dependencies: [`Core`], [`TgBot`],
/// [`SettingsCache`] and `Arc<KvStorage>` (this bot's dialogue storage).
pub fn handler_tree() -> UpdateHandler<HandlerError> {
    let messages = Update::filter_message()
        .filter_map_async(customer_of_message)
        .branch(dptree::filter(|c: Customer| c.user.blocked).endpoint(actions::refuse_blocked))
        .branch(teloxide::filter_command::<Command, _>().endpoint(on_command))
        .branch(
            dptree::filter_map(|msg: Message| msg.text().and_then(MenuAction::from_label))
                .endpoint(on_menu),
        )
        .branch(dptree::case![State::AwaitingBirthday].endpoint(actions::receive_birthday))
        .branch(
            dptree::case![State::AwaitingContact { deal_id }].endpoint(signing::receive_contact),
        )
        .branch(dptree::case![State::AwaitingCode { deal_id }].endpoint(signing::receive_code))
        .branch(dptree::endpoint(actions::not_understood));
    let callbacks = Update::filter_callback_query()
        .filter_map_async(customer_of_callback)
        .endpoint(on_button);
    dptree::entry()
        .chain(common::once_per_update(NAME))
        .chain(dialogue::enter::<Update, KvStorage, State, _>())
        .branch(messages)
        .branch(callbacks)
}

#[expect(
    clippy::too_many_arguments,
    reason = "dptree hands each dependency as a parameter of its own"
)]
async fn on_command(
    bot: TgBot,
    core: Core,
    settings: SettingsCache,
    dialogue: ClientDialogue,
    customer: Customer,
    msg: Message,
    command: Command,
    state: State,
) -> HandlerResult {
    // A command always leaves an unfinished dialogue step. `state` is what `dialogue::enter` read for
    // this update (a chat's updates run one at a time): no second read of the store.
    if state != State::Idle {
        dialogue.exit().await?;
    }
    match command {
        Command::Start(_) => actions::greet(&bot, &customer, msg.chat.id).await,
        Command::Subscribe => {
            actions::subscribe(&bot, &core, &settings, &customer, msg.chat.id).await
        }
        Command::Unsubscribe => actions::unsubscribe(&bot, &core, &customer, msg.chat.id).await,
        Command::Birthday => actions::ask_birthday(&bot, &dialogue, &customer, msg.chat.id).await,
        Command::Discounts => discounts::list(&bot, &core, &customer, msg.chat.id).await,
        Command::Help => actions::help(&bot, &core, &settings, &customer, msg.chat.id).await,
        Command::Language => actions::ask_language(&bot, &customer, msg.chat.id).await,
        Command::Documents => documents::list(&bot, &core, &customer, msg.chat.id).await,
        Command::Cancel => {
            bot.send_message(msg.chat.id, t(customer.lang, "client-cancelled"))
                .reply_markup(main_menu(customer.lang, customer.user.subscribed))
                .await?;
            Ok(())
        }
    }
}

#[expect(
    clippy::too_many_arguments,
    reason = "dptree hands each dependency as a parameter of its own"
)]
async fn on_menu(
    bot: TgBot,
    core: Core,
    settings: SettingsCache,
    dialogue: ClientDialogue,
    customer: Customer,
    msg: Message,
    action: MenuAction,
    state: State,
) -> HandlerResult {
    if state != State::Idle {
        dialogue.exit().await?;
    }
    let chat = msg.chat.id;
    match action {
        MenuAction::Discounts => discounts::list(&bot, &core, &customer, chat).await,
        MenuAction::Subscribe => actions::subscribe(&bot, &core, &settings, &customer, chat).await,
        MenuAction::Unsubscribe => actions::unsubscribe(&bot, &core, &customer, chat).await,
        MenuAction::Birthday => actions::ask_birthday(&bot, &dialogue, &customer, chat).await,
        MenuAction::Help => actions::help(&bot, &core, &settings, &customer, chat).await,
        MenuAction::Language => actions::ask_language(&bot, &customer, chat).await,
        MenuAction::Documents => documents::list(&bot, &core, &customer, chat).await,
    }
}

/// Inline buttons: `qr:<discount id>`, `hist`, `sub:check`, `lang:<code>`; documents: `doc:<deal>`
/// (open), `sign:<deal>`, `code:<deal>` (a new code), `dec:<deal>` (decline), `decr:<deal>:<reason>`.
async fn on_button(
    bot: TgBot,
    core: Core,
    codes: crate::notify::CodeChannel,
    settings: SettingsCache,
    dialogue: ClientDialogue,
    customer: Customer,
    query: CallbackQuery,
) -> HandlerResult {
    common::ack(&bot, &query).await;
    let chat = ChatId::from(query.from.id);
    let data = query.data.as_deref().unwrap_or_default();
    if customer.user.blocked {
        return common::say(&bot, chat, customer.lang, "client-blocked").await;
    }
    if let Some(id) = data.strip_prefix("qr:").and_then(|id| id.parse().ok()) {
        return discounts::send_qr(&bot, &core, &customer, chat, id).await;
    }
    if let Some(code) = data.strip_prefix("lang:") {
        return actions::set_language(&bot, &core, &customer, chat, code).await;
    }
    if let Some(rest) = data.strip_prefix("decr:") {
        return documents::decline(&bot, &core, &customer, chat, rest).await;
    }
    let deal = |prefix: &str| {
        data.strip_prefix(prefix)
            .and_then(|id| id.parse::<i64>().ok())
    };
    if let Some(id) = deal("doc:") {
        return documents::open(&bot, &core, &customer, chat, id).await;
    }
    if let Some(id) = deal("sign:") {
        return signing::start(&bot, &core, &codes, &dialogue, &customer, chat, id).await;
    }
    if let Some(id) = deal("code:") {
        return signing::send_code(&bot, &core, &codes, &dialogue, &customer, chat, id).await;
    }
    if let Some(id) = deal("dec:") {
        return documents::ask_decline_reason(&bot, &customer, chat, id).await;
    }
    match data {
        "hist" => discounts::history(&bot, &core, &customer, chat).await,
        "sub:check" => actions::subscribe(&bot, &core, &settings, &customer, chat).await,
        _ => {
            tracing::warn!(data, "unknown button");
            Ok(())
        }
    }
}

fn profile_of(user: &teloxide::types::User) -> TelegramProfile {
    TelegramProfile {
        telegram_id: user.id.0 as i64,
        first_name: user.first_name.clone(),
        last_name: user.last_name.clone(),
        username: user.username.clone(),
        language_code: user.language_code.clone(),
    }
}

/// The customer who wrote: `/start` registers (keeping the first payload as the source); any other
/// message finds them, registering a stranger who never sent `/start` on the way.
async fn customer_of_message(
    bot: TgBot,
    core: Core,
    settings: SettingsCache,
    me: Me,
    msg: Message,
) -> Option<Customer> {
    let from = msg.from.as_ref()?;
    let start = msg
        .text()
        .and_then(|text| match Command::parse(text, me.username()) {
            Ok(Command::Start(payload)) => Some(payload),
            _ => None,
        });
    let lang = common::language_of(from.language_code.as_deref());
    let found = match start {
        Some(payload) => register(&core, &settings, from, Some(&payload)).await,
        None => match users_service::find_by_telegram_id(&core.db, from.id.0 as i64).await {
            Ok(Some(user)) => Ok(user),
            Ok(None) => register(&core, &settings, from, None).await,
            Err(e) => Err(e),
        },
    };
    into_customer(&bot, found, msg.chat.id, lang).await
}

async fn customer_of_callback(
    bot: TgBot,
    core: Core,
    settings: SettingsCache,
    query: CallbackQuery,
) -> Option<Customer> {
    let lang = common::language_of(query.from.language_code.as_deref());
    let found = match users_service::find_by_telegram_id(&core.db, query.from.id.0 as i64).await {
        Ok(Some(user)) => Ok(user),
        Ok(None) => register(&core, &settings, &query.from, None).await,
        Err(e) => Err(e),
    };
    into_customer(&bot, found, ChatId::from(query.from.id), lang).await
}

async fn register(
    core: &Core,
    settings: &SettingsCache,
    from: &teloxide::types::User,
    payload: Option<&str>,
) -> dvorik::Result<users::Model> {
    let settings = settings.get(core).await?;
    let registration = users_service::register(
        &core.db,
        &profile_of(from),
        payload,
        settings.default_language,
        dvorik::clock::now(),
    )
    .await?;
    Ok(registration.user)
}

async fn into_customer(
    bot: &TgBot,
    found: dvorik::Result<users::Model>,
    chat: ChatId,
    lang: Language,
) -> Option<Customer> {
    match found {
        Ok(user) => {
            let lang = Language::from_code(&user.language).unwrap_or(lang);
            Some(Customer { user, lang })
        }
        Err(err) => {
            tracing::error!(error = %err, "cannot load the customer");
            let _ = bot
                .send_message(chat, crate::i18n::error_text(lang, &err))
                .await;
            None
        }
    }
}
