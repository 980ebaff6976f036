//! # d3dkmt-sim
//!
//! A simulator of a Windows GPU's memory objects and of the WDDM kernel-thunk
//! lock contract (`D3DKMTLock2`/`D3DKMTUnlock2` and the legacy page-list
//! `D3DKMTLock`/`D3DKMTUnlock`), so that code which calls those thunks can be
//! unit-tested and benchmarked on any OS, with no GPU and no Windows.
//!
//! It has two faces over one core:
//!
//! * this idiomatic Rust API: [`Simulator`] instances (no global state),
//!   typed handles, [`Result`]s and the RAII [`LockGuard`];
//! * a C ABI (the default-on `c-abi` feature) that exports the real
//!   `D3DKMT*` symbols with Windows' struct layouts (see
//!   `include/d3dkmt_sim.h` and `docs/c-library.md`).
//!
//! Every status the simulator returns is the one the contract names, in the
//! contract's check order, and a failed call changes nothing.
//! [`ErrorKind::status`] is the one mapping from errors to [`NtStatus`].
//! Handles have the shape of Windows' local handles: a new simulator's are
//! `0x40000040`, `0x40000080`, … in creation order, whatever their kinds.
//!
//! A test imports the [`prelude`] (everything it names but `Result` and
//! `Error`, so nothing of the standard library is shadowed):
//!
//! ```
//! use d3dkmt_sim::prelude::*;
//!
//! let sim = Simulator::new(SimConfig::default())?;
//! let adapter = sim.enum_adapters()?[0].handle;
//! let device = sim.create_device(adapter)?;
//! let alloc = sim.create_allocation(device, AllocationDesc::new(1 << 20))?;
//! assert_eq!([adapter.raw(), device.raw(), alloc.raw()], [0x4000_0040, 0x4000_0080, 0x4000_00C0]);
//!
//! // Lock2 / Unlock2 as raw calls, mirroring the thunks...
//! let mapping = sim.lock2(device, alloc)?;
//! assert_eq!(mapping.len(), 1 << 20);
//! sim.unlock2(device, alloc)?;
//!
//! // ...or as a guard that unlocks on drop.
//! sim.lock2_guard(device, alloc)?.write_at(0, b"texels")?;
//!
//! // GPU work makes the allocation busy until its fence completes.
//! let fence = sim.submit(device, &[alloc])?;
//! assert_eq!(sim.lock2(device, alloc).unwrap_err(), ErrorKind::AllocationBusy);
//! sim.complete_fence(device, fence)?;
//!
//! // Device removal is sticky and drops every lock.
//! sim.remove_device(device, ExecutionState::Hung)?;
//! assert_eq!(sim.lock2(device, alloc).unwrap_err().status(), NtStatus::DEVICE_REMOVED);
//! assert_eq!(sim.device_state(device)?, ExecutionState::Hung);
//! # Ok::<(), d3dkmt_sim::Error>(())
//! ```
//!
//! See `docs/design.md` for the layers, the handle encoding, memory and the
//! concurrency design (lock order included), and `docs/lock-states.md` for
//! the state table every contract test is named after.
#![deny(unsafe_code)]
#![deny(clippy::undocumented_unsafe_blocks)]
#![warn(missing_docs)]

// The core (rustfmt keeps this list alphabetical). Bottom-up, each using
// only those before it: clock, sync, status, mem, handle, error, config,
// driver, call, slot, settings, gate, pause, hooks, adapter, device, stores,
// allocation, lock, work, removal, engine; then the faces guard, sim and
// ffi. tests/structure.rs checks the graph has no circle.
mod adapter;
mod allocation;
mod call;
mod clock;
mod config;
mod context;
mod device;
mod driver;
mod engine;
mod error;
mod gate;
mod handle;
mod hooks;
mod lock;
pub mod mem;
mod pause;
mod removal;
mod settings;
mod slot;
mod status;
mod stores;
mod sync;
mod work;
// The faces.
#[cfg(all(feature = "c-abi", not(any(loom, shuttle))))]
pub mod ffi;
mod guard;
pub mod prelude;
mod sim;

pub use adapter::{AdapterAnswer, AdapterFilter, AdapterInfo, AdapterQuery, DeviceIds, Luid};
pub use allocation::{AllocationDesc, AllocationInfo, CreateRequest, RawAllocation, StandardAllocation};
pub use call::CallId;
pub use config::{
    AdapterKind, AdapterProfile, BusyPolicy, ConfigParseError, HwScheduling, SimConfig, CONFIG_VAR, DEFAULT_DEVICE_ID,
    DEFAULT_VENDOR_ID, DRIVER_VERSION_WDDM_2_7, MAX_ADAPTERS, MAX_DESCRIPTION_CHARS, MAX_ENGINES_PER_NODE, MAX_NODES,
    MAX_UMD_PRIVATE_BYTES, MAX_WAIT_TIMEOUT,
};
pub use context::{ContextInfo, CONTEXT_FLAGS_KNOWN, CONTEXT_FLAG_HW_QUEUE_SUPPORTED};
pub use device::{ContextDesc, ExecutionState, MAX_DEVICES};
pub use driver::{CreateFlags, DescModel, DriverAllocation, DriverModel, DriverRequest, Placement};
pub use error::{status_of, Error, ErrorKind, Result};
pub use guard::LockGuard;
pub use handle::{AdapterHandle, AllocationHandle, ContextHandle, DeviceHandle, HandleKind};
pub use hooks::fault::{Fault, FaultAction, FaultCall};
pub use lock::{LockFlags, Pages};
pub use mem::{Mapping, SystemMemory};
pub use sim::Simulator;
pub use status::NtStatus;

/// The Rust example of `README.md`, run as a doctest.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
pub struct ReadmeExamples;

/// The Rust examples of `docs/c-library.md`, run as doctests.
#[cfg(doctest)]
#[doc = include_str!("../docs/c-library.md")]
pub struct CAbiDocExamples;

/// The Rust recipes of `docs/guide.md`, run as doctests.
#[cfg(doctest)]
#[doc = include_str!("../docs/guide.md")]
pub struct GuideExamples;
