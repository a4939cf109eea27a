//! Item results in R2 (the `JOBS_RESULTS` bucket): one object per finished item, holding its
//! result as one NDJSON line, so D1 keeps only state and a few bytes per item. Driven through
//! `results.mjs`, which streams them back without reading an object whole.

use worker::js_sys;
use worker::wasm_bindgen::{self, prelude::wasm_bindgen, JsValue};

use crate::error::{js_error_message, ApiError};
use crate::executor;

#[wasm_bindgen(module = "/src/jobs/results.mjs")]
extern "C" {
    fn put_result(bucket: &JsValue, job: &str, index: u32, line: &str) -> js_sys::Promise;
    /// Resolves to an array of the lines of `indices`, `null` for a missing one.
    fn read_results(bucket: &JsValue, job: &str, indices: &[u32]) -> js_sys::Promise;
    /// A `ReadableStream` of the lines of `indices`, each followed by a newline.
    fn results_stream(bucket: &JsValue, job: &str, indices: &[u32]) -> JsValue;
    fn delete_results(bucket: &JsValue, job: &str, total: u32) -> js_sys::Promise;
}

/// The R2 bucket binding of the jobs' results.
pub struct Results(JsValue);

fn unavailable(e: &JsValue) -> ApiError {
    ApiError::StorageUnavailable { detail: format!("the results store (R2) failed: {}", js_error_message(e)) }
}

impl Results {
    /// `binding` is the environment's R2 bucket object.
    pub(crate) fn new(binding: JsValue) -> Self {
        Results(binding)
    }

    /// Stores item `index`'s result line.
    pub(crate) async fn put(&self, job: &str, index: u32, line: &str) -> Result<(), ApiError> {
        executor::settled(&put_result(&self.0, job, index, line)).await.map(drop).map_err(|e| unavailable(&e))
    }

    /// The lines of items `indices`, in order (`None` for one that is gone).
    pub(crate) async fn read(&self, job: &str, indices: &[u32]) -> Result<Vec<Option<String>>, ApiError> {
        let lines = executor::settled(&read_results(&self.0, job, indices)).await.map_err(|e| unavailable(&e))?;
        Ok(js_sys::Array::from(&lines).iter().map(|line| line.as_string()).collect())
    }

    /// The lines of items `indices` as one NDJSON `ReadableStream`.
    pub(crate) fn stream(&self, job: &str, indices: &[u32]) -> JsValue {
        results_stream(&self.0, job, indices)
    }

    /// Deletes every result object of a job of `total` items.
    pub(crate) async fn delete(&self, job: &str, total: u32) -> Result<(), ApiError> {
        executor::settled(&delete_results(&self.0, job, total)).await.map(drop).map_err(|e| unavailable(&e))
    }
}
