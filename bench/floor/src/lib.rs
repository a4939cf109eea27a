//! The floor: a `fetch` export that answers `/async-example`'s constant JSON body at once, with
//! no routing, no request id, no log line and no future. What it costs per request is what
//! crossing into wasm and back costs on workerd with this toolchain; `npm run bench` runs it
//! beside edge-relay so every report shows how far edge-relay is from it.

use wasm_bindgen::prelude::*;
use web_sys::{Headers, Response, ResponseInit};

// worker-build's shim calls workers-rs's start-up export; linking the crate provides it.
use worker as _;

const BODY: &str = r#"{"message":"Async operation completed"}"#;

#[wasm_bindgen]
pub fn fetch(_request: JsValue, _env: JsValue, _ctx: JsValue) -> Result<Response, JsValue> {
    let headers = Headers::new()?;
    headers.set("Content-Type", "application/json")?;
    let init = ResponseInit::new();
    init.set_status(200);
    init.set_headers(&headers);
    Response::new_with_opt_str_and_init(Some(BODY), &init)
}
