//! Identical upstream GETs in flight in one isolate share one call.
//!
//! Followers do not await the owner's future: in Workers, a promise settled by one request's
//! I/O must not resume another request's code (the runtime cancels such continuations). Each
//! follower instead checks the shared slot on its own short timer, which keeps every wake-up
//! inside its own request. The few milliseconds this adds are small beside the slow calls
//! that coalescing exists for.

use std::cell::RefCell;
use std::collections::HashMap;
use std::future::Future;
use std::rc::Rc;

use super::outcome::{UpstreamError, UpstreamResponse};
use crate::executor;

type Outcome = Result<UpstreamResponse, UpstreamError>;

/// How often a follower looks for the owner's outcome.
const FOLLOW_POLL_MS: u32 = 5;

enum Slot {
    Pending,
    Done(Outcome),
    /// The owner's request went away before its call finished.
    Abandoned,
}

thread_local! {
    /// Survives a panic in an owner's request: the `Owner` guard is dropped as the panic
    /// unwinds (or when the caught future is dropped), which marks the slot abandoned and
    /// removes it, so followers make their own calls instead of waiting forever.
    static IN_FLIGHT: RefCell<HashMap<String, Rc<RefCell<Slot>>>> = RefCell::new(HashMap::new());
}

/// Runs `call` for `key`, unless a call with that key is already in flight, in which case
/// its outcome is shared. Returns the outcome and whether it was shared.
pub async fn run<F>(key: String, call: impl FnOnce() -> F) -> (Outcome, bool)
where
    F: Future<Output = Outcome>,
{
    if let Some(slot) = IN_FLIGHT.with(|m| m.borrow().get(&key).cloned()) {
        loop {
            executor::sleep(FOLLOW_POLL_MS).await;
            match &*slot.borrow() {
                Slot::Done(outcome) => return (outcome.clone(), true),
                Slot::Abandoned => break,
                Slot::Pending => {}
            }
        }
    }
    let owner = Owner::register(key);
    let outcome = call().await;
    (owner.finish(outcome), false)
}

/// The owner's claim on a key; dropping it unfinished (the request was cancelled) releases
/// the followers to make their own calls.
struct Owner {
    key: String,
    slot: Rc<RefCell<Slot>>,
}

impl Owner {
    fn register(key: String) -> Self {
        let slot = Rc::new(RefCell::new(Slot::Pending));
        IN_FLIGHT.with(|m| m.borrow_mut().insert(key.clone(), slot.clone()));
        Owner { key, slot }
    }

    /// Shares `outcome` with the followers, if any are waiting (each holds the slot), and
    /// hands it back.
    fn finish(self, outcome: Outcome) -> Outcome {
        // The map's and this owner's references are the only ones when nobody follows.
        if Rc::strong_count(&self.slot) > 2 {
            *self.slot.borrow_mut() = Slot::Done(outcome.clone());
        }
        outcome
    }
}

impl Drop for Owner {
    fn drop(&mut self) {
        let mut slot = self.slot.borrow_mut();
        if matches!(*slot, Slot::Pending) {
            *slot = Slot::Abandoned;
        }
        IN_FLIGHT.with(|m| {
            let mut map = m.borrow_mut();
            if map.get(&self.key).is_some_and(|s| Rc::ptr_eq(s, &self.slot)) {
                map.remove(&self.key);
            }
        });
    }
}
