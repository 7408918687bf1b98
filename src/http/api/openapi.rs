//! The OpenAPI 3.1 document, generated from the handlers (utoipa): each resource module registers its
//! handlers with `OpenApiRouter::routes(routes!(…))`, which serves them *and* documents them, so the
//! served routes and the document cannot drift apart. [`finish`] then adds what every operation shares:
//! the bearer security (unless a route declared `security(())`, i.e. public), the error responses
//! (`4XX`/`5XX` with [`ErrorBody`]) and the optional `Idempotency-Key` header on protected POSTs.

use utoipa::OpenApi;
use utoipa::openapi::path::{Operation, ParameterBuilder, ParameterIn};
use utoipa::openapi::security::{Http, HttpAuthScheme, SecurityRequirement, SecurityScheme};
use utoipa::openapi::{ContentBuilder, Ref, Required, ResponseBuilder};

use super::error::ErrorBody;
use super::pagination::IdSort;
use crate::entity::admins::AdminRole;
use crate::entity::audit_log::ActorKind;
use crate::entity::cashiers::CashierState;
use crate::entity::discount_templates::DiscountKind;

/// The security scheme's name in the document.
pub const BEARER: &str = "bearer";

#[derive(OpenApi)]
#[openapi(
    info(
        title = "dvorik admin API",
        description = "The admin panel's REST API. Sign in with `POST /api/v1/auth/token` (a one-time token \
from the staff bot's /token or `dvorik admin token`), then send `Authorization: Bearer <access_token>`. \
Every error has the shape `{\"error\":{\"code\",\"message\",\"details\"}}`; the codes are listed in \
the `ErrorObject.code` enum.",
        license(name = "MIT")
    ),
    // Schemas referenced only from query parameters are not collected from the handlers: listed here.
    components(schemas(ErrorBody, IdSort, AdminRole, CashierState, DiscountKind, ActorKind)),
    tags(
        (name = "auth", description = "Signing in and sessions"),
        (name = "admins", description = "Admins of the panel (owner only)"),
        (name = "settings", description = "Shop settings (owner only)"),
        (name = "stores", description = "Stores of the chain"),
        (name = "cashiers", description = "Cashiers of the staff bot"),
        (name = "discount-templates", description = "What welcome, birthday and manual discounts are worth"),
        (name = "audit", description = "Who changed what (owner only)"),
        (name = "deals", description = "Deals, their documents, signing evidence and its verification"),
        (name = "blacklist", description = "Blocked users and phones (owner and marketing)"),
        (name = "users", description = "Customers: search, block, birthday corrections, manual discounts"),
        (name = "discounts", description = "Issued discounts, revoking, bulk issues with progress"),
        (name = "redemptions", description = "The usage log and its CSV export"),
        (name = "segments", description = "Saved audience filters with a live count"),
        (name = "message-templates", description = "Reusable message content in Telegram HTML"),
        (name = "broadcasts", description = "Messages to a segment or every subscriber, paced across instances, with progress"),
        (name = "stats", description = "Key figures per day in the shop's time zone"),
    )
)]
pub struct ApiDoc;

/// Adds the shared parts to every operation of `doc`.
pub fn finish(doc: &mut utoipa::openapi::OpenApi) {
    let components = doc.components.get_or_insert_with(Default::default);
    components.add_security_scheme(
        BEARER,
        SecurityScheme::Http(
            Http::builder()
                .scheme(HttpAuthScheme::Bearer)
                .bearer_format("JWT")
                .build(),
        ),
    );
    for item in doc.paths.paths.values_mut() {
        for (post, op) in [
            (false, &mut item.get),
            (true, &mut item.post),
            (false, &mut item.put),
            (false, &mut item.patch),
            (false, &mut item.delete),
        ] {
            if let Some(op) = op {
                finish_operation(op, post);
            }
        }
    }
}

fn finish_operation(op: &mut Operation, post: bool) {
    let protected = op.security.is_none();
    if protected {
        op.security = Some(vec![SecurityRequirement::new(BEARER, Vec::<String>::new())]);
    }
    if protected && post {
        let header = ParameterBuilder::new()
            .name("Idempotency-Key")
            .parameter_in(ParameterIn::Header)
            .required(Required::False)
            .description(Some(
                "Makes a retry safe: the first response is stored for 24 hours and replayed; \
                 the same key with a different request is 422 IDEMPOTENCY_KEY_REUSED.",
            ))
            .schema(Some(
                utoipa::openapi::ObjectBuilder::new()
                    .schema_type(utoipa::openapi::schema::Type::String)
                    .min_length(Some(1))
                    .max_length(Some(255))
                    .pattern(Some("^[!-~]+$")),
            ))
            .build();
        op.parameters
            .get_or_insert_with(Vec::new)
            .push(header.into());
    }
    for (status, description) in [
        ("4XX", "The request was refused; `error.code` says why"),
        (
            "5XX",
            "A server error; `error.details.request_id` names it in the log",
        ),
    ] {
        let response = ResponseBuilder::new()
            .description(description)
            .content(
                "application/json",
                ContentBuilder::new()
                    .schema(Some(Ref::from_schema_name("ErrorBody")))
                    .build(),
            )
            .build();
        op.responses
            .responses
            .entry(status.into())
            .or_insert(response.into());
    }
}
