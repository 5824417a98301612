//! The OpenAPI document of the JSON API, served at `/api/openapi.json`.

use axum::Json;
use serde_json::{Value, json};

fn get(summary: &str, params: &[(&str, &str, bool)]) -> Value {
    let parameters: Vec<Value> = params
        .iter()
        .map(|(name, place, required)| json!({ "name": name, "in": place, "required": required, "schema": { "type": "string" } }))
        .collect();
    json!({ "get": {
        "summary": summary,
        "parameters": parameters,
        "responses": {
            "200": { "description": "OK", "content": { "application/json": {} } },
            "400": { "$ref": "#/components/responses/Error" },
            "404": { "$ref": "#/components/responses/Error" }
        }
    }})
}

pub async fn document() -> Json<Value> {
    Json(json!({
        "openapi": "3.0.3",
        "info": {
            "title": "echelle",
            "version": env!("CARGO_PKG_VERSION"),
            "description": "Territorial observatory: territories of France at every scale and their indicators, with source, vintage and unit."
        },
        "paths": {
            "/api/layers": get("Layers and their number of territories", &[]),
            "/api/search": get("Find territories by name or code", &[("q", "query", true), ("limit", "query", false)]),
            "/api/territories": get("Territories of a layer", &[("layer", "query", true), ("within", "query", false)]),
            "/api/territory/{key}": get("A territory: name, size, references", &[("key", "path", true)]),
            "/api/territory/{key}/members": get("Member communes of a territory", &[("key", "path", true)]),
            "/api/indicators": get("Declared indicators with source and vintage", &[]),
            "/api/values": get("One indicator for every territory of a layer", &[("indicator", "query", true), ("layer", "query", true), ("within", "query", false)]),
            "/api/portrait/{key}": get("Key indicators of a territory against its references", &[("key", "path", true), ("against", "query", false), ("indicators", "query", false)]),
            "/api/compare": get("Two to four territories side by side, or a perimeter against its outside", &[("territories", "query", true), ("indicators", "query", false)]),
            "/api/perimeters": { "post": {
                "summary": "Save a study perimeter (id, name, include, exclude)",
                "requestBody": { "required": true, "content": { "application/json": { "schema": { "$ref": "#/components/schemas/NewPerimeter" } } } },
                "responses": { "201": { "description": "Created" }, "400": { "$ref": "#/components/responses/Error" }, "422": { "description": "Malformed body" } }
            }},
            "/api/feature-ids": get("Integer feature id of each commune in the vector tiles, with the tiles' address and bounds", &[("layer", "query", true), ("within", "query", false)]),
            "/api/shapes": get("Commune shapes as GeoJSON (WGS84)", &[("layer", "query", true), ("within", "query", false)]),
            "/tiles/com/{z}/{x}/{y}.mvt": get("Commune shapes as a Mapbox Vector Tile (layer com, feature id = commune index, properties key and name); 0 ≤ z ≤ 16", &[("z", "path", true), ("x", "path", true), ("y", "path", true)]),
            "/ogc": get("OGC API – Features landing page", &[]),
            "/ogc/conformance": get("OGC API – Features conformance classes", &[]),
            "/ogc/collections": get("OGC API – Features collections: communes with their indicators", &[]),
            "/ogc/collections/{id}": get("OGC API – Features collection", &[("id", "path", true)]),
            "/ogc/collections/{id}/items": get("OGC API – Features items (GeoJSON), paged", &[("id", "path", true), ("limit", "query", false), ("offset", "query", false), ("bbox", "query", false)]),
            "/ogc/collections/{id}/items/{feature}": get("OGC API – Features item: one commune by INSEE code", &[("id", "path", true), ("feature", "path", true)]),
            "/health": get("Liveness", &[]),
            "/ready": get("Readiness: the store is loaded", &[])
        },
        "components": {
            "responses": { "Error": { "description": "What is wrong", "content": { "application/json": { "schema": { "$ref": "#/components/schemas/Error" } } } } },
            "schemas": {
                "Error": { "type": "object", "required": ["error"], "properties": { "error": { "type": "string" } } },
                "NewPerimeter": { "type": "object", "required": ["id", "name", "include"], "properties": {
                    "id": { "type": "string", "pattern": "^[a-z0-9-]+$" }, "name": { "type": "string" },
                    "include": { "type": "array", "items": { "type": "string" } },
                    "exclude": { "type": "array", "items": { "type": "string" } },
                    "source": { "type": "string" }
                }}
            }
        }
    }))
}
