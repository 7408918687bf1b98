//! Documents to sign, the reading half: `/documents` lists the deals awaiting the customer's signature
//! (so a lost push loses nothing), opening one shows its full text and its PDF with Sign and Decline
//! buttons, and declining asks for a reason (inline buttons).

use dvorik::app::Core;
use dvorik::services::{signing, signing_inbox};
use teloxide::prelude::*;
use teloxide::types::{InlineKeyboardButton, InlineKeyboardMarkup, InputFile};

use super::Customer;
use crate::common::{self, HandlerResult, OrTell, TgBot};
use crate::i18n::{n, s, t, tr};
use crate::notify::open_button;

/// Telegram's limit is 4096 characters per message; long documents go in parts.
const PART_CHARS: usize = 3500;

/// The reasons offered when declining, as locale keys (the stored reason is the label shown).
pub const DECLINE_REASONS: [&str; 3] = [
    "decline-reason-terms",
    "decline-reason-mistake",
    "decline-reason-other",
];

/// The first 8 hex of a hash, as the code message and the confirmation show it.
pub fn hash_prefix(sha256: &str) -> &str {
    sha256.get(..8).unwrap_or(sha256)
}

pub async fn list(bot: &TgBot, core: &Core, customer: &Customer, chat: ChatId) -> HandlerResult {
    let lang = customer.lang;
    let waiting = signing_inbox::awaiting(&core.db, customer.user.id)
        .await
        .or_tell(chat, lang)?;
    if waiting.is_empty() {
        return common::say(bot, chat, lang, "client-docs-none").await;
    }
    let rows = waiting.iter().map(|w| {
        vec![InlineKeyboardButton::callback(
            tr(
                lang,
                "button-doc-line",
                &[
                    ("title", s(w.deal.title.clone())),
                    ("version", n(w.document.version)),
                ],
            ),
            format!("doc:{}", w.deal.id),
        )]
    });
    let header = tr(
        lang,
        "client-docs-header",
        &[("count", n(waiting.len() as u32))],
    );
    bot.send_message(chat, header)
        .reply_markup(InlineKeyboardMarkup::new(rows.collect::<Vec<_>>()))
        .await?;
    Ok(())
}

/// Splits `text` into parts of at most [`PART_CHARS`] characters, at line ends where possible.
fn parts(text: &str) -> Vec<String> {
    let mut out = vec![String::new()];
    for line in text.lines() {
        let last = out.last_mut().expect("never empty");
        if !last.is_empty() && last.chars().count() + line.chars().count() + 1 > PART_CHARS {
            out.push(String::new());
        }
        let mut rest: Vec<char> = line.chars().collect();
        while rest.len() > PART_CHARS {
            let tail = rest.split_off(PART_CHARS);
            out.push(rest.into_iter().collect());
            rest = tail;
        }
        let last = out.last_mut().expect("never empty");
        if !last.is_empty() {
            last.push('\n');
        }
        last.extend(rest);
    }
    out.retain(|p| !p.trim().is_empty());
    out
}

/// Opens deal `deal_id`: marked viewed, then its text, its PDF and the Sign / Decline buttons.
pub async fn open(
    bot: &TgBot,
    core: &Core,
    customer: &Customer,
    chat: ChatId,
    deal_id: i64,
) -> HandlerResult {
    let lang = customer.lang;
    let opened = signing_inbox::open(&core.db, customer.user.id, deal_id, dvorik::clock::now())
        .await
        .or_tell(chat, lang)?;
    let doc = &opened.document;
    let header = tr(
        lang,
        "client-doc-header",
        &[
            ("title", s(doc.title.clone())),
            ("version", n(doc.version)),
            ("hash", s(hash_prefix(&doc.sha256))),
        ],
    );
    bot.send_message(chat, header).await?;
    for part in parts(&doc.body) {
        bot.send_message(chat, part).await?;
    }
    let file =
        InputFile::memory(opened.pdf).file_name(format!("deal-{deal_id}-v{}.pdf", doc.version));
    bot.send_document(chat, file)
        .caption(t(lang, "client-doc-pdf-caption"))
        .await?;
    let buttons = InlineKeyboardMarkup::new([[
        InlineKeyboardButton::callback(t(lang, "button-doc-sign"), format!("sign:{deal_id}")),
        InlineKeyboardButton::callback(t(lang, "button-doc-decline"), format!("dec:{deal_id}")),
    ]]);
    bot.send_message(chat, t(lang, "client-doc-actions"))
        .reply_markup(buttons)
        .await?;
    Ok(())
}

/// Asks why the customer declines, with the reasons as buttons.
pub async fn ask_decline_reason(
    bot: &TgBot,
    customer: &Customer,
    chat: ChatId,
    deal_id: i64,
) -> HandlerResult {
    let lang = customer.lang;
    let rows = DECLINE_REASONS.iter().enumerate().map(|(i, key)| {
        vec![InlineKeyboardButton::callback(
            t(lang, key),
            format!("decr:{deal_id}:{i}"),
        )]
    });
    let mut rows: Vec<_> = rows.collect();
    rows.push(vec![open_button(lang, deal_id)]);
    bot.send_message(chat, t(lang, "client-doc-decline-ask"))
        .reply_markup(InlineKeyboardMarkup::new(rows))
        .await?;
    Ok(())
}

/// Declines deal `deal_id` with the reason behind button `reason` (`decr:<deal>:<reason>`).
pub async fn decline(
    bot: &TgBot,
    core: &Core,
    customer: &Customer,
    chat: ChatId,
    data: &str,
) -> HandlerResult {
    let lang = customer.lang;
    let parsed = data.split_once(':').and_then(|(deal, reason)| {
        let reason: usize = reason.parse().ok()?;
        Some((deal.parse::<i64>().ok()?, *DECLINE_REASONS.get(reason)?))
    });
    let Some((deal_id, key)) = parsed else {
        tracing::warn!(data, "malformed decline button");
        return Ok(());
    };
    let reason = t(lang, key);
    let deal = signing::decline(
        &core.db,
        customer.user.id,
        deal_id,
        &reason,
        dvorik::clock::now(),
    )
    .await
    .or_tell(chat, lang)?;
    let text = tr(
        lang,
        "client-doc-declined",
        &[("title", s(deal.title)), ("reason", s(reason))],
    );
    bot.send_message(chat, text).await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_long_document_is_split_into_parts_telegram_accepts() {
        let line = "слово ".repeat(100);
        let body = vec![line.as_str(); 30].join("\n");
        let split = parts(&body);
        assert!(split.len() > 1);
        assert!(split.iter().all(|p| p.chars().count() <= PART_CHARS));
        let joined: String = split
            .concat()
            .chars()
            .filter(|c| !c.is_whitespace())
            .collect();
        let original: String = body.chars().filter(|c| !c.is_whitespace()).collect();
        assert_eq!(joined, original, "nothing lost");
    }
}
