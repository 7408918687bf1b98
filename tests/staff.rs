//! Stores, admins and cashiers: registration, decisions by conditional updates, and their audit rows.

mod common;

use common::fixtures;
use dvorik::entity::audit_log;
use dvorik::services::admins::{self, AdminRole};
use dvorik::services::audit::{Actor, ActorKind};
use dvorik::services::cashiers::{self, CashierState};
use dvorik::services::stores::{self, StoreInput};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder};

storage_test! {
    async fn a_cashier_registers_waits_is_approved_and_can_be_revoked(t) {
        let now = t.now();
        let store = fixtures::store(&t.db, "Светланская", now).await;
        let owner = fixtures::owner(&t.db, 1, now).await;
        let cashier = cashiers::register(&t.db, 50, "  Ольга  ", store.id, now).await.unwrap();
        assert_eq!((cashier.state, cashier.name.as_str()), (CashierState::Pending, "Ольга"));
        assert_eq!(cashiers::require_approved(&t.db, cashier.id).await.unwrap_err().code(), "CASHIER_NOT_APPROVED");
        assert_eq!(cashiers::register(&t.db, 50, "Ольга", store.id, now).await.unwrap_err().code(), "CASHIER_ALREADY_REGISTERED");

        let approved = cashiers::approve(&t.db, cashier.id, owner.id, now).await.unwrap();
        assert_eq!(approved.state, CashierState::Approved);
        assert_eq!(approved.decided_by_admin_id, Some(owner.id));
        assert_eq!(cashiers::approve(&t.db, cashier.id, owner.id, now).await.unwrap_err().code(), "CASHIER_NOT_PENDING");
        assert_eq!(cashiers::list(&t.db, Some(CashierState::Approved)).await.unwrap().len(), 1);

        cashiers::revoke(&t.db, cashier.id, owner.id, now).await.unwrap();
        assert_eq!(cashiers::revoke(&t.db, cashier.id, owner.id, now).await.unwrap_err().code(), "CASHIER_NOT_APPROVED");
        // A revoked cashier may apply again and waits for a new decision.
        let again = cashiers::register(&t.db, 50, "Ольга", store.id, now).await.unwrap();
        assert_eq!((again.id, again.state), (cashier.id, CashierState::Pending));

        let actions: Vec<String> = audit_log::Entity::find()
            .filter(audit_log::Column::Entity.eq("cashier"))
            .order_by_asc(audit_log::Column::Id)
            .all(&t.db)
            .await
            .unwrap()
            .into_iter()
            .map(|row| {
                assert_eq!((row.actor_kind, row.actor_id), (ActorKind::Admin, Some(owner.id)));
                row.action
            })
            .collect();
        assert_eq!(actions, ["cashier.approve", "cashier.revoke"]);
    }
}

storage_test! {
    async fn a_rejected_cashier_cannot_redeem_and_bad_registrations_are_refused(t) {
        let now = t.now();
        let store = fixtures::store(&t.db, "Алеутская", now).await;
        let owner = fixtures::owner(&t.db, 1, now).await;
        let cashier = cashiers::register(&t.db, 60, "Пётр", store.id, now).await.unwrap();
        cashiers::reject(&t.db, cashier.id, owner.id, now).await.unwrap();
        assert_eq!(cashiers::require_approved(&t.db, cashier.id).await.unwrap_err().code(), "CASHIER_NOT_APPROVED");
        assert_eq!(cashiers::register(&t.db, 61, "", store.id, now).await.unwrap_err().code(), "VALIDATION_FAILED");
        assert_eq!(cashiers::register(&t.db, 61, "Ира", 9999, now).await.unwrap_err().code(), "STORE_NOT_FOUND");
        stores::set_active(&t.db, store.id, false, Actor::admin(owner.id), now).await.unwrap();
        assert_eq!(cashiers::register(&t.db, 61, "Ира", store.id, now).await.unwrap_err().code(), "STORE_NOT_FOUND");
        assert_eq!(cashiers::approve(&t.db, 424242, owner.id, now).await.unwrap_err().code(), "CASHIER_NOT_FOUND");
    }
}

storage_test! {
    async fn stores_have_unique_names_and_are_listed_by_name(t) {
        let now = t.now();
        fixtures::store(&t.db, "Б-магазин", now).await;
        let a = fixtures::store(&t.db, "А-магазин", now).await;
        let dup = StoreInput { name: "А-магазин".into(), ..Default::default() };
        assert_eq!(stores::create(&t.db, &dup, Actor::system(), now).await.unwrap_err().code(), "STORE_NAME_TAKEN");
        let names: Vec<String> = stores::list(&t.db, false).await.unwrap().into_iter().map(|s| s.name).collect();
        assert_eq!(names, ["А-магазин", "Б-магазин"]);
        let renamed = StoreInput { name: "А-центр".into(), address: None, hours: Some("9–21".into()) };
        let updated = stores::update(&t.db, a.id, &renamed, Actor::system(), now).await.unwrap();
        assert_eq!((updated.name.as_str(), updated.hours.as_deref()), ("А-центр", Some("9–21")));
        stores::set_active(&t.db, a.id, false, Actor::system(), now).await.unwrap();
        assert_eq!(stores::list(&t.db, true).await.unwrap().len(), 1);
        assert_eq!(stores::get(&t.db, 999).await.unwrap_err().code(), "STORE_NOT_FOUND");
    }
}

storage_test! {
    async fn admins_are_unique_per_telegram_user_and_the_configured_owner_is_ensured(t) {
        let now = t.now();
        let owner = admins::ensure_owner(&t.db, 77, now).await.unwrap();
        assert_eq!(owner.role, AdminRole::Owner);
        assert_eq!(admins::ensure_owner(&t.db, 77, now).await.unwrap().id, owner.id, "ensuring twice adds nobody");
        let marketer = admins::add(&t.db, 78, AdminRole::Marketing, None, Actor::admin(owner.id), now).await.unwrap();
        admins::add(&t.db, 79, AdminRole::Readonly, None, Actor::admin(owner.id), now).await.unwrap();
        let dup = admins::add(&t.db, 78, AdminRole::Owner, None, Actor::admin(owner.id), now).await.unwrap_err();
        assert_eq!(dup.code(), "ADMIN_ALREADY_EXISTS");
        assert_eq!(admins::add(&t.db, 0, AdminRole::Owner, None, Actor::system(), now).await.unwrap_err().code(), "VALIDATION_FAILED");

        let deciders: Vec<i64> = admins::deciders(&t.db).await.unwrap().iter().map(|a| a.telegram_id).collect();
        assert_eq!(deciders, [77, 78], "owners and marketers decide on cashiers; readonly does not");
        admins::update(&t.db, marketer.id, AdminRole::Marketing, false, Actor::admin(owner.id), now).await.unwrap();
        assert!(admins::active_by_telegram_id(&t.db, 78).await.unwrap().is_none());
        assert_eq!(admins::list(&t.db).await.unwrap().len(), 3);
    }
}

storage_test! {
    async fn a_login_token_is_exchanged_once_within_five_minutes(t) {
        use dvorik::services::login_tokens;
        let now = t.now();
        let owner = fixtures::owner(&t.db, 1, now).await;
        let token = login_tokens::issue(&t.db, &t.key, owner.id, now).await.unwrap();
        assert!(token.expose().len() >= 32, "at least 128 bits");
        assert_eq!(format!("{token:?}"), "***");
        let admin = login_tokens::consume(&t.db, &t.key, token.expose(), now).await.unwrap();
        assert_eq!(admin.id, owner.id);
        let reused = login_tokens::consume(&t.db, &t.key, token.expose(), now).await.unwrap_err();
        assert_eq!(reused.code(), "LOGIN_TOKEN_INVALID");

        let late = login_tokens::issue(&t.db, &t.key, owner.id, now).await.unwrap();
        let after = now + login_tokens::VALIDITY + chrono::Duration::seconds(1);
        assert_eq!(login_tokens::consume(&t.db, &t.key, late.expose(), after).await.unwrap_err().code(), "LOGIN_TOKEN_INVALID");
        assert_eq!(login_tokens::consume(&t.db, &t.key, "made-up", now).await.unwrap_err().code(), "LOGIN_TOKEN_INVALID");
        assert_eq!(login_tokens::delete_expired(&t.db, after).await.unwrap(), 2);

        // Concurrent exchanges of one token: exactly one wins.
        let token = login_tokens::issue(&t.db, &t.key, owner.id, now).await.unwrap();
        let tasks: Vec<_> = (0..20)
            .map(|_| {
                let (db, key, token) = (t.db.clone(), t.key.clone(), token.expose().clone());
                tokio::spawn(async move { login_tokens::consume(&db, &key, &token, now).await.is_ok() })
            })
            .collect();
        let mut wins = 0;
        for task in tasks {
            wins += usize::from(task.await.unwrap());
        }
        assert_eq!(wins, 1);
    }
}
