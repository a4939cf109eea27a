//! Promises and timers as futures whose task is polled inside the runtime callback that
//! settles them (see the executor). One callback, made once per instance, serves them all by
//! slot: wasm-bindgen's `JsFuture` makes two closures per promise, worker's `Delay` one per timer.

use std::cell::{Cell, RefCell};
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll, Waker};

use worker::js_sys::Promise;
use worker::wasm_bindgen::{self, prelude::*};

#[wasm_bindgen(module = "/src/executor/settled.mjs")]
extern "C" {
    fn set_fire(callback: &Closure<dyn FnMut(u32, u32, bool, JsValue)>);
    fn when(promise: &Promise, index: u32, generation: u32);
    fn after(ms: u32, index: u32, generation: u32) -> f64;
    fn cancel(timer: f64);
}

type Outcome = Result<JsValue, JsValue>;

thread_local! {
    static SLOTS: RefCell<Slots<Outcome>> = RefCell::new(Slots::default());
    static FIRE_SET: Cell<bool> = const { Cell::new(false) };
}

/// The outcome of `promise`.
pub fn settled(promise: &Promise) -> Settled {
    let key = open();
    when(promise, key.index, key.generation);
    Settled { key, timer: None }
}

/// Done after `ms` milliseconds (a runtime timer; cancelled if dropped first).
pub async fn sleep(ms: u32) {
    let key = open();
    let _ = Settled { key, timer: Some(after(ms, key.index, key.generation)) }.await;
}

fn open() -> Key {
    if !FIRE_SET.with(|set| set.replace(true)) {
        let fire = Closure::wrap_assert_unwind_safe(Box::new(fire) as Box<dyn FnMut(u32, u32, bool, JsValue)>);
        set_fire(&fire);
        fire.forget(); // lives as long as the instance
    }
    SLOTS.with(|s| s.borrow_mut().open())
}

/// The one callback: stores the outcome, then wakes the task (outside the borrow), which
/// the executor polls before the callback returns.
fn fire(index: u32, generation: u32, ok: bool, value: JsValue) {
    super::callback(|| {
        let outcome = if ok { Ok(value) } else { Err(value) };
        if let Some(waker) = SLOTS.with(|s| s.borrow_mut().fire(Key { index, generation }, outcome)) {
            waker.wake();
        }
    });
}

/// A promise's or timer's outcome, once its callback has run.
pub struct Settled {
    key: Key,
    timer: Option<f64>,
}

impl Future for Settled {
    type Output = Outcome;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Outcome> {
        SLOTS.with(|s| s.borrow_mut().poll(self.key, cx.waker()))
    }
}

impl Drop for Settled {
    fn drop(&mut self) {
        let pending = SLOTS.with(|s| s.borrow_mut().close(self.key));
        if let (true, Some(timer)) = (pending, self.timer) {
            cancel(timer);
        }
    }
}

/// An awaited outcome's place: its slot, and which use of that slot (a late callback for an
/// earlier use finds another generation and is dropped).
#[derive(Clone, Copy, Debug, PartialEq)]
struct Key {
    index: u32,
    generation: u32,
}

/// What each awaited key has: its outcome once fired, the waker of its last poll until then.
/// A slot is free again once its outcome is taken or its future dropped. (A slab: a map
/// hashed every key, ~2 % of `/aggregate`'s CPU.)
struct Slots<T> {
    entries: Vec<Entry<T>>,
    free: Vec<u32>,
}

struct Entry<T> {
    generation: u32,
    slot: Option<Slot<T>>,
}

struct Slot<T> {
    outcome: Option<T>,
    waker: Option<Waker>,
}

impl<T> Default for Slots<T> {
    fn default() -> Self {
        Slots { entries: Vec::new(), free: Vec::new() }
    }
}

impl<T> Slots<T> {
    fn open(&mut self) -> Key {
        let index = self.free.pop().unwrap_or_else(|| {
            self.entries.push(Entry { generation: 0, slot: None });
            self.entries.len() as u32 - 1
        });
        let entry = &mut self.entries[index as usize];
        entry.generation = entry.generation.wrapping_add(1);
        entry.slot = Some(Slot { outcome: None, waker: None });
        Key { index, generation: entry.generation }
    }

    /// The key's entry, unless its slot has been used again since.
    fn entry(&mut self, key: Key) -> Option<&mut Entry<T>> {
        self.entries.get_mut(key.index as usize).filter(|e| e.generation == key.generation)
    }

    fn slot(&mut self, key: Key) -> Option<&mut Slot<T>> {
        self.entry(key)?.slot.as_mut()
    }

    /// The outcome if it is in (the slot is then freed), else keeps `waker` for `fire`.
    fn poll(&mut self, key: Key, waker: &Waker) -> Poll<T> {
        let Some(slot) = self.slot(key) else { return Poll::Pending };
        match slot.outcome.take() {
            Some(outcome) => {
                self.close(key);
                Poll::Ready(outcome)
            }
            None => {
                if !slot.waker.as_ref().is_some_and(|w| w.will_wake(waker)) {
                    slot.waker = Some(waker.clone());
                }
                Poll::Pending
            }
        }
    }

    /// Stores the outcome for a waiting key; returns the waker to wake.
    fn fire(&mut self, key: Key, outcome: T) -> Option<Waker> {
        let slot = self.slot(key)?;
        slot.outcome = Some(outcome);
        slot.waker.take()
    }

    /// Frees a key's slot; true if it had not fired yet.
    fn close(&mut self, key: Key) -> bool {
        let Some(slot) = self.entry(key).and_then(|e| e.slot.take()) else { return false };
        self.free.push(key.index);
        slot.outcome.is_none()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicU32, Ordering};
    use std::sync::Arc;

    struct Count(AtomicU32);
    impl std::task::Wake for Count {
        fn wake(self: Arc<Self>) {
            self.0.fetch_add(1, Ordering::Relaxed);
        }
    }

    #[test]
    fn an_outcome_reaches_the_waker_of_the_last_poll_and_then_the_poll() {
        let mut slots = Slots::default();
        let id = slots.open();
        let count = Arc::new(Count(AtomicU32::new(0)));
        let waker = Waker::from(count.clone());
        assert!(slots.poll(id, &waker).is_pending());
        let woken = slots.fire(id, "value").expect("the poll's waker");
        assert!(woken.will_wake(&waker));
        assert_eq!(slots.poll(id, &waker), Poll::Ready("value"));
        assert_eq!(slots.free, [id.index], "a taken outcome frees its slot");
    }

    #[test]
    fn an_outcome_before_any_poll_is_kept_for_it() {
        let mut slots = Slots::default();
        let id = slots.open();
        assert!(slots.fire(id, 7).is_none());
        assert_eq!(slots.poll(id, Waker::noop()), Poll::Ready(7));
    }

    #[test]
    fn a_dropped_future_frees_its_slot_and_a_late_callback_finds_nothing() {
        let mut slots = Slots::default();
        let (first, second) = (slots.open(), slots.open());
        assert_ne!(first, second);
        assert!(slots.poll(first, Waker::noop()).is_pending());
        assert!(slots.close(first), "dropped before it fired: its timer is cancelled");
        assert!(slots.fire(first, 1).is_none());
        assert!(slots.fire(second, 2).is_none());
        assert!(!slots.close(second), "fired: nothing to cancel");
        assert!(!slots.close(second), "closed once");
        assert_eq!(slots.free.len(), 2);
    }

    #[test]
    fn a_reused_slot_ignores_the_callbacks_of_its_earlier_use() {
        let mut slots = Slots::default();
        let old = slots.open();
        slots.close(old);
        let new = slots.open();
        assert_eq!(new.index, old.index, "the slot is reused");
        assert!(slots.fire(old, "late").is_none());
        assert!(slots.poll(new, Waker::noop()).is_pending(), "the new use has no outcome yet");
        slots.fire(new, "its own");
        assert_eq!(slots.poll(new, Waker::noop()), Poll::Ready("its own"));
        assert!(slots.poll(old, Waker::noop()).is_pending(), "an old key never reads a new outcome");
    }
}
