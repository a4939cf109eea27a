//! Runs each request's future, polling it at once where that is sound instead of through
//! wasm-bindgen's executor, which queues a microtask (a call out to JS and back) for every
//! wake-up. Tasks woken inside a *callback* are polled at its end, before it returns to the
//! runtime: the `fetch` call itself (the first poll, where most routes either finish, like
//! `/healthz` and every 4xx, or start their I/O) and the one callback that settles this
//! crate's promises and timers (`settled`, `sleep`). By then the callback has stored what it
//! settled and every waker it called has returned, so this is the poll a microtask would have
//! made, only without the trip through the runtime's queue; a wake-up during such a poll (a
//! future waking itself or another task) joins the same round, after that poll.
//!
//! Every other wake-up (from a dependency's own callback, e.g. worker's `Delay`, or from a
//! future polled by wasm-bindgen's executor) still waits for a microtask. Polls never nest.

mod settled;

pub use settled::{settled, sleep};

use std::cell::{Cell, RefCell};
use std::collections::VecDeque;
use std::future::Future;
use std::mem::ManuallyDrop;
use std::pin::Pin;
use std::rc::Rc;
use std::task::{Context, Poll, RawWaker, RawWakerVTable, Waker};

type Job = Pin<Box<dyn Future<Output = ()>>>;

struct Task {
    future: RefCell<Option<Job>>,
    /// Queued for a poll (in this callback's round or a microtask); once is enough for any
    /// number of wake-ups before it runs.
    queued: Cell<bool>,
    /// Queues a poll for a microtask: `wasm_bindgen_futures::spawn_local` in the worker.
    defer: fn(Deferred),
}

thread_local! {
    /// A task is being polled (set by `run`).
    static POLLING: Cell<bool> = const { Cell::new(false) };
    /// Inside a callback: the tasks woken so far, polled before it returns.
    static ROUND: RefCell<Option<VecDeque<Rc<Task>>>> = const { RefCell::new(None) };
}

/// Polls `future` now and then after every wake-up until it is done; `defer` queues the polls
/// that wait for a microtask (`wasm_bindgen_futures::spawn_local` in the worker, a test queue
/// on the host).
pub fn start(future: impl Future<Output = ()> + 'static, defer: fn(Deferred)) {
    let task = Rc::new(Task { future: RefCell::new(Some(Box::pin(future))), queued: Cell::new(false), defer });
    callback(|| run(&task));
}

/// Runs `body` as a callback from the runtime: the tasks it wakes (and those they wake) are
/// polled before this returns. Nested in a poll or another callback, it leaves them to that.
pub(crate) fn callback(body: impl FnOnce()) {
    if POLLING.with(Cell::get) || ROUND.with(|r| r.borrow().is_some()) {
        return body();
    }
    ROUND.with(|r| *r.borrow_mut() = Some(VecDeque::new()));
    let _round = Round;
    body();
    while let Some(task) = ROUND.with(|r| r.borrow_mut().as_mut().and_then(VecDeque::pop_front)) {
        task.queued.set(false);
        run(&task);
    }
}

/// Ends a callback's round; if a poll unwound out of it, what is left waits for microtasks.
struct Round;

impl Drop for Round {
    fn drop(&mut self) {
        for task in ROUND.with(|r| r.borrow_mut().take()).into_iter().flatten() {
            (task.defer)(Deferred(task));
        }
    }
}

/// One deferred poll of a task, for the executor `defer` hands it to.
pub struct Deferred(Rc<Task>);

impl Future for Deferred {
    type Output = ();

    fn poll(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<()> {
        self.0.queued.set(false);
        run(&self.0);
        Poll::Ready(())
    }
}

/// Polls the task unless a poll is already running, in which case it waits its turn.
fn run(task: &Rc<Task>) {
    if POLLING.with(Cell::get) {
        return schedule(task);
    }
    let _polling = Polling::enter();
    let waker = task_waker(task.clone());
    let mut cx = Context::from_waker(&waker);
    let mut slot = task.future.borrow_mut();
    if slot.as_mut().is_some_and(|f| f.as_mut().poll(&mut cx).is_ready()) {
        *slot = None;
    }
}

/// Marks a poll as running for as long as it lives (also if the poll unwinds).
struct Polling;

impl Polling {
    fn enter() -> Self {
        POLLING.with(|p| p.set(true));
        Polling
    }
}

impl Drop for Polling {
    fn drop(&mut self) {
        POLLING.with(|p| p.set(false));
    }
}

/// A wake-up: into the current callback's round, else to a microtask.
fn schedule(task: &Rc<Task>) {
    if task.queued.replace(true) {
        return;
    }
    let in_round = ROUND.with(|r| r.borrow_mut().as_mut().map(|round| round.push_back(task.clone())).is_some());
    if !in_round {
        (task.defer)(Deferred(task.clone()));
    }
}

static VTABLE: RawWakerVTable = RawWakerVTable::new(clone, wake, wake_by_ref, drop);

/// A waker over `Rc<Task>` (wasm has one thread; `std::task::Wake` would need `Arc` and
/// `Send`): the data pointer is an `Rc::into_raw`, each waker owning one count.
fn task_waker(task: Rc<Task>) -> Waker {
    // SAFETY: the vtable's functions keep the count balanced, and the data is only ever touched
    // on this thread.
    unsafe { Waker::from_raw(RawWaker::new(Rc::into_raw(task) as *const (), &VTABLE)) }
}

unsafe fn clone(data: *const ()) -> RawWaker {
    // SAFETY: `data` came from `Rc::into_raw` and is still owned by a waker.
    unsafe { Rc::increment_strong_count(data as *const Task) };
    RawWaker::new(data, &VTABLE)
}

unsafe fn wake(data: *const ()) {
    // SAFETY: as in `clone`; this consumes the waker's count.
    schedule(&unsafe { Rc::from_raw(data as *const Task) });
}

unsafe fn wake_by_ref(data: *const ()) {
    // SAFETY: as in `clone`; borrowed, so the count is not released.
    schedule(&ManuallyDrop::new(unsafe { Rc::from_raw(data as *const Task) }));
}

unsafe fn drop(data: *const ()) {
    // SAFETY: as in `clone`; this releases the waker's count.
    unsafe { Rc::decrement_strong_count(data as *const Task) };
}

#[cfg(test)]
mod tests {
    use super::*;

    thread_local! {
        static DEFERRED: RefCell<Vec<Deferred>> = const { RefCell::new(Vec::new()) };
        static WAKERS: RefCell<Vec<Waker>> = const { RefCell::new(Vec::new()) };
    }

    fn defer(task: Deferred) {
        DEFERRED.with(|d| d.borrow_mut().push(task));
    }

    /// Runs the queued microtasks; how many there were.
    fn run_deferred() -> usize {
        let queued: Vec<Deferred> = DEFERRED.with(|d| d.borrow_mut().drain(..).collect());
        let count = queued.len();
        for mut task in queued {
            assert!(Pin::new(&mut task).poll(&mut Context::from_waker(Waker::noop())).is_ready());
        }
        count
    }

    /// Pending while the cell is non-zero, keeping the waker of each poll.
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

    fn last_waker() -> Waker {
        WAKERS.with(|w| w.borrow_mut().pop()).expect("the task registered a waker")
    }

    /// A task that waits for `remaining` to reach zero and then sets `done`.
    fn waiting_task() -> (Rc<Cell<u32>>, Rc<Cell<bool>>) {
        waiting_task_through(|wait| Box::pin(wait))
    }

    /// The same, its wait awaited through `through` (e.g. a combinator).
    fn waiting_task_through(through: impl FnOnce(WaitFor) -> Pin<Box<dyn Future<Output = ()>>>) -> (Rc<Cell<u32>>, Rc<Cell<bool>>) {
        let remaining = Rc::new(Cell::new(1));
        let done = Rc::new(Cell::new(false));
        let (wait, d) = (through(WaitFor(remaining.clone())), done.clone());
        start(
            async move {
                wait.await;
                d.set(true);
            },
            defer,
        );
        (remaining, done)
    }

    #[test]
    fn a_future_that_is_ready_finishes_in_the_first_poll_without_a_microtask() {
        let done = Rc::new(Cell::new(false));
        let d = done.clone();
        start(async move { d.set(true) }, defer);
        assert!(done.get());
        assert_eq!(run_deferred(), 0);
    }

    #[test]
    fn a_wake_in_a_callback_is_polled_when_the_callback_ends() {
        let (remaining, done) = waiting_task();
        let waker = last_waker();
        callback(|| {
            waker.wake_by_ref();
            assert!(!done.get(), "not inside the callback's own work");
            remaining.set(0); // what the callback records after waking is seen too
        });
        assert!(done.get());
        assert_eq!(run_deferred(), 0);
    }

    #[test]
    fn a_wake_through_a_combinators_waker_in_a_callback_is_polled_at_its_end_too() {
        use futures_util::stream::{self, StreamExt};
        // `buffered` (as `/aggregate` uses) polls its futures with a waker of its own, which
        // wakes the task's.
        let (remaining, done) = waiting_task_through(|wait| {
            Box::pin(async move {
                stream::iter([wait]).buffered(1).collect::<Vec<()>>().await;
            })
        });
        let inner = last_waker();
        assert!(!std::ptr::eq(inner.vtable(), &VTABLE), "the combinator's waker, not the task's");
        remaining.set(0);
        callback(|| inner.wake());
        assert!(done.get());
        assert_eq!(run_deferred(), 0);
    }

    #[test]
    fn a_wake_outside_a_callback_waits_for_one_microtask() {
        let (remaining, done) = waiting_task();
        let waker = last_waker();
        remaining.set(0);
        waker.wake_by_ref();
        waker.wake(); // a second wake before the poll queues nothing more
        assert!(!done.get());
        assert_eq!(run_deferred(), 1);
        assert!(done.get());
    }

    #[test]
    fn a_wake_from_inside_a_poll_runs_after_that_poll_in_the_same_round() {
        let (remaining, done) = waiting_task();
        let inner = last_waker();
        let order = Rc::new(RefCell::new(Vec::new()));
        let (o, d) = (order.clone(), done.clone());
        start(
            async move {
                remaining.set(0);
                inner.wake();
                o.borrow_mut().push(("waker's poll ends", d.get()));
            },
            defer,
        );
        assert_eq!(*order.borrow(), [("waker's poll ends", false)], "no poll inside another");
        assert!(done.get());
        assert_eq!(run_deferred(), 0);
    }

    #[test]
    fn a_task_that_wakes_itself_is_polled_again_in_the_round() {
        let polls = Rc::new(Cell::new(0));
        let p = polls.clone();
        start(
            std::future::poll_fn(move |cx| {
                p.set(p.get() + 1);
                if p.get() < 3 {
                    cx.waker().wake_by_ref();
                    return Poll::Pending;
                }
                Poll::Ready(())
            }),
            defer,
        );
        assert_eq!(polls.get(), 3);
        assert_eq!(run_deferred(), 0);
    }

    #[test]
    fn a_callback_inside_a_poll_leaves_its_wakes_to_a_microtask() {
        // E.g. a settled promise's callback can never run inside a poll, but if one did, the
        // woken task must not be polled inside that poll.
        let (remaining, done) = waiting_task();
        let waker = last_waker();
        let polling = Polling::enter();
        remaining.set(0);
        callback(|| waker.wake());
        assert!(!done.get());
        std::mem::drop(polling);
        assert_eq!(run_deferred(), 1);
        assert!(done.get());
    }

    #[test]
    fn a_finished_task_is_freed_once_its_wakers_are_gone() {
        let (remaining, done) = waiting_task();
        let waker = last_waker();
        // SAFETY: a view of the waker's own count, never dropped.
        let task = ManuallyDrop::new(unsafe { Rc::from_raw(waker.data() as *const Task) });
        remaining.set(0);
        callback(|| waker.wake_by_ref());
        assert!(done.get());
        assert!(task.future.borrow().is_none(), "the finished future is dropped at once");
        assert_eq!(Rc::strong_count(&task), 1, "only the waker still held here counts");
    }
}
