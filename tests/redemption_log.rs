//! The usage log for the admin: filters by store, cashier, kind and local date; the CSV export is read in
//! chunks and escapes what people typed.

mod common;

use chrono::{DateTime, Duration, NaiveDate, Utc};
use common::fixtures;
use dvorik::services::audit::Actor;
use dvorik::services::discounts::ManualDiscount;
use dvorik::services::paging::{Direction, PageRequest};
use dvorik::services::redemption_log::{self, CsvExport, RedemptionFilter};
use dvorik::services::stores::StoreInput;
use dvorik::services::templates::DiscountKind;
use dvorik::services::{self, redemption};
use sea_orm::DatabaseConnection;

const TZ: chrono_tz::Tz = chrono_tz::Asia::Vladivostok;

fn local(m: u32, d: u32, h: i64) -> DateTime<Utc> {
    dvorik::services::listing::start_of_day(TZ, NaiveDate::from_ymd_opt(2026, m, d).unwrap())
        + Duration::hours(h)
}

struct Shop {
    cashier_a: i64,
    cashier_b: i64,
    store_b: i64,
    /// Redemption ids, oldest first.
    redemptions: Vec<i64>,
}

/// Two stores; cashier A redeems three manual discounts on 1, 2 and 3 March, cashier B (at a store whose
/// name needs quoting, with a name that looks like a formula) a welcome discount on 3 March at 23:30.
async fn shop(db: &DatabaseConnection, key: &dvorik::secret::ServerKey) -> Shop {
    let issued_at = local(2, 20, 12);
    let a = fixtures::approved_cashier(db, 2, issued_at).await;
    let owner = fixtures::owner(db, 77, issued_at).await;
    let store_b = services::stores::create(
        db,
        &StoreInput {
            name: "Кафе \"Сладко\", центр".into(),
            address: None,
            hours: None,
        },
        Actor::system(),
        issued_at,
    )
    .await
    .unwrap();
    let b = services::cashiers::register(db, 3, "=Ольга", store_b.id, issued_at)
        .await
        .unwrap();
    services::cashiers::approve(db, b.id, owner.id, issued_at)
        .await
        .unwrap();
    fixtures::template(
        db,
        DiscountKind::Subscription,
        fixtures::percent("10"),
        60,
        issued_at,
    )
    .await;
    let mut redemptions = Vec::new();
    for (i, day) in [1u32, 2, 3].into_iter().enumerate() {
        let user = fixtures::user(db, 100 + i as i64, issued_at).await;
        let manual = ManualDiscount {
            user_id: user.id,
            value: fixtures::percent("5"),
            validity_days: 30,
            admin_id: owner.id,
            note: None,
        };
        let issued = services::discounts::issue_manual(db, key, &manual, issued_at)
            .await
            .unwrap();
        let done = redemption::redeem(
            db,
            key,
            issued.code.expose(),
            a.id,
            Some(123_450 + i as i64),
            local(3, day, 12),
        )
        .await
        .unwrap();
        redemptions.push(done.redemption.id);
    }
    let user = fixtures::user(db, 200, issued_at).await;
    let welcome = services::discounts::issue_welcome(db, key, user.id, issued_at)
        .await
        .unwrap();
    let done = redemption::redeem(
        db,
        key,
        welcome.code.expose(),
        b.id,
        None,
        local(3, 3, 23) + Duration::minutes(30),
    )
    .await
    .unwrap();
    redemptions.push(done.redemption.id);
    Shop {
        cashier_a: a.id,
        cashier_b: b.id,
        store_b: store_b.id,
        redemptions,
    }
}

storage_test! {
    async fn the_usage_log_filters_by_store_cashier_kind_and_local_date(t) {
        let shop = shop(&t.db, &t.key).await;
        let r = &shop.redemptions;
        let list = |filter: RedemptionFilter| {
            let db = t.db.clone();
            async move {
                let page = redemption_log::list(&db, &filter, &PageRequest { include_total: true, direction: Direction::Desc, ..Default::default() }, TZ).await.unwrap();
                assert_eq!(page.total, Some(page.items.len() as u64));
                page.items.into_iter().map(|row| row.id).collect::<Vec<_>>()
            }
        };
        assert_eq!(list(RedemptionFilter::default()).await, [r[3], r[2], r[1], r[0]], "newest first");
        assert_eq!(list(RedemptionFilter { store_id: Some(shop.store_b), ..Default::default() }).await, [r[3]]);
        assert_eq!(list(RedemptionFilter { cashier_id: Some(shop.cashier_a), ..Default::default() }).await, [r[2], r[1], r[0]]);
        assert_eq!(list(RedemptionFilter { kind: Some(DiscountKind::Subscription), ..Default::default() }).await, [r[3]]);
        let march_3 = NaiveDate::from_ymd_opt(2026, 3, 3);
        assert_eq!(list(RedemptionFilter { from: march_3, to: march_3, ..Default::default() }).await, [r[3], r[2]], "23:30 local is still 3 March");
        assert_eq!(list(RedemptionFilter { to: NaiveDate::from_ymd_opt(2026, 3, 1), ..Default::default() }).await, [r[0]]);
        let first = PageRequest { limit: 3, direction: Direction::Desc, ..Default::default() };
        let page = redemption_log::list(&t.db, &RedemptionFilter::default(), &first, TZ).await.unwrap();
        let rest = redemption_log::list(&t.db, &RedemptionFilter::default(), &PageRequest { after: page.next.clone(), ..first }, TZ).await.unwrap();
        assert_eq!(rest.items.iter().map(|row| row.id).collect::<Vec<_>>(), [r[0]]);
        let row = &page.items[0];
        assert_eq!((row.cashier_id, row.cashier_name.as_deref(), row.kind), (shop.cashier_b, Some("=Ольга"), DiscountKind::Subscription));
    }
}

storage_test! {
    async fn the_csv_export_is_read_in_chunks_with_rubles_and_escaped_cells(t) {
        let shop = shop(&t.db, &t.key).await;
        let mut export = CsvExport::new(RedemptionFilter::default(), TZ).unwrap().chunk_size(3);
        let mut chunks = Vec::new();
        while let Some(chunk) = export.next_chunk(&t.db).await.unwrap() {
            chunks.push(chunk);
        }
        assert_eq!(chunks.len(), 2, "four rows in chunks of three");
        let csv = chunks.concat();
        let lines: Vec<&str> = csv.split("\r\n").collect();
        assert_eq!(lines[0], redemption_log::CSV_HEADER.trim_end());
        assert_eq!(lines.len(), 6, "header, four rows, and the empty tail after the last CRLF");
        let newest = PageRequest { direction: Direction::Desc, ..Default::default() };
        let rows = redemption_log::list(&t.db, &RedemptionFilter::default(), &newest, TZ).await.unwrap().items;
        assert_eq!(rows[0].id, shop.redemptions[3]);
        assert_eq!(
            lines[1],
            format!(
                "{},2026-03-03T23:30:00+10:00,{},\"Кафе \"\"Сладко\"\", центр\",{},'=Ольга,{},subscription,{},10.00%,",
                rows[0].id, shop.store_b, shop.cashier_b, rows[0].discount_id, rows[0].user_id
            )
        );
        assert_eq!(
            lines[4],
            format!(
                "{},2026-03-01T12:00:00+10:00,{},Store 2,{},Ольга,{},manual,{},5.00%,1234.50",
                rows[3].id, rows[3].store_id, shop.cashier_a, rows[3].discount_id, rows[3].user_id
            )
        );
        assert!(lines[2].ends_with(",5.00%,1234.52"), "{}", lines[2]);
        let bad = CsvExport::new(RedemptionFilter { from: NaiveDate::from_ymd_opt(2026, 3, 2), to: NaiveDate::from_ymd_opt(2026, 3, 1), ..Default::default() }, TZ);
        assert_eq!(bad.err().unwrap().code(), "VALIDATION_FAILED");
    }
}
