//! Files (upload, getFile, download, reuse by file_id), inline buttons and callback queries, edits,
//! channel membership and commands, driven by a teloxide bot.

mod common;

use common::{TOKEN, WAIT};
use dvorik_sim::{MediaKind, SimError};
use teloxide::net::Download;
use teloxide::prelude::*;
use teloxide::types::{
    BotCommand, InlineKeyboardButton, InlineKeyboardMarkup, InputFile, KeyboardButton,
    KeyboardMarkup, UpdateKind,
};

fn bot(sim: &dvorik_sim::Simulator) -> Bot {
    Bot::new(TOKEN).set_api_url(sim.api_url().parse().unwrap())
}

#[tokio::test]
async fn an_uploaded_photo_can_be_fetched_downloaded_and_sent_again_by_file_id()
-> anyhow::Result<()> {
    let sim = common::start().await;
    sim.send_text(TOKEN, &common::user(7), "my code please")?;
    let bot = bot(&sim);
    let png = common::tiny_png();
    let sent = bot
        .send_photo(
            ChatId(7),
            InputFile::memory(png.clone()).file_name("qr.png"),
        )
        .caption("Your code")
        .await?;
    let size = sent
        .photo()
        .and_then(|p| p.last())
        .cloned()
        .expect("a photo");
    assert_eq!((size.width, size.height), (3, 2));
    let file = bot.get_file(size.file.id.clone()).await?;
    let mut downloaded = Vec::new();
    bot.download_file(&file.path, &mut downloaded).await?;
    assert_eq!(downloaded, png);
    assert_eq!(
        sim.file_bytes(&size.file.id.0).as_deref(),
        Some(png.as_slice())
    );

    let again = bot
        .send_photo(ChatId(7), InputFile::file_id(size.file.id.clone()))
        .await?;
    assert_eq!(
        again
            .photo()
            .and_then(|p| p.last())
            .map(|s| s.file.id.clone()),
        Some(size.file.id.clone())
    );
    let media: Vec<_> = sim
        .transcript(TOKEN, 7)
        .into_iter()
        .filter_map(|e| e.media)
        .collect();
    assert_eq!(media.len(), 2);
    assert!(
        media
            .iter()
            .all(|m| m.kind == MediaKind::Photo && m.file_id == size.file.id.0)
    );

    let doc = bot
        .send_document(
            ChatId(7),
            InputFile::memory(b"terms".to_vec()).file_name("terms.txt"),
        )
        .await?;
    let doc_id = doc
        .document()
        .map(|d| d.file.id.clone())
        .expect("a document");
    assert_eq!(
        sim.file_bytes(&doc_id.0).as_deref(),
        Some(b"terms".as_slice())
    );
    let not_an_image = bot
        .send_photo(
            ChatId(7),
            InputFile::memory(b"not a picture".to_vec()).file_name("x.png"),
        )
        .await;
    assert!(not_an_image.is_err());
    assert_eq!(
        sim.violations().len(),
        1,
        "a photo that is not an image is a violation"
    );
    Ok(())
}

#[tokio::test]
async fn a_photo_from_a_user_reaches_the_bot_and_downloads_as_sent() -> anyhow::Result<()> {
    let sim = common::start().await;
    let png = common::tiny_png();
    let injected = sim.send_photo(TOKEN, &common::user(8), png.clone(), Some("scan"))?;
    let bot = bot(&sim);
    let updates = bot.get_updates().await?;
    assert_eq!(updates.len(), 1);
    assert_eq!(updates[0].id.0 as i64, injected.update_id);
    let UpdateKind::Message(msg) = &updates[0].kind else {
        panic!("a message: {:?}", updates[0].kind)
    };
    assert_eq!(msg.caption(), Some("scan"));
    let photo = msg.photo().and_then(|p| p.last()).expect("a photo");
    let file = bot.get_file(photo.file.id.clone()).await?;
    let mut downloaded = Vec::new();
    bot.download_file(&file.path, &mut downloaded).await?;
    assert_eq!(downloaded, png);
    assert!(matches!(
        sim.send_photo(TOKEN, &common::user(8), b"text".to_vec(), None),
        Err(SimError::NotAnImage)
    ));
    Ok(())
}

#[tokio::test]
async fn a_button_press_arrives_as_a_callback_query_and_its_answer_is_recorded()
-> anyhow::Result<()> {
    let sim = common::start().await;
    let user = common::user(9);
    sim.send_text(TOKEN, &user, "/subscribe")?;
    let bot = bot(&sim);
    let keyboard = InlineKeyboardMarkup::new([[
        InlineKeyboardButton::callback("Check again", "sub:check"),
        InlineKeyboardButton::url("Channel", "https://t.me/shop".parse()?),
    ]]);
    let sent = bot
        .send_message(ChatId(9), "Join the channel first")
        .reply_markup(keyboard)
        .await?;
    let entry = sim
        .next_bot_message(TOKEN, 9, 1, WAIT)
        .await
        .expect("the bot's message");
    assert_eq!(entry.message_id, Some(sent.id.0 as i64));
    assert_eq!(
        entry
            .button("Check")
            .and_then(|b| b.callback_data.as_deref()),
        Some("sub:check")
    );
    assert_eq!(
        entry.buttons[0][1].url.as_deref(),
        Some("https://t.me/shop")
    );

    assert!(matches!(
        sim.press_button(TOKEN, &user, sent.id.0 as i64, "sub:forged"),
        Err(SimError::NoSuchButton { .. })
    ));
    let press = sim.press_button(TOKEN, &user, sent.id.0 as i64, "sub:check")?;
    let updates = bot.get_updates().await?;
    let query = updates
        .iter()
        .find_map(|u| match &u.kind {
            UpdateKind::CallbackQuery(q) if u.id.0 as i64 == press.update_id => Some(q.clone()),
            _ => None,
        })
        .expect("the callback query");
    assert_eq!(query.data.as_deref(), Some("sub:check"));
    assert_eq!(query.from.id, UserId(9));
    assert_eq!(query.message.as_ref().map(|m| m.id()), Some(sent.id));
    bot.answer_callback_query(query.id.clone())
        .text("Not yet")
        .await?;
    assert!(
        bot.answer_callback_query(query.id.clone()).await.is_err(),
        "a query is answered once"
    );
    let answered = sim
        .transcript(TOKEN, 9)
        .into_iter()
        .find_map(|e| e.press)
        .expect("the press");
    assert_eq!(
        answered.answer.and_then(|a| a.text).as_deref(),
        Some("Not yet")
    );

    bot.edit_message_text(ChatId(9), sent.id, "You are subscribed")
        .await?;
    let edited = sim
        .transcript(TOKEN, 9)
        .into_iter()
        .find(|e| e.message_id == Some(sent.id.0 as i64))
        .unwrap();
    assert_eq!(edited.text.as_deref(), Some("You are subscribed"));
    assert_eq!(edited.edits.len(), 1);
    assert!(
        edited.buttons.is_empty(),
        "an edit without markup removes the keyboard"
    );
    assert!(
        bot.edit_message_text(ChatId(9), sent.id, "You are subscribed")
            .await
            .is_err(),
        "not modified"
    );
    assert!(sim.violations().is_empty(), "{:?}", sim.violations());
    Ok(())
}

#[tokio::test]
async fn get_chat_member_follows_set_member() -> anyhow::Result<()> {
    let sim = common::start().await;
    let bot = bot(&sim);
    let left = bot
        .get_chat_member("@shop_channel".to_string(), UserId(12))
        .await?;
    assert!(!left.is_present());
    sim.set_member("@shop_channel", 12, true);
    let member = bot
        .get_chat_member("@Shop_Channel".to_string(), UserId(12))
        .await?;
    assert!(member.is_present());
    assert!(
        !bot.get_chat_member("@other_channel".to_string(), UserId(12))
            .await?
            .is_present()
    );
    sim.set_member("@shop_channel", 12, false);
    assert!(
        !bot.get_chat_member("@shop_channel".to_string(), UserId(12))
            .await?
            .is_present()
    );
    let me = bot.get_me().await?;
    let admin = bot
        .get_chat_member("@shop_channel".to_string(), me.id)
        .await?;
    assert!(admin.is_privileged());
    assert!(sim.violations().is_empty(), "{:?}", sim.violations());
    Ok(())
}

#[tokio::test]
async fn commands_and_a_reply_keyboard_are_recorded() -> anyhow::Result<()> {
    let sim = common::start().await;
    let bot = bot(&sim);
    bot.set_my_commands(vec![
        BotCommand::new("start", "Start"),
        BotCommand::new("help", "Help"),
    ])
    .await?;
    assert_eq!(
        sim.commands(TOKEN, None),
        vec![
            ("start".into(), "Start".into()),
            ("help".into(), "Help".into())
        ]
    );
    assert_eq!(bot.get_my_commands().await?.len(), 2);
    sim.send_text(TOKEN, &common::user(13), "/start")?;
    let menu = KeyboardMarkup::new([[
        KeyboardButton::new("My discounts"),
        KeyboardButton::new("Share phone").request(teloxide::types::ButtonRequest::Contact),
    ]]);
    bot.send_message(ChatId(13), "Menu")
        .reply_markup(menu.resize_keyboard())
        .await?;
    let entry = sim
        .next_bot_message(TOKEN, 13, 0, WAIT)
        .await
        .expect("the menu");
    assert_eq!(entry.keyboard[0][0].text, "My discounts");
    assert!(entry.keyboard[0][1].request_contact);
    bot.delete_my_commands().await?;
    assert!(sim.commands(TOKEN, None).is_empty());
    assert!(sim.violations().is_empty(), "{:?}", sim.violations());
    Ok(())
}
