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
//!   typed generational handles, [`Result`]s and the RAII [`LockGuard`];
//! * a C ABI that exports the real `D3DKMT*` symbols with Windows' struct
//!   layouts (see `include/d3dkmt_sim.h` and `docs/c-abi.md`).
//!
//! Every status the simulator returns is the one the contract names
//! (`abi.md`), in the contract's check order, and a failed call changes
//! nothing. [`Error::status`] is the one mapping from errors to [`NtStatus`].
//!
//! ```
//! use d3dkmt_sim::*;
//!
//! let sim = Simulator::new(SimConfig::default())?;
//! let adapter = sim.enum_adapters(1)?[0].handle;
//! let device = sim.create_device(adapter)?;
//! let alloc = sim.create_allocation(device, AllocationDesc::new(1 << 20))?;
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
//! assert_eq!(sim.lock2(device, alloc), Err(Error::AllocationBusy));
//! sim.complete_fence(device, fence)?;
//!
//! // Device removal is sticky and drops every lock.
//! sim.remove_device(device, ExecutionState::Hung)?;
//! assert_eq!(sim.lock2(device, alloc).unwrap_err().status(), NtStatus::DEVICE_REMOVED);
//! assert_eq!(sim.device_state(device)?, ExecutionState::Hung);
//! # Ok::<(), Error>(())
//! ```
//!
//! See `docs/design.md` for the layers, the handle encoding, memory and the
//! concurrency design (lock order included), and `docs/lock-states.md` for
//! the state table every contract test is named after.
#![deny(unsafe_code)]
#![warn(missing_docs)]

mod config;
mod error;
mod fault;
mod handle;
mod lock;
pub mod mem;
mod objects;
mod sim;
mod status;
mod sync;

pub use config::{BusyPolicy, ConfigParseError, SimConfig, MAX_ADAPTERS, MAX_WAIT_TIMEOUT};
pub use error::{status_of, Error, Result};
pub use fault::{Fault, FaultAction, FaultCall};
pub use handle::{AdapterHandle, AllocationHandle, DeviceHandle, HandleKind};
pub use lock::LockGuard;
pub use mem::SystemMemory;
pub use objects::{
    AdapterInfo, AllocationDesc, AllocationInfo, ExecutionState, LockFlags, Luid, Mapping, Pages, ALLOCATION_DESC_SIZE,
    ALLOCATION_DESC_VERSION, ALLOCATION_FLAG_NOT_CPU_VISIBLE,
};
pub use sim::{Simulator, MAX_ADAPTER_HANDLES, MAX_ALLOCATIONS, MAX_DEVICES};

pub mod ffi;
pub use status::NtStatus;
