//! [`SimConfig`]: everything a simulator is built from.

use std::time::Duration;

use crate::error::{Error, Result};

/// What Lock2 does with an allocation that submitted GPU work still uses
/// (`docs/c-abi.md`). The legacy page lock ignores this and follows its flags.
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
    /// Seeds every choice the simulator makes (adapter LUIDs).
    pub seed: u64,
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
    pub fn adapters(mut self, count: u32) -> Self {
        self.adapter_count = count;
        self
    }
    /// Sets [`SimConfig::page_size`].
    pub fn page_size(mut self, bytes: u32) -> Self {
        self.page_size = bytes;
        self
    }
    /// Sets [`SimConfig::max_lock_references`].
    pub fn max_lock_references(mut self, limit: u32) -> Self {
        self.max_lock_references = limit;
        self
    }
    /// Sets [`SimConfig::busy_policy`].
    pub fn busy_policy(mut self, policy: BusyPolicy) -> Self {
        self.busy_policy = policy;
        self
    }
    /// Sets [`SimConfig::wait_timeout`].
    pub fn wait_timeout(mut self, timeout: Duration) -> Self {
        self.wait_timeout = timeout;
        self
    }
    /// Sets [`SimConfig::adapter_memory`].
    pub fn adapter_memory(mut self, bytes: u64) -> Self {
        self.adapter_memory = bytes;
        self
    }
    /// Sets [`SimConfig::seed`].
    pub fn seed(mut self, seed: u64) -> Self {
        self.seed = seed;
        self
    }

    /// Checks the ranges `SimKmtReset` allows: 1..=16 adapters, a page size
    /// that is a power of two >= 4096, a lock-reference limit >= 1 and a
    /// wait timeout of at most [`MAX_WAIT_TIMEOUT`]; `InvalidParameter`
    /// otherwise.
    pub fn validate(&self) -> Result<()> {
        if self.adapter_count == 0 || self.adapter_count > MAX_ADAPTERS {
            return Err(Error::InvalidParameter("adapter count must be 1..=16"));
        }
        if self.page_size < 4096 || !self.page_size.is_power_of_two() {
            return Err(Error::InvalidParameter("page size must be a power of two >= 4096"));
        }
        if self.max_lock_references == 0 {
            return Err(Error::InvalidParameter("the lock-reference limit must be >= 1"));
        }
        if self.wait_timeout > MAX_WAIT_TIMEOUT {
            return Err(Error::InvalidParameter("the wait timeout must be at most u32::MAX milliseconds"));
        }
        Ok(())
    }

    /// Parses the `D3DKMT_SIM_CONFIG` syntax: comma-separated `key=value`
    /// pairs with the keys `adapters`, `page_size`, `max_lock_refs`, `busy`
    /// (`fail`, `wait`, `ignore`), `wait_timeout_ms`, `adapter_memory` (bytes
    /// with an optional `K`, `M`, `G` or `T` binary suffix) and `seed`. Keys
    /// left out keep their defaults; a value of 0 means the default, as in
    /// `SIMKMT_CONFIG`.
    ///
    /// ```
    /// use d3dkmt_sim::{BusyPolicy, SimConfig};
    /// let c = SimConfig::parse("adapters=2,max_lock_refs=8,busy=wait,adapter_memory=64M").unwrap();
    /// assert_eq!((c.adapter_count, c.max_lock_references), (2, 8));
    /// assert_eq!(c.busy_policy, BusyPolicy::Wait);
    /// assert_eq!(c.adapter_memory, 64 << 20);
    /// assert!(SimConfig::parse("adapters=two").is_err());
    /// ```
    pub fn parse(text: &str) -> core::result::Result<SimConfig, ConfigParseError> {
        let mut config = SimConfig::default();
        for pair in text.split(',').map(str::trim).filter(|p| !p.is_empty()) {
            let err = || ConfigParseError(pair.to_owned());
            let (key, value) = pair.split_once('=').ok_or_else(err)?;
            let (key, value) = (key.trim(), value.trim());
            let num = |v: &str| v.parse::<u64>().map_err(|_| err());
            let num32 = |v: &str| v.parse::<u32>().map_err(|_| err());
            match key {
                "adapters" => config.adapter_count = nonzero_or(num32(value)?, 1),
                "page_size" => config.page_size = nonzero_or(num32(value)?, 4096),
                "max_lock_refs" => config.max_lock_references = nonzero_or(num32(value)?, 1024),
                "busy" => {
                    config.busy_policy = match value.to_ascii_lowercase().as_str() {
                        "fail" => BusyPolicy::Fail,
                        "wait" => BusyPolicy::Wait,
                        "ignore" => BusyPolicy::Ignore,
                        _ => return Err(err()),
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
                                _ => return Err(err()),
                            };
                            (&value[..i], shift)
                        }
                        _ => (value, 0),
                    };
                    let bytes = num(digits)?.checked_mul(1 << shift).ok_or_else(err)?;
                    config.adapter_memory = nonzero_or(bytes, 4 << 30);
                }
                "seed" => config.seed = num(value)?,
                _ => return Err(err()),
            }
        }
        config.validate().map_err(|_| ConfigParseError(text.to_owned()))?;
        Ok(config)
    }
}

fn nonzero_or<T: PartialEq + Default>(value: T, default: T) -> T {
    if value == T::default() {
        default
    } else {
        value
    }
}

/// A `D3DKMT_SIM_CONFIG` string that [`SimConfig::parse`] rejected; holds the
/// offending `key=value` pair (or the whole text if the values conflict).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("malformed simulator configuration: `{0}`")]
pub struct ConfigParseError(pub String);

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
        ] {
            assert!(SimConfig::parse(bad).is_err(), "{bad}");
        }
    }
}
