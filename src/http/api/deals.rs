//! `/deals`: deals, their document versions, their evidence chain and its verification, and the signing
//! record export. Reads for every admin; changes for owners and marketing.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::error::ApiResult;
use super::extract::{AnyRole, ApiJson, ApiPath, ApiQuery, Auth, Marketers};
use super::pagination::{IdSort, PageBody, PageParams};
use super::state::ApiState;
use crate::app::Core;
use crate::entity::{deals as deal_entity, documents as document_entity, signature_events};
use crate::error::Error;
use crate::services::deals::{self, DealInput, DealState, Terms, from_minor};
use crate::services::documents;
use crate::services::evidence::{self, Verification};
use crate::services::signing_record::{self, SigningRecord};

pub fn routes() -> OpenApiRouter<ApiState> {
    OpenApiRouter::new()
        .routes(routes!(list_deals, create_deal))
        .routes(routes!(get_deal, update_deal))
        .routes(routes!(send_deal))
        .routes(routes!(cancel_deal))
        .routes(routes!(list_documents, render_document))
        .routes(routes!(get_document))
        .routes(routes!(get_document_pdf))
        .routes(routes!(list_evidence))
        .routes(routes!(verify_evidence))
        .routes(routes!(export_signing_record))
        .routes(routes!(export_signing_record_pdf))
}

/// The snake_case name of a serialized enum value.
pub(super) fn name_of<T: Serialize>(value: T) -> String {
    serde_json::to_value(value)
        .ok()
        .and_then(|v| v.as_str().map(String::from))
        .unwrap_or_default()
}

/// A deal.
#[derive(Debug, Serialize, ToSchema)]
pub struct DealView {
    pub id: i64,
    pub title: String,
    pub kind: String,
    pub counterparty_user_id: Option<i64>,
    pub counterparty_phone: Option<String>,
    /// RUB with 2 decimals, as a string.
    pub amount: String,
    pub amount_minor: i64,
    pub currency: String,
    pub terms: Terms,
    /// `draft`, `sent`, `viewed`, `signed`, `declined`, `cancelled`, `paid`, `closed`.
    pub state: String,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub sent_at: Option<DateTime<Utc>>,
    pub signed_at: Option<DateTime<Utc>>,
}

impl From<deal_entity::Model> for DealView {
    fn from(d: deal_entity::Model) -> Self {
        Self {
            id: d.id,
            title: d.title,
            kind: d.kind,
            counterparty_user_id: d.counterparty_user_id,
            counterparty_phone: d.counterparty_phone,
            amount: from_minor(d.amount_minor).to_string(),
            amount_minor: d.amount_minor,
            currency: d.currency,
            terms: serde_json::from_str(&d.terms).unwrap_or_default(),
            state: name_of(d.state),
            created_at: d.created_at,
            updated_at: d.updated_at,
            sent_at: d.sent_at,
            signed_at: d.signed_at,
        }
    }
}

/// A deal's editable fields.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DealBody {
    #[schema(min_length = 1, max_length = 255)]
    pub title: String,
    #[schema(min_length = 1, max_length = 32)]
    pub kind: String,
    /// The counterparty as a user id, or…
    pub counterparty_user_id: Option<i64>,
    /// …as a phone number (exactly one of the two).
    pub counterparty_phone: Option<String>,
    /// RUB, positive, at most 2 decimals, e.g. `"1500.00"`.
    #[schema(value_type = String, example = "1500.00")]
    pub amount: rust_decimal::Decimal,
    #[serde(default)]
    pub terms: Terms,
}

impl From<DealBody> for DealInput {
    fn from(b: DealBody) -> Self {
        Self {
            title: b.title,
            kind: b.kind,
            counterparty_user_id: b.counterparty_user_id,
            counterparty_phone: b.counterparty_phone,
            amount: b.amount,
            terms: b.terms,
        }
    }
}

/// Filters of the deal list.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct DealQuery {
    /// Only deals in this state (`draft`, `sent`, …).
    pub state: Option<String>,
}

/// Why a deal is cancelled.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CancelBody {
    #[schema(max_length = 1000)]
    pub reason: Option<String>,
}

/// A version of a deal's document.
#[derive(Debug, Serialize, ToSchema)]
pub struct DocumentView {
    pub id: i64,
    pub deal_id: i64,
    pub version: i32,
    pub title: String,
    /// The text the signer sees.
    pub body: String,
    /// SHA-256 of the body's UTF-8 bytes, hex.
    pub sha256: String,
    pub created_at: DateTime<Utc>,
    /// Set when a newer version replaced this one.
    pub voided_at: Option<DateTime<Utc>>,
}

impl From<document_entity::Model> for DocumentView {
    fn from(d: document_entity::Model) -> Self {
        Self {
            id: d.id,
            deal_id: d.deal_id,
            version: d.version,
            title: d.title,
            body: d.body,
            sha256: d.sha256,
            created_at: d.created_at,
            voided_at: d.voided_at,
        }
    }
}

/// One row of a deal's evidence chain.
#[derive(Debug, Serialize, ToSchema)]
pub struct EvidenceView {
    pub seq: i32,
    pub kind: String,
    pub document_id: Option<i64>,
    pub actor: Option<String>,
    /// The payload as stored (canonical JSON).
    pub payload: String,
    pub created_at: DateTime<Utc>,
    pub prev_hash: String,
    pub row_hash: String,
}

impl From<signature_events::Model> for EvidenceView {
    fn from(e: signature_events::Model) -> Self {
        Self {
            seq: e.seq,
            kind: name_of(e.kind),
            document_id: e.document_id,
            actor: e.actor,
            payload: e.payload,
            created_at: e.created_at,
            prev_hash: e.prev_hash,
            row_hash: e.row_hash,
        }
    }
}

const ID: &str = "Deal id";

#[utoipa::path(get, path = "/deals", tag = "deals", params(DealQuery, PageParams),
    responses((status = 200, description = "A page of deals", body = PageBody<DealView>)))]
async fn list_deals(
    _: Auth<AnyRole>,
    State(core): State<Core>,
    ApiQuery(query): ApiQuery<DealQuery>,
    ApiQuery(page): ApiQuery<PageParams>,
) -> ApiResult<Json<PageBody<DealView>>> {
    let state = match query.state.as_deref().filter(|s| !s.is_empty()) {
        Some(text) => Some(
            serde_json::from_value::<DealState>(serde_json::Value::String(text.into()))
                .map_err(|_| Error::invalid("state", "unknown"))?,
        ),
        None => None,
    };
    let page = deals::page(&core.db, state, &page.request(IdSort::Newest)?).await?;
    Ok(Json(PageBody::render(page, DealView::from)))
}

#[utoipa::path(post, path = "/deals", tag = "deals", request_body = DealBody,
    responses((status = 201, description = "The new draft", body = DealView)))]
async fn create_deal(
    auth: Auth<Marketers>,
    State(core): State<Core>,
    ApiJson(body): ApiJson<DealBody>,
) -> ApiResult<(StatusCode, Json<DealView>)> {
    let deal = deals::create(&core.db, &body.into(), auth.actor(), crate::clock::now()).await?;
    Ok((StatusCode::CREATED, Json(deal.into())))
}

#[utoipa::path(get, path = "/deals/{id}", tag = "deals", params(("id" = i64, Path, description = ID)),
    responses((status = 200, description = "The deal", body = DealView)))]
async fn get_deal(
    _: Auth<AnyRole>,
    State(core): State<Core>,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<Json<DealView>> {
    Ok(Json(deals::get(&core.db, id).await?.into()))
}

#[utoipa::path(put, path = "/deals/{id}", tag = "deals", params(("id" = i64, Path, description = ID)),
    request_body = DealBody, responses((status = 200, description = "The edited draft", body = DealView)))]
async fn update_deal(
    auth: Auth<Marketers>,
    State(core): State<Core>,
    ApiPath(id): ApiPath<i64>,
    ApiJson(body): ApiJson<DealBody>,
) -> ApiResult<Json<DealView>> {
    let deal = deals::update(
        &core.db,
        id,
        &body.into(),
        auth.actor(),
        crate::clock::now(),
    )
    .await?;
    Ok(Json(deal.into()))
}

#[utoipa::path(post, path = "/deals/{id}/send", tag = "deals", params(("id" = i64, Path, description = ID)),
    responses((status = 200, description = "The deal, sent", body = DealView)))]
async fn send_deal(
    auth: Auth<Marketers>,
    State(state): State<ApiState>,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<Json<DealView>> {
    let deal = deals::send(&state.core.db, id, auth.actor(), crate::clock::now()).await?;
    // The client bot tells the counterparty; a lost notice is no loss (`/documents` lists it).
    state.config.deal_notices.publish(deal.id);
    Ok(Json(deal.into()))
}

#[utoipa::path(post, path = "/deals/{id}/cancel", tag = "deals", params(("id" = i64, Path, description = ID)),
    request_body = CancelBody, responses((status = 200, description = "The deal, cancelled", body = DealView)))]
async fn cancel_deal(
    auth: Auth<Marketers>,
    State(core): State<Core>,
    ApiPath(id): ApiPath<i64>,
    ApiJson(body): ApiJson<CancelBody>,
) -> ApiResult<Json<DealView>> {
    let reason = body.reason.as_deref().filter(|r| !r.trim().is_empty());
    let deal = deals::cancel(&core.db, id, reason, auth.actor(), crate::clock::now()).await?;
    Ok(Json(deal.into()))
}

#[utoipa::path(get, path = "/deals/{id}/documents", tag = "deals", params(("id" = i64, Path, description = ID)),
    responses((status = 200, description = "Every version, oldest first", body = Vec<DocumentView>)))]
async fn list_documents(
    _: Auth<AnyRole>,
    State(core): State<Core>,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<Json<Vec<DocumentView>>> {
    deals::get(&core.db, id).await?;
    let docs = documents::list(&core.db, id).await?;
    Ok(Json(docs.into_iter().map(DocumentView::from).collect()))
}

#[utoipa::path(post, path = "/deals/{id}/documents", tag = "deals", params(("id" = i64, Path, description = ID)),
    responses((status = 201, description = "A new version; older ones and their pending codes are void", body = DocumentView)))]
async fn render_document(
    _: Auth<Marketers>,
    State(core): State<Core>,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<(StatusCode, Json<DocumentView>)> {
    let doc = documents::render(&core.db, id, crate::clock::now()).await?;
    Ok((StatusCode::CREATED, Json(doc.into())))
}

#[utoipa::path(get, path = "/documents/{id}", tag = "deals", params(("id" = i64, Path, description = "Document id")),
    responses((status = 200, description = "The document version", body = DocumentView)))]
async fn get_document(
    _: Auth<AnyRole>,
    State(core): State<Core>,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<Json<DocumentView>> {
    Ok(Json(documents::get(&core.db, id).await?.into()))
}

#[utoipa::path(get, path = "/deals/{id}/evidence", tag = "deals", params(("id" = i64, Path, description = ID)),
    responses((status = 200, description = "The evidence chain, oldest first", body = Vec<EvidenceView>)))]
async fn list_evidence(
    _: Auth<AnyRole>,
    State(core): State<Core>,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<Json<Vec<EvidenceView>>> {
    deals::get(&core.db, id).await?;
    let rows = evidence::list(&core.db, id).await?;
    Ok(Json(rows.into_iter().map(EvidenceView::from).collect()))
}

#[utoipa::path(get, path = "/deals/{id}/evidence/verify", tag = "deals", params(("id" = i64, Path, description = ID)),
    responses((status = 200, description = "The chain walked; the first broken row if any", body = Verification)))]
async fn verify_evidence(
    _: Auth<AnyRole>,
    State(core): State<Core>,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<Json<Verification>> {
    deals::get(&core.db, id).await?;
    Ok(Json(evidence::verify(&core.db, id).await?))
}

#[utoipa::path(get, path = "/deals/{id}/signing-record", tag = "deals", params(("id" = i64, Path, description = ID)),
    responses((status = 200, description = "Who signed which document and hash, when, how identified", body = SigningRecord)))]
async fn export_signing_record(
    _: Auth<AnyRole>,
    State(core): State<Core>,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<Json<SigningRecord>> {
    Ok(Json(signing_record::export(&core.db, id).await?))
}

#[utoipa::path(get, path = "/documents/{id}/pdf", tag = "deals", params(("id" = i64, Path, description = "Document id")),
    responses((status = 200, description = "The version as PDF (DejaVu Sans embedded)", content_type = "application/pdf", body = Vec<u8>)))]
async fn get_document_pdf(
    _: Auth<AnyRole>,
    State(core): State<Core>,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<([(axum::http::HeaderName, &'static str); 1], Vec<u8>)> {
    let bytes = documents::pdf(&core.db, id).await?;
    Ok((
        [(axum::http::header::CONTENT_TYPE, "application/pdf")],
        bytes,
    ))
}

#[utoipa::path(get, path = "/deals/{id}/signing-record.pdf", tag = "deals", params(("id" = i64, Path, description = ID)),
    responses((status = 200, description = "The signing record as PDF: who, which document and hash, when, how identified, the events and the chain's verification", content_type = "application/pdf", body = Vec<u8>)))]
async fn export_signing_record_pdf(
    _: Auth<AnyRole>,
    State(core): State<Core>,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<([(axum::http::HeaderName, &'static str); 1], Vec<u8>)> {
    let bytes = signing_record::export_pdf(&core.db, id).await?;
    Ok((
        [(axum::http::header::CONTENT_TYPE, "application/pdf")],
        bytes,
    ))
}
