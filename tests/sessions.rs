//! Admin panel sessions in the core: login, refresh rotation, reuse detection, logout, switch-off.

mod common;

use chrono::Duration;
use common::fixtures;
use dvorik::entity::refresh_tokens;
use dvorik::services::admins::{self, AdminRole};
use dvorik::services::audit::Actor;
use dvorik::services::auth::{self, TokenKeys};
use dvorik::services::{login_tokens, sessions};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};

storage_test! {
    async fn a_login_starts_a_family_and_each_refresh_continues_it(t) {
        let now = t.now();
        let keys = TokenKeys::derived(&t.key);
        let owner = fixtures::owner(&t.db, 1, now).await;
        let token = login_tokens::issue(&t.db, &t.key, owner.id, now).await.unwrap();
        let first = sessions::login(&t.db, &t.key, &keys, token.expose(), now).await.unwrap();
        assert_eq!(first.admin.id, owner.id);
        let claims = auth::verify_access(&keys, first.access.token.expose(), now).unwrap();
        assert_eq!(claims.admin_id().unwrap(), owner.id);
        assert_eq!(format!("{:?}", first.refresh_token), "***");
        let again = sessions::login(&t.db, &t.key, &keys, token.expose(), now).await.unwrap_err();
        assert_eq!(again.code(), "LOGIN_TOKEN_INVALID");

        let later = now + Duration::minutes(20);
        let second = sessions::refresh(&t.db, &t.key, &keys, first.refresh_token.expose(), later).await.unwrap();
        let claims2 = auth::verify_access(&keys, second.access.token.expose(), later).unwrap();
        assert_eq!(claims2.sid, claims.sid, "one family");
        let rows = refresh_tokens::Entity::find().filter(refresh_tokens::Column::FamilyId.eq(claims.sid.as_str())).all(&t.db).await.unwrap();
        assert_eq!(rows.len(), 2);
        assert_eq!(rows[1].parent_id, Some(rows[0].id));
        assert!(rows[0].used_at.is_some() && rows[1].used_at.is_none());
        assert!(rows.iter().all(|r| r.token_hash.len() == 64 && r.token_hash != first.refresh_token.expose().as_str()), "stored hashed");

        let late = later + sessions::REFRESH_TTL;
        let expired = sessions::refresh(&t.db, &t.key, &keys, second.refresh_token.expose(), late).await.unwrap_err();
        assert_eq!(expired.code(), "REFRESH_TOKEN_INVALID");
        assert_eq!(sessions::delete_expired(&t.db, late + Duration::seconds(1)).await.unwrap(), 2);
    }
}

storage_test! {
    async fn a_reused_refresh_token_revokes_the_family_and_concurrent_refreshes_have_one_winner(t) {
        let now = t.now();
        let keys = TokenKeys::derived(&t.key);
        let owner = fixtures::owner(&t.db, 1, now).await;
        let token = login_tokens::issue(&t.db, &t.key, owner.id, now).await.unwrap();
        let session = sessions::login(&t.db, &t.key, &keys, token.expose(), now).await.unwrap();
        let refresh = session.refresh_token.expose().clone();

        let tasks: Vec<_> = (0..8)
            .map(|_| {
                let (db, key, keys, refresh) = (t.db.clone(), t.key.clone(), keys.clone(), refresh.clone());
                tokio::spawn(async move { sessions::refresh(&db, &key, &keys, &refresh, now).await })
            })
            .collect();
        let mut winners = Vec::new();
        for task in tasks {
            match task.await.unwrap() {
                Ok(next) => winners.push(next),
                Err(e) => assert!(matches!(e.code(), "REFRESH_TOKEN_REUSED" | "REFRESH_TOKEN_INVALID"), "{e:?}"),
            }
        }
        assert_eq!(winners.len(), 1, "one token, one rotation");
        // The losers were reuses: the family is revoked, the winner's new token included.
        let err = sessions::refresh(&t.db, &t.key, &keys, winners[0].refresh_token.expose(), now).await.unwrap_err();
        assert_eq!(err.code(), "REFRESH_TOKEN_INVALID");
    }
}

storage_test! {
    async fn logout_and_switch_off_end_sessions(t) {
        let now = t.now();
        let keys = TokenKeys::derived(&t.key);
        let owner = fixtures::owner(&t.db, 1, now).await;
        let marketer = admins::add(&t.db, 2, AdminRole::Marketing, None, Actor::system(), now).await.unwrap();
        let start = |id| {
            let (db, key, keys) = (t.db.clone(), t.key.clone(), keys.clone());
            async move {
                let token = login_tokens::issue(&db, &key, id, now).await.unwrap();
                sessions::login(&db, &key, &keys, token.expose(), now).await.unwrap()
            }
        };
        let a = start(owner.id).await;
        sessions::logout(&t.db, &t.key, a.refresh_token.expose(), now).await.unwrap();
        sessions::logout(&t.db, &t.key, "unknown", now).await.unwrap();
        let err = sessions::refresh(&t.db, &t.key, &keys, a.refresh_token.expose(), now).await.unwrap_err();
        assert_eq!(err.code(), "REFRESH_TOKEN_INVALID");

        let b = start(marketer.id).await;
        admins::update(&t.db, marketer.id, AdminRole::Marketing, false, Actor::admin(owner.id), now).await.unwrap();
        let err = sessions::refresh(&t.db, &t.key, &keys, b.refresh_token.expose(), now).await.unwrap_err();
        assert_eq!(err.code(), "REFRESH_TOKEN_INVALID");
        let err = admins::update(&t.db, owner.id, AdminRole::Readonly, true, Actor::admin(owner.id), now).await.unwrap_err();
        assert_eq!(err.code(), "ADMIN_LAST_OWNER");
    }
}
