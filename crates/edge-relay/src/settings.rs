//! An app's own settings: a type the app defines, read from the worker's vars once per isolate
//! by the same rules as the library's (a blank var is unset; a bad value names its var), and
//! taken by a handler as [`Settings<T>`]. A bad value fails only the routes that take `T`.

use std::any::{Any, TypeId};
use std::cell::RefCell;
use std::ops::{Deref, RangeInclusive};
use std::rc::Rc;

use worker::{console_error, Env};

use crate::config::vars::parse_u32;
use crate::config::{read_var, set, ConfigError};
use crate::error::ApiError;
use crate::handler::FromCall;
use crate::router::Call;

/// A settings type: how it is read from the vars.
pub trait FromVars: Sized + 'static {
    /// The settings from `vars`, or the [`ConfigError`] naming the var at fault.
    fn from_vars(vars: &Vars) -> Result<Self, ConfigError>;
}

/// The worker's vars and secrets, as a settings type reads them.
pub struct Vars<'a>(&'a dyn Fn(&str) -> Option<String>);

impl<'a> Vars<'a> {
    /// Vars from any source: `lookup` returns a var's value (the worker's env, or a test's map).
    pub fn new(lookup: &'a dyn Fn(&str) -> Option<String>) -> Self {
        Vars(lookup)
    }

    /// The var's value, trimmed; a blank one counts as unset.
    pub fn text(&self, name: &str) -> Option<String> {
        set((self.0)(name)).map(|v| v.trim().to_owned())
    }

    /// A whole number in `range`, `default` when unset.
    pub fn u32(&self, name: &'static str, default: u32, range: RangeInclusive<u32>) -> Result<u32, ConfigError> {
        parse_u32(name, self.text(name), default, range)
    }
}

/// The app's settings of type `T`, read on first use and then shared by every request of the
/// isolate; a bad var is a 500 problem naming it (logged once).
pub struct Settings<T>(pub Rc<T>);

impl<T> Deref for Settings<T> {
    type Target = T;

    fn deref(&self) -> &T {
        &self.0
    }
}

type Read = Result<Rc<dyn Any>, ConfigError>;

thread_local! {
    /// One entry per settings type; a handful at most, so a list.
    static READ: RefCell<Vec<(TypeId, Read)>> = const { RefCell::new(Vec::new()) };
}

impl<T: FromVars> FromCall for Settings<T> {
    async fn from_call(call: &mut Call) -> Result<Self, ApiError> {
        read::<T>(&call.env).map(Settings)
    }
}

fn read<T: FromVars>(env: &Env) -> Result<Rc<T>, ApiError> {
    let found = READ.with(|read| read.borrow().iter().find(|(id, _)| *id == TypeId::of::<T>()).map(|(_, r)| r.clone()));
    let found = found.unwrap_or_else(|| {
        let lookup = |name: &str| read_var(env, name);
        let fresh: Read = T::from_vars(&Vars::new(&lookup)).map(|t| Rc::new(t) as Rc<dyn Any>);
        if let Err(e) = &fresh {
            console_error!("{}", serde_json::json!({"level": "error", "event": "config_invalid", "error": e.to_string()}));
        }
        READ.with(|read| read.borrow_mut().push((TypeId::of::<T>(), fresh.clone())));
        fresh
    });
    let any = found.map_err(ApiError::Config)?;
    Ok(any.downcast::<T>().unwrap_or_else(|_| unreachable!("settings are stored under their own type")))
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Batch {
        concurrency: u32,
        hook: Option<String>,
    }

    impl FromVars for Batch {
        fn from_vars(vars: &Vars) -> Result<Self, ConfigError> {
            Ok(Batch { concurrency: vars.u32("CONCURRENCY", 6, 1..=50)?, hook: vars.text("HOOK") })
        }
    }

    fn batch(pairs: &[(&str, &str)]) -> Result<Batch, ConfigError> {
        let lookup = |name: &str| pairs.iter().find(|(k, _)| *k == name).map(|(_, v)| v.to_string());
        Batch::from_vars(&Vars::new(&lookup))
    }

    #[test]
    fn reads_defaults_values_and_errors_as_the_library_does() {
        let b = batch(&[]).unwrap();
        assert_eq!((b.concurrency, b.hook), (6, None));
        let b = batch(&[("CONCURRENCY", " 12 "), ("HOOK", " events ")]).unwrap();
        assert_eq!((b.concurrency, b.hook.as_deref()), (12, Some("events")));
        assert_eq!(batch(&[("HOOK", "   ")]).unwrap().hook, None, "blank is unset");
        assert!(matches!(batch(&[("CONCURRENCY", "0")]), Err(ConfigError::Invalid { var: "CONCURRENCY", .. })));
    }
}
