//! edge-relay: an async JSON API on Cloudflare workerd. Entry points only.

pub mod config;
pub mod error;
pub mod extract;
pub mod response;
pub mod routes;
pub mod upstream;

use worker::{event, Context, Env, Request, Response};

#[event(start)]
fn start() {
    console_error_panic_hook::set_once();
}

#[event(fetch)]
async fn fetch(req: Request, env: Env, _ctx: Context) -> worker::Result<Response> {
    routes::dispatch(req, env).await
}
