//! Panics cost only the unit of work that raised them. The release build compiles with
//! `panic=unwind` (nightly, `-Zbuild-std`), so a panic unwinds to the nearest [`catch`]: one
//! request, one queue message, one background task. Every other future in the isolate keeps
//! running and the isolate keeps its state (config, breakers, coalescing, caches).
//!
//! Why state stays sound after an unwind: `RefCell` guards are released as the stack unwinds;
//! shared maps are only ever changed by a single assignment or insert computed beforehand (a
//! breaker's next state, a coalescing slot), and every claim on shared state that must be
//! given back (a coalescing owner, an in-flight count) is an RAII guard whose `Drop` runs
//! during the unwind, or when the caught future is dropped.

use std::any::Any;
use std::future::Future;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::pin::Pin;
use std::task::{Context, Poll};

/// Runs `future`, turning a panic in any of its polls into `Err(message)`. The future is
/// dropped at once after a panic, so the claims it held are released.
pub fn catch<F: Future>(future: F) -> Caught<F> {
    Caught { future: Some(Box::pin(future)) }
}

pub struct Caught<F> {
    future: Option<Pin<Box<F>>>,
}

impl<F: Future> Future for Caught<F> {
    type Output = Result<F::Output, String>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let Some(future) = self.future.as_mut() else {
            return Poll::Pending;
        };
        match catch_unwind(AssertUnwindSafe(|| future.as_mut().poll(cx))) {
            Ok(Poll::Pending) => Poll::Pending,
            Ok(Poll::Ready(output)) => {
                self.future = None;
                Poll::Ready(Ok(output))
            }
            Err(payload) => {
                self.future = None;
                Poll::Ready(Err(message(payload)))
            }
        }
    }
}

/// The panic's message. (workers-rs's panic hook also logs it, with a JS stack, as it happens.)
fn message(payload: Box<dyn Any + Send>) -> String {
    payload
        .downcast_ref::<&str>()
        .map(|s| (*s).to_owned())
        .or_else(|| payload.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "panic with a non-text payload".to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::cell::{Cell, RefCell};
    use std::rc::Rc;
    use std::task::Waker;

    /// Polls `future` to completion with a no-op waker; `yields` polls return Pending first.
    fn run<F: Future>(future: F) -> F::Output {
        let mut future = Box::pin(future);
        let mut cx = Context::from_waker(Waker::noop());
        loop {
            if let Poll::Ready(output) = future.as_mut().poll(&mut cx) {
                return output;
            }
        }
    }

    /// Pending once, then ready: a future that really suspends.
    struct YieldOnce(bool);
    impl Future for YieldOnce {
        type Output = ();
        fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
            if self.0 {
                return Poll::Ready(());
            }
            self.0 = true;
            cx.waker().wake_by_ref();
            Poll::Pending
        }
    }

    struct Claim(Rc<Cell<u32>>);
    impl Drop for Claim {
        fn drop(&mut self) {
            self.0.set(self.0.get() - 1);
        }
    }

    #[test]
    fn passes_the_output_through() {
        assert_eq!(run(catch(async { 7 })), Ok(7));
    }

    #[test]
    fn a_panic_after_a_suspension_becomes_its_message_and_releases_claims() {
        std::panic::set_hook(Box::new(|_| {}));
        let held = Rc::new(Cell::new(0));
        let state = Rc::new(RefCell::new(vec![1]));
        let (h, s) = (held.clone(), state.clone());
        let outcome = run(catch(async move {
            h.set(h.get() + 1);
            let _claim = Claim(h);
            YieldOnce(false).await;
            let _borrowed = s.borrow_mut();
            if s.try_borrow().is_err() {
                panic!("boom {}", 42);
            }
        }));
        let _ = std::panic::take_hook();
        assert_eq!(outcome, Err("boom 42".to_owned()));
        assert_eq!(held.get(), 0, "the claim was released");
        assert_eq!(*state.borrow(), vec![1], "the RefCell is usable again");
    }

    #[test]
    fn static_messages_and_other_payloads() {
        std::panic::set_hook(Box::new(|_| {}));
        let text = run(catch(async { panic!("plain") }));
        let other = run(catch(async { std::panic::panic_any(5_u8) }));
        let _ = std::panic::take_hook();
        assert_eq!(text, Err::<(), _>("plain".to_owned()));
        assert_eq!(other, Err::<(), _>("panic with a non-text payload".to_owned()));
    }
}
