//! Stores of the chain: where cashiers work and codes are redeemed.

use chrono::{DateTime, Utc};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, Set,
};

use super::audit::{self, Actor, Entry};
use super::clean_text;
use super::paging::{self, Page, PageRequest};
use crate::entity::stores::{self, Entity as Stores};
use crate::error::{Error, Result, is_unique_violation};

#[derive(Debug, Clone, Default)]
pub struct StoreInput {
    pub name: String,
    pub address: Option<String>,
    pub hours: Option<String>,
}

impl StoreInput {
    fn cleaned(&self) -> Result<(String, Option<String>, Option<String>)> {
        let optional = |text: &Option<String>, field, max| {
            text.as_deref()
                .filter(|t| !t.trim().is_empty())
                .map(|t| clean_text(t, field, max))
                .transpose()
        };
        Ok((
            clean_text(&self.name, "name", 255)?,
            optional(&self.address, "address", 512)?,
            optional(&self.hours, "hours", 255)?,
        ))
    }
}

pub async fn create(
    db: &impl ConnectionTrait,
    input: &StoreInput,
    actor: Actor,
    now: DateTime<Utc>,
) -> Result<stores::Model> {
    let (name, address, hours) = input.cleaned()?;
    let row = stores::ActiveModel {
        name: Set(name),
        address: Set(address),
        hours: Set(hours),
        active: Set(true),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    };
    let store = row.insert(db).await.map_err(|e| {
        if is_unique_violation(&e, "name") {
            Error::StoreNameTaken
        } else {
            e.into()
        }
    })?;
    audit::record(
        db,
        Entry::new(actor, "store.create", "store", store.id).change(None::<&()>, Some(&store)),
        now,
    )
    .await?;
    Ok(store)
}

pub async fn update(
    db: &impl ConnectionTrait,
    id: i64,
    input: &StoreInput,
    actor: Actor,
    now: DateTime<Utc>,
) -> Result<stores::Model> {
    let (name, address, hours) = input.cleaned()?;
    let before = get(db, id).await?;
    let mut row: stores::ActiveModel = before.clone().into();
    row.name = Set(name);
    row.address = Set(address);
    row.hours = Set(hours);
    row.updated_at = Set(now);
    let after = row.update(db).await.map_err(|e| {
        if is_unique_violation(&e, "name") {
            Error::StoreNameTaken
        } else {
            e.into()
        }
    })?;
    audit::record(
        db,
        Entry::new(actor, "store.update", "store", id).change(Some(&before), Some(&after)),
        now,
    )
    .await?;
    Ok(after)
}

/// Opens or closes a store; a closed store takes no new cashiers.
pub async fn set_active(
    db: &impl ConnectionTrait,
    id: i64,
    active: bool,
    actor: Actor,
    now: DateTime<Utc>,
) -> Result<stores::Model> {
    let before = get(db, id).await?;
    let mut row: stores::ActiveModel = before.clone().into();
    row.active = Set(active);
    row.updated_at = Set(now);
    let after = row.update(db).await?;
    audit::record(
        db,
        Entry::new(actor, "store.set_active", "store", id).change(Some(&before), Some(&after)),
        now,
    )
    .await?;
    Ok(after)
}

pub async fn get(db: &impl ConnectionTrait, id: i64) -> Result<stores::Model> {
    Stores::find_by_id(id)
        .one(db)
        .await?
        .ok_or(Error::StoreNotFound)
}

/// Stores by name; `active_only` for choices offered to new cashiers.
pub async fn list(db: &impl ConnectionTrait, active_only: bool) -> Result<Vec<stores::Model>> {
    let mut query = Stores::find().order_by_asc(stores::Column::Name);
    if active_only {
        query = query.filter(stores::Column::Active.eq(true));
    }
    Ok(query.all(db).await?)
}

/// Filters of the store list.
#[derive(Debug, Clone, Default)]
pub struct StoreFilter {
    pub active: Option<bool>,
    /// A part of the name.
    pub name: Option<String>,
}

/// A page of stores.
pub async fn page(
    db: &impl ConnectionTrait,
    filter: &StoreFilter,
    request: &PageRequest,
) -> Result<Page<stores::Model>> {
    let mut query = Stores::find();
    if let Some(active) = filter.active {
        query = query.filter(stores::Column::Active.eq(active));
    }
    if let Some(name) = filter
        .name
        .as_deref()
        .map(str::trim)
        .filter(|n| !n.is_empty())
    {
        query = query.filter(stores::Column::Name.contains(name));
    }
    paging::fetch(db, query, stores::Column::Id, request, |s| s.id).await
}
