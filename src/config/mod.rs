//! [`SimConfig`]: everything a simulator is built from, and the
//! [`AdapterProfile`] of each of its adapters.

mod profile;

use std::time::Duration;

pub use self::profile::{
    AdapterKind, AdapterProfile, HwScheduling, DEFAULT_DEVICE_ID, DEFAULT_VENDOR_ID, DRIVER_VERSION_WDDM_2_7,
    MAX_DESCRIPTION_CHARS, MAX_ENGINES_PER_NODE, MAX_NODES, MAX_UMD_PRIVATE_BYTES,
};

use crate::error::{ErrorKind, Result};

/// What Lock2 does with an allocation that submitted GPU work still uses
/// (`docs/c-library.md`). The legacy page lock ignores this and follows its flags.
#[non_exhaustive]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum BusyPolicy {
    /// Fail with `STATUS_GRAPHICS_ALLOCATION_BUSY` (the default).
    #[default]
    Fail,
    /// Block until the work completes, the device is removed, or
    /// [`SimConfig::wait_timeout`] passes (then `ALLOCATION_BUSY`).
    Wait,
    /// Map without waiting, as WDDM 2 kernels do.
    Ignore,
}

/// The configuration of one [`crate::Simulator`]. `Default` gives the
/// built-in defaults of `SimKmtReset`.
///
/// ```
/// use d3dkmt_sim::{BusyPolicy, SimConfig};
/// let config = SimConfig::default()
///     .adapters(2)
///     .max_lock_references(8)
///     .busy_policy(BusyPolicy::Wait)
///     .adapter_memory(64 << 20);
/// assert!(config.validate().is_ok());
/// assert!(SimConfig::default().page_size(1000).validate().is_err());
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct SimConfig {
    /// Number of adapters, 1..=16 (default 1).
    pub adapter_count: u32,
    /// Page size in bytes: a power of two >= 4096 (default 4096).
    pub page_size: u32,
    /// Lock references one allocation may hold, >= 1 (default 1024).
    pub max_lock_references: u32,
    /// What Lock2 does with a busy allocation (default [`BusyPolicy::Fail`]).
    pub busy_policy: BusyPolicy,
    /// Bound of every wait on busy work (default 1 s, at most
    /// [`MAX_WAIT_TIMEOUT`]).
    pub wait_timeout: Duration,
    /// Memory budget of each adapter in bytes (default 4 GiB).
    pub adapter_memory: u64,
    /// Seeds every choice the simulator makes (adapter LUIDs and GUIDs).
    pub seed: u64,
    /// The profile of adapter `i` (what queries report); adapters past the
    /// end of the list have the default profile. At most `adapter_count`
    /// entries (default: none, so every adapter is the default one).
    pub adapter_profiles: Vec<AdapterProfile>,
}

impl Default for SimConfig {
    fn default() -> Self {
        SimConfig {
            adapter_count: 1,
            page_size: 4096,
            max_lock_references: 1024,
            busy_policy: BusyPolicy::Fail,
            wait_timeout: Duration::from_millis(1000),
            adapter_memory: 4 << 30,
            seed: 0,
            adapter_profiles: Vec::new(),
        }
    }
}

/// Most adapters one simulator models.
pub const MAX_ADAPTERS: u32 = 16;

/// The longest wait timeout: what `SIMKMT_CONFIG.WaitTimeoutMs` can say
/// (about 49.7 days). No wait is unbounded.
pub const MAX_WAIT_TIMEOUT: Duration = Duration::from_millis(u32::MAX as u64);

impl SimConfig {
    /// Sets [`SimConfig::adapter_count`].
    ///
    /// ```
    /// use d3dkmt_sim::prelude::*;
    /// let sim = Simulator::new(SimConfig::default().adapters(3))?;
    /// assert_eq!(sim.enum_adapters()?.len(), 3);
    /// assert!(SimConfig::default().adapters(17).validate().is_err(), "at most 16");
    /// # Ok::<(), d3dkmt_sim::Error>(())
    /// ```
    pub fn adapters(mut self, count: u32) -> Self {
        self.adapter_count = count;
        self
    }
    /// Sets [`SimConfig::page_size`].
    ///
    /// ```
    /// use d3dkmt_sim::prelude::*;
    /// let sim = Simulator::new(SimConfig::default().page_size(65536))?;
    /// let device = sim.create_device(sim.enum_adapters()?[0].handle)?;
    /// let alloc = sim.create_allocation(device, AllocationDesc::new(1))?;
    /// assert_eq!(sim.query_allocation(device, alloc)?.size, 65536, "rounded to the page size");
    /// # Ok::<(), d3dkmt_sim::Error>(())
    /// ```
    pub fn page_size(mut self, bytes: u32) -> Self {
        self.page_size = bytes;
        self
    }
    /// Sets [`SimConfig::max_lock_references`].
    ///
    /// ```
    /// use d3dkmt_sim::prelude::*;
    /// let sim = Simulator::new(SimConfig::default().max_lock_references(2))?;
    /// let device = sim.create_device(sim.enum_adapters()?[0].handle)?;
    /// let alloc = sim.create_allocation(device, AllocationDesc::new(4096))?;
    /// let (_, _) = (sim.lock2(device, alloc)?, sim.lock2(device, alloc)?);
    /// assert_eq!(sim.lock2(device, alloc).unwrap_err(), ErrorKind::TooManyReferences);
    /// # Ok::<(), d3dkmt_sim::Error>(())
    /// ```
    pub fn max_lock_references(mut self, limit: u32) -> Self {
        self.max_lock_references = limit;
        self
    }
    /// Sets [`SimConfig::busy_policy`].
    ///
    /// ```
    /// use d3dkmt_sim::prelude::*;
    /// let sim = Simulator::new(SimConfig::default().busy_policy(BusyPolicy::Ignore))?;
    /// let device = sim.create_device(sim.enum_adapters()?[0].handle)?;
    /// let alloc = sim.create_allocation(device, AllocationDesc::new(4096))?;
    /// sim.submit(device, &[alloc])?;
    /// assert!(sim.lock2(device, alloc).is_ok(), "maps a busy allocation without waiting");
    /// # Ok::<(), d3dkmt_sim::Error>(())
    /// ```
    pub fn busy_policy(mut self, policy: BusyPolicy) -> Self {
        self.busy_policy = policy;
        self
    }
    /// Sets [`SimConfig::wait_timeout`].
    ///
    /// ```
    /// use d3dkmt_sim::prelude::*;
    /// let config = SimConfig::default().busy_policy(BusyPolicy::Wait).wait_timeout(std::time::Duration::from_millis(10));
    /// let sim = Simulator::new(config)?;
    /// let device = sim.create_device(sim.enum_adapters()?[0].handle)?;
    /// let alloc = sim.create_allocation(device, AllocationDesc::new(4096))?;
    /// sim.submit(device, &[alloc])?;
    /// assert_eq!(sim.lock2(device, alloc).unwrap_err(), ErrorKind::AllocationBusy, "10 ms, and still busy");
    /// # Ok::<(), d3dkmt_sim::Error>(())
    /// ```
    pub fn wait_timeout(mut self, timeout: Duration) -> Self {
        self.wait_timeout = timeout;
        self
    }
    /// Sets [`SimConfig::adapter_memory`].
    ///
    /// ```
    /// use d3dkmt_sim::prelude::*;
    /// let sim = Simulator::new(SimConfig::default().adapter_memory(8192))?;
    /// let device = sim.create_device(sim.enum_adapters()?[0].handle)?;
    /// sim.create_allocation(device, AllocationDesc::new(8192))?;
    /// assert_eq!(sim.create_allocation(device, AllocationDesc::new(1)).unwrap_err(), ErrorKind::NoVideoMemory);
    /// # Ok::<(), d3dkmt_sim::Error>(())
    /// ```
    pub fn adapter_memory(mut self, bytes: u64) -> Self {
        self.adapter_memory = bytes;
        self
    }
    /// Sets [`SimConfig::seed`].
    ///
    /// ```
    /// use d3dkmt_sim::prelude::*;
    /// let luid = |seed| -> Result<Luid, d3dkmt_sim::Error> { Ok(Simulator::new(SimConfig::default().seed(seed))?.enum_adapters()?[0].luid) };
    /// assert_eq!(luid(7)?, luid(7)?, "the same seed, the same LUIDs");
    /// # Ok::<(), d3dkmt_sim::Error>(())
    /// ```
    pub fn seed(mut self, seed: u64) -> Self {
        self.seed = seed;
        self
    }

    /// Sets the profile of adapter `index` (adapters before it that have
    /// none get the default profile).
    ///
    /// ```
    /// use d3dkmt_sim::prelude::*;
    /// let config = SimConfig::default().adapters(3).adapter_profile(2, AdapterProfile::default().ids(0x10DE, 1));
    /// assert_eq!(config.profile(1), AdapterProfile::default());
    /// assert_eq!(config.profile(2).vendor_id, 0x10DE);
    /// ```
    pub fn adapter_profile(mut self, index: usize, profile: AdapterProfile) -> Self {
        if self.adapter_profiles.len() <= index {
            self.adapter_profiles.resize(index + 1, AdapterProfile::default());
        }
        self.adapter_profiles[index] = profile;
        self
    }

    /// The profile adapter `index` has under this configuration.
    ///
    /// ```
    /// use d3dkmt_sim::*;
    /// let config = SimConfig::default().adapters(2).adapter_profile(1, AdapterProfile::default().ids(1, 2));
    /// assert_eq!(config.profile(0), AdapterProfile::default());
    /// assert_eq!((config.profile(1).vendor_id, config.profile(1).device_id), (1, 2));
    /// ```
    pub fn profile(&self, index: usize) -> AdapterProfile {
        self.adapter_profiles.get(index).cloned().unwrap_or_default()
    }

    /// Checks the ranges `SimKmtReset` allows: 1..=16 adapters, a page size
    /// that is a power of two >= 4096, a lock-reference limit >= 1 and a
    /// wait timeout of at most [`MAX_WAIT_TIMEOUT`], at most one adapter
    /// profile per adapter and each within its ranges
    /// ([`AdapterProfile::validate`]).
    ///
    /// ```
    /// use d3dkmt_sim::prelude::*;
    /// assert!(SimConfig::default().validate().is_ok());
    /// assert_eq!(SimConfig::default().max_lock_references(0).validate().unwrap_err().status(), NtStatus::INVALID_PARAMETER);
    /// assert!(Simulator::new(SimConfig::default().page_size(4095)).is_err(), "new validates too");
    /// ```
    ///
    /// # Errors
    ///
    /// `InvalidParameter`, for the first range broken, in the order above (the
    /// profiles last, each as [`AdapterProfile::validate`]).
    pub fn validate(&self) -> Result<()> {
        if self.adapter_count == 0 || self.adapter_count > MAX_ADAPTERS {
            return Err(ErrorKind::InvalidParameter("adapter count must be 1..=16").into());
        }
        if self.page_size < 4096 || !self.page_size.is_power_of_two() {
            return Err(ErrorKind::InvalidParameter("page size must be a power of two >= 4096").into());
        }
        if self.max_lock_references == 0 {
            return Err(ErrorKind::InvalidParameter("the lock-reference limit must be >= 1").into());
        }
        if self.wait_timeout > MAX_WAIT_TIMEOUT {
            return Err(ErrorKind::InvalidParameter("the wait timeout must be at most u32::MAX milliseconds").into());
        }
        if self.adapter_profiles.len() > self.adapter_count as usize {
            return Err(ErrorKind::InvalidParameter("more adapter profiles than adapters").into());
        }
        self.adapter_profiles.iter().try_for_each(AdapterProfile::validate)
    }

    /// Parses the `D3DKMT_SIM_CONFIG` syntax: comma-separated `key=value`
    /// pairs with the keys `adapters`, `page_size`, `max_lock_refs`, `busy`
    /// (`fail`, `wait`, `ignore`), `wait_timeout_ms`, `adapter_memory` (bytes
    /// with an optional `K`, `M`, `G` or `T` binary suffix) and `seed`. Keys
    /// left out keep their defaults; a value of 0 means the default, as in
    /// `SIMKMT_CONFIG`.
    ///
    /// The adapter profile keys set a field of every adapter's
    /// [`AdapterProfile`], or, prefixed `aN.` (`a1.kind=compute`), of
    /// adapter `N` alone, which wins over the unprefixed key: `kind`
    /// (`render`, `render_display`, `compute`, `display`), `vendor_id`,
    /// `device_id` (decimal or `0x` hex), `hw_sched` (`off`, `supported`,
    /// `enabled`), `driver_version` (a `KMT_DRIVERVERSION_*` value such as
    /// 2700), `engines` (engines per node, `:`-separated: `2:1` is two nodes)
    /// and `description` (no commas).
    ///
    /// ```
    /// use d3dkmt_sim::{BusyPolicy, SimConfig};
    /// let c = SimConfig::parse("adapters=2,max_lock_refs=8,busy=wait,adapter_memory=64M").unwrap();
    /// assert_eq!((c.adapter_count, c.max_lock_references), (2, 8));
    /// assert_eq!(c.busy_policy, BusyPolicy::Wait);
    /// assert_eq!(c.adapter_memory, 64 << 20);
    /// assert!(SimConfig::parse("adapters=two").is_err());
    ///
    /// let c = SimConfig::parse("adapters=2,vendor_id=0x10de,a1.kind=compute,a1.engines=1:4").unwrap();
    /// assert_eq!(c.profile(0).vendor_id, 0x10DE);
    /// assert_eq!(c.profile(1).kind, d3dkmt_sim::AdapterKind::ComputeOnly);
    /// assert_eq!(c.profile(1).engines_per_node, [1, 4]);
    /// ```
    ///
    /// # Errors
    ///
    /// A [`ConfigParseError`] naming the key, the value and the reason, for the
    /// first of: a pair without `=`, a key given twice, an unknown key, a value
    /// that is not of its key's form or is out of range (a profile value also
    /// when the profile it makes breaks [`AdapterProfile::validate`]), an `aN.`
    /// prefix past the adapter count.
    pub fn parse(text: &str) -> core::result::Result<SimConfig, ConfigParseError> {
        let mut config = SimConfig::default();
        // Profile keys wait until the adapter count is known: (adapter or
        // every adapter, key, value, the key as written).
        let mut profile_keys: Vec<(Option<usize>, &str, &str, &str)> = Vec::new();
        let mut seen: Vec<&str> = Vec::new();
        for pair in text.split(',').map(str::trim).filter(|p| !p.is_empty()) {
            let Some((key, value)) = pair.split_once('=') else {
                return Err(ConfigParseError::new(pair, "", "not a key=value pair"));
            };
            let (key, value) = (key.trim(), value.trim());
            let err = |reason: &str| ConfigParseError::new(key, value, reason);
            if seen.contains(&key) {
                return Err(err("the key is given twice"));
            }
            seen.push(key);
            let num = |v: &str| v.parse::<u64>().map_err(|_| err("not a number (0 to 2^64 - 1)"));
            let num32 = |v: &str| v.parse::<u32>().map_err(|_| err("not a number (0 to 2^32 - 1)"));
            match key {
                "adapters" => match num32(value)? {
                    n @ 0..=MAX_ADAPTERS => config.adapter_count = nonzero_or(n, 1),
                    _ => return Err(err("out of range: 1 to 16 (0 for the default, 1)")),
                },
                "page_size" => match num32(value)? {
                    0 => config.page_size = 4096,
                    n if n >= 4096 && n.is_power_of_two() => config.page_size = n,
                    _ => return Err(err("out of range: a power of two from 4096 (0 for the default, 4096)")),
                },
                "max_lock_refs" => config.max_lock_references = nonzero_or(num32(value)?, 1024),
                "busy" => {
                    config.busy_policy = match value.to_ascii_lowercase().as_str() {
                        "fail" => BusyPolicy::Fail,
                        "wait" => BusyPolicy::Wait,
                        "ignore" => BusyPolicy::Ignore,
                        _ => return Err(err("not a busy policy: fail, wait or ignore")),
                    }
                }
                "wait_timeout_ms" => {
                    config.wait_timeout = Duration::from_millis(u64::from(nonzero_or(num32(value)?, 1000)))
                }
                "adapter_memory" => {
                    let (digits, shift) = match value.char_indices().last() {
                        Some((i, c)) if c.is_ascii_alphabetic() => {
                            let shift = match c.to_ascii_uppercase() {
                                'K' => 10,
                                'M' => 20,
                                'G' => 30,
                                'T' => 40,
                                _ => return Err(err("not a size: digits with an optional K, M, G or T")),
                            };
                            (&value[..i], shift)
                        }
                        _ => (value, 0),
                    };
                    let bytes = num(digits)?
                        .checked_mul(1 << shift)
                        .ok_or_else(|| err("out of range: at most 2^64 - 1 bytes"))?;
                    config.adapter_memory = nonzero_or(bytes, 4 << 30);
                }
                "seed" => config.seed = num(value)?,
                _ => match profile_key(key) {
                    Some((adapter, name)) => profile_keys.push((adapter, name, value, key)),
                    None => return Err(err(UNKNOWN_KEY)),
                },
            }
        }
        // Unprefixed keys first, so an adapter's own key wins.
        profile_keys.sort_by_key(|&(adapter, ..)| adapter.is_some());
        for (adapter, name, value, key) in profile_keys {
            let err = |reason: &str| ConfigParseError::new(key, value, reason);
            let targets = match adapter {
                Some(i) if i < config.adapter_count as usize => i..i + 1,
                Some(_) => return Err(err("names an adapter past the adapter count (adapters are numbered from 0)")),
                None => 0..config.adapter_count as usize,
            };
            for i in targets {
                let profile =
                    set_profile_key(config.profile(i), name, value).ok_or_else(|| err(profile_reason(name)))?;
                if let Err(ErrorKind::InvalidParameter(why)) = profile.validate().map_err(|e| e.kind()) {
                    return Err(err(why));
                }
                config = config.adapter_profile(i, profile);
            }
        }
        // Every range was checked at its key; what is left is a bug.
        config.validate().map_err(|e| ConfigParseError::new("", text, &e.to_string()))?;
        Ok(config)
    }

    /// The configuration `D3DKMT_SIM_CONFIG` sets, as the C ABI's
    /// process-wide simulator reads it: the built-in defaults when the
    /// variable is not set, its [`SimConfig::parse`] otherwise.
    ///
    /// ```
    /// // With the variable unset (as in this doctest), the defaults.
    /// # std::env::remove_var("D3DKMT_SIM_CONFIG");
    /// assert_eq!(d3dkmt_sim::SimConfig::from_env()?, d3dkmt_sim::SimConfig::default());
    /// # Ok::<(), d3dkmt_sim::ConfigParseError>(())
    /// ```
    ///
    /// # Errors
    ///
    /// The [`ConfigParseError`] of a malformed value (naming the key, the
    /// value and the reason), or one whose reason says the value is not
    /// UTF-8.
    pub fn from_env() -> core::result::Result<SimConfig, ConfigParseError> {
        match std::env::var(CONFIG_VAR) {
            Ok(text) => SimConfig::parse(&text),
            Err(std::env::VarError::NotPresent) => Ok(SimConfig::default()),
            Err(std::env::VarError::NotUnicode(_)) => Err(ConfigParseError::new("", "", "the value is not UTF-8")),
        }
    }
}

/// The environment variable that configures the C ABI's process-wide
/// simulator (and [`SimConfig::from_env`]).
pub const CONFIG_VAR: &str = "D3DKMT_SIM_CONFIG";

const UNKNOWN_KEY: &str = "unknown key; the keys are adapters, page_size, max_lock_refs, busy, wait_timeout_ms, \
adapter_memory, seed, and (optionally prefixed aN.) kind, vendor_id, device_id, hw_sched, driver_version, engines, \
description";

/// Why a profile key's value was refused.
fn profile_reason(key: &str) -> &'static str {
    match key {
        "kind" => "not an adapter kind: render, render_display, compute or display",
        "vendor_id" | "device_id" => "not a number (decimal or 0x hex, up to 2^32 - 1)",
        "hw_sched" => "not a scheduling mode: off, supported or enabled",
        "driver_version" => "not a number",
        "engines" => "not a list of engine counts per node, such as 2:1",
        _ => "not a valid value",
    }
}

/// A profile key, with its `aN.` adapter prefix if it has one.
fn profile_key(key: &str) -> Option<(Option<usize>, &str)> {
    const KEYS: [&str; 7] = ["kind", "vendor_id", "device_id", "hw_sched", "driver_version", "engines", "description"];
    let (adapter, key) = match key.strip_prefix('a').and_then(|rest| rest.split_once('.')) {
        Some((index, key)) => (Some(index.parse::<usize>().ok()?), key),
        None => (None, key),
    };
    KEYS.contains(&key).then_some((adapter, key))
}

/// `profile` with one profile key set; `None` for a bad value.
fn set_profile_key(profile: AdapterProfile, key: &str, value: &str) -> Option<AdapterProfile> {
    let int = |v: &str| match v.strip_prefix("0x").or_else(|| v.strip_prefix("0X")) {
        Some(hex) => u32::from_str_radix(hex, 16).ok(),
        None => v.parse::<u32>().ok(),
    };
    Some(match key {
        "kind" => profile.kind(match value.to_ascii_lowercase().as_str() {
            "render" => AdapterKind::Render,
            "render_display" => AdapterKind::RenderAndDisplay,
            "compute" => AdapterKind::ComputeOnly,
            "display" => AdapterKind::DisplayOnly,
            _ => return None,
        }),
        "vendor_id" => {
            let device = profile.device_id;
            profile.ids(int(value)?, device)
        }
        "device_id" => {
            let vendor = profile.vendor_id;
            profile.ids(vendor, int(value)?)
        }
        "hw_sched" => profile.hw_scheduling(match value.to_ascii_lowercase().as_str() {
            "off" => HwScheduling::Unsupported,
            "supported" => HwScheduling::Supported,
            "enabled" => HwScheduling::Enabled,
            _ => return None,
        }),
        "driver_version" => profile.driver_version(value.parse().ok()?),
        "engines" => profile.engines_per_node(&value.split(':').map(int).collect::<Option<Vec<u32>>>()?),
        "description" => profile.description(value),
        _ => return None,
    })
}

fn nonzero_or<T: PartialEq + Default>(value: T, default: T) -> T {
    if value == T::default() {
        default
    } else {
        value
    }
}

/// A `D3DKMT_SIM_CONFIG` string that [`SimConfig::parse`] rejected: the
/// key (as written, `aN.` prefix included), its value, and why. Displayed
/// as one line, `key=value: reason`:
///
/// ```
/// let e = d3dkmt_sim::SimConfig::parse("adapters=99").unwrap_err();
/// assert_eq!((e.key.as_str(), e.value.as_str()), ("adapters", "99"));
/// assert_eq!(e.to_string(), "adapters=99: out of range: 1 to 16 (0 for the default, 1)");
/// ```
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{key}={value}: {reason}")]
pub struct ConfigParseError {
    /// The key as written (empty when the text as a whole is at fault).
    pub key: String,
    /// Its value (for a pair without `=`, empty).
    pub value: String,
    /// Why it was refused; for a number out of range, the range.
    pub reason: String,
}

impl ConfigParseError {
    fn new(key: &str, value: &str, reason: &str) -> Self {
        ConfigParseError { key: key.to_owned(), value: value.to_owned(), reason: reason.to_owned() }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parse_every_key() {
        let c = SimConfig::parse(
            "adapters=3, page_size=8192,max_lock_refs=5,busy=ignore,wait_timeout_ms=20,adapter_memory=2G,seed=42",
        )
        .unwrap();
        assert_eq!(c.adapter_count, 3);
        assert_eq!(c.page_size, 8192);
        assert_eq!(c.max_lock_references, 5);
        assert_eq!(c.busy_policy, BusyPolicy::Ignore);
        assert_eq!(c.wait_timeout, Duration::from_millis(20));
        assert_eq!(c.adapter_memory, 2 << 30);
        assert_eq!(c.seed, 42);
        assert_eq!(SimConfig::parse("").unwrap(), SimConfig::default());
        assert_eq!(SimConfig::parse("adapter_memory=1t").unwrap().adapter_memory, 1 << 40);
        assert_eq!(SimConfig::parse("adapter_memory=4096").unwrap().adapter_memory, 4096);
        assert!(SimConfig::default().wait_timeout(Duration::MAX).validate().is_err());
        assert!(SimConfig::default().wait_timeout(MAX_WAIT_TIMEOUT).validate().is_ok());
    }

    #[test]
    fn parse_profile_keys_apply_to_every_adapter_or_one() {
        let c = SimConfig::parse(
            "adapters=3,a2.device_id=7,device_id=0x56a0,kind=render_display,hw_sched=enabled,\
             driver_version=3000,engines=2:1,description=My GPU,a0.kind=display",
        )
        .unwrap();
        assert_eq!(c.profile(0).kind, AdapterKind::DisplayOnly, "the adapter's own key wins");
        assert_eq!(c.profile(1).kind, AdapterKind::RenderAndDisplay);
        assert_eq!((c.profile(1).device_id, c.profile(2).device_id), (0x56A0, 7));
        assert_eq!(c.profile(2).hw_scheduling, HwScheduling::Enabled);
        assert_eq!(c.profile(1).driver_version, 3000);
        assert_eq!(c.profile(0).engines_per_node, [2, 1]);
        assert_eq!(c.profile(2).description, "My GPU");
        assert!(SimConfig::default().adapter_profile(1, AdapterProfile::default()).validate().is_err());
    }

    #[test]
    fn parse_errors_name_the_key_the_value_and_the_reason() {
        let e = |text: &str| SimConfig::parse(text).unwrap_err();
        let err = e("adapters=2,page_size=5000");
        assert_eq!((err.key.as_str(), err.value.as_str()), ("page_size", "5000"));
        assert!(err.reason.contains("power of two from 4096"), "{err}");
        let err = e("adapters=17");
        assert_eq!(err.to_string(), "adapters=17: out of range: 1 to 16 (0 for the default, 1)");
        let err = e("seed=1, seed=2");
        assert_eq!(
            (err.key.as_str(), err.value.as_str(), err.reason.as_str()),
            ("seed", "2", "the key is given twice")
        );
        let err = e("a1.kind=compute,a1.kind=render,adapters=2");
        assert_eq!((err.key.as_str(), err.reason.as_str()), ("a1.kind", "the key is given twice"));
        let err = e("colour=blue");
        assert!(err.reason.starts_with("unknown key") && err.reason.contains("adapter_memory"), "{err}");
        let err = e("adapters");
        assert_eq!((err.key.as_str(), err.reason.as_str()), ("adapters", "not a key=value pair"));
        let err = e("adapters=2,a2.vendor_id=1");
        assert_eq!(err.key, "a2.vendor_id");
        assert!(err.reason.contains("past the adapter count"), "{err}");
        let err = e("busy=sometimes");
        assert!(err.reason.contains("fail, wait or ignore"), "{err}");
        let err = e("engines=0");
        assert_eq!(err.key, "engines");
        // `kind` and `a0.kind` are different keys: both may be given.
        assert!(SimConfig::parse("kind=render,a0.kind=compute").is_ok());
    }

    #[test]
    fn parse_rejects_malformed_values() {
        for bad in [
            "adapters",
            "adapters=17",
            "page_size=5000",
            "busy=sometimes",
            "adapter_memory=12Q",
            "adapter_memory=99999999999T",
            "colour=blue",
            "seed=-1",
            "wait_timeout_ms=4294967296",
            "kind=gpu",
            "a1.kind=compute",
            "adapters=2,a2.vendor_id=1",
            "engines=0",
            "engines=1:x",
            "driver_version=2750",
            "hw_sched=maybe",
            "ax.kind=render",
        ] {
            assert!(SimConfig::parse(bad).is_err(), "{bad}");
        }
    }
}
