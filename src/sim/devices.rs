//! The facade of adapters and devices: `D3DKMTEnumAdapters2`, opening by
//! LUID, closing, TDR and surprise removal (`SimKmtResetAdapter`,
//! `SimKmtRemoveAdapter`), and `D3DKMTCreateDevice`/`DestroyDevice`,
//! `GetDeviceState`, `SimKmtRemoveDevice`.

use super::Simulator;
use crate::adapter::{AdapterFilter, AdapterInfo, Luid};
use crate::config::MAX_ADAPTERS;
use crate::device::ExecutionState;
use crate::engine::StateQuery;
use crate::error::Result;
use crate::handle::{AdapterHandle, DeviceHandle};

impl Simulator {
    // === adapters ===

    /// Number of adapters enumeration reports (removed ones disappear).
    ///
    /// ```
    /// use d3dkmt_sim::prelude::*;
    /// let sim = Simulator::new(SimConfig::default().adapters(4))?;
    /// assert_eq!(sim.adapter_count(), 4);
    /// sim.remove_adapter(sim.enum_adapters()?[0].handle)?;
    /// assert_eq!(sim.adapter_count(), 3);
    /// # Ok::<(), d3dkmt_sim::Error>(())
    /// ```
    pub fn adapter_count(&self) -> usize {
        self.engine.adapter_count(AdapterFilter::ALL)
    }

    /// `D3DKMTEnumAdapters2`: every present adapter, each with a new open
    /// handle, all or none. (The C call's short-array failure is
    /// [`Simulator::enum_adapters_with_capacity`].)
    ///
    /// ```
    /// use d3dkmt_sim::prelude::*;
    /// let sim = Simulator::new(SimConfig::default().adapters(3))?;
    /// let adapters = sim.enum_adapters()?;
    /// assert_eq!(adapters.len(), 3);
    /// assert_ne!(adapters[0].luid, adapters[1].luid);
    /// # Ok::<(), d3dkmt_sim::Error>(())
    /// ```
    ///
    /// # Errors
    ///
    /// - an injected error when a fault armed for `CallId::EnumAdapters` fires (before
    ///   any check);
    /// - `NoMemory` when the handle table cannot hold the new handles.
    pub fn enum_adapters(&self) -> Result<Vec<AdapterInfo>> {
        self.engine.enum_adapters(MAX_ADAPTERS as usize, || Ok(AdapterFilter::ALL))
    }

    /// `D3DKMTOpenAdapterFromLuid`: a new handle to the present adapter
    /// with `luid`.
    ///
    /// ```
    /// use d3dkmt_sim::prelude::*;
    /// let sim = Simulator::new(SimConfig::default())?;
    /// let listed = sim.enum_adapters()?.remove(0);
    /// let opened = sim.open_adapter_from_luid(listed.luid)?;
    /// assert_ne!(opened, listed.handle, "every open is a new handle");
    /// assert_eq!(sim.adapter_luid(opened)?, listed.luid);
    /// # Ok::<(), d3dkmt_sim::Error>(())
    /// ```
    ///
    /// # Errors
    ///
    /// - an injected error when a fault armed for `CallId::OpenAdapter` fires (before
    ///   any check);
    /// - `InvalidParameter` when no present adapter has `luid` (unknown, or its
    ///   adapter was removed);
    /// - `NoMemory` when the handle table is full.
    pub fn open_adapter_from_luid(&self, luid: Luid) -> Result<AdapterHandle> {
        self.engine.open_adapter(luid)
    }

    /// `D3DKMTCloseAdapter`. Devices created through the handle live on.
    ///
    /// ```
    /// use d3dkmt_sim::prelude::*;
    /// let sim = Simulator::new(SimConfig::default())?;
    /// let adapter = sim.enum_adapters()?[0].handle;
    /// let device = sim.create_device(adapter)?;
    /// sim.close_adapter(adapter)?;
    /// assert_eq!(sim.close_adapter(adapter).unwrap_err(), ErrorKind::InvalidHandle(HandleKind::Adapter));
    /// assert_eq!(sim.device_state(device)?, ExecutionState::Active);
    /// # Ok::<(), d3dkmt_sim::Error>(())
    /// ```
    ///
    /// # Errors
    ///
    /// - an injected error when a fault armed for `CallId::CloseAdapter` fires (before
    ///   any check);
    /// - `InvalidHandle(HandleKind::Adapter)` when `adapter` is not an open
    ///   adapter handle (closed, never issued, another kind).
    pub fn close_adapter(&self, adapter: AdapterHandle) -> Result<()> {
        self.engine.close_adapter(adapter.raw())
    }

    /// The LUID of an open adapter handle.
    ///
    /// ```
    /// use d3dkmt_sim::prelude::*;
    /// let sim = Simulator::new(SimConfig::default())?;
    /// let info = sim.enum_adapters()?.remove(0);
    /// assert_eq!(sim.adapter_luid(info.handle)?, info.luid);
    /// # Ok::<(), d3dkmt_sim::Error>(())
    /// ```
    ///
    /// # Errors
    ///
    /// `InvalidHandle(HandleKind::Adapter)` when `adapter` is not an open
    /// adapter handle (closed, never issued, another kind). No fault applies.
    pub fn adapter_luid(&self, adapter: AdapterHandle) -> Result<Luid> {
        self.engine.adapter_luid(adapter.raw())
    }

    /// `SimKmtResetAdapter`: a TDR. Every live device of the adapter is
    /// removed with reason `Reset`; new devices can be created afterwards.
    ///
    /// ```
    /// use d3dkmt_sim::prelude::*;
    /// let sim = Simulator::new(SimConfig::default())?;
    /// let adapter = sim.enum_adapters()?[0].handle;
    /// let device = sim.create_device(adapter)?;
    /// sim.reset_adapter(adapter)?;
    /// assert_eq!(sim.device_state(device)?, ExecutionState::Reset);
    /// let again = sim.create_device(adapter)?;
    /// assert_eq!(sim.device_state(again)?, ExecutionState::Active, "recovery: a new device");
    /// # Ok::<(), d3dkmt_sim::Error>(())
    /// ```
    ///
    /// # Errors
    ///
    /// - an injected error when a fault armed for `CallId::ResetAdapter` fires (before
    ///   any check);
    /// - `InvalidHandle(HandleKind::Adapter)` when `adapter` is not an open
    ///   adapter handle (closed, never issued, another kind);
    /// - `DeviceRemoved` when the adapter was removed
    ///   ([`Simulator::remove_adapter`]).
    pub fn reset_adapter(&self, adapter: AdapterHandle) -> Result<()> {
        self.engine.reset_adapter(adapter.raw())
    }

    /// `SimKmtRemoveAdapter`: surprise removal. Every device is removed with
    /// reason `Stopped`, the LUID disappears from enumeration and creating a
    /// device on a still-open handle fails with `DeviceRemoved`.
    ///
    /// ```
    /// use d3dkmt_sim::prelude::*;
    /// let sim = Simulator::new(SimConfig::default().adapters(2))?;
    /// let adapter = sim.enum_adapters()?[0].handle;
    /// let device = sim.create_device(adapter)?;
    /// sim.remove_adapter(adapter)?;
    /// assert_eq!(sim.device_state(device)?, ExecutionState::Stopped);
    /// assert_eq!(sim.create_device(adapter).unwrap_err(), ErrorKind::DeviceRemoved);
    /// assert_eq!(sim.enum_adapters()?.len(), 1);
    /// # Ok::<(), d3dkmt_sim::Error>(())
    /// ```
    ///
    /// # Errors
    ///
    /// - an injected error when a fault armed for `CallId::RemoveAdapter` fires
    ///   (before any check);
    /// - `InvalidHandle(HandleKind::Adapter)` when `adapter` is not an open
    ///   adapter handle (closed, never issued, another kind);
    /// - `DeviceRemoved` when the adapter was already removed.
    pub fn remove_adapter(&self, adapter: AdapterHandle) -> Result<()> {
        self.engine.remove_adapter(adapter.raw())
    }

    // === devices ===

    /// `D3DKMTCreateDevice`: a new device on the adapter.
    ///
    /// ```
    /// use d3dkmt_sim::prelude::*;
    /// let sim = Simulator::new(SimConfig::default())?;
    /// let adapter = sim.enum_adapters()?[0].handle;
    /// let device = sim.create_device(adapter)?;
    /// assert_eq!(sim.device_state(device)?, ExecutionState::Active);
    /// # Ok::<(), d3dkmt_sim::Error>(())
    /// ```
    ///
    /// # Errors
    ///
    /// - an injected error when a fault armed for `CallId::CreateDevice` fires (before
    ///   any check);
    /// - `InvalidHandle(HandleKind::Adapter)` when `adapter` is not an open
    ///   adapter handle (closed, never issued, another kind);
    /// - `DeviceRemoved` when the adapter was removed;
    /// - `NoMemory` when the device pool ([`crate::MAX_DEVICES`]) or the handle
    ///   table is full.
    pub fn create_device(&self, adapter: AdapterHandle) -> Result<DeviceHandle> {
        self.engine.create_device(adapter.raw())
    }

    /// `D3DKMTDestroyDevice`: destroys every allocation of the device,
    /// locked, busy or not. Works on a removed device.
    ///
    /// ```
    /// use d3dkmt_sim::prelude::*;
    /// let sim = Simulator::new(SimConfig::default())?;
    /// let device = sim.create_device(sim.enum_adapters()?[0].handle)?;
    /// let alloc = sim.create_allocation(device, AllocationDesc::new(4096))?;
    /// sim.lock2(device, alloc)?;
    /// sim.destroy_device(device)?;
    /// assert_eq!(sim.device_state(device).unwrap_err(), ErrorKind::InvalidHandle(HandleKind::Device));
    /// # Ok::<(), d3dkmt_sim::Error>(())
    /// ```
    ///
    /// # Errors
    ///
    /// - an injected error when a fault armed for `CallId::DestroyDevice` fires
    ///   (before any check);
    /// - `InvalidHandle(HandleKind::Device)` when `device` names no live device
    ///   (zero, destroyed, never issued, another kind; also the loser of two
    ///   racing destroys).
    pub fn destroy_device(&self, device: DeviceHandle) -> Result<()> {
        self.engine.destroy_device(device.raw())
    }

    /// `D3DKMTGetDeviceState` (execution state): `Active`, or the first
    /// removal reason of a removed device.
    ///
    /// ```
    /// use d3dkmt_sim::prelude::*;
    /// let sim = Simulator::new(SimConfig::default())?;
    /// let device = sim.create_device(sim.enum_adapters()?[0].handle)?;
    /// assert_eq!(sim.device_state(device)?, ExecutionState::Active);
    /// sim.remove_device(device, ExecutionState::Hung)?;
    /// assert_eq!(sim.device_state(device)?, ExecutionState::Hung);
    /// # Ok::<(), d3dkmt_sim::Error>(())
    /// ```
    ///
    /// # Errors
    ///
    /// - an injected error when a fault armed for `CallId::GetDeviceState` fires
    ///   (before any check);
    /// - `InvalidHandle(HandleKind::Device)` when `device` names no live device
    ///   (zero, destroyed, never issued, another kind).
    pub fn device_state(&self, device: DeviceHandle) -> Result<ExecutionState> {
        self.engine.device_state(device.raw(), StateQuery::Execution)
    }

    /// `SimKmtRemoveDevice`: removes the device with `reason` (anything but
    /// `Active`). Sticky: the first reason stays.
    ///
    /// ```
    /// use d3dkmt_sim::prelude::*;
    /// let sim = Simulator::new(SimConfig::default())?;
    /// let device = sim.create_device(sim.enum_adapters()?[0].handle)?;
    /// sim.remove_device(device, ExecutionState::ErrorDmaFault)?;
    /// assert_eq!(sim.remove_device(device, ExecutionState::Hung).unwrap_err(), ErrorKind::DeviceRemoved);
    /// assert_eq!(sim.device_state(device)?, ExecutionState::ErrorDmaFault, "the first reason stays");
    /// # Ok::<(), d3dkmt_sim::Error>(())
    /// ```
    ///
    /// # Errors
    ///
    /// - an injected error when a fault armed for `CallId::RemoveDevice` fires (before
    ///   any check);
    /// - `InvalidParameter` when `reason` is `Active`;
    /// - `InvalidHandle(HandleKind::Device)` when `device` names no live device
    ///   (zero, destroyed, never issued, another kind);
    /// - `DeviceRemoved` when the device was already removed (the first reason
    ///   stays).
    pub fn remove_device(&self, device: DeviceHandle, reason: ExecutionState) -> Result<()> {
        self.engine.remove_device(device.raw(), reason)
    }
}
