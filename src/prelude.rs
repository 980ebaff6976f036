//! What a test of driver code imports: `use d3dkmt_sim::prelude::*;`.
//!
//! The simulator, its configuration, the handles, the lock-path types,
//! [`ErrorKind`], faults and statuses. Not `Result` or `Error`: a glob
//! import never shadows the standard `Result` (or a test's own `Error`),
//! so name them as `d3dkmt_sim::Result` and `d3dkmt_sim::Error`.
//!
//! ```
//! use d3dkmt_sim::prelude::*;
//!
//! fn busy_is_reported() -> Result<(), d3dkmt_sim::Error> {
//!     let sim = Simulator::new(SimConfig::default())?;
//!     let device = sim.create_device(sim.enum_adapters()?[0].handle)?;
//!     let alloc = sim.create_allocation(device, AllocationDesc::new(4096))?;
//!     sim.submit(device, &[alloc])?;
//!     assert_eq!(sim.lock2(device, alloc).unwrap_err(), ErrorKind::AllocationBusy);
//!     Ok(())
//! }
//! busy_is_reported().unwrap();
//! ```

pub use crate::adapter::{AdapterFilter, AdapterInfo, AdapterQuery, Luid};
pub use crate::allocation::{AllocationDesc, AllocationInfo};
pub use crate::config::{AdapterKind, AdapterProfile, BusyPolicy, SimConfig};
pub use crate::device::{ContextDesc, ExecutionState};
pub use crate::error::ErrorKind;
pub use crate::guard::LockGuard;
pub use crate::handle::{AdapterHandle, AllocationHandle, ContextHandle, DeviceHandle, HandleKind};
pub use crate::hooks::fault::{Fault, FaultAction, FaultCall};
pub use crate::lock::{LockFlags, Pages};
pub use crate::mem::Mapping;
pub use crate::sim::Simulator;
pub use crate::status::NtStatus;
