//! Shapes of territories of any layer, from the pack's commune contours.
//!
//! ```text
//!  contours.parquet ──read_contours──> commune_shapes (by commune index)
//!        └─ union_layer(layer): member communes' contours unioned per territory,
//!           kept when at least 90 % of the members have a contour
//! ```
//!
//! Commune contours exist for every commune of France but a handful (see the pack's
//! build report) and the overseas collectivities: a territory of another layer is
//! shaped when nine in ten of its member communes are, and says how many it left out;
//! the others are counted as unshaped.

use echelle_referential::{Layer, Referential};
use geo::MultiPolygon;
use geo::orient::{Direction, Orient};

use crate::CommuneContour;

/// Where the contours come from, said with every shape served or exported.
pub const CONTOURS_SOURCE: &str = "IGN ADMIN EXPRESS via france-geojson (Licence Ouverte 2.0)";
/// The contours' vintage.
pub const CONTOURS_VINTAGE: &str = "2018, reconciled to COG 2026";

/// What shapes cover, said in every answer about shapes.
pub const COVERAGE: &str = "Commune contours exist for every commune of France (métropole and DROM) but 7 \
     communes re-established since 2018, whose land is still inside the 2018 contour of the commune they had joined \
     (the pack's build report names them; their area counts in that commune's, so that territories' areas are whole); \
     the overseas collectivities have none. A territory of another layer is \
     the union of its member communes' shapes and is shaped when at least 90 % of them have one ('missing' counts \
     those left out). Territories without a shape are absent from tiles, GeoJSON and exports, not errors.";

/// Whether a territory with `members` communes, `missing` of them without a contour,
/// is shaped: some member has one and at most one in ten lacks one.
pub fn is_shaped(members: usize, missing: usize) -> bool {
    missing < members && missing * 10 <= members
}

/// One territory's shape.
#[derive(Debug, Clone)]
pub struct TerritoryShape {
    /// For a commune its index in the referential, for another layer the territory's
    /// position in the layer (the feature id of the tiles).
    pub id: u32,
    /// The territory's code in its layer.
    pub code: String,
    /// The territory key, `com:59350`, `epci:200093201`...
    pub key: String,
    /// The territory's name, for map labels and tooltips.
    pub name: String,
    /// Area of the shape, km²: the sum of the members' when none is missing.
    pub area_km2: Option<f64>,
    /// Member communes without a contour, left out of the union.
    pub missing: usize,
    /// WGS84 longitude, latitude; exteriors anticlockwise.
    pub shape: MultiPolygon<f64>,
}

/// Every shape of a layer.
#[derive(Debug, Clone)]
pub struct LayerShapes {
    /// The layer these shapes tile.
    pub layer: Layer,
    /// Ordered by id.
    pub shapes: Vec<TerritoryShape>,
    /// Territories of the layer without a shape.
    pub unshaped: usize,
}

impl LayerShapes {
    /// The shape of id `id`.
    pub fn by_id(&self, id: u32) -> Option<&TerritoryShape> {
        self.shapes.binary_search_by_key(&id, |s| s.id).ok().map(|i| &self.shapes[i])
    }
}

/// The communes' shapes: one per contour of a commune of the referential (contours of
/// unknown communes are skipped), ordered by commune index.
pub fn commune_shapes(r: &Referential, contours: Vec<CommuneContour>) -> LayerShapes {
    let mut shapes: Vec<TerritoryShape> = contours
        .into_iter()
        .filter_map(|c| {
            let id = r.commune_index(&c.code)?;
            Some(TerritoryShape {
                id,
                key: format!("com:{}", c.code),
                name: r.communes()[id as usize].name.clone(),
                area_km2: c.area_km2,
                missing: 0,
                shape: c.shape.orient(Direction::Default),
                code: c.code,
            })
        })
        .collect();
    shapes.sort_by_key(|s| s.id);
    shapes.dedup_by_key(|s| s.id);
    let unshaped = r.communes().len() - shapes.len();
    LayerShapes { layer: Layer::Commune, shapes, unshaped }
}

/// The shapes of `layer`: each territory shaped by [`is_shaped`] is the union of its
/// member communes' shapes; the id is the territory's position in the layer.
pub fn union_layer(r: &Referential, communes: &LayerShapes, layer: Layer) -> LayerShapes {
    if layer == Layer::Commune {
        return communes.clone();
    }
    let mut shapes = Vec::new();
    let mut unshaped = 0;
    for (i, t) in r.territories(layer).iter().enumerate() {
        let members = r.members(t).map(|m| m.into_owned()).unwrap_or_default();
        let parts: Vec<&TerritoryShape> = members.iter().filter_map(|&c| communes.by_id(c)).collect();
        let missing = members.len() - parts.len();
        if !is_shaped(members.len(), missing) {
            unshaped += 1;
            continue;
        }
        let polygons: Vec<geo::Polygon<f64>> = parts.iter().flat_map(|s| s.shape.0.iter().cloned()).collect();
        let area_km2 = if missing == 0 { parts.iter().map(|s| s.area_km2).sum::<Option<f64>>() } else { None };
        shapes.push(TerritoryShape {
            id: i as u32,
            code: t.code.clone(),
            key: t.key(),
            name: r.name(t).unwrap_or(&t.code).to_string(),
            area_km2,
            missing,
            shape: geo::unary_union(&polygons),
        });
    }
    LayerShapes { layer, shapes, unshaped }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nine_in_ten_members_shape_a_territory() {
        assert!(is_shaped(1, 0));
        assert!(is_shaped(10, 1));
        assert!(!is_shaped(10, 2));
        assert!(is_shaped(20, 2));
        assert!(!is_shaped(3, 1));
        assert!(!is_shaped(0, 0), "no member, no shape");
        assert!(!is_shaped(1, 1));
    }

    /// On the shipped pack: the Pas-de-Calais and the Oise whole (its commune split since
    /// 2018 resolved by the current commune déléguée), the Calvados shaped without the
    /// commune re-established since 2018, the overseas collectivities unshaped.
    #[test]
    fn departements_are_unions_of_their_communes() {
        let store = crate::Store::open(crate::testing::test_store()).unwrap();
        let r = store.referential().unwrap();
        let communes = commune_shapes(&r, crate::read_contours(&store.pack_dir().unwrap()).unwrap());
        assert!(communes.shapes.len() > 34_800 && communes.unshaped < 110, "{}", communes.shapes.len());
        assert!(communes.shapes.windows(2).all(|w| w[0].id < w[1].id));
        let deps = union_layer(&r, &communes, Layer::Departement);
        let dep = |code: &str| deps.shapes.iter().find(|s| s.code == code);
        let pas_de_calais = dep("62").expect("shaped");
        assert_eq!((pas_de_calais.missing, pas_de_calais.key.as_str()), (0, "dep:62"));
        let members = r.members(&echelle_referential::TerritoryRef::new(Layer::Departement, "62")).unwrap().len();
        assert!(pas_de_calais.shape.0.len() * 20 < members, "one union, not {} polygons", pas_de_calais.shape.0.len());
        let summed: f64 = communes.shapes.iter().filter(|s| s.code.starts_with("62")).filter_map(|s| s.area_km2).sum();
        assert!((pas_de_calais.area_km2.unwrap() - summed).abs() < 1e-6);
        let oise = dep("60").expect("shaped");
        assert_eq!(oise.missing, 0, "the Oise's commune split since 2018 is resolved");
        let calvados = dep("14").expect("shaped");
        assert_eq!((calvados.missing, calvados.area_km2), (1, None), "Sannerville, re-established, has no shape");
        for code in ["75", "13", "2A", "2B", "971", "972", "973", "974", "976"] {
            assert_eq!(dep(code).map(|d| d.missing), Some(0), "dep:{code}");
        }
        assert!(dep("975").is_none() && dep("988").is_none(), "overseas collectivities have no contour");
        assert_eq!(deps.shapes.len() + deps.unshaped, r.territories(Layer::Departement).len());
        assert_eq!(deps.shapes.len(), 101);
    }
}
