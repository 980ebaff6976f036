//! What a create call carries before the driver model reads it: the call's
//! own fields ([`CreateRequest`]: `hResource`, flags, resource-level private
//! data, a standard allocation) and each allocation's raw inputs
//! ([`RawAllocation`]: private data, caller memory).

use crate::driver::CreateFlags;
use crate::mem::SystemMemory;

use super::AllocationDesc;

/// A `D3DKMT_CREATESTANDARDALLOCATION`: an allocation whose shape the
/// runtime decides instead of the driver.
///
/// ```
/// use d3dkmt_sim::StandardAllocation;
/// let heap = StandardAllocation::ExistingHeap { size: 16 * 4096 };
/// assert_eq!(heap, StandardAllocation::ExistingHeap { size: 65536 });
/// ```
#[non_exhaustive]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StandardAllocation {
    /// `D3DKMT_STANDARDALLOCATIONTYPE_EXISTINGHEAP`: caller memory
    /// (`pSystemMem`) of `size` bytes, a non-zero multiple of 4096.
    ExistingHeap {
        /// `ExistingHeapData.Size`.
        size: u64,
    },
}

/// The standard allocation a call names, as the engine checks it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Standard {
    /// A valid existing-heap description of `size` bytes (not yet checked).
    ExistingHeap(u64),
    /// `Flags.StandardAllocation` with a NULL `pStandardAllocation`.
    Missing,
    /// A standard allocation type the simulator does not model (only the C
    /// skin can name one).
    #[cfg_attr(not(all(feature = "c-abi", not(any(loom, shuttle)))), allow(dead_code))]
    OtherType,
}

/// The fields of one create call the engine checks before any allocation:
/// what the C skin decodes from `D3DKMT_CREATEALLOCATION`, and what a
/// [`CreateRequest`] holds.
#[derive(Debug, Clone, Copy)]
pub(crate) struct CreateCall<'a> {
    /// `hResource` as given.
    pub(crate) resource: u32,
    pub(crate) flags: CreateFlags,
    /// The resource-level private driver data (empty when absent, and on
    /// the standard path, where the pointer is the standard struct).
    pub(crate) resource_data: &'a [u8],
    /// `PrivateDriverDataSize` as declared.
    pub(crate) resource_data_size: u32,
    /// `Some` exactly when `Flags.StandardAllocation` is set.
    pub(crate) standard: Option<Standard>,
    /// `NumAllocations` (0 for a NULL array).
    pub(crate) count: u32,
}

impl CreateCall<'_> {
    /// A call with `count` allocations and nothing else (what
    /// [`crate::Simulator::create_allocations`] makes).
    pub(crate) const fn plain(count: u32) -> Self {
        CreateCall {
            resource: 0,
            flags: CreateFlags::from_bits(0),
            resource_data: &[],
            resource_data_size: 0,
            standard: None,
            count,
        }
    }
}

/// One allocation of a create call, as the engine asks for it.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Element<'a> {
    /// Already decided by the caller (the Rust [`AllocationDesc`] path): no
    /// driver model runs and no private data is kept.
    Decided(AllocationDesc),
    /// Raw inputs for the driver model.
    Raw(RawAllocation<'a>),
}

/// One allocation's raw inputs: its private driver data and optional
/// caller memory (`pPrivateDriverData` and `pSystemMem` of a
/// `D3DDDI_ALLOCATIONINFO2`).
///
/// ```
/// use d3dkmt_sim::RawAllocation;
/// let raw = RawAllocation::new(b"driver bytes");
/// assert_eq!(raw.private_data(), b"driver bytes");
/// assert!(raw.system_memory().is_none());
/// ```
#[derive(Debug, Clone, Copy)]
pub struct RawAllocation<'a> {
    private_data: &'a [u8],
    system_memory: Option<SystemMemory>,
}

impl<'a> RawAllocation<'a> {
    /// An allocation with this private driver data.
    ///
    /// ```
    /// use d3dkmt_sim::RawAllocation;
    /// assert_eq!(RawAllocation::new(&[1, 2]).private_data(), [1, 2]);
    /// assert!(RawAllocation::new(&[]).system_memory().is_none());
    /// ```
    pub const fn new(private_data: &'a [u8]) -> Self {
        RawAllocation { private_data, system_memory: None }
    }

    /// The same, backed by caller memory.
    ///
    /// ```
    /// use d3dkmt_sim::{RawAllocation, SystemMemory};
    /// let mut buf = [0u8; 16];
    /// // SAFETY: the allocation is never created.
    /// let memory = unsafe { SystemMemory::new(buf.as_mut_ptr(), 16) };
    /// assert_eq!(RawAllocation::new(&[]).with_system_memory(memory).system_memory(), Some(memory));
    /// ```
    pub const fn with_system_memory(mut self, memory: SystemMemory) -> Self {
        self.system_memory = Some(memory);
        self
    }

    /// Its private driver data.
    ///
    /// ```
    /// use d3dkmt_sim::RawAllocation;
    /// let data = *b"desc";
    /// assert_eq!(RawAllocation::new(&data).private_data(), b"desc");
    /// ```
    pub const fn private_data(&self) -> &'a [u8] {
        self.private_data
    }

    /// Its caller memory, if any.
    ///
    /// ```
    /// use d3dkmt_sim::RawAllocation;
    /// assert_eq!(RawAllocation::new(b"desc").system_memory(), None);
    /// ```
    pub const fn system_memory(&self) -> Option<SystemMemory> {
        self.system_memory
    }
}

/// A whole create call for [`crate::Simulator::create_allocations_from`]:
/// raw allocations read by the simulator's driver model, and the call-level
/// fields of `D3DKMT_CREATEALLOCATION`.
///
/// ```
/// use d3dkmt_sim::*;
/// let sim = Simulator::new(SimConfig::default())?;
/// let device = sim.create_device(sim.enum_adapters()?[0].handle)?;
/// // The default model reads a SIMKMT_ALLOCATION_DESC per allocation.
/// let mut desc = [0u8; 16];
/// desc[0] = 1;
/// desc[8..].copy_from_slice(&4096u64.to_le_bytes());
/// let made = sim.create_allocations_from(device, &CreateRequest::new().allocation(RawAllocation::new(&desc)))?;
/// assert_eq!(sim.allocation_private_data(device, made[0])?, desc);
///
/// // A non-zero hResource names no resource.
/// let bad = CreateRequest::new().resource(0x4000_1000).allocation(RawAllocation::new(&desc));
/// assert_eq!(sim.create_allocations_from(device, &bad).unwrap_err().status(), NtStatus::INVALID_HANDLE);
/// # Ok::<(), Error>(())
/// ```
#[derive(Debug, Clone, Default)]
pub struct CreateRequest<'a> {
    resource: u32,
    flags: CreateFlags,
    resource_data: &'a [u8],
    standard: Option<StandardAllocation>,
    allocations: Vec<RawAllocation<'a>>,
}

impl<'a> CreateRequest<'a> {
    /// An empty request (no allocations: add some).
    ///
    /// ```
    /// use d3dkmt_sim::prelude::*;
    /// use d3dkmt_sim::CreateRequest;
    /// let sim = Simulator::new(SimConfig::default())?;
    /// let device = sim.create_device(sim.enum_adapters()?[0].handle)?;
    /// assert!(CreateRequest::new().allocations().is_empty());
    /// let err = sim.create_allocations_from(device, &CreateRequest::new()).unwrap_err();
    /// assert_eq!(err.status(), NtStatus::INVALID_PARAMETER, "no allocations requested");
    /// # Ok::<(), d3dkmt_sim::Error>(())
    /// ```
    pub fn new() -> Self {
        CreateRequest::default()
    }

    /// The standard existing-heap request Windows accepts: one allocation
    /// over `heap` (its length is the heap size), with `StandardAllocation`
    /// and `ExistingSysMem` set.
    ///
    /// ```
    /// use d3dkmt_sim::*;
    /// let sim = Simulator::new(SimConfig::default()).unwrap();
    /// let device = sim.create_device(sim.enum_adapters().unwrap()[0].handle).unwrap();
    /// let layout = std::alloc::Layout::from_size_align(8192, 4096).unwrap();
    /// let buf = unsafe { std::alloc::alloc_zeroed(layout) };
    /// // SAFETY: 8192 writable bytes, freed only after the destroy below.
    /// let heap = unsafe { SystemMemory::new(buf, 8192) };
    /// let made = sim.create_allocations_from(device, &CreateRequest::existing_heap(heap)).unwrap();
    /// assert_eq!(sim.lock2(device, made[0]).unwrap().as_ptr(), buf);
    /// sim.destroy_allocations(device, &made).unwrap();
    /// unsafe { std::alloc::dealloc(buf, layout) };
    /// ```
    pub fn existing_heap(heap: SystemMemory) -> Self {
        CreateRequest::new()
            .standard(StandardAllocation::ExistingHeap { size: heap.len() as u64 })
            .flags(CreateFlags::EXISTING_SYS_MEM)
            .allocation(RawAllocation::new(&[]).with_system_memory(heap))
    }

    /// Adds an allocation.
    ///
    /// ```
    /// use d3dkmt_sim::prelude::*;
    /// use d3dkmt_sim::{CreateRequest, RawAllocation};
    /// let sim = Simulator::new(SimConfig::default())?;
    /// let device = sim.create_device(sim.enum_adapters()?[0].handle)?;
    /// let mut desc = [0u8; 16];
    /// desc[0] = 1; // SIMKMT_ALLOCATION_DESC version 1, 4096 bytes
    /// desc[8..].copy_from_slice(&4096u64.to_le_bytes());
    /// let request = CreateRequest::new().allocation(RawAllocation::new(&desc)).allocation(RawAllocation::new(&desc));
    /// assert_eq!(sim.create_allocations_from(device, &request)?.len(), 2);
    /// # Ok::<(), d3dkmt_sim::Error>(())
    /// ```
    pub fn allocation(mut self, allocation: RawAllocation<'a>) -> Self {
        self.allocations.push(allocation);
        self
    }

    /// Sets `hResource` (raw: no resources exist yet, so any non-zero value
    /// names none and the call fails with `STATUS_INVALID_HANDLE`).
    ///
    /// ```
    /// use d3dkmt_sim::prelude::*;
    /// use d3dkmt_sim::{CreateRequest, RawAllocation};
    /// let sim = Simulator::new(SimConfig::default())?;
    /// let device = sim.create_device(sim.enum_adapters()?[0].handle)?;
    /// let request = CreateRequest::new().resource(0x4000_0400).allocation(RawAllocation::new(b"any"));
    /// assert_eq!(sim.create_allocations_from(device, &request).unwrap_err().status(), NtStatus::INVALID_HANDLE);
    /// # Ok::<(), d3dkmt_sim::Error>(())
    /// ```
    pub fn resource(mut self, raw: u32) -> Self {
        self.resource = raw;
        self
    }

    /// Adds create flags.
    ///
    /// ```
    /// use d3dkmt_sim::prelude::*;
    /// use d3dkmt_sim::{CreateFlags, CreateRequest, RawAllocation};
    /// let sim = Simulator::new(SimConfig::default())?;
    /// let device = sim.create_device(sim.enum_adapters()?[0].handle)?;
    /// let shared = CreateRequest::new().flags(CreateFlags::CREATE_SHARED).allocation(RawAllocation::new(b"any"));
    /// assert_eq!(sim.create_allocations_from(device, &shared).unwrap_err().status(), NtStatus::NOT_SUPPORTED);
    /// # Ok::<(), d3dkmt_sim::Error>(())
    /// ```
    pub fn flags(mut self, flags: CreateFlags) -> Self {
        self.flags = self.flags | flags;
        self
    }

    /// Sets the resource-level private driver data.
    ///
    /// ```
    /// use d3dkmt_sim::prelude::*;
    /// use d3dkmt_sim::{CreateRequest, DriverAllocation, RawAllocation};
    /// let sim = Simulator::new(SimConfig::default())?;
    /// sim.set_driver_model(|r: &d3dkmt_sim::DriverRequest<'_>| Ok(DriverAllocation::new(4096 * r.resource_data.len() as u64)))?;
    /// let device = sim.create_device(sim.enum_adapters()?[0].handle)?;
    /// let made = sim.create_allocations_from(device, &CreateRequest::new().resource_data(b"xy").allocation(RawAllocation::new(b"")))?;
    /// assert_eq!(sim.query_allocation(device, made[0])?.size, 8192, "the model saw the 2 bytes");
    /// # Ok::<(), d3dkmt_sim::Error>(())
    /// ```
    pub fn resource_data(mut self, data: &'a [u8]) -> Self {
        self.resource_data = data;
        self
    }

    /// Names a standard allocation (and sets `StandardAllocation`).
    ///
    /// ```
    /// use d3dkmt_sim::prelude::*;
    /// use d3dkmt_sim::{CreateRequest, RawAllocation, StandardAllocation};
    /// let sim = Simulator::new(SimConfig::default())?;
    /// let device = sim.create_device(sim.enum_adapters()?[0].handle)?;
    /// // An existing heap needs ExistingSysMem and caller memory: without them the call fails.
    /// let request = CreateRequest::new().standard(StandardAllocation::ExistingHeap { size: 4096 }).allocation(RawAllocation::new(b""));
    /// assert_eq!(sim.create_allocations_from(device, &request).unwrap_err().status(), NtStatus::INVALID_PARAMETER);
    /// # Ok::<(), d3dkmt_sim::Error>(())
    /// ```
    pub fn standard(mut self, standard: StandardAllocation) -> Self {
        self.standard = Some(standard);
        self.flags(CreateFlags::STANDARD_ALLOCATION)
    }

    /// The allocations.
    ///
    /// ```
    /// use d3dkmt_sim::{CreateRequest, RawAllocation};
    /// let request = CreateRequest::new().allocation(RawAllocation::new(b"a")).allocation(RawAllocation::new(b"b"));
    /// assert_eq!(request.allocations().len(), 2);
    /// assert_eq!(request.allocations()[1].private_data(), b"b");
    /// ```
    pub fn allocations(&self) -> &[RawAllocation<'a>] {
        &self.allocations
    }

    /// The call-level fields as the engine checks them.
    pub(crate) fn call(&self) -> Option<CreateCall<'a>> {
        let standard = self.flags.contains(CreateFlags::STANDARD_ALLOCATION).then_some(match self.standard {
            Some(StandardAllocation::ExistingHeap { size }) => Standard::ExistingHeap(size),
            None => Standard::Missing,
        });
        Some(CreateCall {
            resource: self.resource,
            flags: self.flags,
            resource_data: self.resource_data,
            resource_data_size: u32::try_from(self.resource_data.len()).ok()?,
            standard,
            count: u32::try_from(self.allocations.len()).ok()?,
        })
    }
}
