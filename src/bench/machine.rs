//! The machine the figures come from, and where the processes run on it.

use std::fs;

use nix::errno::Errno;
use nix::sched::{CpuSet, sched_getaffinity, sched_setaffinity};
use nix::sys::resource::{Resource, getrlimit, setrlimit};
use nix::unistd::Pid;

/// What the bench prints about the machine before any figure.
pub struct Machine {
    /// CPUs this process may run on.
    pub cpus: Vec<usize>,
    pub cpu_model: String,
    pub kernel: String,
    /// /proc/loadavg's first three numbers.
    pub load: String,
}

impl Machine {
    pub fn probe() -> Machine {
        let cpuinfo = fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
        let cpu_model = cpuinfo
            .lines()
            .find_map(|l| l.strip_prefix("model name")?.split_once(':'))
            .map_or("unknown CPU".to_string(), |(_, name)| {
                name.trim().to_string()
            });
        let kernel = fs::read_to_string("/proc/sys/kernel/osrelease")
            .map_or("?".to_string(), |k| k.trim().to_string());
        let load = fs::read_to_string("/proc/loadavg").map_or("?".to_string(), |l| {
            l.split_whitespace().take(3).collect::<Vec<_>>().join(" ")
        });
        Machine {
            cpus: allowed_cpus(),
            cpu_model,
            kernel,
            load,
        }
    }

    /// The 1-minute load average: how many tasks were running or waiting to run, on average,
    /// over the last minute.
    pub fn load1(&self) -> Option<f64> {
        self.load.split_whitespace().next()?.parse().ok()
    }
}

/// The CPUs this process is allowed to run on (all of them unless `taskset` said otherwise).
fn allowed_cpus() -> Vec<usize> {
    match sched_getaffinity(Pid::from_raw(0)) {
        Ok(set) => (0..CpuSet::count())
            .filter(|&cpu| set.is_set(cpu).unwrap_or(false))
            .collect(),
        Err(_) => vec![0],
    }
}

/// Pins thread or process `pid` (0: the calling thread) to one CPU.
pub fn pin(pid: i32, cpu: usize) -> Result<(), Errno> {
    let mut set = CpuSet::new();
    set.set(cpu)?;
    sched_setaffinity(Pid::from_raw(pid), &set)
}

/// Raises this process's limit of open descriptors to its hard limit: a thousand connections
/// are a thousand descriptors here, and as many in the server, which inherits the limit.
pub fn raise_fd_limit() {
    if let Ok((soft, hard)) = getrlimit(Resource::RLIMIT_NOFILE)
        && soft < hard
    {
        let _ = setrlimit(Resource::RLIMIT_NOFILE, hard, hard);
    }
}

/// The hypervisor's steal ticks and all ticks so far, from /proc/stat's `cpu` line.
pub fn steal_ticks() -> (u64, u64) {
    let stat = fs::read_to_string("/proc/stat").unwrap_or_default();
    let Some(line) = stat.lines().find(|l| l.starts_with("cpu ")) else {
        return (0, 0);
    };
    let ticks: Vec<u64> = line
        .split_whitespace()
        .skip(1)
        .filter_map(|v| v.parse().ok())
        .collect();
    // user nice system idle iowait irq softirq steal: the 8th is steal.
    let total = ticks.iter().take(8).sum();
    (ticks.get(7).copied().unwrap_or(0), total)
}
