//! Segments: saved audience filters with a live count, used by broadcasts and bulk discounts.
//!
//! - [`filter`]: the definition, its validation and its compilation to one SQL condition;
//! - [`recipients`]: counting and reading the audience by keyset.

pub mod filter;
pub mod recipients;

use chrono::{DateTime, Utc};
use sea_orm::{ActiveModelTrait, ConnectionTrait, EntityTrait, Set};
use serde::{Deserialize, Serialize};

pub use self::filter::{Audience, SegmentFilter};
pub use self::recipients::{Recipient, Recipients, SegmentCount, count};
use super::audit::{self, Actor, Entry};
use super::paging::{self, Page, PageRequest};
use crate::entity::segments::{self, Entity as Segments};
use crate::error::{Error, Result};

/// What an admin fills in to create or change a segment.
#[derive(Debug, Clone, Deserialize)]
pub struct SegmentInput {
    pub name: String,
    pub filter: SegmentFilter,
}

/// A saved segment with its filter parsed.
#[derive(Debug, Clone, Serialize)]
pub struct Segment {
    pub id: i64,
    pub name: String,
    pub filter: SegmentFilter,
    pub created_by_admin_id: Option<i64>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl TryFrom<segments::Model> for Segment {
    type Error = Error;

    fn try_from(row: segments::Model) -> Result<Self> {
        let filter = serde_json::from_str(&row.filter).map_err(|e| {
            Error::Internal(format!("segment {} has an unreadable filter: {e}", row.id))
        })?;
        Ok(Self {
            id: row.id,
            name: row.name,
            filter,
            created_by_admin_id: row.created_by_admin_id,
            created_at: row.created_at,
            updated_at: row.updated_at,
        })
    }
}

fn checked(input: &SegmentInput) -> Result<(String, String)> {
    let name = super::clean_text(&input.name, "name", 255)?;
    input.filter.validate()?;
    let filter = serde_json::to_string(&input.filter)
        .map_err(|e| Error::Internal(format!("cannot store a segment filter: {e}")))?;
    Ok((name, filter))
}

pub async fn create(
    db: &impl ConnectionTrait,
    input: &SegmentInput,
    actor: Actor,
    now: DateTime<Utc>,
) -> Result<Segment> {
    let (name, filter) = checked(input)?;
    let row = segments::ActiveModel {
        name: Set(name),
        filter: Set(filter),
        created_by_admin_id: Set(actor.id),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    }
    .insert(db)
    .await?;
    let segment = Segment::try_from(row)?;
    let entry = Entry::new(actor, "segment.create", "segment", segment.id)
        .change(None::<&()>, Some(&segment));
    audit::record(db, entry, now).await?;
    Ok(segment)
}

pub async fn update(
    db: &impl ConnectionTrait,
    id: i64,
    input: &SegmentInput,
    actor: Actor,
    now: DateTime<Utc>,
) -> Result<Segment> {
    let (name, filter) = checked(input)?;
    let before = Segments::find_by_id(id)
        .one(db)
        .await?
        .ok_or(Error::SegmentNotFound)?;
    let mut row: segments::ActiveModel = before.clone().into();
    row.name = Set(name);
    row.filter = Set(filter);
    row.updated_at = Set(now);
    let after = Segment::try_from(row.update(db).await?)?;
    let entry = Entry::new(actor, "segment.update", "segment", id)
        .change(Some(&Segment::try_from(before)?), Some(&after));
    audit::record(db, entry, now).await?;
    Ok(after)
}

/// Deletes a segment; broadcasts that used it keep their content and lose the link.
pub async fn delete(
    db: &impl ConnectionTrait,
    id: i64,
    actor: Actor,
    now: DateTime<Utc>,
) -> Result<()> {
    let before = get(db, id).await?;
    let result = Segments::delete_by_id(id).exec(db).await?;
    if result.rows_affected == 0 {
        return Err(Error::SegmentNotFound);
    }
    let entry =
        Entry::new(actor, "segment.delete", "segment", id).change(Some(&before), None::<&()>);
    audit::record(db, entry, now).await?;
    Ok(())
}

pub async fn get(db: &impl ConnectionTrait, id: i64) -> Result<Segment> {
    Segments::find_by_id(id)
        .one(db)
        .await?
        .ok_or(Error::SegmentNotFound)?
        .try_into()
}

/// Saved segments by id (the request's direction).
pub async fn list(db: &impl ConnectionTrait, page: &PageRequest) -> Result<Page<Segment>> {
    paging::fetch(db, Segments::find(), segments::Column::Id, page, |s| s.id)
        .await?
        .try_map(Segment::try_from)
}

/// The count of a saved segment.
pub async fn count_saved(
    db: &impl ConnectionTrait,
    id: i64,
    tz: chrono_tz::Tz,
    now: DateTime<Utc>,
) -> Result<SegmentCount> {
    let segment = get(db, id).await?;
    count(db, &segment.filter, tz, now).await
}
