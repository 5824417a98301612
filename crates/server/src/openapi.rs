//! The OpenAPI document of the server, generated from the handlers' annotations and
//! their response types (utoipa), served at `/api/openapi.json` and printed by
//! `echelle openapi` for the web application's type generation.

use axum::Json;
use echelle_referential::Layer;
use utoipa::OpenApi;
use utoipa::openapi::OpenApi as Document;

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
        crate::api::remove_perimeter,
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
        crate::flows::datasets,
        crate::flows::lines,
        crate::flows::matrix_table,
        crate::flows::summary,
        crate::flows::into,
        crate::flows::distances,
        crate::flows::vulnerability_of,
        crate::flows::telework_of,
        crate::access::facility_sets,
        crate::access::times,
        crate::access::diagnose,
        crate::guarantees::check,
        crate::guarantees::exposure,
        crate::guarantees::beneficiaries,
        crate::guarantees::stress,
        crate::siting::study,
        crate::siting::export,
        crate::retail::inventory,
        crate::retail::change,
        crate::retail::projects,
        crate::retail::shops,
        crate::retail::shops_geojson,
        crate::retail::densities,
        crate::export::table,
        crate::export::layer::export,
        crate::export::portrait::portrait_pdf,
        crate::auth::login,
        crate::auth::logout,
        crate::auth::me,
        crate::auth::accounts,
        crate::auth::add_account,
        crate::auth::change_account,
        crate::auth::organisations,
        crate::auth::add_organisation,
        crate::auth::tokens,
        crate::auth::add_token,
        crate::auth::revoke_token,
        crate::auth::audit,
        crate::auth::audit_csv,
        crate::desk::submit,
        crate::desk::submit_public,
        crate::desk::confirm,
        crate::desk::follow,
        crate::desk::follow_step,
        crate::desk::list,
        crate::desk::get_case,
        crate::desk::step,
        crate::desk::attachment,
        crate::desk::suggestions,
        crate::desk::indicators,
        crate::desk::set_contact,
        crate::studies::list,
        crate::studies::create,
        crate::studies::get_study,
        crate::studies::save,
        crate::studies::version,
        crate::studies::comment,
        crate::studies::report,
    ),
    components(schemas(Layer, ErrorBody)),
    tags(
        (name = "probes", description = "Liveness and readiness"),
        (name = "territories", description = "Territories of every layer, study perimeters"),
        (name = "indicators", description = "Indicator values, portraits and comparisons"),
        (name = "shapes", description = "Shapes of territories: vector tiles and GeoJSON"),
        (name = "ogc", description = "OGC API – Features: one collection per layer with shapes"),
        (name = "flows", description = "Home–work commuting: matrices, balances, distances, vulnerability, telework"),
        (name = "access", description = "Access to services: travel times and diagnostics"),
        (name = "guarantees", description = "Loan guarantees: the check before a vote (CGCT), exposure, stress tests"),
        (name = "siting", description = "Third places: where to open the next sites (location models)"),
        (name = "retail", description = "Large retail (shops over 300 m²): inventory at any date, change, projects and authorisations"),
        (name = "exports", description = "Tables, layers and portraits as files"),
        (name = "desk", description = "The engineering-requests desk: requests of communes and EPCI, routing to partners, answers, e-mails, indicators"),
        (name = "studies", description = "Shared studies: territories, indicators, map, tables and notes; versions, comments, a report as a ZIP folder"),
        (name = "accounts", description = "Logins, sessions, API tokens, accounts, organisations and the audit log"),
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
