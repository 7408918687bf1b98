//! Discount templates: what a welcome, birthday or manual discount is worth and how long it lasts. For
//! the welcome and birthday kinds one template is active at a time; activating one switches the others off.

use chrono::{DateTime, Utc};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, Set,
};
use serde::Deserialize;

use super::audit::{self, Actor, Entry};
use super::clean_text;
use super::paging::{self, Page, PageRequest};
use crate::domain::DiscountValue;
pub use crate::entity::discount_templates::DiscountKind;
use crate::entity::discount_templates::{self, Entity as Templates};
use crate::error::{Error, Result};

/// What an admin fills in to create or change a template.
#[derive(Debug, Clone, Deserialize)]
pub struct TemplateInput {
    pub kind: DiscountKind,
    pub name: String,
    pub value: DiscountValue,
    /// Days a code of this template stays valid, 1 to 3650.
    pub validity_days: i32,
    pub active: bool,
    pub text: Option<String>,
}

pub async fn create(
    db: &impl ConnectionTrait,
    input: &TemplateInput,
    actor: Actor,
    now: DateTime<Utc>,
) -> Result<discount_templates::Model> {
    let mut row = discount_templates::ActiveModel {
        created_at: Set(now),
        ..Default::default()
    };
    fill(&mut row, input, now)?;
    if input.active {
        deactivate_others(db, input.kind, None, now).await?;
    }
    let template = row.insert(db).await?;
    audit::record(
        db,
        Entry::new(actor, "template.create", "discount_template", template.id)
            .change(None::<&()>, Some(&template)),
        now,
    )
    .await?;
    Ok(template)
}

pub async fn update(
    db: &impl ConnectionTrait,
    id: i64,
    input: &TemplateInput,
    actor: Actor,
    now: DateTime<Utc>,
) -> Result<discount_templates::Model> {
    let before = get(db, id).await?;
    let mut row: discount_templates::ActiveModel = before.clone().into();
    fill(&mut row, input, now)?;
    if input.active {
        deactivate_others(db, input.kind, Some(id), now).await?;
    }
    let after = row.update(db).await?;
    audit::record(
        db,
        Entry::new(actor, "template.update", "discount_template", id)
            .change(Some(&before), Some(&after)),
        now,
    )
    .await?;
    Ok(after)
}

fn fill(
    row: &mut discount_templates::ActiveModel,
    input: &TemplateInput,
    now: DateTime<Utc>,
) -> Result<()> {
    let name = clean_text(&input.name, "name", 255)?;
    let stored = input.value.to_stored()?;
    if !(1..=3650).contains(&input.validity_days) {
        return Err(Error::invalid("validity_days", "out_of_range"));
    }
    let text = input
        .text
        .as_deref()
        .filter(|t| !t.trim().is_empty())
        .map(|t| clean_text(t, "text", 4000))
        .transpose()?;
    row.kind = Set(input.kind);
    row.name = Set(name);
    row.value_kind = Set(stored.kind);
    row.percent_bp = Set(stored.percent_bp);
    row.amount_minor = Set(stored.amount_minor);
    row.validity_days = Set(input.validity_days);
    row.active = Set(input.active);
    row.text = Set(text);
    row.updated_at = Set(now);
    Ok(())
}

async fn deactivate_others(
    db: &impl ConnectionTrait,
    kind: DiscountKind,
    except: Option<i64>,
    now: DateTime<Utc>,
) -> Result<()> {
    if kind == DiscountKind::Manual {
        return Ok(());
    }
    let mut query = Templates::update_many()
        .col_expr(discount_templates::Column::Active, Expr::value(false))
        .col_expr(discount_templates::Column::UpdatedAt, Expr::value(now))
        .filter(discount_templates::Column::Kind.eq(kind))
        .filter(discount_templates::Column::Active.eq(true));
    if let Some(id) = except {
        query = query.filter(discount_templates::Column::Id.ne(id));
    }
    query.exec(db).await?;
    Ok(())
}

pub async fn get(db: &impl ConnectionTrait, id: i64) -> Result<discount_templates::Model> {
    Templates::find_by_id(id)
        .one(db)
        .await?
        .ok_or(Error::TemplateNotFound)
}

/// The active template of `kind` (the newest, should two ever be active).
pub async fn active_for(
    db: &impl ConnectionTrait,
    kind: DiscountKind,
) -> Result<Option<discount_templates::Model>> {
    Ok(Templates::find()
        .filter(discount_templates::Column::Kind.eq(kind))
        .filter(discount_templates::Column::Active.eq(true))
        .order_by_desc(discount_templates::Column::Id)
        .one(db)
        .await?)
}

pub async fn list(
    db: &impl ConnectionTrait,
    kind: Option<DiscountKind>,
) -> Result<Vec<discount_templates::Model>> {
    let mut query = Templates::find().order_by_asc(discount_templates::Column::Id);
    if let Some(kind) = kind {
        query = query.filter(discount_templates::Column::Kind.eq(kind));
    }
    Ok(query.all(db).await?)
}

/// Switches a template on (switching off the other welcome or birthday templates) or off.
pub async fn set_active(
    db: &impl ConnectionTrait,
    id: i64,
    active: bool,
    actor: Actor,
    now: DateTime<Utc>,
) -> Result<discount_templates::Model> {
    let before = get(db, id).await?;
    if active {
        deactivate_others(db, before.kind, Some(id), now).await?;
    }
    let mut row: discount_templates::ActiveModel = before.clone().into();
    row.active = Set(active);
    row.updated_at = Set(now);
    let after = row.update(db).await?;
    let action = if active {
        "template.activate"
    } else {
        "template.deactivate"
    };
    audit::record(
        db,
        Entry::new(actor, action, "discount_template", id).change(Some(&before), Some(&after)),
        now,
    )
    .await?;
    Ok(after)
}

/// Filters of the template list.
#[derive(Debug, Clone, Default)]
pub struct TemplateFilter {
    pub kind: Option<DiscountKind>,
    pub active: Option<bool>,
}

/// A page of templates.
pub async fn page(
    db: &impl ConnectionTrait,
    filter: &TemplateFilter,
    request: &PageRequest,
) -> Result<Page<discount_templates::Model>> {
    let mut query = Templates::find();
    if let Some(kind) = filter.kind {
        query = query.filter(discount_templates::Column::Kind.eq(kind));
    }
    if let Some(active) = filter.active {
        query = query.filter(discount_templates::Column::Active.eq(active));
    }
    paging::fetch(db, query, discount_templates::Column::Id, request, |t| t.id).await
}

/// The value a template gives.
pub fn value_of(template: &discount_templates::Model) -> Result<DiscountValue> {
    DiscountValue::from_stored(
        template.value_kind,
        template.percent_bp,
        template.amount_minor,
    )
}
