pub mod access;
pub mod account;
pub mod catalog;
pub mod check;
pub mod dataset;
pub mod desk;
pub mod fetch;
pub mod guarantees;
pub mod import;
pub mod indicator;
pub mod mobility;
pub mod network;
pub mod pack;
pub mod perimeter;
pub mod portrait;
pub mod retail;
pub mod serve;
pub mod siting;
pub mod synth;
pub mod territory;

use std::path::Path;

use anyhow::Result;
use echelle_indicators::{Engine, IndicatorError};
use echelle_referential::{Referential, TerritoryRef};
use echelle_store::{Store, StoreError};

/// A mistake in what the user typed or gave (exit status 2), as opposed to a failure
/// of the machine (exit status 1).
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct UserError(pub String);

pub fn is_user_error(e: &anyhow::Error) -> bool {
    e.chain().any(|c| {
        c.is::<UserError>()
            || c.downcast_ref::<echelle_platform::AccountError>()
                .is_some_and(echelle_platform::AccountError::is_user_error)
            || c.is::<echelle_referential::Error>()
            || c.is::<echelle_platform::SecrecyError>()
            || c.downcast_ref::<StoreError>().is_some_and(StoreError::is_user_error)
            || c.downcast_ref::<IndicatorError>().is_some_and(IndicatorError::is_user_error)
            || c.downcast_ref::<echelle_access::AccessError>().is_some_and(echelle_access::AccessError::is_user_error)
            || c.is::<echelle_siting::Error>()
            || c.downcast_ref::<echelle_import::ImportError>().is_some_and(echelle_import::ImportError::is_user_error)
            || c.downcast_ref::<echelle_guarantees::GuaranteeError>()
                .is_some_and(echelle_guarantees::GuaranteeError::is_user_error)
            || c.downcast_ref::<echelle_retail::RetailError>().is_some_and(echelle_retail::RetailError::is_user_error)
    })
}

pub fn open_store(root: &Path) -> Result<Store> {
    Ok(Store::open(root)?)
}

pub fn referential(root: &Path) -> Result<Referential> {
    Ok(open_store(root)?.referential()?)
}

/// A runtime for the query engine, which is async.
pub fn runtime() -> Result<tokio::runtime::Runtime> {
    Ok(tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build()?)
}

pub async fn engine(root: &Path) -> Result<Engine> {
    Ok(Engine::open(&open_store(root)?).await?)
}

/// Resolves every territory first, so that one wrong code fails before any work.
pub fn resolve_all(r: &Referential, inputs: &[String]) -> Result<Vec<TerritoryRef>> {
    inputs.iter().map(|i| Ok(r.resolve(i)?)).collect()
}
