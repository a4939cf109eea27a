//! Trace and span ids from the runtime's CSPRNG (`crypto.getRandomValues`), drawn from a small
//! buffer that is refilled in one call: a request needs one or two ids and each upstream
//! attempt one more, and a crossing into JS per id would cost more than the id.

use std::cell::RefCell;

use worker::js_sys;
use worker::wasm_bindgen::JsCast;
use worker::web_sys;

use super::{is_valid_id, SpanId, TraceId};

/// Random bytes fetched per refill: 32 span ids.
const POOL_BYTES: usize = 256;

struct Pool {
    bytes: [u8; POOL_BYTES],
    /// Bytes already handed out; the pool starts used up.
    taken: usize,
    crypto: Option<web_sys::Crypto>,
}

thread_local! {
    static POOL: RefCell<Pool> = const { RefCell::new(Pool { bytes: [0; POOL_BYTES], taken: POOL_BYTES, crypto: None }) };
}

/// `N` fresh random bytes, never all zero.
fn random<const N: usize>() -> [u8; N] {
    POOL.with(|pool| {
        let mut pool = pool.borrow_mut();
        loop {
            if pool.taken + N > POOL_BYTES {
                refill(&mut pool);
            }
            let mut id = [0; N];
            id.copy_from_slice(&pool.bytes[pool.taken..pool.taken + N]);
            pool.taken += N;
            if is_valid_id(&id) {
                return id;
            }
        }
    })
}

fn refill(pool: &mut Pool) {
    let crypto = pool.crypto.get_or_insert_with(|| {
        let scope: web_sys::WorkerGlobalScope = js_sys::global().unchecked_into();
        // Every Workers runtime has `crypto`; without it there is nothing safe to fall back on.
        scope.crypto().expect("the runtime has no crypto")
    });
    crypto.get_random_values_with_u8_array(&mut pool.bytes).expect("crypto.getRandomValues failed");
    pool.taken = 0;
}

/// A new random span id, from the runtime's CSPRNG.
pub fn span_id() -> SpanId {
    SpanId(random())
}

/// A new random trace id, from the runtime's CSPRNG.
pub fn trace_id() -> TraceId {
    TraceId(random())
}
