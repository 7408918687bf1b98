//! Message templates: saved only with valid Telegram HTML and URLs, unique names, audited changes.

mod common;

use common::fixtures;
use dvorik::entity::audit_log;
use dvorik::services::audit::Actor;
use dvorik::services::message_templates::{self as service, MessageContent, MessageTemplateInput};
use dvorik::services::paging::{Direction, PageRequest};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};

fn input(name: &str, ru: &str) -> MessageTemplateInput {
    let content: MessageContent = serde_json::from_value(serde_json::json!({
        "variants": { "ru": { "text": ru }, "en": { "text": "<i>Hello</i>" } },
        "buttons": [{ "text": "Сайт", "url": "https://shop.example/" }]
    }))
    .unwrap();
    MessageTemplateInput {
        name: name.into(),
        content,
    }
}

fn field_errors(err: dvorik::Error) -> Vec<(String, String)> {
    match err {
        dvorik::Error::Validation(fields) => {
            fields.into_iter().map(|f| (f.field, f.reason)).collect()
        }
        other => panic!("expected a validation error, got {other:?}"),
    }
}

storage_test! {
    async fn templates_are_created_changed_listed_and_deleted_with_an_audit_trail(t) {
        let now = t.now();
        let admin = fixtures::owner(&t.db, 99, now).await;
        let by = Actor::admin(admin.id);
        let created = service::create(&t.db, &input("Новинки", "<b>Новые</b> торты"), by, now).await.unwrap();
        assert_eq!(service::get(&t.db, created.id).await.unwrap().content, created.content);
        let err = service::create(&t.db, &input("Новинки", "ещё"), by, now).await.unwrap_err();
        assert_eq!(err.code(), "MESSAGE_TEMPLATE_NAME_TAKEN");
        let other = service::create(&t.db, &input("Акция", "Скидки"), by, now).await.unwrap();
        let err = service::update(&t.db, other.id, &input("Новинки", "x"), by, now).await.unwrap_err();
        assert_eq!(err.code(), "MESSAGE_TEMPLATE_NAME_TAKEN");
        let changed = service::update(&t.db, created.id, &input("Новинки", "<u>Другие</u> торты"), by, now).await.unwrap();
        assert_eq!(changed.content.variants["ru"].text, "<u>Другие</u> торты");
        let first = PageRequest { limit: 1, include_total: true, direction: Direction::Desc, ..Default::default() };
        let page = service::list(&t.db, &first).await.unwrap();
        assert_eq!((page.items[0].id, page.total), (other.id, Some(2)));
        let next = service::list(&t.db, &PageRequest { after: page.next.clone(), include_total: false, ..first }).await.unwrap();
        assert_eq!(next.items[0].id, created.id);
        assert!(next.next.is_none());
        service::delete(&t.db, created.id, by, now).await.unwrap();
        assert_eq!(service::get(&t.db, created.id).await.unwrap_err().code(), "MESSAGE_TEMPLATE_NOT_FOUND");
        assert_eq!(service::update(&t.db, created.id, &input("x", "y"), by, now).await.unwrap_err().code(), "MESSAGE_TEMPLATE_NOT_FOUND");
        let actions: Vec<String> = audit_log::Entity::find()
            .filter(audit_log::Column::EntityId.eq(created.id.to_string()))
            .filter(audit_log::Column::Entity.eq("message_template"))
            .all(&t.db).await.unwrap().into_iter().map(|a| a.action).collect();
        assert_eq!(actions, ["message_template.create", "message_template.update", "message_template.delete"]);
    }
}

storage_test! {
    async fn a_template_with_a_bad_tag_or_url_is_refused_naming_it(t) {
        let now = t.now();
        let admin = fixtures::owner(&t.db, 99, now).await;
        let by = Actor::admin(admin.id);
        let err = service::create(&t.db, &input("x", "Привет <script>alert(1)</script>"), by, now).await.unwrap_err();
        assert_eq!(field_errors(err), [("variants.ru.text".to_string(), "tag_not_allowed:script".to_string())]);
        let mut bad_button = input("y", "ok");
        bad_button.content.buttons[0].url = "javascript:alert(1)".into();
        let err = service::create(&t.db, &bad_button, by, now).await.unwrap_err();
        assert_eq!(field_errors(err), [("buttons[0].url".to_string(), "invalid_url".to_string())]);
        let err = service::create(&t.db, &input("  ", "ok"), by, now).await.unwrap_err();
        assert_eq!(field_errors(err), [("name".to_string(), "required".to_string())]);
        assert!(service::list(&t.db, &PageRequest::default()).await.unwrap().items.is_empty());
    }
}
