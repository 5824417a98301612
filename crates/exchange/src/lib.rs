//! The partners' exchange (issue 18): shared studies (`study.rs`: what a study holds,
//! its checks, what changed between two versions), and the engineering-requests desk.
//!
//! The engineering-requests desk: a commune or an EPCI submits a project
//! need, the desk's agents route it to partner referents, a partner accepts and
//! answers, the requester sees the answer. This crate holds the rules, without I/O:
//! the store keeps the cases, the server and the CLI call these functions.
//!
//! ```text
//!  received ──route (agent)──> routed ──accept (referent)──> accepted ──start──> in_progress
//!      │                         │                                                  │
//!      └──refuse (agent, reason)─┴──refuse (agent or referent, reason)     answer (referent)
//!                                                                                   v
//!                                            closed <──close (requester or agent)── answered
//! ```
//!
//! - `case.rs`: the statuses, who may take each step, the history (every action, who,
//!   when) and the threaded messages; a step that skips one, or a message after
//!   closing, is refused with a French message and changes nothing.
//! - `attachment.rs`: an attachment's type decided by its bytes, not its name.
//! - `indicators.rs`: requests by theme, EPCI and status, and the median time to an
//!   answer, with the cells that would show one commune's requests hidden.
//! - `routing.rs`: the partners suggested for a request, by theme and territory.
//! - `outbox.rs`: the e-mails each step sends, and when a failed sending is retried.

pub mod attachment;
pub mod case;
pub mod indicators;
pub mod outbox;
pub mod routing;
pub mod study;

pub use attachment::{AttachmentError, Kind, MAX_ATTACHMENT_BYTES, check_attachment};
pub use case::{Actor, Case, DeskError, Event, REMIND_EVERY_DAYS, Status, Step, Theme, Urgency};
pub use indicators::{Cell, DeskIndicators, indicators};
pub use outbox::{Delivery, Email, Recipients, confirmation, next_attempt, notifications, plausible_email, reminder};
pub use study::{Comment, SavedTable, Study, StudyError, changes, comment_text};
