//! What makes an instance impossible, said in the user's terms.

/// An impossible instance or request.
#[derive(Debug, thiserror::Error, PartialEq)]
pub enum Error {
    /// More sites asked for than there are candidates left.
    #[error("p = {p} sites demandés pour {candidates} candidats seulement")]
    TooManySites {
        /// Sites asked for.
        p: usize,
        /// Candidates that may be opened.
        candidates: usize,
    },
    /// Fewer sites asked for than are already open.
    #[error("p = {p} sites demandés mais {fixed} sont déjà ouverts (sites existants)")]
    FewerThanFixed {
        /// Sites asked for.
        p: usize,
        /// Sites already open.
        fixed: usize,
    },
    /// p = 0.
    #[error("p doit être au moins 1")]
    NoSite,
    /// A demand point that no candidate reaches, in a model that must serve it.
    #[error("le point de demande n° {0} n'a aucun candidat à portée (augmentez le rayon)")]
    Unreachable(usize),
    /// A negative, infinite or missing weight.
    #[error("demande n° {index} invalide : {value} (attendu : un nombre positif ou nul)")]
    BadDemand {
        /// The demand point.
        index: usize,
        /// Its weight.
        value: f64,
    },
    /// A negative or not-a-number distance.
    #[error("distance invalide entre la demande n° {demand} et le candidat n° {candidate} : {value}")]
    BadDistance {
        /// The demand point.
        demand: usize,
        /// The candidate.
        candidate: usize,
        /// The distance.
        value: f64,
    },
    /// A fixed or excluded site that is not a candidate.
    #[error("le site n° {0} n'est pas parmi les candidats")]
    NotACandidate(usize),
    /// A site both fixed and excluded.
    #[error("le site n° {0} est à la fois existant (imposé) et exclu")]
    FixedAndExcluded(usize),
    /// Every site open leaves demand uncovered (set covering, p-center).
    #[error("même en ouvrant tous les candidats, une demande reste hors de portée")]
    CannotCover,
    /// No choice of `p` sites reaches every demand point that must be served.
    #[error("aucun choix de {0} sites ne dessert toute la demande à portée (augmentez p ou le rayon)")]
    NoFeasibleChoice(usize),
    /// A negative or not-a-number capacity.
    #[error("capacité invalide du candidat n° {index} : {value} (attendu : un nombre positif ou nul)")]
    BadCapacity {
        /// The candidate.
        index: usize,
        /// Its capacity.
        value: f64,
    },
    /// Capacities given for some candidates but not all.
    #[error("{given} capacités données pour {candidates} candidats")]
    CapacitiesCount {
        /// Capacities given.
        given: usize,
        /// Candidates.
        candidates: usize,
    },
    /// The largest capacities that `p` sites can offer fall short of the demand to serve.
    #[error("les {p} plus grandes capacités totalisent {capacity}, moins que la demande à servir ({demand})")]
    CapacityBelowDemand {
        /// Sites asked for.
        p: usize,
        /// Their largest total capacity.
        capacity: f64,
        /// Total demand.
        demand: f64,
    },
    /// A service distance beyond the radius the instance's pairs were cut at.
    #[error("distance de service {distance} au-delà du rayon de l'instance ({radius}) : augmentez le rayon")]
    RadiusBelowService {
        /// The instance's radius.
        radius: f64,
        /// The service distance.
        distance: f64,
    },
    /// The solver failed (a defect, not an input error).
    #[error("le solveur HiGHS a échoué : {0}")]
    Solver(String),
}
