//! Webhook delivery: while a bot has a webhook, its updates are POSTed to the URL one at a time with
//! `X-Telegram-Bot-Api-Secret-Token`, confirmed by a 2xx answer and retried with backoff otherwise.
//! Only `http://` URLs are reachable (the simulator speaks no TLS); anything else is recorded as the
//! webhook's last error, as Telegram reports a failing webhook in getWebhookInfo.

use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

use bytes::Bytes;
use http_body_util::Full;
use hyper::client::conn::http1::SendRequest;
use hyper_util::rt::TokioIo;
use tokio::net::TcpStream;

use crate::state::{Inner, now};

const FIRST_BACKOFF: Duration = Duration::from_millis(50);
const MAX_BACKOFF: Duration = Duration::from_secs(2);

/// Starts delivering for the webhook set with `generation`; the task ends when the webhook changes.
pub(crate) fn spawn(inner: Arc<Inner>, token: String, generation: u64) {
    tokio::spawn(async move { deliver(inner, token, generation).await });
}

struct Target {
    url: String,
    secret: Option<String>,
}

async fn deliver(inner: Arc<Inner>, token: String, generation: u64) {
    let mut sender: Option<SendRequest<Full<Bytes>>> = None;
    let mut backoff = FIRST_BACKOFF;
    let Ok(notify) = inner.lock().bot(&token).map(|b| b.updates.clone()) else {
        return;
    };
    loop {
        let notified = notify.notified();
        tokio::pin!(notified);
        notified.as_mut().enable();
        let (target, next) = {
            let state = inner.lock();
            let Ok(bot) = state.bot(&token) else { return };
            let Some(webhook) = bot
                .webhook
                .as_ref()
                .filter(|_| bot.webhook_generation == generation)
            else {
                return;
            };
            if inner.stopping.load(Ordering::Relaxed) {
                return;
            }
            let target = Target {
                url: webhook.url.clone(),
                secret: webhook.secret.clone(),
            };
            (
                target,
                bot.pending.front().map(|p| (p.update_id, p.json.clone())),
            )
        };
        let Some((update_id, json)) = next else {
            tokio::select! {
                _ = &mut notified => {}
                _ = inner.stop.notified() => return,
            }
            continue;
        };
        match post(&mut sender, &target, json.as_bytes().to_vec()).await {
            Ok(()) => {
                backoff = FIRST_BACKOFF;
                let mut state = inner.lock();
                let Ok(bot) = state.bot_mut(&token) else {
                    return;
                };
                if let Some(i) = bot.pending.iter().position(|p| p.update_id == update_id) {
                    bot.pending.remove(i);
                }
                state.counters.updates_delivered += 1;
            }
            Err(message) => {
                sender = None;
                {
                    let mut state = inner.lock();
                    if let Ok(bot) = state.bot_mut(&token)
                        && let Some(w) = bot.webhook.as_mut()
                    {
                        w.last_error = Some((now(), message));
                    }
                }
                tokio::select! {
                    _ = tokio::time::sleep(backoff) => {}
                    _ = inner.stop.notified() => return,
                }
                backoff = (backoff * 2).min(MAX_BACKOFF);
            }
        }
    }
}

/// `(host:port, path)` of an http:// URL.
fn split_url(url: &str) -> Result<(String, String), String> {
    let rest = url
        .strip_prefix("http://")
        .ok_or_else(|| "only http:// webhooks are reachable from the simulator".to_owned())?;
    let (authority, path) = match rest.find('/') {
        Some(i) => (&rest[..i], &rest[i..]),
        None => (rest, "/"),
    };
    let authority = if authority.contains(':') {
        authority.to_owned()
    } else {
        format!("{authority}:80")
    };
    Ok((authority, path.to_owned()))
}

async fn post(
    sender: &mut Option<SendRequest<Full<Bytes>>>,
    target: &Target,
    body: Vec<u8>,
) -> Result<(), String> {
    let (authority, path) = split_url(&target.url)?;
    if sender.as_ref().is_none_or(|s| s.is_closed()) {
        let stream = TcpStream::connect(&authority)
            .await
            .map_err(|e| format!("Connection refused: {e}"))?;
        let (s, conn) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
            .await
            .map_err(|e| e.to_string())?;
        tokio::spawn(async move {
            let _closed = conn.await;
        });
        *sender = Some(s);
    }
    let Some(s) = sender.as_mut() else {
        return Err("no connection".into());
    };
    s.ready().await.map_err(|e| e.to_string())?;
    let mut request = hyper::Request::post(path)
        .header(hyper::header::HOST, authority)
        .header(hyper::header::CONTENT_TYPE, "application/json");
    if let Some(secret) = &target.secret {
        request = request.header("X-Telegram-Bot-Api-Secret-Token", secret);
    }
    let request = request
        .body(Full::new(Bytes::from(body)))
        .map_err(|e| e.to_string())?;
    let response = s.send_request(request).await.map_err(|e| e.to_string())?;
    let status = response.status();
    // Drain the body so the connection can be reused.
    let _ = http_body_util::BodyExt::collect(response.into_body()).await;
    if status.is_success() {
        Ok(())
    } else {
        Err(format!("Wrong response from the webhook: {status}"))
    }
}
