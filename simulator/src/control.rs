//! The control API under `/_sim/`: plain HTTP + JSON over the same operations as `Simulator`.
//! Every route is documented, with curl examples, in `simulator/README.md`.

use std::time::Duration;

use axum::Json;
use axum::Router;
use axum::body::Body;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{delete, get, post, put};
use base64::Engine;
use serde::Deserialize;
use serde_json::json;

use crate::handle::Simulator;
use crate::model::{Fault, SimError, SimUser};

/// Longest wait `/next` honours.
const MAX_WAIT: Duration = Duration::from_secs(120);

pub(crate) fn routes<S>(sim: Simulator) -> Router<S> {
    Router::new()
        .route("/bots", post(add_bot).get(list_bots))
        .route("/bots/{token}/text", post(text))
        .route("/bots/{token}/contact", post(contact))
        .route("/bots/{token}/photo", post(photo))
        .route("/bots/{token}/press", post(press))
        .route("/bots/{token}/redeliver", post(redeliver))
        .route("/bots/{token}/chats", get(chats))
        .route("/bots/{token}/chats/{chat_id}", get(transcript))
        .route("/bots/{token}/chats/{chat_id}/next", get(next))
        .route("/members", put(set_member))
        .route(
            "/faults",
            get(list_faults).post(add_fault).delete(clear_faults),
        )
        .route("/faults/{id}", delete(remove_fault))
        .route("/violations", get(violations).delete(clear_violations))
        .route("/counters", get(counters))
        .route("/files/{file_id}", get(file))
        .with_state(sim)
}

struct ControlError(StatusCode, String);

impl From<SimError> for ControlError {
    fn from(e: SimError) -> Self {
        let status = match e {
            SimError::UnknownBot | SimError::UnknownMessage { .. } | SimError::UnknownUpdate(_) => {
                StatusCode::NOT_FOUND
            }
            SimError::Io(_) => StatusCode::INTERNAL_SERVER_ERROR,
            _ => StatusCode::BAD_REQUEST,
        };
        Self(status, e.to_string())
    }
}

impl IntoResponse for ControlError {
    fn into_response(self) -> Response {
        (self.0, Json(json!({ "error": self.1 }))).into_response()
    }
}

type Reply = Result<Response, ControlError>;

fn ok(value: impl serde::Serialize) -> Reply {
    Ok(Json(value).into_response())
}

#[derive(Deserialize)]
struct NewBot {
    token: String,
    username: String,
}

async fn add_bot(State(sim): State<Simulator>, Json(b): Json<NewBot>) -> Reply {
    ok(sim.add_bot(&b.token, &b.username)?)
}

async fn list_bots(State(sim): State<Simulator>) -> Reply {
    ok(sim.bots())
}

#[derive(Deserialize)]
struct TextBody {
    user: SimUser,
    text: String,
}

async fn text(
    State(sim): State<Simulator>,
    Path(token): Path<String>,
    Json(b): Json<TextBody>,
) -> Reply {
    ok(sim.send_text(&token, &b.user, &b.text)?)
}

#[derive(Deserialize)]
struct ContactBody {
    user: SimUser,
    phone_number: String,
    #[serde(default)]
    contact_user_id: Option<i64>,
}

async fn contact(
    State(sim): State<Simulator>,
    Path(token): Path<String>,
    Json(b): Json<ContactBody>,
) -> Reply {
    ok(sim.send_contact(&token, &b.user, &b.phone_number, b.contact_user_id)?)
}

#[derive(Deserialize)]
struct PhotoBody {
    user: SimUser,
    /// PNG or JPEG bytes, standard base64.
    base64: String,
    #[serde(default)]
    caption: Option<String>,
}

async fn photo(
    State(sim): State<Simulator>,
    Path(token): Path<String>,
    Json(b): Json<PhotoBody>,
) -> Reply {
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(b.base64.trim())
        .map_err(|e| ControlError(StatusCode::BAD_REQUEST, format!("base64: {e}")))?;
    ok(sim.send_photo(&token, &b.user, bytes, b.caption.as_deref())?)
}

#[derive(Deserialize)]
struct PressBody {
    user: SimUser,
    message_id: i64,
    data: String,
    /// Send the callback even if no button carries this data (a forged callback).
    #[serde(default)]
    force: bool,
}

async fn press(
    State(sim): State<Simulator>,
    Path(token): Path<String>,
    Json(b): Json<PressBody>,
) -> Reply {
    let injected = if b.force {
        sim.press_button_unchecked(&token, &b.user, b.message_id, &b.data)?
    } else {
        sim.press_button(&token, &b.user, b.message_id, &b.data)?
    };
    ok(injected)
}

#[derive(Deserialize)]
struct RedeliverBody {
    update_id: i64,
}

async fn redeliver(
    State(sim): State<Simulator>,
    Path(token): Path<String>,
    Json(b): Json<RedeliverBody>,
) -> Reply {
    sim.redeliver(&token, b.update_id)?;
    ok(json!({ "ok": true }))
}

async fn chats(State(sim): State<Simulator>, Path(token): Path<String>) -> Reply {
    ok(sim.chats(&token))
}

async fn transcript(
    State(sim): State<Simulator>,
    Path((token, chat_id)): Path<(String, i64)>,
) -> Reply {
    ok(sim.transcript(&token, chat_id))
}

#[derive(Deserialize)]
struct NextQuery {
    #[serde(default)]
    after: i64,
    #[serde(default = "default_timeout_ms")]
    timeout_ms: u64,
}

fn default_timeout_ms() -> u64 {
    10_000
}

async fn next(
    State(sim): State<Simulator>,
    Path((token, chat_id)): Path<(String, i64)>,
    Query(q): Query<NextQuery>,
) -> Reply {
    sim.bots()
        .iter()
        .find(|b| b.token == token)
        .ok_or(SimError::UnknownBot)?;
    let timeout = Duration::from_millis(q.timeout_ms).min(MAX_WAIT);
    match sim
        .next_bot_message(&token, chat_id, q.after, timeout)
        .await
    {
        Some(entry) => ok(entry),
        None => Ok(StatusCode::NO_CONTENT.into_response()),
    }
}

#[derive(Deserialize)]
struct MemberBody {
    channel: String,
    user_id: i64,
    member: bool,
}

async fn set_member(State(sim): State<Simulator>, Json(b): Json<MemberBody>) -> Reply {
    sim.set_member(&b.channel, b.user_id, b.member);
    ok(json!({ "ok": true }))
}

async fn list_faults(State(sim): State<Simulator>) -> Reply {
    let faults: Vec<_> = sim
        .faults()
        .into_iter()
        .map(|(id, f)| json!({ "id": id, "fault": f }))
        .collect();
    ok(faults)
}

async fn add_fault(State(sim): State<Simulator>, Json(f): Json<Fault>) -> Reply {
    ok(json!({ "id": sim.add_fault(f) }))
}

async fn clear_faults(State(sim): State<Simulator>) -> Reply {
    sim.clear_faults();
    ok(json!({ "ok": true }))
}

async fn remove_fault(State(sim): State<Simulator>, Path(id): Path<u64>) -> Reply {
    if sim.remove_fault(id) {
        ok(json!({ "ok": true }))
    } else {
        Err(ControlError(
            StatusCode::NOT_FOUND,
            format!("no fault {id}"),
        ))
    }
}

async fn violations(State(sim): State<Simulator>) -> Reply {
    ok(sim.violations())
}

async fn clear_violations(State(sim): State<Simulator>) -> Reply {
    sim.clear_violations();
    ok(json!({ "ok": true }))
}

async fn counters(State(sim): State<Simulator>) -> Reply {
    ok(sim.counters())
}

async fn file(State(sim): State<Simulator>, Path(file_id): Path<String>) -> Reply {
    match sim.file_bytes(&file_id) {
        Some(bytes) => Ok(Response::new(Body::from(bytes))),
        None => Err(ControlError(
            StatusCode::NOT_FOUND,
            format!("no file {file_id}"),
        )),
    }
}
