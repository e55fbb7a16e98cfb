//! `GET /v1/openapi.json`: the OpenAPI document, made from the handlers' own
//! annotations so that it cannot drift from the routes.

use axum::Json;
use utoipa::openapi::security::{ApiKey, ApiKeyValue, HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};

use super::{documents, sql, streams};

struct Security;

impl Modify for Security {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()),
        );
        components
            .add_security_scheme("api_key", SecurityScheme::ApiKey(ApiKey::Header(ApiKeyValue::new("X-API-Key"))));
    }
}

#[derive(OpenApi)]
#[openapi(
    info(title = "AmberDB HTTP API", description = "SQL, document collections and message streams over HTTP and JSON. Every error is `{\"error\": {\"code\", \"message\", ...}}`."),
    paths(
        super::health, super::ready, super::metrics_text, document,
        sql::query, sql::batch,
        documents::list, documents::insert, documents::find, documents::read, documents::replace, documents::merge, documents::remove,
        streams::write, streams::read_stream, streams::read_category, streams::subscribe_stream, streams::subscribe_category,
    ),
    components(schemas(sql::QueryRequest, sql::BatchRequest, sql::BatchStatement, streams::NewMessage)),
    modifiers(&Security),
)]
pub struct ApiDoc;

/// The document, as JSON.
#[utoipa::path(get, path = "/v1/openapi.json", tag = "operations", responses((status = 200, description = "This OpenAPI document")))]
pub(crate) async fn document() -> Json<utoipa::openapi::OpenApi> {
    Json(ApiDoc::openapi())
}
