//! A local Telegram Bot API simulator.
//!
//! There is no Telegram on the machines dvorik is built and tested on, and a newcomer wants to try the
//! bots before owning a token. So dvorik carries this simulator: an HTTP server answering
//! `/bot<token>/<method>` like the Bot API (the bots talk to it with teloxide over real HTTP, exactly as
//! to Telegram), checking every request against the published Bot API description, keeping a transcript
//! of every chat, and a control API (`/_sim/…`, or the [`Simulator`] handle in Rust) to speak as users,
//! read what the bots said, set channel membership and inject faults.
//!
//! ```no_run
//! # async fn demo() -> Result<(), Box<dyn std::error::Error>> {
//! use std::time::Duration;
//! use dvorik_sim::{SimUser, Simulator};
//!
//! let sim = Simulator::start("127.0.0.1:0".parse()?).await?;
//! sim.add_bot("123:client", "dvorik_client_bot")?;
//! // Point teloxide at it: Bot::new("123:client").set_api_url(sim.api_url().parse()?)
//! let alice = SimUser::new(1001, "Alice").language("ru");
//! let sent = sim.send_text("123:client", &alice, "/start src_instagram")?;
//! let reply = sim.next_bot_message("123:client", alice.id, sent.message_id.unwrap(), Duration::from_secs(5)).await;
//! assert!(sim.violations().is_empty());
//! sim.shutdown().await;
//! # Ok(()) }
//! ```
//!
//! Not simulated: groups, inline mode, payments, anything outside [`IMPLEMENTED`] (such a call is
//! answered 400 and recorded as a violation "unsupported", never a silent success).

mod botapi;
mod control;
mod format;
mod handle;
mod image;
mod inject;
mod markup;
mod methods;
mod model;
mod params;
mod render;
mod send;
mod spec;
mod state;
mod webhook;

use std::io;
use std::net::SocketAddr;

pub use handle::Simulator;
pub use methods::IMPLEMENTED;
pub use model::{
    BotInfo, Button, ButtonPress, CallbackAnswer, Contact, Counters, Edit, Entry, Fault, FaultKind,
    Injected, KeyboardButton, Media, MediaKind, SimError, SimUser, Violation,
};

/// The Bot API version the embedded description is of (e.g. "Bot API 10.1").
pub fn bot_api_version() -> &'static str {
    &spec::SPEC.version
}

/// Checks a JSON value against a Bot API type of the embedded description (`Message`, `User`,
/// `ChatMember`, …): the same check requests' object parameters go through. `Err` says what is wrong.
pub fn check_type(type_name: &str, value: &serde_json::Value) -> Result<(), String> {
    if !spec::SPEC.has_type(type_name) {
        return Err(format!("the Bot API has no type {type_name}"));
    }
    spec::SPEC.check_object(type_name, value)
}

/// Every method name the embedded Bot API description has.
pub fn spec_methods() -> Vec<&'static str> {
    let mut names: Vec<&'static str> = spec::SPEC.method_names().collect();
    names.sort_unstable();
    names
}

/// Runs the simulator alone on `addr` with these `(token, username)` bots registered, until it stops
/// (for `dvorik sim --simulator-only`; more bots can be registered through `POST /_sim/bots`).
pub async fn serve_forever(addr: SocketAddr, bots: &[(&str, &str)]) -> io::Result<()> {
    let sim = Simulator::start(addr).await?;
    for (token, username) in bots {
        sim.add_bot(token, username)
            .map_err(|e| io::Error::new(io::ErrorKind::InvalidInput, e.to_string()))?;
    }
    sim.stopped().await;
    Ok(())
}
