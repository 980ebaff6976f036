//! The raw layer: one method per entry point, with the thunk's raw
//! arguments (32-bit handles, flag words, element lists). Each passes the
//! seam with its [`Call`], then composes the operations of the object kinds
//! involved. The typed facade and the C skin call nothing else.

use super::Engine;
use std::sync::Arc;

use crate::adapter::{AdapterAnswer, AdapterFilter, AdapterInfo, AdapterQuery, Luid};
use crate::allocation::{AllocationInfo, CreateCall, Element};
use crate::call::{Call, CallId, Elements};
use crate::context::ContextInfo;
use crate::device::{ContextDesc, ExecutionState, LiveDevice};
use crate::driver::DriverModel;
use crate::error::{ErrorKind, Result};
use crate::handle::{AdapterHandle, AllocationHandle, ContextHandle, DeviceHandle};
use crate::hooks::fault::Fault;
use crate::lock::{Locked, PageList, Quiet};
use crate::mem::{Mapping, View};
use crate::{removal, work};

/// What `D3DKMTGetDeviceState` is asked for: the C skin decodes
/// `StateType` into this.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum StateQuery {
    /// `D3DKMT_DEVICESTATE_EXECUTION`, the only state the simulator models.
    Execution,
    /// Any other `StateType`.
    #[cfg_attr(not(feature = "c-abi"), allow(dead_code))]
    Unsupported,
}

/// What a caller of Lock2 that needs only the mapping keeps of a lock.
#[inline(always)]
fn mapping_only(mapping: Mapping, _life: u64) -> Mapping {
    mapping
}

impl Engine {
    // === adapters ===

    /// `D3DKMTEnumAdapters2` ([`AdapterFilter::ALL`]) or
    /// `D3DKMTEnumAdapters3` with room for `capacity` entries; `filter` is
    /// decoded inside the seam (the C skin rejects reserved bits there).
    pub(crate) fn enum_adapters(
        &self,
        capacity: usize,
        filter: impl FnOnce() -> Result<AdapterFilter>,
    ) -> Result<Vec<AdapterInfo>> {
        let call = Call::new(CallId::EnumAdapters).value(capacity as u64);
        self.call(call, |e, _| e.stores.adapters.enumerate(&e.stores.handles, capacity, filter()?))
    }

    /// Enumeration's count alone (a C caller's NULL array): an
    /// `EnumAdapters` call like the one that fills the array.
    #[cfg_attr(not(feature = "c-abi"), allow(dead_code))]
    pub(crate) fn enum_adapters_count(&self, filter: impl FnOnce() -> Result<AdapterFilter>) -> Result<usize> {
        self.call(Call::new(CallId::EnumAdapters), |e, _| Ok(e.stores.adapters.count_present(filter()?)))
    }

    /// How many adapters enumeration with `filter` reports.
    pub(crate) fn adapter_count(&self, filter: AdapterFilter) -> usize {
        self.call(Call::new(CallId::Query), |e, _| Ok(e.stores.adapters.count_present(filter))).unwrap_or(0)
    }

    /// `D3DKMTQueryAdapterInfo`: the adapter (open: `InvalidParameter`;
    /// present: `DeviceRemoved`), then `f` with the adapter's answer to any
    /// query: the C skin checks its buffer and type and writes the answer
    /// there, all inside the seam, so what the hooks see is what the caller
    /// gets.
    pub(crate) fn query_adapter_info<T>(
        &self,
        adapter: u32,
        f: impl FnOnce(&dyn Fn(AdapterQuery) -> Result<AdapterAnswer>) -> Result<T>,
    ) -> Result<T> {
        self.call(Call::new(CallId::QueryAdapterInfo).adapter(adapter), |e, _| {
            let live = e.stores.adapters.resolve(&e.stores.handles, adapter)?;
            if live.adapter.is_removed() {
                return Err(ErrorKind::DeviceRemoved.into());
            }
            f(&|query| live.adapter.answer(live.index, query))
        })
    }

    /// `D3DKMTOpenAdapterFromLuid`.
    pub(crate) fn open_adapter(&self, luid: Luid) -> Result<AdapterHandle> {
        let call = Call::new(CallId::OpenAdapter).value(u64::from(luid.low) | (u64::from(luid.high as u32) << 32));
        self.call(call, |e, _| e.stores.adapters.open(&e.stores.handles, luid))
    }

    /// `D3DKMTCloseAdapter`.
    pub(crate) fn close_adapter(&self, adapter: u32) -> Result<()> {
        self.call(Call::new(CallId::CloseAdapter).adapter(adapter), |e, _| {
            e.stores.adapters.close(&e.stores.handles, adapter)
        })
    }

    /// The LUID of an open adapter handle.
    pub(crate) fn adapter_luid(&self, adapter: u32) -> Result<Luid> {
        self.call(Call::new(CallId::Query).adapter(adapter), |e, _| {
            Ok(e.stores.adapters.resolve(&e.stores.handles, adapter)?.adapter.luid())
        })
    }

    /// `SimKmtResetAdapter`.
    pub(crate) fn reset_adapter(&self, adapter: u32) -> Result<()> {
        self.call(Call::new(CallId::ResetAdapter).adapter(adapter), |e, _| {
            let live = e.stores.adapters.resolve(&e.stores.handles, adapter)?;
            removal::reset_adapter(e.allocations(), live.index)
        })
    }

    /// `SimKmtRemoveAdapter`.
    pub(crate) fn remove_adapter(&self, adapter: u32) -> Result<()> {
        self.call(Call::new(CallId::RemoveAdapter).adapter(adapter), |e, _| {
            let live = e.stores.adapters.resolve(&e.stores.handles, adapter)?;
            removal::remove_adapter(e.allocations(), live.index)
        })
    }

    // === devices ===

    /// `D3DKMTCreateDevice`.
    pub(crate) fn create_device(&self, adapter: u32) -> Result<DeviceHandle> {
        self.call(Call::new(CallId::CreateDevice).adapter(adapter), |e, _| {
            let live = e.stores.adapters.resolve(&e.stores.handles, adapter)?;
            e.stores.devices.create(&e.stores.handles, &live)
        })
    }

    /// `D3DKMTDestroyDevice`: every allocation of the device goes with it,
    /// locked, busy or not. Works on a removed device.
    pub(crate) fn destroy_device(&self, device: u32) -> Result<()> {
        self.call(Call::new(CallId::DestroyDevice).device(device), |e, _| {
            let dev = e.allocations().device(device)?;
            e.destroy_live(&dev)
        })
    }

    /// Destroys a checked device, outside the seam (a reset uses it too):
    /// its contexts, then its allocations, then the device.
    pub(super) fn destroy_live(&self, dev: &LiveDevice<'_>) -> Result<()> {
        let allocations = self.allocations();
        let adapter = self.stores.adapters.get(dev.adapter());
        let mut devices = adapter.devices();
        // Re-checked under the lock: of two racing destroys, one wins.
        let mut inner = dev.lock()?;
        self.contexts().destroy_all(&mut inner);
        allocations.destroy_all(adapter, &mut inner);
        self.stores.devices.retire(&self.stores.handles, dev, &mut inner);
        devices.remove(&dev.raw);
        drop(inner);
        drop(devices);
        dev.wake().notify_all();
        Ok(())
    }

    /// `D3DKMTGetDeviceState`: `Active`, or the first removal reason.
    pub(crate) fn device_state(&self, device: u32, query: StateQuery) -> Result<ExecutionState> {
        self.call(Call::new(CallId::GetDeviceState).device(device), |e, _| {
            if query != StateQuery::Execution {
                return Err(ErrorKind::InvalidParameter("only D3DKMT_DEVICESTATE_EXECUTION is supported").into());
            }
            Ok(e.allocations().device(device)?.removal().unwrap_or(ExecutionState::Active))
        })
    }

    /// `SimKmtRemoveDevice`.
    pub(crate) fn remove_device(&self, device: u32, reason: ExecutionState) -> Result<()> {
        let call = Call::new(CallId::RemoveDevice).device(device).value(u64::from(reason.to_raw()));
        self.call(call, |e, _| removal::remove_device(e.allocations(), device, reason))
    }

    // === contexts ===

    /// `D3DKMTCreateContextVirtual`; `decode` reads the description after
    /// the device checks.
    pub(crate) fn create_context(
        &self,
        device: u32,
        decode: impl FnOnce() -> Result<ContextDesc>,
    ) -> Result<ContextHandle> {
        self.call(Call::new(CallId::CreateContext).device(device), |e, _| e.contexts().create(device, decode))
    }

    /// `D3DKMTDestroyContext`.
    pub(crate) fn destroy_context(&self, context: u32) -> Result<()> {
        self.call(Call::new(CallId::DestroyContext).allocation(context), |e, _| e.contexts().destroy(context))
    }

    /// What a live context was created with.
    pub(crate) fn context_info(&self, context: u32) -> Result<ContextInfo> {
        self.call(Call::new(CallId::Query).allocation(context), |e, _| e.contexts().info(context))
    }

    // === allocations ===

    /// `D3DKMTCreateAllocation(2)`: `create` holds the call's own fields,
    /// `element(i)` reads the i-th allocation.
    pub(crate) fn create_allocations<'a>(
        &self,
        device: u32,
        create: &CreateCall<'a>,
        element: impl FnMut(u32) -> Result<Element<'a>>,
    ) -> Result<Vec<AllocationHandle>> {
        let call = Call::new(CallId::CreateAllocation).device(device).value(u64::from(create.count));
        self.call(call, |e, _| e.allocations().create(device, create, element))
    }

    /// `SimKmtQueryAllocationPrivateData`: a copy of the allocation's
    /// private driver data.
    pub(crate) fn allocation_private_data(&self, device: u32, allocation: u32) -> Result<Vec<u8>> {
        let call = Call::new(CallId::QueryAllocationPrivateData).device(device).allocation(allocation);
        self.call(call, |e, _| e.allocations().private_data(device, allocation))
    }

    /// `SimKmtSetDriverModel`: `None` restores the default model.
    pub(crate) fn set_driver_model(&self, model: Option<Arc<dyn DriverModel>>) -> Result<()> {
        self.call(Call::new(CallId::SetDriverModel), |e, _| {
            e.stores.driver.set(model);
            Ok(())
        })
    }

    /// `D3DKMTDestroyAllocation2`; `list` is `None` for a NULL list with a
    /// non-zero count.
    pub(crate) fn destroy_allocations(
        &self,
        device: u32,
        resource: u32,
        list: Option<&dyn Elements<u32>>,
    ) -> Result<()> {
        let call = Call::new(CallId::DestroyAllocation).device(device).value(u64::from(list.map_or(0, |l| l.count())));
        self.call(call, |e, _| e.allocations().destroy(device, resource, list))
    }

    /// `SimKmtQueryAllocation`.
    pub(crate) fn query_allocation(&self, device: u32, allocation: u32) -> Result<AllocationInfo> {
        let call = Call::new(CallId::QueryAllocation).device(device).allocation(allocation);
        self.call(call, |e, _| e.allocations().query(device, allocation))
    }

    /// Runs `f` on the memory of an allocation of `device` (a peek: works
    /// on a removed device, takes no lock reference).
    pub(crate) fn peek<R>(&self, device: u32, allocation: u32, f: impl FnOnce(&View<'_>) -> Result<R>) -> Result<R> {
        let call = Call::new(CallId::Memory).device(device).allocation(allocation);
        self.call(call, |e, _| {
            let allocations = e.allocations();
            let dev = allocations.device(device)?;
            let a = allocations.resolve(&dev, allocation)?;
            allocations.with_memory(allocation, Some(a.gen()), f)
        })
    }

    /// Runs `f` on the memory of the life `gen` of `allocation` (a lock
    /// guard's).
    pub(crate) fn with_memory<R>(
        &self,
        device: u32,
        allocation: u32,
        gen: u64,
        f: impl FnOnce(&View<'_>) -> Result<R>,
    ) -> Result<R> {
        let call = Call::new(CallId::Memory).device(device).allocation(allocation);
        self.call(call, |e, _| e.allocations().with_memory(allocation, Some(gen), f))
    }

    // === locks ===

    /// `D3DKMTLock2` on the quiet branch; `None` leaves it to
    /// [`Engine::lock2_entered`]. Cannot panic.
    #[inline(always)]
    pub(crate) fn lock2_quiet(&self, device: u32, allocation: u32, flags: u32) -> Quiet<Mapping> {
        self.quiet()?.lock2_quiet(device, allocation, flags, mapping_only)
    }

    /// `D3DKMTLock2`.
    #[inline(always)]
    pub(crate) fn lock2(&self, device: u32, allocation: u32, flags: u32) -> Result<Mapping> {
        match self.lock2_quiet(device, allocation, flags) {
            Some(Ok(mapping)) => Ok(mapping),
            Some(Err(kind)) => Err(kind.into()),
            None => self.lock2_entered(device, allocation, flags).map(|l| l.mapping),
        }
    }

    /// `D3DKMTLock2` that also says which life of the allocation it locked
    /// (for a lock guard).
    #[inline(always)]
    pub(crate) fn lock2_life(&self, device: u32, allocation: u32) -> Result<Locked> {
        let quiet =
            self.quiet().and_then(|l| l.lock2_quiet(device, allocation, 0, |mapping, gen| Locked { mapping, gen }));
        match quiet {
            Some(Ok(locked)) => Ok(locked),
            Some(Err(kind)) => Err(kind.into()),
            None => self.lock2_entered(device, allocation, 0),
        }
    }

    /// `D3DKMTLock2` through the seam proper.
    #[cold]
    #[inline(never)]
    pub(crate) fn lock2_entered(&self, device: u32, allocation: u32, flags: u32) -> Result<Locked> {
        let call = Call::new(CallId::Lock2).device(device).allocation(allocation).value(u64::from(flags));
        self.call(call, |e, pass| e.locker().lock2(pass, device, allocation, flags))
    }

    /// `D3DKMTUnlock2` on the quiet branch (see [`Engine::lock2_quiet`]);
    /// `life` as in the lock engine.
    #[inline(always)]
    pub(crate) fn unlock2_quiet(&self, device: u32, allocation: u32, life: Option<u64>) -> Quiet<()> {
        self.quiet()?.unlock2_quiet(device, allocation, life)
    }

    /// `D3DKMTUnlock2`.
    #[inline(always)]
    pub(crate) fn unlock2(&self, device: u32, allocation: u32, life: Option<u64>) -> Result<()> {
        match self.unlock2_quiet(device, allocation, life) {
            Some(Ok(())) => Ok(()),
            Some(Err(kind)) => Err(kind.into()),
            None => self.unlock2_entered(device, allocation, life),
        }
    }

    /// `D3DKMTUnlock2` through the seam proper.
    #[cold]
    #[inline(never)]
    pub(crate) fn unlock2_entered(&self, device: u32, allocation: u32, life: Option<u64>) -> Result<()> {
        let call = Call::new(CallId::Unlock2).device(device).allocation(allocation);
        self.call(call, |e, _| e.locker().unlock2(device, allocation, life))
    }

    /// `D3DKMTLock`, the legacy page lock: its success on the quiet
    /// branch, everything else through the seam.
    pub(crate) fn lock(&self, device: u32, allocation: u32, flags: u32, pages: PageList<'_>) -> Result<Locked> {
        if let Some(locked) = self.quiet().and_then(|l| l.lock_quiet(device, allocation, flags, pages)) {
            return Ok(locked);
        }
        self.lock_entered(device, allocation, flags, pages)
    }

    /// `D3DKMTLock` through the seam proper.
    #[cold]
    fn lock_entered(&self, device: u32, allocation: u32, flags: u32, pages: PageList<'_>) -> Result<Locked> {
        let call = Call::new(CallId::Lock).device(device).allocation(allocation).value(u64::from(flags));
        self.call(call, |e, pass| e.locker().lock_pages(pass, device, allocation, flags, pages))
    }

    /// `D3DKMTUnlock` on the quiet branch (one handle: Unlock2's rules).
    #[inline]
    pub(crate) fn unlock_quiet(&self, device: u32, list: &dyn Elements<u32>) -> Quiet<()> {
        self.quiet()?.unlock_quiet(device, list)
    }

    /// `D3DKMTUnlock`.
    pub(crate) fn unlock(&self, device: u32, list: &dyn Elements<u32>) -> Result<()> {
        match self.unlock_quiet(device, list) {
            Some(result) => result.map_err(Into::into),
            None => self.unlock_entered(device, list),
        }
    }

    /// `D3DKMTUnlock` through the seam proper.
    #[cold]
    pub(crate) fn unlock_entered(&self, device: u32, list: &dyn Elements<u32>) -> Result<()> {
        let first = if list.count() > 0 { list.get(0) } else { 0 };
        let call = Call::new(CallId::Unlock).device(device).allocation(first).value(u64::from(list.count()));
        self.call(call, |e, _| e.locker().unlock_pages(device, list))
    }

    // === GPU work ===

    /// `SimKmtSubmit`: returns the work's fence.
    pub(crate) fn submit(&self, device: u32, list: &dyn Elements<u32>) -> Result<u64> {
        let call = Call::new(CallId::Submit).device(device).value(u64::from(list.count()));
        self.call(call, |e, _| work::submit(e.allocations(), device, list))
    }

    /// `SimKmtCompleteFence`.
    pub(crate) fn complete_fence(&self, device: u32, value: u64) -> Result<()> {
        self.call(Call::new(CallId::CompleteFence).device(device).value(value), |e, _| {
            work::complete(e.allocations(), device, value)
        })
    }

    /// The last fence issued on the device.
    pub(crate) fn last_fence(&self, device: u32) -> Result<u64> {
        self.call(Call::new(CallId::Query).device(device), |e, _| work::last_fence(e.allocations(), device))
    }

    // === faults and configuration ===

    /// `SimKmtInjectFault`.
    pub(crate) fn inject_fault(&self, fault: Fault) -> Result<()> {
        self.call(Call::new(CallId::InjectFault), |e, _| e.hooks.arm_fault(&e.stores.gate, fault))
    }

    /// Disarms every fault.
    pub(crate) fn clear_faults(&self) {
        let _ = self.call(Call::new(CallId::InjectFault), |e, _| {
            e.hooks.clear_faults(&e.stores.gate);
            Ok(())
        });
    }

    /// The configuration in force.
    pub(crate) fn config(&self) -> crate::config::SimConfig {
        self.call(Call::new(CallId::Query), |e, _| Ok(e.stores.settings.config())).unwrap_or_default()
    }
}
