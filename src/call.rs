//! The calls that cross the seam: [`CallId`] names the entry point,
//! [`Call`] carries its raw arguments, [`Elements`] is a caller's array read
//! element by element.
//!
//! Hooks (the fault plan today; traces and replay later) see every call as
//! a `Call` before it runs and again with its outcome; they never call into
//! the objects themselves.

/// One entry point of the simulator, Rust and C alike.
///
/// Fourteen have a `SIMKMT_CALL_*` number a C program can aim a fault at:
/// the first ten, `EnumAdapters`, `QueryAdapterInfo`, `CreateContext` and
/// `DestroyContext`. From Rust a fault may aim at any of them but `Query`
/// and `InjectFault`.
#[non_exhaustive]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CallId {
    /// `D3DKMTLock2`.
    Lock2,
    /// `D3DKMTUnlock2`.
    Unlock2,
    /// `D3DKMTLock`.
    Lock,
    /// `D3DKMTUnlock`.
    Unlock,
    /// `D3DKMTCreateAllocation(2)`.
    CreateAllocation,
    /// `D3DKMTDestroyAllocation2`.
    DestroyAllocation,
    /// `D3DKMTCreateDevice`.
    CreateDevice,
    /// `D3DKMTDestroyDevice`.
    DestroyDevice,
    /// `D3DKMTOpenAdapterFromLuid`.
    OpenAdapter,
    /// `D3DKMTGetDeviceState`.
    GetDeviceState,
    /// `D3DKMTEnumAdapters2` and `D3DKMTEnumAdapters3`.
    EnumAdapters,
    /// `D3DKMTCloseAdapter`.
    CloseAdapter,
    /// `SimKmtQueryAllocation`.
    QueryAllocation,
    /// `SimKmtSubmit`.
    Submit,
    /// `SimKmtCompleteFence`.
    CompleteFence,
    /// `SimKmtRemoveDevice`.
    RemoveDevice,
    /// `SimKmtResetAdapter`.
    ResetAdapter,
    /// `SimKmtRemoveAdapter`.
    RemoveAdapter,
    /// Reads of the simulator's state that have no thunk (adapter count,
    /// LUID of a handle, last fence, configuration).
    Query,
    /// Copies to or from an allocation's memory through a lock guard, or a
    /// peek.
    Memory,
    /// `SimKmtInjectFault`, and disarming faults.
    InjectFault,
    /// `D3DKMTQueryAdapterInfo`.
    QueryAdapterInfo,
    /// `D3DKMTCreateContextVirtual`.
    CreateContext,
    /// `D3DKMTDestroyContext`.
    DestroyContext,
    /// `SimKmtSetDriverModel`: replacing the driver model (or restoring
    /// the default).
    SetDriverModel,
    /// `SimKmtQueryAllocationPrivateData`.
    QueryAllocationPrivateData,
}

impl CallId {
    /// Whether the call names a device (so a fault can remove it).
    ///
    /// ```
    /// use d3dkmt_sim::CallId;
    /// assert!(CallId::Lock2.names_device());
    /// assert!(!CallId::CreateDevice.names_device(), "it names an adapter");
    /// ```
    pub const fn names_device(self) -> bool {
        matches!(
            self,
            CallId::Lock2
                | CallId::Unlock2
                | CallId::Lock
                | CallId::Unlock
                | CallId::CreateAllocation
                | CallId::DestroyAllocation
                | CallId::DestroyDevice
                | CallId::GetDeviceState
                | CallId::QueryAllocation
                | CallId::Submit
                | CallId::CompleteFence
                | CallId::RemoveDevice
                | CallId::Memory
                | CallId::CreateContext
                | CallId::QueryAllocationPrivateData
        )
    }

    /// Whether a fault may aim at the call (every entry point but the
    /// queries without a thunk and the fault calls themselves).
    ///
    /// ```
    /// use d3dkmt_sim::CallId;
    /// assert!(CallId::Unlock2.can_fault());
    /// assert!(!CallId::Query.can_fault() && !CallId::InjectFault.can_fault());
    /// ```
    pub const fn can_fault(self) -> bool {
        !matches!(self, CallId::Query | CallId::InjectFault)
    }

    /// Whether the call names an adapter handle (so a fault can reset the
    /// adapter through it).
    ///
    /// ```
    /// use d3dkmt_sim::CallId;
    /// assert!(CallId::CreateDevice.names_adapter());
    /// assert!(!CallId::Lock2.names_adapter());
    /// ```
    pub const fn names_adapter(self) -> bool {
        matches!(
            self,
            CallId::CreateDevice
                | CallId::CloseAdapter
                | CallId::ResetAdapter
                | CallId::RemoveAdapter
                | CallId::QueryAdapterInfo
        )
    }
}

/// A caller's array of `T`, read one element at a time: nothing is
/// reserved or done for elements the call never reaches, whatever count the
/// caller claims.
pub(crate) trait Elements<T> {
    /// The count the caller gave.
    fn count(&self) -> u32;
    /// Element `i < count()`.
    fn get(&self, i: u32) -> T;
}

/// The raw arguments of one call as it crosses the seam: handles as the C
/// caller passed them (or the typed handle's value), before any check.
#[derive(Clone, Copy)]
#[non_exhaustive]
pub(crate) struct Call {
    pub(crate) id: CallId,
    /// `hDevice`, or 0.
    pub(crate) device: u32,
    /// `hAdapter`, or 0.
    pub(crate) adapter: u32,
    /// `hAllocation` (the first one of a list), `hContext`, or 0.
    pub(crate) allocation: u32,
    /// Flags, a count, a fence value or a state: the call's other scalar.
    pub(crate) value: u64,
}

impl Call {
    /// A call with nothing but its id.
    pub(crate) const fn new(id: CallId) -> Self {
        Call { id, device: 0, adapter: 0, allocation: 0, value: 0 }
    }

    /// The same, naming `device`.
    pub(crate) const fn device(mut self, device: u32) -> Self {
        self.device = device;
        self
    }

    /// The same, naming `adapter`.
    pub(crate) const fn adapter(mut self, adapter: u32) -> Self {
        self.adapter = adapter;
        self
    }

    /// The same, naming `allocation`.
    pub(crate) const fn allocation(mut self, allocation: u32) -> Self {
        self.allocation = allocation;
        self
    }

    /// The same, with its other scalar.
    pub(crate) const fn value(mut self, value: u64) -> Self {
        self.value = value;
        self
    }
}

impl core::fmt::Debug for Call {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Call")
            .field("id", &self.id)
            .field("device", &format_args!("{:#010x}", self.device))
            .field("adapter", &format_args!("{:#010x}", self.adapter))
            .field("allocation", &format_args!("{:#010x}", self.allocation))
            .field("value", &self.value)
            .finish()
    }
}
