//! The one worker pool: runs a closure over numbered items on every core and gives the
//! results back in item order, or an error when a worker failed.
//!
//! Scanning feeds this pool, and a scan that quietly loses a worker's results is a scan
//! that lets a secret through. So a panicking worker is never dropped: the run stops
//! handing out items and [`run`] returns [`WorkerPanicked`], which callers turn into a
//! failing exit. The panic's message is not kept: it could quote the data being scanned.

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

/// A worker thread panicked, so some items may not have been processed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("a worker thread failed while {task}, so its results are incomplete")]
pub struct WorkerPanicked {
    /// What the pool was doing, e.g. "scanning files".
    pub task: &'static str,
}

/// Runs `work(state, i)` for every `i` in `0..count` on up to one thread per core, each
/// thread with its own `state` from `init` (a thread-local handle, a buffer), and returns
/// the results indexed like the items.
///
/// # Errors
/// [`WorkerPanicked`] if `init` or `work` panicked on any thread; the other workers stop at
/// their next item, and no partial result is returned.
///
/// ```
/// let squares = vault::pool::run("squaring", 5, || (), |(), i| i * i)?;
/// assert_eq!(squares, [0, 1, 4, 9, 16]);
/// # Ok::<(), vault::pool::WorkerPanicked>(())
/// ```
pub fn run<S, R, I, W>(
    task: &'static str,
    count: usize,
    init: I,
    work: W,
) -> Result<Vec<R>, WorkerPanicked>
where
    R: Send,
    I: Fn() -> S + Sync,
    W: Fn(&mut S, usize) -> R + Sync,
{
    let threads = std::thread::available_parallelism()
        .map_or(2, std::num::NonZero::get)
        .min(count.max(1));
    let next = AtomicUsize::new(0);
    let failed = AtomicBool::new(false);
    let joined: Vec<std::thread::Result<Vec<(usize, R)>>> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..threads)
            .map(|_| {
                scope.spawn(|| {
                    // Set on unwind, so the other workers stop handing out items.
                    let _flag = FlagOnPanic(&failed);
                    let mut state = init();
                    let mut done = Vec::new();
                    while !failed.load(Ordering::Relaxed) {
                        let i = next.fetch_add(1, Ordering::Relaxed);
                        if i >= count {
                            break;
                        }
                        done.push((i, work(&mut state, i)));
                    }
                    done
                })
            })
            .collect();
        // Every handle is joined here, so `scope` itself never re-raises a worker's panic.
        handles.into_iter().map(|h| h.join()).collect()
    });
    let mut results: Vec<(usize, R)> = Vec::with_capacity(count);
    for outcome in joined {
        results.extend(outcome.map_err(|_| WorkerPanicked { task })?);
    }
    if failed.load(Ordering::Relaxed) || results.len() != count {
        return Err(WorkerPanicked { task });
    }
    results.sort_unstable_by_key(|(i, _)| *i);
    Ok(results.into_iter().map(|(_, r)| r).collect())
}

/// Raises the shared flag when dropped during a panic.
struct FlagOnPanic<'a>(&'a AtomicBool);

impl Drop for FlagOnPanic<'_> {
    fn drop(&mut self) {
        if std::thread::panicking() {
            self.0.store(true, Ordering::Relaxed);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn results_come_back_in_item_order() {
        let out = run(
            "testing",
            1000,
            || 0usize,
            |calls, i| {
                *calls += 1;
                i * 2
            },
        )
        .unwrap();
        assert_eq!(out, (0..1000).map(|i| i * 2).collect::<Vec<_>>());
        assert!(run("testing", 0, || (), |(), i| i).unwrap().is_empty());
    }

    #[test]
    fn a_panicking_worker_fails_the_whole_run() {
        let err = run(
            "testing",
            100,
            || (),
            |(), i| {
                assert!(i != 37, "forced test panic");
                i
            },
        )
        .unwrap_err();
        assert_eq!(err, WorkerPanicked { task: "testing" });
        assert!(err.to_string().contains("testing"), "{err}");
    }

    #[test]
    fn a_panicking_init_fails_the_whole_run() {
        let err = run("testing", 3, || panic!("no state"), |(): &mut (), i| i).unwrap_err();
        assert_eq!(err.task, "testing");
    }
}
