//! Webhook mode: Telegram posts updates to `/telegram/client` and `/telegram/staff` on the HTTP
//! server, with the secret token in `X-Telegram-Bot-Api-Secret-Token` (compared in constant time).
//! Each accepted update goes to its bot's dispatcher through a channel.

use axum::Router;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::routing::post;
use dvorik::secret::{Secret, constant_time_eq};
use futures::StreamExt;
use futures::stream::TakeUntil;
use teloxide::stop::{StopFlag, StopToken, mk_stop_token};
use teloxide::types::Update;
use teloxide::update_listeners::{StatefulListener, UpdateListener};
use tokio::sync::mpsc;
use tokio_stream::wrappers::UnboundedReceiverStream;

use crate::run::{NoError, UpdateSender};

/// The header Telegram sends the secret in.
pub const SECRET_HEADER: &str = "X-Telegram-Bot-Api-Secret-Token";

#[derive(Clone)]
pub struct WebhookSenders {
    pub client: UpdateSender,
    pub staff: UpdateSender,
    pub secret: Secret<String>,
}

type Updates = TakeUntil<UnboundedReceiverStream<Result<Update, NoError>>, StopFlag>;

/// A channel's sending side and an update listener over its receiving side. Stopping the listener
/// (the dispatcher's shutdown) ends its stream even while the HTTP server still holds the sender.
pub fn listener() -> (UpdateSender, impl UpdateListener<Err = NoError> + Send) {
    let (tx, rx) = mpsc::unbounded_channel();
    let (stop_token, stop_flag) = mk_stop_token();
    let updates: Updates = UnboundedReceiverStream::new(rx).take_until(stop_flag);
    let listener = StatefulListener::new(
        (updates, stop_token),
        first_mut,
        |state: &mut (Updates, StopToken)| state.1.clone(),
    );
    (tx, listener)
}

fn first_mut<A, B>(pair: &mut (A, B)) -> &mut A {
    &mut pair.0
}

/// `POST /telegram/{bot}`.
pub fn routes(senders: WebhookSenders) -> Router {
    Router::new()
        .route("/telegram/{bot}", post(receive))
        .with_state(senders)
}

async fn receive(
    State(senders): State<WebhookSenders>,
    Path(bot): Path<String>,
    headers: HeaderMap,
    body: String,
) -> StatusCode {
    let given = headers
        .get(SECRET_HEADER)
        .map(|v| v.as_bytes())
        .unwrap_or_default();
    if !constant_time_eq(given, senders.secret.expose().as_bytes()) {
        return StatusCode::UNAUTHORIZED;
    }
    let sender = match bot.as_str() {
        crate::client::NAME => &senders.client,
        crate::staff::NAME => &senders.staff,
        _ => return StatusCode::NOT_FOUND,
    };
    let update: Update = match serde_json::from_str(&body) {
        Ok(update) => update,
        Err(error) => {
            tracing::warn!(%error, "a webhook body is not an update");
            return StatusCode::BAD_REQUEST;
        }
    };
    if sender.send(Ok(update)).is_err() {
        return StatusCode::SERVICE_UNAVAILABLE;
    }
    StatusCode::OK
}
