//! The app this repository deploys: a backend-for-frontend on edge-relay (named upstreams, a
//! streaming relay, fan-out, background events, durable jobs), written against the library's
//! public API as any user's app would be. Entry points only.

mod routes;

pub use routes::APP;

edge_relay::export!(routes::APP);
