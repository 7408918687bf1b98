//! `dvorik sim`: dvorik and the built-in Telegram simulator in one process, with a chat in the terminal.
//! A newcomer speaks to either bot as any user, sees every bot message (in any chat: a cashier's
//! redemption also shows the customer's notice), presses inline buttons by number, shares a contact,
//! sends a photo from a file; pictures the bots send are saved as files and their paths printed.
//!
//! The terminal's own words (prompts, the help below) are developer tooling in English; what the bots
//! say comes from `locales/` like everywhere else.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use anyhow::Context;
use dvorik::app::Core;
use dvorik::config::Config;
use dvorik::domain::DiscountValue;
use dvorik::services::admins::{self, AdminRole};
use dvorik::services::audit::Actor;
use dvorik::services::stores::{self, StoreInput};
use dvorik::services::templates::{self, DiscountKind, TemplateInput};
use dvorik_sim::{Entry, SimUser, Simulator};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};

use crate::run::{self, BotsOptions};

pub const CLIENT_TOKEN: &str = "1000001:dvorik-sim-client";
pub const STAFF_TOKEN: &str = "1000002:dvorik-sim-staff";
pub const CLIENT_NAME: &str = "dvorik_client_bot";
pub const STAFF_NAME: &str = "dvorik_staff_bot";

const HELP: &str = "\
Type a message (or a /command) and press Enter: it goes to the current bot as the current user.
  :bot client|staff      talk to the client bot (customers) or the staff bot (cashiers, admins)
  :user ID [NAME] [LANG] speak as another Telegram user (e.g. :user 2002 Olga en)
  :press N               press inline button [N] of the last bot message with buttons (this chat)
  :contact PHONE         share your own phone number
  :photo PATH            send a photo (PNG or JPEG), e.g. a saved QR picture
  :owner                 make the current user an owner admin (approves cashiers, /token, /stats)
  :who                   show the current bot and user
  :help                  this text
  :quit                  leave (Ctrl-D too)";

/// What the chat is doing: which bot, which user, what was printed already.
struct Chat {
    sim: Simulator,
    core: Core,
    files: PathBuf,
    token: &'static str,
    user: SimUser,
    /// Per (bot token, chat id): the highest message id printed.
    seen: HashMap<(&'static str, i64), i64>,
}

/// Runs `dvorik sim`: the core on `config` (the embedded default unless configured), the simulator on
/// `addr`, both bots, and the terminal chat until `:quit` or the end of input.
pub async fn run(config: Config, addr: SocketAddr, files: PathBuf) -> anyhow::Result<()> {
    let core = Core::start(&config).await.context("starting the core")?;
    let sim = Simulator::start(addr)
        .await
        .with_context(|| format!("starting the simulator on {addr}"))?;
    register_bots(&sim, &core).await?;
    let seeded = seed(&core).await?;
    let options = BotsOptions::new(&sim.api_url(), CLIENT_TOKEN, STAFF_TOKEN).unthrottled();
    let bots = run::start(core.clone(), options).await?;
    std::fs::create_dir_all(&files).with_context(|| format!("creating {}", files.display()))?;

    let mut out = tokio::io::stdout();
    let intro = format!(
        "dvorik sim: the client and staff bots on a local Telegram simulator (http://{}/, control API \
         http://{}/_sim/).\n{}Pictures are saved in {}.\n{HELP}\n",
        sim.addr(),
        sim.addr(),
        seeded,
        files.display()
    );
    out.write_all(intro.as_bytes()).await?;
    let mut chat = Chat {
        sim: sim.clone(),
        core,
        files,
        token: CLIENT_TOKEN,
        user: SimUser::new(1001, "Anna").language("ru"),
        seen: HashMap::new(),
    };
    out.write_all(chat.who().as_bytes()).await?;
    let mut lines = BufReader::new(tokio::io::stdin()).lines();
    loop {
        out.write_all(b"> ").await?;
        out.flush().await?;
        let Some(line) = lines.next_line().await? else {
            break;
        };
        let line = line.trim();
        if line.is_empty() {
            continue;
        }
        if line == ":quit" || line == ":q" {
            break;
        }
        let printed = chat.handle(line).await;
        out.write_all(printed.as_bytes()).await?;
    }
    bots.stop().await;
    let violations = sim.violations();
    if !violations.is_empty() {
        let text = format!("Bot API violations recorded: {violations:?}\n");
        out.write_all(text.as_bytes()).await?;
    }
    sim.shutdown().await;
    Ok(())
}

/// Registers both bots with a fresh simulator. Its update ids start where the ones this database has
/// already handled end: a restarted simulator counts from 1 again, and updates the database remembers
/// as handled would be skipped.
pub async fn register_bots(sim: &Simulator, core: &Core) -> anyhow::Result<()> {
    for (token, username, bot) in [
        (CLIENT_TOKEN, CLIENT_NAME, crate::client::NAME),
        (STAFF_TOKEN, STAFF_NAME, crate::staff::NAME),
    ] {
        sim.add_bot(token, username)?;
        if let Some(last) = dvorik::services::updates::last_id(&core.db, bot).await? {
            sim.set_next_update_id(token, last + 1)?;
        }
    }
    Ok(())
}

/// A first store and an active welcome template when there are none, so a newcomer can try the whole
/// flow at once. Returns what it did, for the intro.
async fn seed(core: &Core) -> anyhow::Result<String> {
    let now = dvorik::clock::now();
    let mut said = String::new();
    if stores::list(&core.db, true).await?.is_empty() {
        let input = StoreInput {
            name: "Demo store".into(),
            address: Some("Svetlanskaya 1".into()),
            hours: Some("9-21".into()),
        };
        stores::create(&core.db, &input, Actor::system(), now).await?;
        said.push_str("Added a store \"Demo store\" (cashiers choose it when they register).\n");
    }
    if templates::active_for(&core.db, DiscountKind::Subscription)
        .await?
        .is_none()
    {
        let input = TemplateInput {
            kind: DiscountKind::Subscription,
            name: "Welcome".into(),
            value: DiscountValue::Percent(10.into()),
            validity_days: 30,
            active: true,
            text: None,
        };
        templates::create(&core.db, &input, Actor::system(), now).await?;
        said.push_str(
            "Added a welcome discount template: 10% for 30 days, issued on subscribing.\n",
        );
    }
    Ok(said)
}

impl Chat {
    fn who(&self) -> String {
        let bot = if self.token == CLIENT_TOKEN {
            "client"
        } else {
            "staff"
        };
        format!(
            "Talking to the {bot} bot as user {} ({}, {}).\n",
            self.user.id,
            self.user.first_name,
            self.user.language_code.as_deref().unwrap_or("-")
        )
    }

    /// Acts on one input line and returns what to print.
    async fn handle(&mut self, line: &str) -> String {
        let mut words = line.split_whitespace();
        let injected = match words.next().unwrap_or_default() {
            ":help" => return format!("{HELP}\n"),
            ":who" => return self.who(),
            ":bot" => {
                match words.next() {
                    Some("client") => self.token = CLIENT_TOKEN,
                    Some("staff") => self.token = STAFF_TOKEN,
                    _ => return "Usage: :bot client|staff\n".into(),
                }
                return self.who();
            }
            ":user" => {
                let Some(id) = words.next().and_then(|w| w.parse().ok()) else {
                    return "Usage: :user ID [NAME] [LANG]\n".into();
                };
                let name = words.next().unwrap_or("Guest");
                let lang = words.next().unwrap_or("ru");
                self.user = SimUser::new(id, name).language(lang);
                return self.who();
            }
            ":owner" => {
                let added = admins::add(
                    &self.core.db,
                    self.user.id,
                    AdminRole::Owner,
                    Some(self.user.first_name.clone()),
                    Actor::system(),
                    dvorik::clock::now(),
                )
                .await;
                return match added {
                    Ok(_) => format!("User {} is now an owner admin.\n", self.user.id),
                    Err(e) => format!("Not added: {} ({}).\n", e, e.code()),
                };
            }
            ":press" => {
                let Some(n) = words.next().and_then(|w| w.parse::<usize>().ok()) else {
                    return "Usage: :press N\n".into();
                };
                let Some((message_id, data)) = self.button(n) else {
                    return format!("There is no button {n}.\n");
                };
                self.sim
                    .press_button(self.token, &self.user, message_id, &data)
            }
            ":contact" => {
                let Some(phone) = words.next() else {
                    return "Usage: :contact PHONE\n".into();
                };
                self.sim
                    .send_contact(self.token, &self.user, phone, Some(self.user.id))
            }
            ":photo" => {
                let path = line.trim_start_matches(":photo").trim();
                let bytes = match std::fs::read(path) {
                    Ok(bytes) => bytes,
                    Err(e) => return format!("Cannot read {path}: {e}\n"),
                };
                self.sim.send_photo(self.token, &self.user, bytes, None)
            }
            word if word.starts_with(':') => {
                return format!("Unknown command {word}; :help lists them.\n");
            }
            _ => self.sim.send_text(self.token, &self.user, line),
        };
        if let Err(e) = injected {
            return format!("The simulator refused: {e}\n");
        }
        self.collect().await
    }

    /// Waits for the bots to answer (until nothing new for a moment) and renders every new bot message.
    async fn collect(&mut self) -> String {
        let mut out = String::new();
        let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
        let mut quiet_since = None;
        loop {
            let fresh = self.fresh_messages();
            if fresh.is_empty() {
                let now = tokio::time::Instant::now();
                let quiet = *quiet_since.get_or_insert(now);
                // Done once something came and then nothing for a moment, or nothing at all for long.
                let enough = if out.is_empty() {
                    now >= deadline
                } else {
                    now.duration_since(quiet) >= Duration::from_millis(600)
                };
                if enough {
                    break;
                }
                tokio::time::sleep(Duration::from_millis(50)).await;
                continue;
            }
            quiet_since = None;
            for (token, chat_id, entry) in fresh {
                out.push_str(&self.render(token, chat_id, &entry));
            }
        }
        if out.is_empty() {
            out.push_str("(no answer)\n");
        }
        out
    }

    fn fresh_messages(&mut self) -> Vec<(&'static str, i64, Entry)> {
        let mut fresh = Vec::new();
        for token in [CLIENT_TOKEN, STAFF_TOKEN] {
            for chat_id in self.sim.chats(token) {
                let seen = self.seen.entry((token, chat_id)).or_insert(0);
                for entry in self.sim.transcript(token, chat_id) {
                    let Some(id) = entry.message_id else { continue };
                    if id <= *seen {
                        continue;
                    }
                    *seen = id;
                    if entry.from_bot {
                        fresh.push((token, chat_id, entry));
                    }
                }
            }
        }
        fresh
    }

    fn render(&self, token: &'static str, chat_id: i64, entry: &Entry) -> String {
        let bot = if token == CLIENT_TOKEN {
            "client"
        } else {
            "staff"
        };
        let mut out = if chat_id == self.user.id {
            format!("[{bot} bot]\n")
        } else {
            format!("[{bot} bot -> user {chat_id}]\n")
        };
        if let Some(body) = entry.body() {
            for line in body.lines() {
                out.push_str(&format!("  {line}\n"));
            }
        }
        if let Some(media) = &entry.media {
            match self.save(&media.file_id, media.file_name.as_deref()) {
                Ok(path) => out.push_str(&format!(
                    "  ({} saved to {})\n",
                    media.kind.as_str(),
                    path.display()
                )),
                Err(e) => out.push_str(&format!("  ({} not saved: {e})\n", media.kind.as_str())),
            }
        }
        let callbacks = entry
            .buttons
            .iter()
            .flatten()
            .filter(|b| b.callback_data.is_some());
        for (n, button) in callbacks.enumerate() {
            out.push_str(&format!("  [{}] {}\n", n + 1, button.text));
        }
        for button in entry.buttons.iter().flatten() {
            if let Some(url) = &button.url {
                out.push_str(&format!("  [link] {} {url}\n", button.text));
            }
        }
        if !entry.keyboard.is_empty() {
            let keys: Vec<&str> = entry
                .keyboard
                .iter()
                .flatten()
                .map(|k| k.text.as_str())
                .collect();
            out.push_str(&format!("  keyboard: {}\n", keys.join(" | ")));
        }
        out
    }

    /// Button `n` (from 1) of the last bot message with inline buttons in the current chat.
    fn button(&self, n: usize) -> Option<(i64, String)> {
        let transcript = self.sim.transcript(self.token, self.user.id);
        let message = transcript
            .iter()
            .rev()
            .find(|e| e.from_bot && e.callback_data().next().is_some())?;
        let data = message.callback_data().nth(n.checked_sub(1)?)?;
        Some((message.message_id?, data.to_string()))
    }

    fn save(&self, file_id: &str, name: Option<&str>) -> anyhow::Result<PathBuf> {
        let bytes = self
            .sim
            .file_bytes(file_id)
            .context("the simulator has no such file")?;
        let safe: String = name
            .unwrap_or(file_id)
            .chars()
            .map(|c| {
                if c.is_ascii_alphanumeric() || c == '.' || c == '-' {
                    c
                } else {
                    '_'
                }
            })
            .collect();
        let extension = if bytes.starts_with(b"\x89PNG") && !safe.ends_with(".png") {
            ".png"
        } else {
            ""
        };
        let path = self.files.join(format!("{safe}{extension}"));
        std::fs::write(&path, bytes)?;
        Ok(path)
    }
}
