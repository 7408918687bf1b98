//! Shared helpers of the simulator's tests: a started simulator with one bot, raw Bot API calls.

#![allow(dead_code)]

use std::time::Duration;

use dvorik_sim::{SimUser, Simulator};
use serde_json::Value;

pub const TOKEN: &str = "5550001:TEST-token";
pub const BOT_USERNAME: &str = "sim_test_bot";
pub const WAIT: Duration = Duration::from_secs(20);

/// A simulator on a free port with the test bot registered.
pub async fn start() -> Simulator {
    let sim = Simulator::start("127.0.0.1:0".parse().expect("address"))
        .await
        .expect("simulator starts");
    sim.add_bot(TOKEN, BOT_USERNAME).expect("bot registers");
    sim
}

pub fn user(id: i64) -> SimUser {
    SimUser::new(id, format!("User{id}"))
        .username(format!("user{id}"))
        .language("en")
}

/// POSTs a JSON body to a Bot API method; returns the HTTP status and the answer.
pub async fn call(sim: &Simulator, method: &str, body: Value) -> (u16, Value) {
    let url = format!("{}bot{TOKEN}/{method}", sim.api_url());
    let resp = reqwest::Client::new()
        .post(url)
        .json(&body)
        .send()
        .await
        .expect("request is sent");
    let status = resp.status().as_u16();
    (status, resp.json().await.expect("answer is JSON"))
}

/// A valid 3×2 PNG (8-bit RGB), enough for the simulator's and Telegram's image checks.
pub fn tiny_png() -> Vec<u8> {
    let mut png = b"\x89PNG\r\n\x1a\n".to_vec();
    png.extend_from_slice(&13u32.to_be_bytes());
    png.extend_from_slice(b"IHDR");
    png.extend_from_slice(&3u32.to_be_bytes());
    png.extend_from_slice(&2u32.to_be_bytes());
    png.extend_from_slice(&[8, 2, 0, 0, 0]);
    png.extend_from_slice(&[0u8; 4]); // CRC, not checked by the simulator
    png.extend_from_slice(b"\x00\x00\x00\x00IEND\xaeB`\x82");
    png
}
