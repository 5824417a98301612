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
}
