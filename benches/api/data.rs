//! The data set of the API benchmark, written with multi-row INSERTs (the services would take an hour
//! for a million users): users registered over three years, their discounts and redemptions.

use std::ops::Range;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use chrono::{DateTime, Datelike, Utc};
use dvorik::entity::discount_templates::{DiscountKind, ValueKind};
use dvorik::entity::discounts::DiscountState;
use dvorik::entity::{discounts, redemptions, users};
use dvorik::services::audit::Actor;
use dvorik::services::stores::{self, StoreInput};
use dvorik::services::{admins, cashiers};
use sea_orm::sea_query::InsertStatement;
use sea_orm::{
    ConnectionTrait, DatabaseConnection, DbBackend, EntityTrait, QueryTrait, Set, Statement,
    TransactionTrait,
};

/// Rows per multi-row INSERT, rows per transaction, transactions in flight.
const STMT_ROWS: usize = 2_000;
const TXN_ROWS: usize = 20_000;
const LOAD_TASKS: usize = 4;
/// The users registered over this many days before now.
const HISTORY_DAYS: i64 = 3 * 365;
const SOURCES: [Option<&str>; 8] = [
    None,
    None,
    Some("src_instagram"),
    Some("src_vk"),
    Some("src_qr_store"),
    Some("src_flyer"),
    Some("ref_friends"),
    Some("src_site"),
];
const NAMES: [&str; 6] = ["Анна", "Мария", "Иван", "Ольга", "Дмитрий", "Елена"];

pub struct Loaded {
    pub discounts: usize,
    pub redemptions: usize,
}

/// A pseudo-random number for row `i` and purpose `salt` (splitmix64): the same data on every run.
fn mix(i: usize, salt: u64) -> u64 {
    let mut z = (i as u64).wrapping_add(salt.wrapping_mul(0x9e37_79b9_7f4a_7c15));
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

/// When user `i` of `n` registered: evenly over the history, in id order.
fn registered(i: usize, n: usize, now: DateTime<Utc>) -> DateTime<Utc> {
    let span = HISTORY_DAYS * 86_400;
    let ago = span - (span as i128 * (i as i128 + 1) / n as i128) as i64;
    now - chrono::Duration::seconds(ago)
}

fn user_row(i: usize, n: usize, now: DateTime<Utc>) -> users::ActiveModel {
    let created = registered(i, n, now);
    let idle = (now - created).num_seconds().max(1) as u64;
    let active = created + chrono::Duration::seconds((mix(i, 1) % idle) as i64);
    let subscribed = mix(i, 2) % 10 < 6;
    let birthday = (mix(i, 3) % 10 < 4).then(|| (1 + mix(i, 4) % 28, 1 + mix(i, 5) % 12));
    users::ActiveModel {
        id: Set(i as i64 + 1),
        telegram_id: Set(100_000_000 + i as i64),
        first_name: Set(NAMES[i % NAMES.len()].into()),
        last_name: Set(None),
        username: Set(Some(format!("user{i}"))),
        language: Set(if mix(i, 6) % 100 < 85 { "ru" } else { "en" }.into()),
        source: Set(SOURCES[(mix(i, 7) % 8) as usize].map(str::to_string)),
        birthday_day: Set(birthday.map(|b| b.0 as i16)),
        birthday_month: Set(birthday.map(|b| b.1 as i16)),
        birthday_set_at: Set(birthday.map(|_| created)),
        subscribed: Set(subscribed),
        subscribed_at: Set(subscribed.then_some(created)),
        blocked: Set(mix(i, 8).is_multiple_of(1000)),
        unreachable: Set(mix(i, 9).is_multiple_of(50)),
        last_activity_at: Set(active),
        created_at: Set(created),
        updated_at: Set(active),
        ..Default::default()
    }
}

/// Discount `j` belongs to user `4j` (so no two share a user and no unique key collides), issued when
/// the user registered; every third is redeemed within 20 days.
struct DiscountPlan {
    user: usize,
    kind: DiscountKind,
    issued: DateTime<Utc>,
    redeemed: Option<DateTime<Utc>>,
}

fn discount_plan(j: usize, n: usize, now: DateTime<Utc>) -> DiscountPlan {
    let user = 4 * j;
    let kind = match mix(j, 10) % 10 {
        0..=4 => DiscountKind::Subscription,
        5 => DiscountKind::Birthday,
        _ => DiscountKind::Manual,
    };
    let issued = registered(user, n, now);
    let redeemed = (mix(j, 11).is_multiple_of(3))
        .then(|| issued + chrono::Duration::seconds((mix(j, 12) % (20 * 86_400)) as i64))
        .filter(|at| *at < now);
    DiscountPlan {
        user,
        kind,
        issued,
        redeemed,
    }
}

fn discount_row(j: usize, n: usize, admin: i64, now: DateTime<Utc>) -> discounts::ActiveModel {
    let plan = discount_plan(j, n, now);
    let expires = plan.issued + chrono::Duration::days(30);
    let state = match plan.redeemed {
        Some(_) => DiscountState::Redeemed,
        None if expires <= now => DiscountState::Expired,
        None => DiscountState::Active,
    };
    let uniq_period = match plan.kind {
        DiscountKind::Subscription => Some(0),
        DiscountKind::Birthday => Some(plan.issued.year()),
        DiscountKind::Manual => None,
    };
    discounts::ActiveModel {
        id: Set(j as i64 + 1),
        user_id: Set(plan.user as i64 + 1),
        kind: Set(plan.kind),
        // Unique placeholders: the bench never redeems a code.
        code_hash: Set(format!("{j:064x}")),
        code_nonce: Set(format!("{j:032x}")),
        value_kind: Set(ValueKind::Percent),
        percent_bp: Set(Some(1000)),
        state: Set(state),
        uniq_period: Set(uniq_period),
        issued_at: Set(plan.issued),
        expires_at: Set(expires),
        redeemed_at: Set(plan.redeemed),
        issued_by_admin_id: Set((plan.kind == DiscountKind::Manual).then_some(admin)),
        ..Default::default()
    }
}

/// Loads `n` users, `n / 4` discounts and their redemptions.
pub async fn load(
    pool: &DatabaseConnection,
    n: usize,
    now: DateTime<Utc>,
) -> anyhow::Result<Loaded> {
    let system = Actor::system();
    let store = StoreInput {
        name: "Bench".into(),
        ..Default::default()
    };
    let store = stores::create(pool, &store, system, now).await?;
    let admin = admins::add(pool, 2, admins::AdminRole::Marketing, None, system, now).await?;
    let cashier = cashiers::register(pool, 3, "Bench cashier", store.id, now).await?;
    let cashier = cashiers::approve(pool, cashier.id, admin.id, now).await?;

    insert(pool, n, "users", move |r| {
        users::Entity::insert_many(r.map(|i| user_row(i, n, now))).into_query()
    })
    .await?;
    let k = n / 4;
    let admin_id = admin.id;
    insert(pool, k, "discounts", move |r| {
        discounts::Entity::insert_many(r.map(|j| discount_row(j, n, admin_id, now))).into_query()
    })
    .await?;
    let redeemed: Vec<usize> = (0..k)
        .filter(|&j| discount_plan(j, n, now).redeemed.is_some())
        .collect();
    let count = redeemed.len();
    let redeemed = Arc::new(redeemed);
    let (cashier_id, store_id) = (cashier.id, store.id);
    insert(pool, count, "redemptions", move |r| {
        let rows = r.map(|x| {
            let j = redeemed[x];
            let plan = discount_plan(j, n, now);
            redemptions::ActiveModel {
                id: Set(x as i64 + 1),
                discount_id: Set(j as i64 + 1),
                cashier_id: Set(cashier_id),
                store_id: Set(store_id),
                redeemed_at: Set(plan.redeemed.expect("redeemed")),
                amount_minor: Set(Some(50_000 + (mix(j, 13) % 500_000) as i64)),
                kind: Set(Some(plan.kind)),
            }
        });
        redemptions::Entity::insert_many(rows).into_query()
    })
    .await?;
    Ok(Loaded {
        discounts: k,
        redemptions: count,
    })
}

/// Inserts rows `0..n` of `table`: `LOAD_TASKS` tasks, each taking `TXN_ROWS` rows at a time in one
/// transaction of `STMT_ROWS`-row INSERTs.
async fn insert<F>(pool: &DatabaseConnection, n: usize, table: &str, build: F) -> anyhow::Result<()>
where
    F: Fn(Range<usize>) -> InsertStatement + Send + Sync + 'static,
{
    let next = Arc::new(AtomicUsize::new(0));
    let build = Arc::new(build);
    let started = Instant::now();
    let mut tasks = Vec::new();
    for _ in 0..LOAD_TASKS {
        let (pool, next, build) = (pool.clone(), next.clone(), build.clone());
        tasks.push(tokio::spawn(async move {
            loop {
                let start = next.fetch_add(TXN_ROWS, Ordering::Relaxed);
                if start >= n {
                    return anyhow::Ok(());
                }
                let end = (start + TXN_ROWS).min(n);
                let txn = pool.begin().await?;
                for from in (start..end).step_by(STMT_ROWS) {
                    txn.execute(&build(from..(from + STMT_ROWS).min(end)))
                        .await?;
                }
                txn.commit().await?;
            }
        }));
    }
    for task in tasks {
        task.await??;
    }
    println!(
        "  {table}: {n} rows in {:.1} s",
        started.elapsed().as_secs_f64()
    );
    Ok(())
}

/// Waits until InnoDB has written back most pages the load dirtied (at most 1 % dirty, or no progress
/// for 3 s, or 60 s), so the measured runs do not compete with a flush backlog.
pub async fn settle(pool: &DatabaseConnection) -> anyhow::Result<()> {
    let status = |name: &'static str| async move {
        let sql = format!(
            "SELECT VARIABLE_VALUE FROM information_schema.GLOBAL_STATUS \
             WHERE VARIABLE_NAME = 'INNODB_BUFFER_POOL_PAGES_{name}'"
        );
        let row = pool
            .query_one_raw(Statement::from_string(DbBackend::MySql, sql))
            .await?;
        let text: String = row
            .ok_or_else(|| anyhow::anyhow!("no row"))?
            .try_get_by_index(0)?;
        anyhow::Ok(text.parse::<u64>()?)
    };
    let (started, mut lowest, mut fell_at) = (Instant::now(), u64::MAX, Instant::now());
    loop {
        let (dirty, total) = (status("DIRTY").await?, status("TOTAL").await?);
        if dirty < lowest {
            (lowest, fell_at) = (dirty, Instant::now());
        }
        let stalled = fell_at.elapsed() > Duration::from_secs(3);
        if dirty * 100 <= total || stalled || started.elapsed() > Duration::from_secs(60) {
            println!("  settled: {dirty} of {total} buffer pool pages dirty");
            return Ok(());
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
}
