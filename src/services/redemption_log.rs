//! The usage log as the admin panel reads it: redemptions with their discount, store and cashier,
//! filtered by store, cashier, date and kind, newest first by keyset on `(redeemed_at, id)` (the order
//! of the `ix_redemptions_*_redeemed_at` indexes), and exported as CSV chunk by chunk so the export of a
//! million rows holds one chunk in memory.

use chrono::{DateTime, NaiveDate, Utc};
use sea_orm::{
    ColumnTrait, Condition, ConnectionTrait, EntityTrait, FromQueryResult, JoinType,
    PaginatorTrait, QueryFilter, QueryOrder, QuerySelect, RelationTrait,
};
use serde::{Deserialize, Serialize};

use super::listing;
use super::paging::{Cursor, Direction, Page, PageRequest};
use super::templates::DiscountKind;
use crate::entity::discount_templates::ValueKind;
use crate::entity::{cashiers, discounts, redemptions, stores};
use crate::error::Result;

/// Filters of the usage log; they combine with AND.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct RedemptionFilter {
    pub store_id: Option<i64>,
    pub cashier_id: Option<i64>,
    pub kind: Option<DiscountKind>,
    /// Redeemed on or after this local date (shop time zone).
    pub from: Option<NaiveDate>,
    /// Redeemed on or before this local date.
    pub to: Option<NaiveDate>,
}

/// One redemption with what the admin needs to read it.
#[derive(Debug, Clone, PartialEq, Eq, FromQueryResult, Serialize)]
pub struct RedemptionRow {
    pub id: i64,
    pub redeemed_at: DateTime<Utc>,
    /// The receipt total in kopecks, if the cashier gave it.
    pub amount_minor: Option<i64>,
    pub discount_id: i64,
    pub kind: DiscountKind,
    pub user_id: i64,
    pub value_kind: ValueKind,
    pub percent_bp: Option<i32>,
    pub value_amount_minor: Option<i64>,
    pub store_id: i64,
    pub store_name: Option<String>,
    pub cashier_id: i64,
    pub cashier_name: Option<String>,
}

fn query(
    filter: &RedemptionFilter,
    tz: chrono_tz::Tz,
) -> Result<sea_orm::Select<redemptions::Entity>> {
    let mut all = Condition::all();
    if let Some(store) = filter.store_id {
        all = all.add(redemptions::Column::StoreId.eq(store));
    }
    if let Some(cashier) = filter.cashier_id {
        all = all.add(redemptions::Column::CashierId.eq(cashier));
    }
    if let Some(kind) = filter.kind {
        all = all.add(discounts::Column::Kind.eq(kind));
    }
    let (from, to) = listing::day_bounds(tz, filter.from, filter.to, "to")?;
    if let Some(from) = from {
        all = all.add(redemptions::Column::RedeemedAt.gte(from));
    }
    if let Some(to) = to {
        all = all.add(redemptions::Column::RedeemedAt.lt(to));
    }
    Ok(redemptions::Entity::find()
        .join(JoinType::InnerJoin, redemptions::Relation::Discount.def())
        .filter(all))
}

/// The column name of the log's order in sort names and cursors.
const SORT: &str = "redeemed_at";

/// Up to `limit` rows after the request's cursor, in `(redeemed_at, id)` order.
async fn rows(
    db: &impl ConnectionTrait,
    filter: &RedemptionFilter,
    tz: chrono_tz::Tz,
    request: &PageRequest,
    limit: u64,
) -> Result<Vec<RedemptionRow>> {
    let sort = listing::sort_name(SORT, request.direction);
    let after = listing::after(
        request,
        &sort,
        Some(redemptions::Column::RedeemedAt),
        redemptions::Column::Id,
    )?;
    let mut select = query(filter, tz)?
        .join(JoinType::LeftJoin, redemptions::Relation::Store.def())
        .join(JoinType::LeftJoin, redemptions::Relation::Cashier.def())
        .select_only()
        .columns([
            redemptions::Column::Id,
            redemptions::Column::RedeemedAt,
            redemptions::Column::AmountMinor,
            redemptions::Column::DiscountId,
            redemptions::Column::StoreId,
            redemptions::Column::CashierId,
        ])
        .column(discounts::Column::Kind)
        .column(discounts::Column::UserId)
        .column(discounts::Column::ValueKind)
        .column(discounts::Column::PercentBp)
        .column_as(discounts::Column::AmountMinor, "value_amount_minor")
        .column_as(stores::Column::Name, "store_name")
        .column_as(cashiers::Column::Name, "cashier_name");
    if let Some(after) = after {
        select = select.filter(after);
    }
    let order = listing::order(request.direction);
    Ok(select
        .order_by(redemptions::Column::RedeemedAt, order.clone())
        .order_by(redemptions::Column::Id, order)
        .limit(limit)
        .into_model::<RedemptionRow>()
        .all(db)
        .await?)
}

/// One page of the log, newest first unless the request says otherwise.
pub async fn list(
    db: &impl ConnectionTrait,
    filter: &RedemptionFilter,
    page: &PageRequest,
    tz: chrono_tz::Tz,
) -> Result<Page<RedemptionRow>> {
    let page = listing::checked(page)?;
    let sort = listing::sort_name(SORT, page.direction);
    let total = if page.include_total {
        Some(query(filter, tz)?.count(db).await?)
    } else {
        None
    };
    let rows = rows(db, filter, tz, &page, page.limit + 1).await?;
    Ok(listing::page_from_rows(rows, &page, &sort, total, |r| {
        (r.id, Some(r.redeemed_at))
    }))
}

/// Rows per CSV chunk.
pub const CSV_CHUNK: u64 = 1000;

/// The CSV export of a filtered usage log, newest first, read chunk by chunk by keyset.
pub struct CsvExport {
    filter: RedemptionFilter,
    tz: chrono_tz::Tz,
    position: PageRequest,
    chunk: u64,
    started: bool,
    done: bool,
}

impl CsvExport {
    pub fn new(filter: RedemptionFilter, tz: chrono_tz::Tz) -> Result<Self> {
        listing::day_bounds(tz, filter.from, filter.to, "to")?;
        Ok(Self {
            filter,
            tz,
            position: PageRequest {
                direction: Direction::Desc,
                ..PageRequest::default()
            },
            chunk: CSV_CHUNK,
            started: false,
            done: false,
        })
    }

    /// Reads `rows` rows per chunk instead of [`CSV_CHUNK`].
    pub fn chunk_size(mut self, rows: u64) -> Self {
        self.chunk = Ord::max(rows, 1);
        self
    }

    /// The next piece of the file (the header comes with the first), or `None` at the end.
    pub async fn next_chunk(&mut self, db: &impl ConnectionTrait) -> Result<Option<String>> {
        if self.done {
            return Ok(None);
        }
        let rows = rows(db, &self.filter, self.tz, &self.position, self.chunk).await?;
        let mut out = String::new();
        if !self.started {
            self.started = true;
            out.push_str(CSV_HEADER);
        }
        if (rows.len() as u64) < self.chunk {
            self.done = true;
        }
        self.position.after = rows.last().map(|row| Cursor {
            sort: listing::sort_name(SORT, Direction::Desc),
            id: row.id,
            key: Some(row.redeemed_at.timestamp_micros().into()),
        });
        for row in &rows {
            csv_line(&mut out, row, self.tz);
        }
        Ok((!out.is_empty()).then_some(out))
    }
}

pub const CSV_HEADER: &str = "redemption_id,redeemed_at,store_id,store,cashier_id,cashier,discount_id,kind,user_id,discount,receipt_rub\r\n";

fn csv_line(out: &mut String, row: &RedemptionRow, tz: chrono_tz::Tz) {
    let value = match row.value_kind {
        ValueKind::Percent => row.percent_bp.map(|bp| format!("{}%", rubles(bp.into()))),
        ValueKind::Fixed => row.value_amount_minor.map(rubles),
    };
    let cells = [
        row.id.to_string(),
        row.redeemed_at.with_timezone(&tz).to_rfc3339(),
        row.store_id.to_string(),
        text_cell(row.store_name.as_deref().unwrap_or("")),
        row.cashier_id.to_string(),
        text_cell(row.cashier_name.as_deref().unwrap_or("")),
        row.discount_id.to_string(),
        kind_name(row.kind).into(),
        row.user_id.to_string(),
        value.unwrap_or_default(),
        row.amount_minor.map(rubles).unwrap_or_default(),
    ];
    for (i, cell) in cells.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        push_escaped(out, cell);
    }
    out.push_str("\r\n");
}

fn kind_name(kind: DiscountKind) -> &'static str {
    match kind {
        DiscountKind::Subscription => "subscription",
        DiscountKind::Birthday => "birthday",
        DiscountKind::Manual => "manual",
    }
}

/// Kopecks (or basis points) as `1234.50`.
pub fn rubles(minor: i64) -> String {
    let sign = if minor < 0 { "-" } else { "" };
    let minor = minor.unsigned_abs();
    format!("{sign}{}.{:02}", minor / 100, minor % 100)
}

/// Text typed by people: a leading `= + - @` (or tab/CR) is neutralised with `'`, so a spreadsheet does
/// not run it as a formula.
fn text_cell(text: &str) -> String {
    match text.chars().next() {
        Some('=' | '+' | '-' | '@' | '\t' | '\r') => format!("'{text}"),
        _ => text.to_string(),
    }
}

/// RFC 4180: a cell with a comma, quote or line break is quoted, quotes doubled.
pub fn push_escaped(out: &mut String, cell: &str) {
    if cell.contains([',', '"', '\n', '\r']) {
        out.push('"');
        out.push_str(&cell.replace('"', "\"\""));
        out.push('"');
    } else {
        out.push_str(cell);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn money_has_two_decimals() {
        assert_eq!(rubles(123450), "1234.50");
        assert_eq!(rubles(5), "0.05");
        assert_eq!(rubles(0), "0.00");
    }

    #[test]
    fn cells_are_escaped_and_formulas_neutralised() {
        let mut out = String::new();
        push_escaped(&mut out, "Kafe \"Sweet\", Svetlanskaya\n1");
        assert_eq!(out, "\"Kafe \"\"Sweet\"\", Svetlanskaya\n1\"");
        assert_eq!(text_cell("=HYPERLINK(\"x\")"), "'=HYPERLINK(\"x\")");
        assert_eq!(text_cell("Ольга"), "Ольга");
    }
}
