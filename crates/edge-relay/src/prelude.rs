//! What a route module usually needs, in one `use edge_relay::prelude::*;`.

pub use crate::auth::{Caller, Guard};
pub use crate::error::ApiError;
pub use crate::handler::{Cfg, Ctx, Int, Json, Path, Query};
pub use crate::response::{Accepted, IntoResponse, Status};
pub use crate::router::{delete, get, patch, post, put, Call, Handled, Layer, Next, Route};
pub use crate::settings::{FromVars, Settings, Vars};
pub use crate::App;
