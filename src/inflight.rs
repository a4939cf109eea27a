//! The requests this isolate is serving, each with the function that settles its response.
//!
//! A Rust panic on wasm aborts the whole instance: no future gets polled again and the
//! runtime would cancel every pending request with an opaque error. Because each response
//! promise is settled from JS through a function kept here, the panic hook (which still runs
//! inside a live instance) can answer the panicking request with a proper 500 problem, and
//! fail every other in-flight one at once, before the instance is reset for the next request.

use std::cell::{Cell, RefCell};
use std::collections::BTreeMap;
use std::future::Future;
use std::pin::Pin;
use std::rc::Rc;
use std::task::{Context, Poll};

use js_sys::{Function, Promise};
use worker::wasm_bindgen::JsValue;
use worker::web_sys;

use crate::context::RequestContext;
use crate::error::ApiError;
use crate::middleware::access_log;
use crate::response::problem_response;

struct Pending {
    ctx: Rc<RequestContext>,
    resolve: Function,
    reject: Function,
}

thread_local! {
    static IN_FLIGHT: RefCell<BTreeMap<u64, Pending>> = const { RefCell::new(BTreeMap::new()) };
    /// The request whose future is being polled right now, if any.
    static CURRENT: Cell<Option<u64>> = const { Cell::new(None) };
    static NEXT_ID: Cell<u64> = const { Cell::new(0) };
}

/// How many requests this isolate is serving, this one included.
pub fn count() -> u32 {
    IN_FLIGHT.with(|m| m.borrow().len() as u32)
}

/// Runs `handler` as a tracked request and returns the promise of its response.
pub fn serve<F>(ctx: Rc<RequestContext>, handler: F) -> Promise
where
    F: Future<Output = web_sys::Response> + 'static,
{
    let id = NEXT_ID.with(|n| {
        n.set(n.get() + 1);
        n.get()
    });
    let mut handler = Some(handler);
    Promise::new(&mut |resolve, reject| {
        IN_FLIGHT.with(|m| {
            m.borrow_mut().insert(id, Pending { ctx: ctx.clone(), resolve, reject })
        });
        let tracked = Tracked { id, inner: Box::pin(handler.take().expect("promise executor runs once")) };
        wasm_bindgen_futures::spawn_local(async move {
            let response = tracked.await;
            if let Some(pending) = IN_FLIGHT.with(|m| m.borrow_mut().remove(&id)) {
                let _ = pending.resolve.call1(&JsValue::NULL, &response);
            }
        });
    })
}

/// Marks its request as current while it is polled, so a panic knows whose it is.
struct Tracked {
    id: u64,
    inner: Pin<Box<dyn Future<Output = web_sys::Response>>>,
}

impl Future for Tracked {
    type Output = web_sys::Response;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let previous = CURRENT.with(|c| c.replace(Some(self.id)));
        let result = self.inner.as_mut().poll(cx);
        CURRENT.with(|c| c.set(previous));
        result
    }
}

/// Answers the request that panicked with a 500 problem carrying its request id.
fn answer_panicked(p: &Pending, message: &str) {
    let error = ApiError::Internal { detail: "the handler panicked; the instance has been restarted".to_owned() };
    access_log::emit_failure(&p.ctx, &error, message);
    let mut reply = problem_response(&error, &p.ctx.request_id);
    reply.header("X-Request-Id", p.ctx.request_id.as_str());
    let _ = p.resolve.call1(&JsValue::NULL, &reply.into_web());
}

/// Installs the hook that answers in-flight requests when a handler panics.
pub fn install_panic_hook() {
    std::panic::set_hook(Box::new(|info| {
        console_error_panic_hook::hook(info);
        let message = info.to_string();
        let current = CURRENT.with(|c| c.get());
        // try_borrow: the panic may have struck while the map was borrowed.
        let pending = IN_FLIGHT.with(|m| m.try_borrow_mut().map(|mut m| std::mem::take(&mut *m)).unwrap_or_default());
        for (id, p) in pending {
            if Some(id) == current {
                answer_panicked(&p, &message);
            } else {
                // Workers forbid building a response body for one request from another's
                // handler, so the bystanders are rejected, which the runtime answers with a
                // plain 500 at once instead of leaving them hanging on a dead instance.
                const CAUSE: &str = "another request's panic restarted the instance";
                access_log::emit_failure(&p.ctx, &ApiError::Internal { detail: CAUSE.to_owned() }, &message);
                let reason = js_sys::Error::new(&format!("request {}: {CAUSE}", p.ctx.request_id));
                let _ = p.reject.call1(&JsValue::NULL, &reason);
            }
        }
    }));
}
