//! What the bench does to the machine around a measurement (busy vCPUs, memory pressure) and to a
//! contender (its scheduling class), and what it reads back about a contender's cost (CPU time
//! and wake-ups, per thread, from /proc).

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::Duration;

/// `SCHED_RESET_ON_FORK`: children and threads of the caller start as SCHED_OTHER.
const SCHED_RESET_ON_FORK: libc::c_int = 0x4000_0000;

/// Makes the calling thread SCHED_FIFO (priority `prio`) without passing that on to the processes
/// and threads it starts: the bench's measuring thread is the "hardware" typing, and should not
/// wait behind the load it puts on the machine.
pub fn fifo_self(prio: libc::c_int) -> Result<(), String> {
    let p = libc::sched_param { sched_priority: prio };
    // SAFETY: pid 0 is the calling thread; p is a valid sched_param.
    if unsafe { libc::sched_setscheduler(0, libc::SCHED_FIFO | SCHED_RESET_ON_FORK, &p) } < 0 {
        return Err(format!("sched_setscheduler(SCHED_FIFO): {}", std::io::Error::last_os_error()));
    }
    Ok(())
}

/// How many CPUs the VM has.
pub fn cpus() -> usize {
    std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1)
}

/// Background load the bench runs during a measurement; stopped when dropped.
pub struct Load {
    stop: Arc<AtomicBool>,
    threads: Vec<JoinHandle<()>>,
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum LoadKind {
    /// One busy-spinning thread per vCPU at SCHED_IDLE: it runs only when nothing else wants the
    /// CPU, so it takes no time from anyone, but the vCPU never halts (never goes idle).
    IdleSpinner,
    /// One busy-spinning thread per vCPU at normal priority (SCHED_OTHER, nice 0): a CPU hog.
    Hog,
    /// One thread that maps, touches and unmaps 70 % of the VM's available memory, over and over.
    Memory,
}

impl Load {
    pub fn start(kind: LoadKind) -> Load {
        let stop = Arc::new(AtomicBool::new(false));
        let n = if kind == LoadKind::Memory { 1 } else { cpus() };
        let threads = (0..n)
            .map(|_| {
                let stop = stop.clone();
                std::thread::spawn(move || match kind {
                    LoadKind::IdleSpinner => {
                        let p = libc::sched_param { sched_priority: 0 };
                        // SAFETY: pid 0 is this thread; p is a valid sched_param.
                        unsafe { libc::sched_setscheduler(0, libc::SCHED_IDLE, &p) };
                        spin(&stop)
                    }
                    LoadKind::Hog => spin(&stop),
                    LoadKind::Memory => churn_memory(&stop),
                })
            })
            .collect();
        // Let the load take hold before anything is measured.
        std::thread::sleep(Duration::from_millis(300));
        Load { stop, threads }
    }
}

impl Drop for Load {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        for t in self.threads.drain(..) {
            let _ = t.join();
        }
    }
}

fn spin(stop: &AtomicBool) {
    let mut x = 0u64;
    while !stop.load(Ordering::Relaxed) {
        for _ in 0..10_000 {
            x = std::hint::black_box(x.wrapping_mul(6364136223846793005).wrapping_add(1));
        }
    }
}

/// MemAvailable of /proc/meminfo, in bytes.
pub fn mem_available() -> usize {
    let text = std::fs::read_to_string("/proc/meminfo").unwrap_or_default();
    text.lines()
        .find_map(|l| l.strip_prefix("MemAvailable:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<usize>().ok())
        .unwrap_or(0)
        * 1024
}

fn churn_memory(stop: &AtomicBool) {
    let size = mem_available() / 10 * 7;
    if size == 0 {
        return;
    }
    while !stop.load(Ordering::Relaxed) {
        // SAFETY: a fresh private anonymous mapping, written within its bounds, then unmapped.
        unsafe {
            let p = libc::mmap(
                std::ptr::null_mut(),
                size,
                libc::PROT_READ | libc::PROT_WRITE,
                libc::MAP_PRIVATE | libc::MAP_ANONYMOUS,
                -1,
                0,
            );
            if p == libc::MAP_FAILED {
                std::thread::sleep(Duration::from_millis(10));
                continue;
            }
            let bytes = p.cast::<u8>();
            let mut off = 0;
            while off < size && !stop.load(Ordering::Relaxed) {
                bytes.add(off).write_volatile(1);
                off += 4096;
            }
            libc::munmap(p, size);
        }
    }
}

/// A scheduling choice for a contender, as a systemd unit would make it (`Nice=`,
/// `CPUSchedulingPolicy=`), applied to every thread of a running process.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Sched {
    /// SCHED_OTHER, nice 0: the unit as committed before this bench.
    Default,
    /// SCHED_OTHER at this nice value (`Nice=`).
    Nice(i32),
    /// SCHED_FIFO at this priority (`CPUSchedulingPolicy=fifo`, `CPUSchedulingPriority=`).
    Fifo(i32),
    /// SCHED_RR at this priority (`CPUSchedulingPolicy=rr`).
    Rr(i32),
}

impl Sched {
    pub fn label(self) -> String {
        match self {
            Sched::Default => "default".into(),
            Sched::Nice(n) => format!("nice{n}"),
            Sched::Fifo(p) => format!("fifo{p}"),
            Sched::Rr(p) => format!("rr{p}"),
        }
    }

    /// Applies the choice to every thread of `pid`.
    pub fn apply(self, pid: u32) -> Result<(), String> {
        for tid in tids(pid)? {
            let (policy, prio, nice) = match self {
                Sched::Default => (libc::SCHED_OTHER, 0, 0),
                Sched::Nice(n) => (libc::SCHED_OTHER, 0, n),
                Sched::Fifo(p) => (libc::SCHED_FIFO, p, 0),
                Sched::Rr(p) => (libc::SCHED_RR, p, 0),
            };
            let p = libc::sched_param { sched_priority: prio };
            // SAFETY: a thread id of a live child; p is a valid sched_param.
            if unsafe { libc::sched_setscheduler(tid as libc::pid_t, policy, &p) } < 0 {
                return Err(format!("sched_setscheduler({tid}): {}", std::io::Error::last_os_error()));
            }
            // SAFETY: setpriority on a thread id.
            if unsafe { libc::setpriority(libc::PRIO_PROCESS, tid as libc::id_t, nice) } < 0 {
                return Err(format!("setpriority({tid}): {}", std::io::Error::last_os_error()));
            }
        }
        Ok(())
    }
}

/// The thread ids of `pid`.
pub fn tids(pid: u32) -> Result<Vec<u32>, String> {
    let dir = format!("/proc/{pid}/task");
    Ok(std::fs::read_dir(&dir)
        .map_err(|e| format!("{dir}: {e}"))?
        .flatten()
        .filter_map(|t| t.file_name().to_str().and_then(|s| s.parse().ok()))
        .collect())
}

/// What a process has cost so far, summed over its threads: time on a CPU (schedstat, in
/// nanoseconds, exact unlike the tick-based utime) and context switches (each a wake-up or a
/// preemption).
#[derive(Clone, Copy, Default, Debug)]
pub struct Cost {
    pub cpu_ns: u64,
    pub switches: u64,
}

pub fn cost(pid: u32) -> Cost {
    let mut c = Cost::default();
    for tid in tids(pid).unwrap_or_default() {
        let base = format!("/proc/{pid}/task/{tid}");
        let sched = std::fs::read_to_string(format!("{base}/schedstat")).unwrap_or_default();
        c.cpu_ns += sched.split_whitespace().next().and_then(|v| v.parse().ok()).unwrap_or(0);
        let status = std::fs::read_to_string(format!("{base}/status")).unwrap_or_default();
        for l in status.lines() {
            if let Some(v) =
                l.strip_prefix("voluntary_ctxt_switches:").or(l.strip_prefix("nonvoluntary_ctxt_switches:"))
            {
                c.switches += v.trim().parse::<u64>().unwrap_or(0);
            }
        }
    }
    c
}

impl std::ops::Sub for Cost {
    type Output = Cost;
    fn sub(self, o: Cost) -> Cost {
        Cost {
            cpu_ns: self.cpu_ns.saturating_sub(o.cpu_ns),
            switches: self.switches.saturating_sub(o.switches),
        }
    }
}
