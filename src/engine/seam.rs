//! The one call seam: every entry point, Rust and C, passes here.
//!
//! A call the lock path can answer alone first tries the quiet branch
//! ([`Engine::quiet`]): with no hook armed and no reset under way (one load
//! of the gate's control word) it runs without taking anything. Every other
//! call, and a quiet one that declined, enters [`Engine::call`]: the gate
//! is taken shared (a reset takes it alone), then, if a hook is armed, the
//! hooks run before the operation with the call's id and raw arguments
//! (a fault may answer the call or act first), the operation runs, and the
//! hooks run again with its outcome.

use super::Engine;
use crate::call::Call;
use crate::device::ExecutionState;
use crate::error::{status_of, Result};
use crate::gate::Pass;
use crate::hooks::Fired;
use crate::lock::Locker;
use crate::removal;

impl Engine {
    /// The quiet branch: the lock operations when no hook is armed and no
    /// reset is under way (one load); `None` sends the call to
    /// [`Engine::call`].
    #[inline(always)]
    pub(super) fn quiet(&self) -> Option<Locker<'_>> {
        if self.stores.gate.quiet() {
            Some(self.locker())
        } else {
            None
        }
    }

    /// The seam proper: the gate, the hooks around `op`.
    #[inline]
    pub(super) fn call<T>(&self, call: Call, op: impl FnOnce(&Self, &mut Pass<'_>) -> Result<T>) -> Result<T> {
        let mut pass = self.stores.gate.enter();
        if self.stores.gate.hooked() {
            self.hooked(&mut pass, call, op)
        } else {
            op(self, &mut pass)
        }
    }

    #[cold]
    #[inline(never)]
    fn hooked<T>(
        &self,
        pass: &mut Pass<'_>,
        call: Call,
        op: impl FnOnce(&Self, &mut Pass<'_>) -> Result<T>,
    ) -> Result<T> {
        let result = match self.hooks.before(&self.stores.gate, &call) {
            Err(injected) => Err(injected),
            Ok(fired) => {
                self.apply(&call, fired);
                op(self, pass)
            }
        };
        self.hooks.after(&call, status_of(&result));
        result
    }

    /// Applies what the faults that fired ask for, before the call runs (it
    /// then sees the effect). A handle that names nothing does nothing here;
    /// the call then fails as usual.
    fn apply(&self, call: &Call, fired: Fired) {
        if fired == Fired::default() {
            return;
        }
        let allocations = self.allocations();
        // The adapter first: removing the device does not change it.
        let adapter = if call.id.names_device() {
            allocations.device(call.device).ok().map(|d| d.adapter())
        } else if call.id.names_adapter() {
            self.stores.adapters.resolve(&self.stores.handles, call.adapter).ok().map(|a| a.index)
        } else {
            None
        };
        if fired.remove_device {
            let _ = removal::remove_device(allocations, call.device, ExecutionState::Hung);
        }
        if let (true, Some(index)) = (fired.reset_adapter, adapter) {
            let _ = removal::reset_adapter(allocations, index);
        }
    }
}
