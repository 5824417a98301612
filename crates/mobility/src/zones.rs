//! The territories flows are summed to: every territory of a layer (EPCI,
//! départements…), or a list of any territories (perimeters, a commune, an EPCI…),
//! optionally inside a frame (`--within reg:32`); plus the remainders, so that every
//! worker lands in exactly one zone and a matrix total never depends on the zoning:
//! "rest of the frame", "outside the frame" (or "rest of France") and "abroad or
//! unknown".

use echelle_referential::{Layer, Referential, TerritoryRef};
use serde::Serialize;

use crate::MobilityError;
use crate::flows::NONE;

/// What a zone is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ZoneKind {
    /// A territory asked for.
    Territory,
    /// Communes of the frame in none of the territories asked for.
    RestOfFrame,
    /// Communes outside the frame (or, without a frame, in none of the territories).
    Outside,
    /// Work place abroad, or a code without a commune actuelle.
    Abroad,
}

/// A zone of a matrix or map: a territory, or the rest of the frame, outside, abroad.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct ZoneInfo {
    /// `epci:200093201`, or `rest`, `outside`, `abroad`.
    pub key: String,
    /// Its name, or the French label of the kind.
    pub name: String,
    /// A territory asked for, or a catch-all zone.
    pub kind: ZoneKind,
}

/// The most zones of a matrix or a flow map answered at once (25 million pairs): ask
/// for territories within a frame instead.
pub const MAX_ZONES: usize = 5_000;

/// A partition of all communes (and of "abroad") into zones.
#[derive(Debug, Clone)]
pub struct Zones {
    /// The zones, the territories asked for first.
    pub zones: Vec<ZoneInfo>,
    /// Zone of each commune (index into the referential's communes).
    pub of_commune: Vec<u32>,
    /// Zone of [`NONE`] (abroad, unknown).
    pub abroad: u32,
}

impl Zones {
    /// The zones a user asks for: every territory of `layer`, or the territories of
    /// `list` (codes such as `per:mel`), inside the frame `within` if any.
    pub fn parse(
        r: &Referential,
        layer: Option<&str>,
        list: &[String],
        within: Option<&str>,
    ) -> Result<Zones, MobilityError> {
        let within = within.map(|w| r.resolve(w)).transpose()?;
        let list: Vec<&str> = list.iter().map(|s| s.trim()).filter(|s| !s.is_empty()).collect();
        match (layer, list.is_empty()) {
            (Some(l), true) => Zones::layer(r, l.parse()?, within.as_ref()),
            (None, false) => {
                let list = list.iter().map(|t| r.resolve(t)).collect::<Result<Vec<_>, _>>()?;
                Zones::of(r, &list, within.as_ref())
            }
            _ => Err(MobilityError::Usage("give a layer or zones (territories, comma-separated), not both".into())),
        }
    }

    /// Every territory of `layer` lying wholly inside `within` (all of them without).
    pub fn layer(r: &Referential, layer: Layer, within: Option<&TerritoryRef>) -> Result<Zones, MobilityError> {
        if layer == Layer::Iris {
            return Err(MobilityError::Usage(
                "flows are known commune to commune: the IRIS layer cannot hold them".into(),
            ));
        }
        let list = r.territories_within(layer, within)?;
        Zones::of(r, &list, within)
    }

    /// The territories of `list` (which must not overlap), inside `within`.
    pub fn of(r: &Referential, list: &[TerritoryRef], within: Option<&TerritoryRef>) -> Result<Zones, MobilityError> {
        let n = r.communes().len();
        let mut of_commune = vec![NONE; n];
        let mut zones = Vec::with_capacity(list.len() + 3);
        let frame: Option<Vec<u32>> = match within {
            Some(w) => Some(r.members(w)?.into_owned()),
            None => None,
        };
        for t in list {
            let z = zones.len() as u32;
            for &c in r.members(t)?.iter() {
                if let Some(f) = &frame
                    && f.binary_search(&c).is_err()
                {
                    return Err(MobilityError::Usage(format!(
                        "{t} is not wholly inside {}: commune {} is outside",
                        within.expect("frame"),
                        r.communes()[c as usize].code
                    )));
                }
                let slot = &mut of_commune[c as usize];
                if *slot != NONE {
                    return Err(MobilityError::Usage(format!(
                        "{t} and {} overlap (commune {} {}): zones of a matrix must not overlap, or workers would be counted twice",
                        zones_key(&zones, *slot),
                        r.communes()[c as usize].code,
                        r.communes()[c as usize].name
                    )));
                }
                *slot = z;
            }
            zones.push(ZoneInfo {
                key: t.to_string(),
                name: r.name(t).unwrap_or("?").to_string(),
                kind: ZoneKind::Territory,
            });
        }
        let outside = match (&frame, within) {
            (Some(f), Some(w)) => {
                let rest = zones.len() as u32;
                let name = r.name(w).unwrap_or("?");
                zones.push(ZoneInfo {
                    key: "rest".into(),
                    name: format!("reste de {name}"),
                    kind: ZoneKind::RestOfFrame,
                });
                for &c in f {
                    if of_commune[c as usize] == NONE {
                        of_commune[c as usize] = rest;
                    }
                }
                zones.push(ZoneInfo { key: "outside".into(), name: format!("hors {name}"), kind: ZoneKind::Outside });
                zones.len() as u32 - 1
            }
            _ => {
                zones.push(ZoneInfo {
                    key: "outside".into(),
                    name: "reste de la France (hors zones)".into(),
                    kind: ZoneKind::Outside,
                });
                zones.len() as u32 - 1
            }
        };
        for z in of_commune.iter_mut() {
            if *z == NONE {
                *z = outside;
            }
        }
        zones.push(ZoneInfo { key: "abroad".into(), name: "étranger ou lieu inconnu".into(), kind: ZoneKind::Abroad });
        let abroad = zones.len() as u32 - 1;
        Ok(Zones { zones, of_commune, abroad })
    }

    /// The zone of a commune index (or of [`NONE`]).
    #[inline]
    pub fn zone(&self, commune: u32) -> u32 {
        if commune == NONE { self.abroad } else { self.of_commune[commune as usize] }
    }

    /// Number of zones, catch-all ones included.
    pub fn len(&self) -> usize {
        self.zones.len()
    }

    /// Refuses more than [`MAX_ZONES`] zones, for answers computed on request.
    pub fn check_size(&self) -> Result<(), MobilityError> {
        if self.len() > MAX_ZONES {
            return Err(MobilityError::Usage(format!(
                "{} zones: at most {MAX_ZONES} at once; ask for territories within a frame",
                self.len()
            )));
        }
        Ok(())
    }

    /// Whether there is no zone at all.
    pub fn is_empty(&self) -> bool {
        self.zones.is_empty()
    }
}

fn zones_key(zones: &[ZoneInfo], z: u32) -> &str {
    zones.get(z as usize).map_or("?", |x| x.key.as_str())
}
