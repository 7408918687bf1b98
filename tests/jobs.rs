//! Scheduled jobs: leases (both key-value stores, both databases), birthdays with the test clock, expiry
//! reminders sent once, cleanup.

mod common;

use std::sync::{Arc, Mutex};
use std::time::Duration;

use async_trait::async_trait;
use chrono::{DateTime, TimeZone, Utc};
use common::fixtures;
use dvorik::clock::Clock;
use dvorik::domain::code::DiscountCode;
use dvorik::domain::{Birthday, Language};
use dvorik::entity::{discounts, processed_updates, users};
use dvorik::jobs::{self, LeaseStore, Notifier, birthdays, cleanup, expiry, run_exclusive};
use dvorik::services::discounts::ManualDiscount;
use dvorik::services::templates::DiscountKind;
use dvorik::services::{self, discounts as discount_service};
use sea_orm::sea_query::Expr;
use sea_orm::{ActiveModelTrait, ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, Set};

const VLADIVOSTOK: chrono_tz::Tz = chrono_tz::Asia::Vladivostok;

fn utc(y: i32, m: u32, d: u32, h: u32, min: u32, s: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(y, m, d, h, min, s).unwrap()
}

/// What the jobs told customers.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Sent {
    what: &'static str,
    telegram_id: i64,
    language: Language,
    code: String,
    discount_id: i64,
}

#[derive(Default)]
struct RecordingNotifier(Mutex<Vec<Sent>>);

impl RecordingNotifier {
    fn sent(&self) -> Vec<Sent> {
        self.0.lock().unwrap().clone()
    }
    fn record(
        &self,
        what: &'static str,
        telegram_id: i64,
        language: Language,
        code: &DiscountCode,
        d: &discounts::Model,
    ) {
        self.0.lock().unwrap().push(Sent {
            what,
            telegram_id,
            language,
            code: code.expose().to_string(),
            discount_id: d.id,
        });
    }
}

#[async_trait]
impl Notifier for RecordingNotifier {
    async fn birthday_discount(
        &self,
        telegram_id: i64,
        language: Language,
        code: &DiscountCode,
        d: &discounts::Model,
    ) -> dvorik::Result<()> {
        self.record("birthday", telegram_id, language, code, d);
        Ok(())
    }
    async fn expiry_reminder(
        &self,
        telegram_id: i64,
        language: Language,
        code: &DiscountCode,
        d: &discounts::Model,
    ) -> dvorik::Result<()> {
        self.record("reminder", telegram_id, language, code, d);
        Ok(())
    }
}

/// A user with a birthday set at `set_at`.
async fn birthday_user(
    db: &DatabaseConnection,
    telegram_id: i64,
    day: u32,
    month: u32,
    set_at: DateTime<Utc>,
) -> users::Model {
    let user = fixtures::user(db, telegram_id, set_at).await;
    services::users::set_birthday(
        db,
        user.id,
        Birthday {
            day,
            month,
            year: None,
        },
        set_at,
    )
    .await
    .unwrap();
    services::users::get(db, user.id).await.unwrap()
}

async fn set_flag(db: &DatabaseConnection, user_id: i64, column: users::Column) {
    users::Entity::update_many()
        .col_expr(column, Expr::value(true))
        .filter(users::Column::Id.eq(user_id))
        .exec(db)
        .await
        .unwrap();
}

async fn birthday_discounts(db: &DatabaseConnection, user_id: i64) -> Vec<discounts::Model> {
    discounts::Entity::find()
        .filter(discounts::Column::UserId.eq(user_id))
        .filter(discounts::Column::Kind.eq(DiscountKind::Birthday))
        .all(db)
        .await
        .unwrap()
}

// ---- leases ----

async fn two_contenders_one_wins(store: &LeaseStore) {
    let name = format!("job-{}", uuid::Uuid::new_v4().simple());
    let ttl = Duration::from_secs(30);
    let first = store
        .acquire(&name, "a", ttl)
        .await
        .unwrap()
        .expect("free lease");
    assert!(
        store.acquire(&name, "b", ttl).await.unwrap().is_none(),
        "held lease taken"
    );
    assert!(store.renew(&name, "a", ttl).await.unwrap());
    assert!(
        !store.renew(&name, "b", ttl).await.unwrap(),
        "renewed by a non-holder"
    );
    assert!(
        !store.release(&name, "b",).await.unwrap(),
        "released by a non-holder"
    );
    assert!(store.release(&name, "a").await.unwrap());
    let second = store
        .acquire(&name, "b", ttl)
        .await
        .unwrap()
        .expect("released lease");
    assert!(second.fencing > first.fencing, "fencing must grow");

    // Two runs at once: exactly one does the work.
    let job = format!("exclusive-{}", uuid::Uuid::new_v4().simple());
    let runs = Arc::new(Mutex::new(0));
    let run = |store: LeaseStore, job: String, runs: Arc<Mutex<i32>>| async move {
        run_exclusive(&store, &job, ttl, |_| async {
            *runs.lock().unwrap() += 1;
            tokio::time::sleep(Duration::from_millis(300)).await;
        })
        .await
        .unwrap()
        .is_some()
    };
    let (a, b) = tokio::join!(
        run(store.clone(), job.clone(), runs.clone()),
        run(store.clone(), job.clone(), runs.clone())
    );
    assert!(a ^ b, "exactly one contender runs: {a} {b}");
    assert_eq!(*runs.lock().unwrap(), 1);
    // Released afterwards: the next run goes ahead.
    assert!(run(store.clone(), job.clone(), runs.clone()).await);
    assert_eq!(*runs.lock().unwrap(), 2);
}

kv_test! {
    async fn kv_lease_two_contenders_one_runs(kv) {
        two_contenders_one_wins(&LeaseStore::Kv(kv)).await;
    }
}

storage_test! {
    async fn database_lease_two_contenders_one_runs(t) {
        let clock = Clock::test(utc(2026, 11, 21, 12, 0, 0));
        two_contenders_one_wins(&LeaseStore::Db(t.db.clone(), clock)).await;
    }
}

storage_test! {
    async fn an_expired_database_lease_is_taken_over_with_a_higher_fencing(t) {
        let clock = Clock::test(utc(2026, 11, 21, 12, 0, 0));
        let store = LeaseStore::Db(t.db.clone(), clock.clone());
        let ttl = Duration::from_secs(60);
        let first = store.acquire("birthdays", "a", ttl).await.unwrap().unwrap();
        clock.advance(Duration::from_secs(59));
        assert!(store.acquire("birthdays", "b", ttl).await.unwrap().is_none());
        clock.advance(Duration::from_secs(1));
        let taken = store.acquire("birthdays", "b", ttl).await.unwrap().expect("expired lease");
        assert_eq!(taken.fencing, first.fencing + 1);
        assert!(!store.renew("birthdays", "a", ttl).await.unwrap(), "the old holder lost it");

        // Many contenders at once on the database: one wins.
        let name = "many";
        let mut tasks = Vec::new();
        for i in 0..8 {
            let store = store.clone();
            tasks.push(tokio::spawn(async move { store.acquire(name, &format!("h{i}"), ttl).await.unwrap().is_some() }));
        }
        let mut winners = 0;
        for task in tasks {
            winners += usize::from(task.await.unwrap());
        }
        assert_eq!(winners, 1);
    }
}

// ---- birthdays ----

storage_test! {
    async fn birthdays_are_issued_at_nine_in_vladivostok_once_and_only_to_eligible_users(t) {
        let db = &t.db;
        let setup = utc(2026, 1, 10, 0, 0, 0);
        fixtures::template(db, DiscountKind::Birthday, fixtures::percent("15"), 14, setup).await;
        // 15 March in Vladivostok starts at 14 March 14:00 UTC; 09:00 there is 14 March 23:00 UTC.
        let eligible = birthday_user(db, 1, 15, 3, setup).await;
        let other_day = birthday_user(db, 2, 14, 3, setup).await;
        let blocked = birthday_user(db, 3, 15, 3, setup).await;
        set_flag(db, blocked.id, users::Column::Blocked).await;
        let unreachable = birthday_user(db, 4, 15, 3, setup).await;
        set_flag(db, unreachable.id, users::Column::Unreachable).await;
        // Default rule: set at least 7 days before the date. Exactly 7 days before local midnight counts.
        let on_the_limit = birthday_user(db, 5, 15, 3, utc(2026, 3, 7, 14, 0, 0)).await;
        let too_late = birthday_user(db, 6, 15, 3, utc(2026, 3, 7, 14, 0, 1)).await;
        let no_birthday = fixtures::user(db, 7, setup).await;

        let clock = Clock::test(utc(2026, 3, 14, 22, 59, 59));
        let notifier = RecordingNotifier::default();
        let run = birthdays::run(db, &t.key, &notifier, VLADIVOSTOK, clock.now()).await.unwrap();
        assert_eq!(run, birthdays::BirthdayRun::default(), "08:59:59 local: too early");
        assert!(notifier.sent().is_empty());

        clock.advance(Duration::from_secs(1));
        let run = birthdays::run(db, &t.key, &notifier, VLADIVOSTOK, clock.now()).await.unwrap();
        assert_eq!(run.issued, 2);
        let sent = notifier.sent();
        let mut ids: Vec<i64> = sent.iter().map(|s| s.telegram_id).collect();
        ids.sort();
        assert_eq!(ids, vec![eligible.telegram_id, on_the_limit.telegram_id]);
        for s in &sent {
            assert_eq!(s.what, "birthday");
            assert_eq!(s.language, Language::Ru);
            let stored = discount_service::get(db, s.discount_id).await.unwrap();
            assert_eq!(stored.uniq_period, Some(2026));
            assert_eq!(discount_service::code_of(&t.key, &stored).expose(), s.code);
        }
        for user in [&other_day, &blocked, &unreachable, &too_late, &no_birthday] {
            assert!(birthday_discounts(db, user.id).await.is_empty(), "user {} got one", user.telegram_id);
        }

        // Later runs the same day (hourly catch-up) issue and announce nothing more.
        clock.advance(Duration::from_secs(3600));
        let again = birthdays::run(db, &t.key, &notifier, VLADIVOSTOK, clock.now()).await.unwrap();
        assert_eq!((again.issued, again.already), (0, 2));
        assert_eq!(notifier.sent().len(), 2);
        assert_eq!(birthday_discounts(db, eligible.id).await.len(), 1);

        // Next year the same user gets next year's discount.
        clock.set(utc(2027, 3, 14, 23, 0, 0));
        let next_year = birthdays::run(db, &t.key, &notifier, VLADIVOSTOK, clock.now()).await.unwrap();
        assert_eq!(next_year.issued, 3, "eligible, on_the_limit and too_late (set long enough before 2027)");
        let periods: Vec<Option<i32>> = birthday_discounts(db, eligible.id).await.iter().map(|d| d.uniq_period).collect();
        assert!(periods.contains(&Some(2026)) && periods.contains(&Some(2027)));
    }
}

storage_test! {
    async fn the_29th_of_february_is_celebrated_on_the_28th_in_common_years(t) {
        let db = &t.db;
        let setup = utc(2025, 1, 1, 0, 0, 0);
        fixtures::template(db, DiscountKind::Birthday, fixtures::percent("10"), 14, setup).await;
        let leapling = birthday_user(db, 29, 29, 2, setup).await;
        let feb28 = birthday_user(db, 28, 28, 2, setup).await;
        let mar1 = birthday_user(db, 31, 1, 3, setup).await;
        let notifier = RecordingNotifier::default();

        // 2027 has no 29 February: both are celebrated on 28 February (09:00 local = 27 Feb 23:00 UTC).
        let run = birthdays::run(db, &t.key, &notifier, VLADIVOSTOK, utc(2027, 2, 27, 23, 0, 0)).await.unwrap();
        assert_eq!(run.issued, 2);
        assert_eq!(birthday_discounts(db, leapling.id).await[0].uniq_period, Some(2027));
        assert_eq!(birthday_discounts(db, feb28.id).await.len(), 1);
        let run = birthdays::run(db, &t.key, &notifier, VLADIVOSTOK, utc(2027, 2, 28, 23, 0, 0)).await.unwrap();
        assert_eq!(run.issued, 1, "1 March: only the March birthday");
        assert_eq!(birthday_discounts(db, mar1.id).await.len(), 1);

        // 2028 is a leap year: 28 February is only the 28th's, 29 February the leapling's.
        let run = birthdays::run(db, &t.key, &notifier, VLADIVOSTOK, utc(2028, 2, 27, 23, 0, 0)).await.unwrap();
        assert_eq!(run.issued, 1);
        assert_eq!(birthday_discounts(db, feb28.id).await.len(), 2);
        assert_eq!(birthday_discounts(db, leapling.id).await.len(), 1);
        let run = birthdays::run(db, &t.key, &notifier, VLADIVOSTOK, utc(2028, 2, 28, 23, 0, 0)).await.unwrap();
        assert_eq!(run.issued, 1);
        let periods: Vec<Option<i32>> = birthday_discounts(db, leapling.id).await.iter().map(|d| d.uniq_period).collect();
        assert_eq!(periods, vec![Some(2027), Some(2028)]);
        assert_eq!(notifier.sent().len(), 5);
    }
}

storage_test! {
    async fn two_runners_at_once_issue_one_discount_each_announced_once(t) {
        let db = &t.db;
        let setup = utc(2026, 1, 1, 0, 0, 0);
        fixtures::template(db, DiscountKind::Birthday, fixtures::percent("10"), 14, setup).await;
        let mut users = Vec::new();
        for i in 0..23 {
            users.push(birthday_user(db, 100 + i, 15, 6, setup).await);
        }
        let notifier = Arc::new(RecordingNotifier::default());
        let now = utc(2026, 6, 14, 23, 0, 0);
        // Without a lease (as if it were lost), small chunks so the keyset pages.
        let run = |db: DatabaseConnection, key, notifier: Arc<RecordingNotifier>| async move {
            birthdays::run_chunked(&db, &key, notifier.as_ref(), VLADIVOSTOK, now, 4).await.unwrap()
        };
        let (a, b) = tokio::join!(
            tokio::spawn(run(t.db.clone(), t.key.clone(), notifier.clone())),
            tokio::spawn(run(t.db.clone(), t.key.clone(), notifier.clone()))
        );
        let (a, b) = (a.unwrap(), b.unwrap());
        assert_eq!(a.issued + b.issued, 23, "{a:?} {b:?}");
        assert_eq!(a.failed + b.failed, 0);
        let sent = notifier.sent();
        assert_eq!(sent.len(), 23);
        let mut ids: Vec<i64> = sent.iter().map(|s| s.telegram_id).collect();
        ids.sort();
        ids.dedup();
        assert_eq!(ids.len(), 23, "each user announced once");
        for user in &users {
            assert_eq!(birthday_discounts(db, user.id).await.len(), 1);
        }

        // Through the scheduler's wrapper with a shared lease: two instances at once, one runs.
        let core = dvorik::app::Core {
            db: t.db.clone(),
            kv: common::test_kv(false).await,
            key: t.key.clone(),
            timezone: VLADIVOSTOK,
        };
        let clock = Clock::test(utc(2027, 6, 14, 23, 0, 0));
        let ctx = jobs::JobContext {
            leases: LeaseStore::Db(t.db.clone(), clock.clone()),
            core,
            clock,
            notifier: notifier.clone(),
            metrics: dvorik::http::Metrics::default(),
        };
        let (x, y) = tokio::join!(jobs::run_job(&ctx, jobs::JobName::Birthdays), jobs::run_job(&ctx, jobs::JobName::Birthdays));
        let (x, y) = (x.unwrap(), y.unwrap());
        assert!(x || y);
        assert_eq!(notifier.sent().len(), 46, "2027's discounts announced once each");
        assert!(ctx.metrics.render().contains("birthdays"));
    }
}

// ---- expiry ----

storage_test! {
    async fn an_expiry_reminder_is_sent_once_n_days_before(t) {
        let db = &t.db;
        let now = utc(2026, 5, 1, 12, 0, 0);
        let owner = fixtures::owner(db, 900, now).await;
        let user = fixtures::user(db, 1, now).await;
        let blocked = fixtures::user(db, 2, now).await;
        set_flag(db, blocked.id, users::Column::Blocked).await;
        let manual = |user_id, days| ManualDiscount { user_id, value: fixtures::percent("5"), validity_days: days, admin_id: owner.id, note: None };
        let soon = discount_service::issue_manual(db, &t.key, &manual(user.id, 2), now).await.unwrap();
        let later = discount_service::issue_manual(db, &t.key, &manual(user.id, 10), now).await.unwrap();
        let blocked_soon = discount_service::issue_manual(db, &t.key, &manual(blocked.id, 1), now).await.unwrap();
        let past = discount_service::issue_manual(db, &t.key, &manual(user.id, 1), now - chrono::Duration::days(2)).await.unwrap();

        let notifier = RecordingNotifier::default();
        // Two runs at once (default: 3 days before): one reminder for `soon`, none for the blocked user.
        let (a, b) = tokio::join!(
            expiry::run(db, &t.key, &notifier, now),
            expiry::run(db, &t.key, &notifier, now)
        );
        let (a, b) = (a.unwrap(), b.unwrap());
        assert_eq!(a.reminded + b.reminded, 1);
        assert_eq!(a.expired + b.expired, 1, "the past one is expired once");
        let sent = notifier.sent();
        assert_eq!(sent.len(), 1);
        assert_eq!(sent[0].what, "reminder");
        assert_eq!(sent[0].discount_id, soon.discount.id);
        assert_eq!(sent[0].code, soon.code.expose());
        assert!(discount_service::get(db, blocked_soon.discount.id).await.unwrap().reminded_at.is_some());
        assert_eq!(discount_service::get(db, past.discount.id).await.unwrap().state, discount_service::DiscountState::Expired);

        // Again the same day: nothing new. Eight days later `later` is within three days of expiry.
        expiry::run(db, &t.key, &notifier, now + chrono::Duration::hours(1)).await.unwrap();
        assert_eq!(notifier.sent().len(), 1);
        let run = expiry::run(db, &t.key, &notifier, now + chrono::Duration::days(8)).await.unwrap();
        assert_eq!(run.reminded, 1);
        assert_eq!(notifier.sent()[1].discount_id, later.discount.id);
        assert_eq!(run.expired, 2, "soon and blocked_soon have expired by then");
    }
}

// ---- cleanup ----

storage_test! {
    async fn cleanup_deletes_what_has_served_its_purpose(t) {
        let db = &t.db;
        let now = utc(2026, 5, 1, 12, 0, 0);
        let owner = fixtures::owner(db, 900, now).await; // writes an audit row
        services::login_tokens::issue(db, &t.key, owner.id, now).await.unwrap();
        processed_updates::ActiveModel {
            bot: Set("client".into()),
            update_id: Set(1),
            processed_at: Set(now),
            ..Default::default()
        }
        .insert(db)
        .await
        .unwrap();

        let nothing = cleanup::run(db, now).await.unwrap();
        assert_eq!(nothing, cleanup::CleanupRun::default());
        let day = cleanup::run(db, now + chrono::Duration::days(1)).await.unwrap();
        assert_eq!(day.login_tokens, 1);
        assert_eq!(day.processed_updates, 0);
        assert_eq!(day.audit_rows, 0);
        let week = cleanup::run(db, now + chrono::Duration::days(cleanup::PROCESSED_UPDATES_RETENTION_DAYS)).await.unwrap();
        assert_eq!(week.processed_updates, 1);
        assert_eq!(week.audit_rows, 0);
        let year = cleanup::run(db, now + chrono::Duration::days(365)).await.unwrap();
        assert!(year.audit_rows >= 1, "{year:?}");
    }
}

// ---- scheduler ----

#[tokio::test]
async fn the_scheduler_fires_in_the_shop_time_zone() {
    let t = common::TestDb::new(common::Backend::Sqlite).await;
    let core = dvorik::app::Core {
        db: t.db.clone(),
        kv: common::test_kv(false).await,
        key: t.key.clone(),
        timezone: VLADIVOSTOK,
    };
    let mut scheduled = jobs::start(
        core,
        Arc::new(jobs::LogNotifier),
        dvorik::http::Metrics::default(),
    )
    .await
    .unwrap();
    let birthdays = scheduled
        .next_run(jobs::JobName::Birthdays)
        .await
        .unwrap()
        .expect("scheduled");
    let local = birthdays.with_timezone(&VLADIVOSTOK);
    assert!(
        (9..=23).contains(&chrono::Timelike::hour(&local)),
        "{local}"
    );
    assert_eq!(
        (
            chrono::Timelike::minute(&local),
            chrono::Timelike::second(&local)
        ),
        (0, 0)
    );
    assert!(birthdays > Utc::now());
    // 03:30 in Vladivostok is 17:30 UTC.
    let cleanup = scheduled
        .next_run(jobs::JobName::Cleanup)
        .await
        .unwrap()
        .expect("scheduled");
    assert_eq!(
        (
            chrono::Timelike::hour(&cleanup),
            chrono::Timelike::minute(&cleanup)
        ),
        (17, 30)
    );
    let expiry = scheduled
        .next_run(jobs::JobName::Expiry)
        .await
        .unwrap()
        .expect("scheduled");
    assert_eq!(chrono::Timelike::minute(&expiry) % 10, 0);
    assert!(expiry - Utc::now() <= chrono::Duration::minutes(10));
    scheduled.shutdown().await.unwrap();
}
