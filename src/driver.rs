//! The simulated kernel-mode driver: how the simulator reads the private
//! driver data of a create call ([`DriverModel`]), what it answers
//! ([`DriverAllocation`]: size, CPU visibility, [`Placement`]), the create
//! flags it is shown ([`CreateFlags`]) and the default reading
//! ([`DescModel`], a `SIMKMT_ALLOCATION_DESC` per allocation).
//!
//! On Windows the kernel-mode driver alone understands the private data a
//! user-mode driver passes with each allocation; here that understanding is a
//! replaceable part of each simulator ([`crate::Simulator::set_driver_model`]),
//! so unmodified driver code can create allocations with its own format.
//! A model runs outside every simulator lock except the shared side of the
//! reset gate, and must not call back into the simulator (a call made from
//! inside it may deadlock against a concurrent reset).

use std::sync::Arc;

use crate::error::{ErrorKind, Result};
use crate::sync::Mutex;

/// `D3DKMT_CREATEALLOCATIONFLAGS`, the flag word of a create call, as the
/// bits Windows gives it. The simulator looks at the four named here; the
/// others are kept and shown to the [`DriverModel`].
///
/// ```
/// use d3dkmt_sim::CreateFlags;
/// let flags = CreateFlags::STANDARD_ALLOCATION | CreateFlags::EXISTING_SYS_MEM;
/// assert_eq!(flags.bits(), 0x1_0020);
/// assert!(flags.contains(CreateFlags::EXISTING_SYS_MEM));
/// assert!(!CreateFlags::default().contains(CreateFlags::CREATE_RESOURCE));
/// ```
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub struct CreateFlags(u32);

impl CreateFlags {
    /// `CreateResource` (0x1): not simulated (`STATUS_NOT_SUPPORTED`).
    pub const CREATE_RESOURCE: CreateFlags = CreateFlags(0x1);
    /// `CreateShared` (0x2): not simulated (`STATUS_NOT_SUPPORTED`).
    pub const CREATE_SHARED: CreateFlags = CreateFlags(0x2);
    /// `ExistingSysMem` (0x20): only with `STANDARD_ALLOCATION`.
    pub const EXISTING_SYS_MEM: CreateFlags = CreateFlags(0x20);
    /// `StandardAllocation` (0x10000): the existing-heap path.
    pub const STANDARD_ALLOCATION: CreateFlags = CreateFlags(0x1_0000);

    /// The flags of a raw `D3DKMT_CREATEALLOCATIONFLAGS` value.
    pub const fn from_bits(bits: u32) -> Self {
        CreateFlags(bits)
    }

    /// The raw value.
    pub const fn bits(self) -> u32 {
        self.0
    }

    /// Whether every bit of `other` is set.
    pub const fn contains(self, other: CreateFlags) -> bool {
        self.0 & other.0 == other.0
    }

    /// Whether any bit of `other` is set.
    pub const fn intersects(self, other: CreateFlags) -> bool {
        self.0 & other.0 != 0
    }
}

impl core::ops::BitOr for CreateFlags {
    type Output = CreateFlags;
    fn bitor(self, rhs: CreateFlags) -> CreateFlags {
        CreateFlags(self.0 | rhs.0)
    }
}

/// Where an allocation's memory lives.
///
/// ```
/// use d3dkmt_sim::Placement;
/// assert_eq!(Placement::default(), Placement::Video);
/// ```
#[non_exhaustive]
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub enum Placement {
    /// Video memory: counts against the adapter's budget (past it, creation
    /// fails with `STATUS_GRAPHICS_NO_VIDEO_MEMORY`).
    #[default]
    Video,
    /// Host memory outside the video budget: never fails for the budget.
    System,
}

/// What the kernel-mode driver is shown of one allocation of a create call.
///
/// ```
/// use d3dkmt_sim::*;
/// let model = |request: &DriverRequest<'_>| {
///     assert!(request.resource_data.is_empty());
///     Ok(DriverAllocation::new(4096 * (request.index as u64 + 1)))
/// };
/// let sim = Simulator::new(SimConfig::default())?;
/// sim.set_driver_model(model)?;
/// let device = sim.create_device(sim.enum_adapters()?[0].handle)?;
/// let request = CreateRequest::new().allocation(RawAllocation::new(b"any")).allocation(RawAllocation::new(b""));
/// let made = sim.create_allocations_from(device, &request)?;
/// assert_eq!(sim.query_allocation(device, made[1])?.size, 8192);
/// # Ok::<(), Error>(())
/// ```
#[non_exhaustive]
#[derive(Debug, Clone, Copy)]
pub struct DriverRequest<'a> {
    /// The resource-level private driver data of the call
    /// (`pPrivateDriverData`/`PrivateDriverDataSize` of
    /// `D3DKMT_CREATEALLOCATION`; empty when absent).
    pub resource_data: &'a [u8],
    /// This allocation's private driver data (empty when absent).
    pub private_data: &'a [u8],
    /// The allocation's index in the call (0-based).
    pub index: u32,
    /// The create call's flags.
    pub flags: CreateFlags,
    /// Whether the caller gave memory (`pSystemMem`) to back it.
    pub has_system_memory: bool,
}

/// What the kernel-mode driver answers for one allocation: its size, CPU
/// visibility and placement.
///
/// ```
/// use d3dkmt_sim::{DriverAllocation, Placement};
/// let answer = DriverAllocation::new(10_000).not_cpu_visible().placement(Placement::System);
/// assert_eq!((answer.size, answer.cpu_visible, answer.placement), (10_000, false, Placement::System));
/// ```
#[non_exhaustive]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DriverAllocation {
    /// Size in bytes, > 0; rounded up to whole pages.
    pub size: u64,
    /// Whether the CPU can lock it.
    pub cpu_visible: bool,
    /// Where its memory lives.
    pub placement: Placement,
}

impl DriverAllocation {
    /// A CPU-visible allocation of `size` bytes in video memory.
    pub const fn new(size: u64) -> Self {
        DriverAllocation { size, cpu_visible: true, placement: Placement::Video }
    }

    /// The same, not CPU-visible.
    pub const fn not_cpu_visible(mut self) -> Self {
        self.cpu_visible = false;
        self
    }

    /// The same, placed at `placement`.
    pub const fn placement(mut self, placement: Placement) -> Self {
        self.placement = placement;
        self
    }

    /// The same, with the `SIMKMT_ALLOCATION_FLAG_*` bits of a
    /// `SIMKMT_ALLOCATION_DESC` or of a C interpreter's answer applied:
    /// only `NOT_CPU_VISIBLE` is known, any other bit is `InvalidParameter`.
    pub(crate) fn with_desc_flags(self, flags: u32) -> Result<Self> {
        if flags & !DescModel::FLAG_NOT_CPU_VISIBLE != 0 {
            return Err(ErrorKind::InvalidParameter("unknown SIMKMT_ALLOCATION_FLAG bits").into());
        }
        Ok(if flags & DescModel::FLAG_NOT_CPU_VISIBLE != 0 { self.not_cpu_visible() } else { self })
    }
}

/// The simulated kernel-mode driver's reading of private driver data: one
/// call per allocation, in order, after the call's own checks. An error
/// fails the whole create call and nothing is created; return
/// [`ErrorKind::Driver`] to fail with a status of the driver's choosing.
///
/// It runs outside every simulator lock but the shared side of the reset
/// gate, may run on any thread and concurrently with itself, and must not
/// call back into the simulator. Closures of the right shape are models.
///
/// ```
/// use d3dkmt_sim::*;
/// struct Fixed;
/// impl DriverModel for Fixed {
///     fn interpret(&self, _: &DriverRequest<'_>) -> Result<DriverAllocation> {
///         Ok(DriverAllocation::new(4096))
///     }
/// }
/// let sim = Simulator::new(SimConfig::default())?;
/// sim.set_driver_model(Fixed)?;
/// # Ok::<(), Error>(())
/// ```
pub trait DriverModel: Send + Sync {
    /// Interprets one allocation of a create call.
    ///
    /// # Errors
    ///
    /// Any [`Error`](crate::Error) fails the create call with its status and creates
    /// nothing; [`ErrorKind::Driver`] carries a status of the model's choosing.
    fn interpret(&self, request: &DriverRequest<'_>) -> Result<DriverAllocation>;
}

impl<F> DriverModel for F
where
    F: Fn(&DriverRequest<'_>) -> Result<DriverAllocation> + Send + Sync,
{
    fn interpret(&self, request: &DriverRequest<'_>) -> Result<DriverAllocation> {
        self(request)
    }
}

/// The default model: each allocation's private data is a
/// `SIMKMT_ALLOCATION_DESC` (docs/contract.md §4): 16 bytes, little-endian `Version`
/// (1), `Flags` (`NOT_CPU_VISIBLE` 0x1) and `SizeInBytes` (> 0). Missing or
/// short data, another version, unknown flags or size 0 are
/// `InvalidParameter`. Always video memory.
///
/// ```
/// use d3dkmt_sim::*;
/// let mut desc = [0u8; 16];
/// desc[0] = 1;
/// desc[8..].copy_from_slice(&8192u64.to_le_bytes());
/// let request = DescModel::request(&desc);
/// assert_eq!(DescModel.interpret(&request)?, DriverAllocation::new(8192));
/// assert!(DescModel.interpret(&DescModel::request(b"driver-specific")).is_err());
/// # Ok::<(), Error>(())
/// ```
#[derive(Debug, Clone, Copy, Default)]
pub struct DescModel;

impl DescModel {
    /// `SIMKMT_ALLOCATION_DESC_VERSION`.
    pub const VERSION: u32 = 1;
    /// `SIMKMT_ALLOCATION_FLAG_NOT_CPU_VISIBLE`.
    pub const FLAG_NOT_CPU_VISIBLE: u32 = 0x1;
    /// The size of a `SIMKMT_ALLOCATION_DESC`.
    pub const DESC_SIZE: usize = 16;

    /// A request of allocation 0 with `private_data` and nothing else (to
    /// try a model by hand).
    pub const fn request(private_data: &[u8]) -> DriverRequest<'_> {
        DriverRequest {
            resource_data: &[],
            private_data,
            index: 0,
            flags: CreateFlags::from_bits(0),
            has_system_memory: false,
        }
    }
}

impl DriverModel for DescModel {
    fn interpret(&self, request: &DriverRequest<'_>) -> Result<DriverAllocation> {
        let data = request.private_data;
        if data.is_empty() {
            return Err(ErrorKind::InvalidParameter("allocation private data is NULL").into());
        }
        let Some(bytes) = data.get(..Self::DESC_SIZE) else {
            return Err(ErrorKind::InvalidParameter("allocation private data is too short").into());
        };
        let u32_at = |i: usize| u32::from_le_bytes([bytes[i], bytes[i + 1], bytes[i + 2], bytes[i + 3]]);
        let (version, flags) = (u32_at(0), u32_at(4));
        let mut size = [0u8; 8];
        size.copy_from_slice(&bytes[8..16]);
        let size = u64::from_le_bytes(size);
        if version != Self::VERSION {
            return Err(ErrorKind::InvalidParameter("unknown SIMKMT_ALLOCATION_DESC version").into());
        }
        let answer = DriverAllocation::new(size).with_desc_flags(flags)?;
        if size == 0 {
            return Err(ErrorKind::InvalidParameter("allocation size is 0").into());
        }
        Ok(answer)
    }
}

/// The model a simulator uses (a leaf lock: held only to swap or clone the
/// `Arc`, never while the model runs).
pub(crate) struct Driver {
    model: Mutex<Option<Arc<dyn DriverModel>>>,
}

impl Driver {
    /// The default model.
    pub(crate) fn new() -> Self {
        Driver { model: Mutex::new(None) }
    }

    /// The model in force (`None`: the default, [`DescModel`]).
    pub(crate) fn get(&self) -> Option<Arc<dyn DriverModel>> {
        self.model.lock().clone()
    }

    /// Replaces the model; `None` restores the default.
    pub(crate) fn set(&self, model: Option<Arc<dyn DriverModel>>) {
        *self.model.lock() = model;
    }

    /// Runs the model in force on `request` (outside the lock).
    pub(crate) fn interpret(
        model: Option<&Arc<dyn DriverModel>>,
        request: &DriverRequest<'_>,
    ) -> Result<DriverAllocation> {
        let answer = match model {
            Some(model) => model.interpret(request),
            None => DescModel.interpret(request),
        };
        match answer {
            // A failure must carry a failure status, or the call would
            // report success for a create that did nothing.
            Err(e) if !e.status().is_err() => {
                Err(ErrorKind::InvalidParameter("the driver model failed with a success status").into())
            }
            other => other,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_default_model_reads_a_simkmt_allocation_desc() {
        let mut raw = [0u8; 16];
        raw[0] = 1;
        raw[8..].copy_from_slice(&8192u64.to_le_bytes());
        let read = |raw: &[u8]| DescModel.interpret(&DescModel::request(raw));
        assert_eq!(read(&raw).unwrap(), DriverAllocation::new(8192));
        raw[4] = 1;
        assert!(!read(&raw).unwrap().cpu_visible);
        assert!(read(&raw[..12]).is_err());
        assert!(read(&[]).is_err());
        raw[4] = 2;
        assert!(read(&raw).is_err(), "unknown flag");
        raw[4] = 0;
        raw[0] = 2;
        assert!(read(&raw).is_err(), "unknown version");
        raw[0] = 1;
        raw[8..].fill(0);
        assert!(read(&raw).is_err(), "size 0");
    }

    #[test]
    fn a_failure_with_a_success_status_is_invalid_parameter() {
        let model: Arc<dyn DriverModel> =
            Arc::new(|_: &DriverRequest<'_>| Err(ErrorKind::Driver(crate::status::NtStatus::SUCCESS).into()));
        let got = Driver::interpret(Some(&model), &DescModel::request(&[]));
        assert!(matches!(got.map_err(|e| e.kind()), Err(ErrorKind::InvalidParameter(_))));
    }
}
