//! Documents of a deal: each rendering is a new version (unique (deal_id, version)) with the Russian text
//! the signer sees and its SHA-256. A new version voids the older ones and every pending code challenge
//! for them, so a code can only sign the text that is current.

use chrono::{DateTime, Utc};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder,
    QuerySelect, Set, TransactionSession, TransactionTrait,
};
use sha2::{Digest, Sha256};

use super::deals::{self, DealState, Terms, from_minor};
use super::texts::ru;
use crate::entity::code_challenges::{self, ChallengeState, Entity as Challenges};
use crate::entity::documents::{self, Entity as Documents};
use crate::error::{Error, Result, is_unique_violation};

/// A RUB amount from kopecks as Russians write it: `1500,00`.
pub fn rub(minor: i64) -> String {
    from_minor(minor).to_string().replace('.', ",")
}

/// The hex SHA-256 of `body`'s UTF-8 bytes.
pub fn sha256_hex(body: &str) -> String {
    hex::encode(Sha256::digest(body.as_bytes()))
}

/// The title and body of `deal`'s document (pure; `counterparty` is how the counterparty is named).
pub fn compose(deal: &crate::entity::deals::Model, counterparty: &str) -> (String, String) {
    let terms: Terms = serde_json::from_str(&deal.terms).unwrap_or_default();
    let none = ru("deal-document-none", &[]);
    let plan = if terms.payment_plan.is_empty() {
        none.clone()
    } else {
        let lines: Vec<String> = terms
            .payment_plan
            .iter()
            .map(|step| {
                let minor = (step.amount * rust_decimal::Decimal::ONE_HUNDRED)
                    .trunc()
                    .try_into()
                    .unwrap_or(0);
                ru(
                    "deal-document-plan-step",
                    &[
                        ("due", &step.due.format("%d.%m.%Y").to_string()),
                        ("amount", &rub(minor)),
                    ],
                )
            })
            .collect();
        lines.join("\n")
    };
    let splits = if terms.splits.is_empty() {
        none
    } else {
        let lines: Vec<String> = terms
            .splits
            .iter()
            .map(|rule| {
                ru(
                    "deal-document-split",
                    &[
                        ("party", &rule.party),
                        ("percent", &rule.percent.normalize().to_string()),
                    ],
                )
            })
            .collect();
        lines.join("\n")
    };
    let title = ru("deal-document-title", &[("title", &deal.title)]);
    let body = ru(
        "deal-document-body",
        &[
            ("title", &deal.title),
            ("deal_id", &deal.id.to_string()),
            ("kind", &deal.kind),
            ("counterparty", counterparty),
            ("amount", &rub(deal.amount_minor)),
            ("plan", &plan),
            ("splits", &splits),
        ],
    );
    (title, body)
}

async fn counterparty_label(
    db: &impl ConnectionTrait,
    deal: &crate::entity::deals::Model,
) -> Result<String> {
    if let Some(id) = deal.counterparty_user_id {
        let user = super::users::get(db, id).await?;
        let name = match &user.last_name {
            Some(last) => format!("{} {last}", user.first_name),
            None => user.first_name.clone(),
        };
        return Ok(format!("{name} (id {id})"));
    }
    Ok(deal.counterparty_phone.clone().unwrap_or_default())
}

/// Renders a new version of `deal_id`'s document in its own transaction.
pub async fn render(
    db: &(impl ConnectionTrait + TransactionTrait),
    deal_id: i64,
    now: DateTime<Utc>,
) -> Result<documents::Model> {
    let txn = db.begin().await?;
    let doc = render_in(&txn, deal_id, now).await?;
    txn.commit().await?;
    Ok(doc)
}

/// Renders a new version on `db` (the caller's transaction). Only deals not yet signed, declined or
/// cancelled get new versions.
pub async fn render_in(
    db: &impl ConnectionTrait,
    deal_id: i64,
    now: DateTime<Utc>,
) -> Result<documents::Model> {
    let deal = deals::get(db, deal_id).await?;
    if !matches!(
        deal.state,
        DealState::Draft | DealState::Sent | DealState::Viewed
    ) {
        return Err(Error::DealStateConflict);
    }
    let (title, body) = compose(&deal, &counterparty_label(db, &deal).await?);
    let sha256 = sha256_hex(&body);
    for _ in 0..16 {
        let last: Option<i32> = Documents::find()
            .select_only()
            .column_as(documents::Column::Version.max(), "v")
            .filter(documents::Column::DealId.eq(deal_id))
            .into_tuple::<Option<i32>>()
            .one(db)
            .await?
            .flatten();
        let version = last.unwrap_or(0) + 1;
        let row = documents::ActiveModel {
            deal_id: Set(deal_id),
            version: Set(version),
            title: Set(title.clone()),
            body: Set(body.clone()),
            sha256: Set(sha256.clone()),
            file_path: Set(None),
            created_at: Set(now),
            voided_at: Set(None),
            ..Default::default()
        };
        let doc = match row.insert(db).await {
            Ok(doc) => doc,
            Err(e) if is_unique_violation(&e, "version") => continue,
            Err(e) => return Err(e.into()),
        };
        void_older(db, &doc, now).await?;
        return Ok(doc);
    }
    Err(Error::Internal(
        "document version race lost 16 times".into(),
    ))
}

/// Voids the versions before `doc` and the active code challenges for them.
async fn void_older(
    db: &impl ConnectionTrait,
    doc: &documents::Model,
    now: DateTime<Utc>,
) -> Result<()> {
    let older: Vec<i64> = Documents::find()
        .select_only()
        .column(documents::Column::Id)
        .filter(documents::Column::DealId.eq(doc.deal_id))
        .filter(documents::Column::Version.lt(doc.version))
        .into_tuple()
        .all(db)
        .await?;
    if older.is_empty() {
        return Ok(());
    }
    Documents::update_many()
        .col_expr(documents::Column::VoidedAt, Expr::value(now))
        .filter(documents::Column::Id.is_in(older.clone()))
        .filter(documents::Column::VoidedAt.is_null())
        .exec(db)
        .await?;
    Challenges::update_many()
        .col_expr(
            code_challenges::Column::State,
            Expr::value(ChallengeState::Voided),
        )
        .filter(code_challenges::Column::DocumentId.is_in(older))
        .filter(code_challenges::Column::State.eq(ChallengeState::Active))
        .exec(db)
        .await?;
    Ok(())
}

/// The current (latest, not voided) version of a deal's document.
pub async fn current(db: &impl ConnectionTrait, deal_id: i64) -> Result<Option<documents::Model>> {
    Ok(Documents::find()
        .filter(documents::Column::DealId.eq(deal_id))
        .filter(documents::Column::VoidedAt.is_null())
        .order_by_desc(documents::Column::Version)
        .one(db)
        .await?)
}

/// Every version of a deal's document, oldest first.
pub async fn list(db: &impl ConnectionTrait, deal_id: i64) -> Result<Vec<documents::Model>> {
    Ok(Documents::find()
        .filter(documents::Column::DealId.eq(deal_id))
        .order_by_asc(documents::Column::Version)
        .all(db)
        .await?)
}

pub async fn get(db: &impl ConnectionTrait, id: i64) -> Result<documents::Model> {
    Documents::find_by_id(id)
        .one(db)
        .await?
        .ok_or(Error::DocumentNotFound)
}

/// The PDF of document `id` (rendered from its stored text, title, version and hash).
pub async fn pdf(db: &impl ConnectionTrait, id: i64) -> Result<Vec<u8>> {
    let doc = get(db, id).await?;
    super::pdf::render(&doc.title, &doc.body, doc.version, &doc.sha256)
}
