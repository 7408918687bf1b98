//! Broadcasts: a message (a text per language in Telegram's HTML subset, optional photo or video, URL
//! buttons) to a segment or to every subscriber, sent by the delivery engine ([`crate::broadcast`]) at
//! the global pace. This module is what an admin does with one: create and edit while a draft, attach
//! media, schedule in the shop time zone or start now, pause, resume, cancel; [`progress`] says how far
//! it got.
//!
//! Every state change is a conditional `UPDATE … WHERE state IN (…)` checked by rows affected, so two
//! admins (or an admin and the due-broadcasts job) cannot both start the same broadcast.

pub mod progress;
pub mod test_send;

use std::path::{Path, PathBuf};

use chrono::{DateTime, NaiveDateTime, TimeZone, Utc};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder,
    QuerySelect, Set,
};
use serde::{Deserialize, Serialize};

pub use self::progress::{Failure, Progress};
pub use self::test_send::test_send;
use super::audit::{self, Actor, Entry};
use super::message_templates::MessageContent;
use super::paging::{self, Page, PageRequest};
use crate::broadcast::pacer::MAX_PER_MINUTE;
use crate::entity::broadcasts::{self, BroadcastState, Entity as Broadcasts};
use crate::entity::segments::Entity as Segments;
use crate::error::{Error, FieldError, Result};

/// What an admin fills in to create or change a broadcast.
#[derive(Debug, Clone, Deserialize)]
pub struct BroadcastInput {
    pub name: String,
    /// The audience; `None` is every subscriber.
    pub segment_id: Option<i64>,
    /// Start from a saved message template (its content is copied) instead of `content`.
    pub message_template_id: Option<i64>,
    pub content: Option<MessageContent>,
    /// Messages per minute for this broadcast (1 to 1800); `None` is the deployment's rate.
    pub rate_per_minute: Option<u32>,
}

/// A broadcast with its content parsed.
#[derive(Debug, Clone, Serialize)]
pub struct Broadcast {
    pub id: i64,
    pub name: String,
    pub segment_id: Option<i64>,
    pub content: MessageContent,
    /// `photo` or `video` when a file was uploaded for it.
    pub media_kind: Option<String>,
    /// Whether Telegram already has the uploaded file (then it is sent by its `file_id`).
    pub media_uploaded: bool,
    pub state: BroadcastState,
    pub scheduled_at: Option<DateTime<Utc>>,
    pub started_at: Option<DateTime<Utc>>,
    pub finished_at: Option<DateTime<Utc>>,
    pub rate_per_minute: Option<u32>,
    pub materialized: bool,
    pub created_by_admin_id: Option<i64>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl TryFrom<broadcasts::Model> for Broadcast {
    type Error = Error;

    fn try_from(row: broadcasts::Model) -> Result<Self> {
        let content = serde_json::from_str(&row.content)
            .map_err(|e| Error::Internal(format!("broadcast {} is unreadable: {e}", row.id)))?;
        Ok(Self {
            id: row.id,
            name: row.name,
            segment_id: row.segment_id,
            content,
            media_kind: row.media_kind,
            media_uploaded: row.media_file_id.is_some(),
            state: row.state,
            scheduled_at: row.scheduled_at,
            started_at: row.started_at,
            finished_at: row.finished_at,
            rate_per_minute: row.rate_per_minute.and_then(|r| u32::try_from(r).ok()),
            materialized: row.materialized,
            created_by_admin_id: row.created_by_admin_id,
            created_at: row.created_at,
            updated_at: row.updated_at,
        })
    }
}

/// When to start a scheduled broadcast: an instant, or a wall-clock time in the shop's time zone.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StartAt {
    Instant(DateTime<Utc>),
    Local(NaiveDateTime),
}

impl StartAt {
    /// The instant this names in `tz`. A local time that does not exist (a DST gap) is refused; an
    /// ambiguous one takes the earlier instant.
    pub fn resolve(self, tz: chrono_tz::Tz) -> Result<DateTime<Utc>> {
        match self {
            Self::Instant(at) => Ok(crate::clock::truncate(at)),
            Self::Local(local) => tz
                .from_local_datetime(&local)
                .earliest()
                .map(|at| crate::clock::truncate(at.with_timezone(&Utc)))
                .ok_or_else(|| Error::invalid("send_at_local", "nonexistent_local_time")),
        }
    }
}

async fn checked(db: &impl ConnectionTrait, input: &BroadcastInput) -> Result<(String, String)> {
    let mut errors: Vec<FieldError> = Vec::new();
    let name = match super::clean_text(&input.name, "name", 255) {
        Ok(name) => name,
        Err(Error::Validation(mut e)) => {
            errors.append(&mut e);
            String::new()
        }
        Err(e) => return Err(e),
    };
    if let Some(rate) = input.rate_per_minute
        && !(1..=MAX_PER_MINUTE).contains(&rate)
    {
        errors.push(FieldError {
            field: "rate_per_minute".into(),
            reason: "out_of_range".into(),
        });
    }
    let content = match (&input.content, input.message_template_id) {
        (Some(content), None) => match content.validate() {
            Ok(()) => Some(content.clone()),
            Err(Error::Validation(e)) => {
                errors.extend(e.into_iter().map(|f| FieldError {
                    field: format!("content.{}", f.field),
                    reason: f.reason,
                }));
                None
            }
            Err(e) => return Err(e),
        },
        (None, Some(template)) => Some(super::message_templates::get(db, template).await?.content),
        _ => {
            errors.push(FieldError {
                field: "content".into(),
                reason: "content_or_message_template_id".into(),
            });
            None
        }
    };
    if let Some(segment) = input.segment_id
        && Segments::find_by_id(segment).one(db).await?.is_none()
    {
        return Err(Error::SegmentNotFound);
    }
    if !errors.is_empty() {
        return Err(Error::Validation(errors));
    }
    let content = serde_json::to_string(&content)
        .map_err(|e| Error::Internal(format!("cannot store broadcast content: {e}")))?;
    Ok((name, content))
}

/// A new draft.
pub async fn create(
    db: &impl ConnectionTrait,
    input: &BroadcastInput,
    actor: Actor,
    now: DateTime<Utc>,
) -> Result<Broadcast> {
    let (name, content) = checked(db, input).await?;
    let row = broadcasts::ActiveModel {
        name: Set(name),
        segment_id: Set(input.segment_id),
        content: Set(content),
        state: Set(BroadcastState::Draft),
        rate_per_minute: Set(input.rate_per_minute.map(|r| r as i32)),
        materialized_up_to: Set(0),
        materialized: Set(false),
        created_by_admin_id: Set(actor.id),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    }
    .insert(db)
    .await?;
    let broadcast = Broadcast::try_from(row)?;
    let entry = Entry::new(actor, "broadcast.create", "broadcast", broadcast.id)
        .change(None::<&()>, Some(&broadcast));
    audit::record(db, entry, now).await?;
    Ok(broadcast)
}

/// Changes a draft (name, audience, content, rate); anything past draft is refused.
pub async fn update(
    db: &impl ConnectionTrait,
    id: i64,
    input: &BroadcastInput,
    actor: Actor,
    now: DateTime<Utc>,
) -> Result<Broadcast> {
    let (name, content) = checked(db, input).await?;
    let before = get(db, id).await?;
    let result = Broadcasts::update_many()
        .col_expr(broadcasts::Column::Name, Expr::value(name))
        .col_expr(broadcasts::Column::SegmentId, Expr::value(input.segment_id))
        .col_expr(broadcasts::Column::Content, Expr::value(content))
        .col_expr(
            broadcasts::Column::RatePerMinute,
            Expr::value(input.rate_per_minute.map(|r| r as i32)),
        )
        .col_expr(broadcasts::Column::UpdatedAt, Expr::value(now))
        .filter(broadcasts::Column::Id.eq(id))
        .filter(broadcasts::Column::State.eq(BroadcastState::Draft))
        .exec(db)
        .await?;
    if result.rows_affected == 0 {
        return Err(Error::BroadcastNotDraft);
    }
    let after = get(db, id).await?;
    let entry =
        Entry::new(actor, "broadcast.update", "broadcast", id).change(Some(&before), Some(&after));
    audit::record(db, entry, now).await?;
    Ok(after)
}

pub async fn get(db: &impl ConnectionTrait, id: i64) -> Result<Broadcast> {
    row(db, id).await?.try_into()
}

pub(crate) async fn row(db: &impl ConnectionTrait, id: i64) -> Result<broadcasts::Model> {
    Broadcasts::find_by_id(id)
        .one(db)
        .await?
        .ok_or(Error::BroadcastNotFound)
}

/// Broadcasts by id (the request's direction), optionally in one state.
pub async fn list(
    db: &impl ConnectionTrait,
    state: Option<BroadcastState>,
    page: &PageRequest,
) -> Result<Page<Broadcast>> {
    let mut query = Broadcasts::find();
    if let Some(state) = state {
        query = query.filter(broadcasts::Column::State.eq(state));
    }
    paging::fetch(db, query, broadcasts::Column::Id, page, |b| b.id)
        .await?
        .try_map(Broadcast::try_from)
}

/// The media kinds a broadcast may carry, from the uploaded file's content type.
pub fn media_kind_of(content_type: &str) -> Option<(&'static str, &'static str)> {
    match content_type
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase()
        .as_str()
    {
        "image/jpeg" => Some(("photo", "jpg")),
        "image/png" => Some(("photo", "png")),
        "video/mp4" => Some(("video", "mp4")),
        _ => None,
    }
}

/// The largest photo Telegram takes by upload (10 MB); videos may be up to 50 MB.
pub const MAX_PHOTO_BYTES: usize = 10 * 1024 * 1024;
pub const MAX_VIDEO_BYTES: usize = 50 * 1024 * 1024;

/// Attaches a photo or video to a draft: the file is kept under `dir` and uploaded to Telegram once, by
/// the first delivery; every later one sends Telegram's `file_id`. Replaces media given in the content.
pub async fn attach_media(
    db: &impl ConnectionTrait,
    dir: &Path,
    id: i64,
    content_type: &str,
    bytes: &[u8],
    actor: Actor,
    now: DateTime<Utc>,
) -> Result<Broadcast> {
    let Some((kind, ext)) = media_kind_of(content_type) else {
        return Err(Error::invalid("media", "unsupported_type"));
    };
    let max = if kind == "photo" {
        MAX_PHOTO_BYTES
    } else {
        MAX_VIDEO_BYTES
    };
    if bytes.is_empty() {
        return Err(Error::invalid("media", "required"));
    }
    if bytes.len() > max {
        return Err(Error::invalid("media", "too_large"));
    }
    let before = get(db, id).await?;
    if before.state != BroadcastState::Draft {
        return Err(Error::BroadcastNotDraft);
    }
    let path: PathBuf = dir.join(format!(
        "broadcast-{id}-{}.{ext}",
        uuid::Uuid::new_v4().simple()
    ));
    tokio::fs::create_dir_all(dir)
        .await
        .map_err(|e| Error::Internal(format!("cannot create the media folder: {e}")))?;
    tokio::fs::write(&path, bytes)
        .await
        .map_err(|e| Error::Internal(format!("cannot store the media file: {e}")))?;
    let result = Broadcasts::update_many()
        .col_expr(broadcasts::Column::MediaKind, Expr::value(kind))
        .col_expr(
            broadcasts::Column::MediaPath,
            Expr::value(path.display().to_string()),
        )
        .col_expr(
            broadcasts::Column::MediaFileId,
            Expr::value(Option::<String>::None),
        )
        .col_expr(broadcasts::Column::UpdatedAt, Expr::value(now))
        .filter(broadcasts::Column::Id.eq(id))
        .filter(broadcasts::Column::State.eq(BroadcastState::Draft))
        .exec(db)
        .await?;
    if result.rows_affected == 0 {
        let _ = tokio::fs::remove_file(&path).await;
        return Err(Error::BroadcastNotDraft);
    }
    let after = get(db, id).await?;
    let entry =
        Entry::new(actor, "broadcast.media", "broadcast", id).change(Some(&before), Some(&after));
    audit::record(db, entry, now).await?;
    Ok(after)
}

/// A lifecycle step an admin (or the due-broadcasts job) asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Transition {
    /// draft → scheduled, at a time.
    Schedule(DateTime<Utc>),
    /// draft or scheduled → running now.
    Start,
    /// running → paused.
    Pause,
    /// paused → running.
    Resume,
    /// draft, scheduled, running or paused → cancelled.
    Cancel,
}

impl Transition {
    fn sources(self) -> &'static [BroadcastState] {
        use BroadcastState::*;
        match self {
            Self::Schedule(_) => &[Draft, Scheduled],
            Self::Start => &[Draft, Scheduled],
            Self::Pause => &[Running],
            Self::Resume => &[Paused],
            Self::Cancel => &[Draft, Scheduled, Running, Paused],
        }
    }

    fn to_state(self) -> BroadcastState {
        match self {
            Self::Schedule(_) => BroadcastState::Scheduled,
            Self::Start | Self::Resume => BroadcastState::Running,
            Self::Pause => BroadcastState::Paused,
            Self::Cancel => BroadcastState::Cancelled,
        }
    }

    fn action(self) -> &'static str {
        match self {
            Self::Schedule(_) => "broadcast.schedule",
            Self::Start => "broadcast.start",
            Self::Pause => "broadcast.pause",
            Self::Resume => "broadcast.resume",
            Self::Cancel => "broadcast.cancel",
        }
    }
}

/// Moves a broadcast through its lifecycle by one conditional update; `BROADCAST_STATE_CONFLICT` when
/// it is not in a state the step starts from (already started, finished, cancelled…).
pub async fn transition(
    db: &impl ConnectionTrait,
    id: i64,
    step: Transition,
    actor: Actor,
    now: DateTime<Utc>,
) -> Result<Broadcast> {
    let before = get(db, id).await?;
    if let Transition::Schedule(at) = step
        && at <= now
    {
        return Err(Error::invalid("send_at", "in_the_past"));
    }
    let mut update = Broadcasts::update_many()
        .col_expr(broadcasts::Column::State, Expr::value(step.to_state()))
        .col_expr(broadcasts::Column::UpdatedAt, Expr::value(now));
    update = match step {
        Transition::Schedule(at) => {
            update.col_expr(broadcasts::Column::ScheduledAt, Expr::value(at))
        }
        Transition::Start => update.col_expr(broadcasts::Column::StartedAt, Expr::value(now)),
        Transition::Cancel => update.col_expr(broadcasts::Column::FinishedAt, Expr::value(now)),
        Transition::Pause | Transition::Resume => update,
    };
    let result = update
        .filter(broadcasts::Column::Id.eq(id))
        .filter(broadcasts::Column::State.is_in(step.sources().iter().copied()))
        .exec(db)
        .await?;
    if result.rows_affected == 0 {
        return Err(Error::BroadcastStateConflict);
    }
    let after = get(db, id).await?;
    let entry =
        Entry::new(actor, step.action(), "broadcast", id).change(Some(&before), Some(&after));
    audit::record(db, entry, now).await?;
    Ok(after)
}

/// Starts every scheduled broadcast whose time has come (the due-broadcasts job): each is started once,
/// by whichever instance's conditional update wins. The ids started.
pub async fn start_due(db: &impl ConnectionTrait, now: DateTime<Utc>) -> Result<Vec<i64>> {
    let due: Vec<i64> = Broadcasts::find()
        .select_only()
        .column(broadcasts::Column::Id)
        .filter(broadcasts::Column::State.eq(BroadcastState::Scheduled))
        .filter(broadcasts::Column::ScheduledAt.lte(now))
        .order_by_asc(broadcasts::Column::Id)
        .into_tuple()
        .all(db)
        .await?;
    let mut started = Vec::new();
    for id in due {
        match transition(db, id, Transition::Start, Actor::system(), now).await {
            Ok(_) => started.push(id),
            // Another instance (or an admin) got there first.
            Err(Error::BroadcastStateConflict) => {}
            Err(e) => return Err(e),
        }
    }
    Ok(started)
}
