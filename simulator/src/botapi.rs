//! The Bot API endpoint: `/bot<token>/<method>` and `/file/bot<token>/<file_path>`.
//!
//! Every request: known token (else 401), spec check (else 400 + violation), implemented method (else
//! 400 + violation "unsupported"), injected faults, then the method itself.

use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};
use tokio::time::Instant;

use crate::methods::{self, ApiError, IMPLEMENTED};
use crate::model::FaultKind;
use crate::params::{self, Args};
use crate::spec::SPEC;
use crate::state::{Inner, State as SimState};

/// Longest long poll honoured, in seconds.
const MAX_POLL_SECONDS: i64 = 60;

pub(crate) async fn handle(State(inner): State<Arc<Inner>>, req: Request) -> Response {
    // teloxide builds download URLs with `path_segments_mut`: an extra `/` after the base URL's own,
    // and the file path's `/` escaped as %2F.
    let path = req.uri().path();
    let trimmed = path.trim_start_matches('/');
    if let Some(rest) = trimmed.strip_prefix("file/bot") {
        return download(&inner, &percent_decode(rest));
    }
    let Some((token, method)) = trimmed.strip_prefix("bot").and_then(|r| r.split_once('/')) else {
        return error_response(&ApiError::new(404, "Not Found"));
    };
    let (token, method) = (token.to_owned(), method.to_owned());
    match api(&inner, &token, &method, req).await {
        Ok(resp) => resp,
        Err(e) => error_response(&e),
    }
}

async fn api(
    inner: &Arc<Inner>,
    token: &str,
    method_name: &str,
    req: Request,
) -> Result<Response, ApiError> {
    let bot_name = {
        let state = inner.lock();
        state
            .bots
            .get(token)
            .map(|b| b.info.username.clone())
            .ok_or_else(ApiError::unauthorized)?
    };
    let Some(method) = SPEC.method(method_name) else {
        let mut state = inner.lock();
        state.count_request(method_name);
        let reason = format!("unknown method {method_name}");
        state.record_violation(&bot_name, method_name, None, reason.clone());
        return Err(ApiError::bad(format!("Bad Request: {reason}")));
    };
    let raw = match params::read(req).await {
        Ok(raw) => raw,
        Err(reason) => {
            inner
                .lock()
                .record_violation(&bot_name, &method.name, None, reason.clone());
            return Err(ApiError::bad(format!("Bad Request: {reason}")));
        }
    };
    tracing::debug!(bot = %bot_name, method = %method.name, params = ?raw.iter().map(|(k, _)| k.as_str()).collect::<Vec<_>>(), "Bot API request");
    let (args, problems) = params::check(method, raw);
    let name = method.name.as_str();
    let (latency, fault) = {
        let mut state = inner.lock();
        state.count_request(name);
        if let Some(first) = problems.first() {
            let description = format!("Bad Request: {}", first.reason);
            for p in problems {
                state.record_violation(&bot_name, name, p.parameter, p.reason);
            }
            return Err(ApiError::bad(description));
        }
        if !IMPLEMENTED.contains(&name) {
            let reason = format!("unsupported: the simulator does not implement {name}");
            state.record_violation(&bot_name, name, None, reason.clone());
            return Err(ApiError::bad(format!("Bad Request: {reason}")));
        }
        take_faults(&mut state, token, name, &args)
    };
    if latency > 0 {
        tokio::time::sleep(Duration::from_millis(latency)).await;
    }
    if let Some(fault) = fault {
        return Err(fault);
    }
    if name == "getUpdates" {
        return get_updates(inner, token, &args).await;
    }
    let mut state = inner.lock();
    let result = methods::call(&mut state, token, name, args);
    match result {
        Ok(value) => {
            if name == "setWebhook"
                && value == Value::Bool(true)
                && let Some(generation) = state
                    .bots
                    .get(token)
                    .filter(|b| b.webhook.is_some())
                    .map(|b| b.webhook_generation)
            {
                drop(state);
                crate::webhook::spawn(inner.clone(), token.to_owned(), generation);
            }
            Ok(ok_response(&value))
        }
        Err(e) => {
            if let Some(parameter) = &e.violation {
                let parameter = Some(parameter.clone()).filter(|p| !p.is_empty());
                state.record_violation(&bot_name, name, parameter, e.description.clone());
            }
            Err(e)
        }
    }
}

/// The faults that hit this request: summed latency, and the first error fault.
fn take_faults(
    state: &mut SimState,
    token: &str,
    method: &str,
    args: &Args,
) -> (u64, Option<ApiError>) {
    if state.faults.is_empty() {
        return (0, None);
    }
    let chat_id = args.get("chat_id").and_then(|v| {
        v.as_i64()
            .or_else(|| v.as_str().and_then(|s| s.parse().ok()))
    });
    let mut latency = 0;
    let mut error = None;
    for (_, fault) in state.faults.iter_mut() {
        let hits = fault.bot.as_deref().is_none_or(|b| b == token)
            && fault
                .method
                .as_deref()
                .is_none_or(|m| m.eq_ignore_ascii_case(method))
            && fault.chat_id.is_none_or(|c| Some(c) == chat_id)
            && fault.count != Some(0);
        if !hits {
            continue;
        }
        let is_latency = matches!(fault.kind, FaultKind::Latency { .. });
        if !is_latency && error.is_some() {
            continue;
        }
        if let Some(n) = fault.count.as_mut() {
            *n -= 1;
        }
        error = match fault.kind {
            FaultKind::Latency { ms } => {
                latency += ms;
                error
            }
            FaultKind::TooManyRequests { retry_after } => Some(ApiError {
                retry_after: Some(retry_after),
                ..ApiError::new(429, format!("Too Many Requests: retry after {retry_after}"))
            }),
            FaultKind::Blocked => {
                Some(ApiError::new(403, "Forbidden: bot was blocked by the user"))
            }
            FaultKind::Deactivated => Some(ApiError::new(403, "Forbidden: user is deactivated")),
            FaultKind::ChatNotFound => Some(ApiError::bad("Bad Request: chat not found")),
            FaultKind::ServerError { status } => {
                let description = if status == 502 {
                    "Bad Gateway"
                } else {
                    "Internal Server Error"
                };
                Some(ApiError::new(status, description))
            }
        };
    }
    state.faults.retain(|(_, f)| f.count != Some(0));
    (latency, error)
}

async fn get_updates(inner: &Arc<Inner>, token: &str, args: &Args) -> Result<Response, ApiError> {
    let offset = args.i64("offset").unwrap_or(0);
    let limit = args.i64("limit").unwrap_or(100).clamp(1, 100) as usize;
    let timeout = args.i64("timeout").unwrap_or(0).clamp(0, MAX_POLL_SECONDS);
    let deadline = Instant::now() + Duration::from_secs(timeout as u64);
    let notify = inner
        .lock()
        .bot(token)
        .map_err(|_| ApiError::unauthorized())?
        .updates
        .clone();
    let mut first = true;
    loop {
        let notified = notify.notified();
        tokio::pin!(notified);
        notified.as_mut().enable();
        {
            let mut state = inner.lock();
            let bot = state.bot_mut(token).map_err(|_| ApiError::unauthorized())?;
            if bot.webhook.is_some() {
                return Err(ApiError::new(
                    409,
                    "Conflict: can't use getUpdates method while webhook is active; use deleteWebhook to delete the webhook first",
                ));
            }
            if first {
                confirm(&mut bot.pending, offset);
                if let Some(list) = args.get("allowed_updates").and_then(Value::as_array) {
                    bot.allowed_updates = Some(
                        list.iter()
                            .filter_map(Value::as_str)
                            .map(str::to_owned)
                            .collect(),
                    );
                }
                first = false;
            }
            if !bot.pending.is_empty()
                || Instant::now() >= deadline
                || inner.stopping.load(Ordering::Relaxed)
            {
                let n = bot.pending.len().min(limit);
                let mut body = String::with_capacity(
                    32 + bot
                        .pending
                        .iter()
                        .take(n)
                        .map(|p| p.json.len() + 1)
                        .sum::<usize>(),
                );
                body.push_str(r#"{"ok":true,"result":["#);
                for (i, p) in bot.pending.iter_mut().take(n).enumerate() {
                    if i > 0 {
                        body.push(',');
                    }
                    body.push_str(&p.json);
                    p.held = false;
                }
                body.push_str("]}");
                state.counters.updates_delivered += n as u64;
                return Ok(json_response(StatusCode::OK, body));
            }
        }
        tokio::select! {
            _ = &mut notified => {}
            _ = tokio::time::sleep_until(deadline) => {}
            _ = inner.stop.notified() => {}
        }
    }
}

/// Drops what `offset` confirms; a negative offset keeps only the last `-offset` updates.
fn confirm(pending: &mut std::collections::VecDeque<crate::state::Pending>, offset: i64) {
    if offset > 0 {
        pending.retain(|p| p.held || p.update_id >= offset);
    } else if offset < 0 {
        let keep = offset.unsigned_abs() as usize;
        while pending.len() > keep {
            pending.pop_front();
        }
    }
}

fn download(inner: &Inner, rest: &str) -> Response {
    let Some((token, path)) = rest.split_once('/') else {
        return error_response(&ApiError::new(404, "Not Found"));
    };
    let state = inner.lock();
    let Ok(bot) = state.bot(token) else {
        return error_response(&ApiError::unauthorized());
    };
    let file = state
        .file_paths
        .get(path)
        .and_then(|id| state.files.get(id))
        .filter(|f| f.owner == bot.info.id);
    let Some(file) = file else {
        return error_response(&ApiError::new(404, "Not Found"));
    };
    let mime = file
        .mime
        .clone()
        .unwrap_or_else(|| "application/octet-stream".into());
    let mut resp = Response::new(Body::from(file.bytes.clone()));
    if let Ok(v) = HeaderValue::from_str(&mime) {
        resp.headers_mut().insert(header::CONTENT_TYPE, v);
    }
    resp
}

fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = |b: u8| (b as char).to_digit(16);
        match (
            bytes[i],
            bytes.get(i + 1).copied().and_then(hex),
            bytes.get(i + 2).copied().and_then(hex),
        ) {
            (b'%', Some(hi), Some(lo)) => {
                out.push((hi * 16 + lo) as u8);
                i += 3;
            }
            (b, _, _) => {
                out.push(b);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn json_response(status: StatusCode, body: String) -> Response {
    let mut resp = (status, body).into_response();
    resp.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    resp
}

pub(crate) fn ok_response(result: &Value) -> Response {
    let body = json!({ "ok": true, "result": result }).to_string();
    json_response(StatusCode::OK, body)
}

pub(crate) fn error_response(e: &ApiError) -> Response {
    let mut body = json!({ "ok": false, "error_code": e.code, "description": e.description });
    if let Some(retry_after) = e.retry_after {
        body["parameters"] = json!({ "retry_after": retry_after });
    }
    let status = StatusCode::from_u16(e.code).unwrap_or(StatusCode::BAD_REQUEST);
    json_response(status, body.to_string())
}
