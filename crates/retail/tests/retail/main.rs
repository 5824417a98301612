//! The retail observatory on the hand-checked fixture of issue 15, the import's report
//! of rejected rows, and the inventory rebuilt whatever the order of observations.

mod brands;
mod figures;
mod fixture;
mod import;
mod order;
mod synth;
