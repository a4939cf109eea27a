//! Starting a request's future without waiting for a microtask: it is polled once at once, in
//! the `fetch` call itself. Most routes either finish in that poll (`/healthz`, every 4xx) or
//! start their I/O in it; wasm-bindgen's executor (`spawn_local`) would first queue a microtask
//! just to make that first poll. Only when the future must wait is it handed to the executor,
//! on its first wake-up; a wake of the first poll's waker after that reaches the executor's.

use std::cell::{Cell, RefCell};
use std::future::Future;
use std::pin::Pin;
use std::rc::Rc;
use std::task::{Context, Poll, RawWaker, RawWakerVTable, Waker};

type Task = Pin<Box<dyn Future<Output = ()>>>;

struct Shared {
    future: RefCell<Option<Task>>,
    /// Set on the first wake-up, when the task goes to the executor.
    handed_over: Cell<bool>,
    /// The executor's waker, from its latest poll.
    executor_waker: RefCell<Option<Waker>>,
}

/// Polls `future` once now; if it is not done, `spawn` gets the rest on its first wake-up.
/// `spawn` is `wasm_bindgen_futures::spawn_local` in the worker, a test executor on the host.
pub fn start(future: impl Future<Output = ()> + 'static, spawn: fn(Resume)) {
    let shared = Rc::new(Shared {
        future: RefCell::new(Some(Box::pin(future))),
        handed_over: Cell::new(false),
        executor_waker: RefCell::new(None),
    });
    let waker = first_poll_waker(shared.clone(), spawn);
    let mut cx = Context::from_waker(&waker);
    let mut slot = shared.future.borrow_mut();
    if slot.as_mut().is_some_and(|f| f.as_mut().poll(&mut cx).is_ready()) {
        *slot = None;
    }
}

/// The rest of a started task, driven by the executor.
pub struct Resume(Rc<Shared>);

impl Future for Resume {
    type Output = ();

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        *self.0.executor_waker.borrow_mut() = Some(cx.waker().clone());
        let mut slot = self.0.future.borrow_mut();
        match slot.as_mut().map(|f| f.as_mut().poll(cx)) {
            Some(Poll::Pending) => Poll::Pending,
            _ => {
                *slot = None;
                Poll::Ready(())
            }
        }
    }
}

/// What the first poll's waker does: hand the task over once, then forward.
fn wake(shared: &Rc<Shared>, spawn: fn(Resume)) {
    if !shared.handed_over.replace(true) {
        spawn(Resume(shared.clone()));
    } else if let Some(waker) = shared.executor_waker.borrow().as_ref() {
        waker.wake_by_ref();
    }
}

/// A waker over `Rc<Shared>` (wasm is single-threaded; `std::task::Wake` would need `Arc`
/// and `Send`). The data pointer is a leaked `Rc<(Rc<Shared>, fn(Resume))>`.
fn first_poll_waker(shared: Rc<Shared>, spawn: fn(Resume)) -> Waker {
    type Data = (Rc<Shared>, fn(Resume));
    unsafe fn clone(data: *const ()) -> RawWaker {
        // SAFETY: `data` came from `Rc::into_raw` below and is still owned by a waker.
        unsafe { Rc::increment_strong_count(data as *const Data) };
        RawWaker::new(data, &VTABLE)
    }
    unsafe fn wake_owned(data: *const ()) {
        // SAFETY: as in `clone`; this consumes the waker's count.
        let data = unsafe { Rc::from_raw(data as *const Data) };
        wake(&data.0, data.1);
    }
    unsafe fn wake_by_ref(data: *const ()) {
        // SAFETY: as in `clone`; borrowed, not consumed.
        let data = unsafe { &*(data as *const Data) };
        wake(&data.0, data.1);
    }
    unsafe fn drop(data: *const ()) {
        // SAFETY: as in `clone`; this releases the waker's count.
        unsafe { Rc::decrement_strong_count(data as *const Data) };
    }
    static VTABLE: RawWakerVTable = RawWakerVTable::new(clone, wake_owned, wake_by_ref, drop);
    let data: *const () = Rc::into_raw(Rc::new((shared, spawn))) as *const ();
    // SAFETY: the vtable's functions keep the `Rc` count balanced, and the data is only ever
    // touched on this thread (wasm has one).
    unsafe { Waker::from_raw(RawWaker::new(data, &VTABLE)) }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicU32, Ordering};
    use std::sync::Arc;

    thread_local! {
        static SPAWNED: RefCell<Vec<Resume>> = const { RefCell::new(Vec::new()) };
        static WAKERS: RefCell<Vec<Waker>> = const { RefCell::new(Vec::new()) };
    }

    fn spawn(task: Resume) {
        SPAWNED.with(|s| s.borrow_mut().push(task));
    }

    /// Pending until woken `n` times, keeping each waker it was polled with.
    struct WaitFor(Rc<Cell<u32>>);
    impl Future for WaitFor {
        type Output = ();
        fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
            if self.0.get() == 0 {
                return Poll::Ready(());
            }
            WAKERS.with(|w| w.borrow_mut().push(cx.waker().clone()));
            Poll::Pending
        }
    }

    fn counting_waker(count: Arc<AtomicU32>) -> Waker {
        struct Count(Arc<AtomicU32>);
        impl std::task::Wake for Count {
            fn wake(self: Arc<Self>) {
                self.0.fetch_add(1, Ordering::Relaxed);
            }
        }
        Waker::from(Arc::new(Count(count)))
    }

    #[test]
    fn a_future_that_is_ready_finishes_in_the_first_poll_without_the_executor() {
        let done = Rc::new(Cell::new(false));
        let d = done.clone();
        start(async move { d.set(true) }, spawn);
        assert!(done.get());
        assert!(SPAWNED.with(|s| s.borrow().is_empty()));
    }

    #[test]
    fn a_waiting_future_goes_to_the_executor_on_its_first_wake_and_old_wakes_follow_it() {
        let remaining = Rc::new(Cell::new(1));
        let done = Rc::new(Cell::new(false));
        let (r, d) = (remaining.clone(), done.clone());
        start(
            async move {
                WaitFor(r).await;
                d.set(true);
            },
            spawn,
        );
        assert!(!done.get());
        let first = WAKERS.with(|w| w.borrow_mut().pop()).expect("the first poll registered a waker");
        first.wake_by_ref();
        first.wake_by_ref(); // a second wake hands over nothing more
        let mut resumed: Vec<Resume> = SPAWNED.with(|s| s.borrow_mut().drain(..).collect());
        assert_eq!(resumed.len(), 1);
        let mut task = resumed.pop().unwrap();

        // The executor polls with its own waker; the future still waits.
        let executor_wakes = Arc::new(AtomicU32::new(0));
        let waker = counting_waker(executor_wakes.clone());
        let mut cx = Context::from_waker(&waker);
        assert!(Pin::new(&mut task).poll(&mut cx).is_pending());
        // A wake through the first poll's waker now reaches the executor.
        first.wake();
        assert_eq!(executor_wakes.load(Ordering::Relaxed), 1);
        remaining.set(0);
        assert!(Pin::new(&mut task).poll(&mut cx).is_ready());
        assert!(done.get());
    }
}
