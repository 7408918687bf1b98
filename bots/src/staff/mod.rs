//! The staff bot: cashiers and admins.
//!
//! - A stranger registers as a cashier (name, then a store from inline buttons) and waits; owners and
//!   marketers get Approve/Reject buttons and the cashier is told the decision. `/cashiers` lists
//!   approved cashiers with Revoke buttons.
//! - An approved cashier sends a code as text or a photo of its QR and sees the customer's first name,
//!   the value, the expiry and the state, with Redeem buttons (with or without the receipt amount).
//!   Redemption happens once; the cashier is told, and the customer hears it from the client bot.
//! - Admins: `/token` (a one-time admin panel login token, valid 5 minutes) and `/stats`.

mod admin;
mod register;
mod till;

use dvorik::app::Core;
use dvorik::domain::Language;
use dvorik::entity::{admins, cashiers};
use dvorik::services::admins::AdminRole;
use dvorik::services::cashiers::CashierState;
use serde::{Deserialize, Serialize};
use teloxide::dispatching::UpdateHandler;
use teloxide::dispatching::dialogue::{self, Dialogue};
use teloxide::prelude::*;
use teloxide::utils::command::BotCommands;

use crate::common::{self, HandlerError, HandlerResult, TgBot};
use crate::storage::KvStorage;

/// The name of this bot in `processed_updates` and logs.
pub const NAME: &str = "staff";
/// Key prefix of this bot's dialogue state.
pub const DIALOGUE_PREFIX: &str = "staff:dlg:";

/// Commands of the staff bot. Their descriptions shown by Telegram come from `locales/` (`cmd-*`).
#[derive(BotCommands, Clone, Debug, PartialEq)]
#[command(rename_rule = "lowercase")]
pub enum Command {
    /// Register as a cashier, or see what one can do.
    Start,
    /// Admins: a one-time login token for the admin panel.
    Token,
    /// Admins: the day's key figures.
    Stats,
    /// Owners and marketers: approved cashiers, with Revoke buttons.
    Cashiers,
    /// Leave the current dialogue step.
    Cancel,
}

impl Command {
    /// The commands shown in Telegram's menu, each with its `cmd-*` description key.
    pub const MENU: &[(&str, &str)] = &[
        ("start", "cmd-start"),
        ("token", "cmd-token"),
        ("stats", "cmd-stats"),
        ("cashiers", "cmd-cashiers"),
        ("cancel", "cmd-cancel"),
    ];
}

/// Where a staff member's conversation stands.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub enum State {
    #[default]
    Idle,
    /// Registration: waiting for the cashier's name.
    AwaitingName,
    /// Registration: the name is known, waiting for a store button.
    AwaitingStore { name: String },
    /// Redemption with a receipt amount: waiting for the amount of `code`.
    AwaitingAmount { code: String },
}

pub type StaffDialogue = Dialogue<State, KvStorage>;

/// The client bot, through which the staff bot tells customers their code was used.
#[derive(Clone)]
pub struct ClientBot(pub TgBot);

/// Who wrote to the staff bot: an admin, a cashier (in any state), both or neither.
#[derive(Clone, Debug)]
pub struct Staffer {
    pub telegram_id: i64,
    pub lang: Language,
    pub admin: Option<admins::Model>,
    pub cashier: Option<cashiers::Model>,
}

impl Staffer {
    /// Owners and marketers decide on cashiers.
    pub fn decider(&self) -> Option<&admins::Model> {
        self.admin
            .as_ref()
            .filter(|a| matches!(a.role, AdminRole::Owner | AdminRole::Marketing))
    }

    pub fn approved_cashier(&self) -> Option<&cashiers::Model> {
        self.cashier
            .as_ref()
            .filter(|c| c.state == CashierState::Approved)
    }
}

/// The handler tree of the staff bot. Needs in the dispatcher's dependencies: [`Core`], [`TgBot`],
/// [`ClientBot`] and `Arc<KvStorage>` (this bot's dialogue storage).
pub fn handler_tree() -> UpdateHandler<HandlerError> {
    let messages = Update::filter_message()
        .filter_map_async(staffer_of_message)
        .branch(teloxide::filter_command::<Command, _>().endpoint(on_command))
        .branch(dptree::case![State::AwaitingName].endpoint(register::receive_name))
        .branch(dptree::case![State::AwaitingAmount { code }].endpoint(till::receive_amount))
        .branch(
            dptree::filter(|staffer: Staffer| staffer.approved_cashier().is_some())
                .endpoint(till::receive_code),
        )
        .branch(dptree::endpoint(not_understood));
    let callbacks = Update::filter_callback_query()
        .filter_map_async(staffer_of_callback)
        .endpoint(on_button);
    dptree::entry()
        .chain(common::once_per_update(NAME))
        .chain(dialogue::enter::<Update, KvStorage, State, _>())
        .branch(messages)
        .branch(callbacks)
}

async fn on_command(
    bot: TgBot,
    core: Core,
    dialogue: StaffDialogue,
    staffer: Staffer,
    msg: Message,
    command: Command,
    state: State,
) -> HandlerResult {
    // `state` is what `dialogue::enter` read for this update: no second read of the store.
    if state != State::Idle {
        dialogue.exit().await?;
    }
    let chat = msg.chat.id;
    match command {
        Command::Start => register::start(&bot, &dialogue, &staffer, chat).await,
        Command::Token => admin::token(&bot, &core, &staffer, chat).await,
        Command::Stats => admin::stats(&bot, &core, &staffer, chat).await,
        Command::Cashiers => register::list_cashiers(&bot, &core, &staffer, chat).await,
        Command::Cancel => common::say(&bot, chat, staffer.lang, "staff-cancelled").await,
    }
}

/// Inline buttons: `store:<id>`, `cash:ok:<id>`, `cash:no:<id>`, `cash:rv:<id>`, `rd:<code>`,
/// `ra:<code>`.
async fn on_button(
    bot: TgBot,
    client: ClientBot,
    core: Core,
    dialogue: StaffDialogue,
    staffer: Staffer,
    query: CallbackQuery,
) -> HandlerResult {
    common::ack(&bot, &query).await;
    let chat = ChatId::from(query.from.id);
    let data = query.data.as_deref().unwrap_or_default();
    let id = |prefix: &str| {
        data.strip_prefix(prefix)
            .and_then(|id| id.parse::<i64>().ok())
    };
    if let Some(store_id) = id("store:") {
        return register::choose_store(&bot, &core, &dialogue, &staffer, chat, store_id).await;
    }
    if let Some(cashier_id) = id("cash:ok:") {
        return register::decide(&bot, &core, &staffer, &query, cashier_id, true).await;
    }
    if let Some(cashier_id) = id("cash:no:") {
        return register::decide(&bot, &core, &staffer, &query, cashier_id, false).await;
    }
    if let Some(cashier_id) = id("cash:rv:") {
        return register::revoke(&bot, &core, &staffer, chat, cashier_id).await;
    }
    if let Some(code) = data.strip_prefix("rd:") {
        return till::redeem(&bot, &client, &core, &staffer, chat, code, None).await;
    }
    if let Some(code) = data.strip_prefix("ra:") {
        return till::ask_amount(&bot, &dialogue, &staffer, chat, code).await;
    }
    tracing::warn!(data, "unknown button");
    Ok(())
}

async fn not_understood(bot: TgBot, staffer: Staffer, msg: Message) -> HandlerResult {
    let key = match &staffer.cashier {
        Some(c) if c.state == CashierState::Pending => "staff-pending",
        _ if staffer.admin.is_some() => "staff-welcome-admin",
        _ => "staff-not-understood",
    };
    common::say(&bot, msg.chat.id, staffer.lang, key).await
}

async fn staffer_of_message(bot: TgBot, core: Core, msg: Message) -> Option<Staffer> {
    let from = msg.from.as_ref()?;
    load(&bot, &core, from, msg.chat.id).await
}

async fn staffer_of_callback(bot: TgBot, core: Core, query: CallbackQuery) -> Option<Staffer> {
    load(&bot, &core, &query.from, ChatId::from(query.from.id)).await
}

async fn load(
    bot: &TgBot,
    core: &Core,
    from: &teloxide::types::User,
    chat: ChatId,
) -> Option<Staffer> {
    let telegram_id = from.id.0 as i64;
    let lang = common::language_of(from.language_code.as_deref());
    let found = async {
        let admin = dvorik::services::admins::active_by_telegram_id(&core.db, telegram_id).await?;
        let cashier =
            dvorik::services::cashiers::find_by_telegram_id(&core.db, telegram_id).await?;
        Ok::<_, dvorik::Error>((admin, cashier))
    }
    .await;
    match found {
        Ok((admin, cashier)) => Some(Staffer {
            telegram_id,
            lang,
            admin,
            cashier,
        }),
        Err(err) => {
            tracing::error!(error = %err, "cannot load the staff member");
            let _ = bot
                .send_message(chat, crate::i18n::error_text(lang, &err))
                .await;
            None
        }
    }
}
