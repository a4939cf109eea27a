//! Test-only routes for an app's [`crate::App::test_routes`]: compiled only with the
//! `diagnostics` feature (an app's test build), served there only with
//! `ENABLE_TEST_ROUTES=true`, never documented. The wasm that is deployed has none of them.

use crate::router::Route;

#[cfg(feature = "diagnostics")]
mod routes;

/// `/_test/panic`, `/_test/abort`, `/_test/echo` and `/_test/memory`; none without the `diagnostics` feature.
#[cfg(feature = "diagnostics")]
pub const ROUTES: &[Route] = &[routes::PANIC, routes::ABORT, routes::ECHO, routes::MEMORY];
/// `/_test/panic`, `/_test/abort`, `/_test/echo` and `/_test/memory`; none without the `diagnostics` feature.
#[cfg(not(feature = "diagnostics"))]
pub const ROUTES: &[Route] = &[];
