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

/// A GET returning a file.
fn file(summary: &str, content: &str, params: &[(&str, &str, bool)]) -> Value {
    let mut op = get(summary, params);
    op["get"]["responses"]["200"] = json!({ "description": "The file, as an attachment", "content": { content: {} } });
    op
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
            "/api/portrait/{key}/pdf": file("The portrait as a printable PDF (A4, several pages when long)", "application/pdf", &[("key", "path", true), ("against", "query", false), ("indicators", "query", false)]),
            "/api/export/table": { "post": {
                "summary": "A table as a file: csv (UTF-8, comma, '.' decimals), csv-excel (UTF-8 with BOM, ';', ',' decimals), xlsx (numbers numeric), parquet (numeric columns Float64, key-value metadata title and source); the source line is the last row of CSV and XLSX",
                "parameters": [{ "name": "format", "in": "query", "required": true, "schema": { "type": "string", "enum": ["csv", "csv-excel", "xlsx", "parquet"] } }],
                "requestBody": { "required": true, "content": { "application/json": { "schema": { "$ref": "#/components/schemas/Table" } } } },
                "responses": {
                    "200": { "description": "The file, as an attachment named after the title", "content": { "text/csv": {}, "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": {}, "application/vnd.apache.parquet": {} } },
                    "400": { "$ref": "#/components/responses/Error" }
                }
            }},
            "/api/export/layer": file("The territories of a layer (within a territory; by default all with shapes) with their shapes and one property per indicator (null where missing or secret), as GeoJSON or GeoPackage (WGS84)", "application/geopackage+sqlite3", &[("layer", "query", true), ("within", "query", false), ("indicators", "query", false), ("format", "query", true)]),
            "/api/perimeters": { "post": {
                "summary": "Save a study perimeter (id, name, include, exclude)",
                "requestBody": { "required": true, "content": { "application/json": { "schema": { "$ref": "#/components/schemas/NewPerimeter" } } } },
                "responses": { "201": { "description": "Created" }, "400": { "$ref": "#/components/responses/Error" }, "422": { "description": "Malformed body" } }
            }},
            "/api/feature-ids": get("Integer feature id of each territory of a layer (com, epci, arr, dep, reg, per) in its vector tiles, with the tiles' address and bounds; shapes exist where commune contours exist (Hauts-de-France)", &[("layer", "query", true), ("within", "query", false)]),
            "/api/shapes": get("Shapes of a layer (com, epci, arr, dep, reg, per) as GeoJSON (WGS84); a territory is the union of its member communes' shapes", &[("layer", "query", true), ("within", "query", false)]),
            "/tiles/{layer}/{z}/{x}/{y}.mvt": get("Shapes of a layer (com, epci, arr, dep, reg, per) as a Mapbox Vector Tile: source layer = the layer name, feature id from /api/feature-ids, properties key and name; 0 ≤ z ≤ 16", &[("layer", "path", true), ("z", "path", true), ("x", "path", true), ("y", "path", true)]),
            "/api/flows/datasets": get("Home–work flow datasets of the store with their provenance (source, vintage, synthetic); 404 with how to get one when none", &[]),
            "/api/flows/lines": get("Flow lines between the territories of a layer (within a frame) from each shape's centroid, largest first, with in/out totals per territory; lines under min workers and secret cells are not drawn", &[("layer", "query", true), ("within", "query", false), ("min", "query", false), ("limit", "query", false), ("dataset", "query", false), ("secret_below", "query", false)]),
            "/api/flows/matrix": get("Origin–destination matrix between the territories of a layer or zones named (comma-separated, not overlapping), optionally by mode (trans) or group (cs1); cells under the secrecy threshold have workers null and secret true", &[("layer", "query", false), ("zones", "query", false), ("within", "query", false), ("by", "query", false), ("dataset", "query", false), ("secret_below", "query", false)]),
            "/api/flows/summary/{key}": get("Commuting balance of a territory: residents in work, working inside, outgoing, incoming, net balance, self-containment and dependence rates, main destinations and origins", &[("key", "path", true), ("partners", "query", false), ("top", "query", false), ("dataset", "query", false), ("secret_below", "query", false)]),
            "/api/flows/into/{key}": get("Workers commuting into a territory and the share living in another (METHODS.md §1: /api/flows/into/per:mel?from=per:bassin-minier)", &[("key", "path", true), ("from", "query", true), ("dataset", "query", false), ("secret_below", "query", false)]),
            "/api/flows/distances/{key}": get("Commuting distances of a territory's residents (straight line × detour), km per day and CO2 per year by mode, with parameters", &[("key", "path", true), ("dataset", "query", false), ("detour", "query", false), ("intra_km", "query", false), ("working_days", "query", false), ("occupancy", "query", false), ("rail_share", "query", false)]),
            "/api/flows/vulnerability/{key}": get("Energy vulnerability of a territory's households from car commuting: fuel spending against Filosofi incomes (404 without an income dataset), with parameters", &[("key", "path", true), ("dataset", "query", false), ("incomes", "query", false), ("consumption", "query", false), ("price", "query", false), ("threshold", "query", false)]),
            "/api/flows/telework/{key}": get("A telework scenario for a territory's residents: teleworkers, km, CO2 and fuel money avoided a year (vulnerable households before and after when incomes are in the store)", &[("key", "path", true), ("days", "query", false), ("take_up", "query", false), ("rebound", "query", false), ("dataset", "query", false), ("incomes", "query", false), ("consumption", "query", false), ("price", "query", false)]),
            "/api/access/facilities": get("Facility sets offered (serve --facilities NAME=PATH: file, vintage, count) and the stored road networks", &[]),
            "/api/access/times": get("Per commune (inside within), minutes and km to the nearest facility of the set, on a road network (network=) or in straight line (detour, default 1.3; speed km/h, default 40), with the facilities as points; states the method and the facilities' file and vintage", &[("facilities", "query", true), ("layer", "query", false), ("within", "query", false), ("network", "query", false), ("detour", "query", false), ("speed", "query", false)]),
            "/api/access/diagnose/{key}": get("Access diagnostics of a territory (and of each territory of layer= inside it): population-weighted mean and median minutes, shares of the population beyond the thresholds (minutes, default 7,20), population without access, communes left out", &[("key", "path", true), ("facilities", "query", true), ("thresholds", "query", false), ("layer", "query", false), ("network", "query", false), ("detour", "query", false), ("speed", "query", false)]),
            "/ogc": get("OGC API – Features landing page", &[]),
            "/ogc/conformance": get("OGC API – Features conformance classes", &[]),
            "/ogc/collections": get("OGC API – Features collections: communes with their indicators", &[]),
            "/ogc/collections/{id}": get("OGC API – Features collection", &[("id", "path", true)]),
            "/ogc/collections/{id}/items": get("OGC API – Features items (GeoJSON), paged", &[("id", "path", true), ("limit", "query", false), ("offset", "query", false), ("bbox", "query", false)]),
            "/ogc/collections/{id}/items/{feature}": get("OGC API – Features item: one commune by INSEE code", &[("id", "path", true), ("feature", "path", true)]),
            "/health": get("Liveness", &[]),
            "/ready": get("Readiness: 200 once the indicator values are materialised, 503 while they are computed", &[])
        },
        "components": {
            "responses": { "Error": { "description": "What is wrong", "content": { "application/json": { "schema": { "$ref": "#/components/schemas/Error" } } } } },
            "schemas": {
                "Error": { "type": "object", "required": ["error"], "properties": { "error": { "type": "string" } } },
                "Table": { "type": "object", "required": ["columns", "rows"], "properties": {
                    "title": { "type": "string" }, "source": { "type": "string" },
                    "columns": { "type": "array", "items": { "type": "string" } },
                    "rows": { "type": "array", "maxItems": 200000, "items": { "type": "array", "items": { "oneOf": [{ "type": "string" }, { "type": "number" }], "nullable": true } } }
                }},
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
