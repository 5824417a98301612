//! The OpenAPI document of the server, generated from the handlers' annotations and
//! their response types (utoipa), served at `/api/openapi.json` and printed by
//! `echelle openapi` for the web application's type generation.

use axum::Json;
use echelle_referential::Layer;
use utoipa::openapi::OpenApi as Document;
use utoipa::{Modify, OpenApi};

use crate::error::ErrorBody;

#[derive(OpenApi)]
#[openapi(
    info(
        title = "echelle",
        description = "Territorial observatory: territories of France at every scale and their indicators, with source, vintage and unit."
    ),
    paths(
        crate::api::health,
        crate::api::ready,
        crate::api::layers,
        crate::api::search,
        crate::api::territories,
        crate::api::territory,
        crate::api::members,
        crate::api::indicators,
        crate::api::values,
        crate::api::portrait,
        crate::api::compare,
        crate::api::add_perimeter,
        crate::shapes::feature_ids,
        crate::shapes::geojson,
        crate::tiles::tile,
        crate::ogc::landing,
        crate::ogc::conformance,
        crate::ogc::collections,
        crate::ogc::collection,
        crate::ogc::items,
        crate::ogc::item,
        document,
        // ---- flows, access and exports: the lead adds them here at merge, once their
        // handlers carry #[utoipa::path] (and then removes `Pending` below):
        // crate::flows::datasets, crate::flows::lines, crate::flows::matrix_table,
        // crate::flows::summary, crate::flows::into, crate::flows::distances,
        // crate::flows::vulnerability_of, crate::flows::telework_of,
        // crate::access::facility_sets, crate::access::times, crate::access::diagnose,
        // crate::export::table, crate::export::layer::export, crate::export::portrait_pdf,
        // ---- end of the place for flows, access and exports
    ),
    components(schemas(Layer, ErrorBody)),
    modifiers(&Pending),
    tags(
        (name = "probes", description = "Liveness and readiness"),
        (name = "territories", description = "Territories of every layer, study perimeters"),
        (name = "indicators", description = "Indicator values, portraits and comparisons"),
        (name = "shapes", description = "Shapes of territories: vector tiles and GeoJSON"),
        (name = "ogc", description = "OGC API – Features over the communes"),
    )
)]
pub struct ApiDoc;

/// The document, built once.
pub fn document_value() -> Document {
    ApiDoc::openapi()
}

/// The document as pretty JSON.
pub fn document_json() -> String {
    document_value().to_pretty_json().expect("the OpenAPI document serialises")
}

#[utoipa::path(get, path = "/api/openapi.json", tag = "probes", summary = "This document (OpenAPI 3.1)",
    responses((status = 200, description = "The OpenAPI document", body = Object)))]
pub async fn document() -> Json<Document> {
    Json(document_value())
}

/// The routes of `flows.rs`, `access.rs` and `export/` as they were documented before
/// their handlers were annotated (other branches annotate them): kept so that the
/// document covers every route meanwhile. Removed at merge.
struct Pending;

/// A parameter's type in [`Pending`].
#[derive(Clone, Copy)]
enum Kind {
    Text,
    Integer,
    Number,
    Boolean,
    Layer,
}

const PATH: bool = true;
const QUERY: bool = false;

/// (path, POST?, summary, media type of the answer, parameters: name, in path?, required, type)
type Route = (&'static str, bool, &'static str, &'static str, &'static [(&'static str, bool, bool, Kind)]);

const KEY: (&str, bool, bool, Kind) = ("key", PATH, true, Kind::Text);
const DATASET: (&str, bool, bool, Kind) = ("dataset", QUERY, false, Kind::Text);
const SECRET: (&str, bool, bool, Kind) = ("secret_below", QUERY, false, Kind::Number);
const JSON: &str = "application/json";

const PENDING: &[Route] = &[
    ("/api/flows/datasets", false, "Home–work flow datasets of the store with their provenance", JSON, &[]),
    (
        "/api/flows/lines",
        false,
        "Flow lines between the territories of a layer from each shape's centroid, largest first",
        JSON,
        &[
            ("layer", QUERY, true, Kind::Layer),
            ("within", QUERY, false, Kind::Text),
            ("min", QUERY, false, Kind::Number),
            ("limit", QUERY, false, Kind::Integer),
            DATASET,
            SECRET,
        ],
    ),
    (
        "/api/flows/matrix",
        false,
        "Origin–destination matrix between the territories of a layer or zones named",
        JSON,
        &[
            ("layer", QUERY, false, Kind::Layer),
            ("zones", QUERY, false, Kind::Text),
            ("within", QUERY, false, Kind::Text),
            ("by", QUERY, false, Kind::Text),
            DATASET,
            SECRET,
        ],
    ),
    (
        "/api/flows/summary/{key}",
        false,
        "Commuting balance of a territory",
        JSON,
        &[KEY, ("partners", QUERY, false, Kind::Text), ("top", QUERY, false, Kind::Integer), DATASET, SECRET],
    ),
    (
        "/api/flows/into/{key}",
        false,
        "Workers commuting into a territory and the share living in another",
        JSON,
        &[KEY, ("from", QUERY, true, Kind::Text), DATASET, SECRET],
    ),
    (
        "/api/flows/distances/{key}",
        false,
        "Commuting distances of a territory's residents, km per day and CO2 per year by mode",
        JSON,
        &[
            KEY,
            DATASET,
            ("detour", QUERY, false, Kind::Number),
            ("intra_km", QUERY, false, Kind::Number),
            ("working_days", QUERY, false, Kind::Number),
            ("occupancy", QUERY, false, Kind::Number),
            ("rail_share", QUERY, false, Kind::Number),
        ],
    ),
    (
        "/api/flows/vulnerability/{key}",
        false,
        "Energy vulnerability of a territory's households from car commuting",
        JSON,
        &[
            KEY,
            DATASET,
            ("incomes", QUERY, false, Kind::Text),
            ("consumption", QUERY, false, Kind::Number),
            ("price", QUERY, false, Kind::Number),
            ("threshold", QUERY, false, Kind::Number),
        ],
    ),
    (
        "/api/flows/telework/{key}",
        false,
        "A telework scenario for a territory's residents",
        JSON,
        &[
            KEY,
            ("days", QUERY, false, Kind::Number),
            ("take_up", QUERY, false, Kind::Number),
            ("rebound", QUERY, false, Kind::Boolean),
            DATASET,
            ("incomes", QUERY, false, Kind::Text),
            ("consumption", QUERY, false, Kind::Number),
            ("price", QUERY, false, Kind::Number),
        ],
    ),
    ("/api/access/facilities", false, "Facility sets offered and the stored road networks", JSON, &[]),
    (
        "/api/access/times",
        false,
        "Per commune, minutes and km to the nearest facility of the set",
        JSON,
        &[
            ("facilities", QUERY, true, Kind::Text),
            ("layer", QUERY, false, Kind::Layer),
            ("within", QUERY, false, Kind::Text),
            ("network", QUERY, false, Kind::Text),
            ("detour", QUERY, false, Kind::Number),
            ("speed", QUERY, false, Kind::Number),
        ],
    ),
    (
        "/api/access/diagnose/{key}",
        false,
        "Access diagnostics of a territory (and of each territory of layer= inside it)",
        JSON,
        &[
            KEY,
            ("facilities", QUERY, true, Kind::Text),
            ("thresholds", QUERY, false, Kind::Text),
            ("layer", QUERY, false, Kind::Layer),
            ("network", QUERY, false, Kind::Text),
            ("detour", QUERY, false, Kind::Number),
            ("speed", QUERY, false, Kind::Number),
        ],
    ),
    (
        "/api/portrait/{key}/pdf",
        false,
        "The portrait as a printable PDF",
        "application/pdf",
        &[KEY, ("against", QUERY, false, Kind::Text), ("indicators", QUERY, false, Kind::Text)],
    ),
    (
        "/api/export/table",
        true,
        "A table posted as JSON ({title, source, columns, rows}) as a file: csv, csv-excel, xlsx or parquet",
        "application/octet-stream",
        &[("format", QUERY, true, Kind::Text)],
    ),
    (
        "/api/export/layer",
        false,
        "The territories of a layer with their shapes and indicator values, as GeoJSON or GeoPackage",
        "application/octet-stream",
        &[
            ("layer", QUERY, true, Kind::Layer),
            ("within", QUERY, false, Kind::Text),
            ("indicators", QUERY, false, Kind::Text),
            ("format", QUERY, true, Kind::Text),
        ],
    ),
];

impl Modify for Pending {
    fn modify(&self, doc: &mut Document) {
        use utoipa::openapi::path::{HttpMethod, OperationBuilder, ParameterBuilder, ParameterIn};
        use utoipa::openapi::request_body::RequestBodyBuilder;
        use utoipa::openapi::schema::{ObjectBuilder, Type};
        use utoipa::openapi::{ContentBuilder, Ref, RefOr, Required, ResponseBuilder, Schema};
        let error = || {
            ResponseBuilder::new()
                .description("What is wrong")
                .content(JSON, ContentBuilder::new().schema(Some(Ref::from_schema_name("ErrorBody"))).build())
                .build()
        };
        for &(path, post, summary, media, params) in PENDING {
            let parameters = params.iter().map(|&(name, in_path, required, kind)| {
                let schema: RefOr<Schema> = match kind {
                    Kind::Layer => Ref::from_schema_name("Layer").into(),
                    Kind::Text => ObjectBuilder::new().schema_type(Type::String).into(),
                    Kind::Integer => ObjectBuilder::new().schema_type(Type::Integer).minimum(Some(0)).into(),
                    Kind::Number => ObjectBuilder::new().schema_type(Type::Number).into(),
                    Kind::Boolean => ObjectBuilder::new().schema_type(Type::Boolean).into(),
                };
                ParameterBuilder::new()
                    .name(name)
                    .parameter_in(if in_path { ParameterIn::Path } else { ParameterIn::Query })
                    .required(if required || in_path { Required::True } else { Required::False })
                    .schema(Some(schema))
                    .build()
            });
            let mut operation = OperationBuilder::new()
                .summary(Some(summary))
                .tag("pending")
                .parameters(Some(parameters))
                .response(
                    "200",
                    ResponseBuilder::new().description("OK").content(media, ContentBuilder::new().build()).build(),
                )
                .response("400", error())
                .response("404", error());
            if post {
                let body = ObjectBuilder::new().schema_type(Type::Object);
                operation = operation.request_body(Some(
                    RequestBodyBuilder::new()
                        .required(Some(Required::True))
                        .content(JSON, ContentBuilder::new().schema(Some(body)).build())
                        .build(),
                ));
            }
            let method = if post { HttpMethod::Post } else { HttpMethod::Get };
            doc.paths.add_path_operation(path, vec![method], operation.build());
        }
    }
}
